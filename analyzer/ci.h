/*
 * ci.h - `leaktrace ci`: one verdict over a whole traced test run. Takes
 * every trace of a directory (a test run is many processes), analyses each
 * (leaks at exit, thread alerts, growth suspects, and leaks per marked
 * test), applies the user's suppressions, the --min-bytes threshold and a
 * baseline of known findings, and produces one report across processes
 * (text), a JSON document, JUnit XML and a new baseline. Its result is an
 * exit status a CI system understands (see docs/ci.md).
 *
 * Per-test attribution: a program that records marks "test:begin NAME" and
 * "test:end NAME" (leaktrace_mark) gets, per test, the blocks allocated
 * after its begin mark and still live at its end mark (by sequence number,
 * so exact across threads), like goleak's VerifyNone at the end of a test.
 *
 * This layer computes and renders; main.c only parses the options.
 */
#ifndef LT_CI_H
#define LT_CI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "suppress.h"
#include "symbolize.h"

/* Kinds of findings for --fail-on. */
enum { LT_CI_LEAKS = 1, LT_CI_THREADS = 2, LT_CI_GROWTH = 4 };
#define LT_CI_ALL (LT_CI_LEAKS | LT_CI_THREADS | LT_CI_GROWTH)

/* The exit status when findings remain, as LeakSanitizer's default. */
#define LT_CI_EXIT_FINDINGS 23

typedef struct lt_ci_opts {
    unsigned fail_on;              /* LT_CI_* bits: the findings that fail the check */
    uint64_t min_bytes;            /* leak sites of fewer bytes are ignored */
    lt_supp_t *supp;               /* user suppressions (counts updated), or NULL */
    const char *baseline;          /* a baseline file, or a directory of traces of a baseline run; NULL: none */
    const char *write_baseline;    /* write the findings of this run here as a baseline; NULL: no */
    const char *junit;             /* JUnit XML output file, or NULL */
    const char *json;              /* JSON output file, or NULL */
    const char *const *exclude;    /* glob patterns (fnmatch) on the base name of a */
    size_t nexclude;               /* process's executable or argv[0]: not reported */
    int exit_code;                 /* status when findings remain (LT_CI_EXIT_FINDINGS) */
    size_t top;                    /* text: leak sites shown per process and test (0: all) */
    int no_default_suppressions;   /* also report runtime one-time allocations */
    unsigned leak_kinds;           /* reachability kinds that are leak findings (report.h LT_KINDS_*);
                                    * traces without the exit scan: every block not freed */
    unsigned symflags;             /* LT_SYM_* */
    lt_sym_warn_fn warn;           /* symbolizer warnings (missing binaries), or NULL */
    void *warn_ctx;
} lt_ci_opts_t;

/* Defaults: fail on everything, no threshold, exit code 23, top 10. */
void lt_ci_opts_default(lt_ci_opts_t *o);

/* Parses a --fail-on list: comma-separated "leaks", "threads", "growth",
 * "all" or "none". Returns 0 with *mask, or -1. */
int lt_ci_parse_fail_on(const char *s, unsigned *mask);

/* Checks what can be checked before the run: the baseline file parses
 * (or the directory exists). Returns 0 or the error's -LT_E_* code. */
int lt_ci_validate(const lt_ci_opts_t *o, lt_err_t *err);

/* Reads the baseline file at path (the format --write-baseline writes) and
 * tells how many finding keys it holds, for checks and the fuzzer. Returns
 * 0, or -LT_E_IO / -LT_E_USAGE (malformed; the message gives FILE:LINE) /
 * -LT_E_NOMEM with err filled. */
int lt_ci_check_baseline_file(const char *path, size_t *nkeys, lt_err_t *err);

/* Analyses inputs[0..n) (directories: every regular *.trace file in them;
 * files: traces), prints the text report to out and writes the files o
 * asks for. Returns the verdict as an exit status:
 *   0                  no finding left to fail the check
 *   o->exit_code       findings remain (after suppressions, --min-bytes,
 *                      --fail-on and the baseline)
 *   LT_E_IO..NOMEM     a trace could not be analysed (the report still
 *                      covers the others; err says which), no trace at all,
 *                      or an output could not be written
 *   LT_E_USAGE         a malformed baseline file
 * err is filled for the error statuses. */
int lt_ci_run(const char *const *inputs, size_t n, const lt_ci_opts_t *o, FILE *out, lt_err_t *err);

/* The traces of inputs[0..n): every regular *.trace file of a directory
 * (sorted by name), a file as named. Returns 0 with *out (n_out malloc'd
 * paths in a malloc'd array; the caller frees both), or -LT_E_IO (an input
 * does not exist) / -LT_E_NOMEM. Shared with the HTML report. */
int lt_ci_list_traces(const char *const *inputs, size_t n, char ***out, size_t *n_out, lt_err_t *err);

#endif
