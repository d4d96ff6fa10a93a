/*
 * lt_internal.h - private interfaces between the files of preload/.
 * Included only by the preload sources and by the unit tests that exercise the
 * tracer core without LD_PRELOAD (tests/unit/). Nothing here is exported
 * from libleaktrace.so: the library is built with -fvisibility=hidden and
 * only hooks.c marks symbols visible.
 *
 * How the pieces fit:
 *   hooks.c    interposed libc symbols; a thin shim over tracer.c
 *   tracer.c   state machine (init, fork, exec, exit), per-thread state,
 *              the record functions called by the hooks
 *   ring.c     one single-producer/single-consumer ring per thread
 *   stacks.c   stack interning: lock-free lookups, locked inserts
 *   unwind.c   libunwind (the only file that includes it)
 *   modules.c  the module map (dl_iterate_phdr), module generations
 *   writer.c   background writer thread, encoding, zstd (only file that
 *              includes it), the trace file
 *   tmem.c     the tracer's own memory, from mmap, never from malloc
 *   signals.c  fatal signals (SEGV, BUS, ILL, FPE, ABRT): flush and record,
 *              then the program's handler or the default action; sigaction
 *              and signal interposed so the program's handlers chain
 *   threads.c  pthread_create/join/detach/exit/setname: thread lifecycle
 *   marks.c    marks (leaktrace_mark, LEAKTRACE_MARK_SIGNAL), periodic samples
 *   config.c   LEAKTRACE_* environment variables
 *   sample.c   sampling mode (LEAKTRACE_SAMPLE): Poisson sampling by bytes,
 *              the filter and set of sampled addresses
 *   log.c      one-line messages on stderr
 */
#ifndef LT_INTERNAL_H
#define LT_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LT_TLS __attribute__((tls_model("initial-exec")))
#define LT_LIKELY(x) __builtin_expect(!!(x), 1)
#define LT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LT_COLD __attribute__((cold, noinline))
/* Functions on the capture path are inlined into the hooks (across files,
 * with LTO): every tracer frame left on the stack costs an unwind step. */
#define LT_ALWAYS_INLINE inline __attribute__((always_inline))
#define LT_EXPORT __attribute__((visibility("default")))

#define LT_VERSION "0.1.0"
#define LT_DEPTH_MAX 256

/* ---- config.c ---------------------------------------------------------- */
typedef struct lt_config {
    char output[4096];   /* LEAKTRACE_OUTPUT pattern (%p pid, %e exe basename) */
    int depth;           /* LEAKTRACE_DEPTH, 1..256, default 64 */
    int follow;          /* LEAKTRACE_FOLLOW, default 1 */
    int unwind_cache;    /* LEAKTRACE_UNWIND_CACHE, default 1 (0: unwind every stack) */
    int level;           /* LEAKTRACE_COMPRESSION, zstd level, or LT_LEVEL_AUTO (the default) */
    int layout;          /* LEAKTRACE_LAYOUT: LT_LAYOUT_*, default LT_LAYOUT_AUTO */
    int verbose;         /* LEAKTRACE_VERBOSE=1: say where the trace goes */
    int mark_signal;     /* LEAKTRACE_MARK_SIGNAL: signal number, 0 = none */
    int interval_ms;     /* LEAKTRACE_INTERVAL: ms between samples, 0 = none; default 100 */
    int scan;            /* LEAKTRACE_SCAN: reachability scan at exit, default 1 */
    uint64_t max_size;   /* LEAKTRACE_MAX_SIZE: ring size in bytes, 0 = unbounded; default 1 GiB */
} lt_config_t;
/* How chunks are laid out (common/lt_fields.h): records as they are, field
 * streams, or whichever the writer measures smaller. */
enum { LT_LAYOUT_AUTO = 0, LT_LAYOUT_RECORDS, LT_LAYOUT_FIELDS };
/* Parses a LEAKTRACE_SAMPLE value: a whole number of bytes with an optional
 * K, M or G suffix (powers of 1024; KB/KiB, MB/MiB, GB/GiB too, any case),
 * 0 to 1 TiB. Returns 0 and *out, or -1. Pure. */
int lt_config_parse_bytes(const char *s, uint64_t *out);
extern lt_config_t lt_cfg;
/* Reads the environment (getenv only, no allocation). Bad values get one
 * line on stderr naming the variable, then the default is used. */
void lt_config_load(void);

/* ---- sample.c ---------------------------------------------------------- */
/* Mean gap between samples in bytes; 0 = record everything. Set once by
 * lt_config_load before tracing starts, read-only afterwards. */
extern uint64_t lt_sample_rate;
/* Whether a normal exit runs the reachability scan: LEAKTRACE_SCAN, and not
 * in sampling mode (the live set then holds only the sampled blocks). */
static inline int lt_exit_scan_on(void) { return lt_cfg.scan && !lt_sample_rate; }
extern uint64_t lt_sample_seed;      /* LEAKTRACE_SAMPLE_SEED, when lt_sample_seeded */
extern int lt_sample_seeded;
extern __thread int64_t lt_tls_sample_left __attribute__((tls_model("initial-exec")));
/* One bit per filter slot (65,536 slots, 8 KiB: stays in L1): set while
 * some sampled block lives whose address maps to the slot. */
extern _Atomic uint64_t lt_sample_bits[(1u << 16) / 64];

/* The filter slot of an address. Pure. Blocks are 16-byte aligned; within
 * each 1 MiB of address space neighbours get neighbouring slots, so frees
 * close together in memory share the filter's cache lines; the 1 MiB
 * region number is folded in to spread page-aligned (mmap'd) blocks. */
static inline size_t lt_sample_filter_slot(uint64_t a)
{
    return (size_t)(((a >> 4) ^ (a >> 20) ^ (a >> 36)) & 0xffff);
}
/* Slow path of lt_sample_take: seeds the thread's PRNG on first use,
 * restarts the countdown; returns 1 when the n-byte block is sampled. */
int lt_sample_slow(size_t n);
/* Counts n bytes against this thread's countdown; 1 when the block must be
 * recorded. Only with lt_sample_rate != 0. */
static inline int lt_sample_take(size_t n)
{
    int64_t left = lt_tls_sample_left - (int64_t)n;
    lt_tls_sample_left = left;
    if (LT_LIKELY(left > 0 && n < ((uint64_t)1 << 62))) return 0;
    return lt_sample_slow(n);
}
/* 0 when p is certainly not a sampled block (one load); 1: maybe, ask
 * lt_sample_remove. Lock-free. */
static inline int lt_sample_maybe(const void *p)
{
    size_t s = lt_sample_filter_slot((uintptr_t)p);
    return (atomic_load_explicit(&lt_sample_bits[s >> 6], memory_order_relaxed) >> (s & 63)) & 1;
}
/* Adds a sampled block's address (before the block reaches the program).
 * Returns 1, or 0 when out of memory (the block must then go unrecorded). */
int lt_sample_insert(void *p);
/* Removes p from the set; 1 when it was there (its free must be recorded). */
int lt_sample_remove(void *p);
/* Sampled blocks live now. */
size_t lt_sample_live(void);
/* ln(x) for x > 0 without libm (error < 1e-9). Pure. */
double lt_sample_ln(double x);
void lt_sample_fork_prepare(void);
void lt_sample_fork_parent(void);
void lt_sample_fork_child(void);

/* ---- log.c ------------------------------------------------------------- */
/* One line "leaktrace: ...\n" on stderr, written with a single write(2).
 * Async-signal-safe apart from vsnprintf of %s/%d/%u/%lu/%lld formats. */
void lt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reads at most cap - 1 bytes of a small file (/proc) into buf and ends
 * them with a NUL. Returns the bytes read, or -1. (tracer.c) */
ssize_t lt_read_text(const char *path, char *buf, size_t cap);

/* Moves a descriptor the tracer owns (the trace file, libunwind's
 * validation pipe) to a high number, near the descriptor limit, so that a
 * program reusing low numbers after closing "all" its descriptors does not
 * collide with it. Returns the new descriptor (the old one is closed), or
 * fd unchanged when it cannot be moved. */
int lt_fd_move_high(int fd);

/* ---- tmem.c ------------------------------------------------------------ */
/* The tracer's own allocator, on mmap. Thread-safe (spinlock, cold paths
 * only). lt_mem_alloc returns zeroed, 16-byte aligned memory or NULL. */
void *lt_mem_alloc(size_t n);
void lt_mem_free(void *p);
void *lt_mem_realloc(void *p, size_t n);
/* lt_mem_alloc for memory that will all be touched soon (a hash table):
 * large blocks are mapped with every page present, instead of one page
 * fault per page. Freed with lt_mem_free. */
void *lt_mem_alloc_dense(size_t n);
/* Calls fn for every mapping tmem holds now. Returns 0, or -1 when some
 * were not listed (table full). Call with no other thread in tmem. */
int lt_mem_ranges(void (*fn)(void *arg, uintptr_t lo, uintptr_t hi), void *arg);
/* 1 while some thread holds tmem's lock (for the reachability scan: a
 * thread stopped there would deadlock the scanner). */
int lt_mem_busy(void);
/* fork support: hold the lock across fork(), release in parent and child. */
void lt_mem_fork_prepare(void);
void lt_mem_fork_parent(void);
void lt_mem_fork_child(void);

/* ---- ring.c ------------------------------------------------------------ */
/* Ring records, in 64-bit words. Word 0: type | nwords << 8 | aux << 32. */
enum {
    LT_R_PAD = 0,     /* skip to the end of the ring */
    LT_R_ALLOC,       /* seq, ts, addr, size, stack        aux = fn        */
    LT_R_FREE,        /* seq, ts, addr                                     */
    LT_R_REALLOC,     /* seq, seq2, ts, old, new, size, stack  aux = fn    */
    LT_R_NOP,         /* seq                                               */
    LT_R_STACK,       /* id, gen, ips[depth]               aux = depth     */
    LT_R_THREAD,      /* serial, ts, a, b, c [, start routine: CREATE]  aux = LT_THR_* */
};
#define LT_R_HDR(type, nwords, aux) ((uint64_t)(type) | ((uint64_t)(nwords) << 8) | ((uint64_t)(aux) << 32))
#define LT_R_TYPE(w)   ((unsigned)((w) & 0xff))
#define LT_R_NWORDS(w) ((unsigned)(((w) >> 8) & 0xffffff))
#define LT_R_AUX(w)    ((uint32_t)((w) >> 32))

/* The newest sequence number record w carries (the allocation's, for a
 * REALLOC), into *seq. Returns 0, leaving *seq, for records without one. */
static inline int lt_r_seq(const uint64_t *w, uint64_t *seq)
{
    switch (LT_R_TYPE(w[0])) {
    case LT_R_ALLOC: case LT_R_FREE: case LT_R_NOP: *seq = w[1]; return 1;
    case LT_R_REALLOC: *seq = w[2]; return 1;
    default: return 0;
    }
}

/* LEAKTRACE_COMPRESSION=auto: zstd level 6 while the writer keeps up, 1
 * for a second after a thread had to wait for it (see writer.c). */
#define LT_LEVEL_AUTO 100
#define LT_RING_WORDS (1u << 15)   /* 256 KiB per thread to start with */
#define LT_RING_MAX_WORDS (1u << 20) /* 8 MiB: what one thread's ring may grow to */
#define LT_RING_BUDGET ((uint64_t)64 << 20) /* bytes all grown rings may hold beyond 256 KiB each */
#define LT_SCACHE 1024             /* per-thread stack cache entries */

struct lt_stack_ent;

/* Per-thread unwind cache (unwind.c, tracer.c: capture). An entry remembers
 * one full unwind: the key is the canonical frame address (CFA) and return
 * address of the tracer function that captured, and the entry lists where
 * every return address above it, and every frame's saved rbp, were found on
 * the stack (as offsets from the CFA) and what they were. A later capture with the same key, the same module
 * generation and every listed return address still in place reuses the
 * stack id without unwinding. Entries are only made and checked on the
 * thread's own stack, inside its bounds [stk_lo, stk_hi). */
#define LT_UCACHE 256              /* entries per thread, power of two */
#define LT_UCACHE_WAYS 8           /* ways per set (a power of two): one key, several stacks above it */
#define LT_UCACHE_SLOTS 150        /* stack words an entry can check (2 per frame) */
typedef struct lt_ucache_ent {
    uintptr_t cfa, ra;             /* key */
    uint32_t gen, id, n;           /* n == 0: empty, or pending (key set, not filled yet) */
    uint32_t tries;                /* failed checks since the last fill */
    uint32_t nocache;              /* 1: this key's stack cannot be cached (signal frame...) */
    uint32_t off[LT_UCACHE_SLOTS];  /* word i to check is at cfa - 16 + off[i] */
    uint64_t val[LT_UCACHE_SLOTS];
} lt_ucache_ent_t;

typedef struct lt_thread {
    _Atomic uint64_t head;          /* words published by the owner thread */
    _Atomic uint32_t inflight;      /* owner between lt_enter and lt_leave: an event may be on its way */
    char pad0[52];
    _Atomic uint64_t tail;          /* words consumed by the writer */
    char pad1[56];
    uint64_t *ring;                 /* the owner's ring: ring_mask + 1 words */
    uint64_t ring_mask;
    uint64_t kick_at;               /* head value at which to wake the writer */
    /* A ring that grew (ring.c): from word switch_at on, records are in
     * next_ring; the writer reads rd_ring until then and frees it. */
    _Atomic uint64_t switch_at;     /* 0: no switch pending */
    uint64_t *next_ring;
    uint64_t next_mask;
    uint64_t *rd_ring;              /* the writer's ring (writer only) */
    uint64_t rd_mask;
    uint64_t wr_seq;                /* writer only: the newest sequence number taken from the ring */
    uint64_t wr_stall_head, wr_stall_seq; /* writer only: head and wr_seq when it was first seen under way */
    uint64_t wr_stall_ns;           /*   ... and when (0: not under way) */
    pid_t tid;
    _Atomic int state;              /* LT_TS_* */
    _Atomic int exiting;            /* TLS destructor ran; reclaim when the tid is gone */
    struct lt_thread *next;         /* registry: append-only list */
    struct { uint64_t hash; const struct lt_stack_ent *ent; } cache[LT_SCACHE];
    lt_ucache_ent_t *ucache;        /* LT_UCACHE entries, made at first capture */
    uintptr_t stk_lo, stk_hi;       /* this thread's stack; stk_hi == 0: not known yet */
    uint64_t ucache_hits, ucache_misses; /* for LEAKTRACE_VERBOSE */
    unsigned ucache_victim;         /* which way of a full set to replace next */
    int ucache_off;                 /* 1: no cache for this thread (bounds unknown, no memory) */
} lt_thread_t;

enum { LT_TS_FREE = 0, LT_TS_LIVE = 1 };

/* Registry of all thread states ever made (reused once their thread is gone). */
extern _Atomic(lt_thread_t *) lt_threads;

/* Reserves n words in t's ring, waiting for the writer when it is full.
 * Returns NULL when the events must be dropped (tracing is off). The caller
 * fills the words and calls lt_ring_commit(t, n). Owner thread only. */
uint64_t *lt_ring_reserve(lt_thread_t *t, unsigned n);
/* How often, and how long in all (ns), threads waited in lt_ring_reserve
 * for the writer to make room (LEAKTRACE_VERBOSE reports them). */
extern _Atomic uint64_t lt_ring_waits, lt_ring_wait_ns;
/* The largest ring any thread has had, in words (LEAKTRACE_VERBOSE). */
extern _Atomic uint64_t lt_ring_max_words;
void lt_ring_commit(lt_thread_t *t, unsigned n);
/* The writer, reading t's ring, has reached word t->switch_at: moves to the
 * ring the owner grew to and frees the old one unless !can_free (from a
 * crash handler, where the thread that crashed may hold tmem's lock: the
 * old ring then stays mapped). Writer only. */
void lt_ring_switch(lt_thread_t *t, int can_free);
/* Gets a free state or makes one. Returns NULL when out of memory. */
lt_thread_t *lt_thread_new(pid_t tid);

/* ---- stacks.c ---------------------------------------------------------- */
typedef struct lt_stack_ent {
    uint64_t hash;
    uint32_t id;
    uint32_t gen;
    uint32_t depth;
    uint64_t ips[];
} lt_stack_ent_t;

/* Hash of a stack (gen included). Pure. */
uint64_t lt_stack_hash(uint32_t gen, const uint64_t *ips, uint32_t depth);
/* Finds or inserts the stack. *is_new is set when this call inserted it
 * (the caller must then emit its definition). Lookups take no lock; an
 * insert takes the table mutex. Returns NULL when out of memory. */
const lt_stack_ent_t *lt_stacks_intern(uint64_t hash, uint32_t gen, const uint64_t *ips,
                                       uint32_t depth, int *is_new);
/* Empties the table (fork child, before any other thread exists). */
void lt_stacks_reset(void);
void lt_stacks_fork_prepare(void);
void lt_stacks_fork_parent(void);
uint32_t lt_stacks_count(void);
/* The stack with this id, or NULL. Takes the table mutex (cold: the
 * writer's ring checkpoints). */
const lt_stack_ent_t *lt_stacks_get(uint32_t id);

/* ---- unwind.c ---------------------------------------------------------- */
/* Sets libunwind's caching and learns the tracer's own code range. */
void lt_unwind_init(void);
/* Stores up to max return addresses, the innermost being the caller of the
 * hooked allocation function (tracer frames skipped). Returns the count. */
int lt_unwind(uint64_t *ips, int max);
/* The same, frame by frame, also filling ent (when not NULL) with the
 * return-address positions above cfa so that the next capture with the same
 * key can skip unwinding (see lt_ucache_ent_t). ent->n is set to 0 when the
 * stack cannot be cached (a signal frame, a frame outside [cfa, stk_hi),
 * more than LT_UCACHE_FRAMES frames). The caller sets the key and id. */
int lt_unwind_slots(uint64_t *ips, int max, uintptr_t cfa, uintptr_t stk_hi, lt_ucache_ent_t *ent);
/* How many of libunwind's memory checks unwind.c answered from the
 * thread's stack bounds, and how many went to the kernel (LEAKTRACE_VERBOSE). */
void lt_unwind_check_counts(uint64_t *here, uint64_t *kernel);
/* Learns the calling thread's stack bounds (pthread_getattr_np). Returns 0,
 * or -1 when they are unknown. Call inside the tracer's busy section (may
 * allocate through libc). */
int lt_stack_bounds(uintptr_t *lo, uintptr_t *hi);

/* ---- modules.c --------------------------------------------------------- */
extern _Atomic uint32_t lt_module_gen;
/* Rescans the loaded objects and queues MODULE/UNMODULE records for what
 * changed (bumping lt_module_gen when something went away). Takes the
 * module mutex; call with no tracer lock held. */
void lt_modules_scan(void);
/* Cheap check (dlpi_adds/dlpi_subs) then lt_modules_scan if they moved. */
void lt_modules_poll(void);
/* Forget what was sent (fork child: the new file needs everything again). */
void lt_modules_reset(void);

/* ---- writer.c ---------------------------------------------------------- */
/* Opens the trace file from lt_cfg.output for this pid and writes the file
 * header. Returns 0 or -errno (after printing one line). */
int lt_writer_open(void);
/* Appends a length-prefixed record (tag >= 0x80) to the side queue, which
 * the writer puts in the next chunk. Thread-safe (mutex), cold. */
void lt_writer_side_record(unsigned tag, const void *payload, size_t len);
/* Starts the background thread. Returns 0 or -errno. */
int lt_writer_start(void);
/* Sampling mode: lt_writer_defer instead of lt_writer_start. Until
 * lt_writer_start_deferred (the program creates a thread, or half a ring
 * waits to be written) starts the thread, lt_writer_poll_deferred, called by the
 * program's thread when it has recorded a sample, drains the rings from
 * that thread at most every LT_FLUSH_NS; so do a fatal signal and the exit.
 * Neither is for a signal handler. */
void lt_writer_defer(void);
void lt_writer_start_deferred(void);
void lt_writer_poll_deferred(void);
/* Wakes the writer (a ring is filling). Async-signal-safe. */
void lt_writer_kick(void);
/* Waits (bounded) until the writer consumed something; returns 0, or -1 when
 * no writer runs (caller may then drain synchronously). */
int lt_writer_wait_progress(void);
/* The writer's progress count (it grows after every drain of the rings),
 * and the same wait as above but for a count read earlier: it returns at
 * once if a drain ended since. Read the count, check for room, then wait:
 * no drain is missed. */
uint32_t lt_writer_progress(void);
int lt_writer_wait_progress_from(uint32_t seen);
/* Drains every ring and writes a chunk now, from the calling thread. */
void lt_writer_flush_sync(void);
/* The same from a signal handler: never blocks for long (gives up after
 * 200 ms if the writer lock stays taken, e.g. by the interrupted thread). */
void lt_writer_flush_signal(void);
/* Final flush: drains, writes END(how, status) in a final chunk, closes. */
void lt_writer_finish(int how, int status);
/* Fork support. */
void lt_writer_fork_prepare(void);
void lt_writer_fork_parent(void);
void lt_writer_fork_child(void);
int lt_writer_running(void);

/* ---- signals.c --------------------------------------------------------- */
/* Installs the fatal-signal handlers (where the program has none yet). */
void lt_signals_install(void);

/* ---- threads.c --------------------------------------------------------- */
void lt_threads_fork_child(void);

/* ---- marks.c ----------------------------------------------------------- */
/* Records a mark now (leaktrace_mark_v1). Thread-safe; waits for the writer
 * only when 64 marks are already waiting. */
void lt_mark(const char *label);
/* Installs the LEAKTRACE_MARK_SIGNAL handler, if one is configured. */
void lt_marks_install_signal(void);
/* Writer side: encodes the marks waiting (and a WARN if some were dropped)
 * through emit. */
void lt_marks_drain(void (*emit)(unsigned tag, const unsigned char *payload, size_t len));
/* Writer side: emits a TICK sample when LEAKTRACE_INTERVAL has passed. */
void lt_marks_tick(uint64_t now_ns, void (*emit)(unsigned tag, const unsigned char *payload, size_t len));
void lt_marks_fork_child(void);

/* ---- tracer.c ---------------------------------------------------------- */
enum { LT_ST_UNINIT = 0, LT_ST_INITING, LT_ST_ACTIVE, LT_ST_OFF };
extern _Atomic int lt_state;
/* The global event counter (tracer.h lt_next_seq): every event of every
 * thread takes a number from it with a locked add, which costs the program
 * a cache miss whenever another core wrote the line since. It has the line
 * to itself: the writer's progress count, bumped every round, sat beside
 * it. */
typedef struct lt_line_u64 { _Alignas(64) _Atomic uint64_t v; } lt_line_u64_t;
extern lt_line_u64_t lt_seq;
extern uint64_t lt_t0_ns;     /* CLOCK_MONOTONIC at start */
extern pid_t lt_pid;
/* Turns tracing off without a message (the exit scan, once the other
 * threads are stopped: nothing they do after that is recorded). */
void lt_tracing_off(void);
/* Stops tracing after an error: one line on stderr, the program goes on. */
void lt_disable(const char *why);
uint64_t lt_now_ns(void);

/* Event timestamps. On CPUs with an invariant TSC (constant_tsc and
 * nonstop_tsc), events carry raw TSC ticks, which cost a third of a vDSO
 * clock_gettime; the writer converts them to ns since start with a rate it
 * re-measures before every drain (lt_ts_calibrate). Elsewhere events carry
 * ns since start directly (lt_ts_tsc0 == 0, lt_ts_ns_per_tick == 0). */
extern int lt_ts_is_tsc;
extern uint64_t lt_ts_tsc0;
static inline uint64_t lt_ts_now(void)
{
#if defined(__x86_64__)
    if (LT_LIKELY(lt_ts_is_tsc)) return __builtin_ia32_rdtsc();
#endif
    return lt_now_ns();
}
/* Measures ticks against CLOCK_MONOTONIC since start; returns ns per tick,
 * or 0 when timestamps are already in ns. Writer side, cold. */
double lt_ts_calibrate(void);
void lt_ts_init(void);
/* Guard for code of the tracer that may call malloc (libc, libunwind...):
 * while held, hooks on this thread pass straight through. */
void lt_busy_enter(void);
void lt_busy_leave(void);

#endif /* LT_INTERNAL_H */
