/*
 * test_suppress.c - unit tests of analyzer/suppress.c (the suppressions
 * file: parsing, its errors with file:line, LeakSanitizer-style pattern
 * matching against symbolized frames and profile frames, the per-rule
 * counts), and of the replay addition per-test attribution rests on
 * (analyzer/replay.c: the mark hook and lt_replay_live_since), fed record
 * by record. Exports suppress_suite().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt_format.h"
#include "profile.h"
#include "replay.h"
#include "suppress.h"
#include "unit_helpers.h"

Suite *suppress_suite(void);

static lt_supp_t *parse_ok(const char *text)
{
    lt_supp_t *s = lt_supp_new();
    ck_assert_ptr_nonnull(s);
    lt_err_t err = { 0 };
    int rc = lt_supp_parse(s, "supp.txt", text, strlen(text), &err);
    ck_assert_msg(rc == 0, "parse failed: %s", err.msg);
    return s;
}

/* Parsing text[0..len) must fail with LT_E_USAGE and a message starting
 * with want. */
static void parse_fails_n(const char *text, size_t len, const char *want)
{
    lt_supp_t *s = lt_supp_new();
    lt_err_t err = { 0 };
    int rc = lt_supp_parse(s, "supp.txt", text, len, &err);
    ck_assert_int_eq(rc, -LT_E_USAGE);
    ck_assert_int_eq(err.code, LT_E_USAGE);
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "message '%s', want it to start with '%s'", err.msg, want);
    ck_assert_uint_eq(s->nrules, 0);
    lt_supp_free(s);
}

static void parse_fails(const char *text, const char *want) { parse_fails_n(text, strlen(text), want); }

/* ---- parsing ---- */

START_TEST(test_parse_kinds_comments_blanks)
{
    lt_supp_t *s = parse_ok("# known leaks\n"
                            "\n"
                            "leak:leak_small\n"
                            "   leak:  libfoo.so  \r\n"
                            "\t# indented comment\n"
                            "thread:worker_*\n"
                            "growth:^grow_cache$\n"
                            "leak:*");   /* no final newline */
    ck_assert_uint_eq(s->nrules, 5);
    ck_assert_int_eq(s->rules[0].kind, LT_SUPP_LEAK);
    ck_assert_str_eq(s->rules[0].pattern, "leak_small");
    ck_assert_uint_eq(s->rules[0].line, 3);
    ck_assert_str_eq(s->rules[1].pattern, "libfoo.so");
    ck_assert_uint_eq(s->rules[1].line, 4);
    ck_assert_int_eq(s->rules[2].kind, LT_SUPP_THREAD);
    ck_assert_str_eq(s->rules[2].pattern, "worker_*");
    ck_assert_uint_eq(s->rules[2].line, 6);
    ck_assert_int_eq(s->rules[3].kind, LT_SUPP_GROWTH);
    ck_assert_str_eq(s->rules[3].pattern, "^grow_cache$");
    ck_assert_str_eq(s->rules[4].pattern, "*");
    ck_assert_uint_eq(s->rules[4].line, 8);
    ck_assert_str_eq(s->rules[0].file, "supp.txt");
    ck_assert_uint_eq(lt_supp_count(s, LT_SUPP_ALL), 5);
    ck_assert_uint_eq(lt_supp_count(s, LT_SUPP_MASK(LT_SUPP_LEAK)), 3);
    ck_assert_uint_eq(lt_supp_count(s, LT_SUPP_MASK(LT_SUPP_THREAD) | LT_SUPP_MASK(LT_SUPP_GROWTH)), 2);
    ck_assert_str_eq(lt_supp_kind_name(LT_SUPP_GROWTH), "growth");
    lt_supp_free(s);
}
END_TEST

START_TEST(test_parse_empty_file)
{
    lt_supp_t *s = parse_ok("");
    ck_assert_uint_eq(s->nrules, 0);
    lt_supp_free(s);
    s = parse_ok("# nothing\n\n   \n");
    ck_assert_uint_eq(s->nrules, 0);
    lt_supp_free(s);
}
END_TEST

START_TEST(test_parse_errors_name_the_line)
{
    parse_fails("leak:a\nleak_without_colon\n", "supp.txt:2: 'leak_without_colon' is not KIND:PATTERN");
    parse_fails("# c\n\nrace:foo\n", "supp.txt:3: unknown suppression kind 'race'");
    parse_fails("leak:\n", "supp.txt:1: leak: needs a pattern");
    parse_fails("leak:ok\nthread:   \n", "supp.txt:2: thread: needs a pattern");
    parse_fails("growth:^\n", "supp.txt:1: growth: needs a pattern");
    parse_fails("leak:^$\n", "supp.txt:1: leak: needs a pattern");
    parse_fails("Leak:foo\n", "supp.txt:1: unknown suppression kind 'Leak'");
    parse_fails_n("leak:a\0b\n", 9, "supp.txt:1: a NUL byte");
}
END_TEST

START_TEST(test_parse_error_keeps_earlier_files)
{
    lt_supp_t *s = parse_ok("leak:one\n");
    lt_err_t err = { 0 };
    const char *bad = "leak:two\nnope\n";
    ck_assert_int_eq(lt_supp_parse(s, "second.supp", bad, strlen(bad), &err), -LT_E_USAGE);
    ck_assert_str_eq(err.msg, "second.supp:2: 'nope' is not KIND:PATTERN (use leak:PATTERN, thread:PATTERN or growth:PATTERN; # starts a comment)");
    ck_assert_uint_eq(s->nrules, 1);
    ck_assert_uint_eq(s->nfiles, 1);
    const char *good = "thread:t\n";
    ck_assert_int_eq(lt_supp_parse(s, "third.supp", good, strlen(good), &err), 0);
    ck_assert_uint_eq(s->nrules, 2);
    ck_assert_str_eq(s->rules[1].file, "third.supp");
    lt_supp_free(s);
}
END_TEST

START_TEST(test_load_file)
{
    char *dir = ut_tmpdir_create();
    char *path = ut_path(dir, "app.supp");
    const char *text = "leak:a\n\nthread:b\nbad line\n";
    ut_write_file(path, text, strlen(text));
    lt_supp_t *s = lt_supp_new();
    lt_err_t err = { 0 };
    ck_assert_int_eq(lt_supp_load(s, path, &err), -LT_E_USAGE);
    char want[600];
    snprintf(want, sizeof want, "%s:4: 'bad line' is not KIND:PATTERN", path);
    ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got '%s'", err.msg);
    ut_write_file(path, text, 17);   /* the first three lines */
    ck_assert_int_eq(lt_supp_load(s, path, &err), 0);
    ck_assert_uint_eq(s->nrules, 2);
    ck_assert_str_eq(s->rules[1].file, path);
    free(path);
    path = ut_path(dir, "missing.supp");
    ck_assert_int_eq(lt_supp_load(s, path, &err), -LT_E_IO);
    ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "No such file"), "got '%s'", err.msg);
    ck_assert_uint_eq(s->nrules, 2);
    free(path);
    lt_supp_free(s);
    ut_tmpdir_remove(dir);
}
END_TEST

/* ---- patterns ---- */

START_TEST(test_pattern_semantics)
{
    static const struct { const char *pat, *str; int want; } cases[] = {
        { "foo", "foo", 1 },          { "foo", "xfooy", 1 },       { "foo", "fo", 0 },
        { "^foo", "foobar", 1 },      { "^foo", "xfoo", 0 },       { "bar$", "foobar", 1 },
        { "bar$", "barx", 0 },        { "^foo$", "foo", 1 },       { "^foo$", "foox", 0 },
        { "^foo$", "xfoo", 0 },       { "f*o", "fxxo", 1 },        { "f*o", "xxfyyozz", 1 },
        { "a*b*c", "aXbYc", 1 },      { "a*b*c", "acb", 0 },       { "^a*c$", "abbbc", 1 },
        { "^a*c$", "abbbcd", 0 },     { "*", "x", 1 },             { "**", "x", 1 },
        { "foo$", "foofoo", 1 },      /* LeakSanitizer's first-match scan misses this one */
        { "Foo", "foo", 0 },          /* case matters */
        { "vector<*>::push", "std::vector<int, std::allocator<int> >::push_back(int const&)", 1 },
        { "libc.so", "/lib/x86_64-linux-gnu/libc.so.6", 1 },
        { "^/usr/lib/", "/usr/lib/x86_64-linux-gnu/libfoo.so.1", 1 },
        { "leaky.c", "/work/tests/ci/leaky.c", 1 },
        { "a$b", "xa$by", 1 },        /* '$' inside is literal */
        { "x^y", "x^y", 1 },          /* '^' inside too */
        { "foo", "", 0 },             /* empty names never match */
        { "*", "", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(lt_supp_pattern_match(cases[i].pat, cases[i].str) == cases[i].want, "'%s' against '%s': want %d",
                      cases[i].pat, cases[i].str, cases[i].want);
    ck_assert_int_eq(lt_supp_pattern_match("foo", NULL), 0);
    ck_assert_int_eq(lt_supp_pattern_match(NULL, "foo"), 0);
}
END_TEST

/* ---- matching stacks ---- */

static const lt_symframe_t frames[] = {
    { "__strdup", "./string/strdup.c", 42, "/lib/x86_64-linux-gnu/libc.so.6", 0x7f0000001234, 0x1234, 0 },
    { "intern_key", "/src/app/keys.c", 31, "/opt/app/bin/server", 0x55000000a000, 0xa000, 1 },
    { "load_config", "/src/app/config.c", 56, "/opt/app/bin/server", 0x55000000b000, 0xb000, 0 },
    { NULL, NULL, 0, "/opt/app/lib/libplugin.so", 0x7f0000100000, 0x100, 0 },
    { NULL, NULL, 0, NULL, 0xdeadbeef, 0, 0 },
};
#define NFRAMES (sizeof frames / sizeof frames[0])

START_TEST(test_match_function_file_module)
{
    lt_supp_t *s = parse_ok("thread:intern_key\n"      /* 0: other kind */
                            "growth:intern_key\n"      /* 1: other kind */
                            "leak:nothing_like_it\n"   /* 2 */
                            "leak:^load_config$\n"     /* 3: a function, anchored */
                            "leak:intern\n");          /* 4: also matches, but later */
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_LEAK, frames, NFRAMES, NULL), 3);
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_THREAD, frames, NFRAMES, NULL), 0);
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_GROWTH, frames, NFRAMES, NULL), 1);
    /* Only the innermost frame: load_config is not in it. */
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_LEAK, frames, 2, NULL), 4);
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_LEAK, frames, 1, NULL), -1);
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_LEAK, frames, 0, NULL), -1);
    ck_assert_int_eq(lt_supp_match(NULL, LT_SUPP_LEAK, frames, NFRAMES, NULL), -1);
    lt_supp_free(s);

    s = parse_ok("leak:config.c\nleak:libplugin\nleak:^/opt/app/bin/server$\nleak:strdup.c\n");
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_LEAK, frames + 2, 1, NULL), 0);   /* file */
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_LEAK, frames + 3, 2, NULL), 1);   /* module of a frame without symbol */
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_LEAK, frames + 1, 1, NULL), 2);   /* module path, anchored */
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_LEAK, frames, 1, NULL), 3);
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_LEAK, frames + 4, 1, NULL), -1);  /* nothing known */
    lt_supp_free(s);
}
END_TEST

START_TEST(test_match_thread_start_routine)
{
    lt_supp_t *s = parse_ok("thread:^worker_main$\n");
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_THREAD, frames + 4, 1, "worker_main"), 0);
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_THREAD, frames + 4, 1, "worker_main2"), -1);
    ck_assert_int_eq(lt_supp_match(s, LT_SUPP_THREAD, frames, NFRAMES, NULL), -1);
    lt_supp_free(s);
}
END_TEST

START_TEST(test_counts_accumulate_and_reset)
{
    lt_supp_t *s = parse_ok("leak:a\nthread:b\ngrowth:c\n");
    lt_supp_hit_leak(s, 0, 100, 2);
    lt_supp_hit_leak(s, 0, 50, 1);
    lt_supp_hit_thread(s, 1, 3);
    lt_supp_hit_growth(s, 2);
    lt_supp_hit_growth(s, 2);
    lt_supp_hit_leak(s, -1, 1, 1);   /* no rule: ignored */
    lt_supp_hit_leak(s, 7, 1, 1);
    lt_supp_hit_leak(NULL, 0, 1, 1);
    ck_assert_uint_eq(s->rules[0].sites, 2);
    ck_assert_uint_eq(s->rules[0].bytes, 150);
    ck_assert_uint_eq(s->rules[0].blocks, 3);
    ck_assert_uint_eq(s->rules[1].alerts, 1);
    ck_assert_uint_eq(s->rules[1].threads, 3);
    ck_assert_uint_eq(s->rules[2].suspects, 2);
    lt_supp_reset_counts(s);
    ck_assert_uint_eq(s->rules[0].sites + s->rules[0].bytes + s->rules[1].alerts + s->rules[2].suspects, 0);
    lt_supp_free(s);
}
END_TEST

START_TEST(test_match_profile_frames)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    lt_pmodule_t m = { 0 };
    m.path = lt_profile_str(p, "/srv/bin/app");
    uint32_t app = lt_profile_add_module(p, &m);
    m.path = lt_profile_str(p, "/usr/lib/libcache.so.2");
    uint32_t lib = lt_profile_add_module(p, &m);
    lt_pframe_t f[3] = {
        { lt_profile_str(p, "grow_cache"), lt_profile_str(p, "/src/cache.c"), 17, lib, 0x1000, 0 },
        { NULL, NULL, 0, app, 0x2000, 0 },
        { NULL, NULL, 0, LT_PMOD_NONE, 0x3000, 0 },
    };
    lt_supp_t *s = parse_ok("growth:libcache\ngrowth:^/srv/bin/app$\ngrowth:cache.c\n");
    ck_assert_int_eq(lt_supp_match_profile(s, LT_SUPP_GROWTH, p, f, 3), 0);
    ck_assert_int_eq(lt_supp_match_profile(s, LT_SUPP_GROWTH, p, f + 1, 2), 1);
    ck_assert_int_eq(lt_supp_match_profile(s, LT_SUPP_GROWTH, p, f + 2, 1), -1);
    ck_assert_int_eq(lt_supp_match_profile(s, LT_SUPP_LEAK, p, f, 3), -1);
    lt_supp_free(s);
    lt_profile_free(p);
}
END_TEST

/* ---- per-test attribution in the replay ---- */

static void feed(lt_replay_t *rp, const lt_rec_t *r)
{
    lt_err_t err = { 0 };
    int rc = lt_replay_record(rp, r, &err);
    ck_assert_msg(rc == 0, "record 0x%02x: %s", r->type, err.msg);
}

static void feed_mark(lt_replay_t *rp, uint64_t seq, const char *label)
{
    ut_buf_t b = { 0 };
    ut_buf_varint(&b, seq);
    ut_buf_varint(&b, 1000 * seq);
    ut_buf_varint(&b, 7);
    ut_buf_lstr(&b, label, strlen(label));
    lt_rec_t r = { .type = LT_REC_MARK, .payload = b.p, .len = b.len, .offset = 0 };
    feed(rp, &r);
    ut_buf_free(&b);
}

static void feed_alloc(lt_replay_t *rp, uint64_t seq, uint64_t addr, uint64_t size, uint32_t stack)
{
    lt_rec_t r = { .type = LT_REC_ALLOC, .tid = 7, .seq = seq, .ts = 1000 * seq, .addr = addr, .size = size, .stack = stack,
                   .fn = LT_FN_MALLOC };
    feed(rp, &r);
}

static void feed_free(lt_replay_t *rp, uint64_t seq, uint64_t addr)
{
    lt_rec_t r = { .type = LT_REC_FREE, .tid = 7, .seq = seq, .ts = 1000 * seq, .addr = addr };
    feed(rp, &r);
}

typedef struct seen {
    char labels[8][32];
    uint64_t seqs[8];
    uint64_t live_bytes_at[8];
    lt_live_site_t *since[8];
    size_t nsince[8];
    size_t n;
} seen_t;

/* At every mark: the label, the live bytes, and the blocks allocated after
 * the previous mark (after seq 0 for the first). */
static void hook(void *ctx, const lt_replay_t *rp, const lt_mark_t *mk)
{
    seen_t *s = ctx;
    ck_assert_uint_lt(s->n, 8);
    snprintf(s->labels[s->n], sizeof s->labels[0], "%s", mk->label);
    s->seqs[s->n] = mk->seq;
    s->live_bytes_at[s->n] = rp->tot.live_bytes;
    ck_assert_uint_eq(mk->tot.live_bytes, rp->tot.live_bytes);
    uint64_t since = s->n ? s->seqs[s->n - 1] : 0;
    ck_assert_int_eq(lt_replay_live_since(rp, since, &s->since[s->n], &s->nsince[s->n]), 0);
    s->n++;
}

static uint64_t bytes_of(const lt_live_site_t *v, size_t n, uint32_t stack, uint64_t *blocks)
{
    *blocks = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].stack == stack) { *blocks = v[i].blocks; return v[i].bytes; }
    return 0;
}

START_TEST(test_mark_hook_and_live_since)
{
    lt_replay_t *rp = lt_replay_new();
    ck_assert_ptr_nonnull(rp);
    seen_t s;
    memset(&s, 0, sizeof s);
    lt_replay_set_mark_hook(rp, hook, &s);
    /* Records arrive out of order (marks before the events around them):
     * the hook must still see the heap exactly at each mark. */
    feed_mark(rp, 3, "test:begin one");
    feed_mark(rp, 9, "test:end one");
    feed_alloc(rp, 1, 0x100, 10, 0);        /* before the test: not its */
    feed_alloc(rp, 2, 0x200, 20, 1);
    feed_alloc(rp, 4, 0x300, 30, 0);        /* in the test, still live at its end */
    feed_alloc(rp, 5, 0x400, 40, 1);        /* in the test, freed in it */
    feed_free(rp, 6, 0x400);
    feed_free(rp, 7, 0x100);                /* an older block freed during the test */
    lt_rec_t re = { .type = LT_REC_REALLOC, .tid = 7, .seq = 8, .seq2 = 8, .ts = 8000, .addr = 0x200, .addr2 = 0x500,
                    .size = 25, .stack = 2, .fn = LT_FN_REALLOC };
    feed(rp, &re);                          /* a block reallocated in the test is the test's */
    feed_alloc(rp, 10, 0x600, 60, 0);       /* after the test */
    lt_replay_finish(rp);

    ck_assert_uint_eq(s.n, 2);
    ck_assert_str_eq(s.labels[0], "test:begin one");
    ck_assert_str_eq(s.labels[1], "test:end one");
    ck_assert_uint_eq(s.live_bytes_at[0], 30);         /* 10 + 20 */
    ck_assert_uint_eq(s.live_bytes_at[1], 55);         /* 30 + 25 */
    uint64_t blocks;
    ck_assert_uint_eq(s.nsince[1], 2);
    ck_assert_uint_eq(bytes_of(s.since[1], s.nsince[1], 0, &blocks), 30);
    ck_assert_uint_eq(blocks, 1);
    ck_assert_uint_eq(bytes_of(s.since[1], s.nsince[1], 2, &blocks), 25);
    ck_assert_uint_eq(bytes_of(s.since[1], s.nsince[1], 1, &blocks), 0);
    /* After the end: everything live since the start, and since the test's end. */
    lt_live_site_t *v;
    size_t n;
    ck_assert_int_eq(lt_replay_live_since(rp, 0, &v, &n), 0);
    ck_assert_uint_eq(bytes_of(v, n, 0, &blocks), 90);
    ck_assert_uint_eq(blocks, 2);
    free(v);
    ck_assert_int_eq(lt_replay_live_since(rp, 9, &v, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(v[0].stack, 0);
    ck_assert_uint_eq(v[0].bytes, 60);
    free(v);
    ck_assert_int_eq(lt_replay_live_since(rp, 100, &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(v);
    for (size_t i = 0; i < s.n; i++) free(s.since[i]);
    lt_replay_free(rp);
}
END_TEST

Suite *suppress_suite(void)
{
    Suite *s = suite_create("suppress");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_kinds_comments_blanks);
    tcase_add_test(tc, test_parse_empty_file);
    tcase_add_test(tc, test_parse_errors_name_the_line);
    tcase_add_test(tc, test_parse_error_keeps_earlier_files);
    tcase_add_test(tc, test_load_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("match");
    tcase_add_test(tc, test_pattern_semantics);
    tcase_add_test(tc, test_match_function_file_module);
    tcase_add_test(tc, test_match_thread_start_routine);
    tcase_add_test(tc, test_counts_accumulate_and_reset);
    tcase_add_test(tc, test_match_profile_frames);
    suite_add_tcase(s, tc);
    tc = tcase_create("per_test");
    tcase_add_test(tc, test_mark_hook_and_live_since);
    suite_add_tcase(s, tc);
    return s;
}
