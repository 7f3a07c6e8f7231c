#include "store.h"
#include "untar.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void sha256_mem(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

char *store_blob_dir(const char *data_root)
{
    char *d = xasprintf("%s/image/blobs/sha256", data_root);
    mkdir_p(d, 0700, NULL);
    return d;
}

char *store_layer_dir(const char *data_root)
{
    char *d = xasprintf("%s/layers/sha256", data_root);
    mkdir_p(d, 0700, NULL);
    return d;
}

/* A work dir a killed berthd left: loads and imports run under the
 * store's lock (none is live), pulls do not (registry.c), so only those
 * of another process, "pull-PID-...", are stale. */
static bool stale(const char *name)
{
    if (strncmp(name, "pull-", 5) == 0)
        return strtol(name + 5, NULL, 10) != (long)getpid();
    return strncmp(name, "load-", 5) == 0 || strncmp(name, "import-", 7) == 0;
}

static void remove_stale(const char *parent)
{
    _cleanup_(closedirp) DIR *d = opendir(parent);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (stale(de->d_name))
            rm_rf_at(dirfd(d), de->d_name, NULL);
}

void store_clean_tmp(const char *data_root)
{
    _cleanup_free_ char *parent = xasprintf("%s/tmp", data_root);
    remove_stale(parent);
}

char *store_tmpdir(const char *data_root, const char *prefix, struct berth_error **err)
{
    _cleanup_free_ char *parent = xasprintf("%s/tmp", data_root);
    if (mkdir_p(parent, 0700, err) < 0)
        return NULL;
    remove_stale(parent);
    char *t = xasprintf("%s/%s-XXXXXX", parent, prefix);
    if (mkdtemp(t) == NULL) {
        berth_error_set(err, errno, "cannot create '%s'", t);
        free(t);
        return NULL;
    }
    return t;
}

/* Stores `data` as a blob; *ret_hex gets its digest. */
static int put_blob(const char *data_root, const char *data, size_t len, char ret_hex[65],
                    struct berth_error **err)
{
    _cleanup_free_ char *dir = store_blob_dir(data_root);
    sha256_mem(data, len, ret_hex);
    return durable_write(dir, ret_hex, data, len, err);
}

static bool good_digest(const char *d)
{
    if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
        return false;
    for (const char *p = d + 7; *p; p++)
        if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
            return false;
    return true;
}

json_t *store_blob_json(const char *data_root, const char *digest, struct berth_error **err)
{
    if (!good_digest(digest)) {
        berth_error_set(err, EINVAL, "unsupported digest '%s'", digest ? digest : "");
        return NULL;
    }
    _cleanup_free_ char *dir = xasprintf("%s/image/blobs/sha256", data_root);
    return json_read_file(dir, digest + 7, err);
}

int store_normalize_ref(const char *name, char **ret, struct berth_error **err)
{
    if (name == NULL || *name == '\0' || strlen(name) > 255)
        return berth_error_set(err, EINVAL, "invalid reference format: '%s'", name ? name : "");
    for (const char *p = name; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || strchr("._-/:", *p)))
            return berth_error_set(err, EINVAL,
                                   "invalid reference format: '%s' (lower case letters, digits "
                                   "and ._-/: only)",
                                   name);
    if (strstr(name, "..") || strstr(name, "//") || name[0] == '/' || name[0] == ':')
        return berth_error_set(err, EINVAL, "invalid reference format: '%s'", name);
    const char *n = name;
    if (strncmp(n, "docker.io/", 10) == 0)
        n += 10;
    if (strncmp(n, "library/", 8) == 0)
        n += 8;
    const char *slash = strrchr(n, '/'), *colon = strrchr(n, ':');
    bool tagged = colon && (!slash || colon > slash);
    if (tagged && (colon[1] == '\0' || colon == n))
        return berth_error_set(err, EINVAL, "invalid reference format: '%s'", name);
    *ret = tagged ? xstrdup(n) : xasprintf("%s:latest", n);
    return 0;
}

char *store_full_ref(const char *ref)
{
    const char *slash = strchr(ref, '/');
    if (slash == NULL)
        return xasprintf("docker.io/library/%s", ref);
    _cleanup_free_ char *first = strndup(ref, (size_t)(slash - ref));
    if (strchr(first, '.') || strchr(first, ':') || streq(first, "localhost"))
        return xstrdup(ref);
    return xasprintf("docker.io/%s", ref);
}

/* ---- the default image, built from the host's busybox ---- */

static int add_entry(struct archive *a, const char *path, mode_t type, mode_t perm,
                     const char *link, const char *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_mtime(e, 0, 0);
    if (link)
        archive_entry_set_symlink(e, link);
    if (type == AE_IFREG)
        archive_entry_set_size(e, (la_int64_t)len);
    int r = archive_write_header(a, e);
    if (r == ARCHIVE_OK && data && len > 0 && archive_write_data(a, data, len) != (ssize_t)len)
        r = ARCHIVE_FATAL;
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : -EIO;
}

static int add_applets(struct archive *a)
{
    _cleanup_(fclosep) FILE *f = popen(STORE_BUSYBOX_HOST " --list-full", "re");
    char line[256];
    int r = 0;
    while (f && r == 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (*line == '\0' || streq(line, "bin/busybox") || strstr(line, ".."))
            continue;
        r = add_entry(a, line, AE_IFLNK, 0777, "/bin/busybox", NULL, 0);
    }
    if (f)
        pclose(TAKE_PTR(f));
    return r;
}

/* berth-workloads: the seed workloads from `wdir` as /usr/bin/NAME. */
static int add_workloads(struct archive *a, const char *wdir, struct berth_error **err)
{
    for (size_t i = 0; wdir && i < STORE_N_WORKLOADS; i++) {
        _cleanup_free_ char *src = xasprintf("%s/%s", wdir, store_workloads[i]);
        _cleanup_free_ char *dst = xasprintf("usr/bin/%s", store_workloads[i]);
        _cleanup_free_ char *bin = NULL;
        size_t len = 0;
        if (read_file_at(AT_FDCWD, src, &bin, &len, err) < 0)
            return -EIO;
        if (add_entry(a, dst, AE_IFREG, 0755, NULL, bin, len) < 0)
            return berth_error_set(err, EIO, "cannot add '%s' to the image", dst);
    }
    return 0;
}

/* Writes the layer tar of the default image to `path`; with `wdir`, that
 * of berth-workloads (the same plus the workloads). */
static int write_busybox_layer(const char *path, const char *wdir, struct berth_error **err)
{
    _cleanup_free_ char *bin = NULL;
    size_t bin_len = 0;
    if (read_file_at(AT_FDCWD, STORE_BUSYBOX_HOST, &bin, &bin_len, err) < 0)
        return berth_error_wrap(err, "cannot build the default image 'busybox' (install "
                                     "busybox-static)");
    static const char *dirs[] = {"bin", "dev", "etc",     "home",     "proc", "root",   "sbin",
                                 "sys", "usr", "usr/bin", "usr/sbin", "var",  "var/log"};
    static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                 "nobody:x:65534:65534:nobody:/home:/bin/false\n";
    static const char group[] = "root:x:0:\nnogroup:x:65534:\n";
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    int r = archive_write_open_filename(a, path) == ARCHIVE_OK ? 0 : -EIO;
    for (size_t i = 0; r == 0 && i < ARRAY_SIZE(dirs); i++)
        r = add_entry(a, dirs[i], AE_IFDIR, streq(dirs[i], "root") ? 0700 : 0755, NULL, NULL, 0);
    if (r == 0)
        r = add_entry(a, "tmp", AE_IFDIR, 01777, NULL, NULL, 0);
    if (r == 0)
        r = add_entry(a, "bin/busybox", AE_IFREG, 0755, NULL, bin, bin_len);
    if (r == 0)
        r = add_entry(a, "etc/passwd", AE_IFREG, 0644, NULL, passwd, sizeof(passwd) - 1);
    if (r == 0)
        r = add_entry(a, "etc/group", AE_IFREG, 0644, NULL, group, sizeof(group) - 1);
    if (r == 0)
        r = add_applets(a);
    if (r == 0 && add_workloads(a, wdir, err) < 0)
        r = -ENOENT;
    if (r == -ENOENT) {
        archive_write_free(a);
        return -EIO;
    }
    if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
        r = -EIO;
    _cleanup_free_ char *why = xstrdup(archive_error_string(a) ? archive_error_string(a) : "");
    archive_write_free(a);
    if (r < 0)
        return berth_error_set(err, EIO, "cannot write the busybox layer '%s': %s", path, why);
    return 0;
}

/* ---- the index ---- */

json_t *store_index_read(const char *data_root)
{
    _cleanup_free_ char *dir = xasprintf("%s/image", data_root);
    json_t *index = json_read_file(dir, "index.json", NULL);
    if (!json_is_array(json_object_get(index, "manifests"))) {
        json_decref(index);
        index = json_pack("{s:i,s:[]}", "schemaVersion", 2, "manifests");
    }
    return index;
}

const char *store_entry_ref(json_t *m)
{
    return json_string_value(
        json_object_get(json_object_get(m, "annotations"), STORE_REF_ANNOTATION));
}

static bool index_has(json_t *list, const char *digest)
{
    json_t *m;
    size_t i;
    json_array_foreach(list, i, m)
    {
        if (streq(json_string_value(json_object_get(m, "digest")), digest))
            return true;
    }
    return false;
}

void store_index_set(json_t *index, const char *ref, const char *digest, long long size)
{
    json_t *list = json_object_get(index, "manifests"), *m, *moved = NULL, *carried = NULL;
    size_t i;
    json_array_foreach(list, i, m)
    {
        const char *r = store_entry_ref(m);
        bool same = streq(json_string_value(json_object_get(m, "digest")), digest);
        if (r ? !streq(r, ref) : !same)
            continue;
        if (r && !same)
            moved = json_incref(m);
        else if (!r && carried == NULL)
            carried = json_incref(
                json_object_get(json_object_get(m, "annotations"), STORE_REPO_DIGEST_ANNOTATION));
        json_array_remove(list, i--);
    }
    json_t *e = json_pack("{s:s,s:s,s:I,s:{}}", "mediaType", STORE_MT_MANIFEST, "digest", digest,
                          "size", (json_int_t)size, "annotations");
    json_t *ann = json_object_get(e, "annotations");
    if (ref)
        json_object_set_new(ann, STORE_REF_ANNOTATION, json_string(ref));
    if (carried) /* a pull by digest recorded it on the untagged entry */
        json_object_set(ann, STORE_REPO_DIGEST_ANNOTATION, carried);
    if (json_object_size(ann) == 0)
        json_object_del(e, "annotations");
    json_array_append_new(list, e);
    /* the image the name left stays, untagged (dangling), as Docker's:
     * image prune removes it */
    const char *md = json_string_value(json_object_get(moved, "digest"));
    if (md && !index_has(list, md))
        json_array_append_new(list,
                              json_pack("{s:s,s:s,s:O}", "mediaType", STORE_MT_MANIFEST, "digest",
                                        md, "size", json_object_get(moved, "size")));
    json_decref(moved);
    json_decref(carried);
}

int store_index_write(const char *data_root, json_t *index, struct berth_error **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/image", data_root);
    if (mkdir_p(dir, 0700, err) < 0)
        return -EIO;
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    _cleanup_free_ char *p = xasprintf("%s/oci-layout", dir);
    if (access(p, F_OK) < 0 &&
        durable_write(dir, "oci-layout", layout, sizeof(layout) - 1, err) < 0)
        return -EIO;
    return durable_write_json(dir, "index.json", index, err);
}

static const char *config_digest(json_t *manifest)
{
    return json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
}

/* The manifest digest of "NAME@sha256:HEX", as a pull by digest stores
 * the image (untagged, registry.c), or NULL. */
static const char *pinned_digest(const char *name)
{
    const char *at = strchr(name, '@');
    return at && good_digest(at + 1) ? at + 1 : NULL;
}

json_t *store_find(const char *data_root, json_t *index, const char *name, char **ret_ref,
                   struct berth_error **err)
{
    _cleanup_free_ char *ref = NULL;
    struct berth_error *bad = NULL;
    if (strncmp(name, "sha256:", 7) != 0 && store_normalize_ref(name, &ref, &bad) < 0)
        berth_error_clear(&bad);
    const char *want = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
    size_t i;
    json_t *m, *found = NULL;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        json_t *man =
            store_blob_json(data_root, json_string_value(json_object_get(m, "digest")), NULL);
        const char *cd = config_digest(man);
        const char *pin = pinned_digest(name);
        if (pin && streq(json_string_value(json_object_get(m, "digest")), pin)) {
            json_decref(found);
            return man;
        }
        if (ref && streq(store_entry_ref(m), ref)) {
            json_decref(found);
            if (ret_ref)
                *ret_ref = TAKE_PTR(ref);
            return man;
        }
        bool hexy = strspn(want, "0123456789abcdef") == strlen(want);
        if (hexy && strlen(want) >= 4 && cd && strncmp(cd + 7, want, strlen(want)) == 0 && !found)
            found = json_incref(man);
        json_decref(man);
    }
    /* an id (prefix) is named as given, a name with its tag */
    bool id_like = strlen(want) >= 4 && strspn(want, "0123456789abcdef") == strlen(want);
    if (found == NULL)
        berth_error_set(err, ENOENT, "No such image: %s", ref && !id_like ? ref : name);
    return found;
}

/* Builds an embedded image: busybox:latest, or berth-workloads:latest
 * (STORE_WORKLOADS_REF, when its binaries are found). */
static int build_busybox(const char *data_root, const char *ref, struct berth_error **err)
{
    _cleanup_free_ char *dir = store_blob_dir(data_root);
    _cleanup_free_ char *tmp = xasprintf("%s/.busybox-layer.tmp", dir);
    char layer_hex[65], config_hex[65], manifest_hex[65];
    long long layer_size = 0;
    _cleanup_free_ char *wdir = NULL;
    if (streq(ref, STORE_WORKLOADS_REF) && (wdir = store_workloads_dir(err)) == NULL)
        return -ENOENT;
    int r = write_busybox_layer(tmp, wdir, err);
    _cleanup_close_ int fd = r < 0 ? -1 : open(tmp, O_RDONLY | O_CLOEXEC);
    if (r == 0 && (fd < 0 || sha256_fd(fd, layer_hex, &layer_size, err) < 0))
        r = berth_error_set(err, EIO, "cannot read '%s'", tmp);
    _cleanup_free_ char *layer_path = xasprintf("%s/%s", dir, layer_hex);
    if (r == 0 && rename(tmp, layer_path) < 0)
        r = berth_error_set(err, errno, "cannot store '%s'", layer_path);
    unlink(tmp);
    if (r < 0)
        return r;
    /* a history entry, so that `berth history` says where the layer came from */
    json_t *config =
        json_pack("{s:s,s:s,s:s,s:{s:[s],s:[s]},s:{s:s,s:[s+]},s:[{s:s,s:s}]}", "created",
                  "1970-01-01T00:00:00Z", "architecture", "amd64", "os", "linux", "config", "Env",
                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "Cmd", "sh",
                  "rootfs", "type", "layers", "diff_ids", "sha256:", layer_hex, "history",
                  "created", "1970-01-01T00:00:00Z", "created_by",
                  wdir ? "berth: " STORE_BUSYBOX_HOST " and the seed workloads"
                       : "berth: " STORE_BUSYBOX_HOST);
    _cleanup_free_ char *config_text = json_dumps(config, JSON_COMPACT);
    json_decref(config);
    if (put_blob(data_root, config_text, strlen(config_text), config_hex, err) < 0)
        return -EIO;
    json_t *manifest = json_pack(
        "{s:i,s:s,s:{s:s,s:s+,s:I},s:[{s:s,s:s+,s:I}]}", "schemaVersion", 2, "mediaType",
        STORE_MT_MANIFEST, "config", "mediaType", STORE_MT_CONFIG, "digest", "sha256:", config_hex,
        "size", (json_int_t)strlen(config_text), "layers", "mediaType", STORE_MT_LAYER, "digest",
        "sha256:", layer_hex, "size", (json_int_t)layer_size);
    _cleanup_free_ char *manifest_text = json_dumps(manifest, JSON_COMPACT);
    json_decref(manifest);
    if (put_blob(data_root, manifest_text, strlen(manifest_text), manifest_hex, err) < 0)
        return -EIO;
    json_t *index = store_index_read(data_root);
    _cleanup_free_ char *md = xasprintf("sha256:%s", manifest_hex);
    store_index_set(index, ref, md, (long long)strlen(manifest_text));
    r = store_index_write(data_root, index, err);
    json_decref(index);
    return r;
}

/* ---- unpacking layers ---- */

int store_unpack_layer(const char *blob, const char *parent, const char *diffid, char ret_hex[65],
                       struct berth_error **err)
{
    if (diffid && !good_digest(diffid))
        return berth_error_set(err, EINVAL, "bad diff_id '%s'", diffid);
    _cleanup_free_ char *dest = diffid ? xasprintf("%s/%s", parent, diffid + 7) : NULL;
    struct stat st;
    if (dest && stat(dest, &st) == 0)
        return 0;
    _cleanup_free_ char *tmp = xasprintf("%s/.unpack-XXXXXX", parent);
    if (mkdtemp(tmp) == NULL)
        return berth_error_set(err, errno, "cannot create '%s'", tmp);
    chmod(tmp, 0755);
    char hex[65] = "";
    _cleanup_close_ int fd = open(blob, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = fd < 0 || dfd < 0 ? berth_error_set(err, errno, "cannot open '%s'", blob)
                              : untar_fd(fd, dfd, UNTAR_LAYER, hex, err);
    if (r == 0 && diffid && !streq(hex, diffid + 7))
        r = berth_error_set(err, EINVAL, "layer '%s' does not match its diff_id '%s' (sha256:%s)",
                            strrchr(blob, '/') + 1, diffid, hex);
    if (dest == NULL)
        dest = xasprintf("%s/%s", parent, hex);
    if (r == 0 && rename(tmp, dest) < 0 && errno != EEXIST && errno != ENOTEMPTY)
        r = berth_error_set(err, errno, "cannot rename '%s'", tmp);
    rm_rf_at(AT_FDCWD, tmp, NULL);
    if (r == 0 && ret_hex)
        memcpy(ret_hex, hex, 65);
    return r;
}

/* ---- lookup ---- */

void store_image_free(struct store_image *i)
{
    if (i == NULL)
        return;
    free(i->ref);
    free(i->id);
    json_decref(i->config);
    strv_freep(&i->layers);
    free(i);
}

long long store_parse_time(const char *created)
{
    struct tm tm = {0};
    if (created && strptime(created, "%Y-%m-%dT%H:%M:%S", &tm))
        return (long long)timegm(&tm);
    return 0;
}

static int unpack_all(const char *data_root, struct store_image *img, json_t *manifest,
                      struct berth_error **err)
{
    json_t *layers = json_object_get(manifest, "layers");
    json_t *diffs = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
    if (json_array_size(diffs) != json_array_size(layers))
        return berth_error_set(err, EINVAL, "image '%s' has %zu layers but %zu diff_ids", img->ref,
                               json_array_size(layers), json_array_size(diffs));
    img->layers = xzalloc((json_array_size(layers) + 1) * sizeof(char *));
    _cleanup_free_ char *bdir = store_blob_dir(data_root);
    _cleanup_free_ char *ldir = store_layer_dir(data_root);
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        const char *d = json_string_value(json_object_get(l, "digest"));
        const char *diff = json_string_value(json_array_get(diffs, i));
        img->size += json_integer_value(json_object_get(l, "size"));
        if (!good_digest(d) || !good_digest(diff))
            return berth_error_set(err, EINVAL, "image '%s' has a bad layer digest", img->ref);
        _cleanup_free_ char *blob = xasprintf("%s/%s", bdir, d + 7);
        if (store_unpack_layer(blob, ldir, diff, NULL, err) < 0)
            return -EINVAL;
        img->layers[i] = xasprintf("%s/%s", ldir, diff + 7);
    }
    return 0;
}

static int load_image(const char *data_root, const char *ref, json_t *manifest,
                      struct store_image **ret, struct berth_error **err)
{
    struct store_image *img = xzalloc(sizeof(*img));
    const char *cd = config_digest(manifest);
    img->ref = xstrdup(ref ? ref : "");
    img->id = xstrdup(cd ? cd : "");
    img->config = store_blob_json(data_root, img->id, err);
    int r = img->config ? unpack_all(data_root, img, manifest, err) : -EIO;
    if (r < 0) {
        store_image_free(img);
        return r;
    }
    img->created = store_parse_time(json_string_value(json_object_get(img->config, "created")));
    *ret = img;
    return 0;
}

int store_image_resolve(const char *data_root, const char *name, struct store_image **ret,
                        struct berth_error **err)
{
    _cleanup_free_ char *ref = NULL, *norm = NULL;
    bool by_id = strncmp(name, "sha256:", 7) == 0 || pinned_digest(name);
    if (!by_id && store_normalize_ref(name, &norm, err) < 0)
        return -EINVAL;
    json_t *index = store_index_read(data_root);
    struct berth_error *nf = NULL;
    json_t *manifest = store_find(data_root, index, name, &ref, &nf);
    json_decref(index);
    if (manifest == NULL && (streq(norm, STORE_DEFAULT_REF) || streq(norm, STORE_WORKLOADS_REF))) {
        berth_error_clear(&nf);
        if (build_busybox(data_root, norm, err) < 0)
            return -EIO;
        index = store_index_read(data_root);
        manifest = store_find(data_root, index, name, &ref, err);
        json_decref(index);
    } else if (manifest == NULL) {
        *err = nf;
    }
    if (manifest == NULL)
        return -ENOENT;
    int r = load_image(data_root, ref, manifest, ret, err);
    json_decref(manifest);
    return r;
}

/* ---- list, inspect, tag ---- */

/* The names of image `id`, in index order. */
json_t *store_image_refs(const char *data_root, json_t *index, const char *id)
{
    json_t *out = json_array(), *m;
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        json_t *man =
            store_blob_json(data_root, json_string_value(json_object_get(m, "digest")), NULL);
        if (store_entry_ref(m) && streq(config_digest(man), id))
            json_array_append_new(out, json_string(store_entry_ref(m)));
        json_decref(man);
    }
    return out;
}

static const char *str_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static json_int_t layers_size(json_t *manifest)
{
    json_int_t size = 0;
    size_t k;
    json_t *l;
    json_array_foreach(json_object_get(manifest, "layers"), k, l)
    {
        size += json_integer_value(json_object_get(l, "size"));
    }
    return size;
}

static json_t *summary(const char *data_root, json_t *index, json_t *man, const char *id)
{
    json_t *config = store_blob_json(data_root, id, NULL);
    json_t *labels = json_object_get(json_object_get(config, "config"), "Labels");
    json_t *tags = store_image_refs(data_root, index, id);
    json_int_t size = layers_size(man);
    if (json_array_size(tags) == 0)
        json_array_append_new(tags, json_string("<none>:<none>"));
    json_t *s =
        json_pack("{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:i,s:o,s:i}", "Id", id, "ParentId", "", "RepoTags",
                  tags, "RepoDigests", store_repo_digests(data_root, index, id), "Created",
                  (json_int_t)store_parse_time(str_of(config, "created")), "Size", size,
                  "VirtualSize", size, "SharedSize", -1, "Labels",
                  json_is_object(labels) ? json_incref(labels) : json_object(), "Containers", -1);
    json_decref(config);
    return s;
}

json_t *store_image_list(const char *data_root, struct berth_error **err)
{
    json_t *out = json_array(), *seen = json_object(), *m;
    json_t *index = store_index_read(data_root);
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        json_t *man =
            store_blob_json(data_root, json_string_value(json_object_get(m, "digest")), NULL);
        const char *cd = config_digest(man);
        bool step = json_object_get(json_object_get(m, "annotations"), STORE_STEP_ANNOTATION);
        if (cd && !step && !json_object_get(seen, cd)) {
            json_object_set_new(seen, cd, json_true());
            json_array_append_new(out, summary(data_root, index, man, cd));
        }
        json_decref(man);
    }
    json_decref(seen);
    json_decref(index);
    (void)err;
    return out;
}

static json_t *inspect_of(const char *data_root, json_t *index, json_t *man, json_t *config)
{
    const char *id = config_digest(man);
    json_t *cc = json_object_get(config, "config");
    json_t *diffs = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    json_t *hist = json_array_get(json_object_get(config, "history"), 0);
    json_int_t size = layers_size(man);
    _cleanup_free_ char *ldir = xasprintf("%s/layers/sha256", data_root);
    _cleanup_free_ char *lower = xstrdup("");
    size_t i;
    json_t *d;
    json_array_foreach(diffs, i, d)
    {
        char *n = xasprintf("%s/%s%s%s", ldir, json_string_value(d) + 7, *lower ? ":" : "", lower);
        free(lower);
        lower = n;
    }
    return json_pack(
        "{s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:I,s:I,s:{s:s,s:{s:s}},"
        "s:{s:s,s:o},s:{s:s}}",
        "Id", id, "RepoTags", store_image_refs(data_root, index, id), "RepoDigests",
        store_repo_digests(data_root, index, id), "Parent", "", "Comment",
        json_is_string(json_object_get(config, "comment")) ? str_of(config, "comment")
                                                           : str_of(hist, "comment"),
        "Created", str_of(config, "created"), "Container", "", "DockerVersion", "", "Author",
        str_of(config, "author"), "Config", json_is_object(cc) ? json_incref(cc) : json_object(),
        "Architecture", str_of(config, "architecture"), "Os", str_of(config, "os"), "Size", size,
        "VirtualSize", size, "GraphDriver", "Name", "overlay2", "Data", "LowerDir", lower, "RootFS",
        "Type", "layers", "Layers", json_is_array(diffs) ? json_incref(diffs) : json_array(),
        "Metadata", "LastTagTime", "0001-01-01T00:00:00Z");
}

void store_ensure_default(const char *data_root, const char *name)
{
    _cleanup_free_ char *ref = NULL;
    struct berth_error *e = NULL;
    if (store_normalize_ref(name, &ref, &e) < 0 ||
        (!streq(ref, STORE_DEFAULT_REF) && !streq(ref, STORE_WORKLOADS_REF))) {
        berth_error_clear(&e);
        return;
    }
    json_t *index = store_index_read(data_root);
    bool have = store_desc(data_root, index, ref, NULL) != NULL;
    json_decref(index);
    if (!have && build_busybox(data_root, ref, &e) < 0)
        berth_error_clear(&e); /* the lookup that follows says "No such image" */
}

json_t *store_image_inspect(const char *data_root, const char *name, struct berth_error **err)
{
    store_ensure_default(data_root, name);
    json_t *index = store_index_read(data_root);
    json_t *man = store_find(data_root, index, name, NULL, err);
    json_t *config = man ? store_blob_json(data_root, config_digest(man), err) : NULL;
    json_t *out = config ? inspect_of(data_root, index, man, config) : NULL;
    json_decref(config);
    json_decref(man);
    json_decref(index);
    return out;
}

json_t *store_desc(const char *data_root, json_t *index, const char *ref, const char *id)
{
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        if (ref) {
            if (streq(store_entry_ref(m), ref))
                return m;
            continue;
        }
        json_t *man =
            store_blob_json(data_root, json_string_value(json_object_get(m, "digest")), NULL);
        bool same = streq(config_digest(man), id);
        json_decref(man);
        if (same)
            return m;
    }
    return NULL;
}

int store_image_tag(const char *data_root, const char *src, const char *dst,
                    struct berth_error **err)
{
    _cleanup_free_ char *ref = NULL;
    if (store_normalize_ref(dst, &ref, err) < 0)
        return -EINVAL;
    struct store_image *img = NULL;
    if (store_image_resolve(data_root, src, &img, err) < 0)
        return -ENOENT;
    json_t *index = store_index_read(data_root);
    json_t *d = store_desc(data_root, index, NULL, img->id);
    store_image_free(img);
    int r = d ? 0 : berth_error_set(err, ENOENT, "No such image: %s", src);
    if (r == 0) {
        _cleanup_free_ char *digest = xstrdup(json_string_value(json_object_get(d, "digest")));
        store_index_set(index, ref, digest, json_integer_value(json_object_get(d, "size")));
        r = store_index_write(data_root, index, err);
    }
    json_decref(index);
    return r;
}

/* ---- removal ---- */

static void keep_image(const char *data_root, json_t *m, json_t *blobs, json_t *layers)
{
    const char *md = json_string_value(json_object_get(m, "digest"));
    json_t *man = store_blob_json(data_root, md, NULL);
    json_t *config = store_blob_json(data_root, config_digest(man), NULL);
    json_t *l;
    size_t i;
    if (md && strlen(md) > 7)
        json_object_set_new(blobs, md + 7, json_true());
    if (config)
        json_object_set_new(blobs, config_digest(man) + 7, json_true());
    json_array_foreach(json_object_get(man, "layers"), i, l)
    {
        const char *d = json_string_value(json_object_get(l, "digest"));
        if (good_digest(d))
            json_object_set_new(blobs, d + 7, json_true());
    }
    json_array_foreach(json_object_get(json_object_get(config, "rootfs"), "diff_ids"), i, l)
    {
        if (good_digest(json_string_value(l)))
            json_object_set_new(layers, json_string_value(l) + 7, json_true());
    }
    json_decref(config);
    json_decref(man);
}

/* Removes the entries of `dir` not in `keep`; the bytes of the plain
 * files among them (the blobs: an unpacked layer's size is not counted,
 * as its blob's already is). */
static long long sweep(const char *dir, json_t *keep)
{
    _cleanup_(closedirp) DIR *d = opendir(dir);
    struct dirent *de;
    long long bytes = 0;
    struct stat st;
    while (d && (de = readdir(d)))
        if ((de->d_name[0] != '.' && !json_object_get(keep, de->d_name)) ||
            strncmp(de->d_name, ".unpack-", 8) == 0) {
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
                bytes += st.st_size;
            rm_rf_at(dirfd(d), de->d_name, NULL);
        }
    return bytes;
}

/* Drops the build cache's entries (build-cache/KEY, each an image id)
 * whose image config is no longer kept. */
static void sweep_build_cache(const char *data_root, json_t *blobs)
{
    _cleanup_free_ char *dir = xasprintf("%s/build-cache", data_root);
    _cleanup_(closedirp) DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char id[80] = "";
        _cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n = fd >= 0 ? read(fd, id, sizeof(id) - 1) : -1;
        id[n > 0 ? n : 0] = '\0';
        id[strcspn(id, "\n")] = '\0';
        if (strncmp(id, "sha256:", 7) != 0 || !json_object_get(blobs, id + 7))
            unlinkat(dirfd(d), de->d_name, 0);
    }
}

long long store_gc(const char *data_root, json_t *index, json_t *users)
{
    json_t *blobs = json_object(), *layers = json_object(), *u, *l, *m;
    size_t i, k;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        keep_image(data_root, m, blobs, layers);
    }
    json_array_foreach(users, i, u)
    {
        json_array_foreach(json_object_get(u, "Layers"), k, l)
        {
            const char *p = json_string_value(l), *slash = p ? strrchr(p, '/') : NULL;
            if (slash)
                json_object_set_new(layers, slash + 1, json_true());
        }
    }
    _cleanup_free_ char *bdir = xasprintf("%s/image/blobs/sha256", data_root);
    _cleanup_free_ char *ldir = xasprintf("%s/layers/sha256", data_root);
    long long bytes = sweep(bdir, blobs) + sweep(ldir, layers);
    sweep_build_cache(data_root, blobs);
    json_decref(blobs);
    json_decref(layers);
    return bytes;
}

/* The first container using `id` (the running one first), or NULL. */
static json_t *user_of(json_t *users, const char *id)
{
    json_t *u, *found = NULL;
    size_t i;
    json_array_foreach(users, i, u)
    {
        if (!streq(json_string_value(json_object_get(u, "ImageID")), id))
            continue;
        if (json_is_true(json_object_get(u, "Running")))
            return u;
        if (found == NULL)
            found = u;
    }
    return found;
}

static void drop_entries(const char *data_root, json_t *index, const char *id, const char *ref)
{
    json_t *list = json_object_get(index, "manifests"), *m;
    size_t i;
    json_array_foreach(list, i, m)
    {
        json_t *man =
            store_blob_json(data_root, json_string_value(json_object_get(m, "digest")), NULL);
        bool match = ref ? streq(store_entry_ref(m), ref) : streq(config_digest(man), id);
        json_decref(man);
        if (match)
            json_array_remove(list, i--);
    }
}

/* Docker's conflict checks (daemon/images/image_delete.go); 0 or -EBUSY. */
static int conflict(const char *ref, const char *id, size_t nrefs, json_t *u, bool force,
                    struct berth_error **err)
{
    const char *cid = json_string_value(json_object_get(u, "Id"));
    bool running = json_is_true(json_object_get(u, "Running"));
    if (ref && nrefs > 1)
        return 0;
    if (ref && u && !force)
        return berth_error_set(err, EBUSY,
                               "conflict: unable to remove repository reference \"%s\" (must "
                               "force) - container %.12s is using its referenced image %.12s",
                               ref, cid, id + 7);
    if (!ref && nrefs > 1 && !force)
        return berth_error_set(err, EBUSY,
                               "conflict: unable to delete %.12s (must be forced) - image is "
                               "referenced in multiple repositories",
                               id + 7);
    if (!ref && u && (running || !force))
        return berth_error_set(err, EBUSY,
                               "conflict: unable to delete %.12s (%s) - image is being used by "
                               "%s container %.12s",
                               id + 7, running ? "cannot be forced" : "must be forced",
                               running ? "running" : "stopped", cid);
    return 0;
}

static json_t *untag_all(json_t *refs, const char *only)
{
    json_t *out = json_array(), *r;
    size_t i;
    json_array_foreach(refs, i, r)
    {
        if (only == NULL || streq(json_string_value(r), only))
            json_array_append_new(out, json_pack("{s:O}", "Untagged", r));
    }
    return out;
}

/* Whether config `pc` is the parent of config `cc` as a build makes it:
 * cc's history is pc's and one more entry, and pc's diff_ids begin cc's
 * (with at most one more layer). */
static bool parent_config(json_t *pc, json_t *cc)
{
    json_t *ph = json_object_get(pc, "history"), *ch = json_object_get(cc, "history");
    json_t *pd = json_object_get(json_object_get(pc, "rootfs"), "diff_ids");
    json_t *cd = json_object_get(json_object_get(cc, "rootfs"), "diff_ids");
    size_t np = json_array_size(pd), nc = json_array_size(cd);
    if (!json_is_array(ph) || json_array_size(ph) + 1 != json_array_size(ch) ||
        (nc != np && nc != np + 1))
        return false;
    for (size_t i = 0; i < json_array_size(ph); i++)
        if (!json_equal(json_array_get(ph, i), json_array_get(ch, i)))
            return false;
    for (size_t i = 0; i < np; i++)
        if (!json_equal(json_array_get(pd, i), json_array_get(cd, i)))
            return false;
    return true;
}

/* The build step (an untagged entry annotated STORE_STEP_ANNOTATION) whose
 * config is the parent of `config`, its id in *ret_id; NULL when none. */
static json_t *step_parent(const char *data_root, json_t *index, json_t *config, char **ret_id)
{
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        if (!json_object_get(json_object_get(m, "annotations"), STORE_STEP_ANNOTATION))
            continue;
        json_t *man =
            store_blob_json(data_root, json_string_value(json_object_get(m, "digest")), NULL);
        const char *id = config_digest(man);
        json_t *pc = id ? store_blob_json(data_root, id, NULL) : NULL;
        if (pc && parent_config(pc, config)) {
            *ret_id = xstrdup(id);
            json_decref(man);
            return pc;
        }
        json_decref(pc);
        json_decref(man);
    }
    return NULL;
}

/* Whether an image of `index` other than `id` has config `pc` as parent. */
static bool has_child(const char *data_root, json_t *index, json_t *pc, const char *id)
{
    json_t *m;
    size_t i;
    bool found = false;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        json_t *man =
            store_blob_json(data_root, json_string_value(json_object_get(m, "digest")), NULL);
        const char *cid = config_digest(man);
        json_t *cc = cid && !streq(cid, id) ? store_blob_json(data_root, cid, NULL) : NULL;
        found = cc && parent_config(pc, cc);
        json_decref(cc);
        json_decref(man);
        if (found)
            break;
    }
    return found;
}

/* Docker's removal of untagged parents: after image `config` went, its
 * build step parent goes too while that is untagged, has no other child
 * and no container uses it, and so on up the chain; each one is told in
 * `out` as Deleted. */
static void drop_parents(const char *data_root, json_t *index, json_t *config, json_t *users,
                         json_t *out)
{
    char *id = NULL;
    json_t *pc;
    json_incref(config);
    while ((pc = step_parent(data_root, index, config, &id)) != NULL) {
        json_t *refs = store_image_refs(data_root, index, id);
        bool keep =
            json_array_size(refs) > 0 || user_of(users, id) || has_child(data_root, index, pc, id);
        json_decref(refs);
        if (!keep) {
            drop_entries(data_root, index, id, NULL);
            json_array_append_new(out, json_pack("{s:s}", "Deleted", id));
        }
        free(TAKE_PTR(id));
        json_decref(config);
        config = pc;
        if (keep)
            break;
    }
    json_decref(config);
}

json_t *store_image_remove(const char *data_root, const char *name, bool force, bool prune,
                           json_t *users, struct berth_error **err)
{
    json_t *index = store_index_read(data_root);
    char *ref = NULL;
    json_t *man = store_find(data_root, index, name, &ref, err);
    _cleanup_free_ char *id = man ? xstrdup(config_digest(man)) : NULL;
    json_decref(man);
    json_t *refs = id ? store_image_refs(data_root, index, id) : NULL, *out = NULL;
    json_t *u = id ? user_of(users, id) : NULL;
    if (id && conflict(ref, id, json_array_size(refs), u, force, err) == 0) {
        bool running = u && json_is_true(json_object_get(u, "Running"));
        bool keep = ref && (json_array_size(refs) > 1 || running);
        out = untag_all(refs, ref);
        if (keep && ref) {
            json_t *d = store_desc(data_root, index, NULL, id);
            _cleanup_free_ char *md = xstrdup(json_string_value(json_object_get(d, "digest")));
            json_int_t sz = json_integer_value(json_object_get(d, "size"));
            drop_entries(data_root, index, id, ref);
            if (json_array_size(refs) == 1)
                store_index_set(index, NULL, md, sz); /* dangling, for the running user */
        } else {
            json_t *config = prune ? store_blob_json(data_root, id, NULL) : NULL;
            drop_entries(data_root, index, id, NULL);
            json_array_append_new(out, json_pack("{s:s}", "Deleted", id));
            if (config)
                drop_parents(data_root, index, config, users, out);
            json_decref(config);
        }
        if (store_index_write(data_root, index, err) < 0)
            json_decref(TAKE_PTR(out));
        else
            store_gc(data_root, index, users);
    }
    json_decref(refs);
    json_decref(index);
    free(ref);
    return out;
}

void store_undo_moves(const char *dir, json_t *moved)
{
    json_t *v;
    size_t i;
    json_array_foreach(moved, i, v)
    {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, json_string_value(v));
        rm_rf_at(AT_FDCWD, path, NULL);
    }
}

int store_move_all(const char *from, const char *to, json_t *moved, struct berth_error **err)
{
    _cleanup_(closedirp) DIR *d = opendir(from);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *a = xasprintf("%s/%s", from, de->d_name);
        _cleanup_free_ char *b = xasprintf("%s/%s", to, de->d_name);
        if (access(b, F_OK) == 0)
            continue;
        if (rename(a, b) < 0)
            return berth_error_set(err, errno, "cannot move '%s' into the store", a);
        json_array_append_new(moved, json_string(de->d_name));
    }
    _cleanup_close_ int dfd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
        fsync(dfd);
    return 0;
}
