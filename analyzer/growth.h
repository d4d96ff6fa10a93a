/*
 * growth.h - growth-rate leak detection for programs that do not exit:
 * allocation sites whose live memory keeps rising over the run, told apart
 * from caches that fill up and stay flat, one-time allocations and churn.
 * Computed from the time series of a replay (lt_replay_enable_series) and
 * rendered by output_growth.c. The method is explained in docs/growth.md.
 */
#ifndef LT_GROWTH_H
#define LT_GROWTH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "profile.h"
#include "replay.h"
#include "symbolize.h"

struct lt_supp;

typedef struct lt_growth_opts {
    double window_from, window_to;  /* seconds; to < 0: the end of the run */
    double min_duration;            /* seconds the growth must have lasted (default 2) */
    double min_confidence;          /* suspects below are not reported (default 0.5) */
    int include_runtime;            /* also consider one-time runtime sites */
    struct lt_supp *supp;           /* user suppressions (growth: rules), or NULL; their counts are updated */
} lt_growth_opts_t;

void lt_growth_opts_default(lt_growth_opts_t *o);

typedef struct lt_suspect {
    size_t site;                    /* index in lt_growth_t.prof->sites */
    double rate_bytes_per_s, rate_blocks_per_s;
    double r2;                      /* fit quality of a straight line, 0..1 */
    double growth_share;            /* of the slices where live bytes changed, the share that grew */
    size_t rises;                   /* slices where live bytes grew */
    double late_ratio;              /* growth rate over the last third / over the window */
    double growing_for;             /* seconds from the first rise to the end of the window */
    uint64_t live_bytes, live_blocks;   /* at the end of the window */
    uint64_t start_bytes;           /* at the start of the window */
    double projected_per_hour;      /* bytes */
    double confidence;              /* 0..1 */
} lt_suspect_t;

typedef struct lt_growth {
    lt_profile_t *prof;             /* the sites considered (not sorted) */
    uint64_t **series;              /* per site: live bytes at the end of each slice (suspects only, else NULL) */
    uint64_t **bseries;             /* per site: live blocks (suspects only, else NULL) */
    size_t nslices;
    uint64_t slice_ns;
    uint64_t origin_ns;            /* time of slice 0's start (a ring's window; else 0) */
    size_t first, last;             /* the window: slices first..last */
    double duration;                /* seconds covered by the window */
    lt_suspect_t *suspects;         /* highest rate first */
    size_t nsuspects;
    size_t sites_considered;
    size_t suppressed;              /* suspects hidden by user suppressions */
    const struct lt_supp *supp;     /* the user suppressions applied, or NULL (not owned) */
} lt_growth_t;

/* Analyses rp (replayed with series). Returns 0 or -LT_E_NOMEM / -LT_E_USAGE
 * (a window outside the run). */
int lt_growth_build(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_growth_opts_t *o, lt_growth_t **out,
                    lt_err_t *err);
void lt_growth_free(lt_growth_t *g);

/* The statistics of one series y[0..n) at times t (seconds): exposed for
 * tests. Fills everything but site, live_* and start_bytes. */
void lt_growth_fit(const double *t, const double *y, const double *blocks, size_t n, lt_suspect_t *s);
/* How many times a site grew, for the verdict: the blocks it gained, or for
 * a buffer grown in place by realloc (one block, ever larger) half the
 * slices in which it grew. */
double lt_growth_gains(const lt_suspect_t *s, double net_blocks);
/* The verdict for fitted statistics: 1 = a suspect. */
int lt_growth_is_suspect(const lt_suspect_t *s, const lt_growth_opts_t *o, double net_blocks, int new_high_late);

#endif
