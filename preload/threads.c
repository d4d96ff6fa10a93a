/*
 * threads.c - the thread lifecycle: pthread_create (its start routine is
 * wrapped, so the start and the end of every thread are seen, including
 * pthread_exit and cancellation), the joins, pthread_detach, detached
 * creation through attributes, and pthread_setname_np.
 *
 * Every thread created through pthread_create gets a serial number (1, 2,
 * ...; the main thread is 0), because pthread_t handles and kernel thread
 * ids are both reused. A small map, behind a mutex, gives the serial of a
 * handle for join/detach/setname; these calls are rare next to malloc, and
 * the allocation hot path never touches any of this.
 *
 * Events go into the calling thread's ring (LT_R_THREAD), so each is in
 * order with that thread's allocations; the analyzer joins them by serial.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/lt_format.h"
#include "reach_rt.h"
#include "tracer.h"

static struct {
    int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    int (*join)(pthread_t, void **);
    int (*tryjoin)(pthread_t, void **);
    int (*timedjoin)(pthread_t, void **, const struct timespec *);
    int (*clockjoin)(pthread_t, void **, clockid_t, const struct timespec *);
    int (*detach)(pthread_t);
    void (*exit)(void *) __attribute__((noreturn));
    int (*setname)(pthread_t, const char *);
} real;
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

static void resolve(void)
{
#define R(field, name) real.field = (__typeof__(real.field))dlsym(RTLD_NEXT, name)
    R(create, "pthread_create");
    R(join, "pthread_join");
    R(tryjoin, "pthread_tryjoin_np");
    R(timedjoin, "pthread_timedjoin_np");
    R(clockjoin, "pthread_clockjoin_np");
    R(detach, "pthread_detach");
    R(exit, "pthread_exit");
    R(setname, "pthread_setname_np");
#undef R
}

static inline void need_real(void) { pthread_once(&resolve_once, resolve); }

/* ---- serials ---------------------------------------------------------------- */

static _Atomic uint64_t next_serial = 1;
static LT_TLS __thread uint64_t my_serial;     /* 0: main thread, or not created through us */
static LT_TLS __thread int my_exit_called;
static LT_TLS __thread int my_reach_slot = -1;   /* reach.c's record of where this thread started */
static LT_TLS __thread uint64_t my_cfa;     /* pthread_exit was called: unwinding is not a cancel */

typedef struct ent { pthread_t th; uint64_t serial; int detached; } ent_t;
static pthread_mutex_t map_mu = PTHREAD_MUTEX_INITIALIZER;
static ent_t *map;
static size_t map_cap, map_n;

static size_t slot_of(pthread_t th, size_t cap) { return (size_t)(((uint64_t)th * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1); }

static void map_put_locked(pthread_t th, uint64_t serial, int detached)
{
    if ((map_n + 1) * 2 > map_cap) {
        size_t nc = map_cap ? map_cap * 2 : 256;
        ent_t *n = lt_mem_alloc(nc * sizeof *n);
        if (!n) return;
        for (size_t i = 0; i < map_cap; i++) {
            if (!map[i].serial) continue;
            size_t j = slot_of(map[i].th, nc);
            while (n[j].serial) j = (j + 1) & (nc - 1);
            n[j] = map[i];
        }
        lt_mem_free(map);
        map = n;
        map_cap = nc;
    }
    size_t j = slot_of(th, map_cap);
    while (map[j].serial && !pthread_equal(map[j].th, th)) j = (j + 1) & (map_cap - 1);
    if (!map[j].serial) map_n++;
    map[j] = (ent_t){ th, serial, detached };
}

static ent_t *map_find_locked(pthread_t th)
{
    if (!map_cap) return NULL;
    for (size_t j = slot_of(th, map_cap);; j = (j + 1) & (map_cap - 1)) {
        if (!map[j].serial) return NULL;
        if (pthread_equal(map[j].th, th)) return &map[j];
    }
}

static void map_remove_locked(ent_t *e)
{
    size_t mask = map_cap - 1, i = (size_t)(e - map), j = i;
    map[i].serial = 0;
    for (;;) {
        j = (j + 1) & mask;
        if (!map[j].serial) break;
        size_t k = slot_of(map[j].th, map_cap);
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            map[i] = map[j];
            map[j].serial = 0;
            i = j;
        }
    }
    map_n--;
}

/* The serial of th (0 when unknown); remove: forget the handle (joined). */
static uint64_t serial_of(pthread_t th, int remove, int set_detached)
{
    if (pthread_equal(th, pthread_self()) && !remove && !set_detached) return my_serial;
    uint64_t s = 0;
    pthread_mutex_lock(&map_mu);
    ent_t *e = map_find_locked(th);
    if (e) {
        s = e->serial;
        if (set_detached) e->detached = 1;
        if (remove) map_remove_locked(e);
    }
    pthread_mutex_unlock(&map_mu);
    if (!s && pthread_equal(th, pthread_self())) s = my_serial;
    return s;
}

/* ---- records -------------------------------------------------------------------- */

static void record(unsigned kind, uint64_t serial, uint64_t a, uint64_t b, uint64_t c)
{
    lt_thread_t *t = lt_enter();
    if (!t) return;
    uint64_t *w = lt_ring_reserve(t, 6);
    if (w) {
        w[0] = LT_R_HDR(LT_R_THREAD, 6, kind);
        w[1] = serial;
        w[2] = lt_ts_now();
        w[3] = a;
        w[4] = b;
        w[5] = c;
        lt_ring_commit(t, 6);
    }
    lt_leave(t);
}

static uint64_t gettid_u(void) { return (uint64_t)syscall(SYS_gettid); }

/* ---- the start routine wrapper ------------------------------------------------------ */

typedef struct start {
    void *(*fn)(void *);
    void *arg;
    uint64_t serial;
} start_t;

static void thread_ended(uint64_t how)
{
    lt_reach_thread_ended(my_reach_slot, my_cfa);
    record(LT_THR_EXIT, my_serial, gettid_u(), how, 0);
    /* A detached thread's handle may be reused once it is gone. */
    pthread_mutex_lock(&map_mu);
    ent_t *e = map_find_locked(pthread_self());
    if (e && e->detached) map_remove_locked(e);
    pthread_mutex_unlock(&map_mu);
}

static void on_unwind(void *unused)
{
    (void)unused;
    thread_ended(my_exit_called ? LT_THR_HOW_EXIT : LT_THR_HOW_CANCEL);
}

static void *thread_start(void *p)
{
    start_t s = *(start_t *)p;
    lt_mem_free(p);
    my_serial = s.serial;
    my_cfa = (uint64_t)(uintptr_t)__builtin_dwarf_cfa();
    my_reach_slot = lt_reach_thread_started(my_cfa);
    record(LT_THR_START, s.serial, gettid_u(), 0, 0);
    void *ret;
    pthread_cleanup_push(on_unwind, NULL);
    ret = s.fn(s.arg);
    pthread_cleanup_pop(0);
    thread_ended(LT_THR_HOW_RETURN);
    return ret;
}

/* ---- the interposed functions ------------------------------------------------------- */

LT_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    need_real();
    /* The tracer's own threads, and threads made while tracing is off,
     * are created as they are. */
    if (lt_tls_busy || atomic_load_explicit(&lt_state, memory_order_relaxed) != LT_ST_ACTIVE)
        return real.create(th, attr, fn, arg);
    lt_writer_start_deferred(); /* the process is no longer single-threaded */
    start_t *s = lt_mem_alloc(sizeof *s);
    if (!s) return real.create(th, attr, fn, arg);
    *s = (start_t){ fn, arg, atomic_fetch_add(&next_serial, 1) };
    uint64_t serial = s->serial;
    int detached = 0;
    if (attr) pthread_attr_getdetachstate(attr, &detached);
    detached = detached == PTHREAD_CREATE_DETACHED;
    /* Known before the thread runs: it may detach or join-wait on itself. */
    pthread_mutex_lock(&map_mu);
    int rc = real.create(th, attr, thread_start, s);
    if (rc == 0) map_put_locked(*th, serial, detached);
    pthread_mutex_unlock(&map_mu);
    if (rc != 0) {
        lt_mem_free(s);
        return rc;
    }
    lt_thread_t *t = lt_enter();
    if (t) {
        uint32_t sid = lt_capture_stack(t);
        uint64_t *w = lt_ring_reserve(t, 7);
        if (w) {
            w[0] = LT_R_HDR(LT_R_THREAD, 7, LT_THR_CREATE);
            w[1] = serial;
            w[2] = lt_ts_now();
            w[3] = gettid_u();
            w[4] = sid;
            w[5] = (uint64_t)detached | (my_serial << 1);
            w[6] = (uint64_t)(uintptr_t)fn;
            lt_ring_commit(t, 7);
        }
        lt_leave(t);
    }
    return 0;
}

/* Forgets th if it still stands for thread serial s. */
static void forget(pthread_t th, uint64_t s)
{
    pthread_mutex_lock(&map_mu);
    ent_t *e = map_find_locked(th);
    if (e && e->serial == s) map_remove_locked(e);
    pthread_mutex_unlock(&map_mu);
}

/* The serial is looked up before the real join: once it returns, glibc may
 * hand the same pthread_t to a thread another thread is creating, and a
 * lookup then would credit the join to that new thread. */
static uint64_t joining(pthread_t th)
{
    return pthread_equal(th, pthread_self()) ? 0 : serial_of(th, 0, 0);
}

static int joined(pthread_t th, uint64_t s, int rc)
{
    if (rc == 0 && s) {
        forget(th, s);
        if (atomic_load_explicit(&lt_state, memory_order_relaxed) == LT_ST_ACTIVE)
            record(LT_THR_JOIN, s, gettid_u(), my_serial, 0);
    }
    return rc;
}

LT_EXPORT int pthread_join(pthread_t th, void **ret)
{
    need_real();
    uint64_t s = joining(th);
    return joined(th, s, real.join(th, ret));
}

LT_EXPORT int pthread_tryjoin_np(pthread_t th, void **ret)
{
    need_real();
    uint64_t s = joining(th);
    return joined(th, s, real.tryjoin(th, ret));
}

LT_EXPORT int pthread_timedjoin_np(pthread_t th, void **ret, const struct timespec *abstime)
{
    need_real();
    uint64_t s = joining(th);
    return joined(th, s, real.timedjoin(th, ret, abstime));
}

LT_EXPORT int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t clk, const struct timespec *abstime)
{
    need_real();
    if (!real.clockjoin) return ENOSYS;
    uint64_t s = joining(th);
    return joined(th, s, real.clockjoin(th, ret, clk, abstime));
}

LT_EXPORT int pthread_detach(pthread_t th)
{
    need_real();
    int rc = real.detach(th);
    if (rc == 0 && atomic_load_explicit(&lt_state, memory_order_relaxed) == LT_ST_ACTIVE) {
        uint64_t s = serial_of(th, 0, 1);
        if (s) record(LT_THR_DETACH, s, gettid_u(), 0, 0);
    }
    return rc;
}

LT_EXPORT void pthread_exit(void *ret)
{
    need_real();
    my_exit_called = 1;
    real.exit(ret);
}

LT_EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
    need_real();
    int rc = real.setname(th, name);
    if (rc == 0 && atomic_load_explicit(&lt_state, memory_order_relaxed) == LT_ST_ACTIVE) {
        uint64_t s = serial_of(th, 0, 0);
        uint64_t packed[2] = { 0, 0 };
        memcpy(packed, name, strnlen(name, 15));
        if (s || pthread_equal(th, pthread_self())) record(LT_THR_NAME, s, packed[0], packed[1], 0);
    }
    return rc;
}

void lt_threads_fork_child(void)
{
    /* Only the forking thread goes on; the handles of the others mean
     * nothing in the child. The lock may have been held at fork. */
    pthread_mutex_init(&map_mu, NULL);
    map = NULL;
    map_cap = map_n = 0;
}
