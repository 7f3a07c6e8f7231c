/* berth images [-a] [-q] [--no-trunc] [--format table|json|TEMPLATE] [REPOSITORY[:TAG]]
 * berth rmi [-f] IMAGE..., berth tag SOURCE TARGET, berth image inspect [-f T] IMAGE...
 * and `berth image ls|rm|tag|inspect|load|save|import` for the same.
 * The fields of --format are docker's: ID Repository Tag Digest CreatedSince
 * CreatedAt Size Containers SharedSize UniqueSize VirtualSize. */
#include "cli.h"
#include "cleanup.h"
#include "units.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define IMAGES_USAGE                                                                               \
    "usage: berth images [-q] [--no-trunc] [--format table|json|TEMPLATE] [REPOSITORY[:TAG]]"
#define IMAGES_TABLE "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"

/* docker's units.HumanSizeWithPrecision(size, 3) */
static void human_size(double n, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    size_t u = 0;
    while (n >= 1000 && u + 1 < ARRAY_SIZE(units))
        n /= 1000, u++;
    snprintf(buf, len, "%.3g%s", n, units[u]);
}

/* docker's units.HumanDuration, then " ago" */
static void since(json_int_t t, char *buf, size_t len)
{
    char d[48];
    berth_human_duration(time(NULL) - (time_t)t, d, sizeof(d));
    snprintf(buf, len, "%s ago", d);
}

/* the fields of one row: image `e` under `tag` ("NAME:TAG" or "<none>:<none>") */
static json_t *fields(json_t *e, const char *tag, bool notrunc)
{
    const char *id = json_string_value(json_object_get(e, "Id"));
    const char *colon = strrchr(tag, ':');
    json_int_t created = json_integer_value(json_object_get(e, "Created"));
    time_t ct = (time_t)created;
    char at[64], ago[64], size[32];
    strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S +0000 UTC", gmtime(&ct));
    since(created, ago, sizeof(ago));
    human_size((double)json_integer_value(json_object_get(e, "Size")), size, sizeof(size));
    if (id == NULL)
        id = "";
    return json_pack("{s:s%,s:s%,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID",
                     notrunc || strncmp(id, "sha256:", 7) ? id : id + 7,
                     notrunc || strncmp(id, "sha256:", 7) ? strlen(id) : (size_t)12, "Repository",
                     tag, (size_t)(colon ? colon - tag : (long)strlen(tag)), "Tag",
                     colon ? colon + 1 : "<none>", "Digest", "<none>", "CreatedSince", ago,
                     "CreatedAt", at, "Size", size, "VirtualSize", size, "SharedSize", "N/A",
                     "UniqueSize", "N/A", "Containers", "N/A");
}

static char *header(const char *tmpl)
{
    static const char *const names[][2] = {{"ID", "IMAGE ID"},
                                           {"Repository", "REPOSITORY"},
                                           {"Tag", "TAG"},
                                           {"Digest", "DIGEST"},
                                           {"CreatedSince", "CREATED"},
                                           {"CreatedAt", "CREATED AT"},
                                           {"Size", "SIZE"},
                                           {"VirtualSize", "VIRTUAL SIZE"},
                                           {"SharedSize", "SHARED SIZE"},
                                           {"UniqueSize", "UNIQUE SIZE"},
                                           {"Containers", "CONTAINERS"}};
    json_t *h = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        json_object_set_new(h, names[i][0], json_string(names[i][1]));
    char *s = cli_template(tmpl, h);
    json_decref(h);
    return s;
}

/* each row as a line of `tmpl` (or JSON, or the id when quiet) */
static int rows(json_t *list, const char *format, const char *tmpl, bool quiet, bool notrunc,
                char ***lines, size_t *n)
{
    json_t *e, *t;
    size_t i, k;
    json_array_foreach(list, i, e)
    {
        json_array_foreach(json_object_get(e, "RepoTags"), k, t)
        {
            json_t *f = fields(e, json_string_value(t), notrunc);
            char *line = quiet                   ? xasprintf("%.*s", notrunc ? 71 : 12,
                                                             json_string_value(json_object_get(f, "ID")))
                         : streq(format, "json") ? json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS)
                                                 : cli_template(tmpl, f);
            json_decref(f);
            if (line == NULL)
                return 1;
            *lines = xrealloc(*lines, (*n + 2) * sizeof(char *));
            (*lines)[(*n)++] = line;
            (*lines)[*n] = NULL;
        }
    }
    return 0;
}

static int print(json_t *list, const char *format, bool quiet, bool notrunc)
{
    bool table = strncmp(format, "table", 5) == 0 && !quiet;
    const char *tmpl = format;
    if (strncmp(format, "table", 5) == 0)
        for (tmpl = format + 5; *tmpl == ' ';)
            tmpl++; /* not strspn: gcc 12 sees an overread of the literal "table" */
    if (strncmp(format, "table", 5) == 0 && *tmpl == '\0')
        tmpl = IMAGES_TABLE + 6;
    char **lines = xzalloc(2 * sizeof(char *));
    size_t n = 0;
    if (table && (lines[n++] = header(tmpl)) == NULL)
        return strv_freep(&lines), 1;
    int rc = rows(list, format, tmpl, quiet, notrunc, &lines, &n);
    if (rc == 0 && table)
        cli_print_table(lines, n);
    else if (rc == 0)
        for (size_t i = 0; i < n; i++)
            printf("%s\n", lines[i]);
    strv_freep(&lines);
    return rc;
}

int cmd_images(int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"no-trunc", no_argument, NULL, 'T'},
                                         {"format", required_argument, NULL, 'F'},
                                         {NULL, 0, NULL, 0}};
    bool quiet = false, notrunc = false;
    const char *format = "table";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "aq", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c == 'T')
            notrunc = true;
        else if (c == 'F')
            format = optarg;
        else if (c != 'a')
            return cli_error(125, "unknown flag '%s' for images; " IMAGES_USAGE, argv[optind - 1]);
    }
    if (argc - optind > 1)
        return cli_error(125, "images takes at most one argument; " IMAGES_USAGE);
    _cleanup_free_ char *path = xstrdup("/images/json");
    if (optind < argc) {
        json_t *f = json_pack("{s:[s]}", "reference", argv[optind]);
        _cleanup_free_ char *text = json_dumps(f, JSON_COMPACT);
        _cleanup_free_ char *q = cli_escape(text);
        json_decref(f);
        free(path);
        path = xasprintf("/images/json?filters=%s", q);
    }
    return cli_list(path, print, format, quiet, notrunc);
}
