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
    "usage: berth images [-q] [--digests] [--no-trunc] [--format table|json|TEMPLATE] "            \
    "[REPOSITORY[:TAG]]"
#define IMAGES_TABLE "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"
#define IMAGES_DIGESTS                                                                             \
    "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"

/* docker's units.HumanSizeWithPrecision(size, prec) */
void cli_human_size(double n, int prec, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    size_t u = 0;
    while (n >= 1000 && u + 1 < ARRAY_SIZE(units))
        n /= 1000, u++;
    snprintf(buf, len, "%.*g%s", prec, n, units[u]);
}

static void human_size(double n, char *buf, size_t len)
{
    cli_human_size(n, 3, buf, len);
}

/* docker's units.HumanDuration, then " ago" */
static void since(json_int_t t, char *buf, size_t len)
{
    char d[48];
    berth_human_duration(time(NULL) - (time_t)t, d, sizeof(d));
    snprintf(buf, len, "%s ago", d);
}

/* The digest of the RepoDigests entry "REPO@DIGEST" of repository `repo`
 * (the first with repo NULL; *ret_repo gets its repository), or "<none>". */
static const char *repo_digest(json_t *e, const char *repo, size_t len, const char **ret_repo)
{
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(e, "RepoDigests"), i, d)
    {
        const char *s = json_string_value(d), *at = s ? strchr(s, '@') : NULL;
        if (at && (repo == NULL || ((size_t)(at - s) == len && strncmp(s, repo, len) == 0))) {
            if (ret_repo)
                *ret_repo = s;
            return at + 1;
        }
    }
    return "<none>";
}

/* the fields of one row: image `e` under `tag` ("NAME:TAG" or "<none>:<none>") */
static json_t *fields(json_t *e, const char *tag, bool notrunc)
{
    const char *id = json_string_value(json_object_get(e, "Id"));
    const char *colon = strrchr(tag, ':');
    size_t rlen = (size_t)(colon ? colon - tag : (long)strlen(tag));
    const char *digest = repo_digest(e, tag, rlen, NULL), *by_digest = NULL;
    if (streq(tag, "<none>:<none>") &&
        !streq(digest = repo_digest(e, NULL, 0, &by_digest), "<none>"))
        rlen = (size_t)(digest - 1 - by_digest), tag = by_digest; /* pulled by digest */
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
                     tag, rlen, "Tag", colon && !by_digest ? colon + 1 : "<none>", "Digest", digest,
                     "CreatedSince", ago, "CreatedAt", at, "Size", size, "VirtualSize", size,
                     "SharedSize", "N/A", "UniqueSize", "N/A", "Containers", "N/A");
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
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},      {"quiet", no_argument, NULL, 'q'},
        {"no-trunc", no_argument, NULL, 'T'}, {"format", required_argument, NULL, 'F'},
        {"digests", no_argument, NULL, 'D'},  {NULL, 0, NULL, 0}};
    bool quiet = false, notrunc = false, digests = false;
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
        else if (c == 'D')
            digests = true;
        else if (c != 'a')
            return cli_error(125, "unknown flag '%s' for images; " IMAGES_USAGE, argv[optind - 1]);
    }
    if (digests && streq(format, "table"))
        format = IMAGES_DIGESTS;
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

/* ---- berth history [--no-trunc] [-q] [--format F] IMAGE ---- */

#define HISTORY_USAGE "usage: berth history [-q] [--no-trunc] [--format table|json|TEMPLATE] IMAGE"
#define HISTORY_TABLE "{{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}"

/* docker's formatter.Ellipsis: at most `max` characters, the last "…" */
static char *ellipsis(const char *s, size_t max)
{
    size_t chars = 0, i = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xc0) == 0x80)
            continue;
        if (++chars == max)
            break;
    }
    size_t cut = i;
    if (s[i]) /* the max'th character starts at i: is there more after it? */
        for (i++; s[i] && ((unsigned char)s[i] & 0xc0) == 0x80;)
            i++;
    return s[cut] && s[i] ? xasprintf("%.*s…", (int)cut, s) : xstrdup(s);
}

static json_t *history_fields(json_t *h, bool notrunc)
{
    const char *id = json_string_value(json_object_get(h, "Id"));
    json_int_t created = json_integer_value(json_object_get(h, "Created"));
    time_t ct = (time_t)created;
    char at[64], ago[64], size[32];
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime(&ct));
    if (created > 0)
        since(created, ago, sizeof(ago));
    else /* docker's: no time known */
        snprintf(ago, sizeof(ago), "N/A");
    human_size((double)json_integer_value(json_object_get(h, "Size")), size, sizeof(size));
    _cleanup_free_ char *by = xstrdup(json_string_value(json_object_get(h, "CreatedBy")) ?: "");
    for (char *t = by; (t = strchr(t, '\t'));)
        *t = ' ';
    if (id == NULL)
        id = "";
    bool cut = !notrunc && strncmp(id, "sha256:", 7) == 0;
    _cleanup_free_ char *shown = notrunc ? xstrdup(by) : ellipsis(by, 45);
    const char *comment = json_string_value(json_object_get(h, "Comment"));
    return json_pack("{s:s%,s:s,s:s,s:s,s:s,s:s}", "ID", cut ? id + 7 : id,
                     cut ? (size_t)12 : strlen(id), "CreatedSince", ago, "CreatedAt", at,
                     "CreatedBy", shown, "Size", size, "Comment", comment ? comment : "");
}

static int print_history(json_t *list, const char *format, bool quiet, bool notrunc)
{
    bool table = strncmp(format, "table", 5) == 0, bad = false;
    const char *tmpl = table ? format + 5 + strspn(format + 5, " ") : format;
    if (table && *tmpl == '\0')
        tmpl = HISTORY_TABLE;
    size_t n = 0, i;
    char **lines = xzalloc((json_array_size(list) + 2) * sizeof(char *));
    json_t *head = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "IMAGE", "CreatedSince", "CREATED",
                             "CreatedAt", "CREATED AT", "CreatedBy", "CREATED BY", "Size", "SIZE",
                             "Comment", "COMMENT");
    if (table && !quiet)
        bad = (lines[n++] = cli_template(tmpl, head)) == NULL;
    json_decref(head);
    json_t *h;
    json_array_foreach(list, i, h)
    {
        json_t *f = history_fields(h, notrunc);
        if (!bad)
            bad =
                (lines[n++] = quiet ? xstrdup(json_string_value(json_object_get(f, "ID")))
                              : streq(format, "json") ? json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS)
                                                      : cli_template(tmpl, f)) == NULL;
        json_decref(f);
    }
    if (!bad && table && !quiet)
        cli_print_table(lines, n);
    else if (!bad)
        for (i = 0; i < n; i++)
            printf("%s\n", lines[i]);
    strv_freep(&lines);
    return bad ? 1 : 0;
}

int cmd_history(int argc, char **argv)
{
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"no-trunc", no_argument, NULL, 'T'},
                                         {"format", required_argument, NULL, 'F'},
                                         {NULL, 0, NULL, 0}};
    bool quiet = false, notrunc = false;
    const char *format = "table";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c == 'T')
            notrunc = true;
        else if (c == 'F')
            format = optarg;
        else
            return cli_error(125, "unknown flag '%s' for history; " HISTORY_USAGE,
                             argv[optind - 1]);
    }
    if (argc - optind != 1)
        return cli_error(125, "history takes one image; " HISTORY_USAGE);
    _cleanup_free_ char *name = cli_escape(argv[optind]);
    _cleanup_free_ char *path = xasprintf("/images/%s/history", name);
    return cli_list(path, print_history, format, quiet, notrunc);
}

/* ---- berth image prune [-a] [-f] [--filter K=V] ---- */

#define PRUNE_USAGE                                                                                \
    "usage: berth image prune [-a] [-f] [--filter until=TIME|label=KEY[=VALUE]|label!=...]"

static bool confirm(bool all)
{
    printf("WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ",
           all ? "all images without at least one container associated to them"
               : "all dangling images");
    fflush(stdout);
    char line[64];
    return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

/* until: a duration or date given here means this machine's clock */
int cli_add_filter(json_t *filters, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg)
        return cli_error(-1, "bad format of filter '%s' (expected name=value)", arg);
    _cleanup_free_ char *key = strndup(arg, (size_t)(eq - arg));
    _cleanup_free_ char *value = streq(key, "until") ? cli_timestamp(eq + 1) : xstrdup(eq + 1);
    if (value == NULL)
        return cli_error(-1,
                         "invalid filter 'until=%s': RFC 3339, unix seconds or a duration (24h) "
                         "expected",
                         eq + 1);
    json_t *a = json_object_get(filters, key);
    if (a == NULL)
        json_object_set_new(filters, key, a = json_array());
    json_array_append_new(a, json_string(value));
    return 0;
}

static void print_pruned(json_t *rep)
{
    json_t *list = json_object_get(rep, "ImagesDeleted"), *e;
    size_t i;
    if (json_array_size(list) > 0)
        printf("Deleted Images:\n");
    json_array_foreach(list, i, e)
    {
        const char *u = json_string_value(json_object_get(e, "Untagged"));
        const char *d = json_string_value(json_object_get(e, "Deleted"));
        printf("%s: %s\n", u ? "untagged" : "deleted", u ? u : d ? d : "");
    }
    if (json_array_size(list) > 0)
        printf("\n");
    char size[32];
    cli_human_size((double)json_integer_value(json_object_get(rep, "SpaceReclaimed")), 4, size,
                   sizeof(size));
    printf("Total reclaimed space: %s\n", size);
}

int cli_prune_flags(int argc, char **argv, const char *what, const char *usage, bool *all,
                    bool *force, json_t *filters)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"filter", required_argument, NULL, 'F'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, all ? "af" : "f", opts, NULL)) != -1) {
        if ((c == 'a' && all) || c == 'f')
            *(c == 'a' ? all : force) = true;
        else if (c != 'F' || cli_add_filter(filters, optarg) < 0)
            return c == 'F' ? 125
                            : cli_error(125, "unknown flag '%s' for %s; %s", argv[optind - 1], what,
                                        usage);
    }
    if (optind != argc)
        return cli_error(125, "%s takes no arguments; %s", what, usage);
    return 0;
}

int cmd_image_prune(int argc, char **argv)
{
    bool all = false, force = false;
    json_t *filters = json_object();
    int rc = cli_prune_flags(argc, argv, "image prune", PRUNE_USAGE, &all, &force, filters);
    if (rc)
        return json_decref(filters), rc;
    json_object_set_new(filters, "dangling", json_pack("[s]", all ? "false" : "true"));
    _cleanup_free_ char *text = json_dumps(filters, JSON_COMPACT);
    _cleanup_free_ char *q = cli_escape(text);
    _cleanup_free_ char *path = xasprintf("/images/prune?filters=%s", q);
    json_decref(filters);
    if (!force && !confirm(all))
        return 0;
    struct reply r;
    if (cli_call("POST", path, NULL, &r) < 0)
        return 1;
    json_t *rep = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    rc = rep ? 0 : cli_api_error(&r, 1);
    if (rep)
        print_pruned(rep);
    json_decref(rep);
    reply_free(&r);
    return rc;
}
