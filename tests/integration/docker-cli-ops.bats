#!/usr/bin/env bats
# The docker CLI against berthd for the operations of issue 13: stats,
# --runtime, the log modes.

load engine-helpers

setup_file() {
    docker_setup_file
}

setup() {
    docker_setup
}

@test "docker stats --no-stream: CPU %, MEM USAGE / LIMIT, PIDS" {
    # the CPUs are shared with whatever else runs here: the most shares make the
    # busy loops get the CPU time they ask for, so the figure is about berth
    run -0 d run -d --name "dbusy-$BATS_TEST_NUMBER" --cpu-shares 262144 busybox sh -c 'while :; do :; done & while :; do :; done'
    run -0 d run -d --name "dmem-$BATS_TEST_NUMBER" --memory 64m busybox sleep 60
    run -0 d stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}'
    busy=$(printf '%s\n' "${lines[@]}" | grep "^dbusy-$BATS_TEST_NUMBER ")
    mem=$(printf '%s\n' "${lines[@]}" | grep "^dmem-$BATS_TEST_NUMBER ")
    read -r _ cpu _ <<<"$busy"
    [ "${cpu%.*}" -gt 50 ]
    [[ "$mem" == *" / 64MiB 1" ]]
    run -0 d stats --no-stream
    [[ "${lines[0]}" == "CONTAINER ID"*"MEM USAGE / LIMIT"*"PIDS" ]]
}

@test "docker run --runtime runc; an unknown runtime is refused" {
    [ -x /usr/sbin/runc ] || skip "no /usr/sbin/runc"
    run -0 d run --rm --runtime runc busybox echo via-runc
    [ "$output" = via-runc ]
    run -0 d run -d --runtime runc busybox sh -c 'trap "exit 4" TERM; while :; do sleep 0.1; done'
    id=$output
    run -0 d exec "$id" echo in-runc
    [ "$output" = in-runc ]
    run -0 d inspect -f '{{.HostConfig.Runtime}}' "$id"
    [ "$output" = runc ]
    run -0 d stop -t 5 "$id"
    run -0 d inspect -f '{{.State.ExitCode}}' "$id"
    [ "$output" = 4 ]
    run -125 d run --rm --runtime kata busybox true
    [[ "$output" == *"unknown or invalid runtime name: kata"* ]]
}

@test "docker run --log-opt mode=non-blocking: inspect shows the drops" {
    run -0 d run -d --log-opt mode=non-blocking --log-opt max-buffer-size=4k busybox seq 1 100000
    id=$output
    run -0 d wait "$id"
    run -0 d inspect -f '{{.State.LogDrops}}' "$id"
    [ "$output" -gt 0 ]
}
