/* libFuzzer target: Dockerfiles and .dockerignore files
 * (src/engine-common/dockerfile.h), both from a build context, that is
 * from anyone who can send berthd a build. The first byte picks the
 * parser: even, a Dockerfile, parsed and then every argument and flag
 * expanded as the builder does; odd, a .dockerignore, parsed and then
 * matched against its own lines taken as paths. Any input must give a
 * result or one error, and never crash, leak or read out of bounds. */
#include "dockerfile.h"
#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *const env[] = {"A=1", "B=two words", "EMPTY=", "P=/usr/bin", "A=again", NULL};

static void expand_all(char **words, char escape)
{
    for (size_t i = 0; words[i]; i++) {
        struct berth_error *err = NULL;
        char *v = dockerfile_expand(words[i], escape, env, &err);
        if ((v == NULL) != (err != NULL))
            __builtin_trap(); /* a failure must say why */
        free(v);
        berth_error_clear(&err);
    }
}

static void fuzz_dockerfile(const char *text, size_t len)
{
    struct berth_error *err = NULL;
    struct dockerfile *d = NULL;
    int r = dockerfile_parse(text, len, &d, &err);
    if ((r < 0) != (err != NULL) || (r == 0) != (d != NULL))
        __builtin_trap();
    berth_error_clear(&err);
    if (d == NULL)
        return;
    /* the stages cover every instruction after the meta ARGs, each from
     * its FROM */
    size_t covered = d->n_meta_args;
    for (size_t i = 0; i < d->n_stages; i++) {
        if (d->stages[i].first != covered || d->ins[covered].kind != DF_FROM)
            __builtin_trap();
        covered += d->stages[i].count;
    }
    if (covered != d->n_ins || d->n_stages == 0)
        __builtin_trap();
    for (size_t i = 0; i < d->n_ins; i++) {
        if (d->ins[i].args == NULL || d->ins[i].flags == NULL || d->ins[i].original == NULL)
            __builtin_trap();
        expand_all(d->ins[i].args, d->escape);
        expand_all(d->ins[i].flags, d->escape);
    }
    dockerfile_free(d);
}

static void fuzz_dockerignore(const char *text, size_t len)
{
    struct berth_error *err = NULL;
    struct dockerignore *ig = NULL;
    int r = dockerignore_parse(text, len, &ig, &err);
    if ((r < 0) != (err != NULL) || (r == 0) != (ig != NULL))
        __builtin_trap();
    berth_error_clear(&err);
    if (ig == NULL)
        return;
    static const char *const fixed[] = {"Dockerfile", "a", "a/b", "a/b/c.log", "tmp/x", "."};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        dockerignore_excluded(ig, fixed[i]);
        dockerignore_may_include(ig, fixed[i]);
    }
    /* the file's own lines, which parsed, as paths: the worst cases for
     * the automaton are the patterns' own texts */
    char *copy = strndup(text, len);
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        dockerignore_excluded(ig, line);
        dockerignore_may_include(ig, line);
    }
    free(copy);
    dockerignore_free(ig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        fuzz_dockerignore((const char *)data + 1, size - 1);
    else
        fuzz_dockerfile((const char *)data + 1, size - 1);
    return 0;
}
