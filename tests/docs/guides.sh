#!/bin/bash
# guides.sh - the guides tell the truth: runs the commands of
# docs/getting-started.md, guide-leaks-at-exit.md, guide-threads.md,
# guide-growth.md and guide-ci.md on the bundled examples and checks, with
# guide_check.py, that the output each guide shows is what the tools print
# now (pids, tids and directories aside). Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
G=$REPO/docs
check() {    # check NAME GUIDE MARKER ACTUAL [N]
    local out
    out=$("$PY" "$REPO/tests/docs/guide_check.py" "$G/$2" "$3" "$4" ${5:+"$5"} 2>&1) || t_fail "$out"
}

t_begin guides_build
# Built from the top directory, as the guides do, so debug info names
# examples/leaky.c and tests/growth/server.c.
( cd "$REPO" &&
  gcc -g -O0 -o "$WORK/leaky" examples/leaky.c &&
  gcc -g -O0 -pthread -o "$WORK/threads" examples/threads.c &&
  gcc -g -O1 -o "$WORK/server" tests/growth/server.c ) > "$WORK/build.log" 2>&1 || t_fail "gcc: $(head -3 "$WORK/build.log")"
cd "$WORK" || exit 1
sed 's|if (!seen) return NULL;   /\* Leak 1.*|if (!seen) { free(line); return NULL; }|' "$REPO/examples/leaky.c" > leaky-fixed.c
grep -q 'if (!seen) { free(line); return NULL; }' leaky-fixed.c || t_fail "the fix of getting-started.md no longer applies to examples/leaky.c"
gcc -g -O0 -o leaky-fixed leaky-fixed.c 2>> build.log || t_fail "gcc leaky-fixed: $(tail -3 build.log)"
t_end

t_begin guide_getting_started
rm -f leaktrace.leaky.*.trace
LD_PRELOAD=$LIB ./leaky > leaky.out || t_fail "leaky failed"
"$LT" report leaktrace.leaky.*.trace > gs_report.txt 2>&1 || t_fail "report failed: $(head -3 gs_report.txt)"
check gs1 getting-started.md "heap: 46 allocations, 39 frees" gs_report.txt
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT=fixed.trace ./leaky-fixed > /dev/null || t_fail "leaky-fixed failed"
"$LT" report fixed.trace > gs_fixed.txt 2>&1
check gs2 getting-started.md "heap: 46 allocations, 42 frees" gs_fixed.txt
"$LT" report --format json leaktrace.leaky.*.trace | "$PY" -m json.tool > gs_json.txt
check gs3 getting-started.md '"allocations": 46,' gs_json.txt
"$LT" flamegraph -o leaks.svg leaktrace.leaky.*.trace && grep -q "load_config" leaks.svg || t_fail "flamegraph of getting-started.md"
t_end

t_begin guide_leaks_at_exit
printf '# the interned keys live as long as the process: known, accepted\nleak:intern_key\n' > leaky.supp
check cat guide-leaks-at-exit.md "# the interned keys" leaky.supp
"$LT" report --suppressions leaky.supp leaktrace.leaky.*.trace > le_supp.txt 2>&1
check supp guide-leaks-at-exit.md '$ build/leaktrace report --suppressions' le_supp.txt
"$LT" report --no-default-suppressions --top 1 leaktrace.leaky.*.trace > le_nodef.txt 2>&1
check nodef guide-leaks-at-exit.md '$ build/leaktrace report --no-default-suppressions' le_nodef.txt
t_end

t_begin guide_threads
LEAKTRACE_OUTPUT=threads.trace LD_PRELOAD=$LIB ./threads > threads.out || t_fail "threads failed"
"$LT" threads threads.trace > th.txt 2>&1
check th guide-threads.md '$ build/leaktrace threads threads.trace' th.txt
"$LT" threads --ignore-thread watchdog threads.trace > th_ign.txt 2>&1
check th_ign guide-threads.md '$ build/leaktrace threads --ignore-thread' th_ign.txt
t_end

t_begin guide_growth
LEAKTRACE_OUTPUT=service.trace LD_PRELOAD=$LIB ./server server 3 > server.out || t_fail "server failed"
"$LT" growth service.trace > gr.txt 2>&1
check gr guide-growth.md 'at leak_request (tests/growth/server.c:43) in server' gr.txt
grep -q "^growth suspects: 1$" gr.txt || t_fail "growth suspects: $(head -4 gr.txt)"
"$LT" timeline --csv --top 2 service.trace | head -1 > tl.txt
check tl guide-growth.md 'time_s,live_bytes' tl.txt 1
t_end

t_begin guide_ci
cat > run-tests.sh <<'SH'
#!/bin/sh
# a stand-in for a project's test suite: two test programs
./leaky > /dev/null && ./leaky-fixed > /dev/null && echo "tests passed"
SH
chmod +x run-tests.sh
rm -rf ci-traces
"$REPO/run-with-tracer.sh" --check --exclude sh --out ci-traces -- ./run-tests.sh > ci.txt 2>&1
st=$?
[ $st = 23 ] || t_fail "run-with-tracer.sh --check: status $st, want 23: $(tail -3 ci.txt)"
check ci guide-ci.md '$ ./run-with-tracer.sh --check' ci.txt
"$LT" ci --suppressions leaky.supp --exclude sh ci-traces > ci_supp.txt 2>&1
check ci_supp guide-ci.md '  suppressed:      2 findings' ci_supp.txt
"$LT" ci --exclude sh --write-baseline leaks.baseline ci-traces > /dev/null 2>&1
"$LT" ci --exclude sh --baseline leaks.baseline ci-traces > ci_base.txt 2>&1 || t_fail "ci --baseline: status $?"
check ci_base guide-ci.md '$ build/leaktrace ci --exclude sh --baseline' ci_base.txt
t_end
t_exit
