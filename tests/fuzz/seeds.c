/*
 * seeds.c - makes the generated seed corpora of the fuzz targets from real
 * trace files (built by `make fuzz` from the test programs):
 *
 *   seeds OUTDIR TRACE...
 *
 * writes OUTDIR/trace/NAME (the file as is), OUTDIR/records/NAME.I (a 0
 * byte, then the records of chunk I: fuzz_records.c's input) and
 * OUTDIR/fields/NAME.I (those records in the field-stream layout:
 * fuzz_fields.c's input), records beyond the first 16 KiB cut off (the
 * fuzzer then starts inside the grammar anyway). Exit 0, or 1 with a
 * message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "../../common/lt_fields.h"
#include "../../common/lt_format.h"

#define SEED_MAX (16u << 10)

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = malloc(cap);
    for (size_t r; b && (r = fread(b + len, 1, cap - len, f)) > 0;) {
        len += r;
        if (len == cap) { unsigned char *nb = realloc(b, cap *= 2); if (!nb) { free(b); b = NULL; } else b = nb; }
    }
    fclose(f);
    *n = len;
    return b;
}

static int put(const char *path, const void *a, size_t na, const void *b, size_t nb)
{
    FILE *f = fopen(path, "wb");
    if (!f) { fprintf(stderr, "seeds: cannot write %s: %s\n", path, strerror(errno)); return -1; }
    fwrite(a, 1, na, f);
    if (nb) fwrite(b, 1, nb, f);
    return fclose(f) == 0 ? 0 : -1;
}

/* A chunk's payload decompressed into raw (rlen bytes): its size, or a
 * zstd error code. A format 1.7 chunk (LT_CHUNK_F_STREAM) is a check and
 * part of a frame that goes on from the chunk before (LT_CHUNK_F_CONT):
 * dctx keeps the frame between calls. */
static size_t unpack(ZSTD_DCtx *dctx, uint32_t flags, unsigned char *raw, size_t rlen, const unsigned char *z, size_t zlen)
{
    if (!(flags & LT_CHUNK_F_STREAM)) return ZSTD_decompress(raw, rlen, z, zlen);
    if (zlen < LT_CHUNK_CHECK_LEN) return (size_t)-1;
    if (!(flags & LT_CHUNK_F_CONT)) ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
    ZSTD_inBuffer in = { z + LT_CHUNK_CHECK_LEN, zlen - LT_CHUNK_CHECK_LEN, 0 };
    ZSTD_outBuffer out = { raw, rlen, 0 };
    while (in.pos < in.size) {
        size_t before = in.pos + out.pos, r = ZSTD_decompressStream(dctx, &out, &in);
        if (ZSTD_isError(r)) return r;
        if (in.pos + out.pos == before) return (size_t)-1;
    }
    return out.pos;
}

/* OUTDIR/fields/BASE.K: the first SEED_MAX bytes of records (to a record
 * boundary) split into field streams. */
static int fields_seed(const char *dir, const char *base, unsigned k, const unsigned char *rec, size_t n)
{
    lt_fs_streams_t st;
    unsigned char *m = malloc((size_t)LT_FS_N * (n + 1) + n + LT_FS_HDR_MAX);
    if (!m) return -1;
    for (int s = 0; s < LT_FS_N; s++) st.s[s] = m + (size_t)s * (n + 1);
    int rc = 0;
    if (lt_fs_split(rec, n, SEED_MAX, &st) != (size_t)-1) {
        char path[4096];
        snprintf(path, sizeof path, "%s/fields/%s.%u", dir, base, k);
        unsigned char *joined = m + (size_t)LT_FS_N * (n + 1);
        rc = put(path, joined, lt_fs_join(&st, joined), NULL, 0);
    }
    free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: seeds OUTDIR TRACE...\n"); return 1; }
    char path[4096];
    for (int i = 2; i < argc; i++) {
        size_t n;
        unsigned char *t = slurp(argv[i], &n);
        if (!t || n < LT_FILE_FIXED_LEN) { fprintf(stderr, "seeds: cannot read trace %s\n", argv[i]); return 1; }
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        snprintf(path, sizeof path, "%s/trace/%s", argv[1], base);
        if (put(path, t, n, NULL, 0)) return 1;
        size_t pos = LT_FILE_FIXED_LEN + lt_get_u32(t + 12);
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        if (!dctx) { fprintf(stderr, "seeds: out of memory\n"); return 1; }
        for (unsigned k = 0; pos + LT_CHUNK_HDR_LEN <= n; k++) {
            uint32_t zlen = lt_get_u32(t + pos + 4), rlen = lt_get_u32(t + pos + 8);
            if (zlen > n - pos - LT_CHUNK_HDR_LEN || rlen > LT_CHUNK_RAW_MAX) break;
            unsigned char *raw = malloc(rlen ? rlen : 1), *rec = malloc(rlen ? rlen : 1);
            uint32_t flags = lt_get_u32(t + pos + 16);
            size_t d = raw ? unpack(dctx, flags, raw, rlen, t + pos + LT_CHUNK_HDR_LEN, zlen) : 0;
            if (raw && rec && !ZSTD_isError(d) && d == rlen) {
                ptrdiff_t nrec = (ptrdiff_t)d;
                if (lt_get_u32(t + pos + 16) & LT_CHUNK_F_FIELDS) nrec = lt_fs_gather(raw, d, rec, d);
                else memcpy(rec, raw, d);
                unsigned char sel = 0;
                snprintf(path, sizeof path, "%s/records/%s.%u", argv[1], base, k);
                if (nrec >= 0 && put(path, &sel, 1, rec, (size_t)nrec > SEED_MAX ? SEED_MAX : (size_t)nrec)) return 1;
                if (nrec >= 0 && fields_seed(argv[1], base, k, rec, (size_t)nrec)) return 1;
            }
            free(raw);
            free(rec);
            pos += LT_CHUNK_HDR_LEN + zlen;
        }
        ZSTD_freeDCtx(dctx);
        free(t);
    }
    return 0;
}
