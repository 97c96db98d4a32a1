#!/usr/bin/env bash
# End-to-end checks of the command line: exit codes 0/1/2 and messages naming file and line.
set -u
BIN=$1
SRC=$2
# The real boot's artefacts (model/layout/fixtures/qemu-virt-2g/README.md).
FIX="$SRC/model/layout/fixtures/qemu-virt-2g"
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() {  # expect CODE PATTERN -- command...
  local want=$1 pat=$2
  shift 3
  local out code
  out=$("$@" 2>&1)
  code=$?
  if [[ $code -ne $want ]] || ! grep -qE -- "$pat" <<<"$out"; then
    echo "FAIL: $* -> exit $code (want $want), output lacks /$pat/:"
    echo "$out" | head -20
    fails=$((fails + 1))
  else
    echo "ok: $*"
  fi
}

# layout: the QEMU dom0 preset shows exactly the regions Xen printed.
expect 0 "0x40400000-0x5fffffff .*0x48000000-0x5fffffff" -- "$BIN" layout --preset qemu-virt-dom0
expect 0 "0x80000000-0xbfffffff .*8 whole sections" -- "$BIN" layout --preset qemu-virt-dom0
expect 0 "0x80000000-0xbfffffff .*2 whole sections" -- "$BIN" layout --preset qemu-virt-dom0 --page-size 64K
expect 0 "0x40400000-0x5fffffff" -- "$BIN" layout --dtb "$FIX/dom0.dtb" --iomem "$FIX/iomem-before.txt"
expect 2 "unknown preset" -- "$BIN" layout --preset nope
expect 2 "x86_64 has only 4K pages" -- "$BIN" layout --preset x86-pvh-dom0 --page-size 64K
printf '60000000-7fffffff : System RAM\n  zz-1 : x\n' >"$tmp/bad.iomem"
expect 2 "bad.iomem:2:" -- "$BIN" layout --iomem "$tmp/bad.iomem"
head -c 100 "$FIX/dom0.dtb" >"$tmp/trunc.dtb"
expect 2 "trunc.dtb: .*TRUNCATED" -- "$BIN" layout --dtb "$tmp/trunc.dtb"
expect 2 "cannot|No such" -- "$BIN" layout --dtb "$tmp/missing.dtb"
# layout's words: unusable parts named once, singular and plural; overlapping regions: arch init
# fails, so no region is usable (and the layout is a violation); /proc/iomem alone: where the
# regions come from; rows in address order.
expect 0 "124 MiB before 0x48000000 is unusable \(not a whole 128 MiB-aligned section\)" -- "$BIN" layout --preset qemu-virt-dom0
cat >"$tmp/one.json" <<'JSON'
{"name": "one", "arch": "arm64", "ram": [{"start": "0x60000000", "end": "0x7fffffff"}],
 "hypervisor": {"grant_table": {"start": "0x38000000", "size": "256K"},
   "ext_regions": [{"start": "0x80000000", "size": "128M"}, {"start": "0xa0000000", "size": "1G"}]}}
JSON
expect 0 "0x80000000-0x87ffffff .* 1 whole section$" -- "$BIN" layout --layout "$tmp/one.json"
sed 's/"size": "128M"/"size": "1G"/' "$tmp/one.json" >"$tmp/overlap.json"
expect 1 "0xa0000000-0xdfffffff .*none .*arch init failed \(-EINVAL\): no target resource" -- "$BIN" layout --layout "$tmp/overlap.json"
expect 0 "no extended regions \(Xen lists them in the device tree's hypervisor node.*add --dtb" -- "$BIN" layout --iomem "$FIX/iomem-before.txt"
"$BIN" layout --dtb "$FIX/dom0.dtb" | awk '/^kind/{t=1;next} t&&/^-/{next} t&&NF==0{exit} t' |
  grep -oE ' 0x[0-9a-f]+-0x' | sed 's/-0x//' | while read -r a; do printf '%d\n' "$a"; done >"$tmp/starts.txt"
if [[ -s "$tmp/starts.txt" ]] && sort -n -c "$tmp/starts.txt" 2>/dev/null; then
  echo "ok: layout --dtb rows in address order ($(wc -l <"$tmp/starts.txt") rows)"
else
  echo "FAIL: layout --dtb rows are not in address order"; fails=$((fails + 1))
fi

# simulate: clean 0, findings 1, bad script 2 with file:line.
printf 'alloc 8\nfree #0\ndrain\n' >"$tmp/ok.script"
expect 0 "\[1\] free #0 -> 0" -- "$BIN" simulate --variant upstream --preset qemu-virt-dom0 "$tmp/ok.script"
printf 'alloc 8\nfree #0\nfree #0\n' >"$tmp/df.script"
expect 1 "violation double-free" -- "$BIN" simulate --variant upstream --preset qemu-virt-dom0 "$tmp/df.script"
printf 'alloc 8\nallocate 3\n' >"$tmp/bad.script"
expect 2 "bad.script:2: unknown operation" -- "$BIN" simulate --preset qemu-virt-dom0 "$tmp/bad.script"
expect 2 "unknown variant" -- "$BIN" simulate --variant nope --preset qemu-virt-dom0 "$tmp/ok.script"
expect 2 "unknown mutant" -- "$BIN" simulate --mutant nope --preset qemu-virt-dom0 "$tmp/ok.script"
expect 1 "growth-misaligned" -- "$BIN" simulate --mutant no-section-align --preset qemu-virt-dom0 "$tmp/ok.script"
# a saved case replays in explore with the same finding
expect 1 "double-free" -- "$BIN" simulate --preset qemu-virt-dom0 --save-case "$tmp/c.json" "$tmp/df.script"
expect 1 "violation double-free" -- "$BIN" explore "$tmp/c.json"
echo '{"layout": 3}' >"$tmp/bad.json"
expect 2 "bad.json" -- "$BIN" explore "$tmp/bad.json"
expect 0 "range-end-off-by-one" -- "$BIN" mutants --list
# conform: the kernel's own code beside the model (conform/); a model mutant is a difference
# whose case explore opens with both sides; bad options exit 2.
expect 0 "resource +6\.1 .*conforms" -- "$BIN" conform --runs 20
expect 1 "pages handed out differs" -- "$BIN" conform --runs 20 --kernel 6.12 --mutant fifo-order --cex "$tmp/conform"
expect 1 "model vs Linux 6.12 \(arm64\) in lockstep: pages handed out" -- "$BIN" explore "$tmp/conform/conform-6.12-arm64-fifo-order.json"
expect 2 "unknown kernel '5.10'" -- "$BIN" conform --kernel 5.10
expect 2 "unknown mutant" -- "$BIN" conform --mutant nope
expect 2 "changes no code a conformance component covers" -- "$BIN" conform --mutant dma-reverse
expect 2 '"error": "unknown component' -- "$BIN" conform --component nope --json
# simulate: an injected failure is named; an oops is said to be one.
printf 'fail kzalloc\nalloc 1\nfail allocate_resource 1\nalloc 40000\n' >"$tmp/faults.txt"
expect 0 "alloc 40000 -> -EBUSY  \(injected allocate_resource fault\)" -- "$BIN" simulate --preset qemu-virt-dom0 "$tmp/faults.txt"
printf 'fail kzalloc 2\ndma_alloc 1\n' >"$tmp/oops.txt"
expect 1 "dma_alloc 1 gntdev -> -1000 \(oops: the kernel would be dead" -- "$BIN" simulate --preset qemu-virt-dom0 --variant rfc "$tmp/oops.txt"

# progress on a file or pipe: whole lines, no carriage returns.
"$BIN" check --variant upstream,proposed --runs 50 2>"$tmp/progress.txt" >/dev/null
"$BIN" mutants --runs 20 --mutant fifo-order 2>>"$tmp/progress.txt" >/dev/null
if ! grep -q $'\r' "$tmp/progress.txt" && grep -q "^check: proposed done: " "$tmp/progress.txt" &&
  grep -q "^mutants: fifo-order in upstream$" "$tmp/progress.txt"; then
  echo "ok: progress on a file is whole lines"
else
  echo "FAIL: progress on a file:"; cat -A "$tmp/progress.txt" | head -5; fails=$((fails + 1))
fi

# explore --variant: another design on the same counterexample (proposed passes upstream's wedge);
# where a picture went is said.
expect 0 "replayed under proposed; the case was found on upstream, where it shows spurious-enomem" -- "$BIN" explore "$SRC/docs/cex/upstream-spurious-enomem-hotplug.json" --variant proposed
expect 1 "shows spurious-enomem" -- "$BIN" explore "$SRC/docs/cex/upstream-spurious-enomem-hotplug.json"
expect 2 "unknown variant 'nope'" -- "$BIN" explore "$SRC/docs/cex/upstream-spurious-enomem-hotplug.json" --variant nope
expect 1 "picture: $tmp/wedge.svg \(SVG\)" -- "$BIN" explore "$SRC/docs/cex/upstream-spurious-enomem-hotplug.json" --svg "$tmp/wedge.svg"

# check: the page size in words; a finding on a generated layout says how to keep that layout.
expect 1 "spurious-enomem \[stateful suite, [0-9]+ ops, layout gen-dom0, 16K pages\]" -- "$BIN" check --variant upstream --runs 200
expect 1 "a generated layout: --cex DIR saves the case" -- "$BIN" check --variant upstream --runs 200

# prove: the layout checks alone, as JSON, turned into the README/docs tables
"$BIN" prove --layout-only --json --preset qemu-virt-dom0 >"$tmp/prove.json" 2>/dev/null
expect 0 "\| layout \| 8 \| 7 \| 1 \| 0 \|" -- "$SRC/scripts/prove-tables" --summary "$tmp/prove.json"
printf 'x\n<!-- prove-tables:begin -->\nold\n<!-- prove-tables:end -->\ny\n' >"$tmp/doc.md"
expect 0 "" -- "$SRC/scripts/prove-tables" "$tmp/prove.json" --update "$tmp/doc.md"
expect 0 "region-usable.*never usable at 64K" -- cat "$tmp/doc.md"
expect 1 "not the JSON of" -- "$SRC/scripts/prove-tables" "$tmp/doc.md"

echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
exit $((fails > 0))
