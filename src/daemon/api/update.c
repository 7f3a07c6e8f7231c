/* POST /containers/{id}/update (docker update): Docker's UpdateConfig
 * body; the answer {"Warnings":[]}. The work is update.c's. */
#include "api.h"
#include "../daemon.h"
#include "error.h"

enum MHD_Result api_update(struct request *r, struct ctr *c)
{
    enum MHD_Result ret;
    struct berth_error *err = NULL;
    json_t *body = api_body_json(r, &ret);
    if (body == NULL)
        return ret;
    int rc = ctr_update(c, body, &err);
    json_decref(body);
    if (rc < 0)
        return api_error(r, err);
    return api_json(r, 200, json_pack("{s:[]}", "Warnings"));
}
