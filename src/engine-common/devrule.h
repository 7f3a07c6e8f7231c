#pragma once
/* Docker's --device-cgroup-rule ("c 189:* rwm"), for berthd's check of
 * HostConfig.DeviceCgroupRules and the shim's cgroup device rules. */
#include <stdbool.h>

struct berth_devrule {
    char type;         /* 'a' (every device), 'b' or 'c' */
    long major, minor; /* -1: '*' */
    char access[4];    /* one to three of r, w and m */
};

/* "TYPE MAJOR:MINOR ACCESS" with TYPE a, b or c, MAJOR and MINOR decimal
 * numbers or '*', ACCESS made of r, w and m, each once; false for
 * anything else. */
bool berth_devrule_parse(const char *s, struct berth_devrule *ret);
