/* dockerfile_expand (dockerfile.h): BuildKit's shell lexer
 * (frontend/dockerfile/shell/lex.go, ProcessWord) on bytes: quotes are
 * removed, the escape character quotes the next character, and $NAME,
 * ${NAME} and ${NAME<modifier>word} are replaced from the environment. */
#include "dockerfile.h"

#include "dockerfile-util.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* Docker has no limits here, but the builder's values come from the
 * Dockerfile itself: "ENV A=$A$A" on every line doubles A each time. */
#define EXPAND_MAX   (1 << 20)
#define EXPAND_DEPTH 32

struct lexer {
    const char *s;
    size_t pos, len;
    char esc;
    char *const *env;
    int depth;
    struct berth_error **err;
};

static int peek(const struct lexer *l)
{
    return l->pos < l->len ? (unsigned char)l->s[l->pos] : -1;
}

static int next(struct lexer *l)
{
    return l->pos < l->len ? (unsigned char)l->s[l->pos++] : -1;
}

static int lex_fail(const struct lexer *l, const char *what)
{
    return berth_error_set(l->err, EINVAL, "%s in '%.64s'", what, l->s);
}

static int put(const struct lexer *l, struct buf *out, const char *s, size_t n)
{
    if (out->n + n > EXPAND_MAX)
        return berth_error_set(l->err, EINVAL, "the expansion of '%.64s' is longer than %d bytes",
                               l->s, EXPAND_MAX);
    df_buf_put(out, s, n);
    return 0;
}

static int putc_(const struct lexer *l, struct buf *out, int c)
{
    char ch = (char)c;
    return put(l, out, &ch, 1);
}

/* The value of the last "NAME=" in env, or NULL. */
static const char *lookup(const struct lexer *l, const char *name)
{
    const char *v = NULL;
    size_t n = strlen(name);
    for (char *const *e = l->env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            v = *e + n + 1;
    return v;
}

/* lex.go's processName: digits, one special parameter, or a name. */
static void lex_name(struct lexer *l, struct buf *name)
{
    int ch = peek(l);
    if (ch >= 0 && isdigit(ch)) {
        while ((ch = peek(l)) >= 0 && isdigit(ch))
            df_buf_putc(name, (char)next(l));
        return;
    }
    if (ch >= 0 && strchr("@*#?-$!0", ch) && ch != '\0') {
        df_buf_putc(name, (char)next(l));
        return;
    }
    while ((ch = peek(l)) >= 0 && (isalnum(ch) || ch == '_'))
        df_buf_putc(name, (char)next(l));
    df_buf_put(name, "", 0);
}

static int lex_stop_on(struct lexer *l, int stop, struct buf *out);

static int lex_single(struct lexer *l, struct buf *out)
{
    int ch, r;
    next(l);
    while ((ch = next(l)) != '\'') {
        if (ch < 0)
            return lex_fail(l, "unterminated single quote");
        if ((r = putc_(l, out, ch)) < 0)
            return r;
    }
    return 0;
}

static int lex_dollar(struct lexer *l, struct buf *out);

/* Inside double quotes the escape character quotes only '"', '$' and
 * itself; other escapes stay as written. */
static int lex_double(struct lexer *l, struct buf *out)
{
    int ch, r;
    next(l);
    for (;;) {
        ch = peek(l);
        if (ch < 0)
            return lex_fail(l, "unterminated double quote");
        if (ch == '"') {
            next(l);
            return 0;
        }
        if (ch == '$') {
            r = lex_dollar(l, out);
        } else {
            next(l);
            if (ch == l->esc) {
                int c2 = peek(l);
                if (c2 < 0)
                    continue;
                if (c2 == '"' || c2 == '$' || c2 == l->esc)
                    ch = next(l);
            }
            r = putc_(l, out, ch);
        }
        if (r < 0)
            return r;
    }
}

/* ${NAME<op>word}: the word is expanded (even when unused, as Docker does)
 * before the operator picks the result. */
static int lex_modifier(struct lexer *l, const char *name, int op, bool colon, struct buf *out)
{
    _cleanup_buf_ struct buf word = {0};
    int r = lex_stop_on(l, '}', &word);
    if (r < 0)
        return r;
    df_buf_put(&word, "", 0);
    const char *v = lookup(l, name);
    bool set = v != NULL, nonempty = v && *v;
    bool present = colon ? nonempty : set;
    switch (op) {
    case '-':
        v = present ? v : word.s;
        break;
    case '+':
        v = present ? word.s : "";
        break;
    case '?':
        if (!present)
            return berth_error_set(l->err, EINVAL, "'%.64s': %.64s", name,
                                   word.n ? word.s
                                   : !set ? "is not allowed to be unset"
                                          : "is not allowed to be empty");
        break;
    default:
        return berth_error_set(l->err, EINVAL,
                               "unsupported modifier '%c' in substitution in '%.64s'",
                               op > 0 ? op : '?', l->s);
    }
    return put(l, out, v, strlen(v));
}

static int lex_dollar(struct lexer *l, struct buf *out)
{
    _cleanup_buf_ struct buf name = {0};
    next(l);
    if (peek(l) != '{') {
        lex_name(l, &name);
        if (name.n == 0)
            return put(l, out, "$", 1);
        const char *v = lookup(l, name.s);
        return v ? put(l, out, v, strlen(v)) : 0;
    }
    next(l);
    int ch = peek(l);
    if (ch < 0)
        return lex_fail(l, "missing '}'");
    if (ch == '{' || ch == '}' || ch == ':')
        return lex_fail(l, "bad substitution");
    lex_name(l, &name);
    df_buf_put(&name, "", 0);
    ch = next(l);
    if (ch == '}') {
        const char *v = lookup(l, name.s);
        return v ? put(l, out, v, strlen(v)) : 0;
    }
    if (ch < 0)
        return lex_fail(l, "missing '}'");
    if (ch == ':')
        return lex_modifier(l, name.s, next(l), true, out);
    if (ch == '-' || ch == '+' || ch == '?')
        return lex_modifier(l, name.s, ch, false, out);
    return berth_error_set(l->err, EINVAL, "unsupported modifier '%c' in substitution in '%.64s'",
                           ch, l->s);
}

/* lex.go's processStopOn: up to an unquoted `stop` (-1: the end). */
static int lex_stop_on(struct lexer *l, int stop, struct buf *out)
{
    int ch, r = 0;
    if (++l->depth > EXPAND_DEPTH)
        return lex_fail(l, "substitutions nested too deeply");
    while ((ch = peek(l)) >= 0) {
        if (stop >= 0 && ch == stop) {
            next(l);
            l->depth--;
            return 0;
        }
        if (ch == '$') {
            r = lex_dollar(l, out);
        } else if (ch == '\'') {
            r = lex_single(l, out);
        } else if (ch == '"') {
            r = lex_double(l, out);
        } else {
            next(l);
            if (ch == l->esc && (ch = next(l)) < 0)
                break; /* an escape at the end is dropped */
            r = putc_(l, out, ch);
        }
        if (r < 0)
            return r;
    }
    l->depth--;
    return stop >= 0 ? lex_fail(l, "missing '}'") : 0;
}

char *dockerfile_expand(const char *word, char escape, char *const *env, struct berth_error **err)
{
    struct lexer l = {
        .s = word,
        .len = strlen(word),
        .esc = escape,
        .env = env,
        .err = err,
    };
    _cleanup_buf_ struct buf out = {0};
    if (lex_stop_on(&l, -1, &out) < 0)
        return NULL;
    return df_buf_take(&out);
}
