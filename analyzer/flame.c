/*
 * flame.c - folded stacks and SVG flame graphs of a heap profile (flame.h).
 *
 * Both outputs start from the same call tree: the root "all", then each
 * site's frames from the outermost to the innermost, nodes keyed by
 * (parent, label, inlined) so that sites with equal label paths share
 * nodes. A node's value is the bytes of every site whose path goes through
 * it, its self value the bytes of the sites that end there. Labels are
 * cleaned once, when interned (valid UTF-8 without control characters;
 * in folded mode also without ';' and with the "_[i]" inline annotation),
 * so everything downstream only has to XML-escape.
 *
 * Nodes are created parent first, so a node's index is always above its
 * parent's: passes that need parents before children walk the array in
 * index order; output walks the tree depth first with siblings sorted by
 * label (byte-wise), which makes the output independent of site order.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"

#define NO_NODE UINT32_MAX

/* Geometry of the SVG, in pixels. */
#define SVG_W 1200
#define SVG_PAD 10           /* left and right margin */
#define SVG_FH 16            /* frame height, including a 1 px gap */
#define SVG_TOP 92           /* header: title and three lines */
#define SVG_BOTTOM 24        /* footer: hover details, search result */
#define SVG_CW 7.2           /* approximate width of one 12 px monospace char */
#define SVG_MIN_FRACTION 0.001 /* frames narrower than this are not drawn */

enum { K_FRAME, K_NOSYM, K_SPECIAL };   /* node kinds, for colors */
enum { MIX_LINE = 1, MIX_FILE = 2 };

typedef struct fnode {
    uint64_t value;      /* bytes of the sites whose path goes through here */
    uint64_t self;       /* bytes of the sites whose path ends here */
    uint64_t off;        /* SVG: bytes left of this frame (x position) */
    const char *file;    /* first merged frame's file (profile's string) */
    uint32_t name;       /* label index */
    uint32_t parent;     /* NO_NODE for the root */
    uint32_t first;      /* children are kids[first .. first + nkids) */
    uint32_t nkids;
    uint32_t line;
    uint32_t module;
    uint32_t depth;      /* root 0 */
    uint8_t inlined, kind, mixed, visible;
} fnode_t;

typedef struct ftree {
    const lt_profile_t *p;
    int folded;          /* labels for the folded format */
    fnode_t *nodes;
    size_t n, cap;
    uint32_t *ntab;      /* node hash table: index + 1, 0 empty */
    size_t ntabcap;
    char *pool;          /* label bytes, each NUL-terminated */
    size_t plen, pcap;
    size_t *loff;        /* label index -> offset in pool */
    size_t nlab, labcap;
    uint32_t *ltab;      /* label hash table: index + 1, 0 empty */
    size_t ltabcap;
    uint32_t *kids;      /* children of every node, grouped by parent */
    char *scratch;       /* label being built */
    size_t slen, scap;
    uint64_t total;      /* root value */
    size_t nsites;       /* sites with a non-zero value */
    uint32_t maxdepth;
} ftree_t;

/* ---- small helpers ---- */

static uint64_t fnv(const void *s, size_t n, uint64_t h)
{
    const unsigned char *c = s;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 when s does
 * not start one (bad lead or continuation byte, overlong, surrogate, beyond
 * U+10FFFF, or U+FFFE/U+FFFF, which XML forbids). */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    uint32_t cp;
    size_t n;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff) return 0;
    return n;
}

/* Writes s XML-escaped (for text and attribute values); control characters
 * and invalid UTF-8 become '?'. */
static void xml_put(FILE *out, const char *s)
{
    const unsigned char *c = (const unsigned char *)s;
    while (*c) {
        size_t n = utf8_seq(c);
        if (n == 0 || *c < 0x20 || *c == 0x7f) {
            fputc('?', out);
            c++;
            continue;
        }
        switch (*c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default: fwrite(c, 1, n, out);
        }
        c += n;
    }
}

/* 1234567 -> "1,234,567" */
static void grouped(uint64_t v, char *buf, size_t size)
{
    char d[32];
    int n = snprintf(d, sizeof d, "%" PRIu64, v);
    size_t j = 0;
    for (int i = 0; i < n && j + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[j++] = ',';
        buf[j++] = d[i];
    }
    buf[j] = 0;
}

/* "376 bytes", "12.8 KiB", "3.0 MiB" */
static void human(uint64_t v, char *buf, size_t size)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    if (v < 1024) {
        snprintf(buf, size, "%" PRIu64 " byte%s", v, v == 1 ? "" : "s");
        return;
    }
    double x = (double)v / 1024;
    size_t u = 0;
    while (x >= 1024 && u + 1 < sizeof units / sizeof *units) {
        x /= 1024;
        u++;
    }
    snprintf(buf, size, "%.1f %s", x, units[u]);
}

/* "2.9 KiB (3,000 bytes)", or "376 bytes" below 1 KiB */
static void human_exact(uint64_t v, char *buf, size_t size)
{
    char h[32], g[32];
    human(v, h, sizeof h);
    if (v < 1024) {
        snprintf(buf, size, "%s", h);
        return;
    }
    grouped(v, g, sizeof g);
    snprintf(buf, size, "%s (%s bytes)", h, g);
}

static uint64_t site_value(const lt_psite_t *s, int what)
{
    return what == LT_FLAME_ALLOC ? s->c.alloc_space : s->c.inuse_space;
}

/* ---- the tree ---- */

static void tree_free(ftree_t *t)
{
    free(t->nodes);
    free(t->ntab);
    free(t->pool);
    free(t->loff);
    free(t->ltab);
    free(t->kids);
    free(t->scratch);
}

static int scratch_room(ftree_t *t, size_t more)
{
    if (t->slen + more + 1 <= t->scap) return 0;
    size_t nc = t->scap ? t->scap : 256;
    while (nc < t->slen + more + 1) nc *= 2;
    char *n = realloc(t->scratch, nc);
    if (!n) return -1;
    t->scratch = n;
    t->scap = nc;
    return 0;
}

/* Appends s to the scratch label, cleaned: invalid UTF-8 and control
 * characters become '?', and in folded mode ';' becomes ':'. */
static int scratch_clean(ftree_t *t, const char *s)
{
    size_t len = strlen(s);
    if (scratch_room(t, len) < 0) return -1;
    const unsigned char *c = (const unsigned char *)s;
    char *o = t->scratch + t->slen;
    while (*c) {
        size_t n = utf8_seq(c);
        if (n == 0 || *c < 0x20 || *c == 0x7f) {
            *o++ = '?';
            c++;
        } else if (*c == ';' && t->folded) {
            *o++ = ':';
            c++;
        } else {
            memcpy(o, c, n);
            o += n;
            c += n;
        }
    }
    *o = 0;
    t->slen = (size_t)(o - t->scratch);
    return 0;
}

static int label_grow_table(ftree_t *t)
{
    size_t nc = t->ltabcap ? t->ltabcap * 2 : 1024;
    uint32_t *n = calloc(nc, sizeof *n);
    if (!n) return -1;
    for (size_t i = 0; i < t->nlab; i++) {
        const char *s = t->pool + t->loff[i];
        size_t j = (size_t)fnv(s, strlen(s), 1469598103934665603ull) & (nc - 1);
        while (n[j]) j = (j + 1) & (nc - 1);
        n[j] = (uint32_t)i + 1;
    }
    free(t->ltab);
    t->ltab = n;
    t->ltabcap = nc;
    return 0;
}

/* The index of label s (interned), or NO_NODE when out of memory. */
static uint32_t label_intern(ftree_t *t, const char *s)
{
    if ((t->nlab + 1) * 2 > t->ltabcap && label_grow_table(t) < 0) return NO_NODE;
    size_t len = strlen(s);
    size_t j = (size_t)fnv(s, len, 1469598103934665603ull) & (t->ltabcap - 1);
    for (; t->ltab[j]; j = (j + 1) & (t->ltabcap - 1))
        if (strcmp(t->pool + t->loff[t->ltab[j] - 1], s) == 0) return t->ltab[j] - 1;
    if (t->nlab >= UINT32_MAX - 1) return NO_NODE;
    if (t->nlab == t->labcap) {
        size_t nc = t->labcap ? t->labcap * 2 : 256;
        size_t *n = realloc(t->loff, nc * sizeof *n);
        if (!n) return NO_NODE;
        t->loff = n;
        t->labcap = nc;
    }
    if (t->plen + len + 1 > t->pcap) {
        size_t nc = t->pcap ? t->pcap : 16384;
        while (nc < t->plen + len + 1) nc *= 2;
        char *n = realloc(t->pool, nc);
        if (!n) return NO_NODE;
        t->pool = n;
        t->pcap = nc;
    }
    memcpy(t->pool + t->plen, s, len + 1);
    t->loff[t->nlab] = t->plen;
    t->plen += len + 1;
    t->ltab[j] = (uint32_t)t->nlab + 1;
    return (uint32_t)t->nlab++;
}

static const char *label(const ftree_t *t, uint32_t name)
{
    return t->pool + t->loff[name];
}

static size_t node_hash(uint32_t parent, uint32_t name, unsigned inlined)
{
    return (size_t)mix64(((uint64_t)parent << 32 ^ name) * 0x9e3779b97f4a7c15ull + inlined);
}

static int node_grow_table(ftree_t *t)
{
    size_t nc = t->ntabcap ? t->ntabcap * 2 : 1024;
    uint32_t *n = calloc(nc, sizeof *n);
    if (!n) return -1;
    for (size_t i = 1; i < t->n; i++) {
        const fnode_t *x = &t->nodes[i];
        size_t j = node_hash(x->parent, x->name, t->folded ? 0 : x->inlined) & (nc - 1);
        while (n[j]) j = (j + 1) & (nc - 1);
        n[j] = (uint32_t)i + 1;
    }
    free(t->ntab);
    t->ntab = n;
    t->ntabcap = nc;
    return 0;
}

static uint32_t node_new(ftree_t *t)
{
    if (t->n >= UINT32_MAX - 1) return NO_NODE;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 1024;
        fnode_t *n = realloc(t->nodes, nc * sizeof *n);
        if (!n) return NO_NODE;
        t->nodes = n;
        t->cap = nc;
    }
    memset(&t->nodes[t->n], 0, sizeof t->nodes[t->n]);
    t->nodes[t->n].module = LT_PMOD_NONE;
    return (uint32_t)t->n++;
}

/* The child of parent labelled by the scratch label (created on first
 * use), its value increased by v. f: the frame it comes from, NULL for
 * the special labels. NO_NODE when out of memory. */
static uint32_t node_child(ftree_t *t, uint32_t parent, const lt_pframe_t *f, int kind, uint64_t v)
{
    uint32_t name = label_intern(t, t->scratch);
    if (name == NO_NODE) return NO_NODE;
    unsigned inlined = f && f->inlined ? 1 : 0;
    unsigned keyinl = t->folded ? 0 : inlined;   /* folded: the suffix is in the label */
    if ((t->n + 1) * 2 > t->ntabcap && node_grow_table(t) < 0) return NO_NODE;
    size_t j = node_hash(parent, name, keyinl) & (t->ntabcap - 1);
    for (; t->ntab[j]; j = (j + 1) & (t->ntabcap - 1)) {
        fnode_t *x = &t->nodes[t->ntab[j] - 1];
        if (x->parent != parent || x->name != name || (t->folded ? 0 : x->inlined) != keyinl) continue;
        if (f) {
            if (x->file != f->file) x->mixed |= MIX_FILE | MIX_LINE;
            else if (x->line != f->line) x->mixed |= MIX_LINE;
        }
        x->value += v;
        return t->ntab[j] - 1;
    }
    uint32_t i = node_new(t);
    if (i == NO_NODE) return NO_NODE;
    fnode_t *x = &t->nodes[i];
    x->name = name;
    x->parent = parent;
    x->depth = t->nodes[parent].depth + 1;
    x->kind = (uint8_t)kind;
    x->inlined = (uint8_t)inlined;
    x->value = v;
    if (f) {
        x->file = f->file;
        x->line = f->line;
        x->module = f->module;
    }
    t->ntab[j] = i + 1;
    if (x->depth > t->maxdepth) t->maxdepth = x->depth;
    return i;
}

/* Builds the scratch label of frame f; returns its kind, -1 when out of
 * memory. */
static int frame_label(ftree_t *t, const lt_pframe_t *f)
{
    int kind;
    t->slen = 0;
    if (scratch_room(t, 0) < 0) return -1;
    t->scratch[0] = 0;
    if (f->function && f->function[0]) {
        if (scratch_clean(t, f->function) < 0) return -1;
        kind = K_FRAME;
    } else {
        const char *mod = lt_profile_module_name(t->p, f->module);
        if (mod[0] && scratch_clean(t, mod) < 0) return -1;
        char hex[32];
        snprintf(hex, sizeof hex, "%s0x%" PRIx64, mod[0] ? "+" : "", f->offset);
        if (scratch_clean(t, hex) < 0) return -1;
        kind = K_NOSYM;
    }
    if (t->folded && f->inlined && scratch_clean(t, "_[i]") < 0) return -1;
    return kind;
}

static int special_label(ftree_t *t, const char *s)
{
    t->slen = 0;
    if (scratch_room(t, 0) < 0) return -1;
    t->scratch[0] = 0;
    return scratch_clean(t, s);
}

typedef struct kidkey {
    uint32_t parent, rank, inlined, node;
} kidkey_t;

static int kidkey_cmp(const void *x, const void *y)
{
    const kidkey_t *a = x, *b = y;
    if (a->parent != b->parent) return a->parent < b->parent ? -1 : 1;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    if (a->inlined != b->inlined) return a->inlined < b->inlined ? -1 : 1;
    return 0;
}

typedef struct labkey {
    const char *s;
    uint32_t index;
} labkey_t;

static int labkey_cmp(const void *x, const void *y)
{
    return strcmp(((const labkey_t *)x)->s, ((const labkey_t *)y)->s);
}

/* Fills kids: every node's children, sorted by label then inlined. */
static int tree_sort_children(ftree_t *t)
{
    if (t->n < 2) return 0;
    labkey_t *lk = malloc(t->nlab * sizeof *lk);
    uint32_t *rank = malloc(t->nlab * sizeof *rank);
    kidkey_t *kk = malloc((t->n - 1) * sizeof *kk);
    t->kids = malloc((t->n - 1) * sizeof *t->kids);
    if (!lk || !rank || !kk || !t->kids) {
        free(lk);
        free(rank);
        free(kk);
        return -1;
    }
    for (size_t i = 0; i < t->nlab; i++) lk[i] = (labkey_t){ label(t, (uint32_t)i), (uint32_t)i };
    qsort(lk, t->nlab, sizeof *lk, labkey_cmp);
    for (size_t i = 0; i < t->nlab; i++) rank[lk[i].index] = (uint32_t)i;
    for (size_t i = 1; i < t->n; i++) {
        const fnode_t *x = &t->nodes[i];
        kk[i - 1] = (kidkey_t){ x->parent, rank[x->name], x->inlined, (uint32_t)i };
    }
    qsort(kk, t->n - 1, sizeof *kk, kidkey_cmp);
    for (size_t i = 0; i < t->n - 1; i++) {
        fnode_t *par = &t->nodes[kk[i].parent];
        if (par->nkids == 0) par->first = (uint32_t)i;
        par->nkids++;
        t->kids[i] = kk[i].node;
    }
    free(lk);
    free(rank);
    free(kk);
    return 0;
}

/* Builds the call tree of p's sites for counter what. */
static int tree_build(ftree_t *t, const lt_profile_t *p, int what, int folded, lt_err_t *err)
{
    memset(t, 0, sizeof *t);
    t->p = p;
    t->folded = folded;
    if (special_label(t, "all") < 0) goto nomem;
    uint32_t root = node_new(t);
    if (root == NO_NODE) goto nomem;
    t->nodes[root].name = label_intern(t, t->scratch);
    if (t->nodes[root].name == NO_NODE) goto nomem;
    t->nodes[root].parent = NO_NODE;
    t->nodes[root].kind = K_SPECIAL;
    for (size_t i = 0; i < p->nsites; i++) {
        const lt_psite_t *s = &p->sites[i];
        uint64_t v = site_value(s, what);
        if (v == 0) continue;
        t->nsites++;
        t->total += v;
        t->nodes[root].value += v;
        uint32_t cur = root;
        if (s->truncated) {
            if (special_label(t, "[truncated stack]") < 0) goto nomem;
            if ((cur = node_child(t, cur, NULL, K_SPECIAL, v)) == NO_NODE) goto nomem;
        }
        if (s->nframes == 0) {
            if (special_label(t, "[unknown stack]") < 0) goto nomem;
            if ((cur = node_child(t, cur, NULL, K_SPECIAL, v)) == NO_NODE) goto nomem;
        }
        for (size_t k = s->nframes; k-- > 0;) {
            int kind = frame_label(t, &s->frames[k]);
            if (kind < 0) goto nomem;
            if ((cur = node_child(t, cur, &s->frames[k], kind, v)) == NO_NODE) goto nomem;
        }
        t->nodes[cur].self += v;
    }
    if (tree_sort_children(t) < 0) goto nomem;
    return 0;
nomem:
    tree_free(t);
    LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory building the flame graph");
}

/* Calls visit(t, node, ctx) on every node in depth-first order, siblings
 * by label, parents first. Iterative: stacks can be arbitrarily deep. */
static int tree_walk(ftree_t *t, void (*visit)(ftree_t *, uint32_t, void *), void *ctx)
{
    uint32_t *stack = malloc(t->n * sizeof *stack);
    if (!stack) return -1;
    size_t sp = 0;
    stack[sp++] = 0;
    while (sp) {
        uint32_t u = stack[--sp];
        visit(t, u, ctx);
        const fnode_t *x = &t->nodes[u];
        for (uint32_t k = x->nkids; k-- > 0;) stack[sp++] = t->kids[x->first + k];
    }
    free(stack);
    return 0;
}

typedef struct tree_visit_ctx {
    void (*visit)(void *ctx, const lt_flame_node_t *n);
    void *ctx;
    size_t *order;       /* node index -> visit index */
    size_t next;
} tree_visit_ctx_t;

static void tree_visit(ftree_t *t, uint32_t u, void *ctx)
{
    tree_visit_ctx_t *c = ctx;
    const fnode_t *x = &t->nodes[u];
    lt_flame_node_t n;
    c->order[u] = c->next++;
    n.index = c->order[u];
    n.parent = x->parent == NO_NODE ? SIZE_MAX : c->order[x->parent];
    n.depth = x->depth;
    n.label = label(t, x->name);
    n.file = x->mixed & MIX_FILE ? NULL : x->file;
    n.line = x->mixed & (MIX_LINE | MIX_FILE) ? 0 : x->line;
    n.module = x->kind == K_SPECIAL ? "" : lt_profile_module_name(t->p, x->module);
    n.value = x->value;
    n.self = x->self;
    n.kind = x->kind == K_FRAME ? 0 : x->kind == K_NOSYM ? 1 : 2;
    n.inlined = x->inlined;
    c->visit(c->ctx, &n);
}

int lt_flame_tree(const lt_profile_t *p, int what, void (*visit)(void *ctx, const lt_flame_node_t *n), void *ctx,
                  uint64_t *total, lt_err_t *err)
{
    if (!p || !visit) LT_RETURN_ERROR(err, LT_E_USAGE, -1, "flame graph: no profile or no visitor");
    if (what != LT_FLAME_INUSE && what != LT_FLAME_ALLOC)
        LT_RETURN_ERROR(err, LT_E_USAGE, -1, "flame graph: unknown counter %d", what);
    ftree_t t;
    if (tree_build(&t, p, what, 0, err) < 0) return -1;
    tree_visit_ctx_t c = { visit, ctx, malloc(t.n * sizeof *c.order), 0 };
    int rc = c.order ? tree_walk(&t, tree_visit, &c) : -1;
    if (total) *total = t.total;
    free(c.order);
    tree_free(&t);
    if (rc < 0) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory building the flame graph");
    return 0;
}

static int check_args(const lt_profile_t *p, int what, FILE *out, lt_err_t *err)
{
    if (!p || !out) LT_RETURN_ERROR(err, LT_E_USAGE, -1, "flame graph: no profile or no output");
    if (what != LT_FLAME_INUSE && what != LT_FLAME_ALLOC)
        LT_RETURN_ERROR(err, LT_E_USAGE, -1, "flame graph: unknown counter %d", what);
    return 0;
}

static int finish_output(FILE *out, lt_err_t *err)
{
    if (fflush(out) != 0 || ferror(out))
        LT_RETURN_ERROR(err, LT_E_IO, -1, "cannot write the flame graph");
    return 0;
}

/* ---- folded ---- */

typedef struct folded_ctx {
    FILE *out;
    uint32_t *path;   /* maxdepth + 1 entries */
} folded_ctx_t;

static void folded_visit(ftree_t *t, uint32_t u, void *ctx)
{
    folded_ctx_t *c = ctx;
    const fnode_t *x = &t->nodes[u];
    if (u == 0 || x->self == 0) return;
    uint32_t d = 0;
    for (uint32_t v = u; v != 0; v = t->nodes[v].parent) c->path[d++] = v;
    while (d-- > 0) {
        fputs(label(t, t->nodes[c->path[d]].name), c->out);
        if (d) fputc(';', c->out);
    }
    fprintf(c->out, " %" PRIu64 "\n", x->self);
}

int lt_flame_folded(const lt_profile_t *p, int what, FILE *out, lt_err_t *err)
{
    LT_FORWARD_IF_ERROR(check_args(p, what, out, err));
    ftree_t t;
    LT_FORWARD_IF_ERROR(tree_build(&t, p, what, 1, err));
    folded_ctx_t c = { out, malloc(((size_t)t.maxdepth + 1) * sizeof *c.path) };
    int rc = c.path ? tree_walk(&t, folded_visit, &c) : -1;
    free(c.path);
    tree_free(&t);
    if (rc < 0) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory writing folded stacks");
    return finish_output(out, err);
}

/* ---- SVG ---- */

typedef struct svg_ctx {
    FILE *out;
    const uint8_t *isprog;  /* per module: the traced program itself */
    int distinguish;        /* some module is the program: color it apart */
    int height;
    char *buf;              /* label truncation */
    size_t bufcap;
    int nomem;
} svg_ctx_t;

/* Deterministic fill color of a node. */
static void node_color(const ftree_t *t, const svg_ctx_t *c, const fnode_t *x, char *buf, size_t size)
{
    const char *s = label(t, x->name);
    uint64_t h = mix64(fnv(s, strlen(s), 1469598103934665603ull));
    unsigned v1 = (unsigned)(h & 0xff), v2 = (unsigned)(h >> 8 & 0xff), v3 = (unsigned)(h >> 16 & 0xff);
    unsigned r, g, b;
    if (x->kind == K_SPECIAL) {
        r = g = b = 205 + v1 * 20 / 255;
    } else if (x->kind == K_NOSYM) {
        r = g = 165 + v1 * 35 / 255;
        b = r + 10;
    } else if (x->inlined) {                      /* aqua */
        r = 70 + v1 * 50 / 255;
        g = 190 + v2 * 40 / 255;
        b = 200 + v3 * 40 / 255;
    } else if (!c->distinguish || (x->module < t->p->nmodules && c->isprog[x->module])) {
        r = 210 + v1 * 45 / 255;                  /* red to orange: the program */
        g = 40 + v2 * 120 / 255;
        b = v3 * 50 / 255;
    } else {                                      /* sand: libraries */
        r = 205 + v1 * 35 / 255;
        g = 180 + v2 * 35 / 255;
        b = 120 + v3 * 45 / 255;
    }
    snprintf(buf, size, "rgb(%u,%u,%u)", r, g, b);
}

static double px_x(const ftree_t *t, uint64_t off)
{
    return SVG_PAD + (double)off * (SVG_W - 2 * SVG_PAD) / (double)t->total;
}

/* Writes label s cut to what fits in w pixels ("name.." when cut, nothing
 * when fewer than 3 characters fit). s is clean UTF-8. */
static void svg_label(svg_ctx_t *c, const char *s, double w)
{
    double fit = (w - 6) / SVG_CW;
    if (fit < 3) return;
    size_t maxc = (size_t)fit, chars = 0, cut = 0;
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        if ((u[i] & 0xc0) == 0x80) continue;
        if (chars == maxc - 2) cut = i;
        chars++;
    }
    if (chars <= maxc) {
        xml_put(c->out, s);
        return;
    }
    if (cut + 3 > c->bufcap) {
        char *n = realloc(c->buf, cut + 3);
        if (!n) {
            c->nomem = 1;
            return;
        }
        c->buf = n;
        c->bufcap = cut + 3;
    }
    memcpy(c->buf, s, cut);
    memcpy(c->buf + cut, "..", 3);
    xml_put(c->out, c->buf);
}

static void svg_visit(ftree_t *t, uint32_t u, void *ctx)
{
    svg_ctx_t *c = ctx;
    const fnode_t *x = &t->nodes[u];
    if (!x->visible) return;
    FILE *out = c->out;
    const char *name = label(t, x->name);
    double x0 = px_x(t, x->off), x1 = px_x(t, x->off + x->value), w = x1 - x0;
    int y = c->height - SVG_BOTTOM - ((int)x->depth + 1) * SVG_FH;
    char fill[32], bytes[80], self[80];
    node_color(t, c, x, fill, sizeof fill);
    human_exact(x->value, bytes, sizeof bytes);

    fputs("<g class=\"f\"><title>", out);
    xml_put(out, name);
    if (x->inlined) fputs("\ninlined", out);
    if (x->file && !(x->mixed & MIX_FILE)) {
        fputc('\n', out);
        xml_put(out, x->file);
        if (x->mixed & MIX_LINE) fputs(" (several lines)", out);
        else if (x->line) fprintf(out, ":%" PRIu32, x->line);
    } else if (x->mixed & MIX_FILE) {
        fputs("\n(several source files)", out);
    }
    if (x->kind == K_FRAME && x->module != LT_PMOD_NONE) {
        const char *mod = lt_profile_module_name(t->p, x->module);
        if (mod[0]) {
            fputs("\nin ", out);
            xml_put(out, mod);
        }
    }
    fputc('\n', out);
    xml_put(out, bytes);
    fprintf(out, ", %.2f%%", 100.0 * (double)x->value / (double)t->total);
    if (x->self && x->self != x->value) {
        human_exact(x->self, self, sizeof self);
        fputs("\nself: ", out);
        xml_put(out, self);
    }
    fprintf(out, "</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" rx=\"2\" fill=\"%s\"/>",
            x0, y, w, SVG_FH - 1, fill);
    fprintf(out, "<text x=\"%.2f\" y=\"%d\">", x0 + 3, y + SVG_FH - 5);
    svg_label(c, name, w);
    fputs("</text></g>\n", out);
}

/* "bytes live at the end of the run" and the like. */
static void svg_measure(const lt_profile_t *p, int what, char *buf, size_t size)
{
    char moment[400];
    double s = (double)p->ts_ns / 1e9;
    switch (p->moment) {
    case LT_MOMENT_TIME: snprintf(moment, sizeof moment, "%.3f s", s); break;
    case LT_MOMENT_MARK:
        snprintf(moment, sizeof moment, "mark \"%s\" (%.3f s)", p->mark ? p->mark : "", s);
        break;
    case LT_MOMENT_PEAK: snprintf(moment, sizeof moment, "the peak of live bytes (%.3f s)", s); break;
    default:
        snprintf(moment, sizeof moment, "the end of the run%s", p->complete ? "" : " (trace cut short)");
    }
    if (what == LT_FLAME_ALLOC)
        snprintf(buf, size, "bytes allocated from the start up to %s", moment);
    else if (p->moment == LT_MOMENT_END)
        snprintf(buf, size, "leaked: bytes still live at %s", moment);
    else
        snprintf(buf, size, "bytes live at %s", moment);
    if (p->sample_rate) {
        size_t l = strlen(buf);
        snprintf(buf + l, size - l, " (estimated from a sampled trace, LEAKTRACE_SAMPLE=%llu)",
                 (unsigned long long)p->sample_rate);
    }
}

/* Click to zoom, search. Kept free of "]]>" (it sits in a CDATA section). */
static const char svg_script[] =
    "\"use strict\";\n"
    "var W = 1200, PAD = 10, CW = 7.2, frames = [], details, unzoomBtn, matched, searchRe = null;\n"
    "function lt_init() {\n"
    "  var gs = document.getElementById(\"frames\").getElementsByTagName(\"g\");\n"
    "  for (var i = 0; i < gs.length; i++) {\n"
    "    var g = gs[i], r = g.getElementsByTagName(\"rect\")[0];\n"
    "    var f = { g: g, r: r, t: g.getElementsByTagName(\"text\")[0],\n"
    "              tip: g.getElementsByTagName(\"title\")[0].textContent,\n"
    "              x: parseFloat(r.getAttribute(\"x\")), w: parseFloat(r.getAttribute(\"width\")),\n"
    "              y: parseFloat(r.getAttribute(\"y\")), fill: r.getAttribute(\"fill\") };\n"
    "    f.name = f.tip.split(\"\\n\")[0];\n"
    "    frames.push(f);\n"
    "    g.addEventListener(\"click\", zoomTo.bind(null, f));\n"
    "    g.addEventListener(\"mouseover\", showDetails.bind(null, f));\n"
    "    g.addEventListener(\"mouseout\", showDetails.bind(null, null));\n"
    "  }\n"
    "  details = document.getElementById(\"details\");\n"
    "  matched = document.getElementById(\"matched\");\n"
    "  unzoomBtn = document.getElementById(\"unzoom\");\n"
    "  unzoomBtn.addEventListener(\"click\", function () { zoomTo(null); });\n"
    "  document.getElementById(\"search\").addEventListener(\"click\", search);\n"
    "  document.addEventListener(\"keydown\", function (e) {\n"
    "    if ((e.ctrlKey || e.metaKey) && e.key === \"f\") { e.preventDefault(); search(); }\n"
    "    else if (e.key === \"Escape\") { zoomTo(null); highlight(null); }\n"
    "  });\n"
    "}\n"
    "function showDetails(f) { details.textContent = f ? f.tip.replace(/\\n/g, \" | \") : \" \"; }\n"
    "function place(f, x, w) {\n"
    "  f.r.setAttribute(\"x\", x.toFixed(2));\n"
    "  f.r.setAttribute(\"width\", w.toFixed(2));\n"
    "  f.t.setAttribute(\"x\", (x + 3).toFixed(2));\n"
    "  var fit = Math.floor((w - 6) / CW), n = Array.from(f.name);\n"
    "  f.t.textContent = fit < 3 ? \"\" : n.length <= fit ? f.name : n.slice(0, fit - 2).join(\"\") + \"..\";\n"
    "}\n"
    "function zoomTo(z) {\n"
    "  var eps = 0.05, scale = z ? (W - 2 * PAD) / z.w : 1;\n"
    "  for (var i = 0; i < frames.length; i++) {\n"
    "    var f = frames[i], show = true, below = false, x = f.x, w = f.w;\n"
    "    if (z && f.y > z.y) {\n"
    "      below = true;\n"
    "      show = f.x <= z.x + eps && f.x + f.w >= z.x + z.w - eps;\n"
    "      x = PAD; w = W - 2 * PAD;\n"
    "    } else if (z) {\n"
    "      show = f.x >= z.x - eps && f.x + f.w <= z.x + z.w + eps;\n"
    "      x = PAD + (f.x - z.x) * scale; w = f.w * scale;\n"
    "    }\n"
    "    f.g.style.display = show ? \"\" : \"none\";\n"
    "    f.g.style.opacity = below ? \"0.6\" : \"\";\n"
    "    if (show) place(f, x, w);\n"
    "  }\n"
    "  unzoomBtn.style.display = z ? \"\" : \"none\";\n"
    "}\n"
    "function search() {\n"
    "  var term = prompt(\"Highlight frames matching (regular expression, empty to clear):\",\n"
    "                    searchRe ? searchRe.source : \"\");\n"
    "  if (term === null) return;\n"
    "  if (term === \"\") { highlight(null); return; }\n"
    "  try { highlight(new RegExp(term)); } catch (e) { alert(\"Bad regular expression: \" + e.message); }\n"
    "}\n"
    "function highlight(re) {\n"
    "  var spans = [], sum = 0, end = -1;\n"
    "  searchRe = re;\n"
    "  for (var i = 0; i < frames.length; i++) {\n"
    "    var f = frames[i], hit = re !== null && re.test(f.name);\n"
    "    f.r.setAttribute(\"fill\", hit ? \"rgb(225,40,225)\" : f.fill);\n"
    "    if (hit) spans.push([f.x, f.x + f.w]);\n"
    "  }\n"
    "  if (re === null) { matched.textContent = \" \"; return; }\n"
    "  spans.sort(function (a, b) { return a[0] - b[0]; });\n"
    "  for (var k = 0; k < spans.length; k++) {\n"
    "    var s = spans[k];\n"
    "    if (s[1] > end) { sum += s[1] - Math.max(s[0], end); end = s[1]; }\n"
    "  }\n"
    "  matched.textContent = \"matched: \" + (100 * sum / (W - 2 * PAD)).toFixed(1) + \"%\";\n"
    "}\n";

static void svg_legend_item(FILE *out, double *x, int y, const char *fill, const char *text)
{
    fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", *x, y - 9, fill);
    fprintf(out, "<text x=\"%.1f\" y=\"%d\">%s</text>\n", *x + 14, y, text);
    *x += 14 + (double)strlen(text) * SVG_CW + 14;
}

int lt_flame_svg(const lt_profile_t *p, int what, const char *title, FILE *out, lt_err_t *err)
{
    LT_FORWARD_IF_ERROR(check_args(p, what, out, err));
    ftree_t t;
    LT_FORWARD_IF_ERROR(tree_build(&t, p, what, 0, err));
    svg_ctx_t c = { .out = out };
    uint8_t *isprog = calloc(p->nmodules ? p->nmodules : 1, 1);
    if (!isprog) {
        tree_free(&t);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory writing the flame graph");
    }
    const char *exe = p->exe ? p->exe : "";
    const char *exebase = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
    for (size_t m = 0; exebase[0] && m < p->nmodules; m++) {
        if (strcmp(p->modules[m].path, exe) == 0 || strcmp(lt_profile_module_name(p, (uint32_t)m), exebase) == 0) {
            isprog[m] = 1;
            c.distinguish = 1;
        }
    }
    c.isprog = isprog;

    /* Layout: x offsets (parents come before children in the array) and
     * which frames are wide enough to draw. */
    size_t omitted = 0;
    uint32_t depth = 0;
    if (t.total) {
        t.nodes[0].visible = 1;
        for (size_t i = 0; i < t.n; i++) {
            fnode_t *x = &t.nodes[i];
            if (i > 0) {
                x->visible = t.nodes[x->parent].visible &&
                             (double)x->value >= SVG_MIN_FRACTION * (double)t.total;
                if (!x->visible) omitted++;
                else if (x->depth > depth) depth = x->depth;
            }
            uint64_t off = x->off;
            for (uint32_t k = 0; k < x->nkids; k++) {
                fnode_t *kid = &t.nodes[t.kids[x->first + k]];
                kid->off = off;
                off += kid->value;
            }
        }
    }
    c.height = t.total ? SVG_TOP + ((int)depth + 1) * SVG_FH + SVG_BOTTOM : SVG_TOP + 60;

    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\"%s>\n"
            "<!-- heap flame graph written by leaktrace -->\n"
            "<style type=\"text/css\">\n"
            "text { font-family: monospace; font-size: 12px; fill: #000; }\n"
            "#title { font-size: 17px; font-weight: bold; }\n"
            ".f text { pointer-events: none; }\n"
            ".f:hover rect { stroke: #000; stroke-width: 0.5; cursor: pointer; }\n"
            ".btn { cursor: pointer; fill: #226; text-decoration: underline; }\n"
            "</style>\n",
            SVG_W, c.height, SVG_W, c.height, t.total ? " onload=\"lt_init()\"" : "");
    if (t.total) fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", svg_script);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f6f5f0\"/>\n", SVG_W, c.height);

    /* Header. */
    fprintf(out, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">", SVG_W / 2);
    if (title) {
        xml_put(out, title);
    } else {
        fputs("Heap flame graph", out);
        if (exebase[0]) {
            fputs(": ", out);
            xml_put(out, exebase);
        }
    }
    fputs("</text>\n", out);
    char measure[600], tot[80];
    svg_measure(p, what, measure, sizeof measure);
    human_exact(t.total, tot, sizeof tot);
    fprintf(out, "<text x=\"%d\" y=\"44\">", SVG_PAD);
    xml_put(out, measure);
    fputs(": ", out);
    xml_put(out, tot);
    char nsites[32];
    grouped(t.nsites, nsites, sizeof nsites);
    fprintf(out, " from %s allocation site%s</text>\n", nsites, t.nsites == 1 ? "" : "s");
    fprintf(out, "<text x=\"%d\" y=\"60\">program: ", SVG_PAD);
    xml_put(out, exe[0] ? exe : "(unknown)");
    if (p->pid) fprintf(out, " (pid %lld)", p->pid);
    if (p->cmdline && p->cmdline[0]) {
        fputs(", command: ", out);
        xml_put(out, p->cmdline);
    }
    fputs("</text>\n", out);

    int rc = 0;
    if (!t.total) {
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"16\">no data: "
                "no bytes to show</text>\n", SVG_W / 2, SVG_TOP + 30);
    } else {
        double lx = SVG_PAD;
        int ly = 78;
        if (c.distinguish) {
            svg_legend_item(out, &lx, ly, "rgb(232,100,25)", "program");
            svg_legend_item(out, &lx, ly, "rgb(222,197,142)", "libraries");
        }
        svg_legend_item(out, &lx, ly, "rgb(95,210,220)", "inlined");
        svg_legend_item(out, &lx, ly, "rgb(182,182,192)", "no symbol");
        fprintf(out, "<text x=\"%.1f\" y=\"%d\">", lx, ly);
        if (omitted) {
            char nomit[32];
            grouped(omitted, nomit, sizeof nomit);
            fprintf(out, "%s frame%s narrower than 0.1%% not drawn. ", nomit, omitted == 1 ? "" : "s");
        }
        fputs("Click a frame to zoom.</text>\n", out);
        fprintf(out, "<text id=\"unzoom\" class=\"btn\" x=\"%d\" y=\"24\" style=\"display:none\">"
                "Reset zoom</text>\n", SVG_PAD);
        fprintf(out, "<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\" text-anchor=\"end\">"
                "Search (Ctrl-F)</text>\n", SVG_W - SVG_PAD);
        fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", SVG_PAD, c.height - 8);
        fprintf(out, "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"> </text>\n",
                SVG_W - SVG_PAD, c.height - 8);
        fputs("<g id=\"frames\">\n", out);
        rc = tree_walk(&t, svg_visit, &c);
        fputs("</g>\n", out);
    }
    fputs("</svg>\n", out);
    free(c.buf);
    free(isprog);
    tree_free(&t);
    if (rc < 0 || c.nomem) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory writing the flame graph");
    return finish_output(out, err);
}
