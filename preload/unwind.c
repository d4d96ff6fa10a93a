/*
 * unwind.c - stack capture with libunwind; the only file that includes it.
 *
 * unw_backtrace() takes libunwind's fast path on x86-64 (cached CFA rules
 * per return address), which needs no lock. Its frame-by-frame path
 * (unw_step, used to fill the tracer's unwind cache) takes a lock and masks
 * signals per frame unless libunwind was built with per-thread caches
 * (Debian's is not): see the signal masks below. The frames of the tracer
 * itself (unw_backtrace's caller, the hook) are dropped by address:
 * everything inside libleaktrace.so's own mapping at the top of the stack
 * is skipped, so the first frame kept is the caller of malloc/calloc/....
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "lt_internal.h"
#include "rebind.h"
#include "tracer.h"

static uintptr_t self_lo, self_hi;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t probe = (uintptr_t)data, lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        if (a < lo) lo = a;
        if (b > hi) hi = b;
    }
    if (probe >= lo && probe < hi) { self_lo = lo; self_hi = hi; return 1; }
    return 0;
}

/* ---- signal masks in the frame-by-frame unwind ----------------------------------
 *
 * libunwind's frame-by-frame path (unw_step; unw_backtrace rarely needs it)
 * blocks every signal around each use of its register-state cache and each
 * dl_iterate_phdr: four sigprocmask system calls per frame, which made them
 * the tracer's largest cost on deep stacks (3.6 M calls on the python
 * workload). lt_unwind_slots instead blocks every signal once for its whole
 * walk, and libunwind's own calls made meanwhile on this thread do nothing:
 * no handler can run in between either way, so libunwind's lock is as safe
 * as before. Calls made by anyone else through libunwind (the program may
 * use it too) reach sigprocmask unchanged. */
static LT_TLS __thread int masked;        /* inside lt_unwind_slots' blocked walk */
static LT_TLS __thread sigset_t masked_old;

static int unw_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (!masked) return sigprocmask(how, set, old);
    if (old) *old = masked_old;
    return 0;
}

static int mask_on;   /* libunwind's sigprocmask slot points at unw_sigprocmask */

/* ---- libunwind's memory checks --------------------------------------------------
 *
 * Debian's libunwind is built with conservative checks: before it reads a
 * word of the stack it asks the kernel whether the page is readable, unless
 * the page is among the last four it checked (process-wide). A check is
 * three system calls: mincore on the page, a one-byte read from a pipe of
 * its own (taking back the byte the last check left, or EAGAIN), then a
 * write of the byte at the address into the pipe (EFAULT when unreadable):
 * 1.8 us here. Deep stacks span more than four pages: a run of the python
 * workload made 15 to 20 K checks, about 2 % of its run time.
 *
 * Every address libunwind checked there was on the stack of the thread
 * unwinding. A page from this function's own frame up to the top of the
 * thread's stack [stk_lo, stk_hi) is mapped and readable (unless the
 * program itself mprotects pages of its stack above its stack pointer,
 * which the kernel would then report), so those checks are answered here:
 * mincore says resident; the read that follows it on the same thread finds
 * the pipe empty (EAGAIN); a write of one byte from such a page says
 * written. Every other call goes to the kernel as before: other addresses
 * (a signal stack, a coroutine's stack, a thread whose bounds are not
 * known), and a read that does not follow an answered mincore (libunwind
 * called again from a signal handler in between). No byte is added to the
 * pipe that is not read: an answered write adds none, a read that goes to
 * the kernel may take one, and libunwind takes EAGAIN as "empty, fine". */
static LT_TLS __thread int check_armed;   /* mincore answered here: its read is next */
static _Atomic uint64_t checks_here, checks_kernel;   /* LEAKTRACE_VERBOSE */

void lt_unwind_check_counts(uint64_t *here, uint64_t *kernel)
{
    *here = atomic_load_explicit(&checks_here, memory_order_relaxed);
    *kernel = atomic_load_explicit(&checks_kernel, memory_order_relaxed);
}

static int on_own_stack(uintptr_t addr, size_t len)
{
    const lt_thread_t *t = lt_tls_thr;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (!t || !t->stk_hi || sp < t->stk_lo || sp >= t->stk_hi) return 0;
    return addr >= (sp & ~(uintptr_t)4095) && addr < t->stk_hi && len <= t->stk_hi - addr;
}

static int unw_mincore(void *addr, size_t len, unsigned char *vec)
{
    check_armed = 0;
    if (!on_own_stack((uintptr_t)addr, len ? len : 1)) {
        atomic_fetch_add_explicit(&checks_kernel, 1, memory_order_relaxed);
        return mincore(addr, len, vec);
    }
    atomic_fetch_add_explicit(&checks_here, 1, memory_order_relaxed);
    for (size_t i = 0; i < (len + 4095) / 4096; i++) vec[i] = 1;
    check_armed = 1;
    return 0;
}

static ssize_t unw_read(int fd, void *buf, size_t n)
{
    int armed = check_armed;
    check_armed = 0;
    if (armed && n == 1) {
        errno = EAGAIN;   /* lt_unwind and lt_unwind_slots give the program its errno back */
        return -1;
    }
    return read(fd, buf, n);
}

static long unw_syscall(long nr, ...)
{
    va_list ap;
    long a[6];
    va_start(ap, nr);
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    check_armed = 0;
    if (nr == SYS_write && a[2] == 1 && on_own_stack((uintptr_t)a[1], 1)) return 1;
    return syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void mask_begin(void)
{
    sigset_t all;
    if (!mask_on) return;
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, &masked_old) == 0) masked = 1;
}

static void mask_end(void)
{
    if (!masked) return;
    masked = 0;
    sigprocmask(SIG_SETMASK, &masked_old, NULL);
}

void lt_unwind_init(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&lt_unwind_init);
    Dl_info info;
    struct link_map *lm = NULL;
    if (!dladdr1((void *)(uintptr_t)&unw_backtrace, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm) return;
    const lt_rebind_t hook = { "sigprocmask", (void *)unw_sigprocmask, NULL, 1 };
    if (lt_rebind_object(lm, &hook, 1) > 0) mask_on = 1;
    const lt_rebind_t checks[] = {
        { "mincore", (void *)unw_mincore, NULL, 1 },
        { "read", (void *)unw_read, NULL, 1 },
        { "syscall", (void *)unw_syscall, NULL, 1 },
    };
    lt_rebind_object(lm, checks, sizeof checks / sizeof checks[0]);
}

LT_ALWAYS_INLINE int lt_unwind(uint64_t *ips, int max)
{
    void *buf[LT_DEPTH_MAX + 16];
    int saved_errno = errno;   /* libunwind's checks set it; malloc must not */
    int n = unw_backtrace(buf, max + 16 > LT_DEPTH_MAX + 16 ? LT_DEPTH_MAX + 16 : max + 16);
    errno = saved_errno;
    int skip = 0;
    while (skip < n && (uintptr_t)buf[skip] >= self_lo && (uintptr_t)buf[skip] < self_hi) skip++;
    int out = 0;
    for (int i = skip; i < n && out < max; i++) ips[out++] = (uint64_t)(uintptr_t)buf[i];
    return out;
}

/* Adds one check (the 8 bytes at addr must read val) to ent; 0 when full or
 * outside [cfa - 16, stk_hi). */
static int add_check(lt_ucache_ent_t *ent, uint32_t *nslot, uintptr_t cfa, uintptr_t stk_hi, uintptr_t addr)
{
    if (addr < cfa - 16 || addr + 8 > stk_hi || addr - (cfa - 16) > UINT32_MAX || *nslot == LT_UCACHE_SLOTS)
        return 0;
    uint32_t off = (uint32_t)(addr - (cfa - 16));
    if (*nslot > 0 && ent->off[*nslot - 1] == off) return 1; /* the same save slot again */
    ent->off[*nslot] = off;
    ent->val[*nslot] = *(const uint64_t *)addr;
    (*nslot)++;
    return 1;
}

int lt_unwind_slots(uint64_t *ips, int max, uintptr_t cfa, uintptr_t stk_hi, lt_ucache_ent_t *ent)
{
    unw_context_t uc;
    unw_cursor_t c;
    uint32_t nslot = 0;
    int ok = ent != NULL, out = 0, top = 1, frames = 0;
    int saved_errno = errno;   /* libunwind's checks set it; malloc must not */
    mask_begin();
    if (unw_getcontext(&uc) != 0 || unw_init_local(&c, &uc) != 0) {
        mask_end();
        if (ent) ent->n = 0;
        errno = saved_errno;
        return 0;
    }
    /* The rbp of the previous frame and where a frame below saved it. */
    unw_word_t prev_rbp = 0;
    unw_save_loc_t prev_loc = { .type = UNW_SLT_NONE };
    do {
        unw_word_t ip = 0, sp = 0;
        if (unw_get_reg(&c, UNW_REG_IP, &ip) != 0 || unw_get_reg(&c, UNW_REG_SP, &sp) != 0 || ip == 0) break;
        if (top && ip >= self_lo && ip < self_hi) {
            /* The tracer's own frames: not kept (those above the key frame
             * are still checked like the others). */
        } else {
            top = 0;
            ips[out++] = (uint64_t)ip;
        }
        if (ok && sp >= cfa) {
            /* Checks that make the next unwind from the same key come out
             * the same. This frame's ip was pushed by its call into the
             * frame below, just under this frame's sp (not so after a
             * signal frame: the ip is then in a ucontext, the check fails
             * and the stack is not cached). The previous frame's CFA (this
             * sp) may have come from its rbp (frame pointers, alloca):
             * when it is rbp + 16, where a frame below saved that rbp must
             * hold the same value too (the key frame's own prologue saves
             * its caller's). */
            if (*(const uint64_t *)(uintptr_t)(sp - 8) != (uint64_t)ip || !add_check(ent, &nslot, cfa, stk_hi, sp - 8))
                ok = 0;
            else if (sp > cfa && prev_rbp + 16 == sp &&
                     (prev_loc.type != UNW_SLT_MEMORY || !add_check(ent, &nslot, cfa, stk_hi, prev_loc.u.addr)))
                ok = 0;
        } else if (ok && !top) {
            ok = 0; /* a kept frame below the key frame: not the stack we think */
        }
        if (out >= max || ++frames >= max + 16) break;
        if (ok && (unw_get_reg(&c, UNW_X86_64_RBP, &prev_rbp) != 0 ||
                   unw_get_save_loc(&c, UNW_X86_64_RBP, &prev_loc) != 0))
            ok = 0;
    } while (unw_step(&c) > 0);
    mask_end();
    if (ent) ent->n = ok ? nslot : 0;
    errno = saved_errno;
    return out;
}

int lt_stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
    pthread_attr_t a;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &a) != 0) return -1;
    int rc = pthread_attr_getstack(&a, &addr, &size);
    pthread_attr_destroy(&a);
    if (rc != 0 || size == 0) return -1;
    *lo = (uintptr_t)addr;
    *hi = (uintptr_t)addr + size;
    return 0;
}
