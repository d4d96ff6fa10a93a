// Every allocation function leaktrace hooks, called at least once.
// Each leaking function leaks one block of a distinct size; a second call of
// every function is freed again. Also: calloc overflow (NULL, nothing
// recorded), reallocarray overflow (NULL, nothing recorded),
// posix_memalign with a bad alignment (EINVAL, nothing recorded), free(NULL).
//
// EXPECT: leak leak_malloc_100 100 1
// EXPECT: leak leak_calloc_10x30 300 1
// EXPECT: leak leak_realloc_200 200 1
// EXPECT: leak leak_reallocarray_7x40 280 1
// EXPECT: leak leak_posix_memalign_500 500 1
// EXPECT: leak leak_aligned_alloc_768 768 1
// EXPECT: leak leak_memalign_333 333 1
// EXPECT: leak leak_valloc_1000 1000 1
// EXPECT: leak leak_pvalloc_8192 8192 1
// EXPECT: leak free_every_kind 0 0
// EXPECT: leak failing_calls 0 0
// EXPECT: no-other-leaks
// EXPECT: allocations-at-least 21
// EXPECT: frees-at-least 12
//
// Checked against valgrind 3.19 (memcheck, --leak-check=full
// --show-leak-kinds=all), built with -DNO_PVALLOC because memcheck 3.19
// aborts on pvalloc ("Program aborting because of call to pvalloc"):
//   100/1 leak_malloc_100, 300/1 leak_calloc_10x30, 200/1 leak_realloc_200,
//   280/1 leak_reallocarray_7x40, 500/1 leak_posix_memalign_500,
//   768/1 leak_aligned_alloc_768, 333/1 leak_memalign_333,
//   1000/1 leak_valloc_1000; nothing else from this file;
//   total heap usage: 20 allocs, 11 frees (glibc's stdout buffer included).
// The pvalloc leak was checked separately with glibc's mtrace
// (libc_malloc_debug.so + mtrace(), full build): the same 8 leaks plus one
// pvalloc block not freed at leak_pvalloc_8192 (mtrace prints its size as
// 0x2001, an artifact of libc_malloc_debug's pvalloc; the block is 8192
// bytes), and the pvalloc block in free_every_kind freed. 8192 is a page multiple on purpose:
// pvalloc rounds the size up to a page, so a non-multiple would make the
// "bytes" of the block ambiguous (requested vs. rounded).
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* Keep every leaked block reachable from a global so nothing is optimised
 * away; "still reachable" still counts as not freed. */
void *keep[16];

NOINLINE void leak_malloc_100(void) { keep[0] = malloc(100); }

NOINLINE void leak_calloc_10x30(void) { keep[1] = calloc(10, 30); }

NOINLINE void leak_realloc_200(void)
{
    char *p = malloc(50);          /* this block is freed by the realloc */
    memset(p, 'x', 50);
    keep[2] = realloc(p, 200);     /* the new block leaks, attributed here */
}

NOINLINE void leak_reallocarray_7x40(void) { keep[3] = reallocarray(NULL, 7, 40); }

NOINLINE void leak_posix_memalign_500(void)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, 500) != 0)
        abort();
    keep[4] = p;
}

NOINLINE void leak_aligned_alloc_768(void) { keep[5] = aligned_alloc(256, 768); }

NOINLINE void leak_memalign_333(void) { keep[6] = memalign(128, 333); }

NOINLINE void leak_valloc_1000(void) { keep[7] = valloc(1000); }

NOINLINE void leak_pvalloc_8192(void)
{
#ifndef NO_PVALLOC
    keep[8] = pvalloc(8192);
#endif
}

/* Every function once more, every block freed. */
NOINLINE void free_every_kind(void)
{
    void *p;
    free(malloc(11));
    free(calloc(3, 7));
    p = realloc(NULL, 13);          /* realloc(NULL, n) is an allocation */
    p = realloc(p, 26);
    free(p);
    p = reallocarray(NULL, 2, 9);
    p = reallocarray(p, 4, 9);
    free(p);
    if (posix_memalign(&p, 32, 17) != 0)
        abort();
    free(p);
    free(aligned_alloc(64, 128));
    free(memalign(32, 19));
    free(valloc(23));
#ifndef NO_PVALLOC
    free(pvalloc(4096));
#endif
}

/* Calls that fail or do nothing: none of them may show up anywhere. */
NOINLINE int failing_calls(void)
{
    int failures = 0;
    void *p = NULL;
    /* volatile: keep gcc from reasoning about the overflowing products */
    volatile size_t huge8 = SIZE_MAX / 8, huge4 = SIZE_MAX / 4;
    errno = 0;
    if (calloc(huge8, 16) == NULL)          /* n*size overflows */
        failures++;
    if (reallocarray(NULL, huge4, 8) == NULL) /* overflows too */
        failures++;
    if (posix_memalign(&p, 3, 64) == EINVAL)         /* bad alignment */
        failures++;
    free(NULL);                                      /* nothing at all */
    return failures;
}

int main(void)
{
    leak_malloc_100();
    leak_calloc_10x30();
    leak_realloc_200();
    leak_reallocarray_7x40();
    leak_posix_memalign_500();
    leak_aligned_alloc_768();
    leak_memalign_333();
    leak_valloc_1000();
    leak_pvalloc_8192();
    free_every_kind();
    int f = failing_calls();
    printf("hooks_all: %d failing calls failed as expected\n", f);
    for (int i = 0; i < 9; i++)
        if (keep[i] == NULL && i != 8)
            printf("unexpected NULL at %d\n", i);
    return f == 3 ? 0 : 1;
}
