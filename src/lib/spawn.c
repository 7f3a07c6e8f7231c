#include "spawn.h"
#include "error.h"
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#if defined(__x86_64__) || defined(__aarch64__)
#define HAVE_CLONE_VM 1

/* clone3 for a child on its own stack: it calls fn(arg) there and exits
 * with its result; the parent returns the pid. Registers that survive the
 * syscall carry fn and arg across it. */
long berth_clone3_vm(struct clone_args *ca, size_t size, int (*fn)(void *), void *arg);

#if defined(__x86_64__)
__asm__(".text\n"
        ".globl berth_clone3_vm\n"
        ".hidden berth_clone3_vm\n"
        ".type berth_clone3_vm,@function\n"
        "berth_clone3_vm:\n"
        "    mov %rdx, %r8\n"
        "    mov %rcx, %r9\n"
        "    mov $435, %eax\n"
        "    syscall\n"
        "    test %rax, %rax\n"
        "    jnz 1f\n"
        "    xor %ebp, %ebp\n"
        "    mov %r9, %rdi\n"
        "    call *%r8\n"
        "    mov %eax, %edi\n"
        "    mov $60, %eax\n"
        "    syscall\n"
        "    hlt\n"
        "1:  ret\n"
        ".size berth_clone3_vm, .-berth_clone3_vm\n");

static long raw6(long n, long a, long b, long c, long d, long e)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return ret;
}
#else
__asm__(".text\n"
        ".globl berth_clone3_vm\n"
        ".hidden berth_clone3_vm\n"
        ".type berth_clone3_vm,%function\n"
        "berth_clone3_vm:\n"
        "    mov x9, x2\n"
        "    mov x10, x3\n"
        "    mov x8, #435\n"
        "    svc #0\n"
        "    cbnz x0, 1f\n"
        "    mov x29, xzr\n"
        "    mov x0, x10\n"
        "    blr x9\n"
        "    mov x8, #93\n"
        "    svc #0\n"
        "1:  ret\n"
        ".size berth_clone3_vm, .-berth_clone3_vm\n");

static long raw6(long n, long a, long b, long c, long d, long e)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
    return x0;
}
#endif
#else
/* Elsewhere the exec way forks: the child has its own memory and errno. */
static long raw6(long n, long a, long b, long c, long d, long e)
{
    long r = syscall(n, a, b, c, d, e);
    return r < 0 ? -errno : r;
}
#endif

/* Runs in the child before it execs. With CLONE_VM it shares the caller's
 * memory and thread pointer, so it touches nothing but its own stack and
 * the spawn description, and makes raw system calls (errno lives in the
 * caller's thread storage). A failure exits with the errno. */
__attribute__((no_sanitize("address", "undefined"))) static int exec_child(void *arg)
{
    const struct berth_spawn *s = arg;
    long r = 0;

    if (s->gate_fd > 0) {
        char buf[64];
        r = raw6(SYS_read, s->gate_fd, (long)buf, sizeof(buf), 0, 0);
        if (r == 0)
            r = -EPIPE;
        if (r >= 0)
            r = raw6(SYS_setresgid, 0, 0, 0, 0, 0);
        if (r >= 0)
            r = raw6(SYS_setresuid, 0, 0, 0, 0, 0);
    }
    for (int i = 0; r >= 0 && i < 3; i++)
        if (s->stdio[i] >= 0)
            r = raw6(SYS_dup3, s->stdio[i], i, 0, 0, 0);
    for (size_t i = 0; r >= 0 && i < s->n_keep; i++)
        r = raw6(SYS_fcntl, s->keep_fds[i], F_SETFD, 0, 0, 0);
    if (r >= 0)
        r = raw6(SYS_execveat, s->exe_fd, (long)"", (long)s->argv, (long)s->envp, AT_EMPTY_PATH);
    return (int)-r;
}

static int stdio_child(const struct berth_spawn *s)
{
    for (int i = 0; i < 3; i++)
        if (s->stdio[i] >= 0 && dup3(s->stdio[i], i, 0) < 0)
            return -errno;
    return 0;
}

pid_t berth_spawn(const struct berth_spawn *s, int *ret_pidfd, struct berth_error **err)
{
    sigset_t all, old;
    int pidfd = -1;
    struct clone_args ca = {
        .flags = s->flags | CLONE_PIDFD,
        .pidfd = (uint64_t)(uintptr_t)&pidfd,
        /* with CLONE_PARENT the child inherits the caller's exit signal
         * (clone3 refuses to be told one) */
        .exit_signal = (s->flags & CLONE_PARENT) ? 0 : SIGCHLD,
    };
    long pid;

    if (s->cgroup_fd >= 0) {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = (uint64_t)s->cgroup_fd;
    }
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
#ifdef HAVE_CLONE_VM
    if (s->exe_fd >= 0) {
        ca.flags |= CLONE_VM;
        ca.stack = (uint64_t)(uintptr_t)s->stack;
        ca.stack_size = s->stack_size;
        pid = berth_clone3_vm(&ca, sizeof(ca), exec_child, (void *)s);
        if (pid < 0) {
            errno = (int)-pid;
            pid = -1;
        }
    } else
#endif
    {
        pid = syscall(SYS_clone3, &ca, sizeof(ca));
        if (pid == 0) {
            int r = stdio_child(s);
            _exit(r < 0 ? -r : s->exe_fd >= 0 ? exec_child((void *)s) : s->fn(s->arg));
        }
    }
    int saved = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0)
        return berth_error_set(err, saved, "cannot create the container init");
    *ret_pidfd = pidfd;
    return (pid_t)pid;
}

_Noreturn void berth_spawn_report(const struct berth_spawn *s, int sync_fd, struct berth_error *err)
{
    int pidfd = -1;
    pid_t pid = err ? -1 : berth_spawn(s, &pidfd, &err);
    if (pid < 0) {
        berth_sync_send_error(sync_fd, err);
        _exit(127);
    }
    close(pidfd);
    _exit(berth_sync_send_value(sync_fd, BERTH_SYNC_CHILD, pid, &err) < 0 ? EPIPE : 0);
}
