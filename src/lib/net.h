#pragma once
/* Network setup inside the container's namespace. */
struct berth_error;

/* Brings up "lo" in the calling process's network namespace: a new one
 * starts with it down, and runc and crun bring it up too. */
int berth_net_loopback_up(struct berth_error **err);
