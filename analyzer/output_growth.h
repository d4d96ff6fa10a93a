/*
 * output_growth.h - text and JSON renderings of growth suspects
 * (growth.h), alone (leaktrace growth) or as a section of the leak report.
 */
#ifndef LT_OUTPUT_GROWTH_H
#define LT_OUTPUT_GROWTH_H

#include <stdio.h>

#include "growth.h"
#include "json.h"

void lt_output_growth_text(FILE *out, const lt_replay_t *rp, const lt_growth_t *g, size_t top);
void lt_output_growth_json(FILE *out, const lt_replay_t *rp, const lt_growth_t *g);
/* The section of `leaktrace report` (nothing when no suspect). */
void lt_output_growth_section_text(FILE *out, const lt_growth_t *g, size_t top);
/* A "growth_suspects" array member inside an open object. */
void lt_output_growth_members_json(lt_json_t *j, const lt_growth_t *g);
/* One suspect line (for --follow). */
void lt_output_growth_suspect_text(FILE *out, const lt_growth_t *g, const lt_suspect_t *s, double at_seconds);

#endif
