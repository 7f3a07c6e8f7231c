#include "signals.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <strings.h>

struct signal_name {
    const char *name;
    int sig;
};

/* The first entry for a number is its canonical name; SIGIOT, SIGCLD and
 * SIGPOLL are aliases that kill(1) also accepts. */
static const struct signal_name signal_table[] = {
    {"SIGHUP", SIGHUP},       {"SIGINT", SIGINT},       {"SIGQUIT", SIGQUIT},
    {"SIGILL", SIGILL},       {"SIGTRAP", SIGTRAP},     {"SIGABRT", SIGABRT},
    {"SIGIOT", SIGIOT},       {"SIGBUS", SIGBUS},       {"SIGFPE", SIGFPE},
    {"SIGKILL", SIGKILL},     {"SIGUSR1", SIGUSR1},     {"SIGSEGV", SIGSEGV},
    {"SIGUSR2", SIGUSR2},     {"SIGPIPE", SIGPIPE},     {"SIGALRM", SIGALRM},
    {"SIGTERM", SIGTERM},     {"SIGSTKFLT", SIGSTKFLT}, {"SIGCHLD", SIGCHLD},
    {"SIGCLD", SIGCHLD},      {"SIGCONT", SIGCONT},     {"SIGSTOP", SIGSTOP},
    {"SIGTSTP", SIGTSTP},     {"SIGTTIN", SIGTTIN},     {"SIGTTOU", SIGTTOU},
    {"SIGURG", SIGURG},       {"SIGXCPU", SIGXCPU},     {"SIGXFSZ", SIGXFSZ},
    {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF},     {"SIGWINCH", SIGWINCH},
    {"SIGIO", SIGIO},         {"SIGPOLL", SIGPOLL},     {"SIGPWR", SIGPWR},
    {"SIGSYS", SIGSYS},
};

/* Real-time names, indexed by the distance from SIGRTMIN or SIGRTMAX. The
 * range holds at most 33 signals (32..64), so each end names at most 16. */
static const char *const rtmin_names[] = {
    "SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",  "SIGRTMIN+5",
    "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",  "SIGRTMIN+10", "SIGRTMIN+11",
    "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMIN+16",
};
static const char *const rtmax_names[] = {
    "SIGRTMAX",    "SIGRTMAX-1",  "SIGRTMAX-2",  "SIGRTMAX-3",  "SIGRTMAX-4",  "SIGRTMAX-5",
    "SIGRTMAX-6",  "SIGRTMAX-7",  "SIGRTMAX-8",  "SIGRTMAX-9",  "SIGRTMAX-10", "SIGRTMAX-11",
    "SIGRTMAX-12", "SIGRTMAX-13", "SIGRTMAX-14", "SIGRTMAX-15", "SIGRTMAX-16",
};

/* Strict decimal: digits only, no sign, no spaces, no hex (kill(1) semantics). */
static int parse_decimal(const char *s, int max)
{
    long v = 0;

    if (*s == '\0')
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        v = v * 10 + (*s - '0');
        if (v > max)
            return -EINVAL;
    }
    return (int)v;
}

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (prefix already stripped of "SIG"). */
static int parse_realtime(const char *s)
{
    int span = SIGRTMAX - SIGRTMIN;
    bool min = strncasecmp(s, "RTMIN", 5) == 0;

    if (!min && strncasecmp(s, "RTMAX", 5) != 0)
        return -EINVAL;
    s += 5;
    if (*s == '\0')
        return min ? SIGRTMIN : SIGRTMAX;
    if (*s != (min ? '+' : '-'))
        return -EINVAL;
    int off = parse_decimal(s + 1, span);
    if (off < 0)
        return off;
    return min ? SIGRTMIN + off : SIGRTMAX - off;
}

int berth_signal_parse(const char *s)
{
    if (s == NULL || *s == '\0')
        return -EINVAL;
    if (*s >= '0' && *s <= '9') {
        int sig = parse_decimal(s, SIGRTMAX);
        return sig > 0 ? sig : -EINVAL;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
        if (strcasecmp(s, signal_table[i].name + 3) == 0)
            return signal_table[i].sig;
    return parse_realtime(s);
}

const char *berth_signal_name(int sig)
{
    for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
        if (signal_table[i].sig == sig)
            return signal_table[i].name;
    if (sig < SIGRTMIN || sig > SIGRTMAX)
        return NULL;
    int from_min = sig - SIGRTMIN, from_max = SIGRTMAX - sig;
    if (from_min <= from_max && (size_t)from_min < ARRAY_SIZE(rtmin_names))
        return rtmin_names[from_min];
    if ((size_t)from_max < ARRAY_SIZE(rtmax_names))
        return rtmax_names[from_max];
    return NULL;
}

void berth_signals_reset(void)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigset_t none;

    /* SIGKILL, SIGSTOP and the C library's reserved signals refuse with
     * EINVAL: nothing to reset there */
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction(sig, &dfl, NULL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}
