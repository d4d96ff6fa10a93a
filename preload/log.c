/*
 * log.c - the tracer's only voice: single lines on stderr, prefixed
 * "leaktrace: ", written with one write(2) so they do not interleave with
 * the program's own output mid-line. No stdio, no allocation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "lt_internal.h"

void lt_log(const char *fmt, ...)
{
    char buf[1024];
    int saved = errno;
    int n = snprintf(buf, sizeof buf, "leaktrace: ");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    size_t len = (size_t)n + ((size_t)m < sizeof buf - (size_t)n - 1 ? (size_t)m : sizeof buf - (size_t)n - 2);
    buf[len++] = '\n';
    ssize_t w;
    do { w = write(2, buf, len); } while (w < 0 && errno == EINTR);
    errno = saved;
}
