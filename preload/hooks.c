/*
 * hooks.c - the interposed symbols, and nothing else: each one calls the
 * real libc function (found with dlsym(RTLD_NEXT)) and tells the tracer
 * core (tracer.h) what happened, with exact libc semantics:
 *   calloc overflow -> NULL, nothing recorded;  free(NULL) -> nothing;
 *   realloc(NULL, n) is an allocation;  glibc's realloc(p, 0) frees p;
 *   a failed realloc leaves p alive;  a successful one frees p and
 *   allocates the result (even in place).
 * The only exported symbols of libleaktrace.so are defined here.
 *
 * Bootstrap: dlsym itself may call calloc/malloc before the real functions
 * are known. Those calls get memory from a small static arena, and pointers
 * into it are never passed to the real free.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/lt_format.h"
#include "rebind.h"
#include "reach_rt.h"
#include "tracer.h"

/* ---- real functions and the bootstrap arena ------------------------------- */

static struct {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    void *(*dlopen)(const char *, int);
    int (*dlclose)(void *);
    void (*exit)(int) __attribute__((noreturn));
    void (*_exit)(int) __attribute__((noreturn));
    void (*_Exit)(int) __attribute__((noreturn));
    int (*execve)(const char *, char *const[], char *const[]);
    int (*execvpe)(const char *, char *const[], char *const[]);
    int (*execveat)(int, const char *, char *const[], char *const[], int);
    int (*fexecve)(int, char *const[], char *const[]);
    int (*pipe2)(int[2], int);
} real;

static _Alignas(16) unsigned char boot[64 * 1024];
static size_t boot_used;
static int resolving;

static int in_boot(const void *p) { return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + sizeof boot; }

/* Static memory starts zeroed and is never reused: calloc needs nothing more. */
static void *boot_alloc(size_t n)
{
    size_t need = (n + 16 + 15) & ~(size_t)15;
    if (boot_used + need > sizeof boot) return NULL;
    unsigned char *p = boot + boot_used;
    boot_used += need;
    memcpy(p, &n, sizeof n);
    return p + 16;
}

static size_t boot_size(const void *p)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - 16, sizeof n);
    return n;
}

#define RESOLVE(name) real.name = (__typeof__(real.name))dlsym(RTLD_NEXT, #name)

/* Returns 1 when the real allocation functions are usable. */
static int ready(void)
{
    if (LT_LIKELY(real.free != NULL)) return 1;
    if (resolving) return 0;
    resolving = 1;
    RESOLVE(malloc);
    RESOLVE(calloc);
    RESOLVE(realloc);
    RESOLVE(posix_memalign);
    RESOLVE(aligned_alloc);
    RESOLVE(memalign);
    RESOLVE(valloc);
    RESOLVE(pvalloc);
    RESOLVE(dlopen);
    RESOLVE(dlclose);
    RESOLVE(exit);
    RESOLVE(_exit);
    RESOLVE(_Exit);
    RESOLVE(execve);
    RESOLVE(execvpe);
    RESOLVE(execveat);
    RESOLVE(fexecve);
    RESOLVE(pipe2);
    void (*f)(void *) = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    resolving = 0;
    if (!real.malloc || !real.calloc || !real.realloc || !f) return 0;
    real.free = f;
    lt_init();
    return 1;
}

static void check_first_malloc(void);

__attribute__((constructor(101))) static void hooks_constructor(void)
{
    if (!ready()) return;
    lt_constructor();
    if (atomic_load(&lt_state) == LT_ST_ACTIVE) check_first_malloc();
}

/* ---- the malloc family ---------------------------------------------------------- */

/* A block p of n bytes was just handed out by fn: record it (full mode). */
static LT_ALWAYS_INLINE void note_alloc(void *p, size_t n, unsigned fn)
{
    lt_thread_t *t = lt_enter();
    if (t) {
        lt_record_alloc(t, p, n, fn);
        lt_leave(t);
    }
}

/* ---- sampling mode (LEAKTRACE_SAMPLE) -------------------------------------------
 *
 * Every hook tests lt_sample_rate first and jumps here, before its own frame
 * is set up: the full-mode code inlines the stack capture (a large frame),
 * which the sampling fast path must not pay for. lt_sample_rate becomes
 * nonzero only in lt_init, after the real functions were resolved, so these
 * paths need no ready() check. */

/* A sampled block: enters the set of sampled addresses before the program
 * can see it, so its free (from any thread) finds it; then recorded. */
static __attribute__((noinline)) void sampled_alloc(void *p, size_t n, unsigned fn)
{
    lt_thread_t *t = lt_enter();
    if (!t) return;
    if (lt_sample_insert(p)) lt_record_alloc(t, p, n, fn);
    lt_leave(t);
    lt_writer_poll_deferred();
}

/* An allocation the tracer itself makes on the program's thread (a library
 * it calls, while lt_tls_busy) is neither recorded nor counted toward the
 * thread's sampling gap: counting it moved every later decision by an
 * amount that depended on timing, so the same LEAKTRACE_SAMPLE_SEED gave
 * other samples on a loaded machine. */
static LT_ALWAYS_INLINE void *sample_alloc(void *p, size_t n, unsigned fn)
{
    if (LT_LIKELY(p != NULL) && LT_LIKELY(!lt_tls_busy) && LT_UNLIKELY(lt_sample_take(n))) sampled_alloc(p, n, fn);
    return p;
}

/* The free of a block that may be sampled (its filter slot is set). */
static __attribute__((noinline)) void sampled_free(void *p)
{
    lt_thread_t *t = lt_enter();
    if (!t) return;
    if (lt_sample_remove(p)) lt_record_free(t, p);
    lt_leave(t);
}

static __attribute__((noinline)) void *malloc_sampled(size_t n)
{
    return sample_alloc(real.malloc(n), n, LT_FN_MALLOC);
}

static __attribute__((noinline)) void *calloc_sampled(size_t n, size_t m)
{
    /* real.calloc returns NULL when n * m overflows; the product is used only for a block. */
    return sample_alloc(real.calloc(n, m), n * m, LT_FN_CALLOC);
}

static __attribute__((noinline)) void free_sampled(void *p)
{
    if (!p || LT_UNLIKELY(in_boot(p))) return;
    if (LT_UNLIKELY(lt_sample_maybe(p))) sampled_free(p);
    real.free(p);
}

/* A realloc is the free of the old block (recorded when it was sampled) and
 * the allocation of the new one (sampled on its own, by its full size),
 * paired in one REALLOC record when both are recorded. */
static __attribute__((noinline)) void *resize_sampled_slow(void *p, size_t total, unsigned fn)
{
    lt_thread_t *t = lt_enter();
    if (!t) return sample_alloc(real.realloc(p, total), total, fn);
    if (!lt_sample_remove(p)) {
        /* Not sampled after all (a filter collision). */
        lt_leave(t);
        return sample_alloc(real.realloc(p, total), total, fn);
    }
    uint64_t seq = lt_next_seq();
    int take = total != 0 && lt_sample_take(total);
    void *q = real.realloc(p, total);
    if (q && take && lt_sample_insert(q))
        lt_record_realloc(t, seq, p, q, total, fn);
    else if (q || total == 0)
        lt_record_free_seq(t, seq, p); /* freed; the new block (if any) is not sampled */
    else if (lt_sample_insert(p))
        lt_record_nop(t, seq);         /* failed: p is still allocated, still sampled */
    else
        lt_record_free_seq(t, seq, p); /* cannot keep following it: end it in the trace */
    lt_leave(t);
    lt_writer_poll_deferred();
    return q;
}

/* The common case stays small (no frame for the stack capture): the old
 * block is certainly not sampled. */
static __attribute__((noinline)) void *resize_sampled(void *p, size_t total, unsigned fn)
{
    if (LT_UNLIKELY(p && lt_sample_maybe(p))) return resize_sampled_slow(p, total, fn);
    return sample_alloc(real.realloc(p, total), total, fn);
}

static void *realloc_boot(void *p, size_t n);

static __attribute__((noinline)) void *realloc_sampled(void *p, size_t n)
{
    if (LT_UNLIKELY(in_boot(p))) return realloc_boot(p, n);
    return resize_sampled(p, n, LT_FN_REALLOC);
}

/* ---- the malloc family ---------------------------------------------------------- */

/* The entry point of leaktrace.h's leaktrace_mark (found with dlsym). */
LT_EXPORT void leaktrace_mark_v1(const char *label)
{
    lt_mark(label);
}

static __attribute__((noinline)) void *malloc_full(size_t n)
{
    if (LT_UNLIKELY(!ready())) return boot_alloc(n);
    void *p = real.malloc(n);
    if (p) note_alloc(p, n, LT_FN_MALLOC);
    return p;
}

/* The exported symbol only dispatches, with tail calls (no frame of its own
 * on the stack, none to set up): sampling mode or full mode. */
LT_EXPORT void *malloc(size_t n)
{
    if (lt_sample_rate) return malloc_sampled(n);
    return malloc_full(n);
}

static __attribute__((noinline)) void *calloc_full(size_t n, size_t m)
{
    if (LT_UNLIKELY(!ready())) {
        size_t total;
        if (__builtin_mul_overflow(n, m, &total)) return NULL;
        return boot_alloc(total);
    }
    void *p = real.calloc(n, m);
    if (p) note_alloc(p, n * m, LT_FN_CALLOC);
    return p;
}

/* The exported symbol only dispatches, with tail calls (no frame of its own
 * on the stack, none to set up): sampling mode or full mode. */
LT_EXPORT void *calloc(size_t n, size_t m)
{
    if (lt_sample_rate) return calloc_sampled(n, m);
    return calloc_full(n, m);
}

static __attribute__((noinline)) void free_full(void *p)
{
    if (!p || LT_UNLIKELY(in_boot(p))) return;
    if (LT_UNLIKELY(!ready())) return; /* cannot happen: p came from somewhere */
    lt_thread_t *t = lt_enter();
    if (t) {
        lt_record_free(t, p);
        lt_leave(t);
    }
    real.free(p);
}

LT_EXPORT void free(void *p)
{
    if (lt_sample_rate) free_sampled(p);
    else free_full(p);
}

/* realloc and reallocarray share this. */
static void *resize(void *p, size_t total, unsigned fn)
{
    if (!p) {
        void *q = real.realloc(NULL, total);
        if (q) note_alloc(q, total, fn);
        return q;
    }
    lt_thread_t *t = lt_enter();
    if (!t) return real.realloc(p, total);
    uint64_t seq = lt_next_seq();
    void *q = real.realloc(p, total);
    if (q)
        lt_record_realloc(t, seq, p, q, total, fn);
    else if (total == 0)
        lt_record_free_seq(t, seq, p); /* glibc: realloc(p, 0) frees p */
    else
        lt_record_nop(t, seq);         /* failed: p is still allocated */
    lt_leave(t);
    return q;
}

/* A bootstrap block moves to the real heap (the old one stays). */
static void *realloc_boot(void *p, size_t n)
{
    void *q = ready() ? malloc(n) : boot_alloc(n);
    if (q) memcpy(q, p, boot_size(p) < n ? boot_size(p) : n);
    return q;
}

static __attribute__((noinline)) void *realloc_full(void *p, size_t n)
{
    if (LT_UNLIKELY(!ready() || in_boot(p))) {
        if (p && in_boot(p)) return realloc_boot(p, n);
        return boot_alloc(n);
    }
    return resize(p, n, LT_FN_REALLOC);
}

LT_EXPORT void *realloc(void *p, size_t n)
{
    if (lt_sample_rate) return realloc_sampled(p, n);
    return realloc_full(p, n);
}

/* glibc's reallocarray is an overflow check in front of realloc, and it
 * reaches realloc through the PLT (that is, through us): doing the check
 * here and going to the real realloc directly records the block once. */
LT_EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
    size_t total;
    if (__builtin_mul_overflow(n, m, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (LT_UNLIKELY(!ready() || in_boot(p))) return realloc(p, total);
    if (lt_sample_rate) return resize_sampled(p, total, LT_FN_REALLOCARRAY);
    return resize(p, total, LT_FN_REALLOCARRAY);
}

static void *aligned_common(void *p, size_t n, unsigned fn)
{
    if (lt_sample_rate) return sample_alloc(p, n, fn);
    if (p) note_alloc(p, n, fn);
    return p;
}

LT_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (LT_UNLIKELY(!ready())) return ENOMEM;
    int rc = real.posix_memalign(out, align, n);
    if (rc == 0) aligned_common(*out, n, LT_FN_POSIX_MEMALIGN);
    return rc;
}

LT_EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (LT_UNLIKELY(!ready())) return NULL;
    return aligned_common(real.aligned_alloc(align, n), n, LT_FN_ALIGNED_ALLOC);
}

LT_EXPORT void *memalign(size_t align, size_t n)
{
    if (LT_UNLIKELY(!ready())) return NULL;
    return aligned_common(real.memalign(align, n), n, LT_FN_MEMALIGN);
}

LT_EXPORT void *valloc(size_t n)
{
    if (LT_UNLIKELY(!ready())) return NULL;
    return aligned_common(real.valloc(n), n, LT_FN_VALLOC);
}

LT_EXPORT void *pvalloc(size_t n)
{
    if (LT_UNLIKELY(!ready())) return NULL;
    /* pvalloc rounds the request up to whole pages: that is the size asked. */
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded = n == 0 ? pg : (n + pg - 1) & ~(pg - 1);
    return aligned_common(real.pvalloc(n), rounded, LT_FN_PVALLOC);
}

/* ---- dynamic loading --------------------------------------------------------------- */

/* The hooks themselves, by local names: &malloc could resolve to another
 * definition that comes first (an executable with its own malloc). */
static __typeof__(malloc) own_malloc __attribute__((alias("malloc"), copy(malloc)));
static __typeof__(calloc) own_calloc __attribute__((alias("calloc"), copy(calloc)));
static __typeof__(realloc) own_realloc __attribute__((alias("realloc"), copy(realloc)));
static __typeof__(free) own_free __attribute__((alias("free"), copy(free)));
static __typeof__(posix_memalign) own_posix_memalign __attribute__((alias("posix_memalign"), copy(posix_memalign)));
static __typeof__(aligned_alloc) own_aligned_alloc __attribute__((alias("aligned_alloc"), copy(aligned_alloc)));
static __typeof__(memalign) own_memalign __attribute__((alias("memalign"), copy(memalign)));
static __typeof__(valloc) own_valloc __attribute__((alias("valloc"), copy(valloc)));
static __typeof__(pvalloc) own_pvalloc __attribute__((alias("pvalloc"), copy(pvalloc)));

/* RTLD_DEEPBIND: the objects this dlopen loaded bind malloc & co. to libc
 * directly; point those references at the hooks (rebind.c). TAIL is the
 * last object loaded before the call. */
static void rebind_deepbind(void *h, struct link_map *tail)
{
    const lt_rebind_t hooks[] = {
        { "malloc", (void *)own_malloc, (void *)real.malloc },
        { "calloc", (void *)own_calloc, (void *)real.calloc },
        { "realloc", (void *)own_realloc, (void *)real.realloc },
        { "free", (void *)own_free, (void *)real.free },
        { "posix_memalign", (void *)own_posix_memalign, (void *)real.posix_memalign },
        { "aligned_alloc", (void *)own_aligned_alloc, (void *)real.aligned_alloc },
        { "memalign", (void *)own_memalign, (void *)real.memalign },
        { "valloc", (void *)own_valloc, (void *)real.valloc },
        { "pvalloc", (void *)own_pvalloc, (void *)real.pvalloc },
    };
    const size_t n = sizeof hooks / sizeof hooks[0];
    struct link_map *lm = NULL;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm) lt_rebind_object(lm, hooks, n);
    if (!tail) return;
    for (struct link_map *m = tail->l_next; m; m = m->l_next)
        if (m != lm) lt_rebind_object(m, hooks, n);
}

LT_EXPORT void *dlopen(const char *file, int mode)
{
    ready();
    struct link_map *tail = NULL;
    if (mode & RTLD_DEEPBIND)
        for (tail = _r_debug.r_map; tail && tail->l_next; tail = tail->l_next) {}
    void *h = real.dlopen(file, mode);
    if (h && (mode & RTLD_DEEPBIND) && real.free) rebind_deepbind(h, tail);
    if (h) lt_after_dl_change();
    return h;
}

/* One line when another malloc comes before the tracer's in the lookup
 * order (the executable, or a library preloaded earlier, defines its own):
 * every call goes there and nothing is seen. */
static void check_first_malloc(void)
{
    void *first = dlsym(RTLD_DEFAULT, "malloc");
    if (!first || first == (void *)own_malloc) return;
    /* A non-PIE executable that takes malloc's address has an undefined
     * "malloc" with a value (its PLT entry, the canonical address), which
     * dlsym returns: that is not a definition, calls still reach the hook.
     * dladdr1 names only defined symbols: it must name malloc, at FIRST. */
    Dl_info di;
    const ElfW(Sym) *sym = NULL;
    if (!dladdr1(first, &di, (void **)&sym, RTLD_DL_SYMENT) || !sym || !di.dli_sname ||
        strcmp(di.dli_sname, "malloc") != 0 || di.dli_saddr != first || sym->st_shndx == SHN_UNDEF)
        return;
    const char *who = di.dli_fname && di.dli_fname[0] ? di.dli_fname : "the executable";
    lt_log("malloc is defined by %s, which comes before the tracer: its allocations are not traced "
           "(see docs/limitations.md)", who);
}

LT_EXPORT int dlclose(void *h)
{
    ready();
    int rc = real.dlclose(h);
    lt_after_dl_change();
    return rc;
}

/* ---- process end ---------------------------------------------------------------------- */

typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

/* Where the process starts to exit, for the reachability scan: main's
 * frame is gone once it returned (as valgrind sees it), but the frames of
 * a function calling exit() are still live. noinline: the frame address
 * must be this function's own. */
static __attribute__((noinline)) void note_exit_point(void)
{
    uint64_t regs[LT_REACH_NREGS];
    LT_REACH_SAVE_REGS(regs);
    lt_reach_note_exit((uint64_t)(uintptr_t)__builtin_frame_address(0), regs);
}

static int main_wrapper(int argc, char **argv, char **envp)
{
    int st = real_main(argc, argv, envp);
    lt_note_exit(LT_END_EXIT, st);
    note_exit_point();
    return st;
}

LT_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                                void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    int (*next)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *) =
        (__typeof__(next))dlsym(RTLD_NEXT, "__libc_start_main");
    real_main = main;
    return next(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}

LT_EXPORT void exit(int status)
{
    ready();
    lt_note_exit(LT_END_EXIT, status);
    note_exit_point();
    real.exit(status);
}

LT_EXPORT void _exit(int status)
{
    ready();
    lt_finish(LT_END_UNDERSCORE_EXIT, status);
    real._exit(status);
}

LT_EXPORT void _Exit(int status)
{
    ready();
    lt_finish(LT_END_UNDERSCORE_EXIT, status);
    real._Exit(status);
}

/* ---- descriptors the tracer's libraries open ------------------------------------
 *
 * libunwind validates addresses by write(2)ing one byte from them into a
 * pipe it opens itself. A program that closes all its descriptors and reuses
 * the numbers would get those bytes in its own files. Pipes created while
 * the tracer runs (busy) are moved to high numbers; the program's own pipes
 * are left exactly as they are. */
LT_EXPORT int pipe2(int fds[2], int flags)
{
    ready();
    int rc = real.pipe2(fds, flags);
    if (rc == 0 && lt_tls_busy) {
        fds[0] = lt_fd_move_high(fds[0]);
        fds[1] = lt_fd_move_high(fds[1]);
    }
    return rc;
}

/* ---- exec: flush first, the new image starts its own trace --------------------------- */

LT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    ready();
    lt_before_exec();
    return real.execve(path, argv, envp);
}

LT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    ready();
    lt_before_exec();
    return real.execvpe(file, argv, envp);
}

LT_EXPORT int execv(const char *path, char *const argv[])
{
    extern char **environ;
    return execve(path, argv, environ);
}

LT_EXPORT int execvp(const char *file, char *const argv[])
{
    extern char **environ;
    return execvpe(file, argv, environ);
}

LT_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    ready();
    lt_before_exec();
    return real.execveat(dirfd, path, argv, envp, flags);
}

LT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    ready();
    lt_before_exec();
    return real.fexecve(fd, argv, envp);
}

/* execl* take their arguments as a list: collect them on the stack. */
#define COLLECT_ARGS(first, ap, argv, extra)                                 \
    size_t argc_ = 1;                                                        \
    va_start(ap, first);                                                     \
    while (va_arg(ap, char *)) argc_++;                                      \
    va_end(ap);                                                              \
    char *argv[argc_ + 1];                                                   \
    argv[0] = (char *)(first);                                               \
    va_start(ap, first);                                                     \
    for (size_t i_ = 1; i_ <= argc_; i_++) argv[i_] = va_arg(ap, char *);    \
    extra;                                                                   \
    va_end(ap)

LT_EXPORT int execl(const char *path, const char *arg, ...)
{
    extern char **environ;
    va_list ap;
    COLLECT_ARGS(arg, ap, argv, (void)0);
    return execve(path, argv, environ);
}

LT_EXPORT int execlp(const char *file, const char *arg, ...)
{
    extern char **environ;
    va_list ap;
    COLLECT_ARGS(arg, ap, argv, (void)0);
    return execvpe(file, argv, environ);
}

LT_EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    char **envp;
    COLLECT_ARGS(arg, ap, argv, envp = va_arg(ap, char **));
    return execve(path, argv, envp);
}
