/* longjmp.c - longjmp (and siglongjmp) out of functions that allocated: for
 * tests/run_matrix.sh. 10 rounds; in each, work() allocates 2002 bytes and a
 * scratch block it frees; odd rounds longjmp out before the free (the block
 * is lost: 5 leaks of 2002 bytes, allocated in work), even rounds free it and
 * return. Then 4 rounds of the same with sigsetjmp/siglongjmp from a nested
 * call, 3030 bytes, all lost (4 leaks, allocated in sigwork).
 * Expected leaks: exactly 5 x 2002 + 4 x 3030 bytes. Prints "jumps 9" and
 * exits 0. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf jb;
static sigjmp_buf sjb;
static char *volatile sink;

__attribute__((noinline)) static void work(int round)
{
    char *p = malloc(2002);
    char *scratch = malloc(50);
    memset(p, round, 2002);
    free(scratch);
    sink = p;
    if (round % 2) longjmp(jb, round);
    free(p);
}

__attribute__((noinline)) static void jump_out(int round) { siglongjmp(sjb, round + 1); }

__attribute__((noinline)) static void sigwork(int round)
{
    char *p = malloc(3030);
    memset(p, round, 3030);
    sink = p;
    jump_out(round);
    free(p);   /* never reached */
}

int main(void)
{
    volatile int jumps = 0;
    for (volatile int round = 0; round < 10; round++) {
        if (setjmp(jb)) { jumps++; continue; }
        work(round);
    }
    for (volatile int round = 0; round < 4; round++) {
        if (sigsetjmp(sjb, 1)) { jumps++; continue; }
        sigwork(round);
    }
    printf("jumps %d\n", jumps);
    return jumps == 9 ? 0 : 1;
}
