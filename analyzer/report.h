/*
 * report.h - the leak report as data: leaks grouped by symbolized
 * allocation stack, largest first, runtime one-time allocations set apart.
 * Computed from a replay; formatted by output.c. No I/O here.
 */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/lt_format.h"
#include "error.h"
#include "replay.h"
#include "symbolize.h"

/* A leak's kind: the reachability kinds (LT_KIND_*, common/lt_format.h)
 * when the trace has the exit scan, else LT_LEAK_NOT_FREED. */
#define LT_LEAK_NOT_FREED 4
#define LT_LEAK_NKINDS 5
#define LT_KINDS_MASK(k) (1u << (k))
#define LT_KINDS_DEFAULT (LT_KINDS_MASK(LT_KIND_DEFINITE) | LT_KINDS_MASK(LT_KIND_INDIRECT))
#define LT_KINDS_ALL 0xfu

/* Name of a kind as JSON and the options spell it ("definitely_lost",
 * ..., "not_freed"), and as text ("definitely lost", ...). */
const char *lt_leak_kind_name(int kind);
const char *lt_leak_kind_text(int kind);
/* Parses a comma-separated list of kinds (definite, indirect, possible,
 * reachable, all, none; the JSON names too) into a mask. 0 or -1. */
int lt_leak_kinds_parse(const char *s, unsigned *mask);

typedef struct lt_leak {
    uint64_t bytes, blocks;
    int kind;                  /* LT_KIND_* or LT_LEAK_NOT_FREED */
    uint64_t indirect_bytes;   /* definitely lost: bytes its blocks hold indirectly (valgrind's "M indirect") */
    lt_symframe_t *frames;     /* innermost first: the caller of the allocation function */
    size_t nframes;
    int truncated;             /* the stack reached the tracer's depth limit */
} lt_leak_t;

struct lt_supp;

typedef struct lt_report_opts {
    int no_default_suppressions;
    struct lt_supp *supp;      /* user suppressions (leak: rules), or NULL; their counts are updated */
    unsigned kinds;            /* LT_KINDS_MASK bits of the kinds that are leaks; 0: LT_KINDS_DEFAULT.
                                * Traces without the exit scan: every live block is a leak. */
    unsigned show;             /* kinds listed besides those (--show-reachable: LT_KINDS_ALL) */
} lt_report_opts_t;

typedef struct lt_report {
    const lt_replay_t *rp;
    lt_leak_t *leaks;
    size_t nleaks;
    uint64_t leak_bytes, leak_blocks;
    int have_kinds;            /* the trace has the exit scan's kinds */
    unsigned kinds;            /* the kinds counted as leaks (mask); leak_bytes/blocks sum those */
    unsigned show;             /* the kinds listed in leaks[] (a superset of kinds) */
    uint64_t kind_bytes[LT_LEAK_NKINDS], kind_blocks[LT_LEAK_NKINDS]; /* every live block, by kind, before suppressions */
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

/* 1 when leak l counts as a leak in r (its kind is among r->kinds, or the
 * trace has no kinds). */
int lt_report_counts(const lt_report_t *r, const lt_leak_t *l);

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
