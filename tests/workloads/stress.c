/* stress [-c|--cpu N] [-i|--io N] [-m|--vm N] [--vm-bytes B] [-t|--timeout T]
 *        [-q|--quiet]
 *
 * The load generator the reference workload file names (`command: stress
 * --cpu 2`, issue 17), as a small static program in the berth-workloads
 * image: the options of Debian's stress(1) that the seeds use, with its
 * messages. N workers of each kind (cpu: a busy loop; io: sync(); vm:
 * malloc B, touch every page, free) run until T (s, m, h; none: for ever)
 * or until one fails; then the others are killed. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out; /* or stopped: SIGTERM, SIGINT */

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
}

static void cpu_work(void)
{
    volatile unsigned long x = 1;
    for (;;)
        x = x * 2654435761u + 1;
}

static void io_work(void)
{
    for (;;)
        sync();
}

static void vm_work(unsigned long long bytes)
{
    long page = sysconf(_SC_PAGESIZE);
    for (;;) {
        char *p = malloc(bytes);
        if (p == NULL)
            _exit(1);
        for (unsigned long long i = 0; i < bytes; i += (unsigned long long)page)
            p[i] = 'Z';
        free(p);
    }
}

/* "10", "10s", "2m", "1h"; "256M", "1G" for bytes (mult 1024) */
static long long number(const char *s, int kind)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    long long m = 1;
    if (*end && kind == 't')
        m = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
    else if (*end)
        m = (*end == 'B' || *end == 'b')   ? 1
            : (*end == 'K' || *end == 'k') ? 1LL << 10
            : (*end == 'M' || *end == 'm') ? 1LL << 20
            : (*end == 'G' || *end == 'g') ? 1LL << 30
                                           : 0;
    if (end == s || v < 0 || m == 0 || (*end && end[1]))
        return -1;
    return v * m;
}

static int spawn(int n, int kind, unsigned long long vm_bytes, pid_t *pids, int *np)
{
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0)
            return -1;
        if (p == 0) {
            if (kind == 'c')
                cpu_work();
            else if (kind == 'i')
                io_work();
            else
                vm_work(vm_bytes);
        }
        pids[(*np)++] = p;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"cpu", required_argument, NULL, 'c'},
                                         {"io", required_argument, NULL, 'i'},
                                         {"vm", required_argument, NULL, 'm'},
                                         {"vm-bytes", required_argument, NULL, 'B'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    long long n[3] = {0}, timeout = 0, vm_bytes = 256LL << 20;
    int c, quiet = 0;
    while ((c = getopt_long(argc, argv, "c:i:m:t:q", opts, NULL)) != -1) {
        long long v = c == 'q' ? 0 : number(optarg, c == 't' ? 't' : c == 'B' ? 'b' : 'n');
        if (v < 0 || c == '?') {
            fprintf(stderr, "stress: FAIL: [%d] invalid value for -%c\n", (int)getpid(), c);
            return 1;
        }
        if (c == 'c' || c == 'i' || c == 'm')
            n[c == 'c' ? 0 : c == 'i' ? 1 : 2] = v;
        else if (c == 'B')
            vm_bytes = v;
        else if (c == 't')
            timeout = v;
        else
            quiet = 1;
    }
    if (optind < argc || n[0] + n[1] + n[2] == 0 || n[0] + n[1] + n[2] > 4096) {
        fprintf(stderr, "usage: stress [--cpu N] [--io N] [--vm N] [--vm-bytes B] "
                        "[--timeout T] [-q]\n");
        return 1;
    }
    if (!quiet)
        printf("stress: info: [%d] dispatching hogs: %lld cpu, %lld io, %lld vm, 0 hdd\n",
               (int)getpid(), n[0], n[1], n[2]);
    fflush(stdout);
    pid_t *pids = calloc((size_t)(n[0] + n[1] + n[2]), sizeof(pid_t));
    int np = 0, st = 0, rc = 0;
    time_t start = time(NULL);
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: waitpid returns EINTR */
    /* a stop ends the run (as PID 1 of a container it would be ignored) */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (timeout > 0)
        alarm((unsigned)timeout);
    if (pids == NULL || spawn((int)n[0], 'c', 0, pids, &np) < 0 ||
        spawn((int)n[1], 'i', 0, pids, &np) < 0 ||
        spawn((int)n[2], 'm', (unsigned long long)vm_bytes, pids, &np) < 0)
        rc = 1;
    while (rc == 0 && !timed_out) {
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0 && errno == EINTR)
            continue;
        rc = 1; /* a worker ended: stress's "failed run" */
    }
    for (int i = 0; i < np; i++)
        kill(pids[i], SIGKILL);
    while (waitpid(-1, NULL, 0) > 0)
        ;
    if (!quiet && rc == 0)
        printf("stress: info: [%d] successful run completed in %llds\n", (int)getpid(),
               (long long)(time(NULL) - start));
    if (rc)
        fprintf(stderr, "stress: FAIL: [%d] a worker ended early\n", (int)getpid());
    return rc;
}
