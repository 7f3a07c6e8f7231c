#!/usr/bin/env bats
# The engine, second slice (issue 13): create, start -a, kill -s, inspect,
# wait, info, restart, rename, pause/unpause, top, ps --filter/--format and
# exec, through berth against a private daemon (engine-helpers.bash).

load engine-helpers

@test "create, then start -a: the output and the exit status" {
    run -0 "$BERTH" create --name "c-$BATS_TEST_NUMBER" busybox sh -c 'echo made; exit 5'
    id=$output
    [[ "$id" =~ ^[0-9a-f]{64}$ ]]
    run -0 "$BERTH" ps -a --filter "name=c-$BATS_TEST_NUMBER" --format '{{.State}} {{.Status}}'
    [ "$output" = "created Created" ]
    run -5 "$BERTH" start -a "c-$BATS_TEST_NUMBER"
    [ "$output" = made ]
    run -0 "$BERTH" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "${id:0:12}"
    [ "$output" = "exited 5" ]
    # a second start without -a prints the name, as docker's
    run -0 "$BERTH" start "c-$BATS_TEST_NUMBER"
    [ "$output" = "c-$BATS_TEST_NUMBER" ]
    run -0 "$BERTH" wait "c-$BATS_TEST_NUMBER"
    [ "$output" = 5 ]
}

@test "kill -s: the signal reaches the container; wait prints its status" {
    run -0 "$BERTH" run -d --name "k-$BATS_TEST_NUMBER" busybox sh -c 'trap "exit 9" USR1; echo ready; while :; do sleep 0.1; done'
    wait_for sh -c "'$BERTH' logs k-$BATS_TEST_NUMBER | grep -q ready"
    run -0 "$BERTH" kill -s USR1 "k-$BATS_TEST_NUMBER"
    [ "$output" = "k-$BATS_TEST_NUMBER" ]
    run -0 "$BERTH" wait "k-$BATS_TEST_NUMBER"
    [ "$output" = 9 ]
    run -1 "$BERTH" kill "k-$BATS_TEST_NUMBER"
    [[ "$output" == *"is not running"* ]]
    run -1 "$BERTH" kill -s NOSUCHSIG "k-$BATS_TEST_NUMBER"
    [[ "$output" == *"invalid signal"* ]]
}

@test "inspect: docker's JSON, an array; -f templates; unknown fields and containers fail" {
    run -0 "$BERTH" run -d --name "i-$BATS_TEST_NUMBER" --label tier=web busybox sleep 60
    id=$output
    run -0 "$BERTH" inspect "i-$BATS_TEST_NUMBER"
    echo "$output" | jq -e --arg id "$id" '.[0].Id == $id and .[0].State.Running == true and
        .[0].Name == "/i-'"$BATS_TEST_NUMBER"'" and .[0].Path == "sleep" and .[0].Args == ["60"] and
        .[0].Config.Labels.tier == "web"'
    run -0 "$BERTH" inspect -f '{{.Name}} {{json .Args}} {{.Config.Labels.tier}}' "i-$BATS_TEST_NUMBER"
    [ "$output" = "/i-$BATS_TEST_NUMBER [\"60\"] web" ]
    run -1 "$BERTH" inspect -f '{{.NoSuchField}}' "i-$BATS_TEST_NUMBER"
    [[ "$output" == *"can't evaluate field NoSuchField"* ]]
    run -1 "$BERTH" inspect "i-$BATS_TEST_NUMBER" nosuch-$BATS_TEST_NUMBER
    [[ "$output" == *"No such container: nosuch-$BATS_TEST_NUMBER"* ]]
}

@test "info: counts running, paused and stopped containers; the runtimes" {
    run -0 "$BERTH" run -d --name "a-$BATS_TEST_NUMBER" busybox sleep 60
    run -0 "$BERTH" run -d --name "b-$BATS_TEST_NUMBER" busybox sleep 60
    run -0 "$BERTH" create busybox true
    run -0 "$BERTH" pause "b-$BATS_TEST_NUMBER"
    run -0 "$BERTH" info
    [[ "$output" == *"Containers: 3"* ]]
    # as docker's: a paused container is not counted as running
    [[ "$output" == *"Running: 1"* ]]
    [[ "$output" == *"Paused: 1"* ]]
    [[ "$output" == *"Stopped: 1"* ]]
    [[ "$output" == *"Runtimes: berth runc"* ]]
    [[ "$output" == *"Default Runtime: "* ]]
    [[ "$output" == *"Storage Driver: overlay2"* ]]
    [[ "$output" == *"Docker Root Dir: $ENGINE_DIR/data"* ]]
}

@test "pause freezes the container, unpause thaws it; wrong states are 409s" {
    run -0 "$BERTH" run -d --name "p-$BATS_TEST_NUMBER" busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done'
    id=$output
    wait_for sh -c "'$BERTH' logs p-$BATS_TEST_NUMBER | grep -q '^3$'"
    run -0 "$BERTH" pause "p-$BATS_TEST_NUMBER"
    [ "$output" = "p-$BATS_TEST_NUMBER" ]
    run -0 "$BERTH" ps --filter status=paused --format '{{.Names}}|{{.State}}|{{.Status}}'
    [[ "$output" == "p-$BATS_TEST_NUMBER|paused|Up "*"(Paused)" ]]
    n1=$("$BERTH" logs "p-$BATS_TEST_NUMBER" | wc -l)
    sleep 0.5
    n2=$("$BERTH" logs "p-$BATS_TEST_NUMBER" | wc -l)
    [ "$n1" = "$n2" ]
    run -0 "$BERTH" inspect -f '{{.State.Status}} {{.State.Paused}}' "$id"
    [ "$output" = "paused true" ]
    run -1 "$BERTH" pause "p-$BATS_TEST_NUMBER"
    [[ "$output" == *"is already paused"* ]]
    run -1 "$BERTH" stop "p-$BATS_TEST_NUMBER"
    [[ "$output" == *"is paused"* ]]
    run -1 "$BERTH" exec "p-$BATS_TEST_NUMBER" true
    [[ "$output" == *"is paused"* ]]
    run -0 api POST "/containers/$id/pause"
    [[ "$output" == *'is already paused'*'HTTP 409' ]]
    run -0 "$BERTH" unpause "p-$BATS_TEST_NUMBER"
    wait_for sh -c "[ \$('$BERTH' logs p-$BATS_TEST_NUMBER | wc -l) -gt $n2 ]"
    run -1 "$BERTH" unpause "p-$BATS_TEST_NUMBER"
    [[ "$output" == *"is not paused"* ]]
    # a paused container still goes with rm -f, leaving nothing
    run -0 "$BERTH" pause "p-$BATS_TEST_NUMBER"
    run -0 "$BERTH" rm -f "p-$BATS_TEST_NUMBER"
    [ -z "$(cgroup_dirs_of "$id")" ]
}

@test "top: the container's processes only, with ps's columns and arguments" {
    run -0 "$BERTH" run -d --name "t-$BATS_TEST_NUMBER" busybox sh -c 'sleep 61 & exec sleep 62'
    id=$output
    wait_for sh -c "'$BERTH' top t-$BATS_TEST_NUMBER | grep -q 'sleep 61'"
    run -0 "$BERTH" top "t-$BATS_TEST_NUMBER"
    [[ "${lines[0]}" == "UID"*"PID"*"PPID"*"CMD" ]]
    [ "${#lines[@]}" -eq 3 ]
    [[ "$output" == *"sleep 61"* ]]
    [[ "$output" == *"sleep 62"* ]]
    run -0 "$BERTH" top "t-$BATS_TEST_NUMBER" -o pid,comm
    [[ "${lines[0]}" == "PID"*"COMMAND" ]]
    [ "${#lines[@]}" -eq 3 ]
    run -0 api GET "/containers/$id/top?ps_args=-o%20comm"
    [[ "$output" == *'Couldn'"'"'t find PID field'*'HTTP 400' ]]
    run -0 "$BERTH" stop -t 0 "t-$BATS_TEST_NUMBER"
    run -1 "$BERTH" top "t-$BATS_TEST_NUMBER"
    [[ "$output" == *"is not running"* ]]
}

@test "rename: durable in the record, old name gone; conflicts and bad names refused" {
    run -0 "$BERTH" run -d --name "old-$BATS_TEST_NUMBER" busybox sleep 60
    id=$output
    run -0 "$BERTH" create --name "other-$BATS_TEST_NUMBER" busybox true
    run -0 "$BERTH" rename "old-$BATS_TEST_NUMBER" "new-$BATS_TEST_NUMBER"
    [ -z "$output" ]
    jq -e --arg n "new-$BATS_TEST_NUMBER" '.Name == $n' "$ENGINE_DIR/data/containers/$id/container.json"
    run -0 "$BERTH" inspect -f '{{.Name}} {{.State.Status}}' "new-$BATS_TEST_NUMBER"
    [ "$output" = "/new-$BATS_TEST_NUMBER running" ]
    run -1 "$BERTH" inspect "old-$BATS_TEST_NUMBER"
    run -1 "$BERTH" rename "new-$BATS_TEST_NUMBER" "other-$BATS_TEST_NUMBER"
    [[ "$output" == *'The container name "/other-'"$BATS_TEST_NUMBER"'" is already in use'* ]]
    run -1 "$BERTH" rename "new-$BATS_TEST_NUMBER" 'bad/name'
    [[ "$output" == *"Invalid container name (bad/name)"* ]]
    run -1 "$BERTH" rename "new-$BATS_TEST_NUMBER"
    [[ "$output" == *"rename needs two arguments"* ]]
    jq -e --arg n "new-$BATS_TEST_NUMBER" '.Name == $n' "$ENGINE_DIR/data/containers/$id/container.json"
    # the records are the truth: a restarted daemon knows the new name
    engine_stop_daemon KILL
    engine_start_daemon
    run -0 "$BERTH" ps --format '{{.Names}}' --filter "id=${id:0:12}"
    [ "$output" = "new-$BATS_TEST_NUMBER" ]
}

@test "restart -t: a new run of the same container, its log kept" {
    run -0 "$BERTH" run -d --name "r-$BATS_TEST_NUMBER" busybox sh -c 'echo run; exec sleep 60'
    id=$output
    wait_for grep -q run "$ENGINE_DIR/data/containers/$id/$id-json.log"
    pid1=$("$BERTH" inspect -f '{{.State.Pid}}' "$id")
    run -0 "$BERTH" restart -t 1 "r-$BATS_TEST_NUMBER"
    [ "$output" = "r-$BATS_TEST_NUMBER" ]
    run -0 "$BERTH" inspect -f '{{.State.Status}}' "$id"
    [ "$output" = running ]
    pid2=$("$BERTH" inspect -f '{{.State.Pid}}' "$id")
    [ "$pid1" != "$pid2" ]
    ! kill -0 "$pid1" 2>/dev/null
    wait_for sh -c "[ \$(grep -c run '$ENGINE_DIR/data/containers/$id/$id-json.log') -eq 2 ]"
    # an exited one starts again too
    run -0 "$BERTH" stop -t 0 "$id"
    run -0 "$BERTH" restart "$id"
    run -0 "$BERTH" inspect -f '{{.State.Running}}' "$id"
    [ "$output" = true ]
    run -1 "$BERTH" restart -t x "$id"
    [[ "$output" == *"invalid value 'x' for -t"* ]]
}

@test "ps --filter name=|status=|label= and --format table|json|template" {
    run -0 "$BERTH" run -d --name "web-$BATS_TEST_NUMBER" --label tier=web busybox sleep 60
    run -0 "$BERTH" run -d --name "db-$BATS_TEST_NUMBER" --label tier=db busybox sleep 60
    run -0 "$BERTH" create --name "idle-$BATS_TEST_NUMBER" --label tier=web busybox true
    run -0 "$BERTH" ps --filter label=tier=web --format '{{.Names}}'
    [ "$output" = "web-$BATS_TEST_NUMBER" ]
    run -0 "$BERTH" ps -a --filter label=tier=web --format '{{.Names}}'
    [ "$(echo "$output" | sort | tr '\n' ' ')" = "idle-$BATS_TEST_NUMBER web-$BATS_TEST_NUMBER " ]
    run -0 "$BERTH" ps --filter status=created --format '{{.Names}}'
    [ "$output" = "idle-$BATS_TEST_NUMBER" ]
    run -0 "$BERTH" ps --filter "name=db-$BATS_TEST_NUMBER" --filter label=tier --format json
    echo "$output" | jq -e --arg n "db-$BATS_TEST_NUMBER" '.Names == $n and .State == "running" and
        (.ID | length) == 12 and .Command == "\"sleep 60\"" and .Image == "busybox" and
        .Labels == "tier=db" and (.Status | startswith("Up ")) and (.CreatedAt | endswith("+0000 UTC"))'
    run -0 "$BERTH" ps --filter "name=db-$BATS_TEST_NUMBER" --format 'table {{.ID}}\t{{.Names}}\t{{.State}}'
    [[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAMES\ +STATE$ ]]
    [[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +db-$BATS_TEST_NUMBER\ +running$ ]]
    run -0 "$BERTH" ps --filter "name=nomatch-$BATS_TEST_NUMBER" -q
    [ -z "$output" ]
    run -1 "$BERTH" ps --filter bogus=1
    [[ "$output" == *"invalid filter 'bogus'"* ]]
    run -1 "$BERTH" ps --filter noequals
    [[ "$output" == *"bad format of filter 'noequals'"* ]]
    run -1 "$BERTH" ps --format '{{.Nope}}'
    [[ "$output" == *"can't evaluate field Nope"* ]]
}

@test "exec: output, stderr apart, exit status, -e -w -u, -i, -d" {
    run -0 "$BERTH" run -d --name "x-$BATS_TEST_NUMBER" busybox sleep 60
    id=$output
    run -3 --separate-stderr "$BERTH" exec "x-$BATS_TEST_NUMBER" sh -c 'echo out; echo err >&2; exit 3'
    [ "$output" = out ]
    [ "$stderr" = err ]
    run -0 "$BERTH" exec -e X=1 -w /tmp -u 1000:1001 "x-$BATS_TEST_NUMBER" sh -c 'echo $X $(pwd) $(id -u):$(id -g)'
    [ "$output" = "1 /tmp 1000:1001" ]
    run -0 sh -c "printf 'a\nb\n' | '$BERTH' exec -i x-$BATS_TEST_NUMBER wc -l"
    [ "$output" = 2 ]
    # the process runs in the container: its PID namespace, its root
    run -0 "$BERTH" exec "x-$BATS_TEST_NUMBER" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; hostname'
    [ "${lines[0]}" = "sleep 60 " ]
    [ "${lines[1]}" = "${id:0:12}" ]
    run -0 "$BERTH" exec -d "x-$BATS_TEST_NUMBER" sh -c 'echo detached > /tmp/mark'
    [ -z "$output" ]
    wait_for "$BERTH" exec "x-$BATS_TEST_NUMBER" test -f /tmp/mark
    run -127 "$BERTH" exec "x-$BATS_TEST_NUMBER" no-such-command
    [[ "$output" == *"no-such-command"* ]]
    run -1 "$BERTH" exec -u nobody "x-$BATS_TEST_NUMBER" true
    [[ "$output" == *"user 'nobody' is not supported"* ]]
    run -1 "$BERTH" exec -w relative "x-$BATS_TEST_NUMBER" true
    [[ "$output" == *"needs to be an absolute path"* ]]
    run -0 "$BERTH" exec -t "x-$BATS_TEST_NUMBER" tty # engine-tty.bats: the rest of -t
    [[ "$output" == "/dev/pts/"* ]]
    run -1 "$BERTH" exec "x-$BATS_TEST_NUMBER"
    [[ "$output" == *"exec needs a container and a command"* ]]
    # no zombie is left in the shim: every exec was reaped
    shim=$(engine_shim_pids | head -1)
    [ -z "$(ps -o stat= --ppid "$shim" | grep Z)" ]
    run -0 "$BERTH" stop -t 0 "x-$BATS_TEST_NUMBER"
    run -1 "$BERTH" exec "x-$BATS_TEST_NUMBER" true
    [[ "$output" == *"is not running"* ]]
}

@test "API exec: create, start (plain stream), json with the exit code; errors" {
    run -0 "$BERTH" run -d busybox sleep 60
    id=$output
    run -0 api POST "/containers/$id/exec" '{"Cmd":["sh","-c","echo hi; exit 6"],"AttachStdout":true}'
    [[ "$output" == *'HTTP 201' ]]
    eid=$(echo "${lines[0]}" | jq -r .Id)
    run -0 api GET "/exec/$eid/json"
    echo "${lines[0]}" | jq -e '.Running == false and .ExitCode == null and .ProcessConfig.entrypoint == "sh"'
    curl -s --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' -d '{}' \
        -o "$ENGINE_DIR/exec.out" "http://berth/v1.41/exec/$eid/start"
    # one stdout frame: header 1 0 0 0 and the size 3, then "hi\n"
    [ "$(od -An -tx1 "$ENGINE_DIR/exec.out" | tr -d ' \n')" = "010000000000000368690a" ]
    run -0 api GET "/exec/$eid/json"
    echo "${lines[0]}" | jq -e --arg c "$id" '.ExitCode == 6 and .Running == false and .ContainerID == $c'
    run -0 api POST "/exec/$eid/start" '{}'
    [[ "$output" == *'has already run'*'HTTP 409' ]]
    run -0 api GET "/exec/nosuch/json"
    [[ "$output" == *'No such exec instance: nosuch'*'HTTP 404' ]]
    run -0 api POST "/containers/$id/exec" '{"Cmd":[]}'
    [[ "$output" == *'No exec command specified'*'HTTP 400' ]]
    run -0 api POST "/containers/$id/exec" '{"Cmd":["true"],"Privileged":true}'
    [[ "$output" == *'exec option Privileged is not supported'*'HTTP 400' ]]
    run -0 api POST "/containers/$id/exec" 'not json'
    [[ "$output" == *'invalid JSON'*'HTTP 400' ]]
}

@test "container prune: every container that does not run, with label and until filters; container ls" {
    "$BERTH" run -d --name pr-up busybox sleep 1000
    "$BERTH" create --name pr-made busybox true
    "$BERTH" run --name pr-done --label keep=yes busybox sh -c 'head -c 5000 /dev/zero >/f'
    "$BERTH" run --name pr-old busybox true
    # a label filter keeps the others
    run -0 "$BERTH" container prune -f --filter label=keep=yes
    [[ "$output" == *"Deleted Containers:"* ]]
    [[ "$output" == *"Total reclaimed space: 5kB"* ]]
    run -0 "$BERTH" container ls -a --format '{{.Names}}'
    [ "$(sort <<<"$output" | tr '\n' ' ')" = "pr-made pr-old pr-up " ]
    # until: made before a time in the past keeps them all
    run -0 "$BERTH" container prune -f --filter until=2000-01-01T00:00:00Z
    [[ "$output" == *"Total reclaimed space: 0B"* ]]
    [ "$("$BERTH" ps -a -q | wc -l)" = 3 ]
    # without -f it asks; no is no
    run -0 "$BERTH" container prune <<<n
    [[ "$output" == *"Are you sure you want to continue? [y/N]"* ]]
    [ "$("$BERTH" ps -a -q | wc -l)" = 3 ]
    run -0 "$BERTH" container prune <<<y
    run -0 "$BERTH" ps -a --format '{{.Names}}'
    [ "$output" = pr-up ]
    run -1 "$BERTH" container prune -f --filter dangling=true
    [[ "$output" == *"invalid filter 'dangling'"* ]]
    if [ -n "$(command -v docker)" ]; then
        "$BERTH" create --name pr-d busybox true
        run -0 docker -H "unix://$SOCK" container prune -f
        [[ "$output" == *"Deleted Containers:"* ]]
        [ "$("$BERTH" ps -a --format '{{.Names}}')" = pr-up ]
    fi
}
