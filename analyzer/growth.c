/*
 * growth.c - per allocation site, the live bytes at the end of every time
 * slice of the window, and a verdict:
 *
 *   suspect when the live bytes rise along a line (least-squares slope > 0
 *   with R^2 >= 0.5), still rise over the last third of the window (its own
 *   slope is at least 30% of the whole window's), reach a new high in the
 *   last quarter, grew in at least half of the slices where they changed,
 *   gained at least 3 blocks (or, for one buffer grown by realloc, grew in
 *   at least 6 slices), and have been rising for at least min_duration
 *   seconds.
 *
 * A bounded cache fails "still rising late" and "new high late"; churn
 * fails the line fit; one-time allocations do not change at all. The
 * confidence multiplies the fit quality, how much of the rate holds late,
 * how steady the growth is and how many times it grew (blocks gained, or
 * half the slices it grew in; saturating at 4).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"
#include "profile_build.h"
#include "suppress.h"

void lt_growth_opts_default(lt_growth_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->window_to = -1;
    o->min_duration = 2.0;
    o->min_confidence = 0.5;
}

static void line_fit(const double *t, const double *y, size_t n, double *slope, double *r2)
{
    double st = 0, sy = 0;
    for (size_t i = 0; i < n; i++) { st += t[i]; sy += y[i]; }
    double mt = st / (double)n, my = sy / (double)n, stt = 0, sty = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        stt += (t[i] - mt) * (t[i] - mt);
        sty += (t[i] - mt) * (y[i] - my);
        syy += (y[i] - my) * (y[i] - my);
    }
    *slope = stt > 0 ? sty / stt : 0;
    *r2 = stt > 0 && syy > 0 ? (sty * sty) / (stt * syy) : 0;
}

void lt_growth_fit(const double *t, const double *y, const double *blocks, size_t n, lt_suspect_t *s)
{
    memset(s, 0, sizeof *s);
    if (n < 3) return;
    line_fit(t, y, n, &s->rate_bytes_per_s, &s->r2);
    double bslope, br2;
    line_fit(t, blocks, n, &bslope, &br2);
    s->rate_blocks_per_s = bslope;
    size_t k = n - n / 3;
    double late, lr2;
    line_fit(t + k, y + k, n - k, &late, &lr2);
    s->late_ratio = s->rate_bytes_per_s > 0 ? late / s->rate_bytes_per_s : 0;
    size_t up = 0, changed = 0, first_rise = n;
    for (size_t i = 1; i < n; i++) {
        if (y[i] == y[i - 1]) continue;
        changed++;
        if (y[i] > y[i - 1]) {
            up++;
            if (first_rise == n) first_rise = i - 1;
        }
    }
    s->growth_share = changed ? (double)up / (double)changed : 0;
    s->rises = up;
    s->growing_for = first_rise < n ? t[n - 1] - t[first_rise] : 0;
    s->projected_per_hour = s->rate_bytes_per_s > 0 ? s->rate_bytes_per_s * 3600 : 0;
}

double lt_growth_gains(const lt_suspect_t *s, double net_blocks)
{
    double r = (double)s->rises / 2;
    return net_blocks > r ? net_blocks : r;
}

int lt_growth_is_suspect(const lt_suspect_t *s, const lt_growth_opts_t *o, double net_blocks, int new_high_late)
{
    return s->rate_bytes_per_s > 0 && s->r2 >= 0.5 && s->late_ratio >= 0.3 && new_high_late && s->growth_share >= 0.5 &&
           lt_growth_gains(s, net_blocks) >= 3 && s->growing_for >= o->min_duration && s->confidence >= o->min_confidence;
}

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

static int by_rate(const void *x, const void *y)
{
    const lt_suspect_t *a = x, *b = y;
    if (a->rate_bytes_per_s != b->rate_bytes_per_s) return a->rate_bytes_per_s < b->rate_bytes_per_s ? 1 : -1;
    return 0;
}

int lt_growth_build(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_growth_opts_t *o, lt_growth_t **out,
                    lt_err_t *err)
{
    *out = NULL;
    const lt_series_t *se = rp->series;
    lt_growth_t *g = calloc(1, sizeof *g);
    if (!g || !se) { free(g); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory"); }
    g->nslices = se->nslices;
    g->slice_ns = se->slice_ns;
    g->origin_ns = se->origin_ns;
    g->supp = o->supp;
    double w = (double)se->slice_ns / 1e9, org = (double)se->origin_ns / 1e9;
    /* The window, in slices: those whose end lies in [from, to]. */
    size_t first = 0, last = g->nslices ? g->nslices - 1 : 0;
    if (o->window_from > 0) {
        double f = (o->window_from - org) / w - 1;
        first = f <= 0 ? 0 : (size_t)ceil(f);
    }
    if (o->window_to >= 0) {
        double l = (o->window_to - org) / w - 1;
        last = l < 0 ? 0 : (size_t)floor(l);
        if (last >= g->nslices) last = g->nslices ? g->nslices - 1 : 0;
    }
    if (g->nslices == 0 || first > last) {
        double len = org + (double)g->nslices * w;
        free(g);
        LT_RETURN_ERROR(err, LT_E_USAGE, -1, "the window %.3f..%.3f s holds no part of the %s (%.3f..%.3f s)",
                        o->window_from, o->window_to, org > 0 ? "trace's window" : "run", org, len);
    }
    g->first = first;
    g->last = last;
    g->duration = (double)(last - first + 1) * w;
    size_t n = last - first + 1;

    g->prof = lt_profile_new();
    double *t = malloc(n * sizeof *t), *y = malloc(n * sizeof *y), *b = malloc(n * sizeof *b);
    uint64_t *sy = malloc(n * sizeof *sy), *sb = malloc(n * sizeof *sb);
    struct member { uint32_t site, stack; } *m = NULL, *by_site = NULL;
    size_t nm = 0, capm = 0, *start = NULL;
    if (!g->prof || !t || !y || !b || !sy || !sb) goto done;
    for (size_t i = 0; i < n; i++) t[i] = (double)(first + i + 1) * w;

    /* Sites: every stack whose live memory changed in the window, merged
     * by symbolized frames. First the site of each such stack; then, one
     * site at a time, the sum of its stacks' series and the verdict. Only
     * a suspect keeps its series: a series per site considered took most
     * of the analyzer's memory on a program with many stacks (python's:
     * 97 MB), and on the machines the benchmarks run on fresh memory costs
     * 1-3 ms per MiB. */
    for (size_t id = 0; id <= se->nst; id++) {
        const lt_sstack_t *ss = id < se->nst ? &se->st[id] : &se->none;
        if (!ss->n) continue;
        uint64_t b0, k0, b1, k1;
        lt_series_at(ss, first, &b0, &k0);
        lt_series_at(ss, last, &b1, &k1);
        int changed = b0 != b1;
        for (uint32_t p = 0; p < ss->n && !changed; p++) changed = ss->pts[p].slice > first && ss->pts[p].slice <= last;
        if (!changed) continue;
        lt_pcounts_t c = { 0, 0, k1, b1 };
        size_t site;
        if (lt_profile_add_stack(g->prof, rp, sym, id < se->nst ? (uint32_t)id : LT_STACK_NONE, &c, &site) < 0) goto done;
        if (nm == capm) {
            size_t nc = capm ? capm * 2 : 256;
            struct member *nmv = realloc(m, nc * sizeof *nmv);
            if (!nmv) goto done;
            m = nmv;
            capm = nc;
        }
        m[nm++] = (struct member){ (uint32_t)site, (uint32_t)id };
    }
    size_t nsites = g->prof->nsites;
    g->sites_considered = nsites;
    /* The members grouped by site, in stack order within a site. */
    start = calloc(nsites + 1, sizeof *start);
    by_site = malloc((nm ? nm : 1) * sizeof *by_site);
    g->series = calloc(nsites + 1, sizeof *g->series);
    g->bseries = calloc(nsites + 1, sizeof *g->bseries);
    g->suspects = calloc(nsites + 1, sizeof *g->suspects);
    if (!start || !by_site || !g->series || !g->bseries || !g->suspects) goto done;
    for (size_t i = 0; i < nm; i++) start[m[i].site + 1]++;
    for (size_t s = 0; s < nsites; s++) start[s + 1] += start[s];
    for (size_t i = 0; i < nm; i++) by_site[start[m[i].site]++] = m[i];
    for (size_t s = nsites; s > 0; s--) start[s] = start[s - 1];
    start[0] = 0;

    for (size_t s = 0; s < nsites; s++) {
        const lt_psite_t *site = &g->prof->sites[s];
        if (site->runtime && !o->include_runtime) continue;
        memset(sy, 0, n * sizeof *sy);
        memset(sb, 0, n * sizeof *sb);
        for (size_t k = start[s]; k < start[s + 1]; k++) {
            uint32_t id = by_site[k].stack;
            const lt_sstack_t *ss = id < se->nst ? &se->st[id] : &se->none;
            /* The value at a slice is the last point at or before it. */
            uint64_t vb = 0, vk = 0;
            uint32_t p = 0;
            for (size_t i = 0; i < n; i++) {
                while (p < ss->n && ss->pts[p].slice <= first + i) {
                    vb = ss->pts[p].bytes;
                    vk = ss->pts[p].blocks;
                    p++;
                }
                sy[i] += vb;
                sb[i] += vk;
            }
        }
        double ymax_early = 0, ymax_late = 0;
        for (size_t i = 0; i < n; i++) {
            y[i] = (double)sy[i];
            b[i] = (double)sb[i];
            if (i < n - n / 4) { if (y[i] > ymax_early) ymax_early = y[i]; }
            else if (y[i] > ymax_late) ymax_late = y[i];
        }
        lt_suspect_t sp;
        lt_growth_fit(t, y, b, n, &sp);
        double net_blocks = b[n - 1] - b[0];
        sp.confidence = clamp01(sp.r2) * clamp01(sp.late_ratio) * (0.5 + 0.5 * sp.growth_share) *
                        clamp01(lt_growth_gains(&sp, net_blocks) / 4.0);
        if (!lt_growth_is_suspect(&sp, o, net_blocks, ymax_late > ymax_early)) continue;
        long k = lt_supp_match_profile(o->supp, LT_SUPP_GROWTH, g->prof, site->frames, site->nframes);
        if (k >= 0) {
            lt_supp_hit_growth(o->supp, k);
            g->suppressed++;
            continue;
        }
        if (!(g->series[s] = malloc(n * sizeof **g->series)) || !(g->bseries[s] = malloc(n * sizeof **g->bseries))) goto done;
        memcpy(g->series[s], sy, n * sizeof *sy);
        memcpy(g->bseries[s], sb, n * sizeof *sb);
        sp.site = s;
        sp.live_bytes = sy[n - 1];
        sp.live_blocks = sb[n - 1];
        sp.start_bytes = sy[0];
        g->suspects[g->nsuspects++] = sp;
    }
    if (g->nsuspects > 1) qsort(g->suspects, g->nsuspects, sizeof *g->suspects, by_rate);
    *out = g;
    g = NULL;
done: /* g is NULL when it was handed over, else out of memory */
    free(t);
    free(y);
    free(b);
    free(sy);
    free(sb);
    free(m);
    free(by_site);
    free(start);
    if (!g) return 0;
    lt_growth_free(g);
    LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory in the growth analysis");
}

void lt_growth_free(lt_growth_t *g)
{
    if (!g) return;
    if (g->prof) {
        for (size_t i = 0; i < g->prof->nsites; i++) {
            if (g->series) free(g->series[i]);
            if (g->bseries) free(g->bseries[i]);
        }
    }
    free(g->series);
    free(g->bseries);
    lt_profile_free(g->prof);
    free(g->suspects);
    free(g);
}
