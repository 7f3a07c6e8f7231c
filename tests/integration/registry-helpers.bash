# A private Debian docker-registry on 127.0.0.1 for the pull tests (issue
# 16): its own config and storage under $ENGINE_DIR/registry, a free port,
# no auth; stopped by its PID. The system's registry service is never
# started. Images go in with skopeo.

registry_start() {
    REGISTRY_BIN=$(command -v docker-registry || true)
    [ -n "$REGISTRY_BIN" ] || skip "no docker-registry (scripts/deps.sh installs it)"
    command -v skopeo >/dev/null || skip "no skopeo to push the test images"
    local dir=$ENGINE_DIR/registry port
    mkdir -p "$dir/storage"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
    "$REGISTRY_BIN" serve "$dir/config.yml" >>"$dir/log" 2>&1 3>&- &
    echo $! >"$dir/pid"
    disown
    export REG=127.0.0.1:$port REGISTRY_STORAGE=$dir/storage/docker/registry/v2
    for _ in $(seq 100); do
        curl -sf "http://$REG/v2/" >/dev/null && return 0
        sleep 0.1
    done
    cat "$dir/log" >&2
    return 1
}

registry_stop() {
    local pid
    pid=$(cat "$ENGINE_DIR/registry/pid" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$ENGINE_DIR/registry/pid"
}

# registry_push ARCHIVE-SPEC NAME [skopeo flags]: copies an image into the
# registry as $REG/NAME.
registry_push() {
    local src=$1 name=$2
    shift 2
    skopeo copy -q --dest-tls-verify=false "$@" "$src" "docker://$REG/$name" >&2
}

# The manifest digest the registry has for NAME:TAG.
registry_digest() {
    skopeo inspect --tls-verify=false --raw "docker://$REG/$1" | sha256sum | cut -d' ' -f1
}

# auth_proxy_start bearer|basic|huge: registry-auth-proxy.py in front of $REG
# on another port, as $AUTH_REG (stopped by auth_proxy_stop, by PID).
auth_proxy_start() {
    local mode=$1 dir=$ENGINE_DIR/registry
    [ ! -f "$dir/proxy-$mode.pid" ] || kill "$(cat "$dir/proxy-$mode.pid")" 2>/dev/null || true
    rm -f "$dir/proxy-$mode.port"
    /usr/bin/python3 "$BATS_TEST_DIRNAME/registry-auth-proxy.py" "$mode" "$REG" \
        "$dir/proxy-$mode.port" >>"$dir/proxy.log" 2>&1 3>&- &
    echo $! >"$dir/proxy-$mode.pid"
    disown
    for _ in $(seq 100); do
        [ -s "$dir/proxy-$mode.port" ] && break
        sleep 0.1
    done
    [ -s "$dir/proxy-$mode.port" ] || { cat "$dir/proxy.log" >&2; return 1; }
    AUTH_REG=127.0.0.1:$(cat "$dir/proxy-$mode.port")
}

auth_proxy_stop() {
    local f pid
    for f in "$ENGINE_DIR"/registry/proxy-*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        rm -f "$f"
    done
}
