/*
 * diff.h - the difference between two heap profiles (two dumps, two marks
 * of a run, or two runs): per allocation site, live bytes and blocks before
 * and after. Sites are matched by what they mean, not where they were
 * mapped: each frame by function, source file, line and module file name
 * (module name + offset for frames without a symbol), so profiles of two
 * runs of the same build match despite ASLR. Computation only; rendered by
 * output_profile.c.
 */
#ifndef LT_DIFF_H
#define LT_DIFF_H

#include <stdint.h>

#include "error.h"
#include "profile.h"

enum { LT_CHANGE_NEW = 0, LT_CHANGE_GONE, LT_CHANGE_GREW, LT_CHANGE_SHRANK, LT_CHANGE_SAME };

typedef struct lt_change {
    int status;                    /* LT_CHANGE_*: NEW no live bytes before, GONE none after */
    int64_t bytes_delta, blocks_delta;
    uint64_t bytes_before, bytes_after, blocks_before, blocks_after;
    const lt_profile_t *prof;      /* the profile whose site gives the stack (after, else before) */
    const lt_psite_t *site;
} lt_change_t;

typedef struct lt_diff {
    const lt_profile_t *before, *after;
    lt_change_t *changes;          /* only sites whose live bytes or blocks changed; largest growth first */
    size_t nchanges;
    int64_t bytes_delta, blocks_delta;
    uint64_t bytes_before, bytes_after, blocks_before, blocks_after;
    size_t sites_new, sites_gone;
} lt_diff_t;

/* Compares live memory (inuse) of a and b. Runtime one-time allocations
 * (lt_psite_t.runtime) count like any other site unless skip_runtime.
 * Returns 0 or -LT_E_NOMEM. Both profiles must outlive the diff. */
int lt_diff_build(const lt_profile_t *a, const lt_profile_t *b, int skip_runtime, lt_diff_t **out, lt_err_t *err);
void lt_diff_free(lt_diff_t *d);

/* The key a site is matched by (see above): equal keys, same site, across
 * profiles and runs. malloc'd; NULL when out of memory. */
char *lt_diff_site_key(const lt_profile_t *p, const lt_psite_t *s);

#endif
