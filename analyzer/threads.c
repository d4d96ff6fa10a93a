/*
 * threads.c - thread alerts. Each thread of the table gets a verdict:
 *   running_at_exit  started (or created) and never ended before the end
 *                    of the trace;
 *   never_joined     ended, joinable (not created detached, never
 *                    detached) and never joined: its stack and descriptor
 *                    stay allocated until the process ends;
 * joined threads and detached threads that ended are fine. Threads are
 * grouped per (verdict, symbolized creation stack).
 *
 * growing: for each creation site, the number of its threads alive (started,
 * not ended) is sampled at 20 evenly spaced times between the site's first
 * creation and the end of the trace. The site grows when the count at the
 * end is at least 4, reaches a new maximum in the last quarter of that span
 * (a pool that filled up and plateaued does not), and is at least 1.5 times
 * the count at the middle (growth is still going on, not a last-moment blip).
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "suppress.h"
#include "threads.h"

#define SLICES 20
#define GROW_MIN_LIVE 4

typedef struct site {
    lt_symframe_t *frames;
    size_t nframes;
    const char *start_fn;
    const lt_thread_info_t **threads;   /* of this site, not ignored */
    size_t n, cap;
} site_t;

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

static int matches(const char *s, const lt_thread_opts_t *o)
{
    if (!s) return 0;
    for (size_t i = 0; i < o->nignore; i++)
        if (fnmatch(o->ignore[i], s, 0) == 0) return 1;
    return 0;
}

static int ignored(const site_t *s, const lt_thread_opts_t *o)
{
    if (!o->nignore) return 0;
    if (matches(s->start_fn, o)) return 1;
    for (size_t i = 0; i < s->nframes; i++) {
        const lt_symframe_t *f = &s->frames[i];
        if (matches(f->function, o) || matches(f->file, o) || matches(base_name(f->file), o) ||
            matches(base_name(f->module), o))
            return 1;
    }
    return 0;
}

static int same_frames(const site_t *s, const lt_symframe_t *f, size_t n, const char *fn)
{
    if (s->nframes != n || s->start_fn != fn) return 0;
    for (size_t i = 0; i < n; i++) {
        const lt_symframe_t *a = &s->frames[i], *b = &f[i];
        /* The symbolizer interns its strings: pointers compare. */
        if (a->function != b->function || a->file != b->file || a->line != b->line || a->module != b->module) return 0;
        if (!a->function && a->address != b->address) return 0;
    }
    return 1;
}

static int is_running(const lt_thread_info_t *t) { return (t->have_create || t->have_start) && !t->have_end; }
static int is_detached(const lt_thread_info_t *t) { return t->detached_at_create || t->have_detach; }
static int is_never_joined(const lt_thread_info_t *t) { return t->have_end && !t->have_join && !is_detached(t); }
static uint64_t born(const lt_thread_info_t *t) { return t->have_start ? t->start_ts : t->create_ts; }

static size_t alive_at(const site_t *s, uint64_t ts)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const lt_thread_info_t *t = s->threads[i];
        if (born(t) <= ts && (!t->have_end || t->end_ts > ts)) n++;
    }
    return n;
}

/* Ends before starts at equal times: a thread that ended as another began
 * was not alive with it. */
static int by_time(const void *x, const void *y)
{
    const int64_t *a = x, *b = y;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

static int add_alert(lt_thread_report_t *r, size_t *cap, const lt_thread_alert_t *a, lt_supp_t *supp)
{
    long k = lt_supp_match(supp, LT_SUPP_THREAD, a->frames, a->nframes, a->start_function);
    if (k >= 0) {
        lt_supp_hit_thread(supp, k, a->count);
        r->supp_alerts++;
        r->supp_threads += a->count;
        return 0;
    }
    if (r->nalerts == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        lt_thread_alert_t *n = realloc(r->alerts, nc * sizeof *n);
        if (!n) return -1;
        r->alerts = n;
        *cap = nc;
    }
    r->alerts[r->nalerts++] = *a;
    return 0;
}

static int by_kind_count(const void *x, const void *y)
{
    const lt_thread_alert_t *a = x, *b = y;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->count != b->count) return a->count < b->count ? 1 : -1;
    return 0;
}

int lt_threads_build(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_thread_opts_t *o,
                     lt_thread_report_t **out, lt_err_t *err)
{
    lt_thread_report_t *r = calloc(1, sizeof *r);
    site_t *sites = NULL;
    size_t nsites = 0, capsites = 0, capalerts = 0;
    if (!r) goto oom;
    r->supp = o->supp;
    uint64_t end_ts = rp->complete ? rp->end_ts : rp->last_ts;
    for (size_t i = 0; i < rp->nthreads; i++) {
        const lt_thread_info_t *t = &rp->threads[i];
        if (!t->have_create && !t->have_start) continue; /* a serial of a failed create */
        r->tracked = 1;
        r->created++;
        if (is_running(t)) r->running_at_exit++;
        if (t->have_end && t->end_ts > end_ts) end_ts = t->end_ts;
        /* The site: symbolized creation stack and start routine. */
        lt_symframe_t *fr = NULL;
        size_t nfr = 0;
        const lt_stack_t *st = lt_replay_stack(rp, t->stack);
        if (st->ips && lt_report_symbolize(sym, st, &fr, &nfr) < 0) goto oom;
        const char *fn = NULL;
        if (t->start_fn) {
            const lt_symframe_t *f;
            size_t m = lt_sym_lookup(sym, st->ips ? st->gen : 0, t->start_fn, 0, &f);
            if (m) fn = f[m - 1].function;
        }
        size_t k = 0;
        for (; k < nsites; k++)
            if (same_frames(&sites[k], fr, nfr, fn)) break;
        if (k < nsites) {
            free(fr);
        } else {
            if (nsites == capsites) {
                size_t nc = capsites ? capsites * 2 : 16;
                site_t *ns = realloc(sites, nc * sizeof *ns);
                if (!ns) { free(fr); goto oom; }
                sites = ns;
                capsites = nc;
            }
            sites[nsites++] = (site_t){ fr, nfr, fn, NULL, 0, 0 };
        }
        site_t *s = &sites[k];
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 8;
            const lt_thread_info_t **nt = realloc(s->threads, nc * sizeof *nt);
            if (!nt) goto oom;
            s->threads = nt;
            s->cap = nc;
        }
        s->threads[s->n++] = t;
    }
    /* The most threads alive at once, over every site. */
    {
        size_t nev = 0;
        int64_t (*ev)[2] = malloc((2 * r->created + 1) * sizeof *ev);
        if (!ev) goto oom;
        for (size_t i = 0; i < rp->nthreads; i++) {
            const lt_thread_info_t *t = &rp->threads[i];
            if (!t->have_create && !t->have_start) continue;
            ev[nev][0] = (int64_t)born(t); ev[nev++][1] = 1;
            if (t->have_end) { ev[nev][0] = (int64_t)t->end_ts; ev[nev++][1] = -1; }
        }
        qsort(ev, nev, sizeof *ev, by_time);
        int64_t cur = 0;
        for (size_t i = 0; i < nev; i++) {
            cur += ev[i][1];
            if (cur > (int64_t)r->max_alive) r->max_alive = (size_t)cur;
        }
        free(ev);
    }
    for (size_t k = 0; k < nsites; k++) {
        site_t *s = &sites[k];
        if (ignored(s, o)) {
            r->ignored += s->n;
            continue;
        }
        lt_thread_alert_t ra = { LT_TALERT_RUNNING_AT_EXIT, 0, s->start_fn, s->frames, s->nframes, { 0 }, 0, 0, 0, 0 };
        lt_thread_alert_t nj = ra;
        nj.kind = LT_TALERT_NEVER_JOINED;
        for (size_t i = 0; i < s->n; i++) {
            const lt_thread_info_t *t = s->threads[i];
            lt_thread_alert_t *a = is_running(t) ? &ra : is_never_joined(t) ? &nj : NULL;
            if (!a) continue;
            if (a->nexamples < LT_TALERT_EXAMPLES) a->examples[a->nexamples++] = t;
            a->count++;
        }
        if (ra.count && !o->ignore_running_at_exit && add_alert(r, &capalerts, &ra, o->supp) < 0) goto oom;
        if (nj.count && add_alert(r, &capalerts, &nj, o->supp) < 0) goto oom;
        /* growing */
        uint64_t t0 = UINT64_MAX;
        for (size_t i = 0; i < s->n; i++)
            if (born(s->threads[i]) < t0) t0 = born(s->threads[i]);
        if (s->n < GROW_MIN_LIVE || end_ts <= t0) continue;
        size_t live[SLICES + 1], max_early = 0, max_late = 0;
        for (int i = 0; i <= SLICES; i++) {
            live[i] = alive_at(s, t0 + (end_ts - t0) * (uint64_t)i / SLICES);
            if (i <= SLICES * 3 / 4) { if (live[i] > max_early) max_early = live[i]; }
            else if (live[i] > max_late) max_late = live[i];
        }
        size_t last = live[SLICES], mid = live[SLICES / 2];
        if (last >= GROW_MIN_LIVE && max_late > max_early && 2 * last >= 3 * mid) {
            lt_thread_alert_t g = ra;
            g.kind = LT_TALERT_GROWING;
            g.count = last;
            g.created = s->n;
            g.live_mid = mid;
            g.rate_per_s = (double)(last - mid) / ((double)(end_ts - t0) / 2e9);
            g.nexamples = 0;
            for (size_t i = 0; i < s->n && g.nexamples < LT_TALERT_EXAMPLES; i++)
                if (is_running(s->threads[i])) g.examples[g.nexamples++] = s->threads[i];
            if (add_alert(r, &capalerts, &g, o->supp) < 0) goto oom;
        }
    }
    if (r->nalerts) qsort(r->alerts, r->nalerts, sizeof *r->alerts, by_kind_count);
    /* The alerts borrow the sites' frames: hand them over (one owner each). */
    for (size_t k = 0; k < nsites; k++) {
        int used = 0;
        for (size_t i = 0; i < r->nalerts; i++) used |= r->alerts[i].frames == sites[k].frames && sites[k].frames;
        if (!used) free(sites[k].frames);
        free(sites[k].threads);
    }
    free(sites);
    *out = r;
    return 0;
oom:
    for (size_t k = 0; k < nsites; k++) { free(sites[k].frames); free(sites[k].threads); }
    free(sites);
    if (r) free(r->alerts);
    free(r);
    LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while building the thread report");
}

void lt_threads_free(lt_thread_report_t *r)
{
    if (!r) return;
    /* Several alerts may share one site's frames. */
    for (size_t i = 0; i < r->nalerts; i++) {
        int first = 1;
        for (size_t j = 0; j < i; j++) first &= r->alerts[j].frames != r->alerts[i].frames;
        if (first) free(r->alerts[i].frames);
    }
    free(r->alerts);
    free(r);
}
