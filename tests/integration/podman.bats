#!/usr/bin/env bats
# podman drives berth-runtime as its OCI runtime (`podman --runtime PATH`):
# Debian's podman with a private containers.conf, storage (vfs), run root and
# tmpdir under the file's temporary dir, never the system's. Every container
# goes below a cgroup parent named after the file's tag, removed at the end.

load helpers

pm() {
    "$PM/podman" "$@"
}

# pm_run ARGS...: `podman run` through the runtime under test, no network
# (the default would need CNI), inside the file's cgroup parent.
pm_run() {
    pm --runtime "$BERTH_RUNTIME" run --network none --cgroup-parent "$PM_CGROUP" "$@"
}

# has TEXT: the last `run` printed TEXT.
has() {
    grep -q -- "$1" <<<"$output"
}

logs_have() {
    pm logs "$1" 2>/dev/null | grep -q -- "$2"
}

setup_file() {
    command -v podman >/dev/null || skip "podman is not installed (scripts/deps.sh)"
    berth_setup_file
    export PM=$BATS_FILE_TMPDIR/podman
    export PM_CGROUP=berth-podman-$BERTH_TAG
    mkdir -p "$PM/tmp"
    # podman with the private configuration, also for script(1) below; from
    # a private dir, as conmon writes its "oom" file into its working dir.
    # The runtime gets a private --root: as root podman passes none, and
    # berth-runtime's default /run/berth would keep its seccomp cache
    # (/run/berth/.seccomp) on the host after the file
    cat >"$PM/podman" <<EOF
#!/bin/sh
export CONTAINERS_CONF=$PM/containers.conf CONTAINERS_STORAGE_CONF=$PM/storage.conf
cd "$PM/tmp" || exit 1
exec podman --tmpdir "$PM/tmp" --runtime-flag "root=$PM/runtime" "\$@"
EOF
    chmod 755 "$PM/podman"
    # nofile/nproc: podman's defaults raise the hard limits, which needs
    # CAP_SYS_RESOURCE in the caller's user namespace (absent in some sandboxes)
    cat >"$PM/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "berth"
[engine.runtimes]
berth = ["$BERTH_RUNTIME"]
EOF
    cat >"$PM/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$PM/run"
graphroot = "$PM/graph"
EOF
    # the image: the test bundle's rootfs, with a file below /run that a
    # --read-only container finds copied into its /run tmpfs (tmpcopyup)
    cp -a "$PRISTINE/rootfs" "$PM/rootfs"
    mkdir -p "$PM/rootfs/run/kept"
    echo kept-content >"$PM/rootfs/run/kept/file"
    tar -C "$PM/rootfs" -cf "$PM/rootfs.tar" .
    rm -rf "$PM/rootfs"
    pm import -q "$PM/rootfs.tar" localhost/berth-bb:test >/dev/null
}

teardown_file() {
    [ -n "${PM:-}" ] || return 0
    pm rm -af -t 0 >/dev/null 2>&1 || true
    pm rmi -af >/dev/null 2>&1 || true
    # podman's vfs layers hold files owned by other ids; nothing is mounted
    rm -rf "$PM"
    find /sys/fs/cgroup -depth -type d -path "*/$PM_CGROUP*" -exec rmdir {} \; 2>/dev/null || true
}

teardown() {
    pm rm -f -t 0 "$CID" >/dev/null 2>&1 || true
    berth_teardown
}

@test "podman: run --rm --rootfs DIR prints and exits 0" {
    run -0 pm_run --rm --rootfs "$PRISTINE/rootfs" /bin/echo hello-from-rootfs
    assert_eq "$output" hello-from-rootfs
}

@test "podman: a local image, and the exit status comes back" {
    run -0 pm_run --rm localhost/berth-bb:test echo hello-from-image
    assert_eq "$output" hello-from-image
    run -3 pm_run --rm localhost/berth-bb:test sh -c 'exit 3'
    run -0 pm images --format '{{.Repository}}:{{.Tag}}'
    has localhost/berth-bb:test
}

@test "podman: --hostname, -e and --user reach the process" {
    run -0 pm_run --rm --hostname pm-host -e PM_VAR=pm-value --user 1234:4321 \
        localhost/berth-bb:test sh -c 'hostname; echo $PM_VAR; id -u; id -g'
    assert_eq "$output" "$(printf 'pm-host\npm-value\n1234\n4321')"
}

@test "podman: -m 64m is the container's memory limit, and a bigger allocation is killed" {
    local file=memory/memory.limit_in_bytes
    cgroup_v2_only && file=memory.max
    run -0 pm_run --rm -m 64m localhost/berth-bb:test cat "/sys/fs/cgroup/$file"
    assert_eq "$output" 67108864
    run -137 pm_run --rm -m 64m --memory-swap 64m localhost/berth-bb:test berth-probe memhog 256
}

@test "podman: --read-only root with podman's tmpcopyup tmpfs mounts" {
    run -0 pm_run --rm --read-only localhost/berth-bb:test sh -c \
        'touch /in-root 2>/dev/null && echo root-writable; touch /tmp/x /var/tmp/y /run/z &&
         echo tmp-writable; cat /run/kept/file; grep " / " /proc/mounts | grep -c "[ ,]ro[ ,]"'
    assert_eq "$output" "$(printf 'tmp-writable\nkept-content\n1')"
}

@test "podman: run -t gives the process a terminal of the caller's size" {
    command -v script >/dev/null || skip "script(1) is not installed"
    run -0 script -qec "stty rows 33 cols 101; $PM/podman --runtime $BERTH_RUNTIME run --rm -t \
        --network none --cgroup-parent $PM_CGROUP localhost/berth-bb:test sh -c 'tty; stty size'" /dev/null
    has /dev/pts/0
    has "33 101"
}

@test "podman: run -d, exec with its status, logs, pause, unpause, stop reaching a TERM trap, rm" {
    pm_run -d --name "$CID" localhost/berth-bb:test sh -c \
        'trap "echo got-term; exit 7" TERM; echo started; while true; do sleep 0.1; done'
    retry 200 0.05 logs_have "$CID" started
    run -5 pm exec "$CID" sh -c 'echo in-exec; exit 5'
    assert_eq "$output" in-exec
    run -0 pm exec "$CID" cat /proc/1/cmdline
    has trap
    run -0 pm pause "$CID"
    run -0 pm inspect --format '{{.State.Status}}' "$CID"
    assert_eq "$output" paused
    run -0 pm unpause "$CID"
    run -0 pm inspect --format '{{.State.Status}}' "$CID"
    assert_eq "$output" running
    run -0 pm stop -t 10 "$CID"
    run -0 pm inspect --format '{{.State.ExitCode}}' "$CID"
    assert_eq "$output" 7
    run -0 pm logs "$CID"
    has got-term
    run -0 pm rm "$CID"
    run -0 pm ps -a -q --filter "name=$CID"
    assert_eq "$output" ""
}
