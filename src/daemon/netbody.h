#pragma once
/* The body of POST /networks/create (Docker's NetworkCreateRequest) into
 * networks.h's struct net_create. Untrusted input from any client of the
 * API: only the body is read, never berthd's state (whether the name is
 * taken or the subnet free is net_create's question), so it sits in
 * berthd-body and the net-body fuzz target reaches all of it. */
#include <jansson.h>

struct berth_error;
struct net_create;

/* Fills *c from body (a JSON object): Name, Driver ("" or "bridge"),
 * Internal, EnableIPv6, Options (com.docker.network.bridge.name and
 * com.docker.network.driver.mtu), Labels, and IPAM's Config (one subnet,
 * with its gateway, of each family). c's strings and objects point into
 * body (borrowed: body must outlive *c). What berth cannot honour is
 * refused by name: EINVAL "network name is required", "network driver 'X'
 * is not supported by berth (bridge only)", ingress, config-only and
 * non-local scope networks, any other option, IPAM drivers, options,
 * IPRange and AuxiliaryAddresses, a second subnet of a family, a gateway
 * without its subnet, an MTU outside 68-65535, a label or option that is
 * not a string, and a field of the wrong type. */
int netbody_create_parse(json_t *body, struct net_create *c, struct berth_error **err);
