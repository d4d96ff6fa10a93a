#!/bin/bash
# sampling.sh - the sampling mode (LEAKTRACE_SAMPLE) end to end, on programs
# with known allocation sites (tests/sampling/sites.c) and a busy request
# loop with a steady 64-byte leak (tests/sampling/busy.c):
#   - estimated live bytes and blocks of well-sampled sites within +-10 % of
#     the exact figures of a full trace of the same program;
#   - large blocks always recorded, with exact figures;
#   - frees of sampled blocks tracked (same thread, other thread, realloc,
#     realloc(p, 0)): no false leaks, no unknown frees;
#   - every report says the figures are estimates, with the rate; pprof's
#     period is the rate; dumps and diffs carry it;
#   - a fork child does not record frees of blocks it inherited;
#   - LEAKTRACE_SAMPLE_SEED reproduces the same samples; bad values are named
#     on stderr and the program runs with everything recorded;
#   - growth detection flags the busy loop's leak; the time it took is printed;
#   - a single-threaded program gets no tracer thread (glibc's malloc stays
#     in its single-thread mode) until it starts one, and its trace is still
#     written as it runs: a SIGKILL loses at most the last flush interval.
# Run by tests/run_profile_tests.sh as sampling.sh LIB ANALYZER WORKDIR.
#
# Why +-10 % holds: at LEAKTRACE_SAMPLE=4K (seed 42), keep_small's 65,536
# blocks of 256 B are each sampled with p = 1 - exp(-256/4096) = 0.0606:
# about 3,971 samples, and the estimate's relative standard deviation is
# sqrt((1 - p) / (N p)) = 1.5 %, so 10 % is 6.5 standard deviations
# (probability of a miss below 1e-10 for any seed). keep_grown (4,000 blocks
# of 5,000 B): p = 0.705, 2,820 samples, 1.0 %: 9.8 standard deviations.
# keep_big's 8 MiB blocks are missed with probability exp(-2048) at 4K and
# exp(-16) = 1e-7 at 512K.
source "$(dirname "$0")/../profiles/lib.sh"
D=$REPO/tests/sampling
cd "$WORK" || exit 1

t_begin sample_build
gcc -g -O0 -pthread -o sites "$D/sites.c" 2> build.log || t_fail "gcc sites.c: $(head -3 build.log)"
gcc -g -O0 -o busy "$D/busy.c" 2> build2.log || t_fail "gcc busy.c: $(head -3 build2.log)"
gcc -g -O0 -pthread -I"$REPO/include" -o lone "$D/lone.c" -ldl 2> build3.log || t_fail "gcc lone.c: $(head -3 build3.log)"
t_end

# run PREFIX ENV...: runs ./sites traced with the extra environment, prints the trace.
run() {
    local prefix=$1
    shift
    rm -f "$prefix".*.trace
    env "$@" LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$prefix.%p.trace" ./sites > "$prefix.out" 2> "$prefix.err" ||
        t_fail "./sites $* failed: $(head -3 "$prefix.err")"
    grep -q '^sites done$' "$prefix.out" || t_fail "./sites output changed: $(head -3 "$prefix.out")"
    ls "$prefix".*.trace 2>/dev/null | head -1
}

# site_fig DUMP_JSON FUNCTION: "inuse_bytes inuse_blocks" of the site whose
# innermost frame is FUNCTION (summed), "0 0" when there is none.
site_fig() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
b = n = 0
for s in j["sites"]:
    if s["stack"] and s["stack"][0]["function"] == sys.argv[2]:
        b += s["inuse_bytes"]; n += s["inuse_blocks"]
print(b, n)
EOF
}

rm -f estimates.txt
t_begin sample_estimates_match_full_trace
full=$(run full)
samp=$(run samp LEAKTRACE_SAMPLE=4K LEAKTRACE_SAMPLE_SEED=42)
"$LT" dump --format json "$full" > full.json 2> full.derr || t_fail "dump full: $(cat full.derr)"
"$LT" dump --format json "$samp" > samp.json 2> samp.derr || t_fail "dump sampled: $(cat samp.derr)"
# The exact figures are what the program does.
[ "$(site_fig full.json keep_small)" = "16777216 65536" ] || t_fail "full keep_small: $(site_fig full.json keep_small)"
[ "$(site_fig full.json keep_grown)" = "20000000 4000" ] || t_fail "full keep_grown: $(site_fig full.json keep_grown)"
# Raw samples recorded at keep_small (the only 256-byte allocations): well over 100.
nsmall=$("$LT" events "$samp" | grep -c '^alloc .* size=256 ')
[ "$nsmall" -ge 1000 ] || t_fail "only $nsmall samples at keep_small"
for f in keep_small keep_grown; do
    read -r eb en <<< "$(site_fig full.json $f)"
    read -r sb sn <<< "$(site_fig samp.json $f)"
    ok=$("$PY" -c "print(abs($sb - $eb) <= 0.10 * $eb and abs($sn - $en) <= 0.10 * $en)")
    [ "$ok" = True ] || t_fail "$f: estimated $sb bytes in $sn blocks, exact $eb in $en (beyond 10 %)"
    echo "  $f: exact $eb bytes / $en blocks, estimated $sb / $sn" >> estimates.txt
done
t_end
sed 's/^/ /' estimates.txt 2>/dev/null

t_begin sample_large_blocks_always_recorded
[ "$(site_fig samp.json keep_big)" = "83886080 10" ] || t_fail "4K: keep_big $(site_fig samp.json keep_big)"
big=$(run big LEAKTRACE_SAMPLE=512K LEAKTRACE_SAMPLE_SEED=7)
"$LT" dump --format json "$big" > big.json 2> big.derr || t_fail "dump: $(cat big.derr)"
# All 10 recorded; each weighs 1 / (1 - exp(-16)) = 1.0000001: 8,388,609 bytes.
nbig=$("$LT" events "$big" | grep -c '^alloc .* size=8388608 ')
[ "$nbig" = 10 ] || t_fail "512K: $nbig of the 10 blocks of 8 MiB recorded"
[ "$(site_fig big.json keep_big)" = "83886090 10" ] || t_fail "512K: keep_big $(site_fig big.json keep_big)"
t_end

t_begin sample_frees_tracked_no_false_leaks
"$LT" report --format json "$samp" > samp.rep.json 2> samp.rep.err
ok=$(json_get samp.rep.json 'sorted(set(l["stack"][0]["function"] for l in j["leaks"])) == ["keep_big", "keep_grown", "keep_small"] and j["anomalies"]["unknown_frees"] == 0 and j["anomalies"]["replaced_blocks"] == 0 and j["anomalies"]["sequence_gaps"] == 0')
[ "$ok" = True ] || t_fail "leaks/anomalies: $(head -c 600 samp.rep.json)"
for f in churn handed_over realloc_zero; do
    [ "$(site_fig samp.json $f)" = "0 0" ] || t_fail "$f still live in the sampled trace: $(site_fig samp.json $f)"
done
# The frees really were recorded: churn's samples come with their frees.
nfree=$("$LT" events "$samp" | grep -c '^free ')
[ "$nfree" -ge 1000 ] || t_fail "only $nfree frees recorded"
t_end

t_begin sample_reports_say_estimated
"$LT" report "$samp" > r.txt 2>&1
grep -q '^NOTE: sampled trace (LEAKTRACE_SAMPLE=4096, .*estimates' r.txt || t_fail "report text: $(head -5 r.txt)"
[ "$(json_get samp.rep.json 'j["sampling"]')" = "{'estimated': True, 'rate_bytes': 4096}" ] || t_fail "report json sampling"
"$LT" growth "$samp" > g.txt 2>&1; grep -q '^NOTE: sampled trace' g.txt || t_fail "growth text: $(head -3 g.txt)"
"$LT" growth --format json "$samp" > g.json 2>/dev/null
[ "$(json_get g.json 'j["sampling"]["rate_bytes"]')" = 4096 ] || t_fail "growth json"
"$LT" threads "$samp" > th.txt 2>&1; grep -q '^NOTE: sampled trace' th.txt || t_fail "threads text: $(head -3 th.txt)"
"$LT" threads --format json "$samp" > th.json 2>/dev/null
[ "$(json_get th.json 'j["sampling"]["estimated"]')" = True ] || t_fail "threads json"
"$LT" marks "$samp" > mk.txt 2>&1; grep -q '^NOTE: sampled trace' mk.txt || t_fail "marks text"
"$LT" ci "$samp" > ci.txt 2>&1; grep -q '^    NOTE: sampled trace (LEAKTRACE_SAMPLE=4096' ci.txt || t_fail "ci text: $(head -5 ci.txt)"
"$LT" ci --json ci.json "$samp" > /dev/null 2>&1
[ "$(json_get ci.json 'j["processes"][0]["sampling"]["rate_bytes"]')" = 4096 ] || t_fail "ci json: $(head -c 400 ci.json)"
"$LT" dump "$samp" > samp.dump 2>/dev/null
grep -q '^sample_rate	4096$' samp.dump || t_fail "text dump has no sample_rate"
"$LT" diff "$full" samp.dump > d.txt 2>&1
grep -q '^NOTE: after: sampled trace (LEAKTRACE_SAMPLE=4096' d.txt && ! grep -q '^NOTE: before' d.txt || t_fail "diff text: $(head -6 d.txt)"
"$LT" diff --format json samp.json "$full" > d.json 2>/dev/null
[ "$(json_get d.json '(j["before"]["sampling"]["rate_bytes"], j["after"]["sampling"]["estimated"])')" = "(4096, False)" ] ||
    t_fail "diff json: $(head -c 500 d.json)"
"$LT" flamegraph "$samp" > f.svg 2>/dev/null; grep -q 'estimated from a sampled trace, LEAKTRACE_SAMPLE=4096' f.svg || t_fail "flamegraph"
"$LT" timeline -o t.svg "$samp" 2>/dev/null; grep -q 'estimated from a sampled trace (LEAKTRACE_SAMPLE=4096)' t.svg || t_fail "timeline svg"
# pprof: period_type space/bytes, period = the rate (Profile fields 11 and 12).
"$LT" pprof -o s.pb.gz "$samp" 2> pp.err || t_fail "pprof: $(cat pp.err)"
"$LT" pprof -o f.pb.gz "$full" 2>> pp.err || t_fail "pprof full: $(cat pp.err)"
period() {
    "$PY" - "$1" <<'EOF'
import gzip, sys
b = gzip.open(sys.argv[1]).read()
def varint(i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i
i, period, ptype = 0, None, False
while i < len(b):
    key, i = varint(i)
    f, w = key >> 3, key & 7
    if w == 0:
        v, i = varint(i)
        if f == 12: period = v
    elif w == 2:
        n, i = varint(i); i += n
        if f == 11: ptype = True
    else:
        sys.exit("unexpected wire type %d" % w)
print(period, ptype)
EOF
}
[ "$(period s.pb.gz)" = "4096 True" ] || t_fail "pprof period of the sampled trace: $(period s.pb.gz)"
[ "$(period f.pb.gz)" = "1 True" ] || t_fail "pprof period of the full trace: $(period f.pb.gz)"
# A full trace says nothing of the kind.
"$LT" report "$full" > rf.txt 2>&1; grep -q 'NOTE: sampled' rf.txt && t_fail "full report says sampled"
"$LT" report --format json "$full" > rf.json 2>/dev/null
[ "$(json_get rf.json 'j["sampling"]')" = "{'estimated': False, 'rate_bytes': 0}" ] || t_fail "full report json sampling"
t_end

t_begin sample_seed_reproducible_and_bad_values
a=$(run seed_a LEAKTRACE_SAMPLE=4K LEAKTRACE_SAMPLE_SEED=42)
na=$("$LT" events "$a" | grep -c '^alloc ')
ns=$("$LT" events "$samp" | grep -c '^alloc ')
[ "$na" = "$ns" ] || t_fail "same seed, different samples: $na vs $ns"
c=$(run seed_c LEAKTRACE_SAMPLE=4K LEAKTRACE_SAMPLE_SEED=43)
nc=$("$LT" events "$c" | grep -c '^alloc ')
[ "$nc" != "$ns" ] || t_fail "another seed gave the very same number of samples ($nc)"
bad=$(run bad LEAKTRACE_SAMPLE=12Q)
[ "$(wc -l < bad.err)" = 1 ] && grep -q "LEAKTRACE_SAMPLE='12Q' is not a byte count" bad.err || t_fail "bad value stderr: $(cat bad.err)"
"$LT" report --format json "$bad" > bad.json 2>/dev/null
[ "$(json_get bad.json '(j["sampling"]["estimated"], j["totals"]["live_blocks"] >= 69546)')" = "(False, True)" ] || t_fail "bad value: not a full trace"
m=$(run onem LEAKTRACE_SAMPLE=1MiB)
"$LT" report --format json "$m" > onem.json 2>/dev/null
[ "$(json_get onem.json 'j["sampling"]["rate_bytes"]')" = 1048576 ] || t_fail "1MiB not parsed"
zero=$(run zero LEAKTRACE_SAMPLE=0)
"$LT" report --format json "$zero" > zero.json 2>/dev/null
[ "$(json_get zero.json 'j["sampling"]["estimated"]')" = False ] || t_fail "LEAKTRACE_SAMPLE=0 is not a full trace"
t_end

# fork: the child's trace starts empty, so the child's free of a block it
# inherited (sampled in the parent) is not recorded: no unknown frees. At
# LEAKTRACE_SAMPLE=1 every block of 100 B or more is recorded, weight 1.
t_begin sample_fork_child
gcc -g -O0 -o fork_leak "$REPO/tests/programs/fork_leak.c" 2> fbuild.log || t_fail "gcc fork_leak.c: $(head -3 fbuild.log)"
rm -f fk.*.trace
LD_PRELOAD=$LIB LEAKTRACE_SAMPLE=1 LEAKTRACE_OUTPUT="$WORK/fk.%p.trace" ./fork_leak > fk.out 2> fk.err || t_fail "fork_leak failed: $(cat fk.err)"
n=0
for f in fk.*.trace; do
    "$LT" report --format json "$f" > "$f.json" 2>/dev/null
    if [ "$(json_get "$f.json" 'j["process"]["forked"]')" = True ]; then
        n=$((n + 1))
        ok=$(json_get "$f.json" '(j["anomalies"]["unknown_frees"], j["totals"]["leaked_bytes"], j["totals"]["leaked_blocks"])')
        [ "$ok" = "(0, 2800, 4)" ] || t_fail "child trace: (unknown frees, leaked bytes, blocks) = $ok, want (0, 2800, 4)"
    fi
done
[ "$n" = 1 ] || t_fail "$n child traces, want 1"
t_end

# One thread: the writer's work is done by the program's thread when it takes
# a sample, at most every 50 ms, until the process has a second thread
# (pthread_create, or C11 thrd_create, which does not go through the
# pthread_create symbol). lone.c makes 16 blocks of 256 B a millisecond
# (keep_lone, never freed); seeded, so the samples are the same each run.
# Killed after 400 passes, the trace holds all but the last interval.
t_begin sample_single_thread_no_writer_thread
rm -f lone_*.trace
lone() { # lone NAME MODE [ENV...]: runs ./lone MODE traced, output in NAME.out
    local name=$1 mode=$2
    shift 2
    env "$@" LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$WORK/$name.trace" LEAKTRACE_SAMPLE=4K LEAKTRACE_SAMPLE_SEED=42 \
        ./lone "$mode" > "$name.out" 2> "$name.err"
}
# (The subshell keeps bash's "Killed" line off the test's output.)
rc=$( (lone lone_k kill; echo $?) 2>/dev/null)
[ "$rc" = 137 ] || t_fail "lone kill: exit status $rc, want 137 (SIGKILL): $(head -3 lone_k.err)"
grep -qx 'threads 1' lone_k.out || t_fail "lone kill: a tracer thread ran beside the program's: $(cat lone_k.out)"
"$LT" report --format json lone_k.trace > lone_k.json 2> lone_k.aerr || t_fail "report of the killed run: $(head -3 lone_k.aerr)"
made=$(sed -n 's/^blocks //p' lone_k.out)
got=$(json_get lone_k.json 'sum(s["blocks"] for s in j["leaks"] if s["stack"][0]["function"] == "keep_lone")')
[ "$made" = 6400 ] && [ "$((got * 2))" -ge "$made" ] || t_fail "killed run: $got blocks of keep_lone estimated from the trace, the program made $made"
[ "$(json_get lone_k.json 'j["process"]["complete"]')" = False ] || t_fail "killed run's report not marked incomplete"
lone lone_t thread || t_fail "lone thread failed: $(head -3 lone_t.err)"
[ "$(grep '^threads' lone_t.out | tr '\n' ' ')" = "threads 1 threads 3 " ] ||
    t_fail "lone thread: want 1 thread, then 3 (the program's 2 and the tracer's writer): $(tr '\n' ' ' < lone_t.out)"
"$LT" report --format json lone_t.trace > lone_t.json 2> lone_t.aerr || t_fail "report: $(head -3 lone_t.aerr)"
made=$(sed -n 's/^blocks //p' lone_t.out)
got=$(json_get lone_t.json 'sum(s["blocks"] for s in j["leaks"] if s["stack"][0]["function"] == "keep_lone")')
# About 6400 / (1 / (1 - exp(-256 / 4096))) = 390 samples: 20 % is 4 standard deviations.
[ "$made" = 6400 ] && [ "$((got * 10))" -ge "$((made * 8))" ] && [ "$((got * 10))" -le "$((made * 12))" ] ||
    t_fail "lone thread: $got blocks of keep_lone estimated, the program made $made (want within 20 %)"
# The periodic samples (every 100 ms) come from the program's thread too;
# they count the program's threads, not the tracer's.
"$LT" marks --samples lone_t.trace > lone_t.marks 2>&1 || t_fail "marks: $(head -3 lone_t.marks)"
n=$(grep -c ' sample .* 1 threads, rss' lone_t.marks)
[ "$n" -ge 2 ] || t_fail "lone thread: $n periodic samples while it ran alone, want 2 or more: $(cat lone_t.marks)"
lone lone_c thrd || t_fail "lone thrd failed: $(head -3 lone_c.err)"
[ "$(grep '^threads' lone_c.out | tr '\n' ' ')" = "threads 1 threads 3 " ] ||
    t_fail "lone thrd: want 1 thread, then 3 after thrd_create: $(tr '\n' ' ' < lone_c.out)"
# 1.5 s at 1K: about 6,000 samples, far more than half a ring in all, but
# never half a ring between two drains: still no writer thread.
lone lone_l long LEAKTRACE_SAMPLE=1K || t_fail "lone long failed: $(head -3 lone_l.err)"
grep -qx 'threads 1' lone_l.out || t_fail "lone long: a tracer thread started: $(tr '\n' ' ' < lone_l.out)"
# With a mark signal the writer thread starts at once: the mark of an idle
# program must reach the file.
lone lone_m count LEAKTRACE_MARK_SIGNAL=SIGUSR2 || t_fail "lone count failed: $(head -3 lone_m.err)"
grep -qx 'threads 2' lone_m.out || t_fail "lone count with LEAKTRACE_MARK_SIGNAL: want the writer thread: $(cat lone_m.out)"
# A signal handler that calls _exit while the program's thread writes a
# chunk (sigwrite.so raises SIGTERM inside the write): the exit must not
# wait for the lock the interrupted write holds (it did, forever).
gcc -shared -fPIC -O2 -o sigwrite.so "$D/sigwrite.c" -ldl 2> build4.log || t_fail "gcc sigwrite.c: $(head -3 build4.log)"
rm -f lone_s.trace
timeout -s KILL 60 env LD_PRELOAD="$WORK/sigwrite.so $LIB" LEAKTRACE_OUTPUT="$WORK/lone_s.trace" LEAKTRACE_SAMPLE=4K \
    ./lone term > lone_s.out 2> lone_s.err
rc=$?
[ "$rc" = 3 ] || t_fail "lone term: exit status $rc, want 3 from its SIGTERM handler (137: hung, killed after 60 s)"
"$LT" report lone_s.trace > lone_s.txt 2>&1 || t_fail "report of lone term: $(head -3 lone_s.txt)"
grep -q '_exit status 3' lone_s.txt || t_fail "lone term's report: $(head -3 lone_s.txt)"
# The same while leaktrace_mark writes: 200 marks, more than wait for a write.
rm -f lone_n.trace
timeout -s KILL 60 env LD_PRELOAD="$WORK/sigwrite.so $LIB" LEAKTRACE_OUTPUT="$WORK/lone_n.trace" LEAKTRACE_SAMPLE=4K \
    ./lone marks > lone_n.out 2> lone_n.err
rc=$?
[ "$rc" = 3 ] || t_fail "lone marks: exit status $rc, want 3 from its SIGTERM handler (137: hung, killed after 60 s)"
t_end
echo "  killed after 400 ms: $(sed -n 's/^blocks //p' lone_k.out) blocks made, $(json_get lone_k.json 'sum(s["blocks"] for s in j["leaks"] if s["stack"][0]["function"] == "keep_lone")') estimated from the trace"

# Growth: a busy loop leaking 64 B per request, sampled at 512 KiB. The
# detection time is the shortest window 0..T (whole seconds) that flags it.
t_begin sample_growth_flags_busy_leak
rm -f busy.trace
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$WORK/busy.trace" LEAKTRACE_SAMPLE=512K LEAKTRACE_SAMPLE_SEED=1 ./busy 6 > busy.out 2> busy.err ||
    t_fail "busy failed: $(head -3 busy.err)"
"$LT" growth --format json busy.trace > busy.json 2> busy.aerr || t_fail "growth failed: $(cat busy.aerr)"
got=$(json_get busy.json '" ".join(s["stack"][0]["function"] for s in j["suspects"]) or "none"')
[ "$got" = leak_request ] || t_fail "suspects '$got', want leak_request"
first=none
for T in 1 2 3 4 5 6; do
    if "$LT" growth --window 0..$T busy.trace 2>/dev/null | grep -q '^    at leak_request'; then first=$T; break; fi
done
reqs=$(sed -n 's/^requests=\([0-9]*\) seconds=\([0-9.]*\).*/\1 \2/p' busy.out)
nleak=$("$LT" events busy.trace | grep -c '^alloc .* size=64 ')
t_end
echo "  busy loop: $reqs (requests, seconds), $nleak samples of the 64 B leak; growth flagged it from a 0..${first} s window"

t_exit
