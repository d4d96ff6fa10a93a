#!/usr/bin/env bash
# tests/bench/analyzer_speed.sh - analyzer replay speed and memory.
#
#   tests/bench/analyzer_speed.sh [--runs N] [--keep DIR] [--traces DIR]
#
# Records one trace of each workload with build/libleaktrace.so:
#   sqlite       sqlite3 :memory: -init ../shared/workloads/sqlite.sql .quit
#   python       PYTHONMALLOC=malloc python3 ../shared/workloads/py_json.py
#   mb           build/mallocbench 1 2000000   (4 M events, 4096 live blocks)
#   mb10         build/mallocbench 1 20000000  (10x longer, same live set)
# then times, N runs each (default 5), two analyzer commands on each trace:
#   replay   `leaktrace marks --format json -q TRACE`: decode + replay only
#            (no series, no symbolization, no report): the replay speed
#   report   `leaktrace report --format json -q TRACE`: everything the default
#            report does (replay with the series, leaks, threads, growth,
#            symbolization)
# and prints per workload and command: events (allocations + frees from the
# report), the best and median user+system CPU seconds, events/s at the best
# and at the median, and the peak resident memory (max over the runs, from
# /usr/bin/time -v). CPU time, not wall time: the machine may be shared.
# mb vs mb10 shows whether memory grows with the trace length.
#
# Options / environment:
#   --runs N       timed runs per (trace, command) (default 5)
#   --traces DIR   reuse the traces in DIR (written by an earlier --keep)
#   --keep DIR     record into DIR and keep the traces there
#   LEAKTRACE_WORKLOADS  workloads directory (default ../shared/workloads)
#   ANALYZER       analyzer binary (default build/leaktrace)
set -euo pipefail

prog=tests/bench/analyzer_speed.sh
die() { echo "$prog: error: $*" >&2; exit 1; }

RUNS=5
KEEP=
TRACES=
while (($#)); do
    case "$1" in
        --runs) (($# >= 2)) || die "--runs needs a value"; RUNS=$2; shift 2 ;;
        --keep) (($# >= 2)) || die "--keep needs a directory"; KEEP=$2; shift 2 ;;
        --traces) (($# >= 2)) || die "--traces needs a directory"; TRACES=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$RUNS'"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
WL_DIR=${LEAKTRACE_WORKLOADS:-$ROOT/../shared/workloads}
ANALYZER=${ANALYZER:-$ROOT/build/leaktrace}
LIB=$ROOT/build/libleaktrace.so
[[ -x $ANALYZER ]] || die "$ANALYZER missing: run make"
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (apt-get install time)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [[ -n $TRACES ]]; then
    DIR=$TRACES
    [[ -d $DIR ]] || die "--traces: no directory $DIR"
else
    [[ -f $LIB ]] || die "$LIB missing: run make"
    [[ -f $WL_DIR/sqlite.sql && -f $WL_DIR/py_json.py ]] || die "workloads not found in $WL_DIR"
    command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"
    if [[ ! -x build/mallocbench || tests/bench/mallocbench.c -nt build/mallocbench ]]; then
        gcc -std=gnu11 -O2 -g -pthread tests/bench/mallocbench.c -o build/mallocbench \
            || die "could not build build/mallocbench"
    fi
    DIR=${KEEP:-$TMP/traces}
    mkdir -p "$DIR"
    record() {   # record NAME CMD...: one trace DIR/NAME.trace
        local name=$1; shift
        rm -f "$DIR/$name".trace "$DIR/$name".*.trace
        echo "recording $name" >&2
        env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$DIR/$name.%p.trace" "$@" >/dev/null \
            || die "$name: the traced program failed"
        # python3 starts helper processes: keep the largest trace (the workload's)
        local big
        big=$(ls -S "$DIR/$name".*.trace 2>/dev/null | head -1)
        [[ -s $big ]] || die "$name: no trace written"
        mv "$big" "$DIR/$name.trace"
        rm -f "$DIR/$name".*.trace
    }
    record sqlite sqlite3 :memory: -init "$WL_DIR/sqlite.sql" .quit
    record python env PYTHONMALLOC=malloc python3 "$WL_DIR/py_json.py"
    record mb build/mallocbench 1 2000000
    record mb10 build/mallocbench 1 20000000
fi

printf '%-8s %-7s %10s %8s %8s %12s %12s %9s\n' workload command events best_s med_s best_ev/s med_ev/s peak_MB
for wl in sqlite python mb mb10; do
    f=$DIR/$wl.trace
    [[ -f $f ]] || { echo "$prog: no $f, skipped" >&2; continue; }
    "$ANALYZER" report --format json -q "$f" >"$TMP/r.json" 2>/dev/null || true
    events=$(python3 -c '
import json,sys
t = json.load(open(sys.argv[1]))["totals"]
print(int(t["allocations"]) + int(t["frees"]))' "$TMP/r.json") || die "$wl: no totals in the report"
    for cmd in replay report; do
        case $cmd in
            replay) args=(marks --format json -q "$f") ;;
            report) args=(report --format json -q "$f") ;;
        esac
        : >"$TMP/times"
        for ((i = 0; i < RUNS; i++)); do
            rc=0
            /usr/bin/time -v -o "$TMP/tv" "$ANALYZER" "${args[@]}" >/dev/null 2>"$TMP/err" || rc=$?
            ((rc == 0)) || { cat "$TMP/err" >&2; die "$wl $cmd: analyzer exit code $rc"; }
            awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} /Maximum resident/ {m=$2}
                END {printf "%.3f %d\n", u + s, m}' "$TMP/tv" >>"$TMP/times"
        done
        python3 - "$TMP/times" "$wl" "$cmd" "$events" <<'EOF'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
secs = sorted(float(r[0]) for r in rows)
rss = max(int(r[1]) for r in rows)
ev = int(sys.argv[4])
best, med = max(secs[0], 0.001), max(statistics.median(secs), 0.001)
print("%-8s %-7s %10d %8.3f %8.3f %11.2fM %11.2fM %9.1f" %
      (sys.argv[2], sys.argv[3], ev, best, med, ev / best / 1e6, ev / med / 1e6, rss / 1024))
EOF
    done
done
