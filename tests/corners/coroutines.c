/* coroutines.c - swapcontext coroutines allocating on their own stacks: for
 * tests/run_matrix.sh. Two coroutines run on malloc'd 128 KiB stacks and
 * take turns with main 2,000 times; at each turn a coroutine allocates a
 * 3003-byte block from coro_step (a frame on the coroutine's stack) and frees
 * the previous one. When they finish each leaves its last block (2 leaks of
 * 3003 bytes, allocated in coro_step called from coro_body); the stacks are
 * freed. The tracer unwinds from the coroutine stacks (the walk ends at
 * glibc's __start_context). Prints "turns 4000" and exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define STACK (128 * 1024)
#define TURNS 2000

static ucontext_t main_ctx, co_ctx[2];
static int turns;

__attribute__((noinline)) static char *coro_step(char *prev, int id, int i)
{
    char *p = malloc(3003);
    memset(p, id + i, 3003);
    free(prev);
    return p;
}

static void coro_body(int id)
{
    char *last = NULL;
    for (int i = 0; i < TURNS; i++) {
        last = coro_step(last, id, i);
        turns++;
        swapcontext(&co_ctx[id], &main_ctx);
    }
    /* last is not freed: the expected leak; uc_link returns to main */
}

int main(void)
{
    char *stacks[2];
    for (int id = 0; id < 2; id++) {
        stacks[id] = malloc(STACK);
        getcontext(&co_ctx[id]);
        co_ctx[id].uc_stack.ss_sp = stacks[id];
        co_ctx[id].uc_stack.ss_size = STACK;
        co_ctx[id].uc_link = &main_ctx;
        makecontext(&co_ctx[id], (void (*)(void))coro_body, 1, id);
    }
    /* TURNS + 1 switches each: the last one lets coro_body return */
    for (int i = 0; i <= TURNS; i++)
        for (int id = 0; id < 2; id++) swapcontext(&main_ctx, &co_ctx[id]);
    for (int id = 0; id < 2; id++) free(stacks[id]);
    printf("turns %d\n", turns);
    return turns == 2 * TURNS ? 0 : 1;
}
