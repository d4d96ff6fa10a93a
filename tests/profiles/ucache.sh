# ucache.sh - the tracer's per-thread unwind cache must never change a
# recorded stack. ucache_prog.c makes stacks that look alike to the cache
# (same caller at the same stack address, different frames above: twin
# callers, alloca'd pads over stale return addresses, signal handlers on
# the thread's stack and on an alternate stack, two threads). Built with
# frame pointers (-O0) and without (-O2 -fomit-frame-pointer), each is
# traced with the cache (the default) and with LEAKTRACE_UNWIND_CACHE=0;
# the test asserts that both reports hold exactly the same stacks (module
# offsets of every frame) with the same block counts, that each expected
# stack is there with its exact count, and that with the cache on the
# LEAKTRACE_VERBOSE summary reports stacks taken from the cache and
# libunwind memory checks answered from the thread's stack bounds (with the
# cache off, every check goes to the kernel: the two runs also compare the
# stacks unwound each way).
# usage: bash tests/profiles/ucache.sh LIB ANALYZER WORKDIR (see lib.sh)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC=$REPO/tests/profiles/ucache_prog.c

for variant in fp nofp; do
    t_begin "unwind cache keeps stacks exact ($variant)"
    d=$WORK/ucache-$variant
    mkdir -p "$d"
    if [ $variant = fp ]; then flags="-O0 -fno-omit-frame-pointer"; else flags="-O2 -fomit-frame-pointer"; fi
    # shellcheck disable=SC2086
    if build_prog "$SRC" "$d/ucache_prog" -pthread $flags; then
        on=$(LEAKTRACE_VERBOSE=1 trace_run "$d/on" "$d/ucache_prog")
        off=$(LEAKTRACE_UNWIND_CACHE=0 LEAKTRACE_VERBOSE=1 trace_run "$d/off" "$d/ucache_prog")
        if [ -n "$on" ] && [ -n "$off" ]; then
            "$LT" report --leak-kinds all --format json "$on" > "$d/on.json" 2> "$d/on.report.err" || t_fail "report failed on $on"
            "$LT" report --leak-kinds all --format json "$off" > "$d/off.json" 2> "$d/off.report.err" || t_fail "report failed on $off"
            msg=$("$PY" - "$d/on.json" "$d/off.json" "$d/on.err" "$d/off.err" 2>&1 <<'PYEOF'
import json, re, sys
def load(p):
    j = json.load(open(p))
    by_off, by_fn = {}, {}
    for l in j['leaks']:
        key = tuple((f['module'].rsplit('/', 1)[-1], f['offset']) for f in l['stack'])
        by_off[key] = by_off.get(key, 0) + l['blocks']
        fns = [f['function'] for f in l['stack']]
        if 'main' in fns:
            fns = fns[:fns.index('main') + 1]
        elif 'thread_main' in fns:
            fns = fns[:fns.index('thread_main') + 1]
        k = tuple(fns)
        by_fn[k] = by_fn.get(k, 0) + l['blocks']
    return by_off, by_fn
on, on_fn = load(sys.argv[1])
off, off_fn = load(sys.argv[2])
if on != off:
    only_on = {k: v for k, v in on.items() if off.get(k) != v}
    only_off = {k: v for k, v in off.items() if on.get(k) != v}
    sys.exit('stacks differ with the cache: %s vs without: %s' % (only_on, only_off))
want = {
    ('leaf', 'a', 'twins', 'main'): 300,
    ('leaf', 'b', 'twins', 'main'): 300,
    ('leaf', 'a', 'twins', 'thread_main'): 600,
    ('leaf', 'b', 'twins', 'thread_main'): 600,
}
for d in range(1, 6):
    want[('leaf2',) + ('rec',) * d + ('alloca_case', 'main')] = 300
for k, v in want.items():
    if on_fn.get(k) != v:
        sys.exit('stack %s: %s blocks, want %d (all: %s)' % (k, on_fn.get(k), v, on_fn))
for site, n in (('sig_a', 300), ('sig_b', 300), ('sig_alt', 300)):
    got = sum(v for k, v in on_fn.items() if k and k[0] == 'on_usr1' and site in k)
    if got != n:
        sys.exit('signal handler blocks under %s: %d, want %d' % (site, got, n))
m = re.search(r'unwind cache: (\d+) of (\d+) stacks taken from the cache', open(sys.argv[3]).read())
if not m:
    sys.exit('no unwind cache summary with LEAKTRACE_VERBOSE=1')
if int(m.group(1)) == 0:
    sys.exit('the cache was never used: ' + m.group(0))
# The cache's unwinds: libunwind checks stack pages before it reads them;
# those on the thread's own stack are answered without system calls.
# (Debian's libunwind makes these checks; one built without conservative
# checks would make none, and this assertion would not apply.)
checks = r"libunwind's memory checks: (\d+) answered from the thread's stack bounds, (\d+) by the kernel"
m = re.search(checks, open(sys.argv[3]).read())
if not m:
    sys.exit("no summary of libunwind's memory checks with LEAKTRACE_VERBOSE=1")
if int(m.group(1)) == 0:
    sys.exit('no memory check was answered from the stack bounds (a libunwind without conservative checks?): ' + m.group(0))
# With the cache off the thread's bounds are not known: every check goes
# to the kernel, so the comparison above is against libunwind's own path.
m = re.search(checks, open(sys.argv[4]).read())
if not m:
    sys.exit("no summary of libunwind's memory checks with the cache off")
if int(m.group(1)) != 0:
    sys.exit('with the cache off, checks were answered from the stack bounds: ' + m.group(0))
PYEOF
)
            [ $? -eq 0 ] || t_fail "$msg"
        fi
    fi
    t_end
done
t_exit
