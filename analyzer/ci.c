/*
 * ci.c - `leaktrace ci` (see ci.h and docs/ci.md).
 *
 * Flow: list the traces; per trace, peek at its process record (excluded
 * processes stop there), replay it with time series and a mark hook that
 * computes the leaks of each marked test, symbolize, build the leak report,
 * the thread alerts and the growth suspects with the user's suppressions,
 * and keep the findings as plain data (copied frames, a stable key), so
 * the replay and symbolizer are freed before the next trace: memory follows
 * one process, not the whole run. Then the baseline decides which findings
 * are known, --fail-on which kinds count, and the outputs are written.
 *
 * A finding's key (also the baseline's line format) is
 *   KIND <TAB> PROGRAM <TAB> TEST <TAB> STACK
 * KIND "leak", "thread:running_at_exit", "thread:never_joined",
 * "thread:growing" or "growth"; PROGRAM the executable's base name; TEST
 * the marked test's name (empty for the process); STACK the frames
 * innermost first, ';'-separated, each "function@file:line@module" with
 * file and module as base names (no build paths, no addresses), or
 * "module+0xOFFSET" without a symbol (a thread alert adds "start=FUNC").
 * So a key is the same in two runs of the same build, wherever it was
 * built or loaded, like diff.c's site matching.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../common/lt_format.h"
#include "ci.h"
#include "growth.h"
#include "json.h"
#include "outfile.h"
#include "output.h"
#include "replay.h"
#include "report.h"
#include "threads.h"

/* ---- small helpers ------------------------------------------------------ */

static const char *base_name(const char *p)
{
    if (!p) return "";
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* A growable string; on allocation failure it sets oom and stops growing. */
typedef struct sb {
    char *p;
    size_t n, cap;
    int oom;
} sb_t;

static void sb_putn(sb_t *b, const char *s, size_t len)
{
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 128;
        while (nc < b->n + len + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) { b->oom = 1; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void sb_puts(sb_t *b, const char *s) { sb_putn(b, s, strlen(s)); }

static void sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (len < 0) return;
    if ((size_t)len < sizeof tmp) { sb_putn(b, tmp, (size_t)len); return; }
    char *big = malloc((size_t)len + 1);
    if (!big) { b->oom = 1; return; }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)len + 1, fmt, ap);
    va_end(ap);
    sb_putn(b, big, (size_t)len);
    free(big);
}

/* A key field: tabs, newlines and ';' would break the key's structure. */
static void sb_field(sb_t *b, const char *s)
{
    for (; s && *s; s++) {
        char c = *s;
        sb_putn(b, c == '\t' || c == '\n' || c == '\r' || c == ';' ? " " : &c, 1);
    }
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *oom = 1;
    return d;
}

/* ---- the data kept per process ------------------------------------------ */

typedef struct ci_frame {
    char *function, *file, *module;   /* NULL when unknown */
    int line, inlined;
    uint64_t offset;
} ci_frame_t;

enum { F_LEAK = 0, F_THREAD, F_GROWTH };
enum { ST_NEW = 0, ST_BASELINE, ST_NOT_SELECTED };
static const char *const status_names[] = { "new", "baseline", "not_selected" };
static const char *const alert_names[] = { "running_at_exit", "never_joined", "growing" };

typedef struct ci_finding {
    int kind;                      /* F_* */
    int status;                    /* ST_* */
    long test;                     /* index in the process's tests, -1: the process itself */
    uint64_t bytes, blocks;        /* leak */
    int truncated;                 /* leak: stack reached the depth limit */
    int alert;                     /* thread: LT_TALERT_* */
    size_t count;                  /* thread: threads in the alert */
    char *start_function;          /* thread */
    double rate, confidence;       /* growth: bytes/s and confidence */
    uint64_t live_bytes;           /* growth: live at the end */
    ci_frame_t *frames;
    size_t nframes;
    char *key;
} ci_finding_t;

typedef struct ci_test {
    char *name;                    /* as marked */
    unsigned occurrence;           /* 1, 2, ... for a name marked again */
    double begin_s, end_s;
    int ended;                     /* a matching test:end mark was seen */
    int checked;                   /* its leaks were computed */
    uint64_t leak_bytes, leak_blocks, leak_sites;
    size_t counted;                /* its findings that fail the check */
} ci_test_t;

typedef struct ci_proc {
    char *trace;
    char *exe;
    char **argv;
    size_t argc;
    long long pid, ppid, start_ns;
    int forked, complete, cut_short, end_how, end_status;
    uint64_t sample_rate;          /* LEAKTRACE_SAMPLE: its figures are estimates; 0 = exact */
    char end_text[128];
    double duration_s;
    int wrapped;                   /* a ring whose oldest data was overwritten */
    double window_start_s;
    uint64_t damaged;              /* damaged chunks skipped */
    char *window_text;             /* lt_output_window_text / damage, or NULL */
    int excluded, empty;
    int error_code;                /* LT_E_* when the trace could not be analysed */
    char *error;
    int leaks_checked;             /* 0: not an exit (exec, killed, cut short) */
    int running_checked;           /* running_at_exit alerts considered */
    lt_totals_t tot;
    uint64_t leak_bytes, leak_blocks, leak_sites;       /* reported leak findings (process level) */
    uint64_t below_sites, below_bytes;                  /* leak sites under --min-bytes */
    uint64_t usupp_sites;                               /* hidden by suppressions (leaks, alerts, suspects) */
    size_t threads_created;
    ci_finding_t *f;
    size_t nf, capf;
    ci_test_t *tests;
    size_t ntests;
    size_t counted, known, not_selected;
} ci_proc_t;

typedef struct ci_run {
    ci_proc_t *p;
    size_t n, cap;
    char **base_keys;              /* sorted baseline keys */
    size_t nbase;
    size_t ntraces;
} ci_run_t;

static void frames_free(ci_frame_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++) { free(f[i].function); free(f[i].file); free(f[i].module); }
    free(f);
}

static void proc_free(ci_proc_t *p)
{
    free(p->trace);
    free(p->exe);
    for (size_t i = 0; i < p->argc; i++) free(p->argv[i]);
    free(p->argv);
    free(p->error);
    free(p->window_text);
    for (size_t i = 0; i < p->nf; i++) {
        frames_free(p->f[i].frames, p->f[i].nframes);
        free(p->f[i].start_function);
        free(p->f[i].key);
    }
    free(p->f);
    for (size_t i = 0; i < p->ntests; i++) free(p->tests[i].name);
    free(p->tests);
}

static void run_free(ci_run_t *r)
{
    for (size_t i = 0; i < r->n; i++) proc_free(&r->p[i]);
    free(r->p);
    for (size_t i = 0; i < r->nbase; i++) free(r->base_keys[i]);
    free(r->base_keys);
    memset(r, 0, sizeof *r);
}

static ci_finding_t *add_finding(ci_proc_t *p)
{
    if (p->nf == p->capf) {
        size_t nc = p->capf ? p->capf * 2 : 8;
        ci_finding_t *n = realloc(p->f, nc * sizeof *n);
        if (!n) return NULL;
        p->f = n;
        p->capf = nc;
    }
    ci_finding_t *f = &p->f[p->nf++];
    memset(f, 0, sizeof *f);
    f->test = -1;
    return f;
}

static int frames_from_sym(ci_finding_t *f, const lt_symframe_t *s, size_t n)
{
    int oom = 0;
    f->frames = calloc(n + 1, sizeof *f->frames);
    if (!f->frames) return -1;
    f->nframes = n;
    for (size_t i = 0; i < n; i++) {
        f->frames[i].function = dup_or_null(s[i].function, &oom);
        f->frames[i].file = dup_or_null(s[i].file, &oom);
        f->frames[i].module = dup_or_null(s[i].module, &oom);
        f->frames[i].line = s[i].line;
        f->frames[i].inlined = s[i].inlined;
        f->frames[i].offset = s[i].offset;
    }
    return oom ? -1 : 0;
}

static int frames_from_profile(ci_finding_t *f, const lt_profile_t *p, const lt_pframe_t *s, size_t n)
{
    int oom = 0;
    f->frames = calloc(n + 1, sizeof *f->frames);
    if (!f->frames) return -1;
    f->nframes = n;
    for (size_t i = 0; i < n; i++) {
        const char *mod = s[i].module != LT_PMOD_NONE && s[i].module < p->nmodules ? p->modules[s[i].module].path : NULL;
        f->frames[i].function = dup_or_null(s[i].function, &oom);
        f->frames[i].file = dup_or_null(s[i].file, &oom);
        f->frames[i].module = dup_or_null(mod, &oom);
        f->frames[i].line = (int)s[i].line;
        f->frames[i].inlined = s[i].inlined;
        f->frames[i].offset = s[i].offset;
    }
    return oom ? -1 : 0;
}

static const char *kind_key(const ci_finding_t *f)
{
    if (f->kind == F_LEAK) return "leak";
    if (f->kind == F_GROWTH) return "growth";
    switch (f->alert) {
    case LT_TALERT_RUNNING_AT_EXIT: return "thread:running_at_exit";
    case LT_TALERT_NEVER_JOINED: return "thread:never_joined";
    default: return "thread:growing";
    }
}

/* The finding's stable key (see the file comment). */
static char *make_key(const ci_proc_t *p, const ci_finding_t *f)
{
    sb_t b = { 0 };
    sb_puts(&b, kind_key(f));
    sb_puts(&b, "\t");
    sb_field(&b, base_name(p->exe));
    sb_puts(&b, "\t");
    if (f->test >= 0) sb_field(&b, p->tests[f->test].name);
    sb_puts(&b, "\t");
    if (!f->nframes) sb_puts(&b, "?");
    for (size_t i = 0; i < f->nframes; i++) {
        const ci_frame_t *fr = &f->frames[i];
        if (i) sb_puts(&b, ";");
        if (fr->function) {
            sb_field(&b, fr->function);
            sb_puts(&b, "@");
            sb_field(&b, base_name(fr->file));
            sb_printf(&b, ":%d@", fr->line);
            sb_field(&b, base_name(fr->module));
        } else {
            sb_field(&b, fr->module ? base_name(fr->module) : "?");
            sb_printf(&b, "+0x%" PRIx64, fr->offset);
        }
    }
    if (f->kind == F_THREAD) {
        sb_puts(&b, ";start=");
        sb_field(&b, f->start_function ? f->start_function : "?");
    }
    if (b.oom) { free(b.p); return NULL; }
    return b.p;
}

/* ---- listing the traces --------------------------------------------------- */

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int push_path(char ***v, size_t *n, size_t *cap, char *s)
{
    if (!s) return -1;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv) { free(s); return -1; }
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = s;
    return 0;
}

/* Every regular *.trace file of the directories, and the files named. */
static int list_traces(const char *const *inputs, size_t ninputs, char ***out, size_t *nout, lt_err_t *err)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < ninputs; i++) {
        struct stat st;
        if (stat(inputs[i], &st) != 0) {
            LT_ERR_SET(err, LT_E_IO, -1, "cannot read '%s': %s", inputs[i], strerror(errno));
            goto fail;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (push_path(&v, &n, &cap, strdup(inputs[i])) < 0) goto oom;
            continue;
        }
        DIR *d = opendir(inputs[i]);
        if (!d) {
            LT_ERR_SET(err, LT_E_IO, -1, "cannot read the directory '%s': %s", inputs[i], strerror(errno));
            goto fail;
        }
        size_t first = n;
        struct dirent *de;
        while ((de = readdir(d))) {
            size_t len = strlen(de->d_name);
            if (len < 7 || strcmp(de->d_name + len - 6, ".trace") != 0) continue;
            size_t dl = strlen(inputs[i]);
            char *path = malloc(dl + len + 2);
            if (!path) { closedir(d); goto oom; }
            snprintf(path, dl + len + 2, "%s%s%s", inputs[i], dl && inputs[i][dl - 1] == '/' ? "" : "/", de->d_name);
            struct stat fs;
            if (stat(path, &fs) != 0 || !S_ISREG(fs.st_mode)) { free(path); continue; }
            if (push_path(&v, &n, &cap, path) < 0) { closedir(d); goto oom; }
        }
        closedir(d);
        if (n - first > 1) qsort(v + first, n - first, sizeof *v, by_name);
    }
    *out = v;
    *nout = n;
    return 0;
oom:
    LT_ERR_SET(err, LT_E_NOMEM, -1, "out of memory listing the traces");
fail:
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
    return -err->code;
}

int lt_ci_list_traces(const char *const *inputs, size_t n, char ***out, size_t *n_out, lt_err_t *err)
{
    return list_traces(inputs, n, out, n_out, err);
}

/* ---- per-test attribution (the mark hook) -------------------------------- */

typedef struct raw_test {
    char *name;
    uint64_t begin_seq, begin_ts, end_ts;
    int ended;
    lt_live_site_t *sites;
    size_t nsites;
} raw_test_t;

typedef struct hook_ctx {
    raw_test_t *t;
    size_t n, cap;
    int oom;
} hook_ctx_t;

/* "test:begin NAME" -> NAME (kind 1), "test:end NAME" -> NAME (kind 2). */
static const char *test_mark(const char *label, int *kind)
{
    static const char begin[] = "test:begin", end[] = "test:end";
    if (!strncmp(label, begin, sizeof begin - 1) && (label[sizeof begin - 1] == ' ' || !label[sizeof begin - 1])) {
        *kind = 1;
        return label[sizeof begin - 1] ? label + sizeof begin : "";
    }
    if (!strncmp(label, end, sizeof end - 1) && (label[sizeof end - 1] == ' ' || !label[sizeof end - 1])) {
        *kind = 2;
        return label[sizeof end - 1] ? label + sizeof end : "";
    }
    return NULL;
}

static void on_mark(void *ctx, const lt_replay_t *rp, const lt_mark_t *mk)
{
    hook_ctx_t *h = ctx;
    int kind = 0;
    const char *name = test_mark(mk->label, &kind);
    if (!name || h->oom) return;
    if (kind == 1) {
        if (h->n == h->cap) {
            size_t nc = h->cap ? h->cap * 2 : 16;
            raw_test_t *nt = realloc(h->t, nc * sizeof *nt);
            if (!nt) { h->oom = 1; return; }
            h->t = nt;
            h->cap = nc;
        }
        raw_test_t t = { strdup(name), mk->seq, mk->ts, 0, 0, NULL, 0 };
        if (!t.name) { h->oom = 1; return; }
        h->t[h->n++] = t;
        return;
    }
    /* The innermost open test of that name (tests may nest). */
    for (size_t i = h->n; i-- > 0;) {
        raw_test_t *t = &h->t[i];
        if (t->ended || strcmp(t->name, name) != 0) continue;
        if (lt_replay_live_since(rp, t->begin_seq, &t->sites, &t->nsites) < 0) h->oom = 1;
        t->ended = 1;
        t->end_ts = mk->ts;
        return;
    }
}

static void hook_free(hook_ctx_t *h)
{
    for (size_t i = 0; i < h->n; i++) { free(h->t[i].name); free(h->t[i].sites); }
    free(h->t);
}

/* ---- analysing one trace ---------------------------------------------------- */

static int excluded(const lt_ci_opts_t *o, const char *exe, const char *argv0)
{
    for (size_t i = 0; i < o->nexclude; i++) {
        if (exe && fnmatch(o->exclude[i], base_name(exe), 0) == 0) return 1;
        if (argv0 && fnmatch(o->exclude[i], base_name(argv0), 0) == 0) return 1;
    }
    return 0;
}

static int copy_process(ci_proc_t *p, const lt_replay_t *rp)
{
    int oom = 0;
    p->exe = dup_or_null(rp->proc.exe, &oom);
    if (rp->proc.argc) {
        p->argv = calloc(rp->proc.argc + 1, sizeof *p->argv);
        if (!p->argv) return -1;
        for (size_t i = 0; i < rp->proc.argc; i++) p->argv[i] = dup_or_null(rp->proc.argv[i] ? rp->proc.argv[i] : "", &oom);
        p->argc = rp->proc.argc;
    }
    p->pid = rp->proc.pid;
    p->ppid = rp->proc.ppid;
    p->start_ns = rp->proc.start_realtime_ns;
    p->forked = rp->proc.forked;
    p->sample_rate = rp->proc.sample_rate;
    return oom ? -1 : 0;
}

/* Reads records up to the process record only. 1: excluded (p filled
 * with the process), 0: not, <0: error (err). */
static int peek_excluded(const char *path, const lt_ci_opts_t *o, ci_proc_t *p, lt_err_t *err)
{
    if (!o->nexclude) return 0;
    lt_trace_file_t *f;
    LT_FORWARD_IF_ERROR(lt_file_open(path, &f, err));
    lt_replay_t *rp = lt_replay_new();
    if (!rp) { lt_file_close(f); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory"); }
    lt_rec_t r;
    int rc;
    size_t k = 0;
    while (!rp->have_process && k++ < 100000 && (rc = lt_file_next(f, &r, err)) == 1)
        if (r.type == LT_REC_PROCESS && lt_replay_record(rp, &r, err) < 0) break;
    lt_file_close(f);
    int ex = rp->have_process && excluded(o, rp->proc.exe, rp->proc.argc ? rp->proc.argv[0] : NULL);
    if (ex && copy_process(p, rp) < 0) { lt_replay_free(rp); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory"); }
    lt_replay_free(rp);
    return ex;
}

static int leak_findings(ci_proc_t *p, const lt_report_t *rep, long test, const lt_ci_opts_t *o)
{
    for (size_t i = 0; i < rep->nleaks; i++) {
        const lt_leak_t *l = &rep->leaks[i];
        if (l->bytes < o->min_bytes) {
            p->below_sites++;
            p->below_bytes += l->bytes;
            continue;
        }
        ci_finding_t *f = add_finding(p);
        if (!f) return -1;
        f->kind = F_LEAK;
        f->test = test;
        f->bytes = l->bytes;
        f->blocks = l->blocks;
        f->truncated = l->truncated;
        if (frames_from_sym(f, l->frames, l->nframes) < 0 || !(f->key = make_key(p, f))) return -1;
        if (test < 0) {
            p->leak_sites++;
            p->leak_bytes += l->bytes;
            p->leak_blocks += l->blocks;
        } else {
            p->tests[test].leak_sites++;
            p->tests[test].leak_bytes += l->bytes;
            p->tests[test].leak_blocks += l->blocks;
        }
    }
    return 0;
}

static int thread_findings(ci_proc_t *p, const lt_thread_report_t *t)
{
    for (size_t i = 0; i < t->nalerts; i++) {
        const lt_thread_alert_t *a = &t->alerts[i];
        ci_finding_t *f = add_finding(p);
        if (!f) return -1;
        f->kind = F_THREAD;
        f->alert = a->kind;
        f->count = a->count;
        int oom = 0;
        f->start_function = dup_or_null(a->start_function, &oom);
        if (oom || frames_from_sym(f, a->frames, a->nframes) < 0 || !(f->key = make_key(p, f))) return -1;
    }
    return 0;
}

static int growth_findings(ci_proc_t *p, const lt_growth_t *g)
{
    for (size_t i = 0; g && i < g->nsuspects; i++) {
        const lt_suspect_t *s = &g->suspects[i];
        const lt_psite_t *site = &g->prof->sites[s->site];
        ci_finding_t *f = add_finding(p);
        if (!f) return -1;
        f->kind = F_GROWTH;
        f->rate = s->rate_bytes_per_s;
        f->confidence = s->confidence;
        f->live_bytes = s->live_bytes;
        if (frames_from_profile(f, g->prof, site->frames, site->nframes) < 0 || !(f->key = make_key(p, f))) return -1;
    }
    return 0;
}

/* Analyses path into p. Returns 0 (p->error set when the trace could not be
 * read: the run goes on), or -LT_E_NOMEM. */
static int analyze_one(const char *path, const lt_ci_opts_t *o, ci_proc_t *p, lt_err_t *err)
{
    memset(p, 0, sizeof *p);
    if (!(p->trace = strdup(path))) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size == 0) {
        p->empty = 1;   /* killed before its first write */
        return 0;
    }
    lt_err_t e = { 0 };
    int ex = peek_excluded(path, o, p, &e);
    if (ex == 1) { p->excluded = 1; return 0; }
    hook_ctx_t h = { 0 };
    lt_replay_t *rp = NULL;
    if (ex == 0 && lt_replay_file_hooked(path, 0, 200, on_mark, &h, &rp, &e) == 0 && h.oom) {
        lt_replay_free(rp);
        rp = NULL;
        LT_ERR_SET(&e, LT_E_NOMEM, -1, "out of memory");
    }
    if (!rp) {
        hook_free(&h);
        if (e.code == LT_E_NOMEM) { *err = e; return -LT_E_NOMEM; }
        p->error_code = e.code ? e.code : LT_E_CORRUPT;
        p->error = strdup(e.msg);
        return 0;
    }
    if (copy_process(p, rp) < 0) goto oom;
    char wtext[1024], wline[1200];
    p->wrapped = rp->wrapped;
    p->window_start_s = rp->from_checkpoint ? rp->window_ts / 1e9 : 0;
    p->damaged = rp->damaged;
    if (lt_output_window_text(rp, wtext, sizeof wtext) && !(p->window_text = strdup(wtext))) goto oom;
    if (o->warn && lt_output_window_text(rp, wtext, sizeof wtext)) {
        snprintf(wline, sizeof wline, "%s: %s", path, wtext);
        o->warn(o->warn_ctx, wline);
    }
    if (o->warn && lt_output_damage_text(rp, wtext, sizeof wtext)) {
        snprintf(wline, sizeof wline, "%s: %s", path, wtext);
        o->warn(o->warn_ctx, wline);
    }
    p->complete = rp->complete;
    p->cut_short = rp->cut_short;
    p->end_how = rp->end_how;
    p->end_status = rp->end_status;
    lt_output_end_text(rp, p->end_text, sizeof p->end_text);
    p->duration_s = (double)(rp->complete ? rp->end_ts : rp->last_ts) / 1e9;
    p->tot = rp->tot;
    int exited = rp->complete && (rp->end_how == LT_END_EXIT || rp->end_how == LT_END_UNDERSCORE_EXIT);
    p->leaks_checked = exited;
    p->running_checked = exited;

    lt_symbolizer_t *sym = lt_sym_open(rp->mods, rp->nmods, o->symflags, o->warn, o->warn_ctx);
    if (!sym) goto oom;
    lt_report_opts_t ro = { o->no_default_suppressions, o->supp, o->leak_kinds, 0 };
    lt_report_t *rep = NULL;
    lt_thread_report_t *thr = NULL;
    lt_growth_t *gr = NULL;
    int rc = 0;
    /* Tests: every begin mark is a test; those that never ended count up
     * to the end of the trace when the process exited normally. */
    if (h.n) {
        p->tests = calloc(h.n, sizeof *p->tests);
        if (!p->tests) rc = -1;
        for (size_t i = 0; !rc && i < h.n; i++) {
            raw_test_t *t = &h.t[i];
            ci_test_t *ct = &p->tests[p->ntests++];
            ct->name = strdup(t->name);
            if (!ct->name) { rc = -1; break; }
            for (size_t k = 0; k < i; k++) ct->occurrence += strcmp(h.t[k].name, t->name) == 0;
            ct->occurrence++;
            ct->begin_s = (double)t->begin_ts / 1e9;
            ct->ended = t->ended;
            ct->end_s = t->ended ? (double)t->end_ts / 1e9 : p->duration_s;
            if (!t->ended && exited && lt_replay_live_since(rp, t->begin_seq, &t->sites, &t->nsites) < 0) { rc = -1; break; }
            ct->checked = t->ended || exited;
            if (!ct->checked) continue;
            lt_report_t *tr = NULL;
            if (lt_report_build_sites(rp, sym, &ro, t->sites, t->nsites, &tr, err) < 0) { rc = -1; break; }
            p->usupp_sites += tr->usupp_sites;
            rc = leak_findings(p, tr, (long)i, o);
            lt_report_free(tr);
        }
    }
    if (!rc && exited) {
        if (lt_report_build(rp, sym, &ro, &rep, err) < 0) rc = -1;
        else {
            p->usupp_sites += rep->usupp_sites;
            rc = leak_findings(p, rep, -1, o);
        }
    }
    lt_thread_opts_t tho = { NULL, 0, !exited, o->supp };
    if (!rc && lt_threads_build(rp, sym, &tho, &thr, err) < 0) rc = -1;
    if (!rc) {
        p->threads_created = thr->created;
        p->usupp_sites += thr->supp_alerts;
        rc = thread_findings(p, thr);
    }
    if (!rc && rp->series && rp->series->nslices) {
        lt_growth_opts_t go;
        lt_growth_opts_default(&go);
        go.include_runtime = o->no_default_suppressions;
        go.supp = o->supp;
        lt_err_t ge = { 0 };
        if (lt_growth_build(rp, sym, &go, &gr, &ge) < 0) {
            if (ge.code == LT_E_NOMEM) rc = -1;
            gr = NULL;
        } else {
            p->usupp_sites += gr->suppressed;
            rc = growth_findings(p, gr);
        }
    }
    lt_growth_free(gr);
    lt_threads_free(thr);
    lt_report_free(rep);
    lt_sym_close(sym);
    lt_replay_free(rp);
    hook_free(&h);
    if (rc < 0) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory analysing %s", path);
    return 0;
oom:
    lt_replay_free(rp);
    hook_free(&h);
    LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory analysing %s", path);
}

static int by_start(const void *x, const void *y)
{
    const ci_proc_t *a = x, *b = y;
    if (a->start_ns != b->start_ns) return a->start_ns < b->start_ns ? -1 : 1;
    if (a->pid != b->pid) return a->pid < b->pid ? -1 : 1;
    return strcmp(a->trace, b->trace);
}

/* Analyses every trace of inputs into r. 0 or -LT_E_* (only errors that
 * stop the run: no input, out of memory). */
static int collect(const char *const *inputs, size_t ninputs, const lt_ci_opts_t *o, ci_run_t *r, lt_err_t *err)
{
    char **paths = NULL;
    size_t np = 0;
    LT_FORWARD_IF_ERROR(list_traces(inputs, ninputs, &paths, &np, err));
    int rc = 0;
    r->p = calloc(np + 1, sizeof *r->p);
    if (!r->p) { rc = -LT_E_NOMEM; LT_ERR_SET(err, LT_E_NOMEM, -1, "out of memory"); }
    for (size_t i = 0; !rc && i < np; i++) {
        rc = analyze_one(paths[i], o, &r->p[r->n], err);
        r->n++;
    }
    r->ntraces = np;
    for (size_t i = 0; i < np; i++) free(paths[i]);
    free(paths);
    if (rc) return rc;
    if (r->n > 1) qsort(r->p, r->n, sizeof *r->p, by_start);
    return 0;
}

/* ---- baseline ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char baseline_magic[] = "leaktrace-baseline 1";

static int read_baseline_file(const char *path, ci_run_t *r, lt_err_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f) LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot read the baseline '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t lcap = 0, cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    int seen_magic = 0, rc = 0;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (!seen_magic) {
            if (strcmp(line, baseline_magic) != 0) {
                LT_ERR_SET(err, LT_E_USAGE, -1, "%s:%u: not a leaktrace baseline (the first line must be \"%s\"; "
                           "write one with --write-baseline)", path, lineno, baseline_magic);
                rc = -LT_E_USAGE;
                break;
            }
            seen_magic = 1;
            continue;
        }
        if (!len || line[0] == '#') continue;
        int tabs = 0;
        for (ssize_t i = 0; i < len; i++) tabs += line[i] == '\t';
        if (tabs != 3) {
            LT_ERR_SET(err, LT_E_USAGE, -1, "%s:%u: a finding line has 4 tab-separated fields (kind, program, test, "
                       "stack), this one has %d", path, lineno, tabs + 1);
            rc = -LT_E_USAGE;
            break;
        }
        if (r->nbase == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nk = realloc(r->base_keys, nc * sizeof *nk);
            if (!nk) { rc = -LT_E_NOMEM; break; }
            r->base_keys = nk;
            cap = nc;
        }
        if (!(r->base_keys[r->nbase] = strdup(line))) { rc = -LT_E_NOMEM; break; }
        r->nbase++;
    }
    if (!rc && ferror(f)) {
        LT_ERR_SET(err, LT_E_IO, -1, "cannot read the baseline '%s': %s", path, strerror(errno));
        rc = -LT_E_IO;
    }
    if (!rc && !seen_magic) {
        LT_ERR_SET(err, LT_E_USAGE, -1, "%s:1: empty file, not a leaktrace baseline (write one with --write-baseline)", path);
        rc = -LT_E_USAGE;
    }
    if (rc == -LT_E_NOMEM) LT_ERR_SET(err, LT_E_NOMEM, -1, "out of memory reading the baseline");
    free(line);
    fclose(f);
    if (!rc && r->nbase > 1) qsort(r->base_keys, r->nbase, sizeof *r->base_keys, cmp_str);
    return rc;
}

int lt_ci_check_baseline_file(const char *path, size_t *nkeys, lt_err_t *err)
{
    ci_run_t r = { 0 };
    int rc = read_baseline_file(path, &r, err);
    if (nkeys) *nkeys = r.nbase;
    run_free(&r);
    return rc;
}

/* A baseline directory: the traces of an earlier run, analysed with the same
 * options; their findings are the known ones. */
static int read_baseline_dir(const char *dir, const lt_ci_opts_t *o, ci_run_t *r, lt_err_t *err)
{
    ci_run_t b = { 0 };
    const char *in[1] = { dir };
    int rc = collect(in, 1, o, &b, err);
    lt_supp_reset_counts(o->supp);   /* what the baseline run hid is not this run's */
    size_t cap = 0;
    for (size_t i = 0; !rc && i < b.n; i++)
        for (size_t k = 0; k < b.p[i].nf; k++) {
            if (r->nbase == cap) {
                size_t nc = cap ? cap * 2 : 64;
                char **nk = realloc(r->base_keys, nc * sizeof *nk);
                if (!nk) { rc = -LT_E_NOMEM; break; }
                r->base_keys = nk;
                cap = nc;
            }
            if (!(r->base_keys[r->nbase] = strdup(b.p[i].f[k].key))) { rc = -LT_E_NOMEM; break; }
            r->nbase++;
        }
    run_free(&b);
    if (rc == -LT_E_NOMEM) LT_ERR_SET(err, LT_E_NOMEM, -1, "out of memory reading the baseline run");
    if (!rc && r->nbase > 1) qsort(r->base_keys, r->nbase, sizeof *r->base_keys, cmp_str);
    return rc;
}

static int load_baseline(const lt_ci_opts_t *o, ci_run_t *r, lt_err_t *err)
{
    struct stat st;
    if (stat(o->baseline, &st) != 0) LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot read the baseline '%s': %s", o->baseline, strerror(errno));
    if (S_ISDIR(st.st_mode)) return read_baseline_dir(o->baseline, o, r, err);
    return read_baseline_file(o->baseline, r, err);
}

static int in_baseline(const ci_run_t *r, const char *key)
{
    return r->nbase && bsearch(&key, r->base_keys, r->nbase, sizeof *r->base_keys, cmp_str) != NULL;
}

static int write_baseline(const char *path, const ci_run_t *r, lt_err_t *err)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) n += r->p[i].nf;
    const char **keys = calloc(n + 1, sizeof *keys);
    if (!keys) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    n = 0;
    for (size_t i = 0; i < r->n; i++)
        for (size_t k = 0; k < r->p[i].nf; k++) keys[n++] = r->p[i].f[k].key;
    if (n > 1) qsort(keys, n, sizeof *keys, cmp_str);
    FILE *f = lt_outfile_open(path, 0, "the baseline", err);
    if (!f) { free(keys); return -LT_E_IO; }
    size_t uniq = 0;
    for (size_t i = 0; i < n; i++) uniq += !i || strcmp(keys[i], keys[i - 1]) != 0;
    fprintf(f, "%s\n# %zu finding%s of a leaktrace ci run: these do not fail `leaktrace ci --baseline FILE`.\n"
               "# One per line: KIND<TAB>PROGRAM<TAB>TEST<TAB>STACK, STACK innermost first as function@file:line@module.\n",
            baseline_magic, uniq, uniq == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        if (!i || strcmp(keys[i], keys[i - 1]) != 0) fprintf(f, "%s\n", keys[i]);
    free(keys);
    int bad = fflush(f) != 0 || ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) LT_RETURN_ERROR(err, LT_E_IO, -1, "writing the baseline '%s' failed: %s", path, strerror(errno));
    return 0;
}

/* ---- the verdict ----------------------------------------------------------- */

static unsigned kind_bit(int kind) { return kind == F_LEAK ? LT_CI_LEAKS : kind == F_THREAD ? LT_CI_THREADS : LT_CI_GROWTH; }

typedef struct totals {
    size_t reported, excluded, errors, empty, with_findings;
    uint64_t leak_sites, leak_bytes, leak_blocks, below_sites, below_bytes;
    size_t thread_alerts, growth, tests, tests_failed, tests_unfinished;
    size_t findings, counted, known, not_selected, suppressed;
} totals_t;

static void decide(ci_run_t *r, const lt_ci_opts_t *o, totals_t *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < r->n; i++) {
        ci_proc_t *p = &r->p[i];
        if (p->excluded) { t->excluded++; continue; }
        if (p->empty) { t->empty++; continue; }
        if (p->error) { t->errors++; continue; }
        t->reported++;
        for (size_t k = 0; k < p->nf; k++) {
            ci_finding_t *f = &p->f[k];
            if (in_baseline(r, f->key)) f->status = ST_BASELINE;
            else if (!(o->fail_on & kind_bit(f->kind))) f->status = ST_NOT_SELECTED;
            else f->status = ST_NEW;
            if (f->status == ST_NEW) {
                p->counted++;
                if (f->test >= 0) p->tests[f->test].counted++;
            } else if (f->status == ST_BASELINE) {
                p->known++;
            } else {
                p->not_selected++;
            }
            if (f->kind == F_LEAK && f->test < 0) {
                t->leak_sites++;
                t->leak_bytes += f->bytes;
                t->leak_blocks += f->blocks;
            } else if (f->kind == F_THREAD) {
                t->thread_alerts++;
            } else if (f->kind == F_GROWTH) {
                t->growth++;
            }
        }
        t->below_sites += p->below_sites;
        t->below_bytes += p->below_bytes;
        t->findings += p->nf;
        t->counted += p->counted;
        t->known += p->known;
        t->not_selected += p->not_selected;
        t->suppressed += p->usupp_sites;
        t->with_findings += p->nf > 0;
        for (size_t k = 0; k < p->ntests; k++) {
            t->tests++;
            t->tests_failed += p->tests[k].counted > 0;
            t->tests_unfinished += !p->tests[k].ended;
        }
    }
}

/* ---- text ------------------------------------------------------------------ */

static void print_argv(FILE *out, const ci_proc_t *p, size_t max)
{
    size_t used = 0;
    if (!p->argc) { fputs(p->exe ? p->exe : "?", out); return; }
    for (size_t i = 0; i < p->argc; i++) {
        size_t l = strlen(p->argv[i]);
        if (used + l > max) { fputs(i ? " ..." : "...", out); return; }
        fprintf(out, "%s%s", i ? " " : "", p->argv[i]);
        used += l + 1;
    }
}

static void frame_line(FILE *out, const ci_frame_t *f, const char *lead)
{
    fputs(lead, out);
    if (f->function) fputs(f->function, out);
    else fprintf(out, "0x%" PRIx64, f->offset);
    if (f->file) fprintf(out, " (%s:%d)", f->file, f->line);
    if (f->module) {
        if (f->function) fprintf(out, " in %s", base_name(f->module));
        else fprintf(out, " in %s+0x%" PRIx64, base_name(f->module), f->offset);
    }
    if (f->inlined) fputs(" [inlined]", out);
    fputc('\n', out);
}

/* One finding: a headline and its stack, each line starting with ind. */
static void finding_text(FILE *out, const ci_proc_t *p, const ci_finding_t *f, const char *ind)
{
    char a[32], b[32];
    fputs(ind, out);
    switch (f->kind) {
    case F_LEAK:
        if (f->test >= 0) fprintf(out, "leak in test \"%s\": ", p->tests[f->test].name);
        else fputs("leak: ", out);
        fprintf(out, "%s bytes in %s block%s", lt_output_num(f->bytes, a, sizeof a), lt_output_num(f->blocks, b, sizeof b),
                f->blocks == 1 ? "" : "s");
        if (f->truncated) fputs(", stack truncated at the depth limit", out);
        break;
    case F_THREAD:
        fprintf(out, "thread alert %s: %zu thread%s", alert_names[f->alert], f->count, f->count == 1 ? "" : "s");
        if (f->start_function) fprintf(out, ", start routine %s", f->start_function);
        break;
    default:
        fprintf(out, "growth suspect: +%.0f bytes/s, %s bytes live at the end, confidence %.2f", f->rate,
                lt_output_num(f->live_bytes, a, sizeof a), f->confidence);
        break;
    }
    if (f->status == ST_BASELINE) fputs(" [known: in the baseline]", out);
    else if (f->status == ST_NOT_SELECTED) fputs(" [not counted: --fail-on]", out);
    fputc('\n', out);
    char lead[64], by[64];
    snprintf(lead, sizeof lead, "%s    %s ", ind, f->kind == F_THREAD ? "created at" : "at");
    snprintf(by, sizeof by, "%s    %s ", ind, f->kind == F_THREAD ? "        by" : "by");
    if (!f->nframes) fprintf(out, "%s    (stack not recorded)\n", ind);
    for (size_t i = 0; i < f->nframes; i++) frame_line(out, &f->frames[i], i ? by : lead);
}

static const char *proc_tag(const ci_proc_t *p)
{
    if (p->error) return "ERROR";
    if (p->counted) return "FAIL";
    if (p->nf) return "note";
    return "ok";
}

static void proc_text(FILE *out, const ci_proc_t *p, const lt_ci_opts_t *o)
{
    char a[32], b[32];
    if (p->error) {
        fprintf(out, "\n[ERROR] %s\n    %s\n", p->trace, p->error);
        return;
    }
    fprintf(out, "\n[%s] ", proc_tag(p));
    print_argv(out, p, 160);
    fprintf(out, " (pid %lld, parent %lld%s): %s\n", p->pid, p->ppid, p->forked ? ", forked" : "", p->end_text);
    if (p->argc && p->exe && strcmp(base_name(p->exe), base_name(p->argv[0])) != 0) fprintf(out, "    executable: %s\n", p->exe);
    if (p->sample_rate) {
        char note[256];
        fprintf(out, "    NOTE: %s\n", lt_output_sample_note(p->sample_rate, note, sizeof note));
    }
    if (!p->leaks_checked) {
        if (p->complete && p->end_how == LT_END_EXEC)
            fputs("    leaks not checked: the image was replaced by exec (exec discards its heap)\n", out);
        else
            fputs("    leaks not checked: the process did not exit (killed, crashed or cut short); the trace covers what was written\n", out);
    }
    size_t nleaks = 0, nthr = 0, ngr = 0, ntl = 0;
    for (size_t i = 0; i < p->nf; i++) {
        const ci_finding_t *f = &p->f[i];
        if (f->kind == F_LEAK) { if (f->test < 0) nleaks++; else ntl++; }
        else if (f->kind == F_THREAD) nthr++;
        else ngr++;
    }
    if (p->nf || p->below_sites) {
        fputs("    ", out);
        if (p->leaks_checked)
            fprintf(out, "leaks: %zu site%s, %s bytes in %s block%s; ", nleaks, nleaks == 1 ? "" : "s",
                    lt_output_num(p->leak_bytes, a, sizeof a), lt_output_num(p->leak_blocks, b, sizeof b), p->leak_blocks == 1 ? "" : "s");
        fprintf(out, "thread alerts: %zu; growth suspects: %zu", nthr, ngr);
        if (p->below_sites) fprintf(out, "; %" PRIu64 " leak site%s under --min-bytes", p->below_sites, p->below_sites == 1 ? "" : "s");
        fputc('\n', out);
    }
    if (p->usupp_sites) fprintf(out, "    suppressed: %" PRIu64 " finding%s (--suppressions)\n", p->usupp_sites, p->usupp_sites == 1 ? "" : "s");
    if (p->ntests) {
        size_t failed = 0, unfinished = 0;
        for (size_t i = 0; i < p->ntests; i++) { failed += p->tests[i].counted > 0; unfinished += !p->tests[i].ended; }
        fprintf(out, "    tests: %zu marked, %zu with leaks", p->ntests, failed);
        if (failed) {
            fputs(":", out);
            size_t shown = 0;
            for (size_t i = 0; i < p->ntests && shown < 10; i++)
                if (p->tests[i].counted) fprintf(out, "%s %s", shown++ ? "," : "", p->tests[i].name);
            if (failed > shown) fputs(", ...", out);
        }
        if (unfinished) fprintf(out, " (%zu without a test:end mark)", unfinished);
        fputc('\n', out);
    }
    /* Leaks of the process (top N), its tests' leaks (top N each), then
     * thread alerts and growth suspects. */
    size_t shown = 0, hidden = 0;
    for (size_t i = 0; i < p->nf; i++) {
        const ci_finding_t *f = &p->f[i];
        if (f->kind != F_LEAK || f->test >= 0) continue;
        if (o->top && shown >= o->top) { hidden++; continue; }
        fputc('\n', out);
        finding_text(out, p, f, "    ");
        shown++;
    }
    if (hidden) fprintf(out, "\n    ... %zu more leak site%s (--top 0 shows all)\n", hidden, hidden == 1 ? "" : "s");
    for (size_t t = 0; t < p->ntests; t++) {
        shown = hidden = 0;
        for (size_t i = 0; i < p->nf; i++) {
            const ci_finding_t *f = &p->f[i];
            if (f->kind != F_LEAK || f->test != (long)t) continue;
            if (o->top && shown >= o->top) { hidden++; continue; }
            fputc('\n', out);
            finding_text(out, p, f, "    ");
            shown++;
        }
        if (hidden) fprintf(out, "\n    ... %zu more leak site%s in test \"%s\"\n", hidden, hidden == 1 ? "" : "s", p->tests[t].name);
    }
    for (size_t i = 0; i < p->nf; i++) {
        if (p->f[i].kind == F_LEAK) continue;
        fputc('\n', out);
        finding_text(out, p, &p->f[i], "    ");
    }
}

static void fail_on_text(char *buf, size_t n, unsigned mask)
{
    snprintf(buf, n, "%s%s%s%s%s%s", mask & LT_CI_LEAKS ? "leaks" : "", (mask & LT_CI_LEAKS) && (mask & ~LT_CI_LEAKS & LT_CI_ALL) ? "," : "",
             mask & LT_CI_THREADS ? "threads" : "", (mask & LT_CI_THREADS) && (mask & LT_CI_GROWTH) ? "," : "",
             mask & LT_CI_GROWTH ? "growth" : "", mask & LT_CI_ALL ? "" : "none");
}

static void run_text(FILE *out, const ci_run_t *r, const totals_t *t, const lt_ci_opts_t *o, const char *const *inputs,
                     size_t ninputs, int status)
{
    char a[32], b[32], c[32], fo[64];
    fputs("leaktrace ci:", out);
    for (size_t i = 0; i < ninputs; i++) fprintf(out, " %s", inputs[i]);
    fprintf(out, ": %zu trace%s, %zu process%s reported", r->ntraces, r->ntraces == 1 ? "" : "s", t->reported,
            t->reported == 1 ? "" : "es");
    if (t->excluded) fprintf(out, ", %zu excluded (--exclude)", t->excluded);
    fputc('\n', out);
    for (size_t i = 0; i < r->n; i++)
        if (!r->p[i].excluded && !r->p[i].empty) proc_text(out, &r->p[i], o);

    fputs("\nsummary\n", out);
    fprintf(out, "  processes:       %zu reported, %zu with findings", t->reported, t->with_findings);
    if (t->excluded) {
        fprintf(out, ", %zu excluded (", t->excluded);
        size_t shown = 0;
        for (size_t i = 0; i < r->n; i++) {
            const ci_proc_t *p = &r->p[i];
            if (!p->excluded) continue;
            int dup = 0;
            for (size_t k = 0; k < i && !dup; k++) dup = r->p[k].excluded && !strcmp(base_name(r->p[k].exe), base_name(p->exe));
            if (dup) continue;
            if (shown++ == 6) { fputs(", ...", out); break; }
            fprintf(out, "%s%s", shown > 1 ? ", " : "", base_name(p->exe));
        }
        fputc(')', out);
    }
    if (t->errors) fprintf(out, ", %zu unreadable", t->errors);
    if (t->empty) fprintf(out, ", %zu empty trace%s (killed at start)", t->empty, t->empty == 1 ? "" : "s");
    fputc('\n', out);
    fprintf(out, "  leaks:           %" PRIu64 " site%s, %s bytes in %s block%s", t->leak_sites, t->leak_sites == 1 ? "" : "s",
            lt_output_num(t->leak_bytes, a, sizeof a), lt_output_num(t->leak_blocks, b, sizeof b), t->leak_blocks == 1 ? "" : "s");
    if (t->below_sites)
        fprintf(out, " (%" PRIu64 " more site%s, %s bytes, under --min-bytes %s)", t->below_sites, t->below_sites == 1 ? "" : "s",
                lt_output_num(t->below_bytes, c, sizeof c), lt_output_num(o->min_bytes, b, sizeof b));
    fputc('\n', out);
    fprintf(out, "  thread alerts:   %zu\n", t->thread_alerts);
    fprintf(out, "  growth suspects: %zu\n", t->growth);
    if (t->tests) {
        fprintf(out, "  tests:           %zu marked, %zu with leaks", t->tests, t->tests_failed);
        if (t->tests_unfinished) fprintf(out, ", %zu without a test:end mark", t->tests_unfinished);
        fputc('\n', out);
    }
    if (o->supp && o->supp->nrules) {
        fprintf(out, "  suppressed:      %zu finding%s hidden by %zu rule%s\n", t->suppressed, t->suppressed == 1 ? "" : "s",
                o->supp->nrules, o->supp->nrules == 1 ? "" : "s");
        for (size_t i = 0; i < o->supp->nrules; i++) {
            const lt_supp_rule_t *ru = &o->supp->rules[i];
            fprintf(out, "    %s:%s (%s:%u): ", lt_supp_kind_name(ru->kind), ru->pattern, ru->file, ru->line);
            if (ru->kind == LT_SUPP_LEAK)
                fprintf(out, "%" PRIu64 " site%s, %s bytes in %s block%s\n", ru->sites, ru->sites == 1 ? "" : "s",
                        lt_output_num(ru->bytes, a, sizeof a), lt_output_num(ru->blocks, b, sizeof b), ru->blocks == 1 ? "" : "s");
            else if (ru->kind == LT_SUPP_THREAD)
                fprintf(out, "%" PRIu64 " thread alert%s (%" PRIu64 " thread%s)\n", ru->alerts, ru->alerts == 1 ? "" : "s",
                        ru->threads, ru->threads == 1 ? "" : "s");
            else
                fprintf(out, "%" PRIu64 " growth suspect%s\n", ru->suspects, ru->suspects == 1 ? "" : "s");
        }
    }
    if (o->baseline)
        fprintf(out, "  baseline:        %s: %zu known finding%s seen again (not counted), %zu known in all\n", o->baseline,
                t->known, t->known == 1 ? "" : "s", r->nbase);
    if (t->not_selected) fprintf(out, "  not counted:     %zu finding%s of kinds outside --fail-on\n", t->not_selected, t->not_selected == 1 ? "" : "s");
    fail_on_text(fo, sizeof fo, o->fail_on);
    if (status == 0)
        fprintf(out, "verdict: PASS: no new findings (--fail-on %s)\n", fo);
    else if (status == o->exit_code && t->counted)
        fprintf(out, "verdict: FAIL: %zu finding%s (--fail-on %s): exit status %d\n", t->counted, t->counted == 1 ? "" : "s", fo, status);
    else if (t->errors)
        fprintf(out, "verdict: ERROR: %zu trace%s could not be analysed: exit status %d\n", t->errors, t->errors == 1 ? "" : "s", status);
    else
        fprintf(out, "verdict: ERROR: no trace to analyse: exit status %d\n", status);
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_frames(lt_json_t *j, const ci_finding_t *f)
{
    char hx[32];
    lt_json_begin_arr(j, "stack");
    for (size_t i = 0; i < f->nframes; i++) {
        const ci_frame_t *fr = &f->frames[i];
        lt_json_begin_obj(j, NULL);
        lt_json_str(j, "function", fr->function);
        lt_json_str(j, "file", fr->file);
        if (fr->line) lt_json_i64(j, "line", fr->line);
        else lt_json_null(j, "line");
        lt_json_str(j, "module", fr->module);
        snprintf(hx, sizeof hx, "0x%" PRIx64, fr->offset);
        lt_json_str(j, "offset", hx);
        lt_json_bool(j, "inlined", fr->inlined);
        lt_json_end_obj(j);
    }
    lt_json_end_arr(j);
}

static const char *end_how_name(int how)
{
    switch (how) {
    case LT_END_EXIT: return "exit";
    case LT_END_UNDERSCORE_EXIT: return "_exit";
    case LT_END_SIGNAL: return "signal";
    case LT_END_EXEC: return "exec";
    case LT_END_DISABLED: return "tracing_stopped";
    default: return "unknown";
    }
}

static void proc_json(lt_json_t *j, const ci_proc_t *p)
{
    lt_json_begin_obj(j, NULL);
    lt_json_str(j, "trace", p->trace);
    lt_json_i64(j, "pid", p->pid);
    lt_json_i64(j, "ppid", p->ppid);
    lt_json_str(j, "exe", p->exe);
    lt_json_begin_arr(j, "argv");
    for (size_t i = 0; i < p->argc; i++) lt_json_str(j, NULL, p->argv[i]);
    lt_json_end_arr(j);
    lt_json_bool(j, "excluded", p->excluded);
    lt_json_bool(j, "empty", p->empty);
    lt_json_str(j, "error", p->error);
    if (p->excluded || p->empty || p->error) { lt_json_end_obj(j); return; }
    lt_json_bool(j, "forked", p->forked);
    lt_output_sampling_json(j, p->sample_rate);
    lt_json_bool(j, "complete", p->complete);
    if (p->complete) {
        lt_json_begin_obj(j, "end");
        lt_json_str(j, "how", end_how_name(p->end_how));
        lt_json_i64(j, "status", p->end_status);
        lt_json_end_obj(j);
    } else {
        lt_json_null(j, "end");
    }
    lt_json_str(j, "end_text", p->end_text);
    lt_json_f64(j, "duration_s", p->duration_s);
    lt_json_begin_obj(j, "trace_window");
    lt_json_bool(j, "wrapped", p->wrapped);
    lt_json_f64(j, "start_s", p->window_start_s);
    lt_json_str(j, "text", p->window_text);
    lt_json_u64(j, "damaged_chunks", p->damaged);
    lt_json_end_obj(j);
    lt_json_bool(j, "leaks_checked", p->leaks_checked);
    lt_json_begin_obj(j, "totals");
    lt_json_u64(j, "allocations", p->tot.allocations);
    lt_json_u64(j, "frees", p->tot.frees);
    lt_json_u64(j, "bytes_allocated", p->tot.bytes_allocated);
    lt_json_u64(j, "peak_bytes", p->tot.peak_bytes);
    lt_json_u64(j, "live_blocks", p->tot.live_blocks);
    lt_json_u64(j, "live_bytes", p->tot.live_bytes);
    lt_json_u64(j, "leaked_sites", p->leak_sites);
    lt_json_u64(j, "leaked_bytes", p->leak_bytes);
    lt_json_u64(j, "leaked_blocks", p->leak_blocks);
    lt_json_u64(j, "below_min_bytes_sites", p->below_sites);
    lt_json_u64(j, "threads_created", p->threads_created);
    lt_json_end_obj(j);
    lt_json_u64(j, "counted", p->counted);
    lt_json_begin_arr(j, "findings");
    for (size_t i = 0; i < p->nf; i++) {
        const ci_finding_t *f = &p->f[i];
        lt_json_begin_obj(j, NULL);
        lt_json_str(j, "kind", f->kind == F_LEAK ? "leak" : f->kind == F_THREAD ? "thread" : "growth");
        lt_json_str(j, "status", status_names[f->status]);
        lt_json_bool(j, "counted", f->status == ST_NEW);
        lt_json_str(j, "test", f->test >= 0 ? p->tests[f->test].name : NULL);
        if (f->kind == F_LEAK) {
            lt_json_u64(j, "bytes", f->bytes);
            lt_json_u64(j, "blocks", f->blocks);
            lt_json_bool(j, "truncated", f->truncated);
        } else if (f->kind == F_THREAD) {
            lt_json_str(j, "alert", alert_names[f->alert]);
            lt_json_u64(j, "count", f->count);
            lt_json_str(j, "start_function", f->start_function);
        } else {
            lt_json_f64(j, "rate_bytes_per_s", f->rate);
            lt_json_u64(j, "live_bytes", f->live_bytes);
            lt_json_f64(j, "confidence", f->confidence);
        }
        lt_json_str(j, "key", f->key);
        json_frames(j, f);
        lt_json_end_obj(j);
    }
    lt_json_end_arr(j);
    lt_json_begin_arr(j, "tests");
    for (size_t i = 0; i < p->ntests; i++) {
        const ci_test_t *t = &p->tests[i];
        lt_json_begin_obj(j, NULL);
        lt_json_str(j, "name", t->name);
        lt_json_u64(j, "occurrence", t->occurrence);
        lt_json_f64(j, "begin_s", t->begin_s);
        lt_json_f64(j, "end_s", t->end_s);
        lt_json_bool(j, "ended", t->ended);
        lt_json_bool(j, "checked", t->checked);
        lt_json_u64(j, "leaked_sites", t->leak_sites);
        lt_json_u64(j, "leaked_bytes", t->leak_bytes);
        lt_json_u64(j, "leaked_blocks", t->leak_blocks);
        lt_json_bool(j, "failed", t->counted > 0);
        lt_json_end_obj(j);
    }
    lt_json_end_arr(j);
    lt_json_end_obj(j);
}

static void run_json(FILE *out, const ci_run_t *r, const totals_t *t, const lt_ci_opts_t *o, const char *const *inputs,
                     size_t ninputs, int status)
{
    lt_json_t j;
    lt_json_init(&j, out, 1);
    lt_json_begin_obj(&j, NULL);
    lt_json_str(&j, "format", "leaktrace-ci");
    lt_json_i64(&j, "version", 1);
    lt_json_begin_arr(&j, "inputs");
    for (size_t i = 0; i < ninputs; i++) lt_json_str(&j, NULL, inputs[i]);
    lt_json_end_arr(&j);
    lt_json_begin_obj(&j, "verdict");
    lt_json_i64(&j, "status", status);
    lt_json_bool(&j, "pass", status == 0);
    lt_json_u64(&j, "counted", t->counted);
    lt_json_begin_arr(&j, "fail_on");
    if (o->fail_on & LT_CI_LEAKS) lt_json_str(&j, NULL, "leaks");
    if (o->fail_on & LT_CI_THREADS) lt_json_str(&j, NULL, "threads");
    if (o->fail_on & LT_CI_GROWTH) lt_json_str(&j, NULL, "growth");
    lt_json_end_arr(&j);
    lt_json_u64(&j, "min_bytes", o->min_bytes);
    lt_json_i64(&j, "exit_code", o->exit_code);
    lt_json_end_obj(&j);
    lt_json_begin_obj(&j, "summary");
    lt_json_u64(&j, "traces", r->ntraces);
    lt_json_u64(&j, "processes", t->reported);
    lt_json_u64(&j, "with_findings", t->with_findings);
    lt_json_u64(&j, "excluded", t->excluded);
    lt_json_u64(&j, "errors", t->errors);
    lt_json_u64(&j, "empty", t->empty);
    lt_json_u64(&j, "leak_sites", t->leak_sites);
    lt_json_u64(&j, "leaked_bytes", t->leak_bytes);
    lt_json_u64(&j, "leaked_blocks", t->leak_blocks);
    lt_json_u64(&j, "below_min_bytes_sites", t->below_sites);
    lt_json_u64(&j, "below_min_bytes_bytes", t->below_bytes);
    lt_json_u64(&j, "thread_alerts", t->thread_alerts);
    lt_json_u64(&j, "growth_suspects", t->growth);
    lt_json_u64(&j, "tests", t->tests);
    lt_json_u64(&j, "tests_failed", t->tests_failed);
    lt_json_u64(&j, "findings", t->findings);
    lt_json_u64(&j, "counted", t->counted);
    lt_json_u64(&j, "baseline_known", t->known);
    lt_json_u64(&j, "not_selected", t->not_selected);
    lt_json_u64(&j, "suppressed", t->suppressed);
    lt_json_end_obj(&j);
    if (o->baseline) {
        lt_json_begin_obj(&j, "baseline");
        lt_json_str(&j, "source", o->baseline);
        lt_json_u64(&j, "findings", r->nbase);
        lt_json_end_obj(&j);
    } else {
        lt_json_null(&j, "baseline");
    }
    lt_json_begin_arr(&j, "processes");
    for (size_t i = 0; i < r->n; i++) proc_json(&j, &r->p[i]);
    lt_json_end_arr(&j);
    lt_output_supp_json(&j, o->supp, LT_SUPP_ALL);
    lt_json_end_obj(&j);
    lt_json_finish(&j);
}

/* ---- JUnit XML ----------------------------------------------------------------- */

/* Escapes s for XML text or attribute values: the five special characters,
 * control characters (not allowed in XML 1.0) and bytes that are not UTF-8
 * become entities or '?', so any name yields a well-formed document. */
static void xml_esc(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        unsigned c = *p;
        if (c == '&') fputs("&amp;", out);
        else if (c == '<') fputs("&lt;", out);
        else if (c == '>') fputs("&gt;", out);
        else if (c == '"') fputs("&quot;", out);
        else if (c == '\'') fputs("&apos;", out);
        else if (c == '\n' || c == '\t' || c == '\r') fputc((int)c, out);
        else if (c < 0x20 || c == 0x7f) fputc('?', out);
        else if (c < 0x80) fputc((int)c, out);
        else {
            int len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
            int ok = len > 0;
            for (int k = 1; ok && k < len; k++) ok = (p[k] & 0xc0) == 0x80;
            if (ok && len == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))) ok = 0;
            if (ok && len == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))) ok = 0;
            /* U+FFFE and U+FFFF are not XML characters either. */
            if (ok && len == 3 && c == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) ok = 0;
            if (!ok) { fputc('?', out); p++; continue; }
            fwrite(p, 1, (size_t)len, out);
            p += len;
            continue;
        }
        p++;
    }
}

/* The findings of the process itself (test < 0) or of one of its tests,
 * rendered as in the text report, escaped. */
static void xml_text_of(FILE *out, const ci_proc_t *p, long test, int counted_only)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return;
    for (size_t i = 0; i < p->nf; i++) {
        const ci_finding_t *f = &p->f[i];
        int mine = test >= 0 ? (f->kind == F_LEAK && f->test == test) : !(f->kind == F_LEAK && f->test >= 0);
        if (!mine || (counted_only && f->status != ST_NEW)) continue;
        finding_text(m, p, f, "");
        fputc('\n', m);
    }
    fclose(m);
    if (buf) xml_esc(out, buf);
    free(buf);
}

static void junit_name(FILE *out, const ci_proc_t *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return;
    print_argv(m, p, 200);
    fclose(m);
    xml_esc(out, buf);
    free(buf);
}

static void iso_time(long long ns, char *buf, size_t n)
{
    time_t t = (time_t)(ns / 1000000000LL);
    struct tm tm;
    if (ns <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm)) snprintf(buf, n, "1970-01-01T00:00:00");
}

/* "2 leak sites (4,112 bytes), 1 thread alert": the counted findings of the
 * process itself, for a failure message. */
static void counted_summary(FILE *out, const ci_proc_t *p)
{
    size_t n[3] = { 0, 0, 0 };
    uint64_t bytes = 0;
    char a[32];
    for (size_t i = 0; i < p->nf; i++) {
        const ci_finding_t *f = &p->f[i];
        if (f->status != ST_NEW || (f->kind == F_LEAK && f->test >= 0)) continue;
        n[f->kind]++;
        if (f->kind == F_LEAK) bytes += f->bytes;
    }
    const char *sep = "";
    if (n[F_LEAK]) {
        fprintf(out, "%zu leak site%s (%s bytes)", n[F_LEAK], n[F_LEAK] == 1 ? "" : "s", lt_output_num(bytes, a, sizeof a));
        sep = ", ";
    }
    if (n[F_THREAD]) { fprintf(out, "%s%zu thread alert%s", sep, n[F_THREAD], n[F_THREAD] == 1 ? "" : "s"); sep = ", "; }
    if (n[F_GROWTH]) fprintf(out, "%s%zu growth suspect%s", sep, n[F_GROWTH], n[F_GROWTH] == 1 ? "" : "s");
}

static int write_junit(const char *path, const ci_run_t *r, lt_err_t *err)
{
    FILE *out = lt_outfile_open(path, 0, "the JUnit report", err);
    if (!out) return -LT_E_IO;
    size_t tests = 0, failures = 0, errors = 0;
    double total = 0;
    for (size_t i = 0; i < r->n; i++) {
        const ci_proc_t *p = &r->p[i];
        if (p->excluded || p->empty) continue;
        if (p->error) { tests++; errors++; continue; }
        size_t proc_counted = 0;
        for (size_t k = 0; k < p->nf; k++) proc_counted += p->f[k].status == ST_NEW && !(p->f[k].kind == F_LEAK && p->f[k].test >= 0);
        tests += 1 + p->ntests;
        failures += proc_counted > 0;
        for (size_t k = 0; k < p->ntests; k++) failures += p->tests[k].counted > 0;
        total += p->duration_s;
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuites name=\"leaktrace\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", tests, failures,
            errors, total);
    for (size_t i = 0; i < r->n; i++) {
        const ci_proc_t *p = &r->p[i];
        if (p->excluded || p->empty) continue;
        char ts[32];
        iso_time(p->start_ns, ts, sizeof ts);
        const char *prog = p->exe ? base_name(p->exe) : base_name(p->trace);
        if (p->error) {
            fputs("  <testsuite name=\"leaktrace: ", out);
            xml_esc(out, base_name(p->trace));
            fprintf(out, "\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\" timestamp=\"%s\">\n", ts);
            fputs("    <testcase name=\"", out);
            xml_esc(out, base_name(p->trace));
            fputs("\" classname=\"leaktrace.trace\" time=\"0\">\n      <error message=\"", out);
            xml_esc(out, p->error);
            fputs("\" type=\"leaktrace.unreadable\">", out);
            xml_esc(out, p->trace);
            fputs("</error>\n    </testcase>\n  </testsuite>\n", out);
            continue;
        }
        size_t proc_counted = 0, fails = 0;
        for (size_t k = 0; k < p->nf; k++) proc_counted += p->f[k].status == ST_NEW && !(p->f[k].kind == F_LEAK && p->f[k].test >= 0);
        fails = proc_counted > 0;
        for (size_t k = 0; k < p->ntests; k++) fails += p->tests[k].counted > 0;
        fputs("  <testsuite name=\"", out);
        junit_name(out, p);
        fprintf(out, " (pid %lld)\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\" timestamp=\"%s\">\n", p->pid,
                1 + p->ntests, fails, p->duration_s, ts);
        fputs("    <properties>\n", out);
        fprintf(out, "      <property name=\"pid\" value=\"%lld\"/>\n      <property name=\"ppid\" value=\"%lld\"/>\n", p->pid, p->ppid);
        fputs("      <property name=\"exe\" value=\"", out);
        xml_esc(out, p->exe);
        fputs("\"/>\n      <property name=\"end\" value=\"", out);
        xml_esc(out, p->end_text);
        fputs("\"/>\n      <property name=\"trace\" value=\"", out);
        xml_esc(out, p->trace);
        fputs("\"/>\n    </properties>\n", out);
        /* The process itself: leaks at exit, thread alerts, growth. */
        fputs("    <testcase name=\"", out);
        junit_name(out, p);
        fputs("\" classname=\"leaktrace.", out);
        xml_esc(out, prog);
        fprintf(out, "\" time=\"%.3f\"", p->duration_s);
        if (proc_counted) {
            fputs(">\n      <failure message=\"", out);
            counted_summary(out, p);
            fputs(" in ", out);
            xml_esc(out, prog);
            fprintf(out, " (pid %lld, %s)\" type=\"leaktrace\">", p->pid, p->end_text);
            xml_text_of(out, p, -1, 1);
            fputs("</failure>\n", out);
        } else {
            fputs(">\n", out);
        }
        if (p->known || p->not_selected || !p->leaks_checked) {
            fputs("      <system-out>", out);
            if (!p->leaks_checked) fputs("leaks not checked: the process did not exit normally\n", out);
            xml_text_of(out, p, -1, 0);
            fputs("</system-out>\n", out);
        }
        fputs("    </testcase>\n", out);
        for (size_t k = 0; k < p->ntests; k++) {
            const ci_test_t *t = &p->tests[k];
            fputs("    <testcase name=\"test ", out);
            xml_esc(out, t->name);
            if (t->occurrence > 1) fprintf(out, " (%u)", t->occurrence);
            fputs("\" classname=\"leaktrace.", out);
            xml_esc(out, prog);
            fprintf(out, "\" time=\"%.3f\"", t->end_s > t->begin_s ? t->end_s - t->begin_s : 0.0);
            if (!t->checked) {
                fputs(">\n      <skipped message=\"no test:end mark and the process did not exit: leaks not checked\"/>\n    </testcase>\n", out);
                continue;
            }
            if (!t->counted) { fputs("/>\n", out); continue; }
            fprintf(out, ">\n      <failure message=\"%zu leak site%s, %" PRIu64 " bytes in %" PRIu64 " block%s allocated in the test and still live at its end%s\" type=\"leaktrace.test_leak\">",
                    t->counted, t->counted == 1 ? "" : "s", t->leak_bytes, t->leak_blocks, t->leak_blocks == 1 ? "" : "s",
                    t->ended ? "" : " (no test:end mark: at exit)");
            xml_text_of(out, p, (long)k, 1);
            fputs("</failure>\n    </testcase>\n", out);
        }
        fputs("  </testsuite>\n", out);
    }
    fputs("</testsuites>\n", out);
    int bad = fflush(out) != 0 || ferror(out);
    if (fclose(out) != 0) bad = 1;
    if (bad) LT_RETURN_ERROR(err, LT_E_IO, -1, "writing the JUnit report '%s' failed: %s", path, strerror(errno));
    return 0;
}

/* ---- public ------------------------------------------------------------------ */

void lt_ci_opts_default(lt_ci_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->fail_on = LT_CI_ALL;
    o->exit_code = LT_CI_EXIT_FINDINGS;
    o->top = 10;
    o->leak_kinds = LT_KINDS_DEFAULT;
}

int lt_ci_parse_fail_on(const char *s, unsigned *mask)
{
    unsigned m = 0;
    const char *p = s;
    if (!*s) return -1;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
#define IS(w) (len == sizeof(w) - 1 && !strncmp(p, w, len))
        if (IS("leaks") || IS("leak")) m |= LT_CI_LEAKS;
        else if (IS("threads") || IS("thread")) m |= LT_CI_THREADS;
        else if (IS("growth")) m |= LT_CI_GROWTH;
        else if (IS("all")) m |= LT_CI_ALL;
        else if (IS("none")) m |= 0;
        else return -1;
#undef IS
        if (!e) break;
        p = e + 1;
        if (!*p) return -1;
    }
    *mask = m;
    return 0;
}

int lt_ci_validate(const lt_ci_opts_t *o, lt_err_t *err)
{
    if (!o->baseline) return 0;
    struct stat st;
    if (stat(o->baseline, &st) != 0) LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot read the baseline '%s': %s", o->baseline, strerror(errno));
    if (S_ISDIR(st.st_mode)) return 0;
    ci_run_t r = { 0 };
    int rc = read_baseline_file(o->baseline, &r, err);
    run_free(&r);
    return rc;
}

int lt_ci_run(const char *const *inputs, size_t ninputs, const lt_ci_opts_t *o, FILE *out, lt_err_t *err)
{
    ci_run_t r = { 0 };
    int rc = 0;
    if (o->baseline && (rc = load_baseline(o, &r, err)) < 0) { run_free(&r); return -rc; }
    if ((rc = collect(inputs, ninputs, o, &r, err)) < 0) { run_free(&r); return -rc; }
    totals_t t;
    decide(&r, o, &t);
    int status = t.counted ? o->exit_code : 0;
    lt_err_t first = { 0 };
    for (size_t i = 0; i < r.n; i++)
        if (r.p[i].error && !first.code) LT_ERR_SET(&first, r.p[i].error_code, -1, "%s: %s", r.p[i].trace, r.p[i].error);
    if (first.code) status = first.code;
    else if (r.ntraces == 0) {
        LT_ERR_SET(&first, LT_E_IO, -1, "no traces to analyse in %s%s (nothing ran under the tracer: a statically linked "
                   "program, or LD_PRELOAD was dropped?)", inputs[0], ninputs > 1 ? " ..." : "");
        status = LT_E_IO;
    }
    run_text(out, &r, &t, o, inputs, ninputs, status);
    lt_err_t we = { 0 };
    int wrc = 0;
    if (o->json) {
        FILE *jf = lt_outfile_open(o->json, 0, "the JSON report", &we);
        if (!jf) wrc = LT_E_IO;
        else {
            run_json(jf, &r, &t, o, inputs, ninputs, status);
            int bad = fflush(jf) != 0 || ferror(jf);
            if (fclose(jf) != 0) bad = 1;
            if (bad) { LT_ERR_SET(&we, LT_E_IO, -1, "writing the JSON report '%s' failed: %s", o->json, strerror(errno)); wrc = LT_E_IO; }
        }
    }
    if (!wrc && o->junit && write_junit(o->junit, &r, &we) < 0) wrc = we.code;
    if (!wrc && o->write_baseline && write_baseline(o->write_baseline, &r, &we) < 0) wrc = we.code;
    run_free(&r);
    if (wrc) { *err = we; return wrc; }
    if (first.code) *err = first;
    return status;
}
