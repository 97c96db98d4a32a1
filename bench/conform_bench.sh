#!/bin/sh
# Throughput of `unpopcheck conform` (docs/conformance.md): operations compared per second per
# component and kernel, over N generated cases each (default 2000), and the run's wall time
# beside a reference command timed in the same run (`unpopcheck check --variant upstream`), so
# the ratio, not the seconds, is what carries from machine to machine. Not a test: it prints.
#
#   bench/conform_bench.sh [BUILD_DIR] [RUNS]
set -eu
BUILD=${1:-build}
RUNS=${2:-2000}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
t0=$(date +%s.%N)
"$BUILD/unpopcheck" conform --runs "$RUNS" --json > "$OUT"
t1=$(date +%s.%N)
"$BUILD/unpopcheck" check --variant upstream > /dev/null || true
t2=$(date +%s.%N)
python3 - "$OUT" "$t0" "$t1" "$t2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
t0, t1, t2 = map(float, sys.argv[2:5])
total = 0
print(f"{'component':20} {'kernel':14} {'arch':7} {'cases':>6} {'ops':>8} {'ops/s':>9}  verdict")
for r in j["results"]:
    total += r["ops"]
    rate = r["ops"] / r["seconds"] if r["seconds"] else 0
    kernel = r["kernel"] + ("+" + r["variant"] if r.get("patched") else "")  # 6.12+proposed: kernel/patches
    print(f"{r['component']:20} {kernel:14} {r['arch']:7} {r['cases']:6} {r['ops']:8} {rate:9.0f}  {r['verdict']}")
conform, ref = t1 - t0, t2 - t1
print(f"conform --runs {j['runs']}: {total} operations compared in {conform:.1f} s wall "
      f"({total / conform:.0f} ops/s); reference `check --variant upstream` {ref:.1f} s; ratio {conform / ref:.2f}")
PY
