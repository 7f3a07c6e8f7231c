#include "runtime.h"
#include "cleanup.h"
#include "container.h"
#include "error.h"
#include "oci.h"
#include "resources.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define USAGE "update [-r FILE|-] [--memory N] [--cpu-quota N] [OPTION...] ID; see --help"
#define OPT   'o' /* a resource option, told apart by its long name */

static const struct option opts[] = {
    {"resources", required_argument, NULL, 'r'},
    {"memory", required_argument, NULL, OPT},
    {"memory-reservation", required_argument, NULL, OPT},
    {"memory-swap", required_argument, NULL, OPT},
    {"kernel-memory", required_argument, NULL, OPT},
    {"kernel-memory-tcp", required_argument, NULL, OPT},
    {"cpu-shares", required_argument, NULL, OPT},
    {"cpu-share", required_argument, NULL, OPT},
    {"cpu-quota", required_argument, NULL, OPT},
    {"cpu-period", required_argument, NULL, OPT},
    {"cpu-rt-period", required_argument, NULL, OPT},
    {"cpu-rt-runtime", required_argument, NULL, OPT},
    {"cpuset-cpus", required_argument, NULL, OPT},
    {"cpuset-mems", required_argument, NULL, OPT},
    {"pids-limit", required_argument, NULL, OPT},
    {"blkio-weight", required_argument, NULL, OPT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void print_help(void)
{
    printf("usage: berth-runtime update [OPTION...] ID\n\n"
           "Changes the cgroup limits of a running container. Sizes take k, m, g\n"
           "suffixes (64m); -1 is unlimited.\n"
           "  -r, --resources FILE      a linux.resources JSON object (- for stdin);\n"
           "                            the options below go on top of it\n"
           "  --memory, --memory-reservation, --memory-swap, --kernel-memory,\n"
           "  --kernel-memory-tcp SIZE\n"
           "  --cpu-shares, --cpu-quota, --cpu-period, --cpu-rt-period, --cpu-rt-runtime N\n"
           "  --cpuset-cpus, --cpuset-mems LIST\n"
           "  --pids-limit N            -1: unlimited\n"
           "  --blkio-weight N          10..1000\n");
}

/* The whole of `fd` (caller frees). */
static int read_all(int fd, char **ret, size_t *ret_len)
{
    char *out = NULL, buf[4096];
    size_t len = 0;
    int r = 0;

    FILE *f = open_memstream(&out, &len);
    for (ssize_t k; (k = read(fd, buf, sizeof(buf))) != 0;) {
        if (k > 0)
            fwrite(buf, 1, (size_t)k, f);
        else if (errno != EINTR) {
            r = -errno;
            break;
        }
    }
    fclose(f);
    *ret = out;
    *ret_len = len;
    return r;
}

static int load_file(const char *path, struct berth_resources *res)
{
    _cleanup_close_ int fd =
        streq(path, "-") ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    _cleanup_free_ char *text = NULL;
    struct berth_error *err = NULL;
    size_t len = 0;

    if (fd < 0)
        return rt_error("cannot open resources file '%s': %s", path, strerror(errno));
    int r = read_all(fd, &text, &len);
    if (r < 0)
        return rt_error("cannot read resources file '%s': %s", path, strerror(-r));
    if (berth_resources_from_json(text, len, res, &err) < 0) {
        berth_error_wrap(&err, "invalid resources file '%s'", path);
        return rt_fail(err);
    }
    return 0;
}

/* runc reads the file or the options; berth takes the file, then the
 * options on top of it. */
static int build(int argc, char **argv, struct berth_resources *res)
{
    const char *file = NULL;
    _cleanup_free_ const char **given = NULL; /* name, value pairs in order */
    size_t n = 0;
    int c, idx = 0;
    struct berth_error *err = NULL;

    while ((c = getopt_long(argc, argv, "r:", opts, &idx)) != -1) {
        if (c == 'h') {
            print_help();
            return -1;
        }
        if (c == 'r')
            file = optarg;
        else if (c == OPT) {
            given = xrealloc(given, (n + 2) * sizeof(*given));
            given[n++] = opts[idx].name;
            given[n++] = optarg;
        } else
            return rt_bad_option(argv, USAGE);
    }
    if (optind != argc - 1)
        return rt_usage(USAGE);
    if (file && load_file(file, res) != 0)
        return 1;
    for (size_t i = 0; i < n; i += 2)
        if (berth_resources_set_option(res, given[i], given[i + 1], &err) < 0)
            return rt_fail(err);
    return 0;
}

int cmd_update(int argc, char **argv)
{
    struct berth_resources res;
    struct berth_error *err = NULL;

    memset(&res, 0, sizeof(res));
    int r = build(argc, argv, &res);
    if (r == 0 && berth_container_update(arg_root, argv[argc - 1], &res, &err) < 0)
        r = rt_fail(err);
    berth_resources_free(&res);
    return r < 0 ? 0 : r;
}
