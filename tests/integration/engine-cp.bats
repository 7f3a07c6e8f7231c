#!/usr/bin/env bats
# berth cp and docker cp through /containers/{id}/archive (HEAD, GET,
# PUT): docker's naming rules both ways, running and stopped containers,
# symlinks in the container that must not lead out of it, and the errors;
# export (GET /containers/{id}/export) and commit (POST /commit).

load engine-helpers

setup() {
    L=$(mktemp -d "$ENGINE_DIR/cp.XXXXXX")
    mkdir -p "$L/src/sub"
    echo hello >"$L/src/sub/f"
    ln -s sub/f "$L/src/lnk"
    chmod 0750 "$L/src/sub"
}

teardown() {
    engine_teardown
    rm -rf "$L"
}

@test "cp into a running container: into a dir, as a new name, DIR/. contents, a file over a file" {
    "$BERTH" run -d --name cpr busybox sleep 1000
    run -0 "$BERTH" cp "$L/src" cpr:/tmp
    run -0 "$BERTH" exec cpr sh -c 'cat /tmp/src/sub/f; readlink /tmp/src/lnk; stat -c "%a %u" /tmp/src/sub'
    [ "$output" = "hello
sub/f
750 0" ]
    run -0 "$BERTH" cp "$L/src" cpr:/tmp/renamed
    run -0 "$BERTH" exec cpr cat /tmp/renamed/sub/f
    [ "$output" = hello ]
    "$BERTH" exec cpr mkdir /tmp/into
    run -0 "$BERTH" cp "$L/src/." cpr:/tmp/into
    run -0 "$BERTH" exec cpr ls /tmp/into
    [ "$output" = "lnk
sub" ]
    run -0 "$BERTH" cp "$L/src/sub/f" cpr:/etc/hostname
    run -0 "$BERTH" exec cpr cat /etc/hostname
    [ "$output" = hello ]
    # -L copies what a link names
    run -0 "$BERTH" cp -L "$L/src/lnk" cpr:/tmp/followed
    run -0 "$BERTH" exec cpr cat /tmp/followed
    [ "$output" = hello ]
    # a tar on stdin goes into a directory
    tar -C "$L/src/sub" -cf - f | "$BERTH" cp - cpr:/tmp/into/sub
    run -0 "$BERTH" exec cpr cat /tmp/into/sub/f
    [ "$output" = hello ]
}

@test "cp out of a running container: a dir, a file under a new name, DIR/. contents, a tar on stdout" {
    "$BERTH" run -d --name cpo busybox sh -c 'mkdir -p /o/d; echo one >/o/d/1; ln -s d/1 /o/l; sleep 1000'
    wait_for "$BERTH" exec cpo test -L /o/l
    run -0 "$BERTH" cp cpo:/o "$L/got"
    [ "$(cat "$L/got/d/1")" = one ]
    [ "$(readlink "$L/got/l")" = d/1 ]
    mkdir "$L/into"
    run -0 "$BERTH" cp cpo:/o "$L/into"
    [ "$(cat "$L/into/o/d/1")" = one ]
    run -0 "$BERTH" cp cpo:/o/. "$L/into"
    [ "$(cat "$L/into/d/1")" = one ]
    run -0 "$BERTH" cp cpo:/etc/passwd "$L/pw"
    [ "$(head -n 1 "$L/pw")" = root:x:0:0:root:/root:/bin/sh ]
    run -0 "$BERTH" cp -L cpo:/o/l "$L/one"
    [ "$(cat "$L/one")" = one ]
    "$BERTH" cp cpo:/o/d - >"$L/o.tar"
    run -0 tar -tf "$L/o.tar"
    [ "$output" = "d/
d/1" ]
}

@test "cp with a stopped container: into a created one before it starts, out of an exited one" {
    "$BERTH" create --name cps busybox cat /etc/motd
    run -0 "$BERTH" cp "$L/src/sub/f" cps:/etc/motd
    # its root was mounted for the copy only
    dir=$ENGINE_DIR/data/containers/$("$BERTH" inspect -f '{{.Id}}' cps)
    ! grep -qF " $dir/" /proc/self/mountinfo
    run -0 "$BERTH" start -a cps
    [ "$output" = hello ]
    run -0 "$BERTH" cp cps:/etc/motd "$L/back"
    [ "$(cat "$L/back")" = hello ]
    ! grep -qF " $dir/" /proc/self/mountinfo
    # its volumes are not mounted while it is stopped: refused, naming it
    "$BERTH" create --name cpv -v "$L/src:/data" busybox true
    run -1 "$BERTH" cp "$L/src/sub/f" cpv:/data/x
    [[ "$output" == *"cannot copy /data/x of container cpv while it is stopped: /data is a mount that exists only while it runs"* ]]
    "$BERTH" create --name cpro --read-only busybox true
    run -1 "$BERTH" cp "$L/src/sub/f" cpro:/tmp
    [[ "$output" == *"container rootfs is marked read-only"* ]]
}

@test "cp: a symlink in the container never leads out of it, either way" {
    "$BERTH" run -d --name cpe busybox sh -c 'ln -s / /tmp/evil; ln -s /etc /tmp/etc; sleep 1000'
    wait_for "$BERTH" exec cpe test -L /tmp/etc
    marker=berth-cp-test-$$-$BATS_TEST_NUMBER
    echo host-secret >"/tmp/$marker"
    # /tmp/evil is the container's root: its /tmp has no such file
    run -1 "$BERTH" cp "cpe:/tmp/evil/tmp/$marker" "$L/stolen"
    rm -f "/tmp/$marker"
    [[ "$output" == *"Could not find the file /tmp/evil/tmp/$marker in container cpe"* ]]
    [ ! -e "$L/stolen" ]
    # a write through it lands in the container
    run -0 "$BERTH" cp "$L/src/sub/f" "cpe:/tmp/evil/tmp/$marker"
    [ ! -e "/tmp/$marker" ]
    run -0 "$BERTH" exec cpe cat "/tmp/$marker"
    [ "$output" = hello ]
    run -0 "$BERTH" cp cpe:/tmp/etc/passwd "$L/pw"
    [ "$(head -n 1 "$L/pw")" = root:x:0:0:root:/root:/bin/sh ]
}

@test "cp: errors name what is wrong and change nothing" {
    "$BERTH" run -d --name cpx busybox sleep 1000
    run -1 "$BERTH" cp cpx:/nope "$L/x"
    [[ "$output" == *"Could not find the file /nope in container cpx"* ]]
    run -1 "$BERTH" cp nosuch:/etc/passwd "$L/x"
    [[ "$output" == *"No such container: nosuch"* ]]
    run -1 "$BERTH" cp "$L/nope" cpx:/tmp
    [[ "$output" == *"cannot read $L/nope: No such file or directory"* ]]
    run -1 "$BERTH" cp "$L/src" cpx:/etc/passwd
    [[ "$output" == *"cannot copy a directory to a file: cpx:/etc/passwd"* ]]
    run -1 "$BERTH" cp "$L/src/sub/f" cpx:/no/such/dir
    [[ "$output" == *"cannot copy to cpx:/no/such/dir: no directory /no/such"* ]]
    run -1 "$BERTH" cp cpx:/etc "$L/src/sub/f"
    [[ "$output" == *"cannot copy a directory to a file: $L/src/sub/f"* ]]
    [ "$(cat "$L/src/sub/f")" = hello ]
    run -125 "$BERTH" cp "$L/src" "$L/other"
    [[ "$output" == *"one of source and destination must be CONTAINER:PATH"* ]]
    # a non-directory never replaces a directory in the container
    echo not-a-dir >"$L/etc"
    run -1 "$BERTH" cp "$L/etc" cpx:/
    [[ "$output" == *"cannot overwrite directory 'etc' with a non-directory"* ]]
    run -0 "$BERTH" exec cpx test -f /etc/passwd
    [ ! -e "$L/x" ]
}

@test "docker cp through berthd, both ways, running and stopped" {
    [ -n "$(command -v docker)" ] || skip "no docker CLI on this machine"
    unset DOCKER_HOST DOCKER_CONTEXT
    dk() { docker -H "unix://$SOCK" "$@"; }
    "$BERTH" run -d --name dcp busybox sleep 1000
    run -0 dk cp "$L/src" dcp:/tmp
    run -0 "$BERTH" exec dcp cat /tmp/src/sub/f
    [ "$output" = hello ]
    run -0 dk cp dcp:/tmp/src "$L/back"
    [ "$(cat "$L/back/sub/f")" = hello ]
    [ "$(readlink "$L/back/lnk")" = sub/f ]
    run -1 dk cp dcp:/nope "$L/x"
    [[ "$output" == *"Could not find the file /nope in container dcp"* ]]
    "$BERTH" create --name dcs busybox cat /hello
    run -0 dk cp "$L/src/sub/f" dcs:/hello
    run -0 "$BERTH" start -a dcs
    [ "$output" = hello ]
    run -0 dk cp dcs:/hello "$L/h"
    [ "$(cat "$L/h")" = hello ]
}

@test "export: the root file system without volumes; import takes it back; docker export too" {
    "$BERTH" run -d --name exr -v "$L/src:/data" busybox sh -c 'echo changed >/etc/motd; rm /etc/group; sleep 1000'
    wait_for "$BERTH" exec exr test ! -e /etc/group
    run -0 "$BERTH" export -o "$L/r.tar" exr
    run -0 tar -tf "$L/r.tar"
    [[ "$output" == *"bin/busybox"* ]]
    [[ "$output" != *"./"* ]]
    [[ "$output" != *"etc/group"* ]] # deleted in the container: not in its view
    [[ "$output" != *"data/sub"* ]]  # a volume's files are not the container's
    [ "$(tar -xOf "$L/r.tar" etc/motd)" = changed ]
    run -0 "$BERTH" import "$L/r.tar" exported:1
    run -0 "$BERTH" run --rm exported:1 cat /etc/motd
    [ "$output" = changed ]
    # a stopped container, to stdout, and through the docker CLI
    "$BERTH" stop -t 1 exr
    "$BERTH" export exr >"$L/s.tar"
    [ "$(tar -xOf "$L/s.tar" etc/motd)" = changed ]
    dir=$ENGINE_DIR/data/containers/$("$BERTH" inspect -f '{{.Id}}' exr)
    ! grep -qF " $dir/" /proc/self/mountinfo
    if [ -n "$(command -v docker)" ]; then
        docker -H "unix://$SOCK" export -o "$L/d.tar" exr
        [ "$(tar -xOf "$L/d.tar" etc/motd)" = changed ]
    fi
    run -1 "$BERTH" export -o "$L/x.tar" nosuch
    [[ "$output" == *"No such container: nosuch"* ]]
    [ ! -e "$L/x.tar" ]
    "$BERTH" rmi exported:1
}

@test "commit: the container's changes and settings as an image; untagged; docker commit too" {
    "$BERTH" run -d --name cm -e FOO=bar -w /work --label l=1 busybox \
        sh -c 'echo made >/made; rm /etc/group; exec sleep 1000'
    wait_for "$BERTH" exec cm test -f /made
    run -0 "$BERTH" commit -a me -m "first commit" cm committed:1
    [[ "$output" == sha256:* ]]
    id=$output
    run -0 "$BERTH" run --rm committed:1 sh -c 'cat /made; test ! -e /etc/group && echo gone; echo $FOO; pwd'
    [ "$output" = "made
gone
bar
/work" ]
    run -0 "$BERTH" image inspect committed:1
    [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
    [ "$(jq -r '.[0].Author' <<<"$output")" = me ]
    [ "$(jq -r '.[0].Comment' <<<"$output")" = "first commit" ]
    [ "$(jq -r '.[0].Config.Labels.l' <<<"$output")" = 1 ]
    [ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["sh","-c","echo made >/made; rm /etc/group; exec sleep 1000"]' ]
    # the runtime's own files are not in the layer, the container runs on, thawed
    "$BERTH" save committed:1 >"$L/c.tar"
    mkdir "$L/c" && tar -C "$L/c" -xf "$L/c.tar"
    layer=$(jq -r '.[0].Layers[-1]' "$L/c/manifest.json")
    run -0 tar -tf "$L/c/$layer"
    [[ "$output" == *made* ]]
    [[ "$output" == *"etc/.wh.group"* ]]
    [[ "$output" != *"etc/hosts"* ]]
    [ "$("$BERTH" inspect -f '{{.State.Running}} {{.State.Paused}}' cm)" = "true false" ]
    # without a name: an image of its own, listed untagged
    run -0 "$BERTH" commit --pause=false cm
    untagged=${output:7:12}
    run -0 "$BERTH" images --format '{{.Repository}} {{.ID}}'
    [[ "$output" == *"<none> $untagged"* ]]
    if [ -n "$(command -v docker)" ]; then
        docker -H "unix://$SOCK" commit -m "by docker" cm dcommitted:2
        run -0 "$BERTH" run --rm dcommitted:2 cat /made
        [ "$output" = made ]
        "$BERTH" rmi dcommitted:2
    fi
    run -1 "$BERTH" commit nosuch x
    [[ "$output" == *"No such container: nosuch"* ]]
    run -125 "$BERTH" commit -c 'CMD ["x"]' cm x
    [[ "$output" == *"--change is not supported by berth yet"* ]]
    run -1 "$BERTH" commit cm 'Bad Name'
    [[ "$output" == *"invalid reference format"* ]]
    "$BERTH" rmi committed:1
}
