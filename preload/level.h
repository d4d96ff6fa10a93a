/*
 * level.h - LEAKTRACE_COMPRESSION=auto's choice among three settings of
 * zstd, as a pure function of what the writer measured: the time the
 * program's threads waited for the writer and the writer thread's CPU
 * time, both running totals in ns. Used by writer.c, tested by the unit
 * tests. No I/O, no globals.
 *
 *   LT_TIER_DEEP   the small level searching deeper: smallest traces
 *   LT_TIER_SMALL  the small level
 *   LT_TIER_FAST   the fast level
 *
 * Fast for a second after the program waited more than the budget in a
 * second, or after the writer was busy more than half of a 100 ms window
 * in which it never searched deep. Deep after a window all at the small
 * level in which the writer was busy at most 40 % of the time, and
 * for as long as it stays busy at most half of each window while searching
 * deep; a deep window over that blames the deep search, not the writer's
 * load: the small level for a while (1 s, doubling at each failure in a
 * row up to 16 s; a deep window that passes starts the count again), and
 * the next window at the small level tells whether the writer keeps up.
 * Small otherwise, and from the start: a writer that is behind from its
 * first chunk on (mallocbench) never searches deep. lt_level_begin makes
 * the first window shorter and starts it at the writer's start.
 */
#ifndef LT_LEVEL_H
#define LT_LEVEL_H

#include <stdint.h>

#define LT_LEVEL_WAIT_BUDGET_NS 10000000ull   /* waits per second that switch to fast */
#define LT_LEVEL_WAIT_WINDOW_NS 1000000000ull
#define LT_LEVEL_BUSY_WINDOW_NS 100000000ull  /* the writer busy more than half of this: fast */
#define LT_LEVEL_FAST_FOR_NS 1000000000ull    /* how long either keeps the level fast */
#define LT_LEVEL_FIRST_WINDOW_NS 40000000ull /* a begun state's first window (lt_level_begin) */
#define LT_LEVEL_DEEP_EARN_PCT 40             /* busy at most this % of a window without deep: deep */
#define LT_LEVEL_DEEP_BUSY_PCT 50             /* deep busy more than this % of a window: not deep for ... */
#define LT_LEVEL_DEEP_OFF_NS 1000000000ull    /* ... this long, doubled at each failure in a row ... */
#define LT_LEVEL_DEEP_OFF_MAX_NS 16000000000ull  /* ... up to this */

enum { LT_TIER_DEEP = 0, LT_TIER_SMALL = 1, LT_TIER_FAST = 2 };

typedef struct lt_level_state {
    uint64_t wait_mark, wait_at;   /* waited total at the start of the wait window, its start */
    uint64_t cpu_mark, cpu_at;     /* writer CPU at the start of the busy window, its start (0: none yet) */
    uint64_t fast_until;
    uint64_t deep_after, deep_off; /* no deep search before deep_after; the last time off (0: none) */
    int deep_in_window;            /* the busy window has chunks searched deep */
    int deep_ok;                   /* the last window allows deep search */
    int fast_in_window;            /* the busy window has chunks at the fast level */
    int first;                     /* the first window of a begun state */
} lt_level_state_t;

/* Starts the first busy window at the writer thread's start (now, its CPU
 * time cpu): the window is judged at the first chunk after 40 ms, so that
 * a writer with time to spare searches deep from its second chunk on
 * (sqlite's trace: its first three chunks were at the small level, 170
 * instead of 160 kB). That window holds the writer's start, its first
 * touch of its buffers and zstd's tables: it can earn the deep tier, but
 * it never makes the level fast (the waits rule still can). */
static inline void lt_level_begin(lt_level_state_t *s, uint64_t now, uint64_t cpu)
{
    s->cpu_at = now;
    s->cpu_mark = cpu;
    s->first = 1;
    /* What windows without a writer thread said (its CPU 0: calm) does
     * not count for the writer's. */
    s->deep_ok = s->deep_in_window = s->fast_in_window = 0;
}

/* The tier for the next chunk. now is CLOCK_MONOTONIC ns (any origin
 * above 0, never going back within one state); waited_ns and
 * writer_cpu_ns only grow. A zeroed state starts small; unless begun
 * (lt_level_begin), the first busy window only sets its marks. Contract: call once per chunk, from one
 * thread at a time, and compress the chunk at the tier returned (the busy
 * rule judges the deep search by the windows it ran in). */
static inline int lt_level_tier(lt_level_state_t *s, uint64_t now, uint64_t waited_ns, uint64_t writer_cpu_ns)
{
    if (waited_ns - s->wait_mark > LT_LEVEL_WAIT_BUDGET_NS) s->fast_until = now + LT_LEVEL_FAST_FOR_NS;
    if (now - s->wait_at >= LT_LEVEL_WAIT_WINDOW_NS) {
        s->wait_mark = waited_ns;
        s->wait_at = now;
    }
    if (now - s->cpu_at >= (s->first ? LT_LEVEL_FIRST_WINDOW_NS : LT_LEVEL_BUSY_WINDOW_NS)) {
        uint64_t busy = writer_cpu_ns - s->cpu_mark, span = now - s->cpu_at;
        if (!s->cpu_at) {
            /* the first window: marks only */
        } else if (s->first) {
            s->deep_ok = !s->fast_in_window && 100 * busy <= LT_LEVEL_DEEP_EARN_PCT * span;
        } else if (s->deep_in_window) {
            if (100 * busy > LT_LEVEL_DEEP_BUSY_PCT * span) {
                s->deep_off = !s->deep_off ? LT_LEVEL_DEEP_OFF_NS
                              : 2 * s->deep_off > LT_LEVEL_DEEP_OFF_MAX_NS ? LT_LEVEL_DEEP_OFF_MAX_NS : 2 * s->deep_off;
                s->deep_after = now + s->deep_off;
                s->deep_ok = 0;
            } else {
                s->deep_off = 0;
            }
        } else {
            if (2 * busy > span) s->fast_until = now + LT_LEVEL_FAST_FOR_NS;
            /* only a window at the small level tells what the small level
             * costs: one at the fast level is calm because it is fast */
            s->deep_ok = !s->fast_in_window && 100 * busy <= LT_LEVEL_DEEP_EARN_PCT * span;
        }
        s->cpu_mark = writer_cpu_ns;
        s->cpu_at = now;
        s->deep_in_window = s->fast_in_window = s->first = 0;
    }
    if (now < s->fast_until) {
        s->fast_in_window = 1;
        return LT_TIER_FAST;
    }
    if (!s->deep_ok || now < s->deep_after) return LT_TIER_SMALL;
    s->deep_in_window = 1;
    return LT_TIER_DEEP;
}

#endif
