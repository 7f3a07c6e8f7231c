#!/usr/bin/env bats
# mounts, part 2 (issue 12): the tmpcopyup option, mount errors that say
# why, joining a mount namespace by path, a config without a mount
# namespace, and --no-pivot.

load helpers

set_mount() {
    update_config '.mounts = ([.mounts[] | select(.destination != $m.destination)] + [$m])' \
        --argjson m "$1"
}

# mount_line MOUNTPOINT: its /proc/self/mounts line in the output
mount_line() {
    awk -v m="$1" '$2 == m && NF == 6' <<<"$output" | tail -n 1
}

# fill_dir DIR: files, a symlink, a fifo and a sub-directory, with owners,
# modes and times of their own.
fill_dir() {
    local d=$1
    mkdir -p "$d/sub"
    echo hello >"$d/file"
    echo secret >"$d/owned"
    chmod 640 "$d/owned"
    chown 12:34 "$d/owned"
    touch -d '2001-02-03 04:05:06' "$d/owned"
    ln -s ../etc/passwd "$d/link"
    chown -h 7:8 "$d/link"
    echo deep >"$d/sub/deep"
    chmod 4755 "$d/sub/deep"
    mkfifo "$d/fifo"
    chmod 0711 "$d/sub"
    chown 5:6 "$d/sub"
    touch -d '2002-03-04 05:06:07' "$d/sub"
    chmod 0751 "$d"
    chown 3:4 "$d"
}

@test "tmpcopyup: a tmpfs on a read-only root starts with a copy of what it covers" {
    requires_berth "berth's tmpcopyup"
    fill_dir "$BUNDLE/rootfs/data"
    update_config '.root.readonly = true'
    set_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                "options": ["tmpcopyup", "nosuid", "nodev", "size=1m"]}'
    set_cmd 'cat /proc/self/mounts
             cd /data && stat -c "%n %a %u:%g %Y %F" . owned sub sub/deep fifo
             stat -c "%n %u:%g %F" link; echo "target=$(readlink link)"
             echo "file=$(cat file) deep=$(cat sub/deep)"
             echo changed >file && echo "written=$(cat file)"
             berth-probe errno-of create /x; true'
    run -0 ctr_run
    [[ "$(mount_line /data)" == "tmpfs /data tmpfs rw,nosuid,nodev,"* ]]
    [[ "$output" == *". 751 3:4 "*" directory"* ]]
    [[ "$output" == *"owned 640 12:34 981173106 regular file"* ]]
    [[ "$output" == *"sub 711 5:6 1015218367 directory"* ]]
    [[ "$output" == *"sub/deep 4755 0:0 "*" regular file"* ]]
    [[ "$output" == *"fifo 644 0:0 "*"fifo"* ]]
    [[ "$output" == *"link 7:8 symbolic link"* ]]
    [[ "$output" == *"target=../etc/passwd"* ]]
    [[ "$output" == *"file=hello deep=deep"* ]]
    [[ "$output" == *written=changed* ]]
    # the root itself stays read-only
    assert_eq "${lines[-1]}" EROFS
    # the rootfs copy is unchanged
    assert_eq "$(cat "$BUNDLE/rootfs/data/file")" hello
}

@test "tmpcopyup: podman's --read-only mounts (/tmp, /var/tmp, /run) work" {
    requires_berth "berth's tmpcopyup"
    mkdir -p "$BUNDLE/rootfs/var/tmp" "$BUNDLE/rootfs/run/lock"
    echo kept >"$BUNDLE/rootfs/run/lock/pidfile"
    update_config '.root.readonly = true'
    local dst
    for dst in /tmp /var/tmp /run; do
        set_mount "$(jq -cn --arg d "$dst" '{destination: $d, type: "tmpfs", source: "tmpfs",
            options: ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup", "size=65536k"]}')"
    done
    set_cmd 'cat /proc/self/mounts; cat /run/lock/pidfile
             for d in /tmp /var/tmp /run; do echo x >$d/w && echo "ok $d"; done'
    run -0 ctr_run
    for dst in /tmp /var/tmp /run; do
        [[ "$(mount_line "$dst")" == "tmpfs $dst tmpfs rw,nosuid,nodev,"*size=65536k* ]]
        [[ "$output" == *"ok $dst"* ]]
    done
    [[ "$output" == *kept* ]]
    [ ! -e "$BUNDLE/rootfs/run/w" ]
}

@test "tmpcopyup: a symlink in the covered directory is copied, never followed" {
    requires_berth "berth's tmpcopyup"
    mkdir -p "$BUNDLE/rootfs/data"
    # a link to a host directory: following it would copy the host's files
    ln -s "$BATS_TEST_TMPDIR" "$BUNDLE/rootfs/data/escape"
    touch "$BATS_TEST_TMPDIR/host-secret"
    set_mount '{"destination": "/data", "type": "tmpfs", "options": ["tmpcopyup"]}'
    set_cmd 'ls -la /data; ls /data/escape/ 2>&1; echo "target=$(readlink /data/escape)"'
    run -0 ctr_run
    [[ "$output" == *"target=$BATS_TEST_TMPDIR"* ]]
    [[ "$output" != *host-secret* ]]
}

@test "tmpcopyup: a full tmpfs fails the create with the path and the reason" {
    requires_berth "berth's tmpcopyup"
    mkdir -p "$BUNDLE/rootfs/data"
    head -c 200000 /dev/zero >"$BUNDLE/rootfs/data/big"
    set_mount '{"destination": "/data", "type": "tmpfs", "options": ["tmpcopyup", "size=64k"]}'
    run -1 --separate-stderr ctr_run
    assert_one_line "$stderr"
    [[ "$stderr" == *"cannot copy '/data/big' into the tmpfs: No space left on device"* ]]
}

@test "tmpcopyup on a bind mount is refused by name" {
    requires_berth "berth's message"
    set_mount "$(jq -cn --arg s "$TMP" '{destination: "/data", type: "bind", source: $s,
        options: ["bind", "tmpcopyup"]}')"
    run -1 --separate-stderr ctr_run
    assert_one_line "$stderr"
    [[ "$stderr" == *"'tmpcopyup' is only for tmpfs mounts"* ]]
}

@test "a failed mount says why: a bind of a missing source" {
    requires_berth "berth's message"
    set_mount "$(jq -cn --arg s "$TMP/missing" '{destination: "/data", type: "bind", source: $s,
        options: ["bind"]}')"
    run -1 --separate-stderr ctr_run
    assert_one_line "$stderr"
    [[ "$stderr" == *"cannot bind mount '$TMP/missing' on '/data': No such file or directory"* ]]
}

@test "a failed mount says why: a tmpfs option the kernel refuses" {
    requires_berth "berth's message"
    set_mount '{"destination": "/data", "type": "tmpfs", "options": ["size=lots"]}'
    run -1 --separate-stderr ctr_run
    assert_one_line "$stderr"
    [[ "$stderr" == *"cannot mount 'tmpfs' on '/data': Invalid argument"* ]]
}

@test "--no-pivot: the rootfs is moved onto / and chrooted into, for run and create" {
    requires_berth "berth's --no-pivot"
    update_config '.root.readonly = true'
    set_cmd 'echo "pid1=$(tr "\0" " " </proc/1/cmdline)"; ls /bin/berth-probe
             awk "\$5 == \"/\" { print \"root=\" \$9 }" /proc/self/mountinfo
             berth-probe errno-of create /x; true'
    remember_id "$CID"
    run -0 --separate-stderr rt run --no-pivot --bundle "$BUNDLE" "$CID" </dev/null
    [[ "$output" == *"pid1=/bin/sh -c "* ]]
    [[ "$output" == */bin/berth-probe* ]]
    assert_eq "${lines[-1]}" EROFS
    # create, then start
    ctr_create "$CID2" "$BUNDLE" --no-pivot
    ctr_start "$CID2"
    wait_for_status "$CID2" stopped
    grep -q /bin/berth-probe "$BATS_TEST_TMPDIR/$CID2.out"
    grep -qx EROFS "$BATS_TEST_TMPDIR/$CID2.out"
}

# nothing_to_mount: a config with no mount, device node or path to hide, for
# a container without a mount namespace of its own
nothing_to_mount() {
    update_config '.mounts = [] | .linux.maskedPaths = [] | .linux.readonlyPaths = []
                   | del(.linux.devices) | .root.readonly = false | del(.linux.rootfsPropagation)'
}

@test "no mount namespace: the init chroots into the rootfs in the runtime's mount namespace" {
    requires_berth "berth's chroot"
    remove_namespace mount
    nothing_to_mount
    set_args sleep 1000
    ctr_run_detached
    local pid rootfs
    pid=$(ctr_pid)
    rootfs=$(realpath "$BUNDLE/rootfs")
    assert_eq "$(readlink "/proc/$pid/ns/mnt")" "$(readlink /proc/self/ns/mnt)"
    assert_eq "$(readlink "/proc/$pid/root")" "$rootfs"
    # nothing was mounted on the host
    run -0 awk -v r="$rootfs" 'index($5, r) == 1' /proc/self/mountinfo
    assert_eq "$output" ""
    # exec would not land in the chroot: refused
    run --separate-stderr rt exec "$CID" true
    assert_eq "$status" 1
    [[ "$stderr" == *"has no mount namespace of its own"* ]]
}

@test "no mount namespace: what needs a mount is refused, named" {
    requires_berth "berth's message"
    remove_namespace mount
    run --separate-stderr ctr_run
    assert_eq "$status" 1
    assert_one_line "$stderr"
    [[ "$stderr" == *"'mounts' needs a mount namespace of the container's own"* ]]
    nothing_to_mount
    update_config '.root.readonly = true'
    run --separate-stderr ctr_run
    assert_eq "$status" 1
    [[ "$stderr" == *"'root.readonly' needs a mount namespace of the container's own"* ]]
}

@test "a mount namespace joined by path: the init enters it and chroots into the rootfs there" {
    requires_berth "berth's join"
    nothing_to_mount
    mkdir -p "$BUNDLE/rootfs/mnt/seen"
    # a mount namespace of its own, with a tmpfs only it (and the container) sees
    bg_helper unshare --mount --propagation private sh -c \
        "mount -t tmpfs joined '$BUNDLE/rootfs/mnt/seen' && echo inside >'$BUNDLE/rootfs/mnt/seen/proof' && exec sleep 1000"
    retry 50 0.1 test -e "/proc/$BG_PID/root$BUNDLE/rootfs/mnt/seen/proof"
    set_namespace_path "$BUNDLE" mount "/proc/$BG_PID/ns/mnt"
    set_cmd 'cat /mnt/seen/proof'
    run -0 ctr_run
    assert_eq "$output" inside
    [ ! -e "$BUNDLE/rootfs/mnt/seen/proof" ]
    # and the container's process is in that namespace
    set_args sleep 1000
    ctr_run_detached "$CID2"
    assert_eq "$(readlink "/proc/$(ctr_pid "$CID2")/ns/mnt")" "$(readlink "/proc/$BG_PID/ns/mnt")"
}

@test "a mount namespace joined by path: what needs a mount is refused, named" {
    requires_berth "berth's message"
    set_namespace_path "$BUNDLE" mount /proc/self/ns/mnt
    run --separate-stderr ctr_run
    assert_eq "$status" 1
    assert_one_line "$stderr"
    [[ "$stderr" == *"'mounts' cannot be set up in a mount namespace joined by path"* ]]
}
