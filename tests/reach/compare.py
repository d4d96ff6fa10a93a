#!/usr/bin/env python3
"""compare.py - compares the reachability categories of one program as
valgrind memcheck saw them (--xml=yes output) with leaktrace's report
(`leaktrace report --format json`): bytes and blocks of definitely,
indirectly and possibly lost and still reachable must be equal, and so
must the indirect bytes of the definitely lost blocks. Loss records are
also compared per kind and allocating function (the innermost frame in the
program, not in the C library or the tracer).

usage: compare.py VALGRIND.xml LEAKTRACE.json [--exe NAME]
Prints the two tables; exits 0 when they match, 1 when not, 2 on bad input.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

KINDS = {
    "Leak_DefinitelyLost": "definitely_lost",
    "Leak_IndirectlyLost": "indirectly_lost",
    "Leak_PossiblyLost": "possibly_lost",
    "Leak_StillReachable": "still_reachable",
}
RUNTIME = ("malloc", "calloc", "realloc", "operator new", "reallocarray", "memalign", "posix_memalign",
           "aligned_alloc", "valloc", "pvalloc")


def site(frames):
    """The innermost frame that is not the allocator itself (glibc's
    internal aliases, __strdup for strdup, named as their public names)."""
    for fn in frames:
        if fn and not fn.startswith(RUNTIME) and not fn.startswith("_Zn"):
            return fn.lstrip("_") if fn.startswith("__") and not fn.startswith("__gnu") else fn
    return "?"


# The dynamic thread vector of a thread (glibc's allocate_dtv) has a slot per
# module with TLS: the tracer is one more module than valgrind's preload, so
# the block is 16 bytes a module larger. Its kind must still match; its size
# cannot. Those blocks are compared by count, and their bytes taken out.
DTV = "allocate_dtv"


def valgrind(path):
    tot = {k: [0, 0] for k in KINDS.values()}
    indirect = 0
    sites = {}
    root = ET.parse(path).getroot()
    for err in root.iter("error"):
        kind = KINDS.get(err.findtext("kind", ""))
        if not kind:
            continue
        xw = err.find("xwhat")
        text = xw.findtext("text", "")
        total = int(xw.findtext("leakedbytes", "0"))
        blocks = int(xw.findtext("leakedblocks", "0"))
        m = re.match(r"\s*[\d,]+ \(([\d,]+) direct, ([\d,]+) indirect\)", text)
        direct = int(m.group(1).replace(",", "")) if m else total
        if m:
            indirect += int(m.group(2).replace(",", ""))
        frames = [f.findtext("fn") for f in err.find("stack").iter("frame")]
        key = (kind, site(frames))
        if key[1] == DTV:
            direct = 0
        tot[kind][0] += direct
        tot[kind][1] += blocks
        b = sites.setdefault(key, [0, 0])
        b[0] += direct
        b[1] += blocks
    return tot, indirect, sites


def leaktrace(path):
    with open(path) as f:
        j = json.load(f)
    if not j["reachability"]["scanned"]:
        raise SystemExit("leaktrace did not scan: %s" % j["reachability"]["detail"])
    tot = {k: [j["totals"]["by_kind"][k]["bytes"], j["totals"]["by_kind"][k]["blocks"]] for k in KINDS.values()}
    indirect = 0
    sites = {}
    for leak in j["leaks"]:
        if leak["kind"] == "definitely_lost":
            indirect += leak.get("indirect_bytes", 0)
        key = (leak["kind"], site([fr["function"] for fr in leak["stack"]]))
        if key[1] == DTV:
            tot[leak["kind"]][0] -= leak["bytes"]
            leak = dict(leak, bytes=0)
        b = sites.setdefault(key, [0, 0])
        b[0] += leak["bytes"]
        b[1] += leak["blocks"]
    return tot, indirect, sites


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        vt, vi, vs = valgrind(sys.argv[1])
        lt, li, ls = leaktrace(sys.argv[2])
    except (OSError, ValueError, KeyError, ET.ParseError) as e:
        print("compare.py: cannot read the inputs: %s" % e, file=sys.stderr)
        return 2
    ok = True
    print("%-16s %22s %22s" % ("kind", "valgrind bytes/blocks", "leaktrace bytes/blocks"))
    for k in KINDS.values():
        same = vt[k] == lt[k]
        ok &= same
        print("%-16s %22s %22s%s" % (k, "%d/%d" % tuple(vt[k]), "%d/%d" % tuple(lt[k]), "" if same else "   <-- differs"))
    print("%-16s %22d %22d%s" % ("indirect of def.", vi, li, "" if vi == li else "   <-- differs"))
    ok &= vi == li
    # Per site: leaktrace lists every kind only with --show-reachable (the
    # caller passes it); runtime sites it sets apart are not in its list.
    for key in sorted(set(vs) | set(ls)):
        if vs.get(key) != ls.get(key):
            ok = False
            print("site %s %s: valgrind %s, leaktrace %s" % (key[0], key[1], vs.get(key), ls.get(key)))
    print("MATCH" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
