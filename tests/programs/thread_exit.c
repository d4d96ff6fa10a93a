// Threads that exit while main continues: a first wave of 4 joinable
// threads and one detached thread leak and exit; main then keeps going,
// frees blocks the dead threads handed it, leaks on its own, and starts a
// second wave (thread ids and stacks get reused). Each thread also has a
// pthread key whose destructor frees a per-thread block during thread exit:
// those frees happen late in the thread's life and must still be seen.
//
// BUILD: -pthread
// EXPECT: leak wave1_worker_leak 1280 10
// EXPECT: leak detached_worker_leak 333 1
// EXPECT: leak handed_to_main 0 0
// EXPECT: leak key_value_alloc 0 0
// EXPECT: leak main_after_threads 512 2
// EXPECT: leak wave2_worker_leak 200 4
// EXPECT: no-other-leaks
// EXPECT: allocations-at-least 5066
// EXPECT: frees-at-least 5049
//
// Checked against valgrind 3.19 (memcheck --leak-check=full
// --show-leak-kinds=all): 1,280/10 wave1_worker_leak, 333/1
// detached_worker_leak, 512/2 main_after_threads, 200/4 wave2_worker_leak,
// nothing else from this file; total heap usage 5,072 allocs, 5,055 frees,
// of which the program's own are 5066 allocations (5000 churn, 9 key values,
// 10 + 40 + 1 + 2 + 4) and 5049 frees (5000 churn, 9 by the key destructor,
// 40 handed blocks); the rest is glibc's stdout buffer and thread TLS blocks.
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

enum { WAVE = 4, HANDED = 10, CHURN = 1000 };

static pthread_key_t key;
static sem_t detached_done;
void *keep_main[2];
void *handed[WAVE][HANDED];

NOINLINE void *key_value_alloc(void) { return malloc(72); }

static void key_destructor(void *p) { free(p); }

NOINLINE void wave1_worker_leak(int n)
{
    for (int i = 0; i < n; i++) {
        char *p = malloc(128);
        memset(p, i, 128);           /* pointer dropped: definitely lost */
    }
}

NOINLINE void handed_to_main(int t)
{
    for (int i = 0; i < HANDED; i++)
        handed[t][i] = malloc(64);
}

static void churn(void)
{
    for (int i = 0; i < CHURN; i++)
        free(malloc((size_t)(i % 200) + 1));
}

static void *wave1(void *arg)
{
    int t = (int)(size_t)arg;
    pthread_setspecific(key, key_value_alloc());
    churn();
    wave1_worker_leak(t + 1);        /* 1 + 2 + 3 + 4 = 10 blocks */
    handed_to_main(t);
    return NULL;
}

NOINLINE void detached_worker_leak(void)
{
    void *p = malloc(333);
    memset(p, 1, 333);
}

static void *detached(void *arg)
{
    (void)arg;
    pthread_setspecific(key, key_value_alloc());
    detached_worker_leak();
    sem_post(&detached_done);
    return NULL;
}

NOINLINE void wave2_worker_leak(void)
{
    void *p = malloc(50);
    memset(p, 2, 50);
}

static void *wave2(void *arg)
{
    (void)arg;
    pthread_setspecific(key, key_value_alloc());
    wave2_worker_leak();
    return NULL;
}

NOINLINE void main_after_threads(void)
{
    keep_main[0] = malloc(256);
    keep_main[1] = malloc(256);
}

int main(void)
{
    pthread_t th[WAVE], d;
    pthread_attr_t attr;

    pthread_key_create(&key, key_destructor);
    sem_init(&detached_done, 0, 0);

    for (size_t i = 0; i < WAVE; i++)
        if (pthread_create(&th[i], NULL, wave1, (void *)i) != 0)
            return 2;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&d, &attr, detached, NULL) != 0)
        return 2;
    pthread_attr_destroy(&attr);
    for (int i = 0; i < WAVE; i++)
        pthread_join(th[i], NULL);
    sem_wait(&detached_done);

    /* The first wave is gone: free what it handed over, then carry on. */
    for (int t = 0; t < WAVE; t++)
        for (int i = 0; i < HANDED; i++)
            free(handed[t][i]);
    churn();
    main_after_threads();

    for (size_t i = 0; i < WAVE; i++)
        if (pthread_create(&th[i], NULL, wave2, (void *)i) != 0)
            return 2;
    for (int i = 0; i < WAVE; i++)
        pthread_join(th[i], NULL);

    printf("thread_exit: main continued after %d + 1 + %d threads exited\n", WAVE, WAVE);
    return 0;
}
