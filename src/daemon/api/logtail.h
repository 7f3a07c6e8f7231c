#pragma once
/* `logs --tail N` over a rotated json-file log (issue 13): the shim's
 * writer keeps PATH (the newest), PATH.1, PATH.2 ... (older and older). */

/* Where the last `n` complete lines of the log at `path` begin, counting
 * back through PATH, PATH.1, PATH.2 ...: *ret_file gets 0 for PATH or k
 * for PATH.k, *ret_off the byte offset in that file. With fewer lines
 * kept than `n`, the start of the oldest file; with `n` 0, the end of
 * PATH's complete lines. A line still being written (no newline yet) is
 * not counted: the reader takes it once it is whole. */
void log_tail_position(const char *path, long n, int *ret_file, long *ret_off);
