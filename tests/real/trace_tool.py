#!/usr/bin/python3
"""trace_tool.py - helpers of tests/run_real_programs.sh: reads report JSON,
takes traces apart by chunk, damages them, and fuzzes the analyzer.
Python 3 standard library only (run it with /usr/bin/python3).

  get JSON PATH...            one line per PATH (dotted, e.g. process.end.how):
                              strings as is, everything else as JSON
                              (true, null, 3, ...), "<missing>" if absent.
                              Exit 1 (message on stderr) if JSON is not JSON.
  leak-depth JSON FUNCTION    "NFRAMES TRUNCATED" of the largest leak group
                              whose stack[0].function is FUNCTION, or "none".
  leaks JSON                  one line per leak group, sorted: "BYTES BLOCKS
                              F0>F1>F2>F3" (the first four frames' function
                              names without parameters, "?" when unknown).
  summary JSON...             one tab-separated line per report: JSON,
                              process.complete, end.how, end.status,
                              anomalies.sequence_gaps, totals.allocations,
                              process.exe, process.pid, process.forked,
                              anomalies.unknown_frees ("<bad json>" if the
                              file is not JSON).
  chunks TRACE                one line per chunk: "OFFSET PAYLOAD_LEN FLAGS";
                              the header text length first: "header TEXTLEN".
  cut-mid-last IN OUT         OUT = IN cut in the middle of its last chunk's
                              payload; prints the cut length.
  cut-before-final IN OUT     OUT = IN without its final chunk (cut right at
                              a chunk boundary); prints the cut length.
  flip-header IN OUT          OUT = IN with one byte flipped in the header of
                              a middle chunk; prints that chunk's offset.
  set-major IN OUT MAJOR      OUT = IN with the format major version (u16 LE
                              at byte 8) set to MAJOR.
  random-bytes OUT N SEED     N pseudo-random bytes (never the trace magic).
  fuzz TRACE ANALYZER WORKDIR NFLIPS NCUTS SEED
                              runs "ANALYZER report --format json" over NFLIPS
                              single-byte corruptions and NCUTS truncations of
                              TRACE; prints one line per bad outcome and a
                              summary; exit 1 if anything was bad. The damaged
                              file of each bad outcome is kept in WORKDIR.
  fuzz-records TRACE ANALYZER WORKDIR N SEED
                              the same over N corruptions of the records
                              inside the chunks (decompressed, damaged,
                              recompressed with a valid chunk header, each
                              chunk one zstd frame as in format 1.6; libzstd
                              through ctypes): exit 0 or 5, no crash.
"""

import concurrent.futures
import json
import os
import random
import struct
import subprocess
import sys

MAGIC = b"\x89LTRACE\n"
CHUNK_MAGIC = 0x4B43544C
CHUNK_HDR = 24
CHUNK_F_STREAM = 16   # format 1.7: a check, then part of a zstd frame
CHUNK_F_CONT = 32     # ... that the chunk before began
FIXED = 16


def die(msg):
    print("trace_tool: " + msg, file=sys.stderr)
    sys.exit(1)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def chunks(data):
    """[(offset, payload_len, flags)] of every complete chunk header; dies
    on a trace that is not well formed (the helpers work on good traces)."""
    if data[:8] != MAGIC or len(data) < FIXED:
        die("not a trace (bad magic)")
    text_len = struct.unpack_from("<I", data, 12)[0]
    off = FIXED + text_len
    out = []
    while off + CHUNK_HDR <= len(data):
        magic, plen, rlen, index, flags, check = struct.unpack_from("<IIIIII", data, off)
        if magic != CHUNK_MAGIC:
            die("bad chunk magic at byte %d" % off)
        out.append((off, plen, flags))
        off += CHUNK_HDR + plen
    if off != len(data):
        die("trace does not end at a chunk boundary (%d != %d)" % (off, len(data)))
    return text_len, out


def lookup(obj, path):
    for part in path.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return "<missing>"
    return obj if isinstance(obj, str) else json.dumps(obj)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die("%s: not valid JSON: %s" % (path, e))


def cmd_get(args):
    doc = load_json(args[0])
    for p in args[1:]:
        print(lookup(doc, p))


def cmd_leak_depth(args):
    doc = load_json(args[0])
    best = None
    for g in doc.get("leaks", []):
        st = g.get("stack") or []
        fn = (st[0].get("function") or "") if st else ""
        if fn.split("(")[0] == args[1] and (best is None or g.get("bytes", 0) > best.get("bytes", 0)):
            best = g
    if best is None:
        print("none")
    else:
        print(len(best["stack"]), json.dumps(best.get("truncated")))


def cmd_leaks(args):
    doc = load_json(args[0])
    # One row per stack: a stack is listed once per reachability kind
    # (definitely lost, still reachable...); these tests count what was
    # traced, whatever the kind.
    groups = {}
    for g in doc.get("leaks", []):
        fns = [(f.get("function") or "?").split("(")[0] for f in (g.get("stack") or [])[:4]]
        key = ">".join(fns) + "\0" + json.dumps(g.get("stack") or [], sort_keys=True)
        b, n, name = groups.get(key, (0, 0, ">".join(fns)))
        groups[key] = (b + g.get("bytes", 0), n + g.get("blocks", 0), name)
    for r in sorted("%d %d %s" % v for v in groups.values()):
        print(r)


def cmd_summary(args):
    fields = ("process.complete", "process.end.how", "process.end.status", "anomalies.sequence_gaps",
              "totals.allocations", "process.exe", "process.pid", "process.forked",
              "anomalies.unknown_frees")
    for path in args:
        try:
            with open(path) as f:
                doc = json.load(f)
            vals = [lookup(doc, p) for p in fields]
        except (OSError, ValueError):
            vals = ["<bad json>"] * len(fields)
        print("\t".join([path] + vals))


def cmd_chunks(args):
    text_len, cs = chunks(read(args[0]))
    print("header", text_len)
    for off, plen, flags in cs:
        print(off, plen, flags)


def cmd_cut_mid_last(args):
    data = read(args[0])
    _, cs = chunks(data)
    off, plen, _ = cs[-1]
    if plen < 2:
        die("last chunk has no payload to cut")
    cut = off + CHUNK_HDR + plen // 2
    write(args[1], data[:cut])
    print(cut)


def cmd_cut_before_final(args):
    data = read(args[0])
    _, cs = chunks(data)
    if len(cs) < 2:
        die("need at least 2 chunks, have %d" % len(cs))
    cut = cs[-1][0]
    write(args[1], data[:cut])
    print(cut)


def cmd_flip_header(args):
    data = bytearray(read(args[0]))
    _, cs = chunks(bytes(data))
    if len(cs) < 3:
        die("need at least 3 chunks for a middle one, have %d" % len(cs))
    off = cs[len(cs) // 2][0]
    data[off + 9] ^= 0x10  # raw_len, second byte
    write(args[1], bytes(data))
    print(off)


def cmd_set_major(args):
    data = bytearray(read(args[0]))
    struct.pack_into("<H", data, 8, int(args[2]))
    write(args[1], bytes(data))


def cmd_random_bytes(args):
    rng = random.Random(int(args[2]))
    data = bytes(rng.randrange(256) for _ in range(int(args[1])))
    if data.startswith(MAGIC[:1]):
        data = b"\x00" + data[1:]
    write(args[0], data)


def run_cases(analyzer, workdir, cases):
    """Runs "ANALYZER report --format json" over every case, nproc at a
    time. A case: (description, trace bytes, allowed exit statuses, whether
    the report must say complete: false). Returns ({status: count}, [bad]).
    The trace of every bad case is kept in WORKDIR as bad-N.trace."""

    def run_case(i, case):
        desc, d, allowed, incomplete = case
        path = os.path.join(workdir, "case-%d.trace" % i)
        write(path, d)
        try:
            p = subprocess.run([analyzer, "report", "--format", "json", path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
            rc, err = p.returncode, p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, err = "timeout", ""
        why = None
        if rc == "timeout":
            why = "analyzer hung (30 s)"
        elif rc < 0 or rc >= 128:
            why = "analyzer killed by signal %d" % (-rc if rc < 0 else rc - 128)
        elif rc not in allowed:
            why = "exit %d, want one of %s" % (rc, sorted(allowed))
        elif rc != 0:
            lines = err.splitlines()
            if len(lines) != 1 or not lines[0].startswith("leaktrace: error:"):
                why = "exit %d but stderr is not one 'leaktrace: error:' line: %r" % (rc, err[:300])
            elif rc == 5 and "byte" not in lines[0]:
                why = "exit 5 but the message gives no byte offset: %r" % lines[0]
        else:
            try:
                doc = json.loads(p.stdout)
                if incomplete and doc["process"]["complete"] is not False:
                    why = "exit 0 but process.complete is %r for a cut trace" % doc["process"]["complete"]
            except (ValueError, KeyError, TypeError) as e:
                why = "exit 0 but the output is not a report: %s" % e
        if why:
            keep = os.path.join(workdir, "bad-%d.trace" % i)
            os.rename(path, keep)
            return rc, "%s: %s [kept as %s] [stderr: %s]" % (desc, why, keep, err.strip()[:200])
        os.unlink(path)
        return rc, None

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        results = list(ex.map(lambda ic: run_case(*ic), enumerate(cases)))
    counts = {}
    bad = []
    for rc, b in results:
        counts[rc] = counts.get(rc, 0) + 1
        if b:
            bad.append(b)
    return counts, bad


def finish(counts, bad, what):
    summary = ", ".join("exit %s: %d" % (k, v) for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))
    for b in bad:
        print(b)
    print("%s: %s; %d bad" % (what, summary, len(bad)))
    sys.exit(1 if bad else 0)


def cmd_fuzz(args):
    trace, analyzer, workdir = args[0], args[1], args[2]
    nflips, ncuts, seed = int(args[3]), int(args[4]), int(args[5])
    data = read(trace)
    text_len, cs = chunks(data)
    body = FIXED + text_len
    rng = random.Random(seed)
    cases = []
    # Single-byte corruptions: a few in the fixed header, some in chunk
    # headers, the rest anywhere.
    for i in range(nflips):
        if i < nflips // 10:
            off = rng.randrange(FIXED)
        elif i < nflips // 4:
            off = rng.choice(cs)[0] + rng.randrange(CHUNK_HDR)
        else:
            off = rng.randrange(len(data))
        x = rng.randrange(1, 256)
        d = bytearray(data)
        d[off] ^= x
        cases.append(("byte %d xor 0x%02x (0x%02x -> 0x%02x)" % (off, x, data[off], d[off]), bytes(d),
                      {0, 4, 5} if off < FIXED else {0, 5}, False))
    # Truncations: some at and next to chunk boundaries, the rest anywhere.
    # Docs: a file that ends inside a chunk (or without END) is reported,
    # exit 0; damage before the chunks is 4 or 5.
    for i in range(ncuts):
        if i < ncuts // 5:
            off = rng.choice(cs)[0] + rng.choice((-1, 0, 1, CHUNK_HDR - 1, CHUNK_HDR, CHUNK_HDR + 1))
            off = max(0, min(off, len(data) - 1))
        else:
            off = rng.randrange(len(data))
        cases.append(("cut to %d bytes" % off, data[:off], {4, 5} if off < body else {0}, off >= body))
    counts, bad = run_cases(analyzer, workdir, cases)
    finish(counts, bad, "%d cases (%d flips, %d cuts, seed %d, %d chunks)" % (len(cases), nflips, ncuts, seed, len(cs)))


def zstd_lib():
    """libzstd through ctypes (the tracer and analyzer need it anyway)."""
    import ctypes
    import ctypes.util
    for name in ("libzstd.so.1", ctypes.util.find_library("zstd")):
        if not name:
            continue
        try:
            z = ctypes.CDLL(name)
            break
        except OSError:
            continue
    else:
        die("cannot load libzstd (libzstd.so.1)")
    sz, vp = ctypes.c_size_t, ctypes.c_void_p
    z.ZSTD_decompress.restype = sz
    z.ZSTD_decompress.argtypes = (vp, sz, vp, sz)
    z.ZSTD_compress.restype = sz
    z.ZSTD_compress.argtypes = (vp, sz, vp, sz, ctypes.c_int)
    z.ZSTD_compressBound.restype = sz
    z.ZSTD_compressBound.argtypes = (sz,)
    z.ZSTD_isError.restype = ctypes.c_uint
    z.ZSTD_isError.argtypes = (sz,)

    class Buf(ctypes.Structure):   # ZSTD_inBuffer and ZSTD_outBuffer alike
        _fields_ = [("ptr", vp), ("size", sz), ("pos", sz)]
    z.ZSTD_createDCtx.restype = vp
    z.ZSTD_DCtx_reset.restype = sz
    z.ZSTD_DCtx_reset.argtypes = (vp, ctypes.c_int)
    z.ZSTD_decompressStream.restype = sz
    z.ZSTD_decompressStream.argtypes = (vp, ctypes.POINTER(Buf), ctypes.POINTER(Buf))
    dctx = z.ZSTD_createDCtx()

    def decompress(src, raw_len, flags=0):
        """A chunk's payload, decompressed; a format 1.7 chunk (STREAM)
        continues the frame of the chunk decompressed before it (CONT)."""
        dst = ctypes.create_string_buffer(max(raw_len, 1))
        if not flags & CHUNK_F_STREAM:
            n = z.ZSTD_decompress(dst, raw_len, src, len(src))
            if z.ZSTD_isError(n) or n != raw_len:
                die("cannot decompress a chunk")
            return dst.raw[:raw_len]
        if not flags & CHUNK_F_CONT:
            z.ZSTD_DCtx_reset(dctx, 1)   # ZSTD_reset_session_only
        src = ctypes.create_string_buffer(src[4:], len(src) - 4)   # after the check
        inb = Buf(ctypes.cast(src, vp), len(src), 0)
        outb = Buf(ctypes.cast(dst, vp), raw_len, 0)
        while inb.pos < inb.size:
            before = inb.pos + outb.pos
            r = z.ZSTD_decompressStream(dctx, ctypes.byref(outb), ctypes.byref(inb))
            if z.ZSTD_isError(r) or inb.pos + outb.pos == before:
                die("cannot decompress a chunk")
        if outb.pos != raw_len:
            die("cannot decompress a chunk")
        return dst.raw[:raw_len]

    def compress(src):
        cap = z.ZSTD_compressBound(len(src))
        dst = ctypes.create_string_buffer(cap)
        n = z.ZSTD_compress(dst, cap, src, len(src), 1)
        if z.ZSTD_isError(n):
            die("cannot compress a chunk")
        return dst.raw[:n]

    return decompress, compress


def chunk_bytes(payload_z, raw_len, index, flags):
    h = struct.pack("<IIIII", CHUNK_MAGIC, len(payload_z), raw_len, index, flags)
    check = 2166136261
    for b in h:
        check = ((check ^ b) * 16777619) & 0xFFFFFFFF
    return h + struct.pack("<I", check) + payload_z


def cmd_fuzz_records(args):
    """Damage inside the records: decompress a chunk, change its records,
    recompress it with a correct chunk header. The analyzer must reject it
    (5) or report it (0), never crash."""
    trace, analyzer, workdir, n, seed = args[0], args[1], args[2], int(args[3]), int(args[4])
    decompress, compress = zstd_lib()
    data = read(trace)
    text_len, cs = chunks(data)
    head = data[:FIXED + text_len]
    raws = []
    for off, plen, flags in cs:
        raw_len, index = struct.unpack_from("<II", data, off + 8)
        raws.append((decompress(data[off + CHUNK_HDR:off + CHUNK_HDR + plen], raw_len, flags), index,
                     flags & ~(CHUNK_F_STREAM | CHUNK_F_CONT)))   # recompressed below as whole frames
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        # chunk 0 has the PROCESS, MODULE and most STACK records: favour it
        ci = 0 if rng.random() < 0.4 else rng.randrange(len(raws))
        raw = bytearray(raws[ci][0])
        kind = rng.choice(("flip", "flip", "flip", "set", "cut", "insert", "delete"))
        pos = rng.randrange(len(raw)) if raw else 0
        if kind == "flip":
            x = rng.choice((1, 2, 4, 8, 16, 32, 64, 128, rng.randrange(1, 256)))
            raw[pos] ^= x
            desc = "chunk %d raw byte %d xor 0x%02x" % (ci, pos, x)
        elif kind == "set":
            v = rng.choice((0x00, 0x7F, 0x80, 0xFF))
            k = rng.randrange(1, 12)
            raw[pos:pos + k] = bytes([v]) * k
            desc = "chunk %d raw bytes %d..%d set to 0x%02x" % (ci, pos, pos + k - 1, v)
        elif kind == "cut":
            del raw[pos:]
            desc = "chunk %d raw payload cut to %d bytes" % (ci, pos)
        elif kind == "insert":
            k = rng.randrange(1, 8)
            raw[pos:pos] = bytes(rng.randrange(256) for _ in range(k))
            desc = "chunk %d: %d random bytes inserted at raw byte %d" % (ci, k, pos)
        else:
            k = rng.randrange(1, 8)
            del raw[pos:pos + k]
            desc = "chunk %d: raw bytes %d..%d deleted" % (ci, pos, pos + k - 1)
        out = [head]
        for j, (r, index, flags) in enumerate(raws):
            r = bytes(raw) if j == ci else r
            out.append(chunk_bytes(compress(r), len(r), index, flags))
        cases.append((desc, b"".join(out), {0, 5}, False))
    counts, bad = run_cases(analyzer, workdir, cases)
    finish(counts, bad, "%d record-level corruptions (seed %d, %d chunks)" % (n, seed, len(cs)))


COMMANDS = {
    "get": (cmd_get, 2), "leak-depth": (cmd_leak_depth, 2), "chunks": (cmd_chunks, 1),
    "summary": (cmd_summary, 1), "leaks": (cmd_leaks, 1),
    "cut-mid-last": (cmd_cut_mid_last, 2), "cut-before-final": (cmd_cut_before_final, 2),
    "flip-header": (cmd_flip_header, 2), "set-major": (cmd_set_major, 3),
    "random-bytes": (cmd_random_bytes, 3), "fuzz": (cmd_fuzz, 6),
    "fuzz-records": (cmd_fuzz_records, 5),
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS or len(sys.argv) - 2 < COMMANDS[sys.argv[1]][1]:
        die("usage: see the top of " + sys.argv[0])
    COMMANDS[sys.argv[1]][0](sys.argv[2:])
