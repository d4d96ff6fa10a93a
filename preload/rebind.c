/*
 * rebind.c - libraries opened with dlopen(..., RTLD_DEEPBIND) look their
 * symbols up in their own scope (themselves and their dependencies, among
 * them libc) before the global scope that holds the preloaded tracer: their
 * calls to malloc and free would go to libc directly. A block such a library
 * allocates and the program frees would be a free of an unknown block, and
 * a block the program allocates and the library frees would look leaked.
 *
 * After such a dlopen the tracer rewrites, in each object the call loaded,
 * the relocated slots (GOT and PLT entries, R_X86_64_JUMP_SLOT, GLOB_DAT and
 * 64-bit absolute with no addend) that hold the address of the very
 * function a hook forwards to (libc's malloc, ...) for an undefined symbol of
 * that name: they then hold the hook. Behaviour is unchanged (the hook calls
 * the same function), the calls are now seen. Slots in RELRO pages are made
 * writable for the write and read-only again. No allocation, no lock of ours.
 */
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lt_internal.h"
#include "rebind.h"

struct relro { uintptr_t base, lo, hi; };

static int relro_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct relro *r = arg;
    if (info->dlpi_addr != r->base) return 0;
    for (int k = 0; k < info->dlpi_phnum; k++)
        if (info->dlpi_phdr[k].p_type == PT_GNU_RELRO) {
            r->lo = r->base + info->dlpi_phdr[k].p_vaddr;
            r->hi = r->lo + info->dlpi_phdr[k].p_memsz;
        }
    return 1;
}

/* d_ptr values are absolute once the loader relocated the dynamic section
 * (x86-64 glibc does), relative to the load address otherwise. */
static uintptr_t dyn_addr(uintptr_t v, uintptr_t base) { return v < base ? v + base : v; }

static void patch(void **slot, void *fn, const struct relro *r, uintptr_t pg)
{
    uintptr_t a = (uintptr_t)slot;
    int ro = a >= r->lo && a + sizeof(void *) <= r->hi;
    void *page = (void *)(a & ~(pg - 1));
    if (ro && mprotect(page, pg, PROT_READ | PROT_WRITE) != 0) return;
    __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    if (ro) mprotect(page, pg, PROT_READ);
}

static size_t rebind_table(const ElfW(Rela) *rel, size_t n, uintptr_t base, const ElfW(Sym) *symtab,
                           const char *strtab, const lt_rebind_t *hooks, size_t nhooks,
                           const struct relro *r, uintptr_t pg)
{
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned type = ELF64_R_TYPE(rel[i].r_info);
        if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT && !(type == R_X86_64_64 && rel[i].r_addend == 0))
            continue;
        const ElfW(Sym) *s = &symtab[ELF64_R_SYM(rel[i].r_info)];
        if (s->st_shndx != SHN_UNDEF || s->st_name == 0) continue;  /* its own definition: leave it */
        const char *name = strtab + s->st_name;
        for (size_t h = 0; h < nhooks; h++) {
            if (strcmp(name, hooks[h].name) != 0) continue;
            void **slot = (void **)(base + rel[i].r_offset);
            if (*slot != hooks[h].hook && (hooks[h].any || (hooks[h].real && *slot == hooks[h].real))) {
                patch(slot, hooks[h].hook, r, pg);
                done++;
            }
            break;
        }
    }
    return done;
}

size_t lt_rebind_object(const struct link_map *lm, const lt_rebind_t *hooks, size_t nhooks)
{
    if (!lm || !lm->l_ld) return 0;
    uintptr_t base = lm->l_addr;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) *jmprel = NULL, *rela = NULL;
    size_t pltsz = 0, relasz = 0;
    int pltrel_rela = 1;
    for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_addr(d->d_un.d_ptr, base); break;
        case DT_STRTAB: strtab = (const char *)dyn_addr(d->d_un.d_ptr, base); break;
        case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_addr(d->d_un.d_ptr, base); break;
        case DT_PLTRELSZ: pltsz = d->d_un.d_val; break;
        case DT_PLTREL: pltrel_rela = d->d_un.d_val == DT_RELA; break;
        case DT_RELA: rela = (const ElfW(Rela) *)dyn_addr(d->d_un.d_ptr, base); break;
        case DT_RELASZ: relasz = d->d_un.d_val; break;
        default: break;
        }
    }
    if (!symtab || !strtab) return 0;
    struct relro r = { base, 0, 0 };
    dl_iterate_phdr(relro_cb, &r);
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    size_t done = 0;
    if (jmprel && pltrel_rela)
        done += rebind_table(jmprel, pltsz / sizeof *jmprel, base, symtab, strtab, hooks, nhooks, &r, pg);
    if (rela) done += rebind_table(rela, relasz / sizeof *rela, base, symtab, strtab, hooks, nhooks, &r, pg);
    return done;
}
