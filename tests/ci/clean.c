/*
 * clean.c - a test program of tests/ci that frees everything it allocates
 * (also what it allocated in a thread it joins): no finding of any kind.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void *work(void *arg)
{
    char *p = malloc(64);
    memset(p, 1, 64);
    free(p);
    return arg;
}

int main(void)
{
    void *blocks[32];
    for (int i = 0; i < 32; i++) blocks[i] = malloc((size_t)(i + 1) * 8);
    for (int i = 0; i < 32; i++) free(blocks[i]);
    pthread_t t;
    pthread_create(&t, NULL, work, NULL);
    pthread_join(t, NULL);
    return 0;
}
