# shellcheck shell=bash
# bench/lib.sh: helpers shared by bench/sched, bench/sysbench, bench/vm and
# bench/run-all (sourced, not run). The scripts keep bench/'s style: bash,
# a private berthd on a temp socket with --bridge none, peers side by side
# in one run, every timed command printed, cleanup by PID in an EXIT trap.
#
# Environment the scripts share: BERTH_BUILD (the build dir, default build),
# BENCH_SHORT=1 (the short mode: a few minutes at most), BENCH_RUNS
# (repeats), BENCH_OUT (where CSV and PNG files go; default
# bench/out/NAME-DATE).

# bench_need NAME TOOL...: fails naming the first TOOL not installed
bench_need() {
    local name=$1 t
    shift
    for t; do
        command -v "$t" >/dev/null || {
            echo "$name: $t is not installed (scripts/deps.sh)" >&2
            exit 1
        }
    done
}

# bench_build: builds $BERTH_BUILD (default build) and sets $bin to its src
bench_build() {
    build=${BERTH_BUILD:-build}
    scripts/build.sh "$build" >/dev/null
    bin=$PWD/$build/src
}

# bench_outdir NAME: sets $out to $BENCH_OUT or bench/out/NAME-DATE, made
bench_outdir() {
    out=${BENCH_OUT:-$PWD/bench/out/$1-$(date -u +%Y%m%d-%H%M%S)}
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
}

# bench_berthd_start WORK: a private berthd (socket, data and exec roots in
# WORK, no bridge), its PID in WORK/berthd.pid; sets $sock, $berth and
# exports BERTH_HOST. Needs $bin (bench_build).
bench_berthd_start() {
    local w=$1
    sock=$w/berthd.sock
    berth=$bin/cli/berth
    export BERTH_HOST=unix://$sock
    "$bin/daemon/berthd" --bridge none -H "unix://$sock" --data-root "$w/data" \
        --exec-root "$w/exec" --log-level error >"$w/berthd.log" 2>&1 3>&- &
    echo $! >"$w/berthd.pid"
    for _ in $(seq 200); do
        curl -sf --unix-socket "$sock" http://berth/_ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "berthd did not answer on $sock; its log:" >&2
    cat "$w/berthd.log" >&2
    return 1
}

# bench_berthd_stop WORK: removes every container of the private berthd and
# stops it by its PID
bench_berthd_stop() {
    local w=$1 pid
    [ -f "$w/berthd.pid" ] || return 0
    pid=$(cat "$w/berthd.pid")
    "$berth" ps -aq --no-trunc 2>/dev/null | xargs -r -n 50 "$berth" rm -f >/dev/null 2>&1
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$w/berthd.pid"
    bench_shims_stop "$w"
    return 0
}

# bench_shims_stop WORK: the shims of WORK's berthd that outlived it (a
# container created while the run was being stopped), with their
# containers' processes (KILL) and cgroups
bench_shims_stop() {
    local w=$1 p id
    for p in $(pgrep -x berth-shim 2>/dev/null || true); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- " $w/" || continue
        id=$(tr '\0' '\n' <"/proc/$p/cmdline" | grep -A1 -x -- --id | tail -1)
        # shellcheck disable=SC2046 # a list of PIDs
        kill -KILL $(bench_descendants "$p") 2>/dev/null
        sleep 0.2
        [ -z "$id" ] || find /sys/fs/cgroup -maxdepth 4 -depth -type d -name "berth-$id" \
            -exec rmdir {} \; 2>/dev/null
    done
    return 0
}

# bench_umount_under DIR: lazily unmounts whatever is mounted below DIR
bench_umount_under() {
    { grep -o " $1/[^ ]*" /proc/self/mounts || true; } | tac | xargs -r umount -l 2>/dev/null
    return 0
}

# bench_api PATH: GET of the private berthd's API
bench_api() { curl -sf --unix-socket "$sock" "http://berth$1"; }

# bench_cpu_ns ID: the container's cgroup CPU time (ns) from the stats API
bench_cpu_ns() {
    bench_api "/containers/$1/stats?stream=0&one-shot=1" | jq -r '.cpu_stats.cpu_usage.total_usage'
}

# bench_mmm: "median min max" of the numbers on stdin (%g; the median of
# an even count is the mean of the middle two)
bench_mmm() {
    sort -g | awk '{a[NR] = $1} END {if (NR == 0) {print "nan nan nan"; exit}
        m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%g %g %g\n", m, a[1], a[NR]}'
}

# bench_ratio A B: A / B as "N.NNx" ("-" when B is 0 or missing)
bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0 || a == "" || a == "nan") print "-";
        else printf "%.2fx\n", a / b}'
}

# bench_pss_kib PID...: the summed Pss of the processes (smaps_rollup)
bench_pss_kib() {
    local p s=0
    for p; do
        s=$((s + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
    done
    echo "$s"
}

# bench_descendants PID: PID and every process below it
bench_descendants() {
    local c
    echo "$1"
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null || true); do
        bench_descendants "$c"
    done
}

# bench_in_v1 COMMAND: the shell COMMAND in a mount namespace where
# /sys/fs/cgroup/unified is hidden by a tmpfs when the host has it: Debian's
# crun 1.8.1 refuses this host's hybrid cgroup layout (as bench/podman-run)
bench_in_v1() {
    if [ -d /sys/fs/cgroup/unified ]; then
        unshare -m sh -c "mount -t tmpfs none /sys/fs/cgroup/unified || exit 1
$1"
    else
        sh -c "$1"
    fi
}

# bench_podman_conf WORK: a private podman configuration under WORK
# (containers.conf, storage.conf: vfs, run and graph roots there, no
# network); sets $pm_env, the variables that select it
bench_podman_conf() {
    local w=$1
    mkdir -p "$w/pm-tmp"
    cat >"$w/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
    cat >"$w/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$w/pm-run"
graphroot = "$w/pm-graph"
EOF
    pm_env="CONTAINERS_CONF=$w/containers.conf CONTAINERS_STORAGE_CONF=$w/storage.conf"
    pm_cmd="$pm_env podman --tmpdir $w/pm-tmp"
}

# bench_podman_clean WORK: removes the private podman's containers and images
bench_podman_clean() {
    [ -n "${pm_cmd:-}" ] || return 0
    bench_in_v1 "$pm_cmd rm -af -t 0" >/dev/null 2>&1
    bench_in_v1 "$pm_cmd rmi -af" >/dev/null 2>&1
    return 0
}

# bench_add_bins ROOTFS FILE...: host binaries with the libraries they link
# (ldd), copied under ROOTFS at the same paths
bench_add_bins() {
    local r=$1 f l
    shift
    for f; do
        cp -L --parents "$f" "$r"
        for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
            cp -L --parents "$l" "$r"
        done
    done
}

# bench_machine: one line describing this machine
bench_machine() {
    printf '%s; %s cores; %s GiB; kernel %s; load %s\n' \
        "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)" \
        "$(free -g | awk '/^Mem:/ {print $2}')" "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
