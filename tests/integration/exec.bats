#!/usr/bin/env bats
# exec: another process in a running container, with the container's
# namespaces, cgroup, seccomp filter and capabilities unless changed.

load helpers

start_sleeper() {
    set_cmd 'echo ready; exec sleep 1000'
    ctr_run_detached
    wait_for_output "$CID" ready
}

# x ARG...: exec in the test's container, output captured (run's variables)
x() {
    rt exec "$CID" "$@" </dev/null 3>&-
}

@test "exec runs in the container's namespaces and cgroup, and returns its exit status" {
    start_sleeper
    local pid t
    pid=$(ctr_pid)
    run -0 x sh -c 'for t in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$t; done'
    local i=0
    for t in pid net ipc uts mnt cgroup; do
        assert_eq "${lines[$i]}" "$(readlink "/proc/$pid/ns/$t")" "$t"
        i=$((i + 1))
    done
    # the same cgroup as the init (PID 1 inside), in every hierarchy
    run -0 x sh -c 'cat /proc/self/cgroup; echo ==; cat /proc/1/cgroup'
    assert_eq "$(sed -n '/==/q;p' <<<"$output")" "$(sed -n '1,/==/d;p' <<<"$output")"
    run x sh -c 'exit 5'
    [ "$status" -eq 5 ]
    # its pid is one of the container's: ps inside shows both
    run -0 x ps -o pid,comm
    [[ "$output" == *sleep* ]]
}

@test "exec gets the container's capabilities and seccomp filter" {
    update_config '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}
                   | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
                       syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 42}]}'
    start_sleeper
    run -0 x sh -c 'grep CapEff /proc/self/status; berth-probe syscall-errno mkdir /tmp/d; true'
    [[ "${lines[0]}" == *0000000000000020 ]]
    assert_eq "${lines[1]}" 42
    # --cap adds one
    run -0 rt exec --cap CAP_NET_RAW "$CID" grep CapEff /proc/self/status
    [[ "$output" == *0000000000002020 ]]
}

@test "exec --env, --cwd, --user, --additional-gids and --no-new-privs" {
    start_sleeper
    run -0 rt exec --env FOO=bar --env PATH=/bin:/sbin --cwd /tmp --user 1000:1001 \
        --additional-gids 7 --no-new-privs "$CID" sh -c 'echo $FOO $PATH; pwd; id -u; id -g; id -G; grep NoNewPrivs /proc/self/status'
    assert_eq "${lines[0]}" "bar /bin:/sbin"
    assert_eq "${lines[1]}" /tmp
    assert_eq "${lines[2]}" 1000
    assert_eq "${lines[3]}" 1001
    [[ "${lines[4]}" == *7* ]]
    [[ "${lines[5]}" == *1 ]]
}

@test "exec --process takes a whole process.json" {
    start_sleeper
    jq '.process | .args = ["sh", "-c", "echo from-file $X"] | .env = ["X=1", "PATH=/bin"]' \
        "$BUNDLE/config.json" >"$TMP/process.json"
    run -0 rt exec --process "$TMP/process.json" "$CID"
    assert_eq "$output" "from-file 1"
}

@test "exec --detach --pid-file leaves the process running and names it" {
    start_sleeper
    # its stdio must not be bats' own (a detached process would hold them)
    rt exec --detach --pid-file "$TMP/exec.pid" "$CID" sleep 100 </dev/null >/dev/null 2>&1 3>&-
    local pid
    pid=$(cat "$TMP/exec.pid")
    [ -d "/proc/$pid" ]
    assert_eq "$(readlink "/proc/$pid/ns/pid")" "$(readlink "/proc/$(ctr_pid)/ns/pid")"
    assert_eq "$(cat "/proc/$pid/comm")" sleep
}

@test "exec --tty gives the process a terminal" {
    start_sleeper
    run -0 rt exec --tty "$CID" sh -c 'tty; echo done'
    [[ "${lines[0]}" == /dev/pts/* ]]
    [[ "$output" == *done* ]]
}

@test "exec into a created, paused or stopped container is refused, one line" {
    requires_berth "the wording is berth's"
    set_args sleep 1000
    ctr_create
    run rt exec "$CID" true
    [ "$status" -eq 1 ]
    assert_one_line "$output"
    [[ "$output" == *"is created"* ]]
    ctr_start
    local dir
    dir=$(cgroup_dir "$(ctr_pid)" freezer)
    if cgroup_v2_only; then
        echo 1 >"$dir/cgroup.freeze"
    else
        echo FROZEN >"$dir/freezer.state"
    fi
    run rt exec "$CID" true
    [ "$status" -eq 1 ]
    [[ "$output" == *"is paused"* ]]
    if cgroup_v2_only; then echo 0 >"$dir/cgroup.freeze"; else echo THAWED >"$dir/freezer.state"; fi
    rt kill "$CID" KILL
    wait_for_status "$CID" stopped
    run rt exec "$CID" true
    [ "$status" -eq 1 ]
    [[ "$output" == *"is stopped"* ]]
}

@test "exec of an unknown container or a missing binary fails, one line, nothing left" {
    start_sleeper
    run rt exec "$CID-nope" true
    [ "$status" -eq 1 ]
    [[ "$output" == *"does not exist"* ]]
    run rt exec "$CID" /no/such/binary
    [ "$status" -eq 1 ]
    is_berth && assert_one_line "$output"
    run -0 x ps -o pid,comm
    assert_eq "$(grep -vc -e PID -e ps <<<"$output")" 1 "only the sleeper is left"
}

@test "exec racing with the container's exit never hangs and leaves nothing" {
    "$LEAKCHECK" snapshot "$TMP/leaks"
    local i st
    for i in $(seq 10); do
        set_cmd 'sleep 0.2'
        ctr_run_detached "$CID-$i"
        st=0
        timeout 10 "$BERTH_RUNTIME" --root "$ROOT" exec "$CID-$i" sleep 1 </dev/null >/dev/null 2>&1 || st=$?
        [ "$st" -ne 124 ] || { echo "exec $i hung" >&2; return 1; }
        wait_for_status "$CID-$i" stopped
        rt delete --force "$CID-$i"
    done
    retry 30 0.1 "$LEAKCHECK" compare "$TMP/leaks"
}
