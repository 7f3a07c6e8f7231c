/* berth inspect [-f TEMPLATE] CONTAINER... | info | top CONTAINER [ps OPTIONS] */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static json_t *get_json(const char *path, struct reply *r, int *rc)
{
    *rc = 0;
    if (cli_call("GET", path, NULL, r) < 0)
        return *rc = 1, NULL;
    if (r->status != 200) {
        *rc = cli_api_error(r, 1);
        reply_free(r);
        return NULL;
    }
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    reply_free(r);
    return j;
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"type", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    const char *format = NULL;
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 't' && !streq(optarg, "container"))
            return cli_error(1, "inspect --type %s is not supported: only container", optarg);
        else if (c != 't')
            return cli_error(1,
                             "unknown flag '%s' for inspect; usage: berth inspect [-f TEMPLATE] "
                             "CONTAINER...",
                             argv[optind - 1]);
    }
    if (optind >= argc)
        return cli_error(1, "inspect needs at least one container");
    json_t *all = json_array();
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *id = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/containers/%s/json", id);
        struct reply r;
        int one;
        json_t *j = get_json(path, &r, &one);
        if (j == NULL) {
            rc = 1;
            continue;
        }
        if (format) {
            _cleanup_free_ char *s = cli_template(format, j);
            if (s == NULL)
                rc = 1;
            else
                printf("%s\n", s);
            json_decref(j);
        } else {
            json_array_append_new(all, j);
        }
    }
    if (format == NULL) {
        _cleanup_free_ char *text = json_dumps(all, JSON_INDENT(4));
        printf("%s\n", text);
    }
    json_decref(all);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    struct reply r;
    int rc;
    if (argc > 1)
        return cli_error(1, "info takes no arguments; usage: berth info");
    json_t *j = get_json("/info", &r, &rc);
    if (j == NULL)
        return rc;
#define I(k) (long long)json_integer_value(json_object_get(j, k))
#define S(k) json_string_value(json_object_get(j, k))
    printf("Server:\n Containers: %lld\n  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n"
           " Images: %lld\n Server Version: %s\n Storage Driver: %s\n Logging Driver: %s\n"
           " Cgroup Driver: %s\n Cgroup Version: %s\n Kernel Version: %s\n"
           " Operating System: %s\n Architecture: %s\n CPUs: %lld\n Total Memory: %.1fGiB\n"
           " Name: %s\n Docker Root Dir: %s\n",
           I("Containers"), I("ContainersRunning"), I("ContainersPaused"), I("ContainersStopped"),
           I("Images"), S("ServerVersion"), S("Driver"), S("LoggingDriver"), S("CgroupDriver"),
           S("CgroupVersion"), S("KernelVersion"), S("OperatingSystem"), S("Architecture"),
           I("NCPU"), (double)I("MemTotal") / (1024.0 * 1024 * 1024), S("Name"),
           S("DockerRootDir"));
    const char *name;
    json_t *v;
    printf(" Runtimes:");
    json_object_foreach(json_object_get(j, "Runtimes"), name, v) printf(" %s", name);
    printf("\n Default Runtime: %s\n", S("DefaultRuntime"));
#undef I
#undef S
    json_decref(j);
    return 0;
}

int cmd_top(int argc, char **argv)
{
    struct reply r;
    int rc;
    if (argc < 2 || argv[1][0] == '-')
        return cli_error(1, "top needs a container; usage: berth top CONTAINER [ps OPTIONS]");
    _cleanup_free_ char *id = cli_escape(argv[1]);
    _cleanup_free_ char *args = xstrdup("");
    for (int i = 2; i < argc; i++) {
        char *n = xasprintf("%s%s%s", args, i > 2 ? " " : "", argv[i]);
        free(args);
        args = n;
    }
    _cleanup_free_ char *qa = cli_escape(args);
    _cleanup_free_ char *path =
        xasprintf("/containers/%s/top%s%s", id, *args ? "?ps_args=" : "", *args ? qa : "");
    json_t *j = get_json(path, &r, &rc);
    if (j == NULL)
        return rc;
    json_t *procs = json_object_get(j, "Processes"), *row, *v;
    size_t i, k, n = 0;
    char **lines = xzalloc((json_array_size(procs) + 2) * sizeof(char *));
    json_t *rows = json_array();
    json_array_append(rows, json_object_get(j, "Titles"));
    json_array_foreach(procs, i, row) json_array_append(rows, row);
    json_array_foreach(rows, i, row)
    {
        char *line = xstrdup("");
        json_array_foreach(row, k, v)
        {
            char *nl = xasprintf("%s%s%s", line, k ? "\t" : "", json_string_value(v));
            free(line);
            line = nl;
        }
        lines[n++] = line;
    }
    cli_print_table(lines, n);
    strv_freep(&lines);
    json_decref(rows);
    json_decref(j);
    return 0;
}
