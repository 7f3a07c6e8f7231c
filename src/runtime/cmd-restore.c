#include "runtime.h"
#include "checkpoint.h"
#include "cleanup.h"
#include "console.h"
#include "container.h"
#include "criu.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define USAGE                                                                                      \
    "restore [--image-path DIR] [--work-path DIR] [--bundle|-b DIR] [--detach|-d] "                \
    "[--pid-file F] [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks] ID"

static int parse_opt(int c, struct berth_restore_opts *o, bool *detach, char **argv)
{
    switch (c) {
    case 'i':
        o->image_path = optarg;
        return 0;
    case 'w':
        o->work_path = optarg;
        return 0;
    case 'b':
        o->bundle = optarg;
        return 0;
    case 'd':
        *detach = true;
        return 0;
    case 'P':
        o->pid_file = optarg;
        return 0;
    case 't':
        o->flags.tcp_established = true;
        return 0;
    case 'u':
        o->flags.ext_unix_sk = true;
        return 0;
    case 's':
        o->flags.shell_job = true;
        return 0;
    case 'f':
        o->flags.file_locks = true;
        return 0;
    default:
        return rt_bad_option(argv, USAGE);
    }
}

static int parse_args(int argc, char **argv, struct berth_restore_opts *o, bool *detach)
{
    static const struct option opts[] = {
        {"image-path", required_argument, NULL, 'i'}, {"work-path", required_argument, NULL, 'w'},
        {"bundle", required_argument, NULL, 'b'},     {"detach", no_argument, NULL, 'd'},
        {"pid-file", required_argument, NULL, 'P'},   {"tcp-established", no_argument, NULL, 't'},
        {"ext-unix-sk", no_argument, NULL, 'u'},      {"shell-job", no_argument, NULL, 's'},
        {"file-locks", no_argument, NULL, 'f'},       {NULL, 0, NULL, 0},
    };
    int c, r;
    while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1)
        if ((r = parse_opt(c, o, detach, argv)) != 0)
            return r;
    if (optind + 1 != argc)
        return rt_usage(USAGE);
    o->id = argv[optind];
    return 0;
}

static int wait_restored(struct berth_container *c, int sfd)
{
    struct berth_error *err = NULL;
    struct berth_exit ex;
    rt_supervise(c->pidfd, sfd);
    int r = berth_container_wait(c, &ex, &err);
    if (r >= 0 && ex.oom_killed)
        berth_log(BERTH_LOG_INFO, "container '%s' was killed by the OOM killer", c->id);
    if (r < 0)
        rt_fail(err);
    if (berth_container_delete(arg_root, c->id, true, &err) < 0)
        rt_fail(err);
    return r < 0 ? 1 : berth_exit_status(&ex);
}

int cmd_restore(int argc, char **argv)
{
    struct berth_restore_opts o = {
        .state_root = arg_root, .bundle = ".", .image_path = "checkpoint"};
    struct berth_error *err = NULL;
    struct berth_container *c = NULL;
    bool detach = false;
    sigset_t mask;
    int r = parse_args(argc, argv, &o, &detach);
    if (r != 0)
        return r;
    _cleanup_free_ char *criu = berth_criu_find(getenv("BERTH_CRIU"), getenv("PATH"), &err);
    if (criu == NULL)
        return rt_fail(err);
    o.criu = criu;
    sigfillset(&mask);
    static const int kept[] = {SIGCHLD, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
        sigdelset(&mask, kept[i]);
    if (!detach)
        sigprocmask(SIG_BLOCK, &mask, NULL);
    _cleanup_close_ int sfd = detach ? -1 : signalfd(-1, &mask, SFD_CLOEXEC);
    if (berth_container_restore(&o, &c, &err) < 0)
        return rt_fail(err);
    r = detach ? 0 : wait_restored(c, sfd);
    berth_container_free(c);
    return r;
}
