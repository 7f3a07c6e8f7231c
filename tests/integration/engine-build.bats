#!/usr/bin/env bats
# berth build (issue 16): Dockerfiles built by a private berthd, as
# Docker's classic builder: RUN in a berth container, COPY and ADD from
# the context, the layer cache, multi-stage builds, .dockerignore, ARG,
# and what a failing step leaves (nothing but cached steps).

load engine-helpers

setup_file() {
    engine_setup_file
    DOCKER=$(command -v docker || true)
    export DOCKER
}

teardown_file() {
    engine_teardown_file
}

setup() {
    CTX=$ENGINE_DIR/ctx-$BATS_TEST_NUMBER
    mkdir -p "$CTX"
}

B() {
    "$BERTH" "$@"
}

# the image ids of every step's " ---> ID" line of the last build's output
step_ids() {
    grep -E '^ ---> [0-9a-f]{12}$' <<<"$output" | awk '{print $2}'
}

# the ids of the untagged images GET /images/json lists
dangling() {
    curl -sf --unix-socket "$SOCK" -G http://berth/images/json \
        --data-urlencode 'filters={"dangling":["true"]}' | jq -r '.[].Id'
}

containers_left() {
    find "$ENGINE_DIR/data/containers" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# the build work dirs under DATA/tmp
build_dirs() {
    find "$ENGINE_DIR/data/tmp" -mindepth 1 -maxdepth 1 -name 'build-*' 2>/dev/null
}

@test "build: FROM busybox, RUN, COPY, ENV, WORKDIR, CMD; the image runs what it made" {
    echo "hello from the context" >"$CTX/greeting.txt"
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox
ENV WHO=builder
WORKDIR /app
RUN echo "made by $WHO" > made.txt && echo "run said hi"
COPY greeting.txt ./
CMD ["sh", "-c", "cat /app/made.txt /app/greeting.txt; pwd; echo $WHO"]
EOF
    run -0 B build -t bt/one "$CTX"
    [[ "$output" == *"Step 1/6 : FROM busybox"* ]]
    [[ "$output" == *"Step 4/6 : RUN echo"* ]]
    [[ "$output" == *"run said hi"* ]]
    [[ "$output" == *"Successfully built "* ]]
    [[ "$output" == *"Successfully tagged bt/one:latest"* ]]
    [ "$(containers_left)" -eq 0 ]
    run -0 B run --rm bt/one
    [ "${lines[0]}" = "made by builder" ]
    [ "${lines[1]}" = "hello from the context" ]
    [ "${lines[2]}" = /app ]
    [ "${lines[3]}" = builder ]
    run -0 B image inspect -f '{{json .Config.Cmd}} {{.Config.WorkingDir}}' bt/one
    # shellcheck disable=SC2016 # the CMD's own $WHO
    [ "$output" = '["sh","-c","cat /app/made.txt /app/greeting.txt; pwd; echo $WHO"] /app' ]
    # no build work dir is left
    [ -z "$(build_dirs)" ]
}

@test "build: a rebuild uses the cache for every step and gives the same id; --no-cache does not" {
    echo one >"$CTX/f"
    printf 'FROM busybox\nCOPY f /f\nRUN cat /f > /g\nENV A=b\n' >"$CTX/Dockerfile"
    run -0 B build -t bt/cache "$CTX"
    local first
    first=$(B image inspect -f '{{.Id}}' bt/cache)
    run -0 B build -t bt/cache "$CTX"
    [ "$(grep -c 'Using cache' <<<"$output")" -eq 3 ]
    [[ "$output" != *"Running in"* ]]
    [ "$(B image inspect -f '{{.Id}}' bt/cache)" = "$first" ]
    run -0 B build --no-cache -t bt/cache "$CTX"
    [[ "$output" != *"Using cache"* ]]
    [[ "$output" == *"Running in"* ]]
    [ "$(B image inspect -f '{{.Id}}' bt/cache)" != "$first" ]
}

@test "build: changing a copied file re-runs the steps from that COPY on" {
    echo v1 >"$CTX/data"
    printf 'FROM busybox\nRUN echo base > /base\nCOPY data /data\nRUN cat /data > /copied\n' \
        >"$CTX/Dockerfile"
    run -0 B build -t bt/change "$CTX"
    echo v2 >"$CTX/data"
    run -0 B build -t bt/change "$CTX"
    # the RUN before the COPY is cached, the COPY and the RUN after are not
    [ "$(grep -c 'Using cache' <<<"$output")" -eq 1 ]
    [[ "$output" == *"Running in"* ]]
    run -0 B run --rm bt/change cat /copied
    [ "$output" = v2 ]
}

@test "build: multi-stage, COPY --from a named stage and by index, FROM scratch; --target" {
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox AS b
RUN mkdir -p /out && echo built > /out/result && cp /bin/busybox /out/sh
FROM busybox
RUN echo second > /second
FROM scratch
COPY --from=b /out/sh /bin/sh
COPY --from=b /out/result /result
COPY --from=1 /second /second
CMD ["/bin/sh", "-c", "cat /result /second"]
EOF
    run -0 B build -t bt/multi "$CTX"
    run -0 B run --rm bt/multi
    [ "${lines[0]}" = built ]
    [ "${lines[1]}" = second ]
    # only the last stage is tagged; the scratch stage has only its layers
    [ "$(B image inspect bt/multi | jq '.[0].RootFS.Layers | length')" = 3 ]
    # the overlay of COPY --from is gone, and a rebuild is all cache
    [ -z "$(grep -F " $ENGINE_DIR/data/tmp/" /proc/self/mountinfo || true)" ]
    local id
    id=$(B image inspect -f '{{.Id}}' bt/multi)
    run -0 B build -t bt/multi "$CTX"
    [[ "$output" != *"Running in"* ]]
    [ "$(grep -c 'Using cache' <<<"$output")" -eq 6 ]
    [ "$(B image inspect -f '{{.Id}}' bt/multi)" = "$id" ]
    run -0 B build --target b -t bt/stage-b "$CTX"
    run -0 B run --rm bt/stage-b cat /out/result
    [ "$output" = built ]
    run -1 B build --target nope -t bt/nope "$CTX"
    [[ "$output" == *"failed to reach build target nope"* ]]
}

@test "build: .dockerignore keeps files out of the context and of COPY" {
    mkdir -p "$CTX/sub"
    echo secret >"$CTX/secret.txt"
    echo kept >"$CTX/sub/kept.txt"
    echo dropped >"$CTX/sub/dropped.log"
    printf 'secret.txt\n**/*.log\nDockerfile\n' >"$CTX/.dockerignore"
    printf 'FROM busybox\nCOPY . /ctx/\n' >"$CTX/Dockerfile"
    run -0 B build -t bt/ignore "$CTX"
    run -0 B run --rm bt/ignore find /ctx -type f
    [[ "$output" == *"/ctx/sub/kept.txt"* ]]
    [[ "$output" != *secret* ]]
    [[ "$output" != *dropped* ]]
    [[ "$output" != *"/ctx/Dockerfile"* ]]
}

@test "build: ARG with a default, --build-arg, and ARG before FROM" {
    cat >"$CTX/Dockerfile" <<'EOF'
ARG BASE=busybox
FROM $BASE
ARG GREETING=hello
ARG WHO
RUN echo "$GREETING $WHO" > /said
CMD ["cat", "/said"]
EOF
    run -0 B build -t bt/arg "$CTX"
    run -0 B run --rm bt/arg
    [ "$output" = "hello " ]
    run -0 B build --build-arg WHO=world --build-arg GREETING=hi -t bt/arg2 "$CTX"
    [[ "$output" != *"Step 5/6 : RUN"*"Using cache"* ]]
    run -0 B run --rm bt/arg2
    [ "$output" = "hi world" ]
    # ARG values are not in the image's environment
    run -0 B run --rm bt/arg2 env
    [[ "$output" != *GREETING* ]]
}

@test "build: a failing RUN stops with Docker's message, leaves no container and moves no tag" {
    printf 'FROM busybox\nCMD ["echo", "old"]\n' >"$CTX/Dockerfile"
    run -0 B build -t bt/fail "$CTX"
    local before
    before=$(B image inspect -f '{{.Id}}' bt/fail)
    printf 'FROM busybox\nRUN echo partial > /p\nRUN false\nCMD ["echo", "new"]\n' >"$CTX/Dockerfile"
    run -1 B build -t bt/fail "$CTX"
    [[ "$output" == *"The command '/bin/sh -c false' returned a non-zero code: 1"* ]]
    [[ "$output" != *"Successfully"* ]]
    [ "$(containers_left)" -eq 0 ]
    [ "$(B image inspect -f '{{.Id}}' bt/fail)" = "$before" ]
    [ -z "$(build_dirs)" ]
    run -1 B build -t bt/never "$CTX"
    run -1 B image inspect bt/never
}

@test "build: a RUN's long line of control bytes and what follows it all reach the output" {
    # 40000 bytes of \x01 in one line: the json-file log holds them six
    # bytes each (\u0001), in lines far over 64 KiB
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox
RUN head -c 40000 /dev/zero | tr '\0' '\1'; echo; echo after-the-long-line
EOF
    run -0 B build "$CTX"
    [[ "$output" == *after-the-long-line* ]]
    [ "$(tr -cd '\001' <<<"$output" | wc -c)" -eq 40000 ]
}

@test "build: a Dockerfile syntax error names its line; a missing Dockerfile is named" {
    printf 'FROM busybox\nRUN true\nFROBNICATE now\n' >"$CTX/Dockerfile"
    run -1 B build -t bt/syntax "$CTX"
    [[ "$output" == *"line 3"* || "$output" == *":3:"* ]]
    [[ "$output" == *FROBNICATE* || "$output" == *frobnicate* ]]
    rm "$CTX/Dockerfile"
    run -1 B build -t bt/syntax "$CTX"
    [[ "$output" == *"Dockerfile"* ]]
    run -1 B image inspect bt/syntax
}

@test "build: ADD of a local tarball unpacks it; ADD of a URL is refused" {
    mkdir -p "$ENGINE_DIR/tarsrc-$BATS_TEST_NUMBER/pkg"
    echo inside >"$ENGINE_DIR/tarsrc-$BATS_TEST_NUMBER/pkg/file"
    tar -C "$ENGINE_DIR/tarsrc-$BATS_TEST_NUMBER" -czf "$CTX/pkg.tar.gz" pkg
    printf 'FROM busybox\nADD pkg.tar.gz /opt/\n' >"$CTX/Dockerfile"
    run -0 B build -t bt/add "$CTX"
    run -0 B run --rm bt/add cat /opt/pkg/file
    [ "$output" = inside ]
    printf 'FROM busybox\nADD http://127.0.0.1:9/x.tar /x\n' >"$CTX/Dockerfile"
    run -1 B build -t bt/url "$CTX"
    [[ "$output" == *"URL is not supported"* ]]
}

@test "build: COPY globs, several sources, and a source outside the context" {
    mkdir -p "$CTX/docs"
    echo a >"$CTX/a.txt"
    echo b >"$CTX/b.txt"
    echo c >"$CTX/c.md"
    echo d >"$CTX/docs/d.txt"
    printf 'FROM busybox\nCOPY *.txt docs/*.txt /t/\nCOPY c.md a.txt /two/\n' >"$CTX/Dockerfile"
    run -0 B build -t bt/glob "$CTX"
    run -0 B run --rm bt/glob sh -c 'ls /t; ls /two'
    [ "$output" = "$(printf 'a.txt\nb.txt\nd.txt\na.txt\nc.md')" ]
    printf 'FROM busybox\nCOPY a.txt b.txt /nodir\n' >"$CTX/Dockerfile"
    run -1 B build "$CTX"
    [[ "$output" == *"the destination must be a directory and end with a /"* ]]
    printf 'FROM busybox\nCOPY *.none /x/\n' >"$CTX/Dockerfile"
    run -1 B build "$CTX"
    [[ "$output" == *"no source files were specified"* ]]
    printf 'FROM busybox\nCOPY ../x /x\n' >"$CTX/Dockerfile"
    run -1 B build "$CTX"
    [[ "$output" == *"forbidden path outside the build context: ../x"* ]]
}

@test "build: COPY --chown and --chmod; an unknown user is refused with its line" {
    mkdir -p "$CTX/d"
    echo x >"$CTX/d/f"
    echo y >"$CTX/g"
    printf 'FROM busybox\nCOPY --chown=nobody:nogroup --chmod=750 d /opt/d\nCOPY --chown=1234 g /opt/\n' \
        >"$CTX/Dockerfile"
    run -0 B build -t bt/chown "$CTX"
    run -0 B run --rm bt/chown stat -c '%u:%g %a %n' /opt/d /opt/d/f /opt/g
    [ "${lines[0]}" = "65534:65534 755 /opt/d" ]
    [ "${lines[1]}" = "65534:65534 750 /opt/d/f" ]
    [ "${lines[2]}" = "1234:1234 644 /opt/g" ]
    printf 'FROM busybox\nCOPY --chown=nosuchuser g /x\n' >"$CTX/Dockerfile"
    run -1 B build -t bt/chown2 "$CTX"
    [[ "$output" == *"line 2"*"unable to find user nosuchuser"* ]]
}

@test "build: a RUN that deletes a base file: it is gone in the image (whiteout)" {
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox
RUN rm /bin/vi && mkdir -p /d /m/sub && touch /d/x /m/sub/f
RUN rm -r /d && mkdir /d && touch /d/y && mv /m /moved
EOF
    run -0 B build -t bt/wh "$CTX"
    run -1 B run --rm bt/wh ls /bin/vi
    run -0 B run --rm bt/wh ls /d
    [ "$output" = y ]
    run -0 B run --rm bt/wh ls /bin/ls
    # a dir renamed by a later step is whole under its new name only
    run -0 B run --rm bt/wh sh -c 'ls /moved/sub; ls /m 2>&1; true'
    [ "${lines[0]}" = f ]
    [[ "${lines[1]}" == *"No such file"* ]]
}

@test "build: -f names a Dockerfile elsewhere; -q prints only the id" {
    echo data >"$CTX/f"
    printf 'FROM busybox\nCOPY f /f\n' >"$ENGINE_DIR/other-$BATS_TEST_NUMBER.Dockerfile"
    run -0 B build -q -f "$ENGINE_DIR/other-$BATS_TEST_NUMBER.Dockerfile" -t bt/q "$CTX"
    [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
    [ "$(B image inspect -f '{{.Id}}' bt/q)" = "$output" ]
    # the Dockerfile from elsewhere is not part of the context COPY sees
    printf 'FROM busybox\nCOPY . /ctx/\n' >"$ENGINE_DIR/other-$BATS_TEST_NUMBER.Dockerfile"
    run -0 B build -f "$ENGINE_DIR/other-$BATS_TEST_NUMBER.Dockerfile" -t bt/q2 "$CTX"
    run -0 B run --rm bt/q2 ls -A /ctx
    [ "$output" = f ]
}

@test "build: the steps' images are not listed, the built one is (also untagged)" {
    printf 'FROM busybox\nENV A=1\nRUN echo a > /a\nENV B=2\n' >"$CTX/Dockerfile"
    dangling | sort >"$ENGINE_DIR/before-$BATS_TEST_NUMBER"
    run -0 B build "$CTX"
    local id
    id=$(sed -n 's/^Successfully built //p' <<<"$output")
    [ -n "$id" ]
    # this build's image is new in the list; the three steps' images are
    # not listed (but stay as the cache)
    run -0 bash -c "$(declare -f dangling); dangling | sort |
        comm -13 '$ENGINE_DIR/before-$BATS_TEST_NUMBER' -"
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == "sha256:$id"* ]]
    run -0 B build "$CTX"
    [ "$(grep -c 'Using cache' <<<"$output")" -eq 3 ]
}

@test "build: rmi deletes the untagged steps only it descends from; --no-prune keeps them" {
    printf 'FROM busybox\nENV A=rmi\nRUN echo a > /a\nENV B=2\n' >"$CTX/Dockerfile"
    run -0 B build -t bt/rmi-a "$CTX"
    local a=() b=()
    mapfile -t a < <(step_ids)
    [ "${#a[@]}" -eq 4 ] # busybox, then ENV, RUN, ENV (the built image)
    # a second image shares the first two steps
    printf 'FROM busybox\nENV A=rmi\nRUN echo a > /a\nENV C=3\n' >"$CTX/Dockerfile"
    run -0 B build -t bt/rmi-b "$CTX"
    [ "$(grep -c 'Using cache' <<<"$output")" -eq 2 ]
    mapfile -t b < <(step_ids)
    [ "${b[2]}" = "${a[2]}" ]
    [ "${b[3]}" != "${a[3]}" ]
    # a's own image goes; the RUN step stays, as b descends from it
    run -0 B rmi bt/rmi-a
    [ "$(grep -c '^Deleted: ' <<<"$output")" -eq 1 ]
    [[ "$output" == *"Deleted: sha256:${a[3]}"* ]]
    # b takes the steps with it, never busybox (tagged)
    run -0 B rmi bt/rmi-b
    [ "$(grep -c '^Deleted: ' <<<"$output")" -eq 3 ]
    [[ "$output" == *"Deleted: sha256:${b[3]}"* ]]
    [[ "$output" == *"Deleted: sha256:${a[2]}"* ]]
    [[ "$output" == *"Deleted: sha256:${a[1]}"* ]]
    [[ "$output" != *"${a[0]}"* ]]
    run -0 B image inspect busybox
    local sid
    for sid in "${a[@]:1}" "${b[3]}"; do
        run -1 B image inspect "$sid"
        run -1 grep -rqs "sha256:$sid" "$ENGINE_DIR/data/build-cache"
    done
    # with --no-prune only the named image goes; its steps still serve the cache
    run -0 B build -t bt/rmi-b "$CTX"
    [[ "$output" != *"Using cache"* ]]
    run -0 B rmi --no-prune bt/rmi-b
    [ "$(grep -c '^Deleted: ' <<<"$output")" -eq 1 ]
    run -0 B build -t bt/rmi-b "$CTX"
    [ "$(grep -c 'Using cache' <<<"$output")" -ge 2 ]
    run -0 api DELETE "/v1.41/images/bt/rmi-b?noprune=1"
    [ "${lines[-1]}" = "HTTP 200" ]
    [[ "${lines[0]}" =~ ^\[\{\"Untagged\":\"bt/rmi-b:latest\"\},\{\"Deleted\":\"sha256:[0-9a-f]{64}\"\}\]$ ]]
}

@test "build: what a berthd killed mid-RUN left goes with the next build" {
    printf 'FROM busybox\nRUN sleep 120\n' >"$CTX/Dockerfile"
    "$BERTH" build -t bt/killed "$CTX" >/dev/null 2>&1 3>&- &
    local cli=$!
    for _ in $(seq 200); do
        [ -n "$(B ps -q)" ] && break
        sleep 0.05
    done
    [ -n "$(B ps -q)" ]
    engine_stop_daemon KILL
    wait "$cli" || true
    engine_start_daemon
    [ -n "$(build_dirs)" ]
    printf 'FROM busybox\nENV after=1\n' >"$CTX/Dockerfile"
    run -0 B build -t bt/after "$CTX"
    [ -z "$(B ps -aq)" ]
    [ -z "$(build_dirs)" ]
    run -1 B image inspect bt/killed
}

# While stage two RUNs, stage one's image is used by no container: only
# the build's hold keeps an image prune -a (or an rmi) from taking it
# before COPY --from needs it.
@test "build: image prune -a and rmi during a build leave the images it uses" {
    cat >"$CTX/Dockerfile" <<'EOF'
FROM busybox AS one
RUN echo from-one > /one
FROM busybox
RUN sleep 3
COPY --from=one /one /one
EOF
    "$BERTH" build -t bt/held "$CTX" >"$CTX.out" 2>&1 3>&- &
    local cli=$! one
    running_sleep() { [ -n "$(B ps -q)" ] && grep -q 'Step 4/5' "$CTX.out"; }
    wait_long 30 running_sleep
    output=$(cat "$CTX.out")
    one=$(step_ids | sed -n 2p)
    [ -n "$one" ]
    run -0 B image prune -a -f
    run -0 B image inspect "$one"
    run -1 B rmi "$one"
    [[ "$output" == *"image is being used by running container build"* ]]
    wait "$cli"
    run -0 B run --rm bt/held cat /one
    [ "$output" = from-one ]
    # the build is over: nothing holds them any more
    run -0 B rmi bt/held
    run -0 B image prune -a -f
    run -1 B image inspect "$one"
}

@test "build: options berth cannot honour are refused by name; BuildKit too" {
    run -0 curl -s --unix-socket "$SOCK" -X POST 'http://berth/build?pull=1&t=bt/x'
    [ "$output" = '{"message":"build option '"'pull=1'"' is not supported by berth"}' ]
    run -0 curl -s --unix-socket "$SOCK" -X POST 'http://berth/build?version=2'
    [[ "$output" == *"BuildKit (version=2) is not supported by berth"* ]]
    run -0 curl -s --unix-socket "$SOCK" -X POST 'http://berth/build?rm=0'
    [[ "$output" == *"'rm=0' is not supported"* ]]
    run -1 B image inspect bt/x
    # RUN's network: --network names it; one that does not exist fails the RUN
    printf 'FROM busybox\nRUN ls /sys/class/net\n' >"$CTX/Dockerfile"
    run -0 B build --network none --no-cache "$CTX"
    [[ "$output" == *$'\nlo\n'* ]]
    run -1 B build --network nosuch --no-cache -t bt/nonet "$CTX"
    [[ "$output" == *nosuch* ]]
    [ "$(containers_left)" -eq 0 ]
    run -1 B image inspect bt/nonet
}

@test "docker build (DOCKER_BUILDKIT=0) through berthd" {
    [ -n "$DOCKER" ] || skip "no docker CLI on this machine"
    echo via-docker >"$CTX/f"
    printf 'FROM busybox\nCOPY f /f\nRUN cat /f > /g\nCMD ["cat", "/g"]\n' >"$CTX/Dockerfile"
    DOCKER_BUILDKIT=0 run -0 "$DOCKER" -H "unix://$SOCK" build -t bt/docker "$CTX"
    [[ "$output" == *"Successfully tagged bt/docker:latest"* ]]
    run -0 B run --rm bt/docker
    [ "$output" = via-docker ]
}
