#!/usr/bin/env bats
# create, start, run, run --detach, state, kill, delete, list and --pid-file:
# the OCI lifecycle and the exit status of a foreground run.

load helpers

@test "create leaves the container created with a live init pid" {
    set_args echo payload-ran
    ctr_create
    run -0 rt state "$CID"
    assert_eq "$(jq -r .status <<<"$output")" created
    assert_eq "$(jq -r .id <<<"$output")" "$CID"
    [[ "$(jq -r .ociVersion <<<"$output")" == 1.* ]]
    assert_eq "$(jq -r .bundle <<<"$output")" "$BUNDLE"
    local pid
    pid=$(jq -r .pid <<<"$output")
    [ "$pid" -gt 1 ]
    [ -d "/proc/$pid" ]
    # The payload has not run yet.
    sleep 0.2
    [ ! -s "$BATS_TEST_TMPDIR/$CID.out" ]
}

@test "state reports the configured annotations" {
    update_config '.annotations = {"org.berth.test": "yes", "org.berth.other": "a b"}'
    ctr_create
    run -0 rt state "$CID"
    assert_eq "$(jq -r '.annotations["org.berth.test"]' <<<"$output")" yes
    assert_eq "$(jq -r '.annotations["org.berth.other"]' <<<"$output")" "a b"
}

@test "status goes created -> running -> stopped" {
    set_cmd 'echo started; sleep 100'
    ctr_create
    assert_eq "$(ctr_status)" created
    local pid
    pid=$(ctr_pid)
    ctr_start
    wait_for_output "$CID" started
    assert_eq "$(ctr_status)" running
    # The pid stays the same from create to running.
    assert_eq "$(ctr_pid)" "$pid"
    rt kill "$CID" KILL
    wait_for_status "$CID" stopped
    # Gone, or a zombie waiting for its parent.
    local state
    state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)
    [ -z "$state" ] || [ "$state" = Z ]
}

@test "a container whose payload exits by itself is stopped" {
    set_args true
    ctr_create
    ctr_start
    wait_for_status "$CID" stopped
    rt delete "$CID"
    run rt state "$CID"
    [ "$status" -ne 0 ]
}

@test "start runs the payload of a created container" {
    set_args echo payload-ran
    ctr_create
    ctr_start
    wait_for_output "$CID" payload-ran
}

@test "start of a running container fails" {
    set_args sleep 1000
    ctr_create
    ctr_start
    run rt start "$CID"
    [ "$status" -ne 0 ]
    assert_eq "$(ctr_status)" running
}

@test "create --pid-file writes the init pid" {
    set_args sleep 1000
    ctr_create "$CID" "$BUNDLE" --pid-file "$TMP/pid"
    [ -s "$TMP/pid" ]
    assert_eq "$(cat "$TMP/pid")" "$(ctr_pid)"
}

@test "run --detach --pid-file writes the payload pid" {
    set_args sleep 1000
    ctr_run_detached "$CID" "$BUNDLE" --pid-file "$TMP/pid"
    assert_eq "$(cat "$TMP/pid")" "$(ctr_pid)"
    assert_eq "$(cat "/proc/$(cat "$TMP/pid")/comm")" sleep
}

@test "-b is short for --bundle" {
    set_args echo short-b
    remember_id "$CID"
    run -0 rt run -b "$BUNDLE" "$CID" </dev/null
    [ "$output" = short-b ]
}

@test "run in the foreground passes output and exit status 0" {
    set_args echo hello from berth
    run -0 ctr_run
    [ "$output" = "hello from berth" ]
}

@test "run in the foreground exits with the container's exit status" {
    set_cmd 'echo to-stderr >&2; exit 42'
    run --separate-stderr ctr_run
    [ "$status" -eq 42 ]
    [ "$stderr" = to-stderr ]
}

@test "run uses the bundle in the current directory by default" {
    set_args echo from-cwd
    remember_id "$CID"
    cd "$BUNDLE"
    run -0 rt run "$CID" </dev/null
    [ "$output" = from-cwd ]
}

@test "a foreground run removes the container when it exits" {
    set_args true
    run -0 ctr_run
    run rt state "$CID"
    [ "$status" -ne 0 ]
    run rt list -q
    [ -z "$output" ]
}

@test "run exits with 128+9 when the container is killed with signal 9" {
    set_args sleep 1000
    remember_id "$CID"
    rt run --bundle "$BUNDLE" "$CID" </dev/null >"$TMP/out" 2>&1 3>&- &
    local runner=$! st=0
    wait_for_status "$CID" running
    rt kill "$CID" 9
    wait "$runner" || st=$?
    assert_eq "$st" 137
}

@test "run exits with 128+SIGSYS when seccomp kills the payload" {
    update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{names: ["personality"], action: "SCMP_ACT_KILL",
                    args: [{index: 0, value: 12345, op: "SCMP_CMP_EQ"}]}]}'
    set_args berth-probe syscall-errno personality 12345
    run ctr_run
    [ "$status" -eq $((128 + 31)) ]
}

@test "run --detach returns while the container runs" {
    set_cmd 'echo detached-ok; sleep 100'
    ctr_run_detached
    assert_eq "$(ctr_status)" running
    wait_for_output "$CID" detached-ok
}

@test "kill sends SIGTERM by default" {
    set_cmd 'trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.05; done'
    ctr_run_detached
    wait_for_output "$CID" ready
    rt kill "$CID"
    wait_for_output "$CID" got-term
    wait_for_status "$CID" stopped
}

@test "kill takes signal names with and without SIG, and numbers" {
    set_cmd 'trap "echo got-usr1" USR1; trap "echo got-usr2" USR2; trap "echo got-hup" HUP;
             echo ready; while :; do sleep 0.05; done'
    ctr_run_detached
    wait_for_output "$CID" ready
    rt kill "$CID" USR1
    wait_for_output "$CID" got-usr1
    rt kill "$CID" SIGUSR2
    wait_for_output "$CID" got-usr2
    rt kill "$CID" 1
    wait_for_output "$CID" got-hup
    rt kill "$CID" SIGKILL
    wait_for_status "$CID" stopped
}

@test "kill with an unknown signal fails and leaves the container running" {
    set_args sleep 1000
    ctr_run_detached
    run rt kill "$CID" NOSUCHSIG
    [ "$status" -ne 0 ]
    run rt kill "$CID" 12345
    [ "$status" -ne 0 ]
    assert_eq "$(ctr_status)" running
}

@test "kill of a stopped container fails" {
    set_args true
    ctr_run_detached
    wait_for_status "$CID" stopped
    run rt kill "$CID" KILL
    [ "$status" -ne 0 ]
}

@test "delete removes a created container and its init" {
    set_args sleep 1000
    ctr_create
    local pid
    pid=$(ctr_pid)
    rt delete "$CID"
    run rt state "$CID"
    [ "$status" -ne 0 ]
    run rt list -q
    [ -z "$output" ]
    retry 100 0.05 test ! -d "/proc/$pid"
}

@test "delete of a running container needs --force" {
    set_args sleep 1000
    ctr_run_detached
    local pid
    pid=$(ctr_pid)
    run rt delete "$CID"
    [ "$status" -ne 0 ]
    assert_eq "$(ctr_status)" running
    rt delete --force "$CID"
    run rt state "$CID"
    [ "$status" -ne 0 ]
    retry 100 0.05 test ! -d "/proc/$pid"
}

@test "delete -f is short for --force" {
    set_args sleep 1000
    ctr_run_detached
    rt delete -f "$CID"
    run rt state "$CID"
    [ "$status" -ne 0 ]
}

@test "delete of a stopped container succeeds" {
    set_args true
    ctr_run_detached
    wait_for_status "$CID" stopped
    rt delete "$CID"
    run rt list -q
    [ -z "$output" ]
}

@test "delete --force kills every process of the container" {
    set_cmd 'sleep 100 & sleep 101 & echo ready; wait'
    ctr_run_detached
    wait_for_output "$CID" ready
    local cg pids
    cg=$(cgroup_dir "$(ctr_pid)" pids)
    pids=$(cat "$cg/cgroup.procs")
    [ "$(wc -w <<<"$pids")" -ge 3 ]
    rt delete --force "$CID"
    for pid in $pids; do
        retry 100 0.05 test ! -d "/proc/$pid"
    done
}

@test "create with an id in use fails and leaves the first container alone" {
    set_args sleep 1000
    ctr_create
    local pid
    pid=$(ctr_pid)
    make_bundle "$TMP/b2" "$CID-dup"
    run rt create --bundle "$TMP/b2" "$CID" </dev/null 3>&-
    [ "$status" -ne 0 ]
    assert_eq "$(ctr_status)" created
    assert_eq "$(ctr_pid)" "$pid"
}

@test "list shows every container with its status" {
    set_args sleep 1000
    make_bundle "$TMP/b2" "$CID2"
    set_args_of "$TMP/b2" sleep 100
    ctr_create
    ctr_run_detached "$CID2" "$TMP/b2"
    run -0 rt list -q
    assert_eq "$(sort <<<"$output" | tr '\n' ' ')" "$CID $CID2 "
    run -0 rt list
    [[ "${lines[0]}" == *ID* ]]
    [[ "${lines[0]}" == *STATUS* ]]
    [ "${#lines[@]}" -eq 3 ]
    grep -E "^$CID +.*created" <<<"$output"
    grep -E "^$CID2 +.*running" <<<"$output"
    run -0 rt list --format table
    [ "${#lines[@]}" -eq 3 ]
}

@test "list --format json gives id, pid, status and bundle" {
    set_args sleep 1000
    ctr_run_detached
    run -0 rt list --format json
    assert_eq "$(jq -r 'length' <<<"$output")" 1
    assert_eq "$(jq -r '.[0].id' <<<"$output")" "$CID"
    assert_eq "$(jq -r '.[0].status' <<<"$output")" running
    assert_eq "$(jq -r '.[0].pid' <<<"$output")" "$(ctr_pid)"
    assert_eq "$(jq -r '.[0].bundle' <<<"$output")" "$BUNDLE"
}

@test "list --format json of an empty root is an empty list" {
    requires_berth "runc prints null"
    run -0 rt list --format json
    assert_eq "$(jq -c . <<<"$output")" "[]"
}

# Leak tests: everything a container made (mounts, cgroups, namespaces,
# processes, state) is gone after delete, counted before and after.

# A config that makes the runtime create one of everything.
full_config() {
    mkdir -p "$TMP/host"
    update_config '.mounts += [{destination: "/mnt/t", type: "tmpfs", source: "tmpfs", options: ["size=1m"]},
                               {destination: "/mnt/h", type: "bind", source: $h, options: ["rbind", "ro"]}]
                   | .linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"},
                                          {type: "uts"}, {type: "mount"}, {type: "cgroup"}]
                   | .linux.resources.memory = {limit: 67108864}
                   | .linux.resources.pids = {limit: 50}
                   | .linux.resources.cpu = {shares: 512}' --arg h "$TMP/host"
}

@test "create, start, kill and delete leave nothing behind" {
    full_config
    set_cmd 'sleep 100 & echo ready; wait'
    "$LEAKCHECK" snapshot "$TMP/leaks"
    ctr_create
    ctr_start
    wait_for_output "$CID" ready
    rt kill "$CID" KILL
    wait_for_status "$CID" stopped
    rt delete "$CID"
    retry 20 0.1 "$LEAKCHECK" compare "$TMP/leaks"
    assert_eq "$(find "$ROOT" -name "*$CID*")" ""
}

@test "a foreground run leaves nothing behind" {
    full_config
    set_cmd 'sleep 100 & echo ran'
    "$LEAKCHECK" snapshot "$TMP/leaks"
    run -0 ctr_run
    [ "$output" = ran ]
    retry 20 0.1 "$LEAKCHECK" compare "$TMP/leaks"
    assert_eq "$(find "$ROOT" -name "*$CID*")" ""
}

@test "run --detach and delete --force leave nothing behind" {
    full_config
    set_cmd 'sleep 100 & echo ready; wait'
    "$LEAKCHECK" snapshot "$TMP/leaks"
    ctr_run_detached
    wait_for_output "$CID" ready
    rt delete --force "$CID"
    retry 20 0.1 "$LEAKCHECK" compare "$TMP/leaks"
    assert_eq "$(find "$ROOT" -name "*$CID*")" ""
}

@test "delete of a created container leaves nothing behind" {
    full_config
    "$LEAKCHECK" snapshot "$TMP/leaks"
    ctr_create
    rt delete "$CID"
    retry 20 0.1 "$LEAKCHECK" compare "$TMP/leaks"
}

@test "issue-11: a foreground run forwards every signal, SIGPWR, SIGTSTP and SIGRTMIN+3 too" {
    # 37 is SIGRTMIN+3 for glibc (systemd's halt); busybox traps it by number
    set_cmd 'for s in PWR TSTP USR1 37; do trap "echo got-$s" $s; done
             trap "echo got-INT; exit 3" INT; echo ready; while :; do sleep 0.05; done'
    remember_id "$CID"
    "$BERTH_RUNTIME" --root "$ROOT" run -b "$BUNDLE" "$CID" </dev/null >"$TMP/out" 2>&1 3>&- &
    local rpid=$! s
    echo "$rpid" >>"$BATS_TEST_TMPDIR/pids"
    retry 200 0.05 grep -qx ready "$TMP/out"
    for s in PWR TSTP USR1 RTMIN+3; do
        kill -s "$s" "$rpid"
        retry 100 0.05 grep -qx "got-$( [ "$s" = RTMIN+3 ] && echo 37 || echo "$s")" "$TMP/out"
    done
    # the runtime was not stopped by SIGTSTP: it still forwards
    kill -INT "$rpid"
    local st=0
    wait "$rpid" || st=$?
    assert_eq "$st" 3
    grep -qx got-INT "$TMP/out"
}
