/* jemalloc.c - a program linked with jemalloc (-ljemalloc): for
 * tests/run_matrix.sh and docs/limitations.md. The tracer, preloaded, comes
 * before libjemalloc in the lookup order: calls to malloc/free/... reach the
 * tracer, which forwards them to the next definition, jemalloc's. jemalloc's
 * own API (mallocx, dallocx, sdallocx...) is not hooked.
 *   8 x malloc(9009), never freed        -> seen: 8 leaks
 *   100 x malloc(100)/free               -> seen, no leak
 *   3 x mallocx(10010, 0), never freed   -> NOT seen (jemalloc's API)
 *   1 x malloc(11011) freed by dallocx   -> seen as a leak that is not one
 *   1 x mallocx(20020, 0) freed by free  -> a free of an unknown block
 * Prints "jemalloc ok" and exits 0. */
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <string.h>

static void *volatile keep[12];

int main(void)
{
    for (int i = 0; i < 8; i++) keep[i] = malloc(9009);
    for (int i = 0; i < 100; i++) free(malloc(100));
    for (int i = 0; i < 3; i++) keep[8 + i] = mallocx(10010, 0);
    void *p = malloc(11011);
    memset(p, 1, 11011);
    dallocx(p, 0);
    void *q = mallocx(20020, 0);
    free(q);
    /* jemalloc answers for the blocks: it is the allocator in use */
    size_t usable = malloc_usable_size(keep[0]);
    printf("jemalloc %s\n", usable >= 9009 ? "ok" : "not in use");
    return 0;
}
