/* /networks: Docker's network API over networks.c (the bridge driver;
 * "host" and "none" are listed and inspected). What berth cannot honour
 * in a create body is refused by name, never ignored (netbody.c). */
#include "api.h"
#include "../daemon.h"
#include "../netbody.h"
#include "../networks.h"
#include "images-query.h"
#include "store.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Docker answers 403 for what predefined networks refuse. */
static enum MHD_Result net_error(struct request *r, struct berth_error *err)
{
    if (err && err->errnum == EPERM) {
        enum MHD_Result ret = api_message(r, 403, "%s", err->msg);
        berth_error_clear(&err);
        return ret;
    }
    return api_error(r, err);
}

static enum MHD_Result create(struct request *r)
{
    enum MHD_Result ret;
    struct berth_error *err = NULL;
    struct net_create c;
    struct net_info n;
    json_t *body = api_body_json(r, &ret);
    if (body == NULL)
        return ret;
    if (netbody_create_parse(body, &c, &err) < 0 || net_create(&c, &n, &err) < 0)
        ret = net_error(r, err);
    else
        ret = api_json(r, 201, json_pack("{s:s,s:s}", "Id", n.id, "Warning", ""));
    json_decref(body);
    return ret;
}

/* ?filters= as {KEY: [VALUE...]} (Docker sends {KEY: {VALUE: true}});
 * NULL after queueing a 400 for bad JSON or a filter berth does not know. */
static json_t *filters_parse(struct request *r, bool *ret_bad, enum MHD_Result *ret)
{
    static const char *const keys[] = {"name",  "id",    "driver",  "type",
                                       "label", "scope", "dangling"};
    const char *text = api_arg(r, "filters"), *k, *v;
    json_t *in = text && *text ? json_loads(text, 0, NULL) : json_object(), *vals, *x;
    json_t *out = json_object();
    size_t i;
    *ret_bad = true;
    if (!json_is_object(in)) {
        *ret = api_message(r, 400, "invalid filters: '%s'", text);
        json_decref(in);
        json_decref(out);
        return NULL;
    }
    json_object_foreach(in, k, vals)
    {
        bool known = false;
        for (i = 0; i < ARRAY_SIZE(keys); i++)
            known |= streq(k, keys[i]);
        if (!known) {
            *ret = api_message(r, 400, "invalid filter '%s'", k);
            json_decref(in);
            json_decref(out);
            return NULL;
        }
        json_t *list = json_array();
        if (json_is_array(vals))
            json_array_foreach(vals, i, x) json_array_append(list, x);
        else
            json_object_foreach(vals, v, x) json_array_append_new(list, json_string(v));
        json_object_set_new(out, k, list);
    }
    json_decref(in);
    *ret_bad = false;
    return out;
}

static bool builtin(json_t *net)
{
    const char *name = json_string_value(json_object_get(net, "Name"));
    return streq(name, "bridge") || streq(name, "host") || streq(name, "none");
}

/* Whether net matches `want` for filter key k (-1: a bad value). */
static int match_one(json_t *net, const char *k, const char *want)
{
    const char *name = json_string_value(json_object_get(net, "Name"));
    const char *id = json_string_value(json_object_get(net, "Id"));
    if (streq(k, "name"))
        return strstr(name, want) != NULL;
    if (streq(k, "id"))
        return strstr(id, want) != NULL;
    if (streq(k, "driver"))
        return streq(json_string_value(json_object_get(net, "Driver")), want);
    if (streq(k, "scope"))
        return streq(want, "local");
    if (streq(k, "type"))
        return streq(want, "builtin") ? builtin(net) : streq(want, "custom") ? !builtin(net) : -1;
    if (streq(k, "label")) {
        _cleanup_free_ char *key = xstrdup(want);
        char *eq = strchr(key, '=');
        if (eq)
            *eq++ = '\0';
        json_t *l = json_object_get(json_object_get(net, "Labels"), key);
        return l && (eq == NULL || streq(json_string_value(l), eq));
    }
    /* dangling: no container on it, predefined ones excepted */
    bool yes = streq(want, "true") || streq(want, "1");
    if (!yes && !streq(want, "false") && !streq(want, "0"))
        return -1;
    json_t *eps = net_endpoints(id);
    bool dangling = !builtin(net) && json_object_size(eps) == 0;
    json_decref(eps);
    return dangling == yes;
}

/* Every key must match one of its values. */
static int match(json_t *net, json_t *filters, const char **ret_bad)
{
    const char *k;
    json_t *vals, *v;
    size_t i;
    json_object_foreach(filters, k, vals)
    {
        int any = 0;
        json_array_foreach(vals, i, v)
        {
            int m = match_one(net, k, json_string_value(v) ? json_string_value(v) : "");
            if (m < 0) {
                *ret_bad = k;
                return -1;
            }
            any |= m;
        }
        if (!any)
            return 0;
    }
    return 1;
}

static enum MHD_Result list(struct request *r)
{
    enum MHD_Result ret;
    bool bad;
    const char *bad_key = NULL;
    json_t *filters = filters_parse(r, &bad, &ret), *all, *out, *net;
    size_t i;
    if (bad)
        return ret;
    all = net_list();
    out = json_array();
    json_array_foreach(all, i, net)
    {
        int m = match(net, filters, &bad_key);
        if (m < 0)
            break;
        if (m)
            json_array_append(out, net);
    }
    json_decref(all);
    json_decref(filters);
    if (bad_key) {
        json_decref(out);
        return api_message(r, 400, "invalid value for filter '%s'", bad_key);
    }
    return api_json(r, 200, out);
}

static bool unset_or_object(json_t *v)
{
    return v == NULL || json_is_null(v) || json_is_object(v);
}

/* connect's EndpointConfig: IPAMConfig.IPv4Address/IPv6Address, Aliases
 * and MacAddress are honoured; any other set field is refused by name. */
static int endpoint_check(json_t *ec, struct berth_error **err)
{
    const char *k;
    json_t *v;
    json_object_foreach(ec, k, v)
    {
        bool empty = json_is_null(v) || json_is_false(v) ||
                     (json_is_integer(v) && json_integer_value(v) == 0) ||
                     (json_is_string(v) && !*json_string_value(v)) ||
                     (json_is_array(v) && json_array_size(v) == 0) ||
                     (json_is_object(v) && json_object_size(v) == 0);
        if (streq(k, "Aliases") && json_is_array(v)) {
            size_t i;
            json_t *a;
            json_array_foreach(
                v, i,
                a) if (!json_is_string(a) ||
                       !*json_string_value(
                           a)) return berth_error_set(err, EINVAL,
                                                      "EndpointConfig.Aliases: strings expected");
        } else if (streq(k, "IPAMConfig") && json_is_object(v)) {
            const char *f;
            json_t *a;
            json_object_foreach(v, f, a)
            {
                unsigned char buf[16];
                const char *ip = json_string_value(a);
                bool ok = streq(f, "IPv4Address") ? ip && (!*ip || inet_pton(AF_INET, ip, buf) == 1)
                          : streq(f, "IPv6Address")
                              ? ip && (!*ip || inet_pton(AF_INET6, ip, buf) == 1)
                              : json_is_null(a);
                if (!ok)
                    return berth_error_set(err, EINVAL, "invalid EndpointConfig.IPAMConfig.%s", f);
            }
        } else if (streq(k, "MacAddress") && json_is_string(v)) {
            unsigned b[6];
            char end;
            const char *m = json_string_value(v);
            if (*m && sscanf(m, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                             &b[5], &end) != 6)
                return berth_error_set(err, EINVAL, "invalid MAC address: %s", m);
        } else if (!empty && !streq(k, "NetworkID") && !streq(k, "EndpointID")) {
            return berth_error_set(err, EINVAL, "EndpointConfig.%s is not supported by berth yet",
                                   k);
        }
    }
    return 0;
}

/* POST /networks/{id}/connect {"Container", "EndpointConfig"} and
 * /disconnect {"Container", "Force"} (netctr.c does both). */
static enum MHD_Result connect_one(struct request *r, const char *ref, bool connect)
{
    struct berth_error *err = NULL;
    enum MHD_Result ret;
    json_t *body = api_body_json(r, &ret);
    if (body == NULL)
        return ret;
    const char *cref = json_string_value(json_object_get(body, "Container"));
    json_t *ec = json_object_get(body, "EndpointConfig");
    struct ctr *c = NULL;
    struct net_info n;
    int rc = 0;
    if (cref == NULL || *cref == '\0')
        rc = berth_error_set(&err, EINVAL, "the body names no Container");
    else if (!unset_or_object(ec))
        rc = berth_error_set(&err, EINVAL, "EndpointConfig must be an object");
    else if (net_lookup(ref, &n, &err) < 0 || ctr_find(cref, &c, &err) < 0)
        rc = -ENOENT;
    else if (connect && endpoint_check(ec, &err) < 0)
        rc = -EINVAL;
    else
        rc = connect ? netctr_connect(c, n.name, json_is_object(ec) ? ec : NULL, &err)
                     : netctr_disconnect(c, n.name, &err);
    ctr_free(c);
    json_decref(body);
    if (rc == -EEXIST && err) /* Docker's status for it */
        err->errnum = EPERM;
    return rc < 0 ? net_error(r, err) : api_empty(r, 200);
}

static enum MHD_Result one(struct request *r, const char *ref, const char *action)
{
    struct berth_error *err = NULL;
    struct net_info n;
    if (action && (streq(action, "connect") || streq(action, "disconnect")) &&
        streq(r->method, "POST"))
        return connect_one(r, ref, streq(action, "connect"));
    if (action)
        return api_message(r, 404, "page not found");
    if (streq(r->method, "GET")) {
        if (net_lookup(ref, &n, &err) < 0)
            return net_error(r, err);
        return api_json(r, 200, net_inspect(&n));
    }
    if (!streq(r->method, "DELETE"))
        return api_message(r, 404, "page not found");
    return net_remove(ref, &err) < 0 ? net_error(r, err) : api_empty(r, 204);
}

/* Docker's network prune filters: until, label, label! (images-query.c
 * reads them as image prune's, which also knows dangling). */
static enum MHD_Result prune(struct request *r)
{
    struct store_prune f = {0};
    json_t *filters = NULL;
    _cleanup_free_ char *bad = images_prune_filters_plain(api_arg(r, "filters"), &f, &filters);
    enum MHD_Result ret =
        bad ? api_message(r, 400, "%s", bad)
            : api_json(r, 200, json_pack("{s:o}", "NetworksDeleted", net_prune(&f)));
    json_decref(filters);
    return ret;
}

enum MHD_Result api_networks(struct request *r)
{
    const char *rest = r->path + strlen("/networks");
    if ((*rest == '\0' || streq(rest, "/")) && streq(r->method, "GET"))
        return list(r);
    if (streq(rest, "/create") && streq(r->method, "POST"))
        return create(r);
    if (streq(rest, "/prune") && streq(r->method, "POST"))
        return prune(r);
    if (rest[0] != '/' || rest[1] == '\0')
        return api_message(r, 404, "page not found");
    _cleanup_free_ char *ref = xstrdup(rest + 1);
    char *slash = strchr(ref, '/');
    if (slash)
        *slash++ = '\0';
    return one(r, ref, slash);
}
