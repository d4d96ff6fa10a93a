/*
 * tracer.h - the tracer core's API, as the interposed symbols (hooks.c) and
 * the unit tests use it. Every function here is safe to call from any
 * thread; none allocates through the hooked malloc.
 *
 * The hot path is lt_enter()/lt_leave() around one lt_record_*() call:
 * a TLS check, a relaxed load of the global state, and then only per-thread
 * memory plus one atomic fetch-add for the sequence number.
 */
#ifndef LT_TRACER_H
#define LT_TRACER_H

#include <stddef.h>
#include <stdint.h>

#include "lt_internal.h"

extern LT_TLS __thread int lt_tls_busy;
extern LT_TLS __thread lt_thread_t *lt_tls_thr;

lt_thread_t *lt_thread_attach(void);

/* Ends what lt_enter began. */
static inline void lt_leave(lt_thread_t *t)
{
    atomic_store_explicit(&t->inflight, 0, memory_order_release);
    lt_tls_busy--;
}

/* Returns this thread's state, marked busy, when the event must be traced;
 * NULL when it must not (tracer off, or the tracer itself is running on
 * this thread: its own allocations are never traced). Pair with lt_leave. */
static inline lt_thread_t *lt_enter(void)
{
    if (LT_UNLIKELY(lt_tls_busy)) return NULL;
    if (LT_UNLIKELY(atomic_load_explicit(&lt_state, memory_order_relaxed) != LT_ST_ACTIVE)) return NULL;
    lt_tls_busy++;
    lt_thread_t *t = lt_tls_thr;
    if (LT_UNLIKELY(!t)) {
        t = lt_thread_attach();
        if (!t) { lt_tls_busy--; return NULL; }
    }
    /* Seen by lt_writer_finish, which lets events under way complete
     * before it writes the end (no sequence number left unwritten). Set
     * before the state is read again: a thread that still sees the tracer
     * active is marked. (No fence: the finisher reads the marks only after
     * a drain, milliseconds after it switched the state off; a store
     * lingers in the store buffer for nanoseconds.) */
    atomic_store_explicit(&t->inflight, 1, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    if (LT_UNLIKELY(atomic_load_explicit(&lt_state, memory_order_relaxed) != LT_ST_ACTIVE)) {
        lt_leave(t);
        return NULL;
    }
    return t;
}


/* A sequence number. Take it for a free before the block goes back to libc,
 * and (inside lt_record_alloc) for an allocation after libc returned it. */
static inline uint64_t lt_next_seq(void)
{
    return atomic_fetch_add_explicit(&lt_seq.v, 1, memory_order_relaxed);
}

/* Records a block p of n bytes just returned by function fn (LT_FN_*). */
void lt_record_alloc(lt_thread_t *t, void *p, size_t n, unsigned fn);
/* Records the free of p; call before handing p back to libc. */
void lt_record_free(lt_thread_t *t, void *p);
/* Records a free whose sequence number was taken earlier (realloc(p, 0)). */
void lt_record_free_seq(lt_thread_t *t, uint64_t seq, void *p);
/* Records a successful realloc: old freed (seq1, taken before the call),
 * new block of n bytes allocated (sequence taken now). */
void lt_record_realloc(lt_thread_t *t, uint64_t seq1, void *old, void *new_, size_t n, unsigned fn);
/* Spends a sequence number that carries no event (a failed realloc). */
void lt_record_nop(lt_thread_t *t, uint64_t seq);

/* Captures the calling stack (tracer frames skipped) and interns it;
 * returns its id, or UINT32_MAX when it could not be recorded. */
uint32_t lt_capture_stack(lt_thread_t *t);

/* Lifecycle. lt_init runs once, from the first hooked call or the
 * constructor, after hooks.c resolved the real functions. */
void lt_init(void);
void lt_constructor(void);
/* The exit status to report (exit(), return from main). */
void lt_note_exit(int how, int status);
/* Flushes everything and ends the trace (destructor, _exit). Idempotent. */
void lt_finish(int how, int status);
/* Called before an exec: flush so the old image's events are not lost. */
void lt_before_exec(void);
/* After dlopen/dlclose returned. */
void lt_after_dl_change(void);

#endif
