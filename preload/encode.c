/*
 * encode.c - ring records to trace records. See common/lt_format.h for the
 * byte grammar; here only the delta bookkeeping lives. Pure, no I/O.
 */
#include <string.h>

#include "../common/lt_format.h"
#include "encode.h"
#include "lt_internal.h"

void lt_enc_segment(lt_enc_t *e, uint32_t tid)
{
    e->buf[e->len++] = LT_REC_SEGMENT;
    e->len += lt_put_varint(e->buf + e->len, tid);
    e->prev_seq = e->prev_ts = e->prev_addr = 0;
    e->in_segment = 1;
    /* Forget the history without clearing it: allocation numbers keep
     * counting, and only those from seg_base on belong to this segment. */
    e->seg_base = e->nalloc;
    lt_bins_reset(&e->bins);
    e->carve = 0;
    e->quanta_per_tick = e->ts_quantum > 1 ? e->ns_per_tick / (double)e->ts_quantum : e->ns_per_tick;
}

/* The event path writes through a local cursor and stores it back once:
 * a byte stored through e->buf may alias the encoder's own fields, so
 * writing e->buf[e->len++] field by field made the compiler reload and
 * store e->len around every byte. */
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
 * in the free list of its size, taken off the list, or -1 and *dcarve, the
 * delta from the carve, which moves past the block. */
static inline int new_block_ref(lt_enc_t *e, uint64_t a, uint64_t size, uint64_t *dcarve)
{
    int i = lt_bins_find_take(&e->bins, size, a);
    if (i < 0) {
        *dcarve = lt_zigzag((int64_t)(a - e->carve));
        e->carve = lt_carve_next(a, size);
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

unsigned lt_enc_ring_record(lt_enc_t *e, const uint64_t *w)
{
    unsigned n = LT_R_NWORDS(w[0]);
    switch (LT_R_TYPE(w[0])) {
    case LT_R_ALLOC: {
        uint64_t ds = seq_delta(e, w[1]), dt = ts_delta(e, w[2]), dc = 0;
        unsigned fn = LT_R_AUX(w[0]);
        int i = new_block_ref(e, w[3], w[4], &dc);
        e->prev_addr = w[3];
        hist_push(e, w[3], w[4]);
        unsigned char *p = e->buf + e->len;
        if (ds == 1 && dt == 0 && fn == LT_FN_MALLOC) {   /* the common case, 1.5 */
            *p++ = (unsigned char)(i >= 0 ? LT_REC_MALLOC_S + 1 + i : dc ? LT_REC_MALLOC_S : LT_REC_MALLOC_S_CARVE);
            p = putv(p, w[4]);
            p = putv(p, w[5]);
            if (i < 0 && dc) p = putv(p, dc);
        } else {
            *p++ = LT_REC_ALLOC2;
            p = putv(p, ds);
            p = putv(p, dt);
            p = putv(p, w[4]);
            p = putv(p, w[5]);
            *p++ = (unsigned char)fn;
            p = putv(p, (uint64_t)(i + 1));
            if (i < 0) p = putv(p, dc);
        }
        e->len = (size_t)(p - e->buf);
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
        unsigned char *p = e->buf + e->len;
        if (ds == 1 && dt == 0) {                          /* short forms, 1.5 */
            if (back && back <= LT_REC_FREE_RECENT_LAST - LT_REC_FREE_RECENT + 1) {
                *p++ = (unsigned char)(LT_REC_FREE_RECENT + back - 1);
            } else {
                *p++ = back ? LT_REC_FREE_BACK_S : LT_REC_FREE_S;
                p = putv(p, da);
            }
        } else {
            *p++ = back ? LT_REC_FREE_BACK : LT_REC_FREE;
            p = putv(p, ds);
            p = putv(p, dt);
            p = putv(p, da);
        }
        e->len = (size_t)(p - e->buf);
        break;
    }
    case LT_R_REALLOC: {
        uint64_t back = hist_back(e, w[4]);
        uint64_t ds = seq_delta(e, w[1]), ds2 = w[2] - w[1], dt = ts_delta(e, w[3]);
        e->prev_seq = w[2];
        uint64_t old = back, dold = 0, nw = 0, dnew = 0;
        if (!back) dold = addr_delta(e, w[4]);
        if (w[5] != w[4]) {
            nw = (uint64_t)(new_block_ref(e, w[5], w[6], &dnew) + 2);   /* 1: the carve */
            if (back) lt_bins_push(&e->bins, hist_size(e, back), w[4]);
        }
        e->prev_addr = w[5];
        hist_push(e, w[5], w[6]);
        unsigned char *p = e->buf + e->len;
        if (ds == 1 && ds2 == 1 && dt == 0) {              /* short form, 1.5 */
            *p++ = LT_REC_REALLOC_S;
        } else {
            *p++ = LT_REC_REALLOC2;
            p = putv(p, ds);
            p = putv(p, ds2);
            p = putv(p, dt);
        }
        p = putv(p, w[6]);
        p = putv(p, w[7]);
        p = putv(p, old);
        if (!old) p = putv(p, dold);
        p = putv(p, nw);
        if (nw == 1) p = putv(p, dnew);
        e->len = (size_t)(p - e->buf);
        break;
    }
    case LT_R_NOP: {
        uint64_t ds = seq_delta(e, w[1]);
        unsigned char *p = e->buf + e->len;
        *p++ = LT_REC_NOP;
        p = putv(p, ds);
        e->len = (size_t)(p - e->buf);
        break;
    }
    case LT_R_STACK:
        enc_stack(e, w);
        break;
    case LT_R_THREAD:
        enc_thread(e, w);
        break;
    default: /* LT_R_PAD */
        break;
    }
    return n;
}

void lt_enc_side(lt_enc_t *e, unsigned tag, const void *payload, size_t len)
{
    e->buf[e->len++] = (unsigned char)tag;
    e->len += lt_put_varint(e->buf + e->len, len);
    memcpy(e->buf + e->len, payload, len);
    e->len += len;
}
