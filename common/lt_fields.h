/*
 * lt_fields.h - the field-stream layout of a chunk's records (format 1.6,
 * LT_CHUNK_F_FIELDS; docs/trace-format.md, "Field streams").
 *
 * A chunk's records can be stored as they are (one record after another,
 * each tag followed by its fields) or rearranged into LT_FS_N streams, one
 * per kind of field: every tag and length-prefixed record in one, every
 * size in the next, every stack id in the next, and so on. The bytes are
 * the same, only their order differs. zstd codes literals with one Huffman
 * table per block, and where fields are close to random (block sizes and
 * free order of a shuffling program) a table per kind of field codes them
 * in fewer bits; where whole records repeat (a growing buffer's reallocs),
 * the records as they are compress better. The writer measures which.
 *
 * Layout of a split payload: the 3 bytes LT_FS_MARK, varint n (= LT_FS_N),
 * n varint lengths, then the n streams in order. Splitting and gathering
 * walk the same grammar (lt_format.h) with one function, lt_fs_walk, which
 * moves each field's bytes from a read cursor to a write cursor: the two
 * directions cannot disagree about where a field goes. The tracer's
 * encoder (preload/encode.c) writes a fields chunk's streams itself, without
 * a split; tests/unit/test_format.c checks that it writes what lt_fs_split
 * makes of its records. Pure C11, no allocation.
 */
#ifndef LT_FIELDS_H
#define LT_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lt_format.h"

/* The streams, in payload order. */
enum {
    LT_FS_TAG = 0,   /* event tags; length-prefixed records whole */
    LT_FS_SIZE,      /* block sizes */
    LT_FS_STACK,     /* stack ids */
    LT_FS_BACK,      /* back references into the allocation history */
    LT_FS_ADDR,      /* address deltas from prev_addr */
    LT_FS_CARVE,     /* address deltas from the carve */
    LT_FS_OTHER,     /* dseq, dts, fn, free-list references, thread ids */
    LT_FS_N
};
/* A split payload starts with SEGMENT (tid 0) and the event tag 0x7F, which
 * no format defines: a reader of 1.5 or older, which does not know the
 * layout, stops there and says that the trace is of a newer version. */
#define LT_FS_MARK "\x01\x00\x7f"
#define LT_FS_MARK_LEN 3
#define LT_FS_HDR_MAX (LT_FS_MARK_LEN + 1 + 10 * LT_FS_N)   /* bytes of a split payload's header, at most */

/* One walk over records, in either direction. Split: the records are
 * read through rp[0] (up to re[0]) and each field is written to wp[its
 * stream]; gather: each field is read through rp[its stream] (up to
 * re[its stream]) and written to wp[0]. Cursors are local arrays of the
 * caller's walk, never reached through a pointer a byte store could alias.
 * Stops at the first record boundary at or after stop (in the records
 * read by a split, written by a gather), or when the input ends. 0, or -1
 * when a record is cut short or has a tag that is not format 1.6's.
 * Writes are not bounds-checked: every
 * stream has room for all of the input (split), the output for the whole
 * payload (gather), and each byte read is written once. */
static inline __attribute__((always_inline)) int lt_fs_walk(const int split, const unsigned char *rp[LT_FS_N],
                                                             const unsigned char *const re[LT_FS_N],
                                                             unsigned char *wp[LT_FS_N], const unsigned char *stop)
{
#define LT_FS_R(s) rp[split ? 0 : (s)]
#define LT_FS_E(s) re[split ? 0 : (s)]
#define LT_FS_W(s) wp[split ? (s) : 0]
    /* One varint from stream s, its value in v. */
#define LT_FS_MOVE(s) do {                                                       \
        const unsigned char *r_ = LT_FS_R(s);                                    \
        unsigned char *w_ = LT_FS_W(s);                                          \
        if (r_ >= LT_FS_E(s)) return -1;                                         \
        unsigned char b_ = *r_++;                                                \
        *w_++ = b_;                                                              \
        v = b_;                                                                  \
        if (b_ & 0x80) {                                                         \
            v &= 0x7f;                                                           \
            for (unsigned sh_ = 7;; sh_ += 7) {                                  \
                if (r_ >= LT_FS_E(s) || sh_ > 63) return -1;                     \
                b_ = *r_++;                                                      \
                *w_++ = b_;                                                      \
                v |= (uint64_t)(b_ & 0x7f) << sh_;                               \
                if (!(b_ & 0x80)) break;                                         \
            }                                                                    \
        }                                                                        \
        LT_FS_R(s) = r_;                                                         \
        LT_FS_W(s) = w_;                                                         \
    } while (0)
#define LT_FS_BYTES(s, n) do {                                                   \
        if ((uint64_t)(LT_FS_E(s) - LT_FS_R(s)) < (n)) return -1;               \
        memcpy(LT_FS_W(s), LT_FS_R(s), (size_t)(n));                            \
        LT_FS_R(s) += (n);                                                       \
        LT_FS_W(s) += (n);                                                       \
    } while (0)
    uint64_t v;
    while (split ? rp[0] < re[0] && rp[0] < stop : rp[LT_FS_TAG] < re[LT_FS_TAG] && wp[0] < stop) {
        unsigned tag = *LT_FS_R(LT_FS_TAG)++;
        *LT_FS_W(LT_FS_TAG)++ = (unsigned char)tag;
        switch (tag) {
        case LT_REC_SEGMENT:
            LT_FS_MOVE(LT_FS_OTHER);
            break;
        case LT_REC_ALLOC:
            LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_ADDR);
            LT_FS_MOVE(LT_FS_SIZE); LT_FS_MOVE(LT_FS_STACK);
            LT_FS_BYTES(LT_FS_OTHER, 1);
            break;
        case LT_REC_FREE:
            LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_ADDR);
            break;
        case LT_REC_REALLOC:
        case LT_REC_REALLOC_BACK:
            LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_OTHER);
            if (tag == LT_REC_REALLOC) LT_FS_MOVE(LT_FS_ADDR);
            else LT_FS_MOVE(LT_FS_BACK);
            LT_FS_MOVE(LT_FS_ADDR); LT_FS_MOVE(LT_FS_SIZE); LT_FS_MOVE(LT_FS_STACK);
            break;
        case LT_REC_NOP:
            LT_FS_MOVE(LT_FS_OTHER);
            break;
        case LT_REC_FREE_BACK:
            LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_BACK);
            break;
        case LT_REC_ALLOC2:
            LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_SIZE); LT_FS_MOVE(LT_FS_STACK);
            LT_FS_BYTES(LT_FS_OTHER, 1);
            LT_FS_MOVE(LT_FS_OTHER);
            if (v == 0 || v == LT_REF_CARVE1) LT_FS_MOVE(LT_FS_CARVE);
            break;
        case LT_REC_REALLOC2:
            LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_OTHER); LT_FS_MOVE(LT_FS_OTHER);
            __attribute__((fallthrough));   /* the rest is REALLOC_S */
        case LT_REC_REALLOC_S:
            LT_FS_MOVE(LT_FS_SIZE); LT_FS_MOVE(LT_FS_STACK);
            LT_FS_MOVE(LT_FS_BACK);
            if (v == 0) LT_FS_MOVE(LT_FS_ADDR);
            LT_FS_MOVE(LT_FS_OTHER);
            if (v == 1 || v == LT_NEW_CARVE1) LT_FS_MOVE(LT_FS_CARVE);
            break;
        case LT_REC_FREE_BACK_S:
            LT_FS_MOVE(LT_FS_BACK);
            break;
        case LT_REC_FREE_S:
            LT_FS_MOVE(LT_FS_ADDR);
            break;
        case LT_REC_MALLOC_S ... LT_REC_MALLOC_S_CARVE1:
            LT_FS_MOVE(LT_FS_SIZE); LT_FS_MOVE(LT_FS_STACK);
            if (tag == LT_REC_MALLOC_S || tag == LT_REC_MALLOC_S_C1) LT_FS_MOVE(LT_FS_CARVE);
            break;
        case LT_REC_FREE_RECENT ... LT_REC_FREE_RECENT_LAST:
            break;
        case 0x80 ... 0xff:
            LT_FS_MOVE(LT_FS_TAG);
            LT_FS_BYTES(LT_FS_TAG, v);
            break;
        default:
            return -1;
        }
    }
    return 0;
#undef LT_FS_R
#undef LT_FS_E
#undef LT_FS_W
#undef LT_FS_MOVE
#undef LT_FS_BYTES
}

/* Where a split writes its streams: LT_FS_N buffers of room cap each (at
 * least the length of the records split), and their lengths. */
typedef struct lt_fs_streams {
    unsigned char *s[LT_FS_N];
    size_t len[LT_FS_N];
} lt_fs_streams_t;

/* Splits the records of rec[0..n), up to the first record boundary at or
 * after byte want (all of them when want >= n), into st's streams, each
 * with room for n bytes. Returns how many bytes of rec were split, or
 * (size_t)-1 when the records hold a tag this layout does not know or are
 * cut short (the caller keeps them as they are). */
static inline size_t lt_fs_split(const unsigned char *rec, size_t n, size_t want, lt_fs_streams_t *st)
{
    const unsigned char *rp[LT_FS_N] = { rec }, *re[LT_FS_N] = { rec + n };
    unsigned char *wp[LT_FS_N];
    for (int s = 0; s < LT_FS_N; s++) wp[s] = st->s[s];
    if (lt_fs_walk(1, rp, re, wp, rec + (want < n ? want : n)) != 0) return (size_t)-1;
    for (int s = 0; s < LT_FS_N; s++) st->len[s] = (size_t)(wp[s] - st->s[s]);
    return (size_t)(rp[0] - rec);
}

/* Writes the header of a split payload with st's stream lengths to h;
 * returns its length (at most LT_FS_HDR_MAX). The streams follow it. */
static inline size_t lt_fs_header(const lt_fs_streams_t *st, unsigned char h[LT_FS_HDR_MAX])
{
    memcpy(h, LT_FS_MARK, LT_FS_MARK_LEN);
    size_t k = LT_FS_MARK_LEN + lt_put_varint(h + LT_FS_MARK_LEN, LT_FS_N);
    for (int s = 0; s < LT_FS_N; s++) k += lt_put_varint(h + k, st->len[s]);
    return k;
}

/* Writes st as one split payload (header, then the streams) to out, which
 * has room for LT_FS_HDR_MAX bytes more than the streams hold; returns its
 * length. (The writer feeds header and streams to zstd in turn instead.) */
static inline size_t lt_fs_join(const lt_fs_streams_t *st, unsigned char *out)
{
    size_t k = lt_fs_header(st, out);
    for (int s = 0; s < LT_FS_N; s++) {
        memcpy(out + k, st->s[s], st->len[s]);
        k += st->len[s];
    }
    return k;
}

/* Gathers streams st (not changed) back into records in out, which has
 * room for all their bytes, up to the first record boundary at or after
 * byte want of the records (all of them when want is SIZE_MAX). Returns
 * the records' length, or -1 when a record is cut short or unknown, or
 * (want SIZE_MAX) a stream has bytes left over. */
static inline ptrdiff_t lt_fs_gather_streams(const lt_fs_streams_t *st, unsigned char *out, size_t want)
{
    const unsigned char *rp[LT_FS_N], *re[LT_FS_N];
    for (int s = 0; s < LT_FS_N; s++) {
        rp[s] = st->s[s];
        re[s] = st->s[s] + st->len[s];
    }
    unsigned char *wp[LT_FS_N] = { out };
    size_t all = 0;
    for (int s = 0; s < LT_FS_N; s++) all += st->len[s];
    if (lt_fs_walk(0, rp, re, wp, out + (want < all ? want : all)) != 0) return -1;
    for (int s = 0; want >= all && s < LT_FS_N; s++)
        if (rp[s] != re[s]) return -1;
    return (ptrdiff_t)(wp[0] - out);
}

/* Gathers a split payload sp[0..n) back into records in out (room for n
 * bytes: the records are never longer). Returns their length, or -1 when
 * the payload is damaged: a bad header, a record cut short or unknown, or
 * a stream with bytes left over. */
static inline ptrdiff_t lt_fs_gather(const unsigned char *sp, size_t n, unsigned char *out, size_t cap)
{
    if (n < LT_FS_MARK_LEN || memcmp(sp, LT_FS_MARK, LT_FS_MARK_LEN) != 0) return -1;
    const unsigned char *p = sp + LT_FS_MARK_LEN, *end = sp + n;
    uint64_t ns, len;
    if (lt_get_varint(&p, end, &ns) != 0 || ns != LT_FS_N) return -1;
    size_t lens[LT_FS_N], total = 0;
    for (int s = 0; s < LT_FS_N; s++) {
        if (lt_get_varint(&p, end, &len) != 0 || len > n) return -1;
        lens[s] = (size_t)len;
        total += (size_t)len;   /* at most LT_FS_N * n: no overflow */
    }
    if (total != (size_t)(end - p) || cap < total) return -1;
    lt_fs_streams_t st;
    for (int s = 0; s < LT_FS_N; s++) {
        st.s[s] = (unsigned char *)p;   /* only read */
        st.len[s] = lens[s];
        p += lens[s];
    }
    return lt_fs_gather_streams(&st, out, SIZE_MAX);
}

#endif /* LT_FIELDS_H */
