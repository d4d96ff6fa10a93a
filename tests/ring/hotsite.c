/* hotsite.c - one allocation site that frees every block but the last:
 * after the ring wraps, the site's STACK record (written at its first use)
 * is long overwritten and no checkpoint carried it (nothing of the site is
 * live at a checkpoint). The tracer sends it again before its first use
 * after a checkpoint; tests/ring/ring.sh checks the leak keeps its stack. */
#include <stdlib.h>

void *volatile sink;

__attribute__((noinline)) static void filler(void)
{
    for (int k = 0; k < 20; k++) {
        void *q = malloc(32);
        sink = q;
        free(q);
    }
}

/* Its block lives for a moment only, between other work: at a checkpoint
 * it is almost never live, so the checkpoint rarely carries its stack. */
__attribute__((noinline)) void hot_site(long iters)
{
    for (long i = 0; i < iters; i++) {
        void *p = malloc(16 + (size_t)(i % 512));
        sink = p;
        if (i != iters - 1) free(p);
        filler();
    }
}

int main(int argc, char **argv)
{
    hot_site(argc > 1 ? atol(argv[1]) : 300000);
    sink = 0;
    return 0;
}
