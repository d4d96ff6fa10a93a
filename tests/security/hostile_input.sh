#!/bin/bash
# hostile_input.sh - the analyzer on hand-made hostile traces
# (tests/security/mktrace.py): every declared length, count, depth and id
# is checked, and none makes it allocate much: each file is analysed under
# a 60 MB address-space limit (ulimit -v; the analyzer alone needs less
# than 40), where a 64 MiB buffer allocated for a 100-byte file fails. The
# answer is a report (exit 0, with a warning for what is cut short) or a
# clear "corrupt" error (exit 5), never out-of-memory (6) or a crash.
. "$(dirname "$0")/../profiles/lib.sh"
cd "$WORK" || exit 1
"$PY" "$REPO/tests/security/mktrace.py" "$WORK" || { echo "FAIL hostile_mktrace: cannot write the traces"; exit 1; }

# expect NAME EXIT [STDERR-PATTERN]
expect() {
    local name=$1 want=$2 pat=${3:-}
    t_begin "hostile_$name"
    local asan=""
    # an ASan build reserves terabytes of address space: no ulimit -v then
    if nm "$LT" 2>/dev/null | grep -q __asan_init; then asan=1; fi
    if [ -n "$asan" ]; then
        "$LT" report "$name.trace" > "$name.out" 2> "$name.err"
    else
        (ulimit -v 60000; exec "$LT" report "$name.trace") > "$name.out" 2> "$name.err"
    fi
    local rc=$?
    [ "$rc" -eq "$want" ] || t_fail "exit $rc, want $want: $(head -3 "$name.err")"
    [ -z "$pat" ] || grep -qE "$pat" "$name.err" || t_fail "stderr does not match '$pat': $(head -3 "$name.err")"
    grep -qiE "sanitizer|runtime error|out of memory" "$name.err" && t_fail "stderr: $(head -3 "$name.err")"
    t_end
}

expect valid 0
expect zlen_huge 0 "ends inside chunk 0"
expect rlen_huge 5 "frame holds .* bytes, the chunk header says 67108864"
# a chunk header with impossible sizes is not a chunk header: nothing left to read
expect rlen_over_max 5 "no chunk of the trace could be read"
expect thread_serial_huge 5 "malformed thread record"
expect thread_serial_2e9 5 "malformed thread record"
expect stack_depth_short 5 "malformed stack record"
expect stack_depth_2e9 5 "malformed stack record"
expect stack_id_huge 5 "far beyond the .* stacks defined"
# a damaged chunk is skipped with a warning naming the damage (docs/ring.md)
expect record_len_huge 0 "damaged chunk was skipped.*says it has .* bytes but only .* remain"
expect process_str_huge 5 "malformed process record"
expect module_nseg_huge 5 "malformed module record"
expect header_text_huge 5 "header text length .* implausible"

t_begin hostile_every_command
# Every command on every hostile file: a report or a clean error (exit 0,
# 2, 3 or 5), never a crash, out of memory or a sanitizer report (the ASan
# build of `make asan-e2e` exits 99 on one, leaks included).
for f in *.trace; do
    for cmd in "report" "report --format json" "dump" "dump --format json --peak" "pprof -o -" "flamegraph" \
               "flamegraph --folded" "marks" "threads" "growth" "timeline" "timeline --csv" "events" "ci"; do
        # shellcheck disable=SC2086
        "$LT" $cmd "$f" > cmd.out 2> cmd.err
        rc=$?
        case $rc in 0|2|3|5) ;; *) t_fail "$cmd $f: exit $rc: $(grep -m1 -iE 'error|sanitizer' cmd.err)" ;; esac
        grep -qiE "sanitizer|runtime error" cmd.err && t_fail "$cmd $f: $(grep -m1 -iE 'sanitizer|runtime error' cmd.err)"
    done
    "$LT" diff "$f" valid.trace > cmd.out 2> cmd.err
    case $? in 0|3|5) ;; *) t_fail "diff $f: exit $?: $(head -2 cmd.err)" ;; esac
done
t_end

t_begin hostile_address_zero
"$LT" report --format json address_zero.trace > az.json 2> az.err
rc=$?
[ "$rc" -eq 0 ] || t_fail "exit $rc: $(head -3 az.err)"
[ "$rc" -eq 0 ] && { [ "$(json_get az.json 'j["totals"]["live_blocks"]')" = 1 ] ||
    t_fail "live blocks $(json_get az.json 'j["totals"]["live_blocks"]'), want 1 (events at address 0 are ignored)"; }
t_end
t_exit
