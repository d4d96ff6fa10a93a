/*
 * output.c - text and JSON renderings of the leak report. The JSON shape is
 * a stable contract (docs/analyzer.md): fields may be added, never renamed.
 */
#include <limits.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "../common/lt_format.h"
#include "json.h"
#include "output.h"
#include "output_growth.h"
#include "output_threads.h"
#include "suppress.h"

const char *lt_output_num(uint64_t v, char *buf, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    size_t o = 0;
    for (int i = 0; i < len && o + 1 < n; i++) {
        if (i && (len - i) % 3 == 0 && o + 2 < n) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *lt_output_human(double b, char *buf, size_t n)
{
    double a = b < 0 ? -b : b;
    if (a < 10 * 1024) snprintf(buf, n, "%.0f B", b);
    else if (a < 10.0 * 1024 * 1024) snprintf(buf, n, "%.1f KiB", b / 1024.0);
    else if (a < 10.0 * 1024 * 1024 * 1024) snprintf(buf, n, "%.1f MiB", b / 1048576.0);
    else snprintf(buf, n, "%.1f GiB", b / 1073741824.0);
    return buf;
}

static const char *human(uint64_t b, char *buf, size_t n) { return lt_output_human((double)b, buf, n); }

const char *lt_output_end_text(const lt_replay_t *rp, char *buf, size_t n)
{
    if (!rp->complete) {
        snprintf(buf, n, "%s", rp->cut_short ? "trace cut short" : "no clean exit recorded (killed, or crashed)");
    } else {
        switch (rp->end_how) {
        case LT_END_EXIT: snprintf(buf, n, "exit status %d", rp->end_status); break;
        case LT_END_UNDERSCORE_EXIT: snprintf(buf, n, "_exit status %d", rp->end_status); break;
        case LT_END_SIGNAL: snprintf(buf, n, "killed by signal %d (SIG%s)", rp->end_status, sigabbrev_np(rp->end_status) ? sigabbrev_np(rp->end_status) : "?"); break;
        case LT_END_EXEC: snprintf(buf, n, "replaced itself by exec"); break;
        case LT_END_DISABLED: snprintf(buf, n, "tracing stopped early (error %d)", rp->end_status); break;
        default: snprintf(buf, n, "ended (how %d)", rp->end_how); break;
        }
    }
    return buf;
}

static uint64_t run_end_ts(const lt_replay_t *rp)
{
    return rp->complete && rp->end_ts > rp->last_ts ? rp->end_ts : rp->last_ts;
}

/* Wall-clock HH:MM:SS (local time) of ns since the tracer started, or
 * "+12.345 s" when the start time is unknown. */
static const char *clock_text(const lt_replay_t *rp, uint64_t ts, char *buf, size_t n)
{
    long long at;
    /* (A damaged trace's start or time can be anything: no clock then.) */
    if (rp->proc.start_realtime_ns <= 0 || ts > (uint64_t)LLONG_MAX ||
        __builtin_add_overflow(rp->proc.start_realtime_ns, (long long)ts, &at)) {
        snprintf(buf, n, "+%.3f s", ts / 1e9);
        return buf;
    }
    time_t t = (time_t)(at / 1000000000LL);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, n, "%H:%M:%S", &tm)) snprintf(buf, n, "+%.3f s", ts / 1e9);
    return buf;
}

static const char *span_text(uint64_t ns, char *buf, size_t n)
{
    double s = ns / 1e9;
    if (s >= 3600) snprintf(buf, n, "%.1f h", s / 3600);
    else if (s >= 60) snprintf(buf, n, "%.1f min", s / 60);
    else snprintf(buf, n, "%.1f s", s);
    return buf;
}

const char *lt_output_window_text(const lt_replay_t *rp, char *buf, size_t n)
{
    if (!rp->wrapped) return NULL;
    char a[32], b[32], c[32], d[32], e[32];
    uint64_t end = run_end_ts(rp);
    if (!rp->from_checkpoint) {
        snprintf(buf, n, "the oldest events were overwritten and no complete checkpoint survives: the trace covers the "
                         "end of a %s run, and blocks allocated before it are unknown", span_text(end, c, sizeof c));
        return buf;
    }
    snprintf(buf, n, "trace covers %s-%s of a %s run; earlier events were overwritten (%s blocks, %s, allocated before "
                     "the window are known from the checkpoint)",
             clock_text(rp, rp->window_ts, a, sizeof a), clock_text(rp, end, b, sizeof b), span_text(end, c, sizeof c),
             lt_output_num(rp->ckpt_blocks, d, sizeof d), lt_output_human((double)rp->ckpt_bytes, e, sizeof e));
    return buf;
}

const char *lt_output_damage_text(const lt_replay_t *rp, char *buf, size_t n)
{
    if (!rp->damaged) return NULL;
    snprintf(buf, n, "%llu damaged chunk%s skipped: data was lost, figures may miss events (first: %s)",
             (unsigned long long)rp->damaged, rp->damaged == 1 ? " was" : "s were", rp->damaged_msg);
    return buf;
}

void lt_output_window_json(lt_json_t *j, const lt_replay_t *rp)
{
    char a[32];
    uint64_t end = run_end_ts(rp);
    lt_json_begin_obj(j, "trace_window");
    lt_json_bool(j, "wrapped", rp->wrapped);
    lt_json_bool(j, "from_checkpoint", rp->from_checkpoint);
    lt_json_f64(j, "start_s", rp->from_checkpoint ? rp->window_ts / 1e9 : 0.0);
    lt_json_f64(j, "end_s", end / 1e9);
    lt_json_f64(j, "run_s", end / 1e9);
    lt_json_str(j, "start_time", clock_text(rp, rp->from_checkpoint ? rp->window_ts : 0, a, sizeof a));
    lt_json_str(j, "end_time", clock_text(rp, end, a, sizeof a));
    lt_json_u64(j, "blocks_before_window", rp->ckpt_blocks);
    lt_json_u64(j, "bytes_before_window", rp->ckpt_bytes);
    lt_json_u64(j, "max_size", rp->ring_max_size);
    lt_json_u64(j, "damaged_chunks", rp->damaged);
    if (rp->damaged) lt_json_str(j, "damage", rp->damaged_msg);
    else lt_json_null(j, "damage");
    lt_json_end_obj(j);
}

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

void lt_output_symframe_text(FILE *out, const lt_symframe_t *f, const char *lead)
{
    fputs(lead, out);
    if (f->function) fputs(f->function, out);
    else fprintf(out, "0x%" PRIx64, f->address);
    if (f->file) fprintf(out, " (%s:%d)", f->file, f->line);
    if (f->module) {
        if (f->function) fprintf(out, " in %s", base_name(f->module));
        else fprintf(out, " in %s+0x%" PRIx64, base_name(f->module), f->offset);
    } else if (!f->function) {
        fputs(" (no module)", out);
    }
    if (f->inlined) fputs(" [inlined]", out);
    fputc('\n', out);
}

void lt_output_pframe_text(FILE *out, const lt_profile_t *p, const lt_pframe_t *f, const char *lead)
{
    fputs(lead, out);
    const char *mod = lt_profile_module_name(p, f->module);
    if (f->function) fputs(f->function, out);
    else fprintf(out, "0x%" PRIx64, f->offset);
    if (f->file) fprintf(out, " (%s:%u)", f->file, f->line);
    if (*mod) {
        if (f->function) fprintf(out, " in %s", mod);
        else fprintf(out, " in %s+0x%" PRIx64, mod, f->offset);
    } else if (!f->function) {
        fputs(" (no module)", out);
    }
    if (f->inlined) fputs(" [inlined]", out);
    fputc('\n', out);
}

const char *lt_output_sample_note(uint64_t rate, char *buf, size_t n)
{
    if (!n) return buf;
    buf[0] = '\0';
    if (!rate) return buf;
    char h[32];
    snprintf(buf, n, "sampled trace (LEAKTRACE_SAMPLE=%" PRIu64 ", one sample per %s allocated on average): "
                     "byte and block figures are estimates, each sampled block weighted by 1/(1-exp(-size/%" PRIu64 "))",
             rate, lt_output_human((double)rate, h, sizeof h), rate);
    return buf;
}

void lt_output_sample_line(FILE *out, uint64_t rate)
{
    char note[256];
    if (rate) fprintf(out, "NOTE: %s\n", lt_output_sample_note(rate, note, sizeof note));
}

void lt_output_sampling_json(lt_json_t *j, uint64_t rate)
{
    lt_json_begin_obj(j, "sampling");
    lt_json_bool(j, "estimated", rate != 0);
    lt_json_u64(j, "rate_bytes", rate);
    lt_json_end_obj(j);
}

const char *lt_output_scan_text(const lt_replay_t *rp, char *buf, size_t n)
{
    const lt_reach_summary_t *s = &rp->reach;
    char e[64];
    if (!s->have) {
        snprintf(buf, n, "not scanned: the trace has no scan (%s)",
                 rp->complete ? "made by a tracer without it" : "it ended before the exit");
        return buf;
    }
    switch (s->status) {
    case LT_SCAN_RAN: snprintf(buf, n, "scanned"); break;
    case LT_SCAN_DISABLED: snprintf(buf, n, "not scanned: LEAKTRACE_SCAN=0"); break;
    case LT_SCAN_SAMPLED: snprintf(buf, n, "not scanned: a sampled trace (the tracer knew only the sampled blocks)"); break;
    case LT_SCAN_NOT_AT_EXIT:
        snprintf(buf, n, "not scanned: the process did not end through exit() (%s)",
                 s->how == LT_END_UNDERSCORE_EXIT ? "it called _exit()" :
                 s->how == LT_END_SIGNAL ? "a fatal signal" :
                 s->how == LT_END_EXEC ? "it called exec" : lt_output_end_text(rp, e, sizeof e));
        break;
    default: snprintf(buf, n, "not scanned: the scan failed (out of memory, /proc/self/maps unreadable, or memory unmapped under it)"); break;
    }
    return buf;
}

static void print_frame(FILE *out, const lt_symframe_t *f, int first)
{
    lt_output_symframe_text(out, f, first ? "    at " : "    by ");
}

void lt_output_report_text(FILE *out, const lt_report_t *r, const lt_text_opts_t *o)
{
    const lt_replay_t *rp = r->rp;
    char a[32], b[32], c[32], d[32], e[64];
    fprintf(out, "leaktrace report: %s (pid %lld), %s\n", rp->proc.exe ? rp->proc.exe : "?",
            rp->proc.pid, lt_output_end_text(rp, e, sizeof e));
    if (rp->proc.argc) {
        fputs("command:", out);
        for (size_t i = 0; i < rp->proc.argc; i++) fprintf(out, " %s", rp->proc.argv[i]);
        fputc('\n', out);
    }
    fprintf(out, "heap: %s allocations, %s frees, %s bytes allocated, peak %s live\n",
            lt_output_num(rp->tot.allocations, a, sizeof a), lt_output_num(rp->tot.frees, b, sizeof b),
            lt_output_num(rp->tot.bytes_allocated, c, sizeof c), human(rp->tot.peak_bytes, d, sizeof d));
    char wtext[1024];
    if (lt_output_window_text(rp, wtext, sizeof wtext)) fprintf(out, "window: %s\n", wtext);
    if (lt_output_damage_text(rp, wtext, sizeof wtext)) fprintf(out, "WARNING: %s\n", wtext);
    if (!rp->complete)
        fprintf(out, "WARNING: incomplete trace (%s): figures cover what was written before the end\n",
                rp->cut_short ? rp->cut_msg : "the process ended without exit(), e.g. killed or crashed");
    lt_output_sample_line(out, rp->proc.sample_rate);
    size_t nsites = 0;
    for (size_t i = 0; i < r->nleaks; i++) nsites += (size_t)lt_report_counts(r, &r->leaks[i]);
    fprintf(out, "leaked: %s bytes in %s block%s from %zu allocation site%s\n",
            lt_output_num(r->leak_bytes, a, sizeof a), lt_output_num(r->leak_blocks, b, sizeof b),
            r->leak_blocks == 1 ? "" : "s", nsites, nsites == 1 ? "" : "s");
    if (r->have_kinds) {
        const lt_reach_summary_t *sc = &rp->reach;
        fprintf(out, "reachability at exit (%s blocks scanned, %s of roots, %.1f ms%s):\n",
                lt_output_num(sc->blocks, a, sizeof a), human(sc->root_bytes, b, sizeof b), (double)sc->time_ns / 1e6,
                sc->threads_not_stopped ? ", some threads could not be stopped: their stacks scanned whole" : "");
        static const int order[4] = { LT_KIND_DEFINITE, LT_KIND_INDIRECT, LT_KIND_POSSIBLE, LT_KIND_REACHABLE };
        for (int i = 0; i < 4; i++) {
            int k = order[i];
            fprintf(out, "    %15s: %s bytes in %s block%s%s\n", lt_leak_kind_text(k),
                    lt_output_num(r->kind_bytes[k], a, sizeof a), lt_output_num(r->kind_blocks[k], b, sizeof b),
                    r->kind_blocks[k] == 1 ? "" : "s",
                    (r->show & LT_KINDS_MASK(k)) ? "" : k == LT_KIND_REACHABLE || k == LT_KIND_POSSIBLE ?
                    " (not listed; --show-reachable lists them)" : " (not listed)");
        }
        if (r->kind_blocks[LT_LEAK_NOT_FREED])
            fprintf(out, "    %15s: %s bytes in %s block%s the scan did not see\n", "unclassified",
                    lt_output_num(r->kind_bytes[LT_LEAK_NOT_FREED], a, sizeof a),
                    lt_output_num(r->kind_blocks[LT_LEAK_NOT_FREED], b, sizeof b),
                    r->kind_blocks[LT_LEAK_NOT_FREED] == 1 ? "" : "s");
    } else if (rp->reach.have) {
        char why[256];
        fprintf(out, "reachability at exit: %s; blocks still live are reported as not freed\n",
                lt_output_scan_text(rp, why, sizeof why));
    }
    if (r->supp_blocks)
        fprintf(out, "suppressed: %s bytes in %s block%s of runtime one-time allocations (--no-default-suppressions shows them)\n",
                lt_output_num(r->supp_bytes, a, sizeof a), lt_output_num(r->supp_blocks, b, sizeof b),
                r->supp_blocks == 1 ? "" : "s");
    if (r->usupp_sites)
        fprintf(out, "suppressed by --suppressions: %s bytes in %s block%s from %s allocation site%s\n",
                lt_output_num(r->usupp_bytes, a, sizeof a), lt_output_num(r->usupp_blocks, b, sizeof b),
                r->usupp_blocks == 1 ? "" : "s", lt_output_num(r->usupp_sites, c, sizeof c), r->usupp_sites == 1 ? "" : "s");
    size_t shown = o && o->top && o->top < r->nleaks ? o->top : r->nleaks;
    for (size_t i = 0; i < shown; i++) {
        const lt_leak_t *l = &r->leaks[i];
        if (l->kind == LT_LEAK_NOT_FREED) {
            fprintf(out, "\n%s bytes in %s block%s (%.1f%% of leaked)%s\n", lt_output_num(l->bytes, a, sizeof a),
                    lt_output_num(l->blocks, b, sizeof b), l->blocks == 1 ? "" : "s",
                    r->leak_bytes ? 100.0 * (double)l->bytes / (double)r->leak_bytes : 0.0,
                    l->truncated ? ", stack truncated at the depth limit" : "");
        } else {
            /* valgrind's loss record: "48 (16 direct, 32 indirect) bytes in 1 blocks are definitely lost" */
            if (l->indirect_bytes)
                fprintf(out, "\n%s (%s direct, %s indirect) bytes", lt_output_num(l->bytes + l->indirect_bytes, a, sizeof a),
                        lt_output_num(l->bytes, c, sizeof c), lt_output_num(l->indirect_bytes, d, sizeof d));
            else
                fprintf(out, "\n%s bytes", lt_output_num(l->bytes, a, sizeof a));
            fprintf(out, " in %s block%s %s %s", lt_output_num(l->blocks, b, sizeof b), l->blocks == 1 ? "" : "s",
                    l->blocks == 1 ? "is" : "are", lt_leak_kind_text(l->kind));
            if (lt_report_counts(r, l))
                fprintf(out, " (%.1f%% of leaked)", r->leak_bytes ? 100.0 * (double)l->bytes / (double)r->leak_bytes : 0.0);
            fprintf(out, "%s\n", l->truncated ? ", stack truncated at the depth limit" : "");
        }
        if (!l->nframes) fputs("    (stack not recorded)\n", out);
        for (size_t k = 0; k < l->nframes; k++) print_frame(out, &l->frames[k], k == 0);
    }
    if (shown < r->nleaks) fprintf(out, "\n... %zu more allocation sites (use --top 0 to see all)\n", r->nleaks - shown);
    if (r->threads) lt_output_thread_alerts_text(out, r->threads);
    if (r->growth) lt_output_growth_section_text(out, r->growth, 5);
    if (r->supp) lt_output_supp_text(out, r->supp, LT_SUPP_ALL);
}

static void hid_text(FILE *out, const lt_supp_rule_t *r)
{
    char a[32], b[32], c[32];
    switch (r->kind) {
    case LT_SUPP_LEAK:
        if (!r->sites) { fputs("hid nothing", out); break; }
        fprintf(out, "hid %s site%s, %s bytes in %s block%s", lt_output_num(r->sites, a, sizeof a), r->sites == 1 ? "" : "s",
                lt_output_num(r->bytes, b, sizeof b), lt_output_num(r->blocks, c, sizeof c), r->blocks == 1 ? "" : "s");
        break;
    case LT_SUPP_THREAD:
        if (!r->alerts) { fputs("hid nothing", out); break; }
        fprintf(out, "hid %s thread alert%s (%s thread%s)", lt_output_num(r->alerts, a, sizeof a), r->alerts == 1 ? "" : "s",
                lt_output_num(r->threads, b, sizeof b), r->threads == 1 ? "" : "s");
        break;
    default:
        if (!r->suspects) { fputs("hid nothing", out); break; }
        fprintf(out, "hid %s growth suspect%s", lt_output_num(r->suspects, a, sizeof a), r->suspects == 1 ? "" : "s");
        break;
    }
}

void lt_output_supp_text(FILE *out, const lt_supp_t *s, unsigned mask)
{
    size_t n = lt_supp_count(s, mask);
    if (!n) return;
    fprintf(out, "\nsuppressions: %zu rule%s\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < s->nrules; i++) {
        const lt_supp_rule_t *r = &s->rules[i];
        if (!(mask & LT_SUPP_MASK(r->kind))) continue;
        fprintf(out, "    %s:%s (%s:%u) ", lt_supp_kind_name(r->kind), r->pattern, r->file, r->line);
        hid_text(out, r);
        fputc('\n', out);
    }
}

void lt_output_supp_json(lt_json_t *j, const lt_supp_t *s, unsigned mask)
{
    lt_json_begin_arr(j, "suppressions");
    for (size_t i = 0; s && i < s->nrules; i++) {
        const lt_supp_rule_t *r = &s->rules[i];
        if (!(mask & LT_SUPP_MASK(r->kind))) continue;
        lt_json_begin_obj(j, NULL);
        lt_json_str(j, "kind", lt_supp_kind_name(r->kind));
        lt_json_str(j, "pattern", r->pattern);
        lt_json_str(j, "file", r->file);
        lt_json_u64(j, "line", r->line);
        lt_json_begin_obj(j, "hid");
        if (r->kind == LT_SUPP_LEAK) {
            lt_json_u64(j, "sites", r->sites);
            lt_json_u64(j, "bytes", r->bytes);
            lt_json_u64(j, "blocks", r->blocks);
        } else if (r->kind == LT_SUPP_THREAD) {
            lt_json_u64(j, "alerts", r->alerts);
            lt_json_u64(j, "threads", r->threads);
        } else {
            lt_json_u64(j, "suspects", r->suspects);
        }
        lt_json_end_obj(j);
        lt_json_end_obj(j);
    }
    lt_json_end_arr(j);
}

void lt_output_symframe_json(lt_json_t *j, const lt_symframe_t *f)
{
    char addr[32];
    lt_json_begin_obj(j, NULL);
    lt_json_str(j, "function", f->function);
    lt_json_str(j, "file", f->file);
    if (f->line) lt_json_i64(j, "line", f->line); else lt_json_null(j, "line");
    lt_json_str(j, "module", f->module);
    snprintf(addr, sizeof addr, "0x%" PRIx64, f->address);
    lt_json_str(j, "address", addr);
    snprintf(addr, sizeof addr, "0x%" PRIx64, f->offset);
    lt_json_str(j, "offset", addr);
    lt_json_bool(j, "inlined", f->inlined);
    lt_json_end_obj(j);
}

void lt_output_pframe_json(lt_json_t *j, const lt_profile_t *p, const lt_pframe_t *f)
{
    char hx[32];
    lt_json_begin_obj(j, NULL);
    lt_json_str(j, "function", f->function);
    lt_json_str(j, "file", f->file);
    if (f->line) lt_json_u64(j, "line", f->line);
    else lt_json_null(j, "line");
    lt_json_str(j, "module", f->module == LT_PMOD_NONE || f->module >= p->nmodules ? NULL : p->modules[f->module].path);
    snprintf(hx, sizeof hx, "0x%" PRIx64, f->offset);
    lt_json_str(j, "offset", hx);
    lt_json_bool(j, "inlined", f->inlined);
    lt_json_end_obj(j);
}

static const char *end_how_name(int how)
{
    switch (how) {
    case LT_END_EXIT: return "exit";
    case LT_END_UNDERSCORE_EXIT: return "_exit";
    case LT_END_SIGNAL: return "signal";
    case LT_END_EXEC: return "exec";
    case LT_END_DISABLED: return "tracing_stopped";
    default: return "unknown";
    }
}

void lt_output_report_json(FILE *out, const lt_report_t *r)
{
    const lt_replay_t *rp = r->rp;
    lt_json_t j;
    lt_json_init(&j, out, 1);
    lt_json_begin_obj(&j, NULL);

    lt_json_begin_obj(&j, "process");
    lt_json_i64(&j, "pid", rp->proc.pid);
    lt_json_i64(&j, "ppid", rp->proc.ppid);
    lt_json_str(&j, "exe", rp->proc.exe);
    lt_json_begin_arr(&j, "argv");
    for (size_t i = 0; i < rp->proc.argc; i++) lt_json_str(&j, NULL, rp->proc.argv[i]);
    lt_json_end_arr(&j);
    lt_json_bool(&j, "complete", rp->complete);
    lt_json_bool(&j, "forked", rp->proc.forked);
    if (rp->complete) {
        lt_json_begin_obj(&j, "end");
        lt_json_str(&j, "how", end_how_name(rp->end_how));
        lt_json_i64(&j, "status", rp->end_status);
        lt_json_end_obj(&j);
    } else {
        lt_json_null(&j, "end");
    }
    lt_json_f64(&j, "duration_s", (double)(rp->complete ? rp->end_ts : rp->last_ts) / 1e9);
    lt_json_end_obj(&j);
    lt_output_window_json(&j, rp);

    lt_output_sampling_json(&j, rp->proc.sample_rate);

    lt_json_begin_obj(&j, "totals");
    lt_json_u64(&j, "allocations", rp->tot.allocations);
    lt_json_u64(&j, "frees", rp->tot.frees);
    lt_json_u64(&j, "bytes_allocated", rp->tot.bytes_allocated);
    lt_json_u64(&j, "peak_bytes", rp->tot.peak_bytes);
    lt_json_u64(&j, "live_blocks", rp->tot.live_blocks);
    lt_json_u64(&j, "live_bytes", rp->tot.live_bytes);
    lt_json_u64(&j, "leaked_bytes", r->leak_bytes);
    lt_json_u64(&j, "leaked_blocks", r->leak_blocks);
    lt_json_begin_obj(&j, "by_kind");
    for (int k = 0; k < LT_LEAK_NKINDS; k++) {
        if (k == LT_LEAK_NOT_FREED ? !r->kind_blocks[k] && r->have_kinds : !r->have_kinds) continue;
        lt_json_begin_obj(&j, lt_leak_kind_name(k));
        lt_json_u64(&j, "bytes", r->kind_bytes[k]);
        lt_json_u64(&j, "blocks", r->kind_blocks[k]);
        lt_json_bool(&j, "counted", k == LT_LEAK_NOT_FREED || (r->kinds & LT_KINDS_MASK(k)));
        lt_json_bool(&j, "listed", k == LT_LEAK_NOT_FREED || (r->show & LT_KINDS_MASK(k)));
        lt_json_end_obj(&j);
    }
    lt_json_end_obj(&j);
    lt_json_end_obj(&j);

    {
        static const char *const st[] = { "ran", "disabled", "not_at_exit", "failed" };
        const lt_reach_summary_t *sc = &rp->reach;
        char e[256];
        lt_json_begin_obj(&j, "reachability");
        lt_json_bool(&j, "scanned", r->have_kinds);
        lt_json_str(&j, "status", !sc->have ? "absent" : sc->status < 4 ? st[sc->status] : "unknown");
        lt_json_str(&j, "detail", lt_output_scan_text(rp, e, sizeof e));
        lt_json_u64(&j, "blocks", sc->blocks);
        lt_json_u64(&j, "root_bytes", sc->root_bytes);
        lt_json_u64(&j, "heap_bytes", sc->heap_bytes);
        lt_json_f64(&j, "time_ms", (double)sc->time_ns / 1e6);
        lt_json_u64(&j, "threads_stopped", sc->threads_stopped);
        lt_json_u64(&j, "threads_not_stopped", sc->threads_not_stopped);
        lt_json_end_obj(&j);
    }

    lt_json_begin_obj(&j, "suppressed");
    lt_json_u64(&j, "bytes", r->supp_bytes);
    lt_json_u64(&j, "blocks", r->supp_blocks);
    lt_json_u64(&j, "sites", r->supp_sites);
    lt_json_end_obj(&j);

    lt_json_begin_arr(&j, "leaks");
    for (size_t i = 0; i < r->nleaks; i++) {
        const lt_leak_t *l = &r->leaks[i];
        lt_json_begin_obj(&j, NULL);
        lt_json_u64(&j, "bytes", l->bytes);
        lt_json_u64(&j, "blocks", l->blocks);
        lt_json_str(&j, "kind", lt_leak_kind_name(l->kind));
        lt_json_bool(&j, "counted", lt_report_counts(r, l));
        if (l->kind == LT_KIND_DEFINITE) lt_json_u64(&j, "indirect_bytes", l->indirect_bytes);
        lt_json_bool(&j, "truncated", l->truncated);
        lt_json_begin_arr(&j, "stack");
        for (size_t k = 0; k < l->nframes; k++) lt_output_symframe_json(&j, &l->frames[k]);
        lt_json_end_arr(&j);
        lt_json_end_obj(&j);
    }
    lt_json_end_arr(&j);

    lt_json_begin_obj(&j, "anomalies");
    lt_json_u64(&j, "unknown_frees", rp->unknown_frees);
    lt_json_u64(&j, "replaced_blocks", rp->replaced);
    lt_json_u64(&j, "sequence_gaps", rp->seq_gaps);
    lt_json_u64(&j, "undefined_stacks", rp->undefined_stacks);
    lt_json_end_obj(&j);
    if (r->threads) lt_output_thread_members_json(&j, r->threads, "thread_alerts");
    if (r->growth) lt_output_growth_members_json(&j, r->growth);
    if (r->supp) {
        lt_json_begin_obj(&j, "user_suppressed");
        lt_json_u64(&j, "bytes", r->usupp_bytes);
        lt_json_u64(&j, "blocks", r->usupp_blocks);
        lt_json_u64(&j, "sites", r->usupp_sites);
        lt_json_u64(&j, "thread_alerts", r->threads ? r->threads->supp_alerts : 0);
        lt_json_u64(&j, "growth_suspects", r->growth ? r->growth->suppressed : 0);
        lt_json_end_obj(&j);
        lt_output_supp_json(&j, r->supp, LT_SUPP_ALL);
    }

    lt_json_end_obj(&j);
    lt_json_finish(&j);
}
