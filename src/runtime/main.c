#include "runtime.h"
#include "cleanup.h"
#include "error.h"
#include "init.h"
#include "kernel.h"
#include "log.h"
#include "state.h"
#include "util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *arg_root = "/run/berth";
bool arg_debug;
static const char *arg_log;
static bool arg_log_json;

static void log_line(const char *level, const char *msg)
{
    if (arg_log == NULL)
        return;
    _cleanup_fclose_ FILE *f = fopen(arg_log, "ae");
    if (f == NULL)
        return;
    _cleanup_free_ char *now = berth_rfc3339_now();
    if (arg_log_json) {
        json_t *o = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg, "time", now);
        _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        fprintf(f, "%s\n", text);
    } else {
        fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", now, level, msg);
    }
}

int rt_error(const char *fmt, ...)
{
    va_list ap;
    _cleanup_free_ char *msg = NULL;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    fprintf(stderr, "berth-runtime: %s\n", msg);
    log_line("error", msg);
    return 1;
}

int rt_fail(struct berth_error *e)
{
    _cleanup_free_ char *msg = berth_error_format(e);
    berth_error_clear(&e);
    return rt_error("%s", msg);
}

int rt_usage(const char *usage)
{
    return rt_error("usage: berth-runtime %s", usage);
}

int rt_bad_option(char **argv, const char *usage)
{
    const char *bad = optind > 0 ? argv[optind - 1] : "?";
    /* getopt_long sets optopt for a known long option missing its value,
     * and leaves it 0 for an unknown one */
    if (strncmp(bad, "--", 2) == 0 && optopt != 0)
        return rt_error("option '%s' needs a value; usage: berth-runtime %s", bad, usage);
    if (strncmp(bad, "--", 2) != 0 && optopt != 0)
        return rt_error("invalid option or missing value '-%c'; usage: berth-runtime %s", optopt,
                        usage);
    return rt_error("invalid option '%s'; usage: berth-runtime %s", bad, usage);
}

static void debug_sink(enum berth_log_level level, const char *msg, void *userdata)
{
    if (level == BERTH_LOG_DEBUG && !arg_debug)
        return;
    bool debug = level == BERTH_LOG_DEBUG;
    log_line(debug ? "debug" : "info", msg);
    if (arg_log == NULL)
        fprintf(stderr, "berth-runtime: %s%s\n", debug ? "debug: " : "", msg);
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
} commands[] = {
    {"spec", cmd_spec},         {"create", cmd_create},
    {"start", cmd_start},       {"run", cmd_run},
    {"state", cmd_state},       {"kill", cmd_kill},
    {"delete", cmd_delete},     {"list", cmd_list},
    {"exec", cmd_exec},         {"pause", cmd_pause},
    {"resume", cmd_resume},     {"ps", cmd_ps},
    {"update", cmd_update},     {"events", cmd_events},
    {"features", cmd_features}, {"checkpoint", cmd_checkpoint},
    {"restore", cmd_restore},
};

static void print_help(void)
{
    printf("usage: berth-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug]\n"
           "                     COMMAND [OPTIONS] [ARGS]\n\n"
           "An OCI runtime. Commands:\n"
           "  spec    write a default config.json\n"
           "  create  create a container (its init waits for start)\n"
           "  start   run the process of a created container\n"
           "  run     create and start a container\n"
           "  state   print the state of a container as JSON\n"
           "  kill    send a signal to a container's init\n"
           "  delete  delete a stopped (or, with --force, any) container\n"
           "  list    list containers\n"
           "  exec    run another process in a running container\n"
           "  pause   freeze every process of a running container\n"
           "  resume  thaw a paused container\n"
           "  ps      list a container's processes (ps output, or --format json pids)\n"
           "  update  change a running container's cgroup limits (update --help)\n"
           "  events  print a container's stats and OOM kills as JSON lines (--stats: once)\n"
           "  features  print the OCI features document of this runtime\n"
           "  checkpoint  save a running container to an image with criu (and stop it)\n"
           "  restore   start a container from a checkpoint image with criu\n");
}

static int parse_globals(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, NULL, 'r'},       {"log", required_argument, NULL, 'l'},
        {"log-format", required_argument, NULL, 'f'}, {"debug", no_argument, NULL, 'd'},
        {"version", no_argument, NULL, 'v'},          {"help", no_argument, NULL, 'h'},
        {"systemd-cgroup", no_argument, NULL, 's'},   {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            arg_root = optarg;
            break;
        case 'l':
            arg_log = optarg;
            break;
        case 'd':
            arg_debug = true;
            break;
        case 's':
            return rt_error("--systemd-cgroup is not supported: berth manages cgroups through "
                            "cgroupfs only");
        case 'f':
            if (!streq(optarg, "text") && !streq(optarg, "json"))
                return rt_error("invalid --log-format '%s': use text or json", optarg);
            arg_log_json = streq(optarg, "json");
            break;
        case 'v':
            printf("berth-runtime version %s\nspec: 1.0.2\n", BERTH_VERSION);
            exit(0);
        case 'h':
            print_help();
            exit(0);
        default:
            return rt_bad_option(argv, "[--root DIR] [--log FILE] [--log-format text|json] "
                                       "[--debug] COMMAND; see --help");
        }
    }
    return 0;
}

/* runc's choice for an unprivileged caller: its own $XDG_RUNTIME_DIR
 * (else /run/user/UID, where logind would put it); /run/berth is root's. */
static const char *rootless_root(void)
{
    static char buf[4096];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && xdg[0] == '/')
        snprintf(buf, sizeof(buf), "%s/berth", xdg);
    else
        snprintf(buf, sizeof(buf), "/run/user/%u/berth", (unsigned)geteuid());
    return buf;
}

int main(int argc, char **argv)
{
    /* a container's init re-executed from a read-only view of this binary */
    berth_init_dispatch(argc, argv);
    const char *env_root = getenv("BERTH_ROOT");
    if (env_root && *env_root)
        arg_root = env_root;
    else if (geteuid() != 0)
        arg_root = rootless_root();
    opterr = 0; /* one line per error: ours, not getopt's too */
    if (parse_globals(argc, argv) != 0)
        return 1;
    berth_log_set_sink(debug_sink, NULL);
    if (optind >= argc)
        return rt_error("no command given; see --help");
    const char *cmd = argv[optind];
    struct berth_error *err = NULL;
    /* `spec` only writes a file, `features` only prints: any kernel will do */
    if (!streq(cmd, "spec") && !streq(cmd, "features") && berth_kernel_check(&err) < 0)
        return rt_fail(err);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (streq(cmd, commands[i].name)) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* reset getopt for the command's own options */
            return commands[i].fn(sub_argc, sub_argv);
        }
    }
    return rt_error("unknown command '%s'; see --help", cmd);
}
