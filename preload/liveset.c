/*
 * liveset.c - the writer's exact view of the live heap (see liveset.h).
 *
 * An open-addressed hash table keyed by block address, linear probing,
 * deletion by backward shift (no deleted markers, so probe chains stay
 * short however many blocks come and go). Tombstones are ordinary entries
 * with freed = 1: they are what makes arrival order irrelevant.
 *
 * Growing is incremental: the full table becomes the old one, and every
 * later alloc or free moves the next MOVE_STEP slots of it into the new
 * table (twice the size), so no single event pays for the whole rehash. A
 * python run whose table grows to 192 MiB used to stop the writer for
 * 120 ms on its last rehash, and the program then waited for room in its
 * ring (the move costs the same writer CPU; waits fell from 0.42 to 0.34 s
 * of a 3.2 s run). While both tables exist an address is in exactly one of them: a
 * lookup tries the new table, then the old, and moves what it finds there.
 * A slot of the old table that was moved out holds MOVED, which keeps its
 * probe chain going (the old table is never shifted or shrunk). The new
 * table cannot fill up first: it starts at most 35 % full, each event adds
 * at most one entry, and the migration ends after old size / MOVE_STEP
 * events, by when it is under 35 % + 50 % / MOVE_STEP full.
 */
#include <string.h>

#include "../common/lt_addrhash.h"
#include "../common/lt_format.h"
#include "liveset.h"
#include "lt_internal.h"

#define MIN_CAP 4096u

#define MOVED 1u           /* old-table slot whose entry has moved (never a block address) */
#define MOVE_STEP 32u       /* old slots moved per event while growing */

static lt_live_t *tab;
static size_t cap;          /* power of two, 0 when off */
static size_t used;         /* entries in both tables: live + tombstones */
static lt_live_t *otab;     /* the old table while growing, else NULL */
static size_t ocap, ocur;   /* its size; the next slot to move */
static size_t nlive, ntomb;
static uint64_t live_bytes;
static int lost;
static int in_order;        /* lt_liveset_in_order: frees need no tombstone */

/* Tombstones in the order they were made, for lt_liveset_retire: a ring of
 * qcap (a power of two) entries. When it cannot grow, tombstones are left
 * to lt_liveset_prune. */
typedef struct { uint64_t addr, seq; } qent_t;
static qent_t *q;
static size_t qcap, qhead, qlen;

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

static void drop_old(void)
{
    if (otab) lt_mem_free(otab);
    otab = NULL;
    ocap = ocur = 0;
}

static void drop_queue(void)
{
    if (q) lt_mem_free(q);
    q = NULL;
    qcap = qhead = qlen = 0;
}

static void queue_tomb(uint64_t addr, uint64_t seq)
{
    if (qlen == qcap) {
        size_t ncap = qcap ? qcap * 2 : 1024;
        qent_t *nq = lt_mem_alloc(ncap * sizeof *nq);
        if (!nq) return;
        for (size_t k = 0; k < qlen; k++) nq[k] = q[(qhead + k) & (qcap - 1)];
        if (q) lt_mem_free(q);
        q = nq;
        qcap = ncap;
        qhead = 0;
    }
    q[(qhead + qlen) & (qcap - 1)] = (qent_t){ addr, seq };
    qlen++;
}

/* Frees everything; the set is off after it. */
static void forget(void)
{
    drop_queue();
    drop_old();
    if (tab) lt_mem_free(tab);
    tab = NULL;
    cap = used = nlive = ntomb = 0;
    live_bytes = 0;
}

static void give_up(void)
{
    forget();
    lost = 1;
}

/* The slot of table t (c slots) holding addr, or the empty slot where it
 * would go. */
static inline size_t probe(const lt_live_t *t, size_t c, uint64_t addr)
{
    size_t i = lt_addr_slot(addr, c - 1);
    while (t[i].addr && t[i].addr != addr) i = (i + 1) & (c - 1);
    return i;
}

static inline size_t find(uint64_t addr) { return probe(tab, cap, addr); }

/* Moves up to n slots of the old table into the new one; frees the old
 * table after its last slot. */
static void move_some(size_t n)
{
    size_t end = ocur + n < ocap ? ocur + n : ocap;
    for (size_t i = ocur; i < end; i++) {
        /* The new slots are random cache misses: fetch them ahead. */
        if (i + 16 < ocap && otab[i + 16].addr > MOVED) __builtin_prefetch(&tab[slot_of(otab[i + 16].addr)], 1);
        if (otab[i].addr <= MOVED) continue;
        tab[find(otab[i].addr)] = otab[i];   /* not there yet: an empty slot */
        otab[i].addr = MOVED;
    }
    ocur = end;
    if (ocur == ocap) drop_old();
}

static void move_all(void)
{
    if (otab) move_some(ocap - ocur);
}

/* Starts moving every entry into a new table of ncap slots (a power of
 * two, > used / 0.7); `at_once` finishes the move before returning. */
static int resize(size_t ncap, int at_once)
{
    move_all();
    /* Mapped with every page present: faulting its pages in one by one, as
     * the move and the events touch them, cost the python run 0.3 s more
     * writer CPU. */
    lt_live_t *nt = lt_mem_alloc_dense(ncap * sizeof *nt);
    if (!nt) return -1;
    otab = tab;
    ocap = cap;
    ocur = 0;
    tab = nt;
    cap = ncap;
    if (at_once) move_all();
    return 0;
}

static int grow(void) { return resize(cap * 2, 0); }

/* find, after moving addr's entry out of the old table if it is there;
 * and a step of the move. */
static inline size_t locate(uint64_t addr)
{
    if (LT_LIKELY(!otab)) return find(addr);
    move_some(MOVE_STEP);
    size_t i = find(addr);
    if (tab[i].addr || !otab) return i;
    size_t j = probe(otab, ocap, addr);
    if (otab[j].addr) {
        tab[i] = otab[j];
        otab[j].addr = MOVED;
    }
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

/* Removes the tombstone in slot i. */
static void drop_tomb(size_t i)
{
    remove_at(i);
    used--;
    ntomb--;
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
    size_t i = locate(addr);
    lt_live_t *e = &tab[i];
    if (e->addr) {
        if (e->seq > seq) return;          /* a newer event is known here */
        /* Replacing a tombstone, or a block whose free is still on its way. */
        if (e->freed) ntomb--;
        else { nlive--; live_bytes -= e->size; }
    } else {
        i = claim(addr);
        if (!cap) return;
        e = &tab[i];
    }
    *e = (lt_live_t){ .addr = addr, .size = size, .stack = stack, .ts = ts,
                      .seq = seq, .tid = tid, .fn = (uint8_t)fn, .freed = 0 };
    nlive++;
    live_bytes += size;
}

void lt_liveset_free(uint64_t addr, uint64_t seq)
{
    if (!cap || !addr) return;
    size_t i = locate(addr);
    lt_live_t *e = &tab[i];
    if (e->addr) {
        if (e->seq > seq) return;   /* a stale free: a newer event is known here */
        if (!e->freed) {
            nlive--;
            live_bytes -= e->size;
            if (in_order) {
                /* Nothing older can still come (see liveset.h): no
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
    queue_tomb(addr, seq);
}

void lt_liveset_retire(uint64_t below)
{
    if (!cap) return;
    while (qlen && q[qhead].seq < below) {
        /* Their slots are random cache misses: fetch a few ahead. */
        if (qlen > 8 && !otab) __builtin_prefetch(&tab[slot_of(q[(qhead + 8) & (qcap - 1)].addr)], 1);
        qent_t x = q[qhead];
        qhead = (qhead + 1) & (qcap - 1);
        qlen--;
        size_t i = locate(x.addr);
        /* Gone already (pruned), or a newer event replaced it: that one
         * is queued itself if it is a tombstone. */
        if (!tab[i].addr || !tab[i].freed || tab[i].seq != x.seq) continue;
        drop_tomb(i);
    }
}

void lt_liveset_in_order(int yes) { in_order = yes; }

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
    move_all();
    /* Walk once round the table from just after an empty slot: a backward
     * shift moves an entry only into the slot being looked at, never
     * across an empty slot, so each entry is looked at exactly once. */
    size_t start = 0;
    while (tab[start].addr) start++;   /* load < 0.7: an empty slot exists */
    size_t i = (start + 1) & (cap - 1);
    for (size_t n = 1; n < cap;) {
        lt_live_t *e = &tab[i];
        if (e->addr && e->freed && e->seq < before_seq) {
            drop_tomb(i);
            continue;   /* slot i now holds a shifted entry (or is empty): look again */
        }
        i = (i + 1) & (cap - 1);
        n++;
    }
    /* Give back what a burst of tombstones made the table grow to: the
     * table's size decides how many cache misses each event costs. */
    size_t ncap = cap;
    while (ncap > MIN_CAP && used * 8 < ncap) ncap /= 2;
    if (ncap < cap) resize(ncap, 1);   /* out of memory: keep the big one */
}

int lt_liveset_foreach(int with_tombstones, int (*fn)(const lt_live_t *e, void *arg), void *arg)
{
    move_all();
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
size_t lt_liveset_memory(void) { return (cap + (otab ? ocap : 0)) * sizeof *tab; }

void lt_liveset_clear(void)
{
    drop_old();
    qhead = qlen = 0;
    if (cap) memset(tab, 0, cap * sizeof *tab);
    used = nlive = ntomb = 0;
    live_bytes = 0;
}

void lt_liveset_reset(void)
{
    forget();
    lost = 0;
    in_order = 0;
}
