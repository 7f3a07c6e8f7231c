#!/usr/bin/env bats
# The docker CLI, unchanged, with terminals and stdin against a private
# berthd (issue 13): run -it, run -i with piped stdin, attach and detach
# (ctrl-p ctrl-q) and attach again, exec -it, logs of a tty. A terminal is
# driven with script(1): its pty is 33x99, what is piped into it is typed.

load engine-helpers

setup_file() {
    docker_setup_file
}

setup() {
    docker_setup
    command -v script >/dev/null || skip "script(1) (util-linux) is not installed"
}

# pty_run INPUT CMD: CMD in a terminal of 33 rows, 99 columns; INPUT is a
# shell snippet whose output is typed into it (sleeps for the timing).
pty_run() {
    local input=$1
    shift
    (eval "$input") | timeout 30 script -qfec "stty rows 33 cols 99; $*" /dev/null
}

# in_log TEXT: waits until a container's log has TEXT (then berthd's poll
# of it, 20 ms, has sent it on to an attached client)
in_log() {
    wait_for sh -c 'grep -qsF "$0" "$1"/data/containers/*/*-json.log' "$1" "$ENGINE_DIR"
    sleep 0.3
}

@test "docker run -it: a tty of the terminal's size, typing runs, the exit status comes back" {
    run -5 pty_run "printf 'tty; stty size; echo typed-\$((6*7)); exit 5\n'" \
        "$DOCKER" -H "unix://$SOCK" run --rm -it busybox sh
    [[ "$output" == *"/dev/pts/"* ]]
    [[ "$output" == *"33 99"* ]]
    [[ "$output" == *'echo typed-$((6*7))'* ]]
    [[ "$output" == *"typed-42"* ]]
}

@test "docker run -i with piped stdin" {
    run -0 d run --rm -i busybox cat < <(printf 'hi\nthere\n')
    [ "$output" = $'hi\nthere' ]
    run -6 d run --rm -i busybox sh -c 'wc -l; exit 6' < <(seq 4)
    [ "$output" = 4 ]
}

@test "docker attach, detach with ctrl-p ctrl-q, docker attach again" {
    d run -dit --name dtty busybox sh >/dev/null
    run pty_run "printf 'echo first-\$((1+1))\n'; in_log first-2; printf '\020\021'; sleep 1" \
        "$DOCKER" -H "unix://$SOCK" attach dtty
    [[ "$output" == *"first-2"* ]]
    [[ "$output" == *"read escape sequence"* ]] # the docker CLI's word for a detach
    run -0 d inspect -f '{{.State.Running}}' dtty
    [ "$output" = true ]
    run -4 pty_run "sleep 1; printf 'echo second-\$((2+2)); exit 4\n'; sleep 2" \
        "$DOCKER" -H "unix://$SOCK" attach dtty
    [[ "$output" == *"second-4"* ]]
    [[ "$output" != *"first-2"* ]]
    run -0 d inspect -f '{{.State.Running}} {{.State.ExitCode}}' dtty
    [ "$output" = "false 4" ]
}

@test "docker start -ai of a created -it container and of a -i one" {
    d create -it --name stty busybox sh -c 'tty; read x; echo "got:$x"; exit 3' >/dev/null
    run -3 pty_run "printf 'typed\n'; sleep 2" "$DOCKER" -H "unix://$SOCK" start -ai stty
    [[ "$output" == *"/dev/pts/"* ]]
    [[ "$output" == *"got:typed"* ]]
    d create -i --name sin busybox sh -c 'read x; echo "got:$x"' >/dev/null
    run -0 d start -ai sin < <(echo piped)
    [ "$output" = "got:piped" ]
}

@test "docker exec -it and exec -i" {
    d run -d --name etty busybox sleep 100 >/dev/null
    run -9 pty_run "printf 'tty; echo in-exec-\$((3*3)); exit 9\n'" \
        "$DOCKER" -H "unix://$SOCK" exec -it etty sh
    [[ "$output" == *"/dev/pts/"* ]]
    [[ "$output" == *"in-exec-9"* ]]
    run -0 d exec -i etty cat < <(echo piped)
    [ "$output" = piped ]
}

@test "docker logs of a tty container; docker inspect's Config.Tty" {
    d run -dt --name ltty busybox sh -c 'echo one; echo two; sleep 100' >/dev/null
    wait_for sh -c '"$0" -H "unix://$1" logs ltty | grep -q two' "$DOCKER" "$SOCK"
    run -0 d logs ltty
    [ "$output" = $'one\r\ntwo\r' ]
    run -0 d inspect -f '{{.Config.Tty}} {{.Config.OpenStdin}}' ltty
    [ "$output" = "true false" ]
}
