/*
 * report.c - computes the leak report: blocks still live at the end of the
 * trace, summed per allocation stack, stacks merged when they symbolize to
 * the same frames, sorted by bytes. Runtime one-time allocations are set
 * apart (counted on the "suppressed" line) unless asked for; sites that
 * match a user suppression (suppress.h) are left out and credited to it.
 * The same grouping serves any set of blocks (lt_report_build_sites: the
 * leaks of a marked test, in ci.c).
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "suppress.h"

static const char *base_name(const char *p)
{
    if (!p) return "";
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int prefix(const char *s, const char *p) { return s && strncmp(s, p, strlen(p)) == 0; }

/* Frames of the allocation API itself, removed from the top of stacks:
 * C++'s operator new variants call malloc, and the user wants their caller.
 * (The tracer's own frames are dropped wherever they are, below.) */
static int is_alloc_entry(const lt_symframe_t *f)
{
    const char *fn = f->function;
    if (!fn) return 0;
    return prefix(fn, "operator new(") || prefix(fn, "operator new[](") ||
           !strcmp(fn, "_Znwm") || !strcmp(fn, "_Znam") || prefix(fn, "_ZnwmSt") || prefix(fn, "_ZnamSt") ||
           prefix(fn, "_ZnwmRKSt") || prefix(fn, "_ZnamRKSt");
}

static int runtime_module(const char *m)
{
    const char *b = base_name(m);
    return prefix(b, "ld-linux") || prefix(b, "libc.so") || prefix(b, "libstdc++.so") ||
           prefix(b, "libgcc_s.so") || prefix(b, "libm.so") || prefix(b, "libpthread.so") ||
           prefix(b, "libdl.so") || prefix(b, "[vdso]") || prefix(b, "linux-vdso");
}

int lt_report_symbolize(lt_symbolizer_t *sym, const lt_stack_t *s, lt_symframe_t **out, size_t *n)
{
    size_t cap = s->depth * 2 + 4, k = 0;
    lt_symframe_t *fr = malloc(cap * sizeof *fr);
    if (!fr) return -LT_E_NOMEM;
    for (uint32_t i = 0; i < s->depth; i++) {
        const lt_symframe_t *f;
        size_t m = lt_sym_lookup(sym, s->gen, s->ips[i], 1, &f);
        if (k + m > cap) {
            cap = (k + m) * 2;
            lt_symframe_t *nf = realloc(fr, cap * sizeof *nf);
            if (!nf) { free(fr); return -LT_E_NOMEM; }
            fr = nf;
        }
        memcpy(fr + k, f, m * sizeof *f);
        k += m;
    }
    size_t skip = 0;
    while (skip < k && is_alloc_entry(&fr[skip])) skip++;
    /* The tracer's own frames can also sit below main and a thread's start
     * routine (its wrappers): known by the PROCESS record's path, or, in
     * traces older than that key, by the library's usual name. */
    size_t w = 0;
    for (size_t i = skip; i < k; i++)
        if (!fr[i].tracer && !prefix(base_name(fr[i].module), "libleaktrace")) fr[w++] = fr[i];
    /* Below main there is only the C library's start-up code (valgrind
     * hides it too): cut where it begins. Stripped programs have no name
     * for main, so the C library's own frame is the marker. */
    for (size_t i = 1; i < w; i++) {
        const char *fn = fr[i].function;
        if (fn && (!strcmp(fn, "__libc_start_call_main") || prefix(fn, "__libc_start_main"))) {
            w = i;
            break;
        }
        /* Likewise below a thread's start routine: the C library's thread
         * start-up (start_thread, then clone/clone3). */
        if (fn && prefix(base_name(fr[i].module), "libc.so") &&
            (!strcmp(fn, "start_thread") || !strcmp(fn, "clone3") || !strcmp(fn, "clone"))) {
            w = i;
            break;
        }
    }
    *out = fr;
    *n = w;
    return 0;
}

int lt_report_is_runtime(const lt_symframe_t *f, size_t n)
{
    if (n == 0) return 0;
    /* The dynamic loader's own data: link maps, TLS blocks, search paths. */
    if (prefix(base_name(f[0].module), "ld-linux")) return 1;
    /* stdio buffers, allocated on first use of a stream, never freed. */
    for (size_t i = 0; i < n && i < 4; i++)
        if (f[i].function && (!strcmp(f[i].function, "_IO_file_doallocate") || !strcmp(f[i].function, "_IO_doallocbuf")))
            return 1;
    /* Allocations made entirely inside the C/C++ runtime before or around
     * main (libstdc++'s exception emergency pool, locale data). */
    for (size_t i = 0; i < n; i++)
        if (!f[i].module || !runtime_module(f[i].module)) return 0;
    return 1;
}

/* ---- grouping ------------------------------------------------------------- */

static int frame_eq(const lt_symframe_t *a, const lt_symframe_t *b)
{
    /* Strings are interned by the symbolizer: pointer equality suffices,
     * and unknown functions compare by address. */
    if (a->function != b->function || a->file != b->file || a->line != b->line || a->module != b->module) return 0;
    return a->function ? 1 : a->address == b->address;
}

static int stack_eq(const lt_leak_t *a, const lt_leak_t *b)
{
    if (a->nframes != b->nframes) return 0;
    for (size_t i = 0; i < a->nframes; i++)
        if (!frame_eq(&a->frames[i], &b->frames[i])) return 0;
    return 1;
}

static uint64_t leak_hash(const lt_leak_t *l)
{
    uint64_t h = (1469598103934665603ull ^ l->nframes) + (uint64_t)l->kind * 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < l->nframes; i++) {
        const lt_symframe_t *f = &l->frames[i];
        uint64_t v = f->function ? (uint64_t)(uintptr_t)f->function ^ ((uint64_t)f->line << 40) : f->address;
        v ^= (uint64_t)(uintptr_t)f->file * 31 ^ (uint64_t)(uintptr_t)f->module * 17;
        h = (h ^ v) * 1099511628211ull;
        h ^= h >> 29;
    }
    return h;
}

/* Listing order by kind (index LT_KIND_*): definitely, indirectly, possibly lost, still reachable; not freed. */
static const int kind_order[LT_LEAK_NKINDS] = { 3, 2, 1, 0, 4 };

const char *lt_leak_kind_name(int kind)
{
    static const char *const n[LT_LEAK_NKINDS] = { "still_reachable", "possibly_lost", "indirectly_lost",
                                                   "definitely_lost", "not_freed" };
    return kind >= 0 && kind < LT_LEAK_NKINDS ? n[kind] : "not_freed";
}

const char *lt_leak_kind_text(int kind)
{
    static const char *const n[LT_LEAK_NKINDS] = { "still reachable", "possibly lost", "indirectly lost",
                                                   "definitely lost", "not freed" };
    return kind >= 0 && kind < LT_LEAK_NKINDS ? n[kind] : "not freed";
}

int lt_leak_kinds_parse(const char *s, unsigned *mask)
{
    static const struct { const char *name; unsigned m; } k[] = {
        { "definite", LT_KINDS_MASK(LT_KIND_DEFINITE) }, { "definitely_lost", LT_KINDS_MASK(LT_KIND_DEFINITE) },
        { "indirect", LT_KINDS_MASK(LT_KIND_INDIRECT) }, { "indirectly_lost", LT_KINDS_MASK(LT_KIND_INDIRECT) },
        { "possible", LT_KINDS_MASK(LT_KIND_POSSIBLE) }, { "possibly_lost", LT_KINDS_MASK(LT_KIND_POSSIBLE) },
        { "reachable", LT_KINDS_MASK(LT_KIND_REACHABLE) }, { "still_reachable", LT_KINDS_MASK(LT_KIND_REACHABLE) },
        { "all", LT_KINDS_ALL }, { "none", 0 },
    };
    unsigned m = 0;
    const char *p = s;
    if (!s || !*s) return -1;
    for (;;) {
        size_t len = strcspn(p, ",");
        size_t i;
        for (i = 0; i < sizeof k / sizeof k[0]; i++)
            if (strlen(k[i].name) == len && !strncmp(p, k[i].name, len)) break;
        if (i == sizeof k / sizeof k[0]) return -1;
        m |= k[i].m;
        if (!p[len]) break;
        p += len + 1;
    }
    *mask = m;
    return 0;
}

static int by_bytes(const void *a, const void *b)
{
    const lt_leak_t *x = a, *y = b;
    if (x->kind != y->kind) return kind_order[x->kind] < kind_order[y->kind] ? -1 : 1;
    if (x->bytes + x->indirect_bytes != y->bytes + y->indirect_bytes) return x->bytes + x->indirect_bytes < y->bytes + y->indirect_bytes ? 1 : -1;
    if (x->blocks != y->blocks) return x->blocks < y->blocks ? 1 : -1;
    return 0;
}

/* The blocks to report: every stack's live blocks at the end, or a given
 * list of (stack, bytes, blocks). Returns 0 when exhausted. */
typedef struct ksite { uint32_t stack; int kind; uint64_t bytes, blocks, indirect; } ksite_t;

typedef struct source {
    const lt_replay_t *rp;
    const lt_live_site_t *sites;
    size_t nsites, next;
    const ksite_t *ksites;      /* with the exit scan's kinds: per (stack, kind) */
} source_t;

static int source_next(source_t *src, const lt_stack_t **s, uint64_t *bytes, uint64_t *blocks, int *kind,
                       uint64_t *indirect)
{
    const lt_replay_t *rp = src->rp;
    *kind = LT_LEAK_NOT_FREED;
    *indirect = 0;
    if (src->ksites) {
        if (src->next >= src->nsites) return 0;
        const ksite_t *k = &src->ksites[src->next++];
        *s = lt_replay_stack(rp, k->stack);
        *bytes = k->bytes;
        *blocks = k->blocks;
        *kind = k->kind;
        *indirect = k->indirect;
        return 1;
    }
    if (src->sites) {
        while (src->next < src->nsites) {
            const lt_live_site_t *ls = &src->sites[src->next++];
            if (!ls->blocks) continue;
            *s = lt_replay_stack(rp, ls->stack);
            *bytes = ls->bytes;
            *blocks = ls->blocks;
            return 1;
        }
        return 0;
    }
    while (src->next <= rp->nstacks) {
        size_t id = src->next++;
        const lt_stack_t *st = id < rp->nstacks ? &rp->stacks[id] : &rp->none_stack;
        if (!st->st.live_blocks) continue;
        *s = st;
        *bytes = st->st.live_bytes;
        *blocks = st->st.live_blocks;
        return 1;
    }
    return 0;
}

static int build(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_report_opts_t *o, source_t *src,
                 lt_report_t **out, lt_err_t *err)
{
    lt_report_t *r = calloc(1, sizeof *r);
    if (!r) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    r->rp = rp;
    r->supp = o->supp;
    size_t cap = 64, n = 0, hcap = 256;
    lt_leak_t *leaks = malloc(cap * sizeof *leaks);
    size_t *htab = calloc(hcap, sizeof *htab); /* index + 1 */
    if (!leaks || !htab) { free(leaks); free(htab); free(r); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory"); }

    const lt_stack_t *s;
    uint64_t sbytes, sblocks, sind;
    int skind;
    r->have_kinds = src->ksites != NULL;
    r->kinds = o->kinds ? o->kinds : LT_KINDS_DEFAULT;
    r->show = r->kinds | o->show;
    while (source_next(src, &s, &sbytes, &sblocks, &skind, &sind)) {
        r->kind_bytes[skind] += sbytes;
        r->kind_blocks[skind] += sblocks;
        lt_leak_t l = { sbytes, sblocks, skind, sind, NULL, 0, 0 };
        if (s->ips) {
            if (lt_report_symbolize(sym, s, &l.frames, &l.nframes) < 0) goto oom;
            l.truncated = rp->proc.depth > 0 && s->depth >= (uint32_t)rp->proc.depth;
        }
        /* Runtime one-time allocations are set apart whatever their kind;
         * of the rest, only the kinds counted or asked for are listed. */
        int listed = skind == LT_LEAK_NOT_FREED || (r->show & LT_KINDS_MASK(skind));
        if (!o->no_default_suppressions && lt_report_is_runtime(l.frames, l.nframes)) {
            r->supp_bytes += l.bytes;
            r->supp_blocks += l.blocks;
            r->supp_sites++;
            free(l.frames);
            continue;
        }
        if (!listed) {
            free(l.frames);
            continue;
        }
        uint64_t h = leak_hash(&l);
        size_t slot = (size_t)h & (hcap - 1);
        for (; htab[slot]; slot = (slot + 1) & (hcap - 1))
            if (leaks[htab[slot] - 1].kind == l.kind && stack_eq(&leaks[htab[slot] - 1], &l)) break;
        if (htab[slot]) {
            lt_leak_t *m = &leaks[htab[slot] - 1];
            m->bytes += l.bytes;
            m->blocks += l.blocks;
            m->indirect_bytes += l.indirect_bytes;
            free(l.frames);
            continue;
        }
        if (n == cap) {
            cap *= 2;
            lt_leak_t *nl = realloc(leaks, cap * sizeof *nl);
            if (!nl) { free(l.frames); goto oom; }
            leaks = nl;
        }
        leaks[n++] = l;
        htab[slot] = n;
        if (n * 2 > hcap) {
            size_t nc = hcap * 2;
            size_t *nt = calloc(nc, sizeof *nt);
            if (!nt) goto oom;
            for (size_t i = 0; i < n; i++) {
                size_t s2 = (size_t)leak_hash(&leaks[i]) & (nc - 1);
                while (nt[s2]) s2 = (s2 + 1) & (nc - 1);
                nt[s2] = i + 1;
            }
            free(htab);
            htab = nt;
            hcap = nc;
        }
    }
    free(htab);
    /* User suppressions, on the merged sites (one hit per reported site,
     * as LeakSanitizer counts per report). */
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        long k = lt_supp_match(o->supp, LT_SUPP_LEAK, leaks[i].frames, leaks[i].nframes, NULL);
        if (k >= 0) {
            lt_supp_hit_leak(o->supp, k, leaks[i].bytes, leaks[i].blocks);
            r->usupp_bytes += leaks[i].bytes;
            r->usupp_blocks += leaks[i].blocks;
            r->usupp_sites++;
            free(leaks[i].frames);
            continue;
        }
        if (lt_report_counts(r, &leaks[i])) {
            r->leak_bytes += leaks[i].bytes;
            r->leak_blocks += leaks[i].blocks;
        }
        leaks[w++] = leaks[i];
    }
    n = w;
    qsort(leaks, n, sizeof *leaks, by_bytes);
    r->leaks = leaks;
    r->nleaks = n;
    *out = r;
    return 0;
oom:
    for (size_t i = 0; i < n; i++) free(leaks[i].frames);
    free(leaks);
    free(htab);
    free(r);
    LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while building the report");
}

/* Live blocks summed per (stack id, kind), from the exit scan's kinds. */
typedef struct kacc { ksite_t *v; size_t n, cap; size_t *h; size_t hcap; int oom; const lt_replay_t *rp; } kacc_t;

static size_t khash(uint32_t stack, int kind, size_t cap)
{
    return (size_t)((((uint64_t)stack << 3 | (uint64_t)kind) * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static void kacc_add(void *ctx, uint64_t addr, uint64_t size, uint32_t stack, uint64_t ts)
{
    (void)ts;
    kacc_t *a = ctx;
    if (a->oom) return;
    uint64_t ind = 0;
    int kind = lt_replay_block_kind(a->rp, addr, &ind);
    if (kind < 0) kind = LT_LEAK_NOT_FREED;
    if ((a->n + 1) * 2 > a->hcap) {
        size_t nc = a->hcap ? a->hcap * 2 : 256;
        size_t *nh = calloc(nc, sizeof *nh);
        if (!nh) { a->oom = 1; return; }
        for (size_t i = 0; i < a->n; i++) {
            size_t j = khash(a->v[i].stack, a->v[i].kind, nc);
            while (nh[j]) j = (j + 1) & (nc - 1);
            nh[j] = i + 1;
        }
        free(a->h);
        a->h = nh;
        a->hcap = nc;
    }
    size_t j = khash(stack, kind, a->hcap);
    for (; a->h[j]; j = (j + 1) & (a->hcap - 1)) {
        ksite_t *k = &a->v[a->h[j] - 1];
        if (k->stack == stack && k->kind == kind) { k->bytes += size; k->blocks++; k->indirect += ind; return; }
    }
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        ksite_t *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) { a->oom = 1; return; }
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n] = (ksite_t){ stack, kind, size, 1, ind };
    a->h[j] = ++a->n;
}

int lt_report_counts(const lt_report_t *r, const lt_leak_t *l)
{
    return l->kind == LT_LEAK_NOT_FREED || (r->kinds & LT_KINDS_MASK(l->kind));
}

int lt_report_build(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_report_opts_t *o,
                    lt_report_t **out, lt_err_t *err)
{
    source_t src = { rp, NULL, 0, 0, NULL };
    if (!lt_replay_has_kinds(rp)) return build(rp, sym, o, &src, out, err);
    kacc_t a = { .rp = rp };
    lt_replay_each_live(rp, kacc_add, &a);
    free(a.h);
    if (a.oom) { free(a.v); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while grouping blocks by kind"); }
    static const ksite_t none;
    src.ksites = a.v ? a.v : &none;
    src.nsites = a.n;
    int rc = build(rp, sym, o, &src, out, err);
    free(a.v);
    return rc;
}

int lt_report_build_sites(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_report_opts_t *o,
                          const lt_live_site_t *sites, size_t n, lt_report_t **out, lt_err_t *err)
{
    static const lt_live_site_t none;
    source_t src = { rp, sites ? sites : &none, sites ? n : 0, 0, NULL };
    return build(rp, sym, o, &src, out, err);
}

void lt_report_free(lt_report_t *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nleaks; i++) free(r->leaks[i].frames);
    free(r->leaks);
    free(r);
}
