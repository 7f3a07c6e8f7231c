#!/usr/bin/env bats
# Regression tests for the classic container escapes (issue 14 item 7),
# through berth run / exec against a private berthd (engine-helpers.bash):
# CVE-2019-5736 (rewrite the runtime through /proc/self/exe), CVE-2024-21626
# (a host fd as the working directory), CVE-2021-30465 (a symlinked mount
# target), `..` in a volume name, and exec into a container whose /proc
# was replaced. tests/integration/security.bats has the runtime's own.

load engine-helpers

# The daemon starts shims from a COPY of berth-shim: were the CVE-2019-5736
# attack to work, it would rewrite the copy, not the build's binary.
setup_file() {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
    SHIM_COPY_DIR=$(mktemp -d /tmp/berth-shimcopy.XXXXXX)
    export SHIM_COPY_DIR
    cp "$BERTH_SHIM" "$SHIM_COPY_DIR/berth-shim"
    export BERTH_SHIM=$SHIM_COPY_DIR/berth-shim
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
    rm -rf "${SHIM_COPY_DIR:-/nonexistent}"
}

setup() {
    [ -n "${BERTH_PROBE:-}" ] && [ -x "$BERTH_PROBE" ] || skip "needs BERTH_PROBE"
}

@test "CVE-2019-5736: the init's and an exec's /proc/self/exe is never a writable host binary" {
    local before
    before=$(sha256sum <"$BERTH_SHIM")
    run -0 "$BERTH" run --rm -v "$BERTH_PROBE:/probe:ro" busybox /probe exe
    [ "$output" = /probe ]
    # the attacker (pid 1, CAP_SYS_PTRACE to read others' exe links) grabs
    # the exe of every process that appears; the victim is an exec whose
    # interpreter is /proc/self/exe: the binary that exec'd it
    run -0 "$BERTH" run -d --name attack --cap-add SYS_PTRACE -v "$BERTH_PROBE:/probe:ro" busybox \
        sh -c 'printf "#!/proc/self/exe\n" >/victim; chmod 755 /victim; exec /probe exe-attack 6'
    sleep 0.5
    for _ in 1 2 3; do
        "$BERTH" exec attack /victim >/dev/null 2>&1 || true
    done
    run -0 "$BERTH" exec attack /probe exe
    [ "$output" = /probe ]
    run -0 "$BERTH" wait attack
    run -0 "$BERTH" logs attack
    echo "$output"
    [[ "$output" == *grabbed* ]]
    [[ "$output" == *done ]]
    ! grep -qE '^[0-9]+ ok$' <<<"$output"
    [ "$(sha256sum <"$BERTH_SHIM")" = "$before" ]
}

@test "CVE-2024-21626: -w /proc/self/fd/N never reaches a host fd (run and exec)" {
    local n
    # the working directory is resolved inside the container's root, where
    # /proc/self/fd/N is no directory: refused, whatever fd N the runtime held
    for n in 1 3 4 5 6 7 8 9 10; do
        run -125 "$BERTH" run --rm -w "/proc/self/fd/$n" busybox pwd
        [[ "$output" == *"cannot use process.cwd"* ]]
    done
    run -0 "$BERTH" run -d --name c21626 busybox sleep 30
    # docker's exit codes: 126 (a symlink loop: fd 1 is a pipe), 127 (none)
    run -126 "$BERTH" exec -w /proc/self/fd/1 c21626 pwd
    [[ "$output" == *"cannot use process.cwd"* ]]
    for n in 3 4 5 6 7 8 9 10; do
        run -127 "$BERTH" exec -w "/proc/self/fd/$n" c21626 pwd
        [[ "$output" == *"cannot use process.cwd"* ]]
    done
    # no fd of the runtime or shim left in the init or an exec
    run -0 "$BERTH" exec c21626 ls /proc/1/fd
    [ "$(echo $output)" = "0 1 2" ]
    # (the child of `&` gets /dev/null as stdin after its fork: let it exec first)
    run -0 "$BERTH" exec c21626 sh -c 'sleep 2 & sleep 0.5; ls /proc/$!/fd'
    [ "$(echo $output)" = "0 1 2" ]
}

@test "CVE-2021-30465: a bind mount whose target is a symlink out of the rootfs stays inside" {
    local rootfs outside=$ENGINE_DIR/outside src=$ENGINE_DIR/src
    rootfs=$(make_rootfs)
    mkdir -p "$outside" "$src"
    echo inside >"$src/marker"
    ln -s "$outside" "$rootfs/evil"
    ln -s "../../../../../../../../..$outside" "$rootfs/evil2"
    # the targets resolve inside the root (where nothing exists yet): refused
    run -125 "$BERTH" run --rm --rootfs "$rootfs" -v "$src:/evil" cat /evil/marker
    [[ "$output" == *"cannot create '/evil' in the rootfs"* ]]
    [ -z "$(ls -A "$outside")" ]
    # where the in-root path exists the mount lands there, not on the host's
    mkdir -p "$rootfs$outside"
    run -0 "$BERTH" run -d --name c30465 --rootfs "$rootfs" -v "$src:/evil" -v "$src:/evil2" sleep 30
    run -0 "$BERTH" exec c30465 sh -c 'cat /evil/marker /evil2/marker; echo new >/evil/made'
    [ "$output" = "inside
inside" ]
    ! grep -q " $outside " /proc/self/mountinfo
    [ -z "$(ls -A "$outside")" ]
    [ "$(cat "$src/made")" = new ]
}

@test "a volume name with .. is refused, nothing created" {
    run -125 "$BERTH" run -v ../../etc:/x busybox true
    [[ "$output" == *"volume name"* ]]
    run -125 "$BERTH" run -v ..:/x busybox true
    run -125 "$BERTH" run -v 'a/../../b:/x' busybox true
    run -125 "$BERTH" run --mount type=volume,src=../etc,dst=/x busybox true
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    run -0 "$BERTH" volume ls -q
    [ -z "$output" ]
}

@test "exec into a container whose /proc was replaced by fake files does not use them" {
    run -0 "$BERTH" run -d --name fakeproc --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
        -v "$BERTH_PROBE:/probe:ro" busybox sh -c '
        mkdir /fake; mount -t tmpfs tmpfs /fake; mkdir -p /fake/self/attr /fake/self/fd /fake/1
        echo fake >/fake/self/status; echo fake >/fake/self/attr/exec; echo fake >/fake/1/status
        mount --move /fake /proc 2>/dev/null || mount --bind /fake /proc; ls -R /proc >/ready; exec sleep 60'
    wait_for "$BERTH" exec fakeproc test -f /ready
    run -0 "$BERTH" exec fakeproc sh -c 'ls -R /proc'
    before=$output
    run -0 "$BERTH" exec fakeproc echo still-works
    [ "$output" = still-works ]
    # nothing written into the fake files, nothing added
    run -0 "$BERTH" exec fakeproc sh -c 'ls -R /proc; cat /proc/self/attr/exec /proc/self/status'
    [ "$output" = "$before
fake
fake" ]
    # the exec'd process really is in the container: its cgroup and pid namespace
    run -0 "$BERTH" exec -d fakeproc sleep 20
    pid=$(pgrep -n -f '^sleep 20$')
    init=$("$BERTH" inspect -f '{{.State.Pid}}' fakeproc)
    [ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$init/ns/pid)" ]
    [ "$(cat /proc/$pid/cgroup)" = "$(cat /proc/$init/cgroup)" ]
    grep -q 'Seccomp:.*0' /proc/$pid/status
}
