/*
 * fuzz_dump.c - libFuzzer target: heap dump files, text
 * ("leaktrace-heapdump 1") and JSON, read by lt_dump_read; a dump that
 * reads is then diffed against itself, written back (and must read back)
 * and rendered as pprof and flame graphs.
 */
#include "diff.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    lt_profile_t *p = NULL;
    lt_err_t err;
    if (lt_dump_read(path, &p, &err) == 0) {
        FILE *out = fuzz_sink();
        lt_diff_t *d = NULL;
        if (lt_diff_build(p, p, 0, &d, &err) == 0) {
            lt_output_diff_text(out, d, "a", "b", 10);
            lt_output_diff_json(out, d, "a", "b");
            lt_diff_free(d);
        }
        lt_pprof_write(p, out, &err);
        lt_flame_folded(p, LT_FLAME_ALLOC, out, &err);
        lt_flame_svg(p, LT_FLAME_INUSE, "fuzz", out, &err);
        fuzz_dump_roundtrip(p, 0);
        fuzz_dump_roundtrip(p, 1);
        lt_profile_free(p);
    }
    close(fd);
    return 0;
}
