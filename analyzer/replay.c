/*
 * replay.c - puts events back in the order they happened (by sequence
 * number, through a small reorder heap: each thread's events arrive in
 * order, threads interleave by writer batch) and applies them to the live
 * set and the per-stack statistics.
 *
 * Counting follows valgrind's "total heap usage": each block that came into
 * existence is one allocation, each block that ended one free; a realloc is
 * a free of the old block and an allocation of the new one.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../common/lt_addrhash.h"
#include "../common/lt_format.h"
#include "progress.h"
#include "replay.h"

#define LT_LIKELY_RP(x) __builtin_expect(!!(x), 1)
#define LT_UNLIKELY_RP(x) __builtin_expect(!!(x), 0)
#define REORDER_MAX (1u << 20)      /* events held while waiting for a gap */
#define STACK_ID_SLACK 1000000u     /* ids may run ahead of definitions by this */

enum { EV_ALLOC = 1, EV_FREE, EV_NOP, EV_MARK, EV_TICK };   /* MARK/TICK: size = index */

typedef struct ev {
    uint64_t seq, ts, addr, size;
    uint32_t stack;
    uint32_t tid;               /* reorder queue: the thread, or Q_TICKS / Q_MARKS */
    uint8_t kind;
} ev_t;

enum { Q_TICKS = 0xffffffffu, Q_MARKS = 0xfffffffeu };

/* Events waiting for a lower sequence number, one queue per thread: a
 * thread's events arrive in the order it numbered them, so each queue is
 * sorted and the next event is the smallest head (a heap of the queues,
 * as many as threads with events waiting). Events that break a queue's
 * order (a kernel tid reused while the old thread's last events were still
 * unread), and those of a thread that finds all Q_MAX queues busy, wait in
 * a plain heap instead. An empty queue goes to the next thread that needs
 * one; the buffers of empty queues are kept up to REORDER_MAX events in
 * all, as much as the heap alone could hold, whatever the number of
 * threads. */
#define Q_MAX  64u
typedef struct evq {
    uint32_t tid;
    ev_t *buf;                  /* ring of cap events, cap a power of two */
    size_t cap, head, n;
} evq_t;

/* A live block in 32 bytes, two to a cache line: the live set of a large
 * program is the analyzer's largest structure and its replay's cache
 * misses (python: 2.2 M blocks, a 134 MB table; 168 MB in 40 bytes).
 * Its size and the sequence number of its allocation take 48 bits each
 * (see live_size, live_seq): no real block comes near 2^48 bytes, nor a
 * trace near 2^48 events; a block with either beyond (a damaged trace's)
 * has both in the table of wide blocks, its size field all ones.
 *
 * Two other tables use the same slots: the tombstones (frees whose
 * allocation may come later, replaying a ring) keep a free's sequence
 * number in ts, and the wide blocks keep the size in ts and the sequence
 * number in szsq. */
typedef struct live {
    uint64_t addr, ts;
    uint64_t szsq;              /* size (low 48 bits), seq's bits 32-47 (high 16) */
    uint32_t seqlo;             /* seq's bits 0-31 */
    uint32_t stack;
} live_t;

#define LIVE_WIDE ((1ull << 48) - 1)   /* size field of a wide block */

struct lt_replay_priv {
    ev_t *heap;                 /* strays: min-heap on seq */
    size_t nheap, capheap;
    evq_t qs[Q_MAX];            /* the per-thread queues, nq used */
    size_t nq, lastq;
    size_t qheap[Q_MAX];        /* indices into qs of the non-empty queues, min-heap on head seq */
    size_t nqheap;
    size_t held;                /* events waiting: in the queues and strays */
    size_t kept;                /* room of the empty queues' buffers, in events */
    uint64_t next_seq;
    live_t *live;
    size_t livecap, livecount;     /* livecap: power of two */
    uint64_t ndefined;          /* STACK records seen: ids are dense from 0 */
    uint64_t end_next_seq;      /* from END: the next sequence number unused */
    lt_moment_t moment;         /* kind END: none */
    char *moment_label;
    size_t capmarks, capticks, capthreads;
    uint64_t thread_records;    /* THREAD records seen */
    uint64_t last_threads;      /* of the last tick applied */
    struct rkind { uint64_t addr, indirect; int kind; } *kinds;   /* REACHBLK entries */
    size_t nkinds, capkinds;
    int kinds_unsorted;
    lt_mark_hook_fn mark_hook;  /* lt_replay_set_mark_hook */
    void *mark_ctx;
    /* Flight-recorder checkpoints (docs/ring.md). */
    int ckpt_state;             /* CK_* */
    uint64_t ckpt_no, ckpt_live, ckpt_tombs;
    live_t *tomb;               /* frees whose allocation may still arrive: addr, seq (in ts) */
    size_t tombcap, tombcount;
    live_t *wide;               /* blocks of the live set with their size field LIVE_WIDE:
                                   addr, size (in ts), seq (in szsq) */
    size_t widecap, widecount;
};

void lt_sample_weight(uint64_t rate, uint64_t size, uint64_t seq, uint64_t *bytes, uint64_t *count)
{
    if (!rate || !size) {
        *bytes = size;
        *count = 1;
        return;
    }
    double w = -1.0 / expm1(-(double)size / (double)rate);
    double b = (double)size * w, c = floor(w);
    uint64_t h = (seq + 1) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    if ((double)(h >> 11) * (1.0 / 9007199254740992.0) < w - c) c += 1;
    *bytes = b >= 1.8e19 ? UINT64_MAX : (uint64_t)llround(b);
    *count = c >= 1.8e19 ? UINT64_MAX : (uint64_t)c;
}

/* The weighted size and count of a block (see lt_sample_weight). */
static inline void weigh(const lt_replay_t *rp, uint64_t size, uint64_t seq, uint64_t *bytes, uint64_t *count)
{
    if (LT_LIKELY_RP(!rp->proc.sample_rate)) {
        *bytes = size;
        *count = 1;
        return;
    }
    lt_sample_weight(rp->proc.sample_rate, size, seq, bytes, count);
}
enum { CK_NONE = 0, CK_LOADING, CK_DONE, CK_IGNORING };

/* ---- live set: open addressing, linear probing, backward-shift delete ---- */

static inline size_t live_slot(uint64_t addr, size_t mask) { return lt_addr_slot(addr, mask); }

/* A zeroed table of n slots. From 1 MiB on it is mapped on its own,
 * aligned to 2 MiB, in transparent huge pages where the kernel has them,
 * with its pages there at once (MADV_POPULATE_WRITE). On the virtual
 * machines the benchmarks run on, the first write to each 4 KiB page a
 * process maps costs about 5 us even when the page was populated (1.3-2.7
 * ms per MiB: python's table, 168 MB in 40-byte entries then, took
 * 210-460 ms to touch once); in huge pages populated ahead the same 168
 * MB took 15 ms. Where the kernel
 * has no huge page free it falls back to small pages, as before. NULL
 * when out of memory. */
#define TABLE_MAPPED (1u << 20)
#define TABLE_ALIGN ((size_t)2 << 20)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23      /* Linux 5.14 */
#endif

/* bytes of address space at a TABLE_ALIGN boundary, inaccessible: the
 * place a table is mapped or moved to. NULL when there is none. */
static void *table_reserve(size_t bytes)
{
    char *m = mmap(NULL, bytes + TABLE_ALIGN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return NULL;
    char *a = (char *)(((uintptr_t)m + TABLE_ALIGN - 1) & ~(uintptr_t)(TABLE_ALIGN - 1));
    if (a > m) munmap(m, (size_t)(a - m));
    munmap(a + bytes, (size_t)(m + TABLE_ALIGN - a));
    return a;
}

/* Makes [m, m + bytes) of a table's mapping huge pages where it can, and
 * present: both are advice, the memory works without them. */
static void table_populate(char *m, size_t bytes)
{
    (void)madvise(m, bytes, MADV_HUGEPAGE);
    (void)madvise(m, bytes, MADV_POPULATE_WRITE);
}

static live_t *table_alloc(size_t n)
{
    size_t bytes = n * sizeof(live_t);
    if (bytes < TABLE_MAPPED) return calloc(n, sizeof(live_t));
    void *a = table_reserve(bytes);
    if (!a) return NULL;
    void *m = mmap(a, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (m == MAP_FAILED) {
        munmap(a, bytes);
        return NULL;
    }
    table_populate(m, bytes);
    return m;
}

static void table_free(live_t *t, size_t n)
{
    if (!t) return;
    if (n * sizeof(live_t) < TABLE_MAPPED) free(t);
    else munmap(t, n * sizeof(live_t));
}

/* The table t of oc slots made 2 * oc slots long, its old slots kept and
 * the new ones zeroed; NULL when out of memory (t is left as it was). A
 * mapped table grows with mremap, which keeps its pages (and huge pages
 * stay huge: it moves to a 2 MiB boundary), so that no page is touched
 * fresh twice and nothing is copied. */
static live_t *table_extend(live_t *t, size_t oc)
{
    size_t ob = oc * sizeof *t, nb = 2 * ob;
    if (ob >= TABLE_MAPPED) {
        void *a = table_reserve(nb);
        if (!a) return NULL;
        void *m = mremap(t, ob, nb, MREMAP_MAYMOVE | MREMAP_FIXED, a);
        if (m == MAP_FAILED) {
            /* (A failed mremap may have unmapped part of a already; with
             * one thread nothing else can have mapped there since.) */
            munmap(a, nb);
            return NULL;
        }
        table_populate((char *)m + ob, nb - ob);
        return m;
    }
    live_t *n;
    if (nb >= TABLE_MAPPED) {
        if (!(n = table_alloc(2 * oc))) return NULL;
        memcpy(n, t, ob);
        free(t);
        return n;
    }
    if (!(n = realloc(t, nb))) return NULL;
    memset(n + oc, 0, ob);
    return n;
}

/* Puts e into the first empty slot from its home in tab (mask + 1 slots). */
static void table_insert(live_t *tab, size_t mask, const live_t *e)
{
    size_t j = live_slot(e->addr, mask);
    while (tab[j].addr) j = (j + 1) & mask;
    tab[j] = *e;
}

/* Doubles the table *tab of *cap slots (a first one has first slots),
 * rehashing its entries in place: the live set and the tombstones. 0, or
 * -1 when out of memory (the table is left as it was).
 *
 * An entry's home in the doubled table is its old home h or h + oc
 * (lt_addr_slot takes more bits of the same hash). Set aside the cluster
 * that wraps from the last slot to the first, and every other entry lies
 * at or after its home. Then, going up the old slots, each entry is taken
 * out and put back from its new home: from h it lands at or before its
 * old slot, among slots already settled, so no later move breaks its
 * probe chain; from h + oc it lands in the new half, where nothing is
 * ever taken out, and nothing wraps: those entries are some of the ones
 * that filled the old half without wrapping, and fewer keys with the same
 * homes (shifted by oc) fill no slot the whole set did not. The set-aside
 * entries go back last, as insertions. */
static int table_grow(live_t **tab, size_t *cap, size_t first)
{
    size_t oc = *cap;
    if (!oc) {
        if (!(*tab = table_alloc(first))) return -1;
        *cap = first;
        return 0;
    }
    live_t *t = *tab, *wrap = NULL;
    size_t head = 0, tail = 0;
    if (t[0].addr && t[oc - 1].addr) {
        /* The load is at most 3/4: there are empty slots to stop at. */
        while (head < oc && t[head].addr) head++;
        while (tail < oc - head && t[oc - 1 - tail].addr) tail++;
        if (!(wrap = malloc((head + tail) * sizeof *wrap))) return -1;
    }
    live_t *n = table_extend(t, oc);
    if (!n) { free(wrap); return -1; }
    if (wrap) {
        memcpy(wrap, n, head * sizeof *n);
        memcpy(wrap + head, n + oc - tail, tail * sizeof *n);
        memset(n, 0, head * sizeof *n);
        memset(n + oc - tail, 0, tail * sizeof *n);
    }
    size_t mask = 2 * oc - 1;
    for (size_t p = 0; p < oc; p++) {
        if (!n[p].addr) continue;
        live_t e = n[p];
        n[p].addr = 0;
        table_insert(n, mask, &e);
    }
    for (size_t k = 0; k < head + tail; k++) table_insert(n, mask, &wrap[k]);
    free(wrap);
    *tab = n;
    *cap = 2 * oc;
    return 0;
}

static int live_grow(struct lt_replay_priv *p) { return table_grow(&p->live, &p->livecap, 1u << 16); }

/* The slot holding addr (never 0) in tab (cap slots, 0 or a power of
 * two), or NULL: the live set and the tombstones. */
static inline live_t *table_find(live_t *tab, size_t cap, uint64_t addr)
{
    if (!cap) return NULL;
    size_t mask = cap - 1;
    for (size_t i = live_slot(addr, mask);; i = (i + 1) & mask) {
        if (tab[i].addr == addr) return &tab[i];
        if (!tab[i].addr) return NULL;
    }
}

static live_t *live_find(struct lt_replay_priv *p, uint64_t addr)
{
    return addr ? table_find(p->live, p->livecap, addr) : NULL;
}

/* Backward-shift deletion of slot e from an open-addressed table of cap
 * slots (the live set and the tombstones share it): later members of its
 * cluster move back, so lookups never need deleted markers. */
static void table_remove(live_t *tab, size_t cap, live_t *e)
{
    size_t mask = cap - 1, i = (size_t)(e - tab), j = i;
    tab[i].addr = 0;
    for (;;) {
        j = (j + 1) & mask;
        if (!tab[j].addr) break;
        size_t k = live_slot(tab[j].addr, mask);
        /* Move j back to i when its home k is not in (i, j]. */
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            tab[i] = tab[j];
            tab[j].addr = 0;
            i = j;
        }
    }
}

/* ---- a live block's size and sequence number ---- */

static inline int live_is_wide(const live_t *l) { return (l->szsq & LIVE_WIDE) == LIVE_WIDE; }

static inline uint64_t live_size(const struct lt_replay_priv *p, const live_t *l)
{
    if (LT_LIKELY_RP(!live_is_wide(l))) return l->szsq & LIVE_WIDE;
    return table_find(p->wide, p->widecap, l->addr)->ts;
}

static inline uint64_t live_seq(const struct lt_replay_priv *p, const live_t *l)
{
    if (LT_LIKELY_RP(!live_is_wide(l))) return (l->szsq >> 48) << 32 | l->seqlo;
    return table_find(p->wide, p->widecap, l->addr)->szsq;
}

/* A live block's weight (weigh): its bytes and block count, scaled when
 * the trace is sampled. */
static inline void weigh_live(const lt_replay_t *rp, const live_t *l, uint64_t *bytes, uint64_t *count)
{
    weigh(rp, live_size(rp->priv, l), live_seq(rp->priv, l), bytes, count);
}

/* Fills the live set's slot at with a block whose size or seq needs more
 * than 48 bits: both go to the table of wide blocks. 0, or -1 when out of
 * memory (at is left empty). */
static __attribute__((noinline)) int live_fill_wide(struct lt_replay_priv *p, live_t *at, uint64_t addr, uint64_t size,
                                                    uint64_t ts, uint64_t seq, uint32_t stack)
{
    if ((p->widecount + 1) * 4 > p->widecap * 3 && table_grow(&p->wide, &p->widecap, 16) < 0) return -1;
    table_insert(p->wide, p->widecap - 1, &(live_t){ .addr = addr, .ts = size, .szsq = seq });
    p->widecount++;
    *at = (live_t){ .addr = addr, .ts = ts, .szsq = LIVE_WIDE, .stack = stack };
    return 0;
}

/* Fills the empty slot at of the live set with a block: 0, or -1 when
 * out of memory (at is left empty). */
static inline __attribute__((always_inline)) int live_fill(struct lt_replay_priv *p, live_t *at, uint64_t addr, uint64_t size,
                                                           uint64_t ts, uint64_t seq, uint32_t stack)
{
    if (LT_UNLIKELY_RP(size >= LIVE_WIDE || seq > LIVE_WIDE)) return live_fill_wide(p, at, addr, size, ts, seq, stack);
    *at = (live_t){ addr, ts, size | (seq >> 32) << 48, (uint32_t)seq, stack };
    return 0;
}

static void live_remove(struct lt_replay_priv *p, live_t *e)
{
    if (live_is_wide(e)) {
        table_remove(p->wide, p->widecap, table_find(p->wide, p->widecap, e->addr));
        p->widecount--;
    }
    table_remove(p->live, p->livecap, e);
    p->livecount--;
}

/* ---- tombstones (replay from a checkpoint): addr -> seq of its last free ---- */

static live_t *tomb_find(struct lt_replay_priv *p, uint64_t addr)
{
    return table_find(p->tomb, p->tombcap, addr);
}

static void tomb_put(struct lt_replay_priv *p, uint64_t addr, uint64_t seq)
{
    live_t *t = tomb_find(p, addr);
    if (t) { if (seq > t->ts) t->ts = seq; return; }
    if ((p->tombcount + 1) * 4 > p->tombcap * 3 && table_grow(&p->tomb, &p->tombcap, 1u << 12) < 0) return;
    table_insert(p->tomb, p->tombcap - 1, &(live_t){ .addr = addr, .ts = seq });
    p->tombcount++;
}

static void tomb_remove(struct lt_replay_priv *p, live_t *e)
{
    table_remove(p->tomb, p->tombcap, e);
    p->tombcount--;
}

/* ---- stacks ---- */

static lt_stack_t *stack_get(lt_replay_t *rp, uint32_t id, lt_err_t *err, int64_t off)
{
    if (id == LT_STACK_NONE) return &rp->none_stack;
    if (id >= rp->nstacks) {
        if ((uint64_t)id > rp->priv->ndefined + STACK_ID_SLACK) {
            LT_ERR_SET(err, LT_E_CORRUPT, off, "chunk at byte %lld refers to stack id %u, far beyond the %zu stacks defined",
                       (long long)off, id, rp->nstacks);
            return NULL;
        }
        size_t nc = rp->nstacks ? rp->nstacks : 1024;
        while (nc <= id) nc *= 2;
        /* Not beyond what the check above allows: a hostile id costs at
         * most STACK_ID_SLACK entries more than the stacks defined. */
        if (nc > rp->priv->ndefined + STACK_ID_SLACK + 1) nc = (size_t)rp->priv->ndefined + STACK_ID_SLACK + 1;
        lt_stack_t *n = realloc(rp->stacks, nc * sizeof *n);
        if (!n) { LT_ERR_SET(err, LT_E_NOMEM, off, "out of memory for %zu stacks", nc); return NULL; }
        memset(n + rp->nstacks, 0, (nc - rp->nstacks) * sizeof *n);
        rp->stacks = n;
        rp->nstacks = nc;
    }
    return &rp->stacks[id];
}

/* ---- applying events in order ---- */

/* Ids were validated by stack_get when the event was submitted. */
static lt_stack_t *stack_at(lt_replay_t *rp, uint32_t id)
{
    return id < rp->nstacks ? &rp->stacks[id] : &rp->none_stack;
}

/* Applies e in sequence: counts the sequence numbers skipped to reach it.
 * apply_event_body is the same, inlined into the in-order path (apply). */
static void apply_event(lt_replay_t *rp, const ev_t *e);
static inline __attribute__((always_inline)) void apply_event_body(lt_replay_t *rp, const ev_t *e);

/* ---- time series ---- */

void lt_series_at(const lt_sstack_t *s, size_t i, uint64_t *bytes, uint64_t *blocks)
{
    *bytes = *blocks = 0;
    /* Binary search: the last point with slice <= i. */
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->pts[mid].slice <= i) lo = mid + 1;
        else hi = mid;
    }
    if (lo) {
        *bytes = s->pts[lo - 1].bytes;
        *blocks = s->pts[lo - 1].blocks;
    }
}

static void series_touch(lt_replay_t *rp, uint32_t id)
{
    lt_series_t *se = rp->series;
    lt_sstack_t *ss;
    if (id == LT_STACK_NONE || id >= rp->nstacks) {
        ss = &se->none;
    } else {
        if (id >= se->nst) {
            size_t nc = rp->nstacks;
            lt_sstack_t *n = realloc(se->st, nc * sizeof *n);
            if (!n) return;
            memset(n + se->nst, 0, (nc - se->nst) * sizeof *n);
            se->st = n;
            se->nst = nc;
        }
        ss = &se->st[id];
    }
    if (ss->dirty) return;
    if (se->ndirty == se->capdirty) {
        size_t nc = se->capdirty ? se->capdirty * 2 : 1024;
        uint32_t *n = realloc(se->dirty, nc * sizeof *n);
        if (!n) return;
        se->dirty = n;
        se->capdirty = nc;
    }
    ss->dirty = 1;
    se->dirty[se->ndirty++] = id;
}

static void spoint_put(lt_sstack_t *ss, uint32_t slice, uint64_t bytes, uint64_t blocks)
{
    if (ss->n && ss->pts[ss->n - 1].slice == slice) {
        ss->pts[ss->n - 1].bytes = bytes;
        ss->pts[ss->n - 1].blocks = (uint32_t)blocks;
        return;
    }
    if (ss->n && ss->pts[ss->n - 1].bytes == bytes && ss->pts[ss->n - 1].blocks == blocks) return;
    if (ss->n == ss->cap) {
        uint32_t nc = ss->cap ? ss->cap * 2 : 4;
        lt_spoint_t *n = realloc(ss->pts, nc * sizeof *n);
        if (!n) return;
        ss->pts = n;
        ss->cap = nc;
    }
    ss->pts[ss->n++] = (lt_spoint_t){ slice, (uint32_t)blocks, bytes };
}

static void series_halve(lt_series_t *se)
{
    size_t n = se->nslices / 2;
    for (size_t i = 0; i < n; i++) {
        se->tot_bytes[i] = se->tot_bytes[2 * i + 1];
        se->tot_blocks[i] = se->tot_blocks[2 * i + 1];
        se->threads[i] = se->threads[2 * i + 1];
    }
    se->nslices = n;
    se->slice_ns *= 2;
    for (size_t k = 0; k <= se->nst; k++) {
        lt_sstack_t *ss = k < se->nst ? &se->st[k] : &se->none;
        uint32_t w = 0;
        for (uint32_t i = 0; i < ss->n; i++) {
            lt_spoint_t p = ss->pts[i];
            p.slice /= 2;
            if (w && ss->pts[w - 1].slice == p.slice) ss->pts[w - 1] = p;
            else ss->pts[w++] = p;
        }
        ss->n = w;
    }
}

/* Closes the open slice: totals, and a point for every stack that changed. */
static void series_close(lt_replay_t *rp)
{
    lt_series_t *se = rp->series;
    if (se->nslices == se->cap) {
        size_t nc = se->cap * 2;
        uint64_t *a = realloc(se->tot_bytes, nc * sizeof *a), *b, *c;
        if (!a) return;
        se->tot_bytes = a;
        if (!(b = realloc(se->tot_blocks, nc * sizeof *b))) return;
        se->tot_blocks = b;
        if (!(c = realloc(se->threads, nc * sizeof *c))) return;
        se->threads = c;
        se->cap = nc;
    }
    size_t i = se->nslices;
    se->tot_bytes[i] = rp->tot.live_bytes;
    se->tot_blocks[i] = rp->tot.live_blocks;
    se->threads[i] = se->cur_threads;
    for (size_t d = 0; d < se->ndirty; d++) {
        uint32_t id = se->dirty[d];
        lt_sstack_t *ss = id < se->nst ? &se->st[id] : &se->none;
        const lt_stack_stats_t *st = id < rp->nstacks ? &rp->stacks[id].st : &rp->none_stack.st;
        spoint_put(ss, (uint32_t)i, st->live_bytes, st->live_blocks);
        ss->dirty = 0;
    }
    se->ndirty = 0;
    se->nslices++;
    if (se->nslices >= 2 * se->max_slices) series_halve(se);
}

static void series_advance(lt_replay_t *rp, uint64_t ts)
{
    lt_series_t *se = rp->series;
    ts = ts > se->origin_ns ? ts - se->origin_ns : 0;
    /* A division, not ts >= (nslices + 1) * slice_ns: a corrupt time near
     * 2^64 overflowed that product (and then slice_ns itself, doubled by
     * each halving) and the loop never ended (found by fuzz_records). */
    while (ts / se->slice_ns > se->nslices) {
        if (se->slice_ns > UINT64_MAX / 4) break;   /* no room to double the slices again */
        size_t before = se->nslices;
        series_close(rp);
        if (se->nslices == before) break; /* out of memory: stop here */
    }
}

int lt_replay_enable_series(lt_replay_t *rp, uint64_t min_slice_ns, size_t max_slices)
{
    lt_series_t *se = calloc(1, sizeof *se);
    if (!se) return -LT_E_NOMEM;
    se->slice_ns = min_slice_ns ? min_slice_ns : 10000000;
    se->max_slices = max_slices >= 4 ? max_slices : 4;
    se->cap = 2 * se->max_slices + 2;
    se->tot_bytes = malloc(se->cap * sizeof *se->tot_bytes);
    se->tot_blocks = malloc(se->cap * sizeof *se->tot_blocks);
    se->threads = malloc(se->cap * sizeof *se->threads);
    if (!se->tot_bytes || !se->tot_blocks || !se->threads) {
        free(se->tot_bytes); free(se->tot_blocks); free(se->threads); free(se);
        return -LT_E_NOMEM;
    }
    rp->series = se;
    return 0;
}

static void series_free(lt_series_t *se)
{
    if (!se) return;
    for (size_t i = 0; i < se->nst; i++) free(se->st[i].pts);
    free(se->none.pts);
    free(se->st);
    free(se->dirty);
    free(se->tot_bytes);
    free(se->tot_blocks);
    free(se->threads);
    free(se);
}

/* Copies the heap state as it is now into rp->snap. */
static void take_snapshot(lt_replay_t *rp, uint64_t seq, uint64_t ts, int reached)
{
    lt_snapshot_t *sn = &rp->snap;
    free(sn->st);
    sn->st = NULL;
    sn->nst = 0;
    if (rp->nstacks) {
        sn->st = malloc(rp->nstacks * sizeof *sn->st);
        if (sn->st) {
            for (size_t i = 0; i < rp->nstacks; i++) sn->st[i] = rp->stacks[i].st;
            sn->nst = rp->nstacks;
        }
    }
    sn->none_st = rp->none_stack.st;
    sn->tot = rp->tot;
    sn->seq = seq;
    sn->ts = ts;
    sn->threads = rp->priv->last_threads;
    sn->reached = reached;
}

static inline __attribute__((always_inline)) void apply(lt_replay_t *rp, const ev_t *e)
{
    struct lt_replay_priv *p = rp->priv;
    if (e->seq > p->next_seq) rp->seq_gaps += e->seq - p->next_seq;
    p->next_seq = e->seq + 1;
    const lt_moment_t *m = &p->moment;
    if (m->kind != LT_MOMENT_END && !rp->snap.reached && e->kind != EV_NOP &&
        ((m->kind == LT_MOMENT_TIME && e->ts > m->ts) || (m->kind == LT_MOMENT_SEQ && e->seq > m->seq)))
        take_snapshot(rp, e->seq, m->kind == LT_MOMENT_TIME ? m->ts : rp->last_ts, 1);
    if (rp->series && e->kind != EV_NOP) series_advance(rp, e->ts);
    apply_event_body(rp, e);
}

/* ---- events of a replay that started from a checkpoint ----
 * Events numbered below the checkpoint's base that come after it were in
 * flight when it was taken: they arrive late, after events with higher
 * numbers. Per address the event with the highest number decides the
 * state (the allocator orders the events of one address), so: a block
 * live or a free recorded (tombstone) with a higher number than an event
 * makes that event part of an earlier life of the address, already over. */

/* Inlined: the in-order path of submit() calls them for every event. */
/* Counts one allocation of weight (wb bytes, wc blocks) at stack s. */
static inline __attribute__((always_inline)) void count_alloc(lt_replay_t *rp, lt_stack_t *s, uint64_t wb, uint64_t wc)
{
    s->st.allocs += wc;
    s->st.bytes_alloc += wb;
    rp->tot.allocations += wc;
    rp->tot.bytes_allocated += wb;
}

/* Room for one more block in the live set: 0, or -1 when out of memory. */
static inline int live_room(struct lt_replay_priv *p)
{
    return (p->livecount + 1) * 4 > p->livecap * 3 ? live_grow(p) : 0;
}

/* The slot of addr in the live set, or, when addr is not in it, the empty
 * slot where it goes: one walk for an allocation's check for a stale
 * block and its insertion (an unsuccessful search walks the whole cluster:
 * the longest walks of a replay). The table has room (live_room). */
static inline live_t *live_seek(struct lt_replay_priv *p, uint64_t addr)
{
    size_t mask = p->livecap - 1;
    for (size_t i = live_slot(addr, mask);; i = (i + 1) & mask)
        if (p->live[i].addr == addr || !p->live[i].addr) return &p->live[i];
}

/* Puts a block into the empty slot at (live_seek's, with room). */
static inline __attribute__((always_inline)) void live_put_at(lt_replay_t *rp, live_t *at, uint64_t addr, uint64_t size, uint64_t ts,
                                                              uint64_t seq, uint32_t stack, int counted)
{
    struct lt_replay_priv *p = rp->priv;
    if (live_fill(p, at, addr, size, ts, seq, stack) < 0) return;
    p->livecount++;
    if (rp->series) series_touch(rp, stack);
    lt_stack_t *s = stack_at(rp, stack);
    uint64_t wb, wc;
    weigh(rp, size, seq, &wb, &wc);
    if (counted) count_alloc(rp, s, wb, wc);
    s->st.live_blocks += wc;
    s->st.live_bytes += wb;
    rp->tot.live_blocks += wc;
    rp->tot.live_bytes += wb;
    if (rp->tot.live_bytes > rp->tot.peak_bytes) {
        rp->tot.peak_bytes = rp->tot.live_bytes;
        rp->tot.peak_ts = ts > rp->window_ts ? ts : rp->window_ts;
        rp->tot.peak_seq = seq;
    }
}

/* Puts a block not in the live set into it (dropped when out of memory). */
static inline __attribute__((always_inline)) void live_put(lt_replay_t *rp, uint64_t addr, uint64_t size, uint64_t ts, uint64_t seq, uint32_t stack, int counted)
{
    if (live_room(rp->priv) < 0) return;
    live_put_at(rp, live_seek(rp->priv, addr), addr, size, ts, seq, stack, counted);
}

static inline __attribute__((always_inline)) void live_del(lt_replay_t *rp, live_t *l)
{
    if (rp->series) series_touch(rp, l->stack);
    lt_stack_t *s = stack_at(rp, l->stack);
    uint64_t wb, wc;
    weigh_live(rp, l, &wb, &wc);
    s->st.frees += wc;
    s->st.live_blocks -= wc;
    s->st.live_bytes -= wb;
    rp->tot.frees += wc;
    rp->tot.live_blocks -= wc;
    rp->tot.live_bytes -= wb;
    live_remove(rp->priv, l);
}

static void apply_ring_event(lt_replay_t *rp, const ev_t *e)
{
    struct lt_replay_priv *p = rp->priv;
    live_t *l = live_find(p, e->addr);
    live_t *t = tomb_find(p, e->addr);
    if (e->kind == EV_ALLOC) {
        if ((t && t->ts > e->seq) || (l && live_seq(p, l) > e->seq)) {
            /* A life of this address that ended before the newer event:
             * allocated and freed, inside the window. */
            lt_stack_t *s = stack_at(rp, e->stack);
            uint64_t wb, wc;
            weigh(rp, e->size, e->seq, &wb, &wc);
            count_alloc(rp, s, wb, wc);
            s->st.frees += wc;
            rp->tot.frees += wc;
            return;
        }
        if (t) tomb_remove(p, t);
        if (l) {
            /* Its free is lost (not late: numbered above the base). */
            if (live_seq(p, l) >= rp->window_seq) rp->replaced++;
            live_del(rp, l);
        }
        live_put(rp, e->addr, e->size, e->ts, e->seq, e->stack, 1);
        return;
    }
    if (l && live_seq(p, l) < e->seq) {
        live_del(rp, l);
        tomb_put(p, e->addr, e->seq);
    } else if (!l && !(t && t->ts > e->seq)) {
        /* Its allocation is late, or was before the trace: remember the free. */
        tomb_put(p, e->addr, e->seq);
    }
}

static void apply_event(lt_replay_t *rp, const ev_t *e)
{
    apply_event_body(rp, e);
}

static inline __attribute__((always_inline)) void apply_event_body(lt_replay_t *rp, const ev_t *e)
{
    struct lt_replay_priv *p = rp->priv;
    if (e->ts > rp->last_ts) rp->last_ts = e->ts;
    if (e->kind == EV_NOP) return;
    if (e->kind == EV_MARK) {
        lt_mark_t *mk = &rp->marks[e->size];
        mk->tot = rp->tot;
        if (p->moment.kind == LT_MOMENT_MARK && !rp->snap.reached && strcmp(mk->label, p->moment.label) == 0)
            take_snapshot(rp, e->seq + 1, e->ts, 1);
        if (p->mark_hook) p->mark_hook(p->mark_ctx, rp, mk);
        return;
    }
    if (e->kind == EV_TICK) {
        lt_tick_t *tk = &rp->ticks[e->size];
        tk->live_bytes = rp->tot.live_bytes;
        tk->live_blocks = rp->tot.live_blocks;
        tk->allocations = rp->tot.allocations;
        tk->bytes_allocated = rp->tot.bytes_allocated;
        p->last_threads = tk->threads;
        if (rp->series) rp->series->cur_threads = tk->threads;
        return;
    }
    /* Address 0 marks an empty slot of the live set; the tracer never
     * records it (a failed allocation is no event, free(NULL) neither), so
     * an event naming it is damage: ignored. */
    if (!e->addr) return;
    rp->events++;
    if (rp->from_checkpoint) { apply_ring_event(rp, e); return; }
    if (e->kind == EV_ALLOC) {
        if (live_room(p) < 0) return;
        live_t *old = live_seek(p, e->addr);
        if (!old->addr) {
            live_put_at(rp, old, e->addr, e->size, e->ts, e->seq, e->stack, 1);
        } else {
            /* The trace missed the free of this address (an untraced
             * free, e.g. from a signal handler): drop the stale block. */
            rp->replaced++;
            if (rp->series) series_touch(rp, old->stack);
            lt_stack_t *os = stack_at(rp, old->stack);
            uint64_t ob, oc;
            weigh_live(rp, old, &ob, &oc);
            os->st.live_blocks -= oc;
            os->st.live_bytes -= ob;
            rp->tot.live_blocks -= oc;
            rp->tot.live_bytes -= ob;
            live_remove(p, old);
            live_put(rp, e->addr, e->size, e->ts, e->seq, e->stack, 1);
        }
    } else {
        live_t *l = live_find(p, e->addr);
        if (!l) { rp->unknown_frees++; return; }
        live_del(rp, l);
    }
}

/* Min-heap on seq. */
static void heap_push(struct lt_replay_priv *p, const ev_t *e)
{
    size_t i = p->nheap++;
    while (i) {
        size_t up = (i - 1) / 2;
        if (p->heap[up].seq <= e->seq) break;
        p->heap[i] = p->heap[up];
        i = up;
    }
    p->heap[i] = *e;
}

static ev_t heap_pop(struct lt_replay_priv *p)
{
    ev_t top = p->heap[0], last = p->heap[--p->nheap];
    size_t i = 0, n = p->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && p->heap[c + 1].seq < p->heap[c].seq) c++;
        if (last.seq <= p->heap[c].seq) break;
        p->heap[i] = p->heap[c];
        i = c;
    }
    if (n) p->heap[i] = last;
    return top;
}

static inline uint64_t qhead_seq(const struct lt_replay_priv *p, size_t qi)
{
    const evq_t *q = &p->qs[qi];
    return q->buf[q->head].seq;
}

static void qheap_up(struct lt_replay_priv *p, size_t i)
{
    size_t qi = p->qheap[i];
    uint64_t k = qhead_seq(p, qi);
    while (i) {
        size_t up = (i - 1) / 2;
        if (qhead_seq(p, p->qheap[up]) <= k) break;
        p->qheap[i] = p->qheap[up];
        i = up;
    }
    p->qheap[i] = qi;
}

static void qheap_down(struct lt_replay_priv *p, size_t i)
{
    size_t qi = p->qheap[i], n = p->nqheap;
    uint64_t k = qhead_seq(p, qi);
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && qhead_seq(p, p->qheap[c + 1]) < qhead_seq(p, p->qheap[c])) c++;
        if (k <= qhead_seq(p, p->qheap[c])) break;
        p->qheap[i] = p->qheap[c];
        i = c;
    }
    p->qheap[i] = qi;
}

/* The queue of thread tid: its own, an empty one, or a new one; NULL when
 * all Q_MAX are busy with other threads' events. */
static evq_t *queue_of(struct lt_replay_priv *p, uint32_t tid)
{
    if (p->lastq < p->nq && p->qs[p->lastq].tid == tid) return &p->qs[p->lastq];
    size_t empty = Q_MAX;
    for (size_t i = 0; i < p->nq; i++) {
        if (p->qs[i].tid == tid) { p->lastq = i; return &p->qs[i]; }
        if (!p->qs[i].n && empty == Q_MAX) empty = i;
    }
    if (empty == Q_MAX) {
        if (p->nq == Q_MAX) return NULL;
        empty = p->nq++;
        memset(&p->qs[empty], 0, sizeof p->qs[empty]);
    }
    p->qs[empty].tid = tid;
    p->lastq = empty;
    return &p->qs[empty];
}

/* Holds e until its turn. 0, or -1 when out of memory. */
static int hold(struct lt_replay_priv *p, const ev_t *e)
{
    evq_t *q = queue_of(p, e->tid);
    if (!q || (q->n && q->buf[(q->head + q->n - 1) & (q->cap - 1)].seq >= e->seq)) {
        if (p->nheap == p->capheap) {   /* a stray: out of its thread's order, or no queue */
            size_t nc = p->capheap ? p->capheap * 2 : 4096;
            ev_t *n = realloc(p->heap, nc * sizeof *n);
            if (!n) return -1;
            p->heap = n;
            p->capheap = nc;
        }
        heap_push(p, e);
        p->held++;
        return 0;
    }
    if (!q->n) p->kept -= q->cap;       /* a kept buffer back in use */
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 1024;
        ev_t *n = malloc(nc * sizeof *n);
        if (!n) return -1;
        for (size_t i = 0; i < q->n; i++) n[i] = q->buf[(q->head + i) & (q->cap - 1)];
        free(q->buf);
        q->buf = n;
        q->cap = nc;
        q->head = 0;
    }
    q->buf[(q->head + q->n++) & (q->cap - 1)] = *e;
    p->held++;
    if (q->n == 1) {                    /* a new head: the queue joins the heap */
        p->qheap[p->nqheap++] = (size_t)(q - p->qs);
        qheap_up(p, p->nqheap - 1);
    }
    return 0;
}

/* The smallest sequence number held (p->held > 0). */
static inline uint64_t held_min(const struct lt_replay_priv *p)
{
    uint64_t m = p->nqheap ? qhead_seq(p, p->qheap[0]) : UINT64_MAX;
    return p->nheap && p->heap[0].seq < m ? p->heap[0].seq : m;
}

/* Takes the held event with the smallest sequence number (p->held > 0). */
static ev_t take_min(struct lt_replay_priv *p)
{
    p->held--;
    if (p->nheap && (!p->nqheap || p->heap[0].seq < qhead_seq(p, p->qheap[0]))) return heap_pop(p);
    size_t qi = p->qheap[0];
    evq_t *q = &p->qs[qi];
    ev_t e = q->buf[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    if (--q->n) {
        qheap_down(p, 0);
    } else {
        if (p->kept + q->cap > REORDER_MAX) {   /* enough kept already: give it back */
            free(q->buf);
            q->buf = NULL;
            q->cap = q->head = 0;
        } else {
            p->kept += q->cap;
        }
        if (--p->nqheap) {
            p->qheap[0] = p->qheap[p->nqheap];
            qheap_down(p, 0);
        }
    }
    return e;
}

/* Applies the held events whose turn has come, and the oldest ones while
 * more than REORDER_MAX are held (their gap is given up on). */
static inline void release(lt_replay_t *rp)
{
    struct lt_replay_priv *p = rp->priv;
    while (p->held && (held_min(p) == p->next_seq || p->held > REORDER_MAX)) {
        ev_t x = take_min(p);
        apply(rp, &x);
    }
}

static int submit(lt_replay_t *rp, const ev_t *e, lt_err_t *err)
{
    struct lt_replay_priv *p = rp->priv;
    if ((e->kind == EV_ALLOC || e->kind == EV_FREE) && e->stack >= rp->nstacks && !stack_get(rp, e->stack, err, -1))
        return -err->code;
    if (e->seq == p->next_seq && (p->held == 0 || !rp->from_checkpoint || e->seq >= rp->window_seq)) {
        /* Its turn: applied without a trip through the reorder buffer,
         * then whatever it was holding up. With several threads, one
         * thread's run of events waits in the buffer while another's
         * arrive in turn: half the events of a 2-thread trace. */
        apply(rp, e);
        if (p->held) release(rp);
        return 0;
    }
    if (rp->from_checkpoint && e->seq < rp->window_seq) {
        /* In flight at the checkpoint: exact by the highest-number rule. */
        apply_event(rp, e);
        return 0;
    }
    if (e->seq < p->next_seq) {
        /* Older than what was applied: only possible when a gap was given
         * up on; apply it now rather than lose it. */
        if (rp->seq_gaps) rp->seq_gaps--;
        apply_event(rp, e);
        return 0;
    }
    if (hold(p, e)) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory in the reorder buffer");
    release(rp);
    return 0;
}

/* ---- length-prefixed records ---- */

typedef struct rd { const unsigned char *p, *end; int bad; } rd_t;

static uint64_t rd_num(rd_t *r)
{
    uint64_t v = 0;
    if (!r->bad && lt_get_varint(&r->p, r->end, &v)) r->bad = 1;
    return v;
}

static const unsigned char *rd_bytes(rd_t *r, size_t *len)
{
    uint64_t n = rd_num(r);
    if (r->bad || n > (uint64_t)(r->end - r->p)) { r->bad = 1; *len = 0; return NULL; }
    const unsigned char *s = r->p;
    r->p += n;
    *len = (size_t)n;
    return s;
}

static char *dupn(const unsigned char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int on_stack(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    rd_t d = { r->payload, r->payload + r->len, 0 };
    uint64_t id = rd_num(&d), gen = rd_num(&d), depth = rd_num(&d);
    if (d.bad || id >= LT_STACK_NONE || gen > UINT32_MAX || depth > 1024 || depth > r->len)
        LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed stack record", (long long)r->offset);
    lt_stack_t *s = stack_get(rp, (uint32_t)id, err, r->offset);
    if (!s) return -err->code;
    if (!s->ips) rp->priv->ndefined++;
    uint64_t *ips = malloc((depth ? depth : 1) * sizeof *ips);
    if (!ips) LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory");
    uint64_t prev = 0;
    for (uint64_t i = 0; i < depth; i++) {
        uint64_t v = rd_num(&d);
        prev = i == 0 ? v : prev + (uint64_t)lt_unzigzag(v);
        ips[i] = prev;
    }
    if (d.bad) { free(ips); LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: stack %llu is cut short", (long long)r->offset, (unsigned long long)id); }
    free(s->ips);
    s->ips = ips;
    s->depth = (uint32_t)depth;
    s->gen = (uint32_t)gen;
    return 0;
}

static int on_module(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    rd_t d = { r->payload, r->payload + r->len, 0 };
    lt_module_t m = { 0 };
    m.gen_loaded = (uint32_t)rd_num(&d);
    m.gen_unloaded = LT_GEN_NEVER;
    m.base = rd_num(&d);
    uint64_t nseg = rd_num(&d);
    if (d.bad || nseg > 64) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed module record", (long long)r->offset);
    m.seg = calloc(nseg ? nseg : 1, sizeof *m.seg);
    if (!m.seg) LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory");
    m.nseg = (uint32_t)nseg;
    for (uint64_t i = 0; i < nseg; i++) {
        m.seg[i].vaddr = rd_num(&d);
        m.seg[i].memsz = rd_num(&d);
        m.seg[i].prot = (uint32_t)rd_num(&d);
    }
    size_t idlen, plen;
    const unsigned char *id = rd_bytes(&d, &idlen);
    const unsigned char *path = rd_bytes(&d, &plen);
    if (d.bad || idlen > sizeof m.build_id) {
        free(m.seg);
        LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed module record", (long long)r->offset);
    }
    memcpy(m.build_id, id, idlen);
    m.build_id_len = (uint32_t)idlen;
    m.path = dupn(path, plen);
    m.tracer = m.path && rp->proc.tracer && !strcmp(m.path, rp->proc.tracer);
    lt_module_t *n = m.path ? realloc(rp->mods, (rp->nmods + 1) * sizeof *n) : NULL;
    if (!n) { free(m.seg); free(m.path); LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory"); }
    rp->mods = n;
    rp->mods[rp->nmods++] = m;
    return 0;
}

static int on_unmodule(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    rd_t d = { r->payload, r->payload + r->len, 0 };
    uint64_t gen = rd_num(&d), base = rd_num(&d);
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed unload record", (long long)r->offset);
    for (size_t i = rp->nmods; i-- > 0;)
        if (rp->mods[i].base == base && rp->mods[i].gen_unloaded == LT_GEN_NEVER) {
            rp->mods[i].gen_unloaded = (uint32_t)gen;
            break;
        }
    return 0;
}

static int on_process(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    rd_t d = { r->payload, r->payload + r->len, 0 };
    lt_process_t *pr = &rp->proc;
    while (d.p < d.end && !d.bad) {
        size_t kl, vl;
        const unsigned char *k = rd_bytes(&d, &kl), *v = rd_bytes(&d, &vl);
        if (d.bad) break;
        char *val = dupn(v, vl);
        if (!val) LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory");
#define KEY(s) (kl == sizeof(s) - 1 && memcmp(k, s, kl) == 0)
        if (KEY("pid")) pr->pid = atoll(val);
        else if (KEY("ppid")) pr->ppid = atoll(val);
        else if (KEY("start_realtime_ns")) pr->start_realtime_ns = atoll(val);
        else if (KEY("page_size")) pr->page_size = atoll(val);
        else if (KEY("depth")) pr->depth = atoi(val);
        else if (KEY("forked")) pr->forked = atoi(val);
        else if (KEY("sample_rate")) pr->sample_rate = strtoull(val, NULL, 10);
        else if (KEY("exe")) { free(pr->exe); pr->exe = val; val = NULL; }
        else if (KEY("version")) { free(pr->version); pr->version = val; val = NULL; }
        else if (KEY("tracer")) {
            free(pr->tracer);
            pr->tracer = val;
            val = NULL;
            /* A checkpoint carries the module map before this record. */
            for (size_t i = 0; i < rp->nmods; i++) rp->mods[i].tracer = !strcmp(rp->mods[i].path, pr->tracer);
        }
        else if (KEY("argv")) {
            size_t n = 0;
            for (size_t i = 0; i < vl; i++) n += val[i] == '\0';
            if (vl && val[vl - 1] != '\0') n++;
            char **av = calloc(n + 1, sizeof *av);
            if (!av) { free(val); LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory"); }
            size_t a = 0;
            for (size_t i = 0; i < vl && a < n;) {
                size_t l = strnlen(val + i, vl - i);
                av[a++] = dupn((const unsigned char *)val + i, l);
                i += l + 1;
            }
            if (pr->argv) for (size_t i = 0; pr->argv[i]; i++) free(pr->argv[i]);
            free(pr->argv);
            pr->argv = av;
            pr->argc = a;
        }
#undef KEY
        free(val);
    }
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed process record", (long long)r->offset);
    rp->have_process = 1;
    return 0;
}

static int on_mark(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    struct lt_replay_priv *p = rp->priv;
    rd_t d = { r->payload, r->payload + r->len, 0 };
    uint64_t seq = rd_num(&d), ts = rd_num(&d), tid = rd_num(&d);
    size_t len;
    const unsigned char *label = rd_bytes(&d, &len);
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed mark record", (long long)r->offset);
    if (rp->nmarks == p->capmarks) {
        size_t nc = p->capmarks ? p->capmarks * 2 : 16;
        lt_mark_t *n = realloc(rp->marks, nc * sizeof *n);
        if (!n) LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory");
        rp->marks = n;
        p->capmarks = nc;
    }
    lt_mark_t mk = { seq, ts, (uint32_t)tid, dupn(label, len), { 0 } };
    if (!mk.label) LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory");
    for (size_t i = 0; i < len; i++)
        if (mk.label[i] == '\0' || mk.label[i] == '\n') mk.label[i] = ' ';
    rp->marks[rp->nmarks] = mk;
    ev_t e = { seq, ts, 0, rp->nmarks++, 0, Q_MARKS, EV_MARK };
    return submit(rp, &e, err);
}

static int on_tick(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    struct lt_replay_priv *p = rp->priv;
    rd_t d = { r->payload, r->payload + r->len, 0 };
    lt_tick_t tk = { 0 };
    tk.seq = rd_num(&d);
    tk.ts = rd_num(&d);
    tk.threads = rd_num(&d);
    tk.rss = rd_num(&d);
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed tick record", (long long)r->offset);
    if (rp->nticks == p->capticks) {
        size_t nc = p->capticks ? p->capticks * 2 : 256;
        lt_tick_t *n = realloc(rp->ticks, nc * sizeof *n);
        if (!n) LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory");
        rp->ticks = n;
        p->capticks = nc;
    }
    rp->ticks[rp->nticks] = tk;
    ev_t e = { tk.seq, tk.ts, 0, rp->nticks++, 0, Q_TICKS, EV_TICK };
    return submit(rp, &e, err);
}

/* Serials may skip ahead of the thread records seen by this (failed
 * creates, records of other threads still in later chunks); the table is
 * thus bounded by the input's size, not by a number it declares. */
#define THREAD_SLACK 65536u

static int on_thread(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    struct lt_replay_priv *p = rp->priv;
    rd_t d = { r->payload, r->payload + r->len, 0 };
    uint64_t kind = rd_num(&d), serial = rd_num(&d), ts = rd_num(&d), a = 0, b = 0, c = 0, fn = 0;
    char name[16] = "";
    if (kind == LT_THR_NAME) {
        size_t len;
        const unsigned char *nm = rd_bytes(&d, &len);
        if (!d.bad) {
            if (len > 15) len = 15;
            memcpy(name, nm, len);
            name[len] = '\0';
            for (size_t i = 0; i < len; i++)
                if ((unsigned char)name[i] < 0x20) name[i] = '?';
        }
    } else {
        a = rd_num(&d);
        b = rd_num(&d);
        c = rd_num(&d);
        if (kind == LT_THR_CREATE) fn = rd_num(&d);
    }
    if (d.bad || kind > LT_THR_NAME || serial > p->thread_records + THREAD_SLACK)
        LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed thread record", (long long)r->offset);
    p->thread_records++;
    if (serial == 0) {
        if (kind == LT_THR_NAME) memcpy(rp->main_name, name, sizeof name);
        return 0;
    }
    if (serial > rp->nthreads) {
        if (serial > p->capthreads) {
            size_t nc = p->capthreads ? p->capthreads : 64;
            while (nc < serial) nc *= 2;
            lt_thread_info_t *n = realloc(rp->threads, nc * sizeof *n);
            if (!n) LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory for %zu threads", nc);
            rp->threads = n;
            p->capthreads = nc;
        }
        for (size_t i = rp->nthreads; i < serial; i++) {
            memset(&rp->threads[i], 0, sizeof rp->threads[i]);
            rp->threads[i].serial = i + 1;
            rp->threads[i].stack = LT_STACK_NONE;
        }
        rp->nthreads = (size_t)serial;
    }
    lt_thread_info_t *t = &rp->threads[serial - 1];
    switch (kind) {
    case LT_THR_CREATE:
        t->have_create = 1;
        t->create_ts = ts;
        t->creator_tid = (uint32_t)a;
        t->stack = b > UINT32_MAX ? LT_STACK_NONE : (uint32_t)b;
        t->detached_at_create = (int)(c & 1);
        t->creator_serial = c >> 1;
        t->start_fn = fn;
        break;
    case LT_THR_START: t->have_start = 1; t->start_ts = ts; t->tid = (uint32_t)a; break;
    case LT_THR_EXIT: t->have_end = 1; t->end_ts = ts; t->end_how = (int)b; if (!t->tid) t->tid = (uint32_t)a; break;
    case LT_THR_JOIN: t->have_join = 1; t->join_ts = ts; t->joiner_tid = (uint32_t)a; t->joiner_serial = b; break;
    case LT_THR_DETACH: t->have_detach = 1; t->detach_ts = ts; break;
    case LT_THR_NAME: memcpy(t->name, name, sizeof name); break;
    }
    return 0;
}

static int on_reach(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    rd_t d = { r->payload, r->payload + r->len, 0 };
    lt_reach_summary_t s = { 0 };
    s.have = 1;
    s.status = (unsigned)rd_num(&d);
    s.how = (int)rd_num(&d);
    s.blocks = rd_num(&d);
    s.root_bytes = rd_num(&d);
    s.heap_bytes = rd_num(&d);
    s.time_ns = rd_num(&d);
    s.threads_stopped = rd_num(&d);
    s.threads_not_stopped = rd_num(&d);
    for (int k = 0; k < 4; k++) { s.kind_blocks[k] = rd_num(&d); s.kind_bytes[k] = rd_num(&d); }
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed reachability summary", (long long)r->offset);
    if (s.status != LT_SCAN_RAN) rp->priv->nkinds = 0; /* kinds of an earlier image (failed exec) no longer hold */
    rp->reach = s;
    return 0;
}

static int on_reachblk(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    struct lt_replay_priv *p = rp->priv;
    rd_t d = { r->payload, r->payload + r->len, 0 };
    uint64_t n = rd_num(&d), addr = 0;
    if (d.bad || n > r->len) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed reachability record", (long long)r->offset);
    if (p->nkinds + n > p->capkinds) {
        size_t nc = p->capkinds ? p->capkinds : 1024;
        while (nc < p->nkinds + n) nc *= 2;
        struct rkind *nk = realloc(p->kinds, nc * sizeof *nk);
        if (!nk) LT_RETURN_ERROR(err, LT_E_NOMEM, r->offset, "out of memory for %zu block kinds", nc);
        p->kinds = nk;
        p->capkinds = nc;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v = rd_num(&d), ind = 0;
        int kind = (int)(v & 3);
        if (kind == LT_KIND_DEFINITE) ind = rd_num(&d);
        addr += v >> 2;
        if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: reachability record ends early", (long long)r->offset);
        if (p->nkinds && p->kinds[p->nkinds - 1].addr >= addr) p->kinds_unsorted = 1;
        p->kinds[p->nkinds++] = (struct rkind){ addr, ind, kind };
    }
    return 0;
}

/* ---- checkpoints ---- */

static int on_ckpt(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    struct lt_replay_priv *p = rp->priv;
    rd_t d = { r->payload, r->payload + r->len, 0 };
    uint64_t no = rd_num(&d), base = rd_num(&d), ts = rd_num(&d), nlive = rd_num(&d), ntomb = rd_num(&d), max = rd_num(&d);
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed checkpoint record", (long long)r->offset);
    if (max) rp->ring_max_size = max;
    /* Only a checkpoint that opens the replay is used: later ones repeat
     * what the events already said. */
    if (p->ckpt_state != CK_NONE || rp->events || p->next_seq || p->held || rp->nmarks || rp->nticks) {
        p->ckpt_state = CK_IGNORING;
        return 0;
    }
    p->ckpt_state = CK_LOADING;
    p->ckpt_no = no;
    p->ckpt_live = nlive;
    p->ckpt_tombs = ntomb;
    rp->from_checkpoint = 1;
    rp->window_ts = ts;
    rp->window_seq = base;
    rp->last_ts = ts;
    p->next_seq = base;
    if (rp->series) rp->series->origin_ns = ts;   /* the series covers the window */
    return 0;
}

static int on_live(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    struct lt_replay_priv *p = rp->priv;
    if (p->ckpt_state != CK_LOADING) return 0;
    rd_t d = { r->payload, r->payload + r->len, 0 };
    while (d.p < d.end && !d.bad) {
        uint64_t addr = rd_num(&d), size = rd_num(&d), stack = rd_num(&d), ts = rd_num(&d), seq = rd_num(&d);
        (void)rd_num(&d); /* tid */
        if (d.bad || d.p >= d.end || !addr || stack > UINT32_MAX) { d.bad = 1; break; }
        d.p++;            /* fn */
        if (!stack_get(rp, (uint32_t)stack, err, r->offset)) return -err->code;
        live_t *old = live_find(p, addr);
        if (old) continue;
        live_put(rp, addr, size, ts, seq, (uint32_t)stack, 0);
        uint64_t wb, wc;
        weigh(rp, size, seq, &wb, &wc);
        rp->ckpt_blocks++;       /* records: CKPT_END checks this count */
        rp->ckpt_bytes += wb;
    }
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed checkpoint block list", (long long)r->offset);
    return 0;
}

static int on_tomb(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    struct lt_replay_priv *p = rp->priv;
    if (p->ckpt_state != CK_LOADING) return 0;
    rd_t d = { r->payload, r->payload + r->len, 0 };
    while (d.p < d.end && !d.bad) {
        uint64_t addr = rd_num(&d), seq = rd_num(&d);
        if (!d.bad && addr) tomb_put(p, addr, seq);
    }
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed checkpoint free list", (long long)r->offset);
    return 0;
}

static int on_ckpt_end(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    struct lt_replay_priv *p = rp->priv;
    rd_t d = { r->payload, r->payload + r->len, 0 };
    uint64_t no = rd_num(&d), nlive = rd_num(&d);
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed checkpoint end", (long long)r->offset);
    if (p->ckpt_state == CK_LOADING) {
        if (no != p->ckpt_no || nlive != p->ckpt_live || rp->ckpt_blocks != nlive)
            LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset,
                            "chunk at byte %lld: checkpoint %llu ends saying %llu blocks; it opened saying %llu and listed %llu",
                            (long long)r->offset, (unsigned long long)no, (unsigned long long)nlive,
                            (unsigned long long)p->ckpt_live, (unsigned long long)rp->ckpt_blocks);
        rp->tot.peak_bytes = rp->tot.live_bytes;
        rp->tot.peak_ts = rp->window_ts;
        rp->tot.peak_seq = rp->window_seq;
    }
    p->ckpt_state = CK_DONE;
    return 0;
}

static int on_end(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    rd_t d = { r->payload, r->payload + r->len, 0 };
    uint64_t how = rd_num(&d), status = rd_num(&d), ts = rd_num(&d), next = rd_num(&d);
    if (d.bad) LT_RETURN_ERROR(err, LT_E_CORRUPT, r->offset, "chunk at byte %lld: malformed end record", (long long)r->offset);
    rp->complete = 1;
    rp->end_how = (int)how;
    rp->end_status = (int)lt_unzigzag(status);
    rp->end_ts = ts;
    rp->priv->end_next_seq = next;
    return 0;
}

/* ---- public ---- */

lt_replay_t *lt_replay_new(void)
{
    lt_replay_t *rp = calloc(1, sizeof *rp);
    if (!rp) return NULL;
    rp->priv = calloc(1, sizeof *rp->priv);
    if (!rp->priv) { free(rp); return NULL; }
    return rp;
}

int lt_replay_record(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err)
{
    ev_t e = { 0 };
    if (rp->priv->ckpt_state == CK_IGNORING && r->type != LT_REC_CKPT_END) return 0; /* a later checkpoint: nothing new */
    if (r->type < 0x80 && rp->complete && rp->end_how == LT_END_EXEC) rp->complete = 0; /* exec failed, went on */
    switch (r->type) {
    case LT_REC_ALLOC:
        e = (ev_t){ r->seq, r->ts, r->addr, r->size, r->stack, r->tid, EV_ALLOC };
        return submit(rp, &e, err);
    case LT_REC_FREE:
        e = (ev_t){ r->seq, r->ts, r->addr, 0, 0, r->tid, EV_FREE };
        return submit(rp, &e, err);
    case LT_REC_REALLOC:
        e = (ev_t){ r->seq, r->ts, r->addr, 0, 0, r->tid, EV_FREE };
        LT_FORWARD_IF_ERROR(submit(rp, &e, err));
        e = (ev_t){ r->seq2, r->ts, r->addr2, r->size, r->stack, r->tid, EV_ALLOC };
        return submit(rp, &e, err);
    case LT_REC_NOP:
        e = (ev_t){ r->seq, 0, 0, 0, 0, r->tid, EV_NOP };
        return submit(rp, &e, err);
    case LT_REC_STACK: return on_stack(rp, r, err);
    case LT_REC_MODULE: return on_module(rp, r, err);
    case LT_REC_UNMODULE: return on_unmodule(rp, r, err);
    case LT_REC_PROCESS: return on_process(rp, r, err);
    case LT_REC_END: return on_end(rp, r, err);
    case LT_REC_MARK: return on_mark(rp, r, err);
    case LT_REC_TICK: return on_tick(rp, r, err);
    case LT_REC_THREAD: return on_thread(rp, r, err);
    case LT_REC_REACH: return on_reach(rp, r, err);
    case LT_REC_REACHBLK: return on_reachblk(rp, r, err);
    case LT_REC_CKPT: return on_ckpt(rp, r, err);
    case LT_REC_LIVE: return on_live(rp, r, err);
    case LT_REC_TOMB: return on_tomb(rp, r, err);
    case LT_REC_CKPT_END: return on_ckpt_end(rp, r, err);
    default: return 0; /* WARN: not used by these reports yet */
    }
}

static int mark_by_seq(const void *x, const void *y)
{
    const lt_mark_t *a = x, *b = y;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int tick_by_seq(const void *x, const void *y)
{
    const lt_tick_t *a = x, *b = y;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int kind_by_addr(const void *x, const void *y)
{
    const struct rkind *a = x, *b = y;
    return (a->addr > b->addr) - (a->addr < b->addr);
}

int lt_replay_has_kinds(const lt_replay_t *rp)
{
    return rp->reach.have && rp->reach.status == LT_SCAN_RAN;
}

int lt_replay_block_kind(const lt_replay_t *rp, uint64_t addr, uint64_t *indirect)
{
    const struct lt_replay_priv *p = rp->priv;
    if (!lt_replay_has_kinds(rp)) return -1;
    size_t lo = 0, hi = p->nkinds;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (p->kinds[m].addr < addr) lo = m + 1;
        else hi = m;
    }
    if (lo == p->nkinds || p->kinds[lo].addr != addr) return -1;
    if (indirect) *indirect = p->kinds[lo].indirect;
    return p->kinds[lo].kind;
}

void lt_replay_finish(lt_replay_t *rp)
{
    struct lt_replay_priv *p = rp->priv;
    if (p->kinds_unsorted) { qsort(p->kinds, p->nkinds, sizeof *p->kinds, kind_by_addr); p->kinds_unsorted = 0; }
    while (p->held) {
        ev_t x = take_min(p);
        apply(rp, &x);
    }
    /* Numbers taken before the end but never delivered: events of threads
     * still running when the process ended. */
    if (rp->complete && p->end_next_seq > p->next_seq) rp->seq_gaps += p->end_next_seq - p->next_seq;
    for (size_t i = 0; i < rp->nstacks; i++)
        if (!rp->stacks[i].ips && (rp->stacks[i].st.allocs || rp->stacks[i].st.live_blocks)) rp->undefined_stacks++;
    /* The last, partial slice: the state at the end. */
    if (rp->series) {
        uint64_t end = rp->complete && rp->end_ts > rp->last_ts ? rp->end_ts : rp->last_ts;
        series_advance(rp, end);
        series_close(rp);
    }
    /* Marks and ticks arrive in writer order; list them in event order
     * (all applied by now: their indexes are no longer referenced). */
    if (rp->nmarks > 1) qsort(rp->marks, rp->nmarks, sizeof *rp->marks, mark_by_seq);
    if (rp->nticks > 1) qsort(rp->ticks, rp->nticks, sizeof *rp->ticks, tick_by_seq);
    /* A time or sequence number past the last event: the end state. */
    if (p->moment.kind != LT_MOMENT_END && !rp->snap.reached && p->moment.kind != LT_MOMENT_MARK)
        take_snapshot(rp, p->next_seq, p->moment.kind == LT_MOMENT_TIME ? p->moment.ts : rp->last_ts, 0);
}

int lt_replay_set_moment(lt_replay_t *rp, const lt_moment_t *m)
{
    struct lt_replay_priv *p = rp->priv;
    p->moment = *m;
    if (m->kind == LT_MOMENT_MARK) {
        p->moment_label = strdup(m->label ? m->label : "");
        if (!p->moment_label) return -LT_E_NOMEM;
        p->moment.label = p->moment_label;
    }
    return 0;
}

int lt_replay_file(const char *path, lt_replay_t **out, lt_err_t *err)
{
    return lt_replay_file_at(path, NULL, out, err);
}

static int replay_file(const char *path, const lt_moment_t *m, uint64_t slice_ns, size_t max_slices, lt_mark_hook_fn hook,
                       void *hook_ctx, lt_replay_t **out, lt_err_t *err);

int lt_replay_file_at(const char *path, const lt_moment_t *m, lt_replay_t **out, lt_err_t *err)
{
    return replay_file(path, m, 0, 0, NULL, NULL, out, err);
}

int lt_replay_file_series(const char *path, uint64_t min_slice_ns, size_t max_slices, lt_replay_t **out, lt_err_t *err)
{
    return replay_file(path, NULL, min_slice_ns, max_slices ? max_slices : 200, NULL, NULL, out, err);
}

int lt_replay_file_hooked(const char *path, uint64_t min_slice_ns, size_t max_slices, lt_mark_hook_fn fn, void *ctx,
                          lt_replay_t **out, lt_err_t *err)
{
    return replay_file(path, NULL, min_slice_ns, max_slices, fn, ctx, out, err);
}

void lt_replay_set_mark_hook(lt_replay_t *rp, lt_mark_hook_fn fn, void *ctx)
{
    rp->priv->mark_hook = fn;
    rp->priv->mark_ctx = ctx;
}

/* How many allocations and frees replay_file decodes ahead of the one it
 * replays: meanwhile their live-set slots come into the cache. A slot of
 * python's table (2.2 M blocks at the peak, 134 MB) is a cache miss; an
 * allocation walks 6 slots on average to its empty one (192 bytes), a
 * free 3. On python's trace, with 40-byte entries then, replay (`marks`)
 * 0.64 -> 0.55 s CPU; 8 and 32 ahead did the same as 16. */
#define LOOKAHEAD 16
#define PREFETCH_LINES 3

/* Starts the fetch of addr's home slot in the live set and the slots
 * after it, for writing. */
static inline void prefetch(const lt_replay_t *rp, uint64_t addr)
{
    const struct lt_replay_priv *p = rp->priv;
    if (!p->livecap) return;
    const char *at = (const char *)&p->live[live_slot(addr, p->livecap - 1)];
    for (int k = 0; k < PREFETCH_LINES; k++) {
        /* (GCC 12 drops a __builtin_prefetch under a condition: asm.) */
#if defined(__x86_64__)
        __asm__ volatile("prefetchw %0" : : "m"(at[64 * k]));
#else
        __builtin_prefetch(at + 64 * k, 1);
#endif
    }
}

/* The records waiting to be replayed: a ring of n from head. */
typedef struct lt_ahead {
    lt_rec_t r[LOOKAHEAD];
    size_t head, n;
} lt_ahead_t;

/* Replays the oldest waiting record (ah->n > 0): lt_replay_record's result. */
static int ahead_pop(lt_replay_t *rp, lt_ahead_t *ah, lt_err_t *err)
{
    const lt_rec_t *r = &ah->r[ah->head];
    ah->head = (ah->head + 1) % LOOKAHEAD;
    ah->n--;
    return lt_replay_record(rp, r, err);
}

/* Replays every waiting record, in order: lt_replay_record's result (the
 * first failure stops it). */
static int ahead_flush(lt_replay_t *rp, lt_ahead_t *ah, lt_err_t *err)
{
    int rc = 0;
    while (ah->n && rc >= 0) rc = ahead_pop(rp, ah, err);
    return rc;
}

/* The ring's next free slot (ah->n < LOOKAHEAD), where the decoder
 * writes the next record: a record that waits is not copied. */
static lt_rec_t *ahead_slot(lt_ahead_t *ah) { return &ah->r[(ah->head + ah->n) % LOOKAHEAD]; }

/* Makes the allocation or free in ahead_slot wait, its slots fetched. */
static void ahead_keep(lt_replay_t *rp, lt_ahead_t *ah)
{
    const lt_rec_t *r = ahead_slot(ah);
    prefetch(rp, r->addr);
    if (r->type == LT_REC_REALLOC) prefetch(rp, r->addr2);
    ah->n++;
}

static int replay_file(const char *path, const lt_moment_t *m, uint64_t slice_ns, size_t max_slices, lt_mark_hook_fn hook,
                       void *hook_ctx, lt_replay_t **out, lt_err_t *err)
{
    *out = NULL;
    lt_trace_file_t *f;
    LT_FORWARD_IF_ERROR(lt_file_open(path, &f, err));
    lt_replay_t *rp = lt_replay_new();
    if (!rp || (m && lt_replay_set_moment(rp, m) < 0) || (max_slices && lt_replay_enable_series(rp, slice_ns, max_slices) < 0)) {
        lt_replay_free(rp);
        lt_file_close(f);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    }
    if (hook) lt_replay_set_mark_hook(rp, hook, hook_ctx);
    int rc;
    uint64_t nrec = 0;
    lt_progress_begin(path);
    const lt_ring_plan_t *plan = lt_file_plan(f);
    rp->wrapped = plan->wrapped;
    /* Allocations and frees wait LOOKAHEAD records before they are
     * replayed, their live-set slots fetched meanwhile (see prefetch);
     * any other record, or the end, first replays those waiting. While
     * the live set is small enough to stay in the cache they do not wait:
     * waiting costs mallocbench's replay (4,096 blocks) 11 %. */
    lt_ahead_t ah = { .n = 0 };
    for (;;) {
        if (ah.n == LOOKAHEAD && (rc = ahead_pop(rp, &ah, err)) < 0) break;
        lt_rec_t *r = ahead_slot(&ah);
        rc = lt_file_next(f, r, err);
        if (rc == 1) {
            int rr = 0;
            if ((r->type == LT_REC_ALLOC || r->type == LT_REC_FREE || r->type == LT_REC_REALLOC) &&
                (ah.n || rp->priv->livecount * sizeof(live_t) >= TABLE_MAPPED)) {
                ahead_keep(rp, &ah);
            } else if ((rr = ahead_flush(rp, &ah, err)) >= 0) {
                rr = lt_replay_record(rp, r, err);
            }
            if (rr < 0) { rc = rr; break; }
            if ((++nrec & 4095) == 0) lt_progress_update(path, lt_file_pos(f), lt_file_size(f), nrec);
            continue;
        }
        int rr = ahead_flush(rp, &ah, err);
        if (rr < 0) { rc = rr; break; }
        if (rc == -LT_E_CORRUPT) {
            /* A damaged chunk (or a hole) is skipped: say so, read on. */
            if (!rp->damaged++) snprintf(rp->damaged_msg, sizeof rp->damaged_msg, "%s", err->msg);
            continue;
        }
        break;
    }
    if (rc >= 0 && rp->damaged && lt_file_chunks_read(f) == 0) {
        LT_ERR_SET(err, LT_E_CORRUPT, err->offset, "%s: no chunk of the trace could be read (first problem: %s)", path, rp->damaged_msg);
        rc = -LT_E_CORRUPT;
    }
    lt_progress_done();
    lt_file_close(f);
    if (rc < 0) { lt_replay_free(rp); return rc; }
    if (rc == 2) {
        rp->cut_short = 1;
        rp->complete = 0;
        snprintf(rp->cut_msg, sizeof rp->cut_msg, "%s", err->msg);
    }
    lt_replay_finish(rp);
    if (m && m->kind == LT_MOMENT_MARK && !rp->snap.reached) {
        char have[300] = "";
        size_t n = 0;
        for (size_t i = 0; i < rp->nmarks && n + 4 < sizeof have; i++) {
            int dup = 0;
            for (size_t j = 0; j < i; j++) dup |= strcmp(rp->marks[j].label, rp->marks[i].label) == 0;
            if (dup) continue;
            n += (size_t)snprintf(have + n, sizeof have - n, "%s\"%s\"", n ? ", " : "", rp->marks[i].label);
        }
        if (n >= sizeof have) snprintf(have + sizeof have - 5, 5, "...");
        LT_ERR_SET(err, LT_E_USAGE, -1, "%s has no mark \"%s\"; %s%s", path, m->label,
                   rp->nmarks ? "its marks are: " : "it has no marks at all (see leaktrace_mark in leaktrace.h and LEAKTRACE_MARK_SIGNAL)",
                   have);
        lt_replay_free(rp);
        return -LT_E_USAGE;
    }
    *out = rp;
    return 0;
}

void lt_replay_each_live(const lt_replay_t *rp,
                         void (*fn)(void *ctx, uint64_t addr, uint64_t size, uint32_t stack, uint64_t ts),
                         void *ctx)
{
    const struct lt_replay_priv *p = rp->priv;
    for (size_t i = 0; i < p->livecap; i++)
        if (p->live[i].addr) fn(ctx, p->live[i].addr, live_size(p, &p->live[i]), p->live[i].stack, p->live[i].ts);
}

int lt_replay_live_since(const lt_replay_t *rp, uint64_t since_seq, lt_live_site_t **out, size_t *n)
{
    const struct lt_replay_priv *p = rp->priv;
    lt_live_site_t *v = NULL;
    size_t nv = 0, cap = 0, hcap = 0;
    size_t *h = NULL;               /* stack id -> index + 1, open addressing */
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < p->livecap; i++) {
        const live_t *l = &p->live[i];
        if (!l->addr || live_seq(p, l) <= since_seq) continue;
        if ((nv + 1) * 2 > hcap) {
            size_t nc = hcap ? hcap * 2 : 64;
            size_t *nh = calloc(nc, sizeof *nh);
            if (!nh) goto oom;
            for (size_t k = 0; k < nv; k++) {
                size_t j = (v[k].stack * 0x9e3779b9u) & (nc - 1);
                while (nh[j]) j = (j + 1) & (nc - 1);
                nh[j] = k + 1;
            }
            free(h);
            h = nh;
            hcap = nc;
        }
        size_t j = (l->stack * 0x9e3779b9u) & (hcap - 1);
        while (h[j] && v[h[j] - 1].stack != l->stack) j = (j + 1) & (hcap - 1);
        if (!h[j]) {
            if (nv == cap) {
                size_t nc = cap ? cap * 2 : 32;
                lt_live_site_t *nvv = realloc(v, nc * sizeof *nvv);
                if (!nvv) goto oom;
                v = nvv;
                cap = nc;
            }
            v[nv] = (lt_live_site_t){ l->stack, 0, 0 };
            h[j] = ++nv;
        }
        uint64_t wb, wc;
        weigh_live(rp, l, &wb, &wc);
        v[h[j] - 1].bytes += wb;
        v[h[j] - 1].blocks += wc;
    }
    free(h);
    *out = v;
    *n = nv;
    return 0;
oom:
    free(h);
    free(v);
    return -LT_E_NOMEM;
}

const lt_stack_t *lt_replay_stack(const lt_replay_t *rp, uint32_t id)
{
    if (id < rp->nstacks) return &rp->stacks[id];
    return &rp->none_stack;
}

void lt_replay_free(lt_replay_t *rp)
{
    if (!rp) return;
    for (size_t i = 0; i < rp->nstacks; i++) free(rp->stacks[i].ips);
    free(rp->stacks);
    for (size_t i = 0; i < rp->nmods; i++) { free(rp->mods[i].path); free(rp->mods[i].seg); }
    free(rp->mods);
    free(rp->proc.exe);
    free(rp->proc.version);
    free(rp->proc.tracer);
    if (rp->proc.argv) for (size_t i = 0; rp->proc.argv[i]; i++) free(rp->proc.argv[i]);
    free(rp->proc.argv);
    for (size_t i = 0; i < rp->nmarks; i++) free(rp->marks[i].label);
    free(rp->marks);
    free(rp->ticks);
    free(rp->threads);
    series_free(rp->series);
    free(rp->snap.st);
    if (rp->priv) {
        for (size_t i = 0; i < rp->priv->nq; i++) free(rp->priv->qs[i].buf);
        free(rp->priv->kinds); free(rp->priv->heap); table_free(rp->priv->live, rp->priv->livecap); table_free(rp->priv->tomb, rp->priv->tombcap); table_free(rp->priv->wide, rp->priv->widecap); free(rp->priv->moment_label); free(rp->priv);
    }
    free(rp);
}
