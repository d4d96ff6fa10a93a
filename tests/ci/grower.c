/*
 * grower.c - a test program of tests/ci shaped like a leaking server: for
 * 2.6 s it leaks 64 bytes every 5 ms from grow_cache(), then it is killed
 * (SIGTERM to itself, as a CI job ends a server). A growth suspect; its
 * leaks at exit are not checked (it did not exit).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void **hold;
static size_t nhold;

__attribute__((noinline)) static void grow_cache(void)
{
    void *p = malloc(64);
    memset(p, 0, 64);
    hold[nhold++] = p;
}

int main(void)
{
    hold = calloc(4096, sizeof *hold);
    struct timespec t0, now, nap = { 0, 5000000 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        grow_cache();
        nanosleep(&nap, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (nhold < 4000 && (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < 2600);
    raise(SIGTERM);
    return 0;
}
