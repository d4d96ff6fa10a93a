# flame.sh - end-to-end tests of `leaktrace flamegraph` (folded stacks and
# SVG) on programs traced with the real tracer: flame_prog.c (a known call
# tree: leaks under a and b, temporary blocks under c), a C++ program
# (demangled, XML-escaped names) and flame_prog.c built without debug info
# and stripped (module+0xOFFSET labels). Frames the test cannot predict
# (the runtime's own allocations, frames outside main) are tolerated by
# matching stacks by their innermost frames.
# usage: bash tests/profiles/flame.sh LIB ANALYZER WORKDIR (see lib.sh)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# folded_check FILE CHECK...: parses folded stacks ("a;b;c BYTES" lines, no
# duplicate stacks) and checks each CHECK; prints the first problem.
#   has:SUFFIX=BYTES   exactly one stack ends with frames SUFFIX, with BYTES
#   through-main:N     exactly N stacks go through main
#   absent:TEXT        no stack contains TEXT
#   contains:TEXT      some stack contains TEXT
#   nosym-leaks:MOD    the two leaks of flame_prog seen without symbols:
#                      stacks of 3000 and 1000 bytes whose three innermost
#                      frames are MOD+0x..., same innermost frame, callers differ
folded_check() {
    "$PY" - "$@" <<'EOF'
import sys
path, checks = sys.argv[1], sys.argv[2:]
st = {}
for l in open(path, encoding='utf-8').read().splitlines():
    stack, sep, v = l.rpartition(' ')
    if not sep or not stack or not v.isdigit():
        sys.exit('bad folded line: %r' % l)
    if stack in st:
        sys.exit('duplicate stack: %r' % stack)
    st[stack] = int(v)
def ends(s, suf): return s == suf or s.endswith(';' + suf)
for c in checks:
    kind, _, arg = c.partition(':')
    if kind == 'has':
        suf, v = arg.rsplit('=', 1)
        m = [s for s in st if ends(s, suf)]
        if len(m) != 1:
            sys.exit('%d stacks end with %s, want 1: %s' % (len(m), suf, sorted(st)))
        if st[m[0]] != int(v):
            sys.exit('%s: %d bytes, want %s' % (m[0], st[m[0]], v))
    elif kind == 'through-main':
        m = [s for s in st if s.startswith('main;') or ';main;' in s or ends(s, 'main')]
        if len(m) != int(arg):
            sys.exit('%d stacks through main, want %s: %s' % (len(m), arg, m))
    elif kind == 'absent':
        m = [s for s in st if arg in s]
        if m:
            sys.exit('%s found in %s' % (arg, m))
    elif kind == 'contains':
        if not any(arg in s for s in st):
            sys.exit('%s in no stack: %s' % (arg, sorted(st)))
    elif kind == 'nosym-leaks':
        got = {}
        for s, v in st.items():
            f = s.split(';')
            if v in (3000, 1000) and len(f) >= 3 and all(x.startswith(arg + '+0x') for x in f[-3:]):
                got.setdefault(v, []).append(f)
        if sorted(got) != [1000, 3000] or any(len(x) != 1 for x in got.values()):
            sys.exit('no single 3000 and 1000-byte stacks of %s frames: %s' % (arg, st))
        x, y = got[3000][0], got[1000][0]
        if x[-1] != y[-1] or x[-2] == y[-2]:
            sys.exit('leaf frames should be equal and callers differ: %s / %s' % (x, y))
    else:
        sys.exit('bad check ' + c)
EOF
}

folded_total() {
    "$PY" -c 'import sys; print(sum(int(l.rsplit(" ", 1)[1]) for l in open(sys.argv[1]) if l.strip()))' "$1"
}

# svg_check FILE CHECK...: the file must parse as XML (xml.etree) with an
# <svg> root; then each CHECK:
#   heading:TEXT        the title element's text is TEXT
#   frame-pct:NAME=PCT  some frame's hover text is for NAME, with ", PCT%"
#   frame-has:NAME=TEXT some frame's hover text is for NAME and contains TEXT
#   title-has:TEXT      some hover text contains TEXT
#   raw-has:TEXT / raw-absent:TEXT   in the file's bytes (escaping)
#   total:BYTES         the root frame "all" has BYTES (grouped by commas)
#   nodata              no frames, says "no data"
svg_check() {
    "$PY" - "$@" <<'EOF'
import sys, xml.etree.ElementTree as ET
path, checks = sys.argv[1], sys.argv[2:]
raw = open(path, encoding='utf-8').read()
try:
    root = ET.parse(path).getroot()
except ET.ParseError as e:
    sys.exit('not well-formed XML: %s' % e)
NS = '{http://www.w3.org/2000/svg}'
if root.tag != NS + 'svg':
    sys.exit('root is %s' % root.tag)
titles = [t.text or '' for t in root.iter(NS + 'title')]
def frames(name): return [t for t in titles if t.split('\n')[0] == name]
for c in checks:
    kind, _, arg = c.partition(':')
    if kind == 'heading':
        h = [t for t in root.iter(NS + 'text') if t.get('id') == 'title']
        if len(h) != 1 or h[0].text != arg:
            sys.exit('heading %r, want %r' % ([x.text for x in h], arg))
    elif kind in ('frame-pct', 'frame-has'):
        name, want = arg.rsplit('=', 1)
        if kind == 'frame-pct':
            want = ', %s%%' % want
        if not any(want in t for t in frames(name)):
            sys.exit('no frame %s with %r: %s' % (name, want, frames(name)))
    elif kind == 'title-has':
        if not any(arg in t for t in titles):
            sys.exit('no hover text with %r' % arg)
    elif kind == 'raw-has':
        if arg not in raw:
            sys.exit('%r not in the SVG' % arg)
    elif kind == 'raw-absent':
        if arg in raw:
            sys.exit('%r in the SVG' % arg)
    elif kind == 'total':
        want = '%s bytes' % format(int(arg), ',')
        if not any(want in t for t in frames('all')):
            sys.exit('root frame %s, want %s' % (frames('all'), want))
    elif kind == 'nodata':
        if titles or 'no data' not in raw:
            sys.exit('frames in an empty flame graph, or no "no data"')
    else:
        sys.exit('bad check ' + c)
EOF
}

# check CMD...: runs a checker, failing the test with its message.
check() {
    local msg
    msg=$("$@" 2>&1) || t_fail "${msg:-$1 failed}"
}

SRC=$REPO/tests/profiles/flame_prog.c
P=$WORK/flame_prog
TR=""

t_begin flame_build_and_trace
if build_prog "$SRC" "$P"; then
    TR=$(trace_run "$WORK/prog" "$P")
    [ -n "$TR" ] || t_fail "no trace written: $(head -2 "$WORK/prog.err")"
fi
t_end

F=$WORK/f
t_begin flame_folded_leaked
if [ -n "$TR" ]; then
    "$LT" flamegraph --what leaked --folded "$TR" -o "$F.leaked" 2> "$F.err" || t_fail "exit $?: $(head -2 "$F.err")"
    check folded_check "$F.leaked" has:main\;a\;leaf_leak=3000 has:main\;b\;leaf_leak=1000 through-main:2 absent:temp
    # --what leaked is the default, and the end is the default moment
    "$LT" flamegraph --folded "$TR" -o "$F.default" 2> "$F.err" || t_fail "default: exit $?"
    cmp -s "$F.leaked" "$F.default" || t_fail "--what leaked differs from the default"
    "$LT" flamegraph --what leaked --end --folded "$TR" -o - > "$F.stdout" 2> "$F.err" || t_fail "-o -: exit $?"
    cmp -s "$F.leaked" "$F.stdout" || t_fail "-o - differs from -o FILE"
else
    t_fail "no trace"
fi
t_end

t_begin flame_folded_allocated
if [ -n "$TR" ]; then
    "$LT" flamegraph --what allocated --folded "$TR" -o "$F.alloc" 2> "$F.err" || t_fail "exit $?: $(head -2 "$F.err")"
    check folded_check "$F.alloc" has:main\;c\;temp=20480 has:main\;a\;leaf_leak=3000 has:main\;b\;leaf_leak=1000 \
        through-main:3
else
    t_fail "no trace"
fi
t_end

t_begin flame_folded_peak
if [ -n "$TR" ]; then
    # the five temporary blocks were live together, after the leaks
    "$LT" flamegraph --what peak --folded "$TR" -o "$F.peak" 2> "$F.err" || t_fail "exit $?: $(head -2 "$F.err")"
    check folded_check "$F.peak" has:main\;c\;temp=20480 has:main\;a\;leaf_leak=3000 has:main\;b\;leaf_leak=1000 \
        through-main:3
    "$LT" flamegraph --what peak --end --folded "$TR" -o "$F.bad" 2> /dev/null
    [ $? -eq 2 ] || t_fail "--what peak with --end: want exit status 2"
    "$LT" flamegraph --what most --folded "$TR" -o "$F.bad" 2> /dev/null
    [ $? -eq 2 ] || t_fail "--what most: want exit status 2"
else
    t_fail "no trace"
fi
t_end

t_begin flame_folded_at_mark
if [ -n "$TR" ]; then
    # before c ran: the leaks, no temporary block allocated yet
    "$LT" flamegraph --what allocated --mark before-c --folded "$TR" -o "$F.mark" 2> "$F.err" ||
        t_fail "exit $?: $(head -2 "$F.err")"
    check folded_check "$F.mark" has:main\;a\;leaf_leak=3000 has:main\;b\;leaf_leak=1000 through-main:2 absent:temp
else
    t_fail "no trace"
fi
t_end

t_begin flame_from_dump
if [ -n "$TR" ]; then
    "$LT" dump "$TR" -o "$WORK/prog.dump" 2> "$F.err" || t_fail "dump: exit $?: $(head -2 "$F.err")"
    "$LT" flamegraph --folded "$WORK/prog.dump" -o "$F.dump" 2> "$F.err" || t_fail "exit $?: $(head -2 "$F.err")"
    cmp -s "$F.leaked" "$F.dump" || t_fail "folded stacks from the dump differ from the trace's"
else
    t_fail "no trace"
fi
t_end

t_begin flame_svg
if [ -n "$TR" ]; then
    S=$WORK/prog.svg
    "$LT" flamegraph --title 'Leaks <of> "flame_prog" & co' "$TR" -o "$S" 2> "$F.err" ||
        t_fail "exit $?: $(head -2 "$F.err")"
    total=$(folded_total "$F.leaked")
    line=$(grep -n 'LEAK_LINE' "$SRC" | cut -d: -f1)
    p3=$("$PY" -c "print('%.2f' % (3000 * 100 / $total))")
    p1=$("$PY" -c "print('%.2f' % (1000 * 100 / $total))")
    check svg_check "$S" 'heading:Leaks <of> "flame_prog" & co' total:"$total" \
        frame-pct:leaf_leak="$p3" frame-pct:leaf_leak="$p1" frame-has:leaf_leak="flame_prog.c:$line" \
        raw-has:'Leaks &lt;of&gt; &quot;flame_prog&quot; &amp; co'
    # the temporary blocks are not live at the end, but are allocated
    check svg_check "$S" raw-absent:'<title>temp'
    "$LT" flamegraph --what allocated "$TR" -o "$S.alloc" 2> "$F.err" || t_fail "allocated: exit $?"
    atotal=$(folded_total "$F.alloc")
    pt=$("$PY" -c "print('%.2f' % (20480 * 100 / $atotal))")
    check svg_check "$S.alloc" total:"$atotal" frame-pct:temp="$pt"
else
    t_fail "no trace"
fi
t_end

t_begin flame_cxx_names
CXX=$WORK/flame_cxx.cc
cat > "$CXX" <<'EOF'
// flame_cxx.cc (written by tests/profiles/flame.sh): leaks a vector of ints.
#include <vector>
struct Box { std::vector<int> v; };
__attribute__((noinline)) Box *fill_box(int n)
{
    Box *b = new Box;
    for (int i = 0; i < n; i++) b->v.push_back(i);
    return b;
}
int main() { Box *volatile keep = fill_box(1000); (void)keep; return 0; }
EOF
if build_prog "$CXX" "$WORK/flame_cxx" -lstdc++; then
    TR_CXX=$(trace_run "$WORK/cxx" "$WORK/flame_cxx")
    [ -n "$TR_CXX" ] || t_fail "no trace written: $(head -2 "$WORK/cxx.err")"
    if [ -n "$TR_CXX" ]; then
        "$LT" flamegraph --folded "$TR_CXX" -o "$F.cxx" 2> "$F.err" || t_fail "exit $?: $(head -2 "$F.err")"
        check folded_check "$F.cxx" 'contains:main;fill_box(int);std::vector<int, std::allocator<int> >::push_back(int const&)' \
            'has:main;fill_box(int)=24'
        "$LT" flamegraph "$TR_CXX" -o "$WORK/cxx.svg" 2> "$F.err" || t_fail "svg: exit $?"
        check svg_check "$WORK/cxx.svg" 'title-has:std::vector<int, std::allocator<int> >::push_back(int const&)' \
            'raw-has:std::vector&lt;int, std::allocator&lt;int&gt; &gt;::push_back(int const&amp;)' \
            'raw-absent:vector<int' 'frame-has:fill_box(int)=flame_cxx.cc (several lines)'
    fi
fi
t_end

t_begin flame_no_debug_info
N=$WORK/flame_prog_nodbg
if gcc -O0 -I"$REPO/include" -o "$N" "$SRC" 2> "$N.build.log" && strip "$N"; then
    if readelf -S "$N" | grep -q '\.debug_info\|\.symtab'; then t_fail "$N still has symbols"; fi
    TR_NODBG=$(trace_run "$WORK/nodbg" "$N")
    [ -n "$TR_NODBG" ] || t_fail "no trace written: $(head -2 "$WORK/nodbg.err")"
    if [ -n "$TR_NODBG" ]; then
        "$LT" flamegraph --folded "$TR_NODBG" -o "$F.nodbg" 2> "$F.err" || t_fail "exit $?: $(head -2 "$F.err")"
        check folded_check "$F.nodbg" nosym-leaks:flame_prog_nodbg absent:leaf_leak
        "$LT" flamegraph "$TR_NODBG" -o "$WORK/nodbg.svg" 2> "$F.err" || t_fail "svg: exit $?"
        ntotal=$(folded_total "$F.nodbg")
        check svg_check "$WORK/nodbg.svg" total:"$ntotal" 'raw-has:<title>flame_prog_nodbg+0x' raw-absent:leaf_leak
    fi
else
    t_fail "cannot build or strip $SRC: $(head -3 "$N.build.log")"
fi
t_end

t_begin flame_nothing_leaked
Q=$WORK/flame_prog_clean
if build_prog "$SRC" "$Q" -DCLEAN; then
    TR_CLEAN=$(trace_run "$WORK/clean" "$Q")
    [ -n "$TR_CLEAN" ] || t_fail "no trace written: $(head -2 "$WORK/clean.err")"
    if [ -n "$TR_CLEAN" ]; then
        "$LT" flamegraph --folded "$TR_CLEAN" -o "$F.clean" 2> "$F.err" || t_fail "exit $?: $(head -2 "$F.err")"
        check folded_check "$F.clean" through-main:0
        "$LT" flamegraph "$TR_CLEAN" -o "$WORK/clean.svg" 2> "$F.err" || t_fail "svg: exit $?"
        # "no data" exactly when nothing at all (not even the runtime's) is live
        if [ -s "$F.clean" ]; then
            check svg_check "$WORK/clean.svg" total:"$(folded_total "$F.clean")"
        else
            check svg_check "$WORK/clean.svg" nodata
        fi
        # but the clean run allocated the same
        "$LT" flamegraph --what allocated --folded "$TR_CLEAN" -o "$F.clean.alloc" 2> "$F.err" || t_fail "allocated: exit $?"
        check folded_check "$F.clean.alloc" has:main\;c\;temp=20480 has:main\;a\;leaf_leak=3000
    fi
fi
t_end

t_exit
