/*
 * sample.c - sampling mode (LEAKTRACE_SAMPLE=BYTES): which allocations are
 * recorded, and which frees belong to recorded blocks.
 *
 * Which: a Poisson process over the bytes each thread allocates, with mean
 * gap lt_sample_rate bytes (as tcmalloc, Go and jemalloc do). Every thread
 * counts down the bytes left until its next sample point; an allocation of
 * n bytes that crosses the point is sampled and the countdown restarts at a
 * fresh exponentially distributed gap drawn from the thread's own PRNG.
 * Since the exponential law is memoryless, a block of n bytes is sampled
 * with probability exactly 1 - exp(-n / rate) whatever came before, so the
 * analyzer can weight it by the inverse and get unbiased estimates. The
 * common case costs a TLS subtraction and a branch.
 *
 * Frees: only the frees of sampled blocks are recorded. A filter of
 * LT_SFILTER slots, indexed by the address, says "certainly not sampled"
 * for nearly every free with one load from an 8 KiB bitmap (one bit per
 * slot, lock-free reads, small enough to stay in the L1 cache: a 64 KiB
 * byte array here missed the cache on most frees of a large heap); only
 * when the slot's bit is set is the exact set of sampled addresses (open
 * addressing under a mutex) consulted. Behind each bit is an 8-bit count of
 * the sampled blocks in its slot, kept under the mutex, so bits clear again
 * when those blocks are freed. Inserts and removals happen only for sampled
 * blocks (one per `rate` bytes allocated on average). A count saturates at
 * 255 and its bit then stays set (costing exact lookups, never a wrong
 * answer).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracer.h"

uint64_t lt_sample_rate;
uint64_t lt_sample_seed;
int lt_sample_seeded;

LT_TLS __thread int64_t lt_tls_sample_left;
static LT_TLS __thread uint64_t prng;      /* 0: thread not initialised */
static _Atomic uint64_t thread_index;

#define LT_SFILTER (1u << 16)
_Atomic uint64_t lt_sample_bits[LT_SFILTER / 64];
static unsigned char counts[LT_SFILTER];  /* set_mu */

static pthread_mutex_t set_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *set;          /* addresses; 0 = empty slot */
static size_t set_cap, set_count;

/* ---- random gaps ----------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double lt_sample_ln(double x)
{
    /* x = m * 2^e with m in [1, 2); ln m = 2 atanh((m - 1) / (m + 1)),
     * |z| <= 1/3, series to z^17: error below 1e-9. x must be > 0. */
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;
    bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &bits, sizeof m);
    double z = (m - 1) / (m + 1), z2 = z * z, term = z, sum = 0;
    for (int k = 1; k <= 17; k += 2) {
        sum += term / k;
        term *= z2;
    }
    return 2 * sum + e * 0.69314718055994530942;
}

/* An exponentially distributed gap with mean lt_sample_rate, at least 1. */
static int64_t next_gap(void)
{
    uint64_t r = prng;
    uint64_t v = splitmix64(&r);
    prng = r;
    /* u in (0, 1]: 53 random bits, never 0. */
    double u = ((double)(v >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double g = -lt_sample_ln(u) * (double)lt_sample_rate;
    if (g < 1) g = 1;
    if (g > 9.0e18) g = 9.0e18;
    return (int64_t)g;
}

int lt_sample_slow(size_t n)
{
    if (LT_UNLIKELY(prng == 0)) {
        /* First allocation of this thread: seed its PRNG and draw the first
         * gap, then account for n as the fast path would have. */
        uint64_t idx = atomic_fetch_add_explicit(&thread_index, 1, memory_order_relaxed);
        uint64_t s;
        if (lt_sample_seeded) {
            s = lt_sample_seed ^ (idx * 0xd1b54a32d192ed03ull);
        } else {
            uint64_t tsc = 0;
#if defined(__x86_64__)
            tsc = __builtin_ia32_rdtsc();
#endif
            s = tsc ^ ((uint64_t)syscall(SYS_gettid) << 32) ^ (uint64_t)(uintptr_t)&prng ^ (idx << 48);
        }
        (void)splitmix64(&s);
        prng = s | 1;
        int64_t left = next_gap() - (int64_t)(n > INT64_MAX ? INT64_MAX : n);
        if (left > 0) { lt_tls_sample_left = left; return 0; }
    }
    lt_tls_sample_left = next_gap();
    return 1;
}

/* ---- the set of sampled addresses ------------------------------------------ */

static inline size_t set_slot(uint64_t a, size_t mask) { return (size_t)((a * 0x9e3779b97f4a7c15ull) >> 24) & mask; }

static int set_grow(void)
{
    size_t nc = set_cap ? set_cap * 2 : 4096;
    uint64_t *n = lt_mem_alloc(nc * sizeof *n);
    if (!n) return -1;
    for (size_t i = 0; i < set_cap; i++) {
        if (!set[i]) continue;
        size_t j = set_slot(set[i], nc - 1);
        while (n[j]) j = (j + 1) & (nc - 1);
        n[j] = set[i];
    }
    lt_mem_free(set);
    set = n;
    set_cap = nc;
    return 0;
}

/* Slot of a, or SIZE_MAX. set_mu held. */
static size_t set_find(uint64_t a)
{
    if (!set_cap) return SIZE_MAX;
    size_t mask = set_cap - 1;
    for (size_t i = set_slot(a, mask);; i = (i + 1) & mask) {
        if (set[i] == a) return i;
        if (!set[i]) return SIZE_MAX;
    }
}

/* set_mu held. The bit is set before the block reaches the program (the
 * program's own hand-over of the pointer orders it before any free). */
static void filter_add(uint64_t a, int d)
{
    size_t s = lt_sample_filter_slot(a);
    unsigned v = counts[s];
    if (v == 255) return; /* saturated: stays */
    counts[s] = (unsigned char)(v + d);
    uint64_t bit = (uint64_t)1 << (s & 63);
    if (v == 0 && d > 0) atomic_fetch_or_explicit(&lt_sample_bits[s >> 6], bit, memory_order_release);
    else if (v == 1 && d < 0) atomic_fetch_and_explicit(&lt_sample_bits[s >> 6], ~bit, memory_order_relaxed);
}

int lt_sample_insert(void *p)
{
    uint64_t a = (uintptr_t)p;
    pthread_mutex_lock(&set_mu);
    int ok = 1;
    if ((set_count + 1) * 2 > set_cap && set_grow() < 0) {
        ok = 0;
    } else if (set_find(a) == SIZE_MAX) {
        size_t mask = set_cap - 1, i = set_slot(a, mask);
        while (set[i]) i = (i + 1) & mask;
        set[i] = a;
        set_count++;
        filter_add(a, 1);
    }
    pthread_mutex_unlock(&set_mu);
    return ok;
}

int lt_sample_remove(void *p)
{
    uint64_t a = (uintptr_t)p;
    pthread_mutex_lock(&set_mu);
    size_t i = set_find(a);
    if (i == SIZE_MAX) {
        pthread_mutex_unlock(&set_mu);
        return 0;
    }
    /* Backward-shift deletion: no tombstones. */
    size_t mask = set_cap - 1, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!set[j]) break;
        size_t home = set_slot(set[j], mask);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            set[i] = set[j];
            i = j;
        }
    }
    set[i] = 0;
    set_count--;
    filter_add(a, -1);
    pthread_mutex_unlock(&set_mu);
    return 1;
}

size_t lt_sample_live(void)
{
    pthread_mutex_lock(&set_mu);
    size_t n = set_count;
    pthread_mutex_unlock(&set_mu);
    return n;
}

void lt_sample_fork_prepare(void) { pthread_mutex_lock(&set_mu); }
void lt_sample_fork_parent(void) { pthread_mutex_unlock(&set_mu); }

void lt_sample_fork_child(void)
{
    /* The child's trace starts empty: blocks inherited from the parent are
     * not in it, so their frees are not recorded either. */
    if (set) memset(set, 0, set_cap * sizeof *set);
    set_count = 0;
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < LT_SFILTER / 64; i++) atomic_store_explicit(&lt_sample_bits[i], 0, memory_order_relaxed);
    pthread_mutex_init(&set_mu, NULL);
}
