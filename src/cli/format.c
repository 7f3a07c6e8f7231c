/* --format for ps and inspect: the subset of Go's text/template docker
 * users write: {{.Field}}, {{.A.B}}, {{json .A}}, {{.}}; any other action is
 * refused with its text, never printed as is. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static json_t *lookup(json_t *obj, const char *path)
{
    _cleanup_free_ char *p = xstrdup(path);
    json_t *v = obj;
    if (streq(p, "."))
        return v;
    for (char *save = NULL, *t = strtok_r(p, ".", &save); t; t = strtok_r(NULL, ".", &save))
        if ((v = json_object_get(v, t)) == NULL)
            return NULL;
    return v;
}

static void append(char **out, size_t *len, const char *s, size_t n)
{
    *out = xrealloc(*out, *len + n + 1);
    memcpy(*out + *len, s, n);
    *len += n;
    (*out)[*len] = '\0';
}

static int action(const char *act, json_t *obj, char **out, size_t *len)
{
    bool as_json = strncmp(act, "json ", 5) == 0;
    const char *path = as_json ? act + 5 : act;
    path += strspn(path, " ");
    if (path[0] != '.')
        return cli_error(-1, "template: unsupported action '{{%s}}'", act);
    json_t *v = lookup(obj, path);
    if (v == NULL && !json_is_object(obj))
        v = json_null();
    if (v == NULL)
        return cli_error(-1, "template: can't evaluate field %s", path + 1);
    _cleanup_free_ char *text = NULL;
    if (as_json || json_is_object(v) || json_is_array(v))
        text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    else if (json_is_string(v))
        text = xstrdup(json_string_value(v));
    else if (json_is_null(v))
        text = xstrdup("<no value>");
    else
        text = json_dumps(v, JSON_ENCODE_ANY);
    append(out, len, text, strlen(text));
    return 0;
}

char *cli_template(const char *tmpl, json_t *obj)
{
    char *out = xstrdup("");
    size_t len = 0;
    for (const char *p = tmpl; *p;) {
        if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
            append(&out, &len, p[1] == 't' ? "\t" : "\n", 1);
            p += 2;
            continue;
        }
        if (strncmp(p, "{{", 2) != 0) {
            append(&out, &len, p, 1);
            p++;
            continue;
        }
        const char *end = strstr(p + 2, "}}");
        if (end == NULL) {
            free(out);
            return cli_error(0, "template: unclosed action in '%s'", tmpl), NULL;
        }
        _cleanup_free_ char *act = xstrdup(p + 2);
        act[end - p - 2] = '\0';
        char *a = act + strspn(act, " ");
        for (size_t k = strlen(a); k > 0 && a[k - 1] == ' '; k--)
            a[k - 1] = '\0';
        if (action(a, obj, &out, &len) < 0) {
            free(out);
            return NULL;
        }
        p = end + 2;
    }
    return out;
}

void cli_print_table(char **lines, size_t n)
{
    size_t widths[32] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t col = 0;
        for (char *p = lines[i]; col < 32; col++) {
            size_t w = strcspn(p, "\t");
            if (p[w] != '\t')
                break;
            widths[col] = w > widths[col] ? w : widths[col];
            p += w + 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t col = 0;
        for (char *p = lines[i];; col++) {
            size_t w = strcspn(p, "\t");
            if (p[w] != '\t' || col >= 32) {
                printf("%s\n", p);
                break;
            }
            printf("%.*s%*s", (int)w, p, (int)(widths[col] - w + 3), "");
            p += w + 1;
        }
    }
}
