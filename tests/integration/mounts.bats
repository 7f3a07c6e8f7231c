#!/usr/bin/env bats
# mounts: proc, sysfs, tmpfs options, devpts, mqueue, cgroup, bind and rbind
# with their flags and propagation, rootfsPropagation, and destinations that
# try to leave the rootfs through ".." or a symlink.

load helpers

# set_mount JSON: the mount replaces any configured at the same destination.
set_mount() {
    update_config '.mounts = ([.mounts[] | select(.destination != $m.destination)] + [$m])' \
        --argjson m "$1"
}

bind_mount() { # SOURCE DEST OPTION...
    local src=$1 dst=$2
    shift 2
    set_mount "$(jq -cn --arg s "$src" --arg d "$dst" --argjson o "$(json_array "$@")" \
        '{source: $s, destination: $d, type: "bind", options: $o}')"
}

# mount_line MOUNTPOINT: the line of /proc/self/mounts in the container output
# (the tests print /proc/self/mounts).
mount_line() {
    awk -v m="$1" '$2 == m' <<<"$output" | tail -n 1
}

@test "proc is mounted at /proc and shows the container's processes" {
    set_mount '{"destination": "/proc", "type": "proc", "source": "proc"}'
    set_cmd 'cat /proc/self/mounts; echo "cmdline=$(tr "\0" " " < /proc/1/cmdline)"'
    run -0 ctr_run
    [[ "$(mount_line /proc)" == "proc /proc proc "* ]]
    [[ "$output" == *"cmdline=/bin/sh -c "* ]]
}

@test "sysfs is mounted read-only at /sys" {
    set_mount '{"destination": "/sys", "type": "sysfs", "source": "sysfs",
                "options": ["nosuid", "noexec", "nodev", "ro"]}'
    set_cmd 'cat /proc/self/mounts; berth-probe errno-of create /sys/x; true'
    run -0 ctr_run
    [[ "$(mount_line /sys)" =~ ^sysfs\ /sys\ sysfs\ ro, ]]
    assert_eq "${lines[-1]}" EROFS
}

@test "tmpfs honours size, mode and flags" {
    set_mount '{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
                "options": ["size=2m", "mode=1750", "nosuid", "nodev", "noexec"]}'
    set_cmd 'cat /proc/self/mounts; stat -c "mode=%a" /mnt/t
             dd if=/dev/zero of=/mnt/t/big bs=1024 count=3072 2>/dev/null || echo write-failed
             echo "size=$(stat -c %s /mnt/t/big)"'
    run -0 ctr_run
    local line
    line=$(mount_line /mnt/t)
    [[ "$line" == "tmpfs /mnt/t tmpfs "* ]]
    [[ "$line" == *size=2048k* ]]
    [[ "$line" == *mode=1750* ]]
    [[ "$line" == *nosuid* && "$line" == *nodev* && "$line" == *noexec* ]]
    [[ "$output" == *mode=1750* ]]
    [[ "$output" == *write-failed* ]]
    [[ "$output" == *size=2097152* ]]
    # The destination was created in the container's rootfs, not on the host.
    [ -d "$BUNDLE/rootfs/mnt/t" ]
    [ ! -e "$BUNDLE/rootfs/mnt/t/big" ]
}

@test "devpts gives a private /dev/pts and /dev/ptmx" {
    set_mount '{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]}'
    set_cmd 'cat /proc/self/mounts; ls /dev/pts | tr "\n" " "; echo; berth-probe open-write /dev/ptmx'
    run -0 ctr_run
    [[ "$(mount_line /dev/pts)" == "devpts /dev/pts devpts "* ]]
    [[ "$(mount_line /dev/pts)" == *ptmxmode=666* ]]
    assert_eq "${lines[-1]}" ok
    # A new instance holds no terminal of the host.
    assert_eq "${lines[-2]}" "ptmx "
}

@test "mqueue is mounted at /dev/mqueue" {
    set_mount '{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
                "options": ["nosuid", "noexec", "nodev"]}'
    set_args cat /proc/self/mounts
    run -0 ctr_run
    [[ "$(mount_line /dev/mqueue)" == "mqueue /dev/mqueue mqueue "* ]]
}

@test "a cgroup mount shows the cgroup filesystem read-only" {
    set_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}'
    set_cmd 'cat /proc/self/mounts; berth-probe errno-of mkdir /sys/fs/cgroup/berth-x; true'
    run -0 ctr_run
    grep -E '^[^ ]+ /sys/fs/cgroup(/[^ ]*)? (cgroup|cgroup2) ro,' <<<"$output"
    [[ "${lines[-1]}" =~ ^(EROFS|EPERM|EACCES)$ ]]
}

@test "a bind mount shares a host directory read-write" {
    mkdir "$TMP/host"
    echo from-host >"$TMP/host/in"
    bind_mount "$TMP/host" /mnt/host bind
    set_cmd 'cat /mnt/host/in; echo from-container > /mnt/host/out'
    run -0 ctr_run
    [ "$output" = from-host ]
    assert_eq "$(cat "$TMP/host/out")" from-container
}

@test "a bind mount of a single file" {
    echo file-content >"$TMP/file"
    bind_mount "$TMP/file" /etc/berth-file bind ro
    set_args cat /etc/berth-file
    run -0 ctr_run
    [ "$output" = file-content ]
}

@test "a read-only bind mount cannot be written" {
    mkdir "$TMP/host"
    echo from-host >"$TMP/host/in"
    bind_mount "$TMP/host" /mnt/host bind ro
    set_cmd 'cat /mnt/host/in; berth-probe errno-of create /mnt/host/out; berth-probe open-write /mnt/host/in; true'
    run -0 ctr_run
    assert_eq "$output" $'from-host\nEROFS\nEROFS'
    [ ! -e "$TMP/host/out" ]
    # The host's view stays writable.
    touch "$TMP/host/still-writable"
}

@test "nosuid, nodev and noexec apply to a bind mount" {
    mkdir "$TMP/host"
    cp "$BERTH_PROBE" "$TMP/host/probe-copy"
    bind_mount "$TMP/host" /mnt/host bind nosuid nodev noexec
    set_cmd 'cat /proc/self/mounts; /mnt/host/probe-copy exe; echo "exec-status=$?"'
    run -0 ctr_run
    local line
    line=$(mount_line /mnt/host)
    [[ "$line" == *nosuid* && "$line" == *nodev* && "$line" == *noexec* ]]
    assert_eq "${lines[-1]}" exec-status=126
    # Not the host's own mount: it gets no flags.
    refute grep -q " $TMP/host " /proc/self/mountinfo
}

@test "bind does not take submounts along, rbind does" {
    mkdir -p "$TMP/host/sub"
    host_mount -t tmpfs -o size=1m berth-test "$TMP/host/sub"
    echo in-submount >"$TMP/host/sub/file"
    bind_mount "$TMP/host" /mnt/bind bind
    make_bundle "$TMP/b2" "$CID2"
    BUNDLE=$TMP/b2 bind_mount "$TMP/host" /mnt/rbind rbind
    set_cmd 'ls /mnt/bind/sub | wc -l'
    set_cmd_of "$TMP/b2" 'cat /mnt/rbind/sub/file'
    run -0 ctr_run
    [ "$output" = 0 ]
    run -0 ctr_run "$CID2" "$TMP/b2"
    [ "$output" = in-submount ]
}

# propagation_run OPTION: bind a shared host directory with OPTION, mount on
# the host below it once the container runs, print what the container sees.
propagation_run() {
    mkdir -p "$TMP/shared/late"
    host_mount --bind "$TMP/shared" "$TMP/shared"
    mount --make-shared "$TMP/shared"
    bind_mount "$TMP/shared" /mnt/shared rbind "$1"
    set_cmd 'echo ready; while [ ! -e /mnt/shared/go ]; do sleep 0.05; done
             ls /mnt/shared/late | tr "\n" " "; echo end'
    ctr_run_detached
    wait_for_output "$CID" ready
    host_mount -t tmpfs -o size=1m berth-late "$TMP/shared/late"
    touch "$TMP/shared/late/marker" "$TMP/shared/go"
    wait_for_output "$CID" end
}

@test "bind propagation rslave: later host mounts appear inside" {
    propagation_run rslave
    grep -q '^marker end$' "$BATS_TEST_TMPDIR/$CID.out"
}

@test "bind propagation rprivate: later host mounts stay outside" {
    propagation_run rprivate
    grep -q '^end$' "$BATS_TEST_TMPDIR/$CID.out"
}

# rootfs_propagation_run VALUE: the rootfs is a shared mount on the host; mount
# below it once the container runs and print what the container sees.
rootfs_propagation_run() {
    mkdir -p "$BUNDLE/rootfs/late"
    host_mount --bind "$BUNDLE/rootfs" "$BUNDLE/rootfs"
    mount --make-shared "$BUNDLE/rootfs"
    update_config '.linux.rootfsPropagation = $p' --arg p "$1"
    set_cmd 'echo ready; while [ ! -e /go ]; do sleep 0.05; done; ls /late | tr "\n" " "; echo end'
    ctr_run_detached
    wait_for_output "$CID" ready
    host_mount -t tmpfs -o size=1m berth-late "$BUNDLE/rootfs/late"
    touch "$BUNDLE/rootfs/late/marker" "$BUNDLE/rootfs/go"
    wait_for_output "$CID" end
}

@test "rootfsPropagation slave: host mounts below the rootfs appear inside" {
    rootfs_propagation_run rslave
    grep -q '^marker end$' "$BATS_TEST_TMPDIR/$CID.out"
}

@test "rootfsPropagation private: host mounts below the rootfs stay outside" {
    rootfs_propagation_run private
    grep -q '^end$' "$BATS_TEST_TMPDIR/$CID.out"
}

# host_mounts_under PATH...: the host's mounts at or below PATH (mountinfo
# fields 4 and 5: root within the source filesystem and mount point). Other
# users of the machine mount and unmount too, so the tests look for their own
# paths, not at the number of mounts.
host_mounts_under() {
    local p
    for p; do
        awk -v p="$p" 'index($5, p) == 1 || index($4, p) == 1' /proc/self/mountinfo
    done
}

@test "the container's mounts do not show on the host" {
    set_mount '{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs"}'
    set_cmd 'echo ready; sleep 100'
    ctr_run_detached
    wait_for_output "$CID" ready
    assert_eq "$(host_mounts_under "$BATS_TEST_TMPDIR")" ""
}

# After an escape attempt the runtime either refused or kept everything inside
# the rootfs: nothing new on the host, no host mount on the escape path.
assert_nothing_escaped() { # HOST_PATH
    [ ! -e "$1" ] || {
        echo "'$1' was created on the host" >&2
        return 1
    }
    assert_eq "$(host_mounts_under "$1" "$BATS_TEST_TMPDIR")" "" "host mounts"
}

@test "a mount destination with .. stays inside the rootfs" {
    set_mount "$(jq -cn --arg d "/../../../../../../../..$TMP/escape" \
        '{destination: $d, type: "tmpfs", source: "tmpfs"}')"
    set_cmd 'echo ran'
    run ctr_run
    assert_nothing_escaped "$TMP/escape"
    if [ "$status" -eq 0 ]; then
        [ -d "$BUNDLE/rootfs$TMP/escape" ]
    fi
}

@test "a relative mount destination with .. stays inside the rootfs" {
    # rootfs/../../escape is $BATS_TEST_TMPDIR/escape on the host.
    set_mount '{"destination": "../../escape", "type": "tmpfs", "source": "tmpfs"}'
    set_cmd 'echo ran'
    run ctr_run
    assert_nothing_escaped "$BATS_TEST_TMPDIR/escape"
}

@test "a rootfs symlink to a host path used as mount destination stays inside" {
    mkdir "$TMP/hostdir"
    echo untouched >"$TMP/hostdir/marker"
    ln -s "$TMP/hostdir" "$BUNDLE/rootfs/evil"
    ln -s "../../../../../../../../../../$TMP/hostdir" "$BUNDLE/rootfs/evil-rel"
    set_mount '{"destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs"}'
    set_mount '{"destination": "/evil-rel/sub2", "type": "tmpfs", "source": "tmpfs"}'
    set_cmd 'echo ran'
    run ctr_run
    assert_nothing_escaped "$TMP/hostdir/sub"
    [ ! -e "$TMP/hostdir/sub2" ]
    assert_eq "$(ls "$TMP/hostdir")" marker
    assert_eq "$(cat "$TMP/hostdir/marker")" untouched
}

@test "a rootfs symlink to /etc used as mount destination does not touch the host's /etc" {
    ln -s /etc "$BUNDLE/rootfs/etc-link"
    set_mount "$(jq -cn --arg d "/etc-link/berth-escape-$CID" \
        '{destination: $d, type: "tmpfs", source: "tmpfs"}')"
    set_cmd 'echo ran'
    run ctr_run
    assert_nothing_escaped "/etc/berth-escape-$CID"
}

@test "issue-11: rbind with ro makes every submount read-only too" {
    mkdir -p "$TMP/host/sub"
    host_mount -t tmpfs -o size=1m berth-test "$TMP/host/sub"
    bind_mount "$TMP/host" /mnt/host rbind ro
    set_cmd 'berth-probe errno-of create /mnt/host/top; berth-probe errno-of create /mnt/host/sub/below; true'
    run -0 ctr_run
    assert_eq "$output" $'EROFS\nEROFS'
    [ ! -e "$TMP/host/sub/below" ]
    # the host's own submount stays writable
    touch "$TMP/host/sub/still-writable"
}

@test "issue-11: runc's recursive options apply to every submount (rro, rnoexec)" {
    mkdir -p "$TMP/host/sub"
    host_mount -t tmpfs -o size=1m berth-test "$TMP/host/sub"
    cp "$BERTH_PROBE" "$TMP/host/sub/probe-copy"
    bind_mount "$TMP/host" /mnt/host rbind rro rnoexec
    set_cmd 'berth-probe errno-of create /mnt/host/sub/below; /mnt/host/sub/probe-copy exe; echo "exec-status=$?"'
    run -0 ctr_run
    assert_eq "${lines[0]}" EROFS
    assert_eq "${lines[-1]}" exec-status=126
}
