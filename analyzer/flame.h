/*
 * flame.h - flame graphs of a heap profile (profile.h): the folded-stacks
 * text that flamegraph.pl, inferno and speedscope read, and a self-contained
 * interactive SVG drawn by leaktrace itself. Both aggregate the profile's
 * sites into a call tree keyed by frame label (function name, or
 * module+0xOFFSET when the function is unknown), so sites that differ only
 * by line numbers merge. Pure rendering: the caller builds the profile and
 * opens the output.
 *
 * Frame labels:
 *   - the demangled function name when known;
 *   - "module+0xOFFSET" (module base name, offset from the load bias, hex)
 *     when no symbol covers the address, "0xADDRESS" when not even the
 *     module is known;
 *   - "[unknown stack]" for a site whose stack the tracer could not record;
 *   - "[truncated stack]" as the outermost frame of a site whose stack hit
 *     the tracer's depth limit (its real outer frames are missing).
 */
#ifndef LT_FLAME_H
#define LT_FLAME_H

#include <stdio.h>

#include "error.h"
#include "profile.h"

/* Which counter of the sites is drawn. */
enum {
    LT_FLAME_INUSE = 0,   /* inuse_space: bytes live at the profile's moment */
    LT_FLAME_ALLOC = 1,   /* alloc_space: bytes allocated up to the moment */
};

/* Writes folded stacks: one line per distinct label path with a non-zero
 * value, "outermost;...;innermost VALUE\n" (VALUE in bytes, decimal).
 * Sites whose label paths are equal are merged into one line. Lines come in
 * depth-first order of the call tree with siblings sorted by byte-wise
 * label order, so equal profiles give byte-identical output.
 * Label escaping: ';' becomes ':', control characters and bytes that are
 * not valid UTF-8 become '?'. Inlined frames get the suffix "_[i]", the
 * inline annotation of stackcollapse-perf.pl --inline (flamegraph.pl and
 * inferno strip it from the label and, with --colors=java, draw the frame
 * in aqua; other tools show it as part of the name).
 * An empty profile (no site with a non-zero value) writes nothing.
 * what: LT_FLAME_INUSE or LT_FLAME_ALLOC. Returns 0, or -LT_E_USAGE (bad
 * what), -LT_E_NOMEM, -LT_E_IO (a write to out failed) with err filled. */
int lt_flame_folded(const lt_profile_t *p, int what, FILE *out, lt_err_t *err);

/* Writes a standalone SVG flame graph, 1200 pixels wide: the root "all" at
 * the bottom, callers below callees, siblings sorted by label. Each frame
 * has a <title> (hover text) with its full name, file:line when known, its
 * module, bytes and percent of the total. Frames narrower than 0.1% of the
 * total are left out and counted in the header. Colors are deterministic
 * (a hash of the label): warm reds/oranges for the program's own frames,
 * sand for libraries, aqua for inlined frames, grey for unknown frames.
 * Carries a small script (click to zoom, Ctrl-F / "Search" to highlight
 * frames matching a regular expression); renders without it too. The
 * output is well-formed XML whatever the names contain.
 * title: the heading, NULL for a default naming the program. An empty
 * profile gives a small valid SVG saying "no data". Returns as
 * lt_flame_folded. */
int lt_flame_svg(const lt_profile_t *p, int what, const char *title, FILE *out, lt_err_t *err);

/* One node of the call tree, as given to an lt_flame_tree visitor. */
typedef struct lt_flame_node {
    size_t index;          /* 0 for the root "all"; visited in depth-first order, parents first */
    size_t parent;         /* the parent's index (the root: SIZE_MAX) */
    size_t depth;          /* the root: 0 */
    const char *label;     /* as in the SVG (valid UTF-8, no control characters) */
    const char *file;      /* the first merged frame's source file, or NULL */
    unsigned line;         /* its line, 0 when unknown or when the merged frames differ in line */
    const char *module;    /* module file name, "" when unknown */
    uint64_t value, self;  /* bytes through this node / ending here */
    int kind;              /* 0 a function, 1 an address without symbol, 2 "all" and [..] markers */
    int inlined;
} lt_flame_node_t;

/* Builds the call tree of p for counter what (as the SVG: siblings by
 * label) and calls visit(ctx, node) for every node in depth-first order,
 * parents before children. *total is the root's value. Returns 0,
 * -LT_E_USAGE (bad what) or -LT_E_NOMEM. */
int lt_flame_tree(const lt_profile_t *p, int what, void (*visit)(void *ctx, const lt_flame_node_t *n), void *ctx,
                  uint64_t *total, lt_err_t *err);

#endif
