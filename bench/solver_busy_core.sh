#!/bin/sh
# The solver's verdicts do not depend on the machine's speed (issue 11, docs/solver.md "Budget"):
# runs solver_test and `prove --variant all --json` pinned to one core while a busy loop spins on
# that same core, then the same prove idle-pinned, and compares verdicts and Z3 resource use per
# query. Not a timed test: it prints the wall times so the slowdown is visible, and fails only if
# a verdict or a query's resource count differs, or a test fails.
#
#   bench/solver_busy_core.sh [BUILD_DIR] [CORE]
set -eu
BUILD=${1:-build}
CORE=${2:-0}
OUT=$(mktemp -d)
trap 'kill "$SPIN" 2>/dev/null || true; rm -rf "$OUT"' EXIT INT TERM

verdicts() {  # one line per query: group variant rule op depth mutant verdict rlimit
  python3 -c '
import json, sys
for q in json.load(open(sys.argv[1]))["results"]:
    print(q["group"], q["variant"], q["rule"], q.get("op", ""), q.get("depth", ""), q.get("mutant", ""),
          q["verdict"], q.get("rlimit", ""))' "$1" | sort
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs; pinned to core $CORE"
s=$(date +%s)
taskset -c "$CORE" "$BUILD/unpopcheck" prove --variant all --json > "$OUT/idle.json" || true
echo "prove pinned, no busy loop: $(( $(date +%s) - s )) s"

taskset -c "$CORE" sh -c 'while :; do :; done' &
SPIN=$!
s=$(date +%s)
taskset -c "$CORE" "$BUILD/solver/solver_test" --gtest_brief=1 > "$OUT/test.log" 2>&1 || { cat "$OUT/test.log"; exit 1; }
echo "solver_test pinned beside a busy loop: $(( $(date +%s) - s )) s: $(tail -1 "$OUT/test.log")"
s=$(date +%s)
taskset -c "$CORE" "$BUILD/unpopcheck" prove --variant all --json > "$OUT/busy.json" || true
echo "prove pinned beside a busy loop: $(( $(date +%s) - s )) s"
kill "$SPIN"

verdicts "$OUT/idle.json" > "$OUT/idle.txt"
verdicts "$OUT/busy.json" > "$OUT/busy.txt"
echo "queries: $(wc -l < "$OUT/idle.txt"); verdicts: $(awk '{print $(NF-1)}' "$OUT/busy.txt" | sort | uniq -c | tr '\n' ' ')"
if diff "$OUT/idle.txt" "$OUT/busy.txt"; then
  echo "same verdict and the same Z3 resource count for every query"
else
  echo "DIFFERENT (above: < idle, > busy)"; exit 1
fi
