#!/usr/bin/env python3
"""Runs a kernel's scripts/checkpatch.pl --strict on each patch of the series.

A patch passes with 0 errors and 0 warnings; --strict's CHECKs must be 0 too, except in
include/trace/events/, where the TRACE_EVENT() layout every trace header in the tree uses
(TP_STRUCT__entry( at a line's end, continuation lines not aligned to the parenthesis) is what
--strict flags. Every count is printed.

usage: checkpatch.py CHECKPATCH_PL PATCH...
exit 0 if every patch passes, 1 if one does not, 2 if checkpatch could not run.
"""
import os
import re
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        print("usage: checkpatch.py CHECKPATCH_PL PATCH...", file=sys.stderr)
        return 2
    script, patches = sys.argv[1], sys.argv[2:]
    bad = False
    for p in patches:
        # An absolute path: given "kernel/..." relative to a git checkout, checkpatch.pl checks
        # the file as a source file of that tree rather than as a patch.
        r = subprocess.run(["perl", script, "--strict", "--no-tree", "--color=never",
                            os.path.abspath(p)],
                           capture_output=True, text=True)
        total = re.search(r"total: (\d+) errors, (\d+) warnings, (?:(\d+) checks, )?", r.stdout)
        if not total:
            print(f"{p}: checkpatch.pl printed no total:\n{r.stdout}{r.stderr}", file=sys.stderr)
            return 2
        errors, warnings = int(total.group(1)), int(total.group(2))
        checks = re.findall(r"^CHECK: .*\n#\d+: FILE: (\S+?):\d+:", r.stdout, re.M)
        outside = [f for f in checks if not f.startswith("include/trace/events/")]
        if len(checks) != int(total.group(3) or 0):
            print(f"{p}: could not place every CHECK in a file:\n{r.stdout}", file=sys.stderr)
            return 2
        ok = errors == 0 and warnings == 0 and not outside
        print(f"{'ok  ' if ok else 'FAIL'} {p}: {errors} errors, {warnings} warnings, {len(checks)} checks"
              f" ({len(outside)} outside include/trace/events/)")
        if not ok:
            print(r.stdout)
            bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
