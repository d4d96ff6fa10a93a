/*
 * ring.c - per-thread event rings. Each traced thread owns one
 * single-producer/single-consumer ring of 64-bit words: the thread appends
 * fixed-layout records and publishes them by advancing head (release); the
 * writer thread reads up to head and advances tail. No lock, no shared
 * cache line on the fast path. A record never wraps: when it would not fit
 * before the end of the ring, a PAD record fills the rest.
 *
 * A thread that finds its ring full, because it makes events faster than
 * the writer takes them for a while (a burst of frees over a large heap
 * costs the writer a cache miss each), gets a ring twice as big, up to
 * LT_RING_MAX_WORDS and while all grown rings together stay within
 * LT_RING_BUDGET, instead of waiting. The word counters head and tail go
 * on as before; the owner records the word at which the new ring starts
 * (switch_at), and the writer moves to it when it gets there and frees the
 * old one (lt_ring_switch). On the python workload, rings that stay at
 * 256 KiB made the program wait 0.35 s of a 3.2 s run.
 *
 * Thread states are kept in an append-only registry list and reused once
 * their thread is gone (see tracer.c: lt_thread_reap), so programs that
 * create threads by the thousand do not grow the tracer's memory.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lt_internal.h"

/* How far ahead of the head (in words) lt_ring_reserve asks for the ring's
 * line to be made writable: 8 cache lines, a few events' worth. */
#define WRITE_AHEAD 64u

/* Asks for the cache line at p in a state this core can write (PREFETCHW,
 * a no-op on x86 CPUs that lack it). */
static inline void prefetch_for_write(const void *p)
{
#if defined(__x86_64__)
    __asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p, 1, 3);
#endif
}

_Atomic(lt_thread_t *) lt_threads;

lt_thread_t *lt_thread_new(pid_t tid)
{
    for (lt_thread_t *t = atomic_load(&lt_threads); t; t = t->next) {
        int expect = LT_TS_FREE;
        if (atomic_load_explicit(&t->state, memory_order_relaxed) == LT_TS_FREE &&
            atomic_compare_exchange_strong(&t->state, &expect, LT_TS_LIVE)) {
            t->tid = tid;
            t->stk_hi = 0; /* another thread, another stack */
            t->ucache_off = 0;
            atomic_store(&t->exiting, 0);
            atomic_store(&t->inflight, 0); /* its last owner may have left mid-event (longjmp out of a handler) */
            t->kick_at = atomic_load(&t->head) + (t->ring_mask + 1) / 2;
            return t;
        }
    }
    lt_thread_t *t = lt_mem_alloc(sizeof *t);
    if (!t) return NULL;
    t->ring = lt_mem_alloc(LT_RING_WORDS * sizeof(uint64_t));
    if (!t->ring) { lt_mem_free(t); return NULL; }
    t->ring_mask = t->rd_mask = LT_RING_WORDS - 1;
    t->rd_ring = t->ring;
    t->tid = tid;
    t->kick_at = LT_RING_WORDS / 2;
    atomic_store(&t->state, LT_TS_LIVE);
    lt_thread_t *head = atomic_load(&lt_threads);
    do { t->next = head; } while (!atomic_compare_exchange_weak(&lt_threads, &head, t));
    return t;
}

_Atomic uint64_t lt_ring_waits, lt_ring_wait_ns;
_Atomic uint64_t lt_ring_grown;   /* bytes of rings beyond LT_RING_WORDS, all threads */
_Atomic uint64_t lt_ring_max_words = LT_RING_WORDS;

/* Whether n words, after pad words of padding, do not fit in t's ring yet. */
static inline int ring_full(lt_thread_t *t, uint64_t h, unsigned pad, unsigned n)
{
    return h + pad + n - atomic_load_explicit(&t->tail, memory_order_acquire) > t->ring_mask + 1;
}

/* Words of padding an n-word record at word h needs first: a record never
 * wraps around the end of the ring. */
static inline unsigned ring_pad(const lt_thread_t *t, uint64_t h, unsigned n)
{
    uint64_t words = t->ring_mask + 1, pos = h & t->ring_mask;
    return pos + n > words ? (unsigned)(words - pos) : 0;
}

/* What a ring of `words` words holds beyond the first LT_RING_WORDS
 * (lt_ring_grown, LT_RING_BUDGET). */
static inline uint64_t grown_bytes(uint64_t words)
{
    return (words - LT_RING_WORDS) * sizeof(uint64_t);
}

/* Gives t a ring twice as big from word h on (see the top). Returns 0, or
 * -1 when it cannot (at the limits, out of memory, or the last switch not
 * taken by the writer yet). */
static int ring_grow(lt_thread_t *t, uint64_t h)
{
    uint64_t words = (t->ring_mask + 1) * 2;
    if (words > LT_RING_MAX_WORDS || atomic_load_explicit(&t->switch_at, memory_order_acquire)) return -1;
    uint64_t more = grown_bytes(words);
    uint64_t had = atomic_fetch_add(&lt_ring_grown, more);
    if (had + more > LT_RING_BUDGET) { atomic_fetch_sub(&lt_ring_grown, more); return -1; }
    uint64_t *r = lt_mem_alloc(words * sizeof(uint64_t));
    if (!r) { atomic_fetch_sub(&lt_ring_grown, more); return -1; }
    t->next_ring = r;
    t->next_mask = words - 1;
    atomic_store_explicit(&t->switch_at, h, memory_order_release);
    t->ring = r;
    t->ring_mask = words - 1;
    if (words > atomic_load_explicit(&lt_ring_max_words, memory_order_relaxed))
        atomic_store_explicit(&lt_ring_max_words, words, memory_order_relaxed);
    return 0;
}

void lt_ring_switch(lt_thread_t *t, int can_free)
{
    uint64_t *old = t->rd_ring, old_words = t->rd_mask + 1;
    t->rd_ring = t->next_ring;
    t->rd_mask = t->next_mask;
    atomic_store_explicit(&t->switch_at, 0, memory_order_release);
    if (!can_free) return;
    lt_mem_free(old);
    /* Its bytes beyond the first 256 KiB go back to the budget. */
    if (old_words > LT_RING_WORDS) atomic_fetch_sub(&lt_ring_grown, grown_bytes(old_words));
}

uint64_t *lt_ring_reserve(lt_thread_t *t, unsigned n)
{
    uint64_t h = atomic_load_explicit(&t->head, memory_order_relaxed);
    uint64_t wait_from = 0;
    unsigned pad = ring_pad(t, h, n);
    if (LT_UNLIKELY(ring_full(t, h, pad, n)) && ring_grow(t, h) == 0)
        pad = ring_pad(t, h, n);   /* the new ring starts empty at word h */
    unsigned off_waits = 0;
    for (unsigned spins = 0; ring_full(t, h, pad, n); spins++) {
        if (atomic_load_explicit(&lt_state, memory_order_relaxed) != LT_ST_ACTIVE) {
            /* The trace is ending (exit on another thread) while this
             * event, its sequence number perhaps taken, waits for room:
             * lt_writer_finish drains the rings before it writes the end.
             * Wait for that drain (2 ms at a time, 200 ms at most) rather
             * than leave a gap; after the end, give up. */
            if (off_waits++ >= 100 || lt_writer_wait_progress() < 0) return NULL;
            continue;
        }
        /* A child made with raw clone()/syscall(SYS_fork) ran no fork
         * handler: it has our memory but no writer. Stop tracing there
         * instead of waiting for a thread that does not exist. */
        if (spins == 64 && getpid() != lt_pid) {
            atomic_store(&lt_state, LT_ST_OFF);
            lt_log("process %d was created without fork() (raw clone): it runs untraced", (int)getpid());
            return NULL;
        }
        if (!wait_from) wait_from = lt_now_ns();
        /* The writer's progress count, read before the room is checked
         * again: a drain that ends in between is not waited for. */
        uint32_t seen = lt_writer_progress();
        if (!ring_full(t, h, pad, n)) break;
        lt_writer_kick();
        if (lt_writer_wait_progress_from(seen) < 0) lt_writer_flush_sync();
    }
    if (LT_UNLIKELY(wait_from)) {
        /* Only here, on the slow path: LEAKTRACE_VERBOSE reports it. */
        atomic_fetch_add_explicit(&lt_ring_waits, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&lt_ring_wait_ns, lt_now_ns() - wait_from, memory_order_relaxed);
    }
    if (pad) {
        t->ring[h & t->ring_mask] = LT_R_HDR(LT_R_PAD, pad, 0);
        h += pad;
        atomic_store_explicit(&t->head, h, memory_order_release);
    }
    /* The writer read this part of the ring one lap ago, so the lines are
     * in its core's cache: the first store to each must take the line
     * back, and every locked instruction after it (the sequence counter's
     * add, and the program's own mutexes) waits until it has. Taking the
     * lines a few events ahead moves that wait off the program's path:
     * sqlite 1.43x -> 1.19x, python 1.43x -> 1.35x, mallocbench 5.9x ->
     * 5.5x (docs/performance.md). */
    prefetch_for_write(&t->ring[(h + WRITE_AHEAD) & t->ring_mask]);
    return &t->ring[h & t->ring_mask];
}

void lt_ring_commit(lt_thread_t *t, unsigned n)
{
    uint64_t h = atomic_load_explicit(&t->head, memory_order_relaxed) + n;
    atomic_store_explicit(&t->head, h, memory_order_release);
    if (LT_UNLIKELY(h >= t->kick_at)) {
        t->kick_at = h + (t->ring_mask + 1) / 2;
        /* Sampling mode without a writer thread: events come faster than
         * the program's thread drains them (every 50 ms). */
        if (h - atomic_load_explicit(&t->tail, memory_order_relaxed) >= (t->ring_mask + 1) / 2)
            lt_writer_start_deferred();
        lt_writer_kick();
    }
}
