#pragma once
/* Dockerfiles and .dockerignore files (issue 16, berth build): pure parsing
 * of hostile input, no I/O, fuzzed (tests/fuzz/fuzz-dockerfile.c).
 *
 * Parsing follows Docker's reference (docs.docker.com "Dockerfile
 * reference"): parser directives (# escape=, # syntax= ignored), comments,
 * line continuations with the escape character, case-insensitive
 * instruction names, exec form (a JSON array of strings) and shell form.
 * Variables are NOT expanded by the parser: the builder expands each word
 * with dockerfile_expand() against the ARG/ENV values in effect at that
 * instruction, as Docker does. An instruction berth does not implement
 * (ONBUILD, heredocs "<<EOF", RUN --mount, ...) is refused with its name
 * and line, never skipped.
 *
 * The builder expands, as Docker does, the arguments of FROM, COPY, ADD,
 * ENV, ARG (the default), LABEL (names and values), EXPOSE, VOLUME,
 * WORKDIR, USER and STOPSIGNAL and the values of the flags; never those of
 * RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK (the shell's business). */
#include <stdbool.h>
#include <stddef.h>

struct berth_error;

enum df_kind {
    DF_FROM,
    DF_RUN,
    DF_COPY,
    DF_ADD,
    DF_ENV,
    DF_ARG,
    DF_WORKDIR,
    DF_USER,
    DF_EXPOSE,
    DF_LABEL,
    DF_CMD,
    DF_ENTRYPOINT,
    DF_VOLUME,
    DF_STOPSIGNAL,
    DF_SHELL,
    DF_HEALTHCHECK,
};

/* One instruction. `args` and `flags` are NULL-terminated and never NULL
 * (an empty list is { NULL }). Words are as written (quotes and escapes
 * kept) unless said otherwise: dockerfile_expand removes them. `args`
 * depends on the kind:
 * - FROM: [image] or [image, "AS", name] (name lower-cased); flags: --platform
 * - RUN, CMD, ENTRYPOINT, SHELL: exec form (json true): the array's strings;
 *   shell form: one element, the rest of the line (continuations joined)
 * - COPY, ADD: sources..., dest (exec form: the JSON strings, json true;
 *   else whitespace-separated words); flags: COPY --from --chown --chmod,
 *   ADD --chown --chmod (--link, --parents, --checksum... refused)
 * - ENV, LABEL: key, value, key, value... (both the `K=V K2="V 2"` form
 *   and the legacy `K V with spaces` form). Quotes and escapes are KEPT
 *   (ENV A='$B' must not expand $B): expand each key and value.
 *   MAINTAINER text becomes LABEL maintainer=<text quoted so that it
 *   expands to itself> (Docker's own advice for the deprecated MAINTAINER)
 * - ARG: name, default (as written) or "" with has_default false; an
 *   `ARG A=1 B` line gives one ARG instruction per name, with one line
 * - EXPOSE, VOLUME: one element per word (VOLUME also exec form)
 * - WORKDIR, USER, STOPSIGNAL: one element
 * - HEALTHCHECK: "NONE", or "CMD" followed by the command as for CMD;
 *   flags: --interval --timeout --start-period --start-interval --retries
 *   (their values are not checked here: the builder parses them)
 * `flags` holds "name=value" strings ("from=builder"), each flag at most
 * once, the value non-empty, quotes and backslashes already processed as
 * Docker's flag parser does, variables not yet expanded. */
struct df_instr {
    enum df_kind kind;
    int line;       /* 1-based line of the instruction's first line */
    char *original; /* the instruction as written, continuations joined */
    char **args;
    char **flags;
    bool json;        /* exec form */
    bool has_default; /* ARG with =default */
};

/* A stage: the instructions from a FROM up to the next. */
struct df_stage {
    char *name;          /* lower-cased AS name, or NULL */
    size_t first, count; /* its instructions, the FROM included */
};

struct dockerfile {
    struct df_instr *ins;
    size_t n_ins;
    struct df_stage *stages;
    size_t n_stages;
    /* ARGs before the first FROM (usable in FROM lines): their indexes in ins */
    size_t n_meta_args;
    char escape; /* '\\' or '`' */
};

/* Parses `len` bytes of `text`. EINVAL with "Dockerfile:LINE: ..." for a
 * syntax error, an unknown or unsupported instruction or flag, no FROM, an
 * instruction before the first FROM other than ARG, a duplicate stage
 * name, a NUL byte. `text` need not be NUL-terminated. */
int dockerfile_parse(const char *text, size_t len, struct dockerfile **ret,
                     struct berth_error **err);
void dockerfile_free(struct dockerfile *d);

/* Expands $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word}, ${VAR:?word} and
 * ${VAR-word}, ${VAR+word}, ${VAR?word} (and the escape character's
 * quoting) in `word` with `env` ("K=V" strings, NULL-terminated, may be
 * NULL, the last of a name wins), removing quotes as the shell-less Docker
 * expansion does: '...' is literal, "..." expands $ and lets the escape
 * character quote only ", $ and itself. An unset variable expands to "".
 * Returns a string the caller frees, or NULL and EINVAL for a bad
 * substitution ("${", "${}", unsupported modifiers such as ${VAR#x}),
 * an unterminated quote, a ${VAR:?} that fails, substitutions nested
 * deeper than 32, or a result over 1 MiB (ENV A=$A$A doubles A). */
char *dockerfile_expand(const char *word, char escape, char *const *env, struct berth_error **err);

/* .dockerignore: patterns one per line (a "#" in the first column starts a
 * comment; blank lines skipped; each pattern cleaned as Go's filepath.Clean
 * and a leading "/" dropped; "!" exceptions; "**" any number of dirs, Go's
 * filepath.Match syntax otherwise); the last matching pattern decides. A
 * pattern also matches everything below what it matches. EINVAL with
 * ".dockerignore:LINE: ..." for a bad pattern ("[a", a trailing "\", a
 * lone "!"). "**" + "/x" matches x in any dir, never "foox" (Docker's own
 * matcher takes it for a mere suffix). */
struct dockerignore;
int dockerignore_parse(const char *text, size_t len, struct dockerignore **ret,
                       struct berth_error **err);
/* Whether the context-relative path `path` ("a/b/c", no leading "./") is
 * excluded. A dir that is excluded may still hold included files (an
 * exception below it): dockerignore_may_include(ig, dir) tells the walker
 * to descend (true too for a dir that is not excluded; a conservative
 * answer: an exception that could match below it, whatever follows it).
 * NULL ig excludes nothing. */
bool dockerignore_excluded(const struct dockerignore *ig, const char *path);
bool dockerignore_may_include(const struct dockerignore *ig, const char *dir);
void dockerignore_free(struct dockerignore *ig);
