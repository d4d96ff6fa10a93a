/*
 * test_reach.c - unit tests of preload/reach_core.c: the conservative mark
 * and valgrind's classification over blocks built in one arena of this
 * test, with the "roots" an array of words here too.
 *
 * Every case lays blocks out in a 64 KiB arena at fixed offsets, stores
 * pointers between them, scans a root array and checks the kind of each
 * block against what valgrind memcheck says for the same shape.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reach.h"

Suite *reach_suite(void);

#define ARENA 65536
#define MAXB 64

typedef struct fx {
    _Alignas(16) unsigned char arena[ARENA];
    lt_rblock_t b[MAXB];
    size_t n;
    uint8_t state[MAXB];
    uint32_t stack[2 * MAXB + 1];
    uint64_t ind[MAXB];
    uint64_t roots[16];
    lt_reach_t r;
} fx_t;

static fx_t *fx_new(void)
{
    fx_t *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    return f;
}

/* Adds a block at arena offset off (offsets must increase). Returns its index. */
static size_t blk(fx_t *f, size_t off, size_t size)
{
    ck_assert_uint_lt(f->n, MAXB);
    f->b[f->n] = (lt_rblock_t){ (uint64_t)(uintptr_t)(f->arena + off), size };
    return f->n++;
}

static uint64_t at(fx_t *f, size_t i, size_t off) { return f->b[i].addr + off; }

/* Stores value v in block i at byte offset off. */
static void put(fx_t *f, size_t i, size_t off, uint64_t v) { memcpy((void *)(uintptr_t)(f->b[i].addr + off), &v, 8); }

static void run(fx_t *f, size_t nroots)
{
    lt_reach_init(&f->r, f->b, f->n, f->state, f->stack, f->ind);
    lt_reach_scan_root(&f->r, (uint64_t)(uintptr_t)f->roots, (uint64_t)(uintptr_t)(f->roots + nroots));
    lt_reach_finish(&f->r);
}

static int kind(fx_t *f, size_t i) { return lt_reach_kind(&f->r, i); }

START_TEST(find_edges)
{
    fx_t *f = fx_new();
    size_t a = blk(f, 0, 32), z = blk(f, 64, 0), c = blk(f, 128, 10);
    lt_reach_init(&f->r, f->b, f->n, f->state, f->stack, f->ind);
    ck_assert_int_eq(lt_reach_find(&f->r, at(f, a, 0)), (long)a);
    ck_assert_int_eq(lt_reach_find(&f->r, at(f, a, 31)), (long)a);
    ck_assert_int_eq(lt_reach_find(&f->r, at(f, a, 32)), -1);        /* one past the end */
    ck_assert_int_eq(lt_reach_find(&f->r, at(f, z, 0)), (long)z);     /* zero-sized: exact address */
    ck_assert_int_eq(lt_reach_find(&f->r, at(f, z, 1)), -1);
    ck_assert_int_eq(lt_reach_find(&f->r, at(f, c, 9)), (long)c);
    ck_assert_int_eq(lt_reach_find(&f->r, at(f, c, 10)), -1);
    ck_assert_int_eq(lt_reach_find(&f->r, at(f, a, 0) - 1), -1);
    ck_assert_int_eq(lt_reach_find(&f->r, 0), -1);
    free(f);
}
END_TEST

/* root -> A -> B -> C: all reachable; D alone: definite; E -> F from nothing:
 * E definite, F indirect. */
START_TEST(chain_and_lost_tree)
{
    fx_t *f = fx_new();
    size_t A = blk(f, 0, 16), B = blk(f, 64, 16), C = blk(f, 128, 16), D = blk(f, 192, 40);
    size_t E = blk(f, 256, 24), F = blk(f, 320, 8), G = blk(f, 384, 8);
    put(f, A, 0, at(f, B, 0));
    put(f, B, 8, at(f, C, 0));
    put(f, E, 0, at(f, F, 0));
    put(f, E, 8, at(f, G, 4));        /* interior pointer from a lost block: still indirect */
    f->roots[0] = at(f, A, 0);
    run(f, 1);
    ck_assert_int_eq(kind(f, A), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, B), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, C), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, D), LT_KIND_DEFINITE);
    ck_assert_int_eq(kind(f, E), LT_KIND_DEFINITE);
    ck_assert_int_eq(kind(f, F), LT_KIND_INDIRECT);
    ck_assert_int_eq(kind(f, G), LT_KIND_INDIRECT);
    ck_assert_uint_eq(lt_reach_indirect(&f->r, E), 16);   /* F 8 + G 8 */
    ck_assert_uint_eq(lt_reach_indirect(&f->r, D), 0);
    ck_assert_uint_eq(lt_reach_indirect(&f->r, F), 0);
    free(f);
}
END_TEST

/* A chain whose blocks lie at decreasing addresses: the head (highest
 * address) leads the clique and absorbs the earlier leaders. */
START_TEST(chain_backwards)
{
    fx_t *f = fx_new();
    size_t C = blk(f, 0, 16), B = blk(f, 64, 16), A = blk(f, 128, 16);
    put(f, A, 0, at(f, B, 0));
    put(f, B, 0, at(f, C, 0));
    run(f, 0);
    ck_assert_int_eq(kind(f, A), LT_KIND_DEFINITE);
    ck_assert_int_eq(kind(f, B), LT_KIND_INDIRECT);
    ck_assert_int_eq(kind(f, C), LT_KIND_INDIRECT);
    /* C led a clique first, then B absorbed it, then A absorbed B's. */
    ck_assert_uint_eq(lt_reach_indirect(&f->r, A), 32);
    free(f);
}
END_TEST

/* A cycle with no way in: the lowest address is definite, the rest indirect.
 * A reachable cycle is all reachable, and terminates. */
START_TEST(cycles)
{
    fx_t *f = fx_new();
    size_t X = blk(f, 0, 16), Y = blk(f, 64, 16), Z = blk(f, 128, 16);
    size_t P = blk(f, 256, 16), Q = blk(f, 320, 16);
    put(f, X, 0, at(f, Y, 0));
    put(f, Y, 0, at(f, Z, 0));
    put(f, Z, 0, at(f, X, 0));
    put(f, P, 0, at(f, Q, 0));
    put(f, Q, 0, at(f, P, 0));
    put(f, Q, 8, at(f, Q, 0));     /* self pointer */
    f->roots[0] = at(f, Q, 0);
    run(f, 1);
    ck_assert_int_eq(kind(f, X), LT_KIND_DEFINITE);
    ck_assert_int_eq(kind(f, Y), LT_KIND_INDIRECT);
    ck_assert_int_eq(kind(f, Z), LT_KIND_INDIRECT);
    ck_assert_uint_eq(lt_reach_indirect(&f->r, X), 32);
    ck_assert_int_eq(kind(f, P), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, Q), LT_KIND_REACHABLE);
    free(f);
}
END_TEST

/* Interior pointers: possibly lost, and "possibly" propagates down the chain
 * even through start pointers; a later start pointer from a root upgrades. */
START_TEST(interior)
{
    fx_t *f = fx_new();
    size_t A = blk(f, 0, 64), B = blk(f, 128, 16), C = blk(f, 192, 16), D = blk(f, 256, 16);
    put(f, A, 16, at(f, B, 0));
    put(f, B, 0, at(f, C, 0));
    put(f, C, 0, at(f, D, 0));
    f->roots[0] = at(f, A, 20);        /* interior into A */
    f->roots[1] = at(f, C, 0);         /* start of C from a root: C and D reachable */
    run(f, 2);
    ck_assert_int_eq(kind(f, A), LT_KIND_POSSIBLE);
    ck_assert_int_eq(kind(f, B), LT_KIND_POSSIBLE);
    ck_assert_int_eq(kind(f, C), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, D), LT_KIND_REACHABLE);
    free(f);
}
END_TEST

/* Only whole, aligned words count: a pointer at an unaligned offset, or in
 * the last bytes of a block beyond its size rounded down, is not seen. */
START_TEST(alignment)
{
    fx_t *f = fx_new();
    size_t A = blk(f, 0, 20), B = blk(f, 64, 16), C = blk(f, 128, 16), D = blk(f, 192, 16);
    f->roots[0] = at(f, A, 0);
    put(f, A, 8, at(f, B, 0));                           /* word 8..16: inside 20 bytes */
    uint64_t c = at(f, C, 0);
    memcpy((unsigned char *)(uintptr_t)at(f, A, 0) + 1, &c, 7); /* unaligned: not a pointer */
    put(f, A, 16, at(f, D, 0));                          /* word 16..24 crosses size 20 */
    run(f, 1);
    ck_assert_int_eq(kind(f, A), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, B), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, C), LT_KIND_DEFINITE);
    ck_assert_int_eq(kind(f, D), LT_KIND_DEFINITE);
    ck_assert_uint_eq(f->r.root_bytes, 8);
    free(f);
}
END_TEST

/* valgrind's heuristics: length64 and stdstring interior pointers count as
 * start pointers; a near miss stays possibly lost. Off: possibly lost. */
START_TEST(heuristics)
{
    fx_t *f = fx_new();
    size_t L = blk(f, 0, 48), M = blk(f, 64, 48), S = blk(f, 128, 24 + 10 + 1), T = blk(f, 192, 48);
    put(f, L, 0, 40);                  /* length64: first word = size - 8 */
    put(f, M, 0, 39);                  /* near miss */
    put(f, S, 0, 5);                   /* stdstring: length 5 */
    put(f, S, 8, 10);                  /* capacity 10 = size - 25 */
    put(f, T, 0, 3);
    put(f, T, 8, 10);                  /* capacity does not match the size */
    f->roots[0] = at(f, L, 8);
    f->roots[1] = at(f, M, 8);
    f->roots[2] = at(f, S, 24);
    f->roots[3] = at(f, T, 24);
    run(f, 4);
    ck_assert_int_eq(kind(f, L), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, M), LT_KIND_POSSIBLE);
    ck_assert_int_eq(kind(f, S), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, T), LT_KIND_POSSIBLE);

    lt_reach_init(&f->r, f->b, f->n, f->state, f->stack, f->ind);
    f->r.heuristics = 0;
    lt_reach_scan_root(&f->r, (uint64_t)(uintptr_t)f->roots, (uint64_t)(uintptr_t)(f->roots + 4));
    lt_reach_finish(&f->r);
    ck_assert_int_eq(kind(f, L), LT_KIND_POSSIBLE);
    ck_assert_int_eq(kind(f, S), LT_KIND_POSSIBLE);
    free(f);
}
END_TEST

/* Register roots, zero-sized blocks, and a big random graph checked against
 * a naive fixpoint (reachable set only) to catch mark-stack bugs. */
START_TEST(registers_and_zero)
{
    fx_t *f = fx_new();
    size_t A = blk(f, 0, 0), B = blk(f, 16, 16), C = blk(f, 64, 8);
    lt_reach_init(&f->r, f->b, f->n, f->state, f->stack, f->ind);
    lt_reach_root_word(&f->r, at(f, A, 0));
    lt_reach_root_word(&f->r, at(f, B, 8));
    lt_reach_finish(&f->r);
    ck_assert_int_eq(kind(f, A), LT_KIND_REACHABLE);
    ck_assert_int_eq(kind(f, B), LT_KIND_POSSIBLE);
    ck_assert_int_eq(kind(f, C), LT_KIND_DEFINITE);
    free(f);
}
END_TEST

START_TEST(random_graph)
{
    fx_t *f = fx_new();
    srand(1234);
    for (size_t i = 0; i < MAXB; i++) blk(f, i * 512, 64);
    int edge[MAXB][8];
    for (size_t i = 0; i < MAXB; i++)
        for (int j = 0; j < 8; j++) {
            edge[i][j] = rand() % 4 == 0 ? rand() % MAXB : -1;
            put(f, i, (size_t)j * 8, edge[i][j] >= 0 ? at(f, (size_t)edge[i][j], 0) : 0);
        }
    f->roots[0] = at(f, 3, 0);
    f->roots[1] = at(f, 40, 0);
    run(f, 2);
    int reach[MAXB] = { 0 };
    reach[3] = reach[40] = 1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < MAXB; i++)
            if (reach[i])
                for (int j = 0; j < 8; j++)
                    if (edge[i][j] >= 0 && !reach[edge[i][j]]) reach[edge[i][j]] = changed = 1;
    }
    size_t definite = 0;
    for (size_t i = 0; i < MAXB; i++) {
        ck_assert_int_eq(kind(f, i) == LT_KIND_REACHABLE, reach[i]);
        if (kind(f, i) == LT_KIND_DEFINITE) definite++;
        /* An indirect block is pointed to by some other lost block. */
        if (kind(f, i) == LT_KIND_INDIRECT) {
            int from_lost = 0;
            for (size_t k = 0; k < MAXB; k++)
                for (int j = 0; j < 8; j++)
                    if (edge[k][j] == (int)i && k != i && !reach[k]) from_lost = 1;
            ck_assert_msg(from_lost, "block %zu indirect with no lost predecessor", i);
        }
    }
    ck_assert_uint_le(f->r.sp, 2 * MAXB + 1);
    free(f);
}
END_TEST

Suite *reach_suite(void)
{
    Suite *s = suite_create("reach");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, find_edges);
    tcase_add_test(tc, chain_and_lost_tree);
    tcase_add_test(tc, chain_backwards);
    tcase_add_test(tc, cycles);
    tcase_add_test(tc, interior);
    tcase_add_test(tc, alignment);
    tcase_add_test(tc, heuristics);
    tcase_add_test(tc, registers_and_zero);
    tcase_add_test(tc, random_graph);
    suite_add_tcase(s, tc);
    return s;
}
