/*
 * test_ring.c - the flight-recorder ring on the reader's side: chunk
 * ordering and the choice of the window (lt_ring_plan, pure), and replays
 * that start from a checkpoint, with events that were in flight when it
 * was taken arriving late (exact by the highest-number-wins rule), a
 * wrapped file laid out as the writer leaves it, and a damaged chunk.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "replay.h"
#include "lt_format.h"
#include "encode.h"
#include "unit_helpers.h"

#define F1 LT_CHUNK_F_CKPT_FIRST
#define FL LT_CHUNK_F_CKPT_LAST

static lt_chunk_ent_t ch(uint32_t index, uint32_t flags, uint64_t off)
{
    lt_chunk_ent_t e = { 0 };
    e.index = index;
    e.flags = flags;
    e.off = off;
    return e;
}

START_TEST(test_plan_unwrapped_in_any_file_order)
{
    lt_chunk_ent_t v[] = { ch(2, 0, 300), ch(0, 0, 100), ch(3, F1 | FL, 400), ch(1, 0, 200) };
    lt_ring_plan_t p;
    size_t n = lt_ring_plan(v, 4, &p);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(p.start, 0);
    ck_assert_int_eq(p.wrapped, 0);
    ck_assert_int_eq(p.no_checkpoint, 0);
    ck_assert_uint_eq(p.missing, 0);
    for (uint32_t i = 0; i < 4; i++) ck_assert_uint_eq(v[i].index, i);
}
END_TEST

START_TEST(test_plan_wrapped_starts_at_oldest_complete_checkpoint)
{
    /* As the writer leaves a wrapped file: the newest chunks (20..23) at
     * the start of the region, then the survivors of the lap before
     * (12..19). Checkpoint 12-13 is the oldest that is whole. */
    lt_chunk_ent_t v[] = { ch(20, 0, 100), ch(21, F1, 200), ch(22, FL, 300), ch(23, 0, 400),
                           ch(12, F1, 500), ch(13, FL, 600), ch(14, 0, 700), ch(15, 0, 800),
                           ch(16, F1 | FL, 900), ch(17, 0, 1000), ch(18, 0, 1100), ch(19, 0, 1200) };
    lt_ring_plan_t p;
    size_t n = lt_ring_plan(v, 12, &p);
    ck_assert_uint_eq(n, 12);
    ck_assert_int_eq(p.wrapped, 1);
    ck_assert_int_eq(p.no_checkpoint, 0);
    ck_assert_uint_eq(v[p.start].index, 12);
    ck_assert_uint_eq(v[p.start].off, 500);
    ck_assert_uint_eq(p.missing, 0);
}
END_TEST

START_TEST(test_plan_skips_incomplete_checkpoints)
{
    /* 10 opens a checkpoint whose LAST chunk (11) was overwritten by the
     * torn tail; 12 opens one that is cut by a missing chunk (14); 15-16
     * is whole: the window starts there, and the hole at 14 comes before
     * it, so nothing is missing after the start. */
    lt_chunk_ent_t v[] = { ch(10, F1, 0), ch(12, F1, 0), ch(13, 0, 0), ch(15, F1, 0), ch(16, FL, 0), ch(17, 0, 0) };
    lt_ring_plan_t p;
    lt_ring_plan(v, 6, &p);
    ck_assert_int_eq(p.wrapped, 1);
    ck_assert_int_eq(p.no_checkpoint, 0);
    ck_assert_uint_eq(v[p.start].index, 15);
    ck_assert_uint_eq(p.missing, 0);

    /* a checkpoint whose last chunk is cut short (being written) is not whole */
    lt_chunk_ent_t w[] = { ch(7, F1, 0), ch(8, FL, 0), ch(9, 0, 0) };
    w[1].cut = 1;
    lt_ring_plan(w, 3, &p);
    ck_assert_int_eq(p.no_checkpoint, 1);
    ck_assert_uint_eq(p.start, 0);
}
END_TEST

START_TEST(test_plan_counts_missing_and_drops_duplicates)
{
    lt_chunk_ent_t v[] = { ch(0, 0, 10), ch(1, 0, 20), ch(1, 0, 5), ch(4, 0, 30), ch(5, 0, 40), ch(9, 0, 50) };
    lt_ring_plan_t p;
    size_t n = lt_ring_plan(v, 6, &p);
    ck_assert_uint_eq(n, 5);
    ck_assert_uint_eq(v[1].off, 5);          /* the first in file order is kept */
    ck_assert_int_eq(p.wrapped, 0);
    ck_assert_uint_eq(p.missing, 2 + 3);     /* 2, 3 and 6, 7, 8 */

    lt_chunk_ent_t w[] = { ch(30, 0, 0), ch(31, 0, 0) };
    lt_ring_plan(w, 2, &p);
    ck_assert_int_eq(p.wrapped, 1);
    ck_assert_int_eq(p.no_checkpoint, 1);
    ck_assert_uint_eq(lt_ring_plan(w, 0, &p), 0);
    ck_assert_int_eq(p.wrapped, 0);
}
END_TEST

/* ---- replays from a checkpoint ---- */

static char *tmpdir;
static void setup(void) { tmpdir = ut_tmpdir_create(); }
static void teardown(void) { ut_tmpdir_remove(tmpdir); tmpdir = NULL; }

static void rec(lt_enc_t *e, unsigned tag, const ut_buf_t *b) { lt_enc_side(e, tag, b->p, b->len); }

/* Added to every sequence number of the files below: 0, or 2^48 to replay
 * the same history with numbers the analyzer's live table cannot hold in
 * its 48 bits (replay.c, wide blocks). */
static uint64_t K;

/* Checkpoint 3, base 100, at ts 5000: live blocks A (0xa000, 10 bytes,
 * stack 0, seq 50) and E (0xe000, 7 bytes, stack 1, seq 90); tombstone
 * for B (0xb000, freed at 60, allocation still in flight). */
static void ckpt_chunk(ut_file_t *f, uint64_t nlive_claimed)
{
    lt_enc_t e;
    ut_enc_init(&e);
    ut_buf_t b = { 0 };
    ut_buf_varint(&b, 3); ut_buf_varint(&b, K + 100); ut_buf_varint(&b, 5000);
    ut_buf_varint(&b, 2); ut_buf_varint(&b, 1); ut_buf_varint(&b, 1 << 20);
    rec(&e, LT_REC_CKPT, &b);
    b.len = 0;
    ut_buf_kv(&b, "pid", "9", 1);
    ut_buf_kv(&b, "start_realtime_ns", "1000000000000000000", 19);
    rec(&e, LT_REC_PROCESS, &b);
    uint64_t w[UT_RING_MAX_WORDS], ip[2] = { 0x401000, 0x402000 };
    ut_ring_stack(w, 0, 0, &ip[0], 1);
    lt_enc_ring_record(&e, w);
    ut_ring_stack(w, 1, 0, &ip[1], 1);
    lt_enc_ring_record(&e, w);
    b.len = 0;
    ut_buf_varint(&b, 0xa000); ut_buf_varint(&b, 10); ut_buf_varint(&b, 0); ut_buf_varint(&b, 1000);
    ut_buf_varint(&b, K + 50); ut_buf_varint(&b, 7); ut_buf_u8(&b, 0);
    ut_buf_varint(&b, 0xe000); ut_buf_varint(&b, 7); ut_buf_varint(&b, 1); ut_buf_varint(&b, 2000);
    ut_buf_varint(&b, K + 90); ut_buf_varint(&b, 7); ut_buf_u8(&b, 0);
    rec(&e, LT_REC_LIVE, &b);
    b.len = 0;
    ut_buf_varint(&b, 0xb000); ut_buf_varint(&b, K + 60);
    rec(&e, LT_REC_TOMB, &b);
    b.len = 0;
    ut_buf_varint(&b, 3); ut_buf_varint(&b, nlive_claimed); ut_buf_varint(&b, 1);
    rec(&e, LT_REC_CKPT_END, &b);
    ut_file_chunk(f, e.buf, e.len, F1 | FL, 1);
    ut_buf_free(&b);
    ut_enc_free(&e);
}

/* Events after the checkpoint, from two threads. Thread 8 was in flight:
 * its numbers are below the base. */
static void event_chunk(ut_file_t *f, int with_end)
{
    lt_enc_t e;
    ut_enc_init(&e);
    uint64_t w[UT_RING_MAX_WORDS];
    lt_enc_segment(&e, 7);
    ut_ring_alloc(w, K + 100, 6000, 0xc000, 30, 0, 0); lt_enc_ring_record(&e, w);   /* C: live */
    ut_ring_free(w, K + 101, 6100, 0xa000); lt_enc_ring_record(&e, w);              /* A freed */
    ut_ring_alloc(w, K + 102, 6200, 0xd000, 40, 1, 0); lt_enc_ring_record(&e, w);   /* D */
    ut_ring_free(w, K + 103, 6300, 0xd000); lt_enc_ring_record(&e, w);              /* D freed */
    lt_enc_segment(&e, 8);
    ut_ring_alloc(w, K + 55, 900, 0xb000, 20, 1, 0); lt_enc_ring_record(&e, w);     /* B: freed at 60 (tombstone) */
    ut_ring_alloc(w, K + 70, 950, 0xd000, 50, 0, 0); lt_enc_ring_record(&e, w);     /* D's earlier life: freed (103) */
    ut_ring_free(w, K + 80, 960, 0xe000); lt_enc_ring_record(&e, w);                /* E's earlier life: E is seq 90 */
    ut_ring_alloc(w, K + 95, 990, 0xf000, 60, 1, 0); lt_enc_ring_record(&e, w);     /* F: live, allocated before the window */
    if (with_end) {
        ut_buf_t b = { 0 };
        ut_buf_varint(&b, LT_END_EXIT); ut_buf_varint(&b, 0); ut_buf_varint(&b, 7000); ut_buf_varint(&b, K + 104); ut_buf_varint(&b, 0);
        lt_enc_side(&e, LT_REC_END, b.p, b.len);
        ut_buf_free(&b);
    }
    ut_file_chunk(f, e.buf, e.len, with_end ? LT_CHUNK_F_FINAL : 0, 1);
    ut_enc_free(&e);
}

/* A wrapped file: chunk indexes start at 40 (0..39 were overwritten); an
 * old events chunk (39, no checkpoint before it) sits after the newest one,
 * as the survivor of the previous lap. */
static void build_wrapped(ut_file_t *f, uint64_t nlive_claimed)
{
    memset(f, 0, sizeof *f);
    ut_file_header(f, LT_FORMAT_MAJOR, LT_FORMAT_MINOR, "format=leaktrace\nmax_size=1048576\n");
    f->next_index = 40;
    ckpt_chunk(f, nlive_claimed);
    event_chunk(f, 1);
    f->next_index = 39;
    event_chunk(f, 0);
}


typedef struct find { uint64_t addr, size, ts; uint32_t stack; int found; } find_t;
static void find_cb(void *ctx, uint64_t addr, uint64_t size, uint32_t stack, uint64_t ts)
{
    find_t *f = ctx;
    if (addr == f->addr) { f->found++; f->size = size; f->stack = stack; f->ts = ts; }
}

static uint64_t live_at(const lt_replay_t *rp, uint64_t addr, uint64_t *size, uint32_t *stack, uint64_t *ts)
{
    find_t f = { addr, 0, 0, 0, 0 };
    lt_replay_each_live(rp, find_cb, &f);
    if (size) *size = f.size;
    if (stack) *stack = f.stack;
    if (ts) *ts = f.ts;
    return (uint64_t)f.found;
}

START_TEST(test_replay_from_checkpoint_is_exact)
{
    /* _i: 0, then every sequence number above 2^48 */
    K = _i ? 1ull << 48 : 0;
    ut_file_t f;
    build_wrapped(&f, 2);
    char *path = ut_path(tmpdir, "ring.trace");
    ut_write_file(path, f.b.p, f.b.len);
    lt_replay_t *rp = NULL;
    lt_err_t err;
    ck_assert_msg(lt_replay_file(path, &rp, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(rp->wrapped, 1);
    ck_assert_int_eq(rp->from_checkpoint, 1);
    ck_assert_uint_eq(rp->window_ts, 5000);
    ck_assert_uint_eq(rp->window_seq, K + 100);
    ck_assert_uint_eq(rp->ckpt_blocks, 2);
    ck_assert_uint_eq(rp->ckpt_bytes, 17);
    ck_assert_uint_eq(rp->ring_max_size, 1 << 20);
    ck_assert_int_eq(rp->complete, 1);
    ck_assert_uint_eq(rp->damaged, 0);
    ck_assert_uint_eq(rp->seq_gaps, 0);
    ck_assert_uint_eq(rp->replaced, 0);
    /* live at the end: C (window), E (checkpoint, its late earlier free
     * ignored), F (late allocation); not A (freed), B (tombstone), D */
    uint64_t size, ts;
    uint32_t stack;
    ck_assert_uint_eq(live_at(rp, 0xc000, &size, &stack, NULL), 1);
    ck_assert_uint_eq(size, 30);
    ck_assert_uint_eq(live_at(rp, 0xe000, &size, &stack, &ts), 1);
    ck_assert_uint_eq(size, 7);
    ck_assert_uint_eq(stack, 1);
    ck_assert_uint_eq(ts, 2000);                 /* its allocation time, from the checkpoint */
    ck_assert_uint_eq(live_at(rp, 0xf000, &size, NULL, NULL), 1);
    ck_assert_uint_eq(size, 60);
    ck_assert_uint_eq(live_at(rp, 0xa000, NULL, NULL, NULL), 0);
    ck_assert_uint_eq(live_at(rp, 0xb000, NULL, NULL, NULL), 0);
    ck_assert_uint_eq(live_at(rp, 0xd000, NULL, NULL, NULL), 0);
    ck_assert_uint_eq(rp->tot.live_blocks, 3);
    ck_assert_uint_eq(rp->tot.live_bytes, 30 + 7 + 60);
    /* per stack: stack 0 holds C only (A freed), stack 1 holds E and F */
    ck_assert_uint_eq(lt_replay_stack(rp, 0)->st.live_blocks, 1);
    ck_assert_uint_eq(lt_replay_stack(rp, 1)->st.live_blocks, 2);
    ck_assert_ptr_nonnull(lt_replay_stack(rp, 1)->ips);   /* re-sent by the checkpoint */
    ck_assert_int_eq((int)rp->proc.pid, 9);
    lt_replay_free(rp);

    /* a checkpoint whose end disagrees with its blocks is corrupt */
    ut_file_free(&f);
    build_wrapped(&f, 3);
    ut_write_file(path, f.b.p, f.b.len);
    rp = NULL;
    ck_assert_int_eq(lt_replay_file(path, &rp, &err), -LT_E_CORRUPT);
    ck_assert_ptr_null(rp);
    ck_assert_msg(strstr(err.msg, "checkpoint 3 ends saying 3 blocks") != NULL, "%s", err.msg);
    free(path);
    ut_file_free(&f);
    K = 0;
}
END_TEST

/* Records of a trace file, read from start to end (-1: an error). */
static long count_records(lt_trace_file_t *tf)
{
    lt_rec_t r;
    lt_err_t err;
    long n = 0;
    int rc;
    while ((rc = lt_file_next(tf, &r, &err)) == 1) n++;
    return rc == 0 ? n : -1;
}

/* A file of 60 chunks of 200 allocations and frees each at random
 * addresses (far more than stdio buffers), with `text` as its header text. */
static void build_long(ut_file_t *f, const char *text)
{
    memset(f, 0, sizeof *f);
    ut_file_header(f, LT_FORMAT_MAJOR, LT_FORMAT_MINOR, text);
    lt_enc_t e;
    ut_enc_init(&e);
    uint64_t w[UT_RING_MAX_WORDS], ip = 0x401000, x = 88172645463325252ull, seq = 0;
    for (int c = 0; c < 60; c++) {
        e.len = 0;
        lt_enc_segment(&e, 5);
        if (c == 0) { ut_ring_stack(w, 0, 0, &ip, 1); lt_enc_ring_record(&e, w); }
        for (int k = 0; k < 200; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            uint64_t addr = 0x100000 + (x & 0xffffff0);
            ut_ring_alloc(w, seq, 10 * seq, addr, 1 + (x >> 40) % 5000, 0, 0);
            lt_enc_ring_record(&e, w);
            seq++;
            ut_ring_free(w, seq, 10 * seq, addr);
            lt_enc_ring_record(&e, w);
            seq++;
        }
        ut_file_chunk(f, e.buf, e.len, 0, 1);
    }
    ut_enc_free(&e);
}

/* A wrapped ring is read as it was when opened, even if the program
 * overwrites it afterwards (here: the whole file, with zeros); an unbounded
 * trace, or a ring far from full, is read from the file as it goes, so the
 * same overwrite loses chunks. */
START_TEST(test_ring_read_as_it_was_at_open)
{
    char *path = ut_path(tmpdir, "snap.trace");
    const char *texts[3] = { "format=leaktrace\nmax_size=1048576\n", "format=leaktrace\n",
                             "format=leaktrace\nmax_size=1073741824\n" };
    for (int k = 0; k < 3; k++) {
        ut_file_t f;
        build_long(&f, texts[k]);
        ck_assert_uint_gt(f.b.len, 65536);
        ut_write_file(path, f.b.p, f.b.len);
        lt_trace_file_t *tf = NULL;
        lt_err_t err;
        ck_assert_msg(lt_file_open(path, &tf, &err) == 0, "%s", err.msg);
        long want = count_records(tf);
        ck_assert_int_gt(want, 20000);
        lt_file_close(tf);

        ck_assert_msg(lt_file_open(path, &tf, &err) == 0, "%s", err.msg);
        unsigned char *zero = calloc(1, f.b.len);
        ck_assert_ptr_nonnull(zero);
        ut_write_file(path, zero, f.b.len);
        long got = count_records(tf);
        if (k == 0) ck_assert_int_eq(got, want);
        else ck_assert_int_lt(got, want);
        lt_file_close(tf);
        free(zero);
        ut_file_free(&f);
    }
    free(path);
}
END_TEST

START_TEST(test_damaged_chunk_in_the_middle_is_skipped)
{
    /* chunk 0: a block; chunk 1 (damaged): another; chunk 2: a third and
     * the end. The replay reads 0 and 2, says one chunk was lost. */
    ut_file_t f = { 0 };
    ut_file_header(&f, LT_FORMAT_MAJOR, LT_FORMAT_MINOR, "format=leaktrace\n");
    lt_enc_t e;
    ut_enc_init(&e);
    uint64_t w[UT_RING_MAX_WORDS], ip = 0x401000;
    for (int c = 0; c < 3; c++) {
        e.len = 0;
        lt_enc_segment(&e, 5);
        if (c == 0) { ut_ring_stack(w, 0, 0, &ip, 1); lt_enc_ring_record(&e, w); }
        ut_ring_alloc(w, (uint64_t)c, 10 * (uint64_t)c, 0x1000 + 0x100 * (uint64_t)c, 100, 0, 0);
        lt_enc_ring_record(&e, w);
        if (c == 2) {
            ut_buf_t b = { 0 };
            ut_buf_varint(&b, LT_END_EXIT); ut_buf_varint(&b, 0); ut_buf_varint(&b, 30); ut_buf_varint(&b, 3); ut_buf_varint(&b, 0);
            lt_enc_side(&e, LT_REC_END, b.p, b.len);
            ut_buf_free(&b);
        }
        ut_file_chunk(&f, e.buf, e.len, c == 2 ? LT_CHUNK_F_FINAL : 0, 1);
    }
    ut_enc_free(&e);
    size_t mid = (f.chunk_off[1] + LT_CHUNK_HDR_LEN + f.chunk_end[1]) / 2;
    f.b.p[mid] ^= 0xff;
    char *path = ut_path(tmpdir, "damaged.trace");
    ut_write_file(path, f.b.p, f.b.len);
    lt_replay_t *rp = NULL;
    lt_err_t err;
    ck_assert_msg(lt_replay_file(path, &rp, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(rp->damaged, 1);
    ck_assert_int_eq(rp->wrapped, 0);
    ck_assert_int_eq(rp->complete, 1);
    ck_assert_uint_eq(rp->tot.allocations, 2);
    ck_assert_uint_eq(rp->seq_gaps, 1);           /* the lost event's number */
    ck_assert_uint_eq(live_at(rp, 0x1000, NULL, NULL, NULL), 1);
    ck_assert_uint_eq(live_at(rp, 0x1100, NULL, NULL, NULL), 0);
    ck_assert_uint_eq(live_at(rp, 0x1200, NULL, NULL, NULL), 1);

    /* the same damage to a header: the chunk is not found, a hole is said */
    f.b.p[mid] ^= 0xff;
    f.b.p[f.chunk_off[1] + 13] ^= 0x01;
    ut_write_file(path, f.b.p, f.b.len);
    lt_replay_free(rp);
    ck_assert_msg(lt_replay_file(path, &rp, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(rp->damaged, 1);
    ck_assert_msg(strstr(rp->damaged_msg, "is missing or damaged") && strstr(rp->damaged_msg, "chunk 1 (at byte ") != NULL, "%s", rp->damaged_msg);
    ck_assert_uint_eq(rp->tot.allocations, 2);
    lt_replay_free(rp);
    free(path);
    ut_file_free(&f);
}
END_TEST

Suite *ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_plan_unwrapped_in_any_file_order);
    tcase_add_test(tc, test_plan_wrapped_starts_at_oldest_complete_checkpoint);
    tcase_add_test(tc, test_plan_skips_incomplete_checkpoints);
    tcase_add_test(tc, test_plan_counts_missing_and_drops_duplicates);
    suite_add_tcase(s, tc);
    tc = tcase_create("replay");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_replay_from_checkpoint_is_exact, 0, 2);
    tcase_add_test(tc, test_damaged_chunk_in_the_middle_is_skipped);
    tcase_add_test(tc, test_ring_read_as_it_was_at_open);
    suite_add_tcase(s, tc);
    return s;
}
