#pragma once
/* The "linux" object of config.json (namespaces, devices, resources, seccomp,
 * paths); split from oci.c by concern. */
#include <jansson.h>

struct berth_config;
struct berth_error;
struct berth_resources;
struct berth_seccomp;

int berth_oci_parse_linux(json_t *linux_obj, struct berth_config *c, struct berth_error **err);
void berth_oci_free_linux(struct berth_config *c);

/* linux.seccomp (oci-seccomp.c) and linux.resources (oci-resources.c). */
int berth_oci_parse_seccomp(json_t *linux_obj, struct berth_config *c, struct berth_error **err);
void berth_oci_free_seccomp(struct berth_seccomp *s);
int berth_oci_parse_resources(json_t *linux_obj, struct berth_config *c, struct berth_error **err);
/* Frees what berth_oci_parse_resources allocated in `r` (not `r` itself). */
void berth_oci_free_resources(struct berth_resources *r);
