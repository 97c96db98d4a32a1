#!/usr/bin/env python3
"""Applies this project's kernel patch series to a copy of an extracted kernel tree.

The tree conform/extract.py extracted (SRC) stays pristine; the files the series touches are
copied into DST and the patches applied there with patch(1), in the order given (the build
passes the series in file-name order, the order git format-patch numbers them, and a seeded
bug of kernel/seeded after it). A patch that does not apply cleanly (fuzz or offset included)
is an error: the series is written against this exact kernel.

usage: apply_patches.py SRC DST PATCH...
exit 0 on success, 2 with the patch and patch(1)'s message otherwise.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import extract  # noqa: E402  (its slicing: a patched file's slices are cut again)


def fail(msg):
    print(f"apply_patches.py: {msg}", file=sys.stderr)
    sys.exit(2)


def touched(patch, created=False):
    """The files a patch changes (its '+++ b/' lines); with created, only those it creates
    ('--- /dev/null'), else only those it modifies."""
    with open(patch) as f:
        pairs = re.findall(r"^--- (\S+).*\n\+\+\+ b/(\S+)", f.read(), re.M)
    return [b for a, b in pairs if (a == "/dev/null") == created]


def main():
    if len(sys.argv) < 4:
        fail("usage: apply_patches.py SRC DST PATCH...")
    src, dst, patches = sys.argv[1], sys.argv[2], sys.argv[3:]
    if os.path.exists(dst):
        shutil.rmtree(dst)
    for p in patches:
        for rel in touched(p):
            if os.path.exists(os.path.join(dst, rel)):
                continue
            if not os.path.exists(os.path.join(src, rel)):
                fail(f"{p} changes {rel}, which conform/extract.py did not extract into {src}")
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copyfile(os.path.join(src, rel), os.path.join(dst, rel))
    for p in patches:
        r = subprocess.run(["patch", "-p1", "--batch", "--forward", "--fuzz=0", "-d", dst, "-i", os.path.abspath(p)],
                           capture_output=True, text=True)
        out = (r.stdout + r.stderr).strip()
        if r.returncode != 0 or "offset" in out or "fuzz" in out:
            fail(f"{p} does not apply cleanly to {src}:\n{out}")
    # Definitions the harness slices out of a file the series changed are cut again from the
    # patched file, into DST/slices/ (found before the pristine ones).
    changed = {rel for p in patches for rel in touched(p) + touched(p, created=True)}
    extract.write_slices(dst, dst, os.path.basename(src), [s for s in extract.SLICES if s[0] in changed])
    # The series as applied, so `unpopcheck conform --patches DIR` can tell whether DIR is it.
    os.makedirs(os.path.join(dst, "patches"))
    for p in patches:
        shutil.copyfile(p, os.path.join(dst, "patches", os.path.basename(p)))
    with open(os.path.join(dst, "applied.stamp"), "w") as g:
        g.write("\n".join(os.path.basename(p) for p in patches) + "\n")


if __name__ == "__main__":
    main()
