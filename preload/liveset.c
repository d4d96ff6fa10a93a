/*
 * liveset.c - the writer's exact view of the live heap (see liveset.h).
 *
 * An open-addressed hash table keyed by block address, linear probing,
 * deletion by backward shift (no deleted markers, so probe chains stay
 * short however many blocks come and go). Tombstones are ordinary entries
 * with freed = 1: they are what makes arrival order irrelevant.
 */
#include <string.h>

#include "../common/lt_addrhash.h"
#include "../common/lt_format.h"
#include "liveset.h"
#include "lt_internal.h"

#define MIN_CAP 4096u

static lt_live_t *tab;
static size_t cap;          /* power of two, 0 when off */
static size_t used;         /* entries: live + tombstones */
static size_t nlive, ntomb;
static uint64_t live_bytes;
static int lost;

static inline size_t slot_of(uint64_t addr) { return lt_addr_slot(addr, cap - 1); }

int lt_liveset_enable(void)
{
    if (cap) return 0;
    if (lost) return -1;
    tab = lt_mem_alloc(MIN_CAP * sizeof *tab);
    if (!tab) return -1;
    cap = MIN_CAP;
    return 0;
}

int lt_liveset_enabled(void) { return cap != 0; }
int lt_liveset_lost(void) { return lost; }

static void give_up(void)
{
    if (tab) lt_mem_free(tab);
    tab = NULL;
    cap = used = nlive = ntomb = 0;
    live_bytes = 0;
    lost = 1;
}

/* Rehashes into a table of ncap slots (a power of two, > used / 0.7). */
static int resize(size_t ncap)
{
    lt_live_t *nt = lt_mem_alloc_dense(ncap * sizeof *nt);
    if (!nt) return -1;
    lt_live_t *old = tab;
    size_t ocap = cap;
    tab = nt;
    cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        /* The new slots are random cache misses: fetch them ahead. */
        if (i + 16 < ocap && old[i + 16].addr) __builtin_prefetch(&tab[slot_of(old[i + 16].addr)], 1);
        if (!old[i].addr) continue;
        size_t j = slot_of(old[i].addr);
        while (tab[j].addr) j = (j + 1) & (cap - 1);
        tab[j] = old[i];
    }
    lt_mem_free(old);
    return 0;
}

static int grow(void) { return resize(cap * 2); }

/* The slot holding addr, or the empty slot where it would go. */
static inline size_t find(uint64_t addr)
{
    size_t i = slot_of(addr);
    while (tab[i].addr && tab[i].addr != addr) i = (i + 1) & (cap - 1);
    return i;
}

/* Removes slot i, shifting later members of its cluster back. */
static void remove_at(size_t i)
{
    size_t j = i;
    for (;;) {
        tab[i].addr = 0;
        for (;;) {
            j = (j + 1) & (cap - 1);
            if (!tab[j].addr) return;
            size_t k = slot_of(tab[j].addr);
            /* Can tab[j] move to i? Only if its home k is not in (i, j]. */
            if (i <= j ? (i < k && k <= j) : (i < k || k <= j)) continue;
            break;
        }
        tab[i] = tab[j];
        i = j;
    }
}

/* Slot for a new entry at addr (known absent), growing first if needed.
 * When out of memory the set gives up: cap is then 0 and the caller must
 * check it. */
static size_t claim(uint64_t addr)
{
    if ((used + 1) * 10 > cap * 7 && grow() != 0) { give_up(); return 0; }
    size_t i = find(addr);
    used++;
    return i;
}

void lt_liveset_alloc(uint64_t addr, uint64_t size, uint64_t stack, uint64_t ts,
                      uint64_t seq, uint32_t tid, unsigned fn)
{
    if (!cap || !addr) return;
    size_t i = find(addr);
    lt_live_t *e = &tab[i];
    uint8_t guard = 0;
    if (e->addr) {
        if (e->seq > seq) return;          /* a newer event is known here */
        /* Replacing a tombstone, or a block whose free is still on its way:
         * events on this address arrive out of order. */
        guard = 1;
        if (e->freed) ntomb--;
        else { nlive--; live_bytes -= e->size; }
    } else {
        i = claim(addr);
        if (!cap) return;
        e = &tab[i];
    }
    *e = (lt_live_t){ .addr = addr, .size = size, .stack = stack, .ts = ts,
                      .seq = seq, .tid = tid, .fn = (uint8_t)fn, .freed = 0, .guard = guard };
    nlive++;
    live_bytes += size;
}

void lt_liveset_free(uint64_t addr, uint64_t seq)
{
    if (!cap || !addr) return;
    size_t i = find(addr);
    lt_live_t *e = &tab[i];
    if (e->addr) {
        if (e->seq > seq) { e->guard = 1; return; }   /* a stale free: out of order */
        if (!e->freed) {
            nlive--;
            live_bytes -= e->size;
            if (!e->guard) {
                /* Nothing older on this address ever arrived out of order,
                 * so nothing older can still come (see liveset.h): no
                 * tombstone is needed. */
                remove_at(i);
                used--;
                return;
            }
            ntomb++;
        }
    } else {
        i = claim(addr);
        if (!cap) return;
        e = &tab[i];
        *e = (lt_live_t){ .addr = addr };
        ntomb++;
    }
    e->freed = 1;
    e->seq = seq;
    e->size = 0;
}

void lt_liveset_prefetch(const uint64_t *w)
{
    if (!cap) return;
    uint64_t a, b = 0;
    switch (LT_R_TYPE(w[0])) {
    case LT_R_ALLOC: case LT_R_FREE: a = w[3]; break;
    case LT_R_REALLOC: a = w[4]; b = w[5]; break;
    default: return;
    }
    /* The start of the entry only: fetching its second cache line as well
     * (when it straddles two) measured no faster. */
    __builtin_prefetch(&tab[slot_of(a)], 1);
    if (b) __builtin_prefetch(&tab[slot_of(b)], 1);
}

void lt_liveset_apply(const uint64_t *w, uint32_t tid)
{
    if (!cap) return;
    switch (LT_R_TYPE(w[0])) {
    case LT_R_ALLOC:   /* seq, ts, addr, size, stack; aux = fn */
        lt_liveset_alloc(w[3], w[4], w[5], w[2], w[1], tid, LT_R_AUX(w[0]));
        break;
    case LT_R_FREE:    /* seq, ts, addr */
        lt_liveset_free(w[3], w[1]);
        break;
    case LT_R_REALLOC: /* seq, seq2, ts, old, new, size, stack; aux = fn */
        lt_liveset_free(w[4], w[1]);
        lt_liveset_alloc(w[5], w[6], w[7], w[3], w[2], tid, LT_R_AUX(w[0]));
        break;
    default:
        break;
    }
}

void lt_liveset_prune(uint64_t before_seq)
{
    if (!cap || !ntomb) return;
    /* Walk once round the table from just after an empty slot: a backward
     * shift moves an entry only into the slot being looked at, never
     * across an empty slot, so each entry is looked at exactly once. */
    size_t start = 0;
    while (tab[start].addr) start++;   /* load < 0.7: an empty slot exists */
    size_t i = (start + 1) & (cap - 1);
    for (size_t n = 1; n < cap;) {
        lt_live_t *e = &tab[i];
        if (e->addr && e->freed && e->seq < before_seq) {
            remove_at(i);
            used--;
            ntomb--;
            continue;   /* slot i now holds a shifted entry (or is empty): look again */
        }
        i = (i + 1) & (cap - 1);
        n++;
    }
    /* Give back what a burst of tombstones made the table grow to: the
     * table's size decides how many cache misses each event costs. */
    size_t ncap = cap;
    while (ncap > MIN_CAP && used * 8 < ncap) ncap /= 2;
    if (ncap < cap) resize(ncap);   /* out of memory: keep the big one */
}

int lt_liveset_foreach(int with_tombstones, int (*fn)(const lt_live_t *e, void *arg), void *arg)
{
    for (size_t i = 0; i < cap; i++) {
        if (!tab[i].addr || (tab[i].freed && !with_tombstones)) continue;
        int rc = fn(&tab[i], arg);
        if (rc) return rc;
    }
    return 0;
}

size_t lt_liveset_count(void) { return nlive; }
size_t lt_liveset_tombstones(void) { return ntomb; }
uint64_t lt_liveset_bytes(void) { return live_bytes; }
size_t lt_liveset_memory(void) { return cap * sizeof *tab; }

void lt_liveset_clear(void)
{
    if (cap) memset(tab, 0, cap * sizeof *tab);
    used = nlive = ntomb = 0;
    live_bytes = 0;
}

void lt_liveset_reset(void)
{
    if (tab) lt_mem_free(tab);
    tab = NULL;
    cap = used = nlive = ntomb = 0;
    live_bytes = 0;
    lost = 0;
}
