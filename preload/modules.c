/*
 * modules.c - the module map: every loaded object with its load address,
 * PT_LOAD segments and GNU build-id, sent to the trace when it appears
 * (start, dlopen, or a library the C library loads on its own) and when it
 * goes away (dlclose). Symbolization happens offline from this map.
 *
 * Module generations: an address can only change meaning after something is
 * unmapped, so every scan that finds a module gone bumps lt_module_gen, and
 * stacks are interned per generation. A stack captured before a dlclose then
 * still resolves against the library that was mapped when it was captured.
 */
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/lt_format.h"
#include "lt_internal.h"

_Atomic uint32_t lt_module_gen;

typedef struct known {
    uint64_t base;
    uint32_t name_hash;
    int seen;           /* mark for the current scan */
} known_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static known_t *known;
static size_t nknown, capknown;
static unsigned long long last_adds = ~0ull, last_subs = ~0ull;

typedef struct scan {
    unsigned char *buf;   /* record payload scratch */
    size_t cap;
} scan_t;

static size_t put_bytes(unsigned char *p, const void *s, size_t n)
{
    size_t k = lt_put_varint(p, n);
    memcpy(p + k, s, n);
    return k + n;
}

static uint32_t build_id(const struct dl_phdr_info *info, const unsigned char **id)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const unsigned char *name = p + sizeof *nh;
            const unsigned char *desc = name + ((nh->n_namesz + 3) & ~3u);
            const unsigned char *next = desc + ((nh->n_descsz + 3) & ~3u);
            if (next > end) break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                nh->n_descsz <= 64) {
                *id = desc;
                return nh->n_descsz;
            }
            p = next;
        }
    }
    return 0;
}

static void emit_module(const struct dl_phdr_info *info, const char *path, scan_t *s)
{
    size_t need = 64 + (size_t)info->dlpi_phnum * 30 + 80 + strlen(path);
    if (need > s->cap) {
        lt_mem_free(s->buf);
        s->buf = lt_mem_alloc(need);
        s->cap = s->buf ? need : 0;
        if (!s->buf) return;
    }
    unsigned char *p = s->buf;
    p += lt_put_varint(p, atomic_load(&lt_module_gen));
    p += lt_put_varint(p, info->dlpi_addr);
    unsigned nseg = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) nseg += info->dlpi_phdr[i].p_type == PT_LOAD;
    p += lt_put_varint(p, nseg);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        p += lt_put_varint(p, ph->p_vaddr);
        p += lt_put_varint(p, ph->p_memsz);
        p += lt_put_varint(p, ph->p_flags);
    }
    const unsigned char *id = NULL;
    uint32_t idlen = build_id(info, &id);
    p += put_bytes(p, id, idlen);
    p += put_bytes(p, path, strlen(path));
    lt_writer_side_record(LT_REC_MODULE, s->buf, (size_t)(p - s->buf));
}

static const char *module_path(const struct dl_phdr_info *info, char *exe, size_t exesz)
{
    const char *name = info->dlpi_name;
    if (name && name[0]) return name;
    /* The main program has an empty name; the vDSO (if listed unnamed) has
     * no PT_LOAD with a file behind it, and is told apart by the analyzer. */
    if (!exe[0]) {
        ssize_t n = readlink("/proc/self/exe", exe, exesz - 1);
        exe[n > 0 ? n : 0] = '\0';
    }
    return exe;
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    void **ctx = data;
    scan_t *s = ctx[0];
    char *exe = ctx[1];
    int add = ctx[2] != NULL;
    const char *path = module_path(info, exe, 4096);
    uint32_t h = lt_fnv1a32(path, strlen(path));
    char abs[4096];
    for (size_t i = 0; i < nknown; i++)
        if (known[i].base == info->dlpi_addr && known[i].name_hash == h) { known[i].seen = 1; return 0; }
    if (!add) return 0;
    if (nknown == capknown) {
        size_t nc = capknown ? capknown * 2 : 64;
        known_t *k = lt_mem_realloc(known, nc * sizeof *k);
        if (!k) return 0;
        known = k;
        capknown = nc;
    }
    known[nknown++] = (known_t){ info->dlpi_addr, h, 1 };
    /* A relative name (LD_PRELOAD=build/lib.so, dlopen("./x.so")) means
     * nothing to an analyzer run elsewhere: record where it is. */
    if (path[0] != '/' && strchr(path, '/') && realpath(path, abs)) path = abs;
    emit_module(info, path, s);
    return 0;
}

void lt_modules_scan(void)
{
    static char exe[4096];
    scan_t s = { 0 };
    void *ctx[3] = { &s, exe, NULL };
    lt_busy_enter();
    pthread_mutex_lock(&mu);
    /* Pass 1 finds what went away, so that the generation is bumped before
     * pass 2 sends what is new: a library loaded where an unloaded one was
     * must belong to the later generation only. */
    for (size_t i = 0; i < nknown; i++) known[i].seen = 0;
    dl_iterate_phdr(scan_cb, ctx);
    int gone = 0;
    for (size_t i = 0; i < nknown; i++) gone += !known[i].seen;
    if (gone) {
        uint32_t gen = atomic_fetch_add(&lt_module_gen, 1) + 1;
        size_t j = 0;
        for (size_t i = 0; i < nknown; i++) {
            if (!known[i].seen) {
                unsigned char rec[24], *p = rec;
                p += lt_put_varint(p, gen);
                p += lt_put_varint(p, known[i].base);
                lt_writer_side_record(LT_REC_UNMODULE, rec, (size_t)(p - rec));
            } else {
                known[j++] = known[i];
            }
        }
        nknown = j;
    }
    ctx[2] = ctx;
    dl_iterate_phdr(scan_cb, ctx);
    pthread_mutex_unlock(&mu);
    lt_mem_free(s.buf);
    lt_busy_leave();
}

static int counters_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    unsigned long long *c = data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        c[0] = info->dlpi_adds;
        c[1] = info->dlpi_subs;
    }
    return 1;
}

void lt_modules_poll(void)
{
    unsigned long long c[2] = { 0, 0 };
    dl_iterate_phdr(counters_cb, c);
    if (c[0] == __atomic_load_n(&last_adds, __ATOMIC_RELAXED) &&
        c[1] == __atomic_load_n(&last_subs, __ATOMIC_RELAXED))
        return;
    __atomic_store_n(&last_adds, c[0], __ATOMIC_RELAXED);
    __atomic_store_n(&last_subs, c[1], __ATOMIC_RELAXED);
    lt_modules_scan();
}

void lt_modules_reset(void)
{
    pthread_mutex_init(&mu, NULL);
    nknown = 0;
    last_adds = last_subs = ~0ull;
}
