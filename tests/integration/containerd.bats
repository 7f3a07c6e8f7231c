#!/usr/bin/env bats
# containerd drives berth-runtime through its runc shim (`ctr run
# --runc-binary PATH`): Debian's containerd, a private instance with its own
# config, root, state and socket under the file's temporary dir, started
# here and stopped by PID; the image is a busybox OCI image built with umoci.

load helpers

c() {
    # 120 s: in the v2 lane's qemu guest beside a busy host, a task delete
    # once took more than 60
    ctr -a "$CD/c.sock" -n berth-test --timeout 120s "$@"
}

# c_run ARGS... IMAGE ID CMD...: `ctr run` through the runtime under test,
# with the runtime's state, the IO fifos and the cgroup below the test's own.
c_run() {
    c run --runc-binary "$BERTH_RUNTIME" --runc-root "$CD/runc" --fifo-dir "$CD/fifo" \
        --cgroup "$CD_CGROUP/$CID-$RANDOM$RANDOM" "$@"
}

has() {
    grep -q -- "$1" <<<"$output"
}

task_status() {
    c task ls | awk -v id="$1" '$1 == id {print $3}'
}

task_is() {
    [ "$(task_status "$1")" = "$2" ]
}

setup_file() {
    command -v containerd >/dev/null && command -v umoci >/dev/null ||
        skip "containerd or umoci is not installed (scripts/deps.sh)"
    berth_setup_file
    export CD=$BATS_FILE_TMPDIR/containerd
    export CD_CGROUP=berth-ctr-$BERTH_TAG
    # the cgroup v2 lane's guest kernel has no overlay module loaded
    grep -qw overlay /proc/filesystems || export CONTAINERD_SNAPSHOTTER=native
    mkdir -p "$CD/fifo"
    # containerd 1.6's shims keep their sockets in /run/containerd/s whatever
    # the config says: remove that directory again if this file made it
    [ -e /run/containerd ] || touch "$CD/made-run-containerd"
    cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$CD/c.sock"
[ttrpc]
  address = "$CD/c.sock.ttrpc"
EOF
    containerd --config "$CD/config.toml" </dev/null >"$CD/log" 2>&1 3>&- &
    echo $! >"$CD/pid"
    retry 200 0.05 c version >/dev/null
    # a busybox image: the test bundle's rootfs as one layer of an OCI image
    umoci init --layout "$CD/layout"
    umoci new --image "$CD/layout:bb"
    umoci unpack --image "$CD/layout:bb" "$CD/unpacked" 2>/dev/null
    cp -a "$PRISTINE/rootfs/." "$CD/unpacked/rootfs/"
    umoci repack --image "$CD/layout:bb" "$CD/unpacked"
    umoci config --image "$CD/layout:bb" --config.cmd sh
    rm -rf "$CD/unpacked"
    tar -C "$CD/layout" -cf "$CD/bb.tar" .
    c images import --base-name localhost/berth-bb "$CD/bb.tar" >/dev/null
}

teardown_file() {
    [ -n "${CD:-}" ] || return 0
    local id pid
    for id in $(c task ls -q 2>/dev/null); do
        c task kill -s KILL "$id" >/dev/null 2>&1 || true
        retry 100 0.05 task_is "$id" STOPPED || true
        c task rm -f "$id" >/dev/null 2>&1 || true
    done
    for id in $(c containers ls -q 2>/dev/null); do
        c containers rm "$id" >/dev/null 2>&1 || true
    done
    c images rm localhost/berth-bb:bb >/dev/null 2>&1 || true
    pid=$(cat "$CD/pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    # the overlay snapshotter's mounts go with each task; nothing may be left
    grep -o " $CD/[^ ]*" /proc/self/mounts | tac | xargs -r umount -l 2>/dev/null || true
    rm -rf "$CD/root" "$CD/state"
    if [ -f "$CD/made-run-containerd" ]; then
        rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null || true
    fi
    find /sys/fs/cgroup -depth -type d -path "*/$CD_CGROUP*" -exec rmdir {} \; 2>/dev/null || true
}

teardown() {
    if [ -n "${CD:-}" ] && [ -n "$(task_status "$CID")" ]; then
        c task kill -s KILL "$CID" >/dev/null 2>&1 || true
        retry 100 0.05 task_is "$CID" STOPPED || true
        c task rm -f "$CID" >/dev/null 2>&1 || true
    fi
    [ -z "${CD:-}" ] || c containers rm "$CID" >/dev/null 2>&1 || true
    berth_teardown
}

@test "containerd: ctr run --rm prints and propagates the exit status" {
    run -0 c_run --rm localhost/berth-bb:bb "$CID" echo hello-from-ctr
    assert_eq "$output" hello-from-ctr
    run -3 c_run --rm localhost/berth-bb:bb "$CID" sh -c 'exit 3'
}

@test "containerd: --env, --cwd, --read-only, --seccomp, and task exec --user" {
    run -0 c_run --rm --env CTR_VAR=ctr-value --cwd /etc --read-only --seccomp \
        localhost/berth-bb:bb "$CID" sh -c 'echo $CTR_VAR; pwd; touch /x 2>/dev/null || echo ro;
            grep ^Seccomp: /proc/self/status'
    assert_eq "$output" "$(printf 'ctr-value\n/etc\nro\nSeccomp:\t2')"
    c_run -d localhost/berth-bb:bb "$CID" sleep 1000
    run -0 c task exec --exec-id u1 --user 1234 --fifo-dir "$CD/fifo" "$CID" id -u
    assert_eq "$output" 1234
}

@test "containerd: a pod, containers joining a sandbox's network, IPC and UTS namespaces" {
    # what the CRI plugin does for a Kubernetes pod: a sandbox holds the
    # namespaces, each container joins them by path and comes and goes
    c_run -d --cap-add CAP_SYS_ADMIN localhost/berth-bb:bb "$CID" sh -c 'hostname pod-host; exec sleep 1000'
    local pid ns=() t
    pid=$(c task ls | awk -v id="$CID" '$1 == id {print $2}')
    retry 100 0.05 eval '[ "$(nsenter -t '"$pid"' -u hostname)" = pod-host ]'
    for t in net:network ipc:ipc uts:uts; do
        ns+=(--with-ns "${t#*:}:/proc/$pid/ns/${t%%:*}")
    done
    run -0 c_run --rm "${ns[@]}" --read-only localhost/berth-bb:bb "$CID-app" sh -c \
        'hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'
    assert_eq "$output" "$(printf 'pod-host\n%s\n%s' "$(readlink /proc/$pid/ns/net)" "$(readlink /proc/$pid/ns/ipc)")"
    # a long-running member with an exec probe, deleted while the sandbox runs
    c_run -d "${ns[@]}" localhost/berth-bb:bb "$CID-app2" sleep 1000
    run -0 c task exec --exec-id probe --fifo-dir "$CD/fifo" "$CID-app2" hostname
    assert_eq "$output" pod-host
    c task kill -s KILL "$CID-app2"
    retry 100 0.05 task_is "$CID-app2" STOPPED
    c task rm "$CID-app2" >/dev/null 2>&1
    c containers rm "$CID-app2"
    assert_eq "$(task_status "$CID")" RUNNING
}

@test "containerd: --memory-limit is the container's limit, and a bigger allocation is killed" {
    c_run -d --memory-limit 67108864 localhost/berth-bb:bb "$CID" sleep 1000
    local pid cg
    pid=$(c task ls | awk -v id="$CID" '$1 == id {print $2}')
    if cgroup_v2_only; then
        cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")/memory.max
    else
        cg=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' "/proc/$pid/cgroup")/memory.limit_in_bytes
    fi
    [[ $cg == *"$CD_CGROUP/$CID"* ]]
    assert_eq "$(cat "$cg")" 67108864
    run -137 c task exec --exec-id hog --fifo-dir "$CD/fifo" "$CID" berth-probe memhog 256
}

@test "containerd: run -d, task exec with its status, task ps, pause, resume, kill reaching a TERM trap" {
    c_run -d localhost/berth-bb:bb "$CID" sh -c \
        'trap "exit 7" TERM; i=0; while true; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/count; sleep 0.05; done'
    retry 100 0.05 task_is "$CID" RUNNING
    run -5 c task exec --exec-id e1 --fifo-dir "$CD/fifo" "$CID" sh -c 'echo in-exec; exit 5'
    assert_eq "$output" in-exec
    local pid
    pid=$(c task ls | awk -v id="$CID" '$1 == id {print $2}')
    run -0 c task ps "$CID"
    has "^$pid "
    run -0 c task pause "$CID"
    assert_eq "$(task_status "$CID")" PAUSED
    # frozen: the counter (renamed into place whole), read from the host, stands still
    local n1 n2
    sleep 0.2
    n1=$(cat "/proc/$pid/root/tmp/count")
    [ -n "$n1" ]
    sleep 0.5
    n2=$(cat "/proc/$pid/root/tmp/count")
    assert_eq "$n2" "$n1"
    run -0 c task resume "$CID"
    assert_eq "$(task_status "$CID")" RUNNING
    retry 200 0.1 eval '[ "$(cat /proc/$pid/root/tmp/count)" -gt "$n1" ]'
    run -0 c task exec --exec-id e2 --fifo-dir "$CD/fifo" "$CID" true
    c task kill -s TERM "$CID"
    retry 100 0.05 task_is "$CID" STOPPED
    # the trap ran: its exit status is the task's
    run -0 c task delete "$CID"
    has 'exit code 7'
}

@test "containerd: ctr run -t under script(1) gives the process a terminal" {
    command -v script >/dev/null || skip "script(1) is not installed"
    # ctr resizes the pty only after the task started: wait for the size
    run -0 script -qec "stty rows 21 cols 77; ctr -a $CD/c.sock -n berth-test run --rm -t \
        --runc-binary $BERTH_RUNTIME --runc-root $CD/runc --fifo-dir $CD/fifo \
        --cgroup $CD_CGROUP/$CID localhost/berth-bb:bb $CID sh -c \
        'tty; for i in \$(seq 50); do stty -a | grep -q \"rows 0\" || break; sleep 0.1; done; stty size'" /dev/null
    has /dev/pts/0
    has "21 77"
}
