#!/usr/bin/env bats
# OCI hooks: each runs when the lifecycle says, in the namespaces it says,
# with the state JSON on stdin; a failing create or start hook fails the
# operation and leaves nothing; poststart and poststop failures only warn.

load helpers

# make_hook PATH: a script that appends "NAME NETNS STATUS PID" to LOG
# (its first two arguments)
make_hook() {
    cat >"$1" <<'EOS'
#!/bin/sh
state=$(cat)
status=$(echo "$state" | sed 's/.*"status":"\([a-z]*\)".*/\1/')
pid=$(echo "$state" | sed 's/.*"pid":\([0-9]*\).*/\1/')
echo "$2 $(readlink /proc/self/ns/net) $status $pid" >>"$1"
EOS
    chmod 755 "$1"
}

setup() {
    berth_setup
    requires_berth "berth's hooks"
    mkdir -p "$TMP/log"
    make_hook "$TMP/hook"
    make_hook "$BUNDLE/rootfs/hook"
    # startContainer's path resolves in the container: the log is bound in
    update_config '.mounts += [{destination: "/log", type: "bind", source: $d, options: ["rbind"]}]' \
        --arg d "$TMP/log"
}

# hook_json KIND LOG [PATH]
hook_json() {
    jq -cn --arg p "${3:-$TMP/hook}" --arg l "$2" --arg k "$1" \
        '{path: $p, args: ["hook", $l, $k]}'
}

@test "issue-12: every hook runs, in order, with the state and in its namespaces" {
    local log=$TMP/log/hooks.log
    update_config '.hooks = {
        prestart: [$pre], createRuntime: [$cr], createContainer: [$cc],
        startContainer: [$sc], poststart: [$ps], poststop: [$pst]}' \
        --argjson pre "$(hook_json prestart "$log")" --argjson cr "$(hook_json createRuntime "$log")" \
        --argjson cc "$(hook_json createContainer "$log")" \
        --argjson sc "$(hook_json startContainer /log/hooks.log /hook)" \
        --argjson ps "$(hook_json poststart "$log")" --argjson pst "$(hook_json poststop "$log")"
    set_args sleep 1000
    ctr_create
    local pid hostnet ctrnet
    pid=$(ctr_pid)
    hostnet=$(readlink /proc/self/ns/net)
    ctrnet=$(readlink "/proc/$pid/ns/net")
    assert_eq "$(awk '{ print $1 }' "$log" | xargs)" "prestart createRuntime createContainer"
    ctr_start
    # start returns once the init may go on; its startContainer hook runs
    # after that, inside the container: wait for it before the delete
    retry 200 0.05 grep -q '^startContainer' "$log"
    rt delete --force "$CID"
    cat "$log"
    assert_eq "$(awk '{ print $1 }' "$log" | xargs)" \
        "prestart createRuntime createContainer startContainer poststart poststop"
    assert_eq "$(awk '$1 == "prestart" { print $2, $3, $4 }' "$log")" "$hostnet creating $pid"
    assert_eq "$(awk '$1 == "createRuntime" { print $2 }' "$log")" "$hostnet"
    assert_eq "$(awk '$1 == "createContainer" { print $2 }' "$log")" "$ctrnet"
    assert_eq "$(awk '$1 == "startContainer" { print $2, $3 }' "$log")" "$ctrnet created"
    assert_eq "$(awk '$1 == "poststart" { print $2, $3 }' "$log")" "$hostnet running"
    assert_eq "$(awk '$1 == "poststop" { print $3 }' "$log")" stopped
}

@test "issue-12: a failing createRuntime hook fails create, one line, nothing left" {
    "$LEAKCHECK" snapshot "$TMP/leaks"
    update_config '.hooks = {createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]}'
    run rt create -b "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    assert_one_line "$output"
    [[ "$output" == *"hook 'createRuntime' #0 '/bin/sh': exited with status 3"* ]]
    assert_eq "$(rt list -q)" ""
    retry 30 0.1 "$LEAKCHECK" compare "$TMP/leaks"
}

@test "issue-12: a hook binary that does not exist, or one that times out, fails create" {
    update_config '.hooks = {prestart: [{path: "/no/such/hook"}]}'
    run rt create -b "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"'/no/such/hook': cannot execute it: No such file or directory"* ]]
    update_config '.hooks = {prestart: [{path: "/bin/sleep", args: ["sleep", "100"], timeout: 1}]}'
    run rt create -b "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"timed out after 1 s"* ]]
    assert_eq "$(rt list -q)" ""
}

@test "issue-12: a failing startContainer hook stops the container; poststart and poststop only warn" {
    update_config '.hooks = {startContainer: [{path: "/bin/false"}]}'
    set_args sleep 1000
    run ctr_run
    [ "$status" -eq 1 ]
    [[ "$output" == *"hook 'startContainer'"* ]]
    update_config '.hooks = {poststart: [{path: "/bin/false"}], poststop: [{path: "/bin/false"}]}'
    set_args echo ran
    run -0 ctr_run "$CID2"
    [[ "$output" == *ran* ]]
    [[ "$output" == *"hook 'poststart' #0 '/bin/false': exited with status 1, ignoring"* ]]
}

@test "issue-12: a hook path that is not absolute is refused by the config check" {
    update_config '.hooks = {prestart: [{path: "relative"}]}'
    run rt create -b "$BUNDLE" "$CID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"'hooks.prestart[0].path' must be absolute"* ]]
}
