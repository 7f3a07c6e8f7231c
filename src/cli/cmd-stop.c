/* berth stop [-t SECONDS] CONTAINER... */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>

int cmd_stop(int argc, char **argv)
{
    static const struct option opts[] = {{"time", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    long long t = -2;
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
        if (c == 't' && parse_i64(optarg, &t) == 0 && t >= -1)
            continue;
        if (c == 't')
            return cli_error(1, "invalid value '%s' for -t: seconds expected", optarg);
        return cli_error(1,
                         "unknown flag '%s' for stop; usage: berth stop [-t SECONDS] "
                         "CONTAINER...",
                         argv[optind - 1]);
    }
    if (optind >= argc)
        return cli_error(1, "stop needs a container; usage: berth stop [-t SECONDS] "
                            "CONTAINER...");
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *id = cli_escape(argv[i]);
        _cleanup_free_ char *path = t >= -1 ? xasprintf("/containers/%s/stop?t=%lld", id, t)
                                            : xasprintf("/containers/%s/stop", id);
        struct reply r;
        if (cli_call("POST", path, NULL, &r) < 0)
            return 1;
        if (r.status == 204 || r.status == 304)
            printf("%s\n", argv[i]);
        else
            rc = cli_api_error(&r, 1);
        reply_free(&r);
    }
    return rc;
}
