#!/usr/bin/env bats
# Placement by measured load (issue 17): --cpuset-cpus auto[:N] picks the
# least loaded CPUs from berthd's /proc/stat samples and the CPUs it gave
# other containers; --placement spread|pack with --cpus; update re-places.
# The load is a busy loop on the host pinned with taskset, stopped by PID.

load engine-helpers

setup_file() {
    [ "$(nproc)" -ge 2 ] || skip "placement needs two CPUs"
    command -v taskset >/dev/null || skip "needs taskset (util-linux)"
    engine_setup_file
}

teardown() {
    hog_stop
    engine_teardown
}

# hog CPU: the seeds' cpu_hog (from $BERTH_WORKLOADS, as engine-memory.bats
# finds it) pinned to CPU on the host, its PID in $ENGINE_DIR/hog.pid
hog() {
    local wl=${BERTH_WORKLOADS:-$(cd "$(dirname "$BERTH_SHIM")/../../tests/workloads" 2>/dev/null && pwd)}
    taskset -c "$1" "$wl/cpu_hog" >/dev/null 3>&- &
    echo $! >"$ENGINE_DIR/hog.pid"
    disown
}

hog_stop() {
    local pid
    pid=$(cat "$ENGINE_DIR/hog.pid" 2>/dev/null) || return 0
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$ENGINE_DIR/hog.pid"
}

placed() { "$BERTH" inspect "$1" | jq -r '.[0].Placement.Cpus'; }
# what placement saw (shown when a test fails)
loads() { "$BERTH" inspect "$1" | jq -c '.[0].Placement | [.Cpus, .Loads]'; }
allowed() { "$BERTH" exec "$1" grep Cpus_allowed_list /proc/self/status | cut -f2; }

# the CPU of the pair {0,1} that is not $1
other() { echo $((1 - $1)); }

@test "--cpuset-cpus auto: a new container goes to the CPU the host does not load" {
    for busy in 0 1; do
        hog "$busy"
        # the window (3 s) holds only this hog's time
        sleep 3.5
        id=$("$BERTH" run -d --cpuset-cpus auto busybox sleep 1000)
        loads "$id"
        [ "$(placed "$id")" = "$(other "$busy")" ]
        [ "$(allowed "$id")" = "$(other "$busy")" ]
        run -0 "$BERTH" inspect "$id"
        # what it saw: the loaded CPU measured busy, the asked value kept
        [ "$(jq -r ".[0].Placement.Loads[] | select(.Cpu == $busy) | .Measured > 0.5" <<<"$output")" = true ]
        [ "$(jq -r '.[0].HostConfig.CpusetCpus' <<<"$output")" = auto ]
        "$BERTH" rm -f "$id" >/dev/null
        hog_stop
    done
}

@test "a CPU given to a running container counts: two auto containers get different CPUs" {
    a=$("$BERTH" run -d --cpuset-cpus auto busybox sleep 1000)
    b=$("$BERTH" run -d --cpuset-cpus auto busybox sleep 1000)
    [ "$(placed "$a")" != "$(placed "$b")" ]
    run -0 "$BERTH" inspect "$b"
    [ "$(jq -r ".[0].Placement.Loads[] | select(.Cpu == $(placed "$a")) | .Committed" <<<"$output")" = 1 ]
    # auto:2 takes both, whatever they carry
    c=$("$BERTH" run -d --cpuset-cpus auto:2 busybox sleep 1000)
    [ "$(placed "$c")" = 0-1 ]
    [ "$(allowed "$c")" = 0-1 ]
}

@test "a restart keeps placing: the stopped container is placed again at its start" {
    id=$("$BERTH" run -d --cpuset-cpus auto busybox sleep 1000)
    first=$(placed "$id")
    "$BERTH" stop -t 0 "$id" >/dev/null
    hog "$first"
    sleep 3.5
    "$BERTH" start "$id" >/dev/null
    [ "$(placed "$id")" = "$(other "$first")" ]
    [ "$(allowed "$id")" = "$(other "$first")" ]
}

@test "update --cpuset-cpus auto re-places a running container" {
    id=$("$BERTH" run -d --cpuset-cpus 0 busybox sleep 1000)
    [ "$(allowed "$id")" = 0 ]
    hog 0
    sleep 3.5
    "$BERTH" update --cpuset-cpus auto "$id" >/dev/null
    [ "$(placed "$id")" = 1 ]
    [ "$(allowed "$id")" = 1 ]
}

# The CPU the policy must pick from the loads placement reports (one CPU):
# spread the least loaded (max of measured and committed), ties to the one
# given less; pack the one given most among those with room for NEED.
expected() { # ID POLICY NEED
    "$BERTH" inspect "$1" | jq -r --arg pol "$2" --argjson need "$3" '
        .[0].Placement.Loads | map(. + {L: ([.Measured, .Committed] | max)}) |
        (map(select(.L + $need <= 1.000001))) as $room |
        if $pol == "pack" and ($room | length) > 0
        then $room | sort_by(-.Committed, -.L, .Cpu) | .[0].Cpu
        else sort_by(.L, .Committed, .Cpu) | .[0].Cpu end'
}

@test "BerthPlacement: spread and pack for a container with --cpus" {
    a=$("$BERTH" run -d --cpus 0.5 --cpuset-cpus auto busybox sleep 1000)
    first=$(placed "$a")
    # pack (the CLI's --placement): the CPU given most that has room; on a
    # quiet machine that is a's
    p=$("$BERTH" run -d --cpus 0.3 --placement pack busybox sleep 1000)
    loads "$p"
    [ "$(placed "$p")" = "$(expected "$p" pack 0.3)" ]
    [ "$(allowed "$p")" = "$(placed "$p")" ]
    [ "$("$BERTH" inspect "$p" | jq -r ".[0].Placement.Loads[] | select(.Cpu == $first) | .Committed")" = 0.5 ]
    # spread (the API's field): the least loaded
    run -0 api POST /containers/create '{"Image":"busybox","Cmd":["sleep","1000"],"HostConfig":{"NanoCpus":200000000,"BerthPlacement":"spread"}}'
    s=$(head -1 <<<"$output" | jq -r .Id)
    "$BERTH" start "$s" >/dev/null
    loads "$s"
    [ "$(placed "$s")" = "$(expected "$s" spread 0.2)" ]
    [ "$("$BERTH" inspect "$s" | jq -r '.[0].Placement.Policy')" = spread ]
}

@test "bad placement requests are refused by name, nothing is created" {
    run -125 "$BERTH" run --rm --cpuset-cpus auto:99 busybox true
    [[ "$output" == *"Requested CPUs are not available - requested auto:99"* ]]
    run -125 "$BERTH" run --rm --cpuset-cpus auto:x busybox true
    [[ "$output" == *"invalid value 'auto:x' for HostConfig.CpusetCpus"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"BerthPlacement":"pack"}}'
    [[ "$output" == *"placement pack needs NanoCpus (--cpus) or CpusetCpus auto"* ]]
    [[ "$output" == *"HTTP 400" ]]
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"NanoCpus":1000000000,"CpusetCpus":"0","BerthPlacement":"spread"}}'
    [[ "$output" == *"placement spread cannot go with CpusetCpus 0"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"NanoCpus":1000000000,"BerthPlacement":"wide"}}'
    [[ "$output" == *"invalid placement 'wide': use spread or pack"* ]]
    [ -z "$("$BERTH" ps -aq)" ]
}
