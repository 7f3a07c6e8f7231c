/* The body of POST /containers/{id}/update (Docker's UpdateConfig): the
 * resource fields berth can change and RestartPolicy, apart from update.c so the fuzz
 * target of the API bodies (tests/fuzz/fuzz-api-body.c) reaches it. */
#include "body.h"
#include "error.h"
#include "util.h"

#include <errno.h>

static const char *const fields[] = {
    "CpuShares", "NanoCpus",          "CpuPeriod",  "CpuQuota",  "CpusetCpus",  "CpusetMems",
    "Memory",    "MemoryReservation", "MemorySwap", "PidsLimit", "BlkioWeight",
};

static bool is_field(const char *k)
{
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
        if (streq(fields[i], k))
            return true;
    return false;
}

/* The fields the body changes (Docker: 0 and "" leave a value as it is;
 * PidsLimit 0 or -1 is unlimited) into *ret. EINVAL naming a field berth
 * cannot update, or a bad type. */
int body_update_changes(json_t *body, json_t **ret, struct berth_error **err)
{
    const char *k;
    json_t *v, *d;
    if (!json_is_object(body))
        return berth_error_set(err, EINVAL, "the request body is not a JSON object");
    d = json_object();
    json_object_foreach(body, k, v)
    {
        bool str = streq(k, "CpusetCpus") || streq(k, "CpusetMems");
        if (streq(k, "RestartPolicy")) { /* checked with the record (AutoRemove) */
            if (!body_unset(v) && !json_is_object(v)) {
                json_decref(d);
                return berth_error_set(err, EINVAL, "invalid type for field '%s'", k);
            }
            if (!body_unset(v))
                json_object_set(d, k, v);
            continue;
        }
        if (!is_field(k)) {
            if (body_unset(v))
                continue;
            json_decref(d);
            return berth_error_set(err, EINVAL, "%s cannot be updated by berth", k);
        }
        if (json_is_null(v))
            continue;
        if (str ? !json_is_string(v) : !json_is_integer(v)) {
            json_decref(d);
            return berth_error_set(err, EINVAL, "invalid type for field '%s'", k);
        }
        if (streq(k, "PidsLimit") || !body_unset(v))
            json_object_set(d, k, v);
    }
    *ret = d;
    return 0;
}
