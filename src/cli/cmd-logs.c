/* berth logs [-f] [-t] [--tail N] [--since T] [--until T] CONTAINER
 * T: RFC 3339 ("2026-12-02T01:02:03Z", a fraction and an offset allowed,
 * or a date alone), unix seconds ("1764637323.5"), or a duration before
 * now ("10m", "1h30m", "45s"), as docker's. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "1h30m", "10m", "45s", "500ms": seconds, or -1 */
static double duration(const char *s)
{
    double total = 0;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            return -1;
        if (strncmp(end, "ms", 2) == 0)
            total += v / 1000, end += 2;
        else if (*end == 'h')
            total += v * 3600, end++;
        else if (*end == 'm')
            total += v * 60, end++;
        else if (*end == 's')
            total += v, end++;
        else
            return -1;
        s = end;
    }
    return total;
}

char *cli_timestamp(const char *t)
{
    struct tm tm = {0};
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (*t && strspn(t, "0123456789.") == strlen(t))
        return xstrdup(t);
    double d = isdigit((unsigned char)t[0]) ? duration(t) : -1;
    if (d >= 0)
        return xasprintf("%.9f", (double)now.tv_sec + now.tv_nsec / 1e9 - d);
    const char *rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
    long ns = 0, off = 0;
    if (rest == NULL && (rest = strptime(t, "%Y-%m-%d", &tm)) != NULL && *rest)
        return NULL;
    if (rest == NULL)
        return NULL;
    if (*rest == '.') {
        char frac[10] = "000000000";
        size_t k = strspn(rest + 1, "0123456789");
        memcpy(frac, rest + 1, k < 9 ? k : 9);
        ns = strtol(frac, NULL, 10);
        rest += 1 + k;
    }
    int hh, mm;
    if (*rest == '+' || *rest == '-') {
        if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2 || strlen(rest) != 6)
            return NULL;
        off = (*rest == '+' ? 1 : -1) * (hh * 3600L + mm * 60L);
    } else if (*rest && !streq(rest, "Z")) {
        return NULL;
    }
    return xasprintf("%lld.%09ld", (long long)(timegm(&tm) - off), ns);
}

int cmd_logs(int argc, char **argv)
{
    static const struct option opts[] = {
        {"follow", no_argument, NULL, 'f'},      {"timestamps", no_argument, NULL, 't'},
        {"tail", required_argument, NULL, 'n'},  {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'}, {NULL, 0, NULL, 0}};
    bool follow = false, ts = false;
    const char *tail = "all";
    _cleanup_free_ char *since = xstrdup(""), *until = xstrdup("");
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ftn:", opts, NULL)) != -1) {
        if (c == 'f')
            follow = true;
        else if (c == 't')
            ts = true;
        else if (c == 'n')
            tail = optarg;
        else if ((c == 'S' || c == 'U') && cli_timestamp(optarg) == NULL)
            return cli_error(1,
                             "invalid value '%s' for --%s: RFC 3339, unix seconds or a "
                             "duration (10m) expected",
                             optarg, c == 'S' ? "since" : "until");
        else if (c == 'S')
            free(since), since = cli_timestamp(optarg);
        else if (c == 'U')
            free(until), until = cli_timestamp(optarg);
        else
            return cli_error(1,
                             "unknown flag '%s' for logs; usage: berth logs [-f] [-t] "
                             "[--tail N] [--since T] [--until T] CONTAINER",
                             argv[optind - 1]);
    }
    if (optind + 1 != argc)
        return cli_error(1, "logs needs one container; usage: berth logs [-f] [-t] [--tail N] "
                            "CONTAINER");
    _cleanup_free_ char *id = cli_escape(argv[optind]);
    _cleanup_free_ char *qt = cli_escape(tail);
    _cleanup_free_ char *path =
        xasprintf("/containers/%s/logs?stdout=1&stderr=1&follow=%d&timestamps=%d&tail=%s&since=%s"
                  "&until=%s",
                  id, follow, ts, qt, since, until);
    struct reply r;
    if (cli_stream("GET", path, &r) < 0)
        return 1;
    int rc = r.status == 200 ? 0 : cli_api_error(&r, 1);
    reply_free(&r);
    return rc;
}
