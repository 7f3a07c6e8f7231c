#!/usr/bin/env bats
# libberth's container API in process, as berth-shim will call it
# (tests/api/berth-api.c): stdio fds, another cgroup root, the status fd,
# wait with the OOM verdict, and a caller left as it was.

load helpers

setup() {
    berth_setup
    requires_berth "libberth's API"
    [ -x "${BERTH_API:-}" ] || skip "BERTH_API (build/tests/api/berth-api) not set"
}

api() {
    "$BERTH_API" "$@" </dev/null 3>&-
}

@test "issue-11: create takes the container's stdio as fds, wait gives its exit" {
    set_cmd 'echo to-out; echo to-err >&2; exit 7'
    run -0 api run "$ROOT" "$CID" "$BUNDLE"
    assert_eq "$output" $'out: to-out\nerr: to-err\nexit 7 signal 0 oom 0\ncaller unchanged'
    assert_eq "$(rt list -q)" ""
}

@test "issue-11: creating in a joined PID namespace leaves the caller as it was" {
    second_bundle_in_created_pidns
    set_cmd_of "$TMP/b2" 'readlink /proc/self/ns/pid'
    run -0 api run "$ROOT" "$CID2" "$TMP/b2"
    assert_eq "${lines[0]}" "out: $(readlink "/proc/$JOINED_PID/ns/pid")"
    assert_eq "${lines[-1]}" "caller unchanged"
}

@test "issue-11: wait reports an OOM kill" {
    update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
    set_args berth-probe memhog 128
    run -0 api run "$ROOT" "$CID" "$BUNDLE"
    assert_eq "${lines[-2]}" "exit 0 signal 9 oom 1"
}

@test "issue-11: the cgroup root is a parameter" {
    mkdir "$TMP/cg"
    host_mount --rbind /sys/fs/cgroup "$TMP/cg"
    mount --make-rslave "$TMP/cg"
    set_args sleep 0.5
    run -0 api run "$ROOT" "$CID" "$BUNDLE" "$TMP/cg" &
    local bg=$!
    retry 50 0.05 test -s "$ROOT/$CID/state.json"
    [[ "$(jq -r .cgroup "$ROOT/$CID/state.json")" == *"\"root\":\"$TMP/cg\""* ]]
    wait "$bg"
}

@test "issue-11: the status fd says the payload started, or why it could not" {
    set_args true
    run -0 api start-status "$ROOT" "$CID" "$BUNDLE"
    assert_eq "$output" started
    # seccomp refuses the payload's execve only: a failure after create
    update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{names: ["execve"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
    run -0 api start-status "$ROOT" "$CID2" "$BUNDLE"
    [[ "$output" == "late error: cannot exec 'true'"* ]]
}
