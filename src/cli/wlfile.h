#pragma once
/* Workload files (issue 17): the reference form (one workload mapping, or
 * a list of them: name, image, cpu, memory, memory_soft, gpu, cpuset,
 * command, env, restart) and a Compose subset (top-level services,
 * networks, volumes) read with libyaml into one validated project. Pure
 * parsing: no daemon, no printing; depends on libyaml, jansson and
 * libberth's error and units only, so tests/unit and tests/fuzz use it. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct berth_error;

enum wl_condition {
    WL_SERVICE_STARTED,
    WL_SERVICE_HEALTHY,
    WL_SERVICE_COMPLETED, /* service_completed_successfully */
};

struct wl_dep {
    char *service;
    enum wl_condition condition;
    int line;
};

struct wl_service {
    char *name;
    int line;           /* of its key or list item, 1-based */
    char *image;        /* none named: berth-workloads (reference form), busybox */
    bool image_given;   /* `image` was in the file */
    json_t *build;      /* Compose's build: {"context", "dockerfile", "args": {K: V},
                         * "target"}, paths as written; NULL: none */
    json_t *command;    /* array of strings (a string is split as shell words); NULL: image's */
    json_t *entrypoint; /* the same */
    json_t *env;        /* array of "K=V" */
    json_t *ports;      /* array of docker -p strings ("8080:80", "127.0.0.1:8080:80/udp") */
    json_t *volumes;    /* array of short-syntax strings (the long syntax turned into
                         * them, tmpfs ones into flags); named ones are declared */
    json_t *networks;   /* array of declared network names ("default" included) */
    char *network_mode; /* NULL: the project's networks */
    struct wl_dep *deps;
    size_t n_deps;
    char *restart;       /* no|always|unless-stopped|on-failure[:N]; NULL: none */
    json_t *healthcheck; /* Docker's Healthcheck object (Test, Interval... in ns); NULL: image's */
    int64_t nano_cpus;   /* 0: unlimited */
    int64_t memory;      /* bytes, 0: unlimited */
    int64_t memory_soft; /* reservation, bytes, 0: none */
    char *cpuset;        /* "0-1", or "auto" (placement by load) */
    json_t *device_requests; /* Docker's HostConfig.DeviceRequests (gpu); NULL: none */
    bool init;               /* Compose's init: docker-init as PID 1 (--init) */
    json_t *flags;           /* more `berth run` flags, from the Compose keys that are one
                              * flag each: ["--workdir", "/app", "--privileged", ...] */
    char *container_name;    /* NULL: PROJECT-SERVICE-1 */
    json_t *net_opts;        /* network name -> {"aliases": [...], "ipv4_address": "...",
                              * "ipv6_address": "..."}, the networks given settings */
    json_t *files;           /* secrets and configs: [{"source": a file as written (relative
                              * to the file's dir), "target": its absolute path in the
                              * container, "what": "secret NAME"}], bound read-only */
};

struct wl_volume {
    char *name;
    bool external;
};

struct wl_network {
    char *name;
    bool external, internal;
    json_t *ipam; /* Docker's IPAM.Config ([{"Subnet", "Gateway"}]); NULL: automatic */
};

struct wl_project {
    char *name;   /* the file's `name:`; NULL: none */
    bool compose; /* the Compose form (else the reference form) */
    struct wl_service *services;
    size_t n_services;
    size_t *order; /* start order: indexes into services, dependencies first */
    struct wl_network *networks;
    size_t n_networks;
    struct wl_volume *volumes;
    size_t n_volumes;
    json_t *secrets, *configs; /* top-level: name -> its file, as written */
};

/* Parses `len` bytes of YAML, every scalar interpolated first as Compose
 * does ($$, $VAR, ${VAR}, ${VAR:-default}, ${VAR:?message}: the caller's
 * environment); `file` names it in messages, which read
 * "FILE:LINE: what" (the line 1-based). The reference form's single
 * workload without a name is named after the file (basename, extension
 * dropped). Unknown keys, bad values, YAML syntax errors, undeclared
 * networks or volumes, unknown services in depends_on and dependency
 * cycles are errors. 0 and *ret (free with wl_project_free), or -EINVAL
 * (-ENOMEM never: allocation failure aborts) with *err set. */
int wl_parse(const char *text, size_t len, const char *file, struct wl_project **ret,
             struct berth_error **err);

void wl_project_free(struct wl_project *p);

/* The service named `name`, or NULL. */
const struct wl_service *wl_service_find(const struct wl_project *p, const char *name);

/* Splits `s` as a POSIX shell would split words (quotes, backslashes; no
 * expansion), as Compose splits a string command. A JSON array of strings,
 * or NULL for an unterminated quote or a trailing backslash. */
json_t *wl_shell_split(const char *s);
