/*
 * test_timeline.c - unit tests of analyzer/timeline.c: the CSV and SVG
 * renderings of a replay's time series (leaktrace timeline).
 *
 * Replays are fed record by record with series enabled (1 ms slices), so
 * every slice's content is known by hand. Their stacks point into made-up
 * modules whose files do not exist (frames become "module+0xOFFSET", with
 * module names chosen to need CSV quoting and XML escaping, and a fake libc
 * for runtime sites), or into this test program's own functions (real
 * names and lines, via ut_mods_collect_self). The CSV is compared exactly;
 * the SVG is checked with a small well-formedness checker (balanced tags,
 * quoted attributes, known entities only) and by its content. A random run
 * checks that the site columns and "other" add up to live_bytes on every
 * row, also when slices merge. Exports timeline_suite(). LT_TIMELINE_DUMP=DIR
 * keeps the SVGs (with CK_FORK=no) to look at.
 */
#include <check.h>
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lt_format.h"
#include "replay.h"
#include "symbolize.h"
#include "timeline.h"
#include "unit_helpers.h"

Suite *timeline_suite(void);

#if defined(__clang__)
#define OUT_OF_LINE __attribute__((noinline, optnone))
#else
#define OUT_OF_LINE __attribute__((noinline, noipa))
#endif

static volatile int sink;

/* Functions whose addresses make real stacks; each on one line, whose
 * number the symbolizer will report. */
enum { ALPHA_LINE = __LINE__ }; static OUT_OF_LINE void tl_fn_alpha(void) { sink++; }
enum { BETA_LINE = __LINE__ }; static OUT_OF_LINE void tl_fn_beta(void) { sink += 2; }
enum { GAMMA_LINE = __LINE__ }; static OUT_OF_LINE void tl_fn_gamma(void) { sink += 3; }

#define IP(fn) ((uint64_t)(uintptr_t)(fn) + 1)

/* ---- modules: made-up ones (files missing), optionally this process ---- */

#define FAKE_BASE 0x600000000000ull
#define FAKE_A (FAKE_BASE + 0x000000)   /* libalpha.so */
#define FAKE_Q (FAKE_BASE + 0x100000)   /* a<b>&c"d.so */
#define FAKE_LIBC (FAKE_BASE + 0x200000)
#define FAKE_DUP1 (FAKE_BASE + 0x300000)   /* two libdup.so in other directories */
#define FAKE_DUP2 (FAKE_BASE + 0x400000)

static ut_mods_t tab;

static void add_fake(const char *path, uint64_t base)
{
    lt_module_t *m = ut_mods_push(&tab);
    m->path = strdup(path);
    m->base = base;
    m->seg = malloc(sizeof *m->seg);
    ck_assert_ptr_nonnull(m->path);
    ck_assert_ptr_nonnull(m->seg);
    *m->seg = (lt_segment_t){ .vaddr = 0, .memsz = 0x10000, .prot = PF_R | PF_X };
    m->nseg = 1;
}

static void no_warning(void *ctx, const char *msg) { (void)ctx; (void)msg; }

static lt_symbolizer_t *sym_open(int with_self)
{
    if (with_self) ut_mods_collect_self(&tab);
    add_fake("/nonexistent/lib/libalpha.so", FAKE_A);
    add_fake("/nonexistent/lib/a<b>&c\"d.so", FAKE_Q);
    add_fake("/nonexistent/lib/x86_64-linux-gnu/libc.so.6", FAKE_LIBC);
    add_fake("/nonexistent/a/libdup.so", FAKE_DUP1);
    add_fake("/nonexistent/b/libdup.so", FAKE_DUP2);
    lt_symbolizer_t *s = lt_sym_open(tab.v, tab.n, 0, no_warning, NULL);
    ck_assert_ptr_nonnull(s);
    return s;
}

static void sym_close(lt_symbolizer_t *s)
{
    lt_sym_close(s);
    ut_mods_free(&tab);
}

/* ---- replays ---- */

typedef struct run {
    lt_replay_t *rp;
    uint64_t seq;
} run_t;

static void feed(run_t *r, lt_rec_t rec)
{
    lt_err_t err = { 0 };
    int rc = lt_replay_record(r->rp, &rec, &err);
    ck_assert_msg(rc == 0, "record type 0x%02x: rc %d (%s)", rec.type, rc, err.msg);
}

static void run_begin(run_t *r, uint64_t slice_ns, size_t max_slices)
{
    r->seq = 0;
    r->rp = lt_replay_new();
    ck_assert_ptr_nonnull(r->rp);
    ck_assert_int_eq(lt_replay_enable_series(r->rp, slice_ns, max_slices), 0);
}

static void def_stack(run_t *r, uint32_t id, const uint64_t *ips, uint32_t depth)
{
    ut_buf_t b = { 0 };
    ut_buf_varint(&b, id);
    ut_buf_varint(&b, 0);
    ut_buf_varint(&b, depth);
    for (uint32_t i = 0; i < depth; i++) ut_buf_varint(&b, i == 0 ? ips[0] : lt_zigzag((int64_t)(ips[i] - ips[i - 1])));
    feed(r, (lt_rec_t){ .type = LT_REC_STACK, .payload = b.p, .len = b.len });
    ut_buf_free(&b);
}

static void alloc_at(run_t *r, uint64_t ts, uint64_t addr, uint64_t size, uint32_t stack)
{
    feed(r, (lt_rec_t){ .type = LT_REC_ALLOC, .tid = 1, .seq = r->seq++, .ts = ts, .addr = addr, .size = size,
                        .stack = stack, .fn = LT_FN_MALLOC });
}

static void free_at(run_t *r, uint64_t ts, uint64_t addr)
{
    feed(r, (lt_rec_t){ .type = LT_REC_FREE, .tid = 1, .seq = r->seq++, .ts = ts, .addr = addr });
}

static void mark_at(run_t *r, uint64_t ts, const char *label)
{
    ut_buf_t b = { 0 };
    ut_buf_varint(&b, r->seq++);
    ut_buf_varint(&b, ts);
    ut_buf_varint(&b, 1);
    ut_buf_lstr(&b, label, strlen(label));
    feed(r, (lt_rec_t){ .type = LT_REC_MARK, .payload = b.p, .len = b.len });
    ut_buf_free(&b);
}

static void tick_at(run_t *r, uint64_t ts, uint64_t threads)
{
    ut_buf_t b = { 0 };
    ut_buf_varint(&b, r->seq++);
    ut_buf_varint(&b, ts);
    ut_buf_varint(&b, threads);
    ut_buf_varint(&b, 1 << 20);
    feed(r, (lt_rec_t){ .type = LT_REC_TICK, .payload = b.p, .len = b.len });
    ut_buf_free(&b);
}

#define MS 1000000ull

/* The hand-made run: five stacks, slices of 1 ms.
 *   0 libalpha.so+0x1010   1000 B at 0.1 ms, 1000 B more at 3.5 ms
 *   1 libalpha.so+0x2020   500 B at 1.5 ms, freed at 3.5 ms
 *   2 libalpha.so+0x3030   300 B at 2.5 ms
 *   3 libc.so.6+0x4040     64 B at 2.5 ms (a runtime site)
 *   4 a<b>&c"d.so+0x50     10 B at 4.8 ms
 * A sample with 3 threads at 2.2 ms; marks at 1.2 ms and 3.1 ms.
 * Slice ends: 1 ms 1000 B (1 block), 2 ms 1500 (2), 3 ms 1864 (4),
 * 4 ms 2364 (4), end 4.8 ms 2374 (5). */
static lt_replay_t *hand_run(void)
{
    run_t r;
    run_begin(&r, MS, 200);
    const uint64_t s0[] = { FAKE_A + 0x1010 }, s1[] = { FAKE_A + 0x2020 }, s2[] = { FAKE_A + 0x3030 },
                   s3[] = { FAKE_LIBC + 0x4040 }, s4[] = { FAKE_Q + 0x50 };
    def_stack(&r, 0, s0, 1);
    def_stack(&r, 1, s1, 1);
    def_stack(&r, 2, s2, 1);
    def_stack(&r, 3, s3, 1);
    def_stack(&r, 4, s4, 1);
    alloc_at(&r, MS / 10, 0x10000, 1000, 0);
    mark_at(&r, 12 * MS / 10, "start");
    alloc_at(&r, 15 * MS / 10, 0x20000, 500, 1);
    tick_at(&r, 22 * MS / 10, 3);
    alloc_at(&r, 25 * MS / 10, 0x30000, 300, 2);
    alloc_at(&r, 25 * MS / 10, 0x40000, 64, 3);
    mark_at(&r, 31 * MS / 10, "phase <2> & \"q\"");
    free_at(&r, 35 * MS / 10, 0x20000);
    alloc_at(&r, 35 * MS / 10, 0x50000, 1000, 0);
    alloc_at(&r, 48 * MS / 10, 0x60000, 10, 4);
    lt_replay_finish(r.rp);
    return r.rp;
}

/* Renders into a malloc'd string. With LT_TIMELINE_DUMP=DIR in the
 * environment, SVGs are also written to DIR/timeline-N.svg, to look at. */
static char *render(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_timeline_opts_t *o, int csv)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    lt_err_t err = { 0 };
    int rc = csv ? lt_timeline_csv(rp, sym, o, f, &err) : lt_timeline_svg(rp, sym, o, f, &err);
    ck_assert_msg(rc == 0, "render: rc %d (%s)", rc, err.msg);
    fclose(f);
    const char *dir = getenv("LT_TIMELINE_DUMP");
    if (dir && !csv) {
        static int nth;
        char path[4096];
        snprintf(path, sizeof path, "%s/timeline-%d.svg", dir, ++nth);
        ut_write_file(path, buf, len);
    }
    return buf;
}

/* ---- a small XML well-formedness checker ----
 * Elements balanced, attributes quoted, '<' and '&' in text only as the
 * five predefined entities or character references, one root element. */
static const char *xml_check(const char *s, int *nelems)
{
    static char why[160];
    const char *stack[64];
    size_t lens[64], depth = 0;
    int roots = 0;
    *nelems = 0;
    if (!strncmp(s, "<?xml", 5)) {
        s = strstr(s, "?>");
        if (!s) return "unterminated XML declaration";
        s += 2;
    }
    while (*s) {
        if (*s == '&') {
            static const char *const ents[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#" };
            int ok = 0;
            for (size_t i = 0; i < 6 && !ok; i++) ok = !strncmp(s, ents[i], strlen(ents[i]));
            if (!ok) { snprintf(why, sizeof why, "bad entity at '%.20s'", s); return why; }
            s++;
            continue;
        }
        if (*s == '>') return "raw '>' in text";
        if (*s != '<') { s++; continue; }
        if (s[1] == '/') {
            const char *n = s + 2, *e = n;
            while (*e && *e != '>') e++;
            if (!*e) return "unterminated end tag";
            if (!depth) return "end tag without start tag";
            depth--;
            if ((size_t)(e - n) != lens[depth] || strncmp(n, stack[depth], lens[depth])) {
                snprintf(why, sizeof why, "</%.*s> closes <%.*s>", (int)(e - n), n, (int)lens[depth], stack[depth]);
                return why;
            }
            s = e + 1;
            continue;
        }
        const char *n = ++s;
        while (*s && (*s == '_' || *s == '-' || *s == ':' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9')))
            s++;
        if (s == n) { snprintf(why, sizeof why, "bad tag at '%.20s'", n - 1); return why; }
        size_t nl = (size_t)(s - n);
        for (;;) {
            while (*s == ' ' || *s == '\n') s++;
            if (*s == '/' && s[1] == '>') { s += 2; break; }
            if (*s == '>') {
                if (depth == 64) return "too deep";
                stack[depth] = n;
                lens[depth++] = nl;
                s++;
                break;
            }
            const char *a = s;
            while (*s && *s != '=' && *s != ' ' && *s != '>') s++;
            if (s == a || *s != '=' || s[1] != '"') { snprintf(why, sizeof why, "bad attribute at '%.20s'", a); return why; }
            s += 2;
            while (*s && *s != '"') {
                if (*s == '<') return "'<' in an attribute value";
                s++;
            }
            if (!*s) return "unterminated attribute";
            s++;
        }
        if (depth <= 1) roots += depth == 1 && lens[0] == nl && stack[0] == n;
        ++*nelems;
    }
    if (depth) { snprintf(why, sizeof why, "<%.*s> never closed", (int)lens[depth - 1], stack[depth - 1]); return why; }
    if (roots != 1) return "not exactly one root element";
    return NULL;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

static void assert_svg(const char *svg)
{
    int n;
    const char *why = xml_check(svg, &n);
    ck_assert_msg(why == NULL, "SVG not well-formed: %s", why);
    ck_assert_int_gt(n, 3);
    ck_assert_msg(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL, "no svg root");
}

/* ======================================================================== */

START_TEST(test_csv_exact)
{
    lt_symbolizer_t *sym = sym_open(0);
    lt_replay_t *rp = hand_run();
    ck_assert_ptr_nonnull(rp->series);
    ck_assert_uint_eq(rp->series->nslices, 5);
    lt_timeline_opts_t o = { 2, NULL, 0 };
    char *csv = render(rp, sym, &o, 1);
    /* Top 2 by their highest live bytes: stack 0 (2000), stack 1 (500);
     * other: 300 + 64 (runtime) + 10. */
    ck_assert_str_eq(csv, "time_s,live_bytes,live_blocks,threads,\"libalpha.so+0x1010\",\"libalpha.so+0x2020\",other\n"
                          "0.001000,1000,1,,1000,0,0\n"
                          "0.002000,1500,2,,1000,500,0\n"
                          "0.003000,1864,4,3,1000,500,364\n"
                          "0.004000,2364,4,3,2000,0,364\n"
                          "0.004800,2374,5,3,2000,0,374\n");
    free(csv);

    /* All sites: the runtime one stays in "other"; quotes doubled. */
    o.top = 0;
    csv = render(rp, sym, &o, 1);
    ck_assert_str_eq(csv, "time_s,live_bytes,live_blocks,threads,\"libalpha.so+0x1010\",\"libalpha.so+0x2020\","
                          "\"libalpha.so+0x3030\",\"a<b>&c\"\"d.so+0x50\",other\n"
                          "0.001000,1000,1,,1000,0,0,0,0\n"
                          "0.002000,1500,2,,1000,500,0,0,0\n"
                          "0.003000,1864,4,3,1000,500,300,0,64\n"
                          "0.004000,2364,4,3,2000,0,300,0,64\n"
                          "0.004800,2374,5,3,2000,0,300,10,64\n");
    free(csv);

    /* With runtime sites allowed, the libc site ranks by its 64 bytes. */
    o.include_runtime = 1;
    csv = render(rp, sym, &o, 1);
    ck_assert_msg(strstr(csv, "\"libalpha.so+0x3030\",\"libc.so.6+0x4040\",\"a<b>&c\"\"d.so+0x50\",other\n") != NULL,
                  "runtime column: %s", csv);
    ck_assert_msg(strstr(csv, "\n0.004800,2374,5,3,2000,0,300,64,10,0\n") != NULL, "last row: %s", csv);
    free(csv);

    /* NULL options: the defaults (top 5). */
    csv = render(rp, sym, NULL, 1);
    ck_assert_msg(!strncmp(csv, "time_s,live_bytes,live_blocks,threads,\"libalpha.so+0x1010\",\"libalpha.so+0x2020\","
                                "\"libalpha.so+0x3030\",\"a<b>&c\"\"d.so+0x50\",other\n", 117),
                  "defaults: %s", csv);
    free(csv);
    lt_replay_free(rp);
    sym_close(sym);
}
END_TEST

START_TEST(test_svg_content)
{
    lt_symbolizer_t *sym = sym_open(0);
    lt_replay_t *rp = hand_run();
    lt_timeline_opts_t o = { 5, NULL, 0 };
    char *svg = render(rp, sym, &o, 0);
    assert_svg(svg);
    /* Default title (no PROCESS record: no program, no pid). */
    ck_assert_msg(strstr(svg, "<title>Live heap</title>") != NULL, "title");
    /* Marks: two dashed lines, labels escaped, hover texts. */
    ck_assert_int_eq(count(svg, "class=\"mark\""), 2);
    ck_assert_int_eq(count(svg, "stroke-dasharray=\"5 3\""), 2);
    ck_assert_msg(strstr(svg, ">start</text>") != NULL, "mark label start");
    ck_assert_msg(strstr(svg, ">phase &lt;2&gt; &amp; &quot;q&quot;</text>") != NULL, "mark label escaped");
    const char *hover = strstr(svg, "<title>mark &quot;phase");
    ck_assert_msg(hover && !strncmp(hover, "<title>mark &quot;phase &lt;2&gt; &amp; &quot;q&quot;&quot; at 3.1 ms: 1.8 KiB live in 4 blocks</title>", 96),
                  "mark hover text: %.120s", hover ? hover : "(none)");
    /* Four areas (three sites with live bytes, runtime excluded) + other,
     * each with a hover text; the escaped module label in the legend. */
    ck_assert_int_eq(count(svg, "<g class=\"areas\""), 1);
    const char *areas = strstr(svg, "<g class=\"areas\"");
    const char *areas_end = strstr(areas, "</g>");
    int npaths = 0;
    for (const char *p = areas; (p = strstr(p, "<path ")) && p < areas_end; p++) npaths++;
    ck_assert_int_eq(npaths, 5);
    ck_assert_msg(strstr(svg, ">a&lt;b&gt;&amp;c&quot;d.so+0x50</text>") != NULL, "escaped site label");
    ck_assert_msg(strstr(svg, "libalpha.so+0x1010") != NULL, "site label");
    ck_assert_msg(strstr(svg, "other (1 more site; 64 B at the end from one-time runtime allocations)") != NULL,
                  "other legend");
    /* Threads: a line and a right-hand axis. */
    ck_assert_msg(strstr(svg, "threads alive (right-hand axis)") != NULL, "threads legend");
    ck_assert_msg(strstr(svg, ">threads</text>") != NULL, "threads axis");
    /* Human tick labels: bytes (2374 B max -> 2.5 KiB in 0.5 KiB steps), time in ms. */
    ck_assert_msg(strstr(svg, ">2.5 KiB</text>") != NULL, "byte ticks");
    ck_assert_msg(strstr(svg, ">1 ms</text>") != NULL, "time ticks");
    free(svg);

    /* A title of one's own, escaped. */
    o.title = "a <b> & \"c\"";
    svg = render(rp, sym, &o, 0);
    assert_svg(svg);
    ck_assert_msg(strstr(svg, "<title>a &lt;b&gt; &amp; &quot;c&quot;</title>") != NULL, "custom title");
    free(svg);
    lt_replay_free(rp);
    sym_close(sym);
}
END_TEST

/* Runs with nothing to plot still give valid SVG that says so. */
START_TEST(test_short_and_empty)
{
    lt_symbolizer_t *sym = sym_open(0);
    /* No events: one (empty) slice. */
    run_t r;
    run_begin(&r, MS, 200);
    lt_replay_finish(r.rp);
    char *svg = render(r.rp, sym, NULL, 0);
    assert_svg(svg);
    ck_assert_msg(strstr(svg, "the run is too short") != NULL, "says so: %s", svg);
    free(svg);
    char *csv = render(r.rp, sym, NULL, 1);
    ck_assert_str_eq(csv, "time_s,live_bytes,live_blocks,threads,other\n0.000000,0,0,,0\n");
    free(csv);
    lt_replay_free(r.rp);

    /* One block within the first slice. */
    run_begin(&r, MS, 200);
    const uint64_t s0[] = { FAKE_A + 0x1010 };
    def_stack(&r, 0, s0, 1);
    alloc_at(&r, MS / 2, 0x1000, 42, 0);
    lt_replay_finish(r.rp);
    svg = render(r.rp, sym, NULL, 0);
    assert_svg(svg);
    ck_assert_msg(strstr(svg, "the run is too short") != NULL, "says so");
    free(svg);
    csv = render(r.rp, sym, NULL, 1);
    ck_assert_str_eq(csv, "time_s,live_bytes,live_blocks,threads,\"libalpha.so+0x1010\",other\n0.000500,42,1,,42,0\n");
    free(csv);
    lt_replay_free(r.rp);

    /* A replay without series. */
    lt_replay_t *rp = lt_replay_new();
    ck_assert_ptr_nonnull(rp);
    lt_replay_finish(rp);
    svg = render(rp, sym, NULL, 0);
    assert_svg(svg);
    ck_assert_msg(strstr(svg, "No time series") != NULL, "says so");
    free(svg);
    csv = render(rp, sym, NULL, 1);
    ck_assert_str_eq(csv, "time_s,live_bytes,live_blocks,threads,other\n");
    free(csv);
    lt_replay_free(rp);
    sym_close(sym);
}
END_TEST

/* Real symbols: a site is named by its innermost named frame outside the
 * C runtime; equal labels get their callers; sites that still look the
 * same (one frame each, modules of the same name) get numbers. */
START_TEST(test_labels)
{
    lt_symbolizer_t *sym = sym_open(1);
    run_t r;
    run_begin(&r, MS, 200);
    /* a and b: both named by tl_fn_alpha (a's libc frame is skipped), told
     * apart by a's libc frame (inner frames first), then b's caller. */
    const uint64_t a[] = { FAKE_LIBC + 0x100, IP(tl_fn_alpha), IP(tl_fn_beta) };
    const uint64_t b[] = { IP(tl_fn_alpha), IP(tl_fn_gamma) };
    const uint64_t c[] = { FAKE_DUP1 + 0x10 };
    const uint64_t d[] = { FAKE_DUP2 + 0x10 };
    def_stack(&r, 0, a, 3);
    def_stack(&r, 1, b, 2);
    def_stack(&r, 2, c, 1);
    def_stack(&r, 3, d, 1);
    alloc_at(&r, MS / 2, 0x1000, 400, 0);
    alloc_at(&r, MS / 2, 0x2000, 300, 1);
    alloc_at(&r, MS / 2, 0x3000, 200, 2);
    alloc_at(&r, 3 * MS / 2, 0x4000, 100, 3);
    lt_replay_finish(r.rp);
    char *csv = render(r.rp, sym, NULL, 1);
    char want[1024];
    snprintf(want, sizeof want,
             "time_s,live_bytes,live_blocks,threads,"
             "\"tl_fn_alpha (test_timeline.c:%d) via libc.so.6+0x100\","
             "\"tl_fn_alpha (test_timeline.c:%d) from tl_fn_gamma (test_timeline.c:%d)\","
             "\"libdup.so+0x10\",\"libdup.so+0x10 #2\",other\n"
             "0.001000,900,3,,400,300,200,0,0\n"
             "0.001500,1000,4,,400,300,200,100,0\n",
             ALPHA_LINE, ALPHA_LINE, GAMMA_LINE);
    ck_assert_str_eq(csv, want);
    free(csv);
    char *svg = render(r.rp, sym, NULL, 0);
    assert_svg(svg);
    snprintf(want, sizeof want, ">tl_fn_alpha (test_timeline.c:%d) from tl_fn_gamma (test_timeline.c:%d)</text>",
             ALPHA_LINE, GAMMA_LINE);
    ck_assert_msg(strstr(svg, want) != NULL, "legend: no %s", want);
    free(svg);
    lt_replay_free(r.rp);
    sym_close(sym);
}
END_TEST

/* Many marks at nearly the same time: every line drawn, labels thinned
 * so that they never overlap, the rest counted. */
START_TEST(test_many_marks)
{
    lt_symbolizer_t *sym = sym_open(0);
    run_t r;
    run_begin(&r, MS, 200);
    const uint64_t s0[] = { FAKE_A + 0x1010 };
    def_stack(&r, 0, s0, 1);
    for (int i = 0; i < 40; i++) {
        char l[32];
        snprintf(l, sizeof l, "SIGUSR2-%d", i + 1);
        alloc_at(&r, (uint64_t)i * MS / 4, 0x1000 + 0x100 * (uint64_t)i, 16, 0);
        mark_at(&r, (uint64_t)i * MS / 4 + 1, l);
    }
    lt_replay_finish(r.rp);
    char *svg = render(r.rp, sym, NULL, 0);
    assert_svg(svg);
    ck_assert_int_eq(count(svg, "class=\"mark\""), 40);
    int labelled = count(svg, "font-size=\"11\" fill=\"#555555\">SIGUSR2-");
    ck_assert_int_gt(labelled, 3);
    ck_assert_int_lt(labelled, 40);
    char want[96];
    snprintf(want, sizeof want, ">%d more marks not labelled", 40 - labelled);
    ck_assert_msg(strstr(svg, want) != NULL, "no '%s'", want);
    /* Labels within a row do not overlap: their x positions, row by row
     * (rows are told apart by their y), are at least a label apart. */
    double lastx[8] = { 0 }, rowy[8] = { 0 };
    int nrows = 0;
    for (const char *p = svg; (p = strstr(p, "<text x=\"")); p++) {
        double x, y;
        if (sscanf(p, "<text x=\"%lf\" y=\"%lf\" font-size=\"11\" fill=\"#555555\">", &x, &y) != 2) continue;
        if (!strstr(p, ">SIGUSR2-") || strstr(p, ">SIGUSR2-") > strchr(p, '>') + 1) continue;
        int row = 0;
        while (row < nrows && rowy[row] != y) row++;
        if (row == nrows) { ck_assert_int_lt(nrows, 8); rowy[nrows++] = y; lastx[row] = -1e9; }
        ck_assert_msg(x - lastx[row] >= 9 * 6.0, "labels overlap in row %d: %.1f after %.1f", row, x, lastx[row]);
        lastx[row] = x;
    }
    ck_assert_int_le(nrows, 3);
    free(svg);
    lt_replay_free(r.rp);
    sym_close(sym);
}
END_TEST

/* A long random run with few slices allowed (they merge many times): on
 * every row, the site columns and other add up to live_bytes, the time
 * grows, the rows stay within max_slices..2*max_slices. */
START_TEST(test_random_sums)
{
    lt_symbolizer_t *sym = sym_open(0);
    ut_rng_t g;
    ut_rng_seed(&g, 42);
    run_t r;
    run_begin(&r, MS, 8);
    enum { NST = 12, NLIVE = 64 };
    for (uint32_t id = 0; id < NST; id++) {
        const uint64_t ip[] = { (id % 3 == 2 ? FAKE_LIBC : FAKE_A) + 0x100 + 0x10 * id };
        def_stack(&r, id, ip, 1);
    }
    uint64_t live[NLIVE] = { 0 }, ts = 0;
    for (int i = 0; i < 3000; i++) {
        ts += ut_rng_below(&g, MS / 4);
        size_t k = (size_t)ut_rng_below(&g, NLIVE);
        uint64_t addr = 0x100000 + 0x1000 * k;
        if (live[k]) {
            free_at(&r, ts, addr);
            live[k] = 0;
        } else {
            live[k] = 1;
            alloc_at(&r, ts, addr, 1 + ut_rng_below(&g, 5000), (uint32_t)ut_rng_below(&g, NST));
        }
        if (i % 100 == 0) tick_at(&r, ts, 1 + ut_rng_below(&g, 9));
    }
    lt_replay_finish(r.rp);
    ck_assert_uint_ge(r.rp->series->nslices, 8);
    ck_assert_uint_lt(r.rp->series->nslices, 16);
    for (size_t top = 0; top <= 4; top += 2) {
        lt_timeline_opts_t o = { top, NULL, top == 2 };
        char *csv = render(r.rp, sym, &o, 1);
        char *save = NULL, *line = strtok_r(csv, "\n", &save);
        ck_assert_ptr_nonnull(line);
        int ncols = 1;
        for (const char *p = line; *p; p++) ncols += *p == ',';   /* labels have no commas here */
        if (top) ck_assert_int_eq(ncols, 4 + (int)top + 1);
        size_t rows = 0;
        double prev_t = -1;
        while ((line = strtok_r(NULL, "\n", &save))) {
            rows++;
            double t = strtod(line, NULL);
            ck_assert_msg(t > prev_t, "time does not grow: %s", line);
            prev_t = t;
            char *p = strchr(line, ',') + 1;
            unsigned long long total = strtoull(p, &p, 10), sum = 0;
            ck_assert_int_eq(*p, ',');
            strtoull(p + 1, &p, 10);                 /* live_blocks */
            ck_assert_int_eq(*p, ',');
            p = strchr(p + 1, ',');                  /* threads */
            int cols = 0;
            while (p && *p == ',') {
                sum += strtoull(p + 1, &p, 10);
                cols++;
            }
            ck_assert_int_eq(cols, ncols - 4);
            ck_assert_msg(sum == total, "row %zu: columns add up to %llu, live_bytes %llu (%s)", rows, sum, total, line);
        }
        ck_assert_uint_eq(rows, r.rp->series->nslices);
        free(csv);
        char *svg = render(r.rp, sym, &o, 0);
        assert_svg(svg);
        free(svg);
    }
    lt_replay_free(r.rp);
    sym_close(sym);
}
END_TEST

/* Time axes in minutes and hours; byte axes in MiB. */
START_TEST(test_long_run_axes)
{
    lt_symbolizer_t *sym = sym_open(0);
    run_t r;
    run_begin(&r, 10 * MS, 200);
    const uint64_t s0[] = { FAKE_A + 0x1010 };
    def_stack(&r, 0, s0, 1);
    const uint64_t hour = 3600000 * MS;
    for (uint64_t i = 0; i < 100; i++) alloc_at(&r, i * hour * 3 / 100, 0x1000 + 0x100 * i, 3 << 20, 0);
    lt_replay_finish(r.rp);
    ck_assert_uint_le(r.rp->series->nslices, 400);
    char *svg = render(r.rp, sym, NULL, 0);
    assert_svg(svg);
    ck_assert_msg(strstr(svg, ">1 h</text>") != NULL && strstr(svg, ">2 h</text>") != NULL, "hour ticks");
    ck_assert_msg(strstr(svg, ">100 MiB</text>") != NULL, "MiB ticks");
    ck_assert_msg(strstr(svg, "2 h 58 min run") != NULL, "duration");
    free(svg);
    lt_replay_free(r.rp);
    sym_close(sym);
}
END_TEST

/* A write error is reported as LT_E_IO. */
START_TEST(test_write_error)
{
    lt_symbolizer_t *sym = sym_open(0);
    lt_replay_t *rp = hand_run();
    FILE *f = fopen("/dev/full", "w");
    if (f) {
        setvbuf(f, NULL, _IONBF, 0);
        lt_err_t err = { 0 };
        ck_assert_int_eq(lt_timeline_csv(rp, sym, NULL, f, &err), -LT_E_IO);
        ck_assert_int_eq(lt_timeline_svg(rp, sym, NULL, f, &err), -LT_E_IO);
        ck_assert_int_eq(err.code, LT_E_IO);
        fclose(f);
    }
    lt_replay_free(rp);
    sym_close(sym);
}
END_TEST

Suite *timeline_suite(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("timeline");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_csv_exact);
    tcase_add_test(tc, test_svg_content);
    tcase_add_test(tc, test_short_and_empty);
    tcase_add_test(tc, test_labels);
    tcase_add_test(tc, test_many_marks);
    tcase_add_test(tc, test_random_sums);
    tcase_add_test(tc, test_long_run_axes);
    tcase_add_test(tc, test_write_error);
    suite_add_tcase(s, tc);
    return s;
}
