/* libFuzzer target: config.json text -> berth_config_parse. The parser takes
 * whatever a bundle holds, so any input must give a config or one error, and
 * never crash, leak or read out of bounds. */
#include "error.h"
#include "oci.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct berth_error *err = NULL;
    struct berth_config *c = berth_config_parse((const char *)data, size, "/bundle", &err);
    if (c == NULL && err == NULL)
        __builtin_trap(); /* a failure must say why */
    berth_config_free(c);
    berth_error_clear(&err);
    return 0;
}
