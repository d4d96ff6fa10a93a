#!/bin/bash
# manpages.sh - the man pages (docs/*.1, docs/*.7) render without a single
# groff warning, `make install` puts them in share/man/man1 and man7, and
# check_docs.py finds the help texts, man pages and docs consistent with the
# code (every command and option both ways, exit statuses, every LEAKTRACE_*
# variable). Run by tests/run_profile_tests.sh.
source "$(dirname "$0")/../profiles/lib.sh"
cd "$WORK" || exit 1

pages=("$REPO"/docs/*.1 "$REPO"/docs/*.7)
for p in "${pages[@]}"; do
    name=$(basename "$p")
    t_begin "man_render_$name"
    # -ww: all warnings; -z: no output, only the diagnostics.
    groff -man -Tutf8 -ww -z "$p" > "$name.warn" 2>&1 || t_fail "groff failed: $(head -3 "$name.warn")"
    [ ! -s "$name.warn" ] && [ -s "$p" ] || t_fail "groff warnings: $(head -3 "$name.warn")"
    # The rendered page has its NAME line and an options/environment section.
    groff -man -Tutf8 "$p" 2> /dev/null | sed 's/.\x08//g' > "$name.txt"
    grep -q "^NAME" "$name.txt" && grep -Eq "^(OPTIONS|COMMANDS|ENVIRONMENT)" "$name.txt" ||
        t_fail "rendered page lacks NAME or OPTIONS/COMMANDS/ENVIRONMENT: $(head -5 "$name.txt")"
    if command -v man > /dev/null; then
        MANWIDTH=80 man -l "$p" > "$name.man" 2> "$name.manerr" || t_fail "man -l failed: $(head -2 "$name.manerr")"
    fi
    t_end
done

t_begin man_pages_present
for want in leaktrace.1 libleaktrace.7 run-with-tracer.sh.1; do
    [ -f "$REPO/docs/$want" ] || t_fail "docs/$want missing"
done
t_end

t_begin make_install_man
rm -rf inst
if make -s -C "$REPO" install DESTDIR="$WORK/inst" PREFIX=/usr > install.log 2>&1; then
    for p in leaktrace.1 run-with-tracer.sh.1; do
        cmp -s "inst/usr/share/man/man1/$p" "$REPO/docs/$p" || t_fail "man1/$p not installed"
    done
    [ -f inst/usr/share/doc/leaktrace/README.md ] || t_fail "README.md is not installed"
    cmp -s inst/usr/share/man/man7/libleaktrace.7 "$REPO/docs/libleaktrace.7" || t_fail "man7/libleaktrace.7 not installed"
    for g in README.md getting-started.md guide-growth.md comparison.md; do
        [ -f "inst/usr/share/doc/leaktrace/docs/$g" ] || t_fail "docs/$g is not installed"
    done
else
    t_fail "make install failed: $(tail -3 install.log)"
fi
t_end

python3 "$REPO/tests/docs/check_docs.py" "$REPO" "$LT" > check_docs.out 2>&1
st=$?
cat check_docs.out
if [ $st -ne 0 ] && ! grep -q '^FAIL ' check_docs.out; then
    echo "FAIL check_docs: exit status $st: $(tail -3 check_docs.out)"
    FAILS=$((FAILS + 1))
else
    FAILS=$((FAILS + $(grep -c '^FAIL ' check_docs.out)))
fi
t_exit
