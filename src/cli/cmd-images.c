/* berth images */
#include "cli.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

int cmd_images(int argc, char **argv)
{
    if (argc > 1)
        return cli_error(1, "images takes no arguments; usage: berth images");
    struct reply r;
    if (cli_call("GET", "/images/json", NULL, &r) < 0)
        return 1;
    if (r.status != 200)
        return cli_api_error(&r, 1);
    json_t *list = json_loadb(r.body, r.len, 0, NULL), *e;
    size_t i;
    printf("%-24s %-10s %-14s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "SIZE");
    json_array_foreach(list, i, e)
    {
        const char *tag = json_string_value(json_array_get(json_object_get(e, "RepoTags"), 0));
        const char *id = json_string_value(json_object_get(e, "Id"));
        const char *colon = tag ? strrchr(tag, ':') : NULL;
        double mb = (double)json_integer_value(json_object_get(e, "Size")) / 1e6;
        printf("%-24.*s %-10s %-14.12s %.2fMB\n", colon ? (int)(colon - tag) : 6,
               tag ? tag : "<none>", colon ? colon + 1 : "<none>",
               id && strlen(id) > 7 ? id + 7 : "", mb);
    }
    json_decref(list);
    reply_free(&r);
    return 0;
}
