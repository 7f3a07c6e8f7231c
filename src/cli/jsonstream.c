/* The JSON-lines answers of pull, push and build (cli.h's cli_stream):
 * messages split into lines however the bytes come, each parsed and
 * handed over, the first {"error"} kept; an error answer (not 200) is
 * collected whole for cli_api_error. */
#include "cli.h"
#include "http.h"
#include "util.h"

#include <stdlib.h>

static void one_line(struct cli_stream *s)
{
    s->line = xrealloc(s->line, s->len + 1);
    s->line[s->len] = '\0';
    s->len = 0;
    json_t *m = json_loads(s->line, 0, NULL);
    const char *e = json_string_value(json_object_get(m, "error"));
    if (e && s->error == NULL)
        s->error = xstrdup(e);
    if (m && s->each)
        s->each(m, s);
    json_decref(m);
}

int cli_stream_cb(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    struct cli_stream *s = ud;
    if (p->status != 200)
        return cli_collect(p, d, n, s->r);
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '\n') {
            one_line(s);
            continue;
        }
        s->line = xrealloc(s->line, s->len + 2);
        s->line[s->len++] = d[i];
    }
    return 0;
}

int cli_stream_end(struct cli_stream *s, int rc)
{
    if (rc == 0 && s->r->status != 200)
        rc = cli_api_error(s->r, 1);
    else if (rc == 0 && s->error)
        rc = cli_error(1, "%s", s->error);
    free(s->line);
    free(s->error);
    s->line = s->error = NULL;
    return rc;
}
