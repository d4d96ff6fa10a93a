/* churn.c - exit() while 8 threads allocate and free as fast as they can,
 * each keeping up to 64 blocks in an array on its stack. The scan must not
 * hang or change the exit status (3) or the output; every kept block is
 * reachable (the threads are stopped, their arrays are on their stacks),
 * nothing is lost, except the thread vectors (possibly lost, as valgrind). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *churn(void *arg)
{
    (void)arg;
    void *volatile keep[64] = { 0 };
    unsigned r = (unsigned)(size_t)&keep;
    for (;;) {
        r = r * 1103515245u + 12345u;
        int i = (int)((r >> 8) % 64);
        free(keep[i]);
        keep[i] = malloc((r >> 16) % 70000 + 1);
        if (keep[i]) memset(keep[i], 1, 8);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    for (int i = 0; i < 8; i++) pthread_create(&t, NULL, churn, NULL);
    usleep(30000);
    printf("bye\n");
    exit(3);
}
