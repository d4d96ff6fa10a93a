#!/bin/bash
# progress.sh - the progress line of long analyses (analyzer/progress.c):
# on a terminal (a pty from util-linux `script`) every command that reads a
# trace draws "leaktrace: reading FILE NN% (... of ...), N events/s" on
# stderr, redraws it at most ~10 times a second and erases it at the end;
# nothing when stderr is not a terminal, with -q/--quiet or with
# LEAKTRACE_PROGRESS=0; LEAKTRACE_PROGRESS=1 forces it. stdout is the same
# with and without it. Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
cd "$WORK" || exit 1
unset LEAKTRACE_PROGRESS

t_begin progress_build
cat > churn.c <<'C'
#include <stdlib.h>
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    void *keep[16] = { 0 };
    for (long i = 0; i < n; i++) {
        void *p = malloc(32 + (size_t)(i & 255));
        free(keep[i & 15]);
        keep[i & 15] = p;
    }
    for (int i = 0; i < 8; i++) free(keep[i]);   /* 8 blocks leak */
    return 0;
}
C
build_prog churn.c churn
small=$(trace_run small ./churn 20000)
big=$(trace_run big ./churn 1500000)
t_end

# pty CMD: runs CMD (a shell command line) with stdin/stdout/stderr on a
# pseudo-terminal; prints what the terminal received.
pty() { script -qec "$1" /dev/null < /dev/null; }
PROG='leaktrace: reading [^ ]* +[0-9]+% \([0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B\), [0-9.]+[kM]? events/s'
# The small trace may be read within the first millisecond, before a rate
# means anything: its line may come without one.
PROG_ANY='leaktrace: reading [^ ]* +[0-9]+% \([0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B\)(, [0-9.]+[kM]? events/s)?'
ERASE=$'\r\033\[K'

t_begin progress_on_terminal
pty "$LT report $big > report.pty.txt" > tty.out
grep -Eq "$PROG" tty.out || t_fail "no progress line on the terminal: $(head -c 300 tty.out | od -c | head -5)"
# The line is erased at the end: the last thing written is \r ESC[K.
[ "$(tail -c 4 tty.out | od -An -c | tr -d ' ')" = '\r033[K' ] || t_fail "progress line not erased: $(tail -c 80 tty.out | od -c)"
grep -q "^leaked: .* in 8 blocks" report.pty.txt || t_fail "report on the terminal: $(head -5 report.pty.txt)"
t_end

t_begin progress_rate_limited
start=$(date +%s.%N)
pty "$LT report $big > /dev/null" > rate.out
end=$(date +%s.%N)
draws=$(grep -o "leaktrace: reading" rate.out | wc -l)
ok=$(python3 -c "import sys; d=$end-$start; print(1 <= $draws <= 10*d + 2)")
[ "$ok" = True ] || t_fail "$draws redraws in $(python3 -c "print($end-$start)") s"
t_end

t_begin progress_not_when_piped
"$LT" report "$big" > report.pipe.txt 2> pipe.err
[ ! -s pipe.err ] || t_fail "stderr not empty when not a terminal: $(head -c 200 pipe.err | od -c | head -3)"
cmp -s report.pipe.txt report.pty.txt || t_fail "stdout differs with the progress line"
t_end

t_begin progress_quiet
pty "$LT report -q $big > /dev/null" > q.out
pty "$LT growth --quiet $big > /dev/null" >> q.out
LEAKTRACE_PROGRESS=0 pty "$LT report $big > /dev/null" >> q.out
grep -q "leaktrace: reading" q.out && t_fail "progress despite -q/--quiet/LEAKTRACE_PROGRESS=0: $(head -c 200 q.out)"
LEAKTRACE_PROGRESS=1 "$LT" report "$small" > /dev/null 2> forced.err
grep -Eq "$PROG_ANY" forced.err || t_fail "LEAKTRACE_PROGRESS=1 did not force it: $(head -c 200 forced.err | od -c | head -3)"
t_end

# Every command that replays a trace shows it (the small trace: > 4096
# events, the first redraw point).
for cmd in "report" "dump" "diff $small" "pprof -o p.pb.gz" "flamegraph -o f.svg" "marks" "threads" "growth" \
           "timeline -o t.svg" "ci"; do
    name=${cmd%% *}
    t_begin "progress_$name"
    pty "$LT $cmd $small > cmd.stdout" > "cmd_$name.out"
    grep -Eq "$PROG_ANY" "cmd_$name.out" || t_fail "no progress line: $(head -c 300 "cmd_$name.out")"
    t_end
done
t_exit
