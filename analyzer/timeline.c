/*
 * timeline.c - renders the heap over time (timeline.h) from a replay's
 * time series: as a self-contained SVG plot or as CSV.
 *
 * Sites. Every stack with a series is symbolized and merged into sites
 * exactly as growth.c does it (lt_profile_add_stack); the per-stack points
 * become per-site changes ("at the end of slice s, +d bytes"), which give
 * each site's live bytes at every slice. The top sites are the N whose live
 * bytes were highest at their own maximum over the run (ties: more live at
 * the end, then the first seen), so a phase that held much memory and gave
 * it back is shown as well as a leak that ends high. Sites never live at a
 * slice's end are never top sites. Runtime one-time sites (lt_psite_t.runtime)
 * are not top sites unless include_runtime. Every other site is "other", so
 * the top sites plus "other" add up to the live bytes of every slice.
 *
 * Labels. A site is named by its innermost frame that has a function name
 * and is neither in the C or C++ runtime libraries (libc, libstdc++, the
 * dynamic loader) nor in the libstdc++ headers (file under ".../c++/...",
 * template code instantiated in the program): "leak_request (server.c:41)".
 * Without such a frame, the innermost frame; without a function name,
 * "module+0xOFFSET". Top sites whose labels coincide get more frames until
 * they differ: first the frames skipped inside the named one, nearest
 * first (" via std::vector::resize (stl_vector.h:1013)", C++ names without
 * templates, parameters and return type), then its callers (" from main
 * (server.c:79)"); still equal after eight frames, they are numbered "#2",
 * "#3". Labels are valid UTF-8 without control characters.
 *
 * CSV columns (header line, then one row per time slice, RFC 4180):
 *   time_s       seconds since the tracer started, at the end of the slice
 *                (the last slice ends when the trace ends), 6 decimals
 *                (9 with slices under 1 ms)
 *   live_bytes   bytes live at that moment, over the whole heap
 *   live_blocks  blocks live at that moment
 *   threads      threads alive at the tracer's last sample before then;
 *                empty when unknown (before the first sample, or no samples)
 *   <site>...    one column per top site, its live bytes; the header is the
 *                site's label, always double-quoted (quotes doubled)
 *   other        live bytes of every other site
 * Numbers are integers except time_s; live_bytes = the sum of the site
 * columns and other, on every row.
 *
 * SVG: title and a summary line, stacked areas for the top sites (the
 * first at the bottom) and "other" in grey, the total live bytes as a line
 * over them (it is the top of the stack; drawn so the total reads at a
 * glance), the thread count as a line on its own right-hand axis (when the
 * trace has samples), the marks as dashed vertical lines labelled under the
 * time axis in up to three staggered rows (labels that would overlap are
 * left out and counted; every line has a hover text), and a legend with
 * each site's live bytes at the end and at its peak. At most
 * LT_TIMELINE_SVG_MAX_TOP sites are drawn.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "profile_build.h"
#include "timeline.h"

#define NO_RANK SIZE_MAX

/* ---- the model both outputs are written from ---- */

typedef struct tl_delta {
    size_t site;
    uint32_t slice;
    int64_t d;           /* change of the site's live bytes at the end of slice */
} tl_delta_t;

typedef struct tl {
    const lt_replay_t *rp;
    const lt_series_t *se;          /* NULL: the replay has no series */
    size_t n;                       /* slices */
    double *t;                      /* seconds at the end of each slice */
    double t_end;                   /* t[n - 1], 0 without slices */
    lt_profile_t *prof;             /* the sites (unsorted) */
    uint64_t *peak, *end;           /* per site: highest live bytes at a slice end, at the end */
    size_t *peak_slice;             /* per site: the first slice at its peak */
    size_t *top;                    /* site indexes by rank */
    size_t ntop;
    uint64_t **tb;                  /* per rank: live bytes per slice */
    uint64_t *other;                /* per slice: the other sites' live bytes */
    uint64_t other_end, other_peak;
    size_t nother;                  /* sites in "other" with live bytes at some point */
    uint64_t other_runtime_end;     /* of other_end: runtime one-time sites */
    char **label;                   /* per rank, unique, valid UTF-8 */
} tl_t;

static void tl_free(tl_t *m)
{
    if (m->tb)
        for (size_t r = 0; r < m->ntop; r++) free(m->tb[r]);
    if (m->label)
        for (size_t r = 0; r < m->ntop; r++) free(m->label[r]);
    free(m->tb);
    free(m->label);
    free(m->other);
    free(m->top);
    free(m->peak);
    free(m->end);
    free(m->peak_slice);
    free(m->t);
    lt_profile_free(m->prof);
    memset(m, 0, sizeof *m);
}

static int by_site_slice(const void *x, const void *y)
{
    const tl_delta_t *a = x, *b = y;
    if (a->site != b->site) return a->site < b->site ? -1 : 1;
    if (a->slice != b->slice) return a->slice < b->slice ? -1 : 1;
    return 0;
}

/* Ranking of candidate sites: a context-free comparison needs the values
 * next to the index. */
typedef struct tl_cand {
    uint64_t peak, end;
    size_t site;
} tl_cand_t;

static int by_rank(const void *x, const void *y)
{
    const tl_cand_t *a = x, *b = y;
    if (a->peak != b->peak) return a->peak > b->peak ? -1 : 1;
    if (a->end != b->end) return a->end > b->end ? -1 : 1;
    return a->site < b->site ? -1 : a->site > b->site;
}

/* ---- labels ---- */

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* A frame of the C or C++ runtime, whose name says little about the site. */
static int runtime_frame(const lt_profile_t *p, const lt_pframe_t *f)
{
    const char *m = lt_profile_module_name(p, f->module);
    if (starts(m, "libc.so") || starts(m, "libstdc++.so") || starts(m, "ld-linux") || starts(m, "libc++.so") ||
        starts(m, "libc++abi.so"))
        return 1;
    return f->file && strstr(f->file, "/c++/") != NULL;
}

/* Appends the bytes of s to the growing string *b (length *len), replacing
 * invalid UTF-8 and control characters by '?'. 0 or -1 (no memory). */
static int sb_add(char **b, size_t *len, const char *s)
{
    size_t n = strlen(s);
    char *nb = realloc(*b, *len + n + 1);
    if (!nb) return -1;
    *b = nb;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 && c <= 0xf4 ? 4 : 0;
        int ok = k > 0 && i + k <= n && !(k == 1 && (c < 0x20 || c == 0x7f));
        for (size_t j = 1; ok && j < k; j++) ok = (u[i + j] & 0xc0) == 0x80;
        /* No overlong 3/4-byte forms, surrogates or code points past U+10FFFF. */
        if (ok && k == 3) ok = !(c == 0xe0 && u[i + 1] < 0xa0) && !(c == 0xed && u[i + 1] >= 0xa0);
        if (ok && k == 4) ok = !(c == 0xf0 && u[i + 1] < 0x90) && !(c == 0xf4 && u[i + 1] >= 0x90);
        if (!ok) {
            nb[(*len)++] = '?';
            i++;
            continue;
        }
        memcpy(nb + *len, u + i, k);
        *len += k;
        i += k;
    }
    nb[*len] = '\0';
    return 0;
}

static int sb_addf(char **b, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sb_addf(char **b, size_t *len, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return sb_add(b, len, tmp);
}

/* Whether fn[0..i) ends with the identifier word. */
static int after_word(const char *fn, size_t i, const char *word)
{
    size_t l = strlen(word);
    if (i < l || strncmp(fn + i - l, word, l)) return 0;
    char c = i > l ? fn[i - l - 1] : ' ';
    return !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
}

/* A C++ name without its template arguments, parameter list and return
 * type, for frames added to tell sites apart: "std::thread&
 * std::vector<std::thread>::emplace_back<F>(F&&)" -> "std::vector::emplace_back".
 * Malloc'd; NULL when out of memory. */
static char *short_name(const char *fn)
{
    size_t n = strlen(fn);
    char *o = malloc(n + 1);
    if (!o) return NULL;
    /* Parameter list (and " const"): the balanced (...) ending the name. */
    size_t end = n;
    while (end > 0 && fn[end - 1] != ')' && fn[end - 1] != '>' && fn[end - 1] != ']') end--;
    if (end > 0 && fn[end - 1] == ')') {
        int depth = 0;
        for (size_t i = end; i-- > 0;) {
            if (fn[i] == ')') depth++;
            else if (fn[i] == '(' && --depth == 0) { end = i; break; }
        }
    } else {
        end = n;
    }
    size_t w = 0;
    int angle = 0, paren = 0;
    for (size_t i = 0; i < end; i++) {
        char c = fn[i];
        /* '<' and '>' of operator<, operator<<, operator->, operator>= are
         * characters of the name, not brackets. */
        int opch = (c == '<' || c == '>') && !angle &&
                   (after_word(fn, i, "operator") || (i > 0 && strchr("<>-", fn[i - 1]) && after_word(fn, i - 1, "operator")));
        if (!opch && c == '<') { angle++; continue; }
        if (!opch && c == '>' && angle) { angle--; continue; }
        if (angle) continue;
        if (c == '(') paren++;
        else if (c == ')' && paren) paren--;
        /* A space outside brackets ends the return type ("operator new"
         * and conversion operators keep theirs). */
        if (c == ' ' && !paren && !after_word(fn, i, "operator")) { w = 0; continue; }
        o[w++] = c;
    }
    o[w] = '\0';
    if (!w) {
        memcpy(o, fn, n + 1);
    }
    return o;
}

/* One frame as a label part: "fn (file.c:12)", "fn (libfoo.so)", "fn",
 * "libfoo.so+0x1a2b" or "0x1a2b"; short: the function's short_name. */
static int frame_label(char **b, size_t *len, const lt_profile_t *p, const lt_pframe_t *f, int short_fn)
{
    const char *mod = lt_profile_module_name(p, f->module);
    if (!f->function) {
        if (*mod && sb_add(b, len, mod) < 0) return -1;
        return sb_addf(b, len, "%s0x%" PRIx64, *mod ? "+" : "", f->offset);
    }
    if (short_fn) {
        char *sn = short_name(f->function);
        int rc = sn ? sb_add(b, len, sn) : -1;
        free(sn);
        if (rc < 0) return -1;
    } else if (sb_add(b, len, f->function) < 0) {
        return -1;
    }
    if (f->file) {
        if (sb_add(b, len, " (") < 0 || sb_add(b, len, base_name(f->file)) < 0) return -1;
        if (f->line && sb_addf(b, len, ":%" PRIu32, f->line) < 0) return -1;
        return sb_add(b, len, ")");
    }
    if (*mod) return sb_add(b, len, " (") < 0 || sb_add(b, len, mod) < 0 || sb_add(b, len, ")") < 0 ? -1 : 0;
    return 0;
}

/* The label of a site at disambiguation level `level`: the named frame;
 * from level 1 on, also the frames it called (" via ...", the skipped
 * runtime frames, nearest first), then its callers (" from ..."). *more:
 * whether a higher level would add anything. */
static char *site_label(const lt_profile_t *p, const lt_psite_t *s, size_t level, int *more)
{
    char *b = NULL;
    size_t len = 0;
    *more = 0;
    if (!s->nframes) return sb_add(&b, &len, "(stack not recorded)") < 0 ? (free(b), NULL) : b;
    size_t k = 0;
    while (k < s->nframes && (!s->frames[k].function || runtime_frame(p, &s->frames[k]))) k++;
    if (k == s->nframes) k = 0;
    size_t inner = level < k ? level : k, callers = level - inner;
    if (frame_label(&b, &len, p, &s->frames[k], 0) < 0) goto oom;
    for (size_t c = 1; c <= inner; c++)
        if (sb_add(&b, &len, " via ") < 0 || frame_label(&b, &len, p, &s->frames[k - c], 1) < 0) goto oom;
    for (size_t c = 1; c <= callers && k + c < s->nframes; c++)
        if (sb_add(&b, &len, " from ") < 0 || frame_label(&b, &len, p, &s->frames[k + c], 1) < 0) goto oom;
    *more = inner < k || k + callers + 1 < s->nframes;
    return b;
oom:
    free(b);
    return NULL;
}

typedef struct tl_lab {
    const char *s;
    size_t rank;
} tl_lab_t;

static int by_label(const void *x, const void *y)
{
    const tl_lab_t *a = x, *b = y;
    int c = strcmp(a->s, b->s);
    if (c) return c;
    /* The CSV's fixed column names (NO_RANK) before the sites. */
    if ((a->rank == NO_RANK) != (b->rank == NO_RANK)) return a->rank == NO_RANK ? -1 : 1;
    return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* Labels of the top sites, made unique (also against the CSV's fixed
 * column names). 0 or -1 (no memory). */
static int make_labels(tl_t *m)
{
    static const char *const fixed[] = { "time_s", "live_bytes", "live_blocks", "threads", "other" };
    const size_t nfixed = sizeof fixed / sizeof fixed[0];
    size_t *level = calloc(m->ntop + 1, sizeof *level);
    int *more = calloc(m->ntop + 1, sizeof *more);
    tl_lab_t *v = malloc((m->ntop + nfixed) * sizeof *v);
    int rc = -1;
    if (!level || !more || !v || !(m->label = calloc(m->ntop + 1, sizeof *m->label))) goto out;
    for (int round = 0;; round++) {
        for (size_t r = 0; r < m->ntop; r++) {
            free(m->label[r]);
            if (!(m->label[r] = site_label(m->prof, &m->prof->sites[m->top[r]], level[r], &more[r]))) goto out;
            v[r] = (tl_lab_t){ m->label[r], r };
        }
        for (size_t i = 0; i < nfixed; i++) v[m->ntop + i] = (tl_lab_t){ fixed[i], NO_RANK };
        qsort(v, m->ntop + nfixed, sizeof *v, by_label);
        int grown = 0, dup = 0;
        for (size_t i = 0; i + 1 < m->ntop + nfixed; i++) {
            if (strcmp(v[i].s, v[i + 1].s)) continue;
            dup = 1;
            for (size_t j = i; j <= i + 1; j++)
                if (v[j].rank != NO_RANK && more[v[j].rank] > 0 && round < 8) {
                    more[v[j].rank] = -1;   /* one more frame, once per round */
                    grown = 1;
                }
        }
        for (size_t r = 0; r < m->ntop; r++) level[r] += more[r] < 0;
        if (!dup) break;
        if (grown) continue;
        /* Still equal with no frame left to tell them apart: number them
         * (v is sorted by label, the fixed names first, then by rank). The
         * numbers are found first: appending moves the strings v points to. */
        size_t run = 1;
        for (size_t r = 0; r < m->ntop; r++) level[r] = 1;
        for (size_t i = 1; i < m->ntop + nfixed; i++) {
            run = strcmp(v[i].s, v[i - 1].s) ? 1 : run + 1;
            if (v[i].rank != NO_RANK) level[v[i].rank] = run;
        }
        for (size_t r = 0; r < m->ntop; r++) {
            if (level[r] == 1) continue;
            size_t len = strlen(m->label[r]);
            if (sb_addf(&m->label[r], &len, " #%zu", level[r]) < 0) goto out;
        }
        break;
    }
    rc = 0;
out:
    free(level);
    free(more);
    free(v);
    return rc;
}

/* ---- building the model ---- */

static int tl_build(tl_t *m, const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_timeline_opts_t *o, size_t max_top)
{
    memset(m, 0, sizeof *m);
    m->rp = rp;
    m->se = rp->series;
    m->n = m->se ? m->se->nslices : 0;
    if (!(m->prof = lt_profile_new())) return -1;
    if (!m->n) return 0;
    const lt_series_t *se = m->se;
    size_t n = m->n;

    /* The time at the end of each slice; the last ends with the trace. */
    if (!(m->t = malloc(n * sizeof *m->t))) return -1;
    double w = (double)se->slice_ns / 1e9, org = (double)se->origin_ns / 1e9;
    for (size_t i = 0; i < n; i++) m->t[i] = org + (double)(i + 1) * w;
    uint64_t end_ns = rp->complete && rp->end_ts > rp->last_ts ? rp->end_ts : rp->last_ts;
    double te = (double)end_ns / 1e9;
    if (te < org + (double)(n - 1) * w) te = org + (double)(n - 1) * w;
    if (te < m->t[n - 1]) m->t[n - 1] = te;
    if (n > 1 && m->t[n - 1] <= m->t[n - 2]) m->t[n - 1] = m->t[n - 2] + w / 1000;
    m->t_end = m->t[n - 1];

    /* Sites, and every stack's changes as changes of its site. */
    size_t npts = 0;
    for (size_t id = 0; id <= se->nst; id++) npts += id < se->nst ? se->st[id].n : se->none.n;
    tl_delta_t *dv = malloc((npts + 1) * sizeof *dv);
    if (!dv) return -1;
    size_t nd = 0;
    for (size_t id = 0; id <= se->nst; id++) {
        const lt_sstack_t *ss = id < se->nst ? &se->st[id] : &se->none;
        if (!ss->n) continue;
        uint64_t eb, ek;
        lt_series_at(ss, n - 1, &eb, &ek);
        lt_pcounts_t c = { 0, 0, ek, eb };
        size_t site;
        if (lt_profile_add_stack(m->prof, rp, sym, id < se->nst ? (uint32_t)id : LT_STACK_NONE, &c, &site) < 0) {
            free(dv);
            return -1;
        }
        uint64_t prev = 0;
        for (uint32_t p = 0; p < ss->n; p++) {
            if (ss->pts[p].slice >= n) break;
            dv[nd++] = (tl_delta_t){ site, ss->pts[p].slice, (int64_t)(ss->pts[p].bytes - prev) };
            prev = ss->pts[p].bytes;
        }
    }
    size_t ns = m->prof->nsites;
    m->peak = calloc(ns + 1, sizeof *m->peak);
    m->end = calloc(ns + 1, sizeof *m->end);
    m->peak_slice = calloc(ns + 1, sizeof *m->peak_slice);
    tl_cand_t *cand = malloc((ns + 1) * sizeof *cand);
    if (!m->peak || !m->end || !m->peak_slice || !cand) goto oom;

    /* Each site's peak and end: its changes in slice order, summed. */
    if (nd > 1) qsort(dv, nd, sizeof *dv, by_site_slice);
    for (size_t i = 0; i < nd;) {
        size_t s = dv[i].site;
        int64_t run = 0;
        while (i < nd && dv[i].site == s) {
            uint32_t sl = dv[i].slice;
            while (i < nd && dv[i].site == s && dv[i].slice == sl) run += dv[i++].d;
            uint64_t v = run > 0 ? (uint64_t)run : 0;
            if (v > m->peak[s]) {
                m->peak[s] = v;
                m->peak_slice[s] = sl;
            }
        }
        m->end[s] = run > 0 ? (uint64_t)run : 0;
    }

    /* The top sites. */
    size_t nc = 0;
    for (size_t s = 0; s < ns; s++)
        if (m->peak[s] && (!m->prof->sites[s].runtime || o->include_runtime))
            cand[nc++] = (tl_cand_t){ m->peak[s], m->end[s], s };
    if (nc > 1) qsort(cand, nc, sizeof *cand, by_rank);
    size_t want = o->top ? o->top : nc;
    if (max_top && want > max_top) want = max_top;
    m->ntop = nc < want ? nc : want;
    size_t *rank = malloc((ns + 1) * sizeof *rank);
    m->top = malloc((m->ntop + 1) * sizeof *m->top);
    m->tb = calloc(m->ntop + 1, sizeof *m->tb);
    if (!rank || !m->top || !m->tb) { free(rank); goto oom; }
    for (size_t s = 0; s < ns; s++) rank[s] = NO_RANK;
    for (size_t r = 0; r < m->ntop; r++) {
        m->top[r] = cand[r].site;
        rank[cand[r].site] = r;
    }
    for (size_t s = 0; s < ns; s++) {
        m->nother += rank[s] == NO_RANK && m->peak[s];
        if (rank[s] == NO_RANK && m->prof->sites[s].runtime) m->other_runtime_end += m->end[s];
    }

    /* Dense series: each change added at its slice (one pass over the
     * changes), then running sums. Arithmetic is modulo 2^64, as the
     * changes are signed; the sums themselves are never negative. */
    int ok = (m->other = calloc(n, sizeof *m->other)) != NULL;
    for (size_t r = 0; ok && r < m->ntop; r++) ok = (m->tb[r] = calloc(n, sizeof **m->tb)) != NULL;
    if (ok) {
        for (size_t i = 0; i < nd; i++) {
            size_t r = rank[dv[i].site];
            uint64_t *v = r == NO_RANK ? m->other : m->tb[r];
            v[dv[i].slice] += (uint64_t)dv[i].d;
        }
        for (size_t r = 0; r <= m->ntop; r++) {
            uint64_t *v = r < m->ntop ? m->tb[r] : m->other, run = 0;
            for (size_t i = 0; i < n; i++) {
                run += v[i];
                v[i] = run > INT64_MAX ? 0 : run;
            }
        }
        for (size_t i = 0; i < n; i++)
            if (m->other[i] > m->other_peak) m->other_peak = m->other[i];
        m->other_end = m->other[n - 1];
    }
    free(rank);
    if (!ok) goto oom;
    free(cand);
    free(dv);
    return make_labels(m);
oom:
    free(cand);
    free(dv);
    return -1;
}

/* ---- the data, for other renderers ---- */

int lt_timeline_data(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_timeline_opts_t *o, lt_timeline_data_t **out,
                     lt_err_t *err)
{
    lt_timeline_opts_t def;
    if (!o) {
        lt_timeline_opts_default(&def);
        o = &def;
    }
    *out = NULL;
    lt_timeline_data_t *d = calloc(1, sizeof *d);
    tl_t *m = calloc(1, sizeof *m);
    if (!d || !m || tl_build(m, rp, sym, o, 0) < 0) {
        if (m) tl_free(m);
        free(m);
        free(d);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory computing the timeline");
    }
    /* The per-rank peak and end, from the per-site arrays. */
    uint64_t *pe = calloc(2 * m->ntop + 1, sizeof *pe);
    if (!pe) {
        tl_free(m);
        free(m);
        free(d);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory computing the timeline");
    }
    for (size_t r = 0; r < m->ntop; r++) {
        pe[r] = m->peak[m->top[r]];
        pe[m->ntop + r] = m->end[m->top[r]];
    }
    d->n = m->n;
    d->t = m->t;
    d->ntop = m->ntop;
    d->label = (const char *const *)m->label;
    d->bytes = (const uint64_t *const *)m->tb;
    d->peak = pe;
    d->end = pe + m->ntop;
    d->other = m->other;
    d->nother = m->nother;
    d->priv = m;
    *out = d;
    return 0;
}

void lt_timeline_data_free(lt_timeline_data_t *d)
{
    if (!d) return;
    if (d->priv) {
        tl_free(d->priv);
        free(d->priv);
    }
    free((void *)d->peak);
    free(d);
}

/* ---- CSV ---- */

static void csv_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static int finish_output(FILE *out, lt_err_t *err, const char *what)
{
    if (fflush(out) != 0 || ferror(out)) LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot write the %s", what);
    return 0;
}

static const lt_timeline_opts_t *opts_or_default(const lt_timeline_opts_t *o, lt_timeline_opts_t *def)
{
    if (o) return o;
    lt_timeline_opts_default(def);
    return def;
}

void lt_timeline_opts_default(lt_timeline_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->top = LT_TIMELINE_TOP_DEFAULT;
}

int lt_timeline_csv(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_timeline_opts_t *o, FILE *out, lt_err_t *err)
{
    lt_timeline_opts_t def;
    o = opts_or_default(o, &def);
    tl_t m;
    if (tl_build(&m, rp, sym, o, 0) < 0) {
        tl_free(&m);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while building the timeline");
    }
    fputs("time_s,live_bytes,live_blocks,threads", out);
    for (size_t r = 0; r < m.ntop; r++) {
        fputc(',', out);
        csv_quoted(out, m.label[r]);
    }
    fputs(",other\n", out);
    /* Microseconds: exact for slices of 1 ms or more, and enough to tell
     * the last (partial) slice from the one before; nanoseconds for finer
     * slices. */
    int prec = m.se && m.se->slice_ns >= 1000000 ? 6 : 9;
    for (size_t i = 0; i < m.n; i++) {
        fprintf(out, "%.*f,%" PRIu64 ",%" PRIu64 ",", prec, m.t[i], m.se->tot_bytes[i], m.se->tot_blocks[i]);
        if (m.se->threads[i]) fprintf(out, "%" PRIu64, m.se->threads[i]);
        for (size_t r = 0; r < m.ntop; r++) fprintf(out, ",%" PRIu64, m.tb[r][i]);
        fprintf(out, ",%" PRIu64 "\n", m.other[i]);
    }
    tl_free(&m);
    return finish_output(out, err, "CSV");
}

/* ---- SVG ---- */

/* Geometry, in pixels. */
#define SVG_W 1000
#define PLOT_L 84            /* left edge of the plot (byte tick labels to its left) */
#define PLOT_R_AXIS 64       /* right margin with the threads axis */
#define PLOT_R_NONE 28       /* right margin without it */
#define PLOT_T 76            /* top of the plot (title and summary above) */
#define PLOT_H 290
#define CHAR_W 6.6           /* approximate width of one 11-12 px sans-serif character */
#define MARK_ROWS 3
#define MARK_ROW_H 14
#define MARK_LABEL_MAX 22    /* characters of a mark label drawn on the axis */
#define LEGEND_ROW 18
#define LEGEND_LABEL_MAX 104 /* characters of a site label in the legend */

static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
    "#a0cbe8", "#ffbe7d", "#8cd17d", "#b6992d", "#499894", "#d37295", "#86bcb6", "#f1ce63",
    "#d4a6c8", "#fabfd2", "#2f6690", "#c35a00",
};
#define OTHER_COLOUR "#c4c4c4"
#define TOTAL_COLOUR "#222222"
#define THREADS_COLOUR "#6a3d9a"
#define MARK_COLOUR "#555555"

static void xml_bytes(FILE *out, const char *s, const char *e)
{
    for (; s < e; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* Where the character number ch (0-based) of UTF-8 s starts. */
static const char *u8at(const char *s, size_t ch)
{
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80 && ch-- == 0) break;
    return s;
}

static size_t u8len(const char *s);

/* XML-escapes s (already valid UTF-8). With maxch > 0, a longer s is cut
 * in the middle to maxch characters with an ellipsis, keeping its start and
 * its end (where labels that differ often differ). */
static void xml_text(FILE *out, const char *s, size_t maxch)
{
    size_t n = u8len(s);
    if (!maxch || n <= maxch || maxch < 5) {
        xml_bytes(out, s, s + strlen(s));
        return;
    }
    size_t head = (maxch - 1) * 3 / 5, tail = maxch - 1 - head;
    xml_bytes(out, s, u8at(s, head));
    fputs("\xe2\x80\xa6", out);
    const char *t = u8at(s, n - tail);
    xml_bytes(out, t, t + strlen(t));
}

/* s sanitized to valid UTF-8 without control characters, then escaped. */
static void xml_raw(FILE *out, const char *s, size_t maxch)
{
    char *b = NULL;
    size_t len = 0;
    if (sb_add(&b, &len, s ? s : "") == 0) xml_text(out, b, maxch);
    free(b);
}

/* Characters (code points) of a UTF-8 string. */
static size_t u8len(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* A number without trailing zeros: 2.5, 10, 0.125 (up to 3 decimals). */
static const char *num(double v, char *buf, size_t n)
{
    snprintf(buf, n, "%.3f", v);
    char *d = strchr(buf, '.');
    if (d) {
        char *e = buf + strlen(buf) - 1;
        while (e > d && *e == '0') *e-- = '\0';
        if (e == d) *e = '\0';
    }
    if (!strcmp(buf, "-0")) strcpy(buf, "0");
    return buf;
}

static const char *const bunit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

/* Bytes for people: "512 B", "12.3 KiB", "123 KiB", "1.5 GiB". */
static const char *human_bytes(uint64_t b, char *buf, size_t n)
{
    if (b < 1024) {
        snprintf(buf, n, "%" PRIu64 " B", b);
        return buf;
    }
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 5) { v /= 1024; u++; }
    if (v < 99.95) snprintf(buf, n, "%.1f %s", v, bunit[u]);
    else snprintf(buf, n, "%.0f %s", v, bunit[u]);
    return buf;
}

/* 1234567 -> "1,234,567". */
static const char *grouped(uint64_t v, char *buf, size_t n)
{
    char d[32];
    int len = snprintf(d, sizeof d, "%" PRIu64, v), w = 0;
    for (int i = 0; i < len && (size_t)w + 2 < n; i++) {
        if (i && (len - i) % 3 == 0) buf[w++] = ',';
        buf[w++] = d[i];
    }
    buf[w] = '\0';
    return buf;
}

/* Seconds for people: "0.25 s", "12.4 s", "4 min 12 s", "2 h 5 min". */
static const char *human_time(double s, char *buf, size_t n)
{
    char a[32];
    if (s < 1e-3) snprintf(buf, n, "%s µs", num(s * 1e6, a, sizeof a));
    else if (s < 1) snprintf(buf, n, "%s ms", num(round(s * 1e4) / 10, a, sizeof a));
    else if (s < 120) snprintf(buf, n, "%s s", num(round(s * 100) / 100, a, sizeof a));
    else if (s < 7200) snprintf(buf, n, "%d min %d s", (int)(s / 60), (int)fmod(s, 60));
    else snprintf(buf, n, "%d h %d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    return buf;
}

/* The smallest 1, 2, 2.5 or 5 times a power of ten that is >= x (> 0). */
static double nice_125(double x, int allow_25)
{
    double p = pow(10, floor(log10(x)));
    static const double m[] = { 1, 2, 2.5, 5, 10 };
    for (size_t i = 0; i < 5; i++)
        if ((allow_25 || m[i] != 2.5) && m[i] * p >= x * (1 - 1e-9)) return m[i] * p;
    return 10 * p;
}

typedef struct axis {
    double top;            /* the axis ends there (its unit: bytes, seconds, threads) */
    double bot;            /* and starts there (time: a ring's window start; else 0) */
    double step;           /* between ticks, same unit */
    double unit;           /* label divisor */
    const char *uname;     /* label suffix ("" for none) */
} axis_t;

/* Bytes: binary units, 1/2/2.5/5 steps, 4 to 8 intervals. */
static axis_t bytes_axis(uint64_t max)
{
    axis_t a = { 0 };
    double v = max ? (double)max : 1024;
    int u = 0;
    while (u < 5 && v >= 1024 * pow(1024, u)) u++;
    a.unit = pow(1024, u);
    a.uname = bunit[u];
    double m = v / a.unit;
    double step = nice_125(m / 6, 1);
    if (u == 0 && step < 1) step = 1;
    a.step = step * a.unit;
    a.top = ceil(v / a.step - 1e-9) * a.step;
    if (a.top <= 0) a.top = a.step;
    return a;
}

/* Time: µs, ms, s, min or h by the length shown; 3 to 8 intervals. The
 * axis starts at the tick at or before t0 (0 unless a ring's window). */
static axis_t time_axis(double t0, double t1)
{
    axis_t a = { 0 };
    double t = t1 - t0;
    if (t <= 0) t = 1e-3;
    if (t < 1e-3) { a.unit = 1e-6; a.uname = "µs"; }
    else if (t < 1) { a.unit = 1e-3; a.uname = "ms"; }
    else if (t < 120) { a.unit = 1; a.uname = "s"; }
    else if (t < 7200) { a.unit = 60; a.uname = "min"; }
    else { a.unit = 3600; a.uname = "h"; }
    double x = t / 8 / a.unit;
    if (a.unit == 60) {
        static const double mins[] = { 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 60 };
        a.step = 60;
        for (size_t i = 0; i < sizeof mins / sizeof mins[0]; i++)
            if (mins[i] >= x) { a.step = mins[i] * 60; break; }
    } else if (a.unit == 3600) {
        static const double hours[] = { 0.25, 0.5, 1, 2, 3, 6, 12, 24, 48, 72, 168 };
        a.step = 0;
        for (size_t i = 0; i < sizeof hours / sizeof hours[0] && !a.step; i++)
            if (hours[i] >= x) a.step = hours[i] * 3600;
        if (!a.step) a.step = nice_125(x / 24, 0) * 24 * 3600;
    } else {
        a.step = nice_125(x, 0) * a.unit;
    }
    a.bot = t0 > 0 ? floor(t0 / a.step) * a.step : 0;
    a.top = t1 > a.bot ? t1 : a.bot + t;
    return a;
}

typedef struct svg {
    FILE *out;
    const tl_t *m;
    double pl, pr, pt, pb;    /* plot box: left, right, top, bottom */
    axis_t ya, xa;
    double thr_top;           /* threads axis top, 0: no threads axis */
} svg_t;

static double sx(const svg_t *g, double t)
{
    return g->pl + (g->pr - g->pl) * ((t - g->xa.bot) / (g->xa.top - g->xa.bot));
}
static double sy(const svg_t *g, double v) { return g->pb - (g->pb - g->pt) * (v / g->ya.top); }

static void svg_head(FILE *out, int h, const char *title)
{
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
            " font-family=\"DejaVu Sans, Verdana, Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
            SVG_W, h, SVG_W, h);
    fputs("<title>", out);
    xml_raw(out, title, 0);
    fputs("</title>\n<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
    fputs("<text x=\"500\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\" fill=\"#111111\">", out);
    xml_raw(out, title, 90);
    fputs("</text>\n", out);
}

static char *default_title(const lt_replay_t *rp)
{
    char *b = NULL;
    size_t len = 0;
    const char *exe = rp->proc.exe && *rp->proc.exe ? base_name(rp->proc.exe) : NULL;
    if (sb_add(&b, &len, exe ? "Live heap of " : "Live heap") < 0 || (exe && sb_add(&b, &len, exe) < 0)) {
        free(b);
        return NULL;
    }
    if (rp->have_process && sb_addf(&b, &len, " (pid %lld)", rp->proc.pid) < 0) { free(b); return NULL; }
    return b;
}

/* The SVG of a run too short to plot: says so, and lists the marks. */
static void svg_empty(FILE *out, const char *title, const tl_t *m)
{
    const lt_replay_t *rp = m->rp;
    size_t nm = rp->nmarks < 20 ? rp->nmarks : 20;
    char a[32], b[32], c[32];
    svg_head(out, 140 + (int)(nm + (nm < rp->nmarks)) * 16, title);
    fputs("<text x=\"500\" y=\"70\" text-anchor=\"middle\" font-size=\"14\" fill=\"#444444\">", out);
    if (!m->se) fputs("No time series: the trace was replayed without them.", out);
    else if (!m->n) fputs("No timeline: the trace holds no time slice.", out);
    else fprintf(out, "No timeline: the run is too short (1 time slice of %s; at least 2 are needed)%s",
                 human_time((double)m->se->slice_ns / 1e9, a, sizeof a),
                 m->se->slice_ns > 1000000 ? "; try --resolution 0.001." : ".");
    fputs("</text>\n", out);
    fprintf(out, "<text x=\"500\" y=\"96\" text-anchor=\"middle\" fill=\"#666666\">%s live at the end in %s blocks%s</text>\n",
            human_bytes(rp->tot.live_bytes, a, sizeof a), grouped(rp->tot.live_blocks, b, sizeof b),
            rp->nmarks ? "; marks:" : "");
    for (size_t i = 0; i < nm; i++) {
        const lt_mark_t *mk = &rp->marks[i];
        fprintf(out, "<text x=\"500\" y=\"%zu\" text-anchor=\"middle\" fill=\"#555555\">", 120 + 16 * i);
        xml_raw(out, mk->label, 60);
        fprintf(out, " at %s: %s live in %s blocks</text>\n", human_time((double)mk->ts / 1e9, a, sizeof a),
                human_bytes(mk->tot.live_bytes, b, sizeof b), grouped(mk->tot.live_blocks, c, sizeof c));
    }
    if (nm < rp->nmarks)
        fprintf(out, "<text x=\"500\" y=\"%zu\" text-anchor=\"middle\" fill=\"#777777\">... and %zu more marks</text>\n",
                120 + 16 * nm, rp->nmarks - nm);
    fputs("</svg>\n", out);
}

/* The frames of a site, one per line, for its hover text. */
static void hover_frames(FILE *out, const lt_profile_t *p, const lt_psite_t *s)
{
    size_t nf = s->nframes < 12 ? s->nframes : 12;
    for (size_t k = 0; k < nf; k++) {
        const lt_pframe_t *f = &s->frames[k];
        const char *mod = lt_profile_module_name(p, f->module);
        fputs(k ? "\n  by " : "\n  at ", out);
        if (f->function) xml_raw(out, f->function, 160);
        else fprintf(out, "0x%" PRIx64, f->offset);
        if (f->file) {
            fputs(" (", out);
            xml_raw(out, f->file, 0);
            fprintf(out, ":%" PRIu32 ")", f->line);
        }
        if (*mod) {
            fputs(" in ", out);
            xml_raw(out, mod, 0);
        }
        if (f->inlined) fputs(" [inlined]", out);
    }
    if (nf < s->nframes) fprintf(out, "\n  ... %zu more frames", s->nframes - nf);
}

/* One stacked area: between lo (cumulated below) and lo + v. */
static void svg_area(const svg_t *g, const uint64_t *lo, const uint64_t *v, const char *colour)
{
    const tl_t *m = g->m;
    fprintf(g->out, "<path fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"0.4\" d=\"M%.1f %.1f", colour, sx(g, 0), sy(g, 0));
    for (size_t i = 0; i < m->n; i++) fprintf(g->out, " L%.1f %.1f", sx(g, m->t[i]), sy(g, (double)(lo[i] + v[i])));
    for (size_t i = m->n; i-- > 0;) fprintf(g->out, " L%.1f %.1f", sx(g, m->t[i]), sy(g, (double)lo[i]));
    fputs(" Z\">", g->out);
}

static void svg_axes(const svg_t *g)
{
    FILE *out = g->out;
    char a[32];
    /* Byte grid and labels. */
    for (double v = 0; v <= g->ya.top * (1 + 1e-9); v += g->ya.step) {
        double y = sy(g, v);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1\"/>\n", g->pl, y,
                g->pr, y, v == 0 ? "#888888" : "#e6e6e6");
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#333333\">%s%s%s</text>\n", g->pl - 6, y + 4,
                num(v / g->ya.unit, a, sizeof a), v > 0 ? " " : "", v > 0 ? g->ya.uname : "");
    }
    fprintf(out,
            "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\" fill=\"#333333\">live heap</text>\n",
            (g->pt + g->pb) / 2);
    /* Time ticks. */
    for (double t = g->xa.bot; t <= g->xa.top * (1 + 1e-9); t += g->xa.step) {
        double x = sx(g, t);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888888\"/>\n", x, g->pb, x, g->pb + 5);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333333\">%s%s%s</text>\n", x, g->pb + 18,
                num(t / g->xa.unit, a, sizeof a), t > 0 ? " " : "", t > 0 ? g->xa.uname : "");
    }
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888888\"/>\n", g->pl, g->pt, g->pl, g->pb);
    /* Threads axis, on the right, with the byte axis's tick positions. */
    if (g->thr_top > 0) {
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", g->pr, g->pt, g->pr, g->pb,
                THREADS_COLOUR);
        double nint = g->ya.top / g->ya.step, tstep = g->thr_top / nint;
        for (double k = 0; k <= nint + 1e-9; k++) {
            double y = g->pb - (g->pb - g->pt) * (k / nint);
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", g->pr, y, g->pr + 4, y,
                    THREADS_COLOUR);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s</text>\n", g->pr + 7, y + 4, THREADS_COLOUR,
                    num(k * tstep, a, sizeof a));
        }
        fprintf(out,
                "<text transform=\"translate(%.1f %.1f) rotate(90)\" text-anchor=\"middle\" fill=\"%s\">threads</text>\n",
                (double)SVG_W - 12, (g->pt + g->pb) / 2, THREADS_COLOUR);
    }
}

/* Where a mark goes: its line at x, its label (if any) from x0 in row. */
typedef struct mark_pos {
    double x, x0;
    int row;             /* -1: not labelled (it would overlap) */
    char *label;         /* sanitized */
} mark_pos_t;

/* Places the marks' labels in up to MARK_ROWS staggered rows, first come
 * first served, leaving out those that would overlap. Returns the array
 * (NULL when out of memory or without marks), *rows used, *unlabelled. */
static mark_pos_t *place_marks(const svg_t *g, int *rows, size_t *unlabelled, int *oom)
{
    const lt_replay_t *rp = g->m->rp;
    double row_end[MARK_ROWS];
    for (int r = 0; r < MARK_ROWS; r++) row_end[r] = -1e9;
    *rows = 0;
    *unlabelled = 0;
    *oom = 0;
    if (!rp->nmarks) return NULL;
    mark_pos_t *p = calloc(rp->nmarks, sizeof *p);
    if (!p) { *oom = 1; return NULL; }
    for (size_t i = 0; i < rp->nmarks; i++) {
        const lt_mark_t *mk = &rp->marks[i];
        double ts = (double)mk->ts / 1e9;
        if (ts > g->xa.top) ts = g->xa.top;
        if (ts < g->xa.bot) ts = g->xa.bot;
        p[i].x = sx(g, ts);
        size_t len = 0;
        if (sb_add(&p[i].label, &len, mk->label ? mk->label : "") < 0) {
            for (size_t j = 0; j <= i; j++) free(p[j].label);
            free(p);
            *oom = 1;
            return NULL;
        }
        size_t ch = u8len(p[i].label);
        if (ch > MARK_LABEL_MAX) ch = MARK_LABEL_MAX;
        double w = (double)ch * CHAR_W, x0 = p[i].x - w / 2;
        if (x0 < 4) x0 = 4;
        if (x0 + w > SVG_W - 4) x0 = SVG_W - 4 - w;
        p[i].x0 = x0;
        p[i].row = -1;
        for (int r = 0; r < MARK_ROWS && p[i].row < 0; r++)
            if (x0 >= row_end[r] + 8) p[i].row = r;
        if (p[i].row < 0) {
            ++*unlabelled;
            continue;
        }
        row_end[p[i].row] = x0 + w;
        if (p[i].row + 1 > *rows) *rows = p[i].row + 1;
    }
    return p;
}

/* Marks: dashed lines over the plot, labels in their rows under the time
 * axis (base: the first row's baseline), hover texts. Frees p. */
static void svg_marks(const svg_t *g, mark_pos_t *p, double base)
{
    const lt_replay_t *rp = g->m->rp;
    FILE *out = g->out;
    char a[32], b[32], c[32];
    for (size_t i = 0; p && i < rp->nmarks; i++) {
        const lt_mark_t *mk = &rp->marks[i];
        fputs("<g class=\"mark\"><title>mark &quot;", out);
        xml_text(out, p[i].label, 0);
        fprintf(out, "&quot; at %s: %s live in %s blocks</title>\n", human_time((double)mk->ts / 1e9, a, sizeof a),
                human_bytes(mk->tot.live_bytes, b, sizeof b), grouped(mk->tot.live_blocks, c, sizeof c));
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.2\""
                " stroke-dasharray=\"5 3\"/>\n",
                p[i].x, g->pt, p[i].x, g->pb, MARK_COLOUR);
        /* A wider invisible line, so that the hover text is easy to reach. */
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\" stroke-opacity=\"0\""
                " stroke-width=\"7\"/>\n",
                p[i].x, g->pt, p[i].x, g->pb);
        if (p[i].row >= 0) {
            double y = base + p[i].row * MARK_ROW_H;
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#aaaaaa\" stroke-dasharray=\"1 2\"/>\n",
                    p[i].x, g->pb + 6, p[i].x, y - 10);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%s\">", p[i].x0, y, MARK_COLOUR);
            xml_text(out, p[i].label, MARK_LABEL_MAX);
            fputs("</text>\n", out);
        }
        fputs("</g>\n", out);
    }
    for (size_t i = 0; p && i < rp->nmarks; i++) free(p[i].label);
    free(p);
}

/* Path data of a line through v at the slice ends, scaled to scale_top.
 * pen: the path already has a current point (continue it). skip_zero:
 * zeros are unknown values, the line breaks there. */
static void svg_line_path(const svg_t *g, const uint64_t *v, double scale_top, int skip_zero, int pen)
{
    const tl_t *m = g->m;
    for (size_t i = 0; i < m->n; i++) {
        if (skip_zero && !v[i]) { pen = 0; continue; }
        double y = g->pb - (g->pb - g->pt) * ((double)v[i] / scale_top);
        fprintf(g->out, "%s%.1f %.1f", pen ? " L" : " M", sx(g, m->t[i]), y);
        pen = 1;
    }
}

int lt_timeline_svg(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_timeline_opts_t *o, FILE *out, lt_err_t *err)
{
    lt_timeline_opts_t def;
    o = opts_or_default(o, &def);
    tl_t m;
    char *dtitle = NULL;
    uint64_t *cum = NULL;
    if (tl_build(&m, rp, sym, o, LT_TIMELINE_SVG_MAX_TOP) < 0 || (!o->title && !(dtitle = default_title(rp)))) {
        tl_free(&m);
        free(dtitle);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while building the timeline");
    }
    const char *title = o->title ? o->title : dtitle;
    if (m.n < 2) {
        svg_empty(out, title, &m);
        goto done;
    }
    if (!(cum = calloc(m.n, sizeof *cum))) {
        tl_free(&m);
        free(dtitle);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while drawing the timeline");
    }
    const lt_series_t *se = m.se;
    uint64_t ymax = 0, thr_max = 0, thr_end = 0;
    for (size_t i = 0; i < m.n; i++) {
        uint64_t s = m.other[i];
        for (size_t r = 0; r < m.ntop; r++) s += m.tb[r][i];
        if (s > ymax) ymax = s;
        if (se->tot_bytes[i] > ymax) ymax = se->tot_bytes[i];
        if (se->threads[i] > thr_max) thr_max = se->threads[i];
    }
    thr_end = se->threads[m.n - 1];

    svg_t g = { .out = out, .m = &m };
    g.pl = PLOT_L;
    g.pr = SVG_W - (thr_max ? PLOT_R_AXIS : PLOT_R_NONE);
    g.pt = PLOT_T;
    g.pb = PLOT_T + PLOT_H;
    g.ya = bytes_axis(ymax);
    g.xa = time_axis((double)se->origin_ns / 1e9, m.t_end);
    if (thr_max) {
        double nint = round(g.ya.top / g.ya.step);
        g.thr_top = nice_125((double)thr_max / nint, 0);
        if (g.thr_top < 1) g.thr_top = 1;
        g.thr_top *= nint;
    }

    /* Height: the plot, the time axis, the mark rows, the legend. */
    size_t unl = 0;
    int mrows = 0, oom = 0;
    mark_pos_t *mp = place_marks(&g, &mrows, &unl, &oom);
    if (oom) {
        free(cum);
        free(dtitle);
        tl_free(&m);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while drawing the timeline");
    }
    double mbase = g.pb + 34;   /* the first row of mark labels, under the tick labels */
    double legend_top = mrows ? mbase + (mrows - 1 + (unl ? 1 : 0)) * MARK_ROW_H + 30 : g.pb + 44;
    int show_other = m.nother || m.other_peak;
    size_t lrows = 1 + m.ntop + (show_other ? 1 : 0) + 1 + (thr_max ? 1 : 0);
    int h = (int)(legend_top + (double)lrows * LEGEND_ROW + 10);
    svg_head(out, h, title);

    /* The summary line. */
    char a[32], b[32], c[32], d[32], e[32], f[32];
    fprintf(out, "<text x=\"500\" y=\"50\" text-anchor=\"middle\" fill=\"#555555\">");
    fprintf(out, "%s run, %zu slices of %s \xc2\xb7 peak %s live at %s \xc2\xb7 %s live at the end in %s blocks",
            human_time(m.t_end, a, sizeof a), m.n, human_time((double)se->slice_ns / 1e9, b, sizeof b),
            human_bytes(rp->tot.peak_bytes, c, sizeof c), human_time((double)rp->tot.peak_ts / 1e9, d, sizeof d),
            human_bytes(rp->tot.live_bytes, e, sizeof e), grouped(rp->tot.live_blocks, f, sizeof f));
    if (!rp->complete || rp->cut_short) fputs(" \xc2\xb7 incomplete trace", out);
    if (rp->proc.sample_rate)
        fprintf(out, " \xc2\xb7 estimated from a sampled trace (LEAKTRACE_SAMPLE=%llu)", (unsigned long long)rp->proc.sample_rate);
    fputs("</text>\n", out);

    svg_axes(&g);

    /* Stacked areas: top sites from the bottom up, then "other". */
    fputs("<g class=\"areas\" fill-opacity=\"0.92\">\n", out);
    for (size_t r = 0; r <= m.ntop; r++) {
        const uint64_t *v = r < m.ntop ? m.tb[r] : m.other;
        svg_area(&g, cum, v, r < m.ntop ? palette[r % (sizeof palette / sizeof palette[0])] : OTHER_COLOUR);
        fputs("<title>", out);
        if (r < m.ntop) {
            size_t s = m.top[r];
            xml_text(out, m.label[r], 0);
            const lt_psite_t *ps = &m.prof->sites[s];
            fprintf(out, "\nlive at the end: %s in %s blocks\npeak: %s at %s", human_bytes(m.end[s], a, sizeof a),
                    grouped(ps->c.inuse_objects, b, sizeof b), human_bytes(m.peak[s], c, sizeof c),
                    human_time(m.t[m.peak_slice[s]], d, sizeof d));
            if (ps->runtime) fputs("\n(a one-time runtime allocation)", out);
            hover_frames(out, m.prof, ps);
        } else {
            fprintf(out, "other: %zu more site%s\nlive at the end: %s\npeak: %s", m.nother, m.nother == 1 ? "" : "s",
                    human_bytes(m.other_end, a, sizeof a), human_bytes(m.other_peak, b, sizeof b));
        }
        fputs("</title></path>\n", out);
        for (size_t i = 0; i < m.n; i++) cum[i] += v[i];
    }
    fputs("</g>\n", out);

    /* Total live bytes over the stack. */
    fprintf(out, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" stroke-linejoin=\"round\" d=\"M%.1f %.1f", TOTAL_COLOUR,
            sx(&g, 0), sy(&g, 0));
    svg_line_path(&g, se->tot_bytes, g.ya.top, 0, 1);
    fprintf(out, "\"><title>total live bytes: %s at the end, %s at most</title></path>\n",
            human_bytes(se->tot_bytes[m.n - 1], a, sizeof a), human_bytes(ymax, b, sizeof b));

    /* Threads, on their own axis. */
    if (thr_max) {
        fprintf(out, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\" d=\"", THREADS_COLOUR);
        svg_line_path(&g, se->threads, g.thr_top, 1, 0);
        fprintf(out, "\"><title>threads alive: %" PRIu64 " at the end, %" PRIu64 " at most</title></path>\n", thr_end, thr_max);
    }

    /* Marks, over everything. */
    svg_marks(&g, mp, mbase);
    if (unl)
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#777777\">%zu more mark%s not labelled"
                " (hover the dashed lines)</text>\n",
                g.pl, mbase + mrows * MARK_ROW_H, unl, unl == 1 ? "" : "s");

    /* Legend: a header, the sites in rank order, other, total, threads. */
    double y = legend_top;
    double cx_end = g.pl + 92, cx_peak = g.pl + 172, cx_label = g.pl + 188;
    fprintf(out,
            "<g class=\"legend\">\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#777777\" font-size=\"11\">at the end</text>"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#777777\" font-size=\"11\">peak</text>"
            "<text x=\"%.1f\" y=\"%.1f\" fill=\"#777777\" font-size=\"11\">allocation site (stacked from the bottom up)</text>\n",
            cx_end, y, cx_peak, y, cx_label, y);
    for (size_t r = 0; r <= m.ntop + 2; r++) {
        if (r == m.ntop + 2 && !thr_max) break;
        if (r == m.ntop && !show_other) continue;
        y += LEGEND_ROW;
        const char *colour = r < m.ntop ? palette[r % (sizeof palette / sizeof palette[0])]
                             : r == m.ntop ? OTHER_COLOUR : r == m.ntop + 1 ? TOTAL_COLOUR : THREADS_COLOUR;
        if (r <= m.ntop)
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"12\" fill=\"%s\"/>", g.pl - 40, y - 10, colour);
        else
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"/>", g.pl - 40,
                    y - 4, g.pl - 26, y - 4, colour, r == m.ntop + 1 ? "1.5" : "2");
        uint64_t ve, vp;
        if (r < m.ntop) { ve = m.end[m.top[r]]; vp = m.peak[m.top[r]]; }
        else if (r == m.ntop) { ve = m.other_end; vp = m.other_peak; }
        else if (r == m.ntop + 1) { ve = se->tot_bytes[m.n - 1]; vp = ymax; }
        else { ve = thr_end; vp = thr_max; }
        if (r == m.ntop + 2) {
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%" PRIu64 "</text>", cx_end, y, ve);
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%" PRIu64 "</text>", cx_peak, y, vp);
        } else {
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>", cx_end, y, human_bytes(ve, a, sizeof a));
            fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>", cx_peak, y, human_bytes(vp, b, sizeof b));
        }
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", cx_label, y);
        if (r < m.ntop) {
            fputs("<title>", out);
            xml_text(out, m.label[r], 0);
            fputs("</title>", out);
            xml_text(out, m.label[r], LEGEND_LABEL_MAX);
        } else if (r == m.ntop) {
            fprintf(out, "other (%zu more site%s", m.nother, m.nother == 1 ? "" : "s");
            if (m.other_runtime_end)
                fprintf(out, "; %s at the end from one-time runtime allocations", human_bytes(m.other_runtime_end, a, sizeof a));
            fputc(')', out);
        } else if (r == m.ntop + 1) {
            fputs("total live bytes (the line over the stack)", out);
        } else {
            fputs("threads alive (right-hand axis)", out);
        }
        fputs("</text>\n", out);
    }
    fputs("</g>\n</svg>\n", out);
done:
    free(cum);
    free(dtitle);
    tl_free(&m);
    return finish_output(out, err, "SVG");
}
