/*
 * test_flame.c - unit tests of analyzer/flame.c: folded stacks (exact
 * lines: order, values, merging of equal label paths, escaping, inline
 * annotation, unknown and truncated stacks, zero-value sites) and the SVG
 * flame graph (checked as XML by a small well-formedness checker: balanced
 * tags, entities, no raw '<' or '&' in text; plus escaping of C++ names,
 * hover titles with percents, label truncation, omitted narrow frames,
 * the empty profile, determinism). Profiles are synthetic, built with
 * profile.h's constructors; output is captured with open_memstream.
 *
 * Exports flame_suite(); -DLT_STANDALONE_TEST adds a main().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "profile.h"

Suite *flame_suite(void);
int main(void);

/* ---- building profiles ---- */

/* One frame, given outermost first in the helpers below. */
typedef struct fr {
    const char *fn;      /* NULL: unknown function */
    const char *file;
    uint32_t line;
    uint32_t module;
    uint64_t offset;
    int inlined;
} fr_t;

enum { MOD_PROG = 0, MOD_LIBC = 1 };

static lt_profile_t *new_profile(void)
{
    lt_profile_t *p = lt_profile_new();
    ck_assert_ptr_nonnull(p);
    p->exe = lt_profile_str(p, "/usr/bin/prog");
    p->pid = 4242;
    p->complete = 1;
    lt_pmodule_t m = { .path = "/usr/bin/prog" };
    ck_assert_uint_eq(lt_profile_add_module(p, &m), MOD_PROG);
    m.path = "/lib/x86_64-linux-gnu/libc.so.6";
    ck_assert_uint_eq(lt_profile_add_module(p, &m), MOD_LIBC);
    return p;
}

/* A site whose frames are fr[0..n), outermost first. */
static void site_frames(lt_profile_t *p, uint64_t inuse, uint64_t alloc, int truncated, const fr_t *fr, size_t n)
{
    lt_pframe_t f[64];
    ck_assert_uint_le(n, 64);
    for (size_t i = 0; i < n; i++) {
        const fr_t *s = &fr[n - 1 - i];
        f[i] = (lt_pframe_t){ lt_profile_str(p, s->fn), lt_profile_str(p, s->file), s->line, s->module,
                              s->offset, s->inlined };
    }
    lt_pcounts_t c = { alloc ? 1 : 0, alloc, inuse ? 1 : 0, inuse };
    ck_assert_int_eq(lt_profile_add_site(p, &c, f, n, truncated, 0), 0);
}

/* A site of the program's functions, names outermost first, NULL-ended. */
static void site(lt_profile_t *p, uint64_t inuse, uint64_t alloc, ...)
{
    fr_t fr[64];
    size_t n = 0;
    va_list ap;
    va_start(ap, alloc);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
        ck_assert_uint_lt(n, 64);
        fr[n++] = (fr_t){ s, NULL, 0, MOD_PROG, 0x1000 + n, 0 };
    }
    va_end(ap);
    site_frames(p, inuse, alloc, 0, fr, n);
}

/* ---- capturing output ---- */

typedef struct outbuf {
    char *s;
    size_t len;
    int rc;
    lt_err_t err;
} outbuf_t;

static outbuf_t folded(const lt_profile_t *p, int what)
{
    outbuf_t o = { 0 };
    FILE *f = open_memstream(&o.s, &o.len);
    ck_assert_ptr_nonnull(f);
    o.rc = lt_flame_folded(p, what, f, &o.err);
    fclose(f);
    return o;
}

static outbuf_t svg(const lt_profile_t *p, int what, const char *title)
{
    outbuf_t o = { 0 };
    FILE *f = open_memstream(&o.s, &o.len);
    ck_assert_ptr_nonnull(f);
    o.rc = lt_flame_svg(p, what, title, f, &o.err);
    fclose(f);
    return o;
}

#define ck_folded_eq(p, what, expected)                                                  \
    do {                                                                                 \
        outbuf_t o_ = folded((p), (what));                                               \
        ck_assert_msg(o_.rc == 0, "lt_flame_folded: %d %s", o_.rc, o_.err.msg);           \
        ck_assert_str_eq(o_.s, (expected));                                              \
        free(o_.s);                                                                      \
    } while (0)

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *s = hay; (s = strstr(s, needle)) != NULL; s += strlen(needle)) n++;
    return n;
}

/* ---- a small XML well-formedness checker ----
 * Elements nest and close in order with equal names, one root element,
 * attributes quoted, '&' only in the five predefined entities or numeric
 * references, no raw '<' in text or attributes, comments, CDATA and the
 * XML declaration skipped. Returns NULL or a description of the problem. */

static const char *xml_entity(const char **s)
{
    static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
    for (size_t i = 0; i < 5; i++) {
        if (strncmp(*s, ents[i], strlen(ents[i])) == 0) {
            *s += strlen(ents[i]);
            return NULL;
        }
    }
    if ((*s)[1] == '#') {
        const char *e = strchr(*s, ';');
        if (e && e - *s < 12) {
            *s = e + 1;
            return NULL;
        }
    }
    return "bad entity";
}

static const char *xml_check(const char *doc)
{
    const char *stack[512];
    size_t nstack[512], depth = 0;
    int roots = 0;
    const char *s = doc;
    while (*s) {
        if (*s == '&') {
            const char *e = xml_entity(&s);
            if (e) return e;
            continue;
        }
        if (*s != '<') {
            if (*s == '>' ) { s++; continue; }  /* allowed in text */
            if (depth == 0 && *s != '\n' && *s != ' ') return "text outside the root";
            s++;
            continue;
        }
        if (strncmp(s, "<?", 2) == 0) {
            const char *e = strstr(s, "?>");
            if (!e) return "unterminated <?";
            s = e + 2;
        } else if (strncmp(s, "<!--", 4) == 0) {
            const char *e = strstr(s, "-->");
            if (!e) return "unterminated comment";
            s = e + 3;
        } else if (strncmp(s, "<![CDATA[", 9) == 0) {
            const char *e = strstr(s, "]]>");
            if (!e) return "unterminated CDATA";
            s = e + 3;
        } else if (s[1] == '/') {
            const char *n = s + 2;
            size_t len = strcspn(n, " >");
            if (depth == 0) return "close without open";
            depth--;
            if (len != nstack[depth] || strncmp(n, stack[depth], len) != 0) return "mismatched close tag";
            s = n + len;
            while (*s == ' ') s++;
            if (*s != '>') return "bad close tag";
            s++;
        } else {
            const char *n = s + 1;
            size_t len = strcspn(n, " />\n");
            if (len == 0) return "empty tag name";
            if (depth == 0 && roots++) return "second root element";
            s = n + len;
            /* attributes */
            for (;;) {
                while (*s == ' ' || *s == '\n') s++;
                if (*s == '>' || strncmp(s, "/>", 2) == 0) break;
                size_t an = strcspn(s, "= />");
                if (an == 0 || s[an] != '=' || (s[an + 1] != '"' && s[an + 1] != '\'')) return "bad attribute";
                char q = s[an + 1];
                s += an + 2;
                while (*s && *s != q) {
                    if (*s == '<') return "'<' in an attribute";
                    if (*s == '&') {
                        const char *e = xml_entity(&s);
                        if (e) return e;
                    } else {
                        s++;
                    }
                }
                if (!*s) return "unterminated attribute";
                s++;
            }
            if (*s == '>') {
                if (depth == 512) return "too deep";
                stack[depth] = n;
                nstack[depth++] = len;
                s++;
            } else {
                s += 2;
            }
        }
    }
    if (depth) return "unclosed element";
    if (roots != 1) return "no root element";
    return NULL;
}

static void ck_svg_ok(const outbuf_t *o)
{
    ck_assert_msg(o->rc == 0, "lt_flame_svg: %d %s", o->rc, o->err.msg);
    const char *e = xml_check(o->s);
    ck_assert_msg(e == NULL, "SVG not well-formed: %s", e ? e : "");
    ck_assert_msg(strncmp(o->s, "<?xml", 5) == 0, "no XML declaration");
    ck_assert_ptr_nonnull(strstr(o->s, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    ck_assert_uint_eq(count(o->s, "<g "), count(o->s, "</g>"));
    ck_assert_uint_eq(count(o->s, "<title>"), count(o->s, "</title>"));
    ck_assert_uint_eq(count(o->s, "<text"), count(o->s, "</text>"));
}

/* The <title> of the frame whose hover text starts with name (the
 * first one in document order), malloc'd, or NULL. */
static char *frame_title(const char *doc, const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "<title>%s\n", name);
    const char *s = strstr(doc, key);
    if (!s) return NULL;
    s += 7;
    const char *e = strstr(s, "</title>");
    return e ? strndup(s, (size_t)(e - s)) : NULL;
}

/* ---- the checker checks ---- */

START_TEST(test_xml_checker_rejects_broken)
{
    ck_assert_ptr_null(xml_check("<?xml version=\"1.0\"?>\n<a x=\"1\"><b>t &amp; &lt;</b><c/></a>\n"));
    ck_assert_ptr_nonnull(xml_check("<a><b></a></b>"));
    ck_assert_ptr_nonnull(xml_check("<a>x & y</a>"));
    ck_assert_ptr_nonnull(xml_check("<a>x <int> y</a>"));
    ck_assert_ptr_nonnull(xml_check("<a t=\"<\"></a>"));
    ck_assert_ptr_nonnull(xml_check("<a></a><b></b>"));
    ck_assert_ptr_nonnull(xml_check("<a>"));
}
END_TEST

/* ---- folded ---- */

START_TEST(test_folded_paths_and_values)
{
    lt_profile_t *p = new_profile();
    site(p, 3000, 3000, "main", "a", "leaf_leak", NULL);
    site(p, 1000, 1000, "main", "b", "leaf_leak", NULL);
    site(p, 0, 20480, "main", "c", "temp", NULL);
    lt_profile_finish(p);
    ck_folded_eq(p, LT_FLAME_INUSE, "main;a;leaf_leak 3000\nmain;b;leaf_leak 1000\n");
    ck_folded_eq(p, LT_FLAME_ALLOC, "main;a;leaf_leak 3000\nmain;b;leaf_leak 1000\nmain;c;temp 20480\n");
    lt_profile_free(p);
}
END_TEST

START_TEST(test_folded_sorted_by_label_bytewise)
{
    lt_profile_t *p = new_profile();
    site(p, 7, 7, "main", "zeta", NULL);
    site(p, 9, 9, "main", "alpha", NULL);
    site(p, 5, 5, "main", "Mid", NULL);
    site(p, 1, 1, "aaa", NULL);
    site(p, 2, 2, "main", "alpha", "x", NULL);
    site(p, 3, 3, "main", NULL);
    lt_profile_finish(p);
    /* Depth first, parent's own bytes before its children, siblings in
     * byte order ('M' < 'a'). */
    ck_folded_eq(p, LT_FLAME_INUSE,
                 "aaa 1\n"
                 "main 3\n"
                 "main;Mid 5\n"
                 "main;alpha 9\n"
                 "main;alpha;x 2\n"
                 "main;zeta 7\n");
    lt_profile_free(p);
}
END_TEST

START_TEST(test_folded_merges_equal_label_paths)
{
    lt_profile_t *p = new_profile();
    /* Same functions, different lines and files: distinct sites in the
     * profile, one path in the folded output. */
    fr_t s1[] = { { "main", "m.c", 10, MOD_PROG, 0x10, 0 }, { "f", "f.c", 20, MOD_PROG, 0x20, 0 } };
    fr_t s2[] = { { "main", "m.c", 11, MOD_PROG, 0x11, 0 }, { "f", "f.c", 21, MOD_PROG, 0x21, 0 } };
    fr_t s3[] = { { "main", "m.c", 12, MOD_PROG, 0x12, 0 }, { "f", "g.c", 5, MOD_PROG, 0x22, 0 } };
    site_frames(p, 100, 100, 0, s1, 2);
    site_frames(p, 20, 20, 0, s2, 2);
    site_frames(p, 3, 3, 0, s3, 2);
    lt_profile_finish(p);
    ck_assert_uint_eq(p->nsites, 3);
    ck_folded_eq(p, LT_FLAME_INUSE, "main;f 123\n");
    lt_profile_free(p);
}
END_TEST

START_TEST(test_folded_escapes_separators_and_bad_bytes)
{
    lt_profile_t *p = new_profile();
    site(p, 4, 4, "main", "odd;name", "two\nlines\tand\x01" "ctl", NULL);
    site(p, 5, 5, "main", "bad\xff\xc3 utf8", "caf\xc3\xa9", NULL);
    site(p, 6, 6, "main", "operator<< <std::vector<int> >(a b)", NULL);
    lt_profile_finish(p);
    /* ';' -> ':', control characters and invalid UTF-8 -> '?', valid
     * UTF-8, spaces and < > kept. */
    ck_folded_eq(p, LT_FLAME_INUSE,
                 "main;bad?? utf8;caf\xc3\xa9 5\n"
                 "main;odd:name;two?lines?and?ctl 4\n"
                 "main;operator<< <std::vector<int> >(a b) 6\n");
    lt_profile_free(p);
}
END_TEST

START_TEST(test_folded_unknown_frames_and_stacks)
{
    lt_profile_t *p = new_profile();
    fr_t s1[] = { { "main", NULL, 0, MOD_PROG, 0x10, 0 }, { NULL, NULL, 0, MOD_LIBC, 0x2a5f0, 0 } };
    fr_t s2[] = { { NULL, NULL, 0, LT_PMOD_NONE, 0x7f0012345678ull, 0 } };
    fr_t s3[] = { { "deep", NULL, 0, MOD_PROG, 0x10, 0 }, { "deeper", NULL, 0, MOD_PROG, 0x20, 0 } };
    site_frames(p, 10, 10, 0, s1, 2);
    site_frames(p, 20, 20, 0, s2, 1);
    site_frames(p, 30, 30, 0, NULL, 0);
    site_frames(p, 40, 40, 1, s3, 2);
    lt_profile_finish(p);
    ck_folded_eq(p, LT_FLAME_INUSE,
                 "0x7f0012345678 20\n"
                 "[truncated stack];deep;deeper 40\n"
                 "[unknown stack] 30\n"
                 "main;libc.so.6+0x2a5f0 10\n");
    lt_profile_free(p);
}
END_TEST

START_TEST(test_folded_inline_annotation)
{
    lt_profile_t *p = new_profile();
    /* real() has helper() inlined into it, which has tiny() inlined. */
    fr_t s1[] = { { "main", "m.c", 3, MOD_PROG, 0x10, 0 },
                  { "real", "r.c", 8, MOD_PROG, 0x20, 0 },
                  { "helper", "h.h", 4, MOD_PROG, 0x20, 1 },
                  { "tiny", "h.h", 1, MOD_PROG, 0x20, 1 } };
    /* helper() also called out of line from real(). */
    fr_t s2[] = { { "main", "m.c", 3, MOD_PROG, 0x10, 0 },
                  { "real", "r.c", 9, MOD_PROG, 0x30, 0 },
                  { "helper", "h.h", 4, MOD_PROG, 0x40, 0 } };
    site_frames(p, 64, 64, 0, s1, 4);
    site_frames(p, 16, 16, 0, s2, 3);
    lt_profile_finish(p);
    ck_folded_eq(p, LT_FLAME_INUSE, "main;real;helper 16\nmain;real;helper_[i];tiny_[i] 64\n");
    lt_profile_free(p);
}
END_TEST

START_TEST(test_folded_zero_sites_and_empty)
{
    lt_profile_t *p = new_profile();
    site(p, 0, 100, "main", "freed", NULL);
    site(p, 0, 0, "main", "nothing", NULL);
    lt_profile_finish(p);
    ck_folded_eq(p, LT_FLAME_INUSE, "");
    ck_folded_eq(p, LT_FLAME_ALLOC, "main;freed 100\n");
    lt_profile_free(p);

    lt_profile_t *e = lt_profile_new();
    ck_assert_ptr_nonnull(e);
    ck_folded_eq(e, LT_FLAME_INUSE, "");
    ck_folded_eq(e, LT_FLAME_ALLOC, "");
    lt_profile_free(e);
}
END_TEST

START_TEST(test_folded_order_independent_of_site_order)
{
    static const char *const names[] = { "k", "b", "q", "a", "z", "m", "c", "y" };
    lt_profile_t *p1 = new_profile(), *p2 = new_profile();
    for (size_t i = 0; i < 8; i++) {
        site(p1, 100, 100, "main", names[i], NULL);
        site(p2, 100, 100, "main", names[7 - i], NULL);
    }
    lt_profile_finish(p1);
    lt_profile_finish(p2);
    outbuf_t a = folded(p1, LT_FLAME_INUSE), b = folded(p2, LT_FLAME_INUSE);
    ck_assert_str_eq(a.s, b.s);
    ck_assert_str_eq(a.s, "main;a 100\nmain;b 100\nmain;c 100\nmain;k 100\nmain;m 100\nmain;q 100\n"
                          "main;y 100\nmain;z 100\n");
    outbuf_t sa = svg(p1, LT_FLAME_INUSE, "t"), sb = svg(p2, LT_FLAME_INUSE, "t");
    ck_assert_str_eq(sa.s, sb.s);
    free(a.s);
    free(b.s);
    free(sa.s);
    free(sb.s);
    lt_profile_free(p1);
    lt_profile_free(p2);
}
END_TEST

START_TEST(test_bad_arguments_and_write_errors)
{
    lt_profile_t *p = new_profile();
    site(p, 10, 10, "main", NULL);
    lt_profile_finish(p);
    outbuf_t o = folded(p, 7);
    ck_assert_int_eq(o.rc, -LT_E_USAGE);
    ck_assert_int_eq(o.err.code, LT_E_USAGE);
    free(o.s);
    o = svg(p, -1, NULL);
    ck_assert_int_eq(o.rc, -LT_E_USAGE);
    free(o.s);
    /* A stream that cannot be written. */
    FILE *ro = fopen("/dev/null", "r");
    ck_assert_ptr_nonnull(ro);
    lt_err_t err;
    ck_assert_int_eq(lt_flame_folded(p, LT_FLAME_INUSE, ro, &err), -LT_E_IO);
    clearerr(ro);
    ck_assert_int_eq(lt_flame_svg(p, LT_FLAME_INUSE, NULL, ro, &err), -LT_E_IO);
    ck_assert_int_eq(err.code, LT_E_IO);
    fclose(ro);
    lt_profile_free(p);
}
END_TEST

/* ---- SVG ---- */

START_TEST(test_svg_well_formed_with_titles_and_percents)
{
    lt_profile_t *p = new_profile();
    fr_t s1[] = { { "main", "prog.c", 30, MOD_PROG, 0x10, 0 },
                  { "a", "prog.c", 12, MOD_PROG, 0x20, 0 },
                  { "leaf_leak", "prog.c", 5, MOD_PROG, 0x30, 0 },
                  { "__strdup", "./string/strdup.c", 42, MOD_LIBC, 0x99, 0 } };
    fr_t s2[] = { { "main", "prog.c", 31, MOD_PROG, 0x11, 0 },
                  { "b", "prog.c", 17, MOD_PROG, 0x40, 0 },
                  { "leaf_leak", "prog.c", 5, MOD_PROG, 0x30, 0 } };
    site_frames(p, 3000, 3000, 0, s1, 4);
    site_frames(p, 1000, 1000, 0, s2, 3);
    site(p, 0, 20480, "main", "c", "temp", NULL);
    lt_profile_finish(p);

    outbuf_t o = svg(p, LT_FLAME_INUSE, "Leaks of prog");
    ck_svg_ok(&o);
    ck_assert_ptr_nonnull(strstr(o.s, "width=\"1200\""));
    ck_assert_ptr_nonnull(strstr(o.s, ">Leaks of prog</text>"));
    ck_assert_ptr_nonnull(strstr(o.s, "leaked: bytes still live at the end of the run: 3.9 KiB (4,000 bytes) "
                                      "from 2 allocation sites"));
    ck_assert_ptr_nonnull(strstr(o.s, "/usr/bin/prog (pid 4242)"));
    /* root, main, a, b, leaf_leak twice, __strdup; temp has no live bytes */
    ck_assert_uint_eq(count(o.s, "<g class=\"f\">"), 7);
    ck_assert_ptr_null(strstr(o.s, "temp"));
    char *t = frame_title(o.s, "all");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t, "all\n3.9 KiB (4,000 bytes), 100.00%");
    free(t);
    t = frame_title(o.s, "leaf_leak");   /* under a: first in label order */
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t, "leaf_leak\nprog.c:5\nin prog\n2.9 KiB (3,000 bytes), 75.00%");
    free(t);
    t = frame_title(o.s, "b");
    ck_assert_str_eq(t, "b\nprog.c:17\nin prog\n1000 bytes, 25.00%");
    free(t);
    t = frame_title(o.s, "__strdup");
    ck_assert_str_eq(t, "__strdup\n./string/strdup.c:42\nin libc.so.6\n2.9 KiB (3,000 bytes), 75.00%");
    free(t);
    /* main merges lines 30 and 31 of prog.c */
    t = frame_title(o.s, "main");
    ck_assert_str_eq(t, "main\nprog.c (several lines)\nin prog\n3.9 KiB (4,000 bytes), 100.00%");
    free(t);
    /* Program frames and library frames are told apart in the legend. */
    ck_assert_ptr_nonnull(strstr(o.s, ">libraries</text>"));
    ck_assert_ptr_nonnull(strstr(o.s, "<script"));
    free(o.s);

    o = svg(p, LT_FLAME_ALLOC, NULL);
    ck_svg_ok(&o);
    ck_assert_ptr_nonnull(strstr(o.s, ">Heap flame graph: prog</text>"));
    ck_assert_ptr_nonnull(strstr(o.s, "bytes allocated from the start up to the end of the run: 23.9 KiB "
                                      "(24,480 bytes) from 3 allocation sites"));
    t = frame_title(o.s, "temp");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t, "temp\nin prog\n20.0 KiB (20,480 bytes), 83.66%");
    free(t);
    free(o.s);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_svg_escapes_cpp_names_and_title)
{
    lt_profile_t *p = new_profile();
    const char *fn = "std::vector<int, std::allocator<int> >::push_back(int&&)";
    fr_t s1[] = { { "main", "x.cc", 1, MOD_PROG, 0x10, 0 },
                  { fn, "/usr/include/c++/12/bits/stl_vector.h", 1281, MOD_PROG, 0x20, 0 },
                  { "operator new(unsigned long)", NULL, 0, MOD_LIBC, 0x30, 0 } };
    site_frames(p, 4096, 4096, 0, s1, 3);
    site(p, 100, 100, "main", "weird\"quote'&\x02\xfe", NULL);
    lt_profile_finish(p);
    outbuf_t o = svg(p, LT_FLAME_INUSE, "<b>&\"title\"");
    ck_svg_ok(&o);
    ck_assert_ptr_nonnull(strstr(o.s, "&lt;b&gt;&amp;&quot;title&quot;</text>"));
    ck_assert_ptr_nonnull(strstr(o.s, "<title>std::vector&lt;int, std::allocator&lt;int&gt; &gt;::push_back(int&amp;&amp;)\n"
                                      "/usr/include/c++/12/bits/stl_vector.h:1281\n"));
    ck_assert_ptr_null(strstr(o.s, "vector<int"));
    ck_assert_ptr_null(strstr(o.s, "int&&"));
    ck_assert_ptr_nonnull(strstr(o.s, "<title>weird&quot;quote&apos;&amp;??\n"));
    free(o.s);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_svg_inlined_and_unknown_frames)
{
    lt_profile_t *p = new_profile();
    fr_t s1[] = { { "main", "m.c", 3, MOD_PROG, 0x10, 0 },
                  { "real", "r.c", 8, MOD_PROG, 0x20, 0 },
                  { "helper", "h.h", 4, MOD_PROG, 0x20, 1 } };
    fr_t s2[] = { { "main", "m.c", 3, MOD_PROG, 0x10, 0 }, { NULL, NULL, 0, MOD_LIBC, 0xbeef, 0 } };
    site_frames(p, 600, 600, 0, s1, 3);
    site_frames(p, 400, 400, 0, s2, 2);
    site_frames(p, 1000, 1000, 1, s2 + 1, 1);   /* a different site: one frame */
    site_frames(p, 500, 500, 0, NULL, 0);
    lt_profile_finish(p);
    outbuf_t o = svg(p, LT_FLAME_INUSE, NULL);
    ck_svg_ok(&o);
    char *t = frame_title(o.s, "helper");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t, "helper\ninlined\nh.h:4\nin prog\n600 bytes, 24.00%");
    free(t);
    /* the inline annotation is a folded-only convention */
    ck_assert_ptr_null(strstr(o.s, "_[i]"));
    ck_assert_ptr_nonnull(strstr(o.s, "<title>libc.so.6+0xbeef\n400 bytes, 16.00%"));
    ck_assert_ptr_nonnull(strstr(o.s, "<title>[unknown stack]\n500 bytes, 20.00%"));
    ck_assert_ptr_nonnull(strstr(o.s, "<title>[truncated stack]\n1000 bytes, 40.00%"));
    /* the same unknown frame under [truncated stack] and under main */
    ck_assert_uint_eq(count(o.s, "<title>libc.so.6+0xbeef\n"), 2);
    free(o.s);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_svg_labels_truncated_to_fit)
{
    lt_profile_t *p = new_profile();
    char longname[301];
    memset(longname, 'A', 300);
    longname[300] = 0;
    site(p, 1000000, 1000000, longname, NULL);
    site(p, 3000, 3000, "narrow_but_drawn", NULL);     /* 0.3%: 3.5 px, no label */
    site(p, 500000, 500000, "medium_sized_function_name_here", NULL);
    site(p, 999, 999, "too_narrow", "deeper_too", NULL);  /* < 0.1%: omitted with its child */
    lt_profile_finish(p);
    outbuf_t o = svg(p, LT_FLAME_INUSE, NULL);
    ck_svg_ok(&o);
    /* The box of the long name is 1180 * 1e6 / 1503999 = 784.6 px: fits
     * (784.6 - 6) / 7.2 = 108 characters, so 106 A's and "..". */
    char expect[200];
    memset(expect, 'A', 106);
    strcpy(expect + 106, "..</text>");
    ck_assert_ptr_nonnull(strstr(o.s, expect));
    expect[106] = 'A';
    ck_assert_ptr_null(strstr(o.s, expect));
    ck_assert_ptr_nonnull(strstr(o.s, ">medium_sized_function_name_here</text>"));
    ck_assert_ptr_nonnull(strstr(o.s, "<title>narrow_but_drawn\n"));
    char *g = strstr(o.s, "<title>narrow_but_drawn\n");
    char *tx = strstr(g, "<text");
    ck_assert_ptr_nonnull(tx);
    ck_assert_ptr_nonnull(strstr(tx, "></text></g>"));
    ck_assert(strstr(tx, "></text></g>") - tx < 45);
    ck_assert_ptr_null(strstr(o.s, "too_narrow"));
    ck_assert_ptr_null(strstr(o.s, "deeper_too"));
    ck_assert_ptr_nonnull(strstr(o.s, "2 frames narrower than 0.1% not drawn"));
    free(o.s);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_svg_geometry_nests_children)
{
    lt_profile_t *p = new_profile();
    site(p, 300, 300, "main", "a", NULL);
    site(p, 100, 100, "main", "b", NULL);
    site(p, 100, 100, "main", NULL);
    lt_profile_finish(p);
    outbuf_t o = svg(p, LT_FLAME_INUSE, NULL);
    ck_svg_ok(&o);
    /* 500 bytes over 1180 px from x = 10; depth 2 frames above the root:
     * height = 92 + 3 * 16 + 24 = 164, root y = 164 - 24 - 16 = 124. */
    ck_assert_ptr_nonnull(strstr(o.s, "height=\"164\""));
    ck_assert_ptr_nonnull(strstr(o.s, "<rect x=\"10.00\" y=\"124\" width=\"1180.00\" height=\"15\""));
    ck_assert_ptr_nonnull(strstr(o.s, "<rect x=\"10.00\" y=\"108\" width=\"1180.00\" height=\"15\""));
    ck_assert_ptr_nonnull(strstr(o.s, "<rect x=\"10.00\" y=\"92\" width=\"708.00\" height=\"15\""));
    ck_assert_ptr_nonnull(strstr(o.s, "<rect x=\"718.00\" y=\"92\" width=\"236.00\" height=\"15\""));
    ck_assert_ptr_nonnull(strstr(o.s, "self: 100 bytes"));
    free(o.s);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_svg_empty_profile_says_no_data)
{
    lt_profile_t *p = new_profile();
    site(p, 0, 500, "main", "freed", NULL);
    lt_profile_finish(p);
    outbuf_t o = svg(p, LT_FLAME_INUSE, "nothing leaked");
    ck_svg_ok(&o);
    ck_assert_ptr_nonnull(strstr(o.s, "no data"));
    ck_assert_ptr_null(strstr(o.s, "<g class=\"f\">"));
    ck_assert_ptr_null(strstr(o.s, "freed"));
    free(o.s);
    lt_profile_free(p);

    lt_profile_t *e = lt_profile_new();
    o = svg(e, LT_FLAME_ALLOC, NULL);
    ck_svg_ok(&o);
    ck_assert_ptr_nonnull(strstr(o.s, "no data"));
    ck_assert_ptr_nonnull(strstr(o.s, ">Heap flame graph</text>"));
    free(o.s);
    lt_profile_free(e);
}
END_TEST

START_TEST(test_svg_moment_described)
{
    lt_profile_t *p = new_profile();
    site(p, 2048, 4096, "main", NULL);
    lt_profile_finish(p);
    p->moment = LT_MOMENT_MARK;
    p->mark = lt_profile_str(p, "after <load>");
    p->ts_ns = 1500000000ull;
    outbuf_t o = svg(p, LT_FLAME_INUSE, NULL);
    ck_svg_ok(&o);
    ck_assert_ptr_nonnull(strstr(o.s, "bytes live at mark &quot;after &lt;load&gt;&quot; (1.500 s): 2.0 KiB"));
    free(o.s);
    p->moment = LT_MOMENT_PEAK;
    o = svg(p, LT_FLAME_ALLOC, NULL);
    ck_assert_ptr_nonnull(strstr(o.s, "bytes allocated from the start up to the peak of live bytes (1.500 s): 4.0 KiB"));
    free(o.s);
    lt_profile_free(p);
}
END_TEST

START_TEST(test_many_sites_deep_stacks)
{
    /* Enough nodes to grow every table several times; all output checked
     * for totals. */
    lt_profile_t *p = new_profile();
    char names[40][16];
    for (int i = 0; i < 40; i++) snprintf(names[i], sizeof names[i], "fn%02d", i);
    uint64_t sum = 0;
    for (int s = 0; s < 3000; s++) {
        fr_t fr[40];
        size_t n = 5 + (size_t)(s % 30);
        for (size_t k = 0; k < n; k++)
            fr[k] = (fr_t){ names[(s * 7 + (int)k * 13) % 40], NULL, 0, MOD_PROG, 0x100 + k, 0 };
        site_frames(p, (uint64_t)s + 1, (uint64_t)s + 1, 0, fr, n);
        sum += (uint64_t)s + 1;
    }
    lt_profile_finish(p);
    outbuf_t o = folded(p, LT_FLAME_INUSE);
    ck_assert_int_eq(o.rc, 0);
    uint64_t got = 0;
    size_t lines = 0;
    for (char *l = o.s; *l;) {
        char *nl = strchr(l, '\n');
        ck_assert_ptr_nonnull(nl);
        char *sp = memrchr(l, ' ', (size_t)(nl - l));
        ck_assert_ptr_nonnull(sp);
        got += strtoull(sp + 1, NULL, 10);
        lines++;
        l = nl + 1;
    }
    ck_assert_uint_eq(got, sum);
    ck_assert_uint_le(lines, 3000);
    free(o.s);
    o = svg(p, LT_FLAME_INUSE, NULL);
    ck_svg_ok(&o);
    free(o.s);
    lt_profile_free(p);
}
END_TEST

Suite *flame_suite(void)
{
    Suite *s = suite_create("flame");
    TCase *tc = tcase_create("folded");
    tcase_add_test(tc, test_folded_paths_and_values);
    tcase_add_test(tc, test_folded_sorted_by_label_bytewise);
    tcase_add_test(tc, test_folded_merges_equal_label_paths);
    tcase_add_test(tc, test_folded_escapes_separators_and_bad_bytes);
    tcase_add_test(tc, test_folded_unknown_frames_and_stacks);
    tcase_add_test(tc, test_folded_inline_annotation);
    tcase_add_test(tc, test_folded_zero_sites_and_empty);
    tcase_add_test(tc, test_folded_order_independent_of_site_order);
    tcase_add_test(tc, test_bad_arguments_and_write_errors);
    tcase_add_test(tc, test_many_sites_deep_stacks);
    suite_add_tcase(s, tc);
    tc = tcase_create("svg");
    tcase_add_test(tc, test_xml_checker_rejects_broken);
    tcase_add_test(tc, test_svg_well_formed_with_titles_and_percents);
    tcase_add_test(tc, test_svg_escapes_cpp_names_and_title);
    tcase_add_test(tc, test_svg_inlined_and_unknown_frames);
    tcase_add_test(tc, test_svg_labels_truncated_to_fit);
    tcase_add_test(tc, test_svg_geometry_nests_children);
    tcase_add_test(tc, test_svg_empty_profile_says_no_data);
    tcase_add_test(tc, test_svg_moment_described);
    suite_add_tcase(s, tc);
    return s;
}

#ifdef LT_STANDALONE_TEST
int main(void)
{
    SRunner *sr = srunner_create(flame_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
