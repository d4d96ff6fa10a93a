/*
 * lt_format.h - the leaktrace trace file format, shared by preload/ (which
 * writes it) and analyzer/ (which reads it). docs/trace-format.md is the
 * prose specification; this header is its machine form. Pure C11, no
 * dependencies beyond <stdint.h>/<string.h>: include it from anywhere.
 *
 * A trace is:
 *   file header  : 8-byte magic, u16 major, u16 minor, u32 text_len, then
 *                  text_len bytes of "key=value\n" lines (self-description)
 *   chunk*       : 24-byte chunk header + the payload: one zstd frame, or
 *                  (format 1.7, LT_CHUNK_F_STREAM) a check and part of a
 *                  zstd frame that may go on in the chunks after it
 *
 * Every chunk's records decode on their own: delta state resets at each
 * segment start. A chunk's compressed bytes may continue the zstd frame
 * of the chunk before it (LT_CHUNK_F_CONT), so that zstd finds matches in
 * the chunks before; a frame starts again at every checkpoint and at least
 * every LT_FRAME_CHUNKS_MAX chunks, which is where a reader can start, and
 * a chunk once written is complete (zstd flushed it), so a crash still
 * costs at most the chunk being written. The payload decompresses to a
 * sequence of records (see LT_REC_*).
 *
 * Ordering: every allocation, free and mark carries a 64-bit sequence number
 * taken from one process-wide atomic counter (no lock). A free takes its
 * number before the block is handed back to libc, an allocation after libc
 * handed the block out, so sorting by sequence number replays the events in
 * an order consistent with what really happened, across threads. Sequence
 * numbers are dense: a reader knows when it has everything up to N.
 */
#ifndef LT_FORMAT_H
#define LT_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- file header ------------------------------------------------------- */

#define LT_FILE_MAGIC      "\x89LTRACE\n"   /* 8 bytes; \x89 catches 7-bit mangling */
#define LT_FILE_MAGIC_LEN  8
#define LT_FORMAT_MAJOR    1               /* readers refuse other majors */
#define LT_FORMAT_MINOR    8               /* readers accept any minor of their major */
#define LT_FILE_FIXED_LEN  16              /* magic + major + minor + text_len */
#define LT_FILE_TEXT_MAX   65536           /* header text larger than this is corrupt */

/* ---- chunk header (24 bytes, little endian) ------------------------------
 *   0  u32 magic LT_CHUNK_MAGIC
 *   4  u32 payload_len   compressed bytes that follow the header
 *   8  u32 raw_len       decompressed size of the payload
 *  12  u32 index         0, 1, 2, ... in write order
 *  16  u32 flags         LT_CHUNK_F_*
 *  20  u32 check         FNV-1a of bytes 0..19 (catches torn/corrupt headers)
 */
#define LT_CHUNK_MAGIC     0x4b43544cu     /* "LTCK" */
#define LT_CHUNK_HDR_LEN   24
#define LT_CHUNK_RAW_MAX   (64u << 20)     /* a reader refuses larger chunks */
#define LT_CHUNK_F_FINAL   1u              /* last chunk, written at exit */
/* Flight-recorder ring (LEAKTRACE_MAX_SIZE, docs/ring.md): a checkpoint is
 * written as its own run of consecutive chunks holding only checkpoint
 * records; the first has CKPT_FIRST, the last CKPT_LAST (one chunk: both).
 * A reader starts at the oldest checkpoint whose chunks all survive. */
#define LT_CHUNK_F_CKPT_FIRST 2u
#define LT_CHUNK_F_CKPT_LAST  4u
/* The payload is in the field-stream layout (format 1.6, lt_fields.h):
 * gathered, it is the records. */
#define LT_CHUNK_F_FIELDS  8u
/* Format 1.7: the payload is a u32 check (lt_check32 of the bytes after
 * it), then zstd's compressed bytes up to a flush: a whole frame's start
 * (and possibly its end), or, with CONT too, the continuation of the frame
 * of the chunk whose index is one below (the frame ends in some later
 * chunk, or never: a reader takes the frame as far as the chunks go).
 * raw_len is what this chunk's bytes decompress to. */
#define LT_CHUNK_F_STREAM  16u
#define LT_CHUNK_F_CONT    32u
/* A writer starts a new frame at least every this many chunks: a chunk
 * damaged on disk loses the rest of its frame with it, and a reader that
 * starts in the middle of a frame (a ring with no checkpoint left) loses
 * the chunks up to the next frame. */
#define LT_FRAME_CHUNKS_MAX 32u
#define LT_FRAME_CHUNKS_RING 8u   /* ... 8 in a ring (LEAKTRACE_MAX_SIZE) */
#define LT_CHUNK_CHECK_LEN 4u

/* ---- records -------------------------------------------------------------
 * Each record starts with a one-byte tag. Tags below 0x80 are the hot event
 * records: fixed grammar, delta-coded against the current segment state.
 * Tags from 0x80 are followed by a varint payload length, so a reader can
 * skip a tag it does not know (forward compatible within a major version).
 *
 * Varints are LEB128 (7 bits per byte, low first). "zz" marks zigzag-coded
 * signed deltas. Segment state: prev_seq, prev_ts, prev_addr, all zero at
 * LT_REC_SEGMENT, (since 1.2) the allocation history (LT_ADDR_HIST) and
 * (since 1.4) the free lists (LT_SIZE_BINS, empty at LT_REC_SEGMENT) and
 * carve (zero at LT_REC_SEGMENT).
 */
enum {
    /* SEGMENT: varint tid. Starts a run of one thread's events, resets state. */
    LT_REC_SEGMENT  = 0x01,
    /* ALLOC: varint dseq, varint dts, zz daddr, varint size, varint stack_id,
     *        u8 fn (LT_FN_*). addr becomes prev_addr. */
    LT_REC_ALLOC    = 0x02,
    /* FREE: varint dseq, varint dts, zz daddr. */
    LT_REC_FREE     = 0x03,
    /* REALLOC: varint dseq (of the free half), varint dseq2 (alloc half,
     *        relative to the free half), varint dts, zz daddr_old,
     *        zz (new - old), varint size, varint stack_id. prev_addr = new. */
    LT_REC_REALLOC  = 0x04,
    /* NOP: varint dseq. A sequence number that carries no event (for
     *        instance a realloc that failed and left the block alone). */
    LT_REC_NOP      = 0x05,
    /* FREE_BACK (format 1.2): varint dseq, varint dts, varint back. Like
     *        FREE, for a block returned by one of the last LT_ADDR_HIST
     *        allocations of this segment: addr is the address of the
     *        back-th most recent one (1 = the latest). prev_addr = addr. */
    LT_REC_FREE_BACK = 0x06,
    /* REALLOC_BACK (format 1.2): varint dseq, varint dseq2, varint dts,
     *        varint back (the old block, as in FREE_BACK), zz (new - old),
     *        varint size, varint stack_id. Otherwise as REALLOC. */
    LT_REC_REALLOC_BACK = 0x07,
    /* ALLOC2 (format 1.4, replaces ALLOC in writers of 1.4): varint dseq,
     *        varint dts, varint size, varint stack_id, u8 fn, varint ref.
     *        ref >= 1: addr is entry ref - 1 (0 = the newest) of the free
     *        list of size's bin, which the entry leaves (LT_BIN_DEPTH).
     *        ref 0: zz (addr - carve) follows, where carve is the segment's
     *        guess of the next fresh block (lt_carve_next), and carve
     *        becomes lt_carve_next(addr, size). Since 1.8 that is carve 0,
     *        and ref LT_REF_CARVE1 (9) is the same from carve 1; the carves
     *        move as lt_carves_moved says. addr becomes prev_addr. */
    LT_REC_ALLOC2 = 0x08,
    /* REALLOC2 (format 1.4, replaces REALLOC and REALLOC_BACK): varint
     *        dseq, varint dseq2, varint dts, varint size, varint stack_id,
     *        varint old, varint new.
     *          old 0: zz (old address - prev_addr) follows; old >= 1: the
     *                 old block is allocation `old` back, as in FREE_BACK.
     *          new 0: the block stayed in place (new address = old);
     *              1: zz (new - carve) follows, and carve becomes
     *                 lt_carve_next(new, size), as in ALLOC2;
     *              LT_NEW_CARVE1 (10, since 1.8): the same from carve 1;
     *              n 2 to 9: entry n - 2 of the free list of size's bin,
     *                 which the entry leaves.
     *        Then, if the block moved and old >= 1, the old address joins
     *        the free list of the bin of its allocation's size (after the
     *        new address was taken). prev_addr = new. */
    LT_REC_REALLOC2 = 0x09,
    /* Short forms (format 1.5). Almost every event follows its thread's
     * previous one in the sequence (dseq 1) within the same time quantum
     * (dts 0); these records are the forms above with those two fields,
     * and for MALLOC_S also fn (LT_FN_MALLOC) and the free-list reference,
     * implied by the tag. A writer of 1.5 uses them whenever they apply.
     *
     * FREE_BACK_S: varint back. FREE_BACK with dseq 1, dts 0. */
    LT_REC_FREE_BACK_S = 0x0A,
    /* FREE_S: zz daddr. FREE with dseq 1, dts 0. */
    LT_REC_FREE_S = 0x0B,
    /* REALLOC_S: as REALLOC2 without its dseq, dseq2 and dts, which are
     *        1, 1 and 0. */
    LT_REC_REALLOC_S = 0x0C,
    /* MALLOC_S + k, k = 0..9: varint size, varint stack_id, and for k 0
     *        zz (addr - carve). ALLOC2 with dseq 1, dts 0, fn LT_FN_MALLOC
     *        and ref k for k 0..8; k 9 is ref 0 with addr exactly the carve
     *        (no delta follows). */
    LT_REC_MALLOC_S = 0x10,
    LT_REC_MALLOC_S_CARVE = LT_REC_MALLOC_S + 9,
    /* MALLOC_S_C1 (format 1.8): varint size, varint stack_id, zz (addr -
     *        carve 1). MALLOC_S 0x10 with the segment's second carve
     *        (LT_REF_CARVE1). */
    LT_REC_MALLOC_S_C1 = 0x1A,
    /* MALLOC_S_CARVE1 (format 1.8): varint size, varint stack_id. The
     *        block is exactly at carve 1. */
    LT_REC_MALLOC_S_CARVE1 = 0x1B,
    /* FREE_RECENT + b - 1, b = 1..32: no fields. FREE_BACK with dseq 1,
     *        dts 0 and back b. */
    LT_REC_FREE_RECENT = 0x20,
    LT_REC_FREE_RECENT_LAST = LT_REC_FREE_RECENT + 31,

    /* Length-prefixed records (tag, varint len, payload of len bytes). */
    /* STACK: varint id, varint gen, varint depth, then depth frames: the
     *        first as varint ip, the next as zz (ip - previous ip). Frames
     *        are return addresses, innermost (the caller of the allocation
     *        function) first. gen is the module generation (see MODULE). */
    LT_REC_STACK    = 0x80,
    /* MODULE: varint gen, varint base, varint nseg, nseg x (varint vaddr,
     *        varint memsz, varint prot), varint build_id_len, bytes build_id,
     *        varint path_len, bytes path. A module loaded and live from
     *        generation gen on. */
    LT_REC_MODULE   = 0x81,
    /* UNMODULE: varint gen, varint base. The module at base is gone from
     *        generation gen on (dlclose). */
    LT_REC_UNMODULE = 0x82,
    /* PROCESS: key/value pairs (varint klen, key, varint vlen, value) until
     *        the payload ends: pid, ppid, exe, argv (NUL separated), start_ns
     *        (realtime), page_size, depth, version, parent_trace... */
    LT_REC_PROCESS  = 0x83,
    /* END: varint how (LT_END_*), zz status, varint ts, varint last_seq+1,
     *        varint events_dropped. The process ended; nothing follows. */
    LT_REC_END      = 0x84,
    /* MARK: varint seq, varint ts, varint tid, varint len, bytes label.
     *        A named moment (leaktrace_mark, LEAKTRACE_MARK_SIGNAL); seq is
     *        drawn from the events' sequence, so it sits between them. */
    LT_REC_MARK     = 0x85,
    /* WARN: varint len, bytes text. A condition the tracer met (events
     *        dropped, a thread that could not be traced...). */
    LT_REC_WARN     = 0x86,
    /* TICK (format 1.1): varint seq, varint ts, varint threads, varint
     *        rss_bytes. The writer's periodic sample (LEAKTRACE_INTERVAL):
     *        the moment between events seq-1 and seq, the threads alive and
     *        the process's resident set size then. */
    LT_REC_TICK     = 0x87,
    /* THREAD (format 1.1): varint kind (LT_THR_*), varint serial, varint
     *        ts, then for NAME: varint len, name bytes; for the other kinds
     *        varint a, varint b, varint c:
     *          CREATE  a creator tid, b creation stack id, c detached | creator serial << 1,
     *                  then varint d: the start routine's address
     *          START   a tid of the new thread
     *          EXIT    a tid, b how (LT_THR_HOW_*)
     *          JOIN    a joiner tid, b joiner serial
     *          DETACH  a tid of the caller
     *        serial numbers threads made by pthread_create from 1 (0 is the
     *        main thread); handles and kernel tids are reused, serials not. */
    LT_REC_THREAD   = 0x88,
    /* REACH (format 1.2): the exit-time reachability scan's summary:
     *        varint status (LT_SCAN_*), varint how (LT_END_* the process
     *        ended with), varint blocks classified, varint root_bytes,
     *        varint heap_bytes scanned, varint time_ns, varint threads
     *        stopped, varint threads not stopped, then for each kind
     *        LT_KIND_* 0..3: varint blocks, varint bytes. Readers ignore
     *        bytes past what they know. At most one per process image, just
     *        before END. */
    LT_REC_REACH    = 0x89,
    /* REACHBLK (format 1.2): the kinds of a run of live blocks: varint n,
     *        then n entries: varint v: addr = previous addr (0 at the
     *        record's start) + (v >> 2), kind = v & 3 (LT_KIND_*); for
     *        LT_KIND_DEFINITE one more varint: the bytes of the indirectly
     *        lost blocks of its clique. Addresses ascending. Written before the REACH summary that counts them. */
    LT_REC_REACHBLK = 0x8A,
    /* Flight-recorder checkpoint records (format 1.3, docs/ring.md). */
    /* CKPT: varint ckpt_no, varint base_seq, varint ts, varint live_blocks,
     *        varint tombstones, varint max_size. Opens a checkpoint: the
     *        heap state after every event written before it. base_seq is
     *        one above the highest sequence number of those events; events
     *        numbered below it that come after the checkpoint were still in
     *        flight (another thread's buffer) and are not in the state. */
    LT_REC_CKPT     = 0x8B,
    /* LIVE: repeated until the payload ends: varint addr, varint size,
     *        varint stack_id, varint ts, varint seq, varint tid, u8 fn.
     *        Blocks live at the checkpoint, with their allocating event. */
    LT_REC_LIVE     = 0x8C,
    /* TOMB: repeated: varint addr, varint seq. Frees already applied whose
     *        allocation was still in flight: an allocation of addr numbered
     *        below seq that arrives later is already freed. */
    LT_REC_TOMB     = 0x8D,
    /* CKPT_END: varint ckpt_no, varint live_blocks, varint tombstones.
     *        Closes the checkpoint (the counts must match CKPT's). */
    LT_REC_CKPT_END = 0x8E,
    LT_REC_LAST_KNOWN = LT_REC_CKPT_END,
};

/* Reachability kinds (LT_REC_REACHBLK), valgrind memcheck's categories. */
enum { LT_KIND_REACHABLE = 0, LT_KIND_POSSIBLE = 1, LT_KIND_INDIRECT = 2, LT_KIND_DEFINITE = 3 };

/* LT_REC_REACH status. */
enum {
    LT_SCAN_RAN = 0,          /* the scan ran; the kinds are in REACHBLK records */
    LT_SCAN_DISABLED = 1,     /* LEAKTRACE_SCAN=0 */
    LT_SCAN_NOT_AT_EXIT = 2,  /* the process did not end through exit(): _exit, fatal signal, exec */
    LT_SCAN_FAILED = 3,       /* out of memory, live set lost, /proc unreadable, memory changed under the scan */
    LT_SCAN_SAMPLED = 4,      /* sampled trace (LEAKTRACE_SAMPLE): the tracer knows only the sampled blocks */
};

enum { LT_THR_CREATE = 0, LT_THR_START, LT_THR_EXIT, LT_THR_JOIN, LT_THR_DETACH, LT_THR_NAME };
enum { LT_THR_HOW_RETURN = 0, LT_THR_HOW_EXIT, LT_THR_HOW_CANCEL };

/* Segment allocation history (format 1.2): the addresses of the last
 * LT_ADDR_HIST blocks allocated in the current segment (ALLOC, and the new
 * block of REALLOC and REALLOC_BACK), which FREE_BACK and REALLOC_BACK
 * refer to. Empty at each SEGMENT. */
#define LT_ADDR_HIST 1024u

/* Segment free lists (format 1.4): for each size bin (lt_size_bin), the
 * addresses of the last LT_BIN_DEPTH blocks freed by FREE_BACK, or moved
 * away from by a REALLOC2 whose old block is a back reference; the block's
 * size is its allocation's size in the history. Pushing onto a full list
 * drops its oldest entry. ALLOC2 and REALLOC2 refer to an entry by its
 * position, newest first, and take it off the list. glibc hands out the
 * block freed last in a size class first (tcache, fastbins), so most
 * allocations are entry 0 or 1 of their bin's list. */
#define LT_BIN_DEPTH 8u
#define LT_SIZE_BINS 118u

/* The free-list bin of a block of n bytes: glibc's tcache classes (16-byte
 * steps of chunk size) up to 1032 bytes, then one bin per power of two. */
static inline unsigned lt_size_bin(uint64_t n)
{
    if (n <= 1032) return n < 25 ? 0 : (unsigned)((n + 23) >> 4) - 2;   /* 0..63 */
    return 64 + (unsigned)(63 - __builtin_clzll(n)) - 10;                /* 64..117 */
}

/* Where a block of size bytes at addr ends in glibc's heap, which is where
 * the next block carved from the top of the heap starts (chunk header of 8
 * bytes, 16-byte steps, 32 at least): an allocation that no free list
 * explains is usually there. */
static inline uint64_t lt_carve_next(uint64_t addr, uint64_t size)
{
    return addr + (size < 25 ? 32 : (size + 8 + 15) & ~(uint64_t)15);
}

/* Segment carves (format 1.8): two guesses of where the next fresh block
 * starts, carve 0 the one used last. glibc carves new blocks from two
 * places in turn: the top of the heap and the remainder of a large free
 * chunk far below it (sqlite does this all the time); one carve coded a
 * large delta at every switch. A new block is named by a delta from
 * either (ALLOC2's ref 0 or LT_REF_CARVE1, REALLOC2's new 1 or
 * LT_NEW_CARVE1, MALLOC_S 0x10 and 0x19 or 0x1A and 0x1B); then carve 0
 * becomes the end of the block, and the carve 0 before it becomes carve 1
 * when the block came from carve 1 or lies more than LT_CARVE_FAR from
 * the carve it was named by (a new place: the old one is kept). Both 0 at
 * SEGMENT. Until 1.7 there was one carve: carve 0, moved the same way;
 * carve 1 was never named. */
#define LT_REF_CARVE1 (LT_BIN_DEPTH + 1u)   /* ALLOC2 ref: zz (addr - carve 1) follows */
#define LT_NEW_CARVE1 (LT_BIN_DEPTH + 2u)   /* REALLOC2 new: zz (new - carve 1) follows */
#define LT_CARVE_FAR  (64u << 10)

typedef struct lt_carves { uint64_t c[2]; } lt_carves_t;

static inline void lt_carves_reset(lt_carves_t *cv) { cv->c[0] = cv->c[1] = 0; }

/* A new block of size bytes at addr was named by delta d from carve j:
 * the carves move (writer and reader alike). */
static inline void lt_carves_moved(lt_carves_t *cv, unsigned j, int64_t d, uint64_t addr, uint64_t size)
{
    uint64_t m = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
    if (j || m > LT_CARVE_FAR) cv->c[1] = cv->c[0];
    cv->c[0] = lt_carve_next(addr, size);
}

/* The writer's choice: the carve nearer to addr (0 on a tie), and the
 * delta from it in *d. */
static inline unsigned lt_carves_pick(const lt_carves_t *cv, uint64_t addr, int64_t *d)
{
    int64_t d0 = (int64_t)(addr - cv->c[0]), d1 = (int64_t)(addr - cv->c[1]);
    uint64_t m0 = d0 < 0 ? 0 - (uint64_t)d0 : (uint64_t)d0, m1 = d1 < 0 ? 0 - (uint64_t)d1 : (uint64_t)d1;
    *d = m1 < m0 ? d1 : d0;
    return m1 < m0;
}

/* One segment's free lists, kept alike by the writer and every reader. */
typedef struct lt_binlists {
    uint8_t n[LT_SIZE_BINS];                   /* entries in each list */
    uint64_t a[LT_SIZE_BINS][LT_BIN_DEPTH];    /* oldest first: a[b][n[b] - 1] is the newest */
} lt_binlists_t;

static inline void lt_bins_reset(lt_binlists_t *bl) { memset(bl->n, 0, sizeof bl->n); }

static inline void lt_bins_push(lt_binlists_t *bl, uint64_t size, uint64_t addr)
{
    unsigned b = lt_size_bin(size), n = bl->n[b];
    if (n == LT_BIN_DEPTH) {
        memmove(&bl->a[b][0], &bl->a[b][1], (LT_BIN_DEPTH - 1) * sizeof bl->a[b][0]);
        n--;
    }
    bl->a[b][n] = addr;
    bl->n[b] = (uint8_t)(n + 1);
}

/* Takes entry i (0 = newest, i < n[b]) off bin b's list. */
static inline void lt_bins_drop(lt_binlists_t *bl, unsigned b, unsigned i)
{
    unsigned n = bl->n[b];
    memmove(&bl->a[b][n - 1 - i], &bl->a[b][n - i], i * sizeof bl->a[b][0]);
    bl->n[b] = (uint8_t)(n - 1);
}

/* Position of addr in the list of size's bin (0 = newest) and takes it off
 * the list, or returns -1 when it is not there. */
static inline int lt_bins_find_take(lt_binlists_t *bl, uint64_t size, uint64_t addr)
{
    unsigned b = lt_size_bin(size), n = bl->n[b];
    for (unsigned i = 0; i < n; i++) {
        if (bl->a[b][n - 1 - i] == addr) {
            lt_bins_drop(bl, b, i);
            return (int)i;
        }
    }
    return -1;
}

/* Takes entry i (0 = newest) of size's bin: 0 and the address, or -1 when
 * the list is shorter (a corrupt reference). */
static inline int lt_bins_take(lt_binlists_t *bl, uint64_t size, uint64_t i, uint64_t *addr)
{
    unsigned b = lt_size_bin(size);
    if (i >= bl->n[b]) return -1;
    *addr = bl->a[b][bl->n[b] - 1 - i];
    lt_bins_drop(bl, b, (unsigned)i);
    return 0;
}

/* Which allocation function made a block (LT_REC_ALLOC fn byte). */
enum {
    LT_FN_MALLOC = 0, LT_FN_CALLOC, LT_FN_REALLOC, LT_FN_REALLOCARRAY,
    LT_FN_POSIX_MEMALIGN, LT_FN_ALIGNED_ALLOC, LT_FN_MEMALIGN, LT_FN_VALLOC,
    LT_FN_PVALLOC, LT_FN_COUNT
};

/* How the process ended (LT_REC_END how). */
enum {
    LT_END_EXIT = 0,     /* exit()/return from main; status = exit status   */
    LT_END_UNDERSCORE_EXIT = 1, /* _exit()/_Exit(); status = exit status    */
    LT_END_SIGNAL = 2,   /* fatal signal; status = signal number            */
    LT_END_EXEC = 3,     /* the image was replaced by exec; status = 0      */
    LT_END_DISABLED = 4, /* tracing stopped early (write error); status = errno */
};

/* ---- little helpers, shared by encoder, decoder and tests --------------- */

static inline uint32_t lt_fnv1a32(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 16777619u; }
    return h;
}

/* The check of a STREAM chunk's compressed bytes: a word-at-a-time hash
 * (a multiply per 8 bytes: several GB/s, where FNV-1a's byte loop is
 * one), for damage on disk; zstd's own checksum comes only at a frame's
 * end. */
static inline uint32_t lt_check32(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0x243f6a8885a308d3ull ^ (uint64_t)n;
    for (; n >= 8; b += 8, n -= 8) {
        uint64_t w = 0;
        for (int i = 0; i < 8; i++) w |= (uint64_t)b[i] << (8 * i);   /* little endian, compiles to one load */
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    h ^= h >> 32;
    h *= 0xbf58476d1ce4e5b9ull;
    return (uint32_t)(h ^ (h >> 31));
}

static inline void lt_put_u16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static inline void lt_put_u32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static inline uint16_t lt_get_u16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t lt_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t lt_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t lt_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Writes v as a varint at p (room for 10 bytes needed); returns bytes written. */
static inline size_t lt_put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) { p[n++] = (unsigned char)(v | 0x80); v >>= 7; }
    p[n++] = (unsigned char)v;
    return n;
}

/* Reads a varint from [*pp, end). Returns 0 and advances *pp, or -1 when the
 * input ends inside the varint or the varint is longer than 10 bytes. */
static inline int lt_get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *out)
{
    const unsigned char *p = *pp;
    uint64_t v = 0;
    /* One byte (most deltas, sizes and stack ids) and, with 10 bytes of
     * input left, no bound check per byte: the analyzer's hottest loop. */
    if (__builtin_expect(p < end && !(*p & 0x80), 1)) {
        *out = *p;
        *pp = p + 1;
        return 0;
    }
    if (end - p >= 10) {
        for (int shift = 0; shift < 70; shift += 7) {
            unsigned char b = *p++;
            v |= (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80)) { *pp = p; *out = v; return 0; }
        }
        return -1;
    }
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end) return -1;
        unsigned char b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *pp = p; *out = v; return 0; }
    }
    return -1;
}

/* Fills a 24-byte chunk header. */
static inline void lt_chunk_hdr_pack(unsigned char h[LT_CHUNK_HDR_LEN], uint32_t payload_len,
                                     uint32_t raw_len, uint32_t index, uint32_t flags)
{
    lt_put_u32(h + 0, LT_CHUNK_MAGIC);
    lt_put_u32(h + 4, payload_len);
    lt_put_u32(h + 8, raw_len);
    lt_put_u32(h + 12, index);
    lt_put_u32(h + 16, flags);
    lt_put_u32(h + 20, lt_fnv1a32(h, 20));
}

#endif /* LT_FORMAT_H */
