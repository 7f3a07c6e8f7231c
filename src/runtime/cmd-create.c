#include "runtime.h"
#include "container.h"
#include "create-opts.h"
#include "cleanup.h"
#include "console.h"
#include "error.h"
#include "util.h"

#include <getopt.h>
#include <string.h>
#include <unistd.h>

int parse_create_args(int argc, char **argv, bool allow_detach, struct create_args *ret)
{
    static const struct option opts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"pid-file", required_argument, NULL, 'p'},
        {"detach", no_argument, NULL, 'd'},
        {"console-socket", required_argument, NULL, 'c'},
        {"no-pivot", no_argument, NULL, 'P'},
        {"no-new-keyring", no_argument, NULL, 'k'},
        {"preserve-fds", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const char *usage = allow_detach ? "run [--bundle DIR] [--pid-file FILE] [--console-socket "
                                       "PATH] [--preserve-fds N] [--no-pivot] [--detach] ID"
                                     : "create [--bundle DIR] [--pid-file FILE] [--console-socket "
                                       "PATH] [--preserve-fds N] [--no-pivot] ID";
    long long n;
    int c;
    memset(ret, 0, sizeof(*ret));
    ret->bundle = ".";
    while ((c = getopt_long(argc, argv, allow_detach ? "b:d" : "b:", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            ret->bundle = optarg;
            break;
        case 'p':
            ret->pid_file = optarg;
            break;
        case 'k':
            ret->no_new_keyring = true;
            break;
        case 'd':
            if (!allow_detach)
                return rt_bad_option(argv, usage);
            ret->detach = true;
            break;
        case 'c':
            ret->console_socket = optarg;
            break;
        case 'P':
            ret->no_pivot = true;
            break;
        case 'f':
            if (parse_i64(optarg, &n) < 0 || n < 0 || n > 1024)
                return rt_error("invalid --preserve-fds '%s': use a number of fds", optarg);
            ret->preserve_fds = (int)n;
            break;
        default:
            return rt_bad_option(argv, usage);
        }
    }
    if (optind != argc - 1)
        return rt_usage(usage);
    ret->id = argv[optind];
    return 0;
}

void create_opts_from_args(const struct create_args *a, struct berth_create_opts *o)
{
    *o = (struct berth_create_opts){.state_root = arg_root,
                                    .id = a->id,
                                    .bundle = a->bundle,
                                    .pid_file = a->pid_file,
                                    .error_prefix = "berth-runtime",
                                    .preserve_fds = a->preserve_fds,
                                    .no_new_keyring = a->no_new_keyring,
                                    .no_pivot = a->no_pivot};
}

int cmd_create(int argc, char **argv)
{
    struct create_args a;
    struct berth_error *err = NULL;
    struct berth_container *c = NULL;
    struct berth_create_opts o;
    int r = parse_create_args(argc, argv, false, &a);
    if (r != 0)
        return r;
    create_opts_from_args(&a, &o);
    o.wait_start = true;
    _cleanup_close_ int console = -1;
    if (a.console_socket && (console = rt_console_connect(a.console_socket)) < 0)
        return 1;
    if (console >= 0)
        o.console_fd = &console;
    if (berth_container_create(&o, &c, &err) < 0)
        return rt_fail(err);
    berth_container_free(c);
    return 0;
}
