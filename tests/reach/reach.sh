#!/bin/bash
# reach.sh - the exit-time reachability scan end to end: each program of
# tests/reach/ runs under the tracer and under valgrind memcheck
# (--leak-check=full --show-leak-kinds=all --xml=yes); compare.py demands
# the same bytes and blocks per category (definitely, indirectly, possibly
# lost, still reachable), the same indirect bytes of definitely lost
# blocks, and the same loss records per allocating function. Also: the
# program's exit status and output are unchanged by the scan; _exit and
# LEAKTRACE_SCAN=0 leave the blocks "not freed" and the report says why;
# exit while 8 threads churn the heap neither hangs nor loses anything;
# `leaktrace ci` counts only definitely and indirectly lost blocks unless
# --leak-kinds says otherwise; the text report's loss records.
# valgrind missing is a FAIL (quickstart.sh installs it), not a skip.
# Run by tests/run_profile_tests.sh: reach.sh LIB ANALYZER WORKDIR.
source "$(dirname "$0")/../profiles/lib.sh"
D=$REPO/tests/reach
cd "$WORK" || exit 1

have_valgrind=1
command -v valgrind > /dev/null || have_valgrind=0

for prog in chains cycles globals stack interior tls threads; do
    t_begin "reach: $prog matches valgrind memcheck"
    if build_prog "$D/$prog.c" "$prog" -pthread; then
        rm -f "$prog".*.trace
        timeout -k 5 120 env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$prog.%p.trace" "./$prog" > "$prog.out" 2> "$prog.err"
        st=$?
        [ "$st" -eq 0 ] || t_fail "the traced program exited with $st"
        [ -s "$prog.err" ] && t_fail "the tracer wrote to stderr: $(head -2 "$prog.err")"
        tr=$(ls "$prog".*.trace 2>/dev/null | head -1)
        [ -n "$tr" ] || t_fail "no trace written"
        if [ -n "$tr" ]; then
            "$LT" report --show-reachable --no-default-suppressions --format json "$tr" > "$prog.json" 2> "$prog.rep.err" ||
                t_fail "leaktrace report failed: $(head -2 "$prog.rep.err")"
            [ "$(json_get "$prog.json" 'j["reachability"]["status"]')" = ran ] || t_fail "the scan did not run: $(json_get "$prog.json" 'j["reachability"]["detail"]')"
        fi
        if [ "$have_valgrind" = 0 ]; then
            t_fail "valgrind is not installed (quickstart.sh installs it)"
        else
            # valgrind serializes threads and has been seen spinning for minutes on
            # the threads program: a hang is a failure, not a stuck CI job.
            timeout -k 5 300 valgrind -q --leak-check=full --show-leak-kinds=all --xml=yes --xml-file="$prog.xml" "./$prog" > "$prog.vg.out" 2>&1 ||
                t_fail "valgrind run failed: $(head -3 "$prog.vg.out")"
            if ! "$PY" "$D/compare.py" "$prog.xml" "$prog.json" > "$prog.cmp" 2>&1; then
                t_fail "categories differ from valgrind's: $(grep -E 'differs|^site|MISMATCH|cannot' "$prog.cmp" | head -4 | tr '\n' ';')"
            fi
        fi
    fi
    t_end
done

# A private mapping of a file under /dev/shm (a tmpfs: a program run from
# there has its data segment mapped so) is a root like any data segment
# (the scan skipped every /dev/ path once, and reported what such globals
# point to as definitely lost). shmroot.c keeps its only pointer to a
# 1000-byte block there.
t_begin "reach: a private mapping of a /dev/shm file is a root"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    if build_prog "$D/shmroot.c" shmroot; then
        rm -f shmroot.*.trace
        env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="shmroot.%p.trace" ./shmroot > shmroot.out 2> shmroot.err || t_fail "shmroot failed: $(head -2 shmroot.err)"
        "$LT" report --show-reachable --no-default-suppressions --format json shmroot.*.trace > shmroot.json 2>/dev/null || t_fail "report of shmroot failed"
        got=$(json_get shmroot.json '[(s["kind"], s["bytes"]) for s in j["leaks"] if s["bytes"] == 1000]')
        [ "$got" = "[('still_reachable', 1000)]" ] || t_fail "the block kept from the /dev/shm mapping: $got, want still reachable"
    fi
else
    t_fail "/dev/shm is missing or not writable"
fi
t_end

# Threads still running at exit were stopped (or, blocking every signal,
# counted as not stopped); the exit was not delayed by the stop timeout.
t_begin "reach: threads running at exit are stopped, the one blocking signals is not"
if [ -f threads.json ]; then
    [ "$(json_get threads.json 'j["reachability"]["threads_stopped"]')" -ge 2 ] || t_fail "fewer than 2 threads stopped: $(json_get threads.json 'j["reachability"]')"
    [ "$(json_get threads.json 'j["reachability"]["threads_not_stopped"]')" -eq 1 ] || t_fail "not_stopped is not 1: $(json_get threads.json 'j["reachability"]')"
    ms=$(json_get threads.json 'j["reachability"]["time_ms"]')
    "$PY" -c "import sys; sys.exit(0 if $ms < 150 else 1)" || t_fail "the scan took $ms ms (a timeout was waited for)"
else
    t_fail "threads.json missing"
fi
t_end

# The text report: definitely lost first, valgrind's loss record wording,
# possibly lost and still reachable only counted unless --show-reachable.
t_begin "reach: text report lists definitely and indirectly lost, --show-reachable the rest"
if [ -f chains.json ]; then
    tr=$(ls chains.*.trace | head -1)
    "$LT" report "$tr" > chains.txt 2>&1 || t_fail "report failed"
    grep -q '^leaked: 656 bytes in 25 blocks' chains.txt || t_fail "leaked line: $(grep '^leaked' chains.txt)"
    grep -q '^    definitely lost: 80 bytes in 3 blocks$' chains.txt || t_fail "no definitely lost total line"
    grep -q '^    still reachable: 256 bytes in 9 blocks (not listed; --show-reachable lists them)$' chains.txt || t_fail "no still reachable line"
    grep -q '^360 (24 direct, 336 indirect) bytes in 1 block is definitely lost' chains.txt || t_fail "no valgrind-style loss record for the tree"
    first=$(grep -m1 -E 'bytes in [0-9]+ blocks? (is|are) ' chains.txt)
    case $first in *definitely*) ;; *) t_fail "the first loss record is not definitely lost: $first" ;; esac
    grep -q 'still reachable$' chains.txt && t_fail "still reachable listed without --show-reachable"
    "$LT" report --top 0 --show-reachable "$tr" > chains-all.txt 2>&1
    grep -q 'bytes in 5 blocks are still reachable$' chains-all.txt || t_fail "--show-reachable does not list the kept list"
    "$LT" report --leak-kinds bogus "$tr" > /dev/null 2> bogus.err
    [ $? -eq 2 ] || t_fail "--leak-kinds bogus is not a usage error (2)"
    grep -q "leak-kinds" bogus.err || t_fail "no message naming --leak-kinds"
fi
t_end

t_begin "reach: ci counts definitely+indirectly lost by default, --leak-kinds all counts every kind"
if [ -f chains.json ]; then
    rm -rf ci1 ci3 && mkdir -p ci1 && cp chains.*.trace ci1/
    "$LT" ci --top 0 --fail-on leaks --json ci1.json ci1 > ci1.txt 2>&1
    [ $? -eq 23 ] || t_fail "ci did not report findings (23)"
    lb=$(json_get ci1.json 'j["processes"][0]["totals"]["leaked_bytes"]')
    [ "$lb" = 656 ] || t_fail "ci leaked_bytes $lb, want 656 (definite+indirect)"
    "$LT" ci --top 0 --fail-on leaks --leak-kinds all --json ci2.json ci1 > ci2.txt 2>&1
    lb=$(json_get ci2.json 'j["processes"][0]["totals"]["leaked_bytes"]')
    [ "$lb" = 912 ] || t_fail "ci --leak-kinds all leaked_bytes $lb, want 912"
    mkdir -p ci3 && cp globals.*.trace ci3/
    "$LT" ci --fail-on leaks --leak-kinds possible ci3 > ci3.txt 2>&1
    [ $? -eq 0 ] || t_fail "ci --leak-kinds possible on a program without possibly lost blocks found something"
fi
t_end

t_begin "reach: exit while 8 threads churn the heap: no hang, status and output kept, nothing lost"
if build_prog "$D/churn.c" churn -pthread; then
    for run in 1 2 3; do
        rm -f churn.*.trace
        timeout 60 env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="churn.%p.trace" ./churn > churn.out 2> churn.err
        st=$?
        [ "$st" -eq 3 ] || { t_fail "run $run: exit status $st, want 3 (124: hung)"; break; }
        [ "$(cat churn.out)" = bye ] || t_fail "run $run: output changed: $(head -c 200 churn.out)"
        [ -s churn.err ] && t_fail "run $run: stderr: $(head -2 churn.err)"
        tr=$(ls churn.*.trace | head -1)
        "$LT" report --format json "$tr" > churn.json 2> churn.rep.err || { t_fail "run $run: report failed: $(head -2 churn.rep.err)"; break; }
        [ "$(json_get churn.json 'j["reachability"]["status"]')" = ran ] || t_fail "run $run: scan did not run"
        stopped=$(json_get churn.json 'j["reachability"]["threads_stopped"]')
        notst=$(json_get churn.json 'j["reachability"]["threads_not_stopped"]')
        [ $((stopped + notst)) -eq 8 ] || t_fail "run $run: $stopped stopped + $notst not stopped, want 8 threads"
        # With every thread stopped, the live set is exact: nothing lost,
        # the 8 thread vectors possibly lost.
        if [ "$stopped" -eq 8 ]; then
            got=$(json_get churn.json '(j["totals"]["by_kind"]["definitely_lost"]["blocks"], j["totals"]["by_kind"]["indirectly_lost"]["blocks"], j["totals"]["by_kind"]["possibly_lost"]["blocks"])')
            [ "$got" = "(0, 0, 8)" ] || t_fail "run $run: (definite, indirect, possible) blocks $got, want (0, 0, 8)"
        fi
    done
fi
t_end

t_begin "reach: _exit: no scan, the report says why, blocks not freed, status kept"
if build_prog "$D/underscore_exit.c" underscore_exit; then
    rm -f ux.*.trace
    LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="ux.%p.trace" ./underscore_exit
    st=$?
    [ "$st" -eq 7 ] || t_fail "exit status $st, want 7"
    tr=$(ls ux.*.trace 2>/dev/null | head -1)
    [ -n "$tr" ] || t_fail "no trace"
    if [ -n "$tr" ]; then
        "$LT" report "$tr" > ux.txt 2>&1
        grep -q 'reachability at exit: not scanned: the process did not end through exit() (it called _exit())' ux.txt ||
            t_fail "no 'not scanned' line: $(grep reachab ux.txt)"
        grep -q '^leaked: 30 bytes in 2 blocks' ux.txt || t_fail "the blocks are not reported as not freed: $(grep '^leaked' ux.txt)"
        "$LT" report --format json "$tr" > ux.json
        [ "$(json_get ux.json 'j["reachability"]["status"]')" = not_at_exit ] || t_fail "JSON status is not not_at_exit"
        [ "$(json_get ux.json '",".join(sorted(set(l["kind"] for l in j["leaks"])))')" = not_freed ] || t_fail "leaks are not of kind not_freed"
    fi
fi
t_end

t_begin "reach: LEAKTRACE_SCAN=0 disables the scan"
if [ -x chains ]; then
    rm -f off.*.trace
    LEAKTRACE_SCAN=0 LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="off.%p.trace" ./chains
    tr=$(ls off.*.trace | head -1)
    "$LT" report "$tr" > off.txt 2>&1
    grep -q 'reachability at exit: not scanned: LEAKTRACE_SCAN=0' off.txt || t_fail "no 'LEAKTRACE_SCAN=0' line"
    grep -q '^leaked: 912 bytes in 34 blocks' off.txt || t_fail "every live block should be a leak: $(grep '^leaked' off.txt)"
fi
t_end

# The writer keeps its live set for the scan and the ring's checkpoints
# only: with neither, it keeps none (and the report is the same).
t_begin "reach: no scan and no ring: the writer keeps no live set"
if [ -x chains ]; then
    rm -f nols.*.trace ring.*.trace
    LEAKTRACE_SCAN=0 LEAKTRACE_MAX_SIZE=0 LEAKTRACE_SAMPLE=0 LEAKTRACE_VERBOSE=1 LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="nols.%p.trace" ./chains 2> nols.err
    grep -q 'live set: not kept' nols.err || t_fail "no 'live set: not kept' line: $(grep 'live set' nols.err)"
    tr=$(ls nols.*.trace | head -1)
    "$LT" report "$tr" > nols.txt 2>&1
    grep -q '^leaked: 912 bytes in 34 blocks' nols.txt || t_fail "every live block should be a leak: $(grep '^leaked' nols.txt)"
    # With the ring (the default bound), the set is kept for checkpoints.
    LEAKTRACE_SCAN=0 LEAKTRACE_MAX_SIZE=1G LEAKTRACE_VERBOSE=1 LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="ring.%p.trace" ./chains 2> ring.err
    grep -q 'at the end: 34 blocks (912 bytes) live, live set [1-9]' ring.err ||
        t_fail "the live set should be kept for the ring: $(grep 'live set' ring.err)"
    # A sampled trace has no exit scan: without a bound, no live set either.
    rm -f samp.*.trace
    LEAKTRACE_SAMPLE=1 LEAKTRACE_SCAN=1 LEAKTRACE_MAX_SIZE=0 LEAKTRACE_VERBOSE=1 LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="samp.%p.trace" ./chains 2> samp.err
    grep -q 'live set: not kept' samp.err || t_fail "sampled, unbounded: no 'live set: not kept' line: $(grep 'live set' samp.err)"
fi
t_end

t_exit
