/*
 * liveset.c - the writer's exact view of the live heap (see liveset.h).
 *
 * An open-addressed hash table keyed by block address, linear probing,
 * deletion by backward shift (no deleted markers, so probe chains stay
 * short however many blocks come and go). Tombstones are ordinary entries
 * with freed = 1: they are what makes arrival order irrelevant.
 *
 * Growing is incremental: the full table becomes the old one, and its
 * entries move into the new table (twice the size) a few slots at a time,
 * so that no event pays for the whole rehash. While both tables exist an
 * address is in exactly one of them: a lookup tries the new table, then
 * the old, and moves what it finds there. A slot of the old table that was
 * moved out holds MOVED, which keeps its probe chain going (the old table
 * is never shifted or shrunk).
 *
 * Most of the move is done when the writer has nothing else to do
 * (lt_liveset_idle: IDLE_STEP slots per call), and only a slot or a few
 * per event while it is busy. The move makes the first writes to the new
 * table's pages: it is mapped with them (MAP_POPULATE), but on the virtual
 * machines the benchmarks run on a page's first write from the process
 * still costs about 1 ms per MiB (a microbenchmark: 174-199 ms for 160 MiB
 * after MAP_POPULATE, under 1 ms the second time), and python's last move
 * took 267 ms of writer time.
 * At 32 slots per event, as it was, those 267 ms came in one burst of
 * python's events, the writer fell behind and the program waited 0.17 s
 * for room in its ring; in the writer's idle time, python waits 0.00-0.02 s
 * in all instead of 0.25-0.30 s, for the same writer CPU
 * (docs/performance.md).
 *
 * The new table cannot fill up before the move ends: it starts at most
 * 35 % full, and each event adds at most one entry while moving at least
 * one slot (STEP_LOW) until the new table is half full, then STEP_HIGH:
 * by then at least 30 % of the old slots have moved (the events that took
 * it from 35 % to 50 % of twice their number), the rest takes at most
 * 70 % / STEP_HIGH of the old size in events, and the new table ends under
 * 50 % + 35 % / STEP_HIGH = 59 % full, below the 70 % that grows it.
 */
#include <string.h>

#include "../common/lt_addrhash.h"
#include "../common/lt_format.h"
#include "liveset.h"
#include "lt_internal.h"

#define MIN_CAP 4096u

_Static_assert(sizeof(lt_live_t) == 40, "lt_live_t grew: the live set's table is python's largest cost (docs/performance.md)");

#define MOVED 1u           /* old-table slot whose entry has moved (never a block address) */
#define STEP_LOW 1u         /* old slots moved per event while the new table is under half full */
#define STEP_HIGH 4u        /* ... and from half full on */
#define IDLE_STEP 8192u     /* old slots moved per lt_liveset_idle call: about 1 ms */

/* Tombstones in the order they were made, for lt_liveset_retire: a ring of
 * qcap (a power of two) entries. When it cannot grow, tombstones are left
 * to lt_liveset_prune. */
typedef struct { uint64_t addr, seq; } qent_t;

/* The set's state, written by the writer at every event, on cache lines of
 * its own: a program's thread reads globals on every malloc and free
 * (lt_sample_rate, the hooks' function pointers), and when the linker
 * happened to put one beside these counters, each event cost the program
 * a cache miss (mallocbench 4.2x -> 6.8x between two builds that differed
 * only in that layout). */
static struct {
    _Alignas(64) lt_live_t *tab;
    size_t cap;                 /* power of two, 0 when off */
    size_t used;                /* entries in both tables: live + tombstones */
    lt_live_t *otab;            /* the old table while growing, else NULL */
    size_t ocap, ocur;          /* its size; the next slot to move */
    size_t nlive, ntomb;
    uint64_t live_bytes;
    int lost;
    int in_order;               /* lt_liveset_in_order: frees need no tombstone */
    qent_t *q;                  /* the tombstones' ring */
    size_t qcap, qhead, qlen;
} ls;

static inline size_t slot_of(uint64_t addr) { return lt_addr_slot(addr, ls.cap - 1); }

int lt_liveset_enable(void)
{
    if (ls.cap) return 0;
    if (ls.lost) return -1;
    ls.tab = lt_mem_alloc(MIN_CAP * sizeof *ls.tab);
    if (!ls.tab) return -1;
    ls.cap = MIN_CAP;
    return 0;
}

int lt_liveset_enabled(void) { return ls.cap != 0; }
int lt_liveset_lost(void) { return ls.lost; }

static void drop_old(void)
{
    if (ls.otab) lt_mem_free(ls.otab);
    ls.otab = NULL;
    ls.ocap = ls.ocur = 0;
}

static void drop_queue(void)
{
    if (ls.q) lt_mem_free(ls.q);
    ls.q = NULL;
    ls.qcap = ls.qhead = ls.qlen = 0;
}

static void queue_tomb(uint64_t addr, uint64_t seq)
{
    if (ls.qlen == ls.qcap) {
        size_t ncap = ls.qcap ? ls.qcap * 2 : 1024;
        qent_t *nq = lt_mem_alloc(ncap * sizeof *nq);
        if (!nq) return;
        for (size_t k = 0; k < ls.qlen; k++) nq[k] = ls.q[(ls.qhead + k) & (ls.qcap - 1)];
        if (ls.q) lt_mem_free(ls.q);
        ls.q = nq;
        ls.qcap = ncap;
        ls.qhead = 0;
    }
    ls.q[(ls.qhead + ls.qlen) & (ls.qcap - 1)] = (qent_t){ addr, seq };
    ls.qlen++;
}

/* Frees everything; the set is off after it. */
static void forget(void)
{
    drop_queue();
    drop_old();
    if (ls.tab) lt_mem_free(ls.tab);
    ls.tab = NULL;
    ls.cap = ls.used = ls.nlive = ls.ntomb = 0;
    ls.live_bytes = 0;
}

static void give_up(void)
{
    forget();
    ls.lost = 1;
}

/* The slot of table t (c slots) holding addr, or the empty slot where it
 * would go. */
static inline size_t probe(const lt_live_t *t, size_t c, uint64_t addr)
{
    size_t i = lt_addr_slot(addr, c - 1);
    while (t[i].addr && t[i].addr != addr) i = (i + 1) & (c - 1);
    return i;
}

static inline size_t find(uint64_t addr) { return probe(ls.tab, ls.cap, addr); }

/* Moves up to n slots of the old table into the new one; frees the old
 * table after its last slot. */
static void move_some(size_t n)
{
    size_t end = ls.ocur + n < ls.ocap ? ls.ocur + n : ls.ocap;
    for (size_t i = ls.ocur; i < end; i++) {
        /* The new slots are random cache misses: fetch them ahead. */
        if (i + 16 < ls.ocap && ls.otab[i + 16].addr > MOVED) __builtin_prefetch(&ls.tab[slot_of(ls.otab[i + 16].addr)], 1);
        if (ls.otab[i].addr <= MOVED) continue;
        ls.tab[find(ls.otab[i].addr)] = ls.otab[i];   /* not there yet: an empty slot */
        ls.otab[i].addr = MOVED;
    }
    ls.ocur = end;
    if (ls.ocur == ls.ocap) drop_old();
}

static void move_all(void)
{
    if (ls.otab) move_some(ls.ocap - ls.ocur);
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
    ls.otab = ls.tab;
    ls.ocap = ls.cap;
    ls.ocur = 0;
    ls.tab = nt;
    ls.cap = ncap;
    if (at_once) move_all();
    return 0;
}

static int grow(void) { return resize(ls.cap * 2, 0); }

/* find, after moving addr's entry out of the old table if it is there;
 * and a step of the move. */
static inline size_t locate(uint64_t addr)
{
    if (LT_LIKELY(!ls.otab)) return find(addr);
    move_some(ls.used * 2 < ls.cap ? STEP_LOW : STEP_HIGH);
    size_t i = find(addr);
    if (ls.tab[i].addr || !ls.otab) return i;
    size_t j = probe(ls.otab, ls.ocap, addr);
    if (ls.otab[j].addr) {
        ls.tab[i] = ls.otab[j];
        ls.otab[j].addr = MOVED;
    }
    return i;
}

int lt_liveset_moving(void) { return ls.otab != NULL; }

int lt_liveset_idle(void)
{
    if (!ls.otab) return 0;
    move_some(IDLE_STEP);
    return ls.otab != NULL;
}

/* Removes slot i, shifting later members of its cluster back. */
static void remove_at(size_t i)
{
    size_t j = i;
    for (;;) {
        ls.tab[i].addr = 0;
        for (;;) {
            j = (j + 1) & (ls.cap - 1);
            if (!ls.tab[j].addr) return;
            size_t k = slot_of(ls.tab[j].addr);
            /* Can tab[j] move to i? Only if its home k is not in (i, j]. */
            if (i <= j ? (i < k && k <= j) : (i < k || k <= j)) continue;
            break;
        }
        ls.tab[i] = ls.tab[j];
        i = j;
    }
}

/* Removes the tombstone in slot i. */
static void drop_tomb(size_t i)
{
    remove_at(i);
    ls.used--;
    ls.ntomb--;
}

/* Slot for a new entry at addr, known absent: at, the empty slot locate
 * found (a search that fails walks a whole cluster: on python the longest
 * walks the set makes), unless the table must grow first. When out of
 * memory the set gives up: cap is then 0 and the caller must check it. */
static size_t claim(uint64_t addr, size_t at)
{
    if ((ls.used + 1) * 10 > ls.cap * 7) {
        if (grow() != 0) { give_up(); return 0; }
        at = find(addr);
    }
    ls.used++;
    return at;
}

void lt_liveset_alloc(uint64_t addr, uint64_t size, uint64_t stack, uint64_t ts,
                      uint64_t seq, uint32_t tid, unsigned fn)
{
    if (!ls.cap || !addr) return;
    size_t i = locate(addr);
    lt_live_t *e = &ls.tab[i];
    if (e->addr) {
        if (e->seq > seq) return;          /* a newer event is known here */
        /* Replacing a tombstone, or a block whose free is still on its way. */
        if (e->freed) ls.ntomb--;
        else { ls.nlive--; ls.live_bytes -= e->size; }
    } else {
        i = claim(addr, i);
        if (!ls.cap) return;
        e = &ls.tab[i];
    }
    *e = (lt_live_t){ .addr = addr, .size = size, .stack = (uint32_t)stack, .ts = ts,
                      .seq = seq, .tid = tid, .fn = fn, .freed = 0 };
    ls.nlive++;
    ls.live_bytes += size;
}

void lt_liveset_free(uint64_t addr, uint64_t seq)
{
    if (!ls.cap || !addr) return;
    size_t i = locate(addr);
    lt_live_t *e = &ls.tab[i];
    if (e->addr) {
        if (e->seq > seq) return;   /* a stale free: a newer event is known here */
        if (!e->freed) {
            ls.nlive--;
            ls.live_bytes -= e->size;
            if (ls.in_order) {
                /* Nothing older can still come (see liveset.h): no
                 * tombstone is needed. */
                remove_at(i);
                ls.used--;
                return;
            }
            ls.ntomb++;
        }
    } else {
        i = claim(addr, i);
        if (!ls.cap) return;
        e = &ls.tab[i];
        *e = (lt_live_t){ .addr = addr };
        ls.ntomb++;
    }
    e->freed = 1;
    e->seq = seq;
    e->size = 0;
    queue_tomb(addr, seq);
}

void lt_liveset_retire(uint64_t below)
{
    if (!ls.cap) return;
    while (ls.qlen && ls.q[ls.qhead].seq < below) {
        /* Their slots are random cache misses: fetch a few ahead. */
        if (ls.qlen > 8 && !ls.otab) __builtin_prefetch(&ls.tab[slot_of(ls.q[(ls.qhead + 8) & (ls.qcap - 1)].addr)], 1);
        qent_t x = ls.q[ls.qhead];
        ls.qhead = (ls.qhead + 1) & (ls.qcap - 1);
        ls.qlen--;
        size_t i = locate(x.addr);
        /* Gone already (pruned), or a newer event replaced it: that one
         * is queued itself if it is a tombstone. */
        if (!ls.tab[i].addr || !ls.tab[i].freed || ls.tab[i].seq != x.seq) continue;
        drop_tomb(i);
    }
}

void lt_liveset_in_order(int yes) { ls.in_order = yes; }

void lt_liveset_apply(const uint64_t *w, uint32_t tid)
{
    if (!ls.cap) return;
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
    if (!ls.cap || !ls.ntomb) return;
    move_all();
    /* Walk once round the table from just after an empty slot: a backward
     * shift moves an entry only into the slot being looked at, never
     * across an empty slot, so each entry is looked at exactly once. */
    size_t start = 0;
    while (ls.tab[start].addr) start++;   /* load < 0.7: an empty slot exists */
    size_t i = (start + 1) & (ls.cap - 1);
    for (size_t n = 1; n < ls.cap;) {
        lt_live_t *e = &ls.tab[i];
        if (e->addr && e->freed && e->seq < before_seq) {
            drop_tomb(i);
            continue;   /* slot i now holds a shifted entry (or is empty): look again */
        }
        i = (i + 1) & (ls.cap - 1);
        n++;
    }
    /* Give back what a burst of tombstones made the table grow to: the
     * table's size decides how many cache misses each event costs. */
    size_t ncap = ls.cap;
    while (ncap > MIN_CAP && ls.used * 8 < ncap) ncap /= 2;
    if (ncap < ls.cap) resize(ncap, 1);   /* out of memory: keep the big one */
}

int lt_liveset_foreach(int with_tombstones, int (*fn)(const lt_live_t *e, void *arg), void *arg)
{
    move_all();
    for (size_t i = 0; i < ls.cap; i++) {
        if (!ls.tab[i].addr || (ls.tab[i].freed && !with_tombstones)) continue;
        int rc = fn(&ls.tab[i], arg);
        if (rc) return rc;
    }
    return 0;
}

size_t lt_liveset_count(void) { return ls.nlive; }
size_t lt_liveset_tombstones(void) { return ls.ntomb; }
uint64_t lt_liveset_bytes(void) { return ls.live_bytes; }
size_t lt_liveset_memory(void) { return (ls.cap + (ls.otab ? ls.ocap : 0)) * sizeof *ls.tab; }

void lt_liveset_clear(void)
{
    drop_old();
    ls.qhead = ls.qlen = 0;
    if (ls.cap) memset(ls.tab, 0, ls.cap * sizeof *ls.tab);
    ls.used = ls.nlive = ls.ntomb = 0;
    ls.live_bytes = 0;
}

void lt_liveset_reset(void)
{
    forget();
    ls.lost = 0;
    ls.in_order = 0;
}
