#pragma once
/* Between netctr.c (namespaces, links, ports) and netfiles.c (the
 * container's hostname, hosts and resolv.conf). */
#include <jansson.h>
#include <stdbool.h>

struct berth_error;
struct ctr;

/* EXEC/netns/ID + suffix (".json": the record). */
char *netctr_path(const char *id, const char *suffix);
/* EXEC/netns/ID.json, or NULL. */
json_t *netctr_record(const char *id);
/* Every such record: {ID: record}. */
json_t *netctr_records(void);

/* Writes c's hostname, hosts and resolv.conf into its dir, for the mode
 * and networks in rt (netctr's record). */
int netfiles_write(struct ctr *c, json_t *rt, struct berth_error **err);
/* container:REF: c gets a copy of from's three files. */
int netfiles_copy(struct ctr *c, struct ctr *from, struct berth_error **err);
/* Rewrites c's hosts file in place (it is bound into the running c). */
void netfiles_rewrite_hosts(const struct ctr *c, json_t *rt);
/* Rewrites the hosts file of every running container that shares a
 * user-defined network of rt with `id` (which came or went). */
void netfiles_refresh_peers(const char *id, json_t *rt);

/* netpool.c: a new network namespace bound to a new file EXEC/netns/ns-...
 * (*ret_path, caller frees). */
int netns_new(char **ret_path, struct berth_error **err);
/* At berthd's start: drops the namespace files no record names, starts the
 * thread that keeps namespaces ready for the default network and unmounts
 * released ones. */
void netpool_start(void);
/* A ready namespace for bridge br (with mtu m): *ret_path, its veth's host
 * end (on br, up) in ret_veth, eth0 inside (down, no address), lo up.
 * false when none is ready. */
bool netpool_take(const char *br, unsigned m, char **ret_path, char ret_veth[16]);
/* Unmounts the namespace file `path` soon, off the caller's path (NULL:
 * nothing). */
void netpool_release(const char *path);
