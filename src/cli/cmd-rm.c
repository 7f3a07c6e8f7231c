/* berth rm [-f] [-v] CONTAINER... (-v: its anonymous volumes too) */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>

int cmd_rm(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"volumes", no_argument, NULL, 'v'}, {NULL, 0, NULL, 0}};
    bool force = false, vols = false;
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "fv", opts, NULL)) != -1) {
        if (c == 'f')
            force = true;
        else if (c == 'v')
            vols = true;
        else
            return cli_error(1, "unknown flag '%s' for rm; usage: berth rm [-f] CONTAINER...",
                             argv[optind - 1]);
    }
    if (optind >= argc)
        return cli_error(1, "rm needs a container; usage: berth rm [-f] CONTAINER...");
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *id = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/containers/%s?force=%d&v=%d", id, force, vols);
        struct reply r;
        if (cli_call("DELETE", path, NULL, &r) < 0)
            return 1;
        if (r.status == 204)
            printf("%s\n", argv[i]);
        else
            rc = cli_api_error(&r, 1);
        reply_free(&r);
    }
    return rc;
}
