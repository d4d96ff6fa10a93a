/*
 * tracer.c - the tracer core: start-up, the per-thread state, the record
 * functions the hooks call, and the process lifecycle (fork, exec, exit).
 *
 * States (lt_state): UNINIT until the first hooked call or the constructor
 * runs lt_init; ACTIVE while tracing; OFF for good after the trace ended or
 * could not be written (hooks then pass straight through to libc).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/lt_format.h"
#include "tracer.h"

_Atomic int lt_state;
lt_line_u64_t lt_seq;
uint64_t lt_t0_ns;
pid_t lt_pid;
LT_TLS __thread int lt_tls_busy;
LT_TLS __thread lt_thread_t *lt_tls_thr;

static pthread_key_t thr_key;
static _Atomic int finishing;   /* lt_finish ran (once per process image) */
static int exit_how = LT_END_EXIT, exit_status;

void lt_busy_enter(void) { lt_tls_busy++; }
void lt_busy_leave(void) { lt_tls_busy--; }

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t lt_now_ns(void) { return mono_ns() - lt_t0_ns; }

int lt_ts_is_tsc;
uint64_t lt_ts_tsc0;

ssize_t lt_read_text(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = '\0';
    return n;
}

/* Invariant TSC only: the kernel says so in /proc/cpuinfo's flags. */
static int tsc_invariant(void)
{
#if defined(__x86_64__)
    char buf[8192];
    if (lt_read_text("/proc/cpuinfo", buf, sizeof buf) <= 0) return 0;
    char *flags = strstr(buf, "\nflags");
    if (!flags) return 0;
    char *eol = strchr(flags + 1, '\n');
    if (eol) *eol = '\0';
    return strstr(flags, " constant_tsc") && strstr(flags, " nonstop_tsc");
#else
    return 0;
#endif
}

void lt_ts_init(void)
{
    lt_t0_ns = mono_ns();
#if defined(__x86_64__)
    if (lt_ts_is_tsc || tsc_invariant()) {
        lt_ts_is_tsc = 1;
        lt_ts_tsc0 = __builtin_ia32_rdtsc();
    }
#endif
}

double lt_ts_calibrate(void)
{
#if defined(__x86_64__)
    if (!lt_ts_is_tsc) return 0;
    uint64_t ticks = __builtin_ia32_rdtsc() - lt_ts_tsc0;
    uint64_t ns = lt_now_ns();
    if (ticks == 0 || ns == 0) return 1e-9; /* not measurable yet: tiny but nonzero */
    return (double)ns / (double)ticks;
#else
    return 0;
#endif
}

int lt_fd_move_high(int fd)
{
    struct rlimit rl;
    long base = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < base)
        base = (long)rl.rlim_cur;
    base -= 40;
    if (fd < 0 || base <= 10 || fd >= base) return fd;
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, (int)base);
    if (nfd < 0) return fd;
    close(fd);
    return nfd;
}

void lt_disable(const char *why)
{
    int expect = LT_ST_ACTIVE;
    if (atomic_compare_exchange_strong(&lt_state, &expect, LT_ST_OFF))
        lt_log("%s; tracing stopped, the program goes on untraced", why);
}

/* ---- threads --------------------------------------------------------------- */

static void thread_gone(void *p)
{
    /* Keep lt_tls_thr: the C library still frees things for this thread
     * after key destructors run. The writer reclaims the state once the
     * kernel no longer knows the thread. */
    atomic_store(&((lt_thread_t *)p)->exiting, 1);
}

lt_thread_t *lt_thread_attach(void)
{
    lt_thread_t *t = lt_thread_new((pid_t)syscall(SYS_gettid));
    if (!t) return NULL;
    lt_tls_thr = t;
    pthread_setspecific(thr_key, t);
    return t;
}

/* ---- records ------------------------------------------------------------------ */

static LT_ALWAYS_INLINE uint32_t intern(lt_thread_t *t, const uint64_t *ips, uint32_t depth, uint32_t gen)
{
    uint64_t h = lt_stack_hash(gen, ips, depth);
    unsigned slot = (unsigned)(h & (LT_SCACHE - 1));
    const lt_stack_ent_t *e = t->cache[slot].ent;
    if (e && t->cache[slot].hash == h && e->gen == gen && e->depth == depth &&
        memcmp(e->ips, ips, depth * sizeof *ips) == 0)
        return e->id;
    int is_new;
    e = lt_stacks_intern(h, gen, ips, depth, &is_new);
    if (!e) return UINT32_MAX;
    if (is_new) {
        /* A stack unknown to the tracer may mean code loaded behind our back
         * (the C library dlopens on its own): check the module map. */
        lt_modules_poll();
        unsigned n = 3 + depth;
        uint64_t *w = lt_ring_reserve(t, n);
        if (w) {
            w[0] = LT_R_HDR(LT_R_STACK, n, depth);
            w[1] = e->id;
            w[2] = gen;
            memcpy(w + 3, ips, depth * sizeof *ips);
            lt_ring_commit(t, n);
        }
    }
    t->cache[slot].hash = h;
    t->cache[slot].ent = e;
    return e->id;
}

static LT_COLD void ucache_setup(lt_thread_t *t)
{
    if (!lt_cfg.unwind_cache) {
        t->ucache_off = 1;
        return;
    }
    /* First capture on this thread (the busy flag is held: libc may
     * allocate inside pthread_getattr_np). */
    if (lt_stack_bounds(&t->stk_lo, &t->stk_hi) != 0) {
        t->stk_lo = t->stk_hi = 0;
        t->ucache_off = 1;
        return;
    }
    if (!t->ucache) t->ucache = lt_mem_alloc(LT_UCACHE * sizeof *t->ucache);
    if (!t->ucache) t->ucache_off = 1;
}

/* Whether entry e is for the key (cfa, ra) of module generation gen. */
static LT_ALWAYS_INLINE int ucache_is(const lt_ucache_ent_t *e, uintptr_t cfa, uintptr_t ra, uint32_t gen)
{
    return e->cfa == cfa && e->ra == ra && e->gen == gen;
}

static LT_ALWAYS_INLINE unsigned ucache_slot(uintptr_t cfa, uintptr_t ra)
{
    uint64_t h = ((uint64_t)ra ^ ((uint64_t)cfa << 7)) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> 56) & (LT_UCACHE - LT_UCACHE_WAYS);
}

/* The unwinds behind a cache miss. Frame by frame (lt_unwind_slots, which
 * also notes where the return addresses were) is far slower than
 * unw_backtrace: libunwind takes a lock per frame (and, without the
 * signal-mask bypass in unwind.c, system calls). So an entry is only
 * filled for a key seen a second time (the first miss leaves it
 * "pending"), and a key whose stacks keep changing above it
 * is refilled only on every eighth failure; other misses take the fast
 * unwinder. */
static __attribute__((noinline)) uint32_t capture_miss(lt_thread_t *t, uint32_t gen, uintptr_t cfa,
                                                        uintptr_t ra, lt_ucache_ent_t *set)
{
    uint64_t ips[LT_DEPTH_MAX];
    lt_ucache_ent_t *e = NULL;
    int depth;
    if (set) {
        lt_ucache_ent_t *pending = NULL, *empty = NULL, *other = NULL;
        int nocache = 0, nmatch = 0;
        for (int w = 0; w < LT_UCACHE_WAYS; w++) {
            lt_ucache_ent_t *x = &set[w];
            if (ucache_is(x, cfa, ra, gen)) {
                nmatch++;
                if (x->nocache) nocache = 1;
                else if (!x->n) pending = x;
            } else if (!x->cfa) {
                empty = x;
            } else {
                other = x;
            }
        }
        lt_ucache_ent_t *pend = NULL;
        if (pending) e = pending;                 /* seen once already: fill */
        else if (nocache) e = NULL;               /* cannot be cached */
        else if (empty) pend = empty;             /* a free way becomes pending for this key */
        else if (nmatch < LT_UCACHE_WAYS / 2 && other) {
            /* Another key's way (round robin among the ways) becomes
             * pending for this one, while this key holds less than half. */
            lt_ucache_ent_t *v = &set[t->ucache_victim++ % LT_UCACHE_WAYS];
            pend = ucache_is(v, cfa, ra, gen) ? other : v;
        } else {
            /* This key's ways hold other stacks above it: refill one of
             * them (round robin) on every eighth failure. Only one of its
             * own: the key keeps to its half of the set. */
            unsigned from = t->ucache_victim++;
            for (unsigned k = 0; k < LT_UCACHE_WAYS; k++) {
                lt_ucache_ent_t *v = &set[(from + k) % LT_UCACHE_WAYS];
                if (!ucache_is(v, cfa, ra, gen)) continue;
                if ((++v->tries & 7) == 0) e = v;
                break;
            }
        }
        if (pend) {
            pend->cfa = cfa;
            pend->ra = ra;
            pend->gen = gen;
            pend->n = 0;
            pend->tries = 0;
            pend->nocache = 0;
        }
    }
    if (e) {
        depth = lt_unwind_slots(ips, lt_cfg.depth, cfa, t->stk_hi, e);
        if (!e->n) e->nocache = 1; /* a signal frame, too deep...: do not try again */
    } else {
        depth = lt_unwind(ips, lt_cfg.depth);
    }
    uint32_t id = intern(t, ips, (uint32_t)depth, gen);
    if (e) {
        e->cfa = cfa;
        e->ra = ra;
        e->gen = gen;
        e->tries = 0;
        if (id == UINT32_MAX) e->n = 0;
        e->id = id;
    }
    return id;
}

/* The stack of the hook that inlined this. Fast path: the per-thread unwind
 * cache (lt_ucache_ent_t): the same caller at the same stack address with
 * every return address above it unchanged is the same stack. Anything else
 * (first use, no stack bounds, a stack outside the thread's own, such as a
 * signal stack or a coroutine) takes the unwinder. */
static LT_ALWAYS_INLINE uint32_t capture(lt_thread_t *t)
{
    uint32_t gen = atomic_load_explicit(&lt_module_gen, memory_order_acquire);
    uintptr_t cfa = (uintptr_t)__builtin_frame_address(0) + 16;
    uintptr_t ra = (uintptr_t)__builtin_return_address(0);
    if (LT_UNLIKELY(t->stk_hi == 0 || t->ucache_off)) {
        if (!t->ucache_off) ucache_setup(t);
        if (t->ucache_off) {
            uint64_t ips[LT_DEPTH_MAX];
            int depth = lt_unwind(ips, lt_cfg.depth);
            return intern(t, ips, (uint32_t)depth, gen);
        }
    }
    lt_ucache_ent_t *set = NULL;
    if (LT_LIKELY(cfa >= t->stk_lo && cfa < t->stk_hi)) {
        /* LT_UCACHE_WAYS ways per set: keys that hash alike, and one key
         * with several stacks above it (a function called from several
         * places at the same depth: an interpreter's allocation sites),
         * do not evict each other on every call. With 2 ways the python
         * workload missed 522 K of 5.47 M captures; with 8, 23 K. */
        set = &t->ucache[ucache_slot(cfa, ra)];
        for (int way = 0; way < LT_UCACHE_WAYS; way++) {
            lt_ucache_ent_t *e = &set[way];
            if (ucache_is(e, cfa, ra, gen) && e->n) {
                uint32_t i = 0;
                for (; i < e->n; i++)
                    if (*(const uint64_t *)(cfa - 16 + e->off[i]) != e->val[i]) break;
                if (LT_LIKELY(i == e->n)) {
                    t->ucache_hits++;
                    return e->id;
                }
            }
        }
    }
    t->ucache_misses++;
    return capture_miss(t, gen, cfa, ra, set);
}

uint32_t lt_capture_stack(lt_thread_t *t) { return capture(t); }

LT_ALWAYS_INLINE void lt_record_alloc(lt_thread_t *t, void *p, size_t n, unsigned fn)
{
    uint32_t sid = capture(t);
    uint64_t *w = lt_ring_reserve(t, 6);
    if (!w) return;
    w[0] = LT_R_HDR(LT_R_ALLOC, 6, fn);
    w[1] = lt_next_seq();
    w[2] = lt_ts_now();
    w[3] = (uintptr_t)p;
    w[4] = n;
    w[5] = sid;
    lt_ring_commit(t, 6);
}

void lt_record_free_seq(lt_thread_t *t, uint64_t seq, void *p)
{
    uint64_t *w = lt_ring_reserve(t, 4);
    if (!w) return;
    w[0] = LT_R_HDR(LT_R_FREE, 4, 0);
    w[1] = seq;
    w[2] = lt_ts_now();
    w[3] = (uintptr_t)p;
    lt_ring_commit(t, 4);
}

void lt_record_free(lt_thread_t *t, void *p) { lt_record_free_seq(t, lt_next_seq(), p); }

LT_ALWAYS_INLINE void lt_record_realloc(lt_thread_t *t, uint64_t seq1, void *old, void *new_, size_t n, unsigned fn)
{
    uint32_t sid = capture(t);
    uint64_t *w = lt_ring_reserve(t, 8);
    if (!w) return;
    w[0] = LT_R_HDR(LT_R_REALLOC, 8, fn);
    w[1] = seq1;
    w[2] = lt_next_seq();
    w[3] = lt_ts_now();
    w[4] = (uintptr_t)old;
    w[5] = (uintptr_t)new_;
    w[6] = n;
    w[7] = sid;
    lt_ring_commit(t, 8);
}

void lt_record_nop(lt_thread_t *t, uint64_t seq)
{
    uint64_t *w = lt_ring_reserve(t, 2);
    if (!w) return;
    w[0] = LT_R_HDR(LT_R_NOP, 2, 0);
    w[1] = seq;
    lt_ring_commit(t, 2);
}

/* ---- process metadata ------------------------------------------------------------ */

static size_t kv(unsigned char *p, const char *k, const void *v, size_t vlen)
{
    size_t kl = strlen(k), n = 0;
    n += lt_put_varint(p + n, kl);
    memcpy(p + n, k, kl);
    n += kl;
    n += lt_put_varint(p + n, vlen);
    memcpy(p + n, v, vlen);
    return n + vlen;
}

static size_t kvnum(unsigned char *p, const char *k, long long v)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%lld", v);
    return kv(p, k, num, (size_t)n);
}

static void emit_process(int forked)
{
    enum { ARGV_MAX = 32768 };
    unsigned char *rec = lt_mem_alloc(ARGV_MAX + 8192);
    if (!rec) return;
    unsigned char *p = rec;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *argv = lt_mem_alloc(ARGV_MAX);
    size_t alen = 0;
    int fdc = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fdc >= 0 && argv) {
        ssize_t r;
        while (alen < ARGV_MAX && (r = read(fdc, argv + alen, ARGV_MAX - alen)) > 0) alen += (size_t)r;
    }
    if (fdc >= 0) close(fdc);
    if (getenv("LEAKTRACE_NO_ARGV")) alen = 0;
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    p += kvnum(p, "pid", getpid());
    p += kvnum(p, "ppid", getppid());
    p += kv(p, "exe", exe, strlen(exe));
    if (argv) p += kv(p, "argv", argv, alen);
    p += kvnum(p, "start_realtime_ns", (long long)rt.tv_sec * 1000000000ll + rt.tv_nsec - (long long)lt_now_ns());
    p += kvnum(p, "page_size", sysconf(_SC_PAGESIZE));
    p += kvnum(p, "depth", lt_cfg.depth);
    p += kv(p, "version", LT_VERSION, strlen(LT_VERSION));
    /* This library's path as the loader names it (the MODULE record's):
     * the analyzer drops its frames whatever the file is called. */
    Dl_info self;
    if (dladdr((void *)emit_process, &self) && self.dli_fname) p += kv(p, "tracer", self.dli_fname, strlen(self.dli_fname));
    p += kvnum(p, "forked", forked);
    /* Sampling mode: the analyzer scales what it reads by this rate. */
    p += kvnum(p, "sample_rate", (long long)lt_sample_rate);
    if (lt_sample_seeded) p += kvnum(p, "sample_seed", (long long)lt_sample_seed);
    lt_writer_side_record(LT_REC_PROCESS, rec, (size_t)(p - rec));
    lt_mem_free(argv);
    lt_mem_free(rec);
}

/* ---- lifecycle ----------------------------------------------------------------------- */

/* Sampling mode records few events: in a program with one thread, the
 * writer's thread waits for a reason to exist (lt_writer_defer). */
static void start_writer(void)
{
    /* A mark signal must reach the file while the program sits idle. */
    if (lt_sample_rate && !lt_cfg.mark_signal) lt_writer_defer();
    else lt_writer_start();
}

static void fork_prepare(void)
{
    lt_tls_busy++;
    lt_writer_fork_prepare();
    lt_stacks_fork_prepare();
    lt_sample_fork_prepare();
    lt_mem_fork_prepare();
}

static void fork_parent(void)
{
    lt_mem_fork_parent();
    lt_sample_fork_parent();
    lt_stacks_fork_parent();
    lt_writer_fork_parent();
    lt_tls_busy--;
}

static void fork_child(void)
{
    /* Single-threaded now. Everything inherited that belongs to the parent's
     * trace is dropped; the child writes its own file from sequence 0. */
    lt_mem_fork_child();
    lt_sample_fork_child();
    lt_stacks_reset();
    lt_writer_fork_child();
    lt_modules_reset();
    lt_marks_fork_child();
    lt_threads_fork_child();
    lt_pid = getpid();
    lt_ts_init(); /* the child's clock starts at the fork */
    /* The parent's waits for its writer are not the child's (the auto
     * compression level and LEAKTRACE_VERBOSE read them). */
    atomic_store(&lt_ring_waits, 0);
    atomic_store(&lt_ring_wait_ns, 0);
    for (lt_thread_t *t = atomic_load(&lt_threads); t; t = t->next) {
        atomic_store(&t->tail, atomic_load(&t->head));
        /* The parent's events are dropped: a ring that grew is read from
         * its new buffer on, and no number taken here is older than any. */
        if (atomic_load(&t->switch_at)) lt_ring_switch(t, 1);
        if (t != lt_tls_thr) {
            /* Its thread may have been part-way through growing its ring
             * (a new buffer may leak) or through an event: start clean. */
            t->ring = t->rd_ring;
            t->ring_mask = t->rd_mask;
            atomic_store(&t->inflight, 0);
        }
        t->wr_seq = 0;
        t->wr_stall_ns = 0;
        memset(t->cache, 0, sizeof t->cache);
        if (t->ucache) memset(t->ucache, 0, LT_UCACHE * sizeof *t->ucache); /* ids restart */
        t->ucache_hits = t->ucache_misses = 0;
        if (t != lt_tls_thr) {
            atomic_store(&t->exiting, 0);
            atomic_store(&t->state, LT_TS_FREE);
        } else {
            t->tid = (pid_t)syscall(SYS_gettid);
        }
    }
    atomic_store(&lt_seq.v, 0);
    if (atomic_load(&lt_state) == LT_ST_ACTIVE) {
        if (lt_writer_open() == 0) {
            emit_process(1);
            lt_modules_scan();
            start_writer();
        } else {
            atomic_store(&lt_state, LT_ST_OFF);
        }
    }
    lt_tls_busy--;
}

/* LEAKTRACE_FOLLOW=0: remove the library from LD_PRELOAD in place (no
 * allocation), so programs this one execs run untraced. */
static void unfollow(void)
{
    extern char **environ;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0) continue;
        char *v = *e + 11, *out = v, *tok = v;
        while (*tok) {
            size_t len = strcspn(tok, ": ");
            int ours = memmem(tok, len, "libleaktrace", 12) != NULL;
            if (!ours) {
                if (out != v) *out++ = ':';
                memmove(out, tok, len);
                out += len;
            }
            tok += len;
            while (*tok == ':' || *tok == ' ') tok++;
        }
        *out = '\0';
    }
}

void lt_init(void)
{
    int expect = LT_ST_UNINIT;
    if (!atomic_compare_exchange_strong(&lt_state, &expect, LT_ST_INITING)) return;
    lt_tls_busy++;
    lt_ts_init();
    lt_pid = getpid();
    if (getauxval(AT_SECURE)) {
        lt_log("secure-execution mode (setuid/setgid program): not tracing, nothing is written");
        atomic_store(&lt_state, LT_ST_OFF);
        lt_tls_busy--;
        return;
    }
    lt_config_load();
    pthread_key_create(&thr_key, thread_gone);
    lt_unwind_init();
    if (lt_writer_open() != 0) {
        atomic_store(&lt_state, LT_ST_OFF);
        lt_tls_busy--;
        return;
    }
    emit_process(0);
    atomic_store(&lt_state, LT_ST_ACTIVE);
    lt_tls_busy--;
}

void lt_constructor(void)
{
    lt_init();
    if (atomic_load(&lt_state) != LT_ST_ACTIVE) return;
    lt_tls_busy++;
    if (!lt_cfg.follow) unfollow();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    lt_signals_install();
    lt_marks_install_signal();
    lt_modules_scan();
    start_writer();
    lt_tls_busy--;
}

void lt_note_exit(int how, int status)
{
    if (getpid() != lt_pid) return; /* a vfork child's exit is not ours */
    exit_how = how;
    exit_status = status;
}

void lt_finish(int how, int status)
{
    /* A vfork child shares our memory (its _exit after a failed exec must
     * not end the parent's trace); a raw clone() child shares the file
     * offset (it must not write its copy of our buffers into it). */
    if (getpid() != lt_pid) return;
    if (atomic_load(&lt_state) != LT_ST_ACTIVE) return;
    int zero = 0;
    if (!atomic_compare_exchange_strong(&finishing, &zero, 1)) return;
    lt_tls_busy++;
    if (how == LT_END_EXIT && lt_exit_scan_on()) {
        /* Tracing stays on until the exit scan has stopped the other
         * threads (lt_tracing_off): what they allocate and free until then
         * must reach the live set the scan classifies. */
        lt_writer_finish(how, status);
        atomic_store(&lt_state, LT_ST_OFF);
    } else {
        int expect = LT_ST_ACTIVE;
        if (atomic_compare_exchange_strong(&lt_state, &expect, LT_ST_OFF)) lt_writer_finish(how, status);
    }
    if (lt_cfg.verbose) {
        uint64_t here, kernel;
        lt_unwind_check_counts(&here, &kernel);
        unsigned long long hits = 0, misses = 0;
        for (lt_thread_t *t = atomic_load(&lt_threads); t; t = t->next) {
            hits += t->ucache_hits;
            misses += t->ucache_misses;
        }
        if (!lt_cfg.unwind_cache) lt_log("unwind cache: off (LEAKTRACE_UNWIND_CACHE=0)");
        else lt_log("unwind cache: %llu of %llu stacks taken from the cache, %llu unwound", hits, hits + misses, misses);
        lt_log("libunwind's memory checks: %llu answered from the thread's stack bounds, %llu by the kernel",
               (unsigned long long)here, (unsigned long long)kernel);
    }
    lt_tls_busy--;
}

void lt_tracing_off(void)
{
    int expect = LT_ST_ACTIVE;
    atomic_compare_exchange_strong(&lt_state, &expect, LT_ST_OFF);
}

__attribute__((destructor(101))) static void lt_destructor(void)
{
    lt_finish(exit_how, exit_status);
}

void lt_before_exec(void)
{
    if (atomic_load(&lt_state) != LT_ST_ACTIVE) return;
    /* A vfork child shares our memory and pid-cached state: its exec must
     * not end the parent's trace. */
    if (getpid() != lt_pid) return;
    lt_tls_busy++;
    lt_writer_finish(LT_END_EXEC, 0);
    lt_tls_busy--;
}

void lt_after_dl_change(void)
{
    if (atomic_load(&lt_state) != LT_ST_ACTIVE) return;
    lt_modules_scan();
}
