#pragma once
/* Per-container records under the runtime root: ROOT/ID/ holds state.json
 * and, while the container is created but not started, exec.fifo. The
 * directory itself is the lock (flock): commands that change the container
 * hold it exclusively; readers only try a shared lock and never wait, so a
 * hung `create` cannot block `state` or `list`.
 *
 * Crash safety: `create` writes a record (phase "creating", naming the
 * cgroups it is about to make and its own pid) before it makes anything,
 * and a final one once the container is set up. A runtime killed at any
 * point leaves a record that `delete --force` can finish, and a directory
 * without a record only before anything else exists. */
#include <stdbool.h>
#include <sys/types.h>

struct berth_error;

enum berth_phase {
    BERTH_PHASE_CREATING = 0, /* create has not finished (or died) */
    BERTH_PHASE_CREATED,      /* create finished: status from the init */
};

struct berth_state {
    char *id;
    enum berth_phase phase;
    pid_t owner;                    /* the process running create */
    unsigned long long owner_start; /* its start time */
    pid_t pid;                      /* container init, as seen from the runtime; 0 unknown */
    unsigned long long pid_start;   /* its start time, to detect PID reuse */
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

enum berth_lock {
    BERTH_LOCK_WRITE,     /* exclusive, waits for it */
    BERTH_LOCK_TRY_WRITE, /* exclusive if free at once; else unlocked and *ret_busy */
    BERTH_LOCK_READ,      /* shared if free at once; else unlocked and *ret_busy */
};

#define BERTH_EXEC_FIFO  "exec.fifo"
#define BERTH_STATE_FILE "state.json"
/* The config the container was created with, for exec: the bundle may
 * change or go away while the container runs. */
#define BERTH_CONFIG_FILE "config.json"

/* Container ids: [A-Za-z0-9][A-Za-z0-9_.+-]{0,127}; EINVAL otherwise. */
int berth_state_validate_id(const char *id, struct berth_error **err);

/* Creates ROOT (0700, parents too) and ROOT/ID, locks it exclusively, and
 * returns the directory fd. EEXIST "container 'ID' already exists". */
int berth_state_create(const char *root, const char *id, struct berth_error **err);

/* Opens ROOT/ID with the lock `lock` asks for and returns the fd.
 * ENOENT "container 'ID' does not exist". With the TRY and READ modes,
 * *ret_busy tells that another process held the lock (the fd is then not
 * locked); ret_busy may be NULL for BERTH_LOCK_WRITE. */
int berth_state_open(const char *root, const char *id, enum berth_lock lock, bool *ret_busy,
                     struct berth_error **err);

/* Takes the exclusive lock of an open state directory, waiting at most
 * `timeout_us`; EBUSY when it stays held. */
int berth_state_lock_wait(int dirfd, const char *id, unsigned long long timeout_us,
                          struct berth_error **err);

/* Writes the record atomically (temporary file, then rename). */
int berth_state_write(int dirfd, const struct berth_state *s, struct berth_error **err);
/* Reads the record; ENOENT when there is none yet (a create killed before
 * its first record). */
int berth_state_read(int dirfd, struct berth_state **ret, struct berth_error **err);
void berth_state_free(struct berth_state *s);

/* Current status: `s` may be NULL (no record yet); `busy` is what
 * berth_state_open said. A record still "creating" is CREATING while its
 * lock is held and STOPPED once nobody holds it (the create died). Created
 * needs the init still holding the exec fifo: once it has read `start`'s
 * byte the container is running even if `start` died before removing the
 * fifo. */
enum berth_status berth_state_status(int dirfd, const struct berth_state *s, bool busy);
const char *berth_status_name(enum berth_status st);

/* Removes ROOT/ID and everything in it. */
int berth_state_remove(const char *root, const char *id, struct berth_error **err);

/* Container ids under ROOT, sorted; a missing ROOT is an empty list. */
int berth_state_list(const char *root, char ***ret_ids, struct berth_error **err);

/* "2026-11-23T08:32:39.123456789Z" for now. Caller frees. */
char *berth_rfc3339_now(void);
