#!/bin/sh
# run-with-tracer.sh - run a command under leaktrace and report its leaks.
#
#   run-with-tracer.sh [--out DIR] -- COMMAND [ARGS...]
#
# Runs COMMAND with libleaktrace.so preloaded; it and every process it forks
# or execs writes a trace into DIR (default: a new leaktrace-YYYYmmdd-HHMMSS
# directory). Then prints `leaktrace report` for each trace, and exits with
# COMMAND's exit status. Works from the source tree (build/) and installed
# (PREFIX/bin next to PREFIX/lib).
set -u

here=$(cd "$(dirname "$0")" && pwd)
lib=""
for cand in "$here/build/libleaktrace.so" "$here/../lib/libleaktrace.so" "$here/../lib/leaktrace/libleaktrace.so"; do
    [ -f "$cand" ] && { lib=$cand; break; }
done
cli=""
for cand in "$here/build/leaktrace" "$here/leaktrace"; do
    [ -x "$cand" ] && { cli=$cand; break; }
done
[ -n "$lib" ] || { echo "run-with-tracer.sh: libleaktrace.so not found next to $here (run make)" >&2; exit 2; }
[ -n "$cli" ] || { echo "run-with-tracer.sh: leaktrace not found next to $here (run make)" >&2; exit 2; }

out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || { echo "run-with-tracer.sh: --out needs a directory" >&2; exit 2; }; out=$2; shift 2 ;;
        --out=*) out=${1#--out=}; shift ;;
        --) shift; break ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run-with-tracer.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "run-with-tracer.sh: no command given (usage: run-with-tracer.sh [--out DIR] -- COMMAND [ARGS...])" >&2; exit 2; }
[ -n "$out" ] || out="leaktrace-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)

LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}" LEAKTRACE_OUTPUT="$out/%e.%p.trace" "$@"
status=$?

for t in "$out"/*.trace; do
    [ -f "$t" ] || continue
    echo "=== $t"
    "$cli" report "$t"
    echo
done
exit $status
