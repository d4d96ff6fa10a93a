/* pprof_dllib.c - the library of pprof_dlclose.c: leaks 3 blocks of 512
 * bytes from dllib_leak_blocks; it is dlclose'd before the program ends. */
#include <stdlib.h>

void *dllib_kept[3];

__attribute__((noinline)) void dllib_leak_blocks(void)
{
    for (int i = 0; i < 3; i++) {
        dllib_kept[i] = malloc(512);
        ((char *)dllib_kept[i])[0] = 1;
    }
}
