/* deepbind.c - a library opened with dlopen(RTLD_NOW | RTLD_DEEPBIND) that
 * allocates and frees (libdeep.c): for tests/run_matrix.sh.
 *   a: deep_alloc(6006), never freed          -> a leak made in the library
 *   b: deep_alloc(7007), freed by main         -> no leak
 *   c: malloc(8008) in main, deep_free(c)      -> no leak
 *   deep_churn(100): 100 x malloc/free of 64   -> no leak
 * Expected: exactly one leak, 6006 bytes, allocated in deep_alloc; no free
 * of an unknown block. usage: deepbind LIBDEEP.so; prints "deepbind ok". */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_DEEPBIND);
    if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 3; }
    void *(*deep_alloc)(size_t) = (void *(*)(size_t))dlsym(h, "deep_alloc");
    void (*deep_free)(void *) = (void (*)(void *))dlsym(h, "deep_free");
    void (*deep_churn)(int) = (void (*)(int))dlsym(h, "deep_churn");
    if (!deep_alloc || !deep_free || !deep_churn) return 4;
    static void *volatile a;
    a = deep_alloc(6006);
    void *b = deep_alloc(7007);
    free(b);
    void *c = malloc(8008);
    deep_free(c);
    deep_churn(100);
    printf("deepbind %s\n", a ? "ok" : "failed");
    return 0;
}
