#!/usr/bin/env bash
# record_dat_bench.sh [OUT.dat] [EVENTS]
#
# Records the trace.dat of the replay benchmark (bench/replay_bench.sh): a real uprobe capture of
# traces/fixtures/uprobe_target `stress N` with the trace contract's tracepoint-style events
# (the definitions of scripts/record-trace-fixtures, shared through
# scripts/lib/xen-unpop-uprobes.sh), about EVENTS events (default 1,000,000), saved with
# `trace-cmd extract` to OUT.dat (default /tmp/unpop_replay_1m.dat).
#
# `stress N` emits 4 N + 5 events: 3 xen_unpop_region + xen_unpop_init, one xen_unpop_fill_list,
# then per round xen_unpop_alloc_page, xen_unpop_alloc, xen_unpop_free_page, xen_unpop_free.
# The workload is pinned to one CPU (BENCH_CPU, default the first CPU this script may run on)
# and the top-level ring buffer is enlarged so that CPU's buffer holds the whole run. Nothing
# may be lost: the script fails if the ring buffer overran or dropped events
# (per_cpu/cpuN/stats, entries-in-buffer/entries-written) or if `trace-cmd report` of the file
# does not show exactly 4 N + 5 xen_unpop events and no dropped-events marker.
#
# Needs root, tracefs with uprobe_events, a C compiler, binutils, trace-cmd, taskset. Uses the
# top-level buffer (what `trace-cmd extract` reads): its size, tracing_on and the xen_unpop
# events are restored/removed on exit; its contents are cleared.
set -euo pipefail

die() { echo "record_dat_bench: error: $*" >&2; exit 1; }
note() { echo "record_dat_bench: $*" >&2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-/tmp/unpop_replay_1m.dat}
EVENTS=${2:-1000000}
SRC=$ROOT/traces/fixtures/uprobe_target.c
case "$EVENTS" in ''|*[!0-9]*) die "EVENTS must be a number (got '$EVENTS')" ;; esac
(( EVENTS >= 9 )) || die "EVENTS must be at least 9"

[ "$(id -u)" = 0 ] || die "must run as root (uprobe_events and tracefs are root-only)"
for tool in cc nm readelf trace-cmd unshare mount taskset; do
  command -v "$tool" >/dev/null || die "'$tool' not found in PATH"
done
[ -f "$SRC" ] || die "missing $SRC"

# shellcheck source=../scripts/lib/xen-unpop-uprobes.sh
. "$ROOT/scripts/lib/xen-unpop-uprobes.sh"
unpop_tracefs_setup

ROUNDS=$(( (EVENTS - 5 + 3) / 4 ))
EXPECT=$(( 4 * ROUNDS + 5 ))
CPU=${BENCH_CPU:-$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')}
[ -d "$T/per_cpu/cpu$CPU" ] || die "no per-CPU buffer for CPU $CPU"
# A uprobe event is 24-40 bytes with its ring-buffer header; 48 per event plus 1 MiB of slack.
KB=$(( EVENTS * 48 / 1024 + 1024 ))

WORK=$(mktemp -d /tmp/unpop-datbench.XXXXXX)
BIN=$WORK/uprobe_target
: > "$WORK/probes.txt"; : > "$WORK/notes.txt"
TOP_KB=$(cat "$T/buffer_size_kb")
TOP_ON=$(cat "$T/tracing_on")
cleanup() {
  set +e
  undefine_all
  echo 0 > "$T/tracing_on"
  echo > "$T/trace"
  echo "$TOP_KB" > "$T/buffer_size_kb"
  echo "$TOP_ON" > "$T/tracing_on"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O1 -g -fno-inline -fno-ipa-icf -fno-omit-frame-pointer -pthread -o "$BIN" "$SRC"
[ -w "$T/error_log" ] && : > "$T/error_log"
define_tracepoint_style

echo 0 > "$T/tracing_on"
echo "$KB" > "$T/buffer_size_kb" || die "cannot set buffer_size_kb to $KB"
echo > "$T/trace"
echo 1 > "$T/events/xen_unpop/enable"
echo 1 > "$T/tracing_on"
note "stress $ROUNDS on CPU $CPU (expect $EXPECT events, buffer ${KB} KB per CPU)"
start=$(date +%s.%N)
taskset -c "$CPU" "$BIN" stress "$ROUNDS" >/dev/null
note "workload took $(echo "$(date +%s.%N) - $start" | bc) s"
echo 0 > "$T/events/xen_unpop/enable"
echo 0 > "$T/tracing_on"

# Nothing overwritten or dropped in the ring buffer.
lost=0 entries=0
for s in "$T"/per_cpu/cpu*/stats; do
  e=$(awk '$1 == "entries:" { print $2 }' "$s")
  o=$(awk '$1 == "overrun:" { print $2 }' "$s")
  c=$(awk '$1 == "commit" && $2 == "overrun:" { print $3 }' "$s")
  d=$(awk '$1 == "dropped" && $2 == "events:" { print $3 }' "$s")
  entries=$(( entries + ${e:-0} ))
  if (( ${o:-0} + ${c:-0} + ${d:-0} > 0 )); then
    note "$s: overrun ${o:-?}, commit overrun ${c:-?}, dropped ${d:-?}"; lost=1
  fi
done
hdr=$(head -n 8 "$T/trace" | sed -n 's/.*entries-in-buffer\/entries-written: \([0-9]*\)\/\([0-9]*\).*/\1 \2/p')
read -r inbuf written <<< "${hdr:-0 0}"
[ "$inbuf" = "$written" ] || { note "entries-in-buffer/entries-written: $inbuf/$written"; lost=1; }
(( lost == 0 )) || die "events were lost in the ring buffer: enlarge it (now $KB KB per CPU)"
(( entries >= EXPECT )) || die "the ring buffer holds $entries entries, expected at least $EXPECT"

setup_trace_cmd
rm -f "$OUT"
tc extract -o "$OUT" >/dev/null 2>"$WORK/tc.err" || die "trace-cmd extract failed: $(tr '\n' ' ' < "$WORK/tc.err")"
rm -f "$OUT".cpu* 2>/dev/null || true

# The file holds every event and no dropped-events marker.
trace-cmd report "$OUT" 2>/dev/null |
  awk '/: xen_unpop_/ { n++ } /EVENTS DROPPED|LOST [0-9]* EVENTS/ { d++ } END { print n + 0, d + 0 }' > "$WORK/count"
read -r got dropped < "$WORK/count"
(( dropped == 0 )) || die "$OUT: trace-cmd report shows $dropped dropped-events markers"
(( got == EXPECT )) || die "$OUT: trace-cmd report shows $got xen_unpop events, expected $EXPECT"
note "wrote $OUT: $got events, $(du -k "$OUT" | cut -f1) KB, CPU $CPU, $(trace-cmd --version 2>&1 | grep -m1 version | sed 's/^ *//'), kernel $(uname -r)"
