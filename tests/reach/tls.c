/* tls.c - pointers held in thread-local storage: __thread variables and
 * pthread_setspecific values, of the main thread and of a thread still
 * running (blocked) at exit. All reachable; the values replaced are lost. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

__thread void *volatile tls_ptr;
static pthread_key_t key;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static void *worker(void *arg)
{
    (void)arg;
    tls_ptr = malloc(210);
    pthread_setspecific(key, malloc(220));
    pthread_mutex_lock(&mu);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    for (;;) pause();                    /* still running at exit */
    return NULL;
}

int main(void)
{
    pthread_key_create(&key, NULL);
    tls_ptr = malloc(110);
    pthread_setspecific(key, malloc(120));
    void *volatile gone = malloc(130);   /* replaced below: lost */
    tls_ptr = gone;
    gone = NULL;
    tls_ptr = malloc(140);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&mu);
    while (!ready) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    exit(0);
}
