#!/usr/bin/env bats
# The engine's crash test (issue 13): berthd is SIGKILLed while 20
# containers write numbered log lines as fast as they can, and restarted on
# the same roots. The shims own the containers and their logs, so nothing
# may notice: every container keeps running under the same shim, output
# keeps arriving, and every json-file log ends up complete, 1..N in order,
# no line lost or doubled.

load engine-helpers

# One echo is one write(2), so every line reaches the pipe whole. Each
# writer runs as fast as its CPU quota lets it (--cpus 0.05, in bursts:
# thousands of lines a second each) and yields to everything else
# (--cpu-shares 2), so the engine stays responsive and the logs stay a few
# MiB on a loaded 2-core machine.
WRITER='i=0; while :; do i=$((i+1)); echo $i; done'
COUNT=${CRASH_COUNT:-20}

# log_lines ID: the lines of the container's json-file log so far
log_lines() {
    local f=$ENGINE_DIR/data/containers/$1/$1-json.log
    [ -f "$f" ] || { echo 0; return 0; }
    wc -l <"$f"
}

# log_past ID N: the log holds more than N lines
log_past() {
    [ "$(log_lines "$1")" -gt "$2" ]
}

# all_logs_past N IDS...: each log holds more than N lines
all_logs_past() {
    local n=$1 id
    shift
    for id; do
        log_past "$id" "$n" || return 1
    done
}

# slow: retries CMD... for up to 30 s (a loaded machine)
slow() {
    local n
    for n in $(seq 300); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

# the running containers' full ids, sorted
running_ids() {
    "$BERTH" ps -q --no-trunc | sort
}

@test "issue-13: berthd SIGKILLed mid-stream, 20 writers keep running, no log line lost or doubled" {
    local ids=() id n shims
    local -A pid mark
    for n in $(seq "$COUNT"); do
        run -0 "$BERTH" run -d --name "crash-$n" --cpus 0.05 --cpu-shares 2 busybox sh -c "$WRITER"
        ids+=("$output")
    done
    # every container is writing before the kill
    slow all_logs_past 100 "${ids[@]}"
    [ "$(running_ids)" = "$(printf '%s\n' "${ids[@]}" | sort)" ]
    for id in "${ids[@]}"; do
        pid[$id]=$("$BERTH" inspect -f '{{.State.Pid}}' "$id")
    done
    shims=$(engine_shim_pids | sort)
    [ "$(wc -l <<<"$shims")" -eq "$COUNT" ]

    engine_stop_daemon KILL
    # while berthd is down, the shims keep logging
    for id in "${ids[@]}"; do
        mark[$id]=$(log_lines "$id")
    done
    for id in "${ids[@]}"; do
        slow log_past "$id" "${mark[$id]}"
    done

    engine_start_daemon
    # the same shims, adopted: every container is running as before
    [ "$(engine_shim_pids | sort)" = "$shims" ]
    [ "$(running_ids)" = "$(printf '%s\n' "${ids[@]}" | sort)" ]
    for id in "${ids[@]}"; do
        run -0 "$BERTH" inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' "$id"
        [ "$output" = "running true ${pid[$id]}" ]
        mark[$id]=$(log_lines "$id")
    done
    # and new output keeps arriving
    for id in "${ids[@]}"; do
        slow log_past "$id" "${mark[$id]}"
    done

    for id in "${ids[@]}"; do
        run -0 "$BERTH" kill "$id"
    done
    for id in "${ids[@]}"; do
        run -0 "$BERTH" wait "$id"
        [ "$output" = 137 ]
    done
    # every log: 1..N in order, none missing or doubled, N past the restart
    for id in "${ids[@]}"; do
        "$BERTH" logs "$id" >"$ENGINE_DIR/log"
        run -0 awk -v id="$id" '$0 != NR { printf "%s: line %d is %s\n", id, NR, $0; bad = 1; exit }
            END { if (!bad) print NR; exit bad }' "$ENGINE_DIR/log"
        [ "$output" -gt "${mark[$id]}" ]
        [ "$output" -eq "$(log_lines "$id")" ]
    done
    rm -f "$ENGINE_DIR/log"
}
