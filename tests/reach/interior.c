/* interior.c - interior pointers: a block known only by a pointer into its
 * middle is possibly lost; what it points to (by a start pointer) is
 * possibly lost too; a block with both an interior and a start pointer is
 * reachable; a pointer one past the end reaches nothing. A block reached by
 * valgrind's length64 heuristic (pointer 8 bytes in, first word = size - 8)
 * counts as reachable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char *volatile mid;
char *volatile both_start, *volatile both_mid;
char *volatile past_end;
char *volatile len64;

int main(void)
{
    void **a = malloc(64);
    memset(a, 0, 64);
    a[2] = malloc(48);                   /* possibly lost through a */
    mid = (char *)a + 20;                /* a: possibly lost */
    char *b = malloc(32);
    both_start = b;
    both_mid = b + 8;                    /* b: reachable */
    char *c = malloc(24);
    past_end = c + 24;                   /* c: definitely lost */
    uint64_t *d = malloc(72);
    d[0] = 64;
    len64 = (char *)(d + 1);             /* d: reachable (length64) */
    a = NULL; b = NULL; c = NULL; d = NULL;
    return 0;
}
