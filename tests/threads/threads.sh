#!/bin/bash
# threads.sh - thread lifecycle tracking and thread alerts: every alert kind
# and every non-alert case (joined, detached by attribute, by call, by the
# thread itself, pthread_exit, cancellation, try/timed joins, threads made
# by threads, pools that plateau, churn), run traced and untraced (same
# output, same status), with the exact verdicts of `leaktrace threads`.
# Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
D=$REPO/tests/threads
cd "$WORK" || exit 1

t_begin build
build_prog "$D/thr_modes.c" thr_modes -pthread
if ! g++ -g -O0 -pthread -o cxx_threads "$D/cxx_threads.cc" 2> cxx.log; then t_fail "g++: $(head -2 cxx.log)"; fi
t_end

# verdict MODE EXPECTED: EXPECTED is "kind:count ..." sorted, or "none".
verdict() {
    local mode=$1 want=$2 extra=${3:-}
    t_begin "threads_$mode"
    plain=$(./thr_modes "$mode" 2>&1); prc=$?
    T=$(trace_run "$mode" ./thr_modes "$mode")

    [ "$(cat "$mode.out")" = "$plain" ] && [ $prc -eq 0 ] || t_fail "output differs: '$(cat "$mode.out")' vs '$plain' (rc $prc)"
    [ -s "$mode.err" ] && t_fail "stderr: $(head -2 "$mode.err")"
    "$LT" threads --format json $extra "$T" > "$mode.json" 2> "$mode.aerr" || t_fail "leaktrace threads failed: $(cat "$mode.aerr")"
    got=$(json_get "$mode.json" '" ".join(sorted("%s:%d" % (a["kind"], a["count"]) for a in j["alerts"])) or "none"')
    [ "$got" = "$want" ] || t_fail "alerts '$got', want '$want'"
}

verdict joined none;                   t_end
verdict detached_attr none;            t_end
verdict detached_call none;            t_end
verdict self_detach none;              t_end
verdict never_joined never_joined:3
f=$(json_get never_joined.json 'j["alerts"][0]["stack"][0]["function"] + " " + (j["alerts"][0]["start_function"] or "")')
[ "$f" = "spawn quick" ] || t_fail "creation stack/start routine: '$f'"
[ "$(json_get never_joined.json 'j["threads"]["created"]')" = 3 ] || t_fail "created count"
t_end
verdict running_at_exit running_at_exit:2
[ "$(json_get running_at_exit.json 'j["threads"]["running_at_exit"]')" = 2 ] || t_fail "threads.running_at_exit"
t_end
verdict pthread_exit_joined none;      t_end
verdict pthread_exit_unjoined never_joined:3
[ "$(json_get pthread_exit_unjoined.json '[t["end"] for t in j["table"]]')" = "['pthread_exit', 'pthread_exit', 'pthread_exit']" ] || t_fail "table end: $(json_get pthread_exit_unjoined.json '[t["end"] for t in j["table"]]')"
t_end
verdict cancel_joined none
[ "$(json_get cancel_joined.json '[t["end"] for t in j["table"]]')" = "['cancelled', 'cancelled']" ] || t_fail "not seen as cancelled"
t_end
verdict cancel_unjoined never_joined:2; t_end
verdict tryjoin_timedjoin none;        t_end
verdict nested_joined none
[ "$(json_get nested_joined.json 'j["threads"]["created"]')" = 6 ] || t_fail "6 threads expected"
t_end
verdict nested_unjoined never_joined:3
f=$(json_get nested_unjoined.json 'j["alerts"][0]["stack"][0]["function"]')
[ "$f" = parent ] || t_fail "created in '$f', want parent"
t_end
verdict named never_joined:1
[ "$(json_get named.json 'j["alerts"][0]["examples"][0]["name"]')" = named-worker ] || t_fail "name not recorded"
t_end
verdict pool_plateau none
[ "$(json_get pool_plateau.json 'j["threads"]["max_alive"]')" = 8 ] || t_fail "max_alive $(json_get pool_plateau.json 'j["threads"]["max_alive"]')"
t_end
# Two creation lines: two sites of 6; a pool grown in steps is not "growing".
verdict pool_steps "running_at_exit:6 running_at_exit:6";  t_end
verdict growing "growing:40 running_at_exit:40"; t_end
verdict churn none
[ "$(json_get churn.json 'j["threads"]["max_alive"]')" = 1 ] || t_fail "churn max_alive"
t_end

t_begin ignore_options
"$LT" threads --format json --ignore-running-at-exit "$(ls growing.*.trace)" > g1.json
[ "$(json_get g1.json '" ".join(a["kind"] for a in j["alerts"])')" = growing ] || t_fail "--ignore-running-at-exit: $(json_get g1.json '[a["kind"] for a in j["alerts"]]')"
G=$(ls growing.*.trace)
"$LT" threads --format json --ignore-thread 'block*' "$G" > g2.json
[ "$(json_get g2.json 'len(j["alerts"]), j["threads"]["ignored"]')" = "(0, 40)" ] || t_fail "--ignore-thread on the start routine"
N=$(ls nested_unjoined.*.trace)
"$LT" threads --format json --ignore-thread parent "$N" > n2.json
[ "$(json_get n2.json 'len(j["alerts"])')" = 0 ] || t_fail "--ignore-thread on a creation frame"
"$LT" threads --format json --ignore-thread 'thr_modes.c' "$N" > n3.json
[ "$(json_get n3.json 'len(j["alerts"])')" = 0 ] || t_fail "--ignore-thread on a file name"
"$LT" threads --format json --ignore-thread nomatch "$N" > n4.json
[ "$(json_get n4.json 'len(j["alerts"])')" = 1 ] || t_fail "a pattern that matches nothing ignored something"
t_end

t_begin report_includes_thread_alerts
"$LT" report "$N" > rep.txt || t_fail "report failed"
grep -q '^thread alerts: 1' rep.txt && grep -q '^never_joined: 3 threads' rep.txt || t_fail "text: $(tail -8 rep.txt)"
"$LT" report --format json "$N" > rep.json
[ "$(json_get rep.json 'j["thread_alerts"][0]["kind"], j["thread_alerts"][0]["count"], j["threads"]["created"]')" = "('never_joined', 3, 6)" ] || t_fail "json"
J=$(ls joined.*.trace)
"$LT" report "$J" | grep -q 'thread alerts' && t_fail "alerts section for a clean program"
t_end

t_begin threads_text_output
"$LT" threads "$G" > g.txt
grep -q '^threads: 40 created, 40 running at exit, at most 40 alive at once' g.txt || t_fail "$(sed -n 2p g.txt)"
grep -q '^growing: 40 threads alive at the end' g.txt && grep -q 'created at spawn (.*thr_modes.c:[0-9]*) in thr_modes' g.txt || t_fail "$(cat g.txt | head -12)"
t_end

t_begin cxx_std_thread
plain=$(./cxx_threads)
T=$(trace_run cxx ./cxx_threads)
[ "$(cat cxx.out)" = "$plain" ] || t_fail "output differs"
"$LT" threads --format json "$T" > cxx.json || t_fail "threads failed"
[ "$(json_get cxx.json 'j["threads"]["created"], len(j["alerts"])')" = "(3, 0)" ] || t_fail "$(json_get cxx.json 'j["threads"], j["alerts"]')"
t_end

t_begin no_threads_program
T=$(trace_run none /bin/true)
"$LT" threads "$T" | grep -q 'no threads created' || t_fail "$("$LT" threads "$T")"
t_end

t_exit
