#include "runtime.h"
#include "container.h"

#include <getopt.h>
#include <stddef.h>

int cmd_delete(int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    struct berth_error *err = NULL;
    bool force = false;
    int c;
    while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
        if (c != 'f')
            return rt_bad_option(argv, "delete [--force] ID");
        force = true;
    }
    if (optind != argc - 1)
        return rt_usage("delete [--force] ID");
    if (berth_container_delete(arg_root, argv[optind], force, &err) < 0)
        return rt_fail(err);
    return 0;
}
