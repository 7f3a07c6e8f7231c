/* The address arithmetic of berthd's networks (netaddr.h): bit and byte
 * operations on struct berth_cidr, with the messages networks.c's callers
 * see. Nothing here reads berthd's state or does I/O. */
#include "netaddr.h"
#include "error.h"
#include "netlink.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static unsigned family_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

bool netaddr_has(const struct berth_cidr *net, int family, const unsigned char *a)
{
    if (net->family != family)
        return false;
    for (unsigned b = 0; b < net->prefix_len; b++)
        if ((net->addr[b / 8] ^ a[b / 8]) & (0x80 >> (b % 8)))
            return false;
    return true;
}

bool netaddr_overlap(const struct berth_cidr *a, const struct berth_cidr *b)
{
    return a->prefix_len <= b->prefix_len ? netaddr_has(a, b->family, b->addr)
                                          : netaddr_has(b, a->family, a->addr);
}

void netaddr_text(const struct berth_cidr *c, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    inet_ntop(c->family, c->addr, a, sizeof(a));
    snprintf(buf, len, "%s/%u", a, c->prefix_len);
}

void netaddr_nth(const struct berth_cidr *net, unsigned long long n, unsigned char ret[16])
{
    memcpy(ret, net->addr, 16);
    for (int i = (int)family_bits(net->family) / 8 - 1; i >= 0 && n; i--) {
        n += ret[i];
        ret[i] = n & 0xff;
        n >>= 8;
    }
}

unsigned long long netaddr_subnet_size(const struct berth_cidr *net)
{
    unsigned host = family_bits(net->family) - net->prefix_len;
    return host >= 62 ? 1ULL << 62 : 1ULL << host;
}

int netaddr_subnet_parse(const char *text, int family, struct berth_cidr *ret,
                         struct berth_error **err)
{
    char canon[80];
    if (berth_net_cidr_parse(text, ret, NULL) < 0)
        return berth_error_set(err, EINVAL, "invalid subnet '%s' (ADDRESS/LENGTH)", text);
    if (ret->family != family)
        return berth_error_set(err, EINVAL, "subnet '%s' is not an %s subnet", text,
                               family == AF_INET ? "IPv4" : "IPv6");
    if (ret->prefix_len > family_bits(family) - 2)
        return berth_error_set(
            err, EINVAL, "subnet '%s' is too small: it leaves no address for a container", text);
    struct berth_cidr net = *ret;
    for (unsigned b = net.prefix_len; b < family_bits(family); b++)
        net.addr[b / 8] &= ~(0x80 >> (b % 8));
    if (memcmp(net.addr, ret->addr, 16) != 0) {
        netaddr_text(&net, canon, sizeof(canon));
        return berth_error_set(err, EINVAL, "invalid subnet '%s': it should be '%s'", text, canon);
    }
    return 0;
}

/* Whether a (inside net) is its network address or, IPv4 only (IPv6 has
 * no broadcast), its broadcast address. */
static bool reserved(const struct berth_cidr *net, const unsigned char a[16])
{
    unsigned char last[16];
    netaddr_nth(net, netaddr_subnet_size(net) - 1, last);
    return memcmp(a, net->addr, 16) == 0 || (net->family == AF_INET && memcmp(a, last, 4) == 0);
}

int netaddr_gateway_pick(const struct berth_cidr *net, const char *given, char *buf, size_t len,
                         struct berth_error **err)
{
    unsigned char a[16] = {0};
    char text[80];
    netaddr_text(net, text, sizeof(text));
    if (given == NULL || *given == '\0') {
        netaddr_nth(net, 1, a);
        inet_ntop(net->family, a, buf, len);
        return 0;
    }
    if (inet_pton(net->family, given, a) != 1 || !netaddr_has(net, net->family, a))
        return berth_error_set(err, EINVAL, "gateway %s is outside the subnet %s", given, text);
    if (reserved(net, a))
        return berth_error_set(err, EINVAL, "gateway %s is the network or broadcast address of %s",
                               given, text);
    inet_ntop(net->family, a, buf, len);
    return 0;
}

/* The requested address `want` into buf, if it is free. */
static int want_check(const struct berth_cidr *net, const char *text, const char *gw, json_t *used,
                      const char *want, char buf[INET6_ADDRSTRLEN], struct berth_error **err)
{
    unsigned char a[16] = {0};
    if (inet_pton(net->family, want, a) != 1 || !netaddr_has(net, net->family, a))
        return berth_error_set(err, EINVAL, "requested address %s is outside the subnet %s", want,
                               text);
    inet_ntop(net->family, a, buf, INET6_ADDRSTRLEN);
    if (reserved(net, a))
        return berth_error_set(err, EINVAL,
                               "requested address %s is the network or broadcast address of %s",
                               want, text);
    if (streq(buf, gw) || json_object_get(used, buf))
        return berth_error_set(err, EADDRINUSE, "address %s is already in use", want);
    return 0;
}

int netaddr_pick(const struct berth_cidr *net, const char *gw, json_t *used, const char *want,
                 char buf[INET6_ADDRSTRLEN], struct berth_error **err)
{
    unsigned char a[16] = {0};
    char text[80];
    netaddr_text(net, text, sizeof(text));
    if (want && *want)
        return want_check(net, text, gw, used, want, buf, err);
    /* IPv4 leaves out the broadcast address; a large IPv6 subnet is never
     * searched further than its used addresses + 2: one of those is free */
    unsigned long long size = netaddr_subnet_size(net), i;
    unsigned long long end = net->family == AF_INET ? size - 1 : size;
    if (net->family != AF_INET && end > json_object_size(used) + 3)
        end = json_object_size(used) + 3;
    for (i = 1; i < end; i++) {
        netaddr_nth(net, i, a);
        inet_ntop(net->family, a, buf, INET6_ADDRSTRLEN);
        if (!streq(buf, gw) && !json_object_get(used, buf))
            return 0;
    }
    return berth_error_set(err, ENOSPC, "no free address in %s", text);
}

void netaddr_mac(const char *ip, char buf[18])
{
    unsigned char a[4] = {0};
    inet_pton(AF_INET, ip, a);
    snprintf(buf, 18, "02:42:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3]);
}
