# A private Debian docker-registry on 127.0.0.1 for the pull and push tests
# (issue 16): its own config and storage under $ENGINE_DIR/registry, a free
# port, no auth (registry_start_htpasswd: a second one with auth); stopped
# by its PID. The system's registry service is never
# started. Images go in with skopeo.

# _registry_serve DIR [CONFIG-LINES]: a docker-registry with its config,
# storage and log under DIR on a free port; prints 127.0.0.1:PORT once it
# answers (any status: an auth registry answers /v2/ with 401).
_registry_serve() {
    local dir=$1 extra=${2-} port
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
$extra
EOF
    # docker-registry reads REGISTRY_* variables as config: none of ours
    env -u REGISTRY_STORAGE "$REGISTRY_BIN" serve "$dir/config.yml" >>"$dir/log" 2>&1 3>&- &
    echo $! >"$dir/pid"
    disown
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" != 000 ] &&
            echo "127.0.0.1:$port" && return 0
        sleep 0.1
    done
    cat "$dir/log" >&2
    return 1
}

registry_start() {
    REGISTRY_BIN=$(command -v docker-registry || true)
    [ -n "$REGISTRY_BIN" ] || skip "no docker-registry (scripts/deps.sh installs it)"
    command -v skopeo >/dev/null || skip "no skopeo to push the test images"
    local dir=$ENGINE_DIR/registry
    REG=$(_registry_serve "$dir") || return 1
    export REG REGISTRY_STORAGE=$dir/storage/docker/registry/v2
}

# registry_start_htpasswd USER PASSWORD: a second registry that wants
# Basic credentials (docker-registry's htpasswd auth; the bcrypt hash made
# by apache2-utils' htpasswd where installed, else python3's crypt module,
# libxcrypt's bcrypt), as $AUTH_REGISTRY (empty when neither can make a
# bcrypt hash). After registry_start.
registry_start_htpasswd() {
    local dir=$ENGINE_DIR/registry-htpasswd hash
    mkdir -p "$dir"
    if command -v htpasswd >/dev/null; then
        hash=$(htpasswd -nbBC 4 "$1" "$2" | cut -d: -f2-)
    else
        hash=$(python3 -W ignore -c 'import crypt, sys
print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' "$2") || return 1
    fi
    # none: AUTH_REGISTRY stays empty, the tests that need it skip
    export AUTH_REGISTRY=
    [[ "$hash" == '$2'[aby]'$'* ]] || return 0
    printf '%s:%s\n' "$1" "$hash" >"$dir/htpasswd"
    AUTH_REGISTRY=$(_registry_serve "$dir" "auth:
  htpasswd:
    realm: berth-test
    path: $dir/htpasswd") || return 1
    export AUTH_REGISTRY
}

registry_stop() {
    local f pid
    for f in "$ENGINE_DIR"/registry/pid "$ENGINE_DIR"/registry-htpasswd/pid; do
        pid=$(cat "$f" 2>/dev/null) || continue
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        rm -f "$f"
    done
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

# auth_proxy_start bearer|bearer-auth|basic|huge: registry-auth-proxy.py in front of $REG
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

# index_layout ARCHIVE DIR: an OCI layout in DIR whose tag "multi" is an
# OCI index of the docker-archive ARCHIVE's image for linux/amd64 and an
# arm64 entry naming the same manifest; prints that manifest's digest.
index_layout() {
    local lay=$2 m mdig msize idx h
    mkdir -p "$lay"
    skopeo copy -q "docker-archive:$1" "oci:$lay:one" --format oci >&2
    m=$(jq -c '.manifests[0]' "$lay/index.json")
    mdig=$(jq -r .digest <<<"$m")
    msize=$(jq -r .size <<<"$m")
    idx=$(jq -cn --arg d "$mdig" --argjson s "$msize" '{schemaVersion:2,
        mediaType:"application/vnd.oci.image.index.v1+json",
        manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
                    platform:{architecture:"arm64",os:"linux",variant:"v8"}},
                   {mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$d,size:$s,
                    platform:{architecture:"amd64",os:"linux"}}]}')
    printf '%s' "$idx" >"$lay/idx.json"
    h=$(sha256sum "$lay/idx.json" | cut -d' ' -f1)
    cp "$lay/idx.json" "$lay/blobs/sha256/$h"
    jq -c --arg d "sha256:$h" --argjson s "${#idx}" '.manifests = [{mediaType:"application/vnd.oci.image.index.v1+json",
        digest:$d,size:$s,annotations:{"org.opencontainers.image.ref.name":"multi"}}]' \
        "$lay/index.json" >"$lay/index.new" && mv "$lay/index.new" "$lay/index.json"
    echo "$mdig"
}
