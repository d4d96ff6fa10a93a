/*
 * fuzz_records.c - libFuzzer target: decompressed chunk payloads, so the
 * fuzzer reaches the record grammar and the replay without having to get
 * zstd frames and chunk checksums right. Input: one byte choosing the
 * snapshot moment (low 2 bits: end, time, sequence number, mark "m"; the
 * next 6 bits scale it), then payloads separated by the 4 bytes "LTCK"
 * (each is one chunk: segment state restarts). Seeds: the chunks of real
 * traces, with a 0 byte in front (tests/fuzz/seeds.c).
 */
#include "fuzz_util.h"

static const unsigned char sep[4] = { 'L', 'T', 'C', 'K' };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned sel = data[0];
    data++, size--;
    lt_replay_t *rp = lt_replay_new();
    if (!rp) return 0;
    if (lt_replay_enable_series(rp, 1000000, 64) < 0) { lt_replay_free(rp); return 0; }
    lt_moment_t m = { LT_MOMENT_END, 0, NULL, 0 };
    switch (sel & 3) {
    case 1: m.kind = LT_MOMENT_TIME; m.ts = (uint64_t)(sel >> 2) * 1000000; break;
    case 2: m.kind = LT_MOMENT_SEQ; m.seq = sel >> 2; break;
    case 3: m.kind = LT_MOMENT_MARK; m.label = "m"; break;
    }
    if (m.kind != LT_MOMENT_END && lt_replay_set_moment(rp, &m) < 0) { lt_replay_free(rp); return 0; }
    int rc = 0;
    lt_err_t err;
    int64_t chunk = 0;
    while (rc >= 0) {
        const uint8_t *end = memmem(data, size, sep, sizeof sep);
        size_t len = end ? (size_t)(end - data) : size;
        lt_payload_t pl;
        lt_payload_init(&pl, data, len);
        lt_rec_t r;
        while (rc >= 0 && (rc = lt_payload_next(&pl, &r, &err)) == 1) {
            r.offset = chunk;
            rc = lt_replay_record(rp, &r, &err);
        }
        if (!end) break;
        data += len + sizeof sep;
        size -= len + sizeof sep;
        chunk++;
    }
    if (rc >= 0) {
        lt_replay_finish(rp);
        fuzz_analyze(rp);
    }
    lt_replay_free(rp);
    return 0;
}
