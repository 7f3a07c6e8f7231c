#pragma once
/* berth build (issue 16): the classic builder of Docker in berthd. The
 * context tar is unpacked under DATA/tmp/build-PID-XXXXXX, the Dockerfile
 * parsed (dockerfile.h), and each instruction commits an untagged image to
 * the store: metadata ones a new config (history "empty_layer"), RUN the
 * upper dir of a berth container that ran it (layerdiff.h), COPY and ADD
 * the files staged here. The steps' images stay as the build cache (their
 * untagged index entries annotated STORE_STEP_ANNOTATION: the image list
 * leaves them out, as Docker's intermediate images), found again through
 * DATA/build-cache/KEY (a file holding the image id), KEY the sha256 of
 * the parent image id, the step's expanded text and, for COPY and ADD, the
 * digest of the files copied. Only the final image is tagged (and never
 * marked as a step).
 *
 * build.c drives the stages; buildrun.c runs RUN; buildcopy.c stages COPY,
 * ADD and WORKDIR; buildimg.c commits images and keeps the cache. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct berth_error;
struct dockerfile;
struct df_instr;
struct dockerignore;

/* What POST /build asks for. */
struct build_opts {
    const char *dockerfile; /* its path in the context; NULL: "Dockerfile" */
    char **tags;            /* -t, NULL-terminated (may be NULL) */
    json_t *buildargs;      /* {"K":"V"} (may be NULL) */
    const char *target;     /* --target stage name, or NULL */
    const char *network;    /* RUN's NetworkMode (--network); NULL: "default" */
    bool nocache;
    bool quiet;
};

/* Gets each piece of the build's output (Docker's "stream" texts). */
typedef void (*build_out_fn)(const char *text, void *ud);

/* Builds from the context tar (plain or compressed) read from `ctx_fd`.
 * *ret_id gets the final image id ("sha256:HEX"). On failure nothing is
 * tagged, no container or work dir is left (images of the steps that
 * succeeded stay, as cache); EINVAL for a bad Dockerfile or context, a
 * failing RUN ("The command '...' returned a non-zero code: N"). Takes
 * engine.lock only while it commits. */
int build_image(int ctx_fd, const struct build_opts *o, build_out_fn out, void *ud, char **ret_id,
                struct berth_error **err);

/* ---- shared by the build files ---- */

struct build {
    const struct build_opts *o;
    build_out_fn out;
    void *ud;
    char *dir; /* the work dir */
    int ctxfd; /* DIR/context */
    struct dockerfile *df;
    struct dockerignore *ig;
    unsigned seq;     /* names for work files */
    char **stage_ids; /* each stage's image once built (NULL: scratch, nothing) */
    char **meta_args; /* "K=V" of the ARGs before the first FROM */
    /* the stage being built */
    char *image;         /* the current image id; NULL: scratch with nothing yet */
    json_t *config;      /* its config document (OCI image config) */
    json_t *layers;      /* its manifest's layer descriptors */
    char **args;         /* "K=V" of its ARGs in effect */
    bool cmd_set;        /* a CMD in this stage (ENTRYPOINT clears an inherited one) */
    unsigned long hold;  /* its number among the builds holding images; 0: none yet */
    const char *comment; /* the next history entry's comment (docker commit -m), or NULL */
};

/* build.c: prints a formatted piece of output */
void build_say(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The expansion environment: ARGs, then Env (NULL-terminated, caller frees). */
char **build_env(struct build *b, bool with_args);
/* A new path DIR/NAME-SEQ (caller frees). */
char *build_path(struct build *b, const char *name);

/* buildimg.c: every image a build loads or commits is held until the
 * build ends (build_release), so that an rmi or prune meanwhile cannot
 * take a step image from under it. Under engine.lock: adds the holds to
 * the users list of rmi and prune, each as a running user "build". */
void build_holds_users(json_t *users);
/* Takes engine.lock; drops what `b` holds. */
void build_release(struct build *b);

/* buildimg.c: the current image becomes `id` (its config and layers). */
int build_load(struct build *b, const char *id, struct berth_error **err);
/* Commits the config with the layer tar at `layer` (its sha256 `hex`; NULL:
 * no layer, history gets empty_layer) and `created_by` in the history;
 * the new image becomes current. */
int build_commit(struct build *b, const char *created_by, const char *layer, const char *hex,
                 struct berth_error **err);
/* The final image is no step's: its untagged entry loses the mark. */
void build_unmark(struct build *b);
/* The cache key of a step on the current image. */
void build_cache_key(struct build *b, const char *text, const char *content, char ret_hex[65]);
/* The cached image of `key` if it still exists: loads it, true. */
bool build_cache_hit(struct build *b, const char *key);
void build_cache_put(struct build *b, const char *key);
/* The unpacked layer dirs of image `id`, bottom first (caller frees). */
char **build_layer_dirs(const char *id, struct berth_error **err);

/* The files the runtime makes in a container's upper dir (the mount
 * targets of its hostname, hosts and resolv.conf): never in a layer. */
extern const char *const build_runtime_made[];

/* The label of RUN's containers: the PID of the berthd that builds. */
#define BUILD_LABEL "io.berth.build"
/* Removes the RUN containers a killed berthd left (another PID's). */
void build_remove_stale_containers(void);
/* buildrun.c: RUN with argv (the shell's or the exec form's). On success
 * *ret_layer is the path of the layer tar, ret_hex its digest. */
int build_run_step(struct build *b, char **argv, char **ret_layer, char ret_hex[65],
                   struct berth_error **err);

/* buildcopy.c: stages what COPY or ADD `in` copies (`words`: its
 * expanded sources and dest) in a new dir *ret_stage laid out as in the
 * image; *ret_content the digest of that tree for the cache key. */
int build_copy_stage(struct build *b, const struct df_instr *in, char **words, size_t n,
                     char **ret_stage, char ret_content[65], struct berth_error **err);
/* WORKDIR `dir` (absolute): a staged dir holding it when the image lacks
 * it, else *ret_stage NULL. */
int build_workdir_stage(struct build *b, const char *dir, char **ret_stage,
                        struct berth_error **err);
/* The staged tree as a layer tar (*ret_layer, digest ret_hex); the stage
 * goes. */
int build_stage_layer(struct build *b, const char *stage, char **ret_layer, char ret_hex[65],
                      struct berth_error **err);
