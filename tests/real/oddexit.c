/* oddexit.c - ways of ending other than returning from main, for
 * tests/run_real_programs.sh.
 * usage: oddexit _exit    allocate, print, then _exit(4) (stdout unflushed
 *                         output is written first with write(2))
 *        oddexit spin     allocate and free forever (to be killed);
 *                         prints "spinning" once
 *        oddexit abort    allocate, print, then abort() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *some_work(void)
{
    void *keep = NULL;
    for (int i = 0; i < 100; i++) {
        void *p = malloc(24 + (size_t)i);
        if (i == 50) keep = p;
        else free(p);
    }
    return keep;
}

void *keep;

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    keep = some_work();
    if (!strcmp(mode, "_exit")) {
        static const char msg[] = "oddexit: _exit(4)\n";
        if (write(1, msg, sizeof msg - 1) < 0) return 1;
        _exit(4);
    }
    if (!strcmp(mode, "spin")) {
        static const char msg[] = "spinning\n";
        if (write(1, msg, sizeof msg - 1) < 0) return 1;
        static void *ring[4096];
        for (unsigned long i = 0;; i++) {
            unsigned slot = (unsigned)(i % 4096);
            free(ring[slot]);
            ring[slot] = malloc(16 + i % 512);
        }
    }
    if (!strcmp(mode, "abort")) {
        printf("oddexit: abort()\n");
        fflush(stdout);
        abort();
    }
    fprintf(stderr, "usage: oddexit _exit|spin|abort\n");
    return 2;
}
