/*
 * many.c - a test program of tests/html/html.sh: N (argv[1]) allocations,
 * each from a different call stack (the bits of i choose between two
 * functions at each of 17 levels of recursion: up to 131072 distinct
 * stacks), every one leaked. A large trace for the HTML report.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static void *walk_b(int d, unsigned k);
__attribute__((noinline)) static void *walk_a(int d, unsigned k)
{
    void *p = d ? ((k & 1) ? walk_a(d - 1, k >> 1) : walk_b(d - 1, k >> 1)) : malloc(16 + (k & 7));
    __asm__ volatile("" ::: "memory");   /* no tail call: every level keeps its frame */
    return p;
}
__attribute__((noinline)) static void *walk_b(int d, unsigned k)
{
    void *p = d ? ((k & 1) ? walk_a(d - 1, k >> 1) : walk_b(d - 1, k >> 1)) : malloc(24 + (k & 7));
    __asm__ volatile("" ::: "memory");
    return p;
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
    void **keep = malloc(n * sizeof *keep);
    for (unsigned i = 0; i < n; i++) keep[i] = walk_a(17, i);
    printf("%u\n", n);
    return 0;
}
