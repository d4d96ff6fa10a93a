/*
 * decode.c - reads a trace file: header, chunks (zstd, the only analyzer
 * file that includes it), records. See common/lt_format.h for the grammar
 * and docs/trace-format.md for the prose.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "../common/lt_format.h"
#include "../common/lt_fields.h"
#include "decode.h"

/* ---- payload ----------------------------------------------------------------- */

void lt_payload_init(lt_payload_t *pl, const unsigned char *buf, size_t len)
{
    memset(pl, 0, sizeof *pl);
    pl->p = pl->start = buf;
    pl->end = buf + len;
}

#define GET(v)                                                                          \
    do {                                                                                \
        if (lt_get_varint(&pl->p, pl->end, &(v)))                                       \
            LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "record at payload byte %td is cut short or has a bad number", rec_off); \
    } while (0)

/* The segment's allocation history (1.2) gets a block of size bytes at addr. */
static inline void hist_push(lt_payload_t *pl, uint64_t addr, uint64_t size)
{
    pl->hist[pl->nalloc % LT_ADDR_HIST] = addr;
    pl->hsize[pl->nalloc % LT_ADDR_HIST] = size;
    pl->nalloc++;
}

/* Whether the allocation back allocations ago (1 = the latest) is in the
 * history; its slot; how many the history holds. */
static inline int hist_has(const lt_payload_t *pl, uint64_t back) { return back >= 1 && back <= LT_ADDR_HIST && back <= pl->nalloc; }
static inline size_t hist_slot(const lt_payload_t *pl, uint64_t back) { return (size_t)((pl->nalloc - back) % LT_ADDR_HIST); }
static inline uint64_t hist_len(const lt_payload_t *pl) { return pl->nalloc < LT_ADDR_HIST ? pl->nalloc : LT_ADDR_HIST; }

/* A new block's address from its 1.4 reference: ref 0 (1.8: or
 * LT_REF_CARVE1), carve 0 (1) plus delta (the carves move); other refs,
 * entry ref - 1 of the free list of its size, taken off it. 0, or -1 when
 * the list is shorter. */
static inline int new_block_addr(lt_payload_t *pl, uint64_t ref, uint64_t delta, uint64_t size, uint64_t *addr)
{
    if (ref && ref != LT_REF_CARVE1) return lt_bins_take(&pl->bins, size, ref - 1, addr);
    unsigned j = ref != 0;
    int64_t d = lt_unzigzag(delta);
    *addr = pl->carves.c[j] + (uint64_t)d;
    lt_carves_moved(&pl->carves, j, d, *addr, size);
    return 0;
}

static unsigned bin_len(const lt_payload_t *pl, uint64_t size) { return pl->bins.n[lt_size_bin(size)]; }

/* The fields of an allocation (ALLOC2 or MALLOC_S) into r: sequence and
 * time deltas, size, stack, free-list reference and carve delta. */
static inline int alloc_ref(lt_payload_t *pl, lt_rec_t *r, uint64_t dseq, uint64_t dts, uint64_t size, uint64_t stack,
                            uint64_t ref, uint64_t dcarve, ptrdiff_t rec_off, lt_err_t *err)
{
    r->type = LT_REC_ALLOC;
    r->seq = pl->prev_seq += dseq;
    r->ts = pl->prev_ts += dts;
    r->size = size;
    if (stack > UINT32_MAX) LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "stack id %llu out of range", (unsigned long long)stack);
    r->stack = (uint32_t)stack;
    if (new_block_addr(pl, ref, dcarve, size, &r->addr))
        LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "allocation at payload byte %td refers to entry %llu of a free list that has %u",
                        rec_off, (unsigned long long)(ref - 1), bin_len(pl, size));
    pl->prev_addr = r->addr;
    hist_push(pl, r->addr, r->size);
    return 0;
}

/* A free (FREE, FREE_BACK and their short forms) into r: v is the
 * address delta, or with back set how many allocations back. */
static inline int free_rec(lt_payload_t *pl, lt_rec_t *r, uint64_t dseq, uint64_t dts, int back, uint64_t v,
                           ptrdiff_t rec_off, lt_err_t *err)
{
    r->type = LT_REC_FREE;
    r->seq = pl->prev_seq += dseq;
    r->ts = pl->prev_ts += dts;
    if (!back) {
        r->addr = pl->prev_addr += (uint64_t)lt_unzigzag(v);
        return 0;
    }
    if (!hist_has(pl, v))
        LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "free at payload byte %td refers to allocation %llu back, but the segment has %llu",
                        rec_off, (unsigned long long)v, (unsigned long long)hist_len(pl));
    r->addr = pl->prev_addr = pl->hist[hist_slot(pl, v)];
    lt_bins_push(&pl->bins, pl->hsize[hist_slot(pl, v)], r->addr);
    return 0;
}

/* The rest of a REALLOC2 (or REALLOC_S) after its sequence and time
 * deltas, into r. */
static inline int realloc2(lt_payload_t *pl, lt_rec_t *r, uint64_t dseq, uint64_t dseq2, uint64_t dts,
                           ptrdiff_t rec_off, lt_err_t *err)
{
    uint64_t a, b, d, e, old;
    r->type = LT_REC_REALLOC;
    r->seq = pl->prev_seq += dseq;
    r->seq2 = pl->prev_seq += dseq2;
    r->ts = pl->prev_ts += dts;
    GET(d); GET(e);
    r->size = d;
    if (e > UINT32_MAX) LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "stack id %llu out of range", (unsigned long long)e);
    r->stack = (uint32_t)e;
    GET(old);
    if (old == 0) {
        GET(a);
        r->addr = pl->prev_addr + (uint64_t)lt_unzigzag(a);
    } else {
        if (!hist_has(pl, old))
            LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "realloc at payload byte %td refers to allocation %llu back, but the segment has %llu",
                            rec_off, (unsigned long long)old, (unsigned long long)hist_len(pl));
        r->addr = pl->hist[hist_slot(pl, old)];
    }
    GET(b);
    if (b == 0) {
        r->addr2 = r->addr;
    } else {
        a = 0;
        if (b == 1 || b == LT_NEW_CARVE1) GET(a);
        if (new_block_addr(pl, b - 1, a, r->size, &r->addr2))
            LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "realloc at payload byte %td refers to entry %llu of a free list that has %u",
                            rec_off, (unsigned long long)(b - 2), bin_len(pl, r->size));
        if (old) lt_bins_push(&pl->bins, pl->hsize[hist_slot(pl, old)], r->addr);
    }
    pl->prev_addr = r->addr2;
    hist_push(pl, r->addr2, r->size);
    return 0;
}

/* *r zeroed but for its type. Field by field: GCC 12 makes a memset or
 * a compound literal of the 88 bytes a `rep stos`, 30 % of the decoder's
 * time on the python trace. */
static inline void rec_clear(lt_rec_t *r, int type)
{
    _Static_assert(sizeof(lt_rec_t) == 88, "rec_clear: a field was added to lt_rec_t");
    r->type = type;
    r->tid = 0;
    r->seq = r->seq2 = r->ts = r->addr = r->addr2 = r->size = 0;
    r->stack = 0;
    r->fn = 0;
    r->payload = NULL;
    r->len = 0;
    r->offset = 0;
}

/* The body of lt_payload_next, inlined into lt_file_next (the replay's
 * per-record path). */
static inline __attribute__((always_inline)) int payload_next(lt_payload_t *pl, lt_rec_t *r, lt_err_t *err)
{
    for (;;) {
        if (pl->p >= pl->end) return 0;
        ptrdiff_t rec_off = pl->p - pl->start;
        unsigned tag = *pl->p++;
        uint64_t a, b, c, d, e, f;
        rec_clear(r, (int)tag);
        if (tag >= 0x80) {
            uint64_t len;
            GET(len);
            if (len > (uint64_t)(pl->end - pl->p))
                LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off,
                                "record 0x%02x at payload byte %td says it has %llu bytes but only %td remain",
                                tag, rec_off, (unsigned long long)len, pl->end - pl->p);
            r->payload = pl->p;
            r->len = (size_t)len;
            pl->p += len;
            if (tag > LT_REC_LAST_KNOWN) continue; /* unknown but skippable: a newer minor version */
            return 1;
        }
        if (tag != LT_REC_SEGMENT && !pl->in_segment)
            LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "event record 0x%02x at payload byte %td outside a thread segment", tag, rec_off);
        switch (tag) {
        case LT_REC_SEGMENT:
            GET(a);
            if (a > UINT32_MAX) LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "thread id %llu out of range", (unsigned long long)a);
            pl->tid = (uint32_t)a;
            pl->prev_seq = pl->prev_ts = pl->prev_addr = 0;
            pl->in_segment = 1;
            pl->nalloc = 0;
            lt_carves_reset(&pl->carves);
            lt_bins_reset(&pl->bins);
            continue;
        case LT_REC_ALLOC:
            GET(a); GET(b); GET(c); GET(d); GET(e);
            if (pl->p >= pl->end) LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "allocation record at payload byte %td is cut short", rec_off);
            r->fn = *pl->p++;
            r->seq = pl->prev_seq += a;
            r->ts = pl->prev_ts += b;
            r->addr = pl->prev_addr += (uint64_t)lt_unzigzag(c);
            r->size = d;
            if (e > UINT32_MAX) LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "stack id %llu out of range", (unsigned long long)e);
            r->stack = (uint32_t)e;
            hist_push(pl, r->addr, r->size);
            break;
        case LT_REC_ALLOC2:
            GET(a); GET(b); GET(d); GET(e);
            if (pl->p >= pl->end) LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "allocation record at payload byte %td is cut short", rec_off);
            r->fn = *pl->p++;
            GET(f);
            c = 0;
            if (f == 0 || f == LT_REF_CARVE1) GET(c);
            LT_FORWARD_IF_ERROR(alloc_ref(pl, r, a, b, d, e, f, c, rec_off, err));
            break;
        case LT_REC_MALLOC_S ... LT_REC_MALLOC_S_CARVE:
            GET(d); GET(e);
            f = tag - LT_REC_MALLOC_S;
            c = 0;
            if (f == 0) GET(c);
            if (f == LT_REC_MALLOC_S_CARVE - LT_REC_MALLOC_S) f = 0;
            r->fn = LT_FN_MALLOC;
            LT_FORWARD_IF_ERROR(alloc_ref(pl, r, 1, 0, d, e, f, c, rec_off, err));
            break;
        case LT_REC_MALLOC_S_C1:
        case LT_REC_MALLOC_S_CARVE1:
            GET(d); GET(e);
            c = 0;
            if (tag == LT_REC_MALLOC_S_C1) GET(c);
            r->fn = LT_FN_MALLOC;
            LT_FORWARD_IF_ERROR(alloc_ref(pl, r, 1, 0, d, e, LT_REF_CARVE1, c, rec_off, err));
            break;
        case LT_REC_FREE:
        case LT_REC_FREE_BACK:
            GET(a); GET(b); GET(c);
            LT_FORWARD_IF_ERROR(free_rec(pl, r, a, b, tag == LT_REC_FREE_BACK, c, rec_off, err));
            break;
        case LT_REC_FREE_S:
        case LT_REC_FREE_BACK_S:
            GET(c);
            LT_FORWARD_IF_ERROR(free_rec(pl, r, 1, 0, tag == LT_REC_FREE_BACK_S, c, rec_off, err));
            break;
        case LT_REC_FREE_RECENT ... LT_REC_FREE_RECENT_LAST:
            LT_FORWARD_IF_ERROR(free_rec(pl, r, 1, 0, 1, tag - LT_REC_FREE_RECENT + 1u, rec_off, err));
            break;
        case LT_REC_REALLOC:
        case LT_REC_REALLOC_BACK:
            GET(a); GET(b); GET(c); GET(d); GET(e); GET(f);
            r->type = LT_REC_REALLOC;
            r->seq = pl->prev_seq += a;
            r->seq2 = pl->prev_seq += b;
            r->ts = pl->prev_ts += c;
            if (tag == LT_REC_REALLOC) {
                r->addr = pl->prev_addr += (uint64_t)lt_unzigzag(d);
            } else {
                if (!hist_has(pl, d))
                    LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "realloc at payload byte %td refers to allocation %llu back, but the segment has %llu",
                                    rec_off, (unsigned long long)d, (unsigned long long)hist_len(pl));
                r->addr = pl->hist[hist_slot(pl, d)];
            }
            r->addr2 = pl->prev_addr = r->addr + (uint64_t)lt_unzigzag(e);
            r->size = f;
            GET(a);
            if (a > UINT32_MAX) LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "stack id %llu out of range", (unsigned long long)a);
            r->stack = (uint32_t)a;
            hist_push(pl, r->addr2, r->size);
            break;
        case LT_REC_REALLOC2:
            GET(a); GET(b); GET(c);
            LT_FORWARD_IF_ERROR(realloc2(pl, r, a, b, c, rec_off, err));
            break;
        case LT_REC_REALLOC_S:
            LT_FORWARD_IF_ERROR(realloc2(pl, r, 1, 1, 0, rec_off, err));
            break;
        case LT_REC_NOP:
            GET(a);
            r->seq = pl->prev_seq += a;
            break;
        default:
            pl->unknown_event = 1;
            LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "unknown event record type 0x%02x at payload byte %td", tag, rec_off);
        }
        r->tid = pl->tid;
        return 1;
    }
}

int lt_payload_next(lt_payload_t *pl, lt_rec_t *r, lt_err_t *err)
{
    return payload_next(pl, r, err);
}

/* ---- chunk order ------------------------------------------------------------------ */

static int by_index(const void *x, const void *y)
{
    const lt_chunk_ent_t *a = x, *b = y;
    if (a->index != b->index) return (a->index > b->index) - (a->index < b->index);
    return (a->off > b->off) - (a->off < b->off);
}

size_t lt_ring_plan(lt_chunk_ent_t *v, size_t n, lt_ring_plan_t *plan)
{
    memset(plan, 0, sizeof *plan);
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, by_index);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (w == 0 || v[i].index != v[w - 1].index) v[w++] = v[i];
    n = w;
    if (v[0].index != 0) {
        plan->wrapped = 1;
        plan->no_checkpoint = 1;
        /* The oldest checkpoint whose chunks (consecutive indexes, FIRST to
         * LAST, none cut short) all survive. */
        for (size_t i = 0; i < n && plan->no_checkpoint; i++) {
            if (!(v[i].flags & LT_CHUNK_F_CKPT_FIRST)) continue;
            for (size_t j = i; j < n; j++) {
                if (v[j].cut || v[j].index != v[i].index + (uint32_t)(j - i)) break;
                if (j > i && (v[j].flags & LT_CHUNK_F_CKPT_FIRST)) break;
                if (v[j].flags & LT_CHUNK_F_CKPT_LAST) {
                    plan->start = i;
                    plan->no_checkpoint = 0;
                    break;
                }
            }
        }
    }
    for (size_t i = plan->start + 1; i < n; i++) plan->missing += v[i].index - v[i - 1].index - 1;
    return n;
}

/* ---- file ------------------------------------------------------------------------ */

struct lt_trace_file {
    FILE *fp;
    uint64_t pos, size, data_start;
    lt_file_info_t info;
    unsigned char *zbuf, *raw, *gathered;
    size_t zcap, rawcap, gathercap;
    lt_payload_t pl;
    int64_t chunk_off;
    int have_chunk, done;
    ZSTD_DCtx *dctx;
    int frame_live;               /* dctx is inside a frame (1.7) whose next chunk is frame_next */
    uint32_t frame_next;
    lt_chunk_ent_t *ch;           /* valid chunk headers, sorted by index */
    size_t nch, cur;              /* cur: next chunk to load */
    lt_ring_plan_t plan;
    int leading_reported;         /* chunks before the first one (index > 0, no checkpoint) said */
    uint64_t chunks_read;
    size_t hole_said;             /* cur value whose hole before it was reported */
    uint64_t tail_garbage;        /* bytes from here to the end hold no chunk (0: none) */
    unsigned char *snap;          /* a ring's bytes, read at open (fp reads them) */
};

const lt_ring_plan_t *lt_file_plan(const lt_trace_file_t *f) { return &f->plan; }
uint64_t lt_file_chunks_read(const lt_trace_file_t *f) { return f->chunks_read; }

static int read_at(lt_trace_file_t *f, void *buf, size_t n, uint64_t off)
{
    if (fseeko(f->fp, (off_t)off, SEEK_SET) != 0) return 0;
    return (int)(fread(buf, 1, n, f->fp) == n);
}

/* A chunk header at h is plausible: magic, check, sizes. */
static int hdr_ok(const unsigned char *h)
{
    if (lt_get_u32(h) != LT_CHUNK_MAGIC || lt_get_u32(h + 20) != lt_fnv1a32(h, 20)) return 0;
    return lt_get_u32(h + 8) <= LT_CHUNK_RAW_MAX && lt_get_u32(h + 4) <= ZSTD_compressBound(LT_CHUNK_RAW_MAX);
}

/* Finds the next offset >= from holding a plausible chunk header, or size. */
static uint64_t resync(lt_trace_file_t *f, uint64_t from)
{
    enum { BLK = 1 << 20 };
    unsigned char *b = malloc(BLK + LT_CHUNK_HDR_LEN);
    if (!b) return f->size;
    uint64_t at = from;
    while (at + LT_CHUNK_HDR_LEN <= f->size) {
        size_t want = (size_t)(f->size - at < BLK + LT_CHUNK_HDR_LEN ? f->size - at : BLK + LT_CHUNK_HDR_LEN);
        if (fseeko(f->fp, (off_t)at, SEEK_SET) != 0) break;
        size_t got = fread(b, 1, want, f->fp);
        if (got < LT_CHUNK_HDR_LEN) break;
        for (size_t i = 0; i + LT_CHUNK_HDR_LEN <= got; i++)
            if (b[i] == 0x4c && b[i + 1] == 0x54 && b[i + 2] == 0x43 && b[i + 3] == 0x4b && hdr_ok(b + i)) {
                free(b);
                return at + i;
            }
        at += got - LT_CHUNK_HDR_LEN + 1;
    }
    free(b);
    return f->size;
}

/* Finds every chunk header in the file. */
static int scan_chunks(lt_trace_file_t *f, lt_err_t *err)
{
    size_t cap = 0;
    uint64_t pos = f->data_start;
    while (pos < f->size) {
        unsigned char h[LT_CHUNK_HDR_LEN];
        lt_chunk_ent_t e = { 0 };
        e.off = pos;
        if (f->size - pos < LT_CHUNK_HDR_LEN) {
            /* A header cut by the end of the file: the newest chunk. */
            e.cut = 1;
            e.index = UINT32_MAX;
        } else if (read_at(f, h, sizeof h, pos) && hdr_ok(h)) {
            e.zlen = lt_get_u32(h + 4);
            e.rlen = lt_get_u32(h + 8);
            e.index = lt_get_u32(h + 12);
            e.flags = lt_get_u32(h + 16);
            e.cut = pos + LT_CHUNK_HDR_LEN + e.zlen > f->size;
        } else {
            uint64_t from = pos;
            pos = resync(f, pos + 1);
            if (pos >= f->size) f->tail_garbage = from;
            continue;
        }
        if (f->nch == cap) {
            size_t nc = cap ? cap * 2 : 256;
            lt_chunk_ent_t *n = realloc(f->ch, nc * sizeof *n);
            if (!n) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory for the chunk index");
            f->ch = n;
            cap = nc;
        }
        f->ch[f->nch++] = e;
        if (e.cut) break;
        pos += LT_CHUNK_HDR_LEN + e.zlen;
    }
    /* A cut header has no index: it is the newest chunk, after all others. */
    if (f->nch && f->ch[f->nch - 1].index == UINT32_MAX) {
        uint32_t mx = 0;
        for (size_t i = 0; i + 1 < f->nch; i++) if (f->ch[i].index >= mx) mx = f->ch[i].index + 1;
        f->ch[f->nch - 1].index = mx;
    }
    f->nch = lt_ring_plan(f->ch, f->nch, &f->plan);
    f->cur = f->plan.start;
    return 0;
}

/* A ring that has wrapped (the header's max_size=N, N > 0, and the file
 * within 1 MiB of N) may be read while the program still writes it,
 * overwriting its oldest chunks, which hold the checkpoint a read starts
 * from. Reading the whole file at once, at open, makes the window in which
 * that can happen the few milliseconds of one read instead of the whole
 * analysis (a 4 MiB ring overwritten every 170 ms had 15-23 damaged chunks
 * at each read by the ASan analyzer). Costs the file's size in memory, so
 * only up to 256 MiB; a larger ring, a ring that has not wrapped (it only
 * grows at its end) and an unbounded trace are read as they go. */
static void snapshot_ring(lt_trace_file_t *f, const char *text)
{
    const char *m = strstr(text, "\nmax_size=");
    unsigned long long max = m ? strtoull(m + 10, NULL, 10) : 0;
    if (!max || f->size + (1u << 20) < max || f->size > ((uint64_t)256 << 20)) return;
    unsigned char *b = malloc(f->size ? f->size : 1);
    if (!b) return;
    size_t got = 0;
    if (fseeko(f->fp, 0, SEEK_SET) == 0) got = fread(b, 1, f->size, f->fp);
    FILE *mf = got > f->data_start ? fmemopen(b, got, "rb") : NULL;
    if (!mf) { free(b); fseeko(f->fp, (off_t)f->data_start, SEEK_SET); return; }
    fclose(f->fp);
    f->fp = mf;
    f->snap = b;
    f->size = got;
}

int lt_file_open(const char *path, lt_trace_file_t **out, lt_err_t *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(fp);
        LT_RETURN_ERROR(err, LT_E_IO, -1, "'%s' is a directory, not a trace file", path);
    }
    unsigned char fixed[LT_FILE_FIXED_LEN];
    size_t n = fread(fixed, 1, sizeof fixed, fp);
    if (n < LT_FILE_MAGIC_LEN || memcmp(fixed, LT_FILE_MAGIC, LT_FILE_MAGIC_LEN) != 0) {
        fclose(fp);
        if (n == 0) LT_RETURN_ERROR(err, LT_E_FORMAT, 0, "'%s' is empty: not a leaktrace trace (was the program killed before it started?)", path);
        LT_RETURN_ERROR(err, LT_E_FORMAT, 0, "'%s' is not a leaktrace trace (bad magic at byte 0)", path);
    }
    if (n < sizeof fixed) {
        fclose(fp);
        LT_RETURN_ERROR(err, LT_E_CORRUPT, (int64_t)n, "'%s': file header truncated at byte %zu", path, n);
    }
    unsigned major = lt_get_u16(fixed + 8), minor = lt_get_u16(fixed + 10);
    uint32_t tl = lt_get_u32(fixed + 12);
    if (major != LT_FORMAT_MAJOR) {
        fclose(fp);
        LT_RETURN_ERROR(err, LT_E_FORMAT, 8, "'%s' is trace format version %u.%u; this leaktrace reads version %u.x (use the leaktrace that made it)",
                        path, major, minor, LT_FORMAT_MAJOR);
    }
    if (tl > LT_FILE_TEXT_MAX) {
        fclose(fp);
        LT_RETURN_ERROR(err, LT_E_CORRUPT, 12, "'%s': header text length %u at byte 12 is implausible", path, tl);
    }
    lt_trace_file_t *f = calloc(1, sizeof *f);
    char *text = malloc(tl + 1);
    if (!f || !text) { free(f); free(text); fclose(fp); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory"); }
    if (fread(text, 1, tl, fp) != tl) {
        free(f); free(text); fclose(fp);
        LT_RETURN_ERROR(err, LT_E_CORRUPT, LT_FILE_FIXED_LEN, "'%s': header text truncated (needs %u bytes from byte 16)", path, tl);
    }
    text[tl] = '\0';
    f->fp = fp;
    f->size = (uint64_t)st.st_size;
    f->pos = f->data_start = LT_FILE_FIXED_LEN + tl;
    snapshot_ring(f, text);
    f->info.major = major;
    f->info.minor = minor;
    f->info.header_text = text;
    f->dctx = ZSTD_createDCtx();
    if (!f->dctx) { lt_file_close(f); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory"); }
    /* A frame across chunks (1.7) is decompressed with a window of the
     * size its header states: the tracer's levels (up to 19) use at most
     * 8 MiB. A damaged or hostile frame that asks for more than a chunk
     * can hold (LT_CHUNK_RAW_MAX, 64 MiB) is refused rather than given
     * zstd's default of up to 128 MiB. */
    ZSTD_DCtx_setParameter(f->dctx, ZSTD_d_windowLogMax, 26);
    if (scan_chunks(f, err) < 0) { lt_file_close(f); return -err->code; }
    *out = f;
    return 0;
}

const lt_file_info_t *lt_file_info(const lt_trace_file_t *f) { return &f->info; }
uint64_t lt_file_pos(const lt_trace_file_t *f) { return f->pos; }
uint64_t lt_file_size(const lt_trace_file_t *f) { return f->size; }

static int grow(unsigned char **buf, size_t *cap, size_t need)
{
    if (*cap >= need) return 0;
    unsigned char *n = realloc(*buf, need);
    if (!n) return -1;
    *buf = n;
    *cap = need;
    return 0;
}

/* The chunks after the one just taken (f->cur - 1) that continue its
 * zstd frame, which are lost with it when it could not be decompressed:
 * skips them and writes ", and chunks FIRST to B after it, which continue
 * its compressed frame" (or nothing, when none is lost) into buf. FIRST
 * is the taken chunk's index + 1, or its own index when it is lost too
 * (after a hole). */
static void skip_frame_tail(lt_trace_file_t *f, uint32_t first, char *buf, size_t n)
{
    buf[0] = '\0';
    uint32_t last = f->ch[f->cur - 1].index;
    while (f->cur < f->nch && (f->ch[f->cur].flags & LT_CHUNK_F_CONT) && !f->ch[f->cur].cut &&
           f->ch[f->cur].index == last + 1)
        last = f->ch[f->cur++].index;
    if (last >= first) {
        if (last == first) snprintf(buf, n, ", and chunk %u after it, which continues its compressed frame", first);
        else snprintf(buf, n, ", and chunks %u to %u after it, which continue its compressed frame", first, last);
    }
}

/* Decompresses a format 1.7 chunk (LT_CHUNK_F_STREAM) at z, n bytes: the
 * check, then zstd's bytes up to a flush, which continue dctx's frame when
 * the chunk has LT_CHUNK_F_CONT. 0, or -1 with *why set. */
static int stream_chunk(lt_trace_file_t *f, const lt_chunk_ent_t *c, const unsigned char *z, size_t n, const char **why)
{
    int live = f->frame_live && f->frame_next == c->index;
    f->frame_live = 0;
    if (n < LT_CHUNK_CHECK_LEN || lt_get_u32(z) != lt_check32(z + LT_CHUNK_CHECK_LEN, n - LT_CHUNK_CHECK_LEN)) {
        *why = "its bytes do not match their check (damaged)";
        return -1;
    }
    if ((c->flags & LT_CHUNK_F_CONT) && !live) {
        *why = "it continues the compressed frame of the chunk before it, which is missing or damaged";
        return -1;
    }
    if (!(c->flags & LT_CHUNK_F_CONT)) ZSTD_DCtx_reset(f->dctx, ZSTD_reset_session_only);
    ZSTD_inBuffer in = { z + LT_CHUNK_CHECK_LEN, n - LT_CHUNK_CHECK_LEN, 0 };
    ZSTD_outBuffer out = { f->raw, c->rlen, 0 };
    size_t r = 1;
    /* zstd flushed the chunk: all its bytes decompress with all its input */
    while (in.pos < in.size) {
        size_t before = in.pos + out.pos;
        r = ZSTD_decompressStream(f->dctx, &out, &in);
        if (ZSTD_isError(r)) {
            *why = ZSTD_getErrorName(r);
            return -1;
        }
        if (in.pos + out.pos == before) break;   /* output full, input left */
        if (r == 0 && in.pos < in.size) {
            *why = "its frame ends before its bytes do";
            return -1;
        }
    }
    if (in.pos != in.size || out.pos != c->rlen) {
        *why = "it decompresses to another size than its header says";
        return -1;
    }
    /* A frame that ended here (r == 0) cannot go on in the next chunk. */
    f->frame_live = r != 0;
    f->frame_next = c->index + 1;
    return 0;
}

/* Loads the next chunk. 1: loaded; 0: clean end; 2: cut short; <0 error
 * (the chunk is skipped: the next call tries the one after). */
static int load_chunk(lt_trace_file_t *f, lt_err_t *err)
{
    if (!f->leading_reported) {
        f->leading_reported = 1;
        if (f->plan.no_checkpoint && f->nch)
            LT_RETURN_ERROR(err, LT_E_CORRUPT, (int64_t)f->data_start,
                            "chunks 0 to %u are missing or damaged, and no complete checkpoint survives: the heap state "
                            "before chunk %u (at byte %llu) is unknown", f->ch[0].index - 1, f->ch[0].index,
                            (unsigned long long)f->ch[0].off);
        if (!f->nch && f->size > f->data_start)
            LT_RETURN_ERROR(err, LT_E_CORRUPT, (int64_t)f->data_start, "no readable chunk in bytes %llu to %llu",
                            (unsigned long long)f->data_start, (unsigned long long)f->size);
    }
    if (f->cur >= f->nch) {
        uint64_t g = f->tail_garbage;
        f->tail_garbage = 0;
        if (g && f->nch) {
            /* In a wrapped ring the bytes after the newest chunk are what
             * is left of an overwritten one: expected. */
            const lt_chunk_ent_t *n = &f->ch[f->nch - 1];
            if (f->plan.wrapped && n->off + LT_CHUNK_HDR_LEN + n->zlen == g) return 0;
            LT_RETURN_ERROR(err, LT_E_CORRUPT, (int64_t)g, "bytes %llu to %llu, after the last good chunk, are damaged: "
                            "the end of the trace is lost", (unsigned long long)g, (unsigned long long)f->size);
        }
        return 0;
    }
    lt_chunk_ent_t *c = &f->ch[f->cur++];
    int newest = f->cur == f->nch;
    int64_t off = (int64_t)c->off;
    f->pos = c->off;
    if (f->cur > f->plan.start + 1 && c->index != c[-1].index + 1 && f->hole_said != f->cur) {
        /* Report the hole once; this chunk is loaded by the next call. */
        const lt_chunk_ent_t *p = &c[-1];
        uint32_t lo = p->index + 1, hi = c->index - 1;
        f->hole_said = f->cur--;
        int64_t at = (int64_t)(p->off + LT_CHUNK_HDR_LEN + p->zlen);
        /* Chunks after the hole that continue a zstd frame begun in it
         * (format 1.7) are lost with it: said here, in the same message. */
        char tail[160] = "";
        if ((c->flags & LT_CHUNK_F_CONT) && !c->cut) {
            f->cur++;
            skip_frame_tail(f, c->index, tail, sizeof tail);
            f->frame_live = 0;
        }
        if (lo == hi) LT_RETURN_ERROR(err, LT_E_CORRUPT, at, "chunk %u (at byte %lld) is missing or damaged%s", lo, (long long)at, tail);
        LT_RETURN_ERROR(err, LT_E_CORRUPT, at, "chunks %u to %u (from byte %lld) are missing or damaged%s", lo, hi, (long long)at, tail);
    }
    if (c->cut) {
        LT_ERR_SET(err, LT_E_CORRUPT, off, "the trace ends inside chunk %u at byte %lld (it was being written)", c->index, (long long)off);
        return 2;
    }
    /* zlen fits in the file (scan_chunks), so this allocation is bounded
     * by the input; the buffer for the decompressed bytes comes once the
     * frame's own size agrees with the header's. */
    if (grow(&f->zbuf, &f->zcap, (size_t)c->zlen + LT_CHUNK_HDR_LEN))
        LT_RETURN_ERROR(err, LT_E_NOMEM, off, "out of memory for chunk %u", c->index);
    /* Header and payload in one read: a chunk overwritten since the scan
     * (a ring still being written) shows as a changed header. */
    if (!read_at(f, f->zbuf, LT_CHUNK_HDR_LEN + c->zlen, c->off) || !hdr_ok(f->zbuf) ||
        lt_get_u32(f->zbuf + 12) != c->index) {
        if (newest) {
            LT_ERR_SET(err, LT_E_CORRUPT, off, "the newest chunk %u at byte %lld is incomplete (being written)", c->index, (long long)off);
            return 2;
        }
        char tail[160];
        f->frame_live = 0;
        skip_frame_tail(f, c->index + 1, tail, sizeof tail);
        LT_RETURN_ERROR(err, LT_E_CORRUPT, off, "chunk %u at byte %lld was overwritten or truncated while being read%s", c->index,
                        (long long)off, tail);
    }
    f->pos = c->off + LT_CHUNK_HDR_LEN + c->zlen;
    const unsigned char *z = f->zbuf + LT_CHUNK_HDR_LEN;
    const char *why = NULL;
    char tail[160];
    if (!(c->flags & LT_CHUNK_F_STREAM)) {
        /* Format 1.6 and before: one whole frame, which says its size. */
        f->frame_live = 0;
        unsigned long long fcs = ZSTD_getFrameContentSize(z, c->zlen);
        if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != ZSTD_CONTENTSIZE_ERROR && fcs != c->rlen)
            LT_RETURN_ERROR(err, LT_E_CORRUPT, off, "chunk %u at byte %lld does not decompress: its frame holds %llu bytes, "
                            "the chunk header says %u", c->index, (long long)off, fcs, c->rlen);
    }
    if (grow(&f->raw, &f->rawcap, c->rlen ? c->rlen : 1))
        LT_RETURN_ERROR(err, LT_E_NOMEM, off, "out of memory for chunk %u", c->index);
    if (c->flags & LT_CHUNK_F_STREAM) {
        stream_chunk(f, c, z, c->zlen, &why);
    } else {
        size_t d = ZSTD_decompressDCtx(f->dctx, f->raw, c->rlen, z, c->zlen);
        if (ZSTD_isError(d) || d != c->rlen) why = ZSTD_isError(d) ? ZSTD_getErrorName(d) : "size differs from the header";
    }
    if (why) {
        if (newest && !(c->flags & LT_CHUNK_F_FINAL) && f->plan.wrapped) {
            LT_ERR_SET(err, LT_E_CORRUPT, off, "the newest chunk %u at byte %lld is incomplete (being written)", c->index, (long long)off);
            return 2;
        }
        skip_frame_tail(f, c->index + 1, tail, sizeof tail);
        LT_RETURN_ERROR(err, LT_E_CORRUPT, off, "chunk %u at byte %lld does not decompress: %s; its events are lost%s",
                        c->index, (long long)off, why, tail);
    }
    const unsigned char *rec = f->raw;
    size_t nrec = c->rlen;
    if (c->flags & LT_CHUNK_F_FIELDS) {
        /* Field streams (1.6): the records, rearranged; put them back. */
        if (grow(&f->gathered, &f->gathercap, c->rlen ? c->rlen : 1))
            LT_RETURN_ERROR(err, LT_E_NOMEM, off, "out of memory for chunk %u", c->index);
        ptrdiff_t g = lt_fs_gather(f->raw, c->rlen, f->gathered, c->rlen);
        if (g < 0 && f->info.minor > LT_FORMAT_MINOR)   /* a record of a newer format, most likely */
            LT_RETURN_ERROR(err, LT_E_CORRUPT, off, "chunk %u at byte %lld: its field streams do not gather into "
                            "records; the trace is format %u.%u, newer than this leaktrace's %u.%u: read it with "
                            "the leaktrace that wrote it", c->index, (long long)off, f->info.major, f->info.minor,
                            LT_FORMAT_MAJOR, LT_FORMAT_MINOR);
        if (g < 0)
            LT_RETURN_ERROR(err, LT_E_CORRUPT, off, "chunk %u at byte %lld is damaged: its field streams "
                            "(format 1.6) do not gather into records", c->index, (long long)off);
        rec = f->gathered;
        nrec = (size_t)g;
    }
    lt_payload_init(&f->pl, rec, nrec);
    f->chunk_off = off;
    f->chunks_read++;
    return 1;
}

int lt_file_next(lt_trace_file_t *f, lt_rec_t *r, lt_err_t *err)
{
    for (;;) {
        if (f->done) return 0;
        if (f->have_chunk) {
            int rc = payload_next(&f->pl, r, err);
            if (rc == 1) { r->offset = f->chunk_off; return 1; }
            if (rc < 0) {
                int64_t in = err->offset;
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "chunk at byte %lld: %s", (long long)f->chunk_off, err->msg);
                if (f->pl.unknown_event && f->info.minor > LT_FORMAT_MINOR)  /* a record of a newer format, most likely */
                    LT_ERR_SET(err, LT_E_CORRUPT, f->chunk_off,
                               "%s (decompressed offset %lld); the trace is format %u.%u, newer than this leaktrace's %u.%u: read it with the leaktrace that wrote it",
                               msg, (long long)in, f->info.major, f->info.minor, LT_FORMAT_MAJOR, LT_FORMAT_MINOR);
                else
                    LT_ERR_SET(err, LT_E_CORRUPT, f->chunk_off, "%s (decompressed offset %lld)", msg, (long long)in);
                f->have_chunk = 0;
                return rc;
            }
            f->have_chunk = 0;
        }
        int rc = load_chunk(f, err);
        if (rc == 1) { f->have_chunk = 1; continue; }
        if (rc == -LT_E_CORRUPT) return rc;   /* skipped: the caller may go on */
        f->done = 1;
        return rc;
    }
}

void lt_file_close(lt_trace_file_t *f)
{
    if (!f) return;
    if (f->fp) fclose(f->fp);
    free(f->snap);
    ZSTD_freeDCtx(f->dctx);
    free(f->zbuf);
    free(f->raw);
    free(f->gathered);
    free(f->ch);
    free(f->info.header_text);
    free(f);
}
