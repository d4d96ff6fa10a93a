#!/bin/bash
# growth.sh - growth-rate leak detection on programs with known behaviour
# (tests/growth/server.c): a server loop with a 64-byte-per-request leak
# among churn and a bounded cache, a steady leak, a slow leak (1 block/s), a
# bounded cache, a cache that grows in steps then stops, a leak that starts
# half-way, pure churn, a buffer grown by realloc. Each has its expected verdict; --follow flags the
# server's leak while it runs; --window and the JSON contract.
# Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
D=$REPO/tests/growth
cd "$WORK" || exit 1

t_begin build
if ! gcc -g -O1 -o server "$D/server.c" 2> build.log; then t_fail "gcc: $(head -3 build.log)"; fi
t_end

# All patterns run at once (5 s each, 1 request per ms).
for m in server steady slow cache steps late churn buffer; do
    LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$WORK/g_$m.trace" ./server $m 5 > "g_$m.out" 2> "g_$m.err" &
done
wait

# suspects MODE: "function@bytes_per_s_order" for each suspect, or none.
check() {
    local m=$1 want=$2
    t_begin "growth_$m"
    grep -q "^$m: [0-9]* requests" "g_$m.out" || t_fail "program output: $(cat "g_$m.out" "g_$m.err")"
    "$LT" growth --format json "g_$m.trace" > "g_$m.json" 2> "g_$m.aerr" || t_fail "growth failed: $(cat "g_$m.aerr")"
    got=$(json_get "g_$m.json" '" ".join(s["stack"][0]["function"] for s in j["suspects"]) or "none"')
    [ "$got" = "$want" ] || t_fail "suspects '$got', want '$want'"
}
check server leak_request
# 64 bytes per request at ~900 requests/s: the rate is in that range.
ok=$(json_get g_server.json '(lambda s: 20000 < s["rate_bytes_per_s"] < 70000 and s["confidence"] >= 0.8 and s["live_bytes"] % 64 == 0 and abs(s["projected_bytes_per_hour"] - 3600 * s["rate_bytes_per_s"]) < 1 and s["stack"][0]["file"].endswith("server.c") and isinstance(s["stack"][0]["line"], int))(j["suspects"][0])')
[ "$ok" = True ] || t_fail "server suspect figures: $(head -c 700 g_server.json)"
t_end
check steady leak_request; t_end
check slow leak_request
ok=$(json_get g_slow.json '(lambda s: 0.5 < s["rate_blocks_per_s"] < 1.5 and [f["function"] for f in s["stack"][:2]] == ["leak_request", "leak_slowly"])(j["suspects"][0])')
[ "$ok" = True ] || t_fail "slow leak figures: $(head -c 700 g_slow.json)"
t_end
check cache none; t_end
check steps none; t_end
check late leak_request; t_end
check churn none; t_end
# One block that realloc keeps growing: live blocks stay 1, bytes rise.
check buffer grow_log
[ "$(json_get g_buffer.json 'j["suspects"][0]["live_blocks"]')" = 1 ] || t_fail "the buffer is not one block"
t_end

t_begin growth_window
# The late leak starts at 2.5 s: nothing before, a suspect after.
"$LT" growth --format json --window 0..2.4 g_late.trace > w1.json || t_fail "window 0..2.4 failed"
[ "$(json_get w1.json 'len(j["suspects"])')" = 0 ] || t_fail "suspect before the leak started"
"$LT" growth --format json --window 2.6.. g_late.trace > w2.json || t_fail "window 2.6.. failed"
[ "$(json_get w2.json '[s["stack"][0]["function"] for s in j["suspects"]]')" = "['leak_request']" ] || t_fail "no suspect after 2.6 s"
# A window too short for --min-duration: nothing.
"$LT" growth --format json --window 3..4 g_steady.trace > w3.json
[ "$(json_get w3.json 'len(j["suspects"])')" = 0 ] || t_fail "1 s window passed --min-duration 2"
"$LT" growth --format json --window 3..4 --min-duration 0.5 g_steady.trace > w4.json
[ "$(json_get w4.json 'len(j["suspects"])')" = 1 ] || t_fail "--min-duration 0.5 on a 1 s window"
t_end

t_begin growth_text_and_report
"$LT" growth g_server.trace > gs.txt || t_fail "growth text failed"
grep -q '^growth suspects: 1$' gs.txt && grep -q '^    at leak_request (.*server.c:[0-9]*) in server$' gs.txt || t_fail "$(cat gs.txt)"
grep -q '/hour; confidence' gs.txt || t_fail "no rate/projection line"
"$LT" report g_server.trace > rep.txt 2>&1 || t_fail "report failed"
grep -q '^growth suspects: 1 ' rep.txt || t_fail "report has no growth section: $(tail -5 rep.txt)"
"$LT" report --format json g_server.trace > rep.json
[ "$(json_get rep.json '[s["stack"][0]["function"] for s in j["growth_suspects"]]')" = "['leak_request']" ] || t_fail "report JSON growth_suspects"
"$LT" report g_cache.trace | grep -q 'growth suspects' && t_fail "the cache has a growth section"
t_end

# A live service: --follow flags the leak within 5 s of run time, and
# stops by itself when the program ends.
t_begin growth_follow
rm -f live.trace
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$WORK/live.trace" ./server server 7 > live.out 2>&1 &
pid=$!
for _ in $(seq 50); do [ -s live.trace ] && break; sleep 0.1; done
timeout 60 "$LT" growth --follow live.trace > follow.txt 2> follow.err; frc=$?
wait $pid
[ $frc -eq 0 ] || t_fail "--follow exit $frc: $(cat follow.err)"
first=$(grep -m1 'growth suspect' follow.txt)
at=$(printf '%s\n' "$first" | sed -n 's/^\[\([0-9.]*\) s\] growth suspect.*/\1/p')
[ -n "$at" ] && awk -v a="$at" 'BEGIN { exit !(a <= 5.0) }' || t_fail "first suspect at '$at' s: $(head -5 follow.txt)"
grep -A3 'growth suspect' follow.txt | grep -q 'at leak_request' || t_fail "follow suspect is not leak_request: $(cat follow.txt)"
[ "$(grep -c '\] growth suspect$' follow.txt)" = 1 ] || t_fail "more than one suspect: $(cat follow.txt)"
grep -q 'the traced program ended (exit status 0): 1 growth suspect$' follow.txt || t_fail "no end line: $(tail -3 follow.txt)"
t_end

t_begin growth_bad_options
"$LT" growth --window 5..2 g_server.trace > /dev/null 2> e1; [ $? -eq 2 ] || t_fail "--window 5..2 accepted"
"$LT" growth --window 100..200 g_server.trace > /dev/null 2> e2; [ $? -eq 2 ] && grep -q 'holds no part of the run' e2 || t_fail "window outside: $(cat e2)"
"$LT" growth --min-confidence 2 g_server.trace > /dev/null 2> e3; [ $? -eq 2 ] || t_fail "--min-confidence 2 accepted"
"$LT" growth --follow --format json g_server.trace > /dev/null 2> e4; [ $? -eq 2 ] || t_fail "--follow --format json accepted"
"$LT" growth nosuch.trace > /dev/null 2> e5; [ $? -eq 3 ] || t_fail "missing trace"
t_end

t_exit
