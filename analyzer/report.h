/*
 * report.h - the leak report as data: leaks grouped by symbolized
 * allocation stack, largest first, runtime one-time allocations set apart.
 * Computed from a replay; formatted by output.c. No I/O here.
 */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "replay.h"
#include "symbolize.h"

typedef struct lt_leak {
    uint64_t bytes, blocks;
    lt_symframe_t *frames;     /* innermost first: the caller of the allocation function */
    size_t nframes;
    int truncated;             /* the stack reached the tracer's depth limit */
} lt_leak_t;

struct lt_supp;

typedef struct lt_report_opts {
    int no_default_suppressions;
    struct lt_supp *supp;      /* user suppressions (leak: rules), or NULL; their counts are updated */
} lt_report_opts_t;

typedef struct lt_report {
    const lt_replay_t *rp;
    lt_leak_t *leaks;
    size_t nleaks;
    uint64_t leak_bytes, leak_blocks;
    uint64_t supp_bytes, supp_blocks, supp_sites;           /* runtime one-time allocations */
    uint64_t usupp_bytes, usupp_blocks, usupp_sites;        /* hidden by user suppressions */
    const struct lt_supp *supp;               /* the user suppressions applied, or NULL (not owned) */
    const struct lt_thread_report *threads;   /* thread alerts to include, or NULL (not owned) */
    const struct lt_growth *growth;           /* growth suspects to include, or NULL (not owned) */
} lt_report_t;

/* Symbolizes a stack into frames (allocation-function and tracer frames at
 * the top removed). *out is malloc'd; the strings belong to sym. */
int lt_report_symbolize(lt_symbolizer_t *sym, const lt_stack_t *s, lt_symframe_t **out, size_t *n);

/* True when a symbolized stack is a one-time runtime allocation (stdio
 * buffers, the dynamic loader's own data, language runtime start-up). */
int lt_report_is_runtime(const lt_symframe_t *f, size_t n);

/* Builds the leak report. Returns 0 or -LT_E_NOMEM. */
int lt_report_build(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_report_opts_t *o,
                    lt_report_t **out, lt_err_t *err);

/* As lt_report_build, over the given blocks instead of those live at the
 * end: sites[0..n) (stack id, bytes, blocks; from lt_replay_live_since)
 * are grouped, filtered and sorted the same way. */
int lt_report_build_sites(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_report_opts_t *o,
                          const lt_live_site_t *sites, size_t n, lt_report_t **out, lt_err_t *err);
void lt_report_free(lt_report_t *r);

#endif
