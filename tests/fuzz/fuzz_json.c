/*
 * fuzz_json.c - libFuzzer target: the JSON reader (json_read.c) on any
 * bytes; a document that parses is walked completely through the
 * accessors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"

static size_t walk(const lt_jv_t *v, int depth)
{
    size_t n = 1;
    if (depth > LT_JSON_MAX_DEPTH + 1) abort();   /* the parser's own limit */
    uint64_t u;
    int64_t i;
    double d;
    int b;
    lt_jv_u64(v, &u);
    lt_jv_i64(v, &i);
    lt_jv_f64(v, &d);
    lt_jv_bool(v, &b);
    const char *s = lt_jv_str(v);
    if (s) n += strlen(s);
    size_t len = lt_jv_len(v);
    if (lt_jv_kind(v) == LT_JV_ARR)
        for (size_t k = 0; k < len; k++) n += walk(lt_jv_at(v, k), depth + 1);
    if (lt_jv_kind(v) == LT_JV_OBJ)
        for (size_t k = 0; k < len; k++) {
            const lt_jv_t *m = NULL;
            const char *key = lt_jv_member(v, k, &m);
            if (!key || lt_jv_get(v, key) != m) abort();   /* lookup finds what the walk sees */
            n += walk(m, depth + 1);
        }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_err_t err;
    lt_jv_t *root = lt_json_parse((const char *)data, size, &err);
    if (root) walk(root, 0);
    lt_json_free(root);
    return 0;
}
