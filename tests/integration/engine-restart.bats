#!/usr/bin/env bats
# Restart policies (issue 14 item 5): the shim carries out
# HostConfig.RestartPolicy (src/shim/restart.c), with Docker's back-off
# (100 ms, doubled, at most 60 s), also while berthd is down; a user's stop
# or kill is not undone by it; berthd's next start brings back "always"
# and, unless a user stopped it, "unless-stopped" (Docker's restore).

load engine-helpers

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

field() { "$BERTH" inspect --format "$2" "$1"; }
count_at_least() { [ "$(field "$1" '{{.RestartCount}}')" -ge "$2" ]; }
status_is() { [ "$(field "$1" '{{.State.Status}}')" = "$2" ]; }
ps_restarting() {
    [[ "$("$BERTH" ps --filter name="$1" --filter status=restarting --format '{{.Status}}')" == \
        "Restarting (2) "*" ago" ]]
}
# restarting_snapshot ID: true when one inspect of ID finds it between two
# runs; that inspect's fields in $snap: Restarting Running Pid
# RestartDelayMs RestartCount NextRestartAt
restarting_snapshot() {
    snap=$(field "$1" '{{.State.Restarting}} {{.State.Running}} {{.State.Pid}} {{.State.RestartDelayMs}} {{.RestartCount}} {{.State.NextRestartAt}}')
    [[ $snap == "true "* ]]
}
running_with_pid_other_than() {
    status_is "$1" running && [ "$(field "$1" '{{.State.Pid}}')" != 0 ] &&
        [ "$(field "$1" '{{.State.Pid}}')" != "$2" ]
}
ctr_actions() {
    local id
    id=$(field "$1" '{{.Id}}')
    jq -r .Action "$ENGINE_DIR/data/containers/$id/events.jsonl" | tr '\n' ' '
}

@test "--restart always: an init killed from outside comes back, with restart events" {
    run -0 "$BERTH" run -d --name rs-always --restart always busybox sleep 1000
    pid=$(field rs-always '{{.State.Pid}}')
    [ "$pid" -gt 0 ]
    kill -9 "$pid"
    wait_long 10 running_with_pid_other_than rs-always "$pid"
    [ "$(field rs-always '{{.RestartCount}}')" = 1 ]
    [ "$(field rs-always '{{json .HostConfig.RestartPolicy}}')" = \
        '{"Name":"always","MaximumRetryCount":0}' ]
    # the shim's record: die (137), restart, start
    [[ "$(ctr_actions rs-always)" == *"die restart start "* ]]
    run -0 "$BERTH" events --since 0 --until "$(($(date +%s) + 1))" --filter container=rs-always \
        --filter event=restart --format '{{.Actor.Attributes.restartCount}}'
    [ "$output" = 1 ]
    # the last exit shows while it runs again, as Docker
    [ "$(field rs-always '{{.State.ExitCode}}')" = 137 ]
    run -0 "$BERTH" rm -f rs-always
}

@test "--restart always: the shim restarts it while berthd is stopped" {
    run -0 "$BERTH" run -d --name rs-down --restart always busybox sleep 1000
    id=$(field rs-down '{{.Id}}')
    pid=$(field rs-down '{{.State.Pid}}')
    engine_stop_daemon TERM
    kill -9 "$pid"
    state=$ENGINE_DIR/data/containers/$id/state.json
    # the shim's own record says so before berthd is back
    wait_long 10 bash -c "[ \"\$(jq .RestartCount '$state')\" = 1 ] && [ \"\$(jq .Pid '$state')\" -gt 0 ]"
    newpid=$(jq .Pid "$state")
    [ "$newpid" != "$pid" ]
    kill -0 "$newpid"
    engine_start_daemon
    [ "$(field rs-down '{{.State.Pid}}')" = "$newpid" ]
    status_is rs-down running
    [ "$(field rs-down '{{.RestartCount}}')" = 1 ]
    run -0 "$BERTH" rm -f rs-down
}

@test "--restart on-failure:2: two restarts, then Exited; a clean exit is not restarted" {
    run -0 "$BERTH" run -d --name rs-fail --restart on-failure:2 busybox sh -c 'echo run; exit 5'
    wait_long 10 status_is rs-fail exited
    [ "$(field rs-fail '{{.RestartCount}}')" = 2 ]
    [ "$(field rs-fail '{{.State.ExitCode}}')" = 5 ]
    run -0 "$BERTH" logs rs-fail
    [ "$output" = "$(printf 'run\nrun\nrun')" ]
    run -0 "$BERTH" ps -a --filter name=rs-fail --format '{{.Status}}'
    [[ "$output" == "Exited (5) "* ]]
    run -0 "$BERTH" run -d --name rs-ok --restart on-failure busybox true
    wait_long 10 status_is rs-ok exited
    sleep 0.5
    status_is rs-ok exited
    [ "$(field rs-ok '{{.RestartCount}}')" = 0 ]
    run -0 "$BERTH" rm rs-fail rs-ok
}

@test "back-off: doubled at each restart, shown in inspect and ps while it waits" {
    run -0 "$BERTH" run -d --name rs-back --restart always busybox sh -c 'exit 2'
    wait_long 20 count_at_least rs-back 4
    # caught between runs: Restarting, with the delay and the next start,
    # all from one inspect (separate calls could straddle a restart on a
    # slow machine: the v2 lane's TCG guest)
    wait_long 10 restarting_snapshot rs-back
    read -r restarting running pid delay n next <<<"$snap"
    [ "$restarting" = true ]
    [ "$running" = true ]
    [ "$pid" = 0 ]
    [ -n "$next" ]
    # 100 ms for the first restart, doubled each time since (runs < 10 s)
    [ "$delay" = $((100 << (n - 1))) ]
    # ps: caught in a back-off again (the one inspect saw may be over by
    # now under a slow machine: the v2 lane's TCG guest)
    wait_long 20 ps_restarting rs-back
    run -0 "$BERTH" rm -f rs-back
}

@test "a user's stop or kill is not undone by the policy, also while it backs off" {
    run -0 "$BERTH" run -d --name rs-stop --restart always busybox sleep 1000
    run -0 "$BERTH" stop -t 1 rs-stop
    sleep 0.5
    status_is rs-stop exited
    [ "$(field rs-stop '{{.RestartCount}}')" = 0 ]
    run -0 "$BERTH" run -d --name rs-kill --restart unless-stopped busybox sleep 1000
    run -0 "$BERTH" kill rs-kill
    wait_long 10 status_is rs-kill exited
    sleep 0.5
    status_is rs-kill exited
    [ "$(field rs-kill '{{.State.ExitCode}}')" = 137 ]
    # a container between two runs: stop ends it at once, keeping its last exit
    run -0 "$BERTH" run -d --name rs-slow --restart always busybox sh -c 'exit 4'
    wait_long 20 count_at_least rs-slow 5 # a back-off of 1.6 s by now
    wait_long 10 status_is rs-slow restarting
    run -0 "$BERTH" stop rs-slow
    status_is rs-slow exited
    [ "$(field rs-slow '{{.State.ExitCode}}')" = 4 ]
    # a signal that is not the stop signal leaves the policy in charge
    # (a PID 1 dies of a signal only through a handler of its own)
    run -0 "$BERTH" run -d --name rs-usr --restart always busybox \
        sh -c 'trap "exit 9" USR1; while sleep 0.1; do :; done'
    pid=$(field rs-usr '{{.State.Pid}}')
    run -0 "$BERTH" kill -s USR1 rs-usr
    wait_long 10 running_with_pid_other_than rs-usr "$pid"
    run -0 "$BERTH" rm -f rs-stop rs-kill rs-slow rs-usr
    [ -z "$(engine_shim_pids)" ]
}

@test "berth update --restart: the next exit follows the new policy" {
    run -0 "$BERTH" run -d --name rs-upd busybox sleep 1000
    run -0 "$BERTH" update --restart always rs-upd
    [ "$(field rs-upd '{{.HostConfig.RestartPolicy.Name}}')" = always ]
    pid=$(field rs-upd '{{.State.Pid}}')
    kill -9 "$pid"
    wait_long 10 running_with_pid_other_than rs-upd "$pid"
    run -0 "$BERTH" update --restart no rs-upd
    pid=$(field rs-upd '{{.State.Pid}}')
    kill -9 "$pid"
    wait_long 10 status_is rs-upd exited
    [ "$(field rs-upd '{{.RestartCount}}')" = 1 ]
    run -0 "$BERTH" rm rs-upd
}

@test "berthd's start brings back always, and unless-stopped unless a user stopped it" {
    run -0 "$BERTH" run -d --name rs-b-always --restart always busybox sleep 1000
    run -0 "$BERTH" run -d --name rs-b-unless --restart unless-stopped busybox sleep 1000
    run -0 "$BERTH" run -d --name rs-b-gone --restart unless-stopped busybox sleep 1000
    run -0 "$BERTH" run -d --name rs-b-no busybox sleep 1000
    run -0 "$BERTH" stop -t 1 rs-b-always rs-b-unless
    # as after a reboot: rs-b-gone's shim and container die with berthd down
    id=$(field rs-b-gone '{{.Id}}')
    engine_stop_daemon TERM
    st=$ENGINE_DIR/data/containers/$id/state.json
    kill -9 "$(jq .ShimPid "$st")" "$(jq .Pid "$st")"
    sleep 0.3
    engine_start_daemon
    status_is rs-b-always running
    status_is rs-b-unless exited
    status_is rs-b-gone running
    status_is rs-b-no running
    run -0 "$BERTH" rm -f rs-b-always rs-b-unless rs-b-gone rs-b-no
}

@test "docker wait and an attached run end at the first exit of a restarted container" {
    run -1 "$BERTH" run --name rs-att --restart on-failure:1 busybox sh -c 'exit 1'
    wait_long 10 status_is rs-att exited
    [ "$(field rs-att '{{.RestartCount}}')" = 1 ]
    run -0 "$BERTH" rm rs-att
}

@test "bad restart policies are refused with their value, nothing is created" {
    run -125 "$BERTH" run -d --name rs-bad1 --restart alwyas busybox true
    [[ "$output" == *"invalid value 'alwyas' for --restart"* ]]
    run -125 "$BERTH" run -d --name rs-bad2 --restart on-failure:-1 busybox true
    [[ "$output" == *"--restart"* ]]
    run -125 "$BERTH" run -d --name rs-bad3 --restart always:3 busybox true
    [[ "$output" == *"only on-failure takes a maximum retry count"* ]]
    run -125 "$BERTH" run --rm --name rs-bad4 --restart always busybox true
    [[ "$output" == *"conflicting options: cannot specify both --restart and --rm"* ]]
    # the API's own checks, for other clients
    run -0 curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' \
        -d '{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":2}}}' \
        -w '\n%{http_code}' "http://berth/containers/create?name=rs-bad5"
    [ "${lines[1]}" = 400 ]
    [[ "${lines[0]}" == *"maximum retry count can only be used with 'on-failure'"* ]]
    run -0 curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' \
        -d '{"Image":"busybox","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}' \
        -w '\n%{http_code}' "http://berth/containers/create?name=rs-bad6"
    [ "${lines[1]}" = 400 ]
    [[ "${lines[0]}" == *"unknown policy 'sometimes'"* ]]
    run -0 curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' \
        -d '{"Image":"busybox","HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}}' \
        -w '\n%{http_code}' "http://berth/containers/create?name=rs-bad7"
    [ "${lines[1]}" = 400 ]
    run -0 "$BERTH" ps -a -q --filter name=rs-bad
    [ -z "$output" ]
}
