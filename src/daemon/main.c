/* berthd [-H unix://PATH] [--data-root DIR] [--exec-root DIR] [--runtime PATH|NAME]
 *        [--log-level debug|info|warn|error|fatal] [--shutdown-containers]
 *        [-b|--bridge none] [--gpu-sim FILE] [--cdi-spec-dir DIR]...
 *        [--registry-config FILE]
 *
 * The supervisor (issue 13): serves the Docker Engine API on a UNIX socket;
 * every container runs under its own berth-shim, so berthd may stop or die
 * at any time and the containers keep running (live restore); on start it
 * re-adopts them from the records under the data root. With
 * --shutdown-containers, SIGTERM (or SIGINT) stops every running container
 * first, each with its stop signal and timeout, all at once, and berthd
 * exits once their shims are gone. */
#include "daemon.h"
#include "gpu.h"
#include "netctr.h"
#include "events.h"
#include "networks.h"
#include "registry-client.h"
#include "store.h"
#include "api/api.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

struct daemon engine = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const char *arg_host = NULL;
static const char *arg_log_level = "info";
static bool arg_shutdown_containers = false;
/* registry-client.h's settings: the flag, BERTH_REGISTRY_CONFIG, or this
 * file when it exists */
static const char *arg_registry_config;
#define REGISTRY_CONFIG_DEFAULT "/etc/berth/registries.json"

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("berthd: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

/* A program next to ours, or in the build tree's sibling folder. */
static char *sibling(const char *env, const char *name, const char *alt)
{
    const char *e = getenv(env);
    if (e && *e)
        return xstrdup(e);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n < 0 ? 0 : n] = '\0';
    char *dir = dirname(self);
    char *p = xasprintf("%s/%s", dir, name);
    if (access(p, X_OK) == 0)
        return p;
    free(p);
    return xasprintf("%s/%s/%s", dir, alt, name);
}

static int parse(int argc, char **argv)
{
    static const struct option opts[] = {{"host", required_argument, NULL, 'H'},
                                         {"data-root", required_argument, NULL, 'D'},
                                         {"exec-root", required_argument, NULL, 'E'},
                                         {"runtime", required_argument, NULL, 'R'},
                                         {"log-level", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'v'},
                                         {"shutdown-containers", no_argument, NULL, 'S'},
                                         {"bridge", required_argument, NULL, 'b'},
                                         {"gpu-sim", required_argument, NULL, 'G'},
                                         {"cdi-spec-dir", required_argument, NULL, 'C'},
                                         {"registry-config", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "H:l:b:hv", opts, NULL)) != -1) {
        switch (c) {
        case 'H':
            arg_host = optarg;
            break;
        case 'D':
            engine.data_root = optarg;
            break;
        case 'E':
            engine.exec_root = optarg;
            break;
        case 'R':
            engine.runtime = optarg;
            break;
        case 'l':
            arg_log_level = optarg;
            break;
        case 'S':
            arg_shutdown_containers = true;
            break;
        case 'b':
            /* Docker's -b none; a bridge of the user's own is not supported */
            if (!streq(optarg, "none"))
                return fail("--bridge '%s' is not supported: only 'none' (no default network)",
                            optarg);
            networks_set_default_bridge(false);
            break;
        case 'G': /* gpu.h: a simulated GPU provider */
            gpu_set_sim(optarg);
            break;
        case 'C':
            gpu_add_cdi_dir(optarg);
            break;
        case 'r':
            arg_registry_config = optarg;
            break;
        case 'h':
            printf("usage: berthd [-H unix://PATH] [--data-root DIR] [--exec-root DIR] "
                   "[--runtime PATH|NAME] [--log-level LEVEL] [--shutdown-containers] "
                   "[--bridge none] [--gpu-sim FILE] [--cdi-spec-dir DIR]... "
                   "[--registry-config FILE]\n");
            exit(0);
        case 'v':
            printf("berthd version %s\n", BERTH_VERSION);
            exit(0);
        default:
            return fail("invalid option '%s'; see --help", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return fail("unexpected argument '%s'; see --help", argv[optind]);
    return 0;
}

static int load_registry_config(void)
{
    const char *env = getenv("BERTH_REGISTRY_CONFIG");
    const char *file = arg_registry_config                          ? arg_registry_config
                       : env && *env                                ? env
                       : access(REGISTRY_CONFIG_DEFAULT, F_OK) == 0 ? REGISTRY_CONFIG_DEFAULT
                                                                    : NULL;
    struct berth_error *e = NULL;
    if (file == NULL || registry_config_load(file, &e) == 0)
        return 0;
    _cleanup_free_ char *m = berth_error_format(e);
    berth_error_clear(&e);
    return fail("%s", m);
}

static int check_args(void)
{
    static const char *const levels[] = {"debug", "info", "warn", "error", "fatal"};
    bool ok = false;
    for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
        ok |= streq(arg_log_level, levels[i]);
    if (!ok)
        return fail("invalid --log-level '%s' (debug, info, warn, error, fatal)", arg_log_level);
    struct berth_error *e = NULL;
    char *rt = NULL;
    if (runtime_resolve(engine.runtime ? engine.runtime : "berth", &rt, &e) < 0) {
        _cleanup_free_ char *m = berth_error_format(e);
        berth_error_clear(&e);
        return fail("invalid --runtime: %s", m);
    }
    engine.runtime = rt; /* for the life of berthd */
    if (strncmp(arg_host, "unix://", 7) != 0)
        return fail("-H '%s' is not supported: only unix://PATH", arg_host);
    if (engine.data_root[0] != '/' || engine.exec_root[0] != '/')
        return fail("--data-root and --exec-root must be absolute paths");
    return load_registry_config();
}

static bool ctr_running(const char *cid)
{
    struct ctr *c = NULL;
    bool running = ctr_find(cid, &c, NULL) == 0 && c->status == CTR_RUNNING;
    ctr_free(c);
    return running;
}

/* The networks before the containers: an adopted container's network is
 * there again. A failure leaves berthd up for what needs no network. */
static void networks_start(void)
{
    struct berth_error *err = NULL;
    if (networks_init(ctr_running, &err) < 0) {
        _cleanup_free_ char *m = berth_error_format(err);
        berth_error_clear(&err);
        fprintf(stderr, "berthd: cannot set up the networks: %s, ignoring\n", m);
    }
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return fail("socket path '%s' is too long", path), -1;
    strcpy(sa.sun_path, path);
    _cleanup_free_ char *dir = xstrdup(path);
    mkdir_p(dirname(dir), 0755, NULL);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    mode_t old = umask(0117); /* 0660, as dockerd's */
    int r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || listen(fd, 128) < 0)
        return fail("cannot listen on '%s': %s", path, strerror(errno)), -1;
    return fd;
}

int main(int argc, char **argv)
{
    engine.data_root = getenv("BERTH_DATA_ROOT") ? getenv("BERTH_DATA_ROOT") : "/var/lib/berth";
    engine.exec_root = getenv("BERTH_EXEC_ROOT") ? getenv("BERTH_EXEC_ROOT") : "/run/berth";
    if (parse(argc, argv) != 0)
        return 1;
    if (arg_host == NULL)
        arg_host = "unix:///run/berth/berth.sock";
    if (check_args() != 0)
        return 1;
    engine.state_root = xasprintf("%s/runtime", engine.exec_root);
    engine.shim = sibling("BERTH_SHIM", "berth-shim", "../shim");
    struct berth_error *err = NULL;
    _cleanup_free_ char *cdir = xasprintf("%s/containers", engine.data_root);
    if (mkdir_p(cdir, 0700, &err) < 0 || mkdir_p(engine.state_root, 0700, &err) < 0) {
        _cleanup_free_ char *m = berth_error_format(err);
        return fail("%s", m);
    }
    if (access(engine.shim, X_OK) < 0)
        return fail("cannot find berth-shim at '%s' (set BERTH_SHIM)", engine.shim);
    /* the signals main waits for; every thread inherits the mask */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Each API connection runs in its own thread: glibc gives threads up
     * to 8 arenas a core (4 MiB more RSS for 40 concurrent `run`s), and
     * trims an arena as soon as a request frees, so the next request
     * faults its pages in again (half of `ps` with 1000 containers). */
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
    events_init();                     /* before adopting: the dies of dead shims are imported */
    store_clean_tmp(engine.data_root); /* a killed berthd's pulls and loads */
    networks_start();
    netpool_start(); /* after the networks: it needs the default one */
    ctr_adopt_all();
    int fd = listen_unix(arg_host + 7);
    struct stat st;
    if (fd < 0 || stat(arg_host + 7, &st) < 0)
        return 1;
    ino_t sock_ino = st.st_ino;
    dev_t sock_dev = st.st_dev;
    struct MHD_Daemon *mhd = api_start(fd);
    if (mhd == NULL)
        return fail("cannot start the API server on '%s'", arg_host);
    if (!streq(arg_log_level, "error") && !streq(arg_log_level, "fatal"))
        fprintf(stderr, "berthd: API listening on %s (data root %s, exec root %s)\n", arg_host,
                engine.data_root, engine.exec_root);
    int sig = 0;
    while (sigwait(&mask, &sig) == 0 && sig == SIGHUP)
        ;
    if (arg_shutdown_containers)
        ctr_shutdown_all();
    /* live restore: the containers and their shims keep running, and
     * requests in flight (logs -f, wait) end with the process: joining
     * their threads could wait for ever. The socket goes only if it is
     * still ours (a new berthd may have bound the path already). */
    struct stat now;
    if (stat(arg_host + 7, &now) == 0 && now.st_ino == sock_ino && now.st_dev == sock_dev)
        unlink(arg_host + 7);
    (void)mhd;
    _exit(0);
}
