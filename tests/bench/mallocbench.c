/*
 * mallocbench.c - malloc/free microbenchmark for the leaktrace bench harness.
 *
 *   mallocbench THREADS ITERATIONS
 *
 * Each thread owns a ring of RING_SLOTS blocks, filled before timing starts.
 * One iteration (= one "op") frees one slot chosen by a cheap PRNG and
 * mallocs a new block of 16..512 bytes into it, so every op is exactly one
 * free() plus one malloc(). The calls go through a few levels of noinline
 * functions (none of them tail calls) so that a tracer sees a short but
 * realistic stack:
 *
 *   malloc <- bench_alloc <- replace_slot <- step <- run_loop <- thread_main
 *
 * ITERATIONS is per thread: with 2 threads twice the total work is done, so
 * the per-thread throughput of a 1-thread and a 2-thread run are comparable.
 * The timed section is the loop only (from a barrier that releases all
 * threads at once to the end of each thread's loop); filling the ring,
 * freeing it and process start/exit are outside it.
 *
 * Output, one line on stdout (parsed by tests/bench/bench.sh):
 *
 *   threads=T iterations=N ops=T*N seconds=S ops_per_s=... \
 *     ops_per_s_per_thread=... min_thread_ops_per_s=... max_thread_ops_per_s=... \
 *     calls=C
 *
 * seconds is the wall time from the barrier to the last thread's end;
 * ops_per_s_per_thread is the mean over threads of N / (that thread's loop
 * time); calls is the exact number of malloc + free calls the program makes
 * on purpose (ring fill, loop, final frees), for cross-checking a trace.
 *
 * Build: gcc -std=gnu11 -O2 -g -pthread tests/bench/mallocbench.c -o build/mallocbench
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_SLOTS 256u               /* power of two */
#define MIN_SIZE   16u
#define MAX_SIZE   512u
#define MAX_THREADS 1024ul

#define NOINLINE __attribute__((noinline, noclone))

/* Cache-line aligned so that threads never share a line. */
struct worker {
    _Alignas(64) pthread_t thread;
    unsigned index;
    uint64_t iterations;
    uint64_t rng;
    uint64_t mallocs;
    uint64_t frees;
    uint64_t bytes;                   /* bytes requested in the loop */
    double t_start, t_end;
    _Alignas(64) void *slots[RING_SLOTS];
};

static pthread_barrier_t start_barrier;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline uint64_t next_rand(uint64_t *s)
{
    /* xorshift64*: cheap, good enough to spread slots and sizes */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void oom(size_t size)
{
    fprintf(stderr, "mallocbench: malloc(%zu) failed\n", size);
    exit(1);
}

/* Level 4: the actual allocation, plus a write into the block so the block is
 * used (and so this is not a tail call). */
static NOINLINE void *bench_alloc(struct worker *w, size_t size)
{
    unsigned char *p = malloc(size);
    if (p == NULL)
        oom(size);
    p[0] = (unsigned char)size;
    p[size - 1] = (unsigned char)w->index;
    w->mallocs++;
    return p;
}

/* Level 4: the free; the counter update after it keeps the frame real. */
static NOINLINE void bench_free(struct worker *w, void *p)
{
    free(p);
    w->frees++;
}

/* Level 3: replace one slot of the ring. */
static NOINLINE void replace_slot(struct worker *w, unsigned slot, size_t size)
{
    bench_free(w, w->slots[slot]);
    w->slots[slot] = bench_alloc(w, size);
}

/* Level 2: one iteration. */
static NOINLINE void step(struct worker *w)
{
    uint64_t r = next_rand(&w->rng);
    unsigned slot = (unsigned)(r & (RING_SLOTS - 1));
    size_t size = MIN_SIZE + (size_t)((r >> 32) % (MAX_SIZE - MIN_SIZE + 1));
    replace_slot(w, slot, size);
    w->bytes += size;              /* work after the call: no tail call */
}

/* Level 1: the timed loop. */
static NOINLINE void run_loop(struct worker *w)
{
    for (uint64_t i = 0; i < w->iterations; i++)
        step(w);
}

static void *thread_main(void *arg)
{
    struct worker *w = arg;

    for (unsigned i = 0; i < RING_SLOTS; i++) {
        uint64_t r = next_rand(&w->rng);
        w->slots[i] = bench_alloc(w, MIN_SIZE + (size_t)((r >> 32) % (MAX_SIZE - MIN_SIZE + 1)));
    }

    int rc = pthread_barrier_wait(&start_barrier);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD) {
        fprintf(stderr, "mallocbench: pthread_barrier_wait: %s\n", strerror(rc));
        exit(1);
    }
    w->t_start = now_s();
    run_loop(w);
    w->t_end = now_s();

    for (unsigned i = 0; i < RING_SLOTS; i++) {
        bench_free(w, w->slots[i]);
        w->slots[i] = NULL;
    }
    return NULL;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (s[0] == '-' || s[0] == '\0')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t nthreads, iterations;

    if (argc != 3
        || parse_u64(argv[1], 1, MAX_THREADS, &nthreads) != 0
        || parse_u64(argv[2], 1, UINT64_MAX / MAX_THREADS, &iterations) != 0) {
        fprintf(stderr, "usage: %s THREADS(1..%lu) ITERATIONS(>=1, per thread)\n",
                argc > 0 ? argv[0] : "mallocbench", MAX_THREADS);
        return 2;
    }

    struct worker *workers = aligned_alloc(64, nthreads * sizeof *workers);
    if (workers == NULL)
        oom(nthreads * sizeof *workers);
    memset(workers, 0, nthreads * sizeof *workers);

    int rc = pthread_barrier_init(&start_barrier, NULL, (unsigned)nthreads);
    if (rc != 0) {
        fprintf(stderr, "mallocbench: pthread_barrier_init: %s\n", strerror(rc));
        return 1;
    }

    for (uint64_t t = 0; t < nthreads; t++) {
        struct worker *w = &workers[t];
        w->index = (unsigned)t;
        w->iterations = iterations;
        w->rng = 0x9E3779B97F4A7C15ull * (t + 1);   /* nonzero, distinct */
        rc = pthread_create(&w->thread, NULL, thread_main, w);
        if (rc != 0) {
            fprintf(stderr, "mallocbench: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }

    uint64_t mallocs = 0, frees = 0;
    double first_start = 0, last_end = 0, sum_rate = 0, min_rate = 0, max_rate = 0;
    for (uint64_t t = 0; t < nthreads; t++) {
        struct worker *w = &workers[t];
        rc = pthread_join(w->thread, NULL);
        if (rc != 0) {
            fprintf(stderr, "mallocbench: pthread_join: %s\n", strerror(rc));
            return 1;
        }
        double secs = w->t_end - w->t_start;
        double rate = secs > 0 ? (double)w->iterations / secs : 0.0;
        if (t == 0 || w->t_start < first_start)
            first_start = w->t_start;
        if (t == 0 || w->t_end > last_end)
            last_end = w->t_end;
        if (t == 0 || rate < min_rate)
            min_rate = rate;
        if (t == 0 || rate > max_rate)
            max_rate = rate;
        sum_rate += rate;
        mallocs += w->mallocs;
        frees += w->frees;
    }
    pthread_barrier_destroy(&start_barrier);

    if (mallocs != frees) {
        fprintf(stderr, "mallocbench: internal error: %" PRIu64 " mallocs, %" PRIu64 " frees\n",
                mallocs, frees);
        return 1;
    }

    double seconds = last_end - first_start;
    uint64_t ops = nthreads * iterations;
    printf("threads=%" PRIu64 " iterations=%" PRIu64 " ops=%" PRIu64 " seconds=%.6f"
           " ops_per_s=%.0f ops_per_s_per_thread=%.0f min_thread_ops_per_s=%.0f"
           " max_thread_ops_per_s=%.0f calls=%" PRIu64 "\n",
           nthreads, iterations, ops, seconds,
           seconds > 0 ? (double)ops / seconds : 0.0,
           sum_rate / (double)nthreads, min_rate, max_rate, mallocs + frees);
    free(workers);
    return 0;
}
