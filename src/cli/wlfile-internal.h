#pragma once
/* What wlfile.c (the document, the top level, the start order) and
 * wlfile-service.c (a service's keys) share: the parse's context and the
 * readers of a node that report "FILE:LINE: what". */
#include "wlfile.h"

#include <yaml.h>

/* the forms a key belongs to */
enum { F_REF = 1, F_COMPOSE = 2, F_BOTH = 3 };

struct ctx {
    yaml_document_t *doc;
    const char *file;
    struct berth_error **err;
    struct wl_project *p;
    unsigned form;
    const char *svc; /* the service being read, for messages */
};

/* Sets *c->err to "FILE:LINE: message" (n's line) and returns -EINVAL. */
int wl_fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
yaml_node_t *wl_node(struct ctx *c, int i);
/* A scalar's text, NULL for a mapping or a list. */
const char *wl_scalar(const yaml_node_t *n);
bool wl_is_null(const yaml_node_t *n);
/* A name of a service, network, volume or container: a letter or digit,
 * then letters, digits, '_', '.' and '-', at most `max` bytes. */
bool wl_name_ok(const char *n, size_t max);
/* YAML 1.1's plain booleans: 1, 0, or -1 for anything else. */
int wl_boolean(const yaml_node_t *n);
/* "in service 'x'" or "at the top level", into buf. */
const char *wl_where(struct ctx *c, char *buf, size_t len);
/* 0 with *ret a non-null scalar's text, else the error naming `key`. */
int wl_want_scalar(struct ctx *c, const yaml_node_t *n, const char *key, const char **ret);
int wl_want_kind(struct ctx *c, const yaml_node_t *n, yaml_node_type_t t, const char *key);
/* A string (shell words) or a list of strings into *ret (replaced). */
int wl_read_argv(struct ctx *c, const yaml_node_t *n, const char *key, json_t **ret);
/* wlfile-service.c: one key of the service `s` (x- keys of Compose are
 * skipped; an unknown one is an error). */
int wl_service_key(struct ctx *c, struct wl_service *s, yaml_node_t *kn, yaml_node_t *vn);
/* A `key: service:NAME` (network_mode, pid, ipc): NAME is then a
 * dependency of s (started first), as in Compose; 0 for other values. */
int wl_service_ref(struct ctx *c, struct wl_service *s, const yaml_node_t *v, const char *key,
                   const char *value);
/* wlfile-flags.c: a Compose key `k` that is a `berth run` flag,
 * container_name, or one berth refuses: 0, -EINVAL (reported), or 1 when
 * `k` is none of these. */
int wl_flag_key(struct ctx *c, struct wl_service *s, const char *k, yaml_node_t *kn,
                yaml_node_t *v);
/* A long-syntax volume (a mapping) as a short-syntax string ("" for a
 * tmpfs, which becomes a --tmpfs flag); NULL when reported. */
char *wl_long_volume(struct ctx *c, struct wl_service *s, yaml_node_t *v);
/* The settings (a mapping: aliases, ipv4_address, ipv6_address) of the
 * network `net` in s->net_opts. */
int wl_network_settings(struct ctx *c, struct wl_service *s, const char *net, yaml_node_t *v);
