/*
 * fuzz_suppress.c - libFuzzer target: suppression files (suppress.c).
 * The input is parsed as a file; every rule is then matched against frame
 * names, and the first line is used as a pattern against the rest (the
 * matcher must stay fast on patterns full of '*').
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    lt_supp_t *s = lt_supp_new();
    if (!s) return 0;
    lt_err_t err;
    if (lt_supp_parse(s, "fuzz.supp", text, size, &err) == 0) {
        lt_symframe_t f[2];
        memset(f, 0, sizeof f);
        f[0].function = "main";
        f[0].file = "/src/leaky.c";
        f[0].module = "/usr/bin/leaky";
        f[1].function = "operator new(unsigned long)";
        for (int kind = 0; kind < LT_SUPP_NKINDS; kind++) {
            long i = lt_supp_match(s, kind, f, 2, "worker_main");
            if (i >= (long)s->nrules) abort();
            if (i >= 0) {
                lt_supp_hit_leak(s, i, 1, 1);
                lt_supp_hit_thread(s, i, 1);
                lt_supp_hit_growth(s, i);
            }
        }
        lt_supp_count(s, LT_SUPP_ALL);
        lt_supp_reset_counts(s);
    }
    lt_supp_free(s);
    /* Pattern (first line) against the rest, as C strings. */
    const char *nl = memchr(text, '\n', size);
    if (nl) {
        size_t pl = (size_t)(nl - text);
        char *pat = strndup(text, pl), *str = strndup(nl + 1, size - pl - 1);
        if (pat && str) lt_supp_pattern_match(pat, str);
        free(pat);
        free(str);
    }
    return 0;
}
