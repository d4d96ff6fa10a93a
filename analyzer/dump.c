/*
 * dump.c - heap dump files, text and JSON (format: docs/dumps.md).
 *
 * Text: one record per line, fields separated by tabs, strings escaped
 * (\\ \t \n \r), an empty string for "unknown". The last line is "end N"
 * so a dump cut short is detected. JSON: the same content as one object,
 * read back through json_read.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "json.h"
#include "json_read.h"

static const char *moment_names[] = { "end", "time", "mark", "peak", "seq" };

const char *lt_dump_moment_text(const lt_profile_t *p, char *buf, size_t n)
{
    switch (p->moment) {
    case LT_MOMENT_MARK: snprintf(buf, n, "mark \"%s\" (%.3f s)", p->mark ? p->mark : "", p->ts_ns / 1e9); break;
    case LT_MOMENT_TIME: snprintf(buf, n, "%.3f s", p->ts_ns / 1e9); break;
    case LT_MOMENT_PEAK: snprintf(buf, n, "the peak (%.3f s)", p->ts_ns / 1e9); break;
    default: snprintf(buf, n, "the end (%.3f s)", p->ts_ns / 1e9); break;
    }
    return buf;
}

/* A build id as dumps hold it: lowercase hex, at most 128 digits, or "". */
static int build_id_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))) return 0;
    return n < sizeof ((lt_pmodule_t *)0)->build_id;
}

/* ---- writing: text ---- */

static void put_esc(FILE *o, const char *s)
{
    if (!s) return;
    for (; *s; s++) {
        switch (*s) {
        case '\\': fputs("\\\\", o); break;
        case '\t': fputs("\\t", o); break;
        case '\n': fputs("\\n", o); break;
        case '\r': fputs("\\r", o); break;
        default: fputc(*s, o);
        }
    }
}

int lt_dump_write_text(const lt_profile_t *p, FILE *o)
{
    char mbuf[300];
    fprintf(o, "%s %d\n", LT_DUMP_MAGIC, LT_DUMP_VERSION);
    fprintf(o, "# heap of ");
    put_esc(o, p->exe);
    fprintf(o, " (pid %lld) at ", p->pid);
    put_esc(o, lt_dump_moment_text(p, mbuf, sizeof mbuf));
    fprintf(o, ": %" PRIu64 " bytes in %" PRIu64 " live blocks, %zu sites\n", p->total.inuse_space, p->total.inuse_objects,
            p->nsites);
    fprintf(o, "# format: docs/dumps.md; read it with leaktrace diff / pprof / flamegraph\n");
    fprintf(o, "pid\t%lld\nexe\t", p->pid);
    put_esc(o, p->exe);
    fprintf(o, "\ncmdline\t");
    put_esc(o, p->cmdline);
    fprintf(o, "\nstart_realtime_ns\t%lld\n", p->start_realtime_ns);
    fprintf(o, "moment\t%s\n", moment_names[p->moment >= 0 && p->moment <= LT_MOMENT_SEQ ? p->moment : 0]);
    if (p->mark) {
        fprintf(o, "mark\t");
        put_esc(o, p->mark);
        fputc('\n', o);
    }
    fprintf(o, "ts_ns\t%" PRIu64 "\ncomplete\t%d\nthreads\t%" PRIu64 "\n", p->ts_ns, p->complete, p->threads);
    /* Sampled traces: the counts below are estimates (docs/performance.md). */
    if (p->sample_rate) fprintf(o, "estimated\t1\nsample_rate\t%" PRIu64 "\n", p->sample_rate);
    fprintf(o, "total\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\n", p->total.inuse_space, p->total.inuse_objects,
            p->total.alloc_space, p->total.alloc_objects);
    for (size_t i = 0; i < p->nmodules; i++) {
        const lt_pmodule_t *m = &p->modules[i];
        fprintf(o, "module\t%zu\t%s\t0x%" PRIx64 "\t0x%" PRIx64 "\t0x%" PRIx64 "\t0x%" PRIx64 "\t", i, m->build_id, m->base,
                m->start, m->limit, m->file_offset);
        put_esc(o, m->path);
        fputc('\n', o);
    }
    for (size_t i = 0; i < p->nsites; i++) {
        const lt_psite_t *s = &p->sites[i];
        fprintf(o, "site\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%d\t%d\t%zu\n", s->c.inuse_space,
                s->c.inuse_objects, s->c.alloc_space, s->c.alloc_objects, s->truncated, s->runtime, s->nframes);
        for (size_t k = 0; k < s->nframes; k++) {
            const lt_pframe_t *f = &s->frames[k];
            fprintf(o, "frame\t%lld\t0x%" PRIx64 "\t%u\t%d\t", f->module == LT_PMOD_NONE ? -1LL : (long long)f->module,
                    f->offset, f->line, f->inlined);
            put_esc(o, f->function);
            fputc('\t', o);
            put_esc(o, f->file);
            fputc('\n', o);
        }
    }
    fprintf(o, "end\t%zu\n", p->nsites);
    return ferror(o) ? -1 : 0;
}

/* ---- writing: JSON ---- */

int lt_dump_write_json(const lt_profile_t *p, FILE *o)
{
    lt_json_t j;
    lt_json_init(&j, o, 1);
    lt_json_begin_obj(&j, NULL);
    lt_json_str(&j, "format", LT_DUMP_MAGIC);
    lt_json_u64(&j, "version", LT_DUMP_VERSION);
    lt_json_begin_obj(&j, "process");
    lt_json_i64(&j, "pid", p->pid);
    lt_json_str(&j, "exe", p->exe);
    lt_json_str(&j, "cmdline", p->cmdline);
    lt_json_i64(&j, "start_realtime_ns", p->start_realtime_ns);
    lt_json_end_obj(&j);
    lt_json_begin_obj(&j, "moment");
    lt_json_str(&j, "kind", moment_names[p->moment >= 0 && p->moment <= LT_MOMENT_SEQ ? p->moment : 0]);
    lt_json_str(&j, "mark", p->mark);
    lt_json_u64(&j, "ts_ns", p->ts_ns);
    lt_json_bool(&j, "complete", p->complete);
    lt_json_u64(&j, "threads", p->threads);
    lt_json_end_obj(&j);
    lt_json_begin_obj(&j, "sampling");   /* sampled trace: the counts are estimates */
    lt_json_bool(&j, "estimated", p->sample_rate != 0);
    lt_json_u64(&j, "rate_bytes", p->sample_rate);
    lt_json_end_obj(&j);
    lt_json_begin_obj(&j, "totals");
    lt_json_u64(&j, "inuse_bytes", p->total.inuse_space);
    lt_json_u64(&j, "inuse_blocks", p->total.inuse_objects);
    lt_json_u64(&j, "alloc_bytes", p->total.alloc_space);
    lt_json_u64(&j, "alloc_blocks", p->total.alloc_objects);
    lt_json_end_obj(&j);
    lt_json_begin_arr(&j, "modules");
    for (size_t i = 0; i < p->nmodules; i++) {
        const lt_pmodule_t *m = &p->modules[i];
        lt_json_begin_obj(&j, NULL);
        lt_json_str(&j, "path", m->path);
        lt_json_str(&j, "build_id", m->build_id);
        lt_json_u64(&j, "base", m->base);
        lt_json_u64(&j, "start", m->start);
        lt_json_u64(&j, "limit", m->limit);
        lt_json_u64(&j, "file_offset", m->file_offset);
        lt_json_end_obj(&j);
    }
    lt_json_end_arr(&j);
    lt_json_begin_arr(&j, "sites");
    for (size_t i = 0; i < p->nsites; i++) {
        const lt_psite_t *s = &p->sites[i];
        lt_json_begin_obj(&j, NULL);
        lt_json_u64(&j, "inuse_bytes", s->c.inuse_space);
        lt_json_u64(&j, "inuse_blocks", s->c.inuse_objects);
        lt_json_u64(&j, "alloc_bytes", s->c.alloc_space);
        lt_json_u64(&j, "alloc_blocks", s->c.alloc_objects);
        lt_json_bool(&j, "truncated", s->truncated);
        lt_json_bool(&j, "runtime", s->runtime);
        lt_json_begin_arr(&j, "stack");
        for (size_t k = 0; k < s->nframes; k++) {
            const lt_pframe_t *f = &s->frames[k];
            lt_json_begin_obj(&j, NULL);
            lt_json_str(&j, "function", f->function);
            lt_json_str(&j, "file", f->file);
            if (f->line) lt_json_u64(&j, "line", f->line);
            else lt_json_null(&j, "line");
            lt_json_str(&j, "module", f->module == LT_PMOD_NONE ? NULL : p->modules[f->module].path);
            if (f->module == LT_PMOD_NONE) lt_json_null(&j, "module_index");
            else lt_json_u64(&j, "module_index", f->module);
            lt_json_u64(&j, "offset", f->offset);
            lt_json_bool(&j, "inlined", f->inlined);
            lt_json_end_obj(&j);
        }
        lt_json_end_arr(&j);
        lt_json_end_obj(&j);
    }
    lt_json_end_arr(&j);
    lt_json_end_obj(&j);
    lt_json_finish(&j);
    return ferror(o) ? -1 : 0;
}

/* ---- reading ---- */

int lt_dump_sniff(const char *head, size_t n)
{
    size_t ml = strlen(LT_DUMP_MAGIC);
    if (n >= ml && memcmp(head, LT_DUMP_MAGIC, ml) == 0) return 1;
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\t' || head[i] == '\r')) i++;
    if (i < n && head[i] == '{') {
        const char *f = memmem(head + i, n - i, "\"format\"", 8);
        const char *m = memmem(head + i, n - i, "\"" LT_DUMP_MAGIC "\"", ml + 2);
        if (f && m && m > f) return 2;
    }
    return 0;
}

static char *read_all(const char *path, size_t *len, lt_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        LT_ERR_SET(err, LT_E_IO, -1, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        cap *= 2;
        char *nb = realloc(b, cap + 1);
        if (!nb) { free(b); b = NULL; break; }
        b = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (!b) { LT_ERR_SET(err, LT_E_NOMEM, -1, "out of memory reading '%s'", path); return NULL; }
    if (bad) { free(b); LT_ERR_SET(err, LT_E_IO, -1, "cannot read '%s'", path); return NULL; }
    b[n] = '\0';
    *len = n;
    return b;
}

/* Splits a line in place at tabs into at most max fields; unescapes each. */
static size_t split_fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *s = line;
    for (;;) {
        if (n == max) break;
        f[n++] = s;
        char *t = strchr(s, '\t');
        if (!t) break;
        *t = '\0';
        s = t + 1;
    }
    for (size_t i = 0; i < n; i++) {
        char *r = f[i], *w = f[i];
        for (; *r; r++) {
            if (*r == '\\' && r[1]) {
                r++;
                *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
            } else {
                *w++ = *r;
            }
        }
        *w = '\0';
    }
    return n;
}

/* Decimal, or hexadecimal with 0x (never octal: "010" is ten). */
static int parse_u64(const char *s, uint64_t *v)
{
    if (!*s || *s == '-' || *s == '+' || *s == ' ') return -1;
    char *e;
    errno = 0;
    int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex && (!s[2] || s[2] == '-' || s[2] == '+' || s[2] == ' ')) return -1;
    unsigned long long x = strtoull(s, &e, hex ? 16 : 10);
    if (*e || errno) return -1;
    *v = x;
    return 0;
}

static int parse_i64(const char *s, long long *v)
{
    if (!*s) return -1;
    char *e;
    errno = 0;
    long long x = strtoll(s, &e, 10);
    if (*e || errno) return -1;
    *v = x;
    return 0;
}

static int moment_from_name(const char *s)
{
    for (int i = 0; i <= LT_MOMENT_SEQ; i++)
        if (strcmp(s, moment_names[i]) == 0) return i;
    return -1;
}

#define BAD(...) do { LT_ERR_SET(err, LT_E_CORRUPT, -1, __VA_ARGS__); goto fail; } while (0)
#define NOMEM() do { LT_ERR_SET(err, LT_E_NOMEM, -1, "out of memory reading '%s'", path); goto fail; } while (0)

static int read_text(const char *path, char *buf, lt_profile_t **out, lt_err_t *err)
{
    lt_profile_t *p = lt_profile_new();
    lt_pframe_t *fr = NULL;
    size_t nfr = 0, want = 0, ended = 0, lineno = 0, site_lines = 0;
    lt_pcounts_t c = { 0 };
    int trunc = 0, runtime = 0, in_site = 0;
    if (!p) NOMEM();
    for (char *line = buf, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        else if (!*line) break; /* after the last newline */
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = '\0';
        if (lineno == 1) {
            char want_hdr[64];
            snprintf(want_hdr, sizeof want_hdr, "%s %d", LT_DUMP_MAGIC, LT_DUMP_VERSION);
            if (strcmp(line, want_hdr) != 0) {
                if (strncmp(line, LT_DUMP_MAGIC " ", strlen(LT_DUMP_MAGIC) + 1) == 0) {
                    LT_ERR_SET(err, LT_E_FORMAT, -1, "%s: heap dump version %s is not supported (this leaktrace reads version %d)",
                               path, line + strlen(LT_DUMP_MAGIC) + 1, LT_DUMP_VERSION);
                    goto fail;
                }
                LT_ERR_SET(err, LT_E_FORMAT, -1, "%s is not a leaktrace heap dump", path);
                goto fail;
            }
            continue;
        }
        if (line[0] == '#' || line[0] == '\0') continue;
        if (ended) BAD("%s: line %zu: data after the end line", path, lineno);
        char *f[8];
        size_t n = split_fields(line, f, 8);
        const char *k = f[0];
        if (in_site && strcmp(k, "frame") != 0) BAD("%s: line %zu: site has %zu of its %zu frames", path, lineno, nfr, want);
        if (!strcmp(k, "frame")) {
            long long mod;
            uint64_t off, ln, inl;
            if (!in_site || n != 7 || parse_i64(f[1], &mod) || mod < -1 || (mod >= 0 && (size_t)mod >= p->nmodules) ||
                parse_u64(f[2], &off) || parse_u64(f[3], &ln) || ln > UINT32_MAX || parse_u64(f[4], &inl) || inl > 1)
                BAD("%s: line %zu: malformed frame line", path, lineno);
            lt_pframe_t pf = { NULL, NULL, (uint32_t)ln, mod < 0 ? LT_PMOD_NONE : (uint32_t)mod, off, (int)inl };
            if (*f[5] && !(pf.function = lt_profile_str(p, f[5]))) NOMEM();
            if (*f[6] && !(pf.file = lt_profile_str(p, f[6]))) NOMEM();
            fr[nfr++] = pf;
            if (nfr == want) {
                if (lt_profile_add_site(p, &c, fr, nfr, trunc, runtime) < 0) NOMEM();
                in_site = 0;
            }
        } else if (!strcmp(k, "site")) {
            uint64_t v[7];
            int ok = n == 8;
            for (size_t i = 0; ok && i < 7; i++) ok = parse_u64(f[i + 1], &v[i]) == 0;
            if (!ok || v[4] > 1 || v[5] > 1 || v[6] > 100000) BAD("%s: line %zu: malformed site line", path, lineno);
            site_lines++;
            c = (lt_pcounts_t){ v[3], v[2], v[1], v[0] };
            trunc = (int)v[4];
            runtime = (int)v[5];
            want = (size_t)v[6];
            nfr = 0;
            free(fr);
            fr = malloc((want ? want : 1) * sizeof *fr);
            if (!fr) NOMEM();
            if (want == 0) {
                if (lt_profile_add_site(p, &c, NULL, 0, trunc, runtime) < 0) NOMEM();
            } else {
                in_site = 1;
            }
        } else if (!strcmp(k, "module")) {
            lt_pmodule_t m = { 0 };
            uint64_t idx;
            if (n != 8 || parse_u64(f[1], &idx) || idx != p->nmodules || !build_id_ok(f[2]) ||
                parse_u64(f[3], &m.base) || parse_u64(f[4], &m.start) || parse_u64(f[5], &m.limit) ||
                parse_u64(f[6], &m.file_offset))
                BAD("%s: line %zu: malformed module line", path, lineno);
            strcpy(m.build_id, f[2]);
            m.path = f[7];
            if (lt_profile_add_module(p, &m) == LT_PMOD_NONE) NOMEM();
        } else if (!strcmp(k, "end")) {
            uint64_t ns;
            if (n != 2 || parse_u64(f[1], &ns)) BAD("%s: line %zu: malformed end line", path, lineno);
            if (ns != site_lines) BAD("%s: line %zu: the dump says %llu sites but has %zu: sites are missing", path, lineno,
                                      (unsigned long long)ns, site_lines);
            ended = 1;
        } else if (n == 2) {
            const char *v = f[1];
            uint64_t u;
            long long ll2;
            if (!strcmp(k, "pid")) { if (parse_i64(v, &p->pid)) BAD("%s: line %zu: bad pid", path, lineno); }
            else if (!strcmp(k, "exe")) { if (!(p->exe = lt_profile_str(p, v))) NOMEM(); }
            else if (!strcmp(k, "cmdline")) { if (!(p->cmdline = lt_profile_str(p, v))) NOMEM(); }
            else if (!strcmp(k, "start_realtime_ns")) { if (parse_i64(v, &ll2)) BAD("%s: line %zu: bad number", path, lineno); p->start_realtime_ns = ll2; }
            else if (!strcmp(k, "moment")) { int mk = moment_from_name(v); if (mk < 0) BAD("%s: line %zu: unknown moment '%s'", path, lineno, v); p->moment = mk; }
            else if (!strcmp(k, "mark")) { if (!(p->mark = lt_profile_str(p, v))) NOMEM(); }
            else if (!strcmp(k, "ts_ns")) { if (parse_u64(v, &p->ts_ns)) BAD("%s: line %zu: bad number", path, lineno); }
            else if (!strcmp(k, "complete")) { if (parse_u64(v, &u) || u > 1) BAD("%s: line %zu: bad flag", path, lineno); p->complete = (int)u; }
            else if (!strcmp(k, "threads")) { if (parse_u64(v, &p->threads)) BAD("%s: line %zu: bad number", path, lineno); }
            else if (!strcmp(k, "sample_rate")) { if (parse_u64(v, &p->sample_rate)) BAD("%s: line %zu: bad number", path, lineno); }
            else if (!strcmp(k, "estimated")) { if (parse_u64(v, &u) || u > 1) BAD("%s: line %zu: bad flag", path, lineno); }
            /* Unknown keys: a later minor addition; ignored. */
        } else if (strcmp(k, "total") != 0) {
            /* Unknown record kinds with other arities: ignored likewise. */
        }
    }
    if (in_site) BAD("%s: the dump ends inside a site (%zu of %zu frames): it was cut short", path, nfr, want);
    if (!ended) BAD("%s: the dump has no end line: it was cut short", path);
    free(fr);
    lt_profile_finish(p);
    *out = p;
    return 0;
fail:
    free(fr);
    lt_profile_free(p);
    return -err->code;
}

static int jv_u64_or(const lt_jv_t *v, uint64_t *out)
{
    if (!v || lt_jv_kind(v) == LT_JV_NULL) { *out = 0; return 0; }
    return lt_jv_u64(v, out);
}

static int read_json(const char *path, const char *buf, size_t len, lt_profile_t **out, lt_err_t *err)
{
    lt_profile_t *p = NULL;
    lt_pframe_t *fr = NULL;
    lt_jv_t *root = lt_json_parse(buf, len, err);
    if (!root) {
        char m[sizeof err->msg];
        snprintf(m, sizeof m, "%s", err->msg);
        LT_ERR_SET(err, err->code, err->offset, "%s: %s", path, m);
        return -err->code;
    }
    uint64_t ver;
    const char *fmt = lt_jv_str(lt_jv_get(root, "format"));
    if (!fmt || strcmp(fmt, LT_DUMP_MAGIC) != 0) {
        LT_ERR_SET(err, LT_E_FORMAT, -1, "%s is not a leaktrace heap dump", path);
        goto fail;
    }
    if (lt_jv_u64(lt_jv_get(root, "version"), &ver) || ver != LT_DUMP_VERSION) {
        LT_ERR_SET(err, LT_E_FORMAT, -1, "%s: heap dump version is not supported (this leaktrace reads version %d)", path,
                   LT_DUMP_VERSION);
        goto fail;
    }
    if (!(p = lt_profile_new())) NOMEM();
    const lt_jv_t *pr = lt_jv_get(root, "process"), *mo = lt_jv_get(root, "moment");
    int64_t i64;
    if (lt_jv_i64(lt_jv_get(pr, "pid"), &i64) == 0) p->pid = i64;
    if (lt_jv_i64(lt_jv_get(pr, "start_realtime_ns"), &i64) == 0) p->start_realtime_ns = i64;
    const char *s;
    if ((s = lt_jv_str(lt_jv_get(pr, "exe"))) && !(p->exe = lt_profile_str(p, s))) NOMEM();
    if ((s = lt_jv_str(lt_jv_get(pr, "cmdline"))) && !(p->cmdline = lt_profile_str(p, s))) NOMEM();
    if ((s = lt_jv_str(lt_jv_get(mo, "kind")))) {
        int mk = moment_from_name(s);
        if (mk < 0) BAD("%s: unknown moment kind '%s'", path, s);
        p->moment = mk;
    }
    if ((s = lt_jv_str(lt_jv_get(mo, "mark"))) && !(p->mark = lt_profile_str(p, s))) NOMEM();
    if (jv_u64_or(lt_jv_get(mo, "ts_ns"), &p->ts_ns) || jv_u64_or(lt_jv_get(mo, "threads"), &p->threads))
        BAD("%s: malformed moment", path);
    int b;
    if (lt_jv_bool(lt_jv_get(mo, "complete"), &b) == 0) p->complete = b;
    if (jv_u64_or(lt_jv_get(lt_jv_get(root, "sampling"), "rate_bytes"), &p->sample_rate)) BAD("%s: malformed sampling", path);
    const lt_jv_t *mods = lt_jv_get(root, "modules"), *sites = lt_jv_get(root, "sites");
    if (lt_jv_kind(mods) != LT_JV_ARR || lt_jv_kind(sites) != LT_JV_ARR) BAD("%s: a heap dump needs \"modules\" and \"sites\" arrays", path);
    for (size_t i = 0; i < lt_jv_len(mods); i++) {
        const lt_jv_t *m = lt_jv_at(mods, i);
        lt_pmodule_t pm = { 0 };
        const char *id = lt_jv_str(lt_jv_get(m, "build_id"));
        pm.path = lt_jv_str(lt_jv_get(m, "path"));
        if (!pm.path || (id && !build_id_ok(id)) || jv_u64_or(lt_jv_get(m, "base"), &pm.base) ||
            jv_u64_or(lt_jv_get(m, "start"), &pm.start) || jv_u64_or(lt_jv_get(m, "limit"), &pm.limit) ||
            jv_u64_or(lt_jv_get(m, "file_offset"), &pm.file_offset))
            BAD("%s: module %zu is malformed", path, i);
        if (id) strcpy(pm.build_id, id);
        if (lt_profile_add_module(p, &pm) == LT_PMOD_NONE) NOMEM();
    }
    for (size_t i = 0; i < lt_jv_len(sites); i++) {
        const lt_jv_t *st = lt_jv_at(sites, i), *stack = lt_jv_get(st, "stack");
        lt_pcounts_t c;
        int tr = 0, rt = 0;
        if (jv_u64_or(lt_jv_get(st, "inuse_bytes"), &c.inuse_space) || jv_u64_or(lt_jv_get(st, "inuse_blocks"), &c.inuse_objects) ||
            jv_u64_or(lt_jv_get(st, "alloc_bytes"), &c.alloc_space) || jv_u64_or(lt_jv_get(st, "alloc_blocks"), &c.alloc_objects) ||
            (stack && lt_jv_kind(stack) != LT_JV_ARR))
            BAD("%s: site %zu is malformed", path, i);
        lt_jv_bool(lt_jv_get(st, "truncated"), &tr);
        lt_jv_bool(lt_jv_get(st, "runtime"), &rt);
        size_t n = lt_jv_len(stack);
        free(fr);
        if (!(fr = malloc((n ? n : 1) * sizeof *fr))) NOMEM();
        for (size_t k = 0; k < n; k++) {
            const lt_jv_t *f = lt_jv_at(stack, k), *mi = lt_jv_get(f, "module_index");
            uint64_t line = 0, off = 0, mod = 0;
            int inl = 0;
            if (lt_jv_kind(f) != LT_JV_OBJ || jv_u64_or(lt_jv_get(f, "line"), &line) || line > UINT32_MAX ||
                jv_u64_or(lt_jv_get(f, "offset"), &off) || (lt_jv_kind(mi) != LT_JV_NULL && mi && (lt_jv_u64(mi, &mod) || mod >= p->nmodules)))
                BAD("%s: site %zu frame %zu is malformed", path, i, k);
            lt_jv_bool(lt_jv_get(f, "inlined"), &inl);
            fr[k] = (lt_pframe_t){ NULL, NULL, (uint32_t)line, mi && lt_jv_kind(mi) != LT_JV_NULL ? (uint32_t)mod : LT_PMOD_NONE, off, inl };
            if ((s = lt_jv_str(lt_jv_get(f, "function"))) && !(fr[k].function = lt_profile_str(p, s))) NOMEM();
            if ((s = lt_jv_str(lt_jv_get(f, "file"))) && !(fr[k].file = lt_profile_str(p, s))) NOMEM();
        }
        if (lt_profile_add_site(p, &c, fr, n, tr, rt) < 0) NOMEM();
    }
    free(fr);
    lt_json_free(root);
    lt_profile_finish(p);
    *out = p;
    return 0;
fail:
    free(fr);
    lt_json_free(root);
    lt_profile_free(p);
    return -err->code;
}

int lt_dump_read(const char *path, lt_profile_t **out, lt_err_t *err)
{
    *out = NULL;
    size_t len;
    char *buf = read_all(path, &len, err);
    if (!buf) return -err->code;
    int kind = lt_dump_sniff(buf, len < 4096 ? len : 4096);
    int rc;
    if (kind == 1) rc = read_text(path, buf, out, err);
    else if (kind == 2) rc = read_json(path, buf, len, out, err);
    else {
        LT_ERR_SET(err, LT_E_FORMAT, -1, "%s is neither a leaktrace trace nor a heap dump", path);
        rc = -LT_E_FORMAT;
    }
    free(buf);
    return rc;
}
