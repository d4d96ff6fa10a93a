/* closefds.c - a program that closes every file descriptor above 2, as
 * daemons and process supervisors do, then opens files of its own and
 * writes to them: for tests/run_real_programs.sh. The tracer must not harm
 * it (docs/tracer.md: at worst it stops tracing with one line on stderr):
 * its descriptors must not be closed, replaced or written by the tracer.
 *
 * usage: closefds DIR
 *   ROUNDS times: close fds 3..1023, open DIR/rR-fI.txt (I = 0..7),
 *   allocate (also from call sites never used before, whose stacks are
 *   unwound from scratch), wait for the tracer's writer to flush, write
 *   "hello R I\n" to each file and close it.
 *   Prints "N failed writes" (with the first failure) and exits 0 if none
 *   failed, 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { ROUNDS = 6, FILES = 8 };

void *kept[ROUNDS][600];

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Distinct call sites per round, each deeper in the stack than the last
 * (a large frame): the unwinder meets return addresses and stack pages it
 * has not seen before. */
#define SITE(n)                                                       \
    __attribute__((noinline)) static void *site_##n(size_t k)         \
    {                                                                 \
        volatile char pad[(n + 1) * 16384];                           \
        pad[0] = pad[sizeof pad - 1] = (char)k;                       \
        return malloc(40 + k + (size_t)pad[0] * 0);                   \
    }
SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5)
static void *(*const sites[ROUNDS])(size_t) = { site_0, site_1, site_2, site_3, site_4, site_5 };

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: closefds DIR\n");
        return 2;
    }
    /* report a write into a pipe the tracer left at our descriptor as EPIPE
     * instead of dying of SIGPIPE (which the test would see as 141) */
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < 300; i++) kept[0][i] = malloc(64);
    pause_ms(120); /* the tracer's writer has flushed at least once */
    int failed = 0;
    char first[256] = "";
    for (int r = 0; r < ROUNDS; r++) {
        for (int fd = 3; fd < 1024; fd++) close(fd);
        int fds[FILES];
        char name[4096], text[32];
        for (int i = 0; i < FILES; i++) {
            snprintf(name, sizeof name, "%s/r%d-f%d.txt", argv[1], r, i);
            fds[i] = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        }
        for (int i = 300; i < 600; i++) kept[r][i] = i % 100 ? malloc(64) : sites[r]((size_t)i);
        pause_ms(60); /* the writer flushes (every 50 ms) */
        for (int i = 0; i < FILES; i++) {
            int n = snprintf(text, sizeof text, "hello %d %d\n", r, i);
            ssize_t w = fds[i] < 0 ? -1 : write(fds[i], text, (size_t)n);
            int e = errno;
            if (w != n || close(fds[i]) != 0) {
                if (!failed++)
                    snprintf(first, sizeof first, " (first: round %d file %d fd %d: %s)", r, i, fds[i],
                             w != n ? strerror(e) : "close failed");
            }
        }
    }
    printf("%d failed writes%s\n", failed, first);
    return failed != 0;
}
