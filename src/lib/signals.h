#pragma once
/* Signal names for `kill`: "KILL", "SIGKILL", "sigkill", "9", "RTMIN+3",
 * "SIGRTMAX-2". Real-time signals are relative to the C library's SIGRTMIN
 * (34 with glibc, which keeps 32 and 33 for itself), as in kill(1). */

/* Parses a name (case-insensitive, "SIG" prefix optional) or a decimal number.
 * Returns the signal number (1..SIGRTMAX) or -EINVAL for junk, 0, numbers above
 * SIGRTMAX and real-time offsets outside SIGRTMIN..SIGRTMAX. */
int berth_signal_parse(const char *s);

/* Canonical name of a signal: "SIGKILL", "SIGRTMIN+3", "SIGRTMAX-2" (a
 * real-time signal is named from the closer end of the range). Returns a
 * static string, or NULL for numbers that have no name (0, glibc's reserved
 * 32 and 33, anything above SIGRTMAX). */
const char *berth_signal_name(int sig);

/* Every signal's disposition back to SIG_DFL and an empty signal mask, for a
 * process about to exec a payload: an ignored signal (SIG_IGN) or a blocked
 * one would otherwise survive execve(2) and reach the container. */
void berth_signals_reset(void);
