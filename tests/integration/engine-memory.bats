#!/usr/bin/env bats
# Memory soft and hard limits that report (issue 14 item 1): the shim learns
# from the kernel (v1: eventfds on cgroup.event_control; v2: memory.events)
# and writes `memory-soft` and `oom` to the container's events.jsonl; an
# OOM kill shows as OOMKilled in inspect and Exited (137) in ps.
#
# The workload: memory_hog (tests/workloads/memory_hog.c), bind-mounted
# read-only into busybox (until the workloads image lands). It is taken
# from $BERTH_WORKLOADS (a directory holding memory_hog; the v2 lane sets
# /usr/bin), else from the build dir of $BERTH_SHIM
# (BUILD/src/shim/berth-shim -> BUILD/tests/workloads).
#
# Events are read from DATA/containers/ID/events.jsonl (ctr_events), the
# shim's own record, not through `berth events` (written at the same time).
# Runs on both layouts: the v2 lane (scripts/v2-lane.sh berthd) runs this
# file; v2-only checks say so and skip on v1. On v2 the reservation is also
# memory.high, where the kernel throttles (up to 2 s per 256 KiB charged
# when far above it): the workloads here go only a little past it, and a
# hard limit sits just 2 MiB above the reservation.

load engine-helpers

setup_file() {
    engine_setup_file
    WL=${BERTH_WORKLOADS:-$(cd "$(dirname "$BERTH_SHIM")/../../tests/workloads" 2>/dev/null && pwd)}
    [ -x "$WL/memory_hog" ] || {
        echo "no memory_hog in '$WL': set BERTH_WORKLOADS or build tests/workloads" >&2
        return 1
    }
    export HOG="$WL/memory_hog:/memory_hog:ro"
}

# ctr_events ID [ACTION]: the container's events (one JSON object a line),
# only ACTION's when given.
ctr_events() {
    local f=$ENGINE_DIR/data/containers/$1/events.jsonl
    [ -f "$f" ] || return 0
    if [ -n "${2:-}" ]; then
        jq -c --arg a "$2" 'select(.Action == $a)' "$f"
    else
        cat "$f"
    fi
}

# n_events ID ACTION: how many
n_events() {
    ctr_events "$1" "$2" | wc -l
}

has_events() { [ "$(n_events "$1" "$2")" -ge "$3" ]; }
logged() { grep -q "$2" "$ENGINE_DIR/data/containers/$1/$1-json.log"; }
is_v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

@test "memory-soft: one event with usage and limit, the container keeps running" {
    run -0 "$BERTH" run -d --memory-reservation 16m -v "$HOG" busybox /memory_hog 1 18 20
    id=$output
    wait_long 60 logged "$id" "memory_hog: 18 MiB"
    wait_long 5 has_events "$id" memory-soft 1
    sleep 0.5 # a second event would come now
    [ "$(n_events "$id" memory-soft)" -eq 1 ]
    # v2: memory.current read after the kernel reclaimed at memory.high
    min=16777216
    ! is_v2 || min=$((min - 1048576))
    ctr_events "$id" memory-soft | jq -e --argjson min "$min" '.Attributes.limit == "16777216" and
        (.Attributes.usage | tonumber) >= $min and (.timeNano | type) == "number"'
    run -0 "$BERTH" ps
    [[ "$output" == *"Up "* ]]
    [ "$(n_events "$id" oom)" -eq 0 ]
    run -0 "$BERTH" rm -f "$id"
}

@test "memory-soft: each upward crossing after going back below is one more event" {
    # three hogs one after the other: each crosses 16m, then frees all of it
    run -0 "$BERTH" run -d --memory-reservation 16m -v "$HOG" busybox sh -c \
        'for i in 1 2 3; do timeout 4 /memory_hog 1 18 10; sleep 0.5; done; echo all-done; sleep 600'
    id=$output
    wait_long 60 logged "$id" all-done
    wait_long 5 has_events "$id" memory-soft 3
    sleep 0.3
    [ "$(n_events "$id" memory-soft)" -eq 3 ]
    run -0 "$BERTH" ps
    [[ "$output" == *"Up "* ]]
    run -0 "$BERTH" rm -f "$id"
}

@test "update --memory-reservation of a running container moves the soft limit the shim watches" {
    run -0 "$BERTH" run -d --memory-reservation 64m -v "$HOG" busybox sh -c \
        'while [ ! -e /go ]; do sleep 0.1; done; /memory_hog 1 18 20'
    id=$output
    run -0 "$BERTH" update --memory-reservation 16m "$id"
    run -0 "$BERTH" exec "$id" touch /go
    wait_long 60 logged "$id" "memory_hog: 18 MiB"
    wait_long 5 has_events "$id" memory-soft 1
    ctr_events "$id" memory-soft | jq -e '.Attributes.limit == "16777216"'
    run -0 "$BERTH" rm -f "$id"
}

@test "no reservation: no memory-soft event" {
    run -0 "$BERTH" run -d -v "$HOG" busybox /memory_hog 1 20 10
    id=$output
    wait_long 30 logged "$id" "memory_hog: 20 MiB"
    sleep 0.3
    [ "$(n_events "$id" memory-soft)" -eq 0 ]
    run -0 "$BERTH" rm -f "$id"
}

@test "soft then hard: memory-soft while running, then the OOM kill of the init" {
    run -0 "$BERTH" run -d --memory-reservation 24m --memory 26m -v "$HOG" busybox \
        /memory_hog 1 0 20
    id=$output
    run -0 api POST "/containers/$id/wait"
    [ "$(head -1 <<<"$output" | jq .StatusCode)" = 137 ]
    [ "$(n_events "$id" memory-soft)" -eq 1 ]
    [ "$(n_events "$id" oom)" -ge 1 ]
    # docker's order: the soft limit, the oom, then the die with 137
    run -0 jq -r .Action "$ENGINE_DIR/data/containers/$id/events.jsonl"
    [ "${lines[0]}" = memory-soft ]
    [ "${lines[1]}" = oom ]
    [ "${lines[-1]}" = die ]
    ctr_events "$id" die | jq -e '.Attributes.exitCode == "137"'
    run -0 "$BERTH" ps -a
    [[ "$output" == *"Exited (137)"* ]]
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].State.OOMKilled == true and .[0].State.ExitCode == 137' <<<"$output"
    run -0 "$BERTH" rm "$id"
}

@test "an OOM kill of a child: the oom event, and OOMKilled though the init exits 3" {
    run -0 "$BERTH" run -d --memory 16m -v "$HOG" busybox sh -c '/memory_hog 1 0 5; exit 3'
    id=$output
    run -0 api POST "/containers/$id/wait"
    [ "$(head -1 <<<"$output" | jq .StatusCode)" = 3 ]
    [ "$(n_events "$id" oom)" -ge 1 ]
    run -0 "$BERTH" ps -a
    [[ "$output" == *"Exited (3)"* ]]
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].State.OOMKilled == true and .[0].State.ExitCode == 3' <<<"$output"
    jq -e '.OOMKilled == true' "$ENGINE_DIR/data/containers/$id/exit.json"
    run -0 "$BERTH" rm "$id"
}

@test "no OOM: OOMKilled false, no oom event" {
    run -0 "$BERTH" run -d --memory 32m -v "$HOG" busybox sh -c '/memory_hog 1 8 1 & sleep 1; exit 0'
    id=$output
    run -0 api POST "/containers/$id/wait"
    [ "$(head -1 <<<"$output" | jq .StatusCode)" = 0 ]
    [ "$(n_events "$id" oom)" -eq 0 ]
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].State.OOMKilled == false' <<<"$output"
    run -0 "$BERTH" rm "$id"
}

@test "the shim reports while berthd is down" {
    run -0 "$BERTH" run -d --memory-reservation 24m --memory 26m -v "$HOG" busybox sh -c \
        'sleep 1; /memory_hog 1 0 10'
    id=$output
    engine_stop_daemon TERM
    wait_long 30 has_events "$id" die 1
    [ "$(n_events "$id" memory-soft)" -eq 1 ]
    [ "$(n_events "$id" oom)" -ge 1 ]
    engine_start_daemon
    run -0 "$BERTH" ps -a
    [[ "$output" == *"Exited (137)"* ]]
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].State.OOMKilled == true' <<<"$output"
    run -0 "$BERTH" rm "$id"
}

@test "v2: the reservation is memory.high and memory.low" {
    is_v2 || skip "cgroup v2 only (the v2 lane runs it)"
    run -0 "$BERTH" run -d --memory-reservation 16m --memory 64m busybox sleep 600
    id=$output
    dir=$(cgroup_dirs_of "$id")
    [ "$(cat "$dir/memory.high")" = 16777216 ]
    [ "$(cat "$dir/memory.low")" = 16777216 ]
    [ "$(cat "$dir/memory.max")" = 67108864 ]
    run -0 "$BERTH" rm -f "$id"
}

@test "v1: the reservation is memory.soft_limit_in_bytes, the limit stays hard" {
    ! is_v2 || skip "cgroup v1 only"
    run -0 "$BERTH" run -d --memory-reservation 16m --memory 64m busybox sleep 600
    id=$output
    dir=$(cgroup_dirs_of "$id" | grep /memory/)
    [ "$(cat "$dir/memory.soft_limit_in_bytes")" = 16777216 ]
    [ "$(cat "$dir/memory.limit_in_bytes")" = 67108864 ]
    run -0 "$BERTH" rm -f "$id"
}

@test "--memory-reservation above --memory is refused, nothing is created" {
    run -125 "$BERTH" run --memory 16m --memory-reservation 32m busybox true
    [[ "$output" == *"Minimum memory limit can not be less than memory reservation limit"* ]]
    [[ "$output" == *"--memory-reservation"* && "$output" == *"--memory"* ]]
    run -125 "$BERTH" create --memory 16m --memory-reservation 32m busybox true
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    # equal is fine, as docker
    run -0 "$BERTH" create --memory 16m --memory-reservation 16m busybox true
    run -0 "$BERTH" rm "$output"
}

@test "negative memory values are refused by name, nothing is created" {
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"MemoryReservation":-1}}'
    [ "$(tail -1 <<<"$output")" = "HTTP 400" ]
    head -1 <<<"$output" | jq -e '.message | test("--memory-reservation.*negative")'
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"Memory":-5}}'
    [ "$(tail -1 <<<"$output")" = "HTTP 400" ]
    head -1 <<<"$output" | jq -e '.message | test("--memory \\(HostConfig.Memory\\).*negative")'
    run -125 "$BERTH" run --memory-reservation -5m busybox true
    [[ "$output" == *"--memory-reservation"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}
