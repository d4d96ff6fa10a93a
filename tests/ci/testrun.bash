#!/bin/bash
# testrun.bash - the "test run" that tests/ci/ci.sh traces: a shell script that
# spawns the test programs of tests/ci (built in the current directory) as
# a CI job would run a test suite. What it runs is chosen by the arguments:
#   clean      ./clean
#   leaky ARG  ./leaky ARG (may be given more than once)
#   thread     ./threadleft
#   marked     ./marked
#   grower     ./grower (2.6 s, killed by SIGTERM)
#   sleep N    sleep N seconds (for the signal test)
#   fail N     exit with status N at the end
# A program that cannot be run (status 126 or 127) makes the run exit 97.
set -u
status=0
broken=0
while [ $# -gt 0 ]; do
    case $1 in
        clean) ./clean ;;
        leaky) ./leaky "$2"; shift ;;
        thread) ./threadleft ;;
        marked) ./marked ;;
        grower) ./grower ;;
        sleep) sleep "$2"; shift ;;
        fail) status=$2; shift ;;
        *) echo "testrun.bash: unknown step $1" >&2; exit 99 ;;
    esac
    rc=$?
    if [ $rc -eq 126 ] || [ $rc -eq 127 ]; then echo "testrun.bash: step $1 could not run" >&2; broken=1; fi
    shift
done
[ $broken -eq 0 ] || exit 97
exit "$status"
