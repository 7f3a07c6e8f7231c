/* libFuzzer target: a request body of POST /containers/create -> berthd's
 * body checks (src/daemon/body.c), the input that comes from any client of
 * the API (and, for the same bytes, docker update's body checks). Any
 * input must give a process or one error, and never crash,
 * leak or read out of bounds. */
#include "body.h"
#include "error.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct berth_error *err = NULL;
    json_t *body = NULL, *proc = NULL;
    const char *net = NULL;
    /* the image config of the default image */
    json_t *img = json_pack("{s:[s],s:[s]}", "Env", "PATH=/bin", "Cmd", "sh");
    int r = body_parse((const char *)data, size, &body, &err);
    if (r == 0) {
        const char *name = json_string_value(json_object_get(body, "Name"));
        r = body_check(body, name, &net, &err);
    }
    if (r == 0)
        r = body_process(body, img, "fuzz", NULL, &proc, &err);
    if ((r < 0) != (err != NULL) || (r == 0 && proc == NULL))
        __builtin_trap(); /* a failure must say why, a success must give the process */
    /* the same bytes as a docker update body (update-body.c) */
    struct berth_error *uerr = NULL;
    json_t *changes = NULL;
    int u = body ? body_update_changes(body, &changes, &uerr) : 0;
    if (u == 0 && changes)
        u = body_check_resources(changes, &uerr);
    if ((u < 0) != (uerr != NULL))
        __builtin_trap();
    json_decref(changes);
    berth_error_clear(&uerr);
    json_decref(proc);
    json_decref(body);
    json_decref(img);
    berth_error_clear(&err);
    return 0;
}
