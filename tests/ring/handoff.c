/*
 * handoff.c - blocks passed along a pipeline of threads, at full speed.
 *
 * Four threads in a ring: each takes a block from its inbox, frees it,
 * allocates a new one of the same size (glibc's per-thread cache mostly
 * hands back the address just freed) and passes it to the next thread. So
 * one address is allocated in one thread, freed in the next, allocated
 * again there and freed in the one after: the order in which a tracer that
 * drains per-thread buffers sees those events is anything but the order
 * they happened in. At the end every block in flight is freed and exactly
 * LEAKS blocks (of 40 bytes, from leak_here) are left allocated.
 *
 *   handoff [ROUNDS]   (default 400000 hand-offs per thread)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHR 4
#define QCAP 64
#define LEAKS 7

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void *q[QCAP];
    size_t head, len;
} inbox_t;

static inbox_t box[NTHR];
static long rounds = 400000;

static void put(inbox_t *b, void *p)
{
    pthread_mutex_lock(&b->mu);
    while (b->len == QCAP) pthread_cond_wait(&b->cv, &b->mu);
    b->q[(b->head + b->len++) % QCAP] = p;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void *take(inbox_t *b)
{
    pthread_mutex_lock(&b->mu);
    while (b->len == 0) pthread_cond_wait(&b->cv, &b->mu);
    void *p = b->q[b->head];
    b->head = (b->head + 1) % QCAP;
    b->len--;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return p;
}

static void *stage(void *arg)
{
    int k = (int)(long)arg;
    for (long i = 0; i < rounds; i++) {
        size_t *p = take(&box[k]);
        size_t n = p[0];
        free(p);
        size_t *q = malloc(n);
        if (!q) abort();
        q[0] = n;
        put(&box[(k + 1) % NTHR], q);
    }
    return NULL;
}

static __attribute__((noinline)) void *leak_here(void)
{
    void *p = malloc(40);
    if (p) memset(p, 1, 40);
    return p;
}

int main(int argc, char **argv)
{
    if (argc > 1) rounds = atol(argv[1]);
    for (int k = 0; k < NTHR; k++) {
        pthread_mutex_init(&box[k].mu, NULL);
        pthread_cond_init(&box[k].cv, NULL);
    }
    /* Blocks in flight: a few per inbox, of sizes that share tcache bins. */
    for (int k = 0; k < NTHR; k++)
        for (int j = 0; j < 8; j++) {
            size_t n = 16 + 16 * (size_t)((k + j) % 6);
            size_t *p = malloc(n);
            if (!p) return 1;
            p[0] = n;
            put(&box[k], p);
        }
    pthread_t th[NTHR];
    for (int k = 0; k < NTHR; k++) pthread_create(&th[k], NULL, stage, (void *)(long)k);
    for (int k = 0; k < NTHR; k++) pthread_join(th[k], NULL);
    for (int k = 0; k < NTHR; k++)
        while (box[k].len) free(take(&box[k]));
    static void *volatile keep[LEAKS];
    for (int i = 0; i < LEAKS; i++) keep[i] = leak_here();
    for (int i = 0; i < LEAKS; i++) keep[i] = NULL;   /* lost: no pointer left */
    printf("handoff: %d threads, %ld hand-offs each, %d blocks leaked\n", NTHR, rounds, LEAKS);
    return 0;
}
