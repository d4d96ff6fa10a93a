/*
 * main.c - runs every unit test suite of leaktrace (tests/unit/) with one
 * SRunner and prints Check's summary ("100%: Checks: N, Failures: 0,
 * Errors: 0"). Exit status 0 only when every test passed.
 *
 * Check's environment variables apply: CK_FORK=no (run in-process, e.g.
 * under valgrind), CK_RUN_SUITE=format, CK_RUN_CASE=files, CK_VERBOSITY.
 */
#include <check.h>
#include <stdlib.h>

Suite *format_suite(void);
Suite *stacks_suite(void);
Suite *replay_suite(void);
Suite *symbolize_suite(void);
Suite *report_suite(void);
Suite *json_read_suite(void);
Suite *flame_suite(void);
Suite *html_suite(void);
Suite *profiles_suite(void);
Suite *pprof_suite(void);
Suite *suppress_suite(void);
Suite *timeline_suite(void);
Suite *reach_suite(void);
Suite *progress_suite(void);
Suite *liveset_suite(void);
Suite *sample_suite(void);
Suite *ring_suite(void);

int main(void)
{
    SRunner *sr = srunner_create(format_suite());
    srunner_add_suite(sr, stacks_suite());
    srunner_add_suite(sr, replay_suite());
    srunner_add_suite(sr, symbolize_suite());
    srunner_add_suite(sr, report_suite());
    srunner_add_suite(sr, json_read_suite());
    srunner_add_suite(sr, flame_suite());
    srunner_add_suite(sr, html_suite());
    srunner_add_suite(sr, profiles_suite());
    srunner_add_suite(sr, pprof_suite());
    srunner_add_suite(sr, suppress_suite());
    srunner_add_suite(sr, timeline_suite());
    srunner_add_suite(sr, reach_suite());
    srunner_add_suite(sr, progress_suite());
    srunner_add_suite(sr, liveset_suite());
    srunner_add_suite(sr, sample_suite());
    srunner_add_suite(sr, ring_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
