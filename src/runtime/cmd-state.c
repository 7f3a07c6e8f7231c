#include "runtime.h"
#include "cleanup.h"
#include "container.h"
#include "error.h"

#include <stdio.h>

int cmd_state(int argc, char **argv)
{
    struct berth_error *err = NULL;
    struct berth_container_info *i = NULL;
    if (argc != 2 || argv[1][0] == '-')
        return rt_usage("state ID");
    if (berth_container_state(arg_root, argv[1], &i, &err) < 0)
        return rt_fail(err);
    _cleanup_free_ char *text = berth_container_info_oci_json(i);
    berth_container_info_free(i);
    puts(text);
    return 0;
}
