/* crashy.c - fatal signals with and without the program's own handlers,
 * for tests/crash/crash.sh. usage: crashy MODE. Every mode first leaks one
 * 4242-byte block from leak_before(), so the trace must hold it whatever
 * the end. Modes and their ends:
 *   segv_default     SIGSEGV, default action          killed by SIGSEGV
 *   segv_exit        handler prints, _exit(3)         status 3
 *   segv_reraise     handler resets SIG_DFL, raises   killed by SIGSEGV
 *   segv_recover     handler siglongjmps back, the program leaks 777 bytes more and exits 0
 *   resethand        SA_RESETHAND handler recovers once; the second fault kills (SIGSEGV)
 *   abort_handler    SIGABRT handler returns: abort() still kills (SIGABRT)
 *   fpe_default      integer division by zero          killed by SIGFPE
 *   ill_default      __builtin_trap                    killed by SIGILL
 *   bus_default      touching a mapping past its file  killed by SIGBUS
 *   query            sigaction() reports SIG_DFL, then the program's own handler; exits 0
 *   signal_handler   signal() handler for SIGSEGV that _exits(4)
 *   kill_self        SIGKILL to itself mid-run         killed by SIGKILL (trace cut, readable)
 *   abort_default    abort() with no handler           killed by SIGABRT
 *   underscore_exit  _exit(5) from main (no atexit, no stdio flush)  status 5
 *   kill_150ms       leaks 777 bytes, 150 ms later SIGKILL: at most 100 ms of
 *                    events may be lost, so the trace must hold that block
 *   segv_big         keeps 1,500,000 blocks live, then SIGSEGV: killed by
 *                    SIGSEGV while the writer's live set is still moving to
 *                    the table it grew to (idle work that must give way to
 *                    the handler's final flush)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int *volatile nullp;
static volatile int zero, hundred = 100;

__attribute__((noinline)) static void leak_before(void) { (void)malloc(4242); }
__attribute__((noinline)) static void leak_after(void) { (void)malloc(777); }

static void h_exit(int s) { (void)s; static const char m[] = "caught\n"; write(1, m, sizeof m - 1); _exit(3); }
static void h_exit4(int s) { (void)s; _exit(4); }
static void h_reraise(int s) { signal(s, SIG_DFL); raise(s); }
static void h_recover(int s) { (void)s; siglongjmp(jb, 1); }
static void h_return(int s) { (void)s; }
static void h_info(int s, siginfo_t *si, void *uc) { (void)s; (void)si; (void)uc; siglongjmp(jb, 1); }

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    leak_before();
    fflush(stdout);
    if (!strcmp(m, "segv_default")) {
        *nullp = 1;
    } else if (!strcmp(m, "segv_exit")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = h_exit;
        sigaction(SIGSEGV, &sa, NULL);
        *nullp = 1;
    } else if (!strcmp(m, "segv_reraise")) {
        signal(SIGSEGV, h_reraise);
        *nullp = 1;
    } else if (!strcmp(m, "segv_recover")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = h_info;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGSEGV, &sa, NULL);
        if (sigsetjmp(jb, 1) == 0) *nullp = 1;
        leak_after();
        puts("recovered");
        return 0;
    } else if (!strcmp(m, "resethand")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = h_recover;
        sa.sa_flags = SA_RESETHAND;
        sigaction(SIGSEGV, &sa, NULL);
        if (sigsetjmp(jb, 1) == 0) *nullp = 1;
        puts("recovered once");
        fflush(stdout);
        *nullp = 2;
    } else if (!strcmp(m, "abort_handler")) {
        signal(SIGABRT, h_return);
        abort();
    } else if (!strcmp(m, "fpe_default")) {
        printf("%d\n", hundred / zero);   /* not 1 / x: gcc turns that into a compare */
    } else if (!strcmp(m, "ill_default")) {
        __builtin_trap();
    } else if (!strcmp(m, "bus_default")) {
        char path[] = "/tmp/crashy.XXXXXX";
        int fd = mkstemp(path);
        unlink(path);
        if (fd < 0 || ftruncate(fd, 1) != 0) return 9;
        volatile char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) return 9;
        p[4096] = 1;
    } else if (!strcmp(m, "query")) {
        struct sigaction old, sa;
        if (sigaction(SIGSEGV, NULL, &old) != 0 || old.sa_handler != SIG_DFL) return 5;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = h_exit4;
        sa.sa_flags = SA_NODEFER;
        sigaction(SIGSEGV, &sa, NULL);
        if (sigaction(SIGSEGV, NULL, &old) != 0 || old.sa_handler != h_exit4 || !(old.sa_flags & SA_NODEFER)) return 6;
        if (signal(SIGSEGV, SIG_DFL) != h_exit4) return 7;
        puts("query ok");
        return 0;
    } else if (!strcmp(m, "signal_handler")) {
        signal(SIGSEGV, h_exit4);
        *nullp = 1;
    } else if (!strcmp(m, "abort_default")) {
        abort();
    } else if (!strcmp(m, "underscore_exit")) {
        _exit(5);
    } else if (!strcmp(m, "kill_150ms")) {
        leak_after();
        usleep(150000);
        kill(getpid(), SIGKILL);
    } else if (!strcmp(m, "segv_big")) {
        enum { N = 1500000 };
        void **keep = malloc(N * sizeof *keep);
        for (int i = 0; keep && i < N; i++) keep[i] = malloc(24);
        usleep(50000);   /* the writer has drained the events: only the move is left */
        *nullp = 1;
    } else if (!strcmp(m, "kill_self")) {
        for (int i = 0; i < 1000; i++) free(malloc(100));
        usleep(300000);   /* let the writer flush what came before */
        kill(getpid(), SIGKILL);
    } else {
        fprintf(stderr, "unknown mode %s\n", m);
        return 2;
    }
    return 0;
}
