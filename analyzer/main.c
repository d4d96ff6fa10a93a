/*
 * main.c - the leaktrace command line: parses arguments, wires the layers
 * (decode -> replay -> report -> output) and maps errors to exit statuses:
 *   0 success   2 bad usage   3 cannot read a file   4 not a trace / wrong
 *   version   5 corrupt trace (offset given)   6 out of memory
 *   (1: diff --fail-above; 23: ci, findings remain; see docs/ci.md)
 */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/lt_format.h"
#include "error.h"
#include "output.h"
#include "replay.h"
#include "report.h"
#include "symbolize.h"
#include "diff.h"
#include "dump.h"
#include "flame.h"
#include "output_profile.h"
#include "pprof.h"
#include "source.h"
#include "threads.h"
#include "growth.h"
#include "timeline.h"
#include "output_growth.h"
#include "output_threads.h"
#include "suppress.h"
#include "ci.h"
#include "progress.h"
#include "html.h"
#include "outfile.h"

#define VERSION "0.1.0"

static FILE *open_out(const char *path, unsigned flags, const char *what);
static const char *prog = "leaktrace";
static const char *cur_cmd = "help";   /* the command being run, for "Try 'leaktrace CMD --help'" */

static void usage_main(FILE *o)
{
    fprintf(o,
            "usage: leaktrace COMMAND [OPTIONS] ARGS\n"
            "\n"
            "Offline analyzer for traces written by libleaktrace.so\n"
            "(LD_PRELOAD=libleaktrace.so PROGRAM writes leaktrace.PROGRAM.PID.trace).\n"
            "\n"
            "commands:\n"
            "  report TRACE        what leaked, by allocation stack: definitely and indirectly\n"
            "                      lost blocks (exit scan, LEAKTRACE_SCAN), else never freed\n"
            "  dump TRACE          the live heap at one moment (--at, --mark, --peak)\n"
            "  diff A B            what grew between two dumps, marks, moments or runs\n"
            "  pprof TRACE|DUMP    a gzip'd pprof profile for go tool pprof, Pyroscope, Parca\n"
            "  flamegraph TRACE|DUMP  an SVG flame graph, or folded stacks (--folded)\n"
            "  marks TRACE         the marks (and periodic samples) recorded in a trace\n"
            "  threads TRACE       thread leaks: running at exit, never joined, growing\n"
            "  growth TRACE        allocation sites whose live memory keeps growing (servers)\n"
            "  timeline TRACE      the live heap over time: SVG plot, or CSV (--csv)\n"
            "  ci DIR|TRACE...     one verdict over a traced test run (every process): leaks,\n"
            "                      thread alerts, growth, per-test leaks; exit status 23 when\n"
            "                      findings remain (docs/ci.md)\n"
            "  events TRACE        every record, one per line (for debugging the tracer)\n"
            "  html TRACE|DIR...   one self-contained HTML page: summary, heap timeline, leak\n"
            "                      table, growth, thread alerts, flame graphs (docs/html.md)\n"
            "  help [COMMAND]      this text, or a command's options\n"
            "  version             the version and the trace format it reads\n"
            "\n"
            "Moments inside a trace: --at SECONDS (since the tracer started), --mark LABEL\n"
            "(the first leaktrace_mark(LABEL) or signal mark), --end (default), --peak; in\n"
            "diff, TRACE@LABEL, TRACE@SECONDS, TRACE@peak, TRACE@end.\n"
            "\n"
            "exit status: 0 success, 1 diff --fail-above: the heap grew more than allowed,\n"
            "23 ci: findings remain (--exit-code changes it),\n"
            "2 bad usage (also: no such mark), 3 a file cannot be read or written, 4 not a\n"
            "leaktrace trace or dump, or an unsupported format version, 5 corrupt trace or\n"
            "dump (the message says where), 6 out of memory. A trace cut short (the process\n"
            "was killed) is reported with a warning and exit status 0.\n"
            "\n"
            "Progress: reading a trace shows a progress line on stderr (percent read,\n"
            "events/s) when stderr is a terminal; -q/--quiet or LEAKTRACE_PROGRESS=0 turns\n"
            "it off, LEAKTRACE_PROGRESS=1 shows it even when stderr is not a terminal.\n"
            "\n"
            "Run 'leaktrace COMMAND --help' for a command's options. Documentation: docs/\n"
            "(start with docs/getting-started.md) and the man page leaktrace(1).\n");
}

static void usage_report(FILE *o)
{
    fprintf(o,
            "usage: leaktrace report [OPTIONS] TRACE\n"
            "\n"
            "Prints totals and the leaks (blocks never freed by the end of the trace),\n"
            "grouped by allocation stack, largest first, symbolized to function,\n"
            "file:line and module. When the tracer scanned the heap at exit\n"
            "(LEAKTRACE_SCAN, on by default) every block has valgrind's kind: only\n"
            "definitely and indirectly lost blocks are leaks and listed; possibly lost\n"
            "and still reachable blocks are counted (docs/reachability.md).\n"
            "\n"
            "options:\n"
            "  --format text|json          output format (default text); the JSON shape is\n"
            "                              documented in docs/analyzer.md\n"
            "  --top N                     text: show the N largest sites only (default 20,\n"
            "                              0 = all); JSON always has all\n"
            "  --no-default-suppressions   also show one-time runtime allocations (stdio\n"
            "                              buffers, dynamic loader data, C++ runtime pools)\n"
            "  --no-demangle               show C++ names as in the symbol table\n"
            "  --suppressions FILE         leak:, thread: and growth: rules (LeakSanitizer's\n"
            "                              format, docs/ci.md); the report says what each hid;\n"
            "                              repeatable\n"
            "  --show-reachable            also list possibly lost and still reachable blocks\n"
            "  --leak-kinds LIST           the kinds that count as leaks: comma-separated\n"
            "                              definite, indirect, possible, reachable, all\n"
            "                              (default definite,indirect)\n"
            "  -o, --output FILE           write the report to FILE instead of stdout\n"
            "  -q, --quiet                 no progress line on stderr\n"
            "  -h, --help                  this text\n");
}

static void warn_cb(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s: warning: %s\n", prog, msg);
}

static int fail(const lt_err_t *e)
{
    fprintf(stderr, "%s: error: %s\n", prog, e->msg);
    return e->code ? e->code : 1;
}

static int usage_error(const char *fmt, const char *arg, void (*usage)(FILE *))
{
    fprintf(stderr, "%s: error: ", prog);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    if (usage) fprintf(stderr, "Try 'leaktrace %s --help'.\n", cur_cmd);
    return LT_E_USAGE;
}

/* --suppressions FILE: loads FILE into *s (created on first use). Returns 0,
 * or the exit status after printing the error ("FILE:LINE: ..."). */
static int load_suppressions(lt_supp_t **s, const char *path)
{
    lt_err_t err = { 0 };
    if (!*s && !(*s = lt_supp_new())) {
        fprintf(stderr, "%s: error: out of memory\n", prog);
        return LT_E_NOMEM;
    }
    if (lt_supp_load(*s, path, &err) < 0) return fail(&err);
    return 0;
}

enum { O_FORMAT = 256, O_TOP, O_NODEF, O_NODEM, O_AT, O_MARK, O_END, O_PEAK, O_FAIL, O_WHAT, O_FOLDED, O_TITLE, O_SAMPLES,
       O_IGNORE_THREAD, O_IGNORE_RUNNING, O_MINDUR, O_WINDOW, O_RES, O_MINCONF, O_FOLLOW, O_CSV, O_SUPP,
       O_SHOWREACH, O_LEAKKINDS };

/* The options most commands share (--format, --no-demangle, -o, --help)
 * and getopt's errors. json, symflags, outpath may be NULL for a command
 * without that option. Returns OPT_NOT_MINE for any other option,
 * OPT_DONE when c was handled, or an exit status to return now. */
#define OPT_NOT_MINE (-2)
#define OPT_DONE (-1)
static int common_option(int c, char **argv, void (*usage)(FILE *), int *json, unsigned *symflags, const char **outpath)
{
    switch (c) {
    case O_FORMAT:
        if (!json) return OPT_NOT_MINE;
        if (!strcmp(optarg, "json")) *json = 1;
        else if (!strcmp(optarg, "text")) *json = 0;
        else return usage_error("unknown format '%s' (use text or json)", optarg, usage);
        return OPT_DONE;
    case O_NODEM:
        if (!symflags) return OPT_NOT_MINE;
        *symflags |= LT_SYM_NO_DEMANGLE;
        return OPT_DONE;
    case 'o':
        if (!outpath) return OPT_NOT_MINE;
        *outpath = optarg;
        return OPT_DONE;
    case 'h': usage(stdout); return 0;
    case 'q': lt_progress_enable(0, NULL); return OPT_DONE;
    case ':': return usage_error("option '%s' needs a value", argv[optind - 1], usage);
    case '?': return usage_error("unknown option '%s'", argv[optind - 1], usage);
    default: return OPT_NOT_MINE;
    }
}

static int parse_count(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || s[0] == '-') return -1;
    *out = (size_t)v;
    return 0;
}

/* report, with the suppressions it loads left in *supp for the caller to free. */
static int report_main(int argc, char **argv, lt_supp_t **supp)
{
    
    static const struct option opts[] = {
        { "format", required_argument, NULL, O_FORMAT },
        { "top", required_argument, NULL, O_TOP },
        { "no-default-suppressions", no_argument, NULL, O_NODEF },
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "suppressions", required_argument, NULL, O_SUPP },
        { "show-reachable", no_argument, NULL, O_SHOWREACH },
        { "leak-kinds", required_argument, NULL, O_LEAKKINDS },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0;
    unsigned symflags = 0;
    const char *outpath = NULL;
    lt_report_opts_t ro = { 0 };
    lt_text_opts_t to = { .top = 20 };
    int c, r;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        int cr = common_option(c, argv, usage_report, &json, &symflags, &outpath);
        if (cr != OPT_NOT_MINE) {
            if (cr >= 0) return cr;
            continue;
        }
        switch (c) {
        case O_SUPP:
            if ((r = load_suppressions(supp, optarg)) != 0) return r;
            break;
        case O_TOP:
            if (parse_count(optarg, &to.top)) return usage_error("--top wants a whole number, not '%s'", optarg, usage_report);
            break;
        case O_NODEF: ro.no_default_suppressions = 1; break;
        case O_SHOWREACH: ro.show = LT_KINDS_ALL; break;
        case O_LEAKKINDS:
            if (lt_leak_kinds_parse(optarg, &ro.kinds) || !ro.kinds)
                return usage_error("--leak-kinds takes definite, indirect, possible, reachable or all, comma-separated; not '%s'",
                                   optarg, usage_report);
            break;
        }
    }
    if (optind >= argc) return usage_error("%s", "report needs a TRACE file", usage_report);
    if (optind + 1 < argc) return usage_error("unexpected argument '%s' (one TRACE at a time)", argv[optind + 1], usage_report);
    const char *path = argv[optind];
    ro.supp = *supp;

    lt_err_t err = { 0 };
    lt_replay_t *rp;
    if (lt_replay_file_series(path, 0, 200, &rp, &err) < 0) return fail(&err);
    lt_source_warn_replay(rp, path, warn_cb, NULL);
    lt_symbolizer_t *sym = lt_sym_open(rp->mods, rp->nmods, symflags, warn_cb, NULL);
    if (!sym) { lt_replay_free(rp); fprintf(stderr, "%s: error: out of memory\n", prog); return LT_E_NOMEM; }
    lt_report_t *rep;
    if (lt_report_build(rp, sym, &ro, &rep, &err) < 0) { lt_sym_close(sym); lt_replay_free(rp); return fail(&err); }
    lt_thread_opts_t tho = { NULL, 0, 0, *supp };
    lt_thread_report_t *thr = NULL;
    if (lt_threads_build(rp, sym, &tho, &thr, &err) < 0) {
        lt_report_free(rep); lt_sym_close(sym); lt_replay_free(rp);
        return fail(&err);
    }
    rep->threads = thr;
    lt_growth_opts_t gro;
    lt_growth_opts_default(&gro);
    gro.include_runtime = ro.no_default_suppressions;
    gro.supp = *supp;
    lt_growth_t *gr = NULL;
    if (rp->series && rp->series->nslices && lt_growth_build(rp, sym, &gro, &gr, &err) < 0 && err.code == LT_E_NOMEM) {
        lt_threads_free(thr); lt_report_free(rep); lt_sym_close(sym); lt_replay_free(rp);
        return fail(&err);
    }
    rep->growth = gr;
    FILE *out = open_out(outpath, 0, "the report");
    if (!out) {
        lt_threads_free(thr); lt_growth_free(gr); lt_report_free(rep); lt_sym_close(sym); lt_replay_free(rp);
        return LT_E_IO;
    }
    if (json) lt_output_report_json(out, rep);
    else lt_output_report_text(out, rep, &to);
    int rc = 0;
    if (fflush(out) != 0 || ferror(out)) { fprintf(stderr, "%s: error: writing the report failed\n", prog); rc = LT_E_IO; }
    if (out != stdout) fclose(out);
    lt_threads_free(thr);
    lt_growth_free(gr);
    lt_report_free(rep);
    lt_sym_close(sym);
    lt_replay_free(rp);
    return rc;
}

static int cmd_report(int argc, char **argv)
{
    lt_supp_t *supp = NULL;
    int rc = report_main(argc, argv, &supp);
    lt_supp_free(supp);
    return rc;
}

/* leaktrace events TRACE: every record as the decoder sees it, one per
 * line, in file order. For debugging the tracer and for tests. */
static void usage_events(FILE *o)
{
    fprintf(o,
            "usage: leaktrace events TRACE\n"
            "\n"
            "Prints every record of TRACE as the decoder sees it, one per line, in file\n"
            "order. For debugging the tracer and for tests: the output is not a stable\n"
            "format.\n");
}

static int cmd_events(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage_events(stdout);
        return 0;
    }
    if (argc != 2) return usage_error("%s", "usage: leaktrace events TRACE", NULL);
    lt_err_t err = { 0 };
    lt_trace_file_t *f;
    if (lt_file_open(argv[1], &f, &err) < 0) return fail(&err);
    lt_rec_t r;
    int rc;
    for (;;) {
        rc = lt_file_next(f, &r, &err);
        if (rc == -LT_E_CORRUPT) {   /* a damaged chunk: skipped, say so, go on */
            fprintf(stderr, "%s: warning: %s: skipped\n", prog, err.msg);
            continue;
        }
        if (rc != 1) break;
        switch (r.type) {
        case LT_REC_ALLOC:
            printf("alloc seq=%llu tid=%u ts=%llu addr=0x%llx size=%llu stack=%u fn=%u\n", (unsigned long long)r.seq, r.tid,
                   (unsigned long long)r.ts, (unsigned long long)r.addr, (unsigned long long)r.size, r.stack, r.fn);
            break;
        case LT_REC_FREE:
            printf("free seq=%llu tid=%u ts=%llu addr=0x%llx\n", (unsigned long long)r.seq, r.tid, (unsigned long long)r.ts,
                   (unsigned long long)r.addr);
            break;
        case LT_REC_REALLOC:
            printf("realloc seq=%llu seq2=%llu tid=%u ts=%llu old=0x%llx new=0x%llx size=%llu stack=%u\n",
                   (unsigned long long)r.seq, (unsigned long long)r.seq2, r.tid, (unsigned long long)r.ts,
                   (unsigned long long)r.addr, (unsigned long long)r.addr2, (unsigned long long)r.size, r.stack);
            break;
        case LT_REC_NOP: printf("nop seq=%llu tid=%u\n", (unsigned long long)r.seq, r.tid); break;
        default: printf("record 0x%02x len=%zu\n", (unsigned)r.type, r.len); break;
        }
    }
    lt_file_close(f);
    if (rc < 0) return fail(&err);
    if (rc == 2) fprintf(stderr, "%s: warning: %s\n", prog, err.msg);
    return 0;
}

/* ---- dump, diff, pprof, flamegraph, marks ---------------------------------- */

static void usage_dump(FILE *o)
{
    fprintf(o,
            "usage: leaktrace dump [OPTIONS] TRACE\n"
            "\n"
            "Writes a heap dump: the blocks live at one moment of the run, summed per\n"
            "allocation stack (symbolized), with what each stack allocated up to then and\n"
            "the process's metadata. diff, pprof and flamegraph read dumps like traces.\n"
            "The format is stable and documented in docs/dumps.md.\n"
            "\n"
            "options:\n"
            "  --at SECONDS          SECONDS after the tracer started (2.5 or 2.5s)\n"
            "  --mark LABEL          the first mark LABEL (leaktrace_mark or the mark signal)\n"
            "  --peak                when live bytes were at their highest\n"
            "  --end                 the end of the trace (default)\n"
            "  --format text|json    text: tab-separated lines (default); json: one object\n"
            "  --no-demangle         keep C++ names as in the symbol table\n"
            "  -o, --output FILE     write to FILE instead of stdout: a new file, mode 0600;\n"
            "                        an existing FILE or a symbolic link is refused (exit 3)\n"
            "  -q, --quiet           no progress line on stderr\n"
            "  -h, --help            this text\n");
}

static void usage_diff(FILE *o)
{
    fprintf(o,
            "usage: leaktrace diff [OPTIONS] A B\n"
            "\n"
            "Shows how live memory changed from A to B, per allocation stack: bytes and\n"
            "blocks before and after, sites that are new or gone, largest growth first.\n"
            "A and B are heap dumps or traces; a trace means its end, TRACE@LABEL its first\n"
            "mark LABEL, TRACE@SECONDS that moment, TRACE@peak its peak. Stacks are matched\n"
            "by function, file, line and module name, so dumps of two runs of the same\n"
            "build compare cleanly despite address randomization.\n"
            "\n"
            "options:\n"
            "  --format text|json          output format (default text); JSON shape in\n"
            "                              docs/analyzer.md\n"
            "  --top N                     text: the N largest changes (default 20, 0 = all)\n"
            "  --fail-above BYTES          exit with status 1 when live memory grew by more\n"
            "                              than BYTES (suffixes K, M, G: powers of 1024)\n"
            "  --no-default-suppressions   also compare one-time runtime allocations\n"
            "  --no-demangle               keep C++ names as in the symbol table\n"
            "  -o, --output FILE           write to FILE instead of stdout\n"
            "  -q, --quiet                 no progress line on stderr\n"
            "  -h, --help                  this text\n");
}

static void usage_pprof(FILE *o)
{
    fprintf(o,
            "usage: leaktrace pprof [OPTIONS] TRACE|DUMP -o FILE\n"
            "\n"
            "Writes a gzip'd pprof profile (profile.proto) of the heap at a moment, with\n"
            "Go's heap sample types alloc_objects, alloc_space, inuse_objects, inuse_space\n"
            "(default inuse_space), fully symbolized (pprof does not need the binaries).\n"
            "  go tool pprof -top -sample_index=inuse_space FILE\n"
            "  go tool pprof -top -base BEFORE.pb.gz AFTER.pb.gz\n"
            "  go tool pprof -http=:8080 FILE          (flame graph in the browser)\n"
            "\n"
            "options:\n"
            "  --at SECONDS | --mark LABEL | --peak | --end   the moment (default: the end)\n"
            "  --no-demangle         keep C++ names as in the symbol table\n"
            "  -o, --output FILE     where to write (required; - for stdout)\n"
            "  -q, --quiet           no progress line on stderr\n"
            "  -h, --help            this text\n");
}

static void usage_flame(FILE *o)
{
    fprintf(o,
            "usage: leaktrace flamegraph [OPTIONS] TRACE|DUMP\n"
            "\n"
            "Draws a self-contained SVG flame graph of allocation stacks (hover a frame\n"
            "for its bytes and share), or prints folded stacks for flamegraph.pl,\n"
            "inferno or speedscope.\n"
            "\n"
            "options:\n"
            "  --what leaked|allocated|peak   leaked: live at the moment (default, the\n"
            "                        end: the leaks); allocated: every byte allocated up to\n"
            "                        the moment; peak: live when the heap was at its highest\n"
            "  --at SECONDS | --mark LABEL | --end   the moment (not with --what peak)\n"
            "  --folded              folded stacks instead of SVG\n"
            "  --title TEXT          the SVG's title\n"
            "  --no-default-suppressions  also draw one-time runtime allocations (stdio\n"
            "                        buffers, dynamic loader data, C++ runtime pools)\n"
            "  --no-demangle         keep C++ names as in the symbol table\n"
            "  -o, --output FILE     write to FILE instead of stdout\n"
            "  -q, --quiet           no progress line on stderr\n"
            "  -h, --help            this text\n");
}

static void usage_marks(FILE *o)
{
    fprintf(o,
            "usage: leaktrace marks [OPTIONS] TRACE\n"
            "\n"
            "Lists the marks of a trace (leaktrace_mark calls and LEAKTRACE_MARK_SIGNAL\n"
            "signals) with their time and the live heap at each.\n"
            "\n"
            "options:\n"
            "  --samples             also the tracer's periodic samples (LEAKTRACE_INTERVAL):\n"
            "                        live heap, threads and resident set size over time\n"
            "  --format text|json    output format (default text)\n"
            "  -o, --output FILE     write to FILE instead of stdout\n"
            "  -q, --quiet           no progress line on stderr\n"
            "  -h, --help            this text\n");
}


/* The moment options shared by dump, pprof and flamegraph. Returns 1 when c
 * was one of them, 0 when not, or the usage error's status (negated). */
static int moment_option(int c, const char *arg, lt_when_t *w, int *nset, void (*usage)(FILE *))
{
    switch (c) {
    case O_AT:
        w->kind = LT_MOMENT_TIME;
        if (lt_when_parse_seconds(arg, &w->ts)) return -usage_error("--at wants seconds since the start, like 2.5, not '%s'", arg, usage);
        break;
    case O_MARK:
        w->kind = LT_MOMENT_MARK;
        w->label = arg;
        break;
    case O_END: w->kind = LT_MOMENT_END; break;
    case O_PEAK: w->kind = LT_MOMENT_PEAK; break;
    default: return 0;
    }
    if (++*nset > 1) return -usage_error("%s", "give one moment: --at, --mark, --peak or --end", usage);
    return 1;
}

/* stdout for "-" or no path; else a file created under outfile.h's rules
 * (flags: LT_OUT_EXCL for heap dumps). NULL after a message. */
static FILE *open_out(const char *path, unsigned flags, const char *what)
{
    if (!path || !strcmp(path, "-")) return stdout;
    lt_err_t err = { 0 };
    FILE *f = lt_outfile_open(path, flags, what, &err);
    if (!f) fprintf(stderr, "%s: error: %s\n", prog, err.msg);
    return f;
}

/* Flushes and closes out; reports a write error. Returns 0 or LT_E_IO. */
static int close_out(FILE *out, const char *path)
{
    int bad = fflush(out) != 0 || ferror(out);
    if (out != stdout && fclose(out) != 0) bad = 1;
    if (bad) {
        fprintf(stderr, "%s: error: writing '%s' failed: %s\n", prog, path && strcmp(path, "-") ? path : "standard output",
                strerror(errno));
        return LT_E_IO;
    }
    return 0;
}

#define MOMENT_LONGOPTS                                   \
    { "at", required_argument, NULL, O_AT },              \
    { "mark", required_argument, NULL, O_MARK },          \
    { "end", no_argument, NULL, O_END },                  \
    { "peak", no_argument, NULL, O_PEAK }

static int cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        MOMENT_LONGOPTS,
        { "format", required_argument, NULL, O_FORMAT },
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lt_when_t w = { LT_MOMENT_END, 0, NULL };
    int nset = 0, json = 0, c, r;
    unsigned symflags = 0;
    const char *outpath = NULL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        int cr = common_option(c, argv, usage_dump, &json, &symflags, &outpath);
        if (cr != OPT_NOT_MINE) {
            if (cr >= 0) return cr;
            continue;
        }
        if ((r = moment_option(c, optarg, &w, &nset, usage_dump)) < 0) return -r;
        if (r) continue;
        switch (c) {
        }
    }
    if (optind >= argc) return usage_error("%s", "dump needs a TRACE file", usage_dump);
    if (optind + 1 < argc) return usage_error("unexpected argument '%s' (one TRACE at a time)", argv[optind + 1], usage_dump);
    lt_err_t err = { 0 };
    lt_profile_t *p;
    if (lt_source_load(argv[optind], &w, symflags, warn_cb, NULL, &p, &err) < 0) return fail(&err);
    FILE *out = open_out(outpath, LT_OUT_EXCL, "the heap dump");
    if (!out) { lt_profile_free(p); return LT_E_IO; }
    if (json) lt_dump_write_json(p, out);
    else lt_dump_write_text(p, out);
    lt_profile_free(p);
    return close_out(out, outpath);
}

static int parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return -1;
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K') shift = 10;
    else if (*end == 'm' || *end == 'M') shift = 20;
    else if (*end == 'g' || *end == 'G') shift = 30;
    if (shift) {
        end++;
        if (*end == 'i') end++;
        if (*end == 'B') end++;
    }
    if (*end || (shift && v > (UINT64_MAX >> shift))) return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int cmd_diff(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, O_FORMAT },
        { "top", required_argument, NULL, O_TOP },
        { "fail-above", required_argument, NULL, O_FAIL },
        { "no-default-suppressions", no_argument, NULL, O_NODEF },
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0, c, have_fail = 0, nodef = 0;
    size_t top = 20;
    uint64_t fail_above = 0;
    unsigned symflags = 0;
    const char *outpath = NULL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        int cr = common_option(c, argv, usage_diff, &json, &symflags, &outpath);
        if (cr != OPT_NOT_MINE) {
            if (cr >= 0) return cr;
            continue;
        }
        switch (c) {
        case O_TOP:
            if (parse_count(optarg, &top)) return usage_error("--top wants a whole number, not '%s'", optarg, usage_diff);
            break;
        case O_FAIL:
            if (parse_bytes(optarg, &fail_above)) return usage_error("--fail-above wants a number of bytes like 4096 or 10M, not '%s'", optarg, usage_diff);
            have_fail = 1;
            break;
        case O_NODEF: nodef = 1; break;
        }
    }
    if (argc - optind != 2) return usage_error("%s", "diff needs two inputs: A (before) and B (after)", usage_diff);
    const char *na = argv[optind], *nb = argv[optind + 1];
    lt_err_t err = { 0 };
    lt_profile_t *a = NULL, *b = NULL;
    if (lt_source_load_spec(na, symflags, warn_cb, NULL, &a, &err) < 0) return fail(&err);
    if (lt_source_load_spec(nb, symflags, warn_cb, NULL, &b, &err) < 0) { lt_profile_free(a); return fail(&err); }
    lt_diff_t *d;
    if (lt_diff_build(a, b, !nodef, &d, &err) < 0) { lt_profile_free(a); lt_profile_free(b); return fail(&err); }
    int rc = 0;
    FILE *out = open_out(outpath, 0, "the diff");
    if (!out) rc = LT_E_IO;
    else {
        if (json) lt_output_diff_json(out, d, na, nb);
        else lt_output_diff_text(out, d, na, nb, top);
        rc = close_out(out, outpath);
    }
    if (!rc && have_fail && d->bytes_delta > 0 && (uint64_t)d->bytes_delta > fail_above) {
        fprintf(stderr, "%s: live heap grew by %lld bytes, more than --fail-above %llu\n", prog, (long long)d->bytes_delta,
                (unsigned long long)fail_above);
        rc = 1;
    }
    lt_diff_free(d);
    lt_profile_free(a);
    lt_profile_free(b);
    return rc;
}

static int cmd_pprof(int argc, char **argv)
{
    static const struct option opts[] = {
        MOMENT_LONGOPTS,
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lt_when_t w = { LT_MOMENT_END, 0, NULL };
    int nset = 0, c, r;
    unsigned symflags = 0;
    const char *outpath = NULL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        int cr = common_option(c, argv, usage_pprof, NULL, &symflags, &outpath);
        if (cr != OPT_NOT_MINE) {
            if (cr >= 0) return cr;
            continue;
        }
        if ((r = moment_option(c, optarg, &w, &nset, usage_pprof)) < 0) return -r;
        if (r) continue;
        switch (c) {
        }
    }
    if (optind >= argc) return usage_error("%s", "pprof needs a TRACE or DUMP file", usage_pprof);
    if (optind + 1 < argc) return usage_error("unexpected argument '%s' (one input at a time)", argv[optind + 1], usage_pprof);
    if (!outpath) return usage_error("%s", "pprof needs -o FILE (the profile is binary; -o - for stdout)", usage_pprof);
    lt_err_t err = { 0 };
    lt_profile_t *p;
    if (lt_source_load(argv[optind], &w, symflags, warn_cb, NULL, &p, &err) < 0) return fail(&err);
    FILE *out = open_out(outpath, 0, "the profile");
    if (!out) { lt_profile_free(p); return LT_E_IO; }
    int rc = lt_pprof_write(p, out, &err) < 0 ? fail(&err) : 0;
    lt_profile_free(p);
    int rc2 = close_out(out, outpath);
    return rc ? rc : rc2;
}

static int cmd_flamegraph(int argc, char **argv)
{
    static const struct option opts[] = {
        { "at", required_argument, NULL, O_AT },
        { "mark", required_argument, NULL, O_MARK },
        { "end", no_argument, NULL, O_END },
        { "what", required_argument, NULL, O_WHAT },
        { "folded", no_argument, NULL, O_FOLDED },
        { "title", required_argument, NULL, O_TITLE },
        { "no-default-suppressions", no_argument, NULL, O_NODEF },
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lt_when_t w = { LT_MOMENT_END, 0, NULL };
    int nset = 0, c, r, folded = 0, what = LT_FLAME_INUSE, peak = 0, nodef = 0;
    unsigned symflags = 0;
    const char *outpath = NULL, *title = NULL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        int cr = common_option(c, argv, usage_flame, NULL, &symflags, &outpath);
        if (cr != OPT_NOT_MINE) {
            if (cr >= 0) return cr;
            continue;
        }
        if ((r = moment_option(c, optarg, &w, &nset, usage_flame)) < 0) return -r;
        if (r) continue;
        switch (c) {
        case O_WHAT:
            if (!strcmp(optarg, "leaked")) { what = LT_FLAME_INUSE; peak = 0; }
            else if (!strcmp(optarg, "allocated")) { what = LT_FLAME_ALLOC; peak = 0; }
            else if (!strcmp(optarg, "peak")) { what = LT_FLAME_INUSE; peak = 1; }
            else return usage_error("--what is leaked, allocated or peak, not '%s'", optarg, usage_flame);
            break;
        case O_FOLDED: folded = 1; break;
        case O_TITLE: title = optarg; break;
        case O_NODEF: nodef = 1; break;
        }
    }
    if (optind >= argc) return usage_error("%s", "flamegraph needs a TRACE or DUMP file", usage_flame);
    if (optind + 1 < argc) return usage_error("unexpected argument '%s' (one input at a time)", argv[optind + 1], usage_flame);
    if (peak) {
        if (nset) return usage_error("%s", "--what peak chooses the moment itself: drop --at/--mark/--end", usage_flame);
        w.kind = LT_MOMENT_PEAK;
    }
    lt_err_t err = { 0 };
    lt_profile_t *p;
    if (lt_source_load(argv[optind], &w, symflags, warn_cb, NULL, &p, &err) < 0) return fail(&err);
    if (!nodef) lt_profile_drop_runtime(p);
    char deftitle[512], mbuf[300];
    if (!title) {
        const char *exe = strrchr(p->exe, '/') ? strrchr(p->exe, '/') + 1 : p->exe;
        snprintf(deftitle, sizeof deftitle, "%s of %s (pid %lld) at %s",
                 what == LT_FLAME_ALLOC ? "Bytes allocated" : peak ? "Live bytes at the peak" : "Live bytes", *exe ? exe : "?",
                 p->pid, lt_dump_moment_text(p, mbuf, sizeof mbuf));
        title = deftitle;
    }
    FILE *out = open_out(outpath, 0, folded ? "the folded stacks" : "the flame graph");
    if (!out) { lt_profile_free(p); return LT_E_IO; }
    int rc = (folded ? lt_flame_folded(p, what, out, &err) : lt_flame_svg(p, what, title, out, &err)) < 0 ? fail(&err) : 0;
    lt_profile_free(p);
    int rc2 = close_out(out, outpath);
    return rc ? rc : rc2;
}

static int cmd_marks(int argc, char **argv)
{
    static const struct option opts[] = {
        { "samples", no_argument, NULL, O_SAMPLES },
        { "format", required_argument, NULL, O_FORMAT },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0, samples = 0, c;
    const char *outpath = NULL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        int cr = common_option(c, argv, usage_marks, &json, NULL, &outpath);
        if (cr != OPT_NOT_MINE) {
            if (cr >= 0) return cr;
            continue;
        }
        switch (c) {
        case O_SAMPLES: samples = 1; break;
        }
    }
    if (argc - optind != 1) return usage_error("%s", "marks needs one TRACE file", usage_marks);
    lt_err_t err = { 0 };
    lt_replay_t *rp;
    if (lt_replay_file(argv[optind], &rp, &err) < 0) return fail(&err);
    lt_source_warn_replay(rp, argv[optind], warn_cb, NULL);
    FILE *out = open_out(outpath, 0, "the marks");
    if (!out) { lt_replay_free(rp); return LT_E_IO; }
    if (json) lt_output_marks_json(out, rp, samples);
    else lt_output_marks_text(out, rp, samples);
    lt_replay_free(rp);
    return close_out(out, outpath);
}

static void usage_threads(FILE *o)
{
    fprintf(o,
            "usage: leaktrace threads [OPTIONS] TRACE\n"
            "\n"
            "Thread leaks, goleak style: the threads the program created (pthread_create)\n"
            "and the alerts, grouped by creation stack:\n"
            "  running_at_exit  threads (not main) still running when the process ended\n"
            "  never_joined     joinable threads that finished but were never joined nor\n"
            "                   detached (their stack and descriptor stay allocated)\n"
            "  growing          a creation site whose live threads keep rising over the run\n"
            "Joined threads, and detached threads that finished, are never alerts.\n"
            "\n"
            "options:\n"
            "  --ignore-thread PATTERN   leave out threads whose start routine or any frame\n"
            "                            of whose creation stack (function, file or module\n"
            "                            name) matches the glob PATTERN; repeatable\n"
            "  --ignore-running-at-exit  no running_at_exit alerts (programs that exit with\n"
            "                            workers alive on purpose)\n"
            "  --suppressions FILE       thread:PATTERN rules (docs/ci.md); the output says\n"
            "                            what each hid; repeatable\n"
            "  --format text|json        output format (default text); JSON also has the\n"
            "                            thread table\n"
            "  --no-demangle             keep C++ names as in the symbol table\n"
            "  -o, --output FILE         write to FILE instead of stdout\n"
            "  -q, --quiet               no progress line on stderr\n"
            "  -h, --help                this text\n");
}

/* threads, with the suppressions it loads left in *supp for the caller to free. */
static int threads_main(int argc, char **argv, lt_supp_t **supp)
{
    static const struct option opts[] = {
        { "ignore-thread", required_argument, NULL, O_IGNORE_THREAD },
        { "ignore-running-at-exit", no_argument, NULL, O_IGNORE_RUNNING },
        { "suppressions", required_argument, NULL, O_SUPP },
        { "format", required_argument, NULL, O_FORMAT },
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0, c;
    unsigned symflags = 0;
    const char *outpath = NULL;
    const char **pats = calloc((size_t)argc + 1, sizeof *pats);
    lt_thread_opts_t to = { pats, 0, 0 };
    if (!pats) { fprintf(stderr, "%s: error: out of memory\n", prog); return LT_E_NOMEM; }
    opterr = 0;
    optind = 1;
    int rc = -1;
    while (rc < 0 && (c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        switch (c) {
        case O_IGNORE_THREAD: pats[to.nignore++] = optarg; break;
        case O_IGNORE_RUNNING: to.ignore_running_at_exit = 1; break;
        case O_SUPP: {
            int r = load_suppressions(supp, optarg);
            if (r) rc = r;
            break;
        }
        case O_FORMAT:
            if (!strcmp(optarg, "json")) json = 1;
            else if (!strcmp(optarg, "text")) json = 0;
            else rc = usage_error("unknown format '%s' (use text or json)", optarg, usage_threads);
            break;
        case O_NODEM: symflags |= LT_SYM_NO_DEMANGLE; break;
        case 'o': outpath = optarg; break;
        case 'h': usage_threads(stdout); rc = 0; break;
        case 'q': lt_progress_enable(0, NULL); break;
        case ':': rc = usage_error("option '%s' needs a value", argv[optind - 1], usage_threads); break;
        default: rc = usage_error("unknown option '%s'", argv[optind - 1], usage_threads); break;
        }
    }
    if (rc < 0 && argc - optind != 1) rc = usage_error("%s", "threads needs one TRACE file", usage_threads);
    if (rc >= 0) { free(pats); return rc; }
    to.supp = *supp;
    lt_err_t err = { 0 };
    lt_replay_t *rp;
    if (lt_replay_file(argv[optind], &rp, &err) < 0) { free(pats); return fail(&err); }
    lt_source_warn_replay(rp, argv[optind], warn_cb, NULL);
    lt_symbolizer_t *sym = lt_sym_open(rp->mods, rp->nmods, symflags, warn_cb, NULL);
    lt_thread_report_t *tr = NULL;
    if (!sym || lt_threads_build(rp, sym, &to, &tr, &err) < 0) {
        if (!sym) LT_ERR_SET(&err, LT_E_NOMEM, -1, "out of memory");
        lt_sym_close(sym); lt_replay_free(rp); free(pats);
        return fail(&err);
    }
    FILE *out = open_out(outpath, 0, "the thread report");
    rc = LT_E_IO;
    if (out) {
        if (json) lt_output_threads_json(out, rp, tr);
        else lt_output_threads_text(out, rp, tr);
        rc = close_out(out, outpath);
    }
    lt_threads_free(tr);
    lt_sym_close(sym);
    lt_replay_free(rp);
    free(pats);
    return rc;
}

static int cmd_threads(int argc, char **argv)
{
    lt_supp_t *supp = NULL;
    int rc = threads_main(argc, argv, &supp);
    lt_supp_free(supp);
    return rc;
}

static void usage_growth(FILE *o)
{
    fprintf(o,
            "usage: leaktrace growth [OPTIONS] TRACE\n"
            "\n"
            "Allocation sites whose live memory keeps growing, for programs that do not\n"
            "exit (servers): per site, the live bytes over time, a straight-line fit, and\n"
            "a verdict that tells a leak from a cache that fills up and stays flat, from\n"
            "one-time allocations and from churn. Method: docs/growth.md.\n"
            "\n"
            "options:\n"
            "  --window A..B          only the part of the run from A to B seconds (either\n"
            "                         side may be empty: 60.. or ..120)\n"
            "  --min-duration S       a site must have grown for S seconds (default 2)\n"
            "  --min-confidence C     report suspects of confidence C (0..1) or more\n"
            "                         (default 0.5)\n"
            "  --resolution S         the shortest time slice, seconds (default 0.01); a run\n"
            "                         is cut in 200 to 400 slices of at least this\n"
            "  --top N                text: the N fastest growing (default 10, 0 = all)\n"
            "  --follow               the trace is still being written: re-read it as it\n"
            "                         grows, print each suspect when the evidence is there,\n"
            "                         stop when the traced program ends (or on Ctrl-C)\n"
            "  --no-default-suppressions   also consider one-time runtime allocations\n"
            "  --suppressions FILE    growth:PATTERN rules (docs/ci.md); repeatable\n"
            "  --format text|json     output format (default text)\n"
            "  --no-demangle          keep C++ names as in the symbol table\n"
            "  -o, --output FILE      write to FILE instead of stdout\n"
            "  -q, --quiet            no progress line on stderr\n"
            "  -h, --help             this text\n");
}

static int parse_window(const char *s, lt_growth_opts_t *o)
{
    const char *dots = strstr(s, "..");
    if (!dots) return -1;
    char a[64], b[64];
    size_t la = (size_t)(dots - s), lb = strlen(dots + 2);
    if (la >= sizeof a || lb >= sizeof b) return -1;
    memcpy(a, s, la); a[la] = '\0';
    memcpy(b, dots + 2, lb + 1);
    uint64_t ns;
    o->window_from = 0;
    o->window_to = -1;
    if (la) { if (lt_when_parse_seconds(a, &ns)) return -1; o->window_from = (double)ns / 1e9; }
    if (lb) { if (lt_when_parse_seconds(b, &ns)) return -1; o->window_to = (double)ns / 1e9; }
    if (lb && o->window_to <= o->window_from) return -1;
    return 0;
}

static int parse_real(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static volatile sig_atomic_t follow_stop;
static void on_follow_signal(int sig) { (void)sig; follow_stop = 1; }

/* Sleeps up to ms milliseconds, less when Ctrl-C comes. */
static void follow_sleep(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --follow: re-analyse the trace whenever it grew, at most once per twice
 * the time the last analysis took (so it uses under a third of a CPU),
 * and print the suspects not printed before. */
static int growth_follow(const char *path, uint64_t res_ns, const lt_growth_opts_t *go, unsigned symflags, FILE *out)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_follow_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char **seen = NULL;
    size_t nseen = 0;
    off_t last_size = -1;
    double wait_s = 0.2;
    int rc = 0, done = 0;
    fprintf(out, "leaktrace growth --follow: watching %s (Ctrl-C to stop)\n", path);
    fflush(out);
    while (!follow_stop && !done) {
        struct stat st;
        if (stat(path, &st) != 0) {
            fprintf(stderr, "%s: error: cannot read '%s': %s\n", prog, path, strerror(errno));
            rc = LT_E_IO;
            break;
        }
        if (st.st_size == last_size) { follow_sleep(200); continue; }
        last_size = st.st_size;
        double t0 = now_s();
        lt_err_t err = { 0 };
        lt_replay_t *rp;
        if (lt_replay_file_series(path, res_ns, 200, &rp, &err) < 0) {
            /* A header still being written is not an error yet. */
            if (err.code == LT_E_CORRUPT || err.code == LT_E_FORMAT) { follow_sleep(200); last_size = -1; continue; }
            rc = fail(&err);
            break;
        }
        done = rp->complete;
        lt_symbolizer_t *sym = lt_sym_open(rp->mods, rp->nmods, symflags, NULL, NULL);
        lt_growth_t *g = NULL;
        if (sym && rp->series->nslices && lt_growth_build(rp, sym, go, &g, &err) == 0) {
            double at = (double)(rp->series->origin_ns + rp->series->nslices * rp->series->slice_ns) / 1e9;
            for (size_t i = 0; i < g->nsuspects; i++) {
                const lt_psite_t *site = &g->prof->sites[g->suspects[i].site];
                char *key = lt_diff_site_key(g->prof, site);
                if (!key) break;
                int known = 0;
                for (size_t k = 0; k < nseen && !known; k++) known = strcmp(seen[k], key) == 0;
                if (known) { free(key); continue; }
                char **ns = realloc(seen, (nseen + 1) * sizeof *ns);
                if (!ns) { free(key); break; }
                seen = ns;
                seen[nseen++] = key;
                lt_output_growth_suspect_text(out, g, &g->suspects[i], at);
            }
        }
        lt_growth_free(g);
        lt_sym_close(sym);
        if (done) {
            char e[96];
            fprintf(out, "\nthe traced program ended (%s): %zu growth suspect%s\n", lt_output_end_text(rp, e, sizeof e), nseen,
                    nseen == 1 ? "" : "s");
        }
        lt_replay_free(rp);
        double took = now_s() - t0;
        wait_s = 2 * took > 0.2 ? 2 * took : 0.2;
        if (!done) follow_sleep((long)(wait_s * 1000));
    }
    if (follow_stop) fprintf(out, "\nstopped: %zu growth suspect%s so far\n", nseen, nseen == 1 ? "" : "s");
    for (size_t k = 0; k < nseen; k++) free(seen[k]);
    free(seen);
    return rc;
}

/* growth, with the suppressions it loads left in *supp for the caller to free. */
static int growth_main(int argc, char **argv, lt_supp_t **supp)
{
    static const struct option opts[] = {
        { "window", required_argument, NULL, O_WINDOW },
        { "suppressions", required_argument, NULL, O_SUPP },
        { "min-duration", required_argument, NULL, O_MINDUR },
        { "min-confidence", required_argument, NULL, O_MINCONF },
        { "resolution", required_argument, NULL, O_RES },
        { "top", required_argument, NULL, O_TOP },
        { "follow", no_argument, NULL, O_FOLLOW },
        { "no-default-suppressions", no_argument, NULL, O_NODEF },
        { "format", required_argument, NULL, O_FORMAT },
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lt_growth_opts_t go;
    lt_growth_opts_default(&go);
    int json = 0, c, follow = 0;
    size_t top = 10;
    double res = 0.01;
    unsigned symflags = 0;
    const char *outpath = NULL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        switch (c) {
        case O_WINDOW:
            if (parse_window(optarg, &go)) return usage_error("--window wants A..B in seconds (A < B; 10.., ..60), not '%s'", optarg, usage_growth);
            break;
        case O_MINDUR:
            if (parse_real(optarg, 0, 1e9, &go.min_duration)) return usage_error("--min-duration wants seconds >= 0, not '%s'", optarg, usage_growth);
            break;
        case O_MINCONF:
            if (parse_real(optarg, 0, 1, &go.min_confidence)) return usage_error("--min-confidence wants a number from 0 to 1, not '%s'", optarg, usage_growth);
            break;
        case O_RES:
            if (parse_real(optarg, 0.001, 3600, &res)) return usage_error("--resolution wants seconds from 0.001 to 3600, not '%s'", optarg, usage_growth);
            break;
        case O_TOP:
            if (parse_count(optarg, &top)) return usage_error("--top wants a whole number, not '%s'", optarg, usage_growth);
            break;
        case O_FOLLOW: follow = 1; break;
        case O_SUPP: {
            int r = load_suppressions(supp, optarg);
            if (r) return r;
            break;
        }
        case O_NODEF: go.include_runtime = 1; break;
        case O_FORMAT:
            if (!strcmp(optarg, "json")) json = 1;
            else if (!strcmp(optarg, "text")) json = 0;
            else return usage_error("unknown format '%s' (use text or json)", optarg, usage_growth);
            break;
        case O_NODEM: symflags |= LT_SYM_NO_DEMANGLE; break;
        case 'o': outpath = optarg; break;
        case 'h': usage_growth(stdout); return 0;
        case 'q': lt_progress_enable(0, NULL); break;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1], usage_growth);
        default: return usage_error("unknown option '%s'", argv[optind - 1], usage_growth);
        }
    }
    if (argc - optind != 1) return usage_error("%s", "growth needs one TRACE file", usage_growth);
    if (follow && json) return usage_error("%s", "--follow prints text as suspects appear; drop --format json", usage_growth);
    const char *path = argv[optind];
    uint64_t res_ns = (uint64_t)(res * 1e9);
    go.supp = *supp;
    FILE *out = open_out(outpath, 0, "the growth report");
    if (!out) return LT_E_IO;
    if (follow) {
        lt_progress_enable(0, NULL); /* it re-reads the trace over and over */
        int rc = growth_follow(path, res_ns, &go, symflags, out);
        int rc2 = close_out(out, outpath);
        return rc ? rc : rc2;
    }
    lt_err_t err = { 0 };
    lt_replay_t *rp;
    if (lt_replay_file_series(path, res_ns, 200, &rp, &err) < 0) {
        if (out != stdout) fclose(out);
        return fail(&err);
    }
    lt_source_warn_replay(rp, path, warn_cb, NULL);
    lt_symbolizer_t *sym = lt_sym_open(rp->mods, rp->nmods, symflags, warn_cb, NULL);
    lt_growth_t *g = NULL;
    int rc = 0;
    if (!sym) { LT_ERR_SET(&err, LT_E_NOMEM, -1, "out of memory"); rc = fail(&err); }
    else if (lt_growth_build(rp, sym, &go, &g, &err) < 0) rc = fail(&err);
    if (!rc) {
        if (json) lt_output_growth_json(out, rp, g);
        else lt_output_growth_text(out, rp, g, top);
    }
    int rc2 = close_out(out, outpath);
    lt_growth_free(g);
    lt_sym_close(sym);
    lt_replay_free(rp);
    return rc ? rc : rc2;
}

static int cmd_growth(int argc, char **argv)
{
    lt_supp_t *supp = NULL;
    int rc = growth_main(argc, argv, &supp);
    lt_supp_free(supp);
    return rc;
}

static void usage_timeline(FILE *o)
{
    fprintf(o,
            "usage: leaktrace timeline [OPTIONS] TRACE\n"
            "\n"
            "Draws the live heap over time as a self-contained SVG: the largest allocation\n"
            "sites stacked, the thread count, the marks on the time axis. --csv writes the\n"
            "time series instead (time, live bytes, live blocks, threads, top sites).\n"
            "\n"
            "options:\n"
            "  --csv                  CSV instead of SVG (columns in docs/growth.md)\n"
            "  --top N                sites drawn or written as columns (default 5)\n"
            "  --title TEXT           the plot's title\n"
            "  --resolution S         the shortest time slice, seconds (default 0.01)\n"
            "  --no-default-suppressions   one-time runtime allocations may be top sites\n"
            "  --no-demangle          keep C++ names as in the symbol table\n"
            "  -o, --output FILE      write to FILE instead of stdout\n"
            "  -q, --quiet            no progress line on stderr\n"
            "  -h, --help             this text\n");
}

static int cmd_timeline(int argc, char **argv)
{
    static const struct option opts[] = {
        { "csv", no_argument, NULL, O_CSV },
        { "top", required_argument, NULL, O_TOP },
        { "title", required_argument, NULL, O_TITLE },
        { "resolution", required_argument, NULL, O_RES },
        { "no-default-suppressions", no_argument, NULL, O_NODEF },
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lt_timeline_opts_t to = { 5, NULL, 0 };
    int csv = 0, c;
    double res = 0.01;
    unsigned symflags = 0;
    const char *outpath = NULL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        int cr = common_option(c, argv, usage_timeline, NULL, &symflags, &outpath);
        if (cr != OPT_NOT_MINE) {
            if (cr >= 0) return cr;
            continue;
        }
        switch (c) {
        case O_CSV: csv = 1; break;
        case O_TOP:
            if (parse_count(optarg, &to.top)) return usage_error("--top wants a whole number, not '%s'", optarg, usage_timeline);
            break;
        case O_TITLE: to.title = optarg; break;
        case O_RES:
            if (parse_real(optarg, 0.001, 3600, &res)) return usage_error("--resolution wants seconds from 0.001 to 3600, not '%s'", optarg, usage_timeline);
            break;
        case O_NODEF: to.include_runtime = 1; break;
        }
    }
    if (argc - optind != 1) return usage_error("%s", "timeline needs one TRACE file", usage_timeline);
    const char *path = argv[optind];
    lt_err_t err = { 0 };
    lt_replay_t *rp;
    if (lt_replay_file_series(path, (uint64_t)(res * 1e9), 200, &rp, &err) < 0) return fail(&err);
    lt_source_warn_replay(rp, path, warn_cb, NULL);
    lt_symbolizer_t *sym = lt_sym_open(rp->mods, rp->nmods, symflags, warn_cb, NULL);
    if (!sym) { lt_replay_free(rp); fprintf(stderr, "%s: error: out of memory\n", prog); return LT_E_NOMEM; }
    FILE *out = open_out(outpath, 0, csv ? "the CSV" : "the timeline");
    int rc = LT_E_IO;
    if (out) {
        rc = (csv ? lt_timeline_csv(rp, sym, &to, out, &err) : lt_timeline_svg(rp, sym, &to, out, &err)) < 0 ? fail(&err) : 0;
        int rc2 = close_out(out, outpath);
        if (!rc) rc = rc2;
    }
    lt_sym_close(sym);
    lt_replay_free(rp);
    return rc;
}

static void usage_ci(FILE *o)
{
    fprintf(o,
            "usage: leaktrace ci [OPTIONS] DIR|TRACE...\n"
            "\n"
            "One verdict over a traced test run: analyses every trace of DIR (every\n"
            "*.trace file; run-with-tracer.sh writes them there) and prints one report\n"
            "across processes: per process its command line, pid and exit status, its\n"
            "leaks at exit, thread alerts, growth suspects and the leaks of each test it\n"
            "marked with leaktrace_mark(\"test:begin NAME\") / (\"test:end NAME\"); then a\n"
            "summary. Details in docs/ci.md.\n"
            "\n"
            "options:\n"
            "  --fail-on LIST          findings that fail: comma-separated leaks, threads,\n"
            "                          growth, all (default) or none\n"
            "  --min-bytes N           ignore leak sites of fewer than N bytes (K, M, G)\n"
            "  --leak-kinds LIST       the blocks that are leaks when the trace has the exit\n"
            "                          scan: comma-separated definite, indirect, possible,\n"
            "                          reachable, all (default definite,indirect, as\n"
            "                          LeakSanitizer); traces without it: every block not freed\n"
            "  --suppressions FILE     leak:, thread:, growth: PATTERN lines (LeakSanitizer\n"
            "                          format); the report says what each hid; repeatable\n"
            "  --baseline FILE|DIR     findings listed in FILE (from --write-baseline), or\n"
            "                          found in the traces of an earlier run in DIR, do not\n"
            "                          fail\n"
            "  --write-baseline FILE   write this run's findings as a baseline\n"
            "  --junit FILE            JUnit XML: a test suite per process, a test case for\n"
            "                          the process and one per marked test\n"
            "  --json FILE             everything as JSON (shape in docs/ci.md)\n"
            "  --exclude PATTERN       do not report processes whose executable or argv[0]\n"
            "                          base name matches the glob PATTERN (make, sh, ...);\n"
            "                          repeatable\n"
            "  --exit-code N           exit status when findings remain (default 23)\n"
            "  --top N                 text: leak sites shown per process and test (default\n"
            "                          10, 0 = all)\n"
            "  --no-default-suppressions   also report one-time runtime allocations\n"
            "  --no-demangle           keep C++ names as in the symbol table\n"
            "  --validate-only         check the options, suppressions and baseline, analyse\n"
            "                          nothing (run-with-tracer.sh does this before the run)\n"
            "  -o, --output FILE       write the text report to FILE instead of stdout\n"
            "  -q, --quiet             no progress line on stderr\n"
            "  -h, --help              this text\n"
            "\n"
            "exit status: 0 no findings left (none, or all suppressed, known in the\n"
            "baseline, under --min-bytes or outside --fail-on); 23 (--exit-code) findings\n"
            "remain; 2 bad usage or a malformed suppressions or baseline file (FILE:LINE);\n"
            "3 no trace, a file cannot be read or written; 4/5 a trace is not readable\n"
            "(the report still covers the others); 6 out of memory.\n");
}

/* ci, with the suppressions it loads left in *supp and the exclude
 * patterns in *pats for the caller to free. */
static int ci_main(int argc, char **argv, lt_supp_t **supp, const char ***pats)
{
    enum { C_FAILON = 512, C_MINB, C_SUPP, C_BASE, C_WBASE, C_JUNIT, C_JSON, C_EXCL, C_EXIT, C_TOP, C_NODEF, C_NODEM, C_VALID,
           C_KINDS };
    static const struct option opts[] = {
        { "fail-on", required_argument, NULL, C_FAILON },
        { "min-bytes", required_argument, NULL, C_MINB },
        { "suppressions", required_argument, NULL, C_SUPP },
        { "baseline", required_argument, NULL, C_BASE },
        { "write-baseline", required_argument, NULL, C_WBASE },
        { "junit", required_argument, NULL, C_JUNIT },
        { "json", required_argument, NULL, C_JSON },
        { "exclude", required_argument, NULL, C_EXCL },
        { "exit-code", required_argument, NULL, C_EXIT },
        { "top", required_argument, NULL, C_TOP },
        { "no-default-suppressions", no_argument, NULL, C_NODEF },
        { "no-demangle", no_argument, NULL, C_NODEM },
        { "validate-only", no_argument, NULL, C_VALID },
        { "leak-kinds", required_argument, NULL, C_KINDS },
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lt_ci_opts_t o;
    lt_ci_opts_default(&o);
    o.warn = warn_cb;
    const char *outpath = NULL;
    int c, r, validate = 0;
    size_t v;
    if (!(*pats = calloc((size_t)argc + 1, sizeof **pats))) { fprintf(stderr, "%s: error: out of memory\n", prog); return LT_E_NOMEM; }
    o.exclude = *pats;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:hq", opts, NULL)) != -1) {
        switch (c) {
        case C_FAILON:
            if (lt_ci_parse_fail_on(optarg, &o.fail_on))
                return usage_error("--fail-on takes leaks, threads, growth, all or none, comma-separated; not '%s'", optarg, usage_ci);
            break;
        case C_KINDS:
            if (lt_leak_kinds_parse(optarg, &o.leak_kinds) || !o.leak_kinds)
                return usage_error("--leak-kinds takes definite, indirect, possible, reachable or all, comma-separated; not '%s'",
                                   optarg, usage_ci);
            break;
        case C_MINB:
            if (parse_bytes(optarg, &o.min_bytes)) return usage_error("--min-bytes wants a number of bytes like 64 or 1K, not '%s'", optarg, usage_ci);
            break;
        case C_SUPP:
            if ((r = load_suppressions(supp, optarg)) != 0) return r;
            break;
        case C_BASE: o.baseline = optarg; break;
        case C_WBASE: o.write_baseline = optarg; break;
        case C_JUNIT: o.junit = optarg; break;
        case C_JSON: o.json = optarg; break;
        case C_EXCL: (*pats)[o.nexclude++] = optarg; break;
        case C_EXIT:
            if (parse_count(optarg, &v) || v < 1 || v > 125) return usage_error("--exit-code wants a status from 1 to 125, not '%s'", optarg, usage_ci);
            o.exit_code = (int)v;
            break;
        case C_TOP:
            if (parse_count(optarg, &o.top)) return usage_error("--top wants a whole number, not '%s'", optarg, usage_ci);
            break;
        case C_NODEF: o.no_default_suppressions = 1; break;
        case C_NODEM: o.symflags |= LT_SYM_NO_DEMANGLE; break;
        case C_VALID: validate = 1; break;
        case 'o': outpath = optarg; break;
        case 'h': usage_ci(stdout); return 0;
        case 'q': lt_progress_enable(0, NULL); break;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1], usage_ci);
        default: return usage_error("unknown option '%s'", argv[optind - 1], usage_ci);
        }
    }
    o.supp = *supp;
    lt_err_t err = { 0 };
    if (lt_ci_validate(&o, &err) < 0) return fail(&err);
    if (validate) return 0;
    if (optind >= argc) return usage_error("%s", "ci needs a directory of traces (or trace files)", usage_ci);
    FILE *out = open_out(outpath, 0, "the report");
    if (!out) return LT_E_IO;
    int rc = lt_ci_run((const char *const *)argv + optind, (size_t)(argc - optind), &o, out, &err);
    int rc2 = close_out(out, outpath);
    if (rc && rc != o.exit_code) fail(&err);
    return rc2 ? rc2 : rc;
}

static int cmd_ci(int argc, char **argv)
{
    lt_supp_t *supp = NULL;
    const char **pats = NULL;
    int rc = ci_main(argc, argv, &supp, &pats);
    lt_supp_free(supp);
    free(pats);
    return rc;
}

static void usage_html(FILE *o)
{
    fprintf(o,
            "usage: leaktrace html [OPTIONS] TRACE|DIR... -o FILE\n"
            "\n"
            "Writes one self-contained HTML page (no network access, no external file)\n"
            "to open in a browser: per process a summary and verdict, the live heap over\n"
            "time (top sites stacked, threads, marks), the leak table (sortable, with\n"
            "symbolized stacks), growth suspects with their curves, thread alerts and a\n"
            "flame graph of leaked, allocated or peak bytes (click to zoom, search).\n"
            "Several traces (or a directory of them: a process tree) give one section\n"
            "per process. Details in docs/html.md.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE      the page to write (- for stdout); required\n"
            "  --title TEXT           the page's title\n"
            "  --max-leaks N          leak sites listed per process (default 500; the\n"
            "                         page says how many more there were)\n"
            "  --max-frames N         frames kept per flame graph (default 20000, the\n"
            "                         largest; the page says what was left out)\n"
            "  --suppressions FILE    leak:, thread: and growth: rules (docs/ci.md);\n"
            "                         repeatable\n"
            "  --no-default-suppressions   also show one-time runtime allocations\n"
            "  --no-demangle          keep C++ names as in the symbol table\n"
            "  -h, --help             this text\n"
            "\n"
            "exit status: 0 written; 2 bad usage; 3 no trace or a file cannot be read or\n"
            "written; 4/5 a trace is not readable (the page still covers the others);\n"
            "6 out of memory.\n");
}

static int html_main(int argc, char **argv, lt_supp_t **supp)
{
    enum { H_MAXLEAKS = 600, H_MAXFRAMES };
    static const struct option opts[] = {
        { "title", required_argument, NULL, O_TITLE },
        { "max-leaks", required_argument, NULL, H_MAXLEAKS },
        { "max-frames", required_argument, NULL, H_MAXFRAMES },
        { "suppressions", required_argument, NULL, O_SUPP },
        { "no-default-suppressions", no_argument, NULL, O_NODEF },
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lt_html_opts_t ho;
    lt_html_opts_default(&ho);
    ho.warn = warn_cb;
    const char *outpath = NULL;
    int c, r;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        int cr = common_option(c, argv, usage_html, NULL, &ho.symflags, &outpath);
        if (cr != OPT_NOT_MINE) {
            if (cr >= 0) return cr;
            continue;
        }
        switch (c) {
        case O_TITLE: ho.title = optarg; break;
        case H_MAXLEAKS:
            if (parse_count(optarg, &ho.max_leaks) || !ho.max_leaks)
                return usage_error("--max-leaks wants a whole number above 0, not '%s'", optarg, usage_html);
            break;
        case H_MAXFRAMES:
            if (parse_count(optarg, &ho.max_flame_nodes) || !ho.max_flame_nodes)
                return usage_error("--max-frames wants a whole number above 0, not '%s'", optarg, usage_html);
            break;
        case O_SUPP:
            if ((r = load_suppressions(supp, optarg)) != 0) return r;
            break;
        case O_NODEF: ho.no_default_suppressions = 1; break;
        }
    }
    ho.supp = *supp;
    if (optind >= argc) return usage_error("%s", "html needs a TRACE file or a directory of traces", usage_html);
    if (!outpath) return usage_error("%s", "html needs -o FILE (the page to write; -o - for stdout)", usage_html);
    FILE *out = open_out(outpath, 0, "the HTML report");
    if (!out) return LT_E_IO;
    lt_err_t err = { 0 };
    int rc = lt_html_write((const char *const *)argv + optind, (size_t)(argc - optind), &ho, out, &err) < 0 ? fail(&err) : 0;
    int empty = out != stdout && ftell(out) == 0;
    int rc2 = close_out(out, outpath);
    if (rc && empty) remove(outpath);   /* no trace readable: no page */
    return rc ? rc : rc2;
}

static int cmd_html(int argc, char **argv)
{
    lt_supp_t *supp = NULL;
    int rc = html_main(argc, argv, &supp);
    lt_supp_free(supp);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "%s: error: no command given\n\n", prog);
        usage_main(stderr);
        return LT_E_USAGE;
    }
    const char *cmd = argv[1];
    /* The progress line of long reads: on a terminal only, unless
     * LEAKTRACE_PROGRESS says otherwise (0: never; 1: even when stderr is
     * not a terminal); a command's -q/--quiet turns it off. */
    const char *pe = getenv("LEAKTRACE_PROGRESS");
    lt_progress_enable(pe && *pe ? strcmp(pe, "0") != 0 : isatty(STDERR_FILENO), stderr);
    static const struct { const char *name; int (*fn)(int, char **); void (*usage)(FILE *); } cmds[] = {
        { "report", cmd_report, usage_report }, { "dump", cmd_dump, usage_dump },
        { "diff", cmd_diff, usage_diff },       { "pprof", cmd_pprof, usage_pprof },
        { "flamegraph", cmd_flamegraph, usage_flame }, { "marks", cmd_marks, usage_marks },
        { "threads", cmd_threads, usage_threads }, { "growth", cmd_growth, usage_growth },
        { "timeline", cmd_timeline, usage_timeline }, { "ci", cmd_ci, usage_ci },
        { "html", cmd_html, usage_html },
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i].name)) {
            cur_cmd = cmd;
            return cmds[i].fn(argc - 1, argv + 1);
        }
    if (!strcmp(cmd, "events")) return cmd_events(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("leaktrace %s (trace format %d.%d)\n", VERSION, LT_FORMAT_MAJOR, LT_FORMAT_MINOR);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        for (size_t i = 0; argc > 2 && i < sizeof cmds / sizeof cmds[0]; i++)
            if (!strcmp(argv[2], cmds[i].name)) {
                cmds[i].usage(stdout);
                return 0;
            }
        if (argc > 2 && !strcmp(argv[2], "events")) {
            usage_events(stdout);
            return 0;
        }
        usage_main(stdout);
        return 0;
    }
    fprintf(stderr, "%s: error: unknown command '%s'\n\n", prog, cmd);
    usage_main(stderr);
    return LT_E_USAGE;
}
