// Zero-byte requests. On glibc malloc(0), calloc(0, n) and realloc(NULL, 0)
// each return a real, unique block that must be freed: never freed, it is a
// leak of 0 bytes in 1 block (valgrind reports exactly that).
//
// EXPECT: leak leak_malloc_0 0 1
// EXPECT: leak leak_calloc_0x5 0 1
// EXPECT: leak leak_realloc_null_0 0 1
// EXPECT: leak freed_zero_blocks 0 0
// EXPECT: no-other-leaks
// EXPECT: allocations-at-least 5
// EXPECT: frees-at-least 2
//
// Checked against valgrind 3.19 (memcheck --leak-check=full
// --show-leak-kinds=all): "0 bytes in 1 blocks" at each of leak_malloc_0,
// leak_calloc_0x5 and leak_realloc_null_0, nothing else from this file;
// total heap usage 6 allocs, 3 frees (one of each is glibc's stdout buffer).
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

void *keep[4];

NOINLINE void leak_malloc_0(void) { keep[0] = malloc(0); }
NOINLINE void leak_calloc_0x5(void) { keep[1] = calloc(0, 5); }
NOINLINE void leak_realloc_null_0(void) { keep[2] = realloc(NULL, 0); }

NOINLINE void freed_zero_blocks(void)
{
    free(malloc(0));
    free(calloc(5, 0));
}

int main(void)
{
    leak_malloc_0();
    leak_calloc_0x5();
    leak_realloc_null_0();
    freed_zero_blocks();
    printf("zero_size: %d %d %d\n", keep[0] != NULL, keep[1] != NULL, keep[2] != NULL);
    return 0;
}
