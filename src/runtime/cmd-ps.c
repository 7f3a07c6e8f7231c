#include "runtime.h"
#include "cleanup.h"
#include "container.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define USAGE "ps [--format table|json] ID [PS_OPTION...]"

static void print_json(const pid_t *pids, size_t n)
{
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", (int)pids[i]);
    puts("]");
}

/* Starts the host's ps with `args` (argv[0] included), its stdout and
 * stderr on a pipe whose read end *ret_fd gets. */
static pid_t spawn_ps(char **args, int *ret_fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        execvp("ps", args);
        dprintf(STDERR_FILENO, "cannot run 'ps': %s\n", strerror(errno));
        _exit(127);
    }
    close(p[1]);
    if (pid < 0)
        close(p[0]);
    else
        *ret_fd = p[0];
    return pid;
}

/* What ps printed, stdout and stderr together as runc takes them; NULL
 * with the error printed. */
static char *run_ps(char **args)
{
    char *out = NULL, buf[4096];
    size_t len = 0;
    int status = 0;
    _cleanup_close_ int fd = -1;

    pid_t pid = spawn_ps(args, &fd);
    if (pid < 0) {
        rt_error("cannot run 'ps': %s", strerror(errno));
        return NULL;
    }
    FILE *f = open_memstream(&out, &len);
    for (ssize_t k; (k = read(fd, buf, sizeof(buf))) != 0;)
        if (k > 0)
            fwrite(buf, 1, (size_t)k, f);
        else if (errno != EINTR)
            break;
    fclose(f);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return out;
    out[strcspn(out, "\n")] = '\0';
    rt_error("ps failed: %s", *out ? out : "no output");
    free(out);
    return NULL;
}

static bool has_pid(const pid_t *pids, size_t n, long long pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* The word index of "PID" in ps's header line, or -1. */
static int pid_column(const char *header)
{
    _cleanup_free_ char *copy = xstrdup(header);
    int i = 0;
    for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
        if (streq(w, "PID"))
            return i;
        else
            i++;
    return -1;
}

/* The header, then each line whose PID column is one of `pids`. */
static int print_table(const pid_t *pids, size_t n, char **args)
{
    _cleanup_free_ char *out = run_ps(args);
    if (out == NULL)
        return 1;
    char *save = NULL, *header = strtok_r(out, "\n", &save);
    int col = header ? pid_column(header) : -1;
    if (col < 0)
        return rt_error("cannot find the PID column in the output of ps");
    puts(header);
    for (char *l = strtok_r(NULL, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        _cleanup_free_ char *copy = xstrdup(l);
        char *ws = NULL, *w = strtok_r(copy, " \t", &ws);
        for (int i = 0; w && i < col; i++)
            w = strtok_r(NULL, " \t", &ws);
        long long pid;
        if (w == NULL || parse_i64(w, &pid) < 0)
            return rt_error("cannot read a pid in the output of ps: '%s'", l);
        if (has_pid(pids, n, pid))
            puts(l);
    }
    return 0;
}

int cmd_ps(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    struct berth_error *err = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    bool json = false;
    size_t n = 0;
    int c;
    /* "+": the options after the ID are ps's */
    while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
        if (c != 'f')
            return rt_bad_option(argv, USAGE);
        if (!streq(optarg, "json") && !streq(optarg, "table"))
            return rt_error("invalid --format '%s': use table or json", optarg);
        json = streq(optarg, "json");
    }
    if (optind >= argc)
        return rt_usage(USAGE);
    if (berth_container_pids(arg_root, argv[optind], &pids, &n, &err) < 0)
        return rt_fail(err);
    if (json) {
        print_json(pids, n);
        return 0;
    }
    /* ps gets argv from the ID on, the ID replaced by "ps" */
    char *dflt[] = {"ps", "-ef", NULL};
    char **args = optind + 1 < argc ? argv + optind : dflt;
    args[0] = "ps";
    return print_table(pids, n, args);
}
