/*
 * output.h - formats reports: text for people, JSON for machines.
 * Formatting only; everything is computed in report.c.
 */
#ifndef LT_OUTPUT_H
#define LT_OUTPUT_H

#include <stdio.h>

#include "json.h"
#include "profile.h"
#include "report.h"

typedef struct lt_text_opts {
    size_t top;          /* leaks to show; 0 = all */
    int color;           /* reserved */
} lt_text_opts_t;

void lt_output_report_text(FILE *out, const lt_report_t *r, const lt_text_opts_t *o);
void lt_output_report_json(FILE *out, const lt_report_t *r);
/* "exit status 3", "killed by signal 11 (SIGSEGV)", ... for the end of a process. */
const char *lt_output_end_text(const lt_replay_t *rp, char *buf, size_t n);
/* The window a flight-recorder ring kept (docs/ring.md): "trace covers
 * 12:00:05-12:42:17 of a 3.0 h run; earlier events were overwritten (...)"
 * in buf, or NULL when the trace holds the whole run. */
const char *lt_output_window_text(const lt_replay_t *rp, char *buf, size_t n);
/* Damaged chunks skipped: "2 damaged chunks were skipped: data was lost
 * (first: ...)" in buf, or NULL when none were. */
const char *lt_output_damage_text(const lt_replay_t *rp, char *buf, size_t n);
/* A "trace_window" member of an open JSON object: wrapped, from_checkpoint,
 * start_s, end_s, run_s, start/end wall-clock times, blocks and bytes live
 * from before the window, damaged_chunks and the first damage message. */
void lt_output_window_json(lt_json_t *j, const lt_replay_t *rp);
/* 1234567 -> "1,234,567" in buf. */
const char *lt_output_num(uint64_t v, char *buf, size_t n);
/* 12345 -> "12.1 KiB" (B, KiB, MiB, GiB; negative values keep their sign). */
const char *lt_output_human(double bytes, char *buf, size_t n);
/* One stack frame as a line: LEAD "function (file:line) in module" and
 * " [inlined]"; unknown functions as address or module+offset. */
void lt_output_symframe_text(FILE *out, const lt_symframe_t *f, const char *lead);
void lt_output_pframe_text(FILE *out, const lt_profile_t *p, const lt_pframe_t *f, const char *lead);
/* One stack frame as a JSON object (the contract's frame: function, file,
 * line, module, offset, inlined; symbolized frames also their address). */
void lt_output_symframe_json(lt_json_t *j, const lt_symframe_t *f);
void lt_output_pframe_json(lt_json_t *j, const lt_profile_t *p, const lt_pframe_t *f);

/* Sampling mode (LEAKTRACE_SAMPLE): the sentence every report prints when
 * its figures are estimates from a sampled trace, "" when rate is 0
 * (exact figures). Always NUL-terminated in buf. */
const char *lt_output_sample_note(uint64_t rate, char *buf, size_t n);
/* Prints "NOTE: <note>\n" when rate != 0; nothing otherwise. */
void lt_output_sample_line(FILE *out, uint64_t rate);
/* Writes "sampling": {"estimated": bool, "rate_bytes": N} into the open
 * JSON object (estimated false and rate_bytes 0 for a full trace). */
void lt_output_sampling_json(lt_json_t *j, uint64_t rate);

struct lt_supp;
/* The user suppressions of the kinds in mask (LT_SUPP_MASK bits) and what
 * each hid: text lines under a "suppressions" heading (nothing when there
 * are no such rules), or a "suppressions" array member of an open JSON
 * object: [{"kind", "pattern", "file", "line", "hid": {...}}]. */
void lt_output_supp_text(FILE *out, const struct lt_supp *s, unsigned mask);
void lt_output_supp_json(struct lt_json *j, const struct lt_supp *s, unsigned mask);

/* One line on the exit-time reachability scan: "scanned", or why not. */
const char *lt_output_scan_text(const lt_replay_t *rp, char *buf, size_t n);

#endif
