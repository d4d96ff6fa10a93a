/*
 * test_pprof.c - unit tests of analyzer/pprof.c, the pprof exporter.
 *
 * Synthetic heap profiles are built with profile.h's constructors, written
 * with lt_pprof_write to a temporary file, gunzipped with zlib and decoded
 * by the small protobuf decoder below (profile.proto's fields only, packed
 * and unpacked repeated fields both accepted, unknown fields skipped). The
 * tests check what pprof relies on: the string table, Go's heap sample
 * types, values per sample, mappings (flags, main executable first, every
 * address inside its mapping, offsets stable across load addresses), one
 * Location per physical frame with its inline frames as Lines (innermost
 * first), deduplicated Functions, and the error path.
 *
 * Exports pprof_suite(); -DLT_STANDALONE_TEST adds a main().
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pprof.h"
#include "profile.h"

Suite *pprof_suite(void);

/* ---- a tiny profile.proto decoder ---- */

/* Assertions that only call into Check when they fail: Check records every
 * passing ck_assert, far too slow for the decoder's inner loops. */
#define REQUIRE(cond, ...) do { if (!(cond)) ck_abort_msg(__VA_ARGS__); } while (0)
#define CHECK(cond) REQUIRE(cond, "check failed: %s", #cond)

typedef struct dvt { uint64_t type, unit; } dvt_t;
typedef struct dsample {
    uint64_t loc[300];
    size_t nloc;
    int64_t val[8];
    size_t nval;
    uint64_t label_key[4], label_str[4];
    size_t nlabel;
} dsample_t;
typedef struct dmap {
    uint64_t id, start, limit, offset, filename, build_id;
    int has_functions, has_filenames, has_line_numbers, has_inline_frames;
} dmap_t;
typedef struct dline { uint64_t function_id; int64_t line; } dline_t;
typedef struct dloc {
    uint64_t id, mapping_id, address;
    dline_t line[16];
    size_t nline;
} dloc_t;
typedef struct dfunc { uint64_t id, name, system_name, filename; } dfunc_t;

typedef struct dprof {
    dvt_t sample_type[8];
    size_t nsample_type;
    dsample_t *sample;
    size_t nsample;
    dmap_t *mapping;
    size_t nmapping;
    dloc_t *location;
    size_t nlocation;
    dfunc_t *function;
    size_t nfunction;
    char **str;
    size_t nstr;
    int64_t time_nanos, duration_nanos, period, default_sample_type;
    dvt_t period_type;
    int64_t comment[8];
    size_t ncomment;
} dprof_t;

typedef struct rd {
    const unsigned char *p, *end;
} rd_t;

static uint64_t rd_varint(rd_t *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        REQUIRE(r->p < r->end, "varint runs past the end");
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) return v;
    }
    ck_abort_msg("varint longer than 10 bytes");
    return 0;
}

/* Reads a key; returns 0 at the end. For wire type 2 sets *sub. */
static int rd_field(rd_t *r, unsigned *field, unsigned *wt, uint64_t *v, rd_t *sub)
{
    if (r->p >= r->end) return 0;
    uint64_t key = rd_varint(r);
    *field = (unsigned)(key >> 3);
    *wt = (unsigned)(key & 7);
    CHECK((*field) != (0));
    switch (*wt) {
    case 0: *v = rd_varint(r); break;
    case 2: {
        uint64_t n = rd_varint(r);
        REQUIRE(n <= (uint64_t)(r->end - r->p), "length-delimited field runs past the end");
        sub->p = r->p;
        sub->end = r->p + n;
        r->p += n;
        break;
    }
    case 1: CHECK(r->end - r->p >= 8); r->p += 8; break;
    case 5: CHECK(r->end - r->p >= 4); r->p += 4; break;
    default: ck_abort_msg("bad wire type %u", *wt);
    }
    return 1;
}

/* A repeated varint field, packed (wt 2) or not (wt 0): appends to out. */
static void rd_repeated(unsigned wt, uint64_t v, rd_t *sub, uint64_t *out, size_t *n, size_t cap)
{
    if (wt == 0) {
        CHECK((*n) < (cap));
        out[(*n)++] = v;
        return;
    }
    CHECK((wt) == (2));
    while (sub->p < sub->end) {
        CHECK((*n) < (cap));
        out[(*n)++] = rd_varint(sub);
    }
}

/* Makes room for element n of an array holding n (capacity: the next
 * power of two), zeroed. */
static void *grow1(void *a, size_t n, size_t elem)
{
    if (n == 0 || (n & (n - 1)) == 0) {
        a = realloc(a, (n ? 2 * n : 1) * elem);
        CHECK((a) != NULL);
    }
    memset((char *)a + n * elem, 0, elem);
    return a;
}

static dvt_t dec_vt(rd_t r)
{
    dvt_t t = { 0, 0 };
    unsigned f, wt;
    uint64_t v;
    rd_t sub;
    while (rd_field(&r, &f, &wt, &v, &sub)) {
        if (f == 1) t.type = v;
        else if (f == 2) t.unit = v;
    }
    return t;
}

static void dec_sample(rd_t r, dsample_t *s)
{
    unsigned f, wt;
    uint64_t v;
    rd_t sub;
    while (rd_field(&r, &f, &wt, &v, &sub)) {
        if (f == 1) rd_repeated(wt, v, &sub, s->loc, &s->nloc, 300);
        else if (f == 2) rd_repeated(wt, v, &sub, (uint64_t *)s->val, &s->nval, 8);
        else if (f == 3) {
            CHECK((wt) == (2));
            CHECK((s->nlabel) < (4));
            unsigned f2, wt2;
            uint64_t v2;
            rd_t sub2;
            while (rd_field(&sub, &f2, &wt2, &v2, &sub2)) {
                if (f2 == 1) s->label_key[s->nlabel] = v2;
                else if (f2 == 2) s->label_str[s->nlabel] = v2;
                else ck_abort_msg("unexpected Label field %u", f2);
            }
            s->nlabel++;
        } else ck_abort_msg("unexpected Sample field %u", f);
    }
}

static void dec_mapping(rd_t r, dmap_t *m)
{
    unsigned f, wt;
    uint64_t v;
    rd_t sub;
    while (rd_field(&r, &f, &wt, &v, &sub)) {
        switch (f) {
        case 1: m->id = v; break;
        case 2: m->start = v; break;
        case 3: m->limit = v; break;
        case 4: m->offset = v; break;
        case 5: m->filename = v; break;
        case 6: m->build_id = v; break;
        case 7: m->has_functions = (int)v; break;
        case 8: m->has_filenames = (int)v; break;
        case 9: m->has_line_numbers = (int)v; break;
        case 10: m->has_inline_frames = (int)v; break;
        default: ck_abort_msg("unexpected Mapping field %u", f);
        }
    }
}

static void dec_location(rd_t r, dloc_t *l)
{
    unsigned f, wt;
    uint64_t v;
    rd_t sub;
    while (rd_field(&r, &f, &wt, &v, &sub)) {
        if (f == 1) l->id = v;
        else if (f == 2) l->mapping_id = v;
        else if (f == 3) l->address = v;
        else if (f == 4) {
            CHECK((wt) == (2));
            CHECK((l->nline) < (16));
            dline_t *ln = &l->line[l->nline++];
            unsigned f2, wt2;
            uint64_t v2;
            rd_t sub2;
            while (rd_field(&sub, &f2, &wt2, &v2, &sub2)) {
                if (f2 == 1) ln->function_id = v2;
                else if (f2 == 2) ln->line = (int64_t)v2;
            }
        } else ck_abort_msg("unexpected Location field %u", f);
    }
}

static void dec_function(rd_t r, dfunc_t *fn)
{
    unsigned f, wt;
    uint64_t v;
    rd_t sub;
    while (rd_field(&r, &f, &wt, &v, &sub)) {
        if (f == 1) fn->id = v;
        else if (f == 2) fn->name = v;
        else if (f == 3) fn->system_name = v;
        else if (f == 4) fn->filename = v;
        else REQUIRE(f == 5, "unexpected Function field %u", f);
    }
}

static void dec_profile(const unsigned char *b, size_t n, dprof_t *d)
{
    memset(d, 0, sizeof *d);
    rd_t r = { b, b + n }, sub;
    unsigned f, wt;
    uint64_t v;
    while (rd_field(&r, &f, &wt, &v, &sub)) {
        switch (f) {
        case 1:
            CHECK((d->nsample_type) < (8));
            d->sample_type[d->nsample_type++] = dec_vt(sub);
            break;
        case 2:
            d->sample = grow1(d->sample, d->nsample, sizeof *d->sample);
            dec_sample(sub, &d->sample[d->nsample++]);
            break;
        case 3:
            d->mapping = grow1(d->mapping, d->nmapping, sizeof *d->mapping);
            dec_mapping(sub, &d->mapping[d->nmapping++]);
            break;
        case 4:
            d->location = grow1(d->location, d->nlocation, sizeof *d->location);
            dec_location(sub, &d->location[d->nlocation++]);
            break;
        case 5:
            d->function = grow1(d->function, d->nfunction, sizeof *d->function);
            dec_function(sub, &d->function[d->nfunction++]);
            break;
        case 6: {
            CHECK((wt) == (2));
            d->str = grow1(d->str, d->nstr, sizeof *d->str);
            size_t len = (size_t)(sub.end - sub.p);
            char *s = malloc(len + 1);
            CHECK((s) != NULL);
            memcpy(s, sub.p, len);
            s[len] = '\0';
            d->str[d->nstr++] = s;
            break;
        }
        case 9: d->time_nanos = (int64_t)v; break;
        case 10: d->duration_nanos = (int64_t)v; break;
        case 11: d->period_type = dec_vt(sub); break;
        case 12: d->period = (int64_t)v; break;
        case 13: rd_repeated(wt, v, &sub, (uint64_t *)d->comment, &d->ncomment, 8); break;
        case 14: d->default_sample_type = (int64_t)v; break;
        default: ck_abort_msg("unexpected Profile field %u", f);
        }
    }
}

static void dprof_free(dprof_t *d)
{
    for (size_t i = 0; i < d->nstr; i++) free(d->str[i]);
    free(d->str);
    free(d->sample);
    free(d->mapping);
    free(d->location);
    free(d->function);
}

/* The string at index i, checked to be in the table. */
static const char *S(const dprof_t *d, uint64_t i)
{
    CHECK((i) < (d->nstr));
    return d->str[i];
}

static const dloc_t *loc_by_id(const dprof_t *d, uint64_t id)
{
    if (id >= 1 && id <= d->nlocation && d->location[id - 1].id == id) return &d->location[id - 1];
    for (size_t i = 0; i < d->nlocation; i++)
        if (d->location[i].id == id) return &d->location[i];
    ck_abort_msg("no location %llu", (unsigned long long)id);
    return NULL;
}

static const dfunc_t *func_by_id(const dprof_t *d, uint64_t id)
{
    if (id >= 1 && id <= d->nfunction && d->function[id - 1].id == id) return &d->function[id - 1];
    for (size_t i = 0; i < d->nfunction; i++)
        if (d->function[i].id == id) return &d->function[i];
    ck_abort_msg("no function %llu", (unsigned long long)id);
    return NULL;
}

static const dmap_t *map_by_id(const dprof_t *d, uint64_t id)
{
    if (id >= 1 && id <= d->nmapping && d->mapping[id - 1].id == id) return &d->mapping[id - 1];
    for (size_t i = 0; i < d->nmapping; i++)
        if (d->mapping[i].id == id) return &d->mapping[i];
    ck_abort_msg("no mapping %llu", (unsigned long long)id);
    return NULL;
}

/* The name of a location's line k. */
static const char *line_name(const dprof_t *d, const dloc_t *l, size_t k)
{
    CHECK((k) < (l->nline));
    return S(d, func_by_id(d, l->line[k].function_id)->name);
}

/* The sample whose innermost location's last (real) line is function name. */
static const dsample_t *sample_at(const dprof_t *d, const char *name)
{
    for (size_t i = 0; i < d->nsample; i++) {
        const dsample_t *s = &d->sample[i];
        if (s->nloc == 0) continue;
        const dloc_t *l = loc_by_id(d, s->loc[0]);
        if (strcmp(line_name(d, l, l->nline - 1), name) == 0) return s;
    }
    ck_abort_msg("no sample at %s", name);
    return NULL;
}

/* Checks what every valid profile satisfies (pprof's CheckValid and more). */
static void check_consistent(const dprof_t *d)
{
    CHECK((d->nstr) >= (1));
    CHECK(strcmp(d->str[0], "") == 0);
    for (size_t i = 0; i < d->nsample; i++) {
        CHECK((d->sample[i].nval) == (d->nsample_type));
        for (size_t k = 0; k < d->sample[i].nloc; k++) loc_by_id(d, d->sample[i].loc[k]);
    }
    for (size_t i = 0; i < d->nmapping; i++) {
        CHECK((d->mapping[i].id) == (i + 1));
        CHECK((d->mapping[i].start) < (d->mapping[i].limit));
        S(d, d->mapping[i].filename);
        S(d, d->mapping[i].build_id);
        for (size_t k = 0; k < i; k++)  /* no two mappings overlap */
            CHECK(d->mapping[i].limit <= d->mapping[k].start || d->mapping[k].limit <= d->mapping[i].start);
    }
    for (size_t i = 0; i < d->nlocation; i++) {
        const dloc_t *l = &d->location[i];
        CHECK((l->id) == (i + 1));
        CHECK((l->nline) >= (1));
        if (l->mapping_id) {
            const dmap_t *m = map_by_id(d, l->mapping_id);
            REQUIRE(l->address >= m->start && l->address < m->limit,
                          "location %zu address 0x%llx outside its mapping [0x%llx, 0x%llx)", i + 1,
                          (unsigned long long)l->address, (unsigned long long)m->start,
                          (unsigned long long)m->limit);
        }
        for (size_t k = 0; k < l->nline; k++) func_by_id(d, l->line[k].function_id);
    }
    for (size_t i = 0; i < d->nfunction; i++) {
        const dfunc_t *f = &d->function[i];
        CHECK((f->id) == (i + 1));
        CHECK(strcmp(S(d, f->name), "") != 0);
        CHECK((f->system_name) == (f->name));
        S(d, f->filename);
        for (size_t k = 0; k < i; k++)  /* deduplicated by (name, file) */
            CHECK(f->name != d->function[k].name || f->filename != d->function[k].filename);
    }
    for (size_t i = 1; i < d->nstr; i++)
        for (size_t k = 0; k < i; k++) CHECK(strcmp(d->str[i], d->str[k]) != 0);
}

/* Writes p with lt_pprof_write, gunzips and decodes it into d. */
static void write_and_decode(const lt_profile_t *p, dprof_t *d)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    lt_err_t err;
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(lt_pprof_write(p, f, &err), 0);
    long size = ftell(f);
    ck_assert_int_gt(size, 18);
    unsigned char *gz = malloc((size_t)size);
    ck_assert_ptr_nonnull(gz);
    rewind(f);
    ck_assert_uint_eq(fread(gz, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    ck_assert_uint_eq(gz[0], 0x1f);  /* gzip, not zlib or raw deflate */
    ck_assert_uint_eq(gz[1], 0x8b);

    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
    size_t cap = 1 << 16, len = 0;
    unsigned char *raw = malloc(cap);
    ck_assert_ptr_nonnull(raw);
    z.next_in = gz;
    z.avail_in = (uInt)size;
    int rc;
    do {
        if (cap - len < 4096) {
            cap *= 2;
            raw = realloc(raw, cap);
            ck_assert_ptr_nonnull(raw);
        }
        z.next_out = raw + len;
        z.avail_out = (uInt)(cap - len);
        rc = inflate(&z, Z_NO_FLUSH);
        ck_assert_msg(rc == Z_OK || rc == Z_STREAM_END, "inflate: %d", rc);
        len = cap - z.avail_out;
    } while (rc != Z_STREAM_END);
    ck_assert_uint_eq(z.avail_in, 0);  /* one gzip member, nothing after it */
    inflateEnd(&z);
    free(gz);
    dec_profile(raw, len, d);
    free(raw);
    check_consistent(d);
}

/* ---- building synthetic profiles ---- */

static lt_pframe_t fr(lt_profile_t *p, const char *fn, const char *file, uint32_t line, uint32_t module,
                      uint64_t offset, int inlined)
{
    lt_pframe_t f = { lt_profile_str(p, fn), lt_profile_str(p, file), line, module, offset, inlined };
    return f;
}

static uint32_t add_module(lt_profile_t *p, const char *path, const char *build_id, uint64_t base,
                           uint64_t start, uint64_t limit)
{
    lt_pmodule_t m;
    memset(&m, 0, sizeof m);
    m.path = path;
    snprintf(m.build_id, sizeof m.build_id, "%s", build_id);
    m.base = base;
    m.start = start;
    m.limit = limit;
    uint32_t i = lt_profile_add_module(p, &m);
    ck_assert_uint_ne(i, LT_PMOD_NONE);
    return i;
}

static void add_site(lt_profile_t *p, uint64_t ao, uint64_t as, uint64_t io, uint64_t is, const lt_pframe_t *f,
                     size_t n)
{
    lt_pcounts_t c = { ao, as, io, is };
    ck_assert_int_eq(lt_profile_add_site(p, &c, f, n, 0, 0), 0);
}

#define LIBC_BASE 0x7f0000000000ull
#define EXE_BASE 0x555500000000ull

/* libc first (index 0), the executable second: the exporter must still
 * make the executable mapping 1. Sites:
 *   leak_fn <- main:0x1100                         (10 x 100 bytes live)
 *   inl_helper (inlined) + caller_fn <- main:0x1100  (inline group)
 *   [no frames]                                     (unknown stack)
 *   ??? in libc+0x99 <- ??? no module 0x5555 <- main:0x1200 */
static lt_profile_t *sample_profile(uint64_t exe_base, uint64_t libc_base)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    p->pid = 4242;
    p->exe = lt_profile_str(p, "/opt/app/bin/app");
    p->cmdline = lt_profile_str(p, "app --serve");
    p->start_realtime_ns = 1700000000000000000ll;
    p->ts_ns = 2500000000ull;
    p->moment = LT_MOMENT_MARK;
    p->mark = lt_profile_str(p, "after");
    p->complete = 1;
    uint32_t libc = add_module(p, "/lib/x86_64-linux-gnu/libc.so.6", "aabbcc", libc_base, libc_base + 0x28000,
                               libc_base + 0x1f0000);
    uint32_t exe = add_module(p, "/opt/app/bin/app", "0123456789abcdef", exe_base, exe_base, exe_base + 0x5000);

    lt_pframe_t a[] = { fr(p, "leak_fn", "app.c", 10, exe, 0x1234, 0), fr(p, "main", "app.c", 50, exe, 0x1100, 0) };
    add_site(p, 12, 1200, 10, 1000, a, 2);
    lt_pframe_t b[] = { fr(p, "inl_helper", "helper.h", 5, exe, 0x2000, 1),
                        fr(p, "caller_fn", "app.c", 20, exe, 0x2000, 0),
                        fr(p, "main", "app.c", 50, exe, 0x1100, 0) };
    add_site(p, 3, 300, 2, 200, b, 3);
    add_site(p, 1, 64, 1, 64, NULL, 0);
    lt_pframe_t c[] = { fr(p, NULL, NULL, 0, libc, 0x29099, 0), fr(p, NULL, NULL, 0, LT_PMOD_NONE, 0x5555, 0),
                        fr(p, "main", "app.c", 52, exe, 0x1200, 0) };
    add_site(p, 7, 70, 0, 0, c, 3);
    lt_profile_finish(p);
    return p;
}

START_TEST(test_pprof_header_and_sample_types)
{
    lt_profile_t *p = sample_profile(EXE_BASE, LIBC_BASE);
    dprof_t d;
    write_and_decode(p, &d);
    static const char *const types[][2] = {
        { "alloc_objects", "count" }, { "alloc_space", "bytes" },
        { "inuse_objects", "count" }, { "inuse_space", "bytes" },
    };
    ck_assert_uint_eq(d.nsample_type, 4);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(S(&d, d.sample_type[i].type), types[i][0]);
        ck_assert_str_eq(S(&d, d.sample_type[i].unit), types[i][1]);
    }
    ck_assert_str_eq(S(&d, (uint64_t)d.default_sample_type), "inuse_space");
    ck_assert_str_eq(S(&d, d.period_type.type), "space");
    ck_assert_str_eq(S(&d, d.period_type.unit), "bytes");
    ck_assert_int_eq(d.period, 1);
    ck_assert_int_eq(d.time_nanos, 1700000000000000000ll + 2500000000ll);
    ck_assert_int_eq(d.duration_nanos, 2500000000ll);
    ck_assert_uint_ge(d.ncomment, 2);
    ck_assert_ptr_nonnull(strstr(S(&d, (uint64_t)d.comment[0]), "leaktrace heap profile of 4242 /opt/app/bin/app"));
    ck_assert_ptr_nonnull(strstr(S(&d, (uint64_t)d.comment[0]), "mark \"after\""));
    ck_assert_str_eq(S(&d, (uint64_t)d.comment[1]), "command: app --serve");
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_pprof_samples_and_values)
{
    lt_profile_t *p = sample_profile(EXE_BASE, LIBC_BASE);
    dprof_t d;
    write_and_decode(p, &d);
    ck_assert_uint_eq(d.nsample, 4);
    const dsample_t *s = sample_at(&d, "leak_fn");
    ck_assert_uint_eq(s->nloc, 2);
    ck_assert_int_eq(s->val[0], 12);
    ck_assert_int_eq(s->val[1], 1200);
    ck_assert_int_eq(s->val[2], 10);
    ck_assert_int_eq(s->val[3], 1000);
    ck_assert_str_eq(line_name(&d, loc_by_id(&d, s->loc[1]), 0), "main");
    s = sample_at(&d, "[unknown stack]");
    ck_assert_uint_eq(s->nloc, 1);
    ck_assert_int_eq(s->val[3], 64);
    ck_assert_uint_eq(loc_by_id(&d, s->loc[0])->mapping_id, 0);
    /* A sample whose values are zero keeps all four (packed zeros). */
    s = sample_at(&d, "libc.so.6+0x29099");
    ck_assert_uint_eq(s->nval, 4);
    ck_assert_int_eq(s->val[0], 7);
    ck_assert_int_eq(s->val[1], 70);
    ck_assert_int_eq(s->val[2], 0);
    ck_assert_int_eq(s->val[3], 0);
    ck_assert_uint_eq(s->nloc, 3);
    const dloc_t *nomod = loc_by_id(&d, s->loc[1]);
    ck_assert_str_eq(line_name(&d, nomod, 0), "0x5555");
    ck_assert_uint_eq(nomod->mapping_id, 0);
    ck_assert_str_eq(S(&d, func_by_id(&d, nomod->line[0].function_id)->filename), "");
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_pprof_inline_group_is_one_location)
{
    lt_profile_t *p = sample_profile(EXE_BASE, LIBC_BASE);
    dprof_t d;
    write_and_decode(p, &d);
    const dsample_t *s = sample_at(&d, "caller_fn");
    ck_assert_uint_eq(s->nloc, 2);  /* 3 frames, 2 physical frames */
    const dloc_t *l = loc_by_id(&d, s->loc[0]);
    ck_assert_uint_eq(l->nline, 2);
    /* profile.proto: the last Line is the caller. */
    ck_assert_str_eq(line_name(&d, l, 0), "inl_helper");
    ck_assert_int_eq(l->line[0].line, 5);
    ck_assert_str_eq(S(&d, func_by_id(&d, l->line[0].function_id)->filename), "helper.h");
    ck_assert_str_eq(line_name(&d, l, 1), "caller_fn");
    ck_assert_int_eq(l->line[1].line, 20);
    ck_assert_uint_eq(l->address, EXE_BASE + 0x2000 - 1);  /* the call instruction */
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_pprof_locations_and_functions_deduplicated)
{
    lt_profile_t *p = sample_profile(EXE_BASE, LIBC_BASE);
    dprof_t d;
    write_and_decode(p, &d);
    /* main:0x1100 is shared by two samples: one Location. */
    const dsample_t *a = sample_at(&d, "leak_fn"), *b = sample_at(&d, "caller_fn"), *c = sample_at(&d, "libc.so.6+0x29099");
    ck_assert_uint_eq(a->loc[1], b->loc[1]);
    /* main:0x1200 is another Location of the same Function. */
    ck_assert_uint_ne(c->loc[2], a->loc[1]);
    const dloc_t *m1 = loc_by_id(&d, a->loc[1]), *m2 = loc_by_id(&d, c->loc[2]);
    ck_assert_uint_eq(m1->line[0].function_id, m2->line[0].function_id);
    ck_assert_int_eq(m1->line[0].line, 50);
    ck_assert_int_eq(m2->line[0].line, 52);
    /* leak_fn, main, inl_helper, caller_fn, libc+0x29099, 0x5555, [unknown stack] */
    ck_assert_uint_eq(d.nfunction, 7);
    /* leak_fn, main x2, inline group, libc, no-module, unknown stack */
    ck_assert_uint_eq(d.nlocation, 7);
    size_t mains = 0;
    for (size_t i = 0; i < d.nfunction; i++) mains += strcmp(S(&d, d.function[i].name), "main") == 0;
    ck_assert_uint_eq(mains, 1);
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_pprof_mappings)
{
    lt_profile_t *p = sample_profile(EXE_BASE, LIBC_BASE);
    dprof_t d;
    write_and_decode(p, &d);
    ck_assert_uint_eq(d.nmapping, 2);
    /* The main executable first although it was added second. */
    const dmap_t *m = map_by_id(&d, 1);
    ck_assert_str_eq(S(&d, m->filename), "/opt/app/bin/app");
    ck_assert_str_eq(S(&d, m->build_id), "0123456789abcdef");
    ck_assert_uint_eq(m->start, EXE_BASE);
    ck_assert_uint_eq(m->limit, EXE_BASE + 0x5000);
    m = map_by_id(&d, 2);
    ck_assert_str_eq(S(&d, m->filename), "/lib/x86_64-linux-gnu/libc.so.6");
    ck_assert_uint_eq(m->start, LIBC_BASE + 0x28000);
    for (size_t i = 0; i < d.nmapping; i++) {
        ck_assert_int_eq(d.mapping[i].has_functions, 1);
        ck_assert_int_eq(d.mapping[i].has_filenames, 1);
        ck_assert_int_eq(d.mapping[i].has_line_numbers, 1);
        ck_assert_int_eq(d.mapping[i].has_inline_frames, 1);
    }
    /* Real ranges: the address is the run's (bias + offset - 1). */
    const dloc_t *l = loc_by_id(&d, sample_at(&d, "libc.so.6+0x29099")->loc[0]);
    ck_assert_uint_eq(l->mapping_id, 2);
    ck_assert_uint_eq(l->address, LIBC_BASE + 0x29099 - 1);
    l = loc_by_id(&d, sample_at(&d, "leak_fn")->loc[0]);
    ck_assert_uint_eq(l->mapping_id, 1);
    ck_assert_uint_eq(l->address, EXE_BASE + 0x1234 - 1);
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

/* What `pprof -base` matches on: a location's address - its mapping's
 * start, and the mapping's size, file and build id, must not depend on
 * where the run loaded the modules. */
START_TEST(test_pprof_stable_across_load_addresses)
{
    lt_profile_t *p1 = sample_profile(EXE_BASE, LIBC_BASE);
    lt_profile_t *p2 = sample_profile(0x5633aa000000ull, 0x7fee12340000ull);
    dprof_t d1, d2;
    write_and_decode(p1, &d1);
    write_and_decode(p2, &d2);
    ck_assert_uint_eq(d1.nlocation, d2.nlocation);
    ck_assert_uint_eq(d1.nmapping, d2.nmapping);
    for (size_t i = 0; i < d1.nmapping; i++) {
        ck_assert_uint_eq(d1.mapping[i].limit - d1.mapping[i].start, d2.mapping[i].limit - d2.mapping[i].start);
        ck_assert_str_eq(S(&d1, d1.mapping[i].build_id), S(&d2, d2.mapping[i].build_id));
    }
    for (size_t i = 0; i < d1.nlocation; i++) {
        const dloc_t *a = &d1.location[i], *b = &d2.location[i];
        ck_assert_uint_eq(a->mapping_id, b->mapping_id);
        if (!a->mapping_id) continue;
        ck_assert_uint_eq(a->address - map_by_id(&d1, a->mapping_id)->start,
                          b->address - map_by_id(&d2, b->mapping_id)->start);
    }
    ck_assert_uint_ne(d1.location[0].address, d2.location[0].address);
    dprof_free(&d1);
    dprof_free(&d2);
    lt_profile_free(p1);
    lt_profile_free(p2);
}
END_TEST

/* Old dumps have no load addresses: mappings are synthesized, do not
 * overlap, hold every address, and keep offsets into them stable. */
START_TEST(test_pprof_synthesized_mappings)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    p->exe = lt_profile_str(p, "/usr/bin/prog");
    uint32_t lib = add_module(p, "/usr/lib/libbig.so", "", 0, 0, 0);
    uint32_t exe = add_module(p, "/usr/bin/prog", "", 0, 0, 0);
    uint32_t unused = add_module(p, "/usr/lib/libunused.so", "", 0, 0, 0);
    (void)unused;
    lt_pframe_t a[] = { fr(p, "big", "big.c", 1, lib, 0x123456, 0), fr(p, "main", "prog.c", 2, exe, 0x401150, 0) };
    add_site(p, 1, 8, 1, 8, a, 2);
    lt_pframe_t b[] = { fr(p, "small", "big.c", 3, lib, 0x10, 0), fr(p, "main", "prog.c", 2, exe, 0x401150, 0) };
    add_site(p, 1, 16, 1, 16, b, 2);
    lt_profile_finish(p);
    dprof_t d;
    write_and_decode(p, &d);  /* checks addresses inside, no overlap */
    ck_assert_uint_eq(d.nmapping, 3);
    ck_assert_str_eq(S(&d, map_by_id(&d, 1)->filename), "/usr/bin/prog");
    for (size_t i = 0; i < d.nmapping; i++) {
        uint64_t size = d.mapping[i].limit - d.mapping[i].start;
        ck_assert_uint_ge(size, 4096);
        ck_assert_uint_eq(size & (size - 1), 0);  /* a power of two */
        ck_assert_uint_ne(d.mapping[i].start, 0);
    }
    for (size_t i = 0; i < d.nlocation; i++) {
        const dloc_t *l = &d.location[i];
        const dmap_t *m = map_by_id(&d, l->mapping_id);
        const char *fn = line_name(&d, l, 0);
        uint64_t off = !strcmp(fn, "big") ? 0x123456 : !strcmp(fn, "small") ? 0x10 : 0x401150;
        ck_assert_uint_eq(l->address - m->start, off - 1);
    }
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

/* Runtime one-time allocations and truncated stacks are labelled
 * leaktrace=runtime / leaktrace=truncated; other samples have no label. */
START_TEST(test_pprof_labels)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    lt_pframe_t a[] = { fr(p, "plain", "x.c", 1, LT_PMOD_NONE, 0x10, 0) };
    lt_pframe_t b[] = { fr(p, "pool_init", "eh_alloc.cc", 2, LT_PMOD_NONE, 0x20, 0) };
    lt_pframe_t c[] = { fr(p, "deep", "x.c", 3, LT_PMOD_NONE, 0x30, 0) };
    lt_pcounts_t n = { 1, 30, 1, 30 };
    ck_assert_int_eq(lt_profile_add_site(p, &n, a, 1, 0, 0), 0);
    n.inuse_space = 20;
    ck_assert_int_eq(lt_profile_add_site(p, &n, b, 1, 0, 1), 0);
    n.inuse_space = 10;
    ck_assert_int_eq(lt_profile_add_site(p, &n, c, 1, 1, 0), 0);
    lt_profile_finish(p);
    dprof_t d;
    write_and_decode(p, &d);
    ck_assert_uint_eq(d.nsample, 3);
    ck_assert_uint_eq(sample_at(&d, "plain")->nlabel, 0);
    const dsample_t *s = sample_at(&d, "pool_init");
    ck_assert_uint_eq(s->nlabel, 1);
    ck_assert_str_eq(S(&d, s->label_key[0]), "leaktrace");
    ck_assert_str_eq(S(&d, s->label_str[0]), "runtime");
    s = sample_at(&d, "deep");
    ck_assert_uint_eq(s->nlabel, 1);
    ck_assert_str_eq(S(&d, s->label_key[0]), "leaktrace");
    ck_assert_str_eq(S(&d, s->label_str[0]), "truncated");
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_pprof_empty_profile)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    lt_profile_finish(p);
    dprof_t d;
    write_and_decode(p, &d);
    ck_assert_uint_eq(d.nsample_type, 4);
    ck_assert_uint_eq(d.nsample, 0);
    ck_assert_uint_eq(d.nlocation, 0);
    ck_assert_uint_eq(d.nfunction, 0);
    ck_assert_uint_eq(d.nmapping, 0);
    ck_assert_str_eq(S(&d, (uint64_t)d.default_sample_type), "inuse_space");
    ck_assert_int_eq(d.time_nanos, 0);  /* unknown start time: left out */
    /* Not complete: said in a comment. */
    int said = 0;
    for (size_t i = 0; i < d.ncomment; i++) said |= strstr(S(&d, (uint64_t)d.comment[i]), "incomplete") != NULL;
    ck_assert(said);
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

/* Enough sites, frames and strings to grow every table and to deflate in
 * several chunks. */
START_TEST(test_pprof_many_sites)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    p->exe = lt_profile_str(p, "/bin/many");
    p->complete = 1;
    uint32_t exe = add_module(p, "/bin/many", "feed", 0x400000000ull, 0x400000000ull, 0x400100000ull);
    enum { N = 3000 };
    for (unsigned i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "fn_%u", i);
        lt_pframe_t f[] = { fr(p, name, "many.c", i + 1, exe, 0x1000 + 16 * i, 0),
                            fr(p, "dispatch", "many.c", 9, exe, 0x800 + 4 * (i % 7), 0),
                            fr(p, "main", "many.c", 3, exe, 0x700, 0) };
        add_site(p, i + 1, 10ull * (i + 1), i, 10ull * i, f, 3);
    }
    lt_profile_finish(p);
    dprof_t d;
    write_and_decode(p, &d);
    ck_assert_uint_eq(d.nsample, N);
    ck_assert_uint_eq(d.nfunction, N + 2);
    ck_assert_uint_eq(d.nlocation, N + 7 + 1);
    uint64_t total = 0;
    for (size_t i = 0; i < d.nsample; i++) {
        ck_assert_uint_eq(d.sample[i].nloc, 3);
        const dloc_t *l = loc_by_id(&d, d.sample[i].loc[0]);
        unsigned k = (unsigned)strtoul(line_name(&d, l, 0) + 3, NULL, 10);
        ck_assert_int_eq(d.sample[i].val[0], k + 1);
        ck_assert_int_eq(d.sample[i].val[3], 10 * (int64_t)k);
        ck_assert_int_eq(l->line[0].line, k + 1);
        total += (uint64_t)d.sample[i].val[1];
    }
    ck_assert_uint_eq(total, p->total.alloc_space);
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

/* A stack deeper than the writer's first id buffer, ending in an inline
 * frame without its real function (cut by the depth limit). */
START_TEST(test_pprof_deep_stack)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    enum { DEPTH = 290 };
    lt_pframe_t f[DEPTH];
    for (unsigned i = 0; i < DEPTH; i++) {
        char name[32];
        snprintf(name, sizeof name, "level_%u", i);
        f[i] = fr(p, name, "deep.c", i + 1, LT_PMOD_NONE, 0x1000 + i, i == DEPTH - 1);
    }
    lt_pcounts_t c = { 1, 8, 1, 8 };
    ck_assert_int_eq(lt_profile_add_site(p, &c, f, DEPTH, 1, 0), 0);
    lt_profile_finish(p);
    dprof_t d;
    write_and_decode(p, &d);
    ck_assert_uint_eq(d.nsample, 1);
    ck_assert_uint_eq(d.sample[0].nloc, DEPTH);
    for (unsigned i = 0; i < DEPTH; i++) {
        const dloc_t *l = loc_by_id(&d, d.sample[0].loc[i]);
        ck_assert_uint_eq(l->nline, 1);
        char name[32];
        snprintf(name, sizeof name, "level_%u", i);
        ck_assert_str_eq(line_name(&d, l, 0), name);
    }
    dprof_free(&d);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_pprof_write_error)
{
    FILE *f = fopen("/dev/full", "w");
    ck_assert_ptr_nonnull(f);
    lt_profile_t *p = sample_profile(EXE_BASE, LIBC_BASE);
    lt_err_t err;
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(lt_pprof_write(p, f, &err), -LT_E_IO);
    ck_assert_int_eq(err.code, LT_E_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "pprof"));
    fclose(f);
    lt_profile_free(p);
}
END_TEST

Suite *pprof_suite(void)
{
    Suite *s = suite_create("pprof");
    TCase *tc = tcase_create("pprof");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pprof_header_and_sample_types);
    tcase_add_test(tc, test_pprof_samples_and_values);
    tcase_add_test(tc, test_pprof_inline_group_is_one_location);
    tcase_add_test(tc, test_pprof_locations_and_functions_deduplicated);
    tcase_add_test(tc, test_pprof_mappings);
    tcase_add_test(tc, test_pprof_stable_across_load_addresses);
    tcase_add_test(tc, test_pprof_synthesized_mappings);
    tcase_add_test(tc, test_pprof_labels);
    tcase_add_test(tc, test_pprof_empty_profile);
    tcase_add_test(tc, test_pprof_many_sites);
    tcase_add_test(tc, test_pprof_deep_stack);
    tcase_add_test(tc, test_pprof_write_error);
    suite_add_tcase(s, tc);
    return s;
}

#ifdef LT_STANDALONE_TEST
int main(void)
{
    SRunner *sr = srunner_create(pprof_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
