/*
 * output_threads.h - text and JSON renderings of the thread report
 * (threads.h), alone (leaktrace threads) or as a section of the leak
 * report. Formatting only.
 */
#ifndef LT_OUTPUT_THREADS_H
#define LT_OUTPUT_THREADS_H

#include <stdio.h>

#include "json.h"
#include "replay.h"
#include "threads.h"

/* The whole `leaktrace threads` output. */
void lt_output_threads_text(FILE *out, const lt_replay_t *rp, const lt_thread_report_t *t);
void lt_output_threads_json(FILE *out, const lt_replay_t *rp, const lt_thread_report_t *t);

/* The section inside `leaktrace report`: alerts only (nothing when none). */
void lt_output_thread_alerts_text(FILE *out, const lt_thread_report_t *t);
/* Writes "threads": {...} and "thread_alerts": [...] members into an open object. */
void lt_output_thread_members_json(lt_json_t *j, const lt_thread_report_t *t, const char *alerts_key);

#endif
