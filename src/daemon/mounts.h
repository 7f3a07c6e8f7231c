#pragma once
/* The mounts of a create body (mounts.c). */
#include <jansson.h>
#include <stdbool.h>

struct berth_error;

/* The mounts the body asks for (HostConfig.Binds, .Mounts,
 * .Tmpfs, the body's and the image's Volumes), in Docker's inspect form
 * {"Type","Name","Source","Destination","Driver","Mode","RW",
 * "Propagation"} plus berth's "Options" (tmpfs data and flags), "Create"
 * (a -v bind source created when missing, as docker does) and "NoCopy".
 * A volume without a name (anonymous) has "Name": "". Nothing is looked
 * at on disk. EINVAL naming the bad spec. */
int mounts_parse(json_t *body, json_t *imgcfg, json_t **ret, struct berth_error **err);

/* docker's local volume driver names: [a-zA-Z0-9][a-zA-Z0-9_.-]+, at most
 * 128 bytes (volumes.c checks `volume create` names with it too). */
bool mounts_volume_name_valid(const char *n);
