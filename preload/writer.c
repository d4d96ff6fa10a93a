/*
 * writer.c - the background writer: drains every thread's ring, encodes the
 * records (encode.c), compresses each chunk with zstd (the only file that
 * includes it) and appends it to the trace file. Application threads never
 * compress and never write the file; they only kick this thread when a
 * ring fills past half, and wait for it when a ring is full.
 *
 * A chunk is flushed at least every LT_FLUSH_NS and whenever the encoded
 * data reaches LT_CHUNK_SOFT, so a crash loses at most the last interval.
 * Any write error stops tracing with one line on stderr (lt_disable); the
 * program itself is never affected.
 *
 * Flight recorder (LEAKTRACE_MAX_SIZE, docs/ring.md): chunks go to a
 * circular region after the file header. When the next chunk would pass
 * the end of the region, the file is cut where the chunk would start and
 * writing starts again at the beginning of the region, over the oldest
 * chunks. Every eighth of the region (or twice the last checkpoint's size,
 * if that is more) the writer writes a checkpoint: the live set, the
 * tombstones, the module map, the process record, the threads still known
 * and every stack those refer to, in chunks of their own, so that the
 * oldest surviving checkpoint is a place where a replay can start.
 *
 * Locking: wlock serialises draining/encoding/writing (writer thread, the
 * final flush at exit, a synchronous flush when no writer runs). side_mu
 * protects the side queue of cold records (modules, process info).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem: zstd's memory from tmem.c */
#include <zstd.h>

#include "../common/lt_fields.h"
#include "../common/lt_format.h"
#include "encode.h"
#include "level.h"
#include "liveset.h"
#include "reach_rt.h"
#include "lt_internal.h"
#include "tracer.h"

#define LT_FLUSH_NS   (50ull * 1000 * 1000)  /* <= 100 ms between flushes */
/* Event times are rounded down to this many ns (docs/performance.md: the
 * low bits of a nanosecond clock were most of the trace's entropy). */
#ifndef LT_TIME_QUANTUM_NS
#define LT_TIME_QUANTUM_NS 100000u   /* 100 us: a tenth of the finest time slice (--resolution 0.001) */
#endif
#define LT_CHUNK_SOFT (2u << 20)
#define LT_RAW_CAP    (LT_CHUNK_SOFT + (1u << 20))

static pthread_mutex_t wlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t side_mu = PTHREAD_MUTEX_INITIALIZER;
static int fd = -1;
static dev_t fd_dev;              /* what fd must still be before each write */
static ino_t fd_ino;
static char fd_path[sizeof lt_cfg.output + 64];
static lt_enc_t enc;
static unsigned char *zbuf;
static size_t zcap;
static ZSTD_CCtx *cctx;
static uint32_t chunk_index;
static uint64_t last_flush_ns;
static unsigned char *side;
static size_t side_len, side_cap;
static int finished;

/* The ring (all under wlock). */
static uint64_t data_start;       /* offset of the first chunk */
static uint64_t wpos;             /* offset of the next chunk */
static uint64_t since_ckpt;       /* bytes written since the last checkpoint began */
static uint64_t last_ckpt_bytes;  /* size of the last checkpoint */
static uint64_t ckpt_no, wraps;
static size_t chunk_soft = LT_CHUNK_SOFT;
static int in_ckpt, ckpt_first, ckpt_warned;
/* Cold records re-sent in every checkpoint: PROCESS, MODULE, UNMODULE. */
static unsigned char *archive;
static size_t archive_len, archive_cap;
/* Thread records re-sent in every checkpoint, by serial, while the thread
 * matters (not yet both ended and joined or detached). */
enum { THR_KINDS = LT_THR_NAME + 1, THR_WORDS = 7 };
typedef struct thr {
    uint64_t serial;
    uint8_t have;                 /* bit per LT_THR_* kind */
    uint64_t w[THR_KINDS][THR_WORDS];
} thr_t;
static thr_t *thr;
static size_t nthr, capthr;

static _Atomic int running;
/* The words the program's threads and the writer signal each other with,
 * on a line of their own (the writer bumps progress_word every round).
 * lock_wanted: threads other than the writer about to take wlock (a flush
 * from the program, a fatal signal, fork, the end); the writer then puts
 * off its idle work and sleeps, instead of taking the lock again right
 * after each step of it (a signal handler tries only so many times). */
static struct {
    _Alignas(64) _Atomic uint32_t kick_word;
    _Atomic uint32_t progress_word;
    _Atomic int sleeping, waiters, lock_wanted;
} sig;
_Static_assert(sizeof sig == 64, "the signal words fill one cache line");
static pthread_t writer_thread;
static _Atomic int writer_tid;
static _Atomic uint64_t writer_cpu_ns;   /* its CPU time so far (the auto level, LEAKTRACE_VERBOSE) */
static _Atomic uint64_t writer_idle_ns;  /* ... of which in idle work (lt_liveset_idle), not load */

/* LEAKTRACE_COMPRESSION=auto. zstd's level 6 (lazy matching) makes
 * traces much smaller than level 1: sqlite's 0.39 MB -> 0.25 MB (format
 * 1.5), for 4 % more CPU and no wall time that measured (21 interleaved
 * runs). But on a program that keeps the writer busy (python, mallocbench)
 * its cost is the program's: the writer is what the program waits for.
 * So: level 6 while the program's threads waited for the writer less than
 * 10 ms in all over the last second and the writer's thread was busy less
 * than half of the last 100 ms; level 1 for a second after either. (Until
 * format 1.5 the second test was "a ring held more than 256 KiB of events
 * not yet taken", which sqlite's pace tripped every 3 ms with the writer
 * busy 20 % of the time: its traces were all level 1.) The level can
 * change at every chunk (a change starts a new zstd frame: chunk_frame);
 * readers never need to know it.
 *
 * Level 6 searches deeper while the writer has time for it (level.h's
 * deep tier: earned by a window busy at most 40 % of the time, kept while
 * busy at most half of it searching deep; never at the start): zstd's
 * lazy2 strategy with 64 candidates per position instead of 8, which is
 * level 12's search with level 6's 3.5 MiB of tables (level 12 itself
 * takes up to 49 MiB, whose first touch stopped the writer long enough
 * for sqlite to wait 0.13 s). sqlite's trace 242 -> 201 kB for 3.5 % more
 * CPU (seventh session of 2026-12-03). On other records the same search
 * costs several times level 6's time (tests/profiles/paced.c: the writer
 * busy a quarter of the time at level 6, over half searching deep), which
 * is why it is a tier of its own that the writer leaves when busy.
 * Starting deep made sqlite's trace 185 kB instead of 205 (its first
 * chunks), but mallocbench at 2 M iterations 5.72x -> 6.42x (9
 * interleaved runs): its first chunks at the deep search. */
#define LEVEL_SMALL 6
#define LEVEL_FAST 1
#define DEEP_STRATEGY ZSTD_lazy2
#define DEEP_SEARCH_LOG 6
static int cur_level, cur_deep;
static lt_level_state_t level_state;   /* level.h */
/* The level follows the writer's load from its first chunk on, and the
 * program's waits before that do not count: the writer's start touches its
 * buffers and zstd's context for the first time (slow on these machines,
 * performance.md), and a program allocating from its first instant waited
 * 2-10 ms for it there, which at the 10 ms budget put tests/profiles'
 * paced program at level 1 for a second in 2 runs of 30. */
static int level_started;
static uint64_t startup_wait_ns;
static uint64_t frames_small, frames_fast, frames_deep;   /* LEAKTRACE_VERBOSE; deep: of the small */

/* The chunk being built is compressed as it grows (streamed into the
 * frame), not all at once when it is flushed: compressing 2 MiB took the
 * writer away from the rings for 5-10 ms, long enough for a thread
 * allocating at full speed to fill its ring and wait. */
static size_t zfed;    /* bytes of enc.buf given to zstd in this chunk */
static size_t zlen;    /* compressed bytes of this chunk in zbuf so far */
/* A zstd frame goes on across chunks (format 1.7, LT_CHUNK_F_CONT): each
 * chunk ends with a flush, so it is complete once written, and the next
 * one's matches reach back into the chunks before it. On a program that
 * allocates slowly (a service: tens of events per 50 ms chunk) that
 * halves the trace (46 % smaller at level 6, 55 % searching deep); on
 * sqlite's 11 large chunks, 8 %. A new frame starts at the first chunk,
 * at a checkpoint (where a reader of a ring starts), when the level
 * changes (zstd applies it at a frame's start), after a failure, for the
 * program's end and after a ring's wrap (both set frame_chunks to 0), and
 * after LT_FRAME_CHUNKS_MAX chunks (a chunk damaged on disk loses the rest
 * of its frame). */
static unsigned frame_chunks;   /* chunks written in the current frame; 0: the next one starts a frame */
static ZSTD_CCtx *tctx;         /* the layout trials' context (cctx holds the frame between chunks) */
#define FEED_STEP (128u << 10)   /* zstd's block size: compressed at once */

/* LEAKTRACE_LAYOUT (common/lt_fields.h). In auto, the writer now and then
 * (a trial) compresses the first TRIAL_BYTES of the chunk it just wrote
 * both ways at zstd level 1, and lays out the chunks after it the way that
 * came out smaller, until the next trial. Trials come at the first chunk
 * and then after 2, 4 ... 32 chunks while the same layout keeps winning
 * (after 1 when it changes). The comparison at level 1 holds at level 6:
 * fields came out 0.68 and 0.73 of records for python, 1.64 and 1.45 for
 * sqlite. A chunk in fields is compressed at its flush, not as it grows
 * (its streams are complete only then). */
#define TRIAL_GAP_MAX 32
#define TRIAL_BYTES (512u << 10)
/* Chunks smaller than this (the flush of a quiet moment) and checkpoint
 * chunks (only length-prefixed records: all in one stream, so records
 * always win) are not a sample of the events to come: no trial on them. */
#define TRIAL_MIN (64u << 10)
static int cur_fields;                /* the layout of the chunk being built */
static unsigned trial_gap, since_trial;
static lt_fs_streams_t fstreams;        /* a chunk's field streams, LT_RAW_CAP of room each */
static unsigned char *fzbuf;          /* their compressed form */
static size_t fzcap;
static uint64_t chunks_fields, chunks_records, trials;   /* LEAKTRACE_VERBOSE */

static void chunk_begin(void);
static int set_level(int level, int deep);
static int in_signal; /* finishing from a fatal-signal handler: never block, never allocate */
static int dying;     /* ... one that ends the process: the live set is not needed any more */

/* Drops the frame being compressed (what was fed is fed again). */
static void frame_reset(void)
{
    zfed = zlen = 0;
    frame_chunks = 0;
    if (cctx) ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
}

static long futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)w, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

/* ---- opening the file --------------------------------------------------- */

static size_t expand(char *out, size_t cap, const char *pat, const char *suffix)
{
    char exe[4096], num[32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *base = strrchr(exe, '/');
    base = base ? base + 1 : (exe[0] ? exe : "unknown");
    size_t len = 0;
    for (const char *p = pat; *p && len + 1 < cap; p++) {
        const char *ins = NULL;
        if (p[0] == '%' && p[1] == 'p') { snprintf(num, sizeof num, "%d", (int)getpid()); ins = num; p++; }
        else if (p[0] == '%' && p[1] == 'e') { ins = base; p++; }
        else if (p[0] == '%' && p[1] == '%') { ins = "%"; p++; }
        if (ins) { size_t k = strlen(ins); if (len + k >= cap) break; memcpy(out + len, ins, k); len += k; }
        else out[len++] = *p;
    }
    out[len] = '\0';
    if (suffix[0]) {
        /* Insert ".N" before a trailing ".trace" so globs still match. */
        size_t sl = strlen(suffix), ext = (len >= 6 && strcmp(out + len - 6, ".trace") == 0) ? 6 : 0;
        if (len + sl + 1 < cap) {
            memmove(out + len - ext + sl, out + len - ext, ext + 1);
            memcpy(out + len - ext, suffix, sl);
            len += sl;
        }
    }
    return len;
}

static int write_all_at(const void *buf, size_t n, uint64_t off)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) { if (errno == EINTR) continue; return -errno; }
        p += w;
        off += (uint64_t)w;
        n -= (size_t)w;
    }
    return 0;
}

/* Programs that close every descriptor (daemons, closefrom(3)) may close
 * ours and get its number back for a file of their own. Before writing,
 * make sure fd is still our trace file; if not, reopen it by path (never
 * creating it) or give up. Returns 0 when fd is ours. */
static int fd_is_ours(void)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_dev == fd_dev && st.st_ino == fd_ino) {
        if (st.st_nlink > 0) return 0;
        /* Deleted (by the program, or by someone cleaning up): what is
         * written into it could never be read. (Unless its path still
         * names it: a file system that counts no links.) */
        if (stat(fd_path, &st) == 0 && st.st_dev == fd_dev && st.st_ino == fd_ino) return 0;
        close(fd);
        fd = -1;
        return -ENOENT;
    }
    int nfd = open(fd_path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);  /* no O_APPEND: pwrite at wpos */
    if (nfd >= 0 && fstat(nfd, &st) == 0 && st.st_dev == fd_dev && st.st_ino == fd_ino) {
        fd = lt_fd_move_high(nfd); /* the old number is the program's now: leave it alone */
        return 0;
    }
    if (nfd >= 0) close(nfd);
    fd = -1;
    return -EBADF;
}

/* Closes the trace file unless the program has taken its number since. */
static void close_trace(void)
{
    if (fd >= 0 && fd_is_ours() == 0) close(fd);
    fd = -1;
}

static void *zalloc(void *opaque, size_t n) { (void)opaque; return lt_mem_alloc(n); }
static void zfree(void *opaque, void *p) { (void)opaque; lt_mem_free(p); }

/* Whether anything will read the live set: the exit scan (not in
 * sampling mode) or the ring's checkpoints. */
static int liveset_wanted(void) { return lt_exit_scan_on() || lt_cfg.max_size; }

int lt_writer_open(void)
{
    char path[sizeof lt_cfg.output + 64];
    int err = 0;
    lt_busy_enter();
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[16] = "";
        if (attempt) snprintf(suffix, sizeof suffix, ".%d", attempt);
        expand(path, sizeof path, lt_cfg.output, suffix);
        /* O_EXCL: never overwrite, never follow a symlink planted there. */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) break;
        err = errno;
        if (err != EEXIST) break;
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            lt_log("%s is a symbolic link; not following it, trying another name", path);
    }
    if (fd < 0) {
        lt_log("cannot create trace file '%s': %s; the program runs untraced", path, strerror(err));
        lt_busy_leave();
        return -err;
    }
    fd = lt_fd_move_high(fd);
    struct stat fst;
    if (fstat(fd, &fst) == 0) { fd_dev = fst.st_dev; fd_ino = fst.st_ino; }
    /* Keep the absolute path: the program may chdir before we reopen. */
    if (path[0] == '/' || !getcwd(fd_path, sizeof fd_path - strlen(path) - 2)) {
        snprintf(fd_path, sizeof fd_path, "%s", path);
    } else {
        size_t l = strlen(fd_path);
        snprintf(fd_path + l, sizeof fd_path - l, "/%s", path);
    }
    if (!enc.buf) {
        enc.buf = lt_mem_alloc(LT_RAW_CAP);
        enc.cap = LT_RAW_CAP;
        zcap = ZSTD_compressBound(LT_RAW_CAP);
        zbuf = lt_mem_alloc(zcap);
        ZSTD_customMem cm = { zalloc, zfree, NULL };
        cctx = ZSTD_createCCtx_advanced(cm);
        if (!enc.buf || !zbuf || !cctx) {
            lt_log("out of memory for the trace writer; the program runs untraced");
            close(fd);
            fd = -1;
            lt_busy_leave();
            return -ENOMEM;
        }
        cur_level = lt_cfg.level == LT_LEVEL_AUTO ? LEVEL_SMALL : lt_cfg.level;
        cur_deep = 0;   /* the deep tier is earned (level.h), never the start */
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, cur_level);
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    }
    frame_reset();
    enc.ts_quantum = LT_TIME_QUANTUM_NS;
    chunk_index = 0;
    cur_fields = lt_cfg.layout == LT_LAYOUT_FIELDS;
    chunk_begin();
    trial_gap = 1;
    since_trial = 0;
    finished = 0;
    since_ckpt = last_ckpt_bytes = ckpt_no = wraps = 0;
    in_ckpt = ckpt_warned = 0;
    archive_len = 0;
    nthr = 0;
    /* Chunks small against the ring, so that a wrap loses little at once. */
    chunk_soft = LT_CHUNK_SOFT;
    if (lt_cfg.max_size && lt_cfg.max_size / 16 < chunk_soft) chunk_soft = (size_t)(lt_cfg.max_size / 16);
    /* The live set feeds the exit-time reachability scan and the ring's
     * checkpoints, and nothing else: without either (LEAKTRACE_SCAN=0 and
     * LEAKTRACE_MAX_SIZE=0, or a sampled trace without a bound) it is not
     * kept. It is the writer's largest cost on a large heap: the python
     * workload's writer took 1.0 s of CPU with it, 0.35 s without.
     * Without memory for it the scan and the checkpoints are skipped,
     * tracing goes on. */
    if (liveset_wanted() && lt_liveset_enable() != 0)
        lt_log("out of memory for the live set; tracing without it");

    char text[1024];
    int tl = snprintf(text, sizeof text,
                      "format=leaktrace\nproducer=libleaktrace %s\nbyte_order=little\n"
                      "compression=zstd\nchunk_header=24\nclock=monotonic_ns_since_start\n"
                      "time_resolution_ns=%u\n"
                      "records=SEGMENT:1,FREE:3,NOP:5,FREE_BACK:6,ALLOC2:8,REALLOC2:9,FREE_BACK_S:10,FREE_S:11,REALLOC_S:12,"
                      "MALLOC_S:16-25,MALLOC_S_C1:26,MALLOC_S_CARVE1:27,FREE_RECENT:32-63,"
                      "STACK:128,MODULE:129,UNMODULE:130,PROCESS:131,END:132,MARK:133,WARN:134,TICK:135,"
                      "THREAD:136,REACH:137,REACHBLK:138,CKPT:139,LIVE:140,TOMB:141,CKPT_END:142\n"
                      "pid=%d\nmax_size=%llu\n",
                      LT_VERSION, (unsigned)LT_TIME_QUANTUM_NS, (int)getpid(), (unsigned long long)lt_cfg.max_size);
    unsigned char hdr[LT_FILE_FIXED_LEN];
    memcpy(hdr, LT_FILE_MAGIC, LT_FILE_MAGIC_LEN);
    lt_put_u16(hdr + 8, LT_FORMAT_MAJOR);
    lt_put_u16(hdr + 10, LT_FORMAT_MINOR);
    lt_put_u32(hdr + 12, (uint32_t)tl);
    int rc = write_all_at(hdr, sizeof hdr, 0);
    if (!rc) rc = write_all_at(text, (size_t)tl, sizeof hdr);
    data_start = wpos = sizeof hdr + (uint64_t)tl;
    if (rc) {
        lt_log("cannot write trace file '%s': %s; the program runs untraced", path, strerror(-rc));
        close(fd);
        fd = -1;
    } else if (lt_cfg.verbose) {
        lt_log("tracing into %s", path);
    }
    last_flush_ns = lt_now_ns();
    lt_busy_leave();
    return rc;
}

/* ---- side queue ----------------------------------------------------------- */

void lt_writer_side_record(unsigned tag, const void *payload, size_t len)
{
    pthread_mutex_lock(&side_mu);
    if (side_len + len + 16 > side_cap) {
        size_t nc = side_cap ? side_cap * 2 : 65536;
        while (nc < side_len + len + 16) nc *= 2;
        unsigned char *n = lt_mem_realloc(side, nc);
        if (!n) { pthread_mutex_unlock(&side_mu); return; }
        side = n;
        side_cap = nc;
    }
    side[side_len++] = (unsigned char)tag;
    side_len += lt_put_varint(side + side_len, len);
    memcpy(side + side_len, payload, len);
    side_len += len;
    pthread_mutex_unlock(&side_mu);
}

/* ---- chunks ---------------------------------------------------------------- */

/* Sets the context's level, searching deeper than the level does or not;
 * 0, or -1 when zstd refused (the context then has the level's own
 * search). */
static int set_level(int level, int deep)
{
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level))) return -1;
    /* 0: the level's own values */
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_strategy, deep ? DEEP_STRATEGY : 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_searchLog, deep ? DEEP_SEARCH_LOG : 0))) {
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_strategy, 0);
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_searchLog, 0);
        return -1;
    }
    return 0;
}

/* The level and search the auto level wants for the chunk about to be
 * compressed: 1 when they differ from the context's (*level, *deep set),
 * 0 when they do not or the choice is not the writer's to make. */
static _Atomic int deferred;   /* no writer thread (sampling mode; below) */

static int choose_level(int *level, int *deep)
{
    /* Not from a fatal signal's handler: a new level can make zstd resize
     * its workspace, which allocates. */
    if (lt_cfg.level != LT_LEVEL_AUTO || in_signal || !level_started) return 0;
    /* Only the writer thread's CPU counts as busy: when the program's
     * threads compress (sampling without a writer thread, the final
     * flush), their waits are what tells. */
    uint64_t busy = atomic_load_explicit(&writer_cpu_ns, memory_order_relaxed) -
                    atomic_load_explicit(&writer_idle_ns, memory_order_relaxed);
    uint64_t waited = atomic_load_explicit(&lt_ring_wait_ns, memory_order_relaxed) - startup_wait_ns;
    int tier = lt_level_tier(&level_state, lt_now_ns(), waited, busy);
    *level = tier == LT_TIER_FAST ? LEVEL_FAST : LEVEL_SMALL;
    /* Without a writer thread the program's own threads compress, and the
     * busy rule, which reads the writer thread's CPU, cannot see what the
     * deep search costs them: no deep search there. */
    *deep = tier == LT_TIER_DEEP && !atomic_load_explicit(&deferred, memory_order_relaxed);
    return *level != cur_level || *deep != cur_deep;
}

/* Before a chunk's first byte goes to zstd: whether it continues the
 * frame (frame_chunks above) or starts one, and at which level. */
static void chunk_frame(void)
{
    int level = cur_level, deep = cur_deep, change = choose_level(&level, &deep);
    /* In a ring (LEAKTRACE_MAX_SIZE) the oldest chunks are overwritten:
     * when no checkpoint survives (the live set is off or lost, or
     * checkpoints are larger than a third of the ring), a reader starts at
     * the oldest chunk left and loses the rest of its frame; shorter
     * frames bound that. */
    unsigned most = lt_cfg.max_size ? LT_FRAME_CHUNKS_RING : LT_FRAME_CHUNKS_MAX;
    if (frame_chunks && !change && frame_chunks < most && !(in_ckpt && ckpt_first)) return;
    frame_chunks = 0;
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
    if (change && set_level(level, deep) == 0) {
        cur_level = level;
        cur_deep = deep;
    }
}

/* Gives zstd all of in; ZSTD_e_flush also flushes what it holds,
 * ZSTD_e_end also ends the frame. 0, or -1 when
 * zstd failed or out is full (cannot happen: outputs are sized by
 * ZSTD_compressBound of their inputs). */
static int feed(ZSTD_CCtx *c, ZSTD_inBuffer *in, ZSTD_outBuffer *out, ZSTD_EndDirective mode)
{
    for (;;) {
        size_t r = ZSTD_compressStream2(c, out, in, mode);
        if (ZSTD_isError(r)) return -1;
        if (mode != ZSTD_e_continue ? r == 0 : in->pos == in->size) return 0;
        if (out->pos == out->size) return -1;
    }
}

/* Gives zstd what enc.buf holds beyond zfed (mode as in feed). 0, or -1
 * when zstd failed. */
static int compress_more(ZSTD_EndDirective mode)
{
    if (zfed == 0 && zlen == 0) chunk_frame();
    ZSTD_inBuffer in = { enc.buf, enc.len, zfed };
    ZSTD_outBuffer out = { zbuf, zcap, zlen };
    if (feed(cctx, &in, &out, mode) != 0) return -1;
    zfed = in.pos;
    zlen = out.pos;
    return 0;
}

/* Compresses what the chunk being built gained, in whole zstd blocks. */
static void compress_ahead(void)
{
    if (fd >= 0 && !enc.fields && enc.len - zfed >= FEED_STEP && compress_more(ZSTD_e_continue) != 0)
        frame_reset();   /* the whole chunk is compressed again at the flush */
}

static int fields_buffers(void)
{
    if (!fzbuf) {
        /* Address space for seven chunks; only what the streams use is
         * ever touched (about one chunk). The encoder writes a fields
         * chunk into them, and a trial splits its sample into them. */
        unsigned char *m = lt_mem_alloc((size_t)LT_FS_N * LT_RAW_CAP);
        fzcap = ZSTD_compressBound(LT_RAW_CAP + LT_FS_HDR_MAX);
        fzbuf = m ? lt_mem_alloc(fzcap) : NULL;
        if (!fzbuf) {
            if (m) lt_mem_free(m);
            return -1;
        }
        for (int s = 0; s < LT_FS_N; s++) fstreams.s[s] = enc.fs[s] = m + (size_t)s * LT_RAW_CAP;
    }
    return 0;
}

/* The next chunk begins, in the layout cur_fields says (records when the
 * streams have no memory, or in a signal handler, which does not allocate). */
static void chunk_begin(void)
{
    lt_enc_chunk(&enc, cur_fields && !in_signal && fields_buffers() == 0);
}

/* Puts the records of the chunk just built in enc.buf, up to the first
 * record boundary at or after byte want (SIZE_MAX: all): a fields chunk's
 * are gathered from its streams (a trial, a failed compression). Their
 * length, or -1 when that failed (cannot happen: the encoder wrote them). */
static ptrdiff_t chunk_records(size_t want)
{
    if (!enc.fields) return (ptrdiff_t)enc.len;
    lt_enc_streams(&enc, &fstreams);
    ptrdiff_t n = lt_fs_gather_streams(&fstreams, enc.buf, want);
    return want == SIZE_MAX && n != (ptrdiff_t)enc.len ? -1 : n;
}

/* Compresses fstreams (a split payload: header, then the streams) into
 * fzbuf with context c, the last stream with mode `last` (as in feed);
 * the compressed size, or 0 when zstd failed. The streams are fed in
 * turn: they need not be one buffer. */
static size_t compress_streams(ZSTD_CCtx *c, ZSTD_EndDirective last, size_t *raw_len)
{
    unsigned char h[LT_FS_HDR_MAX];
    size_t hl = lt_fs_header(&fstreams, h), total = hl;
    ZSTD_outBuffer out = { fzbuf, fzcap, 0 };
    for (int s = 0; s < LT_FS_N; s++) total += fstreams.len[s];
    for (int s = -1; s < LT_FS_N; s++) {
        ZSTD_inBuffer in = { s < 0 ? h : fstreams.s[s], s < 0 ? hl : fstreams.len[s], 0 };
        if (feed(c, &in, &out, s == LT_FS_N - 1 ? last : ZSTD_e_continue) != 0) return 0;
    }
    *raw_len = total;
    return out.pos;
}

/* The chunk being built in field streams, compressed into fzbuf: its
 * compressed size, or 0 when zstd failed. */
static size_t compress_fields(size_t *raw_len, ZSTD_EndDirective last)
{
    lt_enc_streams(&enc, &fstreams);
    chunk_frame();
    return compress_streams(cctx, last, raw_len);
}

/* Compresses the chunk being built in its layout (records when that
 * fails) and sets *payload, *z, *raw_len and the layout's flag in *flags.
 * 0, or -1 when zstd failed. */
static int compress_chunk(const unsigned char **payload, size_t *z, size_t *raw_len, uint32_t *flags, int *ended)
{
    /* The frame ends with the trace; otherwise each chunk ends with a
     * flush. Except without a writer thread (sampling mode): there the
     * program's own thread compresses, and a frame of unknown size gets
     * level 6's full tables (about 3.5 MiB, zeroed and touched for the
     * first time), where a whole frame of a small chunk given at once gets
     * tables sized to it: the 7 inline flushes of sampled sqlite took
     * 0.010 s instead of 0.002 s (sqlite 1.024x -> 1.040x, ab.sh, 11
     * runs), for a trace of 4.2 kB instead of 5.0 kB. deferred is read
     * once: another thread may start the writer thread meanwhile, and
     * *ended tells flush_chunk what this chunk did. */
    *ended = *flags & LT_CHUNK_F_FINAL || atomic_load_explicit(&deferred, memory_order_relaxed);
    ZSTD_EndDirective last = *ended ? ZSTD_e_end : ZSTD_e_flush;
    if (enc.fields) {
        if ((*z = compress_fields(raw_len, last)) != 0) {
            *payload = fzbuf;
            *flags |= LT_CHUNK_F_FIELDS;
            chunks_fields++;
            return 0;
        }
        frame_reset();   /* a fields frame may be half made: the records start their own */
        if (chunk_records(SIZE_MAX) < 0) return -1;
    }
    if (compress_more(last) != 0) return -1;
    *payload = zbuf;
    *z = zlen;
    *raw_len = enc.len;
    chunks_records++;
    return 0;
}

/* The trials' context, made at the first trial: level 1, one frame per
 * compression. NULL when out of memory. */
static ZSTD_CCtx *trial_ctx(void)
{
    if (!tctx) {
        ZSTD_customMem cm = { zalloc, zfree, NULL };
        tctx = ZSTD_createCCtx_advanced(cm);
        if (tctx && ZSTD_isError(ZSTD_CCtx_setParameter(tctx, ZSTD_c_compressionLevel, 1))) {
            ZSTD_freeCCtx(tctx);
            tctx = NULL;
        }
    }
    return tctx;
}

/* A trial (above) on the chunk just compressed, which the encoder still
 * holds. It has a context of its own: cctx holds the frame that goes on
 * in the next chunk. */
static void layout_trial(void)
{
    if (lt_cfg.layout != LT_LAYOUT_AUTO || in_ckpt || in_signal || enc.len < TRIAL_MIN || ++since_trial < trial_gap ||
        fields_buffers() != 0 || !trial_ctx())
        return;
    ptrdiff_t have = chunk_records(TRIAL_BYTES);
    if (have < 0) return;
    size_t used = lt_fs_split(enc.buf, (size_t)have, TRIAL_BYTES, &fstreams), raw;
    if (used == (size_t)-1 || ZSTD_isError(ZSTD_CCtx_reset(tctx, ZSTD_reset_session_only))) return;
    size_t zf = compress_streams(tctx, ZSTD_e_end, &raw);
    size_t zr = ZSTD_compress2(tctx, fzbuf, fzcap, enc.buf, used);
    if (!zf || ZSTD_isError(zr)) return;
    int fields = zf < zr;
    trials++;
    since_trial = 0;
    trial_gap = fields != cur_fields ? 1 : trial_gap * 2 > TRIAL_GAP_MAX ? TRIAL_GAP_MAX : trial_gap * 2;
    cur_fields = fields;
}

/* Nothing more can be written (no file, or it failed): the chunk's events
 * are dropped, so that the encoder always has room for what the drain
 * still takes from the rings (a backlog can be larger than a chunk). */
static void chunk_drop(void)
{
    frame_reset();
    lt_enc_chunk(&enc, 0);
}

static int lost_said;   /* trace_lost said it at the program's end */

/* The trace cannot go on, for reason why: one line on stderr. While the
 * program runs, tracing stops (lt_disable); at its end tracing is off
 * already, and the line says the trace ends early. Not from a fatal
 * signal's handler (the analyzer says the trace is incomplete). */
static void trace_lost(const char *why)
{
    if (atomic_load(&lt_state) == LT_ST_ACTIVE) {
        lt_disable(why);
    } else if (!lost_said && !in_signal) {
        lost_said = 1;
        lt_log("%s; the trace ends here, before the program's end", why);
    }
}

/* Gives up the trace file for reason why: closed, the chunk dropped, and
 * the one line said. */
static void stop_writing(const char *why)
{
    close_trace();
    chunk_drop();
    trace_lost(why);
}

static void flush_chunk(uint32_t flags)
{
    if (fd < 0) {
        chunk_drop();
        return;
    }
    if (enc.len == 0 && !flags) return;
    const unsigned char *payload;
    size_t z, raw_len;
    int ended;
    if (compress_chunk(&payload, &z, &raw_len, &flags, &ended) != 0) {
        stop_writing("zstd compression failed");
        return;
    }
    zfed = zlen = 0;
    if (in_ckpt && ckpt_first) { flags |= LT_CHUNK_F_CKPT_FIRST; ckpt_first = 0; }
    flags |= LT_CHUNK_F_STREAM | (frame_chunks ? LT_CHUNK_F_CONT : 0);
    /* header and check in one write */
    unsigned char h[LT_CHUNK_HDR_LEN + LT_CHUNK_CHECK_LEN];
    lt_chunk_hdr_pack(h, (uint32_t)(z + LT_CHUNK_CHECK_LEN), (uint32_t)raw_len, chunk_index++, flags);
    lt_put_u32(h + LT_CHUNK_HDR_LEN, lt_check32(payload, z));
    /* the frame ended with this chunk (ZSTD_e_end: the trace's last
     * chunk, or no writer thread) */
    frame_chunks = ended ? 0 : frame_chunks + 1;
    uint64_t total = sizeof h + (uint64_t)z;
    if (lt_cfg.max_size && wpos > data_start && wpos + total > data_start + lt_cfg.max_size) {
        /* Wrap: what lies beyond wpos is older than everything before
         * it and would be cut off from it by the chunks overwritten next;
         * drop it, so that the file holds one run of consecutive chunks. */
        if (fd_is_ours() == 0 && ftruncate(fd, (off_t)wpos) != 0) { /* harmless: the reader copes */ }
        wpos = data_start;
        wraps++;
        frame_chunks = 0;   /* a new frame: a reader of a ring without checkpoints starts near here */
    }
    if (fd_is_ours() < 0) {
        stop_writing("the trace file was closed or deleted and cannot be reopened");
        return;
    }
    if (cur_level == LEVEL_FAST) frames_fast++;
    else frames_small++;
    frames_deep += cur_deep;
    int rc = write_all_at(h, sizeof h, wpos);
    if (!rc) rc = write_all_at(payload, z, wpos + sizeof h);
    wpos += total;
    since_ckpt += total;
    if (rc) {
        char why[160];
        snprintf(why, sizeof why, "writing the trace failed (%s)", strerror(-rc));
        stop_writing(why);
        return;
    }
    /* After the write: a trial reuses the buffers the payload was in. */
    if (!(flags & LT_CHUNK_F_FINAL)) layout_trial();
    chunk_begin();
    last_flush_ns = lt_now_ns();
    if (!level_started) {
        level_started = 1;
        startup_wait_ns = atomic_load_explicit(&lt_ring_wait_ns, memory_order_relaxed);
    }
}

static void ensure_room(size_t need)
{
    if (enc.cap - enc.len < need) flush_chunk(0);
}


static int in_scan; /* the exit scan stopped the other threads: never wait for a lock */
/* Keeps a copy of a cold record for the checkpoints (best effort: out of
 * memory, a checkpoint lacks it and the analyzer says what it cannot name). */
static void archive_add(const unsigned char *rec, size_t n)
{
    unsigned tag = rec[0];
    if (tag != LT_REC_PROCESS && tag != LT_REC_MODULE && tag != LT_REC_UNMODULE) return;
    if (archive_len + n > archive_cap) {
        size_t nc = archive_cap ? archive_cap * 2 : 16384;
        while (nc < archive_len + n) nc *= 2;
        unsigned char *a = lt_mem_realloc(archive, nc);
        if (!a) return;
        archive = a;
        archive_cap = nc;
    }
    memcpy(archive + archive_len, rec, n);
    archive_len += n;
}

/* Notes a thread record (ring words) for the checkpoints. */
static void thr_note(const uint64_t *w)
{
    unsigned kind = LT_R_AUX(w[0]), nw = LT_R_NWORDS(w[0]);
    if (kind >= THR_KINDS || nw > THR_WORDS) return;
    size_t i = 0;
    while (i < nthr && thr[i].serial != w[1]) i++;
    if (i == nthr) {
        if (nthr == capthr) {
            size_t nc = capthr ? capthr * 2 : 64;
            thr_t *n = lt_mem_realloc(thr, nc * sizeof *n);
            if (!n) return;
            thr = n;
            capthr = nc;
        }
        memset(&thr[nthr], 0, sizeof thr[nthr]);
        thr[nthr++].serial = w[1];
    }
    thr_t *t = &thr[i];
    t->have |= (uint8_t)(1u << kind);
    memcpy(t->w[kind], w, nw * sizeof *w);
    int detached = (t->have & (1u << LT_THR_DETACH)) ||
                   ((t->have & (1u << LT_THR_CREATE)) && (t->w[LT_THR_CREATE][5] & 1));
    if (t->serial && (t->have & (1u << LT_THR_EXIT)) && ((t->have & (1u << LT_THR_JOIN)) || detached))
        thr[i] = thr[--nthr];   /* over: nothing more to say about it */
}

static void drain_side(void)
{
    if (in_signal || in_scan) {
        if (pthread_mutex_trylock(&side_mu) != 0) return;
    } else {
        pthread_mutex_lock(&side_mu);
    }
    size_t off = 0;
    while (off < side_len) {
        /* Side records are already encoded; copy whole records, splitting
         * across chunks only at record boundaries. */
        const unsigned char *p = side + off + 1, *end = side + side_len;
        uint64_t len;
        if (lt_get_varint(&p, end, &len)) break;
        size_t rec = (size_t)(p - (side + off)) + (size_t)len;
        ensure_room(rec);
        if (enc.cap - enc.len < rec) break; /* cannot happen: records are small */
        lt_enc_raw(&enc, side + off, rec);
        if (lt_cfg.max_size) archive_add(side + off, rec);
        off += rec;
    }
    side_len = 0;
    pthread_mutex_unlock(&side_mu);
}

/* Encodes one length-prefixed record straight into the chunk (writer
 * lock held): marks and samples, produced on the writer's side. */
static void emit_direct(unsigned tag, const unsigned char *payload, size_t len)
{
    ensure_room(len + 11);
    if (enc.cap - enc.len < len + 11) return;
    lt_enc_side(&enc, tag, payload, len);
}

/* Stacks sent since the last checkpoint (bitmap by id; NULL before the
 * first one). A STACK record goes out once, when the stack is first used;
 * in a ring it may be overwritten, so after a checkpoint a stack is sent
 * again before its first use unless the checkpoint carried it. */
static uint64_t *sent;
static uint32_t nsent;          /* bits in sent */
static uint64_t sent_sw[3 + LT_DEPTH_MAX];

/* Encodes the STACK record of stack id again (a checkpoint, or a stack
 * whose first record a ring may have overwritten); sw: 3 + LT_DEPTH_MAX
 * words of scratch. The caller leaves room for one record. */
static void send_stack(uint64_t id, uint64_t *sw)
{
    const lt_stack_ent_t *e = lt_stacks_get((uint32_t)id);
    if (!e) return;
    uint32_t depth = e->depth > LT_DEPTH_MAX ? LT_DEPTH_MAX : e->depth;
    sw[0] = LT_R_HDR(LT_R_STACK, 3 + depth, depth);
    sw[1] = e->id;
    sw[2] = e->gen;
    memcpy(&sw[3], e->ips, depth * sizeof e->ips[0]);
    lt_enc_ring_record(&enc, sw);
}

/* Makes the map hold bit id. 0, or -1 when out of memory. */
static int sent_room(uint64_t id)
{
    if (id < nsent) return 0;
    uint64_t bits = nsent;
    while (bits <= id) bits = bits ? bits * 2 : 4096;
    if (bits > (1ull << 32)) return -1;
    uint64_t *n = lt_mem_realloc(sent, (size_t)(bits / 64) * sizeof *n);
    if (!n) return -1;
    memset(n + nsent / 64, 0, (size_t)((bits - nsent) / 64) * sizeof *n);
    sent = n;
    nsent = (uint32_t)bits;
    return 0;
}

static void stack_before_use(uint64_t id)
{
    if (sent_room(id) || (sent[id / 64] >> (id % 64) & 1)) return;
    sent[id / 64] |= 1ull << (id % 64);
    send_stack(id, sent_sw);
}

static void track_stacks(const uint64_t *w)
{
    switch (LT_R_TYPE(w[0])) {
    case LT_R_STACK:   /* its first definition: goes out now */
        if (!sent_room(w[1])) sent[w[1] / 64] |= 1ull << (w[1] % 64);
        break;
    case LT_R_ALLOC: stack_before_use(w[5]); break;
    case LT_R_REALLOC: stack_before_use(w[7]); break;
    default: break;
    }
}

/* Whether thread u has no event under way and nothing left in its ring. */
static int quiet(const lt_thread_t *u)
{
    if (atomic_load_explicit(&u->inflight, memory_order_acquire)) return 0;
    return atomic_load_explicit(&u->head, memory_order_acquire) == atomic_load_explicit(&u->tail, memory_order_relaxed);
}

/* Whether every thread but t is quiet. Called after reading t's head: an
 * event of another thread older than one in t's ring took its sequence
 * number before that event did, so it is either in its ring already or
 * under way (lt_enter marks a thread before it takes a number, and on
 * x86-64 the locked add that takes it makes the mark visible first).
 * When every other thread is quiet, every event older than t's records
 * has been applied (liveset.h: their frees then need no tombstone). */
static int others_quiet(const lt_thread_t *t)
{
    static const lt_thread_t *busy;   /* the last one found busy: likely still is */
    if (busy && busy != t && !quiet(busy)) return 0;
    /* A program with many thread states (live or kept for reuse) is
     * assumed busy, so that a check per drain stays cheap: its frees leave
     * tombstones, which the next round retires. */
    unsigned n = 0;
    for (const lt_thread_t *u = atomic_load(&lt_threads); u; u = u->next) {
        if (++n > 64) return 0;
        if (u != t && !quiet(u)) { busy = u; return 0; }
    }
    busy = NULL;
    return 1;
}

/* Words of one thread's ring drained per round at most: a round ends
 * with the tombstones it can retire (see applied_below), so a ring that
 * grew to hold millions of events is taken in bites rather than with a
 * live set swollen by all their frees (mallocbench, 2 threads: 4.1 s of
 * writer CPU in one bite, 0.6 s in bites). */
#define DRAIN_BITE LT_RING_WORDS

static uint64_t drained_words;   /* words taken from all rings so far */

/* Drains t's ring, `bite` words at most. Returns 1 when words are left. */
static int drain_thread(lt_thread_t *t, uint64_t bite)
{
    uint64_t h = atomic_load_explicit(&t->head, memory_order_acquire);
    uint64_t tl = atomic_load_explicit(&t->tail, memory_order_relaxed);
    /* Read after head: a switch to a grown ring at a word before h is
     * seen (the owner stores switch_at before it publishes past it). */
    uint64_t sw = atomic_load_explicit(&t->switch_at, memory_order_acquire);
    if (tl == h) {
        if (sw && tl == sw) lt_ring_switch(t, !in_signal);
        return 0;
    }
    lt_liveset_in_order(others_quiet(t));
    uint64_t start = tl, stop = h - tl > bite ? tl + bite : h;
    int seg = 0;
    /* No prefetch of the live-set slots ahead of the records: it paid
     * before the table's hash kept neighbouring blocks together (writer
     * 3.85 -> 2.5 s on python), and since then it cost more than it saved
     * (mallocbench 5-11 % faster without it, python the same). */
    while (tl < stop) {
        if (LT_UNLIKELY(sw && tl == sw)) { lt_ring_switch(t, !in_signal); sw = 0; }
        /* Room for the record and a STACK record sent before it. */
        if (enc.cap - enc.len < 2 * LT_ENC_MAX_RECORD + 16 || (lt_cfg.max_size && enc.len >= chunk_soft)) { flush_chunk(0); seg = 0; }
        if (!seg || !enc.in_segment) { lt_enc_segment(&enc, (uint32_t)t->tid); seg = 1; }
        const uint64_t *w = &t->rd_ring[tl & t->rd_mask];
        /* Not when a fatal signal ends the process: the set may need tmem's
         * lock, which the thread that crashed may hold, and nothing reads
         * it after. */
        if (LT_LIKELY(!dying)) lt_liveset_apply(w, (uint32_t)t->tid);
        lt_r_seq(w, &t->wr_seq);
        if (lt_cfg.max_size && LT_R_TYPE(w[0]) == LT_R_THREAD) thr_note(w);
        if (sent) track_stacks(w);
        unsigned n = lt_enc_ring_record(&enc, w);
        if (n == 0) n = 1; /* a zero-length record would loop forever */
        tl += n;
    }
    if (sw && tl == sw) lt_ring_switch(t, !in_signal);
    drained_words += tl - start;
    atomic_store_explicit(&t->tail, tl, memory_order_release);
    return tl < h;
}

/* Threads whose TLS destructor ran are reclaimed once the kernel says the
 * thread is gone: no event can come from it after that. */
static void reap(lt_thread_t *t)
{
    if (!atomic_load_explicit(&t->exiting, memory_order_acquire)) return;
    if (syscall(SYS_tgkill, getpid(), t->tid, 0) == 0 || errno != ESRCH) return;
    drain_thread(t, UINT64_MAX);
    t->wr_stall_ns = 0;
    atomic_store(&t->exiting, 0);
    atomic_store(&t->state, LT_TS_FREE);
}

/* Every event numbered below applied_below has been applied to the live
 * set: its tombstones older than that can go (lt_liveset_retire). Worked
 * out at each drain round from the counter's value g read before it: a
 * thread found quiet after its drain (nothing under way, nothing left in
 * its ring) has no event below g left to come; any other thread has none
 * below the newest number taken from its ring, since a thread numbers its
 * events in the order they enter its ring. A thread seen under way for a
 * second without its ring moving (stopped in a debugger, or it left an
 * event half-made with longjmp) no longer holds the others back: should
 * its event still come, a block it allocated and another thread freed
 * would count as live. */
static uint64_t applied_below, prune_at_ns;

/* What thread t, just drained, still holds back: see above. */
static uint64_t thread_bound(lt_thread_t *t, uint64_t g)
{
    if (quiet(t)) { t->wr_stall_ns = 0; return g; }
    uint64_t h = atomic_load_explicit(&t->head, memory_order_acquire);
    uint64_t now = lt_now_ns();
    if (!t->wr_stall_ns || h != t->wr_stall_head || t->wr_seq != t->wr_stall_seq) {
        /* Under way, or moving: (re)start the clock. */
        t->wr_stall_head = h;
        t->wr_stall_seq = t->wr_seq;
        t->wr_stall_ns = now;
    } else if (now - t->wr_stall_ns > 1000000000ull) {
        return g;
    }
    return t->wr_seq + 1;
}

static void prune_liveset(void)
{
    lt_liveset_retire(applied_below);
    /* What is left (the tombstone queue could not grow): walk the table,
     * four times a second at most. */
    uint64_t now = lt_now_ns();
    if (now - prune_at_ns < 250000000ull) return;
    size_t nt = lt_liveset_tombstones();
    if (nt > 4096 && nt > lt_liveset_count()) {
        lt_liveset_prune(applied_below);
        prune_at_ns = now;
    }
}

/* One round over every thread's ring, `bite` words of each at most.
 * Returns 1 when words are left. */
static int drain_round(uint64_t bite)
{
    enc.tsc0 = lt_ts_tsc0;
    enc.ns_per_tick = lt_ts_calibrate();
    lt_marks_drain(emit_direct);
    drain_side();
    uint64_t g = atomic_load(&lt_seq.v), below = g;
    int more = 0;
    for (lt_thread_t *t = atomic_load(&lt_threads); t; t = t->next) {
        if (atomic_load_explicit(&t->state, memory_order_acquire) != LT_TS_LIVE) continue;
        more |= drain_thread(t, bite);
        reap(t);
        if (atomic_load_explicit(&t->state, memory_order_acquire) != LT_TS_LIVE) continue;
        uint64_t b = thread_bound(t, g);
        if (b < below) below = b;
    }
    if (below > applied_below) applied_below = below;
    if (!dying) prune_liveset();
    atomic_fetch_add(&sig.progress_word, 1);
    if (atomic_load(&sig.waiters)) futex(&sig.progress_word, FUTEX_WAKE, INT32_MAX, NULL);
    return more;
}

static void maybe_checkpoint(void);

/* Every ring, up to what it held when the round came to it: in bites,
 * with the ring's checkpoints in between (the final drain of buffers grown
 * to 8 MiB can write more than a 1 MiB ring holds: without them, it would
 * overwrite every checkpoint), until as many words as the rings held at
 * the start are drained (threads that go on making events do not keep it
 * going), then one round for what is left. */
static void drain_all(void)
{
    uint64_t backlog = 0, from = drained_words;
    for (lt_thread_t *t = atomic_load(&lt_threads); t; t = t->next)
        if (atomic_load_explicit(&t->state, memory_order_acquire) == LT_TS_LIVE)
            backlog += atomic_load_explicit(&t->head, memory_order_acquire) - atomic_load_explicit(&t->tail, memory_order_relaxed);
    int more = 1;
    while (more && drained_words - from < backlog) {
        more = drain_round(DRAIN_BITE);
        if (!in_signal) maybe_checkpoint();   /* a checkpoint allocates */
    }
    if (more) drain_round(UINT64_MAX);
}

/* ---- checkpoints (the ring) --------------------------------------------------- */

typedef struct ckpt {
    unsigned char live[65536], tomb[65536];
    size_t nl, nt;
    uint64_t *seen;               /* bitmap of stack ids already sent */
    uint32_t nseen;
    uint64_t blocks, tombs;
    uint64_t sw[3 + LT_DEPTH_MAX];
} ckpt_t;

static void ckpt_stack(ckpt_t *c, uint64_t id)
{
    if (id >= c->nseen || (c->seen[id / 64] >> (id % 64) & 1)) return;
    c->seen[id / 64] |= 1ull << (id % 64);
    ensure_room(LT_ENC_MAX_RECORD + 16);
    send_stack(id, c->sw);
}

static int ckpt_entry(const lt_live_t *e, void *arg)
{
    ckpt_t *c = arg;
    unsigned char *buf = e->freed ? c->tomb : c->live;
    size_t *n = e->freed ? &c->nt : &c->nl;
    if (*n + 64 > sizeof c->live) {
        emit_direct(e->freed ? LT_REC_TOMB : LT_REC_LIVE, buf, *n);
        *n = 0;
    }
    *n += lt_put_varint(buf + *n, e->addr);
    if (e->freed) {
        *n += lt_put_varint(buf + *n, e->seq);
        c->tombs++;
        return 0;
    }
    uint64_t ts = e->ts;
    if (enc.ns_per_tick > 0) ts = ts > enc.tsc0 ? (uint64_t)((double)(ts - enc.tsc0) * enc.ns_per_tick) : 0;
    *n += lt_put_varint(buf + *n, e->size);
    *n += lt_put_varint(buf + *n, e->stack);
    *n += lt_put_varint(buf + *n, ts);
    *n += lt_put_varint(buf + *n, e->seq);
    *n += lt_put_varint(buf + *n, e->tid);
    buf[(*n)++] = e->fn;
    c->blocks++;
    ckpt_stack(c, e->stack);
    return 0;
}

/* Writes a checkpoint (writer lock held, right after drain_all): the
 * chunk holding the events so far is closed first, so every event written
 * before the checkpoint is in its state and every event after it is not. */
static void checkpoint(void)
{
    ckpt_t *c = lt_mem_alloc(sizeof *c);
    uint32_t nst = lt_stacks_count();
    uint64_t *seen = lt_mem_alloc(((size_t)nst / 64 + 1) * sizeof *seen);
    if (!c || !seen) { lt_mem_free(c); lt_mem_free(seen); return; }
    c->seen = seen;
    c->nseen = nst;
    flush_chunk(0);
    if (fd < 0) { lt_mem_free(seen); lt_mem_free(c); return; }
    uint64_t start_bytes = since_ckpt, start_wraps = wraps, start_pos = wpos;
    in_ckpt = 1;
    ckpt_first = 1;
    ckpt_no++;
    /* Only tombstones an in-flight event could still need go into the
     * checkpoint (out-of-order frees leave them until pruned; see
     * prune_liveset). */
    lt_liveset_prune(applied_below);
    uint64_t nlive = lt_liveset_count(), ntomb = lt_liveset_tombstones();
    unsigned char rec[80], *p = rec;
    p += lt_put_varint(p, ckpt_no);
    p += lt_put_varint(p, atomic_load(&lt_seq.v));
    p += lt_put_varint(p, lt_now_ns());
    p += lt_put_varint(p, nlive);
    p += lt_put_varint(p, ntomb);
    p += lt_put_varint(p, lt_cfg.max_size);
    emit_direct(LT_REC_CKPT, rec, (size_t)(p - rec));
    /* The process, the module map, the threads. */
    for (size_t off = 0; off < archive_len;) {
        const unsigned char *q = archive + off + 1;
        uint64_t len;
        if (lt_get_varint(&q, archive + archive_len, &len)) break;
        size_t n = (size_t)(q - (archive + off)) + (size_t)len;
        ensure_room(n);
        if (enc.cap - enc.len < n) break;
        lt_enc_raw(&enc, archive + off, n);
        off += n;
    }
    for (size_t i = 0; i < nthr; i++)
        for (unsigned k = 0; k < THR_KINDS; k++) {
            if (!(thr[i].have & (1u << k))) continue;
            if (k == LT_THR_CREATE) ckpt_stack(c, thr[i].w[k][4]);
            ensure_room(LT_ENC_MAX_RECORD + 16);
            lt_enc_ring_record(&enc, thr[i].w[k]);
        }
    /* The heap. */
    lt_liveset_foreach(1, ckpt_entry, c);
    if (c->nl) emit_direct(LT_REC_LIVE, c->live, c->nl);
    if (c->nt) emit_direct(LT_REC_TOMB, c->tomb, c->nt);
    p = rec;
    p += lt_put_varint(p, ckpt_no);
    p += lt_put_varint(p, c->blocks);
    p += lt_put_varint(p, c->tombs);
    emit_direct(LT_REC_CKPT_END, rec, (size_t)(p - rec));
    flush_chunk(LT_CHUNK_F_CKPT_LAST);
    in_ckpt = 0;
    uint64_t size = since_ckpt - start_bytes;
    last_ckpt_bytes = size;
    since_ckpt = size;            /* the interval counts from the checkpoint's start */
    (void)start_wraps;
    (void)start_pos;
    if (!ckpt_warned && size > lt_cfg.max_size / 3) {
        ckpt_warned = 1;
        char msg[200];
        int n = snprintf(msg, sizeof msg, "LEAKTRACE_MAX_SIZE=%lluM is small for this heap: a checkpoint takes %llu KiB; "
                         "the ring keeps little beyond it (use a larger size)",
                         (unsigned long long)(lt_cfg.max_size >> 20), (unsigned long long)(size >> 10));
        lt_log("%s", msg);
        unsigned char w[256], *q = w;
        q += lt_put_varint(q, (uint64_t)n);
        memcpy(q, msg, (size_t)n);
        q += n;
        emit_direct(LT_REC_WARN, w, (size_t)(q - w));
    }
    /* From now on a stack the checkpoint did not carry is sent again
     * before its first use (stack_before_use). */
    lt_mem_free(sent);
    sent = seen;
    nsent = (uint32_t)((size_t)nst / 64 + 1) * 64;
    lt_mem_free(c);
}

static void maybe_checkpoint(void)
{
    if (!lt_cfg.max_size || fd < 0 || !lt_liveset_enabled() || lt_liveset_lost()) return;
    uint64_t every = lt_cfg.max_size / 8;
    if (every < 2 * last_ckpt_bytes) every = 2 * last_ckpt_bytes;
    if (since_ckpt >= every) checkpoint();
}

/* ---- the writer thread ------------------------------------------------------ */

/* The calling thread's CPU time, ns (0 if the clock fails). */
static uint64_t thread_cpu_ns(void)
{
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) != 0) return 0;
    return (uint64_t)cpu.tv_sec * 1000000000ull + (uint64_t)cpu.tv_nsec;
}

static void *writer_main(void *arg)
{
    (void)arg;
    lt_busy_enter(); /* anything libc allocates for us here is not traced */
    prctl(PR_SET_NAME, "leaktrace-wr", 0, 0, 0);
    atomic_store(&writer_tid, (int)syscall(SYS_gettid));
    lt_reach_note_writer((uint64_t)(uintptr_t)__builtin_frame_address(0));
    pthread_mutex_lock(&wlock);
    if (lt_cfg.level == LT_LEVEL_AUTO) lt_level_begin(&level_state, lt_now_ns(), 0);
    pthread_mutex_unlock(&wlock);
    uint32_t seen = atomic_load(&sig.kick_word);
    int more = 0;
    for (;;) {
        /* Sleeps only if nobody kicked since seen was read, before the
         * last round of work (a kick made while the writer was busy, so
         * without a wake-up call, is not lost), and that round left
         * nothing: no events, and no idle work unless another thread
         * wants the lock. */
        if (!more) {
            atomic_store(&sig.sleeping, 1);
            struct timespec ts = { 0, (long)(LT_FLUSH_NS / 2) };
            futex(&sig.kick_word, FUTEX_WAIT, seen, &ts);
            atomic_store(&sig.sleeping, 0);
        }
        seen = atomic_load(&sig.kick_word);
        pthread_mutex_lock(&wlock);
        if (finished || fd < 0) { pthread_mutex_unlock(&wlock); break; }
        more = drain_round(DRAIN_BITE);
        lt_marks_tick(lt_now_ns(), emit_direct);
        if (enc.len >= chunk_soft || lt_now_ns() - last_flush_ns >= LT_FLUSH_NS) flush_chunk(0);
        else compress_ahead();
        maybe_checkpoint();
        /* Rings drained: move the live set's growing table on (see
         * liveset.c), and come back without sleeping until it is done. */
        if (!more && !dying && lt_liveset_moving() && !atomic_load_explicit(&sig.lock_wanted, memory_order_relaxed)) {
            uint64_t t0 = thread_cpu_ns();
            if (lt_liveset_idle()) more = 1;
            atomic_fetch_add_explicit(&writer_idle_ns, thread_cpu_ns() - t0, memory_order_relaxed);
        }
        pthread_mutex_unlock(&wlock);
        atomic_store(&writer_cpu_ns, thread_cpu_ns());
    }
    atomic_store(&running, 0);
    atomic_fetch_add(&sig.progress_word, 1);
    futex(&sig.progress_word, FUTEX_WAKE, INT32_MAX, NULL);
    return NULL;
}

int lt_writer_start(void)
{
    if (fd < 0) return -EBADF;
    sigset_t all, old;
    sigfillset(&all);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* The writer must never run the program's signal handlers. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    atomic_store(&running, 1);
    lt_busy_enter();
    int rc = pthread_create(&writer_thread, &attr, writer_main, NULL);
    lt_busy_leave();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc) {
        atomic_store(&running, 0);
        lt_log("cannot start the writer thread (%s); writing synchronously", strerror(rc));
    }
    return -rc;
}

/* Sampling mode (lt_writer_defer): a process whose only thread is the
 * program's runs glibc's single-thread malloc, without the arena lock. The
 * writer's thread would take that from every malloc and free of the
 * program for a few hundred events, so until the process has a second
 * thread, or its events come faster than the program's thread drains them,
 * the program's thread writes them itself, when it records a sample.
 * deferred is 1 until the writer thread starts. */
static _Atomic int deferred;
static _Atomic int start_failed;   /* the thread could not start: never tried again */
static _Atomic uint64_t inline_flush_ns;                  /* the last write from a program's thread */
static _Atomic uint64_t inline_flushes, inline_flush_ns_sum; /* for LEAKTRACE_VERBOSE */
static void flush_from_program(int tick);

/* glibc 2.32 and later: 0 once the process has had a second thread. Weak,
 * so that an older C library only loses the check, not the build. */
extern char __libc_single_threaded __attribute__((weak));

static int multi_threaded(void) { return &__libc_single_threaded && !__libc_single_threaded; }

void lt_writer_defer(void)
{
    atomic_store(&inline_flush_ns, lt_now_ns());
    atomic_store(&deferred, 1);
    /* Threads made before the tracer's constructor ran, or made without the
     * pthread_create symbol (C11 thrd_create): glibc is already
     * multi-threaded, and there is nothing to gain. */
    if (multi_threaded()) lt_writer_start_deferred();
}

void lt_writer_start_deferred(void)
{
    int one = 1;
    if (atomic_load_explicit(&deferred, memory_order_relaxed) && !atomic_load(&start_failed) &&
        getpid() == lt_pid && atomic_compare_exchange_strong(&deferred, &one, 0) && lt_writer_start() != 0) {
        /* No thread after all (said once, by lt_writer_start): go on
         * writing from the program's threads. */
        atomic_store(&start_failed, 1);
        atomic_store(&deferred, 1);
    }
}

void lt_writer_poll_deferred(void)
{
    if (!atomic_load_explicit(&deferred, memory_order_relaxed)) return;
    uint64_t now = lt_now_ns(), last = atomic_load_explicit(&inline_flush_ns, memory_order_relaxed);
    if (now - last < LT_FLUSH_NS || !atomic_compare_exchange_strong(&inline_flush_ns, &last, now)) return;
    if (getpid() != lt_pid) return; /* a vfork child: the file is its parent's */
    if (multi_threaded()) {
        lt_writer_start_deferred();   /* once: after a failure, deferred stays 1 */
        if (!atomic_load(&deferred)) return;
    }
    lt_busy_enter(); /* what the encoder and zstd allocate is not traced */
    flush_from_program(1);
    lt_busy_leave();
    atomic_fetch_add(&inline_flushes, 1);
    atomic_fetch_add(&inline_flush_ns_sum, lt_now_ns() - now);
}

int lt_writer_running(void) { return atomic_load(&running); }

int lt_writer_tid(void)
{
    /* A process that exits at once may not have let the writer run yet:
     * give it up to 20 ms to say who it is (it takes no lock for that);
     * after that it is counted as a thread the scan could not stop (its
     * stack, holding nothing yet, is scanned whole). */
    for (int i = 0; i < 200 && atomic_load(&running) && !atomic_load(&writer_tid); i++) {
        struct timespec t = { 0, 100 * 1000 };
        nanosleep(&t, NULL);
    }
    return atomic_load(&running) ? atomic_load(&writer_tid) : 0;
}

void lt_writer_kick(void)
{
    if (!atomic_load_explicit(&running, memory_order_relaxed)) return;
    atomic_fetch_add(&sig.kick_word, 1);
    if (atomic_load(&sig.sleeping)) futex(&sig.kick_word, FUTEX_WAKE, 1, NULL);
}

uint32_t lt_writer_progress(void) { return atomic_load(&sig.progress_word); }

int lt_writer_wait_progress_from(uint32_t seen)
{
    if (!atomic_load(&running)) return -1;
    atomic_fetch_add(&sig.waiters, 1);
    struct timespec ts = { 0, 2 * 1000 * 1000 };
    futex(&sig.progress_word, FUTEX_WAIT, seen, &ts);
    atomic_fetch_sub(&sig.waiters, 1);
    return 0;
}

int lt_writer_wait_progress(void) { return lt_writer_wait_progress_from(atomic_load(&sig.progress_word)); }

/* Takes the writer lock from a thread other than the writer's, which then
 * puts off its idle work (sig.lock_wanted). */
static void lock_wlock(void)
{
    atomic_fetch_add(&sig.lock_wanted, 1);
    pthread_mutex_lock(&wlock);
    atomic_fetch_sub(&sig.lock_wanted, 1);
}

/* tick: also the periodic sample (LEAKTRACE_INTERVAL) the writer thread
 * would take, for a program that has none (lt_writer_poll_deferred). */
static void flush_from_program(int tick)
{
    /* The program's signals wait while its thread holds the lock: a
     * handler that exits, execs or forks would take the lock this very
     * thread holds (the writer thread has every signal blocked). Signals
     * the kernel delivers even when blocked (a crash, a seccomp trap) are
     * left alone: blocked, they would kill the program. From a hook
     * (tick), a handler may have interrupted a flush before the mask was
     * set: the lock is taken, and it returns instead of waiting. */
    sigset_t block, old;
    sigfillset(&block);
    static const int through[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };
    for (size_t i = 0; i < sizeof through / sizeof *through; i++) sigdelset(&block, through[i]);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    if (tick) {
        if (pthread_mutex_trylock(&wlock) != 0) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            return;
        }
    } else {
        lock_wlock();
    }
    if (!finished && fd >= 0) {
        drain_all();
        if (tick) lt_marks_tick(lt_now_ns(), emit_direct);
        flush_chunk(0);
        maybe_checkpoint();   /* no writer thread: the ring still needs them */
    }
    pthread_mutex_unlock(&wlock);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void lt_writer_flush_sync(void) { flush_from_program(0); }

/* Takes the writer lock from a signal handler: the lock may be held by the
 * writer for a moment, or by this very thread (then give up, never
 * deadlock). Returns 1 when taken. */
static int lock_from_signal(void)
{
    atomic_fetch_add(&sig.lock_wanted, 1);
    int got = 0;
    for (int i = 0; i < 200 && !got; i++) {
        if (pthread_mutex_trylock(&wlock) == 0) got = 1;
        else nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    }
    atomic_fetch_sub(&sig.lock_wanted, 1);
    return got;
}

void lt_writer_flush_signal(void)
{
    if (!lock_from_signal()) return;
    /* The program goes on after its handler: the live set must take every
     * event, and it may need tmem's lock, which the interrupted thread may
     * hold. Then the flush waits for a later signal or the writer. */
    if (!finished && fd >= 0 && !lt_mem_busy()) {
        in_signal = 1;
        drain_all();
        flush_chunk(0);
        in_signal = 0;
    }
    pthread_mutex_unlock(&wlock);
}

/* Other threads may be in the middle of an event (sequence number taken,
 * record not yet in their ring) when the trace ends: an exit() racing with
 * allocating threads. Waits until each one is outside the tracer at least
 * once, at most 200 ms in all (a thread descheduled longer, or blocked,
 * leaves a sequence gap, as before). The rings were just drained, so an
 * event waiting for room finds it. */
static void wait_inflight(void)
{
    const uint64_t limit = lt_now_ns() + 200000000ull;
    lt_thread_t *self = lt_tls_thr;
    for (lt_thread_t *t = atomic_load(&lt_threads); t; t = t->next) {
        if (t == self || atomic_load_explicit(&t->state, memory_order_acquire) != LT_TS_LIVE) continue;
        for (unsigned spins = 0; atomic_load_explicit(&t->inflight, memory_order_acquire); spins++) {
            if (lt_now_ns() > limit) return;
            if (spins < 64) { __builtin_ia32_pause(); continue; }
            struct timespec ts = { 0, 100000 };
            nanosleep(&ts, NULL);
        }
    }
}

void lt_writer_finish(int how, int status)
{
    if (how == LT_END_SIGNAL) {
        if (!lock_from_signal()) return;
        in_signal = 1;
        dying = 1;
    } else {
        lock_wlock();
    }
    if (!finished && fd >= 0) {
        /* The program's end: the scan below is the tracer's time, not the
         * program's (durations and timelines end here). */
        uint64_t end_ts = lt_now_ns();
        drain_all();
        /* (fd < 0: the file was lost in the drain; nothing could be written.) */
        int scan = how == LT_END_EXIT && lt_exit_scan_on() && fd >= 0;
        /* exec: the threads run on; a fatal signal: no waiting; the scan:
         * tracing stays on while it stops the threads, each outside an
         * event (reach.c), which leaves no gap either: waiting here for
         * threads that keep allocating (their rings filling, since we hold
         * the writer's lock) would only cost its full timeout. */
        if (how != LT_END_SIGNAL && how != LT_END_EXEC && !scan) {
            wait_inflight();
            drain_all();
        }
        /* The scan's records and END start a zstd frame of their own: a
         * chunk damaged on disk before them cannot take them with it. */
        flush_chunk(0);
        frame_chunks = 0;
        if (scan) {
            lt_reach_result_t res;
            in_scan = 1;
            lt_reach_at_exit(drain_all, emit_direct, &res);
            in_scan = 0;
            if (lt_cfg.verbose)
                lt_log("reachability scan: %llu blocks, %llu KiB of roots, %llu KiB of heap, %.1f ms (%.1f ms CPU), "
                       "%llu threads stopped, %llu not; definitely lost %llu blocks, indirectly %llu, possibly %llu, reachable %llu",
                       (unsigned long long)res.blocks, (unsigned long long)res.root_bytes / 1024,
                       (unsigned long long)res.heap_bytes / 1024, (double)res.time_ns / 1e6, (double)res.cpu_ns / 1e6,
                       (unsigned long long)res.threads_stopped, (unsigned long long)res.threads_not_stopped,
                       (unsigned long long)res.kind_blocks[3], (unsigned long long)res.kind_blocks[2],
                       (unsigned long long)res.kind_blocks[1], (unsigned long long)res.kind_blocks[0]);
        } else if (how != LT_END_EXEC && fd >= 0) {
            /* A sampled trace's live set holds only the sampled blocks: a
             * pointer through an unsampled one would be missed and its
             * targets called lost. */
            lt_reach_not_run(emit_direct, how != LT_END_EXIT ? LT_SCAN_NOT_AT_EXIT :
                                          lt_cfg.scan ? LT_SCAN_SAMPLED : LT_SCAN_DISABLED, how);
        }
        unsigned char rec[64], *p = rec;
        p += lt_put_varint(p, (uint64_t)how);
        p += lt_put_varint(p, lt_zigzag(status));
        p += lt_put_varint(p, end_ts);
        p += lt_put_varint(p, atomic_load(&lt_seq.v));
        p += lt_put_varint(p, 0);
        ensure_room((size_t)(p - rec) + 16);
        lt_enc_side(&enc, LT_REC_END, rec, (size_t)(p - rec));
        flush_chunk(LT_CHUNK_F_FINAL);
        if (lt_cfg.verbose && !in_signal) {
            if (!liveset_wanted())
                lt_log("live set: not kept (no exit scan, no ring: LEAKTRACE_SCAN=0 or sampling, and LEAKTRACE_MAX_SIZE=0)");
            else if (!lt_liveset_enabled() && !lt_liveset_lost())
                lt_log("live set: none (out of memory at the start)");
            else
                lt_log("at the end: %zu blocks (%llu bytes) live, live set %zu KiB%s", lt_liveset_count(),
                       (unsigned long long)lt_liveset_bytes(), lt_liveset_memory() / 1024,
                       lt_liveset_lost() ? " (gave up: out of memory)" : "");
            /* The writer's cost, and whether it kept up: a program that
             * waited long for it runs slower than the tracer has to. */
            if (lt_cfg.level == LT_LEVEL_AUTO)
                lt_log("compression: %llu chunks at zstd level %d, %llu at level %d (the writer was busy, or the program waited for it); "
                       "%llu of the level %d chunks searched deeper (the writer had time)",
                       (unsigned long long)frames_small, LEVEL_SMALL, (unsigned long long)frames_fast, LEVEL_FAST,
                       (unsigned long long)frames_deep, LEVEL_SMALL);
            lt_log("layout: %llu chunks of records, %llu of field streams (%llu trials: a sample compressed both ways)",
                   (unsigned long long)chunks_records, (unsigned long long)chunks_fields, (unsigned long long)trials);
            if (atomic_load(&deferred))
                lt_log("no writer thread (sampling mode): the program's threads wrote the trace %llu times, %.3f s in all",
                       (unsigned long long)atomic_load(&inline_flushes), (double)atomic_load(&inline_flush_ns_sum) / 1e9);
            else
                lt_log("writer thread: %.3f s CPU; the program waited for it %llu times, %.3f s in all; largest event buffer %llu KiB",
                       (double)atomic_load(&writer_cpu_ns) / 1e9,
                       (unsigned long long)atomic_load(&lt_ring_waits), (double)atomic_load(&lt_ring_wait_ns) / 1e9,
                       (unsigned long long)(atomic_load(&lt_ring_max_words) * 8 / 1024));
        }
        if (how != LT_END_EXEC) {
            finished = 1;
            close_trace();
        }
    }
    pthread_mutex_unlock(&wlock);
}

/* ---- fork ---------------------------------------------------------------------- */

void lt_writer_fork_prepare(void)
{
    lock_wlock();
    pthread_mutex_lock(&side_mu);
}

void lt_writer_fork_parent(void)
{
    pthread_mutex_unlock(&side_mu);
    pthread_mutex_unlock(&wlock);
}

void lt_writer_fork_child(void)
{
    /* The writer thread does not exist here. The parent's file and queued
     * records belong to the parent; the child starts its own trace. */
    pthread_mutex_init(&wlock, NULL);
    pthread_mutex_init(&side_mu, NULL);
    close_trace();
    side_len = 0;
    lost_said = 0;
    lt_enc_chunk(&enc, 0);   /* lt_writer_open begins the child's first chunk */
    frame_reset();
    lt_liveset_clear();
    sent = NULL;   /* the child's trace starts without checkpoints (its memory is the parent's copy) */
    nsent = 0;
    applied_below = prune_at_ns = 0;
    /* The child's clock starts again at 0 and its writer is its own: the
     * auto level and the verbose counts start afresh (the rings' wait
     * counts, which the level also reads, are reset with the rings in
     * tracer.c). */
    memset(&level_state, 0, sizeof level_state);
    level_started = 0;
    startup_wait_ns = 0;
    /* and its first chunk is not at the parent's level of the moment */
    if (lt_cfg.level == LT_LEVEL_AUTO && cctx && (cur_level != LEVEL_SMALL || cur_deep)) {
        if (set_level(LEVEL_SMALL, 0) == 0) {
            cur_level = LEVEL_SMALL;
            cur_deep = 0;
        }
    }
    atomic_store(&writer_cpu_ns, 0);
    atomic_store(&writer_idle_ns, 0);
    frames_small = frames_fast = frames_deep = 0;
    chunks_records = chunks_fields = trials = 0;
    dying = 0;
    atomic_store(&deferred, 0);
    atomic_store(&running, 0);
    atomic_store(&sig.sleeping, 0);
    atomic_store(&sig.waiters, 0);
    atomic_store(&sig.lock_wanted, 0);   /* threads that wanted the lock are the parent's */
}
