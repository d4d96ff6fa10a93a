#!/bin/bash
# timeline.sh - `leaktrace timeline` on traced programs: the CSV (parsed
# with python's csv module: columns add up to live_bytes on every row,
# 200-400 rows for a 2 s run, the leak's column rises, the cache's fills
# and stays, churn has no column, threads as sampled) and the SVG (parsed
# with xml.etree: marks' labels, the leak site's label, a thread line).
# Programs: tests/growth/server.c (server, steady, cache, churn; 2 s each;
# SIGUSR2 marks during the server run), tests/profiles/phases.c (marks, too
# short to plot), and a small program written here whose threads come and
# go. Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
cd "$WORK" || exit 1

t_begin timeline_build
if ! gcc -g -O1 -o server "$REPO/tests/growth/server.c" 2> build.log; then t_fail "gcc server: $(head -3 build.log)"; fi
# The site labels: function (file:line) of the allocating line.
LEAK="leak_request (server.c:$(grep -n 'leaked\[nleaked++\] = malloc' "$REPO/tests/growth/server.c" | cut -d: -f1))"
CACHE="cache_put (server.c:$(grep -n 'cache\[slot\] = malloc' "$REPO/tests/growth/server.c" | cut -d: -f1))"
case "$LEAK$CACHE" in *":)"*) t_fail "allocation lines not found in server.c" ;; esac
build_prog "$REPO/tests/profiles/phases.c" phases -pthread
cat > spawner.c <<'EOF'
/* A thread started every 150 ms, all joined at 1.5 s; a mark per start. */
#include <leaktrace.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static void nap(long ms) { struct timespec t = { ms / 1000, (ms % 1000) * 1000000L }; nanosleep(&t, NULL); }
static volatile int stop;
static void *worker(void *a) { (void)a; while (!stop) nap(5); return NULL; }
int main(void)
{
    pthread_t t[8];
    char label[32];
    for (int i = 0; i < 8; i++) {
        pthread_create(&t[i], NULL, worker, NULL);
        snprintf(label, sizeof label, "spawn-%d", i + 1);
        leaktrace_mark(label);
        free(malloc(100));
        nap(150);
    }
    nap(300);
    stop = 1;
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    leaktrace_mark("joined");
    nap(200);
    return 0;
}
EOF
build_prog spawner.c spawner -pthread
t_end

# Everything traced at once.
for m in server steady cache churn; do
    if [ $m = server ]; then sig=SIGUSR2; else sig=; fi
    LD_PRELOAD=$LIB LEAKTRACE_MARK_SIGNAL=$sig LEAKTRACE_OUTPUT="$WORK/t_$m.trace" ./server $m 2 > "t_$m.out" 2> "t_$m.err" &
    [ $m = server ] && spid=$!
done
# Two marks in the server run, at about 0.7 and 1.4 s.
sleep 0.7; kill -USR2 "$spid" 2>/dev/null
sleep 0.7; kill -USR2 "$spid" 2>/dev/null
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$WORK/t_spawner.trace" ./spawner > t_spawner.out 2> t_spawner.err
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$WORK/t_phases.trace" ./phases leak 2 > t_phases.out 2> t_phases.err
wait

# csv_check TRACE PYEXPR: runs `timeline --csv`, parses it; PYEXPR sees
# h (header), rows (lists of strings), col(name) (ints of a column whose
# header starts with name, or None), t (times), samples (from `marks
# --samples`), LEAK and CACHE (the labels above), and must be true. Also
# checks the invariants every CSV has.
csv_check() {
    local trace=$1 expr=$2 base
    base=$(basename "$trace" .trace)
    "$LT" timeline --csv "$trace" -o "$base.csv" 2> "$base.csv.err" || { t_fail "timeline --csv $trace failed: $(cat "$base.csv.err")"; return; }
    "$LT" marks --samples --format json "$trace" > "$base.samples.json" 2>/dev/null || { t_fail "marks --samples failed"; return; }
    local out
    out=$(LEAK=$LEAK CACHE=$CACHE "$PY" - "$base.csv" "$base.samples.json" "$expr" <<'EOF' 2>&1
import csv, json, os, sys
LEAK, CACHE = os.environ["LEAK"], os.environ["CACHE"]
rows = list(csv.reader(open(sys.argv[1], newline="")))
h, rows = rows[0], rows[1:]
samples = json.load(open(sys.argv[2]))["samples"]
errs = []
if h[:4] != ["time_s", "live_bytes", "live_blocks", "threads"] or h[-1] != "other":
    errs.append("header %r" % h)
if len(set(h)) != len(h):
    errs.append("duplicate columns %r" % h)
t = [float(r[0]) for r in rows]
if any(b <= a for a, b in zip(t, t[1:])):
    errs.append("times do not grow")
for r in rows:
    if len(r) != len(h):
        errs.append("row of %d fields: %r" % (len(r), r)); break
    if int(r[1]) != sum(int(x) for x in r[4:]):
        errs.append("live_bytes %s != sites + other %d: %r" % (r[1], sum(int(x) for x in r[4:]), r)); break
# threads: the value of the last sample before the slice's end (a sample
# can be applied just before or after a boundary: either neighbour counts);
# empty only before the first sample.
slice_s = t[1] - t[0] if len(t) > 1 else 0
for ti, r in zip(t, rows):
    before = [s["threads"] for s in samples if s["seconds"] <= ti + slice_s]
    ok_vals = set(before[-2:])
    if r[3] == "":
        if samples and samples[0]["seconds"] < ti - slice_s:
            errs.append("threads empty at %s after a sample at %s" % (r[0], samples[0]["seconds"])); break
    elif int(r[3]) not in ok_vals:
        errs.append("threads %s at %s, samples around: %r" % (r[3], r[0], sorted(ok_vals))); break
def col(name):
    for i, c in enumerate(h):
        if i >= 4 and c.startswith(name):
            return [int(r[i]) for r in rows]
    return None
try:
    ok = eval(sys.argv[3])
except Exception as e:
    ok = False
    errs.append("expression raised %r" % e)
if not ok:
    errs.append("expression false; header %r, %d rows" % (h, len(rows)))
print("; ".join(errs) if errs else "OK")
EOF
)
    [ "$out" = OK ] || t_fail "$base.csv: $out"
}

# svg_check TRACE WORD... : runs `timeline` (SVG), parses it with
# xml.etree; each WORD must appear in some element's text.
svg_check() {
    local trace=$1 base out
    shift
    base=$(basename "$trace" .trace)
    "$LT" timeline ${TL_OPTS:-} "$trace" -o "$base.svg" 2> "$base.svg.err" || { t_fail "timeline $trace failed: $(cat "$base.svg.err")"; return; }
    out=$("$PY" - "$base.svg" "$@" <<'EOF' 2>&1
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
texts = [e.text or "" for e in root.iter()]
missing = [w for w in sys.argv[2:] if not any(w in x for x in texts)]
print("missing %r" % missing if missing else "OK")
EOF
)
    [ "$out" = OK ] || t_fail "$base.svg: $out"
}

t_begin timeline_server
grep -q '^server: [0-9]* requests' t_server.out || t_fail "server output: $(cat t_server.out t_server.err)"
# The leak (64 B per request) never shrinks and ends above 40 KB; the cache
# (256 x 200 B) reaches 51200 B and stays; 2 s in 10 ms slices.
csv_check t_server.trace '180 <= len(rows) <= 400 and col(LEAK) is not None and all(b >= a for a, b in zip(col(LEAK), col(LEAK)[1:])) and col(LEAK)[-1] > 40000 and col(LEAK)[len(rows)//4] < col(LEAK)[3*len(rows)//4] and col(CACHE)[-1] == 51200 and col("churn") is None'
svg_check t_server.trace "$LEAK" "$CACHE" SIGUSR2-1 SIGUSR2-2 "Live heap of server (pid"
t_end

t_begin timeline_steady
csv_check t_steady.trace '180 <= len(rows) <= 400 and col(LEAK)[-1] > 40000 and all(b >= a for a, b in zip(col(LEAK), col(LEAK)[1:]))'
t_end

t_begin timeline_cache
# 256 x 300 B, filled early (within 0.5 s when not loaded), then flat. A
# slice can end between a slot's free and its malloc, so once full the
# column may dip by one entry (300 B), never more; it never exceeds full.
# Load stretches the filling but changes none of this.
csv_check t_cache.trace 'col(CACHE)[-1] == 76800 and max(col(CACHE)) == 76800 and min(col(CACHE)[col(CACHE).index(76800):]) >= 76500 and col("leak_request") is None'
t_end

t_begin timeline_churn
# Everything allocated is freed within the request: nothing of churn is
# ever live at a slice's end.
csv_check t_churn.trace '180 <= len(rows) <= 400 and col("churn") is None and max(int(r[1]) for r in rows) < 16384'
t_end

t_begin timeline_threads_and_marks
# Threads rise from 1 (+ the tracer's sample count) to 9 and drop back.
csv_check t_spawner.trace 'max(int(r[3]) for r in rows if r[3]) - min(int(r[3]) for r in rows if r[3]) >= 6'
svg_check t_spawner.trace spawn-1 joined "threads alive (right-hand axis)"
grep -q 'stroke="#6a3d9a"' t_spawner.svg || t_fail "no thread line"
t_end

t_begin timeline_short_run
# phases runs for a few ms: with 60 s slices (so that a loaded machine
# cannot stretch it to two) one slice, nothing to plot, but the SVG is
# valid, says so and lists the marks; the CSV has its one row.
TL_OPTS="--resolution 60" svg_check t_phases.trace "the run is too short" before after end-of-main
csv_check t_phases.trace 'len(rows) >= 1'
"$LT" timeline --resolution 0.001 t_phases.trace -o phases_fine.svg || t_fail "--resolution 0.001 failed"
"$PY" -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' phases_fine.svg 2>/dev/null || t_fail "phases_fine.svg is not XML"
t_end

t_begin timeline_options
# --top 1: one site column; --title, escaped; -o and stdout agree.
"$LT" timeline --csv --top 1 t_server.trace > top1.csv || t_fail "--top 1 failed"
[ "$(head -1 top1.csv)" = "time_s,live_bytes,live_blocks,threads,\"$LEAK\",other" ] || t_fail "--top 1 header: $(head -1 top1.csv)"
"$LT" timeline --title 'a <b> & "c"' t_server.trace > titled.svg || t_fail "--title failed"
grep -q '<title>a &lt;b&gt; &amp; &quot;c&quot;</title>' titled.svg || t_fail "title not escaped"
"$LT" timeline --csv t_server.trace | cmp -s - t_server.csv || t_fail "stdout and -o differ"
"$LT" timeline > /dev/null 2>&1; [ $? -eq 2 ] || t_fail "no trace: not a usage error"
"$LT" timeline --help | grep -q 'usage: leaktrace timeline' || t_fail "--help"
t_end

t_exit
