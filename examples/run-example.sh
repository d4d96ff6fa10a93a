#!/bin/sh
# run-example.sh - the demo of the README (and `make example`): builds the
# bundled leaky program with debug info, runs it under the tracer and
# prints the report. Run from the repository after `make`.
set -eu
cd "$(dirname "$0")/.."
out=build/example
rm -rf "$out"
mkdir -p "$out"
cc -g -O0 -o "$out/leaky" examples/leaky.c
echo "\$ LD_PRELOAD=build/libleaktrace.so LEAKTRACE_OUTPUT=$out/leaky.%p.trace $out/leaky"
LD_PRELOAD="$PWD/build/libleaktrace.so" LEAKTRACE_OUTPUT="$out/leaky.%p.trace" "$out/leaky"
trace=$(ls "$out"/leaky.*.trace)
echo
echo "\$ build/leaktrace report $trace"
build/leaktrace report "$trace"
