/* A container's networking (issue 15; daemon.h "netctr.c"): its network
 * namespace, veth, address, routes and published ports, made before the
 * shim starts it and undone after its last exit.
 *
 * The namespace is a file EXEC/netns/ns-RANDOM bound to a namespace
 * (netpool.c: one made ahead for the default network, or one made now), as
 * Docker's and Podman's sandboxes: the runtime joins it by path, a restart
 * by the shim joins it again (same address, same ports), and it outlives a
 * berthd restart. EXEC/netns/ID.json records what was made and is written
 * before the kernel is changed, so a crash at any point leaves a record
 * that netctr_teardown follows (every undo step ignores what is already
 * gone). */
#include "daemon.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "netctr.h"
#include "netlink.h"
#include "netopts.h"
#include "networks.h"
#include "nft.h"
#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static json_t *held;     /* "PROTO/HOSTIP/PORT" -> the container publishing it */
static json_t *starting; /* ids between netctr_setup and netctr_started */
static struct berth_nft *nft;

char *netctr_path(const char *id, const char *suffix)
{
    return xasprintf("%s/netns/%s%s", engine.exec_root, id, suffix);
}

json_t *netctr_record(const char *id)
{
    _cleanup_free_ char *dir = xasprintf("%s/netns", engine.exec_root);
    _cleanup_free_ char *name = xasprintf("%s.json", id);
    return json_read_file(dir, name, NULL);
}

static int record_write(const char *id, json_t *rt, struct berth_error **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/netns", engine.exec_root);
    _cleanup_free_ char *name = xasprintf("%s.json", id);
    _cleanup_free_ char *text = json_dumps(rt, JSON_COMPACT);
    _cleanup_close_ int dfd = -1;
    if (mkdir_p(dir, 0700, err) < 0)
        return -EIO;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berth_error_set(err, errno, "cannot open %s", dir);
    return write_file_atomic_at(dfd, name, text, strlen(text), err);
}

/* The host end of c's veth on its idx-th network: "vb", 10 hex digits of
 * its id and the index, so that a leftover of a crash is known as berth's
 * without its record. */
#define NETCTR_MAX_LINKS 10
static void veth_name(const char *id, unsigned idx, char buf[16])
{
    snprintf(buf, 16, "vb%.10s%u", id, idx % NETCTR_MAX_LINKS);
}

/* ---- published ports ---- */

static char *port_key(const char *proto, const char *ip, unsigned port)
{
    return xasprintf("%s/%s/%u", proto, ip ? ip : "", port);
}

json_t *netctr_records(void)
{
    json_t *all = json_object();
    _cleanup_free_ char *dir = xasprintf("%s/netns", engine.exec_root);
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n != 69 || !streq(de->d_name + 64, ".json"))
            continue;
        char id[65];
        snprintf(id, sizeof(id), "%.64s", de->d_name);
        json_t *rt = netctr_record(id);
        if (rt)
            json_object_set_new(all, id, rt);
    }
    return all;
}

/* The publications of every container with a record, once. */
static void held_load(void)
{
    if (held)
        return;
    held = json_object();
    json_t *all = netctr_records(), *rt, *p;
    const char *id;
    json_object_foreach(all, id, rt)
    {
        size_t i;
        json_array_foreach(json_object_get(rt, "Ports"), i, p)
        {
            _cleanup_free_ char *k =
                port_key(json_string_value(json_object_get(p, "Proto")),
                         json_string_value(json_object_get(p, "HostIp")),
                         (unsigned)json_integer_value(json_object_get(p, "HostPort")));
            json_object_set_new(held, k, json_string(id));
        }
    }
    json_decref(all);
}

/* The container holding proto/ip/port, or one of the host's addresses
 * that overlaps it (any address against a given one), or NULL. */
static const char *port_holder(const char *proto, const char *ip, unsigned port)
{
    const char *k;
    json_t *v;
    size_t plen = strlen(proto);
    json_object_foreach(held, k, v)
    {
        const char *hip = k + plen + 1, *end = strrchr(k, '/');
        if (strncmp(k, proto, plen) != 0 || k[plen] != '/' || end == NULL || end < hip ||
            (unsigned)atoi(end + 1) != port)
            continue;
        size_t hlen = (size_t)(end - hip);
        if (!*ip || hlen == 0 || (strlen(ip) == hlen && strncmp(ip, hip, hlen) == 0))
            return json_string_value(v);
    }
    return NULL;
}

/* Whether no process of berthd's namespace has proto/ip/port bound
 * (Docker refuses to publish a port a host process listens on). */
static bool port_bindable(const char *proto, const char *ip, unsigned port)
{
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    bool v6 = *ip && strchr(ip, ':');
    if (v6 && inet_pton(AF_INET6, ip, &a6.sin6_addr) != 1)
        return false;
    if (*ip && !v6 && inet_pton(AF_INET, ip, &a4.sin_addr) != 1)
        return false;
    int fd = socket(v6 ? AF_INET6 : AF_INET,
                    (streq(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true; /* no such family here: nothing can hold it */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int r = v6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6))
               : bind(fd, (struct sockaddr *)&a4, sizeof(a4));
    close(fd);
    return r == 0 || errno != EADDRINUSE;
}

static void teardown_locked(const char *id);

/* Forgets every publication of id (also those of a plan that failed
 * midway and were never recorded). */
static void held_drop(const char *id)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(held, tmp, k, v)
    {
        if (streq(json_string_value(v), id))
            json_object_del(held, k);
    }
}

/* Whether proto/ip/port is free for `id`; a holder that no longer runs
 * (its exit not yet seen) is undone first. */
static bool port_free(const char *id, const char *proto, const char *ip, unsigned port)
{
    for (int tries = 0; tries < 8; tries++) {
        const char *h = port_holder(proto, ip, port);
        if (h == NULL)
            return port_bindable(proto, ip, port);
        if (streq(h, id))
            return false;
        char hid[65];
        snprintf(hid, sizeof(hid), "%s", h);
        struct ctr *c = NULL;
        bool live = ctr_find(hid, &c, NULL) == 0 && c->status == CTR_RUNNING;
        ctr_free(c);
        if (live || json_object_get(starting, hid))
            return false;
        teardown_locked(hid);
    }
    return false;
}

static void ephemeral_range(unsigned *lo, unsigned *hi)
{
    _cleanup_free_ char *text = NULL;
    *lo = 32768, *hi = 60999;
    if (read_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_local_port_range", &text, NULL, NULL) == 0)
        sscanf(text, "%u %u", lo, hi);
}

/* Chooses the host port of each publication: the given one, a free one of
 * the given range, or any free one. EADDRINUSE as Docker's message. */
static int plan_ports(struct ctr *c, const char *ctr_ip, const char *bridge, json_t **ret,
                      struct berth_error **err)
{
    json_t *list =
        netopts_ports(json_object_get(c->rec, "HostConfig"), json_object_get(c->rec, "Config"));
    json_t *out = json_array(), *p;
    size_t i;
    json_array_foreach(list, i, p)
    {
        const char *proto = json_string_value(json_object_get(p, "Proto"));
        const char *ip = json_string_value(json_object_get(p, "HostIp"));
        unsigned lo = (unsigned)json_integer_value(json_object_get(p, "HostPortMin"));
        unsigned hi = (unsigned)json_integer_value(json_object_get(p, "HostPortMax"));
        unsigned chosen = 0;
        ip = ip ? ip : "";
        if (lo == 0)
            ephemeral_range(&lo, &hi);
        for (unsigned port = lo; port <= hi && chosen == 0; port++)
            if (port_free(c->id, proto, ip, port))
                chosen = port;
        if (chosen == 0) {
            /* ip and proto live in list: the message first */
            if (lo == hi)
                berth_error_set(err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
                                *ip ? ip : "0.0.0.0", lo);
            else
                berth_error_set(err, EADDRINUSE,
                                "no free host port in %u-%u for %s %s: all are allocated", lo, hi,
                                *ip ? ip : "0.0.0.0", proto);
            json_decref(list);
            json_decref(out);
            return -EADDRINUSE;
        }
        json_array_append_new(out, json_pack("{s:s,s:s,s:i,s:O,s:s,s:s}", "Proto", proto, "HostIp",
                                             ip, "HostPort", (int)chosen, "CtrPort",
                                             json_object_get(p, "CtrPort"), "CtrIp", ctr_ip,
                                             "Bridge", bridge));
        _cleanup_free_ char *k = port_key(proto, ip, chosen);
        json_object_set_new(held, k, json_string(c->id));
    }
    json_decref(list);
    *ret = out;
    return 0;
}

static struct berth_nft *nft_get(struct berth_error **err)
{
    if (nft == NULL)
        nft = berth_nft_open(NULL, err);
    return nft;
}

static void port_of(json_t *p, struct berth_nft_port *np)
{
    np->proto = json_string_value(json_object_get(p, "Proto"));
    np->host_ip = json_string_value(json_object_get(p, "HostIp"));
    np->host_port = (unsigned)json_integer_value(json_object_get(p, "HostPort"));
    np->ctr_ip = json_string_value(json_object_get(p, "CtrIp"));
    np->ctr_port = (unsigned)json_integer_value(json_object_get(p, "CtrPort"));
    np->bridge = json_string_value(json_object_get(p, "Bridge"));
}

static int publish(json_t *ports, struct berth_error **err)
{
    json_t *p;
    size_t i;
    json_array_foreach(ports, i, p)
    {
        struct berth_nft_port np;
        port_of(p, &np);
        struct berth_nft *n = nft_get(err);
        if (n == NULL || berth_nft_dnat_add(n, &np, err) < 0)
            return berth_error_wrap(err, "cannot publish port %u/%s", np.ctr_port, np.proto);
    }
    return 0;
}

static void unpublish(json_t *ports)
{
    json_t *p;
    size_t i;
    json_array_foreach(ports, i, p)
    {
        struct berth_nft_port np;
        struct berth_error *e = NULL;
        port_of(p, &np);
        if (nft_get(&e) && berth_nft_dnat_del(nft, &np, &e) < 0 && e)
            berth_error_clear(&e);
        berth_error_clear(&e);
        _cleanup_free_ char *k = port_key(np.proto, np.host_ip, np.host_port);
        json_object_del(held, k);
    }
}

/* ---- links ---- */

/* In the container's namespace: lo, then IF's address(es), up, and with
 * `gw` the default routes through the network's gateway. */
static int links_ns(int nsfd, const char *ifname, json_t *ep, unsigned mtu, bool gw,
                    struct berth_error **err)
{
    struct berth_netlink *nl = berth_netlink_open(nsfd, err);
    if (nl == NULL)
        return -EIO;
    const char *ip = json_string_value(json_object_get(ep, "IPAddress"));
    const char *ip6 = json_string_value(json_object_get(ep, "GlobalIPv6Address"));
    const char *gw4 = json_string_value(json_object_get(ep, "Gateway"));
    const char *gw6 = json_string_value(json_object_get(ep, "IPv6Gateway"));
    const char *mac = json_string_value(json_object_get(ep, "MacAddress"));
    _cleanup_free_ char *cidr =
        xasprintf("%s/%d", ip, (int)json_integer_value(json_object_get(ep, "IPPrefixLen")));
    _cleanup_free_ char *cidr6 =
        xasprintf("%s/%d", ip6 ? ip6 : "",
                  (int)json_integer_value(json_object_get(ep, "GlobalIPv6PrefixLen")));
    int r = berth_netlink_link_set_up(nl, "lo", true, err);
    if (r == 0 && mac && *mac)
        r = berth_netlink_link_set_mac(nl, ifname, mac, err);
    if (r == 0 && mtu)
        r = berth_netlink_link_set_mtu(nl, ifname, mtu, err);
    if (r == 0)
        r = berth_netlink_addr_add(nl, ifname, cidr, err);
    if (r == 0 && ip6 && *ip6)
        r = berth_netlink_addr_add(nl, ifname, cidr6, err);
    if (r == 0)
        r = berth_netlink_link_set_up(nl, ifname, true, err);
    if (r == 0 && gw && gw4 && *gw4)
        r = berth_netlink_route_add_default(nl, gw4, err);
    if (r == 0 && gw && gw6 && *gw6)
        r = berth_netlink_route_add_default(nl, gw6, err);
    berth_netlink_close(nl);
    return r;
}

/* The veth: its host end on the bridge, its other end IF in nspath; with
 * `made`, a ready namespace of the pool has it already (netpool.c). */
static int links(const struct net_info *n, const char *veth, const char *ifname, const char *nspath,
                 json_t *ep, bool gw, bool made, struct berth_error **err)
{
    _cleanup_close_ int nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0)
        return berth_error_set(err, errno, "cannot open %s", nspath);
    if (made)
        return links_ns(nsfd, ifname, ep, 0, gw, err);
    struct berth_netlink *nl = berth_netlink_open(-1, err);
    if (nl == NULL)
        return -EIO;
    int r = berth_netlink_veth_add(nl, veth, ifname, nsfd, NULL);
    if (r == -EEXIST) /* the last run's, its namespace not yet cleaned up */
        berth_netlink_link_del(nl, veth, NULL);
    if (r < 0)
        r = berth_netlink_veth_add(nl, veth, ifname, nsfd, err);
    if (r == 0 && n->mtu)
        r = berth_netlink_link_set_mtu(nl, veth, n->mtu, err);
    if (r == 0)
        r = berth_netlink_link_set_master(nl, veth, n->bridge, err);
    if (r == 0)
        r = berth_netlink_link_set_up(nl, veth, true, err);
    berth_netlink_close(nl);
    return r < 0 ? r : links_ns(nsfd, ifname, ep, n->mtu, gw, err);
}

/* Deletes the veth of one link (Links entry); its peer goes with it. */
static void detach_links(json_t *l)
{
    const char *veth = json_string_value(json_object_get(l, "Veth"));
    struct berth_netlink *nl = veth ? berth_netlink_open(-1, NULL) : NULL;
    if (nl)
        berth_netlink_link_del(nl, veth, NULL);
    berth_netlink_close(nl);
}

/* ---- setup ---- */

static const char *ctr_mode(const struct ctr *c)
{
    const char *m =
        json_string_value(json_object_get(json_object_get(c->rec, "HostConfig"), "NetworkMode"));
    return m && *m && !streq(m, "default") ? m : "bridge";
}

/* The endpoint settings of the record for network `n` (--ip, aliases). */
static json_t *endpoint_config(struct ctr *c, const struct net_info *n)
{
    json_t *eps = json_object_get(json_object_get(c->rec, "NetworkingConfig"), "EndpointsConfig");
    json_t *ec = json_object_get(eps, n->name);
    if (ec == NULL)
        ec = json_object_get(eps, n->id);
    if (ec == NULL && json_object_size(eps) == 1 && streq(n->name, ctr_mode(c))) {
        void *it = json_object_iter(eps);
        ec = json_object_iter_value(it);
    }
    return ec;
}

static json_t *endpoint_meta(struct ctr *c, json_t *ec, bool primary)
{
    const char *mac = json_string_value(json_object_get(ec, "MacAddress"));
    if (primary && (mac == NULL || !*mac))
        mac = json_string_value(json_object_get(json_object_get(c->rec, "Config"), "MacAddress"));
    json_t *aliases = json_object_get(ec, "Aliases");
    _cleanup_free_ char *name = xasprintf("/%s", ctr_name(c));
    return json_pack("{s:s,s:o,s:s}", "Name", name, "Aliases",
                     json_is_array(aliases) ? json_incref(aliases) : json_array(), "MacAddress",
                     mac ? mac : "");
}

/* The lowest index of c's links not in use: eth<idx>, vb<id><idx>. */
static int link_index(json_t *rt, struct berth_error **err)
{
    bool used[NETCTR_MAX_LINKS] = {false};
    const char *k;
    json_t *l;
    json_object_foreach(json_object_get(rt, "Links"), k, l)
    {
        json_int_t i = json_integer_value(json_object_get(l, "Index"));
        if (i >= 0 && i < NETCTR_MAX_LINKS)
            used[i] = true;
    }
    for (int i = 0; i < NETCTR_MAX_LINKS; i++)
        if (!used[i])
            return i;
    return berth_error_set(err, ENOSPC, "a container is on %d networks at most", NETCTR_MAX_LINKS);
}

/* Puts c on network n: an address, the link eth<idx>, and for its first
 * network (idx 0) the default route and the published ports. */
static int attach(struct ctr *c, const struct net_info *n, json_t *ec, json_t *rt,
                  const char *made_veth, struct berth_error **err)
{
    int idx = link_index(rt, err);
    if (idx < 0)
        return idx;
    bool primary = idx == 0;
    json_t *ipam = json_object_get(ec, "IPAMConfig"), *ep = NULL, *ports = NULL;
    json_t *meta = endpoint_meta(c, ec, primary);
    char veth[16], ifname[16];
    if (made_veth)
        snprintf(veth, sizeof(veth), "%s", made_veth);
    else
        veth_name(c->id, (unsigned)idx, veth);
    snprintf(ifname, sizeof(ifname), "eth%d", idx);
    int r =
        net_endpoint_add(n, c->id, meta, json_string_value(json_object_get(ipam, "IPv4Address")),
                         json_string_value(json_object_get(ipam, "IPv6Address")), &ep, err);
    json_decref(meta);
    if (r < 0)
        return r;
    json_object_set_new(json_object_get(rt, "Networks"), n->name, ep);
    json_object_set_new(json_object_get(rt, "Links"), n->name,
                        json_pack("{s:i,s:s,s:s,s:s}", "Index", idx, "If", ifname, "Veth", veth,
                                  "NetworkID", n->id));
    if (primary) {
        r = plan_ports(c, json_string_value(json_object_get(ep, "IPAddress")), n->bridge, &ports,
                       err);
        if (r < 0)
            return r;
        json_object_set_new(rt, "Ports", ports);
    }
    /* the record first: whatever is made next, a teardown finds */
    const char *path = json_string_value(json_object_get(rt, "Netns"));
    if ((r = record_write(c->id, rt, err)) < 0 ||
        (r = links(n, veth, ifname, path, ep, primary, made_veth != NULL, err)) < 0 ||
        (primary && (r = publish(ports, err)) < 0))
        return r;
    return 0;
}

/* The networks besides the first: the record's other EndpointsConfig
 * entries (docker network connect to a stopped container, or an API
 * client that named several). */
static int attach_more(struct ctr *c, const struct net_info *first, json_t *rt,
                       struct berth_error **err)
{
    json_t *eps = json_object_get(json_object_get(c->rec, "NetworkingConfig"), "EndpointsConfig");
    const char *k;
    json_t *ec;
    json_object_foreach(eps, k, ec)
    {
        struct net_info n;
        if (streq(k, "default") || net_lookup(k, &n, NULL) < 0 || streq(n.id, first->id) ||
            !streq(n.driver, "bridge"))
            continue;
        if (attach(c, &n, ec, rt, NULL, err) < 0)
            return -EIO;
    }
    return 0;
}

static int setup_network(struct ctr *c, const struct net_info *n, json_t *rt,
                         struct berth_error **err)
{
    char *path = NULL, veth[16];
    bool made = n->is_default && netpool_take(n->bridge, n->mtu, &path, veth);
    int r = made ? 0 : netns_new(&path, err);
    if (r < 0)
        return r;
    json_object_set_new(rt, "Netns", json_string(path));
    json_object_set_new(rt, "Links", json_object());
    free(path);
    if (r == 0)
        r = attach(c, n, endpoint_config(c, n), rt, made ? veth : NULL, err);
    if (r == 0)
        r = attach_more(c, n, rt, err);
    return r;
}

/* --network container:REF: its namespace, and its names and servers. */
static int setup_joined(struct ctr *c, const char *ref, json_t *rt, char **ret_netns,
                        struct berth_error **err)
{
    struct ctr *o = NULL;
    if (ctr_find(ref, &o, err) < 0)
        return -ENOENT;
    int r = 0;
    if (o->status != CTR_RUNNING || o->restarting) {
        r = berth_error_set(err, EINVAL,
                            "cannot join network namespace of a non running container: %s",
                            ctr_name(o));
    } else {
        json_t *ort = netctr_record(o->id);
        const char *path = json_string_value(json_object_get(ort, "Netns"));
        if (path)
            *ret_netns = xstrdup(path);
        else /* its runtime made its namespace (--network none) */
            *ret_netns = xasprintf("/proc/%d/ns/net",
                                   (int)json_integer_value(json_object_get(o->state, "Pid")));
        json_decref(ort);
        json_object_set_new(rt, "Joined", json_string(o->id));
        r = netfiles_copy(c, o, err);
    }
    ctr_free(o);
    return r;
}

int netctr_check_mode(const char *mode, struct berth_error **err)
{
    if (streq(mode, "none") || streq(mode, "host"))
        return 0;
    if (strncmp(mode, "container:", 10) == 0) {
        struct ctr *o = NULL;
        int r = ctr_find(mode + 10, &o, err);
        ctr_free(o);
        return r;
    }
    struct net_info n;
    return net_lookup(mode, &n, err);
}

static int setup_locked(struct ctr *c, json_t *rt, char **ret_netns, struct berth_error **err)
{
    const char *mode = ctr_mode(c);
    struct net_info n;
    if (strncmp(mode, "container:", 10) == 0)
        return setup_joined(c, mode + 10, rt, ret_netns, err);
    if (streq(mode, "none") || streq(mode, "host"))
        return netfiles_write(c, rt, err);
    if (net_lookup(mode, &n, err) < 0)
        return -ENOENT;
    if (streq(n.driver, "host") || streq(n.driver, "null"))
        return netfiles_write(c, rt, err);
    int r = setup_network(c, &n, rt, err);
    if (r == 0)
        r = netfiles_write(c, rt, err);
    if (r == 0) {
        *ret_netns = xstrdup(json_string_value(json_object_get(rt, "Netns")));
        netfiles_refresh_peers(c->id, rt);
    }
    return r;
}

int netctr_setup(struct ctr *c, char **ret_netns, struct berth_error **err)
{
    *ret_netns = NULL;
    pthread_mutex_lock(&lk);
    held_load();
    if (starting == NULL)
        starting = json_object();
    teardown_locked(c->id); /* what a run berthd did not see end left */
    json_t *rt = json_pack("{s:s,s:{}}", "Mode", ctr_mode(c), "Networks");
    int r = setup_locked(c, rt, ret_netns, err);
    if (r < 0) {
        teardown_locked(c->id);
        free(*ret_netns);
        *ret_netns = NULL;
    } else {
        json_object_set_new(starting, c->id, json_true());
    }
    json_decref(rt);
    pthread_mutex_unlock(&lk);
    return r;
}

void netctr_started(const char *id, bool ok)
{
    pthread_mutex_lock(&lk);
    if (starting)
        json_object_del(starting, id);
    if (!ok)
        teardown_locked(id);
    pthread_mutex_unlock(&lk);
}

/* ---- teardown ---- */

static void teardown_locked(const char *id)
{
    json_t *rt = netctr_record(id);
    _cleanup_free_ char *rec = netctr_path(id, ".json");
    held_load();
    unpublish(json_object_get(rt, "Ports"));
    held_drop(id);
    /* no link delete: the namespace goes once unmounted (its processes
     * are gone), and the kernel then removes eth0 and with it the veth's
     * host end, in its own time instead of the caller's (a veth's delete
     * waits ~20 ms for the kernel's RCU; links() removes a host end that
     * is still there at the next start) */
    netpool_release(json_string_value(json_object_get(rt, "Netns")));
    json_t *nets = net_endpoints_of(id), *v;
    size_t i;
    json_array_foreach(nets, i, v) net_endpoint_del(json_string_value(v), id);
    unlink(rec);
    if (json_object_size(json_object_get(rt, "Networks")) > 0)
        netfiles_refresh_peers(id, rt); /* its peers' hosts files lose it */
    json_decref(nets);
    json_decref(rt);
}

void netctr_teardown(const char *id)
{
    pthread_mutex_lock(&lk);
    teardown_locked(id);
    pthread_mutex_unlock(&lk);
}

void netctr_after_exit(const char *id)
{
    struct ctr *c = NULL;
    _cleanup_free_ char *rec = netctr_path(id, ".json");
    if (access(rec, F_OK) < 0)
        return;
    /* the status under the lock: a start that ran meanwhile is seen */
    pthread_mutex_lock(&lk);
    if (ctr_find(id, &c, NULL) == 0 && c->status == CTR_EXITED &&
        !(starting && json_object_get(starting, id)))
        teardown_locked(id);
    ctr_free(c);
    pthread_mutex_unlock(&lk);
}

/* ---- connect, disconnect ---- */

/* Adds network n (with endpoint settings ec) to c's record, or removes it,
 * durably. */
static int record_edit(struct ctr *c, const struct net_info *n, json_t *ec, bool add,
                       struct berth_error **err)
{
    pthread_mutex_lock(&engine.lock);
    json_t *rec = json_read_file(c->dir, "container.json", err);
    int r = rec ? 0 : -EIO;
    if (rec) {
        if (!json_is_object(json_object_get(rec, "NetworkingConfig")))
            json_object_set_new(rec, "NetworkingConfig", json_object());
        json_t *nc = json_object_get(rec, "NetworkingConfig");
        if (!json_is_object(json_object_get(nc, "EndpointsConfig")))
            json_object_set_new(nc, "EndpointsConfig", json_object());
        json_t *eps = json_object_get(nc, "EndpointsConfig");
        json_object_del(eps, n->id);
        json_object_del(eps, n->name);
        if (add)
            json_object_set_new(eps, n->name,
                                json_is_object(ec) ? json_deep_copy(ec) : json_object());
        json_t *hc = json_object_get(rec, "HostConfig");
        const char *mode = json_string_value(json_object_get(hc, "NetworkMode"));
        if (!add && mode && (streq(mode, n->name) || streq(mode, n->id))) {
            /* its first network gone: the next one, or none at all */
            void *it = json_object_iter(eps);
            json_object_set_new(hc, "NetworkMode",
                                json_string(it ? json_object_iter_key(it) : "none"));
        }
        r = durable_write_json(c->dir, "container.json", rec, err);
        json_decref(rec);
    }
    pthread_mutex_unlock(&engine.lock);
    return r;
}

static bool connected(struct ctr *c, const struct net_info *n)
{
    json_t *eps = json_object_get(json_object_get(c->rec, "NetworkingConfig"), "EndpointsConfig");
    const char *mode = ctr_mode(c);
    return streq(mode, n->name) || streq(mode, n->id) || json_object_get(eps, n->name) ||
           json_object_get(eps, n->id);
}

static int connect_check(struct ctr *c, const struct net_info *n, struct berth_error **err)
{
    const char *mode = ctr_mode(c);
    if (!streq(n->driver, "bridge"))
        return berth_error_set(err, EINVAL,
                               "container cannot be disconnected from host network or connected "
                               "to host network");
    if (streq(mode, "host") || streq(mode, "none") || strncmp(mode, "container:", 10) == 0)
        return berth_error_set(err, EINVAL,
                               "container %s uses network mode '%s': it shares a network "
                               "namespace and cannot be connected to another network",
                               ctr_name(c), mode);
    return 0;
}

int netctr_connect(struct ctr *c, const char *net, json_t *ec, struct berth_error **err)
{
    struct net_info n;
    if (net_lookup(net, &n, err) < 0)
        return -ENOENT;
    if (connect_check(c, &n, err) < 0)
        return -EINVAL;
    if (connected(c, &n))
        return berth_error_set(err, EEXIST, "endpoint with name %s already exists in network %s",
                               ctr_name(c), n.name);
    if (record_edit(c, &n, ec, true, err) < 0)
        return -EIO;
    pthread_mutex_lock(&lk);
    json_t *rt = c->status == CTR_RUNNING ? netctr_record(c->id) : NULL;
    int r = 0;
    if (rt && json_object_get(rt, "Netns")) {
        r = attach(c, &n, ec, rt, NULL, err);
        if (r < 0) {
            json_t *l = json_object_get(json_object_get(rt, "Links"), n.name);
            detach_links(l);
            net_endpoint_del(n.id, c->id);
            json_object_del(json_object_get(rt, "Networks"), n.name);
            json_object_del(json_object_get(rt, "Links"), n.name);
            record_write(c->id, rt, NULL);
        } else {
            netfiles_rewrite_hosts(c, rt);
            netfiles_refresh_peers(c->id, rt);
        }
    }
    json_decref(rt);
    pthread_mutex_unlock(&lk);
    if (r < 0)
        record_edit(c, &n, NULL, false, NULL);
    return r;
}

int netctr_disconnect(struct ctr *c, const char *net, struct berth_error **err)
{
    struct net_info n;
    if (net_lookup(net, &n, err) < 0)
        return -ENOENT;
    if (!connected(c, &n))
        return berth_error_set(err, ENOENT, "container %s is not connected to network %s",
                               ctr_name(c), n.name);
    if (record_edit(c, &n, NULL, false, err) < 0)
        return -EIO;
    pthread_mutex_lock(&lk);
    json_t *rt = c->status == CTR_RUNNING ? netctr_record(c->id) : NULL;
    json_t *l = json_object_get(json_object_get(rt, "Links"), n.name);
    if (l) {
        json_t *gone = json_pack("{s:{s:O}}", "Networks", n.name,
                                 json_object_get(json_object_get(rt, "Networks"), n.name));
        if (json_integer_value(json_object_get(l, "Index")) == 0) {
            unpublish(json_object_get(rt, "Ports"));
            json_object_set_new(rt, "Ports", json_array());
        }
        detach_links(l);
        net_endpoint_del(n.id, c->id);
        json_object_del(json_object_get(rt, "Networks"), n.name);
        json_object_del(json_object_get(rt, "Links"), n.name);
        record_write(c->id, rt, NULL);
        netfiles_rewrite_hosts(c, rt);
        netfiles_refresh_peers(c->id, gone);
        json_decref(gone);
    }
    json_decref(rt);
    pthread_mutex_unlock(&lk);
    return 0;
}

/* ---- inspect ---- */

json_t *netctr_settings(const struct ctr *c)
{
    json_t *rt = c->status == CTR_RUNNING ? netctr_record(c->id) : NULL;
    json_t *nets = json_object_get(rt, "Networks"), *ports = json_object(), *p, *ep;
    const char *k;
    size_t i;
    json_array_foreach(json_object_get(rt, "Ports"), i, p)
    {
        _cleanup_free_ char *key =
            xasprintf("%d/%s", (int)json_integer_value(json_object_get(p, "CtrPort")),
                      json_string_value(json_object_get(p, "Proto")));
        const char *hip = json_string_value(json_object_get(p, "HostIp"));
        char hp[16];
        snprintf(hp, sizeof(hp), "%d", (int)json_integer_value(json_object_get(p, "HostPort")));
        if (json_object_get(ports, key) == NULL)
            json_object_set_new(ports, key, json_array());
        json_array_append_new(
            json_object_get(ports, key),
            json_pack("{s:s,s:s}", "HostIp", hip && *hip ? hip : "0.0.0.0", "HostPort", hp));
    }
    json_t *out = json_pack("{s:s,s:o,s:s,s:s,s:i,s:s,s:s,s:i,s:s,s:s,s:{}}", "SandboxKey",
                            rt ? json_string_value(json_object_get(rt, "Netns")) ?: "" : "",
                            "Ports", ports, "IPAddress", "", "Gateway", "", "IPPrefixLen", 0,
                            "MacAddress", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
                            "IPv6Gateway", "", "Bridge", "", "Networks");
    json_object_foreach(nets, k, ep)
    {
        json_object_set(json_object_get(out, "Networks"), k, ep);
        if (!streq(k, "bridge"))
            continue;
        /* the top-level fields are the default network's, as Docker's */
        static const char *const copy[] = {"IPAddress",  "Gateway",           "IPPrefixLen",
                                           "MacAddress", "GlobalIPv6Address", "GlobalIPv6PrefixLen",
                                           "IPv6Gateway"};
        for (size_t j = 0; j < ARRAY_SIZE(copy); j++)
            if (json_object_get(ep, copy[j]))
                json_object_set(out, copy[j], json_object_get(ep, copy[j]));
    }
    json_decref(rt);
    return out;
}

static bool published(json_t *rt, unsigned port, const char *proto)
{
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(rt, "Ports"), i, p)
    {
        if (json_integer_value(json_object_get(p, "CtrPort")) == (json_int_t)port &&
            streq(json_string_value(json_object_get(p, "Proto")), proto))
            return true;
    }
    return false;
}

json_t *netctr_ports_list(const struct ctr *c)
{
    json_t *rt = c->status == CTR_RUNNING ? netctr_record(c->id) : NULL;
    json_t *out = json_array(), *p;
    size_t i;
    json_array_foreach(json_object_get(rt, "Ports"), i, p)
    {
        const char *hip = json_string_value(json_object_get(p, "HostIp"));
        json_array_append_new(
            out, json_pack("{s:s,s:O,s:O,s:O}", "IP", hip && *hip ? hip : "0.0.0.0", "PrivatePort",
                           json_object_get(p, "CtrPort"), "PublicPort",
                           json_object_get(p, "HostPort"), "Type", json_object_get(p, "Proto")));
    }
    /* exposed and not published: docker lists them without a host side */
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(json_object_get(c->rec, "Config"), "ExposedPorts"), k, v)
    {
        unsigned port = 0;
        char proto[8] = "tcp";
        if (sscanf(k, "%u/%7s", &port, proto) < 1 || published(rt, port, proto))
            continue;
        json_array_append_new(out, json_pack("{s:i,s:s}", "PrivatePort", (int)port, "Type", proto));
    }
    json_decref(rt);
    return out;
}

void netctr_renamed(const char *id, const char *name)
{
    json_t *rt = netctr_record(id);
    if (rt == NULL) /* not running: its endpoints went with its last exit */
        return;
    net_endpoint_rename(id, name);
    netfiles_refresh_peers(id, rt);
    json_decref(rt);
}
