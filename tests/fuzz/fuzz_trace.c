/*
 * fuzz_trace.c - libFuzzer target: a whole trace file image (header,
 * zstd chunks) read by the decoder, replayed with time series, then every
 * analysis and output run over it. Seeds: real traces (tests/fuzz/seeds.c).
 */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    lt_replay_t *rp = NULL;
    lt_err_t err;
    if (lt_replay_file_series(path, 1000000, 64, &rp, &err) == 0) {
        fuzz_analyze(rp);
        lt_replay_free(rp);
    }
    close(fd);
    return 0;
}
