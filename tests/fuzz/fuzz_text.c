/*
 * fuzz_text.c - libFuzzer target: the small text parsers of the command
 * line and of ci: the moment syntax (TRACE@MOMENT, --at), --fail-on lists
 * and ci baseline files. The first byte chooses the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ci.h"
#include "fuzz_util.h"
#include "model.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned sel = data[0] % 3;
    data++, size--;
    if (sel == 2) {
        char path[64];
        int fd = fuzz_memfile(data, size, path, sizeof path);
        size_t n = 0;
        lt_err_t err;
        lt_ci_check_baseline_file(path, &n, &err);
        close(fd);
        return 0;
    }
    char *s = strndup((const char *)data, size);
    if (!s) return 0;
    if (sel == 0) {
        lt_when_t w;
        if (lt_when_parse(s, &w) == 0) {
            if (w.kind == LT_MOMENT_MARK && (!w.label || w.label < s || w.label > s + strlen(s))) abort();
        }
        uint64_t ns;
        lt_when_parse_seconds(s, &ns);
    } else {
        unsigned mask = 0;
        lt_ci_parse_fail_on(s, &mask);
    }
    free(s);
    return 0;
}
