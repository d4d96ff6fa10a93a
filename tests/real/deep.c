/* deep.c - recursion DEPTH (100) levels deep, then one malloc(4242) that
 * leaks: its recorded stack is cut at the tracer's depth limit
 * (LEAKTRACE_DEPTH, default 64). Prints one line. For
 * tests/run_real_programs.sh. */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
enum { DEPTH = 100 };

void *deep_block;

NOINLINE void deep_leaf(void) { deep_block = malloc(4242); }

NOINLINE int deep_down(int depth)
{
    if (depth == DEPTH) {
        deep_leaf();
        return depth;
    }
    int r = deep_down(depth + 1);
    return r + 0 * depth; /* keeps the call from being a tail call */
}

int main(void)
{
    printf("deep: %d\n", deep_down(1));
    return 0;
}
