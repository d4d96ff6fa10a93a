# compression.sh - LEAKTRACE_COMPRESSION=auto picks zstd's level by how busy
# the writer is: level 6 (smaller traces) while it keeps up, level 1 while
# it is busy more than half the time or the program waits for it.
# paced.c allocates at a chosen pace: at about 1.6 M events/s with work in
# between (the writer busy a quarter of the time here), every chunk but
# the first may be level 6 (before format 1.5 a ring holding more than
# 256 KiB at a drain, which this pace causes every few ms, made every chunk
# level 1); as fast as malloc goes, the writer cannot keep up and chunks go
# to level 1. Both traces must hold every allocation, and only stdout's
# buffer live at the end.
# The counts come from the LEAKTRACE_VERBOSE summary line
# "compression: N chunks at zstd level 6, M at level 1 (...)".
# usage: bash tests/profiles/compression.sh LIB ANALYZER WORKDIR (see lib.sh)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

d=$WORK/compression
mkdir -p "$d"

# levels ERRFILE: prints "SMALL FAST" from the verbose summary, or nothing.
levels() {
    sed -n 's/.*compression: \([0-9]*\) chunks at zstd level 6, \([0-9]*\) at level 1.*/\1 \2/p' "$1" | head -1
}

t_begin "auto compression: level 6 while the writer keeps up"
if build_prog "$REPO/tests/profiles/paced.c" "$d/paced" -O2; then
    t=$(LEAKTRACE_VERBOSE=1 trace_run "$d/slow" "$d/paced" 400000 1000)
    read -r small fast <<< "$(levels "$d/slow.err")"
    if [ -z "${small:-}" ]; then
        t_fail "no compression line in LEAKTRACE_VERBOSE's summary: $(tail -3 "$d/slow.err")"
    elif [ "$fast" -gt 1 ] || [ "$small" -lt 3 ]; then
        t_fail "at a moderate pace $small chunks were level 6 and $fast level 1 (want at least 3 and at most 1): $(grep writer "$d/slow.err")"
    fi
    if [ -n "$t" ]; then
        "$LT" report --format json "$t" > "$d/slow.json" 2> "$d/slow.report.err" || t_fail "report failed: $(head -2 "$d/slow.report.err")"
        # 400000 mallocs and stdout's buffer, which alone stays live
        got=$(json_get "$d/slow.json" "(j['totals']['allocations'], j['totals']['live_blocks'])" 2>/dev/null)
        [ "$got" = "(400001, 1)" ] || t_fail "allocations and live blocks: $got, want (400001, 1)"
    fi
fi
t_end

t_begin "auto compression: level 1 while the writer is behind"
if [ -x "$d/paced" ]; then
    t=$(LEAKTRACE_VERBOSE=1 trace_run "$d/fast" "$d/paced" 3000000 0)
    read -r small fast <<< "$(levels "$d/fast.err")"
    if [ -z "${small:-}" ]; then
        t_fail "no compression line in LEAKTRACE_VERBOSE's summary: $(tail -3 "$d/fast.err")"
    elif [ "$fast" -lt 1 ]; then
        t_fail "allocating at full speed, no chunk was level 1 ($small at level 6): $(grep writer "$d/fast.err")"
    fi
    if [ -n "$t" ]; then
        "$LT" report --format json "$t" > "$d/fast.json" 2> "$d/fast.report.err" || t_fail "report failed: $(head -2 "$d/fast.report.err")"
        got=$(json_get "$d/fast.json" "(j['totals']['allocations'], j['totals']['live_blocks'])" 2>/dev/null)
        [ "$got" = "(3000001, 1)" ] || t_fail "allocations and live blocks: $got, want (3000001, 1)"
    fi
else
    t_fail "paced was not built"
fi
t_end

t_exit
