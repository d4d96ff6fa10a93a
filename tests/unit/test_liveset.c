/*
 * test_liveset.c - unit tests of preload/liveset.c, the writer's live set.
 *
 * The property that matters: whatever order the writer drains the threads'
 * rings in, once every event has been applied the set holds exactly the
 * blocks that are live, with the size, stack and thread of their latest
 * allocation. The tests build random multi-thread histories with heavy
 * address reuse (the case that breaks naive "free removes, alloc inserts"),
 * deliver them thread by thread in random interleavings and compare with
 * the truth computed in sequence order.
 *
 * Exports liveset_suite().
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "liveset.h"
#include "lt_internal.h"
#include "../common/lt_format.h"

Suite *liveset_suite(void);

enum { NTHR = 4, NADDR_MAX = 40000 };

/* The shape of the history under test: how many addresses, how many
 * events, and one prune in how many delivery runs. */
static unsigned naddr = 64, prune_every = 8;
static size_t nev = 4000;

typedef struct ev { uint64_t w[8]; uint32_t tid; } ev_t;

static uint64_t rng;
static uint64_t next_rand(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return rng;
}

/* A history in sequence order: blocks move between threads (allocated in
 * one, freed or realloc'd in any), addresses are reused all the time. */
static size_t make_history(ev_t *evs, uint64_t *truth_size, uint64_t *truth_stack)
{
    memset(truth_size, 0, naddr * sizeof *truth_size);
    uint64_t seq = 1;
    size_t n = 0;
    while (n < nev) {
        unsigned a = (unsigned)(next_rand() % naddr);
        uint64_t addr = 0x10000 + (uint64_t)a * 16;
        uint32_t tid = 100 + (uint32_t)(next_rand() % NTHR);
        ev_t *e = &evs[n++];
        memset(e, 0, sizeof *e);
        e->tid = tid;
        if (!truth_size[a]) {
            uint64_t size = 1 + next_rand() % 1000, stack = 1 + next_rand() % 50;
            e->w[0] = LT_R_HDR(LT_R_ALLOC, 6, LT_FN_MALLOC);
            e->w[1] = seq++; e->w[2] = 1000 + seq; e->w[3] = addr; e->w[4] = size; e->w[5] = stack;
            truth_size[a] = size;
            truth_stack[a] = stack;
        } else if (next_rand() % 3) {
            e->w[0] = LT_R_HDR(LT_R_FREE, 4, 0);
            e->w[1] = seq++; e->w[2] = 1000 + seq; e->w[3] = addr;
            truth_size[a] = 0;
        } else {
            /* realloc to a free address (or in place) */
            unsigned b = (unsigned)(next_rand() % naddr);
            if (b != a && truth_size[b]) b = a;
            uint64_t size = 1 + next_rand() % 1000, stack = 1 + next_rand() % 50;
            e->w[0] = LT_R_HDR(LT_R_REALLOC, 8, LT_FN_REALLOC);
            e->w[1] = seq++; e->w[2] = seq++; e->w[3] = 1000 + seq;
            e->w[4] = addr; e->w[5] = 0x10000 + (uint64_t)b * 16; e->w[6] = size; e->w[7] = stack;
            truth_size[a] = 0;
            truth_size[b] = size;
            truth_stack[b] = stack;
        }
    }
    return n;
}

/* The index of thread u's first event at or after index q (n if none). */
static size_t next_of(const ev_t *evs, size_t n, int u, size_t q)
{
    while (q < n && evs[q].tid != (uint32_t)(100 + u)) q++;
    return q;
}

/* The newest sequence number of an event. */
static uint64_t last_seq(const ev_t *e)
{
    uint64_t s = 0;
    lt_r_seq(e->w, &s);
    return s;
}

/* Delivers the events of each thread in order, threads interleaved at
 * random in runs of random length: what the writer's drain loop does.
 * Before each run it tells the set whether every older event has been
 * delivered (lt_liveset_in_order), as the writer does when the other
 * threads are quiet; `trust_order` 0 never says so. */
static void deliver(const ev_t *evs, size_t n, int trust_order)
{
    size_t pos[NTHR] = { 0 };
    for (;;) {
        int left = 0;
        for (int t = 0; t < NTHR; t++) if (pos[t] < n) left = 1;
        if (!left) break;
        int t = (int)(next_rand() % NTHR);
        size_t run = 1 + next_rand() % 40;
        /* The run's newest event, and whether each other thread's next one
         * is newer still. */
        uint64_t newest = 0;
        for (size_t q = next_of(evs, n, t, pos[t]), k = 0; q < n && k < run; q = next_of(evs, n, t, q + 1), k++)
            newest = last_seq(&evs[q]);
        int in_order = trust_order;
        for (int u = 0; u < NTHR && in_order; u++) {
            size_t q = next_of(evs, n, u, pos[u]);
            if (u != t && q < n && evs[q].w[1] < newest) in_order = 0;
        }
        lt_liveset_in_order(in_order);
        while (run && pos[t] < n) {
            const ev_t *e = &evs[pos[t]++];
            if (e->tid != (uint32_t)(100 + t)) continue;
            lt_liveset_apply(e->w, e->tid);
            run--;
        }
        /* Now and then the writer runs out of events: it moves a growing
         * table on in between (lt_liveset_idle). */
        if (next_rand() % 8 == 0) lt_liveset_idle();
        /* Often a retire and now and then a prune, as the writer does,
         * below the oldest sequence number still undelivered (every event
         * before it has been applied). */
        int retire = next_rand() % 4 == 0, prune = next_rand() % prune_every == 0;
        if (retire || prune) {
            uint64_t safe = UINT64_MAX;
            for (int u = 0; u < NTHR; u++) {
                size_t q = next_of(evs, n, u, pos[u]);
                if (q < n && evs[q].w[1] < safe) safe = evs[q].w[1];
            }
            if (retire) lt_liveset_retire(safe);
            if (prune) lt_liveset_prune(safe);
        }
    }
}

typedef struct { uint64_t size[NADDR_MAX], stack[NADDR_MAX]; size_t seen; } got_t;

static int collect(const lt_live_t *e, void *arg)
{
    got_t *g = arg;
    unsigned a = (unsigned)((e->addr - 0x10000) / 16);
    ck_assert_uint_lt(a, naddr);
    ck_assert_uint_eq(e->freed, 0);
    g->size[a] = e->size;
    g->stack[a] = e->stack;
    g->seen++;
    return 0;
}

/* Delivers a random history of the current shape (seeded by round) and
 * checks the set against the truth. */
static void check_random_history(int round, int trust_order)
{
    ev_t *evs = malloc(nev * sizeof *evs);
    static uint64_t truth_size[NADDR_MAX], truth_stack[NADDR_MAX];
    static got_t g;
    ck_assert_ptr_nonnull(evs);
    rng = 0x9E3779B97F4A7C15ull + (uint64_t)round * 7919;
    size_t n = make_history(evs, truth_size, truth_stack);
    lt_liveset_reset();
    ck_assert_int_eq(lt_liveset_enable(), 0);
    deliver(evs, n, trust_order);
    /* The big shape must have made the table grow while delivering. */
    if (naddr > 10000) ck_assert_uint_ge(lt_liveset_memory(), 32768 * sizeof(lt_live_t));

    memset(&g, 0, sizeof g);
    lt_liveset_foreach(0, collect, &g);
    size_t want = 0;
    uint64_t want_bytes = 0;
    for (unsigned a = 0; a < naddr; a++) {
        ck_assert_msg(g.size[a] == truth_size[a], "round %d addr %u: size %llu, want %llu", round, a,
                      (unsigned long long)g.size[a], (unsigned long long)truth_size[a]);
        if (truth_size[a]) {
            ck_assert_uint_eq(g.stack[a], truth_stack[a]);
            want++;
            want_bytes += truth_size[a];
        }
    }
    ck_assert_uint_eq(g.seen, want);
    ck_assert_uint_eq(lt_liveset_count(), want);
    ck_assert_uint_eq(lt_liveset_bytes(), want_bytes);

    /* Everything is delivered: every tombstone can go, the live set stays. */
    lt_liveset_prune(UINT64_MAX);
    ck_assert_uint_eq(lt_liveset_tombstones(), 0);
    ck_assert_uint_eq(lt_liveset_count(), want);
    memset(&g, 0, sizeof g);
    lt_liveset_foreach(0, collect, &g);
    ck_assert_uint_eq(g.seen, want);
    lt_liveset_reset();
    free(evs);
}

START_TEST(any_drain_order_gives_the_exact_live_set)
{
    naddr = 64, nev = 4000, prune_every = 8;
    check_random_history(_i, _i % 2);
}
END_TEST

/* The same with a table that grows three times (4096 to 32768 slots) while
 * the history is delivered, so that allocations, frees, reallocs, stale
 * events and prunes all meet entries that are still in the old table of
 * an incremental move. */
START_TEST(a_growing_table_gives_the_exact_live_set)
{
    naddr = 40000, nev = 300000, prune_every = 4000;
    check_random_history(1000 + _i, _i % 2);
    naddr = 64, nev = 4000, prune_every = 8;
}
END_TEST

/* Every field of an entry comes back as it went in, at the limits of the
 * packed ones (liveset.h: the stack id in 32 bits, the thread id in 22, the
 * function beside it): the ring's checkpoints write them all. */
static int one_entry(const lt_live_t *e, void *arg)
{
    lt_live_t *out = arg;
    *out = *e;
    return 0;
}

START_TEST(entry_fields_keep_their_values)
{
    static const struct { uint64_t stack; uint32_t tid; unsigned fn; } c[] = {
        { 0, 1, LT_FN_MALLOC },
        { UINT32_MAX - 1, (1u << 22) - 1, LT_FN_COUNT - 1 },
        { 123456789, 4194000, LT_FN_REALLOC },
    };
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        lt_liveset_reset();
        ck_assert_int_eq(lt_liveset_enable(), 0);
        uint64_t size = 0xffffffffffull + k, ts = 0xfedcba9876543210ull - k, seq = 0x123456789abcull + k;
        lt_liveset_alloc(0x7f0000001230ull, size, c[k].stack, ts, seq, c[k].tid, c[k].fn);
        lt_live_t e;
        memset(&e, 0, sizeof e);
        lt_liveset_foreach(1, one_entry, &e);
        ck_assert_uint_eq(e.addr, 0x7f0000001230ull);
        ck_assert_uint_eq(e.size, size);
        ck_assert_uint_eq(e.stack, c[k].stack);
        ck_assert_uint_eq(e.ts, ts);
        ck_assert_uint_eq(e.seq, seq);
        ck_assert_uint_eq(e.tid, c[k].tid);
        ck_assert_uint_eq(e.fn, c[k].fn);
        ck_assert_uint_eq(e.freed, 0);
    }
    lt_liveset_reset();
}
END_TEST

/* A free that arrives before its allocation must win over it. */
START_TEST(late_allocation_of_a_freed_block_stays_freed)
{
    lt_liveset_reset();
    ck_assert_int_eq(lt_liveset_enable(), 0);
    lt_liveset_free(0x5000, 8);
    ck_assert_uint_eq(lt_liveset_tombstones(), 1);
    lt_liveset_alloc(0x5000, 64, 3, 0, 5, 1, LT_FN_MALLOC);
    ck_assert_uint_eq(lt_liveset_count(), 0);
    lt_liveset_alloc(0x5000, 32, 4, 0, 9, 1, LT_FN_MALLOC);   /* reuse after the free */
    ck_assert_uint_eq(lt_liveset_count(), 1);
    ck_assert_uint_eq(lt_liveset_bytes(), 32);
    ck_assert_uint_eq(lt_liveset_tombstones(), 0);
    lt_liveset_reset();
}
END_TEST

/* Events that arrive in order leave no tombstone: the table holds the
 * live blocks only. */
START_TEST(in_order_frees_leave_no_tombstone)
{
    lt_liveset_reset();
    ck_assert_int_eq(lt_liveset_enable(), 0);
    lt_liveset_in_order(1);
    uint64_t seq = 1;
    for (int r = 0; r < 3; r++) {
        /* Rounds 0 and 1 free everything, the last one every third block. */
        for (uint64_t i = 0; i < 5000; i++) lt_liveset_alloc(0x200000 + i * 32, 10, 1, 0, seq++, 1, LT_FN_MALLOC);
        for (uint64_t i = 0; i < 5000; i++)
            if (r < 2 || i % 3 == 0) lt_liveset_free(0x200000 + i * 32, seq++);
    }
    ck_assert_uint_eq(lt_liveset_tombstones(), 0);
    ck_assert_uint_eq(lt_liveset_count(), 5000 - 1667);
    ck_assert_uint_eq(lt_liveset_bytes(), 10 * (5000 - 1667));
    lt_liveset_reset();
}
END_TEST

/* Arrival orders that make tombstones necessary even for a free that
 * finds an allocation in place (the set is not told the order is kept):
 * B allocates X (seq 1), C frees it (2), A allocates X (3) and frees it
 * (4); the writer drains C, then A, then B: C's free leaves a tombstone,
 * A's allocation replaces it and A's free leaves one too, and B's late
 * allocation is refused. Then the same with C's free arriving after A's
 * allocation (a stale free). Then the order that an unmarked entry alone
 * cannot tell: B's allocation (1) and A's free (4) arrive first, C's free
 * (2) and A's allocation (3) late. */
START_TEST(out_of_order_history_keeps_its_tombstones)
{
    lt_liveset_reset();
    ck_assert_int_eq(lt_liveset_enable(), 0);
    lt_liveset_free(0x7000, 2);                               /* C */
    lt_liveset_alloc(0x7000, 16, 1, 0, 3, 30, LT_FN_MALLOC);  /* A */
    lt_liveset_free(0x7000, 4);
    ck_assert_uint_eq(lt_liveset_tombstones(), 1);
    lt_liveset_alloc(0x7000, 16, 1, 0, 1, 20, LT_FN_MALLOC);  /* B, late */
    ck_assert_uint_eq(lt_liveset_count(), 0);

    lt_liveset_alloc(0x8000, 16, 1, 0, 13, 30, LT_FN_MALLOC); /* A */
    lt_liveset_free(0x8000, 12);                              /* C, stale */
    lt_liveset_free(0x8000, 14);                              /* A */
    ck_assert_uint_eq(lt_liveset_tombstones(), 2);
    lt_liveset_alloc(0x8000, 16, 1, 0, 11, 20, LT_FN_MALLOC); /* B, late */
    ck_assert_uint_eq(lt_liveset_count(), 0);
    ck_assert_uint_eq(lt_liveset_bytes(), 0);

    lt_liveset_alloc(0x9000, 16, 1, 0, 21, 20, LT_FN_MALLOC); /* B */
    lt_liveset_free(0x9000, 24);                              /* A */
    lt_liveset_free(0x9000, 22);                              /* C, late */
    lt_liveset_alloc(0x9000, 16, 1, 0, 23, 30, LT_FN_MALLOC); /* A, late */
    ck_assert_uint_eq(lt_liveset_count(), 0);
    ck_assert_uint_eq(lt_liveset_bytes(), 0);
    lt_liveset_reset();
}
END_TEST

/* A growing table's move, done by lt_liveset_idle alone (the writer with
 * no events to drain): each call moves IDLE_STEP (8192, liveset.c) old
 * slots, the one that moves the last frees the old table, and every block
 * is still there. The table grows from 4096 slots; the move checked is
 * the first from 32768 slots or more, which takes several calls (the
 * moves before it are finished by idle calls as well). */
START_TEST(idle_steps_finish_a_move)
{
    lt_liveset_reset();
    ck_assert_int_eq(lt_liveset_enable(), 0);
    ck_assert_int_eq(lt_liveset_idle(), 0);          /* nothing to move */
    size_t before = lt_liveset_memory(), n = 0;
    for (;;) {
        lt_liveset_alloc(0x200000 + n * 32, n + 1, n % 5, 0, n + 1, 1, LT_FN_MALLOC);
        n++;
        if (lt_liveset_memory() == before) continue;
        if (before >= 32768 * sizeof(lt_live_t)) break;
        while (lt_liveset_idle()) continue;          /* a smaller table's move */
        before = lt_liveset_memory();
    }
    /* The growth is under way: both tables are held. */
    size_t both = lt_liveset_memory(), cap = before / sizeof(lt_live_t);
    ck_assert_uint_eq(both, 3 * before);
    unsigned calls = 0;
    while (lt_liveset_idle()) calls++;
    ck_assert_uint_eq(calls + 1, cap / 8192);
    ck_assert_uint_eq(lt_liveset_memory(), 2 * before);
    ck_assert_int_eq(lt_liveset_idle(), 0);
    ck_assert_uint_eq(lt_liveset_count(), n);
    lt_liveset_in_order(1);
    for (size_t i = 0; i < n; i++) lt_liveset_free(0x200000 + i * 32, n + i + 1);
    ck_assert_uint_eq(lt_liveset_count(), 0);
    ck_assert_uint_eq(lt_liveset_tombstones(), 0);
    ck_assert_uint_eq(lt_liveset_bytes(), 0);
    lt_liveset_reset();
}
END_TEST

/* A writer that is never idle moves only a few slots per event (1, and 4
 * from half full: liveset.c), and that must still finish each move before
 * the new table reaches the 70 % that grows it (it ends under 59 % full):
 * a table of cap slots, growing, holds cap + cap / 2 slots in all, and
 * must come back to cap slots alone before it grows to 2 * cap. From
 * 4096 slots, 600,000 blocks make 8 growths. */
START_TEST(event_steps_finish_a_move_before_the_next_growth)
{
    lt_liveset_reset();
    ck_assert_int_eq(lt_liveset_enable(), 0);
    size_t last = lt_liveset_memory(), growths = 0;
    int moving = 0;
    for (uint64_t i = 0; i < 600000; i++) {
        lt_liveset_alloc(0x300000 + i * 48, 24, 1, 0, i + 1, 1, LT_FN_MALLOC);
        size_t m = lt_liveset_memory();
        if (m == last) continue;
        if (!moving) {
            ck_assert_uint_eq(m, 3 * last);           /* a growth starts: 2 * cap beside cap */
            growths++;
        } else {
            ck_assert_uint_eq(m * 3, last * 2);       /* the move ended: the new table alone */
        }
        moving = !moving;
        last = m;
    }
    ck_assert_uint_ge(growths, 6);                    /* 4096 slots to 524288 and beyond */
    ck_assert_uint_eq(lt_liveset_count(), 600000);
    lt_liveset_reset();
}
END_TEST

/* Growth, prune with backward shifts and wrap-around clusters: insert many,
 * free every other one, prune part of the tombstones, check everything is
 * still found. */
START_TEST(growth_and_prune_keep_every_entry_findable)
{
    lt_liveset_reset();
    ck_assert_int_eq(lt_liveset_enable(), 0);
    enum { N = 100000 };
    for (uint64_t i = 0; i < N; i++)
        lt_liveset_alloc(0x100000 + i * 48, i + 1, i % 7, 0, i + 1, 1, LT_FN_MALLOC);
    ck_assert_uint_eq(lt_liveset_count(), N);
    /* A stale free (older than the allocation in place) changes nothing;
     * the real free leaves a tombstone (the set was not told the order is
     * kept). */
    for (uint64_t i = 0; i < N; i += 2) lt_liveset_free(0x100000 + i * 48, 0);
    ck_assert_uint_eq(lt_liveset_count(), N);
    ck_assert_uint_eq(lt_liveset_tombstones(), 0);
    for (uint64_t i = 0; i < N; i += 2) lt_liveset_free(0x100000 + i * 48, N + i + 1);
    ck_assert_uint_eq(lt_liveset_count(), N / 2);
    ck_assert_uint_eq(lt_liveset_tombstones(), N / 2);
    lt_liveset_prune(N + N / 2);      /* drops the tombstones of the first half */
    ck_assert_uint_eq(lt_liveset_tombstones(), N / 4);
    /* A late allocation older than a surviving tombstone is still refused... */
    lt_liveset_alloc(0x100000 + (N - 2) * 48, 5, 0, 0, 3, 1, LT_FN_MALLOC);
    ck_assert_uint_eq(lt_liveset_count(), N / 2);
    /* ... and every live block can still be freed by address. */
    for (uint64_t i = 1; i < N; i += 2) lt_liveset_free(0x100000 + i * 48, 3 * N + i);
    ck_assert_uint_eq(lt_liveset_count(), 0);
    ck_assert_uint_eq(lt_liveset_bytes(), 0);
    lt_liveset_prune(UINT64_MAX);
    ck_assert_uint_eq(lt_liveset_tombstones(), 0);
    lt_liveset_reset();
}
END_TEST

Suite *liveset_suite(void)
{
    Suite *s = suite_create("liveset");
    TCase *tc = tcase_create("order");
    tcase_add_loop_test(tc, any_drain_order_gives_the_exact_live_set, 0, 25);
    tcase_add_test(tc, entry_fields_keep_their_values);
    tcase_add_test(tc, late_allocation_of_a_freed_block_stays_freed);
    tcase_add_test(tc, in_order_frees_leave_no_tombstone);
    tcase_add_test(tc, out_of_order_history_keeps_its_tombstones);
    tcase_add_test(tc, growth_and_prune_keep_every_entry_findable);
    tcase_add_test(tc, idle_steps_finish_a_move);
    tcase_add_test(tc, event_steps_finish_a_move_before_the_next_growth);
    tcase_add_loop_test(tc, a_growing_table_gives_the_exact_live_set, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}
