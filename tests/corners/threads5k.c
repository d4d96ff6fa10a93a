/* threads5k.c - threads created and ending by thousands: for
 * tests/run_matrix.sh. WAVES waves of 100 threads (default 50: 5,000
 * threads); in each wave 80 are joined and 20 are detached (they signal a
 * counter when done; main waits for it before the next wave). Every thread
 * allocates and frees 10 blocks and leaks one block of 5005 bytes from
 * thread_leak. Expected: exactly WAVES*100 leaks of 5005 bytes, WAVES*100
 * threads in the thread table. usage: threads5k [WAVES]; prints
 * "threads N" and exits 0. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>

static atomic_int detached_done;
static void *volatile sink;

__attribute__((noinline)) static void thread_leak(void)
{
    char *p = malloc(5005);
    memset(p, 3, 5005);
    sink = p;
}

static void *body(void *arg)
{
    for (int i = 0; i < 10; i++) free(malloc(32 + i * 8));
    thread_leak();
    if (arg) atomic_fetch_add(&detached_done, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    int waves = argc > 1 ? atoi(argv[1]) : 50, n = 0;
    pthread_attr_t det;
    pthread_attr_init(&det);
    pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&det, 64 * 1024);
    pthread_attr_t joi;
    pthread_attr_init(&joi);
    pthread_attr_setstacksize(&joi, 64 * 1024);
    for (int w = 0; w < waves; w++) {
        pthread_t t[80];
        atomic_store(&detached_done, 0);
        for (int i = 0; i < 80; i++) {
            if (pthread_create(&t[i], &joi, body, NULL)) { fprintf(stderr, "pthread_create failed\n"); return 2; }
            n++;
        }
        for (int i = 0; i < 20; i++) {
            pthread_t d;
            if (pthread_create(&d, &det, body, (void *)1)) { fprintf(stderr, "pthread_create failed\n"); return 2; }
            n++;
        }
        for (int i = 0; i < 80; i++) pthread_join(t[i], NULL);
        while (atomic_load(&detached_done) < 20) sched_yield();
    }
    printf("threads %d\n", n);
    return 0;
}
