/* globals.c - pointers held in initialised data, in bss, in a static
 * local, in an array of a global struct, and in memory from mmap (an
 * anonymous mapping the program owns, a root for valgrind too); blocks
 * reached through them are still reachable; one dropped from each place
 * is definitely lost. */
#include <stdlib.h>
#include <sys/mman.h>

static int anchor = 1;
void *volatile in_data = &anchor;        /* initialised data */
void *volatile in_bss;                   /* bss */
struct holder { int n; void *slots[8]; };
struct holder table;                     /* bss array */

int main(void)
{
    static void *volatile in_static;
    in_data = malloc(100);
    in_bss = malloc(200);
    in_static = malloc(300);
    for (int i = 0; i < 8; i++) table.slots[i] = malloc(16 + (size_t)i);
    table.slots[3] = NULL;               /* 19 bytes definitely lost */
    void *volatile *mapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return 1;
    mapped[5] = malloc(500);
    mapped = NULL;
    in_bss = malloc(64);                 /* the 200 bytes now definitely lost */
    return 0;
}
