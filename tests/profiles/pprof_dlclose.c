/* pprof_dlclose.c - test program of tests/profiles/pprof.sh: dlopens
 * libpprofdl.so (argv[1]), calls its leaking function, dlcloses it. The
 * leak's frames must keep their names in the pprof profile although the
 * library was unmapped before the trace ended. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    void (*leak)(void) = (void (*)(void))dlsym(h, "dllib_leak_blocks");
    if (!leak) return 2;
    leak();
    return dlclose(h) == 0 ? 0 : 2;
}
