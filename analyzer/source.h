/*
 * source.h - the inputs of dump, diff, pprof and flamegraph: a trace at a
 * chosen moment or a heap dump file, either way turned into a heap
 * profile. Also the warnings a replay deserves (trace incomplete, events
 * lost), shared with the report command.
 */
#ifndef LT_SOURCE_H
#define LT_SOURCE_H

#include "error.h"
#include "profile.h"
#include "replay.h"
#include "symbolize.h"

/* Where in a trace: kind LT_MOMENT_END, _TIME (ts), _MARK (label), _PEAK. */
typedef struct lt_when {
    int kind;
    uint64_t ts;
    const char *label;
} lt_when_t;

/* Parses the moment syntax of TRACE@MOMENT and --at: "end", "peak", a
 * number of seconds ("2.5", "2.5s"), "mark:LABEL" or any other LABEL.
 * Returns 0, or -1 for an empty string. w->label points into s. */
int lt_when_parse(const char *s, lt_when_t *w);
/* Parses --at's argument: seconds only. -1 when not a number >= 0. */
int lt_when_parse_seconds(const char *s, uint64_t *ns);

/* Tells the user, through warn, what the replay of path could not see:
 * a trace cut short or without end, lost events, unknown frees. */
void lt_source_warn_replay(const lt_replay_t *rp, const char *path, lt_sym_warn_fn warn, void *ctx);

/* Loads path (a trace or a heap dump, told apart by their first bytes) as a
 * profile at moment w (NULL: the end). Dumps only have their own moment:
 * asking another one of a dump is LT_E_USAGE. For a spec "FILE@MOMENT"
 * (diff's syntax) use lt_source_load_spec. Errors as lt_replay_file_at
 * and lt_dump_read. */
int lt_source_load(const char *path, const lt_when_t *w, unsigned symflags, lt_sym_warn_fn warn, void *ctx,
                   lt_profile_t **out, lt_err_t *err);
/* As lt_source_load for "FILE", "FILE@MOMENT". A FILE that exists with
 * an '@' in its name is taken whole. */
int lt_source_load_spec(const char *spec, unsigned symflags, lt_sym_warn_fn warn, void *ctx, lt_profile_t **out,
                        lt_err_t *err);

#endif
