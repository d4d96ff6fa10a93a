#!/bin/bash
# outputs.sh - what leaktrace writes and what it stores (docs/security.md):
# the analyzer's output files are created 0600, never through a symbolic
# link, heap dumps never over an existing file, other outputs replace a
# regular file; directories keep their permissions; LEAKTRACE_NO_ARGV=1
# keeps the command line out of the trace.
. "$(dirname "$0")/../profiles/lib.sh"
cd "$WORK" || exit 1
build_prog "$REPO/examples/leaky.c" leaky || { t_end; t_exit; }
T=$(trace_run run ./leaky)
[ -n "$T" ] || { echo "FAIL outputs_setup: no trace"; exit 1; }

t_begin analyzer_output_mode_0600
rm -f m.dump m.txt
(umask 000 && "$LT" dump "$T" -o m.dump && "$LT" report "$T" -o m.txt) 2> m.err || t_fail "exit $?: $(head -2 m.err)"
[ "$(stat -c %a m.dump 2>&1)" = 600 ] || t_fail "dump created with mode $(stat -c %a m.dump 2>&1) under umask 000, want 600"
[ "$(stat -c %a m.txt 2>&1)" = 600 ] || t_fail "report created with mode $(stat -c %a m.txt 2>&1) under umask 000, want 600"
t_end

t_begin analyzer_dump_never_overwrites
printf 'precious\n' > kept.dump
"$LT" dump "$T" -o kept.dump 2> kept.err
rc=$?
[ "$rc" -eq 3 ] || t_fail "exit $rc, want 3"
[ "$(cat kept.dump)" = precious ] || t_fail "the existing file was changed"
grep -q "kept.dump.*exists.*never overwrites" kept.err || t_fail "message: $(cat kept.err)"
[ "$(wc -l < kept.err)" -eq 1 ] || t_fail "more than one line on stderr: $(cat kept.err)"
t_end

t_begin analyzer_never_writes_through_symlink
printf 'target data\n' > target
rm -f l.out dangling.out
ln -s "$WORK/target" l.out
ln -s "$WORK/absent" dangling.out
for cmd in "dump" "dump --format json" "report" "report --format json" "pprof" "flamegraph" "marks" "threads" "growth" \
           "timeline" "diff $T"; do
    for link in l.out dangling.out; do
        # shellcheck disable=SC2086
        "$LT" $cmd "$T" -o $link 2> link.err
        rc=$?
        [ "$rc" -eq 3 ] || t_fail "$cmd -o $link: exit $rc, want 3 ($(head -1 link.err))"
        grep -q "symbolic link" link.err || t_fail "$cmd -o $link: message does not say symbolic link: $(head -1 link.err)"
    done
done
for opt in --json --junit --write-baseline; do
    "$LT" ci "$opt" l.out "$T" > /dev/null 2> link.err
    grep -q "symbolic link" link.err || t_fail "ci $opt to a symlink: $(head -2 link.err)"
done
[ "$(cat target)" = "target data" ] || t_fail "the symlink's target was changed"
[ ! -e absent ] || t_fail "the dangling link's target was created"
[ -L l.out ] && [ -L dangling.out ] || t_fail "a link was replaced"
t_end

t_begin analyzer_report_replaces_regular_file
printf 'old report\n' > r.txt
chmod 640 r.txt
"$LT" report "$T" -o r.txt 2> r.err || t_fail "exit $?: $(head -2 r.err)"
grep -q "old report" r.txt && t_fail "the old content is still there"
grep -q "leak" r.txt || t_fail "no report written: $(head -3 r.txt)"
[ "$(stat -c %a r.txt)" = 640 ] || t_fail "mode changed to $(stat -c %a r.txt), want 640 (kept)"
t_end

t_begin output_directory_permissions_kept
mkdir -p d750 d700
chmod 750 d750
chmod 700 d700
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$WORK/d750/x.%p.trace" ./leaky > /dev/null 2>&1
"$LT" dump "$T" -o d700/x.dump 2> d.err || t_fail "dump into d700: $(head -2 d.err)"
[ "$(stat -c %a d750)" = 750 ] || t_fail "the trace directory is now $(stat -c %a d750), was 750"
[ "$(stat -c %a d700)" = 700 ] || t_fail "the dump directory is now $(stat -c %a d700), was 700"
ls d750/x.*.trace > /dev/null 2>&1 || t_fail "no trace written in d750"
t_end

t_begin tracer_symlink_planted_in_tmp
# The classic attack: a link at a predictable name in /tmp pointing at a
# file of the victim's. The tracer must not write through it.
base=$(mktemp -u /tmp/leaktrace-sec-XXXXXX)
printf 'victim data\n' > victim
ln -s "$WORK/victim" "$base.trace"
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$base.trace" ./leaky > tmp.out 2> tmp.err
rc=$?
[ "$rc" -eq 0 ] || t_fail "exit $rc: $(head -2 tmp.err)"
[ "$(cat victim)" = "victim data" ] || t_fail "the link's target was written"
[ -L "$base.trace" ] || t_fail "the link was replaced"
grep -q "^leaktrace: $base.trace is a symbolic link" tmp.err || t_fail "no message naming the link: $(head -2 tmp.err)"
[ "$(stat -c %a "$base.1.trace" 2>&1)" = 600 ] || t_fail "no trace at $base.1.trace with mode 600: $(stat -c %a "$base.1.trace" 2>&1)"
rm -f "$base.trace" "$base".*.trace
t_end

t_begin tracer_no_argv
S=secret-arg-$$
LD_PRELOAD=$LIB LEAKTRACE_OUTPUT="$WORK/argv.%p.trace" ./leaky "$S" > /dev/null 2>&1
LD_PRELOAD=$LIB LEAKTRACE_NO_ARGV=1 LEAKTRACE_OUTPUT="$WORK/noargv.%p.trace" ./leaky "$S" > /dev/null 2>&1
A=$(ls argv.*.trace 2>/dev/null | head -1)
N=$(ls noargv.*.trace 2>/dev/null | head -1)
if [ -z "$A" ] || [ -z "$N" ]; then
    t_fail "traces missing: '$A' '$N'"
else
    "$LT" report --format json "$A" > a.json 2> a.err || t_fail "report: $(head -2 a.err)"
    "$LT" report --format json "$N" > n.json 2> n.err || t_fail "report: $(head -2 n.err)"
    # the control: without the setting, the argument is stored
    [ "$(json_get a.json 'j["process"]["argv"][-1]')" = "$S" ] || t_fail "control run: argv $(json_get a.json 'j["process"]["argv"]')"
    [ "$(json_get n.json 'len(j["process"]["argv"])')" = 0 ] || t_fail "argv stored: $(json_get n.json 'j["process"]["argv"]')"
    case "$(json_get n.json 'j["process"]["exe"]')" in */leaky) ;; *) t_fail "exe: $(json_get n.json 'j["process"]["exe"]')" ;; esac
    "$LT" dump "$N" -o n.dump 2> /dev/null
    grep -q "$S" n.json n.dump && t_fail "the argument appears in the report or the dump"
    [ "$(grep -c '^cmdline	$' n.dump)" = 1 ] || t_fail "dump cmdline: $(grep '^cmdline' n.dump)"
fi
t_end
t_exit
