#!/usr/bin/env bats
# Bad input: a malformed config.json, a missing binary, unknown ids and
# signals. Every error is non-zero and leaves nothing behind (no state, no
# cgroup, no mount, no process); berth's error is also one line on stderr
# naming what is wrong, with exit status 1.

load helpers

# try_create [VERB]: create (or run) the default bundle with the output in
# files; sets st and stderr. A create that wrongly succeeds must not hold
# bats' pipes.
try_create() {
    local verb=${1:-create}
    st=0
    shift || true
    rt "$verb" "$@" --bundle "$BUNDLE" "$CID" </dev/null >"$TMP/out" 2>"$TMP/err" 3>&- || st=$?
    stderr=$(cat "$TMP/err")
    remember_id "$CID"
}

leak_snapshot() {
    "$LEAKCHECK" snapshot "$TMP/leaks"
}

# assert_clean: no state entry for the id under --root and nothing new on the
# host since leak_snapshot (allowing a moment for processes to be reaped).
assert_clean() {
    assert_eq "$(find "$ROOT" -name "*$CID*" 2>/dev/null)" "" "state under --root"
    run rt list -q
    assert_eq "$output" "" "list after the error"
    retry 20 0.1 "$LEAKCHECK" compare "$TMP/leaks"
}

# assert_config_error FIELD [VERB]: create fails on the current config naming FIELD.
assert_config_error() {
    leak_snapshot
    try_create "${2:-create}"
    if [ "$st" -eq 0 ]; then
        echo "$1: ${2:-create} succeeded" >&2
        return 1
    fi
    if is_berth; then
        assert_eq "$st" 1 "exit status"
        assert_one_line "$stderr"
        [[ "$stderr" == *"$1"* ]] || {
            echo "the error does not name '$1': $stderr" >&2
            return 1
        }
    fi
    assert_clean
}

@test "config.json that is not JSON" {
    echo '{ "ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
    assert_config_error config.json
}

@test "config.json that is empty" {
    : >"$BUNDLE/config.json"
    assert_config_error config.json
}

@test "process.args of the wrong type" {
    update_config '.process.args = "/bin/true"'
    assert_config_error process.args
}

@test "process.user.uid of the wrong type" {
    update_config '.process.user.uid = "root"'
    assert_config_error process.user.uid
}

@test "linux.resources.memory.limit of the wrong type" {
    update_config '.linux.resources.memory = {limit: "lots"}'
    assert_config_error linux.resources.memory.limit
}

@test "an unknown namespace type" {
    update_config '.linux.namespaces += [{type: "bogus"}]'
    assert_config_error linux.namespaces
}

@test "a namespace path that does not exist" {
    update_config '.linux.namespaces = [.linux.namespaces[] | select(.type != "network")]
                   + [{type: "network", path: "/proc/0/ns/net"}]'
    assert_config_error /proc/0/ns/net
}

@test "root.path escaping the bundle with .." {
    requires_berth "runc accepts a relative root.path outside the bundle"
    # A usable rootfs sits there, so only the escape can make it fail.
    cp -a "$BUNDLE/rootfs" "$BATS_TEST_TMPDIR/x"
    update_config '.root.path = "../x"'
    assert_config_error root.path
}

@test "root.path that does not exist" {
    update_config '.root.path = "no-such-rootfs"'
    assert_config_error no-such-rootfs
}

@test "empty process.args" {
    update_config '.process.args = []'
    assert_config_error process.args
}

@test "empty process.args with run" {
    update_config '.process.args = []'
    assert_config_error process.args run
}

@test "missing config.json" {
    rm "$BUNDLE/config.json"
    assert_config_error config.json
}

@test "a bundle directory that does not exist" {
    BUNDLE=$TMP/no-such-bundle
    assert_config_error no-such-bundle
}

@test "a missing binary in process.args" {
    set_args "/bin/no-such-binary-$CID" arg
    assert_config_error "no-such-binary-$CID" run
    if is_berth; then
        [[ "$stderr" == *"No such file or directory"* ]]
    else
        [[ "$stderr" == *[Nn]"o such file or directory"* ]]
    fi
}

@test "a binary that is not executable" {
    set_args /etc/passwd
    assert_config_error /etc/passwd run
    if is_berth; then
        [[ "$stderr" == *"Permission denied"* ]]
    fi
}

@test "a bind mount whose source does not exist leaves nothing behind" {
    update_config '.mounts += [{destination: "/mnt/x", type: "bind", source: $s, options: ["bind"]}]' \
        --arg s "$TMP/no-such-source"
    assert_config_error no-such-source
    [ ! -e "$TMP/no-such-source" ]
}

@test "a failed start after a failed create leaves nothing behind" {
    update_config '.linux.namespaces += [{type: "bogus"}]'
    leak_snapshot
    try_create
    [ "$st" -ne 0 ]
    run rt start "$CID"
    [ "$status" -ne 0 ]
    assert_clean
}

@test "an invalid container id" {
    local id
    for id in "../escape-$CID" "a/b-$CID" ""; do
        leak_snapshot
        run --separate-stderr rt create --bundle "$BUNDLE" "$id" </dev/null 3>&-
        [ "$status" -ne 0 ]
        [ -n "$stderr" ]
        ! is_berth || assert_one_line "$stderr"
        [ ! -e "$BATS_TEST_TMPDIR/escape-$CID" ]
        [ -z "$(find "$BATS_TEST_TMPDIR" -name "*escape-$CID*")" ]
        retry 20 0.1 "$LEAKCHECK" compare "$TMP/leaks"
    done
}

@test "commands on an unknown container fail naming it" {
    local cmd
    for cmd in state start "kill" delete; do
        run --separate-stderr rt $cmd "$CID"
        [ "$status" -ne 0 ] || {
            echo "$cmd succeeded" >&2
            return 1
        }
        [ -n "$stderr" ]
        if is_berth; then
            assert_eq "$status" 1 "$cmd"
            assert_one_line "$stderr"
            [[ "$stderr" == *"$CID"* ]]
        fi
    done
}

@test "kill with an unknown signal names it" {
    set_args sleep 1000
    ctr_create
    run --separate-stderr rt kill "$CID" SIGNOPE
    [ "$status" -ne 0 ]
    if is_berth; then
        assert_one_line "$stderr"
        [[ "$stderr" == *SIGNOPE* ]]
    fi
    assert_eq "$(ctr_status)" created
}

@test "a missing command argument fails" {
    local cmd
    for cmd in create start state "kill" delete run; do
        run --separate-stderr rt $cmd
        [ "$status" -ne 0 ] || {
            echo "$cmd without an id succeeded" >&2
            return 1
        }
        [ -n "$stderr" ]
    done
}

@test "an unknown option or a missing value is one line naming it" {
    requires_berth "the wording is berth's"
    run --separate-stderr rt delete --nope some-id
    [ "$status" -eq 1 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == *"'--nope'"* && "$stderr" == *"usage: berth-runtime delete"* ]]
    run --separate-stderr rt run --pid-file
    [ "$status" -eq 1 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == *"'--pid-file' needs a value"* ]]
    run --separate-stderr rt list --format yaml
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"invalid --format 'yaml'"* ]]
}

@test "a config without its own mount namespace but with mounts is refused before anything happens" {
    requires_berth "the wording is berth's"
    remove_namespace mount
    run --separate-stderr ctr_run
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"'mounts' needs a mount namespace of the container's own"* ]]
    [ -z "$(ls "$ROOT" 2>/dev/null)" ]
}

# assert_refused < FIELD|JQ lines: each edit of the pristine config is
# refused, naming FIELD, and leaves nothing behind.
assert_refused() {
    local field jq_expr
    cp "$BUNDLE/config.json" "$TMP/config.json"
    while IFS='|' read -r field jq_expr; do
        cp "$TMP/config.json" "$BUNDLE/config.json"
        update_config "$jq_expr"
        assert_config_error "'$field'"
    done
}

# Fields berth cannot honour are refused, named, with nothing left behind:
# never run as if they were not there.
@test "issue-11: fields berth does not implement are refused, named" {
    requires_berth "berth's refusals"
    assert_refused <<'EOT'
linux.intelRdt|.linux.intelRdt = {closID: "x"}
linux.netDevices|.linux.netDevices = {eth9: {}}
process.scheduler|.process.scheduler = {policy: "SCHED_OTHER"}
process.ioPriority|.process.ioPriority = {class: "IOPRIO_CLASS_IDLE"}
linux.resources.rdma|.linux.resources.rdma = {mlx5_1: {hcaHandles: 3}}
linux.seccomp.listenerPath|.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/x.sock"}
linux.cgroupsPath|.linux.cgroupsPath = "system.slice:berth:test"
EOT
}

@test "issue-11: hooks that are present but empty are fine" {
    update_config '.hooks = {prestart: [], poststop: []}'
    run -0 ctr_run
}

@test "issue-11: security labels for a module the host does not run are refused, named" {
    requires_berth "berth's LSM checks"
    if grep -qs Y /sys/module/apparmor/parameters/enabled; then
        skip "this host runs AppArmor"
    fi
    [ ! -d /sys/fs/selinux ] || skip "this host runs SELinux"
    assert_refused <<'EOT'
process.apparmorProfile|.process.apparmorProfile = "docker-default"
process.selinuxLabel|.process.selinuxLabel = "system_u:system_r:container_t:s0"
linux.mountLabel|.linux.mountLabel = "system_u:object_r:container_file_t:s0"
EOT
}

@test "issue-11: --systemd-cgroup is refused, named" {
    requires_berth "berth's refusal"
    run rt --systemd-cgroup run -b "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$output"
    [[ "$output" == *"--systemd-cgroup"* ]]
}

@test "issue-11: a device path outside /dev is refused, and no node is made" {
    update_config '.linux.devices = [{path: "/dev/../../etc/berth-node", type: "c", major: 1, minor: 3}]'
    assert_config_error "linux.devices[0].path"
    [ ! -e "$BUNDLE/rootfs/etc/berth-node" ]
}

@test "issue-11: a device path through a symlink in the image is refused, and no node is made" {
    requires_berth "berth refuses symlinks on the way to a device node"
    # /dev is a tmpfs in the default config; without it the node would be
    # made on the image's disk, here through a link out of /dev
    update_config 'del(.mounts[] | select(.destination == "/dev"))'
    mkdir -p "$BUNDLE/rootfs/dev"
    ln -s ../etc "$BUNDLE/rootfs/dev/evil"
    update_config '.linux.devices = [{path: "/dev/evil/berth-node", type: "c", major: 1, minor: 3}]'
    try_create
    assert_eq "$st" 1
    assert_one_line "$stderr"
    [[ "$stderr" == *"'/dev/evil'"*"Too many levels of symbolic links"* ]]
    [ ! -e "$BUNDLE/rootfs/etc/berth-node" ]
    assert_eq "$(rt list -q)" ""
}

@test "issue-11: a bind mount with an option it cannot take is refused, named" {
    requires_berth "berth's refusal"
    mkdir "$TMP/host"
    update_config '.mounts += [{destination: "/mnt", type: "bind", source: $s,
                                options: ["rbind", "mode=0755"]}]' --arg s "$TMP/host"
    assert_config_error "'mode'"
}

@test "issue-11: crun's copy-symlink is refused as not supported yet" {
    requires_berth "berth's refusal"
    update_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs",
                                options: ["copy-symlink"]}]'
    assert_config_error "'copy-symlink' is not supported yet"
}

@test "issue-11: a sysctl for a namespace joined by path that is the runtime's own is refused" {
    requires_berth "runc makes the same check for the network namespace only"
    local before
    before=$(cat /proc/sys/net/ipv4/ip_forward)
    set_namespace_path "$BUNDLE" network /proc/self/ns/net
    update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
    assert_config_error "would change the host"
    assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$before"
}

@test "issue-11: a parent-side failure after the cgroups exist leaves nothing (cpus 999)" {
    update_config '.linux.resources.cpu = {cpus: "999"}'
    assert_config_error "cpuset.cpus"
}

@test "issue-11: a pid file in a missing directory fails the create and leaves nothing" {
    leak_snapshot
    try_create create --pid-file "$TMP/missing/dir/pid"
    assert_eq "$st" 1
    is_berth && [[ "$stderr" == *"pid file"* ]]
    assert_clean
}
