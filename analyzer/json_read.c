/*
 * json_read.c - see json_read.h for what is accepted and the API contract.
 *
 * Layout of the tree. Every value is a 16-byte lt_jv_t: kind, number
 * representation, a 32-bit count and an 8-byte payload:
 *   NULL/BOOL   payload b (0/1)
 *   NUM         payload u (NUM_U64: integer >= 0), i (NUM_I64: integer
 *               < 0) or d (NUM_F64: everything else)
 *   STR         payload s: NUL-terminated decoded bytes; n = their length
 *   ARR         payload items: n contiguous lt_jv_t (O(1) indexing)
 *   OBJ         payload members: n lt_jmember_t in document order,
 *               immediately followed by n uint32_t member indices sorted by
 *               key (bytewise), used for binary-search lookup
 * All of it (values, member arrays, strings) is carved from one arena: a
 * list of malloc'd chunks hanging off the document, whose first field is
 * the root value, so lt_json_free(root) finds and frees everything.
 *
 * Parsing is iterative. Scalars are parsed directly; an opening bracket
 * pushes a frame (at most LT_JSON_MAX_DEPTH); each finished value is pushed
 * on a value stack (and, in objects, its key on a key stack); a closing
 * bracket copies its frame's values from the stacks into one arena block,
 * pops them, and the container becomes the finished value of its parent.
 * Each value is thus copied once, so the whole parse is linear, plus the
 * per-object key sort (insertion sort up to 16 members, then a bottom-up
 * merge sort) which also detects duplicate keys.
 *
 * Strings are read in two passes: find the closing quote (skipping the
 * byte after each backslash), then decode and validate into an arena block
 * of the raw length (decoding never lengthens: \uXXXX gives at most 3
 * bytes, a 12-byte surrogate pair 4). Positions for messages (line,
 * column) are computed only when an error is reported.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_read.h"

enum { NUM_U64, NUM_I64, NUM_F64 };

typedef struct lt_jmember lt_jmember_t;

struct lt_jv {
    uint8_t kind;    /* lt_jv_kind_t */
    uint8_t num;     /* NUM_* for LT_JV_NUM */
    uint32_t n;      /* string length, array elements, object members */
    union {
        int b;
        uint64_t u;
        int64_t i;
        double d;
        const char *s;
        const lt_jv_t *items;
        const lt_jmember_t *members;
    } as;
};

struct lt_jmember {
    const char *key;
    uint32_t klen;
    lt_jv_t val;
};

/* ---- arena ---------------------------------------------------------------- */

typedef struct jchunk {
    struct jchunk *next;
    size_t used, cap;
    unsigned char data[];
} jchunk_t;

/* The allocation behind a root: the root value first, so a root pointer
 * converts back to its document. */
typedef struct jdoc {
    lt_jv_t root;
    jchunk_t *chunks;    /* head: the chunk currently carved from */
} jdoc_t;

#define ARENA_FIRST_CHUNK ((size_t)4096)
#define ARENA_MAX_CHUNK ((size_t)16 << 20)

/* ---- parser state ----------------------------------------------------------- */

typedef struct jframe {
    uint8_t kind;        /* LT_JV_ARR or LT_JV_OBJ */
    size_t vstart;       /* its first value on the value stack */
    size_t kstart;       /* its first key on the key stack (objects) */
} jframe_t;

typedef struct jkey {
    const char *s;
    uint32_t len;
    size_t off;          /* byte offset of the key's opening quote */
} jkey_t;

typedef struct jparser {
    const unsigned char *t;
    size_t len, pos;
    lt_err_t *err;
    jdoc_t *doc;
    size_t next_chunk;
    lt_jv_t *vs;         /* value stack */
    size_t vn, vcap;
    jkey_t *ks;          /* key stack */
    size_t kn, kcap;
    void *scratch;       /* number text / merge-sort buffer */
    size_t scap;         /* its size in bytes */
    locale_t cloc;       /* the C locale for strtod_l, made on first use */
    size_t depth;
    jframe_t fr[LT_JSON_MAX_DEPTH];
} jparser_t;

/* ---- errors ------------------------------------------------------------------- */

static void line_col(const unsigned char *t, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, bol = 0;
    for (size_t i = 0; i < off; i++)
        if (t[i] == '\n') { l++; bol = i + 1; }
    *line = l;
    *col = off - bol + 1;
}

/* LT_E_CORRUPT at byte off: "line L, column C: <fmt...>". Returns its
 * negated code. */
__attribute__((format(printf, 3, 4)))
static int fail(jparser_t *p, size_t off, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t line, col;
    line_col(p->t, off, &line, &col);
    LT_ERR_SET(p->err, LT_E_CORRUPT, off, "line %zu, column %zu: %s", line, col, what);
    return -LT_E_CORRUPT;
}

static int nomem(jparser_t *p)
{
    LT_RETURN_ERROR(p->err, LT_E_NOMEM, p->pos, "out of memory while parsing JSON (at byte %zu)", p->pos);
}

/* "unexpected end of input (expected)" or "unexpected character 'c'
 * (expected)" for the byte at off. */
static int fail_unexpected(jparser_t *p, size_t off, const char *expected)
{
    if (off >= p->len) return fail(p, off, "unexpected end of input (expected %s)", expected);
    unsigned c = p->t[off];
    if (c > 0x20 && c < 0x7f) return fail(p, off, "unexpected character '%c' (expected %s)", (int)c, expected);
    return fail(p, off, "unexpected byte 0x%02x (expected %s)", c, expected);
}

/* A printable excerpt of a decoded key for messages: control characters
 * as '?', at most 40 bytes, cut at a UTF-8 character boundary, "..." when
 * shortened. dst must hold at least 44 bytes. */
static void key_excerpt(char *dst, const char *s, size_t n)
{
    size_t o = 0;
    for (; o < n && o < 40; o++) {
        unsigned char c = (unsigned char)s[o];
        dst[o] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (o < n) {
        while (o > 0 && ((unsigned char)s[o] & 0xc0) == 0x80) o--;
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* ---- memory ------------------------------------------------------------------ */

/* size bytes aligned to align (a power of two) from the arena; NULL when
 * out of memory. */
static void *arena_alloc(jparser_t *p, size_t size, size_t align)
{
    jchunk_t *c = p->doc->chunks;
    if (c) {
        uintptr_t a = (uintptr_t)(c->data + c->used);
        size_t pad = (size_t)(-a & (uintptr_t)(align - 1));
        if (pad <= c->cap - c->used && size <= c->cap - c->used - pad) {
            void *r = c->data + c->used + pad;
            c->used += pad + size;
            return r;
        }
    }
    if (size > SIZE_MAX - sizeof(jchunk_t) - align) return NULL;
    size_t want = size + align - 1;
    jchunk_t *nc;
    if (c && want >= p->next_chunk / 4) {
        /* Big block: its own chunk, behind the current one, which stays
         * the one carved from. */
        nc = malloc(sizeof *nc + want);
        if (!nc) return NULL;
        nc->cap = want;
        nc->next = c->next;
        c->next = nc;
    } else {
        size_t cap = want > p->next_chunk ? want : p->next_chunk;
        nc = malloc(sizeof *nc + cap);
        if (!nc) return NULL;
        nc->cap = cap;
        nc->next = c;
        p->doc->chunks = nc;
        if (p->next_chunk < ARENA_MAX_CHUNK) p->next_chunk *= 2;
    }
    uintptr_t a = (uintptr_t)nc->data;
    size_t pad = (size_t)(-a & (uintptr_t)(align - 1));
    nc->used = pad + size;
    return nc->data + pad;
}

/* Makes room for need elements of size elem in *buf (capacity *cap). */
static int grow(jparser_t *p, void **buf, size_t *cap, size_t elem, size_t need)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return nomem(p);
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem) return nomem(p);
    void *nb = realloc(*buf, ncap * elem);
    if (!nb) return nomem(p);
    *buf = nb;
    *cap = ncap;
    return 0;
}

static int push_value(jparser_t *p, const lt_jv_t *v)
{
    if (p->vn == p->vcap)
        LT_FORWARD_IF_ERROR(grow(p, (void **)&p->vs, &p->vcap, sizeof *p->vs, p->vn + 1));
    p->vs[p->vn++] = *v;
    return 0;
}

/* ---- lexical helpers ------------------------------------------------------- */

static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }

static void skip_ws(jparser_t *p)
{
    const unsigned char *t = p->t;
    size_t i = p->pos, n = p->len;
    while (i < n && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) i++;
    p->pos = i;
}


/* The 4 hex digits at t[i..i+4) (caller checked they are in range) as a
 * number, or -1. */
static long hex4(const unsigned char *t, size_t i)
{
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        unsigned c = t[i + k];
        int d;
        if (c >= '0' && c <= '9') d = (int)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (int)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (int)(c - 'A' + 10);
        else return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* ---- scalars ----------------------------------------------------------------- */

/* The string whose opening quote is at p->pos: decoded into the arena,
 * *out / *outlen set, p->pos just past the closing quote. */
static int parse_string(jparser_t *p, const char **out, uint32_t *outlen)
{
    const unsigned char *t = p->t;
    size_t open = p->pos, start = open + 1, q = start;
    while (q < p->len && t[q] != '"') {
        if (t[q] == '\\') q++;
        q++;
    }
    if (q >= p->len) {
        size_t line, col;
        line_col(t, open, &line, &col);
        return fail(p, p->len, "unexpected end of input inside a string (opened at line %zu, column %zu)",
                    line, col);
    }
    if (q - start > UINT32_MAX) return fail(p, open, "string longer than 4 GiB");
    char *dst = arena_alloc(p, q - start + 1, 1);
    if (!dst) return nomem(p);
    size_t o = 0, i = start;
    while (i < q) {
        unsigned c = t[i];
        if (c >= 0x20 && c < 0x80 && c != '\\') {
            dst[o++] = (char)c;
            i++;
        } else if (c == '\\') {
            /* The scan above never lets a backslash end the string. */
            unsigned e = t[i + 1];
            char simple = 0;
            switch (e) {
            case '"': simple = '"'; break;
            case '\\': simple = '\\'; break;
            case '/': simple = '/'; break;
            case 'b': simple = '\b'; break;
            case 'f': simple = '\f'; break;
            case 'n': simple = '\n'; break;
            case 'r': simple = '\r'; break;
            case 't': simple = '\t'; break;
            case 'u': break;
            default:
                if (e > 0x20 && e < 0x7f) return fail(p, i, "invalid escape '\\%c' in a string", (int)e);
                return fail(p, i, "invalid escape (backslash followed by byte 0x%02x) in a string", e);
            }
            if (simple) {
                dst[o++] = simple;
                i += 2;
                continue;
            }
            long hi = q - i >= 6 ? hex4(t, i + 2) : -1;
            if (hi < 0) return fail(p, i, "invalid \\u escape (expected 4 hex digits)");
            unsigned long cp = (unsigned long)hi;
            size_t used = 6;
            if (hi >= 0xdc00 && hi <= 0xdfff)
                return fail(p, i, "lone low surrogate \\u%04lX (not preceded by a high surrogate)", cp);
            if (hi >= 0xd800 && hi <= 0xdbff) {
                if (q - i < 12 || t[i + 6] != '\\' || t[i + 7] != 'u')
                    return fail(p, i, "lone high surrogate \\u%04lX (not followed by a low surrogate)", cp);
                long lo = hex4(t, i + 8);
                if (lo < 0) return fail(p, i + 6, "invalid \\u escape (expected 4 hex digits)");
                if (lo < 0xdc00 || lo > 0xdfff)
                    return fail(p, i, "lone high surrogate \\u%04lX (followed by \\u%04lX, not a low surrogate)",
                                cp, (unsigned long)lo);
                cp = 0x10000 + (((unsigned long)hi - 0xd800) << 10) + ((unsigned long)lo - 0xdc00);
                used = 12;
            }
            if (cp == 0) return fail(p, i, "\\u0000 (NUL) is not allowed in strings");
            o += put_utf8(dst + o, cp);
            i += used;
        } else if (c < 0x20) {
            return fail(p, i, "control character 0x%02x in a string (must be escaped)", c);
        } else {
            size_t l = lt_utf8_seq_len(t + i, t + q);
            if (!l) return fail(p, i, "invalid UTF-8 in a string (byte 0x%02x)", c);
            memcpy(dst + o, t + i, l);
            o += l;
            i += l;
        }
    }
    dst[o] = '\0';
    *out = dst;
    *outlen = (uint32_t)o;
    p->pos = q + 1;
    return 0;
}

/* Converts the number text t[start..end) to a double with strtod_l in the
 * C locale (the text is copied: strtod needs a terminator). */
static int number_as_double(jparser_t *p, size_t start, size_t end, lt_jv_t *v)
{
    size_t n = end - start;
    char small[64];
    char *buf = small;
    if (n >= sizeof small) {
        if (n == SIZE_MAX) return nomem(p);
        LT_FORWARD_IF_ERROR(grow(p, &p->scratch, &p->scap, 1, n + 1));
        buf = p->scratch;
    }
    memcpy(buf, p->t + start, n);
    buf[n] = '\0';
    if (p->cloc == (locale_t)0) {
        p->cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        if (p->cloc == (locale_t)0) return nomem(p);
    }
    char *endp = NULL;
    errno = 0;
    double d = strtod_l(buf, &endp, p->cloc);
    if (endp != buf + n) return fail(p, start, "invalid number");
    if (isinf(d) || isnan(d)) return fail(p, start, "number out of range (too large for a double)");
    v->kind = LT_JV_NUM;
    v->num = NUM_F64;
    v->as.d = d;
    return 0;
}

static int parse_number(jparser_t *p, lt_jv_t *v)
{
    const unsigned char *t = p->t;
    size_t n = p->len, start = p->pos, i = start;
    int neg = 0, is_int = 1;
    if (t[i] == '-') { neg = 1; i++; }
    size_t dstart = i;
    if (i < n && t[i] == '0') {
        i++;
        if (i < n && is_digit(t[i])) return fail(p, dstart, "leading zeros are not allowed in numbers");
    } else if (i < n && t[i] >= '1' && t[i] <= '9') {
        while (i < n && is_digit(t[i])) i++;
    } else {
        return fail_unexpected(p, i, "a digit after '-'");
    }
    size_t dend = i;
    if (i < n && t[i] == '.') {
        is_int = 0;
        i++;
        if (i >= n || !is_digit(t[i])) return fail_unexpected(p, i, "a digit after the decimal point");
        while (i < n && is_digit(t[i])) i++;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        is_int = 0;
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-')) i++;
        if (i >= n || !is_digit(t[i])) return fail_unexpected(p, i, "a digit in the exponent");
        while (i < n && is_digit(t[i])) i++;
    }
    p->pos = i;
    if (is_int) {
        uint64_t m = 0;
        int over = 0;
        for (size_t k = dstart; k < dend; k++) {
            unsigned d = t[k] - '0';
            if (m > (UINT64_MAX - d) / 10) { over = 1; break; }
            m = m * 10 + d;
        }
        if (!over && (!neg || m == 0)) {
            v->kind = LT_JV_NUM;
            v->num = NUM_U64;
            v->as.u = m;
            return 0;
        }
        if (!over && m <= (uint64_t)INT64_MAX + 1) {
            v->kind = LT_JV_NUM;
            v->num = NUM_I64;
            v->as.i = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
            return 0;
        }
    }
    return number_as_double(p, start, i, v);
}

static int parse_literal(jparser_t *p, lt_jv_t *v)
{
    static const struct { const char *w; size_t n; uint8_t kind; int b; } lits[] = {
        { "true", 4, LT_JV_BOOL, 1 }, { "false", 5, LT_JV_BOOL, 0 }, { "null", 4, LT_JV_NULL, 0 },
    };
    for (size_t k = 0; k < sizeof lits / sizeof lits[0]; k++) {
        if (p->t[p->pos] != (unsigned char)lits[k].w[0]) continue;
        if (p->len - p->pos < lits[k].n || memcmp(p->t + p->pos, lits[k].w, lits[k].n) != 0)
            return fail(p, p->pos, "invalid literal (expected '%s')", lits[k].w);
        v->kind = lits[k].kind;
        v->as.b = lits[k].b;
        p->pos += lits[k].n;
        return 0;
    }
    return fail_unexpected(p, p->pos, "a JSON value");
}

/* ---- containers -------------------------------------------------------------- */

static int key_cmp(const lt_jmember_t *a, const lt_jmember_t *b)
{
    uint32_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    if (c) return c;
    return (a->klen > b->klen) - (a->klen < b->klen);
}

/* Stable sort of ord[0..n) by the keys of m. */
static int sort_members(jparser_t *p, const lt_jmember_t *m, uint32_t *ord, size_t n)
{
    enum { RUN = 16 };
    for (size_t lo = 0; lo < n; lo += RUN) {
        size_t hi = lo + RUN < n ? lo + RUN : n;
        for (size_t k = lo + 1; k < hi; k++) {
            uint32_t x = ord[k];
            size_t j = k;
            while (j > lo && key_cmp(&m[ord[j - 1]], &m[x]) > 0) {
                ord[j] = ord[j - 1];
                j--;
            }
            ord[j] = x;
        }
    }
    if (n <= RUN) return 0;
    /* scratch is counted in bytes (number_as_double shares it). */
    if (n > SIZE_MAX / sizeof(uint32_t)) return nomem(p);
    LT_FORWARD_IF_ERROR(grow(p, &p->scratch, &p->scap, 1, n * sizeof(uint32_t)));
    uint32_t *src = ord, *dst = p->scratch;
    for (size_t w = RUN; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                dst[o++] = key_cmp(&m[src[b]], &m[src[a]]) < 0 ? src[b++] : src[a++];
            while (a < mid) dst[o++] = src[a++];
            while (b < hi) dst[o++] = src[b++];
        }
        uint32_t *tmp = src;
        src = dst;
        dst = tmp;
    }
    if (src != ord) memcpy(ord, src, n * sizeof *ord);
    return 0;
}

/* Closes the innermost frame (its closing bracket just consumed): its
 * values (and keys) move from the stacks into the arena; *v becomes the
 * container. */
static int close_frame(jparser_t *p, lt_jv_t *v)
{
    jframe_t *f = &p->fr[p->depth - 1];
    size_t n = p->vn - f->vstart;
    if (n > UINT32_MAX)
        return fail(p, p->pos - 1, "%s with more than 4294967295 members",
                    f->kind == LT_JV_ARR ? "array" : "object");
    memset(v, 0, sizeof *v);
    v->kind = f->kind;
    v->n = (uint32_t)n;
    if (f->kind == LT_JV_ARR) {
        if (n) {
            lt_jv_t *items = arena_alloc(p, n * sizeof *items, _Alignof(lt_jv_t));
            if (!items) return nomem(p);
            memcpy(items, p->vs + f->vstart, n * sizeof *items);
            v->as.items = items;
        }
    } else if (n) {
        if (n > (SIZE_MAX - _Alignof(lt_jmember_t)) / (sizeof(lt_jmember_t) + sizeof(uint32_t))) return nomem(p);
        lt_jmember_t *m = arena_alloc(p, n * (sizeof *m + sizeof(uint32_t)), _Alignof(lt_jmember_t));
        if (!m) return nomem(p);
        uint32_t *ord = (uint32_t *)(m + n);
        const jkey_t *ks = p->ks + f->kstart;
        for (size_t k = 0; k < n; k++) {
            m[k].key = ks[k].s;
            m[k].klen = ks[k].len;
            m[k].val = p->vs[f->vstart + k];
            ord[k] = (uint32_t)k;
        }
        LT_FORWARD_IF_ERROR(sort_members(p, m, ord, n));
        /* Duplicates are adjacent and, the sort being stable, in document
         * order; report the earliest second occurrence. */
        size_t first = SIZE_MAX, second = SIZE_MAX;
        for (size_t k = 1; k < n; k++) {
            if (key_cmp(&m[ord[k - 1]], &m[ord[k]]) != 0) continue;
            if (ord[k] < second) { second = ord[k]; first = ord[k - 1]; }
        }
        if (second != SIZE_MAX) {
            char ex[64];
            key_excerpt(ex, m[second].key, m[second].klen);
            size_t line, col;
            line_col(p->t, ks[first].off, &line, &col);
            return fail(p, ks[second].off, "duplicate key \"%s\" (first at line %zu, column %zu)", ex, line, col);
        }
        v->as.members = m;
    }
    p->vn = f->vstart;
    p->kn = f->kstart;
    p->depth--;
    return 0;
}

/* At an object key (after '{' or ','): reads "key" ':' and pushes the key. */
static int parse_key(jparser_t *p)
{
    skip_ws(p);
    if (p->pos >= p->len || p->t[p->pos] != '"') return fail_unexpected(p, p->pos, "a string key");
    jkey_t k;
    k.off = p->pos;
    LT_FORWARD_IF_ERROR(parse_string(p, &k.s, &k.len));
    skip_ws(p);
    if (p->pos >= p->len || p->t[p->pos] != ':') return fail_unexpected(p, p->pos, "':' after an object key");
    p->pos++;
    if (p->kn == p->kcap)
        LT_FORWARD_IF_ERROR(grow(p, (void **)&p->ks, &p->kcap, sizeof *p->ks, p->kn + 1));
    p->ks[p->kn++] = k;
    return 0;
}

/* ---- the document ------------------------------------------------------------ */

static int parse_document(jparser_t *p, lt_jv_t *root)
{
    if (p->len >= 3 && memcmp(p->t, "\xef\xbb\xbf", 3) == 0) p->pos = 3;
    skip_ws(p);
    if (p->pos >= p->len) return fail(p, p->pos, "empty input (expected a JSON value)");
    for (;;) {
        /* A value starts at the next non-blank byte. */
        lt_jv_t v;
        memset(&v, 0, sizeof v);
        skip_ws(p);
        if (p->pos >= p->len) return fail_unexpected(p, p->pos, "a JSON value");
        unsigned c = p->t[p->pos];
        if (c == '[' || c == '{') {
            if (p->depth >= LT_JSON_MAX_DEPTH)
                return fail(p, p->pos, "nesting deeper than %d arrays/objects", LT_JSON_MAX_DEPTH);
            jframe_t *f = &p->fr[p->depth++];
            f->kind = c == '[' ? LT_JV_ARR : LT_JV_OBJ;
            f->vstart = p->vn;
            f->kstart = p->kn;
            p->pos++;
            skip_ws(p);
            unsigned close = c == '[' ? ']' : '}';
            if (p->pos < p->len && p->t[p->pos] == close) {
                p->pos++;
                LT_FORWARD_IF_ERROR(close_frame(p, &v));
            } else if (c == '{') {
                LT_FORWARD_IF_ERROR(parse_key(p));
                continue;
            } else {
                continue;
            }
        } else if (c == '"') {
            LT_FORWARD_IF_ERROR(parse_string(p, &v.as.s, &v.n));
            v.kind = LT_JV_STR;
        } else if (c == '-' || is_digit(c)) {
            LT_FORWARD_IF_ERROR(parse_number(p, &v));
        } else {
            LT_FORWARD_IF_ERROR(parse_literal(p, &v));
        }

        /* v is complete: hand it to its container, closing containers
         * for as long as their closing brackets follow. */
        for (;;) {
            if (p->depth == 0) {
                skip_ws(p);
                if (p->pos < p->len) return fail(p, p->pos, "unexpected data after the JSON value");
                *root = v;
                return 0;
            }
            LT_FORWARD_IF_ERROR(push_value(p, &v));
            const jframe_t *f = &p->fr[p->depth - 1];
            int arr = f->kind == LT_JV_ARR;
            skip_ws(p);
            if (p->pos >= p->len || (p->t[p->pos] != ',' && p->t[p->pos] != (arr ? ']' : '}')))
                return fail_unexpected(p, p->pos, arr ? "',' or ']' after an array element"
                                                      : "',' or '}' after an object member");
            if (p->t[p->pos] == ',') {
                size_t comma = p->pos;
                p->pos++;
                skip_ws(p);
                if (p->pos < p->len && p->t[p->pos] == (arr ? ']' : '}'))
                    return fail(p, comma, "trailing comma before '%c'", arr ? ']' : '}');
                if (!arr) LT_FORWARD_IF_ERROR(parse_key(p));
                break;
            }
            p->pos++;
            LT_FORWARD_IF_ERROR(close_frame(p, &v));
        }
    }
}

lt_jv_t *lt_json_parse(const char *text, size_t len, lt_err_t *err)
{
    lt_err_t ignored;
    if (!err) err = &ignored;
    jparser_t *p = calloc(1, sizeof *p);
    jdoc_t *doc = calloc(1, sizeof *doc);
    if (!p || !doc) {
        free(p);
        free(doc);
        LT_ERR_SET(err, LT_E_NOMEM, 0, "out of memory while parsing JSON");
        return NULL;
    }
    p->t = (const unsigned char *)text;
    p->len = text ? len : 0;
    p->err = err;
    p->doc = doc;
    p->next_chunk = ARENA_FIRST_CHUNK;
    p->cloc = (locale_t)0;
    lt_jv_t root;
    int rc = parse_document(p, &root);
    free(p->vs);
    free(p->ks);
    free(p->scratch);
    if (p->cloc != (locale_t)0) freelocale(p->cloc);
    free(p);
    if (rc < 0) {
        lt_json_free(&doc->root);
        return NULL;
    }
    doc->root = root;
    return &doc->root;
}

void lt_json_free(lt_jv_t *v)
{
    if (!v) return;
    jdoc_t *doc = (jdoc_t *)v;
    for (jchunk_t *c = doc->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(doc);
}

/* ---- accessors ---------------------------------------------------------------- */

lt_jv_kind_t lt_jv_kind(const lt_jv_t *v)
{
    return v ? (lt_jv_kind_t)v->kind : LT_JV_NULL;
}

const lt_jv_t *lt_jv_get(const lt_jv_t *obj, const char *key)
{
    if (!obj || obj->kind != LT_JV_OBJ || !key || obj->n == 0) return NULL;
    size_t klen = strlen(key);
    if (klen > UINT32_MAX) return NULL;
    lt_jmember_t probe = { .key = key, .klen = (uint32_t)klen };
    const lt_jmember_t *m = obj->as.members;
    const uint32_t *ord = (const uint32_t *)(m + obj->n);
    size_t lo = 0, hi = obj->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(&m[ord[mid]], &probe);
        if (c == 0) return &m[ord[mid]].val;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

size_t lt_jv_len(const lt_jv_t *v)
{
    return v && (v->kind == LT_JV_ARR || v->kind == LT_JV_OBJ) ? v->n : 0;
}

const lt_jv_t *lt_jv_at(const lt_jv_t *arr, size_t i)
{
    if (!arr || arr->kind != LT_JV_ARR || i >= arr->n) return NULL;
    return &arr->as.items[i];
}

const char *lt_jv_member(const lt_jv_t *obj, size_t i, const lt_jv_t **val)
{
    if (!obj || obj->kind != LT_JV_OBJ || i >= obj->n) {
        if (val) *val = NULL;
        return NULL;
    }
    if (val) *val = &obj->as.members[i].val;
    return obj->as.members[i].key;
}

const char *lt_jv_str(const lt_jv_t *v)
{
    return v && v->kind == LT_JV_STR ? v->as.s : NULL;
}

int lt_jv_u64(const lt_jv_t *v, uint64_t *out)
{
    if (!v || v->kind != LT_JV_NUM || v->num != NUM_U64) return -1;
    *out = v->as.u;
    return 0;
}

int lt_jv_i64(const lt_jv_t *v, int64_t *out)
{
    if (!v || v->kind != LT_JV_NUM) return -1;
    if (v->num == NUM_I64) { *out = v->as.i; return 0; }
    if (v->num == NUM_U64 && v->as.u <= (uint64_t)INT64_MAX) { *out = (int64_t)v->as.u; return 0; }
    return -1;
}

int lt_jv_f64(const lt_jv_t *v, double *out)
{
    if (!v || v->kind != LT_JV_NUM) return -1;
    switch (v->num) {
    case NUM_U64: *out = (double)v->as.u; break;
    case NUM_I64: *out = (double)v->as.i; break;
    default: *out = v->as.d; break;
    }
    return 0;
}

int lt_jv_bool(const lt_jv_t *v, int *out)
{
    if (!v || v->kind != LT_JV_BOOL) return -1;
    *out = v->as.b;
    return 0;
}
