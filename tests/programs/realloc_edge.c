// realloc edge cases. Counting rule: a realloc that returns a block (moved
// or resized in place) is one free + one allocation, and the new block is
// attributed to the function that called realloc; realloc(NULL, n) is an
// allocation; realloc(p, 0) frees p and returns NULL (glibc); a failed
// realloc changes nothing (the old block keeps its original attribution).
//
// EXPECT: leak realloc_from_null_64 64 1
// EXPECT: leak realloc_grow_5000 5000 1
// EXPECT: leak realloc_shrink_40 40 1
// EXPECT: leak realloc_to_zero 0 0
// EXPECT: leak fail_origin_123 123 1
// EXPECT: leak fail_attempt 0 0
// EXPECT: leak chain_step1 0 0
// EXPECT: leak chain_step2 0 0
// EXPECT: leak chain_step3 3000 1
// EXPECT: leak shrink_origin_1000 0 0
// EXPECT: leak shrink_in_place_500 500 1
// EXPECT: leak same_size_origin 0 0
// EXPECT: leak same_size_realloc_256 256 1
// EXPECT: leak realloc_loop_1000 1000 1
// EXPECT: leak reallocarray_chain_24x10 240 1
// EXPECT: no-other-leaks
// EXPECT: allocations-at-least 1016
// EXPECT: frees-at-least 1007
//
// Checked against valgrind 3.19 (memcheck --leak-check=full
// --show-leak-kinds=all): realloc_from_null_64 64/1, realloc_grow_5000
// 5000/1, realloc_shrink_40 40/1, fail_origin_123 123/1, chain_step3 3000/1,
// shrink_in_place_500 500/1, same_size_realloc_256 256/1,
// realloc_loop_1000 1000/1, reallocarray_chain_24x10 240/1, nothing else
// from this file; total heap usage 1,017 allocs, 1,008 frees (the extra one
// of each is glibc's stdout buffer; the program itself makes 1016
// allocations and 1007 frees, realloc(p, 0) being one of the frees). Valgrind always moves on realloc, glibc
// resizes in place where it can (the program prints whether it did, to
// stderr only); by the counting rule both are one free + one allocation.
// Memcheck also prints "Argument 'size' of function realloc has a fishy
// (possibly negative) value" for the failing realloc: expected.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

void *keep[16];

NOINLINE void realloc_from_null_64(void) { keep[0] = realloc(NULL, 64); }

NOINLINE void realloc_grow_5000(void)
{
    char *p = malloc(10);
    memset(p, 1, 10);
    keep[1] = realloc(p, 5000);
}

NOINLINE void realloc_shrink_40(void)
{
    char *p = malloc(4000);
    memset(p, 2, 4000);
    keep[2] = realloc(p, 40);
}

/* realloc(p, 0) frees p and returns NULL on glibc: one free, no allocation. */
NOINLINE int realloc_to_zero(void)
{
    char *p = malloc(77);
    memset(p, 3, 77);
    return realloc(p, 0) == NULL;
}

/* The block comes from fail_origin_123; a failed realloc in fail_attempt
 * leaves it alone, so it leaks from fail_origin_123. */
NOINLINE char *fail_origin_123(void)
{
    char *p = malloc(123);
    memset(p, 4, 123);
    return p;
}

NOINLINE int fail_attempt(char *p)
{
    volatile size_t huge = SIZE_MAX - 4096; /* > PTRDIFF_MAX: always fails */
    char *q = realloc(p, huge);
    return q == NULL;
}

/* A chain: only the final block leaks, attributed to the last realloc call. */
NOINLINE char *chain_step1(void) { char *p = malloc(10); memset(p, 5, 10); return p; }
NOINLINE char *chain_step2(char *p) { return realloc(p, 20); }
NOINLINE char *chain_step3(char *p) { return realloc(p, 3000); }

/* Shrinking (glibc keeps the block in place): still attributed to the
 * function that called realloc. */
NOINLINE char *shrink_origin_1000(void) { char *p = malloc(1000); memset(p, 6, 1000); return p; }
NOINLINE char *shrink_in_place_500(char *p) { return realloc(p, 500); }

/* Same size: glibc returns the same pointer; counts as free + allocation. */
NOINLINE char *same_size_origin(void) { char *p = malloc(256); memset(p, 7, 256); return p; }
NOINLINE char *same_size_realloc_256(char *p) { return realloc(p, 256); }

/* 1000 reallocs growing one byte at a time: one block of 1000 bytes left. */
NOINLINE void realloc_loop_1000(void)
{
    char *p = NULL;
    for (size_t n = 1; n <= 1000; n++) {
        p = realloc(p, n);
        p[n - 1] = (char)n;
    }
    keep[3] = p;
}

NOINLINE void reallocarray_chain_24x10(void)
{
    char *p = reallocarray(NULL, 3, 10);
    p = reallocarray(p, 24, 10);
    keep[4] = p;
}

int main(void)
{
    realloc_from_null_64();
    realloc_grow_5000();
    realloc_shrink_40();
    int zero_ok = realloc_to_zero();

    char *f = fail_origin_123();
    int fail_ok = fail_attempt(f);
    keep[5] = f;

    char *c = chain_step1();
    char *c2 = chain_step2(c);
    char *c3 = chain_step3(c2);
    keep[6] = c3;

    char *s = shrink_origin_1000();
    char *s2 = shrink_in_place_500(s);
    fprintf(stderr, "shrink in place: %s\n", s == s2 ? "yes" : "no (moved)");
    keep[7] = s2;

    char *z = same_size_origin();
    char *z2 = same_size_realloc_256(z);
    fprintf(stderr, "same-size realloc in place: %s\n", z == z2 ? "yes" : "no (moved)");
    keep[8] = z2;

    realloc_loop_1000();
    reallocarray_chain_24x10();

    printf("realloc_edge: realloc(p,0) returned NULL: %d, huge realloc failed: %d\n",
           zero_ok, fail_ok);
    return (zero_ok && fail_ok) ? 0 : 1;
}
