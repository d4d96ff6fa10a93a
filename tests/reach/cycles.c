/* cycles.c - rings of blocks: one reachable from a global, one cut off
 * (the lowest address is definitely lost, the others indirectly), a
 * block pointing to itself and nothing else pointing to it, and two
 * blocks pointing at each other. */
#include <stdlib.h>

struct ring { struct ring *next; char data[40]; };

struct ring *volatile kept;

static struct ring *make_ring(int n)
{
    struct ring *first = calloc(1, sizeof *first), *prev = first;
    for (int i = 1; i < n; i++) {
        struct ring *r = calloc(1, sizeof *r);
        prev->next = r;
        prev = r;
    }
    prev->next = first;
    return first;
}

int main(void)
{
    kept = make_ring(4);
    struct ring *volatile lost = make_ring(6);
    lost = NULL;
    struct ring *volatile self = calloc(1, sizeof *self);
    self->next = self;
    self = NULL;
    struct ring *volatile a = calloc(1, sizeof *a), *volatile b = calloc(1, sizeof *b);
    a->next = b;
    b->next = a;
    a = b = NULL;
    (void)lost;
    return 0;
}
