/*
 * fuzz_fields.c - libFuzzer target: chunk payloads in the field-stream
 * layout (format 1.6, common/lt_fields.h). Input: one split payload. The
 * gather must refuse it or give records that split back into exactly the
 * input's streams (the layout is a permutation of bytes), and those
 * records must decode without a crash. Seeds: the chunks of real traces,
 * split (tests/fuzz/seeds.c).
 */
#include "fuzz_util.h"

#include "decode.h"
#include "lt_fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *rec = malloc(size ? size : 1);
    if (!rec) return 0;
    ptrdiff_t n = lt_fs_gather(data, size, rec, size);
    if (n < 0) { free(rec); return 0; }
    /* the streams as the input holds them, after its header */
    const unsigned char *p = data + LT_FS_MARK_LEN, *end = data + size;
    uint64_t v, lens[LT_FS_N];
    if (lt_get_varint(&p, end, &v) != 0) abort();
    for (int s = 0; s < LT_FS_N; s++)
        if (lt_get_varint(&p, end, &lens[s]) != 0) abort();
    lt_fs_streams_t st;
    unsigned char *m = malloc((size_t)LT_FS_N * ((size_t)n + 1));
    if (!m) { free(rec); return 0; }
    for (int s = 0; s < LT_FS_N; s++) st.s[s] = m + (size_t)s * ((size_t)n + 1);
    if (lt_fs_split(rec, (size_t)n, (size_t)n, &st) != (size_t)n) abort();   /* gathered records always split */
    for (int s = 0; s < LT_FS_N; s++) {
        if (st.len[s] != lens[s] || memcmp(st.s[s], p, lens[s]) != 0) abort();
        p += lens[s];
    }
    lt_payload_t pl;
    lt_rec_t r;
    lt_err_t err;
    lt_payload_init(&pl, rec, (size_t)n);
    while (lt_payload_next(&pl, &r, &err) == 1) {}
    free(m);
    free(rec);
    return 0;
}
