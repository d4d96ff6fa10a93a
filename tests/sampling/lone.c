/*
 * lone.c - a single-threaded program under the sampling mode: the tracer
 * starts no thread of its own while the program has only one, and still
 * writes the trace while the program runs (tests/sampling/sampling.sh).
 * Every pass allocates 16 blocks of 256 bytes (in keep_lone, never freed)
 * and sleeps 1 ms. Prints "blocks N" and "threads N" (the process's
 * threads, from /proc/self/task) where noted.
 *
 *   lone kill    400 passes, blocks, threads, then SIGKILL: what reached
 *                the file before is all the trace has.
 *   lone thread  400 passes, blocks, threads; starts a thread with
 *                pthread_create, threads again while it waits; exits.
 *   lone thrd    the same with C11 thrd_create (which glibc does not route
 *                through the pthread_create symbol), then 100 more passes
 *                before counting again.
 *   lone long    1,500 passes, threads.
 *   lone count   threads, at once.
 *   lone term    a SIGTERM handler that calls _exit(3), then 400 passes
 *                (tests/sampling/sigwrite.c sends the SIGTERM).
 *   lone marks   the same handler, then 200 leaktrace_mark calls at once:
 *                more than the 64 that wait for a write, so the program's
 *                thread writes them from leaktrace_mark itself.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "leaktrace.h"

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

static void *volatile sink;
static long blocks;

__attribute__((noinline)) static void keep_lone(void)
{
    for (int i = 0; i < 16; i++) {
        char *p = malloc(256);
        memset(p, 1, 256);
        sink = p;
    }
    blocks += 16;
}

static void work(int passes)
{
    for (int i = 0; i < passes; i++) {
        keep_lone();
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
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

static int waiter_c11(void *arg) { return waiter(arg) != NULL; }

static void on_term(int sig)
{
    (void)sig;
    _exit(3);
}

int main(int argc, char **argv)
{
    const char *m = argc == 2 ? argv[1] : "";
    if (!strcmp(m, "count")) {
        printf("threads %d\n", threads());
        return 0;
    }
    if (!strcmp(m, "term")) {
        signal(SIGTERM, on_term);
        work(400);
        return 0;
    }
    if (!strcmp(m, "marks")) {
        signal(SIGTERM, on_term);
        for (int i = 0; i < 200; i++) leaktrace_mark("m");
        return 0;
    }
    if (!strcmp(m, "long")) {
        work(1500);
        printf("blocks %ld\nthreads %d\n", blocks, threads());
        return 0;
    }
    if (strcmp(m, "kill") && strcmp(m, "thread") && strcmp(m, "thrd")) {
        fprintf(stderr, "usage: lone kill|thread|thrd|long|count|term|marks\n");
        return 2;
    }
    work(400);
    printf("blocks %ld\nthreads %d\n", blocks, threads());
    fflush(stdout);
    if (!strcmp(m, "kill")) raise(SIGKILL);
    pthread_mutex_lock(&mu);
    if (!strcmp(m, "thrd")) {
        thrd_t t;
        if (thrd_create(&t, waiter_c11, NULL) != thrd_success) return 1;
        work(100);
        printf("threads %d\n", threads());
        pthread_mutex_unlock(&mu);
        thrd_join(t, NULL);
    } else {
        pthread_t t;
        if (pthread_create(&t, NULL, waiter, NULL)) return 1;
        printf("threads %d\n", threads());
        pthread_mutex_unlock(&mu);
        pthread_join(t, NULL);
    }
    printf("lone done\n");
    return 0;
}
