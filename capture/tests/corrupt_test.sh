#!/usr/bin/env bash
# corrupt_test.sh BOOT_DIR: BOOT_DIR/dump.log of a real capture, with one base64 character of
# trace.dat's block changed, must be refused by capture/console.py (exit 1, checksum mismatch);
# the unchanged log must pass. (capture-qemu turns console.py's failure into its exit 4.)
set -euo pipefail
B=${1:?usage: corrupt_test.sh BOOT_DIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ -s "$B/dump.log" ] || { echo "corrupt_test: no $B/dump.log (capture_qemu_boot did not run?)"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 "$SRC/capture/console.py" "$T/good" "$B/console.log" "$B/dump.log"
# The 10th line after trace.dat's BEGIN: change its 5th character to another base64 one.
awk '/^@@UNPOP-BEGIN trace.dat /{n=NR} n && NR==n+10 { c = substr($0,5,1); r = (c == "A") ? "B" : "A";
     $0 = substr($0,1,4) r substr($0,6); hit=1 } {print} END { exit !hit }' \
  "$B/dump.log" > "$T/dump.log"
set +e
out=$(python3 "$SRC/capture/console.py" "$T/bad" "$B/console.log" "$T/dump.log" 2>&1)
rc=$?
set -e
echo "$out"
[ "$rc" = 1 ] || { echo "corrupt_test: console.py exit $rc on a corrupted dump, expected 1"; exit 1; }
grep -q "trace.dat: checksum mismatch" <<<"$out" || { echo "corrupt_test: no checksum mismatch reported"; exit 1; }
[ ! -e "$T/bad/trace.dat" ] || { echo "corrupt_test: the corrupted trace.dat was written"; exit 1; }
echo "corrupt_test: the corrupted artefact was refused"
