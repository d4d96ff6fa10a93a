/*
 * symbolize.c - offline symbolization of the addresses recorded in a trace.
 *
 * The trace tells us, per module generation, which object was mapped where
 * (path, load bias, PT_LOAD segments, GNU build-id). A lookup finds the
 * module covering an address in its generation, checks once that the file on
 * disk is the one that was traced (build-id), and asks elfutils' libdwfl for
 * the function, the source line and the chain of inlined calls, the way
 * `eu-addr2line -i -f` shows them. Separate debug info is found through
 * dwfl's standard paths (.gnu_debuglink, /usr/lib/debug/.build-id); without
 * DWARF the .symtab/.dynsym names are still given.
 *
 * Each distinct file (path + recorded build-id) gets its own Dwfl, reported
 * at bias 0 and queried with module-relative addresses: that way modules of
 * different generations that overlap in memory never meet, and a library
 * that stays loaded across generations, or is reloaded elsewhere, is read
 * once. Per file, the symbol table and, per compile unit, the function
 * DIEs' address ranges are indexed on first use, so a lookup is a few binary
 * searches (libdwfl's own address-to-symbol and dwarf_getscopes paths scan
 * the whole table or CU every time). Results are cached per (generation,
 * address); every string handed out lives in an arena owned by the
 * symbolizer until lt_sym_close.
 *
 * This is the only file of leaktrace that includes the elfutils headers.
 */
#include "symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* From libstdc++ (we link -lstdc++); declared here to stay a C file. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

#define MAX_INLINE_DEPTH 64     /* frames kept for one address, outermost last */
#define ARENA_BLOCK (64 * 1024)

/* ---- arena: everything handed out lives here until lt_sym_close --------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used;
    size_t cap;
    _Alignas(16) unsigned char data[];
} arena_block_t;

typedef struct arena {
    arena_block_t *head;
} arena_t;

static void *arena_alloc(arena_t *a, size_t size)
{
    size = (size + 15u) & ~(size_t)15u;
    if (size == 0)
        size = 16;
    arena_block_t *b = a->head;
    if (b == NULL || b->cap - b->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (b == NULL)
            return NULL;
        b->used = 0;
        b->cap = cap;
        /* a large one-off goes behind the current block so the current
         * block's free space is not wasted */
        if (a->head != NULL && size > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

static void arena_free(arena_t *a)
{
    arena_block_t *b = a->head;
    while (b != NULL) {
        arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---- hashing ------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;           /* FNV-1a */
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return mix64(h);
}

/* ---- string interning --------------------------------------------------- */

typedef struct strset {
    const char **slot;   /* open addressing, NULL = empty */
    size_t cap;          /* power of two or 0 */
    size_t count;
} strset_t;

static bool strset_grow(strset_t *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 256;
    const char **ns = calloc(ncap, sizeof *ns);
    if (ns == NULL)
        return false;
    for (size_t i = 0; i < t->cap; i++) {
        const char *s = t->slot[i];
        if (s == NULL)
            continue;
        size_t j = hash_str(s) & (ncap - 1);
        while (ns[j] != NULL)
            j = (j + 1) & (ncap - 1);
        ns[j] = s;
    }
    free(t->slot);
    t->slot = ns;
    t->cap = ncap;
    return true;
}

/* Returns a copy of s that lives in the arena, the same pointer for equal
 * strings; NULL for NULL or when out of memory. */
static const char *intern(strset_t *t, arena_t *a, const char *s)
{
    if (s == NULL)
        return NULL;
    if ((t->count + 1) * 4 > t->cap * 3 && !strset_grow(t))
        return NULL;
    size_t j = hash_str(s) & (t->cap - 1);
    while (t->slot[j] != NULL) {
        if (strcmp(t->slot[j], s) == 0)
            return t->slot[j];
        j = (j + 1) & (t->cap - 1);
    }
    size_t len = strlen(s);
    char *copy = arena_alloc(a, len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len + 1);
    t->slot[j] = copy;
    t->count++;
    return copy;
}

/* ---- result cache, keyed by (gen, ip, is_return_address) ----------------- */

typedef struct cache_entry {
    uint64_t ip;
    uint32_t gen;
    uint32_t used_ret;         /* 0: empty slot; 1: plain ip; 2: return address */
    const lt_symframe_t *frames;
    size_t nframes;
} cache_entry_t;

typedef struct cache {
    cache_entry_t *slot;
    size_t cap;                /* power of two or 0 */
    size_t count;
} cache_t;

static size_t cache_hash(uint32_t gen, uint64_t ip, uint32_t used_ret)
{
    return (size_t)mix64(ip ^ ((uint64_t)gen << 33) ^ ((uint64_t)used_ret << 62));
}

static cache_entry_t *cache_find(const cache_t *c, uint32_t gen, uint64_t ip, uint32_t used_ret)
{
    if (c->cap == 0)
        return NULL;
    size_t j = cache_hash(gen, ip, used_ret) & (c->cap - 1);
    while (c->slot[j].used_ret != 0) {
        cache_entry_t *e = &c->slot[j];
        if (e->ip == ip && e->gen == gen && e->used_ret == used_ret)
            return e;
        j = (j + 1) & (c->cap - 1);
    }
    return NULL;
}

static bool cache_grow(cache_t *c)
{
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    cache_entry_t *ns = calloc(ncap, sizeof *ns);
    if (ns == NULL)
        return false;
    for (size_t i = 0; i < c->cap; i++) {
        cache_entry_t *e = &c->slot[i];
        if (e->used_ret == 0)
            continue;
        size_t j = cache_hash(e->gen, e->ip, e->used_ret) & (ncap - 1);
        while (ns[j].used_ret != 0)
            j = (j + 1) & (ncap - 1);
        ns[j] = *e;
    }
    free(c->slot);
    c->slot = ns;
    c->cap = ncap;
    return true;
}

/* Adds an entry known to be absent; failure only costs the caching. */
static void cache_insert(cache_t *c, const cache_entry_t *e)
{
    if ((c->count + 1) * 4 > c->cap * 3 && !cache_grow(c))
        return;
    size_t j = cache_hash(e->gen, e->ip, e->used_ret) & (c->cap - 1);
    while (c->slot[j].used_ret != 0)
        j = (j + 1) & (c->cap - 1);
    c->slot[j] = *e;
    c->count++;
}

/* ---- images: one per distinct file (path + recorded build-id) ---------- */

enum image_state {
    IMAGE_UNOPENED,
    IMAGE_OK,          /* reported to its Dwfl, build-id matched */
    IMAGE_NOFILE,      /* nothing on disk to read, by nature (vDSO): silent */
    IMAGE_UNUSABLE,    /* missing, unreadable or different file: warned */
};

/* A function symbol of an image, for our own address -> name search
 * (dwfl_module_addrinfo scans the whole table on every call, and picks
 * internal aliases such as __GI_getenv over the public name). */
typedef struct symbol {
    uint64_t addr;
    uint64_t size;              /* 0: sizeless, covers up to the next symbol */
    const char *name;           /* owned by the image's Dwfl */
    uint32_t rank;              /* among aliases, lower is the better name */
} symbol_t;

typedef struct image {
    const lt_module_t *first;   /* the module that introduced it (path, build-id) */
    enum image_state state;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    symbol_t *syms;             /* sorted by addr, then rank; loaded on first use */
    size_t nsyms;
    bool syms_loaded;
    struct cu_index *cus;       /* sorted by CU offset; built on first use of each */
    size_t ncus;
    size_t cus_cap;
    struct cu_span *spans;      /* CU ranges, for DWARF without .debug_aranges */
    size_t nspans;
    bool spans_loaded;
} image_t;

struct lt_symbolizer {
    const lt_module_t *mods;
    size_t nmods;
    unsigned flags;
    lt_sym_warn_fn warn;
    void *warn_ctx;

    int32_t *mod_image;         /* per module: index in images, -1 not yet known */
    image_t *images;
    size_t nimages;
    size_t images_cap;
    size_t last_mod;            /* module of the previous miss, tried first */

    arena_t arena;
    strset_t strings;
    cache_t cache;
    lt_symframe_t fallback;     /* returned when even that cannot be allocated */
};

static char *debuginfo_path = NULL;    /* NULL: dwfl's default search path */

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static void say(lt_symbolizer_t *s, const char *fmt, ...)
{
    if (s->warn == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *msg = malloc((size_t)n + 1);
    if (msg == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->warn(s->warn_ctx, msg);
    free(msg);
}

static const char *module_path(const lt_module_t *m)
{
    return m->path != NULL ? m->path : "";
}

/* Modules that never have a file to read: the vDSO, or no name at all. */
static bool is_fileless(const char *path)
{
    return path[0] == '\0' || strcmp(path, "[vdso]") == 0 ||
           strcmp(path, "linux-vdso.so.1") == 0 || strcmp(path, "linux-gate.so.1") == 0;
}

/* The recorded build-id length, bounded by its array (garbage traces). */
static uint32_t build_id_len(const lt_module_t *m)
{
    return m->build_id_len > sizeof m->build_id ? (uint32_t)sizeof m->build_id : m->build_id_len;
}

static bool same_file(const lt_module_t *a, const lt_module_t *b)
{
    uint32_t la = build_id_len(a), lb = build_id_len(b);
    return strcmp(module_path(a), module_path(b)) == 0 && la == lb &&
           memcmp(a->build_id, b->build_id, la) == 0;
}

static const char *const fallback_note = "its frames are shown as module+offset";

/* Opens the image's file, checks it is the traced one, warns if it is not. */
static void image_open(lt_symbolizer_t *s, image_t *img)
{
    const lt_module_t *m = img->first;
    const char *path = module_path(m);

    img->state = IMAGE_UNUSABLE;
    if (is_fileless(path)) {
        img->state = IMAGE_NOFILE;
        return;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        say(s, "%s: cannot be opened (%s); %s (run the analyzer where the traced "
            "files are installed)", path, strerror(errno), fallback_note);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        say(s, "%s: not a regular file; %s", path, fallback_note);
        return;
    }

    img->dwfl = dwfl_begin(&offline_callbacks);
    if (img->dwfl == NULL) {
        say(s, "%s: cannot set up libdwfl (%s); %s", path, dwfl_errmsg(-1), fallback_note);
        return;
    }
    dwfl_report_begin(img->dwfl);
    /* bias 0: lookups use addresses relative to the recorded load bias */
    img->mod = dwfl_report_elf(img->dwfl, path, path, -1, 0, true);
    if (dwfl_report_end(img->dwfl, NULL, NULL) != 0 || img->mod == NULL) {
        say(s, "%s: cannot be read as an ELF file (%s); %s", path, dwfl_errmsg(-1),
            fallback_note);
        goto unusable;
    }

    Dwarf_Addr bias;
    if (dwfl_module_getelf(img->mod, &bias) == NULL) {
        say(s, "%s: cannot be read as an ELF file (%s); %s", path, dwfl_errmsg(-1),
            fallback_note);
        goto unusable;
    }
    const unsigned char *bits = NULL;
    GElf_Addr id_vaddr;
    int idlen = dwfl_module_build_id(img->mod, &bits, &id_vaddr);
    uint32_t want = build_id_len(m);
    /* Nothing recorded: nothing to check against, trust the path. */
    if (want != 0 &&
        (idlen <= 0 || (uint32_t)idlen != want || memcmp(bits, m->build_id, want) != 0)) {
        say(s, "%s: build-id differs from the traced run (file changed since); %s "
            "(analyze before upgrading, or keep the traced files)", path, fallback_note);
        goto unusable;
    }
    img->state = IMAGE_OK;
    return;

unusable:
    dwfl_end(img->dwfl);
    img->dwfl = NULL;
    img->mod = NULL;
}

static image_t *image_for(lt_symbolizer_t *s, size_t mi)
{
    if (s->mod_image[mi] < 0) {
        const lt_module_t *m = &s->mods[mi];
        size_t i;
        for (i = 0; i < s->nimages; i++)
            if (same_file(s->images[i].first, m))
                break;
        if (i == s->nimages) {
            if (s->nimages == s->images_cap) {
                size_t ncap = s->images_cap ? s->images_cap * 2 : 16;
                image_t *ni = realloc(s->images, ncap * sizeof *ni);
                if (ni == NULL)
                    return NULL;
                s->images = ni;
                s->images_cap = ncap;
            }
            image_t *img = &s->images[s->nimages++];
            memset(img, 0, sizeof *img);
            img->first = m;
            img->state = IMAGE_UNOPENED;
        }
        s->mod_image[mi] = (int32_t)i;
    }
    image_t *img = &s->images[s->mod_image[mi]];
    if (img->state == IMAGE_UNOPENED)
        image_open(s, img);
    return img;
}

/* ---- module lookup ------------------------------------------------------ */

static bool module_covers(const lt_module_t *m, uint32_t gen, uint64_t addr)
{
    if (gen < m->gen_loaded || gen >= m->gen_unloaded || m->seg == NULL)
        return false;
    for (uint32_t k = 0; k < m->nseg; k++) {
        /* addr in [base+vaddr, base+vaddr+memsz), wrap-around safe */
        if (addr - (m->base + m->seg[k].vaddr) < m->seg[k].memsz)
            return true;
    }
    return false;
}

static bool find_module(lt_symbolizer_t *s, uint32_t gen, uint64_t addr, size_t *mi)
{
    if (s->last_mod < s->nmods && module_covers(&s->mods[s->last_mod], gen, addr)) {
        *mi = s->last_mod;
        return true;
    }
    for (size_t i = 0; i < s->nmods; i++) {
        if (module_covers(&s->mods[i], gen, addr)) {
            s->last_mod = *mi = i;
            return true;
        }
    }
    return false;
}

/* ---- symbol tables -------------------------------------------------------- */

static uint32_t symbol_rank(const GElf_Sym *sym, const char *name)
{
    uint32_t bind;
    switch (GELF_ST_BIND(sym->st_info)) {
    case STB_GLOBAL:
    case STB_GNU_UNIQUE:
        bind = 0;
        break;
    case STB_WEAK:
        bind = 1;
        break;
    default:
        bind = 2;
        break;
    }
    uint32_t underscores = 0;
    while (underscores < 7 && name[underscores] == '_')
        underscores++;
    uint32_t notype = GELF_ST_TYPE(sym->st_info) == STT_NOTYPE;
    /* binding first, then real functions over labels, then the name with
     * the fewest leading underscores (malloc over __libc_malloc) */
    size_t len = strlen(name);
    return bind << 16 | notype << 15 | underscores << 8 | (uint32_t)(len > 255 ? 255 : len);
}

static int symbol_cmp(const void *pa, const void *pb)
{
    const symbol_t *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return strcmp(a->name, b->name);
}

static void load_symbols(image_t *img)
{
    img->syms_loaded = true;
    int n = dwfl_module_getsymtab(img->mod);
    if (n <= 0)
        return;
    img->syms = malloc((size_t)n * sizeof *img->syms);
    if (img->syms == NULL)
        return;
    for (int i = 0; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx = SHN_UNDEF;
        const char *name = dwfl_module_getsym_info(img->mod, i, &sym, &addr, &shndx, NULL, NULL);
        if (name == NULL || name[0] == '\0' || addr == 0 || shndx == SHN_UNDEF ||
            shndx == SHN_ABS || shndx == (GElf_Word)-1)
            continue;
        int type = GELF_ST_TYPE(sym.st_info);
        if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
            continue;
        symbol_t *e = &img->syms[img->nsyms++];
        e->addr = addr;
        e->size = sym.st_size;
        e->name = name;
        e->rank = symbol_rank(&sym, name);
    }
    if (img->nsyms > 1)
        qsort(img->syms, img->nsyms, sizeof *img->syms, symbol_cmp);
}

/* Among the symbols starting at syms[first].addr, the best-ranked one that
 * covers addr with its size; -1 if none does. *sizeless gets the first
 * sizeless one, if any. */
static ptrdiff_t best_in_group(const symbol_t *syms, size_t first, size_t end, uint64_t addr,
                               ptrdiff_t *sizeless)
{
    for (size_t i = first; i < end && syms[i].addr == syms[first].addr; i++) {
        if (syms[i].size == 0) {
            if (*sizeless < 0)
                *sizeless = (ptrdiff_t)i;
        } else if (addr - syms[i].addr < syms[i].size) {
            return (ptrdiff_t)i;
        }
    }
    return -1;
}

/* The name of the function symbol holding module-relative address addr,
 * preferring a sized symbol that covers it, else the nearest sizeless one
 * below it. */
static const char *image_symbol(image_t *img, uint64_t addr)
{
    if (!img->syms_loaded)
        load_symbols(img);
    const symbol_t *syms = img->syms;
    size_t lo = 0, hi = img->nsyms;
    while (lo < hi) {               /* first symbol above addr */
        size_t mid = lo + (hi - lo) / 2;
        if (syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    ptrdiff_t sizeless = -1;
    size_t end = lo;
    /* walk back over a few groups: a sized function can enclose labels */
    for (int groups = 0; groups < 32 && end > 0; groups++) {
        size_t first = end - 1;
        while (first > 0 && syms[first - 1].addr == syms[end - 1].addr)
            first--;
        ptrdiff_t sizeless_here = -1;
        ptrdiff_t hit = best_in_group(syms, first, end, addr, &sizeless_here);
        if (hit >= 0)
            return syms[hit].name;
        if (groups == 0)
            sizeless = sizeless_here;
        end = first;
    }
    return sizeless >= 0 ? syms[sizeless].name : NULL;
}

/* ---- names and DIEs ------------------------------------------------------ */

static bool is_mangled(const char *name)
{
    return name != NULL && name[0] == '_' && name[1] == 'Z';
}

/* Interned, demangled unless asked not to; NULL stays NULL. */
static const char *function_name(lt_symbolizer_t *s, const char *name)
{
    if (name == NULL)
        return NULL;
    if (!(s->flags & LT_SYM_NO_DEMANGLE) && is_mangled(name)) {
        int status = -1;
        char *d = __cxa_demangle(name, NULL, NULL, &status);
        if (d != NULL && status == 0) {
            const char *r = intern(&s->strings, &s->arena, d);
            free(d);
            if (r != NULL)
                return r;
        } else {
            free(d);
        }
    }
    return intern(&s->strings, &s->arena, name);
}

static const char *die_string(Dwarf_Die *die, unsigned int at)
{
    Dwarf_Attribute mem;
    Dwarf_Attribute *attr = dwarf_attr_integrate(die, at, &mem);
    return attr != NULL ? dwarf_formstring(attr) : NULL;
}

static const char *die_linkage_name(Dwarf_Die *die)
{
    const char *n = die_string(die, DW_AT_linkage_name);
    return n != NULL ? n : die_string(die, DW_AT_MIPS_linkage_name);
}

/* The call site of an inlined subroutine: DW_AT_call_file/DW_AT_call_line,
 * the file taken from the line table of the unit holding the DIE. */
static void call_site(Dwarf_Die *inl, const char **file, int *line)
{
    Dwarf_Attribute mem;
    Dwarf_Word v;

    *file = NULL;
    *line = 0;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &mem), &v) == 0 && v <= INT32_MAX)
        *line = (int)v;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &mem), &v) != 0)
        return;
    Dwarf_Die cu_mem;
    Dwarf_Die *cu = dwarf_diecu(inl, &cu_mem, NULL, NULL);
    Dwarf_Files *files;
    size_t nfiles;
    if (cu == NULL || dwarf_getsrcfiles(cu, &files, &nfiles) != 0 || v >= nfiles)
        return;
    *file = dwarf_filesrc(files, (size_t)v, NULL, NULL);
}

/* ---- per-CU index of function DIEs ---------------------------------------
 *
 * dwarf_getscopes and dwarf_getscopes_die walk the whole CU for every
 * address, which costs 50-500 us in a large CU. Instead each CU is walked
 * once: every subprogram and inlined_subroutine with code gets an entry with
 * its enclosing function DIE, and their PC ranges are flattened into
 * disjoint intervals mapped to the innermost function. A lookup is then a
 * binary search followed by the parent links: innermost inline first, the
 * real function last, as eu-addr2line -i shows them.
 */

typedef struct fn_die {
    Dwarf_Die die;
    int32_t parent;             /* index of the enclosing function DIE, -1: none */
    int32_t depth;              /* function nesting depth, 1 for outermost */
} fn_die_t;

typedef struct pc_range {
    uint64_t low, high;         /* [low, high) in DWARF addresses */
    int32_t fn;
    int32_t depth;
} pc_range_t;

typedef struct cu_index {
    Dwarf_Off cu_off;
    fn_die_t *fns;
    size_t nfns;
    pc_range_t *flat;           /* disjoint, sorted by low */
    size_t nflat;
} cu_index_t;

typedef struct cu_builder {
    fn_die_t *fns;
    size_t nfns, fns_cap;
    pc_range_t *ranges;
    size_t nranges, ranges_cap;
    size_t budget;              /* DIEs still allowed to visit (cycles, garbage) */
    bool failed;
} cu_builder_t;

#define CU_WALK_MAX_LEVEL 256
#define CU_WALK_MAX_DIES (64u * 1024 * 1024)

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * elem);
    if (np == NULL)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

static void index_function(cu_builder_t *b, Dwarf_Die *die, int32_t *parent_fn, int32_t *depth)
{
    if (b->nfns >= INT32_MAX)
        return;
    int32_t idx = (int32_t)b->nfns;
    bool any = false;
    Dwarf_Addr base, low, high;
    ptrdiff_t off = 0;
    int guard = 0;
    while ((off = dwarf_ranges(die, off, &base, &low, &high)) > 0 && guard++ < 4096) {
        if (high <= low)
            continue;
        if (!grow((void **)&b->ranges, &b->ranges_cap, b->nranges + 1, sizeof *b->ranges)) {
            b->failed = true;
            return;
        }
        b->ranges[b->nranges++] = (pc_range_t){ .low = low, .high = high, .fn = idx,
                                                .depth = *depth + 1 };
        any = true;
    }
    if (!any)
        return;                 /* abstract instance or declaration: no code */
    if (!grow((void **)&b->fns, &b->fns_cap, b->nfns + 1, sizeof *b->fns)) {
        b->failed = true;
        return;
    }
    b->fns[b->nfns++] = (fn_die_t){ .die = *die, .parent = *parent_fn, .depth = *depth + 1 };
    *parent_fn = idx;
    *depth += 1;
}

static void index_children(cu_builder_t *b, Dwarf_Die *parent, int32_t parent_fn, int32_t depth,
                           int level)
{
    Dwarf_Die child;
    if (level > CU_WALK_MAX_LEVEL || dwarf_child(parent, &child) != 0)
        return;
    do {
        if (b->failed || b->budget == 0)
            return;
        b->budget--;
        int32_t fn = parent_fn, d = depth;
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
            tag == DW_TAG_entry_point) {
            index_function(b, &child, &fn, &d);
        } else if (tag == DW_TAG_imported_unit) {
            /* dwz: part of this CU's DIEs live in a partial unit */
            Dwarf_Attribute attr_mem;
            Dwarf_Die unit;
            if (dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &attr_mem), &unit) != NULL)
                index_children(b, &unit, fn, d, level + 1);
            continue;
        }
        if (dwarf_haschildren(&child) > 0)
            index_children(b, &child, fn, d, level + 1);
    } while (dwarf_siblingof(&child, &child) == 0);
}

static int range_cmp(const void *pa, const void *pb)
{
    const pc_range_t *a = pa, *b = pb;
    if (a->low != b->low)
        return a->low < b->low ? -1 : 1;
    if (a->depth != b->depth)          /* outer first */
        return a->depth < b->depth ? -1 : 1;
    if (a->high != b->high)            /* longer first */
        return a->high > b->high ? -1 : 1;
    return a->fn < b->fn ? -1 : a->fn > b->fn;
}

static bool emit_flat(cu_index_t *ci, size_t *cap, uint64_t low, uint64_t high, int32_t fn)
{
    if (high <= low)
        return true;
    if (ci->nflat > 0) {
        pc_range_t *prev = &ci->flat[ci->nflat - 1];
        if (prev->fn == fn && prev->high == low) {
            prev->high = high;
            return true;
        }
    }
    if (!grow((void **)&ci->flat, cap, ci->nflat + 1, sizeof *ci->flat))
        return false;
    ci->flat[ci->nflat++] = (pc_range_t){ .low = low, .high = high, .fn = fn };
    return true;
}

/* Turns nested ranges (sorted by range_cmp) into disjoint intervals, each
 * owned by the innermost range covering it. A range sticking out of its
 * enclosing one (broken DWARF) is cut to it. */
static bool flatten(cu_index_t *ci, pc_range_t *r, size_t n)
{
    size_t cap = 0;
    pc_range_t *stack = malloc((n ? n : 1) * sizeof *stack);
    if (stack == NULL)
        return false;
    size_t top = 0;
    uint64_t pos = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        pc_range_t cur = r[i];
        while (top > 0 && stack[top - 1].high <= cur.low && ok) {
            ok = emit_flat(ci, &cap, pos, stack[top - 1].high, stack[top - 1].fn);
            if (stack[top - 1].high > pos)
                pos = stack[top - 1].high;
            top--;
        }
        if (top > 0) {
            ok = ok && emit_flat(ci, &cap, pos, cur.low, stack[top - 1].fn);
            if (cur.high > stack[top - 1].high)
                cur.high = stack[top - 1].high;
        }
        if (cur.low > pos)
            pos = cur.low;
        if (cur.high > cur.low)
            stack[top++] = cur;
    }
    while (top > 0 && ok) {
        ok = emit_flat(ci, &cap, pos, stack[top - 1].high, stack[top - 1].fn);
        if (stack[top - 1].high > pos)
            pos = stack[top - 1].high;
        top--;
    }
    free(stack);
    return ok;
}

/* The index of the CU cudie of img, built on first use; NULL if that fails. */
static cu_index_t *cu_index_for(image_t *img, Dwarf_Die *cudie)
{
    Dwarf_Off off = dwarf_dieoffset(cudie);
    size_t lo = 0, hi = img->ncus;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (img->cus[mid].cu_off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < img->ncus && img->cus[lo].cu_off == off)
        return &img->cus[lo];
    if (!grow((void **)&img->cus, &img->cus_cap, img->ncus + 1, sizeof *img->cus))
        return NULL;

    cu_builder_t b = { .budget = CU_WALK_MAX_DIES };
    index_children(&b, cudie, -1, 0, 0);
    cu_index_t ci = { .cu_off = off, .fns = b.fns, .nfns = b.nfns };
    if (b.nranges > 1)
        qsort(b.ranges, b.nranges, sizeof *b.ranges, range_cmp);
    if (b.failed || !flatten(&ci, b.ranges, b.nranges)) {
        /* keep an empty index: answers "no function" without retrying */
        free(ci.fns);
        free(ci.flat);
        ci.fns = NULL;
        ci.flat = NULL;
        ci.nfns = ci.nflat = 0;
    }
    free(b.ranges);
    memmove(&img->cus[lo + 1], &img->cus[lo], (img->ncus - lo) * sizeof *img->cus);
    img->cus[lo] = ci;
    img->ncus++;
    return &img->cus[lo];
}

/* ---- finding the CU without .debug_aranges --------------------------------
 *
 * libdw 0.188 finds the CU of an address through .debug_aranges only, which
 * clang does not emit by default. When that fails on a module that has
 * DWARF, the ranges of its compile units are collected once and searched.
 */

typedef struct cu_span {
    uint64_t low, high;
    Dwarf_Die cu;
} cu_span_t;

static int span_cmp(const void *pa, const void *pb)
{
    const cu_span_t *a = pa, *b = pb;
    if (a->low != b->low)
        return a->low < b->low ? -1 : 1;
    return a->high < b->high ? -1 : a->high > b->high;
}

static void load_spans(image_t *img)
{
    img->spans_loaded = true;
    Dwarf_Addr bias;
    Dwarf *dbg = dwfl_module_getdwarf(img->mod, &bias);
    if (dbg == NULL)
        return;
    size_t cap = 0;
    Dwarf_CU *cu = NULL, *next;
    Dwarf_Half version;
    uint8_t unit_type;
    Dwarf_Die cudie;
    size_t guard = 0;
    while (guard++ < 16u * 1024 * 1024 &&
           dwarf_get_units(dbg, cu, &next, &version, &unit_type, &cudie, NULL) == 0) {
        cu = next;
        if (unit_type != DW_UT_compile && unit_type != DW_UT_skeleton)
            continue;
        Dwarf_Addr base, low, high;
        ptrdiff_t off = 0;
        int n = 0;
        while (n++ < 65536 && (off = dwarf_ranges(&cudie, off, &base, &low, &high)) > 0) {
            if (high <= low)
                continue;
            if (!grow((void **)&img->spans, &cap, img->nspans + 1, sizeof *img->spans))
                goto done;
            img->spans[img->nspans++] = (cu_span_t){ .low = low, .high = high, .cu = cudie };
        }
    }
done:
    if (img->nspans > 1)
        qsort(img->spans, img->nspans, sizeof *img->spans, span_cmp);
}

static Dwarf_Die *find_cu_by_span(image_t *img, uint64_t rel, Dwarf_Die *mem, Dwarf_Addr *bias)
{
    if (!img->spans_loaded)
        load_spans(img);
    if (img->nspans == 0 || dwfl_module_getdwarf(img->mod, bias) == NULL)
        return NULL;
    uint64_t pc = rel - *bias;
    size_t lo = 0, hi = img->nspans;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (img->spans[mid].low <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* CUs do not nest, but tolerate overlaps: look back a little */
    for (size_t i = lo, k = 0; i > 0 && k < 8; i--, k++) {
        if (pc - img->spans[i - 1].low < img->spans[i - 1].high - img->spans[i - 1].low) {
            *mem = img->spans[i - 1].cu;
            return mem;
        }
    }
    return NULL;
}

/* Innermost function DIE of ci covering pc, or -1. */
static int32_t cu_index_find(const cu_index_t *ci, uint64_t pc)
{
    size_t lo = 0, hi = ci->nflat;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ci->flat[mid].low <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || pc >= ci->flat[lo - 1].high)
        return -1;
    return ci->flat[lo - 1].fn;
}

static void image_release(image_t *img)
{
    for (size_t i = 0; i < img->ncus; i++) {
        free(img->cus[i].fns);
        free(img->cus[i].flat);
    }
    free(img->cus);
    free(img->spans);
    free(img->syms);
    if (img->dwfl != NULL)
        dwfl_end(img->dwfl);
}

/* ---- the lookup itself -------------------------------------------------- */

typedef struct frame_buf {
    lt_symframe_t f[MAX_INLINE_DEPTH];
    size_t n;
} frame_buf_t;

/* Fills out with the frames for module-relative address rel of img: the
 * inline chain from DWARF when there is some, else one frame named by the
 * symbol table. Entries get function/file/line/inlined; the caller sets the
 * module fields. */
static void resolve_in_image(lt_symbolizer_t *s, image_t *img, uint64_t rel, frame_buf_t *out)
{
    Dwfl_Module *mod = img->mod;
    const char *symname = image_symbol(img, rel);

    Dwarf_Addr bias = 0;
    Dwarf_Die cu_mem;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, rel, &bias);
    if (cu == NULL)
        cu = find_cu_by_span(img, rel, &cu_mem, &bias);

    const char *file = NULL;
    int line = 0;
    Dwarf_Line *dl = cu != NULL ? dwarf_getsrc_die(cu, rel - bias) : NULL;
    if (dl != NULL && dwarf_lineno(dl, &line) == 0)
        file = dwarf_linesrc(dl, NULL, NULL);
    if (file == NULL || line < 0)
        line = 0;

    out->n = 0;
    cu_index_t *ci = cu != NULL ? cu_index_for(img, cu) : NULL;
    int32_t fi = ci != NULL ? cu_index_find(ci, rel - bias) : -1;
    for (; fi >= 0 && out->n < MAX_INLINE_DEPTH; fi = ci->fns[fi].parent) {
        Dwarf_Die *d = &ci->fns[fi].die;
        lt_symframe_t *f = &out->f[out->n++];
        memset(f, 0, sizeof *f);
        f->file = intern(&s->strings, &s->arena, file);
        f->line = f->file != NULL ? line : 0;
        f->inlined = dwarf_tag(d) == DW_TAG_inlined_subroutine;

        /* A mangled linkage name is the most precise (namespaces, class,
         * parameters); other linkage names are asm labels (glibc's
         * __GI_getenv for getenv), so the plain name is better. */
        const char *linkage = die_linkage_name(d);
        const char *plain = die_string(d, DW_AT_name);
        if (f->inlined) {
            f->function = function_name(s, is_mangled(linkage) || plain == NULL ? linkage : plain);
            call_site(d, &file, &line);        /* where the next frame is */
            continue;
        }
        /* The real function. A C++ symbol beats a DIE without a linkage
         * name (constructors); for C the DIE name drops the .isra/.cold
         * suffixes of the symbol. */
        if (is_mangled(linkage))
            f->function = function_name(s, linkage);
        else if (is_mangled(symname) || (plain == NULL && linkage == NULL))
            f->function = function_name(s, symname);
        else
            f->function = function_name(s, plain != NULL ? plain : linkage);
        break;   /* a subprogram is not inlined into anything */
    }

    if (out->n > 0 && out->f[out->n - 1].inlined) {
        /* Chain cut short (depth limit, broken DWARF): the last frame must
         * be the real function; name it after the symbol. */
        lt_symframe_t *last = &out->f[out->n - 1];
        if (out->n == MAX_INLINE_DEPTH) {
            last->inlined = 0;
        } else {
            lt_symframe_t *f = &out->f[out->n++];
            memset(f, 0, sizeof *f);
            f->function = function_name(s, symname);
            f->file = intern(&s->strings, &s->arena, file);
            f->line = f->file != NULL ? line : 0;
        }
    }
    if (out->n == 0) {
        lt_symframe_t *f = &out->f[out->n++];
        memset(f, 0, sizeof *f);
        f->function = function_name(s, symname);
        f->file = intern(&s->strings, &s->arena, file);
        f->line = f->file != NULL ? line : 0;
    }
}

static size_t resolve(lt_symbolizer_t *s, uint32_t gen, uint64_t ip, int is_return_address,
                      const lt_symframe_t **frames)
{
    frame_buf_t buf;
    uint64_t addr = is_return_address && ip != 0 ? ip - 1 : ip;
    size_t mi;

    memset(&buf.f[0], 0, sizeof buf.f[0]);
    buf.n = 1;
    if (find_module(s, gen, addr, &mi)) {
        const lt_module_t *m = &s->mods[mi];
        image_t *img = image_for(s, mi);
        if (img != NULL && img->state == IMAGE_OK)
            resolve_in_image(s, img, addr - m->base, &buf);
        const char *mpath = intern(&s->strings, &s->arena, module_path(m));
        for (size_t i = 0; i < buf.n; i++) {
            buf.f[i].module = mpath;
            buf.f[i].offset = ip - m->base;
            buf.f[i].tracer = m->tracer;
        }
    }
    for (size_t i = 0; i < buf.n; i++)
        buf.f[i].address = ip;

    lt_symframe_t *kept = arena_alloc(&s->arena, buf.n * sizeof *kept);
    if (kept == NULL) {
        s->fallback = buf.f[buf.n - 1];
        s->fallback.inlined = 0;
        *frames = &s->fallback;
        return 1;
    }
    memcpy(kept, buf.f, buf.n * sizeof *kept);
    cache_entry_t e = {
        .ip = ip, .gen = gen, .used_ret = is_return_address ? 2u : 1u,
        .frames = kept, .nframes = buf.n,
    };
    cache_insert(&s->cache, &e);
    *frames = kept;
    return buf.n;
}

/* ---- public API --------------------------------------------------------- */

lt_symbolizer_t *lt_sym_open(const lt_module_t *mods, size_t nmods, unsigned flags,
                             lt_sym_warn_fn warn, void *warn_ctx)
{
    lt_symbolizer_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    if (mods == NULL)
        nmods = 0;
    s->mods = mods;
    s->nmods = nmods;
    s->flags = flags;
    s->warn = warn;
    s->warn_ctx = warn_ctx;
    s->last_mod = SIZE_MAX;
    s->mod_image = malloc((nmods ? nmods : 1) * sizeof *s->mod_image);
    if (s->mod_image == NULL) {
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < nmods; i++)
        s->mod_image[i] = -1;
    return s;
}

size_t lt_sym_lookup(lt_symbolizer_t *s, uint32_t gen, uint64_t ip, int is_return_address,
                     const lt_symframe_t **frames)
{
    static _Thread_local lt_symframe_t nothing;

    if (s == NULL) {
        memset(&nothing, 0, sizeof nothing);
        nothing.address = ip;
        *frames = &nothing;
        return 1;
    }
    const cache_entry_t *e = cache_find(&s->cache, gen, ip, is_return_address ? 2u : 1u);
    if (e != NULL) {
        *frames = e->frames;
        return e->nframes;
    }
    return resolve(s, gen, ip, is_return_address, frames);
}

void lt_sym_close(lt_symbolizer_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nimages; i++)
        image_release(&s->images[i]);
    free(s->images);
    free(s->mod_image);
    free(s->cache.slot);
    free(s->strings.slot);
    arena_free(&s->arena);
    free(s);
}
