/*
 * suppress.h - user suppressions: a file of `leak:PATTERN`,
 * `thread:PATTERN` and `growth:PATTERN` lines (LeakSanitizer's format for
 * `leak:`, the same matching for the other two kinds), parsed once, then
 * matched against the symbolized stacks of leaks, thread alerts and growth
 * suspects. Each rule counts what it hid, so reports can say which
 * suppressions are still needed. Parsing and matching only; no output.
 *
 * Matching (as LeakSanitizer's): a rule matches a stack when its pattern
 * matches the function name, the source file path or the module path of
 * any frame (thread: also the thread's start routine). A pattern without
 * wildcards matches as a substring; `*` matches any run of characters
 * (also none); `^` at the start anchors the pattern at the start of the
 * name, `$` at the end anchors it at the end. The first rule of the
 * matching kind, in file order, gets the credit.
 */
#ifndef LT_SUPPRESS_H
#define LT_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "profile.h"
#include "symbolize.h"

enum { LT_SUPP_LEAK = 0, LT_SUPP_THREAD, LT_SUPP_GROWTH, LT_SUPP_NKINDS };

/* Bit masks of kinds, for the outputs that show one kind only. */
#define LT_SUPP_MASK(kind) (1u << (kind))
#define LT_SUPP_ALL 0x7u

typedef struct lt_supp_rule {
    int kind;                  /* LT_SUPP_* */
    char *pattern;             /* as written, without the "kind:" prefix */
    const char *file;          /* the file it came from (owned by the set) */
    unsigned line;             /* its line number there, from 1 */
    /* What it hid, accumulated over every report it was applied to. */
    uint64_t sites, bytes, blocks;   /* leak: leak reports (stacks), their bytes and blocks */
    uint64_t alerts, threads;        /* thread: alerts and the threads in them */
    uint64_t suspects;               /* growth: growth suspects */
    char *glob;                /* private: the pattern as a '*'-only glob */
} lt_supp_rule_t;

typedef struct lt_supp {
    lt_supp_rule_t *rules;     /* in file order, files in load order */
    size_t nrules, cap;
    char **files;              /* the file names loaded */
    size_t nfiles;
} lt_supp_t;

/* An empty set (NULL when out of memory). */
lt_supp_t *lt_supp_new(void);

/* Reads the suppressions file at path and appends its rules to s.
 * Blank lines and lines whose first non-blank character is '#' are
 * skipped; leading and trailing blanks (and a CR) are trimmed. Returns 0,
 * -LT_E_IO (cannot read: the message names the file and the reason),
 * -LT_E_USAGE (a malformed line: the message is "FILE:LINE: ..." and says
 * what is wrong and what is accepted) or -LT_E_NOMEM. On error s is
 * unchanged. */
int lt_supp_load(lt_supp_t *s, const char *path, lt_err_t *err);

/* As lt_supp_load, from text[0..len) in memory; name is used in messages
 * and as the rules' file. */
int lt_supp_parse(lt_supp_t *s, const char *name, const char *text, size_t len, lt_err_t *err);

/* 1 when pattern matches str under the rules above, 0 when not (also
 * when str is NULL or empty, as LeakSanitizer). */
int lt_supp_pattern_match(const char *pattern, const char *str);

/* The index of the first rule of kind whose pattern matches a frame of
 * f[0..n) (function, file or module) or extra (a further name, e.g. a
 * thread's start routine; may be NULL), or -1. s may be NULL (-1). */
long lt_supp_match(const lt_supp_t *s, int kind, const lt_symframe_t *f, size_t n, const char *extra);

/* As lt_supp_match for the frames of a profile site (growth suspects);
 * module indexes are resolved through p. */
long lt_supp_match_profile(const lt_supp_t *s, int kind, const lt_profile_t *p, const lt_pframe_t *f, size_t n);

/* Credit rule i with what it hid. */
void lt_supp_hit_leak(lt_supp_t *s, long i, uint64_t bytes, uint64_t blocks);
void lt_supp_hit_thread(lt_supp_t *s, long i, uint64_t threads);
void lt_supp_hit_growth(lt_supp_t *s, long i);

/* Sets every rule's counts back to zero. */
void lt_supp_reset_counts(lt_supp_t *s);

/* How many rules of the kinds in mask there are. */
size_t lt_supp_count(const lt_supp_t *s, unsigned mask);

/* "leak", "thread" or "growth". */
const char *lt_supp_kind_name(int kind);

void lt_supp_free(lt_supp_t *s);

#endif
