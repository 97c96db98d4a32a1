#!/usr/bin/env bash
# parsers_test.sh SOURCE_DIR: the host side of the QEMU capture fails as it should, without a
# boot: console.py on a good log, a corrupted artefact, a log cut short, a guest failure, a
# kernel line inside a block; usage errors of capture-qemu and analyse.py (exit 2).
set -euo pipefail
SRC=${1:?usage: parsers_test.sh SOURCE_DIR}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0
pass=0

# expect CODE PATTERN CMD...: CMD exits CODE and its stderr+stdout matches PATTERN.
expect() {
  local code=$1 pat=$2; shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" != "$code" ] || ! grep -qE -- "$pat" <<<"$out"; then
    echo "FAIL: $* -> exit $rc (want $code), output:"; sed 's/^/    /' <<<"$out"
    failures=$((failures + 1))
  else
    pass=$((pass + 1))
  fi
}

# A log as capture/init.sh prints it: console noise, one artefact, DONE.
printf 'iomem line 1\n10000000-3efeffff : pcie@10000000\n' > "$T/iomem.txt"
block() { # block NAME FILE
  echo "@@UNPOP-BEGIN $1 $(wc -c < "$2") $(sha256sum "$2" | cut -d' ' -f1)"
  base64 "$2"
  echo "@@UNPOP-END $1"
}
{ echo "(XEN) booting"; echo "[    1.0] kernel line"; block iomem-before.txt "$T/iomem.txt"
  echo "@@UNPOP-DONE iomem-before.txt"; } > "$T/good.log"
expect 0 "1 artefacts checked" python3 "$SRC/capture/console.py" "$T/out" "$T/good.log"
cmp -s "$T/iomem.txt" "$T/out/iomem-before.txt" || { echo "FAIL: decoded file differs"; failures=$((failures + 1)); }

# Corrupted: one base64 character changed (still valid base64): a checksum mismatch, exit 1.
sed '4s/^\(.\)./\1Z/' "$T/good.log" > "$T/corrupt.log"
cmp -s "$T/good.log" "$T/corrupt.log" && { echo "FAIL: the corruption changed nothing"; failures=$((failures + 1)); }
expect 1 "checksum mismatch" python3 "$SRC/capture/console.py" "$T/out2" "$T/corrupt.log"
[ -e "$T/out2/iomem-before.txt" ] && { echo "FAIL: a corrupt artefact was written"; failures=$((failures + 1)); }

# CRLF line ends (Xen's serial console) are fine.
sed 's/$/\r/' "$T/good.log" > "$T/crlf.log"
expect 0 "1 artefacts checked" python3 "$SRC/capture/console.py" "$T/out3" "$T/crlf.log"

# Cut short inside a block; no DONE; a guest failure; a kernel line inside a block.
head -n 3 "$T/good.log" > "$T/short.log"
# A damaged BEGIN marker: the block is not recognised, DONE names it: missing, exit 1.
sed '3s/@@UNPOP-BEGIN/@@UNP0P-BEGIN/' "$T/good.log" > "$T/nobegin.log"
expect 1 "no block of that name" python3 "$SRC/capture/console.py" "$T/out8" "$T/nobegin.log"
expect 1 "ends inside its block" python3 "$SRC/capture/console.py" "$T/out4" "$T/short.log"
grep -v DONE "$T/good.log" > "$T/nodone.log"
expect 1 "no @@UNPOP-DONE" python3 "$SRC/capture/console.py" "$T/out5" "$T/nodone.log"
{ echo "@@UNPOP-FAIL insmod xen-gntdev"; } > "$T/fail.log"
expect 1 "the guest failed: insmod xen-gntdev" python3 "$SRC/capture/console.py" "$T/out6" "$T/fail.log"
sed '3a [   12.3] xen:gntdev: a printk in the middle' "$T/good.log" > "$T/noise.log"
expect 1 "expected a base64 line" python3 "$SRC/capture/console.py" "$T/out7" "$T/noise.log"
expect 2 "usage" python3 "$SRC/capture/console.py"

# Usage errors: exit 2 with what was expected, before anything is downloaded or booted.
expect 2 "--mem: expected a size" "$SRC/scripts/capture-qemu" --mem 3X
expect 2 "must be below --mem" "$SRC/scripts/capture-qemu" --mem 2G --dom0-mem 2G
expect 2 "unknown argument" "$SRC/scripts/capture-qemu" --frobnicate
expect 2 "--work: expected KEY=N" "$SRC/scripts/capture-qemu" --work 'big=a'
expect 2 "--timeout: expected seconds" "$SRC/scripts/capture-qemu" --timeout soon
expect 2 "missing fdt.dtb" python3 "$SRC/capture/analyse.py" --unpopcheck /bin/true "$T"
expect 2 "capture-kprobes" "$SRC/scripts/capture-kprobes"

echo "$pass passed, $failures failed"
[ "$failures" = 0 ]
