#!/bin/sh
# quickstart.sh - from a fresh clone on Debian 12 to a leak report, or to a
# full test run. Installs what is missing (with apt-get when run as root;
# otherwise it prints the exact command to run), builds, then:
#
#   ./quickstart.sh          runs the bundled example (examples/leaky.c)
#                            under the tracer and prints its leak report
#   ./quickstart.sh test     runs every test (make test)
#   ./quickstart.sh deps     only installs the dependencies
set -eu

cd "$(dirname "$0")"
mode=${1:-demo}
case "$mode" in
    demo|test|deps) ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart.sh: unknown mode '$mode' (use: demo, test, deps)" >&2; exit 2 ;;
esac

# Build and runtime dependencies. The test run also needs the programs it
# traces and the reference tools it compares against.
pkgs="build-essential pkg-config libunwind-dev libzstd-dev check libdw-dev libelf-dev zlib1g-dev"
if [ "$mode" = test ]; then
    pkgs="$pkgs g++ python3 valgrind sqlite3 perl golang-go curl procps groff-base bsdutils"
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "quickstart: installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # libunwind-dev replaces LLVM's libunwind-14-dev where that is installed.
        apt-get install -y -qq $missing >/dev/null
    else
        echo "quickstart: missing packages:$missing" >&2
        echo "quickstart: install them with:" >&2
        echo "    sudo apt-get install -y$missing" >&2
        echo "quickstart: then run ./quickstart.sh${1:+ $1} again" >&2
        exit 1
    fi
fi
[ "$mode" = deps ] && exit 0

make -s -j2 all

if [ "$mode" = test ]; then
    exec make -s test
fi

# The demo: build the example with debug info, trace it, report.
exec examples/run-example.sh
