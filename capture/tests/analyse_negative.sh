#!/usr/bin/env bash
# analyse_negative.sh UNPOPCHECK FIXTURE_DIR: capture/analyse.py on a committed boot is not a
# check that always passes: a "Xen scratch" range where the layout allows no growth, and a
# trace with one page event removed, must each make it exit 1.
set -euo pipefail
U=${1:?usage: analyse_negative.sh UNPOPCHECK FIXTURE_DIR}
F=${2:?usage: analyse_negative.sh UNPOPCHECK FIXTURE_DIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

run() { # run NAME PATTERN DIR: analyse.py must exit 1 with PATTERN in its output
  local rc=0 out
  out=$(python3 "$SRC/capture/analyse.py" --quiet --unpopcheck "$U" --out "$T/out-$1" "$3" 2>&1) || rc=$?
  if [ "$rc" = 1 ] && grep -qE -- "$2" <<<"$out"; then echo "ok: $1"
  else echo "FAIL: $1: exit $rc, output:"; echo "$out" | sed 's/^/    /'; fails=$((fails + 1)); fi
}

# 1. A growth below the first section of the low region (not where growth is possible).
mkdir "$T/scratch"
cp "$F"/{fdt.dtb,iomem-before.txt,trace.txt.xz} "$T/scratch/"
{ echo "40000000-47ffffff : Xen scratch"; cat "$F/iomem-after.txt"; } > "$T/scratch/iomem-after.txt"
run scratch-outside "growth 0x40000000-0x47ffffff is not where the layout allows growth" "$T/scratch"

# 2. The 1000th page handed out is missing from the trace: the replay must not say ok.
mkdir "$T/dropped"
cp "$F"/{fdt.dtb,iomem-before.txt,iomem-after.txt} "$T/dropped/"
xz -dc "$F/trace.txt.xz" | awk '/xen_unpop_alloc_page:/ && ++n == 1000 { next } { print }' > "$T/dropped/trace.txt"
run page-dropped "trace.txt: verdict violation, expected ok" "$T/dropped"

[ "$fails" = 0 ] && echo "2 passed, 0 failed" || { echo "$((2 - fails)) passed, $fails failed"; exit 1; }
