/* phases.c - a program with marked phases, for tests/profiles/marks.sh.
 * usage: phases [leak|noleak] [threads]
 * Phase "before": 10 blocks of 100 bytes kept (warmup). Between "before" and
 * "after": leak_phase keeps 50 blocks of 1000 bytes (only with "leak"),
 * temp_phase allocates and frees 100 blocks of 5000 bytes, and THREADS
 * worker threads each allocate and free 200 blocks, all joined before
 * "after". At exit the warmup blocks are freed. */
#include <leaktrace.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *keep[100];

__attribute__((noinline)) static void warmup(void)
{
    for (int i = 0; i < 10; i++) keep[i] = malloc(100);
}

__attribute__((noinline)) static void leak_phase(void)
{
    for (int i = 10; i < 60; i++) keep[i] = malloc(1000);
}

__attribute__((noinline)) static void temp_phase(void)
{
    for (int i = 0; i < 100; i++) free(malloc(5000));
}

static void *worker(void *arg)
{
    (void)arg;
    void *b[200];
    for (int i = 0; i < 200; i++) b[i] = malloc(32 + i);
    for (int i = 0; i < 200; i++) free(b[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    int leak = argc > 1 && strcmp(argv[1], "leak") == 0;
    int nthreads = argc > 2 ? atoi(argv[2]) : 0;
    if (nthreads > 16) nthreads = 16;
    warmup();
    leaktrace_mark("before");
    pthread_t t[16];
    for (int i = 0; i < nthreads; i++) pthread_create(&t[i], NULL, worker, NULL);
    if (leak) leak_phase();
    temp_phase();
    for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
    leaktrace_mark("after");
    for (int i = 0; i < 10; i++) free(keep[i]);
    leaktrace_mark("end-of-main");
    printf("phases done, tracer %s\n", leaktrace_active() ? "active" : "absent");
    return 0;
}
