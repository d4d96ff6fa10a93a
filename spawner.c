/* A thread started every 150 ms, all joined at 1.5 s; a mark per start. */
#include <leaktrace.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static void nap(long ms) { struct timespec t = { ms / 1000, (ms % 1000) * 1000000L }; nanosleep(&t, NULL); }
static volatile int stop;
static void *worker(void *a) { (void)a; while (!stop) nap(5); return NULL; }
int main(void)
{
    pthread_t t[8];
    char label[32];
    for (int i = 0; i < 8; i++) {
        pthread_create(&t[i], NULL, worker, NULL);
        snprintf(label, sizeof label, "spawn-%d", i + 1);
        leaktrace_mark(label);
        free(malloc(100));
        nap(150);
    }
    nap(300);
    stop = 1;
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    leaktrace_mark("joined");
    nap(200);
    return 0;
}
