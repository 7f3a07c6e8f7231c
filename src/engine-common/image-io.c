#include "image-io.h"
#include "untar.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "store.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MT_INDEX        "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST  "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_LAYER_GZIP   STORE_MT_LAYER "+gzip"
#define MT_LAYER_ZSTD   STORE_MT_LAYER "+zstd"
#define CONTAINERD_NAME "io.containerd.image.name"

/* A load or import in progress: DIR/in (the archive unpacked), DIR/blobs
 * and DIR/layers (what is new to the store). */
struct stage {
    const char *data_root;
    char *dir;
    int in;
    int blobs;
    char *blobs_dir, *layers_dir;
    json_t *names; /* [[ref or null, manifest digest, size]] */
    image_progress_fn progress;
    void *ud;
};

static void stage_free(struct stage *s)
{
    if (s->dir)
        rm_rf_at(AT_FDCWD, s->dir, NULL);
    free(s->dir);
    free(s->blobs_dir);
    free(s->layers_dir);
    if (s->in >= 0)
        close(s->in);
    if (s->blobs >= 0)
        close(s->blobs);
    json_decref(s->names);
}

static int stage_init(struct stage *s, const char *data_root, const char *kind,
                      struct berth_error **err)
{
    *s = (struct stage){.data_root = data_root, .in = -1, .blobs = -1, .names = json_array()};
    s->dir = store_tmpdir(data_root, kind, err);
    if (s->dir == NULL)
        return -EIO;
    s->blobs_dir = xasprintf("%s/blobs", s->dir);
    s->layers_dir = xasprintf("%s/layers", s->dir);
    _cleanup_free_ char *in = xasprintf("%s/in", s->dir);
    if (mkdir(in, 0700) < 0 || mkdir(s->blobs_dir, 0700) < 0 || mkdir(s->layers_dir, 0700) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", s->dir);
    s->in = open(in, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    s->blobs = open(s->blobs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->in < 0 || s->blobs < 0)
        return berth_error_set(err, errno, "cannot open '%s'", s->dir);
    return 0;
}

/* A file of the archive; its symlinks resolve inside it. */
static int open_in(struct stage *s, const char *path, struct berth_error **err)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = path ? (int)syscall(SYS_openat2, s->in, path, &how, sizeof(how)) : -1;
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        return fd;
    if (fd >= 0)
        close(fd);
    return berth_error_set(err, EINVAL, "the archive lacks the file '%s'", path ? path : "");
}

static json_t *read_json_in(struct stage *s, const char *path, struct berth_error **err)
{
    _cleanup_close_ int fd = open_in(s, path, err);
    if (fd < 0)
        return NULL;
    json_error_t je;
    json_t *j = json_loadfd(fd, 0, &je);
    if (j == NULL)
        berth_error_set(err, EINVAL, "'%s' in the archive is not JSON: %s", path, je.text);
    return j;
}

static char *blob_path(struct stage *s, const char *hex)
{
    char *p = xasprintf("%s/%s", s->blobs_dir, hex);
    if (access(p, F_OK) == 0)
        return p;
    free(p);
    return xasprintf("%s/image/blobs/sha256/%s", s->data_root, hex);
}

static bool in_store(struct stage *s, const char *dir, const char *hex)
{
    _cleanup_free_ char *p = xasprintf("%s/%s/sha256/%s", s->data_root, dir, hex);
    return access(p, F_OK) == 0;
}

/* Checks the archive's file `path` against `want` (hex, NULL: any) and
 * stages it when the store lacks it; *ret_hex its digest. */
static int stage_file(struct stage *s, const char *path, const char *want, char ret_hex[65],
                      struct berth_error **err)
{
    _cleanup_close_ int fd = open_in(s, path, err);
    if (fd < 0 || sha256_fd(fd, ret_hex, NULL, err) < 0)
        return -EINVAL;
    if (want && !streq(want, ret_hex))
        return berth_error_set(err, EINVAL,
                               "'%s' in the archive does not match its digest "
                               "'sha256:%s' (sha256:%s)",
                               path, want, ret_hex);
    if (in_store(s, "image/blobs", ret_hex) || faccessat(s->blobs, ret_hex, F_OK, 0) == 0)
        return 0;
    _cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, s->blobs, ret_hex, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
        return berth_error_set(err, errno, "cannot stage '%s'", path);
    return 0;
}

/* Stages a blob made here (a manifest, a config). */
static int stage_text(struct stage *s, const char *text, char ret_hex[65], struct berth_error **err)
{
    _cleanup_free_ char *tmp = xasprintf("%s/.text", s->blobs_dir);
    _cleanup_close_ int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) < 0)
        return berth_error_set(err, errno ? errno : EIO, "cannot write '%s'", tmp);
    if (sha256_fd(fd, ret_hex, NULL, err) < 0)
        return -EIO;
    if (in_store(s, "image/blobs", ret_hex))
        return unlink(tmp), 0;
    if (renameat(s->blobs, ".text", s->blobs, ret_hex) < 0)
        return berth_error_set(err, errno, "cannot stage '%s'", tmp);
    return 0;
}

/* Checks the staged or stored blob `hex` against `diffid` and unpacks it
 * unless the store has the layer. */
static int stage_layer(struct stage *s, const char *hex, const char *diffid,
                       struct berth_error **err)
{
    if (diffid == NULL || strncmp(diffid, "sha256:", 7) != 0 || strlen(diffid) != 71)
        return berth_error_set(err, EINVAL, "bad diff_id '%s'", diffid ? diffid : "");
    _cleanup_free_ char *blob = blob_path(s, hex);
    if (s->progress)
        s->progress(diffid, s->ud);
    if (!in_store(s, "layers", diffid + 7))
        return store_unpack_layer(blob, s->layers_dir, diffid, NULL, err);
    /* the layer is there; a new blob must still be the same content */
    if (faccessat(s->blobs, hex, F_OK, 0) < 0)
        return 0;
    char got[65];
    _cleanup_close_ int fd = open(blob, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || untar_decompress(fd, -1, got, err) < 0)
        return berth_error_set(err, EINVAL, "cannot read layer 'sha256:%s'", hex);
    if (!streq(got, diffid + 7))
        return berth_error_set(err, EINVAL, "layer 'sha256:%s' does not match its diff_id '%s'",
                               hex, diffid);
    return 0;
}

static const char *layer_type(struct stage *s, const char *hex)
{
    _cleanup_free_ char *p = blob_path(s, hex);
    unsigned char m[4] = {0};
    _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && read(fd, m, 4) == 4) {
        if (m[0] == 0x1f && m[1] == 0x8b)
            return MT_LAYER_GZIP;
        if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
            return MT_LAYER_ZSTD;
    }
    return STORE_MT_LAYER;
}

static long long blob_size(struct stage *s, const char *hex)
{
    _cleanup_free_ char *p = blob_path(s, hex);
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

static json_t *stage_json(struct stage *s, const char *hex, struct berth_error **err)
{
    _cleanup_free_ char *p = blob_path(s, hex);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    if (j == NULL)
        berth_error_set(err, EINVAL, "blob 'sha256:%s' is not JSON: %s", hex, je.text);
    return j;
}

/* ---- committing ---- */

static int commit(struct stage *s, struct berth_error **err)
{
    _cleanup_free_ char *bdir = store_blob_dir(s->data_root);
    _cleanup_free_ char *ldir = store_layer_dir(s->data_root);
    json_t *mb = json_array(), *ml = json_array(), *index = store_index_read(s->data_root), *n;
    int r = store_move_all(s->blobs_dir, bdir, mb, err);
    if (r == 0)
        r = store_move_all(s->layers_dir, ldir, ml, err);
    size_t i;
    json_array_foreach(s->names, i, n)
    {
        store_index_set(index, json_string_value(json_array_get(n, 0)),
                        json_string_value(json_array_get(n, 1)),
                        json_integer_value(json_array_get(n, 2)));
    }
    if (r == 0)
        r = store_index_write(s->data_root, index, err);
    if (r < 0) {
        store_undo_moves(bdir, mb);
        store_undo_moves(ldir, ml);
    }
    json_decref(index);
    json_decref(mb);
    json_decref(ml);
    return r;
}

static void add_name(struct stage *s, const char *ref, const char *manifest_hex, long long size)
{
    json_array_append_new(s->names,
                          json_pack("[s?,s+,I]", ref, "sha256:", manifest_hex, (json_int_t)size));
}

/* ---- load ---- */

/* "blobs/sha256/HEX" or "HEX.json": the digest a docker-save path names */
static char *named_hex(const char *path)
{
    const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strspn(b, "0123456789abcdef");
    if (n == 64 && (b[64] == '\0' || streq(b + 64, ".json")))
        return strndup(b, 64);
    return NULL;
}

/* Stages the config and layers of one image; *ret_config its config. */
static int stage_layers(struct stage *s, json_t *config, json_t *hexes, struct berth_error **err)
{
    json_t *diffs = json_object_get(json_object_get(config, "rootfs"), "diff_ids"), *h;
    if (!json_is_array(diffs) || json_array_size(diffs) != json_array_size(hexes))
        return berth_error_set(err, EINVAL, "the image config lists %zu diff_ids for %zu layers",
                               json_array_size(diffs), json_array_size(hexes));
    size_t i;
    json_array_foreach(hexes, i, h)
    {
        if (stage_layer(s, json_string_value(h), json_string_value(json_array_get(diffs, i)), err) <
            0)
            return -EINVAL;
    }
    return 0;
}

/* An OCI manifest for a docker-save image: config hex, layer hexes. */
static int docker_manifest(struct stage *s, const char *cfg, json_t *hexes, char ret_hex[65],
                           long long *ret_size, struct berth_error **err)
{
    json_t *layers = json_array(), *h;
    size_t i;
    json_array_foreach(hexes, i, h)
    {
        const char *x = json_string_value(h);
        json_array_append_new(layers,
                              json_pack("{s:s,s:s+,s:I}", "mediaType", layer_type(s, x), "digest",
                                        "sha256:", x, "size", (json_int_t)blob_size(s, x)));
    }
    json_t *m = json_pack("{s:i,s:s,s:{s:s,s:s+,s:I},s:o}", "schemaVersion", 2, "mediaType",
                          STORE_MT_MANIFEST, "config", "mediaType", STORE_MT_CONFIG, "digest",
                          "sha256:", cfg, "size", (json_int_t)blob_size(s, cfg), "layers", layers);
    _cleanup_free_ char *text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    *ret_size = (long long)strlen(text);
    return stage_text(s, text, ret_hex, err);
}

static int docker_names(struct stage *s, json_t *tags, const char *mhex, long long msize,
                        struct berth_error **err)
{
    json_t *t;
    size_t i;
    if (json_array_size(tags) == 0)
        add_name(s, NULL, mhex, msize);
    json_array_foreach(tags, i, t)
    {
        _cleanup_free_ char *ref = NULL;
        if (store_normalize_ref(json_string_value(t), &ref, err) < 0)
            return -EINVAL;
        add_name(s, ref, mhex, msize);
    }
    return 0;
}

static int docker_image(struct stage *s, json_t *item, struct berth_error **err)
{
    const char *cpath = json_string_value(json_object_get(item, "Config"));
    json_t *lpaths = json_object_get(item, "Layers"), *l;
    if (cpath == NULL || !json_is_array(lpaths))
        return berth_error_set(err, EINVAL, "manifest.json: an entry lacks Config or Layers");
    char cfg[65], hex[65], mhex[65];
    _cleanup_free_ char *want = named_hex(cpath);
    if (stage_file(s, cpath, want, cfg, err) < 0)
        return -EINVAL;
    json_t *config = stage_json(s, cfg, err), *hexes = json_array();
    size_t i;
    int r = config ? 0 : -EINVAL;
    json_array_foreach(lpaths, i, l)
    {
        _cleanup_free_ char *lw = json_string_value(l) ? named_hex(json_string_value(l)) : NULL;
        if (r == 0 && (r = stage_file(s, json_string_value(l), lw, hex, err)) == 0)
            json_array_append_new(hexes, json_string(hex));
    }
    long long msize = 0;
    if (r == 0)
        r = stage_layers(s, config, hexes, err);
    if (r == 0)
        r = docker_manifest(s, cfg, hexes, mhex, &msize, err);
    if (r == 0)
        r = docker_names(s, json_object_get(item, "RepoTags"), mhex, msize, err);
    json_decref(config);
    json_decref(hexes);
    return r;
}

static int load_docker(struct stage *s, struct berth_error **err)
{
    json_t *list = read_json_in(s, "manifest.json", err), *item;
    if (list == NULL)
        return -EINVAL;
    size_t i;
    int r = json_is_array(list) && json_array_size(list) > 0
                ? 0
                : berth_error_set(err, EINVAL, "manifest.json lists no images");
    json_array_foreach(list, i, item)
    {
        if (r == 0)
            r = docker_image(s, item, err);
    }
    json_decref(list);
    return r;
}

static int stage_desc(struct stage *s, json_t *desc, char ret_hex[65], struct berth_error **err)
{
    const char *d = json_string_value(json_object_get(desc, "digest"));
    if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71 ||
        strspn(d + 7, "0123456789abcdef") != 64)
        return berth_error_set(err, EINVAL, "unsupported digest '%s'", d ? d : "");
    _cleanup_free_ char *path = xasprintf("blobs/sha256/%s", d + 7);
    if (stage_file(s, path, d + 7, ret_hex, err) < 0)
        return -EINVAL;
    json_t *size = json_object_get(desc, "size");
    if (size && json_integer_value(size) != blob_size(s, ret_hex))
        return berth_error_set(err, EINVAL,
                               "'%s' in the archive is not of the size its "
                               "descriptor gives (%lld)",
                               path, (long long)json_integer_value(size));
    return 0;
}

/* An index's manifest for linux/amd64 (or its first). */
static json_t *pick_platform(json_t *index)
{
    json_t *m, *list = json_object_get(index, "manifests");
    size_t i;
    json_array_foreach(list, i, m)
    {
        json_t *p = json_object_get(m, "platform");
        if (streq(json_string_value(json_object_get(p, "os")), "linux") &&
            streq(json_string_value(json_object_get(p, "architecture")), "amd64"))
            return m;
    }
    return json_array_get(list, 0);
}

static char *oci_ref(json_t *desc)
{
    json_t *a = json_object_get(desc, "annotations");
    const char *n = json_string_value(json_object_get(a, CONTAINERD_NAME));
    if (n == NULL)
        n = json_string_value(json_object_get(a, STORE_REF_ANNOTATION));
    char *ref = NULL;
    struct berth_error *e = NULL;
    /* a bare ref.name is a tag only (image-spec annotations.md): no name */
    if (n && (strchr(n, ':') || strchr(n, '/')) && store_normalize_ref(n, &ref, &e) < 0)
        berth_error_clear(&e);
    return ref;
}

static int oci_image(struct stage *s, json_t *desc, int depth, struct berth_error **err)
{
    char mhex[65], chex[65], lhex[65];
    if (stage_desc(s, desc, mhex, err) < 0)
        return -EINVAL;
    json_t *man = stage_json(s, mhex, err), *l;
    const char *mt = json_string_value(json_object_get(man, "mediaType"));
    if (man && depth == 0 && (streq(mt, MT_INDEX) || streq(mt, MT_DOCKER_LIST))) {
        json_t *sub = json_deep_copy(pick_platform(man));
        json_object_set(sub, "annotations", json_object_get(desc, "annotations"));
        int r = sub ? oci_image(s, sub, 1, err) : berth_error_set(err, EINVAL, "empty index");
        json_decref(sub);
        json_decref(man);
        return r;
    }
    json_t *config = NULL, *hexes = json_array();
    int r = man ? stage_desc(s, json_object_get(man, "config"), chex, err) : -EINVAL;
    if (r == 0 && (config = stage_json(s, chex, err)) == NULL)
        r = -EINVAL;
    size_t i;
    json_array_foreach(json_object_get(man, "layers"), i, l)
    {
        if (r == 0 && (r = stage_desc(s, l, lhex, err)) == 0)
            json_array_append_new(hexes, json_string(lhex));
    }
    if (r == 0)
        r = stage_layers(s, config, hexes, err);
    _cleanup_free_ char *ref = oci_ref(desc);
    if (r == 0)
        add_name(s, ref, mhex, blob_size(s, mhex));
    json_decref(config);
    json_decref(hexes);
    json_decref(man);
    return r;
}

static int load_oci(struct stage *s, struct berth_error **err)
{
    json_t *layout = read_json_in(s, "oci-layout", err);
    json_t *index = layout ? read_json_in(s, "index.json", err) : NULL, *m;
    int r = index ? 0 : -EINVAL;
    if (r == 0 && json_array_size(json_object_get(index, "manifests")) == 0)
        r = berth_error_set(err, EINVAL, "index.json lists no images");
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        if (r == 0)
            r = oci_image(s, m, 0, err);
    }
    json_decref(layout);
    json_decref(index);
    return r;
}

static json_t *loaded_lines(struct stage *s)
{
    json_t *out = json_array(), *n;
    size_t i;
    json_array_foreach(s->names, i, n)
    {
        const char *ref = json_string_value(json_array_get(n, 0));
        if (ref) {
            json_array_append_new(out, json_sprintf("Loaded image: %s", ref));
            continue;
        }
        json_t *man = stage_json(s, json_string_value(json_array_get(n, 1)) + 7, NULL);
        const char *id =
            json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
        json_array_append_new(out, json_sprintf("Loaded image ID: %s", id ? id : ""));
        json_decref(man);
    }
    return out;
}

json_t *image_load(const char *data_root, int fd, image_progress_fn progress, void *ud,
                   struct berth_error **err)
{
    struct stage s;
    int r = stage_init(&s, data_root, "load", err);
    s.progress = progress;
    s.ud = ud;
    if (r == 0 && untar_fd(fd, s.in, 0, NULL, err) < 0)
        r = berth_error_wrap(err, "cannot load the archive");
    if (r == 0 && faccessat(s.in, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        r = load_docker(&s, err);
    else if (r == 0 && faccessat(s.in, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        r = load_oci(&s, err);
    else if (r == 0)
        r = berth_error_set(err, EINVAL,
                            "the archive has neither manifest.json (docker save) "
                            "nor index.json (OCI image layout)");
    json_t *out = NULL;
    if (r == 0)
        out = loaded_lines(&s); /* before commit moves the staged blobs */
    if (r == 0 && commit(&s, err) < 0)
        json_decref(TAKE_PTR(out));
    stage_free(&s);
    return out;
}

/* ---- save ---- */

static int tar_add(struct archive *a, const char *name, mode_t type, const char *data, size_t len,
                   int fd)
{
    struct archive_entry *e = archive_entry_new();
    struct stat st = {0};
    if (fd >= 0 && fstat(fd, &st) == 0)
        len = (size_t)st.st_size;
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_mtime(e, 0, 0);
    if (type == AE_IFREG)
        archive_entry_set_size(e, (la_int64_t)len);
    int r = archive_write_header(a, e) == ARCHIVE_OK ? 0 : -EIO;
    archive_entry_free(e);
    if (r == 0 && data && len && archive_write_data(a, data, len) != (la_ssize_t)len)
        r = -EIO;
    char buf[65536];
    ssize_t n;
    while (r == 0 && fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
        if (archive_write_data(a, buf, (size_t)n) != n)
            r = -EIO;
    return r;
}

/* One image into manifest.json's and index.json's lists, its blobs into
 * `blobs` (a set of "sha256:HEX"). */
static int save_one(const char *data_root, json_t *index, const char *name, json_t *dmans,
                    json_t *oci, json_t *blobs, struct berth_error **err)
{
    char *ref = NULL;
    json_t *man = store_find(data_root, index, name, &ref, err), *l;
    if (man == NULL)
        return -ENOENT;
    const char *cd = json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
    json_t *desc = store_desc(data_root, index, ref, cd);
    json_t *layers = json_array();
    size_t i;
    json_object_set_new(blobs, json_string_value(json_object_get(desc, "digest")), json_true());
    json_object_set_new(blobs, cd, json_true());
    json_array_foreach(json_object_get(man, "layers"), i, l)
    {
        const char *d = json_string_value(json_object_get(l, "digest"));
        json_object_set_new(blobs, d, json_true());
        json_array_append_new(layers, json_sprintf("blobs/sha256/%s", d + 7));
    }
    json_t *entry = json_pack("{s:s+,s:[],s:o}", "Config", "blobs/sha256/", cd + 7, "RepoTags",
                              "Layers", layers);
    if (ref)
        json_array_append_new(json_object_get(entry, "RepoTags"), json_string(ref));
    json_array_append_new(dmans, entry);
    json_t *od =
        json_pack("{s:O,s:O,s:O}", "mediaType", json_object_get(desc, "mediaType"), "digest",
                  json_object_get(desc, "digest"), "size", json_object_get(desc, "size"));
    if (ref) {
        _cleanup_free_ char *full = store_full_ref(ref);
        json_object_set_new(od, "annotations",
                            json_pack("{s:s,s:s}", CONTAINERD_NAME, full, STORE_REF_ANNOTATION,
                                      strrchr(ref, ':') + 1));
    }
    json_array_append_new(json_object_get(oci, "manifests"), od);
    json_decref(man);
    free(ref);
    return 0;
}

static int write_save(struct archive *a, const char *data_root, json_t *dmans, json_t *oci,
                      json_t *blobs)
{
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    int r = tar_add(a, "blobs/", AE_IFDIR, NULL, 0, -1);
    if (r == 0)
        r = tar_add(a, "blobs/sha256/", AE_IFDIR, NULL, 0, -1);
    const char *d;
    json_t *v;
    json_object_foreach(blobs, d, v)
    {
        _cleanup_free_ char *p = xasprintf("%s/image/blobs/sha256/%s", data_root, d + 7);
        _cleanup_free_ char *n = xasprintf("blobs/sha256/%s", d + 7);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (r == 0)
            r = fd < 0 ? -ENOENT : tar_add(a, n, AE_IFREG, NULL, 0, fd);
    }
    _cleanup_free_ char *it = json_dumps(oci, JSON_COMPACT);
    _cleanup_free_ char *mt = json_dumps(dmans, JSON_COMPACT);
    if (r == 0)
        r = tar_add(a, "index.json", AE_IFREG, it, strlen(it), -1);
    if (r == 0)
        r = tar_add(a, "manifest.json", AE_IFREG, mt, strlen(mt), -1);
    if (r == 0)
        r = tar_add(a, "oci-layout", AE_IFREG, layout, sizeof(layout) - 1, -1);
    return r;
}

int image_save(const char *data_root, char **names, size_t n, int fd, struct berth_error **err)
{
    json_t *index = store_index_read(data_root);
    json_t *dmans = json_array(), *blobs = json_object();
    json_t *oci =
        json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests");
    int r = 0;
    for (size_t i = 0; i < n; i++)
        store_ensure_default(data_root, names[i]);
    json_decref(index);
    index = store_index_read(data_root);
    for (size_t i = 0; r == 0 && i < n; i++)
        r = save_one(data_root, index, names[i], dmans, oci, blobs, err);
    if (r == 0) {
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        r = archive_write_open_fd(a, fd) == ARCHIVE_OK ? 0 : -EIO;
        if (r == 0)
            r = write_save(a, data_root, dmans, oci, blobs);
        if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
            r = -EIO;
        if (r < 0)
            berth_error_set(err, EIO, "cannot write the archive: %s",
                            archive_error_string(a) ? archive_error_string(a)
                                                    : "a blob is missing");
        archive_write_free(a);
    }
    json_decref(index);
    json_decref(dmans);
    json_decref(blobs);
    json_decref(oci);
    return r;
}

/* ---- import ---- */

static char *import_config(const char *diff_hex, const char *comment)
{
    struct timespec ts;
    char now[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    fmt_time(&ts, now);
    json_t *c =
        json_pack("{s:s,s:s,s:s,s:{},s:{s:s,s:[s+]},s:[{s:s,s:s,s:s}]}", "architecture", "amd64",
                  "os", "linux", "created", now, "config", "rootfs", "type", "layers", "diff_ids",
                  "sha256:", diff_hex, "history", "created", now, "created_by", "", "comment",
                  comment && *comment ? comment : "Imported from -");
    char *text = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return text;
}

static int import_layer(struct stage *s, int fd, char hex[65], struct berth_error **err)
{
    _cleanup_close_ int out =
        openat(s->blobs, ".layer", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        return berth_error_set(err, errno, "cannot create a layer in '%s'", s->blobs_dir);
    if (untar_decompress(fd, out, hex, err) < 0)
        return -EINVAL;
    if (renameat(s->blobs, ".layer", s->blobs, hex) < 0)
        return berth_error_set(err, errno, "cannot stage the layer");
    _cleanup_free_ char *diff = xasprintf("sha256:%s", hex);
    /* an existing layer was checked when it was unpacked; this one is too */
    _cleanup_free_ char *blob = xasprintf("%s/%s", s->blobs_dir, hex);
    return store_unpack_layer(blob, s->layers_dir, diff, NULL, err);
}

int image_import(const char *data_root, int fd, const char *ref, const char *comment, char **ret_id,
                 struct berth_error **err)
{
    struct stage s;
    _cleanup_free_ char *norm = NULL, *cfg = NULL, *man = NULL;
    int r = ref ? store_normalize_ref(ref, &norm, err) : 0;
    if (r == 0)
        r = stage_init(&s, data_root, "import", err);
    else
        return r;
    char lhex[65], chex[65], mhex[65];
    if (r == 0)
        r = import_layer(&s, fd, lhex, err);
    if (r == 0 && (r = stage_text(&s, cfg = import_config(lhex, comment), chex, err)) == 0) {
        json_t *m = json_pack("{s:i,s:s,s:{s:s,s:s+,s:I},s:[{s:s,s:s+,s:I}]}", "schemaVersion", 2,
                              "mediaType", STORE_MT_MANIFEST, "config", "mediaType",
                              STORE_MT_CONFIG, "digest", "sha256:", chex, "size",
                              (json_int_t)strlen(cfg), "layers", "mediaType", STORE_MT_LAYER,
                              "digest", "sha256:", lhex, "size", (json_int_t)blob_size(&s, lhex));
        man = json_dumps(m, JSON_COMPACT);
        json_decref(m);
        r = stage_text(&s, man, mhex, err);
    }
    if (r == 0)
        add_name(&s, norm, mhex, (long long)strlen(man));
    if (r == 0 && (r = commit(&s, err)) == 0)
        *ret_id = xasprintf("sha256:%s", chex);
    stage_free(&s);
    return r;
}
