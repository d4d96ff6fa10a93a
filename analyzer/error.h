/*
 * error.h - the analyzer's one error type. A function that can fail
 * returns 0 or a negative LT_E_* code and fills an lt_err_t; callers
 * forward it upwards unchanged; main.c maps codes to exit statuses
 * (documented in docs/analyzer.md and leaktrace(1)).
 */
#ifndef LT_ERROR_H
#define LT_ERROR_H

#include <stdint.h>
#include <stdio.h>

enum {
    LT_OK = 0,
    LT_E_USAGE = 2,    /* bad command line */
    LT_E_IO = 3,       /* file missing or unreadable */
    LT_E_FORMAT = 4,   /* not a leaktrace trace, or an unsupported version */
    LT_E_CORRUPT = 5,  /* damaged data (byte offset given) */
    LT_E_NOMEM = 6,    /* out of memory */
};

typedef struct lt_err {
    int code;
    int64_t offset;    /* byte offset in the file where decoding failed, or -1 */
    char msg[512];
} lt_err_t;

#define LT_ERR_SET(e, c, off, ...)                                   \
    do {                                                             \
        (e)->code = (c);                                             \
        (e)->offset = (int64_t)(off);                                \
        snprintf((e)->msg, sizeof (e)->msg, __VA_ARGS__);            \
    } while (0)

/* Sets the error and returns -code from the current function. */
#define LT_RETURN_ERROR(e, c, off, ...)                              \
    do { LT_ERR_SET(e, c, off, __VA_ARGS__); return -(c); } while (0)

/* Returns from the current function if expr failed (already filled). */
#define LT_FORWARD_IF_ERROR(expr)                                    \
    do { int rc_ = (expr); if (rc_ < 0) return rc_; } while (0)

#endif
