/* stack.c - pointers held only in live stack frames when exit() is called
 * from a nested function: reachable. Blocks whose pointers lived in frames
 * that already returned are lost. */
#include <stdlib.h>

static void dropped(void)
{
    void *volatile p = malloc(77);       /* the frame is gone at exit: definitely lost */
    (void)p;
}

static void deep(int n, void *volatile *keep)
{
    void *volatile mine = malloc(40 + (size_t)n);
    if (n == 0) {
        *keep = malloc(11);
        exit(0);                          /* every frame above is live */
    }
    deep(n - 1, keep);
    (void)mine;
}

int main(void)
{
    dropped();
    void *volatile keep = NULL;
    void *volatile local = malloc(123);
    deep(4, &keep);
    (void)local;
    return 1;
}
