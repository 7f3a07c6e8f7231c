#!/usr/bin/env bats
# The engine's operations (issue 13): stats, other runtimes under the shim,
# berthd --shutdown-containers and live restore, the log modes of the
# shim's ring, logs --tail over rotated files.

load engine-helpers

# --- stats -------------------------------------------------------------------

@test "stats --no-stream: a busy loop shows CPU % > 50, --memory 64m its limit, PIDS" {
    # the CPUs are shared with whatever else runs here: the most shares make the
    # busy loops get the CPU time they ask for, so the figure is about berth
    run -0 "$BERTH" run -d --name "busy-$BATS_TEST_NUMBER" --cpu-shares 262144 busybox sh -c 'while :; do :; done & while :; do :; done'
    run -0 "$BERTH" run -d --name "mem-$BATS_TEST_NUMBER" --memory 64m busybox sleep 60
    run -0 "$BERTH" stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' \
        "busy-$BATS_TEST_NUMBER" "mem-$BATS_TEST_NUMBER"
    [ "${#lines[@]}" -eq 2 ]
    read -r name cpu _ <<<"${lines[0]}"
    [ "$name" = "busy-$BATS_TEST_NUMBER" ]
    [ "${cpu%.*}" -gt 50 ]
    [[ "${lines[1]}" == "mem-$BATS_TEST_NUMBER "*" / 64MiB 1" ]]
    # without a limit: the host's memory, as docker
    host=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) * 1024))
    run -0 "$BERTH" stats --no-stream --format json "busy-$BATS_TEST_NUMBER"
    echo "$output" | jq -e '.PIDs == "2" or .PIDs == "1"'
    run -0 curl -sf --unix-socket "$SOCK" "http://berth/v1.41/containers/busy-$BATS_TEST_NUMBER/stats?stream=0"
    echo "$output" | jq -e --argjson host "$host" '.memory_stats.limit == $host and
        .cpu_stats.cpu_usage.total_usage > .precpu_stats.cpu_usage.total_usage and
        .cpu_stats.online_cpus > 0 and .cpu_stats.system_cpu_usage > 0 and .num_procs == 0 and
        (.cpu_stats.throttling_data | has("periods")) and .pids_stats.current >= 1 and
        (.blkio_stats | has("io_service_bytes_recursive")) and .read != .preread'
}

@test "stats: the default table, -a, a streamed API answer, bad input" {
    run -0 "$BERTH" run -d --name "st-$BATS_TEST_NUMBER" busybox sleep 60
    run -0 "$BERTH" create --name "cr-$BATS_TEST_NUMBER" busybox true
    run -0 "$BERTH" stats --no-stream
    [[ "${lines[0]}" == "CONTAINER ID   NAME"*"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"NET I/O"*"BLOCK I/O"*"PIDS" ]]
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[1]}" == *"st-$BATS_TEST_NUMBER"* ]]
    run -0 "$BERTH" stats --no-stream -a --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}}'
    [[ "$output" == *"cr-$BATS_TEST_NUMBER 0.00% 0B / 0B"* ]]
    # stream=1: a document a second, each with the one before as precpu
    run -0 curl -s --max-time 2.5 --unix-socket "$SOCK" \
        "http://berth/containers/st-$BATS_TEST_NUMBER/stats" || true
    [ "$(echo "$output" | grep -c '"cpu_stats"')" -ge 2 ]
    echo "$output" | sed -n 2p | jq -e '.preread != "0001-01-01T00:00:00Z"'
    # live, not on a terminal: tables one after another until stopped
    timeout 2.5 "$BERTH" stats "st-$BATS_TEST_NUMBER" >"$BATS_TEST_TMPDIR/live" || true
    [ "$(grep -c "st-$BATS_TEST_NUMBER" "$BATS_TEST_TMPDIR/live")" -ge 1 ]
    run -1 "$BERTH" stats --no-stream nosuch
    [[ "$output" == *"No such container: nosuch"* ]]
    run -125 "$BERTH" stats --bogus
    [[ "$output" == *"unknown flag '--bogus'"* ]]
}

# --- logs --tail over rotated files -------------------------------------------

@test "logs --tail N spans the current and rotated files; logs alone gives every kept line" {
    run -0 "$BERTH" run -d --log-opt max-size=2k --log-opt max-file=5 busybox \
        sh -c 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo line-$i; done'
    id=$output
    run -0 "$BERTH" wait "$id"
    log=$ENGINE_DIR/data/containers/$id/$id-json.log
    [ -f "$log.3" ]
    [ "$(wc -l <"$log")" -lt 100 ]
    run -0 "$BERTH" logs --tail 100 "$id"
    [ "$output" = "$(seq 201 300 | sed 's/^/line-/')" ]
    run -0 "$BERTH" logs --tail 1 "$id"
    [ "$output" = line-300 ]
    run -0 "$BERTH" logs --tail 0 "$id"
    [ -z "$output" ]
    kept=$(cat "$log".4 "$log".3 "$log".2 "$log".1 "$log" 2>/dev/null | wc -l)
    run -0 "$BERTH" logs --tail 100000 "$id"
    [ "${#lines[@]}" -eq "$kept" ]
    run -0 "$BERTH" logs "$id"
    first=${lines[0]#line-}
    [ "$output" = "$(seq "$first" 300 | sed 's/^/line-/')" ]
}

@test "logs -f --tail N starts in a rotated file and follows across later rotations" {
    run -0 "$BERTH" run -d --log-opt max-size=2k --log-opt max-file=9 busybox \
        sh -c 'i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo line-$i; done; sleep 1;
               while [ $i -lt 300 ]; do i=$((i+1)); echo line-$i; sleep 0.002; done'
    id=$output
    wait_for grep -q line-100 "$ENGINE_DIR/data/containers/$id/$id-json.log"
    run -0 "$BERTH" logs -f --tail 60 "$id"
    [ "$output" = "$(seq 41 300 | sed 's/^/line-/')" ]
}

# --- log modes --------------------------------------------------------------------

@test "--log-opt mode=non-blocking: a tiny buffer under a fast producer drops whole lines and counts them" {
    run -0 "$BERTH" run -d --log-opt mode=non-blocking --log-opt max-buffer-size=4k busybox \
        sh -c 'seq 1 200000; echo done >&2'
    id=$output
    run -0 "$BERTH" wait "$id"
    run -0 "$BERTH" inspect -f '{{.State.LogDrops}}' "$id"
    drops=$output
    [ "$drops" -gt 0 ]
    run -0 --separate-stderr "$BERTH" logs "$id"
    # whole lines only: every kept one is a number of the sequence, in order
    printf '%s\n' "$output" | grep -qvx '[0-9]*' && false
    [ "$(printf '%s\n' "$output" | sort -n -c && echo sorted)" = sorted ]
    kept=${#lines[@]}
    # stderr is its own stream: its line and the last record
    [[ "$stderr" == *"berth: $drops log lines dropped (mode=non-blocking, max-buffer-size=4096)"* ]]
    # every line is either kept or counted
    serr=$(printf '%s\n' "$stderr" | grep -c '^done$' || true)
    [ $((kept + drops + serr)) -eq 200001 ]
    run -0 "$BERTH" inspect -f '{{json .HostConfig.LogConfig.Config}}' "$id"
    echo "$output" | jq -e '. == {"max-buffer-size":"4k","mode":"non-blocking"}'
}

@test "--log-opt mode=blocking (the default) loses nothing: the line count is exact" {
    run -0 "$BERTH" run -d --log-opt mode=blocking busybox seq 1 200000
    id=$output
    run -0 "$BERTH" wait "$id"
    run -0 "$BERTH" logs "$id"
    [ "${#lines[@]}" -eq 200000 ]
    [ "$output" = "$(seq 1 200000)" ]
    run -0 "$BERTH" inspect -f '{{.State.LogDrops}}' "$id"
    [ "$output" = 0 ]
}

@test "--log-opt mode: bad values are refused by name" {
    run -125 "$BERTH" run --rm --log-opt mode=sometimes busybox true
    [[ "$output" == *"invalid log-opt mode 'sometimes'"* ]]
    run -125 "$BERTH" run --rm --log-opt max-buffer-size=4k busybox true
    [[ "$output" == *"max-buffer-size needs mode=non-blocking"* ]]
    run -125 "$BERTH" run --rm --log-opt mode=non-blocking --log-opt max-buffer-size=lots busybox true
    [[ "$output" == *"invalid log-opt max-buffer-size 'lots'"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

# --- shutdown and live restore ------------------------------------------------

shim_count() {
    engine_shim_pids | wc -l
}

# the tests below stop the file's berthd: it runs again after each
teardown() {
    [ -f "$ENGINE_DIR/berthd.pid" ] || engine_start_daemon
    engine_teardown
}

@test "berthd SIGTERM without --shutdown-containers leaves containers running (live restore)" {
    run -0 "$BERTH" run -d --name "live-$BATS_TEST_NUMBER" busybox sleep 60
    id=$output
    engine_stop_daemon TERM
    [ "$(shim_count)" -eq 1 ]
    engine_start_daemon
    run -0 "$BERTH" inspect -f '{{.State.Running}}' "live-$BATS_TEST_NUMBER"
    [ "$output" = true ]
}

@test "berthd --shutdown-containers: SIGTERM stops every container with its timeout and leaves nothing" {
    engine_stop_daemon TERM
    "$BERTHD" --bridge none -H "unix://$SOCK" --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec" \
        --log-level error --shutdown-containers >>"$ENGINE_DIR/berthd.log" 2>&1 3>&- &
    echo $! >"$ENGINE_DIR/berthd.pid"
    wait_for test -S "$SOCK"
    wait_for curl -sf --unix-socket "$SOCK" http://berth/_ping
    # one ends on SIGTERM; one ignores it and needs its 1 s timeout's SIGKILL
    run -0 "$BERTH" run -d --name "a-$BATS_TEST_NUMBER" busybox \
        sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
    a=$output
    run -0 "$BERTH" run -d --name "b-$BATS_TEST_NUMBER" --stop-timeout 1 busybox \
        sh -c 'trap "" TERM; while :; do sleep 0.1; done'
    b=$output
    [ "$(shim_count)" -eq 2 ]
    start=$(date +%s)
    engine_stop_daemon TERM
    elapsed=$(($(date +%s) - start))
    [ "$elapsed" -lt 5 ]
    [ "$(shim_count)" -eq 0 ]
    ! grep -F " $ENGINE_DIR/" /proc/self/mountinfo
    [ -z "$(cgroup_dirs_of "$a")" ] && [ -z "$(cgroup_dirs_of "$b")" ]
    engine_start_daemon
    run -0 "$BERTH" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "a-$BATS_TEST_NUMBER"
    [ "$output" = "exited 3" ]
    run -0 "$BERTH" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "b-$BATS_TEST_NUMBER"
    [ "$output" = "exited 137" ]
}

# --- other runtimes under the shim ------------------------------------------

runtime_cycle() {
    local rt=$1 name="rt-$2"
    run -0 "$BERTH" run -d --runtime "$rt" --name "$name" busybox \
        sh -c 'echo out-line; echo err-line >&2; trap "exit 7" TERM; while :; do sleep 0.1; done'
    id=$output
    run -0 "$BERTH" inspect -f '{{.HostConfig.Runtime}} {{.State.Running}}' "$name"
    [ "$output" = "$rt true" ]
    wait_for sh -c "\"$BERTH\" logs $name 2>&1 | grep -q err-line"
    run -0 --separate-stderr "$BERTH" logs "$name"
    [ "$output" = out-line ] && [ "$stderr" = err-line ]
    run -0 "$BERTH" exec "$name" sh -c 'echo in-$((6*7)); exit 0'
    [ "$output" = in-42 ]
    run -3 "$BERTH" exec "$name" sh -c 'exit 3'
    run -0 "$BERTH" stats --no-stream --format '{{.PIDs}}' "$name"
    [ "$output" -ge 1 ]
    run -0 "$BERTH" top "$name"
    [[ "$output" == *"while :"* ]]
    run -0 "$BERTH" pause "$name"
    run -0 "$BERTH" inspect -f '{{.State.Status}}' "$name"
    [ "$output" = paused ]
    run -0 "$BERTH" unpause "$name"
    run -0 "$BERTH" inspect -f '{{.State.Status}}' "$name"
    [ "$output" = running ]
    run -0 "$BERTH" stop -t 5 "$name"
    run -0 "$BERTH" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$name"
    [ "$output" = "exited 7" ]
    [ -z "$(cgroup_dirs_of "$id")" ]
    ! grep -F " $ENGINE_DIR/data/containers/$id/" /proc/self/mountinfo
    run -0 "$BERTH" run --rm --runtime "$rt" busybox sh -c 'exit 5' || [ "$status" -eq 5 ]
}

@test "--runtime crun: run, logs, exec, stats, stop, exit code, nothing left" {
    [ -x /usr/bin/crun ] || skip "no /usr/bin/crun"
    # crun 1.x refuses a v1 host whose unified hierarchy has controllers
    run "$BERTH" run --rm --runtime crun busybox true
    [[ "$output" != *"cgroups in hybrid mode not supported"* ]] ||
        skip "crun refuses this host's hybrid cgroups: $output"
    [ "$status" -eq 0 ]
    runtime_cycle crun "$BATS_TEST_NUMBER"
}

@test "--runtime /usr/sbin/runc (a path): run, logs, exec, stats, stop, exit code, nothing left" {
    [ -x /usr/sbin/runc ] || skip "no /usr/sbin/runc"
    runtime_cycle /usr/sbin/runc "$BATS_TEST_NUMBER"
}

@test "--runtime runc (a name): found in PATH; a failing create is reported" {
    [ -x /usr/sbin/runc ] || skip "no /usr/sbin/runc"
    run -0 "$BERTH" run --rm --runtime runc busybox echo via-runc
    [ "$output" = via-runc ]
    run -0 "$BERTH" run -d --runtime runc busybox sleep 60
    id=$output
    [ -d "$ENGINE_DIR/exec/runtime-runc/$id" ]
    run -0 "$BERTH" rm -f "$id"
    [ ! -e "$ENGINE_DIR/exec/runtime-runc/$id" ]
    [ -z "$(cgroup_dirs_of "$id")" ]
    run ! "$BERTH" run --rm --runtime runc busybox /no/such/binary
    [[ "$output" == *"/no/such/binary"* ]]
}

@test "--runtime: unknown names are refused by name, for run and for berthd" {
    run -125 "$BERTH" run --rm --runtime kata busybox true
    [[ "$output" == *"unknown or invalid runtime name: kata"* ]]
    run -125 "$BERTH" run --rm --runtime /nonexistent/runc busybox true
    [[ "$output" == *"runtime '/nonexistent/runc' is not an executable file"* ]]
    run -1 "$BERTHD" --bridge none -H "unix://$ENGINE_DIR/other.sock" --data-root "$ENGINE_DIR/d2" \
        --exec-root "$ENGINE_DIR/e2" --runtime kata
    [[ "$output" == *"unknown or invalid runtime name: kata"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "berthd --runtime runc: the default of containers that name none" {
    [ -x /usr/sbin/runc ] || skip "no /usr/sbin/runc"
    engine_stop_daemon TERM
    "$BERTHD" --bridge none -H "unix://$SOCK" --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec" \
        --log-level error --runtime runc >>"$ENGINE_DIR/berthd.log" 2>&1 3>&- &
    echo $! >"$ENGINE_DIR/berthd.pid"
    wait_for curl -sf --unix-socket "$SOCK" http://berth/_ping
    run -0 "$BERTH" run -d busybox sleep 60
    id=$output
    run -0 "$BERTH" inspect -f '{{.HostConfig.Runtime}}' "$id"
    [ "$output" = runc ]
    [ -d "$ENGINE_DIR/exec/runtime-runc/$id" ]
    run -0 "$BERTH" run --rm --runtime berth busybox echo own
    [ "$output" = own ]
    run -0 "$BERTH" rm -f "$id"
    [ -z "$(cgroup_dirs_of "$id")" ]
    engine_stop_daemon TERM
}
