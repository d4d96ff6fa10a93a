/* storm.c - a 2-thread allocation storm: for tests/run_matrix.sh, which runs
 * it hundreds of times under the tracer, each run with a time limit (a hang
 * fails the test). Two threads each do 20,000 malloc/realloc/free on blocks
 * the other thread frees too (blocks pass between them through a shared
 * array of atomic slots), then the main thread exits while the second
 * thread may still be allocating its last blocks (no join for half the
 * runs: argv[1] = "nojoin"). Exactly 7 blocks of 6006 bytes are leaked
 * (allocated in storm_leak). Prints "storm" and exits 0. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256
static _Atomic(void *) slot[SLOTS];
static void *volatile keep[7];

__attribute__((noinline)) static void storm_leak(int i) { keep[i] = malloc(6006); }

static void *storm(void *arg)
{
    unsigned seed = (unsigned)(size_t)arg;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = (seed >> 8) % SLOTS;
        void *p = malloc(8 + (seed >> 20) % 700);
        if (seed & 1) { void *r = realloc(p, 16 + (seed >> 12) % 2000); if (r) p = r; }
        free(atomic_exchange(&slot[k], p));
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int nojoin = argc > 1 && !strcmp(argv[1], "nojoin");
    pthread_t t;
    if (pthread_create(&t, NULL, storm, (void *)1)) return 2;
    storm((void *)2);
    for (int i = 0; i < 7; i++) storm_leak(i);
    if (!nojoin) {
        pthread_join(t, NULL);
        for (int k = 0; k < SLOTS; k++) free(atomic_exchange(&slot[k], NULL));
    }
    puts("storm");
    return 0;   /* nojoin: exit() while the other thread may still allocate */
}
