#!/usr/bin/env python3
"""Writes kernel/seeded/*.patch: one planted bug each in the patched unpopulated-alloc.c.

Each bug is one exact text substitution in the file the series (kernel/patches) produces; this
script turns each into a unified diff against that file, so the seeded patches follow the
series whenever it changes. Run it after changing the series and rebuilding:

  kernel/seeded/make_seeded.py build/conform/linux-6.12-proposed/drivers/xen/unpopulated-alloc.c

exit 0, or 2 if a substitution's text is not found exactly once (the series changed there:
update the table below).
"""
import difflib
import os
import sys

FILE = "drivers/xen/unpopulated-alloc.c"

# name, what it breaks, text in the patched file, text of the bug
BUGS = [
    ("no-iomem-check",
     "Growth no longer checks iomem_resource: a section busy there (hot-plugged RAM, a driver's MMIO) is chosen, "
     "and its mirror request_resource() fails (-EBUSY) as upstream's wedge does.",
     "\t\twalk_iomem_res_desc(IORES_DESC_NONE, 0, lo, end, &busy,\n\t\t\t\t    first_busy);\n",
     ""),
    ("ignore-dma-mask",
     "Contiguous allocations ignore the device's DMA mask: a 32-bit device can be handed pages above 4 GiB.",
     "\tunsigned long max_pfn = PHYS_PFN(dma_get_mask(dev));\n",
     "\tunsigned long max_pfn = ULONG_MAX;\n"),
    ("unvalidated-free",
     "xen_free_unpopulated_pages() takes back any page of the pool: a double free or a contiguous allocation's "
     "page freed as a plain one is counted again.",
     "\t\tif (!plain_page_live(pfn)) {\n",
     "\t\tif (!growth_of(pfn)) {\n"),
    ("best-fit-highest",
     "best_fit() keeps the last of equally short runs instead of the first (lowest).",
     "\t\tif (len >= nr && (!found || len < best_len)) {\n",
     "\t\tif (len >= nr && (!found || len <= best_len)) {\n"),
    ("runs-stop-at-growths",
     "A free run ends at its growth's end: adjacent growths no longer form one run, so contiguous allocations "
     "and best fit see shorter runs.",
     "\t\t\tif (end < g->nr_pages ||\n\t\t\t    list_is_last(&g->list, &pool_growths))\n\t\t\t\treturn true;\n",
     "\t\t\tif (end <= g->nr_pages)\n\t\t\t\treturn true;\n"),
    ("contig-free-any-length",
     "The contiguous free checks only that the first page starts an allocation, not the length: a partial free "
     "returns pages still in use.",
     "\tif (!WARN(contig_len(first) != nr_pages,\n",
     "\tif (!WARN(!page_has(first, GROWTH_HEAD),\n"),
]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_seeded.py PATCHED_UNPOPULATED_ALLOC_C")
    with open(sys.argv[1]) as f:
        text = f.read()
    out = os.path.dirname(os.path.abspath(__file__))
    for name, what, old, new in BUGS:
        if text.count(old) != 1:
            print(f"make_seeded.py: {name}: its text is in {sys.argv[1]} {text.count(old)} times, not once",
                  file=sys.stderr)
            sys.exit(2)
        bug = text.replace(old, new)
        diff = difflib.unified_diff(text.splitlines(True), bug.splitlines(True), f"a/{FILE}", f"b/{FILE}", n=3)
        with open(os.path.join(out, f"{name}.patch"), "w") as g:
            g.write(f"Seeded bug (kernel/seeded/README.md): {what}\n\n")
            g.write(f"diff --git a/{FILE} b/{FILE}\n")
            g.writelines(diff)


if __name__ == "__main__":
    main()
