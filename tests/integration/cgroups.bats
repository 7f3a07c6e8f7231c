#!/usr/bin/env bats
# linux.cgroupsPath and linux.resources: where the cgroups go, that they go
# away, and that memory, pids, cpu, cpuset, blkio and device limits hold.
# Every cgroup is created below the test's own cgroup (relative paths).

load helpers

# The controllers this host runs on cgroup v1 and we are a member of.
v1_controllers() {
    awk -F: '$2 != "" && $2 !~ /^name=/ { n = split($2, a, ","); for (i = 1; i <= n; i++) print a[i] }' \
        /proc/self/cgroup
}

# own_cgroup CONTROLLER: this shell's cgroup path in CONTROLLER's hierarchy.
own_cgroup() {
    if cgroup_v2_only; then
        sed -n 's/^0:://p' /proc/self/cgroup
    else
        awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
            /proc/self/cgroup
    fi
}

# cg_read ID CONTROLLER FILE: a cgroup file of the running container.
cg_read() {
    local dir
    dir=$(cgroup_dir "$(ctr_pid "$1")" "$2")
    cat "$dir/$3"
}

start_sleeper() {
    set_args sleep 100
    ctr_run_detached
}

@test "a relative cgroupsPath goes below the runner's cgroup in every hierarchy" {
    local rel=$CID-parent/$CID
    update_config '.linux.cgroupsPath = $p' --arg p "$rel"
    start_sleeper
    local pid ctrl own dirs=()
    pid=$(ctr_pid)
    if cgroup_v2_only; then
        own=$(own_cgroup)
        assert_eq "$(sed -n 's/^0:://p' "/proc/$pid/cgroup")" "${own%/}/$rel"
        dirs=("/sys/fs/cgroup${own%/}/$rel")
    else
        for ctrl in $(v1_controllers); do
            own=$(own_cgroup "$ctrl")
            assert_eq "$(cgroup_dir "$pid" "$ctrl")" "/sys/fs/cgroup/$ctrl${own%/}/$rel" "$ctrl"
            dirs+=("/sys/fs/cgroup/$ctrl${own%/}/$rel")
        done
    fi
    for dir in "${dirs[@]}"; do
        [ -d "$dir" ]
        grep -qx "$pid" "$dir/cgroup.procs"
    done
    rt delete --force "$CID"
    for dir in "${dirs[@]}"; do
        [ ! -e "$dir" ] || {
            echo "'$dir' is left after delete" >&2
            return 1
        }
    done
}

@test "create, start and delete leave no cgroup behind" {
    start_sleeper
    [ -n "$(find /sys/fs/cgroup -type d -name "$CID")" ]
    rt delete --force "$CID"
    assert_eq "$(find /sys/fs/cgroup -type d -name "$CID*")" ""
}

@test "a container that was only created leaves no cgroup after delete" {
    set_args sleep 100
    ctr_create
    rt delete "$CID"
    assert_eq "$(find /sys/fs/cgroup -type d -name "$CID*")" ""
}

@test "memory limit: a hungry process is OOM-killed" {
    update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
    set_args berth-probe memhog 128
    run ctr_run
    [ "$status" -eq 137 ]
}

@test "memory limit: a process below the limit runs" {
    update_config '.linux.resources.memory = {limit: 67108864, swap: 67108864}'
    set_args berth-probe memhog 16
    run -0 ctr_run
    [ "$output" = "allocated 16" ]
}

@test "memory limit: a detached hungry container is stopped" {
    update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
    set_args berth-probe memhog 128
    ctr_run_detached
    wait_for_status "$CID" stopped
    [ ! -s "$BATS_TEST_TMPDIR/$CID.out" ]
}

@test "memory limit is written to the cgroup" {
    update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
    start_sleeper
    if cgroup_v2_only; then
        assert_eq "$(cg_read "$CID" memory memory.max)" 33554432
    else
        assert_eq "$(cg_read "$CID" memory memory.limit_in_bytes)" 33554432
    fi
}

@test "pids limit stops a fork bomb" {
    update_config '.linux.resources.pids = {limit: 20}'
    set_args berth-probe forkbomb 200
    run -0 ctr_run
    [ "$output" -lt 20 ]
    [ "$output" -ge 10 ]
}

@test "pids limit is written to the cgroup" {
    update_config '.linux.resources.pids = {limit: 20}'
    start_sleeper
    assert_eq "$(cg_read "$CID" pids pids.max)" 20
}

@test "cpu quota caps a busy loop" {
    update_config '.linux.resources.cpu = {quota: 20000, period: 100000}'
    set_args berth-probe spin 1
    run -0 ctr_run
    [ "$output" -lt 40 ]
}

@test "cpu quota and period are written to the cgroup" {
    update_config '.linux.resources.cpu = {quota: 20000, period: 100000}'
    start_sleeper
    if cgroup_v2_only; then
        assert_eq "$(cg_read "$CID" cpu cpu.max)" "20000 100000"
    else
        assert_eq "$(cg_read "$CID" cpu cpu.cfs_quota_us)" 20000
        assert_eq "$(cg_read "$CID" cpu cpu.cfs_period_us)" 100000
    fi
}

@test "an unlimited container spins at full speed" {
    set_args berth-probe spin 1
    run -0 ctr_run
    # Well above the quota's 20%, with room for a busy shared machine.
    [ "$output" -gt 45 ]
}

@test "cpu shares" {
    update_config '.linux.resources.cpu = {shares: 512}'
    start_sleeper
    if cgroup_v2_only; then
        # runc's conversion of shares [2, 262144] to weight [1, 10000]
        assert_eq "$(cg_read "$CID" cpu cpu.weight)" $((1 + ((512 - 2) * 9999) / 262142))
    else
        assert_eq "$(cg_read "$CID" cpu cpu.shares)" 512
    fi
}

@test "cpuset cpus and mems" {
    local cpu
    cpu=$(($(nproc) - 1))
    update_config '.linux.resources.cpu = {cpus: $c, mems: "0"}' --arg c "$cpu"
    set_cmd 'grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status'
    run -0 ctr_run
    [[ "${lines[0]}" =~ ^Cpus_allowed_list:[[:space:]]+$cpu$ ]]
    [[ "${lines[1]}" =~ ^Mems_allowed_list:[[:space:]]+0$ ]]
}

@test "blkio weight" {
    local f=blkio.weight want=300 dir
    if ! cgroup_v2_only && [ ! -e "/sys/fs/cgroup/blkio/$(own_cgroup blkio)/blkio.weight" ]; then
        f=blkio.bfq.weight
        [ -e "/sys/fs/cgroup/blkio/$(own_cgroup blkio)/$f" ] ||
            skip "this kernel has no blkio weight file (no CFQ or BFQ)"
    fi
    update_config '.linux.resources.blockIO = {weight: 300}'
    start_sleeper
    if cgroup_v2_only; then
        # io.weight (blk-iocost) takes 1..10000: 300 of 10..1000 scales to 2930;
        # io.bfq.weight keeps the v1 scale
        dir=$(cgroup_dir "$(ctr_pid "$CID")" io)
        f=io.weight want="default 2930"
        [ -e "$dir/$f" ] || f=io.bfq.weight want=300
        [ -e "$dir/$f" ] || skip "this kernel has no io weight file (no iocost or BFQ)"
    fi
    [[ "$(cg_read "$CID" blkio "$f")" == *"$want"* ]]
}

@test "blkio throttle of a block device" {
    local dev
    ls /sys/block/*/dev >/dev/null 2>&1 || skip "no block device to throttle"
    dev=$(cat "$(ls /sys/block/*/dev | head -n 1)")
    update_config '.linux.resources.blockIO = {throttleReadBpsDevice: [
        {major: ($d | split(":")[0] | tonumber), minor: ($d | split(":")[1] | tonumber), rate: 1048576}]}' \
        --arg d "$dev"
    start_sleeper
    if cgroup_v2_only; then
        [[ "$(cg_read "$CID" io io.max)" == *"$dev rbps=1048576"* ]]
    else
        [[ "$(cg_read "$CID" blkio blkio.throttle.read_bps_device)" == *"$dev 1048576"* ]]
    fi
}

# /dev/kmsg (c 1:11) is no default device: it is only allowed when a rule
# says so. Opening it writes nothing to the kernel log.
add_kmsg_device() {
    update_config '.linux.devices = [{path: "/dev/berth-kmsg", type: "c", major: 1, minor: 11,
                                      fileMode: 438, uid: 0, gid: 0}]'
}

@test "devices: a configured device without an allow rule cannot be opened" {
    add_kmsg_device
    update_config '.linux.resources.devices = [{allow: false, access: "rwm"}]'
    set_args berth-probe open-write /dev/berth-kmsg
    run ctr_run
    [ "$output" = EPERM ]
}

@test "devices: an allow rule opens a configured device" {
    add_kmsg_device
    update_config '.linux.resources.devices = [{allow: false, access: "rwm"},
                                               {allow: true, type: "c", major: 1, minor: 11, access: "rw"}]'
    set_args berth-probe open-write /dev/berth-kmsg
    run -0 ctr_run
    [ "$output" = ok ]
}

@test "devices: the config's rules apply in its order, the default devices last (as runc, crun)" {
    # /dev/net/tun opens without any capability
    update_config '.linux.devices = [{path: "/dev/berth-tun", type: "c", major: 10, minor: 200,
                                      fileMode: 438, uid: 0, gid: 0}]'
    # the later deny of writes wins over the earlier allow; a deny rule for
    # /dev/null does not take away a device every container has
    update_config '.linux.resources.devices = [{allow: false, access: "rwm"},
                                               {allow: true, type: "c", major: 10, minor: 200, access: "rw"},
                                               {allow: false, type: "c", major: 10, minor: 200, access: "w"},
                                               {allow: false, type: "c", major: 1, minor: 3, access: "rwm"}]'
    set_cmd 'berth-probe open-write /dev/berth-tun; berth-probe open-read /dev/berth-tun
             berth-probe open-write /dev/null; true'
    run -0 ctr_run
    assert_eq "$output" $'EPERM\nok\nok'
}

@test "devices: a config without device rules gets deny-all and the defaults, on both drivers" {
    add_kmsg_device
    update_config 'del(.linux.resources.devices)'
    set_cmd 'berth-probe open-write /dev/berth-kmsg; berth-probe open-write /dev/null; true'
    run -0 ctr_run
    assert_eq "$output" $'EPERM\nok'
}

@test "devices: the default devices stay usable under a deny-all rule" {
    update_config '.linux.resources.devices = [{allow: false, access: "rwm"}]'
    set_cmd 'for d in null zero full random urandom tty ptmx; do echo "$d $(berth-probe open-write /dev/$d)"; done'
    run -0 ctr_run
    for d in null zero full random urandom ptmx; do
        grep -qx "$d ok" <<<"$output"
    done
    # /dev/tty opens only with a controlling terminal: the cgroup must not
    # be what refuses it.
    refute grep -qx "tty EPERM" <<<"$output"
}
