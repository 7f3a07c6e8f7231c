# Shared set-up of the engine tests (engine.bats, docker-cli.bats): one
# PRIVATE berthd per file (its own socket, data root and exec root under a
# temp dir), started in setup_file and stopped by PID in teardown_file,
# which also removes every container, shim, overlay mount and cgroup the
# file made.
#
# Environment (set by scripts/test.sh):
#   BERTHD      the berthd binary      BERTH       the berth CLI
#   BERTH_SHIM  the berth-shim binary

bats_require_minimum_version 1.5.0

engine_setup_file() {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
    # engine_shim_pids needs it: without, every "no shim left" check would pass
    command -v pgrep >/dev/null || {
        echo "the engine tests need pgrep (procps)" >&2
        return 1
    }
    for v in BERTHD BERTH BERTH_SHIM; do
        if [ -z "${!v:-}" ] || [ ! -x "${!v}" ]; then
            echo "$v must name the built binary" >&2
            return 1
        fi
    done
    # short: the shims' sockets live under it (108 bytes at most)
    ENGINE_DIR=$(mktemp -d /tmp/berth-engine.XXXXXX)
    export ENGINE_DIR
    export SOCK=$ENGINE_DIR/berth.sock
    export BERTH_HOST=unix://$SOCK
    engine_start_daemon
}

# Starts berthd on the file's roots; its PID goes to $ENGINE_DIR/berthd.pid.
engine_start_daemon() {
    local ns=() bridge=(--bridge none)
    # the network tests run berthd in a namespace that plays the host; the
    # others make no network (no bridge on the machine's own namespace)
    if [ -n "${ENGINE_NETNS_PID:-}" ]; then
        ns=(nsenter --net=/proc/"$ENGINE_NETNS_PID"/ns/net)
        bridge=()
    fi
    "${ns[@]}" "$BERTHD" "${bridge[@]}" -H "unix://$SOCK" --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec" \
        --log-level error >>"$ENGINE_DIR/berthd.log" 2>&1 3>&- &
    echo $! >"$ENGINE_DIR/berthd.pid"
    disown # a test that SIGKILLs it wants no "Killed" line from bash
    for _ in $(seq 100); do
        [ -S "$SOCK" ] && curl -sf --unix-socket "$SOCK" http://berth/_ping >/dev/null && return 0
        sleep 0.05
    done
    echo "berthd did not start:" >&2
    cat "$ENGINE_DIR/berthd.log" >&2
    return 1
}

engine_stop_daemon() {
    local pid
    pid=$(cat "$ENGINE_DIR/berthd.pid" 2>/dev/null) || return 0
    kill -"${1:-TERM}" "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    rm -f "$ENGINE_DIR/berthd.pid"
}

# The shims of this file: processes named berth-shim whose arguments name
# our data root.
engine_shim_pids() {
    local p
    for p in $(pgrep -x berth-shim 2>/dev/null); do
        # stderr first: a shim that is gone mid-scan is not an error
        tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF "$ENGINE_DIR/" && echo "$p"
    done
    return 0
}

engine_teardown_file() {
    [ -n "${ENGINE_DIR:-}" ] || return 0
    local id p m
    if [ -f "$ENGINE_DIR/berthd.pid" ]; then
        for id in $("$BERTH" ps -a -q 2>/dev/null); do
            "$BERTH" rm -f "$id" >/dev/null 2>&1 || true
        done
    fi
    engine_stop_daemon TERM
    for p in $(engine_shim_pids); do
        kill -KILL "$p" 2>/dev/null || true
    done
    # whatever a killed shim left: its mounts, then its cgroups
    grep -F " $ENGINE_DIR/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
    # a container whose berthd and shim died (a test that killed them and
    # failed) still runs: its processes go by its own cgroup, then the cgroup
    for id in $(ls "$ENGINE_DIR/data/containers" 2>/dev/null); do
        for p in $(cat $(find /sys/fs/cgroup -type d -name "berth-$id" 2>/dev/null |
            sed 's|$|/cgroup.procs|') 2>/dev/null | sort -u); do
            kill -KILL "$p" 2>/dev/null && sleep 0.2
        done
        find /sys/fs/cgroup -depth -type d -name "berth-$id" -exec rmdir {} \; 2>/dev/null || true
    done
    rm -rf "$ENGINE_DIR"
    if [ -n "${ENGINE_NETNS_PID:-}" ]; then
        kill -KILL "$ENGINE_NETNS_PID" 2>/dev/null || true
    fi
}

# engine_setup_file in a new network namespace that plays the host: berthd's
# bridges, veths and nftables table live there and go with it. Its `sleep`
# is $ENGINE_NETNS_PID; hostnet CMD... runs CMD in it (a client "on the
# host", e.g. hostnet wget -qO- http://127.0.0.1:8080/).
engine_setup_file_net() {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
    unshare --net sleep infinity >/dev/null 2>&1 3>&- &
    ENGINE_NETNS_PID=$!
    export ENGINE_NETNS_PID
    disown
    netns_wait "$ENGINE_NETNS_PID"
    hostnet ip link set lo up
    engine_setup_file
}

# netns_wait PID: until PID (an `unshare --net` just started) has its own
# network namespace: before, nsenter would enter ours.
netns_wait() {
    local self
    self=$(readlink /proc/self/ns/net)
    for _ in $(seq 200); do
        [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" = "$self" ] || return 0
        sleep 0.01
    done
    echo "process $1 did not get a network namespace of its own" >&2
    return 1
}

hostnet() {
    nsenter --net=/proc/"$ENGINE_NETNS_PID"/ns/net "$@"
}

# api METHOD PATH [BODY]: curl on the private socket; prints the body, then
# a last line "HTTP STATUS".
api() {
    local method=$1 path=$2 body=${3-}
    if [ -n "$body" ]; then
        curl -s --unix-socket "$SOCK" -X "$method" -H 'Content-Type: application/json' \
            --data-binary "$body" -w '\nHTTP %{http_code}\n' "http://berth$path"
    else
        curl -s --unix-socket "$SOCK" -X "$method" -w '\nHTTP %{http_code}\n' "http://berth$path"
    fi
}

# wait_long SECONDS CMD...: retries CMD every 0.1 s for up to SECONDS.
wait_long() {
    local n=$(($1 * 10))
    shift
    for _ in $(seq "$n"); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

# wait_for CMD...: retries for up to 5 s.
wait_for() {
    for _ in $(seq 100); do
        "$@" && return 0
        sleep 0.05
    done
    "$@"
}

# The container's cgroup dirs on the host (any hierarchy).
cgroup_dirs_of() {
    find /sys/fs/cgroup -type d -name "berth-$1" 2>/dev/null
}

# engine_teardown: every test leaves no container behind it; a failed one
# shows its last run.
engine_teardown() {
    local id
    if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${status:-}" ]; then
        echo "last run: status $status, output:"
        printf '%s\n' "${output:-}" | sed 's/^/  /'
    fi
    for id in $("$BERTH" ps -a -q 2>/dev/null); do
        "$BERTH" rm -f "$id" >/dev/null 2>&1 || true
    done
}

# The defaults of a file against the private daemon; a file may override.
setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

teardown() {
    engine_teardown
}

# --- the docker CLI (docker-cli*.bats) ---------------------------------------

docker_setup_file() {
    engine_setup_file
    DOCKER=$(command -v docker || true)
    export DOCKER
}

docker_setup() {
    [ -n "$DOCKER" ] || skip "no docker CLI on this machine"
    # never the system's daemon: every call names our socket
    unset DOCKER_HOST DOCKER_CONTEXT
}

d() {
    "$DOCKER" -H "unix://$SOCK" "$@"
}

# make_rootfs: a copy of the busybox image's layer (its only one), for
# --rootfs; prints its path (under the test's engine dir).
make_rootfs() {
    local dir=$ENGINE_DIR/rootfs-$BATS_TEST_NUMBER layer
    "$BERTH" run --rm busybox true >/dev/null
    layer=$("$BERTH" image inspect busybox | jq -r '.[0].RootFS.Layers[0]')
    cp -a "$ENGINE_DIR/data/layers/${layer/://}" "$dir"
    echo "$dir"
}
