/*
 * source.c - opens what the user named: sniffs the file (trace or heap
 * dump), replays a trace to the moment asked (twice for the peak: once to
 * find it, once to stop there), symbolizes, builds the profile.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/lt_format.h"
#include "dump.h"
#include "output.h"
#include "profile_build.h"
#include "source.h"

int lt_when_parse_seconds(const char *s, uint64_t *ns)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0) || v > 1e9) return -1;
    if (*end == 's' && end[1] == '\0') end++;
    if (*end) return -1;
    *ns = (uint64_t)(v * 1e9 + 0.5);
    return 0;
}

int lt_when_parse(const char *s, lt_when_t *w)
{
    memset(w, 0, sizeof *w);
    if (!*s) return -1;
    if (!strcmp(s, "end")) w->kind = LT_MOMENT_END;
    else if (!strcmp(s, "peak")) w->kind = LT_MOMENT_PEAK;
    else if (lt_when_parse_seconds(s, &w->ts) == 0) w->kind = LT_MOMENT_TIME;
    else {
        w->kind = LT_MOMENT_MARK;
        w->label = strncmp(s, "mark:", 5) == 0 ? s + 5 : s;
    }
    return 0;
}

static void say(lt_sym_warn_fn warn, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(lt_sym_warn_fn warn, void *ctx, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (warn) warn(ctx, buf);
}

void lt_source_warn_replay(const lt_replay_t *rp, const char *path, lt_sym_warn_fn warn, void *ctx)
{
    char w[1024];
    if (lt_output_window_text(rp, w, sizeof w)) say(warn, ctx, "%s: %s", path, w);
    if (lt_output_damage_text(rp, w, sizeof w)) say(warn, ctx, "%s: %s", path, w);
    if (!rp->complete) {
        if (rp->cut_short)
            say(warn, ctx, "%s: %s; reporting what was written before (complete: false)", path, rp->cut_msg);
        else
            say(warn, ctx, "%s: the trace has no end record: the process was killed or crashed before it could finish; "
                           "reporting what was written (complete: false)", path);
    }
    if (rp->unknown_frees)
        say(warn, ctx, "%llu frees of blocks the trace never saw allocated (allocated before tracing started, or in a "
                       "signal handler that interrupted the tracer)", (unsigned long long)rp->unknown_frees);
    if (rp->seq_gaps)
        say(warn, ctx, "%llu events missing from the trace (lost %s)", (unsigned long long)rp->seq_gaps,
            rp->damaged ? "in the damaged chunks, or when the process ended" : "when the process ended");
    if (rp->undefined_stacks)
        say(warn, ctx, "%llu stacks were used but never defined (trace cut short?)", (unsigned long long)rp->undefined_stacks);
}

/* 1 trace, 2 dump, 0 neither, -1 unreadable (err filled). */
static int sniff(const char *path, lt_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        LT_ERR_SET(err, LT_E_IO, -1, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    char head[512];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n >= LT_FILE_MAGIC_LEN && memcmp(head, LT_FILE_MAGIC, LT_FILE_MAGIC_LEN) == 0) return 1;
    return lt_dump_sniff(head, n) ? 2 : 0;
}

int lt_source_load(const char *path, const lt_when_t *w, unsigned symflags, lt_sym_warn_fn warn, void *ctx,
                   lt_profile_t **out, lt_err_t *err)
{
    *out = NULL;
    lt_when_t end = { LT_MOMENT_END, 0, NULL };
    if (!w) w = &end;
    int kind = sniff(path, err);
    if (kind < 0) return -err->code;
    if (kind == 2) {
        if (w->kind != LT_MOMENT_END)
            LT_RETURN_ERROR(err, LT_E_USAGE, -1, "%s is a heap dump: it holds one moment already; --at, --mark and @MOMENT "
                                                 "apply to traces", path);
        return lt_dump_read(path, out, err);
    }
    if (kind == 0) {
        /* Let the trace reader say precisely what is wrong. */
        lt_trace_file_t *f;
        if (lt_file_open(path, &f, err) < 0) {
            if (err->code == LT_E_FORMAT)
                LT_ERR_SET(err, LT_E_FORMAT, -1, "%s is neither a leaktrace trace nor a heap dump", path);
            return -err->code;
        }
        lt_file_close(f);
    }
    lt_moment_t m = { LT_MOMENT_END, 0, NULL, 0 };
    lt_replay_t *rp = NULL;
    if (w->kind == LT_MOMENT_PEAK) {
        LT_FORWARD_IF_ERROR(lt_replay_file(path, &rp, err));
        m.kind = LT_MOMENT_SEQ;
        m.seq = rp->tot.peak_seq;
        lt_replay_free(rp);
        rp = NULL;
    } else if (w->kind == LT_MOMENT_TIME) {
        m.kind = LT_MOMENT_TIME;
        m.ts = w->ts;
    } else if (w->kind == LT_MOMENT_MARK) {
        m.kind = LT_MOMENT_MARK;
        m.label = w->label;
    }
    LT_FORWARD_IF_ERROR(lt_replay_file_at(path, m.kind == LT_MOMENT_END ? NULL : &m, &rp, err));
    lt_source_warn_replay(rp, path, warn, ctx);
    if (w->kind == LT_MOMENT_TIME && !rp->snap.reached)
        say(warn, ctx, "%s: the trace ends at %.3f s, before %.3f s: using its end", path, rp->last_ts / 1e9, w->ts / 1e9);
    lt_symbolizer_t *sym = lt_sym_open(rp->mods, rp->nmods, symflags, warn, ctx);
    if (!sym) {
        lt_replay_free(rp);
        LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    }
    int rc = lt_profile_from_replay(rp, sym, w->kind, w->kind == LT_MOMENT_MARK ? w->label : NULL, out, err);
    lt_sym_close(sym);
    lt_replay_free(rp);
    return rc;
}

int lt_source_load_spec(const char *spec, unsigned symflags, lt_sym_warn_fn warn, void *ctx, lt_profile_t **out,
                        lt_err_t *err)
{
    struct stat st;
    const char *at = strrchr(spec, '@');
    if (!at || stat(spec, &st) == 0) return lt_source_load(spec, NULL, symflags, warn, ctx, out, err);
    char *path = strndup(spec, (size_t)(at - spec));
    if (!path) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    lt_when_t w;
    if (lt_when_parse(at + 1, &w) < 0) {
        free(path);
        LT_RETURN_ERROR(err, LT_E_USAGE, -1, "'%s': nothing after '@' (use FILE@LABEL, FILE@SECONDS, FILE@peak or FILE@end)", spec);
    }
    int rc = lt_source_load(path, &w, symflags, warn, ctx, out, err);
    free(path);
    return rc;
}
