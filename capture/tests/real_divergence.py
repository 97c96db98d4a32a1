#!/usr/bin/env python3
"""real_divergence.py UNPOPCHECK FIXTURE_DIR: replay validation on a real boot (issue 12).

The committed trace of a real Xen/Arm dom0 (capture/fixtures/*, mainline 6.12 traced with
kprobes, page= struct page pointers) replays `ok` with `upstream` chosen. Two edited copies must
not: each is a behaviour no variant has, though no safety rule breaks in it.

  swapped   the first growth and the first growth of the other region exchange places (every
            page moves with its growth): allocate_resource takes the lowest free gap, so the
            kernel could not have grown at the higher one first -> exit 3, growth-placement, at
            the first growth, naming the model's range and the kernel's;
  reversed  one allocation's pages in the opposite order: page_list hands out LIFO -> exit 3,
            page-choice, at that allocation.
"""
import json
import lzma
import os
import re
import subprocess
import sys
import tempfile

PAGE = re.compile(r"page=(0x[0-9a-f]+)")
FILL = re.compile(r"start=(0x[0-9a-f]+) end=(0x[0-9a-f]+)")
STRUCT_PAGE = 64  # sizeof(struct page) on arm64 6.12


def replay(cli, fixture, trace):
    cmd = [cli, "replay", "--dtb", os.path.join(fixture, "fdt.dtb"), "--iomem",
           os.path.join(fixture, "iomem-before.txt"), "--drained", "--json", trace]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, json.loads(p.stdout)


def growths(lines):
    out = []
    for i, l in enumerate(lines):
        if "xen_unpop_fill_list:" in l:
            m = FILL.search(l)
            out.append((i, int(m.group(1), 16), int(m.group(2), 16)))
    return out


def vmemmap(lines, first_growth_end):
    """The struct page array base: page_list is LIFO, so the first page handed out after the
    first growth is that growth's last pfn."""
    for l in lines:
        if "xen_unpop_alloc_page:" in l:
            return int(PAGE.search(l).group(1), 16) - (first_growth_end >> 12) * STRUCT_PAGE
    sys.exit("real_divergence: no page event in the trace")


def swapped(lines):
    gs = growths(lines)
    a = gs[0]
    # a later growth of a's size that does not continue a (in the 2G boot: the other region's)
    b = next(g for g in gs[1:] if g[2] - g[1] == a[2] - a[1] and g[1] > a[2] + 1)
    base = vmemmap(lines, a[2])
    delta = (b[1] - a[1]) >> 12

    def move(m):
        pfn = (int(m.group(1), 16) - base) // STRUCT_PAGE
        if a[1] >> 12 <= pfn <= a[2] >> 12:
            pfn += delta
        elif b[1] >> 12 <= pfn <= b[2] >> 12:
            pfn -= delta
        return f"page={base + pfn * STRUCT_PAGE:#x}"

    out = []
    for i, l in enumerate(lines):
        if i == a[0]:
            l = l.replace(f"start={a[1]:#x} end={a[2]:#x}", f"start={b[1]:#x} end={b[2]:#x}")
        elif i == b[0]:
            l = l.replace(f"start={b[1]:#x} end={b[2]:#x}", f"start={a[1]:#x} end={a[2]:#x}")
        else:
            l = PAGE.sub(move, l)
        out.append(l)
    return out, a, b


def reversed_alloc(lines, nth):
    """The pages of the nth allocation of at least 3 pages, reversed; and its summary's line (1-based)."""
    pages, seen = [], 0
    for i, l in enumerate(lines):
        if "xen_unpop_alloc_page:" in l:
            pages.append(i)
        elif "xen_unpop_alloc:" in l:
            if len(pages) >= 3:
                seen += 1
                if seen == nth:
                    vals = [PAGE.search(lines[j]).group(1) for j in pages]
                    out = list(lines)
                    for j, v in zip(pages, reversed(vals)):
                        out[j] = PAGE.sub("page=" + v, lines[j])
                    return out, i + 1
            pages = []
    sys.exit("real_divergence: no allocation of 3 pages or more")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    cli, fixture = sys.argv[1:]
    with lzma.open(os.path.join(fixture, "trace.txt.xz"), "rt") as f:
        lines = f.read().splitlines(keepends=True)
    fails = checks = 0

    def check(name, ok, detail):
        nonlocal fails, checks
        print(("ok: " if ok else "FAIL: ") + name + ("" if ok else ": " + detail))
        fails += not ok
        checks += 1

    with tempfile.TemporaryDirectory() as tmp:
        orig = os.path.join(tmp, "trace.txt")
        open(orig, "w").writelines(lines)
        rc, j = replay(cli, fixture, orig)
        chosen = (j.get("variant") or {}).get("chosen")
        check("the real boot replays ok, upstream chosen", rc == 0 and chosen == "upstream",
              f"exit {rc}, chosen {chosen}, verdict {j.get('verdict')}")

        text, a, b = swapped(lines)
        path = os.path.join(tmp, "swapped.txt")
        open(path, "w").writelines(text)
        rc, j = replay(cli, fixture, path)
        d = j.get("divergence") or {}
        want_model, want_kernel = f"growth {a[1]:#x}-{a[2]:#x}", f"growth {b[1]:#x}-{b[2]:#x}"
        check("two growths swapped: exit 3 at the first growth, both ranges named",
              rc == 3 and d.get("kind") == "growth-placement" and d.get("line") == a[0] + 1 and
              d.get("model") == want_model and d.get("kernel") == want_kernel,
              f"exit {rc}, divergence {json.dumps(d)[:400]} (want line {a[0] + 1}, {want_model} / {want_kernel})")
        check("  and no rule broke", not j.get("violations"), json.dumps(j.get("violations"))[:300])

        text, line = reversed_alloc(lines, 2)
        path = os.path.join(tmp, "reversed.txt")
        open(path, "w").writelines(text)
        rc, j = replay(cli, fixture, path)
        d = j.get("divergence") or {}
        check("one allocation's pages reversed: exit 3 at that allocation",
              rc == 3 and d.get("kind") == "page-choice" and d.get("line") == line,
              f"exit {rc}, divergence {json.dumps(d)[:400]} (want line {line})")
    print(f"{checks - fails} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
