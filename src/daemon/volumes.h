#pragma once
/* Named and anonymous volumes (volumes.c): docker's "local" driver, a
 * directory DATA/volumes/NAME/_data with the record DATA/volumes/NAME/
 * volume.json {"CreatedAt","Labels"}. An anonymous volume has a 64-hex
 * name and the label "com.docker.volume.anonymous" as docker gives it.
 * Callers hold engine.lock around every call. */
#include <jansson.h>
#include <stdbool.h>

struct berth_error;

/* Docker's volume object {"Name","Driver","Mountpoint","CreatedAt",
 * "Labels","Scope","Options"}; NULL + ENOENT "get NAME: no such volume". */
json_t *volume_get(const char *name, struct berth_error **err);
/* Creates volume `name` (NULL: an anonymous one) unless it exists; returns
 * it as volume_get does. EINVAL for a bad name. */
json_t *volume_create(const char *name, json_t *labels, struct berth_error **err);
/* Every volume. */
json_t *volume_list(void);
/* Removes it; EBUSY (409) "remove NAME: volume is in use - [ID]" while a
 * container's record mounts it (force does not override that, as
 * docker), ENOENT unless force. */
int volume_remove(const char *name, bool force, struct berth_error **err);
/* Removes every volume no container uses; the names go to *ret_names. */
void volume_prune(json_t **ret_names);

/* For a create: gives each volume mount of `mounts` (mounts_parse's) its
 * volume (a new anonymous one for "Name": ""), Source the volume's _data;
 * creates a missing -v bind source, refuses a missing --mount one. On
 * failure, the volumes made here are removed again. */
int volumes_prepare(json_t *mounts, struct berth_error **err);
/* Removes the anonymous volumes of `mounts` that no container uses
 * (docker's rm -v, --rm); every volume made by volumes_prepare when
 * `all_new` (a create that failed). */
void volumes_release(json_t *mounts, bool all_new);
/* The record's Mounts as docker's inspect shows them (berth's own keys
 * left out). New reference. */
json_t *volumes_inspect_mounts(json_t *rec);
