#!/usr/bin/env python3
"""guide_check.py - the output a guide shows is what the tool prints.

usage: guide_check.py GUIDE MARKER ACTUAL [N]

Finds the first fenced block of GUIDE (a docs/*.md file) with a line that
contains MARKER; takes the lines from that one to the end of the block,
stopping at the next "$ " command line (or after N lines); drops "..."
lines. Each of them
must appear in ACTUAL (the real output), in the same order. Both sides are
normalized first: pids, parent pids, tids and the most threads alive at
once become N, absolute paths
become their base name (the guide was written in another directory).
Prints nothing and exits 0 on success; otherwise prints the first missing
line and exits 1.
"""
import re
import sys

guide, marker, actual = sys.argv[1:4]
limit = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 30


def norm(line):
    line = re.sub(r"\b(pid|parent|tid) \d+", r"\1 N", line)
    line = re.sub(r"at most \d+ alive", "at most N alive", line)   # threads overlap as the scheduler likes
    line = re.sub(r"(?<![\w.])/(?:[^\s():/]+/)+([^\s():/]*)", r"\1", line)
    return line.rstrip()


blocks = re.findall(r"^```[a-z]*\n(.*?)^```", open(guide, encoding="utf-8").read(), re.S | re.M)
want = None
for b in blocks:
    lines = b.split("\n")
    for i, l in enumerate(lines):
        if marker in l:
            want = []
            for j, w in enumerate(lines[i:]):
                if w.startswith("$ ") and j > 0:
                    break
                if w.startswith("$ ") or w.strip() in ("...", ""):
                    continue
                want.append(norm(w))
            break
    if want is not None:
        want = want[:limit]
        break
if not want:
    print(f"no block with '{marker}' in {guide}")
    sys.exit(1)
got = [norm(l) for l in open(actual, encoding="utf-8", errors="replace").read().split("\n")]
pos = 0
for w in want:
    while pos < len(got) and got[pos] != w:
        pos += 1
    if pos == len(got):
        print(f"{guide}: the line\n    {w}\nis not in the real output (in order); real output starts:\n" +
              "\n".join("    " + g for g in got[:12]))
        sys.exit(1)
    pos += 1
