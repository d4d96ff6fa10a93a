/*
 * lostfile.c - the tracer loses its trace file while its writer is behind.
 *
 *   lostfile THREADS ITERATIONS [early]
 *
 * THREADS threads free and allocate blocks of random sizes up to 64 KiB as
 * fast as they can (the tracer's writer falls behind and its buffers fill),
 * are joined, and the program closes every file descriptor above 2 and
 * deletes the file named by $LEAKTRACE_OUTPUT, as a daemon cleaning up
 * might; then it prints "done" and exits 0. The tracer's last drain finds
 * its file gone with megabytes of events still to encode: it must say so
 * in one line and leave the program's output and exit status alone
 * (tests/run_matrix.sh, corner_trace_file_lost; run with `ulimit -f`, the
 * same for a trace that cannot grow). With "early", the file is deleted
 * before the threads start and no descriptor is closed: the tracer must
 * notice at its next write that it writes into a file nobody can read.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *work(void *arg)
{
    long n = (long)arg;
    void *slot[256] = { 0 };
    unsigned r = (unsigned)n * 2654435761u;
    for (long i = 0; i < n; i++) {
        r = r * 1103515245u + 12345u;
        unsigned k = (r >> 8) & 255;
        free(slot[k]);
        slot[k] = malloc(16 + (r >> 12) % (1u << 16));
    }
    for (int k = 0; k < 256; k++) free(slot[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    int nt = argc > 1 ? atoi(argv[1]) : 6;
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    int early = argc > 3 && strcmp(argv[3], "early") == 0;
    const char *out = getenv("LEAKTRACE_OUTPUT");
    pthread_t t[64];
    if (nt < 1 || nt > 64) nt = 6;
    if (early && out) unlink(out);
    for (int i = 0; i < nt; i++)
        if (pthread_create(&t[i], NULL, work, (void *)n) != 0) return 2;
    for (int i = 0; i < nt; i++) pthread_join(t[i], NULL);
    if (!early) {
        for (int fd = 3; fd < 4096; fd++) close(fd);
        if (out) unlink(out);
    }
    puts("done");
    return 0;
}
