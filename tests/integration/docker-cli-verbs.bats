#!/usr/bin/env bats
# The docker CLI on this machine, unchanged, against a private berthd for
# the verbs of the engine's second slice (issue 13): exec, top, pause,
# unpause, restart, rename, kill -s, inspect -f, info, create/start -a,
# ps --filter/--format.

load engine-helpers

setup_file() {
    docker_setup_file
}

setup() {
    docker_setup
}

@test "docker exec: output, stderr, exit status, -e -w -u, -i, -d" {
    run -0 d run -d --name "x-$BATS_TEST_NUMBER" busybox sleep 60
    run -4 --separate-stderr d exec "x-$BATS_TEST_NUMBER" sh -c 'echo out; echo err >&2; exit 4'
    [ "$output" = out ]
    [ "$stderr" = err ]
    run -0 d exec -e Y=2 -w /etc -u 7:8 "x-$BATS_TEST_NUMBER" sh -c 'echo $Y $(pwd) $(id -u):$(id -g)'
    [ "$output" = "2 /etc 7:8" ]
    run -0 sh -c "echo piped | '$DOCKER' -H 'unix://$SOCK' exec -i x-$BATS_TEST_NUMBER cat"
    [ "$output" = piped ]
    run -0 d exec -d "x-$BATS_TEST_NUMBER" sh -c 'touch /tmp/d-mark'
    wait_for d exec "x-$BATS_TEST_NUMBER" test -f /tmp/d-mark
    run -127 d exec "x-$BATS_TEST_NUMBER" no-such-command
    [[ "$output" == *"no-such-command"* ]]
}

@test "docker top, pause, unpause, ps --filter status=paused" {
    run -0 d run -d --name "p-$BATS_TEST_NUMBER" busybox sleep 60
    run -0 d top "p-$BATS_TEST_NUMBER"
    [[ "${lines[0]}" == "UID"*"PID"*"CMD" ]]
    [[ "${lines[1]}" == *"sleep 60" ]]
    run -0 d pause "p-$BATS_TEST_NUMBER"
    run -0 d ps --filter status=paused --format '{{.Names}} {{.State}}'
    [ "$output" = "p-$BATS_TEST_NUMBER paused" ]
    run -0 d inspect -f '{{.State.Paused}}' "p-$BATS_TEST_NUMBER"
    [ "$output" = true ]
    run -0 d unpause "p-$BATS_TEST_NUMBER"
    run -0 d inspect -f '{{.State.Status}}' "p-$BATS_TEST_NUMBER"
    [ "$output" = running ]
    run -1 d unpause "p-$BATS_TEST_NUMBER"
    [[ "$output" == *"is not paused"* ]]
}

@test "docker restart -t, rename, kill -s, wait" {
    run -0 d run -d --name "r-$BATS_TEST_NUMBER" busybox sh -c 'trap "exit 12" HUP; while :; do sleep 0.1; done'
    pid1=$(d inspect -f '{{.State.Pid}}' "r-$BATS_TEST_NUMBER")
    run -0 d restart -t 1 "r-$BATS_TEST_NUMBER"
    pid2=$(d inspect -f '{{.State.Pid}}' "r-$BATS_TEST_NUMBER")
    [ "$pid1" != "$pid2" ]
    run -0 d rename "r-$BATS_TEST_NUMBER" "s-$BATS_TEST_NUMBER"
    run -0 d ps --filter "name=s-$BATS_TEST_NUMBER" --format '{{.Names}}'
    [ "$output" = "s-$BATS_TEST_NUMBER" ]
    sleep 0.3
    run -0 d kill -s HUP "s-$BATS_TEST_NUMBER"
    run -0 d wait "s-$BATS_TEST_NUMBER"
    [ "$output" = 12 ]
}

@test "docker create, start -a, info, ps --format json" {
    run -0 d create --name "c-$BATS_TEST_NUMBER" --label k=v busybox sh -c 'echo started; exit 2'
    run -2 d start -a "c-$BATS_TEST_NUMBER"
    [ "$output" = started ]
    run -0 d ps -a --filter label=k=v --format json
    echo "$output" | jq -e --arg n "c-$BATS_TEST_NUMBER" '.Names == $n and .State == "exited"'
    run -0 d info --format '{{.ContainersStopped}} {{.Driver}}'
    [ "$output" = "1 overlay2" ]
}

@test "docker run --log-opt max-size/max-file, logs --since/--until" {
    run -0 d run -d --log-opt max-size=2k --log-opt max-file=2 busybox \
        sh -c 'i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo line-$i; done; sleep 1.2; echo last'
    id=$output
    run -0 d wait "$id"
    [ -f "$ENGINE_DIR/data/containers/$id/$id-json.log.1" ]
    [ ! -e "$ENGINE_DIR/data/containers/$id/$id-json.log.2" ]
    t_last=$(jq -r 'select(.log == "last\n") | .time' "$ENGINE_DIR/data/containers/$id/$id-json.log")
    run -0 d logs --since "$t_last" "$id"
    [ "$output" = last ]
    run -0 d logs --until "$t_last" "$id"
    [ "${lines[-1]}" = line-200 ]
    run -125 d run --rm --log-opt compress=true busybox true
    [[ "$output" == *"log-opt 'compress' is not supported by berth yet"* ]]
}
