/*
 * leaktrace.h - the optional API a traced program can call. Header only:
 * nothing to link. A program built with it runs unchanged without the
 * tracer; under LD_PRELOAD=libleaktrace.so its calls reach the tracer.
 *
 *   #include <leaktrace.h>
 *   leaktrace_mark("after-load");   // a named moment, for dumps and diffs
 *
 * leaktrace_mark records a mark with the label (at most 255 bytes kept) in
 * order with the allocations and frees of every thread: events that
 * happened before the call come before the mark in the trace, events after
 * it after. `leaktrace dump TRACE --mark LABEL` and `leaktrace diff
 * TRACE@A TRACE@B` use it. Cost without the tracer: one failed symbol
 * lookup on the first call, then one load and branch per call.
 * Thread-safe; not async-signal-safe (use LEAKTRACE_MARK_SIGNAL for marks
 * from outside the program).
 *
 * Works from C (C99 and later) and C++, in executables (PIE or not) and
 * shared libraries, without linking anything: the tracer's entry point
 * (leaktrace_mark_v1 in libleaktrace.so) is looked up with dlsym, which
 * glibc 2.34 and later provide in libc itself (older glibc: link -ldl).
 */
#ifndef LEAKTRACE_H
#define LEAKTRACE_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__cplusplus) && __cplusplus >= 201103L
extern void *dlsym(void *handle, const char *symbol) noexcept;
#elif defined(__cplusplus)
extern void *dlsym(void *handle, const char *symbol) throw();
#else
extern void *dlsym(void *handle, const char *symbol);
#endif

typedef void (*leaktrace_mark_fn)(const char *label);

/* The tracer's entry point, or NULL when the program runs without it.
 * Looked up once per translation unit; a benign race (the same value is
 * stored by every racing thread). */
static inline leaktrace_mark_fn leaktrace_mark_entry_(void)
{
    static leaktrace_mark_fn fn;
    static int looked;
    if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
        union { void *p; leaktrace_mark_fn f; } u;
        u.p = dlsym((void *)0 /* RTLD_DEFAULT */, "leaktrace_mark_v1");
        fn = u.f;
        __atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
    }
    return fn;
}

/* Records a mark named label (NULL or "" records the label "mark"). */
static inline void leaktrace_mark(const char *label)
{
    leaktrace_mark_fn fn = leaktrace_mark_entry_();
    if (fn) fn(label);
}

/* 1 when the program runs under the tracer (and marks are recorded). */
static inline int leaktrace_active(void)
{
    return leaktrace_mark_entry_() != 0;
}

#ifdef __cplusplus
}
#endif

#endif
