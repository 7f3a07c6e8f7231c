#pragma once
/* Fault injection for the crash-safety tests. The environment variable
 * BERTH_TEST_FAULT holds comma-separated "POINT:ACTION" items; a call of
 * berth_fault(POINT) performs the ACTION named for POINT:
 *   kill  SIGKILL the calling process (a runtime killed mid-operation)
 *   hang  sleep until killed (an operation that never finishes)
 *   fail  return true (the caller then fails as if the step had failed)
 * Without the variable (every production run) the cost is one getenv(). */
#include <stdbool.h>

bool berth_fault(const char *point);
