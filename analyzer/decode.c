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

int lt_payload_next(lt_payload_t *pl, lt_rec_t *r, lt_err_t *err)
{
    for (;;) {
        if (pl->p >= pl->end) return 0;
        ptrdiff_t rec_off = pl->p - pl->start;
        unsigned tag = *pl->p++;
        uint64_t a, b, c, d, e, f;
        memset(r, 0, sizeof *r);
        r->type = (int)tag;
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
            pl->hist[pl->nalloc++ % LT_ADDR_HIST] = r->addr;
            break;
        case LT_REC_FREE:
        case LT_REC_FREE_BACK:
            GET(a); GET(b); GET(c);
            r->type = LT_REC_FREE;
            r->seq = pl->prev_seq += a;
            r->ts = pl->prev_ts += b;
            if (tag == LT_REC_FREE) {
                r->addr = pl->prev_addr += (uint64_t)lt_unzigzag(c);
            } else {
                if (c == 0 || c > LT_ADDR_HIST || c > pl->nalloc)
                    LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "free at payload byte %td refers to allocation %llu back, but the segment has %llu",
                                    rec_off, (unsigned long long)c, (unsigned long long)(pl->nalloc < LT_ADDR_HIST ? pl->nalloc : LT_ADDR_HIST));
                r->addr = pl->prev_addr = pl->hist[(pl->nalloc - c) % LT_ADDR_HIST];
            }
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
                if (d == 0 || d > LT_ADDR_HIST || d > pl->nalloc)
                    LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "realloc at payload byte %td refers to allocation %llu back, but the segment has %llu",
                                    rec_off, (unsigned long long)d, (unsigned long long)(pl->nalloc < LT_ADDR_HIST ? pl->nalloc : LT_ADDR_HIST));
                r->addr = pl->hist[(pl->nalloc - d) % LT_ADDR_HIST];
            }
            r->addr2 = pl->prev_addr = r->addr + (uint64_t)lt_unzigzag(e);
            r->size = f;
            GET(a);
            if (a > UINT32_MAX) LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "stack id %llu out of range", (unsigned long long)a);
            r->stack = (uint32_t)a;
            pl->hist[pl->nalloc++ % LT_ADDR_HIST] = r->addr2;
            break;
        case LT_REC_NOP:
            GET(a);
            r->seq = pl->prev_seq += a;
            break;
        default:
            LT_RETURN_ERROR(err, LT_E_CORRUPT, rec_off, "unknown event record type 0x%02x at payload byte %td", tag, rec_off);
        }
        r->tid = pl->tid;
        return 1;
    }
}

/* ---- file ------------------------------------------------------------------------ */

struct lt_trace_file {
    FILE *fp;
    uint64_t pos, size;
    lt_file_info_t info;
    unsigned char *zbuf, *raw;
    size_t zcap, rawcap;
    lt_payload_t pl;
    int64_t chunk_off;
    uint32_t next_index;
    int have_chunk, done;
    ZSTD_DCtx *dctx;
};

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
    f->pos = LT_FILE_FIXED_LEN + tl;
    f->info.major = major;
    f->info.minor = minor;
    f->info.header_text = text;
    f->dctx = ZSTD_createDCtx();
    if (!f->dctx) { lt_file_close(f); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory"); }
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

/* Loads the next chunk. 1: loaded; 0: clean end; 2: cut short; <0 error. */
static int load_chunk(lt_trace_file_t *f, lt_err_t *err)
{
    unsigned char h[LT_CHUNK_HDR_LEN];
    int64_t off = (int64_t)f->pos;
    size_t n = fread(h, 1, sizeof h, f->fp);
    if (n == 0) return 0;
    if (n < sizeof h) {
        LT_ERR_SET(err, LT_E_CORRUPT, off, "the trace ends inside the header of chunk %u at byte %lld", f->next_index, (long long)off);
        return 2;
    }
    uint32_t magic = lt_get_u32(h), zlen = lt_get_u32(h + 4), rlen = lt_get_u32(h + 8);
    uint32_t index = lt_get_u32(h + 12), check = lt_get_u32(h + 20);
    if (magic != LT_CHUNK_MAGIC || check != lt_fnv1a32(h, 20))
        LT_RETURN_ERROR(err, LT_E_CORRUPT, off, "chunk %u at byte %lld is damaged (bad %s)", f->next_index, (long long)off,
                        magic != LT_CHUNK_MAGIC ? "magic" : "header checksum");
    if (rlen > LT_CHUNK_RAW_MAX || zlen > ZSTD_compressBound(LT_CHUNK_RAW_MAX))
        LT_RETURN_ERROR(err, LT_E_CORRUPT, off, "chunk %u at byte %lld declares implausible sizes (%u/%u bytes)", index, (long long)off, zlen, rlen);
    /* A chunk longer than what the file has left is cut short: say so
     * before allocating for it (a damaged length must not cost memory). */
    struct stat st;
    if (f->size >= f->pos + LT_CHUNK_HDR_LEN && zlen > f->size - f->pos - LT_CHUNK_HDR_LEN &&
        fstat(fileno(f->fp), &st) == 0 && S_ISREG(st.st_mode))
        f->size = (uint64_t)st.st_size;   /* a trace still being written grows */
    if (f->size >= f->pos + LT_CHUNK_HDR_LEN && zlen > f->size - f->pos - LT_CHUNK_HDR_LEN) {
        f->pos = f->size;
        LT_ERR_SET(err, LT_E_CORRUPT, off, "the trace ends inside chunk %u (byte %lld: %llu of %u bytes present)", index,
                   (long long)off, (unsigned long long)(f->size - (uint64_t)off - LT_CHUNK_HDR_LEN), zlen);
        return 2;
    }
    if (grow(&f->zbuf, &f->zcap, zlen ? zlen : 1))
        LT_RETURN_ERROR(err, LT_E_NOMEM, off, "out of memory for chunk %u", index);
    size_t got = fread(f->zbuf, 1, zlen, f->fp);
    f->pos += LT_CHUNK_HDR_LEN + got;
    if (got < zlen) {
        LT_ERR_SET(err, LT_E_CORRUPT, off, "the trace ends inside chunk %u (byte %lld: %zu of %u bytes present)", index, (long long)off, got, zlen);
        return 2;
    }
    /* The decompressed size is checked against the frame's own declaration
     * (the tracer always writes one) before the buffer for it is allocated. */
    unsigned long long fcs = ZSTD_getFrameContentSize(f->zbuf, zlen);
    if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != ZSTD_CONTENTSIZE_ERROR && fcs != rlen)
        LT_RETURN_ERROR(err, LT_E_CORRUPT, off, "chunk %u at byte %lld does not decompress: its frame holds %llu bytes, "
                        "the chunk header says %u", index, (long long)off, fcs, rlen);
    if (grow(&f->raw, &f->rawcap, rlen ? rlen : 1))
        LT_RETURN_ERROR(err, LT_E_NOMEM, off, "out of memory for chunk %u", index);
    size_t d = ZSTD_decompressDCtx(f->dctx, f->raw, rlen, f->zbuf, zlen);
    if (ZSTD_isError(d) || d != rlen)
        LT_RETURN_ERROR(err, LT_E_CORRUPT, off, "chunk %u at byte %lld does not decompress: %s", index, (long long)off,
                        ZSTD_isError(d) ? ZSTD_getErrorName(d) : "size differs from the header");
    lt_payload_init(&f->pl, f->raw, rlen);
    f->chunk_off = off;
    f->next_index = index + 1;
    return 1;
}

int lt_file_next(lt_trace_file_t *f, lt_rec_t *r, lt_err_t *err)
{
    for (;;) {
        if (f->done) return 0;
        if (f->have_chunk) {
            int rc = lt_payload_next(&f->pl, r, err);
            if (rc == 1) { r->offset = f->chunk_off; return 1; }
            if (rc < 0) {
                int64_t in = err->offset;
                char msg[sizeof err->msg];
                snprintf(msg, sizeof msg, "chunk at byte %lld: %s", (long long)f->chunk_off, err->msg);
                LT_ERR_SET(err, LT_E_CORRUPT, f->chunk_off, "%s (decompressed offset %lld)", msg, (long long)in);
                return rc;
            }
            f->have_chunk = 0;
        }
        int rc = load_chunk(f, err);
        if (rc == 1) { f->have_chunk = 1; continue; }
        f->done = 1;
        return rc;
    }
}

void lt_file_close(lt_trace_file_t *f)
{
    if (!f) return;
    if (f->fp) fclose(f->fp);
    ZSTD_freeDCtx(f->dctx);
    free(f->zbuf);
    free(f->raw);
    free(f->info.header_text);
    free(f);
}
