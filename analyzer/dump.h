/*
 * dump.h - heap dump files: a heap profile (profile.h) written to disk and
 * read back, so the heap of a run can be kept, shared and diffed later
 * without the trace. Two encodings of the same content, both stable and
 * documented in docs/dumps.md: a tab-separated text format (the default,
 * greppable, first line "leaktrace-heapdump 1") and JSON.
 */
#ifndef LT_DUMP_H
#define LT_DUMP_H

#include <stdio.h>

#include "error.h"
#include "profile.h"

#define LT_DUMP_MAGIC "leaktrace-heapdump"
#define LT_DUMP_VERSION 1

/* Write p. Return 0, or -1 when the stream reports an error. */
int lt_dump_write_text(const lt_profile_t *p, FILE *out);
int lt_dump_write_json(const lt_profile_t *p, FILE *out);

/* What the first bytes of a file are: 1 a text dump, 2 a JSON dump (an
 * object whose first key is "format" = "leaktrace-heapdump"), 0 neither. */
int lt_dump_sniff(const char *head, size_t n);

/* Reads a dump file (either encoding). Errors: LT_E_IO (unreadable),
 * LT_E_FORMAT (not a dump, or a dump version this analyzer does not know),
 * LT_E_CORRUPT (malformed; message gives the line), LT_E_NOMEM. */
int lt_dump_read(const char *path, lt_profile_t **out, lt_err_t *err);

/* The moment of p as words: "the end", "mark \"x\"", "2.500 s", "the peak". */
const char *lt_dump_moment_text(const lt_profile_t *p, char *buf, size_t n);

#endif
