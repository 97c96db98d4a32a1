#!/usr/bin/env python3
"""Extracts the kernel files conform/ compiles from a Debian linux-source-* tarball.

Nothing extracted here is committed: the build runs this at configure/build time into the build
tree. Whole files are copied as they are (most are compiled; a few are there for the kernel
patches and checkpatch.pl, see WHOLE). A few single definitions are *sliced* out of files we
do not compile whole (arch/arm/xen/enlighten.c, mm/memory_hotplug.c, lib/bitmap.c,
lib/find_bit.c), verbatim, into slices/<name>.c, each preceded by a #line directive so compiler
messages point into the original file.

usage: extract.py TARBALL OUTDIR
exit 0 on success, 2 with a message naming what is missing otherwise.
"""
import os
import re
import subprocess
import sys
import tempfile

WHOLE = [
    "drivers/xen/unpopulated-alloc.c",
    "kernel/resource.c",
    "lib/genalloc.c",
    "include/linux/ioport.h",
    "include/linux/genalloc.h",
    "include/linux/list.h",
    "include/linux/range.h",
    # Not compiled: what this project's kernel patches (kernel/patches) touch besides
    # unpopulated-alloc.c, so the series applies to the extracted tree, and checkpatch.pl with
    # its data files for the series' style check.
    "include/xen/xen.h",
    "include/xen/grant_table.h",
    "drivers/xen/grant-table.c",
    "arch/x86/xen/enlighten.c",
    "arch/arm/xen/enlighten.c",
    "MAINTAINERS",
    "scripts/checkpatch.pl",
    "scripts/spelling.txt",
    "scripts/const_structs.checkpatch",
]
# (source file, kind, name, required): kind "fn" is a function definition from its signature line to the
# first "}" in column 0; "macro" a #define with its continuation lines; "var" a definition up to
# the first line ending with "};".
SLICES = [
    ("arch/arm/xen/enlighten.c", "macro", "EXT_REGION_INDEX"),
    ("arch/arm/xen/enlighten.c", "var", "xen_resource"),
    ("arch/arm/xen/enlighten.c", "fn", "arch_xen_unpopulated_init"),
    # Added in v6.10 (a6aa4eb994ee); before it, x86 uses unpopulated-alloc.c's __weak default.
    ("arch/x86/xen/enlighten.c", "fn", "arch_xen_unpopulated_init", False),
    ("mm/memory_hotplug.c", "fn", "mhp_get_pluggable_range"),
    ("mm/memory_hotplug.c", "fn", "mhp_range_allowed"),
    ("lib/bitmap.c", "fn", "__bitmap_set"),
    ("lib/bitmap.c", "fn", "__bitmap_clear"),
    ("lib/bitmap.c", "fn", "bitmap_find_next_zero_area_off"),
    ("lib/find_bit.c", "macro", "FIND_FIRST_BIT"),
    ("lib/find_bit.c", "macro", "FIND_NEXT_BIT"),
    ("lib/find_bit.c", "fn", "_find_first_bit"),
    ("lib/find_bit.c", "fn", "_find_next_bit"),
    ("lib/find_bit.c", "fn", "_find_next_zero_bit"),
]


def fail(msg):
    print(f"extract.py: {msg}", file=sys.stderr)
    sys.exit(2)


def start_line(lines, kind, name):
    if kind == "macro":
        pat = re.compile(r"^#define\s+" + re.escape(name) + r"\b")
    elif kind == "var":
        pat = re.compile(r"^(static\s+)?struct\s+\w+\s+" + re.escape(name) + r"\s*=")
    else:  # a definition: the name followed by "(" at the start of a line or after the type
        pat = re.compile(r"^[A-Za-z_].*\b" + re.escape(name) + r"\s*\(")
    for i, line in enumerate(lines):
        if pat.search(line) and not line.rstrip().endswith(";"):
            return i
    return None


def cut(lines, kind, i):
    if kind == "macro":
        j = i
        while lines[j].rstrip().endswith("\\"):
            j += 1
        return i, j
    # Include the attribute/type line above a split signature ("static int\nfoo(").
    if kind == "fn" and i > 0 and re.match(r"^[a-z_ ]+\w\s*\*?\s*$", lines[i - 1]) and "(" not in lines[i]:
        i -= 1
    end = "};" if kind == "var" else "}"
    for j in range(i, len(lines)):
        if lines[j].rstrip() == end:
            return i, j
    return None


def write_slices(src, out, top, specs):
    """Writes each slice of `specs` taken from the tree at `src` into out/slices/."""
    os.makedirs(os.path.join(out, "slices"), exist_ok=True)
    for spec in specs:
        path, kind, name = spec[:3]
        required = spec[3] if len(spec) > 3 else True
        with open(os.path.join(src, path)) as f:
            lines = f.read().split("\n")
        i = start_line(lines, kind, name)
        span = cut(lines, kind, i) if i is not None else None
        tag = path.replace("/", "_").replace(".c", "")
        dst = os.path.join(out, "slices", f"{tag}__{name}.c")
        if span is None and not required:
            with open(dst, "w") as g:  # an empty slice: the kernel has no such definition
                g.write(f"/* {path} of {top} has no {name} */\n#define KSHIM_NO_{name.upper()} 1\n")
            continue
        if span is None:
            fail(f"{path}: no {kind} '{name}' found in {src}")
        a, b = span
        with open(dst, "w") as g:
            g.write(f'#line {a + 1} "{path}"\n' + "\n".join(lines[a:b + 1]) + "\n")


def main():
    if len(sys.argv) != 3:
        fail("usage: extract.py TARBALL OUTDIR")
    tarball, out = sys.argv[1], sys.argv[2]
    if not os.path.exists(tarball):
        fail(f"{tarball} not found (apt-get install {os.path.basename(tarball).split('.tar')[0]})")
    top = os.path.basename(tarball).split(".tar")[0]  # linux-source-6.12
    members = sorted(set(WHOLE + [s[0] for s in SLICES]))
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["tar", "-xJf", tarball, "-C", tmp] + [f"{top}/{m}" for m in members],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"tar could not extract {members} from {tarball}: {r.stderr.strip()}")
        src = os.path.join(tmp, top)
        for m in WHOLE:
            dst = os.path.join(out, m)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(os.path.join(src, m)) as f, open(dst + ".tmp", "w") as g:
                g.write(f.read())
            os.replace(dst + ".tmp", dst)
        write_slices(src, out, top, SLICES)
    with open(os.path.join(out, "extracted.stamp"), "w") as g:
        g.write(tarball + "\n")


if __name__ == "__main__":
    main()
