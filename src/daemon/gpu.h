#pragma once
/* GPUs and CDI devices (issue 17): `--gpus all|N|device=ID[,ID][,shared]`
 * (Docker's HostConfig.DeviceRequests with the "gpu" capability) and
 * `--device VENDOR/CLASS=NAME` (a request with Driver "cdi").
 *
 * GPUs come from a provider: NVML through dlopen of libnvidia-ml.so.1 when
 * it loads (no build dependency on CUDA), or a simulated one, a JSON file
 * (berthd --gpu-sim FILE, or BERTH_GPU_SIM) that describes GPUs with their
 * memory and the character device each one is, so that allocation,
 * exclusivity and release are tested without hardware:
 *   {"gpus": [{"index": 0, "uuid": "GPU-sim-0", "name": "...",
 *              "memory_total": BYTES, "memory_used": BYTES,
 *              "device": "/path/of/a/char/device"}]}
 * At each start berthd picks the GPUs (the N with the most free memory now
 * among those no running container holds; `shared` ones may be held by
 * other shared requests), and writes the container's gpus.json: the GPUs
 * and the container edits (CDI's containerEdits: deviceNodes, mounts, env,
 * hooks) that the shim applies. A GPU is held while its container runs:
 * the next start counts the running containers' gpus.json, so an exit or a
 * crash frees it with nothing to clean.
 *
 * CDI specs (JSON or YAML) are read from /etc/cdi and /var/run/cdi (or the
 * dirs of --cdi-spec-dir) at each start that asks for one. */
#include <jansson.h>
#include <stdbool.h>

struct berth_error;
struct ctr;

/* berthd's flags */
void gpu_set_sim(const char *file);
void gpu_add_cdi_dir(const char *dir);

/* At a start of c with HostConfig host: 0 when it asks for no device,
 * 1 after writing gpus.json, < 0 with a message naming the request that
 * cannot be met (no GPU, no free GPU, an unknown id or CDI device). */
int gpu_assign(const struct ctr *c, json_t *host, struct berth_error **err);
/* After gpu_assign returned 1 and the shim was started (or not): until
 * then no other start chooses GPUs, as c is not yet seen running. */
void gpu_assign_done(const struct ctr *c, bool started);

/* The GPUs the provider sees now, for `berth info`:
 * [{"Index","UUID","Name","MemoryTotal","MemoryUsed"}], NULL without any. */
json_t *gpu_list_json(void);

/* cdi.c: the merged containerEdits of the qualified device `name`
 * ("vendor.com/class=dev"): the spec's own, then the device's. ENOENT
 * "unresolvable CDI device NAME" when no spec in `dirs` (NULL-terminated)
 * has it; EINVAL for a bad name or spec. New reference. */
json_t *cdi_device_edits(const char *const *dirs, const char *name, struct berth_error **err);
/* The devices of kind `kind` ("nvidia.com/gpu") in the specs: {name: edits}. */
json_t *cdi_kind_devices(const char *const *dirs, const char *kind);
