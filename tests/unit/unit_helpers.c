/*
 * unit_helpers.c - see unit_helpers.h.
 */
#include "unit_helpers.h"

#include <check.h>
#include <elf.h>
#include <link.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "lt_format.h"
#include "lt_internal.h"

/* ---- randomness ---- */

void ut_rng_seed(ut_rng_t *r, uint64_t seed) { r->s = seed ? seed : 0x9e3779b97f4a7c15ull; }

uint64_t ut_rng_next(ut_rng_t *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dull;
}

uint64_t ut_rng_below(ut_rng_t *r, uint64_t n) { return ut_rng_next(r) % n; }

/* ---- ring records (same words as preload/tracer.c) ---- */

unsigned ut_ring_alloc(uint64_t *w, uint64_t seq, uint64_t ts, uint64_t addr, uint64_t size,
                       uint32_t stack, unsigned fn)
{
    w[0] = LT_R_HDR(LT_R_ALLOC, 6, fn);
    w[1] = seq;
    w[2] = ts;
    w[3] = addr;
    w[4] = size;
    w[5] = stack;
    return 6;
}

unsigned ut_ring_free(uint64_t *w, uint64_t seq, uint64_t ts, uint64_t addr)
{
    w[0] = LT_R_HDR(LT_R_FREE, 4, 0);
    w[1] = seq;
    w[2] = ts;
    w[3] = addr;
    return 4;
}

unsigned ut_ring_realloc(uint64_t *w, uint64_t seq1, uint64_t seq2, uint64_t ts, uint64_t old,
                         uint64_t new_, uint64_t size, uint32_t stack, unsigned fn)
{
    w[0] = LT_R_HDR(LT_R_REALLOC, 8, fn);
    w[1] = seq1;
    w[2] = seq2;
    w[3] = ts;
    w[4] = old;
    w[5] = new_;
    w[6] = size;
    w[7] = stack;
    return 8;
}

unsigned ut_ring_nop(uint64_t *w, uint64_t seq)
{
    w[0] = LT_R_HDR(LT_R_NOP, 2, 0);
    w[1] = seq;
    return 2;
}

unsigned ut_ring_stack(uint64_t *w, uint32_t id, uint32_t gen, const uint64_t *ips, uint32_t depth)
{
    unsigned n = 3 + depth;
    w[0] = LT_R_HDR(LT_R_STACK, n, depth);
    w[1] = id;
    w[2] = gen;
    memcpy(w + 3, ips, depth * sizeof *ips);
    return n;
}

unsigned ut_ring_pad(uint64_t *w, unsigned nwords)
{
    w[0] = LT_R_HDR(LT_R_PAD, nwords, 0);
    for (unsigned i = 1; i < nwords; i++) w[i] = 0xdeadbeefdeadbeefull; /* stale ring contents */
    return nwords;
}

/* ---- encoder ---- */

void ut_enc_init(lt_enc_t *e)
{
    memset(e, 0, sizeof *e);
    ut_enc_room(e, 4 * LT_ENC_MAX_RECORD);
}

void ut_enc_room(lt_enc_t *e, size_t need)
{
    if (e->cap - e->len >= need) return;
    size_t nc = e->cap ? e->cap * 2 : 4096;
    while (nc - e->len < need) nc *= 2;
    unsigned char *n = realloc(e->buf, nc);
    ck_assert_ptr_nonnull(n);
    e->buf = n;
    e->cap = nc;
}

void ut_enc_free(lt_enc_t *e)
{
    free(e->buf);
    memset(e, 0, sizeof *e);
}

/* ---- byte buffers ---- */

static void buf_room(ut_buf_t *b, size_t n)
{
    if (b->cap - b->len >= n) return;
    size_t nc = b->cap ? b->cap * 2 : 256;
    while (nc - b->len < n) nc *= 2;
    unsigned char *p = realloc(b->p, nc);
    ck_assert_ptr_nonnull(p);
    b->p = p;
    b->cap = nc;
}

void ut_buf_bytes(ut_buf_t *b, const void *p, size_t n)
{
    buf_room(b, n);
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
}

void ut_buf_u8(ut_buf_t *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    ut_buf_bytes(b, &c, 1);
}

void ut_buf_varint(ut_buf_t *b, uint64_t v)
{
    buf_room(b, 10);
    b->len += lt_put_varint(b->p + b->len, v);
}

void ut_buf_lstr(ut_buf_t *b, const void *p, size_t n)
{
    ut_buf_varint(b, n);
    ut_buf_bytes(b, p, n);
}

void ut_buf_kv(ut_buf_t *b, const char *key, const void *val, size_t vlen)
{
    ut_buf_lstr(b, key, strlen(key));
    ut_buf_lstr(b, val, vlen);
}

void ut_buf_free(ut_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- trace files ---- */

void ut_file_header(ut_file_t *f, unsigned major, unsigned minor, const char *text)
{
    unsigned char h[LT_FILE_FIXED_LEN];
    size_t tl = strlen(text);
    memcpy(h, LT_FILE_MAGIC, LT_FILE_MAGIC_LEN);
    lt_put_u16(h + 8, (uint16_t)major);
    lt_put_u16(h + 10, (uint16_t)minor);
    lt_put_u32(h + 12, (uint32_t)tl);
    ut_buf_bytes(&f->b, h, sizeof h);
    ut_buf_bytes(&f->b, text, tl);
}

void ut_file_chunk(ut_file_t *f, const void *raw, size_t rawlen, uint32_t flags, int checksum)
{
    ck_assert_uint_lt(f->nchunks, sizeof f->chunk_off / sizeof f->chunk_off[0]);
    size_t bound = ZSTD_compressBound(rawlen);
    unsigned char *z = malloc(bound);
    ck_assert_ptr_nonnull(z);
    size_t zlen;
    if (checksum) {
        ZSTD_CCtx *c = ZSTD_createCCtx();
        ck_assert_ptr_nonnull(c);
        ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        zlen = ZSTD_compress2(c, z, bound, raw, rawlen);
        ZSTD_freeCCtx(c);
    } else {
        zlen = ZSTD_compress(z, bound, raw, rawlen, 1);
    }
    ck_assert_msg(!ZSTD_isError(zlen), "zstd: %s", ZSTD_getErrorName(zlen));
    unsigned char h[LT_CHUNK_HDR_LEN];
    lt_chunk_hdr_pack(h, (uint32_t)zlen, (uint32_t)rawlen, f->next_index++, flags);
    f->chunk_off[f->nchunks] = f->b.len;
    ut_buf_bytes(&f->b, h, sizeof h);
    ut_buf_bytes(&f->b, z, zlen);
    f->chunk_end[f->nchunks++] = f->b.len;
    free(z);
}

void ut_file_stream_chunk(ut_file_t *f, const void *raw, size_t rawlen, uint32_t flags, int cont, int end)
{
    ck_assert_uint_lt(f->nchunks, sizeof f->chunk_off / sizeof f->chunk_off[0]);
    if (!f->zc) {
        f->zc = ZSTD_createCCtx();
        ck_assert_ptr_nonnull(f->zc);
        ZSTD_CCtx_setParameter(f->zc, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(f->zc, ZSTD_c_checksumFlag, 1);
    }
    if (!cont) ZSTD_CCtx_reset(f->zc, ZSTD_reset_session_only);
    size_t bound = ZSTD_compressBound(rawlen) + 64;
    unsigned char *z = malloc(bound);
    ck_assert_ptr_nonnull(z);
    ZSTD_inBuffer in = { raw, rawlen, 0 };
    ZSTD_outBuffer out = { z, bound, 0 };
    size_t r;
    do {
        r = ZSTD_compressStream2(f->zc, &out, &in, end ? ZSTD_e_end : ZSTD_e_flush);
        ck_assert_msg(!ZSTD_isError(r), "zstd: %s", ZSTD_getErrorName(r));
    } while (r != 0);
    unsigned char h[LT_CHUNK_HDR_LEN + LT_CHUNK_CHECK_LEN];
    flags |= LT_CHUNK_F_STREAM | (cont ? LT_CHUNK_F_CONT : 0);
    lt_chunk_hdr_pack(h, (uint32_t)(out.pos + LT_CHUNK_CHECK_LEN), (uint32_t)rawlen, f->next_index++, flags);
    lt_put_u32(h + LT_CHUNK_HDR_LEN, lt_check32(z, out.pos));
    f->chunk_off[f->nchunks] = f->b.len;
    ut_buf_bytes(&f->b, h, sizeof h);
    ut_buf_bytes(&f->b, z, out.pos);
    f->chunk_end[f->nchunks++] = f->b.len;
    free(z);
}

void ut_file_free(ut_file_t *f)
{
    ZSTD_freeCCtx(f->zc);
    ut_buf_free(&f->b);
    memset(f, 0, sizeof *f);
}

void ut_write_file(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    ck_assert_msg(fp != NULL, "cannot create %s", path);
    ck_assert_uint_eq(n ? fwrite(p, 1, n, fp) : 0, n);
    ck_assert_int_eq(fclose(fp), 0);
}

char *ut_tmpdir_create(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    size_t n = strlen(base) + 32;
    char *d = malloc(n);
    ck_assert_ptr_nonnull(d);
    snprintf(d, n, "%s/lt_unit_XXXXXX", base);
    ck_assert_msg(mkdtemp(d) != NULL, "mkdtemp(%s) failed", d);
    return d;
}

void ut_tmpdir_remove(char *dir)
{
    if (!dir) return;
    DIR *dp = opendir(dir);
    if (dp) {
        struct dirent *de;
        while ((de = readdir(dp)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char *p = ut_path(dir, de->d_name);
            if (unlink(p) != 0) rmdir(p);
            free(p);
        }
        closedir(dp);
    }
    rmdir(dir);
    free(dir);
}

char *ut_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* ---- module tables ---- */

lt_module_t *ut_mods_push(ut_mods_t *t)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = realloc(t->v, t->cap * sizeof *t->v);
        ck_assert_ptr_nonnull(t->v);
    }
    lt_module_t *m = &t->v[t->n++];
    memset(m, 0, sizeof *m);
    m->gen_unloaded = LT_GEN_NEVER;
    return m;
}

static void read_build_id(const struct dl_phdr_info *info, const ElfW(Phdr) *ph, lt_module_t *m)
{
    const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
    const unsigned char *end = p + ph->p_filesz;
    size_t align = ph->p_align == 8 ? 8 : 4;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
        const unsigned char *name = p + sizeof *nh;
        const unsigned char *desc = name + ((nh->n_namesz + align - 1) & ~(align - 1));
        const unsigned char *next = desc + ((nh->n_descsz + align - 1) & ~(align - 1));
        if (next > end) break;
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
            nh->n_descsz <= sizeof m->build_id) {
            memcpy(m->build_id, desc, nh->n_descsz);
            m->build_id_len = nh->n_descsz;
            return;
        }
        p = next;
    }
}

static int collect_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    ut_mods_t *t = arg;
    int first = t->n == 0;
    lt_module_t *m = ut_mods_push(t);
    if (first && (info->dlpi_name == NULL || info->dlpi_name[0] == '\0')) {
        char buf[4096];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
        m->path = strdup(buf);
    } else {
        m->path = strdup(info->dlpi_name ? info->dlpi_name : "");
    }
    m->base = info->dlpi_addr;
    m->seg = calloc(info->dlpi_phnum ? info->dlpi_phnum : 1, sizeof *m->seg);
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            lt_segment_t *sg = &m->seg[m->nseg++];
            sg->vaddr = ph->p_vaddr;
            sg->memsz = ph->p_memsz;
            sg->prot = ph->p_flags & (PF_R | PF_W | PF_X);
        } else if (ph->p_type == PT_NOTE && m->build_id_len == 0) {
            read_build_id(info, ph, m);
        }
    }
    return 0;
}

void ut_mods_collect_self(ut_mods_t *t)
{
    dl_iterate_phdr(collect_one, t);
}

void ut_mods_free(ut_mods_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].path);
        free(t->v[i].seg);
    }
    free(t->v);
    memset(t, 0, sizeof *t);
}
