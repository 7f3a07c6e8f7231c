#include "runtime.h"
#include "checkpoint.h"
#include "criu.h"
#include "cleanup.h"

#include <getopt.h>
#include <stdlib.h>

#define USAGE                                                                                      \
    "checkpoint [--image-path DIR] [--work-path DIR] [--leave-running] [--tcp-established] "       \
    "[--ext-unix-sk] [--shell-job] [--file-locks] ID"

int cmd_checkpoint(int argc, char **argv)
{
    static const struct option opts[] = {
        {"image-path", required_argument, NULL, 'i'}, {"work-path", required_argument, NULL, 'w'},
        {"leave-running", no_argument, NULL, 'l'},    {"tcp-established", no_argument, NULL, 't'},
        {"ext-unix-sk", no_argument, NULL, 'u'},      {"shell-job", no_argument, NULL, 's'},
        {"file-locks", no_argument, NULL, 'f'},       {NULL, 0, NULL, 0},
    };
    /* runc's default: ./checkpoint */
    struct berth_checkpoint_opts o = {.state_root = arg_root, .image_path = "checkpoint"};
    struct berth_error *err = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            o.image_path = optarg;
            break;
        case 'w':
            o.work_path = optarg;
            break;
        case 'l':
            o.leave_running = true;
            break;
        case 't':
            o.flags.tcp_established = true;
            break;
        case 'u':
            o.flags.ext_unix_sk = true;
            break;
        case 's':
            o.flags.shell_job = true;
            break;
        case 'f':
            o.flags.file_locks = true;
            break;
        default:
            return rt_bad_option(argv, USAGE);
        }
    }
    if (optind + 1 != argc)
        return rt_usage(USAGE);
    o.id = argv[optind];
    _cleanup_free_ char *criu = berth_criu_find(getenv("BERTH_CRIU"), getenv("PATH"), &err);
    if (criu == NULL)
        return rt_fail(err);
    o.criu = criu;
    if (berth_container_checkpoint(&o, &err) < 0)
        return rt_fail(err);
    return 0;
}
