#!/bin/sh
# Replay benchmark: a generated 1,000,000-event tracefs text trace (bench/trace_gen.py, ~85 MB),
# timed side by side with awk splitting every field, the reader alone, and the whole replay
# (`unpopcheck replay`: parsing + every invariant check). /usr/bin/time -v gives user/sys CPU
# time, wall time and peak RSS; each is run 3 times and the best wall time is kept.
#
#   bench/replay_bench.sh [BUILD_DIR] [TRACE]
set -eu
BUILD=${1:-build}
TRACE=${2:-/tmp/unpop_replay_1m.txt}
HERE=$(dirname "$0")
[ -f "$TRACE" ] || python3 "$HERE/trace_gen.py" -n 1000000 -o "$TRACE"
IOMEM="$HERE/replay_iomem.txt"

best() {  # best() LABEL CMD... -> "LABEL | wall | user | sys | maxrss"
  label=$1; shift
  bw=999; line=""
  for i in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -o /tmp/unpop_bench_time "$@" >/dev/null 2>&1 || true
    set -- "$@"
    # (time writes "Command exited with non-zero status N" first when it does: the numbers are last)
    read -r w u s m <<EOF
$(tail -n 1 /tmp/unpop_bench_time)
EOF
    if [ "$(echo "$w < $bw" | bc)" = 1 ]; then bw=$w; line="| $label | $w | $u | $s | $((m / 1024)) |"; fi
  done
  echo "$line"
}

echo "trace: $TRACE ($(du -m "$TRACE" | cut -f1) MB, $(wc -l < "$TRACE") lines), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| what | wall s | user s | sys s | peak RSS MiB |"
echo "|---|---|---|---|---|"
best "awk '{for(i=6;i<=NF;i++){split(\$i,a,\"=\")}}'" awk '{for(i=6;i<=NF;i++){split($i,a,"=")}}' "$TRACE"
best "reader only (traces::TextReader)" "$BUILD/replay_throughput" read "$TRACE" 2>/dev/null || true
best "unpopcheck replay (reader + every check)" "$BUILD/unpopcheck" replay --iomem "$IOMEM" "$TRACE"
best "unpopcheck replay --separate-states (one state per candidate, not shared)" "$BUILD/unpopcheck" replay --iomem "$IOMEM" --separate-states "$TRACE"
best "unpopcheck replay --variant v1 (no LIFO reference)" "$BUILD/unpopcheck" replay --iomem "$IOMEM" --variant v1 "$TRACE"
best "unpopcheck replay /dev/stdin fed by cat (a pipe, as a live trace_pipe)" sh -c 'cat "$1" | "$2" replay --iomem "$3" /dev/stdin' sh "$TRACE" "$BUILD/unpopcheck" "$IOMEM"

# --- trace.dat: unpopcheck replay against `trace-cmd report FILE > /dev/null` ---------------------
# A real ~1,000,000-event trace.dat: a uprobe capture of traces/fixtures/uprobe_target `stress`
# recorded by bench/record_dat_bench.sh (root and uprobes needed; skipped otherwise). Third
# argument or DAT: the file (default /tmp/unpop_replay_1m.dat), recorded if missing.
DAT=${3:-${DAT:-/tmp/unpop_replay_1m.dat}}
echo
if [ ! -f "$DAT" ]; then
  if [ "$(id -u)" != 0 ] || [ ! -e /sys/kernel/tracing/uprobe_events ] || ! command -v trace-cmd >/dev/null; then
    echo "trace.dat part skipped: $DAT missing and it can only be recorded as root with uprobes and trace-cmd (bench/record_dat_bench.sh)"
    exit 0
  fi
  "$HERE/record_dat_bench.sh" "$DAT" 1000000 || { echo "trace.dat part skipped: recording $DAT failed"; exit 0; }
fi
command -v trace-cmd >/dev/null || { echo "trace.dat part skipped: no trace-cmd"; exit 0; }
# The replay must be clean (the stress workload frees every page: --drained).
if ! "$BUILD/unpopcheck" replay --iomem "$IOMEM" --drained "$DAT" > /tmp/unpop_bench_dat_replay.txt 2>&1; then
  echo "warning: unpopcheck replay of $DAT is not clean:"; tail -n 5 /tmp/unpop_bench_dat_replay.txt
fi
echo "trace.dat: $DAT ($(du -k "$DAT" | cut -f1) KB, $(trace-cmd report "$DAT" 2>/dev/null | grep -c ': xen_unpop_') events), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| what | wall s | user s | sys s | peak RSS MiB |"
echo "|---|---|---|---|---|"
best "trace-cmd report FILE > /dev/null" trace-cmd report "$DAT"
best "unpopcheck replay --drained (trace.dat reader + every check)" "$BUILD/unpopcheck" replay --iomem "$IOMEM" --drained "$DAT"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
