#pragma once
/* Running criu for checkpoint.c, through its command line: Debian 12 ships
 * criu 3.17 but neither libcriu nor criu's rpc.proto, so its RPC (swrk)
 * would mean carrying a copy of criu's protocol; the command line takes the
 * same options (runc's RPC fields map one to one) and is what Debian
 * supports. */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct berth_error;
struct berth_cgroup;
struct berth_resources;

/* A growing NULL-terminated argv. */
struct berth_argv {
    char **v;
    size_t n;
};
void berth_argv_add(struct berth_argv *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void berth_argv_free(struct berth_argv *a);

/* The criu binary to run: `env` (BERTH_CRIU's value) when set and not
 * empty, else "criu" searched in `path` (PATH's value; NULL or empty
 * searches nothing). Caller frees. ENOENT "criu is not available: ..." when
 * there is none, naming where it looked. */
char *berth_criu_find(const char *env, const char *path, struct berth_error **err);

/* How criu's process starts. */
struct berth_criu_spawn {
    const int *keep_fds; /* stay open in criu under their numbers (--inherit-fd) */
    size_t n_keep;
    /* restore: criu runs in a mount namespace of its own, where `rootfs`
     * is bind-mounted on `root_mnt` (criu's --root must be a mount point):
     * nothing is left on the host's mounts, whatever happens to criu */
    const char *rootfs, *root_mnt;
    /* restore: criu waits until this cgroup holds it (berth_cgroup_setup
     * moves it, with the container's limits) so that what it restores
     * starts there; NULL: criu stays where the caller is */
    struct berth_cgroup *cgroup;
    const struct berth_resources *resources; /* the limits to apply with it */
};

/* Runs criu with argv (argv[0] is the binary), its stdio on /dev/null, and
 * waits for it. On a
 * failure, the message names the first "Error" line of `log` (criu's -o
 * file) and the log's path: EIO "criu dump failed: ...". */
int berth_criu_run(char **argv, const struct berth_criu_spawn *s, const char *what, const char *log,
                   struct berth_error **err);
