/* Large replies parsed into an arena (cli.h, cli_arena_load).
 *
 * jansson makes a few small allocations per value: for `ps -a` with 1000
 * containers about 40000 of them, which cost the CLI as much as the rest
 * of the command on this machine (malloc and a page fault per new page).
 * While an arena is open every jansson allocation is a bump of a pointer
 * in one prefaulted mapping, and frees inside it do nothing; anything else
 * goes to malloc and free as before, so values made outside the window
 * stay valid. The allocator functions are installed once, at start. */
#include "cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

static struct {
    char *base;
    size_t used, cap;
    bool spilled; /* an allocation of the window went to malloc */
} arena;

static void *cli_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (arena.base && n <= arena.cap - arena.used) {
        void *p = arena.base + arena.used;
        arena.used += n;
        return p;
    }
    arena.spilled |= arena.base != NULL;
    return malloc(n);
}

static void cli_free(void *p)
{
    if (arena.base && (char *)p >= arena.base && (char *)p < arena.base + arena.cap)
        return;
    free(p);
}

void cli_arena_install(void)
{
    json_set_alloc_funcs(cli_alloc, cli_free);
}

json_t *cli_arena_load(const char *text, size_t len)
{
    /* about nine bytes of values per byte of compact JSON, and what the
     * caller makes of them (ps -a: 14); beyond, malloc */
    size_t cap = (len * 16 + 4095) & ~(size_t)4095;
    if (arena.base == NULL && len >= 65536) {
        void *m = mmap(NULL, cap, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (m != MAP_FAILED)
            arena.base = m, arena.used = 0, arena.cap = cap, arena.spilled = false;
    }
    return json_loadb(text, len, 0, NULL);
}

void cli_arena_free(json_t *j)
{
    /* a tree wholly inside the arena goes with it: walking it to free
     * nothing cost as much as a tenth of ps */
    if (arena.base == NULL || arena.spilled)
        json_decref(j);
    if (arena.base)
        munmap(arena.base, arena.cap);
    arena.base = NULL;
}
