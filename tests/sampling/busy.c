/* busy.c - a busy request loop with a steady leak, for tests/sampling/sampling.sh.
 * usage: busy SECONDS
 * Serves "requests" for SECONDS, as fast as it can up to 1 M a second (at
 * full speed the traced loop leaked 1.7 GB in 6 s and slowed down as that
 * memory grew, which is not the steady leak growth detection is tested
 * on): each request allocates and
 * frees a few blocks (200 B, 1,500 B, 40 B) and leaks 64 bytes (leak_request,
 * chained through the blocks themselves, so nothing else grows). Prints
 * "requests=N seconds=S" at the end and exits 0. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *chain;

__attribute__((noinline)) static void leak_request(void)
{
    void **b = malloc(64);   /* kept forever: the leak */
    b[0] = chain;
    chain = b;
}

__attribute__((noinline)) static unsigned serve(unsigned long i)
{
    char *a = malloc(200), *b = malloc(1500), *c = malloc(40);
    snprintf(c, 40, "request %lu", i);
    memset(a, (int)i, 200);
    memcpy(b, a, 200);
    unsigned r = (unsigned)(a[3] + b[7] + c[0]);
    free(c);
    free(b);
    free(a);
    leak_request();
    return r;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 10;
    double t0 = now(), t = t0;
    unsigned long n = 0;
    unsigned sink = 0;
    while (t - t0 < secs) {
        for (int k = 0; k < 1000; k++) sink += serve(n++);
        t = now();
        double ahead = (double)n / 1e6 - (t - t0);
        if (ahead > 0) {
            struct timespec d = { 0, (long)(ahead * 1e9) };
            nanosleep(&d, NULL);
            t = now();
        }
    }
    printf("requests=%lu seconds=%.3f sink=%u\n", n, t - t0, sink & 1);
    return 0;
}
