/*
 * profile.h - a heap profile: the state of the heap at one moment of a
 * traced run, aggregated per symbolized allocation stack. It is what a heap
 * dump file holds, and what diff, pprof and flamegraph consume, whether it
 * was computed from a trace (profile_build.c) or read back from a dump
 * (dump.c). It owns all its strings, so it outlives the symbolizer and the
 * replay it came from. Plain data plus constructors; no I/O here.
 */
#ifndef LT_PROFILE_H
#define LT_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"

/* One frame of a site's stack. Frames that share one machine instruction
 * (inline expansions) come innermost first and have inlined = 1, the last
 * of such a group being the real function (inlined = 0). */
typedef struct lt_pframe {
    const char *function;  /* demangled, or NULL when no symbol covers the address */
    const char *file;      /* source file, or NULL without debug info */
    uint32_t line;         /* 0 without debug info */
    uint32_t module;       /* index into lt_profile_t.modules, or LT_PMOD_NONE */
    uint64_t offset;       /* return address - module load bias (stable across ASLR) */
    int inlined;
} lt_pframe_t;

#define LT_PMOD_NONE UINT32_MAX

/* Counters of one site at the profile's moment. alloc_*: everything
 * allocated from the start of the run up to the moment; inuse_*: what of it
 * was still live at the moment. */
typedef struct lt_pcounts {
    uint64_t alloc_objects, alloc_space, inuse_objects, inuse_space;
} lt_pcounts_t;

typedef struct lt_psite {
    lt_pcounts_t c;
    lt_pframe_t *frames;   /* innermost first: the caller of malloc/new first */
    size_t nframes;        /* 0: the tracer could not record this stack */
    int truncated;         /* the stack reached the tracer's depth limit */
    int runtime;           /* a one-time runtime allocation (see report.h) */
} lt_psite_t;

typedef struct lt_pmodule {
    const char *path;          /* as the loader saw it */
    char build_id[129];        /* lowercase hex, "" when the object had none */
    uint64_t base;             /* load bias in the traced run (0 from old dumps) */
    uint64_t start, limit;     /* its mapped address range in the run */
    uint64_t file_offset;      /* file offset of the first mapped byte (usually 0) */
} lt_pmodule_t;

typedef struct lt_profile {
    /* Where it comes from. */
    long long pid;
    const char *exe;
    const char *cmdline;       /* argv joined by spaces; "" when unknown */
    long long start_realtime_ns;
    /* The moment. */
    int moment;                /* LT_MOMENT_* */
    const char *mark;          /* the label, for LT_MOMENT_MARK */
    uint64_t ts_ns;            /* time of the moment since the tracer started */
    int complete;              /* the trace was complete (not cut short) */
    uint64_t sample_rate;      /* LEAKTRACE_SAMPLE of the trace: counts are estimates; 0 = exact */
    /* Totals over all sites. */
    lt_pcounts_t total;
    uint64_t threads;          /* threads alive at the moment, 0 if unknown */
    lt_psite_t *sites;         /* sorted by inuse_space, largest first */
    size_t nsites;
    lt_pmodule_t *modules;
    size_t nmodules;
    struct lt_profile_arena *arena;  /* owns the strings and arrays */
} lt_profile_t;

/* ---- constructing (profile.c) ---- */

/* An empty profile. NULL when out of memory. */
lt_profile_t *lt_profile_new(void);
/* Copies s into the profile's arena, interned (equal strings, one pointer).
 * s NULL gives NULL. Returns NULL also when out of memory (check s first). */
const char *lt_profile_str(lt_profile_t *p, const char *s);
/* Adds a module; returns its index, or LT_PMOD_NONE when out of memory. */
uint32_t lt_profile_add_module(lt_profile_t *p, const lt_pmodule_t *m);
/* Adds a site with counts c and a copy of frames[0..n) (strings must
 * already be the profile's own, from lt_profile_str). Sites with equal
 * frames are merged (their counts added). Returns 0 or -LT_E_NOMEM. */
int lt_profile_add_site(lt_profile_t *p, const lt_pcounts_t *c, const lt_pframe_t *frames, size_t n,
                        int truncated, int runtime);
/* As lt_profile_add_site, and tells at which index of p->sites the site is
 * (valid until lt_profile_finish, which sorts). */
int lt_profile_add_site_at(lt_profile_t *p, const lt_pcounts_t *c, const lt_pframe_t *frames, size_t n,
                           int truncated, int runtime, size_t *index);
/* Sorts the sites by inuse_space (then alloc_space), largest first, and
 * recomputes the totals. Call once after the last add. */
void lt_profile_finish(lt_profile_t *p);
void lt_profile_free(lt_profile_t *p);
/* Removes the runtime sites (lt_psite_t.runtime) and recomputes the
 * totals; returns how many bytes in use they held. */
uint64_t lt_profile_drop_runtime(lt_profile_t *p);

/* The module's file name without directories, "" for LT_PMOD_NONE. */
const char *lt_profile_module_name(const lt_profile_t *p, uint32_t module);

#endif
