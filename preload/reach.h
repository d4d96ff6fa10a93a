/*
 * reach.h - the reachability core: a conservative, transitive mark over a
 * sorted array of heap blocks, then valgrind memcheck's classification of
 * every block (still reachable, possibly lost, indirectly lost, definitely
 * lost). Pure: no allocation of its own (the caller hands in the arrays),
 * no system call, no global state; it only reads the memory it is told to
 * scan. Included by preload/reach_core.c, preload/reach.c and the unit
 * tests (tests/unit/test_reach.c). docs/reachability.md explains the rules.
 */
#ifndef LT_REACH_H
#define LT_REACH_H

#include <stddef.h>
#include <stdint.h>

/* Kinds, as recorded in the trace (LT_REC_REACHBLK, common/lt_format.h):
 * LT_KIND_REACHABLE  a start pointer from the roots (or a heuristic)
 * LT_KIND_POSSIBLE   reached only through an interior pointer on the way
 * LT_KIND_INDIRECT   not reached; pointed to from a lost block's clique
 * LT_KIND_DEFINITE   not reached, and no other lost block points to it */
#include "../common/lt_format.h"

typedef struct lt_rblock {
    uint64_t addr, size;     /* sorted by addr, non-overlapping */
} lt_rblock_t;

/* Mark state, one byte per block (internal values, see reach_core.c). */
typedef struct lt_reach {
    const lt_rblock_t *b;
    size_t n;
    uint8_t *state;          /* n bytes, zeroed by lt_reach_init */
    uint32_t *stack;         /* 2 * n + 1 entries: the explicit mark stack */
    uint64_t *ind;           /* n entries: bytes a definitely lost block's clique holds indirectly */
    size_t sp, cap;
    uint64_t lo, hi;         /* lowest block start, highest block end */
    uint64_t root_bytes;     /* bytes of roots scanned */
    uint64_t heap_bytes;     /* bytes of blocks scanned (a block may be scanned twice) */
    int heuristics;          /* 1: valgrind's stdstring and length64 heuristics (default) */
} lt_reach_t;

/* Prepares r over blocks b[0..n) (sorted by address, not overlapping;
 * n < 2^31). state must hold n bytes, stack 2 * n + 1 entries, ind n
 * entries; all are the caller's (bounded extra memory: 17 bytes per
 * block). Never fails. */
void lt_reach_init(lt_reach_t *r, const lt_rblock_t *b, size_t n, uint8_t *state, uint32_t *stack, uint64_t *ind);

/* The index of the block that p points into ([addr, addr + size), or
 * exactly addr for a zero-sized block), or -1. O(log n). */
long lt_reach_find(const lt_reach_t *r, uint64_t p);

/* Scans [lo, hi) as a root: every 8-byte aligned word inside the range
 * that points into a block marks it (start pointer: reachable; interior
 * pointer: possibly). The range must be readable. Marks transitively
 * before returning (explicit stack, no recursion). */
void lt_reach_scan_root(lt_reach_t *r, uint64_t lo, uint64_t hi);
/* The same for one word (a saved register). */
void lt_reach_root_word(lt_reach_t *r, uint64_t w);

/* After all roots: groups the blocks not reached into cliques (valgrind's
 * order: by address), making every block reachable from a lost block
 * indirectly lost. Call once. */
void lt_reach_finish(lt_reach_t *r);

/* The kind (LT_KIND_*) of block i, after lt_reach_finish. */
int lt_reach_kind(const lt_reach_t *r, size_t i);
/* For a definitely lost block: the bytes of the indirectly lost blocks of
 * its clique (valgrind's "(N direct, M indirect)"); 0 for other kinds. */
uint64_t lt_reach_indirect(const lt_reach_t *r, size_t i);

#endif
