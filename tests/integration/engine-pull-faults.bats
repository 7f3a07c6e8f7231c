#!/usr/bin/env bats
# berth pull when things go wrong (issue 16), against a private
# docker-registry on 127.0.0.1 behind registry-auth-proxy.py's fault modes:
# a dropped connection is resumed with a Range request, a stalled registry
# is a clear error, a berthd killed mid-pull leaves the store as it was,
# blobs over the configured limit are refused before a byte comes, and
# docker.io's images come from the configured mirrors (two private
# registries; nothing goes to docker.io).

load engine-helpers
load registry-helpers

setup_file() {
    # berthd's registry settings: a short stall timeout for the stall test
    export BERTH_REGISTRY_CONFIG=$BATS_FILE_TMPDIR/registries.json
    echo '{"stall-timeout": 2}' >"$BERTH_REGISTRY_CONFIG"
    engine_setup_file
    registry_start
    # an image of its own: 3 MB of noise the store does not have
    local rootfs=$ENGINE_DIR/noise-rootfs
    mkdir -p "$rootfs"
    head -c 3000000 /dev/urandom >"$rootfs/noise"
    tar -C "$rootfs" -cf "$ENGINE_DIR/noise.tar" .
    "$BERTH" import "$ENGINE_DIR/noise.tar" faults/src:1 >/dev/null
    "$BERTH" save -o "$ENGINE_DIR/noise-image.tar" faults/src:1
    "$BERTH" image inspect --format '{{.Id}}' faults/src:1 >"$ENGINE_DIR/noise.id"
    "$BERTH" rmi faults/src:1 >/dev/null
    registry_push "docker-archive:$ENGINE_DIR/noise-image.tar" test/noise:1
}

teardown_file() {
    [ -z "${ENGINE_DIR:-}" ] || auth_proxy_stop
    [ -z "${ENGINE_DIR:-}" ] || registry_stop
    engine_teardown_file
}

teardown() {
    [ ! -f "$ENGINE_DIR/mirror-a/pid" ] || kill "$(cat "$ENGINE_DIR/mirror-a/pid")" 2>/dev/null || true
    rm -f "$ENGINE_DIR/mirror-a/pid"
    "$BERTH" rmi -f "$AUTH_REG/test/noise:1" >/dev/null 2>&1 || true
    "$BERTH" image prune -a -f >/dev/null 2>&1 || true
    engine_teardown
}

# The store's files and index.json, to compare before and after.
store_state() {
    local d=$ENGINE_DIR/data
    (cd "$d" && find image layers -mindepth 1 2>/dev/null | sort)
    cat "$d/image/index.json" 2>/dev/null
    echo
}

# The image pulled as $1 is the one pushed (its blobs were checked
# against their digests on the way: the id says they all came).
same_image() {
    [ "$("$BERTH" image inspect --format '{{.Id}}' "$1")" = "$(cat "$ENGINE_DIR/noise.id")" ]
}

# berthd with the registry settings in $1 (JSON)
restart_with_config() {
    echo "$1" >"$BERTH_REGISTRY_CONFIG"
    engine_stop_daemon
    engine_start_daemon
}

@test "a dropped connection is resumed with a Range request" {
    auth_proxy_start drop
    rm -f "$ENGINE_DIR/registry/proxy-drop.port.ranges"
    run -0 "$BERTH" pull "$AUTH_REG/test/noise:1"
    # every blob was cut at half and its rest asked for
    run -0 cat "$ENGINE_DIR/registry/proxy-drop.port.ranges"
    [[ "$output" == *"bytes="* ]]
    same_image "$AUTH_REG/test/noise:1"
}

@test "a registry that stalls: a clear error, the store as it was" {
    auth_proxy_start stall
    before=$(store_state)
    run -1 "$BERTH" pull "$AUTH_REG/test/noise:1"
    [[ "$output" == *"stalled: no data for 2 s"* ]]
    [ "$(store_state)" = "$before" ]
    ! ls -d "$ENGINE_DIR"/data/tmp/pull-* 2>/dev/null
}

@test "berthd killed mid-pull: the store as it was; the next pull completes" {
    auth_proxy_start slow
    before=$(store_state)
    "$BERTH" pull "$AUTH_REG/test/noise:1" >/dev/null 2>&1 3>&- &
    local client=$!
    # some bytes are in, not all
    wait_long 20 sh -c 'find "$1"/data/tmp -name "*.part" -size +64k | grep -q .' _ "$ENGINE_DIR"
    engine_stop_daemon KILL
    wait "$client" || true
    [ "$(store_state)" = "$before" ]
    ls -d "$ENGINE_DIR"/data/tmp/pull-*
    engine_start_daemon
    # the dead berthd's work dir went at the next start
    ! ls -d "$ENGINE_DIR"/data/tmp/pull-* 2>/dev/null
    run -0 "$BERTH" images --format '{{.Repository}}'
    [[ "$output" != *noise* ]]
    # and the next pull completes
    auth_proxy_start drop
    run -0 "$BERTH" pull "$AUTH_REG/test/noise:1"
    same_image "$AUTH_REG/test/noise:1"
}

@test "max-blob-bytes: a bigger blob is refused before a byte of it comes" {
    restart_with_config '{"max-blob-bytes": 1000000}'
    auth_proxy_start drop
    rm -f "$ENGINE_DIR/registry/proxy-drop.port.ranges"
    before=$(store_state)
    run -1 "$BERTH" pull "$AUTH_REG/test/noise:1"
    [[ "$output" == *"bytes, over berthd's limit of 1000000 (max-blob-bytes)"* ]]
    [ "$(store_state)" = "$before" ]
    [ ! -e "$ENGINE_DIR/registry/proxy-drop.port.ranges" ]
}

@test "registry-mirrors: docker.io's images come from the first mirror that has them" {
    local empty
    # a second registry, empty: the first mirror, which lacks the image
    empty=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$ENGINE_DIR/mirror-a"
    cat >"$ENGINE_DIR/mirror-a/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $ENGINE_DIR/mirror-a/storage
http:
  addr: 127.0.0.1:$empty
EOF
    env -u REGISTRY_STORAGE "$(command -v docker-registry)" serve "$ENGINE_DIR/mirror-a/config.yml" \
        >"$ENGINE_DIR/mirror-a/log" 2>&1 3>&- &
    echo $! >"$ENGINE_DIR/mirror-a/pid"
    wait_long 10 curl -sf "http://127.0.0.1:$empty/v2/"
    registry_push "docker-archive:$ENGINE_DIR/noise-image.tar" library/berth-mirror-test:1
    restart_with_config "{\"registry-mirrors\": [\"http://127.0.0.1:$empty\", \"http://$REG/\"]}"
    run -0 "$BERTH" pull berth-mirror-test:1
    [[ "$output" == *"docker.io/library/berth-mirror-test:1"* ]]
    same_image berth-mirror-test:1
}

@test "a bad registry config: berthd refuses to start, naming the key" {
    echo '{"registry-mirror": []}' >"$BERTH_REGISTRY_CONFIG"
    engine_stop_daemon
    run -1 env BERTH_REGISTRY_CONFIG="$BERTH_REGISTRY_CONFIG" "$BERTHD" -H "unix://$ENGINE_DIR/bad.sock" \
        --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec"
    [[ "$output" == *"unknown key 'registry-mirror'"* ]]
    echo '{"registry-mirrors": ["ftp://x"]}' >"$BERTH_REGISTRY_CONFIG"
    run -1 "$BERTHD" -H "unix://$ENGINE_DIR/bad.sock" --data-root "$ENGINE_DIR/data" \
        --exec-root "$ENGINE_DIR/exec"
    [[ "$output" == *"bad entry 'ftp://x' in registry-mirrors"* ]]
    echo '{}' >"$BERTH_REGISTRY_CONFIG"
    engine_start_daemon
}
