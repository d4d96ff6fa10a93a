// Deep recursion beyond the default stack depth limit (64 frames): at depth
// 200 deep_leaf_alloc mallocs and leaks. Its stack is truncated to exactly 64
// frames (the innermost ones: deep_leaf_alloc and 63 deep_recurse frames),
// and it is still attributed to deep_leaf_alloc. Each level of deep_recurse
// also leaks 16 bytes: 200 blocks whose stacks become identical once
// truncated (every level deeper than 63 looks alike), however the analyzer
// groups them, they sum to 3200 bytes in 200 blocks.
//
// EXPECT: leak deep_leaf_alloc 4242 1
// EXPECT: depth-truncated deep_leaf_alloc
// EXPECT: leak deep_recurse 3200 200
// EXPECT: no-other-leaks
//
// Checked against valgrind 3.19 (memcheck --leak-check=full
// --show-leak-kinds=all --num-callers=300): 4,242 bytes in 1 block at
// deep_leaf_alloc (202 frames below malloc: deep_leaf_alloc, 200 x
// deep_recurse and main, where valgrind stops), 3,200 bytes in 200 blocks
// at deep_recurse (with valgrind's default --num-callers=12 the same total,
// merged into 11 records: 10 single ones and one of 190 blocks), nothing
// else from this file.
//
// Also: malloc leaves errno alone (exit status 1 otherwise). Each level's
// frame holds 512 bytes, so the 200 levels span 25 pages of stack: the
// unwinds behind these stacks make libunwind check stack pages, which sets
// errno inside libunwind (preload/unwind.c gives it back).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

enum { DEPTH = 200 };

void *leaf_block;
void *level_blocks[DEPTH + 1];
int errno_changed;

NOINLINE void deep_leaf_alloc(void) { leaf_block = malloc(4242); }

/* Not a tail call at -O0, and the work after the call keeps it that way. */
NOINLINE int deep_recurse(int depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    errno = 4242;
    level_blocks[depth] = malloc(16);
    if (errno != 4242) errno_changed++;
    if (depth == DEPTH) {
        deep_leaf_alloc();
        return depth;
    }
    int r = deep_recurse(depth + 1);
    return r + 0 * depth + 0 * pad[0];
}

int main(void)
{
    int r = deep_recurse(1);
    printf("deep_recursion: reached depth %d\n", r);
    if (errno_changed) printf("deep_recursion: malloc changed errno %d times\n", errno_changed);
    return r == DEPTH && !errno_changed ? 0 : 1;
}
