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
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/lt_format.h"
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

__attribute__((constructor(101))) static void hooks_constructor(void)
{
    if (ready()) lt_constructor();
}

/* ---- the malloc family ---------------------------------------------------------- */

/* The entry point of leaktrace.h's leaktrace_mark (found with dlsym). */
LT_EXPORT void leaktrace_mark_v1(const char *label)
{
    lt_mark(label);
}

LT_EXPORT void *malloc(size_t n)
{
    if (LT_UNLIKELY(!ready())) return boot_alloc(n);
    void *p = real.malloc(n);
    lt_thread_t *t;
    if (p && (t = lt_enter())) {
        lt_record_alloc(t, p, n, LT_FN_MALLOC);
        lt_leave(t);
    }
    return p;
}

LT_EXPORT void *calloc(size_t n, size_t m)
{
    if (LT_UNLIKELY(!ready())) {
        size_t total;
        if (__builtin_mul_overflow(n, m, &total)) return NULL;
        return boot_alloc(total);
    }
    void *p = real.calloc(n, m);
    lt_thread_t *t;
    if (p && (t = lt_enter())) {
        lt_record_alloc(t, p, n * m, LT_FN_CALLOC);
        lt_leave(t);
    }
    return p;
}

LT_EXPORT void free(void *p)
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

/* realloc and reallocarray share this. */
static void *resize(void *p, size_t total, unsigned fn)
{
    if (!p) {
        void *q = real.realloc(NULL, total);
        lt_thread_t *t;
        if (q && (t = lt_enter())) {
            lt_record_alloc(t, q, total, fn);
            lt_leave(t);
        }
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

LT_EXPORT void *realloc(void *p, size_t n)
{
    if (LT_UNLIKELY(!ready() || in_boot(p))) {
        if (p && in_boot(p)) {
            /* Move a bootstrap block to the real heap (the old one stays). */
            void *q = ready() ? malloc(n) : boot_alloc(n);
            if (q) memcpy(q, p, boot_size(p) < n ? boot_size(p) : n);
            return q;
        }
        return boot_alloc(n);
    }
    return resize(p, n, LT_FN_REALLOC);
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
    return resize(p, total, LT_FN_REALLOCARRAY);
}

static void *aligned_common(void *p, size_t n, unsigned fn)
{
    lt_thread_t *t;
    if (p && (t = lt_enter())) {
        lt_record_alloc(t, p, n, fn);
        lt_leave(t);
    }
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

LT_EXPORT void *dlopen(const char *file, int mode)
{
    ready();
    void *h = real.dlopen(file, mode);
    if (h) lt_after_dl_change();
    return h;
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
