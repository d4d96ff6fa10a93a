#!/bin/bash
# run_profile_tests.sh - end-to-end tests of marks, heap dumps, diffs and
# exports (pprof, flame graphs), and the HTML report in headless Chromium
# (tests/html/): every tests/profiles/*.sh script, run on
# programs traced with the real tracer. pprof files are checked with the
# real `go tool pprof` (golang-go); a missing go is a FAIL, not a skip.
#
# usage: tests/run_profile_tests.sh LIB ANALYZER
# Environment: LEAKTRACE_KEEP_TMP=1 keeps the work directory.
# Prints each script's PASS/FAIL lines, then "N passed, M failed"; exits 1
# if anything failed.
set -u
if [ $# -ne 2 ]; then echo "usage: $0 LIB ANALYZER" >&2; exit 2; fi
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
LIB=$(abspath "$1")
LT=$(abspath "$2")
REPO=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/leaktrace-profiles.XXXXXX)
OUT=$TMP/results
: > "$OUT"
rc=0
for s in "$REPO"/tests/profiles/*.sh "$REPO"/tests/threads/*.sh "$REPO"/tests/growth/*.sh "$REPO"/tests/crash/*.sh "$REPO"/tests/ring/*.sh "$REPO"/tests/ci/*.sh "$REPO"/tests/reach/*.sh "$REPO"/tests/sampling/*.sh "$REPO"/tests/security/*.sh "$REPO"/tests/html/*.sh "$REPO"/tests/docs/*.sh; do
    case $(basename "$s") in lib.sh) continue ;; esac
    name=$(basename "$s" .sh)
    bash "$s" "$LIB" "$LT" "$TMP/$name" 2>&1 | tee -a "$OUT"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
done
pass=$(grep -c '^PASS ' "$OUT")
fail=$(grep -c '^FAIL ' "$OUT")
echo "profile tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || rc=1
if [ "${LEAKTRACE_KEEP_TMP:-0}" = 1 ]; then echo "work directory kept: $TMP"; else rm -rf "$TMP"; fi
exit $rc
