#!/usr/bin/env bats
# checkpoint and restore through Debian's criu: a counting container is
# saved and restored and counts on from where it was. criu 3.17 cannot
# initialise on some kernels (6.18: "vdso: Failed to fill self vdso
# symtable"); there the tests that need a working criu skip, saying what
# `criu check` said, and the cgroup v2 lane (Debian's 6.1 kernel under qemu)
# runs them. The refusals run everywhere.

load helpers

# --- helpers ---------------------------------------------------------------------

# Skips unless `criu check` passes on this kernel.
requires_criu() {
    requires_berth
    local out
    command -v criu >/dev/null || skip "criu is not installed"
    out=$(criu check 2>&1) || skip "criu does not work here: $(printf '%s\n' "$out" | grep -m1 Error)"
}

count() {
    cat "$BUNDLE/rootfs/tmp/count" 2>/dev/null
}

# count_above N: the counter has gone past N.
count_above() {
    local n
    n=$(count)
    [ -n "$n" ] && [ "$n" -gt "$1" ]
}

# data_above N: the counter in the host directory bound at /data passed N.
data_above() {
    local n
    n=$(cat "$TMP/data/n" 2>/dev/null)
    [ -n "$n" ] && [ "$n" -gt "$1" ]
}

# A counter the container bumps every 0.1 s (written whole, then renamed),
# stopping with status 7 once /tmp/stop exists. Its output goes to files
# opened for append: criu restores a regular file it did not dump (the
# host's, outside the container) only if its size is unchanged, or appended.
start_counter() {
    set_cmd 'i=0; while [ ! -e /tmp/stop ]; do i=$((i + 1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done; exit 7'
    remember_id "$CID"
    rt run --detach --bundle "$BUNDLE" "$CID" </dev/null >>"$BATS_TEST_TMPDIR/$CID.out" \
        2>>"$BATS_TEST_TMPDIR/$CID.err" 3>&-
    retry 100 0.1 count_above 3
}

# restore_detached ID [OPTION...]: restore ID from $TMP/img; its stdio
# (that of the container, which criu reconnects) to files.
restore_detached() {
    local id=$1
    shift
    remember_id "$id"
    rt --debug restore --detach --image-path "$TMP/img" --work-path "$TMP/work" --bundle "$BUNDLE" \
        "$@" "$id" </dev/null >>"$BATS_TEST_TMPDIR/$id.out" 2>>"$BATS_TEST_TMPDIR/$id.err" 3>&- || {
        cat "$BATS_TEST_TMPDIR/$id.err" "$TMP/work/restore.log" >&2
        return 1
    }
}

checkpoint() {
    rt --debug checkpoint --image-path "$TMP/img" --work-path "$TMP/work" "$@" "$CID" || {
        tail -20 "$TMP/work/dump.log" >&2
        return 1
    }
}

# --- refusals --------------------------------------------------------------------

@test "checkpoint and restore are refused when criu is not on PATH" {
    requires_berth
    run -1 --separate-stderr env PATH= "$BERTH_RUNTIME" --root "$ROOT" checkpoint "$CID"
    assert_one_line "$stderr"
    [[ "$stderr" == *"criu is not available: no 'criu' on PATH"* ]]
    run -1 --separate-stderr env PATH= "$BERTH_RUNTIME" --root "$ROOT" restore -b "$BUNDLE" "$CID"
    assert_one_line "$stderr"
    [[ "$stderr" == *"criu is not available"* ]]
    [ -z "$(rt list -q)" ]
}

@test "BERTH_CRIU naming nothing is refused, and nothing changes" {
    requires_berth
    set_args sleep 1000
    ctr_run_detached
    run -1 --separate-stderr env BERTH_CRIU=/nonexistent "$BERTH_RUNTIME" --root "$ROOT" checkpoint --image-path "$TMP/img" "$CID"
    assert_one_line "$stderr"
    [[ "$stderr" == *"BERTH_CRIU='/nonexistent' is not an executable"* ]]
    [ "$(ctr_status)" = running ]
    [ ! -e "$TMP/img" ]
    run -1 --separate-stderr env BERTH_CRIU=/nonexistent "$BERTH_RUNTIME" --root "$ROOT" restore -b "$BUNDLE" "$CID2"
    assert_one_line "$stderr"
    [ "$(rt list -q)" = "$CID" ]
}

@test "checkpoint of an unknown container is a one-line error that writes nothing" {
    requires_berth
    command -v criu >/dev/null || skip "criu is not installed"
    run -1 --separate-stderr rt checkpoint --image-path "$TMP/img" "$CID"
    assert_one_line "$stderr"
    [[ "$stderr" == *"container '$CID' does not exist"* ]]
    [ ! -e "$TMP/img" ]
}

@test "checkpoint of a container that is not running is refused, nothing changed" {
    requires_berth
    command -v criu >/dev/null || skip "criu is not installed"
    set_args sleep 1000
    ctr_create
    run -1 --separate-stderr rt checkpoint --image-path "$TMP/img" "$CID"
    assert_one_line "$stderr"
    [[ "$stderr" == *"container '$CID' is created, not running"* ]]
    [ "$(ctr_status)" = created ]
    [ ! -e "$TMP/img" ]
}

@test "restore without a checkpoint image is refused before anything is made" {
    requires_berth
    command -v criu >/dev/null || skip "criu is not installed"
    mkdir "$TMP/empty"
    run -1 --separate-stderr rt restore --image-path "$TMP/empty" -b "$BUNDLE" "$CID"
    assert_one_line "$stderr"
    [[ "$stderr" == *"no checkpoint in '$TMP/empty'"* ]]
    run -1 --separate-stderr rt restore --image-path "$TMP/missing" -b "$BUNDLE" "$CID"
    assert_one_line "$stderr"
    [ -z "$(rt list -q)" ]
    [ -z "$(find /sys/fs/cgroup -name "$CID" 2>/dev/null)" ]
}

@test "a checkpoint criu fails leaves the container running and says why" {
    requires_berth
    command -v criu >/dev/null || skip "criu is not installed"
    criu check >/dev/null 2>&1 && skip "criu works on this kernel: the tests below check it"
    start_counter
    run -1 --separate-stderr rt checkpoint --image-path "$TMP/img" "$CID"
    assert_one_line "$stderr"
    [[ "$stderr" == *"criu dump failed"*"(log: $TMP/img/dump.log)"* ]]
    [ "$(ctr_status)" = running ]
    local n
    n=$(count)
    retry 50 0.1 count_above "$n"
}

# --- with a working criu ---------------------------------------------------------

@test "checkpoint stops the container; restore counts on from where it was" {
    requires_criu
    start_counter
    checkpoint
    # runc's: the checkpointed container is gone
    run -1 rt state "$CID"
    local at
    at=$(count)
    sleep 0.5
    [ "$(count)" = "$at" ]
    restore_detached "$CID"
    [ "$(ctr_status)" = running ]
    [ "$(rt list -q)" = "$CID" ]
    retry 50 0.1 count_above "$at"
    # the same process, not a new one counting from 1 again
    local after
    after=$(count)
    [ "$after" -gt "$at" ] && [ "$after" -lt $((at + 20)) ]
    retry 50 0.1 count_above "$after"
    # its cgroup is the one berth made for the restored container
    local pid
    pid=$(ctr_pid)
    grep -q "$CID" "/proc/$pid/cgroup"
    rt kill "$CID" KILL
    wait_for_status "$CID" stopped
    rt delete "$CID"
    [ -z "$(find /sys/fs/cgroup -name "$CID" 2>/dev/null)" ]
}

@test "checkpoint --leave-running keeps it counting; the image restores the moment it took" {
    requires_criu
    start_counter
    checkpoint --leave-running
    local at
    at=$(count)
    [ "$(ctr_status)" = running ]
    retry 50 0.1 count_above $((at + 3))
    rt kill "$CID" KILL
    wait_for_status "$CID" stopped
    rt delete "$CID"
    echo "$at" >"$BUNDLE/rootfs/tmp/count"
    restore_detached "$CID"
    [ "$(ctr_status)" = running ]
    retry 50 0.1 count_above "$at"
}

@test "a foreground restore waits for the container and returns its status" {
    requires_criu
    start_counter
    checkpoint
    rt restore --image-path "$TMP/img" --work-path "$TMP/work" --bundle "$BUNDLE" "$CID" \
        </dev/null >"$TMP/fg.out" 2>&1 3>&- &
    local fg=$! at
    echo "$fg" >>"$BATS_TEST_TMPDIR/pids"
    at=$(count)
    retry 100 0.1 count_above "$at"
    [ "$(ctr_status)" = running ]
    touch "$BUNDLE/rootfs/tmp/stop"
    local rc=0
    wait "$fg" || rc=$?
    cat "$TMP/fg.out"
    [ "$rc" = 7 ]
    # and, as a foreground run, it deleted the container
    [ -z "$(rt list -q)" ]
}

@test "restore of a config with a terminal is refused before anything is made" {
    requires_berth
    command -v criu >/dev/null || skip "criu is not installed"
    update_config '.process.terminal = true'
    mkdir "$TMP/img" && touch "$TMP/img/inventory.img"
    run -1 --separate-stderr rt restore --image-path "$TMP/img" -b "$BUNDLE" "$CID"
    assert_one_line "$stderr"
    [[ "$stderr" == *"'process.terminal'"* ]]
    [ -z "$(rt list -q)" ]
}

@test "a bind mount from the host is external: the restored container has it again" {
    requires_criu
    mkdir "$TMP/data"
    update_config '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["rbind", "rw"]}]' \
        --arg s "$TMP/data"
    set_cmd 'i=0; while :; do i=$((i + 1)); echo $i >/data/n.new; mv /data/n.new /data/n; sleep 0.1; done'
    remember_id "$CID"
    rt run --detach --bundle "$BUNDLE" "$CID" </dev/null >>"$BATS_TEST_TMPDIR/$CID.out" \
        2>>"$BATS_TEST_TMPDIR/$CID.err" 3>&-
    retry 100 0.1 data_above 3
    checkpoint
    local at
    at=$(cat "$TMP/data/n")
    restore_detached "$CID"
    retry 50 0.1 data_above "$at"
}
