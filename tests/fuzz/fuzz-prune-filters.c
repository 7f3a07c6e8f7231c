/* libFuzzer target: POST /images/prune's filters -> berthd's parser
 * (src/daemon/api/images-query.c). The input is the filters argument as
 * the query decoder hands it over: a C string (cut at the first NUL).
 * Whatever the bytes: a reason, or labels that are arrays of strings and
 * an until >= 0; never a crash or a leak. */
#include "api/images-query.h"
#include "cleanup.h"
#include "store.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(json_t *a)
{
    json_t *x;
    size_t i;
    if (a && !json_is_array(a))
        __builtin_trap();
    json_array_foreach(a, i, x) if (!json_is_string(x)) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_free_ char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct store_prune f = {0};
    json_t *filters = NULL;
    _cleanup_free_ char *bad = images_prune_filters(text, &f, &filters);
    if (bad == NULL && (f.until < 0 || !json_is_object(filters)))
        __builtin_trap();
    if (bad == NULL) {
        check_list(f.labels);
        check_list(f.not_labels);
    }
    if (images_go_duration(text) < -1)
        __builtin_trap();
    json_decref(filters);
    return 0;
}
