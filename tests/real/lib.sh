# lib.sh - bookkeeping and helpers shared by tests/run_real_programs.sh and
# tests/run_matrix.sh (sourced, not run). The sourcing script sets LIB (the
# tracer library), LT (the analyzer), PY (python3), TOOL (trace_tool.py) and T
# (its work directory) first.
# shellcheck shell=bash
# ---- bookkeeping -------------------------------------------------------------
NPASS=0
NFAIL=0
TN=""
TERR=()
TNOTE=()
t_begin() { TN=$1; TERR=(); TNOTE=(); }
bad() { TERR+=("$*"); }
note() { TNOTE+=("$*"); }     # printed (indented) after the PASS/FAIL line
t_end() {
    local e
    if [ ${#TERR[@]} -eq 0 ]; then
        echo "PASS $TN"
        NPASS=$((NPASS + 1))
    else
        echo "FAIL $TN: ${TERR[0]}"
        for e in "${TERR[@]:1}"; do echo "    $e"; done
        NFAIL=$((NFAIL + 1))
    fi
    for e in "${TNOTE[@]}"; do echo "    ($e)"; done
}

# ---- helpers -----------------------------------------------------------------
# run PREFIX SECS CMD...: CMD's stdout in PREFIX.out, stderr in PREFIX.err,
# exit status in RC (124/137: timed out). stdin is /dev/null. The outer
# redirection swallows bash's own "Aborted" notice for signal deaths.
run() {
    local p=$1 s=$2
    shift 2
    { timeout -k 5 "$s" "$@" >"$p.out" 2>"$p.err" </dev/null; RC=$?; } 2>/dev/null
}
# traced run: run PREFIX SECS with LD_PRELOAD and LEAKTRACE_OUTPUT=PATTERN.
# Extra VAR=VALUE words may come before CMD (env syntax).
trun() {
    local p=$1 s=$2 pat=$3
    shift 3
    run "$p" "$s" env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$pat" "$@"
}
# first N chars of a file, on one line, for messages
peek() { head -c "${2:-300}" "$1" 2>/dev/null | tr '\n' '|'; }
nlines() { if [ -s "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
timed_out() { [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; }

# same_run UPREFIX TPREFIX: the traced run behaved like the untraced one
# (exit status, stdout, stderr). The tracer's own notices (lines starting
# "leaktrace: ", see preload/log.c) are taken out of the traced stderr first;
# a test that wants none says so with no_notices.
same_run() {
    local u=$1 t=$2
    [ "$RC_U" -eq "$RC_T" ] || bad "exit status $RC_T traced, $RC_U untraced$(timed_out "$RC_T" && echo ' (timed out)')"
    cmp -s "$u.out" "$t.out" ||
        bad "stdout differs traced/untraced: $(diff "$u.out" "$t.out" | head -n 6 | tr '\n' '|')"
    grep -v '^leaktrace: ' "$t.err" >"$t.err.prog"
    cmp -s "$u.err" "$t.err.prog" ||
        bad "stderr differs traced/untraced: untraced '$(peek "$u.err")' traced '$(peek "$t.err.prog")'"
}
# no_notices TPREFIX: the tracer printed nothing on the traced run's stderr
no_notices() {
    ! grep -q '^leaktrace: ' "$1.err" || bad "the tracer printed notices: $(grep '^leaktrace: ' "$1.err" | head -n 3 | tr '\n' '|')"
}
# Every block live at exit is listed (--leak-kinds all): these tests check
# what is traced and symbolized, not reachability (tests/reach/ does).
# rep TRACE [ARGS...]: analyzer JSON report in TRACE.json, stderr in
# TRACE.json.err, exit status in REP_RC.
rep() {
    local tr=$1
    shift
    { timeout -k 5 120 "$LT" report --leak-kinds all --format json "$@" "$tr" >"$tr.json" 2>"$tr.json.err" </dev/null; REP_RC=$?; } 2>/dev/null
}
# jget JSON PATH...: the values in array J (see trace_tool.py get).
jget() {
    local out
    out=$(timeout 60 "$PY" "$TOOL" get "$@" 2>&1)
    local rc=$?
    mapfile -t J <<<"$out"
    if [ $rc -ne 0 ]; then bad "report JSON unreadable: $out"; return 1; fi
}
# check_report TRACE HOW STATUS WHAT: analyzer exit 0, complete, end
# how/status as given (empty: not checked), no sequence gaps, allocations > 0.
check_report() {
    local tr=$1 how=$2 st=$3 what=$4
    if [ ! -f "$tr" ]; then bad "$what: no trace file $tr"; return 1; fi
    rep "$tr"
    if [ "$REP_RC" -ne 0 ]; then
        bad "$what: analyzer exit $REP_RC on $(basename "$tr"): $(peek "$tr.json.err")"
        return 1
    fi
    jget "$tr.json" process.complete process.end.how process.end.status anomalies.sequence_gaps totals.allocations \
        process.forked anomalies.unknown_frees || return 1
    [ "${J[0]}" = true ] || bad "$what: process.complete is ${J[0]}, want true"
    [ -z "$how" ] || [ "${J[1]}" = "$how" ] || bad "$what: process.end.how is '${J[1]}', want '$how'"
    [ -z "$st" ] || [ "${J[2]}" = "$st" ] || bad "$what: process.end.status is ${J[2]}, want $st"
    [ "${J[3]}" = 0 ] || bad "$what: anomalies.sequence_gaps is ${J[3]}, want 0"
    [[ "${J[4]}" =~ ^[0-9]+$ ]] && [ "${J[4]}" -gt 0 ] || bad "$what: totals.allocations is ${J[4]}, want > 0"
    # Every free matches an earlier allocation (a forked child's frees of
    # blocks it inherited are the documented exception: docs/tracer.md).
    [ "${J[5]}" = true ] || [ "${J[6]}" = 0 ] || bad "$what: anomalies.unknown_frees is ${J[6]}, want 0 (a free without an earlier allocation)"
}
# check_traces DIR MAIN_EXE [HOW STATUS]: every trace in DIR is readable,
# complete, without sequence gaps, and ended by exit, _exit or exec; the one
# of the process we started (exe basename MAIN_EXE, not forked, not ended by
# exec) ended as HOW/STATUS and has allocations. Sets TRACES and EXES (the
# basenames of every traced executable, space separated).
check_traces() {
    local dir=$1 mainexe=$2 want_how=${3:-exit} want_st=${4:-0}
    local js complete how st gaps allocs exe pid b nmain=0
    traces_in "$dir"
    EXES=""
    [ ${#TRACES[@]} -gt 0 ] || { bad "no trace in $dir"; return 1; }
    for b in "${TRACES[@]}"; do
        rep "$b"
        [ "$REP_RC" -eq 0 ] || bad "analyzer exit $REP_RC on $(basename "$b"): $(peek "$b.json.err")"
    done
    while IFS=$'\t' read -r js complete how st gaps allocs exe pid forked ufrees; do
        [ -s "$js" ] || continue
        b=$(basename "${js%.json}")
        EXES="$EXES $(basename "$exe")"
        if [ "$complete" != true ]; then
            bad "$b: process.complete is $complete, want true (exe $exe, $allocs allocations, end record: $how)"
            continue
        fi
        [ "$gaps" = 0 ] || bad "$b: anomalies.sequence_gaps is $gaps"
        [ "$forked" = true ] || [ "$ufrees" = 0 ] || bad "$b: anomalies.unknown_frees is $ufrees, want 0 (exe $exe, not forked)"
        case $how in exit | _exit | exec) ;; *) bad "$b: process.end.how is '$how'" ;; esac
        if [ "$(basename "$exe")" = "$mainexe" ] && [ "$forked" = false ] && [ "$how" != exec ]; then
            nmain=$((nmain + 1))
            [ "$how/$st" = "$want_how/$want_st" ] || bad "$b ($mainexe): end is $how/$st, want $want_how/$want_st"
            [[ "$allocs" =~ ^[0-9]+$ ]] && [ "$allocs" -gt 0 ] || bad "$b ($mainexe): totals.allocations is $allocs, want > 0"
        fi
    done < <(timeout 60 "$PY" "$TOOL" summary "${TRACES[@]/%/.json}")
    [ "$nmain" -eq 1 ] || bad "want 1 complete trace of $mainexe itself (not forked, not exec'd away), found $nmain among:$EXES"
}
# the trace files in DIR (sorted), in array TRACES
traces_in() { mapfile -t TRACES < <(find "$1" -maxdepth 1 -type f -name '*.trace' | sort); }
have() { command -v "$1" >/dev/null 2>&1; }
# need TOOL...: FAIL the current test for each missing tool; false if any
need() {
    local t ok=0
    for t in "$@"; do
        if [ "${t#/}" != "$t" ]; then [ -x "$t" ] || { bad "$t is not installed"; ok=1; }
        else have "$t" || { bad "$t is not installed (not on PATH)"; ok=1; }; fi
    done
    return $ok
}
# vg_totals LOG: "ALLOCS FREES BYTES" from valgrind's "total heap usage" line
vg_totals() {
    sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes allocated.*/\1 \2 \3/p' "$1" | tr -d , | head -n 1
}
# one_line_error FILE WHAT: FILE (stderr) is exactly one "leaktrace: error:" line
one_line_error() {
    local n
    n=$(nlines "$1")
    if [ "$n" -ne 1 ] || ! head -n 1 "$1" | grep -q '^leaktrace: error: '; then
        bad "$2: stderr should be one line starting 'leaktrace: error:', is $n line(s): '$(peek "$1")'"
    fi
}


# timing T0 T1 T2 (date +%s%N before the untraced run, between, after the
# traced run): a note "untraced U s, traced T s (xR)"
timing() {
    local u=$(( ($2 - $1) / 1000000 )) t=$(( ($3 - $2) / 1000000 ))
    [ "$u" -gt 0 ] || u=1
    note "$(printf 'untraced %d.%03d s, traced %d.%03d s (x%d.%02d)' $((u / 1000)) $((u % 1000)) $((t / 1000)) $((t % 1000)) $((t / u)) $((t * 100 / u % 100)))"
}

# real_program NAME SECS HOW STATUS [VAR=VALUE...] CMD...: untraced and
# traced runs of CMD (env syntax: the variables are set for CMD itself; the
# traced run writes DIR/tr/%e.%p.trace), same behaviour, and exactly one
# trace with a complete report. Notes the wall times (timing).
real_program() {
    local name=$1 secs=$2 how=$3 st=$4
    shift 4
    local d=$T/$name
    mkdir -p "$d/tr"
    local t0 t1 t2
    t0=$(date +%s%N)
    run "$d/u" "$secs" env "$@"
    RC_U=$RC
    t1=$(date +%s%N)
    trun "$d/t" "$secs" "$d/tr/%e.%p.trace" "$@"
    RC_T=$RC
    t2=$(date +%s%N)
    timing "$t0" "$t1" "$t2"
    same_run "$d/u" "$d/t"
    no_notices "$d/t"
    [ "$RC_U" -eq "$st" ] || bad "untraced exit status $RC_U, the test expects $st: $(peek "$d/u.err")"
    traces_in "$d/tr"
    if [ ${#TRACES[@]} -ne 1 ]; then
        bad "want exactly 1 trace, got ${#TRACES[@]}: ${TRACES[*]:-none}"
    else
        check_report "${TRACES[0]}" "$how" "$st" trace
        LAST_TRACE=${TRACES[0]}
    fi
}

