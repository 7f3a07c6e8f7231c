#!/usr/bin/env bats
# The docker CLI's `update` and the limit flags of `run` against a private
# berthd (issue 14 item 2): POST /containers/{id}/update with Docker's
# UpdateConfig body; what berth cannot apply is refused by name.

load engine-helpers

setup_file() {
    docker_setup_file
}

setup() {
    docker_setup
}

cg_file() {
    local d
    for d in $(cgroup_dirs_of "$1"); do
        [ -f "$d/$2" ] && cat "$d/$2" && return 0
    done
    return 1
}

@test "docker update --memory shows in docker inspect and in the cgroup" {
    local id lim=memory.limit_in_bytes
    [ -f /sys/fs/cgroup/cgroup.controllers ] && lim=memory.max
    id=$(d run -d --memory 64m berth-workloads sleep 600)
    run -0 d update --memory 96m --memory-swap 192m "$id"
    [ "$output" = "$id" ]
    run -0 d inspect --format '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' "$id"
    [ "$output" = "100663296 201326592" ]
    run -0 cg_file "$id" "$lim"
    [ "$output" = 100663296 ]
}

@test "docker update --cpus --cpu-shares --pids-limit --cpuset-cpus on a running container" {
    local id
    id=$(d run -d berth-workloads sleep 600)
    run -0 d update --cpus 0.5 --cpu-shares 512 --pids-limit 33 --cpuset-cpus 0 "$id"
    run -0 d inspect --format \
        '{{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpusetCpus}}' "$id"
    [ "$output" = "500000000 512 33 0" ]
    run -0 cg_file "$id" pids.max
    [ "$output" = 33 ]
    run -0 cg_file "$id" cpuset.cpus
    [ "$output" = 0 ]
}

@test "docker update: what berth cannot apply is refused by name; a bad value changes nothing" {
    local id
    id=$(d run -d --pids-limit 20 berth-workloads sleep 600)
    run -1 d update --cpuset-cpus 99999 "$id"
    [[ "$output" == *"Requested CPUs are not available"* ]]
    run -0 d inspect --format '{{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}' "$id"
    [ "$output" = "20 no" ]
    # the restart policy is berth's to change too (the shim reads it at each exit)
    run -0 d update --restart on-failure:3 "$id"
    run -0 d inspect --format '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' "$id"
    [ "$output" = "on-failure 3" ]
}

@test "docker run --device-read-bps and --device-write-iops: in inspect" {
    local dev id
    for b in $(ls /sys/block | grep -v '^loop') $(ls /sys/block | grep '^loop'); do
        [ -b "/dev/$b" ] && dev=/dev/$b && break
    done
    [ -n "${dev:-}" ] || skip "no block device on this machine"
    id=$(d run -d --device-read-bps "$dev:1mb" --device-write-iops "$dev:50" berth-workloads sleep 600)
    run -0 d inspect --format '{{json .HostConfig.BlkioDeviceReadBps}} {{json .HostConfig.BlkioDeviceWriteIOps}}' "$id"
    [ "$output" = "[{\"Path\":\"$dev\",\"Rate\":1048576}] [{\"Path\":\"$dev\",\"Rate\":50}]" ]
    run -125 d run --rm --device-read-bps /dev/null:1mb busybox true
    [[ "$output" == *"'/dev/null' is not a block device"* ]]
}

@test "docker stats --no-stream: the workloads container's PIDs and limit" {
    local id
    id=$(d run -d --name "ds-$BATS_TEST_NUMBER" --memory 64m berth-workloads sleep 600)
    run -0 d stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' "$id"
    [[ "$output" == "ds-$BATS_TEST_NUMBER 1 "*" / 64MiB" ]]
}
