/*
 * paced.c - allocates at a chosen pace, for tests/profiles/compression.sh.
 *
 *   paced ITERATIONS SPIN [ITERATIONS2 SPIN2]
 *
 * Each iteration frees one of 1024 slots and mallocs 16..271 bytes into it,
 * then does SPIN rounds of arithmetic: SPIN 0 allocates as fast as malloc
 * goes (the tracer's writer cannot keep up), a few hundred is a program
 * that does some work per allocation (sqlite's pace). With ITERATIONS2
 * and SPIN2, it then forks: the child runs that many iterations at that
 * pace and exits, the parent waits for it and exits (so the child's
 * tracer finishes first). Prints the checksum of the arithmetic so that
 * the compiler keeps it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *slot[1024];

static uint64_t run(long n, long spin)
{
    static uint64_t x = 88172645463325252ull;
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned s = (unsigned)(x & 1023);
        free(slot[s]);
        slot[s] = malloc(16 + (size_t)((x >> 10) & 255));
        for (long k = 0; k < spin; k++) sum = sum * 6364136223846793005ull + (uint64_t)k;
    }
    for (unsigned s = 0; s < 1024; s++) {
        free(slot[s]);
        slot[s] = NULL;
    }
    return sum;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: paced ITERATIONS SPIN [ITERATIONS2 SPIN2]\n");
        return 2;
    }
    uint64_t sum = run(atol(argv[1]), atol(argv[2]));
    if (argc == 5) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            sum = run(atol(argv[3]), atol(argv[4]));
            printf("child %llu\n", (unsigned long long)(sum & 0xffff));
            return 0;
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 1;
    }
    printf("%llu\n", (unsigned long long)(sum & 0xffff));
    return 0;
}
