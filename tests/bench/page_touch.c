/*
 * page_touch.c - what the first write to fresh memory costs on this machine
 * (docs/performance.md, 2026-12-04).
 *
 *   cc -O2 tests/bench/page_touch.c -o /tmp/page_touch && /tmp/page_touch [MIB] [ROUNDS]
 *
 * For each way of mapping MIB MiB (default 168, python's live table in the
 * analyzer), ROUNDS times (default 3): the time to map and populate, then
 * to write one byte per 64-byte line, then to write them again. The second
 * write is the cost of the memory itself; the first, less the second, is
 * what making the pages present costs.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define ALIGN ((size_t)2 << 20)

static double ms_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

enum { SMALL_LAZY, SMALL_MAP_POPULATE, SMALL_MADV_POPULATE, HUGE_LAZY, HUGE_POPULATE, NMODES };
static const char *const names[NMODES] = {
    "4 KiB pages, faulted as touched", "4 KiB pages, MAP_POPULATE", "4 KiB pages, MADV_POPULATE_WRITE",
    "huge pages, faulted as touched", "huge pages, MADV_POPULATE_WRITE",
};

static void touch(volatile char *m, size_t n, char v)
{
    for (size_t i = 0; i < n; i += 64) m[i] = v;
}

int main(int argc, char **argv)
{
    size_t n = (size_t)(argc > 1 ? atol(argv[1]) : 168) << 20;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    if (!n || rounds < 1) {
        fprintf(stderr, "usage: %s [MIB] [ROUNDS]\n", argv[0]);
        return 2;
    }
    for (int mode = 0; mode < NMODES; mode++) {
        for (int r = 0; r < rounds; r++) {
            double t0 = ms_now();
            char *raw = mmap(NULL, n + ALIGN, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | (mode == SMALL_MAP_POPULATE ? MAP_POPULATE : 0), -1, 0);
            if (raw == MAP_FAILED) {
                perror("mmap");
                return 1;
            }
            char *m = raw;
            if (mode >= HUGE_LAZY) {
                m = (char *)(((uintptr_t)raw + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
                if (madvise(m, n, MADV_HUGEPAGE) != 0) perror("madvise(MADV_HUGEPAGE)");
            }
            if ((mode == SMALL_MADV_POPULATE || mode == HUGE_POPULATE) && madvise(m, n, MADV_POPULATE_WRITE) != 0)
                perror("madvise(MADV_POPULATE_WRITE)");
            double t1 = ms_now();
            touch(m, n, 1);
            double t2 = ms_now();
            touch(m, n, 2);
            double t3 = ms_now();
            printf("%-34s map %6.1f ms  first write %6.1f ms  second write %5.1f ms\n", names[mode], t1 - t0, t2 - t1,
                   t3 - t2);
            munmap(raw, n + ALIGN);
        }
    }
    return 0;
}
