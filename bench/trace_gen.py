#!/usr/bin/env python3
"""Writes a realistic tracefs `trace` text of the unpopulated-alloc contract events.

    bench/trace_gen.py [-n EVENTS] [-s SEED] [-o FILE]      (default 1,000,000 events, stdout)

The allocator is simulated like the kernel's: a LIFO page list, growth by whole 128 MiB
sections (32768 pfns of 4 KiB) carved in order from the extended region above RAM (the one
below it is outside the pluggable range), the first page handed out after a growth being the range's last pfn. Several tasks on
four CPUs allocate 1..64 pages (mostly small, gntdev-like) and free them later, whole or as
they were allocated; a few tracing_mark_write and sched_switch lines are mixed in, as in real
captures. Lines follow kernel/trace/trace_output.c: `%16s-%-7d [%03d] %s %5lu.%06lu: `.
The output is a valid, violation-free trace (for the replay benchmark later).
"""
import argparse
import random
import sys

PAGES_PER_SECTION = 1 << (27 - 12)
REGIONS = [(0x40000000, 0x7FFFFFFF), (0x88000000, 0x47FFFFFFF)]  # inclusive byte ranges
# Where growth is possible: arm64's mhp_get_pluggable_range() starts at the linear map's base
# (memstart, the lowest RAM: 0x80000000 in bench/replay_iomem.txt), so the region below RAM is
# advertised but never grown into; allocate_resource takes the lowest free sections above it.
USABLE = [REGIONS[1]]
TASKS = [("gntdev", 212), ("qemu-system-aar", 340), ("xenstored", 55),
         ("kworker/0:1-events", 77), ("<...>", 999), ("xl", 4102)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="number of event lines")
    ap.add_argument("-s", type=int, default=1, help="random seed")
    ap.add_argument("-o", default="-", help="output file (default stdout)")
    args = ap.parse_args()
    rnd = random.Random(args.s)
    out = sys.stdout if args.o == "-" else open(args.o, "w", buffering=1 << 20)
    w = out.write

    w("# tracer: nop\n#\n")
    w(f"# entries-in-buffer/entries-written: {args.n}/{args.n}   #P:4\n#\n")
    w("#                                _-----=> irqs-off/BH-disabled\n"
      "#                               / _----=> need-resched\n"
      "#                              | / _---=> hardirq/softirq\n"
      "#                              || / _--=> preempt-depth\n"
      "#                              ||| / _-=> migrate-disable\n"
      "#                              |||| /     delay\n"
      "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
      "#              | |         |   |||||     |         |\n")

    ts = 52_000_000  # microseconds
    n = 0
    buf = []

    def line(task, cpu, event, fields, flags="....."):
        nonlocal ts, n
        ts += rnd.randint(1, 40)
        comm, pid = task
        buf.append(f"{comm:>16}-{pid:<7} [{cpu:03d}] {flags} {ts // 1000000:5d}.{ts % 1000000:06d}: "
                   f"{event}: {fields}\n")
        n += 1
        if len(buf) >= 4096:
            w("".join(buf))
            buf.clear()

    boot = ("swapper/0", 1)
    line(boot, 0, "xen_unpop_region", f"kind=ext start={REGIONS[0][0]:#x} end={REGIONS[0][1]:#x}")
    line(boot, 0, "xen_unpop_region",
         f"kind=unavailable start={REGIONS[0][1] + 1:#x} end={REGIONS[1][0] - 1:#x}")
    line(boot, 0, "xen_unpop_region", f"kind=ext start={REGIONS[1][0]:#x} end={REGIONS[1][1]:#x}")
    line(boot, 0, "xen_unpop_init",
         f"target=xen_resource start={REGIONS[0][0]:#x} end={REGIONS[1][1]:#x} ret=0")

    pool = []            # pfn stack, pool[-1] handed out first
    region, bump = 0, USABLE[0][0]
    live = []            # (task, [pfns]) allocations not yet freed
    task_cpu = {t: rnd.randrange(4) for t in TASKS}

    def grow(task, cpu, missing):
        nonlocal region, bump
        size = -(-missing // PAGES_PER_SECTION) * PAGES_PER_SECTION * 4096
        while region < len(USABLE) and bump + size - 1 > USABLE[region][1]:
            region += 1
            if region < len(USABLE):
                bump = USABLE[region][0]
        if region >= len(USABLE):
            line(task, cpu, "xen_unpop_fill_list", f"nr_pages={missing} start=0x0 end=0x0 ret=-12")
            return False
        start, end = bump, bump + size - 1
        bump += size
        pool.extend(range(start >> 12, (end >> 12) + 1))
        line(task, cpu, "xen_unpop_fill_list",
             f"nr_pages={missing} start={start:#x} end={end:#x} ret=0")
        return True

    while n < args.n:
        task = rnd.choice(TASKS)
        if rnd.random() < 0.02:  # migration
            task_cpu[task] = rnd.randrange(4)
        cpu = task_cpu[task]
        r = rnd.random()
        if r < 0.005:
            line(task, cpu, "tracing_mark_write", f"phase=round {n} of the benchmark")
            continue
        if r < 0.01:
            line(task, cpu, "sched_switch",
                 f"prev_comm={task[0]} prev_pid={task[1]} prev_prio=120 prev_state=S ==> "
                 f"next_comm=swapper/{cpu} next_pid=0 next_prio=120", flags="d..2.")
            continue
        if live and (len(live) > 300 or rnd.random() < 0.48):
            owner, pfns = live.pop(rnd.randrange(len(live)))
            c = task_cpu[owner]
            for pfn in pfns:
                line(owner, c, "xen_unpop_free_page", f"pfn={pfn:#x}")
            pool.extend(pfns)
            line(owner, c, "xen_unpop_free", f"nr_pages={len(pfns)}")
            continue
        nr = rnd.choice((1, 1, 1, 2, 2, 4, 4, 8, 16, 32, 64))
        if len(pool) < nr and not grow(task, cpu, nr - len(pool)):
            line(task, cpu, "xen_unpop_alloc", f"nr_pages={nr} ret=-12")
            continue
        pfns = [pool.pop() for _ in range(nr)]
        for pfn in pfns:
            line(task, cpu, "xen_unpop_alloc_page", f"pfn={pfn:#x}")
        line(task, cpu, "xen_unpop_alloc", f"nr_pages={nr} ret=0")
        live.append((task, pfns))
    w("".join(buf))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
