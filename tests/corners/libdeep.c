/* libdeep.c - a library for deepbind.c, opened with RTLD_DEEPBIND: its
 * malloc/free references are looked up in its own scope (libc) before the
 * global one, which holds the preloaded tracer. */
#include <stdlib.h>
#include <string.h>

void *deep_alloc(size_t n)
{
    void *p = malloc(n);
    if (p) memset(p, 7, n);
    return p;
}

void deep_free(void *p) { free(p); }

/* allocates and frees N blocks of 64 bytes */
void deep_churn(int n)
{
    for (int i = 0; i < n; i++) free(malloc(64));
}
