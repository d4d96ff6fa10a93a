/*
 * profile_build.c - replay + symbolizer -> heap profile. Stacks are
 * symbolized exactly as for the leak report (allocation-function and
 * tracer frames removed, start-up code below main cut) so a site looks the
 * same in every output; modules are merged by path, so a library loaded
 * twice is one module and its frames keep their file offsets.
 */
#include <stdlib.h>
#include <string.h>

#include "profile_build.h"
#include "report.h"

static void hex(char *out, const unsigned char *b, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The profile module for a module path, added on first use. */
static uint32_t module_index(lt_profile_t *p, const lt_replay_t *rp, const char *path)
{
    if (!path) return LT_PMOD_NONE;
    for (size_t i = 0; i < p->nmodules; i++)
        if (strcmp(p->modules[i].path, path) == 0) return (uint32_t)i;
    lt_pmodule_t pm = { 0 };
    pm.path = path;
    for (size_t i = 0; i < rp->nmods; i++) {
        const lt_module_t *m = &rp->mods[i];
        if (strcmp(m->path, path) != 0) continue;
        pm.base = m->base;
        hex(pm.build_id, m->build_id, m->build_id_len < 64 ? m->build_id_len : 64);
        uint64_t lo = UINT64_MAX, hi = 0;
        for (uint32_t s = 0; s < m->nseg; s++) {
            if (m->seg[s].vaddr < lo) lo = m->seg[s].vaddr;
            if (m->seg[s].vaddr + m->seg[s].memsz > hi) hi = m->seg[s].vaddr + m->seg[s].memsz;
        }
        if (lo <= hi) {
            /* Mappings start at page boundaries; the first PT_LOAD maps
             * the file from offset 0 in every linker's default layout. */
            pm.start = m->base + (lo & ~(uint64_t)4095);
            pm.limit = m->base + hi;
        }
        break;
    }
    return lt_profile_add_module(p, &pm);
}

int lt_profile_add_stack(lt_profile_t *p, const lt_replay_t *rp, lt_symbolizer_t *sym, uint32_t id,
                         const lt_pcounts_t *c, size_t *index)
{
    const lt_stack_t *s = lt_replay_stack(rp, id);
    lt_symframe_t *fr = NULL;
    lt_pframe_t *pf = NULL;
    size_t n = 0;
    int truncated = 0;
    if (s->ips && id != LT_STACK_NONE) {
        if (lt_report_symbolize(sym, s, &fr, &n) < 0) return -LT_E_NOMEM;
        truncated = rp->proc.depth > 0 && s->depth >= (uint32_t)rp->proc.depth;
    }
    if (n && !(pf = malloc(n * sizeof *pf))) { free(fr); return -LT_E_NOMEM; }
    for (size_t i = 0; i < n; i++) {
        pf[i].function = lt_profile_str(p, fr[i].function);
        pf[i].file = lt_profile_str(p, fr[i].file);
        pf[i].line = fr[i].line > 0 ? (uint32_t)fr[i].line : 0;
        pf[i].module = module_index(p, rp, fr[i].module);
        /* No module: the address itself (the symbolizer has no base to subtract). */
        pf[i].offset = fr[i].module ? fr[i].offset : fr[i].address;
        pf[i].inlined = fr[i].inlined;
        if ((fr[i].function && !pf[i].function) || (fr[i].file && !pf[i].file) ||
            (fr[i].module && pf[i].module == LT_PMOD_NONE)) {
            free(fr);
            free(pf);
            return -LT_E_NOMEM;
        }
    }
    int runtime = lt_report_is_runtime(fr, n);
    free(fr);
    int rc = lt_profile_add_site_at(p, c, pf, n, truncated, runtime, index);
    free(pf);
    return rc;
}

int lt_profile_from_replay(const lt_replay_t *rp, lt_symbolizer_t *sym, int moment_kind, const char *label,
                           lt_profile_t **out, lt_err_t *err)
{
    *out = NULL;
    lt_profile_t *p = lt_profile_new();
    if (!p) LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory");
    const lt_snapshot_t *sn = &rp->snap;
    int have_snap = moment_kind != LT_MOMENT_END;

    p->pid = rp->proc.pid;
    if (rp->proc.exe && !(p->exe = lt_profile_str(p, rp->proc.exe))) goto oom;
    if (rp->proc.argv) {
        size_t len = 1;
        for (size_t i = 0; i < rp->proc.argc; i++) len += strlen(rp->proc.argv[i]) + 1;
        char *c = malloc(len), *w = c;
        if (!c) goto oom;
        for (size_t i = 0; i < rp->proc.argc; i++) {
            if (i) *w++ = ' ';
            size_t l = strlen(rp->proc.argv[i]);
            memcpy(w, rp->proc.argv[i], l);
            w += l;
        }
        *w = '\0';
        p->cmdline = lt_profile_str(p, c);
        free(c);
        if (!p->cmdline) goto oom;
    }
    p->start_realtime_ns = rp->proc.start_realtime_ns;
    p->sample_rate = rp->proc.sample_rate;
    p->moment = moment_kind;
    if (label && !(p->mark = lt_profile_str(p, label))) goto oom;
    p->complete = rp->complete && !rp->cut_short;
    if (have_snap) {
        p->ts_ns = sn->ts;
        p->threads = sn->threads;
    } else {
        p->ts_ns = rp->complete ? rp->end_ts : rp->last_ts;
        p->threads = rp->nticks ? rp->ticks[rp->nticks - 1].threads : 0;
    }

    for (size_t id = 0; id <= rp->nstacks; id++) {
        const lt_stack_t *s = id < rp->nstacks ? &rp->stacks[id] : &rp->none_stack;
        lt_stack_stats_t st = s->st;
        if (have_snap) {
            if (id == rp->nstacks) st = sn->none_st;
            else if (id < sn->nst) st = sn->st[id];
            else memset(&st, 0, sizeof st);
        }
        if (!st.allocs && !st.live_blocks) continue;
        lt_pcounts_t c = { st.allocs, st.bytes_alloc, st.live_blocks, st.live_bytes };
        size_t idx;
        if (lt_profile_add_stack(p, rp, sym, id < rp->nstacks ? (uint32_t)id : LT_STACK_NONE, &c, &idx) < 0) goto oom;
    }
    lt_profile_finish(p);
    *out = p;
    return 0;
oom:
    lt_profile_free(p);
    LT_RETURN_ERROR(err, LT_E_NOMEM, -1, "out of memory while building the heap profile");
}
