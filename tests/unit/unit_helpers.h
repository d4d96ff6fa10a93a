/*
 * unit_helpers.h - small shared helpers of the unit tests (tests/unit/):
 * ring records built exactly as preload/tracer.c builds them, a growable
 * encoder buffer, byte buffers for length-prefixed payloads, trace files
 * (header + zstd chunks) written to a temporary directory, and a
 * deterministic random generator. Not part of leaktrace itself.
 */
#ifndef LT_UNIT_HELPERS_H
#define LT_UNIT_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "encode.h"
#include "model.h"

/* ---- deterministic randomness (xorshift64*) ---- */
typedef struct ut_rng { uint64_t s; } ut_rng_t;
void ut_rng_seed(ut_rng_t *r, uint64_t seed);
uint64_t ut_rng_next(ut_rng_t *r);
/* Uniform in [0, n) (n > 0). */
uint64_t ut_rng_below(ut_rng_t *r, uint64_t n);

/* ---- ring records, word for word as tracer.c writes them ----
 * Each fills w[] and returns the number of words used. */
#define UT_RING_MAX_WORDS (3 + 256)
unsigned ut_ring_alloc(uint64_t *w, uint64_t seq, uint64_t ts, uint64_t addr, uint64_t size,
                       uint32_t stack, unsigned fn);
unsigned ut_ring_free(uint64_t *w, uint64_t seq, uint64_t ts, uint64_t addr);
unsigned ut_ring_realloc(uint64_t *w, uint64_t seq1, uint64_t seq2, uint64_t ts, uint64_t old,
                         uint64_t new_, uint64_t size, uint32_t stack, unsigned fn);
unsigned ut_ring_nop(uint64_t *w, uint64_t seq);
unsigned ut_ring_stack(uint64_t *w, uint32_t id, uint32_t gen, const uint64_t *ips, uint32_t depth);
/* A PAD record of nwords words (as ring.c writes at the end of the ring). */
unsigned ut_ring_pad(uint64_t *w, unsigned nwords);

/* ---- encoder with a growing heap buffer ---- */
void ut_enc_init(lt_enc_t *e);
/* Makes sure at least need bytes are free (LT_ENC_MAX_RECORD for a ring
 * record, len + 11 for a side record). */
void ut_enc_room(lt_enc_t *e, size_t need);
void ut_enc_free(lt_enc_t *e);

/* ---- byte buffer (length-prefixed payloads, whole files) ---- */
typedef struct ut_buf {
    unsigned char *p;
    size_t len, cap;
} ut_buf_t;
void ut_buf_bytes(ut_buf_t *b, const void *p, size_t n);
void ut_buf_u8(ut_buf_t *b, unsigned v);
void ut_buf_varint(ut_buf_t *b, uint64_t v);
/* varint length, then the bytes */
void ut_buf_lstr(ut_buf_t *b, const void *p, size_t n);
/* PROCESS key/value pair: varint klen, key, varint vlen, value. */
void ut_buf_kv(ut_buf_t *b, const char *key, const void *val, size_t vlen);
void ut_buf_free(ut_buf_t *b);

/* ---- trace files ---- */
typedef struct ut_file {
    ut_buf_t b;
    size_t chunk_off[64];      /* file offset of each chunk header */
    size_t chunk_end[64];      /* file offset just past each chunk */
    size_t nchunks;
    uint32_t next_index;
    void *zc;                  /* ut_file_stream_chunk's zstd context */
} ut_file_t;
/* The 16-byte fixed header plus text (as writer.c writes it). */
void ut_file_header(ut_file_t *f, unsigned major, unsigned minor, const char *text);
/* One chunk: 24-byte header + zstd frame of raw[0..rawlen). checksum: with
 * zstd's content checksum, as the tracer's writer does. */
void ut_file_chunk(ut_file_t *f, const void *raw, size_t rawlen, uint32_t flags, int checksum);
/* One chunk of format 1.7 (LT_CHUNK_F_STREAM added to flags): the check,
 * then raw compressed up to a flush, continuing the frame of the chunk
 * before (cont: LT_CHUNK_F_CONT added) or starting one; end: the frame
 * ends with this chunk. */
void ut_file_stream_chunk(ut_file_t *f, const void *raw, size_t rawlen, uint32_t flags, int cont, int end);
void ut_file_free(ut_file_t *f);

/* Writes n bytes to path (created/truncated), failing the test on error. */
void ut_write_file(const char *path, const void *p, size_t n);

/* A fresh directory under $TMPDIR (or /tmp); ut_tmpdir_remove deletes it and
 * the plain files in it. */
char *ut_tmpdir_create(void);
void ut_tmpdir_remove(char *dir);
/* dir/name in a malloc'd string. */
char *ut_path(const char *dir, const char *name);

/* ---- module tables (lt_module_t arrays as the replay builds them) ---- */
typedef struct ut_mods {
    lt_module_t *v;
    size_t n, cap;
} ut_mods_t;

/* Appends a zeroed module (live in every generation) and returns it. */
lt_module_t *ut_mods_push(ut_mods_t *t);
/* Appends this process's loaded objects, read with dl_iterate_phdr: path
 * (the main program's from /proc/self/exe), load bias, PT_LOAD segments
 * and GNU build-id, all in generation 0 onwards. */
void ut_mods_collect_self(ut_mods_t *t);
/* Frees paths, segments and the array; leaves an empty table. */
void ut_mods_free(ut_mods_t *t);

#endif
