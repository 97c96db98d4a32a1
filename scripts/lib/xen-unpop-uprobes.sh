# Shared by scripts/record-trace-fixtures and bench/record_dat_bench.sh: the uprobe events named
# by the trace contract (docs/trace-events.md) on traces/fixtures/uprobe_target, and trace-cmd
# with the container workarounds. Source it from a bash script that defines die() and note()
# and sets, before calling these functions:
#   BIN   the built uprobe_target      WORK  a private temporary directory
#   INST  (optional) a tracefs instance directory whose xen_unpop events undefine_all disables
# It sets T (tracefs), A (argument registers), DEFINED (the events defined), TC_PREFIX.
# Definitions are appended to $WORK/probes.txt, trace-cmd workarounds to $WORK/notes.txt.

DEFINED=()

# --- tracefs -----------------------------------------------------------------------------
unpop_tracefs_setup() {  # sets T (tracefs) and A (argument registers); dies if unusable
  T=
  for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
    if [ -e "$d/uprobe_events" ] || [ -e "$d/trace" ]; then T=$d; break; fi
  done
  if [ -z "$T" ]; then
    mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null && T=/sys/kernel/tracing ||
      die "tracefs is not mounted and 'mount -t tracefs nodev /sys/kernel/tracing' failed"
  fi
  [ -e "$T/uprobe_events" ] || die "$T/uprobe_events missing: kernel built without CONFIG_UPROBE_EVENTS"
  [ -w "$T/uprobe_events" ] || die "$T/uprobe_events not writable"
  if grep -q '^[pr]:xen_unpop/' "$T/uprobe_events"; then
    die "xen_unpop uprobe events already exist (another capture running?); see $T/uprobe_events"
  fi

  case "$(uname -m)" in
    x86_64) A=(%di %si %dx %cx %r8 %r9) ;;
    aarch64|arm64) A=(%x0 %x1 %x2 %x3 %x4 %x5) ;;
    *) die "unsupported architecture $(uname -m): add its argument registers" ;;
  esac
}

# File offset of a function: its address minus the executable LOAD segment's vaddr plus the
# segment's file offset (what uprobe_events wants for PATH:OFFSET).
offset_of() {
  local addr a type off va fsz rest
  addr=$(nm "$BIN" | awk -v s="$1" '$3 == s && ($2 == "T" || $2 == "t") { print $1; exit }')
  [ -n "$addr" ] || return 1
  a=$((16#$addr))
  while read -r type off va _ fsz _ rest; do
    [ "$type" = LOAD ] || continue
    case "$rest" in *E*) ;; *) continue ;; esac
    if (( a >= va && a < va + fsz )); then printf '0x%x\n' $(( a - va + off )); return 0; fi
  done < <(readelf -lW "$BIN")
  return 1
}

define() {  # define KIND NAME SYMBOL ARGS...
  local kind=$1 name=$2 sym=$3; shift 3
  local off def
  off=$(offset_of "$sym") || die "cannot find the file offset of $sym in $BIN"
  def="$kind:xen_unpop/$name $BIN:$off $*"
  echo "$def" >> "$T/uprobe_events" ||
    die "kernel rejected: $def ($(tail -n 3 "$T/error_log" 2>/dev/null | tr '\n' ' '))"
  DEFINED+=("$name")
  echo "$def" >> "$WORK/probes.txt"
}

undefine_all() {
  [ -e "$T/events/xen_unpop/enable" ] && echo 0 > "$T/events/xen_unpop/enable"
  [ -n "${INST:-}" ] && [ -e "$INST/events/xen_unpop/enable" ] && echo 0 > "$INST/events/xen_unpop/enable"
  for ev in "${DEFINED[@]}"; do echo "-:xen_unpop/$ev" >> "$T/uprobe_events"; done
  DEFINED=()
}

# Tracepoint-style: one uprobe per trace_xen_unpop_*() helper, fields named by the contract.
define_tracepoint_style() {
  define p xen_unpop_init trace_xen_unpop_init "target=+0(${A[0]}):string start=${A[1]}:x64 end=${A[2]}:x64 ret=${A[3]}:s32"
  define p xen_unpop_region trace_xen_unpop_region "kind=+0(${A[0]}):string start=${A[1]}:x64 end=${A[2]}:x64"
  define p xen_unpop_fill_list trace_xen_unpop_fill_list "nr_pages=${A[0]}:u32 start=${A[1]}:x64 end=${A[2]}:x64 ret=${A[3]}:s32"
  define p xen_unpop_alloc_page trace_xen_unpop_alloc_page "pfn=${A[0]}:x64"
  define p xen_unpop_alloc trace_xen_unpop_alloc "nr_pages=${A[0]}:u32 ret=${A[1]}:s32"
  define p xen_unpop_free_page trace_xen_unpop_free_page "pfn=${A[0]}:x64"
  define p xen_unpop_free trace_xen_unpop_free "nr_pages=${A[0]}:u32"
  define p xen_unpop_dma_alloc_page trace_xen_unpop_dma_alloc_page "pfn=${A[0]}:x64"
  define p xen_unpop_dma_alloc trace_xen_unpop_dma_alloc "dev=+0(${A[0]}):string nr_pages=${A[1]}:u32 ret=${A[2]}:s32"
  define p xen_unpop_dma_free_page trace_xen_unpop_dma_free_page "pfn=${A[0]}:x64"
  define p xen_unpop_dma_free trace_xen_unpop_dma_free "dev=+0(${A[0]}):string nr_pages=${A[1]}:u32"
}

# Probe-style: what an unpatched kernel allows. Entry probe on the free function (its pages
# follow), return probe on the alloc function (uretprobes cannot fetch arguments: no nr_pages),
# growth from fill_list's helper, page events from the page helpers.
define_probe_style() {
  define p xen_unpop_free xen_free_unpopulated_pages "nr_pages=${A[0]}:u32"
  define r xen_unpop_alloc xen_alloc_unpopulated_pages 'ret=$retval:s32'
  define p xen_unpop_fill_list trace_xen_unpop_fill_list "nr_pages=${A[0]}:u32 start=${A[1]}:x64 end=${A[2]}:x64 ret=${A[3]}:s32"
  define p xen_unpop_alloc_page trace_xen_unpop_alloc_page "pfn=${A[0]}:x64"
  define p xen_unpop_free_page trace_xen_unpop_free_page "pfn=${A[0]}:x64"
}

# trace-cmd record, with the container workaround if needed.
TC_PREFIX=()
setup_trace_cmd() {
  : > "$WORK/kallsyms"
  local need_ns=0 script="mount --bind $WORK/kallsyms /proc/kallsyms"
  if ! (echo 1 > /proc/sys/kernel/ftrace_enabled) 2>/dev/null; then
    need_ns=1; echo 1 > "$WORK/ftrace_enabled"
    script+=" && mount --bind $WORK/ftrace_enabled /proc/sys/kernel/ftrace_enabled"
  fi
  for f in set_ftrace_filter set_ftrace_notrace set_ftrace_pid set_ftrace_notrace_pid; do
    [ -e "$T/$f" ] || continue
    if ! (: > "$T/$f") 2>/dev/null; then
      need_ns=1; : > "$WORK/$f"
      script+=" && mount --bind $WORK/$f $T/$f"
    fi
  done
  if [ $need_ns = 1 ]; then
    note "ftrace_enabled/set_ftrace_* not writable here: running trace-cmd in a mount namespace with dummies"
    echo "workaround: trace-cmd ran in 'unshare --mount' with writable dummy files bound over" \
         "/proc/sys/kernel/ftrace_enabled and the set_ftrace_* files (EPERM in this container)" >> "$WORK/notes.txt"
  fi
  echo "kallsyms: an empty file was bound over /proc/kallsyms while trace-cmd ran (small .dat files)" >> "$WORK/notes.txt"
  TC_PREFIX=(unshare --mount sh -c "$script && exec \"\$0\" \"\$@\"")
}

tc() { "${TC_PREFIX[@]}" trace-cmd "$@"; }
