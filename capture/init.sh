#!/bin/busybox sh
# /init of the dom0 initramfs that scripts/capture-qemu builds (busybox ash, not bash: bash is
# in the initramfs only for scripts/capture-kprobes).
#
# Loads the Xen device modules, finds the page-loop probe points (unpopwork locate), runs the
# workload under scripts/capture-kprobes with trace-cmd recording the same events, then prints
# every artefact on the console between markers the host parses:
#   @@UNPOP-BEGIN NAME SIZE SHA256      (then base64 lines)
#   @@UNPOP-END NAME
# and @@UNPOP-DONE NAME... at the end (the host checks that each named artefact arrived), or @@UNPOP-FAIL REASON when a step fails (then it powers off
# at once: the host must not wait for its timeout when the guest already knows it failed).
# Parameters come from the kernel command line (guest-loader bootargs):
#   unpop.work=K=V,K=V   unpopwork run arguments     unpop.gntalloc_limit=N   unpop.gntdev_limit=N
#   unpop.buf_kb=N       per-CPU trace buffer (both the capture instance and trace-cmd's)
#   unpop.pages=0        no page probes: summary-only events (the replay's anonymous pages)

/bin/busybox mkdir -p /proc /sys /dev /tmp /out /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tracefs nodev /sys/kernel/tracing

# Each stage line carries dom0's uptime, so that a slow step shows in the console.
stage() { echo "@@UNPOP-STAGE [$(cut -d' ' -f1 /proc/uptime)] $*"; }
fail() {
  echo "@@UNPOP-FAIL $*"
  echo 1 > /proc/sys/kernel/printk
  [ -s /out/capture.log ] && tail -n 20 /out/capture.log
  poweroff -f
  sleep 60
}

param() { # param NAME DEFAULT: unpop.NAME=VALUE from /proc/cmdline
  v=$(tr ' ' '\n' < /proc/cmdline | sed -n "s/^unpop\.$1=//p" | tail -n 1)
  echo "${v:-$2}"
}

stage "dom0 up: $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus, $(grep MemTotal /proc/meminfo)"
WORK=$(param work "" | tr ',' ' ')
BUF_KB=$(param buf_kb 16384)

# Modules: those the kernel package builds as modules are in /lib/modules (decompressed by the
# host); a driver built in has /sys/module/NAME already and needs no loading.
for m in xen-evtchn xen-privcmd xen-gntdev xen-gntalloc; do
  args=
  case $m in
    xen-gntdev) args="limit=$(param gntdev_limit 1048576)" ;;
    xen-gntalloc) args="limit=$(param gntalloc_limit 4096)" ;;
  esac
  sysname=$(echo "$m" | tr - _)
  if [ -f "/lib/modules/$m.ko" ]; then
    insmod "/lib/modules/$m.ko" $args || fail "insmod $m $args"
    stage "loaded $m $args"
  elif [ -d "/sys/module/$sysname" ]; then
    stage "$m is built in"
    [ -n "$args" ] && for kv in $args; do
      echo "${kv#*=}" > "/sys/module/$sysname/parameters/${kv%%=*}" || fail "cannot set $m $kv"
    done
  else
    fail "$m: neither a module in the initramfs nor built in"
  fi
done
[ -c /dev/xen/gntdev ] && [ -c /dev/xen/gntalloc ] || fail "no /dev/xen/gntdev or /dev/xen/gntalloc"

# The dump port (scripts/capture-qemu: a virtio serial port named unpop.dump) is much faster
# than Xen's console; without it the artefacts go to the console.
OUTDEV=/dev/console
if [ -f /lib/modules/virtio_mmio.ko ] && insmod /lib/modules/virtio_mmio.ko; then
  for i in 1 2 3 4 5 6 7 8 9 10; do
    for p in /sys/class/virtio-ports/*; do
      [ "$(cat "$p/name" 2>/dev/null)" = unpop.dump ] && [ -c "/dev/${p##*/}" ] && OUTDEV=/dev/${p##*/}
    done
    [ "$OUTDEV" != /dev/console ] && break
    sleep 0.5
  done
fi
stage "artefacts go to $OUTDEV"

# Where kprobes see each page: the instruction offsets of this build's loops.
/bin/unpopwork locate > /out/locate.txt 2>&1 || { cat /out/locate.txt; fail "unpopwork locate"; }
ALLOC_AT=$(awk '$1 == "probe" && $2 == "alloc_page" { print $3 ":" $4 }' /out/locate.txt)
FREE_AT=$(awk '$1 == "probe" && $2 == "free_page" { print $3 ":" $4 }' /out/locate.txt)
PAGE_ARGS="--alloc-page-at $ALLOC_AT --free-page-at $FREE_AT"
if [ "$(param pages 1)" = 0 ]; then
  PAGE_ARGS=
  stage "page probes: none (unpop.pages=0; located: alloc $ALLOC_AT, free $FREE_AT)"
else
  stage "page probes: alloc $ALLOC_AT, free $FREE_AT"
fi

# The capture: capture-kprobes' own instance gives the text trace; trace-cmd records the same
# events (top instance) into trace.dat, so both are two recordings of one run.
stage "capture: unpopwork run $WORK"
bash /bin/capture-kprobes -o /out -b "$BUF_KB" $PAGE_ARGS -- \
  trace-cmd record -q -b "$BUF_KB" -e xen_unpop --file-version 7 --compression zstd \
    -o /out/trace.dat -- /bin/unpopwork run $WORK > /out/capture.log 2>&1
STATUS=$?
cat /out/capture.log
[ "$STATUS" = 0 ] || fail "capture exited $STATUS"
stage "captured"
uname -a > /out/uname.txt

# Quiet the kernel before the dump: a printk line inside a base64 block breaks its checksum.
echo 1 > /proc/sys/kernel/printk
stage "compress"
gzip -9 -c /out/trace.txt > /out/trace.txt.gz
stage "dump"
ARTEFACTS="trace.txt.gz trace.dat iomem-before.txt iomem-after.txt fdt.dtb probes.txt locate.txt
           capture.log uname.txt"
for f in $ARTEFACTS; do
  [ -f "/out/$f" ] || fail "missing /out/$f"
  echo "@@UNPOP-BEGIN $f $(wc -c < "/out/$f") $(sha256sum "/out/$f" | cut -d' ' -f1)"
  base64 "/out/$f"
  echo "@@UNPOP-END $f"
done > "$OUTDEV"
echo "@@UNPOP-DONE" $ARTEFACTS > "$OUTDEV"
stage "done"
poweroff -f
sleep 60
