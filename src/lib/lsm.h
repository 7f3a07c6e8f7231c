#pragma once
/* AppArmor and SELinux: process.apparmorProfile, process.selinuxLabel and
 * linux.mountLabel. A field whose security module the host does not run is
 * refused (berth_lsm_check); where it runs, the label is applied. */
#include <stdbool.h>

struct berth_config;
struct berth_process;
struct berth_error;

bool berth_lsm_apparmor_enabled(void);
bool berth_lsm_selinux_enabled(void);

/* EINVAL naming the field when the config asks for a label of a security
 * module this host does not have. */
int berth_lsm_check(const struct berth_config *c, struct berth_error **err);

/* In the container's init, with the container's /proc mounted, right before
 * execve: the AppArmor profile and SELinux label the payload is exec'd
 * into. A no-op without either field. */
int berth_lsm_apply_exec(const struct berth_process *p, struct berth_error **err);

/* Mount data for a file system mount with linux.mountLabel: `data` plus
 * context="LABEL" for the types that take it (tmpfs, devpts, mqueue), as a
 * new string, or NULL when nothing is added. */
char *berth_lsm_mount_data(const char *type, const char *data, const char *mount_label);
