/*
 * paced.c - allocates at a chosen pace, for tests/profiles/compression.sh.
 *
 *   paced ITERATIONS SPIN
 *
 * Each iteration frees one of 1024 slots and mallocs 16..271 bytes into it,
 * then does SPIN rounds of arithmetic: SPIN 0 allocates as fast as malloc
 * goes (the tracer's writer cannot keep up), a few hundred is a program
 * that does some work per allocation (sqlite's pace). Prints the checksum
 * of the arithmetic so that the compiler keeps it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: paced ITERATIONS SPIN\n");
        return 2;
    }
    long n = atol(argv[1]), spin = atol(argv[2]);
    static void *slot[1024];
    uint64_t x = 88172645463325252ull, sum = 0;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned s = (unsigned)(x & 1023);
        free(slot[s]);
        slot[s] = malloc(16 + (size_t)((x >> 10) & 255));
        for (long k = 0; k < spin; k++) sum = sum * 6364136223846793005ull + (uint64_t)k;
    }
    for (unsigned s = 0; s < 1024; s++) free(slot[s]);
    printf("%llu\n", (unsigned long long)(sum & 0xffff));
    return 0;
}
