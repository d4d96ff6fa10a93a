/*
 * leaky.c - a test program of tests/ci: leaks what its argument says.
 *   leaky small   one 16-byte block from leak_small()
 *   leaky big     two 2048-byte blocks from leak_big()
 *   leaky both    both
 *   leaky new     16 bytes from leak_small() and 512 bytes from leak_new()
 *   leaky none    nothing
 * Exits 0. Built with -g -O0 so function names and lines are stable. The
 * pointers are dropped before main returns: the blocks are definitely lost
 * (the exit scan, docs/reachability.md), not kept until exit on purpose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *keep[8];
static int nkeep;

__attribute__((noinline)) static void leak_small(void)
{
    char *p = malloc(16);
    strcpy(p, "small");
    keep[nkeep++] = p;
}

__attribute__((noinline)) static void leak_big(void)
{
    for (int i = 0; i < 2; i++) keep[nkeep++] = calloc(1, 2048);
}

__attribute__((noinline)) static void leak_new(void)
{
    keep[nkeep++] = malloc(512);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "none";
    char *scratch = malloc(100);   /* freed: never reported */
    snprintf(scratch, 100, "%s", what);
    if (!strcmp(what, "small") || !strcmp(what, "both") || !strcmp(what, "new")) leak_small();
    if (!strcmp(what, "big") || !strcmp(what, "both")) leak_big();
    if (!strcmp(what, "new")) leak_new();
    free(scratch);
    memset(keep, 0, sizeof keep);
    return 0;
}
