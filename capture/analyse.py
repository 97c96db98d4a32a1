#!/usr/bin/env python3
"""Replays a QEMU capture and compares its growths with the layout.

    analyse.py [--unpopcheck BIN] [--expect-verdict V] [--quiet] [--out OUT] DIR

DIR holds what scripts/capture-qemu took off the console: trace.txt (capture-kprobes' text
trace), trace.dat (trace-cmd's recording of the same run), fdt.dtb, iomem-before.txt,
iomem-after.txt. This:
  1. replays trace.txt and trace.dat (`unpopcheck replay --dtb --iomem --drained --json`,
     default variant) and prints each verdict, event count and the variant;
  2. prints `unpopcheck layout --dtb --iomem` of the boot;
  3. checks every growth the kernel made -- the "Xen scratch" ranges of iomem-after.txt and the
     xen_unpop_fill_list ranges of the trace -- against the layout: inside a region's usable
     span, section-aligned, and the two lists the same;
  4. writes OUT/analysis.json, OUT/replay-{text,dat}.{json,txt}, OUT/layout.{txt,json} (OUT
     defaults to DIR).
A committed fixture keeps its text trace as trace.txt.xz (decompressed into OUT) and may have no
trace.dat (too large to commit); then only the text trace is replayed.
Exit 0 when both verdicts are the expected one (default ok), their event counts agree and every
growth is where the layout allows; 1 otherwise; 2 when an input is missing or unreadable.
"""
import argparse
import json
import os
import re
import subprocess
import sys


def fail_input(msg):
    print(f"analyse.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def iomem_ranges(path, name):
    """(start, end) of every line of /proc/iomem named NAME, at any depth."""
    out = []
    with open(path) as f:
        for no, line in enumerate(f, 1):
            m = re.match(r"\s*([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$", line.rstrip("\n"))
            if not m:
                fail_input(f"{path}:{no}: expected 'start-end : name', got {line.strip()!r}")
            if m.group(3) == name:
                out.append((int(m.group(1), 16), int(m.group(2), 16)))
    return sorted(out)


FIELD = re.compile(r"(\w+)=(\"[^\"]*\"|\S+)")


def trace_growths(path):
    """Successful xen_unpop_fill_list ranges of a tracefs text trace, and failed attempts."""
    ok, failed = [], 0
    with open(path, errors="replace") as f:
        for line in f:
            if "xen_unpop_fill_list:" not in line:
                continue
            kv = dict(FIELD.findall(line.split("xen_unpop_fill_list:", 1)[1]))
            ret = int(kv.get("ret", "0"), 0)
            if ret != 0:
                failed += 1
                continue
            ok.append((int(kv["start"], 0), int(kv["end"], 0)))
    return sorted(ok), failed


def variant_of(rep, text_report):
    """The variant replay used: its JSON's variant.chosen when it reports one, else what the
    text report's last line says ("N events, variant V; verdict: ...")."""
    v = rep.get("variant")
    if isinstance(v, dict) and "chosen" in v:
        return str(v["chosen"])
    if isinstance(v, str):
        return v
    m = re.search(r"events, variant (\S+?);", text_report)
    return f"{m.group(1)} (from the text report; the JSON names none)" if m else "unknown"


def hx(v):
    return f"0x{v:x}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--unpopcheck", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build", "unpopcheck"))
    ap.add_argument("--expect-verdict", default="ok",
                    help="the verdict both replays must give (default ok)")
    ap.add_argument("--quiet", action="store_true", help="print only the summary lines")
    ap.add_argument("--expect-variant", default=None, metavar="V",
                    help="the variant replay's --variant auto must choose (default: not checked)")
    ap.add_argument("--checked", action="append", default=[], metavar="RULE",
                    help="a rule the replay must check over the whole trace: no `unchecked` note "
                         "may name it (repeatable)")
    ap.add_argument("--out", help="where the reports go (default DIR)")
    ap.add_argument("--page-size", default=None, choices=["4K", "16K", "64K"],
                    help="the kernel's page size (default: provenance.txt's, else 4K)")
    ap.add_argument("dir")
    a = ap.parse_args()
    d = a.dir
    o_dir = a.out or d
    os.makedirs(o_dir, exist_ok=True)
    i = lambda f: os.path.join(d, f)  # noqa: E731
    p = lambda f: os.path.join(o_dir, f)  # noqa: E731
    for f in ("fdt.dtb", "iomem-before.txt", "iomem-after.txt"):
        if not os.path.isfile(i(f)):
            fail_input(f"{d}: missing {f} (expected the artefacts of scripts/capture-qemu)")
    text = i("trace.txt")
    if not os.path.isfile(text):
        if not os.path.isfile(i("trace.txt.xz")):
            fail_input(f"{d}: missing trace.txt (or trace.txt.xz)")
        text = p("trace.txt")
        with open(text, "wb") as o:
            if subprocess.run(["xz", "-dc", i("trace.txt.xz")], stdout=o).returncode:
                fail_input(f"{i('trace.txt.xz')}: xz could not decompress it")
    inputs = [("text", text)]
    if os.path.isfile(i("trace.dat")):
        inputs.append(("dat", i("trace.dat")))
    page_size = a.page_size
    if page_size is None and os.path.isfile(i("provenance.txt")):
        m = re.search(r"page_size=(\w+)", open(i("provenance.txt")).read())
        page_size = m.group(1) if m else None
    page_size = page_size or "4K"
    geo = ["--page-size", page_size]
    if not os.access(a.unpopcheck, os.X_OK):
        fail_input(f"{a.unpopcheck}: not an executable (build with scripts/setup)")
    problems = []

    # 1. Both recordings through the replay, default variant.
    reps = {}
    for kind, f in inputs:
        code, out, err = run([a.unpopcheck, "replay", "--dtb", i("fdt.dtb"), "--iomem",
                              i("iomem-after.txt"), *geo, "--drained", "--json", f])
        try:
            rep = json.loads(out)
        except json.JSONDecodeError:
            fail_input(f"unpopcheck replay {f} printed no JSON (exit {code}): {err.strip()[:400]}")
        rep["_exit"] = code
        reps[kind] = rep
        with open(p(f"replay-{kind}.json"), "w") as o:
            json.dump(rep, o, indent=2)
        # The same replay as text: the report a person reads, and the variant line.
        _, report, _ = run([a.unpopcheck, "replay", "--dtb", i("fdt.dtb"), "--iomem",
                            i("iomem-after.txt"), *geo, "--drained", f])
        with open(p(f"replay-{kind}.txt"), "w") as o:
            o.write(report)
        rep["_variant"] = variant_of(rep, report)
        warn = {}
        for w in rep.get("warnings", []):
            warn[w.get("kind")] = warn.get(w.get("kind"), 0) + 1
        f = os.path.basename(f)
        print(f"replay {f}: verdict {rep.get('verdict')} (exit {code}), {rep.get('events')} events, "
              f"variant {rep['_variant']}")
        if not a.quiet:
            for v in rep.get("violations", []):
                print(f"  violation {v.get('rule')} at {v.get('file')}:{v.get('line')}: "
                      f"{v.get('message')}")
            for v in rep.get("findings", []):
                print(f"  finding {v.get('rule')}: {v.get('message')}")
            if warn:
                print("  warnings: " + ", ".join(f"{k} x{n}" for k, n in sorted(warn.items())))
            if rep.get("unchecked"):
                print("  unchecked: " + "; ".join(rep["unchecked"]))
        if rep.get("verdict") != a.expect_verdict:
            problems.append(f"{f}: verdict {rep.get('verdict')}, expected {a.expect_verdict}")
        if a.expect_variant and rep["_variant"] != a.expect_variant:
            problems.append(f"{f}: replay chose variant {rep['_variant']}, expected {a.expect_variant}")
        for rule in a.checked:
            for note in rep.get("unchecked", []):
                if note.startswith(rule):
                    problems.append(f"{f}: {rule} not checked throughout: {note}")
        if "lost-events" in warn:
            problems.append(f"{f}: the trace lost events (a buffer overran): not a full capture")
    if "dat" in reps:
        if reps["text"].get("events") != reps["dat"].get("events"):
            problems.append(f"trace.txt has {reps['text'].get('events')} events, trace.dat "
                            f"{reps['dat'].get('events')}: the two recordings disagree")
        if reps["text"].get("verdict") != reps["dat"].get("verdict"):
            problems.append("trace.txt and trace.dat give different verdicts")

    # 2. The layout of this boot: DTB (RAM, grant table, extended regions) + iomem (devices).
    code, ltext, err = run([a.unpopcheck, "layout", "--dtb", i("fdt.dtb"), "--iomem",
                            i("iomem-before.txt"), *geo])
    with open(p("layout.txt"), "w") as o:
        o.write(ltext)
    code, out, err = run([a.unpopcheck, "layout", "--dtb", i("fdt.dtb"), "--iomem",
                          i("iomem-before.txt"), *geo, "--json"])
    try:
        lay = json.loads(out)
    except json.JSONDecodeError:
        fail_input(f"unpopcheck layout printed no JSON (exit {code}): {err.strip()[:400]}")
    with open(p("layout.json"), "w") as o:
        json.dump(lay, o, indent=2)
    if not a.quiet:
        print("\nunpopcheck layout --dtb fdt.dtb --iomem iomem-before.txt:")
        print("  " + ltext.rstrip("\n").replace("\n", "\n  "))
        print()
    section = int(lay["section_size"])
    regions = lay["extended_regions"]

    # 3. Every growth against the layout.
    scratch = iomem_ranges(i("iomem-after.txt"), "Xen scratch")
    before = iomem_ranges(i("iomem-before.txt"), "Xen scratch")
    traced, failed = trace_growths(text)
    if before:
        problems.append(f"iomem-before.txt already has Xen scratch ranges: {before}")
    if scratch != traced:
        problems.append("the trace's growths and iomem-after's Xen scratch ranges differ: "
                        f"trace {[(hx(s), hx(e)) for s, e in traced]}, "
                        f"iomem {[(hx(s), hx(e)) for s, e in scratch]}")
    growths = []
    for s, e in sorted(set(scratch) | set(traced)):
        where = None
        for i, r in enumerate(regions):
            u = r.get("usable")
            if u and int(u["start"], 16) <= s and e <= int(u["end"], 16):
                where = i
        aligned = s % section == 0 and (e + 1) % section == 0
        ok = where is not None and aligned
        growths.append({"start": hx(s), "end": hx(e), "bytes": e - s + 1,
                        "region": where, "aligned": aligned, "ok": ok,
                        "in_trace": (s, e) in traced, "in_iomem": (s, e) in scratch})
        print(f"growth {hx(s)}-{hx(e)} ({(e - s + 1) >> 20} MiB): " +
              (f"inside extended region {where}'s usable span, section-aligned" if ok else
               "NOT where the layout allows growth" +
               ("" if aligned else f" (not aligned to the {section >> 20} MiB section)")))
        if not ok:
            problems.append(f"growth {hx(s)}-{hx(e)} is not where the layout allows growth")
    unused = []
    for i, r in enumerate(regions):
        n = sum(1 for g in growths if g["region"] == i)
        if n == 0:
            why = r.get("why") or ""
            reason = (f"no usable section ({why})" if not r.get("usable") else
                      "usable but never needed (the pool was large enough)")
            unused.append({"region": i, "start": r["start"], "end": r["end"], "why": reason})
            print(f"extended region {i} {r['start']}-{r['end']}: unused: {reason}")
        else:
            print(f"extended region {i} {r['start']}-{r['end']}: {n} growth(s)")
    print(f"growth attempts that failed (fill_list ret != 0): {failed}")

    summary = {
        "verdicts": {k: r.get("verdict") for k, r in reps.items()},
        "events": {k: r.get("events") for k, r in reps.items()},
        "variant": reps["text"]["_variant"],
        "growths": growths, "failed_growths": failed, "unused_regions": unused,
        "section_size": section, "problems": problems,
    }
    with open(p("analysis.json"), "w") as o:
        json.dump(summary, o, indent=2)
    for pr in problems:
        print(f"analyse.py: PROBLEM: {pr}", file=sys.stderr)
    print("analysis: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
