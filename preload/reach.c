/*
 * reach.c - the exit-time reachability scan (docs/reachability.md).
 *
 * Runs from the final flush (writer.c, lt_writer_finish with LT_END_EXIT),
 * which runs from the tracer's ELF destructor: the program's atexit
 * handlers and destructors, and those of every library loaded after the
 * preloaded tracer, have run by then. The writer lock is held, so the
 * writer thread is parked and the live set (liveset.c) is ours.
 *
 *   1. Everything the scan needs is allocated first (tmem), while the other
 *      threads still run: once they are stopped, taking any lock one of
 *      them may hold (malloc's, tmem's) could deadlock.
 *   2. The other threads are stopped: each gets a real-time signal whose
 *      handler saves the interrupted registers and stack pointer and waits
 *      on a futex. A thread that finds tmem's lock held declines and is
 *      asked again (the scanner needs that lock), as does a thread caught
 *      inside an event (its record would be cut off: a sequence gap); a
 *      thread that blocks the signal
 *      or does not answer within the timeout is "not stopped": its stack is
 *      then scanned whole (it is an ordinary mapping), and the report says
 *      how many there were. Nothing waits without a timeout.
 *   3. Tracing is turned off (it stayed on until now, so that what the
 *      other threads did before they stopped is recorded) and the rings
 *      are drained once more: the live set is now exact.
 *   4. Roots (/proc/self/maps): every readable and writable mapping except
 *      the heap areas (brk heap, malloc's per-thread arenas, the live blocks
 *      themselves), the tracer's own memory and data, device mappings and
 *      shared file mappings; thread stacks only from the saved stack
 *      pointer up (the exiting thread: from where it called exit, or from
 *      where main returned); stacks of threads that ended only from where
 *      their start routine was called (their TLS and descriptor). Then the
 *      saved registers. Static TLS and the thread descriptors (pthread
 *      keys, the DTV pointer) lie in those stacks or in the loader's
 *      mappings, dynamic TLS in traced heap blocks: all covered.
 *   5. Mark and classify (reach_core.c), release the threads, write the
 *      records (LT_REC_REACHBLK per run of blocks, LT_REC_REACH summary).
 *
 * The only state shared with other threads: the exit point (exit/main
 * return), the start points of threads (for the stacks of those that
 * ended), and the stop handshake slots.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../common/lt_format.h"
#include "liveset.h"
#include "reach.h"
#include "reach_rt.h"
#include "tracer.h"

#define MAX_THREADS 1024
#define MAX_DEAD 4096
#define MAX_EXCL (8192 + 64)
#define STOP_TIMEOUT_NS (200ull * 1000 * 1000)
#define ARENA_ALIGN (64ull << 20)       /* glibc HEAP_MAX_SIZE on 64-bit */

static long futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)w, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- exit point and thread start points (any thread) --------------------- */

static _Atomic pid_t exit_tid;
static uint64_t exit_sp, exit_regs[LT_REACH_NREGS];
static _Atomic uint64_t writer_sp;

void lt_reach_note_exit(uint64_t sp, const uint64_t *regs)
{
    exit_sp = sp;
    memcpy(exit_regs, regs, sizeof exit_regs);
    atomic_store(&exit_tid, (pid_t)syscall(SYS_gettid));
}

void lt_reach_note_writer(uint64_t sp) { atomic_store(&writer_sp, sp); }

/* Threads that started through our pthread_create wrapper: where their
 * start routine was called. Once a thread ended, its stack may stay mapped
 * (glibc's stack cache) full of stale frames, of which valgrind sees only
 * what lies above the final stack pointer; we keep what lies above the
 * start point. A ring of slots: the oldest are forgotten first. */
static struct { _Atomic uint64_t cfa; _Atomic int ended; } dead[MAX_DEAD];
static _Atomic uint32_t dead_next;

int lt_reach_thread_started(uint64_t cfa)
{
    uint32_t i = atomic_fetch_add(&dead_next, 1) % MAX_DEAD;
    atomic_store(&dead[i].ended, 0);
    atomic_store(&dead[i].cfa, cfa);
    return (int)i;
}

void lt_reach_thread_ended(int slot, uint64_t cfa)
{
    if (slot < 0 || slot >= MAX_DEAD || atomic_load(&dead[slot].cfa) != cfa) return;
    atomic_store(&dead[slot].ended, 1);
}

/* ---- stopping the other threads ------------------------------------------ */

enum { SL_SENT = 0, SL_STOPPED, SL_DECLINED, SL_RESUMED };

typedef struct slot {
    _Atomic pid_t tid;
    _Atomic int st;
    uint64_t sp;
    uint64_t regs[LT_REACH_NREGS];
} slot_t;

static slot_t *slots;               /* MAX_THREADS, from tmem, kept for late handlers */
static _Atomic unsigned nslots;
static _Atomic uint32_t release_word; /* changes when the stopped threads may go */
static _Atomic int stopping;        /* the handler stops threads only while set */

static void on_stop(int sig, siginfo_t *si, void *ucv)
{
    (void)sig; (void)si;
    int saved_errno = errno;
    if (!atomic_load(&stopping)) { errno = saved_errno; return; }
    pid_t me = (pid_t)syscall(SYS_gettid);
    unsigned n = atomic_load(&nslots);
    slot_t *s = NULL;
    for (unsigned i = 0; i < n; i++)
        if (atomic_load(&slots[i].tid) == me) { s = &slots[i]; break; }
    if (!s || atomic_load(&s->st) != SL_SENT) { errno = saved_errno; return; }
    /* tmem's lock taken (by anyone, maybe this thread): the scanner needs
     * it (the live set and the writer allocate there). Decline; it asks
     * again. Anything else a thread inside the tracer may hold (the stack
     * table's mutex, libunwind's locks) the scanner never takes; the writer
     * lock it holds itself, so a thread waiting for it (its ring full) is
     * stopped there. */
    /* Inside an event (between lt_enter and lt_leave: a sequence number
     * may be taken and its record not yet in the ring): decline too, so
     * that no event is cut in two by the stop (a gap in the sequence). The
     * next signal most likely lands outside the tracer. */
    lt_thread_t *mine = lt_tls_thr;
    if (lt_mem_busy() || (mine && atomic_load_explicit(&mine->inflight, memory_order_relaxed))) {
        atomic_store(&s->st, SL_DECLINED);
        futex((_Atomic uint32_t *)&s->st, FUTEX_WAKE, 1, NULL);
        errno = saved_errno;
        return;
    }
    const ucontext_t *uc = ucv;
#if defined(__x86_64__)
    static const int gr[LT_REACH_NREGS] = { REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP,
                                            REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15 };
    for (int i = 0; i < LT_REACH_NREGS; i++) s->regs[i] = (uint64_t)uc->uc_mcontext.gregs[gr[i]];
    s->sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
#else
    (void)uc;
    s->sp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
#endif
    uint32_t rel = atomic_load(&release_word);
    atomic_store(&s->st, SL_STOPPED);
    /* Wait for the release; never forever (60 s), should the scanner die. */
    uint64_t until = mono_ns() + 60ull * 1000000000ull;
    while (atomic_load(&release_word) == rel && mono_ns() < until) {
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        futex(&release_word, FUTEX_WAIT, rel, &ts);
    }
    atomic_store(&s->st, SL_RESUMED);
    errno = saved_errno;
}

static uint64_t hex(const char **pp);

/* 1 when thread tid blocks signal sig (from /proc/self/task/TID/status). */
static int blocks_signal(pid_t tid, int sig)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    if (lt_read_text(path, buf, sizeof buf) <= 0) return 0;
    char *p = strstr(buf, "\nSigBlk:");
    if (!p) return 0;
    const char *h = p + 8;
    while (*h == ' ' || *h == '\t') h++;
    uint64_t mask = hex(&h);
    return (mask >> (sig - 1)) & 1;
}

static int stop_sig(void)
{
    int s = SIGRTMAX - 3;
    if (s == lt_cfg.mark_signal) s--;
    return s;
}

typedef struct stopinfo {
    unsigned stopped, not_stopped, total;
    struct sigaction old;
    int installed;
} stopinfo_t;

/* Stops every other thread of the process except the writer. drain empties
 * the rings meanwhile (the caller holds the writer lock), so that a thread
 * waiting for room finishes its event and can stop. */
static void stop_threads(stopinfo_t *si, pid_t self, pid_t writer, void (*drain)(void))
{
    memset(si, 0, sizeof *si);
    int sig = stop_sig();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_stop;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    /* sigaction is interposed by signals.c, which passes this signal
     * (not one of the fatal ones) straight through. */
    if (sigaction(sig, &sa, &si->old) != 0) return;
    si->installed = 1;
    atomic_store(&stopping, 1);
    atomic_store(&nslots, 0);

    char dbuf[4096];
    int dfd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    long nread;
    while ((nread = syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf)) > 0) {
        for (long off = 0; off < nread;) {
            struct dirent64 *d = (struct dirent64 *)(dbuf + off);
            off += d->d_reclen;
            if (d->d_name[0] < '1' || d->d_name[0] > '9') continue;
            pid_t tid = (pid_t)atol(d->d_name);
            if (tid == self || tid == writer) continue;
            si->total++;
            unsigned i = atomic_load(&nslots);
            if (i >= MAX_THREADS || blocks_signal(tid, sig)) { si->not_stopped++; continue; }
            atomic_store(&slots[i].st, SL_SENT);
            atomic_store(&slots[i].tid, tid);
            atomic_store(&nslots, i + 1);
        }
    }
    close(dfd);

    unsigned n = atomic_load(&nslots);
    uint64_t deadline = mono_ns() + STOP_TIMEOUT_NS;
    for (unsigned i = 0; i < n; i++)
        if (syscall(SYS_tgkill, lt_pid, slots[i].tid, sig) != 0) atomic_store(&slots[i].st, SL_RESUMED);
    for (;;) {
        int pending = 0;
        for (unsigned i = 0; i < n; i++) {
            int st = atomic_load(&slots[i].st);
            if (st == SL_DECLINED) {
                atomic_store(&slots[i].st, SL_SENT);
                if (syscall(SYS_tgkill, lt_pid, slots[i].tid, sig) != 0) atomic_store(&slots[i].st, SL_RESUMED);
                pending = 1;
            } else if (st == SL_SENT) {
                pending = 1;
            }
        }
        if (!pending || mono_ns() >= deadline) break;
        /* A thread waiting for room in its ring (the writer is parked: we
         * hold its lock) is inside an event and declines: make the room. */
        drain();
        struct timespec ms = { 0, 200 * 1000 };
        nanosleep(&ms, NULL);
    }
    for (unsigned i = 0; i < n; i++) {
        int st = atomic_load(&slots[i].st);
        if (st == SL_STOPPED) si->stopped++;
        else if (st != SL_RESUMED || syscall(SYS_tgkill, lt_pid, slots[i].tid, 0) == 0) si->not_stopped++;
    }
}

static void release_threads(stopinfo_t *si)
{
    if (!si->installed) return;
    atomic_store(&stopping, 0);
    atomic_fetch_add(&release_word, 1);
    futex(&release_word, FUTEX_WAKE, INT32_MAX, NULL);
    /* A thread that never answered may still get the signal later: our
     * handler stays then (it returns at once now), since the default
     * action of a real-time signal would kill the process. */
    if (si->not_stopped == 0) sigaction(stop_sig(), &si->old, NULL);
}

/* ---- roots ------------------------------------------------------------------ */

typedef struct range { uint64_t lo, hi; } range_t;

typedef struct scan {
    lt_reach_t r;
    range_t *excl;                  /* never scanned as roots */
    size_t nexcl;
    int excl_overflow;
} scan_t;

static void add_excl(scan_t *s, uint64_t lo, uint64_t hi)
{
    if (hi <= lo) return;
    if (s->nexcl < MAX_EXCL) s->excl[s->nexcl++] = (range_t){ lo, hi };
    else s->excl_overflow = 1;
}

static void excl_cb(void *arg, uintptr_t lo, uintptr_t hi) { add_excl(arg, lo, hi); }

/* The tracer's own writable segments (its .data and .bss). */
static int own_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t me = (uintptr_t)&own_segments;
    int ours = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (me >= lo && me < lo + ph->p_memsz) ours = 1;
    }
    if (!ours) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W)) continue;
        uint64_t lo = (info->dlpi_addr + ph->p_vaddr) & ~4095ull;
        uint64_t hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~4095ull;
        add_excl(arg, lo, hi);
    }
    return 1;
}

static int cmp_range(const range_t *a, const range_t *b) { return a->lo < b->lo ? -1 : a->lo > b->lo; }

static void sort_ranges(range_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {        /* insertion sort: a few hundred at most */
        range_t x = v[i];
        size_t j = i;
        while (j > 0 && cmp_range(&v[j - 1], &x) > 0) { v[j] = v[j - 1]; j--; }
        v[j] = x;
    }
}

/* Scans [lo, hi) minus the excluded ranges (sorted) and minus live blocks. */
static void scan_root(scan_t *s, uint64_t lo, uint64_t hi)
{
    while (lo < hi) {
        uint64_t end = hi;
        int skipped = 0;
        for (size_t i = 0; i < s->nexcl; i++) {
            const range_t *e = &s->excl[i];
            if (e->hi <= lo) continue;
            if (e->lo >= hi) break;
            if (e->lo <= lo) { lo = e->hi; skipped = 1; break; }
            end = e->lo;
            break;
        }
        if (skipped) continue;
        /* Live blocks (mmapped chunks may share a mapping with the
         * program's own memory): their contents count only once reached. */
        long k = lt_reach_find(&s->r, lo);
        if (k >= 0) {
            lo = s->r.b[k].addr + s->r.b[k].size + (s->r.b[k].size == 0);
            continue;
        }
        size_t a = 0, b = s->r.n;           /* first block starting after lo */
        while (a < b) {
            size_t m = a + (b - a) / 2;
            if (s->r.b[m].addr <= lo) a = m + 1;
            else b = m;
        }
        if (a < s->r.n && s->r.b[a].addr < end) end = s->r.b[a].addr;
        lt_reach_scan_root(&s->r, lo, end);
        lo = end;
    }
}

static uint64_t hex(const char **pp)
{
    const char *p = *pp;
    uint64_t v = 0;
    for (;; p++) {
        int d = (*p >= '0' && *p <= '9') ? *p - '0' : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 : -1;
        if (d < 0) break;
        v = v << 4 | (uint64_t)d;
    }
    *pp = p;
    return v;
}


/* glibc's non-main arenas: 64 MiB aligned heaps starting with a
 * heap_info (ar_ptr, prev, size, mprotect_size). */
static void exclude_arenas(scan_t *s, uint64_t lo, uint64_t hi)
{
    for (uint64_t a = (lo + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1); a + 32 <= hi && a >= lo; a += ARENA_ALIGN) {
        const uint64_t *w = (const uint64_t *)(uintptr_t)a;
        uint64_t ar = w[0], size = w[2], mprot = w[3];
        /* Up to mprotect_size: the part past size is what the heap shrank
         * from (trimmed), full of stale chunks. */
        if (ar >= a && ar < a + ARENA_ALIGN && size >= 4096 && size <= ARENA_ALIGN && mprot >= size && mprot <= ARENA_ALIGN)
            add_excl(s, a, a + mprot);
    }
}

typedef struct thr_sp { uint64_t sp; int kind; } thr_sp_t;  /* kind 0: stopped/exiting, 1: ended */

/* glibc's main arena (struct malloc_state, in libc's data): its bins, top
 * and last_remainder point at chunk headers of free chunks, 16 bytes
 * before their user address, which lies inside the block before them when
 * that block's size reaches into the next chunk's prev_size field: a false
 * interior pointer valgrind never sees (its allocator is not the
 * program's). The arena is recognised by its empty bins, which point at
 * themselves (fd == bk == the bin's address - 16), and its next field
 * (offset 2160 in glibc 2.26 to 2.38 on 64-bit), which closes the circular
 * list of arenas: itself, or a per-thread arena (just after the heap_info
 * at the start of a 64 MiB aligned heap). */
#define MSTATE_BINS 112
#define MSTATE_NEXT 2160
#define MSTATE_SIZE 2200
static void exclude_main_arena(scan_t *s, uint64_t lo, uint64_t hi)
{
    for (uint64_t a = (lo + 7) & ~7ull; a + 16 <= hi; a += 8) {
        const uint64_t *w = (const uint64_t *)(uintptr_t)a;
        if (w[0] != a - 16 || w[1] != a - 16) continue;
        /* an empty bin at a: the arena starts MSTATE_BINS + 16 j before it */
        for (uint64_t j = 0; j < 127; j++) {
            uint64_t b = a - MSTATE_BINS - 16 * j;
            if (b < lo || b + MSTATE_SIZE > hi) continue;
            uint64_t next = *(const uint64_t *)(uintptr_t)(b + MSTATE_NEXT);
            if (next == b || ((next & 15) == 0 && (next & (ARENA_ALIGN - 1)) <= 0x100)) {
                add_excl(s, b, b + MSTATE_SIZE);
                return;
            }
        }
        return;
    }
}

static int is_libc(const char *path, size_t plen)
{
    const char *b = path;
    for (size_t i = 0; i < plen; i++)
        if (path[i] == '/') b = path + i + 1;
    return (size_t)(path + plen - b) >= 7 && !memcmp(b, "libc.so", 7);
}

/* Pass 0 collects what to leave out (malloc's arenas and metadata), pass 1
 * scans, with the exclusions sorted in between. */
static void scan_maps(scan_t *s, const char *maps, size_t len, const thr_sp_t *sps, size_t nsp, uint64_t wsp, int pass)
{
    const char *p = maps, *end = maps + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *q = p;
        uint64_t lo = hex(&q);
        if (*q == '-') q++;
        uint64_t hi = hex(&q);
        while (*q == ' ') q++;
        char perms[5] = { 0 };
        memcpy(perms, q, (size_t)(eol - q) >= 4 ? 4 : 0);
        /* path: after offset, dev, inode */
        const char *path = q;
        for (int f = 0; f < 4 && path < eol; f++) {
            while (path < eol && *path != ' ') path++;
            while (path < eol && *path == ' ') path++;
        }
        size_t plen = (size_t)(eol - path);
        p = eol + 1;
        if (perms[0] != 'r' || perms[1] != 'w') continue;
        if (plen == 6 && !memcmp(path, "[heap]", 6)) continue;
        /* Device memory is not read (it may have side effects or fault);
         * /dev/shm is a tmpfs: a program or library run from there has its
         * data segment mapped from it, and those are roots. */
        if (plen >= 5 && !memcmp(path, "/dev/", 5) && !(plen >= 9 && !memcmp(path, "/dev/zero", 9)) &&
            !(plen > 9 && !memcmp(path, "/dev/shm/", 9)))
            continue;
        if (perms[3] == 's' && plen && path[0] == '/' && !(plen >= 9 && !memcmp(path, "/dev/zero", 9))) continue;
        if (wsp >= lo && wsp < hi) continue;        /* the writer thread's stack */
        if (pass == 0) {
            if (plen == 0) exclude_arenas(s, lo, hi);
            else if (is_libc(path, plen)) exclude_main_arena(s, lo, hi);
            continue;
        }
        /* A stack: from the stack pointer up. */
        uint64_t from = lo;
        int live = 0;
        for (size_t i = 0; i < nsp; i++)
            if (sps[i].kind == 0 && sps[i].sp >= lo && sps[i].sp < hi) { from = sps[i].sp; live = 1; }
        if (!live)
            for (size_t i = 0; i < nsp; i++)
                if (sps[i].kind == 1 && sps[i].sp >= lo && sps[i].sp < hi && sps[i].sp > from) from = sps[i].sp;
        scan_root(s, from, hi);
    }
}

/* ---- sorting the blocks (no libc: qsort may allocate) ----------------------- */

/* LSD radix sort on the address, 11 bits a pass, passes whose digit is the
 * same in every block skipped (the high bits usually are): O(n), with tmp
 * (n entries) as the other buffer. */
static void sort_blocks(lt_rblock_t *v, lt_rblock_t *tmp, size_t n)
{
    enum { BITS = 11, NB = 1 << BITS };
    size_t count[NB];
    lt_rblock_t *src = v, *dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += BITS) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(src[i].addr >> shift) & (NB - 1)]++;
        if (n && count[(src[0].addr >> shift) & (NB - 1)] == n) continue;
        size_t sum = 0;
        for (size_t d = 0; d < NB; d++) { size_t c = count[d]; count[d] = sum; sum += c; }
        for (size_t i = 0; i < n; i++) dst[count[(src[i].addr >> shift) & (NB - 1)]++] = src[i];
        lt_rblock_t *t = src; src = dst; dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
}

typedef struct collect { lt_rblock_t *b; size_t n, cap; } collect_t;

static int collect_cb(const lt_live_t *e, void *arg)
{
    collect_t *c = arg;
    if (c->n >= c->cap) return 1;
    c->b[c->n++] = (lt_rblock_t){ e->addr, e->size };
    return 0;
}

/* ---- reading memory that may go away ------------------------------------------- */

static LT_TLS __thread sigjmp_buf *guard;

void lt_reach_fault(int sig)
{
    (void)sig;
    if (guard) siglongjmp(*guard, 1);
}

/* ---- the scan ------------------------------------------------------------------ */

static void emit_summary(lt_reach_emit_fn emit, unsigned status, int how, const lt_reach_result_t *res)
{
    unsigned char rec[256], *p = rec;
    p += lt_put_varint(p, status);
    p += lt_put_varint(p, (uint64_t)how);
    p += lt_put_varint(p, res ? res->blocks : 0);
    p += lt_put_varint(p, res ? res->root_bytes : 0);
    p += lt_put_varint(p, res ? res->heap_bytes : 0);
    p += lt_put_varint(p, res ? res->time_ns : 0);
    p += lt_put_varint(p, res ? res->threads_stopped : 0);
    p += lt_put_varint(p, res ? res->threads_not_stopped : 0);
    for (int k = 0; k < 4; k++) {
        p += lt_put_varint(p, res ? res->kind_blocks[k] : 0);
        p += lt_put_varint(p, res ? res->kind_bytes[k] : 0);
    }
    emit(LT_REC_REACH, rec, (size_t)(p - rec));
}

void lt_reach_not_run(lt_reach_emit_fn emit, unsigned status, int how)
{
    emit_summary(emit, status, how, NULL);
}

/* Marks from every root and classifies. Returns LT_SCAN_RAN, or
 * LT_SCAN_FAILED when reading faulted. */
static __attribute__((noinline)) unsigned mark(scan_t *s, lt_rblock_t *b, size_t n, uint8_t *state, uint32_t *stack, uint64_t *ind,
                                                const char *maps, size_t ml, thr_sp_t *sps, pid_t self)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1) != 0) {
        guard = NULL;
        return LT_SCAN_FAILED;
    }
    guard = &jb;
    sort_blocks(b, (lt_rblock_t *)(void *)stack, n);
    lt_reach_init(&s->r, b, n, state, stack, ind);
    size_t nsp = 0;
    pid_t et = atomic_load(&exit_tid);
    /* Not through our exit() or main's return (the C library calling exit
     * itself, e.g. error(3)): from here up, the tracer's frames included
     * (they hold no block address at this point). */
    uint64_t my_sp = et == self ? exit_sp : (uint64_t)(uintptr_t)__builtin_frame_address(0);
    sps[nsp++] = (thr_sp_t){ my_sp, 0 };
    unsigned ns = atomic_load(&nslots);
    for (unsigned i = 0; i < ns; i++)
        if (atomic_load(&slots[i].st) == SL_STOPPED) sps[nsp++] = (thr_sp_t){ slots[i].sp - 128, 0 };
    for (unsigned i = 0; i < MAX_DEAD; i++)
        if (atomic_load(&dead[i].ended) && atomic_load(&dead[i].cfa)) sps[nsp++] = (thr_sp_t){ dead[i].cfa, 1 };
    scan_maps(s, maps, ml, sps, nsp, atomic_load(&writer_sp), 0);
    sort_ranges(s->excl, s->nexcl);
    scan_maps(s, maps, ml, sps, nsp, atomic_load(&writer_sp), 1);
    if (et == self)
        for (int i = 0; i < LT_REACH_NREGS; i++) lt_reach_root_word(&s->r, exit_regs[i]);
    for (unsigned i = 0; i < ns; i++)
        if (atomic_load(&slots[i].st) == SL_STOPPED)
            for (int k = 0; k < LT_REACH_NREGS; k++) lt_reach_root_word(&s->r, slots[i].regs[k]);
    lt_reach_finish(&s->r);
    guard = NULL;
    return LT_SCAN_RAN;
}

#define BLK_PER_REC 1024   /* <= 20 KiB per record: fits in the freed mark stack */

int lt_reach_at_exit(void (*drain)(void), lt_reach_emit_fn emit, lt_reach_result_t *res)
{
    memset(res, 0, sizeof *res);
    uint64_t t0 = mono_ns(), c0 = cpu_ns();
    pid_t self = (pid_t)syscall(SYS_gettid);
    if (!lt_liveset_enabled() || lt_liveset_lost()) {
        emit_summary(emit, LT_SCAN_FAILED, LT_END_EXIT, NULL);
        return -1;
    }

    /* 1. Memory, while nobody is stopped. Room for the heap to grow while
     *    the other threads run on until they stop. */
    size_t cap = lt_liveset_count() + lt_liveset_count() / 4 + 4096;
    size_t maps_cap = 1u << 20;
    lt_rblock_t *b = lt_mem_alloc(cap * sizeof *b);
    uint8_t *state = lt_mem_alloc(cap);
    /* The mark stack (2 cap + 1 entries of 4 bytes) and the clique bytes
     * (cap of 8) in one region: before the mark it is the sort's buffer. */
    unsigned char *work = lt_mem_alloc((2 * cap + 2) * sizeof(uint32_t) + cap * sizeof(uint64_t));
    uint32_t *stack = (uint32_t *)work;
    uint64_t *ind = work ? (uint64_t *)(work + (2 * cap + 2) * sizeof(uint32_t)) : NULL;
    char *maps = lt_mem_alloc(maps_cap);
    scan_t *s = lt_mem_alloc(sizeof *s);
    range_t *excl = lt_mem_alloc(MAX_EXCL * sizeof *excl);
    thr_sp_t *sps = lt_mem_alloc((MAX_THREADS + MAX_DEAD + 1) * sizeof *sps);
    if (!slots) slots = lt_mem_alloc(MAX_THREADS * sizeof *slots);
    if (!b || !state || !work || !maps || !s || !excl || !sps || !slots) {
        lt_mem_free(b); lt_mem_free(state); lt_mem_free(work); lt_mem_free(maps);
        lt_mem_free(s); lt_mem_free(excl); lt_mem_free(sps);
        emit_summary(emit, LT_SCAN_FAILED, LT_END_EXIT, NULL);
        return -1;
    }
    s->excl = excl;
    /* The tracer's data, found while no one is stopped (the loader lock). */
    dl_iterate_phdr(own_segments, s);

    /* 2. Stop. 3. Drain. */
    stopinfo_t si;
    pid_t wtid = lt_writer_tid();
    stop_threads(&si, self, wtid, drain);
    /* Until now the other threads' allocations and frees were recorded;
     * from now on nothing is (they are stopped, and resume untraced). */
    lt_tracing_off();
    drain();
    collect_t c = { b, 0, cap };
    int overflow = lt_liveset_foreach(0, collect_cb, &c);
    int mem_overflow = lt_mem_ranges(excl_cb, s);
    ssize_t ml = 0;
    int mfd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (mfd >= 0) {
        ssize_t r;
        while ((size_t)ml < maps_cap - 1 && (r = read(mfd, maps + ml, maps_cap - 1 - (size_t)ml)) > 0) ml += r;
        close(mfd);
    }
    unsigned status = LT_SCAN_RAN;
    if (overflow || mfd < 0 || (size_t)ml >= maps_cap - 1 || mem_overflow || s->excl_overflow) status = LT_SCAN_FAILED;
    if (status == LT_SCAN_RAN) status = mark(s, b, c.n, state, stack, ind, maps, (size_t)ml, sps, self);
    release_threads(&si);
    res->threads_stopped = si.stopped;
    res->threads_not_stopped = si.not_stopped;
    res->time_ns = mono_ns() - t0;
    if (status != LT_SCAN_RAN) {
        emit_summary(emit, status, LT_END_EXIT, res);
        lt_mem_free(b); lt_mem_free(state); lt_mem_free(work); lt_mem_free(maps);
        lt_mem_free(s); lt_mem_free(excl); lt_mem_free(sps);
        return -1;
    }

    /* 5. Records: runs of (address delta << 2 | kind), addresses ascending. */
    res->blocks = c.n;
    res->root_bytes = s->r.root_bytes;
    res->heap_bytes = s->r.heap_bytes;
    unsigned char *rec = (unsigned char *)stack;   /* the mark stack is free now: 8 bytes per entry */
    for (size_t i = 0; i < c.n;) {
        size_t n = c.n - i < BLK_PER_REC ? c.n - i : BLK_PER_REC;
        unsigned char *p = rec;
        p += lt_put_varint(p, n);
        uint64_t prev = 0;
        for (size_t k = i; k < i + n; k++) {
            int kind = lt_reach_kind(&s->r, k);
            res->kind_blocks[kind]++;
            res->kind_bytes[kind] += b[k].size;
            p += lt_put_varint(p, (b[k].addr - prev) << 2 | (uint64_t)kind);
            if (kind == LT_KIND_DEFINITE) p += lt_put_varint(p, lt_reach_indirect(&s->r, k));
            prev = b[k].addr;
        }
        emit(LT_REC_REACHBLK, rec, (size_t)(p - rec));
        i += n;
    }
    res->time_ns = mono_ns() - t0;
    res->cpu_ns = cpu_ns() - c0;
    emit_summary(emit, LT_SCAN_RAN, LT_END_EXIT, res);
    lt_mem_free(b); lt_mem_free(state); lt_mem_free(work); lt_mem_free(maps);
    lt_mem_free(s); lt_mem_free(excl); lt_mem_free(sps);
    return 0;
}
