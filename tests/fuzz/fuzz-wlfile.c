/* libFuzzer target: a workload file -> the parser (src/cli/wlfile.c).
 * Whatever the bytes, it must give a project or one error naming the
 * file and a line, never crash or leak; a project's start order lists
 * every service once, each after the services it depends on. */
#include "cleanup.h"
#include "error.h"
#include "util.h"
#include "wlfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_order(const struct wl_project *p)
{
    _cleanup_free_ size_t *pos = xmalloc((p->n_services + 1) * sizeof(size_t));
    for (size_t i = 0; i < p->n_services; i++)
        pos[i] = SIZE_MAX;
    for (size_t k = 0; k < p->n_services; k++) {
        if (p->order[k] >= p->n_services || pos[p->order[k]] != SIZE_MAX)
            __builtin_trap();
        pos[p->order[k]] = k;
    }
    for (size_t i = 0; i < p->n_services; i++)
        for (size_t d = 0; d < p->services[i].n_deps; d++) {
            const struct wl_service *dep = wl_service_find(p, p->services[i].deps[d].service);
            if (dep == NULL || pos[dep - p->services] >= pos[i])
                __builtin_trap();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wl_project *p = NULL;
    _cleanup_error_ struct berth_error *err = NULL;
    if (size > 64 * 1024)
        return 0;
    int r = wl_parse((const char *)data, size, "fuzz.yaml", &p, &err);
    if (r < 0) {
        if (p || err == NULL || strncmp(err->msg, "fuzz.yaml:", 10) != 0)
            __builtin_trap();
        return 0;
    }
    if (p == NULL || err || p->n_services == 0)
        __builtin_trap();
    check_order(p);
    wl_project_free(p);
    return 0;
}
