/* runc's size and duration syntax (units.h). */
#include "units.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

/* Reads "digits[.digits]" at *p, advancing it; false when no digit leads
 * or none follows the point. */
static bool read_decimal(const char **p, long double *ret)
{
    const char *s = *p;
    long double v = 0;

    if (!isdigit((unsigned char)*s))
        return false;
    for (; isdigit((unsigned char)*s); s++)
        v = v * 10 + (*s - '0');
    if (*s == '.') {
        if (!isdigit((unsigned char)*++s))
            return false;
        for (long double f = 0.1L; isdigit((unsigned char)*s); s++, f /= 10)
            v += f * (*s - '0');
    }
    *p = s;
    *ret = v;
    return true;
}

int berth_parse_size(const char *s, int64_t *ret)
{
    static const char units[] = "kmgtp";
    long double v = 0, scale = 1;
    const char *p = s;

    if (streq(s, "-1")) {
        *ret = -1;
        return 0;
    }
    if (!read_decimal(&p, &v))
        return -EINVAL;
    if (*p == ' ')
        p++;
    const char *u = *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
    if (u) {
        for (const char *k = units; k <= u; k++)
            scale *= 1024;
        p++;
    }
    if (*p == 'i' || *p == 'I')
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    v *= scale;
    if (*p != '\0' || v >= 9223372036854775807.0L)
        return -EINVAL;
    *ret = (int64_t)v;
    return 0;
}

/* Longest first: "ms" before "m". */
static const struct {
    const char *name;
    uint64_t ns;
} duration_units[] = {
    {"ns", 1ULL},           {"us", 1000ULL},      {"\xc2\xb5s", 1000ULL}, /* µs */
    {"\xce\xbcs", 1000ULL},                                               /* μs */
    {"ms", 1000000ULL},     {"s", 1000000000ULL}, {"m", 60000000000ULL},  {"h", 3600000000000ULL},
};

int berth_parse_duration(const char *s, uint64_t *ret_ns)
{
    long double total = 0, v;
    const char *p = s;

    if (streq(s, "0")) {
        *ret_ns = 0;
        return 0;
    }
    if (*p == '\0')
        return -EINVAL;
    while (*p) {
        size_t k;
        if (!read_decimal(&p, &v))
            return -EINVAL;
        for (k = 0; k < ARRAY_SIZE(duration_units); k++)
            if (strncmp(p, duration_units[k].name, strlen(duration_units[k].name)) == 0)
                break;
        if (k == ARRAY_SIZE(duration_units))
            return -EINVAL;
        p += strlen(duration_units[k].name);
        total += v * (long double)duration_units[k].ns;
    }
    if (total >= 18446744073709551615.0L)
        return -EINVAL;
    *ret_ns = (uint64_t)total;
    return 0;
}

void berth_human_duration(time_t secs, char *buf, size_t len)
{
    long s = (long)secs, m = s / 60, h = (long)((double)s / 3600 + 0.5);
    if (s < 1)
        snprintf(buf, len, "Less than a second");
    else if (s == 1)
        snprintf(buf, len, "1 second");
    else if (s < 60)
        snprintf(buf, len, "%ld seconds", s);
    else if (m == 1)
        snprintf(buf, len, "About a minute");
    else if (m < 60)
        snprintf(buf, len, "%ld minutes", m);
    else if (h == 1)
        snprintf(buf, len, "About an hour");
    else if (h < 48)
        snprintf(buf, len, "%ld hours", h);
    else if (h < 24 * 7 * 2)
        snprintf(buf, len, "%ld days", h / 24);
    else if (h < 24 * 30 * 2)
        snprintf(buf, len, "%ld weeks", h / 24 / 7);
    else if (h < 24 * 365 * 2)
        snprintf(buf, len, "%ld months", h / 24 / 30);
    else
        snprintf(buf, len, "%ld years", h / 24 / 365);
}
