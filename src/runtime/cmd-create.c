#include "runtime.h"
#include "container.h"
#include "create-opts.h"
#include "error.h"

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
    const char *usage = allow_detach ? "run [--bundle DIR] [--pid-file FILE] [--detach] ID"
                                     : "create [--bundle DIR] [--pid-file FILE] ID";
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
            break; /* berth never creates a session keyring */
        case 'd':
            if (!allow_detach)
                return rt_bad_option(argv, usage);
            ret->detach = true;
            break;
        case 'c':
            return rt_error("--console-socket is not supported yet");
        case 'P':
            return rt_error("--no-pivot is not supported: berth always uses pivot_root");
        case 'f':
            if (strcmp(optarg, "0") != 0)
                return rt_error("--preserve-fds is not supported yet");
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

int cmd_create(int argc, char **argv)
{
    struct create_args a;
    struct berth_error *err = NULL;
    struct berth_container *c = NULL;
    int r = parse_create_args(argc, argv, false, &a);
    if (r != 0)
        return r;
    struct berth_create_opts o = {.state_root = arg_root,
                                  .id = a.id,
                                  .bundle = a.bundle,
                                  .pid_file = a.pid_file,
                                  .wait_start = true,
                                  .error_prefix = "berth-runtime"};
    if (berth_container_create(&o, &c, &err) < 0)
        return rt_fail(err);
    berth_container_free(c);
    return 0;
}
