/*
 * symbolize.h - turns return addresses into function, file:line and module,
 * with inline frames, offline, from the binaries on disk (libdw). The only
 * part of leaktrace that includes elfutils headers is symbolize.c.
 */
#ifndef LT_SYMBOLIZE_H
#define LT_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"

typedef struct lt_symframe {
    const char *function;  /* demangled; NULL when no symbol covers the address */
    const char *file;      /* source file; NULL without debug info */
    int line;              /* 0 without debug info */
    const char *module;    /* module path; NULL when no module covers the address */
    uint64_t address;      /* the address as recorded in the trace */
    uint64_t offset;       /* address - module base (what addr2line -e MODULE takes) */
    int inlined;           /* 1: this frame was inlined into the frame after it */
    int tracer;            /* 1: in the tracer's own library (lt_module_t.tracer) */
} lt_symframe_t;

typedef struct lt_symbolizer lt_symbolizer_t;

/* Called once per problem worth telling the user (missing binary, build-id
 * mismatch). msg is a complete sentence without trailing newline. */
typedef void (*lt_sym_warn_fn)(void *ctx, const char *msg);

#define LT_SYM_NO_DEMANGLE 1u

/* Opens a symbolizer over mods[0..nmods). mods must outlive it.
 * Returns NULL only when out of memory. Modules whose file is missing or
 * whose build-id differs from the recorded one are not read: their frames
 * get function/file NULL and the module path and offset (warned once each). */
lt_symbolizer_t *lt_sym_open(const lt_module_t *mods, size_t nmods, unsigned flags,
                             lt_sym_warn_fn warn, void *warn_ctx);

/* Resolves ip as seen in module generation gen. is_return_address: the ip is
 * a return address (look up ip-1, as every stack frame but a signal frame).
 * Sets *frames to 1 or more frames, innermost (most deeply inlined) first,
 * the last one being the real (non-inlined) function; returns their count.
 * The frames and strings stay valid until lt_sym_close. Results are cached
 * per (gen, ip). Never fails: an unknown address gives one frame with
 * function, file and module NULL. */
size_t lt_sym_lookup(lt_symbolizer_t *s, uint32_t gen, uint64_t ip, int is_return_address,
                     const lt_symframe_t **frames);

void lt_sym_close(lt_symbolizer_t *s);

#endif
