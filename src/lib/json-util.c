#include "json-util.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <math.h>

static int type_error(const char *path, const char *key, const char *what, struct berth_error **err)
{
    return berth_error_set(err, EINVAL, "invalid config: '%s%s%s' must be %s", path,
                           *path ? "." : "", key, what);
}

/* obj[key] into *ret: 1 if present, 0 if absent or null (-EINVAL if it is
 * required). */
static int lookup(json_t *obj, const char *key, const char *path, bool required, json_t **ret,
                  struct berth_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (required)
            return berth_error_set(err, EINVAL, "invalid config: '%s%s%s' is required", path,
                                   *path ? "." : "", key);
        return 0;
    }
    *ret = v;
    return 1;
}

int jget_object(json_t *obj, const char *key, const char *path, json_t **ret,
                struct berth_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return type_error(path, key, "an object", err);
    *ret = v;
    return 1;
}

int jget_array(json_t *obj, const char *key, const char *path, json_t **ret,
               struct berth_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return type_error(path, key, "an array", err);
    *ret = v;
    return 1;
}

int jget_string(json_t *obj, const char *key, const char *path, bool required, char **ret,
                struct berth_error **err)
{
    json_t *v = NULL;
    int r = lookup(obj, key, path, required, &v, err);
    if (r <= 0)
        return r;
    if (!json_is_string(v))
        return type_error(path, key, "a string", err);
    free(*ret);
    *ret = xstrdup(json_string_value(v));
    return 1;
}

int jget_bool(json_t *obj, const char *key, const char *path, bool *ret, struct berth_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return type_error(path, key, "true or false", err);
    *ret = json_is_true(v);
    return 1;
}

int jget_int(json_t *obj, const char *key, const char *path, int64_t min, int64_t max, int64_t *ret,
             bool *ret_present, struct berth_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return type_error(path, key, "an integer", err);
    json_int_t i = json_integer_value(v);
    if (i < min || i > max)
        return berth_error_set(err, EINVAL, "invalid config: '%s%s%s' is out of range (%lld)", path,
                               *path ? "." : "", key, (long long)i);
    *ret = i;
    if (ret_present)
        *ret_present = true;
    return 1;
}

int jget_u64(json_t *obj, const char *key, const char *path, uint64_t *ret, bool *ret_present,
             struct berth_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *ret = (uint64_t)json_integer_value(v);
    } else if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) <= 0x1p64 &&
               floor(json_real_value(v)) == json_real_value(v)) {
        double d = json_real_value(v);
        *ret = d >= 0x1p64 ? UINT64_MAX : (uint64_t)d;
    } else {
        return type_error(path, key, "a non-negative integer", err);
    }
    if (ret_present)
        *ret_present = true;
    return 1;
}

int jget_strv(json_t *obj, const char *key, const char *path, bool required, char ***ret,
              struct berth_error **err)
{
    json_t *v = NULL;
    int r = lookup(obj, key, path, required, &v, err);
    if (r <= 0)
        return r;
    if (!json_is_array(v))
        return type_error(path, key, "an array of strings", err);
    size_t n = json_array_size(v);
    char **sv = xzalloc((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s)) {
            for (size_t j = 0; j < i; j++)
                free(sv[j]);
            free(sv);
            return type_error(path, key, "an array of strings", err);
        }
        sv[i] = xstrdup(json_string_value(s));
    }
    *ret = sv;
    return 1;
}

int jget_object_array(json_t *obj, const char *key, const char *path, size_t elem_size,
                      jparse_elem_fn fn, void *ret_array, size_t *ret_n, struct berth_error **err)
{
    json_t *a = NULL;
    int r = jget_array(obj, key, path, &a, err);
    if (r <= 0)
        return r;
    char *elems = xzalloc(json_array_size(a) * elem_size);
    *(void **)ret_array = elems;
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *e = json_array_get(a, i);
        char *p = xasprintf("%s%s%s[%zu]", path, *path ? "." : "", key, i);
        if (!json_is_object(e))
            r = berth_error_set(err, EINVAL, "invalid config: '%s' must be an object", p);
        else
            r = (++*ret_n, fn(e, p, elems + i * elem_size, err));
        free(p);
        if (r < 0)
            return r;
    }
    return 1;
}

static bool has_content(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        return false;
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    default:
        return true;
    }
}

int jrefuse(json_t *obj, const char *key, const char *path, struct berth_error **err)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (v == NULL || !has_content(v))
        return 0;
    return berth_error_set(err, EINVAL, "invalid config: '%s%s%s' is not supported", path,
                           *path ? "." : "", key);
}
