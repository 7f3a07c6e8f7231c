/* The create body's network fields (issue 15): their syntax, and whether
 * they go with the network mode. Only the body is read, never berthd's
 * state (whether a network exists is netctr.c's question at create and
 * start), so the api-body fuzz target reaches all of it. Values end up in
 * /etc/hosts, resolv.conf and nftables rules: anything outside the
 * documented syntax is refused here, naming the field and the value. */
#include "netopts.h"
#include "body.h"
#include "cleanup.h"
#include "error.h"
#include "ports.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum net_kind { NET_BRIDGE, NET_USER, NET_HOST, NET_NONE, NET_CONTAINER };

/* Docker's names of a network or container: [a-zA-Z0-9][a-zA-Z0-9_.-]*;
 * also what a hosts file and an nftables comment take safely. */
static bool name_ok(const char *s, size_t max)
{
    if (!isalnum((unsigned char)s[0]) || strlen(s) > max)
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            return false;
    return true;
}

/* family AF_INET, AF_INET6 or 0 for either */
static bool ip_ok(const char *s, int family)
{
    unsigned char buf[16];
    if (family != AF_INET6 && inet_pton(AF_INET, s, buf) == 1)
        return true;
    return family != AF_INET && inet_pton(AF_INET6, s, buf) == 1;
}

/* A PortBindings or ExposedPorts key: "PORT" or "PORT/PROTO", PORT 1 to
 * 65535 (no range: the docker CLI sends one key per port), PROTO tcp
 * (the default) or udp. *ret_proto a static string. */
static int port_key(const char *key, const char *field, unsigned *ret_port, const char **ret_proto,
                    struct berth_error **err)
{
    const char *slash = strchr(key, '/');
    const char *proto = slash ? slash + 1 : "tcp";
    size_t n = slash ? (size_t)(slash - key) : strlen(key);
    if (!berth_port_num(key, n, ret_port) || *ret_port == 0)
        return berth_error_set(err, EINVAL, "invalid port '%s' in %s (PORT[/tcp|udp] expected)",
                               key, field);
    if (streq(proto, "sctp"))
        return berth_error_set(err, EINVAL,
                               "protocol 'sctp' of port '%s' in %s is not supported by berth "
                               "(tcp or udp)",
                               key, field);
    if (!streq(proto, "tcp") && !streq(proto, "udp"))
        return berth_error_set(err, EINVAL, "invalid protocol '%s' of port '%s' in %s (tcp or udp)",
                               proto, key, field);
    *ret_proto = streq(proto, "tcp") ? "tcp" : "udp";
    return 0;
}

static int bad_type(const char *field, struct berth_error **err)
{
    return berth_error_set(err, EINVAL, "invalid type for field '%s'", field);
}

/* v: absent, null or an array of strings */
static bool strv_ok(json_t *v)
{
    size_t i;
    json_t *e;
    if (v == NULL || json_is_null(v))
        return true;
    json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
    return json_is_array(v);
}

/* v: absent, null or a string; *ret "" for the first two */
static bool str_ok(json_t *v, const char **ret)
{
    *ret = json_is_string(v) ? json_string_value(v) : "";
    return v == NULL || json_is_null(v) || json_is_string(v);
}

/* {"HostIp": ""|ADDR, "HostPort": ""|"N"|"N-M"} of port `key` */
static int check_binding(json_t *b, const char *key, struct berth_error **err)
{
    const char *k, *ip, *hp;
    json_t *v;
    unsigned lo, hi;
    if (b == NULL || json_is_null(b))
        return 0;
    if (!json_is_object(b))
        return bad_type("HostConfig.PortBindings", err);
    json_object_foreach(b, k, v)
    {
        if (!streq(k, "HostIp") && !streq(k, "HostPort") && !body_unset(v))
            return berth_error_set(err, EINVAL,
                                   "HostConfig.PortBindings of port '%s': %s is not supported by "
                                   "berth",
                                   key, k);
    }
    if (!str_ok(json_object_get(b, "HostIp"), &ip) || !str_ok(json_object_get(b, "HostPort"), &hp))
        return bad_type("HostConfig.PortBindings", err);
    if (*ip && !ip_ok(ip, 0))
        return berth_error_set(err, EINVAL, "invalid HostIp '%s' for port '%s' (an IP address)", ip,
                               key);
    if (*hp && (!berth_port_range(hp, &lo, &hi) || (lo == 0 && hi != 0)))
        return berth_error_set(err, EINVAL,
                               "invalid HostPort '%s' for port '%s' (\"\", N or N-M up to 65535)",
                               hp, key);
    return 0;
}

/* HostConfig.PortBindings {"80/tcp": [binding...]}; *ret_n the bindings */
static int check_bindings(json_t *pb, size_t *ret_n, struct berth_error **err)
{
    const char *key, *proto;
    json_t *list, *b;
    unsigned port;
    size_t i;
    *ret_n = 0;
    if (pb == NULL || json_is_null(pb))
        return 0;
    if (!json_is_object(pb))
        return bad_type("HostConfig.PortBindings", err);
    json_object_foreach(pb, key, list)
    {
        if (port_key(key, "HostConfig.PortBindings", &port, &proto, err) < 0)
            return -EINVAL;
        if (list != NULL && !json_is_null(list) && !json_is_array(list))
            return bad_type("HostConfig.PortBindings", err);
        json_array_foreach(list, i, b)
        {
            if (check_binding(b, key, err) < 0)
                return -EINVAL;
            (*ret_n)++;
        }
    }
    return 0;
}

/* Config.ExposedPorts {"80/tcp": {}}; *ret_n the ports */
static int check_exposed(json_t *ep, size_t *ret_n, struct berth_error **err)
{
    const char *key, *proto;
    json_t *v;
    unsigned port;
    *ret_n = 0;
    if (ep == NULL || json_is_null(ep))
        return 0;
    if (!json_is_object(ep))
        return bad_type("ExposedPorts", err);
    json_object_foreach(ep, key, v)
    {
        if (port_key(key, "ExposedPorts", &port, &proto, err) < 0)
            return -EINVAL;
        if (!body_unset(v))
            return berth_error_set(err, EINVAL, "invalid ExposedPorts '%s': {} expected", key);
        (*ret_n)++;
    }
    return 0;
}

/* Docker's validateDomain: labels of letters, digits and inner '-',
 * joined by '.', an optional final '.', some letter, under 255; "." alone
 * is the root. */
static bool domain_ok(const char *s)
{
    bool letter = false;
    size_t n = strlen(s);
    if (streq(s, "."))
        return true;
    if (n == 0 || n >= 255)
        return false;
    if (s[n - 1] == '.')
        n--;
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

/* A resolv.conf option: "ndots:2", "edns0", "single-request-reopen" */
static bool option_ok(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-:", s[i]))
            return false;
    return n > 0 && n < 256;
}

/* Dns, DnsSearch, DnsOptions: the lines of the container's resolv.conf */
static int check_dns(json_t *host, size_t *ret_n, struct berth_error **err)
{
    static const char *const keys[] = {"Dns", "DnsSearch", "DnsOptions"};
    size_t i;
    json_t *e;
    *ret_n = 0;
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        json_t *v = json_object_get(host, keys[k]);
        if (!strv_ok(v))
            return berth_error_set(err, EINVAL, "invalid type for field 'HostConfig.%s'", keys[k]);
        json_array_foreach(v, i, e)
        {
            const char *s = json_string_value(e);
            bool ok = k == 0 ? ip_ok(s, 0) : k == 1 ? domain_ok(s) : option_ok(s);
            if (!ok)
                return berth_error_set(err, EINVAL, "invalid HostConfig.%s '%s' (%s)", keys[k], s,
                                       k == 0   ? "an IP address expected"
                                       : k == 1 ? "a domain name expected"
                                                : "an option such as ndots:2 expected");
            (*ret_n)++;
        }
    }
    return 0;
}

/* ExtraHosts ["NAME:IP"], IP an address or Docker's "host-gateway" */
static int check_extra_hosts(json_t *host, size_t *ret_n, struct berth_error **err)
{
    json_t *v = json_object_get(host, "ExtraHosts"), *e;
    size_t i;
    *ret_n = json_array_size(v);
    if (!strv_ok(v))
        return bad_type("HostConfig.ExtraHosts", err);
    json_array_foreach(v, i, e)
    {
        const char *s = json_string_value(e), *colon = strchr(s, ':');
        char name[256] = "";
        if (colon && colon - s < (ptrdiff_t)sizeof(name))
            memcpy(name, s, (size_t)(colon - s));
        if (!name_ok(name, 255) || (!streq(colon + 1, "host-gateway") && !ip_ok(colon + 1, 0)))
            return berth_error_set(err, EINVAL,
                                   "invalid HostConfig.ExtraHosts '%s' (HOST:IP or "
                                   "HOST:host-gateway expected)",
                                   s);
    }
    return 0;
}

/* "02:42:ac:11:00:02": six bytes, unicast, not all zero */
static bool mac_ok(const char *s)
{
    unsigned char b[6];
    if (strlen(s) != 17)
        return false;
    for (int i = 0; i < 6; i++) {
        const char *p = s + 3 * i;
        if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
            (i < 5 && p[2] != ':'))
            return false;
        b[i] = (unsigned char)strtoul((char[3]){p[0], p[1], '\0'}, NULL, 16);
    }
    return !(b[0] & 1) && (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) != 0;
}

/* What the checks of the mode's fit need to know of the body. */
struct netsum {
    const char *mode; /* HostConfig.NetworkMode, "default" when unset */
    enum net_kind kind;
    const char *ip4, *ip6, *ep_mac, *mac; /* "" when unset */
    size_t aliases, bindings, exposed, dns, extra_hosts;
    bool publish_all, hostname;
};

static int check_mode(json_t *host, struct netsum *s, struct berth_error **err)
{
    const char *m;
    if (!str_ok(json_object_get(host, "NetworkMode"), &m))
        return bad_type("HostConfig.NetworkMode", err);
    s->mode = *m ? m : "default";
    if (*m == '\0' || streq(m, "default") || streq(m, "bridge"))
        s->kind = NET_BRIDGE;
    else if (streq(m, "host"))
        s->kind = NET_HOST;
    else if (streq(m, "none"))
        s->kind = NET_NONE;
    else if (strncmp(m, "container:", 10) == 0 && name_ok(m + 10, 128))
        s->kind = NET_CONTAINER;
    else if (strncmp(m, "container:", 10) == 0)
        return berth_error_set(err, EINVAL,
                               "invalid network mode '%s' (container:NAME or container:ID)", m);
    else if (name_ok(m, 128))
        s->kind = NET_USER;
    else
        return berth_error_set(err, EINVAL, "invalid network name '%s' in HostConfig.NetworkMode",
                               m);
    return 0;
}

/* IPAMConfig {"IPv4Address", "IPv6Address"} of the endpoint on `net` */
static int check_ipam(json_t *ipam, const char *net, struct netsum *s, struct berth_error **err)
{
    const char *k;
    json_t *v;
    if (ipam == NULL || json_is_null(ipam))
        return 0;
    if (!json_is_object(ipam))
        return bad_type("NetworkingConfig.EndpointsConfig.IPAMConfig", err);
    json_object_foreach(ipam, k, v)
    {
        if (!streq(k, "IPv4Address") && !streq(k, "IPv6Address") && !body_unset(v))
            return berth_error_set(err, EINVAL,
                                   "NetworkingConfig.EndpointsConfig.%s.IPAMConfig.%s is not "
                                   "supported by berth yet",
                                   net, k);
    }
    if (!str_ok(json_object_get(ipam, "IPv4Address"), &s->ip4) ||
        !str_ok(json_object_get(ipam, "IPv6Address"), &s->ip6))
        return bad_type("NetworkingConfig.EndpointsConfig.IPAMConfig", err);
    if (*s->ip4 && !ip_ok(s->ip4, AF_INET))
        return berth_error_set(err, EINVAL, "invalid IPv4 address: %s", s->ip4);
    if (*s->ip6 && !ip_ok(s->ip6, AF_INET6))
        return berth_error_set(err, EINVAL, "invalid IPv6 address: %s", s->ip6);
    return 0;
}

/* One endpoint: IPAMConfig, Aliases and MacAddress are honoured; the rest
 * of Docker's EndpointSettings (Links, DriverOpts, the output fields the
 * docker CLI sends empty) must be unset. */
static int check_endpoint(json_t *e, const char *net, struct netsum *s, struct berth_error **err)
{
    const char *k;
    json_t *v, *a;
    size_t i;
    if (!json_is_object(e))
        return bad_type("NetworkingConfig.EndpointsConfig", err);
    json_object_foreach(e, k, v)
    {
        if (!streq(k, "IPAMConfig") && !streq(k, "Aliases") && !streq(k, "MacAddress") &&
            !body_unset(v))
            return berth_error_set(err, EINVAL,
                                   "NetworkingConfig.EndpointsConfig.%s.%s is not supported by "
                                   "berth yet",
                                   net, k);
    }
    if (!strv_ok(json_object_get(e, "Aliases")) ||
        !str_ok(json_object_get(e, "MacAddress"), &s->ep_mac))
        return bad_type("NetworkingConfig.EndpointsConfig", err);
    json_array_foreach(json_object_get(e, "Aliases"), i, a)
    {
        if (!name_ok(json_string_value(a), 255))
            return berth_error_set(err, EINVAL,
                                   "invalid network alias '%s' (letters, digits, '_', '.', '-')",
                                   json_string_value(a));
        s->aliases++;
    }
    if (*s->ep_mac && !mac_ok(s->ep_mac))
        return berth_error_set(err, EINVAL,
                               "invalid MAC address '%s' in NetworkingConfig.EndpointsConfig.%s "
                               "(a unicast address such as 02:42:ac:11:00:02)",
                               s->ep_mac, net);
    return check_ipam(json_object_get(e, "IPAMConfig"), net, s, err);
}

/* NetworkingConfig.EndpointsConfig: one endpoint at most, on the mode's
 * network (the docker CLI names the default one "default"). */
static int check_endpoints(json_t *body, struct netsum *s, struct berth_error **err)
{
    json_t *nc = json_object_get(body, "NetworkingConfig"), *eps, *e;
    const char *k, *chosen = NULL;
    if (body_unset(nc))
        return 0;
    if (!json_is_object(nc))
        return bad_type("NetworkingConfig", err);
    json_object_foreach(nc, k, e)
    {
        if (!streq(k, "EndpointsConfig") && !body_unset(e))
            return berth_error_set(err, EINVAL, "NetworkingConfig.%s is not supported by berth yet",
                                   k);
    }
    eps = json_object_get(nc, "EndpointsConfig");
    if (eps && !json_is_null(eps) && !json_is_object(eps))
        return bad_type("NetworkingConfig.EndpointsConfig", err);
    json_object_foreach(eps, k, e)
    {
        if (body_unset(e))
            continue;
        if (chosen)
            return berth_error_set(err, EINVAL,
                                   "a container joins one network at create, not '%s' and '%s' "
                                   "(NetworkingConfig.EndpointsConfig)",
                                   chosen, k);
        chosen = k;
        if (!streq(k, s->mode) &&
            !(s->kind == NET_BRIDGE && (streq(k, "default") || streq(k, "bridge"))))
            return berth_error_set(err, EINVAL,
                                   "NetworkingConfig.EndpointsConfig names network '%s', not the "
                                   "container's network '%s' (HostConfig.NetworkMode)",
                                   k, s->mode);
        if (check_endpoint(e, k, s, err) < 0)
            return -EINVAL;
    }
    return 0;
}

/* Config.Hostname and Domainname (the container's uname and hosts file:
 * 64 bytes at most, as the kernel's), Config.MacAddress */
static int check_names(json_t *body, struct netsum *s, struct berth_error **err)
{
    static const char *const keys[] = {"Hostname", "Domainname"};
    const char *v;
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        if (!str_ok(json_object_get(body, keys[i]), &v))
            return bad_type(keys[i], err);
        if (*v && !name_ok(v, 64))
            return berth_error_set(err, EINVAL,
                                   "invalid %s '%s' (letters, digits, '_', '.', '-', at most 64)",
                                   keys[i], v);
        s->hostname |= *v != '\0';
    }
    if (!str_ok(json_object_get(body, "MacAddress"), &s->mac))
        return bad_type("MacAddress", err);
    if (*s->mac && !mac_ok(s->mac))
        return berth_error_set(err, EINVAL,
                               "invalid MacAddress '%s' (a unicast address such as "
                               "02:42:ac:11:00:02)",
                               s->mac);
    return 0;
}

/* Whether the fields go with the mode: Docker's conflicts, and what berth
 * cannot do with a mode (publish ports of the host's own or of no
 * network, give the host's interface a MAC address). */
static int check_fits(const struct netsum *s, struct berth_error **err)
{
    bool own = s->kind == NET_HOST || s->kind == NET_NONE || s->kind == NET_CONTAINER;
    const char *what = NULL;
    if ((*s->ip4 || *s->ip6) && s->kind != NET_USER)
        return berth_error_set(err, EINVAL,
                               "user specified IP address is supported on user defined networks "
                               "only (network mode '%s')",
                               s->mode);
    if (s->aliases && s->kind != NET_USER)
        return berth_error_set(err, EINVAL,
                               "network-scoped alias is supported only for containers in user "
                               "defined networks (network mode '%s')",
                               s->mode);
    if (*s->mac && *s->ep_mac && strcasecmp(s->mac, s->ep_mac) != 0)
        return berth_error_set(err, EINVAL,
                               "the container-wide MAC address must match the endpoint-specific "
                               "MAC address for the main network, or be left empty");
    if (own && (*s->mac || *s->ep_mac))
        what = "mac-address";
    else if (own && s->bindings)
        what = "port publishing (HostConfig.PortBindings)";
    else if (own && s->publish_all)
        what = "port publishing (HostConfig.PublishAllPorts)";
    else if ((s->kind == NET_HOST || s->kind == NET_CONTAINER) && s->dns)
        what = "dns";
    else if (s->kind == NET_CONTAINER && s->exposed)
        what = "port exposing";
    else if (s->kind == NET_CONTAINER && s->extra_hosts)
        what = "custom host-to-IP mapping";
    else if (s->kind == NET_CONTAINER && s->hostname)
        what = "hostname";
    if (what)
        return berth_error_set(err, EINVAL, "conflicting options: %s and the network mode '%s'",
                               what, s->mode);
    return 0;
}

int netopts_check(json_t *body, struct berth_error **err)
{
    json_t *host = json_object_get(body, "HostConfig");
    json_t *pa = json_object_get(host, "PublishAllPorts");
    struct netsum s = {.mode = "default", .ip4 = "", .ip6 = "", .ep_mac = "", .mac = ""};
    if (pa && !json_is_null(pa) && !json_is_boolean(pa))
        return bad_type("HostConfig.PublishAllPorts", err);
    s.publish_all = json_is_true(pa);
    if (check_mode(host, &s, err) < 0 ||
        check_bindings(json_object_get(host, "PortBindings"), &s.bindings, err) < 0 ||
        check_exposed(json_object_get(body, "ExposedPorts"), &s.exposed, err) < 0 ||
        check_dns(host, &s.dns, err) < 0 || check_extra_hosts(host, &s.extra_hosts, err) < 0 ||
        check_names(body, &s, err) < 0 || check_endpoints(body, &s, err) < 0)
        return -EINVAL;
    return check_fits(&s, err);
}

struct pub {
    unsigned ctr, min, max;
    const char *proto, *ip;
};

static int pub_cmp(const void *a, const void *b)
{
    const struct pub *x = a, *y = b;
    if (x->ctr != y->ctr)
        return x->ctr < y->ctr ? -1 : 1;
    int c = strcmp(x->proto, y->proto);
    return c ? c : strcmp(x->ip, y->ip);
}

struct pubs {
    struct pub *v;
    size_t n, cap;
    bool bound[65536 * 2]; /* [port * 2 + udp]: has an entry already */
};

static void pub_add(struct pubs *p, unsigned ctr, unsigned min, unsigned max, const char *proto,
                    const char *ip)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
    }
    p->v[p->n++] = (struct pub){ctr, min, max, proto, ip};
    p->bound[ctr * 2 + streq(proto, "udp")] = true;
}

/* PortBindings' entries; a key without bindings publishes its port on
 * any free host port with PublishAllPorts, as Docker's -P */
static void pub_bindings(json_t *pb, bool publish_all, struct pubs *p)
{
    const char *key, *proto, *ip, *hp;
    json_t *list, *b;
    size_t i;
    unsigned port, lo, hi;
    json_object_foreach(pb, key, list)
    {
        if (port_key(key, "", &port, &proto, NULL) < 0)
            continue; /* netopts_check refused it; an image's is ignored */
        if (json_array_size(list) == 0 && publish_all)
            pub_add(p, port, 0, 0, proto, "");
        json_array_foreach(list, i, b)
        {
            if (!str_ok(json_object_get(b, "HostIp"), &ip) ||
                !str_ok(json_object_get(b, "HostPort"), &hp))
                continue;
            if (*hp == '\0')
                lo = hi = 0;
            else if (!berth_port_range(hp, &lo, &hi))
                continue;
            pub_add(p, port, lo, hi, proto, ip);
        }
    }
}

json_t *netopts_ports(json_t *host_config, json_t *config)
{
    _cleanup_free_ struct pubs *p = xzalloc(sizeof(*p));
    const char *key, *proto;
    json_t *e, *out = json_array();
    unsigned port;
    bool all = json_is_true(json_object_get(host_config, "PublishAllPorts"));
    pub_bindings(json_object_get(host_config, "PortBindings"), all, p);
    json_object_foreach(all ? json_object_get(config, "ExposedPorts") : NULL, key, e)
    {
        if (port_key(key, "", &port, &proto, NULL) == 0 &&
            !p->bound[port * 2 + streq(proto, "udp")])
            pub_add(p, port, 0, 0, proto, "");
    }
    if (p->n)
        qsort(p->v, p->n, sizeof(*p->v), pub_cmp);
    for (size_t i = 0; i < p->n; i++)
        json_array_append_new(
            out, json_pack("{s:s,s:s,s:I,s:I,s:I}", "Proto", p->v[i].proto, "HostIp", p->v[i].ip,
                           "HostPortMin", (json_int_t)p->v[i].min, "HostPortMax",
                           (json_int_t)p->v[i].max, "CtrPort", (json_int_t)p->v[i].ctr));
    free(p->v);
    return out;
}
