/* CDI specs (gpu.h): the Container Device Interface's JSON or YAML files
 * (cdiVersion, kind "vendor/class", devices [{name, containerEdits}],
 * containerEdits), read with libyaml (JSON is read as YAML's flow style)
 * into jansson values. Only root's dirs are read: a spec says which host
 * files a container gets. */
#include "gpu.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define CDI_SPEC_MAX (1 << 20)

/* A plain scalar that is a number or a boolean keeps its type (major,
 * minor, fileMode); a quoted one stays a string. */
static json_t *scalar(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_string(v);
    char *end;
    long long i = strtoll(v, &end, 0);
    if (*v && *end == '\0')
        return json_integer(i);
    if (streq(v, "true") || streq(v, "false"))
        return json_boolean(streq(v, "true"));
    if (streq(v, "null") || streq(v, "~"))
        return json_null();
    return json_string(v);
}

static json_t *convert(yaml_document_t *doc, yaml_node_t *n, int depth)
{
    if (n == NULL || depth > 32)
        return NULL;
    if (n->type == YAML_SCALAR_NODE)
        return scalar(n);
    json_t *out = n->type == YAML_SEQUENCE_NODE ? json_array() : json_object();
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
            json_t *v = convert(doc, yaml_document_get_node(doc, *it), depth + 1);
            if (v == NULL)
                goto bad;
            json_array_append_new(out, v);
        }
        return out;
    }
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        json_t *v = convert(doc, yaml_document_get_node(doc, p->value), depth + 1);
        if (k == NULL || k->type != YAML_SCALAR_NODE || v == NULL) {
            json_decref(v);
            goto bad;
        }
        json_object_set_new(out, (const char *)k->data.scalar.value, v);
    }
    return out;
bad:
    json_decref(out);
    return NULL;
}

/* The spec at path as JSON, or NULL (a file that is not a spec is
 * skipped, as CDI's registry does, but said in the error). */
static json_t *load_spec(const char *path, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (read_file_at(-1, path, &text, &len, err) < 0)
        return NULL;
    if (len > CDI_SPEC_MAX) {
        berth_error_set(err, EINVAL, "CDI spec %s is larger than %d bytes", path, CDI_SPEC_MAX);
        return NULL;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    json_t *j = NULL;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (yaml_parser_load(&parser, &doc)) {
        j = convert(&doc, yaml_document_get_root_node(&doc), 0);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "kind"))) {
        json_decref(j);
        berth_error_set(err, EINVAL, "%s is not a CDI spec", path);
        return NULL;
    }
    return j;
}

static bool spec_name(const char *n)
{
    size_t len = strlen(n);
    return (len > 5 && streq(n + len - 5, ".json")) || (len > 5 && streq(n + len - 5, ".yaml")) ||
           (len > 4 && streq(n + len - 4, ".yml"));
}

/* Every spec of `kind` in dirs, in order (later dirs win: /var/run/cdi
 * over /etc/cdi, as CDI's registry). */
static json_t *specs_of(const char *const *dirs, const char *kind)
{
    json_t *out = json_array();
    for (size_t i = 0; dirs && dirs[i]; i++) {
        _cleanup_closedir_ DIR *d = opendir(dirs[i]);
        for (struct dirent *de; d && (de = readdir(d));) {
            if (de->d_name[0] == '.' || !spec_name(de->d_name))
                continue;
            _cleanup_free_ char *p = xasprintf("%s/%s", dirs[i], de->d_name);
            struct berth_error *e = NULL;
            json_t *s = load_spec(p, &e);
            berth_error_clear(&e);
            if (s && streq(json_string_value(json_object_get(s, "kind")), kind))
                json_array_append_new(out, s);
            else
                json_decref(s);
        }
    }
    return out;
}

static void merge_edits(json_t *into, json_t *from)
{
    static const char *const keys[] = {"env", "deviceNodes", "mounts", "hooks"};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        json_t *a = json_object_get(from, keys[i]);
        if (!json_is_array(a))
            continue;
        if (!json_is_array(json_object_get(into, keys[i])))
            json_object_set_new(into, keys[i], json_array());
        json_array_extend(json_object_get(into, keys[i]), a);
    }
}

json_t *cdi_kind_devices(const char *const *dirs, const char *kind)
{
    json_t *specs = specs_of(dirs, kind), *out = json_object(), *s, *d;
    size_t i, k;
    json_array_foreach(specs, i, s)
    {
        json_array_foreach(json_object_get(s, "devices"), k, d)
        {
            const char *name = json_string_value(json_object_get(d, "name"));
            if (name == NULL)
                continue;
            json_t *e = json_object();
            merge_edits(e, json_object_get(s, "containerEdits"));
            merge_edits(e, json_object_get(d, "containerEdits"));
            json_object_set_new(out, name, e);
        }
    }
    json_decref(specs);
    return out;
}

json_t *cdi_device_edits(const char *const *dirs, const char *name, struct berth_error **err)
{
    const char *eq = strchr(name, '=');
    const char *slash = strchr(name, '/');
    if (eq == NULL || slash == NULL || slash > eq || eq[1] == '\0' || slash == name) {
        berth_error_set(err, EINVAL, "invalid CDI device name '%s': want vendor.com/class=name",
                        name);
        return NULL;
    }
    _cleanup_free_ char *kind = xasprintf("%.*s", (int)(eq - name), name);
    json_t *all = cdi_kind_devices(dirs, kind);
    json_t *e = json_incref(json_object_get(all, eq + 1));
    json_decref(all);
    if (e == NULL)
        berth_error_set(err, ENOENT, "unresolvable CDI device %s", name);
    return e;
}
