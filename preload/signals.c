/*
 * signals.c - the fatal signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT).
 *
 * The tracer keeps its own handler installed for them for the whole run and
 * interposes sigaction() and signal(): what the program installs for these
 * signals is remembered as "the program's action" and reported back to it
 * by sigaction(), while the kernel keeps calling our handler with the
 * program's mask and flags (SA_ONSTACK, SA_NODEFER, SA_RESTART...; our
 * SA_RESETHAND is emulated). On delivery:
 *   - the program's action is the default (or ignored for a hardware
 *     fault, which the kernel would not let it ignore): the trace gets its
 *     END record (killed by the signal) and is flushed, the default action
 *     is restored and the signal raised again: same core dump, same status;
 *   - the program has a handler: the trace is flushed (at most every 50 ms,
 *     for programs that take many faults on purpose) without ending, then
 *     the handler runs exactly as it would have; if it recovers, tracing
 *     goes on; if it exits or re-raises, that is recorded in turn.
 * signal(), sigaction(), and nothing else: sigset()/sysv_signal() and raw
 * rt_sigaction system calls are not seen (then that handler simply
 * replaces ours, as before).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "../common/lt_format.h"
#include "reach_rt.h"
#include "tracer.h"

static const int fatal_sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
#define NFATAL (sizeof fatal_sigs / sizeof fatal_sigs[0])

static struct {
    int ours;                 /* our handler is installed for the signal */
    struct sigaction app;     /* what the program asked for */
} st[NFATAL];

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static __sighandler_t (*real_signal)(int, __sighandler_t);
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t last_flush_ns;

static void resolve(void)
{
    real_sigaction = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
    real_signal = (__sighandler_t (*)(int, __sighandler_t))dlsym(RTLD_NEXT, "signal");
}

static int sigaction_real(int sig, const struct sigaction *act, struct sigaction *old)
{
    pthread_once(&once, resolve);
    return real_sigaction ? real_sigaction(sig, act, old) : (errno = ENOSYS, -1);
}

static int fatal_index(int sig)
{
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal_sigs[i] == sig) return (int)i;
    return -1;
}

static int is_default(const struct sigaction *a)
{
    return !(a->sa_flags & SA_SIGINFO) && a->sa_handler == SIG_DFL;
}

static int is_ignore(const struct sigaction *a)
{
    return !(a->sa_flags & SA_SIGINFO) && a->sa_handler == SIG_IGN;
}

static void on_fatal(int sig, siginfo_t *si, void *uc);

/* Installs our handler with the program's mask and flags for action a. */
static int install(int sig, const struct sigaction *a)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_mask = a->sa_mask;
    sa.sa_flags = (a->sa_flags | SA_SIGINFO) & ~SA_RESETHAND;
    return sigaction_real(sig, &sa, NULL);
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    if (sig == SIGSEGV || sig == SIGBUS) lt_reach_fault(sig); /* returns unless the exit scan faulted */
    int i = fatal_index(sig);
    struct sigaction app = st[i].app;
    /* A fault raised by the CPU (si_code > 0) cannot be ignored: the kernel
     * kills the process when the instruction runs again. */
    int hw_fault = si && si->si_code > 0 && sig != SIGABRT;
    if (is_default(&app) || (is_ignore(&app) && hw_fault)) {
        lt_finish(LT_END_SIGNAL, sig);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        st[i].ours = 0;
        sigaction_real(sig, &dfl, NULL);
        /* A fault re-executes and meets the default action on return; a
         * signal sent by kill(), raise() or abort() is raised again
         * (pending until we return). */
        raise(sig);
    } else if (!is_ignore(&app)) {
        uint64_t now = lt_now_ns();
        if (now - atomic_load(&last_flush_ns) >= 50000000u) {
            atomic_store(&last_flush_ns, now);
            lt_writer_flush_signal();
        }
        if (app.sa_flags & SA_RESETHAND) {
            memset(&st[i].app, 0, sizeof st[i].app);
            st[i].app.sa_handler = SIG_DFL;
        }
        errno = saved;
        if (app.sa_flags & SA_SIGINFO) app.sa_sigaction(sig, si, uc);
        else app.sa_handler(sig);
        return;
    }
    errno = saved;
}

void lt_signals_install(void)
{
    for (size_t i = 0; i < NFATAL; i++) {
        struct sigaction old;
        if (sigaction_real(fatal_sigs[i], NULL, &old) != 0) continue;
        /* Something installed before us (a preloaded library, a sanitizer)
         * stays as it is. */
        if (!is_default(&old)) continue;
        st[i].app = old;
        if (install(fatal_sigs[i], &old) == 0) st[i].ours = 1;
    }
}

/* abort(): glibc raises SIGABRT; if a handler returns, it restores the
 * default action internally (not through sigaction) and raises again. Do
 * the same here, so the death is recorded: the program's handler runs once,
 * exactly as with glibc's abort; if it does not return (exit, longjmp), the
 * trace goes on as before. */
typedef void (*abort_fn)(void);
static abort_fn real_abort;

LT_EXPORT __attribute__((noreturn)) void abort(void)
{
    int i = fatal_index(SIGABRT);
    if (st[i].ours) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGABRT);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        raise(SIGABRT);
        /* A handler returned: from here on the process dies of SIGABRT. */
        lt_finish(LT_END_SIGNAL, SIGABRT);
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        st[i].ours = 0;
        sigaction_real(SIGABRT, &dfl, NULL);
    }
    if (!real_abort) real_abort = (abort_fn)dlsym(RTLD_NEXT, "abort");
    if (real_abort) real_abort();
    raise(SIGABRT);
    _exit(127);
}

LT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    int i = fatal_index(sig);
    if (i < 0 || !st[i].ours) return sigaction_real(sig, act, old);
    struct sigaction prev = st[i].app;
    if (act) {
        if (install(sig, act) != 0) return -1;
        st[i].app = *act;
        /* The kernel fills in the mask it really uses; keep the program's. */
    }
    if (old) *old = prev;
    return 0;
}

LT_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
    int i = fatal_index(sig);
    if (i < 0 || !st[i].ours) {
        pthread_once(&once, resolve);
        if (real_signal) return real_signal(sig, handler);
    }
    /* glibc's signal(): BSD semantics, the signal blocked in its handler,
     * system calls restarted. */
    struct sigaction act, old;
    memset(&act, 0, sizeof act);
    act.sa_handler = handler;
    sigemptyset(&act.sa_mask);
    if (sig > 0 && sig < NSIG) sigaddset(&act.sa_mask, sig);
    act.sa_flags = SA_RESTART;
    if (sigaction(sig, &act, &old) != 0) return SIG_ERR;
    return old.sa_handler; /* shares its storage with sa_sigaction */
}
