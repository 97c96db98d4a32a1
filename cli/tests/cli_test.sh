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
expect 2 '"message": "unknown component' -- "$BIN" conform --component nope --json
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
W="$SRC/docs/cex/upstream-spurious-enomem-hotplug.json"
expect 0 "replayed as proposed; the case was found on upstream, where it shows spurious-enomem" -- "$BIN" explore "$W" --variant proposed
# one exit-code policy: a liveness finding is exit 0 unless --fail-on findings
expect 0 "shows spurious-enomem" -- "$BIN" explore "$W"
expect 1 "finding spurious-enomem" -- "$BIN" explore "$W" --fail-on findings
expect 2 "unknown variant 'nope'" -- "$BIN" explore "$W" --variant nope
expect 0 "picture: $tmp/wedge.svg \(SVG\)" -- "$BIN" explore "$W" --svg "$tmp/wedge.svg"
expect 2 "draws one replay: give one --variant" -- "$BIN" explore "$W" --variant all --svg "$tmp/x.svg"
expect 0 "variant upstream.*variant proposed" -- bash -c "\"$BIN\" explore \"$W\" --variant upstream,proposed | tr '\n' ' '"
# explore shows the case's layout (and --layout-only the whole report); a two-caller case as the
# atomic steps each caller took, in order; layout reads a case file's layout.
expect 0 "extended regions: 0x" -- "$BIN" explore "$W"
expect 0 "Linux target: xen_resource" -- "$BIN" explore "$W" --layout-only
R="$SRC/docs/cex/rfc-spurious-enomem-race.json"
expect 0 "2  caller 1  #2 @1 dma_alloc 1 gntdev +gen_pool_alloc from the DMA pool \(first try\)" -- "$BIN" explore "$R"
expect 0 "3  caller 0  #0 dma_alloc 1 gntdev +fill_dma_pool: grow the DMA pool" -- "$BIN" explore "$R"
expect 0 "Linux target: xen_resource 0x68400000-0x7fffffff" -- "$BIN" layout --layout "$R"
expect 2 "use one of them alone" -- "$BIN" layout --preset qemu-virt-dom0 --layout "$R"

# check: the page size in words; a finding on a generated layout says how to keep that layout.
expect 0 "spurious-enomem \[stateful suite, [0-9]+ ops?, layout gen-dom0, 16K pages\]" -- "$BIN" check --variant upstream --runs 200
expect 0 "a generated layout: --cex DIR saves the case" -- "$BIN" check --variant upstream --runs 200
expect 1 "exit 1$" -- "$BIN" check --variant upstream --runs 200 --fail-on findings
expect 0 "liveness findings only; --fail-on findings counts them" -- "$BIN" check --variant upstream --runs 200
# check on the user's board: every case on that layout or a neighbour; --mutant; usage errors
# as JSON with --json.
expect 0 "layouts: qemu-virt-dom0 \(3 cases in 4\) and its neighbours" -- "$BIN" check --preset qemu-virt-dom0 --variant proposed --runs 100
expect 0 "layout dom0.dtb\+iomem-before.txt(-neighbour)?, [0-9]+K pages" -- "$BIN" check --dtb "$FIX/dom0.dtb" --iomem "$FIX/iomem-before.txt" --variant upstream --runs 100
expect 1 "order-mismatch +VIOLATED" -- "$BIN" check --variant upstream --mutant fifo-order --runs 100
expect 2 '"message": "unknown mutant' -- "$BIN" check --mutant nope --json
expect 2 '"error"' -- "$BIN" check --json --no-such-option
expect 2 "x86_64 has only 4K pages" -- "$BIN" check --preset x86-pvh-dom0 --page-size 64K
# --variant all on an Arm board leaves x86 out, as scenario does; named, it runs.
expect 0 "x86 left out: native to x86_64, the layout is arm64" -- "$BIN" check --preset qemu-virt-dom0 --variant all --runs 5
expect 1 "rule +x86$" -- "$BIN" check --preset qemu-virt-dom0 --variant x86 --runs 50

# simulate: one numbering (#K is op K in the script and in messages); slices and references
# checked with file:line; a free of a failed allocation is a script error; partial DMA frees
# are said to be the misuse they are; --variant a list; --cex DIR.
printf 'alloc 1\nalloc 4\ndrain\n' >"$tmp/leak.script"
expect 1 "leak: allocation #1 \(plain 4 pages by caller 0\) still holds 4 pages" -- "$BIN" simulate --preset qemu-virt-dom0 "$tmp/leak.script"
printf 'alloc 4\nfree #0 2 5\n' >"$tmp/slice.script"
expect 2 "slice.script:2: pages 2..6 of #0 do not exist: .alloc 4. asks for 4 pages" -- "$BIN" simulate --preset qemu-virt-dom0 "$tmp/slice.script"
printf 'alloc 4\n# a comment\nfree #5\n' >"$tmp/fwd.script"
expect 2 "fwd.script:3: #5 is not an earlier op" -- "$BIN" simulate --preset qemu-virt-dom0 "$tmp/fwd.script"
printf 'claim 0x48000000-0x481fffff drv\nfree #0\n' >"$tmp/notalloc.script"
expect 2 "notalloc.script:2: #0 is .claim" -- "$BIN" simulate --preset qemu-virt-dom0 "$tmp/notalloc.script"
printf 'fail kzalloc\nalloc 4\nfree #1\n' >"$tmp/failed.script"
expect 2 "failed.script:3: free #1: #1 \(.alloc 4.\) failed with -ENOMEM: it has no pages to give back" -- "$BIN" simulate --preset qemu-virt-dom0 "$tmp/failed.script"
expect 2 '"line": 3' -- "$BIN" simulate --json --preset qemu-virt-dom0 "$tmp/failed.script"
printf 'dma_alloc 4\ndma_free #0 0 2\n' >"$tmp/part.script"
expect 1 "a caller misuse: a DMA buffer goes back whole; the rule dma-free-mismatch" -- "$BIN" simulate --variant proposed --preset qemu-virt-dom0 "$tmp/part.script"
expect 0 "variant upstream,.*variant proposed," -- bash -c "\"$BIN\" simulate --variant upstream,proposed --preset qemu-virt-dom0 \"$tmp/ok.script\" | grep '^variant' | tr '\n' ' '"
expect 1 "case: $tmp/sim/upstream-double-free.json" -- "$BIN" simulate --variant all --preset qemu-virt-dom0 --cex "$tmp/sim" "$tmp/df.script"
expect 1 "violation double-free" -- "$BIN" explore "$tmp/sim/upstream-double-free.json"
expect 2 "--save-case.*one --variant" -- "$BIN" simulate --variant all --preset qemu-virt-dom0 --save-case "$tmp/x.json" "$tmp/ok.script"
expect 2 '"error"' -- "$BIN" simulate --json --preset qemu-virt-dom0 --bogus "$tmp/ok.script"
# A free of a failed allocation: with --json the steps that ran come with the error.
printf 'alloc 99999999\nfree #0\n' >"$tmp/badfree.script"
expect 2 '"output": \{' -- "$BIN" simulate --json --preset qemu-virt-dom0 "$tmp/badfree.script"
expect 2 'badfree.script:2: free #0: .*failed with' -- "$BIN" simulate --preset qemu-virt-dom0 "$tmp/badfree.script"

# scenario: the seed printed as given; --mutant; liveness findings count with --fail-on findings.
expect 0 "seed 0x2a\)" -- "$BIN" scenario pv-display --variant upstream --preset qemu-virt-dom0 --page-size 4K --seed 0x2a
expect 1 "exit 1" -- "$BIN" scenario pv-display --variant upstream --preset qemu-virt-dom0 --page-size 4K --fail-on findings
expect 2 "--seed: expected a number" -- "$BIN" scenario pv-display --seed 12ab
expect 2 "unknown mutant" -- "$BIN" scenario pv-display --mutant nope
expect 1 "mutant no-section-align" -- "$BIN" scenario domain-build --variant upstream --preset qemu-virt-dom0 --page-size 4K --mutant no-section-align
# replay's default options (--variant auto) catch the two DMA rules (issue 16: once a missed
# violation with an assumed upstream); a list of candidates; --cex DIR; --fail-on findings.
RF="$SRC/traces/replay/fixtures/rules"
expect 1 "VIOLATION not-contiguous" -- "$BIN" replay --preset qemu-virt-dom0 "$RF/not-contiguous.bad.txt"
expect 1 "VIOLATION dma-free-mismatch" -- "$BIN" replay --preset qemu-virt-dom0 "$RF/dma-free-mismatch.bad.txt"
expect 1 "variant rfc \(--variant rfc,v1\)" -- "$BIN" replay --preset qemu-virt-dom0 --variant rfc,v1 "$RF/dma-free-mismatch.bad.txt"
expect 1 "unpopcheck explore $tmp/rc/upstream-double-free.json" -- "$BIN" replay --preset qemu-virt-dom0 --cex "$tmp/rc" "$RF/double-free.bad.txt"
expect 0 "verdict: ok \(exit 0\)" -- "$BIN" replay --preset qemu-virt-dom0 "$RF/ram-stolen.bad.txt"
expect 1 "exit 1: liveness findings, counted with --fail-on findings" -- "$BIN" replay --preset qemu-virt-dom0 --fail-on findings "$RF/ram-stolen.bad.txt"
expect 2 "unknown variant 'nope'" -- "$BIN" replay --preset qemu-virt-dom0 --variant upstream,nope "$RF/ram-stolen.bad.txt"
# a trace through a pipe (a live trace_pipe): the same verdict and the same violating event
expect 1 "VIOLATION double-free" -- sh -c "cat '$RF/double-free.bad.txt' | '$BIN' replay --preset qemu-virt-dom0 /dev/stdin"
expect 0 "verdict: ok \(exit 0\)" -- sh -c "cat '$RF/ram-stolen.bad.txt' | '$BIN' replay --preset qemu-virt-dom0 /dev/stdin"
expect 1 "VIOLATION double-free at /dev/stdin:20" -- sh -c "cat '$RF/double-free.bad.txt' | '$BIN' replay --preset qemu-virt-dom0 -"
expect 2 "'-' \(standard input\) given more than once" -- "$BIN" replay --preset qemu-virt-dom0 - -
# --cex DIR where DIR cannot be a directory: a usage error before any work, never a crash
# (simulate and replay used to abort with an uncaught filesystem_error after the run).
: >"$tmp/a-file"
for cmd in "simulate --preset qemu-virt-dom0 $tmp/df.script" "replay --preset qemu-virt-dom0 $RF/double-free.bad.txt" \
           "check --runs 10" "prove" "mutants" "conform --runs 1"; do
  # shellcheck disable=SC2086
  expect 2 "--cex: $tmp/a-file/sub: cannot make it a directory" -- "$BIN" $cmd --cex "$tmp/a-file/sub"
done
expect 2 '"message": "--cex: .*cannot make it a directory' -- "$BIN" simulate --json --preset qemu-virt-dom0 --cex "$tmp/a-file" "$tmp/df.script"

# prove and mutants take the shared --mutant and --variant.
expect 2 "unknown mutant 'nope'" -- "$BIN" prove --mutant nope
expect 2 "unknown mutant 'nope'" -- "$BIN" mutants --mutant nope
expect 2 "unknown variant 'nope'" -- "$BIN" mutants --variant nope

# prove: the layout checks alone, as JSON, turned into the README/docs tables
"$BIN" prove --layout-only --json --preset qemu-virt-dom0 >"$tmp/prove.json" 2>/dev/null
expect 0 "\| layout \| 8 \| 7 \| 1 \| 0 \|" -- "$SRC/scripts/prove-tables" --summary "$tmp/prove.json"
printf 'x\n<!-- prove-tables:begin -->\nold\n<!-- prove-tables:end -->\ny\n' >"$tmp/doc.md"
expect 0 "" -- "$SRC/scripts/prove-tables" "$tmp/prove.json" --update "$tmp/doc.md"
expect 0 "region-usable.*never usable at 64K" -- cat "$tmp/doc.md"
expect 1 "not the JSON of" -- "$SRC/scripts/prove-tables" "$tmp/doc.md"

echo "$((fails == 0 ? 1 : 0)) passed, $fails failed"
exit $((fails > 0))
