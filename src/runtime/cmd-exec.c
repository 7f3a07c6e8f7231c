#include "runtime.h"
#include "cleanup.h"
#include "console.h"
#include "container.h"
#include "error.h"
#include "process.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define USAGE                                                                                      \
    "exec [--process FILE] [--tty] [--console-socket PATH] [--detach] [--pid-file FILE] "          \
    "[--env KEY=VALUE] [--cwd DIR] [--user UID[:GID]] [--additional-gids GID] [--cap CAP] "        \
    "[--no-new-privs] [--preserve-fds N] ID [COMMAND [ARG...]]"

struct exec_args {
    struct berth_exec_opts o;
    const char *process_file, *console_socket;
    bool detach;
    char **env, **caps;
    gid_t gids[64];
};

static void strv_push(char ***v, const char *s)
{
    size_t n = strv_length(*v);
    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = xstrdup(s);
    (*v)[n + 1] = NULL;
}

/* "UID" or "UID:GID", numbers only (as runc: names would need the
 * container's /etc/passwd, read inside it). */
static int parse_user(const char *s, struct berth_exec_opts *o)
{
    unsigned long long uid, gid = 0;
    _cleanup_free_ char *copy = xstrdup(s);
    char *colon = strchr(copy, ':');
    if (colon)
        *colon = '\0';
    if (parse_u64(copy, &uid) < 0 || uid > UINT32_MAX - 1 ||
        (colon && (parse_u64(colon + 1, &gid) < 0 || gid > UINT32_MAX - 1)))
        return rt_error("invalid --user '%s': use UID or UID:GID (numbers)", s);
    o->has_user = true;
    o->uid = (uid_t)uid;
    o->gid = (gid_t)gid;
    return 0;
}

static int parse_gid(const char *s, struct exec_args *a)
{
    unsigned long long g;
    if (parse_u64(s, &g) < 0 || g > UINT32_MAX - 1)
        return rt_error("invalid --additional-gids '%s': use a group id", s);
    if (a->o.n_additional_gids == ARRAY_SIZE(a->gids))
        return rt_error("too many --additional-gids");
    a->gids[a->o.n_additional_gids++] = (gid_t)g;
    return 0;
}

static int parse_opt(int c, struct exec_args *a, char **argv)
{
    long long n;
    switch (c) {
    case 'p':
        a->process_file = optarg;
        return 0;
    case 't':
        a->o.terminal = true;
        return 0;
    case 's':
        a->console_socket = optarg;
        return 0;
    case 'd':
        a->detach = true;
        return 0;
    case 'P':
        a->o.pid_file = optarg;
        return 0;
    case 'e':
        strv_push(&a->env, optarg);
        return 0;
    case 'c':
        a->o.cwd = optarg;
        return 0;
    case 'u':
        return parse_user(optarg, &a->o);
    case 'g':
        return parse_gid(optarg, a);
    case 'C':
        strv_push(&a->caps, optarg);
        return 0;
    case 'n':
        a->o.no_new_privs = true;
        return 0;
    case 'f':
        if (parse_i64(optarg, &n) < 0 || n < 0 || n > 1024)
            return rt_error("invalid --preserve-fds '%s': use a number of fds", optarg);
        a->o.preserve_fds = (int)n;
        return 0;
    case 'L':
        return rt_error("--process-label is not supported: this host has no SELinux for berth");
    case 'A':
        return rt_error("--apparmor is not supported: this host has no AppArmor for berth");
    default:
        return rt_bad_option(argv, USAGE);
    }
}

static int parse_exec_args(int argc, char **argv, struct exec_args *a)
{
    static const struct option opts[] = {
        {"process", required_argument, NULL, 'p'},
        {"tty", no_argument, NULL, 't'},
        {"console-socket", required_argument, NULL, 's'},
        {"detach", no_argument, NULL, 'd'},
        {"pid-file", required_argument, NULL, 'P'},
        {"env", required_argument, NULL, 'e'},
        {"cwd", required_argument, NULL, 'c'},
        {"user", required_argument, NULL, 'u'},
        {"additional-gids", required_argument, NULL, 'g'},
        {"cap", required_argument, NULL, 'C'},
        {"no-new-privs", no_argument, NULL, 'n'},
        {"preserve-fds", required_argument, NULL, 'f'},
        {"process-label", required_argument, NULL, 'L'},
        {"apparmor", required_argument, NULL, 'A'},
        {NULL, 0, NULL, 0},
    };
    int c, r;
    /* '+': options end at the container id, the command's own follow */
    while ((c = getopt_long(argc, argv, "+p:tdu:e:", opts, NULL)) != -1)
        if ((r = parse_opt(c, a, argv)) != 0)
            return r;
    if (optind >= argc || (a->process_file == NULL && optind + 1 >= argc))
        return rt_usage(USAGE);
    if (a->process_file && optind + 1 < argc)
        return rt_error("give either --process or a command, not both");
    a->o.id = argv[optind];
    a->o.args = argv + optind + 1;
    a->o.env = a->env;
    a->o.caps = a->caps;
    a->o.additional_gids = a->gids;
    return 0;
}

/* Runs the process and, unless detached, waits for it (its exit status). */
static int run_exec(struct exec_args *a, int sfd)
{
    struct berth_error *err = NULL;
    struct berth_container *c = NULL;
    struct berth_exit ex;
    _cleanup_close_ int console = -1, ours = -1, master = -1;

    if (a->console_socket && (console = rt_console_connect(a->console_socket)) < 0)
        return 1;
    if (a->o.terminal && console < 0) {
        if (a->detach)
            return rt_error("--tty with --detach needs --console-socket");
        if (rt_console_pair(&ours, &console) < 0)
            return 1;
    }
    if (console >= 0)
        a->o.console_fd = &console;
    if (berth_container_exec(&a->o, &c, &err) < 0)
        return rt_fail(err);
    close(TAKE_FD(console));
    if (ours >= 0 && (master = berth_recv_fd(ours, &err)) < 0) {
        berth_container_free(c);
        return rt_fail(err);
    }
    if (a->detach) {
        berth_container_free(c);
        return 0;
    }
    if (master >= 0)
        rt_tty_proxy(master, c->pidfd, sfd);
    else
        rt_supervise(c->pidfd, sfd);
    int r = berth_container_wait(c, &ex, &err);
    berth_container_free(c);
    return r < 0 ? rt_fail(err) : berth_exit_status(&ex);
}

int cmd_exec(int argc, char **argv)
{
    struct exec_args a = {.o = {.state_root = arg_root, .error_prefix = "berth-runtime"}};
    _cleanup_free_ char *process = NULL;
    struct berth_error *err = NULL;
    sigset_t mask;
    int r = parse_exec_args(argc, argv, &a);
    if (r == 0 && a.process_file &&
        read_file_at(AT_FDCWD, a.process_file, &process, NULL, &err) < 0)
        r = rt_fail(err);
    a.o.process_json = process;
    /* a process.json asks for its terminal itself */
    if (process) {
        json_t *p = json_loads(process, 0, NULL);
        a.o.terminal = a.o.terminal || json_is_true(json_object_get(p, "terminal"));
        json_decref(p);
    }

    if (r == 0) {
        sigfillset(&mask);
        static const int kept[] = {SIGCHLD, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
        for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
            sigdelset(&mask, kept[i]);
        if (!a.detach)
            sigprocmask(SIG_BLOCK, &mask, NULL);
        _cleanup_close_ int sfd = a.detach ? -1 : signalfd(-1, &mask, SFD_CLOEXEC);
        r = run_exec(&a, sfd);
    }
    strv_freep(&a.env);
    strv_freep(&a.caps);
    return r;
}
