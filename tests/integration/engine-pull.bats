#!/usr/bin/env bats
# berth pull and docker pull through berthd (issue 16) from a private
# docker-registry on 127.0.0.1 (registry-helpers.bash): Docker schema 2,
# OCI manifests and an OCI index, by tag and by digest; nothing enters the
# store when a blob does not match its digest.

load engine-helpers
load registry-helpers

setup_file() {
    engine_setup_file
    DOCKER=$(command -v docker || true)
    export DOCKER
    registry_start
    "$BERTH" save -o "$ENGINE_DIR/bb.tar" busybox
    registry_push "docker-archive:$ENGINE_DIR/bb.tar" test/bb:v1
    registry_push "docker-archive:$ENGINE_DIR/bb.tar" test/bb:oci --format oci
    registry_push "docker-archive:$ENGINE_DIR/bb.tar" test/bb:by-digest
}

teardown_file() {
    [ -z "${ENGINE_DIR:-}" ] || auth_proxy_stop
    [ -z "${ENGINE_DIR:-}" ] || registry_stop
    engine_teardown_file
}

B() {
    "$BERTH" "$@"
}

# The store's files and index.json, to compare before and after a refused
# pull.
store_state() {
    local d=$ENGINE_DIR/data
    (cd "$d" && find image layers tmp -mindepth 1 2>/dev/null | sort)
    cat "$d/image/index.json" 2>/dev/null
    echo
    "$BERTH" images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
}

@test "pull: a Docker schema 2 image, then run it; a second pull fetches nothing" {
    run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/test/bb:v1"
    [[ "$output" == *application/vnd.docker.distribution.manifest.v2+json* ]]
    [[ "$output" == *application/vnd.docker.image.rootfs.diff.tar.gzip* ]]
    local digest
    digest=sha256:$(registry_digest test/bb:v1)
    local t0
    t0=$(date +%s.%N)
    run -0 B pull "$REG/test/bb:v1"
    [ "${lines[0]}" = "v1: Pulling from test/bb" ]
    [[ "$output" =~ [0-9a-f]{12}:\ Pull\ complete ]]
    [[ "$output" == *"Digest: $digest"* ]]
    [[ "$output" == *"Status: Downloaded newer image for $REG/test/bb:v1"* ]]
    [ "${lines[-1]}" = "$REG/test/bb:v1" ]
    run -0 B run --rm "$REG/test/bb:v1" echo ok
    [ "$output" = ok ]
    run -0 B pull "$REG/test/bb:v1"
    [[ "$output" == *"Status: Image is up to date for $REG/test/bb:v1"* ]]
    [[ "$output" != *"Pull complete"* ]]
    run -0 B events --since "$t0" --until "$(date +%s.%N)" --filter type=image \
        --format '{{.Action}} {{.Actor.Attributes.name}}'
    [ "$output" = "pull $REG/test/bb:v1
pull $REG/test/bb:v1" ]
    run -0 B images --format '{{.Repository}}:{{.Tag}}'
    [[ "$output" == *"$REG/test/bb:v1"* ]]
    ! ls -d "$ENGINE_DIR"/data/tmp/pull-* 2>/dev/null
}

@test "pull: the work dir a killed berthd left goes with the next load" {
    local pid stale
    pid=$(cat "$ENGINE_DIR/berthd.pid")
    stale=$ENGINE_DIR/data/tmp/pull-$((pid + 100000))-abcdef
    mkdir -p "$stale/blobs"
    run -0 B save -o "$ENGINE_DIR/again.tar" busybox
    run -0 B load -q -i "$ENGINE_DIR/again.tar"
    [ ! -e "$stale" ]
}

@test "pull: an OCI image; -q prints only the name" {
    run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/test/bb:oci"
    [[ "$output" == *application/vnd.oci.image.manifest.v1+json* ]]
    [[ "$output" == *application/vnd.oci.image.layer.v1.tar+gzip* ]]
    run -0 B pull -q "$REG/test/bb:oci"
    [ "$output" = "$REG/test/bb:oci" ]
    run -0 B run --rm "$REG/test/bb:oci" echo ok
    [ "$output" = ok ]
}

@test "pull: by digest" {
    local digest
    digest=sha256:$(registry_digest test/bb:by-digest)
    run -0 B pull "$REG/test/bb@$digest"
    [[ "$output" == *"Digest: $digest"* ]]
    [ "${lines[-1]}" = "$REG/test/bb@$digest" ]
    run -0 B run --rm "$REG/test/bb@$digest" echo ok
    [ "$output" = ok ]
    run -0 B pull "$REG/test/bb@$digest"
    [[ "$output" == *"Image is up to date"* ]]
    run -1 B pull "$REG/test/bb@sha256:$(printf '%064d' 0)"
    [[ "$output" == *"not found"* ]]
}

@test "pull: an OCI index picks linux/amd64, or the --platform asked for" {
    command -v jq >/dev/null || skip "no jq"
    local lay=$ENGINE_DIR/idx mdig
    mdig=$(index_layout "$ENGINE_DIR/bb.tar" "$lay")
    registry_push "oci:$lay:multi" test/multi:1 --all
    run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/test/multi:1"
    [[ "$output" == *application/vnd.oci.image.index.v1+json* ]]
    run -0 B pull "$REG/test/multi:1"
    [[ "$output" == *"Digest: $mdig"* ]]
    run -0 B run --rm "$REG/test/multi:1" echo ok
    [ "$output" = ok ]
    run -1 B pull --platform linux/s390x "$REG/test/multi:1"
    [[ "$output" == *"no matching manifest for linux/s390x"* ]]
}

@test "pull: an unknown tag or repository is a clear error" {
    run -1 B pull "$REG/test/bb:nope"
    [[ "$output" == *"manifest for $REG/test/bb:nope not found"* ]]
    run -1 B pull "$REG/test/nothing:1"
    [[ "$output" == *"not found"* ]]
    run -1 B pull 'Bad/Name'
    [[ "$output" == *"invalid reference format"* ]]
}

@test "pull: a blob that does not match its digest leaves the store as it was" {
    # an image whose layer the store lacks: imported, saved, removed
    local rootfs=$ENGINE_DIR/corrupt-rootfs man layer data before
    mkdir -p "$rootfs"
    head -c 300000 /dev/urandom >"$rootfs/noise"
    tar -C "$rootfs" -cf "$ENGINE_DIR/corrupt.tar" .
    run -0 B import "$ENGINE_DIR/corrupt.tar" corrupt/src:1
    run -0 B save -o "$ENGINE_DIR/corrupt-image.tar" corrupt/src:1
    run -0 B rmi corrupt/src:1
    registry_push "docker-archive:$ENGINE_DIR/corrupt-image.tar" test/corrupt:1 --format oci
    man=$(skopeo inspect --tls-verify=false --raw "docker://$REG/test/corrupt:1")
    layer=$(jq -r '.layers[0].digest' <<<"$man")
    data=$REGISTRY_STORAGE/blobs/sha256/${layer:7:2}/${layer:7}/data
    [ -f "$data" ]
    before=$(store_state)
    # the same size, other bytes: only the digest can tell
    printf 'XXXX' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
    run -1 B pull "$REG/test/corrupt:1"
    [[ "$output" == *"does not match its digest"* ]]
    [ "$(store_state)" = "$before" ]
}

@test "POST /images/create?fromImage= streams Docker's progress messages" {
    local rootfs=$ENGINE_DIR/api-rootfs
    mkdir -p "$rootfs"
    head -c 2000000 /dev/urandom >"$rootfs/noise"
    tar -C "$rootfs" -cf "$ENGINE_DIR/api.tar" .
    run -0 B import "$ENGINE_DIR/api.tar" api/src:1
    run -0 B save -o "$ENGINE_DIR/api-image.tar" api/src:1
    run -0 B rmi api/src:1
    registry_push "docker-archive:$ENGINE_DIR/api-image.tar" test/api:1
    run -0 curl -sS --unix-socket "$SOCK" -X POST \
        "http://berth/v1.41/images/create?fromImage=$REG/test/api&tag=1"
    [ "${lines[0]}" = '{"status":"Pulling from test/api","id":"1"}' ]
    [[ "$output" == *'"status":"Pulling fs layer"'* ]]
    [[ "$output" =~ \"status\":\"Downloading\",\"progressDetail\":\{\"current\":[0-9]+,\"total\":[0-9]+\} ]]
    [[ "$output" == *'"status":"Download complete"'* ]]
    [[ "$output" == *'"status":"Pull complete"'* ]]
    [ "${lines[-1]}" = "{\"status\":\"Status: Downloaded newer image for $REG/test/api:1\"}" ]
    run -0 curl -sS --unix-socket "$SOCK" -X POST -w '\n%{http_code}' \
        "http://berth/v1.41/images/create?fromImage=$REG/test/api&tag=nope"
    [ "${lines[-1]}" = 404 ]
    [[ "${lines[0]}" == *"manifest for $REG/test/api:nope not found"* ]]
}

@test "pull: a 401 with a Bearer challenge gets an anonymous token (Docker Hub's flow)" {
    [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 for the auth front"
    registry_push "docker-archive:$ENGINE_DIR/bb.tar" test/tok:1
    auth_proxy_start bearer
    run -0 curl -s -o /dev/null -w "%{http_code}" "http://$AUTH_REG/v2/test/tok/manifests/1"
    [ "$output" = 401 ]
    run -0 B pull "$AUTH_REG/test/tok:1"
    [[ "$output" == *"Status: Downloaded newer image for $AUTH_REG/test/tok:1"* ]]
    run -0 B run --rm "$AUTH_REG/test/tok:1" echo ok
    [ "$output" = ok ]
}

@test "pull: a registry that wants Basic credentials is refused without them, naming berth login" {
    [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 for the auth front"
    auth_proxy_start basic
    run -1 B pull "$AUTH_REG/test/bb:v1"
    [[ "$output" == *"unauthorized: registry '$AUTH_REG' wants credentials for test/bb: log in with 'berth login $AUTH_REG'"* ]]
}

@test "pull: a manifest over 4 MiB is refused" {
    [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 for the registry front"
    auth_proxy_start huge
    local before
    before=$(store_state)
    run -1 B pull "$AUTH_REG/test/bb:v1"
    [[ "$output" == *"is larger than 4194304 bytes, refusing it"* ]]
    [ "$(store_state)" = "$before" ]
}

@test "docker pull through berthd" {
    [ -n "$DOCKER" ] || skip "no docker CLI on this machine"
    unset DOCKER_HOST DOCKER_CONTEXT
    run -0 "$DOCKER" -H "unix://$SOCK" pull "$REG/test/bb:v1"
    [[ "$output" == *"$REG/test/bb:v1"* ]]
    registry_push "docker-archive:$ENGINE_DIR/bb.tar" test/dk:2
    run -0 "$DOCKER" -H "unix://$SOCK" pull "$REG/test/dk:2"
    [[ "$output" == *"Downloaded newer image for $REG/test/dk:2"* ]]
    run -0 "$DOCKER" -H "unix://$SOCK" run --rm "$REG/test/dk:2" echo ok
    [ "$output" = ok ]
    run -1 "$DOCKER" -H "unix://$SOCK" pull "$REG/test/dk:nope"
    [[ "$output" == *"not found"* ]]
}
