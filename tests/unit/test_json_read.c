/*
 * test_json_read.c - unit tests of analyzer/json_read.c, the strict JSON
 * reader: every value kind and accessor, nesting, string escapes and UTF-8
 * validation, number edge cases (int64/uint64 boundaries, huge exponents),
 * syntax errors with their line:column, the depth limit, large arrays and
 * objects, every truncation of a valid document, a round trip through
 * analyzer/json.c's writer, and a deterministic random-mutation fuzz loop.
 *
 * Inputs are copied into malloc'd buffers of exactly their length (no
 * terminator) so that valgrind (CK_FORK=no CK_RUN_SUITE=json_read valgrind
 * build/unit-tests) sees any read past the end.
 *
 * Exports json_read_suite(); -DLT_STANDALONE_TEST adds a main().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_read.h"
#include "unit_helpers.h"

Suite *json_read_suite(void);
int main(void);

/* ---- helpers ---- */

/* A malloc'd copy of s[0..n) with no terminator (n == 0: a 1-byte buffer,
 * never read). */
static char *exact_copy(const char *s, size_t n)
{
    char *b = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, s, n);
    return b;
}

/* Parses s[0..n) from an exact-size copy. */
static lt_jv_t *parse_n(const char *s, size_t n, lt_err_t *err)
{
    char *b = exact_copy(s, n);
    memset(err, 0, sizeof *err);
    lt_jv_t *v = lt_json_parse(b, n, err);
    free(b);
    return v;
}

#define PARSE_OK(s) parse_ok_((s), sizeof(s) - 1, __LINE__)
static lt_jv_t *parse_ok_(const char *s, size_t n, int line)
{
    lt_err_t err;
    lt_jv_t *v = parse_n(s, n, &err);
    ck_assert_msg(v != NULL, "line %d: parse of '%s' failed: %s", line, s, err.msg);
    return v;
}

/* Parsing s[0..n) fails with LT_E_CORRUPT, a message containing part and
 * starting "line L, column C: " (L, C checked when not 0). */
#define PARSE_BAD(s, part, l, c) parse_bad_((s), sizeof(s) - 1, (part), (l), (c), __LINE__)
static void parse_bad_(const char *s, size_t n, const char *part, size_t line, size_t col, int tl)
{
    lt_err_t err;
    lt_jv_t *v = parse_n(s, n, &err);
    ck_assert_msg(v == NULL, "line %d: '%s' should not parse", tl, s);
    ck_assert_msg(err.code == LT_E_CORRUPT, "line %d: '%s': code %d", tl, s, err.code);
    ck_assert_msg(strncmp(err.msg, "line ", 5) == 0, "line %d: message without position: %s", tl, err.msg);
    ck_assert_msg(part == NULL || strstr(err.msg, part) != NULL, "line %d: '%s': message '%s' lacks '%s'", tl, s,
                  err.msg, part);
    ck_assert_msg(err.offset >= 0 && (size_t)err.offset <= n, "line %d: offset %" PRId64 " out of range", tl,
                  err.offset);
    if (line) {
        char want[64];
        snprintf(want, sizeof want, "line %zu, column %zu: ", line, col);
        ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "line %d: '%s': got '%s', want '%s...'", tl, s,
                      err.msg, want);
    }
}

static uint64_t get_u64(const lt_jv_t *v)
{
    uint64_t u = 0;
    ck_assert_int_eq(lt_jv_u64(v, &u), 0);
    return u;
}

static int64_t get_i64(const lt_jv_t *v)
{
    int64_t i = 0;
    ck_assert_int_eq(lt_jv_i64(v, &i), 0);
    return i;
}

static double get_f64(const lt_jv_t *v)
{
    double d = 0;
    ck_assert_int_eq(lt_jv_f64(v, &d), 0);
    return d;
}

/* A growable text buffer for generated documents. */
typedef struct tbuf { char *p; size_t len, cap; } tbuf_t;

static void tb_add(tbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        b->p = realloc(b->p, cap);
        ck_assert_ptr_nonnull(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void tb_str(tbuf_t *b, const char *s) { tb_add(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3)))
static void tb_fmt(tbuf_t *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    ck_assert(n >= 0 && (size_t)n < sizeof tmp);
    tb_add(b, tmp, (size_t)n);
}

/* Well-formed UTF-8 without NUL, as the reader promises for strings. */
static int valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c == 0) return 0;
        if (c < 0x80) { p++; continue; }
        size_t len;
        unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c >= 0xe0 && c <= 0xef) { len = 3; if (c == 0xe0) lo = 0xa0; if (c == 0xed) hi = 0x9f; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; if (c == 0xf0) lo = 0x90; if (c == 0xf4) hi = 0x8f; }
        else return 0;
        if ((size_t)(end - p) < len || p[1] < lo || p[1] > hi) return 0;
        for (size_t k = 2; k < len; k++)
            if ((p[k] & 0xc0) != 0x80) return 0;
        p += len;
    }
    return 1;
}

/* Visits a parsed tree, checking the accessors agree with each other;
 * returns the number of values. Recursion bounded by the reader's depth
 * limit. */
static size_t walk(const lt_jv_t *v, int depth)
{
    ck_assert_int_le(depth, LT_JSON_MAX_DEPTH + 1);
    size_t count = 1;
    uint64_t u;
    int64_t i;
    double d;
    int b;
    switch (lt_jv_kind(v)) {
    case LT_JV_NULL:
        ck_assert_int_eq(lt_jv_bool(v, &b), -1);
        break;
    case LT_JV_BOOL:
        ck_assert_int_eq(lt_jv_bool(v, &b), 0);
        ck_assert(b == 0 || b == 1);
        break;
    case LT_JV_NUM:
        ck_assert_int_eq(lt_jv_f64(v, &d), 0);
        ck_assert(!isnan(d) && !isinf(d));
        if (lt_jv_u64(v, &u) == 0 && lt_jv_i64(v, &i) == 0) ck_assert((uint64_t)i == u);
        break;
    case LT_JV_STR: {
        const char *s = lt_jv_str(v);
        ck_assert_ptr_nonnull(s);
        ck_assert(valid_utf8(s, strlen(s)));
        break;
    }
    case LT_JV_ARR:
        for (size_t k = 0; k < lt_jv_len(v); k++) count += walk(lt_jv_at(v, k), depth + 1);
        ck_assert_ptr_null(lt_jv_at(v, lt_jv_len(v)));
        break;
    case LT_JV_OBJ:
        for (size_t k = 0; k < lt_jv_len(v); k++) {
            const lt_jv_t *m;
            const char *key = lt_jv_member(v, k, &m);
            ck_assert_ptr_nonnull(key);
            ck_assert(valid_utf8(key, strlen(key)));
            ck_assert_ptr_eq(lt_jv_get(v, key), m);
            count += walk(m, depth + 1);
        }
        break;
    }
    if (lt_jv_kind(v) != LT_JV_STR) ck_assert_ptr_null(lt_jv_str(v));
    if (lt_jv_kind(v) != LT_JV_NUM) ck_assert_int_eq(lt_jv_f64(v, &d), -1);
    return count;
}

/* A valid document with every kind of value, escapes and nesting; no
 * whitespace at its end, so none of its proper prefixes is valid. */
static const char base_doc[] =
    "{\"version\": 1, \"kind\": \"heap\", \"neg\": -42, \"big\": 18446744073709551615,\n"
    " \"min\": -9223372036854775808, \"pi\": 3.14159e0, \"tiny\": -2.5E-3,\n"
    " \"t\": true, \"f\": false, \"n\": null,\n"
    " \"s\": \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\n"
    " \"arr\": [1, [2, [3, []]], {}, {\"x\": {\"y\": [null, \"\"]}}],\n"
    " \"leaks\": [{\"size\": 16, \"count\": 2, \"stack\": [4198400, 4198656]},\n"
    "           {\"size\": 4096, \"count\": 1, \"stack\": []}], \"\": 0}";

/* ---- value kinds and accessors ---- */

START_TEST(test_scalars)
{
    lt_jv_t *v = PARSE_OK("null");
    ck_assert_int_eq(lt_jv_kind(v), LT_JV_NULL);
    lt_json_free(v);

    int b = -1;
    v = PARSE_OK(" true ");
    ck_assert_int_eq(lt_jv_kind(v), LT_JV_BOOL);
    ck_assert_int_eq(lt_jv_bool(v, &b), 0);
    ck_assert_int_eq(b, 1);
    lt_json_free(v);
    v = PARSE_OK("\t\r\nfalse\n");
    ck_assert_int_eq(lt_jv_bool(v, &b), 0);
    ck_assert_int_eq(b, 0);
    lt_json_free(v);

    v = PARSE_OK("\"hello\"");
    ck_assert_int_eq(lt_jv_kind(v), LT_JV_STR);
    ck_assert_str_eq(lt_jv_str(v), "hello");
    ck_assert_uint_eq(lt_jv_len(v), 0);   /* not a container */
    ck_assert_ptr_null(lt_jv_at(v, 0));
    ck_assert_ptr_null(lt_jv_get(v, "hello"));
    uint64_t u = 7;
    ck_assert_int_eq(lt_jv_u64(v, &u), -1);
    ck_assert_uint_eq(u, 7);              /* untouched on failure */
    ck_assert_int_eq(lt_jv_bool(v, &b), -1);
    lt_json_free(v);

    v = PARSE_OK("\"\"");
    ck_assert_str_eq(lt_jv_str(v), "");
    lt_json_free(v);

    v = PARSE_OK("42");
    ck_assert_int_eq(lt_jv_kind(v), LT_JV_NUM);
    ck_assert_uint_eq(get_u64(v), 42);
    ck_assert_int_eq(get_i64(v), 42);
    ck_assert(get_f64(v) == 42.0);
    ck_assert_ptr_null(lt_jv_str(v));
    lt_json_free(v);

    /* NULL is accepted everywhere. */
    double d;
    int64_t i;
    ck_assert_int_eq(lt_jv_kind(NULL), LT_JV_NULL);
    ck_assert_ptr_null(lt_jv_get(NULL, "a"));
    ck_assert_uint_eq(lt_jv_len(NULL), 0);
    ck_assert_ptr_null(lt_jv_at(NULL, 0));
    ck_assert_ptr_null(lt_jv_str(NULL));
    ck_assert_ptr_null(lt_jv_member(NULL, 0, NULL));
    ck_assert_int_eq(lt_jv_u64(NULL, &u), -1);
    ck_assert_int_eq(lt_jv_i64(NULL, &i), -1);
    ck_assert_int_eq(lt_jv_f64(NULL, &d), -1);
    ck_assert_int_eq(lt_jv_bool(NULL, &b), -1);
    lt_json_free(NULL);
}
END_TEST

START_TEST(test_containers_and_nesting)
{
    lt_jv_t *v = PARSE_OK("{\"a\": [1, 2, {\"b\": null, \"c\": [true]}], \"d\": {}, \"e\": [], \"z\": \"last\"}");
    ck_assert_int_eq(lt_jv_kind(v), LT_JV_OBJ);
    ck_assert_uint_eq(lt_jv_len(v), 4);
    const lt_jv_t *a = lt_jv_get(v, "a");
    ck_assert_int_eq(lt_jv_kind(a), LT_JV_ARR);
    ck_assert_uint_eq(lt_jv_len(a), 3);
    ck_assert_uint_eq(get_u64(lt_jv_at(a, 0)), 1);
    ck_assert_uint_eq(get_u64(lt_jv_at(a, 1)), 2);
    ck_assert_ptr_null(lt_jv_at(a, 3));
    ck_assert_ptr_null(lt_jv_at(a, SIZE_MAX));
    const lt_jv_t *o = lt_jv_at(a, 2);
    ck_assert_int_eq(lt_jv_kind(o), LT_JV_OBJ);
    ck_assert_ptr_nonnull(lt_jv_get(o, "b"));
    ck_assert_int_eq(lt_jv_kind(lt_jv_get(o, "b")), LT_JV_NULL);
    int b = 0;
    ck_assert_int_eq(lt_jv_bool(lt_jv_at(lt_jv_get(o, "c"), 0), &b), 0);
    ck_assert_int_eq(b, 1);
    ck_assert_ptr_null(lt_jv_get(o, "x"));
    ck_assert_ptr_null(lt_jv_get(a, "b"));   /* not an object */
    ck_assert_ptr_null(lt_jv_at(o, 0));      /* not an array */
    ck_assert_int_eq(lt_jv_kind(lt_jv_get(v, "d")), LT_JV_OBJ);
    ck_assert_uint_eq(lt_jv_len(lt_jv_get(v, "d")), 0);
    ck_assert_ptr_null(lt_jv_get(lt_jv_get(v, "d"), "a"));
    ck_assert_int_eq(lt_jv_kind(lt_jv_get(v, "e")), LT_JV_ARR);
    ck_assert_uint_eq(lt_jv_len(lt_jv_get(v, "e")), 0);
    ck_assert_ptr_null(lt_jv_at(lt_jv_get(v, "e"), 0));
    ck_assert_str_eq(lt_jv_str(lt_jv_get(v, "z")), "last");

    /* Members in document order. */
    const char *want[] = { "a", "d", "e", "z" };
    for (size_t k = 0; k < 4; k++) {
        const lt_jv_t *m = NULL;
        ck_assert_str_eq(lt_jv_member(v, k, &m), want[k]);
        ck_assert_ptr_eq(m, lt_jv_get(v, want[k]));
    }
    const lt_jv_t *m = v;
    ck_assert_ptr_null(lt_jv_member(v, 4, &m));
    ck_assert_ptr_null(m);
    ck_assert_ptr_null(lt_jv_member(a, 0, NULL));
    lt_json_free(v);

    v = PARSE_OK("[[[[[\"deep\"]]]]]");
    const lt_jv_t *x = v;
    for (int k = 0; k < 5; k++) x = lt_jv_at(x, 0);
    ck_assert_str_eq(lt_jv_str(x), "deep");
    lt_json_free(v);

    v = PARSE_OK(" { } ");
    ck_assert_int_eq(lt_jv_kind(v), LT_JV_OBJ);
    ck_assert_uint_eq(lt_jv_len(v), 0);
    lt_json_free(v);

    /* Keys that are prefixes of each other, and the empty key. */
    v = PARSE_OK("{\"ab\": 2, \"a\": 1, \"\": 0, \"abc\": 3, \"b\": 4}");
    ck_assert_uint_eq(get_u64(lt_jv_get(v, "")), 0);
    ck_assert_uint_eq(get_u64(lt_jv_get(v, "a")), 1);
    ck_assert_uint_eq(get_u64(lt_jv_get(v, "ab")), 2);
    ck_assert_uint_eq(get_u64(lt_jv_get(v, "abc")), 3);
    ck_assert_uint_eq(get_u64(lt_jv_get(v, "b")), 4);
    ck_assert_ptr_null(lt_jv_get(v, "abcd"));
    ck_assert_ptr_null(lt_jv_get(v, "A"));
    ck_assert_ptr_null(lt_jv_get(v, NULL));
    lt_json_free(v);

    /* Keys are compared decoded. */
    v = PARSE_OK("{\"\\u0041\\n\": 1, \"\\u00e9\": 2}");
    ck_assert_uint_eq(get_u64(lt_jv_get(v, "A\n")), 1);
    ck_assert_uint_eq(get_u64(lt_jv_get(v, "\xc3\xa9")), 2);
    lt_json_free(v);
}
END_TEST

START_TEST(test_large_array_and_object)
{
    enum { N = 100000, K = 3000 };
    tbuf_t b = { 0 };
    tb_str(&b, "[");
    for (unsigned k = 0; k < N; k++) tb_fmt(&b, "%s%u", k ? "," : "", k * 3);
    tb_str(&b, "]");
    lt_err_t err;
    lt_jv_t *v = parse_n(b.p, b.len, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    ck_assert_uint_eq(lt_jv_len(v), N);
    for (unsigned k = 0; k < N; k++) ck_assert_uint_eq(get_u64(lt_jv_at(v, k)), (uint64_t)k * 3);
    ck_assert_ptr_null(lt_jv_at(v, N));
    lt_json_free(v);

    /* An object with K keys in shuffled order: every lookup finds its
     * value, absent keys are absent. */
    unsigned *perm = malloc(K * sizeof *perm);
    ck_assert_ptr_nonnull(perm);
    for (unsigned k = 0; k < K; k++) perm[k] = k;
    ut_rng_t r;
    ut_rng_seed(&r, 12345);
    for (unsigned k = K - 1; k > 0; k--) {
        unsigned j = (unsigned)ut_rng_below(&r, k + 1), t = perm[k];
        perm[k] = perm[j];
        perm[j] = t;
    }
    b.len = 0;
    tb_str(&b, "{");
    for (unsigned k = 0; k < K; k++) tb_fmt(&b, "%s\"key%u\": %u", k ? ", " : "", perm[k], perm[k]);
    tb_str(&b, "}");
    v = parse_n(b.p, b.len, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    ck_assert_uint_eq(lt_jv_len(v), K);
    for (unsigned k = 0; k < K; k++) {
        char key[32];
        snprintf(key, sizeof key, "key%u", k);
        ck_assert_uint_eq(get_u64(lt_jv_get(v, key)), k);
        snprintf(key, sizeof key, "key%u", perm[k]);
        ck_assert_str_eq(lt_jv_member(v, k, NULL), key);
    }
    ck_assert_ptr_null(lt_jv_get(v, "key"));
    ck_assert_ptr_null(lt_jv_get(v, "key3000"));
    ck_assert_ptr_null(lt_jv_get(v, "key00"));
    lt_json_free(v);

    /* The same object with one key repeated far from the first. */
    b.len = 0;
    tb_str(&b, "{");
    for (unsigned k = 0; k < K; k++) tb_fmt(&b, "%s\"key%u\": %u", k ? ",\n" : "", perm[k], perm[k]);
    tb_fmt(&b, ",\n\"key%u\": 0}", perm[17]);
    v = parse_n(b.p, b.len, &err);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(err.code, LT_E_CORRUPT);
    char want[128];
    snprintf(want, sizeof want, "line %u, column 1: duplicate key \"key%u\" (first at line 18, column 1)", K + 1,
             perm[17]);
    ck_assert_str_eq(err.msg, want);

    /* A long number (its text goes through the scratch buffer) before an
     * object big enough for the merge sort, which reuses that buffer. */
    b.len = 0;
    tb_str(&b, "[0.5");
    for (int k = 0; k < 100; k++) tb_str(&b, "0");
    tb_str(&b, ", {");
    for (unsigned k = 0; k < 100; k++) tb_fmt(&b, "%s\"k%u\": %u", k ? ", " : "", perm[k], k);
    tb_str(&b, "}]");
    v = parse_n(b.p, b.len, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    ck_assert(get_f64(lt_jv_at(v, 0)) == 0.5);
    ck_assert_uint_eq(walk(v, 0), 103);
    lt_json_free(v);
    free(perm);
    free(b.p);
}
END_TEST

/* ---- strings ---- */

START_TEST(test_string_escapes)
{
    lt_jv_t *v = PARSE_OK("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"");
    ck_assert_str_eq(lt_jv_str(v), "\" \\ / \b \f \n \r \t");
    lt_json_free(v);

    v = PARSE_OK("\"\\u0041\\u00e9\\u00E9\\u20ac\\uFFFF\\u0001\\u007f\"");
    ck_assert_str_eq(lt_jv_str(v), "A\xc3\xa9\xc3\xa9\xe2\x82\xac\xef\xbf\xbf\x01\x7f");
    lt_json_free(v);

    /* Surrogate pairs: U+1F600, U+10000 and U+10FFFF. */
    v = PARSE_OK("[\"\\ud83d\\ude00\", \"\\uD800\\uDC00\", \"\\udbff\\udfff\", \"x\\ud83d\\ude00y\"]");
    ck_assert_str_eq(lt_jv_str(lt_jv_at(v, 0)), "\xf0\x9f\x98\x80");
    ck_assert_str_eq(lt_jv_str(lt_jv_at(v, 1)), "\xf0\x90\x80\x80");
    ck_assert_str_eq(lt_jv_str(lt_jv_at(v, 2)), "\xf4\x8f\xbf\xbf");
    ck_assert_str_eq(lt_jv_str(lt_jv_at(v, 3)), "x\xf0\x9f\x98\x80y");
    lt_json_free(v);

    /* Raw UTF-8 (2, 3 and 4 bytes, the boundary code points) and DEL
     * pass through unchanged. */
    v = PARSE_OK("\"\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf \xf0\x90\x80\x80 "
                 "\xf4\x8f\xbf\xbf \x7f\"");
    ck_assert_str_eq(lt_jv_str(v), "\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf "
                                   "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf \x7f");
    lt_json_free(v);

    /* A long string of escapes (decoding shrinks the text). */
    tbuf_t b = { 0 };
    tb_str(&b, "\"");
    for (int k = 0; k < 10000; k++) tb_str(&b, "\\\\\\\"\\u00e9\\ud83d\\ude00");
    tb_str(&b, "\"");
    lt_err_t err;
    v = parse_n(b.p, b.len, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    const char *s = lt_jv_str(v);
    ck_assert_uint_eq(strlen(s), 10000 * 8);
    for (int k = 0; k < 10000; k++) ck_assert(memcmp(s + 8 * k, "\\\"\xc3\xa9\xf0\x9f\x98\x80", 8) == 0);
    lt_json_free(v);
    free(b.p);
}
END_TEST

START_TEST(test_string_errors)
{
    PARSE_BAD("\"\\x\"", "invalid escape '\\x'", 1, 2);
    PARSE_BAD("\"\\'\"", "invalid escape", 1, 2);
    PARSE_BAD("\"\\U0041\"", "invalid escape", 1, 2);
    PARSE_BAD("\"ab\\u12\"", "invalid \\u escape", 1, 4);
    PARSE_BAD("\"\\u12G4\"", "invalid \\u escape", 1, 2);
    PARSE_BAD("\"\\u 123\"", "invalid \\u escape", 1, 2);
    PARSE_BAD("\"\\u\"", "invalid \\u escape", 1, 2);
    /* lone surrogates */
    PARSE_BAD("\"\\ud800\"", "lone high surrogate", 1, 2);
    PARSE_BAD("\"\\ud800x\"", "lone high surrogate", 1, 2);
    PARSE_BAD("\"\\ud800xxxxxxxx\"", "lone high surrogate", 1, 2);
    PARSE_BAD("\"\\ud800\\n\"", "lone high surrogate", 1, 2);
    PARSE_BAD("\"\\ud800\\u0041\"", "lone high surrogate", 1, 2);
    PARSE_BAD("\"\\ud800\\ud800\"", "lone high surrogate", 1, 2);
    PARSE_BAD("\"\\ud800\\uzzzz\"", "invalid \\u escape", 1, 8);
    PARSE_BAD("\"\\udc00\"", "lone low surrogate", 1, 2);
    PARSE_BAD("\"a\\ude00\\ud83d\"", "lone low surrogate", 1, 3);
    /* NUL */
    PARSE_BAD("\"a\\u0000b\"", "\\u0000", 1, 3);
    PARSE_BAD("{\"\\u0000\": 1}", "\\u0000", 1, 3);
    /* raw control characters, including a raw NUL and newline */
    PARSE_BAD("\"a\x01\"", "control character 0x01", 1, 3);
    PARSE_BAD("\"a\nb\"", "control character 0x0a", 1, 3);
    PARSE_BAD("\"a\tb\"", "control character 0x09", 1, 3);
    PARSE_BAD("\"a\0b\"", "control character 0x00", 1, 3);
    /* invalid UTF-8 */
    PARSE_BAD("\"\x80\"", "invalid UTF-8", 1, 2);
    PARSE_BAD("\"ab\xbf\"", "invalid UTF-8", 1, 4);
    PARSE_BAD("\"\xc0\x80\"", "invalid UTF-8", 1, 2);          /* overlong NUL */
    PARSE_BAD("\"\xc1\xbf\"", "invalid UTF-8", 1, 2);          /* overlong */
    PARSE_BAD("\"\xe0\x80\xaf\"", "invalid UTF-8", 1, 2);      /* overlong '/' */
    PARSE_BAD("\"\xf0\x80\x80\xaf\"", "invalid UTF-8", 1, 2);  /* overlong '/' */
    PARSE_BAD("\"\xed\xa0\x80\"", "invalid UTF-8", 1, 2);      /* encoded surrogate */
    PARSE_BAD("\"\xed\xbf\xbf\"", "invalid UTF-8", 1, 2);
    PARSE_BAD("\"\xf4\x90\x80\x80\"", "invalid UTF-8", 1, 2);  /* above U+10FFFF */
    PARSE_BAD("\"\xf5\x80\x80\x80\"", "invalid UTF-8", 1, 2);
    PARSE_BAD("\"\xfe\"", "invalid UTF-8", 1, 2);
    PARSE_BAD("\"\xff\"", "invalid UTF-8", 1, 2);
    PARSE_BAD("\"\xc3\"", "invalid UTF-8", 1, 2);              /* cut before the quote */
    PARSE_BAD("\"\xe2\x82\"", "invalid UTF-8", 1, 2);
    PARSE_BAD("\"\xc3x\"", "invalid UTF-8", 1, 2);
    PARSE_BAD("\"\xf0\x9f\x98\"", "invalid UTF-8", 1, 2);
    PARSE_BAD("\"\xe2\x82\xac\xe2\x82\"", "invalid UTF-8", 1, 5);
    /* invalid UTF-8 in a key; outside strings */
    PARSE_BAD("{\"k\xff\": 1}", "invalid UTF-8", 1, 4);
    PARSE_BAD("\xc3\xa9", "unexpected byte 0xc3", 1, 1);
    /* unterminated */
    PARSE_BAD("\"abc", "unexpected end of input inside a string (opened at line 1, column 1)", 1, 5);
    PARSE_BAD("[\n \"abc\\\"", "inside a string (opened at line 2, column 2)", 2, 8);
    PARSE_BAD("\"abc\\", "unexpected end of input inside a string", 1, 6);
}
END_TEST

/* ---- numbers ---- */

START_TEST(test_numbers)
{
    lt_jv_t *v = PARSE_OK("[0, -0, 7, -7, 18446744073709551615, 18446744073709551616, 9223372036854775807, "
                          "9223372036854775808, -9223372036854775808, -9223372036854775809, "
                          "1.0, 1e3, 1E+2, 25e-2, -0.5, 0.0, -0.0, 1e308, 1e-400, 4.9e-324, "
                          "123456789012345678901234567890, 0e0, 1.7976931348623157e308, -1e+0]");
    uint64_t u;
    int64_t i;
    double d;
    ck_assert_uint_eq(lt_jv_len(v), 24);
    /* 0 and -0 are the integer 0. */
    ck_assert_uint_eq(get_u64(lt_jv_at(v, 0)), 0);
    ck_assert_int_eq(get_i64(lt_jv_at(v, 0)), 0);
    ck_assert_uint_eq(get_u64(lt_jv_at(v, 1)), 0);
    ck_assert_uint_eq(get_u64(lt_jv_at(v, 2)), 7);
    ck_assert_int_eq(get_i64(lt_jv_at(v, 3)), -7);
    ck_assert_int_eq(lt_jv_u64(lt_jv_at(v, 3), &u), -1);
    ck_assert(get_f64(lt_jv_at(v, 3)) == -7.0);
    /* uint64 boundary */
    ck_assert_uint_eq(get_u64(lt_jv_at(v, 4)), UINT64_MAX);
    ck_assert_int_eq(lt_jv_i64(lt_jv_at(v, 4), &i), -1);
    ck_assert(get_f64(lt_jv_at(v, 4)) == 18446744073709551615.0);
    ck_assert_int_eq(lt_jv_u64(lt_jv_at(v, 5), &u), -1);
    ck_assert_int_eq(lt_jv_i64(lt_jv_at(v, 5), &i), -1);
    ck_assert(get_f64(lt_jv_at(v, 5)) == 18446744073709551616.0);
    /* int64 boundaries */
    ck_assert_int_eq(get_i64(lt_jv_at(v, 6)), INT64_MAX);
    ck_assert_uint_eq(get_u64(lt_jv_at(v, 6)), (uint64_t)INT64_MAX);
    ck_assert_uint_eq(get_u64(lt_jv_at(v, 7)), (uint64_t)INT64_MAX + 1);
    ck_assert_int_eq(lt_jv_i64(lt_jv_at(v, 7), &i), -1);
    ck_assert(get_i64(lt_jv_at(v, 8)) == INT64_MIN);
    ck_assert_int_eq(lt_jv_u64(lt_jv_at(v, 8), &u), -1);
    ck_assert_int_eq(lt_jv_i64(lt_jv_at(v, 9), &i), -1);
    ck_assert(get_f64(lt_jv_at(v, 9)) == -9223372036854775809.0);
    /* fractions and exponents are doubles, even when integral */
    ck_assert_int_eq(lt_jv_u64(lt_jv_at(v, 10), &u), -1);
    ck_assert_int_eq(lt_jv_i64(lt_jv_at(v, 10), &i), -1);
    ck_assert(get_f64(lt_jv_at(v, 10)) == 1.0);
    ck_assert_int_eq(lt_jv_u64(lt_jv_at(v, 11), &u), -1);
    ck_assert(get_f64(lt_jv_at(v, 11)) == 1000.0);
    ck_assert(get_f64(lt_jv_at(v, 12)) == 100.0);
    ck_assert(get_f64(lt_jv_at(v, 13)) == 0.25);
    ck_assert(get_f64(lt_jv_at(v, 14)) == -0.5);
    ck_assert(get_f64(lt_jv_at(v, 15)) == 0.0);
    d = get_f64(lt_jv_at(v, 16));
    ck_assert(d == 0.0 && signbit(d));
    ck_assert(get_f64(lt_jv_at(v, 17)) == 1e308);
    ck_assert(get_f64(lt_jv_at(v, 18)) == 0.0);          /* underflow gives 0 */
    ck_assert(get_f64(lt_jv_at(v, 19)) == 4.9e-324);     /* smallest subnormal */
    ck_assert(get_f64(lt_jv_at(v, 20)) == 123456789012345678901234567890.0);
    ck_assert(get_f64(lt_jv_at(v, 21)) == 0.0);
    ck_assert(get_f64(lt_jv_at(v, 22)) == 1.7976931348623157e308);
    ck_assert(get_f64(lt_jv_at(v, 23)) == -1.0);
    lt_json_free(v);

    /* A mantissa of 1000 digits and an exponent of 1000 digits. */
    tbuf_t b = { 0 };
    tb_str(&b, "[0.1");
    for (int k = 0; k < 998; k++) tb_str(&b, "0");
    tb_str(&b, "1, 1e-");
    for (int k = 0; k < 1000; k++) tb_str(&b, "9");
    tb_str(&b, ", 1");
    for (int k = 0; k < 1000; k++) tb_str(&b, "0");
    tb_str(&b, "e-1000]");
    lt_err_t err;
    v = parse_n(b.p, b.len, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    ck_assert(get_f64(lt_jv_at(v, 0)) == 0.1);
    ck_assert(get_f64(lt_jv_at(v, 1)) == 0.0);
    ck_assert(get_f64(lt_jv_at(v, 2)) == 1.0);
    lt_json_free(v);

    /* Huge exponents overflow a double: an error, not infinity. */
    PARSE_BAD("1e309", "number out of range", 1, 1);
    PARSE_BAD("[1, -1e309]", "number out of range", 1, 5);
    PARSE_BAD("1e999999999999999999999", "number out of range", 1, 1);
    b.len = 0;
    tb_str(&b, "[1");
    for (int k = 0; k < 400; k++) tb_str(&b, "0");
    tb_str(&b, "]");
    v = parse_n(b.p, b.len, &err);
    ck_assert_ptr_null(v);
    ck_assert_msg(strstr(err.msg, "line 1, column 2: number out of range") == err.msg, "%s", err.msg);
    free(b.p);
}
END_TEST

START_TEST(test_number_errors)
{
    PARSE_BAD("01", "leading zeros", 1, 1);
    PARSE_BAD("-01", "leading zeros", 1, 2);
    PARSE_BAD("[00]", "leading zeros", 1, 2);
    PARSE_BAD("0.1.2", "unexpected data after the JSON value", 1, 4);
    PARSE_BAD("+1", "unexpected character '+'", 1, 1);
    PARSE_BAD(".5", "unexpected character '.'", 1, 1);
    PARSE_BAD("1.", "expected a digit after the decimal point", 1, 3);
    PARSE_BAD("1.e2", "expected a digit after the decimal point", 1, 3);
    PARSE_BAD("1e", "expected a digit in the exponent", 1, 3);
    PARSE_BAD("1e+", "expected a digit in the exponent", 1, 4);
    PARSE_BAD("1E-x", "expected a digit in the exponent", 1, 4);
    PARSE_BAD("-", "unexpected end of input (expected a digit after '-')", 1, 2);
    PARSE_BAD("--1", "expected a digit after '-'", 1, 2);
    PARSE_BAD("-a", "expected a digit after '-'", 1, 2);
    PARSE_BAD("0x10", "unexpected data", 1, 2);
    PARSE_BAD("NaN", "unexpected character 'N'", 1, 1);
    PARSE_BAD("Infinity", "unexpected character 'I'", 1, 1);
    PARSE_BAD("-Infinity", "expected a digit after '-'", 1, 2);
    PARSE_BAD("[1 2]", "expected ',' or ']' after an array element", 1, 4);
    PARSE_BAD("1 2", "unexpected data after the JSON value", 1, 3);
}
END_TEST

/* ---- syntax ---- */

START_TEST(test_syntax_errors)
{
    PARSE_BAD("", "empty input", 1, 1);
    PARSE_BAD("   \n\t ", "empty input", 2, 3);
    PARSE_BAD("{} x", "unexpected data after the JSON value", 1, 4);
    PARSE_BAD("[]]", "unexpected data", 1, 3);
    PARSE_BAD("\"a\" \"b\"", "unexpected data", 1, 5);
    PARSE_BAD("null\0", "unexpected data", 1, 5);
    PARSE_BAD("[1,]", "trailing comma before ']'", 1, 3);
    PARSE_BAD("[1 , \n ]", "trailing comma before ']'", 1, 4);
    PARSE_BAD("{\"a\": 1,}", "trailing comma before '}'", 1, 8);
    PARSE_BAD("[,1]", "unexpected character ','", 1, 2);
    PARSE_BAD("[1,,2]", "unexpected character ','", 1, 4);
    PARSE_BAD("{,}", "expected a string key", 1, 2);
    PARSE_BAD("{\"a\" 1}", "expected ':' after an object key", 1, 6);
    PARSE_BAD("{\"a\": 1 \"b\": 2}", "expected ',' or '}' after an object member", 1, 9);
    PARSE_BAD("{\"a\": 1]", "expected ',' or '}'", 1, 8);
    PARSE_BAD("[1}", "expected ',' or ']'", 1, 3);
    PARSE_BAD("{1: 2}", "expected a string key", 1, 2);
    PARSE_BAD("{'a': 2}", "unexpected character '''", 1, 2);
    PARSE_BAD("{a: 2}", "expected a string key", 1, 2);
    PARSE_BAD("{\"a\":}", "expected a JSON value", 1, 6);
    PARSE_BAD("[", "unexpected end of input (expected a JSON value)", 1, 2);
    PARSE_BAD("[1", "unexpected end of input (expected ',' or ']'", 1, 3);
    PARSE_BAD("[1,", "unexpected end of input (expected a JSON value)", 1, 4);
    PARSE_BAD("{", "unexpected end of input (expected a string key)", 1, 2);
    PARSE_BAD("{\"a\"", "unexpected end of input (expected ':'", 1, 5);
    PARSE_BAD("{\"a\":", "unexpected end of input (expected a JSON value)", 1, 6);
    PARSE_BAD("{\"a\":1", "unexpected end of input (expected ',' or '}'", 1, 7);
    PARSE_BAD("tru", "invalid literal (expected 'true')", 1, 1);
    PARSE_BAD("[truE]", "invalid literal (expected 'true')", 1, 2);
    PARSE_BAD("nul", "expected 'null'", 1, 1);
    PARSE_BAD("f", "expected 'false'", 1, 1);
    PARSE_BAD("trueX", "unexpected data", 1, 5);
    PARSE_BAD("True", "unexpected character 'T'", 1, 1);
    PARSE_BAD("[1]\x01", "unexpected data", 1, 4);
    PARSE_BAD("\x01", "unexpected byte 0x01", 1, 1);
    PARSE_BAD("[\v1]", "unexpected byte 0x0b", 1, 2);            /* not JSON whitespace */
    PARSE_BAD("\xef\xbb\xbf", "empty input", 1, 4);
    PARSE_BAD("\xef\xbb", "unexpected byte 0xef", 1, 1);
    PARSE_BAD("/* c */ 1", "unexpected character '/'", 1, 1);
    /* duplicate keys */
    PARSE_BAD("{\"a\": 1, \"a\": 2}", "duplicate key \"a\" (first at line 1, column 2)", 1, 10);
    PARSE_BAD("{\"b\": 1, \"a\": [], \"c\": 0,\n \"a\": {}}", "duplicate key \"a\" (first at line 1, column 10)", 2,
              2);
    PARSE_BAD("{\"x\": {\"\\u0041\": 1, \"A\": 2}}", "duplicate key \"A\"", 1, 21);
    PARSE_BAD("{\"k\\n\": 1, \"k\\n\": 2}", "duplicate key \"k?\"", 1, 12);
    PARSE_BAD("{\"a\": 1, \"b\": 1, \"b\": 2, \"a\": 2}", "duplicate key \"b\"", 1, 18);

    /* Positions: lines counted by LF, columns in bytes. */
    PARSE_BAD("[\n  1,\n  x]", "unexpected character 'x' (expected a JSON value)", 3, 3);
    PARSE_BAD("{\r\n\"a\": [\n\ttrue,\n\tfalze]}", "expected 'false'", 4, 2);
    PARSE_BAD("[\"\xc3\xa9\xc3\xa9\", ?]", NULL, 1, 10);
    lt_err_t err;
    ck_assert_ptr_null(parse_n("[\n  1,\n  x]", 11, &err));
    ck_assert_int_eq(err.offset, 9);

    /* Whitespace and a byte order mark are accepted around the value. */
    lt_jv_t *v = PARSE_OK("\xef\xbb\xbf [ 1 ,\r\n\t2 ] \n");
    ck_assert_uint_eq(lt_jv_len(v), 2);
    lt_json_free(v);
    /* text NULL with length 0 is the empty input; err may be NULL */
    ck_assert_ptr_null(lt_json_parse(NULL, 0, &err));
    ck_assert_int_eq(err.code, LT_E_CORRUPT);
    ck_assert_ptr_null(lt_json_parse("[", 1, NULL));
}
END_TEST

START_TEST(test_depth_limit)
{
    enum { D = LT_JSON_MAX_DEPTH };
    tbuf_t b = { 0 };
    lt_err_t err;
    for (int k = 0; k < D; k++) tb_str(&b, "[");
    tb_str(&b, "1");
    for (int k = 0; k < D; k++) tb_str(&b, "]");
    lt_jv_t *v = parse_n(b.p, b.len, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    const lt_jv_t *x = v;
    for (int k = 0; k < D; k++) x = lt_jv_at(x, 0);
    ck_assert_uint_eq(get_u64(x), 1);
    lt_json_free(v);

    /* One more level is an error at the 201st bracket. */
    b.len = 0;
    for (int k = 0; k < D + 1; k++) tb_str(&b, "[");
    for (int k = 0; k < D + 1; k++) tb_str(&b, "]");
    ck_assert_ptr_null(parse_n(b.p, b.len, &err));
    ck_assert_int_eq(err.code, LT_E_CORRUPT);
    ck_assert_int_eq(err.offset, D);
    ck_assert_str_eq(err.msg, "line 1, column 201: nesting deeper than 200 arrays/objects");

    /* Objects count too; mixed nesting. */
    b.len = 0;
    for (int k = 0; k < D; k++) tb_str(&b, k % 2 ? "[" : "{\"k\":");
    tb_str(&b, "null");
    for (int k = D - 1; k >= 0; k--) tb_str(&b, k % 2 ? "]" : "}");
    v = parse_n(b.p, b.len, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    ck_assert_uint_eq(walk(v, 0), D + 1);
    lt_json_free(v);
    b.len = 0;
    for (int k = 0; k < D + 1; k++) tb_str(&b, "{\"k\":");
    ck_assert_ptr_null(parse_n(b.p, b.len, &err));
    ck_assert_msg(strstr(err.msg, "nesting deeper than 200") != NULL, "%s", err.msg);

    /* A million open brackets: the same clean error, no stack overflow. */
    b.len = 0;
    for (int k = 0; k < 1000000; k++) tb_str(&b, "[");
    ck_assert_ptr_null(parse_n(b.p, b.len, &err));
    ck_assert_int_eq(err.offset, D);
    free(b.p);
}
END_TEST

/* ---- robustness ---- */

START_TEST(test_base_document)
{
    lt_jv_t *v = PARSE_OK(base_doc);
    ck_assert_uint_eq(lt_jv_len(v), 14);
    ck_assert_uint_eq(walk(v, 0), 37);
    ck_assert_uint_eq(get_u64(lt_jv_get(v, "big")), UINT64_MAX);
    ck_assert(get_i64(lt_jv_get(v, "min")) == INT64_MIN);
    ck_assert_str_eq(lt_jv_str(lt_jv_get(v, "s")),
                     "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    const lt_jv_t *leaks = lt_jv_get(v, "leaks");
    ck_assert_uint_eq(get_u64(lt_jv_at(lt_jv_get(lt_jv_at(leaks, 0), "stack"), 1)), 4198656);
    ck_assert_uint_eq(get_u64(lt_jv_get(lt_jv_at(leaks, 1), "size")), 4096);
    ck_assert_uint_eq(get_u64(lt_jv_get(v, "")), 0);
    lt_json_free(v);
}
END_TEST

START_TEST(test_every_truncation_fails_cleanly)
{
    const size_t n = sizeof base_doc - 1;
    for (size_t k = 0; k < n; k++) {
        lt_err_t err;
        lt_jv_t *v = parse_n(base_doc, k, &err);
        ck_assert_msg(v == NULL, "prefix of %zu bytes parsed", k);
        ck_assert_int_eq(err.code, LT_E_CORRUPT);
        ck_assert_msg(strncmp(err.msg, "line ", 5) == 0, "%s", err.msg);
        ck_assert_msg(err.offset >= 0 && (size_t)err.offset <= k, "prefix %zu: offset %" PRId64, k, err.offset);
    }
    /* The same for a document in the writer's pretty layout. */
    tbuf_t b = { 0 };
    tb_str(&b, "{\n  \"a\": [\n    1,\n    \"x\\u00e9\"\n  ],\n  \"b\": {\n    \"c\": -1.5e3\n  }\n}");
    for (size_t k = 0; k < b.len; k++) {
        lt_err_t err;
        ck_assert_ptr_null(parse_n(b.p, k, &err));
        ck_assert_int_eq(err.code, LT_E_CORRUPT);
    }
    free(b.p);
}
END_TEST

/* Applies one random edit to b: overwrite, insert or delete a byte, copy
 * a slice elsewhere, or cut the end. */
static void mutate(tbuf_t *b, ut_rng_t *r)
{
    static const char interesting[] = "{}[]\",:\\u0d8e-+.eE \n\x80\xc3\xed\xf0\xff\x00tfn";
    size_t pos = b->len ? (size_t)ut_rng_below(r, b->len) : 0;
    unsigned op = (unsigned)ut_rng_below(r, 6);
    char c = ut_rng_below(r, 2) ? (char)ut_rng_below(r, 256)
                                : interesting[ut_rng_below(r, sizeof interesting - 1)];
    if (b->len == 0) op = 1;
    switch (op) {
    case 0:   /* overwrite */
        b->p[pos] = c;
        break;
    case 1:   /* insert */
        tb_add(b, "", 1);
        memmove(b->p + pos + 1, b->p + pos, b->len - 1 - pos);
        b->p[pos] = c;
        break;
    case 2:   /* delete */
        memmove(b->p + pos, b->p + pos + 1, b->len - pos - 1);
        b->len--;
        break;
    case 3: { /* copy a slice over another place */
        size_t from = (size_t)ut_rng_below(r, b->len), n = (size_t)ut_rng_below(r, 16);
        if (from + n > b->len) n = b->len - from;
        if (pos + n > b->len) n = b->len - pos;
        memmove(b->p + pos, b->p + from, n);
        break;
    }
    case 4: { /* insert a slice */
        size_t from = (size_t)ut_rng_below(r, b->len), n = (size_t)ut_rng_below(r, 24);
        if (from + n > b->len) n = b->len - from;
        char tmp[24];
        memcpy(tmp, b->p + from, n);
        size_t old = b->len;
        for (size_t k = 0; k < n; k++) tb_add(b, "", 1);
        memmove(b->p + pos + n, b->p + pos, old - pos);
        memcpy(b->p + pos, tmp, n);
        break;
    }
    default:  /* cut */
        b->len = pos;
        break;
    }
}

START_TEST(test_random_mutations_never_crash)
{
    ut_rng_t r;
    ut_rng_seed(&r, 0x6a736f6e72656164ull);
    tbuf_t b = { 0 };
    unsigned ok = 0, bad = 0;
    for (int iter = 0; iter < 6000; iter++) {
        b.len = 0;
        tb_add(&b, base_doc, sizeof base_doc - 1);
        unsigned edits = 1 + (unsigned)ut_rng_below(&r, iter % 10 == 0 ? 40 : 4);
        for (unsigned e = 0; e < edits; e++) mutate(&b, &r);
        lt_err_t err;
        lt_jv_t *v = parse_n(b.p, b.len, &err);
        if (v) {
            ok++;
            walk(v, 0);
            lt_json_free(v);
        } else {
            bad++;
            ck_assert_int_eq(err.code, LT_E_CORRUPT);
            ck_assert_msg(strncmp(err.msg, "line ", 5) == 0, "%s", err.msg);
            ck_assert(err.offset >= 0 && (size_t)err.offset <= b.len);
        }
    }
    /* Both outcomes happen (edits inside strings keep documents valid). */
    ck_assert_uint_gt(ok, 50);
    ck_assert_uint_gt(bad, 3000);
    free(b.p);
}
END_TEST

/* ---- round trip with analyzer/json.c ---- */

static lt_jv_t *write_and_parse(int pretty, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    ck_assert_ptr_nonnull(f);
    lt_json_t j;
    lt_json_init(&j, f, pretty);
    lt_json_begin_obj(&j, NULL);
    lt_json_str(&j, "format", "leaktrace-heap");
    lt_json_u64(&j, "version", 1);
    lt_json_u64(&j, "max_u64", UINT64_MAX);
    lt_json_i64(&j, "min_i64", INT64_MIN);
    lt_json_i64(&j, "neg", -5);
    lt_json_f64(&j, "ratio", 1.5);
    lt_json_f64(&j, "big", 1e300);
    lt_json_bool(&j, "yes", 1);
    lt_json_bool(&j, "no", 0);
    lt_json_null(&j, "nothing");
    lt_json_str(&j, "null_str", NULL);
    lt_json_str(&j, "escapes", "q\" b\\ / nl\n tab\t cr\r bell\x07 del\x7f \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    lt_json_strn(&j, "bad_utf8", "a\xff" "b\xc3", 4);
    lt_json_str(&j, "key with \"quotes\"", "");
    lt_json_begin_arr(&j, "leaks");
    for (unsigned k = 0; k < 50; k++) {
        lt_json_begin_obj(&j, NULL);
        lt_json_u64(&j, "size", (uint64_t)k * 16);
        lt_json_u64(&j, "count", k + 1);
        lt_json_begin_arr(&j, "stack");
        for (unsigned f2 = 0; f2 < k % 5; f2++) lt_json_u64(&j, NULL, 0x400000 + (uint64_t)f2 * 0x10);
        lt_json_end_arr(&j);
        lt_json_begin_obj(&j, "empty");
        lt_json_end_obj(&j);
        lt_json_end_obj(&j);
    }
    lt_json_end_arr(&j);
    lt_json_begin_arr(&j, "nested");
    for (int k = 0; k < 30; k++) lt_json_begin_arr(&j, NULL);
    lt_json_str(&j, NULL, "bottom");
    for (int k = 0; k < 30; k++) lt_json_end_arr(&j);
    lt_json_end_arr(&j);
    lt_json_end_obj(&j);
    lt_json_finish(&j);
    ck_assert_int_eq(fclose(f), 0);
    lt_err_t err;
    lt_jv_t *v = parse_n(*text, *len, &err);
    ck_assert_msg(v != NULL, "writer output does not parse: %s\n%s", err.msg, *text);
    return v;
}

START_TEST(test_round_trip_with_writer)
{
    for (int pretty = 0; pretty <= 1; pretty++) {
        char *text = NULL;
        size_t len = 0;
        lt_jv_t *v = write_and_parse(pretty, &text, &len);
        ck_assert_uint_eq(lt_jv_len(v), 16);
        ck_assert_str_eq(lt_jv_str(lt_jv_get(v, "format")), "leaktrace-heap");
        ck_assert_uint_eq(get_u64(lt_jv_get(v, "version")), 1);
        ck_assert_uint_eq(get_u64(lt_jv_get(v, "max_u64")), UINT64_MAX);
        ck_assert(get_i64(lt_jv_get(v, "min_i64")) == INT64_MIN);
        ck_assert_int_eq(get_i64(lt_jv_get(v, "neg")), -5);
        ck_assert(get_f64(lt_jv_get(v, "ratio")) == 1.5);
        ck_assert(get_f64(lt_jv_get(v, "big")) == 1e300);
        int b = -1;
        ck_assert_int_eq(lt_jv_bool(lt_jv_get(v, "yes"), &b), 0);
        ck_assert_int_eq(b, 1);
        ck_assert_int_eq(lt_jv_bool(lt_jv_get(v, "no"), &b), 0);
        ck_assert_int_eq(b, 0);
        ck_assert_ptr_nonnull(lt_jv_get(v, "nothing"));
        ck_assert_int_eq(lt_jv_kind(lt_jv_get(v, "nothing")), LT_JV_NULL);
        ck_assert_int_eq(lt_jv_kind(lt_jv_get(v, "null_str")), LT_JV_NULL);
        ck_assert_str_eq(lt_jv_str(lt_jv_get(v, "escapes")),
                         "q\" b\\ / nl\n tab\t cr\r bell\x07 del\x7f \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        /* The writer escapes invalid bytes as \u00XX: they come back as
         * the code points U+00XX, in UTF-8. */
        ck_assert_str_eq(lt_jv_str(lt_jv_get(v, "bad_utf8")), "a\xc3\xbf" "b\xc3\x83");
        ck_assert_str_eq(lt_jv_str(lt_jv_get(v, "key with \"quotes\"")), "");
        const lt_jv_t *leaks = lt_jv_get(v, "leaks");
        ck_assert_uint_eq(lt_jv_len(leaks), 50);
        for (unsigned k = 0; k < 50; k++) {
            const lt_jv_t *l = lt_jv_at(leaks, k);
            ck_assert_uint_eq(lt_jv_len(l), 4);
            ck_assert_uint_eq(get_u64(lt_jv_get(l, "size")), (uint64_t)k * 16);
            ck_assert_uint_eq(get_u64(lt_jv_get(l, "count")), k + 1);
            const lt_jv_t *st = lt_jv_get(l, "stack");
            ck_assert_uint_eq(lt_jv_len(st), k % 5);
            for (unsigned f2 = 0; f2 < k % 5; f2++)
                ck_assert_uint_eq(get_u64(lt_jv_at(st, f2)), 0x400000 + (uint64_t)f2 * 0x10);
            ck_assert_int_eq(lt_jv_kind(lt_jv_get(l, "empty")), LT_JV_OBJ);
            ck_assert_uint_eq(lt_jv_len(lt_jv_get(l, "empty")), 0);
        }
        const lt_jv_t *x = lt_jv_get(v, "nested");
        for (int k = 0; k < 31; k++) {
            ck_assert_uint_eq(lt_jv_len(x), 1);
            x = lt_jv_at(x, 0);
        }
        ck_assert_str_eq(lt_jv_str(x), "bottom");
        lt_json_free(v);
        free(text);
    }
}
END_TEST

/* A dump-sized document (about 6 MB): parses, and quickly enough for the
 * test timeout even under valgrind. */
START_TEST(test_large_document)
{
    enum { N = 60000 };
    tbuf_t b = { 0 };
    tb_str(&b, "{\"format\": \"leaktrace-heap\", \"records\": [\n");
    for (unsigned k = 0; k < N; k++)
        tb_fmt(&b, "%s{\"addr\": %u, \"size\": %u, \"stack\": [%u, %u, %u], \"fn\": \"malloc\"}", k ? ",\n" : "",
               0x10000 + k * 32, k % 4096, k, k + 1, k + 2);
    tb_str(&b, "]}\n");
    lt_err_t err;
    lt_jv_t *v = parse_n(b.p, b.len, &err);
    ck_assert_msg(v != NULL, "%s", err.msg);
    const lt_jv_t *recs = lt_jv_get(v, "records");
    ck_assert_uint_eq(lt_jv_len(recs), N);
    for (unsigned k = 0; k < N; k += 997) {
        const lt_jv_t *rec = lt_jv_at(recs, k);
        ck_assert_uint_eq(get_u64(lt_jv_get(rec, "addr")), 0x10000 + k * 32);
        ck_assert_uint_eq(get_u64(lt_jv_at(lt_jv_get(rec, "stack"), 2)), k + 2);
        ck_assert_str_eq(lt_jv_str(lt_jv_get(rec, "fn")), "malloc");
    }
    lt_json_free(v);
    free(b.p);
}
END_TEST

Suite *json_read_suite(void)
{
    Suite *s = suite_create("json_read");

    TCase *tc = tcase_create("values");
    tcase_add_test(tc, test_scalars);
    tcase_add_test(tc, test_containers_and_nesting);
    tcase_add_test(tc, test_string_escapes);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_base_document);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_string_errors);
    tcase_add_test(tc, test_number_errors);
    tcase_add_test(tc, test_syntax_errors);
    tcase_add_test(tc, test_depth_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("robustness");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_every_truncation_fails_cleanly);
    tcase_add_test(tc, test_random_mutations_never_crash);
    tcase_add_test(tc, test_large_array_and_object);
    tcase_add_test(tc, test_large_document);
    suite_add_tcase(s, tc);

    tc = tcase_create("writer");
    tcase_add_test(tc, test_round_trip_with_writer);
    suite_add_tcase(s, tc);
    return s;
}

#ifdef LT_STANDALONE_TEST
int main(void)
{
    SRunner *sr = srunner_create(json_read_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
