#!/usr/bin/env python3
"""mktrace.py - writes hand-made, hostile trace files for
tests/security/hostile_input.sh. Chunks are real zstd frames made of raw
(stored) blocks, so no zstd module is needed.

usage: mktrace.py OUTDIR     (writes OUTDIR/NAME.trace for every case below)
"""
import os
import struct
import sys

MAGIC = b"\x89LTRACE\n"
CHUNK_MAGIC = 0x4B43544C


def fnv1a32(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return h


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def header():
    text = b"format=leaktrace\nproducer=mktrace.py\n"
    return MAGIC + struct.pack("<HHI", 1, 1, len(text)) + text


def zstd_raw(data):
    """A zstd frame: single segment, 4-byte content size, raw blocks."""
    out = bytearray(struct.pack("<I", 0xFD2FB528))
    out.append(0xA0)  # FCS field 4 bytes, single segment
    out += struct.pack("<I", len(data))
    pos = 0
    while True:
        blk = data[pos:pos + 65536]
        pos += len(blk)
        last = pos >= len(data)
        h = (len(blk) << 3) | (0 << 1) | (1 if last else 0)
        out += struct.pack("<I", h)[:3] + blk
        if last:
            return bytes(out)


def chunk(payload, index=0, zlen=None, rlen=None, frame=None):
    frame = zstd_raw(payload) if frame is None else frame
    h = struct.pack("<IIIII", CHUNK_MAGIC, len(frame) if zlen is None else zlen,
                    len(payload) if rlen is None else rlen, index, 0)
    return h + struct.pack("<I", fnv1a32(h)) + frame


def rec(tag, body):
    return bytes([tag]) + varint(len(body)) + body


def thread(kind, serial, ts=1, a=1, b=0, c=0, fn=0):
    body = varint(kind) + varint(serial) + varint(ts) + varint(a) + varint(b) + varint(c)
    if kind == 0:
        body += varint(fn)
    return rec(0x88, body)


def alloc(seq_delta, ts_delta, addr_zz, size, stack):
    return bytes([0x02]) + varint(seq_delta) + varint(ts_delta) + varint(addr_zz) + varint(size) + varint(stack) + b"\x00"


def main():
    out = sys.argv[1]
    cases = {}
    seg = b"\x01" + varint(1)
    ok = seg + alloc(0, 1, 0x1000 << 1, 16, 0xFFFFFFFF)
    cases["valid"] = header() + chunk(ok)
    # a chunk that says it has 60 MiB of compressed data, in a tiny file
    cases["zlen_huge"] = header() + chunk(ok, zlen=60 << 20)
    # a chunk that says it decompresses to 64 MiB; its frame says 10 bytes
    cases["rlen_huge"] = header() + chunk(ok, rlen=64 << 20)
    # the largest declared sizes the format allows, then garbage
    cases["rlen_over_max"] = header() + chunk(ok, rlen=(64 << 20) + 1)
    # a thread serial far beyond the records seen
    cases["thread_serial_huge"] = header() + chunk(thread(1, 70000 + 1))
    cases["thread_serial_2e9"] = header() + chunk(thread(1, 2 ** 31))
    # a stack record declaring 1024 frames with none present
    cases["stack_depth_short"] = header() + chunk(rec(0x80, varint(0) + varint(0) + varint(1024)))
    cases["stack_depth_2e9"] = header() + chunk(rec(0x80, varint(0) + varint(0) + varint(2 ** 31)))
    # a stack id at the top of the 32-bit range
    cases["stack_id_huge"] = header() + chunk(seg + alloc(0, 1, 0x1000 << 1, 16, 0xFFFFFFFE))
    # a length-prefixed record longer than its chunk
    cases["record_len_huge"] = header() + chunk(bytes([0x83]) + varint(2 ** 62))
    # a PROCESS key/value with a huge declared string length
    cases["process_str_huge"] = header() + chunk(rec(0x83, varint(2 ** 40) + b"pid"))
    # a module with 2^32 segments declared
    cases["module_nseg_huge"] = header() + chunk(rec(0x81, varint(0) + varint(0) + varint(2 ** 32)))
    # the header text length at its limit + 1
    cases["header_text_huge"] = MAGIC + struct.pack("<HHI", 1, 1, 65537) + b"x" * 100
    # many allocations of address 0 and frees of it (a double free of 0)
    zero = seg + b"".join(alloc(1 if i else 0, 1, 0, 8, 0xFFFFFFFF) for i in range(50)) + \
        b"".join(bytes([0x03]) + varint(1) + varint(1) + varint(0) for _ in range(50))
    cases["address_zero"] = header() + chunk(ok + b"\x01" + varint(2) + zero[2:])
    for name, data in cases.items():
        with open(os.path.join(out, name + ".trace"), "wb") as f:
            f.write(data)


main()
