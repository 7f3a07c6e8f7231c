#!/usr/bin/env bats
# User and time namespaces, personality, idmapped mounts, `spec --rootless`
# and a rootless container run by a real unprivileged user: what a user sees
# inside (/proc/self/uid_map, /proc/uptime, uname -m, file owners) and on the
# host (the init's uid, the cgroup's owner).

load helpers

HOST_ID=100000

setup() {
    berth_setup
    # the container's root (host uid $HOST_ID) must reach the bundle
    local d=$BUNDLE
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        chmod o+x "$d"
    done
}

teardown() {
    local u
    for u in $(cat "$BATS_TEST_TMPDIR/users" 2>/dev/null); do
        as_user_named "$u" "$BERTH_RUNTIME" delete --force "$CID" >/dev/null 2>&1 || true
        userdel -r "$u" >/dev/null 2>&1 || true
    done
    berth_teardown
}

# userns_of DIR: a new user namespace mapping container ids 0..65535 to
# host ids HOST_ID.. in DIR's config.
userns_of() {
    update_config_of "$1" '.linux.namespaces += [{type: "user"}]
        | .linux.uidMappings = [{containerID: 0, hostID: $h, size: 65536}]
        | .linux.gidMappings = [{containerID: 0, hostID: $h, size: 65536}]' --argjson h "$HOST_ID"
}

userns() {
    userns_of "$BUNDLE"
}

# config_error TEXT: create fails with one line naming TEXT and leaves no
# state behind.
config_error() {
    run rt create --bundle "$BUNDLE" "$CID" </dev/null 3>&-
    remember_id "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$output"
    [[ "$output" == *"$1"* ]] || {
        echo "the error does not name '$1': $output" >&2
        return 1
    }
    assert_eq "$(rt list -q)" ""
}

@test "user namespace: the mapping is what the container sees in /proc/self/uid_map" {
    userns
    set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g'
    run -0 ctr_run
    assert_eq "$(echo ${lines[0]})" "0 $HOST_ID 65536"
    assert_eq "$(echo ${lines[1]})" "0 $HOST_ID 65536"
    assert_eq "${lines[2]}" 0
    assert_eq "${lines[3]}" 0
}

@test "user namespace: the container's root is the mapped host uid, in a namespace of its own" {
    userns
    set_args sleep 1000
    ctr_run_detached
    local pid
    pid=$(ctr_pid)
    assert_eq "$(stat -c %u "/proc/$pid")" "$HOST_ID"
    assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "$HOST_ID"
    [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
    # exec joins it too
    run -0 rt exec "$CID" sh -c 'cat /proc/self/uid_map; id -u'
    assert_eq "$(echo ${lines[0]})" "0 $HOST_ID 65536"
    assert_eq "${lines[1]}" 0
}

@test "user namespace: devices are bind mounts of the host's nodes and work" {
    userns
    update_config '.linux.devices = [{path: "/dev/full", type: "c", major: 1, minor: 7}]
        | .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 7, access: "rwm"}]'
    set_cmd 'for d in null zero full random urandom tty; do
                 grep -q " /dev/$d " /proc/self/mountinfo && echo "bound $d"; done
             echo x >/dev/null && echo null-ok
             head -c 4 /dev/zero | od -An -tx1
             echo x 2>&1 >/dev/full || echo full-fails'
    run -0 ctr_run
    for d in null zero full random urandom tty; do
        [[ "$output" == *"bound $d"* ]]
    done
    [[ "$output" == *null-ok* ]]
    [[ "$output" == *"00 00 00 00"* ]]
    [[ "$output" == *full-fails* ]]
}

@test "user namespace: a device the host does not have is a one-line error" {
    requires_berth "berth's message"
    userns
    update_config '.linux.devices = [{path: "/dev/berth-none", type: "c", major: 1, minor: 3}]'
    config_error "'/dev/berth-none'"
}

@test "user namespace without a network namespace: /sys is the host's, bound read-only" {
    userns
    remove_namespace network
    set_cmd 'awk '"'"'$5 == "/sys" { print $4, $6 }'"'"' /proc/self/mountinfo
             awk '"'"'$5 == "/sys/fs/cgroup"'"'"' /proc/self/mountinfo | wc -l
             ls /sys/kernel >/dev/null && echo sys-readable
             touch /sys/kernel/berth 2>/dev/null || echo sys-ro'
    run -0 ctr_run
    [[ "${lines[0]}" == "/ ro,"* ]]
    # an rbind of the host's /sys, with its submounts, under the cgroup mount
    [ "${lines[1]}" -ge 2 ]
    [[ "$output" == *sys-readable* ]]
    [[ "$output" == *sys-ro* ]]
}

@test "user namespace with a network namespace: /sys is a sysfs of its own" {
    userns
    set_cmd 'awk '"'"'$5 == "/sys" { print $9 }'"'"' /proc/self/mountinfo; ls /sys/class/net'
    run -0 ctr_run
    assert_eq "${lines[0]}" sysfs
    # only the container's own interfaces
    assert_eq "$(echo ${lines[@]:1})" lo
}

@test "user namespace: the container's cgroup belongs to its root and works" {
    userns
    update_config '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 20}'
    set_args sleep 1000
    ctr_run_detached
    local pid dir
    pid=$(ctr_pid)
    if cgroup_v2_only; then
        dir=$(cgroup_dir "$pid" "")
        assert_eq "$(cat "$dir/memory.max")" 67108864
    else
        dir=$(cgroup_dir "$pid" memory)
        assert_eq "$(cat "$dir/memory.limit_in_bytes")" 67108864
    fi
    assert_eq "$(stat -c %u:%g "$dir")" "$HOST_ID:$HOST_ID"
    assert_eq "$(stat -c %u "$dir/cgroup.procs")" "$HOST_ID"
    grep -qx "$pid" "$dir/cgroup.procs"
    run -0 rt exec "$CID" sh -c 'cat /proc/self/cgroup'
    [ -n "$output" ]
}

@test "user namespace joined by path: the second container sees the first one's mapping" {
    userns
    set_args sleep 1000
    ctr_run_detached
    local pid
    pid=$(ctr_pid)
    make_bundle "$TMP/b2" "$CID2"
    set_namespace_path "$TMP/b2" user "/proc/$pid/ns/user"
    set_cmd_of "$TMP/b2" 'cat /proc/self/uid_map; readlink /proc/self/ns/user; id -u'
    run -0 ctr_run "$CID2" "$TMP/b2"
    assert_eq "$(echo ${lines[0]})" "0 $HOST_ID 65536"
    assert_eq "${lines[1]}" "$(readlink "/proc/$pid/ns/user")"
    assert_eq "${lines[2]}" 0
}

@test "user namespace: bad mappings are refused, named, and leave nothing" {
    requires_berth "berth's messages"
    update_config '.linux.uidMappings = [{containerID: 0, hostID: 1000, size: 1}]
        | .linux.gidMappings = [{containerID: 0, hostID: 1000, size: 1}]'
    config_error "need a user namespace"
    add_namespace user
    update_config 'del(.linux.gidMappings)'
    config_error "'linux.gidMappings'"
    update_config '.linux.gidMappings = [{containerID: 0, hostID: 1000, size: 0}]'
    config_error "'linux.gidMappings[0].size'"
    update_config '.linux.gidMappings = [{containerID: 0, hostID: 1000, size: 10},
                                         {containerID: 5, hostID: 2000, size: 10}]'
    config_error "'linux.gidMappings[1]' overlaps"
    update_config '.linux.gidMappings = [{containerID: 0, hostID: 1000}]'
    config_error "'linux.gidMappings[0].size'"
}

@test "user namespace: leaves no mount, cgroup or process behind" {
    userns
    set_args sleep 1000
    "$LEAKCHECK" snapshot "$TMP/leaks"
    ctr_create
    ctr_start
    wait_for_status "$CID" running
    run -0 rt delete --force "$CID"
    retry 30 0.1 "$LEAKCHECK" compare "$TMP/leaks"
}

@test "time namespace: timeOffsets move /proc/uptime, also for exec" {
    add_namespace time
    update_config '.linux.timeOffsets = {boottime: {secs: 864000}, monotonic: {secs: 864000, nanosecs: 5}}'
    set_cmd 'cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets; sleep 100'
    ctr_run_detached
    wait_for_output "$CID" boottime
    local host inside
    host=$(cut -d. -f1 /proc/uptime)
    inside=$(head -n1 "$BATS_TEST_TMPDIR/$CID.out")
    [ "$inside" -ge $((host + 864000 - 5)) ] && [ "$inside" -le $((host + 864000 + 5)) ] || {
        echo "uptime inside $inside, on the host $host" >&2
        return 1
    }
    grep -Eq '^monotonic +864000 +5$' "$BATS_TEST_TMPDIR/$CID.out"
    # the container's process itself is in it, not only its children
    [ "$(readlink "/proc/$(ctr_pid)/ns/time")" != "$(readlink /proc/self/ns/time)" ]
    run -0 rt exec "$CID" cut -d. -f1 /proc/uptime
    [ "$output" -ge $((host + 864000 - 5)) ]
}

@test "time namespace in a user namespace: offsets still apply" {
    userns
    add_namespace time
    update_config '.linux.timeOffsets = {boottime: {secs: 86400}}'
    set_cmd 'cut -d. -f1 /proc/uptime'
    run -0 ctr_run
    [ "$output" -ge $(($(cut -d. -f1 /proc/uptime) + 86400 - 5)) ]
}

@test "time namespace: offsets without a new time namespace are refused" {
    requires_berth "berth's message"
    update_config '.linux.timeOffsets = {monotonic: {secs: 1}}'
    config_error "'linux.timeOffsets' needs a new time namespace"
    add_namespace time
    update_config '.linux.timeOffsets = {realtime: {secs: 1}}'
    config_error "'linux.timeOffsets.realtime'"
}

@test "personality LINUX32: uname -m says i686" {
    [ "$(uname -m)" = x86_64 ] || skip "LINUX32 on x86_64 says i686; this host is $(uname -m)"
    update_config '.linux.personality = {domain: "LINUX32"}'
    set_args uname -m
    run -0 ctr_run
    assert_eq "$output" i686
    update_config '.linux.personality = {domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"]}'
    set_cmd 'uname -m; grep -o "^Personality.*" /proc/self/status 2>/dev/null; cat /proc/self/personality 2>/dev/null || true'
    run -0 ctr_run
    assert_eq "${lines[0]}" x86_64
}

@test "personality: an unknown domain or flag is refused, named" {
    requires_berth "berth's message"
    update_config '.linux.personality = {domain: "BSD"}'
    config_error "'linux.personality.domain' 'BSD'"
    update_config '.linux.personality = {domain: "LINUX", flags: ["MMAP_PAGE_ZERO"]}'
    config_error "'linux.personality.flags' 'MMAP_PAGE_ZERO'"
}

# skip_without_idmap: after `run ctr_run`, skips when the kernel cannot
# idmap the file system of the test's scratch directory (tmpfs before 6.3).
skip_without_idmap() {
    if [ "$status" -ne 0 ] && [[ "$output" == *"cannot idmap"*"Invalid argument"* ]]; then
        skip "the kernel cannot idmap $(stat -f -c %T "$TMP") here: $output"
    fi
}

@test "idmap: a bind mount shows the host's owners through the container's mapping" {
    userns
    mkdir -p "$TMP/data" "$BUNDLE/rootfs/data" "$BUNDLE/rootfs/plain"
    chmod o+x "$TMP"
    echo hi >"$TMP/data/f"
    update_config '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["rbind", "idmap"]},
                               {destination: "/plain", type: "bind", source: $s, options: ["rbind"]}]' \
        --arg s "$TMP/data"
    set_cmd 'stat -c "%u %g" /data/f; stat -c %u /plain/f; echo new >/data/g && echo wrote'
    run ctr_run
    skip_without_idmap
    [ "$status" -eq 0 ]
    # host root is the container's root through the idmapped mount only
    assert_eq "${lines[0]}" "0 0"
    assert_eq "${lines[1]}" 65534
    assert_eq "${lines[2]}" wrote
    # and what the container's root writes there belongs to the host's root
    assert_eq "$(stat -c %u:%g "$TMP/data/g")" 0:0
}

@test "ridmap: the submounts of an rbind are idmapped too" {
    userns
    mkdir -p "$TMP/top/sub" "$TMP/other" "$BUNDLE/rootfs/data"
    chmod o+x "$TMP"
    echo x >"$TMP/other/f"
    host_mount --bind "$TMP/other" "$TMP/top/sub"
    update_config '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["rbind", "ridmap"]}]' \
        --arg s "$TMP/top"
    set_cmd 'stat -c %u /data/sub/f'
    run ctr_run
    skip_without_idmap
    [ "$status" -eq 0 ]
    assert_eq "$output" 0
}

@test "idmap: a file system that cannot be idmapped is a one-line error naming the option and errno" {
    requires_berth "berth's message"
    userns
    mkdir -p "$BUNDLE/rootfs/data"
    update_config '.mounts += [{destination: "/data", type: "bind", source: "/proc/sys", options: ["rbind", "idmap"]}]'
    config_error "'idmap'"
    [[ "$output" == *"Invalid argument"* ]]
}

@test "idmap: refused without a user namespace and on a non-bind mount" {
    requires_berth "berth's message"
    update_config '.mounts += [{destination: "/data", type: "bind", source: "/tmp", options: ["rbind", "idmap"]}]'
    config_error "'idmap' needs a user namespace"
    userns
    update_config '.mounts[-1] = {destination: "/data", type: "tmpfs", source: "tmpfs", options: ["ridmap"]}'
    config_error "'ridmap' is only for bind mounts"
}

@test "spec --rootless writes runc's rootless config" {
    requires_berth "berth's spec"
    run -0 rt spec --rootless --bundle "$TMP"
    local c=$TMP/config.json
    jq -e '.linux.namespaces | map(.type) | index("user") != null and index("network") == null' "$c"
    assert_eq "$(jq -c .linux.uidMappings "$c")" "[{\"containerID\":0,\"hostID\":$(id -u),\"size\":1}]"
    assert_eq "$(jq -c .linux.gidMappings "$c")" "[{\"containerID\":0,\"hostID\":$(id -g),\"size\":1}]"
    assert_eq "$(jq -c '.mounts[] | select(.destination == "/sys")' "$c")" \
        '{"destination":"/sys","type":"none","source":"/sys","options":["rbind","nosuid","noexec","nodev","ro"]}'
    jq -e '.linux.resources == null' "$c"
    jq -e '[.mounts[].options // [] | .[] | select(startswith("gid=") or startswith("uid="))] == []' "$c"
    # the plain spec is unchanged
    run -0 rt spec --bundle "$BATS_TEST_TMPDIR"
    jq -e '.linux.uidMappings == null and (.linux.namespaces | map(.type) | index("network") != null)' \
        "$BATS_TEST_TMPDIR/config.json"
}

# --- rootless: a real unprivileged user ---------------------------------------

# Skips with the kernel's reason when unprivileged users may not make user
# namespaces here.
requires_unprivileged_userns() {
    local f=/proc/sys/kernel/unprivileged_userns_clone
    if [ -r "$f" ] && [ "$(cat "$f")" = 0 ]; then
        skip "the kernel forbids unprivileged user namespaces ($f = 0)"
    fi
    if [ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ]; then
        skip "the kernel forbids user namespaces (user.max_user_namespaces = 0)"
    fi
    f=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
    if [ -r "$f" ] && [ "$(cat "$f")" = 1 ]; then
        skip "AppArmor restricts unprivileged user namespaces ($f = 1)"
    fi
}

# gone PID: the process has exited (a zombie waiting for its reaper counts).
gone() {
    [ ! -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# as_user_named USER COMMAND...: COMMAND as USER; the runtime under test
# runs from the user's copy (rootless_bundle), since the build dir may be
# out of the user's reach (a CI clone in a 0700 temporary dir)
as_user_named() {
    local u=$1 home
    shift
    home=$(getent passwd "$u" | cut -d: -f6)
    if [ "$1" = "$BERTH_RUNTIME" ]; then
        set -- "$home/.berth-runtime" "${@:2}"
    fi
    runuser -u "$u" -- env -i PATH=/usr/bin:/bin HOME="$home" XDG_RUNTIME_DIR="$home/xdg" "$@"
}

as_user() {
    as_user_named "$RUSER" "$@"
}

# rootless_bundle: a user of its own (removed by the teardown) with a
# bundle it owns at $RB, from `spec --rootless` run as that user.
rootless_bundle() {
    requires_berth "berth's rootless mode"
    requires_unprivileged_userns
    command -v useradd >/dev/null && command -v runuser >/dev/null ||
        skip "needs useradd and runuser to make an unprivileged user"
    RUSER=bu$BERTH_TAG$BATS_TEST_NUMBER
    useradd -m -s /bin/sh "$RUSER"
    echo "$RUSER" >>"$BATS_TEST_TMPDIR/users"
    RHOME=$(getent passwd "$RUSER" | cut -d: -f6)
    RB=$RHOME/bundle
    mkdir -p "$RB" "$RHOME/xdg"
    install -m 0755 "$BERTH_RUNTIME" "$RHOME/.berth-runtime"
    chmod 700 "$RHOME/xdg"
    cp -a "$BUNDLE/rootfs" "$RB/rootfs"
    chown -R "$RUSER:" "$RB" "$RHOME/xdg"
    as_user "$BERTH_RUNTIME" spec --rootless --bundle "$RB"
    as_user sh -c 'jq ".process.terminal = false" "$1/config.json" >"$1/c.json" &&
                   mv "$1/c.json" "$1/config.json"' sh "$RB"
}

rootless_cmd() {
    as_user sh -c 'jq --arg s "$2" ".process.args = [\"/bin/sh\", \"-c\", \$s]" "$1/config.json" \
                   >"$1/c.json" && mv "$1/c.json" "$1/config.json"' sh "$RB" "$1"
}

@test "rootless: an unprivileged user runs a container from spec --rootless" {
    rootless_bundle
    local uid gid
    uid=$(id -u "$RUSER")
    gid=$(id -g "$RUSER")
    rootless_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; hostname; echo x >/dev/null && echo dev-ok'
    run -0 as_user "$BERTH_RUNTIME" run --bundle "$RB" "$CID"
    assert_eq "$(echo ${lines[0]})" "0 $uid 1"
    assert_eq "$(echo ${lines[1]})" "0 $gid 1"
    assert_eq "${lines[2]}" 0
    assert_eq "${lines[3]}" berth
    assert_eq "${lines[4]}" dev-ok
}

@test "rootless: state under \$XDG_RUNTIME_DIR/berth, no cgroup, exec and delete work" {
    rootless_bundle
    local uid pid
    uid=$(id -u "$RUSER")
    rootless_cmd 'sleep 100'
    as_user "$BERTH_RUNTIME" run --detach --bundle "$RB" "$CID" </dev/null >/dev/null 2>&1 3>&-
    [ -d "$RHOME/xdg/berth/$CID" ]
    run -0 as_user "$BERTH_RUNTIME" state "$CID"
    assert_eq "$(jq -r .status <<<"$output")" running
    pid=$(jq -r .pid <<<"$output")
    assert_eq "$(stat -c %u "/proc/$pid")" "$uid"
    # no cgroup of its own: it stays in the cgroups of its caller
    refute grep -q "$CID" "/proc/$pid/cgroup"
    run -0 as_user "$BERTH_RUNTIME" exec "$CID" sh -c 'id -u; cat /proc/self/uid_map'
    assert_eq "${lines[0]}" 0
    assert_eq "$(echo ${lines[1]})" "0 $uid 1"
    run -0 as_user "$BERTH_RUNTIME" delete --force "$CID"
    [ ! -e "$RHOME/xdg/berth/$CID" ]
    retry 50 0.1 gone "$pid"
}

@test "rootless: resources are refused naming the field; a cgroupsPath alone is ignored" {
    rootless_bundle
    as_user sh -c 'jq ".linux.resources = {memory: {limit: 67108864}}" "$1/config.json" >"$1/r.json"' \
        sh "$RB"
    as_user sh -c 'cp "$1/config.json" "$1/keep.json" && cp "$1/r.json" "$1/config.json"' sh "$RB"
    run as_user "$BERTH_RUNTIME" run --bundle "$RB" "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$output"
    [[ "$output" == *"'linux.resources.memory.limit'"* ]]
    [ ! -e "$RHOME/xdg/berth/$CID" ]
    as_user sh -c 'jq ".linux.cgroupsPath = \"berth-rootless\" | .process.args = [\"true\"]" \
                   "$1/keep.json" >"$1/config.json"' sh "$RB"
    run -0 as_user "$BERTH_RUNTIME" run --bundle "$RB" "$CID"
}

@test "rootless: a mapping of more than the user's own id goes through newuidmap" {
    rootless_bundle
    command -v newuidmap >/dev/null || skip "newuidmap (uidmap) is not installed"
    local sub
    sub=$(awk -F: -v u="$RUSER" '$1 == u { print $2 }' /etc/subuid)
    [ -n "$sub" ] || skip "useradd gave '$RUSER' no /etc/subuid range"
    local subg uid gid
    subg=$(awk -F: -v u="$RUSER" '$1 == u { print $2 }' /etc/subgid)
    uid=$(id -u "$RUSER")
    gid=$(id -g "$RUSER")
    as_user sh -c 'jq --argjson u "$2" --argjson g "$3" --argjson s "$4" --argjson sg "$5" \
        ".linux.uidMappings = [{containerID: 0, hostID: \$u, size: 1}, {containerID: 1, hostID: \$s, size: 1000}]
         | .linux.gidMappings = [{containerID: 0, hostID: \$g, size: 1}, {containerID: 1, hostID: \$sg, size: 1000}]
         | .process.args = [\"cat\", \"/proc/self/uid_map\"]" "$1/config.json" >"$1/c.json" &&
        mv "$1/c.json" "$1/config.json"' sh "$RB" "$uid" "$gid" "$sub" "$subg"
    run -0 as_user "$BERTH_RUNTIME" run --bundle "$RB" "$CID"
    assert_eq "$(echo ${lines[0]})" "0 $uid 1"
    assert_eq "$(echo ${lines[1]})" "1 $sub 1000"
}
