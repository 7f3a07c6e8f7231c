#pragma once
/* The create body's network fields (issue 15), checked before anything is
 * made: HostConfig.NetworkMode ("bridge", "none", "host", "container:REF",
 * or a network's name/id), PortBindings, PublishAllPorts, Dns, DnsSearch,
 * DnsOptions, ExtraHosts; Config.ExposedPorts, Config.MacAddress,
 * Config.Hostname, Config.Domainname; NetworkingConfig.EndpointsConfig
 * (one network: IPAMConfig.IPv4Address/IPv6Address, Aliases, MacAddress).
 * Part of berthd-body, so the api-body fuzz target reaches it. */
#include <jansson.h>

struct berth_error;

/* EINVAL naming the field and the value: an invalid port or protocol
 * ("invalid port '70000/tcp'", "invalid protocol 'sctpx'"), a host range
 * of the wrong size, a bad address, --ip without a user-defined network,
 * fields that do not go with the mode (ports or --dns with --network host
 * or container:, --mac-address with none), more than one network. */
int netopts_check(json_t *body, struct berth_error **err);

/* The ports to publish: PortBindings, and with PublishAllPorts every
 * Config.ExposedPorts (and the image's, merged into Config by then) not
 * bound already, on any free host port. A new array of
 * {"Proto":"tcp"|"udp","HostIp":""|ADDR,"HostPortMin":N,"HostPortMax":M,
 *  "CtrPort":P}; Min = Max = 0: any free port; Min < Max: a free one of
 * the range. One entry per (container port, binding). */
json_t *netopts_ports(json_t *host_config, json_t *config);
