/*
 * ring.c - per-thread event rings. Each traced thread owns one
 * single-producer/single-consumer ring of 64-bit words: the thread appends
 * fixed-layout records and publishes them by advancing head (release); the
 * writer thread reads up to head and advances tail. No lock, no shared
 * cache line on the fast path. A record never wraps: when it would not fit
 * before the end of the ring, a PAD record fills the rest.
 *
 * Thread states are kept in an append-only registry list and reused once
 * their thread is gone (see tracer.c: lt_thread_reap), so programs that
 * create threads by the thousand do not grow the tracer's memory.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lt_internal.h"

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
            t->kick_at = atomic_load(&t->head) + LT_RING_WORDS / 2;
            return t;
        }
    }
    lt_thread_t *t = lt_mem_alloc(sizeof *t);
    if (!t) return NULL;
    t->ring = lt_mem_alloc(LT_RING_WORDS * sizeof(uint64_t));
    if (!t->ring) { lt_mem_free(t); return NULL; }
    t->tid = tid;
    t->kick_at = LT_RING_WORDS / 2;
    atomic_store(&t->state, LT_TS_LIVE);
    lt_thread_t *head = atomic_load(&lt_threads);
    do { t->next = head; } while (!atomic_compare_exchange_weak(&lt_threads, &head, t));
    return t;
}

uint64_t *lt_ring_reserve(lt_thread_t *t, unsigned n)
{
    uint64_t h = atomic_load_explicit(&t->head, memory_order_relaxed);
    unsigned pos = (unsigned)(h & (LT_RING_WORDS - 1));
    unsigned pad = pos + n > LT_RING_WORDS ? LT_RING_WORDS - pos : 0;
    for (unsigned spins = 0; h + pad + n - atomic_load_explicit(&t->tail, memory_order_acquire) > LT_RING_WORDS; spins++) {
        if (atomic_load_explicit(&lt_state, memory_order_relaxed) != LT_ST_ACTIVE) return NULL;
        /* A child made with raw clone()/syscall(SYS_fork) ran no fork
         * handler: it has our memory but no writer. Stop tracing there
         * instead of waiting for a thread that does not exist. */
        if (spins == 64 && getpid() != lt_pid) {
            atomic_store(&lt_state, LT_ST_OFF);
            lt_log("process %d was created without fork() (raw clone): it runs untraced", (int)getpid());
            return NULL;
        }
        lt_writer_kick();
        if (lt_writer_wait_progress() < 0) lt_writer_flush_sync();
    }
    if (pad) {
        t->ring[pos] = LT_R_HDR(LT_R_PAD, pad, 0);
        h += pad;
        atomic_store_explicit(&t->head, h, memory_order_release);
    }
    return &t->ring[h & (LT_RING_WORDS - 1)];
}

void lt_ring_commit(lt_thread_t *t, unsigned n)
{
    uint64_t h = atomic_load_explicit(&t->head, memory_order_relaxed) + n;
    atomic_store_explicit(&t->head, h, memory_order_release);
    if (LT_UNLIKELY(h >= t->kick_at)) {
        t->kick_at = h + LT_RING_WORDS / 2;
        lt_writer_kick();
    }
}
