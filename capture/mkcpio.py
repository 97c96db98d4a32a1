#!/usr/bin/env python3
"""Writes a directory tree as a gzip'd newc cpio archive (a Linux initramfs).

    mkcpio.py DIR OUT.cpio.gz

Here so that the host needs no cpio package: the format is a 110-byte ASCII header per file,
name and data each padded to 4 bytes, and a TRAILER!!! entry. Owners are root, times 0, so the
archive depends on the files only.
"""
import gzip
import os
import stat
import sys


def entry(out, ino, name, mode, data=b"", nlink=1):
    nb = name.encode() + b"\0"
    hdr = "070701" + "".join(f"{v:08x}" for v in (
        ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(nb), 0))
    out.write(hdr.encode() + nb)
    out.write(b"\0" * ((4 - (110 + len(nb)) % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - len(data) % 4) % 4))


def main(argv):
    if len(argv) != 3 or not os.path.isdir(argv[1]):
        print("usage: mkcpio.py DIR OUT.cpio.gz", file=sys.stderr)
        return 2
    root, ino = argv[1], 1
    with gzip.open(argv[2], "wb", compresslevel=1) as out:
        for d, dirs, files in os.walk(root):
            dirs.sort()
            for n in sorted(dirs) + sorted(files):
                p = os.path.join(d, n)
                rel = os.path.relpath(p, root)
                st = os.lstat(p)
                ino += 1
                if stat.S_ISLNK(st.st_mode):
                    entry(out, ino, rel, st.st_mode, os.readlink(p).encode())
                elif stat.S_ISDIR(st.st_mode):
                    entry(out, ino, rel, st.st_mode, nlink=2)
                elif stat.S_ISREG(st.st_mode):
                    with open(p, "rb") as f:
                        entry(out, ino, rel, st.st_mode, f.read())
                else:
                    print(f"mkcpio.py: {p}: not a file, directory or symlink", file=sys.stderr)
                    return 2
        entry(out, 0, "TRAILER!!!", 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
