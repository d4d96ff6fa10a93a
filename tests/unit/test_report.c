/*
 * test_report.c - unit tests of analyzer/report.c (leaks grouped by
 * symbolized stack, default suppressions), analyzer/output.c's JSON
 * rendering and analyzer/json.c (escaping).
 *
 * Replays are built record by record; their stacks are made of addresses
 * of the out-of-line functions below (+1, so the ip-1 the symbolizer looks
 * up lands inside them), symbolized against this test program's own module
 * map (dl_iterate_phdr, as in test_symbolize.c), plus made-up modules whose
 * files do not exist (ld-linux, libc, libleaktrace) for the rules that go
 * by module name. JSON output is checked with a strict validator (RFC 8259
 * grammar, UTF-8 without overlongs or surrogates).
 *
 * Exports report_suite(); -DLT_STANDALONE_TEST adds a main().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <check.h>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "lt_format.h"
#include "output.h"
#include "replay.h"
#include "report.h"
#include "symbolize.h"
#include "unit_helpers.h"

Suite *report_suite(void);
int main(void);

/* ---- functions whose addresses make the stacks ---- */

#if defined(__clang__)
#define OUT_OF_LINE __attribute__((noinline, optnone))
#else
#define OUT_OF_LINE __attribute__((noinline, noipa))
#endif

static volatile int sink;

static OUT_OF_LINE void report_site_alpha(void) { sink++; }
static OUT_OF_LINE void report_site_beta(void) { sink += 2; }
static OUT_OF_LINE void report_site_gamma(void) { sink += 3; }

static OUT_OF_LINE void *capture_ra(void)
{
    sink++;
    return __builtin_return_address(0);
}

static void *same_line_ra[2];

static OUT_OF_LINE void two_captures_one_line(void)
{
    same_line_ra[0] = capture_ra(); same_line_ra[1] = capture_ra();
    sink++;
}

#define IP(fn) ((uint64_t)(uintptr_t)(fn) + 1)

/* ---- module map: this process plus made-up modules ---- */

#define FAKE_BASE 0x600000000000ull
#define FAKE_LDSO (FAKE_BASE + 0x000000)
#define FAKE_LIBC (FAKE_BASE + 0x100000)
#define FAKE_LT   (FAKE_BASE + 0x200000)
#define FAKE_USER (FAKE_BASE + 0x300000)

static ut_mods_t tab;
static lt_module_t *mods;
static size_t nmods;
static lt_segment_t fake_seg = { .vaddr = 0, .memsz = 0x10000, .prot = PF_R | PF_X };

static void add_fake(const char *path, uint64_t base)
{
    lt_module_t *m = ut_mods_push(&tab);
    m->path = strdup(path);
    m->base = base;
    m->seg = malloc(sizeof *m->seg);
    *m->seg = fake_seg;
    m->nseg = 1;
}

static void modules_setup(void)
{
    ut_mods_collect_self(&tab);
    ck_assert_uint_gt(tab.n, 1);
    add_fake("/nonexistent/lib64/ld-linux-x86-64.so.2", FAKE_LDSO);
    add_fake("/nonexistent/lib/x86_64-linux-gnu/libc.so.6", FAKE_LIBC);
    add_fake("/nonexistent/lib/libleaktrace.so", FAKE_LT);
    add_fake("/nonexistent/opt/app/libuser.so", FAKE_USER);
    mods = tab.v;
    nmods = tab.n;
}

static void modules_teardown(void)
{
    ut_mods_free(&tab);
    mods = NULL;
    nmods = 0;
}

static int nwarnings;
static void count_warning(void *ctx, const char *msg) { (void)ctx; (void)msg; nwarnings++; }

static lt_symbolizer_t *sym_open_here(void)
{
    nwarnings = 0;
    lt_symbolizer_t *s = lt_sym_open(mods, nmods, 0, count_warning, NULL);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* ---- building replays ---- */

static void feed(lt_replay_t *rp, lt_rec_t r)
{
    lt_err_t err = { 0 };
    int rc = lt_replay_record(rp, &r, &err);
    ck_assert_msg(rc == 0, "record type 0x%02x: rc %d (%s)", r.type, rc, err.msg);
}

static void def_stack(lt_replay_t *rp, uint32_t id, uint32_t gen, const uint64_t *ips, uint32_t depth)
{
    ut_buf_t b = { 0 };
    ut_buf_varint(&b, id);
    ut_buf_varint(&b, gen);
    ut_buf_varint(&b, depth);
    for (uint32_t i = 0; i < depth; i++) ut_buf_varint(&b, i == 0 ? ips[0] : lt_zigzag((int64_t)(ips[i] - ips[i - 1])));
    lt_rec_t r = { .type = LT_REC_STACK, .payload = b.p, .len = b.len };
    feed(rp, r);
    ut_buf_free(&b);
}

/* n live blocks of size bytes each on stack id, and one freed one. */
static uint64_t seq_counter;
static uint64_t addr_counter;

static void blocks(lt_replay_t *rp, uint32_t stack, unsigned n, uint64_t size)
{
    for (unsigned i = 0; i < n; i++) {
        lt_rec_t r = { .type = LT_REC_ALLOC, .seq = seq_counter++, .ts = seq_counter * 10,
                       .addr = 0x10000 + 0x1000 * ++addr_counter, .size = size, .stack = stack };
        feed(rp, r);
    }
    lt_rec_t a = { .type = LT_REC_ALLOC, .seq = seq_counter++, .addr = 0x10000 + 0x1000 * ++addr_counter,
                   .size = 7777, .stack = stack };
    feed(rp, a);
    lt_rec_t f = { .type = LT_REC_FREE, .seq = seq_counter++, .addr = a.addr };
    feed(rp, f);
}

static lt_replay_t *replay_begin(void)
{
    seq_counter = 0;
    addr_counter = 0;
    lt_replay_t *rp = lt_replay_new();
    ck_assert_ptr_nonnull(rp);
    return rp;
}

static lt_report_t *build(const lt_replay_t *rp, lt_symbolizer_t *sym, int no_default_supp)
{
    lt_report_opts_t o = { .no_default_suppressions = no_default_supp };
    lt_report_t *r = NULL;
    lt_err_t err;
    ck_assert_msg(lt_report_build(rp, sym, &o, &r, &err) == 0, "lt_report_build: %s", err.msg);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_eq(r->rp, rp);
    return r;
}

static int ends_with(const char *s, const char *suffix)
{
    if (!s) return 0;
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* ========================================================================
 * report building
 * ======================================================================== */

START_TEST(test_report_without_modules_sorted_by_bytes)
{
    lt_symbolizer_t *sym = lt_sym_open(NULL, 0, 0, NULL, NULL);
    ck_assert_ptr_nonnull(sym);
    lt_replay_t *rp = replay_begin();
    uint64_t a[2] = { 0x401000, 0x402000 }, b[1] = { 0x403000 }, c[3] = { 0x404000, 0x405000, 0x406000 };
    def_stack(rp, 0, 0, a, 2);
    def_stack(rp, 1, 0, b, 1);
    def_stack(rp, 2, 0, c, 3);
    def_stack(rp, 3, 0, b, 1);       /* only freed blocks: no leak */
    blocks(rp, 0, 2, 50);            /* 100 bytes in 2 */
    blocks(rp, 1, 1, 1000);          /* 1000 in 1 */
    blocks(rp, 2, 3, 10);            /* 30 in 3 */
    blocks(rp, 3, 0, 1);
    lt_replay_finish(rp);

    lt_report_t *r = build(rp, sym, 0);
    ck_assert_uint_eq(r->nleaks, 3);
    ck_assert_uint_eq(r->leak_bytes, 1130);
    ck_assert_uint_eq(r->leak_blocks, 6);
    ck_assert_uint_eq(r->supp_bytes, 0);
    ck_assert_uint_eq(r->supp_blocks, 0);
    ck_assert_uint_eq(r->supp_sites, 0);
    static const uint64_t want_bytes[3] = { 1000, 100, 30 }, want_blocks[3] = { 1, 2, 3 };
    const uint64_t *want_ips[3] = { b, a, c };
    static const size_t want_n[3] = { 1, 2, 3 };
    for (size_t i = 0; i < 3; i++) {
        const lt_leak_t *l = &r->leaks[i];
        ck_assert_msg(l->bytes == want_bytes[i] && l->blocks == want_blocks[i],
                      "leak %zu: %llu bytes in %llu blocks, want %llu in %llu", i, (unsigned long long)l->bytes,
                      (unsigned long long)l->blocks, (unsigned long long)want_bytes[i], (unsigned long long)want_blocks[i]);
        ck_assert_uint_eq(l->nframes, want_n[i]);
        for (size_t k = 0; k < l->nframes; k++) {
            ck_assert_ptr_null(l->frames[k].function);
            ck_assert_ptr_null(l->frames[k].module);
            ck_assert_ptr_null(l->frames[k].file);
            ck_assert_uint_eq(l->frames[k].address, want_ips[i][k]);
        }
        ck_assert_int_eq(l->truncated, 0);
    }
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_ties_sorted_by_blocks)
{
    lt_symbolizer_t *sym = lt_sym_open(NULL, 0, 0, NULL, NULL);
    lt_replay_t *rp = replay_begin();
    uint64_t a = 0x401000, b = 0x402000, c = 0x403000;
    def_stack(rp, 0, 0, &a, 1);
    def_stack(rp, 1, 0, &b, 1);
    def_stack(rp, 2, 0, &c, 1);
    blocks(rp, 0, 1, 600);           /* 600 in 1 */
    blocks(rp, 1, 6, 100);           /* 600 in 6 */
    blocks(rp, 2, 2, 300);           /* 600 in 2 */
    lt_replay_finish(rp);
    lt_report_t *r = build(rp, sym, 0);
    ck_assert_uint_eq(r->nleaks, 3);
    ck_assert_msg(r->leaks[0].blocks == 6 && r->leaks[1].blocks == 2 && r->leaks[2].blocks == 1,
                  "equal bytes: more blocks first (got %llu, %llu, %llu)", (unsigned long long)r->leaks[0].blocks,
                  (unsigned long long)r->leaks[1].blocks, (unsigned long long)r->leaks[2].blocks);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_symbolized_frames)
{
    lt_symbolizer_t *sym = sym_open_here();
    lt_replay_t *rp = replay_begin();
    uint64_t s0[3] = { IP(report_site_alpha), IP(report_site_beta), IP(report_site_gamma) };
    uint64_t s1[1] = { IP(report_site_gamma) };
    def_stack(rp, 0, 0, s0, 3);
    def_stack(rp, 1, 0, s1, 1);
    blocks(rp, 0, 4, 25);
    blocks(rp, 1, 1, 64);
    lt_replay_finish(rp);
    lt_report_t *r = build(rp, sym, 0);
    ck_assert_uint_eq(r->nleaks, 2);
    const lt_leak_t *l = &r->leaks[0];
    ck_assert_uint_eq(l->bytes, 100);
    ck_assert_uint_eq(l->nframes, 3);
    static const char *const names[3] = { "report_site_alpha", "report_site_beta", "report_site_gamma" };
    for (int k = 0; k < 3; k++) {
        ck_assert_msg(l->frames[k].function && !strcmp(l->frames[k].function, names[k]),
                      "frame %d is %s, want %s", k, l->frames[k].function ? l->frames[k].function : "(null)", names[k]);
        ck_assert_msg(ends_with(l->frames[k].file, "test_report.c"), "frame %d file %s", k,
                      l->frames[k].file ? l->frames[k].file : "(null)");
        ck_assert_int_gt(l->frames[k].line, 0);
        ck_assert_str_eq(l->frames[k].module, mods[0].path);
        ck_assert_uint_eq(l->frames[k].address, s0[k]);
    }
    ck_assert_str_eq(r->leaks[1].frames[0].function, "report_site_gamma");
    ck_assert_uint_eq(r->supp_blocks, 0);
    ck_assert_int_eq(nwarnings, 0);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_merges_stacks_that_symbolize_alike)
{
    lt_symbolizer_t *sym = sym_open_here();
    two_captures_one_line();
    /* precondition: two return addresses on one source line */
    const lt_symframe_t *f0, *f1;
    lt_sym_lookup(sym, 0, (uint64_t)(uintptr_t)same_line_ra[0], 1, &f0);
    lt_sym_lookup(sym, 0, (uint64_t)(uintptr_t)same_line_ra[1], 1, &f1);
    ck_assert_ptr_ne(same_line_ra[0], same_line_ra[1]);
    ck_assert_msg(f0->function && f0->function == f1->function && f0->file == f1->file && f0->line == f1->line,
                  "test setup: the two calls of two_captures_one_line should symbolize to one line "
                  "(got %s:%d and %s:%d)", f0->function, f0->line, f1->function, f1->line);

    lt_replay_t *rp = replay_begin();
    uint64_t a[2] = { (uint64_t)(uintptr_t)same_line_ra[0], IP(report_site_alpha) };
    uint64_t b[2] = { (uint64_t)(uintptr_t)same_line_ra[1], IP(report_site_alpha) };
    uint64_t c[2] = { (uint64_t)(uintptr_t)same_line_ra[0], IP(report_site_beta) };
    def_stack(rp, 0, 0, a, 2);
    def_stack(rp, 1, 0, b, 2);      /* other ips, same frames */
    def_stack(rp, 2, 1, a, 2);      /* same ips in a later generation: same frames */
    def_stack(rp, 3, 0, c, 2);      /* another caller: separate */
    blocks(rp, 0, 1, 10);
    blocks(rp, 1, 2, 10);
    blocks(rp, 2, 3, 10);
    blocks(rp, 3, 1, 5);
    lt_replay_finish(rp);
    lt_report_t *r = build(rp, sym, 0);
    ck_assert_msg(r->nleaks == 2, "%zu leak sites, want 2 (stacks 0, 1 and 2 merged)", r->nleaks);
    ck_assert_uint_eq(r->leaks[0].bytes, 60);
    ck_assert_uint_eq(r->leaks[0].blocks, 6);
    ck_assert_str_eq(r->leaks[0].frames[0].function, "two_captures_one_line");
    ck_assert_str_eq(r->leaks[0].frames[1].function, "report_site_alpha");
    ck_assert_uint_eq(r->leaks[1].bytes, 5);
    ck_assert_str_eq(r->leaks[1].frames[1].function, "report_site_beta");
    ck_assert_uint_eq(r->leak_bytes, 65);
    ck_assert_uint_eq(r->leak_blocks, 7);
    lt_report_free(r);
    lt_replay_free(rp);

    /* unknown frames merge by address: same ips in two generations */
    lt_symbolizer_t *none = lt_sym_open(NULL, 0, 0, NULL, NULL);
    rp = replay_begin();
    uint64_t u[2] = { 0x1234, 0x5678 }, v[2] = { 0x1234, 0x5679 };
    def_stack(rp, 0, 0, u, 2);
    def_stack(rp, 1, 7, u, 2);
    def_stack(rp, 2, 0, v, 2);
    blocks(rp, 0, 1, 1);
    blocks(rp, 1, 1, 1);
    blocks(rp, 2, 1, 1);
    lt_replay_finish(rp);
    r = build(rp, none, 0);
    ck_assert_uint_eq(r->nleaks, 2);
    ck_assert_uint_eq(r->leaks[0].blocks, 2);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(none);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_many_sites)
{
    /* enough distinct sites to grow the grouping table several times */
    lt_symbolizer_t *sym = lt_sym_open(NULL, 0, 0, NULL, NULL);
    lt_replay_t *rp = replay_begin();
    enum { N = 3000 };
    for (uint32_t i = 0; i < N; i++) {
        uint64_t ips[2] = { 0x400000 + i * 16, 0x500000 + (i % 2) * 16 };
        def_stack(rp, i, 0, ips, 2);
        blocks(rp, i, 1 + i % 3, 1 + i);
    }
    lt_replay_finish(rp);
    lt_report_t *r = build(rp, sym, 0);
    ck_assert_uint_eq(r->nleaks, N);
    uint64_t total = 0;
    for (size_t i = 0; i < r->nleaks; i++) {
        total += r->leaks[i].bytes;
        if (i) ck_assert_msg(r->leaks[i - 1].bytes >= r->leaks[i].bytes, "leak %zu larger than the one before", i);
    }
    ck_assert_uint_eq(total, r->leak_bytes);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_suppresses_loader_allocations)
{
    lt_symbolizer_t *sym = sym_open_here();
    lt_replay_t *rp = replay_begin();
    uint64_t ld[2] = { FAKE_LDSO + 0x1234, IP(report_site_alpha) };
    uint64_t user[1] = { IP(report_site_beta) };
    def_stack(rp, 0, 0, ld, 2);
    def_stack(rp, 1, 0, user, 1);
    blocks(rp, 0, 3, 40);
    blocks(rp, 1, 1, 8);
    lt_replay_finish(rp);

    lt_report_t *r = build(rp, sym, 0);
    ck_assert_msg(r->nleaks == 1, "the loader's blocks should be suppressed by default (%zu sites listed)", r->nleaks);
    ck_assert_str_eq(r->leaks[0].frames[0].function, "report_site_beta");
    ck_assert_uint_eq(r->leak_bytes, 8);
    ck_assert_uint_eq(r->leak_blocks, 1);
    ck_assert_uint_eq(r->supp_bytes, 120);
    ck_assert_uint_eq(r->supp_blocks, 3);
    ck_assert_uint_eq(r->supp_sites, 1);
    lt_report_free(r);

    r = build(rp, sym, 1);
    ck_assert_uint_eq(r->nleaks, 2);
    ck_assert_uint_eq(r->supp_bytes, 0);
    ck_assert_uint_eq(r->supp_blocks, 0);
    ck_assert_uint_eq(r->leak_bytes, 128);
    const lt_leak_t *l = &r->leaks[0];
    ck_assert_uint_eq(l->bytes, 120);
    ck_assert_msg(ends_with(l->frames[0].module, "/ld-linux-x86-64.so.2"), "frame 0 module %s", l->frames[0].module);
    ck_assert_ptr_null(l->frames[0].function);
    ck_assert_uint_eq(l->frames[0].offset, 0x1234);
    ck_assert_str_eq(l->frames[1].function, "report_site_alpha");
    ck_assert_msg(nwarnings == 1, "one warning for the missing ld-linux file, got %d", nwarnings);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_removes_tracer_frames_and_startup_below_main)
{
    /* The real __libc_start_main of this process, as in every program's
     * stack below main. */
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(libc);
    void *start_main = dlsym(libc, "__libc_start_main");
    ck_assert_ptr_nonnull(start_main);

    lt_symbolizer_t *sym = sym_open_here();
    const lt_symframe_t *f;
    size_t nf = lt_sym_lookup(sym, 0, IP(start_main), 1, &f);
    ck_assert_msg(f[nf - 1].function && !strncmp(f[nf - 1].function, "__libc_start_main", 17),
                  "test setup: __libc_start_main symbolizes as %s", f[nf - 1].function);

    lt_replay_t *rp = replay_begin();
    /* the tracer's frame on top, one in the middle, then main, the C
     * library's start-up code and _start (a stand-in, in another module) */
    uint64_t s0[7] = { FAKE_LT + 0x10, IP(report_site_alpha), FAKE_LT + 0x20, IP(report_site_beta), IP(main),
                       IP(start_main), FAKE_USER + 0x40 };
    /* a stripped program: main has no name, the C library's frame is the marker */
    uint64_t s1[4] = { IP(report_site_gamma), FAKE_USER + 0x10, IP(start_main), FAKE_USER + 0x40 };
    /* nothing of the C library's start-up: nothing is cut */
    uint64_t s2[3] = { IP(report_site_beta), IP(main), FAKE_USER + 0x10 };
    def_stack(rp, 0, 0, s0, 7);
    def_stack(rp, 1, 0, s1, 4);
    def_stack(rp, 2, 0, s2, 3);
    blocks(rp, 0, 3, 100);
    blocks(rp, 1, 2, 100);
    blocks(rp, 2, 1, 100);
    lt_replay_finish(rp);
    lt_report_t *r = build(rp, sym, 0);
    ck_assert_uint_eq(r->nleaks, 3);

    const lt_leak_t *l = &r->leaks[0];
    ck_assert_msg(l->nframes == 3, "tracer frames and the start-up frames should go: %zu frames left, want 3",
                  l->nframes);
    ck_assert_str_eq(l->frames[0].function, "report_site_alpha");
    ck_assert_str_eq(l->frames[1].function, "report_site_beta");
    ck_assert_str_eq(l->frames[2].function, "main");

    l = &r->leaks[1];
    ck_assert_msg(l->nframes == 2, "stripped program: %zu frames left, want 2 (cut at __libc_start_main)", l->nframes);
    ck_assert_str_eq(l->frames[0].function, "report_site_gamma");
    ck_assert_ptr_null(l->frames[1].function);
    ck_assert_msg(ends_with(l->frames[1].module, "libuser.so"), "frame 1 module %s", l->frames[1].module);

    l = &r->leaks[2];
    ck_assert_uint_eq(l->nframes, 3);
    ck_assert_str_eq(l->frames[1].function, "main");
    ck_assert_msg(ends_with(l->frames[2].module, "libuser.so"), "frame 2 module %s", l->frames[2].module);

    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
    dlclose(libc);
}
END_TEST

START_TEST(test_report_truncated_and_unrecorded_stacks)
{
    lt_symbolizer_t *sym = lt_sym_open(NULL, 0, 0, NULL, NULL);
    lt_replay_t *rp = replay_begin();
    ut_buf_t b = { 0 };
    ut_buf_kv(&b, "depth", "3", 1);
    lt_rec_t pr = { .type = LT_REC_PROCESS, .payload = b.p, .len = b.len };
    feed(rp, pr);
    uint64_t deep[3] = { 1, 2, 3 }, shallow[2] = { 4, 5 };
    def_stack(rp, 0, 0, deep, 3);
    def_stack(rp, 1, 0, shallow, 2);
    blocks(rp, 0, 1, 300);
    blocks(rp, 1, 1, 200);
    blocks(rp, LT_STACK_NONE, 1, 100);   /* the tracer could not record it */
    blocks(rp, 9, 1, 50);                /* used but never defined (cut trace) */
    lt_replay_finish(rp);
    lt_report_t *r = build(rp, sym, 0);
    /* both stacks without frames read "(stack not recorded)": one site */
    ck_assert_msg(r->nleaks == 3, "%zu sites, want 3 (the two without frames together)", r->nleaks);
    ck_assert_msg(r->leaks[0].truncated == 1, "a stack as deep as the tracer's limit is truncated");
    ck_assert_uint_eq(r->leaks[0].bytes, 300);
    ck_assert_int_eq(r->leaks[1].truncated, 0);
    ck_assert_uint_eq(r->leaks[1].bytes, 200);
    ck_assert_uint_eq(r->leaks[2].bytes, 150);
    ck_assert_uint_eq(r->leaks[2].blocks, 2);
    ck_assert_uint_eq(r->leaks[2].nframes, 0);
    ck_assert_int_eq(r->leaks[2].truncated, 0);
    ck_assert_uint_eq(r->leak_bytes, 650);
    ut_buf_free(&b);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_empty)
{
    lt_symbolizer_t *sym = lt_sym_open(NULL, 0, 0, NULL, NULL);
    lt_replay_t *rp = replay_begin();
    lt_replay_finish(rp);
    lt_report_t *r = build(rp, sym, 0);
    ck_assert_uint_eq(r->nleaks, 0);
    ck_assert_uint_eq(r->leak_bytes, 0);
    lt_report_free(r);
    lt_report_free(NULL);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

/* ---- lt_report_is_runtime on hand-made frames ---- */

static lt_symframe_t fr(const char *function, const char *module)
{
    lt_symframe_t f = { .function = function, .module = module, .address = 0x1000 };
    return f;
}

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define LIBSTDCXX "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
#define LDSO "/lib64/ld-linux-x86-64.so.2"
#define APP "/home/user/src/app"

START_TEST(test_is_runtime_rules)
{
    ck_assert_int_eq(lt_report_is_runtime(NULL, 0), 0);

    lt_symframe_t stdio[3] = { fr("malloc", LIBC), fr("_IO_file_doallocate", LIBC), fr("main", APP) };
    ck_assert_msg(lt_report_is_runtime(stdio, 3), "a stdio buffer (_IO_file_doallocate) is a runtime allocation");
    lt_symframe_t stdio0[2] = { fr("_IO_file_doallocate", LIBC), fr("print_stuff", APP) };
    ck_assert_int_eq(lt_report_is_runtime(stdio0, 2), 1);
    lt_symframe_t doalloc[4] = { fr("a", LIBC), fr("b", LIBC), fr("c", LIBC), fr("_IO_doallocbuf", LIBC) };
    ck_assert_int_eq(lt_report_is_runtime(doalloc, 4), 1);
    lt_symframe_t deep_io[6] = { fr("f1", APP), fr("f2", APP), fr("f3", APP), fr("f4", APP),
                                 fr("_IO_file_doallocate", LIBC), fr("main", APP) };
    ck_assert_msg(!lt_report_is_runtime(deep_io, 6), "stdio functions deep below user frames do not make it runtime");

    lt_symframe_t user[1] = { fr("make_thing", APP) };
    ck_assert_msg(!lt_report_is_runtime(user, 1), "a frame in a user module is not runtime");
    lt_symframe_t mixed[3] = { fr("strdup", LIBC), fr("make_thing", APP), fr("__libc_start_call_main", LIBC) };
    ck_assert_msg(!lt_report_is_runtime(mixed, 3), "libc called from a user function is the user's leak");

    lt_symframe_t rt[4] = { fr("malloc", LIBC), fr("__cxa_allocate_exception", LIBSTDCXX),
                            fr(NULL, LIBSTDCXX), fr("__libc_start_main", LIBC) };
    ck_assert_msg(lt_report_is_runtime(rt, 4), "frames all in libc/libstdc++ are runtime");
    lt_symframe_t rt_unknown[2] = { fr("malloc", LIBC), fr(NULL, NULL) };
    ck_assert_msg(!lt_report_is_runtime(rt_unknown, 2), "a frame in no known module is not runtime");

    lt_symframe_t ld[3] = { fr(NULL, LDSO), fr("dlopen_worker", APP), fr("main", APP) };
    ck_assert_msg(lt_report_is_runtime(ld, 3), "an allocation by the dynamic loader (innermost frame) is runtime");
    lt_symframe_t ld_below[2] = { fr("helper", APP), fr(NULL, LDSO) };
    ck_assert_msg(!lt_report_is_runtime(ld_below, 2), "the loader below a user frame is not a loader allocation");
    lt_symframe_t ld_dir[1] = { fr("f", "/opt/ld-linux/libfoo.so") };
    ck_assert_msg(!lt_report_is_runtime(ld_dir, 1), "only the module's base name counts, not its directory");
    lt_symframe_t libcrypto[1] = { fr("CRYPTO_malloc", "/usr/lib/libcrypto.so.3") };
    ck_assert_msg(!lt_report_is_runtime(libcrypto, 1), "libcrypto is not libc");
}
END_TEST

/* ========================================================================
 * JSON
 * ======================================================================== */

/* ---- a strict validator ---- */

typedef struct jv { const unsigned char *p, *end; const char *why; } jv_t;

static void jv_ws(jv_t *v) { while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n' || *v->p == '\r')) v->p++; }
static int jv_fail(jv_t *v, const char *why) { if (!v->why) v->why = why; return 0; }
static int jv_value(jv_t *v, int depth);

static int jv_utf8(jv_t *v)
{
    const unsigned char *p = v->p;
    unsigned c = *p;
    int n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
    else return jv_fail(v, "byte that cannot start a UTF-8 sequence");
    if (v->end - p < n) return jv_fail(v, "UTF-8 sequence cut short");
    for (int k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80) return jv_fail(v, "bad UTF-8 continuation byte");
        cp = cp << 6 | (p[k] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return jv_fail(v, "overlong UTF-8");
    if (cp >= 0xd800 && cp <= 0xdfff) return jv_fail(v, "UTF-8 encoded surrogate");
    if (cp > 0x10ffff) return jv_fail(v, "code point beyond U+10FFFF");
    v->p += n;
    return 1;
}

static int jv_string(jv_t *v)
{
    if (v->p >= v->end || *v->p != '"') return jv_fail(v, "string expected");
    v->p++;
    while (v->p < v->end) {
        unsigned c = *v->p;
        if (c == '"') { v->p++; return 1; }
        if (c < 0x20) return jv_fail(v, "raw control character in a string");
        if (c == '\\') {
            if (v->end - v->p < 2) return jv_fail(v, "escape cut short");
            unsigned e = v->p[1];
            if (e == 'u') {
                if (v->end - v->p < 6) return jv_fail(v, "\\u escape cut short");
                for (int k = 2; k < 6; k++)
                    if (!strchr("0123456789abcdefABCDEF", v->p[k]) || !v->p[k]) return jv_fail(v, "bad \\u escape");
                v->p += 6;
            } else if (strchr("\"\\/bfnrt", (int)e) && e) {
                v->p += 2;
            } else {
                return jv_fail(v, "unknown escape");
            }
        } else if (c < 0x80) {
            v->p++;
        } else if (!jv_utf8(v)) {
            return 0;
        }
    }
    return jv_fail(v, "unterminated string");
}

static int jv_digits(jv_t *v)
{
    const unsigned char *s = v->p;
    while (v->p < v->end && *v->p >= '0' && *v->p <= '9') v->p++;
    return v->p > s;
}

static int jv_number(jv_t *v)
{
    if (v->p < v->end && *v->p == '-') v->p++;
    if (v->p < v->end && *v->p == '0') v->p++;
    else if (!jv_digits(v)) return jv_fail(v, "bad number");
    if (v->p < v->end && *v->p == '.') { v->p++; if (!jv_digits(v)) return jv_fail(v, "bad fraction"); }
    if (v->p < v->end && (*v->p == 'e' || *v->p == 'E')) {
        v->p++;
        if (v->p < v->end && (*v->p == '+' || *v->p == '-')) v->p++;
        if (!jv_digits(v)) return jv_fail(v, "bad exponent");
    }
    return 1;
}

static int jv_lit(jv_t *v, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(v->end - v->p) < n || memcmp(v->p, lit, n) != 0) return jv_fail(v, "bad literal");
    v->p += n;
    return 1;
}

static int jv_value(jv_t *v, int depth)
{
    if (depth > 200) return jv_fail(v, "nested too deep");
    jv_ws(v);
    if (v->p >= v->end) return jv_fail(v, "value expected");
    unsigned c = *v->p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        v->p++;
        jv_ws(v);
        if (v->p < v->end && *v->p == (obj ? '}' : ']')) { v->p++; return 1; }
        for (;;) {
            if (obj) {
                jv_ws(v);
                if (!jv_string(v)) return 0;
                jv_ws(v);
                if (v->p >= v->end || *v->p != ':') return jv_fail(v, "':' expected");
                v->p++;
            }
            if (!jv_value(v, depth + 1)) return 0;
            jv_ws(v);
            if (v->p < v->end && *v->p == ',') { v->p++; continue; }
            if (v->p < v->end && *v->p == (obj ? '}' : ']')) { v->p++; return 1; }
            return jv_fail(v, obj ? "',' or '}' expected" : "',' or ']' expected");
        }
    }
    if (c == '"') return jv_string(v);
    if (c == 't') return jv_lit(v, "true");
    if (c == 'f') return jv_lit(v, "false");
    if (c == 'n') return jv_lit(v, "null");
    return jv_number(v);
}

/* NULL when s[0..n) is one valid JSON document, else why not (and where). */
static const char *json_invalid(const char *s, size_t n, size_t *at)
{
    jv_t v = { (const unsigned char *)s, (const unsigned char *)s + n, NULL };
    if (jv_value(&v, 0)) {
        jv_ws(&v);
        if (v.p != v.end) jv_fail(&v, "trailing bytes after the document");
    }
    *at = (size_t)(v.p - (const unsigned char *)s);
    return v.why;
}

START_TEST(test_json_validator_self_check)
{
    static const char *const good[] = { "{}", "[]", "{\"a\": [1, -2.5e+3, true, false, null, \"x\\u00e9\\n\"]}", "0",
                                        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" };
    static const char *const bad[] = { "{", "[1,]", "{\"a\" 1}", "\"\x01\"", "\"\\x\"", "01x", "\"\xff\"",
                                       "\"\xed\xa0\x80\"", "\"\xe0\x80\x80\"", "\"\xf4\x90\x80\x80\"", "[] []", "nan" };
    size_t at;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(json_invalid(good[i], strlen(good[i]), &at) == NULL, "validator rejects good document %zu", i);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(json_invalid(bad[i], strlen(bad[i]), &at) != NULL, "validator accepts bad document %zu", i);
}
END_TEST

/* ---- json.c directly ---- */

typedef struct memout { char *buf; size_t len; FILE *f; } memout_t;

static void mo_open(memout_t *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    ck_assert_ptr_nonnull(m->f);
}

static void mo_close(memout_t *m) { ck_assert_int_eq(fclose(m->f), 0); m->f = NULL; }

/* Writes one string value with the compact writer and returns the text. */
static char *json_string_of(const char *s, size_t n)
{
    memout_t m;
    mo_open(&m);
    lt_json_t j;
    lt_json_init(&j, m.f, 0);
    lt_json_strn(&j, NULL, s, n);
    mo_close(&m);
    return m.buf;
}

static void check_string_escape(const char *in, size_t n, const char *want)
{
    char *got = json_string_of(in, n);
    ck_assert_msg(strcmp(got, want) == 0, "escaped as %s, want %s", got, want);
    size_t at;
    const char *why = json_invalid(got, strlen(got), &at);
    ck_assert_msg(why == NULL, "output %s is not valid JSON: %s at byte %zu", got, why, at);
    free(got);
}

START_TEST(test_json_escapes_specials_and_controls)
{
    check_string_escape("plain", 5, "\"plain\"");
    check_string_escape("", 0, "\"\"");
    check_string_escape("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
    check_string_escape("C:\\dir\\file", 11, "\"C:\\\\dir\\\\file\"");
    check_string_escape("a\nb\tc\rd", 7, "\"a\\nb\\tc\\rd\"");
    check_string_escape("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
    check_string_escape("nul\0inside", 10, "\"nul\\u0000inside\"");
    check_string_escape("/path/ok", 8, "\"/path/ok\"");
}
END_TEST

START_TEST(test_json_invalid_utf8_bytes_escaped)
{
    /* valid sequences pass through */
    check_string_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* stray bytes become \u00XX */
    check_string_escape("\x80", 1, "\"\\u0080\"");
    check_string_escape("\xff", 1, "\"\\u00ff\"");
    check_string_escape("a\xc3", 2, "\"a\\u00c3\"");                   /* cut at the end */
    check_string_escape("\xc3(", 2, "\"\\u00c3(\"");                   /* bad continuation */
    check_string_escape("\xe2\x82", 2, "\"\\u00e2\\u0082\"");           /* 3-byte sequence cut short */
    check_string_escape("\xc0\xaf", 2, "\"\\u00c0\\u00af\"");           /* overlong 2-byte '/' */
    check_string_escape("\xc1\xbf", 2, "\"\\u00c1\\u00bf\"");
    check_string_escape("\xf0\x9f\x98", 3, "\"\\u00f0\\u009f\\u0098\"");
    check_string_escape("x\xfe\xfey", 4, "\"x\\u00fe\\u00fey\"");
}
END_TEST

START_TEST(test_json_escapes_utf8_lookalikes)
{
    /* BUG (reported): json.c's UTF-8 check looks only at the lead byte's
     * range and the continuation bytes' top bits. It passes through, raw:
     *  - lead bytes 0xf5..0xff (never valid; taken for 3-byte leads),
     *  - overlong 3- and 4-byte forms (e0 80..9f, f0 80..8f),
     *  - UTF-16 surrogates (ed a0..bf),
     *  - code points above U+10FFFF (f4 90..bf).
     * The output is then not valid UTF-8, so strict JSON readers reject the
     * whole report (e.g. Python's json.loads on the bytes), against json.c's
     * promise that "the output always parses". Each byte should be escaped
     * as \u00XX like other invalid bytes. */
    static const struct { const char *in; size_t n; const char *want; } cases[] = {
        { "\xf8\x88\x80", 3, "\"\\u00f8\\u0088\\u0080\"" },
        { "\xff\xbf\xbf", 3, "\"\\u00ff\\u00bf\\u00bf\"" },
        { "\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\"" },
        { "\xf0\x80\x80\xaf", 4, "\"\\u00f0\\u0080\\u0080\\u00af\"" },
        { "\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"" },
        { "\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\"" },
    };
    char failures[1024] = "";
    size_t nf = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = json_string_of(cases[i].in, cases[i].n);
        size_t at;
        if (strcmp(got, cases[i].want) != 0 || json_invalid(got, strlen(got), &at) != NULL) {
            size_t used = strlen(failures);
            snprintf(failures + used, sizeof failures - used, " case %zu (input", i);
            for (size_t k = 0; k < cases[i].n; k++) {
                used = strlen(failures);
                snprintf(failures + used, sizeof failures - used, " %02x", (unsigned char)cases[i].in[k]);
            }
            used = strlen(failures);
            snprintf(failures + used, sizeof failures - used, ") written raw;");
            nf++;
        }
        free(got);
    }
    ck_assert_msg(nf == 0, "BUG: %zu of 6 invalid UTF-8 sequences reach the JSON unescaped:%s", nf, failures);
}
END_TEST

START_TEST(test_json_structure)
{
    memout_t m;
    mo_open(&m);
    lt_json_t j;
    lt_json_init(&j, m.f, 0);
    lt_json_begin_obj(&j, NULL);
    lt_json_u64(&j, "max", UINT64_MAX);
    lt_json_i64(&j, "min", INT64_MIN);
    lt_json_f64(&j, "f", 0.5);
    lt_json_bool(&j, "t", 1);
    lt_json_bool(&j, "no", 0);
    lt_json_null(&j, "nothing");
    lt_json_str(&j, "s", NULL);
    lt_json_begin_arr(&j, "empty");
    lt_json_end_arr(&j);
    lt_json_begin_obj(&j, "eo");
    lt_json_end_obj(&j);
    lt_json_begin_arr(&j, "list");
    lt_json_u64(&j, NULL, 1);
    lt_json_begin_obj(&j, NULL);
    lt_json_str(&j, "k\"ey", "v");
    lt_json_end_obj(&j);
    lt_json_begin_arr(&j, NULL);
    lt_json_end_arr(&j);
    lt_json_end_arr(&j);
    lt_json_end_obj(&j);
    lt_json_finish(&j);
    mo_close(&m);
    static const char want[] =
        "{\"max\":18446744073709551615,\"min\":-9223372036854775808,\"f\":0.5,\"t\":true,\"no\":false,"
        "\"nothing\":null,\"s\":null,\"empty\":[],\"eo\":{},\"list\":[1,{\"k\\\"ey\":\"v\"},[]]}\n";
    ck_assert_str_eq(m.buf, want);
    free(m.buf);

    /* the pretty form of the same kind of document also parses */
    mo_open(&m);
    lt_json_init(&j, m.f, 1);
    lt_json_begin_obj(&j, NULL);
    lt_json_begin_arr(&j, "a");
    for (int i = 0; i < 3; i++) {
        lt_json_begin_obj(&j, NULL);
        lt_json_i64(&j, "i", -i);
        lt_json_begin_arr(&j, "e");
        lt_json_end_arr(&j);
        lt_json_end_obj(&j);
    }
    lt_json_end_arr(&j);
    lt_json_begin_obj(&j, "o");
    lt_json_end_obj(&j);
    lt_json_end_obj(&j);
    lt_json_finish(&j);
    mo_close(&m);
    size_t at;
    const char *why = json_invalid(m.buf, m.len, &at);
    ck_assert_msg(why == NULL, "pretty output is not JSON (%s at %zu):\n%s", why, at, m.buf);
    ck_assert_msg(strstr(m.buf, "\"a\": [") != NULL, "pretty output: %s", m.buf);
    free(m.buf);
}
END_TEST

/* ---- the JSON report ---- */

START_TEST(test_report_json_output)
{
    lt_symbolizer_t *sym = sym_open_here();
    lt_replay_t *rp = replay_begin();
    ut_buf_t b = { 0 };
    ut_buf_kv(&b, "pid", "31337", 5);
    ut_buf_kv(&b, "ppid", "1", 1);
    static const char exe[] = "/tmp/we\"ird\\dir/new\nline\xff";
    ut_buf_kv(&b, "exe", exe, sizeof exe - 1);
    ut_buf_kv(&b, "argv", "prog\0--name=\"q\"\0tab\there\0", 25);
    lt_rec_t pr = { .type = LT_REC_PROCESS, .payload = b.p, .len = b.len };
    feed(rp, pr);
    uint64_t s0[2] = { IP(report_site_alpha), IP(report_site_beta) }, s1[1] = { 0xdead0 }, s2[1] = { FAKE_LDSO + 8 };
    def_stack(rp, 0, 0, s0, 2);
    def_stack(rp, 1, 0, s1, 1);
    def_stack(rp, 2, 0, s2, 1);
    blocks(rp, 0, 2, 100);
    blocks(rp, 1, 1, 7);
    blocks(rp, 2, 1, 4096);
    lt_rec_t fr_unknown = { .type = LT_REC_FREE, .seq = seq_counter++, .addr = 0xbad };
    feed(rp, fr_unknown);
    ut_buf_t e = { 0 };
    ut_buf_varint(&e, LT_END_EXIT);
    ut_buf_varint(&e, lt_zigzag(3));
    ut_buf_varint(&e, 2500000000ull);
    ut_buf_varint(&e, seq_counter);
    ut_buf_varint(&e, 0);
    lt_rec_t end = { .type = LT_REC_END, .payload = e.p, .len = e.len };
    feed(rp, end);
    lt_replay_finish(rp);
    lt_report_t *r = build(rp, sym, 0);

    memout_t m;
    mo_open(&m);
    lt_output_report_json(m.f, r);
    mo_close(&m);
    size_t at;
    const char *why = json_invalid(m.buf, m.len, &at);
    ck_assert_msg(why == NULL, "the JSON report does not parse: %s at byte %zu:\n%.*s<<HERE>>%s", why, at, (int)at,
                  m.buf, m.buf + at);
    static const char *const want[] = {
        "\"leaks\": [",
        "\"process\": {",
        "\"pid\": 31337",
        "\"exe\": \"/tmp/we\\\"ird\\\\dir/new\\nline\\u00ff\"",
        "\"--name=\\\"q\\\"\"",
        "\"tab\\there\"",
        "\"complete\": true",
        "\"how\": \"exit\"",
        "\"status\": 3",
        "\"allocations\": 7",
        "\"frees\": 3",
        "\"leaked_bytes\": 207",
        "\"leaked_blocks\": 3",
        "\"suppressed\": {",
        "\"bytes\": 4096",
        "\"function\": \"report_site_alpha\"",
        "\"function\": \"report_site_beta\"",
        "\"function\": null",
        "\"module\": null",
        "\"address\": \"0xdead0\"",
        "\"unknown_frees\": 1",
        "\"truncated\": false",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(m.buf, want[i]) != NULL, "JSON report lacks %s:\n%s", want[i], m.buf);
    ck_assert_msg(m.len > 0 && m.buf[m.len - 1] == '\n', "the JSON report should end with a newline");
    /* leaks in report order: the 200-byte site before the 7-byte one */
    const char *big = strstr(m.buf, "report_site_alpha"), *small = strstr(m.buf, "0xdead0");
    ck_assert_msg(big && small && big < small, "the 200-byte site should be listed before the 7-byte one");
    free(m.buf);

    /* the same report as text mentions the sites (smoke test) */
    mo_open(&m);
    lt_text_opts_t to = { 0 };
    lt_output_report_text(m.f, r, &to);
    mo_close(&m);
    ck_assert_msg(strstr(m.buf, "report_site_alpha") && strstr(m.buf, "report_site_beta"), "text report:\n%s", m.buf);
    free(m.buf);

    ut_buf_free(&b);
    ut_buf_free(&e);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_json_incomplete_trace)
{
    lt_symbolizer_t *sym = lt_sym_open(NULL, 0, 0, NULL, NULL);
    lt_replay_t *rp = replay_begin();
    blocks(rp, LT_STACK_NONE, 1, 5);
    lt_replay_finish(rp);
    lt_report_t *r = build(rp, sym, 0);
    memout_t m;
    mo_open(&m);
    lt_output_report_json(m.f, r);
    mo_close(&m);
    size_t at;
    const char *why = json_invalid(m.buf, m.len, &at);
    ck_assert_msg(why == NULL, "JSON does not parse: %s at %zu:\n%s", why, at, m.buf);
    ck_assert_msg(strstr(m.buf, "\"complete\": false") && strstr(m.buf, "\"end\": null") &&
                  strstr(m.buf, "\"exe\": null") && strstr(m.buf, "\"argv\": []") && strstr(m.buf, "\"stack\": []"),
                  "JSON for an incomplete trace without process record:\n%s", m.buf);
    free(m.buf);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST


/* ---- reachability kinds (REACH / REACHBLK records from the exit scan) ---- */

static void feed_kinds(lt_replay_t *rp, const uint64_t *addr, const int *kind, const uint64_t *ind, size_t n)
{
    ut_buf_t b = { 0 };
    ut_buf_varint(&b, n);
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        ut_buf_varint(&b, (addr[i] - prev) << 2 | (uint64_t)kind[i]);
        if (kind[i] == LT_KIND_DEFINITE) ut_buf_varint(&b, ind[i]);
        prev = addr[i];
    }
    lt_rec_t r = { .type = LT_REC_REACHBLK, .payload = b.p, .len = b.len };
    feed(rp, r);
    ut_buf_free(&b);
}

static void feed_summary(lt_replay_t *rp, unsigned status, int how)
{
    ut_buf_t b = { 0 };
    ut_buf_varint(&b, status);
    ut_buf_varint(&b, (uint64_t)how);
    for (int i = 0; i < 6 + 8; i++) ut_buf_varint(&b, 100 + (uint64_t)i);
    lt_rec_t r = { .type = LT_REC_REACH, .payload = b.p, .len = b.len };
    feed(rp, r);
    ut_buf_free(&b);
}

#define BLK(k) (0x10000ull + 0x1000ull * (k))

/* Stack 0: two blocks (50 each): one definitely lost holding 80 bytes
 * indirectly, one still reachable. Stack 1: three blocks (20 each): two
 * indirectly lost, one possibly lost. Stack 2: one block (80): the scan
 * has no kind for it. */
static lt_replay_t *kinds_replay(lt_symbolizer_t **sym, int with_summary)
{
    *sym = lt_sym_open(NULL, 0, 0, NULL, NULL);
    ck_assert_ptr_nonnull(*sym);
    lt_replay_t *rp = replay_begin();
    uint64_t a[1] = { 0x401000 }, b[1] = { 0x402000 }, c[1] = { 0x403000 };
    def_stack(rp, 0, 0, a, 1);
    def_stack(rp, 1, 0, b, 1);
    def_stack(rp, 2, 0, c, 1);
    blocks(rp, 0, 2, 50);            /* BLK(1), BLK(2); BLK(3) freed */
    blocks(rp, 1, 3, 20);            /* BLK(4..6); BLK(7) freed */
    blocks(rp, 2, 1, 80);            /* BLK(8); BLK(9) freed */
    static const uint64_t addr[] = { BLK(1), BLK(2), BLK(4), BLK(5), BLK(6) };
    static const int kind[] = { LT_KIND_DEFINITE, LT_KIND_REACHABLE, LT_KIND_INDIRECT, LT_KIND_INDIRECT, LT_KIND_POSSIBLE };
    static const uint64_t ind[] = { 40, 0, 0, 0, 0 };
    feed_kinds(rp, addr, kind, ind, 2);          /* two records, as the tracer splits them */
    feed_kinds(rp, addr + 2, kind + 2, ind + 2, 3);
    if (with_summary) feed_summary(rp, LT_SCAN_RAN, LT_END_EXIT);
    lt_replay_finish(rp);
    return rp;
}

START_TEST(test_report_kinds_default)
{
    lt_symbolizer_t *sym;
    lt_replay_t *rp = kinds_replay(&sym, 1);
    ck_assert(lt_replay_has_kinds(rp));
    uint64_t ind = 0;
    ck_assert_int_eq(lt_replay_block_kind(rp, BLK(1), &ind), LT_KIND_DEFINITE);
    ck_assert_uint_eq(ind, 40);
    ck_assert_int_eq(lt_replay_block_kind(rp, BLK(6), NULL), LT_KIND_POSSIBLE);
    ck_assert_int_eq(lt_replay_block_kind(rp, BLK(8), NULL), -1);
    ck_assert_int_eq(lt_replay_block_kind(rp, BLK(3), NULL), -1);
    ck_assert_uint_eq(rp->reach.blocks, 100);
    ck_assert_uint_eq(rp->reach.kind_bytes[3], 113);   /* the 14th number after status and how */

    lt_report_t *r = build(rp, sym, 0);
    ck_assert(r->have_kinds);
    /* Listed: definite (stack 0), indirect (stack 1), and the unclassified
     * block (stack 2, "not freed": always a leak). */
    ck_assert_uint_eq(r->nleaks, 3);
    ck_assert_int_eq(r->leaks[0].kind, LT_KIND_DEFINITE);
    ck_assert_uint_eq(r->leaks[0].bytes, 50);
    ck_assert_uint_eq(r->leaks[0].blocks, 1);
    ck_assert_uint_eq(r->leaks[0].indirect_bytes, 40);
    ck_assert_int_eq(r->leaks[1].kind, LT_KIND_INDIRECT);
    ck_assert_uint_eq(r->leaks[1].bytes, 40);
    ck_assert_uint_eq(r->leaks[1].blocks, 2);
    ck_assert_int_eq(r->leaks[2].kind, LT_LEAK_NOT_FREED);
    ck_assert_uint_eq(r->leaks[2].bytes, 80);
    ck_assert_uint_eq(r->leak_bytes, 170);
    ck_assert_uint_eq(r->leak_blocks, 4);
    ck_assert_uint_eq(r->kind_bytes[LT_KIND_REACHABLE], 50);
    ck_assert_uint_eq(r->kind_blocks[LT_KIND_POSSIBLE], 1);
    ck_assert_uint_eq(r->kind_bytes[LT_KIND_POSSIBLE], 20);
    ck_assert_uint_eq(r->kind_blocks[LT_LEAK_NOT_FREED], 1);

    memout_t m;
    mo_open(&m);
    lt_text_opts_t to = { 0 };
    lt_output_report_text(m.f, r, &to);
    mo_close(&m);
    ck_assert_msg(strstr(m.buf, "90 (50 direct, 40 indirect) bytes in 1 block is definitely lost"), "%s", m.buf);
    ck_assert_msg(strstr(m.buf, "40 bytes in 2 blocks are indirectly lost"), "%s", m.buf);
    ck_assert_msg(strstr(m.buf, "  still reachable: 50 bytes in 1 block (not listed; --show-reachable lists them)"), "%s", m.buf);
    ck_assert_msg(strstr(m.buf, "unclassified: 80 bytes in 1 block the scan did not see"), "%s", m.buf);
    ck_assert_msg(!strstr(m.buf, "possibly lost\n"), "%s", m.buf);
    const char *d = strstr(m.buf, "definitely lost ("), *i = strstr(m.buf, "indirectly lost (");
    ck_assert_msg(d && i && d < i, "definitely lost is not listed first:\n%s", m.buf);
    free(m.buf);

    mo_open(&m);
    lt_output_report_json(m.f, r);
    mo_close(&m);
    size_t at;
    ck_assert_msg(json_invalid(m.buf, m.len, &at) == NULL, "the JSON report does not parse at %zu", at);
    ck_assert_msg(strstr(m.buf, "\"kind\": \"definitely_lost\""), "%s", m.buf);
    ck_assert_msg(strstr(m.buf, "\"indirect_bytes\": 40"), "%s", m.buf);
    ck_assert_msg(strstr(m.buf, "\"kind\": \"not_freed\""), "%s", m.buf);
    ck_assert_msg(strstr(m.buf, "\"by_kind\": {"), "%s", m.buf);
    ck_assert_msg(strstr(m.buf, "\"status\": \"ran\""), "%s", m.buf);
    free(m.buf);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_kinds_options)
{
    lt_symbolizer_t *sym;
    lt_replay_t *rp = kinds_replay(&sym, 1);
    lt_err_t err = { 0 };
    lt_report_opts_t o = { 0 };
    o.show = LT_KINDS_ALL;
    lt_report_t *r;
    ck_assert_int_eq(lt_report_build(rp, sym, &o, &r, &err), 0);
    ck_assert_uint_eq(r->nleaks, 5);            /* every kind listed */
    ck_assert_uint_eq(r->leak_bytes, 170);      /* still only definite + indirect + unclassified count */
    ck_assert_int_eq(r->leaks[2].kind, LT_KIND_POSSIBLE);
    ck_assert_int_eq(r->leaks[3].kind, LT_KIND_REACHABLE);
    ck_assert(!lt_report_counts(r, &r->leaks[3]));
    lt_report_free(r);

    unsigned mask = 0;
    ck_assert_int_eq(lt_leak_kinds_parse("possible,reachable", &mask), 0);
    ck_assert_uint_eq(mask, LT_KINDS_MASK(LT_KIND_POSSIBLE) | LT_KINDS_MASK(LT_KIND_REACHABLE));
    ck_assert_int_eq(lt_leak_kinds_parse("definitely_lost,indirect", &mask), 0);
    ck_assert_uint_eq(mask, LT_KINDS_DEFAULT);
    ck_assert_int_eq(lt_leak_kinds_parse("all", &mask), 0);
    ck_assert_uint_eq(mask, LT_KINDS_ALL);
    ck_assert_int_eq(lt_leak_kinds_parse("definite,", &mask), -1);
    ck_assert_int_eq(lt_leak_kinds_parse("lost", &mask), -1);
    ck_assert_int_eq(lt_leak_kinds_parse("", &mask), -1);

    o.show = 0;
    o.kinds = LT_KINDS_MASK(LT_KIND_REACHABLE);
    ck_assert_int_eq(lt_report_build(rp, sym, &o, &r, &err), 0);
    ck_assert_uint_eq(r->nleaks, 2);            /* reachable, and the unclassified block */
    ck_assert_uint_eq(r->leak_bytes, 130);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

/* Kinds without a summary saying the scan ran (a trace cut before it), or
 * with one saying it did not: every live block is "not freed". */
START_TEST(test_report_kinds_need_a_scan)
{
    lt_symbolizer_t *sym;
    lt_replay_t *rp = kinds_replay(&sym, 0);
    ck_assert(!lt_replay_has_kinds(rp));
    lt_report_t *r = build(rp, sym, 0);
    ck_assert(!r->have_kinds);
    ck_assert_uint_eq(r->leak_bytes, 100 + 60 + 80);
    for (size_t i = 0; i < r->nleaks; i++) ck_assert_int_eq(r->leaks[i].kind, LT_LEAK_NOT_FREED);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);

    sym = lt_sym_open(NULL, 0, 0, NULL, NULL);
    rp = replay_begin();
    uint64_t a[1] = { 0x401000 };
    def_stack(rp, 0, 0, a, 1);
    blocks(rp, 0, 2, 50);
    feed_summary(rp, LT_SCAN_NOT_AT_EXIT, LT_END_UNDERSCORE_EXIT);
    lt_replay_finish(rp);
    r = build(rp, sym, 0);
    ck_assert_uint_eq(r->leak_bytes, 100);
    memout_t m;
    mo_open(&m);
    lt_text_opts_t to = { 0 };
    lt_output_report_text(m.f, r, &to);
    mo_close(&m);
    ck_assert_msg(strstr(m.buf, "reachability at exit: not scanned: the process did not end through exit() (it called _exit())"),
                  "%s", m.buf);
    free(m.buf);
    lt_report_free(r);
    lt_replay_free(rp);
    lt_sym_close(sym);
}
END_TEST

START_TEST(test_report_kinds_corrupt)
{
    lt_replay_t *rp = replay_begin();
    static const unsigned char bad[] = { 5, 0x84 };   /* 5 entries promised, a cut varint */
    lt_rec_t r = { .type = LT_REC_REACHBLK, .payload = bad, .len = sizeof bad };
    lt_err_t err = { 0 };
    ck_assert_int_eq(lt_replay_record(rp, &r, &err), -LT_E_CORRUPT);
    static const unsigned char bad2[] = { 0 };        /* a summary cut short */
    lt_rec_t s = { .type = LT_REC_REACH, .payload = bad2, .len = sizeof bad2 };
    ck_assert_int_eq(lt_replay_record(rp, &s, &err), -LT_E_CORRUPT);
    lt_replay_free(rp);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, modules_setup, modules_teardown);
    tcase_add_test(tc, test_report_without_modules_sorted_by_bytes);
    tcase_add_test(tc, test_report_ties_sorted_by_blocks);
    tcase_add_test(tc, test_report_symbolized_frames);
    tcase_add_test(tc, test_report_merges_stacks_that_symbolize_alike);
    tcase_add_test(tc, test_report_many_sites);
    tcase_add_test(tc, test_report_suppresses_loader_allocations);
    tcase_add_test(tc, test_report_removes_tracer_frames_and_startup_below_main);
    tcase_add_test(tc, test_report_truncated_and_unrecorded_stacks);
    tcase_add_test(tc, test_report_empty);
    tcase_add_test(tc, test_is_runtime_rules);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, modules_setup, modules_teardown);
    tcase_add_test(tc, test_json_validator_self_check);
    tcase_add_test(tc, test_json_escapes_specials_and_controls);
    tcase_add_test(tc, test_json_invalid_utf8_bytes_escaped);
    tcase_add_test(tc, test_json_escapes_utf8_lookalikes);
    tcase_add_test(tc, test_json_structure);
    tcase_add_test(tc, test_report_json_output);
    tcase_add_test(tc, test_report_json_incomplete_trace);
    tcase_add_test(tc, test_report_kinds_default);
    tcase_add_test(tc, test_report_kinds_options);
    tcase_add_test(tc, test_report_kinds_need_a_scan);
    tcase_add_test(tc, test_report_kinds_corrupt);
    suite_add_tcase(s, tc);
    return s;
}

#ifdef LT_STANDALONE_TEST
int main(void)
{
    SRunner *sr = srunner_create(report_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
