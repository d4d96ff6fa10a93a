/*
 * html.h - `leaktrace html`: one self-contained HTML page over one or more
 * traces (a process tree: one section per process). Per process: a
 * summary and verdict, the live heap over time (top sites stacked, live
 * threads, marks), the leak table (sortable, expandable symbolized
 * stacks), growth suspects with their curves, thread alerts, and a flame
 * graph switchable between leaked, allocated and peak bytes.
 *
 * The page has no external resource: its CSS and JavaScript are compiled
 * into the analyzer (analyzer/html_assets/, turned into C by the
 * Makefile), the data is a JSON document inside a <script> element
 * (escaped so that no "</script", "<!--" or U+2028/U+2029 can end or
 * break it). The summary, the leak table (with stacks in <details>), the
 * growth suspects and the thread alerts are plain HTML and read without
 * JavaScript; the charts and the flame graph are drawn by the script.
 *
 * Large traces: the leak table keeps the max_leaks largest sites, each
 * flame graph the max_flame_nodes largest frames; the page says what was
 * left out. Computation here (with the analyzer's other layers); main.c
 * only parses options.
 */
#ifndef LT_HTML_H
#define LT_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "symbolize.h"

struct lt_supp;

#define LT_HTML_MAX_LEAKS_DEFAULT 500
#define LT_HTML_MAX_FLAME_NODES_DEFAULT 20000

typedef struct lt_html_opts {
    const char *title;             /* page title; NULL: one naming the program(s) */
    int no_default_suppressions;   /* also show one-time runtime allocations */
    unsigned symflags;             /* LT_SYM_* */
    struct lt_supp *supp;          /* user suppressions, or NULL (counts updated) */
    size_t max_leaks;              /* leak sites listed per process (0: the default) */
    size_t max_flame_nodes;        /* frames per flame graph (0: the default) */
    lt_sym_warn_fn warn;           /* warnings (missing binaries, incomplete traces), or NULL */
    void *warn_ctx;
} lt_html_opts_t;

void lt_html_opts_default(lt_html_opts_t *o);

/* Analyses inputs[0..n) (trace files, or directories: every *.trace file
 * in them) and writes the page to out. A trace that cannot be read gets a
 * section saying why, the others are still reported; the return value is
 * then that trace's error. Returns 0, or -LT_E_IO (no trace at all, a
 * write error), -LT_E_FORMAT / -LT_E_CORRUPT (a trace unreadable),
 * -LT_E_NOMEM, with err filled. */
int lt_html_write(const char *const *inputs, size_t n, const lt_html_opts_t *o, FILE *out, lt_err_t *err);

/* Writes s as the content of a JSON string (without the quotes), safe
 * inside an HTML <script> element: '<', '>' and '&' as \u003c..., U+2028
 * and U+2029 escaped, invalid UTF-8 as U+FFFD. Exposed for tests. */
void lt_html_json_str(FILE *out, const char *s);
/* Writes s as HTML text (also safe in a quoted attribute); invalid UTF-8
 * as U+FFFD. */
void lt_html_text(FILE *out, const char *s);

#endif
