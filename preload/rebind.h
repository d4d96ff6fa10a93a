/* rebind.h - make an RTLD_DEEPBIND library's malloc-family calls go through
 * the tracer's hooks (rebind.c). */
#ifndef LT_REBIND_H
#define LT_REBIND_H
#include <link.h>
#include <stddef.h>

typedef struct {
    const char *name;  /* symbol name, "malloc" */
    void *hook;        /* the tracer's function */
    void *real;        /* the function the hook forwards to; slots holding it are rewritten */
    int any;           /* 1: rewrite the slot whatever it holds (a lazily bound
                        * PLT slot still holds the address of the resolver) */
} lt_rebind_t;

/* Rewrites LM's relocated slots for undefined symbols named in HOOKS that
 * hold HOOKS[i].real (or anything, with .any) so they hold HOOKS[i].hook. Returns the number of slots
 * rewritten. Allocates nothing; call it from the thread that just loaded LM,
 * before LM's code runs on other threads. */
size_t lt_rebind_object(const struct link_map *lm, const lt_rebind_t *hooks, size_t nhooks);

#endif
