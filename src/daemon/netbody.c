/* The create body of /networks (netbody.h): Docker's NetworkCreateRequest,
 * with every field berth cannot honour refused by name, never ignored. */
#include "netbody.h"
#include "error.h"
#include "networks.h"
#include "util.h"

#include <errno.h>
#include <string.h>

static bool nonempty(json_t *v)
{
    return (json_is_object(v) && json_object_size(v) > 0) ||
           (json_is_string(v) && *json_string_value(v)) || json_is_true(v);
}

/* One IPAM.Config entry into c: its subnet's family says which. */
static int ipam_entry(json_t *e, struct net_create *c, struct berth_error **err)
{
    const char *subnet = json_string_value(json_object_get(e, "Subnet"));
    const char *gw = json_string_value(json_object_get(e, "Gateway"));
    if (!json_is_object(e))
        return berth_error_set(err, EINVAL, "invalid IPAM.Config entry: not an object");
    if (nonempty(json_object_get(e, "IPRange")))
        return berth_error_set(err, EINVAL, "IPAM IPRange (--ip-range) is not supported by berth");
    if (nonempty(json_object_get(e, "AuxiliaryAddresses")))
        return berth_error_set(
            err, EINVAL, "IPAM AuxiliaryAddresses (--aux-address) are not supported by berth");
    if (subnet == NULL || *subnet == '\0')
        return berth_error_set(err, EINVAL, "gateway %s needs its subnet (--subnet)", gw ? gw : "");
    bool v6 = strchr(subnet, ':') != NULL;
    const char **s = v6 ? &c->subnet6 : &c->subnet, **g = v6 ? &c->gateway6 : &c->gateway;
    if (*s)
        return berth_error_set(err, EINVAL,
                               "more than one %s subnet (%s, %s): berth takes one of each family",
                               v6 ? "IPv6" : "IPv4", *s, subnet);
    *s = subnet;
    *g = gw;
    return 0;
}

static int ipam_parse(json_t *ipam, struct net_create *c, struct berth_error **err)
{
    const char *driver = json_string_value(json_object_get(ipam, "Driver"));
    json_t *cfg = json_object_get(ipam, "Config"), *e;
    size_t i;
    if (ipam == NULL || json_is_null(ipam))
        return 0;
    if (driver && *driver && !streq(driver, "default"))
        return berth_error_set(err, EINVAL,
                               "IPAM driver '%s' is not supported by berth (default only)", driver);
    if (nonempty(json_object_get(ipam, "Options")))
        return berth_error_set(err, EINVAL, "IPAM options are not supported by berth");
    if (cfg && !json_is_null(cfg) && !json_is_array(cfg))
        return berth_error_set(err, EINVAL, "invalid type for field 'IPAM.Config'");
    json_array_foreach(cfg, i, e)
    {
        int r = ipam_entry(e, c, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int options_parse(json_t *opts, struct net_create *c, struct berth_error **err)
{
    const char *k;
    json_t *v;
    unsigned long long mtu;
    if (opts && !json_is_null(opts) && !json_is_object(opts))
        return berth_error_set(err, EINVAL, "invalid type for field 'Options'");
    json_object_foreach(opts, k, v)
    {
        const char *s = json_string_value(v);
        if (s == NULL)
            return berth_error_set(err, EINVAL, "network option '%s' is not a string", k);
        if (streq(k, "com.docker.network.bridge.name"))
            c->bridge = s;
        else if (streq(k, "com.docker.network.driver.mtu")) {
            if (parse_u64(s, &mtu) < 0 || mtu < 68 || mtu > 65535)
                return berth_error_set(err, EINVAL, "invalid MTU '%s' (68-65535)", s);
            c->mtu = (unsigned)mtu;
        } else
            return berth_error_set(err, EINVAL, "network option '%s' is not supported by berth", k);
    }
    c->options = opts;
    return 0;
}

static int labels_check(json_t *labels, struct berth_error **err)
{
    const char *k;
    json_t *v;
    if (labels && !json_is_null(labels) && !json_is_object(labels))
        return berth_error_set(err, EINVAL, "invalid type for field 'Labels'");
    json_object_foreach(labels, k, v) if (!json_is_string(v)) return berth_error_set(
        err, EINVAL, "label '%s' is not a string", k);
    return 0;
}

int netbody_create_parse(json_t *body, struct net_create *c, struct berth_error **err)
{
    const char *driver = json_string_value(json_object_get(body, "Driver"));
    const char *scope = json_string_value(json_object_get(body, "Scope"));
    memset(c, 0, sizeof(*c));
    c->name = json_string_value(json_object_get(body, "Name"));
    c->internal = json_is_true(json_object_get(body, "Internal"));
    c->ipv6 = json_is_true(json_object_get(body, "EnableIPv6"));
    c->labels = json_object_get(body, "Labels");
    if (c->name == NULL || *c->name == '\0')
        return berth_error_set(err, EINVAL, "network name is required");
    if (driver && *driver && !streq(driver, "bridge"))
        return berth_error_set(
            err, EINVAL, "network driver '%s' is not supported by berth (bridge only)", driver);
    if (json_is_true(json_object_get(body, "Ingress")))
        return berth_error_set(err, EINVAL, "ingress networks are not supported by berth");
    if (json_is_true(json_object_get(body, "ConfigOnly")) ||
        nonempty(json_object_get(json_object_get(body, "ConfigFrom"), "Network")))
        return berth_error_set(err, EINVAL,
                               "config-only networks (--config-only, --config-from) are not "
                               "supported by berth");
    if (scope && *scope && !streq(scope, "local"))
        return berth_error_set(err, EINVAL, "network scope '%s' is not supported by berth (local)",
                               scope);
    int r = labels_check(c->labels, err);
    if (r >= 0)
        r = options_parse(json_object_get(body, "Options"), c, err);
    if (r >= 0)
        r = ipam_parse(json_object_get(body, "IPAM"), c, err);
    return r;
}
