# forky.sh - a bash script that forks and execs a lot, for
# tests/run_real_programs.sh: pipes, subshells, command substitution, external
# programs (ls, cat, wc, sort, tr) and a loop of 50 $(echo ...). Its output is
# deterministic; it exits with status 3.
# usage: bash forky.sh DIR   (DIR: a directory with a fixed set of files)
# If FORKY_PIDFILE is set, the shell writes its pid ($$) there.
dir=$1
[ -n "${FORKY_PIDFILE:-}" ] && echo $$ >"$FORKY_PIDFILE"

echo "files: $(ls "$dir" | wc -l)"
ls "$dir" | sort -r | cat
cat "$dir"/* | tr 'a-z' 'A-Z' | sort | uniq -c
( cd "$dir" && ls -1 | head -n 2 )
( echo "subshell $BASH_SUBSHELL"; ( echo "nested $BASH_SUBSHELL" ) )

acc=""
for i in $(seq 1 50); do
    acc="$acc$(echo "x$i" | tr -d '\n')"
done
echo "acc length ${#acc}"
echo "last: $(echo "$acc" | tail -c 8)"

{ echo b; echo a; echo c; } | sort | while read -r line; do echo "line $line"; done
n=$(cat "$dir"/one | wc -c)
echo "one has $n bytes"
exit 3
