/* thr_modes.c - one thread lifecycle per mode, for tests/threads/threads.sh.
 * usage: thr_modes MODE   (modes listed in main; each says what leaktrace
 * threads must report). Every mode exits with status 0 and prints "ok". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Threads that are meant to finish register their kernel tid; before
 * exiting, main waits until the kernel has none of them any more, so a
 * "finished" thread has really finished whatever the machine's load. */
static pid_t tids[64];
static int ntids;
static void note_tid(void)
{
    pthread_mutex_lock(&mu);
    if (ntids < 64) tids[ntids++] = gettid();
    pthread_mutex_unlock(&mu);
}
static void wait_all_gone(int expected)
{
    char path[64];
    for (;;) {
        pthread_mutex_lock(&mu);
        int n = ntids;
        pthread_mutex_unlock(&mu);
        if (n >= expected) break;
        sleep_ms(1);
    }
    for (int i = 0; i < ntids; i++) {
        snprintf(path, sizeof path, "/proc/self/task/%d", (int)tids[i]);
        while (access(path, F_OK) == 0) sleep_ms(1);
    }
}

/* arg: NULL, or an int the thread sets once it has registered. */
static void *quick(void *arg)
{
    note_tid();
    if (arg) __atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
    free(malloc(64));
    return NULL;
}
static void *blocked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) pthread_cond_wait(&never, &mu);
    return NULL;
}
static void *exits(void *arg) { (void)arg; note_tid(); pthread_exit(NULL); }
static void *self_detach(void *arg) { (void)arg; note_tid(); pthread_detach(pthread_self()); return NULL; }
static void *named(void *arg) { (void)arg; note_tid(); pthread_setname_np(pthread_self(), "named-worker"); return NULL; }
static void *cancellable(void *arg) { (void)arg; note_tid(); for (;;) { pthread_testcancel(); sleep_ms(1); } return NULL; }

/* A thread that creates one child and joins it (join_children = 1) or not. */
static void *parent(void *arg)
{
    note_tid();
    pthread_t c;
    int registered = 0;
    pthread_create(&c, NULL, quick, &registered);
    if (*(int *)arg) pthread_join(c, NULL);
    else while (!__atomic_load_n(&registered, __ATOMIC_ACQUIRE)) sleep_ms(1);
    return NULL;
}

/* A pool: n workers that run for ms milliseconds, then finish. */
static void *pool_worker(void *arg) { sleep_ms(*(int *)arg); return NULL; }

static void spawn(pthread_t *t, void *(*fn)(void *), void *arg) { if (pthread_create(t, NULL, fn, arg)) abort(); }

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    pthread_t t[64];
    int expect = 0;   /* threads of the mode that register with note_tid */
    if (!strcmp(m, "joined")) {
        expect = 8;                 /* no alert */
        for (int i = 0; i < 8; i++) spawn(&t[i], quick, NULL);
        for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    } else if (!strcmp(m, "detached_attr")) {
        expect = 4;   /* no alert */
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        for (int i = 0; i < 4; i++) pthread_create(&t[i], &a, quick, NULL);
        sleep_ms(50);
    } else if (!strcmp(m, "detached_call")) {
        expect = 4;   /* no alert */
        for (int i = 0; i < 4; i++) { spawn(&t[i], quick, NULL); pthread_detach(t[i]); }
        sleep_ms(50);
    } else if (!strcmp(m, "self_detach")) {
        expect = 4;     /* no alert */
        for (int i = 0; i < 4; i++) spawn(&t[i], self_detach, NULL);
        sleep_ms(50);
    } else if (!strcmp(m, "never_joined")) {
        expect = 3;    /* never_joined x3 */
        for (int i = 0; i < 3; i++) spawn(&t[i], quick, NULL);
        sleep_ms(50);
    } else if (!strcmp(m, "running_at_exit")) { /* running_at_exit x2 */
        for (int i = 0; i < 2; i++) spawn(&t[i], blocked, NULL);
        sleep_ms(20);
    } else if (!strcmp(m, "pthread_exit_joined")) {
        expect = 3;  /* no alert */
        for (int i = 0; i < 3; i++) spawn(&t[i], exits, NULL);
        for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    } else if (!strcmp(m, "pthread_exit_unjoined")) {
        expect = 3; /* never_joined x3 */
        for (int i = 0; i < 3; i++) spawn(&t[i], exits, NULL);
        sleep_ms(50);
    } else if (!strcmp(m, "cancel_joined")) {
        expect = 2;   /* no alert */
        for (int i = 0; i < 2; i++) spawn(&t[i], cancellable, NULL);
        sleep_ms(10);
        for (int i = 0; i < 2; i++) { pthread_cancel(t[i]); pthread_join(t[i], NULL); }
    } else if (!strcmp(m, "cancel_unjoined")) {
        expect = 2; /* never_joined x2 */
        for (int i = 0; i < 2; i++) spawn(&t[i], cancellable, NULL);
        sleep_ms(10);
        for (int i = 0; i < 2; i++) pthread_cancel(t[i]);
        sleep_ms(50);
    } else if (!strcmp(m, "tryjoin_timedjoin")) {
        expect = 2;  /* no alert */
        spawn(&t[0], quick, NULL);
        spawn(&t[1], quick, NULL);
        sleep_ms(30);
        while (pthread_tryjoin_np(t[0], NULL) != 0) sleep_ms(1);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 5;
        if (pthread_timedjoin_np(t[1], NULL, &ts)) abort();
    } else if (!strcmp(m, "nested_joined")) {
        expect = 6;   /* no alert */
        int join = 1;
        for (int i = 0; i < 3; i++) spawn(&t[i], parent, &join);
        for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    } else if (!strcmp(m, "nested_unjoined")) {
        expect = 6; /* never_joined x3, created in parent() */
        int join = 0;
        for (int i = 0; i < 3; i++) spawn(&t[i], parent, &join);
        for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    } else if (!strcmp(m, "named")) {
        expect = 1;           /* never_joined x1, named "named-worker" */
        spawn(&t[0], named, NULL);
        sleep_ms(30);
    } else if (!strcmp(m, "pool_plateau")) {    /* no alert: 8 workers, busy 600 ms, joined */
        int ms = 600;
        for (int i = 0; i < 8; i++) spawn(&t[i], pool_worker, &ms);
        for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    } else if (!strcmp(m, "pool_steps")) {      /* running_at_exit x12, not growing */
        for (int i = 0; i < 6; i++) spawn(&t[i], blocked, NULL);
        sleep_ms(100);
        for (int i = 6; i < 12; i++) spawn(&t[i], blocked, NULL);
        sleep_ms(500);
    } else if (!strcmp(m, "growing")) {         /* growing + running_at_exit x40 */
        for (int i = 0; i < 40; i++) { spawn(&t[i], blocked, NULL); sleep_ms(10); }
    } else if (!strcmp(m, "churn")) {
        expect = 40;           /* no alert: 40 short threads, one at a time, joined */
        for (int i = 0; i < 40; i++) { spawn(&t[0], quick, NULL); pthread_join(t[0], NULL); sleep_ms(5); }
    } else {
        fprintf(stderr, "unknown mode '%s'\n", m);
        return 2;
    }
    /* The threads that finish must have finished (see note_tid). The
     * cancelled ones register before their cancellation point. */
    wait_all_gone(expect);
    puts("ok");
    return 0;
}
