/*
 * lone.c - a single-threaded program under the sampling mode: the tracer
 * starts no thread of its own while the program has only one, and still
 * writes the trace while the program runs (tests/sampling/sampling.sh).
 *
 *   lone kill    allocates for 400 ms, prints its thread count, then
 *                SIGKILLs itself: what reached the file before is all the
 *                trace has.
 *   lone thread  the same, then starts a thread and prints the count again
 *                while that thread waits, then exits normally.
 *
 * The blocks (16 of 256 bytes a millisecond, in keep_lone) are never freed.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *volatile sink;

__attribute__((noinline)) static void keep_lone(void)
{
    for (int i = 0; i < 16; i++) {
        char *p = malloc(256);
        memset(p, 1, 256);
        sink = p;
    }
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "kill") && strcmp(argv[1], "thread"))) {
        fprintf(stderr, "usage: lone kill|thread\n");
        return 2;
    }
    double end = now() + 0.4;
    long blocks = 0;
    while (now() < end) {
        keep_lone();
        blocks += 16;
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
    printf("blocks %ld\nthreads %d\n", blocks, threads());
    fflush(stdout);
    if (!strcmp(argv[1], "kill")) raise(SIGKILL);
    pthread_mutex_lock(&mu);
    pthread_t t;
    if (pthread_create(&t, NULL, waiter, NULL)) return 1;
    printf("threads %d\n", threads());
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    printf("lone done\n");
    return 0;
}
