/*
 * threads.c - the threads example (docs/guide-threads.md): a job runner
 * with two thread leaks people ship every day.
 *
 *   1. run_job() starts a joinable thread per job and forgets to join it:
 *      each finished thread keeps its stack and descriptor (never_joined).
 *   2. start_watchdog() starts a thread that loops until a flag nobody
 *      sets: still running when main returns (running_at_exit).
 * The pool in run_batch() is joined properly and is not reported.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static int jobs_done;

static void *job(void *arg)
{
    long n = (long)arg, sum = 0;
    for (long i = 0; i < n; i++) sum += i;
    __atomic_add_fetch(&jobs_done, 1, __ATOMIC_RELEASE);
    return (void *)sum;
}

static volatile int stopping;

static void *watchdog(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 10 * 1000000L };
    while (!stopping) nanosleep(&ts, NULL);   /* Leak 2: nobody sets stopping */
    return NULL;
}

__attribute__((noinline)) static void run_job(long n)
{
    pthread_t t;
    pthread_create(&t, NULL, job, (void *)n);   /* Leak 1: never joined */
}

__attribute__((noinline)) static void start_watchdog(void)
{
    pthread_t t;
    pthread_create(&t, NULL, watchdog, NULL);
}

__attribute__((noinline)) static long run_batch(void)
{
    pthread_t pool[4];
    long total = 0;
    for (long i = 0; i < 4; i++) pthread_create(&pool[i], NULL, job, (void *)(1000 * (i + 1)));
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(pool[i], &r);
        total += (long)r;
    }
    return total;
}

int main(void)
{
    start_watchdog();
    for (int i = 0; i < 3; i++) run_job(100000);
    printf("batch: %ld\n", run_batch());
    /* Wait until the 3 + 4 jobs are over (and a little more, for the
     * threads to return), so the report is the same on a busy machine. */
    struct timespec ts = { 0, 20 * 1000000L };
    while (__atomic_load_n(&jobs_done, __ATOMIC_ACQUIRE) < 7) nanosleep(&ts, NULL);
    for (int i = 0; i < 5; i++) nanosleep(&ts, NULL);
    return 0;
}
