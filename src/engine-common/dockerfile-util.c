#include "dockerfile-util.h"

#include <string.h>

void df_buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

void df_buf_putc(struct buf *b, char c)
{
    df_buf_put(b, &c, 1);
}

char *df_buf_take(struct buf *b)
{
    df_buf_put(b, "", 0);
    char *s = b->s;
    *b = (struct buf){0};
    return s;
}

void df_buf_freep(struct buf *b)
{
    free(b->s);
}

void df_vec_push(struct vec *v, char *s)
{
    if (v->n + 2 > v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4;
        v->v = xrealloc(v->v, v->cap * sizeof(char *));
    }
    v->v[v->n++] = s;
    v->v[v->n] = NULL;
}

char **df_vec_take(struct vec *v)
{
    char **r = v->v ? v->v : xzalloc(sizeof(char *));
    *v = (struct vec){0};
    return r;
}

void df_vec_freep(struct vec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->v[i]);
    free(v->v);
}

char *df_strndup(const char *s, size_t n)
{
    char *r = xmalloc(n + 1);
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}
