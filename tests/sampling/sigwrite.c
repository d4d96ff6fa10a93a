/*
 * sigwrite.c - a shim preloaded before libleaktrace.so (tests/sampling/
 * sampling.sh): the first pwrite made once the program has a SIGTERM
 * handler (a chunk of the trace, written by the program's own thread in
 * sampling mode) raises SIGTERM in the writing thread first. The program's
 * handler calls _exit, which ends the trace: it must not wait for the
 * lock the interrupted write holds.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int fired;

static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    if (!real_pwrite) real_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    struct sigaction sa;
    if (sigaction(SIGTERM, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && !atomic_exchange(&fired, 1))
        raise(SIGTERM);
    return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }
