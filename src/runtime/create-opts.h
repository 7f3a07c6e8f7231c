#pragma once
/* Options shared by `create` and `run`. */
#include <stdbool.h>

struct create_args {
    const char *bundle;
    const char *pid_file;
    const char *id;
    const char *console_socket;
    int preserve_fds;
    bool detach;
    bool no_new_keyring;
    bool no_pivot;
};

/* Parses [--bundle|-b DIR] [--pid-file F] [--console-socket PATH]
 * [--preserve-fds N] [--no-new-keyring] [--no-pivot] [--detach|-d, run only] ID.
 * Returns 0 or the exit status of a usage error. */
int parse_create_args(int argc, char **argv, bool allow_detach, struct create_args *ret);

struct berth_create_opts;
/* The lib's options for these arguments (without wait_start or a console). */
void create_opts_from_args(const struct create_args *a, struct berth_create_opts *o);
