#include "runtime.h"
#include "cleanup.h"
#include "error.h"
#include "state.h"
#include "util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

static json_t *entry(const struct berth_state *s, enum berth_status st)
{
    return json_pack("{s:s?,s:s,s:i,s:s,s:s?,s:s?,s:s?,s:s}", "ociVersion", s->oci_version, "id",
                     s->id, "pid", st == BERTH_STATUS_STOPPED ? 0 : (int)s->pid, "status",
                     berth_status_name(st), "bundle", s->bundle, "rootfs", s->rootfs, "created",
                     s->created, "owner", "root");
}

static int print_list(char **ids, bool json, bool quiet)
{
    json_t *arr = json_array();
    if (!json && !quiet)
        printf("%-20s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
               "OWNER");
    for (char **id = ids; *id; id++) {
        struct berth_state *s = NULL;
        _cleanup_close_ int fd = berth_state_open(arg_root, *id, NULL);
        if (fd < 0 || berth_state_read(fd, &s, NULL) < 0)
            continue; /* removed while we listed */
        enum berth_status st = berth_state_status(fd, s);
        if (json)
            json_array_append_new(arr, entry(s, st));
        else if (quiet)
            printf("%s\n", s->id);
        else
            printf("%-20s %-8d %-10s %-40s %-31s %s\n", s->id,
                   st == BERTH_STATUS_STOPPED ? 0 : s->pid, berth_status_name(st), s->bundle,
                   s->created, "root");
        berth_state_free(s);
    }
    if (json) {
        _cleanup_free_ char *text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(text);
    }
    json_decref(arr);
    return 0;
}

int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    struct berth_error *err = NULL;
    bool json = false, quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, "f:q", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c != 'f')
            return rt_bad_option(argv, "list [--format table|json] [--quiet]");
        else if (streq(optarg, "json") || streq(optarg, "table"))
            json = streq(optarg, "json");
        else
            return rt_error("invalid --format '%s': use table or json", optarg);
    }
    if (optind != argc)
        return rt_usage("list [--format table|json] [--quiet]");
    _cleanup_strv_ char **ids = NULL;
    if (berth_state_list(arg_root, &ids, &err) < 0)
        return rt_fail(err);
    return print_list(ids, json, quiet);
}
