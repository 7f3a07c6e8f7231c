#pragma once
/* linux.resources as `update` takes it: runc's command-line options and a
 * resources object read from a file, into struct berth_resources (oci.h).
 * Pure parsing: nothing here touches the kernel. */
#include <stddef.h>
#include <stdint.h>

struct berth_error;
struct berth_resources;

/* Sets the field that runc update's option `--NAME` changes, from its
 * value: memory, memory-reservation, memory-swap, kernel-memory,
 * kernel-memory-tcp (sizes or -1), cpu-shares (also runc's "cpu-share"),
 * cpu-quota (-1 or >= 1000), cpu-period, cpu-rt-period, cpu-rt-runtime,
 * cpuset-cpus, cpuset-mems, pids-limit (-1 unlimited, 0 unchanged) and
 * blkio-weight (10..1000, 0 unchanged), with the ranges the config parser
 * applies. EINVAL "invalid value 'V' for '--NAME': WHY", or "unknown
 * option '--NAME'"; `r` is unchanged then. */
int berth_resources_set_option(struct berth_resources *r, const char *name, const char *value,
                               struct berth_error **err);

/* The rules that span fields, checked once every field is set: swap (memory
 * plus swap) may not be below the memory limit. EINVAL naming both. */
int berth_resources_check(const struct berth_resources *r, struct berth_error **err);

/* Parses `text` (len bytes), a JSON linux.resources object, into *ret,
 * which it zeroes first; free with berth_resources_free. EINVAL "not JSON:
 * ..." or "not a JSON object", or naming the bad field by its config path
 * ("linux.resources.memory.limit"). */
int berth_resources_from_json(const char *text, size_t len, struct berth_resources *ret,
                              struct berth_error **err);

/* Frees what `r` holds (not `r`), as set by the calls above. */
void berth_resources_free(struct berth_resources *r);
