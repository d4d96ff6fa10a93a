/*
 * profile_build.h - computes a heap profile (profile.h) from a replayed
 * trace: the heap at the replay's snapshot moment (or its end), every
 * allocation stack symbolized and merged by its frames.
 */
#ifndef LT_PROFILE_BUILD_H
#define LT_PROFILE_BUILD_H

#include "error.h"
#include "profile.h"
#include "replay.h"
#include "symbolize.h"

/* Builds the profile of rp at rp->snap when a moment was set (see
 * lt_replay_set_moment), else at the end of the trace. moment_kind and
 * label describe the moment for the profile's metadata (LT_MOMENT_PEAK is
 * a SEQ snapshot at the peak). Returns 0 or -LT_E_NOMEM. */
int lt_profile_from_replay(const lt_replay_t *rp, lt_symbolizer_t *sym, int moment_kind, const char *label,
                           lt_profile_t **out, lt_err_t *err);

/* Adds the replay's stack `id` to p as a site with counts c (symbolized as
 * above; sites with the same frames merge) and tells its index in
 * p->sites (see lt_profile_add_site_at). 0 or -LT_E_NOMEM. */
int lt_profile_add_stack(lt_profile_t *p, const lt_replay_t *rp, lt_symbolizer_t *sym, uint32_t id,
                         const lt_pcounts_t *c, size_t *index);

#endif
