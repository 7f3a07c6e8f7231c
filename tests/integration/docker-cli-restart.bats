#!/usr/bin/env bats
# The docker CLI's --restart against berthd (issue 14): the policy is
# carried out by berth's shim, docker sees Docker's fields.

load engine-helpers

setup_file() {
    docker_setup_file
}

setup() {
    docker_setup
}

wait_status() { # NAME STATUS: up to 10 s
    for _ in $(seq 100); do
        [ "$(d inspect --format '{{.State.Status}}' "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

@test "docker run --restart on-failure:2: inspect shows the policy and two restarts" {
    run -0 d run -d --name dr-fail --restart on-failure:2 busybox sh -c 'exit 3'
    wait_status dr-fail exited
    run -0 d inspect --format '{{.RestartCount}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' dr-fail
    [ "$output" = "2 3 on-failure 2" ]
    run -0 d rm dr-fail
}

@test "an attached docker run with a restart policy ends with the first run's exit and output" {
    run -3 timeout -s KILL 30 "$DOCKER" -H "unix://$SOCK" run --name dr-att --restart always \
        busybox sh -c 'echo run; exit 3'
    [ "$output" = run ]
    run -0 d rm -f dr-att
}

@test "docker run --restart always, docker stop: stopped for good; --rm conflicts" {
    run -0 d run -d --name dr-always --restart always busybox sleep 1000
    run -0 d stop -t 1 dr-always
    sleep 0.5
    [ "$(d inspect --format '{{.State.Status}} {{.RestartCount}}' dr-always)" = "exited 0" ]
    run -0 d rm dr-always
    run ! d run --rm --restart always busybox true
    [[ "$output" == *"conflicting options"* ]]
}
