#!/usr/bin/env bats
# The global options and the commands that need no container: --version,
# spec, list, --root, BERTH_ROOT, --log, --log-format, --debug.

load helpers

@test "--version prints a version and exits 0" {
    run -0 "$BERTH_RUNTIME" --version
    [[ "$output" =~ [0-9]+\.[0-9]+ ]]
}

@test "--version names berth" {
    requires_berth
    run -0 "$BERTH_RUNTIME" --version
    [[ "${lines[0]}" == *berth* ]]
}

@test "spec --bundle writes a runc-like default config.json" {
    mkdir "$TMP/b"
    run -0 rt spec --bundle "$TMP/b"
    local c=$TMP/b/config.json
    jq -e . "$c" >/dev/null
    [[ "$(jq -r .ociVersion "$c")" == 1.* ]]
    assert_eq "$(jq -c .process.args "$c")" '["sh"]'
    assert_eq "$(jq -r .process.terminal "$c")" true
    assert_eq "$(jq -r .root.path "$c")" rootfs
    assert_eq "$(jq -r '[.mounts[].destination] | index("/proc") != null' "$c")" true
    for ns in pid network ipc uts mount; do
        assert_eq "$(jq -r --arg t "$ns" '[.linux.namespaces[].type] | index($t) != null' "$c")" true "$ns"
    done
}

@test "spec without --bundle writes into the current directory" {
    mkdir "$TMP/b"
    cd "$TMP/b"
    run -0 rt spec
    jq -e .process "$TMP/b/config.json" >/dev/null
}

@test "the spec default config runs once terminal is off" {
    rm "$BUNDLE/config.json"
    rt spec --bundle "$BUNDLE"
    update_config '.process.terminal = false | .process.args = ["/bin/echo", "from-spec"]'
    update_config '.linux.cgroupsPath = $cg' --arg cg "$CID"
    run -0 ctr_run
    [ "$output" = from-spec ]
}

@test "an unknown command fails" {
    run --separate-stderr rt no-such-command
    [ "$status" -ne 0 ]
    [ -n "$stderr" ]
    if is_berth; then
        assert_one_line "$stderr"
        [[ "$stderr" == *no-such-command* ]]
    fi
}

@test "an unknown global option fails" {
    run --separate-stderr "$BERTH_RUNTIME" --no-such-option list
    [ "$status" -ne 0 ]
    [ -n "$stderr" ]
    if is_berth; then
        [[ "$stderr" == *no-such-option* ]]
    fi
}

@test "list on an empty root prints no container" {
    run -0 rt list -q
    [ -z "$output" ]
    run -0 rt list
    [ "${#lines[@]}" -le 1 ]
}

@test "--root keeps containers apart" {
    set_args sleep 1000
    ctr_create
    run "$BERTH_RUNTIME" --root "$ROOT" list -q
    [ "$output" = "$CID" ]
    run -0 "$BERTH_RUNTIME" --root "$TMP/other-root" list -q
    [ -z "$output" ]
    run "$BERTH_RUNTIME" --root "$TMP/other-root" state "$CID"
    [ "$status" -ne 0 ]
    # The state lives under the root, named after the id, and goes with delete.
    [ -n "$(find "$ROOT" -name "*$CID*")" ]
    rt delete --force "$CID"
    [ -z "$(find "$ROOT" -name "*$CID*")" ]
}

@test "BERTH_ROOT sets the state root" {
    requires_berth "runc has no BERTH_ROOT"
    set_args sleep 1000
    ctr_create
    run -0 env BERTH_ROOT="$ROOT" "$BERTH_RUNTIME" list -q
    [ "$output" = "$CID" ]
    run -0 env BERTH_ROOT="$ROOT" "$BERTH_RUNTIME" state "$CID"
}

@test "--log writes errors to the file" {
    run "$BERTH_RUNTIME" --root "$ROOT" --log "$TMP/log" state "$CID"
    [ "$status" -ne 0 ]
    [ -s "$TMP/log" ]
}

@test "--log-format json writes one JSON object per line" {
    run "$BERTH_RUNTIME" --root "$ROOT" --log "$TMP/log" --log-format json state "$CID"
    [ "$status" -ne 0 ]
    [ -s "$TMP/log" ]
    while read -r line; do
        jq -e 'type == "object"' <<<"$line" >/dev/null
    done <"$TMP/log"
}

@test "--log-format json carries level and msg, as containerd reads them" {
    requires_berth "wording"
    run "$BERTH_RUNTIME" --root "$ROOT" --log "$TMP/log" --log-format json state "$CID"
    [ "$status" -ne 0 ]
    run -0 jq -r 'select(.level == "error") | .msg' "$TMP/log"
    [[ "$output" == *"$CID"* ]]
}

@test "--log-format rejects an unknown format" {
    run "$BERTH_RUNTIME" --root "$ROOT" --log "$TMP/log" --log-format yaml list
    [ "$status" -ne 0 ]
}

@test "--debug is accepted" {
    run -0 "$BERTH_RUNTIME" --root "$ROOT" --debug --log "$TMP/log" list -q
}
