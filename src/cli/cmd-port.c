/* berth port CONTAINER [PRIVATE_PORT[/PROTO]]: the published ports, as
 * docker port prints them, from inspect's NetworkSettings.Ports
 * {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "81/tcp": null}. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go's net.JoinHostPort: an IPv6 address in brackets */
static char *host_port(json_t *binding)
{
    const char *ip = json_string_value(json_object_get(binding, "HostIp"));
    const char *port = json_string_value(json_object_get(binding, "HostPort"));
    ip = ip ? ip : "";
    port = port ? port : "";
    return strchr(ip, ':') ? xasprintf("[%s]:%s", ip, port) : xasprintf("%s:%s", ip, port);
}

/* docker sorts the lines naturally (digits by value): strverscmp */
static int line_cmp(const void *a, const void *b)
{
    return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of every port, or of `key` alone (without the "KEY -> "). */
static char **port_lines(json_t *ports, const char *key, size_t *ret_n)
{
    const char *k;
    json_t *list, *b;
    size_t i, n = 0, cap = 0;
    char **lines = NULL;
    json_object_foreach(ports, k, list)
    {
        if (key && !streq(k, key))
            continue;
        json_array_foreach(list, i, b)
        {
            _cleanup_free_ char *hp = host_port(b);
            if (n + 2 > cap)
                lines = xrealloc(lines, (cap = cap * 2 + 8) * sizeof(char *));
            lines[n++] = key ? xstrdup(hp) : xasprintf("%s -> %s", k, hp);
        }
    }
    if (n)
        qsort(lines, n, sizeof(char *), line_cmp);
    *ret_n = n;
    return lines;
}

/* "80", "80/udp": the key "80/udp"; NULL after printing why */
static char *port_key(const char *arg)
{
    _cleanup_free_ char *port = xstrdup(arg);
    char *slash = strchr(port, '/');
    unsigned long long v;
    if (slash)
        *slash++ = '\0';
    if (parse_u64(port, &v) < 0 || v > 65535) {
        fprintf(stderr, "Error: invalid port (%s)\n", port);
        return NULL;
    }
    return xasprintf("%s/%s", port, slash && *slash ? slash : "tcp");
}

int cmd_port(int argc, char **argv)
{
    json_t *c = NULL;
    _cleanup_free_ char *key = NULL;
    size_t n;
    if (argc < 2 || argc > 3 || argv[1][0] == '-')
        return cli_error(1, "usage: berth port CONTAINER [PRIVATE_PORT[/PROTO]]");
    if (argc == 3 && (key = port_key(argv[2])) == NULL)
        return 1;
    if (cli_inspect(argv[1], &c) < 0)
        return 1;
    char **lines =
        port_lines(json_object_get(json_object_get(c, "NetworkSettings"), "Ports"), key, &n);
    json_decref(c);
    if (key && n == 0) {
        /* docker's words, the argument as given */
        fprintf(stderr, "Error: No public port '%s' published for %s\n", argv[2], argv[1]);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return 0;
}
