/*
 * test_profiles.c - unit tests of the heap-profile layers:
 *
 *  - replay moments (analyzer/replay.c): marks and ticks placed by sequence
 *    number whatever order their records arrive in, snapshots at a MARK, a
 *    TIME and a SEQ (the peak), fed record by record and read from trace
 *    files through lt_replay_file_at;
 *  - the profile container (profile.c): string interning, sites merged by
 *    their frames, lt_profile_finish's order and totals;
 *  - heap dump files (dump.c): text and JSON round trips of every field,
 *    lt_dump_sniff, malformed dumps and a deterministic mutation loop;
 *  - profile diffs (diff.c): sites matched by meaning across runs;
 *  - the moment syntax (source.c: lt_when_parse, lt_when_parse_seconds).
 *
 * One scripted run (script[] below) drives every replay test, compared
 * against a tiny reference model (ref_before) and against numbers written
 * out by hand. Exports profiles_suite().
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "dump.h"
#include "lt_format.h"
#include "profile.h"
#include "replay.h"
#include "source.h"
#include "unit_helpers.h"

Suite *profiles_suite(void);

static char *tmpdir;
static void files_setup(void) { tmpdir = ut_tmpdir_create(); }
static void files_teardown(void) { ut_tmpdir_remove(tmpdir); tmpdir = NULL; }

/* ======================================================================== */
/* 1. Replay moments                                                        */
/* ======================================================================== */

/* The scripted run: three threads, three stacks, marks and ticks drawn from
 * the events' sequence. script[i].seq == i; every event at time TS(seq). */
enum { S_ALLOC, S_FREE, S_MARK, S_TICK };
enum { TA = 11, TB = 12, TC = 13, NSTACKS = 3, NSCRIPT = 15 };
#define TS(seq) (1000 + 100 * (uint64_t)(seq))

typedef struct step {
    int kind;
    uint64_t seq;
    uint32_t tid;          /* ALLOC, FREE, MARK */
    uint64_t addr, size;   /* ALLOC: size; TICK: size = threads alive */
    uint32_t stack;
    const char *label;     /* MARK */
} step_t;

static const step_t script[NSCRIPT] = {
    { S_ALLOC, 0, TA, 0x1000, 100, 0, NULL },
    { S_ALLOC, 1, TB, 0x2000, 200, 1, NULL },
    { S_ALLOC, 2, TC, 0x3000, 300, 2, NULL },
    { S_MARK, 3, TA, 0, 0, 0, "start" },          /* live 600 in 3 blocks */
    { S_ALLOC, 4, TA, 0x1100, 50, 0, NULL },
    { S_FREE, 5, TB, 0x1000, 0, 0, NULL },       /* another thread frees A's block */
    { S_TICK, 6, 0, 0, 3, 0, NULL },             /* live 550 in 3 blocks */
    { S_ALLOC, 7, TC, 0x3100, 1000, 2, NULL },   /* the peak: 1550 */
    { S_MARK, 8, TB, 0, 0, 0, "phase" },          /* live 1550 in 4 blocks */
    { S_FREE, 9, TA, 0x3100, 0, 0, NULL },
    { S_ALLOC, 10, TB, 0x2100, 10, 1, NULL },
    { S_MARK, 11, TC, 0, 0, 0, "phase" },         /* repeated label: live 560 */
    { S_FREE, 12, TB, 0x2000, 0, 0, NULL },
    { S_TICK, 13, 0, 0, 2, 0, NULL },            /* live 360 in 3 blocks */
    { S_ALLOC, 14, TA, 0x1200, 7, 0, NULL },     /* end: live 367 in 4 blocks */
};

/* Arrival orders (by seq). Each thread's events keep their order, ticks
 * too (the writer emits them); marks come whenever the writer drains its
 * mailbox, so they may arrive before or after the events around them and
 * out of order between themselves (see preload/marks.c). */
typedef struct order { const char *name; uint64_t seq[NSCRIPT]; } order_t;
static const order_t orders[] = {
    { "in sequence", { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 } },
    { "thread batches", { 8, 1, 5, 10, 12, 2, 7, 6, 0, 4, 9, 14, 3, 11, 13 } },
    { "marks first, reversed", { 11, 8, 3, 6, 2, 7, 1, 5, 10, 12, 13, 0, 4, 9, 14 } },
};
#define NORDERS (sizeof orders / sizeof orders[0])

/* The reference: the heap after exactly the events with seq < limit. */
typedef struct ref_state {
    lt_stack_stats_t st[NSTACKS];
    lt_totals_t tot;
} ref_state_t;

static void ref_before(uint64_t limit, ref_state_t *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < NSCRIPT && script[i].seq < limit; i++) {
        const step_t *s = &script[i];
        if (s->kind == S_ALLOC) {
            lt_stack_stats_t *st = &r->st[s->stack];
            st->allocs++;
            st->bytes_alloc += s->size;
            st->live_blocks++;
            st->live_bytes += s->size;
            r->tot.allocations++;
            r->tot.bytes_allocated += s->size;
            r->tot.live_blocks++;
            r->tot.live_bytes += s->size;
            if (r->tot.live_bytes > r->tot.peak_bytes) {
                r->tot.peak_bytes = r->tot.live_bytes;
                r->tot.peak_seq = s->seq;
                r->tot.peak_ts = TS(s->seq);
            }
        } else if (s->kind == S_FREE) {
            size_t j = i;
            while (j-- > 0 && !(script[j].kind == S_ALLOC && script[j].addr == s->addr)) {}
            ck_assert_msg(j < i, "script: free of 0x%llx without its allocation", (unsigned long long)s->addr);
            lt_stack_stats_t *st = &r->st[script[j].stack];
            st->frees++;
            st->live_blocks--;
            st->live_bytes -= script[j].size;
            r->tot.frees++;
            r->tot.live_blocks--;
            r->tot.live_bytes -= script[j].size;
        }
    }
}

#define CHECK_FIELD(what, name, got, want)                                                                 \
    ck_assert_msg((got) == (want), "%s: %s is %llu, want %llu", (what), (name), (unsigned long long)(got), \
                  (unsigned long long)(want))

static void check_stats(const char *what, const lt_stack_stats_t *got, const lt_stack_stats_t *want)
{
    CHECK_FIELD(what, "allocs", got->allocs, want->allocs);
    CHECK_FIELD(what, "frees", got->frees, want->frees);
    CHECK_FIELD(what, "bytes_alloc", got->bytes_alloc, want->bytes_alloc);
    CHECK_FIELD(what, "live_blocks", got->live_blocks, want->live_blocks);
    CHECK_FIELD(what, "live_bytes", got->live_bytes, want->live_bytes);
}

static void check_totals(const char *what, const lt_totals_t *got, const lt_totals_t *want)
{
    CHECK_FIELD(what, "allocations", got->allocations, want->allocations);
    CHECK_FIELD(what, "frees", got->frees, want->frees);
    CHECK_FIELD(what, "bytes_allocated", got->bytes_allocated, want->bytes_allocated);
    CHECK_FIELD(what, "live_blocks", got->live_blocks, want->live_blocks);
    CHECK_FIELD(what, "live_bytes", got->live_bytes, want->live_bytes);
    CHECK_FIELD(what, "peak_bytes", got->peak_bytes, want->peak_bytes);
    CHECK_FIELD(what, "peak_seq", got->peak_seq, want->peak_seq);
    CHECK_FIELD(what, "peak_ts", got->peak_ts, want->peak_ts);
}

/* The snapshot holds the heap after exactly the events with seq < limit. */
static void check_snapshot_before(const char *what, const lt_snapshot_t *sn, uint64_t limit)
{
    ref_state_t r;
    ref_before(limit, &r);
    ck_assert_msg(sn->st != NULL && sn->nst >= NSTACKS, "%s: snapshot has %zu stacks", what, sn->nst);
    for (size_t id = 0; id < NSTACKS; id++) {
        char w[160];
        snprintf(w, sizeof w, "%s, stack %zu", what, id);
        check_stats(w, &sn->st[id], &r.st[id]);
    }
    const lt_stack_stats_t zero = { 0 };
    check_stats(what, &sn->none_st, &zero);
    check_totals(what, &sn->tot, &r.tot);
}

/* The replay's own state (the end of the run) after events < limit. */
static void check_replay_before(const char *what, const lt_replay_t *rp, uint64_t limit)
{
    ref_state_t r;
    ref_before(limit, &r);
    for (uint32_t id = 0; id < NSTACKS; id++) check_stats(what, &lt_replay_stack(rp, id)->st, &r.st[id]);
    check_totals(what, &rp->tot, &r.tot);
}

/* ---- the script as records ---- */

static void stack_payload(ut_buf_t *b, uint32_t id)
{
    b->len = 0;
    ut_buf_varint(b, id);
    ut_buf_varint(b, 0);                     /* generation */
    ut_buf_varint(b, 1);                     /* depth */
    ut_buf_varint(b, 0x401000 + 0x10 * id);  /* the one return address */
}

/* MARK: v seq, v ts, v tid, v len, label (common/lt_format.h). */
static void mark_payload(ut_buf_t *b, uint64_t seq, uint64_t ts, uint32_t tid, const char *label)
{
    b->len = 0;
    ut_buf_varint(b, seq);
    ut_buf_varint(b, ts);
    ut_buf_varint(b, tid);
    ut_buf_lstr(b, label, strlen(label));
}

/* TICK: v seq, v ts, v threads, v rss_bytes. */
static void tick_payload(ut_buf_t *b, uint64_t seq, uint64_t ts, uint64_t threads, uint64_t rss)
{
    b->len = 0;
    ut_buf_varint(b, seq);
    ut_buf_varint(b, ts);
    ut_buf_varint(b, threads);
    ut_buf_varint(b, rss);
}

static uint64_t rss_of(const step_t *s) { return s->size * 4096; }

/* A side record's payload for s (MARK or TICK) into b; its tag. */
static int side_payload(ut_buf_t *b, const step_t *s)
{
    if (s->kind == S_MARK) {
        mark_payload(b, s->seq, TS(s->seq), s->tid, s->label);
        return LT_REC_MARK;
    }
    tick_payload(b, s->seq, TS(s->seq), s->size, rss_of(s));
    return LT_REC_TICK;
}

static void feed(lt_replay_t *rp, const lt_rec_t *r)
{
    lt_err_t err = { 0 };
    int rc = lt_replay_record(rp, r, &err);
    ck_assert_msg(rc == 0, "record 0x%02x seq %llu: rc %d (%s)", r->type, (unsigned long long)r->seq, rc, err.msg);
}

static void feed_side(lt_replay_t *rp, int type, const ut_buf_t *b)
{
    lt_rec_t r = { .type = type, .payload = b->p, .len = b->len, .offset = 4096 };
    feed(rp, &r);
}

static void feed_step(lt_replay_t *rp, const step_t *s)
{
    if (s->kind == S_ALLOC || s->kind == S_FREE) {
        lt_rec_t r = { .type = s->kind == S_ALLOC ? LT_REC_ALLOC : LT_REC_FREE, .tid = s->tid, .seq = s->seq,
                       .ts = TS(s->seq), .addr = s->addr, .size = s->size, .stack = s->stack, .fn = LT_FN_MALLOC };
        feed(rp, &r);
        return;
    }
    ut_buf_t b = { 0 };
    int type = side_payload(&b, s);
    feed_side(rp, type, &b);
    ut_buf_free(&b);
}

/* The script fed record by record in order o, with a snapshot at m (or none). */
static lt_replay_t *replay_script(const order_t *o, const lt_moment_t *m)
{
    lt_replay_t *rp = lt_replay_new();
    ck_assert_ptr_nonnull(rp);
    if (m) ck_assert_int_eq(lt_replay_set_moment(rp, m), 0);
    ut_buf_t b = { 0 };
    for (uint32_t id = 0; id < NSTACKS; id++) {
        stack_payload(&b, id);
        feed_side(rp, LT_REC_STACK, &b);
    }
    ut_buf_free(&b);
    for (size_t i = 0; i < NSCRIPT; i++) feed_step(rp, &script[o->seq[i]]);
    lt_replay_finish(rp);
    return rp;
}

/* The script as a trace file, in order o, in two chunks, with END. */
static char *write_script_trace(const char *name, const order_t *o, size_t nsteps)
{
    ut_file_t f = { 0 };
    ut_file_header(&f, LT_FORMAT_MAJOR, LT_FORMAT_MINOR, "format=leaktrace\n");
    lt_enc_t e;
    ut_enc_init(&e);
    ut_buf_t b = { 0 };
    for (uint32_t id = 0; id < NSTACKS; id++) {
        stack_payload(&b, id);
        lt_enc_side(&e, LT_REC_STACK, b.p, b.len);
    }
    uint32_t cur = 0;   /* the thread of the open segment, 0: none */
    for (size_t i = 0; i < nsteps; i++) {
        if (i == nsteps / 2) {
            ut_file_chunk(&f, e.buf, e.len, 0, 1);
            e.len = 0;
            cur = 0;
        }
        const step_t *s = &script[o->seq[i]];
        ut_enc_room(&e, LT_ENC_MAX_RECORD);
        if (s->kind == S_ALLOC || s->kind == S_FREE) {
            if (s->tid != cur) lt_enc_segment(&e, cur = s->tid);
            uint64_t w[UT_RING_MAX_WORDS];
            if (s->kind == S_ALLOC) ut_ring_alloc(w, s->seq, TS(s->seq), s->addr, s->size, s->stack, LT_FN_MALLOC);
            else ut_ring_free(w, s->seq, TS(s->seq), s->addr);
            lt_enc_ring_record(&e, w);
        } else {
            int type = side_payload(&b, s);
            lt_enc_side(&e, (unsigned)type, b.p, b.len);
        }
    }
    b.len = 0;   /* END: how, zz status, ts, next seq, dropped */
    ut_buf_varint(&b, LT_END_EXIT);
    ut_buf_varint(&b, 0);
    ut_buf_varint(&b, TS(NSCRIPT));
    ut_buf_varint(&b, nsteps);
    ut_buf_varint(&b, 0);
    lt_enc_side(&e, LT_REC_END, b.p, b.len);
    ut_file_chunk(&f, e.buf, e.len, LT_CHUNK_F_FINAL, 1);
    char *path = ut_path(tmpdir, name);
    ut_write_file(path, f.b.p, f.b.len);
    ut_buf_free(&b);
    ut_enc_free(&e);
    ut_file_free(&f);
    return path;
}

static const lt_mark_t *mark_by_seq(const lt_replay_t *rp, uint64_t seq)
{
    for (size_t i = 0; i < rp->nmarks; i++)
        if (rp->marks[i].seq == seq) return &rp->marks[i];
    ck_abort_msg("no mark with seq %llu", (unsigned long long)seq);
    return NULL;
}

static lt_moment_t moment_mark(const char *label) { return (lt_moment_t){ LT_MOMENT_MARK, 0, label, 0 }; }
static lt_moment_t moment_time(uint64_t ts) { return (lt_moment_t){ LT_MOMENT_TIME, ts, NULL, 0 }; }
static lt_moment_t moment_seq(uint64_t seq) { return (lt_moment_t){ LT_MOMENT_SEQ, 0, NULL, seq }; }

START_TEST(test_snapshot_at_mark)
{
    for (size_t o = 0; o < NORDERS; o++) {
        char what[96];
        /* "phase" twice (seq 8 and 11): the first by sequence, whichever
         * record arrives first. */
        lt_moment_t m = moment_mark("phase");
        lt_replay_t *rp = replay_script(&orders[o], &m);
        snprintf(what, sizeof what, "%s, mark phase", orders[o].name);
        ck_assert_int_eq(rp->snap.reached, 1);
        ck_assert_uint_eq(rp->snap.seq, 9);          /* after the mark (seq 8) */
        ck_assert_uint_eq(rp->snap.ts, TS(8));
        ck_assert_uint_eq(rp->snap.threads, 3);      /* the tick at seq 6 */
        check_snapshot_before(what, &rp->snap, 8);
        ck_assert_uint_eq(rp->snap.tot.allocations, 5);
        ck_assert_uint_eq(rp->snap.tot.frees, 1);
        ck_assert_uint_eq(rp->snap.tot.bytes_allocated, 1650);
        ck_assert_uint_eq(rp->snap.tot.live_blocks, 4);
        ck_assert_uint_eq(rp->snap.tot.live_bytes, 1550);
        ck_assert_uint_eq(rp->snap.st[0].allocs, 2);
        ck_assert_uint_eq(rp->snap.st[0].frees, 1);
        ck_assert_uint_eq(rp->snap.st[0].live_bytes, 50);
        ck_assert_uint_eq(rp->snap.st[2].live_blocks, 2);
        ck_assert_uint_eq(rp->snap.st[2].live_bytes, 1300);
        /* The replay itself went on to the end. */
        check_replay_before(what, rp, NSCRIPT);
        ck_assert_uint_eq(rp->tot.live_bytes, 367);
        ck_assert_uint_eq(rp->tot.live_blocks, 4);
        ck_assert_uint_eq(rp->seq_gaps, 0);
        lt_replay_free(rp);

        m = moment_mark("start");
        rp = replay_script(&orders[o], &m);
        snprintf(what, sizeof what, "%s, mark start", orders[o].name);
        ck_assert_int_eq(rp->snap.reached, 1);
        ck_assert_uint_eq(rp->snap.seq, 4);
        ck_assert_uint_eq(rp->snap.threads, 0);      /* no tick before it */
        check_snapshot_before(what, &rp->snap, 3);
        ck_assert_uint_eq(rp->snap.tot.live_bytes, 600);
        ck_assert_uint_eq(rp->snap.tot.live_blocks, 3);
        ck_assert_uint_eq(rp->snap.tot.frees, 0);
        lt_replay_free(rp);

        /* An unknown label: no snapshot (lt_replay_file_at makes it an error). */
        m = moment_mark("nope");
        rp = replay_script(&orders[o], &m);
        ck_assert_int_eq(rp->snap.reached, 0);
        ck_assert_ptr_null(rp->snap.st);
        lt_replay_free(rp);
    }
}
END_TEST

START_TEST(test_marks_and_ticks_filled)
{
    for (size_t o = 0; o < NORDERS; o++) {
        lt_replay_t *rp = replay_script(&orders[o], NULL);
        ck_assert_int_eq(rp->snap.reached, 0);
        ck_assert_ptr_null(rp->snap.st);
        ck_assert_uint_eq(rp->nmarks, 3);
        ck_assert_uint_eq(rp->nticks, 2);
        for (size_t i = 0; i < NSCRIPT; i++) {
            const step_t *s = &script[i];
            if (s->kind != S_MARK) continue;
            char what[96];
            snprintf(what, sizeof what, "%s, mark at seq %zu", orders[o].name, i);
            const lt_mark_t *mk = mark_by_seq(rp, s->seq);
            ck_assert_str_eq(mk->label, s->label);
            ck_assert_uint_eq(mk->ts, TS(s->seq));
            ck_assert_uint_eq(mk->tid, s->tid);
            ref_state_t r;
            ref_before(s->seq, &r);
            check_totals(what, &mk->tot, &r.tot);
        }
        ck_assert_uint_eq(mark_by_seq(rp, 3)->tot.live_bytes, 600);
        ck_assert_uint_eq(mark_by_seq(rp, 8)->tot.live_bytes, 1550);
        ck_assert_uint_eq(mark_by_seq(rp, 8)->tot.peak_seq, 7);
        ck_assert_uint_eq(mark_by_seq(rp, 11)->tot.live_bytes, 560);
        ck_assert_uint_eq(mark_by_seq(rp, 11)->tot.allocations, 6);

        /* Ticks keep what the tracer sampled and get the heap replayed to
         * their sequence number. */
        static const struct { uint64_t seq, threads, live_bytes, live_blocks, allocations, bytes_allocated; } want[] = {
            { 6, 3, 550, 3, 4, 650 },
            { 13, 2, 360, 3, 6, 1660 },
        };
        for (size_t i = 0; i < 2; i++) {
            const lt_tick_t *t = &rp->ticks[i];
            ck_assert_uint_eq(t->seq, want[i].seq);
            ck_assert_uint_eq(t->ts, TS(want[i].seq));
            ck_assert_uint_eq(t->threads, want[i].threads);
            ck_assert_uint_eq(t->rss, want[i].threads * 4096);
            ck_assert_uint_eq(t->live_bytes, want[i].live_bytes);
            ck_assert_uint_eq(t->live_blocks, want[i].live_blocks);
            ck_assert_uint_eq(t->allocations, want[i].allocations);
            ck_assert_uint_eq(t->bytes_allocated, want[i].bytes_allocated);
        }
        lt_replay_free(rp);
    }
}
END_TEST

/* replay.h promises rp->marks "in sequence order", and output_profile.c
 * (the marks command) merges marks and ticks assuming it. */
START_TEST(test_marks_listed_in_sequence_order)
{
    for (size_t o = 0; o < NORDERS; o++) {
        lt_replay_t *rp = replay_script(&orders[o], NULL);
        ck_assert_uint_eq(rp->nmarks, 3);
        char seqs[64] = "";
        int sorted = 1;
        for (size_t i = 0; i < rp->nmarks; i++) {
            size_t l = strlen(seqs);
            snprintf(seqs + l, sizeof seqs - l, " %llu", (unsigned long long)rp->marks[i].seq);
            if (i && rp->marks[i - 1].seq >= rp->marks[i].seq) sorted = 0;
        }
        lt_replay_free(rp);
        /* Regression: on_mark appends marks in arrival order; without the
         * sort in lt_replay_finish, orders "thread batches" and "marks
         * first" left rp->marks out of sequence order. */
        ck_assert_msg(sorted, "%s: rp->marks in the order of seq%s, want 3 8 11", orders[o].name, seqs);
    }
}
END_TEST

START_TEST(test_snapshot_at_time)
{
    for (size_t o = 0; o < NORDERS; o++) {
        char what[96];
        snprintf(what, sizeof what, "%s, time", orders[o].name);
        /* Before the first event later than T: T between events 9 and 10,
         * and T equal to event 9's time (which is then included). */
        static const uint64_t ts[] = { TS(9) + 50, TS(9) };
        for (size_t k = 0; k < 2; k++) {
            lt_moment_t m = moment_time(ts[k]);
            lt_replay_t *rp = replay_script(&orders[o], &m);
            ck_assert_int_eq(rp->snap.reached, 1);
            ck_assert_uint_eq(rp->snap.seq, 10);
            ck_assert_uint_eq(rp->snap.ts, ts[k]);
            ck_assert_uint_eq(rp->snap.threads, 3);
            check_snapshot_before(what, &rp->snap, 10);
            ck_assert_uint_eq(rp->snap.tot.live_bytes, 550);
            ck_assert_uint_eq(rp->snap.tot.live_blocks, 3);
            ck_assert_uint_eq(rp->snap.tot.frees, 2);
            lt_replay_free(rp);
        }

        /* Before anything happened. */
        lt_moment_t m = moment_time(TS(0) - 1);
        lt_replay_t *rp = replay_script(&orders[o], &m);
        ck_assert_int_eq(rp->snap.reached, 1);
        ck_assert_uint_eq(rp->snap.seq, 0);
        check_snapshot_before(what, &rp->snap, 0);
        lt_replay_free(rp);

        /* Beyond the end: the end state, not reached. */
        m = moment_time(1000000000000ull);
        rp = replay_script(&orders[o], &m);
        ck_assert_int_eq(rp->snap.reached, 0);
        ck_assert_uint_eq(rp->snap.seq, NSCRIPT);
        ck_assert_uint_eq(rp->snap.ts, 1000000000000ull);
        ck_assert_uint_eq(rp->snap.threads, 2);
        check_snapshot_before(what, &rp->snap, NSCRIPT);
        ck_assert_uint_eq(rp->snap.tot.live_bytes, 367);
        ck_assert_uint_eq(rp->snap.tot.allocations, 7);
        lt_replay_free(rp);
    }
}
END_TEST

START_TEST(test_snapshot_at_seq_peak)
{
    for (size_t o = 0; o < NORDERS; o++) {
        char what[96];
        snprintf(what, sizeof what, "%s, peak", orders[o].name);
        /* As source.c does for @peak: find it, then replay to right after it. */
        lt_replay_t *rp = replay_script(&orders[o], NULL);
        ck_assert_uint_eq(rp->tot.peak_bytes, 1550);
        ck_assert_uint_eq(rp->tot.peak_seq, 7);
        ck_assert_uint_eq(rp->tot.peak_ts, TS(7));
        lt_moment_t m = moment_seq(rp->tot.peak_seq);
        uint64_t peak = rp->tot.peak_bytes;
        lt_replay_free(rp);

        rp = replay_script(&orders[o], &m);
        ck_assert_int_eq(rp->snap.reached, 1);
        ck_assert_uint_eq(rp->snap.seq, 8);
        ck_assert_uint_eq(rp->snap.ts, TS(7));
        ck_assert_uint_eq(rp->snap.tot.live_bytes, peak);
        ck_assert_uint_eq(rp->snap.tot.live_blocks, 4);
        check_snapshot_before(what, &rp->snap, 8);
        lt_replay_free(rp);

        /* After the last event, and beyond the end: the end state. */
        static const uint64_t late[] = { NSCRIPT - 1, 1000 };
        for (size_t k = 0; k < 2; k++) {
            m = moment_seq(late[k]);
            rp = replay_script(&orders[o], &m);
            ck_assert_int_eq(rp->snap.reached, 0);
            ck_assert_uint_eq(rp->snap.seq, NSCRIPT);
            check_snapshot_before(what, &rp->snap, NSCRIPT);
            lt_replay_free(rp);
        }
    }
}
END_TEST

/* How often needle occurs in s. */
static int count_in(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

START_TEST(test_replay_file_at_moments)
{
    for (size_t o = 0; o < NORDERS; o++) {
        char *path = write_script_trace("script.trace", &orders[o], NSCRIPT);
        char what[96];
        snprintf(what, sizeof what, "file, %s", orders[o].name);
        lt_replay_t *rp = NULL;
        lt_err_t err;

        lt_moment_t m = moment_mark("phase");
        ck_assert_msg(lt_replay_file_at(path, &m, &rp, &err) == 0, "%s: %s", what, err.msg);
        ck_assert_int_eq(rp->complete, 1);
        ck_assert_uint_eq(rp->seq_gaps, 0);
        ck_assert_int_eq(rp->snap.reached, 1);
        ck_assert_uint_eq(rp->snap.tot.live_bytes, 1550);
        check_snapshot_before(what, &rp->snap, 8);
        check_replay_before(what, rp, NSCRIPT);
        ck_assert_uint_eq(mark_by_seq(rp, 11)->tot.live_bytes, 560);
        ck_assert_uint_eq(rp->ticks[1].live_bytes, 360);
        lt_replay_free(rp);

        m = moment_time(TS(9) + 50);
        ck_assert_int_eq(lt_replay_file_at(path, &m, &rp, &err), 0);
        ck_assert_int_eq(rp->snap.reached, 1);
        check_snapshot_before(what, &rp->snap, 10);
        lt_replay_free(rp);

        /* The end: no snapshot at all. */
        m = (lt_moment_t){ LT_MOMENT_END, 0, NULL, 0 };
        ck_assert_int_eq(lt_replay_file_at(path, &m, &rp, &err), 0);
        ck_assert_int_eq(rp->snap.reached, 0);
        ck_assert_ptr_null(rp->snap.st);
        lt_replay_free(rp);

        /* An unknown label is a usage error listing the labels, each once. */
        m = moment_mark("nope");
        rp = (lt_replay_t *)&rp;
        ck_assert_int_eq(lt_replay_file_at(path, &m, &rp, &err), -LT_E_USAGE);
        ck_assert_ptr_null(rp);
        ck_assert_int_eq(err.code, LT_E_USAGE);
        ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "\"nope\""), "message: %s", err.msg);
        ck_assert_msg(count_in(err.msg, "\"start\"") == 1 && count_in(err.msg, "\"phase\"") == 1,
                      "the labels once each: %s", err.msg);
        free(path);
    }

    /* A trace without marks says so. */
    char *path = write_script_trace("nomarks.trace", &orders[0], 3);
    lt_moment_t m = moment_mark("x");
    lt_replay_t *rp;
    lt_err_t err;
    ck_assert_int_eq(lt_replay_file_at(path, &m, &rp, &err), -LT_E_USAGE);
    ck_assert_msg(strstr(err.msg, "no marks at all"), "message: %s", err.msg);
    free(path);
}
END_TEST

/* ======================================================================== */
/* Profiles: building blocks shared by the profile, dump and diff tests     */
/* ======================================================================== */

typedef struct fspec {
    const char *fn, *file;
    uint32_t line, mod;
    uint64_t off;
    int inlined;
} fspec_t;

static lt_profile_t *new_profile(void)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Interned copy of s (through a private buffer, so equal contents at
 * different addresses are what gets merged). */
static const char *intern(lt_profile_t *p, const char *s)
{
    if (!s) return NULL;
    char *tmp = strdup(s);
    ck_assert_ptr_nonnull(tmp);
    const char *r = lt_profile_str(p, tmp);
    ck_assert_ptr_nonnull(r);
    free(tmp);
    return r;
}

static lt_pcounts_t counts(uint64_t inuse_space, uint64_t inuse_objects, uint64_t alloc_space, uint64_t alloc_objects)
{
    return (lt_pcounts_t){ alloc_objects, alloc_space, inuse_objects, inuse_space };
}

static void add_site(lt_profile_t *p, lt_pcounts_t c, int truncated, int runtime, const fspec_t *f, size_t n)
{
    lt_pframe_t fr[8];
    ck_assert_uint_le(n, 8);
    for (size_t i = 0; i < n; i++)
        fr[i] = (lt_pframe_t){ intern(p, f[i].fn), intern(p, f[i].file), f[i].line, f[i].mod, f[i].off, f[i].inlined };
    ck_assert_int_eq(lt_profile_add_site(p, &c, n ? fr : NULL, n, truncated, runtime), 0);
}

/* A site with live bytes/blocks (allocated: twice as much) and frames. */
static void add_live(lt_profile_t *p, uint64_t bytes, uint64_t blocks, int runtime, const fspec_t *f, size_t n)
{
    add_site(p, counts(bytes, blocks, 2 * bytes, 2 * blocks), 0, runtime, f, n);
}

static uint32_t add_module(lt_profile_t *p, const char *path, const char *build_id, uint64_t base)
{
    lt_pmodule_t m = { .path = path, .base = base, .start = base + 0x1000, .limit = base + 0x9000, .file_offset = 0 };
    snprintf(m.build_id, sizeof m.build_id, "%s", build_id);
    uint32_t i = lt_profile_add_module(p, &m);
    ck_assert_uint_ne(i, LT_PMOD_NONE);
    return i;
}

/* The first frame's function, "+0xOFF" when unknown, "(no stack)". */
static const char *site_name(const lt_psite_t *s, char *buf, size_t n)
{
    if (!s->nframes) return "(no stack)";
    if (s->frames[0].function) return s->frames[0].function;
    snprintf(buf, n, "+0x%llx", (unsigned long long)s->frames[0].offset);
    return buf;
}

/* ======================================================================== */
/* 2. Profiles                                                              */
/* ======================================================================== */

START_TEST(test_profile_interning)
{
    lt_profile_t *p = new_profile();
    char a[] = "main", b[] = "main";
    const char *x = lt_profile_str(p, a), *y = lt_profile_str(p, b);
    ck_assert_ptr_eq(x, y);
    ck_assert_ptr_ne(x, a);
    ck_assert_str_eq(x, "main");
    ck_assert_ptr_ne(lt_profile_str(p, "mainx"), x);
    ck_assert_ptr_null(lt_profile_str(p, NULL));
    ck_assert_str_eq(lt_profile_str(p, ""), "");
    /* Enough strings to grow the table several times; the old ones stay put. */
    const char *first[3000];
    char buf[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(buf, sizeof buf, "fn_%d", i);
        first[i] = lt_profile_str(p, buf);
        ck_assert_ptr_nonnull(first[i]);
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(buf, sizeof buf, "fn_%d", i);
        ck_assert_ptr_eq(lt_profile_str(p, buf), first[i]);
        ck_assert_str_eq(first[i], buf);
    }
    ck_assert_ptr_eq(lt_profile_str(p, "main"), x);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_profile_site_merging)
{
    lt_profile_t *p = new_profile();
    uint32_t m0 = add_module(p, "/usr/bin/app", "", 0x555500000000), m1 = add_module(p, "/lib/libc.so.6", "", 0x7f0000000000);
    const fspec_t x[] = { { "foo", "a.c", 10, m0, 0x10, 0 }, { "main", "m.c", 3, m0, 0x20, 0 } };
    /* Frames with a function compare by function, file, line, module and
     * inlined: the offset (a different call instruction on the same line)
     * does not keep them apart. */
    const fspec_t x_other_off[] = { { "foo", "a.c", 10, m0, 0x14, 0 }, { "main", "m.c", 3, m0, 0x28, 0 } };
    const fspec_t y_line[] = { { "foo", "a.c", 11, m0, 0x10, 0 }, { "main", "m.c", 3, m0, 0x20, 0 } };
    const fspec_t z_module[] = { { "foo", "a.c", 10, m0, 0x10, 0 }, { "main", "m.c", 3, m1, 0x20, 0 } };
    const fspec_t w_inlined[] = { { "foo", "a.c", 10, m0, 0x10, 1 }, { "main", "m.c", 3, m0, 0x20, 0 } };
    const fspec_t u1[] = { { NULL, NULL, 0, m1, 0x100, 0 } }, u2[] = { { NULL, NULL, 0, m1, 0x200, 0 } };

    add_site(p, counts(100, 1, 1000, 10), 0, 0, x, 2);
    add_site(p, counts(1, 1, 1, 1), 0, 0, y_line, 2);
    add_site(p, counts(2, 1, 2, 1), 0, 0, z_module, 2);
    add_site(p, counts(3, 1, 3, 1), 0, 0, w_inlined, 2);
    add_site(p, counts(40, 4, 40, 4), 0, 0, u1, 1);
    add_site(p, counts(50, 5, 50, 5), 0, 0, u2, 1);
    add_site(p, counts(4, 1, 4, 1), 0, 0, x, 1);            /* a prefix: another stack */
    add_site(p, counts(7, 1, 7, 1), 0, 1, NULL, 0);         /* no stack */
    add_site(p, counts(5, 2, 6, 3), 1, 0, x_other_off, 2);  /* merges into x */
    add_site(p, counts(60, 6, 60, 6), 0, 0, u1, 1);         /* merges into u1 */
    add_site(p, counts(8, 1, 8, 1), 0, 1, NULL, 0);         /* merges into no stack */
    ck_assert_uint_eq(p->nsites, 8);
    lt_profile_finish(p);

    /* Largest inuse_space first. */
    static const struct { const char *name; uint64_t inuse, inuse_n, alloc, alloc_n; int truncated; size_t nframes; } want[] = {
        { "foo", 105, 3, 1006, 13, 1, 2 },      /* x, merged: truncated once is truncated */
        { "+0x100", 100, 10, 100, 10, 0, 1 },   /* u1, merged */
        { "+0x200", 50, 5, 50, 5, 0, 1 },       /* u2 */
        { "(no stack)", 15, 2, 15, 2, 0, 0 },   /* merged */
        { "foo", 4, 1, 4, 1, 0, 1 },            /* x's prefix */
        { "foo", 3, 1, 3, 1, 0, 2 },            /* w_inlined */
        { "foo", 2, 1, 2, 1, 0, 2 },            /* z_module */
        { "foo", 1, 1, 1, 1, 0, 2 },            /* y_line */
    };
    char buf[32];
    for (size_t i = 0; i < 8; i++) {
        const lt_psite_t *s = &p->sites[i];
        ck_assert_str_eq(site_name(s, buf, sizeof buf), want[i].name);
        ck_assert_uint_eq(s->c.inuse_space, want[i].inuse);
        ck_assert_uint_eq(s->c.inuse_objects, want[i].inuse_n);
        ck_assert_uint_eq(s->c.alloc_space, want[i].alloc);
        ck_assert_uint_eq(s->c.alloc_objects, want[i].alloc_n);
        ck_assert_int_eq(s->truncated, want[i].truncated);
        ck_assert_uint_eq(s->nframes, want[i].nframes);
    }
    /* The merged frames are the first ones added; the one-off inlined and
     * line variants kept theirs. */
    ck_assert_uint_eq(p->sites[0].frames[0].offset, 0x10);
    ck_assert_uint_eq(p->sites[5].frames[0].inlined, 1);
    ck_assert_uint_eq(p->sites[6].frames[1].module, m1);
    ck_assert_uint_eq(p->sites[7].frames[0].line, 11);
    ck_assert_int_eq(p->sites[3].runtime, 1);
    ck_assert_uint_eq(p->total.inuse_space, 105 + 100 + 50 + 15 + 4 + 3 + 2 + 1);
    ck_assert_uint_eq(p->total.inuse_objects, 3 + 10 + 5 + 2 + 1 + 1 + 1 + 1);
    ck_assert_uint_eq(p->total.alloc_space, 1006 + 100 + 50 + 15 + 4 + 3 + 2 + 1);
    ck_assert_uint_eq(p->total.alloc_objects, 13 + 10 + 5 + 2 + 1 + 1 + 1 + 1);

    /* Adding after finish still merges (into the sorted position). */
    add_site(p, counts(1000, 1, 1000, 1), 0, 0, u2, 1);
    ck_assert_uint_eq(p->nsites, 8);
    lt_profile_finish(p);
    ck_assert_str_eq(site_name(&p->sites[0], buf, sizeof buf), "+0x200");
    ck_assert_uint_eq(p->sites[0].c.inuse_space, 1050);
    ck_assert_uint_eq(p->total.inuse_space, 280 + 1000);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_profile_sort_ties_and_many_sites)
{
    lt_profile_t *p = new_profile();
    uint32_t m = add_module(p, "app", "", 0);
    /* 1000 distinct unknown frames, each added twice. inuse_space repeats
     * every 10 sites; ties are broken by alloc_space, then alloc_objects. */
    for (int round = 0; round < 2; round++)
        for (uint64_t i = 0; i < 1000; i++) {
            fspec_t f = { NULL, NULL, 0, m, 0x1000 + i, 0 };
            add_site(p, counts(i % 10, 1, i / 10, i % 3), 0, 0, &f, 1);
        }
    ck_assert_uint_eq(p->nsites, 1000);
    lt_profile_finish(p);
    uint64_t sum = 0;
    for (size_t k = 0; k < p->nsites; k++) {
        const lt_psite_t *s = &p->sites[k];
        uint64_t i = s->frames[0].offset - 0x1000;
        ck_assert_uint_eq(s->c.inuse_space, 2 * (i % 10));
        ck_assert_uint_eq(s->c.inuse_objects, 2);
        ck_assert_uint_eq(s->c.alloc_space, 2 * (i / 10));
        sum += s->c.inuse_space;
        if (k == 0) continue;
        const lt_pcounts_t *a = &p->sites[k - 1].c, *b = &s->c;
        ck_assert_msg(a->inuse_space > b->inuse_space ||
                          (a->inuse_space == b->inuse_space && (a->alloc_space > b->alloc_space ||
                                                                (a->alloc_space == b->alloc_space && a->alloc_objects >= b->alloc_objects))),
                      "site %zu out of order", k);
    }
    ck_assert_uint_eq(sum, 2 * 100 * 45);
    ck_assert_uint_eq(p->total.inuse_space, 9000);
    ck_assert_uint_eq(p->total.inuse_objects, 2000);
    ck_assert_uint_eq(p->sites[0].c.inuse_space, 18);
    ck_assert_uint_eq(p->sites[0].c.alloc_space, 2 * 99);   /* i = 999 */
    lt_profile_free(p);
}
END_TEST

START_TEST(test_profile_module_name)
{
    lt_profile_t *p = new_profile();
    add_module(p, "/usr/lib/x86_64-linux-gnu/libfoo.so.1", "", 0);
    add_module(p, "bare", "", 0);
    add_module(p, "/dir/", "", 0);
    ck_assert_str_eq(lt_profile_module_name(p, 0), "libfoo.so.1");
    ck_assert_str_eq(lt_profile_module_name(p, 1), "bare");
    ck_assert_str_eq(lt_profile_module_name(p, 2), "");
    ck_assert_str_eq(lt_profile_module_name(p, LT_PMOD_NONE), "");
    ck_assert_str_eq(lt_profile_module_name(p, 3), "");
    lt_profile_free(p);
}
END_TEST

/* ======================================================================== */
/* 3. Dumps                                                                 */
/* ======================================================================== */

static const char BUILD_ID_128[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

/* A profile with every field set and the awkward strings. */
static lt_profile_t *rich_profile(int moment)
{
    lt_profile_t *p = new_profile();
    p->pid = -7;
    p->exe = intern(p, "/opt/my app/bin\\x\tq");
    p->cmdline = intern(p, "app --name=\"quoted\" --tab=\t --nl=\n --cr=\r \x01\x7f end \xc3\xbc\xe2\x82\xac\xf0\x9d\x84\x9e");
    p->start_realtime_ns = INT64_MIN;
    p->moment = moment;
    p->mark = moment == LT_MOMENT_MARK ? intern(p, "phase \"1\" \\ \t \xe2\x88\x91 \\n") : NULL;
    p->ts_ns = UINT64_MAX;
    p->complete = 1;
    p->threads = 7;
    uint32_t m0 = add_module(p, "/usr/lib/libfoo.so.1", "00ff13", 0x7f0000000000);
    uint32_t m1 = add_module(p, "/opt/with\\back\\slash/\xc3\xbc.so", "", 0);
    uint32_t m2 = add_module(p, "/tmp/new\nline\ttab.so", BUILD_ID_128, 0x400000);
    p->modules[m0].file_offset = 0x1000;
    p->modules[m2].start = 0;
    p->modules[m2].limit = UINT64_MAX;
    const fspec_t a[] = {
        { "ns::Foo<int>::bar(char const*) const", "/src/dir with space/foo.cc", 42, m0, 0x1234, 1 },
        { "main", "/src/main \"q\".c", 7, m1, 0x10, 0 },
        { NULL, NULL, 0, LT_PMOD_NONE, 0xdeadbeefcafe, 0 },
        { "f\tg\nh\\i\r", "C:\\win\\path.c", UINT32_MAX, m2, UINT64_MAX, 0 },
        { "trailing\\", "\\", 1, m2, 0, 0 },
        { "\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9_\xce\xbb", NULL, 0, m0, 1, 0 },
    };
    add_site(p, counts(300, 3, 0xFFFFFFFF00000000ull, 10), 1, 0, a, 6);
    add_site(p, counts(32, 1, 64, 2), 0, 1, NULL, 0);
    add_site(p, counts(1, 1, 1, 1), 0, 0, a + 2, 1);
    add_site(p, counts(0, 0, 5, 5), 0, 0, a + 3, 2);
    lt_profile_finish(p);
    return p;
}

static void check_str(const char *what, const char *got, const char *want)
{
    if (!want) ck_assert_msg(got == NULL, "%s: \"%s\", want NULL", what, got);
    else ck_assert_msg(got && strcmp(got, want) == 0, "%s: \"%s\", want \"%s\"", what, got ? got : "(NULL)", want);
}

static void check_counts(const char *what, const lt_pcounts_t *got, const lt_pcounts_t *want)
{
    CHECK_FIELD(what, "inuse_space", got->inuse_space, want->inuse_space);
    CHECK_FIELD(what, "inuse_objects", got->inuse_objects, want->inuse_objects);
    CHECK_FIELD(what, "alloc_space", got->alloc_space, want->alloc_space);
    CHECK_FIELD(what, "alloc_objects", got->alloc_objects, want->alloc_objects);
}

/* Every field of got equals want's. */
static void check_profiles_equal(const char *how, const lt_profile_t *got, const lt_profile_t *want)
{
    char w[128];
    CHECK_FIELD(how, "pid", got->pid, want->pid);
    snprintf(w, sizeof w, "%s, exe", how);
    check_str(w, got->exe, want->exe);
    snprintf(w, sizeof w, "%s, cmdline", how);
    check_str(w, got->cmdline, want->cmdline);
    CHECK_FIELD(how, "start_realtime_ns", got->start_realtime_ns, want->start_realtime_ns);
    CHECK_FIELD(how, "moment", got->moment, want->moment);
    snprintf(w, sizeof w, "%s, mark", how);
    check_str(w, got->mark, want->mark);
    CHECK_FIELD(how, "ts_ns", got->ts_ns, want->ts_ns);
    CHECK_FIELD(how, "complete", got->complete, want->complete);
    CHECK_FIELD(how, "threads", got->threads, want->threads);
    check_counts(how, &got->total, &want->total);
    CHECK_FIELD(how, "nmodules", got->nmodules, want->nmodules);
    for (size_t i = 0; i < want->nmodules; i++) {
        const lt_pmodule_t *a = &got->modules[i], *b = &want->modules[i];
        snprintf(w, sizeof w, "%s, module %zu", how, i);
        check_str(w, a->path, b->path);
        check_str(w, a->build_id, b->build_id);
        CHECK_FIELD(w, "base", a->base, b->base);
        CHECK_FIELD(w, "start", a->start, b->start);
        CHECK_FIELD(w, "limit", a->limit, b->limit);
        CHECK_FIELD(w, "file_offset", a->file_offset, b->file_offset);
    }
    CHECK_FIELD(how, "nsites", got->nsites, want->nsites);
    for (size_t i = 0; i < want->nsites; i++) {
        const lt_psite_t *a = &got->sites[i], *b = &want->sites[i];
        snprintf(w, sizeof w, "%s, site %zu", how, i);
        check_counts(w, &a->c, &b->c);
        CHECK_FIELD(w, "truncated", a->truncated, b->truncated);
        CHECK_FIELD(w, "runtime", a->runtime, b->runtime);
        CHECK_FIELD(w, "nframes", a->nframes, b->nframes);
        for (size_t k = 0; k < b->nframes; k++) {
            const lt_pframe_t *x = &a->frames[k], *y = &b->frames[k];
            snprintf(w, sizeof w, "%s, site %zu frame %zu", how, i, k);
            check_str(w, x->function, y->function);
            check_str(w, x->file, y->file);
            CHECK_FIELD(w, "line", x->line, y->line);
            CHECK_FIELD(w, "module", x->module, y->module);
            CHECK_FIELD(w, "offset", x->offset, y->offset);
            CHECK_FIELD(w, "inlined", x->inlined, y->inlined);
        }
    }
}

/* p written to memory, text or JSON. */
static char *dump_to_mem(const lt_profile_t *p, int json, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(json ? lt_dump_write_json(p, m) : lt_dump_write_text(p, m), 0);
    ck_assert_int_eq(fclose(m), 0);
    *len = n;
    return buf;
}

#define DUMP_NAME "profile.dump"

/* Reads bytes as a dump file. */
static int read_dump_bytes(const void *bytes, size_t len, lt_profile_t **out, lt_err_t *err)
{
    char *path = ut_path(tmpdir, DUMP_NAME);
    ut_write_file(path, bytes, len);
    memset(err, 0, sizeof *err);
    *out = (lt_profile_t *)&path;   /* must be reset on failure */
    int rc = lt_dump_read(path, out, err);
    free(path);
    return rc;
}

/* p written (text or JSON) and read back into *q; the read's rc. */
static int read_back(const lt_profile_t *p, int json, lt_profile_t **q, lt_err_t *err)
{
    size_t len;
    char *buf = dump_to_mem(p, json, &len);
    int sniffed = lt_dump_sniff(buf, len);
    int rc = read_dump_bytes(buf, len, q, err);
    free(buf);
    ck_assert_int_eq(sniffed, json ? 2 : 1);
    return rc;
}

static void round_trip(const char *how, const lt_profile_t *p, int json)
{
    lt_profile_t *q;
    lt_err_t err;
    int rc = read_back(p, json, &q, &err);
    ck_assert_msg(rc == 0, "%s: read back: %s", how, err.msg);
    check_profiles_equal(how, q, p);
    lt_profile_free(q);
}

START_TEST(test_dump_round_trip)
{
    static const char *names[] = { "end", "time", "mark", "peak", "seq" };
    for (int moment = LT_MOMENT_END; moment <= LT_MOMENT_SEQ; moment++) {
        lt_profile_t *p = rich_profile(moment);
        ck_assert_uint_eq(p->nsites, 4);
        ck_assert_uint_eq(p->sites[1].nframes, 0);
        for (int json = 0; json <= 1; json++) {
            char how[64];
            snprintf(how, sizeof how, "%s dump at %s", json ? "JSON" : "text", names[moment]);
            round_trip(how, p, json);
        }
        lt_profile_free(p);
    }
    /* Nothing at all. */
    lt_profile_t *p = new_profile();
    lt_profile_finish(p);
    round_trip("empty text dump", p, 0);
    round_trip("empty JSON dump", p, 1);
    lt_profile_free(p);
}
END_TEST

/* The text dump's header comment ("# heap of EXE (pid N) at MOMENT: ...")
 * must not let a mark label break out of the comment line. */
START_TEST(test_dump_text_mark_with_newline)
{
    lt_profile_t *p = rich_profile(LT_MOMENT_MARK);
    p->mark = intern(p, "one\nend\t1");
    /* Regression: lt_dump_write_text once printed lt_dump_moment_text()
     * unescaped into the "# heap of" comment, so "\nend\t1" became a line
     * of its own and the dump did not read back (LT_E_CORRUPT "line 3:
     * malformed end line"). */
    round_trip("JSON dump with a newline in the mark", p, 1);
    lt_profile_t *q;
    lt_err_t err;
    int rc = read_back(p, 0, &q, &err);
    if (rc == 0) {
        check_profiles_equal("text dump with a newline in the mark", q, p);
        lt_profile_free(q);
    }
    lt_profile_free(p);
    ck_assert_msg(rc == 0, "text dump with a newline in the mark: read back: %s", err.msg);
}
END_TEST

START_TEST(test_dump_sniff)
{
    ck_assert_int_eq(lt_dump_sniff("leaktrace-heapdump 1\n", 21), 1);
    ck_assert_int_eq(lt_dump_sniff("leaktrace-heapdump", 18), 1);
    ck_assert_int_eq(lt_dump_sniff("leaktrace-heapdump", 17), 0);       /* too short to tell */
    ck_assert_int_eq(lt_dump_sniff("leaktrace-heapdum", 17), 0);
    static const char json[] = " \n\t{\"format\": \"leaktrace-heapdump\", \"version\": 1}";
    ck_assert_int_eq(lt_dump_sniff(json, sizeof json - 1), 2);
    ck_assert_int_eq(lt_dump_sniff(json, 20), 0);                       /* cut before the value */
    static const char json_late[] = "{\"x\": \"leaktrace-heapdump\", \"format\": \"other\"}";
    ck_assert_int_eq(lt_dump_sniff(json_late, sizeof json_late - 1), 0);
    static const char trace[] = LT_FILE_MAGIC "\x01\x00";
    ck_assert_int_eq(lt_dump_sniff(trace, sizeof trace - 1), 0);
    ck_assert_int_eq(lt_dump_sniff("", 0), 0);
    ck_assert_int_eq(lt_dump_sniff("{}", 2), 0);
    ck_assert_int_eq(lt_dump_sniff("[\"format\", \"leaktrace-heapdump\"]", 32), 0);
    ut_rng_t r;
    ut_rng_seed(&r, 42);
    char garbage[512];
    for (int k = 0; k < 100; k++) {
        for (size_t i = 0; i < sizeof garbage; i++) garbage[i] = (char)ut_rng_below(&r, 256);
        if (garbage[0] == '{' || garbage[0] == 'l') garbage[0] = 'x';
        ck_assert_int_eq(lt_dump_sniff(garbage, sizeof garbage), 0);
    }
}
END_TEST

/* Reading bytes fails with code and a message naming the file and holding
 * needle (when not NULL). */
static void expect_read_error(const char *what, const void *bytes, size_t len, int code, const char *needle)
{
    lt_profile_t *q;
    lt_err_t err;
    int rc = read_dump_bytes(bytes, len, &q, &err);
    ck_assert_msg(rc == -code, "%s: rc %d, want %d (%s)", what, rc, -code, err.msg);
    ck_assert_ptr_null(q);
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(strstr(err.msg, DUMP_NAME), "%s: the message names the file: %s", what, err.msg);
    if (needle) ck_assert_msg(strstr(err.msg, needle), "%s: \"%s\" not in the message: %s", what, needle, err.msg);
}

/* A small valid text dump; line numbers as in the comments. */
#define TXT_HEAD "leaktrace-heapdump 1\n"                  /* 1 */ \
                 "pid\t1\n"                                /* 2 */ \
                 "exe\t/bin/x\n"                           /* 3 */ \
                 "moment\tend\n"                           /* 4 */ \
                 "module\t0\t\t0x0\t0x0\t0x0\t0x0\t/bin/x\n" /* 5 */
#define TXT_SITE2 "site\t100\t1\t100\t1\t0\t0\t2\n"         /* 6 */ \
                  "frame\t0\t0x10\t3\t0\tmain\tm.c\n"       /* 7 */ \
                  "frame\t-1\t0x20\t0\t0\t\t\n"             /* 8 */

START_TEST(test_dump_text_small_valid)
{
    static const char txt[] = TXT_HEAD TXT_SITE2 "end\t1\n";
    lt_profile_t *q;
    lt_err_t err;
    ck_assert_msg(read_dump_bytes(txt, sizeof txt - 1, &q, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(q->nsites, 1);
    ck_assert_uint_eq(q->nmodules, 1);
    ck_assert_str_eq(q->exe, "/bin/x");
    ck_assert_str_eq(q->cmdline, "");
    ck_assert_ptr_null(q->mark);
    ck_assert_uint_eq(q->sites[0].nframes, 2);
    ck_assert_str_eq(q->sites[0].frames[0].function, "main");
    ck_assert_uint_eq(q->sites[0].frames[0].offset, 0x10);
    ck_assert_ptr_null(q->sites[0].frames[1].function);
    ck_assert_ptr_null(q->sites[0].frames[1].file);
    ck_assert_uint_eq(q->sites[0].frames[1].module, LT_PMOD_NONE);
    ck_assert_uint_eq(q->total.inuse_space, 100);
    lt_profile_free(q);
}
END_TEST

START_TEST(test_dump_text_malformed)
{
    static const struct { const char *what, *text; int code; const char *needle; } cases[] = {
        { "bad module index", TXT_HEAD "site\t100\t1\t100\t1\t0\t0\t1\nframe\t1\t0x10\t3\t0\tmain\tm.c\nend\t1\n",
          LT_E_CORRUPT, "line 7: malformed frame line" },
        { "module index below -1", TXT_HEAD "site\t100\t1\t100\t1\t0\t0\t1\nframe\t-2\t0x10\t3\t0\tmain\tm.c\nend\t1\n",
          LT_E_CORRUPT, "line 7: malformed frame line" },
        { "3 frames announced, 2 given, then end", TXT_HEAD "site\t100\t1\t100\t1\t0\t0\t3\n"
          "frame\t0\t0x10\t3\t0\tmain\tm.c\nframe\t-1\t0x20\t0\t0\t\t\nend\t1\n",
          LT_E_CORRUPT, "line 9: site has 2 of its 3 frames" },
        { "3 frames announced, 2 given, then a site", TXT_HEAD "site\t100\t1\t100\t1\t0\t0\t3\n"
          "frame\t0\t0x10\t3\t0\tmain\tm.c\nframe\t-1\t0x20\t0\t0\t\t\n" "site\t1\t1\t1\t1\t0\t0\t0\nend\t2\n",
          LT_E_CORRUPT, "line 9: site has 2 of its 3 frames" },
        { "3 frames announced, 2 given, then nothing", TXT_HEAD "site\t100\t1\t100\t1\t0\t0\t3\n"
          "frame\t0\t0x10\t3\t0\tmain\tm.c\nframe\t-1\t0x20\t0\t0\t\t\n",
          LT_E_CORRUPT, "2 of 3 frames" },
        { "a frame outside a site", TXT_HEAD "frame\t0\t0x10\t3\t0\tmain\tm.c\nend\t0\n", LT_E_CORRUPT, "line 6:" },
        { "module out of sequence", TXT_HEAD "module\t2\t\t0x0\t0x0\t0x0\t0x0\t/bin/y\nend\t0\n", LT_E_CORRUPT,
          "line 6: malformed module line" },
        { "site with a bad number", TXT_HEAD "site\t1x\t1\t100\t1\t0\t0\t0\nend\t1\n", LT_E_CORRUPT,
          "line 6: malformed site line" },
        { "unknown moment", TXT_HEAD "moment\tlater\nend\t0\n", LT_E_CORRUPT, "line 6: unknown moment 'later'" },
        { "data after the end", TXT_HEAD TXT_SITE2 "end\t1\npid\t2\n", LT_E_CORRUPT, "line 10: data after the end line" },
        { "version 2", "leaktrace-heapdump 2\npid\t1\nend\t0\n", LT_E_FORMAT, "version 2 is not supported" },
        { "magic with another suffix", "leaktrace-heapdumps 1\nend\t0\n", LT_E_FORMAT, "not a leaktrace heap dump" },
        { "not a dump", "hello world\nend\t0\n", LT_E_FORMAT, "neither a leaktrace trace nor a heap dump" },
        { "empty file", "", LT_E_FORMAT, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_read_error(cases[i].what, cases[i].text, strlen(cases[i].text), cases[i].code, cases[i].needle);

    /* A trace file is no dump either. */
    static const char trace[] = LT_FILE_MAGIC "\x01\x00\x01\x00\x00\x00\x00\x00";
    expect_read_error("a trace", trace, sizeof trace - 1, LT_E_FORMAT, NULL);
    /* A missing file. */
    lt_profile_t *q;
    lt_err_t err;
    char *path = ut_path(tmpdir, "missing.dump");
    ck_assert_int_eq(lt_dump_read(path, &q, &err), -LT_E_IO);
    ck_assert_ptr_null(q);
    free(path);
}
END_TEST

/* Blank lines are allowed in a text dump (the reader skips them); error
 * messages must still name the line of the file. */
START_TEST(test_dump_text_line_numbers_count_blank_lines)
{
    static const char txt[] = TXT_HEAD "\n\n" "site\t100\t1\t100\t1\t0\t0\t1\nframe\t1\t0x10\t3\t0\tmain\tm.c\nend\t1\n";
    /* Regression: read_text once split lines with strtok_r(buf, "\n"),
     * which skips empty lines, and reported this bad frame on line 9 as
     * "line 7". */
    expect_read_error("bad frame after blank lines", txt, sizeof txt - 1, LT_E_CORRUPT, "line 9: malformed frame line");
}
END_TEST

/* Each prefix of a valid dump that ends before its "end" line. */
START_TEST(test_dump_text_cut_short)
{
    lt_profile_t *p = rich_profile(LT_MOMENT_MARK);
    size_t len;
    char *buf = dump_to_mem(p, 0, &len);
    char *end = strstr(buf, "\nend\t");
    ck_assert_ptr_nonnull(end);
    size_t cuts = 0;
    for (size_t i = 0; buf + i <= end; i++) {
        if (buf[i] != '\n') continue;
        char what[64];
        snprintf(what, sizeof what, "cut after byte %zu", i);
        expect_read_error(what, buf, i + 1, LT_E_CORRUPT, "cut short");
        cuts++;
    }
    ck_assert_uint_ge(cuts, 20);
    expect_read_error("cut before anything", buf, 0, LT_E_FORMAT, NULL);
    free(buf);
    lt_profile_free(p);
}
END_TEST

/* A small valid JSON dump, with pieces to swap. */
#define JSON_FRAME0 "{\"function\":\"main\",\"file\":\"m.c\",\"line\":3,\"module\":\"/bin/x\",\"module_index\":0,\"offset\":16,\"inlined\":false}"
#define JSON_FRAME1(mi) "{\"function\":null,\"file\":null,\"line\":null,\"module\":null,\"module_index\":" mi ",\"offset\":32,\"inlined\":false}"
#define JSON_SITES(mi) "[{\"inuse_bytes\":100,\"inuse_blocks\":1,\"alloc_bytes\":100,\"alloc_blocks\":1,\"truncated\":false,\"runtime\":false," \
                       "\"stack\":[" JSON_FRAME0 "," JSON_FRAME1(mi) "]}]"
#define JSON_DUMP(fmt, ver, exe, sites)                                                                        \
    "{\"format\":" fmt ",\"version\":" ver ",\n"                                                               \
    "\"process\":{\"pid\":1,\"exe\":" exe ",\"cmdline\":\"x\",\"start_realtime_ns\":0},\n"                     \
    "\"moment\":{\"kind\":\"end\",\"mark\":null,\"ts_ns\":0,\"complete\":true,\"threads\":0},\n"               \
    "\"modules\":[{\"path\":\"/bin/x\",\"build_id\":\"\",\"base\":0,\"start\":0,\"limit\":0,\"file_offset\":0}],\n" \
    "\"sites\":" sites "}\n"
#define MAGIC_Q "\"leaktrace-heapdump\""

START_TEST(test_dump_json_small_and_malformed)
{
    static const char ok[] = JSON_DUMP(MAGIC_Q, "1", "\"/bin/x\"", JSON_SITES("null"));
    lt_profile_t *q;
    lt_err_t err;
    ck_assert_msg(read_dump_bytes(ok, sizeof ok - 1, &q, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(q->nsites, 1);
    ck_assert_uint_eq(q->sites[0].nframes, 2);
    ck_assert_uint_eq(q->sites[0].frames[0].module, 0);
    ck_assert_uint_eq(q->sites[0].frames[0].line, 3);
    ck_assert_uint_eq(q->sites[0].frames[1].module, LT_PMOD_NONE);
    ck_assert_uint_eq(q->sites[0].frames[1].offset, 32);
    ck_assert_ptr_null(q->sites[0].frames[1].function);
    ck_assert_int_eq(q->complete, 1);
    lt_profile_free(q);

    static const struct { const char *what, *text; int code; const char *needle; } cases[] = {
        /* The magic elsewhere gets it past lt_dump_sniff to the reader's check. */
        { "wrong format field", JSON_DUMP("\"other\"", "1", MAGIC_Q, JSON_SITES("null")), LT_E_FORMAT,
          "is not a leaktrace heap dump" },
        { "wrong format field, no magic", JSON_DUMP("\"other\"", "1", "\"/bin/x\"", JSON_SITES("null")), LT_E_FORMAT,
          "neither a leaktrace trace nor a heap dump" },
        { "version 2", JSON_DUMP(MAGIC_Q, "2", "\"/bin/x\"", JSON_SITES("null")), LT_E_FORMAT, "version" },
        { "sites not an array", JSON_DUMP(MAGIC_Q, "1", "\"/bin/x\"", "{}"), LT_E_CORRUPT, "\"sites\" arrays" },
        { "module_index out of range", JSON_DUMP(MAGIC_Q, "1", "\"/bin/x\"", JSON_SITES("1")), LT_E_CORRUPT,
          "site 0 frame 1 is malformed" },
        { "module_index negative", JSON_DUMP(MAGIC_Q, "1", "\"/bin/x\"", JSON_SITES("-1")), LT_E_CORRUPT,
          "site 0 frame 1 is malformed" },
        { "module_index a string", JSON_DUMP(MAGIC_Q, "1", "\"/bin/x\"", JSON_SITES("\"0\"")), LT_E_CORRUPT,
          "site 0 frame 1 is malformed" },
        { "syntax error", JSON_DUMP(MAGIC_Q, "1", "\"/bin/x\"", "[}"), LT_E_CORRUPT, "line 5," },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_read_error(cases[i].what, cases[i].text, strlen(cases[i].text), cases[i].code, cases[i].needle);

    /* Every prefix of a valid JSON dump (not ending in its final newline). */
    size_t n = sizeof ok - 1;
    for (size_t cut = 40; cut < n - 1; cut++) {
        char what[64];
        snprintf(what, sizeof what, "JSON cut at byte %zu", cut);
        expect_read_error(what, ok, cut, LT_E_CORRUPT, NULL);
    }
}
END_TEST

/* A dump that read successfully must be safe to use: every frame's module
 * is a valid index or LT_PMOD_NONE, every string is there. */
static void check_profile_sane(const lt_profile_t *p)
{
    ck_assert_ptr_nonnull(p->exe);
    ck_assert_ptr_nonnull(p->cmdline);
    lt_pcounts_t t = { 0 };
    for (size_t i = 0; i < p->nmodules; i++) ck_assert_ptr_nonnull(p->modules[i].path);
    for (size_t i = 0; i < p->nsites; i++) {
        const lt_psite_t *s = &p->sites[i];
        ck_assert(s->nframes == 0 || s->frames != NULL);
        for (size_t k = 0; k < s->nframes; k++)
            ck_assert(s->frames[k].module == LT_PMOD_NONE || s->frames[k].module < p->nmodules);
        t.inuse_space += s->c.inuse_space;
        t.alloc_objects += s->c.alloc_objects;
    }
    ck_assert_uint_eq(t.inuse_space, p->total.inuse_space);
    ck_assert_uint_eq(t.alloc_objects, p->total.alloc_objects);
}

/* iters random mutations of valid[0..len) (flip a bit, delete, duplicate,
 * or overwrite with a structural byte; 1 to 4 per try): lt_dump_read never
 * crashes, and either succeeds with a sane profile or fails with a
 * negative LT_E_* code. */
static void mutation_loop(const char *valid, size_t len, uint64_t seed, int iters)
{
    static const char structural[] = "\t\n\\-0x9{}[]\":,#e";
    ut_rng_t r;
    ut_rng_seed(&r, seed);
    char *buf = malloc(2 * len + 8);
    ck_assert_ptr_nonnull(buf);
    int ok = 0, failed = 0;
    for (int it = 0; it < iters; it++) {
        size_t n = len;
        memcpy(buf, valid, len);
        int nmut = 1 + (int)ut_rng_below(&r, 4);
        for (int k = 0; k < nmut && n > 0; k++) {
            size_t at = (size_t)ut_rng_below(&r, n);
            switch (ut_rng_below(&r, 4)) {
            case 0: buf[at] = (char)(buf[at] ^ (1 << ut_rng_below(&r, 8))); break;
            case 1: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
            case 2: memmove(buf + at + 1, buf + at, n - at); n++; break;
            default: buf[at] = structural[ut_rng_below(&r, sizeof structural - 1)]; break;
            }
        }
        lt_profile_t *q;
        lt_err_t err;
        int rc = read_dump_bytes(buf, n, &q, &err);
        if (rc == 0) {
            check_profile_sane(q);
            lt_profile_free(q);
            ok++;
            continue;
        }
        ck_assert_msg(rc == -LT_E_FORMAT || rc == -LT_E_CORRUPT, "iteration %d: rc %d (%s)", it, rc, err.msg);
        ck_assert_int_eq(err.code, -rc);
        ck_assert_ptr_null(q);
        ck_assert_msg(err.msg[0] != '\0', "iteration %d: an error without a message", it);
        failed++;
    }
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(failed, 0);
    free(buf);
}

START_TEST(test_dump_mutations)
{
    lt_profile_t *p = rich_profile(LT_MOMENT_MARK);
    for (int json = 0; json <= 1; json++) {
        size_t len;
        char *valid = dump_to_mem(p, json, &len);
        mutation_loop(valid, len, json ? 0x1234abcdull : 0xfeedf00dull, 2000);
        free(valid);
    }
    lt_profile_free(p);
}
END_TEST

/* ======================================================================== */
/* 4. Diff                                                                  */
/* ======================================================================== */

/* Before (A) and after (B): two runs of one build, mapped at other
 * addresses, the modules listed in another order. */
static void diff_profiles(lt_profile_t **pa, lt_profile_t **pb)
{
    lt_profile_t *a = new_profile(), *b = new_profile();
    uint32_t a_libc = add_module(a, "/usr/lib/libc.so.6", "aa", 0x7f1200000000);
    uint32_t a_app = add_module(a, "/home/u/app", "bb", 0x555500000000);
    uint32_t a_dup = add_module(a, "/first/dir/libdup.so", "", 0x7f3400000000);
    uint32_t b_app = add_module(b, "/home/u/app", "bb", 0x563400000000);
    uint32_t b_libc = add_module(b, "/usr/lib/libc.so.6", "aa", 0x7fab00000000);
    uint32_t b_dup = add_module(b, "/other/dir/libdup.so", "", 0x7f5600000000);
    uint32_t b_dup2 = add_module(b, "/third/libdup.so", "", 0x7f7800000000);

#define FN(fn, file, line, mod) { fn, file, line, mod, 0x40, 0 }
#define UNK(mod, off) { NULL, NULL, 0, mod, off, 0 }
    const fspec_t a_grew[] = { FN("alloc_thing", "a.c", 10, a_app), FN("main", "main.c", 5, a_app) };
    const fspec_t b_grew[] = { FN("alloc_thing", "a.c", 10, b_app), FN("main", "main.c", 5, b_app) };
    const fspec_t a_shrank[] = { FN("parse", "p.c", 20, a_app) }, b_shrank[] = { FN("parse", "p.c", 20, b_app) };
    const fspec_t a_gone[] = { FN("only_a", "x.c", 1, a_app) }, b_new[] = { FN("only_b", "y.c", 2, b_app) };
    const fspec_t a_same[] = { FN("same", "s.c", 3, a_app) }, b_same[] = { FN("same", "s.c", 3, b_app) };
    const fspec_t a_unk[] = { UNK(a_app, 0x1234) }, b_unk[] = { UNK(b_app, 0x1234) }, b_unk2[] = { UNK(b_app, 0x1235) };
    const fspec_t a_rt[] = { FN("rt_init", "rt.c", 1, a_libc) }, b_rt[] = { FN("rt_init", "rt.c", 1, b_libc) };
    const fspec_t a_dupf[] = { FN("dupfn", "d.c", 4, a_dup) };
    const fspec_t b_dupf[] = { FN("dupfn", "d.c", 4, b_dup) }, b_dupf2[] = { FN("dupfn", "d.c", 4, b_dup2) };
    const fspec_t a_freed[] = { FN("freed", "f.c", 9, a_app) }, b_freed[] = { FN("freed", "f.c", 9, b_app) };
#undef FN
#undef UNK

    add_live(a, 100, 1, 0, a_grew, 2);
    add_live(a, 500, 5, 0, a_shrank, 1);
    add_live(a, 64, 2, 0, a_gone, 1);
    add_live(a, 50, 1, 0, a_same, 1);
    add_live(a, 10, 1, 0, a_unk, 1);
    add_live(a, 16, 1, 1, a_rt, 1);
    add_live(a, 70, 7, 0, a_dupf, 1);
    add_live(a, 8, 1, 0, NULL, 0);
    add_site(a, counts(0, 0, 100, 1), 0, 0, a_freed, 1);   /* nothing live: not compared */

    /* B in another order. */
    add_live(b, 24, 2, 0, NULL, 0);
    add_live(b, 35, 3, 0, b_dupf2, 1);
    add_site(b, counts(0, 0, 200, 2), 0, 0, b_freed, 1);
    add_live(b, 48, 3, 1, b_rt, 1);
    add_live(b, 4, 1, 0, b_unk2, 1);
    add_live(b, 30, 1, 0, b_unk, 1);
    add_live(b, 50, 1, 0, b_same, 1);
    add_live(b, 1000, 10, 0, b_new, 1);
    add_live(b, 100, 1, 0, b_shrank, 1);
    add_live(b, 300, 3, 0, b_grew, 2);
    add_live(b, 40, 4, 0, b_dupf, 1);
    lt_profile_finish(a);
    lt_profile_finish(b);
    *pa = a;
    *pb = b;
}

typedef struct want_change {
    const char *name;
    int status;
    uint64_t bytes_before, bytes_after, blocks_before, blocks_after;
    int runtime;
} want_change_t;

/* d lists exactly the rows of want (in order), less the runtime ones when
 * skip_runtime. */
static void check_diff(const lt_diff_t *d, const lt_profile_t *a, const lt_profile_t *b, const want_change_t *want,
                       size_t nwant, int skip_runtime)
{
    ck_assert_ptr_eq(d->before, a);
    ck_assert_ptr_eq(d->after, b);
    size_t n = 0;
    char buf[32];
    for (size_t i = 0; i < nwant; i++) {
        const want_change_t *w = &want[i];
        if (skip_runtime && w->runtime) continue;
        ck_assert_msg(n < d->nchanges, "%zu changes, want more (%s)", d->nchanges, w->name);
        const lt_change_t *c = &d->changes[n++];
        const char *name = site_name(c->site, buf, sizeof buf);
        ck_assert_msg(strcmp(name, w->name) == 0, "change %zu is %s, want %s", n - 1, name, w->name);
        ck_assert_msg(c->status == w->status, "%s: status %d, want %d", w->name, c->status, w->status);
        CHECK_FIELD(w->name, "bytes_before", c->bytes_before, w->bytes_before);
        CHECK_FIELD(w->name, "bytes_after", c->bytes_after, w->bytes_after);
        CHECK_FIELD(w->name, "blocks_before", c->blocks_before, w->blocks_before);
        CHECK_FIELD(w->name, "blocks_after", c->blocks_after, w->blocks_after);
        ck_assert_int_eq(c->bytes_delta, (int64_t)(w->bytes_after - w->bytes_before));
        ck_assert_int_eq(c->blocks_delta, (int64_t)(w->blocks_after - w->blocks_before));
        /* The stack comes from the after profile, from before when gone. */
        ck_assert_ptr_eq(c->prof, w->status == LT_CHANGE_GONE ? a : b);
        ck_assert(c->site >= c->prof->sites && c->site < c->prof->sites + c->prof->nsites);
        ck_assert_int_eq(c->site->runtime, w->runtime);
    }
    ck_assert_uint_eq(d->nchanges, n);
}

START_TEST(test_diff)
{
    lt_profile_t *a, *b;
    diff_profiles(&a, &b);
    /* Largest growth first. Not listed: "same" (equal) and "freed"
     * (nothing live in either). "+0x1234" is an unknown function of app,
     * matched by module name and offset despite other load addresses.
     * "dupfn" sums B's two libdup.so modules: modules are compared by file
     * name only, so /first/dir/libdup.so, /other/dir/libdup.so and
     * /third/libdup.so are one module. That is intended: the same library
     * installed under another prefix (or a build tree vs an installed copy)
     * must still match between two runs (see diff.h). */
    static const want_change_t want[] = {
        { "only_b", LT_CHANGE_NEW, 0, 1000, 0, 10, 0 },
        { "alloc_thing", LT_CHANGE_GREW, 100, 300, 1, 3, 0 },
        { "rt_init", LT_CHANGE_GREW, 16, 48, 1, 3, 1 },
        { "+0x1234", LT_CHANGE_GREW, 10, 30, 1, 1, 0 },
        { "(no stack)", LT_CHANGE_GREW, 8, 24, 1, 2, 0 },
        { "dupfn", LT_CHANGE_GREW, 70, 75, 7, 7, 0 },
        { "+0x1235", LT_CHANGE_NEW, 0, 4, 0, 1, 0 },
        { "only_a", LT_CHANGE_GONE, 64, 0, 2, 0, 0 },
        { "parse", LT_CHANGE_SHRANK, 500, 100, 5, 1, 0 },
    };
    lt_diff_t *d = NULL;
    lt_err_t err;
    ck_assert_int_eq(lt_diff_build(a, b, 0, &d, &err), 0);
    check_diff(d, a, b, want, sizeof want / sizeof want[0], 0);
    ck_assert_uint_eq(d->bytes_before, 818);
    ck_assert_uint_eq(d->bytes_after, 1631);
    ck_assert_uint_eq(d->blocks_before, 19);
    ck_assert_uint_eq(d->blocks_after, 29);
    ck_assert_int_eq(d->bytes_delta, 813);
    ck_assert_int_eq(d->blocks_delta, 10);
    ck_assert_uint_eq(d->sites_new, 2);
    ck_assert_uint_eq(d->sites_gone, 1);
    lt_diff_free(d);

    /* Without the runtime's one-time allocations (rt_init: 16 -> 48). */
    ck_assert_int_eq(lt_diff_build(a, b, 1, &d, &err), 0);
    check_diff(d, a, b, want, sizeof want / sizeof want[0], 1);
    ck_assert_uint_eq(d->bytes_before, 802);
    ck_assert_uint_eq(d->bytes_after, 1583);
    ck_assert_uint_eq(d->blocks_before, 18);
    ck_assert_uint_eq(d->blocks_after, 26);
    ck_assert_int_eq(d->bytes_delta, 781);
    ck_assert_int_eq(d->blocks_delta, 8);
    lt_diff_free(d);

    /* A profile against itself: nothing changed. */
    ck_assert_int_eq(lt_diff_build(b, b, 0, &d, &err), 0);
    ck_assert_uint_eq(d->nchanges, 0);
    ck_assert_int_eq(d->bytes_delta, 0);
    ck_assert_uint_eq(d->bytes_before, 1631);
    ck_assert_uint_eq(d->sites_new + d->sites_gone, 0);
    lt_diff_free(d);
    lt_profile_free(a);
    lt_profile_free(b);
}
END_TEST

/* ======================================================================== */
/* 5. The moment syntax                                                     */
/* ======================================================================== */

static void check_when(const char *s, int kind, uint64_t ts, const char *label)
{
    lt_when_t w;
    ck_assert_msg(lt_when_parse(s, &w) == 0, "\"%s\" does not parse", s);
    ck_assert_msg(w.kind == kind, "\"%s\": kind %d, want %d", s, w.kind, kind);
    ck_assert_msg(w.ts == ts, "\"%s\": ts %llu, want %llu", s, (unsigned long long)w.ts, (unsigned long long)ts);
    check_str(s, w.label, label);
}

static void check_seconds(const char *s, int rc, uint64_t ns)
{
    uint64_t v = 12345;
    ck_assert_msg(lt_when_parse_seconds(s, &v) == rc, "\"%s\": rc, want %d", s, rc);
    ck_assert_msg(v == (rc == 0 ? ns : 12345), "\"%s\": %llu ns", s, (unsigned long long)v);
}

START_TEST(test_when_parse)
{
    check_when("end", LT_MOMENT_END, 0, NULL);
    check_when("peak", LT_MOMENT_PEAK, 0, NULL);
    check_when("2.5", LT_MOMENT_TIME, 2500000000ull, NULL);
    check_when("2.5s", LT_MOMENT_TIME, 2500000000ull, NULL);
    check_when("0", LT_MOMENT_TIME, 0, NULL);
    check_when("0.000000001", LT_MOMENT_TIME, 1, NULL);
    /* "mark:" makes anything a label, even a number or a keyword. */
    check_when("mark:2.5", LT_MOMENT_MARK, 0, "2.5");
    check_when("mark:end", LT_MOMENT_MARK, 0, "end");
    check_when("after-load", LT_MOMENT_MARK, 0, "after-load");
    /* Not a number of seconds >= 0: a label. */
    check_when("-1", LT_MOMENT_MARK, 0, "-1");
    check_when("1e400", LT_MOMENT_MARK, 0, "1e400");
    check_when("2.5ss", LT_MOMENT_MARK, 0, "2.5ss");
    check_when("SIGUSR2-1", LT_MOMENT_MARK, 0, "SIGUSR2-1");
    /* The label points into the string. */
    static const char s[] = "mark:x";
    lt_when_t w;
    ck_assert_int_eq(lt_when_parse(s, &w), 0);
    ck_assert_ptr_eq(w.label, s + 5);
    ck_assert_int_eq(lt_when_parse("", &w), -1);

    check_seconds("2.5", 0, 2500000000ull);
    check_seconds("2.5s", 0, 2500000000ull);
    check_seconds("0", 0, 0);
    check_seconds("1000000000", 0, 1000000000000000000ull);
    check_seconds("-1", -1, 0);
    check_seconds("1e400", -1, 0);
    check_seconds("1000000001", -1, 0);
    check_seconds("nan", -1, 0);
    check_seconds("", -1, 0);
    check_seconds("s", -1, 0);
    check_seconds("2.5 s", -1, 0);
    check_seconds("end", -1, 0);
}
END_TEST

Suite *profiles_suite(void)
{
    Suite *s = suite_create("profiles");
    TCase *tc = tcase_create("moments");
    tcase_add_unchecked_fixture(tc, files_setup, files_teardown);
    tcase_add_test(tc, test_snapshot_at_mark);
    tcase_add_test(tc, test_marks_and_ticks_filled);
    tcase_add_test(tc, test_marks_listed_in_sequence_order);
    tcase_add_test(tc, test_snapshot_at_time);
    tcase_add_test(tc, test_snapshot_at_seq_peak);
    tcase_add_test(tc, test_replay_file_at_moments);
    suite_add_tcase(s, tc);

    tc = tcase_create("profile");
    tcase_add_test(tc, test_profile_interning);
    tcase_add_test(tc, test_profile_site_merging);
    tcase_add_test(tc, test_profile_sort_ties_and_many_sites);
    tcase_add_test(tc, test_profile_module_name);
    suite_add_tcase(s, tc);

    tc = tcase_create("dump");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, files_setup, files_teardown);
    tcase_add_test(tc, test_dump_round_trip);
    tcase_add_test(tc, test_dump_text_mark_with_newline);
    tcase_add_test(tc, test_dump_sniff);
    tcase_add_test(tc, test_dump_text_small_valid);
    tcase_add_test(tc, test_dump_text_malformed);
    tcase_add_test(tc, test_dump_text_line_numbers_count_blank_lines);
    tcase_add_test(tc, test_dump_text_cut_short);
    tcase_add_test(tc, test_dump_json_small_and_malformed);
    tcase_add_test(tc, test_dump_mutations);
    suite_add_tcase(s, tc);

    tc = tcase_create("diff");
    tcase_add_test(tc, test_diff);
    suite_add_tcase(s, tc);

    tc = tcase_create("when");
    tcase_add_test(tc, test_when_parse);
    suite_add_tcase(s, tc);
    return s;
}
