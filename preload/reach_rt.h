/*
 * reach_rt.h - the reachability scan's interface to the rest of preload/
 * (reach.c): the exit point and thread start points it needs, and the
 * entry point the final flush (writer.c) calls. Included by reach.c,
 * writer.c, hooks.c, threads.c and signals.c.
 */
#ifndef LT_REACH_RT_H
#define LT_REACH_RT_H

#include <stddef.h>
#include <stdint.h>

#define LT_REACH_NREGS 15   /* rax rbx rcx rdx rsi rdi rbp r8..r15 */

/* Saves the callee-saved registers (they hold the caller's values) into
 * regs[LT_REACH_NREGS] (others zero). Inline, so it runs in the hook. */
#if defined(__x86_64__)
#define LT_REACH_SAVE_REGS(regs) do {                                                   \
        memset((regs), 0, sizeof(uint64_t) * LT_REACH_NREGS);                           \
        __asm__ volatile("mov %%rbx, 8(%0)\n\tmov %%rbp, 48(%0)\n\tmov %%r12, 88(%0)\n\t" \
                         "mov %%r13, 96(%0)\n\tmov %%r14, 104(%0)\n\tmov %%r15, 112(%0)"  \
                         : : "r"(regs) : "memory");                                      \
    } while (0)
#else
#define LT_REACH_SAVE_REGS(regs) memset((regs), 0, sizeof(uint64_t) * LT_REACH_NREGS)
#endif

/* The calling thread is about to exit the process (exit(), or main
 * returned): sp is its stack pointer at that point (everything above is
 * the program's live frames), regs its callee-saved registers. Any
 * thread, no allocation. */
void lt_reach_note_exit(uint64_t sp, const uint64_t *regs);
/* The writer thread's stack, never scanned (it holds block addresses). */
void lt_reach_note_writer(uint64_t sp);
/* A thread started by our pthread_create wrapper, whose start routine is
 * called with the stack pointer cfa. Returns a slot for _ended. */
int lt_reach_thread_started(uint64_t cfa);
/* That thread is ending: of its stack, only what lies above cfa is live. */
void lt_reach_thread_ended(int slot, uint64_t cfa);

/* Called first thing by the fatal-signal handler for SIGSEGV and SIGBUS:
 * when the fault happened while the scan read memory (a mapping that went
 * away under a thread that could not be stopped, a file mapping past the
 * end of its file), jumps back into the scan, which gives up. Returns
 * otherwise. */
void lt_reach_fault(int sig);

typedef struct lt_reach_result {
    uint64_t blocks, root_bytes, heap_bytes, time_ns, cpu_ns;  /* cpu_ns: the scanning thread's CPU time */
    uint64_t threads_stopped, threads_not_stopped;
    uint64_t kind_blocks[4], kind_bytes[4];   /* by LT_KIND_* */
} lt_reach_result_t;

typedef void (*lt_reach_emit_fn)(unsigned tag, const unsigned char *payload, size_t len);

/* Runs the scan (writer lock held, the rings drained once): stops the
 * other threads, calls drain() to bring the live set up to date, marks,
 * classifies, releases the threads and writes LT_REC_REACHBLK records
 * and one LT_REC_REACH summary through emit. Returns 0, or -1 when the
 * scan could not run (the summary then says so). Never blocks without a
 * timeout; never allocates through malloc. */
int lt_reach_at_exit(void (*drain)(void), lt_reach_emit_fn emit, lt_reach_result_t *res);
/* Writes a summary saying the scan did not run: status LT_SCAN_*, how the
 * process ended (LT_END_*). */
void lt_reach_not_run(lt_reach_emit_fn emit, unsigned status, int how);

/* writer.c: the writer thread's kernel thread id (0 when none). */
int lt_writer_tid(void);

#endif
