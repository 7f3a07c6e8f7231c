/* berth's default seccomp allowlist for engine containers (issue 14), our
 * own table. Docker's default profile (moby profiles/seccomp/default.json)
 * is the reference for what must keep working, what is allowed only with
 * a capability and the argument filters; everything else returns EPERM
 * (mount, keyctl, module loading, clock changes, unshare, bpf...). */
#include "security.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Allowed to every container. Names a kernel or architecture lacks are
 * skipped by the runtime (src/lib/seccomp-filter.c add_rule). */
/* clang-format off */
static const char *const allowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
    "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
    "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv",
    "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
    "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
    "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
    "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
    "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
    "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
    "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore",
    "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
    "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
    "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
    "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2",
    "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
    "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
    "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
    "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
    "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
    "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget",
    "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
    "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
    "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
    "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
    "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
    "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice",
    "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask",
    "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
    "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
#if defined(__x86_64__) || defined(__i386__)
    "arch_prctl",
    "modify_ldt",
#endif
#if defined(__aarch64__) || defined(__arm__)
    "arm_fadvise64_64",
    "arm_sync_file_range",
    "sync_file_range2",
    "breakpoint",
    "cacheflush",
    "set_tls",
#endif
};
/* clang-format on */

/* Allowed only to a container holding the capability (the kernel checks
 * it too; the filter keeps the attack surface of these calls away from
 * containers that could never use them). */
struct gated {
    const char *cap;
    const char *names[20];
};

static const struct gated gated[] = {
    {"CAP_SYS_ADMIN",
     {"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
      "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
      "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
      "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog"}},
    {"CAP_SYS_ADMIN", {"umount", "umount2", "unshare"}},
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    /* ptrace only with CAP_SYS_PTRACE, as Docker's profile had it before
     * 19.03 (which allows it on kernels >= 4.8): a default container
     * cannot trace even its own processes (issue 14) */
    {"CAP_SYS_PTRACE",
     {"kcmp", "pidfd_getfd", "process_madvise", "ptrace", "process_vm_readv", "process_vm_writev"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

/* personality(2) personas Docker allows: PER_LINUX, PER_LINUX32,
 * UNAME26, UNAME26|PER_LINUX32, and 0xffffffff (the query) */
static const json_int_t personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

#define AF_VSOCK_NR 40
/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define CLONE_NS_MASK 0x7E020000

static bool holds(char *const *caps, const char *cap)
{
    for (size_t i = 0; caps && caps[i]; i++)
        if (streq(caps[i], cap))
            return true;
    return false;
}

static json_t *rule(json_t *names, const char *action, json_t *args)
{
    json_t *r = json_pack("{s:o,s:s}", "names", names, "action", action);
    if (args)
        json_object_set_new(r, "args", args);
    return r;
}

static json_t *arg(unsigned index, json_int_t value, json_int_t two, const char *op)
{
    return json_pack("{s:i,s:I,s:I,s:s}", "index", index, "value", value, "valueTwo", two, "op",
                     op);
}

/* The rules with argument filters: personality, socket without AF_VSOCK,
 * and clone/clone3 without namespaces unless CAP_SYS_ADMIN (clone3's flags
 * sit in memory seccomp cannot read: ENOSYS makes libc fall back to clone) */
static void add_filtered(json_t *rules, char *const *caps)
{
    for (size_t i = 0; i < ARRAY_SIZE(personas); i++)
        json_array_append_new(rules, rule(json_pack("[s]", "personality"), "SCMP_ACT_ALLOW",
                                          json_pack("[o]", arg(0, personas[i], 0, "SCMP_CMP_EQ"))));
    json_array_append_new(rules, rule(json_pack("[s]", "socket"), "SCMP_ACT_ALLOW",
                                      json_pack("[o]", arg(0, AF_VSOCK_NR, 0, "SCMP_CMP_NE"))));
    if (holds(caps, "CAP_SYS_ADMIN"))
        return;
    json_array_append_new(rules,
                          rule(json_pack("[s]", "clone"), "SCMP_ACT_ALLOW",
                               json_pack("[o]", arg(0, CLONE_NS_MASK, 0, "SCMP_CMP_MASKED_EQ"))));
    json_t *c3 = rule(json_pack("[s]", "clone3"), "SCMP_ACT_ERRNO", NULL);
    json_object_set_new(c3, "errnoRet", json_integer(ENOSYS));
    json_array_append_new(rules, c3);
}

static json_t *architectures(void)
{
#if defined(__x86_64__)
    return json_pack("[s,s,s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
#elif defined(__aarch64__)
    return json_pack("[s,s]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
#else
    return json_array();
#endif
}

json_t *shim_seccomp_default(char *const *caps)
{
    json_t *names = json_array(), *rules = json_array();
    for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
        json_array_append_new(names, json_string(allowed[i]));
    for (size_t g = 0; g < ARRAY_SIZE(gated); g++)
        for (size_t i = 0;
             holds(caps, gated[g].cap) && i < ARRAY_SIZE(gated[g].names) && gated[g].names[i]; i++)
            json_array_append_new(names, json_string(gated[g].names[i]));
    json_array_append_new(rules, rule(names, "SCMP_ACT_ALLOW", NULL));
    add_filtered(rules, caps);
    return json_pack("{s:s,s:o,s:o}", "defaultAction", "SCMP_ACT_ERRNO", "architectures",
                     architectures(), "syscalls", rules);
}
