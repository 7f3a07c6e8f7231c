#!/usr/bin/env bats
# config.json: root, process (args, env, cwd, user, umask, rlimits,
# oomScoreAdj), hostname, domainname and linux.sysctl.

load helpers

@test "process.args are passed one by one" {
    set_args /bin/sh -c 'for a in "$@"; do echo "[$a]"; done' zero "a b" "" 'c"d'
    run -0 ctr_run
    assert_eq "$output" $'[a b]\n[]\n[c"d]'
}

@test "a relative process.args[0] is looked up in the configured PATH" {
    set_args echo found-in-path
    update_config '.process.env = ["PATH=/usr/bin:/bin"]'
    run -0 ctr_run
    [ "$output" = found-in-path ]
}

@test "process.env is the whole environment" {
    update_config '.process.env = ["PATH=/bin", "BERTH_A=value with spaces", "BERTH_B="]'
    set_cmd 'echo "A=$BERTH_A"; echo "B=${BERTH_B-unset}"; env | cut -d= -f1 | sort | tr "\n" " "'
    export BERTH_HOST_ONLY=leaked
    run -0 ctr_run
    assert_eq "${lines[0]}" "A=value with spaces"
    assert_eq "${lines[1]}" "B="
    [[ "${lines[2]}" != *BERTH_HOST_ONLY* ]]
    [[ "${lines[2]}" != *BATS* ]]
    [[ "${lines[2]}" == *BERTH_A* ]]
}

@test "process.cwd is the working directory" {
    update_config '.process.cwd = "/tmp"'
    set_args pwd
    run -0 ctr_run
    [ "$output" = /tmp ]
}

@test "process.user uid and gid" {
    update_config '.process.user = {uid: 65534, gid: 65534}'
    set_cmd 'id -u; id -g; id -G'
    run -0 ctr_run
    assert_eq "${lines[0]}" 65534
    assert_eq "${lines[1]}" 65534
    # No supplementary group is left from the runtime (root's 0).
    assert_eq "${lines[2]}" 65534
}

@test "process.user additionalGids" {
    update_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20, 65534]}'
    set_args cat /proc/self/status
    run -0 ctr_run
    assert_eq "$(awk '/^Uid:/ { print $2 }' <<<"$output")" 1000
    assert_eq "$(awk '/^Gid:/ { print $2 }' <<<"$output")" 1000
    assert_eq "$(awk '/^Groups:/ { $1 = ""; print }' <<<"$output" | xargs -n1 | sort -n | xargs)" \
        "10 20 65534"
}

@test "process.user umask" {
    update_config '.process.user.umask = 63'
    set_cmd 'umask; touch /tmp/f; stat -c %a /tmp/f'
    run -0 ctr_run
    assert_eq "${lines[0]}" 0077
    assert_eq "${lines[1]}" 600
}

@test "process.rlimits set soft and hard limits" {
    update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 123, hard: 456},
                                       {type: "RLIMIT_NPROC", soft: 777, hard: 778}]'
    set_cmd 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu'
    run -0 ctr_run
    assert_eq "$(echo $output)" "123 456 777 778"
}

@test "process.oomScoreAdj" {
    update_config '.process.oomScoreAdj = 500'
    set_args cat /proc/self/oom_score_adj
    run -0 ctr_run
    [ "$output" = 500 ]
}

@test "process.noNewPrivileges" {
    update_config '.process.noNewPrivileges = true'
    set_args grep NoNewPrivs /proc/self/status
    run -0 ctr_run
    [[ "$output" =~ NoNewPrivs:[[:space:]]+1 ]]
    update_config '.process.noNewPrivileges = false'
    run -0 ctr_run
    [[ "$output" =~ NoNewPrivs:[[:space:]]+0 ]]
}

@test "hostname is set in the container only" {
    local host_name
    host_name=$(cat /proc/sys/kernel/hostname)
    update_config '.hostname = "berth-test-host"'
    set_cmd 'hostname; cat /proc/sys/kernel/hostname'
    run -0 ctr_run
    assert_eq "$output" $'berth-test-host\nberth-test-host'
    assert_eq "$(cat /proc/sys/kernel/hostname)" "$host_name"
}

@test "domainname is set in the container only" {
    requires_berth "runc 1.1 ignores domainname"
    local host_domain
    host_domain=$(cat /proc/sys/kernel/domainname)
    update_config '.hostname = "berth-test-host" | .domainname = "berth.example"'
    set_args cat /proc/sys/kernel/domainname
    run -0 ctr_run
    assert_eq "$output" berth.example
    assert_eq "$(cat /proc/sys/kernel/domainname)" "$host_domain"
}

@test "linux.sysctl is applied inside the new namespaces only" {
    local host_fwd host_shm
    host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
    host_shm=$(cat /proc/sys/kernel/shmmax)
    update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}'
    set_cmd 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax'
    run -0 ctr_run
    assert_eq "${lines[0]}" 1
    assert_eq "${lines[1]}" 123456789
    assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd"
    assert_eq "$(cat /proc/sys/kernel/shmmax)" "$host_shm"
}

@test "root.readonly makes the root filesystem read-only" {
    update_config '.root.readonly = true'
    set_cmd 'berth-probe errno-of create /newfile; berth-probe errno-of mkdir /bin/newdir; true'
    run -0 ctr_run
    assert_eq "$output" $'EROFS\nEROFS'
    [ ! -e "$BUNDLE/rootfs/newfile" ]
}

@test "a writable root lets the container write" {
    set_args berth-probe errno-of create /newfile
    run -0 ctr_run
    [ "$output" = ok ]
    [ -f "$BUNDLE/rootfs/newfile" ]
}

@test "root.path may be absolute and outside the bundle" {
    mv "$BUNDLE/rootfs" "$TMP/elsewhere"
    update_config '.root.path = $p' --arg p "$TMP/elsewhere"
    set_args echo absolute-root
    run -0 ctr_run
    [ "$output" = absolute-root ]
}

@test "issue-11: a sysctl in a network namespace joined by path (not the host's) is applied" {
    bg_helper unshare --net sleep 100
    retry 50 0.05 netns_differs "$BG_PID"
    set_namespace_path "$BUNDLE" network "/proc/$BG_PID/ns/net"
    update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
    set_args cat /proc/sys/net/ipv4/ip_forward
    run -0 ctr_run
    assert_eq "$output" 1
    assert_eq "$(nsenter --net="/proc/$BG_PID/ns/net" cat /proc/sys/net/ipv4/ip_forward)" 1
}
