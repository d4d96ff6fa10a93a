#!/bin/bash
# ring.sh - the flight-recorder ring (LEAKTRACE_MAX_SIZE, docs/ring.md):
# wrap-around with exact leaks (blocks from before the window come from the
# checkpoint, with their stack), the file bounded, every analyzer command
# on a wrapped ring, a ring read while it is being written, a damaged chunk
# in the middle (skipped with a warning, the rest read), unbounded traces,
# bad LEAKTRACE_MAX_SIZE values. Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
D=$REPO/tests/ring
cd "$WORK" || exit 1

t_begin build
build_prog "$D/ringleak.c" ringleak -pthread
build_prog "$D/hotsite.c" hotsite
build_prog "$D/handoff.c" handoff -pthread
build_prog "$REPO/tests/bench/mallocbench.c" mallocbench -O2 -pthread
t_end

# leak_blocks JSON FUNCTION: blocks leaked with FUNCTION as the innermost frame.
leak_blocks() {
    json_get "$1" 'sum(l["blocks"] for l in j["leaks"] if l["stack"] and l["stack"][0].get("function") == "'"$2"'")'
}

# A chunk's byte range for damage: the payload of the chunk in the middle
# of the file (by offset) that is not a checkpoint chunk.
middle_chunk() {
    "$PY" - "$1" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
tl = struct.unpack_from("<I", b, 12)[0]
def fnv(x):
    h = 2166136261
    for c in x:
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h
found, i = [], b.find(b"LTCK", 16 + tl)
while i >= 0 and i + 24 <= len(b):
    magic, zl, rl, idx, fl, chk = struct.unpack_from("<6I", b, i)
    if chk == fnv(b[i:i + 20]) and i + 24 + zl <= len(b):
        found.append((i, zl, idx, fl))
        i = b.find(b"LTCK", i + 24 + zl)
    else:
        i = b.find(b"LTCK", i + 1)
# The window starts at the oldest checkpoint whose chunks all survive
# (chunk 0 if it is still there): damage a plain chunk after it.
found.sort(key=lambda c: c[2])
start = found[0][2]
if start != 0:
    for k, c in enumerate(found):
        if c[3] & 2 and any(d[3] & 4 for d in found[k:k + 64]):
            start = c[2]
            break
plain = [c for c in found if not c[3] & 6 and c[2] > start]
c = plain[len(plain) // 2]
print(c[0] + 24 + c[1] // 2, c[2])
PY
}

# ---- wrap-around ----------------------------------------------------------------
t_begin ring_wraps_and_stays_bounded
# one leak per 1000 iterations: the live set (and so a checkpoint) stays
# well under the ring whatever the machine's speed
T=$(LEAKTRACE_MAX_SIZE=1M trace_run wrap ./ringleak 3 2 1000)
leaked=$(awk '/^leaked/ {print $2}' wrap.out)
size=$(stat -c %s "$T" 2>/dev/null || echo 0)
# bound: 1 MiB + the header + one chunk (the ring's chunks are at most
# 1M/16 = 64 KiB of records before compression)
[ "$size" -le $((1048576 + 4096 + 65536 + 1024)) ] || t_fail "trace is $size bytes for LEAKTRACE_MAX_SIZE=1M"
[ "$size" -ge $((1048576 / 2)) ] || t_fail "trace is only $size bytes: did it run?"
"$LT" report --leak-kinds all --format json "$T" > wrap.json 2> wrap.aerr || t_fail "report failed: $(cat wrap.aerr)"
[ "$(json_get wrap.json 'j["trace_window"]["wrapped"] and j["trace_window"]["from_checkpoint"]')" = True ] ||
    t_fail "the 1M ring of a 3 s run did not wrap / start from a checkpoint: $(json_get wrap.json 'j["trace_window"]')"
t_end

t_begin ring_leaks_exact_in_window
[ -n "$leaked" ] && [ "$leaked" -gt 100 ] || t_fail "the program leaked only '$leaked' blocks"
got=$(leak_blocks wrap.json leak_steady)
[ "$got" = "$leaked" ] || t_fail "report finds $got blocks from leak_steady, the program leaked $leaked"
[ "$(json_get wrap.json 'j["anomalies"]["sequence_gaps"]')" = 0 ] || t_fail "events missing in the window"
[ "$(json_get wrap.json 'j["trace_window"]["damaged_chunks"]')" = 0 ] || t_fail "damaged chunks in a good ring"
t_end

t_begin ring_block_before_window_keeps_its_stack
got=$(json_get wrap.json '[(l["bytes"], l["blocks"], [f.get("function") for f in l["stack"]][:2]) for l in j["leaks"] if l["stack"] and l["stack"][0].get("function") == "early_block"]')
[ "$got" = "[(4321, 1, ['early_block', 'main'])]" ] || t_fail "the block allocated before the window: $got"
# it was allocated before the window starts, and the report says when the window starts
[ "$(json_get wrap.json 'j["trace_window"]["start_s"] > 0.05 and j["trace_window"]["blocks_before_window"] > 0')" = True ] ||
    t_fail "window: $(json_get wrap.json 'j["trace_window"]')"
"$LT" report --leak-kinds all "$T" > wrap.txt 2>/dev/null
grep -q '^window: trace covers [0-9:]*-[0-9:]* of a .* run; earlier events were overwritten' wrap.txt ||
    t_fail "the text report does not say which window it covers: $(grep -i window wrap.txt)"
t_end

# ---- every command on a wrapped ring --------------------------------------------------
t_begin ring_every_command
for c in "dump -o w.dump" "diff $T $T" "growth" "threads" "pprof -o w.pb.gz" "timeline -o w.svg" "flamegraph -o w.svg2" "marks" "ci"; do
    set -- $c
    cmd=$1; shift
    case $cmd in diff) args=("$@") ;; *) args=("$@" "$T") ;; esac
    "$LT" "$cmd" "${args[@]}" > "cmd.$cmd.out" 2> "cmd.$cmd.err"
    rc=$?
    want=0
    [ "$cmd" = ci ] && want=23   # findings: the steady leak
    [ $rc -eq $want ] || t_fail "leaktrace $cmd exited $rc (want $want): $(head -2 "cmd.$cmd.err")"
    grep -q "trace covers" "cmd.$cmd.err" "cmd.$cmd.out" || t_fail "leaktrace $cmd does not say which window it covers"
done
# growth and timeline series start at the window, not at the run's start
"$LT" growth --format json "$T" > wgrowth.json 2>/dev/null
[ "$(json_get wgrowth.json 'abs(j["window"]["from_s"] - j["trace_window"]["start_s"]) <= j["window"]["slice_s"] + 1e-6')" = True ] ||
    t_fail "growth's series does not start at the window: $(json_get wgrowth.json '(j["window"], j["trace_window"]["start_s"])')"
# the dump holds every leaked block (site lines: bytes, blocks, ...; the frame after)
got=$(awk -F'\t' '$1 == "site" {b = $3} $1 == "frame" && $2 == 0 && $6 == "leak_steady" {n += b} END {print n + 0}' w.dump)
[ "$got" = "$leaked" ] || t_fail "the dump of the ring has $got blocks from leak_steady, the program leaked $leaked"
t_end

# ---- read while being written -------------------------------------------------------------
t_begin ring_read_while_written
rm -f live.*.trace
# A 4 MiB ring: this program writes about 24 MB/s, so a 1 MiB ring was
# overwritten every 40 ms, faster than the ASan-built analyzer of `make
# asan-e2e` read it on a loaded machine (the checkpoint it started from was
# overwritten under it). It still wraps within the first second.
LD_PRELOAD=$LIB LEAKTRACE_MAX_SIZE=4M LEAKTRACE_OUTPUT="$WORK/live.%p.trace" ./ringleak 8 2 1000 > live.out 2> live.err &
pid=$!
sleep 2
ok=0
# Up to 5 reads while it runs (8 s), at least 2 of them with the whole
# window: the analyzer reads a ring whole at open (docs/ring.md), but the
# writer can still overwrite the checkpoint during that read of a few ms;
# every read must succeed.
for i in 1 2 3 4 5; do
    L=$(ls live.*.trace 2>/dev/null | head -1)
    "$LT" report --leak-kinds all --format json "$L" > live.$i.json 2> live.$i.err
    rc=$?
    if [ $rc -ne 0 ]; then t_fail "report of the ring being written exited $rc: $(head -2 live.$i.err)"; break; fi
    r=$(json_get live.$i.json '(j["trace_window"]["wrapped"], j["process"]["complete"], [l["blocks"] for l in j["leaks"] if l["stack"] and l["stack"][0].get("function") == "early_block"])')
    [ "$r" = "(True, False, [1])" ] && ok=$((ok + 1))
    sleep 0.7
done
wait $pid || t_fail "the traced program failed: $(head -2 live.err)"
[ $ok -ge 2 ] || t_fail "only $ok of 5 reads of the live ring saw the wrapped window with the early block (last: $r)"
grep -q 'trace covers' live.1.err || t_fail "no window warning while reading the live ring"
t_end

# ---- a damaged chunk in the middle ----------------------------------------------------------
t_begin ring_damaged_chunk_skipped
cp "$T" damaged.trace
read -r at idx <<< "$(middle_chunk damaged.trace)"
[ -n "$at" ] || t_fail "no chunk found to damage"
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of=damaged.trace bs=1 seek="$at" conv=notrunc status=none
"$LT" report --leak-kinds all --format json damaged.trace > damaged.json 2> damaged.err
rc=$?
[ $rc -eq 0 ] || t_fail "report of a ring with a damaged chunk exited $rc: $(head -2 damaged.err)"
grep -q "damaged chunk was skipped: data was lost" damaged.err || t_fail "no warning about the damaged chunk: $(head -3 damaged.err)"
[ "$(json_get damaged.json 'j["trace_window"]["damaged_chunks"]')" = 1 ] || t_fail "damaged_chunks: $(json_get damaged.json 'j["trace_window"]')"
got=$(leak_blocks damaged.json leak_steady)
[ "$got" -gt $((leaked / 2)) ] && [ "$got" -le "$leaked" ] || t_fail "after the damaged chunk: $got of $leaked leaks"
[ "$(json_get damaged.json '[l["blocks"] for l in j["leaks"] if l["stack"] and l["stack"][0].get("function") == "early_block"]')" = "[1]" ] ||
    t_fail "the early block is gone after a damaged chunk"
"$LT" report damaged.trace 2>/dev/null | grep -q "^WARNING: 1 damaged chunk was skipped: data was lost" || t_fail "the text report does not say data was lost"
t_end

t_begin unbounded_damaged_chunk_skipped
U=$(LEAKTRACE_MAX_SIZE=0 trace_run unb ./ringleak 1 1 100)
"$LT" report --leak-kinds all --format json "$U" > unb.json 2>/dev/null
[ "$(json_get unb.json 'j["trace_window"]["wrapped"]')" = False ] || t_fail "an unbounded trace says it wrapped"
ul=$(awk '/^leaked/ {print $2}' unb.out)
[ "$(leak_blocks unb.json leak_steady)" = "$ul" ] || t_fail "unbounded: $(leak_blocks unb.json leak_steady) of $ul leaks"
cp "$U" unbd.trace
read -r at idx <<< "$(middle_chunk unbd.trace)"
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of=unbd.trace bs=1 seek="$at" conv=notrunc status=none
"$LT" report --leak-kinds all --format json unbd.trace > unbd.json 2> unbd.err || t_fail "report exited $? on a damaged unbounded trace: $(head -2 unbd.err)"
grep -q "chunk $idx at byte" unbd.err || t_fail "the warning does not name chunk $idx: $(head -3 unbd.err)"
t_end

# ---- configuration ------------------------------------------------------------------------------
t_begin max_size_bad_values
for v in abc 12X -5 0.5G; do
    ./ringleak 0.1 1 > plain.out 2>&1
    LD_PRELOAD=$LIB LEAKTRACE_MAX_SIZE=$v LEAKTRACE_OUTPUT="$WORK/bad.%p.trace" ./ringleak 0.1 1 > bad.out 2> bad.err
    [ $? -eq 0 ] || t_fail "LEAKTRACE_MAX_SIZE=$v: the program failed"
    [ "$(grep -c 'LEAKTRACE_MAX_SIZE' bad.err)" = 1 ] || t_fail "LEAKTRACE_MAX_SIZE=$v: want one line on stderr, got: $(cat bad.err)"
done
LD_PRELOAD=$LIB LEAKTRACE_MAX_SIZE=10K LEAKTRACE_OUTPUT="$WORK/small.%p.trace" ./ringleak 0.1 1 > small.out 2> small.err
grep -q "below the 1M minimum; using 1M" small.err || t_fail "LEAKTRACE_MAX_SIZE=10K: $(cat small.err)"
t_end

t_begin ring_hot_site_leak_keeps_its_stack
# The site's first STACK record is overwritten long before its one leak.
# 1.5 M iterations: since format 1.7 (zstd frames across chunks) 600,000
# made a 518 kB trace, which did not wrap the 1 MiB ring.
H=$(LEAKTRACE_MAX_SIZE=1M trace_run hot ./hotsite 1500000)
"$LT" report --format json "$H" > hot.json 2> hot.err || t_fail "report failed: $(cat hot.err)"
ok=$("$PY" - hot.json 2>&1 <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["trace_window"]["wrapped"], "the ring did not wrap"
leaks = d["leaks"]
assert len(leaks) == 1 and leaks[0]["blocks"] == 1, leaks
fns = [f.get("function") for f in leaks[0]["stack"]]
assert "hot_site" in fns and "main" in fns, fns
print("ok")
PYEOF
)
[ "$ok" = ok ] || t_fail "hot site: ${ok:-no output}"
t_end

# ---- blocks passed between threads ----------------------------------------------------
# The writer's live set sees each thread's events in order but the threads
# interleaved at random (docs/ring.md): it must still end exact. The exit
# scan reads its blocks from the live set, the analyzer replays the trace in
# sequence order: both must count the same live blocks, and a ring that
# wrapped (its checkpoints hold the live set) must still find the 7 leaks.
t_begin ring_blocks_passed_between_threads
for mode in full ring; do
    if [ $mode = ring ]; then
        # level 1 records, about 1.6 MB unbounded: the ring wraps whatever
        # the auto level and layout would choose (a 1 MB trace at level 6,
        # 0.7 MB in field streams, did not wrap)
        P=$(LEAKTRACE_COMPRESSION=1 LEAKTRACE_LAYOUT=records LEAKTRACE_MAX_SIZE=1M trace_run handoff_$mode ./handoff 3000000)
    else
        P=$(trace_run handoff_$mode ./handoff 400000)
    fi
    "$LT" report --leak-kinds all --format json "$P" > handoff_$mode.json 2> handoff_$mode.aerr ||
        { t_fail "$mode: report failed: $(head -2 handoff_$mode.aerr)"; continue; }
    got=$(json_get handoff_$mode.json '(j["reachability"]["blocks"] == j["totals"]["live_blocks"], sum(l["blocks"] for l in j["leaks"] if l["stack"] and l["stack"][0].get("function") == "leak_here"), j["anomalies"]["sequence_gaps"])')
    [ "$got" = "(True, 7, 0)" ] || t_fail "$mode: (exit scan's blocks == live blocks, leak_here blocks, gaps) = $got; $(json_get handoff_$mode.json '(j["reachability"], j["totals"]["live_blocks"])')"
    if [ $mode = ring ]; then
        [ "$(json_get handoff_$mode.json 'j["trace_window"]["wrapped"]')" = True ] || t_fail "ring: the 1M ring did not wrap"
    fi
done
t_end

# ---- event buffers that grow ----------------------------------------------------------
# Two threads calling malloc and free as fast as they can make events
# faster than the writer takes them: their buffers grow (LEAKTRACE_VERBOSE
# reports the largest) instead of making them wait, and nothing is lost.
t_begin ring_buffers_grow_and_lose_nothing
G=$(LEAKTRACE_VERBOSE=1 trace_run grow ./mallocbench 2 1000000)
kib=$(sed -n 's/.*largest event buffer \([0-9]*\) KiB.*/\1/p' grow.err | tail -1)
[ -n "$kib" ] && [ "$kib" -gt 256 ] || t_fail "the buffers did not grow (largest: '${kib}' KiB): $(grep 'writer thread' grow.err)"
[ -n "$kib" ] && [ "$kib" -le 8192 ] || t_fail "a buffer grew past 8 MiB: $kib KiB"
calls=$(sed -n 's/.*calls=\([0-9]*\).*/\1/p' grow.out)
"$LT" report --format json "$G" > grow.json 2> grow.aerr || t_fail "report failed: $(head -2 grow.aerr)"
got=$(json_get grow.json '(0 <= j["totals"]["allocations"] + j["totals"]["frees"] - '"${calls:-0}"' <= 20, j["anomalies"]["sequence_gaps"], j["anomalies"]["unknown_frees"], j["reachability"]["blocks"] == j["totals"]["live_blocks"])')
[ "$got" = "(True, 0, 0, True)" ] || t_fail "(events = calls, gaps, unknown frees, exit scan == live) = $got ($calls calls; $(json_get grow.json 'j["totals"]'))"
t_end

t_exit
