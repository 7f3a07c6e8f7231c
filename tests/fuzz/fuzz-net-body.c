/* libFuzzer target: a request body of POST /networks/create -> berthd's
 * parse of it (src/daemon/netbody.c), then the subnets and gateways it
 * names through the address arithmetic net_create runs on them
 * (src/daemon/netaddr.c), short of berthd's state and the kernel. Any
 * input must give a struct net_create or one error, and a subnet that
 * parses must yield a gateway and a free address for a first container;
 * never a crash, a leak or an out-of-bounds read. */
#include "body.h"
#include "error.h"
#include "netaddr.h"
#include "netbody.h"
#include "netlink.h"
#include "networks.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A subnet of the body as net_create sees it: if it parses, the gateway
 * (given or picked) is an address of it, and a container's address is
 * free beside it. */
static void subnet_try(const char *subnet, const char *gateway, int family)
{
    struct berth_error *err = NULL;
    struct berth_cidr net;
    char gw[INET6_ADDRSTRLEN], ip[INET6_ADDRSTRLEN];
    if (subnet == NULL || *subnet == '\0')
        return;
    int r = netaddr_subnet_parse(subnet, family, &net, &err);
    if (r == 0)
        r = netaddr_gateway_pick(&net, gateway, gw, sizeof(gw), &err);
    if (r == 0) {
        json_t *used = json_object();
        if (netaddr_pick(&net, gw, used, NULL, ip, &err) < 0 || streq(ip, gw))
            __builtin_trap(); /* a subnet that passed has room for a container */
        if (netaddr_pick(&net, gw, used, gw, ip, &err) != -EADDRINUSE)
            __builtin_trap(); /* the gateway is never a container's */
        berth_error_clear(&err);
        json_decref(used);
    }
    if ((r < 0) != (err != NULL))
        __builtin_trap();
    berth_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct berth_error *err = NULL;
    struct net_create c;
    json_t *body = NULL;
    int r = body_parse((const char *)data, size, &body, &err);
    if (r == 0)
        r = netbody_create_parse(body, &c, &err);
    if ((r < 0) != (err != NULL))
        __builtin_trap(); /* a failure must say why */
    if (r == 0) {
        if (c.name == NULL || *c.name == '\0' || (c.subnet && strchr(c.subnet, ':')) ||
            (c.subnet6 && !strchr(c.subnet6, ':')) || (c.mtu && (c.mtu < 68 || c.mtu > 65535)))
            __builtin_trap(); /* what net_create relies on */
        subnet_try(c.subnet, c.gateway, AF_INET);
        subnet_try(c.subnet6, c.gateway6, AF_INET6);
    }
    json_decref(body);
    berth_error_clear(&err);
    return 0;
}
