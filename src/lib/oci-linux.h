#pragma once
/* The "linux" object of config.json (namespaces, devices, resources, seccomp,
 * paths); split from oci.c by concern. */
#include <jansson.h>
#include <stddef.h>

struct berth_config;
struct berth_error;
struct berth_resources;
struct berth_seccomp;

int berth_oci_parse_linux(json_t *linux_obj, struct berth_config *c, struct berth_error **err);
void berth_oci_free_linux(struct berth_config *c);

/* linux.seccomp (oci-seccomp.c) and linux.resources (oci-resources.c). */
int berth_oci_parse_seccomp(json_t *linux_obj, struct berth_config *c, struct berth_error **err);
/* The i-th operator name linux.seccomp takes ("SCMP_CMP_NE" …), NULL past
 * the last. */
const char *berth_seccomp_op_name(size_t i);
void berth_oci_free_seccomp(struct berth_seccomp *s);
int berth_oci_parse_resources(json_t *linux_obj, struct berth_config *c, struct berth_error **err);
/* A linux.resources object itself (`update -r`) into `r`, which the caller
 * zeroed; fields are named by their config path ("linux.resources.cpu.shares"). */
int berth_oci_parse_resources_object(json_t *res, struct berth_resources *r,
                                     struct berth_error **err);
/* Frees what berth_oci_parse_resources allocated in `r` (not `r` itself). */
void berth_oci_free_resources(struct berth_resources *r);
