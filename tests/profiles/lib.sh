# lib.sh - shared by the tests/profiles/*.sh scripts (sourced, not run).
# Each script is run as: SCRIPT LIB ANALYZER WORKDIR and prints
# "PASS name" or "FAIL name: reason" per test; it exits 1 if any failed.
#
# Provides: $LIB $LT $WORK $REPO, t_begin NAME / t_fail REASON / t_end,
# build_prog SRC OUT [gcc args...] (gcc -g -O0 -Iinclude, fails the test on
# error), trace_run OUTPREFIX CMD... (runs CMD traced with
# LEAKTRACE_OUTPUT=OUTPREFIX.%p.trace and prints the trace path),
# json_get FILE PYEXPR (evaluates PYEXPR with j = the parsed JSON).
set -u
if [ $# -ne 3 ] || [ -z "$3" ]; then
    # Without a work directory the script would fill the current one.
    echo "usage: $0 LIB ANALYZER WORKDIR" >&2
    exit 2
fi
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
LIB=$(abspath "$1")
LT=$(abspath "$2")
WORK=$(abspath "$3")
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
FAILS=0
mkdir -p "$WORK"
unset LD_PRELOAD LEAKTRACE_OUTPUT LEAKTRACE_DEPTH LEAKTRACE_FOLLOW LEAKTRACE_COMPRESSION \
      LEAKTRACE_NO_ARGV LEAKTRACE_VERBOSE LEAKTRACE_MARK_SIGNAL LEAKTRACE_INTERVAL LEAKTRACE_UNWIND_CACHE \
      LEAKTRACE_SAMPLE LEAKTRACE_SAMPLE_SEED

t_begin() { TN=$1; TERR=""; }
t_fail() { [ -z "$TERR" ] && TERR=$1; }
t_end() {
    if [ -z "$TERR" ]; then echo "PASS $TN"; else echo "FAIL $TN: $TERR"; FAILS=$((FAILS + 1)); fi
}
t_exit() { exit $((FAILS > 0)); }

build_prog() {
    local src=$1 out=$2
    shift 2
    if ! gcc -g -O0 -I"$REPO/include" -o "$out" "$src" "$@" 2> "$out.build.log"; then
        t_fail "cannot build $src: $(head -3 "$out.build.log")"
        return 1
    fi
}

# trace_run PREFIX CMD... : runs CMD under the tracer, stdout/stderr to
# PREFIX.out/PREFIX.err; prints the path of the (one) trace written.
trace_run() {
    local prefix=$1
    shift
    rm -f "$prefix".*.trace
    LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$prefix.%p.trace" "$@" > "$prefix.out" 2> "$prefix.err"
    local t
    t=$(ls "$prefix".*.trace 2>/dev/null | head -1)
    [ -n "$t" ] || t_fail "no trace written by $* ($(head -2 "$prefix.err"))"
    printf '%s\n' "$t"
}

json_get() {
    "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
