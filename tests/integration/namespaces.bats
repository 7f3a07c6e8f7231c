#!/usr/bin/env bats
# linux.namespaces: pid, network, mount, ipc, uts and cgroup, new or joined by
# path; what a user sees: PID 1, ps, interfaces, the same port twice.

load helpers

NS_TYPES="pid net mnt ipc uts cgroup"

# host_ns TYPE: "type:[inode]" of the host's namespace of TYPE.
host_ns() {
    readlink "/proc/self/ns/$1"
}

@test "each configured namespace type is new" {
    add_namespace cgroup
    set_cmd 'for t in '"$NS_TYPES"'; do echo "$t $(readlink /proc/self/ns/$t)"; done'
    run -0 ctr_run
    local t inside
    for t in $NS_TYPES; do
        inside=$(awk -v t="$t" '$1 == t { print $2 }' <<<"$output")
        [ -n "$inside" ]
        [ "$inside" != "$(host_ns "$t")" ] || {
            echo "$t namespace is the host's" >&2
            return 1
        }
    done
}

@test "a namespace type left out is shared with the host" {
    remove_namespace ipc
    remove_namespace cgroup
    set_cmd 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/cgroup'
    run -0 ctr_run
    assert_eq "${lines[0]}" "$(host_ns ipc)"
    assert_eq "${lines[1]}" "$(host_ns cgroup)"
}

@test "pid: the payload is PID 1 and ps shows only the container" {
    set_cmd 'echo "me=$$"; sleep 100 &
             until [ "$(cat /proc/$!/comm)" = sleep ]; do :; done; ps -o pid,comm; echo done'
    run -0 ctr_run
    assert_eq "${lines[0]}" me=1
    # header, sh, sleep, ps
    [ "${#lines[@]}" -eq 6 ]
    [[ "$(echo ${lines[@]:2:3})" =~ ^1\ sh\ [0-9]+\ sleep\ [0-9]+\ ps$ ]]
}

@test "pid: without a pid namespace the host's processes are visible" {
    remove_namespace pid
    set_cmd 'echo "me=$$"; test -d /proc/1 && test -d /proc/'"$$"' && echo sees-host'
    run -0 ctr_run
    [ "${lines[0]}" != me=1 ]
    assert_eq "${lines[1]}" sees-host
}

@test "network: only a loopback interface, and it is up" {
    set_cmd 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; berth-probe bind-tcp 127.0.0.1:5555 0'
    run -0 ctr_run
    assert_eq "$output" $'lo\nlistening'
}

@test "network: two containers listen on the same port at once" {
    set_args berth-probe bind-tcp 0.0.0.0:8080 100
    make_bundle "$TMP/b2" "$CID2"
    set_args_of "$TMP/b2" berth-probe bind-tcp 0.0.0.0:8080 100
    ctr_run_detached
    ctr_run_detached "$CID2" "$TMP/b2"
    wait_for_output "$CID" listening
    wait_for_output "$CID2" listening
    assert_eq "$(ctr_status)" running
    assert_eq "$(ctr_status "$CID2")" running
}

@test "network: joining a container's namespace by path shares its sockets" {
    set_args berth-probe bind-tcp 127.0.0.1:8081 100
    ctr_run_detached
    wait_for_output "$CID" listening
    local pid
    pid=$(ctr_pid)
    make_bundle "$TMP/b2" "$CID2"
    set_namespace_path "$TMP/b2" network "/proc/$pid/ns/net"
    set_cmd_of "$TMP/b2" 'readlink /proc/self/ns/net; berth-probe connect-tcp 127.0.0.1:8081
                          berth-probe bind-tcp 127.0.0.1:8081 0; true'
    run -0 ctr_run "$CID2" "$TMP/b2"
    assert_eq "${lines[0]}" "$(readlink "/proc/$pid/ns/net")"
    assert_eq "${lines[1]}" ok
    assert_eq "${lines[2]}" EADDRINUSE
}

@test "network: joining a namespace made with unshare" {
    bg_helper unshare --net sleep 100
    local want=""
    # unshare(1) is in its own namespace once it runs sleep.
    retry 100 0.05 grep -qx sleep "/proc/$BG_PID/comm"
    want=$(readlink "/proc/$BG_PID/ns/net")
    [ "$want" != "$(host_ns net)" ]
    set_namespace_path "$BUNDLE" network "/proc/$BG_PID/ns/net"
    set_cmd 'readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
    run -0 ctr_run
    assert_eq "$output" "$want"$'\nlo'
}

@test "ipc and uts: joining another container's namespaces by path" {
    set_args sleep 1000
    update_config '.hostname = "first-host"'
    ctr_run_detached
    local pid
    pid=$(ctr_pid)
    make_bundle "$TMP/b2" "$CID2"
    set_namespace_path "$TMP/b2" ipc "/proc/$pid/ns/ipc"
    set_namespace_path "$TMP/b2" uts "/proc/$pid/ns/uts"
    update_config_of "$TMP/b2" 'del(.hostname)'
    set_cmd_of "$TMP/b2" 'readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; hostname'
    run -0 ctr_run "$CID2" "$TMP/b2"
    assert_eq "${lines[0]}" "$(readlink "/proc/$pid/ns/ipc")"
    assert_eq "${lines[1]}" "$(readlink "/proc/$pid/ns/uts")"
    assert_eq "${lines[2]}" first-host
}

@test "pid: joining a created container's PID namespace by path" {
    second_bundle_in_created_pidns
    set_cmd_of "$TMP/b2" 'echo "me=$$"; readlink /proc/self/ns/pid; test -d /proc/1 && echo has-init'
    run -0 ctr_run "$CID2" "$TMP/b2"
    [ "${lines[0]}" != me=1 ]
    assert_eq "${lines[1]}" "$(readlink "/proc/$JOINED_PID/ns/pid")"
    assert_eq "${lines[2]}" has-init
}

@test "mount: the container's mount namespace is not the host's" {
    set_cmd 'echo ready; sleep 100'
    ctr_run_detached
    wait_for_output "$CID" ready
    local pid
    pid=$(ctr_pid)
    [ "$(readlink "/proc/$pid/ns/mnt")" != "$(host_ns mnt)" ]
    # Its root is the bundle's rootfs.
    [ -x "/proc/$pid/root/bin/berth-probe" ]
    [ "$(stat -c %i "/proc/$pid/root/bin/busybox")" = "$(stat -c %i "$BUNDLE/rootfs/bin/busybox")" ]
}

@test "cgroup: a cgroup namespace hides the host's cgroup paths" {
    add_namespace cgroup
    set_args cat /proc/self/cgroup
    run -0 ctr_run
    # Every hierarchy reads as its root, "/".
    assert_eq "$(cut -d: -f3 <<<"$output" | sort -u)" /
}

@test "cgroup: without a cgroup namespace the path names the container's cgroup" {
    remove_namespace cgroup
    set_args cat /proc/self/cgroup
    run -0 ctr_run
    grep -q ":/.*$CID" <<<"$output"
}

@test "uts: the hostname of the host is not changed" {
    local before
    before=$(hostname)
    update_config '.hostname = "uts-test"'
    update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] |
                   .process.capabilities.effective += ["CAP_SYS_ADMIN"] |
                   .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
    set_cmd 'hostname changed-inside && hostname'
    run -0 ctr_run
    [ "$output" = changed-inside ]
    assert_eq "$(hostname)" "$before"
}
