#!/usr/bin/env bash
# tests/bench/ab.sh - A/B comparison of tracer settings by CPU time.
#
#   tests/bench/ab.sh [-n RUNS] WORKLOAD 'ENV_A' 'ENV_B' ...
#
# WORKLOAD is sqlite, python, mb1 (mallocbench, 1 thread, 2M iterations) or
# mb2 (2 threads). Each ENV_* is a list of VAR=value words ("none" runs the
# program untraced; "-" traces with the defaults). The configurations run
# interleaved, RUNS rounds (default 5); a word LIB=PATH in ENV_* traces with
# that library instead of build/libleaktrace.so (e.g. a build of main); the script prints for each the median
# user+system CPU seconds of the whole process (writer thread included) and
# the median wall seconds, both to the millisecond, with their ratios to the
# first configuration's. CPU time is less sensitive than wall time to the
# other load on a shared machine; ratios between configurations of the same
# run are what to compare.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WL=${LEAKTRACE_WORKLOADS:-$ROOT/../shared/workloads}
N=5
if [[ ${1:-} == -n ]]; then N=$2; shift 2; fi
(($# >= 2)) || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
wl=$1; shift
[[ -x $ROOT/build/mallocbench ]] || gcc -std=gnu11 -O2 -g -pthread "$ROOT/tests/bench/mallocbench.c" -o "$ROOT/build/mallocbench"
case $wl in
    sqlite) cmd=(sqlite3 :memory: -init "$WL/sqlite.sql" .quit); pre=() ;;
    python) cmd=(/usr/bin/python3 "$WL/py_json.py"); pre=(PYTHONMALLOC=malloc) ;;
    mb1) cmd=("$ROOT/build/mallocbench" 1 2000000); pre=() ;;
    mb2) cmd=("$ROOT/build/mallocbench" 2 2000000); pre=() ;;
    *) echo "ab.sh: unknown workload $wl" >&2; exit 2 ;;
esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
declare -a cfgs=("$@")
for ((r = 0; r < N; r++)); do
    for i in "${!cfgs[@]}"; do
        c=${cfgs[$i]}
        envs=(${pre[@]+"${pre[@]}"})
        if [[ $c != none ]]; then
            lib=$ROOT/build/libleaktrace.so
            if [[ $c != - ]]; then
                read -r -a more <<<"$c"
                for w in "${more[@]}"; do
                    if [[ $w == LIB=* ]]; then lib=${w#LIB=}; else envs+=("$w"); fi
                done
            fi
            envs+=(LD_PRELOAD="$lib" LEAKTRACE_OUTPUT="$tmp/t$i.trace")
        fi
        rm -f "$tmp/t$i.trace"
        # Milliseconds: bash's time for CPU, the clock for wall time
        # (/usr/bin/time's 10 ms steps are 2 % of sqlite's run).
        t0=$(date +%s%N)
        { TIMEFORMAT='%3U %3S'; time env "${envs[@]}" "${cmd[@]}" >/dev/null 2>"$tmp/err"; } 2>"$tmp/time" || { cat "$tmp/err" >&2; exit 1; }
        t1=$(date +%s%N)
        read -r u s <"$tmp/time"
        echo "$(echo "$u + $s" | bc) $(echo "scale=3; ($t1 - $t0) / 1000000000" | bc)" >>"$tmp/r$i"
    done
done
for i in "${!cfgs[@]}"; do
    cpu=$(cut -d' ' -f1 "$tmp/r$i" | sort -g | sed -n "$(((N + 1) / 2))p")
    wall=$(cut -d' ' -f2 "$tmp/r$i" | sort -g | sed -n "$(((N + 1) / 2))p")
    size=$(stat -c %s "$tmp/t$i.trace" 2>/dev/null || echo -)
    if ((i == 0)); then cpu0=$cpu; wall0=$wall; fi
    printf '%-40s cpu %6.3f s (%.3fx)  wall %6.3f s (%.3fx)  trace %s bytes\n' "${cfgs[$i]}" "$cpu" \
        "$(echo "$cpu / $cpu0" | bc -l)" "$wall" "$(echo "$wall / $wall0" | bc -l)" "$size"
done
