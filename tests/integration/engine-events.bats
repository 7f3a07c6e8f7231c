#!/usr/bin/env bats
# berthd's event log (issue 14): GET /events and `berth events` show what
# the engine did, in order, with Docker's fields; the shims' own events
# (die) are imported exactly once, also across SIGKILLs of berthd.

load engine-helpers

now() {
    date +%s.%N
}

# evs SINCE [ARGS...]: the events from SINCE until now
evs() {
    local since=$1
    shift
    "$BERTH" events --since "$since" --until "$(now)" "$@"
}

@test "events: a container's life in order, with docker's fields" {
    t0=$(now)
    run -0 "$BERTH" create --name ev-life --label team=blue busybox sleep 100
    id=$output
    run -0 "$BERTH" start ev-life
    run -0 "$BERTH" pause ev-life
    run -0 "$BERTH" unpause ev-life
    run -0 "$BERTH" kill -s USR1 ev-life
    run -0 "$BERTH" stop -t 1 ev-life
    run -0 "$BERTH" rename ev-life ev-life2
    run -0 "$BERTH" rm ev-life2
    run -0 evs "$t0" --filter container="$id" --format '{{.Action}}'
    [ "$(echo $output)" = "create start pause unpause kill kill kill die stop rename destroy" ]
    run -0 evs "$t0" --filter container="$id" --format json
    die=$(grep '"Action":"die"' <<<"$output")
    [ "$(jq -r .status <<<"$die")" = die ]
    [ "$(jq -r .id <<<"$die")" = "$id" ]
    [ "$(jq -r .from <<<"$die")" = busybox ]
    [ "$(jq -r .Type <<<"$die")" = container ]
    [ "$(jq -r .scope <<<"$die")" = local ]
    [ "$(jq -r .Actor.ID <<<"$die")" = "$id" ]
    [ "$(jq -c .Actor.Attributes <<<"$die")" = \
        '{"team":"blue","image":"busybox","name":"ev-life","exitCode":"137"}' ]
    nano=$(grep -o '"timeNano":[0-9]*' <<<"$die" | cut -d: -f2)
    [ "${nano:0:10}" = "$(jq .time <<<"$die")" ]
    [ "$(grep -c '"Action":"kill"' <<<"$output")" = 3 ]
    grep '"Action":"kill"' <<<"$output" | head -1 | grep -q '"signal":"10"'
    rename=$(grep '"Action":"rename"' <<<"$output")
    [ "$(jq -r '.Actor.Attributes | .name + " " + .oldName' <<<"$rename")" = "ev-life2 /ev-life" ]
    ! grep -q x-berth-import <<<"$output"
}

@test "events: docker's default line, with the exit code of die" {
    t0=$(now)
    run -3 "$BERTH" run --name ev-exit busybox sh -c 'exit 3'
    run -0 evs "$t0" --filter event=die
    [[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2})\ container\ die\ [0-9a-f]{64}\ \(exitCode=3,\ image=busybox,\ name=ev-exit\)$ ]]
    [ "${#lines[@]}" = 1 ]
}

@test "events: a command that exits at once still shows its start before its die" {
    # (not $i: bats' run uses it)
    t0=$(now)
    for n in 1 2 3 4 5; do
        run -0 "$BERTH" create --name "ev-fast$n" busybox true
        run -0 "$BERTH" start "ev-fast$n"
    done
    for n in 1 2 3 4 5; do
        wait_for eval '[ -n "$(evs "$t0" --filter container=ev-fast'$n' --filter event=die)" ]'
        run -0 evs "$t0" --filter container="ev-fast$n" --format '{{.Action}}'
        [ "$(echo $output)" = "create start die" ]
    done
}

@test "events: exec, image and volume events" {
    t0=$(now)
    run -0 "$BERTH" run -d --name ev-exec busybox sleep 100
    run -0 "$BERTH" exec ev-exec true
    run -0 "$BERTH" tag busybox ev-tag:1
    run -0 "$BERTH" rmi ev-tag:1
    run -0 "$BERTH" volume create ev-vol
    run -0 "$BERTH" volume rm ev-vol
    run -4 "$BERTH" exec ev-exec sh -c 'exit 4'
    # exec_die comes from the shim, imported as it is written
    wait_for eval '[ $(evs "$t0" --filter event=exec_die | wc -l) = 2 ]'
    run -0 evs "$t0" --filter event=exec_create --filter event=exec_start --filter event=exec_die \
        --format '{{.Action}} {{.Actor.Attributes.exitCode}}'
    [ "$output" = "exec_create: true <no value>
exec_start: true <no value>
exec_die 0
exec_create: sh -c exit 4 <no value>
exec_start: sh -c exit 4 <no value>
exec_die 4" ]
    run -0 evs "$t0" --filter event=exec_die --format '{{.Actor.Attributes.execID}}'
    [ "${#lines[0]}" = 64 ]
    run -0 evs "$t0" --filter type=image --format '{{.Action}} {{.Actor.Attributes.name}}'
    [ "$output" = "tag ev-tag:1
untag ev-tag:1" ]
    run -0 evs "$t0" --filter type=volume --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.driver}}'
    [ "$output" = "create ev-vol local
destroy ev-vol local" ]
}

@test "events: image save, load and import carry the image's id" {
    t0=$(now)
    tar=$BATS_TEST_TMPDIR/bb.tar
    run -0 "$BERTH" save -o "$tar" busybox
    run -0 "$BERTH" load -q -i "$tar"
    mkdir "$BATS_TEST_TMPDIR/root" && echo hi >"$BATS_TEST_TMPDIR/root/hi"
    tar -C "$BATS_TEST_TMPDIR/root" -cf "$BATS_TEST_TMPDIR/root.tar" .
    run -0 "$BERTH" import "$BATS_TEST_TMPDIR/root.tar" ev-import:1
    run -0 evs "$t0" --filter type=image --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}'
    bb=$("$BERTH" image inspect -f '{{.Id}}' busybox)
    imp=$("$BERTH" image inspect -f '{{.Id}}' ev-import:1)
    [ "$output" = "save $bb $bb
load $bb $bb
import $imp $imp" ]
    run -0 "$BERTH" rmi ev-import:1
}

@test "events --since/--until/--filter select; bad ones are refused" {
    t0=$(now)
    run -0 "$BERTH" run --name ev-f1 --label app=one busybox true
    sleep 0.1
    t1=$(now)
    run -0 "$BERTH" run --name ev-f2 --label app=two busybox true
    run -0 evs "$t1" --filter event=start --format '{{.Actor.Attributes.name}}'
    [ "$output" = ev-f2 ]
    run -0 "$BERTH" events --since "$t0" --until "$t1" --filter event=start --format '{{.Actor.Attributes.name}}'
    [ "$output" = ev-f1 ]
    run -0 evs "$t0" --filter label=app=two --filter event=die --format '{{.Actor.Attributes.name}}'
    [ "$output" = ev-f2 ]
    run -0 evs "$t0" --filter label=app --filter event=create --format '{{.Actor.Attributes.name}}'
    [ "$(echo $output)" = "ev-f1 ev-f2" ]
    run -0 evs "$t0" --filter container=ev-f1 --format '{{.Action}}'
    [ "$(echo $output)" = "create attach start die" ]
    run -0 evs "$t0" --filter image=busybox --filter event=create --format '{{.Actor.Attributes.name}}'
    [ "$(echo $output)" = "ev-f1 ev-f2" ]
    run -0 evs "$t0" --filter type=volume
    [ -z "$output" ]
    run -0 evs 1m --filter container=ev-f1 --filter event=create --format '{{.Actor.Attributes.name}}'
    [ "$output" = ev-f1 ]
    run -125 "$BERTH" events --filter nope=1 --until 0s
    [ "$output" = "berth: invalid filter 'nope'" ]
    run -125 "$BERTH" events --filter nokey
    [[ "$output" == *"bad format of filter"* ]]
    run -125 "$BERTH" events --since yesterday
    [[ "$output" == *"invalid value 'yesterday' for --since"* ]]
    run -0 api GET '/v1.41/events?since=abc'
    [ "${lines[-1]}" = "HTTP 400" ]
    [ "${lines[0]}" = '{"message":"invalid value for since: '"'abc'"'"}' ]
    run -0 api GET '/events?since=10&until=5'
    [ "${lines[0]}" = '{"message":"`since` time (10) cannot be after `until` time (5)"}' ]
    run -0 api GET '/events?until=1&filters=%7Bnot%20json'
    [ "${lines[-1]}" = "HTTP 400" ]
}

@test "events: RFC 3339 since and until on the API" {
    t0=$(now)
    run -0 "$BERTH" create --name ev-rfc busybox true
    from=$(date -u -d "@${t0%.*}" +%Y-%m-%dT%H:%M:%SZ)
    to=$(date -u -d "@$(($(date +%s) + 1))" +%Y-%m-%dT%H:%M:%S.000000000+00:00)
    run -0 api GET "/events?since=$from&until=${to/+/%2B}"
    [ "${lines[-1]}" = "HTTP 200" ]
    grep -q '"Action":"create".*"name":"ev-rfc"' <<<"$output"
}

@test "events: a streaming berth events sees a start as it happens" {
    out=$BATS_TEST_TMPDIR/stream
    "$BERTH" events --filter event=start --format '{{.Actor.Attributes.name}}' >"$out" 2>&1 3>&- &
    pid=$!
    sleep 0.3
    run -0 "$BERTH" run -d --name ev-stream busybox sleep 100
    wait_for grep -qx ev-stream "$out"
    kill "$pid"
    wait "$pid" || true
    [ "$(cat "$out")" = ev-stream ]
}

@test "events --until in the future: the stream ends then" {
    start=$(date +%s)
    run -0 "$BERTH" events --until 2s
    [ $(($(date +%s) - start)) -le 1 ]
    run -0 timeout 10 "$BERTH" events --since 0s --until "$(($(date +%s) + 2))"
    [ $(($(date +%s) - start)) -ge 2 ]
}

# The exit codes of the die events of container $1 since $2.
dies() {
    evs "$2" --filter event=die --filter container="$1" --format '{{.Actor.Attributes.exitCode}}'
}

# restarted_dies NAME SINCE CODE: after a SIGKILL and a start of berthd,
# container NAME has exactly one die since SINCE, with exit code CODE.
restarted_dies() {
    engine_stop_daemon KILL
    engine_start_daemon
    run -0 dies "$1" "$2"
    [ "$output" = "$3" ]
}

@test "events: a die while berthd is SIGKILLed shows once after restart, not again" {
    t0=$(now)
    run -0 "$BERTH" run -d --name ev-down busybox sh -c 'sleep 1; exit 7'
    id=$output
    engine_stop_daemon KILL
    wait_for test -f "$ENGINE_DIR/data/containers/$id/exit.json"
    engine_start_daemon
    run -0 dies ev-down "$t0"
    [ "$output" = 7 ]
    restarted_dies ev-down "$t0" 7
    # the import record lost (a SIGKILL before it was written): the log's
    # own marks keep the line from coming twice
    rm "$ENGINE_DIR/data/containers/$id/events.imported"
    restarted_dies ev-down "$t0" 7
}

@test "events: a shim that died while berthd was down gets one die (255)" {
    t0=$(now)
    run -0 "$BERTH" run -d --name ev-shim busybox sleep 100
    id=$output
    shim=$(jq .ShimPid "$ENGINE_DIR/data/containers/$id/state.json")
    engine_stop_daemon KILL
    kill -KILL "$shim"
    engine_start_daemon
    run -0 dies ev-shim "$t0"
    [ "$output" = 255 ]
    restarted_dies ev-shim "$t0" 255
}

@test "events: rm -f imports the die before the destroy" {
    t0=$(now)
    run -0 "$BERTH" run -d --name ev-rmf busybox sleep 100
    id=$output
    run -0 "$BERTH" rm -f ev-rmf
    run -0 evs "$t0" --filter container="$id" --format '{{.Action}}'
    [ "$(echo $output)" = "create start kill die destroy" ]
}

@test "events: the log keeps its newest half past 8 MiB" {
    log=$ENGINE_DIR/data/events.jsonl
    engine_stop_daemon TERM
    line='{"status":"old","id":"x","Type":"container","Action":"old","Actor":{"ID":"x","Attributes":{}},"scope":"local","time":1,"timeNano":1000000000}'
    yes "$line" | head -c $((9 << 20)) | sed '$d' >>"$log"
    engine_start_daemon
    t0=$(now)
    run -0 "$BERTH" volume create ev-trim
    size=$(stat -c %s "$log")
    [ "$size" -le $((8 << 20)) ]
    [ "$size" -ge $((4 << 20)) ]
    tail -1 "$log" | grep -q '"Action":"create".*"ID":"ev-trim"'
    run -0 evs "$t0" --filter type=volume --format '{{.Action}} {{.Actor.ID}}'
    [ "$output" = "create ev-trim" ]
    run -0 "$BERTH" volume rm ev-trim
}

@test "events: the shim's oom reaches the log before its die" {
    wl=${BERTH_WORKLOADS:-$(cd "$(dirname "$BERTH_SHIM")/../../tests/workloads" 2>/dev/null && pwd)}
    [ -x "$wl/memory_hog" ] || skip "no memory_hog: set BERTH_WORKLOADS or build tests/workloads"
    t0=$(now)
    run -137 "$BERTH" run --name ev-oom --memory 32m -v "$wl/memory_hog:/memory_hog:ro" busybox \
        /memory_hog 4 0 10
    run -0 evs "$t0" --filter container=ev-oom --filter event=oom --filter event=die \
        --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'
    [ "${lines[0]}" = "oom ev-oom <no value>" ]
    [ "${lines[-1]}" = "die ev-oom 137" ]
}
