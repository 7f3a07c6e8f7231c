#include "fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The action named for `point` in `spec`, or NULL. */
static const char *find_action(const char *spec, const char *point)
{
    size_t pl = strlen(point);

    for (const char *s = spec; *s;) {
        size_t len = strcspn(s, ",");
        if (len > pl && strncmp(s, point, pl) == 0 && s[pl] == ':')
            return s + pl + 1;
        s += len + (s[len] == ',');
    }
    return NULL;
}

static bool is_action(const char *a, const char *name)
{
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == ',');
}

bool berth_fault(const char *point)
{
    const char *spec = getenv("BERTH_TEST_FAULT");
    const char *a = spec ? find_action(spec, point) : NULL;

    if (a == NULL)
        return false;
    if (is_action(a, "kill"))
        kill(getpid(), SIGKILL);
    if (is_action(a, "hang"))
        for (;;)
            pause();
    return is_action(a, "fail");
}
