#pragma once
/* A create body's checks that need no disk (body.c). */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct berth_error;

/* The request body as a JSON object (empty: {}); EINVAL "invalid JSON: ...". */
int body_parse(const char *text, size_t len, json_t **ret, struct berth_error **err);

/* Checks the body of POST /containers/create and the ?name= (may be NULL):
 * field types, options berth cannot honour yet (EINVAL naming the field),
 * the name, the network mode (*ret_net: "none" or "host"). */
int body_check(json_t *body, const char *name, const char **ret_net, struct berth_error **err);

/* The container's process (Args, Env, Cwd, Uid, Gid, Hostname) from the
 * body over the image config's Entrypoint, Cmd, Env, WorkingDir and User,
 * by Docker's rules. EINVAL for no command, a user name, a relative cwd. */
int body_process(json_t *body, json_t *imgcfg, const char *hostname, json_t **ret,
                 struct berth_error **err);

bool body_name_valid(const char *n);
