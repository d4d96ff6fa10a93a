#!/bin/bash
# run_matrix.sh - leaktrace against more real programs (the matrix), corner
# cases of C/C++ programs, and statically linked targets.
#
# usage: tests/run_matrix.sh [--soak] LIB ANALYZER
#        (from `make test`: build/libleaktrace.so build/leaktrace;
#         `make soak` adds --soak: the long versions)
#
# Needs root (as tests/run_real_programs.sh, which covers sqlite3, python3,
# perl, bash, ls, vfork and posix_spawn), gcc, g++, git, node, xz, zstd,
# redis-server, redis-benchmark, redis-cli, readelf, libjemalloc-dev and the
# static C library (libc6-dev). A missing tool is a FAIL, not a skip.
#
# Prints "PASS name" or "FAIL name: reason" for each test (notes indented:
# wall times untraced/traced, throughput), then "N passed, M failed"; exits
# 1 if anything failed, 2 on bad usage. LEAKTRACE_KEEP_TMP=1 keeps the work
# directory.
#
# Every traced run is compared with an untraced one (exit status, stdout,
# stderr without the tracer's "leaktrace: " lines, and none of those lines
# unless the test expects one) and every trace must be complete (an end
# record), without sequence gaps, and consistent: every free matches an
# earlier allocation (anomalies.unknown_frees 0; forked children excepted,
# docs/tracer.md).
#
# Tests:
#  matrix_git           git init/add/commit/log/gc in a temp repo (bash +
#                       every git process traced; identical commit ids)
#  matrix_node          node with a worker thread (V8's own threads too)
#  matrix_xz_T2, matrix_zstd_T2
#                       threaded compressors on 4 MB; identical output
#  matrix_gcc           gcc -O2 (follows exec of cc1, as, collect2, ld);
#                       identical binary; matrix_gcc_nofollow: FOLLOW=0
#  matrix_redis         redis-server (io-threads 2) under redis-benchmark on
#                       loopback, 2 x 5 s (--soak: 2 x 60 s); throughput
#                       traced vs untraced in the note
#  corner_*             tests/corners/*: each program's leaks asserted
#                       exactly (size, count, allocating function)
#  corner_storm_runs    storm.c 100 times (--soak: 1,000), 20 s limit each
#  corner_trace_file_lost
#                       lostfile.c: the program deletes the trace file and
#                       closes its descriptor while the writer is megabytes
#                       behind (6 runs), and a trace that cannot grow
#                       (`ulimit -f`, 3 runs), and one deleted while the
#                       program runs: exit 0, the same output, one line on
#                       stderr
#  static_*             run-with-tracer.sh on a gcc -static program
set -u

SOAK=0
if [ "${1:-}" = --soak ]; then SOAK=1; shift; fi
if [ $# -ne 2 ]; then
    echo "usage: $0 [--soak] LIB ANALYZER" >&2
    exit 2
fi
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
LIB=$(abspath "$1")
LT=$(abspath "$2")
REPO=$(cd "$(dirname "$0")/.." && pwd)
REAL=$REPO/tests/real
CORN=$REPO/tests/corners
TOOL=$REAL/trace_tool.py
PY=/usr/bin/python3
START=$SECONDS
if [ $SOAK = 1 ]; then REDIS_SECS=60 STORM_RUNS=1000 WAVES=50; else REDIS_SECS=5 STORM_RUNS=100 WAVES=50; fi

unset LD_PRELOAD LEAKTRACE_OUTPUT LEAKTRACE_DEPTH LEAKTRACE_FOLLOW LEAKTRACE_COMPRESSION \
      LEAKTRACE_NO_ARGV LEAKTRACE_VERBOSE PYTHONMALLOC
export LC_ALL=C
ulimit -c 0

T=$(mktemp -d "${TMPDIR:-/tmp}/leaktrace-matrix.XXXXXX") || { echo "cannot create a temp dir" >&2; exit 2; }
REDIS_PID=""
cleanup() {
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null
    if [ -n "${LEAKTRACE_KEEP_TMP:-}" ]; then echo "work directory kept: $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

. "$REAL/lib.sh"

B=$T/bin
mkdir -p "$B"

# ---- 0. tools and programs ------------------------------------------------------
t_begin tools_present
[ "$(id -u)" = 0 ] || bad "must run as root (uid is $(id -u))"
need gcc g++ git node xz zstd redis-server redis-benchmark redis-cli readelf timeout "$PY"
[ -f /usr/include/jemalloc/jemalloc.h ] || bad "libjemalloc-dev is not installed (no jemalloc/jemalloc.h)"
[ -f "$LIB" ] || bad "no tracer library at $LIB (run make first)"
[ -x "$LT" ] || bad "no analyzer at $LT (run make first)"
t_end

t_begin build_corners
cc_one() { local out=$1; shift; timeout 120 "$@" -o "$B/$out" >"$B/$out.log" 2>&1 || bad "building $out failed: $(peek "$B/$out.log" 500)"; }
for n in longjmp coroutines sigalloc deepbind threads5k storm ownmalloc lostfile; do
    cc_one "$n" gcc -g -O0 -Wall -pthread "$CORN/$n.c" -ldl
done
cc_one cxx_exceptions g++ -g -O0 -Wall "$CORN/cxx_exceptions.cc"
cc_one libdeep.so gcc -g -O0 -Wall -shared -fPIC "$CORN/libdeep.c"
cc_one jemalloc gcc -g -O0 -Wall "$CORN/jemalloc.c" -ljemalloc
cc_one static gcc -g -O0 -Wall -static "$REAL/small.c"
cc_one dynamic gcc -g -O0 -Wall "$REAL/small.c"
t_end

# ---- 1. the matrix ------------------------------------------------------------------
# matrix_pair NAME SECS MAINEXE [VAR=VALUE...] CMD...: untraced and traced
# runs of CMD from DIR/u and DIR/t (its working directory: DIR/$mode),
# same behaviour, every trace checked (check_traces). Sets D.
matrix_pair() {
    local name=$1 secs=$2 mainexe=$3
    shift 3
    D=$T/$name
    mkdir -p "$D/tr" "$D/u.wd" "$D/t.wd"
    local t0 t1 t2
    t0=$(date +%s%N)
    RC_U=$(cd "$D/u.wd" && { timeout -k 5 "$secs" env "$@" >"$D/u.out" 2>"$D/u.err" </dev/null; echo $?; } 2>/dev/null)
    t1=$(date +%s%N)
    RC_T=$(cd "$D/t.wd" && { timeout -k 5 "$secs" env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$D/tr/%e.%p.trace" "$@" \
        >"$D/t.out" 2>"$D/t.err" </dev/null; echo $?; } 2>/dev/null)
    t2=$(date +%s%N)
    timing "$t0" "$t1" "$t2"
    same_run "$D/u" "$D/t"
    no_notices "$D/t"
    [ "$RC_U" -eq 0 ] || bad "untraced exit status $RC_U: $(peek "$D/u.err")"
    check_traces "$D/tr" "$mainexe"
}

t_begin matrix_git
if need git bash; then
    matrix_pair git 120 bash bash "$REAL/gitwork.sh"
    grep -q '^[0-9a-f]\{40\}$' "$D/u.out" || bad "gitwork.sh output unexpected: $(peek "$D/u.out")"
    for want in git; do
        [[ " $EXES " == *" $want "* ]] || bad "no trace of '$want' (traced:$EXES)"
    done
    note "${#TRACES[@]} traces"
fi
t_end

t_begin matrix_node_worker_threads
if need node; then
    matrix_pair node 120 node node "$REAL/workers.js"
    grep -q '^worker: n=150000' "$D/u.out" || bad "workers.js output unexpected: $(peek "$D/u.out")"
fi
t_end

# 4 MB of compressible, reproducible text
DATA=$T/data.txt
"$PY" -c '
import random, sys
r = random.Random(42)
words = ["alpha", "beta", "gamma", "delta", "leak", "trace", "malloc", "free", "thread", "%d"]
out = []
n = 0
while n < 4 << 20:
    line = " ".join(r.choice(words) for _ in range(12)).replace("%d", str(r.randrange(100000))) + "\n"
    out.append(line)
    n += len(line)
sys.stdout.write("".join(out))' >"$DATA"

# compressor NAME TOOL ARGS...: TOOL ARGS < DATA > out, traced and untraced,
# identical output that decompresses to DATA
compressor() {
    local name=$1 tool=$2
    shift 2
    D=$T/$name
    mkdir -p "$D/tr"
    local t0 t1 t2
    t0=$(date +%s%N)
    RC_U=$({ timeout -k 5 120 "$tool" "$@" <"$DATA" >"$D/u.out" 2>"$D/u.err"; echo $?; } 2>/dev/null)
    t1=$(date +%s%N)
    RC_T=$({ timeout -k 5 120 env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$D/tr/%e.%p.trace" "$tool" "$@" \
        <"$DATA" >"$D/t.out" 2>"$D/t.err"; echo $?; } 2>/dev/null)
    t2=$(date +%s%N)
    timing "$t0" "$t1" "$t2"
    same_run "$D/u" "$D/t"
    no_notices "$D/t"
    [ "$RC_U" -eq 0 ] || bad "untraced exit status $RC_U: $(peek "$D/u.err")"
    "$tool" -d -c <"$D/t.out" 2>/dev/null | cmp -s - "$DATA" || bad "the traced run's output does not decompress to the input"
    check_traces "$D/tr" "$tool"
    [ ${#TRACES[@]} -eq 1 ] || bad "want 1 trace, got ${#TRACES[@]}"
    jget "${TRACES[0]}.json" totals.allocations && note "$(stat -c %s "$DATA") bytes in, $(stat -c %s "$D/u.out") out, ${J[0]} allocations"
}

t_begin matrix_xz_T2
# 1 MiB blocks: both threads get work
need xz && compressor xz xz -T2 -3 --block-size=1MiB -c
t_end

t_begin matrix_zstd_T2
need zstd && compressor zstd zstd -T2 -9 -B1MiB -q -c
t_end

t_begin matrix_gcc
if need gcc; then
    GCC_EXE=$(basename "$(readlink -f "$(command -v gcc)")")
    cp "$REAL/small.c" "$T/small.c"
    # each run in its own directory: mapped away, the binaries must be equal
    matrix_pair gcc 180 "$GCC_EXE" sh -c 'gcc -O2 -g -Wall -ffile-prefix-map="$PWD"=. -o prog "$1" && ./prog' sh "$T/small.c"
    cmp -s "$D/u.wd/prog" "$D/t.wd/prog" || bad "the traced gcc built a different binary"
    for want in cc1 as ld; do
        [[ "$EXES" == *"$want"* ]] || bad "no trace of '$want' (traced:$EXES)"
    done
    note "${#TRACES[@]} traces:$EXES"
fi
t_end

t_begin matrix_gcc_nofollow
if need gcc; then
    D=$T/gcc_nf
    mkdir -p "$D/tr"
    run "$D/t" 120 env -C "$D" LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$D/tr/%e.%p.trace" LEAKTRACE_FOLLOW=0 \
        gcc -O2 -o prog "$T/small.c"
    [ "$RC" -eq 0 ] || bad "gcc exit $RC: $(peek "$D/t.err")"
    no_notices "$D/t"
    traces_in "$D/tr"
    [ ${#TRACES[@]} -eq 1 ] || bad "LEAKTRACE_FOLLOW=0: want only gcc's trace, got ${#TRACES[@]}: $(ls "$D/tr" | tr '\n' ' ')"
    [ ${#TRACES[@]} -ge 1 ] && check_report "${TRACES[0]}" exit 0 "gcc's trace"
fi
t_end

# ---- redis-server under redis-benchmark -----------------------------------------------------
# redis_round MODE SECS: start redis-server (traced when MODE is t) on a free
# loopback port, run redis-benchmark rounds for SECS seconds, a fixed set of
# commands whose answers are compared, then SHUTDOWN NOSAVE. Sets RC (the
# server's exit status), ROUNDS, and DIR/MODE.bench (CSV of every round).
redis_round() {
    local mode=$1 secs=$2 port i pre=()
    port=$((20000 + (RANDOM % 20000)))
    [ "$mode" = t ] && pre=(LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$D/tr/%e.%p.trace")
    env ${pre[@]+"${pre[@]}"} redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --io-threads 2 --io-threads-do-reads yes --loglevel warning --logfile "$D/$mode.log" --dir "$D" \
        >"$D/$mode.out" 2>"$D/$mode.err" </dev/null &
    REDIS_PID=$!
    for i in $(seq 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    : >"$D/$mode.bench"
    ROUNDS=0
    local end=$((SECONDS + secs))
    while [ $SECONDS -lt $end ]; do
        timeout 120 redis-benchmark -p "$port" -t set,get,incr,lpush -n 10000 -c 20 -P 8 \
            --threads 2 -r 10000 -d 64 -q --csv >>"$D/$mode.bench" 2>>"$D/$mode.bench.err" || { bad "redis-benchmark failed ($mode)"; break; }
        ROUNDS=$((ROUNDS + 1))
    done
    {
        redis-cli -p "$port" flushall
        for i in $(seq 200); do echo "SET key:$i value-$i-$(printf '%0*d' $((i % 50)) 0)"; done | redis-cli -p "$port" >/dev/null
        redis-cli -p "$port" dbsize
        redis-cli -p "$port" get key:77
        redis-cli -p "$port" rpush list a b c d e
        redis-cli -p "$port" lrange list 1 3
    } >"$D/$mode.answers" 2>&1
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
    wait "$REDIS_PID"
    RC=$?
    REDIS_PID=""
}
# rps FILE TEST: mean requests per second of TEST over the rounds in FILE
rps() { awk -F'"' -v t="$2" '$2 == t { s += $4; n++ } END { if (n) printf "%d", s / n; else print 0 }' "$1"; }

t_begin matrix_redis
if need redis-server redis-benchmark redis-cli; then
    D=$T/redis
    mkdir -p "$D/tr"
    redis_round u "$REDIS_SECS"; RC_U=$RC; RU=$ROUNDS
    redis_round t "$REDIS_SECS"; RC_T=$RC; RT=$ROUNDS
    [ "$RC_U" -eq 0 ] || bad "untraced redis-server exit status $RC_U: $(peek "$D/u.log")"
    [ "$RC_T" -eq 0 ] || bad "traced redis-server exit status $RC_T: $(peek "$D/t.log")"
    cmp -s "$D/u.answers" "$D/t.answers" || bad "answers differ: untraced '$(peek "$D/u.answers")' traced '$(peek "$D/t.answers")'"
    grep -q '^200$' "$D/u.answers" || bad "unexpected answers: $(peek "$D/u.answers")"
    for m in u t; do
        [ ! -s "$D/$m.out" ] || bad "redis-server ($m) wrote on stdout: $(peek "$D/$m.out")"
        grep -v '^leaktrace: ' "$D/$m.err" | grep -q . && bad "redis-server ($m) wrote on stderr: $(peek "$D/$m.err")"
    done
    no_notices "$D/t"
    [ "$RT" -ge 1 ] && [ "$RU" -ge 1 ] || bad "benchmark rounds: $RU untraced, $RT traced"
    traces_in "$D/tr"
    if [ ${#TRACES[@]} -ne 1 ]; then bad "want 1 trace, got ${#TRACES[@]}"
    else check_report "${TRACES[0]}" exit 0 trace && jget "${TRACES[0]}.json" totals.allocations threads.created 2>/dev/null
    fi
    line="" 
    for tst in SET GET INCR LPUSH; do
        u=$(rps "$D/u.bench" "$tst"); t=$(rps "$D/t.bench" "$tst")
        [ "$t" -gt 0 ] || bad "no $tst throughput traced"
        line="$line $tst $u/$t"
    done
    note "requests/s untraced/traced (mean over $RU/$RT rounds of 10k requests x 4 tests, ${REDIS_SECS} s each):$line"
    note "traced run: ${J[0]:-?} allocations"
fi
t_end

# ---- 2. corner cases ------------------------------------------------------------------------
# corner NAME UFREES CMD...: CMD untraced and traced, same behaviour, one
# complete trace with UFREES unknown frees and no replaced block; its leak
# groups (trace_tool.py leaks: "BYTES BLOCKS F0>F1>F2>F3") in $D/leaks.
corner() {
    local name=$1 ufrees=$2
    shift 2
    D=$T/$name
    mkdir -p "$D"
    local t0 t1 t2
    t0=$(date +%s%N)
    run "$D/u" 300 "$@"
    RC_U=$RC
    t1=$(date +%s%N)
    trun "$D/t" 300 "$D/trace" "$@"
    RC_T=$RC
    t2=$(date +%s%N)
    timing "$t0" "$t1" "$t2"
    same_run "$D/u" "$D/t"
    [ "$RC_U" -eq 0 ] || bad "untraced exit status $RC_U: $(peek "$D/u.err") $(peek "$D/u.out")"
    [ -f "$D/trace" ] || { bad "no trace"; return 1; }
    rep "$D/trace"
    [ "$REP_RC" -eq 0 ] || { bad "analyzer exit $REP_RC: $(peek "$D/trace.json.err")"; return 1; }
    jget "$D/trace.json" process.complete process.end.how process.end.status anomalies.sequence_gaps \
        anomalies.unknown_frees anomalies.replaced_blocks || return 1
    [ "${J[0]}/${J[1]}/${J[2]}" = "true/exit/0" ] || bad "trace complete/end: ${J[0]}/${J[1]}/${J[2]}, want true/exit/0"
    [ "${J[3]}" = 0 ] || bad "anomalies.sequence_gaps is ${J[3]}"
    [ "${J[4]}" = "$ufrees" ] || bad "anomalies.unknown_frees is ${J[4]}, want $ufrees"
    [ "${J[5]}" = 0 ] || bad "anomalies.replaced_blocks is ${J[5]}, want 0"
    timeout 60 "$PY" "$TOOL" leaks "$D/trace.json" >"$D/leaks" 2>&1 || bad "cannot list leaks: $(peek "$D/leaks")"
}
# leaks_are LINE-REGEX...: the leak groups are exactly these, one regex
# (grep -E, anchored) per line, in sorted order
leaks_are() {
    local -a got
    mapfile -t got <"$D/leaks"
    if [ ${#got[@]} -ne $# ]; then
        bad "want $# leak groups, got ${#got[@]}: $(tr '\n' '|' <"$D/leaks")"
        return
    fi
    local i=0 re
    for re in "$@"; do
        [[ "${got[$i]}" =~ ^$re$ ]] || bad "leak group $((i + 1)) is '${got[$i]}', want /$re/"
        i=$((i + 1))
    done
}

t_begin corner_cxx_exceptions
corner cxx 0 "$B/cxx_exceptions" && leaks_are '7007 7 leak_then_throw>descend>descend>descend'
t_end

t_begin corner_setjmp_longjmp
corner longjmp 0 "$B/longjmp" && leaks_are '10010 5 work>main' '12120 4 sigwork>main'
t_end

t_begin corner_swapcontext_coroutines
corner coro 0 "$B/coroutines" && leaks_are '6006 2 coro_step>coro_body(>.*)?'
t_end

t_begin corner_signal_handler_allocates
# the stack goes through the signal frame back to main's sigsuspend
corner sigalloc 0 "$B/sigalloc" && leaks_are '200200 50 on_alarm>.*(sigsuspend|main).*'
t_end

t_begin corner_rtld_deepbind
# without the rebinding (preload/rebind.c) the library's malloc and free
# went to libc directly: 1 unknown free, a replaced block, no leak seen
corner deepbind 0 "$B/deepbind" "$B/libdeep.so" && leaks_are '6006 1 deep_alloc>main'
t_end

t_begin corner_jemalloc_linked
# documented in docs/limitations.md: malloc/free are seen (and reach
# jemalloc), jemalloc's own API is not: mallocx blocks are invisible, a
# malloc block freed by dallocx looks leaked, free of a mallocx block is a
# free of an unknown block
if corner jemalloc 1 "$B/jemalloc"; then
    grep -q '^jemalloc ok$' "$D/u.out" || bad "jemalloc is not the allocator in use: $(peek "$D/u.out")"
    leaks_are '11011 1 main' '72072 8 main'
    no_notices "$D/t"
fi
t_end

t_begin corner_own_malloc
# the executable defines malloc: nothing is seen, the tracer says so once
D=$T/ownmalloc
mkdir -p "$D"
run "$D/u" 60 "$B/ownmalloc"; RC_U=$RC
trun "$D/t" 60 "$D/trace" "$B/ownmalloc"; RC_T=$RC
same_run "$D/u" "$D/t"
[ "$RC_U" -eq 0 ] || bad "untraced exit status $RC_U"
[ "$(grep -c '^leaktrace: ' "$D/t.err")" = 1 ] && grep -q "^leaktrace: malloc is defined by .*ownmalloc, which comes before the tracer" "$D/t.err" ||
    bad "want one notice 'malloc is defined by .../ownmalloc ...', stderr: $(peek "$D/t.err")"
if [ -f "$D/trace" ]; then
    rep "$D/trace"
    grep -q "^ownmalloc ok$" "$D/u.out" || bad "its malloc was not used: $(peek "$D/u.out")"
    jget "$D/trace.json" process.complete totals.allocations &&
        { [ "${J[0]}/${J[1]}" = true/0 ] || bad "complete/allocations ${J[0]}/${J[1]}, want true/0"; }
else bad "no trace"; fi
t_end

t_begin corner_threads_by_thousands
if corner threads5k 0 "$B/threads5k" "$WAVES"; then
    N=$((WAVES * 100))
    leaks_are "$((N * 5005)) $N thread_leak>body(>.*)?"
    grep -q "^threads $N$" "$D/u.out" || bad "output: $(peek "$D/u.out")"
    { timeout 120 "$LT" threads --format json "$D/trace" >"$D/threads.json" 2>"$D/threads.err"; } 2>/dev/null
    jget "$D/threads.json" threads.created threads.running_at_exit &&
        { [ "${J[0]}/${J[1]}" = "$N/0" ] || bad "threads created/running at exit: ${J[0]}/${J[1]}, want $N/0"; }
fi
t_end

t_begin corner_storm_runs
# every run within its time limit, then every trace checked in one pass
D=$T/storm
mkdir -p "$D"
hung=0 failed=0
t0=$SECONDS
for i in $(seq 1 "$STORM_RUNS"); do
    mode=join
    [ $((i % 2)) = 0 ] && mode=nojoin
    tr=$D/s.$i.$mode.trace
    { timeout -k 2 20 env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$tr" "$B/storm" $mode >"$D/out" 2>"$D/err" </dev/null; RC=$?; } 2>/dev/null
    if timed_out "$RC"; then hung=$((hung + 1)); bad "run $i ($mode) hung (killed after 20 s)"; continue; fi
    if [ "$RC" -ne 0 ] || [ "$(cat "$D/out")" != storm ] || [ -s "$D/err" ]; then
        failed=$((failed + 1)); bad "run $i ($mode): exit $RC, out '$(peek "$D/out")' err '$(peek "$D/err")'"
    fi
    [ ${#TERR[@]} -ge 5 ] && { bad "stopping after 5 failures"; break; }
done
t1=$SECONDS
# two analyzers at a time
find "$D" -maxdepth 1 -name 's.*.trace' -print0 |
    xargs -0 -r -P 2 -n 1 sh -c 'timeout 120 "$0" report --leak-kinds all --format json "$1" >"$1.json" 2>"$1.json.err" ||
        echo "$(basename "$1"): analyzer exit $?: $(head -c 200 "$1.json.err")"' "$LT" >"$D/analyzer.err" 2>&1
[ ! -s "$D/analyzer.err" ] || bad "$(head -n 3 "$D/analyzer.err" | tr '\n' '|')"
# join runs: exactly the 7 storm_leak blocks; nojoin runs (exit while the
# other thread allocates): those among others; all complete, no gap, no
# unknown free
out=$(timeout 300 "$PY" - "$D" <<'PYEOF' 2>&1
import glob, json, sys
bad = 0
files = sorted(glob.glob(sys.argv[1] + "/s.*.trace.json"))
for f in files:
    d = json.load(open(f))
    a, p = d["anomalies"], d["process"]
    groups = sorted((g["bytes"], g["blocks"], (g["stack"][0].get("function") or "?")) for g in d["leaks"])
    want = (42042, 7, "storm_leak")
    ok = p["complete"] and p["end"]["how"] == "exit" and a["sequence_gaps"] == 0 and a["unknown_frees"] == 0
    ok = ok and (groups == [want] if ".join." in f else want in groups)
    if not ok:
        bad += 1
        if bad <= 5:
            print("%s: complete %s end %s gaps %d unknown frees %d leaks %s" % (f.split("/")[-1], p["complete"], p["end"], a["sequence_gaps"], a["unknown_frees"], groups[:3]))
print("checked %d traces, %d bad" % (len(files), bad))
PYEOF
)
echo "$out" | grep -q "^checked $STORM_RUNS traces, 0 bad$" || bad "traces: $(echo "$out" | tr '\n' '|')"
note "$STORM_RUNS runs in $((t1 - t0)) s, checked in $((SECONDS - t1)) s: $hung hung, $failed failed; $(echo "$out" | tail -n 1)"
t_end

# ---- 3. statically linked targets (run-with-tracer.sh, docs/ci.md) -----------------------------
W=$REPO/run-with-tracer.sh
STATIC_WARN='^run-with-tracer\.sh: warning: .* is statically linked: the tracer cannot be preloaded into it, so it runs untraced'

# wrap NAME ARGS...: run-with-tracer.sh --out DIR/NAME.out ARGS..., stdout in
# DIR/NAME.stdout, stderr in DIR/NAME.stderr, status in RC
wrap() {
    local n=$1
    shift
    rm -rf "$D/$n.out"
    { timeout -k 5 120 "$W" --out "$D/$n.out" "$@" >"$D/$n.stdout" 2>"$D/$n.stderr" </dev/null; RC=$?; } 2>/dev/null
}

t_begin corner_trace_file_lost
# Before the fix, the last drain went on encoding into a full chunk once the
# file was gone: on this machine class 3 to 5 runs of 10 of the first case
# crashed, though only when the exit's drain is the first to find the file
# gone (on another machine 0 of 4): the test can miss that bug, never fail
# a correct tracer.
D=$T/lostfile
mkdir -p "$D"
lost_run() {   # WANT_LINE ULIMIT_F [early]: one traced run of lostfile 6 1000000
    local want=$1 lim=$2
    rm -f "$D/t.trace"
    { ( [ "$lim" = unlimited ] || ulimit -S -f "$lim"; trap '' XFSZ
        exec timeout -k 2 120 env LD_PRELOAD="$LIB" LEAKTRACE_OUTPUT="$D/t.trace" "$B/lostfile" 6 1000000 ${3:-}
      ) >"$D/out" 2>"$D/err" </dev/null; RC=$?; } 2>/dev/null
    if [ "$RC" -ne 0 ] || [ "$(cat "$D/out")" != done ] || [ "$(wc -l <"$D/err")" -ne 1 ] || ! grep -q "$want" "$D/err"; then
        bad "ulimit -f $lim: exit $RC, out '$(peek "$D/out")', err '$(peek "$D/err" 300)'"
    fi
}
# The tracer finds the file deleted at its next write, or, when the close
# falls between its check and its write, the write fails.
for i in 1 2 3 4 5 6; do lost_run "deleted and cannot be reopened\|writing the trace failed" unlimited; done
for i in 1 2 3; do lost_run "writing the trace failed (File too large)" 4096; done
lost_run "deleted and cannot be reopened; tracing stopped" unlimited early
t_end

t_begin static_detected_runs_untraced
D=$T/static
mkdir -p "$D"
if [ -x "$B/static" ]; then
    # really static: the loader would have been named in PT_INTERP
    readelf -lW "$B/static" | grep -q 'program interpreter' && bad "gcc -static made a binary with an interpreter"
    run "$D/u" 60 "$B/static"
    wrap plain "$B/static"
    [ "$RC" -eq "$RC_U" ] 2>/dev/null || bad "exit status $RC through the wrapper, $RC_U without"
    RC_U=$RC
    grep -q "^$(head -n 1 "$D/u.out")\$" "$D/plain.stdout" || bad "the program's output is missing: $(peek "$D/plain.stdout")"
    [ "$(grep -c "$STATIC_WARN" "$D/plain.stderr")" = 1 ] || bad "want one 'statically linked' warning, stderr: $(peek "$D/plain.stderr" 600)"
    grep -q 'link it dynamically' "$D/plain.stderr" || bad "the warning does not say what to do: $(peek "$D/plain.stderr" 600)"
    [ -z "$(find "$D/plain.out" -name '*.trace' 2>/dev/null)" ] || bad "a static program left traces"
    # --check: nothing was traced -> 3 (the program itself succeeded)
    wrap check --check "$B/static"
    [ "$RC" -eq 3 ] || bad "--check on a static program that succeeded: exit $RC, want 3: $(peek "$D/check.stderr" 600)"
    # a name looked up in PATH is detected too
    wrap path env PATH="$B:$PATH" static
    grep -q "$STATIC_WARN" "$D/path.stderr" && bad "env itself is dynamic: no warning expected for 'env ... static': $(peek "$D/path.stderr")"
    cp "$B/static" "$D/static-in-path"
    PATH="$D:$PATH" wrap bypath static-in-path
    grep -q "$STATIC_WARN" "$D/bypath.stderr" || bad "not detected when found in PATH: $(peek "$D/bypath.stderr")"
else
    bad "no static test program (see build_corners: libc6-dev's static libc.a needed)"
fi
t_end

t_begin static_dynamic_not_flagged
D=$T/static
printf '#!/bin/sh\nexit 0\n' >"$D/script.sh"
chmod +x "$D/script.sh"
for prog in "$B/dynamic" /bin/sh "$D/script.sh"; do
    wrap dyn "$prog" /dev/null
    grep -q 'statically linked' "$D/dyn.stderr" && bad "$prog flagged as static: $(peek "$D/dyn.stderr")"
done
wrap dyn2 "$B/dynamic"
[ -n "$(find "$D/dyn2.out" -name '*.trace' 2>/dev/null)" ] || bad "a dynamic program left no trace"
t_end

echo "run_matrix: $((SECONDS - START)) s"
echo "$NPASS passed, $NFAIL failed"
[ "$NFAIL" -eq 0 ]
