/*
 * config.c - the LEAKTRACE_* environment variables (documented in
 * docs/environment.md and libleaktrace(7)). Read once at start with getenv;
 * a bad value is named on stderr and replaced by the default, never fatal.
 */
#include <stdlib.h>
#include <string.h>

#include "lt_internal.h"

lt_config_t lt_cfg;

/* Parses a decimal integer in [lo, hi]; returns 0 on success. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s) return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int int_var(const char *name, long lo, long hi, long dflt)
{
    const char *s = getenv(name);
    long v;
    if (!s) return (int)dflt;
    if (parse_int(s, lo, hi, &v) == 0) return (int)v;
    lt_log("%s='%s' is not a whole number from %ld to %ld; using %ld", name, s, lo, hi, dflt);
    return (int)dflt;
}

static int bool_var(const char *name, int dflt)
{
    const char *s = getenv(name);
    if (!s) return dflt;
    if (!strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on")) return 1;
    if (!strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off")) return 0;
    lt_log("%s='%s' is not a boolean (use 1 or 0); using %d", name, s, dflt);
    return dflt;
}

void lt_config_load(void)
{
    const char *dflt = "leaktrace.%e.%p.trace";
    const char *out = getenv("LEAKTRACE_OUTPUT");
    if (out && !*out) {
        lt_log("LEAKTRACE_OUTPUT is empty; using %s", dflt);
        out = NULL;
    } else if (out && strlen(out) >= sizeof lt_cfg.output - 64) {
        lt_log("LEAKTRACE_OUTPUT is longer than %zu bytes; using %s", sizeof lt_cfg.output - 64, dflt);
        out = NULL;
    }
    strcpy(lt_cfg.output, out ? out : dflt);
    lt_cfg.depth = int_var("LEAKTRACE_DEPTH", 1, LT_DEPTH_MAX, 64);
    lt_cfg.follow = bool_var("LEAKTRACE_FOLLOW", 1);
    lt_cfg.level = int_var("LEAKTRACE_COMPRESSION", -7, 19, 1);
    lt_cfg.verbose = bool_var("LEAKTRACE_VERBOSE", 0);
}
