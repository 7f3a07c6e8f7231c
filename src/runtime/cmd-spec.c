#include "runtime.h"
#include "cleanup.h"
#include "error.h"
#include "spec.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

int cmd_spec(int argc, char **argv)
{
    static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
                                         {"rootless", no_argument, NULL, 'R'},
                                         {NULL, 0, NULL, 0}};
    const char *bundle = ".";
    bool rootless = false;
    int c;
    while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
        if (c == 'b')
            bundle = optarg;
        else if (c == 'R')
            rootless = true;
        else
            return rt_bad_option(argv, "spec [--bundle DIR] [--rootless]");
    }
    if (optind != argc)
        return rt_usage("spec [--bundle DIR] [--rootless]");
    _cleanup_close_ int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return rt_error("cannot open bundle '%s': %s", bundle, strerror(errno));
    _cleanup_free_ char *text =
        rootless ? berth_spec_rootless(NULL, 1, geteuid(), getegid()) : berth_spec_default(NULL, 1);
    _cleanup_close_ int fd =
        openat(dfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
        return rt_error("'%s/config.json' exists already: remove it first", bundle);
    if (fd < 0)
        return rt_error("cannot create '%s/config.json': %s", bundle, strerror(errno));
    size_t len = strlen(text);
    text[len] = '\n';
    if (write(fd, text, len + 1) != (ssize_t)(len + 1))
        return rt_error("cannot write '%s/config.json': %s", bundle, strerror(errno));
    return 0;
}
