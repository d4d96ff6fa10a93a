#!/bin/bash
# ci.sh - CI integration end to end: run-with-tracer.sh and `leaktrace ci`
# on a multi-process "test run" (testrun.bash, a bash script spawning the C
# programs of this directory: clean, leaky twice with different arguments,
# a thread left running, per-test marks, a growing "server"), checking exit
# statuses (command failure passed through, 23 on findings, 0 when clean or
# all suppressed), --fail-on, --min-bytes, suppressions of each kind (glob,
# file, module, malformed line), baselines (file and directory), JUnit
# parsed by xml.etree, JSON, per-test attribution, --exclude, SIGTERM to the
# wrapper, stdin, and the installed layout (make install PREFIX=...).
# Run by tests/run_profile_tests.sh: ci.sh LIB ANALYZER WORKDIR.
source "$(dirname "$0")/../profiles/lib.sh"
D=$REPO/tests/ci
RWT=$REPO/run-with-tracer.sh
cd "$WORK" || exit 1
cp "$D/testrun.bash" run.sh   # not *.sh in tests/ci: run_profile_tests.sh runs those

# rwt OUTDIR [wrapper options] -- run.sh steps: runs the wrapper, stdout to
# OUTDIR.txt, stderr to OUTDIR.err; sets $rc. OUTDIR is removed first: never
# the name of a test program.
rwt() {
    local out=$1
    shift
    rm -rf "$out" "$out.txt" "$out.err"
    "$RWT" --out "$out" "$@" > "$out.txt" 2> "$out.err"
    rc=$?
}

# ci OUT [leaktrace ci options] DIR: `leaktrace ci` alone; sets $rc.
ci() {
    local out=$1
    shift
    "$LT" ci "$@" > "$out.txt" 2> "$out.err"
    rc=$?
}

want_rc() { [ "$rc" -eq "$1" ] || t_fail "exit status $rc, want $1 ($2; stderr: $(head -3 "$3.err" 2>/dev/null | tr '\n' ' '))"; }

# jq-like checks with python: jcheck FILE PYEXPR MESSAGE (PYEXPR must be true)
jcheck() {
    local r
    r=$(json_get "$1" "$2" 2>&1)
    [ "$r" = True ] || t_fail "$3 (got: $(printf '%s' "$r" | tail -1 | cut -c1-300))"
}

t_begin build
for p in leaky clean threadleft marked grower; do build_prog "$D/$p.c" "$p" -pthread; done
t_end

# Helpers on the JSON of `leaktrace ci`, in python.
PYLIB='
def procs(j, name):
    return [p for p in j["processes"] if not p["excluded"] and p["argv"] and p["argv"][0].endswith("/" + name)]
def one(j, name, arg=None):
    ps = [p for p in procs(j, name) if arg is None or p["argv"][1:2] == [arg]]
    assert len(ps) == 1, (name, arg, len(ps))
    return ps[0]
def kinds(p):
    return sorted((f["kind"], f.get("alert") or "", f["test"] or "", f["stack"][0]["function"] if f["stack"] else "") for f in p["findings"])
'
jp() { json_get "$1" "exec(open('$WORK/pylib.py').read()) or ($2)"; }
printf '%s\n' "$PYLIB" > pylib.py
jcheck2() {
    local r
    r=$(jp "$1" "$2" 2>&1)
    [ "$r" = True ] || t_fail "$3 (got: $(printf '%s' "$r" | tail -1 | cut -c1-300))"
}

# ---- the full run: every kind of finding --------------------------------------
t_begin full_run_exit_23
rwt full --check --exclude bash --json full.json --junit full.xml -- ./run.sh clean leaky small leaky big thread marked grower
want_rc 23 "findings" full
grep -q '^verdict: FAIL: 7 findings' full.txt || t_fail "verdict line: $(grep verdict full.txt)"
grep -q '^\[ok\] ./clean (pid' full.txt || t_fail "clean process not reported ok"
grep -q '^\[FAIL\] ./leaky small (pid' full.txt || t_fail "leaky small not FAIL"
grep -q 'at leak_small (.*leaky.c:[0-9]*) in leaky' full.txt || t_fail "leak_small stack missing from the text"
grep -q 'thread alert running_at_exit: 1 thread, start routine worker_main' full.txt || t_fail "thread alert text"
grep -q 'growth suspect: ' full.txt || t_fail "growth suspect text"
grep -q '^summary$' full.txt || t_fail "no summary"
t_end

t_begin full_run_json
jcheck full.json 'j["format"] == "leaktrace-ci" and j["verdict"]["status"] == 23 and j["verdict"]["counted"] == 7' "verdict"
jcheck full.json 'j["summary"]["processes"] == 6 and j["summary"]["tests"] == 3 and j["summary"]["tests_failed"] == 2' "summary counts"
jcheck full.json 'j["summary"]["leak_sites"] == 3 and j["summary"]["leaked_bytes"] == 16 + 4096 + 48' "leak totals"
jcheck2 full.json 'one(j, "clean")["findings"] == [] and one(j, "clean")["end"] == {"how": "exit", "status": 0}' "clean process"
jcheck2 full.json 'kinds(one(j, "leaky", "small")) == [("leak", "", "", "leak_small")]' "leaky small findings"
jcheck2 full.json 'kinds(one(j, "leaky", "big")) == [("leak", "", "", "leak_big")] and one(j, "leaky", "big")["findings"][0]["blocks"] == 2' "leaky big findings"
jcheck2 full.json 'kinds(one(j, "threadleft")) == [("thread", "running_at_exit", "", "main")] and one(j, "threadleft")["findings"][0]["start_function"] == "worker_main"' "thread finding"
jcheck2 full.json 'kinds(one(j, "grower")) == [("growth", "", "", "grow_cache")] and not one(j, "grower")["leaks_checked"] and one(j, "grower")["end"] is None' "growth finding of the killed server"
jcheck2 full.json 'all(f["status"] == "new" and f["counted"] and f["key"] for p in j["processes"] if not p["excluded"] for f in p["findings"])' "statuses"
jcheck2 full.json 'all(p["exe"].endswith("/bash") for p in j["processes"] if p["excluded"]) and j["summary"]["excluded"] == len([p for p in j["processes"] if p["excluded"]]) > 0' "--exclude bash"
t_end

# Per-test attribution: the leaking test named, the clean test clean, a
# block kept past its test's end (freed at exit) a leak of that test only.
t_begin per_test_attribution
jcheck2 full.json '[(t["name"], t["failed"], t["leaked_bytes"]) for t in one(j, "marked")["tests"]] == [("clean", False, 0), ("leaky", True, 48), ("deferred_free", True, 32)]' "tests of marked"
jcheck2 full.json 'kinds(one(j, "marked")) == [("leak", "", "", "test_leaky"), ("leak", "", "deferred_free", "test_deferred_free"), ("leak", "", "leaky", "test_leaky")]' "marked findings"
grep -q 'tests: 3 marked, 2 with leaks: leaky, deferred_free' full.txt || t_fail "tests line in the text"
grep -q 'leak in test "leaky": 48 bytes in 1 block' full.txt || t_fail "test leak headline"
t_end

t_begin junit_valid
"$PY" - full.xml > junit.check 2>&1 <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
problems = []
def need(cond, msg):
    if not cond: problems.append(msg)
# The common JUnit schema (Jenkins junit-10.xsd, GitLab, GitHub reporters).
allowed = {"testsuites": {"name", "tests", "failures", "errors", "time", "disabled"},
           "testsuite": {"name", "tests", "failures", "errors", "skipped", "time", "timestamp", "hostname", "id", "package", "disabled"},
           "properties": set(), "property": {"name", "value"},
           "testcase": {"name", "classname", "time", "assertions", "status"},
           "failure": {"message", "type"}, "error": {"message", "type"}, "skipped": {"message"},
           "system-out": set(), "system-err": set()}
children = {"testsuites": {"testsuite"}, "testsuite": {"properties", "testcase", "system-out", "system-err"},
            "properties": {"property"}, "testcase": {"failure", "error", "skipped", "system-out", "system-err"},
            "property": set(), "failure": set(), "error": set(), "skipped": set(), "system-out": set(), "system-err": set()}
for el in root.iter():
    need(el.tag in allowed, "unknown element " + el.tag)
    if el.tag not in allowed: continue
    need(set(el.attrib) <= allowed[el.tag], "%s has attributes %s" % (el.tag, sorted(set(el.attrib) - allowed[el.tag])))
    for c in el: need(c.tag in children[el.tag], "%s inside %s" % (c.tag, el.tag))
need(root.tag == "testsuites", "root is " + root.tag)
cases = root.findall("testsuite/testcase")
need(int(root.get("tests")) == len(cases), "tests=%s, %d testcases" % (root.get("tests"), len(cases)))
need(int(root.get("failures")) == len(root.findall("testsuite/testcase/failure")), "failures attribute")
for s in root.findall("testsuite"):
    need(int(s.get("tests")) == len(s.findall("testcase")), "suite tests attribute")
    need(int(s.get("failures")) == len(s.findall("testcase/failure")), "suite failures attribute")
    for a in ("name", "time", "timestamp"): need(s.get(a), "suite without " + a)
for c in cases:
    for a in ("name", "classname", "time"): need(c.get(a) is not None, "testcase without " + a)
    float(c.get("time"))
by = {(c.get("classname"), c.get("name")): c for c in cases}
need(len(cases) == 9, "%d testcases, want 6 processes + 3 tests" % len(cases))
def failed(cls, name):
    c = by.get((cls, name))
    need(c is not None, "no testcase %s %s" % (cls, name))
    return c is not None and c.find("failure") is not None
need(not failed("leaktrace.clean", "./clean"), "clean failed")
need(failed("leaktrace.leaky", "./leaky small"), "leaky small did not fail")
need(failed("leaktrace.leaky", "./leaky big"), "leaky big did not fail")
need(failed("leaktrace.threadleft", "./threadleft"), "threadleft did not fail")
need(failed("leaktrace.grower", "./grower"), "grower did not fail")
need(failed("leaktrace.marked", "test leaky"), "test leaky did not fail")
need(not failed("leaktrace.marked", "test clean"), "test clean failed")
need(failed("leaktrace.marked", "test deferred_free"), "test deferred_free did not fail")
f = by[("leaktrace.leaky", "./leaky small")].find("failure")
need("leak_small" in (f.text or "") and f.get("message"), "failure text/message of leaky small")
f = by[("leaktrace.marked", "test leaky")].find("failure")
need("test_leaky" in (f.text or "") and "48 bytes" in f.get("message"), "failure of test leaky: %r" % f.get("message"))
print("\n".join(problems) if problems else "ok")
EOF
[ "$(cat junit.check)" = ok ] || t_fail "JUnit: $(head -5 junit.check | tr '\n' ';')"
t_end

# ---- exit statuses ----------------------------------------------------------------
t_begin clean_run_exit_0
rwt cleanrun --check --exclude bash --json cleanrun.json -- ./run.sh clean leaky none
want_rc 0 "a clean run" cleanrun
grep -q '^verdict: PASS' cleanrun.txt || t_fail "verdict: $(grep verdict cleanrun.txt)"
jcheck cleanrun.json 'j["summary"]["processes"] == 2 and j["summary"]["findings"] == 0' "two clean processes"
t_end

t_begin command_failure_passed_through
rwt cfail --check --exclude bash -- ./run.sh leaky small fail 3
want_rc 3 "the command's status comes first" cfail
grep -q '^\[FAIL\] ./leaky small' cfail.txt || t_fail "still reported"
rwt cfail2 --check --exclude bash -- ./run.sh clean fail 5
want_rc 5 "clean but failing command" cfail2
rwt nocheck --exclude bash -- ./run.sh leaky small
want_rc 0 "without --check findings do not change the status" nocheck
grep -q '^verdict: FAIL' nocheck.txt || t_fail "the report is printed without --check too"
t_end

t_begin fail_on
rwt thr --check --fail-on leaks --exclude bash -- ./run.sh thread
want_rc 0 "--fail-on leaks with only a thread alert" thr
grep -q 'thread alert running_at_exit.*\[not counted: --fail-on\]' thr.txt || t_fail "not-counted thread alert not shown"
rwt thr2 --check --fail-on threads --exclude bash -- ./run.sh thread
want_rc 23 "--fail-on threads" thr2
ci fo1 --fail-on growth --exclude bash full;        want_rc 23 "--fail-on growth on the full run" fo1
ci fo2 --fail-on none --exclude bash full;          want_rc 0 "--fail-on none" fo2
ci fo3 --fail-on leaks,threads --exclude bash --json fo3.json full
want_rc 23 "--fail-on leaks,threads" fo3
jcheck fo3.json 'j["verdict"]["counted"] == 6 and j["summary"]["not_selected"] == 1 and j["verdict"]["fail_on"] == ["leaks", "threads"]' "growth not selected"
ci fo4 --fail-on leaks,bogus full;                  want_rc 2 "a bad --fail-on" fo4
grep -q "fail-on" fo4.err || t_fail "--fail-on error message"
t_end

t_begin min_bytes
rwt mb --check --min-bytes 100 --exclude bash -- ./run.sh leaky small
want_rc 0 "a 16-byte leak under --min-bytes 100" mb
grep -q '1 leak site under --min-bytes' mb.txt || t_fail "under --min-bytes not mentioned: $(grep -i min mb.txt)"
ci mb2 --bogus-option mb; want_rc 2 "unknown option" mb2
ci mb3 --min-bytes 16 --exclude bash mb;  want_rc 23 "16 bytes at --min-bytes 16" mb3
ci mb4 --min-bytes 17 --exclude bash mb;  want_rc 0 "16 bytes at --min-bytes 17" mb4
ci mb5 --min-bytes 1K --exclude bash --json mb5.json full
want_rc 23 "--min-bytes 1K on the full run" mb5
jcheck mb5.json 'j["summary"]["leak_sites"] == 1 and j["summary"]["below_min_bytes_sites"] == 4 and j["summary"]["tests_failed"] == 0' "only the 4 KiB site is left (small, marked and its two test leaks are under)"
t_end

# ---- suppressions ----------------------------------------------------------------
cat > all.supp <<'EOF'
# leaktrace suppressions for the test run
leak:leak_small

   leak:leak_b*g
leak:marked.c
thread:worker_*
growth:^grow_cache$
leak:never_matches_anything
EOF
t_begin suppressions_each_kind
ci sup --suppressions all.supp --exclude bash --json sup.json full
want_rc 0 "everything suppressed" sup
jcheck sup.json 'j["verdict"]["counted"] == 0 and j["summary"]["findings"] == 0 and j["summary"]["suppressed"] == 7' "nothing left"
jcheck sup.json '[(s["kind"], s["pattern"], s["line"], s["hid"]) for s in j["suppressions"]] == [("leak", "leak_small", 2, {"sites": 1, "bytes": 16, "blocks": 1}), ("leak", "leak_b*g", 4, {"sites": 1, "bytes": 4096, "blocks": 2}), ("leak", "marked.c", 5, {"sites": 3, "bytes": 128, "blocks": 3}), ("thread", "worker_*", 6, {"alerts": 1, "threads": 1}), ("growth", "^grow_cache$", 7, {"suspects": 1}), ("leak", "never_matches_anything", 8, {"sites": 0, "bytes": 0, "blocks": 0})]' "what each rule hid"
grep -q 'leak:leak_b\*g (all.supp:4): 1 site, 4,096 bytes in 2 blocks' sup.txt || t_fail "hidden counts in the text: $(grep -A8 'suppressed:' sup.txt | tr '\n' ';')"
grep -q 'suppressed:      7 findings hidden by 6 rules' sup.txt || t_fail "suppressed summary line"
t_end

t_begin suppressions_module_and_partial
printf 'leak:/leaky$\n' > mod.supp
ci sup2 --suppressions mod.supp --exclude bash --json sup2.json full
want_rc 23 "module suppression leaves the rest" sup2
jcheck sup2.json 'j["suppressions"][0]["hid"]["sites"] == 2 and j["summary"]["leak_sites"] == 1' "module pattern hid both leaky sites"
printf 'leak:leak_small\n' > one.supp
rwt sup3 --check --suppressions one.supp --exclude bash -- ./run.sh leaky small
want_rc 0 "the only leak suppressed through the wrapper" sup3
t_end

t_begin suppressions_malformed
printf 'leak:ok\n# fine\nlaek:typo\n' > bad.supp
rm -f ran-marker
rwt bad --check --suppressions bad.supp -- touch ran-marker
want_rc 2 "malformed suppressions" bad
grep -q "leaktrace: error: bad.supp:3: unknown suppression kind 'laek'" bad.err || t_fail "error message: $(cat bad.err)"
[ -e ran-marker ] && t_fail "the command ran despite the bad suppressions file"
[ -d bad ] && t_fail "the output directory was created"
ci bad2 --suppressions bad.supp full; want_rc 2 "leaktrace ci with a malformed file" bad2
t_end

t_begin suppressions_report_threads_growth
T=$(ls full/leaky.*.trace | head -1)
"$LT" report --format json --suppressions all.supp "$T" > rs.json || t_fail "report --suppressions failed"
jcheck rs.json 'j["leaks"] == [] and j["user_suppressed"]["sites"] == 1 and sum(s["hid"].get("sites", 0) for s in j["suppressions"]) == 1' "report JSON"
"$LT" report --suppressions all.supp "$T" > rs.txt
grep -q '^suppressed by --suppressions: ' rs.txt || t_fail "report text: no suppressed line"
grep -q '^suppressions: 6 rules' rs.txt || t_fail "report text: no rules list"
"$LT" threads --format json --suppressions all.supp full/threadleft.*.trace > ts.json || t_fail "threads --suppressions failed"
jcheck ts.json 'j["alerts"] == [] and j["threads"]["suppressed_alerts"] == 1 and j["suppressions"][0]["hid"] == {"alerts": 1, "threads": 1}' "threads JSON"
"$LT" growth --format json --suppressions all.supp full/grower.*.trace > gs.json 2> gs.err || t_fail "growth --suppressions failed"
jcheck gs.json 'j["suspects"] == [] and j["suppressed"] == 1 and j["suppressions"][0]["hid"] == {"suspects": 1}' "growth JSON"
"$LT" report --suppressions bad.supp "$T" > /dev/null 2> rb.err
[ $? -eq 2 ] && grep -q 'bad.supp:3:' rb.err || t_fail "report with a malformed file: $(cat rb.err)"
t_end

# ---- baseline ---------------------------------------------------------------------
t_begin baseline
rwt bA --check --exclude bash --write-baseline base.txt -- ./run.sh leaky small thread
want_rc 23 "writing a baseline does not change the verdict" bA
[ "$(head -1 base.txt)" = "leaktrace-baseline 1" ] || t_fail "baseline header: $(head -1 base.txt)"
[ "$(grep -vc '^#' base.txt)" -eq 3 ] || t_fail "baseline: want the header and 2 findings: $(cat base.txt)"
grep -q "^leak	leaky		leak_small@leaky.c:[0-9]*@leaky;main@leaky.c:[0-9]*@leaky$" base.txt || t_fail "leak key: $(grep ^leak base.txt)"
grep -q "^thread:running_at_exit	threadleft		main@threadleft.c:[0-9]*@threadleft;start=worker_main$" base.txt || t_fail "thread key: $(grep ^thread base.txt)"
rwt bB --check --exclude bash --baseline base.txt --json bB.json -- ./run.sh leaky new thread
want_rc 23 "a new leak fails" bB
jcheck2 bB.json 'j["verdict"]["counted"] == 1 and [f["stack"][0]["function"] for p in j["processes"] if not p["excluded"] for f in p["findings"] if f["counted"]] == ["leak_new"]' "only leak_new counts"
jcheck2 bB.json 'sorted(f["status"] for p in j["processes"] if not p["excluded"] for f in p["findings"]) == ["baseline", "baseline", "new"]' "statuses"
grep -q 'leak: 512 bytes in 1 block$' bB.txt || t_fail "the new leak is shown without a tag"
grep -q 'leak: 16 bytes in 1 block \[known: in the baseline\]' bB.txt || t_fail "the known leak is tagged"
rwt bC --check --exclude bash --baseline base.txt -- ./run.sh leaky small thread
want_rc 0 "nothing new" bC
ci bD --baseline bA --exclude bash --json bD.json bB
want_rc 23 "baseline directory" bD
jcheck bD.json 'j["verdict"]["counted"] == 1 and j["baseline"]["findings"] == 2' "baseline from the traces of run A"
printf 'not a baseline\n' > badbase.txt
rwt bE --check --baseline badbase.txt -- true
want_rc 2 "malformed baseline" bE
grep -q 'badbase.txt:1: not a leaktrace baseline' bE.err || t_fail "baseline error: $(cat bE.err)"
t_end

# ---- exclusion ----------------------------------------------------------------------
t_begin exclude
ci ex --exclude bash --exclude 'leak*' --json ex.json full
want_rc 23 "others still fail" ex
jcheck2 ex.json 'procs(j, "leaky") == [] and len([p for p in j["processes"] if p["excluded"] and p["exe"].endswith("/leaky")]) == 2 and one(j, "marked")["counted"] == 3' "leaky excluded, the rest reported"
# bash keeps its memory reachable until exit (no definitely lost blocks):
# every kind counts here, so that the shells have findings to report.
ci ex2 --leak-kinds all --json ex2.json full
jcheck ex2.json 'j["summary"]["excluded"] == 0 and any(p["exe"].endswith("/bash") and p["findings"] for p in j["processes"])' "without --exclude the shells are reported"
t_end

# ---- signals, stdin, --out --------------------------------------------------------------
t_begin sigterm_still_reports
rm -rf sig
"$RWT" --out sig --check --exclude bash --exclude sleep -- ./run.sh leaky small sleep 31.25 leaky big > sig.txt 2> sig.err &
W=$!
# Signal once the sleep step runs (leaky small has exited by then).
for _ in $(seq 100); do ls sig/sleep.*.trace > /dev/null 2>&1 && break; sleep 0.1; done
sleep 0.3
start=$SECONDS
kill -TERM $W
wait $W
rc=$?
want_rc 143 "the command's status (killed by SIGTERM)" sig
[ $((SECONDS - start)) -le 12 ] || t_fail "took $((SECONDS - start)) s to stop"
grep -q '^\[FAIL\] ./leaky small' sig.txt || t_fail "no report of what ran before the signal: $(grep -A2 'leaky small' sig.txt | tr '\n' ' ')"
grep -q '^verdict:' sig.txt || t_fail "no verdict"
grep -q 'got SIGTERM' sig.err || t_fail "no word about the signal"
grep -q 'leaky big' sig.txt && t_fail "a step after the signal ran"
pgrep -f 'sleep 31.25' > /dev/null && { t_fail "the command's children outlived the wrapper"; pkill -f 'sleep 31.25'; }
t_end

t_begin stdin_and_out_dir
got=$(echo hello-through | "$RWT" --out stdin1 -- cat 2> stdin1.err | head -1)
[ "$got" = hello-through ] || t_fail "stdin did not reach the command: '$got'"
"$RWT" --out stdin1 -- true > /dev/null 2> reuse.err
[ $? -eq 2 ] && grep -q 'already holds traces' reuse.err || t_fail "an --out directory with traces is refused: $(cat reuse.err)"
t_end

# ---- installed layout ---------------------------------------------------------------
t_begin installed_layout
rm -rf inst
if ! make -s -C "$REPO" install PREFIX="$WORK/inst" > install.log 2>&1; then
    t_fail "make install failed: $(tail -3 install.log)"
else
    rm -rf inst-out
    "$WORK/inst/bin/run-with-tracer.sh" --out inst-out --check -- ./leaky small > inst.txt 2> inst.err
    rc=$?
    want_rc 23 "installed wrapper" inst
    grep -q 'at leak_small' inst.txt || t_fail "installed wrapper report"
    ln -sf "$WORK/inst/bin/run-with-tracer.sh" rwt-link
    rm -rf inst-out2
    ./rwt-link --out inst-out2 --check -- ./leaky none > inst2.txt 2> inst2.err
    rc=$?
    want_rc 0 "through a symbolic link" inst2
fi
t_end

t_exit
