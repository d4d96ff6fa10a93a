/*
 * test_sample.c - unit tests of the sampling mode's pure parts:
 * LEAKTRACE_SAMPLE parsing (preload/config.c), the tracer's ln and Poisson
 * countdown and the set/filter of sampled addresses (preload/sample.c), and
 * the analyzer's weights (lt_sample_weight, analyzer/replay.c).
 *
 * Exports sample_suite().
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "lt_internal.h"
#include "replay.h"

Suite *sample_suite(void);

START_TEST(test_parse_bytes_accepts)
{
    static const struct { const char *s; uint64_t v; } ok[] = {
        { "0", 0 }, { "4096", 4096 }, { "512K", 524288 }, { "512k", 524288 }, { "512KB", 524288 },
        { "512KiB", 524288 }, { "1M", 1048576 }, { "1mib", 1048576 }, { "2G", 2147483648ull },
        { "1024G", 1099511627776ull }, { "1099511627776", 1099511627776ull },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 12345;
        ck_assert_msg(lt_config_parse_bytes(ok[i].s, &v) == 0, "'%s' refused", ok[i].s);
        ck_assert_msg(v == ok[i].v, "'%s' gave %llu, want %llu", ok[i].s, (unsigned long long)v,
                      (unsigned long long)ok[i].v);
    }
}
END_TEST

START_TEST(test_parse_bytes_refuses)
{
    static const char *bad[] = { "", "-1", "K", "12Q", "1KX", "1Kb2", "2T", " 1K", "1 K", "1025G",
                                 "1099511627777", "99999999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 7;
        ck_assert_msg(lt_config_parse_bytes(bad[i], &v) == -1, "'%s' accepted (%llu)", bad[i], (unsigned long long)v);
        ck_assert_msg(v == 7, "'%s' changed the output on failure", bad[i]);
    }
}
END_TEST

START_TEST(test_ln_matches_libm)
{
    for (double x = 1e-300; x < 1e300; x *= 1.7) {
        double want = log(x), got = lt_sample_ln(x);
        ck_assert_msg(fabs(got - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1), "ln(%g) = %.17g, want %.17g", x, got, want);
    }
    for (double x = 0.01; x < 4; x += 0.001) ck_assert(fabs(lt_sample_ln(x) - log(x)) < 1e-9);
}
END_TEST

/* The countdown samples a block of n bytes with probability 1 - exp(-n / rate). */
static double sampled_fraction(size_t n, long trials)
{
    long hits = 0;
    for (long i = 0; i < trials; i++) hits += lt_sample_take(n);
    return (double)hits / (double)trials;
}

START_TEST(test_countdown_is_poisson)
{
    uint64_t saved = lt_sample_rate;
    lt_sample_rate = 1000;
    lt_sample_seeded = 1;
    lt_sample_seed = 99;
    const long N = 1000000;
    static const size_t sizes[] = { 10, 100, 1000, 3000 };
    for (size_t i = 0; i < 4; i++) {
        double p = 1 - exp(-(double)sizes[i] / 1000.0), got = sampled_fraction(sizes[i], N);
        double sd = sqrt(p * (1 - p) / N);
        /* 7 standard deviations: a false failure has probability ~1e-12. */
        ck_assert_msg(fabs(got - p) <= 7 * sd + 1e-9, "size %zu: sampled %.5f, want %.5f +- %.5f", sizes[i], got, p, 7 * sd);
    }
    /* Blocks of 40x the rate or more: every one. */
    ck_assert(sampled_fraction(40000, 100000) == 1.0);
    lt_sample_rate = saved;
}
END_TEST

START_TEST(test_set_and_filter)
{
    enum { N = 20000 };
    static char arena[N * 48];
    for (int i = 0; i < N; i++) ck_assert(lt_sample_insert(arena + 48 * i) == 1);
    ck_assert_uint_eq(lt_sample_live(), N);
    ck_assert(lt_sample_insert(arena) == 1);   /* twice: still one */
    ck_assert_uint_eq(lt_sample_live(), N);
    for (int i = 0; i < N; i++) ck_assert_msg(lt_sample_maybe(arena + 48 * i), "inserted block %d filtered out", i);
    ck_assert(lt_sample_remove(arena + 8) == 0);   /* never inserted */
    for (int i = 0; i < N; i += 2) ck_assert(lt_sample_remove(arena + 48 * i) == 1);
    for (int i = 1; i < N; i += 2) ck_assert(lt_sample_maybe(arena + 48 * i));
    for (int i = 0; i < N; i += 2) ck_assert(lt_sample_remove(arena + 48 * i) == 0);
    for (int i = 1; i < N; i += 2) ck_assert(lt_sample_remove(arena + 48 * i) == 1);
    ck_assert_uint_eq(lt_sample_live(), 0);
    /* Every count is back to 0 (none of these saturated): the filter is empty. */
    for (int i = 0; i < N; i++) ck_assert_msg(!lt_sample_maybe(arena + 48 * i), "block %d still in the filter", i);
}
END_TEST

START_TEST(test_weights)
{
    uint64_t b, c;
    lt_sample_weight(0, 1234, 5, &b, &c);
    ck_assert(b == 1234 && c == 1);
    /* Huge blocks: weight 1 exactly. */
    lt_sample_weight(4096, 4096 * 64, 1, &b, &c);
    ck_assert(b == 4096 * 64 && c == 1);
    /* Bytes: size / (1 - exp(-size/rate)), rounded; counts unbiased on average. */
    const uint64_t rate = 524288;
    static const uint64_t sizes[] = { 1, 64, 1000, 524288, 2000000 };
    for (size_t i = 0; i < 5; i++) {
        double w = 1.0 / -expm1(-(double)sizes[i] / (double)rate);
        double sum = 0;
        const int n = 200000;
        for (int s = 0; s < n; s++) {
            lt_sample_weight(rate, sizes[i], (uint64_t)s * 7919, &b, &c);
            ck_assert_msg(fabs((double)b - (double)sizes[i] * w) <= 0.5 + 1e-6 * (double)sizes[i] * w, "bytes %llu for size %llu",
                          (unsigned long long)b, (unsigned long long)sizes[i]);
            ck_assert_msg(c == (uint64_t)floor(w) || c == (uint64_t)floor(w) + 1, "count %llu, weight %f", (unsigned long long)c, w);
            sum += (double)c;
        }
        /* The fractional part is drawn per block: mean within 0.01 of w. */
        ck_assert_msg(fabs(sum / n - w) < 0.01, "size %llu: mean count %f, weight %f", (unsigned long long)sizes[i], sum / n, w);
    }
    /* The same block (seq) always gets the same count. */
    uint64_t c2;
    lt_sample_weight(rate, 700000, 42, &b, &c);
    lt_sample_weight(rate, 700000, 42, &b, &c2);
    ck_assert(c == c2);
}
END_TEST

Suite *sample_suite(void)
{
    Suite *s = suite_create("sample");
    TCase *tc = tcase_create("sample");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_parse_bytes_accepts);
    tcase_add_test(tc, test_parse_bytes_refuses);
    tcase_add_test(tc, test_ln_matches_libm);
    tcase_add_test(tc, test_countdown_is_poisson);
    tcase_add_test(tc, test_set_and_filter);
    tcase_add_test(tc, test_weights);
    suite_add_tcase(s, tc);
    return s;
}
