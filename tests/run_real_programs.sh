#!/bin/bash
# run_real_programs.sh - leaktrace's end-to-end robustness tests: real
# programs nobody on this project wrote (sqlite3, python3, perl, bash, ls),
# traced and untraced; exactness against valgrind; the analyzer on bad and
# damaged input; the tracer's error handling (unwritable output, existing
# files, symlinks, bad settings, exec following, secure-execution mode); odd
# ways of ending (_exit, SIGKILL, abort).
#
# usage: tests/run_real_programs.sh LIB ANALYZER
#        (from `make test`: build/libleaktrace.so build/leaktrace)
#
# Needs root (the tests switch to user nobody and install a setuid copy of
# the library for a moment), gcc, sqlite3, /usr/bin/python3, perl, bash,
# valgrind, setpriv. A missing tool is a FAIL, not a skip.
#
# Environment:
#   LEAKTRACE_WORKLOADS   directory of the shared workloads (sqlite.sql);
#                         default: ../shared/workloads next to the repository
#   LEAKTRACE_KEEP_TMP=1  keep the work directory (printed at the end)
#
# Prints "PASS name" or "FAIL name: reason" (details indented below) for each
# test, then "N passed, M failed"; exits 1 if anything failed, 2 on bad usage.
# Helper programs are tests/real/*.c (built here with gcc -g -O0),
# tests/real/forky.sh, threads.py, subproc.py and trace_tool.py (report JSON,
# chunk surgery, the analyzer fuzzers; fixed seeds, so a failing case can be
# regenerated from its description).
#
# Tests (in order):
#  1 real programs, traced vs untraced (same exit status, stdout, stderr;
#    complete reports): real_sqlite3, real_python3_threads_*,
#    real_perl_hashes_regexes, real_bash_fork_exec (every process image's
#    trace), real_python3_subprocess
#  2 totals equal valgrind's: valgrind_exact_sqlite3, valgrind_exact_ls
#  3 the analyzer on bad input: analyzer_* (exit statuses, one-line errors,
#    cut and damaged traces, 500 fuzzed traces: never a crash)
#  4 the tracer's error handling: tracer_* (unusable output, existing files,
#    symlinks, mode 0600, a program closing every descriptor,
#    LEAKTRACE_DEPTH, LEAKTRACE_FOLLOW, vfork/fork/posix_spawn children,
#    name expansion, secure-execution mode)
#  4b binaries changed since the run: analyzer_binary_rebuilt, analyzer_binary_missing
#  5 odd ends: exit_underscore_exit, exit_sigkill_while_allocating, exit_abort
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 LIB ANALYZER" >&2
    exit 2
fi
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
LIB=$(abspath "$1")
LT=$(abspath "$2")
REPO=$(cd "$(dirname "$0")/.." && pwd)
REAL=$REPO/tests/real
TOOL=$REAL/trace_tool.py
WL=${LEAKTRACE_WORKLOADS:-$REPO/../shared/workloads}
PY=/usr/bin/python3          # not a pyenv shim from PATH
START=$SECONDS

# The runs below set exactly what they need.
unset LD_PRELOAD LEAKTRACE_OUTPUT LEAKTRACE_DEPTH LEAKTRACE_FOLLOW LEAKTRACE_COMPRESSION \
      LEAKTRACE_NO_ARGV LEAKTRACE_VERBOSE PYTHONMALLOC PYTHONHASHSEED PERL_HASH_SEED
export LC_ALL=C
ulimit -c 0                  # abort() must not dump core (timeout would say so)

T=$(mktemp -d "${TMPDIR:-/tmp}/leaktrace-real.XXXXXX") || { echo "cannot create a temp dir" >&2; exit 2; }
SECLIB=""                    # the setuid library copy in a system directory, if made
cleanup() {
    [ -n "$SECLIB" ] && rm -f "$SECLIB"
    if [ -n "${LEAKTRACE_KEEP_TMP:-}" ]; then
        echo "work directory kept: $T"
    else
        chmod -R u+rwX "$T" 2>/dev/null
        rm -rf "$T"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Bookkeeping (t_begin, bad, note, t_end) and helpers (run, trun, same_run,
# rep, jget, check_report, check_traces, need...): tests/real/lib.sh.
. "$REAL/lib.sh"

mkdir -p "$T/bin"

# ---- 0. tools and helper programs -----------------------------------------------
t_begin tools_present
[ "$(id -u)" = 0 ] || bad "must run as root (uid is $(id -u)): the tests switch to user nobody and install a setuid library copy"
need gcc sqlite3 "$PY" perl bash valgrind setpriv timeout
[ -f "$LIB" ] || bad "no tracer library at $LIB (run make first)"
[ -x "$LT" ] || bad "no analyzer at $LT (run make first)"
[ -f "$WL/sqlite.sql" ] || bad "no sqlite workload: $WL/sqlite.sql (set LEAKTRACE_WORKLOADS)"
t_end

t_begin build_helpers
for src in "$REAL"/*.c; do
    name=$(basename "$src" .c)
    if ! timeout 120 gcc -g -O0 -Wall -o "$T/bin/$name" "$src" >"$T/bin/$name.log" 2>&1; then
        bad "gcc $src failed: $(peek "$T/bin/$name.log" 500)"
    fi
done
t_end

# ---- 1. real programs, traced vs untraced ----------------------------------------------

t_begin real_sqlite3
SQLITE_TRACE=""
if need sqlite3 && [ -f "$WL/sqlite.sql" ]; then
    LAST_TRACE=""
    real_program sqlite 120 exit 0 sqlite3 :memory: -init "$WL/sqlite.sql" .quit
    SQLITE_TRACE=$LAST_TRACE
    [ -s "$T/sqlite/u.out" ] || bad "sqlite3 printed nothing: $(peek "$T/sqlite/u.err")"
elif [ ! -f "$WL/sqlite.sql" ]; then
    bad "no workload $WL/sqlite.sql"
fi
t_end

t_begin real_python3_threads_pythonmalloc_malloc
if need "$PY"; then
    real_program py_malloc 60 exit 0 PYTHONMALLOC=malloc "$PY" "$REAL/threads.py"
    grep -q '^thread 3:' "$T/py_malloc/u.out" || bad "threads.py output unexpected: $(peek "$T/py_malloc/u.out")"
fi
t_end

t_begin real_python3_threads_default_allocator
if need "$PY"; then
    real_program py_default 60 exit 0 "$PY" "$REAL/threads.py"
fi
t_end

t_begin real_perl_hashes_regexes
if need perl; then
    # shellcheck disable=SC2016
    real_program perl 60 exit 0 perl -e '
        my %h;
        for my $i (1 .. 30000) { my $k = "key" . ($i * 7919 % 10007); $h{$k} .= "v$i;"; }
        my $n = 0;
        for my $k (sort keys %h) { $n++ while $h{$k} =~ /v(\d*7);/g; }
        my @w = map { s/(\d+)/<$1>/gr } grep { /^key1\d*$/ } sort keys %h;
        my %len; $len{length $_}++ for values %h;
        printf "keys %d matched %d w %d first %s lens %d\n", scalar(keys %h), $n, scalar(@w), $w[0], scalar(keys %len);'
fi
t_end

t_begin real_bash_fork_exec
if need bash; then
    d=$T/bash
    mkdir -p "$d/tr" "$d/fix"
    printf 'alpha\nbeta\n' >"$d/fix/one"
    printf 'gamma\n' >"$d/fix/two"
    printf 'delta\nalpha\n' >"$d/fix/three"
    run "$d/u" 60 env FORKY_PIDFILE="$d/u.pid" bash "$REAL/forky.sh" "$d/fix"
    RC_U=$RC
    trun "$d/t" 60 "$d/tr/%e.%p.trace" FORKY_PIDFILE="$d/t.pid" bash "$REAL/forky.sh" "$d/fix"
    RC_T=$RC
    same_run "$d/u" "$d/t"
    [ "$RC_U" -eq 3 ] || bad "untraced exit status $RC_U, want 3: $(peek "$d/u.err")"
    grep -q '^acc length ' "$d/u.out" || bad "forky.sh output unexpected: $(peek "$d/u.out")"
    check_traces "$d/tr" bash exit 3
    [ ${#TRACES[@]} -ge 55 ] || bad "only ${#TRACES[@]} traces; want one per process image (>= 55: 50 \$(...) subshells, ls, cat, ...)"
    mainpid=$(cat "$d/t.pid" 2>/dev/null)
    [ -f "$d/tr/bash.$mainpid.trace" ] || bad "no trace bash.$mainpid.trace of the script's shell (pid $mainpid)"
    for want in ls cat sort tr wc; do
        [[ " $EXES " == *" $want "* ]] || bad "no trace of an exec'd '$want' (traced:$(echo "$EXES" | tr ' ' '\n' | sort | uniq -c | tr -s ' \n' ' '))"
    done
fi
t_end

t_begin real_python3_subprocess
if need "$PY"; then
    d=$T/pysub
    mkdir -p "$d/tr"
    run "$d/u" 60 "$PY" "$REAL/subproc.py"
    RC_U=$RC
    trun "$d/t" 60 "$d/tr/%e.%p.trace" "$PY" "$REAL/subproc.py"
    RC_T=$RC
    same_run "$d/u" "$d/t"
    [ "$RC_U" -eq 0 ] || bad "untraced exit status $RC_U: $(peek "$d/u.err")"
    check_traces "$d/tr" "$(basename "$(readlink -f "$PY")")"
    for want in true cat; do
        [[ " $EXES " == *" $want "* ]] || bad "no trace of the '$want' python started (traced:$EXES)"
    done
fi
t_end

# ---- 2. exact counts against valgrind --------------------------------------------------
# valgrind_vs_trace TRACE VGLOG: allocations and bytes_allocated equal
valgrind_vs_trace() {
    local tr=$1 log=$2 vg
    vg=$(vg_totals "$log")
    if [ -z "$vg" ]; then bad "no 'total heap usage' line in valgrind's log: $(peek "$log" 500)"; return; fi
    read -r va vf vb <<<"$vg"
    [ -f "$tr.json" ] || rep "$tr"
    jget "$tr.json" totals.allocations totals.bytes_allocated totals.frees || return
    [ "${J[0]}" = "$va" ] || bad "allocations: trace ${J[0]}, valgrind $va"
    [ "${J[1]}" = "$vb" ] || bad "bytes allocated: trace ${J[1]}, valgrind $vb"
    note "valgrind: $va allocs, $vf frees, $vb bytes; trace: ${J[0]} allocs, ${J[2]} frees, ${J[1]} bytes"
}

t_begin valgrind_exact_sqlite3
if need valgrind sqlite3; then
    if [ -z "$SQLITE_TRACE" ]; then
        bad "no sqlite3 trace (see real_sqlite3)"
    else
        run "$T/sqlite/vg" 300 valgrind --log-file="$T/sqlite/vg.log" sqlite3 :memory: -init "$WL/sqlite.sql" .quit
        if [ "$RC" -ne 0 ]; then bad "valgrind sqlite3 exit $RC: $(peek "$T/sqlite/vg.err")"; fi
        valgrind_vs_trace "$SQLITE_TRACE" "$T/sqlite/vg.log"
    fi
fi
t_end

t_begin valgrind_exact_ls
if need valgrind ls; then
    d=$T/ls
    mkdir -p "$d/tr"
    # stdout to /dev/null in both runs
    { timeout -k 5 60 env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$d/tr/ls.%p.trace" ls -la /usr/bin \
        >/dev/null 2>"$d/t.err" </dev/null; RC=$?; } 2>/dev/null
    [ "$RC" -eq 0 ] || bad "traced ls exit $RC: $(peek "$d/t.err")"
    traces_in "$d/tr"
    if [ ${#TRACES[@]} -ne 1 ]; then
        bad "want 1 trace, got ${#TRACES[@]}"
    else
        check_report "${TRACES[0]}" exit 0 trace
        { timeout -k 5 120 valgrind --log-file="$d/vg.log" ls -la /usr/bin >/dev/null 2>"$d/vg.err" </dev/null; RC=$?; } 2>/dev/null
        [ "$RC" -eq 0 ] || bad "valgrind ls exit $RC: $(peek "$d/vg.err")"
        valgrind_vs_trace "${TRACES[0]}" "$d/vg.log"
    fi
fi
t_end
# Not compared with valgrind: python3 (PYTHONMALLOC=malloc, PYTHONHASHSEED=0)
# running threads.py. Its counts are not a property of the program and input:
# with threads running at once they change from run to run (which thread
# takes the GIL when decides which allocations the interpreter's shared free
# lists absorb), and even without threads they depend on where the heap is:
# id()s and thread idents become Python ints whose size (28 or 32 bytes: one
# or two 30-bit digits) depends on the address, and valgrind's heap sits below
# 1 GiB; os.environ's copies differ as well (LD_PRELOAD).

# ---- 3. the analyzer on bad input ----------------------------------------------------------
A=$T/analyzer
mkdir -p "$A"
GOOD=""
t_begin analyzer_source_trace
trun "$A/chunky" 60 "$A/good.trace" "$T/bin/chunky" 12
[ "$RC" -eq 0 ] || bad "chunky exit $RC: $(peek "$A/chunky.err")"
if check_report "$A/good.trace" exit 0 "chunky trace"; then
    nch=$(timeout 30 "$PY" "$TOOL" chunks "$A/good.trace" 2>&1 | grep -vc '^header')
    if [ "$nch" -ge 4 ]; then GOOD=$A/good.trace; else bad "the trace has $nch chunks; the tests need >= 4: $(timeout 30 "$PY" "$TOOL" chunks "$A/good.trace" 2>&1 | tr '\n' '|')"; fi
fi
t_end

# bad_input NAME WANT_STATUS GREP_RE ARGS...: analyzer ARGS exits WANT with
# one "leaktrace: error:" line on stderr that matches GREP_RE (-E).
bad_input() {
    local name=$1 want=$2 re=$3
    shift 3
    t_begin "$name"
    run "$A/$name" 30 "$LT" "$@"
    if [ "$RC" -ge 124 ]; then bad "analyzer crashed or hung: exit $RC (stderr '$(peek "$A/$name.err")')"
    elif [ "$RC" -ne "$want" ]; then bad "exit $RC, want $want (stderr '$(peek "$A/$name.err")')"; fi
    one_line_error "$A/$name.err" "exit $RC"
    [ -z "$re" ] || grep -Eq -- "$re" "$A/$name.err" || bad "message does not match /$re/: '$(peek "$A/$name.err")'"
    t_end
}
# usage_error NAME ARGS...: exit 2, the first stderr line is the
# "leaktrace: error:" line (a usage hint may follow it).
usage_error() {
    local name=$1
    shift
    t_begin "$name"
    run "$A/$name" 30 "$LT" "$@"
    [ "$RC" -eq 2 ] || bad "exit $RC, want 2 (stderr '$(peek "$A/$name.err")')"
    head -n 1 "$A/$name.err" | grep -q '^leaktrace: error: ' ||
        bad "the first stderr line should start 'leaktrace: error:' (docs/analyzer.md: every error), is '$(head -n 1 "$A/$name.err")'"
    [ "$(grep -c '^leaktrace: error: ' "$A/$name.err")" -le 1 ] || bad "more than one error line: '$(peek "$A/$name.err")'"
    t_end
}

bad_input analyzer_missing_file 3 "$A/no-such.trace" report "$A/no-such.trace"
mkdir -p "$A/a-directory.trace"
bad_input analyzer_directory 3 "" report "$A/a-directory.trace"
: >"$A/empty.trace"
bad_input analyzer_empty_file 4 "" report "$A/empty.trace"
timeout 30 "$PY" "$TOOL" random-bytes "$A/random.trace" 4096 1
bad_input analyzer_random_bytes 4 "" report "$A/random.trace"

if [ -n "$GOOD" ]; then
    timeout 30 "$PY" "$TOOL" set-major "$GOOD" "$A/major2.trace" 2
    bad_input analyzer_major_version_2 4 'version 2([^0-9]|$)' report "$A/major2.trace"

    t_begin analyzer_cut_mid_last_chunk
    cut=$(timeout 30 "$PY" "$TOOL" cut-mid-last "$GOOD" "$A/cutmid.trace" 2>&1) || bad "cannot cut: $cut"
    rep "$A/cutmid.trace"
    [ "$REP_RC" -eq 0 ] || bad "exit $REP_RC, want 0 (stderr '$(peek "$A/cutmid.trace.json.err")')"
    jget "$A/cutmid.trace.json" process.complete totals.allocations &&
        { [ "${J[0]}" = false ] || bad "process.complete is ${J[0]}, want false"; }
    grep -Eq 'cut short|ends inside' "$A/cutmid.trace.json.err" ||
        bad "no warning saying 'cut short' or 'ends inside' on stderr: '$(peek "$A/cutmid.trace.json.err")'"
    run "$A/cutmid-text" 60 "$LT" report "$A/cutmid.trace"
    [ "$RC" -eq 0 ] && grep -q 'WARNING: incomplete trace' "$A/cutmid-text.out" ||
        bad "text report: exit $RC, no 'WARNING: incomplete trace' line"
    t_end

    t_begin analyzer_cut_at_chunk_boundary
    cut=$(timeout 30 "$PY" "$TOOL" cut-before-final "$GOOD" "$A/cutb.trace" 2>&1) || bad "cannot cut: $cut"
    rep "$A/cutb.trace"
    [ "$REP_RC" -eq 0 ] || bad "exit $REP_RC, want 0 (stderr '$(peek "$A/cutb.trace.json.err")')"
    jget "$A/cutb.trace.json" process.complete process.end totals.allocations &&
        { [ "${J[0]}" = false ] || bad "process.complete is ${J[0]}, want false"
          [ "${J[1]}" = null ] || bad "process.end is ${J[1]}, want null"
          [ "${J[2]}" -gt 0 ] 2>/dev/null || bad "totals.allocations is ${J[2]}, want > 0"; }
    [ -s "$A/cutb.trace.json.err" ] || bad "no warning on stderr about the incomplete trace"
    t_end

    off=$(timeout 30 "$PY" "$TOOL" flip-header "$GOOD" "$A/flip.trace" 2>&1)
    if [[ "$off" =~ ^[0-9]+$ ]]; then
        # a damaged chunk is skipped with a warning naming where (docs/ring.md),
        # the rest is read and the report says data was lost
        t_begin analyzer_damaged_chunk_header
        run "$A/analyzer_damaged_chunk_header" 30 "$LT" report "$A/flip.trace"
        if [ "$RC" -ne 0 ]; then bad "exit $RC, want 0 (stderr '$(peek "$A/analyzer_damaged_chunk_header.err")')"; fi
        grep -Eq "damaged chunk was skipped: data was lost.*(^|[^0-9])$off([^0-9]|$)" "$A/analyzer_damaged_chunk_header.err" ||
            bad "no warning naming byte $off: '$(peek "$A/analyzer_damaged_chunk_header.err")'"
        grep -q "^WARNING: 1 damaged chunk was skipped" "$A/analyzer_damaged_chunk_header.out" ||
            bad "the report does not say data was lost"
        t_end
    else
        t_begin analyzer_damaged_chunk_header; bad "cannot damage the trace: $off"; t_end
    fi
else
    for n in analyzer_major_version_2 analyzer_cut_mid_last_chunk analyzer_cut_at_chunk_boundary analyzer_damaged_chunk_header; do
        t_begin $n; bad "no source trace (see analyzer_source_trace)"; t_end
    done
fi

usage_error analyzer_bad_option report --no-such-option "$A/empty.trace"
usage_error analyzer_no_argument
usage_error analyzer_report_without_trace report
usage_error analyzer_unknown_command frobnicate
usage_error analyzer_top_not_a_number report --top abc "${GOOD:-$A/empty.trace}"

t_begin analyzer_output_unwritable
if [ -n "$GOOD" ]; then
    run "$A/ounw" 60 "$LT" report -o "$A/no-such-dir/report.txt" "$GOOD"
    [ "$RC" -eq 3 ] || bad "-o into a missing directory: exit $RC, want 3"
    one_line_error "$A/ounw.err" "-o into a missing directory"
    if [ -w /dev/full ]; then
        run "$A/ofull" 60 "$LT" report -o /dev/full "$GOOD"
        [ "$RC" -eq 3 ] || bad "-o /dev/full: exit $RC, want 3"
        one_line_error "$A/ofull.err" "-o /dev/full"
    fi
else
    bad "no source trace (see analyzer_source_trace)"
fi
t_end

# fuzz_test NAME TRACE_TOOL_ARGS...: trace_tool.py damages the source trace
# in many ways and runs the analyzer over each (see trace_tool.py fuzz)
fuzz_test() {
    local name=$1 out rc l
    shift
    t_begin "$name"
    if [ -n "$GOOD" ]; then
        mkdir -p "$A/$name"
        out=$(timeout 300 "$PY" "$TOOL" "$1" "$GOOD" "$LT" "$A/$name" "${@:2}" 2>&1)
        rc=$?
        if [ $rc -ne 0 ]; then
            bad "$(echo "$out" | tail -n 1)"
            while IFS= read -r l; do bad "$l"; done < <(echo "$out" | head -n -1 | head -n 15)
        else
            note "$out"
        fi
    else
        bad "no source trace (see analyzer_source_trace)"
    fi
    t_end
}
fuzz_test analyzer_fuzz_byte_flips fuzz 200 0 12345
fuzz_test analyzer_fuzz_truncations fuzz 0 100 12345
fuzz_test analyzer_fuzz_records fuzz-records 200 54321

# ---- 4. the tracer's error handling -----------------------------------------------------------
S=$T/small
mkdir -p "$S"
run "$S/u" 30 "$T/bin/small" 7
RC_U=$RC

# untraced_notice PREFIX: the traced run PREFIX behaved like the untraced
# small run, and said once on stderr that the program runs untraced.
untraced_notice() {
    local p=$1
    [ "$RC" -eq "$RC_U" ] || bad "exit status $RC, untraced $RC_U"
    cmp -s "$S/u.out" "$p.out" || bad "stdout differs from the untraced run: '$(peek "$p.out")'"
    [ "$(nlines "$p.err")" -eq 1 ] && grep -q '^leaktrace: .*untraced' "$p.err" ||
        bad "stderr should be one 'leaktrace: ...untraced' line, is: '$(peek "$p.err")'"
}

t_begin tracer_output_dir_missing
run "$S/nodir" 30 env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$S/no/such/dir/x.%p.trace" "$T/bin/small" 7
untraced_notice "$S/nodir"
[ ! -e "$S/no" ] || bad "the tracer created $S/no"
t_end

# user nobody, for permission tests (root ignores them)
NOBODY_OK=""
nobody_check() {
    [ "$(id -u)" = 0 ] || { echo "not root"; return 1; }
    have setpriv || { echo "setpriv not installed"; return 1; }
    local u
    u=$(timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups id -u 2>&1) || { echo "setpriv to uid 65534 failed: $u"; return 1; }
    [ "$u" = 65534 ] || { echo "setpriv ran as uid '$u', not 65534"; return 1; }
}
if why=$(nobody_check); then NOBODY_OK=1; fi
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if [ -n "$NOBODY_OK" ]; then
    # a world-readable copy of the library and the program (the repository
    # may be in a directory nobody cannot enter)
    chmod 711 "$T"
    mkdir -p "$T/pub"
    chmod 755 "$T/pub" "$T/bin"
    cp "$LIB" "$T/pub/libleaktrace.so" && chmod 755 "$T/pub/libleaktrace.so"
fi

t_begin tracer_output_dir_unwritable
if [ -z "$NOBODY_OK" ]; then
    bad "cannot run as user nobody: $why"
else
    mkdir -p "$S/ro"
    chown 65534 "$S/ro"
    chmod 0500 "$S/ro"
    chmod 711 "$S"
    run "$S/ro-u" 30 "${NOBODY[@]}" "$T/bin/small" 7
    run "$S/ro-t" 30 "${NOBODY[@]}" env LD_PRELOAD="$T/pub/libleaktrace.so" LEAKTRACE_OUTPUT="$S/ro/x.%p.trace" "$T/bin/small" 7
    [ "$(nlines "$S/ro-u.err")" -eq 0 ] || bad "untraced run as nobody printed on stderr: '$(peek "$S/ro-u.err")'"
    untraced_notice "$S/ro-t"
    grep -q 'Permission denied' "$S/ro-t.err" || bad "the message does not say why (Permission denied): '$(peek "$S/ro-t.err")'"
    [ -z "$(ls -A "$S/ro")" ] || bad "files appeared in the read-only directory: $(ls -A "$S/ro" | tr '\n' ' ')"
fi
t_end

t_begin tracer_existing_file_kept
d=$S/exist
mkdir -p "$d"
printf 'precious data\n' >"$d/pre.trace"
trun "$d/run" 30 "$d/pre.trace" "$T/bin/small" 7
RC_T=$RC
same_run "$S/u" "$d/run"
[ "$(cat "$d/pre.trace")" = "precious data" ] || bad "the existing file was changed: '$(peek "$d/pre.trace")'"
if [ -f "$d/pre.1.trace" ]; then
    check_report "$d/pre.1.trace" exit 7 pre.1.trace
else
    bad "no pre.1.trace; files: $(ls "$d" | tr '\n' ' ')"
fi
t_end

t_begin tracer_symlink_not_followed
d=$S/link
mkdir -p "$d"
printf 'target data\n' >"$d/target"
ln -s "$d/target" "$d/l.trace"
ln -s "$d/absent" "$d/dangling.trace"
trun "$d/run" 30 "$d/l.trace" "$T/bin/small" 7
[ "$RC" -eq "$RC_U" ] || bad "exit status $RC, untraced $RC_U"
cmp -s "$S/u.out" "$d/run.out" || bad "stdout differs from the untraced run"
[ "$(cat "$d/target")" = "target data" ] || bad "the symlink's target was changed: '$(peek "$d/target")'"
[ -L "$d/l.trace" ] || bad "l.trace is no longer a symlink"
grep -q "^leaktrace: .*$d/l.trace" "$d/run.err" || bad "no stderr message naming the link $d/l.trace: '$(peek "$d/run.err")'"
[ "$(grep -vc "$d/l.trace" "$d/run.err")" -eq 0 ] || bad "other stderr lines: '$(peek "$d/run.err")'"
if [ -f "$d/l.1.trace" ]; then check_report "$d/l.1.trace" exit 7 l.1.trace; else bad "no trace at l.1.trace; files: $(ls "$d" | tr '\n' ' ')"; fi
trun "$d/run2" 30 "$d/dangling.trace" "$T/bin/small" 7
[ ! -e "$d/absent" ] || bad "the tracer created the dangling symlink's target $d/absent"
grep -q "$d/dangling.trace" "$d/run2.err" || bad "no stderr message naming the dangling link: '$(peek "$d/run2.err")'"
[ -f "$d/dangling.1.trace" ] || bad "no trace at dangling.1.trace"
t_end

t_begin tracer_file_mode_0600
d=$S/mode
mkdir -p "$d"
(umask 000 && trun "$d/run" 30 "$d/m.trace" "$T/bin/small" 7)
m=$(stat -c %a "$d/m.trace" 2>&1)
[ "$m" = 600 ] || bad "mode of the trace (created under umask 000) is $m, want 600"
t_end

t_begin tracer_program_closes_all_fds
d=$S/closefds
mkdir -p "$d/u" "$d/t"
run "$d/u-run" 30 "$T/bin/closefds" "$d/u"
RC_U=$RC
trun "$d/t-run" 30 "$d/cf.trace" "$T/bin/closefds" "$d/t"
RC_T=$RC
[ "$RC_U" -eq 0 ] || bad "untraced run: exit $RC_U: $(peek "$d/u-run.out")"
[ "$RC_T" -eq "$RC_U" ] || bad "exit status $RC_T traced, $RC_U untraced: '$(peek "$d/t-run.out")'"
cmp -s "$d/u-run.out" "$d/t-run.out" || bad "stdout differs traced/untraced: '$(peek "$d/t-run.out")'"
differ=()
for f in "$d"/u/*.txt; do
    cmp -s "$f" "$d/t/$(basename "$f")" || differ+=("$(basename "$f")")
done
if [ ${#differ[@]} -gt 0 ]; then
    f=${differ[0]}
    bad "${#differ[@]} of the files the program wrote differ from the untraced run (the tracer closed, replaced or wrote into descriptors the program opened): ${differ[*]}; $f holds '$(head -c 32 "$d/t/$f" 2>/dev/null | od -An -c | tr -s ' \n' ' ')', want '$(tr '\n' '|' <"$d/u/$f")'"
fi
[ "$(nlines "$d/t-run.err")" -le 1 ] && ! grep -vq '^leaktrace: ' "$d/t-run.err" ||
    bad "stderr should be empty or one 'leaktrace:' line: '$(peek "$d/t-run.err")'"
if [ -f "$d/cf.trace" ]; then
    rep "$d/cf.trace"
    [ "$REP_RC" -eq 0 ] || bad "analyzer exit $REP_RC on the trace: $(peek "$d/cf.trace.json.err")"
fi
t_end

# depth_case NAME VALUE WANT_FRAMES EXPECT_WARNING(0/1)
depth_case() {
    local name=$1 val=$2 frames=$3 warn=$4 d=$S/$1
    t_begin "$name"
    mkdir -p "$d"
    run "$d/u" 30 "$T/bin/deep"
    RC_U=$RC
    trun "$d/t" 30 "$d/d.trace" LEAKTRACE_DEPTH="$val" "$T/bin/deep"
    RC_T=$RC
    [ "$RC_T" -eq "$RC_U" ] || bad "exit status $RC_T, untraced $RC_U"
    cmp -s "$d/u.out" "$d/t.out" || bad "stdout differs from the untraced run"
    if [ "$warn" = 1 ]; then
        [ "$(nlines "$d/t.err")" -eq 1 ] && grep -q '^leaktrace: .*LEAKTRACE_DEPTH' "$d/t.err" ||
            bad "stderr should be one 'leaktrace:' line naming LEAKTRACE_DEPTH, is '$(peek "$d/t.err")'"
    else
        [ ! -s "$d/t.err" ] || bad "unexpected stderr: '$(peek "$d/t.err")'"
    fi
    if check_report "$d/d.trace" exit 0 trace; then
        local got
        got=$(timeout 30 "$PY" "$TOOL" leak-depth "$d/d.trace.json" deep_leaf 2>&1)
        [ "$got" = "$frames true" ] ||
            bad "leak at deep_leaf: '$got' (frames truncated), want '$frames true' (LEAKTRACE_DEPTH=$val)"
    fi
    t_end
}
depth_case tracer_depth_10 10 10 0
depth_case tracer_depth_not_a_number abc 64 1
depth_case tracer_depth_out_of_range 9999 64 1

# follow_case NAME FOLLOW(1/0/"") : sh -c 'ls >/dev/null'
SH_EXE=$(basename "$(readlink -f /bin/sh)")
LS_EXE=$(basename "$(readlink -f "$(command -v ls)")")
follow_case() {
    local name=$1 follow=$2 d=$S/$1
    t_begin "$name"
    mkdir -p "$d/tr"
    if [ -n "$follow" ]; then
        trun "$d/t" 30 "$d/tr/%e.%p.trace" LEAKTRACE_FOLLOW="$follow" sh -c 'ls >/dev/null'
    else
        trun "$d/t" 30 "$d/tr/%e.%p.trace" sh -c 'ls >/dev/null'
    fi
    [ "$RC" -eq 0 ] || bad "exit status $RC: $(peek "$d/t.err")"
    [ ! -s "$d/t.err" ] || bad "unexpected stderr: '$(peek "$d/t.err")'"
    traces_in "$d/tr"
    local tr nsh=0 nls=0 other=""
    for tr in "${TRACES[@]}"; do
        check_report "$tr" "" "" "$(basename "$tr")"
        jget "$tr.json" process.exe || continue
        case $(basename "${J[0]}") in
            "$SH_EXE") nsh=$((nsh + 1)) ;;
            "$LS_EXE") nls=$((nls + 1)) ;;
            *) other="$other ${J[0]}" ;;
        esac
    done
    [ "$nsh" -ge 1 ] || bad "no trace of sh ($SH_EXE); traces: ${TRACES[*]:-none}"
    [ -z "$other" ] || bad "traces of unexpected programs:$other"
    if [ "$follow" = 0 ]; then
        [ "$nls" -eq 0 ] || bad "LEAKTRACE_FOLLOW=0 but ls (exec'd by sh) was traced: ${TRACES[*]}"
        trun "$d/env" 30 "$d/tr2-%p.trace" LEAKTRACE_FOLLOW=0 sh -c 'printenv LD_PRELOAD; exit 0'
        ! grep -q leaktrace "$d/env.out" || bad "LEAKTRACE_FOLLOW=0 but children still get LD_PRELOAD='$(peek "$d/env.out")'"
    else
        [ "$nls" -eq 1 ] || bad "want 1 trace of ls (exec'd by sh), got $nls: ${TRACES[*]:-none}"
    fi
    t_end
}
follow_case tracer_follow_0 0
follow_case tracer_follow_default ""

# children started by vfork+exec, fork+exec and posix_spawn, whose exec
# works or fails: the parent's trace is whole either way
exec_children() {
    local name=$1 prog=$2 mode d
    t_begin "$name"
    for mode in vfork fork posix_spawn; do
        d=$S/$name-$mode
        mkdir -p "$d/tr"
        trun "$d/t" 30 "$d/tr/%e.%p.trace" "$T/bin/spawn" "$mode" "$prog"
        local n0=${#TERR[@]}
        [ "$RC" -eq 0 ] || bad "exit status $RC: $(peek "$d/t.err")"
        [ ! -s "$d/t.err" ] || bad "unexpected stderr: '$(peek "$d/t.err")'"
        check_traces "$d/tr" spawn exit 0
        # prefix this mode's errors
        local i
        for ((i = n0; i < ${#TERR[@]}; i++)); do TERR[i]="$mode $prog: ${TERR[i]}"; done
    done
    t_end
}
exec_children tracer_exec_children_ok /bin/true
exec_children tracer_exec_children_failed_exec /nonexistent/leaktrace-test-program

t_begin tracer_exec_same_pid_next_name
d=$S/reexec
mkdir -p "$d/tr"
trun "$d/t" 30 "$d/tr/x.%p.trace" sh -c 'exec sh -c "exit 5"'
[ "$RC" -eq 5 ] || bad "exit status $RC, want 5: $(peek "$d/t.err")"
[ ! -s "$d/t.err" ] || bad "unexpected stderr: '$(peek "$d/t.err")'"
traces_in "$d/tr"
names=$(for tr in "${TRACES[@]}"; do basename "$tr"; done | sed 's/[0-9][0-9]*/PID/' | tr '\n' ' ')
if [ "$names" != "x.PID.1.trace x.PID.trace " ]; then
    bad "want x.PID.trace (the first image) and x.PID.1.trace (the second), got: ${names:-none}"
else
    check_report "${TRACES[1]}" exec "" "first image"
    check_report "${TRACES[0]}" "" "" "second image"
    jget "${TRACES[0]}.json" process.end.how process.end.status &&
        { case ${J[0]}/${J[1]} in exit/5 | _exit/5) ;; *) bad "second image: end ${J[0]}/${J[1]}, want exit/5" ;; esac; }
fi
t_end

t_begin tracer_name_expansion
d=$S/names
mkdir -p "$d/tr"
trun "$d/t" 30 "$d/tr/n-%e-%p-%%.trace" "$T/bin/small" 0 pid
pid=$(sed -n 's/^pid \([0-9]*\)$/\1/p' "$d/t.out")
traces_in "$d/tr"
if [ -z "$pid" ]; then
    bad "small printed no pid: '$(peek "$d/t.out")'"
elif [ "${TRACES[*]:-}" != "$d/tr/n-small-$pid-%.trace" ]; then
    bad "want exactly $d/tr/n-small-$pid-%.trace, got: ${TRACES[*]:-none}"
else
    check_report "${TRACES[0]}" exit 0 trace && jget "${TRACES[0]}.json" process.pid &&
        { [ "${J[0]}" = "$pid" ] || bad "process.pid is ${J[0]}, want $pid"; }
fi
t_end

t_begin tracer_secure_execution
if [ -z "$NOBODY_OK" ]; then
    bad "cannot run as user nobody: $why"
else
    ma=$(timeout 10 gcc -print-multiarch 2>/dev/null)
    libdir=/usr/lib/$ma
    [ -n "$ma" ] && [ -d "$libdir" ] || libdir=/usr/lib
    d=$T/sec
    mkdir -p "$d/out"
    chmod 755 "$d"
    chmod 777 "$d/out"
    cp "$T/bin/small" "$d/small-suid" && chown 0:0 "$d/small-suid" && chmod 4755 "$d/small-suid"
    # per-run name: concurrent runs must not remove each other's copy
    SECLIB=$libdir/libleaktrace-sectest-$$.so
    cp "$LIB" "$SECLIB" && chown 0:0 "$SECLIB" && chmod 4755 "$SECLIB"
    if timeout 10 findmnt -n -o OPTIONS --target "$d" 2>/dev/null | grep -qw nosuid; then
        bad "$d is on a nosuid mount: setuid cannot be tested there (set TMPDIR elsewhere)"
    fi
    # untraced, then with the preload; LD_PRELOAD is set by the shell right
    # before exec so that only the setuid program sees it
    run "$d/u" 30 "${NOBODY[@]}" "$d/small-suid" 5
    RC_U=$RC
    run "$d/t" 30 "${NOBODY[@]}" /bin/sh -c 'cd "$1" && LD_PRELOAD="$3" LEAKTRACE_OUTPUT="$1/s.%p.trace" exec "$2" 5' \
        sh "$d/out" "$d/small-suid" "$(basename "$SECLIB")"
    [ "$RC" -eq 5 ] || bad "exit status $RC, want 5 (untraced run: exit $RC_U)"
    cmp -s "$d/u.out" "$d/t.out" || bad "stdout differs from the untraced run: '$(peek "$d/t.out")'"
    [ "$(nlines "$d/t.err")" -eq 1 ] && grep -q '^leaktrace: .*secure-execution' "$d/t.err" ||
        bad "stderr should be one 'leaktrace:' line about secure-execution mode, is '$(peek "$d/t.err")'"
    [ -z "$(ls -A "$d/out")" ] || bad "files written in secure-execution mode: $(ls -A "$d/out" | tr '\n' ' ')"
    rm -f "$SECLIB" "$d/small-suid"
    SECLIB=""
fi
t_end

# ---- 4b. binaries changed or gone since the run ---------------------------------------------
# Frames of a module whose file was rebuilt (other build-id) or removed are
# shown as module+offset, with one warning naming the file, never a wrong name.
B=$T/rebuilt
mkdir -p "$B"
binary_changed_case() {
    local what=$1
    rm -rf "$B/$what" && mkdir -p "$B/$what"
    local d=$B/$what
    gcc -g -O0 -o "$d/prog" "$REAL/small.c" || { bad "cannot build small.c"; return; }
    trun "$d/t" 30 "$d/prog.%p.trace" "$d/prog"
    [ "$RC" -eq 0 ] || { bad "traced run exit $RC"; return; }
    local tr
    tr=$(ls "$d"/prog.*.trace 2>/dev/null | head -n 1)
    [ -n "$tr" ] || { bad "no trace"; return; }
    if [ "$what" = rebuilt ]; then
        gcc -g -O0 -Wl,--build-id=0x0123456789abcdef0123456789abcdef01234567 -o "$d/prog" "$REAL/small.c" ||
            { bad "cannot rebuild"; return; }
    else
        rm -f "$d/prog"
    fi
    rep "$tr"
    [ "$REP_RC" -eq 0 ] || { bad "analyzer exit $REP_RC: $(peek "$tr.json.err")"; return; }
    local n
    n=$(grep -c "warning: $d/prog" "$tr.json.err")
    [ "$n" -eq 1 ] || bad "want exactly one warning naming $d/prog, got $n: '$(peek "$tr.json.err" 600)'"
    if [ "$what" = rebuilt ]; then
        grep -q "build-id" "$tr.json.err" || bad "the warning does not mention the build-id: '$(peek "$tr.json.err")'"
    fi
    # Every frame in prog: no function, no file, module set, offset set.
    local out
    out=$(timeout 60 "$PY" - "$tr.json" "$d/prog" <<'PYEOF'
import json, sys
rep = json.load(open(sys.argv[1]))
frames = [f for l in rep["leaks"] for f in l["stack"] if f["module"] == sys.argv[2]]
if not frames:
    print("no frame in the program's module"); sys.exit(1)
for f in frames:
    if f["function"] is not None or f["file"] is not None or not f["offset"].startswith("0x"):
        print("frame symbolized from a changed/missing file: %r" % f); sys.exit(1)
PYEOF
) || bad "$out"
}
t_begin analyzer_binary_rebuilt
binary_changed_case rebuilt
t_end
t_begin analyzer_binary_missing
binary_changed_case missing
t_end

# ---- 5. odd ways of ending -------------------------------------------------------------------
O=$T/odd
mkdir -p "$O"

t_begin exit_underscore_exit
run "$O/x-u" 30 "$T/bin/oddexit" _exit
RC_U=$RC
trun "$O/x-t" 30 "$O/x.trace" "$T/bin/oddexit" _exit
RC_T=$RC
same_run "$O/x-u" "$O/x-t"
[ "$RC_U" -eq 4 ] || bad "untraced exit status $RC_U, want 4"
check_report "$O/x.trace" _exit 4 trace
t_end

t_begin exit_sigkill_while_allocating
{ timeout -s KILL 0.5 env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$O/k.trace" "$T/bin/oddexit" spin \
    >"$O/k.out" 2>"$O/k.err" </dev/null; RC=$?; } 2>/dev/null
[ "$RC" -eq 137 ] || bad "exit status $RC, want 137 (SIGKILL): $(peek "$O/k.err")"
[ "$(cat "$O/k.out")" = spinning ] || bad "stdout '$(peek "$O/k.out")', want 'spinning'"
if [ -f "$O/k.trace" ]; then
    rep "$O/k.trace"
    [ "$REP_RC" -eq 0 ] || bad "analyzer exit $REP_RC, want 0: $(peek "$O/k.trace.json.err")"
    jget "$O/k.trace.json" process.complete process.end totals.allocations &&
        { [ "${J[0]}" = false ] || bad "process.complete is ${J[0]}, want false"
          [ "${J[1]}" = null ] || bad "process.end is ${J[1]}, want null"
          [ "${J[2]}" -gt 0 ] 2>/dev/null || bad "totals.allocations is ${J[2]}, want > 0"; }
    grep -q '^leaktrace: warning: ' "$O/k.trace.json.err" || bad "no warning about the incomplete trace on stderr"
else
    bad "no trace file"
fi
t_end

t_begin exit_abort
run "$O/a-u" 30 "$T/bin/oddexit" abort
RC_U=$RC
trun "$O/a-t" 30 "$O/a.trace" "$T/bin/oddexit" abort
RC_T=$RC
same_run "$O/a-u" "$O/a-t"
[ "$RC_U" -eq 134 ] || bad "untraced exit status $RC_U, want 134"
if [ -f "$O/a.trace" ]; then
    rep "$O/a.trace"
    [ "$REP_RC" -eq 0 ] || bad "analyzer exit $REP_RC, want 0: $(peek "$O/a.trace.json.err")"
    # Today: no end record (complete false), and what happened since the
    # last flush (here: everything) is lost. Once fatal signals are
    # recorded: complete, ended by signal 6.
    jget "$O/a.trace.json" process.complete process.end.how process.end.status &&
        { [ "${J[0]}" = false ] || [ "${J[1]}/${J[2]}" = signal/6 ] ||
              bad "process.complete ${J[0]}, end ${J[1]}/${J[2]}: want incomplete, or ended by signal 6"; }
else
    bad "no trace file"
fi
t_end

echo "run_real_programs: $((SECONDS - START)) s"
echo "$NPASS passed, $NFAIL failed"
[ "$NFAIL" -eq 0 ]
