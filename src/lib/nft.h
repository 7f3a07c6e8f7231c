#pragma once
/* NAT, published ports and isolation in berth's own nftables table
 * (libnftables; issue 15). Everything lives in one `inet` table, "berth"
 * unless another name is given (tests use a unique one); no call reads or
 * writes any other table. It works in the network namespace of the calling
 * thread.
 *
 * The table holds four base chains (nat prerouting, output, postrouting;
 * filter forward) and a set "bridges" of berth's bridges. Every rule carries
 * a comment that names what it is for ("berth masq 10.213.0.0/24", "berth
 * dnat tcp any 8080", "berth isolate br0"); removal deletes exactly the rules
 * of that comment, by their handles.
 *
 * Errors: -errno and *err. Bad input is EINVAL; a rule that exists already is
 * EEXIST; removing one that does not exist is ENOENT; nftables' refusals come
 * back with its message. */
#include <stdbool.h>

struct berth_error;
struct berth_nft;

/* A published port: host (IP or any) : host_port -> container IP : port. */
struct berth_nft_port {
    const char *proto;      /* "tcp" or "udp" */
    const char *host_ip;    /* an IPv4/IPv6 address, or NULL / "" for any address of the host */
    unsigned int host_port; /* 1..65535 */
    const char *ctr_ip;     /* the container's address; same family as host_ip */
    unsigned int ctr_port;  /* 1..65535 */
    const char *bridge;     /* the bridge the container is on */
};

/* Opens a libnftables context for table TABLE (NULL: "berth"). The name is
 * 1-64 characters, a letter first, then letters, digits, '_' and '-'.
 * Nothing is created yet. Free with berth_nft_close. */
struct berth_nft *berth_nft_open(const char *table, struct berth_error **err);

/* Frees the context; NULL is a no-op. The table stays. */
void berth_nft_close(struct berth_nft *nft);

/* Creates the table, its base chains and its set when missing (every _add
 * below does this too, in the same transaction as its rules). */
int berth_nft_table_ensure(struct berth_nft *nft, struct berth_error **err);

/* Deletes the whole table with all its rules (the last network is gone).
 * Returns 1 if it was deleted, 0 if there was none. */
int berth_nft_table_delete(struct berth_nft *nft, struct berth_error **err);

/* Masquerades traffic from SUBNET (IPv4 or IPv6 CIDR) that leaves through any
 * link but BRIDGE, and traffic that a published port sends back onto BRIDGE
 * (a container reaching a published port of its own bridge: hairpin NAT). */
int berth_nft_masq_add(struct berth_nft *nft, const char *subnet, const char *bridge,
                       struct berth_error **err);
int berth_nft_masq_del(struct berth_nft *nft, const char *subnet, struct berth_error **err);

/* Publishes a port: DNAT in prerouting (from other hosts and containers) and
 * output (from the host itself, any local address or host_ip). For IPv4 it
 * also masquerades 127.0.0.0/8 sources sent to the container on its bridge,
 * so the host's connections to 127.0.0.1 work; the kernel also needs
 * route_localnet on the bridge (berth_netlink_link_set_route_localnet), which
 * the caller sets, once per bridge. EEXIST when proto/host_ip/host_port is
 * published already. */
int berth_nft_dnat_add(struct berth_nft *nft, const struct berth_nft_port *port,
                       struct berth_error **err);

/* Removes the port published as proto/host_ip/host_port (other fields are
 * ignored). A NULL or empty host_ip removes the any-address publication of
 * both families, 0.0.0.0 or :: only that family's. */
int berth_nft_dnat_del(struct berth_nft *nft, const struct berth_nft_port *port,
                       struct berth_error **err);

/* Isolates BRIDGE: forwarded traffic from it to any other bridge in the
 * table's set, and from those to it, is dropped. Adds BRIDGE to the set. */
int berth_nft_isolate_add(struct berth_nft *nft, const char *bridge, struct berth_error **err);
int berth_nft_isolate_del(struct berth_nft *nft, const char *bridge, struct berth_error **err);

/* Docker's --internal for BRIDGE: forwarded traffic into or out of it is
 * dropped, save what stays on it (container to container). The host's own
 * addresses on the bridge stay reachable (input, not forward). */
int berth_nft_internal_add(struct berth_nft *nft, const char *bridge, struct berth_error **err);
int berth_nft_internal_del(struct berth_nft *nft, const char *bridge, struct berth_error **err);
