#pragma once
/* Per-container state under the runtime root: ROOT/ID/ holds state.json and,
 * while the container is created but not started, exec.fifo. The directory
 * itself is the lock (flock), taken by every command that changes it. */
#include <stdbool.h>
#include <sys/types.h>

struct berth_error;

struct berth_state {
    char *id;
    pid_t pid;                    /* container init, as seen from the runtime */
    unsigned long long pid_start; /* its start time, to detect PID reuse */
    char *bundle;
    char *rootfs;
    char *created; /* RFC 3339, UTC */
    char *oci_version;
    char *annotations_json; /* object text or NULL */
    char *cgroup_json;      /* berth_cgroup_to_json(), or NULL */
    bool has_pidns;         /* the container has its own PID namespace */
};

enum berth_status {
    BERTH_STATUS_CREATING,
    BERTH_STATUS_CREATED,
    BERTH_STATUS_RUNNING,
    BERTH_STATUS_PAUSED,
    BERTH_STATUS_STOPPED,
};

#define BERTH_EXEC_FIFO  "exec.fifo"
#define BERTH_STATE_FILE "state.json"

/* Container ids: [A-Za-z0-9][A-Za-z0-9_.+-]{0,127}; EINVAL otherwise. */
int berth_state_validate_id(const char *id, struct berth_error **err);

/* Creates ROOT (0700, parents too) and ROOT/ID, locks it, and returns the
 * directory fd. EEXIST "container 'ID' already exists". */
int berth_state_create(const char *root, const char *id, struct berth_error **err);

/* Opens and locks ROOT/ID. ENOENT "container 'ID' does not exist". */
int berth_state_open(const char *root, const char *id, struct berth_error **err);

int berth_state_write(int dirfd, const struct berth_state *s, struct berth_error **err);
int berth_state_read(int dirfd, struct berth_state **ret, struct berth_error **err);
void berth_state_free(struct berth_state *s);

/* Current status, computed from the live process and the exec fifo. */
enum berth_status berth_state_status(int dirfd, const struct berth_state *s);
const char *berth_status_name(enum berth_status st);

/* The OCI state document (runtime-spec "state"), as compact JSON text. */
char *berth_state_oci_json(const struct berth_state *s, enum berth_status st);

/* Removes ROOT/ID and everything in it. */
int berth_state_remove(const char *root, const char *id, struct berth_error **err);

/* Container ids under ROOT, sorted; a missing ROOT is an empty list. */
int berth_state_list(const char *root, char ***ret_ids, struct berth_error **err);

/* "2026-11-23T08:32:39.123456789Z" for now. Caller frees. */
char *berth_rfc3339_now(void);
