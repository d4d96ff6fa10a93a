/*
 * output_growth.c - renders growth suspects. The JSON shape is a contract
 * (docs/growth.md): {"suspects": [{"rate_bytes_per_s", "live_bytes",
 * "confidence", "stack": [{"function", "file", "line", "module"}], ...}]}.
 */
#include <inttypes.h>
#include <string.h>

#include "output.h"
#include "output_growth.h"
#include "suppress.h"

static void suspect_text(FILE *out, const lt_growth_t *g, const lt_suspect_t *s)
{
    char a[32], b[32], c[32], d[32];
    const lt_psite_t *site = &g->prof->sites[s->site];
    fprintf(out, "\n+%s/s (+%.1f blocks/s), %s live now (from %s), ~%s/hour; confidence %.2f\n",
            lt_output_human(s->rate_bytes_per_s, a, sizeof a), s->rate_blocks_per_s, lt_output_human((double)s->live_bytes, b, sizeof b),
            lt_output_human((double)s->start_bytes, c, sizeof c), lt_output_human(s->projected_per_hour, d, sizeof d), s->confidence);
    fprintf(out, "    fit R^2 %.2f, grew in %.0f%% of the slices that changed, late rate %.0f%% of the average, growing for %.1f s\n",
            s->r2, 100 * s->growth_share, 100 * s->late_ratio, s->growing_for);
    if (!site->nframes) fputs("    (stack not recorded)\n", out);
    for (size_t k = 0; k < site->nframes; k++) lt_output_pframe_text(out, g->prof, &site->frames[k], k == 0 ? "    at " : "    by ");
}

void lt_output_growth_suspect_text(FILE *out, const lt_growth_t *g, const lt_suspect_t *s, double at_seconds)
{
    fprintf(out, "\n[%.1f s] growth suspect", at_seconds);
    suspect_text(out, g, s);
    fflush(out);
}

void lt_output_growth_text(FILE *out, const lt_replay_t *rp, const lt_growth_t *g, size_t top)
{
    fprintf(out, "leaktrace growth: %s (pid %lld)\n", rp->proc.exe ? rp->proc.exe : "?", rp->proc.pid);
    lt_output_sample_line(out, rp->proc.sample_rate);
    fprintf(out, "window: %.3f to %.3f s (%.3f s in slices of %.0f ms), %zu sites changed\n",
            (double)(g->origin_ns + g->first * g->slice_ns) / 1e9, (double)(g->origin_ns + (g->last + 1) * g->slice_ns) / 1e9, g->duration,
            (double)g->slice_ns / 1e6, g->sites_considered);
    if (g->suppressed) fprintf(out, "growth suspects suppressed by --suppressions: %zu\n", g->suppressed);
    if (!g->nsuspects) {
        fputs("no growth suspects: no allocation site's live memory kept rising\n", out);
    } else {
        fprintf(out, "growth suspects: %zu\n", g->nsuspects);
        size_t n = top && top < g->nsuspects ? top : g->nsuspects;
        for (size_t i = 0; i < n; i++) suspect_text(out, g, &g->suspects[i]);
        if (n < g->nsuspects) fprintf(out, "\n... %zu more suspects (use --top 0 to see all)\n", g->nsuspects - n);
    }
    if (g->supp) lt_output_supp_text(out, g->supp, LT_SUPP_MASK(LT_SUPP_GROWTH));
}

void lt_output_growth_section_text(FILE *out, const lt_growth_t *g, size_t top)
{
    if (g && g->suppressed) fprintf(out, "\ngrowth suspects suppressed by --suppressions: %zu\n", g->suppressed);
    if (!g || !g->nsuspects) return;
    fprintf(out, "\ngrowth suspects: %zu (leaktrace growth TRACE for details)\n", g->nsuspects);
    size_t n = top && top < g->nsuspects ? top : g->nsuspects;
    for (size_t i = 0; i < n; i++) suspect_text(out, g, &g->suspects[i]);
}

static void suspects_json(lt_json_t *j, const lt_growth_t *g, const char *key)
{
    lt_json_begin_arr(j, key);
    for (size_t i = 0; g && i < g->nsuspects; i++) {
        const lt_suspect_t *s = &g->suspects[i];
        const lt_psite_t *site = &g->prof->sites[s->site];
        lt_json_begin_obj(j, NULL);
        lt_json_f64(j, "rate_bytes_per_s", s->rate_bytes_per_s);
        lt_json_f64(j, "rate_blocks_per_s", s->rate_blocks_per_s);
        lt_json_u64(j, "live_bytes", s->live_bytes);
        lt_json_u64(j, "live_blocks", s->live_blocks);
        lt_json_u64(j, "start_bytes", s->start_bytes);
        lt_json_f64(j, "projected_bytes_per_hour", s->projected_per_hour);
        lt_json_f64(j, "confidence", s->confidence);
        lt_json_f64(j, "r2", s->r2);
        lt_json_f64(j, "growth_share", s->growth_share);
        lt_json_f64(j, "late_ratio", s->late_ratio);
        lt_json_f64(j, "growing_for_s", s->growing_for);
        lt_json_begin_arr(j, "stack");
        for (size_t k = 0; k < site->nframes; k++) lt_output_pframe_json(j, g->prof, &site->frames[k]);
        lt_json_end_arr(j);
        lt_json_end_obj(j);
    }
    lt_json_end_arr(j);
}

void lt_output_growth_members_json(lt_json_t *j, const lt_growth_t *g)
{
    suspects_json(j, g, "growth_suspects");
}

void lt_output_growth_json(FILE *out, const lt_replay_t *rp, const lt_growth_t *g)
{
    lt_json_t j;
    lt_json_init(&j, out, 1);
    lt_json_begin_obj(&j, NULL);
    lt_json_i64(&j, "pid", rp->proc.pid);
    lt_json_str(&j, "exe", rp->proc.exe);
    lt_json_bool(&j, "complete", rp->complete && !rp->cut_short);
    lt_output_sampling_json(&j, rp->proc.sample_rate);
    lt_output_window_json(&j, rp);
    lt_json_begin_obj(&j, "window");
    lt_json_f64(&j, "from_s", (double)(g->origin_ns + g->first * g->slice_ns) / 1e9);
    lt_json_f64(&j, "to_s", (double)(g->origin_ns + (g->last + 1) * g->slice_ns) / 1e9);
    lt_json_f64(&j, "slice_s", (double)g->slice_ns / 1e9);
    lt_json_u64(&j, "sites_changed", g->sites_considered);
    lt_json_end_obj(&j);
    suspects_json(&j, g, "suspects");
    if (g->supp) {
        lt_json_u64(&j, "suppressed", g->suppressed);
        lt_output_supp_json(&j, g->supp, LT_SUPP_MASK(LT_SUPP_GROWTH));
    }
    lt_json_end_obj(&j);
    lt_json_finish(&j);
}
