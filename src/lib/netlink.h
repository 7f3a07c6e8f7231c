#pragma once
/* Links, addresses and routes over rtnetlink (libmnl), for berth's bridge
 * networks (issue 15). Every call works on one network namespace: the one a
 * struct berth_netlink was opened in. Nothing here changes the namespaces of
 * the calling process or thread.
 *
 * Link names are checked before the kernel sees them: 1 to 15 bytes
 * (IFNAMSIZ - 1), letters, digits, '_', '-' and '.', not "." or "..". The
 * narrower set than the kernel's keeps every name safe to quote in an
 * nftables rule (nft.h).
 *
 * Errors: -errno with *err naming the link or address. A refusal of the
 * kernel comes back as the kernel's errno (EEXIST: a link of that name exists,
 * ENODEV: no such link, EPERM: no CAP_NET_ADMIN). Bad input is EINVAL. */
#include <stdbool.h>
#include <sys/types.h>

struct berth_error;
struct berth_netlink;

/* An address with its prefix length, e.g. 10.213.0.2/24 or fd00::2/64. */
struct berth_cidr {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char addr[16];  /* network byte order; 4 bytes used for AF_INET */
    unsigned int prefix_len; /* 0..32 or 0..128 */
};

/* Parses "ADDR/LEN" (IPv4 or IPv6; LEN decimal, required). Host bits are
 * kept: 10.213.0.2/24 is an interface address. EINVAL names the text. */
int berth_net_cidr_parse(const char *text, struct berth_cidr *ret, struct berth_error **err);

/* Checks a link name against the rules above; EINVAL names the link. */
int berth_net_ifname_check(const char *name, struct berth_error **err);

/* Opens an rtnetlink socket in the network namespace netns_fd refers to
 * (an fd on /proc/PID/ns/net or /run/netns/NAME), or in the caller's own when
 * netns_fd is -1. The socket keeps that namespace for its lifetime, so only
 * its creation needs to enter the namespace: a short-lived helper thread
 * does that and is joined before this returns. The fd is not kept. Free with
 * berth_netlink_close. */
struct berth_netlink *berth_netlink_open(int netns_fd, struct berth_error **err);

/* Closes the socket; NULL is a no-op. */
void berth_netlink_close(struct berth_netlink *nl);

/* Creates a bridge NAME (down). mtu 0 keeps the kernel's default. */
int berth_netlink_bridge_add(struct berth_netlink *nl, const char *name, unsigned int mtu,
                             struct berth_error **err);

/* Creates a veth pair NAME <-> PEER (both down). With peer_netns_fd >= 0 the
 * peer is created directly in that namespace, which saves a move. */
int berth_netlink_veth_add(struct berth_netlink *nl, const char *name, const char *peer,
                           int peer_netns_fd, struct berth_error **err);

/* Deletes link NAME (for a veth, its peer goes too; for a bridge, its ports
 * are released). ENODEV when there is none. */
int berth_netlink_link_del(struct berth_netlink *nl, const char *name, struct berth_error **err);

/* Returns the ifindex (> 0) of link NAME, or -ENODEV. */
int berth_netlink_link_index(struct berth_netlink *nl, const char *name, struct berth_error **err);

/* Moves link NAME into the network namespace netns_fd refers to / of process
 * pid. The link is gone from nl's namespace afterwards. */
int berth_netlink_link_set_netns_fd(struct berth_netlink *nl, const char *name, int netns_fd,
                                    struct berth_error **err);
int berth_netlink_link_set_netns_pid(struct berth_netlink *nl, const char *name, pid_t pid,
                                     struct berth_error **err);

/* Renames link NAME to NEW_NAME; the link must be down (EBUSY otherwise). */
int berth_netlink_link_rename(struct berth_netlink *nl, const char *name, const char *new_name,
                              struct berth_error **err);

/* Sets the MTU of link NAME (68 .. the device's maximum; EINVAL beyond). */
int berth_netlink_link_set_mtu(struct berth_netlink *nl, const char *name, unsigned int mtu,
                               struct berth_error **err);

/* Sets the MAC address of link NAME ("02:42:ac:11:00:02"); EINVAL for a
 * malformed or multicast one. */
int berth_netlink_link_set_mac(struct berth_netlink *nl, const char *name, const char *mac,
                               struct berth_error **err);

/* Sets link NAME administratively up or down. */
int berth_netlink_link_set_up(struct berth_netlink *nl, const char *name, bool up,
                              struct berth_error **err);

/* Enslaves link NAME to bridge MASTER, or releases it when master is NULL. */
int berth_netlink_link_set_master(struct berth_netlink *nl, const char *name, const char *master,
                                  struct berth_error **err);

/* Sets the IPv4 route_localnet flag of link NAME (net.ipv4.conf.NAME.
 * route_localnet), per interface, never the global one. A bridge needs it
 * for published ports to answer connections from the host to 127.0.0.1: the
 * kernel drops a packet with a 127/8 source routed out of a device without
 * it (nft.h's DNAT rules masquerade that source on the bridge). */
int berth_netlink_link_set_route_localnet(struct berth_netlink *nl, const char *name, bool on,
                                          struct berth_error **err);

/* Adds address CIDR (e.g. 10.213.0.1/24) to link NAME. IPv6 addresses skip
 * duplicate address detection so they are usable at once. EEXIST when the
 * link has it already. */
int berth_netlink_addr_add(struct berth_netlink *nl, const char *name, const char *cidr,
                           struct berth_error **err);

/* Adds a default route via GW (IPv4 or IPv6) to the main table of nl's
 * namespace. The gateway must be reachable on a link (ENETUNREACH if not);
 * EEXIST when a default route of that family exists. */
int berth_netlink_route_add_default(struct berth_netlink *nl, const char *gw,
                                    struct berth_error **err);

/* Says whether the IPv4 subnet CIDR (host bits ignored) overlaps no route
 * (any table, default routes excepted) and no address of nl's namespace:
 * returns 1 if it is free, 0 if it overlaps, -errno on failure. When it
 * overlaps and ret_conflict is not NULL, *ret_conflict gets what it overlaps,
 * e.g. "route 10.0.0.0/8 on 'eth0'" (caller frees). */
int berth_net_subnet_free(struct berth_netlink *nl, const char *cidr, char **ret_conflict,
                          struct berth_error **err);
