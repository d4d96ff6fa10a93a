/*
 * test_format.c - unit tests of the trace format: common/lt_format.h
 * (varints, zigzag, chunk header), preload/encode.c (ring records to trace
 * records) and analyzer/decode.c (trace records and files back).
 *
 * Ring records are built word for word as preload/tracer.c builds them, fed
 * to the encoder, and the bytes decoded with lt_payload_next; every field of
 * every record is compared. Files are written to a temporary directory with
 * real zstd chunks and read with lt_file_open/lt_file_next.
 *
 * Exports format_suite(); -DLT_STANDALONE_TEST adds a main().
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "decode.h"
#include "encode.h"
#include "level.h"
#include "lt_fields.h"
#include "lt_format.h"
#include "lt_internal.h"
#include "unit_helpers.h"

Suite *format_suite(void);

/* the tracer could not record the stack (docs/trace-format.md) */
#define STACK_NONE UINT32_MAX

/* ========================================================================
 * A model: the encoder plus the records the decoder must give back.
 * ======================================================================== */

typedef struct xrec {
    int type;                 /* LT_REC_* the decoder must return */
    uint32_t tid;
    uint64_t seq, seq2, ts, addr, addr2, size;
    uint32_t stack;
    unsigned fn;
    uint32_t sid, sgen, sdepth; /* STACK: what the definition says */
    uint64_t *ips;            /* STACK: owned copy of the frames */
    unsigned char *payload;   /* other length-prefixed records: owned copy */
    size_t len;
    size_t end;               /* payload offset just past this record */
} xrec_t;

typedef struct model {
    lt_enc_t e;
    xrec_t *x;
    size_t nx, capx;
    size_t *bound;            /* offsets of record boundaries, 0 first */
    size_t nbound, capbound;
    uint32_t tid;
    uint64_t prev_ts;         /* the encoder's clamp, to predict ts */
} model_t;

static void m_bound(model_t *m)
{
    if (m->nbound == m->capbound) {
        m->capbound = m->capbound ? m->capbound * 2 : 64;
        m->bound = realloc(m->bound, m->capbound * sizeof *m->bound);
        ck_assert_ptr_nonnull(m->bound);
    }
    m->bound[m->nbound++] = m->e.len;
}

static void m_init(model_t *m)
{
    memset(m, 0, sizeof *m);
    ut_enc_init(&m->e);
    m_bound(m);
}

static xrec_t *m_push(model_t *m, int type)
{
    if (m->nx == m->capx) {
        m->capx = m->capx ? m->capx * 2 : 64;
        m->x = realloc(m->x, m->capx * sizeof *m->x);
        ck_assert_ptr_nonnull(m->x);
    }
    xrec_t *x = &m->x[m->nx++];
    memset(x, 0, sizeof *x);
    x->type = type;
    return x;
}

static void m_free(model_t *m)
{
    for (size_t i = 0; i < m->nx; i++) {
        free(m->x[i].ips);
        free(m->x[i].payload);
    }
    free(m->x);
    free(m->bound);
    ut_enc_free(&m->e);
    memset(m, 0, sizeof *m);
}

/* The first record boundary at or after byte at (the end when none). */
static size_t m_boundary_at(const model_t *m, size_t at)
{
    size_t b = m->e.len;
    for (size_t i = 0; i < m->nbound; i++)
        if (m->bound[i] >= at && m->bound[i] < b) b = m->bound[i];
    return b;
}

static uint64_t m_ts(model_t *m, uint64_t ts)
{
    /* encode.c clamps a timestamp that goes back to the previous one */
    if (ts > m->prev_ts) m->prev_ts = ts;
    return m->prev_ts;
}

static void m_segment(model_t *m, uint32_t tid)
{
    ut_enc_room(&m->e, 16);
    lt_enc_segment(&m->e, tid);
    m->tid = tid;
    m->prev_ts = 0;
    m_bound(m);
}

static void m_ring(model_t *m, const uint64_t *w, unsigned nwords)
{
    ut_enc_room(&m->e, LT_ENC_MAX_RECORD);
    unsigned got = lt_enc_ring_record(&m->e, w);
    ck_assert_msg(got == nwords, "lt_enc_ring_record returned %u words for a record of %u", got, nwords);
}

static void m_alloc(model_t *m, uint64_t seq, uint64_t ts, uint64_t addr, uint64_t size, uint32_t stack, unsigned fn)
{
    uint64_t w[UT_RING_MAX_WORDS];
    m_ring(m, w, ut_ring_alloc(w, seq, ts, addr, size, stack, fn));
    xrec_t *x = m_push(m, LT_REC_ALLOC);
    x->tid = m->tid; x->seq = seq; x->ts = m_ts(m, ts); x->addr = addr; x->size = size; x->stack = stack; x->fn = fn;
    x->end = m->e.len;
    m_bound(m);
}

static void m_freerec(model_t *m, uint64_t seq, uint64_t ts, uint64_t addr)
{
    uint64_t w[UT_RING_MAX_WORDS];
    m_ring(m, w, ut_ring_free(w, seq, ts, addr));
    xrec_t *x = m_push(m, LT_REC_FREE);
    x->tid = m->tid; x->seq = seq; x->ts = m_ts(m, ts); x->addr = addr;
    x->end = m->e.len;
    m_bound(m);
}

static void m_realloc(model_t *m, uint64_t seq, uint64_t seq2, uint64_t ts, uint64_t old, uint64_t new_,
                      uint64_t size, uint32_t stack, unsigned fn)
{
    uint64_t w[UT_RING_MAX_WORDS];
    m_ring(m, w, ut_ring_realloc(w, seq, seq2, ts, old, new_, size, stack, fn));
    xrec_t *x = m_push(m, LT_REC_REALLOC);
    x->tid = m->tid; x->seq = seq; x->seq2 = seq2; x->ts = m_ts(m, ts); x->addr = old; x->addr2 = new_;
    x->size = size; x->stack = stack;
    x->fn = 0; /* the REALLOC record has no fn byte (docs/trace-format.md) */
    x->end = m->e.len;
    m_bound(m);
}

static void m_nop(model_t *m, uint64_t seq)
{
    uint64_t w[UT_RING_MAX_WORDS];
    m_ring(m, w, ut_ring_nop(w, seq));
    xrec_t *x = m_push(m, LT_REC_NOP);
    x->tid = m->tid; x->seq = seq;
    x->end = m->e.len;
    m_bound(m);
}

static void m_stack(model_t *m, uint32_t id, uint32_t gen, const uint64_t *ips, uint32_t depth)
{
    uint64_t w[UT_RING_MAX_WORDS];
    m_ring(m, w, ut_ring_stack(w, id, gen, ips, depth));
    xrec_t *x = m_push(m, LT_REC_STACK);
    x->sid = id; x->sgen = gen; x->sdepth = depth;
    x->ips = malloc((depth ? depth : 1) * sizeof *ips);
    ck_assert_ptr_nonnull(x->ips);
    if (depth) memcpy(x->ips, ips, depth * sizeof *ips);
    x->end = m->e.len;
    m_bound(m);
}

static void m_pad(model_t *m, unsigned nwords)
{
    uint64_t *w = calloc(nwords ? nwords : 1, sizeof *w);
    ck_assert_ptr_nonnull(w);
    size_t before = m->e.len;
    int in_seg = m->e.in_segment;
    m_ring(m, w, ut_ring_pad(w, nwords));
    ck_assert_msg(m->e.len == before, "a PAD ring record produced %zu bytes, want none", m->e.len - before);
    ck_assert_int_eq(m->e.in_segment, in_seg);
    free(w);
}

/* A length-prefixed record. Tags the decoder knows (0x80..0x86) come back;
 * others are skipped. */
static void m_side(model_t *m, unsigned tag, const void *payload, size_t len)
{
    ut_enc_room(&m->e, len + 11);
    lt_enc_side(&m->e, tag, payload, len);
    if (tag <= LT_REC_LAST_KNOWN) {
        xrec_t *x = m_push(m, (int)tag);
        x->payload = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(x->payload);
        if (len) memcpy(x->payload, payload, len);
        x->len = len;
        x->end = m->e.len;
    }
    m_bound(m);
}

/* ---- comparing ---- */

static void check_stack_payload(const lt_rec_t *r, const xrec_t *x, size_t i)
{
    const unsigned char *p = r->payload, *end = r->payload + r->len;
    uint64_t id, gen, depth;
    ck_assert_msg(lt_get_varint(&p, end, &id) == 0 && lt_get_varint(&p, end, &gen) == 0 &&
                  lt_get_varint(&p, end, &depth) == 0, "record %zu: STACK payload header unreadable", i);
    ck_assert_msg(id == x->sid, "record %zu: STACK id %llu, want %u", i, (unsigned long long)id, x->sid);
    ck_assert_msg(gen == x->sgen, "record %zu: STACK gen %llu, want %u", i, (unsigned long long)gen, x->sgen);
    ck_assert_msg(depth == x->sdepth, "record %zu: STACK depth %llu, want %u", i, (unsigned long long)depth, x->sdepth);
    uint64_t prev = 0;
    for (uint32_t k = 0; k < x->sdepth; k++) {
        uint64_t v;
        ck_assert_msg(lt_get_varint(&p, end, &v) == 0, "record %zu: STACK frame %u unreadable", i, k);
        uint64_t ip = k == 0 ? v : prev + (uint64_t)lt_unzigzag(v);
        ck_assert_msg(ip == x->ips[k], "record %zu: STACK frame %u is 0x%llx, want 0x%llx", i, k,
                      (unsigned long long)ip, (unsigned long long)x->ips[k]);
        prev = ip;
    }
    ck_assert_msg(p == end, "record %zu: %td bytes left over after the STACK frames", i, end - p);
}

#define FIELD_EQ(name, fmt_cast)                                                                  \
    ck_assert_msg(r->name == x->name, "record %zu (type 0x%02x): " #name " = %llu, want %llu", i, \
                  x->type, (unsigned long long)(fmt_cast)r->name, (unsigned long long)(fmt_cast)x->name)

static void check_rec(const lt_rec_t *r, const xrec_t *x, size_t i)
{
    ck_assert_msg(r->type == x->type, "record %zu: type 0x%02x, want 0x%02x", i, r->type, x->type);
    if (x->type == LT_REC_STACK) { check_stack_payload(r, x, i); return; }
    if (x->type >= 0x80) {
        ck_assert_msg(r->len == x->len, "record %zu (type 0x%02x): payload length %zu, want %zu", i, x->type, r->len, x->len);
        ck_assert_msg(x->len == 0 || memcmp(r->payload, x->payload, x->len) == 0,
                      "record %zu (type 0x%02x): payload bytes differ", i, x->type);
        return;
    }
    FIELD_EQ(tid, uint64_t);
    FIELD_EQ(seq, uint64_t);
    FIELD_EQ(seq2, uint64_t);
    FIELD_EQ(ts, uint64_t);
    FIELD_EQ(addr, uint64_t);
    FIELD_EQ(addr2, uint64_t);
    FIELD_EQ(size, uint64_t);
    FIELD_EQ(stack, uint64_t);
    FIELD_EQ(fn, uint64_t);
}

/* Decodes buf[0..len) completely and compares with the model. */
static void check_decodes_to(const unsigned char *buf, size_t len, const model_t *m)
{
    lt_payload_t pl;
    lt_rec_t r;
    lt_err_t err = { 0 };
    lt_payload_init(&pl, buf, len);
    size_t i = 0;
    int rc;
    while ((rc = lt_payload_next(&pl, &r, &err)) == 1) {
        ck_assert_msg(i < m->nx, "decoder returned more than the %zu records encoded", m->nx);
        check_rec(&r, &m->x[i], i);
        i++;
    }
    ck_assert_msg(rc == 0, "decoder failed after %zu records: %s", i, err.msg);
    ck_assert_msg(i == m->nx, "decoder returned %zu records, want %zu", i, m->nx);
}

/* ========================================================================
 * varints, zigzag, chunk header
 * ======================================================================== */

START_TEST(test_varint_round_trip_edge_values)
{
    static const struct { uint64_t v; size_t len; } cases[] = {
        { 0, 1 }, { 1, 1 }, { 127, 1 }, { 128, 2 }, { 255, 2 }, { 300, 2 }, { 16383, 2 }, { 16384, 3 },
        { UINT32_MAX, 5 }, { 1ull << 32, 5 }, { (1ull << 56) - 1, 8 }, { 1ull << 56, 9 },
        { INT64_MAX, 9 }, { 1ull << 63, 10 }, { UINT64_MAX - 1, 10 }, { UINT64_MAX, 10 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char buf[16];
        memset(buf, 0xaa, sizeof buf);
        size_t n = lt_put_varint(buf, cases[i].v);
        ck_assert_msg(n == cases[i].len, "varint of %llu takes %zu bytes, want %zu",
                      (unsigned long long)cases[i].v, n, cases[i].len);
        ck_assert_msg(buf[n] == 0xaa, "varint of %llu wrote past its %zu bytes", (unsigned long long)cases[i].v, n);
        const unsigned char *p = buf;
        uint64_t out = 12345;
        ck_assert_msg(lt_get_varint(&p, buf + n, &out) == 0, "varint of %llu does not read back", (unsigned long long)cases[i].v);
        ck_assert_msg(out == cases[i].v, "varint read back %llu, want %llu", (unsigned long long)out, (unsigned long long)cases[i].v);
        ck_assert_msg(p == buf + n, "reading the varint of %llu consumed %td bytes, want %zu",
                      (unsigned long long)cases[i].v, p - buf, n);
    }
    /* the exact LEB128 bytes */
    unsigned char b[16];
    ck_assert_uint_eq(lt_put_varint(b, 127), 1);
    ck_assert_uint_eq(b[0], 0x7f);
    ck_assert_uint_eq(lt_put_varint(b, 128), 2);
    ck_assert_msg(b[0] == 0x80 && b[1] == 0x01, "128 encodes as %02x %02x, want 80 01", b[0], b[1]);
    ck_assert_uint_eq(lt_put_varint(b, 300), 2);
    ck_assert_msg(b[0] == 0xac && b[1] == 0x02, "300 encodes as %02x %02x, want ac 02", b[0], b[1]);
    ck_assert_uint_eq(lt_put_varint(b, UINT64_MAX), 10);
    for (int i = 0; i < 9; i++) ck_assert_msg(b[i] == 0xff, "UINT64_MAX byte %d is %02x, want ff", i, b[i]);
    ck_assert_msg(b[9] == 0x01, "UINT64_MAX last byte is %02x, want 01", b[9]);
}
END_TEST

START_TEST(test_varint_random_stream)
{
    /* 50,000 values of every bit length, back to back in one buffer. */
    enum { N = 50000 };
    ut_rng_t rng;
    ut_rng_seed(&rng, 42);
    uint64_t *vals = malloc(N * sizeof *vals);
    unsigned char *buf = malloc(N * 10);
    ck_assert_ptr_nonnull(vals);
    ck_assert_ptr_nonnull(buf);
    size_t len = 0;
    for (int i = 0; i < N; i++) {
        unsigned bits = (unsigned)ut_rng_below(&rng, 65);
        uint64_t v = bits == 0 ? 0 : bits == 64 ? ut_rng_next(&rng) : ut_rng_next(&rng) >> (64 - bits);
        vals[i] = v;
        len += lt_put_varint(buf + len, v);
    }
    const unsigned char *p = buf, *end = buf + len;
    for (int i = 0; i < N; i++) {
        uint64_t v;
        ck_assert_msg(lt_get_varint(&p, end, &v) == 0, "value %d does not read back", i);
        ck_assert_msg(v == vals[i], "value %d read back as %llu, want %llu", i, (unsigned long long)v, (unsigned long long)vals[i]);
    }
    ck_assert_msg(p == end, "%td bytes left after reading every value", end - p);
    free(vals);
    free(buf);
}
END_TEST

START_TEST(test_zigzag_round_trip_edge_values)
{
    static const struct { int64_t v; uint64_t z; } cases[] = {
        { 0, 0 }, { -1, 1 }, { 1, 2 }, { -2, 3 }, { 2, 4 }, { 63, 126 }, { -64, 127 }, { 64, 128 },
        { INT32_MAX, 4294967294ull }, { INT32_MIN, 4294967295ull },
        { INT64_MAX, UINT64_MAX - 1 }, { INT64_MIN, UINT64_MAX }, { INT64_MIN + 1, UINT64_MAX - 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t z = lt_zigzag(cases[i].v);
        ck_assert_msg(z == cases[i].z, "zigzag(%lld) = %llu, want %llu", (long long)cases[i].v,
                      (unsigned long long)z, (unsigned long long)cases[i].z);
        ck_assert_msg(lt_unzigzag(z) == cases[i].v, "unzigzag(%llu) = %lld, want %lld", (unsigned long long)z,
                      (long long)lt_unzigzag(z), (long long)cases[i].v);
        /* and through a varint */
        unsigned char b[16];
        size_t n = lt_put_varint(b, z);
        const unsigned char *p = b;
        uint64_t back;
        ck_assert_int_eq(lt_get_varint(&p, b + n, &back), 0);
        ck_assert_msg(lt_unzigzag(back) == cases[i].v, "zigzag varint of %lld does not round trip", (long long)cases[i].v);
    }
    ut_rng_t rng;
    ut_rng_seed(&rng, 7);
    for (int i = 0; i < 100000; i++) {
        int64_t v = (int64_t)ut_rng_next(&rng) >> ut_rng_below(&rng, 64);
        ck_assert_msg(lt_unzigzag(lt_zigzag(v)) == v, "zigzag does not round trip %lld", (long long)v);
    }
}
END_TEST

START_TEST(test_varint_rejects_truncated_input)
{
    static const unsigned char one[] = { 0x80 };
    static const unsigned char two[] = { 0xff, 0xff };
    static const unsigned char nine[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }; /* UINT64_MAX minus its last byte */
    static const struct { const unsigned char *p; size_t n; } cases[] = {
        { one, 0 }, { one, 1 }, { two, 2 }, { nine, 9 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const unsigned char *p = cases[i].p;
        uint64_t out = 0x5a5a;
        ck_assert_msg(lt_get_varint(&p, cases[i].p + cases[i].n, &out) == -1, "a %zu-byte truncated varint was accepted", cases[i].n);
        ck_assert_msg(p == cases[i].p, "a rejected varint moved the read pointer");
        ck_assert_msg(out == 0x5a5a, "a rejected varint wrote its output");
    }
    /* An end pointer that cuts a valid varint short. */
    unsigned char b[16];
    size_t n = lt_put_varint(b, 1ull << 40);
    for (size_t cut = 0; cut < n; cut++) {
        const unsigned char *p = b;
        uint64_t out;
        ck_assert_msg(lt_get_varint(&p, b + cut, &out) == -1, "varint of 2^40 cut to %zu of %zu bytes was accepted", cut, n);
    }
}
END_TEST

/* lt_get_varint has three paths: one byte, ten or more bytes left (no bound
 * check per byte) and fewer than ten left. Every value of every length must
 * read the same through each, and bytes past the varint must not matter. */
START_TEST(test_varint_fast_and_bounded_paths_agree)
{
    uint64_t x = 0x243f6a8885a308d3ull;
    for (int len = 1; len <= 10; len++) {
        for (int k = 0; k < 200; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            /* a value that needs exactly len bytes */
            uint64_t v = len == 10 ? (x | 1ull << 63) : (x & ((1ull << (7 * len)) - 1)) | (1ull << (7 * (len - 1)));
            if (len == 1) v = x & 0x7f;
            unsigned char buf[32];
            memset(buf, k & 1 ? 0xff : 0x00, sizeof buf);   /* continuation bits or not after it */
            size_t n = lt_put_varint(buf, v);
            ck_assert_msg((int)n == len, "value %llu takes %zu bytes, want %d", (unsigned long long)v, n, len);
            size_t ends[] = { n, n + 1, 10, sizeof buf };
            for (size_t e = 0; e < sizeof ends / sizeof ends[0]; e++) {
                if (ends[e] < n) continue;
                const unsigned char *p = buf;
                uint64_t out = 0;
                ck_assert_msg(lt_get_varint(&p, buf + ends[e], &out) == 0, "%d-byte varint with %zu bytes left not read", len, ends[e]);
                ck_assert_msg(out == v && p == buf + n, "%d-byte varint with %zu bytes left: read %llu over %td bytes, want %llu over %zu",
                              len, ends[e], (unsigned long long)out, p - buf, (unsigned long long)v, n);
            }
            /* cut one byte short: rejected, pointer and output unchanged */
            const unsigned char *p = buf;
            uint64_t out = 5;
            if (n > 1) {
                ck_assert_msg(lt_get_varint(&p, buf + n - 1, &out) == -1, "%d-byte varint cut short was accepted", len);
                ck_assert_msg(p == buf && out == 5, "a rejected cut varint changed the pointer or the output");
            }
        }
    }
    /* empty input, both paths' neighbour */
    const unsigned char z = 0, *p = &z;
    uint64_t out = 9;
    ck_assert_int_eq(lt_get_varint(&p, &z, &out), -1);
    ck_assert_msg(p == &z && out == 9, "reading empty input changed the pointer or the output");
}
END_TEST

START_TEST(test_varint_rejects_over_long_input)
{
    /* 11 bytes: ten continuation bytes then a terminator. */
    unsigned char b[16];
    memset(b, 0x80, 10);
    b[10] = 0x00;
    const unsigned char *p = b;
    uint64_t out = 77;
    ck_assert_msg(lt_get_varint(&p, b + 11, &out) == -1, "an 11-byte varint was accepted");
    ck_assert_msg(p == b && out == 77, "a rejected 11-byte varint changed the pointer or the output");
    memset(b, 0xff, 11);
    b[11] = 0x01;
    p = b;
    ck_assert_msg(lt_get_varint(&p, b + 12, &out) == -1, "a 12-byte varint was accepted");
    /* Ten bytes is the most a 64-bit value needs, and is accepted (also
     * non-minimal forms, which the format does not forbid). */
    memset(b, 0x80, 9);
    b[9] = 0x01;
    p = b;
    ck_assert_int_eq(lt_get_varint(&p, b + 10, &out), 0);
    ck_assert_msg(out == 1ull << 63, "9 x 0x80 + 0x01 read as %llu, want 2^63", (unsigned long long)out);
    ck_assert_ptr_eq(p, b + 10);
    b[0] = 0x80; b[1] = 0x00;
    p = b;
    ck_assert_int_eq(lt_get_varint(&p, b + 2, &out), 0);
    ck_assert_uint_eq(out, 0);
}
END_TEST

START_TEST(test_chunk_header_pack_and_check)
{
    /* FNV-1a 32 reference values */
    ck_assert_uint_eq(lt_fnv1a32("", 0), 0x811c9dc5u);
    ck_assert_uint_eq(lt_fnv1a32("a", 1), 0xe40c292cu);
    ck_assert_uint_eq(lt_fnv1a32("foobar", 6), 0xbf9cf968u);

    unsigned char h[LT_CHUNK_HDR_LEN];
    lt_chunk_hdr_pack(h, 0x01020304u, 0x0a0b0c0du, 7, LT_CHUNK_F_FINAL);
    static const unsigned char want[20] = {
        'L', 'T', 'C', 'K',            /* LT_CHUNK_MAGIC, little endian */
        0x04, 0x03, 0x02, 0x01,        /* payload_len */
        0x0d, 0x0c, 0x0b, 0x0a,        /* raw_len */
        0x07, 0x00, 0x00, 0x00,        /* index */
        0x01, 0x00, 0x00, 0x00,        /* flags */
    };
    ck_assert_mem_eq(h, want, 20);
    ck_assert_uint_eq(lt_get_u32(h), LT_CHUNK_MAGIC);
    ck_assert_uint_eq(lt_get_u32(h + 20), lt_fnv1a32(h, 20));
    ck_assert_uint_eq(lt_get_u32(h + 20), lt_fnv1a32(want, 20));
    /* any single-byte change of bytes 0..19 changes the check */
    for (int i = 0; i < 20; i++) {
        unsigned char c[LT_CHUNK_HDR_LEN];
        memcpy(c, h, sizeof c);
        c[i] ^= 0x01;
        ck_assert_msg(lt_fnv1a32(c, 20) != lt_get_u32(h + 20), "flipping bit 0 of header byte %d keeps the check", i);
    }
    /* little-endian helpers */
    unsigned char b[4];
    lt_put_u16(b, 0xbeef);
    ck_assert_msg(b[0] == 0xef && b[1] == 0xbe, "u16 0xbeef stored as %02x %02x", b[0], b[1]);
    ck_assert_uint_eq(lt_get_u16(b), 0xbeef);
    lt_put_u32(b, 0xfedcba98u);
    ck_assert_uint_eq(lt_get_u32(b), 0xfedcba98u);
    ck_assert_uint_eq(b[0], 0x98);
}
END_TEST

/* ========================================================================
 * encoder -> decoder
 * ======================================================================== */

static void fill_ips(uint64_t *ips, uint32_t depth, uint64_t base)
{
    for (uint32_t i = 0; i < depth; i++)
        ips[i] = base + (i % 2 ? 0x1000 * i : (uint64_t)0 - 0x40 * i); /* frames go both up and down */
}

START_TEST(test_roundtrip_every_record_type)
{
    model_t m;
    m_init(&m);
    uint64_t ips64[64], ip1 = 0x55555555a123;
    fill_ips(ips64, 64, 0x7f0011223344ull);

    m_segment(&m, 4242);
    m_stack(&m, 0, 0, &ip1, 1);
    m_alloc(&m, 0, 1000, 0x555555559000, 24, 0, LT_FN_MALLOC);
    m_stack(&m, 1, 3, ips64, 64);
    m_alloc(&m, 1, 1500, 0x555555559040, 4096, 1, LT_FN_CALLOC);
    m_pad(&m, 17);
    m_freerec(&m, 2, 1700, 0x555555559000);
    m_realloc(&m, 3, 4, 2000, 0x555555559040, 0x7fffe0001000, 1 << 20, 1, LT_FN_REALLOC);
    m_nop(&m, 5);
    m_alloc(&m, 6, 2000, 0x7fffe0201000, 0, STACK_NONE, LT_FN_POSIX_MEMALIGN); /* same ts, no stack */
    for (unsigned fn = 0; fn < LT_FN_COUNT; fn++)
        m_alloc(&m, 7 + fn, 3000 + fn, 0x10000 + 0x100 * fn, fn * 8 + 1, 1, fn);
    m_realloc(&m, 100, 100 + 1000000, 5000, 0x10000, 0x10000, 7, 0, LT_FN_REALLOCARRAY); /* in place, far seq2 */
    m_pad(&m, 1);
    m_freerec(&m, 2000000, UINT64_MAX, 0x10000);   /* ts and seq jump far */
    m_alloc(&m, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT32_MAX - 1, 255);

    check_decodes_to(m.e.buf, m.e.len, &m);
    m_free(&m);
}
END_TEST

START_TEST(test_encoder_returns_ring_record_sizes)
{
    lt_enc_t e;
    ut_enc_init(&e);
    uint64_t w[UT_RING_MAX_WORDS], ips[256];
    fill_ips(ips, 256, 0x400000);
    lt_enc_segment(&e, 1);
    unsigned n;
    n = ut_ring_alloc(w, 1, 2, 3, 4, 5, 0);
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(lt_enc_ring_record(&e, w), n);
    n = ut_ring_free(w, 2, 3, 3);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(lt_enc_ring_record(&e, w), n);
    n = ut_ring_realloc(w, 3, 4, 5, 6, 7, 8, 9, 2);
    ck_assert_uint_eq(n, 8);
    ck_assert_uint_eq(lt_enc_ring_record(&e, w), n);
    n = ut_ring_nop(w, 5);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(lt_enc_ring_record(&e, w), n);
    for (uint32_t d = 0; d <= 256; d += 64) {
        ut_enc_room(&e, LT_ENC_MAX_RECORD);
        size_t before = e.len;
        n = ut_ring_stack(w, d, 0, ips, d);
        ck_assert_uint_eq(n, 3 + d);
        ck_assert_uint_eq(lt_enc_ring_record(&e, w), n);
        ck_assert_msg(e.len - before <= LT_ENC_MAX_RECORD, "STACK of depth %u took %zu bytes, more than LT_ENC_MAX_RECORD",
                      d, e.len - before);
    }
    /* PAD: any size, no bytes, the state untouched */
    static const unsigned pads[] = { 1, 2, 100, LT_RING_WORDS - 1 };
    for (size_t i = 0; i < sizeof pads / sizeof pads[0]; i++) {
        uint64_t *pw = calloc(pads[i], sizeof *pw);
        ck_assert_ptr_nonnull(pw);
        ut_ring_pad(pw, pads[i]);
        lt_enc_t before = e;
        ck_assert_uint_eq(lt_enc_ring_record(&e, pw), pads[i]);
        ck_assert_msg(e.len == before.len && e.prev_seq == before.prev_seq && e.prev_ts == before.prev_ts &&
                      e.prev_addr == before.prev_addr && e.in_segment == before.in_segment,
                      "PAD of %u words changed the encoder", pads[i]);
        free(pw);
    }
    ut_enc_free(&e);
}
END_TEST

START_TEST(test_roundtrip_addresses_going_down)
{
    model_t m;
    m_init(&m);
    m_segment(&m, 9);
    /* every address below the previous one: negative zigzag deltas */
    uint64_t addr = 0x7ffff7a00000ull;
    for (int i = 0; i < 50; i++) {
        m_alloc(&m, (uint64_t)i, (uint64_t)i * 10, addr, 32, 0, 0);
        addr -= 0x40 + (uint64_t)i * 0x1000;
    }
    /* extremes: wrap-around distances both ways */
    m_alloc(&m, 100, 1000, UINT64_MAX - 15, 1, 0, 0);
    m_freerec(&m, 101, 1001, 16);                       /* down by almost 2^64 */
    m_freerec(&m, 102, 1002, UINT64_MAX);               /* up by almost 2^64 */
    m_freerec(&m, 103, 1003, 0);
    m_freerec(&m, 104, 1004, 0x8000000000000000ull);   /* INT64_MIN as a delta */
    m_freerec(&m, 105, 1005, 0);
    /* realloc moving down, then one moving up, then an alloc relative to the new block */
    m_realloc(&m, 106, 107, 1006, 0x7f0000100000, 0x555555600000, 64, 0, LT_FN_REALLOC);
    m_realloc(&m, 108, 109, 1007, 0x555555600000, 0x7f0000300000, 128, 0, LT_FN_REALLOC);
    m_alloc(&m, 110, 1008, 0x7f00002fff00, 16, 0, 0);
    check_decodes_to(m.e.buf, m.e.len, &m);
    m_free(&m);
}
END_TEST

START_TEST(test_roundtrip_two_segments_two_threads)
{
    model_t m;
    m_init(&m);
    m_segment(&m, 101);
    m_alloc(&m, 10, 5000, 0x1000, 8, 0, 0);
    m_alloc(&m, 12, 5100, 0x2000, 8, 0, 0);
    size_t seg2 = m.e.len;
    m_segment(&m, 202);
    /* a lower seq, ts and address than the first thread left: state was reset */
    m_alloc(&m, 11, 4000, 0x1800, 16, 1, 1);
    m_freerec(&m, 13, 5200, 0x1000);      /* frees thread 101's block */
    m_segment(&m, UINT32_MAX);
    m_nop(&m, 14);
    m_segment(&m, 101);                   /* the first thread again, in a new segment */
    m_freerec(&m, 15, 6000, 0x2000);
    check_decodes_to(m.e.buf, m.e.len, &m);

    /* A segment's bytes do not depend on what came before it. */
    lt_enc_t alone;
    ut_enc_init(&alone);
    uint64_t w[UT_RING_MAX_WORDS];
    lt_enc_segment(&alone, 202);
    ut_ring_alloc(w, 11, 4000, 0x1800, 16, 1, 1);
    lt_enc_ring_record(&alone, w);
    ut_ring_free(w, 13, 5200, 0x1000);
    lt_enc_ring_record(&alone, w);
    ck_assert_msg(memcmp(m.e.buf + seg2, alone.buf, alone.len) == 0,
                  "the second segment encodes differently after another segment than alone");
    ut_enc_free(&alone);
    m_free(&m);
}
END_TEST

START_TEST(test_roundtrip_side_records_and_unknown_tags)
{
    model_t m;
    m_init(&m);
    ut_buf_t proc = { 0 }, mod = { 0 }, unmod = { 0 }, end = { 0 };
    ut_buf_kv(&proc, "pid", "1234", 4);
    ut_buf_kv(&proc, "argv", "a\0b c\0", 6);
    ut_buf_varint(&mod, 0); ut_buf_varint(&mod, 0x7f0000000000); ut_buf_varint(&mod, 1);
    ut_buf_varint(&mod, 0); ut_buf_varint(&mod, 0x1000); ut_buf_varint(&mod, 5);
    ut_buf_lstr(&mod, "\x01\x02\x03", 3);
    ut_buf_lstr(&mod, "/lib/libx.so", 12);
    ut_buf_varint(&unmod, 1); ut_buf_varint(&unmod, 0x7f0000000000);
    ut_buf_varint(&end, LT_END_EXIT); ut_buf_varint(&end, lt_zigzag(-3)); ut_buf_varint(&end, 99);
    ut_buf_varint(&end, 7); ut_buf_varint(&end, 0);
    unsigned char big[1000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7);

    /* side records before any segment are fine */
    m_side(&m, LT_REC_PROCESS, proc.p, proc.len);
    m_side(&m, 0xf7, "future record", 13);           /* unknown: skipped */
    m_side(&m, LT_REC_MODULE, mod.p, mod.len);
    m_segment(&m, 5);
    m_alloc(&m, 0, 100, 0x5000, 10, 0, 0);
    /* side records inside a segment do not disturb its delta state */
    m_side(&m, LT_REC_WARN, "", 0);                   /* empty payload */
    m_side(&m, 0xff, big, sizeof big);                /* unknown, 2-byte length */
    m_side(&m, 0x90, "", 0);                          /* unknown, empty */
    m_side(&m, LT_REC_MARK, big, 300);
    m_alloc(&m, 1, 150, 0x5100, 20, 0, 0);
    m_side(&m, LT_REC_UNMODULE, unmod.p, unmod.len);
    m_freerec(&m, 2, 160, 0x5000);
    m_side(&m, LT_REC_END, end.p, end.len);
    m_side(&m, 0xf7, big, 200);                       /* unknown last record */
    check_decodes_to(m.e.buf, m.e.len, &m);

    /* the payload pointers point into the buffer, right after the length */
    lt_payload_t pl;
    lt_rec_t r;
    lt_err_t err;
    lt_payload_init(&pl, m.e.buf, m.e.len);
    ck_assert_int_eq(lt_payload_next(&pl, &r, &err), 1);
    ck_assert_int_eq(r.type, LT_REC_PROCESS);
    ck_assert_ptr_eq(r.payload, m.e.buf + 2);
    ut_buf_free(&proc); ut_buf_free(&mod); ut_buf_free(&unmod); ut_buf_free(&end);
    m_free(&m);
}
END_TEST

START_TEST(test_timestamp_going_back_is_clamped)
{
    /* encode.c clamps a clock that goes back: the decoded ts never wraps
     * to a huge value and never decreases within a segment. */
    model_t m;
    m_init(&m);
    m_segment(&m, 1);
    m_alloc(&m, 0, 1000, 0x100, 1, 0, 0);
    m_alloc(&m, 1, 900, 0x200, 1, 0, 0);   /* decodes as 1000 */
    m_freerec(&m, 2, 1100, 0x100);         /* 1100 */
    m_nop(&m, 3);
    m_realloc(&m, 4, 5, 50, 0x200, 0x300, 2, 0, 2); /* 1100 */
    check_decodes_to(m.e.buf, m.e.len, &m);
    ck_assert_uint_eq(m.x[1].ts, 1000);
    ck_assert_uint_eq(m.x[4].ts, 1100);
    m_free(&m);
}
END_TEST

START_TEST(test_tsc_timestamps_converted_to_ns)
{
    /* With ns_per_tick set (invariant TSC), ring timestamps are ticks and
     * the encoder writes ns since tsc0; otherwise it writes them as given. */
    lt_enc_t e;
    ut_enc_init(&e);
    e.tsc0 = 1000000;
    e.ns_per_tick = 0.25;
    static const uint64_t ticks[] = { 1000000, 1000004, 1004000, 1003999, 5000000000ull };
    static const uint64_t want_ns[] = { 0, 1, 1000, 1000 /* clamped: 999.75 < 1000 */, 1249750000ull };
    uint64_t w[UT_RING_MAX_WORDS];
    lt_enc_segment(&e, 1);
    for (size_t i = 0; i < 5; i++) {
        ut_ring_alloc(w, i, ticks[i], 0x1000 + i * 16, 8, 0, 0);
        lt_enc_ring_record(&e, w);
    }
    lt_payload_t pl;
    lt_rec_t r;
    lt_err_t err;
    lt_payload_init(&pl, e.buf, e.len);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(lt_payload_next(&pl, &r, &err), 1);
        ck_assert_msg(r.ts == want_ns[i], "tick %llu decoded as %llu ns, want %llu", (unsigned long long)ticks[i],
                      (unsigned long long)r.ts, (unsigned long long)want_ns[i]);
    }
    ck_assert_int_eq(lt_payload_next(&pl, &r, &err), 0);
    ut_enc_free(&e);
}
END_TEST

/* Ticks go straight to whole quanta of ts_quantum ns (no division per
 * event): the times are the ns times rounded down, as without ticks. */
START_TEST(test_tsc_timestamps_rounded_to_the_quantum)
{
    lt_enc_t e;
    ut_enc_init(&e);
    e.tsc0 = 1000;
    e.ns_per_tick = 0.5;
    e.ts_quantum = 100;
    static const uint64_t ticks[] = { 1000, 1199, 1200, 1399, 1400, 3000001 };
    static const uint64_t want_ns[] = { 0, 0, 100, 100, 200, 1499500 };
    uint64_t w[UT_RING_MAX_WORDS];
    lt_enc_segment(&e, 1);
    for (size_t i = 0; i < 6; i++) {
        ut_ring_free(w, i, ticks[i], 0x1000 + i * 16);
        lt_enc_ring_record(&e, w);
    }
    lt_payload_t pl;
    lt_rec_t r;
    lt_err_t err = { 0 };
    lt_payload_init(&pl, e.buf, e.len);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_int_eq(lt_payload_next(&pl, &r, &err), 1);
        ck_assert_msg(r.ts == want_ns[i], "tick %llu decoded as %llu ns, want %llu", (unsigned long long)ticks[i],
                      (unsigned long long)r.ts, (unsigned long long)want_ns[i]);
    }
    ut_enc_free(&e);
}
END_TEST

/* A random but deterministic mix of every kind of record, as several
 * threads' segments. Returns through m. */
static void build_random_model(model_t *m, uint64_t seed, size_t nrec)
{
    ut_rng_t rng;
    ut_rng_seed(&rng, seed);
    enum { NT = 5 };
    uint64_t seq[NT], ts[NT], addr[NT];
    for (int t = 0; t < NT; t++) { seq[t] = ut_rng_below(&rng, 1000); ts[t] = 0; addr[t] = 0x555555550000ull + 0x100000ull * (uint64_t)t; }
    uint32_t next_stack = 0;
    uint64_t ips[256];
    size_t done = 0;
    while (done < nrec) {
        int t = (int)ut_rng_below(&rng, NT);
        m_segment(m, 1000 + (uint32_t)t * 7);
        size_t run = 1 + ut_rng_below(&rng, 200);
        for (size_t k = 0; k < run && done < nrec; k++, done++) {
            seq[t] += 1 + (ut_rng_below(&rng, 4) == 0 ? ut_rng_below(&rng, 100000) : 0);
            uint64_t r = ut_rng_below(&rng, 100);
            ts[t] += r < 10 ? 0 : r < 95 ? ut_rng_below(&rng, 5000) : ut_rng_below(&rng, 1ull << 40);
            /* addresses mostly near each other, sometimes anywhere */
            uint64_t a = ut_rng_below(&rng, 50) == 0 ? ut_rng_next(&rng)
                                                     : addr[t] + (ut_rng_below(&rng, 1 << 20) - (1 << 19)) * 16;
            uint64_t size = ut_rng_below(&rng, 100) == 0 ? ut_rng_next(&rng) : ut_rng_below(&rng, 1 << 16);
            uint32_t stack = next_stack && ut_rng_below(&rng, 50) ? (uint32_t)ut_rng_below(&rng, next_stack) : STACK_NONE;
            unsigned fn = (unsigned)ut_rng_below(&rng, LT_FN_COUNT);
            switch (ut_rng_below(&rng, 12)) {
            case 0: case 1: case 2: case 3:
                m_alloc(m, seq[t], ts[t], a, size, stack, fn);
                addr[t] = a;
                break;
            case 4: case 5: case 6:
                m_freerec(m, seq[t], ts[t], a);
                addr[t] = a;
                break;
            case 7: case 8: {
                uint64_t na = ut_rng_below(&rng, 3) == 0 ? a : a + (ut_rng_below(&rng, 1 << 24) - (1 << 23)) * 16;
                uint64_t s2 = seq[t] + 1 + ut_rng_below(&rng, 1000);
                m_realloc(m, seq[t], s2, ts[t], a, na, size, stack, fn);
                seq[t] = s2;
                addr[t] = na;
                break;
            }
            case 9:
                m_nop(m, seq[t]);
                break;
            case 10: {
                uint32_t depth = (uint32_t)ut_rng_below(&rng, 257);
                for (uint32_t i = 0; i < depth; i++)
                    ips[i] = ut_rng_below(&rng, 8) == 0 ? ut_rng_next(&rng) : 0x7f0000000000ull + ut_rng_below(&rng, 1u << 30);
                m_stack(m, next_stack++, (uint32_t)ut_rng_below(&rng, 4), ips, depth);
                break;
            }
            default:
                m_pad(m, 1 + (unsigned)ut_rng_below(&rng, 64));
                break;
            }
        }
    }
}

static int decode_bytes(const unsigned char *p, size_t n, size_t *nrec, lt_err_t *err);

/* Format 1.2: a free (or realloc) of a block allocated among the segment's
 * last LT_ADDR_HIST allocations is written as a back reference; anything
 * else keeps the address form; both decode to the same addresses. */
START_TEST(test_free_and_realloc_refer_back_to_recent_allocations)
{
    model_t m;
    m_init(&m);
    m_segment(&m, 5);
    uint64_t seq = 0;
    m_alloc(&m, seq++, 10, 0x5000, 16, 0, LT_FN_MALLOC);
    m_alloc(&m, seq++, 20, 0x6000, 32, 0, LT_FN_MALLOC);
    m_alloc(&m, seq++, 30, 0x7000, 48, 0, LT_FN_MALLOC);
    size_t at = m.e.len;
    m_freerec(&m, seq++, 40, 0x6000);                   /* 2 allocations back */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_BACK);
    ck_assert_uint_eq(m.e.buf[at + 3], 2);
    at = m.e.len;
    m_realloc(&m, seq, seq + 1, 50, 0x7000, 0x9000, 64, 0, LT_FN_REALLOC);
    seq += 2;
    ck_assert_uint_eq(m.e.buf[at], LT_REC_REALLOC2);
    ck_assert_uint_eq(m.e.buf[at + 6], 1);              /* the old block: 1 allocation back */
    at = m.e.len;
    m_freerec(&m, seq++, 60, 0x9000);                   /* the realloc's new block: 1 back */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_BACK);
    at = m.e.len;
    m_freerec(&m, seq++, 70, 0xabc000);                 /* never allocated here */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE);
    at = m.e.len;
    m_freerec(&m, seq++, 80, 0x7000);                   /* freed again: still just an address */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_BACK);
    ck_assert_uint_eq(m.e.buf[at + 3], 2);              /* 0x7000 was allocation 2 of 4 */
    /* A new segment forgets the history. */
    m_segment(&m, 6);
    at = m.e.len;
    m_freerec(&m, seq++, 90, 0x5000);
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE);
    /* Only the last LT_ADDR_HIST allocations can be referred to. */
    for (uint64_t i = 0; i < LT_ADDR_HIST + 5; i++) {
        ut_enc_room(&m.e, 4 * LT_ENC_MAX_RECORD);
        m_alloc(&m, seq++, 100 + i, 0x100000 + 64 * i, 48, 1, LT_FN_MALLOC);
    }
    at = m.e.len;
    m_freerec(&m, seq++, 5000, 0x100000);              /* too old */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE);
    at = m.e.len;
    m_freerec(&m, seq++, 5001, 0x100000 + 64 * 5);     /* exactly LT_ADDR_HIST back */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_BACK);
    at = m.e.len;
    m_freerec(&m, seq++, 5002, 0x100000 + 64 * (LT_ADDR_HIST + 4));
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_BACK);
    check_decodes_to(m.e.buf, m.e.len, &m);
    m_free(&m);
}
END_TEST

/* The fields of the event record at off that name addresses, from any of
 * its forms (long, or 1.5's short forms). */
typedef struct {
    int kind;           /* LT_REC_ALLOC, LT_REC_FREE or LT_REC_REALLOC */
    int short_form;     /* a 1.5 short form (dseq 1, dts 0 implied) */
    uint64_t ref;       /* allocation: 0 carve, n >= 1 free-list entry n - 1, LT_REF_CARVE1 carve 1 */
    uint64_t delta;     /* allocation with ref 0 or LT_REF_CARVE1, realloc with new 1 or LT_NEW_CARVE1: zz (addr - carve) */
    uint64_t back;      /* free: allocations back, 0 for an address */
    uint64_t old, nw;   /* realloc: as in REALLOC2 */
    size_t len;         /* bytes of the record */
} evf_t;

static uint64_t evf_v(const unsigned char **p, const unsigned char *end)
{
    uint64_t v;
    ck_assert_int_eq(lt_get_varint(p, end, &v), 0);
    return v;
}

static evf_t event_fields(const lt_enc_t *e, size_t off)
{
    const unsigned char *p = e->buf + off, *end = e->buf + e->len;
    evf_t f = { 0 };
    unsigned tag = *p++;
    if (tag >= LT_REC_MALLOC_S && tag <= LT_REC_MALLOC_S_CARVE1) {
        f.kind = LT_REC_ALLOC;
        f.short_form = 1;
        evf_v(&p, end);
        evf_v(&p, end);
        f.ref = tag == LT_REC_MALLOC_S_CARVE ? 0 : tag >= LT_REC_MALLOC_S_C1 ? LT_REF_CARVE1 : tag - LT_REC_MALLOC_S;
        if (tag == LT_REC_MALLOC_S || tag == LT_REC_MALLOC_S_C1) f.delta = evf_v(&p, end);
    } else if (tag == LT_REC_ALLOC2) {
        f.kind = LT_REC_ALLOC;
        for (int i = 0; i < 4; i++) evf_v(&p, end);
        p++; /* fn */
        f.ref = evf_v(&p, end);
        if (f.ref == 0 || f.ref == LT_REF_CARVE1) f.delta = evf_v(&p, end);
    } else if (tag >= LT_REC_FREE_RECENT && tag <= LT_REC_FREE_RECENT_LAST) {
        f.kind = LT_REC_FREE;
        f.short_form = 1;
        f.back = tag - LT_REC_FREE_RECENT + 1u;
    } else if (tag == LT_REC_FREE_BACK_S || tag == LT_REC_FREE_S) {
        f.kind = LT_REC_FREE;
        f.short_form = 1;
        uint64_t v = evf_v(&p, end);
        if (tag == LT_REC_FREE_BACK_S) f.back = v;
    } else if (tag == LT_REC_FREE_BACK || tag == LT_REC_FREE) {
        f.kind = LT_REC_FREE;
        evf_v(&p, end);
        evf_v(&p, end);
        uint64_t v = evf_v(&p, end);
        if (tag == LT_REC_FREE_BACK) f.back = v;
    } else {
        ck_assert_msg(tag == LT_REC_REALLOC2 || tag == LT_REC_REALLOC_S, "record 0x%02x at %zu", tag, off);
        f.kind = LT_REC_REALLOC;
        f.short_form = tag == LT_REC_REALLOC_S;
        for (int i = f.short_form ? 3 : 0; i < 5; i++) evf_v(&p, end);
        f.old = evf_v(&p, end);
        if (f.old == 0) evf_v(&p, end);
        f.nw = evf_v(&p, end);
        if (f.nw == 1 || f.nw == LT_NEW_CARVE1) f.delta = evf_v(&p, end);
    }
    f.len = (size_t)(p - (e->buf + off));
    return f;
}

/* Format 1.4: an allocation of a block freed earlier in the segment names
 * its place in the free list of its size class, one that no list explains
 * is coded against where the last fresh block ended (lt_carve_next). */
START_TEST(test_allocations_refer_to_free_lists_and_the_carve)
{
    model_t m;
    m_init(&m);
    m_segment(&m, 5);
    uint64_t seq = 0;
    size_t at = m.e.len;
    m_alloc(&m, seq++, 0, 0x10000, 40, 0, LT_FN_MALLOC);        /* fresh: zz(0x10000 - 0) */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_ALLOC2);              /* seq 0: dseq is not 1 */
    ck_assert_uint_eq(event_fields(&m.e, at).ref, 0);           /* ref 0: an address follows */
    ck_assert_uint_eq(event_fields(&m.e, at).delta, lt_zigzag(0x10000));
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x10030, 20, 0, LT_FN_MALLOC);        /* 0x10000 + chunk of 40 (48) */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_MALLOC_S_CARVE);      /* exactly the carve: no delta */
    ck_assert_uint_eq(m.e.len, at + 3);
    m_alloc(&m, seq++, 0, 0x10050, 20, 0, LT_FN_MALLOC);        /* chunk of 20 is 32 */
    ck_assert_uint_eq(m.e.buf[m.e.len - 3], LT_REC_MALLOC_S_CARVE);
    m_freerec(&m, seq++, 0, 0x10000);                           /* 40 bytes: bin of 33..40 */
    m_freerec(&m, seq++, 0, 0x10030);                           /* 20 bytes: bin 0 */
    m_freerec(&m, seq++, 0, 0x10050);                           /* bin 0, newest */
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x10030, 24, 0, LT_FN_MALLOC);        /* bin 0, second newest */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_MALLOC_S + 2);
    ck_assert_uint_eq(m.e.len, at + 3);                         /* no address at all */
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x10050, 1, 0, LT_FN_MALLOC);         /* bin 0, now the only entry */
    ck_assert_uint_eq(event_fields(&m.e, at).ref, 1);
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x10050, 1, 0, LT_FN_MALLOC);         /* taken: bin 0 is empty now */
    ck_assert_uint_eq(event_fields(&m.e, at).ref, 0);
    ck_assert_uint_eq(m.e.buf[at], LT_REC_MALLOC_S);            /* not the carve: a delta follows */
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x10000, 48, 0, LT_FN_MALLOC);        /* 48 bytes is the next bin up */
    ck_assert_uint_eq(event_fields(&m.e, at).ref, 0);
    /* The same allocation by calloc, or a time quantum later, or not next
     * in the sequence, keeps the long form, with the same reference. */
    m_freerec(&m, seq++, 0, 0x10000);
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x10000, 48, 0, LT_FN_CALLOC);
    ck_assert_uint_eq(m.e.buf[at], LT_REC_ALLOC2);
    ck_assert_uint_eq(event_fields(&m.e, at).ref, 1);
    m_freerec(&m, seq++, 0, 0x10000);
    at = m.e.len;
    m_alloc(&m, seq += 2, 0, 0x10000, 48, 0, LT_FN_MALLOC);
    ck_assert_uint_eq(m.e.buf[at], LT_REC_ALLOC2);
    ck_assert_uint_eq(event_fields(&m.e, at).ref, 1);
    seq++;
    /* realloc: the new block from a free list, then the old block joins
     * its own size's list; in place it touches no list. */
    m_alloc(&m, seq++, 0, 0x20000, 100, 0, LT_FN_MALLOC);
    m_freerec(&m, seq++, 0, 0x20000);
    m_alloc(&m, seq++, 0, 0x30000, 16, 0, LT_FN_MALLOC);
    at = m.e.len;
    m_realloc(&m, seq, seq + 1, 0, 0x30000, 0x20000, 104, 0, LT_FN_REALLOC);
    seq += 2;
    ck_assert_uint_eq(m.e.buf[at], LT_REC_REALLOC_S);
    ck_assert_uint_eq(event_fields(&m.e, at).old, 1);           /* old: the latest allocation */
    ck_assert_uint_eq(event_fields(&m.e, at).nw, 2);            /* new: entry 0 of bin(104) */
    at = m.e.len;
    m_realloc(&m, seq, seq + 1, 0, 0x20000, 0x20000, 110, 0, LT_FN_REALLOC);
    seq += 2;
    ck_assert_uint_eq(event_fields(&m.e, at).nw, 0);            /* in place */
    at = m.e.len;
    m_realloc(&m, seq, seq + 2, 0, 0x20000, 0x20000, 120, 0, LT_FN_REALLOC);
    seq += 3;
    ck_assert_uint_eq(m.e.buf[at], LT_REC_REALLOC2);            /* dseq2 2: the long form */
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x30000, 8, 0, LT_FN_MALLOC);         /* the realloc's old block */
    ck_assert_uint_eq(event_fields(&m.e, at).ref, 1);
    /* A list holds the LT_BIN_DEPTH newest frees of its class. */
    for (uint64_t i = 0; i < LT_BIN_DEPTH + 2; i++) m_alloc(&m, seq++, 0, 0x40000 + 0x100 * i, 200, 0, LT_FN_MALLOC);
    for (uint64_t i = 0; i < LT_BIN_DEPTH + 2; i++) m_freerec(&m, seq++, 0, 0x40000 + 0x100 * i);
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x40100, 200, 0, LT_FN_MALLOC);       /* pushed out of the list */
    ck_assert_uint_eq(event_fields(&m.e, at).ref, 0);
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x40200, 200, 0, LT_FN_MALLOC);       /* the oldest still listed */
    ck_assert_uint_eq(event_fields(&m.e, at).ref, LT_BIN_DEPTH);
    ck_assert_uint_eq(m.e.buf[at], LT_REC_MALLOC_S + LT_BIN_DEPTH);
    /* A new segment starts with empty lists and the carve at 0. */
    m_segment(&m, 6);
    at = m.e.len;
    m_alloc(&m, seq++, 0, 0x40300, 200, 0, LT_FN_MALLOC);
    ck_assert_uint_eq(event_fields(&m.e, at).ref, 0);
    check_decodes_to(m.e.buf, m.e.len, &m);
    m_free(&m);
}
END_TEST

/* Format 1.8: two carves. glibc carves fresh blocks from the top of the
 * heap and from the remainder of a large free chunk far below, in turn:
 * with one carve every switch coded a delta of megabytes; with two, each
 * place keeps its own, and every block but the first of each is exactly
 * at one of them. The other forms name carve 1 too (ALLOC2's ref
 * LT_REF_CARVE1, REALLOC2's new LT_NEW_CARVE1). */
START_TEST(test_two_carves_follow_two_places)
{
    model_t m;
    m_init(&m);
    m_segment(&m, 5);
    uint64_t seq = 0, top = 0x5500000000ull, low = 0x5400100000ull;
    m_alloc(&m, seq++, 0, top, 40, 0, LT_FN_MALLOC);
    top += 48;
    m_alloc(&m, seq++, 0, low, 40, 0, LT_FN_MALLOC);          /* far: the top's carve is kept as carve 1 */
    low += 48;
    size_t at = m.e.len;
    for (int i = 0; i < 100; i++) {
        int from_low = i % 3 == 0;
        uint64_t *a = from_low ? &low : &top;
        m_alloc(&m, seq++, 0, *a, 40, 0, LT_FN_MALLOC);
        *a += 48;
    }
    /* each one a tag, a size and a stack id: no address */
    ck_assert_uint_eq(m.e.len - at, 100 * 3);
    for (size_t k = at; k < m.e.len; k += 3)
        ck_assert_msg(m.e.buf[k] == LT_REC_MALLOC_S_CARVE || m.e.buf[k] == LT_REC_MALLOC_S_CARVE1, "record at %zu: 0x%02x",
                      k, m.e.buf[k]);
    /* The last block came from low: carve 0 is low's, carve 1 the top's.
     * calloc at the top: the long form with ref LT_REF_CARVE1. */
    ck_assert_uint_eq(m.e.carves.c[0], low);
    ck_assert_uint_eq(m.e.carves.c[1], top);
    at = m.e.len;
    m_alloc(&m, seq++, 0, top, 40, 0, LT_FN_CALLOC);
    top += 48;
    ck_assert_uint_eq(m.e.buf[at], LT_REC_ALLOC2);
    ck_assert_uint_eq(event_fields(&m.e, at).ref, LT_REF_CARVE1);
    ck_assert_uint_eq(event_fields(&m.e, at).delta, 0);
    /* that block moved by realloc to low: new LT_NEW_CARVE1 */
    at = m.e.len;
    m_realloc(&m, seq, seq + 1, 0, top - 48, low, 100, 0, LT_FN_REALLOC);
    seq += 2;
    low += 112;
    ck_assert_uint_eq(event_fields(&m.e, at).nw, LT_NEW_CARVE1);
    ck_assert_uint_eq(event_fields(&m.e, at).delta, 0);
    /* near carve 1 (the top) but not on it: MALLOC_S_C1 and a delta */
    at = m.e.len;
    m_alloc(&m, seq++, 0, top + 64, 40, 0, LT_FN_MALLOC);
    ck_assert_uint_eq(m.e.buf[at], LT_REC_MALLOC_S_C1);
    ck_assert_uint_eq(event_fields(&m.e, at).delta, lt_zigzag(64));
    check_decodes_to(m.e.buf, m.e.len, &m);
    m_free(&m);
}
END_TEST

/* The carves at the ends of the address space: deltas that wrap, and the
 * largest magnitude (INT64_MIN), name the same blocks on both sides. */
START_TEST(test_carves_at_the_ends_of_the_address_space)
{
    model_t m;
    m_init(&m);
    m_segment(&m, 5);
    static const uint64_t addrs[] = { 0x8000000000000000ull, 0x10, 0xfffffffffffffff0ull, 0x8000000000000020ull,
                                      0x7ffffffffffffff0ull, 0x40, 0xffffffffffffffe0ull, 0x8000000000000000ull };
    uint64_t seq = 0;
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
            m_alloc(&m, seq++, 0, addrs[i] + (uint64_t)round * 0x1000, 24, 0, round == 1 ? LT_FN_CALLOC : LT_FN_MALLOC);
            m_freerec(&m, seq++, 0, addrs[i] + (uint64_t)round * 0x1000);
        }
    check_decodes_to(m.e.buf, m.e.len, &m);
    lt_carves_t cv = { { 0x8000000000000000ull, 0 } };
    int64_t d;
    ck_assert_uint_eq(lt_carves_pick(&cv, 0, &d), 1);
    ck_assert_int_eq(d, 0);
    ck_assert_uint_eq(lt_carves_pick(&cv, 0x8000000000000000ull, &d), 0);
    m_free(&m);
}
END_TEST

/* The free lists and the carve under a history shaped like glibc's: a LIFO
 * per size class, fresh blocks from the top of the heap, reallocs in place
 * and moving, frees of blocks allocated long ago, several segments. Most
 * allocations must come out as references, and everything decodes back. */
START_TEST(test_roundtrip_allocator_shaped_history)
{
    model_t m;
    m_init(&m);
    ut_rng_t rng;
    ut_rng_seed(&rng, 0xb1d5u + (uint64_t)_i);
    enum { NLIVE = 3000, NCLASS = 80 };
    static uint64_t live_a[NLIVE], live_s[NLIVE], lifo[NCLASS][64];
    static unsigned nlifo[NCLASS];
    size_t nlive = 0;
    memset(nlifo, 0, sizeof nlifo);
    uint64_t top = 0x555555560000ull, seq = 1, ts = 0, refs = 0, allocs = 0;
    for (int round = 0; round < 30; round++) {
        m_segment(&m, 100 + (uint32_t)(round % 3));
        for (int k = 0; k < 2000; k++) {
            ts += ut_rng_below(&rng, 3) * 10000;
            unsigned what = (unsigned)ut_rng_below(&rng, 10);
            if (nlive > 0 && (what < 4 || nlive == NLIVE)) {           /* free a random live block */
                size_t i = ut_rng_below(&rng, 4) ? nlive - 1 - ut_rng_below(&rng, nlive < 8 ? nlive : 8) : ut_rng_below(&rng, nlive);
                uint64_t a = live_a[i], s = live_s[i];
                unsigned c = lt_size_bin(s) % NCLASS;
                if (nlifo[c] < 64) lifo[c][nlifo[c]++] = a;
                live_a[i] = live_a[--nlive];
                live_s[i] = live_s[nlive];
                m_freerec(&m, seq++, ts, a);
                continue;
            }
            uint64_t s = ut_rng_below(&rng, 20) ? 1 + ut_rng_below(&rng, 600) : ut_rng_below(&rng, 1 << 20);
            unsigned c = lt_size_bin(s) % NCLASS;
            uint64_t a;
            if (nlifo[c] && ut_rng_below(&rng, 10)) {
                a = lifo[c][--nlifo[c]];
            } else if (ut_rng_below(&rng, 10)) {
                a = top;
                top = lt_carve_next(top, s);
            } else {
                a = ut_rng_next(&rng) & ~15ull;
            }
            if (what == 9 && nlive > 0) {                              /* realloc a live block */
                size_t i = ut_rng_below(&rng, nlive);
                uint64_t old = live_a[i];
                if (ut_rng_below(&rng, 3) == 0) a = old;
                else {
                    unsigned oc = lt_size_bin(live_s[i]) % NCLASS;
                    if (nlifo[oc] < 64) lifo[oc][nlifo[oc]++] = old;
                }
                m_realloc(&m, seq, seq + 1, ts, old, a, s, 0, LT_FN_REALLOC);
                seq += 2;
                live_a[i] = a;
                live_s[i] = s;
            } else {
                m_alloc(&m, seq++, ts, a, s, (uint32_t)ut_rng_below(&rng, 50), LT_FN_MALLOC);
                live_a[nlive] = a;
                live_s[nlive++] = s;
                allocs++;
                evf_t f = event_fields(&m.e, m.bound[m.nbound - 2]);
                refs += f.ref != 0 || f.delta == 0;
            }
        }
    }
    /* 9 in 10 allocations reuse a freed block or the carve; the lists miss
     * the blocks allocated too long ago (their size is unknown), pushed
     * out by depth, or of a list the segment start emptied: more than half
     * must still be references (57 % today). */
    ck_assert_msg(refs * 2 > allocs, "%llu of %llu allocations coded as references",
                  (unsigned long long)refs, (unsigned long long)allocs);
    check_decodes_to(m.e.buf, m.e.len, &m);
    m_free(&m);
}
END_TEST

START_TEST(test_back_reference_out_of_range_is_corrupt)
{
    lt_err_t err;
    size_t n;
    for (int realloc_ = 0; realloc_ < 2; realloc_++) {
        for (uint64_t back = 0; back <= 2; back++) {
            ut_buf_t b = { 0 };
            ut_buf_u8(&b, LT_REC_SEGMENT); ut_buf_varint(&b, 1);
            ut_buf_u8(&b, LT_REC_ALLOC); ut_buf_varint(&b, 0); ut_buf_varint(&b, 0); ut_buf_varint(&b, 0x5000);
            ut_buf_varint(&b, 8); ut_buf_varint(&b, 0); ut_buf_u8(&b, 0);
            size_t off = b.len;
            if (realloc_) {
                ut_buf_u8(&b, LT_REC_REALLOC_BACK);
                ut_buf_varint(&b, 1); ut_buf_varint(&b, 1); ut_buf_varint(&b, 0); ut_buf_varint(&b, back);
                ut_buf_varint(&b, 0); ut_buf_varint(&b, 16); ut_buf_varint(&b, 0);
            } else {
                ut_buf_u8(&b, LT_REC_FREE_BACK);
                ut_buf_varint(&b, 1); ut_buf_varint(&b, 0); ut_buf_varint(&b, back);
            }
            int rc = decode_bytes(b.p, b.len, &n, &err);
            if (back == 1) {
                ck_assert_int_eq(rc, 0);
                ck_assert_uint_eq(n, 2);
            } else {
                ck_assert_int_eq(rc, -LT_E_CORRUPT);
                ck_assert_uint_eq(n, 1);
                ck_assert_int_eq(err.offset, (long long)off);
                ck_assert_msg(strstr(err.msg, "back") != NULL, "message: %s", err.msg);
            }
            ut_buf_free(&b);
        }
    }
}
END_TEST

/* Format 1.5: a free that is next in its thread's sequence within the same
 * time quantum has a short form: the tag alone for the 32 latest
 * allocations, else the back reference or address delta alone. */
START_TEST(test_frees_next_in_sequence_take_the_short_forms)
{
    model_t m;
    m_init(&m);
    m_segment(&m, 5);
    uint64_t seq = 7;
    m_nop(&m, seq++);
    for (uint64_t i = 0; i < 40; i++) m_alloc(&m, seq++, 0, 0x100000 + 0x40 * i, 48, 0, LT_FN_MALLOC);
    size_t at = m.e.len;
    m_freerec(&m, seq++, 0, 0x100000 + 0x40 * 39);             /* 1 back */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_RECENT);
    ck_assert_uint_eq(m.e.len, at + 1);
    at = m.e.len;
    m_freerec(&m, seq++, 0, 0x100000 + 0x40 * 8);              /* 32 back: the last tag */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_RECENT_LAST);
    ck_assert_uint_eq(m.e.len, at + 1);
    at = m.e.len;
    m_freerec(&m, seq++, 0, 0x100000 + 0x40 * 7);              /* 33 back */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_BACK_S);
    ck_assert_uint_eq(event_fields(&m.e, at).back, 33);
    at = m.e.len;
    m_freerec(&m, seq++, 0, 0xabc000);                          /* an address */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_S);
    ck_assert_uint_eq(event_fields(&m.e, at).back, 0);
    at = m.e.len;
    m_freerec(&m, seq += 2, 0, 0x100000 + 0x40 * 30);           /* not next in sequence */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_BACK);
    seq++;
    at = m.e.len;
    m_freerec(&m, seq++, 1000000, 0x100000 + 0x40 * 31);        /* later */
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_BACK);
    at = m.e.len;
    m_freerec(&m, seq++, 1000000, 0xabd000);
    ck_assert_uint_eq(m.e.buf[at], LT_REC_FREE_S);
    check_decodes_to(m.e.buf, m.e.len, &m);
    m_free(&m);
}
END_TEST

/* The short forms' references are checked like the long forms': a free
 * of a recent allocation the segment does not have, a list entry the
 * list does not have, a record cut short. */
START_TEST(test_short_forms_with_bad_references_are_corrupt)
{
    lt_err_t err;
    size_t n;
    /* SEGMENT, one MALLOC_S at the carve (0 + zz 0x5000), then the record */
    for (int k = 0; k < 7; k++) {
        ut_buf_t b = { 0 };
        ut_buf_u8(&b, LT_REC_SEGMENT); ut_buf_varint(&b, 1);
        ut_buf_u8(&b, LT_REC_MALLOC_S); ut_buf_varint(&b, 8); ut_buf_varint(&b, 0); ut_buf_varint(&b, lt_zigzag(0x5000));
        size_t off = b.len;
        int ok = 0;
        const char *want = "back";
        switch (k) {
        case 0: ut_buf_u8(&b, LT_REC_FREE_RECENT); ok = 1; break;          /* 1 back: fine */
        case 1: ut_buf_u8(&b, LT_REC_FREE_RECENT + 1); break;              /* 2 back: none */
        case 2: ut_buf_u8(&b, LT_REC_FREE_BACK_S); ut_buf_varint(&b, 0); break;
        case 3: ut_buf_u8(&b, LT_REC_MALLOC_S + 1); ut_buf_varint(&b, 8); ut_buf_varint(&b, 0); want = "free list"; break;
        case 4: ut_buf_u8(&b, LT_REC_REALLOC_S); ut_buf_varint(&b, 8); ut_buf_varint(&b, 0); ut_buf_varint(&b, 2);
                ut_buf_varint(&b, 0); break;                               /* old: 2 back */
        case 5: ut_buf_u8(&b, LT_REC_MALLOC_S); ut_buf_varint(&b, 8); want = "cut short"; break;
        case 6: ut_buf_u8(&b, LT_REC_MALLOC_S_CARVE); ut_buf_varint(&b, 8); ut_buf_varint(&b, 1ull << 32); want = "stack id"; break;
        }
        int rc = decode_bytes(b.p, b.len, &n, &err);
        if (ok) {
            ck_assert_int_eq(rc, 0);
            ck_assert_uint_eq(n, 2);
        } else {
            ck_assert_msg(rc == -LT_E_CORRUPT, "case %d: rc %d", k, rc);
            ck_assert_uint_eq(n, 1);
            ck_assert_int_eq(err.offset, (long long)off);
            ck_assert_msg(strstr(err.msg, want) != NULL, "case %d: message: %s", k, err.msg);
        }
        ut_buf_free(&b);
    }
}
END_TEST

/* LEAKTRACE_COMPRESSION=auto (level.h), driven as the writer drives it:
 * once per chunk, here every 50 ms, with the writer's CPU and the
 * program's waits as running totals. The writer is busy `busy` percent of
 * each step, or deep_busy (fast_busy) percent, when not 0, in a step that
 * searched deep (was at the fast level). */
typedef struct { lt_level_state_t s; uint64_t now, cpu, wait; int tier; unsigned deep_busy, fast_busy; int deep; } lvsim_t;

/* Advances ms milliseconds in 50 ms steps, the program waiting
 * wait_per_step ns per step; returns how many of those steps chose the
 * fast level, and adds those that searched deep to v->deep. */
static int lv_run(lvsim_t *v, unsigned ms, unsigned busy, uint64_t wait_per_step)
{
    int fast = 0;
    for (unsigned t = 0; t < ms; t += 50) {
        v->now += 50000000ull;
        v->cpu += 500000ull * (v->tier == LT_TIER_DEEP && v->deep_busy   ? v->deep_busy
                               : v->tier == LT_TIER_FAST && v->fast_busy ? v->fast_busy
                                                                         : busy);
        v->wait += wait_per_step;
        v->tier = lt_level_tier(&v->s, v->now, v->wait, v->cpu);
        fast += v->tier == LT_TIER_FAST;
        v->deep += v->tier == LT_TIER_DEEP;
    }
    return fast;
}

START_TEST(test_auto_level_follows_the_writers_load)
{
    lvsim_t v;
    memset(&v, 0, sizeof v);
    v.now = 5000000000ull;
    v.cpu = 4000000000ull;                       /* CPU before the first window does not count */
    ck_assert_int_eq(lv_run(&v, 2000, 20, 0), 0);          /* a writer busy 20 %: small level */
    ck_assert_int_eq(lv_run(&v, 2000, 45, 0), 0);          /* 45 %: still small */
    int f = lv_run(&v, 300, 90, 0);                        /* busy 90 %: fast within a window or two */
    ck_assert_msg(f >= 3, "%d of 6 steps fast while the writer was busy", f);
    ck_assert_int_eq(lv_run(&v, 500, 10, 0), 10);          /* and for a second after */
    ck_assert_int_eq(lv_run(&v, 700, 10, 0) < 14, 1);
    ck_assert_int_eq(lv_run(&v, 1000, 10, 0), 0);          /* then small again */
    /* The program waiting more than 10 ms in a second: fast at once,
     * although the writer is idle; 5 ms in a second is not enough. */
    ck_assert_int_eq(lv_run(&v, 1000, 0, 250000), 0);
    ck_assert_int_eq(lv_run(&v, 50, 0, 11000000), 1);
    ck_assert_int_eq(lv_run(&v, 900, 0, 0), 18);
    ck_assert_int_eq(lv_run(&v, 2000, 0, 0) < 40, 1);
    ck_assert_int_eq(lv_run(&v, 1000, 0, 0), 0);
}
END_TEST

/* The deep tier: earned by a calm window at the small level, kept while
 * searching deep leaves the writer idle most of the time (sqlite), left
 * for the small level, never for the fast one, when the deep search alone
 * makes the writer busy (tests/profiles/paced.c's records), and tried
 * again later, less and less often. A writer busy from the start
 * (mallocbench) never searches deep. */
START_TEST(test_auto_level_searches_deep_while_the_writer_has_time)
{
    lvsim_t v;
    memset(&v, 0, sizeof v);
    v.now = 5000000000ull;
    v.deep_busy = 95;
    ck_assert_int_ge(lv_run(&v, 3000, 95, 0), 50);         /* mallocbench: fast, never deep */
    ck_assert_int_eq(v.deep, 0);
    memset(&v, 0, sizeof v);
    v.now = 5000000000ull;
    v.deep_busy = 20;
    ck_assert_int_eq(lv_run(&v, 3000, 45, 0), 0);          /* busy 45 % at small (python): small, never deep */
    ck_assert_int_eq(v.deep, 0);
    ck_assert_int_eq(lv_run(&v, 10000, 18, 0), 0);         /* sqlite: deep from the first calm window on */
    ck_assert_msg(v.deep >= 196, "%d steps of 200 deep", v.deep);
    /* The deep search now costs 55 % (small: 20 %): never fast, deep for
     * a window now and then: after 1, 2, 4, 8 and 16 s. */
    v.deep = 0;
    v.deep_busy = 55;
    ck_assert_int_eq(lv_run(&v, 20000, 20, 0), 0);
    ck_assert_msg(v.deep >= 8 && v.deep <= 14, "%d steps of 400 deep", v.deep);
    v.deep = 0;
    ck_assert_int_eq(lv_run(&v, 40000, 20, 0), 0);         /* 16 s apart from now on */
    ck_assert_msg(v.deep >= 4 && v.deep <= 8, "%d steps of 800 deep", v.deep);
    /* Cheap again: deep within 16 s, and then for good. */
    v.deep_busy = 20;
    v.deep = 0;
    lv_run(&v, 16100, 20, 0);
    ck_assert_int_ge(v.deep, 2);
    v.deep = 0;
    ck_assert_int_eq(lv_run(&v, 5000, 20, 0), 0);
    ck_assert_int_eq(v.deep, 100);
    /* Busy whatever it does: one window deep, then fast, never deep again. */
    v.deep_busy = 95;
    v.deep = 0;
    int f = lv_run(&v, 12000, 95, 0);
    ck_assert_msg(f >= 220, "%d steps of 240 fast", f);
    ck_assert_int_le(v.deep, 2);
    /* Begun at the writer's start (lt_level_begin): the first window is
     * judged at the first chunk after 40 ms. A calm writer searches deep
     * from its second chunk on; a busy one never, and its first window
     * does not make it fast either (its start's costs are in it). */
    memset(&v, 0, sizeof v);
    v.now = 5000000000ull;
    v.cpu = 7000000ull;
    lt_level_begin(&v.s, v.now, v.cpu);
    v.deep_busy = 20;
    ck_assert_int_eq(lv_run(&v, 1000, 18, 0), 0);
    ck_assert_int_eq(v.deep, 20);   /* every call: the first comes with the second chunk */
    /* Windows before the writer thread (sampling mode: its CPU 0) earn
     * nothing for the writer: right after lt_level_begin, small. */
    memset(&v, 0, sizeof v);
    v.now = 5000000000ull;
    ck_assert_int_eq(lv_run(&v, 1000, 0, 0), 0);
    ck_assert_int_gt(v.deep, 0);
    lt_level_begin(&v.s, v.now, 0);
    ck_assert_int_eq(lt_level_tier(&v.s, v.now + 10000000ull, v.wait, 0), LT_TIER_SMALL);
    memset(&v, 0, sizeof v);
    v.now = 5000000000ull;
    lt_level_begin(&v.s, v.now, 0);
    ck_assert_int_eq(lv_run(&v, 50, 95, 0), 0);
    ck_assert_int_ge(lv_run(&v, 1000, 95, 0), 17);
    ck_assert_int_eq(v.deep, 0);
    /* A writer calm at the fast level but busy at the small one (70 %)
     * never searches deep: only a window at the small level earns it. */
    memset(&v, 0, sizeof v);
    v.now = 5000000000ull;
    v.deep_busy = 90;
    v.fast_busy = 30;
    f = lv_run(&v, 60000, 70, 0);
    ck_assert_msg(f >= 600, "%d steps of 1200 fast", f);
    ck_assert_int_eq(v.deep, 0);
    /* Waits mean fast even at the deep tier. */
    v.deep_busy = 20;
    v.fast_busy = 0;
    lv_run(&v, 20000, 20, 0);
    v.deep = 0;
    ck_assert_int_eq(lv_run(&v, 1000, 20, 0), 0);
    ck_assert_int_eq(v.deep, 20);
    ck_assert_int_eq(lv_run(&v, 50, 20, 11000000), 1);
}
END_TEST

START_TEST(test_timestamps_rounded_to_the_quantum)
{
    lt_enc_t e;
    ut_enc_init(&e);
    e.ts_quantum = 10000;
    lt_enc_segment(&e, 1);
    uint64_t w[UT_RING_MAX_WORDS];
    ut_ring_alloc(w, 0, 123456, 0x5000, 8, 0, LT_FN_MALLOC);
    lt_enc_ring_record(&e, w);
    ut_ring_free(w, 1, 129999, 0x5000);
    lt_enc_ring_record(&e, w);
    ut_ring_free(w, 2, 130000, 0x6000);
    lt_enc_ring_record(&e, w);
    lt_payload_t pl;
    lt_rec_t r;
    lt_err_t err = { 0 };
    lt_payload_init(&pl, e.buf, e.len);
    static const uint64_t want[] = { 120000, 120000, 130000 };
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(lt_payload_next(&pl, &r, &err), 1);
        ck_assert_uint_eq(r.ts, want[i]);
    }
    ck_assert_int_eq(lt_payload_next(&pl, &r, &err), 0);
    ut_enc_free(&e);
}
END_TEST

START_TEST(test_roundtrip_random_records)
{
    model_t m;
    m_init(&m);
    build_random_model(&m, 0x1eaf7ace, 20000);
    ck_assert_uint_gt(m.nx, 15000);
    check_decodes_to(m.e.buf, m.e.len, &m);
    m_free(&m);
}
END_TEST

/* ========================================================================
 * decoder robustness
 * ======================================================================== */

/* A payload with one of everything, for the truncation test. */
static void build_small_model(model_t *m)
{
    uint64_t ips[5] = { 0x401000, 0x401200, 0x400f00, 0x7f0000001000, 0x401000 };
    ut_buf_t proc = { 0 };
    ut_buf_kv(&proc, "exe", "/bin/true", 9);
    m_side(m, LT_REC_PROCESS, proc.p, proc.len);
    m_segment(m, 77);
    m_stack(m, 0, 0, ips, 5);
    m_alloc(m, 0, 10, 0x555555559000, 100, 0, LT_FN_MALLOC);
    m_alloc(m, 1, 300, 0x555555558000, 200000, 0, LT_FN_CALLOC);
    m_pad(m, 3);
    m_side(m, 0xf7, "skip me", 7);
    m_realloc(m, 2, 3, 400, 0x555555559000, 0x7ffff0000000, 1 << 21, 0, LT_FN_REALLOC);
    m_nop(m, 4);
    m_freerec(m, 5, 500, 0x555555558000);
    m_segment(m, 78);
    m_alloc(m, 6, 600, 0x1000, 1, STACK_NONE, LT_FN_VALLOC);
    m_side(m, LT_REC_WARN, "dropped", 7);
    m_freerec(m, 7, 700, 0x1000);
    ut_buf_free(&proc);
}

START_TEST(test_every_truncation_is_records_or_corrupt)
{
    model_t m;
    m_init(&m);
    build_small_model(&m);
    size_t len = m.e.len;
    char *is_bound = calloc(len + 1, 1);
    ck_assert_ptr_nonnull(is_bound);
    for (size_t i = 0; i < m.nbound; i++) is_bound[m.bound[i]] = 1;

    for (size_t cut = 0; cut <= len; cut++) {
        /* exactly cut bytes on the heap: a read past them is an error
         * under valgrind or ASan */
        unsigned char *buf = malloc(cut ? cut : 1);
        ck_assert_ptr_nonnull(buf);
        memcpy(buf, m.e.buf, cut);
        lt_payload_t pl;
        lt_rec_t r;
        lt_err_t err = { 0 };
        lt_payload_init(&pl, buf, cut);
        size_t n = 0;
        int rc;
        while ((rc = lt_payload_next(&pl, &r, &err)) == 1) {
            ck_assert_msg(n < m.nx, "cut %zu: more records than encoded", cut);
            ck_assert_msg(m.x[n].end <= cut, "cut %zu: record %zu returned although it ends at %zu", cut, n, m.x[n].end);
            check_rec(&r, &m.x[n], n);
            n++;
        }
        size_t want = 0;
        while (want < m.nx && m.x[want].end <= cut) want++;
        ck_assert_msg(n == want, "cut %zu: %zu records decoded, want %zu", cut, n, want);
        if (is_bound[cut]) {
            ck_assert_msg(rc == 0, "cut %zu at a record boundary: rc %d (%s), want a clean end", cut, rc, err.msg);
        } else {
            ck_assert_msg(rc == -LT_E_CORRUPT, "cut %zu inside a record: rc %d, want -LT_E_CORRUPT", cut, rc);
            ck_assert_int_eq(err.code, LT_E_CORRUPT);
            size_t start = 0;
            for (size_t i = 0; i < m.nbound; i++)
                if (m.bound[i] < cut && m.bound[i] > start) start = m.bound[i];
            ck_assert_msg(err.offset == (int64_t)start, "cut %zu: error offset %lld, want the cut record's start %zu",
                          cut, (long long)err.offset, start);
            ck_assert_msg(strlen(err.msg) > 0, "cut %zu: empty error message", cut);
        }
        free(buf);
    }
    free(is_bound);
    m_free(&m);
}
END_TEST

START_TEST(test_random_corruption_never_crashes)
{
    model_t m;
    m_init(&m);
    build_random_model(&m, 99, 300);
    size_t len = m.e.len;
    ut_rng_t rng;
    ut_rng_seed(&rng, 2024);
    unsigned char *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, m.e.buf, len);
        int flips = 1 + (int)ut_rng_below(&rng, 4);
        for (int k = 0; k < flips; k++) {
            size_t at = ut_rng_below(&rng, len);
            buf[at] = ut_rng_below(&rng, 2) ? (unsigned char)ut_rng_next(&rng) : (unsigned char)(buf[at] ^ 0x80);
        }
        size_t keep = ut_rng_below(&rng, 4) == 0 ? ut_rng_below(&rng, len + 1) : len;
        lt_payload_t pl;
        lt_rec_t r;
        lt_err_t err;
        lt_payload_init(&pl, buf, keep);
        size_t n = 0;
        int rc;
        while ((rc = lt_payload_next(&pl, &r, &err)) == 1) {
            n++;
            ck_assert_msg(n <= keep, "iteration %d: more records (%zu) than bytes (%zu)", iter, n, keep);
            if (r.type >= 0x80)
                ck_assert_msg(r.payload >= buf && r.payload + r.len <= buf + keep,
                              "iteration %d: record payload outside the buffer", iter);
        }
        ck_assert_msg(rc == 0 || rc == -LT_E_CORRUPT, "iteration %d: rc %d", iter, rc);
        if (rc < 0) ck_assert_msg(err.offset >= 0 && (size_t)err.offset < keep, "iteration %d: error offset %lld outside the payload", iter, (long long)err.offset);
    }
    free(buf);
    m_free(&m);
}
END_TEST

static int decode_bytes(const unsigned char *p, size_t n, size_t *nrec, lt_err_t *err)
{
    unsigned char *buf = malloc(n ? n : 1);   /* exact size: over-reads show */
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, p, n);
    lt_payload_t pl;
    lt_rec_t r;
    lt_payload_init(&pl, buf, n);
    int rc;
    *nrec = 0;
    while ((rc = lt_payload_next(&pl, &r, err)) == 1) (*nrec)++;
    free(buf);
    return rc;
}

START_TEST(test_event_record_outside_segment_is_corrupt)
{
    lt_err_t err;
    size_t n;
    /* ALLOC with no SEGMENT before it */
    static const unsigned char a[] = { LT_REC_ALLOC, 1, 1, 2, 8, 0, 0 };
    ck_assert_int_eq(decode_bytes(a, sizeof a, &n, &err), -LT_E_CORRUPT);
    ck_assert_int_eq(err.offset, 0);
    ck_assert_msg(strstr(err.msg, "segment") != NULL, "message: %s", err.msg);
    /* every event tag, after a side record */
    static const unsigned tags[] = { LT_REC_ALLOC, LT_REC_FREE, LT_REC_REALLOC, LT_REC_NOP };
    for (size_t i = 0; i < 4; i++) {
        unsigned char b[] = { LT_REC_WARN, 2, 'h', 'i', (unsigned char)tags[i], 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        ck_assert_int_eq(decode_bytes(b, sizeof b, &n, &err), -LT_E_CORRUPT);
        ck_assert_uint_eq(n, 1);   /* the WARN came out first */
        ck_assert_msg(err.offset == 4, "tag 0x%02x: error at %lld, want 4", tags[i], (long long)err.offset);
    }
    /* unknown event tags (below 0x80) are corrupt, inside a segment too */
    static const unsigned bad[] = { 0x00, 0x0d, 0x0f, 0x1c, 0x1f, 0x40, 0x42, 0x7f };
    for (size_t i = 0; i < 8; i++) {
        unsigned char b[] = { LT_REC_SEGMENT, 3, (unsigned char)bad[i], 0, 0, 0 };
        ck_assert_int_eq(decode_bytes(b, sizeof b, &n, &err), -LT_E_CORRUPT);
        ck_assert_msg(err.offset == 2, "tag 0x%02x: error at %lld, want 2", bad[i], (long long)err.offset);
    }
    /* a thread id beyond 32 bits */
    unsigned char s[16] = { LT_REC_SEGMENT };
    size_t sl = 1 + lt_put_varint(s + 1, 1ull << 32);
    ck_assert_int_eq(decode_bytes(s, sl, &n, &err), -LT_E_CORRUPT);
    /* a stack id beyond 32 bits, in ALLOC and in REALLOC */
    ut_buf_t b = { 0 };
    ut_buf_u8(&b, LT_REC_SEGMENT); ut_buf_varint(&b, 1);
    ut_buf_u8(&b, LT_REC_ALLOC); ut_buf_varint(&b, 0); ut_buf_varint(&b, 0); ut_buf_varint(&b, 2);
    ut_buf_varint(&b, 8); ut_buf_varint(&b, 1ull << 32); ut_buf_u8(&b, 0);
    ck_assert_int_eq(decode_bytes(b.p, b.len, &n, &err), -LT_E_CORRUPT);
    ck_assert_int_eq(err.offset, 2);
    b.len = 2;
    ut_buf_u8(&b, LT_REC_REALLOC);
    for (int i = 0; i < 6; i++) ut_buf_varint(&b, 1);
    ut_buf_varint(&b, 1ull << 33);
    ck_assert_int_eq(decode_bytes(b.p, b.len, &n, &err), -LT_E_CORRUPT);
    ut_buf_free(&b);
}
END_TEST

START_TEST(test_length_prefix_beyond_end_is_corrupt)
{
    lt_err_t err;
    size_t n;
    static const unsigned char a[] = { LT_REC_PROCESS, 5, 'a', 'b' };
    ck_assert_int_eq(decode_bytes(a, sizeof a, &n, &err), -LT_E_CORRUPT);
    ck_assert_int_eq(err.offset, 0);
    ck_assert_uint_eq(n, 0);
    /* an unknown tag is not skipped past the end either */
    static const unsigned char b[] = { LT_REC_WARN, 0, 0x99, 3, 'x' };
    ck_assert_int_eq(decode_bytes(b, sizeof b, &n, &err), -LT_E_CORRUPT);
    ck_assert_int_eq(err.offset, 2);
    ck_assert_uint_eq(n, 1);
    /* a length near 2^64 (pointer arithmetic must not wrap) */
    unsigned char c[16] = { LT_REC_STACK };
    size_t cl = 1 + lt_put_varint(c + 1, UINT64_MAX);
    ck_assert_int_eq(decode_bytes(c, cl, &n, &err), -LT_E_CORRUPT);
    cl = 1 + lt_put_varint(c + 1, UINT64_MAX - 3);
    c[cl++] = 1;
    ck_assert_int_eq(decode_bytes(c, cl, &n, &err), -LT_E_CORRUPT);
    /* the length itself cut short */
    static const unsigned char d[] = { LT_REC_MODULE, 0x80 };
    ck_assert_int_eq(decode_bytes(d, sizeof d, &n, &err), -LT_E_CORRUPT);
    /* exactly the remaining bytes is fine */
    static const unsigned char e[] = { LT_REC_MARK, 2, 'o', 'k' };
    ck_assert_int_eq(decode_bytes(e, sizeof e, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
}
END_TEST

/* ========================================================================
 * files
 * ======================================================================== */

static char *tmpdir;

static void files_setup(void) { tmpdir = ut_tmpdir_create(); }
static void files_teardown(void) { ut_tmpdir_remove(tmpdir); tmpdir = NULL; }

/* ========================================================================
 * field streams (format 1.6, lt_fields.h)
 * ======================================================================== */

/* The split payload of rec[0..n) up to the first boundary at or after
 * want, in one buffer of exactly its size (over-reads show under ASan);
 * *used: the bytes of rec it holds. */
static unsigned char *fs_join(const unsigned char *rec, size_t n, size_t want, size_t *used, size_t *len)
{
    lt_fs_streams_t st;
    for (int s = 0; s < LT_FS_N; s++) {
        st.s[s] = malloc(n + 1);
        ck_assert_ptr_nonnull(st.s[s]);
    }
    *used = lt_fs_split(rec, n, want, &st);
    ck_assert_msg(*used != (size_t)-1, "the split refused the records");
    unsigned char *big = malloc(n + LT_FS_HDR_MAX);
    ck_assert_ptr_nonnull(big);
    *len = lt_fs_join(&st, big);
    unsigned char *out = malloc(*len ? *len : 1);   /* exactly its size */
    ck_assert_ptr_nonnull(out);
    memcpy(out, big, *len);
    free(big);
    for (int s = 0; s < LT_FS_N; s++) free(st.s[s]);
    return out;
}

/* Gathers sp[0..n) and checks it gives back rec[0..nrec) exactly. */
static void fs_expect_gather(const unsigned char *sp, size_t n, const unsigned char *rec, size_t nrec)
{
    unsigned char *g = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(g);
    ptrdiff_t got = lt_fs_gather(sp, n, g, n);
    ck_assert_msg(got == (ptrdiff_t)nrec, "gathered %td bytes, want %zu", got, nrec);
    ck_assert_msg(memcmp(g, rec, nrec) == 0, "the gathered records differ from the split ones");
    free(g);
}

/* Every event form, older ones (which a 1.6 writer no longer makes) too. */
static size_t fs_every_form(unsigned char *b)
{
    static const unsigned char forms[] = {
        LT_REC_SEGMENT, 0x81, 0x01,
        LT_REC_ALLOC, 1, 0, 0x7e, 0x90, 0x03, 2, LT_FN_CALLOC,
        LT_REC_FREE, 1, 5, 0x7d,
        LT_REC_REALLOC, 1, 1, 0, 4, 0x20, 0xff, 0x7f, 3,
        LT_REC_NOP, 9,
        LT_REC_FREE_BACK, 2, 0, 1,
        LT_REC_REALLOC_BACK, 1, 2, 0, 1, 0x40, 64, 4,
        LT_REC_ALLOC2, 1, 0, 48, 5, LT_FN_MALLOC, 0, 0x22,
        LT_REC_ALLOC2, 1, 0, 48, 5, LT_FN_MEMALIGN, 3,
        LT_REC_REALLOC2, 1, 1, 0, 80, 6, 0, 0x11, 1, 0x12,
        LT_REC_REALLOC2, 1, 1, 0, 80, 6, 2, 0,
        LT_REC_REALLOC_S, 96, 6, 1, 2,
        LT_REC_FREE_BACK_S, 0x80, 0x01,
        LT_REC_FREE_S, 0x33,
        LT_REC_MALLOC_S, 24, 7, 0x44,
        LT_REC_MALLOC_S + 3, 24, 7,
        LT_REC_MALLOC_S_CARVE, 0x81, 0x80, 0x01, 7,
        LT_REC_FREE_RECENT + 4,
        LT_REC_WARN, 3, 'a', 'b', 'c',
        0xf7, 0,
    };
    memcpy(b, forms, sizeof forms);
    return sizeof forms;
}

START_TEST(test_field_streams_give_back_the_records)
{
    /* the encoder's records, several seeds, and every hand-made form */
    for (uint64_t seed = 1; seed <= 4; seed++) {
        model_t m;
        m_init(&m);
        build_random_model(&m, seed * 7919, 5000);
        size_t used, len;
        unsigned char *sp = fs_join(m.e.buf, m.e.len, m.e.len, &used, &len);
        ck_assert_uint_eq(used, m.e.len);
        ck_assert_uint_le(len, m.e.len + LT_FS_HDR_MAX);
        fs_expect_gather(sp, len, m.e.buf, m.e.len);
        free(sp);
        m_free(&m);
    }
    unsigned char b[256];
    size_t n = fs_every_form(b), used, len;
    unsigned char *sp = fs_join(b, n, n, &used, &len);
    ck_assert_uint_eq(used, n);
    fs_expect_gather(sp, len, b, n);
    free(sp);
    /* no records: a header of zero-length streams */
    sp = fs_join(b, 0, 0, &used, &len);
    ck_assert_uint_eq(used, 0);
    fs_expect_gather(sp, len, b, 0);
    free(sp);
}
END_TEST

START_TEST(test_field_streams_put_each_field_in_its_stream)
{
    /* MALLOC_S records of known sizes and stacks, then frees: the size and
     * stack streams hold exactly those varints in order, the tag stream
     * one byte per record */
    model_t m;
    m_init(&m);
    m_segment(&m, 5);
    unsigned char want_size[64], want_stack[64];
    size_t ns = 0, nk = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t size = 16 + 40 * (uint64_t)i, a = 0x10000 + 0x1000 * (uint64_t)i;
        m_alloc(&m, 1 + (uint64_t)i, 0, a, size, (uint32_t)(100 + i * 10), LT_FN_MALLOC);
        ns += lt_put_varint(want_size + ns, size);
        nk += lt_put_varint(want_stack + nk, 100 + (uint64_t)i * 10);
    }
    for (int i = 0; i < 8; i++) m_freerec(&m, 9 + (uint64_t)i, 0, 0x10000 + 0x1000 * (uint64_t)i);
    lt_fs_streams_t st;
    for (int s = 0; s < LT_FS_N; s++) st.s[s] = malloc(m.e.len);
    ck_assert_uint_eq(lt_fs_split(m.e.buf, m.e.len, m.e.len, &st), m.e.len);
    ck_assert_uint_eq(st.len[LT_FS_SIZE], ns);
    ck_assert_int_eq(memcmp(st.s[LT_FS_SIZE], want_size, ns), 0);
    ck_assert_uint_eq(st.len[LT_FS_STACK], nk);
    ck_assert_int_eq(memcmp(st.s[LT_FS_STACK], want_stack, nk), 0);
    ck_assert_uint_eq(st.len[LT_FS_TAG], 1 + 16);   /* SEGMENT and 16 events */
    ck_assert_uint_eq(st.s[LT_FS_TAG][0], LT_REC_SEGMENT);
    ck_assert_uint_eq(st.len[LT_FS_OTHER], 1);      /* the thread id */
    /* the frees name recent allocations: back references, no addresses */
    ck_assert_uint_eq(st.len[LT_FS_ADDR], 0);
    for (int s = 0; s < LT_FS_N; s++) free(st.s[s]);
    m_free(&m);
}
END_TEST

/* Every form of fs_every_form, stream by stream, as docs/trace-format.md's
 * table puts them: a field in the wrong stream would still gather (both
 * directions walk alike) but would not be format 1.6. */
START_TEST(test_field_streams_follow_the_documented_table)
{
    static const unsigned char want_tag[] = {
        LT_REC_SEGMENT, LT_REC_ALLOC, LT_REC_FREE, LT_REC_REALLOC, LT_REC_NOP, LT_REC_FREE_BACK,
        LT_REC_REALLOC_BACK, LT_REC_ALLOC2, LT_REC_ALLOC2, LT_REC_REALLOC2, LT_REC_REALLOC2,
        LT_REC_REALLOC_S, LT_REC_FREE_BACK_S, LT_REC_FREE_S, LT_REC_MALLOC_S, LT_REC_MALLOC_S + 3,
        LT_REC_MALLOC_S_CARVE, LT_REC_FREE_RECENT + 4, LT_REC_WARN, 3, 'a', 'b', 'c', 0xf7, 0,
    };
    static const unsigned char want_size[] = { 0x90, 0x03, 0xff, 0x7f, 64, 48, 48, 80, 80, 96, 24, 24, 0x81, 0x80, 0x01 };
    static const unsigned char want_stack[] = { 2, 3, 4, 5, 5, 6, 6, 6, 7, 7, 7 };
    static const unsigned char want_back[] = { 1, 1, 0, 2, 1, 0x80, 0x01 };
    static const unsigned char want_addr[] = { 0x7e, 0x7d, 4, 0x20, 0x40, 0x11, 0x33 };
    static const unsigned char want_carve[] = { 0x22, 0x12, 0x44 };
    static const unsigned char want_other[] = {
        0x81, 0x01,                        /* SEGMENT's tid */
        1, 0, LT_FN_CALLOC,                /* ALLOC */
        1, 5,                              /* FREE */
        1, 1, 0,                           /* REALLOC */
        9,                                 /* NOP */
        2, 0,                              /* FREE_BACK */
        1, 2, 0,                           /* REALLOC_BACK */
        1, 0, LT_FN_MALLOC, 0,             /* ALLOC2, ref 0 */
        1, 0, LT_FN_MEMALIGN, 3,           /* ALLOC2, ref 3 */
        1, 1, 0, 1,                        /* REALLOC2, new 1 */
        1, 1, 0, 0,                        /* REALLOC2, new 0 */
        2,                                 /* REALLOC_S, new 2 */
    };
    const struct { const unsigned char *b; size_t n; } want[LT_FS_N] = {
        [LT_FS_TAG] = { want_tag, sizeof want_tag }, [LT_FS_SIZE] = { want_size, sizeof want_size },
        [LT_FS_STACK] = { want_stack, sizeof want_stack }, [LT_FS_BACK] = { want_back, sizeof want_back },
        [LT_FS_ADDR] = { want_addr, sizeof want_addr }, [LT_FS_CARVE] = { want_carve, sizeof want_carve },
        [LT_FS_OTHER] = { want_other, sizeof want_other },
    };
    unsigned char b[256];
    size_t n = fs_every_form(b);
    lt_fs_streams_t st;
    for (int s = 0; s < LT_FS_N; s++) st.s[s] = malloc(n);
    ck_assert_uint_eq(lt_fs_split(b, n, n, &st), n);
    for (int s = 0; s < LT_FS_N; s++) {
        ck_assert_msg(st.len[s] == want[s].n, "stream %d holds %zu bytes, want %zu", s, st.len[s], want[s].n);
        for (size_t i = 0; i < want[s].n; i++)
            ck_assert_msg(st.s[s][i] == want[s].b[i], "stream %d byte %zu: 0x%02x, want 0x%02x", s, i, st.s[s][i], want[s].b[i]);
        free(st.s[s]);
    }
}
END_TEST

START_TEST(test_field_streams_split_a_prefix_at_a_record_boundary)
{
    model_t m;
    m_init(&m);
    build_random_model(&m, 4242, 2000);
    for (size_t want = 0; want <= m.e.len; want += 1 + want / 3) {
        size_t used, len;
        unsigned char *sp = fs_join(m.e.buf, m.e.len, want, &used, &len);
        size_t expect = m_boundary_at(&m, want);
        ck_assert_msg(used == expect, "want %zu: split %zu bytes, want the boundary at %zu", want, used, expect);
        fs_expect_gather(sp, len, m.e.buf, used);
        free(sp);
    }
    m_free(&m);
}
END_TEST

/* Events like a real heap's, so that the encoder takes every short form:
 * frees of recent allocations (FREE_RECENT, FREE_BACK_S) and of old ones
 * (FREE_S), new blocks where a freed one of the size was (free-list hits)
 * or where the carve says (MALLOC_S_CARVE), reallocs in place and moved,
 * and now and then a gap in the sequence or the time (the long forms). */
static void build_heap_model(model_t *m, uint64_t seed, size_t nrec)
{
    ut_rng_t rng;
    ut_rng_seed(&rng, seed);
    enum { MAXLIVE = 4096 };
    static uint64_t la[MAXLIVE], ls[MAXLIVE];   /* the live blocks, oldest first */
    static uint64_t fa[64], fs[64];             /* recently freed */
    size_t nl = 0, nf = 0;
    uint64_t seq = 1, ts = 0, carve = 0x555555600000ull;
    for (size_t done = 0; done < nrec;) {
        m_segment(m, 77 + (uint32_t)ut_rng_below(&rng, 3));
        for (size_t run = 1 + ut_rng_below(&rng, 500); run && done < nrec; run--, done++) {
            uint64_t gap = ut_rng_below(&rng, 20) == 0;
            seq += 1 + gap * ut_rng_below(&rng, 5);
            ts += ut_rng_below(&rng, 20) == 0 ? 100000 : 0;
            uint32_t stack = (uint32_t)ut_rng_below(&rng, 40);
            uint64_t r = ut_rng_below(&rng, 100);
            if (nl && r < 45) {
                /* a free: the latest few most often, sometimes far back */
                uint64_t back = ut_rng_below(&rng, 4) ? ut_rng_below(&rng, 40) : ut_rng_below(&rng, nl);
                size_t i = nl - 1 - (size_t)(back < nl ? back : nl - 1);
                m_freerec(m, seq, ts, la[i]);
                if (nf < 64) { fa[nf] = la[i]; fs[nf] = ls[i]; nf++; }
                memmove(&la[i], &la[i + 1], (nl - 1 - i) * sizeof la[0]);
                memmove(&ls[i], &ls[i + 1], (nl - 1 - i) * sizeof ls[0]);
                nl--;
            } else if (nl && r < 55) {
                /* a realloc: in place, or to a fresh block */
                size_t i = nl - 1 - (size_t)ut_rng_below(&rng, nl < 30 ? nl : 30);
                uint64_t size = ls[i] + ut_rng_below(&rng, 64), na = la[i];
                if (ut_rng_below(&rng, 2)) {
                    na = carve;
                    carve = lt_carve_next(na, size);
                }
                m_realloc(m, seq, seq + 1 + gap, ts, la[i], na, size, stack, LT_FN_REALLOC);
                seq += 1 + gap;
                la[i] = na;
                ls[i] = size;
            } else if (r < 57 || nl == MAXLIVE) {
                m_nop(m, seq);
            } else {
                /* an allocation: where a block of the size was freed, at
                 * the carve, or a little off it */
                uint64_t size = 16 + 16 * ut_rng_below(&rng, 8), a;
                size_t j = nf;
                for (size_t k = 0; k < nf; k++)
                    if (fs[k] == size) j = k;
                if (j < nf && ut_rng_below(&rng, 2)) {
                    a = fa[j];
                    fa[j] = fa[--nf];
                    fs[j] = fs[nf];
                } else {
                    a = ut_rng_below(&rng, 4) ? carve : carve + 16 * (1 + ut_rng_below(&rng, 100));
                    carve = lt_carve_next(a, size);
                }
                unsigned fn = ut_rng_below(&rng, 10) ? LT_FN_MALLOC : LT_FN_CALLOC;
                m_alloc(m, seq, ts, a, size, stack, fn);
                la[nl] = a;
                ls[nl] = size;
                nl++;
            }
        }
    }
}

/* The encoder writing field streams itself (lt_enc_chunk(e, 1), what the
 * writer does for a fields chunk) writes exactly what splitting its
 * records would, and gathering them, whole or a prefix, gives the records. */
START_TEST(test_field_streams_written_by_the_encoder_match_the_split)
{
    static const unsigned char warn[] = { LT_REC_WARN, 2, 'h', 'i' };
    /* seeds 1-4: random records of every kind; 5-8: a heap's, every short form */
    int seen[256] = { 0 };
    for (uint64_t seed = 1; seed <= 8; seed++) {
        void (*build)(model_t *, uint64_t, size_t) = seed <= 4 ? build_random_model : build_heap_model;
        model_t r, f;
        m_init(&r);
        build(&r, seed * 104729, 5000);
        lt_enc_raw(&r.e, warn, sizeof warn);
        m_init(&f);
        for (int s = 0; s < LT_FS_N; s++) {
            f.e.fs[s] = malloc(r.e.len + 1);
            ck_assert_ptr_nonnull(f.e.fs[s]);
        }
        lt_enc_chunk(&f.e, 1);
        build(&f, seed * 104729, 5000);
        lt_enc_raw(&f.e, warn, sizeof warn);
        ck_assert_uint_eq(f.e.len, r.e.len);

        lt_fs_streams_t want, got;
        for (int s = 0; s < LT_FS_N; s++) {
            want.s[s] = malloc(r.e.len + 1);
            ck_assert_ptr_nonnull(want.s[s]);
        }
        ck_assert_uint_eq(lt_fs_split(r.e.buf, r.e.len, r.e.len, &want), r.e.len);
        lt_enc_streams(&f.e, &got);
        for (int s = 0; s < LT_FS_N; s++) {
            ck_assert_msg(got.len[s] == want.len[s], "seed %llu, stream %d: %zu bytes written, the split has %zu",
                          (unsigned long long)seed, s, got.len[s], want.len[s]);
            ck_assert_msg(memcmp(got.s[s], want.s[s], got.len[s]) == 0, "seed %llu, stream %d differs from the split",
                          (unsigned long long)seed, s);
        }
        if (seed > 4)   /* the heap's tag stream holds only tags */
            for (size_t i = 0; i < got.len[LT_FS_TAG]; i++) seen[got.s[LT_FS_TAG][i]] = 1;

        unsigned char *g = malloc(r.e.len + 1);
        ck_assert_ptr_nonnull(g);
        ck_assert_int_eq(lt_fs_gather_streams(&got, g, SIZE_MAX), (ptrdiff_t)r.e.len);
        ck_assert(memcmp(g, r.e.buf, r.e.len) == 0);
        for (size_t at = 0; at < r.e.len; at += 1 + at / 2) {
            size_t expect = m_boundary_at(&r, at);
            ptrdiff_t n = lt_fs_gather_streams(&got, g, at);
            ck_assert_msg(n == (ptrdiff_t)expect, "gather up to %zu: %td bytes, want the boundary at %zu", at, n, expect);
            ck_assert(memcmp(g, r.e.buf, (size_t)n) == 0);
        }
        free(g);
        for (int s = 0; s < LT_FS_N; s++) {
            free(want.s[s]);
            free(f.e.fs[s]);
        }
        m_free(&r);
        m_free(&f);
    }
    static const unsigned forms[] = { LT_REC_FREE, LT_REC_FREE_BACK, LT_REC_ALLOC2, LT_REC_REALLOC2, LT_REC_REALLOC_S,
                                      LT_REC_FREE_BACK_S, LT_REC_FREE_S, LT_REC_MALLOC_S, LT_REC_MALLOC_S + 1,
                                      LT_REC_MALLOC_S_CARVE, LT_REC_FREE_RECENT, LT_REC_NOP };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        ck_assert_msg(seen[forms[i]], "the heap model never made a record with tag 0x%02x", forms[i]);
}
END_TEST

START_TEST(test_field_streams_damage_is_refused)
{
    model_t m;
    m_init(&m);
    build_random_model(&m, 777, 400);
    size_t used, len;
    unsigned char *sp = fs_join(m.e.buf, m.e.len, m.e.len, &used, &len);
    /* cut anywhere: the lengths no longer add up */
    for (size_t cut = 0; cut < len; cut++) {
        unsigned char *b = malloc(cut ? cut : 1), *g = malloc(len);
        memcpy(b, sp, cut);
        ck_assert_msg(lt_fs_gather(b, cut, g, len) == -1, "a split payload cut at %zu of %zu gathered", cut, len);
        free(b);
        free(g);
    }
    /* another stream count, another mark */
    unsigned char *b = malloc(len), *g = malloc(len);
    memcpy(b, sp, len);
    b[LT_FS_MARK_LEN] = LT_FS_N + 1;
    ck_assert_int_eq(lt_fs_gather(b, len, g, len), -1);
    for (int k = 0; k < LT_FS_MARK_LEN; k++) {
        memcpy(b, sp, len);
        b[k] ^= 0x40;
        ck_assert_int_eq(lt_fs_gather(b, len, g, len), -1);
    }
    /* an output too small */
    ck_assert_int_eq(lt_fs_gather(sp, len, g, len / 2), -1);
    /* the last byte of the tag stream counted as the size stream's: the
     * lengths still add up, the streams no longer */
    {
        const unsigned char *p = sp + LT_FS_MARK_LEN, *end = sp + len;
        uint64_t v, lens[LT_FS_N];
        ck_assert_int_eq(lt_get_varint(&p, end, &v), 0);
        for (int k = 0; k < LT_FS_N; k++) ck_assert_int_eq(lt_get_varint(&p, end, &lens[k]), 0);
        lens[LT_FS_TAG]--;
        lens[LT_FS_SIZE]++;
        unsigned char *c = malloc(len + LT_FS_HDR_MAX);
        memcpy(c, LT_FS_MARK, LT_FS_MARK_LEN);
        size_t hl = LT_FS_MARK_LEN + lt_put_varint(c + LT_FS_MARK_LEN, LT_FS_N);
        for (int k = 0; k < LT_FS_N; k++) hl += lt_put_varint(c + hl, lens[k]);
        size_t body = len - (size_t)(p - sp);
        memcpy(c + hl, p, body);
        unsigned char *g2 = malloc(hl + body);
        ck_assert_int_eq(lt_fs_gather(c, hl + body, g2, hl + body), -1);
        free(g2);
        free(c);
    }
    /* random damage: refused, or records no longer than the payload */
    ut_rng_t rng;
    ut_rng_seed(&rng, 31337);
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(b, sp, len);
        int flips = 1 + (int)ut_rng_below(&rng, 3);
        for (int k = 0; k < flips; k++) b[ut_rng_below(&rng, len)] = (unsigned char)ut_rng_next(&rng);
        ptrdiff_t got = lt_fs_gather(b, len, g, len);
        ck_assert_msg(got == -1 || (got >= 0 && (size_t)got <= len), "iteration %d: gathered %td of %zu", iter, got, len);
    }
    free(b);
    free(g);
    free(sp);
    m_free(&m);
}
END_TEST

static const char header_text[] = "format=leaktrace\nproducer=unit test\nbyte_order=little\ncompression=zstd\n";

/* Starts chunk c's records in m: a segment of thread tid and stack c. */
static void chunk_model_begin(model_t *m, uint32_t tid, int c)
{
    m_init(m);
    m_segment(m, tid);
    uint64_t ip = 0x401000 + (uint64_t)c;
    m_stack(m, (uint32_t)c, 0, &ip, 1);
}

/* Three chunks of records (the middle one compressed without zstd's
 * checksum, as plain ZSTD_compress does), and an empty final chunk. */
typedef struct good_file {
    ut_file_t f;
    model_t m[3];
} good_file_t;

static void good_file_build(good_file_t *g)
{
    memset(g, 0, sizeof *g);
    ut_file_header(&g->f, LT_FORMAT_MAJOR, LT_FORMAT_MINOR, header_text);
    uint64_t seq = 0;
    for (int c = 0; c < 3; c++) {
        model_t *m = &g->m[c];
        chunk_model_begin(m, 300 + (uint32_t)c, c);
        for (int i = 0; i < 20; i++, seq++)
            m_alloc(m, seq, seq * 100, 0x10000 + seq * 0x40, seq + 1, (uint32_t)c, 0);
        m_freerec(m, seq, seq * 100, 0x10000); seq++;
        ut_file_chunk(&g->f, m->e.buf, m->e.len, 0, c != 1);
    }
    ut_file_chunk(&g->f, "", 0, LT_CHUNK_F_FINAL, 1);
}

static void good_file_free(good_file_t *g)
{
    for (int c = 0; c < 3; c++) m_free(&g->m[c]);
    ut_file_free(&g->f);
}

/* Reads path: the records of chunks [0, nchunks) must come out, with their
 * chunk offsets, then lt_file_next must return final_rc. */
static void read_expect(const char *path, const good_file_t *g, int nchunks, int final_rc, lt_err_t *err)
{
    lt_trace_file_t *f;
    ck_assert_msg(lt_file_open(path, &f, err) == 0, "open %s: %s", path, err->msg);
    lt_rec_t r;
    int rc;
    for (int c = 0; c < nchunks; c++) {
        for (size_t i = 0; i < g->m[c].nx; i++) {
            rc = lt_file_next(f, &r, err);
            ck_assert_msg(rc == 1, "chunk %d record %zu: rc %d (%s)", c, i, rc, rc == 1 ? "" : err->msg);
            check_rec(&r, &g->m[c].x[i], i);
            ck_assert_msg(r.offset == (int64_t)g->f.chunk_off[c], "chunk %d record %zu: offset %lld, want %zu", c, i,
                          (long long)r.offset, g->f.chunk_off[c]);
        }
    }
    rc = lt_file_next(f, &r, err);
    ck_assert_msg(rc == final_rc, "after %d chunks: rc %d, want %d (%s)", nchunks, rc, final_rc, err->msg);
    if (final_rc != 1 && final_rc >= 0)
        ck_assert_msg(lt_file_next(f, &r, err) == 0, "lt_file_next after the end must keep returning 0");
    lt_file_close(f);
}

START_TEST(test_file_good)
{
    good_file_t g;
    good_file_build(&g);
    char *path = ut_path(tmpdir, "good.trace");
    ut_write_file(path, g.f.b.p, g.f.b.len);

    lt_trace_file_t *f;
    lt_err_t err;
    ck_assert_msg(lt_file_open(path, &f, &err) == 0, "open: %s", err.msg);
    const lt_file_info_t *info = lt_file_info(f);
    ck_assert_uint_eq(info->major, LT_FORMAT_MAJOR);
    ck_assert_uint_eq(info->minor, LT_FORMAT_MINOR);
    ck_assert_str_eq(info->header_text, header_text);
    ck_assert_uint_eq(lt_file_size(f), g.f.b.len);
    ck_assert_uint_eq(lt_file_pos(f), LT_FILE_FIXED_LEN + strlen(header_text));
    lt_rec_t r;
    size_t total = 0;
    int rc;
    while ((rc = lt_file_next(f, &r, &err)) == 1) total++;
    ck_assert_msg(rc == 0, "clean end expected, got %d (%s)", rc, err.msg);
    ck_assert_uint_eq(total, g.m[0].nx + g.m[1].nx + g.m[2].nx);
    ck_assert_uint_eq(lt_file_pos(f), g.f.b.len);
    ck_assert_int_eq(lt_file_next(f, &r, &err), 0);
    lt_file_close(f);

    read_expect(path, &g, 3, 0, &err);
    free(path);
    good_file_free(&g);
}
END_TEST

START_TEST(test_file_newer_minor_and_empty_text_accepted)
{
    ut_file_t f = { 0 };
    ut_file_header(&f, LT_FORMAT_MAJOR, 9, "");
    char *path = ut_path(tmpdir, "minor9.trace");
    ut_write_file(path, f.b.p, f.b.len);
    lt_trace_file_t *tf;
    lt_err_t err;
    ck_assert_msg(lt_file_open(path, &tf, &err) == 0, "a newer minor version must be read: %s", err.msg);
    ck_assert_uint_eq(lt_file_info(tf)->minor, 9);
    ck_assert_str_eq(lt_file_info(tf)->header_text, "");
    lt_rec_t r;
    ck_assert_int_eq(lt_file_next(tf, &r, &err), 0);   /* no chunks: clean end */
    lt_file_close(tf);
    free(path);
    ut_file_free(&f);
}
END_TEST

/* An event record this reader does not know, in a trace of a newer minor
 * version, is corrupt like any other, but the message says to use the
 * leaktrace that wrote the trace; other damage in such a trace does not. */
/* Writes a trace of header minor version `minor` and one chunk (raw, with
 * flags) as NAME, and returns what the first lt_file_next gives (err: its
 * message). */
static int first_record_of_one_chunk(const char *name, unsigned minor, const void *raw, size_t n, uint32_t flags,
                                     lt_err_t *err)
{
    ut_file_t f = { 0 };
    ut_file_header(&f, LT_FORMAT_MAJOR, minor, "");
    ut_file_chunk(&f, raw, n, flags, 1);
    char *path = ut_path(tmpdir, name);
    ut_write_file(path, f.b.p, f.b.len);
    lt_trace_file_t *tf;
    ck_assert_int_eq(lt_file_open(path, &tf, err), 0);
    lt_rec_t r;
    int rc = lt_file_next(tf, &r, err);
    lt_file_close(tf);
    free(path);
    ut_file_free(&f);
    return rc;
}

START_TEST(test_file_newer_minor_unknown_event_says_so)
{
    for (int k = 0; k < 3; k++) {
        int newer = k > 0, unknown = k < 2;   /* k = 2: newer, but plain damage (a free 0 back) */
        static const unsigned char raw[] = { LT_REC_SEGMENT, 1, 0x7e, 0, 0, 0 };
        static const unsigned char damaged[sizeof raw] = { LT_REC_SEGMENT, 1, LT_REC_FREE_BACK, 0, 0, 0 };
        lt_err_t err;
        ck_assert_int_eq(first_record_of_one_chunk("newer-record.trace", LT_FORMAT_MINOR + (unsigned)newer,
                                                   unknown ? raw : damaged, sizeof raw, 0, &err), -LT_E_CORRUPT);
        ck_assert_msg((strstr(err.msg, "unknown event record type 0x7e") != NULL) == unknown, "message: %s", err.msg);
        ck_assert_msg((strstr(err.msg, "read it with the leaktrace that wrote it") != NULL) == (newer && unknown),
                      "message: %s", err.msg);
    }
}
END_TEST

static int open_bytes(const char *name, const void *p, size_t n, lt_err_t *err)
{
    char *path = ut_path(tmpdir, name);
    ut_write_file(path, p, n);
    lt_trace_file_t *f = NULL;
    memset(err, 0, sizeof *err);
    int rc = lt_file_open(path, &f, err);
    if (rc == 0) lt_file_close(f);
    else ck_assert_msg(f == NULL, "failed open left *out set");
    free(path);
    return rc;
}

START_TEST(test_file_bad_magic_is_format_error)
{
    ut_file_t f = { 0 };
    ut_file_header(&f, LT_FORMAT_MAJOR, 0, header_text);
    lt_err_t err;
    for (int i = 0; i < LT_FILE_MAGIC_LEN; i++) {
        f.b.p[i] ^= 0x20;
        ck_assert_msg(open_bytes("badmagic.trace", f.b.p, f.b.len, &err) == -LT_E_FORMAT,
                      "magic byte %d changed: want LT_E_FORMAT (%s)", i, err.msg);
        ck_assert_int_eq(err.code, LT_E_FORMAT);
        f.b.p[i] ^= 0x20;
    }
    static const char text[] = "this is a text file, not a trace\n";
    ck_assert_int_eq(open_bytes("text.trace", text, sizeof text - 1, &err), -LT_E_FORMAT);
    ut_file_free(&f);
}
END_TEST

START_TEST(test_file_empty_is_format_error)
{
    lt_err_t err;
    ck_assert_int_eq(open_bytes("empty.trace", "", 0, &err), -LT_E_FORMAT);
    ck_assert_int_eq(err.code, LT_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "empty") != NULL, "message should say the file is empty: %s", err.msg);
}
END_TEST

START_TEST(test_file_other_major_is_format_error)
{
    ut_file_t f = { 0 };
    ut_file_header(&f, 2, 3, header_text);
    lt_err_t err;
    ck_assert_int_eq(open_bytes("major2.trace", f.b.p, f.b.len, &err), -LT_E_FORMAT);
    ck_assert_int_eq(err.code, LT_E_FORMAT);
    ck_assert_msg(strstr(err.msg, "2.3") != NULL, "message should name the file's version 2.3: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "1.") != NULL, "message should name the version read (1.x): %s", err.msg);
    ut_file_free(&f);
    ut_file_t z = { 0 };
    ut_file_header(&z, 0, 0, "");
    ck_assert_int_eq(open_bytes("major0.trace", z.b.p, z.b.len, &err), -LT_E_FORMAT);
    ut_file_free(&z);
}
END_TEST

START_TEST(test_file_cut_inside_header_is_corrupt)
{
    ut_file_t f = { 0 };
    ut_file_header(&f, LT_FORMAT_MAJOR, 0, header_text);
    lt_err_t err;
    /* inside the fixed part after the magic, and inside the text */
    for (size_t n = LT_FILE_MAGIC_LEN; n < f.b.len; n++) {
        int rc = open_bytes("cuthdr.trace", f.b.p, n, &err);
        ck_assert_msg(rc == -LT_E_CORRUPT, "header cut at %zu of %zu bytes: rc %d, want -LT_E_CORRUPT (%s)", n, f.b.len, rc, err.msg);
        ck_assert_int_eq(err.code, LT_E_CORRUPT);
    }
    /* inside the magic: not recognisable, but never a success */
    for (size_t n = 1; n < LT_FILE_MAGIC_LEN; n++)
        ck_assert_msg(open_bytes("cutmagic.trace", f.b.p, n, &err) < 0, "a %zu-byte file opened", n);
    /* an implausible text length */
    unsigned char big[LT_FILE_FIXED_LEN];
    memcpy(big, f.b.p, sizeof big);
    lt_put_u32(big + 12, LT_FILE_TEXT_MAX + 1);
    ck_assert_int_eq(open_bytes("bigtext.trace", big, sizeof big, &err), -LT_E_CORRUPT);
    ck_assert_int_eq(err.offset, 12);
    ut_file_free(&f);
}
END_TEST

START_TEST(test_file_cut_inside_chunk_is_cut_short)
{
    good_file_t g;
    good_file_build(&g);
    char *path = ut_path(tmpdir, "cut.trace");
    lt_err_t err;
    /* every cut inside the third chunk (header or payload) */
    for (size_t cut = g.f.chunk_off[2] + 1; cut < g.f.chunk_end[2]; cut++) {
        ut_write_file(path, g.f.b.p, cut);
        memset(&err, 0, sizeof err);
        read_expect(path, &g, 2, 2, &err);
        ck_assert_msg(err.code == LT_E_CORRUPT, "cut at %zu: err.code %d", cut, err.code);
        ck_assert_msg(err.offset == (int64_t)g.f.chunk_off[2], "cut at %zu: err.offset %lld, want chunk offset %zu",
                      cut, (long long)err.offset, g.f.chunk_off[2]);
        ck_assert_msg(strlen(err.msg) > 0, "cut at %zu: no message", cut);
    }
    /* a cut right at a chunk boundary looks like a clean end */
    ut_write_file(path, g.f.b.p, g.f.chunk_end[1]);
    read_expect(path, &g, 2, 0, &err);
    free(path);
    good_file_free(&g);
}
END_TEST

START_TEST(test_file_damaged_chunk_header_is_corrupt)
{
    good_file_t g;
    good_file_build(&g);
    char *path = ut_path(tmpdir, "badhdr.trace");
    lt_err_t err;
    for (size_t i = 0; i < LT_CHUNK_HDR_LEN; i++) {
        size_t at = g.f.chunk_off[1] + i;
        g.f.b.p[at] ^= 0x04;
        ut_write_file(path, g.f.b.p, g.f.b.len);
        memset(&err, 0, sizeof err);
        read_expect(path, &g, 1, -LT_E_CORRUPT, &err);
        ck_assert_int_eq(err.code, LT_E_CORRUPT);
        ck_assert_msg(err.offset == (int64_t)g.f.chunk_off[1], "header byte %zu flipped: err.offset %lld, want %zu",
                      i, (long long)err.offset, g.f.chunk_off[1]);
        g.f.b.p[at] ^= 0x04;
    }
    free(path);
    good_file_free(&g);
}
END_TEST

/* Reads path, whose chunks 0 and 1 are intact and chunk 2 damaged: returns
 * 1 when the damage was reported as corruption of chunk 2, 0 when chunk 2
 * decoded to exactly its original records (damage zstd may ignore, such as
 * its frame header's unused bit). Anything else fails the test. */
static int damaged_chunk2_outcome(const char *path, const good_file_t *g, size_t what)
{
    lt_trace_file_t *f;
    lt_err_t err;
    ck_assert_msg(lt_file_open(path, &f, &err) == 0, "open: %s", err.msg);
    lt_rec_t r;
    int rc = 0;
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; i < g->m[c].nx; i++) {
            rc = lt_file_next(f, &r, &err);
            if (c == 2 && rc < 0) {
                ck_assert_msg(rc == -LT_E_CORRUPT && err.code == LT_E_CORRUPT,
                              "payload byte %zu damaged: rc %d, want -LT_E_CORRUPT", what, rc);
                ck_assert_msg(err.offset == (int64_t)g->f.chunk_off[2], "payload byte %zu damaged: err.offset %lld, want %zu",
                              what, (long long)err.offset, g->f.chunk_off[2]);
                lt_file_close(f);
                return 1;
            }
            ck_assert_msg(rc == 1, "payload byte %zu damaged: chunk %d record %zu: rc %d", what, c, i, rc);
            check_rec(&r, &g->m[c].x[i], i);
        }
    }
    rc = lt_file_next(f, &r, &err);
    ck_assert_msg(rc == 0, "payload byte %zu damaged: rc %d after the last record", what, rc);
    lt_file_close(f);
    return 0;
}

START_TEST(test_file_damaged_payload_is_corrupt)
{
    /* chunk 2 carries zstd's content checksum, as the tracer writes it:
     * a damaged byte is reported as corruption at the chunk's offset, or
     * (bits zstd ignores) changes nothing; never silently other records */
    good_file_t g;
    good_file_build(&g);
    char *path = ut_path(tmpdir, "badpayload.trace");
    static const unsigned char masks[] = { 0x01, 0x10, 0x80, 0xff };
    size_t tried = 0, detected = 0;
    for (size_t at = g.f.chunk_off[2] + LT_CHUNK_HDR_LEN; at < g.f.chunk_end[2]; at++) {
        for (size_t k = 0; k < sizeof masks; k++) {
            g.f.b.p[at] ^= masks[k];
            ut_write_file(path, g.f.b.p, g.f.b.len);
            detected += (size_t)damaged_chunk2_outcome(path, &g, at - g.f.chunk_off[2] - LT_CHUNK_HDR_LEN);
            tried++;
            g.f.b.p[at] ^= masks[k];
        }
    }
    ck_assert_msg(detected * 100 >= tried * 95, "only %zu of %zu damaged payloads were reported corrupt", detected, tried);
    free(path);
    good_file_free(&g);
}
END_TEST

/* Format 1.7: five chunks of records in two zstd frames that span chunks
 * (0-2: chunk 0 starts the frame, 1 and 2 continue it; 3-4: a new frame,
 * ended by chunk 4). The chunks' records are alike, so the continued
 * chunks take matches from the ones before them. */
typedef struct stream_file {
    ut_file_t f;
    model_t m[5];
} stream_file_t;

static void stream_file_build(stream_file_t *g)
{
    memset(g, 0, sizeof *g);
    ut_file_header(&g->f, LT_FORMAT_MAJOR, LT_FORMAT_MINOR, header_text);
    uint64_t seq = 0;
    for (int c = 0; c < 5; c++) {
        model_t *m = &g->m[c];
        chunk_model_begin(m, 300, c);
        ut_rng_t rng;
        ut_rng_seed(&rng, 77);   /* the same blocks in every chunk */
        for (int i = 0; i < 400; i++, seq++)
            m_alloc(m, seq, seq * 100, 0x10000 + ut_rng_below(&rng, 1u << 20) * 16, ut_rng_below(&rng, 4000) + 1, (uint32_t)c, 0);
        m_freerec(m, seq, seq * 100, 0x10000); seq++;
        ut_file_stream_chunk(&g->f, m->e.buf, m->e.len, c == 4 ? LT_CHUNK_F_FINAL : 0, c != 0 && c != 3, c == 4);
    }
}

static void stream_file_free(stream_file_t *g)
{
    for (int c = 0; c < 5; c++) m_free(&g->m[c]);
    ut_file_free(&g->f);
}

/* Reads path and checks what comes out: the records of every chunk whose
 * bit is set in `good`, in order, with errors (-LT_E_CORRUPT, at most two,
 * each naming a byte, one of them containing want_msg) where the others
 * were; then the end. */
static void stream_expect(const char *path, const stream_file_t *g, unsigned good, const char *want_msg)
{
    lt_trace_file_t *f;
    lt_err_t err;
    ck_assert_msg(lt_file_open(path, &f, &err) == 0, "open %s: %s", path, err.msg);
    lt_rec_t r;
    int rc, lost = 0;
    for (int c = 0; c <= 5; c++) {
        if (c < 5 && !(good & (1u << c))) {
            lost = 1;
            continue;
        }
        rc = lt_file_next(f, &r, &err);
        int errors = 0, said = 0;
        while (rc == -LT_E_CORRUPT && errors < 3) {
            errors++;
            said |= strstr(err.msg, want_msg) != NULL;
            ck_assert_msg(strstr(err.msg, "byte"), "message without a byte offset: %s", err.msg);
            rc = lt_file_next(f, &r, &err);
        }
        ck_assert_msg(lost ? errors >= 1 && errors <= 2 && said : errors == 0,
                      "before chunk %d: %d errors (lost: %d), the last '%s'", c, errors, lost, errors ? err.msg : "");
        lost = 0;
        if (c == 5) {
            ck_assert_msg(rc == 0, "after the last chunk: rc %d (%s)", rc, err.msg);
            break;
        }
        for (size_t i = 0; i < g->m[c].nx; i++) {
            if (i) rc = lt_file_next(f, &r, &err);
            ck_assert_msg(rc == 1, "chunk %d record %zu: rc %d (%s)", c, i, rc, rc == 1 ? "" : err.msg);
            check_rec(&r, &g->m[c].x[i], i);
        }
    }
    lt_file_close(f);
}

START_TEST(test_file_frames_across_chunks)
{
    stream_file_t g;
    stream_file_build(&g);
    char *path = ut_path(tmpdir, "stream.trace");
    ut_write_file(path, g.f.b.p, g.f.b.len);
    stream_expect(path, &g, 0x1f, "");
    /* a continued chunk is smaller than the frame start before it */
    size_t z0 = g.f.chunk_end[0] - g.f.chunk_off[0], z1 = g.f.chunk_end[1] - g.f.chunk_off[1];
    ck_assert_msg(z1 * 2 < z0, "chunk 1 (%zu bytes) took no matches from chunk 0 (%zu bytes)", z1, z0);
    free(path);
    stream_file_free(&g);
}
END_TEST

/* Any damaged byte of a continued frame's chunk (after its header) is
 * caught by its check: the chunk and those continuing its frame are lost,
 * with one message, and the next frame reads. */
START_TEST(test_file_frames_across_chunks_damage)
{
    stream_file_t g;
    stream_file_build(&g);
    char *path = ut_path(tmpdir, "stream_bad.trace");
    for (size_t at = g.f.chunk_off[1] + LT_CHUNK_HDR_LEN; at < g.f.chunk_end[1]; at++) {
        g.f.b.p[at] ^= 0x10;
        ut_write_file(path, g.f.b.p, g.f.b.len);
        stream_expect(path, &g, 0x19, "and chunk 2 after it, which continues its compressed frame");
        g.f.b.p[at] ^= 0x10;
    }
    /* Chunk 0 gone (its header damaged): 1 and 2 cannot be read without it. */
    g.f.b.p[g.f.chunk_off[0] + 5] ^= 0x40;
    ut_write_file(path, g.f.b.p, g.f.b.len);
    g.f.b.p[g.f.chunk_off[0] + 5] ^= 0x40;
    stream_expect(path, &g, 0x18, "and chunk 2 after it, which continues its compressed frame");
    /* Chunk 1 gone: the hole is said, with chunk 2, which continued its
     * frame, in the same message. */
    ut_buf_t cut = { 0 };
    ut_buf_bytes(&cut, g.f.b.p, g.f.chunk_off[1]);
    ut_buf_bytes(&cut, g.f.b.p + g.f.chunk_end[1], g.f.b.len - g.f.chunk_end[1]);
    ut_write_file(path, cut.p, cut.len);
    {
        lt_trace_file_t *f;
        lt_err_t err;
        lt_rec_t r;
        ck_assert_int_eq(lt_file_open(path, &f, &err), 0);
        for (size_t i = 0; i < g.m[0].nx; i++) ck_assert_int_eq(lt_file_next(f, &r, &err), 1);
        ck_assert_int_eq(lt_file_next(f, &r, &err), -LT_E_CORRUPT);
        ck_assert_msg(strstr(err.msg, "chunk 1 ") && strstr(err.msg, "and chunk 2 after it, which continues its compressed frame"),
                      "%s", err.msg);
        for (int c = 3; c < 5; c++)
            for (size_t i = 0; i < g.m[c].nx; i++) {
                ck_assert_int_eq(lt_file_next(f, &r, &err), 1);
                check_rec(&r, &g.m[c].x[i], i);
            }
        ck_assert_int_eq(lt_file_next(f, &r, &err), 0);
        lt_file_close(f);
    }
    ut_buf_free(&cut);
    free(path);
    stream_file_free(&g);
}
END_TEST

START_TEST(test_file_bad_sizes_and_bad_records_are_corrupt)
{
    good_file_t g;
    good_file_build(&g);
    char *path = ut_path(tmpdir, "sizes.trace");
    lt_err_t err;
    unsigned char *h = g.f.b.p + g.f.chunk_off[1];
    unsigned char save[LT_CHUNK_HDR_LEN];
    memcpy(save, h, sizeof save);

    /* raw_len larger than any chunk may be, with a valid check */
    lt_chunk_hdr_pack(h, lt_get_u32(save + 4), LT_CHUNK_RAW_MAX + 1, 1, 0);
    ut_write_file(path, g.f.b.p, g.f.b.len);
    read_expect(path, &g, 1, -LT_E_CORRUPT, &err);
    ck_assert_int_eq(err.offset, (int64_t)g.f.chunk_off[1]);

    /* raw_len that differs from what the frame holds */
    lt_chunk_hdr_pack(h, lt_get_u32(save + 4), lt_get_u32(save + 8) + 1, 1, 0);
    ut_write_file(path, g.f.b.p, g.f.b.len);
    read_expect(path, &g, 1, -LT_E_CORRUPT, &err);
    ck_assert_int_eq(err.offset, (int64_t)g.f.chunk_off[1]);
    lt_chunk_hdr_pack(h, lt_get_u32(save + 4), lt_get_u32(save + 8) - 1, 1, 0);
    ut_write_file(path, g.f.b.p, g.f.b.len);
    read_expect(path, &g, 1, -LT_E_CORRUPT, &err);
    memcpy(h, save, sizeof save);

    /* a chunk whose records are damaged: the offset is the chunk's */
    ut_file_t f = { 0 };
    ut_file_header(&f, LT_FORMAT_MAJOR, 0, header_text);
    ut_file_chunk(&f, g.m[0].e.buf, g.m[0].e.len, 0, 1);
    static const unsigned char orphan[] = { LT_REC_FREE, 1, 1, 2 };
    ut_file_chunk(&f, orphan, sizeof orphan, 0, 1);
    ut_write_file(path, f.b.p, f.b.len);
    read_expect(path, &g, 1, -LT_E_CORRUPT, &err);
    ck_assert_int_eq(err.code, LT_E_CORRUPT);
    ck_assert_msg(err.offset == (int64_t)f.chunk_off[1], "err.offset %lld, want chunk offset %zu", (long long)err.offset, f.chunk_off[1]);
    ut_file_free(&f);
    free(path);
    good_file_free(&g);
}
END_TEST

/* Format 1.6: chunks in the field-stream layout read as the same records;
 * one whose streams do not gather is corruption, said as such, and the
 * reader goes on to the next chunk. */
START_TEST(test_file_field_stream_chunks)
{
    good_file_t g;
    good_file_build(&g);
    ut_file_t f = { 0 };
    ut_file_header(&f, LT_FORMAT_MAJOR, LT_FORMAT_MINOR, header_text);
    for (int c = 0; c < 3; c++) {
        size_t used, len;
        unsigned char *sp = fs_join(g.m[c].e.buf, g.m[c].e.len, g.m[c].e.len, &used, &len);
        if (c == 1) ut_file_chunk(&f, g.m[c].e.buf, g.m[c].e.len, 0, 1);   /* layouts mix */
        else ut_file_chunk(&f, sp, len, LT_CHUNK_F_FIELDS, 1);
        free(sp);
    }
    ut_file_chunk(&f, "", 0, LT_CHUNK_F_FINAL, 1);
    /* read_expect checks the records' chunk offsets in g.f: this file's */
    ut_file_t keep = g.f;
    g.f = f;
    char *path = ut_path(tmpdir, "fields.trace");
    ut_write_file(path, f.b.p, f.b.len);
    lt_err_t err;
    read_expect(path, &g, 3, 0, &err);

    /* chunk 0 with its stream count changed: the gather refuses it */
    ut_file_t bad = { 0 };
    ut_file_header(&bad, LT_FORMAT_MAJOR, LT_FORMAT_MINOR, header_text);
    size_t used, len;
    unsigned char *sp = fs_join(g.m[0].e.buf, g.m[0].e.len, g.m[0].e.len, &used, &len);
    sp[LT_FS_MARK_LEN] = LT_FS_N - 1;
    ut_file_chunk(&bad, sp, len, LT_CHUNK_F_FIELDS, 1);
    free(sp);
    ut_file_chunk(&bad, g.m[1].e.buf, g.m[1].e.len, 0, 1);
    ut_write_file(path, bad.b.p, bad.b.len);
    lt_trace_file_t *tf;
    ck_assert_msg(lt_file_open(path, &tf, &err) == 0, "open: %s", err.msg);
    lt_rec_t r;
    int rc = lt_file_next(tf, &r, &err);
    ck_assert_int_eq(rc, -LT_E_CORRUPT);
    ck_assert_msg(strstr(err.msg, "field streams") != NULL, "message should name the field streams: %s", err.msg);
    ck_assert_int_eq(err.offset, (int64_t)bad.chunk_off[0]);
    size_t n = 0;
    while ((rc = lt_file_next(tf, &r, &err)) == 1) n++;
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(n, g.m[1].nx);   /* the next chunk still reads */
    lt_file_close(tf);
    ut_file_free(&bad);

    g.f = keep;
    ut_file_free(&f);
    free(path);
    good_file_free(&g);
}
END_TEST

/* A chunk in field streams that does not gather, in a trace of a newer
 * minor version: most likely a record this reader does not know, and the
 * message says to read it with the newer leaktrace (not in a trace of this
 * version: plain damage). */
START_TEST(test_file_newer_minor_fields_chunk_says_so)
{
    /* SEGMENT tid 5, NOP dseq 1, then event tag 0x0D (not in 1.6) */
    static const unsigned char sp[] = {
        0x01, 0x00, 0x7f, LT_FS_N, 3, 0, 0, 0, 0, 0, 2,
        LT_REC_SEGMENT, LT_REC_NOP, 0x0d,   /* tags */
        5, 1,                               /* tid, dseq */
    };
    for (int newer = 0; newer < 2; newer++) {
        lt_err_t err;
        ck_assert_int_eq(first_record_of_one_chunk("newer-fields.trace", LT_FORMAT_MINOR + (unsigned)newer, sp, sizeof sp,
                                                   LT_CHUNK_F_FIELDS, &err), -LT_E_CORRUPT);
        ck_assert_msg(strstr(err.msg, "field streams") != NULL, "message: %s", err.msg);
        ck_assert_msg((strstr(err.msg, "read it with the leaktrace that wrote it") != NULL) == newer, "message: %s", err.msg);
    }
}
END_TEST

START_TEST(test_file_directory_and_missing_are_io_errors)
{
    lt_trace_file_t *f = (lt_trace_file_t *)&f;
    lt_err_t err;
    ck_assert_int_eq(lt_file_open(tmpdir, &f, &err), -LT_E_IO);
    ck_assert_int_eq(err.code, LT_E_IO);
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(err.msg, tmpdir) != NULL, "message should name the path: %s", err.msg);

    char *missing = ut_path(tmpdir, "no-such-file.trace");
    f = (lt_trace_file_t *)&f;
    ck_assert_int_eq(lt_file_open(missing, &f, &err), -LT_E_IO);
    ck_assert_int_eq(err.code, LT_E_IO);
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(err.msg, "no-such-file.trace") != NULL, "message should name the path: %s", err.msg);
    ck_assert_msg(strstr(err.msg, strerror(ENOENT)) != NULL, "message should give the reason: %s", err.msg);
    free(missing);
}
END_TEST

Suite *format_suite(void)
{
    Suite *s = suite_create("format");

    TCase *tc = tcase_create("numbers");
    tcase_add_test(tc, test_varint_round_trip_edge_values);
    tcase_add_test(tc, test_varint_random_stream);
    tcase_add_test(tc, test_zigzag_round_trip_edge_values);
    tcase_add_test(tc, test_varint_rejects_truncated_input);
    tcase_add_test(tc, test_varint_rejects_over_long_input);
    tcase_add_test(tc, test_varint_fast_and_bounded_paths_agree);
    tcase_add_test(tc, test_chunk_header_pack_and_check);
    suite_add_tcase(s, tc);

    tc = tcase_create("encode_decode");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_roundtrip_every_record_type);
    tcase_add_test(tc, test_encoder_returns_ring_record_sizes);
    tcase_add_test(tc, test_roundtrip_addresses_going_down);
    tcase_add_test(tc, test_roundtrip_two_segments_two_threads);
    tcase_add_test(tc, test_roundtrip_side_records_and_unknown_tags);
    tcase_add_test(tc, test_timestamp_going_back_is_clamped);
    tcase_add_test(tc, test_tsc_timestamps_converted_to_ns);
    tcase_add_test(tc, test_tsc_timestamps_rounded_to_the_quantum);
    tcase_add_test(tc, test_roundtrip_random_records);
    tcase_add_test(tc, test_free_and_realloc_refer_back_to_recent_allocations);
    tcase_add_test(tc, test_allocations_refer_to_free_lists_and_the_carve);
    tcase_add_test(tc, test_two_carves_follow_two_places);
    tcase_add_test(tc, test_carves_at_the_ends_of_the_address_space);
    tcase_add_loop_test(tc, test_roundtrip_allocator_shaped_history, 0, 3);
    tcase_add_test(tc, test_back_reference_out_of_range_is_corrupt);
    tcase_add_test(tc, test_frees_next_in_sequence_take_the_short_forms);
    tcase_add_test(tc, test_short_forms_with_bad_references_are_corrupt);
    tcase_add_test(tc, test_auto_level_follows_the_writers_load);
    tcase_add_test(tc, test_auto_level_searches_deep_while_the_writer_has_time);
    tcase_add_test(tc, test_timestamps_rounded_to_the_quantum);
    suite_add_tcase(s, tc);

    tc = tcase_create("decoder_robustness");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_truncation_is_records_or_corrupt);
    tcase_add_test(tc, test_random_corruption_never_crashes);
    tcase_add_test(tc, test_event_record_outside_segment_is_corrupt);
    tcase_add_test(tc, test_length_prefix_beyond_end_is_corrupt);
    suite_add_tcase(s, tc);

    tc = tcase_create("field_streams");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_field_streams_give_back_the_records);
    tcase_add_test(tc, test_field_streams_put_each_field_in_its_stream);
    tcase_add_test(tc, test_field_streams_follow_the_documented_table);
    tcase_add_test(tc, test_field_streams_split_a_prefix_at_a_record_boundary);
    tcase_add_test(tc, test_field_streams_written_by_the_encoder_match_the_split);
    tcase_add_test(tc, test_field_streams_damage_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, files_setup, files_teardown);
    tcase_add_test(tc, test_file_good);
    tcase_add_test(tc, test_file_newer_minor_and_empty_text_accepted);
    tcase_add_test(tc, test_file_newer_minor_unknown_event_says_so);
    tcase_add_test(tc, test_file_bad_magic_is_format_error);
    tcase_add_test(tc, test_file_empty_is_format_error);
    tcase_add_test(tc, test_file_other_major_is_format_error);
    tcase_add_test(tc, test_file_cut_inside_header_is_corrupt);
    tcase_add_test(tc, test_file_cut_inside_chunk_is_cut_short);
    tcase_add_test(tc, test_file_damaged_chunk_header_is_corrupt);
    tcase_add_test(tc, test_file_damaged_payload_is_corrupt);
    tcase_add_test(tc, test_file_frames_across_chunks);
    tcase_add_test(tc, test_file_frames_across_chunks_damage);
    tcase_add_test(tc, test_file_bad_sizes_and_bad_records_are_corrupt);
    tcase_add_test(tc, test_file_directory_and_missing_are_io_errors);
    tcase_add_test(tc, test_file_field_stream_chunks);
    tcase_add_test(tc, test_file_newer_minor_fields_chunk_says_so);
    suite_add_tcase(s, tc);
    return s;
}

#ifdef LT_STANDALONE_TEST
int main(void)
{
    SRunner *sr = srunner_create(format_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
