#!/usr/bin/env bats
# Terminals and stdin in the engine (issue 13): run -it, run -i, start -a -i,
# attach with its detach keys, resize, exec -it. A terminal is driven with
# script(1) (util-linux): its pty is 33x99, what is piped into it is typed.

load engine-helpers

setup_file() {
    engine_setup_file
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

@test "run -it: the container's stdin, stdout, stderr are a tty of the terminal's size; typing runs; the exit status comes back" {
    run -5 pty_run "printf 'tty; stty size; echo typed-\$((6*7)); echo err >&2; exit 5\n'" \
        "$BERTH" run --rm -it busybox sh
    [[ "$output" == *"/dev/pts/"* ]]
    [[ "$output" == *"33 99"* ]]
    [[ "$output" == *'echo typed-$((6*7))'* ]] # the echo of what was typed
    [[ "$output" == *"typed-42"* ]]
    [[ "$output" == *"err"* ]]
    # nothing is left: no shim, no mount
    [ -z "$(engine_shim_pids)" ]
    ! grep -qF " $ENGINE_DIR/data/" /proc/self/mountinfo
}

@test "run -i: piped stdin reaches cat, which ends at its end (StdinOnce)" {
    run -0 --separate-stderr "$BERTH" run --rm -i busybox cat < <(printf 'hi\nthere\n')
    [ "$output" = $'hi\nthere' ]
    run -3 "$BERTH" run --rm -i busybox sh -c 'wc -l; exit 3' < <(seq 5)
    [ "$output" = 5 ]
    # without -i the container's stdin is empty
    run -0 "$BERTH" run --rm busybox cat < <(echo nothing)
    [ -z "$output" ]
}

@test "run -it without a terminal is refused, one line, nothing created" {
    run -1 "$BERTH" run --rm -it busybox true < <(echo x)
    [ "$output" = "berth: the input device is not a TTY" ]
    [ -z "$("$BERTH" ps -a -q)" ]
}

@test "inspect shows Tty, OpenStdin, StdinOnce; logs of a tty are its raw bytes" {
    id=$("$BERTH" create -t -i busybox true)
    run -0 "$BERTH" inspect -f '{{.Config.Tty}} {{.Config.OpenStdin}} {{.Config.StdinOnce}}' "$id"
    [ "$output" = "true true true" ]
    # -d attaches nothing: no StdinOnce (docker's run)
    id=$("$BERTH" run -d -t -i busybox sh -c 'printf "a\tb\n"; exec sleep 100')
    run -0 "$BERTH" inspect -f '{{.Config.Tty}} {{.Config.OpenStdin}} {{.Config.StdinOnce}}' "$id"
    [ "$output" = "true true false" ]
    wait_for grep -q '"stream":"stdout"' "$ENGINE_DIR/data/containers/$id/$id-json.log"
    # no 8-byte frame headers: exactly what the pty gave
    curl -s --unix-socket "$SOCK" "http://berth/containers/$id/logs?stdout=1&stderr=1" \
        >"$ENGINE_DIR/raw.out"
    [ "$(od -An -c "$ENGINE_DIR/raw.out" | tr -s ' ')" = " a \t b \r \n" ]
    run -0 "$BERTH" logs "$id"
    [ "$output" = $'a\tb\r' ]
}

@test "issue-13: a tty's output split inside a UTF-8 character loses nothing" {
    id=$("$BERTH" run -d -t busybox sh -c 'for i in $(seq 2000); do printf "éé"; done; echo; echo end')
    wait_for sh -c '"$0" logs "$1" | grep -q end' "$BERTH" "$id"
    [ "$("$BERTH" logs "$id" | grep -o 'é' | wc -l)" -eq 4000 ]
}

@test "resize: POST /containers/{id}/resize changes the size the container sees (SIGWINCH)" {
    id=$("$BERTH" run -d -t busybox sh -c 'trap "stty size" WINCH; echo ready; while :; do sleep 0.1; done')
    wait_for grep -q ready "$ENGINE_DIR/data/containers/$id/$id-json.log"
    run -0 api POST "/containers/$id/resize?h=40&w=120"
    [ "${lines[-1]}" = "HTTP 200" ]
    wait_for grep -q '40 120' "$ENGINE_DIR/data/containers/$id/$id-json.log"
    run -0 api POST "/containers/$id/resize?h=x&w=120"
    [ "${lines[-1]}" = "HTTP 400" ]
    run -0 api POST "/containers/$id/resize?w=120"
    [ "${lines[-1]}" = "HTTP 400" ]
    # a container without a tty has nothing to resize; a stopped one is not running
    id2=$("$BERTH" run -d busybox sleep 100)
    run -0 api POST "/containers/$id2/resize?h=40&w=120"
    [ "${lines[-1]}" = "HTTP 409" ]
    [[ "$output" == *"no such terminal"* ]]
    "$BERTH" rm -f "$id2" >/dev/null
    run -0 api POST "/containers/$id2/resize?h=40&w=120"
    [ "${lines[-1]}" = "HTTP 404" ]
}

@test "run -it: the terminal is raw while attached, restored when a signal ends the CLI" {
    d=$ENGINE_DIR
    run -0 pty_run "sleep 0.1" "stty -g >$d/before; $BERTH run --name sig -it busybox sleep 100 </dev/tty &" \
        "sleep 0.5; for i in \$(seq 100); do stty -g | cmp -s - $d/before || break; sleep 0.1; done;" \
        "stty -g >$d/during; kill -TERM \$!; wait \$!; echo status=\$?; stty -g >$d/after"
    [[ "$output" == *"status=143"* ]]
    ! cmp -s "$d/before" "$d/during"
    cmp "$d/before" "$d/after"
    run -0 "$BERTH" inspect -f '{{.State.Running}}' sig # as docker: it runs on
    [ "$output" = true ]
}

@test "run -it passes each resize of the local terminal on" {
    # the terminal is resized from within it while run is attached
    run -0 pty_run "sleep 0.1" \
        "$BERTH" run --rm -t busybox sh -c "'stty size; sleep 2; stty size'" \
        "& sleep 1; stty rows 21 cols 77; wait"
    [[ "$output" == *"33 99"*"21 77"* ]]
}

# berthd's open fds: an attach's dups of the container's stdin are closed
berthd_fds() {
    ls "/proc/$(cat "$ENGINE_DIR/berthd.pid")/fd" | wc -l
}

@test "detach with ctrl-p ctrl-q leaves it running; attach again sees new output and its exit" {
    id=$("$BERTH" run -d -i -t busybox sh)
    fds=$(berthd_fds)
    run -0 pty_run "printf 'echo first-\$((1+1))\n'; in_log first-2; printf '\020\021'; sleep 1" \
        "$BERTH" attach "$id"
    [[ "$output" == *"first-2"* ]]
    run -0 "$BERTH" inspect -f '{{.State.Running}}' "$id"
    [ "$output" = true ]
    # other detach keys; the size comes with the attach
    run -0 pty_run "sleep 1; printf 'stty size; echo second-\$((2+2))\n'; in_log second-4; printf '\030x'; sleep 1" \
        "$BERTH" attach --detach-keys ctrl-x,x "$id"
    [[ "$output" == *"33 99"* ]]
    [[ "$output" == *"second-4"* ]]
    [[ "$output" != *"first-2"* ]] # an attach starts from now
    run -7 pty_run "sleep 1; printf 'exit 7\n'; sleep 2" "$BERTH" attach "$id"
    run -0 "$BERTH" inspect -f '{{.State.Running}} {{.State.ExitCode}}' "$id"
    [ "$output" = "false 7" ]
    wait_for sh -c '[ "$(ls "/proc/$0/fd" | wc -l)" -le "$1" ]' "$(cat "$ENGINE_DIR/berthd.pid")" "$fds"
}

@test "run -it --detach-keys: detaching leaves it running (exit 0); attach gets it back" {
    run -0 pty_run "printf 'echo one-\$((1+2))\n'; in_log one-3; printf '\030x'; sleep 1" \
        "$BERTH" run --name rdk -it --detach-keys ctrl-x,x busybox sh
    [[ "$output" == *"one-3"* ]]
    run -0 "$BERTH" inspect -f '{{.State.Running}}' rdk
    [ "$output" = true ]
    run -6 pty_run "sleep 1; printf 'exit 6\n'; sleep 2" "$BERTH" attach rdk
    run -125 "$BERTH" run --rm -i --detach-keys ctrl-,x busybox true </dev/null
    [ "$output" = "berth: invalid detach keys 'ctrl-,x': ctrl-<x>,<c>... expected" ]
    [ "$("$BERTH" ps -a -q | wc -l)" -eq 1 ] # nothing created
}

@test "start -ai --detach-keys: detaching leaves it running (exit 0); bad keys are refused" {
    id=$("$BERTH" create -i -t busybox sh)
    run -0 pty_run "printf 'echo two-\$((2+3))\n'; in_log two-5; printf '\030y'; sleep 1" \
        "$BERTH" start -ai --detach-keys ctrl-x,y "$id"
    [[ "$output" == *"two-5"* ]]
    run -0 "$BERTH" inspect -f '{{.State.Running}}' "$id"
    [ "$output" = true ]
    run -1 "$BERTH" start -ai --detach-keys ctrl-,x "$id" </dev/null
    [ "$output" = "berth: invalid detach keys 'ctrl-,x': ctrl-<x>,<c>... expected" ]
    run -0 "$BERTH" rm -f "$id"
}

@test "attach: bad detach keys, a stopped container, a bad flag are refused" {
    id=$("$BERTH" run -d -i busybox cat)
    run -1 "$BERTH" attach --detach-keys ctrl-,x "$id" </dev/null
    [[ "$output" == *"invalid detach keys"* ]]
    run -0 api POST "/containers/$id/attach?stream=1&stdin=1&detachKeys=ctrl-"
    [ "${lines[-1]}" = "HTTP 400" ]
    [[ "$output" == *"Invalid detach keys (ctrl-) provided"* ]]
    id2=$("$BERTH" create busybox true)
    run -1 "$BERTH" attach "$id2"
    [ "$output" = "berth: You cannot attach to a stopped container, start it first" ]
    run -125 "$BERTH" attach --bogus "$id"
    [[ "$output" == *"invalid flag '--bogus'"* ]]
}

@test "attach --no-stdin: the output only; without a tty, the output is demultiplexed" {
    id=$("$BERTH" run -d -i busybox sh -c 'read x; echo "out:$x"; echo "err:$x" >&2')
    "$BERTH" attach --no-stdin "$id" >"$ENGINE_DIR/a.out" 2>"$ENGINE_DIR/a.err" </dev/null &
    cli=$!
    sleep 1 # the attach is made
    # the stdin of a -i container takes a second attach's input
    echo typed | "$BERTH" attach "$id" >/dev/null 2>&1 || true
    wait "$cli"
    [ "$(cat "$ENGINE_DIR/a.out")" = "out:typed" ]
    [ "$(cat "$ENGINE_DIR/a.err")" = "err:typed" ]
}

@test "attach --sig-proxy: a SIGTERM to the CLI goes to the container; =false: not" {
    id=$("$BERTH" run -d busybox sh -c 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done')
    wait_for grep -q ready "$ENGINE_DIR/data/containers/$id/$id-json.log"
    "$BERTH" attach --sig-proxy=false "$id" >"$ENGINE_DIR/sp.out" 2>&1 &
    cli=$!
    sleep 1
    kill -TERM "$cli"
    st=0
    wait "$cli" || st=$?
    [ "$st" -eq 143 ]
    run -0 "$BERTH" inspect -f '{{.State.Running}}' "$id"
    [ "$output" = true ]
    "$BERTH" attach "$id" >"$ENGINE_DIR/sp.out" 2>&1 &
    cli=$!
    sleep 1
    kill -TERM "$cli"
    st=0
    wait "$cli" || st=$?
    [ "$st" -eq 3 ]
    grep -q "got TERM" "$ENGINE_DIR/sp.out"
}

@test "start -a -i: the created container's stdin and output" {
    id=$("$BERTH" create -i busybox sh -c 'read x; echo "got:$x"; exit 4')
    run -4 "$BERTH" start -a -i "$id" < <(echo hello)
    [ "$output" = "got:hello" ]
    id=$("$BERTH" create -i -t busybox sh -c 'tty; stty size; read x; echo "got:$x"')
    run -0 pty_run "printf 'typed\n'" "$BERTH" start -a -i "$id"
    [[ "$output" == *"/dev/pts/"* ]]
    [[ "$output" == *"got:typed"* ]]
}

@test "exec -it: a tty of the terminal's size, typing runs, its exit status; exec -i; exec -t" {
    id=$("$BERTH" run -d busybox sleep 100)
    run -9 pty_run "printf 'tty; stty size; echo in-exec-\$((3*3)); exit 9\n'" \
        "$BERTH" exec -it "$id" sh
    [[ "$output" == *"/dev/pts/"* ]]
    [[ "$output" == *"33 99"* ]]
    [[ "$output" == *"in-exec-9"* ]]
    run -0 "$BERTH" exec -i "$id" cat < <(echo piped)
    [ "$output" = piped ]
    run -0 "$BERTH" exec -t "$id" tty
    [[ "$output" == "/dev/pts/"* ]]
    run -1 "$BERTH" exec -it "$id" true < <(echo x)
    [ "$output" = "berth: the input device is not a TTY" ]
}

@test "exec: detach keys leave the process running; resize of an exec; bad ConsoleSize" {
    id=$("$BERTH" run -d busybox sleep 100)
    run -0 pty_run "printf 'echo mark-\$((5*5)) >/tmp/mark\n'; wait_for $BERTH exec $id test -s /tmp/mark; printf '\020\021'; sleep 1" \
        "$BERTH" exec -it "$id" sh
    run -0 "$BERTH" exec "$id" cat /tmp/mark
    [ "$output" = mark-25 ]
    run -0 "$BERTH" exec "$id" sh -c 'ps -o args | grep -c "^sh$"'
    [ "$output" = 1 ] # the detached shell runs on
    eid=$(api POST "/containers/$id/exec" '{"Cmd":["sleep","5"],"Tty":true}' | head -1 | jq -r .Id)
    run -0 api POST "/exec/$eid/start" '{"Detach":true,"Tty":true}'
    run -0 api POST "/exec/$eid/resize?h=12&w=34"
    [ "${lines[-1]}" = "HTTP 200" ]
    # exec -d -t: its output goes nowhere and never blocks it
    run -0 "$BERTH" exec -d -t "$id" sh -c 'yes | head -c 1000000; touch /tmp/done'
    wait_for "$BERTH" exec "$id" test -f /tmp/done
    run -0 api POST "/containers/$id/exec" '{"Cmd":["true"],"ConsoleSize":[1]}'
    [ "${lines[-1]}" = "HTTP 400" ]
    [[ "$output" == *"invalid ConsoleSize"* ]]
    run -0 api POST "/containers/$id/exec" '{"Cmd":["true"],"DetachKeys":"ctrl-"}'
    [ "${lines[-1]}" = "HTTP 400" ]
}

@test "berthd restarts: a new attach still gets the container's stdin and output" {
    id=$("$BERTH" run -d -i busybox sh -c 'while read x; do echo "got:$x"; done')
    engine_stop_daemon KILL
    engine_start_daemon
    # no StdinOnce: the attach's end leaves the stdin open
    run -0 "$BERTH" attach "$id" < <(echo one; sleep 1)
    [ "$output" = "got:one" ]
    run -0 "$BERTH" inspect -f '{{.State.Running}}' "$id"
    [ "$output" = true ]
}

@test "create: Tty with another runtime is refused by name" {
    run -0 api POST /containers/create '{"Image":"busybox","Tty":true,"HostConfig":{"Runtime":"runc"}}'
    [ "${lines[-1]}" = "HTTP 400" ]
    [[ "$output" == *"Runtime"* || "$output" == *"runc"* ]]
    [ -z "$("$BERTH" ps -a -q)" ]
}
