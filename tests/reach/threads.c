/* threads.c - exit() while other threads still run: one blocked in a
 * condition wait holding a block in a local variable, one spinning with a
 * block's address only in a register (rbx), one that blocks every signal
 * (it cannot be stopped: its stack is scanned whole) holding a block on
 * its stack. A thread that ended (joined) left a block pointed to only from
 * its dead stack: definitely lost. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER, never = PTHREAD_COND_INITIALIZER;
static volatile int started;

static void up(void)
{
    pthread_mutex_lock(&mu);
    started++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void *waiter(void *arg)
{
    (void)arg;
    void *volatile mine = malloc(1000);
    pthread_mutex_lock(&mu);
    started++;
    pthread_cond_broadcast(&cv);
    for (;;) pthread_cond_wait(&never, &mu);
    (void)mine;
    return NULL;
}

static void *in_register(void *arg)
{
    (void)arg;
    void *p = malloc(2000);
    /* Move the pointer into rbx, wipe every copy in memory (the local, and
     * the dead frames of malloc below the stack pointer), then spin. */
    __asm__ volatile("mov %0, %%rbx\n\t"
                     "movq $0, %1\n\t"
                     "lea -4096(%%rsp), %%rdi\n\t"
                     "mov $512, %%ecx\n\t"
                     "xor %%eax, %%eax\n\t"
                     "rep stosq\n\t"
                     "lock incl %2\n\t"
                     "1: pause\n\t"
                     "jmp 1b"
                     : : "r"(p), "m"(p), "m"(started) : "rbx", "rdi", "rcx", "rax", "memory");
    return NULL;
}

static void *blocked(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    void *volatile mine = malloc(3000);
    up();
    for (;;) sleep(1);
    (void)mine;
    return NULL;
}

static void *short_lived(void *arg)
{
    (void)arg;
    void *volatile p = malloc(4000);    /* its frame dies with the thread: lost */
    (void)p;
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, short_lived, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, waiter, NULL);
    pthread_create(&t, NULL, in_register, NULL);
    pthread_create(&t, NULL, blocked, NULL);
    /* in_register counts itself with no mutex and no broadcast (it may
     * call nothing once its pointer is hidden): waiting on cv alone could
     * miss its increment for ever if it came last. Poll. */
    while (started < 3) usleep(1000);
    usleep(20000);
    exit(0);
}
