/* Docker's bridge networks (networks.h): records, IPAM (its arithmetic is
 * netaddr.c's), and the bridges and nftables rules of libberth-net
 * (netlink.h, nft.h) in berthd's own network namespace. */
#include "networks.h"
#include "cleanup.h"
#include "daemon.h"
#include "durable.h"
#include "error.h"
#include "events.h"
#include "netaddr.h"
#include "netlink.h"
#include "store.h"
#include "nft.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_BRIDGE "berth0"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool default_bridge = true;

void networks_set_default_bridge(bool on)
{
    default_bridge = on;
}

/* --- records ------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static char *rec_dir(const char *id)
{
    return xasprintf("%s/networks/%s", engine.data_root, id);
}

static char *ep_dir(const char *net_id)
{
    return xasprintf("%s/networks/%s", engine.exec_root, net_id);
}

static void info_from_rec(json_t *rec, struct net_info *n)
{
    memset(n, 0, sizeof(*n));
    snprintf(n->id, sizeof(n->id), "%s", jstr(rec, "Id"));
    snprintf(n->name, sizeof(n->name), "%s", jstr(rec, "Name"));
    snprintf(n->driver, sizeof(n->driver), "%s", jstr(rec, "Driver"));
    snprintf(n->bridge, sizeof(n->bridge), "%s", jstr(rec, "Bridge"));
    snprintf(n->subnet, sizeof(n->subnet), "%s", jstr(rec, "Subnet"));
    snprintf(n->gateway, sizeof(n->gateway), "%s", jstr(rec, "Gateway"));
    snprintf(n->subnet6, sizeof(n->subnet6), "%s", jstr(rec, "Subnet6"));
    snprintf(n->gateway6, sizeof(n->gateway6), "%s", jstr(rec, "Gateway6"));
    const char *slash = strchr(n->subnet, '/'), *slash6 = strchr(n->subnet6, '/');
    n->prefix = slash ? (unsigned)atoi(slash + 1) : 0;
    n->prefix6 = slash6 ? (unsigned)atoi(slash6 + 1) : 0;
    n->internal = json_is_true(json_object_get(rec, "Internal"));
    n->is_default = json_is_true(json_object_get(rec, "Default"));
    n->mtu = (unsigned)json_integer_value(json_object_get(rec, "MTU"));
}

static json_t *rec_from_info(const struct net_info *n, const struct net_create *c)
{
    struct timespec ts;
    char now[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *opts = c && json_is_object(c->options) ? json_deep_copy(c->options) : json_object();
    json_t *labels = c && json_is_object(c->labels) ? json_deep_copy(c->labels) : json_object();
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:i,s:o,s:o}", "Name",
                     n->name, "Id", n->id, "Created", fmt_time(&ts, now), "Driver", n->driver,
                     "Bridge", n->bridge, "Subnet", n->subnet, "Gateway", n->gateway, "Subnet6",
                     n->subnet6, "Gateway6", n->gateway6, "Internal", n->internal, "EnableIPv6",
                     n->subnet6[0] != '\0', "Default", n->is_default, "MTU", (int)n->mtu, "Options",
                     opts, "Labels", labels);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(jstr(*(json_t *const *)a, "Name"), jstr(*(json_t *const *)b, "Name"));
}

/* Every network's record, by name. */
static json_t *recs_read(void)
{
    _cleanup_free_ char *root = xasprintf("%s/networks", engine.data_root);
    _cleanup_closedir_ DIR *d = opendir(root);
    _cleanup_free_ json_t **v = NULL;
    size_t n = 0, i;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        _cleanup_free_ char *dir = rec_dir(de->d_name);
        json_t *rec = de->d_name[0] == '.' ? NULL : json_read_file(dir, "network.json", NULL);
        if (rec && streq(jstr(rec, "Id"), de->d_name) && *jstr(rec, "Name")) {
            v = xrealloc(v, (n + 1) * sizeof(*v));
            v[n++] = rec;
        } else
            json_decref(rec);
    }
    if (n > 1)
        qsort(v, n, sizeof(v[0]), by_name);
    json_t *out = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(out, v[i]);
    return out;
}

static json_t *rec_by_name(json_t *recs, const char *name)
{
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec) if (streq(jstr(rec, "Name"), name)) return rec;
    return NULL;
}

/* Docker's order: a full id, a name, then a unique id prefix. */
static json_t *rec_find(json_t *recs, const char *ref, int *ret_r, struct berth_error **err)
{
    size_t i, len = strlen(ref), hits = 0;
    *ret_r = 0;
    json_t *rec, *found = NULL;
    json_array_foreach(recs, i, rec) if (streq(jstr(rec, "Id"), ref)) return rec;
    if ((found = rec_by_name(recs, ref)) != NULL)
        return found;
    json_array_foreach(recs, i, rec) if (len > 0 && strncmp(jstr(rec, "Id"), ref, len) == 0)
    {
        found = rec;
        hits++;
    }
    if (hits > 1)
        *ret_r = berth_error_set(err, EINVAL,
                                 "network %s is ambiguous (%zu matches found based on ID prefix)",
                                 ref, hits);
    else if (hits == 0)
        *ret_r = berth_error_set(err, ENOENT, "network %s not found", ref);
    return hits == 1 ? found : NULL;
}

int net_lookup(const char *ref, struct net_info *ret, struct berth_error **err)
{
    pthread_mutex_lock(&lock);
    int r;
    json_t *recs = recs_read();
    json_t *rec = rec_find(recs, ref, &r, err);
    if (rec)
        info_from_rec(rec, ret);
    json_decref(recs);
    pthread_mutex_unlock(&lock);
    return r;
}

/* --- addresses ----------------------------------------------------------- */

/* Whether NET overlaps no other network's subnet (EEXIST naming it). */
static int subnet_unused(json_t *recs, const struct berth_cidr *net, const char *text,
                         struct berth_error **err)
{
    size_t i;
    json_t *rec;
    struct berth_cidr o;
    json_array_foreach(recs, i, rec)
    {
        const char *s[2] = {jstr(rec, "Subnet"), jstr(rec, "Subnet6")};
        for (int k = 0; k < 2; k++)
            if (*s[k] && berth_net_cidr_parse(s[k], &o, NULL) == 0 && netaddr_overlap(net, &o))
                return berth_error_set(err, EEXIST, "subnet %s overlaps network '%s' (%s)", text,
                                       jstr(rec, "Name"), s[k]);
    }
    return 0;
}

/* Whether NET is free: of berth's networks and (IPv4: berth_net_subnet_free
 * is IPv4 only) of the routes and addresses of berthd's namespace. */
static int subnet_free(struct berth_netlink *nl, json_t *recs, const struct berth_cidr *net,
                       struct berth_error **err)
{
    char text[80];
    _cleanup_free_ char *conflict = NULL;
    netaddr_text(net, text, sizeof(text));
    int r = subnet_unused(recs, net, text, err);
    if (r < 0 || net->family != AF_INET)
        return r;
    r = berth_net_subnet_free(nl, text, &conflict, err);
    if (r == 0)
        return berth_error_set(err, EEXIST, "subnet %s overlaps %s in berthd's network namespace",
                               text, conflict ? conflict : "a route or address");
    return r < 0 ? r : 0;
}

/* Docker's default pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
static int subnet_pick(struct berth_netlink *nl, json_t *recs, struct berth_cidr *ret,
                       struct berth_error **err)
{
    char cand[32];
    for (int i = 0; i < 15 + 16; i++) {
        if (i < 15)
            snprintf(cand, sizeof(cand), "172.%d.0.0/16", 17 + i);
        else
            snprintf(cand, sizeof(cand), "192.168.%d.0/20", (i - 15) * 16);
        _cleanup_error_ struct berth_error *e = NULL;
        berth_net_cidr_parse(cand, ret, NULL);
        int r = subnet_free(nl, recs, ret, &e);
        if (r == 0)
            return 0;
        if (r != -EEXIST) {
            if (err)
                *err = TAKE_PTR(e);
            return r;
        }
    }
    return berth_error_set(err, ENOSPC,
                           "no free subnet left in the default pools (172.17-31.0.0/16, "
                           "192.168.0.0/16 in /20s): give one with --subnet");
}

/* --- the bridge and its rules -------------------------------------------- */

enum { DONE_LINK = 1, DONE_MASQ = 2, DONE_MASQ6 = 4, DONE_ISOLATE = 8, DONE_INTERNAL = 16 };

/* A step's result: what existed already counts as done (not by us). */
static int step(int r, unsigned bit, unsigned *done, struct berth_error **err)
{
    if (r == -EEXIST) {
        berth_error_clear(err);
        return 0;
    }
    if (r >= 0)
        *done |= bit;
    return r;
}

/* Creates the bridge (adopt: reuses a link of that name), its gateway
 * addresses, up, with route_localnet for published ports on 127.0.0.1. */
static int link_setup(struct berth_netlink *nl, const struct net_info *n, bool adopt,
                      unsigned *done, struct berth_error **err)
{
    char addr[96];
    int r = berth_netlink_bridge_add(nl, n->bridge, n->mtu, err);
    if (r == -EEXIST && !adopt)
        return r;
    if ((r = step(r, DONE_LINK, done, err)) < 0)
        return r;
    snprintf(addr, sizeof(addr), "%s/%u", n->gateway, n->prefix);
    r = step(berth_netlink_addr_add(nl, n->bridge, addr, err), 0, done, err);
    if (r >= 0 && n->subnet6[0]) {
        snprintf(addr, sizeof(addr), "%s/%u", n->gateway6, n->prefix6);
        r = step(berth_netlink_addr_add(nl, n->bridge, addr, err), 0, done, err);
    }
    if (r >= 0)
        r = berth_netlink_link_set_up(nl, n->bridge, true, err);
    if (r >= 0)
        r = berth_netlink_link_set_route_localnet(nl, n->bridge, true, err);
    return r;
}

static int rules_setup(struct berth_nft *nft, const struct net_info *n, unsigned *done,
                       struct berth_error **err)
{
    int r = 0;
    if (!n->internal) {
        r = step(berth_nft_masq_add(nft, n->subnet, n->bridge, err), DONE_MASQ, done, err);
        if (r >= 0 && n->subnet6[0])
            r = step(berth_nft_masq_add(nft, n->subnet6, n->bridge, err), DONE_MASQ6, done, err);
    }
    if (r >= 0)
        r = step(berth_nft_isolate_add(nft, n->bridge, err), DONE_ISOLATE, done, err);
    if (r >= 0 && n->internal)
        r = step(berth_nft_internal_add(nft, n->bridge, err), DONE_INTERNAL, done, err);
    return r;
}

/* Turns a forwarding sysctl of berthd's namespace on, as Docker does for
 * its bridges (containers reach beyond the host only with it). */
static int sysctl_on(const char *path, struct berth_error **err)
{
    _cleanup_free_ char *cur = NULL;
    if (read_file_at(AT_FDCWD, path, &cur, NULL, NULL) == 0 && cur[0] == '1')
        return 0;
    int r = write_file_at(AT_FDCWD, path, "1\n", 2, err);
    return r < 0 ? berth_error_wrap(err, "cannot turn forwarding on") : 0;
}

static void net_undo(struct berth_netlink *nl, struct berth_nft *nft, const struct net_info *n,
                     unsigned done)
{
    if (done & DONE_INTERNAL)
        berth_nft_internal_del(nft, n->bridge, NULL);
    if (done & DONE_ISOLATE)
        berth_nft_isolate_del(nft, n->bridge, NULL);
    if (done & DONE_MASQ6)
        berth_nft_masq_del(nft, n->subnet6, NULL);
    if (done & DONE_MASQ)
        berth_nft_masq_del(nft, n->subnet, NULL);
    if (done & DONE_LINK)
        berth_netlink_link_del(nl, n->bridge, NULL);
}

/* Makes n's bridge and rules; what exists already is kept (a restart),
 * what this call made is undone when a later step fails. */
static int net_setup(struct berth_netlink *nl, struct berth_nft *nft, const struct net_info *n,
                     bool adopt, struct berth_error **err)
{
    unsigned done = 0;
    int r = link_setup(nl, n, adopt, &done, err);
    if (r >= 0)
        r = rules_setup(nft, n, &done, err);
    if (r >= 0 && !n->internal)
        r = sysctl_on("/proc/sys/net/ipv4/ip_forward", err);
    if (r >= 0 && !n->internal && n->subnet6[0])
        r = sysctl_on("/proc/sys/net/ipv6/conf/all/forwarding", err);
    if (r < 0)
        net_undo(nl, nft, n, done);
    return r < 0 ? berth_error_wrap(err, "cannot set up network %s", n->name) : 0;
}

static int gone_ok(int r, int e, struct berth_error **err)
{
    if (r == -e)
        berth_error_clear(err);
    return r == -e ? 0 : r;
}

/* Removes n's rules and bridge; what is gone already is no error. */
static int net_teardown(struct berth_netlink *nl, struct berth_nft *nft, const struct net_info *n,
                        struct berth_error **err)
{
    int r = gone_ok(berth_nft_internal_del(nft, n->bridge, err), ENOENT, err);
    if (r >= 0)
        r = gone_ok(berth_nft_isolate_del(nft, n->bridge, err), ENOENT, err);
    if (r >= 0 && n->subnet6[0])
        r = gone_ok(berth_nft_masq_del(nft, n->subnet6, err), ENOENT, err);
    if (r >= 0)
        r = gone_ok(berth_nft_masq_del(nft, n->subnet, err), ENOENT, err);
    if (r >= 0)
        r = gone_ok(berth_netlink_link_del(nl, n->bridge, err), ENODEV, err);
    return r;
}

/* The handles of one operation on berthd's namespace. */
struct handles {
    struct berth_netlink *nl;
    struct berth_nft *nft;
};

static int handles_open(struct handles *h, struct berth_error **err)
{
    h->nl = berth_netlink_open(-1, err);
    h->nft = h->nl ? berth_nft_open(NULL, err) : NULL;
    return h->nft ? 0 : err && *err ? -(*err)->errnum : -EIO;
}

static void handles_close(struct handles *h)
{
    berth_nft_close(h->nft);
    berth_netlink_close(h->nl);
}

/* --- endpoints ----------------------------------------------------------- */

static json_t *endpoints_locked(const char *net_id)
{
    _cleanup_free_ char *dir = ep_dir(net_id);
    _cleanup_closedir_ DIR *d = opendir(dir);
    json_t *out = json_object();
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        /* temp files of a write in flight start with '.' */
        if (de->d_name[0] == '.' || len < 6 || !streq(de->d_name + len - 5, ".json"))
            continue;
        json_t *ep = json_read_file(dir, de->d_name, NULL);
        if (ep == NULL)
            continue;
        de->d_name[len - 5] = '\0';
        json_object_set_new(out, de->d_name, ep);
    }
    return out;
}

json_t *net_endpoints(const char *net_id)
{
    pthread_mutex_lock(&lock);
    json_t *out = endpoints_locked(net_id);
    pthread_mutex_unlock(&lock);
    return out;
}

json_t *net_endpoints_of(const char *cid)
{
    _cleanup_free_ char *root = xasprintf("%s/networks", engine.exec_root);
    _cleanup_free_ char *name = xasprintf("%s.json", cid);
    json_t *out = json_array();
    struct dirent *de;
    pthread_mutex_lock(&lock);
    DIR *d = opendir(root);
    while (d && (de = readdir(d)) != NULL) {
        _cleanup_free_ char *path = xasprintf("%s/%s/%s", root, de->d_name, name);
        if (de->d_name[0] != '.' && access(path, F_OK) == 0)
            json_array_append_new(out, json_string(de->d_name));
    }
    if (d)
        closedir(d);
    pthread_mutex_unlock(&lock);
    return out;
}

int net_endpoint_del(const char *net_id, const char *cid)
{
    _cleanup_free_ char *path = xasprintf("%s/networks/%s/%s.json", engine.exec_root, net_id, cid);
    pthread_mutex_lock(&lock);
    int r = unlink(path) < 0 ? -errno : 0;
    pthread_mutex_unlock(&lock);
    return r;
}

static json_t *used_addrs(json_t *eps)
{
    json_t *used = json_object(), *ep;
    const char *cid;
    json_object_foreach(eps, cid, ep)
    {
        const char *a = jstr(ep, "IPAddress"), *a6 = jstr(ep, "GlobalIPv6Address");
        if (*a)
            json_object_set_new(used, a, json_true());
        if (*a6)
            json_object_set_new(used, a6, json_true());
    }
    return used;
}

/* The endpoint's addresses into ep. */
static int ep_addrs(const struct net_info *n, json_t *eps, const char *want_ip,
                    const char *want_ip6, json_t *ep, struct berth_error **err)
{
    struct berth_cidr net;
    char ip[INET6_ADDRSTRLEN] = "", ip6[INET6_ADDRSTRLEN] = "";
    _cleanup_(json_decrefp) json_t *used = used_addrs(eps);
    if (want_ip6 && *want_ip6 && !n->subnet6[0])
        return berth_error_set(err, EINVAL,
                               "requested address %s: network %s has no IPv6 (EnableIPv6)",
                               want_ip6, n->name);
    int r = berth_net_cidr_parse(n->subnet, &net, err);
    if (r >= 0)
        r = netaddr_pick(&net, n->gateway, used, want_ip, ip, err);
    if (r >= 0 && n->subnet6[0] && (r = berth_net_cidr_parse(n->subnet6, &net, err)) >= 0)
        r = netaddr_pick(&net, n->gateway6, used, want_ip6, ip6, err);
    if (r < 0)
        return r;
    json_object_set_new(ep, "IPAddress", json_string(ip));
    json_object_set_new(ep, "IPPrefixLen", json_integer(n->prefix));
    json_object_set_new(ep, "Gateway", json_string(n->gateway));
    json_object_set_new(ep, "GlobalIPv6Address", json_string(ip6));
    json_object_set_new(ep, "GlobalIPv6PrefixLen", json_integer(ip6[0] ? n->prefix6 : 0));
    json_object_set_new(ep, "IPv6Gateway", json_string(ip6[0] ? n->gateway6 : ""));
    return 0;
}

static int ep_write(const char *net_id, const char *cid, json_t *ep, struct berth_error **err)
{
    _cleanup_free_ char *dir = ep_dir(net_id);
    _cleanup_free_ char *name = xasprintf("%s.json", cid);
    _cleanup_free_ char *text = json_dumps(ep, JSON_COMPACT);
    int r = mkdir_p(dir, 0700, err);
    _cleanup_close_ int dfd = r < 0 ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r >= 0 && dfd < 0)
        r = berth_error_set(err, errno, "cannot open '%s'", dir);
    if (r >= 0)
        r = write_file_atomic_at(dfd, name, text, strlen(text), err);
    return r;
}

static int endpoint_add_locked(const struct net_info *n, const char *cid, json_t *meta,
                               const char *want_ip, const char *want_ip6, json_t **ret,
                               struct berth_error **err)
{
    char eid[65], mac[18];
    _cleanup_free_ char *rec = xasprintf("%s/networks/%s/network.json", engine.data_root, n->id);
    if (!streq(n->driver, "bridge"))
        return berth_error_set(err, EINVAL, "network %s (driver %s) has no endpoints", n->name,
                               n->driver);
    /* removed since the caller looked it up */
    if (access(rec, F_OK) < 0)
        return berth_error_set(err, ENOENT, "network %s not found", n->name);
    _cleanup_(json_decrefp) json_t *eps = endpoints_locked(n->id);
    if (json_object_get(eps, cid))
        return berth_error_set(err, EEXIST, "endpoint with name %s already exists in network %s",
                               cid, n->name);
    json_t *ep = json_is_object(meta) ? json_deep_copy(meta) : json_object();
    int r = ep_addrs(n, eps, want_ip, want_ip6, ep, err);
    if (r < 0) {
        json_decref(ep);
        return r;
    }
    if (!*jstr(ep, "MacAddress")) {
        netaddr_mac(jstr(ep, "IPAddress"), mac);
        json_object_set_new(ep, "MacAddress", json_string(mac));
    }
    if (!json_is_array(json_object_get(ep, "Aliases")))
        json_object_set_new(ep, "Aliases", json_array());
    random_hex_id(eid);
    json_object_set_new(ep, "EndpointID", json_string(eid));
    json_object_set_new(ep, "NetworkID", json_string(n->id));
    if ((r = ep_write(n->id, cid, ep, err)) < 0) {
        json_decref(ep);
        return r;
    }
    *ret = ep;
    return 0;
}

void net_endpoint_rename(const char *cid, const char *name)
{
    _cleanup_(json_decrefp) json_t *nets = net_endpoints_of(cid);
    _cleanup_free_ char *fname = xasprintf("%s.json", cid);
    json_t *v;
    size_t i;
    pthread_mutex_lock(&lock);
    json_array_foreach(nets, i, v)
    {
        const char *net_id = json_string_value(v);
        _cleanup_free_ char *dir = ep_dir(net_id);
        _cleanup_(json_decrefp) json_t *ep = json_read_file(dir, fname, NULL);
        if (ep == NULL)
            continue;
        json_object_set_new(ep, "Name", json_sprintf("/%s", name));
        /* a failed write keeps the old name: the peers' files agree with it */
        (void)ep_write(net_id, cid, ep, NULL);
    }
    pthread_mutex_unlock(&lock);
}

int net_endpoint_add(const struct net_info *n, const char *cid, json_t *meta, const char *want_ip,
                     const char *want_ip6, json_t **ret, struct berth_error **err)
{
    pthread_mutex_lock(&lock);
    int r = endpoint_add_locked(n, cid, meta, want_ip, want_ip6, ret, err);
    pthread_mutex_unlock(&lock);
    return r;
}

/* --- inspect ------------------------------------------------------------- */

static json_t *containers_of(const struct net_info *n)
{
    json_t *eps = endpoints_locked(n->id), *out = json_object(), *ep;
    const char *cid;
    json_object_foreach(eps, cid, ep)
    {
        const char *name = jstr(ep, "Name"), *ip6 = jstr(ep, "GlobalIPv6Address");
        _cleanup_free_ char *v4 =
            xasprintf("%s/%d", jstr(ep, "IPAddress"),
                      (int)json_integer_value(json_object_get(ep, "IPPrefixLen")));
        _cleanup_free_ char *v6 =
            *ip6 ? xasprintf("%s/%d", ip6,
                             (int)json_integer_value(json_object_get(ep, "GlobalIPv6PrefixLen")))
                 : xstrdup("");
        json_object_set_new(out, cid,
                            json_pack("{s:s,s:s,s:s,s:s,s:s}", "Name", name + (name[0] == '/'),
                                      "EndpointID", jstr(ep, "EndpointID"), "MacAddress",
                                      jstr(ep, "MacAddress"), "IPv4Address", v4, "IPv6Address",
                                      v6));
    }
    json_decref(eps);
    return out;
}

static json_t *ipam_config(const struct net_info *n)
{
    json_t *cfg = json_array();
    if (n->subnet[0])
        json_array_append_new(cfg,
                              json_pack("{s:s,s:s}", "Subnet", n->subnet, "Gateway", n->gateway));
    if (n->subnet6[0])
        json_array_append_new(cfg,
                              json_pack("{s:s,s:s}", "Subnet", n->subnet6, "Gateway", n->gateway6));
    return cfg;
}

static json_t *inspect_locked(json_t *rec, bool containers)
{
    struct net_info n;
    info_from_rec(rec, &n);
    json_t *opts = json_object_get(rec, "Options"), *labels = json_object_get(rec, "Labels");
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:{},s:o},s:b,s:b,s:b,s:{s:s},s:b,s:o,"
                     "s:O,s:O}",
                     "Name", n.name, "Id", n.id, "Created", jstr(rec, "Created"), "Scope", "local",
                     "Driver", n.driver, "EnableIPv6", n.subnet6[0] != '\0', "IPAM", "Driver",
                     "default", "Options", "Config", ipam_config(&n), "Internal", n.internal,
                     "Attachable", false, "Ingress", false, "ConfigFrom", "Network", "",
                     "ConfigOnly", false, "Containers",
                     containers ? containers_of(&n) : json_object(), "Options",
                     json_is_object(opts) ? opts : json_object(), "Labels",
                     json_is_object(labels) ? labels : json_object());
}

json_t *net_inspect(const struct net_info *n)
{
    pthread_mutex_lock(&lock);
    json_t *recs = recs_read(), *rec, *out = NULL;
    size_t i;
    json_array_foreach(recs, i, rec) if (streq(jstr(rec, "Id"), n->id)) out =
        inspect_locked(rec, true);
    if (out == NULL) {
        /* removed meanwhile: what the caller knows of it */
        json_t *r = rec_from_info(n, NULL);
        out = inspect_locked(r, true);
        json_decref(r);
    }
    json_decref(recs);
    pthread_mutex_unlock(&lock);
    return out;
}

json_t *net_list(void)
{
    pthread_mutex_lock(&lock);
    json_t *recs = recs_read(), *rec, *out = json_array();
    size_t i;
    json_array_foreach(recs, i, rec) json_array_append_new(out, inspect_locked(rec, false));
    json_decref(recs);
    pthread_mutex_unlock(&lock);
    return out;
}

/* --- create and remove --------------------------------------------------- */

static bool predefined(const char *name)
{
    return streq(name, "bridge") || streq(name, "host") || streq(name, "none");
}

static bool name_valid(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 255 || !isalnum((unsigned char)s[0]))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
            return false;
    return true;
}

static int create_check(const struct net_create *c, bool is_default, json_t *recs,
                        struct berth_error **err)
{
    size_t i;
    json_t *rec;
    if (c->name == NULL || !name_valid(c->name))
        return berth_error_set(err, EINVAL,
                               "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                               "allowed",
                               c->name ? c->name : "");
    if (!is_default && predefined(c->name))
        return berth_error_set(err, EPERM, "operation is not permitted on predefined %s network",
                               c->name);
    if (rec_by_name(recs, c->name))
        return berth_error_set(err, EEXIST, "network with name %s already exists", c->name);
    if (c->gateway && *c->gateway && !(c->subnet && *c->subnet))
        return berth_error_set(err, EINVAL, "gateway %s needs its subnet (--subnet)", c->gateway);
    if (c->gateway6 && *c->gateway6 && !(c->subnet6 && *c->subnet6))
        return berth_error_set(err, EINVAL, "gateway %s needs its subnet (--subnet)", c->gateway6);
    if (c->ipv6 && !(c->subnet6 && *c->subnet6))
        return berth_error_set(err, EINVAL,
                               "an IPv6 network needs an IPv6 subnet (--subnet): berth has no "
                               "default IPv6 pool");
    if (!c->ipv6 && c->subnet6 && *c->subnet6)
        return berth_error_set(err, EINVAL, "IPv6 subnet %s needs IPv6 enabled (--ipv6)",
                               c->subnet6);
    if (c->bridge && *c->bridge && berth_net_ifname_check(c->bridge, err) < 0)
        return berth_error_wrap(err, "invalid bridge name");
    json_array_foreach(
        recs, i,
        rec) if (c->bridge &&
                 streq(jstr(rec, "Bridge"),
                       c->bridge)) return berth_error_set(err, EEXIST,
                                                          "bridge %s is in use by network %s",
                                                          c->bridge, jstr(rec, "Name"));
    return 0;
}

/* n's subnets and gateways: as given (checked), else picked. */
static int create_plan(struct berth_netlink *nl, const struct net_create *c, json_t *recs,
                       struct net_info *n, struct berth_error **err)
{
    struct berth_cidr net;
    bool given = c->subnet && *c->subnet;
    int r = given ? netaddr_subnet_parse(c->subnet, AF_INET, &net, err) : 0;
    if (r >= 0)
        r = given ? subnet_free(nl, recs, &net, err) : subnet_pick(nl, recs, &net, err);
    if (r >= 0)
        r = netaddr_gateway_pick(&net, c->gateway, n->gateway, sizeof(n->gateway), err);
    if (r < 0)
        return r;
    netaddr_text(&net, n->subnet, sizeof(n->subnet));
    n->prefix = net.prefix_len;
    if (!c->ipv6)
        return 0;
    r = netaddr_subnet_parse(c->subnet6, AF_INET6, &net, err);
    if (r >= 0)
        r = subnet_free(nl, recs, &net, err);
    if (r >= 0)
        r = netaddr_gateway_pick(&net, c->gateway6, n->gateway6, sizeof(n->gateway6), err);
    if (r >= 0) {
        netaddr_text(&net, n->subnet6, sizeof(n->subnet6));
        n->prefix6 = net.prefix_len;
    }
    return r;
}

static int record_write(const struct net_info *n, const struct net_create *c,
                        struct berth_error **err)
{
    _cleanup_free_ char *dir = rec_dir(n->id);
    json_t *rec = rec_from_info(n, c);
    int r = mkdir_p(dir, 0700, err);
    if (r >= 0)
        r = durable_write_json(dir, "network.json", rec, err);
    json_decref(rec);
    if (r < 0)
        rm_rf_at(AT_FDCWD, dir, NULL);
    return r;
}

static void emit(const char *action, const struct net_info *n)
{
    events_emit("network", action, n->id,
                json_pack("{s:s,s:s}", "name", n->name, "type", n->driver));
}

static int create_locked(const struct net_create *c, bool is_default, struct net_info *ret,
                         struct berth_error **err)
{
    struct handles h = {NULL, NULL};
    struct net_info n = {.mtu = c->mtu, .internal = c->internal, .is_default = is_default};
    json_t *recs = recs_read();
    int r = create_check(c, is_default, recs, err);
    if (r >= 0)
        r = handles_open(&h, err);
    if (r >= 0) {
        random_hex_id(n.id);
        snprintf(n.name, sizeof(n.name), "%s", c->name);
        snprintf(n.driver, sizeof(n.driver), "bridge");
        if (c->bridge && *c->bridge)
            snprintf(n.bridge, sizeof(n.bridge), "%s", c->bridge);
        else
            snprintf(n.bridge, sizeof(n.bridge), "br-%.12s", n.id);
        r = create_plan(h.nl, c, recs, &n, err);
    }
    /* the default bridge adopts a berth0 that is there already, as
     * Docker's docker0; a user network's device must be new */
    if (r >= 0)
        r = net_setup(h.nl, h.nft, &n, is_default, err);
    if (r >= 0 && (r = record_write(&n, c, err)) < 0)
        net_teardown(h.nl, h.nft, &n, NULL);
    handles_close(&h);
    json_decref(recs);
    if (r < 0)
        return r;
    emit("create", &n);
    *ret = n;
    return 0;
}

int net_create(const struct net_create *c, struct net_info *ret, struct berth_error **err)
{
    pthread_mutex_lock(&lock);
    int r = create_locked(c, false, ret, err);
    pthread_mutex_unlock(&lock);
    return r;
}

/* Deletes berth's nftables table once no bridge network is left. */
static int table_drop_unused(struct berth_nft *nft, struct berth_error **err)
{
    json_t *recs = recs_read(), *rec;
    size_t i;
    bool any = false;
    json_array_foreach(recs, i, rec) any |= streq(jstr(rec, "Driver"), "bridge");
    json_decref(recs);
    return any ? 0 : berth_nft_table_delete(nft, err);
}

/* Removes the network of `rec` (even a predefined one: berthd --bridge
 * none drops the default with this). */
static int remove_locked(json_t *rec, struct berth_error **err)
{
    struct net_info n;
    struct handles h = {NULL, NULL};
    info_from_rec(rec, &n);
    json_t *eps = endpoints_locked(n.id);
    size_t busy = json_object_size(eps);
    json_decref(eps);
    if (busy)
        return berth_error_set(err, EBUSY,
                               "error while removing network: network %s id %s has active "
                               "endpoints",
                               n.name, n.id);
    bool bridge = streq(n.driver, "bridge");
    int r = bridge ? handles_open(&h, err) : 0;
    if (r >= 0 && bridge)
        r = net_teardown(h.nl, h.nft, &n, err);
    _cleanup_free_ char *dir = rec_dir(n.id);
    _cleanup_free_ char *gone = xasprintf("%s/networks/.removing-%s", engine.data_root, n.id);
    _cleanup_free_ char *eps_dir = ep_dir(n.id);
    if (r >= 0 && rename(dir, gone) < 0)
        r = berth_error_set(err, errno, "cannot remove network %s", n.name);
    if (r >= 0) {
        rm_rf_at(AT_FDCWD, gone, NULL);
        rm_rf_at(AT_FDCWD, eps_dir, NULL);
        emit("destroy", &n);
        if (bridge)
            table_drop_unused(h.nft, NULL);
    }
    handles_close(&h);
    return r;
}

int net_remove(const char *ref, struct berth_error **err)
{
    int r;
    pthread_mutex_lock(&lock);
    json_t *recs = recs_read();
    json_t *rec = rec_find(recs, ref, &r, err);
    if (rec &&
        (json_is_true(json_object_get(rec, "Default")) || !streq(jstr(rec, "Driver"), "bridge")))
        r = berth_error_set(err, EPERM, "%s is a pre-defined network and cannot be removed",
                            jstr(rec, "Name"));
    else if (rec)
        r = remove_locked(rec, err);
    json_decref(recs);
    pthread_mutex_unlock(&lock);
    return r;
}

json_t *net_prune(const struct store_prune *f)
{
    pthread_mutex_lock(&lock);
    json_t *recs = recs_read(), *rec, *out = json_array();
    size_t i;
    json_array_foreach(recs, i, rec)
    {
        if (json_is_true(json_object_get(rec, "Default")) || !streq(jstr(rec, "Driver"), "bridge"))
            continue;
        if (f && store_prune_keeps(f, json_object_get(rec, "Labels"),
                                   store_parse_time(jstr(rec, "Created"))))
            continue;
        if (remove_locked(rec, NULL) == 0)
            json_array_append_new(out, json_string(jstr(rec, "Name")));
    }
    json_decref(recs);
    pthread_mutex_unlock(&lock);
    return out;
}

/* --- start --------------------------------------------------------------- */

/* Forgets the endpoints of containers that do not run (all of them after a
 * reboot) and those of networks that are gone. */
static void endpoints_drop_stale(json_t *recs, bool (*running)(const char *cid))
{
    _cleanup_free_ char *root = xasprintf("%s/networks", engine.exec_root);
    _cleanup_closedir_ DIR *d = opendir(root);
    struct dirent *de;
    size_t i;
    json_t *rec, *ep;
    const char *cid;
    while (d && (de = readdir(d)) != NULL) {
        bool known = false;
        if (de->d_name[0] == '.')
            continue;
        json_array_foreach(recs, i, rec) known |= streq(jstr(rec, "Id"), de->d_name);
        _cleanup_free_ char *dir = xasprintf("%s/%s", root, de->d_name);
        if (!known) {
            rm_rf_at(AT_FDCWD, dir, NULL);
            continue;
        }
        json_t *eps = endpoints_locked(de->d_name);
        json_object_foreach(eps, cid, ep)
        {
            _cleanup_free_ char *path = xasprintf("%s/%s.json", dir, cid);
            if (running == NULL || !running(cid))
                unlink(path);
        }
        json_decref(eps);
    }
}

static json_t *default_options(void)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "com.docker.network.bridge.default_bridge",
                     "true", "com.docker.network.bridge.enable_icc", "true",
                     "com.docker.network.bridge.enable_ip_masquerade", "true",
                     "com.docker.network.bridge.host_binding_ipv4", "0.0.0.0",
                     "com.docker.network.bridge.name", DEFAULT_BRIDGE,
                     "com.docker.network.driver.mtu", "1500");
}

/* The records of "host" and "none", and the default network as
 * --bridge says. */
static int predefined_ensure(struct berth_error **err)
{
    static const char *const plain[][2] = {{"host", "host"}, {"none", "null"}};
    json_t *recs = recs_read(), *def = rec_by_name(recs, "bridge");
    int r = 0;
    for (size_t i = 0; i < ARRAY_SIZE(plain) && r >= 0; i++) {
        struct net_info n = {0};
        if (rec_by_name(recs, plain[i][0]))
            continue;
        random_hex_id(n.id);
        snprintf(n.name, sizeof(n.name), "%s", plain[i][0]);
        snprintf(n.driver, sizeof(n.driver), "%s", plain[i][1]);
        r = record_write(&n, NULL, err);
    }
    if (r >= 0 && default_bridge && def == NULL) {
        struct net_info n;
        json_t *opts = default_options();
        struct net_create c = {.name = "bridge", .bridge = DEFAULT_BRIDGE, .options = opts};
        r = create_locked(&c, true, &n, err);
        json_decref(opts);
    } else if (r >= 0 && !default_bridge && def && json_is_true(json_object_get(def, "Default"))) {
        r = remove_locked(def, err);
    }
    json_decref(recs);
    return r;
}

/* Every bridge network's device and rules, made again where missing. */
static int bridges_ensure(struct berth_error **err)
{
    struct handles h = {NULL, NULL};
    json_t *recs = recs_read(), *rec;
    size_t i;
    bool any = false;
    json_array_foreach(recs, i, rec) any |= streq(jstr(rec, "Driver"), "bridge");
    /* no bridge network (--bridge none): no netlink, no nftables at all */
    int r = any ? handles_open(&h, err) : 0, first = 0;
    if (r < 0)
        json_array_clear(recs);
    json_array_foreach(recs, i, rec)
    {
        struct net_info n;
        info_from_rec(rec, &n);
        /* one network's failure leaves the others up; the first is told */
        if (streq(n.driver, "bridge") &&
            (r = net_setup(h.nl, h.nft, &n, true, first < 0 ? NULL : err)) < 0 && first == 0)
            first = r;
    }
    json_decref(recs);
    handles_close(&h);
    return first < 0 ? first : r < 0 ? r : 0;
}

int networks_init(bool (*running)(const char *cid), struct berth_error **err)
{
    _cleanup_free_ char *data = xasprintf("%s/networks", engine.data_root);
    _cleanup_free_ char *exec = xasprintf("%s/networks", engine.exec_root);
    int r = mkdir_p(data, 0700, err);
    if (r < 0 || (r = mkdir_p(exec, 0700, err)) < 0)
        return r;
    pthread_mutex_lock(&lock);
    json_t *recs = recs_read();
    endpoints_drop_stale(recs, running);
    json_decref(recs);
    /* a default network that cannot go (--bridge none, in use) or come
     * stops no other network */
    r = predefined_ensure(err);
    int r2 = bridges_ensure(r < 0 ? NULL : err);
    pthread_mutex_unlock(&lock);
    return r < 0 ? r : r2;
}
