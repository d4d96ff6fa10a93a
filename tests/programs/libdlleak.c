// Shared library for dlopen_leak.c: built by tests/run_programs.py as
// libdlleak.so next to the test executable (gcc -shared -fPIC, same flags as
// the programs). Not a test program itself (files named lib*.c never are).
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* Leaks n blocks of 320 bytes; the caller keeps no pointer to them. */
NOINLINE void dlleak_make_blocks(int n)
{
    for (int i = 0; i < n; i++) {
        char *p = malloc(320);
        memset(p, i, 320);
    }
}

/* Allocates and frees: must not show up as a leak. */
NOINLINE int dlleak_balanced(void)
{
    char *p = calloc(64, 4);
    int r = p[10];
    free(p);
    return r;
}
