/* /containers/{id}/archive, docker cp's three calls: HEAD (the path's
 * stat, base64 JSON in X-Docker-Container-Path-Stat), GET (its tar, with
 * that header) and PUT (a tar unpacked into a directory; the body is
 * spooled to a file first). The work is archive.c's. */
#include "api.h"
#include "../daemon.h"
#include "cleanup.h"
#include "error.h"
#include "untar.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int api_archive_spool(const char *path, const char *method)
{
    size_t n = strlen(path);
    if (!streq(method, "PUT") || strncmp(path, "/containers/", 12) != 0 || n < 20 ||
        !streq(path + n - 8, "/archive"))
        return -1;
    _cleanup_free_ char *dir = xasprintf("%s/tmp", engine.data_root);
    mkdir(dir, 0700);
    return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

/* Queues a 200 of `resp` with the path's stat header; takes both. */
static enum MHD_Result queue_with_stat(struct request *r, struct MHD_Response *resp, json_t *st)
{
    _cleanup_free_ char *text = json_dumps(st, JSON_COMPACT);
    json_decref(st);
    size_t n = strlen(text);
    _cleanup_free_ char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)text, (int)n);
    MHD_add_response_header(resp, "X-Docker-Container-Path-Stat", b64);
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* HEAD answers carry no body: the status alone says what went wrong */
static enum MHD_Result head(struct request *r, struct ctr *c, const char *path)
{
    struct berth_error *err = NULL;
    json_t *st = archive_stat(c, path, &err);
    if (st == NULL)
        return api_error(r, err);
    return queue_with_stat(r, MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT), st);
}

static int tmp_file(struct berth_error **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/tmp", engine.data_root);
    mkdir(dir, 0700);
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    return fd >= 0 ? fd : berth_error_set(err, errno, "cannot create a file in '%s'", dir);
}

/* The tar in fd (taken) as the answer, with st's header (taken) if any. */
static enum MHD_Result send_tar(struct request *r, int fd, json_t *st)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        int e = errno;
        close(fd);
        json_decref(st);
        return api_message(r, 500, "cannot read the archive: %s", strerror(e));
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    MHD_add_response_header(resp, "Content-Type", "application/x-tar");
    if (st)
        return queue_with_stat(r, resp, st);
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result get(struct request *r, struct ctr *c, const char *path)
{
    struct berth_error *err = NULL;
    json_t *st = NULL;
    int fd = tmp_file(&err);
    if (fd < 0 || archive_get(c, path, fd, &st, &err) < 0) {
        if (fd >= 0)
            close(fd);
        json_decref(st);
        return api_error(r, err);
    }
    return send_tar(r, fd, st);
}

enum MHD_Result api_export(struct request *r, struct ctr *c)
{
    struct berth_error *err = NULL;
    int fd = tmp_file(&err);
    if (fd < 0 || archive_export(c, fd, &err) < 0) {
        if (fd >= 0)
            close(fd);
        return api_error(r, err);
    }
    return send_tar(r, fd, NULL);
}

static enum MHD_Result put(struct request *r, struct ctr *c, const char *path)
{
    if (r->upload_fd < 0 || r->upload_error)
        return api_message(r, 500, "cannot keep the request body: %s",
                           strerror(r->upload_error ? r->upload_error : EIO));
    unsigned flags = (api_arg_bool(r, "noOverwriteDirNonDir", false) ? UNTAR_KEEP_KINDS : 0) |
                     (api_arg_bool(r, "copyUIDGID", false) ? UNTAR_OWNERS : 0);
    struct berth_error *err = NULL;
    lseek(r->upload_fd, 0, SEEK_SET);
    if (archive_put(c, path, r->upload_fd, flags, &err) < 0) {
        if (err && err->errnum == EROFS) { /* Docker's 403 */
            _cleanup_free_ char *msg = berth_error_format(err);
            berth_error_clear(&err);
            return api_message(r, 403, "%s", msg);
        }
        return api_error(r, err);
    }
    return api_empty(r, 200);
}

enum MHD_Result api_archive(struct request *r, struct ctr *c)
{
    const char *arg = api_arg(r, "path");
    if (arg == NULL || *arg == '\0')
        return api_message(r, 400, "bad parameter: path cannot be empty");
    /* docker cp's container paths are from the root */
    _cleanup_free_ char *path = arg[0] == '/' ? xstrdup(arg) : xasprintf("/%s", arg);
    if (streq(r->method, "HEAD"))
        return head(r, c, path);
    if (streq(r->method, "GET"))
        return get(r, c, path);
    if (streq(r->method, "PUT"))
        return put(r, c, path);
    return api_message(r, 404, "page not found");
}
