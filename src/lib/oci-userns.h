#pragma once
/* linux.uidMappings, gidMappings, timeOffsets and personality of
 * config.json: what a user or time namespace and the personality need;
 * split from oci-linux.c by concern. */
#include <jansson.h>

struct berth_config;
struct berth_error;

/* Parses the four fields of the "linux" object into `c` and checks them
 * against c->ns (already parsed): mappings need a new user namespace and a
 * new one needs both mappings; offsets need a new time namespace. EINVAL
 * naming the field otherwise. */
int berth_oci_parse_userns(json_t *linux_obj, struct berth_config *c, struct berth_error **err);
void berth_oci_free_userns(struct berth_config *c);

/* The personality(2) domain for a linux.personality.domain ("LINUX",
 * "LINUX32"); -1 if unknown. */
long berth_personality_domain(const char *name);
/* The personality(2) flag for a name in linux.personality.flags
 * ("ADDR_NO_RANDOMIZE" …); -1 if unknown. */
long berth_personality_flag(const char *name);
