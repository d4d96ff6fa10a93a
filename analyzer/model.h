/*
 * model.h - what the analyzer knows about a traced process once a trace is
 * decoded: its modules (the loaded objects, per module generation) and its
 * process metadata. Filled by replay.c, read by symbolize.c and the reports.
 * Plain data, no behaviour.
 */
#ifndef LT_MODEL_H
#define LT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define LT_GEN_NEVER UINT32_MAX

typedef struct lt_segment {
    uint64_t vaddr;   /* p_vaddr of the PT_LOAD segment (add base for runtime) */
    uint64_t memsz;
    uint32_t prot;    /* PF_R/PF_W/PF_X bits as in the ELF header */
} lt_segment_t;

/* One loaded object. It is mapped from generation gen_loaded until (not
 * including) gen_unloaded; a generation changes only when something is
 * unloaded, so an address means one module in a given generation. */
typedef struct lt_module {
    char *path;              /* as the loader saw it; "[vdso]" for the vDSO */
    uint64_t base;           /* load bias (dlpi_addr) */
    uint32_t gen_loaded;
    uint32_t gen_unloaded;   /* LT_GEN_NEVER while still loaded at the end */
    unsigned char build_id[64];
    uint32_t build_id_len;   /* 0: the object had no GNU build-id note */
    lt_segment_t *seg;
    uint32_t nseg;
    int tracer;              /* 1: the tracer's own library (PROCESS key tracer), under any file name */
} lt_module_t;

/* Moments of a run at which the heap can be looked at. */
enum {
    LT_MOMENT_END = 0,    /* the end of the trace */
    LT_MOMENT_TIME,       /* a time since the tracer started */
    LT_MOMENT_MARK,       /* the first mark with a given label */
    LT_MOMENT_PEAK,       /* when live bytes were at their maximum */
    LT_MOMENT_SEQ,        /* right after the event with a given sequence number */
};

#endif
