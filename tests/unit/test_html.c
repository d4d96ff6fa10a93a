/*
 * test_html.c - unit tests of analyzer/html.c's escapers (the JSON inside
 * the page's <script> element must not end it, open a comment or break a
 * line for JavaScript; HTML text must not open a tag) and of flame.c's
 * lt_flame_tree visitor, which the page's flame graphs are built from
 * (depth-first order, parents first, values, merged siblings).
 *
 * Exports html_suite().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "html.h"
#include "profile.h"

Suite *html_suite(void);

static char *capture(void (*fn)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    fn(f, s);
    fclose(f);
    return buf;
}

START_TEST(json_str_script_safe)
{
    char *o = capture(lt_html_json_str, "</script><!--x-->&\"\\\n\t\x01");
    ck_assert_str_eq(o, "\\u003c/script\\u003e\\u003c!--x--\\u003e\\u0026\\\"\\\\\\n\\t\\u0001");
    free(o);
    /* U+2028 and U+2029 end a JavaScript line in older engines. */
    o = capture(lt_html_json_str, "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c");
    ck_assert_str_eq(o, "a\\u2028b\\u2029c");
    free(o);
    /* Valid UTF-8 kept; invalid bytes become U+FFFD. */
    o = capture(lt_html_json_str, "\xc3\xa9\xff\xe2\x82");
    ck_assert_str_eq(o, "\xc3\xa9\\ufffd\\ufffd\\ufffd");
    free(o);
    o = capture(lt_html_json_str, NULL);
    ck_assert_str_eq(o, "");
    free(o);
}
END_TEST

START_TEST(html_text_escapes)
{
    char *o = capture(lt_html_text, "<b a=\"x\">&'\x02\xc3\xa9\xfe");
    ck_assert_str_eq(o, "&lt;b a=&quot;x&quot;&gt;&amp;&#39;?\xc3\xa9\xef\xbf\xbd");
    free(o);
}
END_TEST

typedef struct seen {
    size_t n;
    size_t parent[16], depth[16];
    char label[16][32];
    uint64_t value[16], self[16];
} seen_t;

static void visit(void *ctx, const lt_flame_node_t *x)
{
    seen_t *s = ctx;
    ck_assert_uint_lt(s->n, 16);
    ck_assert_uint_eq(x->index, s->n);
    s->parent[s->n] = x->parent;
    s->depth[s->n] = x->depth;
    snprintf(s->label[s->n], sizeof s->label[0], "%s", x->label);
    s->value[s->n] = x->value;
    s->self[s->n] = x->self;
    s->n++;
}

START_TEST(flame_tree_visits)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    lt_pmodule_t m = { .path = "/usr/bin/prog" };
    ck_assert_uint_eq(lt_profile_add_module(p, &m), 0);
    /* main -> a -> malloc site (100 live), main -> b (30 live, 50 allocated),
     * main -> a at another line (5 live): merges with the first a. */
    lt_pframe_t f1[2] = { { lt_profile_str(p, "a"), lt_profile_str(p, "x.c"), 10, 0, 0x10, 0 },
                          { lt_profile_str(p, "main"), lt_profile_str(p, "x.c"), 50, 0, 0x50, 0 } };
    lt_pframe_t f2[2] = { { lt_profile_str(p, "b"), lt_profile_str(p, "x.c"), 20, 0, 0x20, 0 }, f1[1] };
    lt_pframe_t f3[2] = { { f1[0].function, f1[0].file, 11, 0, 0x14, 0 }, f1[1] };
    lt_pcounts_t c1 = { 1, 100, 1, 100 }, c2 = { 2, 50, 1, 30 }, c3 = { 1, 5, 1, 5 };
    ck_assert_int_eq(lt_profile_add_site(p, &c1, f1, 2, 0, 0), 0);
    ck_assert_int_eq(lt_profile_add_site(p, &c2, f2, 2, 0, 0), 0);
    ck_assert_int_eq(lt_profile_add_site(p, &c3, f3, 2, 0, 0), 0);
    lt_profile_finish(p);
    seen_t s = { 0 };
    uint64_t total = 0;
    lt_err_t err = { 0 };
    ck_assert_int_eq(lt_flame_tree(p, LT_FLAME_INUSE, visit, &s, &total, &err), 0);
    ck_assert_uint_eq(total, 135);
    ck_assert_uint_eq(s.n, 4);   /* all, main, a, b */
    ck_assert_str_eq(s.label[0], "all");
    ck_assert_uint_eq(s.parent[0], SIZE_MAX);
    ck_assert_str_eq(s.label[1], "main");
    ck_assert_uint_eq(s.parent[1], 0);
    ck_assert_uint_eq(s.value[1], 135);
    ck_assert_str_eq(s.label[2], "a");
    ck_assert_uint_eq(s.value[2], 105);
    ck_assert_uint_eq(s.self[2], 105);
    ck_assert_uint_eq(s.depth[2], 2);
    ck_assert_str_eq(s.label[3], "b");
    ck_assert_uint_eq(s.parent[3], 1);
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(lt_flame_tree(p, LT_FLAME_ALLOC, visit, &s, &total, &err), 0);
    ck_assert_uint_eq(total, 155);
    ck_assert_int_eq(lt_flame_tree(p, 7, visit, &s, &total, &err), -LT_E_USAGE);
    lt_profile_free(p);
}
END_TEST

Suite *html_suite(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, json_str_script_safe);
    tcase_add_test(tc, html_text_escapes);
    tcase_add_test(tc, flame_tree_visits);
    suite_add_tcase(s, tc);
    return s;
}
