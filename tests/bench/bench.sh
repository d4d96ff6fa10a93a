#!/usr/bin/env bash
# tests/bench/bench.sh - overhead benchmark for leaktrace (called by `make bench`).
#
#   tests/bench/bench.sh [--runs N] [--quick]
#
# For each workload (sqlite, python, mallocbench with 1 and 2 threads) it runs
# four modes, interleaved within each round so that machine noise hits all of
# them alike:
#   untraced   the plain program
#   traced     LD_PRELOAD=build/libleaktrace.so, LEAKTRACE_OUTPUT=<tmpdir>/trace.%p
#              (full tracing: every event)
#   sampled    the same with LEAKTRACE_SAMPLE=512K (LEAKTRACE_BENCH_SAMPLE)
#   heaptrack  heaptrack -o <tmpdir>/ht program...   (only if heaptrack is installed)
# and reports the median wall-clock seconds of each mode, the ratios
# traced/untraced, sampled/untraced and heaptrack/untraced (medians of this
# bench run; and the median over rounds of each round's ratio, which load
# that drifts between rounds moves less), the sampled trace's size, the size
# of the last trace of each tracer and its bytes per event, where
# events = allocations + frees as counted by `build/leaktrace report --format
# json` on the last leaktrace trace of that workload (heaptrack's size is
# divided by the same count). For mallocbench it also reports the per-thread
# throughput with 2 threads as a fraction of the 1-thread throughput, from
# the loop's own clock and from the whole process's wall time (which also
# counts events still buffered when the loop ends). On the last leaktrace
# trace of each workload it times the analyzer twice over, medians of 3 runs
# of wall time: `leaktrace report --format json` (the whole default report)
# and `leaktrace marks --format json -q` (decoding and replay alone: the
# replay speed), both as events per second.
#
# Output: a table on stdout, progress on stderr, and build/bench/results.json.
#
# Options / environment:
#   --runs N                 rounds (default 5)
#   --quick                  1 round (unless --runs is given) and few mallocbench iterations
#   LEAKTRACE_WORKLOADS      workloads directory (default ../shared/workloads from the repo root)
#   LEAKTRACE_BENCH_ITERATIONS  mallocbench iterations per thread (default 10000000, quick 200000)
#   LEAKTRACE_BENCH_SAMPLE   the sampled mode's LEAKTRACE_SAMPLE (default 512K)
#
# Run time: about 4 minutes for the default 5 rounds on an idle 2-CPU
# machine (each round: sqlite ~12 s and python ~9 s over the four modes,
# mallocbench 1t/2t ~20 s); --quick about 30 s.
#
# Any failing run (non-zero exit, missing trace, analyzer failure) aborts the
# bench. The traced mode is skipped only when build/libleaktrace.so does not
# exist; the heaptrack mode only when heaptrack is not installed.
set -euo pipefail

prog=tests/bench/bench.sh

die() {
    echo "$prog: error: $*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

# ---- arguments --------------------------------------------------------------

RUNS=5
runs_given=0
QUICK=0
while (($#)); do
    case "$1" in
        --runs)
            (($# >= 2)) || die "--runs needs a value"
            RUNS=$2; runs_given=1; shift 2 ;;
        --runs=*)
            RUNS=${1#--runs=}; runs_given=1; shift ;;
        --quick)
            QUICK=1; shift ;;
        -h|--help)
            usage; exit 0 ;;
        *)
            usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$RUNS'"
if ((QUICK)) && ((!runs_given)); then
    RUNS=1
fi
if ((QUICK)); then
    ITERATIONS=${LEAKTRACE_BENCH_ITERATIONS:-200000}
else
    ITERATIONS=${LEAKTRACE_BENCH_ITERATIONS:-10000000}
fi
[[ $ITERATIONS =~ ^[1-9][0-9]*$ ]] || die "LEAKTRACE_BENCH_ITERATIONS must be a positive integer"

# ---- locations and tools ----------------------------------------------------

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

WL_DIR=${LEAKTRACE_WORKLOADS:-$ROOT/../shared/workloads}
[[ -d $WL_DIR ]] || die "workloads directory not found: $WL_DIR (set LEAKTRACE_WORKLOADS)"
WL_DIR=$(cd "$WL_DIR" && pwd)
for f in sqlite.sql py_json.py; do
    [[ -f $WL_DIR/$f ]] || die "workload file missing: $WL_DIR/$f"
done

if [[ -x /usr/bin/python3 ]]; then
    PY=/usr/bin/python3          # Debian's: a real ELF binary, not a pyenv shim script
else
    PY=$(command -v python3) || die "python3 not found"
fi
SQLITE=$(command -v sqlite3) || die "sqlite3 not found (apt-get install sqlite3)"

LIB=$ROOT/build/libleaktrace.so
ANALYZER=$ROOT/build/leaktrace
MALLOCBENCH=$ROOT/build/mallocbench
MB_SRC=tests/bench/mallocbench.c

if [[ ! -x $MALLOCBENCH || $MB_SRC -nt $MALLOCBENCH ]]; then
    echo "building build/mallocbench" >&2
    mkdir -p build
    gcc -std=gnu11 -O2 -g -pthread "$MB_SRC" -o build/mallocbench \
        || die "could not build build/mallocbench"
fi

SAMPLE=${LEAKTRACE_BENCH_SAMPLE:-512K}
MODES=(untraced)
TRACED_SKIP=""
if [[ -e $LIB ]]; then
    MODES+=(traced sampled)
    if [[ ! -x $ANALYZER ]]; then
        echo "traced: build/leaktrace missing, bytes/event will not be computed (run make)" >&2
    fi
else
    TRACED_SKIP="build/libleaktrace.so missing, run make"
    echo "traced: $TRACED_SKIP"
fi
HEAPTRACK_SKIP=""
if HEAPTRACK=$(command -v heaptrack); then
    MODES+=(heaptrack)
else
    HEAPTRACK=""
    HEAPTRACK_SKIP="heaptrack not installed"
    echo "heaptrack: not installed, skipped"
fi

WORKLOADS=(sqlite python mallocbench-1t mallocbench-2t)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/leaktrace-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/cwd" "$TMP/traced" "$TMP/sampled" "$TMP/heaptrack"
SAMPLES=$TMP/samples.tsv     # workload mode round ns ops_per_s_per_thread(or -) cpu_s
SIZES=$TMP/sizes.tsv         # workload mode round bytes
EVENTS=$TMP/events.tsv       # workload events totals-json
ANALYZE=$TMP/analyze.tsv     # workload report-ns replay-ns (leaktrace report: replay, leaks, threads, growth; leaktrace marks: replay)
: >"$SAMPLES"; : >"$SIZES"; : >"$EVENTS"

# ---- workloads --------------------------------------------------------------

# wl_setup NAME: sets WL_ENV (VAR=value words) and WL_CMD (argv), WL_MB (1 if
# the program is mallocbench and its stdout must be parsed).
wl_setup() {
    WL_ENV=()
    WL_MB=0
    case "$1" in
        sqlite)         WL_CMD=("$SQLITE" :memory: -init "$WL_DIR/sqlite.sql" .quit) ;;
        python)         WL_ENV=(PYTHONMALLOC=malloc)
                        WL_CMD=("$PY" "$WL_DIR/py_json.py") ;;
        mallocbench-1t) WL_CMD=("$MALLOCBENCH" 1 "$ITERATIONS"); WL_MB=1 ;;
        mallocbench-2t) WL_CMD=("$MALLOCBENCH" 2 "$ITERATIONS"); WL_MB=1 ;;
        *) die "unknown workload $1" ;;
    esac
}

# run_checked WHAT OUTFILE CMD...: runs CMD with stdout to OUTFILE and stderr to
# $TMP/stderr, sets ELAPSED_NS and CPU_S (user + system seconds of CMD and
# its children, from bash's time); aborts the bench if CMD fails.
run_checked() {
    local what=$1 out=$2 t0 t1 rc=0 TIMEFORMAT='%3U %3S'
    shift 2
    t0=$(date +%s%N)
    # The redirections stay inside the subshell: on the timed command itself
    # they would capture time's own report too; no exec (it loses the report).
    { time (cd "$TMP/cwd" && "$@" >"$out" 2>"$TMP/stderr" </dev/null); } 2>"$TMP/cpu" || rc=$?
    t1=$(date +%s%N)
    CPU_S=$(awk '{ printf "%.3f", $1 + $2 }' "$TMP/cpu")
    if ((rc != 0)); then
        {
            echo "$prog: error: $what failed with exit code $rc"
            echo "  command: $*"
            echo "  last lines of its stderr:"
            tail -n 20 "$TMP/stderr" | sed 's/^/    /'
        } >&2
        exit 1
    fi
    ELAPSED_NS=$((t1 - t0))
}

# parse_mb FILE: prints ops_per_s_per_thread from mallocbench's output line.
parse_mb() {
    local line
    line=$(grep -m1 '^threads=' "$1") || die "no mallocbench result line in output of $2"
    line=${line##*ops_per_s_per_thread=}
    echo "${line%% *}"
}

sum_sizes() {
    local total=0 f
    for f in "$@"; do
        total=$((total + $(stat -c %s "$f")))
    done
    echo "$total"
}

# count_events WORKLOAD TRACE...: runs the analyzer on the traces, records
# allocations + frees (summed over the files) in $EVENTS.
count_events() {
    local wl=$1 f rc
    shift
    if [[ ! -x $ANALYZER ]]; then
        return 0
    fi
    : >"$TMP/reports.jsonl"
    local t0 t1 an_ns=0 rp_ns=0 k runs first_rc
    for f in "$@"; do
        # Timed three times, the median counts (one run moved by 50 % from
        # one bench to the next on this machine); the first run's report is
        # the one checked.
        runs=()
        for k in 1 2 3; do
            rc=0
            t0=$(date +%s%N)
            if ((k == 1)); then
                "$ANALYZER" report --format json "$f" >"$TMP/report.json" 2>"$TMP/report.err" || rc=$?
            else
                "$ANALYZER" report --format json "$f" >/dev/null 2>&1 || true
            fi
            t1=$(date +%s%N)
            runs+=($((t1 - t0)))
            ((k == 1)) && first_rc=$rc
        done
        rc=$first_rc
        an_ns=$((an_ns + $(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)))
        # The replay alone (decode and replay, no series, no report):
        # `marks` prints only the marks. Median of three too.
        runs=()
        for k in 1 2 3; do
            t0=$(date +%s%N)
            rc=0
            "$ANALYZER" marks --format json -q "$f" >/dev/null 2>"$TMP/marks.err" || rc=$?
            t1=$(date +%s%N)
            if ((rc != 0)); then
                echo "note: 'leaktrace marks' exited with code $rc on the $wl trace: its replay time is not one" >&2
                tail -n 3 "$TMP/marks.err" | sed 's/^/    /' >&2
            fi
            runs+=($((t1 - t0)))
        done
        rp_ns=$((rp_ns + $(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)))
        # A leak checker may exit non-zero because it found leaks; accept that
        # as long as it printed a report with totals.
        if ! "$PY" -c '
import json, sys
try:
    t = json.load(open(sys.argv[1]))["totals"]
    int(t["allocations"]); int(t["frees"])
except Exception as e:
    sys.exit("no JSON report with totals.allocations and totals.frees on stdout (%s: %s)"
             % (type(e).__name__, e))
print(json.dumps(t))' "$TMP/report.json" >>"$TMP/reports.jsonl" 2>>"$TMP/report.err"; then
            {
                echo "$prog: error: analyzer failed on the $wl trace (exit code $rc)"
                echo "  command: $ANALYZER report --format json $f"
                tail -n 20 "$TMP/report.err" | sed 's/^/    /'
            } >&2
            exit 1
        fi
        if ((rc != 0)); then
            echo "note: analyzer exited with code $rc on the $wl trace but printed a report" >&2
        fi
    done
    "$PY" -c '
import json, sys
tot = [json.loads(l) for l in open(sys.argv[1])]
events = sum(int(t["allocations"]) + int(t["frees"]) for t in tot)
print("%s\t%d\t%s" % (sys.argv[2], events, json.dumps(tot[0] if len(tot) == 1 else tot)))
' "$TMP/reports.jsonl" "$wl" >>"$EVENTS"
    printf '%s\t%s\t%s\n' "$wl" "$an_ns" "$rp_ns" >>"$ANALYZE"
}

# run_mode WORKLOAD MODE ROUND
run_mode() {
    local wl=$1 mode=$2 round=$3 out=/dev/null what tput=- files bytes f
    wl_setup "$wl"
    ((WL_MB)) && out=$TMP/stdout
    what="$wl ($mode, round $round)"
    case "$mode" in
        untraced)
            run_checked "$what" "$out" env -u LD_PRELOAD "${WL_ENV[@]}" "${WL_CMD[@]}" ;;
        traced)
            rm -rf "$TMP/traced"; mkdir "$TMP/traced"
            run_checked "$what" "$out" env -u LD_PRELOAD "${WL_ENV[@]}" \
                LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$TMP/traced/trace.%p" "${WL_CMD[@]}"
            shopt -s nullglob
            files=("$TMP"/traced/*)
            shopt -u nullglob
            ((${#files[@]})) || die "$what: the run succeeded but wrote no trace into $TMP/traced"
            bytes=$(sum_sizes "${files[@]}")
            ((bytes > 0)) || die "$what: the trace is empty"
            printf '%s\t%s\t%s\t%s\n' "$wl" "$mode" "$round" "$bytes" >>"$SIZES"
            if ((round == RUNS)); then
                count_events "$wl" "${files[@]}"
            fi
            rm -rf "$TMP/traced"; mkdir "$TMP/traced" ;;
        sampled)
            rm -rf "$TMP/sampled"; mkdir "$TMP/sampled"
            run_checked "$what" "$out" env -u LD_PRELOAD "${WL_ENV[@]}" \
                LD_PRELOAD="$LIB" LEAKTRACE_SAMPLE="$SAMPLE" LEAKTRACE_OUTPUT="$TMP/sampled/trace.%p" "${WL_CMD[@]}"
            shopt -s nullglob
            files=("$TMP"/sampled/*)
            shopt -u nullglob
            ((${#files[@]})) || die "$what: the run succeeded but wrote no trace into $TMP/sampled"
            bytes=$(sum_sizes "${files[@]}")
            printf '%s\t%s\t%s\t%s\n' "$wl" "$mode" "$round" "$bytes" >>"$SIZES"
            rm -rf "$TMP/sampled"; mkdir "$TMP/sampled" ;;
        heaptrack)
            rm -rf "$TMP/heaptrack"; mkdir "$TMP/heaptrack"
            # heaptrack's own chatter goes to the same stdout as the program's
            # (/dev/null, or the file mallocbench's line is parsed from).
            run_checked "$what" "$out" env -u LD_PRELOAD "${WL_ENV[@]}" \
                "$HEAPTRACK" -o "$TMP/heaptrack/ht" "${WL_CMD[@]}"
            files=()
            for f in "$TMP"/heaptrack/ht.zst "$TMP"/heaptrack/ht.gz; do
                [[ -e $f ]] && files+=("$f")
            done
            ((${#files[@]})) || die "$what: heaptrack wrote no ht.zst or ht.gz"
            bytes=$(sum_sizes "${files[@]}")
            ((bytes > 0)) || die "$what: the heaptrack file is empty"
            printf '%s\t%s\t%s\t%s\n' "$wl" "$mode" "$round" "$bytes" >>"$SIZES"
            rm -rf "$TMP/heaptrack"; mkdir "$TMP/heaptrack" ;;
    esac
    if ((WL_MB)); then
        tput=$(parse_mb "$TMP/stdout" "$what")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$wl" "$mode" "$round" "$ELAPSED_NS" "$tput" "$CPU_S" >>"$SAMPLES"
    printf '  %-15s %-9s %8.3f s\n' "$wl" "$mode" "$(awk "BEGIN{print $ELAPSED_NS/1e9}")" >&2
}

# ---- measure ----------------------------------------------------------------

echo "leaktrace bench: $RUNS round(s), modes: ${MODES[*]}, mallocbench $ITERATIONS iterations/thread, $(nproc) CPUs" >&2
echo "warm-up (untimed, untraced)" >&2
for wl in "${WORKLOADS[@]}"; do
    wl_setup "$wl"
    run_checked "$wl (warm-up)" /dev/null env -u LD_PRELOAD "${WL_ENV[@]}" "${WL_CMD[@]}"
done

for ((round = 1; round <= RUNS; round++)); do
    echo "round $round/$RUNS" >&2
    for wl in "${WORKLOADS[@]}"; do
        for mode in "${MODES[@]}"; do
            run_mode "$wl" "$mode" "$round"
        done
    done
done

# ---- report -----------------------------------------------------------------

mkdir -p build/bench
git_rev=$(git rev-parse --short HEAD 2>/dev/null || echo none)
ht_version=""
[[ -n $HEAPTRACK ]] && ht_version=$("$HEAPTRACK" --version 2>/dev/null | head -n1 || true)

touch "$ANALYZE"
B_WORKLOADS="${WORKLOADS[*]}" B_MODES="${MODES[*]}" B_RUNS=$RUNS B_QUICK=$QUICK \
B_ITERATIONS=$ITERATIONS B_GIT_REV=$git_rev B_HT_VERSION=$ht_version B_PY=$PY \
B_WL_DIR=$WL_DIR B_TRACED_SKIP=$TRACED_SKIP B_HEAPTRACK_SKIP=$HEAPTRACK_SKIP B_SAMPLE=$SAMPLE \
"$PY" - "$SAMPLES" "$SIZES" "$EVENTS" build/bench/results.json "$ANALYZE" <<'EOF'
import json, os, platform, statistics, sys

samples_path, sizes_path, events_path, out_path, analyze_path = sys.argv[1:6]
env = os.environ
workloads = env["B_WORKLOADS"].split()
modes = env["B_MODES"].split()
meta = {
    "runs": int(env["B_RUNS"]),
    "quick": env["B_QUICK"] == "1",
    "mallocbench_iterations_per_thread": int(env["B_ITERATIONS"]),
    "cpus": os.cpu_count(),
    "kernel": platform.release(),
    "git_rev": env["B_GIT_REV"],
    "heaptrack_version": env["B_HT_VERSION"] or None,
    "python": env["B_PY"],
    "workloads_dir": env["B_WL_DIR"],
    "timing": "wall clock per process (date +%s%N), seconds; cpu_*: user + system seconds (bash time)",
    "events": "allocations + frees from 'build/leaktrace report --format json' on the last traced trace",
    "sampled_rate": env["B_SAMPLE"],
}
skipped = {"traced": env["B_TRACED_SKIP"], "sampled": env["B_TRACED_SKIP"], "heaptrack": env["B_HEAPTRACK_SKIP"]}

secs, cpu, tput, sizes, events, totals = {}, {}, {}, {}, {}, {}
by_round = {}   # (wl, mode) -> {round: (wall s, cpu s or None)}
for line in open(samples_path):
    wl, mode, rnd, ns, tp, cs = line.rstrip("\n").split("\t")
    secs.setdefault((wl, mode), []).append(int(ns) / 1e9)
    by_round.setdefault((wl, mode), {})[rnd] = (int(ns) / 1e9, float(cs) if cs else None)
    if cs:
        cpu.setdefault((wl, mode), []).append(float(cs))
    if tp != "-":
        tput.setdefault((wl, mode), []).append(float(tp))
for line in open(sizes_path):
    wl, mode, rnd, b = line.rstrip("\n").split("\t")
    sizes.setdefault((wl, mode), []).append(int(b))
for line in open(events_path):
    wl, ev, tot = line.rstrip("\n").split("\t")
    events[wl] = int(ev)
    totals[wl] = json.loads(tot)

analyze, replay = {}, {}
for line in open(analyze_path):
    wl, ns, rns = line.rstrip("\n").split("\t")
    analyze[wl] = int(ns) / 1e9
    replay[wl] = int(rns) / 1e9
med = lambda xs: statistics.median(xs) if xs else None
result = {"meta": meta, "workloads": {}, "mallocbench_scaling": {}}
for wl in workloads:
    base = med(secs.get((wl, "untraced"), []))
    w = {"events": events.get(wl), "analyzer_totals": totals.get(wl), "modes": {}}
    if wl in analyze and events.get(wl):
        w["analyzer_report_s"] = analyze[wl]
        w["analyzer_events_per_s"] = events[wl] / analyze[wl] if analyze[wl] > 0 else None
        w["analyzer_replay_s"] = replay[wl]
        w["analyzer_replay_events_per_s"] = events[wl] / replay[wl] if replay[wl] > 0 else None
    for mode in ("untraced", "traced", "sampled", "heaptrack"):
        if mode not in modes:
            w["modes"][mode] = {"skipped": skipped[mode]}
            continue
        s = secs[(wl, mode)]
        c = cpu.get((wl, mode), [])
        m = {"median_s": med(s), "min_s": min(s), "max_s": max(s), "samples_s": s,
             "cpu_median_s": med(c), "cpu_samples_s": c}
        if mode != "untraced":
            m["ratio_vs_untraced"] = med(s) / base if base else None
            # Each round's time over the same round's untraced time (run
            # seconds apart), median over rounds: less moved by load that
            # drifts between rounds than the ratio of the two medians.
            ur, mr = by_round.get((wl, "untraced"), {}), by_round.get((wl, mode), {})
            pw = [mr[k][0] / ur[k][0] for k in mr if k in ur and ur[k][0] > 0]
            pc = [mr[k][1] / ur[k][1] for k in mr if k in ur and ur[k][1] and mr[k][1] is not None]
            m["ratio_paired_median"] = med(pw)
            m["cpu_ratio_paired_median"] = med(pc)
            cbase = med(cpu.get((wl, "untraced"), []))
            m["cpu_ratio_vs_untraced"] = med(c) / cbase if (cbase and c) else None
            sz = sizes.get((wl, mode), [])
            m["trace_bytes"] = sz[-1] if sz else None
            m["trace_bytes_samples"] = sz
            ev = events.get(wl)
            # bytes per event of the full trace; a sampled trace holds few events
            m["bytes_per_event"] = (sz[-1] / ev) if (sz and ev and mode != "sampled") else None
        if (wl, mode) in tput:
            m["ops_per_s_per_thread_median"] = med(tput[(wl, mode)])
            m["ops_per_s_per_thread_samples"] = tput[(wl, mode)]
        w["modes"][mode] = m
    result["workloads"][wl] = w

for mode in modes:
    one = med(tput.get(("mallocbench-1t", mode), []))
    two = med(tput.get(("mallocbench-2t", mode), []))
    # The same from whole-process wall time (2 threads do twice the work):
    # includes what the loop's own clock does not see, such as events still
    # buffered when the loop ends and drained before the process exits.
    w1 = result["workloads"].get("mallocbench-1t", {}).get("modes", {}).get(mode, {}).get("median_s")
    w2 = result["workloads"].get("mallocbench-2t", {}).get("modes", {}).get(mode, {}).get("median_s")
    result["mallocbench_scaling"][mode] = {
        "ops_per_s_per_thread_1t": one,
        "ops_per_s_per_thread_2t": two,
        "fraction_2t_of_1t": (two / one) if (one and two) else None,
        "fraction_2t_of_1t_wall": (w1 / w2) if (w1 and w2) else None,
    }

with open(out_path, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")

# ---- human-readable table ----
def fs(x):  return "-" if x is None else "%.3f" % x
def fr(x):  return "-" if x is None else "%.2fx" % x
def fb(x):
    if x is None: return "-"
    for unit, div in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if x >= div: return "%.1f %s" % (x / div, unit)
    return "%d B" % x
def fbe(x): return "-" if x is None else "%.2f" % x
def fe(x):  return "-" if x is None else ("%.2fM" % (x / 1e6) if x >= 1e5 else str(x))

print()
print("leaktrace bench: median of %d round(s), wall-clock seconds; ratios are medians of this bench run"
      % meta["runs"])
for mode, why in skipped.items():
    if why: print("  %s: %s" % (mode, why))
print("  traced = full tracing; sampled = LEAKTRACE_SAMPLE=%s; overhead = ratio - 1" % env["B_SAMPLE"])
hdr = ("workload", "untraced", "traced", "tr/untr", "sampled", "sa/untr", "heaptrack", "ht/untr",
       "events", "trace", "B/ev", "sampled", "heaptrack", "B/ev")
rows = []
for wl in workloads:
    w = result["workloads"][wl]["modes"]
    t, s, h = w["traced"], w["sampled"], w["heaptrack"]
    rows.append((wl, fs(w["untraced"]["median_s"]),
                 fs(t.get("median_s")), fr(t.get("ratio_vs_untraced")),
                 fs(s.get("median_s")), fr(s.get("ratio_vs_untraced")),
                 fs(h.get("median_s")), fr(h.get("ratio_vs_untraced")),
                 fe(result["workloads"][wl]["events"]),
                 fb(t.get("trace_bytes")), fbe(t.get("bytes_per_event")),
                 fb(s.get("trace_bytes")),
                 fb(h.get("trace_bytes")), fbe(h.get("bytes_per_event"))))
widths = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
line = lambda r: "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
print(line(hdr))
for r in rows: print(line(r))

print()
print("targets: sampled (%s) overhead <= 3 %% on sqlite and python (aim <= 1 %%); full sqlite <= 1.3x, python <= 1.5x"
      % env["B_SAMPLE"])
for wl in ("sqlite", "python"):
    if wl not in result["workloads"]: continue
    w = result["workloads"][wl]["modes"]
    parts = []
    for mode in ("traced", "sampled"):
        r = w.get(mode, {}).get("ratio_vs_untraced")
        rc = w.get(mode, {}).get("cpu_ratio_vs_untraced")
        if r is not None:
            parts.append("%s %+.1f %% wall, %s cpu" % (mode, 100 * (r - 1), "-" if rc is None else "%+.1f %%" % (100 * (rc - 1))))
    print("  %-8s %s" % (wl, "; ".join(parts) if parts else "-"))
print()
print("per-round ratios (each round's time over the same round's untraced time, median over the")
print("rounds; less moved than the ratios above by load that drifts between rounds), wall (cpu)")
def per_workload(mode_list, cell):
    """One line per workload: cell(mode, figures) for each mode, None to leave it out."""
    for wl in workloads:
        w = result["workloads"][wl]["modes"]
        cells = [c for c in (cell(mode, w.get(mode, {})) for mode in mode_list) if c]
        print("  %-15s %s" % (wl, "  ".join(cells)))

def paired_cell(mode, m):
    if m.get("ratio_paired_median") is None: return None
    rc = m.get("cpu_ratio_paired_median")
    return "%s %.2fx (%s)" % (mode, m["ratio_paired_median"], "-" if rc is None else "%.2fx" % rc)
per_workload(("traced", "sampled", "heaptrack"), paired_cell)
print()
print("CPU seconds (user + system, medians; less sensitive than wall clock to other load on the machine)")
def cpu_cell(mode, m):
    if m.get("cpu_median_s") is None: return None
    r = m.get("cpu_ratio_vs_untraced")
    return "%s %.3f%s" % (mode, m["cpu_median_s"], "" if r is None else " (%.2fx)" % r)
per_workload(("untraced", "traced", "sampled", "heaptrack"), cpu_cell)
print()
print("analyzer on the last trace of each workload, medians of 3 runs, wall time: 'leaktrace report")
print("--format json' (decode, replay with time series, leaks, threads, growth) and the replay alone")
print("('leaktrace marks': decode and replay)")
for wl in workloads:
    w = result["workloads"][wl]
    if w.get("analyzer_events_per_s"):
        print("  %-15s %10s events  report %6.2f s %7.2fM events/s  replay %6.2f s %7.2fM events/s"
              % (wl, fe(w["events"]), w["analyzer_report_s"], w["analyzer_events_per_s"] / 1e6,
                 w["analyzer_replay_s"], (w.get("analyzer_replay_events_per_s") or 0) / 1e6))
print()
print("mallocbench per-thread throughput (loop only, ops/s; 1 op = 1 free + 1 malloc);")
print("2t/1t from the loop's clock, and from the whole process's wall time")
for mode in modes:
    s = result["mallocbench_scaling"][mode]
    f = lambda x: "-" if x is None else "%.2fM" % (x / 1e6)
    g = lambda x: "-" if x is None else "%.2f" % x
    print("  %-10s 1 thread %9s   2 threads %9s   2t/1t %s (whole process %s)" % (
        mode, f(s["ops_per_s_per_thread_1t"]), f(s["ops_per_s_per_thread_2t"]),
        g(s["fraction_2t_of_1t"]), g(s["fraction_2t_of_1t_wall"])))
print()
print("results: %s" % out_path)
EOF
