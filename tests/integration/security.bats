#!/usr/bin/env bats
# Capabilities, seccomp, maskedPaths, readonlyPaths, and what must not reach
# the container: the runtime's file descriptors and its binary.

load helpers

# set_caps CAP...: bounding, effective and permitted are exactly CAP...
set_caps() {
    update_config '.process.capabilities = {bounding: $c, effective: $c, permitted: $c,
                                             inheritable: [], ambient: []}' \
        --argjson c "$(json_array "$@")"
}

DEFAULT_CAPS="CAP_CHOWN CAP_DAC_OVERRIDE CAP_FSETID CAP_FOWNER CAP_MKNOD CAP_SETGID CAP_SETUID
    CAP_SETFCAP CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_SYS_CHROOT CAP_KILL CAP_AUDIT_WRITE"

@test "capabilities: without CAP_SYS_ADMIN mount fails" {
    set_caps $DEFAULT_CAPS CAP_NET_RAW
    set_args berth-probe mount-tmpfs /tmp
    run ctr_run
    [ "$output" = EPERM ]
}

@test "capabilities: with CAP_SYS_ADMIN mount works" {
    set_caps $DEFAULT_CAPS CAP_SYS_ADMIN
    set_args berth-probe mount-tmpfs /tmp
    run -0 ctr_run
    [ "$output" = ok ]
}

@test "capabilities: without CAP_NET_RAW a raw socket fails" {
    set_caps $DEFAULT_CAPS CAP_SYS_ADMIN
    set_args berth-probe rawsock
    run ctr_run
    [ "$output" = EPERM ]
}

@test "capabilities: with CAP_NET_RAW a raw socket works" {
    set_caps $DEFAULT_CAPS CAP_NET_RAW
    set_args berth-probe rawsock
    run -0 ctr_run
    [ "$output" = ok ]
}

@test "capabilities: the sets are exactly the configured ones" {
    # CAP_CHOWN is bit 0, CAP_KILL bit 5, CAP_NET_RAW bit 13
    set_caps CAP_CHOWN CAP_KILL CAP_NET_RAW
    set_args berth-probe caps
    run -0 ctr_run
    local set
    for set in CapEff CapPrm CapBnd; do
        assert_eq "$(awk -v s="$set:" '$1 == s { print $2 }' <<<"$output")" 0000000000002021 "$set"
    done
    assert_eq "$(awk '$1 == "CapAmb:" { print $2 }' <<<"$output")" 0000000000000000
}

@test "capabilities: a non-root user keeps ambient capabilities" {
    update_config '.process.user = {uid: 1000, gid: 1000}'
    update_config '.process.capabilities = {bounding: ["CAP_NET_RAW"], effective: ["CAP_NET_RAW"],
        permitted: ["CAP_NET_RAW"], inheritable: ["CAP_NET_RAW"], ambient: ["CAP_NET_RAW"]}'
    set_args berth-probe rawsock
    run -0 ctr_run
    [ "$output" = ok ]
}

@test "capabilities: a non-root user without ambient capabilities has none" {
    update_config '.process.user = {uid: 1000, gid: 1000}'
    set_caps CAP_NET_RAW CAP_SYS_ADMIN
    set_cmd 'grep CapEff /proc/self/status; berth-probe rawsock; true'
    run -0 ctr_run
    [[ "${lines[0]}" =~ CapEff:[[:space:]]+0000000000000000 ]]
    assert_eq "${lines[1]}" EPERM
}

seccomp_errno_rule() { # SYSCALL ERRNO [ARGS_JSON]
    update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
        syscalls: [{names: [$s], action: "SCMP_ACT_ERRNO", errnoRet: ($e | tonumber),
                    args: $a}]}' --arg s "$1" --arg e "$2" --argjson a "${3:-[]}"
}

@test "seccomp: a rule returns its errnoRet" {
    seccomp_errno_rule mkdir 42
    set_cmd 'berth-probe syscall-errno mkdir /tmp/d; berth-probe syscall-errno getpid; test -d /tmp/d || echo no-dir'
    run -0 ctr_run
    assert_eq "$output" $'42\n0\nno-dir'
}

@test "seccomp: a rule without errnoRet returns EPERM" {
    update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO"}]}'
    set_args berth-probe syscall-errno mkdir /tmp/d
    run ctr_run
    [ "$output" = 1 ]
}

@test "seccomp: an argument condition selects the calls it matches" {
    # chmod(path, 0777) fails, chmod(path, 0700) does not.
    seccomp_errno_rule chmod 95 '[{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]'
    set_cmd 'touch /tmp/f; berth-probe syscall-errno chmod /tmp/f 0777
             berth-probe syscall-errno chmod /tmp/f 0700; stat -c %a /tmp/f'
    run -0 ctr_run
    assert_eq "$output" $'95\n0\n700'
}

@test "seccomp: a masked-equality condition" {
    # (arg0 & 0xffff) == 0x1000: personality(0x1000) matches, personality(0) does not.
    update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 7,
                    args: [{index: 0, value: 65535, valueTwo: 4096, op: "SCMP_CMP_MASKED_EQ"}]}]}'
    set_cmd 'berth-probe syscall-errno personality 0x1000; berth-probe syscall-errno personality 0x0; true'
    run -0 ctr_run
    assert_eq "$output" $'7\n0'
}

@test "maskedPaths: a masked file reads empty, a masked directory is empty" {
    echo secret >"$BUNDLE/rootfs/secret"
    mkdir "$BUNDLE/rootfs/secretdir"
    echo secret >"$BUNDLE/rootfs/secretdir/file"
    # A /proc file this kernel has (which ones exist depends on its config).
    local procfile
    for procfile in /proc/timer_list /proc/sched_debug /proc/keys /proc/kcore /proc/self/status; do
        [ -r "$procfile" ] && break
    done
    update_config '.linux.maskedPaths = [$p, "/secret", "/secretdir", "/does/not/exist"]' \
        --arg p "$procfile"
    set_cmd 'berth-probe read /secret; berth-probe read '"$procfile"'; ls -A /secretdir | wc -l
             berth-probe errno-of create /secretdir/new; true'
    run -0 ctr_run
    assert_eq "${lines[0]}" "ok 0"
    assert_eq "${lines[1]}" "ok 0" "$procfile"
    assert_eq "${lines[2]}" 0
    [[ "${lines[3]}" =~ ^(EROFS|EACCES|EPERM)$ ]]
    assert_eq "$(cat "$BUNDLE/rootfs/secret")" secret
}

@test "readonlyPaths: writes fail, reads work" {
    mkdir "$BUNDLE/rootfs/rodir"
    echo content >"$BUNDLE/rootfs/rodir/file"
    update_config '.linux.readonlyPaths = ["/proc/sys", "/rodir", "/does/not/exist"]'
    set_cmd 'berth-probe open-write /proc/sys/kernel/hostname; berth-probe errno-of create /rodir/new
             berth-probe open-write /rodir/file; cat /rodir/file; true'
    run -0 ctr_run
    assert_eq "$output" $'EROFS\nEROFS\nEROFS\ncontent'
}

@test "no runtime file descriptor leaks into a foreground container" {
    set_args berth-probe fds
    exec 7<"$BUNDLE/config.json"
    run -0 ctr_run
    exec 7<&-
    assert_eq "$(cut -d' ' -f1 <<<"$output" | xargs)" "0 1 2"
}

@test "no runtime file descriptor leaks into a created and started container" {
    set_args berth-probe fds
    exec 7<"$BUNDLE/config.json"
    ctr_create
    exec 7<&-
    ctr_start
    wait_for_status "$CID" stopped
    assert_eq "$(ctr_output | cut -d' ' -f1 | xargs)" "0 1 2"
}

@test "the container sees neither the bundle nor the state root" {
    set_cmd 'test -e '"$ROOT"' && echo sees-root; test -e '"$BUNDLE"' && echo sees-bundle; berth-probe exe'
    run -0 ctr_run
    [ "$output" = /bin/berth-probe ]
}

@test "a container cannot open the runtime's init (/proc/1/exe) of a created container" {
    requires_berth "runc's init is a sealed memfd copy"
    local sum
    sum=$(sha256sum <"$BERTH_RUNTIME")
    second_bundle_in_created_pidns
    set_cmd_of "$TMP/b2" 'berth-probe read /proc/1/exe; berth-probe open-write /proc/1/exe; true'
    run -0 ctr_run "$CID2" "$TMP/b2"
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" != ok* ]]
    [[ "${lines[1]}" != ok* ]]
    assert_eq "$(sha256sum <"$BERTH_RUNTIME")" "$sum" "the runtime binary changed"
}

@test "issue-11: a config without process.capabilities runs with every set empty" {
    update_config 'del(.process.capabilities)'
    set_args berth-probe caps
    run -0 ctr_run
    local set
    for set in CapInh CapPrm CapEff CapBnd CapAmb; do
        assert_eq "$(awk -v s="$set:" '$1 == s { print $2 }' <<<"$output")" 0000000000000000 "$set"
    done
}

@test "issue-11: signals the runtime's caller ignored or blocked do not reach the payload" {
    set_args grep -E "^Sig(Ign|Blk)" /proc/self/status
    # a shell with SIGINT and SIGUSR1 ignored, as a caller's may be
    run -0 bash -c 'trap "" INT USR1; exec "$0" --root "$1" run -b "$2" "$3" </dev/null' \
        "$BERTH_RUNTIME" "$ROOT" "$BUNDLE" "$CID"
    assert_eq "$(awk '{ print $2 }' <<<"$output" | xargs)" "0000000000000000 0000000000000000"
}

@test "issue-11: no runtime fd leaks where close_range is missing (the /proc/self/fd walk)" {
    requires_berth "a berth fault-injection point"
    set_args berth-probe fds
    exec 7<"$BUNDLE/config.json" 8<"$BUNDLE/config.json" 9<"$BUNDLE/config.json"
    BERTH_TEST_FAULT=close-range:fail run -0 ctr_run
    exec 7<&- 8<&- 9<&-
    assert_eq "$(cut -d' ' -f1 <<<"$output" | xargs)" "0 1 2"
}

@test "issue-11: a kernel older than the minimum is refused with the version named" {
    requires_berth "berth's minimum kernel check"
    run setarch "$(uname -m)" --uname-2.6 "$BERTH_RUNTIME" --root "$ROOT" run -b "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$output"
    [[ "$output" == *"berth needs Linux 5.7 or later, this kernel is 2.6."* ]]
    assert_eq "$(rt list -q)" ""
}

# The pid of host process PID in its own PID namespace.
ns_pid() {
    awk '$1 == "NSpid:" { print $NF }' "/proc/$1/status"
}

# The attack of CVE-2019-5736 from a container that shares a PID namespace:
# the victim's payload is a script whose interpreter is /proc/self/exe, so
# it runs the runtime binary; the attacker, uid 0 with CAP_SYS_PTRACE, holds
# /proc/PID/exe of every process it sees and, once they exited, opens it
# for writing and appends to it. The victim is held at its first write (its
# stderr is a full pipe) so that the attacker surely sees it run.
@test "issue-11: a container sharing a PID namespace cannot overwrite the runtime binary" {
    requires_berth "berth's exe protection (runc uses a memfd copy)"
    local copy=$TMP/rt/berth-runtime before vpid
    mkdir "$TMP/rt"
    cp "$BERTH_RUNTIME" "$copy"
    before=$(sha256sum <"$copy")
    set_caps $DEFAULT_CAPS CAP_SYS_PTRACE
    set_args berth-probe exe-attack 8
    remember_id "$CID"
    "$copy" --root "$ROOT" run -d -b "$BUNDLE" "$CID" </dev/null >"$TMP/attack" 2>&1 3>&-
    make_bundle "$TMP/b2" "$CID2"
    set_namespace_path "$TMP/b2" pid "/proc/$(ctr_pid)/ns/pid"
    printf '#!/proc/self/exe\n' >"$TMP/b2/rootfs/victim"
    chmod 755 "$TMP/b2/rootfs/victim"
    set_args_of "$TMP/b2" /victim
    mkfifo "$TMP/err"
    exec 7<>"$TMP/err"
    head -c 65536 /dev/zero >&7
    remember_id "$CID2"
    "$copy" --root "$ROOT" run -d -b "$TMP/b2" "$CID2" </dev/null >/dev/null 2>"$TMP/err" 3>&-
    # the victim runs the binary and waits on its stderr; the attacker saw it
    vpid=$(rt state "$CID2" | jq -r .pid)
    retry 100 0.05 grep -q "^grabbed $(ns_pid "$vpid") " "$TMP/attack"
    [ "$(readlink "/proc/$vpid/exe")" != "$copy" ]
    timeout 2 cat <&7 >/dev/null || true
    exec 7>&-
    retry 200 0.1 grep -qx done "$TMP/attack"
    cat "$TMP/attack"
    grep -qE '^[0-9]+ (EROFS|ETXTBSY|EPERM|EACCES)$' "$TMP/attack"
    refute grep -qE '^[0-9]+ ok$' "$TMP/attack"
    assert_eq "$(sha256sum <"$copy")" "$before" "the runtime binary changed"
}

@test "issue-11: where open_tree is missing the init runs from a sealed memfd copy" {
    requires_berth "a berth fault-injection point"
    set_args sleep 1000
    BERTH_TEST_FAULT=exe-open-tree:fail ctr_create
    local pid
    pid=$(ctr_pid)
    [[ "$(readlink "/proc/$pid/exe")" == "/memfd:berth-runtime (deleted)" ]]
    ctr_start
    assert_eq "$(ctr_status)" running
}

@test "issue-11: a binary on a read-only mount starts the init in process, also in a joined PID namespace" {
    requires_berth "berth's exe protection"
    mkdir "$TMP/robin"
    cp "$BERTH_RUNTIME" "$TMP/robin/berth-runtime"
    host_mount --bind "$TMP/robin" "$TMP/robin"
    mount -o remount,bind,ro "$TMP/robin"
    local ro=$TMP/robin/berth-runtime pid
    set_args sleep 1000
    remember_id "$CID"
    "$ro" --root "$ROOT" create -b "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 3>&-
    pid=$(ctr_pid)
    # not re-executed: the init runs the caller's own (read-only) binary
    assert_eq "$(readlink "/proc/$pid/exe")" "$ro"
    make_bundle "$TMP/b2" "$CID2"
    set_namespace_path "$TMP/b2" pid "/proc/$pid/ns/pid"
    set_cmd_of "$TMP/b2" 'readlink /proc/self/ns/pid'
    remember_id "$CID2"
    run -0 "$ro" --root "$ROOT" run -b "$TMP/b2" "$CID2" </dev/null
    assert_eq "$output" "$(readlink "/proc/$pid/ns/pid")"
}

@test "issue-12: a process exec'd into a container cannot expose the runtime binary either" {
    requires_berth "berth's exe protection"
    local copy=$TMP/rt/berth-runtime before
    mkdir "$TMP/rt"
    cp "$BERTH_RUNTIME" "$copy"
    before=$(sha256sum <"$copy")
    set_caps $DEFAULT_CAPS CAP_SYS_PTRACE
    set_args berth-probe exe-attack 8
    remember_id "$CID"
    "$copy" --root "$ROOT" run -d -b "$BUNDLE" "$CID" </dev/null >"$TMP/attack" 2>&1 3>&-
    printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/victim"
    chmod 755 "$BUNDLE/rootfs/victim"
    mkfifo "$TMP/err"
    exec 7<>"$TMP/err"
    head -c 65536 /dev/zero >&7
    "$copy" --root "$ROOT" exec -d --pid-file "$TMP/vpid" "$CID" /victim \
        </dev/null >/dev/null 2>"$TMP/err" 3>&-
    retry 100 0.05 grep -q "^grabbed $(ns_pid "$(cat "$TMP/vpid")") " "$TMP/attack"
    timeout 2 cat <&7 >/dev/null || true
    exec 7>&-
    retry 200 0.1 grep -qx done "$TMP/attack"
    cat "$TMP/attack"
    grep -qE '^[0-9]+ (EROFS|ETXTBSY|EPERM|EACCES)$' "$TMP/attack"
    refute grep -qE '^[0-9]+ ok$' "$TMP/attack"
    assert_eq "$(sha256sum <"$copy")" "$before" "the runtime binary changed"
}

@test "issue-12: the container gets a session keyring of its own, unless --no-new-keyring" {
    update_config '.linux.maskedPaths = []'
    set_args grep -c "_ses.$CID" /proc/keys
    run -0 ctr_run
    assert_eq "$output" 1
    set_args grep -c "_ses.$CID2" /proc/keys
    run rt run --no-new-keyring -b "$BUNDLE" "$CID2" </dev/null
    assert_eq "$output" 0
}

@test "issue-12: --preserve-fds passes the caller's fds 3 .. 3+N-1 to the container" {
    set_args berth-probe fds
    # bats keeps fd 3 for itself: the fds are opened in a shell of our own
    run -0 bash -c 'exec 3<"$1/config.json" 4<"$1/config.json" 5<"$1/config.json"
        exec "$0" --root "$2" run --preserve-fds 2 -b "$1" "$3" </dev/null' \
        "$BERTH_RUNTIME" "$BUNDLE" "$ROOT" "$CID"
    assert_eq "$(cut -d' ' -f1 <<<"$output" | xargs)" "0 1 2 3 4"
}
