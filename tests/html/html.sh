#!/bin/bash
# html.sh - `leaktrace html` end to end, loaded in a real browser: Debian's
# headless Chromium runs the page's scripts (--dump-dom gives the DOM after
# them, --enable-logging=stderr its console). Asserts per page: the script
# finished (<body data-lt-rendered="ok">), no error marker (#lt-js-error),
# nothing on the console, and the rendered content: leak function names in
# the table, the timeline's areas, the growth curve, the thread alert, the
# flame graph's frames (also after switching it and searching it through
# the page's #flame=/#search= address). run-with-tracer.sh --html. Without JavaScript, the summary and
# the leak table are in the page's plain HTML. Hostile mark labels ("</script>",
# U+2028, invalid UTF-8) cannot break out of the data. A process tree gives
# one section per process. 100,000 distinct stacks: generated in seconds,
# rendered, and the page says what it left out. Screenshots go to
# $WORK/*.png. Programs: examples/leaky.c, tests/growth/server.c,
# tests/html/nasty.c, tests/html/many.c. Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
cd "$WORK" || exit 1
D="$REPO/tests/html"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# render PAGE OUT [extra chromium args...]: OUT.dom (the DOM after the
# scripts ran) and OUT.log (the browser's stderr, console included).
render() {
    local page=$1 out=$2
    shift 2
    rm -rf "$WORK/profile-$out"
    timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$WORK/profile-$out" \
        --enable-logging=stderr --v=0 --window-size=1400,2000 "$@" --dump-dom "file://$page" > "$out.dom" 2> "$out.log"
    [ -s "$out.dom" ] || t_fail "chromium rendered nothing for $page ($(grep -v -i 'dbus\|vaapi\|idle_linux\|sandbox_linux' "$out.log" | head -3))"
}
# page_ok OUT: the page's script ran to the end without an error.
page_ok() {
    grep -q '<body data-lt-rendered="ok"' "$1.dom" || t_fail "$1: the script did not finish (no data-lt-rendered=ok)"
    if grep -q '<div id="lt-js-error"' "$1.dom"; then t_fail "$1: JavaScript error: $(grep -o '<div id="lt-js-error">[^<]*' "$1.dom" | head -c 400)"; fi
    if grep -q ':CONSOLE' "$1.log"; then t_fail "$1: console output: $(grep ':CONSOLE' "$1.log" | head -3)"; fi
}
shot() {
    rm -rf "$WORK/profile-shot"
    timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$WORK/profile-shot" \
        --hide-scrollbars --window-size=1400,${3:-2000} --screenshot="$2" "file://$1" > /dev/null 2>&1
}
# attr OUT ID NAME: attribute NAME of the element with id ID in OUT.dom.
attr() {
    "$PY" - "$1.dom" "$2" "$3" <<'EOF'
import re, sys
dom = open(sys.argv[1], encoding="utf-8", errors="replace").read()
m = re.search(r'<[a-z]+ [^>]*id="%s"[^>]*>' % re.escape(sys.argv[2]), dom)
a = re.search(r'\b%s="([^"]*)"' % re.escape(sys.argv[3]), m.group(0)) if m else None
print(a.group(1) if a else "")
EOF
}

t_begin html_chromium_present
[ -x "$CHROMIUM" ] || t_fail "no $CHROMIUM: install Debian's chromium (./quickstart.sh test does)"
t_end

# ---- the bundled example ------------------------------------------------------
t_begin html_example
build_prog "$REPO/examples/leaky.c" leaky
tr=$(trace_run ex ./leaky)
"$LT" html "$tr" -o ex.html 2> ex.html.err || t_fail "leaktrace html failed: $(head -3 ex.html.err)"
[ "$(grep -c '<script' ex.html)" = 2 ] || t_fail "the page has $(grep -c '<script' ex.html) <script> tags, want 2 (data, code)"
if grep -Eq '(src|href)="?(https?:)?//' ex.html; then t_fail "the page refers to something outside itself"; fi
render "$WORK/ex.html" ex
page_ok ex
for fn in load_config intern_key; do
    grep -q "<span class=\"fn\">$fn</span>" ex.dom || t_fail "leak $fn not in the rendered table"
done
grep -q 'examples/leaky.c:56' ex.dom || t_fail "no file:line examples/leaky.c:56 in the table"
grep -q 'Findings:' ex.dom || t_fail "no verdict"
[ "$(attr ex flame-0 data-drawn)" -ge 3 ] 2>/dev/null || t_fail "flame graph drew $(attr ex flame-0 data-drawn) frames, want >= 3"
[ "$(attr ex flame-0 data-kind)" = leaked ] || t_fail "the flame graph does not start on leaked bytes"
t_end

t_begin html_flame_switch_search
render "$WORK/ex.html#flame=allocated&search=intern_key" exs
page_ok exs
[ "$(attr exs flame-0 data-kind)" = allocated ] || t_fail "#flame=allocated did not switch the flame graph ($(attr exs flame-0 data-kind))"
m=$(grep -o 'data-matched="[0-9]*"' exs.dom | head -1 | tr -dc 0-9)
[ "${m:-0}" -ge 1 ] || t_fail "searching intern_key matched no frame"
grep -q 'matched: ' exs.dom || t_fail "no search result text"
render "$WORK/ex.html#zoom=__getdelim" exz
page_ok exz
grep -q 'zoomed into __getdelim (360 B, 95.7%)' exz.dom || t_fail "zooming into __getdelim: $(grep -o 'zoomed into[^<]*' exz.dom)"
z=$(attr exz flame-0 data-drawn)
[ "${z:-0}" -ge 3 ] && [ "$z" -lt "$(attr ex flame-0 data-drawn)" ] || t_fail "zoomed, the flame graph drew $z frames (unzoomed $(attr ex flame-0 data-drawn))"
t_end

t_begin html_without_javascript
# Headless Chromium dumps no DOM with scripts off; the page's text outside
# its <script> elements is what a browser without JavaScript shows.
"$PY" "$D/visible_text.py" ex.html > exn.txt || t_fail "cannot parse the page"
for w in load_config intern_key 'examples/leaky.c:56' 'exit status 0' 'Findings:' 'JavaScript is off'; do
    grep -q -- "$w" exn.txt || t_fail "without JavaScript the page lacks '$w'"
done
t_end

# ---- growth: a server whose heap rises ------------------------------------------
t_begin html_growth_timeline
if ! gcc -g -O1 -o server "$REPO/tests/growth/server.c" 2> server.build.log; then t_fail "gcc: $(head -3 server.build.log)"; fi
tr=$(trace_run srv ./server server 3)
"$LT" html "$tr" -o srv.html 2> srv.html.err || t_fail "leaktrace html failed: $(head -3 srv.html.err)"
render "$WORK/srv.html" srv
page_ok srv
n=$(grep -o '<path [^>]*class="area"' srv.dom | wc -l)
[ "$n" -ge 2 ] || t_fail "the timeline has $n areas, want >= 2 (leak and cache)"
grep -q 'class="total"' srv.dom || t_fail "no total line in the timeline"
grep -q 'leak_request (server.c:' srv.dom || t_fail "the timeline legend does not name leak_request"
grep -q 'class="gcurve"' srv.dom || t_fail "no growth curve drawn"
grep -q 'Growth suspects <span class="count">1</span>' srv.dom || t_fail "want 1 growth suspect"
grep -A2 'class="shead"' srv.dom | grep -q 'leak_request' || t_fail "the growth suspect is not leak_request"
shot "$WORK/srv.html" "$WORK/server.png" 2200
[ -s server.png ] || t_fail "no screenshot"
t_end

# ---- thread alerts, hostile labels ------------------------------------------------
t_begin html_threads_and_escaping
build_prog "$D/nasty.c" nasty -pthread
tr=$(trace_run na ./nasty)
"$LT" html "$tr" -o na.html 2> na.html.err || t_fail "leaktrace html failed: $(head -3 na.html.err)"
[ "$(grep -c '<script' na.html)" = 2 ] || t_fail "a mark label opened a <script> element ($(grep -c '<script' na.html) tags)"
if grep -q "</script><script>document" na.html; then t_fail "a mark label is in the page unescaped"; fi
if LC_ALL=C grep -q $'\xe2\x80\xa8' na.html; then t_fail "U+2028 is in the page unescaped"; fi
render "$WORK/na.html" na
page_ok na
grep -q '<title>leaktrace: nasty' na.dom || t_fail "the page title changed: a label ran as script"
for fn in html_leak_alpha html_leak_beta; do grep -q "$fn" na.dom || t_fail "leak $fn not rendered"; done
grep -q 'still running at exit' na.dom || t_fail "no thread alert for the stuck worker"
grep -q 'stuck_worker' na.dom || t_fail "the thread alert does not name stuck_worker"
n=$(grep -o 'class="mark"' na.dom | wc -l)
[ "$n" = 2 ] || t_fail "the timeline has $n mark lines, want 2"
grep -q '&lt;/script&gt;&lt;script&gt;document.title' na.dom || t_fail "the hostile mark label is not shown as text"
t_end

# ---- a process tree: one section per process ----------------------------------------
t_begin html_process_tree
mkdir -p tree
rm -f tree/*.trace
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$WORK/tree/t.%p.trace" bash -c './leaky > /dev/null; ./nasty; true' > tree.out 2> tree.err
nt=$(ls tree/*.trace 2>/dev/null | wc -l)
[ "$nt" -ge 3 ] || t_fail "want >= 3 traces (bash, leaky, nasty), got $nt"
"$LT" html tree -o tree.html 2> tree.html.err || t_fail "leaktrace html DIR failed: $(head -3 tree.html.err)"
render "$WORK/tree.html" tree
page_ok tree
ns=$(grep -o '<section class="proc"' tree.dom | wc -l)
[ "$ns" = "$nt" ] || t_fail "$ns sections for $nt traces"
grep -q "<h2>$nt processes" tree.dom || t_fail "no process index"
grep -q 'load_config' tree.dom && grep -q 'html_leak_alpha' tree.dom || t_fail "a child's leaks are missing"
n=$(grep -o 'id="flame-[0-9]*" data-drawn="[1-9]' tree.dom | wc -l)
[ "$n" -ge 2 ] || t_fail "$n flame graphs drawn, want >= 2"
t_end

t_begin html_errors
"$LT" html ex.html -o bad.html 2> bad.err
rc=$?
[ "$rc" = 4 ] || t_fail "a non-trace: exit $rc, want 4"
[ -e bad.html ] && t_fail "a page was written although no trace was readable"
grep -q "error:" bad.err || t_fail "no error message"
"$LT" html "$tr" > /dev/null 2> noout.err
[ $? = 2 ] || t_fail "html without -o: want exit 2"
grep -q -- "-o FILE" noout.err || t_fail "the usage error does not say -o FILE"
"$LT" html "$tr" ex.html -o part.html 2> part.err
rc=$?
[ "$rc" = 4 ] || t_fail "one unreadable trace of two: exit $rc, want 4"
grep -q 'could not be read' part.html || t_fail "the page does not say which trace was unreadable"
grep -q 'html_leak_alpha' part.html || t_fail "the readable trace is missing from the page"
t_end

t_begin html_run_with_tracer
rm -rf rwt
"$REPO/run-with-tracer.sh" --out "$WORK/rwt" --html "$WORK/rwt.html" -- ./leaky > rwt.out 2> rwt.err
rc=$?
[ "$rc" = 0 ] || t_fail "run-with-tracer.sh --html: exit $rc, want 0 (no --check)"
grep -q "HTML report: $WORK/rwt.html" rwt.err || t_fail "the wrapper does not say where the page is"
[ -s rwt.html ] || t_fail "no page written"
grep -q 'load_config' rwt.html || t_fail "the page lacks the leak"
"$REPO/run-with-tracer.sh" --out "$WORK/rwt2" --html "$WORK/no/such/dir/x.html" -- ./leaky > rwt2.out 2> rwt2.err
rc=$?
[ "$rc" = 3 ] || t_fail "an unwritable --html: exit $rc, want 3 (before the run)"
[ -s rwt2.out ] && t_fail "the command ran although --html could not be written"
t_end

# ---- 100,000 distinct stacks --------------------------------------------------------
t_begin html_large
if ! gcc -g -O1 -o many "$D/many.c" 2> many.build.log; then t_fail "gcc: $(head -3 many.build.log)"; fi
tr=$(trace_run many ./many 100000)
start=$(date +%s.%N)
"$LT" html "$tr" -o many.html 2> many.html.err || t_fail "leaktrace html failed: $(head -3 many.html.err)"
secs=$("$PY" -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
echo "    html of 100,000 stacks: ${secs} s, $(stat -c %s many.html) bytes"
"$PY" -c "import sys; sys.exit(float(sys.argv[1]) > 60)" "$secs" || t_fail "generation took ${secs} s (limit 60 on a loaded machine)"
sz=$(stat -c %s many.html)
[ "$sz" -lt 20000000 ] || t_fail "the page is $sz bytes (want < 20 MB)"
grep -q 'Not listed: the 99,501 smallest sites' many.html || t_fail "the page does not say how many leak sites it left out"
start=$(date +%s.%N)
render "$WORK/many.html" many
rsecs=$("$PY" -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
echo "    chromium load + render + DOM dump: ${rsecs} s"
page_ok many
rows=$(grep -o '<tbody class="leak"' many.dom | wc -l)
[ "$rows" = 500 ] || t_fail "the leak table has $rows rows, want 500"
d=$(attr many flame-0 data-drawn)
[ "${d:-0}" -ge 100 ] || t_fail "the flame graph drew ${d:-0} frames"
grep -q 'frames smaller than' many.dom || t_fail "the flame graph does not say what it left out"
t_end

t_exit
