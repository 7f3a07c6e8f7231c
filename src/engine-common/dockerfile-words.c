/* Word splitting for the Dockerfile parser (dockerfile-util.h): ports of
 * BuildKit's parseWords, parseStringsWhitespaceDelimited,
 * extractBuilderFlags and parseJSON, on bytes. */
#include "dockerfile-util.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>

/* Go's unicode.IsSpace on ASCII. */
bool df_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* BuildKit's reWhitespace: [\t\v\f\r ] */
bool df_is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

enum { IN_SPACES, IN_WORD, IN_QUOTE };

/* BuildKit's parseWords: splits at whitespace outside quotes, keeping the
 * quotes and the escapes in the words (dockerfile_expand removes them). */
char **df_parse_words(const char *rest, char esc)
{
    _cleanup_vec_ struct vec words = {0};
    _cleanup_buf_ struct buf w = {0};
    int phase = IN_SPACES;
    char quote = 0;
    bool blank_ok = false;
    size_t len = strlen(rest);
    for (size_t pos = 0; pos <= len; pos++) {
        char ch = pos < len ? rest[pos] : '\0';
        if (phase == IN_SPACES) {
            if (pos == len)
                break;
            if (df_is_space(ch))
                continue;
            phase = IN_WORD;
        }
        if (pos == len) {
            if (blank_ok || w.n > 0)
                df_vec_push(&words, df_buf_take(&w));
            break;
        }
        if (phase == IN_WORD) {
            if (df_is_space(ch)) {
                phase = IN_SPACES;
                if (blank_ok || w.n > 0)
                    df_vec_push(&words, df_buf_take(&w));
                w.n = 0;
                blank_ok = false;
                continue;
            }
            if (ch == '\'' || ch == '"') {
                quote = ch;
                blank_ok = true;
                phase = IN_QUOTE;
            }
            if (ch == esc) {
                if (pos + 1 == len)
                    continue; /* an escape at the end of the line is dropped */
                df_buf_putc(&w, ch);
                ch = rest[++pos];
            }
            df_buf_putc(&w, ch);
            continue;
        }
        if (ch == quote)
            phase = IN_WORD;
        if (ch == esc && quote != '\'') {
            if (pos + 1 == len) {
                phase = IN_WORD;
                continue;
            }
            df_buf_putc(&w, ch);
            ch = rest[++pos];
        }
        df_buf_putc(&w, ch);
    }
    return df_vec_take(&words);
}

/* BuildKit's parseStringsWhitespaceDelimited: no quoting at all. */
char **df_split_ws(const char *rest)
{
    _cleanup_vec_ struct vec words = {0};
    const char *p = rest;
    for (;;) {
        while (*p && df_is_ws(*p))
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && !df_is_ws(*e))
            e++;
        df_vec_push(&words, df_strndup(p, (size_t)(e - p)));
        p = e;
    }
    return df_vec_take(&words);
}

/* BuildKit's extractBuilderFlags: the leading words that start with "--"
 * (quotes and backslashes processed, a lone "--" ends them); *ret_rest
 * points at the rest of `line`. */
char **df_extract_flags(const char *line, const char **ret_rest)
{
    _cleanup_vec_ struct vec words = {0};
    _cleanup_buf_ struct buf w = {0};
    int phase = IN_SPACES;
    char quote = 0;
    bool blank_ok = false;
    size_t len = strlen(line);
    *ret_rest = line + len;
    for (size_t pos = 0; pos <= len; pos++) {
        char ch = pos < len ? line[pos] : '\0';
        if (phase == IN_SPACES) {
            if (pos == len)
                break;
            if (df_is_space(ch))
                continue;
            if (ch != '-' || pos + 1 == len || line[pos + 1] != '-') {
                *ret_rest = line + pos;
                break;
            }
            phase = IN_WORD;
        }
        bool dashes = w.n == 2 && memcmp(w.s, "--", 2) == 0;
        if (pos == len) {
            if (!dashes && (blank_ok || w.n > 0))
                df_vec_push(&words, df_buf_take(&w));
            break;
        }
        if (phase == IN_WORD && df_is_space(ch)) {
            phase = IN_SPACES;
            if (dashes) {
                *ret_rest = line + pos;
                break;
            }
            if (blank_ok || w.n > 0)
                df_vec_push(&words, df_buf_take(&w));
            w.n = 0;
            blank_ok = false;
            continue;
        }
        if (phase == IN_WORD && (ch == '\'' || ch == '"')) {
            quote = ch;
            blank_ok = true;
            phase = IN_QUOTE;
            continue;
        }
        if (phase == IN_QUOTE && ch == quote) {
            phase = IN_WORD;
            continue;
        }
        if (ch == '\\') {
            if (pos + 1 == len) {
                phase = IN_WORD;
                continue;
            }
            ch = line[++pos];
        }
        df_buf_putc(&w, ch);
    }
    return df_vec_take(&words);
}

/* BuildKit's parseJSON: 1 and the strings for a JSON array of strings, 0
 * for text that is no JSON (the shell form), -1 for a JSON array that
 * holds something else, which Docker refuses rather than running it as a
 * shell command. */
int df_parse_json(const char *rest, char ***ret)
{
    if (rest[0] != '[')
        return 0;
    json_t *a = json_loads(rest, 0, NULL); /* strings with \u0000 are no JSON here */
    if (a == NULL || !json_is_array(a)) {
        json_decref(a);
        return 0;
    }
    _cleanup_vec_ struct vec v = {0};
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        if (!json_is_string(e)) {
            json_decref(a);
            return -1;
        }
        df_vec_push(&v, xstrdup(json_string_value(e)));
    }
    json_decref(a);
    *ret = df_vec_take(&v);
    return 1;
}

/* A word BuildKit takes for a heredoc: [0-9]*<<-?WORD with no "<" in WORD
 * (so "<<<" here-strings are not). */
bool df_has_heredoc(char *const *words)
{
    for (; *words; words++) {
        const char *w = *words;
        while (isdigit((unsigned char)*w))
            w++;
        if (w[0] != '<' || w[1] != '<')
            continue;
        w += w[2] == '-' ? 3 : 2;
        if (*w && !strchr(w, '<'))
            return true;
    }
    return false;
}

bool df_heredoc_in_line(const char *rest)
{
    _cleanup_strv_ char **w = df_parse_words(rest, '\\');
    return df_has_heredoc(w);
}
