# layout.sh - LEAKTRACE_LAYOUT: chunks as records or as field streams
# (format 1.6, common/lt_fields.h; docs/trace-format.md "Field streams").
# - The same program traced in both layouts, with ASLR off so that every
#   address repeats and no periodic samples (they take sequence numbers, and
#   their count depends on timing), gives the same events (all but their times) and the
#   same report: the analyzer's gather puts the records back exactly.
# - auto picks field streams for a program that frees in random order and
#   allocates random sizes (paced.c: the fields came out a quarter smaller
#   than the records), records for one that grows buffers by realloc
#   (grow.c: records a third the size of fields), and says so in its
#   LEAKTRACE_VERBOSE summary line
#   "layout: N chunks of records, M of field streams (K trials: ...)".
# - A bad value gets one line on stderr and auto.
# usage: bash tests/profiles/layout.sh LIB ANALYZER WORKDIR (see lib.sh)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

d=$WORK/layout
mkdir -p "$d"

# chunks ERRFILE: "RECORDS FIELDS" from the LEAKTRACE_VERBOSE layout line.
chunks() {
    sed -n 's/.*layout: \([0-9]*\) chunks of records, \([0-9]*\) of field streams.*/\1 \2/p' "$1" | head -1
}

# events_without_times TRACE: the trace's events, their times and thread
# ids dropped (and the other records, which hold the pid).
events_without_times() {
    "$LT" events "$1" | grep -v '^record ' | sed 's/ ts=[0-9]*//; s/ tid=[0-9]*//'
}

build_prog "$REPO/tests/profiles/paced.c" "$d/paced" -O2
build_prog "$REPO/tests/profiles/grow.c" "$d/grow" -O2

t_begin "layout: records and field streams hold the same events"
if [ -x "$d/paced" ]; then
    for lay in records fields; do
        # No periodic samples: a TICK takes a sequence number, and a run
        # that crossed one more 100 ms boundary than the other numbered
        # every later event one higher (seen on a slower machine).
        t=$(LEAKTRACE_VERBOSE=1 LEAKTRACE_INTERVAL=0 LEAKTRACE_LAYOUT=$lay trace_run "$d/same-$lay" setarch -R "$d/paced" 300000 0)
        [ -n "$t" ] || continue
        read -r rec fld <<< "$(chunks "$d/same-$lay.err")"
        case $lay in
            records) [ "${rec:-0}" -gt 0 ] && [ "${fld:-x}" = 0 ] || t_fail "LEAKTRACE_LAYOUT=records wrote $rec chunks of records and $fld of fields" ;;
            fields)  [ "${rec:-x}" = 0 ] && [ "${fld:-0}" -gt 0 ] || t_fail "LEAKTRACE_LAYOUT=fields wrote $rec chunks of records and $fld of fields" ;;
        esac
        events_without_times "$t" > "$d/same-$lay.events" 2> "$d/same-$lay.events.err" || t_fail "events failed on the $lay trace: $(head -2 "$d/same-$lay.events.err")"
        "$LT" report --format json "$t" > "$d/same-$lay.json" 2> "$d/same-$lay.report.err" || t_fail "report failed on the $lay trace: $(head -2 "$d/same-$lay.report.err")"
        stat -c %s "$t" > "$d/same-$lay.size"
    done
    n=$(grep -c '^alloc ' "$d/same-fields.events" 2>/dev/null)
    [ "${n:-0}" -ge 300000 ] || t_fail "the fields trace holds ${n:-no} allocations, want at least 300000"
    cmp -s "$d/same-records.events" "$d/same-fields.events" ||
        t_fail "the two layouts' events differ: $(diff "$d/same-records.events" "$d/same-fields.events" | head -3 | tr '\n' ' ')"
    for lay in records fields; do
        json_get "$d/same-$lay.json" "(j['totals'], sorted((s['allocations'], s['bytes_allocated']) for s in j['leaks']))" > "$d/same-$lay.totals" 2>&1
    done
    cmp -s "$d/same-records.totals" "$d/same-fields.totals" ||
        t_fail "the two layouts' reports differ: $(head -c 300 "$d/same-records.totals") / $(head -c 300 "$d/same-fields.totals")"
    rs=$(cat "$d/same-records.size") fs=$(cat "$d/same-fields.size")
    [ "$fs" -lt "$rs" ] || t_fail "the fields trace ($fs bytes) is not smaller than the records trace ($rs bytes)"
else
    t_fail "paced was not built"
fi
t_end

# auto_case NAME WANT ALLOCS PROG ARGS...: traces PROG in auto; most chunks
# must be in layout WANT (records or fields), and the trace must hold
# ALLOCS allocations with one block (stdout's buffer) live at the end,
# whichever layout each chunk took (a trial once overwrote a fields chunk
# before it was written).
auto_case() {
    local name=$1 want=$2 allocs=$3 t rec fld got
    shift 3
    if [ ! -x "$1" ]; then t_fail "$(basename "$1") was not built"; return; fi
    t=$(LEAKTRACE_VERBOSE=1 trace_run "$d/auto-$name" "$@")
    read -r rec fld <<< "$(chunks "$d/auto-$name.err")"
    if [ -z "${rec:-}" ]; then
        t_fail "no layout line in LEAKTRACE_VERBOSE's summary: $(tail -3 "$d/auto-$name.err")"
    elif { [ "$want" = fields ] && [ "$fld" -le "$rec" ]; } || { [ "$want" = records ] && [ "$rec" -le "$fld" ]; }; then
        t_fail "auto wrote $rec chunks of records and $fld of field streams for $name (want mostly $want)"
    fi
    [ -n "$t" ] || return
    got=$("$LT" report --format json "$t" 2>/dev/null > "$d/auto-$name.json" &&
          json_get "$d/auto-$name.json" "(j['totals']['allocations'], j['totals']['live_blocks'])" 2>/dev/null)
    [ "$got" = "($allocs, 1)" ] || t_fail "allocations and live blocks: $got, want ($allocs, 1)"
}

t_begin "layout auto: field streams for random frees and sizes"
auto_case paced fields 1000001 "$d/paced" 1000000 0
t_end

# grow: per round a malloc, 8 reallocs (each counts as an allocation) and a node
t_begin "layout auto: records for buffers grown by realloc"
auto_case grow records 3000001 "$d/grow" 300000
t_end

# In a ring, checkpoints are chunks of length-prefixed records only, which
# all go to one stream, so records always win a trial on one: trials skip
# them (before, the checkpoint's trial turned the chunks after it, the
# final one here, to records).
t_begin "layout auto: no trial on a checkpoint"
if [ -x "$d/paced" ]; then
    LEAKTRACE_MAX_SIZE=4M LEAKTRACE_VERBOSE=1 trace_run "$d/ring" "$d/paced" 2000000 0 > /dev/null
    read -r rec fld <<< "$(chunks "$d/ring.err")"
    if [ -z "${rec:-}" ]; then
        t_fail "no layout line in LEAKTRACE_VERBOSE's summary: $(tail -3 "$d/ring.err")"
    elif [ "$rec" -gt 1 ] || [ "$fld" -lt 20 ]; then
        t_fail "in a ring, auto wrote $rec chunks of records and $fld of field streams (want only the first in records)"
    fi
else
    t_fail "paced was not built"
fi
t_end

t_begin "layout: a bad LEAKTRACE_LAYOUT is said and auto is used"
if [ -x "$d/grow" ]; then
    t=$(LEAKTRACE_VERBOSE=1 LEAKTRACE_LAYOUT=columns trace_run "$d/bad" "$d/grow" 1000)
    grep -q "LEAKTRACE_LAYOUT='columns' is not auto, records or fields; using auto" "$d/bad.err" ||
        t_fail "no warning for LEAKTRACE_LAYOUT=columns: $(head -2 "$d/bad.err")"
    [ "$(cat "$d/bad.out")" = "$(LD_PRELOAD= "$d/grow" 1000)" ] || t_fail "the program's output changed"
else
    t_fail "grow was not built"
fi
t_end

t_exit
