#include "runtime.h"
#include "cleanup.h"
#include "error.h"
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int cmd_state(int argc, char **argv)
{
    struct berth_error *err = NULL;
    struct berth_state *s = NULL;
    if (argc != 2 || argv[1][0] == '-')
        return rt_usage("state ID");
    _cleanup_close_ int fd = berth_state_open(arg_root, argv[1], &err);
    if (fd < 0 || berth_state_read(fd, &s, &err) < 0)
        return rt_fail(err);
    _cleanup_free_ char *text = berth_state_oci_json(s, berth_state_status(fd, s));
    berth_state_free(s);
    puts(text);
    return 0;
}
