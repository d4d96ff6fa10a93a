/*
 * main.c - the leaktrace command line: parses arguments, wires the layers
 * (decode -> replay -> report -> output) and maps errors to exit statuses:
 *   0 success   2 bad usage   3 cannot read a file   4 not a trace / wrong
 *   version   5 corrupt trace (offset given)   6 out of memory
 */
#include <errno.h>
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

#define VERSION "0.1.0"

static const char *prog = "leaktrace";

static void usage_main(FILE *o)
{
    fprintf(o,
            "usage: leaktrace COMMAND [OPTIONS] ARGS\n"
            "\n"
            "Offline analyzer for traces written by libleaktrace.so\n"
            "(LD_PRELOAD=libleaktrace.so PROGRAM writes leaktrace.PROGRAM.PID.trace).\n"
            "\n"
            "commands:\n"
            "  report TRACE     what leaked and where: blocks never freed, by allocation stack\n"
            "  help [COMMAND]   this text, or a command's options\n"
            "  version          the version and the trace format it reads\n"
            "\n"
            "exit status: 0 success, 2 bad usage, 3 a file cannot be read, 4 not a leaktrace\n"
            "trace or an unsupported format version, 5 corrupt trace (the message gives the\n"
            "byte offset), 6 out of memory. A trace cut short (the process was killed) is\n"
            "reported with a warning and exit status 0.\n"
            "\n"
            "Run 'leaktrace COMMAND --help' for a command's options. See docs/ or leaktrace(1).\n");
}

static void usage_report(FILE *o)
{
    fprintf(o,
            "usage: leaktrace report [OPTIONS] TRACE\n"
            "\n"
            "Prints totals and the leaks (blocks never freed by the end of the trace),\n"
            "grouped by allocation stack, largest first, symbolized to function,\n"
            "file:line and module.\n"
            "\n"
            "options:\n"
            "  --format text|json          output format (default text); the JSON shape is\n"
            "                              documented in docs/analyzer.md\n"
            "  --top N                     text: show the N largest sites only (default 20,\n"
            "                              0 = all); JSON always has all\n"
            "  --no-default-suppressions   also show one-time runtime allocations (stdio\n"
            "                              buffers, dynamic loader data, C++ runtime pools)\n"
            "  --no-demangle               show C++ names as in the symbol table\n"
            "  -o, --output FILE           write the report to FILE instead of stdout\n"
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
    if (usage) fprintf(stderr, "Try 'leaktrace %s --help'.\n", usage == usage_report ? "report" : "help");
    return LT_E_USAGE;
}

static int parse_count(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || s[0] == '-') return -1;
    *out = (size_t)v;
    return 0;
}

static void warn_replay(const lt_replay_t *rp, const char *path)
{
    if (!rp->complete) {
        if (rp->cut_short)
            fprintf(stderr, "%s: warning: %s: %s; reporting what was written before (complete: false)\n", prog, path, rp->cut_msg);
        else
            fprintf(stderr, "%s: warning: %s: the trace has no end record: the process was killed or crashed before it could "
                            "finish; reporting what was written (complete: false)\n", prog, path);
    }
    if (rp->unknown_frees)
        fprintf(stderr, "%s: warning: %llu frees of blocks the trace never saw allocated (allocated before tracing started, "
                        "or in a signal handler that interrupted the tracer)\n", prog, (unsigned long long)rp->unknown_frees);
    if (rp->seq_gaps)
        fprintf(stderr, "%s: warning: %llu events missing from the trace (lost when the process ended)\n", prog,
                (unsigned long long)rp->seq_gaps);
    if (rp->undefined_stacks)
        fprintf(stderr, "%s: warning: %llu stacks were used but never defined (trace cut short?)\n", prog,
                (unsigned long long)rp->undefined_stacks);
}

static int cmd_report(int argc, char **argv)
{
    enum { O_FORMAT = 256, O_TOP, O_NODEF, O_NODEM };
    static const struct option opts[] = {
        { "format", required_argument, NULL, O_FORMAT },
        { "top", required_argument, NULL, O_TOP },
        { "no-default-suppressions", no_argument, NULL, O_NODEF },
        { "no-demangle", no_argument, NULL, O_NODEM },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0;
    unsigned symflags = 0;
    const char *outpath = NULL;
    lt_report_opts_t ro = { 0 };
    lt_text_opts_t to = { .top = 20 };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_FORMAT:
            if (!strcmp(optarg, "json")) json = 1;
            else if (!strcmp(optarg, "text")) json = 0;
            else return usage_error("unknown format '%s' (use text or json)", optarg, usage_report);
            break;
        case O_TOP:
            if (parse_count(optarg, &to.top)) return usage_error("--top wants a whole number, not '%s'", optarg, usage_report);
            break;
        case O_NODEF: ro.no_default_suppressions = 1; break;
        case O_NODEM: symflags |= LT_SYM_NO_DEMANGLE; break;
        case 'o': outpath = optarg; break;
        case 'h': usage_report(stdout); return 0;
        case ':': return usage_error("option '%s' needs a value", argv[optind - 1], usage_report);
        default: return usage_error("unknown option '%s'", argv[optind - 1], usage_report);
        }
    }
    if (optind >= argc) return usage_error("%s", "report needs a TRACE file", usage_report);
    if (optind + 1 < argc) return usage_error("unexpected argument '%s' (one TRACE at a time)", argv[optind + 1], usage_report);
    const char *path = argv[optind];

    lt_err_t err = { 0 };
    lt_replay_t *rp;
    if (lt_replay_file(path, &rp, &err) < 0) return fail(&err);
    warn_replay(rp, path);
    lt_symbolizer_t *sym = lt_sym_open(rp->mods, rp->nmods, symflags, warn_cb, NULL);
    if (!sym) { lt_replay_free(rp); fprintf(stderr, "%s: error: out of memory\n", prog); return LT_E_NOMEM; }
    lt_report_t *rep;
    if (lt_report_build(rp, sym, &ro, &rep, &err) < 0) { lt_sym_close(sym); lt_replay_free(rp); return fail(&err); }
    FILE *out = stdout;
    if (outpath && !(out = fopen(outpath, "w"))) {
        fprintf(stderr, "%s: error: cannot write the report to '%s': %s\n", prog, outpath, strerror(errno));
        lt_report_free(rep); lt_sym_close(sym); lt_replay_free(rp);
        return LT_E_IO;
    }
    if (json) lt_output_report_json(out, rep);
    else lt_output_report_text(out, rep, &to);
    int rc = 0;
    if (fflush(out) != 0 || ferror(out)) { fprintf(stderr, "%s: error: writing the report failed\n", prog); rc = LT_E_IO; }
    if (out != stdout) fclose(out);
    lt_report_free(rep);
    lt_sym_close(sym);
    lt_replay_free(rp);
    return rc;
}

/* leaktrace events TRACE: every record as the decoder sees it, one per
 * line, in file order. For debugging the tracer and for tests. */
static int cmd_events(int argc, char **argv)
{
    if (argc != 2) return usage_error("%s", "usage: leaktrace events TRACE", NULL);
    lt_err_t err = { 0 };
    lt_trace_file_t *f;
    if (lt_file_open(argv[1], &f, &err) < 0) return fail(&err);
    lt_rec_t r;
    int rc;
    while ((rc = lt_file_next(f, &r, &err)) == 1) {
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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "%s: error: no command given\n\n", prog);
        usage_main(stderr);
        return LT_E_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "report")) return cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "events")) return cmd_events(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("leaktrace %s (trace format %d.%d)\n", VERSION, LT_FORMAT_MAJOR, LT_FORMAT_MINOR);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        if (argc > 2 && !strcmp(argv[2], "report")) usage_report(stdout);
        else usage_main(stdout);
        return 0;
    }
    fprintf(stderr, "%s: error: unknown command '%s'\n\n", prog, cmd);
    usage_main(stderr);
    return LT_E_USAGE;
}
