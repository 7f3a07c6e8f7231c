#!/usr/bin/env bats
# The image store's life (issue 16): berth history and GET
# /images/{name}/history, berth image prune and POST /images/prune (what
# goes, what stays, no orphaned blob), RepoDigests of pulled images, the
# pull that run and create make for a missing image, and pull's progress
# lines. Images come from a private docker-registry (registry-helpers.bash)
# and offline fixtures (image-helpers.bash).

load engine-helpers
load image-helpers
load registry-helpers

setup_file() {
    engine_setup_file
    images_fixtures
    registry_start
    "$BERTH" save -o "$ENGINE_DIR/bb.tar" busybox
    registry_push "docker-archive:$ENGINE_DIR/bb.tar" test/bb:v1
    registry_push "docker-archive:$ENGINE_DIR/bb.tar" test/bb:v2 --format oci
    if [ -f "$ENGINE_DIR/fx/skopeo-docker.tar" ]; then
        registry_push "docker-archive:$ENGINE_DIR/fx/skopeo-docker.tar" test/umoci:v1
    fi
}

teardown_file() {
    [ -z "${ENGINE_DIR:-}" ] || registry_stop
    engine_teardown_file
}

B() {
    "$BERTH" "$@"
}

api() {
    curl -sS --unix-socket "$SOCK" "$@"
}

# The blobs the index's images reference and the blobs there are, as
# sorted hex lists: equal when nothing is orphaned.
referenced_blobs() {
    local d=$ENGINE_DIR/data/image m
    for m in $(jq -r '.manifests[].digest' "$d/index.json" | sed 's/^sha256://'); do
        echo "$m"
        jq -r '.config.digest, .layers[].digest' "$d/blobs/sha256/$m" | sed 's/^sha256://'
    done | sort -u
}

stored_blobs() {
    find "$ENGINE_DIR/data/image/blobs/sha256" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

# The unpacked layers the index's images reference, and those there are.
referenced_layers() {
    local d=$ENGINE_DIR/data/image m c
    for m in $(jq -r '.manifests[].digest' "$d/index.json" | sed 's/^sha256://'); do
        c=$(jq -r '.config.digest' "$d/blobs/sha256/$m" | sed 's/^sha256://')
        jq -r '.rootfs.diff_ids[]' "$d/blobs/sha256/$c" | sed 's/^sha256://'
    done | sort -u
}

stored_layers() {
    find "$ENGINE_DIR/data/layers/sha256" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort
}

# ---- history ----

@test "history: the default busybox, as a table, -q, --no-trunc, --format and the API" {
    local id
    id=$(B image inspect -f '{{.Id}}' busybox)
    run -0 B history busybox
    [[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
    [[ "${lines[1]}" =~ ^${id:7:12}\ +N/A\ +berth:\ /bin/busybox\ +[0-9.]+[kM]B ]]
    [ "${#lines[@]}" -eq 2 ]
    run -0 B history -q busybox
    [ "$output" = "${id:7:12}" ]
    run -0 B image history --no-trunc --format '{{.ID}} {{.CreatedAt}}' busybox
    [ "$output" = "$id 1970-01-01T00:00:00Z" ]
    run -0 api http://berth/images/busybox/history
    run -0 jq -c '[.[] | {Id, Created, CreatedBy, Tags, Comment}]' <<<"$output"
    [ "$output" = "[{\"Id\":\"$id\",\"Created\":0,\"CreatedBy\":\"berth: /bin/busybox\",\"Tags\":[\"busybox:latest\"],\"Comment\":\"\"}]" ]
    run -0 api http://berth/images/busybox/history
    [ "$(jq '.[0].Size' <<<"$output")" -gt 100000 ]
}

@test "history: an unknown image is refused with exit 1 and Docker's message" {
    run -1 B history no/such:image
    [ "$output" = "berth: No such image: no/such:image" ]
    run -0 api -o /dev/null -w '%{http_code}' http://berth/images/no/such:image/history
    [ "$output" = 404 ]
    run -125 B history
    [[ "$output" == *"usage: berth history"* ]]
}

@test "history: a pulled umoci image: an empty_layer entry has size 0, older entries <missing>" {
    [ -f "$ENGINE_DIR/fx/skopeo-docker.tar" ] || skip "no umoci/skopeo fixture"
    run -0 B pull -q "$REG/test/umoci:v1"
    local id
    id=$(B image inspect -f '{{.Id}}' "$REG/test/umoci:v1")
    run -0 api "http://berth/images/$REG/test/umoci:v1/history"
    local h=$output
    [ "$(jq -r '.[0].Id' <<<"$h")" = "$id" ]
    [ "$(jq -r '.[0].CreatedBy' <<<"$h")" = "umoci config" ]
    [ "$(jq -r '.[0].Size' <<<"$h")" = 0 ]
    [ "$(jq -c '.[0].Tags' <<<"$h")" = "[\"$REG/test/umoci:v1\"]" ]
    [ "$(jq -r '.[1].Id' <<<"$h")" = "<missing>" ]
    [ "$(jq -r '.[1].CreatedBy' <<<"$h")" = "umoci repack" ]
    [ "$(jq -r '.[1].Size' <<<"$h")" -gt 0 ]
    [ "$(jq -c '.[1].Tags' <<<"$h")" = null ]
    [ "$(jq -r '.[0].Created >= .[1].Created' <<<"$h")" = true ]
    run -0 B history "$REG/test/umoci:v1"
    [[ "${lines[1]}" =~ ^${id:7:12}\ .*umoci\ config\ +0B ]]
    [[ "${lines[2]}" =~ ^\<missing\>\ .*umoci\ repack\ +[0-9.]+[kM]?B ]]
    run -0 B rmi "$REG/test/umoci:v1"
}

# ---- prune ----

@test "image prune: dangling images only by default; tagged images stay" {
    local dangling
    dangling=$(B import "$ENGINE_DIR/fx/rootfs.tar")
    run -0 B tag busybox life/keep:1
    run -0 B image prune -f
    [ "${lines[0]}" = "Deleted Images:" ]
    [ "${lines[1]}" = "deleted: $dangling" ]
    [[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ [0-9.]+[kM]B$ ]]
    run -0 B images --format '{{.Repository}}:{{.Tag}}'
    [[ "$output" == *busybox:latest* && "$output" == *life/keep:1* ]]
    [[ "$output" != *"<none>"* ]]
    [ "$(referenced_blobs)" = "$(stored_blobs)" ]
    [ "$(referenced_layers)" = "$(stored_layers)" ]
    # nothing left to do
    run -0 B image prune -f
    [ "$output" = "Total reclaimed space: 0B" ]
    run -0 B rmi life/keep:1
}

@test "image prune: the image a name moved off is dangling, as Docker's, and goes" {
    local old new
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" life/moving:1
    old=$(B image inspect -f '{{.Id}}' life/moving:1)
    run -0 B load -q -i "$ENGINE_DIR/fx/two.tar"
    run -0 B tag two:layers life/moving:1
    new=$(B image inspect -f '{{.Id}}' life/moving:1)
    [ "$old" != "$new" ]
    run -0 B images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
    [[ "$output" == *"<none>:<none> ${old:7:12}"* ]]
    run -0 B image prune -f
    [[ "$output" == *"deleted: $old"* ]]
    [ "$(referenced_blobs)" = "$(stored_blobs)" ]
    run -0 B rmi life/moving:1 two:layers
}

@test "image prune: a build's step images stay as its cache; -a removes them" {
    local ctx=$ENGINE_DIR/ctx-$BATS_TEST_NUMBER
    mkdir -p "$ctx"
    printf 'FROM busybox\nENV A=1\nLABEL life=prune\n' >"$ctx/Dockerfile"
    run -0 B build -q -t life/built:1 "$ctx"
    run -0 B image prune -f
    [ "$output" = "Total reclaimed space: 0B" ]
    run -0 B build -t life/built:1 "$ctx"
    [ "$(grep -c 'Using cache' <<<"$output")" -eq 2 ]
    # the built image, its ENV step's and busybox
    run -0 B image prune -af
    [[ "$output" == *"untagged: life/built:1"* && "$output" == *"untagged: busybox:latest"* ]]
    [ "$(grep -c '^deleted: ' <<<"$output")" -eq 3 ]
    [ "$(jq '.manifests | length' "$ENGINE_DIR/data/image/index.json")" = 0 ]
    [ "$(referenced_blobs)" = "$(stored_blobs)" ]
    [ "$(referenced_layers)" = "$(stored_layers)" ]
}

@test "image prune: without -f it asks, and a no keeps everything" {
    local dangling
    dangling=$(B import "$ENGINE_DIR/fx/rootfs.tar")
    run -0 B image prune <<<"n"
    [[ "$output" == "WARNING! This will remove all dangling images."* ]]
    run -0 B image inspect -f '{{.Id}}' "$dangling"
    run -0 B image prune <<<"y"
    [[ "$output" == *"deleted: $dangling"* ]]
    run -1 B image inspect "$dangling"
}

@test "image prune -a: every image no container uses goes; a container's image stays" {
    local gone_id cid
    run -0 B image inspect busybox # built again if an earlier test pruned it
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" life/unused:1
    gone_id=$(B image inspect -f '{{.Id}}' life/unused:1)
    run -0 B tag life/unused:1 life/unused:2
    run -0 B load -q -i "$ENGINE_DIR/fx/two.tar"
    cid=$(B create two:layers /bin/ls /opq)
    run -0 api -X POST 'http://berth/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D'
    local rep=$output
    [ "$(jq -r '.SpaceReclaimed > 0' <<<"$rep")" = true ]
    [ "$(jq -c '[.ImagesDeleted[] | select(.Untagged) | .Untagged] | sort' <<<"$rep")" = \
        '["busybox:latest","life/unused:1","life/unused:2"]' ]
    [ "$(jq -r '.ImagesDeleted[] | select(.Deleted) | .Deleted' <<<"$rep" | grep -c "$gone_id")" = 1 ]
    run -0 B images --format '{{.Repository}}:{{.Tag}}'
    [ "$output" = two:layers ]
    [ "$(referenced_blobs)" = "$(stored_blobs)" ]
    [ "$(referenced_layers)" = "$(stored_layers)" ]
    run -0 B start -a "$cid"
    run -0 B rm "$cid"
    run -0 B image prune -af
    [[ "$output" == *"untagged: two:layers"* ]]
    run -0 B images -q
    [ "$output" = "" ]
    [ "$(stored_blobs)" = "" ]
    [ "$(stored_layers)" = "" ]
}

@test "image prune: until and label filters pick what goes; a bad filter is refused" {
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" life/new:1
    run -0 B tag busybox life/old:1
    # busybox is from 1970, the import from now
    run -0 B image prune -af --filter until=24h
    [[ "$output" == *"untagged: life/old:1"* && "$output" != *life/new* ]]
    run -0 B image inspect life/new:1
    run -0 B image prune -af --filter label=no.such.label
    [ "$output" = "Total reclaimed space: 0B" ]
    run -0 B image prune -af --filter 'label!=no.such.label'
    [[ "$output" == *"untagged: life/new:1"* ]]
    run -1 B image prune -f --filter color=red
    [ "$output" = "berth: invalid filter 'color'" ]
    run -125 B image prune -f --filter until=yesterday
    [[ "$output" == *"invalid filter 'until=yesterday'"* ]]
    run -0 api -o /dev/null -w '%{http_code}' -X POST \
        'http://berth/images/prune?filters=%7B%22until%22%3A%5B%22soon%22%5D%7D'
    [ "$output" = 400 ]
}

# ---- RepoDigests ----

@test "RepoDigests: a pull records REPOSITORY@DIGEST; inspect, the API and images --digests show it" {
    local digest id
    digest=sha256:$(registry_digest test/bb:v1)
    run -0 B pull -q "$REG/test/bb:v1"
    id=$(B image inspect -f '{{.Id}}' "$REG/test/bb:v1")
    run -0 B image inspect -f '{{json .RepoDigests}}' "$REG/test/bb:v1"
    [ "$output" = "[\"$REG/test/bb@$digest\"]" ]
    run -0 api http://berth/images/json
    [ "$(jq -c --arg id "$id" '.[] | select(.Id == $id) | .RepoDigests' <<<"$output")" = \
        "[\"$REG/test/bb@$digest\"]" ]
    # a local name adds no digest, and its row shows none
    run -0 B tag "$REG/test/bb:v1" life/local:1
    run -0 B images --digests
    [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +DIGEST\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
    [[ "$output" =~ $REG/test/bb\ +v1\ +$digest\ +${id:7:12}\  ]]
    [[ "$output" =~ life/local\ +1\ +\<none\>\ +${id:7:12}\  ]]
    run -0 B images --format '{{.Repository}}:{{.Tag}} {{.Digest}}' "$REG/test/bb"
    [ "$output" = "$REG/test/bb:v1 $digest" ]
    # the layout stays valid OCI: the digest is an annotation of the entry
    run -0 jq -r --arg d "$digest" \
        '.manifests[] | select(.digest == $d) | .annotations["io.berth.repo-digest"]' \
        "$ENGINE_DIR/data/image/index.json"
    [[ "$output" == *"$REG/test/bb@$digest"* ]]
    # an image made here has none
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" life/made:1
    run -0 B image inspect -f '{{json .RepoDigests}}' life/made:1
    [ "$output" = "[]" ]
    run -0 B rmi life/local:1 "$REG/test/bb:v1" life/made:1
}

@test "RepoDigests: an image pulled by digest is listed by its repository and is not dangling" {
    [ -f "$ENGINE_DIR/fx/skopeo-docker.tar" ] || skip "no umoci/skopeo fixture"
    local digest
    digest=sha256:$(registry_digest test/umoci:v1)
    run -0 B pull -q "$REG/test/umoci@$digest"
    run -0 B images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}'
    [[ "$output" == *"$REG/test/umoci <none> $digest"* ]]
    run -0 B image prune -f
    [ "$output" = "Total reclaimed space: 0B" ]
    run -0 B image inspect -f '{{json .RepoDigests}}' "$REG/test/umoci@$digest"
    [ "$output" = "[\"$REG/test/umoci@$digest\"]" ]
    run -0 B rmi "$REG/test/umoci@$digest"
}

# ---- pull if missing ----

@test "run: a missing image is pulled first, as docker does; --pull never refuses; create too" {
    B rmi "$REG/test/bb:v2" >/dev/null 2>&1 || true
    run -125 B run --rm --pull never "$REG/test/bb:v2" echo hi
    [ "$output" = "berth: No such image: $REG/test/bb:v2" ]
    run -0 --separate-stderr B run --rm "$REG/test/bb:v2" echo hi
    [ "$output" = hi ]
    [ "${stderr_lines[0]}" = "Unable to find image '$REG/test/bb:v2' locally" ]
    [ "${stderr_lines[1]}" = "v2: Pulling from test/bb" ]
    [[ "$stderr" =~ [0-9a-f]{12}:\ (Pull\ complete|Already\ exists) ]]
    [[ "$stderr" == *"Status: Downloaded newer image for $REG/test/bb:v2"* ]]
    # there now: no pull
    run -0 --separate-stderr B run --rm "$REG/test/bb:v2" echo again
    [ "$output" = again ]
    [ "$stderr" = "" ]
    run -0 --separate-stderr B run --rm --pull always "$REG/test/bb:v2" echo always
    [ "$output" = always ]
    [[ "$stderr" == *"Status: Image is up to date for $REG/test/bb:v2"* ]]
    run -0 B rmi "$REG/test/bb:v2"
    run -0 --separate-stderr B create --name "pulled-$BATS_TEST_NUMBER" "$REG/test/bb:v2" true
    [[ "$output" =~ ^[0-9a-f]{64}$ ]]
    [ "${stderr_lines[0]}" = "Unable to find image '$REG/test/bb:v2' locally" ]
    run -0 B rm "pulled-$BATS_TEST_NUMBER"
    run -0 B rmi "$REG/test/bb:v2"
}

@test "docker run of a missing image: the docker CLI pulls it through berthd, then runs it" {
    local docker
    docker=$(command -v docker) || skip "no docker CLI on this machine"
    B rmi "$REG/test/bb:v2" >/dev/null 2>&1 || true
    run -0 --separate-stderr env -u DOCKER_HOST -u DOCKER_CONTEXT "$docker" -H "unix://$SOCK" \
        run --rm "$REG/test/bb:v2" echo from-docker
    [ "$output" = from-docker ]
    [[ "$stderr" == "Unable to find image '$REG/test/bb:v2' locally"* ]]
    [[ "$stderr" == *"Status: Downloaded newer image for $REG/test/bb:v2"* ]]
    run -0 env -u DOCKER_HOST -u DOCKER_CONTEXT "$docker" -H "unix://$SOCK" history -q "$REG/test/bb:v2"
    [ "${#lines[@]}" -eq 1 ]
    run -0 B rmi "$REG/test/bb:v2"
}

@test "run: an image no registry has fails with exit 125 and creates nothing" {
    local before
    before=$(stored_blobs)
    run -125 --separate-stderr B run --rm "$REG/test/nosuch:v1" true
    [ "${stderr_lines[0]}" = "Unable to find image '$REG/test/nosuch:v1' locally" ]
    [[ "${stderr_lines[-1]}" == "berth: "*"test/nosuch"* ]]
    run -0 B ps -a -q
    [ -z "$output" ]
    [ "$(stored_blobs)" = "$before" ]
    ! ls -d "$ENGINE_DIR"/data/tmp/pull-* 2>/dev/null
    run -125 B run --rm --pull sometimes busybox true
    [ "$output" = "berth: invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\"" ]
}

# ---- pull's progress ----

@test "pull: plain step lines without a terminal, bars redrawn in place on one" {
    B rmi "$REG/test/bb:v1" >/dev/null 2>&1 || true
    run -0 B image prune -f
    run -0 B pull "$REG/test/bb:v1"
    [[ "$output" =~ [0-9a-f]{12}:\ Pull\ complete ]]
    [[ "$output" != *$'\033'* && "$output" != *Downloading* ]]
    run -0 B rmi "$REG/test/bb:v1"
    command -v script >/dev/null || skip "no script(1) for a terminal"
    run -0 script -qec "$BERTH pull $REG/test/bb:v1" /dev/null
    # a layer's line is rewritten: cursor up, clear line, then its new state
    [[ "$output" =~ $'\033['[0-9]+A$'\033[2K\r'[0-9a-f]{12}:\ Downloading\ \[=+\]\ +[0-9.]+[kM]?B/[0-9.]+[kM]?B ]]
    [[ "$output" =~ $'\033[2K\r'[0-9a-f]{12}:\ Pull\ complete ]]
    [[ "$output" == *"Status: Downloaded newer image for $REG/test/bb:v1"* ]]
    run -0 B rmi "$REG/test/bb:v1"
}
