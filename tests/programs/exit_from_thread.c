// exit() called from a thread other than main, while main is blocked in
// pthread_join and another thread is blocked on a semaphore that is never
// posted. All three threads' leaks must still be reported (the tracer has
// to flush other threads' pending events at exit), and frees done by an
// atexit handler, which runs in the exiting thread, must be seen too.
// The exit status is 7.
//
// BUILD: -pthread
// EXPECT: exit 7
// EXPECT: leak main_leak_before_threads 1000 2
// EXPECT: leak blocked_thread_leak 4096 1
// EXPECT: leak exiting_thread_leak 2100 3
// EXPECT: leak freed_by_atexit 0 0
// EXPECT: no-other-leaks
//
// Checked against valgrind 3.19 (memcheck --leak-check=full
// --show-leak-kinds=all): exit status 7; 1,000/2 main_leak_before_threads,
// 4,096/1 blocked_thread_leak, 2,100/3 exiting_thread_leak, nothing else
// from this file; the atexit handler's 5 frees are seen (total heap usage
// 14 allocs, 6 frees). Valgrind also lists, as "possibly lost", 2 x 272
// bytes: the DTV blocks pthread_create allocated for the two threads still
// alive at exit, in the dynamic loader (allocate_dtv in dl-tls.c, with
// rtld's calloc wrapper inlined into it), not in this file.
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static sem_t never, ready;
void *keep[8];
static void *atexit_blocks[5];

NOINLINE void main_leak_before_threads(void)
{
    keep[0] = malloc(500);
    keep[1] = malloc(500);
}

NOINLINE void blocked_thread_leak(void) { keep[2] = malloc(4096); }

NOINLINE void exiting_thread_leak(void)
{
    for (int i = 0; i < 3; i++)
        keep[3 + i] = malloc(700);
}

NOINLINE void freed_by_atexit(void)
{
    for (int i = 0; i < 5; i++)
        atexit_blocks[i] = malloc(1000);
}

static void at_exit_handler(void)
{
    for (int i = 0; i < 5; i++)
        free(atexit_blocks[i]);
}

static void *blocked(void *arg)
{
    (void)arg;
    blocked_thread_leak();
    sem_post(&ready);
    sem_wait(&never);                /* never posted */
    return NULL;
}

static void *exiter(void *arg)
{
    (void)arg;
    sem_wait(&ready);                /* the blocked thread has leaked */
    exiting_thread_leak();
    freed_by_atexit();
    printf("exit_from_thread: worker calls exit(7)\n");
    exit(7);
}

int main(void)
{
    pthread_t a, b;
    sem_init(&never, 0, 0);
    sem_init(&ready, 0, 0);
    atexit(at_exit_handler);
    main_leak_before_threads();
    printf("exit_from_thread: main started\n");
    if (pthread_create(&a, NULL, blocked, NULL) != 0 ||
        pthread_create(&b, NULL, exiter, NULL) != 0)
        return 2;
    pthread_join(b, NULL);           /* never returns: b calls exit */
    printf("exit_from_thread: not reached\n");
    return 0;
}
