/*
 * decode.h - bytes to typed records: the file header, the chunk framing
 * (zstd) and the record grammar of common/lt_format.h. Pure with respect to
 * its inputs; every length and index read from the file is checked, so any
 * byte string yields records or an error with its offset, never a crash.
 */
#ifndef LT_DECODE_H
#define LT_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/lt_format.h"
#include "error.h"

typedef struct lt_rec {
    int type;              /* LT_REC_* */
    uint32_t tid;          /* thread of hot records (current segment) */
    uint64_t seq, seq2;    /* seq2: alloc half of a realloc */
    uint64_t ts;
    uint64_t addr, addr2;  /* addr2: new block of a realloc */
    uint64_t size;
    uint32_t stack;
    unsigned fn;
    const unsigned char *payload; /* length-prefixed records: their payload */
    size_t len;
    int64_t offset;        /* file offset of the chunk holding the record */
} lt_rec_t;

/* ---- payload level (no I/O; fuzzed) ---- */
typedef struct lt_payload {
    const unsigned char *p, *end, *start;
    uint32_t tid;
    uint64_t prev_seq, prev_ts, prev_addr;
    int in_segment;
    uint64_t nalloc;                 /* allocations in the segment (1.2 history) */
    uint64_t hist[LT_ADDR_HIST];     /* their addresses, by number modulo LT_ADDR_HIST */
    uint64_t hsize[LT_ADDR_HIST];    /* and sizes (1.4 free lists) */
    lt_carves_t carves;              /* 1.4: where the next fresh block likely starts (1.8: two guesses) */
    lt_binlists_t bins;              /* 1.4: the segment's free lists */
    int unknown_event;               /* the last error was an event record of unknown type */
} lt_payload_t;

void lt_payload_init(lt_payload_t *pl, const unsigned char *buf, size_t len);
/* Returns 1 with *r filled, 0 at the end of the payload, or -LT_E_CORRUPT
 * (err->offset = position inside the payload). */
int lt_payload_next(lt_payload_t *pl, lt_rec_t *r, lt_err_t *err);

/* ---- chunk order and the retained window (pure; unit tested) ----
 * A trace file is a header and chunks. A flight-recorder ring
 * (LEAKTRACE_MAX_SIZE, docs/ring.md) overwrites its oldest chunks, so file
 * order is not write order: the reader finds every chunk with a valid
 * header, orders them by index and starts at the oldest checkpoint whose
 * chunks all survive (or at chunk 0 when it is still there). */
typedef struct lt_chunk_ent {
    uint64_t off;          /* file offset of the chunk header */
    uint32_t zlen, rlen, index, flags;
    int cut;               /* the file ends inside it */
} lt_chunk_ent_t;

typedef struct lt_ring_plan {
    size_t start;          /* first chunk to read (position in the sorted array) */
    int wrapped;           /* chunk 0 is gone: the oldest data was overwritten */
    int no_checkpoint;     /* wrapped, and no complete checkpoint survives: the
                              heap state before the first chunk is unknown */
    uint64_t missing;      /* chunk indexes missing after start (damaged/lost) */
} lt_ring_plan_t;

/* Sorts v[0..n) by chunk index, drops duplicate indexes (keeps the first
 * in file order), fills *plan. Returns the new count. Pure. */
size_t lt_ring_plan(lt_chunk_ent_t *v, size_t n, lt_ring_plan_t *plan);

/* ---- file level ---- */
typedef struct lt_trace_file lt_trace_file_t;

typedef struct lt_file_info {
    unsigned major, minor;
    char *header_text;     /* the self-description, NUL-terminated */
} lt_file_info_t;

/* Opens and checks the file header. Errors: LT_E_IO (cannot open/read),
 * LT_E_FORMAT (not a trace, other major version), LT_E_CORRUPT (header
 * damaged or truncated). */
int lt_file_open(const char *path, lt_trace_file_t **out, lt_err_t *err);
const lt_file_info_t *lt_file_info(const lt_trace_file_t *f);
/* Next record of the whole file, in write order from the start of the
 * retained window (lt_file_plan). Returns 1 with *r, 0 at a clean end of
 * file, 2 when the newest chunk is incomplete (the file ends inside it, or
 * it is being written: cut short, *err describes it, nothing more follows),
 * or a negative error. -LT_E_CORRUPT names a damaged chunk or missing
 * chunks (err->offset: where); the rest of that chunk is lost but calling
 * lt_file_next again goes on with the next good chunk. Other errors
 * (LT_E_NOMEM) are final. */
int lt_file_next(lt_trace_file_t *f, lt_rec_t *r, lt_err_t *err);
/* The window found when the file was opened. */
const lt_ring_plan_t *lt_file_plan(const lt_trace_file_t *f);
/* Chunks read without error so far. */
uint64_t lt_file_chunks_read(const lt_trace_file_t *f);
/* Bytes of the file consumed so far and its size (for progress). */
uint64_t lt_file_pos(const lt_trace_file_t *f);
uint64_t lt_file_size(const lt_trace_file_t *f);
void lt_file_close(lt_trace_file_t *f);

#endif
