/*
 * test_stacks.c - unit tests of preload/stacks.c: the stack hash and the
 * interning table (ids, growth, concurrent inserts).
 *
 * The table is process-global: every test starts with lt_stacks_reset()
 * (the table's memory comes from tmem.c's mmap and is abandoned by a
 * reset, as in a fork child), so tests do not depend on each other.
 *
 * Exports stacks_suite(); -DLT_STANDALONE_TEST adds a main().
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lt_internal.h"
#include "unit_helpers.h"

Suite *stacks_suite(void);

/* A deterministic stack for key k: depth 1..12, distinct frames. */
static uint32_t key_stack(uint32_t k, uint64_t *ips, uint32_t *gen)
{
    uint32_t depth = 1 + k % 12;
    for (uint32_t i = 0; i < depth; i++)
        ips[i] = 0x400000ull + (uint64_t)k * 0x10000ull + (uint64_t)i * 0x40ull + (k % 7);
    *gen = k % 3;
    return depth;
}

static const lt_stack_ent_t *intern(uint32_t gen, const uint64_t *ips, uint32_t depth, int *is_new)
{
    *is_new = -1;
    const lt_stack_ent_t *e = lt_stacks_intern(lt_stack_hash(gen, ips, depth), gen, ips, depth, is_new);
    ck_assert_msg(e != NULL, "lt_stacks_intern returned NULL (out of memory?)");
    ck_assert_msg(*is_new == 0 || *is_new == 1, "is_new is %d, want 0 or 1", *is_new);
    return e;
}

static void check_entry(const lt_stack_ent_t *e, uint32_t gen, const uint64_t *ips, uint32_t depth)
{
    ck_assert_uint_eq(e->gen, gen);
    ck_assert_uint_eq(e->depth, depth);
    ck_assert_uint_eq(e->hash, lt_stack_hash(gen, ips, depth));
    ck_assert_msg(memcmp(e->ips, ips, depth * sizeof *ips) == 0, "entry %u holds other frames", e->id);
}

static void reset(void) { lt_stacks_reset(); }

/* ---- hash ---- */

START_TEST(test_hash_is_deterministic)
{
    uint64_t a[8] = { 1, 2, 3, 0x7fffffffffffull, 0, UINT64_MAX, 42, 0x401000 };
    uint64_t b[8];
    memcpy(b, a, sizeof a);
    for (uint32_t d = 0; d <= 8; d++) {
        uint64_t h = lt_stack_hash(5, a, d);
        ck_assert_msg(h == lt_stack_hash(5, a, d), "hash of depth %u differs between two calls", d);
        ck_assert_msg(h == lt_stack_hash(5, b, d), "hash of depth %u depends on where the frames are stored", d);
    }
    /* the empty stack too */
    ck_assert_uint_eq(lt_stack_hash(0, a, 0), lt_stack_hash(0, NULL, 0));
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

START_TEST(test_hash_is_sensitive)
{
    uint64_t ips[16];
    for (int i = 0; i < 16; i++) ips[i] = 0x555555554000ull + (uint64_t)i * 0x123;
    uint64_t h = lt_stack_hash(0, ips, 16);
    /* generation */
    for (uint32_t g = 1; g < 100; g++)
        ck_assert_msg(lt_stack_hash(g, ips, 16) != h, "gen %u hashes like gen 0", g);
    ck_assert_msg(lt_stack_hash(UINT32_MAX, ips, 16) != h, "gen UINT32_MAX hashes like gen 0");
    /* depth: every prefix differs */
    for (uint32_t d = 0; d < 16; d++)
        ck_assert_msg(lt_stack_hash(0, ips, d) != h, "depth %u hashes like depth 16", d);
    /* any one frame changed, by one bit or by a lot */
    static const uint64_t deltas[] = { 1, 2, 0x10, 1ull << 32, 1ull << 63, 0x1000 };
    for (int i = 0; i < 16; i++) {
        for (size_t k = 0; k < sizeof deltas / sizeof deltas[0]; k++) {
            uint64_t save = ips[i];
            ips[i] ^= deltas[k];
            ck_assert_msg(lt_stack_hash(0, ips, 16) != h, "frame %d changed by 0x%llx keeps the hash", i,
                          (unsigned long long)deltas[k]);
            ips[i] = save;
        }
    }
    /* two frames swapped */
    uint64_t t = ips[3]; ips[3] = ips[4]; ips[4] = t;
    ck_assert_msg(lt_stack_hash(0, ips, 16) != h, "swapping frames 3 and 4 keeps the hash");
    /* no collisions among 100,000 similar stacks */
    enum { N = 100000 };
    uint64_t *hs = malloc(N * sizeof *hs);
    ck_assert_ptr_nonnull(hs);
    for (uint32_t k = 0; k < N; k++) {
        uint64_t s[12];
        uint32_t gen, d = key_stack(k, s, &gen);
        hs[k] = lt_stack_hash(gen, s, d);
    }
    qsort(hs, N, sizeof *hs, cmp_u64);
    for (uint32_t k = 1; k < N; k++)
        ck_assert_msg(hs[k] != hs[k - 1], "two of %d similar stacks have the same hash 0x%llx", N,
                      (unsigned long long)hs[k]);
    free(hs);
}
END_TEST

/* ---- interning ---- */

START_TEST(test_intern_same_stack_same_entry)
{
    uint64_t ips[3] = { 0x401000, 0x402000, 0x403000 };
    int is_new;
    const lt_stack_ent_t *e1 = intern(0, ips, 3, &is_new);
    ck_assert_msg(is_new == 1, "first intern of a stack must report it new");
    ck_assert_uint_eq(e1->id, 0);
    check_entry(e1, 0, ips, 3);
    uint64_t copy[3];
    memcpy(copy, ips, sizeof copy);
    for (int i = 0; i < 3; i++) {
        const lt_stack_ent_t *e2 = intern(0, copy, 3, &is_new);
        ck_assert_msg(is_new == 0, "intern #%d of a known stack reported it new", i + 2);
        ck_assert_ptr_eq(e2, e1);
    }
    ck_assert_uint_eq(lt_stacks_count(), 1);
    /* the entry owns its frames: the caller's array may change */
    copy[0] = 0;
    check_entry(e1, 0, ips, 3);
}
END_TEST

START_TEST(test_intern_gen_and_depth_make_new_entries)
{
    uint64_t ips[4] = { 0x401000, 0x402000, 0x403000, 0x404000 };
    int is_new;
    const lt_stack_ent_t *g0 = intern(0, ips, 4, &is_new);
    const lt_stack_ent_t *g1 = intern(1, ips, 4, &is_new);
    ck_assert_msg(is_new == 1, "the same frames in another generation must be a new stack");
    ck_assert_uint_ne(g0->id, g1->id);
    ck_assert_uint_eq(g1->gen, 1);
    const lt_stack_ent_t *d3 = intern(0, ips, 3, &is_new);
    ck_assert_msg(is_new == 1, "a prefix of a known stack must be a new stack");
    ck_assert_uint_ne(d3->id, g0->id);
    const lt_stack_ent_t *d0 = intern(0, ips, 0, &is_new);
    ck_assert_msg(is_new == 1, "the empty stack is a stack of its own");
    ck_assert_uint_eq(d0->depth, 0);
    ck_assert_ptr_eq(intern(0, ips, 0, &is_new), d0);
    ck_assert_int_eq(is_new, 0);
    ck_assert_ptr_eq(intern(1, ips, 4, &is_new), g1);
    ck_assert_ptr_eq(intern(0, ips, 4, &is_new), g0);
    ck_assert_uint_eq(lt_stacks_count(), 4);
}
END_TEST

START_TEST(test_intern_equal_hashes_kept_apart)
{
    /* The caller supplies the hash: entries with the same hash but other
     * frames must still be told apart. */
    uint64_t a[2] = { 1, 2 }, b[2] = { 3, 4 }, c[1] = { 1 };
    int is_new;
    const lt_stack_ent_t *ea = lt_stacks_intern(777, 0, a, 2, &is_new);
    ck_assert_int_eq(is_new, 1);
    const lt_stack_ent_t *eb = lt_stacks_intern(777, 0, b, 2, &is_new);
    ck_assert_int_eq(is_new, 1);
    const lt_stack_ent_t *ec = lt_stacks_intern(777, 0, c, 1, &is_new);
    ck_assert_int_eq(is_new, 1);
    ck_assert_msg(ea != eb && eb != ec && ea != ec, "stacks with equal hashes were merged");
    ck_assert_ptr_eq(lt_stacks_intern(777, 0, b, 2, &is_new), eb);
    ck_assert_int_eq(is_new, 0);
    ck_assert_ptr_eq(lt_stacks_intern(777, 0, a, 2, &is_new), ea);
    ck_assert_ptr_eq(lt_stacks_intern(777, 0, c, 1, &is_new), ec);
}
END_TEST

START_TEST(test_intern_ids_dense_in_insertion_order)
{
    uint64_t ips[12];
    uint32_t gen;
    for (uint32_t k = 0; k < 100; k++) {
        uint32_t d = key_stack(k, ips, &gen);
        int is_new;
        const lt_stack_ent_t *e = intern(gen, ips, d, &is_new);
        ck_assert_int_eq(is_new, 1);
        ck_assert_msg(e->id == k, "stack #%u got id %u, want %u", k, e->id, k);
        ck_assert_uint_eq(lt_stacks_count(), k + 1);
        /* re-interning an older one does not consume an id */
        d = key_stack(k / 2, ips, &gen);
        ck_assert_uint_eq(intern(gen, ips, d, &is_new)->id, k / 2);
        ck_assert_int_eq(is_new, 0);
    }
}
END_TEST

START_TEST(test_intern_deep_stack)
{
    uint64_t ips[LT_DEPTH_MAX];
    for (int i = 0; i < LT_DEPTH_MAX; i++) ips[i] = 0x7f0000000000ull + (uint64_t)i * 8;
    int is_new;
    const lt_stack_ent_t *e = intern(2, ips, LT_DEPTH_MAX, &is_new);
    ck_assert_int_eq(is_new, 1);
    check_entry(e, 2, ips, LT_DEPTH_MAX);
    ck_assert_ptr_eq(intern(2, ips, LT_DEPTH_MAX, &is_new), e);
    ck_assert_msg((uintptr_t)e % 8 == 0, "entry not aligned for its 64-bit fields");
}
END_TEST

START_TEST(test_intern_growth_keeps_everything)
{
    /* The table starts at 4096 slots and doubles at half full: 50,000
     * stacks make it grow several times. */
    enum { N = 50000 };
    const lt_stack_ent_t **ents = malloc(N * sizeof *ents);
    ck_assert_ptr_nonnull(ents);
    uint64_t ips[12];
    uint32_t gen;
    for (uint32_t k = 0; k < N; k++) {
        uint32_t d = key_stack(k, ips, &gen);
        int is_new;
        ents[k] = intern(gen, ips, d, &is_new);
        ck_assert_msg(is_new == 1, "stack %u was not new", k);
        ck_assert_uint_eq(ents[k]->id, k);
    }
    ck_assert_uint_eq(lt_stacks_count(), N);
    for (uint32_t k = 0; k < N; k++) {
        uint32_t d = key_stack(k, ips, &gen);
        int is_new;
        const lt_stack_ent_t *e = intern(gen, ips, d, &is_new);
        ck_assert_msg(is_new == 0, "stack %u reported new again after the table grew", k);
        ck_assert_msg(e == ents[k] && e->id == k, "stack %u: id %u after growth, want %u", k, e->id, k);
        check_entry(e, gen, ips, d);
    }
    ck_assert_uint_eq(lt_stacks_count(), N);
    free(ents);
}
END_TEST

/* ---- concurrency ---- */

enum { CONC_N = 20000, CONC_THREADS = 4 };

typedef struct conc_arg {
    int t;
    uint32_t ids[CONC_N];        /* id seen for each key, UINT32_MAX: not interned */
    uint32_t news;               /* how many times is_new was set */
    int failed;
} conc_arg_t;

static pthread_barrier_t conc_barrier;

static void *conc_worker(void *p)
{
    conc_arg_t *a = p;
    ut_rng_t rng;
    ut_rng_seed(&rng, 1000 + (uint64_t)a->t);
    /* Thread t interns the keys of three quarters of the set, each key
     * shared with two other threads, in its own random order. */
    uint32_t *order = malloc(CONC_N * sizeof *order);
    if (!order) { a->failed = 1; return NULL; }
    uint32_t n = 0;
    for (uint32_t k = 0; k < CONC_N; k++) {
        a->ids[k] = UINT32_MAX;
        if (k % CONC_THREADS != (uint32_t)a->t) order[n++] = k;
    }
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)ut_rng_below(&rng, i);
        uint32_t x = order[i - 1]; order[i - 1] = order[j]; order[j] = x;
    }
    pthread_barrier_wait(&conc_barrier);
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t k = order[i];
            uint64_t ips[12];
            uint32_t gen, d = key_stack(k, ips, &gen);
            int is_new = -1;
            const lt_stack_ent_t *e = lt_stacks_intern(lt_stack_hash(gen, ips, d), gen, ips, d, &is_new);
            if (!e || e->gen != gen || e->depth != d || memcmp(e->ips, ips, d * sizeof *ips) != 0) { a->failed = 2; break; }
            if (is_new) a->news++;
            if (pass == 1 && is_new) { a->failed = 3; break; }
            if (a->ids[k] != UINT32_MAX && a->ids[k] != e->id) { a->failed = 4; break; }
            a->ids[k] = e->id;
        }
    }
    free(order);
    return NULL;
}

START_TEST(test_intern_concurrent_threads_agree)
{
    conc_arg_t *args = calloc(CONC_THREADS, sizeof *args);
    ck_assert_ptr_nonnull(args);
    pthread_t th[CONC_THREADS];
    ck_assert_int_eq(pthread_barrier_init(&conc_barrier, NULL, CONC_THREADS), 0);
    for (int t = 0; t < CONC_THREADS; t++) {
        args[t].t = t;
        ck_assert_int_eq(pthread_create(&th[t], NULL, conc_worker, &args[t]), 0);
    }
    for (int t = 0; t < CONC_THREADS; t++) pthread_join(th[t], NULL);
    pthread_barrier_destroy(&conc_barrier);

    static const char *const why[] = { "", "out of memory", "an entry with other frames came back",
                                       "a known stack was reported new", "the same stack got two ids" };
    uint64_t news = 0;
    for (int t = 0; t < CONC_THREADS; t++) {
        ck_assert_msg(args[t].failed == 0, "thread %d: %s", t, why[args[t].failed]);
        news += args[t].news;
    }
    ck_assert_msg(news == CONC_N, "is_new was reported %llu times for %d distinct stacks",
                  (unsigned long long)news, CONC_N);
    ck_assert_uint_eq(lt_stacks_count(), CONC_N);

    /* every key has one id, which all threads that interned it saw, and
     * the ids are exactly 0..N-1 */
    unsigned char *used = calloc(CONC_N, 1);
    ck_assert_ptr_nonnull(used);
    for (uint32_t k = 0; k < CONC_N; k++) {
        uint32_t id = UINT32_MAX;
        for (int t = 0; t < CONC_THREADS; t++) {
            if (args[t].ids[k] == UINT32_MAX) continue;
            if (id == UINT32_MAX) id = args[t].ids[k];
            ck_assert_msg(args[t].ids[k] == id, "stack %u: thread %d saw id %u, another thread id %u", k, t,
                          args[t].ids[k], id);
        }
        ck_assert_msg(id < CONC_N, "stack %u: id %u out of 0..%d", k, id, CONC_N - 1);
        ck_assert_msg(!used[id], "id %u given to two stacks", id);
        used[id] = 1;
        /* and a lookup now agrees */
        uint64_t ips[12];
        uint32_t gen, d = key_stack(k, ips, &gen);
        int is_new;
        ck_assert_uint_eq(intern(gen, ips, d, &is_new)->id, id);
        ck_assert_int_eq(is_new, 0);
    }
    free(used);
    free(args);
}
END_TEST

START_TEST(test_reset_empties_the_table)
{
    uint64_t ips[12];
    uint32_t gen;
    for (uint32_t k = 0; k < 5000; k++) {
        uint32_t d = key_stack(k, ips, &gen);
        int is_new;
        intern(gen, ips, d, &is_new);
    }
    ck_assert_uint_eq(lt_stacks_count(), 5000);
    lt_stacks_reset();
    ck_assert_uint_eq(lt_stacks_count(), 0);
    /* everything is new again, with ids from 0 */
    for (uint32_t k = 0; k < 10; k++) {
        uint32_t d = key_stack(4999 - k, ips, &gen);
        int is_new;
        const lt_stack_ent_t *e = intern(gen, ips, d, &is_new);
        ck_assert_msg(is_new == 1, "stack %u known after a reset", 4999 - k);
        ck_assert_uint_eq(e->id, k);
    }
    ck_assert_uint_eq(lt_stacks_count(), 10);
    /* fork hooks: prepare takes the lock, parent releases it */
    lt_stacks_fork_prepare();
    lt_stacks_fork_parent();
    int is_new;
    intern(0, ips, 1, &is_new);
}
END_TEST

Suite *stacks_suite(void)
{
    Suite *s = suite_create("stacks");
    TCase *tc = tcase_create("hash");
    tcase_add_test(tc, test_hash_is_deterministic);
    tcase_add_test(tc, test_hash_is_sensitive);
    suite_add_tcase(s, tc);

    tc = tcase_create("intern");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, test_intern_same_stack_same_entry);
    tcase_add_test(tc, test_intern_gen_and_depth_make_new_entries);
    tcase_add_test(tc, test_intern_equal_hashes_kept_apart);
    tcase_add_test(tc, test_intern_ids_dense_in_insertion_order);
    tcase_add_test(tc, test_intern_deep_stack);
    tcase_add_test(tc, test_intern_growth_keeps_everything);
    tcase_add_test(tc, test_intern_concurrent_threads_agree);
    tcase_add_test(tc, test_reset_empties_the_table);
    suite_add_tcase(s, tc);
    return s;
}

#ifdef LT_STANDALONE_TEST
int main(void)
{
    SRunner *sr = srunner_create(stacks_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
