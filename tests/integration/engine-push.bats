#!/usr/bin/env bats
# berth push, login and logout, and docker login/push through berthd
# (issue 16), against private docker-registries on 127.0.0.1
# (registry-helpers.bash): one without auth, one with htpasswd (Basic)
# auth, and registry-auth-proxy.py's token flow with credentials. A pushed
# image comes back by pull with the same id and runs.

load engine-helpers
load registry-helpers

setup_file() {
    engine_setup_file
    DOCKER=$(command -v docker || true)
    export DOCKER
    export BERTH_CONFIG=$ENGINE_DIR/cli/auth.json
    command -v jq >/dev/null || skip "no jq"
    registry_start
    registry_start_htpasswd tester s3cret
    "$BERTH" save -o "$ENGINE_DIR/bb.tar" busybox
}

teardown_file() {
    [ -z "${ENGINE_DIR:-}" ] || auth_proxy_stop
    [ -z "${ENGINE_DIR:-}" ] || registry_stop
    engine_teardown_file
}

B() {
    "$BERTH" "$@"
}

image_id() {
    "$BERTH" image inspect "$1" | jq -r '.[0].Id'
}

# round_trip REF: removes REF (its last name), pulls it back, checks the id
# and runs it
round_trip() {
    local ref=$1 id
    id=$(image_id "$ref")
    run -0 B rmi "$ref"
    run -1 B image inspect "$ref"
    run -0 B pull "$ref"
    [[ "$output" == *"Downloaded newer image for $ref"* ]]
    [ "$(image_id "$ref")" = "$id" ]
    run -0 B run --rm "$ref" echo ok
    [ "$output" = ok ]
}

@test "push: busybox, then again (the layers exist), then back by pull with the same id" {
    # a copy of busybox of its own: rmi must drop the whole image
    run -0 B load -i "$ENGINE_DIR/bb.tar"
    run -0 B tag busybox "$REG/push/bb:v1"
    local id
    id=$(image_id "$REG/push/bb:v1")
    run -0 B rmi busybox
    run -0 B push "$REG/push/bb:v1"
    [ "${lines[0]}" = "The push refers to repository [$REG/push/bb]" ]
    [[ "$output" =~ [0-9a-f]{12}:\ Pushed ]]
    [[ "${lines[-1]}" =~ ^v1:\ digest:\ sha256:[0-9a-f]{64}\ size:\ [0-9]+$ ]]
    local digest=${lines[-1]#v1: digest: }
    digest=${digest%% *}
    [ "$digest" = "sha256:$(registry_digest push/bb:v1)" ]
    run -0 B push "$REG/push/bb:v1"
    [[ "$output" =~ [0-9a-f]{12}:\ Layer\ already\ exists ]]
    [[ "$output" != *Pushed* ]]
    round_trip "$REG/push/bb:v1"
    [ "$(image_id "$REG/push/bb:v1")" = "$id" ]
}

@test "push: Docker schema 2 and OCI images pulled from a registry keep their manifests" {
    registry_push "docker-archive:$ENGINE_DIR/bb.tar" src/bb:docker
    registry_push "docker-archive:$ENGINE_DIR/bb.tar" src/bb:oci --format oci
    local kind digest
    for kind in docker oci; do
        digest=sha256:$(registry_digest "src/bb:$kind")
        run -0 B pull -q "$REG/src/bb:$kind"
        # gone from the registry: the push must bring the manifest back
        skopeo delete --tls-verify=false "docker://$REG/src/bb:$kind"
        run -1 skopeo inspect --tls-verify=false --raw "docker://$REG/src/bb:$kind"
        run -0 B push "$REG/src/bb:$kind"
        [[ "$output" =~ [0-9a-f]{12}:\ Layer\ already\ exists ]]
        [ "${lines[-1]}" = "$kind: digest: $digest size: $(skopeo inspect --tls-verify=false --raw "docker://$REG/src/bb:$kind" | wc -c)" ]
        [ "sha256:$(registry_digest "src/bb:$kind")" = "$digest" ]
    done
    run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/src/bb:oci"
    [[ "$output" == *application/vnd.oci.image.manifest.v1+json* ]]
    run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/src/bb:docker"
    [[ "$output" == *application/vnd.docker.distribution.manifest.v2+json* ]]
}

@test "push: an unknown image or a digest is a clear error; POST /images/{name}/push streams" {
    run -1 B push "$REG/nothing/here:1"
    [ "$output" = "berth: An image does not exist locally with the tag: $REG/nothing/here:1" ]
    run -125 B push "$REG/push/bb@sha256:$(printf '%064d' 0)"
    [[ "$output" == *"cannot push a digest reference"* ]]
    run -0 curl -sS --unix-socket "$SOCK" -X POST -w '\n%{http_code}' \
        "http://berth/v1.41/images/$REG/nothing/here/push?tag=1"
    [ "${lines[-1]}" = 404 ]
    run -0 B load -i "$ENGINE_DIR/bb.tar"
    run -0 B tag busybox "$REG/api/bb:2"
    run -0 curl -sS --unix-socket "$SOCK" -X POST "http://berth/v1.41/images/$REG/api/bb/push?tag=2"
    [ "${lines[0]}" = "{\"status\":\"The push refers to repository [$REG/api/bb]\"}" ]
    [[ "$output" == *'"status":"Preparing"'* ]]
    [[ "$output" =~ \"status\":\"Pushing\",\"progressDetail\":\{\"current\":[0-9]+,\"total\":[0-9]+\} ]]
    [[ "$output" == *'"status":"Pushed"'* ]]
    local digest
    digest=sha256:$(registry_digest api/bb:2)
    [[ "${lines[-2]}" == "{\"status\":\"2: digest: $digest size: "* ]]
    [[ "${lines[-1]}" =~ ^\{\"progressDetail\":\{\},\"aux\":\{\"Tag\":\"2\",\"Digest\":\"$digest\",\"Size\":[0-9]+\}\}$ ]]
}

# the registry's tags of REPO, sorted, one line
reg_tags() {
    curl -sf "http://$REG/v2/$1/tags/list" | jq -c '.tags | sort'
}

@test "push -a: every tag of the repository and no other; docker push -a through berthd too" {
    run -0 B load -i "$ENGINE_DIR/bb.tar"
    run -0 B tag busybox "$REG/all/bb:v1"
    run -0 B tag busybox "$REG/all/bb:v2"
    # a repository below the name is another one
    run -0 B tag busybox "$REG/all/bb/sub:v3"
    run -0 B push -a "$REG/all/bb"
    [ "${lines[0]}" = "The push refers to repository [$REG/all/bb]" ]
    [[ "$output" == *"v1: digest: sha256:"* ]]
    [[ "$output" == *"v2: digest: sha256:"* ]]
    [ "$(reg_tags all/bb)" = '["v1","v2"]' ]
    run curl -sf "http://$REG/v2/all/bb/sub/tags/list"
    [ "$status" -ne 0 ]
    run -125 B push -a "$REG/all/bb:v1"
    [ "$output" = "berth: tag can't be used with --all-tags/-a" ]
    run -1 B push -a "$REG/all/none"
    [ "$output" = "berth: An image does not exist locally with the tag: $REG/all/none" ]
    # without -a a bare name is :latest, as docker's CLI sends it
    run -1 B push "$REG/all/bb"
    [ "$output" = "berth: An image does not exist locally with the tag: $REG/all/bb:latest" ]
    [ -n "$DOCKER" ] || return 0
    run -0 B tag busybox "$REG/all/dk:x"
    run -0 B tag busybox "$REG/all/dk:y"
    run -0 "$DOCKER" -H "unix://$SOCK" push -a "$REG/all/dk"
    [[ "$output" == *"y: digest: sha256:"* ]]
    [ "$(reg_tags all/dk)" = '["x","y"]' ]
}

@test "login: htpasswd registry: refused without credentials and with a wrong password; push and pull after login; logout" {
    [ -n "$AUTH_REGISTRY" ] || skip "no bcrypt hash maker for the htpasswd registry"
    local r=$AUTH_REGISTRY
    run -0 B load -i "$ENGINE_DIR/bb.tar"
    run -0 B tag busybox "$r/auth/bb:1"
    run -1 B push "$r/auth/bb:1"
    [[ "$output" == *"unauthorized: registry '$r' wants credentials for auth/bb: log in with 'berth login $r'"* ]]
    run -1 B login -u tester --password-stdin "$r" <<<"wrong"
    [[ "$output" == *"unauthorized: registry '$r' refused the credentials of 'tester'"* ]]
    [ ! -e "$BERTH_CONFIG" ]
    run -1 B login -u tester --password-stdin "$r" </dev/null
    [[ "$output" == *"a username and a password are required"* ]]
    run -0 B login -u tester --password-stdin "$r" <<<"s3cret"
    [ "$output" = "Login Succeeded" ]
    [ "$(stat -c %a "$BERTH_CONFIG")" = 600 ]
    [ "$(jq -r --arg r "$r" '.auths[$r].auth' "$BERTH_CONFIG" | base64 -d)" = tester:s3cret ]
    run -0 B push "$r/auth/bb:1"
    [[ "$output" =~ [0-9a-f]{12}:\ Pushed ]]
    run -0 B rmi busybox
    round_trip "$r/auth/bb:1"
    run -0 B logout "$r"
    [ "$output" = "Removing login credentials for $r" ]
    [ "$(jq -r --arg r "$r" '.auths[$r]' "$BERTH_CONFIG")" = null ]
    run -0 B logout "$r"
    [ "$output" = "Not logged in to $r" ]
    run -1 B push "$r/auth/bb:1"
    [[ "$output" == *"wants credentials"* ]]
}

@test "login: an htpasswd registry serves Docker schema 2, OCI and index images to a logged-in pull" {
    [ -n "$AUTH_REGISTRY" ] || skip "no bcrypt hash maker for the htpasswd registry"
    local r=$AUTH_REGISTRY mdig
    skopeo copy -q --dest-tls-verify=false --dest-creds tester:s3cret \
        "docker-archive:$ENGINE_DIR/bb.tar" "docker://$r/kinds/bb:schema2"
    skopeo copy -q --dest-tls-verify=false --dest-creds tester:s3cret --format oci \
        "docker-archive:$ENGINE_DIR/bb.tar" "docker://$r/kinds/bb:oci"
    mdig=$(index_layout "$ENGINE_DIR/bb.tar" "$ENGINE_DIR/kinds-idx")
    skopeo copy -q --dest-tls-verify=false --dest-creds tester:s3cret --all \
        "oci:$ENGINE_DIR/kinds-idx:multi" "docker://$r/kinds/bb:index"
    run -1 B pull "$r/kinds/bb:oci"
    [[ "$output" == *"wants credentials"* ]]
    run -0 B login -u tester --password-stdin "$r" <<<"s3cret"
    for t in schema2 oci index; do
        run -0 skopeo inspect --tls-verify=false --creds tester:s3cret --raw "docker://$r/kinds/bb:$t"
        case $t in
        schema2) [[ "$output" == *application/vnd.docker.distribution.manifest.v2+json* ]] ;;
        oci) [[ "$output" == *application/vnd.oci.image.manifest.v1+json* ]] ;;
        index) [[ "$output" == *application/vnd.oci.image.index.v1+json* ]] ;;
        esac
        run -0 B pull "$r/kinds/bb:$t"
        run -0 B run --rm "$r/kinds/bb:$t" echo "$t"
        [ "$output" = "$t" ]
    done
    run -0 B pull "$r/kinds/bb:index"
    [[ "$output" == *"Digest: $mdig"* ]]
    # and berth pushes the schema 2 and OCI ones back, their manifests kept
    # (an index berth cannot push: it keeps one platform's image)
    local digest
    for t in schema2 oci; do
        digest=$(skopeo inspect --tls-verify=false --creds tester:s3cret --raw "docker://$r/kinds/bb:$t" | sha256sum | cut -d' ' -f1)
        skopeo delete --tls-verify=false --creds tester:s3cret "docker://$r/kinds/bb:$t"
        run -0 B push "$r/kinds/bb:$t"
        [[ "${lines[-1]}" == "$t: digest: sha256:$digest size: "* ]]
        [ "$(skopeo inspect --tls-verify=false --creds tester:s3cret --raw "docker://$r/kinds/bb:$t" | sha256sum | cut -d' ' -f1)" = "$digest" ]
    done
    run -0 B logout "$r"
}

@test "push: an image berth build made goes to the registry and comes back" {
    local ctx=$ENGINE_DIR/built-ctx
    mkdir -p "$ctx"
    printf 'FROM busybox AS b\nRUN echo made >/made\nFROM busybox\nCOPY --from=b /made /made\nCMD ["cat", "/made"]\n' \
        >"$ctx/Dockerfile"
    run -0 B build -q -t "$REG/built/app:1" "$ctx"
    run -0 B push "$REG/built/app:1"
    round_trip "$REG/built/app:1"
    run -0 B run --rm "$REG/built/app:1"
    [ "$output" = made ]
}

@test "login: a token realm that wants the credentials (Docker Hub's flow)" {
    [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 for the auth front"
    auth_proxy_start bearer-auth
    local r=$AUTH_REG
    run -0 B load -i "$ENGINE_DIR/bb.tar"
    run -0 B tag busybox "$r/tok/bb:1"
    run -1 B push "$r/tok/bb:1"
    [[ "$output" == *"unauthorized"* ]]
    run -1 B login -u tester -p nope "$r"
    [[ "$output" == *"unauthorized: incorrect username or password"* ]]
    run -0 B login -u tester -p s3cret "$r"
    [[ "$output" == *"Login Succeeded"* ]]
    run -0 B push "$r/tok/bb:1"
    [[ "${lines[-1]}" =~ ^1:\ digest:\ sha256:[0-9a-f]{64} ]]
    [ "$(registry_digest tok/bb:1)" = "${lines[-1]:18:64}" ]
    run -0 B rmi busybox
    round_trip "$r/tok/bb:1"
    run -0 B logout "$r"
    run -1 B pull "$r/tok/bb:1"
    [[ "$output" == *"unauthorized"* ]]
}

@test "docker login, push and pull through berthd" {
    [ -n "$DOCKER" ] || skip "no docker CLI on this machine"
    unset DOCKER_HOST DOCKER_CONTEXT
    export DOCKER_CONFIG=$ENGINE_DIR/docker-config
    [ -n "$AUTH_REGISTRY" ] || skip "no bcrypt hash maker for the htpasswd registry"
    local r=$AUTH_REGISTRY
    d() { "$DOCKER" -H "unix://$SOCK" "$@"; }
    run -0 B load -i "$ENGINE_DIR/bb.tar"
    run -0 B tag busybox "$r/dk/bb:1"
    run -1 d login -u tester --password-stdin "$r" <<<"wrong"
    [[ "$output" == *"unauthorized"* ]]
    run -0 d login -u tester --password-stdin "$r" <<<"s3cret"
    [[ "$output" == *"Login Succeeded"* ]]
    run -0 d push "$r/dk/bb:1"
    [[ "$output" == *"1: digest: sha256:"* ]]
    run -0 d rmi "$r/dk/bb:1" busybox
    run -0 d pull "$r/dk/bb:1"
    [[ "$output" == *"Downloaded newer image for $r/dk/bb:1"* ]]
    run -0 d run --rm "$r/dk/bb:1" echo ok
    [ "$output" = ok ]
    run -0 d logout "$r"
}
