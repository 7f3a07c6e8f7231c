/* berth login [-u USER] [-p PASS | --password-stdin] [SERVER] and berth
 * logout [SERVER], as docker's: berthd checks the credentials with the
 * registry (POST /auth), then they are kept here, in the CLI's auth file
 * ($BERTH_CONFIG, else ~/.config/berth/auth.json; mode 0600, replaced
 * atomically) in docker's config.json shape {"auths": {"SERVER": {"auth":
 * base64(USER:PASS)}}}. Pulls and pushes send them to berthd in Docker's
 * X-Registry-Auth header (cli_registry_auth); berthd never stores them. */
#include "cli.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "http.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define HUB_KEY      "https://index.docker.io/v1/"
#define LOGIN_USAGE  "usage: berth login [-u USERNAME] [-p PASSWORD | --password-stdin] [SERVER]"
#define PASSWORD_MAX 4096

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64_encode(const char *in, size_t n, const char *alphabet)
{
    const unsigned char *s = (const unsigned char *)in;
    char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        *o++ = alphabet[v >> 18 & 63];
        *o++ = alphabet[v >> 12 & 63];
        *o++ = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? alphabet[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* standard base64; NULL when it is not */
static char *b64_decode(const char *in)
{
    size_t n = strlen(in);
    char *out = xmalloc(n / 4 * 3 + 4), *o = out;
    unsigned v = 0;
    int bits = 0;
    for (const char *p = in; *p && *p != '='; p++) {
        const char *c = strchr(b64_std, *p);
        if (c == NULL) {
            free(out);
            return NULL;
        }
        v = v << 6 | (unsigned)(c - b64_std);
        if ((bits += 6) >= 8) {
            bits -= 8;
            *o++ = (char)(v >> bits & 0xff);
        }
    }
    *o = '\0';
    return out;
}

/* ---- the auth file ---- */

static char *auth_path(void)
{
    const char *e = getenv("BERTH_CONFIG");
    if (e && *e)
        return xstrdup(e);
    const char *home = getenv("HOME");
    struct passwd *pw = home && *home ? NULL : getpwuid(getuid());
    return xasprintf("%s/.config/berth/auth.json", home && *home ? home : pw ? pw->pw_dir : "/");
}

/* The file's JSON, {} when there is none; NULL after printing why. */
static json_t *auth_load(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (j == NULL && access(path, F_OK) < 0 && errno == ENOENT)
        return json_object();
    if (!json_is_object(j)) {
        json_decref(j);
        cli_error(1, "cannot read '%s': %s", path, je.text);
        return NULL;
    }
    return j;
}

/* temp file (mode 0600), fsync, rename: a crash leaves the old or the new */
static int auth_save(const char *path, json_t *j)
{
    _cleanup_free_ char *copy = xstrdup(path);
    const char *dir = dirname(copy);
    struct berth_error *err = NULL;
    if (mkdir_p(dir, 0700, &err) < 0) {
        cli_error(1, "%s", err->msg);
        berth_error_clear(&err);
        return -1;
    }
    _cleanup_free_ char *tmp = xasprintf("%s/.auth.json.XXXXXX", dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return cli_error(-1, "cannot create a file in '%s': %s", dir, strerror(errno));
    _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
    size_t n = strlen(text);
    bool ok = fchmod(fd, 0600) == 0 && write(fd, text, n) == (ssize_t)n &&
              write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    int e = errno;
    close(fd);
    if (!ok || rename(tmp, path) < 0) {
        e = ok ? errno : e;
        unlink(tmp);
        return cli_error(-1, "cannot write '%s': %s", path, strerror(e));
    }
    return 0;
}

/* docker's key for a registry: Docker Hub's URL, else host[:port] */
static char *server_key(const char *server)
{
    const char *s = server ? server : "";
    if (strncmp(s, "https://", 8) == 0)
        s += 8;
    else if (strncmp(s, "http://", 7) == 0)
        s += 7;
    char *h = strndup(s, strcspn(s, "/"));
    if (*h == '\0' || streq(h, "docker.io") || streq(h, "index.docker.io") ||
        streq(h, "registry-1.docker.io")) {
        free(h);
        return xstrdup(HUB_KEY);
    }
    return h;
}

/* the entry (borrowed) of `key` in the file's auths, or NULL */
static json_t *find_entry(json_t *auths, const char *key, const char **ret_name)
{
    const char *k;
    json_t *v;
    json_object_foreach(auths, k, v)
    {
        _cleanup_free_ char *norm = server_key(k);
        if (streq(norm, key)) {
            *ret_name = k;
            return v;
        }
    }
    return NULL;
}

char *cli_registry_auth(const char *image)
{
    const char *slash = strchr(image, '/');
    _cleanup_free_ char *first = slash ? strndup(image, (size_t)(slash - image)) : NULL;
    bool host = first && (strchr(first, '.') || strchr(first, ':') || streq(first, "localhost"));
    _cleanup_free_ char *key = server_key(host ? first : NULL);
    _cleanup_free_ char *path = auth_path();
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    const char *name = NULL;
    json_t *e = find_entry(json_object_get(j, "auths"), key, &name);
    const char *stored = json_string_value(json_object_get(e, "auth"));
    _cleanup_free_ char *plain = stored ? b64_decode(stored) : NULL;
    char *colon = plain ? strchr(plain, ':') : NULL;
    char *out = NULL;
    if (colon) {
        *colon = '\0';
        json_t *a = json_pack("{s:s,s:s,s:s}", "username", plain, "password", colon + 1,
                              "serveraddress", name);
        _cleanup_free_ char *text = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        out = b64_encode(text, strlen(text), b64_url);
    }
    json_decref(j);
    return out;
}

int cli_http_auth(struct http_request *req, const char *path, const char *image, struct reply *ret)
{
    _cleanup_free_ char *auth = cli_registry_auth(image);
    _cleanup_free_ char *type = NULL;
    const char *had = req->content_type;
    if (auth) {
        /* http_request has no header list: the header rides behind the
         * Content-Type line (base64url holds no CR or LF) */
        type = xasprintf("%s\r\nX-Registry-Auth: %s",
                         req->content_type ? req->content_type : "application/json", auth);
        req->content_type = type;
    }
    int r = cli_http(req, path, ret);
    req->content_type = had;
    return r;
}

/* ---- login, logout ---- */

/* One line of stdin, its newline dropped; echo off when `secret` and a
 * terminal. NULL at EOF. */
static char *read_line(const char *prompt, bool secret)
{
    struct termios old, raw;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (prompt) {
        fputs(prompt, stderr);
        fflush(stderr);
    }
    if (tty && secret) {
        raw = old;
        raw.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (tty && secret) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (n < 0) {
        free(line);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

struct login_args {
    char *user, *pass;
    const char *server;
};

/* the user and password from the flags, stdin or the terminal; -1 after
 * printing why */
static int ask(struct login_args *a, bool from_stdin)
{
    bool tty = isatty(STDIN_FILENO);
    if (from_stdin) {
        if (a->pass)
            return cli_error(-1, "--password and --password-stdin are mutually exclusive");
        if (a->user == NULL)
            return cli_error(-1, "must provide --username with --password-stdin");
        _cleanup_free_ char *all = xzalloc(PASSWORD_MAX + 1);
        size_t n = fread(all, 1, PASSWORD_MAX, stdin);
        all[n] = '\0';
        while (n > 0 && (all[n - 1] == '\n' || all[n - 1] == '\r'))
            all[--n] = '\0';
        a->pass = TAKE_PTR(all);
    }
    if (a->user == NULL && tty)
        a->user = read_line("Username: ", false);
    if (a->pass == NULL && a->user && tty)
        a->pass = read_line("Password: ", true);
    if (a->user == NULL || a->pass == NULL)
        return cli_error(-1, "cannot perform an interactive login from a non TTY device");
    if (*a->user == '\0' || *a->pass == '\0')
        return cli_error(-1, "a username and a password are required");
    return 0;
}

static int store(const struct login_args *a, const char *key)
{
    _cleanup_free_ char *path = auth_path();
    json_t *j = auth_load(path);
    if (j == NULL)
        return 1;
    json_t *auths = json_object_get(j, "auths");
    if (!json_is_object(auths))
        json_object_set_new(j, "auths", auths = json_object());
    const char *old = NULL;
    if (find_entry(auths, key, &old))
        json_object_del(auths, old);
    _cleanup_free_ char *plain = xasprintf("%s:%s", a->user, a->pass);
    _cleanup_free_ char *b64 = b64_encode(plain, strlen(plain), b64_std);
    json_object_set_new(auths, key, json_pack("{s:s}", "auth", b64));
    int r = auth_save(path, j) < 0 ? 1 : 0;
    json_decref(j);
    return r;
}

static int login(struct login_args *a)
{
    _cleanup_free_ char *key = server_key(a->server);
    json_t *body =
        json_pack("{s:s,s:s,s:s}", "username", a->user, "password", a->pass, "serveraddress", key);
    struct reply r = {0};
    int rc = cli_call("POST", "/auth", body, &r) < 0 ? 1 : 0;
    json_decref(body);
    if (rc == 0 && r.status != 200)
        rc = cli_api_error(&r, 1);
    reply_free(&r);
    if (rc == 0 && (rc = store(a, key)) == 0)
        printf("Login Succeeded\n");
    return rc;
}

/* the flags into `a`; -1 for a bad one */
static int parse(int argc, char **argv, struct login_args *a, bool *from_stdin)
{
    static const struct option opts[] = {{"username", required_argument, NULL, 'u'},
                                         {"password", required_argument, NULL, 'p'},
                                         {"password-stdin", no_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+u:p:", opts, NULL)) != -1) {
        if (c == 'u')
            free(a->user), a->user = xstrdup(optarg);
        else if (c == 'p')
            free(a->pass), a->pass = xstrdup(optarg);
        else if (c == 's')
            *from_stdin = true;
        else
            return -1;
    }
    if (argc - optind > 1)
        return -1;
    a->server = argc > optind ? argv[optind] : NULL;
    return 0;
}

int cmd_login(int argc, char **argv)
{
    struct login_args a = {0};
    bool from_stdin = false;
    int rc;
    if (parse(argc, argv, &a, &from_stdin) < 0) {
        rc = cli_error(125, "%s", LOGIN_USAGE);
    } else {
        if (a.pass && !from_stdin)
            fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
                            "--password-stdin.\n");
        rc = ask(&a, from_stdin) < 0 ? 1 : login(&a);
    }
    free(a.user);
    if (a.pass)
        explicit_bzero(a.pass, strlen(a.pass));
    free(a.pass);
    return rc;
}

int cmd_logout(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        return cli_error(125, "usage: berth logout [SERVER]");
    _cleanup_free_ char *key = server_key(argc == 2 ? argv[1] : NULL);
    _cleanup_free_ char *path = auth_path();
    json_t *j = auth_load(path);
    if (j == NULL)
        return 1;
    const char *name = NULL;
    json_t *auths = json_object_get(j, "auths");
    int rc = 0;
    if (find_entry(auths, key, &name) == NULL) {
        printf("Not logged in to %s\n", key);
    } else {
        printf("Removing login credentials for %s\n", key);
        json_object_del(auths, name);
        rc = auth_save(path, j) < 0 ? 1 : 0;
    }
    json_decref(j);
    return rc;
}
