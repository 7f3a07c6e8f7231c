#pragma once
/* Typed, path-reporting accessors over jansson values for the config parser.
 * Each getter looks up `key` in `obj`; a missing key is success with the
 * output untouched (and *ret_present false where offered) unless the field
 * is required. A present key of the wrong type fails with EINVAL and a
 * message naming the full field path, e.g. "'process.args' must be an array
 * of strings". */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct berth_error;

int jget_object(json_t *obj, const char *key, const char *path, json_t **ret,
                struct berth_error **err);
int jget_array(json_t *obj, const char *key, const char *path, json_t **ret,
               struct berth_error **err);
int jget_string(json_t *obj, const char *key, const char *path, bool required, char **ret,
                struct berth_error **err);
int jget_bool(json_t *obj, const char *key, const char *path, bool *ret, struct berth_error **err);
/* Integer in [min, max]; *ret_present tells whether it was given. */
int jget_int(json_t *obj, const char *key, const char *path, int64_t min, int64_t max, int64_t *ret,
             bool *ret_present, struct berth_error **err);
/* Unsigned 64-bit (JSON numbers beyond INT64_MAX arrive as reals). */
int jget_u64(json_t *obj, const char *key, const char *path, uint64_t *ret, bool *ret_present,
             struct berth_error **err);
/* Array of strings to a NULL-terminated vector (empty array: vector with only
 * NULL; missing: *ret stays NULL unless required). */
int jget_strv(json_t *obj, const char *key, const char *path, bool required, char ***ret,
              struct berth_error **err);

/* Parses one element of an array of objects into *out (an element of the
 * array jget_object_array allocates); `path` names it ("mounts[2]"). */
typedef int (*jparse_elem_fn)(json_t *elem, const char *path, void *out, struct berth_error **err);

/* obj[key], an array of objects, into a new zeroed array of elem_size-byte
 * elements, each filled by fn. *ret_n counts every element fn was called on,
 * also on failure, so the caller's free function sees all it must free.
 * Returns 1 if present, 0 if absent (outputs untouched), or -EINVAL. */
int jget_object_array(json_t *obj, const char *key, const char *path, size_t elem_size,
                      jparse_elem_fn fn, void *ret_array, size_t *ret_n, struct berth_error **err);

/* Refuses a field berth cannot honour: EINVAL "invalid config: 'PATH.KEY'
 * is not supported" when obj[key] is present with content (null, false, 0,
 * "", [] and {} count as absent). Returns 0 otherwise. */
int jrefuse(json_t *obj, const char *key, const char *path, struct berth_error **err);
