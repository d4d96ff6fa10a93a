/* sites.c - allocation sites with known figures, for tests/sampling/sampling.sh.
 * Each site is its own non-inlined function, so reports tell them apart:
 *   keep_small   65,536 blocks of 256 B kept live (16 MiB)
 *   keep_grown   4,000 blocks grown by realloc 100 -> 1,000 -> 3,000 -> 5,000 B, kept
 *   keep_big     10 blocks of 8 MiB kept (never touched: no RSS)
 *   churn        1,000,000 x malloc(64) + free: nothing stays
 *   handed_over  20,000 blocks of 512 B freed by another thread: nothing stays
 *   realloc_zero 10,000 blocks of 1 KiB freed by realloc(p, 0): nothing stays
 * Exits 0. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSMALL 65536
#define NGROWN 4000
#define NBIG 10
#define NHAND 20000
#define NZERO 10000

static void *small[NSMALL], *grown[NGROWN], *big[NBIG], *hand[NHAND];

__attribute__((noinline)) static void keep_small(void)
{
    for (int i = 0; i < NSMALL; i++) small[i] = malloc(256);
}

__attribute__((noinline)) static void keep_grown(void)
{
    static const size_t steps[] = { 1000, 3000, 5000 };
    for (int i = 0; i < NGROWN; i++) grown[i] = malloc(100);
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < NGROWN; i++) grown[i] = realloc(grown[i], steps[s]);
}

__attribute__((noinline)) static void keep_big(void)
{
    for (int i = 0; i < NBIG; i++) big[i] = malloc(8u << 20);
}

__attribute__((noinline)) static void churn(void)
{
    for (int i = 0; i < 1000000; i++) {
        char *p = malloc(64);
        p[0] = (char)i;
        free(p);
    }
}

__attribute__((noinline)) static void handed_over(void)
{
    for (int i = 0; i < NHAND; i++) hand[i] = malloc(512);
}

static void *freer(void *arg)
{
    (void)arg;
    for (int i = 0; i < NHAND; i++) free(hand[i]);
    return NULL;
}

__attribute__((noinline)) static void realloc_zero(void)
{
    for (int i = 0; i < NZERO; i++) {
        void *p = malloc(1024);
        memset(p, 0, 16);
        void *q = realloc(p, 0);   /* glibc: frees p, returns NULL */
        free(q);
    }
}

int main(void)
{
    keep_small();
    keep_grown();
    keep_big();
    churn();
    handed_over();
    pthread_t t;
    if (pthread_create(&t, NULL, freer, NULL) != 0 || pthread_join(t, NULL) != 0) return 1;
    realloc_zero();
    printf("sites done\n");
    return 0;
}
