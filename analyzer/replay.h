/*
 * replay.h - replays a decoded trace in sequence order and keeps what the
 * reports need: totals, per-stack statistics, the live set, the stacks,
 * the module map and the process metadata. Memory is bounded by the live
 * set, the stack table and the reorder window, not by the trace length.
 */
#ifndef LT_REPLAY_H
#define LT_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "error.h"
#include "model.h"

#define LT_STACK_NONE UINT32_MAX   /* the tracer could not record the stack */

typedef struct lt_stack_stats {
    uint64_t allocs, frees;
    uint64_t bytes_alloc;
    uint64_t live_blocks, live_bytes;
} lt_stack_stats_t;

typedef struct lt_stack {
    uint64_t *ips;                 /* NULL until its STACK record was read */
    uint32_t depth, gen;
    lt_stack_stats_t st;
} lt_stack_t;

typedef struct lt_process {
    long long pid, ppid;
    char *exe;
    char **argv;                   /* NULL-terminated */
    size_t argc;
    long long start_realtime_ns;
    long long page_size;
    int depth;                     /* the tracer's depth limit */
    char *version;
    int forked;                    /* 1: the process is a fork child */
    uint64_t sample_rate;          /* LEAKTRACE_SAMPLE: mean bytes between samples; 0 = everything recorded */
    char *tracer;                  /* the tracer library's path (its MODULE record's); NULL in older traces */
} lt_process_t;

/* Sampling mode: the estimate one recorded block of size bytes stands for,
 * weighted as pprof does by w = 1 / (1 - exp(-size / rate)), the inverse of
 * its probability of being sampled: *bytes = size * w rounded, *count = w
 * rounded up or down at random (keyed by seq, so the same block always gets
 * the same count) so that counts are unbiased too. rate 0: size and 1.
 * Pure. Every figure a replay adds up (per stack, totals, peak, marks,
 * ticks, series, live sites) is made of these when the trace is sampled. */
void lt_sample_weight(uint64_t rate, uint64_t size, uint64_t seq, uint64_t *bytes, uint64_t *count);

typedef struct lt_totals {
    uint64_t allocations, frees, bytes_allocated;
    uint64_t live_blocks, live_bytes;
    uint64_t peak_bytes, peak_ts, peak_seq;
} lt_totals_t;

/* A named moment recorded by the program (leaktrace_mark) or a signal. */
typedef struct lt_mark {
    uint64_t seq, ts;
    uint32_t tid;
    char *label;
    lt_totals_t tot;               /* the heap totals when it was reached */
} lt_mark_t;

/* The writer's periodic sample, with the heap totals replayed to it. */
typedef struct lt_tick {
    uint64_t seq, ts;
    uint64_t threads, rss;         /* as recorded by the tracer */
    uint64_t live_bytes, live_blocks, allocations, bytes_allocated;  /* replayed */
} lt_tick_t;

/* A thread created through pthread_create, by serial number (1, 2, ...;
 * the main thread, serial 0, is not in the table). What was not seen is 0
 * with its have_ flag clear. */
typedef struct lt_thread_info {
    uint64_t serial;
    int have_create, have_start, have_end, have_join, have_detach;
    uint32_t creator_tid, tid, joiner_tid;
    uint64_t creator_serial, joiner_serial;
    uint32_t stack;                /* creation stack id (LT_STACK_NONE: unknown) */
    uint64_t start_fn;             /* the start routine's address */
    int detached_at_create;        /* created with PTHREAD_CREATE_DETACHED */
    uint64_t create_ts, start_ts, end_ts, join_ts, detach_ts;
    int end_how;                   /* LT_THR_HOW_* */
    char name[16];                 /* pthread_setname_np, "" when never set */
} lt_thread_info_t;

/* Time series of live memory (lt_replay_enable_series): the run is cut in
 * slices of slice_ns; slice i covers [origin + i * slice_ns, origin + (i + 1) * slice_ns) of
 * tracer time. When the slices reach 2 * max_slices, neighbours merge and
 * slice_ns doubles, so a run of any length keeps max_slices to
 * 2 * max_slices of them. Per stack, only changes are stored: a point says
 * "at the end of slice `slice`, this stack had bytes/blocks live", valid
 * until its next point. */
typedef struct lt_spoint {
    uint32_t slice, blocks;
    uint64_t bytes;
} lt_spoint_t;

typedef struct lt_sstack {
    lt_spoint_t *pts;
    uint32_t n, cap;
    int dirty;
} lt_sstack_t;

typedef struct lt_series {
    uint64_t slice_ns;
    uint64_t origin_ns;            /* slice 0 starts here: a ring's window start (docs/ring.md), else 0 */
    size_t nslices;                /* slices closed; the last may be partial at the end */
    size_t max_slices;
    uint64_t *tot_bytes, *tot_blocks, *threads;   /* dense, per slice: at its end */
    size_t cap;
    lt_sstack_t *st;               /* by stack id, nst of them */
    size_t nst;
    lt_sstack_t none;              /* LT_STACK_NONE */
    uint32_t *dirty;               /* stack ids changed in the open slice */
    size_t ndirty, capdirty;
    uint64_t cur_threads;
} lt_series_t;

/* The value of a stack's series at slice i (0 before its first point). */
void lt_series_at(const lt_sstack_t *s, size_t i, uint64_t *bytes, uint64_t *blocks);

/* A moment of the run at which to take a snapshot of the heap. */
typedef struct lt_moment {
    int kind;                      /* LT_MOMENT_END, _TIME, _MARK or _SEQ (model.h) */
    uint64_t ts;                   /* TIME: ns since the tracer started */
    const char *label;             /* MARK: the first mark with this label */
    uint64_t seq;                  /* SEQ: right after the event with this number */
} lt_moment_t;

/* What the heap was at the moment: per-stack statistics as they were
 * (index = stack id; stacks defined later have none), the totals. */
typedef struct lt_snapshot {
    int reached;                   /* 0: the trace ended first (then it is the end state) */
    uint64_t seq, ts;              /* the moment: after events < seq, at time ts */
    lt_stack_stats_t *st;          /* st[id] for id < nst */
    size_t nst;
    lt_stack_stats_t none_st;
    lt_totals_t tot;
    uint64_t threads;              /* from the last tick before the moment (0: none) */
} lt_snapshot_t;

/* The exit-time reachability scan (LT_REC_REACH), when the trace has one. */
typedef struct lt_reach_summary {
    int have;                      /* a REACH record was read */
    unsigned status;               /* LT_SCAN_* */
    int how;                       /* LT_END_* the process ended with */
    uint64_t blocks, root_bytes, heap_bytes, time_ns;
    uint64_t threads_stopped, threads_not_stopped;
    uint64_t kind_blocks[4], kind_bytes[4];   /* as the tracer counted them, by LT_KIND_* */
} lt_reach_summary_t;

typedef struct lt_replay {
    lt_process_t proc;
    lt_reach_summary_t reach;
    int have_process;
    /* How the trace ended. */
    int complete;                  /* an END record closed it */
    int end_how, end_status;       /* LT_END_* and its status, when complete */
    uint64_t end_ts, last_ts;
    int cut_short;                 /* the file ends inside a chunk */
    char cut_msg[512];
    /* Flight-recorder ring (docs/ring.md). */
    int wrapped;                   /* the oldest data was overwritten */
    int from_checkpoint;           /* the replay started from a checkpoint */
    uint64_t window_ts;            /* from_checkpoint: its time (ns since start) */
    uint64_t window_seq;           /* from_checkpoint: its base sequence number */
    uint64_t ckpt_blocks, ckpt_bytes; /* blocks live at the checkpoint (allocated before the window) */
    uint64_t ring_max_size;        /* LEAKTRACE_MAX_SIZE of the run (0: unknown/unbounded) */
    uint64_t damaged;              /* damaged chunks or holes skipped: data lost */
    char damaged_msg[512];         /* the first of them */
    lt_totals_t tot;
    /* Oddities counted, reported as warnings. */
    uint64_t unknown_frees;        /* frees of blocks the trace never saw allocated */
    uint64_t replaced;             /* allocations of an address still live (missed free) */
    uint64_t seq_gaps;             /* sequence numbers never seen */
    uint64_t undefined_stacks;     /* stacks used but never defined */
    uint64_t events;
    /* Tables. */
    lt_stack_t *stacks;
    size_t nstacks;                /* ids 0..nstacks-1 */
    lt_stack_t none_stack;         /* events with LT_STACK_NONE */
    lt_module_t *mods;
    size_t nmods;
    lt_mark_t *marks;              /* in sequence order */
    size_t nmarks;
    lt_tick_t *ticks;              /* in sequence order */
    size_t nticks;
    lt_thread_info_t *threads;     /* threads[serial - 1], serial 1..nthreads */
    size_t nthreads;
    char main_name[16];            /* the main thread's name, if it set one */
    lt_snapshot_t snap;            /* with lt_replay_set_moment */
    lt_series_t *series;           /* with lt_replay_enable_series */
    struct lt_replay_priv *priv;
} lt_replay_t;

/* Reads the whole trace at path and replays it. On success returns 0 and
 * *out (free with lt_replay_free). A trace cut short is a success with
 * complete = 0 and cut_short = 1. Errors: those of lt_file_open, and
 * LT_E_CORRUPT / LT_E_NOMEM while reading (then *out is NULL). */
int lt_replay_file(const char *path, lt_replay_t **out, lt_err_t *err);

/* As lt_replay_file, and takes a snapshot of the heap at moment m (NULL or
 * kind END: no snapshot). A TIME or SEQ moment beyond the end of the trace
 * gives the end state with snap.reached = 0. A MARK label that the trace
 * does not have is an error, LT_E_USAGE, naming the labels it has. */
int lt_replay_file_at(const char *path, const lt_moment_t *m, lt_replay_t **out, lt_err_t *err);

/* Lower level, for tests: feed records one by one, then finish. */
lt_replay_t *lt_replay_new(void);
/* Before the first record: record time series of live memory, with slices
 * of at least min_slice_ns and at most 2 * max_slices of them. 0 or
 * -LT_E_NOMEM. */
int lt_replay_enable_series(lt_replay_t *rp, uint64_t min_slice_ns, size_t max_slices);
/* As lt_replay_file_at, with series enabled as above. */
int lt_replay_file_series(const char *path, uint64_t min_slice_ns, size_t max_slices, lt_replay_t **out, lt_err_t *err);
/* Before the first record: take a snapshot at m (copied; label too). */
int lt_replay_set_moment(lt_replay_t *rp, const lt_moment_t *m);
int lt_replay_record(lt_replay_t *rp, const lt_rec_t *r, lt_err_t *err);
void lt_replay_finish(lt_replay_t *rp);

/* Per-test attribution. A mark hook is called for every mark as the
 * replay reaches it, in sequence order, with the heap exactly as it is at
 * the mark: every event numbered below mk->seq applied, none above
 * (mk->tot is filled). Stacks may not be defined yet at that point (their
 * STACK records can come later in the file): keep stack ids, symbolize
 * after lt_replay_finish. */
typedef void (*lt_mark_hook_fn)(void *ctx, const lt_replay_t *rp, const lt_mark_t *mk);
/* Before the first record (fn NULL: none). */
void lt_replay_set_mark_hook(lt_replay_t *rp, lt_mark_hook_fn fn, void *ctx);
/* As lt_replay_file_series (max_slices 0: no series), with a mark hook. */
int lt_replay_file_hooked(const char *path, uint64_t min_slice_ns, size_t max_slices, lt_mark_hook_fn fn, void *ctx,
                          lt_replay_t **out, lt_err_t *err);

/* Live blocks of one allocation stack. */
typedef struct lt_live_site {
    uint32_t stack;                /* stack id, or LT_STACK_NONE */
    uint64_t bytes, blocks;
} lt_live_site_t;

/* The blocks live now (in a mark hook: at that mark; after
 * lt_replay_finish: at the end) that were allocated by an event numbered
 * above since_seq (a realloc's block: by its allocation half), summed per
 * stack id, in no particular order. *out is malloc'd (NULL when *n is 0).
 * Costs one pass over the live set. Returns 0 or -LT_E_NOMEM. */
int lt_replay_live_since(const lt_replay_t *rp, uint64_t since_seq, lt_live_site_t **out, size_t *n);

/* Calls fn for every live block (address, size, stack id, allocation ts). */
void lt_replay_each_live(const lt_replay_t *rp,
                         void (*fn)(void *ctx, uint64_t addr, uint64_t size, uint32_t stack, uint64_t ts),
                         void *ctx);
/* The reachability kind (LT_KIND_*) the exit scan gave the block at
 * addr, with *indirect (may be NULL) the bytes its clique holds when it is
 * definitely lost; -1 when the trace has no kind for it (no scan, or a
 * block the scan did not see). After lt_replay_finish. */
int lt_replay_block_kind(const lt_replay_t *rp, uint64_t addr, uint64_t *indirect);
/* 1 when the trace holds the kinds of the blocks live at the end (the
 * scan ran). */
int lt_replay_has_kinds(const lt_replay_t *rp);

/* The stack with this id, or the "none" stack for LT_STACK_NONE / unknown ids. */
const lt_stack_t *lt_replay_stack(const lt_replay_t *rp, uint32_t id);

void lt_replay_free(lt_replay_t *rp);

#endif
