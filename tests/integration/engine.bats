#!/usr/bin/env bats
# The engine, first slice (issue 13): berth (CLI) -> berthd (API) ->
# berth-shim (one per container) -> libberth, against a private daemon.

load engine-helpers

@test "version: the client's and the daemon's" {
    run -0 "$BERTH" version
    [[ "$output" == *"Client:"* ]]
    [[ "$output" == *"Server: berth"* ]]
    [[ "$output" == *"API version: 1.41"* ]]
}

@test "run --rm busybox echo hello: the default image needs no registry" {
    run -0 "$BERTH" run --rm busybox echo hello
    [ "$output" = hello ]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    run -0 "$BERTH" images
    [[ "$output" == *"busybox"*"latest"* ]]
    # the store is an OCI image layout
    jq -e '.manifests[0].annotations["org.opencontainers.image.ref.name"] == "busybox:latest"' \
        "$ENGINE_DIR/data/image/index.json"
    [ -f "$ENGINE_DIR/data/image/oci-layout" ]
    ls "$ENGINE_DIR/data/image/blobs/sha256" | grep -qE '^[0-9a-f]{64}$'
}

@test "run: the exit status, stdout and stderr come back apart" {
    run -7 --separate-stderr "$BERTH" run --rm busybox sh -c 'echo out; echo err >&2; exit 7'
    [ "$output" = out ]
    [ "$stderr" = err ]
}

@test "run in the foreground passes a SIGTERM on to the container" {
    "$BERTH" run --rm busybox sh -c 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done' \
        >"$ENGINE_DIR/fg.out" 2>&1 3>&- &
    cli=$!
    wait_for grep -q ready "$ENGINE_DIR/fg.out"
    kill -TERM "$cli"
    st=0
    wait "$cli" || st=$?
    [ "$st" = 3 ]
    [ "$(cat "$ENGINE_DIR/fg.out")" = "$(printf 'ready\ngot TERM')" ]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "run -e, -d, --name; ps, ps -q, logs, stop -t, rm" {
    run -0 "$BERTH" run -d --name "web-$BATS_TEST_NUMBER" -e GREETING=hi busybox \
        sh -c 'echo "$GREETING there"; echo oops >&2; exec sleep 60'
    id=$output
    [[ "$id" =~ ^[0-9a-f]{64}$ ]]
    run -0 "$BERTH" ps
    [[ "$output" == *"web-$BATS_TEST_NUMBER"* ]]
    [[ "$output" == *"Up "* ]]
    run -0 "$BERTH" ps -q
    [ "$output" = "${id:0:12}" ]
    wait_for grep -q oops "$ENGINE_DIR/data/containers/$id/$id-json.log"
    run -0 --separate-stderr "$BERTH" logs "web-$BATS_TEST_NUMBER"
    [ "$output" = "hi there" ]
    [ "$stderr" = oops ]
    # docker's json-file lines
    head -1 "$ENGINE_DIR/data/containers/$id/$id-json.log" |
        jq -e '.log == "hi there\n" and .stream == "stdout" and (.time | test("Z$"))'
    SECONDS=0
    run -0 "$BERTH" stop -t 1 "${id:0:8}"
    [ "$output" = "${id:0:8}" ]
    [ "$SECONDS" -le 5 ]
    run -0 "$BERTH" ps -a
    [[ "$output" == *"Exited (137)"* ]]
    run -0 "$BERTH" ps -q
    [ -z "$output" ]
    run -0 "$BERTH" rm "web-$BATS_TEST_NUMBER"
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    [ ! -e "$ENGINE_DIR/data/containers/$id" ]
}

@test "logs: -f follows to the end, --tail, -t" {
    run -0 "$BERTH" run -d busybox sh -c 'for i in 1 2 3 4; do echo line$i; sleep 0.1; done'
    id=$output
    run -0 timeout 10 "$BERTH" logs -f "$id"
    [ "$output" = "$(printf 'line1\nline2\nline3\nline4')" ]
    run -0 "$BERTH" logs --tail 2 "$id"
    [ "$output" = "$(printf 'line3\nline4')" ]
    run -0 "$BERTH" logs --tail 0 "$id"
    [ -z "$output" ]
    run -0 "$BERTH" logs -t --tail 1 "$id"
    [[ "$output" =~ ^20[0-9-]+T[0-9:.]+Z\ line4$ ]]
}

@test "logs: a final line without a newline is kept" {
    run -0 "$BERTH" run -d busybox printf 'no newline'
    id=$output
    run -0 "$BERTH" logs -f "$id"
    [ "$output" = "no newline" ]
}

@test "run --memory sets the cgroup limit; bad sizes are refused" {
    run -0 "$BERTH" run -d --memory 64m busybox sleep 60
    id=$output
    dirs=$(cgroup_dirs_of "$id")
    [ -n "$dirs" ]
    limit=$(cat $(for d in $dirs; do ls "$d"/memory.max "$d"/memory.limit_in_bytes 2>/dev/null; done) | head -1)
    [ "$limit" = $((64 * 1024 * 1024)) ]
    run -0 curl -s --unix-socket "$SOCK" "http://berth/containers/$id/json"
    [ "$(jq .HostConfig.Memory <<<"$output")" = $((64 * 1024 * 1024)) ]
    run -0 "$BERTH" rm -f "$id"
    [ -z "$(cgroup_dirs_of "$id")" ]
    run -125 "$BERTH" run --rm --memory 12XB busybox true
    [ "$output" = "berth: invalid value '12XB' for --memory: a size (512m, 1g) expected" ]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "the OOM verdict: the shim records it, inspect shows it" {
    run -0 "$BERTH" run -d --memory 8m busybox sh -c 'x=$(head -c 50000000 /dev/zero | tr "\0" x)'
    id=$output
    run -0 api POST "/containers/$id/wait"
    [ "$(head -1 <<<"$output" | jq .StatusCode)" = 137 ]
    run -0 api GET "/containers/$id/json"
    [ "$(head -1 <<<"$output" | jq .State.OOMKilled)" = true ]
    jq -e '.OOMKilled == true and .ExitCode == 137 and .Signal == 9' \
        "$ENGINE_DIR/data/containers/$id/exit.json"
    run -0 "$BERTH" rm "$id"
}

@test "run: the root is an overlay, its writes stay in the container" {
    run -0 "$BERTH" run -d busybox sh -c 'echo x >/bin/written-here && cat /bin/written-here && sleep 60'
    id=$output
    wait_for grep -q '"x\\n"' "$ENGINE_DIR/data/containers/$id/$id-json.log"
    grep -F " $ENGINE_DIR/data/containers/$id/rootfs " /proc/self/mountinfo | grep -q overlay
    [ -f "$ENGINE_DIR/data/containers/$id/upper/bin/written-here" ]
    run -1 "$BERTH" run --rm busybox ls /bin/written-here
    run -0 "$BERTH" rm -f "$id"
    # nothing left: mount, upper dir, shim, cgroup
    ! grep -F "$ENGINE_DIR/data/containers/$id" /proc/self/mountinfo
    [ ! -e "$ENGINE_DIR/data/containers/$id" ]
    [ -z "$(engine_shim_pids)" ]
    [ -z "$(cgroup_dirs_of "$id")" ]
}

@test "run: --network none (the default under berthd --bridge none) and host" {
    run -0 "$BERTH" run --rm busybox ls /sys/class/net
    [ "$output" = lo ]
    run -0 "$BERTH" run --rm --network host busybox ls /sys/class/net
    [ "$(wc -l <<<"$output")" = "$(ls /sys/class/net | wc -l)" ]
    # this file's berthd has no default network (engine-net.bats tests it)
    run -125 "$BERTH" run --rm --network bridge busybox true
    [ "$output" = "berth: network bridge not found" ]
}

@test "names and unique id prefixes address a container; rm of a running one needs -f" {
    run -0 "$BERTH" run -d --name "named-$BATS_TEST_NUMBER" busybox sleep 60
    id=$output
    run -1 "$BERTH" rm "${id:0:6}"
    [[ "$output" == "berth: cannot remove container \"named-$BATS_TEST_NUMBER\": container is running"* ]]
    run -0 "$BERTH" ps -q
    [ "$output" = "${id:0:12}" ]
    run -125 "$BERTH" run -d --name "named-$BATS_TEST_NUMBER" busybox true
    [[ "$output" == *"is already in use"* ]]
    run -0 "$BERTH" rm -f "/named-$BATS_TEST_NUMBER"
    [ -z "$(engine_shim_pids)" ]
}

@test "bad input: unknown container, unknown image, unknown flag, no image" {
    run -1 "$BERTH" logs nosuchcontainer
    [ "$output" = "berth: No such container: nosuchcontainer" ]
    run -1 "$BERTH" stop nosuchcontainer
    [ "$output" = "berth: No such container: nosuchcontainer" ]
    run -1 "$BERTH" rm nosuchcontainer
    [ "$output" = "berth: No such container: nosuchcontainer" ]
    # without --pull never, a missing image is pulled first (engine-imglife.bats)
    run -125 "$BERTH" run --rm --pull never nosuchimage true
    [ "$output" = "berth: No such image: nosuchimage:latest" ]
    # an id (prefix) is named as given, without a tag
    run -1 "$BERTH" image inspect 0123456789ab
    [ "${lines[0]}" = "berth: No such image: 0123456789ab" ]
    run -125 "$BERTH" run --bogus busybox true
    [[ "$output" == "berth: unknown or incomplete flag '--bogus' for run; usage: berth run [OPTIONS] IMAGE"* ]]
    [ "${#lines[@]}" = 1 ]
    run -125 "$BERTH" run
    [[ "$output" == "berth: run needs an image"* ]]
    run -125 "$BERTH" frobnicate
    [ "$output" = "berth: unknown command 'frobnicate'; see --help" ]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "run: a command that cannot start is a one-line error; --rm removes the container" {
    run -125 "$BERTH" run --rm busybox nosuchcmd
    [[ "$output" == "berth: failed to start container "*": cannot find executable 'nosuchcmd' in the container's PATH: No such file or directory" ]]
    [ "$(wc -l <<<"$output")" = 1 ]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    run -125 "$BERTH" run busybox /etc/passwd
    [[ "$output" == *"cannot exec '/etc/passwd': Permission denied" ]]
    run -0 "$BERTH" ps -a
    [[ "$output" == *"Created"* ]]
    [ -z "$(engine_shim_pids)" ]
    ! grep -F "$ENGINE_DIR/data/containers/" /proc/self/mountinfo
}

@test "API: Docker's error JSON and status codes" {
    run -0 api GET /v1.41/containers/nosuch/json
    [ "$(tail -1 <<<"$output")" = "HTTP 404" ]
    [ "$(head -1 <<<"$output" | jq -r .message)" = "No such container: nosuch" ]
    run -0 api POST /v1.41/containers/create 'this is not json'
    [ "$(tail -1 <<<"$output")" = "HTTP 400" ]
    [[ "$(head -1 <<<"$output" | jq -r .message)" == "invalid JSON:"* ]]
    run -0 api POST '/v1.41/containers/create?name=a/b' '{"Image":"busybox"}'
    [ "$(tail -1 <<<"$output")" = "HTTP 400" ]
    [[ "$(head -1 <<<"$output" | jq -r .message)" == "Invalid container name (a/b)"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","Healthcheck":{"Test":["CMD","true"],"Probe":1}}'
    [ "$(tail -1 <<<"$output")" = "HTTP 400" ]
    [ "$(head -1 <<<"$output" | jq -r .message)" = "Healthcheck.Probe is not supported by berth yet" ]
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"UsernsMode":"host"}}'
    [ "$(head -1 <<<"$output" | jq -r .message)" = "HostConfig.UsernsMode is not supported by berth yet" ]
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"PidMode":"container:"}}'
    [ "$(tail -1 <<<"$output")" = "HTTP 400" ]
    [ "$(head -1 <<<"$output" | jq -r .message)" = "invalid --pid 'container:': host or container:NAME expected" ]
    run -0 api POST /containers/create '{"Image":"busybox","Cmd":"not an array"}'
    [ "$(tail -1 <<<"$output")" = "HTTP 400" ]
    run -0 api GET /v1.41/nowhere
    [ "$(tail -1 <<<"$output")" = "HTTP 404" ]
    run -0 api GET /v1.45/_ping
    [ "$(head -1 <<<"$output")" = OK ]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "API: create, start, wait, inspect, kill, 304 on a second stop" {
    run -0 api POST '/containers/create?name=apitest' \
        '{"Image":"busybox","Entrypoint":["sh","-c"],"Cmd":["echo $0 $HOSTNAME; exit 3","arg0"],"Hostname":"hn","WorkingDir":"/tmp","HostConfig":{"NanoCpus":500000000,"PidsLimit":50}}'
    [ "$(tail -1 <<<"$output")" = "HTTP 201" ]
    id=$(head -1 <<<"$output" | jq -r .Id)
    run -0 api GET /containers/apitest/json
    [ "$(head -1 <<<"$output" | jq -r .State.Status)" = created ]
    run -0 api POST /containers/apitest/start
    [ "$(tail -1 <<<"$output")" = "HTTP 204" ]
    run -0 api POST /containers/apitest/wait
    [ "$(head -1 <<<"$output" | jq -c .)" = '{"StatusCode":3,"Error":null}' ]
    run -0 "$BERTH" logs apitest
    [ "$output" = "arg0 hn" ]
    run -0 api GET /containers/apitest/json
    j=$(head -1 <<<"$output")
    [ "$(jq -r .State.Status <<<"$j")" = exited ]
    [ "$(jq -r .State.ExitCode <<<"$j")" = 3 ]
    [ "$(jq -r .State.OOMKilled <<<"$j")" = false ]
    [ "$(jq -r .Path <<<"$j")" = sh ]
    [ "$(jq -r .Config.WorkingDir <<<"$j")" = /tmp ]
    [[ "$(jq -r .State.StartedAt <<<"$j")" == 20* ]]
    [[ "$(jq -r .State.FinishedAt <<<"$j")" == 20* ]]
    run -0 api POST /containers/apitest/kill
    [ "$(tail -1 <<<"$output")" = "HTTP 409" ]
    run -0 api POST /containers/apitest/stop
    [ "$(tail -1 <<<"$output")" = "HTTP 304" ]
    run -0 api DELETE /containers/apitest
    [ "$(tail -1 <<<"$output")" = "HTTP 204" ]
}

@test "API: kill?signal= reaches the container; a bad signal is a 400" {
    run -0 "$BERTH" run -d busybox sh -c 'trap "echo got USR1; exit 0" USR1; while :; do sleep 0.1; done'
    id=$output
    sleep 0.3
    run -0 api POST "/containers/${id:0:10}/kill?signal=NOPE"
    [ "$(tail -1 <<<"$output")" = "HTTP 400" ]
    run -0 api POST "/containers/${id:0:10}/kill?signal=USR1"
    [ "$(tail -1 <<<"$output")" = "HTTP 204" ]
    run -0 api POST "/containers/$id/wait"
    [ "$(head -1 <<<"$output" | jq .StatusCode)" = 0 ]
    run -0 "$BERTH" logs "$id"
    [ "$output" = "got USR1" ]
}

@test "berthd SIGKILL and restart: containers keep running, no log line is lost" {
    run -0 "$BERTH" run -d --name counter busybox sh -c 'i=0; while [ $i -lt 100000 ]; do echo $i; i=$((i+1)); done; sleep 60'
    id=$output
    engine_stop_daemon KILL
    sleep 0.5
    # the shim and the container outlived the daemon
    [ -n "$(engine_shim_pids)" ]
    engine_start_daemon
    run -0 "$BERTH" ps
    [[ "$output" == *"counter"* ]]
    [[ "$output" == *"Up "* ]]
    wait_for grep -q '"99999\\n"' "$ENGINE_DIR/data/containers/$id/$id-json.log"
    run -0 --separate-stderr "$BERTH" logs counter
    [ "${#lines[@]}" = 100000 ]
    [ "$(printf '%s\n' "${lines[@]}" | awk '$1 != NR - 1 { bad++ } END { print bad + 0 }')" = 0 ]
    run -0 "$BERTH" stop -t 0 counter
    run -0 "$BERTH" rm counter
    [ -z "$(engine_shim_pids)" ]
}

@test "berthd restart: a container that exited while it was down shows its exit" {
    run -0 "$BERTH" run -d busybox sh -c 'sleep 0.5; exit 4'
    id=$output
    engine_stop_daemon KILL
    sleep 1
    engine_start_daemon
    run -0 api GET "/containers/$id/json"
    [ "$(head -1 <<<"$output" | jq -r .State.Status)" = exited ]
    [ "$(head -1 <<<"$output" | jq -r .State.ExitCode)" = 4 ]
    run -0 "$BERTH" rm "$id"
}

@test "a shim killed with its container: berthd records the exit and cleans up on rm" {
    run -0 "$BERTH" run -d busybox sleep 60
    id=$output
    shim=$(engine_shim_pids)
    [ -n "$shim" ]
    kill -KILL "$shim"
    engine_stop_daemon KILL
    engine_start_daemon
    run -0 api GET "/containers/$id/json"
    [ "$(head -1 <<<"$output" | jq -r .State.Status)" = exited ]
    [ "$(head -1 <<<"$output" | jq -r .State.Error)" = "the container's shim died" ]
    run -0 "$BERTH" rm "$id"
    ! grep -F "$ENGINE_DIR/data/containers/$id" /proc/self/mountinfo
    [ -z "$(cgroup_dirs_of "$id")" ]
}

@test "the shim's control socket: status, kill, wait, and an unknown request" {
    run -0 "$BERTH" run -d busybox sh -c 'trap "exit 6" TERM; while :; do sleep 0.1; done'
    id=$output
    sock=$ENGINE_DIR/exec/shims/${id:0:12}.sock
    pid=$(jq .Pid "$ENGINE_DIR/data/containers/$id/state.json")
    run -0 curl -s --unix-socket "$sock" telnet://shim <<<status
    [ "$output" = "{\"Status\":\"running\",\"Pid\":$pid,\"LogDrops\":0}" ]
    run -0 curl -s --unix-socket "$sock" telnet://shim <<<bogus
    [ "$output" = '{"Error":"unknown request"}' ]
    # a waiter, then the stop signal through the same socket
    curl -s --unix-socket "$sock" telnet://shim <<<wait >"$ENGINE_DIR/wait.out" 3>&- &
    waiter=$!
    sleep 0.5
    run -0 curl -s --unix-socket "$sock" telnet://shim <<<"kill 15"
    [ "$output" = '{"Ok":true}' ]
    wait "$waiter"
    [ "$(cat "$ENGINE_DIR/wait.out")" = '{"Status":"exited","ExitCode":6,"OOMKilled":false}' ]
    # the shim is gone with its container, and so is its socket
    wait_for test ! -e "$sock"
    [ -z "$(engine_shim_pids)" ]
    run -0 "$BERTH" rm "$id"
}

@test "berthd SIGTERM with a logs -f in flight: it exits at once, the container runs on" {
    run -0 "$BERTH" run -d busybox sh -c 'echo one; sleep 60'
    id=$output
    "$BERTH" logs -f "$id" >"$ENGINE_DIR/follow.out" 2>&1 3>&- &
    follower=$!
    sleep 0.3
    pid=$(cat "$ENGINE_DIR/berthd.pid")
    kill -TERM "$pid"
    wait_for bash -c "! kill -0 $pid 2>/dev/null"
    wait "$follower" || true
    [ ! -e "$SOCK" ]
    [ -n "$(engine_shim_pids)" ]
    rm -f "$ENGINE_DIR/berthd.pid"
    engine_start_daemon
    run -0 "$BERTH" ps -q
    [ "$output" = "${id:0:12}" ]
    run -0 "$BERTH" logs "$id"
    [ "$output" = one ]
    run -0 "$BERTH" rm -f "$id"
}

@test "-H and BERTH_HOST: a socket with no daemon is a one-line error" {
    run -1 "$BERTH" -H "unix://$ENGINE_DIR/none.sock" ps
    [[ "$output" == "berth: cannot connect to the berth daemon at unix://$ENGINE_DIR/none.sock"* ]]
    [ "$(wc -l <<<"$output")" = 1 ]
    BERTH_HOST=unix://$ENGINE_DIR/none.sock run -1 "$BERTH" version
    [[ "$output" == *"cannot connect to the berth daemon"* ]]
}

@test "berthd: dockerd's flags, bad values refused" {
    run -1 "$BERTHD" --log-level loud
    [ "$output" = "berthd: invalid --log-level 'loud' (debug, info, warn, error, fatal)" ]
    run -1 "$BERTHD" --runtime kata -H "unix://$ENGINE_DIR/x.sock"
    [[ "$output" == "berthd: invalid --runtime: unknown or invalid runtime name: kata"* ]]
    run -1 "$BERTHD" -H tcp://127.0.0.1:2375
    [ "$output" = "berthd: -H 'tcp://127.0.0.1:2375' is not supported: only unix://PATH" ]
    run -1 "$BERTHD" --bogus
    [ "$output" = "berthd: invalid option '--bogus'; see --help" ]
    [ ! -e "$ENGINE_DIR/x.sock" ]
}

@test "issue-13: run --rm of a container that exits at once loses none of its output" {
    # the attach used to open the log lazily, after --rm could remove it
    local k
    for k in $(seq 30); do
        run -0 "$BERTH" run --rm busybox echo "line-$k"
        [ "$output" = "line-$k" ]
    done
}
