#!/usr/bin/env bats
# Secure defaults of engine containers (issue 14 item 6): what a default
# container cannot do, each with its errno, what it still can, and the
# flags that lift it: --privileged, --cap-add/--cap-drop, --security-opt,
# --device, --ulimit, --sysctl. berth-probe (tests/probe) makes the calls,
# bind-mounted read-only into busybox.

load engine-helpers

setup() {
    [ -n "${BERTH_PROBE:-}" ] && [ -x "$BERTH_PROBE" ] || skip "needs BERTH_PROBE"
}

# prun [FLAGS...] -- CMD...: berth run --rm busybox with the probe at /probe
prun() {
    local flags=()
    while [ "$1" != -- ]; do
        flags+=("$1")
        shift
    done
    shift
    "$BERTH" run --rm -v "$BERTH_PROBE:/probe:ro" "${flags[@]}" busybox "$@"
}

@test "default: mount, module loading, the clock, raw sockets, keyctl, unshare fail with EPERM" {
    run -0 prun -- sh -c 'for c in init_module finit_module clock_settime settimeofday keyctl unshare-user; do
        echo "$c $(/probe sys $c)"; done; echo "mount $(/probe mount-tmpfs /tmp)"; echo "raw $(/probe rawsock)"'
    [ "$output" = "init_module EPERM
finit_module EPERM
clock_settime EPERM
settimeofday EPERM
keyctl EPERM
unshare-user EPERM
mount EPERM
raw EPERM" ]
}

@test "default: no CAP_NET_RAW, but ping's ICMP datagram socket works (ping_group_range)" {
    run -0 prun -- sh -c '/probe sys icmp-socket; cat /proc/sys/net/ipv4/ping_group_range; grep CapEff /proc/self/status'
    [ "${lines[0]}" = ok ]
    [[ "${lines[1]}" =~ ^0[[:space:]]+2147483647$ ]]
    # Docker's default set less NET_RAW (bit 13): 0xa80425fb - 0x2000
    [[ "${lines[2]}" == *00000000a80405fb ]]
}

@test "default: ptrace is denied without CAP_SYS_PTRACE; with it nothing outside is visible" {
    run -0 prun -- sh -c 'sleep 10 & /probe sys ptrace $!; kill $!'
    [ "$output" = EPERM ]
    # this shell's pid is outside the container's pid namespace
    run -0 prun --cap-add SYS_PTRACE -- sh -c "/probe sys ptrace $$; sleep 10 & /probe sys ptrace \$!; kill -9 \$!"
    [ "${lines[0]}" = ESRCH ]
    [ "${lines[1]}" = ok ]
}

@test "default: /proc/kcore and /proc/timer_list masked, /proc/sys and /sys read-only" {
    run -0 prun -- sh -c 'cat /proc/kcore 2>/dev/null | wc -c; cat /proc/timer_list | wc -c
        /probe open-write /proc/sys/kernel/hostname; /probe open-write /proc/sys/kernel/domainname
        /probe errno-of mkdir /sys/berth-test; cat /proc/sys/kernel/hostname'
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 0 ]
    [ "${lines[2]}" = EROFS ]
    [ "${lines[3]}" = EROFS ]
    [ "${lines[4]}" = EROFS ]
    [ -n "${lines[5]}" ]
    # the host has them (where its kernel does)
    [ ! -e /proc/timer_list ] || [ "$(head -c 10 /proc/timer_list | wc -c)" -gt 0 ]
}

@test "default: a normal shell session works (pipes, files, sleep, kill, ls /proc)" {
    run -0 "$BERTH" run --rm busybox sh -c 'echo hello | tr a-z A-Z > /tmp/f; cat /tmp/f
        sleep 30 & p=$!; kill $p; wait $p 2>/dev/null; echo "killed $?"
        ls /proc | grep -c "^[0-9]"; mkdir /tmp/d && cd /tmp/d && touch x && ls; id -u
        date +%Y >/dev/null && echo date' 2>/dev/null
    [[ "$output" == *HELLO* ]]
    [[ "$output" == *"killed 143"* ]]
    [[ "$output" == *"
x
0
date" ]]
    run -0 "$BERTH" run --rm busybox grep Seccomp: /proc/self/status
    [[ "$output" == *"Seccomp:"*2 ]]
}

@test "exec: the process gets the container's capabilities, seccomp filter and no_new_privs" {
    run -0 "$BERTH" run -d --name ex --security-opt no-new-privileges -v "$BERTH_PROBE:/probe:ro" busybox sleep 30
    run -0 "$BERTH" exec ex sh -c 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status; /probe sys keyctl; /probe rawsock; true'
    [[ "${lines[0]}" == *00000000a80405fb ]]
    [[ "${lines[1]}" == *1 ]]
    [[ "${lines[2]}" == *2 ]]
    [ "${lines[3]}" = EPERM ]
    [ "${lines[4]}" = EPERM ]
}

@test "--privileged lifts capabilities, seccomp, masked paths and read-only /sys; host devices" {
    run -0 prun --privileged -- sh -c '/probe mount-tmpfs /tmp; /probe sys keyctl; /probe rawsock
        grep Seccomp: /proc/self/status; cat /proc/timer_list | wc -c; grep " /sys " /proc/mounts; ls /dev'
    [ "${lines[0]}" = ok ]
    [ "${lines[1]}" = ok ]
    [ "${lines[2]}" = ok ]
    [[ "${lines[3]}" == *0 ]]
    [ "${lines[4]}" -gt 0 ]
    [[ "${lines[5]}" == *" rw,"* ]]
    # a host device berth does not create by default
    [ ! -e /dev/loop-control ] || [[ "$output" == *loop-control* ]]
}

@test "--cap-add/--cap-drop: names with or without CAP_, ALL" {
    run -0 prun --cap-add NET_RAW -- /probe rawsock
    [ "$output" = ok ]
    run -0 prun --cap-add cap_sys_admin -- /probe mount-tmpfs /tmp
    [ "$output" = ok ]
    run -0 prun --cap-add CAP_SYS_TIME -- grep CapEff /proc/self/status
    [[ "$output" == *00000000aa0405fb ]]
    run -0 prun --cap-drop ALL --cap-add CHOWN -- grep CapEff /proc/self/status
    [[ "$output" == *0000000000000001 ]]
    run -1 prun --cap-drop CHOWN -- chown 1 /tmp
    [[ "$output" == *"Operation not permitted"* ]]
    run -0 prun --cap-add ALL -- /probe mount-tmpfs /tmp
    [ "$output" = ok ]
}

@test "--security-opt seccomp=unconfined, seccomp=FILE (docker's format), no-new-privileges" {
    run -0 prun --security-opt seccomp=unconfined -- sh -c '/probe sys keyctl; grep Seccomp: /proc/self/status'
    [ "${lines[0]}" = ok ]
    [[ "${lines[1]}" == *0 ]]
    cat >"$ENGINE_DIR/prof.json" <<'PROF'
{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1,
 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
             {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42},
              {"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 43,
               "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
PROF
    run -1 prun --security-opt "seccomp=$ENGINE_DIR/prof.json" -- /probe syscall-errno mkdir /x
    [ "$output" = 42 ]
    # the rule for CAP_SYS_ADMIN holders applies only to them
    run -0 prun --security-opt "seccomp=$ENGINE_DIR/prof.json" -- /probe syscall-errno getcwd
    [ "$output" = 0 ]
    run -1 prun --cap-add SYS_ADMIN --security-opt "seccomp:$ENGINE_DIR/prof.json" -- /probe syscall-errno getcwd
    [ "$output" = 43 ]
    run -0 prun --security-opt no-new-privileges -- grep NoNewPrivs: /proc/self/status
    [[ "$output" == *1 ]]
    run -0 prun -- grep NoNewPrivs: /proc/self/status
    [[ "$output" == *0 ]]
}

@test "--device, --ulimit, --sysctl" {
    run -0 "$BERTH" run --rm --device /dev/null:/dev/mynull:rw busybox sh -c 'ls -l /dev/mynull; echo x >/dev/mynull && echo wrote'
    [[ "${lines[0]}" == crw*"1,   3"*/dev/mynull ]]
    [ "${lines[1]}" = wrote ]
    run -0 "$BERTH" run --rm --ulimit nofile=100:200 --ulimit core=-1 busybox sh -c 'ulimit -n; ulimit -Hn; ulimit -c'
    [ "$output" = "100
200
unlimited" ]
    run -0 "$BERTH" run --rm --sysctl kernel.shmmax=123456 --sysctl net.ipv4.ip_forward=1 busybox \
        cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward
    [ "$output" = "123456
1" ]
    # r only: the device cgroup refuses opening it for writing
    [ -c /dev/fuse ] || skip "no /dev/fuse on this host"
    run -0 prun --device /dev/fuse:/dev/f:r -- sh -c '/probe open-read /dev/f; /probe open-write /dev/f; ls /dev/fuse 2>&1; true'
    [ "${lines[0]}" = ok ]
    [ "${lines[1]}" = EPERM ]
    [[ "${lines[2]}" == *"No such file"* ]]
}

@test "--device-cgroup-rule, --oom-score-adj, --group-add" {
    # a node made inside opens only where a rule allows it: major 60 is for
    # local use, no driver has it, so an open the cgroup allows fails
    # with ENXIO, one it refuses with EPERM (mknod is allowed for every
    # node, as Docker's defaults have it)
    mk='mknod /tmp/u c 60 0 && cat /tmp/u 2>&1; true'
    run -0 "$BERTH" run --rm --cap-add MKNOD --device-cgroup-rule 'c 60:* rwm' busybox sh -c "$mk"
    [[ "$output" == *"No such device or address"* ]]
    run -0 "$BERTH" run --rm --cap-add MKNOD --device-cgroup-rule 'c 60:0 w' busybox sh -c "$mk"
    [[ "$output" == *"Operation not permitted"* ]]
    run -0 "$BERTH" run --rm --cap-add MKNOD busybox sh -c "$mk"
    [[ "$output" == *"Operation not permitted"* ]]
    run -0 "$BERTH" run --rm --cap-add MKNOD --device-cgroup-rule 'a *:* r' busybox sh -c "$mk"
    [[ "$output" == *"No such device or address"* ]]
    run -0 "$BERTH" run --rm --oom-score-adj 500 busybox cat /proc/self/oom_score_adj
    [ "$output" = 500 ]
    # lowering it needs CAP_SYS_RESOURCE (bit 24), which some sandboxes lack
    caps=$(awk '/^CapEff/ { print $2 }' /proc/self/status)
    if (((16#$caps >> 24) & 1)); then
        run -0 "$BERTH" run --rm --oom-score-adj -300 busybox cat /proc/self/oom_score_adj
        [ "$output" = -300 ]
    else
        run -125 "$BERTH" run --rm --oom-score-adj -300 busybox true
        [[ "$output" == *"cannot set oomScoreAdj to -300: Permission denied"* ]]
    fi
    run -0 "$BERTH" run --rm busybox cat /proc/self/oom_score_adj
    [ "$output" = 0 ]
    run -0 "$BERTH" run --rm --group-add nogroup --group-add 1234 --group-add 0 busybox id -G
    [ "$output" = "0 1234 65534" ]
    run -0 "$BERTH" run --rm -u nobody --group-add root busybox id -G
    [ "$output" = "65534 0" ]
    # bad values create nothing
    run -125 "$BERTH" run --rm --group-add nosuchgroup busybox true
    [[ "$output" == *"unable to find group nosuchgroup: no matching entries in group file"* ]]
    run -125 "$BERTH" run --rm --oom-score-adj 1001 busybox true
    [[ "$output" == *"invalid --oom-score-adj 1001: the range is [-1000, 1000]"* ]]
    run -125 "$BERTH" run --rm --device-cgroup-rule 'c 1:3 rwx' busybox true
    [[ "$output" == *"invalid --device-cgroup-rule 'c 1:3 rwx': TYPE MAJOR:MINOR ACCESS expected"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "--device of a directory: every node under it, at its place under the target" {
    local d=$ENGINE_DIR/devdir
    mkdir -p "$d/sub" "$ENGINE_DIR/nodev/sub"
    mknod "$d/null0" c 1 3
    mknod "$d/sub/zero0" c 1 5
    run -0 "$BERTH" run --rm --device "$d:/dev/mine" busybox sh -c \
        'echo x >/dev/mine/null0 && echo wrote; head -c 3 /dev/mine/sub/zero0 | wc -c; ls /dev/devdir 2>&1; true'
    [ "${lines[0]}" = wrote ]
    [ "${lines[1]}" = 3 ]
    [[ "${lines[2]}" == *"No such file"* ]]
    # a container path outside /dev is refused at create, naming it
    run -125 "$BERTH" run --rm --device "$d" busybox true
    [ "$output" = "berth: device path in container '$d' must be under /dev (give HOST:/dev/NAME)" ]
    run -125 "$BERTH" run --rm --device "$ENGINE_DIR/nodev" busybox true
    [ "$output" = "berth: '$ENGINE_DIR/nodev' holds no device nodes" ]
    # the permissions reach every node: r only refuses writing (fuse is in
    # no default rule, unlike null)
    [ -c /dev/fuse ] || skip "no /dev/fuse on this host"
    mknod "$d/sub/fuse0" c 10 229
    run -0 prun --device "$d:/dev/ro:r" -- sh -c '/probe open-read /dev/ro/sub/fuse0; /probe open-write /dev/ro/sub/fuse0; true'
    [ "${lines[0]}" = ok ]
    [ "${lines[1]}" = EPERM ]
}

@test "bad values create nothing: unknown cap, unreadable or invalid seccomp file, bad ulimit, sysctl, device, security-opt" {
    echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$ENGINE_DIR/bad.json"
    echo 'not json' >"$ENGINE_DIR/nojson.json"
    run -125 "$BERTH" run --cap-add FOO busybox true
    [ "$output" = "berth: unknown capability: 'FOO'" ]
    run -125 "$BERTH" create --cap-drop CAP_BAR busybox true
    [ "$output" = "berth: unknown capability: 'CAP_BAR'" ]
    run -125 "$BERTH" run --security-opt seccomp=/nonexistent/p.json busybox true
    [[ "$output" == "berth: cannot load seccomp profile '/nonexistent/p.json': "* ]]
    run -125 "$BERTH" run --security-opt "seccomp=$ENGINE_DIR/nojson.json" busybox true
    [[ "$output" == "berth: cannot load seccomp profile '$ENGINE_DIR/nojson.json': "* ]]
    run -125 "$BERTH" run --security-opt "seccomp=$ENGINE_DIR/bad.json" busybox true
    [[ "$output" == *"invalid seccomp profile"*"SCMP_ACT_NOPE"* ]]
    echo '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000}' >"$ENGINE_DIR/bigerr.json"
    run -125 "$BERTH" run --security-opt "seccomp=$ENGINE_DIR/bigerr.json" busybox true
    [[ "$output" == *"defaultErrnoRet must be an errno (0 to 4095)"* ]]
    run -125 "$BERTH" run --ulimit nofile=5:2 busybox true
    [[ "$output" == *"ulimit soft limit must be less than or equal to hard limit"* ]]
    run -125 "$BERTH" run --ulimit bogus=1 busybox true
    [ "$output" = "berth: invalid ulimit type: 'bogus'" ]
    run -125 "$BERTH" run --ulimit nofile=abc busybox true
    [[ "$output" == *"--ulimit"* ]]
    run -125 "$BERTH" run --sysctl kernel.hostname=x busybox true
    [[ "$output" == "berth: sysctl 'kernel.hostname' is not allowed"* ]]
    run -125 "$BERTH" run --network host --sysctl net.ipv4.ip_forward=1 busybox true
    [[ "$output" == *"not allowed in the host network namespace"* ]]
    run -125 "$BERTH" run --device /etc/passwd busybox true
    [ "$output" = "berth: '/etc/passwd' is not a device node or a directory of them" ]
    run -125 "$BERTH" run --security-opt apparmor=myprofile busybox true
    [[ "$output" == *"security-opt 'apparmor' is not supported by berth yet"* ]]
    run -125 "$BERTH" run --security-opt label=type:foo busybox true
    [[ "$output" == *"security-opt 'label' is not supported by berth yet"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    # the API says the same with a 400
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"CapAdd":["NOPE"]}}'
    [[ "$output" == *'"message":"unknown capability: '"'NOPE'"'"'* ]]
    [[ "$output" == *"HTTP 400" ]]
}

@test "docker CLI: --cap-add, --security-opt, --ulimit through our API" {
    [ -x /usr/local/bin/docker ] || skip "no docker CLI"
    d() { /usr/local/bin/docker -H "unix://$SOCK" "$@"; }
    run -0 d run --rm -v "$BERTH_PROBE:/probe:ro" --cap-add NET_RAW --ulimit nofile=64:64 \
        --security-opt no-new-privileges busybox sh -c '/probe rawsock; ulimit -n; grep NoNewPrivs: /proc/self/status'
    [ "${lines[0]}" = ok ]
    [ "${lines[1]}" = 64 ]
    [[ "${lines[2]}" == *1 ]]
    run -1 d run --rm -v "$BERTH_PROBE:/probe:ro" busybox /probe sys keyctl
    [ "$output" = EPERM ]
    # the docker CLI sends the profile file's JSON text, as berth does
    echo '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":42}]}' >"$ENGINE_DIR/dprof.json"
    run -1 d run --rm -v "$BERTH_PROBE:/probe:ro" --security-opt "seccomp=$ENGINE_DIR/dprof.json" busybox /probe syscall-errno mkdir /x
    [ "$output" = 42 ]
    run -125 d run --rm --cap-add NOPE busybox true
    [[ "$output" == *"unknown capability: 'CAP_NOPE'"* ]] # the docker CLI adds CAP_
}
