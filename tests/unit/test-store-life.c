/* The image store's life (src/engine-common/store-life.c) on a store made
 * in a temp dir: the repository digests a pull records, history from a
 * config's history, and what prune keeps and removes. The blobs are named
 * by made-up digests: the store reads them by name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "error.h"
#include "util.h"

#define C8(c)  c c c c c c c c
#define D(c)   "sha256:" C8(c) C8(c) C8(c) C8(c) C8(c) C8(c) C8(c) C8(c)
#define HEX(d) ((d) + 7)

static char root[64];

static void put(const char *digest, const char *text)
{
    char *dir = store_blob_dir(root), *path = xasprintf("%s/%s", dir, HEX(digest));
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
    free(dir);
}

static bool have(const char *digest)
{
    char *path = xasprintf("%s/image/blobs/sha256/%s", root, HEX(digest));
    bool ok = access(path, F_OK) == 0;
    free(path);
    return ok;
}

/* an image: config `config` (with `history`), manifest `man` of layers
 * `l1` (100 bytes) and `l2` (200 bytes) */
static void image(const char *man, const char *config, const char *l1, const char *l2,
                  const char *history)
{
    char *c = xasprintf("{\"created\":\"2020-01-02T03:04:05Z\",\"rootfs\":{\"type\":\"layers\","
                        "\"diff_ids\":[]},\"history\":%s}",
                        history);
    char *m = xasprintf("{\"schemaVersion\":2,\"config\":{\"digest\":\"%s\",\"size\":1},"
                        "\"layers\":[{\"digest\":\"%s\",\"size\":100},{\"digest\":\"%s\","
                        "\"size\":200}]}",
                        config, l1, l2);
    put(config, c);
    put(man, m);
    put(l1, "layer one");
    put(l2, "layer two");
    free(c);
    free(m);
}

static int setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/test-store-life.XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    rm_rf_at(AT_FDCWD, root, NULL);
    return 0;
}

static const char *annotation(json_t *index, size_t i)
{
    json_t *m = json_array_get(json_object_get(index, "manifests"), i);
    return json_string_value(
        json_object_get(json_object_get(m, "annotations"), STORE_REPO_DIGEST_ANNOTATION));
}

/* the entries of that manifest tagged in the pulled repository, or
 * untagged, get it; another repository's name or manifest does not */
static void test_repo_digest(void **state)
{
    json_t *index = store_index_read(root);
    store_index_set(index, "127.0.0.1:5000/test/bb:v1", D("a"), 10);
    store_index_set(index, "other/name:1", D("a"), 10);
    store_index_set(index, "127.0.0.1:5000/test/bb:v2", D("b"), 10);
    store_index_set(index, "busybox:latest", D("c"), 10);
    store_index_set(index, NULL, D("d"), 10);
    store_index_set_repo_digest(index, "127.0.0.1:5000/test/bb:v1", D("a"));
    store_index_set_repo_digest(index, "docker.io/library/busybox:latest", D("c"));
    store_index_set_repo_digest(index, "127.0.0.1:5000/test/dd@" D("d"), D("d"));
    assert_string_equal(annotation(index, 0), "127.0.0.1:5000/test/bb@" D("a"));
    assert_null(annotation(index, 1));
    assert_null(annotation(index, 2));
    assert_string_equal(annotation(index, 3), "busybox@" D("c"));
    assert_string_equal(annotation(index, 4), "127.0.0.1:5000/test/dd@" D("d"));
    /* the entry is still valid OCI: its ref stays */
    json_t *m = json_array_get(json_object_get(index, "manifests"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(m, "annotations"), STORE_REF_ANNOTATION)),
        "127.0.0.1:5000/test/bb:v1");
    json_decref(index);
}

/* a name that moves leaves its image untagged (dangling) unless another
 * entry has it; tagging an image pulled by digest keeps its repository
 * digest */
static void test_name_moves(void **state)
{
    json_t *index = store_index_read(root), *list = json_object_get(index, "manifests");
    store_index_set(index, "t/a:1", D("a"), 10);
    store_index_set(index, "t/a:1", D("b"), 11);
    assert_int_equal(json_array_size(list), 2);
    json_t *old = json_array_get(list, 1);
    assert_string_equal(json_string_value(json_object_get(old, "digest")), D("a"));
    assert_null(json_object_get(old, "annotations"));
    assert_int_equal(json_integer_value(json_object_get(old, "size")), 10);
    /* named again: no longer dangling; moved again while another name has it */
    store_index_set(index, "t/other:1", D("a"), 10);
    store_index_set(index, "t/other:2", D("b"), 11);
    store_index_set(index, "t/other:2", D("a"), 10);
    assert_int_equal(json_array_size(list), 3);
    for (size_t i = 0; i < 3; i++)
        assert_non_null(store_entry_ref(json_array_get(list, i)));
    store_index_set(index, NULL, D("c"), 12);
    store_index_set_repo_digest(index, "127.0.0.1:5000/x@" D("c"), D("c"));
    store_index_set(index, "t/c:1", D("c"), 12);
    assert_int_equal(json_array_size(list), 4);
    assert_string_equal(annotation(index, 3), "127.0.0.1:5000/x@" D("c"));
    json_decref(index);
}

/* newest first; an empty_layer entry takes no layer and has size 0 */
static void test_history(void **state)
{
    image(D("1"), D("2"), D("3"), D("4"),
          "[{\"created\":\"2020-01-01T00:00:00Z\",\"created_by\":\"base\"},"
          "{\"created_by\":\"ENV A=b\",\"empty_layer\":true,\"comment\":\"c\"},"
          "{\"created\":\"2020-01-03T00:00:00Z\",\"created_by\":\"RUN x\"}]");
    json_t *index = store_index_read(root);
    store_index_set(index, "t/h:1", D("1"), 10);
    assert_int_equal(store_index_write(root, index, NULL), 0);
    json_decref(index);
    json_t *h = store_image_history(root, "t/h:1", NULL);
    assert_int_equal(json_array_size(h), 3);
    json_t *top = json_array_get(h, 0), *mid = json_array_get(h, 1), *old = json_array_get(h, 2);
    assert_string_equal(json_string_value(json_object_get(top, "Id")), D("2"));
    assert_string_equal(json_string_value(json_object_get(top, "CreatedBy")), "RUN x");
    assert_int_equal(json_integer_value(json_object_get(top, "Size")), 200);
    assert_string_equal(json_string_value(json_array_get(json_object_get(top, "Tags"), 0)),
                        "t/h:1");
    assert_string_equal(json_string_value(json_object_get(mid, "Id")), "<missing>");
    assert_int_equal(json_integer_value(json_object_get(mid, "Size")), 0);
    assert_string_equal(json_string_value(json_object_get(mid, "Comment")), "c");
    /* no created of its own: the image's */
    assert_int_equal(json_integer_value(json_object_get(mid, "Created")), 1577934245);
    assert_true(json_is_null(json_object_get(mid, "Tags")));
    assert_int_equal(json_integer_value(json_object_get(old, "Size")), 100);
    assert_int_equal(json_integer_value(json_object_get(old, "Created")), 1577836800);
    json_decref(h);
    struct berth_error *err = NULL;
    assert_null(store_image_history(root, "t/none:1", &err));
    assert_non_null(err);
    berth_error_clear(&err);
}

/* default: the untagged image goes, the tagged one and a pulled-by-digest
 * one stay; a blob nothing references goes; all: what a container uses
 * stays */
static void test_prune(void **state)
{
    image(D("1"), D("2"), D("3"), D("4"), "[]");
    image(D("5"), D("6"), D("3"), D("7"), "[]");
    image(D("8"), D("9"), D("e"), D("f"), "[]");
    put(D("0"), "stray");
    json_t *index = store_index_read(root);
    store_index_set(index, "t/tagged:1", D("1"), 10);
    store_index_set(index, NULL, D("5"), 10);
    store_index_set(index, NULL, D("8"), 10);
    store_index_set_repo_digest(index, "127.0.0.1:5000/x@" D("8"), D("8"));
    assert_int_equal(store_index_write(root, index, NULL), 0);
    json_decref(index);
    struct store_prune f = {0};
    json_t *users = json_array();
    json_t *out = store_image_prune(root, &f, users, NULL);
    assert_non_null(out);
    json_t *del = json_object_get(out, "ImagesDeleted");
    assert_int_equal(json_array_size(del), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(del, 0), "Deleted")),
                        D("6"));
    /* the manifest, config and own layer blob of D5, and the stray */
    assert_true(json_integer_value(json_object_get(out, "SpaceReclaimed")) > 0);
    json_decref(out);
    assert_false(have(D("5")) || have(D("6")) || have(D("7")) || have(D("0")));
    assert_true(have(D("1")) && have(D("2")) && have(D("3")) && have(D("4")) && have(D("8")));
    json_array_append_new(users, json_pack("{s:s,s:[]}", "ImageID", D("9"), "Layers"));
    f.all = true;
    out = store_image_prune(root, &f, users, NULL);
    del = json_object_get(out, "ImagesDeleted");
    assert_int_equal(json_array_size(del), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(del, 0), "Untagged")),
                        "t/tagged:1");
    json_decref(out);
    assert_false(have(D("1")) || have(D("3")));
    assert_true(have(D("8")) && have(D("e")));
    json_decref(users);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_repo_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
