#include "ports.h"

#include <ctype.h>
#include <string.h>

bool berth_port_num(const char *s, size_t n, unsigned *ret)
{
    unsigned v = 0;
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *ret = v;
    return v <= 65535;
}

bool berth_port_range(const char *s, unsigned *ret_lo, unsigned *ret_hi)
{
    const char *dash = strchr(s, '-');
    if (dash == NULL)
        return berth_port_num(s, strlen(s), ret_lo) && berth_port_num(s, strlen(s), ret_hi);
    return berth_port_num(s, (size_t)(dash - s), ret_lo) &&
           berth_port_num(dash + 1, strlen(dash + 1), ret_hi) && *ret_lo <= *ret_hi;
}
