/* .dockerignore files (dockerfile.h): moby's dockerignore.ReadAll and
 * patternmatcher. A pattern is compiled to a list of tokens and matched by
 * simulating its automaton (one pass over the path, no backtracking), so a
 * hostile "*a*a*a*a*b" costs len(path) x len(pattern), as the regexp
 * Docker builds from it does. */
#include "dockerfile.h"

#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

enum tok_type {
    T_LIT,         /* one character */
    T_ANY,         /* "?": one character but "/" */
    T_CLASS,       /* "[...]" */
    T_STAR,        /* "*": any run of characters but "/" */
    T_DSTAR_SLASH, /* "**" inside: any dirs, or none */
    T_DSTAR_END,   /* "**" at the end: anything */
};

struct tok {
    enum tok_type type;
    uint32_t ch;  /* T_LIT */
    size_t class; /* T_CLASS: offset of the character after "[" */
};

struct pattern {
    char *text; /* cleaned, without "!" */
    struct tok *toks;
    size_t n;
    bool exclusion;
};

struct dockerignore {
    struct pattern *pats;
    size_t n;
};

/* One UTF-8 character; a byte that starts none stands for itself (marked
 * so it never equals a real character). */
static uint32_t decode(const char *s, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *len = 1;
        return u[0];
    }
    int n = u[0] >= 0xf0 && u[0] < 0xf5   ? 4
            : u[0] >= 0xe0                ? 3
            : u[0] >= 0xc2 && u[0] < 0xe0 ? 2
                                          : 0;
    uint32_t c = n == 4 ? u[0] & 0x07 : n == 3 ? u[0] & 0x0f : u[0] & 0x1f;
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80) {
            n = 0;
            break;
        }
        c = (c << 6) | (u[i] & 0x3f);
    }
    if (n == 0) {
        *len = 1;
        return 0x80000000u | u[0];
    }
    *len = (size_t)n;
    return c;
}

/* Go's filepath.Match getEsc: a class member, escaped or not. */
static bool class_char(const char **p, uint32_t *ret)
{
    const char *s = *p;
    size_t n;
    if (*s == '\0' || *s == '-' || *s == ']')
        return false;
    if (*s == '\\' && *++s == '\0')
        return false;
    *ret = decode(s, &n);
    if (*ret & 0x80000000u || s[n] == '\0')
        return false;
    *p = s + n;
    return true;
}

/* Walks a class from after its "[" to after its "]": false for a syntax
 * error (filepath.ErrBadPattern), else *ret_match for c. */
static bool class_run(const char **p, uint32_t c, bool *ret_match)
{
    const char *s = *p;
    bool negated = *s == '^', match = false;
    int nrange = 0;
    if (negated)
        s++;
    for (;; nrange++) {
        uint32_t lo, hi;
        if (*s == ']' && nrange > 0) {
            s++;
            break;
        }
        if (!class_char(&s, &lo))
            return false;
        hi = lo;
        if (*s == '-') {
            s++;
            if (!class_char(&s, &hi))
                return false;
        }
        if (lo <= c && c <= hi)
            match = true;
    }
    *p = s;
    *ret_match = match != negated;
    return true;
}

static bool compile(struct pattern *pt)
{
    const char *s = pt->text;
    pt->toks = xmalloc((strlen(s) + 1) * sizeof(*pt->toks));
    while (*s) {
        struct tok *t = &pt->toks[pt->n++];
        size_t len;
        *t = (struct tok){.type = T_LIT};
        if (s[0] == '*' && s[1] == '*') {
            s += s[2] == '/' ? 3 : 2;
            t->type = *s ? T_DSTAR_SLASH : T_DSTAR_END;
        } else if (*s == '*' || *s == '?') {
            t->type = *s++ == '*' ? T_STAR : T_ANY;
        } else if (*s == '[') {
            bool m;
            t->type = T_CLASS;
            t->class = (size_t)(++s - pt->text);
            if (!class_run(&s, 0, &m))
                return false;
        } else if (*s == '\\') {
            if (*++s == '\0')
                return false; /* filepath.Match refuses a trailing "\" */
            t->ch = decode(s, &len);
            s += len;
        } else {
            t->ch = decode(s, &len);
            s += len;
        }
    }
    return true;
}

/* Steps the automaton's states `cur` over character c into `nxt`. State
 * i is "at token i"; state n + 1 + i is "inside the dirs of a "**"", which
 * has consumed characters and must end them with a "/". */
static void step(const struct pattern *pt, const uint8_t *cur, uint8_t *nxt, uint32_t c)
{
    size_t in = pt->n + 1;
    memset(nxt, 0, 2 * in);
    for (size_t i = 0; i < pt->n; i++) {
        const struct tok *t = &pt->toks[i];
        const char *cls = pt->text + t->class;
        bool m = false;
        if (cur[in + i]) {
            nxt[in + i] = 1;
            nxt[i + 1] |= c == '/';
        }
        if (!cur[i])
            continue;
        switch (t->type) {
        case T_LIT:
            nxt[i + 1] |= t->ch == c;
            break;
        case T_ANY:
            nxt[i + 1] |= c != '/';
            break;
        case T_CLASS:
            nxt[i + 1] |= class_run(&cls, c, &m) && m;
            break;
        case T_STAR:
            nxt[i] |= c != '/';
            break;
        case T_DSTAR_SLASH:
            nxt[in + i] = 1;
            nxt[i + 1] |= c == '/';
            break;
        default: /* T_DSTAR_END */
            nxt[i] = 1;
            break;
        }
    }
}

/* The tokens that can match nothing let the states after them start too. */
static bool closure(const struct pattern *pt, uint8_t *st)
{
    bool alive = false;
    for (size_t i = 0; i < 2 * (pt->n + 1); i++) {
        if (i < pt->n && st[i] && pt->toks[i].type != T_LIT && pt->toks[i].type != T_ANY &&
            pt->toks[i].type != T_CLASS)
            st[i + 1] = 1;
        alive |= st[i];
    }
    return alive;
}

/* Whether the pattern matches `path` or one of its parent dirs (Docker's
 * regexp ends in "(/.*)?$"); *ret_alive: whether, after all of `path`, a
 * longer path could still match. */
static bool run(const struct pattern *pt, const char *path, bool *ret_alive)
{
    _cleanup_free_ uint8_t *a = xzalloc(2 * (pt->n + 1)), *b = xzalloc(2 * (pt->n + 1));
    bool alive;
    a[0] = 1;
    alive = closure(pt, a);
    for (const char *s = path;;) {
        if ((*s == '/' || *s == '\0') && s != path && a[pt->n])
            return true;
        if (*s == '\0' || !alive)
            break;
        size_t len;
        uint32_t c = decode(s, &len);
        s += len;
        step(pt, a, b, c);
        alive = closure(pt, b);
        uint8_t *t = a;
        a = b;
        b = t;
    }
    if (ret_alive)
        *ret_alive = alive;
    return false;
}

/* Go's filepath.Clean, in place. */
static void path_clean(char *p)
{
    bool rooted = p[0] == '/';
    char *out = p, *s = p;
    size_t dotdot = rooted ? 1 : 0; /* where ".." can no longer back up */
    if (rooted)
        *out++ = '/', s++;
    while (*s) {
        char *e = s;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - s);
        if (n == 0 || (n == 1 && s[0] == '.')) {
            /* skip */
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            if ((size_t)(out - p) > dotdot) {
                while (out > p + dotdot && *--out != '/')
                    ;
            } else if (!rooted) {
                if (out > p)
                    *out++ = '/';
                memcpy(out, "..", 2);
                out += 2;
                dotdot = (size_t)(out - p);
            }
        } else {
            if ((size_t)(out - p) > (rooted ? 1u : 0u))
                *out++ = '/';
            memmove(out, s, n);
            out += n;
        }
        s = *e ? e + 1 : e;
    }
    if (out == p)
        *out++ = '.';
    *out = '\0';
}

static char *trim(char *s)
{
    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r')))
        s[--n] = '\0';
    return s;
}

/* One line of the file (ReadAll, then patternmatcher.New): 0 and nothing
 * for a comment or a blank line. */
static int add_pattern(struct dockerignore *ig, char *line, int lineno, struct berth_error **err)
{
    if (line[0] == '#')
        return 0; /* only a "#" in the first column starts a comment */
    char *s = trim(line);
    if (*s == '\0')
        return 0;
    bool invert = *s == '!';
    if (invert)
        s = trim(s + 1);
    if (*s) {
        path_clean(s);
        if (s[0] == '/' && s[1])
            s++;
    }
    if (invert && (*s == '\0' || streq(s, "/")))
        return berth_error_set(err, EINVAL, ".dockerignore:%d: illegal exclusion pattern '!'",
                               lineno);
    struct pattern *pt = &ig->pats[ig->n++];
    *pt = (struct pattern){.text = xstrdup(s), .exclusion = invert};
    if (!compile(pt))
        return berth_error_set(err, EINVAL, ".dockerignore:%d: bad pattern '%.64s'", lineno, s);
    return 0;
}

int dockerignore_parse(const char *text, size_t len, struct dockerignore **ret,
                       struct berth_error **err)
{
    struct dockerignore *ig = xzalloc(sizeof(*ig));
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    ig->pats = xzalloc(lines * sizeof(*ig->pats));
    int lineno = 0, r = 0;
    for (size_t pos = 0; pos < len && r == 0;) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (++lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
            s += 3, n -= 3;
        if (memchr(s, '\0', n)) {
            r = berth_error_set(err, EINVAL, ".dockerignore:%d: NUL byte in the line", lineno);
            break;
        }
        _cleanup_free_ char *line = xmalloc(n + 1);
        memcpy(line, s, n);
        line[n] = '\0';
        r = add_pattern(ig, line, lineno, err);
    }
    if (r < 0) {
        dockerignore_free(ig);
        return r;
    }
    *ret = ig;
    return 0;
}

/* patternmatcher's MatchesOrParentMatches: the last matching pattern
 * decides. */
bool dockerignore_excluded(const struct dockerignore *ig, const char *path)
{
    bool matched = false;
    for (size_t i = 0; ig && i < ig->n; i++) {
        const struct pattern *pt = &ig->pats[i];
        if (pt->exclusion != matched)
            continue; /* it would change nothing */
        if (run(pt, path, NULL))
            matched = !pt->exclusion;
    }
    return matched;
}

bool dockerignore_may_include(const struct dockerignore *ig, const char *dir)
{
    if (!dockerignore_excluded(ig, dir))
        return true;
    _cleanup_free_ char *below = xasprintf("%s/", dir);
    for (size_t i = 0; i < ig->n; i++) {
        bool alive = false;
        if (ig->pats[i].exclusion && (run(&ig->pats[i], below, &alive) || alive))
            return true;
    }
    return false;
}

void dockerignore_free(struct dockerignore *ig)
{
    if (ig == NULL)
        return;
    for (size_t i = 0; i < ig->n; i++) {
        free(ig->pats[i].text);
        free(ig->pats[i].toks);
    }
    free(ig->pats);
    free(ig);
}
