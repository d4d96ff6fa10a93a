// A program that leaks nothing at all: every block it allocates, directly or
// through libc (strdup, asprintf, getline, fopen), is freed. The only block
// left at exit is glibc's stdout buffer, a one-time runtime allocation that
// leaktrace suppresses by default, so the leak list must be empty.
//
// EXPECT: no-leaks
// EXPECT: no-other-leaks
// EXPECT: allocations-at-least 3000
// EXPECT: frees-at-least 3000
//
// Checked against valgrind 3.19 (memcheck --leak-check=full
// --show-leak-kinds=all): "All heap blocks were freed -- no leaks are
// possible"; total heap usage 3,007 allocs, 3,007 frees: 3000 from churn()
// (1000 malloc, 1000 calloc, 1000 realloc), the rest from libc on the
// program's behalf and the stdout buffer (valgrind's libc freeres releases
// that one at exit).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

NOINLINE size_t churn(void)
{
    size_t total = 0;
    void *ptrs[100];
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 100; i++) {
            ptrs[i] = malloc((size_t)(i * 13 + round + 1));
            total += (size_t)(i * 13 + round + 1);
        }
        for (int i = 99; i >= 0; i--)
            free(ptrs[i]);
    }
    for (int i = 0; i < 1000; i++) {
        char *p = calloc(1, 32);
        p = realloc(p, 64);
        free(p);
    }
    return total;
}

NOINLINE int libc_allocations(void)
{
    char *s = strdup("a string that strdup copies");
    char *t = NULL;
    if (asprintf(&t, "%s and %d", s, 42) < 0)
        return -1;
    int n = (int)strlen(t);
    free(t);
    free(s);

    FILE *f = fopen("/proc/self/cmdline", "r");
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        if (getline(&line, &cap, f) > 0)
            n++;
        free(line);
        fclose(f);
    }
    return n;
}

int main(void)
{
    size_t total = churn();
    int n = libc_allocations();
    printf("no_leaks: %zu %d\n", total, n);
    return 0;
}
