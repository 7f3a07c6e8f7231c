#pragma once
/* A create body's checks that need no disk (body.c); its mounts are
 * mounts.h's, its user user.h's. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct berth_error;

/* The request body as a JSON object (empty: {}); EINVAL "invalid JSON: ...". */
int body_parse(const char *text, size_t len, json_t **ret, struct berth_error **err);

/* Checks the body of POST /containers/create and the ?name= (may be NULL)
 * against the allow-list of the fields berth honours: any other field that
 * is set (not absent, null, false, 0, "", [] or {}) is refused naming it
 * ("HostConfig.ShmSize is not supported by berth yet"); then the types and
 * values of the honoured ones, the name, the network mode (*ret_net:
 * "default" when unset, else as given: "none", "host", "container:REF" or a
 * network's name, which create.c resolves and looks up) and the
 * network fields (netopts.h). EINVAL with the message. */
int body_check(json_t *body, const char *name, const char **ret_net, struct berth_error **err);

/* The record's HostConfig: the honoured fields of the body's (which
 * body_check passed), LogConfig and NetworkMode normalised. New reference. */
json_t *body_host_config(json_t *body, const char *net);

/* The container's process (Args, Env, Cwd, Uid, Gid, AdditionalGids,
 * Hostname) from the body over the image config's Entrypoint, Cmd, Env,
 * WorkingDir and User, by Docker's rules. A user name or group name is
 * looked up in the container's /etc/passwd and /etc/group in `layers`
 * (bottom first, NULL-terminated; NULL: no files). EINVAL for no command,
 * an unknown user or group, a relative cwd. With HostConfig.Init the
 * args start with "/sbin/docker-init", "--". */
int body_process(json_t *body, json_t *imgcfg, const char *hostname, char *const *layers,
                 json_t **ret, struct berth_error **err);

bool body_name_valid(const char *n);

/* Docker's "not set" all the way down: absent, null, false, 0, "", [],
 * or an object of such (RestartPolicy {"Name":""}). */
bool body_unset(json_t *v);

/* update-body.c: the fields a docker update body changes into *ret (a new
 * object): CpuShares, NanoCpus, CpuPeriod, CpuQuota, CpusetCpus,
 * CpusetMems, Memory, MemoryReservation, MemorySwap, PidsLimit,
 * BlkioWeight; Docker's 0 and "" leave a value as it is (PidsLimit 0 or
 * -1 means unlimited). EINVAL "F cannot be updated by berth" for any other
 * field that is set (RestartPolicy, KernelMemory...), or a bad type. */
int body_update_changes(json_t *body, json_t **ret, struct berth_error **err);

/* The resource values of a HostConfig (memory, CPU, cpusets against the
 * host, blkio weight and device throttles), as body_check checks them;
 * `update` checks the merged HostConfig with it. EINVAL. */
int body_check_resources(json_t *host, struct berth_error **err);
/* Docker's checks of HostConfig.RestartPolicy (with AutoRemove): EINVAL. */
int body_check_restart_policy(json_t *host, struct berth_error **err);
