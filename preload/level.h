/*
 * level.h - LEAKTRACE_COMPRESSION=auto's choice between zstd's fast level
 * and its small one, as a pure function of what the writer measured: the
 * time the program's threads waited for the writer and the writer thread's
 * CPU time, both running totals in ns. Used by writer.c, tested by the
 * unit tests. No I/O, no globals.
 */
#ifndef LT_LEVEL_H
#define LT_LEVEL_H

#include <stdint.h>

#define LT_LEVEL_WAIT_BUDGET_NS 10000000ull   /* waits per second that switch to fast */
#define LT_LEVEL_WAIT_WINDOW_NS 1000000000ull
#define LT_LEVEL_BUSY_WINDOW_NS 100000000ull  /* the writer busy more than half of this: fast */
#define LT_LEVEL_FAST_FOR_NS 1000000000ull    /* how long either keeps the level fast */

typedef struct lt_level_state {
    uint64_t wait_mark, wait_at;   /* waited total at the start of the wait window, its start */
    uint64_t cpu_mark, cpu_at;     /* writer CPU at the start of the busy window, its start (0: none yet) */
    uint64_t fast_until;
} lt_level_state_t;

/* Whether to compress at the fast level now. now is CLOCK_MONOTONIC ns
 * (any origin above 0, never going back within one state); waited_ns
 * and writer_cpu_ns only grow. A zeroed state starts at the small level;
 * the first busy window only sets its marks. Contract: call at most once
 * per chunk, from one thread at a time. */
static inline int lt_level_fast(lt_level_state_t *s, uint64_t now, uint64_t waited_ns, uint64_t writer_cpu_ns)
{
    if (waited_ns - s->wait_mark > LT_LEVEL_WAIT_BUDGET_NS) s->fast_until = now + LT_LEVEL_FAST_FOR_NS;
    if (now - s->wait_at >= LT_LEVEL_WAIT_WINDOW_NS) {
        s->wait_mark = waited_ns;
        s->wait_at = now;
    }
    if (now - s->cpu_at >= LT_LEVEL_BUSY_WINDOW_NS) {
        if (s->cpu_at && 2 * (writer_cpu_ns - s->cpu_mark) > now - s->cpu_at) s->fast_until = now + LT_LEVEL_FAST_FOR_NS;
        s->cpu_mark = writer_cpu_ns;
        s->cpu_at = now;
    }
    return now < s->fast_until;
}

#endif
