#!/usr/bin/env bats
# The docker CLI's image commands against a private berthd (issue 13):
# docker import, load, save, images, tag, rmi, image inspect.

load engine-helpers
load image-helpers

setup_file() {
    docker_setup_file
    images_fixtures
}

teardown_file() {
    [ -z "${ENGINE_DIR:-}" ] || stop_second_daemon
    engine_teardown_file
}

setup() {
    docker_setup
}

@test "docker import: a gzip rootfs tarball from stdin, then docker run" {
    run -0 d import - dk/imp:1 <"$ENGINE_DIR/fx/rootfs.tar.gz"
    [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
    run -0 d run --rm dk/imp:1 /bin/cat /etc/marker
    [ "$output" = hello-image ]
    run -0 d images --format '{{.Repository}}:{{.Tag}}'
    [[ "$output" == *"dk/imp:1"* ]]
}

@test "docker load -i: docker-save and OCI archives; docker images lists them" {
    run -0 d load -i "$ENGINE_DIR/fx/two.tar"
    [ "$output" = "Loaded image: two:layers" ]
    run -0 d run --rm two:layers /bin/ls /opq
    [ "$output" = new ]
    need_skopeo
    run -0 d load -i "$ENGINE_DIR/fx/skopeo-oci.tar"
    [ "$output" = "Loaded image: from/oci:v3" ]
    run -0 d load <"$ENGINE_DIR/fx/skopeo-docker.tar"
    [ "$output" = "Loaded image: from/docker:v2" ]
    run -0 d images
    [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
    [[ "$output" == *"from/oci "*"v3"* && "$output" == *"from/docker "*"v2"* ]]
    run -0 d run --rm from/oci:v3 /bin/cat /etc/marker
    [ "$output" = hello-image ]
}

@test "docker load: a hostile archive is refused and changes nothing" {
    local before
    before=$(store_state)
    run -1 d load -i "$ENGINE_DIR/fx/load-dotdot.tar"
    [[ "$output" == *"'../evil' leaves the root"* ]]
    run -1 d load -i "$ENGINE_DIR/fx/load-symesc.tar"
    [[ "$output" == *"goes through a symlink"* ]]
    [ "$(store_state)" = "$before" ]
}

@test "docker save -o, docker load into a second berthd, docker run" {
    run -0 d load -i "$ENGINE_DIR/fx/two.tar"
    run -0 d save -o "$ENGINE_DIR/dsave.tar" two:layers
    start_second_daemon
    run -0 "$DOCKER" -H "unix://$SOCK2" load -i "$ENGINE_DIR/dsave.tar"
    [ "$output" = "Loaded image: two:layers" ]
    run -0 "$DOCKER" -H "unix://$SOCK2" run --rm two:layers /bin/sh -c 'ls /opq; [ -e /gone ] || echo gone'
    [ "$output" = "new
gone" ]
    stop_second_daemon
}

@test "docker tag, image inspect, images -q, rmi" {
    run -0 d import "$ENGINE_DIR/fx/rootfs.tar" dk/base:1
    local id=$output
    run -0 d tag dk/base:1 dk/alias:2
    run -0 d image inspect --format '{{.Id}} {{.Os}}' dk/alias:2
    [ "$output" = "$id linux" ]
    run -0 d images -q dk/alias
    [ "$output" = "${id:7:12}" ]
    run -0 d rmi dk/alias:2
    [ "$output" = "Untagged: dk/alias:2" ]
    run -0 d rmi dk/base:1
    [ "${lines[0]}" = "Untagged: dk/base:1" ]
    [ "${lines[1]}" = "Deleted: $id" ]
    run -1 d image inspect dk/base:1
    [[ "$output" == *"No such image: dk/base:1"* ]]
}

@test "docker rmi: an image in use is a conflict; -f removes it" {
    run -0 d import "$ENGINE_DIR/fx/rootfs.tar" dk/used:1
    local id=${output#sha256:}
    run -0 d create --name dk-used dk/used:1 /bin/cat /etc/marker
    local cid=$output
    run -1 d rmi dk/used:1
    [[ "$output" == *"conflict: unable to remove repository reference \"dk/used:1\" (must force) - container ${cid:0:12} is using its referenced image ${id:0:12}"* ]]
    run -0 d rmi -f dk/used:1
    [[ "$output" == *"Deleted: sha256:$id"* ]]
    run -0 d start -a dk-used
    [ "$output" = hello-image ]
    run -0 d rm dk-used
}

@test "docker history and docker image prune through berthd (issue 16)" {
    local id
    id=$(d image inspect --format '{{.Id}}' busybox)
    run -0 d history busybox
    [[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
    [[ "${lines[1]}" =~ ^${id:7:12}\ +N/A\ +berth:\ /bin/busybox\ +[0-9.]+[kM]B ]]
    run -0 d history -q --no-trunc busybox
    [ "$output" = "$id" ]
    run -0 d import "$ENGINE_DIR/fx/rootfs.tar"
    local dangling=$output
    run -0 d image prune -f
    [[ "$output" == *"deleted: $dangling"* ]]
    [[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ [0-9.]+[kM]?B$ ]]
    run -0 d image inspect busybox
    run -1 d image inspect "$dangling"
    run -0 d image prune -af --filter label=no.such.label
    [ "$output" = "Total reclaimed space: 0B" ]
}
