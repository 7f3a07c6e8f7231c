#include "runtime.h"
#include "cleanup.h"
#include "container.h"
#include "error.h"
#include "util.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

static json_t *entry(const struct berth_container_info *i)
{
    return json_pack("{s:s?,s:s,s:i,s:s,s:s?,s:s?,s:s?,s:s}", "ociVersion", i->oci_version, "id",
                     i->id, "pid", (int)i->pid, "status", berth_status_name(i->status), "bundle",
                     i->bundle, "rootfs", i->rootfs, "created", i->created, "owner", "root");
}

static void print_list(struct berth_container_info **v, size_t n, bool json, bool quiet)
{
    json_t *arr = json_array();
    if (!json && !quiet)
        printf("%-20s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
               "OWNER");
    for (size_t k = 0; k < n; k++) {
        const struct berth_container_info *i = v[k];
        if (json)
            json_array_append_new(arr, entry(i));
        else if (quiet)
            printf("%s\n", i->id);
        else
            printf("%-20s %-8d %-10s %-40s %-31s %s\n", i->id, (int)i->pid,
                   berth_status_name(i->status), i->bundle ? i->bundle : "",
                   i->created ? i->created : "", "root");
    }
    if (json) {
        _cleanup_free_ char *text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(text);
    }
    json_decref(arr);
}

int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    struct berth_error *err = NULL;
    struct berth_container_info **v = NULL;
    size_t n = 0;
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
    if (berth_container_list(arg_root, &v, &n, &err) < 0)
        return rt_fail(err);
    print_list(v, n, json, quiet);
    berth_container_infos_free(v, n);
    return 0;
}
