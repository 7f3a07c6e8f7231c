/* berth version */
#include "cli.h"
#include "util.h"

#include <stdio.h>

int cmd_version(int argc, char **argv)
{
    if (argc > 1)
        return cli_error(1, "version takes no arguments; usage: berth version");
    printf("Client:\n Version:     %s\n API version: 1.41\n\n", BERTH_VERSION);
    struct reply r;
    if (cli_call("GET", "/version", NULL, &r) < 0)
        return 1;
    if (r.status != 200)
        return cli_api_error(&r, 1);
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    printf("Server: %s\n Version:     %s\n API version: %s (minimum %s)\n Kernel:      %s\n",
           json_string_value(json_object_get(json_object_get(j, "Platform"), "Name")),
           json_string_value(json_object_get(j, "Version")),
           json_string_value(json_object_get(j, "ApiVersion")),
           json_string_value(json_object_get(j, "MinAPIVersion")),
           json_string_value(json_object_get(j, "KernelVersion")));
    json_decref(j);
    reply_free(&r);
    return 0;
}
