#!/bin/bash
# timeline_cli.sh - `leaktrace timeline` end to end: the CSV's columns add
# up and the leak's column rises; the SVG is well-formed XML with the leak
# site, the marks and the thread line. Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
cd "$WORK" || exit 1

t_begin timeline_build
if ! gcc -g -O1 -o server "$REPO/tests/growth/server.c" 2> b.log; then t_fail "gcc: $(head -3 b.log)"; fi
build_prog "$REPO/tests/profiles/phases.c" phases -pthread
# A mark in the middle of the run, sent from outside.
LD_PRELOAD=$LIB LEAKTRACE_INTERVAL=20 LEAKTRACE_MARK_SIGNAL=SIGUSR2 LEAKTRACE_OUTPUT="$WORK/srv.trace" ./server server 2 > srv.out 2>&1 &
pid=$!
sleep 1
kill -USR2 $pid
wait $pid || t_fail "server failed: $(cat srv.out)"
T=srv.trace
P=$(trace_run ph ./phases leak 2)
t_end

t_begin timeline_csv
"$LT" timeline --csv "$T" -o srv.csv 2> csv.err || t_fail "timeline --csv failed: $(cat csv.err)"
ok=$("$PY" - srv.csv <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
hdr, data = rows[0], rows[1:]
assert hdr[:4] == ["time_s", "live_bytes", "live_blocks", "threads"], hdr
assert hdr[-1] == "other", hdr
leak = [i for i, h in enumerate(hdr) if h.startswith("leak_request")]
assert leak, hdr
assert 100 <= len(data) <= 400, len(data)
for r in data:
    assert int(r[1]) == sum(int(x) for x in r[4:]), r
col = [int(r[leak[0]]) for r in data]
assert col[-1] > col[len(col) // 2] > col[len(col) // 10], col[::20]
assert all(r[3] in ("", "1") for r in data) and any(r[3] == "1" for r in data)
print("ok")
PYEOF
)
[ "$ok" = ok ] || t_fail "CSV checks: $ok"
t_end

t_begin timeline_svg
# phases runs for milliseconds; with 60 s slices it is one slice, too short
# to plot (whatever the machine's load), and still a valid SVG.
"$LT" timeline --resolution 60 "$P" -o ph.svg 2> svg.err || t_fail "timeline failed: $(cat svg.err)"
"$LT" timeline "$T" -o srv.svg 2>> svg.err || t_fail "timeline failed: $(cat svg.err)"
ok=$("$PY" - ph.svg srv.svg <<'PYEOF'
import sys, xml.etree.ElementTree as ET
texts = []
for f in sys.argv[1:]:
    root = ET.parse(f).getroot()
    assert root.tag.endswith("svg"), root.tag
    texts.append(" ".join(t for e in root.iter() for t in [e.text or ""]))
assert "too short" in texts[0], texts[0][:200]
assert "SIGUSR2-1" in texts[1], "mark missing"
assert "leak_request" in texts[1], "server leak missing"
assert "threads" in texts[1], "thread line missing"
print("ok")
PYEOF
)
[ "$ok" = ok ] || t_fail "SVG checks: $ok"
"$LT" timeline --top x "$T" > /dev/null 2>&1; [ $? -eq 2 ] || t_fail "--top x accepted"
t_end

t_exit
