/*
 * threads.h - thread-leak alerts, goleak style, from the thread table of a
 * replayed trace: threads still running when the process ended, joinable
 * threads that finished but were never joined nor detached, and creation
 * sites whose number of live threads keeps rising. Computation only;
 * rendered by output_threads.c.
 */
#ifndef LT_THREADS_H
#define LT_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "replay.h"
#include "symbolize.h"

enum { LT_TALERT_RUNNING_AT_EXIT = 0, LT_TALERT_NEVER_JOINED, LT_TALERT_GROWING };

#define LT_TALERT_EXAMPLES 5

typedef struct lt_thread_alert {
    int kind;                      /* LT_TALERT_* */
    size_t count;                  /* threads (growing: live at the end of the run) */
    const char *start_function;    /* symbol of the start routine, NULL if unknown */
    lt_symframe_t *frames;         /* creation stack, innermost first: the caller of pthread_create */
    size_t nframes;
    const lt_thread_info_t *examples[LT_TALERT_EXAMPLES];
    size_t nexamples;
    /* growing only: created at the site, and the live count at the middle of the run */
    size_t created, live_mid;
    double rate_per_s;             /* growing only: net threads per second over the second half */
} lt_thread_alert_t;

struct lt_supp;

typedef struct lt_thread_opts {
    const char *const *ignore;     /* glob patterns (fnmatch) on the start function or any frame's */
    size_t nignore;                /* function, file or module file name */
    int ignore_running_at_exit;
    struct lt_supp *supp;          /* user suppressions (thread: rules), or NULL; their counts are updated */
} lt_thread_opts_t;

typedef struct lt_thread_report {
    size_t created;                /* threads created through pthread_create */
    size_t running_at_exit;        /* of those, still running when the trace ended */
    size_t max_alive;              /* the most alive at once (besides the main thread) */
    size_t ignored;                /* threads left out by the ignore options */
    int tracked;                   /* the trace has thread records (format 1.1 tracer) */
    lt_thread_alert_t *alerts;     /* running_at_exit, never_joined, growing; largest count first in each */
    size_t nalerts;
    size_t supp_alerts, supp_threads;   /* alerts (and their threads) hidden by user suppressions */
    const struct lt_supp *supp;    /* the user suppressions applied, or NULL (not owned) */
} lt_thread_report_t;

/* Computes the alerts. Returns 0 or -LT_E_NOMEM. */
int lt_threads_build(const lt_replay_t *rp, lt_symbolizer_t *sym, const lt_thread_opts_t *o,
                     lt_thread_report_t **out, lt_err_t *err);
void lt_threads_free(lt_thread_report_t *r);

#endif
