/*
 * encode.c - ring records to trace records. See common/lt_format.h for the
 * byte grammar; here only the delta bookkeeping lives. Pure, no I/O.
 */
#include <string.h>

#include "../common/lt_format.h"
#include "encode.h"
#include "lt_internal.h"

void lt_enc_chunk(lt_enc_t *e, int fields)
{
    e->len = 0;
    e->in_segment = 0;
    e->fields = fields;
    for (int s = 0; s < LT_FS_N; s++) e->fc[s] = e->fs[s];
}

void lt_enc_streams(const lt_enc_t *e, lt_fs_streams_t *st)
{
    for (int s = 0; s < LT_FS_N; s++) {
        st->s[s] = e->fs[s];
        st->len[s] = (size_t)(e->fc[s] - e->fs[s]);
    }
}

/* Appends n bytes to stream s (fields) or to the records (not fields). */
static void put_bytes(lt_enc_t *e, int s, const void *b, size_t n)
{
    if (e->fields) {
        memcpy(e->fc[s], b, n);
        e->fc[s] += n;
    } else {
        memcpy(e->buf + e->len, b, n);
    }
    e->len += n;
}

void lt_enc_segment(lt_enc_t *e, uint32_t tid)
{
    unsigned char t = LT_REC_SEGMENT, v[10];
    put_bytes(e, LT_FS_TAG, &t, 1);
    put_bytes(e, LT_FS_OTHER, v, lt_put_varint(v, tid));
    e->prev_seq = e->prev_ts = e->prev_addr = 0;
    e->in_segment = 1;
    /* Forget the history without clearing it: allocation numbers keep
     * counting, and only those from seg_base on belong to this segment. */
    e->seg_base = e->nalloc;
    lt_bins_reset(&e->bins);
    lt_carves_reset(&e->carves);
    e->quanta_per_tick = e->ts_quantum > 1 ? e->ns_per_tick / (double)e->ts_quantum : e->ns_per_tick;
}

/* In records, the event path writes through a local cursor and stores it
 * back once: a byte stored through e->buf may alias the encoder's own
 * fields, so writing e->buf[e->len++] field by field made the compiler
 * reload and store e->len around every byte. In field streams each field
 * loads and stores its stream's cursor (see enc_event): seven local
 * cursors were kept in memory by the compiler and cost more. */
static inline unsigned char *putv(unsigned char *p, uint64_t v)
{
    if (__builtin_expect(v < 0x80, 1)) {     /* most fields */
        *p = (unsigned char)v;
        return p + 1;
    }
    return p + lt_put_varint(p, v);
}

static inline uint64_t seq_delta(lt_enc_t *e, uint64_t seq)
{
    uint64_t d = seq - e->prev_seq;
    e->prev_seq = seq;
    return d;
}

static inline uint64_t ts_delta(lt_enc_t *e, uint64_t ts)
{
    if (e->ns_per_tick > 0) {
        /* ticks straight to quanta: no division per event */
        uint64_t u = (uint64_t)((double)(ts - e->tsc0) * e->quanta_per_tick);
        ts = e->ts_quantum > 1 ? u * e->ts_quantum : u;
    } else if (e->ts_quantum > 1) {
        ts -= ts % e->ts_quantum;
    }
    /* Per-thread CLOCK_MONOTONIC never goes back; clamp defensively so a
     * broken clock cannot produce a negative delta. */
    uint64_t d = ts >= e->prev_ts ? ts - e->prev_ts : 0;
    if (ts > e->prev_ts) e->prev_ts = ts;
    return d;
}

static inline uint64_t addr_delta(lt_enc_t *e, uint64_t a)
{
    uint64_t d = lt_zigzag((int64_t)(a - e->prev_addr));
    e->prev_addr = a;
    return d;
}

static inline unsigned amap_slot(uint64_t a)
{
    return (unsigned)((a * 0x9e3779b97f4a7c15ull) >> 40) & (LT_ENC_AMAP - 1);
}

/* Remembers that the segment's next allocation returned a block of size
 * bytes at a. */
static inline void hist_push(lt_enc_t *e, uint64_t a, uint64_t size)
{
    uint64_t k = e->nalloc++;
    e->hist[k % LT_ADDR_HIST] = a;
    e->hsize[k % LT_ADDR_HIST] = size;
    e->amap[amap_slot(a)] = (uint32_t)k;
}

/* How many allocations back (1 = the latest) a was returned in this
 * segment, or 0 when it is not in the history. */
static inline uint64_t hist_back(const lt_enc_t *e, uint64_t a)
{
    uint64_t back = (uint32_t)((uint32_t)e->nalloc - e->amap[amap_slot(a)]);
    if (back == 0 || back > LT_ADDR_HIST || back > e->nalloc - e->seg_base ||
        e->hist[(e->nalloc - back) % LT_ADDR_HIST] != a)
        return 0;
    return back;
}

/* The size of the allocation back allocations ago (1 = the latest). */
static inline uint64_t hist_size(const lt_enc_t *e, uint64_t back)
{
    return e->hsize[(e->nalloc - back) % LT_ADDR_HIST];
}

/* How a new block of size bytes at a is named (format 1.4): its position
 * in the free list of its size, taken off the list, or -1, *j and *dcarve:
 * the carve it is named by (1.8) and the delta from it; the carves move. */
static inline int new_block_ref(lt_enc_t *e, uint64_t a, uint64_t size, uint64_t *dcarve, unsigned *j)
{
    int i = lt_bins_find_take(&e->bins, size, a);
    if (i < 0) {
        int64_t d;
        *j = lt_carves_pick(&e->carves, a, &d);
        *dcarve = lt_zigzag(d);
        lt_carves_moved(&e->carves, *j, d, a, size);
    }
    return i;
}

/* Stack and thread records are rare: out of line, so that the event path
 * does not carry their 2.8 KiB scratch buffers in its frame. */
static __attribute__((noinline)) void enc_stack(lt_enc_t *e, const uint64_t *w)
{
    uint32_t depth = LT_R_AUX(w[0]);
    unsigned char tmp[16 * 3 + 11 * LT_DEPTH_MAX_ENC], *p = tmp;
    p += lt_put_varint(p, w[1]);
    p += lt_put_varint(p, w[2]);
    p += lt_put_varint(p, depth);
    for (uint32_t i = 0; i < depth; i++)
        p += lt_put_varint(p, i == 0 ? w[3] : lt_zigzag((int64_t)(w[3 + i] - w[2 + i])));
    lt_enc_side(e, LT_REC_STACK, tmp, (size_t)(p - tmp));
}

static __attribute__((noinline)) void enc_thread(lt_enc_t *e, const uint64_t *w)
{
    unsigned kind = LT_R_AUX(w[0]);
    unsigned char tmp[11 * 7 + 16], *p = tmp;
    uint64_t ts = w[2];
    if (e->ns_per_tick > 0) ts = (uint64_t)((double)(ts - e->tsc0) * e->ns_per_tick);
    p += lt_put_varint(p, kind);
    p += lt_put_varint(p, w[1]);
    p += lt_put_varint(p, ts);
    if (kind == LT_THR_NAME) {
        char name[16];
        memcpy(name, &w[3], 16);
        size_t len = strnlen(name, 15);
        p += lt_put_varint(p, len);
        memcpy(p, name, len);
        p += len;
    } else {
        for (int i = 3; i < 6; i++) p += lt_put_varint(p, w[i]);
        if (kind == LT_THR_CREATE) p += lt_put_varint(p, w[6]);
    }
    lt_enc_side(e, LT_REC_THREAD, tmp, (size_t)(p - tmp));
}

/* The event path, for one layout (fields is a constant in each caller).
 * Records: every field through one local cursor, r. Field streams: each
 * through its stream's cursor e->fc[s], k counting the bytes. The streams
 * of each record form are those of lt_fs_walk (lt_fields.h);
 * tests/unit/test_format.c checks that this writes what splitting the
 * records would. */
#define PUT(s, v) do {                                                           \
        if (fields) {                                                            \
            unsigned char *p_ = e->fc[s], *q_ = putv(p_, (v));                   \
            e->fc[s] = q_;                                                       \
            k += (size_t)(q_ - p_);                                              \
        } else {                                                                 \
            r = putv(r, (v));                                                    \
        }                                                                        \
    } while (0)
#define PUTB(s, b) do {                                                          \
        if (fields) {                                                            \
            *e->fc[s]++ = (unsigned char)(b);                                    \
            k++;                                                                 \
        } else {                                                                 \
            *r++ = (unsigned char)(b);                                           \
        }                                                                        \
    } while (0)
static LT_ALWAYS_INLINE unsigned enc_event(lt_enc_t *e, const uint64_t *w, const int fields)
{
    unsigned n = LT_R_NWORDS(w[0]);
    unsigned char *r = fields ? NULL : e->buf + e->len;
    size_t k = 0;
    switch (LT_R_TYPE(w[0])) {
    case LT_R_ALLOC: {
        uint64_t ds = seq_delta(e, w[1]), dt = ts_delta(e, w[2]), dc = 0;
        unsigned fn = LT_R_AUX(w[0]), j = 0;
        int i = new_block_ref(e, w[3], w[4], &dc, &j);
        e->prev_addr = w[3];
        hist_push(e, w[3], w[4]);
        if (ds == 1 && dt == 0 && fn == LT_FN_MALLOC) {   /* the common case, 1.5 */
            PUTB(LT_FS_TAG, i >= 0 ? LT_REC_MALLOC_S + 1 + i
                          : j ? (dc ? LT_REC_MALLOC_S_C1 : LT_REC_MALLOC_S_CARVE1)
                              : (dc ? LT_REC_MALLOC_S : LT_REC_MALLOC_S_CARVE));
            PUT(LT_FS_SIZE, w[4]);
            PUT(LT_FS_STACK, w[5]);
            if (i < 0 && dc) PUT(LT_FS_CARVE, dc);
        } else {
            PUTB(LT_FS_TAG, LT_REC_ALLOC2);
            PUT(LT_FS_OTHER, ds);
            PUT(LT_FS_OTHER, dt);
            PUT(LT_FS_SIZE, w[4]);
            PUT(LT_FS_STACK, w[5]);
            PUTB(LT_FS_OTHER, fn);
            PUT(LT_FS_OTHER, i >= 0 ? (uint64_t)(i + 1) : j ? LT_REF_CARVE1 : 0);
            if (i < 0) PUT(LT_FS_CARVE, dc);
        }
        break;
    }
    case LT_R_FREE: {
        uint64_t back = hist_back(e, w[3]);
        uint64_t ds = seq_delta(e, w[1]), dt = ts_delta(e, w[2]), da;
        if (back) {
            da = back;
            e->prev_addr = w[3];
            lt_bins_push(&e->bins, hist_size(e, back), w[3]);
        } else {
            da = addr_delta(e, w[3]);
        }
        if (ds == 1 && dt == 0) {                          /* short forms, 1.5 */
            if (back && back <= LT_REC_FREE_RECENT_LAST - LT_REC_FREE_RECENT + 1) {
                PUTB(LT_FS_TAG, LT_REC_FREE_RECENT + back - 1);
            } else {
                PUTB(LT_FS_TAG, back ? LT_REC_FREE_BACK_S : LT_REC_FREE_S);
                PUT(back ? LT_FS_BACK : LT_FS_ADDR, da);
            }
        } else {
            PUTB(LT_FS_TAG, back ? LT_REC_FREE_BACK : LT_REC_FREE);
            PUT(LT_FS_OTHER, ds);
            PUT(LT_FS_OTHER, dt);
            PUT(back ? LT_FS_BACK : LT_FS_ADDR, da);
        }
        break;
    }
    case LT_R_REALLOC: {
        uint64_t back = hist_back(e, w[4]);
        uint64_t ds = seq_delta(e, w[1]), ds2 = w[2] - w[1], dt = ts_delta(e, w[3]);
        e->prev_seq = w[2];
        uint64_t old = back, dold = 0, nw = 0, dnew = 0;
        if (!back) dold = addr_delta(e, w[4]);
        if (w[5] != w[4]) {
            unsigned j = 0;
            int i = new_block_ref(e, w[5], w[6], &dnew, &j);
            nw = i >= 0 ? (uint64_t)(i + 2) : j ? LT_NEW_CARVE1 : 1;
            if (back) lt_bins_push(&e->bins, hist_size(e, back), w[4]);
        }
        e->prev_addr = w[5];
        hist_push(e, w[5], w[6]);
        if (ds == 1 && ds2 == 1 && dt == 0) {              /* short form, 1.5 */
            PUTB(LT_FS_TAG, LT_REC_REALLOC_S);
        } else {
            PUTB(LT_FS_TAG, LT_REC_REALLOC2);
            PUT(LT_FS_OTHER, ds);
            PUT(LT_FS_OTHER, ds2);
            PUT(LT_FS_OTHER, dt);
        }
        PUT(LT_FS_SIZE, w[6]);
        PUT(LT_FS_STACK, w[7]);
        PUT(LT_FS_BACK, old);
        if (!old) PUT(LT_FS_ADDR, dold);
        PUT(LT_FS_OTHER, nw);
        if (nw == 1 || nw == LT_NEW_CARVE1) PUT(LT_FS_CARVE, dnew);
        break;
    }
    case LT_R_NOP:
        PUTB(LT_FS_TAG, LT_REC_NOP);
        PUT(LT_FS_OTHER, seq_delta(e, w[1]));
        break;
    case LT_R_STACK:
        enc_stack(e, w);
        return n;
    case LT_R_THREAD:
        enc_thread(e, w);
        return n;
    default: /* LT_R_PAD */
        return n;
    }
    if (fields) e->len += k;
    else e->len = (size_t)(r - e->buf);
    return n;
}
#undef PUT
#undef PUTB

unsigned lt_enc_ring_record(lt_enc_t *e, const uint64_t *w)
{
    return e->fields ? enc_event(e, w, 1) : enc_event(e, w, 0);
}

void lt_enc_side(lt_enc_t *e, unsigned tag, const void *payload, size_t len)
{
    unsigned char h[11];
    h[0] = (unsigned char)tag;
    put_bytes(e, LT_FS_TAG, h, 1 + (size_t)lt_put_varint(h + 1, len));
    put_bytes(e, LT_FS_TAG, payload, len);
}

void lt_enc_raw(lt_enc_t *e, const void *rec, size_t n)
{
    put_bytes(e, LT_FS_TAG, rec, n);   /* length-prefixed records go whole to the tags */
}
