/* syscall_loop [MILLIONS]: the syscall-heavy seed workload (issue 14,
 * bench/seccomp-cost). Makes MILLIONS (default 1, fractions allowed)
 * million getppid(2) calls, then as many 1-byte read(2)s of /dev/zero,
 * and prints per call of each the wall and the CPU ns ("syscall_loop:
 * getppid wall 85.2 cpu 84.9 ns/call"; the CPU time, user+sys, is what a
 * loaded machine moves least): cheap calls, so a seccomp filter's cost per
 * call stands out. Static; raw syscall(2), so each call is the kernel entry
 * named, not a libc wrapper's choice. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double ns(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void report(const char *name, const double *start, const double *end, long n)
{
    printf("syscall_loop: %s wall %.1f cpu %.1f ns/call\n", name, (end[0] - start[0]) / (double)n,
           (end[1] - start[1]) / (double)n);
}

#define NOW(t) ((t)[0] = ns(CLOCK_MONOTONIC), (t)[1] = ns(CLOCK_PROCESS_CPUTIME_ID))

int main(int argc, char **argv)
{
    double millions = argc > 1 ? atof(argv[1]) : 1;
    long n = (long)(millions * 1e6);
    char c;
    int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    if (n <= 0 || fd < 0) {
        fprintf(stderr, "syscall_loop: %s\n",
                n <= 0 ? "MILLIONS must be > 0" : "cannot open '/dev/zero'");
        return 1;
    }
    double t0[2], t1[2], t2[2];
    NOW(t0);
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    NOW(t1);
    for (long i = 0; i < n; i++)
        if (syscall(SYS_read, fd, &c, 1) != 1) {
            perror("syscall_loop: read '/dev/zero'");
            return 1;
        }
    NOW(t2);
    report("getppid", t0, t1, n);
    report("read", t1, t2, n);
    return 0;
}
