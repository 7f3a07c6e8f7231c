#pragma once
/* Between netctr.c (namespaces, links, ports) and netfiles.c (the
 * container's hostname, hosts and resolv.conf). */
#include <jansson.h>

struct berth_error;
struct ctr;

/* EXEC/netns/ID + suffix ("" the namespace file, ".json" the record). */
char *netctr_path(const char *id, const char *suffix);
/* EXEC/netns/ID.json, or NULL. */
json_t *netctr_record(const char *id);

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
