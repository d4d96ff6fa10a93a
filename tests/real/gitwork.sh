#!/bin/bash
# gitwork.sh - git on a small repository, for tests/run_matrix.sh: init,
# add, commit (5 commits, a branch and a merge), log, diff, gc, fsck, in the
# working directory (which must be empty). Dates, names and configuration
# are fixed, so the commit ids and the whole output are the same on every run.
set -eu
export HOME=$PWD/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_DATE='2026-01-02T03:04:05Z' \
       GIT_COMMITTER_DATE='2026-01-02T03:04:05Z' TZ=UTC
mkdir -p "$HOME"
git config --global user.name 'Matrix Test'
git config --global user.email 'matrix@example.invalid'
git config --global init.defaultBranch main
git config --global gc.auto 0
git init -q repo
cd repo
for i in 1 2 3 4 5; do
    seq 1 $((i * 200)) | sed "s/^/line $i /" >"file$i.txt"
    git add "file$i.txt"
    git commit -q -m "commit $i"
done
git checkout -q -b side
echo side >>file1.txt
git commit -q -am 'side change'
git checkout -q main
echo main >>file5.txt
git commit -q -am 'main change'
git merge -q --no-edit side
git log --format='%H %s' --graph
git diff --stat HEAD~3 HEAD
git gc -q
git fsck --no-progress 2>&1
git count-objects -v | grep -v size
git rev-parse HEAD
