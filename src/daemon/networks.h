#pragma once
/* berthd's networks (issue 15): Docker's "bridge" driver.
 *
 * A network is a record DATA/networks/ID/network.json (durable: it outlives
 * a reboot) and, while berthd runs, a bridge device with its addresses and
 * the network's rules in berth's nftables table (nft.h): masquerade of its
 * subnet unless --internal, isolation from every other berth bridge, and for
 * --internal no forwarding out of the bridge at all. networks_init makes the
 * devices and rules again after a reboot.
 *
 * An endpoint (a container on a network) is runtime state: EXEC/networks/
 * NETID/CID.json, written with a temporary file and rename(2) (no fsync:
 * after a reboot no container runs, and networks_init drops them all). IPAM
 * hands out the lowest free address of the subnet (the gateway, the network
 * and broadcast addresses excepted); an address is free again once its
 * endpoint file is gone.
 *
 * Predefined networks, as Docker's: "bridge" (the default; device berth0,
 * no name resolution between containers), and "host" and "none" (driver
 * host / null: listed and inspected, never removed, no endpoints).
 *
 * Callers need not hold engine.lock: a mutex of networks.c serialises
 * every call. */
#include <jansson.h>
#include <stdbool.h>

struct berth_error;

struct net_info {
    char id[65];
    char name[256];
    char driver[16];  /* "bridge", "host", "null" */
    char bridge[16];  /* the bridge device: "berth0", "br-" + 12 hex of the id */
    char subnet[64];  /* IPv4 "172.18.0.0/16" */
    char gateway[64]; /* "172.18.0.1" */
    unsigned prefix;  /* 16 */
    char subnet6[64]; /* "" without IPv6 */
    char gateway6[64];
    unsigned prefix6;
    bool internal;
    bool is_default; /* the predefined "bridge": containers get no names of others */
    unsigned mtu;    /* 0: the kernel's default (1500) */
};

/* At berthd's start, before containers are adopted: creates the default
 * network's record on first use of a data root (a subnet that overlaps no
 * route or address of berthd's network namespace: 172.17.0.0/16, else the
 * next free of 172.18-31.0.0/16, then 192.168.N.0/20), makes every
 * network's bridge and rules when missing, and forgets the endpoints of
 * containers that are not running (running(cid) says which are). */
int networks_init(bool (*running)(const char *cid), struct berth_error **err);

/* Finds a network by name, full id or unique id prefix. ENOENT
 * "network NAME not found"; EINVAL for an ambiguous prefix. */
int net_lookup(const char *ref, struct net_info *ret, struct berth_error **err);

/* Adds container cid (its name and aliases in `meta`: {"Name": "/x",
 * "Aliases": [...], "MacAddress": "" or given, "Ports": ...} kept in the
 * endpoint for inspect and for the hosts files) to network `n` with the
 * address want_ip (NULL or "": the lowest free one) and want_ip6 (same; only
 * on an IPv6 network). The endpoint file is written before this returns.
 * EINVAL "requested address X is outside the subnet Y", EADDRINUSE
 * "address X is already in use", ENOSPC "no free address in Y".
 * *ret gets the endpoint: {"IPAddress", "IPPrefixLen", "Gateway",
 * "GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPv6Gateway", "MacAddress"
 * (02:42 + the IPv4 address unless given), "EndpointID", "NetworkID",
 * "Name", "Aliases", ...meta}. New reference. */
int net_endpoint_add(const struct net_info *n, const char *cid, json_t *meta, const char *want_ip,
                     const char *want_ip6, json_t **ret, struct berth_error **err);

/* Removes cid's endpoint from network net_id (its address is free again).
 * 0, or -ENOENT when there was none. */
int net_endpoint_del(const char *net_id, const char *cid);

/* A rename: cid's endpoints on every network carry `name` (without '/')
 * from now on; a failed write keeps the old one there. */
void net_endpoint_rename(const char *cid, const char *name);

/* The endpoints of network net_id: {CID: endpoint, ...}. New reference. */
json_t *net_endpoints(const char *net_id);

/* The ids of the networks cid has an endpoint on: ["NETID", ...]. */
json_t *net_endpoints_of(const char *cid);

/* Docker's network object (GET /networks/{id}): Name, Id, Created, Scope,
 * Driver, EnableIPv6, IPAM, Internal, Attachable, Ingress, ConfigFrom,
 * ConfigOnly, Containers (from the endpoints), Options, Labels. */
json_t *net_inspect(const struct net_info *n);

/* berthd --bridge none (Docker's -b none): no default network; one a
 * previous start made is removed by networks_init unless a running
 * container is on it. Call before networks_init. */
void networks_set_default_bridge(bool on);

/* A new bridge network (POST /networks/create, which checks the body's
 * shape and the driver and options it cannot honour). */
struct net_create {
    const char *name;
    const char *subnet;   /* IPv4 CIDR; NULL or "": the first free of the default pools */
    const char *gateway;  /* NULL or "": the subnet's first address */
    const char *subnet6;  /* IPv6 CIDR, only with ipv6 (required then: no default pool) */
    const char *gateway6; /* NULL or "": the first address */
    bool ipv6;
    bool internal;
    const char *bridge; /* the device; NULL or "": "br-" + 12 hex of the id */
    unsigned mtu;       /* 0: the kernel's default */
    json_t *options;    /* Docker's Options, shown by inspect; borrowed, NULL: {} */
    json_t *labels;     /* borrowed, NULL: {} */
};

/* Creates a bridge network: the bridge with the gateway addresses, up,
 * route_localnet on, the nftables rules, IPv4 (and with IPv6 IPv6)
 * forwarding in berthd's namespace unless internal, then the durable
 * record; a failure undoes what was made. *ret the new network.
 * EINVAL: bad name, subnet or gateway ("gateway X is outside the subnet
 * Y"), an IPv6 subnet without ipv6 or the reverse. EPERM (Docker's 403):
 * a predefined name. EEXIST: "network with name X already exists", a
 * subnet that overlaps another network or a route or address of berthd's
 * namespace (named), a bridge device in use. ENOSPC: no default pool is
 * free. Else the kernel's or nftables' errno. */
int net_create(const struct net_create *c, struct net_info *ret, struct berth_error **err);

/* Removes network REF: its rules, its bridge and its record; with the
 * last bridge network, berth's nftables table. ENOENT; EPERM (403) "NAME
 * is a pre-defined network and cannot be removed"; EBUSY "error while
 * removing network: network NAME id ID has active endpoints". */
int net_remove(const char *ref, struct berth_error **err);

/* Every network as net_inspect shows it, save Containers ({}: Docker's
 * list leaves them out), by name. New reference. */
json_t *net_list(void);

/* Removes every network that is not predefined, has no endpoints and
 * that `f`'s until and label filters (NULL: none) let go; returns their
 * names. New reference. */
struct store_prune;
json_t *net_prune(const struct store_prune *f);
