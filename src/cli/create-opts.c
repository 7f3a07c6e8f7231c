/* run's and create's flags (issue 13) into a Docker create body: one table
 * row per flag, naming the body field it sets and how its value is read.
 * A bad value exits 125 with one line before anything is created. */
#include "cli.h"
#include "cleanup.h"
#include "ports.h"
#include "signals.h"
#include "units.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct copt;
typedef int (*copt_fn)(json_t *body, const struct copt *o, const char *arg);

struct copt {
    const char *name;
    int has_arg;
    char short_name; /* 0: long only */
    copt_fn apply;
    const char *field; /* "Field" or "HostConfig.Field" */
};

#define USAGE                                                                                      \
    "usage: berth %s [OPTIONS] IMAGE [COMMAND [ARG...]] (or --rootfs DIR [COMMAND...]); "          \
    "options: --name -d --rm --restart -e --env-file -w -u --hostname --entrypoint -v --mount "    \
    "--tmpfs --shm-size "                                                                          \
    "--read-only --memory --memory-reservation --memory-swap --cpus --cpu-shares "                 \
    "--cpu-period "                                                                                \
    "--cpu-quota --cpuset-cpus "                                                                   \
    "--cpuset-mems --pids-limit --blkio-weight --device-read-bps --device-write-bps "              \
    "--device-read-iops --device-write-iops --stop-signal --stop-timeout --init --network "        \
    "--rootfs --label --log-opt -i -t --detach-keys --runtime --cap-add --cap-drop "               \
    "--security-opt --device --ulimit --sysctl --privileged --pull --health-cmd "                  \
    "--health-interval "                                                                           \
    "--health-timeout --health-retries --health-start-period --health-start-interval "             \
    "--no-healthcheck --health-on-failure -p -P --expose --ip --ip6 --network-alias "              \
    "--mac-address --dns --dns-search --dns-option --add-host --domainname --gpus --placement "    \
    "--pid --ipc --uts --cgroupns --group-add --oom-score-adj --device-cgroup-rule"

/* The object and key a field path names ("HostConfig.Memory"). */
static json_t *target(json_t *body, const char *field, const char **ret_key)
{
    const char *dot = strchr(field, '.');
    if (dot == NULL) {
        *ret_key = field;
        return body;
    }
    *ret_key = dot + 1;
    return json_object_get(body, "HostConfig");
}

static void set(json_t *body, const char *field, json_t *v)
{
    const char *k = NULL;
    json_t *obj = target(body, field, &k);
    json_object_set_new(obj, k, v);
}

static json_t *get_or(json_t *body, const char *field, json_t *(*make)(void))
{
    const char *k;
    json_t *obj = target(body, field, &k), *v = json_object_get(obj, k);
    if (v == NULL)
        json_object_set_new(obj, k, v = make());
    return v;
}

static int bad(const struct copt *o, const char *arg, const char *what)
{
    return cli_error(-1, "invalid value '%s' for --%s: %s", arg, o->name, what);
}

static int opt_true(json_t *body, const struct copt *o, const char *arg)
{
    set(body, o->field, json_true());
    return 0;
}

static int opt_str(json_t *body, const struct copt *o, const char *arg)
{
    set(body, o->field, json_string(arg));
    return 0;
}

/* --pull missing|always|never: the CLI's own (cli_create takes it out of
 * the body before it is sent) */
static int opt_pull(json_t *body, const struct copt *o, const char *arg)
{
    if (!streq(arg, "missing") && !streq(arg, "always") && !streq(arg, "never"))
        return cli_error(-1,
                         "invalid pull option: '%s': must be one of \"always\", "
                         "\"missing\" or \"never\"",
                         arg);
    return opt_str(body, o, arg);
}

static int opt_append(json_t *body, const struct copt *o, const char *arg)
{
    json_array_append_new(get_or(body, o->field, json_array), json_string(arg));
    return 0;
}

/* -e KEY=VALUE; a bare KEY takes the caller's value, or is left out */
static int opt_env(json_t *body, const struct copt *o, const char *arg)
{
    if (strchr(arg, '=') || getenv(arg) == NULL)
        return strchr(arg, '=') ? opt_append(body, o, arg) : 0;
    _cleanup_free_ char *kv = xasprintf("%s=%s", arg, getenv(arg));
    return opt_append(body, o, kv);
}

static int opt_size(json_t *body, const struct copt *o, const char *arg)
{
    int64_t v;
    bool swap = streq(o->name, "memory-swap");
    if (berth_parse_size(arg, &v) < 0 || (v < 0 && !(swap && v == -1)))
        return bad(o, arg,
                   swap ? "a size (512m, 1g) or -1 expected" : "a size (512m, 1g) expected");
    set(body, o->field, json_integer(v));
    return 0;
}

static int opt_int(json_t *body, const struct copt *o, const char *arg)
{
    long long v;
    bool signed_ok = streq(o->name, "pids-limit") || streq(o->name, "stop-timeout") ||
                     streq(o->name, "cpu-quota");
    bool any = streq(o->name, "oom-score-adj"); /* berthd checks its range */
    if (parse_i64(arg, &v) < 0 || (v < 0 && !any && !(signed_ok && v == -1)))
        return bad(o, arg, any ? "an integer expected" : "a non-negative integer expected");
    set(body, o->field, json_integer(v));
    return 0;
}

static int opt_cpus(json_t *body, const struct copt *o, const char *arg)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || errno || !(v > 0) || v > 1e9)
        return bad(o, arg, "a positive number of CPUs expected");
    set(body, o->field, json_integer((json_int_t)(v * 1e9 + 0.5)));
    return 0;
}

/* --device-read-bps DEVICE:RATE (a size, 1mb), --device-read-iops
 * DEVICE:N: {"Path","Rate"} into HostConfig.BlkioDevice...; the daemon
 * checks that DEVICE is a block device. */
static int opt_throttle(json_t *body, const struct copt *o, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    bool iops = strstr(o->name, "iops") != NULL;
    int64_t rate = -1;
    long long n = -1;
    if (colon == NULL || colon == arg || arg[0] != '/')
        return bad(o, arg, "DEVICE:RATE with an absolute device path expected");
    if (iops && (parse_i64(colon + 1, &n) < 0 || n < 0))
        return bad(o, arg, "DEVICE:N with N a non-negative integer expected");
    if (!iops && (berth_parse_size(colon + 1, &rate) < 0 || rate < 0))
        return bad(o, arg, "DEVICE:RATE with RATE a size (1mb, 512k) expected");
    if (iops)
        rate = n;
    json_array_append_new(
        get_or(body, o->field, json_array),
        json_pack("{s:s%,s:I}", "Path", arg, (size_t)(colon - arg), "Rate", (json_int_t)rate));
    return 0;
}

static int opt_signal(json_t *body, const struct copt *o, const char *arg)
{
    if (berth_signal_parse(arg) < 0)
        return bad(o, arg, "a signal name or number expected");
    return opt_str(body, o, arg);
}

/* KEY=VALUE into an object (--label, --log-opt); a bare KEY is an
 * empty label, and an error for --log-opt. */
static int opt_keyval(json_t *body, const struct copt *o, const char *arg)
{
    bool logopt = streq(o->name, "log-opt");
    json_t *obj = get_or(body, o->field, json_object);
    _cleanup_free_ char *k = xstrdup(arg);
    char *eq = strchr(k, '=');
    if (logopt && json_object_get(obj, "Config") == NULL) {
        json_object_set_new(obj, "Type", json_string("json-file"));
        json_object_set_new(obj, "Config", json_object());
    }
    if (eq == NULL && logopt)
        return cli_error(-1, "invalid log-opt '%s': KEY=VALUE expected", arg);
    if (eq)
        *eq++ = '\0';
    json_object_set_new(logopt ? json_object_get(obj, "Config") : obj, k,
                        json_string(eq ? eq : ""));
    return 0;
}

static int opt_entrypoint(json_t *body, const struct copt *o, const char *arg)
{
    set(body, o->field, json_pack("[s]", arg));
    return 0;
}

/* docker's --env-file: KEY=VALUE lines; a bare KEY takes the caller's. */
static int opt_env_file(json_t *body, const struct copt *o, const char *arg)
{
    FILE *f = fopen(arg, "re");
    char line[8192];
    if (f == NULL)
        return cli_error(-1, "cannot open env file '%s': %s", arg, strerror(errno));
    json_t *env = get_or(body, o->field, json_array);
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *l = line + strspn(line, " \t");
        if (*l == '\0' || *l == '#')
            continue;
        if (strchr(l, '=')) {
            json_array_append_new(env, json_string(l));
        } else if (getenv(l)) {
            _cleanup_free_ char *kv = xasprintf("%s=%s", l, getenv(l));
            json_array_append_new(env, json_string(kv));
        }
    }
    fclose(f);
    return 0;
}

/* -v /ctr: an anonymous volume (Config.Volumes); -v SRC:DST[:OPTS] a bind
 * or a named volume (HostConfig.Binds), as the docker CLI sends them. */
static int opt_volume(json_t *body, const struct copt *o, const char *arg)
{
    if (strchr(arg, ':') == NULL) {
        if (arg[0] != '/')
            return bad(o, arg, "an absolute path or SRC:DST[:OPTS] expected");
        json_object_set_new(get_or(body, "Volumes", json_object), arg, json_object());
        return 0;
    }
    return opt_append(body, o, arg);
}

static int mount_key(json_t *m, const char *k, const char *v)
{
    int64_t size;
    if (streq(k, "type"))
        json_object_set_new(m, "Type", json_string(v));
    else if (streq(k, "src") || streq(k, "source"))
        json_object_set_new(m, "Source", json_string(v));
    else if (streq(k, "dst") || streq(k, "destination") || streq(k, "target"))
        json_object_set_new(m, "Target", json_string(v));
    else if (streq(k, "readonly") || streq(k, "ro"))
        json_object_set_new(m, "ReadOnly", json_boolean(!v || streq(v, "1") || streq(v, "true")));
    else if (streq(k, "volume-nocopy"))
        json_object_set_new(m, "VolumeOptions",
                            json_pack("{s:b}", "NoCopy", !v || streq(v, "1") || streq(v, "true")));
    else if (streq(k, "tmpfs-size") && v && berth_parse_size(v, &size) == 0 && size > 0)
        json_object_set_new(m, "TmpfsOptions", json_pack("{s:I}", "SizeBytes", (json_int_t)size));
    else
        return -1;
    return 0;
}

/* --mount type=bind|volume|tmpfs,src=,dst=,readonly,tmpfs-size= */
static int opt_mount(json_t *body, const struct copt *o, const char *arg)
{
    json_t *m = json_object();
    _cleanup_free_ char *copy = xstrdup(arg);
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq)
            *eq++ = '\0';
        if (mount_key(m, kv, eq) < 0) {
            json_decref(m);
            return cli_error(-1, "invalid --mount '%s': unknown or bad field '%s'", arg, kv);
        }
    }
    if (json_object_get(m, "Type") == NULL)
        json_object_set_new(m, "Type", json_string("volume"));
    if (json_object_get(m, "Target") == NULL) {
        json_decref(m);
        return cli_error(-1, "invalid --mount '%s': target is required", arg);
    }
    json_array_append_new(get_or(body, o->field, json_array), m);
    return 0;
}

/* --tmpfs /path[:opts] */
static int opt_tmpfs(json_t *body, const struct copt *o, const char *arg)
{
    _cleanup_free_ char *dst = xstrdup(arg);
    char *colon = strchr(dst, ':');
    if (colon)
        *colon++ = '\0';
    if (dst[0] != '/')
        return bad(o, arg, "an absolute path expected");
    json_object_set_new(get_or(body, o->field, json_object), dst, json_string(colon ? colon : ""));
    return 0;
}

/* -i: what the docker CLI sends for it */
static int opt_interactive(json_t *body, const struct copt *o, const char *arg)
{
    json_object_set_new(body, "OpenStdin", json_true());
    json_object_set_new(body, "AttachStdin", json_true());
    json_object_set_new(body, "StdinOnce", json_true());
    return 0;
}

static int opt_rootfs(json_t *body, const struct copt *o, const char *arg)
{
    char buf[PATH_MAX];
    if (realpath(arg, buf) == NULL)
        return cli_error(-1, "invalid value '%s' for --rootfs: %s", arg, strerror(errno));
    set(body, o->field, json_string(buf));
    return 0;
}

static int opt_security(json_t *body, const struct copt *o, const char *arg)
{
    return cli_security_flag(json_object_get(body, "HostConfig"), o->name, arg);
}

json_t *cli_restart_policy(const char *arg)
{
    _cleanup_free_ char *name = xstrdup(arg);
    char *colon = strchr(name, ':');
    long long max = 0;
    if (colon)
        *colon++ = '\0';
    if (!streq(name, "no") && !streq(name, "always") && !streq(name, "unless-stopped") &&
        !streq(name, "on-failure"))
        return cli_error(-1,
                         "invalid value '%s' for --restart: no, always, unless-stopped or "
                         "on-failure[:MAX-RETRIES] expected",
                         arg),
               NULL;
    if (colon && (!streq(name, "on-failure") || parse_i64(colon, &max) < 0 || max < 0))
        return cli_error(-1, "invalid value '%s' for --restart: %s", arg,
                         streq(name, "on-failure")
                             ? "the maximum retry count must be a non-negative integer"
                             : "only on-failure takes a maximum retry count"),
               NULL;
    return json_pack("{s:s,s:I}", "Name", name, "MaximumRetryCount", max);
}

static int opt_restart(json_t *body, const struct copt *o, const char *arg)
{
    json_t *p = cli_restart_policy(arg);
    if (p == NULL)
        return -1;
    set(body, o->field, p);
    return 0;
}

/* --health-*, --no-healthcheck into Config.Healthcheck (docker's; and
 * podman's --health-on-failure as berth's OnFailure); `field` is
 * "Healthcheck.KEY". --no-healthcheck conflicts with the others, in
 * either order. */
static int opt_health(json_t *body, const struct copt *o, const char *arg)
{
    json_t *hc = json_object_get(body, "Healthcheck");
    const char *key = o->field + strlen("Healthcheck.");
    const char *kind = json_string_value(json_array_get(json_object_get(hc, "Test"), 0));
    uint64_t ns;
    long long n;
    if ((streq(o->name, "no-healthcheck") && hc) || (kind && streq(kind, "NONE")))
        return cli_error(-1, "--no-healthcheck conflicts with --health-* options");
    if (hc == NULL)
        json_object_set_new(body, "Healthcheck", hc = json_object());
    if (streq(o->name, "no-healthcheck"))
        json_object_set_new(hc, key, json_pack("[s]", "NONE"));
    else if (streq(o->name, "health-cmd"))
        json_object_set_new(hc, key, json_pack("[s,s]", "CMD-SHELL", arg));
    else if (streq(o->name, "health-retries") && (parse_i64(arg, &n) < 0 || n < 0 || n > INT_MAX))
        return bad(o, arg, "a non-negative integer expected");
    else if (streq(o->name, "health-retries"))
        json_object_set_new(hc, key, json_integer(n));
    else if (streq(o->name, "health-on-failure") && !streq(arg, "none") && !streq(arg, "kill") &&
             !streq(arg, "restart"))
        return bad(o, arg, "none, kill or restart expected");
    else if (streq(o->name, "health-on-failure"))
        json_object_set_new(hc, key, json_string(arg));
    else if (berth_parse_duration(arg, &ns) < 0 || ns > INT64_MAX)
        return bad(o, arg, "a duration (1s, 500ms, 1m30s) expected");
    else
        json_object_set_new(hc, key, json_integer((json_int_t)ns));
    return 0;
}

static bool ip_ok(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The container ports lo..hi of `proto` bound to IP:HOSTP (docker: a host
 * range for one container port is the range to pick a free port from) */
static void publish_ports(json_t *body, unsigned lo, unsigned hi, const char *proto, const char *ip,
                          const char *hostp)
{
    json_t *exposed = get_or(body, "ExposedPorts", json_object);
    json_t *pb = get_or(body, "HostConfig.PortBindings", json_object);
    unsigned hs = 0, he = 0;
    if (*hostp)
        berth_port_range(hostp, &hs, &he);
    for (unsigned p = lo; p <= hi; p++) {
        char key[32], hp[32] = "";
        snprintf(key, sizeof(key), "%u/%s", p, proto);
        /* one container port and a host range: any free port of it */
        if (*hostp && lo == hi && hs != he)
            snprintf(hp, sizeof(hp), "%u-%u", hs, he);
        else if (*hostp)
            snprintf(hp, sizeof(hp), "%u", hs + (p - lo));
        json_object_set_new(exposed, key, json_object());
        json_t *list = json_object_get(pb, key);
        if (list == NULL)
            json_object_set_new(pb, key, list = json_array());
        json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", ip, "HostPort", hp));
    }
}

/* -p [IP:][HOST[-HOST2]:]CTR[-CTR2][/PROTO] as the docker CLI reads it
 * (nat.ParsePortSpec, and its messages): one key per container port. */
static int publish_spec(json_t *body, const char *raw)
{
    _cleanup_free_ char *s = xstrdup(raw);
    char *ip = s + strlen(s), *hostp = ip, *ctr = s, *colon = strrchr(s, ':'), *proto;
    char tcp[] = "tcp";
    unsigned cs, ce, hs, he;
    if (colon) {
        *colon = '\0';
        ctr = colon + 1;
        hostp = s;
        if ((colon = strrchr(s, ':')) != NULL) {
            *colon = '\0';
            hostp = colon + 1;
            ip = s;
        }
    }
    if ((proto = strchr(ctr, '/')) != NULL)
        *proto++ = '\0';
    if (proto == NULL || *proto == '\0')
        proto = tcp;
    for (char *p = proto; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (*ctr == '\0')
        return cli_error(-1, "no port specified: %s<empty>", raw);
    if (!streq(proto, "tcp") && !streq(proto, "udp") && !streq(proto, "sctp"))
        return cli_error(-1, "invalid proto: %s", proto);
    if (*ip == '[' && (strlen(ip) < 2 || ip[strlen(ip) - 1] != ']'))
        return cli_error(-1, "invalid IP address %s: missing ']' in address", ip);
    if (*ip == '[') {
        ip[strlen(ip) - 1] = '\0';
        ip++;
    }
    if (*ip && !ip_ok(ip))
        return cli_error(-1, "invalid IP address: %s", ip);
    if (!berth_port_range(ctr, &cs, &ce))
        return cli_error(-1, "invalid containerPort: %s", ctr);
    if (*hostp && !berth_port_range(hostp, &hs, &he))
        return cli_error(-1, "invalid hostPort: %s", hostp);
    if (*hostp && ce - cs != he - hs && ce != cs)
        return cli_error(-1, "invalid ranges specified for container and host Ports: %s and %s",
                         ctr, hostp);
    publish_ports(body, cs, ce, proto, ip, hostp);
    return 0;
}

/* -p, also in docker's long syntax target=80,published=8080,protocol=udp */
static int opt_publish(json_t *body, const struct copt *o, const char *arg)
{
    const char *target = "", *published = "", *protocol = "tcp";
    if (strchr(arg, '=') == NULL)
        return publish_spec(body, arg);
    _cleanup_free_ char *copy = xstrdup(arg);
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq == NULL)
            return cli_error(-1, "invalid publish opts format (should be name=value but got '%s')",
                             kv);
        *eq++ = '\0';
        if (streq(kv, "target"))
            target = eq;
        else if (streq(kv, "published"))
            published = eq;
        else if (streq(kv, "protocol"))
            protocol = eq;
    }
    _cleanup_free_ char *spec = xasprintf("%s:%s/%s", published, target, protocol);
    return publish_spec(body, spec);
}

/* --expose PORT[-PORT2][/PROTO] into Config.ExposedPorts */
static int opt_expose(json_t *body, const struct copt *o, const char *arg)
{
    _cleanup_free_ char *port = xstrdup(arg);
    char *slash = strchr(port, '/');
    unsigned lo, hi;
    if (strchr(arg, ':'))
        return cli_error(-1, "invalid port format for --expose: %s", arg);
    if (slash)
        *slash++ = '\0';
    if (!berth_port_range(port, &lo, &hi))
        return cli_error(-1, "invalid range format for --expose: %s", arg);
    json_t *exposed = get_or(body, "ExposedPorts", json_object);
    for (unsigned p = lo; p <= hi; p++) {
        _cleanup_free_ char *key = xasprintf("%u/%s", p, slash && *slash ? slash : "tcp");
        json_object_set_new(exposed, key, json_object());
    }
    return 0;
}

/* The endpoint settings of --ip, --ip6, --network-alias, --mac-address:
 * staged under the key "" until network_finish knows the network. */
static json_t *staged_endpoint(json_t *body)
{
    json_t *nc = get_or(body, "NetworkingConfig", json_object);
    json_t *eps = json_object_get(nc, "EndpointsConfig"), *ep;
    if (eps == NULL)
        json_object_set_new(nc, "EndpointsConfig", eps = json_object());
    if ((ep = json_object_get(eps, "")) == NULL)
        json_object_set_new(eps, "", ep = json_object());
    return ep;
}

/* --ip, --ip6 (IPAMConfig.FIELD), --network-alias (Aliases); berthd
 * checks the addresses, as dockerd does */
static int opt_endpoint(json_t *body, const struct copt *o, const char *arg)
{
    json_t *ep = staged_endpoint(body), *v;
    if (streq(o->field, "Aliases")) {
        if ((v = json_object_get(ep, "Aliases")) == NULL)
            json_object_set_new(ep, "Aliases", v = json_array());
        json_array_append_new(v, json_string(arg));
        return 0;
    }
    if ((v = json_object_get(ep, "IPAMConfig")) == NULL)
        json_object_set_new(ep, "IPAMConfig", v = json_object());
    json_object_set_new(v, o->field, json_string(arg));
    return 0;
}

/* --mac-address: six bytes with ':' or '-', sent as 02:42:ac:11:00:02 in
 * Config.MacAddress and the endpoint's MacAddress (API 1.44's place) */
static int opt_mac(json_t *body, const struct copt *o, const char *arg)
{
    char mac[18];
    bool ok = strlen(arg) == 17;
    for (size_t i = 0; ok && i < 17; i++) {
        ok = i % 3 == 2 ? arg[i] == arg[2] && (arg[i] == ':' || arg[i] == '-')
                        : isxdigit((unsigned char)arg[i]);
        mac[i] = i % 3 == 2 ? ':' : (char)tolower((unsigned char)arg[i]);
    }
    if (!ok)
        return cli_error(-1, "%s is not a valid mac address", arg);
    mac[17] = '\0';
    set(body, o->field, json_string(mac));
    json_object_set_new(staged_endpoint(body), "MacAddress", json_string(mac));
    return 0;
}

/* docker's validateDomain: labels of letters, digits and inner '-'
 * joined by '.', an optional final '.', some letter, under 255; "." */
static bool domain_ok(const char *s)
{
    bool letter = false;
    size_t n = strlen(s);
    if (streq(s, "."))
        return true;
    if (n == 0 || n >= 255)
        return false;
    n -= s[n - 1] == '.';
    for (size_t i = 0, start = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                return false;
            letter |= isalpha((unsigned char)s[i]) != 0;
            continue;
        }
        if (i == start || s[start] == '-' || s[i - 1] == '-')
            return false;
        start = i + 1;
    }
    return letter;
}

/* --dns IP, --dns-search DOMAIN (docker's flag errors) */
static int opt_dns(json_t *body, const struct copt *o, const char *arg)
{
    if (streq(o->name, "dns") && !ip_ok(arg))
        return cli_error(-1,
                         "invalid argument \"%s\" for \"--dns\" flag: IP address is not correctly "
                         "formatted: %s",
                         arg, arg);
    if (streq(o->name, "dns-search") && !domain_ok(arg))
        return cli_error(-1,
                         "invalid argument \"%s\" for \"--dns-search\" flag: %s is not a valid "
                         "domain",
                         arg, arg);
    return opt_append(body, o, arg);
}

/* --add-host NAME:IP or NAME=IP, IP maybe in brackets or "host-gateway";
 * sent as NAME:IP (docker's ValidateExtraHost) */
static int opt_add_host(json_t *body, const struct copt *o, const char *arg)
{
    const char *sep = strchr(arg, '=') ? strchr(arg, '=') : strchr(arg, ':');
    if (sep == NULL || sep == arg || memchr(arg, ':', (size_t)(sep - arg)))
        return cli_error(-1,
                         "invalid argument \"%s\" for \"--add-host\" flag: bad format for "
                         "add-host: \"%s\"",
                         arg, arg);
    _cleanup_free_ char *ip = xstrdup(sep + 1);
    char *a = ip;
    size_t n = strlen(ip);
    if (n > 2 && ip[0] == '[' && ip[n - 1] == ']') {
        ip[n - 1] = '\0';
        a++;
    }
    if (!streq(a, "host-gateway") && !ip_ok(a))
        return cli_error(-1,
                         "invalid argument \"%s\" for \"--add-host\" flag: invalid IP address in "
                         "add-host: \"%s\"",
                         arg, a);
    _cleanup_free_ char *entry = xasprintf("%.*s:%s", (int)(sep - arg), arg, a);
    return opt_append(body, o, entry);
}

/* --network's name keys the endpoint, "default" without one as with
 * docker (berthd's default network, bridge); aliases need a user-defined
 * network, as the docker CLI says. */
static int network_finish(json_t *body)
{
    json_t *hc = json_object_get(body, "HostConfig");
    const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
    if (net == NULL || *net == '\0') {
        json_object_set_new(hc, "NetworkMode", json_string("default"));
        net = "default";
    }
    json_t *eps = json_object_get(json_object_get(body, "NetworkingConfig"), "EndpointsConfig");
    json_t *ep = json_object_get(eps, "");
    bool user = !streq(net, "default") && !streq(net, "bridge") && !streq(net, "host") &&
                !streq(net, "none") && strncmp(net, "container:", 10) != 0;
    if (ep == NULL)
        return 0;
    if (json_object_get(ep, "Aliases") && !user)
        return cli_error(-1, "network-scoped aliases are only supported for user-defined networks");
    json_object_set(eps, net, ep);
    json_object_del(eps, "");
    return 0;
}

/* Every flag of run and create (docker's names) and the field it sets. */
static const struct copt copts[] = {
    {"rm", no_argument, 0, opt_true, "HostConfig.AutoRemove"},
    {"restart", required_argument, 0, opt_restart, "HostConfig.RestartPolicy"},
    {"detach", no_argument, 'd', NULL, NULL},
    {"name", required_argument, 0, NULL, NULL},
    {"env", required_argument, 'e', opt_env, "Env"},
    {"env-file", required_argument, 0, opt_env_file, "Env"},
    {"workdir", required_argument, 'w', opt_str, "WorkingDir"},
    {"user", required_argument, 'u', opt_str, "User"},
    {"hostname", required_argument, 'h', opt_str, "Hostname"},
    {"entrypoint", required_argument, 0, opt_entrypoint, "Entrypoint"},
    {"volume", required_argument, 'v', opt_volume, "HostConfig.Binds"},
    {"mount", required_argument, 0, opt_mount, "HostConfig.Mounts"},
    {"tmpfs", required_argument, 0, opt_tmpfs, "HostConfig.Tmpfs"},
    {"read-only", no_argument, 0, opt_true, "HostConfig.ReadonlyRootfs"},
    {"memory", required_argument, 'm', opt_size, "HostConfig.Memory"},
    {"memory-reservation", required_argument, 0, opt_size, "HostConfig.MemoryReservation"},
    {"memory-swap", required_argument, 0, opt_size, "HostConfig.MemorySwap"},
    {"shm-size", required_argument, 0, opt_size, "HostConfig.ShmSize"},
    {"cpus", required_argument, 0, opt_cpus, "HostConfig.NanoCpus"},
    {"cpu-shares", required_argument, 'c', opt_int, "HostConfig.CpuShares"},
    {"cpu-period", required_argument, 0, opt_int, "HostConfig.CpuPeriod"},
    {"cpu-quota", required_argument, 0, opt_int, "HostConfig.CpuQuota"},
    {"cpuset-cpus", required_argument, 0, opt_str, "HostConfig.CpusetCpus"},
    {"cpuset-mems", required_argument, 0, opt_str, "HostConfig.CpusetMems"},
    {"pids-limit", required_argument, 0, opt_int, "HostConfig.PidsLimit"},
    {"blkio-weight", required_argument, 0, opt_int, "HostConfig.BlkioWeight"},
    {"device-read-bps", required_argument, 0, opt_throttle, "HostConfig.BlkioDeviceReadBps"},
    {"device-write-bps", required_argument, 0, opt_throttle, "HostConfig.BlkioDeviceWriteBps"},
    {"device-read-iops", required_argument, 0, opt_throttle, "HostConfig.BlkioDeviceReadIOps"},
    {"device-write-iops", required_argument, 0, opt_throttle, "HostConfig.BlkioDeviceWriteIOps"},
    {"stop-signal", required_argument, 0, opt_signal, "StopSignal"},
    {"stop-timeout", required_argument, 0, opt_int, "StopTimeout"},
    {"init", no_argument, 0, opt_true, "HostConfig.Init"},
    {"network", required_argument, 0, opt_str, "HostConfig.NetworkMode"},
    {"pid", required_argument, 0, opt_str, "HostConfig.PidMode"},
    {"ipc", required_argument, 0, opt_str, "HostConfig.IpcMode"},
    {"uts", required_argument, 0, opt_str, "HostConfig.UTSMode"},
    {"cgroupns", required_argument, 0, opt_str, "HostConfig.CgroupnsMode"},
    {"group-add", required_argument, 0, opt_append, "HostConfig.GroupAdd"},
    {"oom-score-adj", required_argument, 0, opt_int, "HostConfig.OomScoreAdj"},
    {"device-cgroup-rule", required_argument, 0, opt_append, "HostConfig.DeviceCgroupRules"},
    {"rootfs", required_argument, 0, opt_rootfs, "Rootfs"},
    {"label", required_argument, 'l', opt_keyval, "Labels"},
    {"log-opt", required_argument, 0, opt_keyval, "HostConfig.LogConfig"},
    {"interactive", no_argument, 'i', opt_interactive, NULL},
    {"tty", no_argument, 't', opt_true, "Tty"},
    {"detach-keys", required_argument, 0, opt_str, "DetachKeys"}, /* run: cmd_run takes it */
    {"runtime", required_argument, 0, opt_str, "HostConfig.Runtime"},
    {"cap-add", required_argument, 0, opt_security, "HostConfig.CapAdd"},
    {"cap-drop", required_argument, 0, opt_security, "HostConfig.CapDrop"},
    {"security-opt", required_argument, 0, opt_security, "HostConfig.SecurityOpt"},
    {"device", required_argument, 0, opt_security, "HostConfig.Devices"},
    {"gpus", required_argument, 0, opt_security, "HostConfig.DeviceRequests"},
    {"placement", required_argument, 0, opt_str, "HostConfig.BerthPlacement"},
    {"ulimit", required_argument, 0, opt_security, "HostConfig.Ulimits"},
    {"sysctl", required_argument, 0, opt_security, "HostConfig.Sysctls"},
    {"privileged", no_argument, 0, opt_true, "HostConfig.Privileged"},
    {"health-cmd", required_argument, 0, opt_health, "Healthcheck.Test"},
    {"health-interval", required_argument, 0, opt_health, "Healthcheck.Interval"},
    {"health-timeout", required_argument, 0, opt_health, "Healthcheck.Timeout"},
    {"health-retries", required_argument, 0, opt_health, "Healthcheck.Retries"},
    {"health-start-period", required_argument, 0, opt_health, "Healthcheck.StartPeriod"},
    {"health-start-interval", required_argument, 0, opt_health, "Healthcheck.StartInterval"},
    {"no-healthcheck", no_argument, 0, opt_health, "Healthcheck.Test"},
    {"health-on-failure", required_argument, 0, opt_health, "Healthcheck.OnFailure"},
    {"publish", required_argument, 'p', opt_publish, "HostConfig.PortBindings"},
    {"publish-all", no_argument, 'P', opt_true, "HostConfig.PublishAllPorts"},
    {"expose", required_argument, 0, opt_expose, "ExposedPorts"},
    {"ip", required_argument, 0, opt_endpoint, "IPv4Address"},
    {"ip6", required_argument, 0, opt_endpoint, "IPv6Address"},
    {"network-alias", required_argument, 0, opt_endpoint, "Aliases"},
    {"alias", required_argument, 0, opt_endpoint, "Aliases"},
    {"mac-address", required_argument, 0, opt_mac, "MacAddress"},
    {"dns", required_argument, 0, opt_dns, "HostConfig.Dns"},
    {"dns-search", required_argument, 0, opt_dns, "HostConfig.DnsSearch"},
    {"dns-option", required_argument, 0, opt_append, "HostConfig.DnsOptions"},
    {"dns-opt", required_argument, 0, opt_append, "HostConfig.DnsOptions"}, /* docker's old name */
    {"add-host", required_argument, 0, opt_add_host, "HostConfig.ExtraHosts"},
    {"domainname", required_argument, 0, opt_str, "Domainname"},
    {"pull", required_argument, 0, opt_pull, CLI_PULL_KEY},
};

/* getopt's tables from copts: a long-only flag's value is 256 + its row. */
static void getopt_tables(struct option *longs, char *shorts)
{
    size_t n = 0;
    *shorts++ = '+';
    for (size_t i = 0; i < ARRAY_SIZE(copts); i++) {
        int val = copts[i].short_name ? copts[i].short_name : 256 + (int)i;
        longs[i] = (struct option){copts[i].name, copts[i].has_arg, NULL, val};
        if (copts[i].short_name) {
            shorts[n++] = copts[i].short_name;
            if (copts[i].has_arg)
                shorts[n++] = ':';
        }
    }
    longs[ARRAY_SIZE(copts)] = (struct option){NULL, 0, NULL, 0};
    shorts[n] = '\0';
}

static const struct copt *find_copt(int val)
{
    if (val >= 256 && val < 256 + (int)ARRAY_SIZE(copts))
        return &copts[val - 256];
    for (size_t i = 0; i < ARRAY_SIZE(copts); i++)
        if (copts[i].short_name && copts[i].short_name == val)
            return &copts[i];
    return NULL;
}

/* IMAGE [COMMAND...], or only COMMAND with --rootfs. */
static int positional(json_t *body, int argc, char **argv)
{
    int i = optind;
    if (json_object_get(body, "Rootfs") == NULL) {
        if (i >= argc)
            return cli_error(-1, "%s needs an image; " USAGE, argv[0], argv[0]);
        json_object_set_new(body, "Image", json_string(argv[i++]));
    }
    if (i < argc) {
        json_t *cmd = json_array();
        for (; i < argc; i++)
            json_array_append_new(cmd, json_string(argv[i]));
        json_object_set_new(body, "Cmd", cmd);
    }
    return 0;
}

json_t *cli_create_opts(int argc, char **argv, bool *detach, char **name)
{
    struct option longs[ARRAY_SIZE(copts) + 1];
    char shorts[2 * ARRAY_SIZE(copts) + 2];
    json_t *body = json_pack("{s:[],s:{}}", "Env", "HostConfig");
    int c, r = 0;
    getopt_tables(longs, shorts);
    opterr = 0;
    optind = 1;
    while (r == 0 && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        const struct copt *o = find_copt(c);
        if (o == NULL)
            r = cli_error(-1, "unknown or incomplete flag '%s' for %s; " USAGE, argv[optind - 1],
                          argv[0], argv[0]);
        else if (o->short_name == 'd')
            *detach = true;
        else if (streq(o->name, "name"))
            *name = optarg;
        else
            r = o->apply(body, o, optarg);
    }
    if (r == 0)
        r = positional(body, argc, argv);
    if (r == 0)
        r = network_finish(body);
    json_t *hc = json_object_get(body, "HostConfig");
    const char *rp =
        json_string_value(json_object_get(json_object_get(hc, "RestartPolicy"), "Name"));
    if (r == 0 && rp && !streq(rp, "no") && json_is_true(json_object_get(hc, "AutoRemove")))
        r = cli_error(-1, "conflicting options: cannot specify both --restart and --rm");
    if (r < 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}
