/*
 * grow.c - builds strings by doubling, for tests/profiles/layout.sh.
 *
 *   grow ROUNDS
 *
 * Each round grows one buffer with realloc from 16 bytes to 4 KiB,
 * doubling, alongside a small node it keeps for a while: the pattern of a
 * program that appends to strings and arrays (sqlite's is like it). The
 * same records repeat round after round, which compresses best as records
 * are (LEAKTRACE_LAYOUT=auto keeps them). Frees everything; prints the
 * bytes it wrote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 100000;
    void *keep[8] = { 0 };
    unsigned long written = 0;
    for (long i = 0; i < rounds; i++) {
        size_t cap = 16;
        char *s = malloc(cap);
        if (!s) return 1;
        while (cap < 4096) {
            cap *= 2;
            char *t = realloc(s, cap);
            if (!t) return 1;
            s = t;
            memset(s, 'x', cap);
            written += cap;
        }
        free(keep[i % 8]);
        keep[i % 8] = malloc(24 + (size_t)(i % 3) * 8);
        free(s);
    }
    for (int k = 0; k < 8; k++) free(keep[k]);
    printf("%lu\n", written);
    return 0;
}
