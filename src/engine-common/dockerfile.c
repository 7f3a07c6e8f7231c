/* Dockerfile parsing (dockerfile.h): a port of BuildKit's
 * frontend/dockerfile/parser (line joining, directives, the instructions'
 * forms), working on bytes: every character it treats specially is ASCII,
 * so UTF-8 text passes through unchanged. Its word splitters are in
 * dockerfile-words.c, the expansion in dockerfile-expand.c. */
#include "dockerfile.h"

#include "cleanup.h"
#include "dockerfile-util.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The instruction names berth knows but maps or refuses. */
#define KIND_MAINTAINER 100
#define KIND_ONBUILD    101

static int df_fail(struct berth_error **err, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int df_fail(struct berth_error **err, int line, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort(); /* allocation failure aborts (STYLE.md) */
    va_end(ap);
    int r = berth_error_set(err, EINVAL, "Dockerfile:%d: %s", line, msg);
    free(msg);
    return r;
}

/* ---- the parser ----------------------------------------------------- */

struct parser {
    const char *text;
    size_t len, pos;
    int line; /* physical lines read */
    char escape;
    bool directives_done, seen_escape, seen_syntax, seen_check;
    struct dockerfile *d;
    size_t cap_ins, cap_stages;
};

/* One instruction line being parsed. */
struct ctx {
    int line;
    const char *name; /* upper case */
    const char *original;
    const char *rest; /* the arguments after the flags, trimmed */
    char **flags;
};

/* The next physical line, as Go's bufio.ScanLines gives it: without its
 * "\n" and one "\r" before it. */
static int next_line(struct parser *p, const char **ret, size_t *ret_n, struct berth_error **err)
{
    if (p->pos >= p->len)
        return 0;
    const char *s = p->text + p->pos;
    const char *nl = memchr(s, '\n', p->len - p->pos);
    size_t n = nl ? (size_t)(nl - s) : p->len - p->pos;
    p->pos += n + (nl ? 1 : 0);
    p->line++;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (p->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        s += 3;
        n -= 3;
    }
    if (memchr(s, '\0', n))
        return df_fail(err, p->line, "NUL byte in the line");
    *ret = s;
    *ret_n = n;
    return 1;
}

/* RE2's \s */
static bool re_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int set_directive(struct parser *p, const char *key, const char *v, size_t vn,
                         struct berth_error **err)
{
    bool *seen = streq(key, "escape")   ? &p->seen_escape
                 : streq(key, "syntax") ? &p->seen_syntax
                                        : &p->seen_check;
    if (*seen)
        return df_fail(err, p->line, "only one '%s' parser directive can be used", key);
    *seen = true;
    if (!streq(key, "escape"))
        return 0; /* syntax= names a frontend image: berth has its own parser */
    if (vn != 1 || (v[0] != '\\' && v[0] != '`'))
        return df_fail(err, p->line, "invalid escape character '%.*s' (only ` and \\ are allowed)",
                       (int)(vn > 16 ? 16 : vn), v);
    p->escape = v[0];
    return 0;
}

/* BuildKit's reDirective, ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$, on
 * the lines before the first that is not a known directive. */
static int directive(struct parser *p, const char *s, size_t n, struct berth_error **err)
{
    size_t i = 1, k, kn, v, vn;
    char key[16];
    if (n == 0 || s[0] != '#')
        goto done;
    while (i < n && re_space(s[i]))
        i++;
    for (k = i; i < n && (isalpha((unsigned char)s[i]) || (i > k && isdigit((unsigned char)s[i])));)
        i++;
    kn = i - k;
    while (i < n && re_space(s[i]))
        i++;
    if (kn == 0 || kn >= sizeof(key) || i >= n || s[i] != '=')
        goto done;
    for (v = ++i; v < n && re_space(s[v]);)
        v++;
    if (v == n) {
        if (v == i)
            goto done;
        v = n - 1; /* the lazy (.+?) takes one blank when there is nothing else */
    }
    for (vn = n - v; vn > 1 && re_space(s[v + vn - 1]);)
        vn--;
    for (size_t j = 0; j < kn; j++)
        key[j] = (char)tolower((unsigned char)s[k + j]);
    key[kn] = '\0';
    if (!streq(key, "escape") && !streq(key, "syntax") && !streq(key, "check"))
        goto done;
    return set_directive(p, key, s + v, vn, err);
done:
    p->directives_done = true;
    return 0;
}

/* BuildKit's processLine: returns 1 for a comment line (whose text is then
 * dropped), 0 for another. */
static int process_line(struct parser *p, const char **s, size_t *n, bool strip_left,
                        struct berth_error **err)
{
    if (strip_left)
        while (*n > 0 && df_is_space(**s))
            (*s)++, (*n)--;
    if (!p->directives_done) {
        int r = directive(p, *s, *n, err);
        if (r < 0)
            return r;
    }
    size_t i = 0;
    while (i < *n && df_is_space((*s)[i]))
        i++;
    if (i < *n && (*s)[i] == '#') {
        *n = 0;
        return 1;
    }
    return 0;
}

/* Drops a trailing escape character (and blanks after it): whether the
 * instruction continues on the next line. */
static bool trim_continuation(const struct parser *p, const char *s, size_t *n)
{
    size_t i = *n;
    while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
        i--;
    if (i == 0 || s[i - 1] != p->escape)
        return false;
    *n = i - 1;
    return true;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!df_is_space(s[i]))
            return false;
    return true;
}

/* Joins the next instruction's lines into `line`: comment lines and blank
 * lines inside a continuation are skipped, as Docker does. */
static int read_instruction(struct parser *p, struct buf *line, int *ret_line,
                            struct berth_error **err)
{
    const char *s;
    size_t n;
    int r;
    for (;;) {
        if ((r = next_line(p, &s, &n, err)) <= 0)
            return r;
        if ((r = process_line(p, &s, &n, true, err)) < 0)
            return r;
        bool cont = trim_continuation(p, s, &n);
        if (!cont && n == 0)
            continue;
        *ret_line = p->line;
        df_buf_put(line, s, n);
        while (cont) {
            if ((r = next_line(p, &s, &n, err)) < 0)
                return r;
            if (r == 0)
                break;
            if ((r = process_line(p, &s, &n, false, err)) < 0)
                return r;
            if (r == 1 || blank(s, n))
                continue;
            cont = trim_continuation(p, s, &n);
            df_buf_put(line, s, n);
        }
        return 1;
    }
}

static struct df_instr *push_instr(struct parser *p, enum df_kind kind, const struct ctx *c)
{
    struct dockerfile *d = p->d;
    if (d->n_ins == p->cap_ins) {
        p->cap_ins = p->cap_ins ? p->cap_ins * 2 : 16;
        d->ins = xrealloc(d->ins, p->cap_ins * sizeof(*d->ins));
    }
    struct df_instr *in = &d->ins[d->n_ins++];
    *in = (struct df_instr){
        .kind = kind,
        .line = c->line,
        .original = xstrdup(c->original),
        .args = NULL,
        .flags = xzalloc(sizeof(char *)),
    };
    return in;
}

/* ---- flags ---------------------------------------------------------- */

static const char *const from_flags[] = {"platform", NULL};
static const char *const copy_flags[] = {"from", "chown", "chmod", NULL};
static const char *const add_flags[] = {"chown", "chmod", NULL};
static const char *const health_flags[] = {"interval",       "timeout", "start-period",
                                           "start-interval", "retries", NULL};
static const char *const no_flags[] = {NULL};
/* Docker's flags berth does not implement: refused by name rather than
 * run without what they ask for (a cache mount, no network, ...). */
static const char *const unsupported_flags[] = {"mount",   "network", "security", "device",
                                                "link",    "parents", "checksum", "keep-git-dir",
                                                "exclude", NULL};

static bool in_list(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && memcmp(*list, s, n) == 0)
            return true;
    return false;
}

static const char *const *flags_of(enum df_kind kind)
{
    switch (kind) {
    case DF_FROM:
        return from_flags;
    case DF_COPY:
        return copy_flags;
    case DF_ADD:
        return add_flags;
    case DF_HEALTHCHECK:
        return health_flags;
    default:
        return no_flags;
    }
}

/* Checks each "--name=value" word against the instruction's flags and
 * rewrites it to "name=value". */
static int check_flags(const struct ctx *c, enum df_kind kind, struct berth_error **err)
{
    const char *const *allowed = flags_of(kind);
    for (size_t i = 0; c->flags[i]; i++) {
        char *f = c->flags[i] + 2; /* extract_flags' words start with "--" */
        const char *eq = strchr(f, '=');
        size_t n = eq ? (size_t)(eq - f) : strlen(f);
        if (!in_list(allowed, f, n)) {
            if (in_list(unsupported_flags, f, n))
                return df_fail(err, c->line, "%s --%.*s is not supported", c->name, (int)n, f);
            return df_fail(err, c->line, "unknown flag '--%.*s' for %s", n > 64 ? 64 : (int)n, f,
                           c->name);
        }
        if (eq == NULL || eq[1] == '\0')
            return df_fail(err, c->line, "%s --%.*s needs a value", c->name, (int)n, f);
        for (size_t j = 0; j < i; j++)
            if (strncmp(c->flags[j], f, n + 1) == 0)
                return df_fail(err, c->line, "duplicate flag --%.*s", (int)n, f);
        memmove(c->flags[i], f, strlen(f) + 1);
    }
    return 0;
}

/* ---- instructions --------------------------------------------------- */

static bool valid_stage_name(const char *s)
{
    if (!islower((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("-_.", *s))
            return false;
    return true;
}

static void push_stage(struct parser *p, const char *name)
{
    struct dockerfile *d = p->d;
    if (d->n_stages == p->cap_stages) {
        p->cap_stages = p->cap_stages ? p->cap_stages * 2 : 4;
        d->stages = xrealloc(d->stages, p->cap_stages * sizeof(*d->stages));
    }
    d->stages[d->n_stages++] = (struct df_stage){
        .name = name ? xstrdup(name) : NULL,
        .first = d->n_ins - 1,
        .count = 0,
    };
}

static int parse_from(struct parser *p, const struct ctx *c, struct berth_error **err)
{
    _cleanup_strv_ char **w = df_split_ws(c->rest);
    size_t n = strv_length(w);
    if (n == 0)
        return df_fail(err, c->line, "FROM requires an image");
    if (n != 1 && (n != 3 || strcasecmp(w[1], "as") != 0))
        return df_fail(err, c->line, "FROM takes an image and an optional 'AS name', not '%.64s'",
                       c->rest);
    if (n == 3) {
        for (char *s = w[2]; *s; s++)
            *s = (char)tolower((unsigned char)*s);
        if (!valid_stage_name(w[2]))
            return df_fail(err, c->line,
                           "invalid stage name '%.64s': it must start with a letter and hold "
                           "only letters, digits, '-', '_' and '.'",
                           w[2]);
        free(w[1]);
        w[1] = xstrdup("AS");
    }
    struct df_instr *in = push_instr(p, DF_FROM, c);
    in->args = TAKE_PTR(w);
    push_stage(p, n == 3 ? in->args[2] : NULL);
    return 0;
}

/* RUN, CMD, ENTRYPOINT, SHELL: exec form or shell form. */
static int parse_command(struct parser *p, const struct ctx *c, enum df_kind kind,
                         struct berth_error **err)
{
    _cleanup_strv_ char **v = NULL;
    int r = df_parse_json(c->rest, &v);
    if (r < 0)
        return df_fail(err, c->line, "%s: the exec form must be a JSON array of strings", c->name);
    if (r == 0) {
        if (kind == DF_SHELL)
            return df_fail(err, c->line, "SHELL requires a JSON array of strings");
        if (c->rest[0] == '\0')
            return df_fail(err, c->line, "%s requires an argument", c->name);
        if (kind == DF_RUN && df_heredoc_in_line(c->rest))
            return df_fail(err, c->line, "heredocs (<<) are not supported in RUN");
        v = xzalloc(2 * sizeof(char *));
        v[0] = xstrdup(c->rest);
    } else if (v[0] == NULL && (kind == DF_RUN || kind == DF_SHELL)) {
        return df_fail(err, c->line, "%s requires at least one argument", c->name);
    }
    struct df_instr *in = push_instr(p, kind, c);
    in->args = TAKE_PTR(v);
    in->json = r > 0;
    return 0;
}

/* COPY, ADD, VOLUME: a JSON array or whitespace-separated words. */
static int parse_list(struct parser *p, const struct ctx *c, enum df_kind kind,
                      struct berth_error **err)
{
    _cleanup_strv_ char **v = NULL;
    int r = df_parse_json(c->rest, &v);
    if (r < 0)
        return df_fail(err, c->line, "%s: the exec form must be a JSON array of strings", c->name);
    if (r == 0) {
        v = df_split_ws(c->rest);
        if (kind != DF_VOLUME && df_has_heredoc(v))
            return df_fail(err, c->line, "heredocs (<<) are not supported in %s", c->name);
    }
    size_t n = strv_length(v);
    if (kind != DF_VOLUME && n < 2)
        return df_fail(err, c->line,
                       "%s requires at least two arguments: a source and a destination", c->name);
    if (kind == DF_VOLUME && n == 0)
        return df_fail(err, c->line, "VOLUME requires at least one argument");
    for (size_t i = 0; i < n; i++)
        if (v[i][0] == '\0')
            return df_fail(err, c->line, "%s: an empty path", c->name);
    struct df_instr *in = push_instr(p, kind, c);
    in->args = TAKE_PTR(v);
    in->json = r > 0;
    return 0;
}

/* ENV and LABEL (BuildKit's parseNameVal): K=V words, or the legacy
 * "K V with spaces" when the first word holds no "=". */
static int parse_name_val(struct parser *p, const struct ctx *c, enum df_kind kind,
                          struct berth_error **err)
{
    _cleanup_strv_ char **w = df_parse_words(c->rest, p->escape);
    _cleanup_vec_ struct vec kv = {0};
    if (w[0] == NULL)
        return df_fail(err, c->line, "%s requires at least one argument", c->name);
    if (strchr(w[0], '=') == NULL) {
        size_t k = 0;
        while (c->rest[k] && !df_is_ws(c->rest[k]))
            k++;
        const char *v = c->rest + k;
        while (*v && df_is_ws(*v))
            v++;
        if (*v == '\0')
            return df_fail(err, c->line,
                           "%s must have two arguments ('%s NAME VALUE' or '%s NAME=VALUE')",
                           c->name, c->name, c->name);
        df_vec_push(&kv, df_strndup(c->rest, k));
        df_vec_push(&kv, xstrdup(v));
    } else {
        for (size_t i = 0; w[i]; i++) {
            const char *eq = strchr(w[i], '=');
            if (eq == NULL)
                return df_fail(err, c->line, "can't find = in '%.64s': it must be NAME=VALUE",
                               w[i]);
            df_vec_push(&kv, df_strndup(w[i], (size_t)(eq - w[i])));
            df_vec_push(&kv, xstrdup(eq + 1));
        }
    }
    for (size_t i = 0; i < kv.n; i += 2)
        if (kv.v[i][0] == '\0')
            return df_fail(err, c->line, "%s names can not be blank", c->name);
    struct df_instr *in = push_instr(p, kind, c);
    in->args = df_vec_take(&kv);
    return 0;
}

/* ARG: one instruction per NAME or NAME=default word. */
static int parse_arg(struct parser *p, const struct ctx *c, struct berth_error **err)
{
    _cleanup_strv_ char **w = df_parse_words(c->rest, p->escape);
    if (w[0] == NULL)
        return df_fail(err, c->line, "ARG requires at least one argument");
    for (size_t i = 0; w[i]; i++) {
        const char *eq = strchr(w[i], '=');
        size_t n = eq ? (size_t)(eq - w[i]) : strlen(w[i]);
        if (n == 0)
            return df_fail(err, c->line, "ARG names can not be blank");
    }
    for (size_t i = 0; w[i]; i++) {
        const char *eq = strchr(w[i], '=');
        struct df_instr *in = push_instr(p, DF_ARG, c);
        in->args = xzalloc(3 * sizeof(char *));
        in->args[0] = eq ? df_strndup(w[i], (size_t)(eq - w[i])) : xstrdup(w[i]);
        in->args[1] = xstrdup(eq ? eq + 1 : "");
        in->has_default = eq != NULL;
    }
    return 0;
}

static int parse_healthcheck(struct parser *p, const struct ctx *c, struct berth_error **err)
{
    size_t sep = 0;
    while (c->rest[sep] && !df_is_space(c->rest[sep]))
        sep++;
    const char *cmd = c->rest + sep;
    while (*cmd && df_is_space(*cmd))
        cmd++;
    if (sep == 4 && strncasecmp(c->rest, "NONE", 4) == 0) {
        if (*cmd || c->flags[0])
            return df_fail(err, c->line, "HEALTHCHECK NONE takes no arguments");
        struct df_instr *in = push_instr(p, DF_HEALTHCHECK, c);
        in->args = xzalloc(2 * sizeof(char *));
        in->args[0] = xstrdup("NONE");
        return 0;
    }
    if (sep != 3 || strncasecmp(c->rest, "CMD", 3) != 0)
        return df_fail(err, c->line, "unknown HEALTHCHECK type '%.*s' (try CMD or NONE)",
                       sep > 16 ? 16 : (int)sep, c->rest);
    _cleanup_vec_ struct vec v = {0};
    _cleanup_strv_ char **j = NULL;
    int r = df_parse_json(cmd, &j);
    if (r < 0)
        return df_fail(err, c->line,
                       "HEALTHCHECK CMD: the exec form must be a JSON array of strings");
    if ((r > 0 && j[0] == NULL) || *cmd == '\0')
        return df_fail(err, c->line, "missing command after HEALTHCHECK CMD");
    df_vec_push(&v, xstrdup("CMD"));
    if (r == 0)
        df_vec_push(&v, xstrdup(cmd));
    for (size_t i = 0; r > 0 && j[i]; i++)
        df_vec_push(&v, xstrdup(j[i]));
    struct df_instr *in = push_instr(p, DF_HEALTHCHECK, c);
    in->args = df_vec_take(&v);
    in->json = r > 0;
    return 0;
}

/* WORKDIR, USER, STOPSIGNAL, EXPOSE */
static int parse_simple(struct parser *p, const struct ctx *c, enum df_kind kind,
                        struct berth_error **err)
{
    if (c->rest[0] == '\0')
        return df_fail(err, c->line, "%s requires an argument", c->name);
    struct df_instr *in = push_instr(p, kind, c);
    if (kind == DF_EXPOSE) {
        in->args = df_split_ws(c->rest);
    } else {
        in->args = xzalloc(2 * sizeof(char *));
        in->args[0] = xstrdup(c->rest);
    }
    return 0;
}

/* The text a MAINTAINER gives, quoted so that dockerfile_expand gives it
 * back unchanged: Docker never expands MAINTAINER. */
static char *quote_literal(const char *s, char esc)
{
    _cleanup_buf_ struct buf b = {0};
    df_buf_putc(&b, '\'');
    for (; *s; s++) {
        if (*s == '\'') {
            const char q[] = {'\'', esc, '\'', '\''};
            df_buf_put(&b, q, sizeof(q));
        } else {
            df_buf_putc(&b, *s);
        }
    }
    df_buf_putc(&b, '\'');
    return df_buf_take(&b);
}

/* MAINTAINER (deprecated in Docker, which sets the image's author field)
 * becomes LABEL maintainer=..., which is what Docker's reference tells
 * users to write instead. */
static int parse_maintainer(struct parser *p, const struct ctx *c, struct berth_error **err)
{
    if (c->rest[0] == '\0')
        return df_fail(err, c->line, "MAINTAINER requires an argument");
    struct df_instr *in = push_instr(p, DF_LABEL, c);
    in->args = xzalloc(3 * sizeof(char *));
    in->args[0] = xstrdup("maintainer");
    in->args[1] = quote_literal(c->rest, p->escape);
    return 0;
}

/* ---- the file ------------------------------------------------------- */

static const struct {
    const char *name;
    int kind;
} instr_names[] = {
    {"FROM", DF_FROM},
    {"RUN", DF_RUN},
    {"COPY", DF_COPY},
    {"ADD", DF_ADD},
    {"ENV", DF_ENV},
    {"ARG", DF_ARG},
    {"WORKDIR", DF_WORKDIR},
    {"USER", DF_USER},
    {"EXPOSE", DF_EXPOSE},
    {"LABEL", DF_LABEL},
    {"CMD", DF_CMD},
    {"ENTRYPOINT", DF_ENTRYPOINT},
    {"VOLUME", DF_VOLUME},
    {"STOPSIGNAL", DF_STOPSIGNAL},
    {"SHELL", DF_SHELL},
    {"HEALTHCHECK", DF_HEALTHCHECK},
    {"MAINTAINER", KIND_MAINTAINER},
    {"ONBUILD", KIND_ONBUILD},
};

static int dispatch(struct parser *p, const struct ctx *c, int kind, struct berth_error **err)
{
    switch (kind) {
    case DF_FROM:
        return parse_from(p, c, err);
    case DF_RUN:
    case DF_CMD:
    case DF_ENTRYPOINT:
    case DF_SHELL:
        return parse_command(p, c, kind, err);
    case DF_COPY:
    case DF_ADD:
    case DF_VOLUME:
        return parse_list(p, c, kind, err);
    case DF_ENV:
    case DF_LABEL:
        return parse_name_val(p, c, kind, err);
    case DF_ARG:
        return parse_arg(p, c, err);
    case DF_HEALTHCHECK:
        return parse_healthcheck(p, c, err);
    case KIND_MAINTAINER:
        return parse_maintainer(p, c, err);
    default:
        return parse_simple(p, c, kind, err);
    }
}

static int lookup_instr(const char *cmd, size_t n)
{
    for (size_t i = 0; i < ARRAY_SIZE(instr_names); i++)
        if (strlen(instr_names[i].name) == n && strncasecmp(instr_names[i].name, cmd, n) == 0)
            return (int)i;
    return -1;
}

static int parse_instruction(struct parser *p, char *line, int lineno, struct berth_error **err)
{
    while (*line && df_is_space(*line))
        line++;
    size_t n = strlen(line);
    while (n > 0 && df_is_space(line[n - 1]))
        line[--n] = '\0';
    if (n == 0)
        return 0;
    size_t cl = 0;
    while (line[cl] && !df_is_ws(line[cl]))
        cl++;
    int i = lookup_instr(line, cl);
    if (i < 0)
        return df_fail(err, lineno, "unknown instruction '%.*s'", cl > 64 ? 64 : (int)cl, line);
    int kind = instr_names[i].kind;
    if (kind == KIND_ONBUILD)
        return df_fail(err, lineno, "ONBUILD is not supported");
    if (p->d->n_stages == 0 && kind != DF_ARG && kind != DF_FROM)
        return df_fail(err, lineno, "%s before the first FROM (only ARG may come before FROM)",
                       instr_names[i].name);
    const char *after;
    _cleanup_strv_ char **flags = df_extract_flags(line + cl, &after);
    while (*after && df_is_space(*after))
        after++;
    struct ctx c = {
        .line = lineno,
        .name = instr_names[i].name,
        .original = line,
        .rest = after,
        .flags = flags,
    };
    int r = check_flags(&c, kind == KIND_MAINTAINER ? DF_LABEL : (enum df_kind)kind, err);
    if (r < 0)
        return r;
    size_t before = p->d->n_ins;
    if ((r = dispatch(p, &c, kind, err)) < 0)
        return r;
    if (p->d->n_ins > before) {
        struct df_instr *last = &p->d->ins[p->d->n_ins - 1];
        free(last->flags);
        last->flags = TAKE_PTR(flags);
    }
    return 0;
}

static int cmp_stage(const void *a, const void *b)
{
    const struct df_stage *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    return r ? r : (x->first > y->first) - (x->first < y->first);
}

/* Stage names are unique: sorting a copy finds every repeat in n log n
 * (the input may hold any number of stages); the first repeat in the file
 * is reported. */
static int check_stages(struct dockerfile *d, struct berth_error **err)
{
    _cleanup_free_ struct df_stage *s = xmalloc((d->n_stages + 1) * sizeof(*s));
    size_t n = 0, dup = SIZE_MAX;
    for (size_t i = 0; i < d->n_stages; i++) {
        d->stages[i].count =
            (i + 1 < d->n_stages ? d->stages[i + 1].first : d->n_ins) - d->stages[i].first;
        if (d->stages[i].name)
            s[n++] = d->stages[i];
    }
    qsort(s, n, sizeof(*s), cmp_stage);
    for (size_t i = 1; i < n; i++)
        if (strcmp(s[i - 1].name, s[i].name) == 0 && (dup == SIZE_MAX || s[i].first < s[dup].first))
            dup = i;
    if (dup != SIZE_MAX)
        return df_fail(err, d->ins[s[dup].first].line, "duplicate stage name '%s'", s[dup].name);
    return 0;
}

int dockerfile_parse(const char *text, size_t len, struct dockerfile **ret,
                     struct berth_error **err)
{
    struct dockerfile *d = xzalloc(sizeof(*d));
    struct parser p = {.text = text, .len = len, .escape = '\\', .d = d};
    int r, lineno = 0;
    for (;;) {
        _cleanup_buf_ struct buf line = {0};
        if ((r = read_instruction(&p, &line, &lineno, err)) <= 0)
            break;
        df_buf_put(&line, "", 0);
        if ((r = parse_instruction(&p, line.s, lineno, err)) < 0)
            break;
    }
    if (r == 0 && d->n_ins == 0)
        r = df_fail(err, 1, "no instructions (an empty Dockerfile)");
    if (r == 0 && d->n_stages == 0)
        r = df_fail(err, d->ins[d->n_ins - 1].line, "no FROM instruction");
    if (r == 0)
        r = check_stages(d, err);
    if (r < 0) {
        dockerfile_free(d);
        return r;
    }
    d->n_meta_args = d->stages[0].first;
    d->escape = p.escape;
    *ret = d;
    return 0;
}

void dockerfile_free(struct dockerfile *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_ins; i++) {
        free(d->ins[i].original);
        strv_freep(&d->ins[i].args);
        strv_freep(&d->ins[i].flags);
    }
    for (size_t i = 0; i < d->n_stages; i++)
        free(d->stages[i].name);
    free(d->ins);
    free(d->stages);
    free(d);
}
