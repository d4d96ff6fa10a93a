/*
 * profile.c - the heap profile container: an arena for its strings and
 * frame arrays, string interning, and sites merged by their frames.
 */
#include <stdlib.h>
#include <string.h>

#include "profile.h"

/* Arena: a list of blocks, freed together. */
typedef struct ablock {
    struct ablock *next;
    size_t used, cap;
    unsigned char data[];
} ablock_t;

struct lt_profile_arena {
    ablock_t *blocks;
    /* String interning: open addressing over pointers into the arena. */
    const char **strs;
    size_t strcap, nstr;
    /* Site merging: index + 1 of the site, by frame hash. */
    size_t *sitetab;
    size_t sitecap;
    size_t sitescap;      /* allocated length of p->sites */
    size_t modscap;
};

static void *arena_alloc(struct lt_profile_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    ablock_t *b = a->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 60000 ? n : 65536 - sizeof *b;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = a->blocks;
        b->used = 0;
        b->cap = cap;
        a->blocks = b;
    }
    void *r = b->data + b->used;
    b->used += n;
    return r;
}

static uint64_t hash_bytes(const void *s, size_t n, uint64_t h)
{
    const unsigned char *c = s;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

lt_profile_t *lt_profile_new(void)
{
    lt_profile_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->arena = calloc(1, sizeof *p->arena);
    if (!p->arena) { free(p); return NULL; }
    p->exe = "";
    p->cmdline = "";
    return p;
}

const char *lt_profile_str(lt_profile_t *p, const char *s)
{
    if (!s) return NULL;
    struct lt_profile_arena *a = p->arena;
    if ((a->nstr + 1) * 2 > a->strcap) {
        size_t nc = a->strcap ? a->strcap * 2 : 1024;
        const char **n = calloc(nc, sizeof *n);
        if (!n) return NULL;
        for (size_t i = 0; i < a->strcap; i++) {
            if (!a->strs[i]) continue;
            size_t j = (size_t)hash_bytes(a->strs[i], strlen(a->strs[i]), 1469598103934665603ull) & (nc - 1);
            while (n[j]) j = (j + 1) & (nc - 1);
            n[j] = a->strs[i];
        }
        free(a->strs);
        a->strs = n;
        a->strcap = nc;
    }
    size_t len = strlen(s);
    size_t j = (size_t)hash_bytes(s, len, 1469598103934665603ull) & (a->strcap - 1);
    for (; a->strs[j]; j = (j + 1) & (a->strcap - 1))
        if (strcmp(a->strs[j], s) == 0) return a->strs[j];
    char *d = arena_alloc(a, len + 1);
    if (!d) return NULL;
    memcpy(d, s, len + 1);
    a->strs[j] = d;
    a->nstr++;
    return d;
}

uint32_t lt_profile_add_module(lt_profile_t *p, const lt_pmodule_t *m)
{
    struct lt_profile_arena *a = p->arena;
    if (p->nmodules == a->modscap) {
        size_t nc = a->modscap ? a->modscap * 2 : 16;
        lt_pmodule_t *n = realloc(p->modules, nc * sizeof *n);
        if (!n) return LT_PMOD_NONE;
        p->modules = n;
        a->modscap = nc;
    }
    lt_pmodule_t c = *m;
    c.path = lt_profile_str(p, m->path ? m->path : "");
    if (!c.path) return LT_PMOD_NONE;
    p->modules[p->nmodules] = c;
    return (uint32_t)p->nmodules++;
}

/* Interned strings compare by pointer. Unknown functions compare by
 * module and offset, so two distinct unknown frames stay apart. */
static int frame_eq(const lt_pframe_t *x, const lt_pframe_t *y)
{
    if (x->function != y->function || x->file != y->file || x->line != y->line || x->module != y->module ||
        x->inlined != y->inlined)
        return 0;
    return x->function ? 1 : x->offset == y->offset;
}

static uint64_t frames_hash(const lt_pframe_t *f, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ n;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = f[i].function ? (uint64_t)(uintptr_t)f[i].function : f[i].offset;
        v ^= (uint64_t)(uintptr_t)f[i].file * 31 ^ ((uint64_t)f[i].line << 40) ^ ((uint64_t)f[i].module << 20);
        h = (h ^ v) * 1099511628211ull;
        h ^= h >> 29;
    }
    return h;
}

static int sites_eq(const lt_psite_t *s, const lt_pframe_t *f, size_t n)
{
    if (s->nframes != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!frame_eq(&s->frames[i], &f[i])) return 0;
    return 1;
}

static int sitetab_grow(lt_profile_t *p)
{
    struct lt_profile_arena *a = p->arena;
    size_t nc = a->sitecap ? a->sitecap * 2 : 256;
    size_t *t = calloc(nc, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < p->nsites; i++) {
        size_t j = (size_t)frames_hash(p->sites[i].frames, p->sites[i].nframes) & (nc - 1);
        while (t[j]) j = (j + 1) & (nc - 1);
        t[j] = i + 1;
    }
    free(a->sitetab);
    a->sitetab = t;
    a->sitecap = nc;
    return 0;
}

int lt_profile_add_site(lt_profile_t *p, const lt_pcounts_t *c, const lt_pframe_t *frames, size_t n,
                        int truncated, int runtime)
{
    size_t idx;
    return lt_profile_add_site_at(p, c, frames, n, truncated, runtime, &idx);
}

int lt_profile_add_site_at(lt_profile_t *p, const lt_pcounts_t *c, const lt_pframe_t *frames, size_t n,
                           int truncated, int runtime, size_t *index)
{
    struct lt_profile_arena *a = p->arena;
    if ((p->nsites + 1) * 2 > a->sitecap && sitetab_grow(p) < 0) return -LT_E_NOMEM;
    size_t j = (size_t)frames_hash(frames, n) & (a->sitecap - 1);
    for (; a->sitetab[j]; j = (j + 1) & (a->sitecap - 1)) {
        lt_psite_t *s = &p->sites[a->sitetab[j] - 1];
        if (sites_eq(s, frames, n)) {
            s->c.alloc_objects += c->alloc_objects;
            s->c.alloc_space += c->alloc_space;
            s->c.inuse_objects += c->inuse_objects;
            s->c.inuse_space += c->inuse_space;
            s->truncated |= truncated;
            *index = a->sitetab[j] - 1;
            return 0;
        }
    }
    if (p->nsites == a->sitescap) {
        size_t nc = a->sitescap ? a->sitescap * 2 : 64;
        lt_psite_t *ns = realloc(p->sites, nc * sizeof *ns);
        if (!ns) return -LT_E_NOMEM;
        p->sites = ns;
        a->sitescap = nc;
    }
    lt_pframe_t *f = NULL;
    if (n) {
        f = arena_alloc(a, n * sizeof *f);
        if (!f) return -LT_E_NOMEM;
        memcpy(f, frames, n * sizeof *f);
    }
    p->sites[p->nsites] = (lt_psite_t){ *c, f, n, truncated, runtime };
    *index = p->nsites;
    a->sitetab[j] = ++p->nsites;
    return 0;
}

static int by_inuse(const void *x, const void *y)
{
    const lt_psite_t *a = x, *b = y;
    if (a->c.inuse_space != b->c.inuse_space) return a->c.inuse_space < b->c.inuse_space ? 1 : -1;
    if (a->c.alloc_space != b->c.alloc_space) return a->c.alloc_space < b->c.alloc_space ? 1 : -1;
    if (a->c.alloc_objects != b->c.alloc_objects) return a->c.alloc_objects < b->c.alloc_objects ? 1 : -1;
    return 0;
}

void lt_profile_finish(lt_profile_t *p)
{
    if (p->nsites) qsort(p->sites, p->nsites, sizeof *p->sites, by_inuse);
    /* The merge table indexes the old order: rebuild it for later adds. */
    if (p->arena->sitecap) {
        memset(p->arena->sitetab, 0, p->arena->sitecap * sizeof *p->arena->sitetab);
        for (size_t i = 0; i < p->nsites; i++) {
            size_t j = (size_t)frames_hash(p->sites[i].frames, p->sites[i].nframes) & (p->arena->sitecap - 1);
            while (p->arena->sitetab[j]) j = (j + 1) & (p->arena->sitecap - 1);
            p->arena->sitetab[j] = i + 1;
        }
    }
    memset(&p->total, 0, sizeof p->total);
    for (size_t i = 0; i < p->nsites; i++) {
        p->total.alloc_objects += p->sites[i].c.alloc_objects;
        p->total.alloc_space += p->sites[i].c.alloc_space;
        p->total.inuse_objects += p->sites[i].c.inuse_objects;
        p->total.inuse_space += p->sites[i].c.inuse_space;
    }
}

uint64_t lt_profile_drop_runtime(lt_profile_t *p)
{
    uint64_t bytes = 0;
    size_t w = 0;
    for (size_t i = 0; i < p->nsites; i++) {
        if (p->sites[i].runtime) bytes += p->sites[i].c.inuse_space;
        else p->sites[w++] = p->sites[i];
    }
    p->nsites = w;
    lt_profile_finish(p);
    return bytes;
}

void lt_profile_free(lt_profile_t *p)
{
    if (!p) return;
    struct lt_profile_arena *a = p->arena;
    if (a) {
        for (ablock_t *b = a->blocks, *n; b; b = n) {
            n = b->next;
            free(b);
        }
        free(a->strs);
        free(a->sitetab);
        free(a);
    }
    free(p->sites);
    free(p->modules);
    free(p);
}

const char *lt_profile_module_name(const lt_profile_t *p, uint32_t module)
{
    if (module == LT_PMOD_NONE || module >= p->nmodules) return "";
    const char *s = strrchr(p->modules[module].path, '/');
    return s ? s + 1 : p->modules[module].path;
}
