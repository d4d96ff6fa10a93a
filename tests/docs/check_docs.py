#!/usr/bin/env python3
"""check_docs.py - the command-line help, the man pages and the docs agree
with the code. Run by tests/docs/manpages.sh; prints "PASS name" or
"FAIL name: reason" per check and exits 1 if any failed.

usage: check_docs.py REPO LEAKTRACE

What is compared (sets, both ways unless said):
- commands: the dispatch in analyzer/main.c's main() (the cmds[] table and
  the commands compared by name), the "commands:" block of `leaktrace
  help`, and the `.SS "leaktrace CMD"` sections of docs/leaktrace.1;
- per command, the options its getopt_long table (struct option, macros
  expanded) and short-option string accept, the option column of
  `leaktrace CMD --help`, and the option tags (.TP/.TQ lines) of its man
  page section; every option mentioned anywhere in those texts must exist;
- run-with-tracer.sh: the options its `case` accepts, its --help and
  docs/run-with-tracer.sh.1;
- exit statuses: the LT_E_* codes of analyzer/error.h, 1 and 23 are in the
  EXIT STATUS section of leaktrace.1 and in `leaktrace help`;
- environment: every LEAKTRACE_* name the analyzer getenv()s is in
  leaktrace.1 and `leaktrace help`; every LEAKTRACE_* name in preload/*.c is
  in libleaktrace.7 and docs/tracer.md, and libleaktrace.7 names no other.
"""
import os
import re
import subprocess
import sys

REPO, LT = sys.argv[1], sys.argv[2]
FAILS = 0


def result(name, problems):
    global FAILS
    if problems:
        FAILS += 1
        print(f"FAIL {name}: " + "; ".join(problems))
    else:
        print(f"PASS {name}")


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def run(*args):
    return subprocess.run([LT, *args], capture_output=True, text=True, check=False).stdout


OPT_TOKEN = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


def diff_sets(what_a, a, what_b, b):
    out = []
    if a - b:
        out.append(f"in {what_a}, not in {what_b}: {' '.join(sorted(a - b))}")
    if b - a:
        out.append(f"in {what_b}, not in {what_a}: {' '.join(sorted(b - a))}")
    return out


# ---- analyzer/main.c ---------------------------------------------------------
main_c = read("analyzer/main.c")
macros = {}
for m in re.finditer(r"#define (\w+)\s*\\\n((?:.*\\\n)*.*\n)", main_c):
    macros[m.group(1)] = m.group(2)


def functions(src):
    """name -> body of every top-level function."""
    out = {}
    for m in re.finditer(r"^(?:static )?\w[\w \*]*?\b(\w+)\(([^)]*)\)\n\{\n", src, re.M):
        start = m.end()
        end = src.find("\n}\n", start)
        out[m.group(1)] = src[start:end]
    return out


funcs = functions(main_c)


def parser_options(fname, seen=None):
    """Options accepted by the command implemented by fname (following
    calls to a *_main helper)."""
    seen = seen or set()
    seen.add(fname)
    body = funcs.get(fname, "")
    opts = set()
    t = re.search(r"struct option opts\[\] = \{(.*?)\{ NULL, 0, NULL, 0 \}", body, re.S)
    if t:
        table = t.group(1)
        for name, val in macros.items():
            table = table.replace(name, val)
        opts |= {"--" + n for n in re.findall(r'\{ "([a-z0-9-]+)", (?:no|required|optional)_argument', table)}
        for s in re.findall(r'getopt_long\(argc, argv, "([^"]*)"', body):
            opts |= {"-" + c for c in s if c.isalpha()}
    for callee in re.findall(r"\b(\w+_main)\(argc, argv", body):
        if callee not in seen:
            opts |= parser_options(callee, seen)
    return opts


main_body = funcs["main"]
cmd_table = dict(re.findall(r'\{ "([a-z]+)", (cmd_\w+), usage_\w+ \}', main_body))
by_name = set(re.findall(r'strcmp\(cmd, "([a-z]+)"\)', main_body))
parser_cmds = set(cmd_table) | by_name

help_main = run("help")
blk = re.search(r"^commands:\n(.*?)\n\n", help_main, re.S | re.M)
help_cmds = set(re.findall(r"^  ([a-z]+)\b", blk.group(1), re.M)) if blk else set()

man1 = read("docs/leaktrace.1")
man_sections = {}
cur = None
for line in man1.split("\n"):
    m = re.match(r'^\.S[SH] "?([^"]*)"?', line)
    if m:
        words = m.group(1).split()
        cur = words[1] if line.startswith(".SS") and len(words) == 2 and words[0] == "leaktrace" else None
        if cur:
            man_sections[cur] = []
        continue
    if cur:
        man_sections[cur].append(line)

result("commands_help", diff_sets("main.c", parser_cmds, "leaktrace help", help_cmds))
problems = []
for cmd in sorted(parser_cmds - {"help", "version"}):
    p = subprocess.run([LT, cmd, "--help"], capture_output=True, text=True, check=False)
    if p.returncode != 0 or not p.stdout.startswith(f"usage: leaktrace {cmd} "):
        problems.append(f"'leaktrace {cmd} --help': exit {p.returncode}, {(p.stdout or p.stderr)[:80]!r}")
result("commands_have_help", problems)
result("commands_man", diff_sets("main.c", parser_cmds, "leaktrace.1", set(man_sections)))


def roff_plain(line):
    line = line.replace("\\-", "-").replace("\\&", "")
    return re.sub(r"\\f[BIRP]|\\\(..", "", line)


def man_tags(lines):
    """Option tokens of the tag lines (after .TP/.TQ) and of all lines."""
    tags, every = set(), set()
    prev = ""
    for line in lines:
        plain = roff_plain(line)
        toks = set(OPT_TOKEN.findall(plain)) if not line.startswith(".\\\"") else set()
        every |= toks
        if prev in (".TP", ".TQ"):
            tags |= toks
        prev = line.strip()
    return tags, every


def help_tags(text):
    """Option tokens of the option column of a --help text, and of all of
    its options section."""
    sec = text.split("\noptions:\n", 1)
    if len(sec) < 2:
        return set(), set()
    tags, every = set(), set()
    for line in sec[1].split("\n"):
        every |= set(OPT_TOKEN.findall(line))
        s = line.strip()
        if not s.startswith("-"):
            continue
        tag = re.split(r"(?<=\S)\s{2,}", s, maxsplit=1)[0]
        tags |= set(OPT_TOKEN.findall(tag))
    return tags, every


all_parser_opts = set()
for cmd in sorted(parser_cmds):
    if cmd not in cmd_table:
        continue        # events, help, version: no options
    popts = parser_options(cmd_table[cmd])
    all_parser_opts |= popts
    problems = []
    if not popts:
        problems.append(f"no option table found for {cmd_table[cmd]} in main.c")
    htext = run(cmd, "--help")
    if run("help", cmd) != htext:
        problems.append("'leaktrace help CMD' differs from 'leaktrace CMD --help'")
    htags, hall = help_tags(htext)
    problems += diff_sets("the parser", popts, "--help's option column", htags)
    if hall - popts:
        problems.append(f"--help mentions options the parser does not take: {' '.join(sorted(hall - popts))}")
    mtags, mall = man_tags(man_sections.get(cmd, []))
    problems += diff_sets("the parser", popts, "leaktrace.1's option tags", mtags)
    if mall - popts:
        problems.append(f"leaktrace.1 section mentions options the command does not take: {' '.join(sorted(mall - popts))}")
    result(f"options_{cmd}", problems)

# The main help mentions options (moments, --fail-above...): they exist.
_, _ = None, None
main_opts = set(OPT_TOKEN.findall(help_main)) - {"--help", "-h", "--version"}
result("options_main_help", [f"leaktrace help mentions unknown options: {' '.join(sorted(main_opts - all_parser_opts))}"]
       if main_opts - all_parser_opts else [])

# ---- exit statuses --------------------------------------------------------------
codes = {int(c) for c in re.findall(r"LT_E_\w+ = (\d+)", read("analyzer/error.h"))} | {0, 1, 23}
exit_sec = re.search(r"^\.SH EXIT STATUS\n(.*?)^\.SH ", man1, re.S | re.M)
man_codes = {int(c) for c in re.findall(r"^\.TP\n\.B (\d+)$", exit_sec.group(1), re.M)} if exit_sec else set()
help_exit = re.search(r"exit status:(.*?)\n\n", help_main, re.S)
help_codes = {int(c) for c in re.findall(r"\b(\d+) ", help_exit.group(1))} if help_exit else set()
problems = diff_sets("error.h (+0, 1, 23)", codes, "leaktrace.1 EXIT STATUS", man_codes)
if codes - help_codes:
    problems.append(f"leaktrace help does not mention exit statuses {sorted(codes - help_codes)}")
result("exit_statuses", problems)

# ---- environment ----------------------------------------------------------------
analyzer_env = set()
for f in os.listdir(os.path.join(REPO, "analyzer")):
    if f.endswith(".c"):
        analyzer_env |= set(re.findall(r'getenv\("(LEAKTRACE_[A-Z0-9_]+)"\)', read("analyzer/" + f)))
man1_plain = roff_plain(man1)
problems = [f"{v} not in leaktrace.1" for v in sorted(analyzer_env) if v not in man1_plain]
problems += [f"{v} not in leaktrace help" for v in sorted(analyzer_env) if v not in help_main]
result("environment_analyzer", problems)

tracer_env = set()
for f in os.listdir(os.path.join(REPO, "preload")):
    if f.endswith((".c", ".h")):
        tracer_env |= set(re.findall(r"\bLEAKTRACE_[A-Z][A-Z0-9_]*[A-Z0-9]\b", read("preload/" + f)))
man7 = read("docs/libleaktrace.7")
man7_env = set(re.findall(r"\bLEAKTRACE_[A-Z][A-Z0-9_]*[A-Z0-9]\b", roff_plain(man7)))
tracer_md = read("docs/tracer.md")
problems = diff_sets("preload/*.c", tracer_env, "libleaktrace.7", man7_env - analyzer_env)
problems += [f"{v} not in docs/tracer.md" for v in sorted(tracer_env) if v not in tracer_md]
if not tracer_env:
    problems.append("found no LEAKTRACE_* variable in preload/")
result("environment_tracer", problems)

# ---- run-with-tracer.sh -----------------------------------------------------------
rwt = read("run-with-tracer.sh")
rwt_opts = set()
for pat in re.findall(r"^\s+((?:-[-\w]*\|?)+)\)", rwt, re.M):
    rwt_opts |= {p for p in pat.split("|") if re.fullmatch(r"--?[a-z][a-z-]*", p)}
rwt_help = subprocess.run([os.path.join(REPO, "run-with-tracer.sh"), "--help"], capture_output=True, text=True,
                          check=False).stdout
htags, hall = help_tags(rwt_help)
problems = diff_sets("run-with-tracer.sh's parser", rwt_opts, "its --help", htags)
if hall - rwt_opts:
    problems.append(f"--help mentions unknown options: {' '.join(sorted(hall - rwt_opts))}")
rman = read("docs/run-with-tracer.sh.1").split("\n")
opt_sec = []
inside = False
for line in rman:
    if line.startswith(".SH"):
        inside = line.strip() == ".SH OPTIONS"
        continue
    if inside:
        opt_sec.append(line)
mtags, _ = man_tags(opt_sec)
problems += diff_sets("run-with-tracer.sh's parser", rwt_opts, "run-with-tracer.sh.1 OPTIONS", mtags)
result("options_run_with_tracer", problems)

# ---- links between the documents ----------------------------------------------------
def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped,
    spaces to hyphens."""
    h = re.sub(r"[`*_]", "", heading.strip().lower())
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


def anchors(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.*)$", text, re.M)}


problems = []
md_files = [os.path.join(REPO, "README.md")] + sorted(
    os.path.join(REPO, "docs", f) for f in os.listdir(os.path.join(REPO, "docs")) if f.endswith(".md"))
for md in md_files:
    text = re.sub(r"```.*?```", "", open(md, encoding="utf-8").read(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
        where = os.path.relpath(md, REPO)
        if not os.path.exists(full):
            problems.append(f"{where}: link to missing {target}")
        elif anchor and full.endswith(".md") and anchor not in anchors(full):
            problems.append(f"{where}: no heading for #{anchor} in {os.path.relpath(full, REPO)}")
result("doc_links", problems)

# Every guide is reachable from the index.
index = read("docs/README.md")
problems = [f"docs/{f} is not linked from docs/README.md" for f in sorted(os.listdir(os.path.join(REPO, "docs")))
            if (f.endswith(".md") or f.endswith((".1", ".7"))) and f != "README.md" and f"({f})" not in index
            and f"({f}#" not in index]
result("doc_index", problems)

sys.exit(1 if FAILS else 0)
