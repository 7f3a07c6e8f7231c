#include "runtime.h"
#include "container.h"

#include <stddef.h>

int cmd_resume(int argc, char **argv)
{
    struct berth_error *err = NULL;
    if (argc != 2 || argv[1][0] == '-')
        return rt_usage("resume ID");
    if (berth_container_resume(arg_root, argv[1], &err) < 0)
        return rt_fail(err);
    return 0;
}
