#!/usr/bin/env bats
# The docker CLI already on this machine, unchanged, against a private
# berthd (issue 13): it speaks the Docker Engine API, version-prefixed.

load engine-helpers

setup_file() {
    docker_setup_file
}

setup() {
    docker_setup
}

@test "docker version: client and berthd" {
    run -0 d version
    [[ "$output" == *"Server: berth"* ]]
    [[ "$output" == *"API version:       1.41"* ]]
    run -0 d version --format '{{.Server.Version}}'
    [ -n "$output" ]
}

@test "docker run --rm busybox echo hi" {
    run -0 d run --rm busybox echo hi
    [ "$output" = hi ]
    run -0 d ps -a -q
    [ -z "$output" ]
}

@test "docker run: the exit status and stderr" {
    run -3 --separate-stderr d run --rm busybox sh -c 'echo to-err >&2; exit 3'
    [ "$stderr" = to-err ]
    run -0 d run busybox sh -c 'echo kept'
    [ "$output" = kept ]
    run -0 d ps -a --format '{{.Status}}'
    [[ "$output" == "Exited (0)"* ]]
}

@test "docker run -d, ps -a, logs, wait, inspect, stop -t 1, rm -f" {
    run -0 d run -d --name "dk-$BATS_TEST_NUMBER" busybox sh -c 'echo started; exec sleep 60'
    id=$output
    run -0 d ps --format '{{.ID}} {{.Names}} {{.Image}}'
    [ "$output" = "${id:0:12} dk-$BATS_TEST_NUMBER busybox" ]
    wait_for grep -q started "$ENGINE_DIR/data/containers/$id/$id-json.log"
    run -0 d logs "dk-$BATS_TEST_NUMBER"
    [ "$output" = started ]
    run -0 d inspect --format '{{.State.Status}} {{.State.Running}} {{.Name}}' "${id:0:5}"
    [ "$output" = "running true /dk-$BATS_TEST_NUMBER" ]
    run -0 d inspect --format '{{.State.Pid}}' "$id"
    [ -d "/proc/$output" ]
    run -0 d stop -t 1 "dk-$BATS_TEST_NUMBER"
    run -0 d wait "dk-$BATS_TEST_NUMBER"
    [ "$output" = 137 ]
    run -0 d ps -a --format '{{.Status}}'
    [[ "$output" == "Exited (137)"* ]]
    run -0 d inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$id"
    [ "$output" = "exited 137" ]
    run -0 d rm -f "dk-$BATS_TEST_NUMBER"
    run -0 d ps -a -q
    [ -z "$output" ]
}

@test "docker rm -f of a running container; wait of a finished one" {
    run -0 d run -d busybox sleep 60
    id=$output
    run -0 d rm -f "$id"
    [ -z "$(engine_shim_pids)" ]
    run -0 d run -d busybox sh -c 'exit 5'
    id=$output
    run -0 d wait "$id"
    [ "$output" = 5 ]
}

@test "docker: unknown container and refused options are errors" {
    run -1 d logs nosuchcontainer
    [[ "$output" == *"No such container: nosuchcontainer"* ]]
    run -1 d inspect nosuchcontainer
    # this file's berthd runs with --bridge none (docker-cli-networks.bats has one)
    run -125 d run --rm --network bridge busybox true
    [[ "$output" == *"network bridge not found"* ]]
    run -125 d run --rm --health-cmd true --health-interval 100us busybox true
    [[ "$output" == *"Interval in Healthcheck cannot be less than 1ms"* ]]
    # an auto-removed container that cannot start is removed: docker waits for that
    run -125 timeout -s KILL 20 "$DOCKER" -H "unix://$SOCK" run --rm busybox nosuchcmd
    [[ "$output" == *"cannot find executable 'nosuchcmd'"* ]]
    run -0 d ps -a -q
    [ -z "$output" ]
}
