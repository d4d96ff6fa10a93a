// dlopen + dlclose: a function in a dlopen'ed library leaks, and the library
// is dlclose'd (really unmapped) before the program exits; the leak must
// still be attributed to the library's function, by name. Then a second
// library is loaded (probably at the same address as the first) and leaks
// too: each leak must be attributed to its own library's function.
// The libraries are found next to the executable (/proc/self/exe).
//
// BUILD: -ldl
// BUILD-LIB: libdlleak.c
// BUILD-LIB: libdlleak2.c
// EXPECT: leak dlleak_make_blocks 1600 5
// EXPECT: leak dlleak2_other_blocks 672 7
// EXPECT: leak dlleak_balanced 0 0
// EXPECT: leak main_leak_between 40 1
// EXPECT: module dlleak_make_blocks libdlleak.so
// EXPECT: module dlleak2_other_blocks libdlleak2.so
// EXPECT: no-other-leaks
//
// Checked against valgrind 3.19 (memcheck --leak-check=full
// --show-leak-kinds=all --keep-debuginfo=yes, needed for valgrind to name
// code that was unloaded): 1,600 bytes in 5 blocks at dlleak_make_blocks
// (libdlleak.c), 672 bytes in 7 blocks at dlleak2_other_blocks
// (libdlleak2.c), 40 bytes in 1 block at main_leak_between, nothing else
// from these files. Without --keep-debuginfo valgrind shows "???" for the
// unloaded library's frames: exactly what leaktrace must do better.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

void *keep;

static void lib_path(char *out, size_t n, const char *name)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len < 0) {
        perror("readlink");
        exit(2);
    }
    exe[len] = '\0';
    snprintf(out, n, "%s/%s", dirname(exe), name);
}

static void *load(const char *name, const char *sym, void **handle)
{
    char path[PATH_MAX + 64];
    lib_path(path, sizeof path, name);
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (*handle == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(2);
    }
    void *f = dlsym(*handle, sym);
    if (f == NULL) {
        fprintf(stderr, "dlsym %s: %s\n", sym, dlerror());
        exit(2);
    }
    return f;
}

NOINLINE void main_leak_between(void) { keep = malloc(40); }

int main(void)
{
    void *h1, *h2;
    void (*make)(int) = (void (*)(int))load("libdlleak.so", "dlleak_make_blocks", &h1);
    int (*balanced)(void) = (int (*)(void))load("libdlleak.so", "dlleak_balanced", &h1);
    dlclose(h1);                     /* load() opened it twice */
    make(5);
    balanced();
    fprintf(stderr, "libdlleak.so code at %p\n", (void *)make);
    if (dlclose(h1) != 0)
        return 3;

    main_leak_between();

    void (*other)(int) = (void (*)(int))load("libdlleak2.so", "dlleak2_other_blocks", &h2);
    other(7);
    fprintf(stderr, "libdlleak2.so code at %p\n", (void *)other);
    if (dlclose(h2) != 0)
        return 3;

    printf("dlopen_leak: done\n");
    return 0;
}
