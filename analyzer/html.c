/*
 * html.c - the self-contained HTML report (html.h).
 *
 * Per trace: one replay with time series (timeline, growth), the leak
 * report, the thread alerts, the growth suspects, and three heap profiles
 * for the flame graph: leaked (live at the end), allocated (everything
 * allocated up to the end), peak (live at the moment of the peak, from a
 * second replay that stops there). Runtime one-time allocations are left
 * out of all of them unless no_default_suppressions.
 *
 * The page: <style> (html_assets/report.css), static HTML for what reads
 * without a script, one <script type="application/json" id="lt-data">
 * with the data for the charts, then <script> (html_assets/report.js).
 * Data shape, per process (procs[i]):
 *   s        string table; flame frames refer to it by index
 *   timeline {t: [s], total: [bytes], threads: [n] or null, sites:
 *            [{label, bytes: [..], peak, end}], other: [..], nother}
 *   marks    [{t, label, live}]
 *   growth   {t: [s], suspects: [{label, rate, series: [bytes]}]}
 *   flame    {leaked|allocated|peak: {total, n, cut, cutv, d: [parent,
 *            label, value, self, file, line, module, kind] * n}}
 *            (kind: 0 function, 1 no symbol, 2 special; +4 inlined)
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ci.h"
#include "flame.h"
#include "growth.h"
#include "html.h"
#include "json.h"
#include "output.h"
#include "profile_build.h"
#include "replay.h"
#include "report.h"
#include "source.h"
#include "threads.h"
#include "timeline.h"

extern const char lt_html_asset_css[];
extern const char lt_html_asset_js[];

#define TIMELINE_TOP 8

void lt_html_opts_default(lt_html_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->max_leaks = LT_HTML_MAX_LEAKS_DEFAULT;
    o->max_flame_nodes = LT_HTML_MAX_FLAME_NODES_DEFAULT;
}

/* ---- escaping ---- */

void lt_html_json_str(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : ""), *end = p + strlen((const char *)p);
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '"': fputs("\\\"", out); break;
            case '\\': fputs("\\\\", out); break;
            case '\n': fputs("\\n", out); break;
            case '\t': fputs("\\t", out); break;
            case '<': fputs("\\u003c", out); break;
            case '>': fputs("\\u003e", out); break;
            case '&': fputs("\\u0026", out); break;
            default:
                if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
                else fputc((int)c, out);
            }
            p++;
            continue;
        }
        size_t n = lt_utf8_seq_len(p, end);
        if (!n) {
            fputs("\\ufffd", out);
            p++;
            continue;
        }
        if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) fprintf(out, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
        else fwrite(p, 1, n, out);
        p += n;
    }
}

void lt_html_text(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : ""), *end = p + strlen((const char *)p);
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '&': fputs("&amp;", out); break;
            case '<': fputs("&lt;", out); break;
            case '>': fputs("&gt;", out); break;
            case '"': fputs("&quot;", out); break;
            case '\'': fputs("&#39;", out); break;
            default: fputc(c < 0x20 || c == 0x7f ? '?' : (int)c, out);
            }
            p++;
            continue;
        }
        size_t n = lt_utf8_seq_len(p, end);
        if (!n) {
            fputs("\xef\xbf\xbd", out);
            p++;
            continue;
        }
        fwrite(p, 1, n, out);
        p += n;
    }
}

static void jstr(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    lt_html_json_str(out, s);
    fputc('"', out);
}

/* A finite number with at most 6 significant decimals. */
static void jnum(FILE *out, double v)
{
    if (!isfinite(v)) v = 0;
    fprintf(out, "%.6g", v);
}

static const char *human(uint64_t b, char *buf, size_t n) { return lt_output_human((double)b, buf, n); }
static const char *num(uint64_t v, char *buf, size_t n) { return lt_output_num(v, buf, n); }

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p ? p : "";
}

static const char *human_time(double s, char *buf, size_t n)
{
    if (s < 0.01) snprintf(buf, n, "%.1f ms", s * 1000);
    else if (s < 1) snprintf(buf, n, "%.0f ms", s * 1000);
    else if (s < 120) snprintf(buf, n, "%.2f s", s);
    else if (s < 7200) snprintf(buf, n, "%.1f min", s / 60);
    else snprintf(buf, n, "%.1f h", s / 3600);
    return buf;
}

/* ---- a string table (interned, by index) ---- */

typedef struct strtab {
    char **v;
    size_t n, cap;
    uint32_t *tab;       /* index + 1, 0 empty */
    size_t tabcap;
    int oom;
} strtab_t;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The index of s (NULL: -1), added on first use; -1 when out of memory
 * (and st->oom set). */
static long st_intern(strtab_t *st, const char *s)
{
    if (!s) return -1;
    if ((st->n + 1) * 2 > st->tabcap) {
        size_t nc = st->tabcap ? st->tabcap * 2 : 1024;
        uint32_t *nt = calloc(nc, sizeof *nt);
        if (!nt) { st->oom = 1; return -1; }
        for (size_t i = 0; i < st->n; i++) {
            size_t j = str_hash(st->v[i]) & (nc - 1);
            while (nt[j]) j = (j + 1) & (nc - 1);
            nt[j] = (uint32_t)i + 1;
        }
        free(st->tab);
        st->tab = nt;
        st->tabcap = nc;
    }
    size_t j = str_hash(s) & (st->tabcap - 1);
    for (; st->tab[j]; j = (j + 1) & (st->tabcap - 1))
        if (!strcmp(st->v[st->tab[j] - 1], s)) return st->tab[j] - 1;
    if (st->n == st->cap) {
        size_t nc = st->cap ? st->cap * 2 : 256;
        char **nv = realloc(st->v, nc * sizeof *nv);
        if (!nv) { st->oom = 1; return -1; }
        st->v = nv;
        st->cap = nc;
    }
    if (!(st->v[st->n] = strdup(s))) { st->oom = 1; return -1; }
    st->tab[j] = (uint32_t)st->n + 1;
    return (long)st->n++;
}

static void st_free(strtab_t *st)
{
    for (size_t i = 0; i < st->n; i++) free(st->v[i]);
    free(st->v);
    free(st->tab);
    memset(st, 0, sizeof *st);
}

/* ---- flame graph data ---- */

typedef struct fnode {
    size_t parent;
    long label, file, module;
    unsigned line;
    int kind;
    uint64_t value, self;
} fnode_t;

typedef struct fcollect {
    fnode_t *v;
    size_t n, cap;
    strtab_t *st;
    int oom;
} fcollect_t;

static void flame_visit(void *ctx, const lt_flame_node_t *x)
{
    fcollect_t *c = ctx;
    if (c->oom) return;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 1024;
        fnode_t *nv = realloc(c->v, nc * sizeof *nv);
        if (!nv) { c->oom = 1; return; }
        c->v = nv;
        c->cap = nc;
    }
    fnode_t *f = &c->v[c->n++];
    f->parent = x->parent;
    f->label = st_intern(c->st, x->label);
    f->file = st_intern(c->st, x->file);
    f->module = x->module && x->module[0] ? st_intern(c->st, x->module) : -1;
    f->line = x->line;
    f->kind = x->kind + (x->inlined ? 4 : 0);
    f->value = x->value;
    f->self = x->self;
    if (c->st->oom) c->oom = 1;
}

static int cmp_u64_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The flame graph of p (counter what) as the JSON object described at the
 * top, keeping at most cap frames (the largest). */
static int flame_json(FILE *out, const lt_profile_t *p, int what, size_t cap, strtab_t *st, lt_err_t *err)
{
    fcollect_t c = { NULL, 0, 0, st, 0 };
    uint64_t total = 0;
    if (lt_flame_tree(p, what, flame_visit, &c, &total, err) < 0) { free(c.v); return -1; }
    if (c.oom) { free(c.v); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory building the flame graph"); }
    uint64_t thr = 0;
    if (c.n > cap) {
        uint64_t *vals = malloc(c.n * sizeof *vals);
        if (!vals) { free(c.v); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory building the flame graph"); }
        for (size_t i = 0; i < c.n; i++) vals[i] = c.v[i].value;
        qsort(vals, c.n, sizeof *vals, cmp_u64_desc);
        thr = vals[cap - 1];
        free(vals);
    }
    size_t *map = malloc((c.n + 1) * sizeof *map);
    if (!map) { free(c.v); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory building the flame graph"); }
    size_t kept = 0, cut = 0;
    uint64_t cutmax = 0;
    fputs("{\"d\":[", out);
    for (size_t i = 0; i < c.n; i++) {
        const fnode_t *f = &c.v[i];
        int parent_ok = f->parent == SIZE_MAX || (f->parent < i && map[f->parent] != SIZE_MAX);
        if (!parent_ok || f->value < thr || kept >= cap) {
            map[i] = SIZE_MAX;
            /* Count the frames cut below kept frames (their subtrees go with them). */
            if (parent_ok) {
                cut++;
                if (f->value > cutmax) cutmax = f->value;
            }
            continue;
        }
        map[i] = kept;
        fprintf(out, "%s%ld,%ld,%" PRIu64 ",%" PRIu64 ",%ld,%u,%ld,%d", kept ? "," : "",
                f->parent == SIZE_MAX ? -1L : (long)map[f->parent], f->label, f->value, f->self, f->file, f->line,
                f->module, f->kind);
        kept++;
    }
    fprintf(out, "],\"n\":%zu,\"total\":%" PRIu64 ",\"all\":%zu,\"cut\":%zu,\"cutmax\":%" PRIu64 "}", kept, total, c.n, cut,
            cutmax);
    free(map);
    free(c.v);
    return 0;
}

/* ---- one process ---- */

typedef struct proc {
    char *path;
    lt_err_t err;                  /* err.code != 0: could not be read */
    lt_replay_t *rp;
    lt_symbolizer_t *sym;
    lt_report_t *rep;
    lt_thread_report_t *thr;
    lt_growth_t *gr;
    lt_timeline_data_t *tl;
    lt_profile_t *prof_end, *prof_peak;
    uint64_t rt_end, rt_peak;      /* runtime bytes dropped from the profiles */
    size_t findings;
    int id;                        /* section number */
    /* Kept once the section is written and the analyses freed. */
    int ok;                        /* analysed and written */
    long long pid, ppid, start_ns;
    char *exe;
    uint64_t leak_bytes;
    long sec_off, sec_len, json_off, json_len;   /* in the temporary files */
} proc_t;

/* Frees the analyses (keeps the summary fields, path and exe). */
static void proc_release(proc_t *p)
{
    lt_profile_free(p->prof_end);
    lt_profile_free(p->prof_peak);
    lt_timeline_data_free(p->tl);
    lt_growth_free(p->gr);
    lt_threads_free(p->thr);
    lt_report_free(p->rep);
    if (p->sym) lt_sym_close(p->sym);
    lt_replay_free(p->rp);
    p->prof_end = p->prof_peak = NULL;
    p->tl = NULL;
    p->gr = NULL;
    p->thr = NULL;
    p->rep = NULL;
    p->sym = NULL;
    p->rp = NULL;
}

static void proc_free(proc_t *p)
{
    proc_release(p);
    free(p->exe);
    free(p->path);
}

static int analyze(proc_t *p, const lt_html_opts_t *o)
{
    lt_err_t *err = &p->err;
    if (lt_replay_file_series(p->path, 1000 * 1000, 200, &p->rp, err) < 0) return -1;
    lt_source_warn_replay(p->rp, p->path, o->warn, o->warn_ctx);
    if (!(p->sym = lt_sym_open(p->rp->mods, p->rp->nmods, o->symflags, o->warn, o->warn_ctx)))
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    /* The peak: a second replay that stops right after the peak's event.
     * Its stacks are those of the first replay, so its symbolizer serves.
     * First, while little else is in memory. */
    if (p->rp->tot.peak_bytes) {
        lt_moment_t m = { LT_MOMENT_SEQ, 0, NULL, p->rp->tot.peak_seq };
        lt_replay_t *rp2 = NULL;
        if (lt_replay_file_at(p->path, &m, &rp2, err) < 0) return -1;
        int rc = lt_profile_from_replay(rp2, p->sym, LT_MOMENT_PEAK, NULL, &p->prof_peak, err);
        lt_replay_free(rp2);
        if (rc < 0) return -1;
        if (!o->no_default_suppressions) p->rt_peak = lt_profile_drop_runtime(p->prof_peak);
    }
    lt_report_opts_t ro = { o->no_default_suppressions, o->supp };
    if (lt_report_build(p->rp, p->sym, &ro, &p->rep, err) < 0) return -1;
    lt_thread_opts_t tho = { NULL, 0, 0, o->supp };
    if (lt_threads_build(p->rp, p->sym, &tho, &p->thr, err) < 0) return -1;
    if (p->rp->series && p->rp->series->nslices) {
        lt_growth_opts_t go;
        lt_growth_opts_default(&go);
        go.include_runtime = o->no_default_suppressions;
        go.supp = o->supp;
        lt_err_t gerr = { 0 };
        if (lt_growth_build(p->rp, p->sym, &go, &p->gr, &gerr) < 0 && gerr.code == LT_E_NOMEM) {
            *err = gerr;
            return -1;
        }
        lt_timeline_opts_t to;
        lt_timeline_opts_default(&to);
        to.top = TIMELINE_TOP;
        to.include_runtime = o->no_default_suppressions;
        if (lt_timeline_data(p->rp, p->sym, &to, &p->tl, err) < 0) return -1;
    }
    if (lt_profile_from_replay(p->rp, p->sym, LT_MOMENT_END, NULL, &p->prof_end, err) < 0) return -1;
    if (!o->no_default_suppressions) p->rt_end = lt_profile_drop_runtime(p->prof_end);
    p->findings = p->rep->nleaks + (p->thr ? p->thr->nalerts : 0) + (p->gr ? p->gr->nsuspects : 0);
    return 0;
}

/* ---- static HTML ---- */

static void frame_html(FILE *out, const lt_symframe_t *f)
{
    fputs("<li>", out);
    if (f->function) {
        fputs("<span class=fn>", out);
        lt_html_text(out, f->function);
        fputs("</span>", out);
    } else {
        fprintf(out, "<span class=fn>0x%" PRIx64 "</span>", f->address);
    }
    if (f->file) {
        fputs(" <span class=src>", out);
        lt_html_text(out, f->file);
        fprintf(out, ":%d</span>", f->line);
    }
    if (f->module) {
        fputs(" <span class=mod>in ", out);
        lt_html_text(out, base_name(f->module));
        if (!f->function) fprintf(out, "+0x%" PRIx64, f->offset);
        fputs("</span>", out);
    }
    if (f->inlined) fputs(" <span class=inl>inlined</span>", out);
    fputs("</li>\n", out);
}

/* The frame that names a site: the first with a function outside the C
 * and C++ runtime libraries, else the first. */
static size_t naming_frame(const lt_symframe_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *m = base_name(f[i].module);
        if (!f[i].function) continue;
        if (!strncmp(m, "libc.so", 7) || !strncmp(m, "libstdc++", 9) || !strncmp(m, "ld-linux", 8)) continue;
        if (f[i].file && strstr(f[i].file, "/c++/")) continue;
        return i;
    }
    return 0;
}

static void site_name_html(FILE *out, const lt_symframe_t *f, size_t n)
{
    if (!n) {
        fputs("<span class=fn>[unknown stack]</span>", out);
        return;
    }
    const lt_symframe_t *x = &f[naming_frame(f, n)];
    fputs("<span class=fn>", out);
    if (x->function) lt_html_text(out, x->function);
    else if (x->module) {
        lt_html_text(out, base_name(x->module));
        fprintf(out, "+0x%" PRIx64, x->offset);
    } else fprintf(out, "0x%" PRIx64, x->address);
    fputs("</span>", out);
    if (x->file) {
        fputs(" <span class=src>", out);
        lt_html_text(out, x->file);
        fprintf(out, ":%d</span>", x->line);
    }
    /* Its next two named callers, so sites in one function tell apart. */
    int shown = 0;
    for (size_t i = (size_t)(x - f) + 1; i < n && shown < 2; i++) {
        if (!f[i].function || f[i].inlined) continue;
        fputs(shown ? " " : " <span class=via>", out);
        fputs("&larr; ", out);
        lt_html_text(out, f[i].function);
        shown++;
    }
    if (shown) fputs("</span>", out);
}

static void stack_html(FILE *out, const lt_symframe_t *f, size_t n, int truncated)
{
    fputs("<ol class=stack>\n", out);
    for (size_t i = 0; i < n; i++) frame_html(out, &f[i]);
    if (!n) fputs("<li>the tracer could not record this stack</li>\n", out);
    if (truncated) fputs("<li class=note>&hellip; the stack reached the tracer's depth limit (LEAKTRACE_DEPTH)</li>\n", out);
    fputs("</ol>", out);
}

static void kv(FILE *out, const char *k, const char *v)
{
    fputs("<tr><th>", out);
    lt_html_text(out, k);
    fputs("</th><td>", out);
    lt_html_text(out, v);
    fputs("</td></tr>\n", out);
}

static double run_seconds(const lt_replay_t *rp)
{
    uint64_t e = rp->complete && rp->end_ts > rp->last_ts ? rp->end_ts : rp->last_ts;
    return (double)e / 1e9;
}

static void cmdline(const lt_replay_t *rp, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < rp->proc.argc && rp->proc.argv && rp->proc.argv[i] && len + 1 < n; i++) {
        int w = snprintf(buf + len, n - len, "%s%s", i ? " " : "", rp->proc.argv[i]);
        if (w < 0) break;
        len += (size_t)w;
        if (len >= n) {
            len = n - 1;
            if (n > 4) memcpy(buf + n - 4, "...", 4);
        }
    }
}

static void summary_html(FILE *out, const proc_t *p)
{
    const lt_replay_t *rp = p->rp;
    char a[64], b[64], c[64], buf[1024], line[1200];
    const lt_report_t *r = p->rep;
    size_t nthr = p->thr ? p->thr->nalerts : 0, ngr = p->gr ? p->gr->nsuspects : 0;
    fprintf(out, "<div class=\"verdict %s\" id=\"verdict-%d\">", p->findings ? "bad" : "good", p->id);
    if (!p->findings) {
        fputs("<b>No findings</b>: no leak, no thread alert, no growing allocation site.", out);
    } else {
        fputs("<b>Findings:</b> ", out);
        const char *sep = "";
        if (r->nleaks) {
            snprintf(line, sizeof line, "%s leaked in %s block%s from %s site%s", human(r->leak_bytes, a, sizeof a),
                     num(r->leak_blocks, b, sizeof b), r->leak_blocks == 1 ? "" : "s", num(r->nleaks, c, sizeof c),
                     r->nleaks == 1 ? "" : "s");
            lt_html_text(out, line);
            sep = "; ";
        }
        if (nthr) {
            fprintf(out, "%s%zu thread alert%s", sep, nthr, nthr == 1 ? "" : "s");
            sep = "; ";
        }
        if (ngr) fprintf(out, "%s%zu growing site%s", sep, ngr, ngr == 1 ? "" : "s");
        fputs(".", out);
    }
    fputs("</div>\n<table class=kv>\n", out);
    cmdline(rp, buf, sizeof buf);
    kv(out, "command", buf[0] ? buf : "(not recorded)");
    snprintf(line, sizeof line, "%s (pid %lld, parent %lld%s)", rp->proc.exe ? rp->proc.exe : "?", rp->proc.pid, rp->proc.ppid,
             rp->proc.forked ? ", a fork child" : "");
    kv(out, "process", line);
    if (rp->proc.start_realtime_ns > 0) {
        time_t t = (time_t)(rp->proc.start_realtime_ns / 1000000000LL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
        kv(out, "started", buf);
    }
    snprintf(line, sizeof line, "%s, %s", human_time(run_seconds(rp), a, sizeof a), lt_output_end_text(rp, buf, 256));
    kv(out, "duration, end", line);
    snprintf(line, sizeof line, "%s allocations, %s frees, %s allocated", num(rp->tot.allocations, a, sizeof a),
             num(rp->tot.frees, b, sizeof b), human(rp->tot.bytes_allocated, c, sizeof c));
    kv(out, "heap", line);
    snprintf(line, sizeof line, "%s live at %s", human(rp->tot.peak_bytes, a, sizeof a),
             human_time((double)rp->tot.peak_ts / 1e9, b, sizeof b));
    kv(out, "peak", line);
    snprintf(line, sizeof line, "%s in %s block%s", human(rp->tot.live_bytes, a, sizeof a), num(rp->tot.live_blocks, b, sizeof b),
             rp->tot.live_blocks == 1 ? "" : "s");
    kv(out, "live at the end", line);
    snprintf(line, sizeof line, "%s in %s block%s from %s site%s", human(r->leak_bytes, a, sizeof a), num(r->leak_blocks, b, sizeof b),
             r->leak_blocks == 1 ? "" : "s", num(r->nleaks, c, sizeof c), r->nleaks == 1 ? "" : "s");
    kv(out, "leaked", line);
    if (r->supp_blocks) {
        snprintf(line, sizeof line, "%s in %s block%s of runtime one-time allocations (not counted as leaks)",
                 human(r->supp_bytes, a, sizeof a), num(r->supp_blocks, b, sizeof b), r->supp_blocks == 1 ? "" : "s");
        kv(out, "suppressed", line);
    }
    if (r->usupp_blocks) {
        snprintf(line, sizeof line, "%s in %s block%s from %s site%s hidden by your suppressions", human(r->usupp_bytes, a, sizeof a),
                 num(r->usupp_blocks, b, sizeof b), r->usupp_blocks == 1 ? "" : "s", num(r->usupp_sites, c, sizeof c),
                 r->usupp_sites == 1 ? "" : "s");
        kv(out, "user suppressions", line);
    }
    if (p->thr && p->thr->tracked) {
        snprintf(line, sizeof line, "%zu created, at most %zu alive at once, %zu running at exit", p->thr->created, p->thr->max_alive,
                 p->thr->running_at_exit);
        kv(out, "threads", line);
    }
    if (rp->nmarks) {
        snprintf(line, sizeof line, "%zu", rp->nmarks);
        kv(out, "marks", line);
    }
    kv(out, "trace", p->path);
    fputs("</table>\n", out);
    if (!rp->complete || rp->unknown_frees || rp->seq_gaps || rp->undefined_stacks) {
        fputs("<ul class=warn>\n", out);
        if (!rp->complete) {
            fputs("<li>", out);
            lt_html_text(out, rp->cut_short ? rp->cut_msg : "The trace has no end record: the process was killed or crashed; "
                                                            "blocks live at its last event are shown as leaked.");
            fputs("</li>\n", out);
        }
        if (rp->seq_gaps) fprintf(out, "<li>%" PRIu64 " events were lost (sequence gaps).</li>\n", rp->seq_gaps);
        if (rp->unknown_frees) fprintf(out, "<li>%" PRIu64 " frees of blocks the trace never saw allocated.</li>\n", rp->unknown_frees);
        if (rp->undefined_stacks) fprintf(out, "<li>%" PRIu64 " stacks used but never defined.</li>\n", rp->undefined_stacks);
        fputs("</ul>\n", out);
    }
}

static void leaks_html(FILE *out, const proc_t *p, size_t max)
{
    const lt_report_t *r = p->rep;
    char a[64], b[64], c[64];
    fprintf(out, "<h3 id=\"leaks-%d\">Leaks <span class=count>%s site%s</span></h3>\n", p->id, num(r->nleaks, c, sizeof c),
            r->nleaks == 1 ? "" : "s");
    if (!r->nleaks) {
        fputs("<p class=none>No leaks: every block allocated was freed", out);
        if (r->supp_blocks) fputs(" (apart from one-time runtime allocations)", out);
        fputs(".</p>\n", out);
        return;
    }
    fputs("<p class=hint>Blocks never freed, grouped by allocation stack, largest first. Click a row to see its stack; "
          "click a column header to sort.</p>\n",
          out);
    fprintf(out, "<table class=\"leaks sortable\" id=\"leaktable-%d\">\n<thead><tr><th data-key=bytes class=num>bytes</th>"
                 "<th data-key=blocks class=num>blocks</th><th data-key=share class=num>%% of leaked</th>"
                 "<th data-key=site>allocated at</th></tr></thead>\n",
            p->id);
    size_t n = r->nleaks < max ? r->nleaks : max;
    for (size_t i = 0; i < n; i++) {
        const lt_leak_t *l = &r->leaks[i];
        double share = r->leak_bytes ? 100.0 * (double)l->bytes / (double)r->leak_bytes : 0;
        size_t nf = naming_frame(l->frames, l->nframes);
        fprintf(out, "<tbody class=leak data-bytes=%" PRIu64 " data-blocks=%" PRIu64 " data-rank=%zu data-site=\"", l->bytes, l->blocks, i);
        lt_html_text(out, l->nframes && l->frames[nf].function ? l->frames[nf].function : "");
        fprintf(out, "\"><tr class=row><td class=num title=\"%s bytes\">%s</td><td class=num>%s</td><td class=num>%.1f%%</td><td>"
                     "<details><summary>",
                num(l->bytes, a, sizeof a), human(l->bytes, b, sizeof b), num(l->blocks, c, sizeof c), share);
        site_name_html(out, l->frames, l->nframes);
        fputs("</summary>\n", out);
        stack_html(out, l->frames, l->nframes, l->truncated);
        fputs("</details></td></tr></tbody>\n", out);
    }
    fputs("</table>\n", out);
    if (n < r->nleaks) {
        uint64_t cb = 0, ck = 0;
        for (size_t i = n; i < r->nleaks; i++) {
            cb += r->leaks[i].bytes;
            ck += r->leaks[i].blocks;
        }
        fprintf(out, "<p class=cut id=\"leakcut-%d\">Not listed: the %s smallest sites (%s in %s blocks). "
                     "<code>leaktrace report --top 0</code> lists them all.</p>\n",
                p->id, num(r->nleaks - n, c, sizeof c), human(cb, a, sizeof a), num(ck, b, sizeof b));
    }
}

static const char *talert_title(int kind)
{
    switch (kind) {
    case LT_TALERT_RUNNING_AT_EXIT: return "still running at exit";
    case LT_TALERT_NEVER_JOINED: return "finished, never joined nor detached";
    default: return "live threads keep growing";
    }
}

static void threads_html(FILE *out, const proc_t *p)
{
    const lt_thread_report_t *t = p->thr;
    size_t n = t ? t->nalerts : 0;
    fprintf(out, "<h3 id=\"threads-%d\">Thread alerts <span class=count>%zu</span></h3>\n", p->id, n);
    if (!t || !t->tracked) {
        fputs("<p class=none>No thread was created through pthread_create.</p>\n", out);
        return;
    }
    if (!n) {
        fputs("<p class=none>No thread alert: every thread created was joined or detached, none left running.</p>\n", out);
        return;
    }
    fputs("<div class=alerts>\n", out);
    for (size_t i = 0; i < n; i++) {
        const lt_thread_alert_t *a = &t->alerts[i];
        fprintf(out, "<div class=alert><div class=ahead><b>%zu thread%s %s</b>", a->count, a->count == 1 ? "" : "s", talert_title(a->kind));
        if (a->start_function) {
            fputs(", start routine <span class=fn>", out);
            lt_html_text(out, a->start_function);
            fputs("</span>", out);
        }
        if (a->kind == LT_TALERT_GROWING)
            fprintf(out, " (%zu created, %zu live at mid-run, %+.2f threads/s)", a->created, a->live_mid, a->rate_per_s);
        fputs("</div>\n", out);
        if (a->nexamples) {
            fputs("<div class=examples>e.g. ", out);
            for (size_t k = 0; k < a->nexamples; k++) {
                const lt_thread_info_t *x = a->examples[k];
                fprintf(out, "%sthread #%" PRIu64 " (tid %u", k ? ", " : "", x->serial, x->tid);
                if (x->name[0]) {
                    fputs(", \"", out);
                    lt_html_text(out, x->name);
                    fputs("\"", out);
                }
                fputs(")", out);
            }
            fputs("</div>\n", out);
        }
        fputs("<details><summary>created at</summary>\n", out);
        stack_html(out, a->frames, a->nframes, 0);
        fputs("</details></div>\n", out);
    }
    fputs("</div>\n", out);
}

static void pframe_name(FILE *out, const lt_profile_t *pr, const lt_psite_t *s)
{
    /* The naming frame, as for leaks, over profile frames. */
    size_t k = 0;
    for (size_t i = 0; i < s->nframes; i++) {
        const char *m = lt_profile_module_name(pr, s->frames[i].module);
        if (!s->frames[i].function) continue;
        if (!strncmp(m, "libc.so", 7) || !strncmp(m, "libstdc++", 9) || !strncmp(m, "ld-linux", 8)) continue;
        if (s->frames[i].file && strstr(s->frames[i].file, "/c++/")) continue;
        k = i;
        break;
    }
    if (!s->nframes) {
        fputs("<span class=fn>[unknown stack]</span>", out);
        return;
    }
    const lt_pframe_t *f = &s->frames[k];
    fputs("<span class=fn>", out);
    if (f->function) lt_html_text(out, f->function);
    else {
        lt_html_text(out, lt_profile_module_name(pr, f->module));
        fprintf(out, "+0x%" PRIx64, f->offset);
    }
    fputs("</span>", out);
    if (f->file) {
        fputs(" <span class=src>", out);
        lt_html_text(out, f->file);
        fprintf(out, ":%u</span>", f->line);
    }
}

static void pstack_html(FILE *out, const lt_profile_t *pr, const lt_psite_t *s)
{
    fputs("<ol class=stack>\n", out);
    for (size_t i = 0; i < s->nframes; i++) {
        const lt_pframe_t *f = &s->frames[i];
        fputs("<li><span class=fn>", out);
        if (f->function) lt_html_text(out, f->function);
        else fprintf(out, "0x%" PRIx64, f->offset);
        fputs("</span>", out);
        if (f->file) {
            fputs(" <span class=src>", out);
            lt_html_text(out, f->file);
            fprintf(out, ":%u</span>", f->line);
        }
        const char *m = lt_profile_module_name(pr, f->module);
        if (m[0]) {
            fputs(" <span class=mod>in ", out);
            lt_html_text(out, m);
            fputs("</span>", out);
        }
        if (f->inlined) fputs(" <span class=inl>inlined</span>", out);
        fputs("</li>\n", out);
    }
    fputs("</ol>", out);
}

static void growth_html(FILE *out, const proc_t *p)
{
    const lt_growth_t *g = p->gr;
    size_t n = g ? g->nsuspects : 0;
    char a[64], b[64], c[64];
    fprintf(out, "<h3 id=\"growth-%d\">Growth suspects <span class=count>%zu</span></h3>\n", p->id, n);
    if (!g) {
        fputs("<p class=none>The run is too short to look for growth.</p>\n", out);
        return;
    }
    if (!n) {
        fprintf(out, "<p class=none>No allocation site keeps growing (%zu sites whose live memory changed were examined).</p>\n",
                g->sites_considered);
        return;
    }
    fputs("<p class=hint>Sites whose live memory rises steadily over the run (a leak in a program that does not exit). "
          "The curve is the site's live bytes over time.</p>\n<div class=suspects>\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const lt_suspect_t *s = &g->suspects[i];
        const lt_psite_t *site = &g->prof->sites[s->site];
        fprintf(out, "<div class=suspect><div class=shead>");
        pframe_name(out, g->prof, site);
        fprintf(out, "</div>\n<div class=sbody><div class=curve id=\"curve-%d-%zu\"></div><table class=kv>", p->id, i);
        snprintf(a, sizeof a, "%s/s", human((uint64_t)(s->rate_bytes_per_s > 0 ? s->rate_bytes_per_s : 0), b, sizeof b));
        kv(out, "rate", a);
        snprintf(a, sizeof a, "%s (from %s)", human(s->live_bytes, b, sizeof b), human(s->start_bytes, c, sizeof c));
        kv(out, "live now", a);
        snprintf(a, sizeof a, "%s per hour", human((uint64_t)(s->projected_per_hour > 0 ? s->projected_per_hour : 0), b, sizeof b));
        kv(out, "projected", a);
        snprintf(a, sizeof a, "%.0f%% (R\xc2\xb2 %.2f, rising for %s)", 100 * s->confidence, s->r2, human_time(s->growing_for, b, sizeof b));
        kv(out, "confidence", a);
        fputs("</table></div>\n<details><summary>allocation stack</summary>\n", out);
        pstack_html(out, g->prof, site);
        fputs("</details></div>\n", out);
    }
    fputs("</div>\n", out);
}

/* ---- JSON data ---- */

static void u64_array(FILE *out, const uint64_t *v, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) fprintf(out, "%s%" PRIu64, i ? "," : "", v[i]);
    fputc(']', out);
}

static int proc_json(FILE *out, proc_t *p, const lt_html_opts_t *o, lt_err_t *err)
{
    const lt_replay_t *rp = p->rp;
    strtab_t st = { 0 };
    fprintf(out, "{\"id\":%d,\"pid\":%lld,\"exe\":", p->id, rp->proc.pid);
    jstr(out, base_name(rp->proc.exe));
    fputs(",\"duration\":", out);
    jnum(out, run_seconds(rp));
    fputs(",\"peak_t\":", out);
    jnum(out, (double)rp->tot.peak_ts / 1e9);
    fprintf(out, ",\"peak\":%" PRIu64, rp->tot.peak_bytes);
    /* Timeline. */
    fputs(",\"timeline\":", out);
    const lt_timeline_data_t *tl = p->tl;
    if (tl && tl->n >= 2) {
        const lt_series_t *se = rp->series;
        fputs("{\"t\":[", out);
        for (size_t i = 0; i < tl->n; i++) {
            if (i) fputc(',', out);
            jnum(out, tl->t[i]);
        }
        fputs("],\"total\":", out);
        u64_array(out, se->tot_bytes, tl->n);
        fputs(",\"threads\":", out);
        if (rp->nticks) u64_array(out, se->threads, tl->n);
        else fputs("null", out);
        fputs(",\"sites\":[", out);
        for (size_t r = 0; r < tl->ntop; r++) {
            fputs(r ? ",{\"label\":" : "{\"label\":", out);
            jstr(out, tl->label[r]);
            fprintf(out, ",\"peak\":%" PRIu64 ",\"end\":%" PRIu64 ",\"bytes\":", tl->peak[r], tl->end[r]);
            u64_array(out, tl->bytes[r], tl->n);
            fputc('}', out);
        }
        fputs("],\"other\":", out);
        u64_array(out, tl->other, tl->n);
        fprintf(out, ",\"nother\":%zu}", tl->nother);
    } else {
        fputs("null", out);
    }
    fputs(",\"marks\":[", out);
    for (size_t i = 0; i < rp->nmarks; i++) {
        fputs(i ? ",{\"t\":" : "{\"t\":", out);
        jnum(out, (double)rp->marks[i].ts / 1e9);
        fputs(",\"label\":", out);
        jstr(out, rp->marks[i].label);
        fprintf(out, ",\"live\":%" PRIu64 "}", rp->marks[i].tot.live_bytes);
    }
    fputs("],\"growth\":", out);
    const lt_growth_t *g = p->gr;
    if (g && g->nsuspects) {
        size_t n = g->last - g->first + 1;
        double w = (double)g->slice_ns / 1e9;
        fputs("{\"t\":[", out);
        for (size_t i = 0; i < n; i++) {
            if (i) fputc(',', out);
            jnum(out, (double)(g->first + i + 1) * w);
        }
        fputs("],\"suspects\":[", out);
        for (size_t i = 0; i < g->nsuspects; i++) {
            const lt_suspect_t *s = &g->suspects[i];
            fputs(i ? ",{\"rate\":" : "{\"rate\":", out);
            jnum(out, s->rate_bytes_per_s);
            fputs(",\"series\":", out);
            u64_array(out, g->series[s->site], n);
            fputc('}', out);
        }
        fputs("]}", out);
    } else {
        fputs("null", out);
    }
    /* Flame graphs. */
    fputs(",\"flame\":{", out);
    static const char *names[] = { "leaked", "allocated", "peak" };
    for (int k = 0; k < 3; k++) {
        const lt_profile_t *pr = k == 2 ? p->prof_peak : p->prof_end;
        fprintf(out, "%s\"%s\":", k ? "," : "", names[k]);
        if (!pr) {
            fputs("null", out);
            continue;
        }
        if (flame_json(out, pr, k == 1 ? LT_FLAME_ALLOC : LT_FLAME_INUSE, o->max_flame_nodes, &st, err) < 0) {
            st_free(&st);
            return -1;
        }
    }
    fputs("},\"s\":[", out);
    for (size_t i = 0; i < st.n; i++) {
        if (i) fputc(',', out);
        jstr(out, st.v[i]);
    }
    fputs("]}", out);
    st_free(&st);
    return 0;
}

/* ---- the page ---- */

static int by_start(const void *x, const void *y)
{
    const proc_t *a = x, *b = y;
    if (a->ok != b->ok) return a->ok ? -1 : 1;
    if (a->start_ns != b->start_ns) return a->start_ns < b->start_ns ? -1 : 1;
    if (a->pid != b->pid) return a->pid < b->pid ? -1 : 1;
    return a->id - b->id;
}

static void proc_title(FILE *out, const proc_t *p)
{
    lt_html_text(out, base_name(p->exe));
    fprintf(out, " <span class=pid>pid %lld</span>", p->pid);
}

/* Depth of v[i] in the process tree of the page (parents by ppid). */
static size_t tree_depth(const proc_t *v, size_t n, size_t i)
{
    size_t d = 0;
    for (size_t guard = 0; guard < n; guard++) {
        size_t j;
        for (j = 0; j < n; j++)
            if (v[j].ok && j != i && v[j].pid == v[i].ppid && v[j].start_ns <= v[i].start_ns) break;
        if (j == n) break;
        d++;
        i = j;
    }
    return d;
}

/* One process's section (to sec) and data (to js). 0 or -1 with err. */
static int write_proc(proc_t *p, const lt_html_opts_t *o, FILE *sec, FILE *js, lt_err_t *err)
{
    p->sec_off = ftell(sec);
    fprintf(sec, "<section class=proc id=\"proc-%d\" data-proc=%d>\n<h2>", p->id, p->id);
    proc_title(sec, p);
    fputs("</h2>\n", sec);
    summary_html(sec, p);
    fprintf(sec, "<h3>Live heap over time</h3>\n<div class=chart id=\"timeline-%d\"><p class=nojs>(chart drawn by JavaScript)</p></div>\n",
            p->id);
    leaks_html(sec, p, o->max_leaks);
    growth_html(sec, p);
    threads_html(sec, p);
    fprintf(sec, "<h3 id=\"flame-h-%d\">Flame graph</h3>\n<div class=flame id=\"flame-%d\"><p class=nojs>(flame graph drawn by "
                 "JavaScript)</p></div>\n",
            p->id, p->id);
    if (p->rt_end)
        fputs("<p class=hint>One-time runtime allocations are left out of the flame graphs (<code>--no-default-suppressions</code> "
              "shows them).</p>\n",
              sec);
    fputs("</section>\n", sec);
    p->sec_len = ftell(sec) - p->sec_off;
    p->json_off = ftell(js);
    if (proc_json(js, p, o, err) < 0) return -1;
    p->json_len = ftell(js) - p->json_off;
    if (ferror(sec) || ferror(js) || p->sec_off < 0 || p->json_off < 0 || p->sec_len < 0 || p->json_len < 0)
        LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot write the HTML report's temporary files: %s", strerror(errno));
    return 0;
}

/* Copies len bytes at off of f to out. */
static int copy_range(FILE *f, long off, long len, FILE *out)
{
    char buf[65536];
    if (fseek(f, off, SEEK_SET) != 0) return -1;
    while (len > 0) {
        size_t want = len < (long)sizeof buf ? (size_t)len : sizeof buf;
        size_t got = fread(buf, 1, want, f);
        if (got == 0) return -1;
        if (fwrite(buf, 1, got, out) != got) return -1;
        len -= (long)got;
    }
    return 0;
}

int lt_html_write(const char *const *inputs, size_t ninputs, const lt_html_opts_t *oin, FILE *out, lt_err_t *err)
{
    lt_html_opts_t o = *oin;
    if (!o.max_leaks) o.max_leaks = LT_HTML_MAX_LEAKS_DEFAULT;
    if (!o.max_flame_nodes) o.max_flame_nodes = LT_HTML_MAX_FLAME_NODES_DEFAULT;
    char **paths = NULL;
    size_t n = 0;
    if (lt_ci_list_traces(inputs, ninputs, &paths, &n, err) < 0) return -err->code;
    if (!n) {
        free(paths);
        LT_RETURN_ERROR(err, LT_E_IO, -1, "no trace found in %s%s (traces are *.trace files)", inputs[0], ninputs > 1 ? " and the rest" : "");
    }
    proc_t *v = calloc(n, sizeof *v);
    if (!v) {
        for (size_t i = 0; i < n; i++) free(paths[i]);
        free(paths);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        v[i].path = paths[i];
        v[i].id = (int)i;
    }
    free(paths);
    /* Sections and data go to temporary files as each process is analysed,
     * so memory holds one process's analyses at a time; the page is put
     * together at the end, in start order, the index first. */
    int rc = 0;
    size_t nok = 0;
    FILE *sec = tmpfile(), *js = tmpfile();
    if (!sec || !js) {
        LT_ERR_SET(err, LT_E_IO, -1, "cannot create a temporary file for the HTML report: %s", strerror(errno));
        rc = -LT_E_IO;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        proc_t *p = &v[i];
        if (analyze(p, &o) < 0) {
            if (!rc) {
                *err = p->err;
                rc = -p->err.code;
            }
            proc_release(p);
            if (p->err.code == LT_E_NOMEM) goto done;
            continue;
        }
        p->pid = p->rp->proc.pid;
        p->ppid = p->rp->proc.ppid;
        p->start_ns = p->rp->proc.start_realtime_ns;
        p->leak_bytes = p->rep->leak_bytes;
        if (!(p->exe = strdup(p->rp->proc.exe ? p->rp->proc.exe : "?"))) {
            LT_ERR_SET(err, LT_E_NOMEM, -1, "out of memory");
            rc = -LT_E_NOMEM;
            goto done;
        }
        lt_err_t e2 = { 0 };
        if (write_proc(p, &o, sec, js, &e2) < 0) {
            *err = e2;
            rc = -e2.code;
            goto done;
        }
        proc_release(p);
        p->ok = 1;
        nok++;
    }
    if (!nok) goto done;   /* nothing to show: no page */
    qsort(v, n, sizeof *v, by_start);

    /* Head. */
    char title[600];
    if (o.title) snprintf(title, sizeof title, "%s", o.title);
    else if (nok == 1) snprintf(title, sizeof title, "leaktrace: %s (pid %lld)", base_name(v[0].exe), v[0].pid);
    else snprintf(title, sizeof title, "leaktrace: %zu processes", n);
    fputs("<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
          "<meta name=viewport content=\"width=device-width, initial-scale=1\">\n"
          "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=generator content=\"leaktrace\">\n<title>",
          out);
    lt_html_text(out, title);
    fputs("</title>\n<style>\n", out);
    fputs(lt_html_asset_css, out);
    fputs("</style>\n</head>\n<body>\n<header><h1>", out);
    lt_html_text(out, title);
    fputs("</h1>\n<noscript><p class=warn>JavaScript is off: the summary, leak table, growth suspects and thread alerts "
          "below are complete; the charts and flame graphs need JavaScript.</p></noscript>\n</header>\n",
          out);

    /* Index of processes. */
    if (n > 1) {
        size_t nf = 0;
        for (size_t i = 0; i < n; i++) nf += v[i].ok && v[i].findings;
        fprintf(out, "<nav class=procs><h2>%zu processes, %zu with findings</h2>\n<ul>\n", n, nf);
        for (size_t i = 0; i < n; i++) {
            if (!v[i].ok) {
                fprintf(out, "<li class=bad><a href=\"#proc-%d\">", v[i].id);
                lt_html_text(out, base_name(v[i].path));
                fputs("</a>: unreadable</li>\n", out);
                continue;
            }
            fprintf(out, "<li style=\"margin-left:%zuem\" class=%s><a href=\"#proc-%d\">", tree_depth(v, n, i) * 2,
                    v[i].findings ? "bad" : "good", v[i].id);
            proc_title(out, &v[i]);
            char a[64];
            if (v[i].findings)
                fprintf(out, "</a> &mdash; %s leaked, %zu finding%s</li>\n", human(v[i].leak_bytes, a, sizeof a), v[i].findings,
                        v[i].findings == 1 ? "" : "s");
            else fputs("</a> &mdash; clean</li>\n", out);
        }
        fputs("</ul></nav>\n", out);
    }

    /* Sections. */
    for (size_t i = 0; i < n; i++) {
        proc_t *p = &v[i];
        if (!p->ok) {
            fprintf(out, "<section class=proc id=\"proc-%d\" data-proc=%d>\n<h2>", p->id, p->id);
            lt_html_text(out, base_name(p->path));
            fputs("</h2>\n<p class=\"verdict bad\">This trace could not be read: ", out);
            lt_html_text(out, p->err.msg);
            fputs("</p>\n</section>\n", out);
            continue;
        }
        if (copy_range(sec, p->sec_off, p->sec_len, out) < 0) goto tmp_error;
    }

    /* Data and script. */
    fputs("<footer>Made by leaktrace html. Self-contained: no network access.</footer>\n"
          "<script type=\"application/json\" id=\"lt-data\">{\"procs\":[",
          out);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].ok) continue;
        if (!first) fputc(',', out);
        first = 0;
        if (copy_range(js, v[i].json_off, v[i].json_len, out) < 0) goto tmp_error;
    }
    fputs("]}</script>\n<script>\n", out);
    fputs(lt_html_asset_js, out);
    fputs("</script>\n</body>\n</html>\n", out);
    if (fflush(out) != 0 || ferror(out)) {
        LT_ERR_SET(err, LT_E_IO, -1, "cannot write the HTML report");
        rc = -LT_E_IO;
    }
    goto done;
tmp_error:
    LT_ERR_SET(err, LT_E_IO, -1, "cannot read back the HTML report's temporary files, or write the report");
    rc = -LT_E_IO;
done:
    if (sec) fclose(sec);
    if (js) fclose(js);
    for (size_t i = 0; i < n; i++) proc_free(&v[i]);
    free(v);
    return rc;
}
