#pragma once
/* Port numbers and ranges as Docker writes them ("8080", "8000-8010"),
 * for the CLI's -p/--expose and berthd's check of the same fields. */
#include <stdbool.h>
#include <stddef.h>

/* The n bytes at s: 1 to 5 decimal digits, a value of at most 65535. */
bool berth_port_num(const char *s, size_t n, unsigned *ret);

/* "N" or "N-M" with N <= M (docker's nat.ParsePortRange); *ret_lo and
 * *ret_hi both N for a single port. */
bool berth_port_range(const char *s, unsigned *ret_lo, unsigned *ret_hi);
