/* server.c - long-running allocation patterns for tests/growth/growth.sh.
 * usage: server MODE SECONDS
 * Each mode runs "requests" (one every millisecond) for SECONDS and exits:
 *   server   churn + a bounded cache (256 entries) + a 64-byte leak per request
 *   steady   a 64-byte leak per request, nothing else
 *   slow     one 48-byte block leaked per second
 *   cache    a bounded cache only: fills within the first 0.5 s, then replaces
 *   steps    a cache that grows in three steps during the first half, then stays
 *   late     nothing leaks during the first half, then 64 bytes per request
 *   churn    every request allocates and frees, nothing stays
 *   buffer   one log buffer grown by realloc (+29 bytes) every request, never freed
 * Expected verdicts (leaktrace growth): server, steady, slow, late: one suspect
 * (leak_request or leak_slowly), buffer: one suspect (grow_log); cache, steps,
 * churn: none. */
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

static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

static void **leaked;
static size_t nleaked, capleaked;

__attribute__((noinline)) static void leak_request(size_t n)
{
    if (nleaked == capleaked) {
        capleaked = capleaked ? capleaked * 2 : 1024;
        leaked = realloc(leaked, capleaked * sizeof *leaked);
    }
    leaked[nleaked++] = malloc(n);   /* kept forever: the leak */
}

__attribute__((noinline)) static void leak_slowly(void) { leak_request(48); }

#define CACHE 256
static char *cache[CACHE];
static unsigned long cache_next;

__attribute__((noinline)) static void cache_put(size_t n, unsigned limit)
{
    unsigned slot = (unsigned)(cache_next++ % limit);
    free(cache[slot]);
    cache[slot] = malloc(n);
    memset(cache[slot], 1, n);
}

__attribute__((noinline)) static void churn(unsigned long i)
{
    char *a = malloc(100 + i % 900), *b = malloc(4096);
    memset(b, 0, 64);
    free(a);
    free(b);
}

static char *logbuf;
static size_t loglen;

__attribute__((noinline)) static void grow_log(void)
{
    char *n = realloc(logbuf, loglen + 29);
    if (!n) return;
    logbuf = n;
    memset(logbuf + loglen, 'x', 29);
    loglen += 29;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: server MODE SECONDS\n");
        return 2;
    }
    const char *m = argv[1];
    double secs = atof(argv[2]), t0 = now(), t;
    unsigned long i = 0, slow_leaks = 0;
    while ((t = now() - t0) < secs) {
        if (!strcmp(m, "server")) {
            churn(i);
            cache_put(200, CACHE);
            leak_request(64);
        } else if (!strcmp(m, "steady")) {
            leak_request(64);
        } else if (!strcmp(m, "slow")) {
            /* One block per second of the clock, however many requests a
             * loaded machine lets through. */
            if ((unsigned long)t >= slow_leaks) { leak_slowly(); slow_leaks++; }
        } else if (!strcmp(m, "cache")) {
            cache_put(300, t < 0.5 ? (unsigned)(1 + t / 0.5 * (CACHE - 1)) : CACHE);
        } else if (!strcmp(m, "steps")) {
            unsigned limit = t < secs / 6 ? 64 : t < secs / 3 ? 128 : 192;
            cache_put(300, limit);
        } else if (!strcmp(m, "late")) {
            churn(i);
            if (t >= secs / 2) leak_request(64);
        } else if (!strcmp(m, "churn")) {
            churn(i);
        } else if (!strcmp(m, "buffer")) {
            churn(i);
            grow_log();
        } else {
            fprintf(stderr, "unknown mode %s\n", m);
            return 2;
        }
        i++;
        sleep_us(1000);
    }
    printf("%s: %lu requests\n", m, i);
    return 0;
}
