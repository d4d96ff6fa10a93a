/*
 * output_threads.c - renders thread alerts. The JSON shape is a contract
 * (docs/analyzer.md): {"threads": {"created", "running_at_exit",
 * "max_alive", ...}, "alerts": [{"kind", "count", "stack": [...]}]}.
 */
#include <inttypes.h>
#include <string.h>

#include "output.h"
#include "output_threads.h"
#include "suppress.h"

static const char *kind_names[] = { "running_at_exit", "never_joined", "growing" };

static void alert_text(FILE *out, const lt_thread_alert_t *a)
{
    switch (a->kind) {
    case LT_TALERT_RUNNING_AT_EXIT:
        fprintf(out, "\nrunning_at_exit: %zu thread%s still running when the process ended", a->count, a->count == 1 ? "" : "s");
        break;
    case LT_TALERT_NEVER_JOINED:
        fprintf(out, "\nnever_joined: %zu thread%s finished but never joined nor detached (stack and descriptor held)",
                a->count, a->count == 1 ? "" : "s");
        break;
    default:
        fprintf(out, "\ngrowing: %zu threads alive at the end, %zu at mid-run (+%.1f/s), %zu created at this site",
                a->count, a->live_mid, a->rate_per_s, a->created);
        break;
    }
    if (a->start_function) fprintf(out, ", start routine %s", a->start_function);
    fputc('\n', out);
    if (a->nexamples) {
        fputs("    e.g.", out);
        for (size_t i = 0; i < a->nexamples; i++) {
            const lt_thread_info_t *t = a->examples[i];
            fprintf(out, "%s thread #%" PRIu64 " (tid %u%s%s%s)", i ? "," : "", t->serial, t->tid, t->name[0] ? " \"" : "",
                    t->name, t->name[0] ? "\"" : "");
        }
        fputc('\n', out);
    }
    if (!a->nframes) fputs("    (creation stack not recorded)\n", out);
    for (size_t k = 0; k < a->nframes; k++) lt_output_symframe_text(out, &a->frames[k], k == 0 ? "    created at " : "            by ");
}

static void suppressed_text(FILE *out, const lt_thread_report_t *t)
{
    if (t->supp_alerts)
        fprintf(out, "thread alerts suppressed by --suppressions: %zu (%zu thread%s)\n", t->supp_alerts, t->supp_threads,
                t->supp_threads == 1 ? "" : "s");
}

void lt_output_thread_alerts_text(FILE *out, const lt_thread_report_t *t)
{
    if (!t->nalerts) {
        if (t->supp_alerts) fputc('\n', out);
        suppressed_text(out, t);
        return;
    }
    fprintf(out, "\nthread alerts: %zu (leaktrace threads TRACE for the thread table)\n", t->nalerts);
    suppressed_text(out, t);
    for (size_t i = 0; i < t->nalerts; i++) alert_text(out, &t->alerts[i]);
}

void lt_output_threads_text(FILE *out, const lt_replay_t *rp, const lt_thread_report_t *t)
{
    fprintf(out, "leaktrace threads: %s (pid %lld)\n", rp->proc.exe ? rp->proc.exe : "?", rp->proc.pid);
    lt_output_sample_line(out, rp->proc.sample_rate);
    if (!t->tracked) {
        fputs("no threads created through pthread_create in this trace\n", out);
        return;
    }
    fprintf(out, "threads: %zu created, %zu running at exit, at most %zu alive at once (besides main)\n", t->created,
            t->running_at_exit, t->max_alive);
    if (t->ignored) fprintf(out, "ignored: %zu threads (--ignore-thread)\n", t->ignored);
    suppressed_text(out, t);
    if (!t->nalerts) fputs("no thread alerts\n", out);
    else fprintf(out, "alerts: %zu\n", t->nalerts);
    for (size_t i = 0; i < t->nalerts; i++) alert_text(out, &t->alerts[i]);
    if (t->supp) lt_output_supp_text(out, t->supp, LT_SUPP_MASK(LT_SUPP_THREAD));
}

static void alerts_json(lt_json_t *j, const lt_thread_report_t *t, const char *key)
{
    lt_json_begin_arr(j, key);
    for (size_t i = 0; i < t->nalerts; i++) {
        const lt_thread_alert_t *a = &t->alerts[i];
        lt_json_begin_obj(j, NULL);
        lt_json_str(j, "kind", kind_names[a->kind]);
        lt_json_u64(j, "count", a->count);
        lt_json_str(j, "start_function", a->start_function);
        if (a->kind == LT_TALERT_GROWING) {
            lt_json_u64(j, "created", a->created);
            lt_json_u64(j, "alive_mid_run", a->live_mid);
            lt_json_f64(j, "rate_per_s", a->rate_per_s);
        }
        lt_json_begin_arr(j, "examples");
        for (size_t k = 0; k < a->nexamples; k++) {
            lt_json_begin_obj(j, NULL);
            lt_json_u64(j, "serial", a->examples[k]->serial);
            lt_json_u64(j, "tid", a->examples[k]->tid);
            lt_json_str(j, "name", a->examples[k]->name[0] ? a->examples[k]->name : NULL);
            lt_json_end_obj(j);
        }
        lt_json_end_arr(j);
        lt_json_begin_arr(j, "stack");
        for (size_t k = 0; k < a->nframes; k++) lt_output_symframe_json(j, &a->frames[k]);
        lt_json_end_arr(j);
        lt_json_end_obj(j);
    }
    lt_json_end_arr(j);
}

void lt_output_thread_members_json(lt_json_t *j, const lt_thread_report_t *t, const char *alerts_key)
{
    lt_json_begin_obj(j, "threads");
    lt_json_u64(j, "created", t->created);
    lt_json_u64(j, "running_at_exit", t->running_at_exit);
    lt_json_u64(j, "max_alive", t->max_alive);
    lt_json_u64(j, "ignored", t->ignored);
    lt_json_bool(j, "tracked", t->tracked);
    if (t->supp) {
        lt_json_u64(j, "suppressed_alerts", t->supp_alerts);
        lt_json_u64(j, "suppressed_threads", t->supp_threads);
    }
    lt_json_end_obj(j);
    alerts_json(j, t, alerts_key);
}

void lt_output_threads_json(FILE *out, const lt_replay_t *rp, const lt_thread_report_t *t)
{
    lt_json_t j;
    lt_json_init(&j, out, 1);
    lt_json_begin_obj(&j, NULL);
    lt_json_i64(&j, "pid", rp->proc.pid);
    lt_json_str(&j, "exe", rp->proc.exe);
    lt_json_bool(&j, "complete", rp->complete && !rp->cut_short);
    lt_output_sampling_json(&j, rp->proc.sample_rate);
    lt_output_window_json(&j, rp);
    lt_output_thread_members_json(&j, t, "alerts");
    lt_json_begin_arr(&j, "table");
    for (size_t i = 0; i < rp->nthreads; i++) {
        const lt_thread_info_t *th = &rp->threads[i];
        if (!th->have_create && !th->have_start) continue;
        lt_json_begin_obj(&j, NULL);
        lt_json_u64(&j, "serial", th->serial);
        lt_json_u64(&j, "tid", th->tid);
        lt_json_str(&j, "name", th->name[0] ? th->name : NULL);
        lt_json_u64(&j, "creator_serial", th->creator_serial);
        lt_json_f64(&j, "created_s", th->create_ts / 1e9);
        if (th->have_end) lt_json_f64(&j, "ended_s", th->end_ts / 1e9);
        else lt_json_null(&j, "ended_s");
        lt_json_str(&j, "end", !th->have_end ? "running" : th->end_how == 1 ? "pthread_exit" : th->end_how == 2 ? "cancelled" : "returned");
        lt_json_bool(&j, "detached", th->detached_at_create || th->have_detach);
        if (th->have_join) lt_json_f64(&j, "joined_s", th->join_ts / 1e9);
        else lt_json_null(&j, "joined_s");
        lt_json_end_obj(&j);
    }
    lt_json_end_arr(&j);
    if (t->supp) lt_output_supp_json(&j, t->supp, LT_SUPP_MASK(LT_SUPP_THREAD));
    lt_json_end_obj(&j);
    lt_json_finish(&j);
}
