#pragma once
/* Buffers (dockerfile-util.c) and word splitters (dockerfile-words.c)
 * shared by the Dockerfile parsers: private to them. */
#include "cleanup.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *s;
    size_t n, cap;
};

#define _cleanup_buf_ _cleanup_(df_buf_freep)

/* A growing NULL-terminated string vector. */
struct vec {
    char **v;
    size_t n, cap;
};

#define _cleanup_vec_ _cleanup_(df_vec_freep)

void df_buf_put(struct buf *b, const char *s, size_t n);
void df_buf_putc(struct buf *b, char c);
char *df_buf_take(struct buf *b);
void df_buf_freep(struct buf *b);
void df_vec_push(struct vec *v, char *s);
char **df_vec_take(struct vec *v);
void df_vec_freep(struct vec *v);
char *df_strndup(const char *s, size_t n);

/* dockerfile-words.c: BuildKit's word splitters. */
bool df_is_space(int c);
bool df_is_ws(int c);
char **df_parse_words(const char *rest, char esc);
char **df_split_ws(const char *rest);
char **df_extract_flags(const char *line, const char **ret_rest);
int df_parse_json(const char *rest, char ***ret);
bool df_has_heredoc(char *const *words);
bool df_heredoc_in_line(const char *rest);
