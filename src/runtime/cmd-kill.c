#include "runtime.h"
#include "container.h"
#include "signals.h"

#include <getopt.h>
#include <stddef.h>
#include <signal.h>

int cmd_kill(int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
    struct berth_error *err = NULL;
    bool all = false;
    int c, sig = SIGTERM;
    while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
        if (c != 'a')
            return rt_bad_option(argv, "kill [--all] ID [SIGNAL]");
        all = true;
    }
    if (optind != argc - 1 && optind != argc - 2)
        return rt_usage("kill [--all] ID [SIGNAL]");
    if (optind == argc - 2 && (sig = berth_signal_parse(argv[argc - 1])) < 0)
        return rt_error("invalid signal '%s'", argv[argc - 1]);
    if (berth_container_kill(arg_root, argv[optind], sig, all, &err) < 0)
        return rt_fail(err);
    return 0;
}
