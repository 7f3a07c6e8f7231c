# Fixtures of engine-images.bats and docker-cli-images.bats (issue 13),
# made offline with real tools under $ENGINE_DIR/fx: a busybox rootfs and
# its tarballs (import), an OCI layout built with umoci and copied by
# skopeo to an oci-archive and a docker-archive, and the archives of
# image-fixtures.py (two layers with whiteouts, hostile and broken ones).

images_fixtures() {
    local fx=$ENGINE_DIR/fx
    PY=/usr/bin/python3
    [ -x "$PY" ] || skip "no /usr/bin/python3 for the test archives"
    mkdir -p "$fx/rootfs/bin" "$fx/rootfs/etc"
    cp /bin/busybox "$fx/rootfs/bin/busybox"
    ln -s busybox "$fx/rootfs/bin/sh"
    ln -s busybox "$fx/rootfs/bin/cat"
    ln -s busybox "$fx/rootfs/bin/ls"
    echo hello-image >"$fx/rootfs/etc/marker"
    tar -C "$fx/rootfs" -cf "$fx/rootfs.tar" .
    gzip -c "$fx/rootfs.tar" >"$fx/rootfs.tar.gz"
    xz -c "$fx/rootfs.tar" >"$fx/rootfs.tar.xz"
    if command -v zstd >/dev/null; then zstd -q -c "$fx/rootfs.tar" >"$fx/rootfs.tar.zst"; fi
    "$PY" "$BATS_TEST_DIRNAME/image-fixtures.py" "$fx"
    if command -v umoci >/dev/null && command -v skopeo >/dev/null; then
        (
            cd "$fx"
            umoci init --layout oci && umoci new --image oci:v1 &&
                umoci unpack --image oci:v1 bundle >/dev/null &&
                cp -a rootfs/. bundle/rootfs/ && umoci repack --image oci:v1 bundle &&
                umoci config --image oci:v1 --config.cmd /bin/sh &&
                skopeo copy -q oci:oci:v1 "docker-archive:$fx/skopeo-docker.tar:from/docker:v2" &&
                skopeo copy -q oci:oci:v1 "oci-archive:$fx/skopeo-oci.tar:from/oci:v3"
        ) >"$fx/tools.log" 2>&1 || { cat "$fx/tools.log" >&2; return 1; }
    fi
}

need_skopeo() {
    [ -f "$ENGINE_DIR/fx/skopeo-oci.tar" ] || skip "no umoci and skopeo for the OCI archives"
}

# What the store holds: its files (blobs, unpacked layers, work dirs) and
# index.json, to compare before and after a refused command.
store_state() {
    local d=$ENGINE_DIR/data
    (cd "$d" && find image layers tmp -maxdepth 3 2>/dev/null | sort)
    cat "$d/image/index.json" 2>/dev/null
    echo
}

# A second private berthd ($SOCK2) for save-then-load.
start_second_daemon() {
    SOCK2=$ENGINE_DIR/b2.sock
    "$BERTHD" --bridge none -H "unix://$SOCK2" --data-root "$ENGINE_DIR/data2" --exec-root "$ENGINE_DIR/exec2" \
        --log-level error >>"$ENGINE_DIR/berthd2.log" 2>&1 3>&- &
    echo $! >"$ENGINE_DIR/berthd2.pid"
    for _ in $(seq 100); do
        curl -sf --unix-socket "$SOCK2" http://berth/_ping >/dev/null && return 0
        sleep 0.05
    done
    cat "$ENGINE_DIR/berthd2.log" >&2
    return 1
}

stop_second_daemon() {
    local pid id
    pid=$(cat "$ENGINE_DIR/berthd2.pid" 2>/dev/null) || return 0
    for id in $("$BERTH" -H "unix://$SOCK2" ps -a -q 2>/dev/null); do
        "$BERTH" -H "unix://$SOCK2" rm -f "$id" >/dev/null 2>&1 || true
    done
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    rm -f "$ENGINE_DIR/berthd2.pid"
}
