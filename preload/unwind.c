/*
 * unwind.c - stack capture with libunwind; the only file that includes it.
 *
 * unw_backtrace() takes libunwind's fast path on x86-64 (cached CFA rules
 * per return address), and UNW_CACHE_PER_THREAD keeps that cache without a
 * global lock. The frames of the tracer itself (unw_backtrace's caller, the
 * hook) are dropped by address: everything inside libleaktrace.so's own
 * mapping at the top of the stack is skipped, so the first frame kept is
 * the caller of malloc/calloc/....
 */
#include <link.h>
#include <stdint.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "lt_internal.h"

static uintptr_t self_lo, self_hi;

static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t probe = (uintptr_t)data, lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        if (a < lo) lo = a;
        if (b > hi) hi = b;
    }
    if (probe >= lo && probe < hi) { self_lo = lo; self_hi = hi; return 1; }
    return 0;
}

void lt_unwind_init(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&lt_unwind_init);
}

LT_ALWAYS_INLINE int lt_unwind(uint64_t *ips, int max)
{
    void *buf[LT_DEPTH_MAX + 16];
    int n = unw_backtrace(buf, max + 16 > LT_DEPTH_MAX + 16 ? LT_DEPTH_MAX + 16 : max + 16);
    int skip = 0;
    while (skip < n && (uintptr_t)buf[skip] >= self_lo && (uintptr_t)buf[skip] < self_hi) skip++;
    int out = 0;
    for (int i = skip; i < n && out < max; i++) ips[out++] = (uint64_t)(uintptr_t)buf[i];
    return out;
}
