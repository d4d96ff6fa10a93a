/*
 * diff.c - matches the sites of two profiles by a symbolic key and
 * subtracts. A site's key is its frames, each reduced to (function, file,
 * line, module file name, inlined), or (module file name, offset) when the
 * frame has no function name. Sites of one profile with the same key
 * (possible when two modules share a file name) are summed.
 */
#include <stdlib.h>
#include <string.h>

#include "diff.h"

typedef struct keyed {
    char *key;
    uint64_t hash;
    const lt_profile_t *prof;
    const lt_psite_t *site;
    uint64_t bytes, blocks;
    int matched;
} keyed_t;

static void put(char **b, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (!*b) return;
    if (*n + len + 1 > *cap) {
        size_t nc = (*n + len + 1) * 2;
        char *nb = realloc(*b, nc);
        if (!nb) { free(*b); *b = NULL; return; }
        *b = nb;
        *cap = nc;
    }
    memcpy(*b + *n, s, len);
    *n += len;
    (*b)[*n] = '\0';
}

char *lt_diff_site_key(const lt_profile_t *p, const lt_psite_t *s)
{
    size_t n = 0, cap = 256;
    char *b = malloc(cap), num[64];
    if (!b) return NULL;
    b[0] = '\0';
    if (!s->nframes) put(&b, &n, &cap, "?", 1);
    for (size_t i = 0; i < s->nframes && b; i++) {
        const lt_pframe_t *f = &s->frames[i];
        const char *mod = lt_profile_module_name(p, f->module);
        put(&b, &n, &cap, mod, strlen(mod));
        put(&b, &n, &cap, "\x1f", 1);
        if (f->function) {
            put(&b, &n, &cap, f->function, strlen(f->function));
            put(&b, &n, &cap, "\x1f", 1);
            if (f->file) put(&b, &n, &cap, f->file, strlen(f->file));
            int l = snprintf(num, sizeof num, "\x1f%u\x1f%d", f->line, f->inlined);
            put(&b, &n, &cap, num, (size_t)l);
        } else {
            int l = snprintf(num, sizeof num, "+%llx", (unsigned long long)f->offset);
            put(&b, &n, &cap, num, (size_t)l);
        }
        put(&b, &n, &cap, "\x1e", 1);
    }
    return b;
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ? h : 1;
}

/* Keys every site of p into an open-addressing table (size power of 2). */
static keyed_t *key_all(const lt_profile_t *p, int skip_runtime, size_t *cap_out)
{
    size_t cap = 16;
    while (cap < p->nsites * 2 + 2) cap *= 2;
    keyed_t *t = calloc(cap, sizeof *t);
    if (!t) return NULL;
    for (size_t i = 0; i < p->nsites; i++) {
        const lt_psite_t *s = &p->sites[i];
        if (skip_runtime && s->runtime) continue;
        char *k = lt_diff_site_key(p, s);
        if (!k) goto oom;
        uint64_t h = str_hash(k);
        size_t j = (size_t)h & (cap - 1);
        while (t[j].key && (t[j].hash != h || strcmp(t[j].key, k) != 0)) j = (j + 1) & (cap - 1);
        if (t[j].key) {
            free(k);
        } else {
            t[j].key = k;
            t[j].hash = h;
            t[j].prof = p;
            t[j].site = s;
        }
        t[j].bytes += s->c.inuse_space;
        t[j].blocks += s->c.inuse_objects;
    }
    *cap_out = cap;
    return t;
oom:
    for (size_t i = 0; i < cap; i++) free(t[i].key);
    free(t);
    return NULL;
}

static int by_growth(const void *x, const void *y)
{
    const lt_change_t *a = x, *b = y;
    if (a->bytes_delta != b->bytes_delta) return a->bytes_delta < b->bytes_delta ? 1 : -1;
    if (a->blocks_delta != b->blocks_delta) return a->blocks_delta < b->blocks_delta ? 1 : -1;
    return 0;
}

int lt_diff_build(const lt_profile_t *a, const lt_profile_t *b, int skip_runtime, lt_diff_t **out, lt_err_t *err)
{
    *out = NULL;
    size_t ca = 0, cb = 0;
    keyed_t *ta = key_all(a, skip_runtime, &ca);
    keyed_t *tb = ta ? key_all(b, skip_runtime, &cb) : NULL;
    lt_diff_t *d = calloc(1, sizeof *d);
    lt_change_t *ch = calloc(ca + cb + 1, sizeof *ch);
    if (!ta || !tb || !d || !ch) goto oom;
    d->before = a;
    d->after = b;
    size_t n = 0;
    for (size_t i = 0; i < cb; i++) {
        keyed_t *kb = &tb[i];
        if (!kb->key) continue;
        size_t j = (size_t)kb->hash & (ca - 1);
        while (ta[j].key && (ta[j].hash != kb->hash || strcmp(ta[j].key, kb->key) != 0)) j = (j + 1) & (ca - 1);
        keyed_t *ka = ta[j].key ? &ta[j] : NULL;
        if (ka) ka->matched = 1;
        lt_change_t c = { 0 };
        c.bytes_before = ka ? ka->bytes : 0;
        c.blocks_before = ka ? ka->blocks : 0;
        c.bytes_after = kb->bytes;
        c.blocks_after = kb->blocks;
        c.prof = b;
        c.site = kb->site;
        ch[n++] = c;
    }
    for (size_t i = 0; i < ca; i++) {
        if (!ta[i].key || ta[i].matched) continue;
        ch[n++] = (lt_change_t){ 0, 0, 0, ta[i].bytes, 0, ta[i].blocks, 0, a, ta[i].site };
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        lt_change_t *c = &ch[i];
        d->bytes_before += c->bytes_before;
        d->bytes_after += c->bytes_after;
        d->blocks_before += c->blocks_before;
        d->blocks_after += c->blocks_after;
        c->bytes_delta = (int64_t)(c->bytes_after - c->bytes_before);
        c->blocks_delta = (int64_t)(c->blocks_after - c->blocks_before);
        if (!c->bytes_delta && !c->blocks_delta) continue;
        if (!c->bytes_before && !c->blocks_before) { c->status = LT_CHANGE_NEW; d->sites_new++; }
        else if (!c->bytes_after && !c->blocks_after) { c->status = LT_CHANGE_GONE; d->sites_gone++; }
        else c->status = c->bytes_delta > 0 || (c->bytes_delta == 0 && c->blocks_delta > 0) ? LT_CHANGE_GREW : LT_CHANGE_SHRANK;
        ch[w++] = *c;
    }
    d->bytes_delta = (int64_t)(d->bytes_after - d->bytes_before);
    d->blocks_delta = (int64_t)(d->blocks_after - d->blocks_before);
    if (w) qsort(ch, w, sizeof *ch, by_growth);
    d->changes = ch;
    d->nchanges = w;
    for (size_t i = 0; i < ca; i++) free(ta[i].key);
    for (size_t i = 0; i < cb; i++) free(tb[i].key);
    free(ta);
    free(tb);
    *out = d;
    return 0;
oom:
    if (ta) for (size_t i = 0; i < ca; i++) free(ta[i].key);
    if (tb) for (size_t i = 0; i < cb; i++) free(tb[i].key);
    free(ta);
    free(tb);
    free(d);
    free(ch);
    LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while comparing the profiles");
}

void lt_diff_free(lt_diff_t *d)
{
    if (!d) return;
    free(d->changes);
    free(d);
}
