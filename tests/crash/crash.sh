#!/bin/bash
# crash.sh - crash safety: each fatal signal, with the default action and
# with the program's own handlers (exit, re-raise, recover, SA_RESETHAND,
# signal(), sigaction() queries), SIGKILL. Traced and untraced must end the
# same way (status, output); the trace must be readable, hold the block
# leaked before the crash, and record how the process ended.
# Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
D=$REPO/tests/crash
cd "$WORK" || exit 1
ulimit -c 0

t_begin build
build_prog "$D/crashy.c" crashy
t_end

# crash MODE WANT_END WANT_STATUS: WANT_END is "how:status" from the report.
crash() {
    local m=$1 want_end=$2
    t_begin "crash_$m"
    bash -c "./crashy $m > plain.$m.out 2>&1; exit \$?" 2>/dev/null; rc0=$?
    rm -f "t.$m".*
    LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$WORK/t.$m.trace" bash -c "./crashy $m > traced.$m.out 2> traced.$m.err; exit \$?" 2>/dev/null; rc1=$?
    [ $rc0 -eq $rc1 ] || t_fail "status traced $rc1, untraced $rc0"
    cmp -s plain.$m.out traced.$m.out || t_fail "output differs: '$(cat traced.$m.out)' vs '$(cat plain.$m.out)'"
    local T
    T=$(ls t.$m.*trace 2>/dev/null | grep -v bash | head -1)
    for f in t.$m.*trace; do
        "$LT" report --format json "$f" > "$f.json" 2>/dev/null
        [ "$(json_get "$f.json" 'j["process"]["exe"].endswith("/crashy")' 2>/dev/null)" = True ] && T=$f
    done
    [ -n "$T" ] || { t_fail "no trace"; return; }
    "$LT" report --format json "$T" > "$m.json" 2> "$m.aerr" || t_fail "report failed: $(cat "$m.aerr")"
    got=$(json_get "$m.json" '(j["process"]["end"] or {}).get("how", "none") + ":" + str((j["process"]["end"] or {}).get("status", "")) if j["process"]["complete"] else "incomplete"')
    [ "$got" = "$want_end" ] || t_fail "end '$got', want '$want_end'"
    json_get "$m.json" '[l["stack"][0]["function"] for l in j["leaks"]]' | grep -q leak_before || t_fail "the block leaked before the crash is missing: $(json_get "$m.json" '[(l["bytes"], l["stack"][0]["function"]) for l in j["leaks"]]')"
}

crash segv_default signal:11; t_end
# The writer is moving its live set to a bigger table in its idle time when
# the fault comes: the handler must still get the writer's lock and end the
# trace (1 run in 8 ended incomplete before idle work gave way to it).
crash segv_big signal:11; t_end
crash segv_exit _exit:3; t_end
crash segv_reraise signal:11; t_end
crash segv_recover exit:0
json_get segv_recover.json '[l["stack"][0]["function"] for l in j["leaks"]]' | grep -q leak_after || t_fail "tracing stopped at the recovered fault"
t_end
crash resethand signal:11; t_end
crash abort_handler signal:6; t_end
crash fpe_default signal:8; t_end
crash ill_default signal:4; t_end
crash bus_default signal:7; t_end
crash query exit:0; t_end
crash signal_handler _exit:4; t_end
crash abort_default signal:6; t_end
crash underscore_exit _exit:5; t_end
crash kill_150ms incomplete
json_get kill_150ms.json '[l["stack"][0]["function"] for l in j["leaks"] if l["stack"]]' | grep -q leak_after ||
    t_fail "the block leaked 150 ms before SIGKILL is lost (more than 100 ms of events lost)"
t_end
crash kill_self incomplete
grep -q 'killed or crashed' kill_self.aerr || t_fail "no warning about the missing end: $(cat kill_self.aerr)"
t_end

t_exit
