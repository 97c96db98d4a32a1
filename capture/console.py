#!/usr/bin/env python3
"""Pulls the artefacts capture/init.sh printed out of a QEMU console log.

    console.py OUTDIR LOG...

LOG is the console log, and the dump port's log when the guest had one (the guest prints the
artefacts on the port when it has it, else on the console: both are read the same way).

The guest prints each file as
    @@UNPOP-BEGIN NAME SIZE SHA256
    <base64 lines>
    @@UNPOP-END NAME
then @@UNPOP-DONE NAME... (the names of every artefact it sent), or @@UNPOP-FAIL REASON. Each file is decoded, its size and SHA-256 checked
against what the guest computed (a mismatch is an error: a console line that got into a block,
a dropped character), and written to OUTDIR/NAME. Exit 0 when every block checked out and the
guest said DONE and every artefact DONE names arrived; 1 when the guest failed, a block is
corrupt or missing, or the log has no DONE; 2 usage.
"""
import base64
import binascii
import hashlib
import os
import re
import sys

BEGIN = re.compile(r"@@UNPOP-BEGIN (\S+) (\d+) ([0-9a-f]{64})$")
B64 = re.compile(r"^[A-Za-z0-9+/=]+$")


def main(argv):
    if len(argv) < 3:
        print("usage: console.py OUTDIR LOG...", file=sys.stderr)
        return 2
    out, errors, done, got, seen = argv[1], [], None, 0, set()
    os.makedirs(out, exist_ok=True)
    for log in argv[2:]:
        r = read_log(log, out, seen)
        if r is None:
            return 2
        errors += r[0]
        done = r[1] if r[1] is not None else done
        got += r[2]
    if done is None:
        errors.append(f"{', '.join(argv[2:])}: no @@UNPOP-DONE: the guest did not finish")
    else:
        written = {n for n in os.listdir(out)} if os.path.isdir(out) else set()
        for n in done:
            if n not in seen:
                errors.append(f"{n}: the guest sent it (@@UNPOP-DONE lists it) but no block "
                              f"of that name was found")
            elif n not in written:
                pass  # its block was corrupt: already an error
        if not done:
            errors.append("@@UNPOP-DONE names no artefact")
    for e in errors:
        print(f"console.py: error: {e}", file=sys.stderr)
    if not errors:
        print(f"console.py: {got} artefacts checked (size and sha256) into {out}")
    return 1 if errors else 0


def read_log(log, out, seen):
    """(errors, done, artefacts written) of one log; None when it cannot be read."""
    try:
        with open(log, "rb") as f:
            # Xen's serial console sends CRLF; dom0's hvc output may come with stray NULs.
            lines = f.read().replace(b"\r", b"").replace(b"\0", b"").decode("latin-1").split("\n")
    except OSError as e:
        print(f"console.py: cannot read {log}: {e}", file=sys.stderr)
        return None
    errors, done, name, got = [], None, None, 0
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        # A marker may follow console noise on the same line (a prompt, an escape code).
        at = line.find("@@UNPOP-")
        marker = line[at:] if at >= 0 else None
        if name is None:
            if marker is None:
                continue
            m = BEGIN.match(marker)
            if m:
                name, size, digest, chunks, start = m.group(1), int(m.group(2)), m.group(3), [], no
                if "/" in name or name.startswith(".") or name in seen:
                    errors.append(f"{log}:{no}: bad or repeated artefact name {name!r}")
                    name = None
                else:
                    seen.add(name)
            elif marker.startswith("@@UNPOP-FAIL"):
                errors.append(f"{log}:{no}: the guest failed: {marker[len('@@UNPOP-FAIL'):].strip()}")
            elif marker.startswith("@@UNPOP-DONE"):
                done = marker.split()[1:]
            continue
        if not line:
            continue  # an empty line (the log's end, a console's blank line) carries nothing
        if marker == f"@@UNPOP-END {name}":
            try:
                data = base64.b64decode("".join(chunks), validate=True)
            except (binascii.Error, ValueError) as e:
                errors.append(f"{log}:{start}: {name}: base64 does not decode ({e})")
                data = None
            if data is not None:
                sha = hashlib.sha256(data).hexdigest()
                if len(data) != size or sha != digest:
                    errors.append(f"{log}:{start}: {name}: checksum mismatch: the guest sent "
                                  f"{size} bytes sha256 {digest}, the console gave {len(data)} "
                                  f"bytes sha256 {sha}")
                else:
                    with open(os.path.join(out, name), "wb") as f:
                        f.write(data)
                    got += 1
            name = None
        elif marker is not None or not B64.match(line):
            errors.append(f"{log}:{no}: {name}: expected a base64 line or '@@UNPOP-END {name}', "
                          f"got {line[:80]!r}")
            name = None
        else:
            chunks.append(line)
    if name is not None:
        errors.append(f"{log}: {name}: the log ends inside its block (no @@UNPOP-END)")
    return errors, done, got


if __name__ == "__main__":
    sys.exit(main(sys.argv))
