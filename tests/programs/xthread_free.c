// Cross-thread frees under load: 4 producer threads allocate 25000 blocks
// each and pass them through a shared queue to 4 consumer threads, which
// free most of them (a block is nearly always freed by a thread other than
// the one that allocated it). Which blocks survive depends only on the
// block's id, never on scheduling:
//   id % 100 == 0   kept by the consumer      -> 1000 blocks x 48 bytes,
//                                                allocated in xthread_alloc_block
//   id % 1000 == 7  realloc'ed to 80 bytes by the consumer and kept
//                                             -> 100 blocks x 80 bytes,
//                                                attributed to xthread_realloc_keep
//   id % 100 == 50  realloc'ed to 96 bytes by the consumer, then freed
//   anything else   freed by the consumer
//
// BUILD: -pthread
// EXPECT: leak xthread_alloc_block 48000 1000
// EXPECT: leak xthread_realloc_keep 8000 100
// EXPECT: leak xthread_realloc_free 0 0
// EXPECT: no-other-leaks
// EXPECT: allocations-at-least 101100
// EXPECT: frees-at-least 100000
//
// Checked against valgrind 3.19 (memcheck --leak-check=full
// --show-leak-kinds=all): 48,000 bytes in 1,000 blocks at
// xthread_alloc_block, 8,000 bytes in 100 blocks at xthread_realloc_keep,
// nothing else leaked; total heap usage 101,109 allocs, 100,009 frees. The
// program itself makes 100000 mallocs + 1100 reallocs = 101100 allocations
// and 97900 frees + 1000 frees after realloc + 1100 realloc frees = 100000
// frees; the other 9 of each are glibc's: the stdout buffer and one TLS
// (DTV) block per thread, which valgrind's libc freeres releases at exit.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

enum { PRODUCERS = 4, CONSUMERS = 4, PER_PRODUCER = 25000,
       TOTAL = PRODUCERS * PER_PRODUCER };

struct block {
    struct block *next;
    unsigned id;
    char payload[36];            /* sizeof(struct block) == 48 */
};

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static struct block *qhead, *qtail;
static unsigned consumed;        /* blocks taken off the queue so far */

/* Per-consumer lists of the blocks it keeps, and statistics. */
static struct block *kept[CONSUMERS];
static unsigned nkept[CONSUMERS], nrealloc_kept[CONSUMERS], nfreed[CONSUMERS];
static void *realloc_kept[CONSUMERS][TOTAL / 1000 + 1];

NOINLINE struct block *xthread_alloc_block(unsigned id)
{
    struct block *b = malloc(sizeof *b);
    b->next = NULL;
    b->id = id;
    memset(b->payload, (int)(id & 0xff), sizeof b->payload);
    return b;
}

NOINLINE void *xthread_realloc_keep(struct block *b) { return realloc(b, 80); }

NOINLINE void xthread_realloc_free(struct block *b)
{
    void *p = realloc(b, 96);
    free(p);
}

static void push(struct block *b)
{
    pthread_mutex_lock(&qlock);
    if (qtail)
        qtail->next = b;
    else
        qhead = b;
    qtail = b;
    pthread_cond_signal(&qcond);
    pthread_mutex_unlock(&qlock);
}

/* NULL once all TOTAL blocks have been handed out. */
static struct block *pop(void)
{
    struct block *b = NULL;
    pthread_mutex_lock(&qlock);
    while (qhead == NULL && consumed < TOTAL)
        pthread_cond_wait(&qcond, &qlock);
    if (qhead) {
        b = qhead;
        qhead = b->next;
        if (qhead == NULL)
            qtail = NULL;
        if (++consumed == TOTAL)
            pthread_cond_broadcast(&qcond);
    }
    pthread_mutex_unlock(&qlock);
    return b;
}

static void *producer(void *arg)
{
    unsigned p = (unsigned)(size_t)arg;
    for (unsigned i = 0; i < PER_PRODUCER; i++)
        push(xthread_alloc_block(p * PER_PRODUCER + i));
    return NULL;
}

static void *consumer(void *arg)
{
    unsigned c = (unsigned)(size_t)arg;
    struct block *b;
    while ((b = pop()) != NULL) {
        b->next = NULL;
        if (b->id % 100 == 0) {
            b->next = kept[c];
            kept[c] = b;
            nkept[c]++;
        } else if (b->id % 1000 == 7) {
            realloc_kept[c][nrealloc_kept[c]++] = xthread_realloc_keep(b);
        } else if (b->id % 100 == 50) {
            xthread_realloc_free(b);
            nfreed[c]++;
        } else {
            free(b);
            nfreed[c]++;
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t prod[PRODUCERS], cons[CONSUMERS];
    for (size_t i = 0; i < CONSUMERS; i++)
        if (pthread_create(&cons[i], NULL, consumer, (void *)i) != 0)
            return 2;
    for (size_t i = 0; i < PRODUCERS; i++)
        if (pthread_create(&prod[i], NULL, producer, (void *)i) != 0)
            return 2;
    for (size_t i = 0; i < PRODUCERS; i++)
        pthread_join(prod[i], NULL);
    for (size_t i = 0; i < CONSUMERS; i++)
        pthread_join(cons[i], NULL);

    unsigned k = 0, rk = 0, f = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        k += nkept[i];
        rk += nrealloc_kept[i];
        f += nfreed[i];
    }
    printf("xthread_free: %u blocks, kept %u, realloc-kept %u, freed %u\n",
           (unsigned)TOTAL, k, rk, f);
    return (k == TOTAL / 100 && rk == TOTAL / 1000 && k + rk + f == TOTAL) ? 0 : 1;
}
