/* small.c - a small, deterministic allocating program for
 * tests/run_real_programs.sh (tracer error handling, name expansion,
 * secure-execution mode).
 *
 * usage: small [STATUS [pid]]
 *   prints a few deterministic lines to stdout (and nothing to stderr),
 *   leaks 2 blocks, exits with STATUS (default 0); with "pid" also prints
 *   "pid N" (its own pid) as the last line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 0;
    char *names[16];
    size_t total = 0;
    for (int i = 0; i < 16; i++) {
        names[i] = malloc(32 + (size_t)i);
        snprintf(names[i], 32, "block-%02d", i);
        total += strlen(names[i]);
    }
    char *grow = NULL;
    for (int i = 1; i <= 8; i++) {
        grow = realloc(grow, (size_t)i * 100);
        memset(grow, 'a' + i, (size_t)i * 100);
    }
    int *zeros = calloc(64, sizeof *zeros);
    char *dup = strdup("leaked on purpose");
    static void *keep[2];
    keep[0] = dup;
    keep[1] = malloc(1000);           /* leaked */
    for (int i = 0; i < 16; i++) free(names[i]);
    free(grow);
    free(zeros);
    printf("small: %zu name bytes\n", total);
    printf("small: kept %s\n", (char *)keep[0]);
    printf("small: exiting with %d\n", status);
    if (argc > 2 && strcmp(argv[2], "pid") == 0) printf("pid %d\n", (int)getpid());
    return status;
}
