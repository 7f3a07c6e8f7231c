#include "devrule.h"

#include <ctype.h>
#include <string.h>

/* A decimal number below 2^32, or '*' (-1); *s moves past it. */
static bool dev_number(const char **s, long *ret)
{
    const char *p = *s;
    if (*p == '*') {
        *ret = -1;
        *s = p + 1;
        return true;
    }
    long v = 0;
    size_t n = 0;
    for (; isdigit((unsigned char)p[n]) && n < 10; n++)
        v = v * 10 + (p[n] - '0');
    if (n == 0 || isdigit((unsigned char)p[n]) || v > 0xffffffffL)
        return false;
    *ret = v;
    *s = p + n;
    return true;
}

bool berth_devrule_parse(const char *s, struct berth_devrule *ret)
{
    struct berth_devrule r = {0};
    if (s == NULL || !strchr("abc", s[0]) || s[0] == '\0' || s[1] != ' ')
        return false;
    r.type = s[0];
    s += 2;
    if (!dev_number(&s, &r.major) || *s++ != ':' || !dev_number(&s, &r.minor) || *s++ != ' ')
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > 3 || strspn(s, "rwm") != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strchr(s + i + 1, s[i]))
            return false; /* each once */
    memcpy(r.access, s, n + 1);
    *ret = r;
    return true;
}
