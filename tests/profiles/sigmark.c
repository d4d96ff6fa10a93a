/* sigmark.c - raises SIGUSR2 between allocations, with its own handler on
 * SIGUSR1, for tests/profiles/marks.sh (LEAKTRACE_MARK_SIGNAL). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile sig_atomic_t usr1;
static void on_usr1(int s) { (void)s; usr1++; }

int main(void)
{
    signal(SIGUSR1, on_usr1);
    void *a = malloc(111);
    raise(SIGUSR2);
    void *b = malloc(222);
    raise(SIGUSR1);
    raise(SIGUSR2);
    void *c = malloc(333);
    printf("usr1 handled %d time(s)\n", (int)usr1);
    free(a); free(b); free(c);
    return 0;
}
