/* The embedded image `berth-workloads` (issue 14): the busybox image plus
 * the seed workloads /usr/bin/cpu_hog, io_pulse, memory_hog and stress (the
 * reference workload file's load generator, issue 17), built by
 * berthd on first use like `busybox` (store.c). A separate image, so
 * `busybox` stays the plain busybox users expect. The binaries come from
 * $BERTH_WORKLOADS_DIR, or next to berthd, or libexecdir/berth (installed),
 * or the build tree's tests/workloads. */
#include "store.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef BERTH_LIBEXECDIR
#define BERTH_LIBEXECDIR "/usr/local/libexec/berth"
#endif

const char *const store_workloads[STORE_N_WORKLOADS] = {"cpu_hog", "io_pulse", "memory_hog",
                                                        "stress"};

static bool has_all(const char *dir)
{
    for (size_t i = 0; i < STORE_N_WORKLOADS; i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, store_workloads[i]);
        if (access(p, X_OK) < 0)
            return false;
    }
    return true;
}

char *store_workloads_dir(struct berth_error **err)
{
    const char *env = getenv("BERTH_WORKLOADS_DIR");
    if (env && *env) {
        if (has_all(env))
            return xstrdup(env);
        berth_error_set(err, ENOENT,
                        "image 'berth-workloads' is not available: $BERTH_WORKLOADS_DIR '%s' "
                        "lacks cpu_hog, io_pulse or memory_hog",
                        env);
        return NULL;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n < 0 ? 0 : n] = '\0';
    const char *dir = dirname(self);
    char *cand[] = {xstrdup(dir), xasprintf("%s/../libexec/berth", dir), xstrdup(BERTH_LIBEXECDIR),
                    xasprintf("%s/../../tests/workloads", dir)};
    char *found = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(cand); i++) {
        if (found == NULL && has_all(cand[i]))
            found = TAKE_PTR(cand[i]);
        free(cand[i]);
    }
    if (found == NULL)
        berth_error_set(err, ENOENT,
                        "image 'berth-workloads' is not available: cpu_hog, io_pulse and "
                        "memory_hog are not next to berthd, in %s or in a build tree (set "
                        "BERTH_WORKLOADS_DIR)",
                        BERTH_LIBEXECDIR);
    return found;
}
