#pragma once
/* The address arithmetic of berthd's networks (networks.c): subnets as
 * given, overlaps, gateways, and IPAM's pick of an endpoint's address. Pure
 * functions of their arguments (no berthd state, no I/O), apart in a
 * library of their own so tests/unit/test-netaddr.c links them. A subnet is
 * a struct berth_cidr of libberth-net (netlink.h): its addr holds the
 * network address, 4 bytes used for AF_INET, the rest zero. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct berth_cidr;
struct berth_error;

/* Whether address `a` (4 or 16 bytes, network order) of `family` lies in
 * net; false for another family. */
bool netaddr_has(const struct berth_cidr *net, int family, const unsigned char *a);

/* Whether two subnets share an address (one holds the other). */
bool netaddr_overlap(const struct berth_cidr *a, const struct berth_cidr *b);

/* "ADDR/LEN" of c into buf (80 bytes hold any). */
void netaddr_text(const struct berth_cidr *c, char *buf, size_t len);

/* The address `n` after the subnet's own (big-endian addition; a carry
 * past the family's last byte is dropped) into ret. */
void netaddr_nth(const struct berth_cidr *net, unsigned long long n, unsigned char ret[16]);

/* How many addresses the subnet has, at most 2^62. */
unsigned long long netaddr_subnet_size(const struct berth_cidr *net);

/* A subnet as a user gives it: ADDR/LEN of `family` (AF_INET or AF_INET6)
 * with no host bits set and room for a gateway and one container (a /30 or
 * /126 at most). EINVAL: "invalid subnet 'T' (ADDRESS/LENGTH)", "subnet 'T'
 * is not an IPv4 subnet", "subnet 'T' is too small: ...", "invalid subnet
 * 'T': it should be 'NET/LEN'" (host bits). */
int netaddr_subnet_parse(const char *text, int family, struct berth_cidr *ret,
                         struct berth_error **err);

/* A network's gateway: `given` (NULL or "": the subnet's first address)
 * as text into buf. EINVAL "gateway X is outside the subnet Y", "gateway X
 * is the network or broadcast address of Y". */
int netaddr_gateway_pick(const struct berth_cidr *net, const char *given, char *buf, size_t len,
                         struct berth_error **err);

/* An endpoint's address on net into buf: `want` (NULL or "": the lowest
 * free one), where the gateway gw and the keys of `used` ({"ADDR": true},
 * addresses as inet_ntop writes them) are taken and the network address
 * (and for IPv4 the broadcast address) never given. Of an IPv6 subnet only
 * the first (keys of used) + 2 addresses after the network's are tried: the
 * gateway and used take at most all but one of them.
 * EINVAL "requested address X is outside the subnet Y" (or is its network
 * or broadcast address), EADDRINUSE "address X is already in use", ENOSPC
 * "no free address in Y". */
int netaddr_pick(const struct berth_cidr *net, const char *gw, json_t *used, const char *want,
                 char buf[INET6_ADDRSTRLEN], struct berth_error **err);

/* Docker's MAC of an endpoint: 02:42 and the IPv4 address ip (text; an
 * invalid one gives 02:42:00:00:00:00). */
void netaddr_mac(const char *ip, char buf[18]);
