#!/usr/bin/env bats
# linux.seccomp's errno values (runtime-spec config-linux.md): the default
# action's `defaultErrnoRet` and a rule's own `errnoRet`, each where the
# spec puts it. berth once read the default's from "errnoRet", so a
# profile's defaultErrnoRet was dropped and its ERRNO default gave EPERM.

load helpers

# What berth-probe (static glibc), busybox sh and the runtime's last steps
# before execve need (berth's and runc's); mkdir and uname stay out, so
# they hit the default.
ALLOWED=(access arch_prctl brk capget capset chdir clock_gettime clock_nanosleep clone close
    close_range dup dup2 dup3 epoll_create1 epoll_ctl epoll_pwait epoll_wait execve execveat exit
    exit_group fchdir fchmod fchown fcntl fork fstat fstatfs fsync futex getcwd getdents64 getegid
    geteuid getgid getpid getppid getrandom gettid getuid ioctl lseek madvise mknodat mmap
    mprotect munmap nanosleep newfstatat open openat pipe2 prctl pread64 prlimit64 read readlink
    readlinkat rseq rt_sigaction rt_sigprocmask rt_sigreturn sched_getaffinity sched_yield
    set_robust_list set_tid_address setgid setgroups setresgid setresuid setuid sigaltstack stat
    statfs statx tgkill vfork wait4 write writev)

# errno_default [DEFAULT_ERRNO_RET] [RULES_JSON]: default action ERRNO with
# the given defaultErrnoRet (none when empty), ALLOWED allowed, then RULES.
errno_default() {
    update_config '.linux.seccomp = ({defaultAction: "SCMP_ACT_ERRNO",
        architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
        syscalls: ([{names: $allow, action: "SCMP_ACT_ALLOW"}] + $rules)}
        + (if $ret == "" then {} else {defaultErrnoRet: ($ret | tonumber)} end))' \
        --arg ret "${1:-}" --argjson rules "${2:-[]}" \
        --argjson allow "$(json_array "${ALLOWED[@]}")"
}

@test "seccomp: defaultErrnoRet 38 gives ENOSYS to an unlisted syscall" {
    errno_default 38
    set_cmd 'berth-probe syscall-errno mkdir /tmp/d; berth-probe syscall-errno getpid
             test -d /tmp/d || echo no-dir'
    run -0 ctr_run
    assert_eq "$output" $'38\n0\nno-dir'
}

@test "seccomp: an ERRNO default without defaultErrnoRet returns EPERM" {
    errno_default
    set_args berth-probe syscall-errno mkdir /tmp/d
    run ctr_run
    assert_eq "$output" 1
}

@test "seccomp: a rule's errnoRet and defaultErrnoRet each apply to their own calls" {
    errno_default 38 '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]'
    set_cmd 'berth-probe syscall-errno mkdir /tmp/d; berth-probe syscall-errno uname; true'
    run -0 ctr_run
    assert_eq "$output" $'42\n38'
}

@test "seccomp: defaultErrnoRet beyond 4095 is refused with its name" {
    requires_berth "berth's message"
    errno_default 70000
    run ! ctr_run
    [[ "$output" == *defaultErrnoRet* ]]
}
