/*
 * marked.c - a test program of tests/ci with per-test marks
 * (include/leaktrace.h): three "tests" in one process.
 *   test_clean          allocates and frees: clean
 *   test_leaky          leaks 48 bytes (never freed; the pointer is dropped
 *                       before exit, so definitely lost)
 *   test_deferred_free  keeps 32 bytes past its end, freed at exit: a leak
 *                       of the test (live at its test:end mark), not of the
 *                       process
 */
#include <stdlib.h>
#include <string.h>

#include <leaktrace.h>

static void *kept, *deferred;

__attribute__((noinline)) static void test_clean(void)
{
    char *p = malloc(200);
    memset(p, 0, 200);
    free(p);
}

__attribute__((noinline)) static void test_leaky(void)
{
    kept = malloc(48);
    memset(kept, 0, 48);
}

__attribute__((noinline)) static void test_deferred_free(void)
{
    deferred = malloc(32);
    memset(deferred, 0, 32);
}

int main(void)
{
    leaktrace_mark("test:begin clean");
    test_clean();
    leaktrace_mark("test:end clean");
    leaktrace_mark("test:begin leaky");
    test_leaky();
    leaktrace_mark("test:end leaky");
    leaktrace_mark("test:begin deferred_free");
    test_deferred_free();
    leaktrace_mark("test:end deferred_free");
    free(deferred);
    kept = NULL;
    return 0;
}
