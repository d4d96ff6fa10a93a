# compression.sh - LEAKTRACE_COMPRESSION=auto picks zstd's level by how busy
# the writer is: level 6 (smaller traces) while it keeps up, level 1 while
# it is busy more than half the time or the program waits for it.
# paced.c allocates at a chosen pace: at about 1.6 M events/s with work in
# between (the writer busy a quarter of the time here), every chunk but
# the first may be level 6 (before format 1.5 a ring holding more than
# 256 KiB at a drain, which this pace causes every few ms, made every chunk
# level 1); as fast as malloc goes, the writer cannot keep up and chunks go
# to level 1 (through either rule: the program waits too; the busy rule
# alone is checked by the unit test test_auto_level_follows_the_writers_load).
# Both traces must hold every allocation, and only stdout's buffer live at
# the end.
# A forked child decides afresh. The counts come from the LEAKTRACE_VERBOSE
# summary line
# "compression: N chunks at zstd level 6, M at level 1 (...)".
# usage: bash tests/profiles/compression.sh LIB ANALYZER WORKDIR (see lib.sh)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

d=$WORK/compression
mkdir -p "$d"

# levels ERRFILE: "SMALL FAST" from the first compression line of a
# LEAKTRACE_VERBOSE summary in ERRFILE, or nothing.
levels() {
    sed -n 's/.*compression: \([0-9]*\) chunks at zstd level 6, \([0-9]*\) at level 1.*/\1 \2/p' "$1" | head -1
}

# run_paced NAME ITERATIONS SPIN: traces paced with LEAKTRACE_VERBOSE,
# checks that the trace holds every allocation (and only stdout's buffer
# live at the end), and sets SMALL and FAST to the chunks written at level
# 6 and at level 1 (empty when the summary has no such line).
run_paced() {
    local name=$1 n=$2 spin=$3 t got
    SMALL="" FAST=""
    t=$(LEAKTRACE_VERBOSE=1 trace_run "$d/$name" "$d/paced" "$n" "$spin")
    read -r SMALL FAST <<< "$(levels "$d/$name.err")"
    [ -n "${SMALL:-}" ] || t_fail "no compression line in LEAKTRACE_VERBOSE's summary: $(tail -3 "$d/$name.err")"
    [ -n "$t" ] || return
    if "$LT" report --format json "$t" > "$d/$name.json" 2> "$d/$name.report.err"; then
        got=$(json_get "$d/$name.json" "(j['totals']['allocations'], j['totals']['live_blocks'])" 2>/dev/null)
        [ "$got" = "($((n + 1)), 1)" ] || t_fail "allocations and live blocks: $got, want ($((n + 1)), 1)"
    else
        t_fail "report failed: $(head -2 "$d/$name.report.err")"
    fi
}

t_begin "auto compression: level 6 while the writer keeps up"
if build_prog "$REPO/tests/profiles/paced.c" "$d/paced" -O2; then
    run_paced slow 400000 1000
    if [ -n "$SMALL" ] && { [ "$FAST" -gt 1 ] || [ "$SMALL" -lt 3 ]; }; then
        t_fail "at a moderate pace $SMALL chunks were level 6 and $FAST level 1 (want at least 3 and at most 1): $(grep writer "$d/slow.err")"
    fi
fi
t_end

t_begin "auto compression: level 1 while the writer is behind"
if [ -x "$d/paced" ]; then
    run_paced fast 3000000 0
    if [ -n "$SMALL" ] && [ "$FAST" -lt 1 ]; then
        t_fail "allocating at full speed, no chunk was level 1 ($SMALL at level 6): $(grep writer "$d/fast.err")"
    fi
else
    t_fail "paced was not built"
fi
t_end

# The child of a fork starts its own trace with its own clock: it must not
# inherit the parent's waits and writer CPU (before the fix the child of a
# parent that kept its writer busy wrote nearly every chunk at level 1 and
# reported the parent's waits as its own).
t_begin "auto compression: a forked child chooses afresh"
if [ -x "$d/paced" ]; then
    rm -rf "$d/fork"
    mkdir -p "$d/fork"
    LEAKTRACE_VERBOSE=1 LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$d/fork/t.%p.trace" "$d/paced" 3000000 0 400000 1000 \
        > "$d/fork.out" 2> "$d/fork.err" || t_fail "paced with a fork failed: $(tail -2 "$d/fork.err")"
    # the parent waits for the child: the child's summary comes first
    read -r small fast <<< "$(levels "$d/fork.err")"
    waits=$(sed -n 's/.*the program waited for it \([0-9]*\) times.*/\1/p' "$d/fork.err" | head -1)
    n=$(ls "$d/fork/"*.trace 2>/dev/null | wc -l)
    [ "$n" = 2 ] || t_fail "$n traces, want the parent's and the child's"
    if [ -z "${small:-}" ]; then
        t_fail "no compression line in the child's LEAKTRACE_VERBOSE summary: $(tail -3 "$d/fork.err")"
    elif [ "$fast" -gt 1 ] || [ "$small" -lt 3 ]; then
        t_fail "the child wrote $small chunks at level 6 and $fast at level 1 (want at least 3 and at most 1)"
    fi
    [ "${waits:-x}" = 0 ] || t_fail "the child says the program waited for its writer $waits times (the parent's waits?)"
else
    t_fail "paced was not built"
fi
t_end

# Format 1.7: on a slow program (tests/profiles/trickle.c: a chunk every
# 50 ms, each small) zstd's frame goes on across chunks, so that each chunk
# is compressed with the ones before it as history; a new frame starts at
# least every 32 chunks. Every chunk is a 1.7 chunk (flag 16); most of them
# continue a frame (flag 32); no run of continued chunks is longer than 31;
# and the report holds every block the program kept.
t_begin "frames go on across chunks"
if build_prog "$REPO/tests/profiles/trickle.c" "$d/trickle" -O2; then
    t=$(trace_run "$d/trickle" "$d/trickle" 3)
    if [ -n "$t" ]; then
        out=$("$PY" - "$t" 2>&1 <<'PYEOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off = 16 + struct.unpack_from("<I", data, 12)[0]
flags = []
while off + 24 <= len(data):
    magic, plen, rlen, index, fl, check = struct.unpack_from("<IIIIII", data, off)
    assert magic == 0x4B43544C, "no chunk header at byte %d" % off
    flags.append(fl)
    off += 24 + plen
assert len(flags) >= 40, "%d chunks, want at least 40 in 3 s" % len(flags)
assert all(f & 16 for f in flags), "chunks without flag 16: %s" % [i for i, f in enumerate(flags) if not f & 16]
assert not flags[0] & 32, "chunk 0 continues a frame"
cont = sum(1 for f in flags if f & 32)
assert cont * 10 >= len(flags) * 8, "%d of %d chunks continue a frame, want 80 %%" % (cont, len(flags))
run = longest = 0
for f in flags:
    run = run + 1 if f & 32 else 0
    longest = max(longest, run)
assert longest <= 31, "%d chunks in a row continue one frame" % longest
print("ok")
PYEOF
)
        [ "$out" = ok ] || t_fail "chunks: $out"
        if "$LT" report --format json "$t" > "$d/trickle.json" 2> "$d/trickle.report.err"; then
            got=$(json_get "$d/trickle.json" "j['totals']['live_blocks']")
            want=$(cat "$d/trickle.out")
            # the kept blocks and stdout's buffer
            [ "$got" = "$((want + 1))" ] || t_fail "live blocks at the end: $got, want $((want + 1))"
        else
            t_fail "report failed: $(head -2 "$d/trickle.report.err")"
        fi
    fi
fi
t_end

t_exit
