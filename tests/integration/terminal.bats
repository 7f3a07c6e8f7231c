#!/usr/bin/env bats
# process.terminal: a pty made in the container, its master sent over
# --console-socket (as containerd and podman take it), or kept and proxied
# by a foreground run.

load helpers

setup() {
    berth_setup
    [ -x "${BERTH_API:-}" ] || skip "BERTH_API (build/tests/api/berth-api) not set"
    update_config '.process.terminal = true'
}

# console_receiver INPUT: a console socket at $TMP/console.sock that types
# INPUT and writes what the terminal shows to $TMP/tty.out
console_receiver() {
    bg_helper sh -c '"$0" console "$1" "$2" >"$3"' "$BERTH_API" "$TMP/console.sock" "$1" "$TMP/tty.out"
    retry 100 0.05 test -S "$TMP/console.sock"
}

@test "issue-12: create --console-socket sends the terminal; input and output go through it" {
    set_cmd 'tty; read line; echo "got:$line"; stty size'
    update_config '.process.consoleSize = {height: 33, width: 99}'
    console_receiver $'typed\n'
    ctr_create "$CID" "$BUNDLE" --console-socket "$TMP/console.sock"
    ctr_start
    retry 100 0.05 grep -q "^33 99" "$TMP/tty.out"
    grep -q "^/dev/pts/" "$TMP/tty.out"
    grep -q "got:typed" "$TMP/tty.out"
}

@test "issue-12: a foreground run with a terminal proxies it" {
    set_cmd 'tty; read line; echo "got:$line"'
    run -0 sh -c 'printf "abc\n" | "$0" --root "$1" run -b "$2" "$3"' "$BERTH_RUNTIME" "$ROOT" \
        "$BUNDLE" "$CID"
    [[ "$output" == *"/dev/pts/"* ]]
    [[ "$output" == *"got:abc"* ]]
}

@test "issue-12: a console socket that is not a socket, or none, is refused, one line" {
    requires_berth "the wording is berth's"
    touch "$TMP/not-a-socket"
    run rt create --console-socket "$TMP/not-a-socket" -b "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$output"
    [[ "$output" == *"console socket '$TMP/not-a-socket'"* ]]
    run rt create -b "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"needs a console socket"* ]]
    update_config '.process.terminal = false'
    console_receiver ""
    run rt create --console-socket "$TMP/console.sock" -b "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"'process.terminal' is false"* ]]
    assert_eq "$(rt list -q)" ""
}

@test "issue-12: a foreground run passes on the caller's terminal size and each resize" {
    command -v script >/dev/null || skip "script(1) is not installed"
    set_cmd 'stty size; sleep 1.5; stty size'
    # script(1) gives the run a real terminal; the background stty resizes it
    # while the container sleeps, and the kernel sends the run a SIGWINCH
    run -0 script -qec "stty rows 10 cols 40; (sleep 0.6; stty rows 12 cols 50 </dev/tty) & \
        $BERTH_RUNTIME --root $ROOT run -b $BUNDLE $CID" /dev/null
    [[ "$output" == *"10 40"*"12 50"* ]]
}
