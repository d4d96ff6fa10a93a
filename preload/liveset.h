/*
 * liveset.h - the writer's exact view of the live heap.
 *
 * The writer thread drains every thread's ring in turn, so it sees one
 * thread's events in order but the threads interleaved arbitrarily: a free
 * made in thread B can reach it before the allocation made in thread A. The
 * set is keyed by address and keeps, per address, the event with the
 * highest sequence number seen so far ("latest wins"). Events on one
 * address alternate allocation/free in sequence order, so once every ring
 * is drained the state of every address is exact, whatever order the
 * events came in. A free seen before (or without) its allocation leaves a
 * tombstone carrying its sequence number, so that the late allocation is
 * recognised as already freed; tombstones are retired, in the order they
 * were made, once every older event has been applied (lt_liveset_retire),
 * and lt_liveset_prune drops any left over.
 *
 * Most frees need no tombstone: one whose every older event (on any
 * address) has been applied can remove its entry outright, since nothing
 * that could contradict it is left to come. The caller knows when that
 * holds for the events it is about to apply and says so with
 * lt_liveset_in_order: the writer does when every other thread has no
 * event under way and nothing left in its ring, which is always the case
 * in a one-thread program, whose table then holds the live heap and
 * nothing more. (Deciding by the entry alone is not enough: if thread A
 * allocates at an address, B frees it, C gets the same address and D frees
 * that, D's free can arrive after A's allocation but before B's free and
 * C's allocation; removing A's entry then would let C's late allocation
 * count as live.)
 *
 * Used by the exit-time reachability scan (the live blocks and their
 * sizes) and by ring checkpoints (the live blocks with their stacks and
 * allocation times). Single-threaded: the writer thread, or any thread once
 * the writer has stopped. Memory comes from tmem.c: 40 bytes per entry
 * (live block or tombstone) at a load factor of at most 0.7.
 */
#ifndef LT_LIVESET_H
#define LT_LIVESET_H

#include <stddef.h>
#include <stdint.h>

typedef struct lt_live {
    uint64_t addr;      /* block address (never 0)                          */
    uint64_t size;      /* requested size                                   */
    uint64_t ts;        /* raw ring timestamp of the allocation (see
                         * writer.c: the encoder's tsc0/ns_per_tick turn it
                         * into ns); for a tombstone, of nothing            */
    uint64_t seq;       /* sequence number of the latest event seen here    */
    uint32_t stack;     /* stack id (LT_REC_STACK) of the allocation        */
    uint32_t tid : 22;  /* thread that allocated: a kernel thread id (gettid),
                         * below 2^22 (PID_MAX_LIMIT); nothing else may
                         * feed this field                                  */
    uint32_t fn : 9;    /* LT_FN_* of the allocation                        */
    uint32_t freed : 1; /* 1: tombstone (latest event is a free)            */
} lt_live_t;            /* 40 bytes: python's table of 4 M slots is 160 MiB */

/* Turns the set on with an initial table. Returns 0, or -1 when out of
 * memory (the set then stays off and every other call is a no-op).
 * Calling it again when on does nothing. */
int lt_liveset_enable(void);
/* 1 when lt_liveset_enable succeeded. */
int lt_liveset_enabled(void);

/* Applies one ring record (lt_internal.h LT_R_*; header word first) made
 * by thread tid. ALLOC, FREE and REALLOC change the set; other records are
 * ignored. When the table cannot grow (out of memory) the set turns itself
 * off and lt_liveset_lost() says so. */
void lt_liveset_apply(const uint64_t *w, uint32_t tid);

/* Says whether every event older than those applied from now on has been
 * applied already (see above): 1 lets frees remove their entries outright,
 * 0 (the start) makes them leave tombstones. */
void lt_liveset_in_order(int yes);

/* As lt_liveset_apply, for decoded events (tests, and callers that are
 * not the ring). */
void lt_liveset_alloc(uint64_t addr, uint64_t size, uint64_t stack, uint64_t ts,
                      uint64_t seq, uint32_t tid, unsigned fn);
void lt_liveset_free(uint64_t addr, uint64_t seq);

/* Work for the writer's idle time: moves the next slots of a table that
 * is growing (about 1 ms of work). Returns 1 while a move is left to do,
 * 0 when none is. The set's contents do not change. */
int lt_liveset_idle(void);
/* 1 while a grown table's move is under way (what lt_liveset_idle does). */
int lt_liveset_moving(void);

/* Drops the tombstones made so far, oldest first, while their sequence
 * number is below `below`: the caller guarantees every event numbered
 * below it has been applied. Costs one lookup per tombstone. */
void lt_liveset_retire(uint64_t below);

/* Drops tombstones whose sequence number is below before_seq: the caller
 * guarantees no event older than before_seq can still arrive. */
void lt_liveset_prune(uint64_t before_seq);

/* Calls fn for every live block (tombstones skipped) in table order until
 * fn returns non-zero; returns that value or 0. The set must not change
 * during the walk. with_tombstones = 1 visits tombstones too. */
int lt_liveset_foreach(int with_tombstones, int (*fn)(const lt_live_t *e, void *arg), void *arg);

size_t lt_liveset_count(void);       /* live blocks               */
size_t lt_liveset_tombstones(void);  /* tombstones                */
uint64_t lt_liveset_bytes(void);     /* sum of live blocks' sizes */
size_t lt_liveset_memory(void);      /* bytes of table held       */
int lt_liveset_lost(void);           /* 1 if the set gave up (out of memory) */

/* Forgets every entry; the set stays on if it was. The child of a fork
 * calls it: its trace starts afresh (sequence numbers from 0) and knows
 * nothing of the blocks inherited from the parent, so neither does the
 * set. */
void lt_liveset_clear(void);
/* Forgets everything and turns the set off (tests). */
void lt_liveset_reset(void);

#endif
