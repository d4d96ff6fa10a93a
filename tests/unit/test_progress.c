/*
 * test_progress.c - unit tests of analyzer/progress.c, the progress line
 * of long reads: written to a memory stream, it is silent when disabled,
 * draws "reading FILE NN% (X of Y)", redraws at most 10 times a second
 * however often it is called, and erases itself at the end. Exports
 * progress_suite().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"

Suite *progress_suite(void);

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++) n++;
    return n;
}

START_TEST(test_disabled_silent)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    lt_progress_enable(0, m);
    lt_progress_begin("a.trace");
    lt_progress_update("a.trace", 10, 100, 5000);
    lt_progress_done();
    fclose(m);
    ck_assert_uint_eq(len, 0);
    free(buf);
}
END_TEST

START_TEST(test_draw_and_erase)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    lt_progress_enable(1, m);
    lt_progress_begin("dir/app.trace");
    lt_progress_update("dir/app.trace", 512 * 1024, 2 * 1024 * 1024, 4096);
    fflush(m);
    ck_assert_msg(strstr(buf, "leaktrace: reading app.trace  25% (512.0 KiB of 2.0 MiB)"), "got '%s'", buf);
    lt_progress_done();
    fflush(m);
    ck_assert_uint_ge(len, 4);
    ck_assert_str_eq(buf + len - 4, "\r\033[K");
    /* Done without a drawn line writes nothing more. */
    size_t before = len;
    lt_progress_done();
    fflush(m);
    ck_assert_uint_eq(len, before);
    lt_progress_enable(0, NULL);
    fclose(m);
    free(buf);
}
END_TEST

START_TEST(test_rate_limited)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    lt_progress_enable(1, m);
    lt_progress_begin("x.trace");
    double t0 = mono(), el;
    uint64_t i = 0;
    do {
        i++;
        lt_progress_update("x.trace", i, 1u << 30, i);
        el = mono() - t0;
    } while (el < 0.35);
    lt_progress_done();
    fflush(m);
    size_t draws = count(buf, "leaktrace: reading");
    /* Called ~millions of times in 0.35 s: drawn 1 + at most 10/s. */
    ck_assert_msg(draws >= 3 && (double)draws <= 10 * el + 1.5, "%zu draws in %.3f s (%llu calls)", draws, el,
                  (unsigned long long)i);
    lt_progress_enable(0, NULL);
    fclose(m);
    free(buf);
}
END_TEST

Suite *progress_suite(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("progress");
    tcase_add_test(tc, test_disabled_silent);
    tcase_add_test(tc, test_draw_and_erase);
    tcase_add_test(tc, test_rate_limited);
    suite_add_tcase(s, tc);
    return s;
}
