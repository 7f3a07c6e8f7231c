#pragma once
/* Options shared by `create` and `run`. */
#include <stdbool.h>

struct create_args {
    const char *bundle;
    const char *pid_file;
    const char *id;
    bool detach;
};

/* Parses [--bundle|-b DIR] [--pid-file F] [--detach|-d, run only] ID.
 * Returns 0 or the exit status of a usage error. */
int parse_create_args(int argc, char **argv, bool allow_detach, struct create_args *ret);
