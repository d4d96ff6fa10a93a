/*
 * pprof.c - the pprof exporter: a heap profile (profile.h) encoded by hand
 * as a profile.proto message (varints, length-delimited fields, packed
 * repeated fields; no protobuf library), gzip-compressed with zlib. This is
 * the only file of the analyzer that includes zlib.h.
 *
 * The message is written in field-number order and streamed: fields are
 * appended to a small buffer that is deflated to the file whenever it
 * grows past a chunk. Samples come first; the mapping, location, function
 * and string tables they refer to are collected while the samples are
 * written, then written after them (protobuf fields may come in any order,
 * but this one is the order Go's own writer uses).
 *
 * Samples get a label leaktrace=runtime (one-time runtime allocations) or
 * leaktrace=truncated (stack cut at the depth limit) where it applies.
 *
 * Addresses. A frame's offset (profile.h) is its return address minus the
 * module's load bias. A Location's address is the call instruction's, as
 * in Go's heap profiles and as every symbolizer expects: offset - 1,
 * relocated into its Mapping. A module whose mapped range is known (traced
 * runs) keeps it: the address is then the real one of the run (bias +
 * offset - 1), and address - mapping start is the same in every run of the
 * same binary, which is how `pprof -base` matches locations across runs
 * with different ASLR bases. A module without a range (a dump that lacks
 * them) gets a synthesized one, placed above every real range: origin
 * offset 0, size the smallest power of two (at least 4 KiB) covering its
 * largest offset, so that the offsets into it never change and its size
 * seldom does from one profile of that binary to the next (pprof matches
 * mappings by build id or file, file offset and size).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <zlib.h>

#include "pprof.h"

/* Wire types and profile.proto's field numbers. */
enum { WT_VARINT = 0, WT_LEN = 2 };
enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS = 10,
    PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3 };
enum { LABEL_KEY = 1, LABEL_STR = 2 };
enum {
    MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3, MAPPING_FILE_OFFSET = 4,
    MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8,
    MAPPING_HAS_LINE_NUMBERS = 9, MAPPING_HAS_INLINE_FRAMES = 10,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum { FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4 };

#define CHUNK 65536
#define PAGE 4096u

/* ---- growable byte buffer and protobuf encoding ---- */

typedef struct pbuf {
    unsigned char *p;
    size_t len, cap;
    int failed;            /* out of memory: later writes are dropped */
} pbuf_t;

static void buf_put(pbuf_t *b, const void *d, size_t n)
{
    if (b->failed || n == 0) return;
    if (b->cap - b->len < n) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc - b->len < n) nc *= 2;
        unsigned char *np = realloc(b->p, nc);
        if (!np) { b->failed = 1; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) { v >>= 7; n++; }
    return n;
}

static void pb_varint(pbuf_t *b, uint64_t v)
{
    unsigned char t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (unsigned char)v;
    buf_put(b, t, n);
}

static void pb_key(pbuf_t *b, unsigned field, unsigned wire_type)
{
    pb_varint(b, (uint64_t)field << 3 | wire_type);
}

/* A varint field; zero (the default) is left out, as proto3 does. int64
 * fields go through here too: their two's complement is the varint. */
static void pb_uint(pbuf_t *b, unsigned field, uint64_t v)
{
    if (!v) return;
    pb_key(b, field, WT_VARINT);
    pb_varint(b, v);
}

static void pb_bytes(pbuf_t *b, unsigned field, const void *d, size_t n)
{
    pb_key(b, field, WT_LEN);
    pb_varint(b, n);
    buf_put(b, d, n);
}

/* A packed repeated varint field (every element, zeros included). */
static void pb_packed(pbuf_t *b, unsigned field, const uint64_t *v, size_t n)
{
    if (!n) return;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += varint_len(v[i]);
    pb_key(b, field, WT_LEN);
    pb_varint(b, len);
    for (size_t i = 0; i < n; i++) pb_varint(b, v[i]);
}

/* ---- hash index: slot -> entry index + 1, over entries' stored hashes ---- */

typedef struct hindex {
    size_t *slot;
    size_t cap;            /* power of two, or 0 */
    uint64_t *hash;        /* hash[i] of entry i */
    size_t n, hashcap;
} hindex_t;

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Makes room for one more entry. Returns 0 or -1 (out of memory). */
static int hx_reserve(hindex_t *x)
{
    if (x->n == x->hashcap) {
        size_t nc = x->hashcap ? x->hashcap * 2 : 64;
        uint64_t *nh = realloc(x->hash, nc * sizeof *nh);
        if (!nh) return -1;
        x->hash = nh;
        x->hashcap = nc;
    }
    if ((x->n + 1) * 2 <= x->cap) return 0;
    size_t nc = x->cap ? x->cap * 2 : 128;
    size_t *ns = calloc(nc, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < x->n; i++) {
        size_t j = (size_t)x->hash[i] & (nc - 1);
        while (ns[j]) j = (j + 1) & (nc - 1);
        ns[j] = i + 1;
    }
    free(x->slot);
    x->slot = ns;
    x->cap = nc;
    return 0;
}

/* Records entry x->n with hash h in the empty slot j found by a lookup. */
static size_t hx_insert(hindex_t *x, size_t j, uint64_t h)
{
    x->hash[x->n] = h;
    x->slot[j] = x->n + 1;
    return x->n++;
}

static void hx_free(hindex_t *x)
{
    free(x->slot);
    free(x->hash);
}

/* Grows an array of elem-sized entries holding n to hold one more. */
static void *grow(void *a, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return a;
    size_t nc = *cap ? *cap * 2 : 64;
    void *na = realloc(a, nc * elem);
    if (na) *cap = nc;
    return na;
}

/* ---- the writer's tables ---- */

typedef struct pmap {
    uint64_t id;               /* 1-based; the main executable is 1 */
    uint64_t start, limit, file_offset;
    uint64_t origin;           /* the module offset that start corresponds to */
    uint64_t lo, hi;           /* used call offsets, [lo, hi); lo > hi when unused */
} pmap_t;

typedef struct pfunc { uint64_t name, file; } pfunc_t;                  /* string indices */
typedef struct pline { uint64_t function_id; uint64_t line; } pline_t;
typedef struct ploc {
    uint64_t mapping_id, address;
    uint32_t module;
    uint64_t offset;
    size_t line0, nlines;      /* into lines[] */
} ploc_t;

typedef struct pw {
    const lt_profile_t *p;
    FILE *out;
    z_stream z;
    unsigned char *zout;
    int io_errno;              /* != 0: writing failed (errno, or EIO) */
    int oom;
    pbuf_t o;                  /* encoded, not yet deflated */
    pbuf_t m;                  /* the top-level message being built */
    pbuf_t l;                  /* a Location's Line being built */
    /* String table: NUL-terminated strings in sdata at soff[i]. */
    pbuf_t sdata;
    size_t *soff;
    size_t nstr, soffcap;
    hindex_t sx;
    pfunc_t *fn;
    size_t nfn, fncap;
    hindex_t fx;
    ploc_t *loc;
    size_t nloc, loccap;
    hindex_t lx;
    pline_t *lines;
    size_t nlines, linescap;
    pmap_t *maps;              /* one per module of p */
    size_t *map_order;         /* module indices by mapping id */
    uint64_t unknown_loc;      /* the "[unknown stack]" location id, 0 until needed */
    uint64_t *ids;             /* a sample's location ids */
    size_t idscap;
} pw_t;

static uint64_t str_n(pw_t *w, const char *s, size_t n)
{
    if (w->oom) return 0;
    if (hx_reserve(&w->sx) < 0) { w->oom = 1; return 0; }
    uint64_t h = hash_str(s, n);
    size_t j = (size_t)h & (w->sx.cap - 1);
    for (; w->sx.slot[j]; j = (j + 1) & (w->sx.cap - 1)) {
        size_t i = w->sx.slot[j] - 1;
        const char *t = (const char *)w->sdata.p + w->soff[i];
        if (w->sx.hash[i] == h && strncmp(t, s, n) == 0 && t[n] == '\0') return i;
    }
    size_t *no = grow(w->soff, &w->soffcap, w->nstr, sizeof *no);
    if (!no) { w->oom = 1; return 0; }
    w->soff = no;
    w->soff[w->nstr] = w->sdata.len;
    buf_put(&w->sdata, s, n);
    buf_put(&w->sdata, "", 1);
    if (w->sdata.failed) { w->oom = 1; return 0; }
    w->nstr++;
    return hx_insert(&w->sx, j, h);
}

/* The string's index in the string table, added on first use. */
static uint64_t str(pw_t *w, const char *s)
{
    return str_n(w, s, strlen(s));
}

/* The Function id for (name, file), added on first use. */
static uint64_t function_id(pw_t *w, const char *name, const char *file)
{
    uint64_t ni = str(w, name), fi = str(w, file ? file : "");
    if (w->oom || hx_reserve(&w->fx) < 0) { w->oom = 1; return 0; }
    uint64_t h = mix(mix(7, ni), fi);
    size_t j = (size_t)h & (w->fx.cap - 1);
    for (; w->fx.slot[j]; j = (j + 1) & (w->fx.cap - 1)) {
        size_t i = w->fx.slot[j] - 1;
        if (w->fn[i].name == ni && w->fn[i].file == fi) return i + 1;
    }
    pfunc_t *nf = grow(w->fn, &w->fncap, w->nfn, sizeof *nf);
    if (!nf) { w->oom = 1; return 0; }
    w->fn = nf;
    w->fn[w->nfn++] = (pfunc_t){ ni, fi };
    return hx_insert(&w->fx, j, h) + 1;
}

/* The call instruction's offset: return address - 1. */
static uint64_t call_offset(uint64_t offset)
{
    return offset ? offset - 1 : 0;
}

/* The name of a frame: its function, or module+offset / the offset. */
static uint64_t frame_function(pw_t *w, const lt_pframe_t *f)
{
    if (f->function) return function_id(w, f->function, f->file);
    char name[600];
    const char *mod = lt_profile_module_name(w->p, f->module);
    if (*mod) snprintf(name, sizeof name, "%s+0x%" PRIx64, mod, f->offset);
    else snprintf(name, sizeof name, "0x%" PRIx64, f->offset);
    return function_id(w, name, f->file);
}

/* The Location id of the physical frame g[0..n): an inline group, the
 * real function last. Lines are added tentatively at the end of lines[]
 * and dropped again when an equal Location exists. */
static uint64_t location_id(pw_t *w, const lt_pframe_t *g, size_t n)
{
    const lt_pframe_t *real = &g[n - 1];
    uint32_t module = real->module < w->p->nmodules ? real->module : LT_PMOD_NONE;
    size_t l0 = w->nlines;
    uint64_t h = mix(mix(mix(11, module), real->offset), n);
    for (size_t i = 0; i < n; i++) {
        uint64_t fid = frame_function(w, &g[i]);
        pline_t *nl = grow(w->lines, &w->linescap, w->nlines, sizeof *nl);
        if (!nl) w->oom = 1;
        if (w->oom) return 0;
        w->lines = nl;
        w->lines[w->nlines++] = (pline_t){ fid, g[i].line };
        h = mix(mix(h, fid), g[i].line);
    }
    if (hx_reserve(&w->lx) < 0) { w->oom = 1; return 0; }
    size_t j = (size_t)h & (w->lx.cap - 1);
    for (; w->lx.slot[j]; j = (j + 1) & (w->lx.cap - 1)) {
        size_t i = w->lx.slot[j] - 1;
        const ploc_t *c = &w->loc[i];
        if (w->lx.hash[i] != h || c->module != module || c->offset != real->offset || c->nlines != n) continue;
        if (memcmp(&w->lines[c->line0], &w->lines[l0], n * sizeof *w->lines) != 0) continue;
        w->nlines = l0;
        return i + 1;
    }
    ploc_t *nloc = grow(w->loc, &w->loccap, w->nloc, sizeof *nloc);
    if (!nloc) { w->oom = 1; return 0; }
    w->loc = nloc;
    ploc_t c = { 0, call_offset(real->offset), module, real->offset, l0, n };
    if (module != LT_PMOD_NONE) {
        const pmap_t *m = &w->maps[module];
        c.mapping_id = m->id;
        c.address = m->start + (c.address - m->origin);
    }
    w->loc[w->nloc++] = c;
    return hx_insert(&w->lx, j, h) + 1;
}

/* The one Location of stacks the tracer could not record: a frame of no
 * module named "[unknown stack]" (no real frame gets that name). */
static uint64_t unknown_stack_location(pw_t *w)
{
    if (!w->unknown_loc) {
        const lt_pframe_t f = { "[unknown stack]", NULL, 0, LT_PMOD_NONE, 0, 0 };
        w->unknown_loc = location_id(w, &f, 1);
    }
    return w->unknown_loc;
}

/* ---- mappings ---- */

static uint64_t page_up(uint64_t v)
{
    return v > UINT64_MAX - (PAGE - 1) ? UINT64_MAX & ~(uint64_t)(PAGE - 1) : (v + PAGE - 1) & ~(uint64_t)(PAGE - 1);
}

static const char *base_name(const char *s)
{
    const char *b = strrchr(s, '/');
    return b ? b + 1 : s;
}

/* The index of the module that is the main executable, or nmodules. */
static size_t main_module(const lt_profile_t *p)
{
    if (!p->exe || !*p->exe) return p->nmodules;
    for (size_t i = 0; i < p->nmodules; i++)
        if (strcmp(p->modules[i].path, p->exe) == 0) return i;
    for (size_t i = 0; i < p->nmodules; i++)
        if (strcmp(base_name(p->modules[i].path), base_name(p->exe)) == 0) return i;
    return p->nmodules;
}

/* Computes every module's Mapping: ids (main executable first), ranges
 * real or synthesized so that every frame's address lies inside. */
static int plan_mappings(pw_t *w)
{
    const lt_profile_t *p = w->p;
    if (!p->nmodules) return 0;
    w->maps = calloc(p->nmodules, sizeof *w->maps);
    w->map_order = calloc(p->nmodules, sizeof *w->map_order);
    if (!w->maps || !w->map_order) return -1;
    for (size_t i = 0; i < p->nmodules; i++) {
        w->maps[i].lo = UINT64_MAX;
        w->maps[i].hi = 0;
    }
    for (size_t s = 0; s < p->nsites; s++) {
        const lt_psite_t *site = &p->sites[s];
        for (size_t k = 0; k < site->nframes; k++) {
            const lt_pframe_t *f = &site->frames[k];
            if (f->module >= p->nmodules) continue;
            pmap_t *m = &w->maps[f->module];
            uint64_t a = call_offset(f->offset);
            if (a < m->lo) m->lo = a;
            if (a >= m->hi) m->hi = a == UINT64_MAX ? a : a + 1;
        }
    }
    /* Real ranges first. */
    uint64_t top = 0x10000;
    char *real = calloc(p->nmodules, 1);
    if (!real) return -1;
    for (size_t i = 0; i < p->nmodules; i++) {
        const lt_pmodule_t *pm = &p->modules[i];
        pmap_t *m = &w->maps[i];
        if (pm->limit <= pm->start || pm->start < pm->base) continue;
        m->origin = pm->start - pm->base;
        if (m->lo <= m->hi && m->lo < m->origin) continue;  /* frames below the range: synthesize */
        m->start = pm->start;
        m->limit = pm->limit;
        if (m->lo <= m->hi && m->hi - m->origin > m->limit - m->start)
            m->limit = m->start + page_up(m->hi - m->origin);
        m->file_offset = pm->file_offset;
        real[i] = 1;
        if (page_up(m->limit) > top) top = page_up(m->limit);
    }
    for (size_t i = 0; i < p->nmodules; i++) {
        if (real[i]) continue;
        pmap_t *m = &w->maps[i];
        uint64_t size = PAGE;
        uint64_t need = m->lo <= m->hi ? m->hi : 0;
        if (need > (1ull << 62)) size = page_up(need);
        else while (size < need) size <<= 1;
        m->origin = 0;
        m->start = top;
        m->limit = top + size;
        m->file_offset = p->modules[i].file_offset;
        top = m->limit;
    }
    free(real);
    size_t main_i = main_module(p), k = 0;
    if (main_i < p->nmodules) w->map_order[k++] = main_i;
    for (size_t i = 0; i < p->nmodules; i++)
        if (i != main_i) w->map_order[k++] = i;
    for (size_t i = 0; i < p->nmodules; i++) w->maps[w->map_order[i]].id = i + 1;
    return 0;
}

/* ---- output ---- */

/* Deflates the pending bytes in w->o to the file (finishing the gzip
 * stream when finish). */
static void deflate_out(pw_t *w, int finish)
{
    w->z.next_in = w->o.p;
    w->z.avail_in = (uInt)w->o.len;
    for (;;) {
        w->z.next_out = w->zout;
        w->z.avail_out = CHUNK;
        int rc = deflate(&w->z, finish ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR) { w->io_errno = EIO; break; }
        size_t have = CHUNK - w->z.avail_out;
        if (have && !w->io_errno) {
            errno = 0;
            if (fwrite(w->zout, 1, have, w->out) != have) w->io_errno = errno ? errno : EIO;
        }
        if (finish) {
            if (rc == Z_STREAM_END) break;
            if (rc == Z_BUF_ERROR && have == 0) { w->io_errno = EIO; break; }
        } else if (w->z.avail_out != 0) {
            break;
        }
    }
    w->o.len = 0;
}

/* Appends the message built in w->m as field of the Profile. */
static void emit(pw_t *w, unsigned field)
{
    pb_bytes(&w->o, field, w->m.p, w->m.len);
    w->m.len = 0;
    if (w->o.len >= CHUNK && !w->o.failed) deflate_out(w, 0);
}

static void emit_value_type(pw_t *w, unsigned field, const char *type, const char *unit)
{
    pb_uint(&w->m, VALUETYPE_TYPE, str(w, type));
    pb_uint(&w->m, VALUETYPE_UNIT, str(w, unit));
    emit(w, field);
}

/* A label leaktrace=value of the Sample being built: "runtime" for a
 * one-time runtime allocation (hidden by the text report; pprof
 * -tagignore=runtime hides it), "truncated" for a stack cut at the
 * tracer's depth limit. */
static void emit_label(pw_t *w, const char *value)
{
    pb_uint(&w->l, LABEL_KEY, str(w, "leaktrace"));
    pb_uint(&w->l, LABEL_STR, str(w, value));
    pb_bytes(&w->m, SAMPLE_LABEL, w->l.p, w->l.len);
    w->l.len = 0;
}

static void emit_samples(pw_t *w)
{
    const lt_profile_t *p = w->p;
    for (size_t s = 0; s < p->nsites && !w->oom; s++) {
        const lt_psite_t *site = &p->sites[s];
        size_t n = 0;
        if (site->nframes == 0) {
            w->ids[n++] = unknown_stack_location(w);
        }
        for (size_t k = 0; k < site->nframes && !w->oom;) {
            size_t e = k;
            while (e + 1 < site->nframes && site->frames[e].inlined) e++;
            if (n == w->idscap) {
                uint64_t *ni = grow(w->ids, &w->idscap, n, sizeof *ni);
                if (!ni) { w->oom = 1; break; }
                w->ids = ni;
            }
            w->ids[n++] = location_id(w, &site->frames[k], e - k + 1);
            k = e + 1;
        }
        const uint64_t v[4] = { site->c.alloc_objects, site->c.alloc_space, site->c.inuse_objects,
                                site->c.inuse_space };
        pb_packed(&w->m, SAMPLE_LOCATION_ID, w->ids, n);
        pb_packed(&w->m, SAMPLE_VALUE, v, 4);
        if (site->runtime) emit_label(w, "runtime");
        if (site->truncated) emit_label(w, "truncated");
        emit(w, PROFILE_SAMPLE);
    }
}

static void emit_mappings(pw_t *w)
{
    const lt_profile_t *p = w->p;
    for (size_t k = 0; k < p->nmodules; k++) {
        const lt_pmodule_t *pm = &p->modules[w->map_order[k]];
        const pmap_t *m = &w->maps[w->map_order[k]];
        pb_uint(&w->m, MAPPING_ID, m->id);
        pb_uint(&w->m, MAPPING_MEMORY_START, m->start);
        pb_uint(&w->m, MAPPING_MEMORY_LIMIT, m->limit);
        pb_uint(&w->m, MAPPING_FILE_OFFSET, m->file_offset);
        pb_uint(&w->m, MAPPING_FILENAME, str(w, pm->path));
        pb_uint(&w->m, MAPPING_BUILD_ID, str(w, pm->build_id));
        pb_uint(&w->m, MAPPING_HAS_FUNCTIONS, 1);
        pb_uint(&w->m, MAPPING_HAS_FILENAMES, 1);
        pb_uint(&w->m, MAPPING_HAS_LINE_NUMBERS, 1);
        pb_uint(&w->m, MAPPING_HAS_INLINE_FRAMES, 1);
        emit(w, PROFILE_MAPPING);
    }
}

static void emit_locations(pw_t *w)
{
    for (size_t i = 0; i < w->nloc; i++) {
        const ploc_t *c = &w->loc[i];
        pb_uint(&w->m, LOCATION_ID, i + 1);
        pb_uint(&w->m, LOCATION_MAPPING_ID, c->mapping_id);
        pb_uint(&w->m, LOCATION_ADDRESS, c->address);
        for (size_t k = 0; k < c->nlines; k++) {
            const pline_t *ln = &w->lines[c->line0 + k];
            pb_uint(&w->l, LINE_FUNCTION_ID, ln->function_id);
            pb_uint(&w->l, LINE_LINE, ln->line);
            pb_bytes(&w->m, LOCATION_LINE, w->l.p, w->l.len);
            w->l.len = 0;
        }
        emit(w, PROFILE_LOCATION);
    }
}

static void emit_functions(pw_t *w)
{
    for (size_t i = 0; i < w->nfn; i++) {
        pb_uint(&w->m, FUNCTION_ID, i + 1);
        pb_uint(&w->m, FUNCTION_NAME, w->fn[i].name);
        pb_uint(&w->m, FUNCTION_SYSTEM_NAME, w->fn[i].name);
        pb_uint(&w->m, FUNCTION_FILENAME, w->fn[i].file);
        emit(w, PROFILE_FUNCTION);
    }
}

/* The profile's comments (string indices), at most 3. */
static size_t comments(pw_t *w, uint64_t out[4])
{
    const lt_profile_t *p = w->p;
    char moment[400], line[4600];
    double sec = (double)p->ts_ns / 1e9;
    switch (p->moment) {
    case LT_MOMENT_TIME: snprintf(moment, sizeof moment, "%.3f s into the run", sec); break;
    case LT_MOMENT_MARK:
        snprintf(moment, sizeof moment, "mark \"%s\" (%.3f s)", p->mark ? p->mark : "", sec);
        break;
    case LT_MOMENT_PEAK: snprintf(moment, sizeof moment, "the peak of live bytes (%.3f s)", sec); break;
    default: snprintf(moment, sizeof moment, "the end of the trace (%.3f s)", sec); break;
    }
    size_t n = 0;
    snprintf(line, sizeof line, "leaktrace heap profile of %lld %s at %s", p->pid, p->exe ? p->exe : "",
             moment);
    out[n++] = str(w, line);
    if (p->cmdline && *p->cmdline) {
        snprintf(line, sizeof line, "command: %s", p->cmdline);
        out[n++] = str(w, line);
    }
    if (!p->complete) out[n++] = str(w, "the trace is incomplete: counts are up to its last event");
    if (p->sample_rate) {
        snprintf(line, sizeof line, "sampled trace (LEAKTRACE_SAMPLE=%llu): values are estimates, each sampled block "
                                    "weighted by 1/(1-exp(-size/%llu)); period = sampling rate in bytes",
                 (unsigned long long)p->sample_rate, (unsigned long long)p->sample_rate);
        out[n++] = str(w, line);
    }
    return n;
}

int lt_pprof_write(const lt_profile_t *p, FILE *out, lt_err_t *err)
{
    pw_t w;
    memset(&w, 0, sizeof w);
    w.p = p;
    w.out = out;
    w.zout = malloc(CHUNK);
    w.idscap = 256;
    w.ids = malloc(w.idscap * sizeof *w.ids);
    int zok = 0;
    if (w.zout && w.ids) {
        zok = deflateInit2(&w.z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
        if (zok) w.z.next_in = Z_NULL;
    }
    if (!zok || plan_mappings(&w) < 0) w.oom = 1;

    if (!w.oom) {
        str(&w, "");   /* index 0 */
        emit_value_type(&w, PROFILE_SAMPLE_TYPE, "alloc_objects", "count");
        emit_value_type(&w, PROFILE_SAMPLE_TYPE, "alloc_space", "bytes");
        emit_value_type(&w, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
        emit_value_type(&w, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
        emit_samples(&w);
        emit_mappings(&w);
        emit_locations(&w);
        emit_functions(&w);
        uint64_t com[4];
        size_t ncom = comments(&w, com);
        uint64_t period_type_unit = str(&w, "bytes"), period_type = str(&w, "space");
        uint64_t default_type = str(&w, "inuse_space");
        for (size_t i = 0; i < w.nstr && !w.oom; i++) {
            const char *s = (const char *)w.sdata.p + w.soff[i];
            pb_bytes(&w.o, PROFILE_STRING_TABLE, s, strlen(s));
            if (w.o.len >= CHUNK && !w.o.failed) deflate_out(&w, 0);
        }
        if (p->start_realtime_ns > 0)
            pb_uint(&w.o, PROFILE_TIME_NANOS, (uint64_t)p->start_realtime_ns + p->ts_ns);
        pb_uint(&w.o, PROFILE_DURATION_NANOS, p->ts_ns);
        pb_uint(&w.m, VALUETYPE_TYPE, period_type);
        pb_uint(&w.m, VALUETYPE_UNIT, period_type_unit);
        emit(&w, PROFILE_PERIOD_TYPE);
        /* As Go's heap profiles: the period is the sampling rate in bytes
         * (1 for a full trace); the values are already scaled. */
        pb_uint(&w.o, PROFILE_PERIOD, p->sample_rate ? p->sample_rate : 1);
        pb_packed(&w.o, PROFILE_COMMENT, com, ncom);
        pb_uint(&w.o, PROFILE_DEFAULT_SAMPLE_TYPE, default_type);
        if (w.o.failed || w.m.failed || w.l.failed) w.oom = 1;
        if (!w.oom) deflate_out(&w, 1);
        errno = 0;
        if (!w.oom && !w.io_errno && fflush(out) != 0) w.io_errno = errno ? errno : EIO;
        if (!w.oom && !w.io_errno && ferror(out)) w.io_errno = EIO;
    }

    if (zok) deflateEnd(&w.z);
    free(w.zout);
    free(w.ids);
    free(w.o.p);
    free(w.m.p);
    free(w.l.p);
    free(w.sdata.p);
    free(w.soff);
    hx_free(&w.sx);
    free(w.fn);
    hx_free(&w.fx);
    free(w.loc);
    hx_free(&w.lx);
    free(w.lines);
    free(w.maps);
    free(w.map_order);
    if (w.oom) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while writing the pprof profile");
    if (w.io_errno)
        LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot write the pprof profile: %s", strerror(w.io_errno));
    return 0;
}
