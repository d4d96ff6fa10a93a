/*
 * test_symbolize.c - unit tests for analyzer/symbolize.c.
 *
 * The fixture is this test process itself: dl_iterate_phdr gives the real
 * module map (path, load bias, PT_LOAD segments, build-id from PT_NOTE), as
 * the tracer would have recorded it, and the addresses looked up are those of
 * functions of this file (with their __LINE__), of libc and of libstdc++.
 * Must be built with -g at -O0/-O1 so the line checks hold.
 *
 * Exports symbolize_suite() for a common runner; -DLT_STANDALONE_TEST adds a
 * main() to run it alone.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1   /* dl_iterate_phdr, RTLD_NOLOAD */
#endif
#include "symbolize.h"
#include "unit_helpers.h"

#include <check.h>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

Suite *symbolize_suite(void);

/* ---- functions whose addresses we look up -------------------------------- */

/* Kept out of line and out of interprocedural games, so the addresses and
 * lines below are the ones the source shows. */
#if defined(__clang__)
#define OUT_OF_LINE __attribute__((noinline, optnone))
#else
#define OUT_OF_LINE __attribute__((noinline, noipa))
#endif

static volatile int sink;

static OUT_OF_LINE void *capture_return_address(void)
{
    sink++;
    return __builtin_return_address(0);
}

static int known_call_line;

static OUT_OF_LINE void *known_function(void)
{
    void *ra = capture_return_address(); known_call_line = __LINE__;
    sink++;
    return ra;
}

static int inlined_call_line;
static int outer_call_line;

static inline __attribute__((always_inline)) void *inlined_helper(void)
{
    void *ra = capture_return_address(); inlined_call_line = __LINE__;
    sink++;
    return ra;
}

static OUT_OF_LINE void *outer_function(void)
{
    void *ra = inlined_helper(); outer_call_line = __LINE__;
    sink++;
    return ra;
}

/* ---- the module map of this process ---------------------------------------- */

static ut_mods_t self_mods;
static lt_module_t *mods;
static size_t nmods;

static void setup_modules(void)
{
    ut_mods_collect_self(&self_mods);
    mods = self_mods.v;
    nmods = self_mods.n;
    ck_assert_uint_gt(nmods, 1);
}

static void teardown_modules(void)
{
    ut_mods_free(&self_mods);
    mods = NULL;
    nmods = 0;
}

/* Index of the module holding addr, for tests that tamper with a copy. */
static size_t module_of(const void *addr)
{
    uint64_t a = (uint64_t)(uintptr_t)addr;
    for (size_t i = 0; i < nmods; i++)
        for (uint32_t k = 0; k < mods[i].nseg; k++)
            if (a - (mods[i].base + mods[i].seg[k].vaddr) < mods[i].seg[k].memsz)
                return i;
    ck_abort_msg("no module holds %p", addr);
    return 0;
}

/* A one-module table: a copy of mods[i] with its own path. */
static lt_module_t single_copy(size_t i, const char *path)
{
    lt_module_t m = mods[i];
    m.path = (char *)path;
    return m;
}

/* ---- warnings ------------------------------------------------------------ */

typedef struct warnings {
    int count;
    char last[1024];
} warnings_t;

static void record_warning(void *ctx, const char *msg)
{
    warnings_t *w = ctx;
    w->count++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

static int ends_with(const char *s, const char *suffix)
{
    if (s == NULL)
        return 0;
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static void *libc_handle(void)
{
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(h);
    return h;
}

/* ---- tests --------------------------------------------------------------- */

START_TEST(test_own_function_and_line)
{
    warnings_t w = { 0 };
    lt_symbolizer_t *s = lt_sym_open(mods, nmods, 0, record_warning, &w);
    ck_assert_ptr_nonnull(s);

    void *ra = known_function();
    size_t mi = module_of(ra);
    const lt_symframe_t *f;
    size_t n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra, 1, &f);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(f[0].function, "known_function");
    ck_assert_msg(ends_with(f[0].file, "test_symbolize.c"), "file %s", f[0].file);
    ck_assert_int_eq(f[0].line, known_call_line);
    ck_assert_str_eq(f[0].module, mods[mi].path);
    ck_assert_uint_eq(f[0].address, (uint64_t)(uintptr_t)ra);
    ck_assert_uint_eq(f[0].offset, (uint64_t)(uintptr_t)ra - mods[mi].base);
    ck_assert_int_eq(f[0].inlined, 0);

    /* a function's own address, not a return address */
    n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)&known_function, 0, &f);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(f[0].function, "known_function");
    ck_assert_msg(ends_with(f[0].file, "test_symbolize.c"), "file %s", f[0].file);
    ck_assert_int_gt(f[0].line, 0);
    ck_assert_int_lt(f[0].line, known_call_line);

    ck_assert_int_eq(w.count, 0);
    lt_sym_close(s);
}
END_TEST

START_TEST(test_inline_frames)
{
    warnings_t w = { 0 };
    lt_symbolizer_t *s = lt_sym_open(mods, nmods, 0, record_warning, &w);
    void *ra = outer_function();
    const lt_symframe_t *f;
    size_t n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra, 1, &f);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(f[0].function, "inlined_helper");
    ck_assert_int_eq(f[0].inlined, 1);
    ck_assert_msg(ends_with(f[0].file, "test_symbolize.c"), "file %s", f[0].file);
    ck_assert_int_eq(f[0].line, inlined_call_line);
    ck_assert_str_eq(f[1].function, "outer_function");
    ck_assert_int_eq(f[1].inlined, 0);
    ck_assert_msg(ends_with(f[1].file, "test_symbolize.c"), "file %s", f[1].file);
    ck_assert_int_eq(f[1].line, outer_call_line);
    ck_assert_ptr_eq(f[0].module, f[1].module);
    ck_assert_uint_eq(f[0].address, f[1].address);
    ck_assert_uint_eq(f[0].offset, f[1].offset);
    ck_assert_int_eq(w.count, 0);
    lt_sym_close(s);
}
END_TEST

START_TEST(test_cache_returns_same_frames)
{
    lt_symbolizer_t *s = lt_sym_open(mods, nmods, 0, NULL, NULL);
    void *ra = outer_function();
    const lt_symframe_t *f1, *f2, *f3;
    size_t n1 = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra, 1, &f1);
    size_t n2 = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra, 1, &f2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_ptr_eq(f1, f2);
    /* not a return address: another key, still the same place here */
    size_t n3 = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra, 0, &f3);
    ck_assert_ptr_ne(f3, f1);
    ck_assert_uint_ge(n3, 1);
    /* interned strings */
    ck_assert_ptr_eq(f1[n1 - 1].module, f3[n3 - 1].module);
    lt_sym_close(s);
}
END_TEST

START_TEST(test_libc_function)
{
    warnings_t w = { 0 };
    lt_symbolizer_t *s = lt_sym_open(mods, nmods, 0, record_warning, &w);
    void *h = libc_handle();
    void *fn = dlsym(h, "getenv");
    ck_assert_ptr_nonnull(fn);
    size_t mi = module_of(fn);
    const lt_symframe_t *f;
    size_t n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)fn + 4, 0, &f);
    ck_assert_uint_ge(n, 1);
    ck_assert_str_eq(f[n - 1].function, "getenv");
    ck_assert_str_eq(f[n - 1].module, mods[mi].path);
    ck_assert_msg(strstr(f[n - 1].module, "libc.so") != NULL, "module %s", f[n - 1].module);
    ck_assert_uint_eq(f[n - 1].offset, (uint64_t)(uintptr_t)fn + 4 - mods[mi].base);
    ck_assert_int_eq(w.count, 0);
    dlclose(h);
    lt_sym_close(s);
}
END_TEST

START_TEST(test_cxx_demangling)
{
    void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_NOLOAD);
    ck_assert_msg(h != NULL, "libstdc++ is not loaded (link with -lstdc++)");
    void *fn = dlsym(h, "_ZSt9terminatev");
    ck_assert_ptr_nonnull(fn);
    const lt_symframe_t *f;

    lt_symbolizer_t *s = lt_sym_open(mods, nmods, 0, NULL, NULL);
    size_t n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)fn, 0, &f);
    ck_assert_str_eq(f[n - 1].function, "std::terminate()");
    ck_assert_msg(strstr(f[n - 1].module, "libstdc++") != NULL, "module %s", f[n - 1].module);
    lt_sym_close(s);

    s = lt_sym_open(mods, nmods, LT_SYM_NO_DEMANGLE, NULL, NULL);
    n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)fn, 0, &f);
    ck_assert_str_eq(f[n - 1].function, "_ZSt9terminatev");
    lt_sym_close(s);
    dlclose(h);
}
END_TEST

START_TEST(test_build_id_mismatch)
{
    void *ra1 = known_function();
    void *ra2 = outer_function();
    size_t mi = module_of(ra1);
    ck_assert_uint_eq(mi, module_of(ra2));
    ck_assert_uint_gt(mods[mi].build_id_len, 0);

    lt_module_t m = single_copy(mi, mods[mi].path);
    m.build_id[0] ^= 0x5a;
    warnings_t w = { 0 };
    lt_symbolizer_t *s = lt_sym_open(&m, 1, 0, record_warning, &w);
    const lt_symframe_t *f;
    size_t n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra1, 1, &f);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(f[0].function);
    ck_assert_ptr_null(f[0].file);
    ck_assert_int_eq(f[0].line, 0);
    ck_assert_str_eq(f[0].module, m.path);
    ck_assert_uint_eq(f[0].offset, (uint64_t)(uintptr_t)ra1 - m.base);
    n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra2, 1, &f);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(f[0].function);
    ck_assert_str_eq(f[0].module, m.path);
    ck_assert_int_eq(w.count, 1);
    ck_assert_msg(strstr(w.last, "build-id") != NULL, "warning: %s", w.last);
    ck_assert_msg(strstr(w.last, m.path) != NULL, "warning: %s", w.last);
    lt_sym_close(s);

    /* nothing recorded: nothing to check, the file is trusted */
    m = single_copy(mi, mods[mi].path);
    m.build_id_len = 0;
    w.count = 0;
    s = lt_sym_open(&m, 1, 0, record_warning, &w);
    n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra1, 1, &f);
    ck_assert_str_eq(f[0].function, "known_function");
    ck_assert_int_eq(w.count, 0);
    lt_sym_close(s);

    /* same file, recorded id shorter than the file's: also a mismatch */
    m = single_copy(mi, mods[mi].path);
    m.build_id_len = 4;
    w.count = 0;
    s = lt_sym_open(&m, 1, 0, record_warning, &w);
    n = lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra1, 1, &f);
    ck_assert_ptr_null(f[0].function);
    ck_assert_int_eq(w.count, 1);
    lt_sym_close(s);
}
END_TEST

static void check_unreadable(const char *path, const char *expect_in_warning)
{
    void *ra = known_function();
    size_t mi = module_of(ra);
    lt_module_t m[2] = { single_copy(mi, path), single_copy(mi, path) };
    m[1].gen_loaded = 1;        /* same file again in a later generation: one warning */
    m[0].gen_unloaded = 1;
    warnings_t w = { 0 };
    lt_symbolizer_t *s = lt_sym_open(m, 2, 0, record_warning, &w);
    const lt_symframe_t *f;
    for (uint32_t gen = 0; gen < 2; gen++) {
        for (int k = 0; k < 2; k++) {
            size_t n = lt_sym_lookup(s, gen, (uint64_t)(uintptr_t)ra + (uint64_t)k, 1, &f);
            ck_assert_uint_eq(n, 1);
            ck_assert_ptr_null(f[0].function);
            ck_assert_ptr_null(f[0].file);
            ck_assert_str_eq(f[0].module, path);
            ck_assert_uint_eq(f[0].offset, (uint64_t)(uintptr_t)ra + (uint64_t)k - m[0].base);
        }
    }
    ck_assert_int_eq(w.count, 1);
    ck_assert_msg(strstr(w.last, path) != NULL, "warning: %s", w.last);
    ck_assert_msg(strstr(w.last, expect_in_warning) != NULL, "warning: %s", w.last);
    lt_sym_close(s);
}

START_TEST(test_missing_file)
{
    check_unreadable("/nonexistent/leaktrace/libgone.so", "No such file");
}
END_TEST

START_TEST(test_directory_and_garbage_file)
{
    check_unreadable("/tmp", "not a regular file");

    char path[] = "/tmp/lt_sym_garbageXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    static const char junk[] = "this is not an ELF file at all\n";
    ck_assert_int_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    check_unreadable(path, "ELF");
    unlink(path);

    /* an ELF header cut short */
    char path2[] = "/tmp/lt_sym_truncXXXXXX";
    fd = mkstemp(path2);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "\177ELF\2\1\1", 7), 7);
    close(fd);
    check_unreadable(path2, "ELF");
    unlink(path2);
}
END_TEST

START_TEST(test_vdso_and_nameless)
{
    warnings_t w = { 0 };
    lt_symbolizer_t *s = lt_sym_open(mods, nmods, 0, record_warning, &w);
    const lt_symframe_t *f;
    int seen_vdso = 0;
    for (size_t i = 0; i < nmods; i++) {
        if (strcmp(mods[i].path, "linux-vdso.so.1") != 0 || mods[i].nseg == 0)
            continue;
        uint64_t a = mods[i].base + mods[i].seg[0].vaddr + 16;
        size_t n = lt_sym_lookup(s, 0, a, 0, &f);
        ck_assert_uint_eq(n, 1);
        ck_assert_ptr_null(f[0].function);
        ck_assert_str_eq(f[0].module, "linux-vdso.so.1");
        ck_assert_uint_eq(f[0].offset, a - mods[i].base);
        seen_vdso = 1;
    }
    lt_sym_close(s);
    ck_assert_int_eq(w.count, 0);
    (void)seen_vdso;   /* valgrind hides the vDSO; the synthetic one below always runs */

    lt_segment_t seg = { .vaddr = 0, .memsz = 0x2000, .prot = PF_R | PF_X };
    lt_module_t m[2] = {
        { .path = (char *)"[vdso]", .base = 0x7000000000, .gen_unloaded = LT_GEN_NEVER,
          .seg = &seg, .nseg = 1 },
        { .path = (char *)"", .base = 0x7100000000, .gen_unloaded = LT_GEN_NEVER,
          .seg = &seg, .nseg = 1 },
    };
    s = lt_sym_open(m, 2, 0, record_warning, &w);
    size_t n = lt_sym_lookup(s, 0, 0x7000000100, 1, &f);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(f[0].function);
    ck_assert_str_eq(f[0].module, "[vdso]");
    ck_assert_uint_eq(f[0].offset, 0x100);
    n = lt_sym_lookup(s, 0, 0x7100000100, 1, &f);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(f[0].function);
    ck_assert_str_eq(f[0].module, "");
    ck_assert_int_eq(w.count, 0);
    lt_sym_close(s);
}
END_TEST

START_TEST(test_unknown_addresses)
{
    lt_symbolizer_t *s = lt_sym_open(mods, nmods, 0, NULL, NULL);
    static const uint64_t addrs[] = { 0, 1, 0x10, UINT64_MAX, UINT64_MAX - 1,
                                      0x8000000000000000ull };
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        for (int ret = 0; ret < 2; ret++) {
            const lt_symframe_t *f;
            size_t n = lt_sym_lookup(s, 0, addrs[i], ret, &f);
            ck_assert_uint_eq(n, 1);
            ck_assert_ptr_null(f[0].function);
            ck_assert_ptr_null(f[0].file);
            ck_assert_ptr_null(f[0].module);
            ck_assert_int_eq(f[0].line, 0);
            ck_assert_uint_eq(f[0].address, addrs[i]);
        }
    }
    /* a known address in a generation where nothing is loaded */
    void *ra = known_function();
    const lt_symframe_t *f;
    lt_module_t m = single_copy(module_of(ra), mods[module_of(ra)].path);
    m.gen_loaded = 3;
    m.gen_unloaded = 5;
    lt_sym_close(s);
    s = lt_sym_open(&m, 1, 0, NULL, NULL);
    lt_sym_lookup(s, 2, (uint64_t)(uintptr_t)ra, 1, &f);
    ck_assert_ptr_null(f[0].module);
    lt_sym_lookup(s, 5, (uint64_t)(uintptr_t)ra, 1, &f);
    ck_assert_ptr_null(f[0].module);
    lt_sym_lookup(s, 4, (uint64_t)(uintptr_t)ra, 1, &f);
    ck_assert_str_eq(f[0].function, "known_function");
    lt_sym_close(s);

    /* empty table, NULL table, NULL symbolizer */
    s = lt_sym_open(NULL, 0, 0, NULL, NULL);
    ck_assert_uint_eq(lt_sym_lookup(s, 0, 0x1234, 1, &f), 1);
    ck_assert_ptr_null(f[0].module);
    lt_sym_close(s);
    ck_assert_uint_eq(lt_sym_lookup(NULL, 0, 0x1234, 1, &f), 1);
    ck_assert_uint_eq(f[0].address, 0x1234);
    lt_sym_close(NULL);
}
END_TEST

START_TEST(test_generations_overlap)
{
    /* The same range holds this test binary in generation 0 and another
     * (missing) object from generation 1 on. */
    void *ra = known_function();
    size_t mi = module_of(ra);
    lt_module_t m[2] = {
        single_copy(mi, mods[mi].path),
        single_copy(mi, "/nonexistent/leaktrace/libother.so"),
    };
    m[0].gen_unloaded = 1;
    m[1].gen_loaded = 1;
    m[1].build_id_len = 0;
    warnings_t w = { 0 };
    lt_symbolizer_t *s = lt_sym_open(m, 2, 0, record_warning, &w);
    const lt_symframe_t *f;
    lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra, 1, &f);
    ck_assert_str_eq(f[0].function, "known_function");
    ck_assert_str_eq(f[0].module, m[0].path);
    lt_sym_lookup(s, 1, (uint64_t)(uintptr_t)ra, 1, &f);
    ck_assert_ptr_null(f[0].function);
    ck_assert_str_eq(f[0].module, m[1].path);
    lt_sym_lookup(s, 0, (uint64_t)(uintptr_t)ra, 1, &f);
    ck_assert_str_eq(f[0].function, "known_function");
    ck_assert_int_eq(w.count, 1);
    lt_sym_close(s);

    /* Same file at another load address in a later generation: resolved
     * the same way, relative to its own base. */
    m[1] = single_copy(mi, mods[mi].path);
    m[1].gen_loaded = 1;
    m[1].base += 0x100000000ull;
    s = lt_sym_open(m, 2, 0, record_warning, &w);
    uint64_t moved = (uint64_t)(uintptr_t)ra + 0x100000000ull;
    lt_sym_lookup(s, 1, moved, 1, &f);
    ck_assert_str_eq(f[0].function, "known_function");
    ck_assert_int_eq(f[0].line, known_call_line);
    ck_assert_uint_eq(f[0].offset, (uint64_t)(uintptr_t)ra - m[0].base);
    ck_assert_int_eq(w.count, 1);
    lt_sym_close(s);
}
END_TEST

START_TEST(test_garbage_module_table)
{
    lt_segment_t seg[2] = { { .vaddr = UINT64_MAX - 10, .memsz = 100 },
                            { .vaddr = 0, .memsz = 0 } };
    lt_module_t m[4] = {
        { .path = NULL, .base = 0x1000, .gen_unloaded = LT_GEN_NEVER, .seg = seg, .nseg = 2 },
        { .path = (char *)"/proc/self/mem", .base = 0x5000, .gen_unloaded = LT_GEN_NEVER,
          .seg = seg, .nseg = 1, .build_id_len = 1000 },
        { .path = (char *)"/dev/null", .base = 0x9000, .gen_loaded = 7, .gen_unloaded = 2,
          .seg = seg, .nseg = 1 },
        { .path = (char *)"/nonexistent", .base = 0, .gen_unloaded = LT_GEN_NEVER,
          .seg = NULL, .nseg = 5 },
    };
    warnings_t w = { 0 };
    lt_symbolizer_t *s = lt_sym_open(m, 4, 0, record_warning, &w);
    const lt_symframe_t *f;
    for (uint64_t a = 0; a < 0x10000; a += 0x7f) {
        size_t n = lt_sym_lookup(s, 0, a, (int)(a & 1), &f);
        ck_assert_uint_eq(n, 1);
        ck_assert_ptr_null(f[0].function);
    }
    lt_sym_close(s);
}
END_TEST

static double elapsed_ns(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

START_TEST(test_many_lookups_speed)
{
    /* Every 16th byte of the text of this test program and a slice of libc:
     * uncached, then cached. Prints the rough cost per lookup. */
    lt_symbolizer_t *s = lt_sym_open(mods, nmods, 0, NULL, NULL);
    size_t mi = module_of((void *)&known_function);
    void *h = libc_handle();
    void *libc_fn = dlsym(h, "getenv");
    uint64_t starts[2] = { (uint64_t)(uintptr_t)&known_function - 0x1000,
                           (uint64_t)(uintptr_t)libc_fn };
    (void)mi;
    const lt_symframe_t *f;
    struct timespec t0, t1, t2;
    size_t count = 0, named = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < 2; r++) {
        for (uint64_t a = starts[r]; a < starts[r] + 0x8000; a += 16) {
            size_t n = lt_sym_lookup(s, 0, a, 1, &f);
            count++;
            named += f[n - 1].function != NULL;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int r = 0; r < 2; r++)
        for (uint64_t a = starts[r]; a < starts[r] + 0x8000; a += 16)
            lt_sym_lookup(s, 0, a, 1, &f);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double miss = elapsed_ns(&t0, &t1) / (double)count;
    double hit = elapsed_ns(&t1, &t2) / (double)count;
    fprintf(stderr, "symbolize: %zu lookups (%zu named): %.0f ns uncached, %.0f ns cached\n",
            count, named, miss, hit);
    ck_assert_uint_gt(named, count / 4);
    dlclose(h);
    lt_sym_close(s);
}
END_TEST

Suite *symbolize_suite(void)
{
    Suite *su = suite_create("symbolize");
    TCase *tc = tcase_create("symbolize");
    tcase_add_checked_fixture(tc, setup_modules, teardown_modules);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_own_function_and_line);
    tcase_add_test(tc, test_inline_frames);
    tcase_add_test(tc, test_cache_returns_same_frames);
    tcase_add_test(tc, test_libc_function);
    tcase_add_test(tc, test_cxx_demangling);
    tcase_add_test(tc, test_build_id_mismatch);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_directory_and_garbage_file);
    tcase_add_test(tc, test_vdso_and_nameless);
    tcase_add_test(tc, test_unknown_addresses);
    tcase_add_test(tc, test_generations_overlap);
    tcase_add_test(tc, test_garbage_module_table);
    tcase_add_test(tc, test_many_lookups_speed);
    suite_add_tcase(su, tc);
    return su;
}

#ifdef LT_STANDALONE_TEST
int main(void)
{
    SRunner *sr = srunner_create(symbolize_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
#endif
