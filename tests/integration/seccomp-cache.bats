#!/usr/bin/env bats
# The cache of compiled seccomp filters under the state root (ROOT/.seccomp,
# src/lib/seccomp-cache.h): filled by the first container with a profile,
# used by the next ones and by exec, never trusted when it is not intact and
# private, never needed for a container to start.

load helpers

setup() {
    berth_setup
    requires_berth "berth's seccomp cache"
}

# errno_profile ERRNO [DIR]: mkdir fails with ERRNO, everything else runs.
errno_profile() {
    update_config_of "${2:-$BUNDLE}" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
        flags: ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: ($e | tonumber)},
                   {names: ["getpid"], action: "SCMP_ACT_ALLOW"}]}' --arg e "$1"
}

CHECKS=0

# What the payload of every test reports: mkdir's errno, getpid's (0).
PROBE='berth-probe syscall-errno mkdir /tmp/d; berth-probe syscall-errno getpid'

entries() {
    find "$ROOT/.seccomp" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

# the one entry of the cache
entry() {
    local e
    e=$(entries)
    assert_one_line "$e"
    [[ "$e" =~ ^[0-9a-f]{64}$ ]]
    echo "$ROOT/.seccomp/$e"
}

run_probe() { # [ID [BUNDLE]]: the payload's lines in $output
    set_cmd_of "${2:-$BUNDLE}" "$PROBE"
    run -0 ctr_run "$@"
}

@test "seccomp cache: the first container fills it, the second uses it and is filtered" {
    errno_profile 1
    run_probe
    assert_eq "$output" $'1\n0'
    local e ino
    e=$(entry)
    assert_eq "$(stat -c '%a %u %F' "$ROOT/.seccomp")" "700 0 directory"
    assert_eq "$(stat -c '%a %u %F' "$e")" "600 0 regular file"
    ino=$(stat -c %i "$e")
    run_probe "$CID2"
    assert_eq "$output" $'1\n0'
    # read, not written again
    assert_eq "$(stat -c %i "$e")" "$ino"
    assert_eq "$(entries | wc -l)" 1
}

@test "seccomp cache: the directory is 0700 whatever the umask" {
    errno_profile 1
    umask 000
    run_probe
    umask 022
    assert_eq "$(stat -c '%a %u' "$ROOT/.seccomp")" "700 0"
    assert_eq "$(stat -c '%a %u' "$(entry)")" "600 0"
}

@test "seccomp cache: a changed profile gets an entry of its own" {
    errno_profile 42
    run_probe
    assert_eq "$output" $'42\n0'
    local first
    first=$(entry)
    errno_profile 43
    run_probe "$CID2"
    assert_eq "$output" $'43\n0'
    assert_eq "$(entries | wc -l)" 2
    [ -f "$first" ]
}

# corrupt_and_check HOW: the entry damaged by HOW (a command taking its path)
# is ignored: the container gets its filter and the entry is written anew,
# byte for byte what the first compile wrote.
corrupt_and_check() {
    local e n=$((++CHECKS))
    errno_profile 42
    run_probe "$CID-a$n"
    e=$(entry)
    cp "$e" "$TMP/good"
    "$@" "$e"
    run_probe "$CID-b$n"
    assert_eq "$output" $'42\n0'
    cmp "$e" "$TMP/good"
    assert_eq "$(stat -c '%a %u' "$e")" "600 0"
}

flip_program_byte() { # the first byte of the program's first jump offsets
    printf '\x55' | dd of="$1" bs=1 seek=90 conv=notrunc status=none
}

flip_header_byte() {
    printf '\x55' | dd of="$1" bs=1 seek=12 conv=notrunc status=none
}

truncate_entry() {
    truncate -s $(($(stat -c %s "$1") - 8)) "$1"
}

grow_entry() {
    head -c 8 /dev/zero >>"$1"
}

empty_entry() {
    : >"$1"
}

@test "seccomp cache: a corrupted program is ignored and replaced" {
    corrupt_and_check flip_program_byte
}

@test "seccomp cache: a corrupted header is ignored and replaced" {
    corrupt_and_check flip_header_byte
}

@test "seccomp cache: a truncated, grown or empty entry is ignored and replaced" {
    corrupt_and_check truncate_entry
    corrupt_and_check grow_entry
    corrupt_and_check empty_entry
}

@test "seccomp cache: an entry of another owner or group- or world-readable is ignored" {
    corrupt_and_check chown 1000
    corrupt_and_check chmod 0644
    corrupt_and_check chmod 0606
}

@test "seccomp cache: a symlink is not followed" {
    errno_profile 42
    run_probe
    local e
    e=$(entry)
    mv "$e" "$TMP/target"
    ln -s "$TMP/target" "$e"
    run_probe "$CID2"
    assert_eq "$output" $'42\n0'
    # replaced by a regular file; the target untouched
    [ -f "$e" ] && [ ! -L "$e" ]
    cmp "$e" "$TMP/target"
}

# A well-formed entry that holds another profile's program under this
# profile's name: root's cache is trusted (the control: the test can tell
# which program ran), another user's is not.
@test "seccomp cache: a forged entry of another owner is not trusted" {
    errno_profile 42
    run_probe
    local a b
    a=$(entry)
    mv "$a" "$TMP/a"
    errno_profile 43
    run_probe "$CID2"
    b=$(entry)
    # A's header and program, B's key (bytes 24..55 of the header)
    { head -c 24 "$TMP/a"; tail -c +25 "$b" | head -c 32; tail -c +57 "$TMP/a"; } >"$TMP/forged"
    install -m 0600 "$TMP/forged" "$b"
    run_probe "$CID-3"
    assert_eq "$output" $'42\n0' "the forged entry, root's, is used"
    install -m 0600 -o 1000 "$TMP/forged" "$b"
    run_probe "$CID-4"
    assert_eq "$output" $'43\n0'
    assert_eq "$(stat -c %u "$b")" 0
}

@test "seccomp cache: a directory of another mode is not used, nor changed" {
    mkdir -m 0755 "$ROOT" "$ROOT/.seccomp"
    errno_profile 42
    run_probe
    assert_eq "$output" $'42\n0'
    assert_eq "$(entries)" ""
    assert_eq "$(stat -c %a "$ROOT/.seccomp")" 755
}

@test "seccomp cache: a failing store does not fail the container" {
    errno_profile 42
    run_probe
    local e
    e=$(entry)
    rm "$e"
    # the rename onto a directory fails (EISDIR); the open finds no file
    mkdir -m 0700 "$e"
    run_probe "$CID2"
    assert_eq "$output" $'42\n0'
    [ -d "$e" ]
    # no temporary file left behind
    assert_eq "$(entries | wc -l)" 1
}

@test "seccomp cache: containers filling the same entry at once" {
    errno_profile 42
    set_cmd "$PROBE"
    local i pids=()
    for i in 1 2 3 4 5 6; do
        make_bundle "$TMP/b$i" "$CID-$i"
        cp "$BUNDLE/config.json" "$TMP/b$i/config.json"
        update_config_of "$TMP/b$i" '.linux.cgroupsPath = $cg' --arg cg "$CID-$i"
        remember_id "$CID-$i"
    done
    for i in 1 2 3 4 5 6; do
        rt run --bundle "$TMP/b$i" "$CID-$i" </dev/null >"$TMP/out$i" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}"
    done
    for i in 1 2 3 4 5 6; do
        assert_eq "$(cat "$TMP/out$i")" $'42\n0' "container $i"
    done
    local e
    e=$(entry)
    cp "$e" "$TMP/good"
    rm "$e"
    run_probe "$CID2"
    cmp "$e" "$TMP/good"
}

@test "seccomp cache: exec uses it, and fills it when it is empty" {
    errno_profile 42
    set_cmd 'echo ready; exec sleep 1000'
    ctr_run_detached
    wait_for_output "$CID" ready
    local e ino
    e=$(entry)
    ino=$(stat -c %i "$e")
    run -0 rt exec "$CID" sh -c "$PROBE" </dev/null 3>&-
    assert_eq "$output" $'42\n0'
    assert_eq "$(stat -c %i "$e")" "$ino"
    rm "$e"
    run -0 rt exec "$CID" sh -c "$PROBE" </dev/null 3>&-
    assert_eq "$output" $'42\n0'
    [ -f "$e" ]
}

@test "seccomp cache: nothing of it reaches the container" {
    errno_profile 42
    run_probe
    set_cmd 'berth-probe fds; test -e '"$ROOT"' && echo sees-root; true'
    run -0 ctr_run "$CID2"
    assert_eq "$(cut -d' ' -f1 <<<"$output" | xargs)" "0 1 2"
}

@test "seccomp cache: it is no container to list, and no id collides with it" {
    errno_profile 42
    run_probe
    [ -d "$ROOT/.seccomp" ]
    run -0 rt list -q
    assert_eq "$output" ""
    # a container may be called "seccomp"; ".seccomp" is no valid id
    run_probe seccomp
    assert_eq "$output" $'42\n0'
    run rt create --bundle "$BUNDLE" .seccomp
    [ "$status" -ne 0 ]
    assert_one_line "$output"
    [[ "$output" == *"invalid container id '.seccomp'"* ]]
    assert_eq "$(stat -c %F "$ROOT/.seccomp")" directory
}
