/*
 * timeline.h - the heap over time, from a replay with series
 * (lt_replay_enable_series): total live bytes, the largest sites stacked,
 * the thread count, the marks. As a self-contained SVG plot, or as CSV for
 * spreadsheets and pandas. Rendering only; the series come from replay.c.
 * How sites are chosen and named, and the CSV columns: timeline.c.
 */
#ifndef LT_TIMELINE_H
#define LT_TIMELINE_H

#include <stdio.h>

#include "error.h"
#include "replay.h"
#include "symbolize.h"

#define LT_TIMELINE_TOP_DEFAULT 5
#define LT_TIMELINE_SVG_MAX_TOP 20   /* the SVG draws at most this many sites */

typedef struct lt_timeline_opts {
    size_t top;              /* sites drawn (stacked) / written as columns; default 5; 0: all */
    const char *title;       /* NULL: a default naming the program */
    int include_runtime;     /* runtime one-time sites may be among the top sites */
} lt_timeline_opts_t;

/* The defaults: top 5, default title, no runtime sites. */
void lt_timeline_opts_default(lt_timeline_opts_t *o);

/* Writes the SVG. rp: finished, ideally with series (without them, or with
 * fewer than 2 slices, the SVG says there is nothing to plot); sym: a
 * symbolizer over rp's modules (not NULL); o: NULL for the defaults.
 * Returns 0, -LT_E_NOMEM or -LT_E_IO (out had a write error). */
int lt_timeline_svg(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_timeline_opts_t *o, FILE *out, lt_err_t *err);
/* Writes the CSV (header line, one row per slice; no rows without series).
 * Same arguments and returns. */
int lt_timeline_csv(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_timeline_opts_t *o, FILE *out, lt_err_t *err);

/* The plotted data itself, for renderers elsewhere (the HTML report): the
 * same slices, top sites (ranked, at most `top`, runtime sites only with
 * include_runtime) and labels as the SVG and CSV. */
typedef struct lt_timeline_data {
    size_t n;                /* slices (0: nothing to plot) */
    const double *t;         /* seconds since the tracer started, at the end of each slice */
    size_t ntop;
    const char *const *label;        /* per rank: unique, valid UTF-8 */
    const uint64_t *const *bytes;    /* per rank: live bytes at the end of each slice */
    const uint64_t *peak, *end;      /* per rank: highest live bytes at a slice end, at the end */
    const uint64_t *other;   /* per slice: every other site's live bytes (NULL when n is 0) */
    size_t nother;           /* sites in "other" that were live at some slice end */
    struct tl *priv;         /* owns everything above */
} lt_timeline_data_t;

/* Computes the data (o: NULL for the defaults; top 0 means all sites).
 * Returns 0 with *out (free with lt_timeline_data_free), or -LT_E_NOMEM. */
int lt_timeline_data(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_timeline_opts_t *o, lt_timeline_data_t **out,
                     lt_err_t *err);
void lt_timeline_data_free(lt_timeline_data_t *d);

#endif
