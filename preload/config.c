/*
 * config.c - the LEAKTRACE_* environment variables (documented in
 * docs/tracer.md and libleaktrace(7)). Read once at start with getenv;
 * a bad value is named on stderr and replaced by the default, never fatal.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* A catchable signal the tracer may take over: USR1, USR2, the real-time
 * ones and a few harmless others; never the fatal ones it watches. */
static int signal_var(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s) return 0;
    const char *n = strncmp(s, "SIG", 3) == 0 ? s + 3 : s;
    long v = -1;
    if (n[0] >= '0' && n[0] <= '9') {
        if (parse_int(n, 1, SIGRTMAX, &v)) v = -1;
    } else if (strncmp(n, "RTMIN", 5) == 0) {
        long k = 0;
        if (n[5] == '\0') v = SIGRTMIN;
        else if (n[5] == '+' && parse_int(n + 6, 0, SIGRTMAX - SIGRTMIN, &k) == 0) v = SIGRTMIN + k;
    } else {
        static const struct { const char *name; int sig; } ok[] = {
            { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "HUP", SIGHUP }, { "WINCH", SIGWINCH },
            { "URG", SIGURG }, { "PWR", SIGPWR }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
        };
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
            if (strcmp(n, ok[i].name) == 0) v = ok[i].sig;
    }
    if (v == SIGKILL || v == SIGSTOP || v == SIGSEGV || v == SIGBUS || v == SIGILL || v == SIGFPE || v == SIGABRT ||
        v == SIGCHLD || v == SIGPIPE || v == SIGALRM || v == SIGTERM || v == SIGINT || v == SIGQUIT)
        v = -1;
    if (v <= 0) {
        lt_log("%s='%s' is not a signal marks can use (use SIGUSR1, SIGUSR2, SIGRTMIN+N or a number); no mark signal", name, s);
        return 0;
    }
    return (int)v;
}

int lt_config_parse_bytes(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9') return -1;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end) {
        char c = (char)(*end | 0x20);
        if (c == 'k') shift = 10;
        else if (c == 'm') shift = 20;
        else if (c == 'g') shift = 30;
        else return -1;
        end++;
        if (strcasecmp(end, "") && strcasecmp(end, "b") && strcasecmp(end, "ib")) return -1;
    }
    if (v > (1ull << 40) >> shift) return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static void sample_vars(void)
{
    const char *s = getenv("LEAKTRACE_SAMPLE");
    uint64_t v = 0;
    if (s && lt_config_parse_bytes(s, &v) < 0) {
        lt_log("LEAKTRACE_SAMPLE='%s' is not a byte count from 0 to 1T (e.g. 512K, 1M, 0 = record everything); "
               "recording everything", s);
        v = 0;
    }
    lt_sample_rate = v;
    const char *seed = getenv("LEAKTRACE_SAMPLE_SEED");
    if (seed) {
        char *end;
        unsigned long long x = strtoull(seed, &end, 0);
        if (!*seed || *end || *seed == '-') {
            lt_log("LEAKTRACE_SAMPLE_SEED='%s' is not a non-negative whole number; using a random seed", seed);
        } else {
            lt_sample_seed = x;
            lt_sample_seeded = 1;
        }
    }
}

#define LT_MAX_SIZE_MIN (1ull << 20)

/* LEAKTRACE_MAX_SIZE: a size as lt_config_parse_bytes reads it, 0 for
 * unbounded, at least 1M otherwise. */
static uint64_t size_var(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    uint64_t b;
    if (!s) return dflt;
    if (lt_config_parse_bytes(s, &b) < 0) {
        lt_log("%s='%s' is not a size (bytes, or a number with K, M or G, up to 1T, e.g. 64M; 0 = unbounded); using %lluM",
               name, s, (unsigned long long)(dflt >> 20));
        return dflt;
    }
    if (b && b < LT_MAX_SIZE_MIN) {
        lt_log("%s='%s' is below the 1M minimum; using 1M", name, s);
        b = LT_MAX_SIZE_MIN;
    }
    return b;
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
    lt_cfg.unwind_cache = bool_var("LEAKTRACE_UNWIND_CACHE", 1);
    const char *lv = getenv("LEAKTRACE_COMPRESSION");
    long level;
    lt_cfg.level = LT_LEVEL_AUTO;
    if (lv && strcmp(lv, "auto")) {
        if (parse_int(lv, -7, 19, &level) == 0) lt_cfg.level = (int)level;
        else lt_log("LEAKTRACE_COMPRESSION='%s' is not auto or a whole number from -7 to 19; using auto", lv);
    }
    const char *lay = getenv("LEAKTRACE_LAYOUT");
    lt_cfg.layout = LT_LAYOUT_AUTO;
    if (lay && !strcmp(lay, "records")) lt_cfg.layout = LT_LAYOUT_RECORDS;
    else if (lay && !strcmp(lay, "fields")) lt_cfg.layout = LT_LAYOUT_FIELDS;
    else if (lay && strcmp(lay, "auto"))
        lt_log("LEAKTRACE_LAYOUT='%s' is not auto, records or fields; using auto", lay);
    lt_cfg.verbose = bool_var("LEAKTRACE_VERBOSE", 0);
    lt_cfg.scan = bool_var("LEAKTRACE_SCAN", 1);
    lt_cfg.mark_signal = signal_var("LEAKTRACE_MARK_SIGNAL");
    lt_cfg.interval_ms = int_var("LEAKTRACE_INTERVAL", 0, 3600000, 100);
    lt_cfg.max_size = size_var("LEAKTRACE_MAX_SIZE", 1ull << 30);
    if (lt_cfg.interval_ms > 0 && lt_cfg.interval_ms < 10) {
        lt_log("LEAKTRACE_INTERVAL=%d is below the 10 ms minimum; using 10", lt_cfg.interval_ms);
        lt_cfg.interval_ms = 10;
    }
    sample_vars();
}
