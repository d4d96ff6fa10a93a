/*
 * encode.h - turns ring records (lt_internal.h, LT_R_*) into the trace's
 * byte records (common/lt_format.h, LT_REC_*). Pure functions over a
 * caller-provided buffer: used by writer.c and by the unit tests.
 */
#ifndef LT_ENCODE_H
#define LT_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/lt_fields.h"
#include "../common/lt_format.h"

#define LT_ENC_AMAP 4096u   /* slots of the address -> allocation map, power of two */

/* Cache-line aligned, so that the writer's stores to it at every event
 * never share a line with anything a program's thread reads (see the live
 * set's state in liveset.c). */
typedef struct lt_enc {
    _Alignas(64) unsigned char *buf;
    size_t len, cap;     /* len: the chunk's bytes so far, in either layout */
    /* The layout being written (lt_enc_chunk): 0, records one after
     * another in buf; 1, field streams (lt_fields.h), each field written
     * straight to its stream: fc[s] is where stream s goes on, from fs[s]. */
    int fields;
    unsigned char *fc[LT_FS_N];
    unsigned char *fs[LT_FS_N];
    uint64_t prev_seq, prev_ts, prev_addr;
    int in_segment;
    /* Allocation history of the segment (LT_ADDR_HIST in lt_format.h):
     * hist[k % LT_ADDR_HIST] is the address of allocation k, nalloc the
     * allocations so far; amap finds the latest k of an address: its low
     * 32 bits, direct-mapped by the address's hash and checked against
     * hist, so stale slots are harmless. 16 KiB instead of the 64 KiB
     * that address and k took (perf put the encoder's stalls on these
     * loads; the writer's CPU on mallocbench moved by 3 %, within noise). */
    uint64_t nalloc, seg_base;
    uint64_t hist[LT_ADDR_HIST];
    uint64_t hsize[LT_ADDR_HIST];        /* the sizes of those allocations */
    uint32_t amap[LT_ENC_AMAP];
    /* The segment's free lists (format 1.4, lt_format.h): where ALLOC2 and
     * REALLOC2 find most new blocks. */
    lt_binlists_t bins;
    lt_carves_t carves;                  /* where the next fresh block likely starts (1.8: two guesses) */
    /* Event times are rounded down to a multiple of this (ns; 0 or 1: exact). */
    uint64_t ts_quantum;
    /* Timestamp conversion: ns = (ts - tsc0) * ns_per_tick when
     * ns_per_tick > 0, else timestamps are already ns. */
    uint64_t tsc0;
    double ns_per_tick;
    double quanta_per_tick;   /* ns_per_tick / ts_quantum, set by lt_enc_segment */
} lt_enc_t;

/* Worst-case bytes one ring record or segment header can take. */
#define LT_ENC_MAX_RECORD (32 + 11 * (LT_DEPTH_MAX_ENC + 4))
#define LT_DEPTH_MAX_ENC 256

/* Starts a chunk in a layout: records (fields 0) into buf, or field
 * streams (fields 1) into fs[0..LT_FS_N), which the caller has set, each
 * with room for cap bytes. The chunk starts outside any segment. */
void lt_enc_chunk(lt_enc_t *e, int fields);
/* The chunk's field streams (fields layout): bases and lengths. */
void lt_enc_streams(const lt_enc_t *e, lt_fs_streams_t *st);
/* Starts a segment for thread tid: resets the delta state. The segment
 * uses ts_quantum, tsc0 and ns_per_tick as they are now: set them (the
 * writer re-measures ns_per_tick each round) before starting it. */
void lt_enc_segment(lt_enc_t *e, uint32_t tid);
/* Encodes one ring record (words as in the ring, header first). PAD records
 * produce nothing. The caller guarantees cap - len >= LT_ENC_MAX_RECORD.
 * Returns the number of words the ring record occupied. */
unsigned lt_enc_ring_record(lt_enc_t *e, const uint64_t *w);
/* Appends a length-prefixed record (tag >= 0x80). Caller guarantees room
 * for len + 11 bytes. Does not touch the segment state. */
void lt_enc_side(lt_enc_t *e, unsigned tag, const void *payload, size_t len);
/* Appends n bytes of whole length-prefixed records, already encoded.
 * Caller guarantees room for n bytes. */
void lt_enc_raw(lt_enc_t *e, const void *rec, size_t n);

#endif
