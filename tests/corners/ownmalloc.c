/* ownmalloc.c - a program that defines malloc, free, calloc and realloc
 * itself (a bump allocator over a static arena; free does nothing): for
 * tests/run_matrix.sh and docs/limitations.md. The executable's definitions
 * come first in the symbol lookup order, before the preloaded tracer, so
 * every call (the program's and the C library's) goes to them and the
 * tracer sees no allocation. It must still not break the program.
 * Prints "ownmalloc ok" when its malloc was used (not the byte count: the
 * tracer's own start-up allocates through it too) and exits 0. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static _Alignas(16) unsigned char arena[64 << 20];
static size_t used;

void *malloc(size_t n)
{
    size_t need = (n + 31) & ~(size_t)15;
    if (n > sizeof arena || need > sizeof arena - used) { errno = ENOMEM; return NULL; }
    unsigned char *p = arena + used + 16;
    memcpy(p - 16, &n, sizeof n);
    used += need;
    return p;
}

void free(void *p) { (void)p; }

void *calloc(size_t a, size_t b)
{
    if (b && a > SIZE_MAX / b) { errno = ENOMEM; return NULL; }
    void *p = malloc(a * b);
    if (p) memset(p, 0, a * b);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p) return malloc(n);
    size_t old;
    memcpy(&old, (unsigned char *)p - 16, sizeof old);
    void *q = malloc(n);
    if (q) memcpy(q, p, old < n ? old : n);
    return q;
}

static char *volatile sink;

int main(void)
{
    for (int i = 0; i < 1000; i++) {
        char *s = malloc(100);
        snprintf(s, 100, "block %d", i);
        sink = realloc(s, 200);
        free(sink);
    }
    char *z = calloc(10, 10);
    sink = z;
    printf("ownmalloc %s\n", used > 1000 * 200 ? "ok" : "not used");
    return 0;
}
