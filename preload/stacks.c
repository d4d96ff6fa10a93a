/*
 * stacks.c - stack interning. Each distinct (module generation, return
 * addresses) gets a small id, and its definition goes into the trace once.
 *
 * Open addressing over an array of entry pointers. Lookups take no lock:
 * they load the current table and compare entries, which never change once
 * published. Inserts (a stack never seen before: rare after warm-up) take
 * one mutex, re-check, append, and grow the table by publishing a new array;
 * a reader still probing the old array at worst misses and falls back to
 * the locked path. Old arrays are retired, not freed (total <= 2x live).
 * Entries live in bump-allocated mmap memory until a fork child resets.
 */
#include <pthread.h>
#include <string.h>

#include "lt_internal.h"

typedef struct table {
    size_t mask;
    _Atomic(const lt_stack_ent_t *) slot[];
} table_t;

static _Atomic(table_t *) cur;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static size_t used;
static uint32_t next_id;
static unsigned char *arena, *arena_end;
static const lt_stack_ent_t **by_id;   /* id -> entry (under mu): ring checkpoints */
static size_t by_id_cap;

uint64_t lt_stack_hash(uint32_t gen, const uint64_t *ips, uint32_t depth)
{
    /* Four independent lanes: a single multiply chain over 64 frames is a
     * serial dependency the CPU cannot overlap. Lookups compare the whole
     * stack, so the hash only needs to spread well. */
    uint64_t a = 0x9e3779b97f4a7c15ull ^ gen, b = 0xbf58476d1ce4e5b9ull ^ depth;
    uint64_t c = 0x94d049bb133111ebull, d = 0x2545f4914f6cdd1dull;
    uint32_t i = 0;
    for (; i + 4 <= depth; i += 4) {
        a = (a ^ ips[i]) * 0xff51afd7ed558ccdull;
        b = (b ^ ips[i + 1]) * 0xc4ceb9fe1a85ec53ull;
        c = (c ^ ips[i + 2]) * 0xff51afd7ed558ccdull;
        d = (d ^ ips[i + 3]) * 0xc4ceb9fe1a85ec53ull;
    }
    for (; i < depth; i++) a = (a ^ ips[i]) * 0xff51afd7ed558ccdull;
    uint64_t h = a ^ (b >> 17) ^ (b << 47) ^ (c >> 31) ^ (c << 33) ^ (d >> 43) ^ (d << 21);
    h ^= h >> 32;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h;
}

static int same(const lt_stack_ent_t *e, uint64_t hash, uint32_t gen, const uint64_t *ips, uint32_t depth)
{
    return e->hash == hash && e->gen == gen && e->depth == depth &&
           memcmp(e->ips, ips, depth * sizeof *ips) == 0;
}

static const lt_stack_ent_t *find(table_t *t, uint64_t hash, uint32_t gen, const uint64_t *ips, uint32_t depth)
{
    if (!t) return NULL;
    for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        const lt_stack_ent_t *e = atomic_load_explicit(&t->slot[i], memory_order_acquire);
        if (!e) return NULL;
        if (same(e, hash, gen, ips, depth)) return e;
    }
}

static table_t *table_new(size_t cap)
{
    table_t *t = lt_mem_alloc(sizeof *t + cap * sizeof t->slot[0]);
    if (t) t->mask = cap - 1;
    return t;
}

static void put(table_t *t, const lt_stack_ent_t *e)
{
    size_t i = e->hash & t->mask;
    while (atomic_load_explicit(&t->slot[i], memory_order_relaxed)) i = (i + 1) & t->mask;
    atomic_store_explicit(&t->slot[i], e, memory_order_release);
}

static lt_stack_ent_t *ent_new(uint32_t depth)
{
    size_t need = (sizeof(lt_stack_ent_t) + depth * sizeof(uint64_t) + 15) & ~(size_t)15;
    if (arena == NULL || (size_t)(arena_end - arena) < need) {
        size_t sz = need > (1u << 20) ? need : (1u << 20);
        /* Chunks of the arena are never returned: entries must outlive
         * every reader. The last partial chunk is simply abandoned. */
        arena = lt_mem_alloc(sz);
        if (!arena) return NULL;
        arena_end = arena + sz;
    }
    lt_stack_ent_t *e = (lt_stack_ent_t *)arena;
    arena += need;
    return e;
}

const lt_stack_ent_t *lt_stacks_intern(uint64_t hash, uint32_t gen, const uint64_t *ips,
                                       uint32_t depth, int *is_new)
{
    *is_new = 0;
    const lt_stack_ent_t *e = find(atomic_load_explicit(&cur, memory_order_acquire), hash, gen, ips, depth);
    if (e) return e;

    pthread_mutex_lock(&mu);
    table_t *t = atomic_load_explicit(&cur, memory_order_relaxed);
    e = find(t, hash, gen, ips, depth);
    if (e) { pthread_mutex_unlock(&mu); return e; }
    if (!t || (used + 1) * 2 > t->mask + 1) {
        table_t *nt = table_new(t ? (t->mask + 1) * 2 : 4096);
        if (!nt) { pthread_mutex_unlock(&mu); return NULL; }
        if (t)
            for (size_t i = 0; i <= t->mask; i++) {
                const lt_stack_ent_t *o = atomic_load_explicit(&t->slot[i], memory_order_relaxed);
                if (o) put(nt, o);
            }
        atomic_store_explicit(&cur, nt, memory_order_release);
        t = nt;
    }
    lt_stack_ent_t *n = ent_new(depth);
    if (!n) { pthread_mutex_unlock(&mu); return NULL; }
    n->hash = hash;
    n->gen = gen;
    n->depth = depth;
    if (next_id >= by_id_cap) {
        size_t nc = by_id_cap ? by_id_cap * 2 : 4096;
        const lt_stack_ent_t **nb = lt_mem_realloc(by_id, nc * sizeof *nb);
        if (!nb) { pthread_mutex_unlock(&mu); return NULL; }
        by_id = nb;
        by_id_cap = nc;
    }
    n->id = next_id++;
    by_id[n->id] = n;
    memcpy(n->ips, ips, depth * sizeof *ips);
    put(t, n);
    used++;
    pthread_mutex_unlock(&mu);
    *is_new = 1;
    return n;
}

uint32_t lt_stacks_count(void) { return next_id; }

const lt_stack_ent_t *lt_stacks_get(uint32_t id)
{
    pthread_mutex_lock(&mu);
    const lt_stack_ent_t *e = id < next_id ? by_id[id] : NULL;
    pthread_mutex_unlock(&mu);
    return e;
}

void lt_stacks_reset(void)
{
    /* Fork child: single-threaded, the old tables are abandoned. */
    pthread_mutex_init(&mu, NULL);
    atomic_store(&cur, NULL);
    used = 0;
    next_id = 0;
    by_id = NULL;
    by_id_cap = 0;
    arena = arena_end = NULL;
}

void lt_stacks_fork_prepare(void) { pthread_mutex_lock(&mu); }
void lt_stacks_fork_parent(void) { pthread_mutex_unlock(&mu); }
