#!/usr/bin/env bats
# The image commands (issue 13): berth import, load, save, rmi, tag,
# images, image inspect, and their API, against a private berthd. The
# archives are made offline by real tools (image-helpers.bash).

load engine-helpers
load image-helpers

setup_file() {
    engine_setup_file
    images_fixtures
}

teardown_file() {
    [ -z "${ENGINE_DIR:-}" ] || stop_second_daemon
    engine_teardown_file
}

B() {
    "$BERTH" "$@"
}

@test "import: a rootfs tarball, plain and compressed, from a file and from stdin" {
    local fx=$ENGINE_DIR/fx f
    run -0 B import "$fx/rootfs.tar" imp/plain:1
    [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
    for f in rootfs.tar.gz rootfs.tar.xz rootfs.tar.zst; do
        [ -f "$fx/$f" ] || continue
        run -0 B import "$fx/$f" "imp/${f##*.}"
        run -0 B run --rm "imp/${f##*.}" /bin/cat /etc/marker
        [ "$output" = hello-image ]
    done
    run -0 B import - imp/stdin:2 <"$fx/rootfs.tar.gz"
    run -0 B run --rm imp/stdin:2 /bin/cat /etc/marker
    [ "$output" = hello-image ]
    run -0 B images --format '{{.Repository}}:{{.Tag}}'
    [[ "$output" == *"imp/plain:1"* && "$output" == *"imp/stdin:2"* ]]
}

@test "an imported image has no config: the container gets Docker's default PATH" {
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" imp/nopath
    run -0 B run --rm imp/nopath sh -c 'echo "$PATH"; cat /etc/marker'
    [ "${lines[0]}" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
    [ "${lines[1]}" = hello-image ]
    run -0 B run --rm -e PATH=/bin imp/nopath sh -c 'echo "$PATH"'
    [ "$output" = /bin ]
}

@test "import -m: the comment; untagged import; --change and URLs refused" {
    local fx=$ENGINE_DIR/fx
    run -0 B import -m "made by bats" "$fx/rootfs.tar" imp/msg
    run -0 B image inspect -f '{{.Comment}} {{.Os}} {{.Architecture}}' imp/msg
    [ "$output" = "made by bats linux amd64" ]
    run -0 B import "$fx/rootfs.tar"
    local id=$output
    run -0 B image inspect -f '{{.Id}}' "$id"
    [ "$output" = "$id" ]
    run -125 B import -c 'CMD ["sh"]' "$fx/rootfs.tar" imp/c
    [[ "$output" == *"--change is not supported"* ]]
    run -125 B import http://127.0.0.1/x.tar imp/url
    [[ "$output" == *"importing from a URL is not supported"* ]]
    run -1 B image inspect imp/c
}

@test "load -i: a docker-save archive (skopeo), then a container from it" {
    need_skopeo
    run -0 B load -i "$ENGINE_DIR/fx/skopeo-docker.tar"
    [ "$output" = "Loaded image: from/docker:v2" ]
    run -0 B run --rm from/docker:v2 /bin/cat /etc/marker
    [ "$output" = hello-image ]
}

@test "load: an OCI image-layout archive (skopeo) from stdin" {
    need_skopeo
    run -0 B load <"$ENGINE_DIR/fx/skopeo-oci.tar"
    [ "$output" = "Loaded image: from/oci:v3" ]
    run -0 B run --rm from/oci:v3 /bin/cat /etc/marker
    [ "$output" = hello-image ]
}

@test "load: two layers, the upper one's whiteouts and opaque dir, owners, links, a fifo" {
    run -0 B load -i "$ENGINE_DIR/fx/two.tar"
    [ "$output" = "Loaded image: two:layers" ]
    run -0 B run --rm two:layers /bin/sh -c \
        'ls /opq; [ -e /gone ] || echo gone; stat -c "%u %h" /owned /hl2; [ -p /fifo ] && echo fifo'
    [ "${lines[0]}" = new ]
    [ "${lines[1]}" = gone ]
    [ "${lines[2]}" = "1234 1" ]
    [ "${lines[3]}" = "0 2" ]
    [ "${lines[4]}" = fifo ]
    [ "${#lines[@]}" -eq 5 ]
}

@test "load on a terminal: a line per layer" {
    command -v script >/dev/null || skip "no script(1) for a terminal"
    run -0 script -qec "$BERTH load -i $ENGINE_DIR/fx/two.tar" /dev/null
    [[ "$output" == *"Loading layer"* ]]
    [[ "$output" == *"Loaded image: two:layers"* ]]
    run -0 B load -i "$ENGINE_DIR/fx/two.tar"
    [[ "$output" != *"Loading layer"* ]]
}

@test "load: hostile and broken archives get one line and change nothing" {
    local fx=$ENGINE_DIR/fx before f
    run -0 B load -i "$fx/two.tar"
    before=$(store_state)
    for f in dotdot abs symesc symup symabsup hardesc dev notjson missing diffid; do
        run -1 B load -i "$fx/load-$f.tar"
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "berth: "* ]]
        [ "$(store_state)" = "$before" ]
    done
    run -1 B load -i "$fx/notatar"
    [[ "$output" == *"not a tar archive"* ]]
    [ "$(store_state)" = "$before" ]
    [ ! -e /tmp/berth-evil-abs ] && [ ! -e /tmp/berth-evil-sym ]
    [ ! -e "$ENGINE_DIR/evil" ] && [ ! -e "$ENGINE_DIR/data/evil" ]
}

@test "load: the messages name what is wrong" {
    local fx=$ENGINE_DIR/fx
    run -1 B load -i "$fx/load-dotdot.tar"
    [[ "$output" == *"'../evil' leaves the root"* ]]
    run -1 B load -i "$fx/load-symesc.tar"
    [[ "$output" == *"goes through a symlink"* ]]
    run -1 B load -i "$fx/load-symup.tar"
    [[ "$output" == *"symlink that leaves the root"* ]]
    run -1 B load -i "$fx/load-hardesc.tar"
    [[ "$output" == *"hard link that leaves the root"* ]]
    run -1 B load -i "$fx/load-dev.tar"
    [[ "$output" == *"is a device node"* ]]
    run -1 B load -i "$fx/load-notjson.tar"
    [[ "$output" == *"'manifest.json' in the archive is not JSON"* ]]
    run -1 B load -i "$fx/load-missing.tar"
    [[ "$output" == *"the archive lacks the file 'blobs/sha256/"* ]]
    run -1 B load -i "$fx/load-diffid.tar"
    [[ "$output" == *"does not match its diff_id"* ]]
}

@test "load: a blob that does not match its digest is refused" {
    need_skopeo
    local fx=$ENGINE_DIR/fx d=$ENGINE_DIR/fx/tampered before
    mkdir -p "$d" && tar -C "$d" -xf "$fx/skopeo-oci.tar"
    # the config blob: one byte more
    local cfg
    cfg=$(/usr/bin/python3 -c 'import json,sys; d=sys.argv[1]; m=json.load(open(d+"/index.json"))["manifests"][0]["digest"][7:]; print(json.load(open(d+"/blobs/sha256/"+m))["config"]["digest"][7:])' "$d")
    echo " " >>"$d/blobs/sha256/$cfg"
    tar -C "$d" -cf "$fx/tampered.tar" .
    before=$(store_state)
    run -1 B load -i "$fx/tampered.tar"
    [[ "$output" == *"does not match its digest 'sha256:$cfg'"* ]]
    [ "$(store_state)" = "$before" ]
    # intact blobs, but the index gives the manifest another size
    rm -rf "$d" && mkdir -p "$d" && tar -C "$d" -xf "$fx/skopeo-oci.tar"
    /usr/bin/python3 -c 'import json,sys; p=sys.argv[1]+"/index.json"; i=json.load(open(p)); i["manifests"][0]["size"]+=1; json.dump(i,open(p,"w"))' "$d"
    tar -C "$d" -cf "$fx/badsize.tar" .
    run -1 B load -i "$fx/badsize.tar"
    [[ "$output" == *"is not of the size its descriptor gives"* ]]
    [ "$(store_state)" = "$before" ]
}

@test "import: hostile tarballs get one line and change nothing" {
    local fx=$ENGINE_DIR/fx before f
    before=$(store_state)
    for f in dotdot abs symesc symup symabsup hardesc dev; do
        run -1 B import "$fx/hostile-$f.tar" "bad/$f"
        [ "${#lines[@]}" -eq 1 ]
        [ "$(store_state)" = "$before" ]
    done
    run -1 B import "$fx/notatar" bad/text
    [[ "$output" == *"not a tar archive"* ]]
    [ "$(store_state)" = "$before" ]
    run -1 B image inspect bad/dotdot
}

@test "save -o, then load into a second berthd and run" {
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" saved/one:1
    run -0 B load -i "$ENGINE_DIR/fx/two.tar"
    run -0 B save -o "$ENGINE_DIR/saved.tar" saved/one:1 two:layers
    run -0 tar -tf "$ENGINE_DIR/saved.tar"
    [[ "$output" == *manifest.json* && "$output" == *index.json* && "$output" == *oci-layout* ]]
    start_second_daemon
    run -0 B -H "unix://$SOCK2" load -i "$ENGINE_DIR/saved.tar"
    [ "${lines[0]}" = "Loaded image: saved/one:1" ]
    [ "${lines[1]}" = "Loaded image: two:layers" ]
    run -0 B -H "unix://$SOCK2" run --rm saved/one:1 /bin/cat /etc/marker
    [ "$output" = hello-image ]
    run -0 B -H "unix://$SOCK2" run --rm two:layers /bin/ls /opq
    [ "$output" = new ]
    run -0 B image inspect -f '{{.Id}}' two:layers
    local id=$output
    run -0 B -H "unix://$SOCK2" image inspect -f '{{.Id}}' two:layers
    [ "$output" = "$id" ]
    stop_second_daemon
}

@test "save: both kinds of loader accept it (skopeo docker-archive and oci-archive)" {
    command -v skopeo >/dev/null || skip "no skopeo"
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" saved/sk:1
    B save saved/sk:1 >"$ENGINE_DIR/sk.tar"
    run -0 skopeo inspect --config "docker-archive:$ENGINE_DIR/sk.tar"
    [[ "$output" == *'"os": "linux"'* ]]
    run -0 skopeo inspect --config "oci-archive:$ENGINE_DIR/sk.tar"
    [[ "$output" == *'"os": "linux"'* ]]
}

@test "save: an unknown image fails and leaves no file" {
    run -1 B save -o "$ENGINE_DIR/none.tar" no/such:image
    [[ "$output" == *"No such image: no/such:image"* ]]
    [ ! -e "$ENGINE_DIR/none.tar" ]
    ! ls "$ENGINE_DIR"/none.tar* 2>/dev/null
}

@test "tag, images -q, --format, a REPOSITORY argument, image ls" {
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" tagme:1
    run -0 B tag tagme:1 other/name:2
    run -0 B tag tagme:1 third
    run -0 B images --format '{{.Repository}} {{.Tag}} {{.ID}}' other/name
    [[ "$output" =~ ^other/name\ 2\ [0-9a-f]{12}$ ]]
    local short=${output##* }
    run -0 B images -q third
    [ "$output" = "$short" ]
    run -0 B image ls --format '{{.Repository}}:{{.Tag}}' third:latest
    [ "$output" = third:latest ]
    run -0 B images
    [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
    run -0 B images --format json tagme
    [[ "$output" == *'"Repository":"tagme"'* ]]
    run -0 B image inspect -f '{{json .RepoTags}}' tagme:1
    [[ "$output" == *'"tagme:1"'* && "$output" == *'"other/name:2"'* && "$output" == *'"third:latest"'* ]]
    run -1 B tag no/such other:1
    [[ "$output" == *"No such image: no/such"* ]]
    run -1 B tag tagme:1 'Bad:Name'
    [[ "$output" == *"invalid reference format"* ]]
}

@test "rmi: a tag, then the image; unreferenced blobs and layers go" {
    local before
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" keep/base:1
    run -0 B rmi two:layers
    before=$(store_state)
    run -0 B load -i "$ENGINE_DIR/fx/two.tar"
    run -0 B tag two:layers two:alias
    run -0 B rmi two:alias
    [ "$output" = "Untagged: two:alias" ]
    run -0 B rmi two:layers
    [ "${lines[0]}" = "Untagged: two:layers" ]
    [[ "${lines[1]}" =~ ^Deleted:\ sha256:[0-9a-f]{64}$ ]]
    [ "$(store_state)" = "$before" ]
    run -0 B run --rm keep/base:1 /bin/cat /etc/marker
    run -1 B rmi two:layers
    [[ "$output" == *"No such image: two:layers"* ]]
}

@test "rmi: an image a container uses is refused (409) unless -f" {
    run -0 B load -i "$ENGINE_DIR/fx/two.tar"
    run -0 B image inspect -f '{{.Id}}' two:layers
    local id=${output#sha256:}
    run -0 B create --name used two:layers /bin/ls /opq
    local cid=$output
    run -1 B rmi two:layers
    [ "$output" = "berth: conflict: unable to remove repository reference \"two:layers\" (must force) - container ${cid:0:12} is using its referenced image ${id:0:12}" ]
    run -1 B rmi "$id"
    [[ "$output" == *"unable to delete ${id:0:12} (must be forced) - image is being used by stopped container ${cid:0:12}"* ]]
    run -0 api DELETE /v1.41/images/two:layers
    [[ "$output" == *"HTTP 409"* ]]
    run -0 B rmi -f two:layers
    [[ "$output" == *"Deleted: sha256:$id"* ]]
    # the container keeps its layers
    run -0 B start -a used
    [ "$output" = new ]
    run -0 B rm used
}

@test "rmi -f: a running container keeps its image, untagged" {
    run -0 B load -i "$ENGINE_DIR/fx/two.tar"
    run -0 B run -d --name runner two:layers /bin/sh -c 'sleep 60'
    run -0 B rmi -f two:layers
    [ "$output" = "Untagged: two:layers" ]
    run -0 B images --format '{{.Repository}}:{{.Tag}}'
    [[ "$output" == *"<none>:<none>"* ]]
    run -0 B image inspect -f '{{.Id}}' "$(B inspect -f '{{.Image}}' runner 2>/dev/null || true)"
    run -0 B rm -f runner
}

@test "rmi and tag: usage errors" {
    run -125 B rmi
    run -125 B rmi --no-prune
    run -125 B tag onlyone
    run -125 B images --bogus
    run -125 B save
    run -125 B load extra
    run -125 B image frob
}

@test "API: DELETE /images/{name} answers Docker's list; tag 201; inspect 404" {
    run -0 B import "$ENGINE_DIR/fx/rootfs.tar" api/img:1
    run -0 api POST "/v1.41/images/api/img:1/tag?repo=api/other&tag=9"
    [ "${lines[-1]}" = "HTTP 201" ]
    run -0 api DELETE /v1.41/images/api/other:9
    [ "${lines[0]}" = '[{"Untagged":"api/other:9"}]' ]
    run -0 api DELETE "/v1.41/images/api/img:1?force=1"
    [[ "${lines[0]}" =~ ^\[\{\"Untagged\":\"api/img:1\"\},\{\"Deleted\":\"sha256:[0-9a-f]{64}\"\}\]$ ]]
    run -0 api GET /v1.41/images/api/img:1/json
    [ "${lines[0]}" = '{"message":"No such image: api/img:1"}' ]
    [ "${lines[-1]}" = "HTTP 404" ]
    run -0 api DELETE "/v1.41/images/api/none?noprune=1"
    [ "${lines[-1]}" = "HTTP 404" ]
    run -0 api GET '/v1.41/images/json?filters=%7B%22label%22%3A%5B%22x%22%5D%7D'
    [[ "$output" == *"the filter 'label' is not supported"* && "${lines[-1]}" == "HTTP 400" ]]
}

@test "API: POST /images/load streams Docker's messages; GET /images/{name}/get" {
    run -0 curl -s --unix-socket "$SOCK" -X POST --data-binary "@$ENGINE_DIR/fx/two.tar" \
        -H 'Content-Type: application/x-tar' 'http://berth/v1.41/images/load?quiet=0'
    [[ "${lines[0]}" == '{"status":"Loading layer","progressDetail":{},"id":"'* ]]
    [ "${lines[-1]}" = '{"stream":"Loaded image: two:layers\n"}' ]
    run -0 curl -s --unix-socket "$SOCK" -o "$ENGINE_DIR/get.tar" -w '%{http_code} %{content_type}' \
        http://berth/v1.41/images/two:layers/get
    [ "$output" = "200 application/x-tar" ]
    run -0 tar -xOf "$ENGINE_DIR/get.tar" manifest.json
    [[ "$output" == *'"RepoTags":["two:layers"]'* ]]
    run -0 curl -s --unix-socket "$SOCK" -X POST --data-binary "@$ENGINE_DIR/fx/notatar" \
        -w '\n%{http_code}' 'http://berth/v1.41/images/load'
    [ "${lines[-1]}" = 400 ]
    [[ "${lines[0]}" == '{"message":"cannot load the archive: not a tar archive'* ]]
    run -0 curl -s --unix-socket "$SOCK" -X POST --data-binary "@$ENGINE_DIR/fx/rootfs.tar" \
        -w '\n%{http_code}' 'http://berth/v1.41/images/create?fromSrc=-&repo=api/imp&tag=3'
    [[ "${lines[0]}" =~ ^\{\"status\":\"sha256:[0-9a-f]{64}\"\}$ ]]
    [ "${lines[-1]}" = 200 ]
    run -0 curl -s --unix-socket "$SOCK" -X POST --data-binary "@$ENGINE_DIR/fx/rootfs.tar" \
        -w '\n%{http_code}' 'http://berth/v1.41/images/create?fromSrc=-&repo=api/imp&changes=CMD%20x'
    [ "${lines[-1]}" = 400 ]
}

@test "the default image busybox: inspect, save and load before any run" {
    run -0 B image inspect -f '{{json .RepoTags}} {{json .Config.Cmd}}' busybox
    [ "$output" = '["busybox:latest"] ["sh"]' ]
    run -0 B save -o "$ENGINE_DIR/bb.tar" busybox
    start_second_daemon
    run -0 B -H "unix://$SOCK2" load -i "$ENGINE_DIR/bb.tar"
    [ "$output" = "Loaded image: busybox:latest" ]
    run -0 B -H "unix://$SOCK2" run --rm busybox echo from-saved
    [ "$output" = from-saved ]
    stop_second_daemon
}
