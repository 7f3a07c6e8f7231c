/* berth update [OPTIONS] CONTAINER... (docker update): new resource limits
 * for created or running containers, POST /containers/ID/update with
 * Docker's UpdateConfig body, and --restart (the shim reads the policy at
 * each exit). A bad value exits 125 before any request; --kernel-memory is
 * refused by name. */
#include "cli.h"
#include "cleanup.h"
#include "units.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPDATE_USAGE                                                                               \
    "usage: berth update [--cpu-shares N] [--cpus N] [--cpu-period N] [--cpu-quota N] "            \
    "[--cpuset-cpus LIST] [--cpuset-mems LIST] [--memory SIZE] [--memory-reservation SIZE] "       \
    "[--memory-swap SIZE] [--pids-limit N] [--blkio-weight N] [--restart POLICY] CONTAINER..."

enum kind { K_INT, K_SIZE, K_CPUS, K_STR, K_RESTART, K_REFUSED };

static const struct {
    const char *name;
    const char *field;
    enum kind kind;
} uopts[] = {
    {"cpu-shares", "CpuShares", K_INT},     {"cpus", "NanoCpus", K_CPUS},
    {"cpu-period", "CpuPeriod", K_INT},     {"cpu-quota", "CpuQuota", K_INT},
    {"cpuset-cpus", "CpusetCpus", K_STR},   {"cpuset-mems", "CpusetMems", K_STR},
    {"memory", "Memory", K_SIZE},           {"memory-reservation", "MemoryReservation", K_SIZE},
    {"memory-swap", "MemorySwap", K_SIZE},  {"pids-limit", "PidsLimit", K_INT},
    {"blkio-weight", "BlkioWeight", K_INT}, {"restart", "RestartPolicy", K_RESTART},
    {"kernel-memory", NULL, K_REFUSED},
};

/* One option's value into the body; -1 after printing why. */
static int set_value(json_t *body, size_t i, const char *arg)
{
    const char *n = uopts[i].name;
    long long v;
    int64_t size;
    char *end;
    bool neg_ok = streq(n, "pids-limit") || streq(n, "cpu-quota") || streq(n, "memory-swap");
    switch (uopts[i].kind) {
    case K_INT:
        if (parse_i64(arg, &v) < 0 || (v < 0 && !(neg_ok && v == -1)))
            return cli_error(-1, "invalid value '%s' for --%s: a non-negative integer expected",
                             arg, n);
        json_object_set_new(body, uopts[i].field, json_integer(v));
        return 0;
    case K_SIZE:
        if (berth_parse_size(arg, &size) < 0 || (size < 0 && !(neg_ok && size == -1)))
            return cli_error(-1, "invalid value '%s' for --%s: a size (512m, 1g) expected", arg, n);
        json_object_set_new(body, uopts[i].field, json_integer(size));
        return 0;
    case K_CPUS: {
        errno = 0;
        double d = strtod(arg, &end);
        if (end == arg || *end || errno || !(d > 0) || d > 1e9)
            return cli_error(-1,
                             "invalid value '%s' for --cpus: a positive number of CPUs "
                             "expected",
                             arg);
        json_object_set_new(body, uopts[i].field, json_integer((json_int_t)(d * 1e9 + 0.5)));
        return 0;
    }
    case K_STR:
        json_object_set_new(body, uopts[i].field, json_string(arg));
        return 0;
    case K_RESTART: {
        json_t *p = cli_restart_policy(arg);
        if (p == NULL)
            return -1;
        json_object_set_new(body, uopts[i].field, p);
        return 0;
    }
    case K_REFUSED:
    default:
        return cli_error(-1, "--%s is not supported by berth update", n);
    }
}

static json_t *parse(int argc, char **argv)
{
    struct option longs[ARRAY_SIZE(uopts) + 1];
    for (size_t i = 0; i < ARRAY_SIZE(uopts); i++)
        longs[i] = (struct option){uopts[i].name, required_argument, NULL, 256 + (int)i};
    longs[ARRAY_SIZE(uopts)] = (struct option){NULL, 0, NULL, 0};
    json_t *body = json_object();
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+m:c:", longs, NULL)) != -1) {
        size_t i = c == 'm' ? 6 : c == 'c' ? 0 : (size_t)(c - 256);
        if ((c != 'm' && c != 'c' && (c < 256 || i >= ARRAY_SIZE(uopts))) ||
            set_value(body, i, optarg) < 0) {
            if (c < 256 && c != 'm' && c != 'c')
                cli_error(-1, "unknown or incomplete flag '%s'; " UPDATE_USAGE, argv[optind - 1]);
            json_decref(body);
            return NULL;
        }
    }
    if (json_object_size(body) == 0) {
        cli_error(-1, "you must provide one or more flags when using this command; " UPDATE_USAGE);
        json_decref(body);
        return NULL;
    }
    if (optind >= argc) {
        cli_error(-1, "update needs at least one container; " UPDATE_USAGE);
        json_decref(body);
        return NULL;
    }
    return body;
}

int cmd_update(int argc, char **argv)
{
    json_t *body = parse(argc, argv);
    int rc = 0;
    if (body == NULL)
        return 125;
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *id = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/containers/%s/update", id);
        struct reply r;
        if (cli_call("POST", path, body, &r) < 0) {
            rc = 1;
            break;
        }
        if (r.status == 200)
            printf("%s\n", argv[i]);
        else
            rc = cli_api_error(&r, 1);
        reply_free(&r);
    }
    json_decref(body);
    return rc;
}
