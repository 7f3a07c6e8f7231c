/* Runs a libFuzzer target over the files named on the command line, so the
 * corpus is replayed by `meson test` with any compiler (regression mode). */
#include "cleanup.h"
#include "util.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        if (read_file_at(AT_FDCWD, argv[i], &buf, &len, NULL) < 0) {
            fprintf(stderr, "cannot read '%s'\n", argv[i]);
            return 1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    }
    printf("1..1\nok 1 - %d inputs replayed\n", argc - 1);
    return 0;
}
