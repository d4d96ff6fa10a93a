/*
 * fuzz_util.h - helpers shared by the libFuzzer targets (tests/fuzz/fuzz_X.c):
 * an input put in an anonymous in-memory file so that path-based readers
 * can be fuzzed without touching the disk, a sink stream for the outputs,
 * and the analyses run over a replayed trace. Header-only: each target is
 * one translation unit linked against the analyzer's objects.
 */
#ifndef LT_FUZZ_UTIL_H
#define LT_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dump.h"
#include "flame.h"
#include "growth.h"
#include "output.h"
#include "output_growth.h"
#include "output_profile.h"
#include "output_threads.h"
#include "pprof.h"
#include "profile_build.h"
#include "replay.h"
#include "report.h"
#include "symbolize.h"
#include "threads.h"
#include "timeline.h"

/* data[0..size) as a file: returns its fd (path in buf), or aborts. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t n)
{
    int fd = memfd_create("lt-fuzz", MFD_CLOEXEC);
    if (fd < 0) abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    snprintf(path, n, "/proc/self/fd/%d", fd);
    return fd;
}

/* Where outputs go: /dev/null (formatting runs, nothing is kept). */
static inline FILE *fuzz_sink(void)
{
    static FILE *f;
    if (!f && !(f = fopen("/dev/null", "w"))) abort();
    return f;
}

/* A dump written by the analyzer must read back: otherwise abort (a bug). */
static inline void fuzz_dump_roundtrip(const lt_profile_t *p, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) abort();
    if ((json ? lt_dump_write_json(p, m) : lt_dump_write_text(p, m)) != 0) abort();
    fclose(m);
    char path[64];
    int fd = fuzz_memfile((const uint8_t *)buf, len, path, sizeof path);
    lt_profile_t *back = NULL;
    lt_err_t err;
    int rc = lt_dump_read(path, &back, &err);
    if (rc < 0 && err.code != LT_E_NOMEM) {
        fprintf(stderr, "a dump the analyzer wrote does not read back: %s\n", err.msg);
        abort();
    }
    if (back && back->nsites != p->nsites) {
        fprintf(stderr, "dump read back with %zu sites, written with %zu\n", back->nsites, p->nsites);
        abort();
    }
    lt_profile_free(back);
    close(fd);
    free(buf);
}

/* Every analysis the commands run over a replay, outputs to the sink.
 * Symbolization is off (no modules): the trace names files, and opening
 * them is not what is fuzzed here. */
static inline void fuzz_analyze(lt_replay_t *rp)
{
    FILE *out = fuzz_sink();
    lt_symbolizer_t *sym = lt_sym_open(NULL, 0, 0, NULL, NULL);
    if (!sym) return;
    lt_err_t err;
    lt_report_opts_t ro = { 0 };
    lt_report_t *rep = NULL;
    if (lt_report_build(rp, sym, &ro, &rep, &err) == 0) {
        lt_text_opts_t to = { 0 };
        lt_output_report_text(out, rep, &to);
        lt_output_report_json(out, rep);
        lt_report_free(rep);
    }
    lt_thread_opts_t tho = { 0 };
    lt_thread_report_t *tr = NULL;
    if (lt_threads_build(rp, sym, &tho, &tr, &err) == 0) {
        lt_output_threads_text(out, rp, tr);
        lt_output_threads_json(out, rp, tr);
        lt_threads_free(tr);
    }
    lt_output_marks_text(out, rp, 1);
    lt_output_marks_json(out, rp, 1);
    if (rp->series) {
        lt_growth_opts_t go;
        lt_growth_opts_default(&go);
        lt_growth_t *g = NULL;
        if (lt_growth_build(rp, sym, &go, &g, &err) == 0) {
            lt_output_growth_text(out, rp, g, 10);
            lt_output_growth_json(out, rp, g);
            lt_growth_free(g);
        }
        lt_timeline_svg(rp, sym, NULL, out, &err);
        lt_timeline_csv(rp, sym, NULL, out, &err);
    }
    lt_profile_t *p = NULL;
    if (lt_profile_from_replay(rp, sym, rp->snap.st ? LT_MOMENT_SEQ : LT_MOMENT_END, NULL, &p, &err) == 0) {
        lt_pprof_write(p, out, &err);
        lt_flame_folded(p, 0, out, &err);
        lt_flame_svg(p, 0, "fuzz", out, &err);
        fuzz_dump_roundtrip(p, 0);
        fuzz_dump_roundtrip(p, 1);
        lt_profile_free(p);
    }
    lt_sym_close(sym);
}

#endif
