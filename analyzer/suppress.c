/*
 * suppress.c - the suppressions file (see suppress.h): parsing with
 * line-numbered errors, and matching of patterns against symbolized
 * frames.
 *
 * A pattern is compiled once into a glob whose only wildcard is `*`: an
 * unanchored start becomes a leading `*`, an unanchored end a trailing
 * `*`, so "substring", "^prefix" and "suffix$" are all one glob match.
 * The matcher is the classic two-pointer one (backtracking to the last
 * star only), linear in practice and never recursive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suppress.h"

static const char *const kind_names[LT_SUPP_NKINDS] = { "leak", "thread", "growth" };

const char *lt_supp_kind_name(int kind)
{
    return kind >= 0 && kind < LT_SUPP_NKINDS ? kind_names[kind] : "?";
}

lt_supp_t *lt_supp_new(void)
{
    return calloc(1, sizeof(lt_supp_t));
}

/* "^abc$" -> "abc", "abc" -> "*abc*", "^a*b" -> "a*b*". NULL when out of
 * memory. */
static char *compile(const char *pat)
{
    size_t n = strlen(pat);
    int start = n && pat[0] == '^';
    if (start) { pat++; n--; }
    int end = n && pat[n - 1] == '$';
    if (end) n--;
    char *g = malloc(n + 3);
    if (!g) return NULL;
    size_t k = 0;
    if (!start) g[k++] = '*';
    memcpy(g + k, pat, n);
    k += n;
    if (!end) g[k++] = '*';
    g[k] = '\0';
    return g;
}

/* '*' matches any run of characters; everything else itself. */
static int glob_match(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p && *p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*') p++;
    return *p == '\0';
}

int lt_supp_pattern_match(const char *pattern, const char *str)
{
    if (!pattern || !str || !*str) return 0;
    char *g = compile(pattern);
    if (!g) return 0;
    int m = glob_match(g, str);
    free(g);
    return m;
}

static int rule_matches(const lt_supp_rule_t *r, const char *s)
{
    return s && *s && glob_match(r->glob, s);
}

long lt_supp_match(const lt_supp_t *s, int kind, const lt_symframe_t *f, size_t n, const char *extra)
{
    if (!s) return -1;
    for (size_t i = 0; i < s->nrules; i++) {
        const lt_supp_rule_t *r = &s->rules[i];
        if (r->kind != kind) continue;
        if (rule_matches(r, extra)) return (long)i;
        for (size_t k = 0; k < n; k++)
            if (rule_matches(r, f[k].function) || rule_matches(r, f[k].file) || rule_matches(r, f[k].module))
                return (long)i;
    }
    return -1;
}

long lt_supp_match_profile(const lt_supp_t *s, int kind, const lt_profile_t *p, const lt_pframe_t *f, size_t n)
{
    if (!s) return -1;
    for (size_t i = 0; i < s->nrules; i++) {
        const lt_supp_rule_t *r = &s->rules[i];
        if (r->kind != kind) continue;
        for (size_t k = 0; k < n; k++) {
            const char *mod = f[k].module != LT_PMOD_NONE && f[k].module < p->nmodules ? p->modules[f[k].module].path : NULL;
            if (rule_matches(r, f[k].function) || rule_matches(r, f[k].file) || rule_matches(r, mod)) return (long)i;
        }
    }
    return -1;
}

void lt_supp_hit_leak(lt_supp_t *s, long i, uint64_t bytes, uint64_t blocks)
{
    if (!s || i < 0 || (size_t)i >= s->nrules) return;
    s->rules[i].sites++;
    s->rules[i].bytes += bytes;
    s->rules[i].blocks += blocks;
}

void lt_supp_hit_thread(lt_supp_t *s, long i, uint64_t threads)
{
    if (!s || i < 0 || (size_t)i >= s->nrules) return;
    s->rules[i].alerts++;
    s->rules[i].threads += threads;
}

void lt_supp_hit_growth(lt_supp_t *s, long i)
{
    if (!s || i < 0 || (size_t)i >= s->nrules) return;
    s->rules[i].suspects++;
}

void lt_supp_reset_counts(lt_supp_t *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nrules; i++) {
        lt_supp_rule_t *r = &s->rules[i];
        r->sites = r->bytes = r->blocks = r->alerts = r->threads = r->suspects = 0;
    }
}

size_t lt_supp_count(const lt_supp_t *s, unsigned mask)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->nrules; i++) n += (mask & LT_SUPP_MASK(s->rules[i].kind)) != 0;
    return n;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* Drops the rules from index keep on (and a file name added with them). */
static void truncate_to(lt_supp_t *s, size_t keep, size_t keep_files)
{
    for (size_t i = keep; i < s->nrules; i++) {
        free(s->rules[i].pattern);
        free(s->rules[i].glob);
    }
    s->nrules = keep;
    for (size_t i = keep_files; i < s->nfiles; i++) free(s->files[i]);
    s->nfiles = keep_files;
}

int lt_supp_parse(lt_supp_t *s, const char *name, const char *text, size_t len, lt_err_t *err)
{
    size_t keep = s->nrules, keep_files = s->nfiles;
    char **nf = realloc(s->files, (s->nfiles + 1) * sizeof *nf);
    if (!nf) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    s->files = nf;
    char *fname = strdup(name ? name : "(suppressions)");
    if (!fname) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    s->files[s->nfiles++] = fname;

    unsigned lineno = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        const char *a = p, *b = le;
        p = nl ? nl + 1 : end;
        while (a < b && is_blank(*a)) a++;
        while (b > a && is_blank(b[-1])) b--;
        if (a == b || *a == '#') continue;
        if (memchr(a, '\0', (size_t)(b - a))) {
            LT_ERR_SET(err, LT_E_USAGE, -1, "%s:%u: a NUL byte in the line: this is not a suppressions file", fname, lineno);
            goto fail;
        }
        const char *colon = memchr(a, ':', (size_t)(b - a));
        if (!colon) {
            LT_ERR_SET(err, LT_E_USAGE, -1, "%s:%u: '%.*s' is not KIND:PATTERN (use leak:PATTERN, thread:PATTERN or growth:PATTERN; # starts a comment)",
                       fname, lineno, (int)(b - a > 80 ? 80 : b - a), a);
            goto fail;
        }
        const char *ke = colon;
        while (ke > a && is_blank(ke[-1])) ke--;
        int kind = -1;
        for (int k = 0; k < LT_SUPP_NKINDS; k++)
            if ((size_t)(ke - a) == strlen(kind_names[k]) && memcmp(a, kind_names[k], (size_t)(ke - a)) == 0) kind = k;
        if (kind < 0) {
            LT_ERR_SET(err, LT_E_USAGE, -1, "%s:%u: unknown suppression kind '%.*s' (leaktrace knows leak:, thread: and growth:)",
                       fname, lineno, (int)(ke - a > 40 ? 40 : ke - a), a);
            goto fail;
        }
        const char *pa = colon + 1;
        while (pa < b && is_blank(*pa)) pa++;
        size_t plen = (size_t)(b - pa);
        if (!plen || (plen == 1 && (*pa == '^' || *pa == '$')) || (plen == 2 && pa[0] == '^' && pa[1] == '$')) {
            LT_ERR_SET(err, LT_E_USAGE, -1, "%s:%u: %s: needs a pattern that names something (a function, source file or module)",
                       fname, lineno, kind_names[kind]);
            goto fail;
        }
        if (s->nrules == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 16;
            lt_supp_rule_t *nr = realloc(s->rules, nc * sizeof *nr);
            if (!nr) goto oom;
            s->rules = nr;
            s->cap = nc;
        }
        lt_supp_rule_t r;
        memset(&r, 0, sizeof r);
        r.kind = kind;
        r.file = fname;
        r.line = lineno;
        r.pattern = strndup(pa, plen);
        r.glob = r.pattern ? compile(r.pattern) : NULL;
        if (!r.pattern || !r.glob) { free(r.pattern); free(r.glob); goto oom; }
        s->rules[s->nrules++] = r;
    }
    return 0;
oom:
    LT_ERR_SET(err, LT_E_NOMEM, -1, "out of memory reading %s", fname);
fail:
    truncate_to(s, keep, keep_files);
    return -err->code;
}

int lt_supp_load(lt_supp_t *s, const char *path, lt_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot read the suppressions file '%s': %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) { fclose(f); LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory"); }
    for (;;) {
        if (n == cap) {
            char *nb = cap > ((size_t)1 << 30) ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "the suppressions file '%s' is too large", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot read the suppressions file '%s': %s", path, strerror(e));
    }
    int rc = lt_supp_parse(s, path, buf, n, err);
    free(buf);
    return rc;
}

void lt_supp_free(lt_supp_t *s)
{
    if (!s) return;
    truncate_to(s, 0, 0);
    free(s->rules);
    free(s->files);
    free(s);
}
