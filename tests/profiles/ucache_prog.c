/* ucache_prog.c - stacks that look alike to the tracer's per-thread unwind
 * cache (same caller, same stack address) but differ above it. Every block
 * leaks, so `leaktrace report` shows each distinct stack with its count.
 * Run by tests/profiles/ucache.sh, built once with frame pointers (-O0) and
 * once without (-O2 -fomit-frame-pointer).
 *
 *   twins      leaf() reached through a() and through b(), whose frames are
 *              alike: leaf's frame sits at the same address both ways.
 *              N blocks of 24 bytes each way.
 *   alloca     rec(d) recurses d levels, then leaf2() allocas a pad chosen
 *              so that malloc is always called at the same stack address,
 *              by the same return address. All rec frames return to one
 *              call site, so the stack words where the return addresses of
 *              a shallower run lay can hold the very same values in a
 *              deeper run: only leaf2's frame pointer tells them apart.
 *              d = 1..DMAX, N blocks of 40 bytes each.
 *   signal     a SIGUSR1 handler allocates (48 bytes), raised from sig_a()
 *              and sig_b(): N blocks each; then the same on an alternate
 *              signal stack from sig_alt() (56 bytes, N blocks).
 *   threads    two threads run twins again (72 bytes via a2/b2... see
 *              thread_main): N blocks per thread and path.
 * Prints nothing; exits 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <alloca.h>

#define N 300
#define DMAX 5
#define NOINLINE __attribute__((noinline, noclone))

static void *volatile sink;

NOINLINE void leaf(size_t n) { sink = malloc(n); __asm__ volatile("" ::: "memory"); }
NOINLINE void a(size_t n) { leaf(n); __asm__ volatile("" ::: "memory"); }
NOINLINE void b(size_t n) { leaf(n); __asm__ volatile("" ::: "memory"); }

NOINLINE void twins(size_t n)
{
    for (int i = 0; i < N; i++) {
        a(n);
        b(n);
    }
}

/* ---- alloca ---- */
static uintptr_t pad_at;   /* where leaf2's alloca'd pad starts, measured */
static int measuring;

NOINLINE void rec(int d, size_t pad);

/* Allocates below a pad of pad bytes: its own frame (and so where its
 * return address lies) moves with the pad, while malloc is called at the
 * same stack address for every depth. */
NOINLINE void leaf2(int d, size_t pad)
{
    (void)d;
    char *p = alloca(pad);
    __asm__ volatile("" : : "r"(p) : "memory");
    if (measuring) { pad_at = (uintptr_t)p; return; }
    sink = malloc(40);
    __asm__ volatile("" ::: "memory");
}

/* One call site for both the recursion and the leaf: every rec frame
 * returns to the same address, whichever function it called. */
NOINLINE void rec(int d, size_t pad)
{
    void (*volatile next)(int, size_t) = d > 1 ? rec : leaf2;
    next(d - 1, pad);
    __asm__ volatile("" ::: "memory");
}

static void alloca_case(void)
{
    size_t base = 4096, pad[DMAX + 1];
    uintptr_t at[DMAX + 1];
    measuring = 1;
    for (int d = 1; d <= DMAX; d++) { rec(d, base); at[d] = pad_at; }
    measuring = 0;
    /* Deeper recursion puts leaf2 lower: shrink its pad by the difference. */
    for (int d = 1; d <= DMAX; d++) pad[d] = base - (size_t)(at[1] - at[d]);
    for (int i = 0; i < N; i++)
        for (int d = 1; d <= DMAX; d++) rec(d, pad[d]);
}

/* ---- signals ---- */
static volatile size_t sig_size = 48;
static void on_usr1(int sig) { (void)sig; sink = malloc(sig_size); }
NOINLINE void sig_a(void) { raise(SIGUSR1); __asm__ volatile("" ::: "memory"); }
NOINLINE void sig_b(void) { raise(SIGUSR1); __asm__ volatile("" ::: "memory"); }
NOINLINE void sig_alt(void) { raise(SIGUSR1); __asm__ volatile("" ::: "memory"); }

static void signal_case(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    for (int i = 0; i < N; i++) {
        sig_a();
        sig_b();
    }
    static char altstack[1 << 16];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, NULL);
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    sig_size = 56;
    for (int i = 0; i < N; i++) sig_alt();
}

static void *thread_main(void *arg)
{
    twins((size_t)(uintptr_t)arg);
    return NULL;
}

int main(void)
{
    twins(24);
    alloca_case();
    signal_case();
    pthread_t t1, t2;
    pthread_create(&t1, NULL, thread_main, (void *)(uintptr_t)72);
    pthread_create(&t2, NULL, thread_main, (void *)(uintptr_t)88);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    return 0;
}
