#!/usr/bin/env bats
# --pid, --ipc, --uts and --cgroupns (HostConfig.PidMode, IpcMode, UTSMode,
# CgroupnsMode): the
# host's namespaces, another container's, Docker's IPC modes with the
# /dev/shm each one brings, and the errors; each checked from inside.

load engine-helpers

# ns_of CONTAINER TYPE: the namespace the container's processes are in
ns_of() { "$BERTH" exec "$1" readlink "/proc/self/ns/$2"; }

@test "--pid host sees the host's processes; container:NAME shares the other's" {
    run -0 "$BERTH" run --rm --pid host busybox readlink /proc/self/ns/pid
    [ "$output" = "$(readlink /proc/self/ns/pid)" ]
    # this shell's pid is one the container can see, with its command line
    run -0 "$BERTH" run --rm --pid host busybox cat "/proc/$$/comm"
    [ "$output" = "$(cat /proc/$$/comm)" ]
    # the default: a namespace of its own, where the command is pid 1
    run -0 "$BERTH" run --rm busybox sh -c 'readlink /proc/self/ns/pid; echo $$'
    [ "${lines[0]}" != "$(readlink /proc/self/ns/pid)" ]
    [ "${lines[1]}" = 1 ]
    "$BERTH" run -d --name pidowner busybox sleep 1000
    run -0 "$BERTH" run --rm --pid container:pidowner busybox sh -c 'readlink /proc/self/ns/pid; ps -o comm'
    [ "${lines[0]}" = "$(ns_of pidowner pid)" ]
    [[ "$output" == *sleep* ]]
    run -0 "$BERTH" inspect -f '{{.HostConfig.PidMode}}' "$("$BERTH" create --pid container:pidowner busybox true)"
    [ "$output" = container:pidowner ]
}

@test "a donor that stops takes its PID namespace's joiners with it; one not running is refused" {
    "$BERTH" run -d --name pd busybox sleep 1000
    "$BERTH" run -d --name pj --pid container:pd busybox sleep 1000
    [ "$("$BERTH" inspect -f '{{.State.Running}}' pj)" = true ]
    "$BERTH" stop -t 1 pd
    # the kernel kills every process of a pid namespace whose init dies
    wait_long 10 test "$("$BERTH" inspect -f '{{.State.Running}}' pj)" = false
    run -1 "$BERTH" start pj
    [[ "$output" == *"cannot join the PID namespace of container pd: it is not running"* ]]
    run -125 "$BERTH" run --rm --pid container:nosuch busybox true
    [[ "$output" == *"No such container: nosuch"* ]]
    run -125 "$BERTH" run --rm --pid private busybox true
    [[ "$output" == *"invalid --pid 'private': host or container:NAME expected"* ]]
}

@test "--ipc: private by default, host, shareable and container:NAME share the IPC namespace and /dev/shm" {
    run -0 "$BERTH" run --rm busybox readlink /proc/self/ns/ipc
    [ "$output" != "$(readlink /proc/self/ns/ipc)" ]
    run -0 "$BERTH" inspect -f '{{.HostConfig.IpcMode}}' "$("$BERTH" create busybox true)"
    [ "$output" = private ]
    run -0 "$BERTH" run --rm --ipc host busybox readlink /proc/self/ns/ipc
    [ "$output" = "$(readlink /proc/self/ns/ipc)" ]
    # the host's /dev/shm, both ways
    f=berth-ns-test-$$-$BATS_TEST_NUMBER
    echo from-host >"/dev/shm/$f"
    run -0 "$BERTH" run --rm --ipc host busybox sh -c "cat /dev/shm/$f; echo back >/dev/shm/$f.2"
    rm -f "/dev/shm/$f"
    [ "$output" = from-host ]
    [ "$(cat "/dev/shm/$f.2")" = back ]
    rm -f "/dev/shm/$f.2"
    # shareable: a joiner has its namespace and its /dev/shm, of its size
    "$BERTH" run -d --name ipcd --ipc shareable --shm-size 16m busybox sh -c 'echo hi >/dev/shm/x; sleep 1000'
    wait_for "$BERTH" exec ipcd test -f /dev/shm/x
    run -0 "$BERTH" run --rm --ipc container:ipcd busybox sh -c 'readlink /proc/self/ns/ipc; cat /dev/shm/x; df -k /dev/shm | tail -n 1; echo w >/dev/shm/y'
    [ "${lines[0]}" = "$(ns_of ipcd ipc)" ]
    [ "${lines[0]}" != "$(readlink /proc/self/ns/ipc)" ]
    [ "${lines[1]}" = hi ]
    [ "$(awk '{ print $2 }' <<<"${lines[2]}")" = 16384 ]
    run -0 "$BERTH" exec ipcd cat /dev/shm/y
    [ "$output" = w ]
    # its tmpfs lives on the host side only while it runs
    dir=$ENGINE_DIR/data/containers/$("$BERTH" inspect -f '{{.Id}}' ipcd)/shm
    grep -qF " $dir " /proc/self/mountinfo
    "$BERTH" stop -t 1 ipcd
    wait_for sh -c "! grep -qF ' $dir ' /proc/self/mountinfo"
    # a restart mounts it again
    "$BERTH" start ipcd
    run -0 "$BERTH" exec ipcd readlink /proc/self/ns/ipc
    grep -qF " $dir " /proc/self/mountinfo
    "$BERTH" rm -f ipcd
    ! grep -qF " $dir " /proc/self/mountinfo
}

@test "--ipc none has no /dev/shm; a private donor is refused, naming it" {
    run -0 "$BERTH" run --rm --ipc none busybox sh -c 'grep -c " /dev/shm " /proc/self/mountinfo || true'
    [ "$output" = 0 ]
    run -0 "$BERTH" run --rm busybox sh -c 'grep -c " /dev/shm " /proc/self/mountinfo'
    [ "$output" = 1 ]
    "$BERTH" run -d --name ipcp busybox sleep 1000
    run -125 "$BERTH" run --rm --ipc container:ipcp busybox true
    [[ "$output" == *"cannot join the IPC namespace of container ipcp: it is not shareable (its IpcMode is 'private'; run it with --ipc shareable)"* ]]
    run -125 "$BERTH" run --rm --ipc bogus busybox true
    [[ "$output" == *"invalid --ipc 'bogus': private, shareable, none, host or container:NAME expected"* ]]
    # the refused --rm run left nothing: the donor alone
    run -0 "$BERTH" ps -a --format '{{.Names}}'
    [ "$output" = ipcp ]
}

@test "--uts host: the host's name, which --hostname may not change" {
    run -0 "$BERTH" run --rm --uts host busybox sh -c 'hostname; cat /etc/hostname; readlink /proc/self/ns/uts'
    [ "${lines[0]}" = "$(hostname)" ]
    [ "${lines[1]}" = "$(hostname)" ]
    [ "${lines[2]}" = "$(readlink /proc/self/ns/uts)" ]
    run -0 "$BERTH" run --rm busybox readlink /proc/self/ns/uts
    [ "$output" != "$(readlink /proc/self/ns/uts)" ]
    run -125 "$BERTH" run --rm --uts host --hostname x busybox true
    [[ "$output" == *"conflicting options: --hostname and --uts host"* ]]
    run -125 "$BERTH" run --rm --uts container:x busybox true
    [[ "$output" == *"invalid --uts 'container:x': host expected"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "--cgroupns host: the host's cgroup namespace; private is the default" {
    run -0 "$BERTH" run --rm --cgroupns host busybox readlink /proc/self/ns/cgroup
    [ "$output" = "$(readlink /proc/self/ns/cgroup)" ]
    run -0 "$BERTH" run --rm busybox readlink /proc/self/ns/cgroup
    [ "$output" != "$(readlink /proc/self/ns/cgroup)" ]
    run -0 "$BERTH" inspect -f '{{.HostConfig.CgroupnsMode}}' "$("$BERTH" create busybox true)"
    [ "$output" = private ]
    run -125 "$BERTH" run --rm --cgroupns shared busybox true
    [[ "$output" == *"invalid --cgroupns 'shared': host or private expected"* ]]
}
