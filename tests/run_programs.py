#!/usr/bin/env python3
"""Run leaktrace's end-to-end test programs (tests/programs/) and check the
leaks the analyzer reports for them against the expectations written in
each program's header.

usage:
    python3 tests/run_programs.py --lib build/libleaktrace.so \
        --analyzer build/leaktrace --out build/test-programs [NAMES...]

For every program (tests/programs/*.c and *.cpp, except lib*.c, which are
shared libraries that programs ask for with BUILD-LIB), in a fresh directory
OUT/NAME/:
  1. build it: gcc (g++ for .cpp) -O0 -g -fno-omit-frame-pointer + BUILD flags,
     and each BUILD-LIB source as a .so next to the executable;
  2. run it untraced, then traced (LD_PRELOAD=LIB,
     LEAKTRACE_OUTPUT=OUT/NAME/NAME.%p.trace); both must exit with the
     expected status and print the same stdout;
  3. run `ANALYZER report --leak-kinds all --format json TRACE` on every
     trace produced (every block live at exit, whatever its reachability)
     (one, or two for a program with EXPECT-CHILD lines: the parent's trace
     is the one whose process.pid is the pid of the process we started);
  4. check every report: process.complete is true (every program ends
     normally), the trace is named after process.pid, basename of
     process.exe is NAME; then every expectation.
The reports are kept as TRACE.json, the traced run's stderr as traced.stderr.

Directives (whole-line comments, anywhere in the program's source):
  // BUILD: FLAGS                       extra compiler/linker flags
  // BUILD-LIB: libX.c                  build tests/programs/libX.c as libX.so
  // EXPECT: leak FUNCTION BYTES BLOCKS sum over leak groups whose
                                        stack[0].function is FUNCTION
                                        ("leak F 0 0": F must not leak)
  // EXPECT: no-other-leaks             no leak group whose stack[0] is in the
                                        program's own sources (the program and
                                        its BUILD-LIB files), other than the
                                        functions named in "leak" lines
  // EXPECT: no-leaks                   the leak list is empty
  // EXPECT: allocations N              totals.allocations == N
  // EXPECT: allocations-at-least N     totals.allocations >= N
  // EXPECT: frees-at-least N           totals.frees >= N
  // EXPECT: depth-truncated FUNCTION [N]  every leak group at FUNCTION has a
                                        stack of exactly N frames (default 64)
  // EXPECT: module FUNCTION NAME       every leak group at FUNCTION has
                                        basename(stack[0].module) == NAME
  // EXPECT: exit N                     expected exit status (default 0)
  // EXPECT-CHILD: ...                  same (except exit), for the trace of
                                        the (single) forked child

Function names are compared after dropping a trailing parameter list, so
"f()" or "ns::f(int) const" in a report match an expectation "f" / "ns::f".
A leak group counts as the program's own (for no-other-leaks) when the
basename of stack[0].file is one of its sources or, if the report gives no
file for that frame, when its function is defined in one of them.

Prints one line per program, "PASS name" or "FAIL name: reason" (followed by
indented details), then "N passed, M failed"; exits 1 if anything failed,
2 on a usage error. Python 3 standard library only.
"""

import argparse
import difflib
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS_DIR = os.path.join(HERE, "programs")
BASE_FLAGS = ["-O0", "-g", "-fno-omit-frame-pointer"]
DEFAULT_DEPTH = 64
TOP_LEAKS_SHOWN = 12

DIRECTIVE_RE = re.compile(r"^\s*//\s*(EXPECT|EXPECT-CHILD|BUILD|BUILD-LIB):(.*)$")


class Failure(Exception):
    """A program failed; str() is the one-line reason, details are extra lines."""

    def __init__(self, reason, details=()):
        super().__init__(reason)
        self.details = list(details)


# ---------------------------------------------------------------- directives

class Expectations:
    """The parsed EXPECT (or EXPECT-CHILD) lines for one process."""

    def __init__(self):
        self.leaks = {}            # function -> (bytes, blocks)
        self.no_other_leaks = False
        self.no_leaks = False
        self.allocations = None
        self.allocations_at_least = None
        self.frees_at_least = None
        self.depth_truncated = {}  # function -> frames
        self.modules = {}          # function -> module basename
        self.exit_status = 0

    def empty(self):
        return not (self.leaks or self.no_other_leaks or self.no_leaks
                    or self.allocations is not None
                    or self.allocations_at_least is not None
                    or self.frees_at_least is not None
                    or self.depth_truncated or self.modules)


class Program:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.is_cxx = path.endswith((".cpp", ".cc", ".cxx"))
        self.build_flags = []
        self.libs = []             # source paths of BUILD-LIB libraries
        self.parent = Expectations()
        self.child = None          # Expectations, if the program forks
        self._parse()

    def _parse(self):
        with open(self.path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        for lineno, line in enumerate(lines, 1):
            m = DIRECTIVE_RE.match(line)
            if not m:
                continue
            kind, text = m.group(1), m.group(2).strip()
            where = "%s:%d" % (os.path.basename(self.path), lineno)
            if kind == "BUILD":
                self.build_flags += shlex.split(text)
            elif kind == "BUILD-LIB":
                lib = os.path.join(os.path.dirname(self.path), text)
                if not os.path.isfile(lib):
                    raise ValueError("%s: no such library source %s" % (where, text))
                self.libs.append(lib)
            else:
                if kind == "EXPECT-CHILD" and self.child is None:
                    self.child = Expectations()
                exp = self.parent if kind == "EXPECT" else self.child
                _parse_expect(exp, text, where, allow_exit=(kind == "EXPECT"))

    def sources(self):
        return [self.path] + self.libs


def _parse_expect(exp, text, where, allow_exit):
    words = text.split()
    if not words:
        raise ValueError("%s: empty EXPECT line" % where)
    key, args = words[0], words[1:]

    def ints(n):
        if len(args) != n:
            raise ValueError("%s: '%s' takes %d argument(s)" % (where, key, n))
        try:
            return [int(a) for a in args[-n:]]
        except ValueError:
            raise ValueError("%s: bad number in '%s'" % (where, text))

    if key == "leak":
        if len(args) != 3:
            raise ValueError("%s: usage: leak FUNCTION BYTES BLOCKS" % where)
        try:
            b, n = int(args[1]), int(args[2])
        except ValueError:
            raise ValueError("%s: bad number in '%s'" % (where, text))
        if args[0] in exp.leaks:
            raise ValueError("%s: function %s listed twice" % (where, args[0]))
        exp.leaks[args[0]] = (b, n)
    elif key == "no-other-leaks" and not args:
        exp.no_other_leaks = True
    elif key == "no-leaks" and not args:
        exp.no_leaks = True
    elif key == "allocations":
        exp.allocations = ints(1)[0]
    elif key == "allocations-at-least":
        exp.allocations_at_least = ints(1)[0]
    elif key == "frees-at-least":
        exp.frees_at_least = ints(1)[0]
    elif key == "depth-truncated" and len(args) in (1, 2):
        try:
            depth = int(args[1]) if len(args) == 2 else DEFAULT_DEPTH
        except ValueError:
            raise ValueError("%s: bad number in '%s'" % (where, text))
        exp.depth_truncated[args[0]] = depth
    elif key == "module" and len(args) == 2:
        exp.modules[args[0]] = args[1]
    elif key == "exit" and allow_exit:
        exp.exit_status = ints(1)[0]
    else:
        raise ValueError("%s: unknown expectation '%s'" % (where, text))


C_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "catch",
              "do", "else", "defined", "alignof", "_Alignof", "decltype"}


def defined_functions(path):
    """Names of the functions a C/C++ source defines (a lenient regex scan:
    NAME(...) { at file level, comments and strings removed)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', text)
    names = set()
    for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(([^()]|\([^()]*\))*\)\s*(const\s*)?\{", text):
        if m.group(1) not in C_KEYWORDS:
            names.add(m.group(1))
    return names


# ---------------------------------------------------------------- helpers

def norm_function(name):
    """Drop a trailing parameter list (and cv-qualifier) from a function name."""
    if not name:
        return "?"
    name = name.strip()
    for suffix in (" const", " volatile", " &", " &&"):
        if name.endswith(suffix):
            name = name[: -len(suffix)].rstrip()
    if name.endswith(")"):
        depth = 0
        for i in range(len(name) - 1, -1, -1):
            if name[i] == ")":
                depth += 1
            elif name[i] == "(":
                depth -= 1
                if depth == 0:
                    if i > 0:
                        return name[:i].rstrip()
                    break
    return name


def frame0(group):
    stack = group.get("stack") or []
    return stack[0] if stack else {}


def group_function(group):
    return norm_function(frame0(group).get("function"))


def describe_group(group):
    f = frame0(group)
    where = ""
    if f.get("file"):
        where = " (%s:%s)" % (os.path.basename(str(f["file"])), f.get("line"))
    module = " [%s]" % os.path.basename(str(f["module"])) if f.get("module") else ""
    return "%8s bytes %6s blocks  %s%s%s  depth %d" % (
        group.get("bytes"), group.get("blocks"), f.get("function") or "?",
        where, module, len(group.get("stack") or []))


def run(cmd, timeout, **kw):
    """Run cmd in its own process group; on timeout kill the whole group
    (forked children included). Returns (returncode, stdout, stderr, pid);
    returncode is None on timeout."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True, **kw)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err, proc.pid
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        return None, out, err, proc.pid


def tail(data, lines=15):
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    rows = text.rstrip().splitlines()
    if len(rows) > lines:
        rows = ["..."] + rows[-lines:]
    return ["    | " + r for r in rows]


def status_text(rc, timeout=None):
    if rc is None:
        return "timed out" + (" after %g s" % timeout if timeout else "")
    if rc < 0:
        try:
            return "killed by %s" % signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit status %d" % rc


def clean_env():
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    for k in list(env):
        if k.startswith("LEAKTRACE_"):
            del env[k]
    return env


# ---------------------------------------------------------------- the runner

class Runner:
    def __init__(self, lib, analyzer, out, timeout, cc, cxx, verbose):
        self.lib = lib
        self.analyzer = analyzer
        self.out = out
        self.timeout = timeout
        self.cc = cc
        self.cxx = cxx
        self.verbose = verbose

    def build(self, prog, workdir):
        exe = os.path.join(workdir, prog.name)
        for lib in prog.libs:
            so = os.path.join(workdir, os.path.splitext(os.path.basename(lib))[0] + ".so")
            compiler = self.cxx if lib.endswith((".cpp", ".cc", ".cxx")) else self.cc
            self._compile([compiler] + BASE_FLAGS + ["-shared", "-fPIC", "-o", so, lib])
        compiler = self.cxx if prog.is_cxx else self.cc
        self._compile([compiler] + BASE_FLAGS + ["-o", exe, prog.path] + prog.build_flags)
        return exe

    def _compile(self, cmd):
        rc, out, err, _ = run(cmd, self.timeout)
        if rc != 0:
            raise Failure("build failed (%s)" % status_text(rc),
                          ["    $ " + " ".join(shlex.quote(c) for c in cmd)] + tail(out + err))

    def analyze(self, trace):
        # These programs test what is traced (which blocks are live at exit,
        # their stacks), not their reachability (tests/reach/): every live
        # block is listed, whatever the exit scan says of it.
        cmd = [self.analyzer, "report", "--leak-kinds", "all", "--format", "json", trace]
        rc, out, err, _ = run(cmd, self.timeout)
        name = os.path.basename(trace)
        if rc is None or rc < 0:
            raise Failure("analyzer %s on %s" % (status_text(rc), name), tail(err))
        try:
            report = json.loads(out.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise Failure("analyzer output for %s is not JSON (%s, %s)" % (name, status_text(rc), e),
                          ["    stdout:"] + tail(out, 8) + ["    stderr:"] + tail(err, 8))
        bad = [k for k, t in (("process", dict), ("totals", dict), ("leaks", list))
               if not isinstance(report, dict) or not isinstance(report.get(k), t)]
        if bad:
            text = out.decode("utf-8", "replace")
            raise Failure("analyzer report for %s: missing or malformed %s" % (name, ", ".join(bad)),
                          ["    | " + text[:300] + ("..." if len(text) > 300 else "")])
        with open(trace + ".json", "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        return report

    def run_program(self, prog):
        workdir = os.path.join(self.out, prog.name)
        shutil.rmtree(workdir, ignore_errors=True)
        os.makedirs(workdir)
        exe = self.build(prog, workdir)
        want_rc = prog.parent.exit_status

        # Untraced reference run.
        rc, plain_out, err, _ = run([exe], self.timeout, cwd=workdir, env=clean_env())
        if rc != want_rc:
            raise Failure("untraced run: %s, expected exit status %d" % (status_text(rc, self.timeout), want_rc),
                          tail(err))

        # Traced run.
        env = clean_env()
        env["LD_PRELOAD"] = self.lib
        env["LEAKTRACE_OUTPUT"] = os.path.join(workdir, prog.name + ".%p.trace")
        rc, traced_out, err, pid = run([exe], self.timeout, cwd=workdir, env=env)
        with open(os.path.join(workdir, "traced.stderr"), "wb") as f:
            f.write(err)
        if rc != want_rc:
            raise Failure("traced run: %s, expected exit status %d" % (status_text(rc, self.timeout), want_rc),
                          tail(err))
        if traced_out != plain_out:
            diff = difflib.unified_diff(
                plain_out.decode("utf-8", "replace").splitlines(),
                traced_out.decode("utf-8", "replace").splitlines(),
                "untraced stdout", "traced stdout", lineterm="")
            raise Failure("stdout differs when traced", ["    " + d for d in list(diff)[:40]])

        # Find and analyze the traces.
        traces = sorted(glob.glob(os.path.join(glob.escape(workdir), prog.name + ".*.trace")))
        want = 2 if prog.child else 1
        if len(traces) != want:
            others = sorted(os.listdir(workdir))
            raise Failure("expected %d trace file(s) %s.<pid>.trace, found %d" % (
                want, prog.name, len(traces)), ["    files in %s: %s" % (workdir, " ".join(others))])
        reports = [(t, self.analyze(t)) for t in traces]
        parent = [(t, r) for t, r in reports if r["process"].get("pid") == pid]
        if len(parent) != 1:
            raise Failure("no trace has process.pid == %d (the pid we started)" % pid,
                          ["    %s: process.pid = %r" % (os.path.basename(t), r["process"].get("pid"))
                           for t, r in reports])
        checked = [("parent" if prog.child else "", parent[0], prog.parent)]
        if prog.child:
            child = [(t, r) for t, r in reports if r["process"].get("pid") != pid][0]
            checked.append(("child", child, prog.child))
        problems, details = [], []
        for who, (trace, report), exp in checked:
            found = self.check_process(prog, who, trace, report)
            found += check_report(prog, exp, report, who)
            if found:
                problems += [reason for reason, _ in found]
                details.append("    --- %s%s" % ((who + " trace ") if who else "trace ",
                                                 os.path.basename(trace)))
                for reason, lines in found:
                    details.append("    * " + reason)
                    details += lines
                details += top_leaks(report["leaks"])
        if problems:
            reason = problems[0] + ("" if len(problems) == 1 else
                                    " (and %d more problem(s))" % (len(problems) - 1))
            raise Failure(reason, details)
        if self.verbose:
            for t, r in reports:
                print("  %s: totals %s, %d leak group(s)" % (
                    os.path.basename(t), json.dumps(r["totals"], sort_keys=True), len(r["leaks"])))

    def check_process(self, prog, who, trace, report):
        """Sanity of the report's "process" object; (reason, details) list."""
        proc = report["process"]
        label = (who + ": ") if who else ""
        problems = []
        if proc.get("complete") is not True:
            problems.append(("%sprocess.complete is %r, but the program exited normally" % (
                label, proc.get("complete")), []))
        want_name = "%s.%s.trace" % (prog.name, proc.get("pid"))
        if os.path.basename(trace) != want_name:
            problems.append(("%strace file is %s, but process.pid says %s" % (
                label, os.path.basename(trace), want_name), []))
        exe = proc.get("exe")
        if not exe or os.path.basename(str(exe)) != prog.name:
            problems.append(("%sprocess.exe is %r, expected .../%s" % (label, exe, prog.name), []))
        return problems


def own_functions(prog):
    names = set()
    for src in prog.sources():
        names |= defined_functions(src)
    return names


def top_leaks(leaks):
    top = ["    top of the actual leak list (%d group(s), by bytes):" % len(leaks)]
    top += ["    " + describe_group(g) for g in
            sorted(leaks, key=lambda g: -int(g.get("bytes", 0)))[:TOP_LEAKS_SHOWN]]
    if not leaks:
        top.append("      (empty)")
    return top


def check_report(prog, exp, report, who):
    """Compare one analyzer report with one Expectations; returns a list of
    (one-line reason, detail lines)."""
    label = (who + ": ") if who else ""
    leaks = report["leaks"]
    totals = report["totals"]
    problems = []

    per_function = {}
    for g in leaks:
        fn = group_function(g)
        b, n = per_function.get(fn, (0, 0))
        per_function[fn] = (b + int(g.get("bytes", 0)), n + int(g.get("blocks", 0)))

    # leak FUNCTION BYTES BLOCKS
    wrong = [fn for fn, want in exp.leaks.items() if per_function.get(fn, (0, 0)) != want]
    if wrong:
        table = ["    %-32s %22s %22s" % ("function", "expected bytes/blocks", "actual bytes/blocks")]
        for fn, want in exp.leaks.items():
            got = per_function.get(fn, (0, 0))
            table.append("    %-32s %22s %22s%s" % (fn, "%d/%d" % want, "%d/%d" % got,
                                                   "   <-- differs" if got != want else ""))
        problems.append(("%sleaks differ for %s" % (label, ", ".join(wrong)), table))

    # no-other-leaks
    if exp.no_other_leaks:
        own_names = own_functions(prog)
        own_files = {os.path.basename(s) for s in prog.sources()}
        extra = []
        for g in leaks:
            fn = group_function(g)
            f = frame0(g)
            if f.get("file"):
                is_own = os.path.basename(str(f["file"])) in own_files
            else:
                is_own = fn in own_names
            if is_own and fn not in exp.leaks:
                extra.append(g)
        if extra:
            problems.append(("%sunexpected leaks from the program's own code: %s" % (
                label, ", ".join(sorted({group_function(g) for g in extra}))),
                ["    " + describe_group(g) for g in extra[:TOP_LEAKS_SHOWN]]))

    # no-leaks
    if exp.no_leaks and leaks:
        problems.append(("%sexpected no leaks at all, got %d group(s)" % (label, len(leaks)), []))

    # totals
    allocs, frees = totals.get("allocations"), totals.get("frees")
    if exp.allocations is not None and allocs != exp.allocations:
        problems.append(("%stotals.allocations is %r, expected %d" % (label, allocs, exp.allocations), []))
    if exp.allocations_at_least is not None and not (
            isinstance(allocs, int) and allocs >= exp.allocations_at_least):
        problems.append(("%stotals.allocations is %r, expected at least %d" % (
            label, allocs, exp.allocations_at_least), []))
    if exp.frees_at_least is not None and not (
            isinstance(frees, int) and frees >= exp.frees_at_least):
        problems.append(("%stotals.frees is %r, expected at least %d" % (
            label, frees, exp.frees_at_least), []))

    # depth-truncated FUNCTION [N]
    for fn, depth in exp.depth_truncated.items():
        groups = [g for g in leaks if group_function(g) == fn]
        depths = [len(g.get("stack") or []) for g in groups]
        if not groups or any(d != depth for d in depths):
            problems.append(("%sstack depth at %s is %s, expected exactly %d frames" % (
                label, fn, depths or "(no leak there)", depth), []))

    # module FUNCTION NAME
    for fn, module in exp.modules.items():
        got = [os.path.basename(str(frame0(g).get("module") or "")) for g in leaks
               if group_function(g) == fn]
        if not got or any(m != module for m in got):
            problems.append(("%smodule of %s is %s, expected %s" % (
                label, fn, got or "(no leak there)", module), []))
    return problems


def discover():
    progs = []
    for path in sorted(glob.glob(os.path.join(PROGRAMS_DIR, "*.c")) +
                       glob.glob(os.path.join(PROGRAMS_DIR, "*.cpp"))):
        if not os.path.basename(path).startswith("lib"):
            progs.append(path)
    return progs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lib", default="build/libleaktrace.so", help="the tracer (LD_PRELOAD)")
    ap.add_argument("--analyzer", default="build/leaktrace", help="the analyzer executable")
    ap.add_argument("--out", default="build/test-programs", help="work directory")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per subprocess (60)")
    ap.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    ap.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    ap.add_argument("-v", "--verbose", action="store_true", help="print totals of passing programs")
    ap.add_argument("--list", action="store_true", help="list the programs and exit")
    ap.add_argument("names", nargs="*", metavar="NAMES", help="programs to run (default: all)")
    args = ap.parse_args(argv)

    paths = discover()
    by_name = {os.path.splitext(os.path.basename(p))[0]: p for p in paths}
    if args.list:
        print("\n".join(sorted(by_name)))
        return 0
    unknown = [n for n in args.names if n not in by_name]
    if unknown:
        print("unknown program(s): %s (have: %s)" % (" ".join(unknown), " ".join(sorted(by_name))),
              file=sys.stderr)
        return 2
    lib, analyzer, out = (os.path.abspath(p) for p in (args.lib, args.analyzer, args.out))
    if not os.path.isfile(lib):
        print("tracer library not found: %s" % lib, file=sys.stderr)
        return 2
    if not (os.path.isfile(analyzer) and os.access(analyzer, os.X_OK)):
        print("analyzer not found or not executable: %s" % analyzer, file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)

    runner = Runner(lib, analyzer, out, args.timeout, args.cc, args.cxx, args.verbose)
    passed = failed = 0
    for name in (args.names or sorted(by_name)):
        try:
            prog = Program(by_name[name])
            if prog.parent.empty() and prog.child is None:
                raise Failure("no EXPECT lines in %s" % os.path.basename(prog.path))
            runner.run_program(prog)
        except Failure as f:
            failed += 1
            print("FAIL %s: %s" % (name, f))
            for line in f.details:
                print(line)
        except (ValueError, OSError) as e:
            failed += 1
            print("FAIL %s: %s" % (name, e))
        else:
            passed += 1
            print("PASS %s" % name)
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
