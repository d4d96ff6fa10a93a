/*
 * progress.h - the progress line of long analyses: "reading FILE  42%
 * (1.2 of 2.9 GiB), 3.1M events/s" on stderr, rewritten in place at most
 * 10 times a second and erased when the file is read. Only when enabled
 * (main.c enables it when stderr is a terminal, unless --quiet or
 * LEAKTRACE_PROGRESS=0); otherwise every call is a no-op.
 */
#ifndef LT_PROGRESS_H
#define LT_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

/* Enables (on != 0) or disables the progress line, written to out
 * (stderr in practice). Disabled by default. */
void lt_progress_enable(int on, FILE *out);
int lt_progress_enabled(void);

/* Reading `path` starts now (the events/s rate counts from here). */
void lt_progress_begin(const char *path);

/* Reading `path` has reached byte pos of size, after `events` records.
 * Cheap enough to call every few thousand records: it looks at the clock
 * and redraws at most every 100 ms. */
void lt_progress_update(const char *path, uint64_t pos, uint64_t size, uint64_t events);

/* The file is read: erases the line if one was drawn. */
void lt_progress_done(void);

#endif
