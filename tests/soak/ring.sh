#!/bin/bash
# ring.sh - flight-recorder soak run (make soak; not part of make test):
# tests/ring/ringleak.c allocates and frees at full speed in THREADS threads
# with a steady leak (one 48-byte block per LEAK_EVERY iterations) for
# SOAK_SECONDS (default 600) under LEAKTRACE_MAX_SIZE (default 64M). Every
# SOAK_SAMPLE seconds (default 10) it prints the trace file's size and the
# process's RSS; at the end it checks that
#   - the file never exceeded MAX_SIZE plus one chunk (3 MiB),
#   - the report of the retained window finds the leak with exactly the
#     number of blocks the program says it leaked (blocks allocated before
#     the window come from the checkpoint), and reports no lost events,
#   - the RSS grew by no more than the leak itself plus the live set's
#     share of it and 16 MiB.
# usage: tests/soak/ring.sh LIB ANALYZER [WORKDIR]
# Prints a table and a summary; exits 1 if a check failed.
set -u
if [ $# -lt 2 ]; then echo "usage: $0 LIB ANALYZER [WORKDIR]" >&2; exit 2; fi
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
LIB=$(abspath "$1")
LT=$(abspath "$2")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${3:-$(mktemp -d /tmp/leaktrace-soak.XXXXXX)}
mkdir -p "$WORK" && cd "$WORK" || exit 2
SECS=${SOAK_SECONDS:-600}
SAMPLE=${SOAK_SAMPLE:-10}
MAX=${SOAK_MAX_SIZE:-64M}
THREADS=${SOAK_THREADS:-2}
EVERY=${SOAK_LEAK_EVERY:-1000}
case $MAX in
    *[kK]) maxb=$(( ${MAX%?} * 1024 )) ;;
    *[mM]) maxb=$(( ${MAX%?} * 1048576 )) ;;
    *[gG]) maxb=$(( ${MAX%?} * 1073741824 )) ;;
    *) maxb=$MAX ;;
esac
limit=$(( maxb + 3 * 1048576 + 65536 ))   # one chunk (compressed bound) + the header

gcc -g -O1 -o ringleak "$REPO/tests/ring/ringleak.c" -pthread || exit 2
rm -f soak.*.trace
echo "soak: $SECS s, $THREADS threads, leak every $EVERY iterations, LEAKTRACE_MAX_SIZE=$MAX (work dir $WORK)"
LD_PRELOAD=$LIB LEAKTRACE_MAX_SIZE=$MAX LEAKTRACE_OUTPUT="$WORK/soak.%p.trace" ./ringleak "$SECS" "$THREADS" "$EVERY" \
    > prog.out 2> prog.err &
pid=$!
trace=$WORK/soak.$pid.trace
printf '%8s %14s %10s\n' "time_s" "file_bytes" "rss_kib" | tee samples.txt
maxfile=0 rss0=0 rss1=0 t=0
while kill -0 $pid 2>/dev/null; do
    sleep "$SAMPLE"
    t=$((t + SAMPLE))
    sz=$(stat -c %s "$trace" 2>/dev/null || echo 0)
    rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null)
    [ -n "$rss" ] || break
    [ "$sz" -gt "$maxfile" ] && maxfile=$sz
    [ "$rss0" -eq 0 ] && [ "$t" -ge 30 ] && rss0=$rss   # after warm-up
    rss1=$rss
    printf '%8d %14d %10d\n' "$t" "$sz" "$rss" | tee -a samples.txt
done
wait $pid
rc=$?
final=$(stat -c %s "$trace" 2>/dev/null || echo 0)
[ "$final" -gt "$maxfile" ] && maxfile=$final
leaked=$(awk '/^leaked/ {print $2}' prog.out)
fails=0
fail() { echo "FAIL soak: $*"; fails=$((fails + 1)); }
[ $rc -eq 0 ] || fail "the program exited with $rc: $(head -3 prog.err)"
[ "$maxfile" -le "$limit" ] || fail "the trace reached $maxfile bytes, over $limit"
/usr/bin/time -f "%e s %M KiB" -o analyze.time "$LT" report --format json "$trace" > report.json 2> report.err ||
    fail "leaktrace report failed: $(head -3 report.err)"
got=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
n = sum(l["blocks"] for l in j["leaks"] if any(f.get("function") == "leak_steady" for f in l["stack"][:1]))
w = j["trace_window"]
print(n, j["anomalies"]["sequence_gaps"], "%.1f" % w["start_s"], "%.1f" % w["end_s"], int(w["wrapped"]), w["blocks_before_window"], j["totals"]["allocations"])
' report.json 2>/dev/null)
read -r found gaps wstart wend wrapped before allocs <<< "${got:-x x x x x x x}"
[ "$found" = "$leaked" ] || fail "the report finds $found leaked blocks from leak_steady, the program leaked $leaked"
[ "$gaps" = 0 ] || fail "$gaps events missing in the window"
[ "$wrapped" = 1 ] || fail "the ring never wrapped (raise SOAK_SECONDS or lower SOAK_MAX_SIZE)"
# Memory: the program's own leak (48 bytes + malloc overhead per block) and
# the tracer's live-set entry for each (48 bytes at load <= 0.7) are
# expected to grow; anything beyond that by more than 16 MiB is not flat.
grow=$(( rss1 - rss0 ))
allow=$(( (leaked * (64 + 72)) / 1024 + 16384 ))
[ "$rss0" -gt 0 ] && [ "$grow" -gt "$allow" ] && fail "RSS grew by $grow KiB after warm-up (allowed $allow KiB)"
echo "summary: run $SECS s; file max $maxfile bytes (limit $limit), final $final; RSS $rss0 -> $rss1 KiB after warm-up" \
     "(+$grow KiB, allowed $allow); leaked $leaked blocks, report finds $found; window ${wstart}-${wend} s (wrapped=$wrapped)," \
     "$before blocks from before the window, $allocs allocations in the window; events lost: $gaps; analyzer $(cat analyze.time)"
[ $fails -eq 0 ] && echo "PASS soak"
exit $((fails > 0))
