/* The container's events as the shim sees them (issue 14; shim.h). */
#include "shim.h"
#include "cleanup.h"
#include "util.h"

#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void shim_event(const struct shim_args *a, const char *action, json_t *attrs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_int_t nano = (json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    json_t *j =
        json_pack("{s:s,s:o,s:I,s:I}", "Action", action, "Attributes",
                  attrs ? attrs : json_object(), "time", (json_int_t)ts.tv_sec, "timeNano", nano);
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    _cleanup_free_ char *line = xasprintf("%s\n", text);
    _cleanup_free_ char *path = xasprintf("%s/%s", a->dir, SHIM_EVENTS_FILE);
    _cleanup_close_ int fd =
        open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    /* one write: a reader sees a whole line or none of it */
    if (write(fd, line, strlen(line)) == (ssize_t)strlen(line))
        fdatasync(fd);
}
