#!/bin/bash
# marks.sh - marks (leaktrace.h, LEAKTRACE_MARK_SIGNAL), periodic samples
# (LEAKTRACE_INTERVAL), heap dumps (--mark/--at/--peak/--end, text and
# JSON) and diffs (within a run, across two runs, --fail-above), on
# programs traced with the real tracer. Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/lib.sh"
D=$REPO/tests/profiles
cd "$WORK" || exit 1
# dump never overwrites a file: a rerun in the same work dir starts clean.
rm -f before.dump end.dump peak.dump late.dump mid.dump after.dump after.json

t_begin build
build_prog "$D/phases.c" phases -pthread
build_prog "$D/phases.c" phases_nopie -pthread -no-pie
build_prog "$D/sigmark.c" sigmark
build_prog "$D/sleeper.c" sleeper
if ! g++ -g -O0 -I"$REPO/include" -o markcxx "$D/markcxx.cc" 2> markcxx.log; then t_fail "g++: $(head -2 markcxx.log)"; fi
t_end

# leaktrace.h without the tracer: runs, links nothing, says the tracer is absent.
t_begin mark_api_without_tracer
for p in ./phases ./phases_nopie; do
    out=$($p leak 2 2>&1); rc=$?
    [ $rc -eq 0 ] && [ "$out" = "phases done, tracer absent" ] || t_fail "$p untraced: rc=$rc out='$out'"
done
[ "$(./markcxx)" = 1000 ] || t_fail "markcxx untraced"
nm -D --undefined-only phases | grep -q leaktrace && t_fail "phases has an undefined leaktrace symbol"
t_end

# The live heap at each mark is exact.
t_begin marks_exact
T0=$(trace_run run0 ./phases leak 0)
[ "$(cat run0.out)" = "phases done, tracer active" ] || t_fail "traced output: $(cat run0.out)"
"$LT" marks --format json "$T0" > marks0.json 2> marks0.err || t_fail "marks failed: $(cat marks0.err)"
got=$(json_get marks0.json '" ".join("%s=%d/%d" % (m["label"], m["live_bytes"], m["live_blocks"]) for m in j["marks"])')
[ "$got" = "before=1000/10 after=51000/60 end-of-main=50000/50" ] || t_fail "marks: $got"
t_end

# With 4 threads allocating and freeing concurrently between the marks,
# the only non-runtime change is the leak (glibc keeps each thread's TLS
# block, allocated by the dynamic loader: a runtime site).
t_begin marks_exact_with_threads
T=$(trace_run run1 ./phases leak 4)
[ "$(cat run1.out)" = "phases done, tracer active" ] || t_fail "traced output: $(cat run1.out)"
"$LT" marks --format json "$T" > marks.json 2> marks.err || t_fail "marks failed: $(cat marks.err)"
got=$(json_get marks.json '[m["live_bytes"] for m in j["marks"]][0]')
[ "$got" = 1000 ] || t_fail "before: $got"
"$LT" diff --format json "$T@before" "$T@after" > thr.json || t_fail "diff failed"
got=$(json_get thr.json '" ".join("%s:%d" % (c["stack"][0]["function"], c["bytes_delta"]) for c in j["changes"])')
[ "$got" = "leak_phase:50000" ] || t_fail "changes: $got"
t_end

t_begin marks_text_lists_labels
"$LT" marks "$T" > marks.txt 2>&1 || t_fail "marks text failed"
for l in before after end-of-main; do grep -q " $l\$" marks.txt || t_fail "no $l in: $(cat marks.txt)"; done
t_end

# Same output and status traced and untraced; SIGUSR2 makes marks; the
# program's SIGUSR1 handler still runs.
t_begin mark_signal
# (through bash -c so that the death by SIGUSR2 is not announced by this shell)
bash -c './sigmark > sig.plain 2>&1; exit $?' 2>/dev/null; rc0=$?
LD_PRELOAD=$LIB LEAKTRACE_MARK_SIGNAL=SIGUSR2 LEAKTRACE_OUTPUT=sig.trace ./sigmark > sig.out 2> sig.err; rc1=$?
[ $rc0 -ne 0 ] || t_fail "untraced sigmark should die of SIGUSR2 (rc $rc0)"
[ $rc1 -eq 0 ] || t_fail "traced with LEAKTRACE_MARK_SIGNAL: rc=$rc1 $(cat sig.err)"
[ "$(cat sig.out)" = "usr1 handled 1 time(s)" ] || t_fail "output: $(cat sig.out)"
[ -s sig.err ] && t_fail "stderr not empty: $(cat sig.err)"
"$LT" marks --format json sig.trace > sig.json || t_fail "marks failed"
got=$(json_get sig.json '" ".join("%s=%d" % (m["label"], m["live_bytes"]) for m in j["marks"])')
[ "$got" = "SIGUSR2-1=111 SIGUSR2-2=333" ] || t_fail "signal marks: $got"
t_end

# Off by default: without the variable, SIGUSR2 kills exactly as untraced.
t_begin mark_signal_off_by_default
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT=sig2.trace bash -c './sigmark > /dev/null 2>&1; exit $?' 2>/dev/null; rc=$?
[ $rc -eq $rc0 ] || t_fail "status $rc, untraced $rc0"
t_end

t_begin mark_signal_bad_value
for v in SIGKILL SIGSEGV bogus 0; do
    LD_PRELOAD=$LIB LEAKTRACE_MARK_SIGNAL=$v LEAKTRACE_OUTPUT=bad.trace /bin/true 2> bad.err; rc=$?
    [ $rc -eq 0 ] || t_fail "$v: rc $rc"
    [ "$(wc -l < bad.err)" -eq 1 ] && grep -q "LEAKTRACE_MARK_SIGNAL='$v'" bad.err || t_fail "$v: stderr '$(cat bad.err)'"
    rm -f bad.trace
done
t_end

t_begin samples_interval
LD_PRELOAD=$LIB LEAKTRACE_INTERVAL=20 LEAKTRACE_OUTPUT=sl.trace ./sleeper || t_fail "sleeper failed"
"$LT" marks --samples --format json sl.trace > sl.json || t_fail "marks --samples failed"
n=$(json_get sl.json 'len(j["samples"])')
[ "$n" -ge 8 ] && [ "$n" -le 30 ] || t_fail "$n samples in 0.4 s at 20 ms"
# Live bytes rise with time, exactly as replayed: 1000 bytes per block.
ok=$(json_get sl.json 'all(s["live_bytes"] == 1000 * s["live_blocks"] for s in j["samples"]) and j["samples"][-1]["live_blocks"] > j["samples"][0]["live_blocks"] and all(s["threads"] == 1 and s["rss_bytes"] > 0 for s in j["samples"])')
[ "$ok" = True ] || t_fail "samples wrong: $(head -c 600 sl.json)"
LD_PRELOAD=$LIB LEAKTRACE_INTERVAL=0 LEAKTRACE_OUTPUT=sl0.trace ./sleeper
"$LT" marks --samples --format json sl0.trace > sl0.json
[ "$(json_get sl0.json 'len(j["samples"])')" = 0 ] || t_fail "LEAKTRACE_INTERVAL=0 still samples"
t_end

# Dumps: every moment, both encodings, read back identically.
t_begin dump_moments
"$LT" dump --mark before "$T" -o before.dump || t_fail "dump --mark"
"$LT" dump --mark after --format json "$T" -o after.json || t_fail "dump --format json"
"$LT" dump "$T" -o end.dump || t_fail "dump (end)"
"$LT" dump --peak "$T" -o peak.dump || t_fail "dump --peak"
"$LT" dump --at 1000 "$T" -o late.dump 2> late.err || t_fail "dump --at 1000"
head -1 before.dump | grep -qx 'leaktrace-heapdump 1' || t_fail "header: $(head -1 before.dump)"
grep -qx $'total\t1000\t10\t1000\t10' before.dump || t_fail "before totals: $(grep ^total before.dump)"
grep -qx $'moment\tmark' before.dump && grep -qx $'mark\tbefore' before.dump || t_fail "before moment"
# Thread runs keep glibc's per-thread TLS blocks (a few hundred bytes each).
v=$(json_get after.json 'j["totals"]["inuse_bytes"]')
[ "$v" -ge 51000 ] && [ "$v" -le 53000 ] || t_fail "after.json totals $v"
grep -q $'^total\t5[0-9][0-9][0-9][0-9]\t5[0-9]\t' end.dump || t_fail "end totals: $(grep ^total end.dump)"
# The peak: warmup + leak + one 5000-byte temporary (+ threads' blocks at most).
pk=$(awk -F'\t' '$1=="total"{print $2}' peak.dump)
[ "$pk" -ge 56000 ] || t_fail "peak $pk < 56000"
grep -q "ends at" late.err && [ "$(grep ^total late.dump)" = "$(grep ^total end.dump)" ] || t_fail "--at past the end: $(cat late.err)"
t_end

t_begin dump_at_time
# Half-way through the sleeper: about 20 of its 40 blocks.
"$LT" dump --at 0.2 sl.trace -o mid.dump || t_fail "dump --at 0.2"
b=$(awk -F'\t' '$1=="total"{print $3}' mid.dump)
[ "$b" -ge 10 ] && [ "$b" -le 30 ] || t_fail "blocks at 0.2 s: $b"
t_end

t_begin diff_within_run
"$LT" diff "$T@before" "$T@after" > d1.txt || t_fail "diff failed"
head -1 d1.txt | grep -q '+50,000 bytes (+50 blocks)' || t_fail "headline: $(head -1 d1.txt)"
first=$(grep -m1 '^    at ' d1.txt)
case $first in *leak_phase*phases.c:*) ;; *) t_fail "top change is not leak_phase: $first" ;; esac
# The temporaries and the threads' blocks cancel out: one change only.
grep -q '1 site changed: 1 new, 0 gone' d1.txt || t_fail "$(sed -n 4p d1.txt)"
t_end

t_begin diff_json_contract
"$LT" diff --format json before.dump after.json > d.json || t_fail "diff json failed"
ok=$(json_get d.json 'j["totals"]["bytes_delta"] == 50000 and j["totals"]["blocks_delta"] == 50 and j["changes"][0]["bytes_delta"] == 50000 and j["changes"][0]["blocks_delta"] == 50 and j["changes"][0]["bytes_before"] == 0 and j["changes"][0]["bytes_after"] == 50000 and j["changes"][0]["stack"][0]["function"] == "leak_phase" and j["changes"][0]["stack"][0]["file"].endswith("phases.c") and isinstance(j["changes"][0]["stack"][0]["line"], int) and j["changes"][0]["stack"][0]["module"].endswith("/phases")')
[ "$ok" = True ] || t_fail "contract: $(head -c 800 d.json)"
t_end

t_begin diff_dump_text_vs_json_same_moment
"$LT" dump --mark after "$T" -o after.dump
"$LT" diff --format json after.dump after.json > same.json || t_fail "diff failed"
[ "$(json_get same.json 'len(j["changes"]), j["totals"]["bytes_delta"]')" = "(0, 0)" ] || t_fail "not identical: $(head -c 400 same.json)"
t_end

# Two runs (different pids, different ASLR bases): sites still match.
t_begin diff_across_runs
T2=$(trace_run run2 ./phases noleak 2)
T3=$(trace_run run3 ./phases leak 3)
b1=$(grep -m1 '^module' before.dump | cut -f4)
"$LT" dump --mark after "$T3" -o run3.dump
b3=$(grep -m1 '^module' run3.dump | cut -f4)
[ "$b1" != "$b3" ] || t_fail "same load address in two runs ($b1): ASLR off?"
"$LT" diff --format json "$T2@after" "$T3@after" > runs.json || t_fail "diff failed"
ok=$(json_get runs.json 'j["totals"]["bytes_delta"] == 50000 and len(j["changes"]) == 1 and j["changes"][0]["status"] == "new" and j["changes"][0]["stack"][0]["function"] == "leak_phase"')
[ "$ok" = True ] || t_fail "across runs: $(head -c 900 runs.json)"
"$LT" diff --format json "$T2@after" run3.dump > runs2.json || t_fail "diff trace vs dump failed"
[ "$(json_get runs2.json 'j["totals"]["bytes_delta"]')" = 50000 ] || t_fail "trace vs dump"
# Nothing changed between two runs of the same phase: an empty diff.
"$LT" diff --format json "$T@before" "$T3@before" > none.json
[ "$(json_get none.json 'len(j["changes"])')" = 0 ] || t_fail "unchanged phases differ: $(head -c 600 none.json)"
t_end

t_begin diff_fail_above
"$LT" diff --fail-above 40000 "$T@before" "$T@after" > /dev/null 2> fa.err; rc=$?
[ $rc -eq 1 ] && grep -q 'grew by 50000 bytes, more than --fail-above 40000' fa.err || t_fail "40000: rc $rc $(cat fa.err)"
"$LT" diff --fail-above 50000 "$T@before" "$T@after" > /dev/null 2>&1 || t_fail "50000 (equal) should pass"
"$LT" diff --fail-above 1M "$T@before" "$T@after" > /dev/null 2>&1 || t_fail "1M should pass"
"$LT" diff --fail-above 48K "$T@before" "$T@after" > /dev/null 2>&1; [ $? -eq 1 ] || t_fail "48K (49152) should fail"
"$LT" diff --fail-above 0 "$T@after" "$T@before" > /dev/null 2>&1 || t_fail "shrinking should pass"
t_end

t_begin diff_cxx_demangled
T4=$(trace_run cxx ./markcxx)
"$LT" diff --format json "$T4@before" "$T4@after" > cxx.json || t_fail "diff failed"
f=$(json_get cxx.json 'j["changes"][0]["stack"][0]["function"] if j["changes"] else None')
case $f in *"app::Cache::grow(int)"*|*"std::"*) ;; *) t_fail "top frame '$f'" ;; esac
grep -q 'app::Cache::grow' cxx.json || t_fail "no demangled app::Cache::grow in the diff"
[ "$(json_get cxx.json 'j["totals"]["bytes_delta"]')" -ge 4000 ] || t_fail "vector not seen"
t_end

# Bad input: clear messages, documented statuses, never a crash.
t_begin bad_input
"$LT" dump --mark nope "$T" > /dev/null 2> e1; rc=$?
[ $rc -eq 2 ] && grep -q 'has no mark "nope"; its marks are: "before", "after", "end-of-main"' e1 || t_fail "no such mark: rc $rc $(cat e1)"
"$LT" dump --mark x sl.trace > /dev/null 2> e2; [ $? -eq 2 ] && grep -q 'has no marks at all' e2 || t_fail "no marks: $(cat e2)"
"$LT" diff before.dump "$T@" > /dev/null 2> e3; [ $? -eq 2 ] || t_fail "empty @: $(cat e3)"
"$LT" dump --at soon "$T" > /dev/null 2> e4; [ $? -eq 2 ] && grep -q -- '--at wants seconds' e4 || t_fail "--at soon: $(cat e4)"
"$LT" dump --at 1 --mark before "$T" > /dev/null 2> e5; [ $? -eq 2 ] || t_fail "two moments accepted"
"$LT" diff "before.dump@after" after.dump > /dev/null 2> e6; [ $? -eq 2 ] && grep -q 'is a heap dump' e6 || t_fail "moment of a dump: $(cat e6)"
head -n 12 before.dump > cut.dump
"$LT" diff cut.dump after.dump > /dev/null 2> e7; [ $? -eq 5 ] && grep -q 'cut short' e7 || t_fail "cut dump: rc $? $(cat e7)"
sed 's/^leaktrace-heapdump 1$/leaktrace-heapdump 9/' before.dump > v9.dump
"$LT" diff v9.dump after.dump > /dev/null 2> e8; [ $? -eq 4 ] && grep -q 'version 9 is not supported' e8 || t_fail "version: $(cat e8)"
echo 'hello' > notadump
"$LT" diff notadump after.dump > /dev/null 2> e9; [ $? -eq 4 ] && grep -q 'neither a leaktrace trace nor a heap dump' e9 || t_fail "garbage: $(cat e9)"
"$LT" diff missing.dump after.dump > /dev/null 2> e10; [ $? -eq 3 ] || t_fail "missing file: $(cat e10)"
"$LT" diff --fail-above lots a b > /dev/null 2> e11; [ $? -eq 2 ] || t_fail "--fail-above lots"
"$LT" dump "$T" -o /nonexistent/dir/x.dump 2> e12; [ $? -eq 3 ] && grep -q "cannot write" e12 || t_fail "unwritable: $(cat e12)"
for f in e1 e2 e4 e6 e7 e8 e9 e10; do grep -q '^leaktrace: error: ' $f || t_fail "$f has no 'leaktrace: error:' line"; done
t_end

t_exit
