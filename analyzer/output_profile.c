/*
 * output_profile.c - renders diffs and mark lists. The JSON shapes are
 * contracts (docs/analyzer.md): fields may be added, never renamed.
 */
#include <inttypes.h>
#include <string.h>

#include "dump.h"
#include "json.h"
#include "output.h"
#include "output_profile.h"

static const char *status_names[] = { "new", "gone", "grew", "shrank", "same" };

static const char *signed_num(int64_t v, char *buf, size_t n)
{
    char t[40];
    lt_output_num(v < 0 ? (uint64_t)-(v + 1) + 1 : (uint64_t)v, t, sizeof t);
    snprintf(buf, n, "%s%s", v < 0 ? "-" : "+", t);
    return buf;
}

static void side_line(FILE *out, const char *what, const char *name, const lt_profile_t *p)
{
    char m[300];
    fprintf(out, "  %s %s: %s (pid %lld) at %s%s\n", what, name, *p->exe ? p->exe : "?", p->pid,
            lt_dump_moment_text(p, m, sizeof m), p->complete ? "" : " [incomplete trace]");
}

/* The sampling note of a profile, in a static buffer (one at a time). */
static const char *sample_note(uint64_t rate)
{
    static char buf[256];
    return lt_output_sample_note(rate, buf, sizeof buf);
}

void lt_output_diff_text(FILE *out, const lt_diff_t *d, const char *name_a, const char *name_b, size_t top)
{
    char a[48], b[48], c[48], e[48];
    fprintf(out, "leaktrace diff: live heap %s bytes (%s blocks): %s -> %s bytes\n",
            signed_num(d->bytes_delta, a, sizeof a), signed_num(d->blocks_delta, b, sizeof b),
            lt_output_num(d->bytes_before, c, sizeof c), lt_output_num(d->bytes_after, e, sizeof e));
    side_line(out, "before", name_a, d->before);
    side_line(out, "after ", name_b, d->after);
    if (d->before->sample_rate) fprintf(out, "NOTE: before: %s\n", sample_note(d->before->sample_rate));
    if (d->after->sample_rate) fprintf(out, "NOTE: after: %s\n", sample_note(d->after->sample_rate));
    fprintf(out, "  %zu site%s changed: %zu new, %zu gone\n", d->nchanges, d->nchanges == 1 ? "" : "s", d->sites_new,
            d->sites_gone);
    size_t shown = top && top < d->nchanges ? top : d->nchanges;
    for (size_t i = 0; i < shown; i++) {
        const lt_change_t *ch = &d->changes[i];
        fprintf(out, "\n%s bytes, %s blocks (%s: %s -> %s bytes)\n", signed_num(ch->bytes_delta, a, sizeof a),
                signed_num(ch->blocks_delta, b, sizeof b), status_names[ch->status],
                lt_output_num(ch->bytes_before, c, sizeof c), lt_output_num(ch->bytes_after, e, sizeof e));
        if (!ch->site->nframes) fputs("    (stack not recorded)\n", out);
        for (size_t k = 0; k < ch->site->nframes; k++) lt_output_pframe_text(out, ch->prof, &ch->site->frames[k], k == 0 ? "    at " : "    by ");
    }
    if (shown < d->nchanges) fprintf(out, "\n... %zu more changed sites (use --top 0 to see all)\n", d->nchanges - shown);
}

static void json_side(lt_json_t *j, const char *key, const char *name, const lt_profile_t *p, uint64_t bytes, uint64_t blocks)
{
    static const char *mk[] = { "end", "time", "mark", "peak", "seq" };
    lt_json_begin_obj(j, key);
    lt_json_str(j, "source", name);
    lt_json_i64(j, "pid", p->pid);
    lt_json_str(j, "exe", p->exe);
    lt_json_str(j, "moment", mk[p->moment >= 0 && p->moment <= LT_MOMENT_SEQ ? p->moment : 0]);
    lt_json_str(j, "mark", p->mark);
    lt_json_f64(j, "seconds", p->ts_ns / 1e9);
    lt_json_bool(j, "complete", p->complete);
    lt_output_sampling_json(j, p->sample_rate);
    lt_json_u64(j, "bytes", bytes);
    lt_json_u64(j, "blocks", blocks);
    lt_json_end_obj(j);
}

void lt_output_diff_json(FILE *out, const lt_diff_t *d, const char *name_a, const char *name_b)
{
    lt_json_t j;
    lt_json_init(&j, out, 1);
    lt_json_begin_obj(&j, NULL);
    json_side(&j, "before", name_a, d->before, d->bytes_before, d->blocks_before);
    json_side(&j, "after", name_b, d->after, d->bytes_after, d->blocks_after);
    lt_json_begin_obj(&j, "totals");
    lt_json_i64(&j, "bytes_delta", d->bytes_delta);
    lt_json_i64(&j, "blocks_delta", d->blocks_delta);
    lt_json_u64(&j, "bytes_before", d->bytes_before);
    lt_json_u64(&j, "bytes_after", d->bytes_after);
    lt_json_u64(&j, "blocks_before", d->blocks_before);
    lt_json_u64(&j, "blocks_after", d->blocks_after);
    lt_json_u64(&j, "sites_new", d->sites_new);
    lt_json_u64(&j, "sites_gone", d->sites_gone);
    lt_json_end_obj(&j);
    lt_json_begin_arr(&j, "changes");
    for (size_t i = 0; i < d->nchanges; i++) {
        const lt_change_t *ch = &d->changes[i];
        lt_json_begin_obj(&j, NULL);
        lt_json_str(&j, "status", status_names[ch->status]);
        lt_json_i64(&j, "bytes_delta", ch->bytes_delta);
        lt_json_i64(&j, "blocks_delta", ch->blocks_delta);
        lt_json_u64(&j, "bytes_before", ch->bytes_before);
        lt_json_u64(&j, "bytes_after", ch->bytes_after);
        lt_json_u64(&j, "blocks_before", ch->blocks_before);
        lt_json_u64(&j, "blocks_after", ch->blocks_after);
        lt_json_begin_arr(&j, "stack");
        for (size_t k = 0; k < ch->site->nframes; k++) lt_output_pframe_json(&j, ch->prof, &ch->site->frames[k]);
        lt_json_end_arr(&j);
        lt_json_end_obj(&j);
    }
    lt_json_end_arr(&j);
    lt_json_end_obj(&j);
    lt_json_finish(&j);
}

void lt_output_marks_text(FILE *out, const lt_replay_t *rp, int with_ticks)
{
    char a[40], b[40];
    size_t im = 0, it = 0;
    lt_output_sample_line(out, rp->proc.sample_rate);
    fprintf(out, "%10s  %-8s %16s %12s  %s\n", "seconds", "what", "live bytes", "live blocks", with_ticks ? "label / threads, rss" : "label");
    while (im < rp->nmarks || (with_ticks && it < rp->nticks)) {
        int mark = im < rp->nmarks && (!with_ticks || it >= rp->nticks || rp->marks[im].seq <= rp->ticks[it].seq);
        if (mark) {
            const lt_mark_t *m = &rp->marks[im++];
            fprintf(out, "%10.3f  %-8s %16s %12s  %s\n", m->ts / 1e9, "mark", lt_output_num(m->tot.live_bytes, a, sizeof a),
                    lt_output_num(m->tot.live_blocks, b, sizeof b), m->label);
        } else {
            const lt_tick_t *t = &rp->ticks[it++];
            fprintf(out, "%10.3f  %-8s %16s %12s  %" PRIu64 " threads, rss %" PRIu64 " KiB\n", t->ts / 1e9, "sample",
                    lt_output_num(t->live_bytes, a, sizeof a), lt_output_num(t->live_blocks, b, sizeof b), t->threads,
                    t->rss / 1024);
        }
    }
    if (!rp->nmarks) fputs("(no marks: see leaktrace_mark in leaktrace.h and LEAKTRACE_MARK_SIGNAL)\n", out);
}

void lt_output_marks_json(FILE *out, const lt_replay_t *rp, int with_ticks)
{
    lt_json_t j;
    lt_json_init(&j, out, 1);
    lt_json_begin_obj(&j, NULL);
    lt_output_sampling_json(&j, rp->proc.sample_rate);
    lt_json_begin_arr(&j, "marks");
    for (size_t i = 0; i < rp->nmarks; i++) {
        const lt_mark_t *m = &rp->marks[i];
        lt_json_begin_obj(&j, NULL);
        lt_json_str(&j, "label", m->label);
        lt_json_f64(&j, "seconds", m->ts / 1e9);
        lt_json_u64(&j, "seq", m->seq);
        lt_json_u64(&j, "tid", m->tid);
        lt_json_u64(&j, "live_bytes", m->tot.live_bytes);
        lt_json_u64(&j, "live_blocks", m->tot.live_blocks);
        lt_json_end_obj(&j);
    }
    lt_json_end_arr(&j);
    if (with_ticks) {
        lt_json_begin_arr(&j, "samples");
        for (size_t i = 0; i < rp->nticks; i++) {
            const lt_tick_t *t = &rp->ticks[i];
            lt_json_begin_obj(&j, NULL);
            lt_json_f64(&j, "seconds", t->ts / 1e9);
            lt_json_u64(&j, "live_bytes", t->live_bytes);
            lt_json_u64(&j, "live_blocks", t->live_blocks);
            lt_json_u64(&j, "threads", t->threads);
            lt_json_u64(&j, "rss_bytes", t->rss);
            lt_json_end_obj(&j);
        }
        lt_json_end_arr(&j);
    }
    lt_json_end_obj(&j);
    lt_json_finish(&j);
}
