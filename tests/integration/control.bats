#!/usr/bin/env bats
# pause, resume, ps, update, events and features: what a running
# container's cgroup answers and takes, as a user of runc's command line
# sees it.

load helpers

# --- helpers ---------------------------------------------------------------------

# A file the container writes below its /tmp, read from the host.
in_ctr() {
    cat "$BUNDLE/rootfs/tmp/$1" 2>/dev/null
}

# The container waits for the host to `go` (touch its /tmp/go) before the
# rest of SCRIPT; results go to files below its /tmp.
set_cmd_after_go() {
    set_cmd "while [ ! -e /tmp/go ]; do sleep 0.05; done; $1"
}

go() {
    touch "$BUNDLE/rootfs/tmp/go"
}

has_file() {
    [ -s "$BUNDLE/rootfs/tmp/$1" ]
}

# cg_file CONTROLLER V1FILE V2FILE: the path of the running container's
# cgroup file, by layout.
cg_file() {
    local dir
    dir=$(cgroup_dir "$(ctr_pid)" "$1")
    if cgroup_v2_only; then echo "$dir/$3"; else echo "$dir/$2"; fi
}

# A counter the container bumps every 50 ms.
start_counter() {
    set_cmd 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'
    ctr_run_detached
    retry 200 0.05 has_file count
}

counter_above() {
    [ "$(in_ctr count)" -gt "$1" ]
}

# bg_events ARG...: `events` in the background, its output in $TMP/events;
# sets EV_PID (the teardown kills it).
bg_events() {
    rt events "$@" >"$TMP/events" 2>&1 </dev/null 3>&- &
    EV_PID=$!
    echo "$EV_PID" >>"$BATS_TEST_TMPDIR/pids"
}

events_has() {
    grep -q -- "$1" "$TMP/events" 2>/dev/null
}

# procs_are N: the container's cgroup tree holds N processes.
procs_are() {
    [ "$(rt ps --format json "$CID" | jq length)" -eq "$1" ]
}

# stats_at_least N: the background events printed N stats lines.
stats_at_least() {
    [ "$(grep -c '"type":"stats"' "$TMP/events" 2>/dev/null)" -ge "$1" ]
}

# gone PID: the process has exited (gone, or a zombie left to its parent).
gone() {
    local st
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)
    [ -z "$st" ] || [ "$st" = Z ]
}

# wait_gone PID: wait (up to 10 s) until a process of ours has exited, then
# give its status.
wait_gone() {
    retry 200 0.05 refute kill -0 "$1" 2>/dev/null
    wait "$1"
}

# --- pause and resume ---------------------------------------------------------------

@test "pause stops a counter, resume lets it go on; state and list say paused" {
    start_counter
    rt pause "$CID"
    assert_eq "$(ctr_status)" paused
    assert_eq "$(rt list --format json | jq -r --arg id "$CID" '.[] | select(.id == $id) | .status')" paused
    local frozen
    frozen=$(in_ctr count)
    sleep 0.5
    assert_eq "$(in_ctr count)" "$frozen" "the counter moved while paused"
    rt resume "$CID"
    assert_eq "$(ctr_status)" running
    retry 100 0.05 counter_above "$frozen"
}

@test "pause of a container that is not running, resume of one not paused: one line, exit 1, nothing changed" {
    set_args sleep 1000
    ctr_create
    # runc pauses a created container too
    if is_berth; then
        run --separate-stderr rt pause "$CID"
        [ "$status" -eq 1 ]
        assert_one_line "$stderr"
        assert_eq "$(ctr_status)" created
    fi
    ctr_start
    run --separate-stderr rt resume "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$stderr"
    assert_eq "$(ctr_status)" running
    rt kill "$CID" KILL
    wait_for_status "$CID" stopped
    run --separate-stderr rt pause "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$stderr"
    assert_eq "$(ctr_status)" stopped
    run --separate-stderr rt pause "$CID-nosuch"
    [ "$status" -eq 1 ]
    assert_one_line "$stderr"
}

@test "pause and resume name what is wrong" {
    requires_berth "berth's messages"
    set_args sleep 1000
    ctr_run_detached
    run --separate-stderr rt resume "$CID"
    [[ "$stderr" == *"cannot resume container '$CID': it is running, not paused"* ]]
    run --separate-stderr rt pause
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"usage: berth-runtime pause ID"* ]]
}

@test "kill KILL ends a paused container (the v1 freezer would hold the signal)" {
    set_cmd 'sleep 100 & sleep 100'
    ctr_run_detached
    local pids pid
    retry 100 0.05 procs_are 2
    pids=$(rt ps --format json "$CID" | jq -r '.[]')
    rt pause "$CID"
    rt kill "$CID" KILL
    wait_for_status "$CID" stopped
    # the init's death takes the rest of its PID namespace along
    for pid in $pids; do
        retry 200 0.05 gone "$pid"
    done
}

@test "kill --all KILL ends every process of a paused container" {
    remove_namespace pid
    set_cmd 'sleep 100 & sleep 100'
    ctr_run_detached
    local pids pid
    retry 100 0.05 procs_are 2
    pids=$(rt ps --format json "$CID" | jq -r '.[]')
    rt pause "$CID"
    rt kill --all "$CID" KILL
    wait_for_status "$CID" stopped
    for pid in $pids; do
        retry 200 0.05 gone "$pid"
    done
}

@test "delete --force removes a paused container and its cgroup" {
    set_args sleep 1000
    ctr_run_detached
    rt pause "$CID"
    rt delete --force "$CID"
    assert_eq "$(rt list -q)" ""
    assert_eq "$(find /sys/fs/cgroup -type d -name "$CID*")" ""
}

# --- ps -----------------------------------------------------------------------------

@test "ps --format json lists the host pids of the container's cgroup" {
    set_cmd 'sleep 100 & sleep 100 & wait'
    ctr_run_detached
    local want
    retry 100 0.05 procs_are 3
    want=$(sort -n "$(cgroup_dir "$(ctr_pid)" pids)/cgroup.procs" | paste -sd,)
    run -0 rt ps --format json "$CID"
    assert_eq "$(jq -r 'sort | map(tostring) | join(",")' <<<"$output")" "$want"
    assert_eq "$(jq --argjson p "$(ctr_pid)" 'index($p) != null' <<<"$output")" true
}

@test "ps prints ps's header and the container's processes only" {
    set_cmd 'sleep 100 & sleep 100 & wait'
    ctr_run_detached
    retry 100 0.05 procs_are 3
    run -0 rt ps "$CID"
    [[ "${lines[0]}" =~ PID ]]
    assert_eq "${#lines[@]}" 4
    # the command column is the last: procps' -ef and busybox's ps differ
    assert_eq "$(printf '%s\n' "${lines[@]:1}" | grep -c ' sleep 100$')" 2
    # ps options after the id go to ps
    run -0 rt ps "$CID" -o pid,comm
    assert_eq "$(echo "${lines[0]}" | awk '{print $1}')" PID
    assert_eq "$(printf '%s\n' "${lines[@]:1}" | awk '{print $2}' | sort | paste -sd' ')" "sh sleep sleep"
}

@test "ps of an unknown or stopped container fails with one line" {
    run --separate-stderr rt ps "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$stderr"
    requires_berth "runc prints null for a stopped container"
    set_args true
    ctr_create
    ctr_start
    wait_for_status "$CID" stopped
    run --separate-stderr rt ps --format json "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$stderr"
}

# --- update -------------------------------------------------------------------------

@test "update --memory changes the limit and a hungry process is OOM-killed" {
    set_cmd_after_go 'berth-probe memhog 64 >/tmp/hog; echo $? >/tmp/rc; sleep 100'
    ctr_run_detached
    local f
    f=$(cg_file memory memory.limit_in_bytes memory.max)
    rt update --memory 32m --memory-swap 32m "$CID"
    assert_eq "$(cat "$f")" 33554432
    go
    retry 200 0.05 has_file rc
    assert_eq "$(in_ctr rc)" 137
    assert_eq "$(ctr_status)" running
}

@test "update --memory -1 lifts the limit: the same process runs" {
    update_config '.linux.resources.memory = {limit: 33554432}'
    set_cmd_after_go 'berth-probe memhog 64 >/tmp/hog; echo $? >/tmp/rc; sleep 100'
    ctr_run_detached
    rt update --memory -1 --memory-swap -1 "$CID"
    go
    retry 200 0.05 has_file rc
    assert_eq "$(in_ctr rc)" 0
    assert_eq "$(in_ctr hog)" "allocated 64"
}

@test "update --pids-limit: forks beyond it fail" {
    set_cmd_after_go 'berth-probe forkbomb 100 >/tmp/forked; sleep 100'
    ctr_run_detached
    rt update --pids-limit 10 "$CID"
    assert_eq "$(cat "$(cg_file pids pids.max pids.max)")" 10
    go
    retry 200 0.05 has_file forked
    [ "$(in_ctr forked)" -lt 10 ]
    [ "$(in_ctr forked)" -ge 5 ]
}

@test "update writes cpu quota, period, shares and cpuset" {
    set_args sleep 1000
    ctr_run_detached
    local cpu
    cpu=$(($(nproc) - 1))
    # runc spells it --cpu-share; berth takes --cpu-shares too
    rt update --cpu-quota 20000 --cpu-period 50000 --cpu-share 512 --cpuset-cpus "$cpu" "$CID"
    if cgroup_v2_only; then
        assert_eq "$(cat "$(cg_file cpu x cpu.max)")" "20000 50000"
        assert_eq "$(cat "$(cg_file cpu x cpu.weight)")" $((1 + ((512 - 2) * 9999) / 262142))
    else
        assert_eq "$(cat "$(cg_file cpu cpu.cfs_quota_us x)")" 20000
        assert_eq "$(cat "$(cg_file cpu cpu.cfs_period_us x)")" 50000
        assert_eq "$(cat "$(cg_file cpu cpu.shares x)")" 512
    fi
    assert_eq "$(cat "$(cg_file cpuset cpuset.cpus cpuset.cpus)")" "$cpu"
    rt update --cpu-quota -1 "$CID"
    if cgroup_v2_only; then
        [[ "$(cat "$(cg_file cpu x cpu.max)")" == "max "* ]]
    else
        assert_eq "$(cat "$(cg_file cpu cpu.cfs_quota_us x)")" -1
    fi
}

@test "update -r takes a linux.resources object from a file or stdin" {
    set_args sleep 1000
    ctr_run_detached
    echo '{"memory": {"limit": 50331648}, "pids": {"limit": 42}}' >"$TMP/res.json"
    rt update -r "$TMP/res.json" "$CID"
    assert_eq "$(cat "$(cg_file memory memory.limit_in_bytes memory.max)")" 50331648
    assert_eq "$(cat "$(cg_file pids pids.max pids.max)")" 42
    echo '{"pids": {"limit": 43}}' | rt update --resources - "$CID"
    assert_eq "$(cat "$(cg_file pids pids.max pids.max)")" 43
}

@test "update -r with device rules replaces the container's rules" {
    requires_berth "runc 1.1's update leaves device rules alone"
    update_config '.linux.devices = [{path: "/dev/berth-kmsg", type: "c", major: 1, minor: 11,
                                      fileMode: 438, uid: 0, gid: 0}]'
    set_cmd 'berth-probe open-write /dev/berth-kmsg >/tmp/before
             while [ ! -e /tmp/go ]; do sleep 0.05; done
             berth-probe open-write /dev/berth-kmsg >/tmp/after
             berth-probe open-write /dev/null >/tmp/null; sleep 100'
    ctr_run_detached
    retry 200 0.05 has_file before
    assert_eq "$(in_ctr before)" EPERM
    rt update -r - "$CID" <<'EOT'
{"devices": [{"allow": false, "access": "rwm"},
             {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "rw"}]}
EOT
    go
    retry 200 0.05 has_file null
    assert_eq "$(in_ctr after)" ok
    # the default devices stay allowed
    assert_eq "$(in_ctr null)" ok
    rt delete --force "$CID"
    assert_eq "$(find /sys/fs/cgroup -type d -name "$CID*")" ""
}

# update_refused WHAT ARG...: update fails with one line naming WHAT, and the
# memory and pids limits are as before.
update_refused() {
    local what=$1 mem pids
    shift
    mem=$(cat "$(cg_file memory memory.limit_in_bytes memory.max)")
    pids=$(cat "$(cg_file pids pids.max pids.max)")
    run --separate-stderr rt update "$@"
    [ "$status" -eq 1 ] || { echo "$*: status $status" >&2; return 1; }
    assert_one_line "$stderr"
    [[ "$stderr" == *"$what"* ]] || { echo "$*: '$stderr' does not name '$what'" >&2; return 1; }
    assert_eq "$(cat "$(cg_file memory memory.limit_in_bytes memory.max)")" "$mem"
    assert_eq "$(cat "$(cg_file pids pids.max pids.max)")" "$pids"
}

@test "update refuses bad values with one line naming them and changes nothing" {
    requires_berth "berth's messages"
    set_args sleep 1000
    ctr_run_detached
    echo '{"memory": {"limit": 3' >"$TMP/broken.json"
    echo '{"pids": {"limit": "ten"}}' >"$TMP/wrong.json"
    update_refused "'--memory'" --pids-limit 5 --memory 12XB "$CID"
    update_refused "'--cpu-period'" --pids-limit 5 --cpu-period -5 "$CID"
    update_refused "'--cpu-quota'" --cpu-quota 10 "$CID"
    update_refused "'--pids-limit'" --pids-limit many "$CID"
    update_refused "$TMP/broken.json" -r "$TMP/broken.json" "$CID"
    update_refused "pids.limit" --memory 64m -r "$TMP/wrong.json" "$CID"
    update_refused "$TMP/nosuch.json" -r "$TMP/nosuch.json" "$CID"
    update_refused "swap" --memory 64m --memory-swap 32m "$CID"
    update_refused "'--bogus'" --bogus 1 "$CID"
    update_refused "$CID-nosuch" --pids-limit 5 "$CID-nosuch"
}

@test "update of a stopped container fails with one line" {
    set_args true
    ctr_create
    ctr_start
    wait_for_status "$CID" stopped
    run --separate-stderr rt update --pids-limit 5 "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$stderr"
}

# --- events -------------------------------------------------------------------------

@test "events --stats prints one stats line: memory in use, every process counted" {
    set_cmd 'sleep 100 & sleep 100 & wait'
    update_config '.linux.resources.pids = {limit: 50}'
    ctr_run_detached
    retry 100 0.05 procs_are 3
    run -0 --separate-stderr rt events --stats "$CID"
    assert_eq "${#lines[@]}" 1
    assert_eq "$(jq -r .type <<<"$output")" stats
    assert_eq "$(jq -r .id <<<"$output")" "$CID"
    jq -e '.data.memory.usage.usage > 0' <<<"$output"
    assert_eq "$(jq .data.pids.current <<<"$output")" 3
    assert_eq "$(jq .data.pids.limit <<<"$output")" 50
    jq -e '.data.cpu.usage.total > 0' <<<"$output"
    jq -e '.data.memory.raw | length > 0' <<<"$output"
    # runc leaves out an empty list
    jq -e '.data.blkio.ioServiceBytesRecursive // [] | type == "array"' <<<"$output"
}

@test "events prints stats every interval until the container stops" {
    set_args sleep 1000
    ctr_run_detached
    bg_events --interval 300ms "$CID"
    retry 100 0.05 stats_at_least 3
    rt kill "$CID" KILL
    # runc's ends once the cgroup is gone
    is_berth || rt delete --force "$CID"
    wait_gone "$EV_PID"
    jq -e -s 'all(.[]; .type == "stats" and .data.pids.current >= 0)' "$TMP/events"
}

@test "events reports an OOM kill in the container" {
    update_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
    set_cmd_after_go 'berth-probe memhog 128; sleep 100'
    ctr_run_detached
    bg_events --interval 1s "$CID"
    sleep 0.3
    go
    retry 200 0.05 events_has '"type":"oom"'
    assert_eq "$(grep '"type":"oom"' "$TMP/events" | head -1 | jq -c .)" "{\"type\":\"oom\",\"id\":\"$CID\"}"
    rt delete --force "$CID"
    wait_gone "$EV_PID"
}

@test "events refuses a bad interval and a stopped container with one line" {
    set_args true
    ctr_create
    for interval in 1x 0 -1s ""; do
        run --separate-stderr rt events --interval "$interval" "$CID"
        [ "$status" -eq 1 ] || { echo "interval '$interval': status $status" >&2; return 1; }
        assert_one_line "$stderr"
    done
    ctr_start
    wait_for_status "$CID" stopped
    run --separate-stderr rt events --stats "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$stderr"
    run --separate-stderr rt events "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$stderr"
}

# --- features -----------------------------------------------------------------------

@test "features prints the runtime-spec features document" {
    run -0 rt features
    jq -e . <<<"$output" >/dev/null
    jq -e '.linux.namespaces | index("pid") != null' <<<"$output"
    jq -e '.ociVersionMin | test("^1\\.")' <<<"$output"
    jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") != null' <<<"$output"
    jq -e '.mountOptions | index("rbind") != null and index("rro") != null' <<<"$output"
    jq -e '.linux.seccomp.enabled and (.linux.seccomp.archs | index("SCMP_ARCH_X86_64") != null)' <<<"$output"
    jq -e '.linux.cgroup.v1 and .linux.cgroup.v2' <<<"$output"
}

@test "features lists only what berth takes" {
    requires_berth "berth's refusals"
    run -0 rt features
    # the hooks config.json may have; user and time namespaces are taken,
    # seccomp notify is refused today
    assert_eq "$(jq -c .hooks <<<"$output")" \
        '["prestart","createRuntime","createContainer","startContainer","poststart","poststop"]'
    jq -e '.linux.namespaces | index("user") != null and index("time") != null' <<<"$output"
    jq -e '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") == null' <<<"$output"
    jq -e '.linux.cgroup.systemd == false and .linux.intelRdt.enabled == false' <<<"$output"
    jq -e '.mountOptions | index("tmpcopyup") != null' <<<"$output"
}
