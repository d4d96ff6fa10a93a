/*
 * pprof.h - exports a heap profile (profile.h) in pprof's format: the
 * gzip-compressed protocol buffer of github.com/google/pprof
 * proto/profile.proto, read by `go tool pprof`, Pyroscope, Parca and
 * others. The file is fully symbolized (function names, files, lines,
 * inline frames), so pprof never needs the binaries. docs/exports.md
 * describes what the file holds.
 */
#ifndef LT_PPROF_H
#define LT_PPROF_H

#include <stdio.h>

#include "error.h"
#include "profile.h"

/* Writes p as a gzip-compressed pprof protobuf to out (from its current
 * position; out is flushed, not closed). Sample types are Go's heap
 * profile's, in Go's order: alloc_objects/count, alloc_space/bytes,
 * inuse_objects/count, inuse_space/bytes (the default); one Sample per
 * site of p; one Mapping per module of p (the main executable first); one
 * Location per distinct physical frame, its inline frames as its Lines;
 * labels leaktrace=runtime / leaktrace=truncated on the sites so flagged.
 * p is only read. Returns 0, or -LT_E_IO (writing failed) / -LT_E_NOMEM
 * with err filled; after an error out holds an unusable partial file. */
int lt_pprof_write(const lt_profile_t *p, FILE *out, lt_err_t *err);

#endif
