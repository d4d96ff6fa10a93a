#!/bin/bash
# pprof.sh - `leaktrace pprof` checked end to end with the real
# `go tool pprof` (golang-go; a missing go is a FAIL, not a skip), on
# programs traced with the real tracer: the four sample indices, stacks
# with file:line, inline frames, mappings, -base across two runs (different
# ASLR bases), -dot, C++ names demangled, a dlclose'd library's frames,
# dumps as input. Run by tests/run_profile_tests.sh as
# pprof.sh LIB ANALYZER WORKDIR.
source "$(dirname "$0")/lib.sh"
D=$REPO/tests/profiles
cd "$WORK" || exit 1

# go tool pprof as root in CI and offline: its own HOME, caches and temp.
GO=$(command -v go || echo /usr/bin/go)
mkdir -p gohome gocache gopath pproftmp
gopprof() {
    HOME=$WORK/gohome GOCACHE=$WORK/gocache GOPATH=$WORK/gopath PPROF_TMPDIR=$WORK/pproftmp \
        GOFLAGS= GOPROXY=off GOTOOLCHAIN=local GOTELEMETRY=off "$GO" tool pprof "$@"
}
# pp NAME ARGS...: go tool pprof ARGS > NAME (stderr NAME.err); fails the test on error.
pp() {
    local out=$1
    shift
    gopprof "$@" > "$out" 2> "$out.err" || { t_fail "go tool pprof $* failed: $(head -3 "$out.err")"; return 1; }
}
# The first row of a -top listing: "FLAT FUNCTION...".
top_row() { awk '/ flat%/ { getline; print $1, $6, $7, $8; exit }' "$1" | sed 's/ *$//'; }
# Every mapped Location of a -raw listing lies inside its Mapping; prints
# "LOCATIONS MAPPINGS" or the offenders.
raw_addresses_inside() {
    "$PY" - "$1" <<'EOF'
import re, sys
maps, locs, sec = {}, [], None
for line in open(sys.argv[1]):
    if line.startswith('Locations'): sec = 'L'; continue
    if line.startswith('Mappings'): sec = 'M'; continue
    if sec == 'L':
        m = re.match(r'\s+(\d+): (0x[0-9a-f]+) M=(\d+) ', line)
        if m: locs.append((int(m.group(1)), int(m.group(2), 16), int(m.group(3))))
    elif sec == 'M':
        m = re.match(r'(\d+): (0x[0-9a-f]+)/(0x[0-9a-f]+)/', line)
        if m: maps[int(m.group(1))] = (int(m.group(2), 16), int(m.group(3), 16))
bad = [l for l in locs if l[2] not in maps or not maps[l[2]][0] <= l[1] < maps[l[2]][1]]
print("%d %d" % (len(locs), len(maps)) if not bad else "outside: %r" % bad)
EOF
}
# The source line of the first line of FILE containing TEXT.
src_line() { grep -n -F "$2" "$1" | head -1 | cut -d: -f1; }

t_begin pprof_build
build_prog "$D/pprof_phases.c" pprof_phases -O2
if ! g++ -g -O0 -o pprof_cxx "$D/pprof_cxx.cpp" 2> pprof_cxx.log; then t_fail "g++: $(head -2 pprof_cxx.log)"; fi
if ! gcc -g -O0 -shared -fPIC -o libpprofdl.so "$D/pprof_dllib.c" 2> libpprofdl.log; then
    t_fail "cannot build libpprofdl.so: $(head -2 libpprofdl.log)"
fi
build_prog "$D/pprof_dlclose.c" pprof_dlclose -ldl
t_end

t_begin pprof_go_available
if [ ! -x "$GO" ]; then
    t_fail "go not found (apt-get install golang-go): go tool pprof is needed"
else
    gopprof -h > go.help 2>&1 || t_fail "go tool pprof -h failed: $(head -3 go.help)"
fi
t_end

# Run 1: the end profile; a gzip file pprof reads, with the four indices.
t_begin pprof_sample_indices
T1=$(trace_run run1 ./pprof_phases)
"$LT" pprof "$T1" -o end.pb.gz 2> end.err || t_fail "leaktrace pprof failed: $(cat end.err)"
[ "$(head -c 2 end.pb.gz | od -An -tx1 | tr -d ' ')" = 1f8b ] || t_fail "not gzip"
# index: expected first row of -top (flat, function); -unit=B for bytes
for want in "alloc_objects:200 churn" "alloc_space:65536B phase_leak" "inuse_objects:16 phase_leak" \
            "inuse_space:65536B phase_leak"; do
    idx=${want%%:*}
    unit=; case $idx in *_space) unit=-unit=B ;; esac
    pp top.$idx -top $unit -sample_index=$idx end.pb.gz || continue
    grep -q "^Type: $idx\$" top.$idx || t_fail "$idx: no 'Type: $idx' in $(head -8 top.$idx)"
    got=$(top_row top.$idx)
    [ "$got" = "${want#*:}" ] || t_fail "$idx: top row '$got', expected '${want#*:}'"
done
pp top.default -top end.pb.gz && { grep -q '^Type: inuse_space$' top.default || t_fail "default index is not inuse_space"; }
pp comments -comments end.pb.gz &&
    { grep -q "^leaktrace heap profile of [0-9]* $WORK/pprof_phases at the end of the trace" comments ||
      t_fail "comments: $(cat comments)"; }
t_end

# Stacks with names and file:line, innermost first.
t_begin pprof_traces_with_files
L_leak=$(src_line "$D/pprof_phases.c" 'keep[i] = malloc(4096);')
L_main=$(src_line "$D/pprof_phases.c" 'phase_leak(16);')
if pp traces -traces -lines end.pb.gz; then
    grep -A1 -F "   phase_leak $D/pprof_phases.c:$L_leak" traces | grep -q -F "main $D/pprof_phases.c:$L_main" ||
        t_fail "no phase_leak:$L_leak <- main:$L_main stack in: $(cat traces)"
fi
t_end

# The inlined helper is a Line of the same Location as its caller, marked
# (inline) in -traces.
t_begin pprof_inline_frame
L_inl=$(src_line "$D/pprof_phases.c" 'unsigned char *p = malloc(n);')
L_call=$(src_line "$D/pprof_phases.c" 'unsigned char *p = inline_alloc_helper(n);')
if pp raw -raw end.pb.gz; then
    awk -v a="inline_alloc_helper $D/pprof_phases.c:$L_inl " -v b="uses_inline_helper $D/pprof_phases.c:$L_call " '
        index($0, a) && $0 ~ /^ +[0-9]+: 0x[0-9a-f]+ M=1 / { getline; if ($0 ~ /^ +uses_inline_helper / && index($0, b)) ok = 1 }
        END { exit !ok }' raw || t_fail "no location with lines inline_alloc_helper:$L_inl, uses_inline_helper:$L_call in: $(sed -n '/^Locations/,$p' raw)"
fi
if pp traces.inl -traces end.pb.gz; then
    grep -A1 -F 'inline_alloc_helper (inline)' traces.inl | grep -q uses_inline_helper ||
        t_fail "no inline frame in -traces: $(cat traces.inl)"
fi
t_end

# Mapping 1 is the executable, with its build id, marked symbolized; every
# Location's address lies inside its Mapping.
t_begin pprof_mappings
bid=$(readelf -n pprof_phases | awk '/Build ID:/ { print $3 }')
[ -n "$bid" ] || t_fail "no build id in pprof_phases"
grep -q "^1: 0x[0-9a-f]*/0x[0-9a-f]*/0x0 $WORK/pprof_phases $bid \[FN\]\[FL\]\[LN\]\[IN\]\$" raw ||
    t_fail "mapping 1: $(sed -n '/^Mappings/,$p' raw)"
got=$(raw_addresses_inside raw)
case $got in "6 1") ;; *) t_fail "locations/mappings: $got" ;; esac
t_end

# -base across two runs: run 1 at "before" is the base of run 2 at "after".
# The binary is PIE: the runs have different load addresses (ASLR), yet
# every location but phase_leak's cancels out.
t_begin pprof_base_two_runs
T2=$(trace_run run2 ./pprof_phases)
"$LT" pprof "$T1" --mark before -o before.pb.gz 2> before.err || t_fail "pprof --mark before: $(cat before.err)"
"$LT" pprof "$T2" --mark after -o after.pb.gz 2> after.err || t_fail "pprof --mark after: $(cat after.err)"
if pp raw.before -raw before.pb.gz && pp raw.after -raw after.pb.gz; then
    s1=$(grep -m1 '^1: 0x' raw.before | cut -d/ -f1)
    s2=$(grep -m1 '^1: 0x' raw.after | cut -d/ -f1)
    [ -n "$s1" ] && [ -n "$s2" ] || t_fail "no mapping 1"
    if [ "$(cat /proc/sys/kernel/randomize_va_space 2>/dev/null || echo 0)" != 0 ] && [ "$s1" = "$s2" ]; then
        t_fail "both runs loaded the executable at $s1 despite ASLR"
    fi
fi
if pp base.top -top -unit=B -base before.pb.gz after.pb.gz; then
    got=$(top_row base.top)
    [ "$got" = "65536B phase_leak" ] || t_fail "-base top row '$got': $(cat base.top)"
    grep -q 'accounting for 65536B, 100% of 65536B total' base.top || t_fail "-base total: $(cat base.top)"
fi
# Locations matched across the runs: only phase_leak's sample is left (an
# unmatched one would show as a +3000/-3000 pair for uses_inline_helper).
if pp base.raw -raw -base before.pb.gz after.pb.gz; then
    got=$(sed -n '/^Samples:/,/^Locations/p' base.raw | grep -c ': [0-9 ]*$')
    [ "$got" = 1 ] || t_fail "-base -raw has $got samples: $(sed -n '/^Samples:/,/^Locations/p' base.raw)"
    grep -q '^ *16 *65536 *16 *65536: ' base.raw || t_fail "-base -raw values: $(sed -n '/^Samples:/,/^Locations/p' base.raw)"
fi
pp base.comments -comments after.pb.gz && { grep -q 'at mark "after"' base.comments || t_fail "comments: $(cat base.comments)"; }
t_end

# -http needs a browser; -dot is the same graph as text (no graphviz needed).
t_begin pprof_dot
if pp graph.dot -dot end.pb.gz; then
    head -1 graph.dot | grep -q '^digraph ' || t_fail "-dot: $(head -2 graph.dot)"
    grep -q 'label="phase_leak\\n64kB' graph.dot || t_fail "-dot has no phase_leak node"
    grep -q 'label="inline_alloc_helper' graph.dot || t_fail "-dot has no inline_alloc_helper node"
fi
t_end

# C++: demangled names. pprof shows them without parameters by default
# (Widget::grow), the full name is the Function's name (-raw, demangle=full).
t_begin pprof_cxx_demangled
T=$(trace_run cxx ./pprof_cxx)
"$LT" pprof "$T" -o cxx.pb.gz 2> cxx.err || t_fail "leaktrace pprof failed: $(cat cxx.err)"
if pp cxx.top -top -unit=B cxx.pb.gz; then
    grep -q ' 1280B .* Widget::grow$' cxx.top || t_fail "no Widget::grow with 1280B: $(cat cxx.top)"
    grep -q '_Z' cxx.top && t_fail "mangled names in: $(cat cxx.top)"
fi
if pp cxx.full -top -unit=B -symbolize=demangle=full cxx.pb.gz; then
    grep -q ' 1280B .* Widget::grow(int)$' cxx.full || t_fail "no Widget::grow(int): $(cat cxx.full)"
fi
# libstdc++'s exception pool (allocated once at start-up) is labelled
# leaktrace=runtime: -tagignore=runtime leaves it out.
if pp cxx.notrt -top -unit=B -tagignore=runtime cxx.pb.gz; then
    got=$(top_row cxx.notrt)
    [ "$got" = "1280B Widget::grow" ] || t_fail "-tagignore=runtime top row '$got': $(cat cxx.notrt)"
fi
if pp cxx.tags -tags cxx.pb.gz; then
    grep -q '^ *leaktrace: Total' cxx.tags && grep -q '): runtime$' cxx.tags || t_fail "-tags: $(cat cxx.tags)"
fi
if pp cxx.raw -raw cxx.pb.gz; then
    grep -q -F "Widget::grow(int)" cxx.raw || t_fail "-raw has no Widget::grow(int)"
    grep -q '_ZN6Widget' cxx.raw && t_fail "-raw has mangled Widget names"
fi
t_end

# A library dlclose'd before the end: its frames keep names and files.
t_begin pprof_dlclose_library
T=$(trace_run dl ./pprof_dlclose "$WORK/libpprofdl.so")
grep -q . dl.err && t_fail "pprof_dlclose said: $(head -2 dl.err)"
"$LT" pprof "$T" -o dl.pb.gz 2> dl.pprof.err || t_fail "leaktrace pprof failed: $(cat dl.pprof.err)"
L_dl=$(src_line "$D/pprof_dllib.c" 'dllib_kept[i] = malloc(512);')
if pp dl.traces -traces -lines -unit=B dl.pb.gz; then
    grep -A1 -F "1536B   dllib_leak_blocks $D/pprof_dllib.c:$L_dl" dl.traces | grep -q -F "main $D/pprof_dlclose.c:" ||
        t_fail "no dllib_leak_blocks stack: $(cat dl.traces)"
fi
if pp dl.raw -raw dl.pb.gz; then
    grep -q " $WORK/libpprofdl.so [0-9a-f]* \[FN\]\[FL\]\[LN\]\[IN\]\$" dl.raw || t_fail "no libpprofdl.so mapping: $(sed -n '/^Mappings/,$p' dl.raw)"
    got=$(raw_addresses_inside dl.raw)
    case $got in [1-9]*" "[1-9]*) ;; *) t_fail "locations/mappings: $got" ;; esac
fi
t_end

# A heap dump converts like the trace it came from.
t_begin pprof_from_dump
rm -f after.dump   # dump never overwrites a file: a rerun in the same work dir needs it gone
"$LT" dump "$T2" --mark after -o after.dump 2> dump.err || t_fail "dump failed: $(cat dump.err)"
"$LT" pprof after.dump -o dump.pb.gz 2> dump.pprof.err || t_fail "pprof of a dump failed: $(cat dump.pprof.err)"
if pp dump.raw -raw dump.pb.gz; then
    got=$(raw_addresses_inside dump.raw)
    case $got in "6 1") ;; *) t_fail "locations/mappings: $got" ;; esac
fi
if pp dump.top -top -unit=B -base after.pb.gz dump.pb.gz; then
    grep -q 'accounting for 0, 0% of 0 total' dump.top || t_fail "dump and trace at the same mark differ: $(cat dump.top)"
fi
t_end

# Other moments and outputs: --at 0 (nothing allocated yet: a valid, empty
# profile), -o - (stdout), errors.
t_begin pprof_moments_and_errors
"$LT" pprof "$T1" --at 0 -o at0.pb.gz 2> at0.err || t_fail "--at 0 failed: $(cat at0.err)"
if pp at0.raw -raw at0.pb.gz; then
    grep -q '^Samples:' at0.raw || t_fail "--at 0: $(head -5 at0.raw)"
    grep -q phase_leak at0.raw && t_fail "--at 0 has phase_leak"
fi
"$LT" pprof "$T1" -o - > stdout.pb.gz 2> stdout.err || t_fail "-o - failed: $(cat stdout.err)"
cmp -s stdout.pb.gz end.pb.gz || t_fail "-o - differs from -o FILE"
"$LT" pprof "$T1" --mark no-such-mark -o x.pb.gz 2> nomark.err; rc=$?
[ $rc = 2 ] || t_fail "unknown mark: exit $rc, expected 2"
"$LT" pprof "$T1" -o "$WORK/no/such/dir/x.pb.gz" 2> nodir.err; rc=$?
[ $rc = 3 ] || t_fail "unwritable output: exit $rc, expected 3"
t_end

# The browser UI: `go tool pprof -http` serves a flame graph of our profile.
t_begin pprof_http_flamegraph
port=$((20000 + RANDOM % 20000))
gopprof -no_browser -http=127.0.0.1:$port after.pb.gz > http.log 2>&1 &
hpid=$!
code=""
for _ in $(seq 100); do
    code=$(curl -s -o flame.html -w '%{http_code}' "http://127.0.0.1:$port/ui/flamegraph" 2>/dev/null)
    [ "$code" = 200 ] && break
    sleep 0.2
done
# go tool runs pprof as a child process: stop both.
pkill -f -- "-http=127.0.0.1:$port" 2>/dev/null
kill $hpid 2>/dev/null
wait $hpid 2>/dev/null
[ "$code" = 200 ] || t_fail "no flame graph from go tool pprof -http (HTTP '$code'): $(head -3 http.log)"
grep -q phase_leak flame.html || t_fail "the flame graph page does not show phase_leak"
t_end

# The tracer's own frames (its wrapper of main, below it) are dropped
# whatever the library's file is called: the trace names it (PROCESS key
# tracer). They were kept, as "main_wrapper in lt-renamed.so", when the
# analyzer knew it only by the name libleaktrace*.
t_begin pprof_tracer_renamed
cp "$LIB" "$WORK/lt-renamed.so"
rm -f ren.*.trace
LD_PRELOAD="$WORK/lt-renamed.so" LEAKTRACE_OUTPUT="ren.%p.trace" ./pprof_phases > ren.out 2> ren.err || t_fail "pprof_phases failed: $(head -2 ren.err)"
tr=$(ls ren.*.trace 2>/dev/null | head -1)
"$LT" report --show-reachable --format json "$tr" > ren.json 2> ren.aerr || t_fail "report failed: $(head -2 ren.aerr)"
got=$(json_get ren.json '(len(j["leaks"]) > 0, sorted({f["module"].rsplit("/", 1)[-1] for s in j["leaks"] for f in s["stack"]}))')
[ "$got" = "(True, ['pprof_phases'])" ] || t_fail "modules in the leaks' stacks: $got, want only the program's"
"$LT" pprof -o ren.pb.gz "$tr" 2> ren.perr || t_fail "pprof export failed: $(head -2 ren.perr)"
pp ren.raw -raw ren.pb.gz && { grep -q lt-renamed ren.raw && t_fail "the pprof profile maps lt-renamed.so: $(grep lt-renamed ren.raw | head -2)"; }
t_end

t_exit
