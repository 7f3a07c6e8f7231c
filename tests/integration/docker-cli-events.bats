#!/usr/bin/env bats
# The docker CLI's `docker events` against berthd (issue 14).

load engine-helpers

setup_file() {
    docker_setup_file
}

setup() {
    docker_setup
}

@test "docker events --since --until --format '{{json .}}': a run's events" {
    t0=$(date +%s.%N)
    run -0 d run --name dev-run --label k=v busybox true
    run -0 d events --since "$t0" --until "$(date +%s.%N)" --format '{{json .}}'
    [ "$(jq -r .Action <<<"$output" | tr '\n' ' ')" = "create attach start die " ]
    die=$(grep '"Action":"die"' <<<"$output")
    [ "$(jq -r .status <<<"$die")" = die ]
    [ "$(jq -r .from <<<"$die")" = busybox ]
    [ "$(jq -r .Type <<<"$die")" = container ]
    [ "$(jq -r .scope <<<"$die")" = local ]
    [ "$(jq -c .Actor.Attributes <<<"$die")" = \
        '{"exitCode":"0","image":"busybox","k":"v","name":"dev-run"}' ]
    [ "$(jq -r .Actor.ID <<<"$die")" = "$(jq -r .id <<<"$die")" ]
}

@test "docker events --filter: event, container, type; a bad filter is refused" {
    t0=$(date +%s.%N)
    run -0 d run --name dev-f1 busybox true
    run -0 d run --name dev-f2 busybox true
    run -0 d volume create dev-vol
    t1=$(date +%s.%N)
    run -0 d events --since "$t0" --until "$t1" --filter event=start --filter container=dev-f2 \
        --format '{{.Actor.Attributes.name}} {{.Action}}'
    [ "$output" = "dev-f2 start" ]
    run -0 d events --since "$t0" --until "$t1" --filter type=volume
    [[ "$output" == *" volume create dev-vol (driver=local)" ]]
    [ "${#lines[@]}" = 1 ]
    run -0 d events --since 1m --until "$t1" --filter container=dev-f1 --filter event=die
    [[ "$output" == *" container die "*" (exitCode=0, image=busybox, name=dev-f1)" ]]
    run -1 d events --until "$t1" --filter nope=1
    [[ "$output" == *"invalid filter 'nope'"* ]]
    run -0 d volume rm dev-vol
}

@test "docker events streams a start as it happens" {
    out=$BATS_TEST_TMPDIR/stream
    "$DOCKER" -H "unix://$SOCK" events --filter event=start --format '{{.Actor.Attributes.name}}' \
        >"$out" 2>&1 3>&- &
    pid=$!
    sleep 0.5
    run -0 d run -d --name dev-stream busybox sleep 100
    wait_for grep -qx dev-stream "$out"
    kill "$pid"
    wait "$pid" || true
    [ "$(cat "$out")" = dev-stream ]
}
