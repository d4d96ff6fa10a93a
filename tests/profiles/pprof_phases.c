/*
 * pprof_phases.c - test program of tests/profiles/pprof.sh (built -O2 -g).
 * Its allocations are exact and the same in every run:
 *   churn            200 allocations of 100 bytes, all freed
 *   uses_inline_helper -> inline_alloc_helper (always inlined)
 *                    1 block of 3000 bytes, kept
 *   phase_leak       16 blocks of 4096 bytes (65536), kept; between the
 *                    marks "before" and "after"
 * so phase_leak tops inuse_space, churn tops alloc_objects, and the
 * difference of the heap at "after" and at "before" is phase_leak's 65536
 * bytes, whichever run each comes from. No stdio (no buffers allocated).
 */
#include <stdlib.h>
#include <string.h>

#include <leaktrace.h>

#define NOINLINE __attribute__((noinline))

void *keep[64];
volatile unsigned char sink;
/* Called through a volatile pointer: GCC may not elide malloc+free pairs. */
void *(*volatile alloc_fn)(size_t) = malloc;

NOINLINE void churn(void)
{
    for (int i = 0; i < 200; i++) {
        unsigned char *p = alloc_fn(100);
        p[0] = (unsigned char)i;
        sink = p[0];
        free(p);
    }
}

static inline __attribute__((always_inline)) void *inline_alloc_helper(size_t n)
{
    unsigned char *p = malloc(n);
    memset(p, 7, n);
    return p;
}

NOINLINE void *uses_inline_helper(size_t n)
{
    unsigned char *p = inline_alloc_helper(n);
    sink = p[n - 1];   /* work after the call: no tail call */
    return p;
}

NOINLINE void phase_leak(int n)
{
    for (int i = 0; i < n; i++) {
        keep[i] = malloc(4096);
        sink = ((unsigned char *)keep[i])[0] = 1;
    }
}

int main(void)
{
    churn();
    keep[40] = uses_inline_helper(3000);
    leaktrace_mark("before");
    phase_leak(16);
    leaktrace_mark("after");
    return 0;
}
