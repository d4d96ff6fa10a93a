/* sigalloc.c - a signal handler that allocates: for tests/run_matrix.sh.
 * glibc's malloc is not async-signal-safe, so the handler only runs while
 * the thread it interrupts is not in malloc: main waits in sigsuspend() with
 * SIGALRM unblocked only there (a timer sends it every 200 us). Meanwhile a
 * second thread (SIGALRM blocked) allocates and frees without pause, so the
 * handler's allocations race with another thread inside the tracer.
 * The handler allocates 4004 bytes each time; every 4th block is kept (a
 * leak), the others are freed at once. 200 signals: exactly 50 leaks of 4004
 * bytes allocated in on_alarm. The worker frees all it allocates. Prints
 * "signals 200" and exits 0. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define NSIG_WANT 200

static volatile sig_atomic_t nsig;
static void *kept[NSIG_WANT / 4];
static atomic_int stop;

static void on_alarm(int s)
{
    (void)s;
    if (nsig >= NSIG_WANT) return;
    char *p = malloc(4004);
    memset(p, 1, 4004);
    if (nsig % 4 == 0) kept[nsig / 4] = p;
    else free(p);
    nsig++;
}

static void *storm(void *arg)
{
    (void)arg;
    void *slot[64] = {0};
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        free(slot[i % 64]);
        slot[i % 64] = malloc(16 + i % 512);
    }
    for (int i = 0; i < 64; i++) free(slot[i]);
    return NULL;
}

int main(void)
{
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &block, &wait_mask);   /* the worker inherits it */
    sigdelset(&wait_mask, SIGALRM);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, storm, NULL)) return 2;
    struct itimerval it = { { 0, 200 }, { 0, 200 } };
    setitimer(ITIMER_REAL, &it, NULL);
    while (nsig < NSIG_WANT) sigsuspend(&wait_mask);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    printf("signals %d\n", (int)nsig);
    return 0;
}
