// Second shared library for dlopen_leak.c, loaded after libdlleak.so has
// been dlclose'd, so the loader is likely to map it at the same address:
// a leak here must not be attributed to a function of libdlleak.so (and vice
// versa). Not a test program itself (files named lib*.c never are).
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

NOINLINE void dlleak2_other_blocks(int n)
{
    for (int i = 0; i < n; i++) {
        char *p = malloc(96);
        memset(p, i, 96);
    }
}
