#!/bin/bash
# run-with-tracer.sh - run a whole command (a CI test run: make, shells, test
# programs, helpers) under leaktrace and end with one verdict.
#
#   run-with-tracer.sh [OPTIONS] [--] COMMAND [ARGS...]
#
# Runs COMMAND with libleaktrace.so preloaded; it and every process it forks
# or execs writes a trace into DIR. Then `leaktrace ci DIR` prints one report
# across processes (per process: command line, pid, exit status, leaks,
# thread alerts, growth suspects, leaks per marked test; then a summary).
#
# options:
#   --out DIR              where the traces go (default: a new directory
#                          leaktrace-YYYYmmdd-HHMMSS); must hold no traces yet
#   --check                make findings the exit status: 23 when findings
#                          remain (COMMAND's own failure still comes first)
#   --fail-on LIST         findings that count: leaks,threads,growth (default
#                          all), or none
#   --min-bytes N          ignore leak sites of fewer than N bytes (K, M, G)
#   --leak-kinds LIST      which blocks are leaks: definite,indirect (default,
#                          as LeakSanitizer), possible, reachable, all; traces
#                          without the exit scan (LEAKTRACE_SCAN=0): every
#                          block not freed
#   --suppressions FILE    leak:/thread:/growth:PATTERN lines (repeatable)
#   --baseline FILE|DIR    findings known from an earlier run do not count
#   --write-baseline FILE  write this run's findings as a baseline
#   --junit FILE           JUnit XML report (a test case per process and test)
#   --json FILE            everything as JSON
#   --exclude PATTERN      do not report processes whose program name matches
#                          the glob (make, sh, bash...): they still run and are
#                          traced, their children too (repeatable)
#   --exit-code N          the status for findings with --check (default 23)
#   --top N                leak sites shown per process (default 10, 0 = all)
#   --html FILE            also write the HTML report of every process to FILE
#                          (leaktrace html: charts, leak tables, flame graphs)
#   -h, --help             this text
#
# Exit status: COMMAND's when it failed (128+N when killed by signal N);
# otherwise without --check 0, with --check 0 when no finding is left and 23
# (--exit-code) when findings remain; 2 bad usage (also a malformed
# suppressions or baseline file, found before COMMAND runs); 3-6 the analysis
# failed (see docs/ci.md). Ctrl-C or SIGTERM stops COMMAND (the signal goes to
# its whole process group; a second one, or 10 s later, SIGKILL) and the
# traces written so far are still reported.
#
# A statically linked COMMAND cannot have the tracer preloaded: one warning
# line, then it runs untraced (with --check, nothing traced is status 3).
#
# Works from the source tree (build/) and installed (PREFIX/bin next to
# PREFIX/lib). Needs bash. Documented in docs/ci.md.
set -u

me=run-with-tracer.sh
self=$(readlink -f -- "${BASH_SOURCE[0]}" 2> /dev/null) || self=${BASH_SOURCE[0]}
here=$(cd "$(dirname -- "$self")" && pwd)
lib=""
for cand in "$here/build/libleaktrace.so" "$here/../lib/libleaktrace.so" "$here/../lib/leaktrace/libleaktrace.so"; do
    [ -f "$cand" ] && { lib=$cand; break; }
done
cli=""
for cand in "$here/build/leaktrace" "$here/leaktrace"; do
    [ -x "$cand" ] && { cli=$cand; break; }
done
[ -n "$lib" ] || { echo "$me: error: libleaktrace.so not found next to $here (run make, or make install)" >&2; exit 2; }
[ -n "$cli" ] || { echo "$me: error: the leaktrace analyzer not found next to $here (run make, or make install)" >&2; exit 2; }

usage_error() {
    echo "$me: error: $1" >&2
    echo "Try '$me --help'." >&2
    exit 2
}

out=""
html=""
check=0
ci_args=()
html_args=()
while [ $# -gt 0 ]; do
    opt=$1
    case $opt in
        --*=*) val=${opt#*=}; opt=${opt%%=*}; shift; set -- "$opt" "$val" "$@" ;;
    esac
    case $1 in
        --out|--fail-on|--min-bytes|--leak-kinds|--suppressions|--baseline|--write-baseline|--junit|--json|--exclude|--exit-code|--top|--html)
            [ $# -ge 2 ] || usage_error "option '$1' needs a value"
            [ -n "$2" ] || usage_error "option '$1' needs a value"
            case $1 in
                --out) out=$2 ;;
                --html) html=$2 ;;
                --suppressions) ci_args+=("$1" "$2"); html_args+=("$1" "$2") ;;
                *) ci_args+=("$1" "$2") ;;
            esac
            shift 2 ;;
        --check) check=1; shift ;;
        --) shift; break ;;
        -h|--help) sed -n '2,/^# PREFIX/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) usage_error "unknown option '$1'" ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || usage_error "no command given (usage: $me [OPTIONS] -- COMMAND [ARGS...])"

# Everything the analysis will need is checked before the (long) run: a
# malformed suppressions file fails now, naming its line.
"$cli" ci --validate-only ${ci_args[@]+"${ci_args[@]}"} || exit $?
if [ -n "$html" ]; then
    hdir=$(dirname -- "$html")
    [ -d "$hdir" ] && [ -w "$hdir" ] || { echo "$me: error: cannot write the HTML report '$html': no writable directory '$hdir'" >&2; exit 3; }
fi

[ -n "$out" ] || out="leaktrace-$(date +%Y%m%d-%H%M%S)"
mkdir -p -- "$out" || { echo "$me: error: cannot create the directory '$out'" >&2; exit 3; }
out=$(cd -- "$out" && pwd) || exit 3
for t in "$out"/*.trace; do
    [ -e "$t" ] && { echo "$me: error: $out already holds traces of another run; give --out a new or empty directory" >&2; exit 2; }
done

# A statically linked COMMAND has no dynamic loader to preload the tracer:
# it runs untraced (programs it executes that are dynamically linked are
# still traced). Said in one line; with --check a run where nothing was
# traced then ends with status 3 (docs/ci.md). Detected from the ELF
# program headers with od (no PT_INTERP: static, static-pie included).
# elf_static FILE: FILE is a little-endian ELF64 executable without PT_INTERP
elf_static() {
    local f=$1 hdr phoff phentsize phnum i type
    [ -f "$f" ] && [ -r "$f" ] || return 1
    # magic, class 2 (64-bit), data 1 (little-endian)
    hdr=$(od -An -N6 -tx1 -- "$f" 2> /dev/null | tr -d ' \n')
    [ "$hdr" = 7f454c460201 ] || return 1
    phoff=$(od -An -j32 -N8 -tu8 -- "$f" | tr -d ' ')
    phentsize=$(od -An -j54 -N2 -tu2 -- "$f" | tr -d ' ')
    phnum=$(od -An -j56 -N2 -tu2 -- "$f" | tr -d ' ')
    [[ "$phoff" =~ ^[0-9]+$ && "$phentsize" =~ ^[0-9]+$ && "$phnum" =~ ^[0-9]+$ ]] || return 1
    [ "$phnum" -gt 0 ] && [ "$phnum" -le 256 ] || return 1
    for ((i = 0; i < phnum; i++)); do
        type=$(od -An -j$((phoff + i * phentsize)) -N4 -tu4 -- "$f" | tr -d ' ')
        [ "$type" = 3 ] && return 1      # PT_INTERP: dynamically linked
    done
    return 0
}
case $1 in
    */*) target=$1 ;;
    *) target=$(type -P -- "$1" 2> /dev/null) || target="" ;;
esac
if [ -n "$target" ] && elf_static "$target"; then
    echo "$me: warning: $target is statically linked: the tracer cannot be preloaded into it, so it runs untraced (programs it starts that are dynamically linked are still traced); link it dynamically (without -static) to trace it" >&2
fi

# COMMAND runs in the background in its own process group (job control on),
# so a signal reaches the whole tree (make, shells, tests) and `wait` can be
# interrupted by our traps.
pending=""
on_signal() { pending=$1; }
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

set -m
# exec: COMMAND is always a program (never a bash builtin), and $! is its pid.
(LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}" LEAKTRACE_OUTPUT="$out/%e.%p.trace" exec "$@") &
pid=$!
set +m

status=""
forwarded=0
killer=""
while :; do
    if [ -n "$pending" ]; then
        sig=$pending
        pending=""
        if [ $forwarded -eq 0 ]; then
            echo "$me: got SIG$sig: stopping the command (process group $pid), then reporting what was traced" >&2
            kill -s "$sig" -- "-$pid" 2> /dev/null
            forwarded=1
            # SIGKILL if it is still there in 10 s.
            (
                trap - INT HUP
                trap 'kill "$nap" 2> /dev/null; exit 0' TERM
                sleep 10 &
                nap=$!
                wait "$nap"
                kill -0 -- "-$pid" 2> /dev/null && echo "$me: the command still runs 10 s after the signal: killing it" >&2
                kill -s KILL -- "-$pid" 2> /dev/null
            ) &
            killer=$!
        else
            echo "$me: got SIG$sig again: killing the command" >&2
            kill -s KILL -- "-$pid" 2> /dev/null
        fi
    fi
    wait "$pid"
    rc=$?
    [ -n "$pending" ] && continue              # a signal interrupted wait
    kill -0 "$pid" 2> /dev/null && continue   # wait returned early, the command runs on
    status=$rc
    break
done
if [ $forwarded -eq 1 ]; then
    # Give group members that outlived the leader a moment to flush their traces.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 -- "-$pid" 2> /dev/null || break
        sleep 0.2
    done
    [ -n "$killer" ] && kill "$killer" 2> /dev/null
    # The report of an interrupted run is the point: do not let the next
    # signal of a CI's cancel sequence (SIGINT, then SIGTERM) cut it short.
    echo "$me: reporting what was traced (SIGINT, SIGTERM and SIGHUP are ignored until done)" >&2
    trap '' INT TERM HUP
else
    trap - INT TERM HUP
fi

"$cli" ci ${ci_args[@]+"${ci_args[@]}"} "$out"
ci_status=$?
if [ -n "$html" ]; then
    "$cli" html ${html_args[@]+"${html_args[@]}"} "$out" -o "$html"
    html_status=$?
    if [ $html_status -eq 0 ]; then
        echo "$me: HTML report: $html" >&2
    elif [ $ci_status -eq 0 ]; then
        ci_status=$html_status   # with --check, a report that could not be written fails the run
    fi
fi

# COMMAND's failure first; then, with --check, the verdict. Without --check
# neither findings nor analysis errors (reported above) change the status.
[ "$status" -ne 0 ] && exit "$status"
[ $check -eq 1 ] && exit $ci_status
exit 0
