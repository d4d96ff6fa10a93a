/*
 * threadleft.c - a test program of tests/ci that exits with a worker
 * thread still running (blocked): a running_at_exit thread alert, and no
 * heap leak of its own.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *worker_main(void *arg)
{
    pthread_mutex_lock(&gate);   /* never unlocked by main: blocks forever */
    return arg;
}

int main(void)
{
    pthread_mutex_lock(&gate);
    pthread_t t;
    pthread_create(&t, NULL, worker_main, NULL);
    usleep(20000);
    exit(0);
}
