/* chunky.c - allocates and frees in rounds separated by short sleeps, so
 * that its trace has several chunks (the tracer flushes about every 50 ms):
 * the source trace of the analyzer's damaged-input tests in
 * tests/run_real_programs.sh. Prints one line; leaks ROUNDS blocks.
 * usage: chunky [ROUNDS (default 12)] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void *kept[1000]; /* leaked: global, so reachable for valgrind */

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 12;
    unsigned long sum = 0;
    for (int r = 0; r < rounds && r < 1000; r++) {
        void *tmp[200];
        for (int i = 0; i < 200; i++) {
            tmp[i] = malloc(16 + (size_t)((i * 37 + r) % 300));
            memset(tmp[i], i, 16);
            sum += (unsigned long)((unsigned char *)tmp[i])[3];
        }
        for (int i = 0; i < 200; i++) free(tmp[i]);
        kept[r] = malloc(64 + (size_t)r);
        struct timespec ts = { 0, 70 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    printf("chunky: %d rounds, sum %lu\n", rounds, sum);
    return 0;
}
