/*
 * output_profile.h - text and JSON renderings of heap diffs and of the
 * marks of a trace. Formatting only; computed in diff.c and replay.c.
 */
#ifndef LT_OUTPUT_PROFILE_H
#define LT_OUTPUT_PROFILE_H

#include <stdio.h>

#include "diff.h"
#include "replay.h"

/* names: how the user named the two sides (file, file@mark...). top: 0 = all. */
void lt_output_diff_text(FILE *out, const lt_diff_t *d, const char *name_a, const char *name_b, size_t top);
void lt_output_diff_json(FILE *out, const lt_diff_t *d, const char *name_a, const char *name_b);

/* The marks and periodic samples of a trace, with the heap totals at each. */
void lt_output_marks_text(FILE *out, const lt_replay_t *rp, int with_ticks);
void lt_output_marks_json(FILE *out, const lt_replay_t *rp, int with_ticks);

#endif
