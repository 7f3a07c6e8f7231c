#!/usr/bin/env bats
# A runtime killed (or stuck) at any point of create leaves a state that
# `delete --force` removes completely; readers never wait behind a create.
# The faults come from BERTH_TEST_FAULT (src/lib/fault.h), berth's own.

load helpers

setup() {
    berth_setup
    requires_berth "berth's fault-injection points"
    set_args sleep 1000
}

# faulty VERB ARG...: the runtime with BERTH_TEST_FAULT=$FAULT, its status in
# $status and its output in $output; the container's stdio goes to files,
# never to bats' own descriptors (a surviving init would hold them).
faulty() {
    status=0
    BERTH_TEST_FAULT=$FAULT "$BERTH_RUNTIME" --root "$ROOT" "$@" </dev/null >"$TMP/faulty" 2>&1 3>&- ||
        status=$?
    output=$(cat "$TMP/faulty")
}

CREATE_POINTS="create:state-dir create:record create:cgroup-dir create:spawned create:cgroup-setup
    create:go create:devices create:final-record create:ready create:pid-file"

@test "issue-11: SIGKILL at ten points of create, then delete --force leaves nothing" {
    local point n=0
    for point in $CREATE_POINTS; do
        "$LEAKCHECK" snapshot "$TMP/leaks"
        FAULT=$point:kill faulty create --bundle "$BUNDLE" --pid-file "$TMP/pid" "$CID"
        assert_eq "$status" 137 "$point: the runtime was killed"
        # a reader sees it, without waiting
        run -0 timeout 5 "$BERTH_RUNTIME" --root "$ROOT" list -q
        assert_eq "$output" "$CID" "$point: list"
        run -0 rt delete --force "$CID"
        assert_eq "$(ls -A "$ROOT")" "" "$point: state left"
        rm -f "$TMP/pid"
        retry 30 0.1 "$LEAKCHECK" compare "$TMP/leaks" || {
            echo "leak after a kill at $point" >&2
            return 1
        }
        n=$((n + 1))
    done
    assert_eq "$n" 10
}

@test "issue-11: a create killed before its first record shows as stopped and is deleted" {
    FAULT=create:state-dir:kill faulty create --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 137 ]
    assert_eq "$(ctr_status)" stopped
    run -0 rt list --format json
    assert_eq "$(jq -r '.[0].status' <<<"$output")" stopped
    run -0 rt delete "$CID"
    run rt state "$CID"
    [ "$status" -eq 1 ]
}

@test "issue-11: state and list never wait behind a hung create; delete --force ends it" {
    "$LEAKCHECK" snapshot "$TMP/leaks"
    remember_id "$CID"
    BERTH_TEST_FAULT=create:devices:hang "$BERTH_RUNTIME" --root "$ROOT" create \
        --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 3>&- &
    local creator=$!
    echo "$creator" >>"$BATS_TEST_TMPDIR/pids"
    retry 100 0.05 test -s "$ROOT/$CID/state.json"
    run -0 timeout 5 "$BERTH_RUNTIME" --root "$ROOT" state "$CID"
    assert_eq "$(jq -r .status <<<"$output")" creating
    run -0 timeout 5 "$BERTH_RUNTIME" --root "$ROOT" list -q
    assert_eq "$output" "$CID"
    # kill gives up after a while (10 s) instead of hanging with it
    run timeout 30 "$BERTH_RUNTIME" --root "$ROOT" kill "$CID" KILL
    assert_eq "$status" 1
    [[ "$output" == *"is busy"* ]]
    # a stuck create is taken over within seconds
    run -0 timeout 20 "$BERTH_RUNTIME" --root "$ROOT" delete --force "$CID"
    run wait "$creator"
    assert_eq "$status" 137 "the stuck creator was killed"
    assert_eq "$(ls -A "$ROOT")" ""
    retry 30 0.1 "$LEAKCHECK" compare "$TMP/leaks"
}

@test "issue-11: delete --force of a container that does not exist succeeds, as runc's" {
    run -0 rt delete --force "$CID"
    assert_eq "$output" ""
    run rt delete "$CID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"does not exist"* ]]
}

@test "issue-11: a start killed after its write leaves a container that says running" {
    set_cmd 'echo started; sleep 100'
    ctr_create
    FAULT=start:written:kill faulty start "$CID"
    [ "$status" -eq 137 ]
    [ -p "$ROOT/$CID/exec.fifo" ]
    wait_for_output "$CID" started
    assert_eq "$(ctr_status)" running
    run rt start "$CID"
    [ "$status" -eq 1 ]
}

@test "issue-11: an undo that fails keeps the record, and delete --force finishes it" {
    "$LEAKCHECK" snapshot "$TMP/leaks"
    update_config '.linux.resources.cpu = {cpus: "999"}'
    FAULT=create:undo-cgroup:fail faulty create --bundle "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    [[ "$output" == *cpuset.cpus* ]]
    # what is left is named by the record
    assert_eq "$(rt list -q)" "$CID"
    [ -n "$(find /sys/fs/cgroup -type d -name "$CID")" ]
    run -0 rt delete --force "$CID"
    assert_eq "$(find /sys/fs/cgroup -type d -name "$CID")" ""
    retry 30 0.1 "$LEAKCHECK" compare "$TMP/leaks"
}
