/* underscore_exit.c - leaves through _exit(3): no destructors run, and no
 * scan: the report says so and lists the blocks as not freed. */
#include <stdlib.h>
#include <unistd.h>

void *volatile kept;

int main(void)
{
    kept = malloc(10);
    void *volatile lost = malloc(20);
    lost = NULL;
    (void)lost;
    _exit(7);
}
