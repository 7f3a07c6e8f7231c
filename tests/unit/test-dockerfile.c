/* Dockerfiles and .dockerignore files (src/engine-common/dockerfile.h):
 * the parser's instructions and forms, the refusals with their line, the
 * word expansion, and the ignore patterns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "error.h"
#include "util.h"

static struct dockerfile *parse_ok(const char *text)
{
    struct berth_error *err = NULL;
    struct dockerfile *d = NULL;
    int r = dockerfile_parse(text, strlen(text), &d, &err);
    if (r < 0)
        fail_msg("parse failed: %s", err->msg);
    assert_null(err);
    return d;
}

/* The parse fails and the message starts with "Dockerfile:LINE: " and
 * holds `part`. */
static void parse_fails_n(const char *text, size_t len, int line, const char *part)
{
    struct berth_error *err = NULL;
    struct dockerfile *d = NULL;
    char prefix[32];
    int r = dockerfile_parse(text, len, &d, &err);
    if (r != -EINVAL || err == NULL)
        fail_msg("parse of '%s' did not fail with EINVAL", text);
    assert_null(d);
    snprintf(prefix, sizeof(prefix), "Dockerfile:%d: ", line);
    if (strncmp(err->msg, prefix, strlen(prefix)) != 0 || strstr(err->msg, part) == NULL)
        fail_msg("message '%s' is not '%s...%s'", err->msg, prefix, part);
    berth_error_clear(&err);
}

static void parse_fails(const char *text, int line, const char *part)
{
    parse_fails_n(text, strlen(text), line, part);
}

static void assert_args(const struct df_instr *in, const char *const *want)
{
    size_t i = 0;
    for (; want[i]; i++) {
        assert_non_null(in->args[i]);
        assert_string_equal(in->args[i], want[i]);
    }
    assert_null(in->args[i]);
}

#define ARGS(in, ...) assert_args(in, (const char *const[]){__VA_ARGS__, NULL})

static void test_multistage(void **state)
{
    struct dockerfile *d = parse_ok("# comment\n"
                                    "ARG BASE=debian:12\n"
                                    "FROM --platform=linux/amd64 $BASE AS Build\n"
                                    "RUN make\n"
                                    "\n"
                                    "from scratch\n"
                                    "COPY --from=build --chown=1:1 /out /bin/\n"
                                    "CMD [\"/bin/app\", \"-v\"]\n");
    assert_int_equal(d->n_ins, 6);
    assert_int_equal(d->n_meta_args, 1);
    assert_int_equal(d->escape, '\\');
    assert_int_equal(d->ins[0].kind, DF_ARG);
    ARGS(&d->ins[0], "BASE", "debian:12");
    assert_true(d->ins[0].has_default);
    assert_int_equal(d->ins[1].kind, DF_FROM);
    assert_int_equal(d->ins[1].line, 3);
    ARGS(&d->ins[1], "$BASE", "AS", "build");
    assert_string_equal(d->ins[1].flags[0], "platform=linux/amd64");
    assert_null(d->ins[1].flags[1]);
    assert_int_equal(d->ins[2].kind, DF_RUN);
    ARGS(&d->ins[2], "make");
    assert_false(d->ins[2].json);
    assert_int_equal(d->ins[3].kind, DF_FROM);
    assert_int_equal(d->ins[3].line, 6);
    assert_int_equal(d->ins[4].kind, DF_COPY);
    ARGS(&d->ins[4], "/out", "/bin/");
    assert_string_equal(d->ins[4].flags[0], "from=build");
    assert_string_equal(d->ins[4].flags[1], "chown=1:1");
    assert_int_equal(d->n_stages, 2);
    assert_string_equal(d->stages[0].name, "build");
    assert_int_equal(d->stages[0].first, 1);
    assert_int_equal(d->stages[0].count, 2);
    assert_null(d->stages[1].name);
    assert_int_equal(d->stages[1].first, 3);
    assert_int_equal(d->stages[1].count, 3);
    /* CMD is the last, in exec form; instructions other than COPY and
     * FROM hold no flags but an empty list */
    dockerfile_free(d);
    d = parse_ok("FROM a\nCMD [\"/bin/app\", \"-v\"]\n");
    assert_true(d->ins[1].json);
    ARGS(&d->ins[1], "/bin/app", "-v");
    assert_null(d->ins[1].flags[0]);
    dockerfile_free(d);
}

static void test_continuations(void **state)
{
    struct dockerfile *d = parse_ok("FROM a\n"
                                    "RUN apt-get update && \\\n"
                                    "# a comment inside\n"
                                    "    apt-get install -y \\\n"
                                    "\n"
                                    "      curl   \\  \n"
                                    "  && true\n"
                                    "  # an indented comment\n"
                                    "USER nobody\n");
    assert_int_equal(d->n_ins, 3);
    assert_int_equal(d->ins[1].line, 2);
    ARGS(&d->ins[1], "apt-get update &&     apt-get install -y       curl     && true");
    assert_string_equal(d->ins[1].original,
                        "RUN apt-get update &&     apt-get install -y       curl     && true");
    assert_int_equal(d->ins[2].kind, DF_USER);
    assert_int_equal(d->ins[2].line, 9);
    ARGS(&d->ins[2], "nobody");
    dockerfile_free(d);
    /* CRLF lines, a byte order mark, a continuation at the end of file */
    d = parse_ok("\xef\xbb\xbf"
                 "FROM a\r\nRUN echo \\\r\n  b\r\nRUN x \\");
    ARGS(&d->ins[1], "echo   b");
    ARGS(&d->ins[2], "x");
    dockerfile_free(d);
}

static void test_escape_directive(void **state)
{
    struct dockerfile *d = parse_ok("# syntax=docker/dockerfile:1\n"
                                    "# escape=`\n"
                                    "\n"
                                    "FROM mcr.microsoft.com/windows\n"
                                    "COPY testfile.txt c:\\\n"
                                    "RUN dir c:\\ `\n"
                                    "  /b\n");
    assert_int_equal(d->escape, '`');
    ARGS(&d->ins[1], "testfile.txt", "c:\\");
    ARGS(&d->ins[2], "dir c:\\   /b");
    dockerfile_free(d);
    /* a directive after a comment is a comment: "\" stays the escape */
    d = parse_ok("# hello\n# escape=`\nFROM a\nRUN a \\\n b\n");
    assert_int_equal(d->escape, '\\');
    ARGS(&d->ins[1], "a  b");
    dockerfile_free(d);
    parse_fails("# escape=x\nFROM a\n", 1, "invalid escape");
    parse_fails("# escape=`\n# escape=\\\nFROM a\n", 2, "only one 'escape'");
}

static void test_env_label(void **state)
{
    struct dockerfile *d = parse_ok("FROM a\n"
                                    "ENV A=1 B=\"two words\" C=x\\ y\n"
                                    "ENV LEGACY value with  spaces\n"
                                    "LABEL \"com.example.vendor\"=\"ACME Inc\" version=1.0\n"
                                    "LABEL description='it''s' empty=\n");
    assert_int_equal(d->ins[1].kind, DF_ENV);
    ARGS(&d->ins[1], "A", "1", "B", "\"two words\"", "C", "x\\ y");
    ARGS(&d->ins[2], "LEGACY", "value with  spaces");
    assert_int_equal(d->ins[3].kind, DF_LABEL);
    ARGS(&d->ins[3], "\"com.example.vendor\"", "\"ACME Inc\"", "version", "1.0");
    ARGS(&d->ins[4], "description", "'it''s'", "empty", "");
    dockerfile_free(d);
    parse_fails("FROM a\nENV A=1 B\n", 2, "can't find =");
    parse_fails("FROM a\nENV ONLY\n", 2, "ENV must have two arguments");
    parse_fails("FROM a\nLABEL =x\n", 2, "LABEL names can not be blank");
    parse_fails("FROM a\n\nENV\n", 3, "ENV requires at least one argument");
}

static void test_arg(void **state)
{
    struct dockerfile *d = parse_ok("ARG V\n"
                                    "ARG A=1 B\n"
                                    "FROM a:$V\n"
                                    "ARG V\n");
    assert_int_equal(d->n_meta_args, 3);
    ARGS(&d->ins[0], "V", "");
    assert_false(d->ins[0].has_default);
    ARGS(&d->ins[1], "A", "1");
    assert_true(d->ins[1].has_default);
    ARGS(&d->ins[2], "B", "");
    assert_int_equal(d->ins[2].line, 2);
    assert_int_equal(d->stages[0].first, 3);
    assert_int_equal(d->stages[0].count, 2);
    dockerfile_free(d);
    parse_fails("FROM a\nARG =1\n", 2, "ARG names can not be blank");
}

static void test_forms(void **state)
{
    struct dockerfile *d = parse_ok("FROM a\n"
                                    "RUN [\"echo\", \"a\\tb\"]\n"
                                    "RUN [not json]\n"
                                    "CMD [\"unterminated\"\n"
                                    "ENTRYPOINT []\n"
                                    "SHELL [\"/bin/bash\", \"-c\"]\n"
                                    "COPY [\"a b\", \"/c d/\"]\n"
                                    "ADD x y /z/\n"
                                    "VOLUME /v1 /v2\n"
                                    "VOLUME [\"/v3\"]\n"
                                    "EXPOSE 80/tcp 443\n"
                                    "WORKDIR /work dir\n"
                                    "STOPSIGNAL SIGTERM\n"
                                    "HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/\n"
                                    "HEALTHCHECK CMD [\"true\"]\n"
                                    "healthcheck none\n"
                                    "MAINTAINER Jane \"J\" O'Neil\n");
    ARGS(&d->ins[1], "echo", "a\tb");
    assert_true(d->ins[1].json);
    ARGS(&d->ins[2], "[not json]"); /* Docker runs what is no JSON in a shell */
    assert_false(d->ins[2].json);
    ARGS(&d->ins[3], "[\"unterminated\"");
    assert_false(d->ins[3].json);
    assert_true(d->ins[4].json);
    assert_null(d->ins[4].args[0]);
    assert_int_equal(d->ins[5].kind, DF_SHELL);
    ARGS(&d->ins[5], "/bin/bash", "-c");
    ARGS(&d->ins[6], "a b", "/c d/");
    ARGS(&d->ins[7], "x", "y", "/z/");
    ARGS(&d->ins[8], "/v1", "/v2");
    ARGS(&d->ins[9], "/v3");
    ARGS(&d->ins[10], "80/tcp", "443");
    ARGS(&d->ins[11], "/work dir");
    ARGS(&d->ins[12], "SIGTERM");
    ARGS(&d->ins[13], "CMD", "curl -f http://x/");
    assert_false(d->ins[13].json);
    assert_string_equal(d->ins[13].flags[0], "interval=5s");
    assert_string_equal(d->ins[13].flags[1], "retries=3");
    ARGS(&d->ins[14], "CMD", "true");
    assert_true(d->ins[14].json);
    ARGS(&d->ins[15], "NONE");
    /* MAINTAINER is LABEL maintainer=..., quoted to expand to itself */
    assert_int_equal(d->ins[16].kind, DF_LABEL);
    assert_string_equal(d->ins[16].args[0], "maintainer");
    struct berth_error *err = NULL;
    char *v = dockerfile_expand(d->ins[16].args[1], d->escape, NULL, &err);
    assert_string_equal(v, "Jane \"J\" O'Neil");
    free(v);
    dockerfile_free(d);
}

/* Docker's own quirks, kept so that a Dockerfile means what it means to
 * docker build. */
static void test_quirks(void **state)
{
    struct dockerfile *d = parse_ok("from a\n"
                                    "Copy --chown=\"1:1\" --chmod='7 5' a b\n"
                                    "RUN -- --not-a-flag\n"
                                    "RUN [\"a\"] trailing\n"
                                    "RUN a \\\n"
                                    "\n"
                                    "USER joined\n"
                                    "EXPOSE  80   81\n");
    assert_int_equal(d->ins[1].kind, DF_COPY);
    assert_string_equal(d->ins[1].flags[0], "chown=1:1");
    assert_string_equal(d->ins[1].flags[1], "chmod=7 5");
    ARGS(&d->ins[2], "--not-a-flag");
    ARGS(&d->ins[3], "[\"a\"] trailing"); /* no JSON: the shell form */
    assert_false(d->ins[3].json);
    /* a blank line does not end a continuation: the next line joins */
    ARGS(&d->ins[4], "a USER joined");
    assert_int_equal(d->n_ins, 6);
    ARGS(&d->ins[5], "80", "81");
    dockerfile_free(d);
    /* unknown directives end the directives, a BOM is dropped */
    d = parse_ok("\xef\xbb\xbf# foo=bar\n# escape=`\nFROM a\n");
    assert_int_equal(d->escape, '\\');
    dockerfile_free(d);
    /* "`" escapes in words, not "\\" */
    d = parse_ok("# escape=`\nFROM a\nENV A=a` b C=\"x\\\"\nLABEL l=a`\n  m=v\n");
    ARGS(&d->ins[1], "A", "a` b", "C", "\"x\\\"");
    ARGS(&d->ins[2], "l", "a", "m", "v");
    dockerfile_free(d);
}

static void test_refusals(void **state)
{
    parse_fails("", 1, "no instructions");
    parse_fails("# only a comment\n\n", 1, "no instructions");
    parse_fails("ARG A\nARG B\n", 2, "no FROM");
    parse_fails("ARG A\nRUN x\nFROM a\n", 2, "RUN before the first FROM");
    parse_fails("FROM a\nONBUILD RUN x\n", 2, "ONBUILD is not supported");
    parse_fails("FROM a\nRUN <<EOF\nx\nEOF\n", 2, "heredocs");
    parse_fails("FROM a\nRUN cat 2<<-'EOF' >x\n", 2, "heredocs");
    parse_fails("FROM a\nCOPY <<EOF /x\n", 2, "heredocs");
    parse_fails("FROM a\nRUN --mount=type=cache,target=/c make\n", 2,
                "RUN --mount is not supported");
    parse_fails("FROM a\nRUN --network=none make\n", 2, "RUN --network is not supported");
    parse_fails("FROM a\nRUN --security=insecure make\n", 2, "RUN --security is not supported");
    parse_fails("FROM a\nRUN --bogus make\n", 2, "unknown flag '--bogus' for RUN");
    parse_fails("FROM a\nCOPY --link a b\n", 2, "COPY --link is not supported");
    parse_fails("FROM a\nCOPY --parents a b\n", 2, "COPY --parents is not supported");
    parse_fails("FROM a\nADD --checksum=sha256:0 a b\n", 2, "ADD --checksum is not supported");
    parse_fails("FROM a\nADD --from=x a b\n", 2, "unknown flag '--from' for ADD");
    parse_fails("FROM a\nCOPY --from a b\n", 2, "COPY --from needs a value");
    parse_fails("FROM a\nCOPY --from=x --from=y a b\n", 2, "duplicate flag --from");
    parse_fails("FROM a\nENV --x=1 A=1\n", 2, "unknown flag '--x' for ENV");
    parse_fails("FROM a AS x\nRUN a\nFROM b AS y\nFROM c AS X\n", 4, "duplicate stage name 'x'");
    parse_fails("FROM a AS 1x\n", 1, "invalid stage name");
    parse_fails("FROM a b\n", 1, "FROM takes an image");
    parse_fails("FROM\n", 1, "FROM requires an image");
    parse_fails("FROM a\nRUN [\"a\", 1]\n", 2, "JSON array of strings");
    parse_fails("FROM a\nCMD [\"a\", null]\n", 2, "JSON array of strings");
    parse_fails("FROM a\nSHELL /bin/sh -c\n", 2, "SHELL requires a JSON array");
    parse_fails("FROM a\nRUN\n", 2, "RUN requires an argument");
    parse_fails("FROM a\nRUN []\n", 2, "RUN requires at least one argument");
    parse_fails("FROM a\nCOPY onlyone\n", 2, "COPY requires at least two arguments");
    parse_fails("FROM a\nWORKDIR\n", 2, "WORKDIR requires an argument");
    parse_fails("FROM a\nUSER\n", 2, "USER requires an argument");
    parse_fails("FROM a\nEXPOSE\n", 2, "EXPOSE requires an argument");
    parse_fails("FROM a\nVOLUME [\"\"]\n", 2, "an empty path");
    parse_fails("FROM a\nHEALTHCHECK CMD\n", 2, "missing command after HEALTHCHECK CMD");
    parse_fails("FROM a\nHEALTHCHECK NONE x\n", 2, "HEALTHCHECK NONE takes no arguments");
    parse_fails("FROM a\nHEALTHCHECK RUN x\n", 2, "unknown HEALTHCHECK type 'RUN'");
    parse_fails("FROM a\nFOO bar\n", 2, "unknown instruction 'FOO'");
    const char nul[] = "FROM a\nRUN a \\\n b\nRUN c\0d\n";
    parse_fails_n(nul, sizeof(nul) - 1, 4, "NUL byte");
}

static char *expand(const char *word, char esc, char *const *env)
{
    struct berth_error *err = NULL;
    char *r = dockerfile_expand(word, esc, env, &err);
    if (r == NULL)
        fail_msg("expand '%s': %s", word, err->msg);
    return r;
}

#define EXPANDS(word, want)                                                                        \
    do {                                                                                           \
        char *_r = expand(word, '\\', env);                                                        \
        assert_string_equal(_r, want);                                                             \
        free(_r);                                                                                  \
    } while (0)

static void expand_fails(const char *word, const char *part)
{
    struct berth_error *err = NULL;
    char *env[] = {"SET=1", "EMPTY=", NULL};
    assert_null(dockerfile_expand(word, '\\', env, &err));
    assert_non_null(err);
    assert_int_equal(err->errnum, EINVAL);
    if (strstr(err->msg, part) == NULL)
        fail_msg("message '%s' lacks '%s'", err->msg, part);
    berth_error_clear(&err);
}

static void test_expand(void **state)
{
    char *env[] = {"A=old", "A=apple", "EMPTY=", "SP=a b", "PATH=/bin", NULL};
    EXPANDS("$A", "apple"); /* the last of a name wins */
    EXPANDS("${A}/x", "apple/x");
    EXPANDS("$A_x${A}", "apple");
    EXPANDS("$UNSET|${UNSET}", "|");
    EXPANDS("${UNSET:-x}${A:-x}${EMPTY:-e}", "xapplee");
    EXPANDS("${A:+y}${EMPTY:+y}${UNSET:+y}", "y");
    EXPANDS("${EMPTY-d}${UNSET-d}${EMPTY+p}${UNSET+p}", "dp");
    EXPANDS("${UNSET:-${A:-no}}", "apple");
    EXPANDS("\\$A \\${A}", "$A ${A}");
    EXPANDS("'$A' \"$A\" \"\\$A\" \"a\\b\"", "$A apple $A a\\b");
    EXPANDS("\"it's\" 'say \"hi\"'", "it's say \"hi\"");
    EXPANDS("a\\ b\\\"c\\", "a b\"c");
    EXPANDS("$ $1 ${A:-a}}", "$  apple}");
    EXPANDS("${SP}", "a b");
    EXPANDS("$PATH:/usr/bin", "/bin:/usr/bin");
    char *r = expand("`$A ``", '`', env);
    assert_string_equal(r, "$A `");
    free(r);
    r = expand("x", '\\', NULL);
    assert_string_equal(r, "x");
    free(r);
    expand_fails("${", "missing '}'");
    expand_fails("${A", "missing '}'");
    expand_fails("${A:-x", "missing '}'");
    expand_fails("${}", "bad substitution");
    expand_fails("${:a}", "bad substitution");
    expand_fails("${A#x}", "unsupported modifier '#'");
    expand_fails("${A:=x}", "unsupported modifier '='");
    expand_fails("'abc", "unterminated single quote");
    expand_fails("\"abc", "unterminated double quote");
    expand_fails("${UNSET:?must be set}", "must be set");
    expand_fails("${EMPTY:?}", "is not allowed to be empty");
    char deep[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "${A:-");
    expand_fails(deep, "nested too deeply");
}

static struct dockerignore *ignore_ok(const char *text)
{
    struct berth_error *err = NULL;
    struct dockerignore *ig = NULL;
    if (dockerignore_parse(text, strlen(text), &ig, &err) < 0)
        fail_msg("dockerignore: %s", err->msg);
    return ig;
}

static void test_dockerignore(void **state)
{
    struct dockerignore *ig = ignore_ok("# comment\n"
                                        "*.log\n"
                                        "!keep.log\n"
                                        "**/tmp\n"
                                        "/build/\n"
                                        "  ./docs/*.md  \n"
                                        "data\n"
                                        "!data/keep/*.txt\n"
                                        "\n"
                                        "a/**/z\n"
                                        "x?[0-9]\n");
    assert_true(dockerignore_excluded(ig, "app.log"));
    assert_false(dockerignore_excluded(ig, "keep.log"));
    assert_false(dockerignore_excluded(ig, "sub/app.log")); /* "*" stays in one dir */
    assert_true(dockerignore_excluded(ig, "tmp"));
    assert_true(dockerignore_excluded(ig, "a/b/tmp"));
    assert_true(dockerignore_excluded(ig, "a/b/tmp/file"));
    assert_false(dockerignore_excluded(ig, "a/b/footmp"));
    assert_true(dockerignore_excluded(ig, "build"));
    assert_true(dockerignore_excluded(ig, "build/x/y")); /* a dir excludes its contents */
    assert_false(dockerignore_excluded(ig, "builder"));
    assert_true(dockerignore_excluded(ig, "docs/a.md"));
    assert_false(dockerignore_excluded(ig, "docs/a.txt"));
    assert_true(dockerignore_excluded(ig, "data/x"));
    assert_false(dockerignore_excluded(ig, "data/keep/a.txt"));
    assert_true(dockerignore_excluded(ig, "data/keep/a.bin"));
    assert_true(dockerignore_excluded(ig, "a/z"));
    assert_true(dockerignore_excluded(ig, "a/b/c/z"));
    assert_false(dockerignore_excluded(ig, "a/b/c/zz"));
    assert_true(dockerignore_excluded(ig, "xy7"));
    assert_false(dockerignore_excluded(ig, "xy"));
    assert_false(dockerignore_excluded(ig, "Dockerfile"));
    /* the walker descends into data (an exception lies below), not build */
    assert_true(dockerignore_may_include(ig, "data"));
    assert_true(dockerignore_may_include(ig, "data/keep"));
    assert_false(dockerignore_may_include(ig, "data/other"));
    assert_false(dockerignore_may_include(ig, "build"));
    assert_true(dockerignore_may_include(ig, "src")); /* not excluded at all */
    dockerignore_free(ig);

    ig = ignore_ok("*\n!src\n!**/*.go\n");
    assert_true(dockerignore_excluded(ig, "README"));
    assert_false(dockerignore_excluded(ig, "src/a.c"));
    assert_false(dockerignore_excluded(ig, "vendor/x/y.go"));
    assert_true(dockerignore_may_include(ig, "vendor"));
    dockerignore_free(ig);

    ig = ignore_ok("\\*literal\n**\n!a\\[b\n");
    assert_true(dockerignore_excluded(ig, "anything/at/all"));
    assert_false(dockerignore_excluded(ig, "a[b"));
    dockerignore_free(ig);

    assert_false(dockerignore_excluded(NULL, "x"));
    assert_true(dockerignore_may_include(NULL, "x"));
}

static void test_dockerignore_errors(void **state)
{
    struct dockerignore *ig = NULL;
    struct berth_error *err = NULL;
    const char *bad[] = {"a\n!\n", "[a\n", "x[]\n", "a\\\n", "[z-\n", "!/\n"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        ig = NULL;
        assert_int_equal(dockerignore_parse(bad[i], strlen(bad[i]), &ig, &err), -EINVAL);
        assert_null(ig);
        assert_non_null(strstr(err->msg, ".dockerignore:"));
        berth_error_clear(&err);
    }
    assert_int_equal(dockerignore_parse("a\n!\n", 4, &ig, &err), -EINVAL);
    assert_string_equal(err->msg, ".dockerignore:2: illegal exclusion pattern '!'");
    berth_error_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multistage),
        cmocka_unit_test(test_continuations),
        cmocka_unit_test(test_escape_directive),
        cmocka_unit_test(test_env_label),
        cmocka_unit_test(test_arg),
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_quirks),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_dockerignore),
        cmocka_unit_test(test_dockerignore_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
