/*
 * flame_prog.c - the program of tests/profiles/flame.sh: a known call tree.
 *
 *   main -> a -> leaf_leak   leaks 3 x 1000 bytes
 *   main -> b -> leaf_leak   leaks 1 x 1000 bytes
 *   main -> c -> temp        5 x 4096 bytes, all live together, then freed
 *
 * a and b run before c, so the peak of live bytes is inside temp, with all
 * five blocks and the four leaks live: 24,480 bytes. A mark "before-c"
 * separates the leaks from the temporary blocks. No stdio: nothing else of
 * the program's own allocates. With -DCLEAN it frees everything instead.
 */
#include <stdlib.h>
#include <string.h>

#include <leaktrace.h>

#define NOINLINE __attribute__((noinline, noipa))

void *volatile flame_sink;

NOINLINE void leaf_leak(int fill)
{
    void *p = malloc(1000); /* LEAK_LINE */
    memset(p, fill, 1000);
    flame_sink = p;
#ifdef CLEAN
    free(p);
#endif
}

NOINLINE void a(void)
{
    for (int i = 0; i < 3; i++) leaf_leak(i);
}

NOINLINE void b(void)
{
    leaf_leak(7);
}

NOINLINE void temp(void)
{
    void *p[5];
    for (int i = 0; i < 5; i++) {
        p[i] = malloc(4096);
        memset(p[i], i, 4096);
    }
    flame_sink = p[4];
    for (int i = 0; i < 5; i++) free(p[i]);
}

NOINLINE void c(void)
{
    temp();
}

int main(void)
{
    a();
    b();
    leaktrace_mark("before-c");
    c();
    return 0;
}
