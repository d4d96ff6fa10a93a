/*
 * ringleak.c - a service for the flight-recorder tests (tests/ring/ring.sh)
 * and the soak run (tests/soak/ring.sh): THREADS threads allocate and free
 * at full speed for SECONDS seconds; every LEAK_EVERY-th iteration leaks 48
 * bytes from leak_steady(); one 4321-byte block from early_block() is
 * allocated at the start and kept (it lies before any wrapped window).
 * Prints "leaked N" (blocks from leak_steady) at the end.
 * usage: ringleak SECONDS [THREADS [LEAK_EVERY]]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds;
static long leak_every = 1000;
static atomic_long leaked;
static void *volatile keep;

__attribute__((noinline)) static void *early_block(void) { return malloc(4321); }
__attribute__((noinline)) static void leak_steady(void)
{
    void *volatile p = malloc(48);
    (void)p;
    atomic_fetch_add(&leaked, 1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void *churn(void *arg)
{
    unsigned seed = (unsigned)(size_t)arg * 7919u + 1;
    void *pool[64] = { 0 };
    double end = now() + seconds;
    for (long i = 1;; i++) {
        unsigned k = (seed = seed * 1103515245u + 12345u) >> 16;
        free(pool[k % 64]);
        pool[k % 64] = malloc(16 + (k % 512));
        if (i % leak_every == 0) leak_steady();
        if ((i & 1023) == 0 && now() >= end) break;
    }
    for (int j = 0; j < 64; j++) free(pool[j]);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: ringleak SECONDS [THREADS [LEAK_EVERY]]\n"); return 2; }
    seconds = atof(argv[1]);
    int nt = argc > 2 ? atoi(argv[2]) : 1;
    if (argc > 3) leak_every = atol(argv[3]);
    if (nt < 1 || nt > 64 || leak_every < 1) return 2;
    keep = early_block();
    pthread_t th[64];
    for (int i = 1; i < nt; i++) pthread_create(&th[i], NULL, churn, (void *)(size_t)i);
    churn(NULL);
    for (int i = 1; i < nt; i++) pthread_join(th[i], NULL);
    printf("leaked %ld\n", atomic_load(&leaked));
    return 0;
}
