#include "store.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define REF_ANNOTATION "org.opencontainers.image.ref.name"
#define MT_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG      "application/vnd.oci.image.config.v1+json"
#define MT_LAYER       "application/vnd.oci.image.layer.v1.tar"

static void hex_of(const unsigned char *md, unsigned n, char out[65])
{
    for (unsigned i = 0; i < n && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* sha256 of a file's content, as 64 hex digits. */
static int sha256_file(const char *path, char out[65], long long *ret_size,
                       struct berth_error **err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open '%s'", path);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    char buf[65536];
    long long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        total += n;
    }
    unsigned char md[32];
    unsigned mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    if (n < 0)
        return berth_error_set(err, errno, "cannot read '%s'", path);
    hex_of(md, mdlen, out);
    if (ret_size)
        *ret_size = total;
    return 0;
}

static void sha256_mem(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    hex_of(md, mdlen, out);
}

static char *blob_dir(const char *data_root)
{
    return xasprintf("%s/image/blobs/sha256", data_root);
}

/* Stores `data` as a blob; *ret_hex gets its digest. */
static int put_blob(const char *data_root, const char *data, size_t len, char ret_hex[65],
                    struct berth_error **err)
{
    _cleanup_free_ char *dir = blob_dir(data_root);
    sha256_mem(data, len, ret_hex);
    return durable_write(dir, ret_hex, data, len, err);
}

static json_t *read_blob_json(const char *data_root, const char *digest, struct berth_error **err)
{
    if (strncmp(digest, "sha256:", 7) != 0 || strchr(digest + 7, '/')) {
        berth_error_set(err, EINVAL, "unsupported digest '%s'", digest);
        return NULL;
    }
    _cleanup_free_ char *dir = blob_dir(data_root);
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
    if (tagged && colon[1] == '\0')
        return berth_error_set(err, EINVAL, "invalid reference format: '%s'", name);
    *ret = tagged ? xstrdup(n) : xasprintf("%s:latest", n);
    return 0;
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

/* Writes the layer tar of the default image to `path`. */
static int write_busybox_layer(const char *path, struct berth_error **err)
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
    if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
        r = -EIO;
    _cleanup_free_ char *why = xstrdup(archive_error_string(a) ? archive_error_string(a) : "");
    archive_write_free(a);
    if (r < 0)
        return berth_error_set(err, EIO, "cannot write the busybox layer '%s': %s", path, why);
    return 0;
}

static int add_index_entry(const char *data_root, const char *ref, const char *manifest_hex,
                           size_t manifest_len, struct berth_error **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/image", data_root);
    json_t *index = json_read_file(dir, "index.json", NULL);
    if (index == NULL)
        index = json_pack("{s:i,s:[]}", "schemaVersion", 2, "manifests");
    json_t *list = json_object_get(index, "manifests");
    json_array_append_new(list,
                          json_pack("{s:s,s:s+,s:I,s:{s:s}}", "mediaType", MT_MANIFEST, "digest",
                                    "sha256:", manifest_hex, "size", (json_int_t)manifest_len,
                                    "annotations", REF_ANNOTATION, ref));
    int r = durable_write_json(dir, "index.json", index, err);
    json_decref(index);
    return r;
}

static int build_busybox(const char *data_root, struct berth_error **err)
{
    _cleanup_free_ char *dir = blob_dir(data_root);
    _cleanup_free_ char *imgdir = xasprintf("%s/image", data_root);
    if (mkdir_p(dir, 0700, err) < 0)
        return -errno;
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    if (durable_write(imgdir, "oci-layout", layout, sizeof(layout) - 1, err) < 0)
        return -EIO;
    _cleanup_free_ char *tmp = xasprintf("%s/.busybox-layer.tmp", dir);
    char layer_hex[65], config_hex[65], manifest_hex[65];
    long long layer_size = 0;
    if (write_busybox_layer(tmp, err) < 0 || sha256_file(tmp, layer_hex, &layer_size, err) < 0) {
        unlink(tmp);
        return -EIO;
    }
    _cleanup_free_ char *layer_path = xasprintf("%s/%s", dir, layer_hex);
    if (rename(tmp, layer_path) < 0) {
        unlink(tmp);
        return berth_error_set(err, errno, "cannot store '%s'", layer_path);
    }
    json_t *config =
        json_pack("{s:s,s:s,s:s,s:{s:[s],s:[s]},s:{s:s,s:[s+]}}", "created", "1970-01-01T00:00:00Z",
                  "architecture", "amd64", "os", "linux", "config", "Env",
                  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "Cmd", "sh",
                  "rootfs", "type", "layers", "diff_ids", "sha256:", layer_hex);
    _cleanup_free_ char *config_text = json_dumps(config, JSON_COMPACT);
    json_decref(config);
    if (put_blob(data_root, config_text, strlen(config_text), config_hex, err) < 0)
        return -EIO;
    json_t *manifest =
        json_pack("{s:i,s:s,s:{s:s,s:s+,s:I},s:[{s:s,s:s+,s:I}]}", "schemaVersion", 2, "mediaType",
                  MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest", "sha256:", config_hex,
                  "size", (json_int_t)strlen(config_text), "layers", "mediaType", MT_LAYER,
                  "digest", "sha256:", layer_hex, "size", (json_int_t)layer_size);
    _cleanup_free_ char *manifest_text = json_dumps(manifest, JSON_COMPACT);
    json_decref(manifest);
    if (put_blob(data_root, manifest_text, strlen(manifest_text), manifest_hex, err) < 0)
        return -EIO;
    return add_index_entry(data_root, STORE_DEFAULT_REF, manifest_hex, strlen(manifest_text), err);
}

/* ---- unpacking layers ---- */

/* A layer's entry name must stay inside the layer: relative, no "..". */
static bool safe_name(const char *name)
{
    if (name == NULL || name[0] == '/')
        return false;
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        while (*p == '/')
            p++;
    }
    return true;
}

static int unpack_entries(struct archive *in, struct archive *out, const char *dest,
                          struct berth_error **err)
{
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);
        if (!safe_name(name) || (hl && !safe_name(hl)))
            return berth_error_set(err, EINVAL, "layer entry '%s' leaves the layer", name);
        /* whiteouts (.wh.) need a lower layer; the default image has none */
        if (strstr(name, ".wh."))
            return berth_error_set(err, ENOTSUP,
                                   "layer entry '%s': whiteouts are not "
                                   "supported yet",
                                   name);
        _cleanup_free_ char *full = xasprintf("%s/%s", dest, name);
        archive_entry_set_pathname(e, full);
        if (hl) {
            _cleanup_free_ char *fhl = xasprintf("%s/%s", dest, hl);
            archive_entry_set_hardlink(e, fhl);
        }
        if (archive_write_header(out, e) != ARCHIVE_OK)
            return berth_error_set(err, EIO, "cannot unpack '%s': %s", name,
                                   archive_error_string(out));
        const void *buf;
        size_t len;
        la_int64_t off;
        while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
            if (archive_write_data_block(out, buf, len, off) != ARCHIVE_OK)
                return berth_error_set(err, EIO, "cannot unpack '%s': %s", name,
                                       archive_error_string(out));
        if (r != ARCHIVE_EOF)
            return berth_error_set(err, EIO, "cannot read layer: %s", archive_error_string(in));
    }
    if (r != ARCHIVE_EOF)
        return berth_error_set(err, EIO, "cannot read layer: %s", archive_error_string(in));
    return 0;
}

/* Unpacks blob `hex` into DATA/layers/sha256/HEX once (temp dir, rename). */
static int unpack_layer(const char *data_root, const char *hex, char **ret_dir,
                        struct berth_error **err)
{
    _cleanup_free_ char *parent = xasprintf("%s/layers/sha256", data_root);
    _cleanup_free_ char *dest = xasprintf("%s/%s", parent, hex);
    struct stat st;
    if (stat(dest, &st) == 0) {
        *ret_dir = TAKE_PTR(dest);
        return 0;
    }
    if (mkdir_p(parent, 0700, err) < 0)
        return -EIO;
    _cleanup_free_ char *tmp = xasprintf("%s/.%s.tmp", parent, hex);
    _cleanup_free_ char *blob = xasprintf("%s/image/blobs/sha256/%s", data_root, hex);
    rm_rf_at(AT_FDCWD, tmp, NULL);
    if (mkdir(tmp, 0755) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", tmp);
    struct archive *in = archive_read_new(), *out = archive_write_disk_new();
    archive_read_support_format_tar(in);
    archive_read_support_filter_gzip(in);
    archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                            ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_PERM |
                                            ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
                                            ARCHIVE_EXTRACT_XATTR);
    int r = archive_read_open_filename(in, blob, 65536) == ARCHIVE_OK
                ? unpack_entries(in, out, tmp, err)
                : berth_error_set(err, EIO, "cannot open layer '%s': %s", blob,
                                  archive_error_string(in));
    archive_read_free(in);
    archive_write_free(out);
    if (r == 0 && rename(tmp, dest) < 0)
        r = berth_error_set(err, errno, "cannot rename '%s'", tmp);
    if (r < 0) {
        rm_rf_at(AT_FDCWD, tmp, NULL);
        return r;
    }
    *ret_dir = TAKE_PTR(dest);
    return 0;
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

/* The index entry naming `ref`, or whose config id starts with `ref`. */
static json_t *find_manifest(json_t *index, const char *data_root, const char *ref, const char *raw,
                             struct berth_error **err)
{
    size_t i;
    json_t *m, *found = NULL;
    const char *want = strncmp(raw, "sha256:", 7) == 0 ? raw + 7 : raw;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        const char *name =
            json_string_value(json_object_get(json_object_get(m, "annotations"), REF_ANNOTATION));
        if (ref && streq(name, ref))
            return read_blob_json(data_root, json_string_value(json_object_get(m, "digest")), err);
        json_t *man =
            read_blob_json(data_root, json_string_value(json_object_get(m, "digest")), NULL);
        const char *cd =
            json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
        if (strlen(want) >= 4 && cd && strncmp(cd + 7, want, strlen(want)) == 0 && !found)
            found = json_incref(man);
        json_decref(man);
    }
    if (found == NULL)
        berth_error_set(err, ENOENT, "No such image: %s", ref ? ref : raw);
    return found;
}

static int load_image(const char *data_root, const char *ref, json_t *manifest,
                      struct store_image **ret, struct berth_error **err)
{
    struct store_image *img = xzalloc(sizeof(*img));
    const char *cd =
        json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
    img->ref = xstrdup(ref ? ref : "");
    img->id = xstrdup(cd ? cd : "");
    img->config = read_blob_json(data_root, img->id, err);
    json_t *layers = json_object_get(manifest, "layers");
    img->layers = xzalloc((json_array_size(layers) + 1) * sizeof(char *));
    size_t i;
    json_t *l;
    int r = img->config ? 0 : -EIO;
    json_array_foreach(layers, i, l)
    {
        const char *d = json_string_value(json_object_get(l, "digest"));
        img->size += json_integer_value(json_object_get(l, "size"));
        if (r == 0 && (d == NULL || strncmp(d, "sha256:", 7) != 0 || strchr(d, '/')))
            r = berth_error_set(err, EINVAL, "image '%s' has a bad layer digest", ref);
        if (r == 0)
            r = unpack_layer(data_root, d + 7, &img->layers[i], err);
    }
    if (r < 0) {
        store_image_free(img);
        return r;
    }
    struct tm tm = {0};
    const char *created = json_string_value(json_object_get(img->config, "created"));
    if (created && strptime(created, "%Y-%m-%dT%H:%M:%S", &tm))
        img->created = timegm(&tm);
    *ret = img;
    return 0;
}

int store_image_resolve(const char *data_root, const char *name, struct store_image **ret,
                        struct berth_error **err)
{
    _cleanup_free_ char *ref = NULL;
    bool by_id = strncmp(name, "sha256:", 7) == 0;
    if (!by_id && store_normalize_ref(name, &ref, err) < 0)
        return -EINVAL;
    _cleanup_free_ char *dir = xasprintf("%s/image", data_root);
    json_t *index = json_read_file(dir, "index.json", NULL);
    if (index == NULL && streq(ref, STORE_DEFAULT_REF)) {
        if (build_busybox(data_root, err) < 0)
            return -EIO;
        index = json_read_file(dir, "index.json", err);
    }
    if (index == NULL)
        return berth_error_set(err, ENOENT, "No such image: %s", ref ? ref : name);
    struct berth_error *nf = NULL;
    json_t *manifest = find_manifest(index, data_root, ref, name, &nf);
    if (manifest == NULL && streq(ref, STORE_DEFAULT_REF)) {
        berth_error_clear(&nf);
        json_decref(index);
        if (build_busybox(data_root, err) < 0)
            return -EIO;
        index = json_read_file(dir, "index.json", err);
        manifest = find_manifest(index, data_root, ref, name, err);
    } else if (manifest == NULL) {
        *err = nf;
    }
    json_decref(index);
    if (manifest == NULL)
        return -ENOENT;
    int r = load_image(data_root, ref, manifest, ret, err);
    json_decref(manifest);
    return r;
}

json_t *store_image_list(const char *data_root, struct berth_error **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/image", data_root);
    json_t *out = json_array();
    json_t *index = json_read_file(dir, "index.json", NULL);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        const char *ref =
            json_string_value(json_object_get(json_object_get(m, "annotations"), REF_ANNOTATION));
        json_t *man =
            read_blob_json(data_root, json_string_value(json_object_get(m, "digest")), NULL);
        const char *cd =
            json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
        json_int_t size = 0;
        size_t k;
        json_t *l;
        json_array_foreach(json_object_get(man, "layers"), k, l) size +=
            json_integer_value(json_object_get(l, "size"));
        json_array_append_new(out, json_pack("{s:s,s:s,s:[s],s:[],s:I,s:I,s:I,s:{},s:i}", "Id",
                                             cd ? cd : "", "ParentId", "", "RepoTags",
                                             ref ? ref : "<none>:<none>", "RepoDigests", "Created",
                                             (json_int_t)0, "Size", size, "VirtualSize", size,
                                             "Labels", "Containers", -1));
        json_decref(man);
    }
    json_decref(index);
    (void)err;
    return out;
}
