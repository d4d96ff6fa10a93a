/*
 * marks.c - named moments and periodic samples.
 *
 * A mark (leaktrace_mark() from the program, or LEAKTRACE_MARK_SIGNAL from
 * outside) takes its number from the events' sequence, so the analyzer
 * places it exactly between the events of every thread. Marks wait in a
 * small lock-free mailbox until the writer encodes them: posting one is
 * async-signal-safe (a compare-and-swap on a free slot, a sequence number,
 * a clock read, a futex wake), so the signal handler needs no lock that
 * the interrupted thread might hold.
 *
 * Samples (TICK records, every LEAKTRACE_INTERVAL ms) are taken by the
 * writer thread: a sequence number, the time, and the process's thread
 * count and resident set size from /proc/self/stat. The live heap at each
 * sample is reconstructed exactly by the analyzer from the events before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/lt_format.h"
#include "lt_internal.h"

#define SLOTS 64
#define LABEL_MAX 255

enum { SLOT_FREE = 0, SLOT_FILLING, SLOT_READY };

typedef struct slot {
    _Atomic int state;
    uint32_t tid;
    uint64_t seq, ts;
    uint32_t len;
    char label[LABEL_MAX];
} slot_t;

static slot_t slots[SLOTS];
static _Atomic uint64_t marks_dropped;
static _Atomic uint32_t signal_count;
static char signal_prefix[32];     /* "SIGUSR2-": labels SIGUSR2-1, SIGUSR2-2... */
static uint64_t last_tick_ns;

/* Claims a slot and fills it. 0, or -1 when every slot is taken. */
static int post(const char *label, size_t len, const char *suffix, size_t slen)
{
    for (int i = 0; i < SLOTS; i++) {
        int expect = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&slots[i].state, &expect, SLOT_FILLING)) continue;
        slot_t *s = &slots[i];
        memcpy(s->label, label, len);
        memcpy(s->label + len, suffix, slen);
        s->len = (uint32_t)(len + slen);
        s->tid = (uint32_t)syscall(SYS_gettid);
        s->seq = atomic_fetch_add_explicit(&lt_seq.v, 1, memory_order_relaxed);
        s->ts = lt_now_ns();
        atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
        lt_writer_kick();
        return 0;
    }
    return -1;
}

void lt_mark(const char *label)
{
    if (atomic_load_explicit(&lt_state, memory_order_acquire) != LT_ST_ACTIVE || getpid() != lt_pid) return;
    if (!label || !*label) label = "mark";
    size_t len = strnlen(label, LABEL_MAX);
    /* Never cut a UTF-8 character in two. */
    if (len == LABEL_MAX && label[len] != '\0')
        while (len > 0 && ((unsigned char)label[len] & 0xc0) == 0x80) len--;
    for (int tries = 0; tries < 1000; tries++) {
        if (post(label, len, "", 0) == 0) return;
        /* Full: 64 marks in flight. Let the writer catch up. */
        if (lt_writer_wait_progress() < 0) lt_writer_flush_sync();
    }
    atomic_fetch_add(&marks_dropped, 1);
}

static void on_mark_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (atomic_load_explicit(&lt_state, memory_order_acquire) == LT_ST_ACTIVE && getpid() == lt_pid) {
        uint32_t n = atomic_fetch_add(&signal_count, 1) + 1;
        char num[12];
        size_t k = sizeof num;
        do num[--k] = (char)('0' + n % 10); while ((n /= 10) && k);
        if (post(signal_prefix, strlen(signal_prefix), num + k, sizeof num - k) < 0) atomic_fetch_add(&marks_dropped, 1);
    }
    errno = saved;
}

void lt_marks_install_signal(void)
{
    int sig = lt_cfg.mark_signal;
    if (!sig) return;
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev) snprintf(signal_prefix, sizeof signal_prefix, "SIG%s-", abbrev);
    else if (sig >= SIGRTMIN && sig <= SIGRTMAX) snprintf(signal_prefix, sizeof signal_prefix, "SIGRTMIN+%d-", sig - SIGRTMIN);
    else snprintf(signal_prefix, sizeof signal_prefix, "signal%d-", sig);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_mark_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* the program's system calls go on undisturbed */
    if (sigaction(sig, &sa, NULL) != 0) lt_log("cannot handle LEAKTRACE_MARK_SIGNAL %d: %s", sig, strerror(errno));
}

void lt_marks_drain(void (*emit)(unsigned tag, const unsigned char *payload, size_t len))
{
    unsigned char buf[4 * 10 + LABEL_MAX + 8];
    for (int i = 0; i < SLOTS; i++) {
        slot_t *s = &slots[i];
        if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_READY) continue;
        size_t n = lt_put_varint(buf, s->seq);
        n += lt_put_varint(buf + n, s->ts);
        n += lt_put_varint(buf + n, s->tid);
        n += lt_put_varint(buf + n, s->len);
        memcpy(buf + n, s->label, s->len);
        n += s->len;
        emit(LT_REC_MARK, buf, n);
        atomic_store_explicit(&s->state, SLOT_FREE, memory_order_release);
    }
    uint64_t d = atomic_exchange(&marks_dropped, 0);
    if (d) {
        char w[96];
        int n = snprintf(w, sizeof w, "%llu marks dropped: more than %d waiting at once", (unsigned long long)d, SLOTS);
        emit(LT_REC_WARN, (const unsigned char *)w, (size_t)n);
    }
}

/* Threads and resident pages, fields 20 and 24 of /proc/self/stat. */
static void proc_stat(uint64_t *threads, uint64_t *rss_pages)
{
    *threads = *rss_pages = 0;
    char b[1024];
    int f = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (f < 0) return;
    ssize_t n = syscall(SYS_read, f, b, sizeof b - 1);
    syscall(SYS_close, f);
    if (n <= 0) return;
    b[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: count
     * fields from the last ')'. */
    char *p = strrchr(b, ')');
    if (!p) return;
    int field = 2;
    for (; *p && field < 24; p++) {
        if (*p != ' ') continue;
        field++;
        if (field == 20) *threads = strtoull(p + 1, NULL, 10);
        if (field == 24) *rss_pages = strtoull(p + 1, NULL, 10);
    }
}

void lt_marks_tick(uint64_t now_ns, void (*emit)(unsigned tag, const unsigned char *payload, size_t len))
{
    if (!lt_cfg.interval_ms || now_ns - last_tick_ns < (uint64_t)lt_cfg.interval_ms * 1000000u) return;
    last_tick_ns = now_ns;
    uint64_t threads, pages;
    proc_stat(&threads, &pages);
    if (threads && lt_writer_running()) threads--; /* not counting the writer thread */
    unsigned char buf[40];
    size_t n = lt_put_varint(buf, atomic_fetch_add_explicit(&lt_seq.v, 1, memory_order_relaxed));
    n += lt_put_varint(buf + n, lt_now_ns());
    n += lt_put_varint(buf + n, threads);
    n += lt_put_varint(buf + n, pages * (uint64_t)sysconf(_SC_PAGESIZE));
    emit(LT_REC_TICK, buf, n);
}

void lt_marks_fork_child(void)
{
    for (int i = 0; i < SLOTS; i++) atomic_store(&slots[i].state, SLOT_FREE);
    atomic_store(&marks_dropped, 0);
    atomic_store(&signal_count, 0);
    last_tick_ns = 0;
}
