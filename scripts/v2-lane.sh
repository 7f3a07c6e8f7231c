#!/bin/bash
# scripts/v2-lane.sh: berth-runtime's cgroup v2 driver on a real pure-v2
# kernel. This host is a cgroup v1 hybrid, so the lane boots Debian's own
# kernel under qemu (TCG: KVM is unusable here, see ../shared/VM-NOTES.md)
# with cgroup_no_v1=all, from an initramfs holding a static berth-runtime,
# busybox, the probe and pre-made bundles, and runs tests/v2/guest-test.sh.
# The verdict comes back on a second serial port, not the console.
#
#   scripts/v2-lane.sh [core|engines|berthd]
#
# core (the default): guest-test.sh and the cgroup, control, exec, userns
# and checkpoint tests of tests/integration; engines: podman.bats and
# containerd.bats, Debian's podman and containerd driving berth-runtime;
# berthd: the engine's own tests (engine*.bats: berthd, berth-shim, the
# berth CLI) with the dynamic binaries of build-v2eng (or $BERTH_V2_ENGINE_BUILD)
# and the kernel's overlay module.
# The suites have their own guest dirs and may run side by side.
#
# berthd's diagnostics (tests/v2/engine-diag.bash, tests/v2/berthd-diag.sh):
# each file's berthd.log is kept past its teardown, with a line for a test
# after which berthd was gone; berthd's cores come out on a third serial
# port and get gdb's backtraces here; a sanitized build's reports (which
# fail the lane) and dmesg's fatal signals are printed. BERTH_V2_ONLY="engine-logs.bats ..." runs those
# files only, BERTH_V2_REPEAT=N runs them N times in one boot, and
# BERTH_V2_ENGINE_BUILD=$PWD/build-asan (scripts/build.sh build-asan
# -Db_sanitize=address,undefined -Db_lundef=false) a sanitized engine.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
suite=${1:-core}
case $suite in
core) mem=1024 ;;
engines) mem=3072 ;; # podman, containerd and their images live in the guest's tmpfs
berthd) mem=2048 ;;  # berthd's data roots (image store, upper dirs) live in the guest's tmpfs
*)
    echo "usage: scripts/v2-lane.sh [core|engines|berthd]" >&2
    exit 2
    ;;
esac
cache=${BERTH_V2_CACHE:-$src/build-v2/cache}
# BERTH_V2_TAG: a guest dir of its own, for two runs of one suite at once
work=$src/build-v2/guest-$suite${BERTH_V2_TAG:+-$BERTH_V2_TAG}
mkdir -p "$cache"

fetch_kernel() {
    [ -f "$cache/vmlinux" ] && [ -d "$cache/criu-ko" ] && [ -f "$cache/overlay-ko/overlay.ko" ] &&
        return 0
    local pkg deb off
    pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [ -n "$pkg" ] || { echo "v2-lane: cannot resolve the Debian kernel package" >&2; exit 1; }
    (cd "$cache" && apt-get download "$pkg" 2>/dev/null)
    deb=$(ls "$cache"/"$pkg"_*.deb | head -1)
    rm -rf "$cache/k" && dpkg-deb -x "$deb" "$cache/k"
    # qemu boots the uncompressed ELF through its PVH entry: under TCG the
    # bzImage's own xz decompressor costs seconds.
    off=$(LC_ALL=C grep -aobUP '\xfd7zXZ\x00' "$cache"/k/boot/vmlinuz-* | head -1 | cut -d: -f1)
    # xz complains about what follows the stream; the ELF check below is the test
    tail -c +$((off + 1)) "$cache"/k/boot/vmlinuz-* | xz -dc --single-stream >"$cache/vmlinux.tmp" ||
        true
    [ "$(head -c 4 "$cache/vmlinux.tmp" | od -An -c | tr -d ' ')" = 177ELF ] ||
        { echo "v2-lane: no ELF kernel in the bzImage" >&2; exit 1; }
    mv "$cache/vmlinux.tmp" "$cache/vmlinux"
    # criu (checkpoint.bats) needs the socket diag, nf_tables and conntrack
    # netlink modules, which Debian builds as modules
    mkdir -p "$cache/criu-ko" && find "$cache/k" \( -name '*_diag.ko' -o -name nf_tables.ko \
        -o -name nfnetlink.ko -o -name libcrc32c.ko -o -name crc32c_generic.ko \
        -o -name 'nf_conntrack*.ko' -o -name 'nf_defrag_ipv?.ko' \) \
        -exec cp {} "$cache/criu-ko/" \;
    # berthd's container roots are overlay mounts; overlay.ko needs nothing else
    mkdir -p "$cache/overlay-ko" && find "$cache/k" -name overlay.ko -exec cp {} "$cache/overlay-ko/" \;
    rm -rf "$cache/k" "$deb"
}

build_static() {
    [ -f build-v2/static/build.ninja ] ||
        meson setup build-v2/static -Dc_link_args=-static >/dev/null
    ninja -C build-v2/static src/runtime/berth-runtime tests/probe/berth-probe >/dev/null
}

# add_host_bins ROOT FILE...: host binaries with the libraries they link
add_host_bins() {
    local r=$1 f lib
    shift
    mkdir -p "$r/usr/bin"
    for f in "$@"; do
        cp "$f" "$r/usr/bin/"
        for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
            mkdir -p "$r$(dirname "$lib")" && cp -L "$lib" "$r$lib"
        done
    done
}

# add_bats ROOT BATS_FILE...: bash, jq and bats, and the given files of the
# integration suite with their helpers
add_bats() {
    local r=$1
    shift
    mkdir -p "$r/usr/lib" "$r/usr/libexec" "$r/src/tests/integration" "$r/src/scripts"
    # GNU find and realpath: scripts/leakcheck.sh needs -printf and -m
    add_host_bins "$r" /usr/bin/bash /usr/bin/jq /usr/bin/find /usr/bin/realpath
    ln -sf ../usr/bin/bash "$r/bin/bash"
    ln -sf ../../bin/busybox "$r/usr/bin/env"
    cp /usr/bin/bats "$r/usr/bin/"
    cp -a /usr/lib/bats-core "$r/usr/lib/" && cp -a /usr/libexec/bats-core "$r/usr/libexec/"
    cp tests/integration/helpers.bash "$@" "$r/src/tests/integration/"
    cp scripts/mkbundle.sh scripts/leakcheck.sh "$r/src/scripts/"
    cp build-v2/static/tests/probe/berth-probe "$r/bin/"
}

# core: the cgroup, control (pause, update, events), exec, userns and
# checkpoint tests; criu with iproute2's ip, GNU tar and gzip that it runs,
# and its kernel modules
add_core() {
    local r=$1
    add_host_bins "$r" /usr/sbin/criu /usr/sbin/ip /usr/bin/tar /bin/gzip
    add_bats "$r" tests/integration/cgroups.bats tests/integration/control.bats \
        tests/integration/exec.bats tests/integration/userns.bats tests/integration/checkpoint.bats
    mkdir -p "$r/lib/criu-ko" && cp "$cache"/criu-ko/*.ko "$r/lib/criu-ko/"
    cat >"$r/suite.sh" <<'EOI'
# criu: its modules, a loopback for its TCP repair probe
for m in crc32c_generic libcrc32c nfnetlink nf_tables nf_defrag_ipv4 nf_defrag_ipv6 \
    nf_conntrack nf_conntrack_netlink unix_diag netlink_diag af_packet_diag inet_diag tcp_diag \
    udp_diag raw_diag; do insmod /lib/criu-ko/$m.ko; done
ip link set lo up
sh /test.sh
rc=$?
echo "# cgroups.bats, control.bats, exec.bats, userns.bats and checkpoint.bats on pure cgroup v2"
BERTH_RUNTIME=/bin/berth-runtime BERTH_PROBE=/bin/berth-probe BERTH_BUSYBOX=/bin/busybox \
    TMPDIR=/tmp bats /src/tests/integration/cgroups.bats /src/tests/integration/control.bats \
    /src/tests/integration/exec.bats /src/tests/integration/userns.bats \
    /src/tests/integration/checkpoint.bats || rc=1
EOI
}

# engines: podman (with conmon), containerd (with its runc shim and ctr),
# umoci, GNU tar and script(1) for tests/integration/{podman,containerd}.bats
add_engines() {
    local r=$1
    add_host_bins "$r" /usr/bin/podman /usr/bin/conmon /usr/bin/containerd \
        /usr/bin/containerd-shim-runc-v2 /usr/bin/ctr /usr/bin/umoci /usr/bin/script /usr/bin/tar
    add_bats "$r" tests/integration/podman.bats tests/integration/containerd.bats
    mkdir -p "$r/etc/containers" "$r/var/tmp"
    cp /etc/containers/policy.json "$r/etc/containers/" 2>/dev/null || true
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
    printf 'root:x:0:\n' >"$r/etc/group"
    cat >"$r/suite.sh" <<'EOI'
echo "# podman.bats and containerd.bats on pure cgroup v2"
BERTH_RUNTIME=/bin/berth-runtime BERTH_PROBE=/bin/berth-probe BERTH_BUSYBOX=/bin/busybox \
    TMPDIR=/tmp bats /src/tests/integration/podman.bats /src/tests/integration/containerd.bats
rc=$?
EOI
}

# berthd: the engine (berthd, berth-shim, berth, berth-init) as built, with
# the libraries they link; curl and jq for engine-helpers.bash, procps' ps
# for `top`, pgrep and nice (the guest's busybox has neither), GNU date
# (logs --since parses RFC 3339 with nanoseconds), script(1) for the tty
# tests, runc and crun for --runtime, and overlay.ko. The embedded busybox
# image is built from the guest's /bin/busybox, the host's copy.
add_berthd() {
    local r=$1 b=${BERTH_V2_ENGINE_BUILD:-$src/build-v2eng} f
    for f in daemon/berthd shim/berth-shim cli/berth init/berth-init; do
        [ -x "$b/src/$f" ] || {
            echo "v2-lane: no $b/src/$f: scripts/build.sh ${b#"$src"/} first" >&2
            exit 1
        }
    done
    add_host_bins "$r" "$b/src/daemon/berthd" "$b/src/shim/berth-shim" "$b/src/cli/berth" \
        "$b/src/init/berth-init" /usr/bin/curl /usr/bin/ps /usr/bin/pgrep /usr/bin/nice \
        /usr/bin/date /usr/bin/script /usr/bin/crun /usr/bin/taskset
    # engine-memory.bats: BERTH_WORKLOADS=/usr/bin (static: no libraries);
    # berthd finds all three next to itself for the berth-workloads image
    add_host_bins "$r" "$b/tests/workloads/memory_hog" "$b/tests/workloads/cpu_hog" \
        "$b/tests/workloads/io_pulse" "$b/tests/workloads/stress"
    mkdir -p "$r/usr/sbin" && cp /usr/sbin/runc "$r/usr/sbin/"
    add_bats "$r" tests/integration/engine-helpers.bash tests/integration/engine.bats \
        tests/integration/engine-create.bats tests/integration/engine-ops.bats \
        tests/integration/engine-verbs.bats tests/integration/engine-logs.bats \
        tests/integration/engine-tty.bats tests/integration/engine-memory.bats \
        tests/integration/engine-limits.bats tests/integration/engine-events.bats \
        tests/integration/engine-security.bats tests/integration/engine-restart.bats \
        tests/integration/engine-placement.bats tests/integration/engine-gpu.bats
    mkdir -p "$r/lib/overlay-ko" "$r/etc" && cp "$cache/overlay-ko/overlay.ko" "$r/lib/overlay-ko/"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
    printf 'root:x:0:\n' >"$r/etc/group"
    # the diagnostics of a berthd that dies: every berthd.log a file's
    # teardown would delete is kept (tests/v2/engine-diag.bash), and
    # tests/v2/berthd-diag.sh reports them with berthd's cores and dmesg
    cat tests/v2/engine-diag.bash >>"$r/src/tests/integration/engine-helpers.bash"
    cp tests/v2/berthd-diag.sh "$r/berthd-diag.sh"
    # BERTH_V2_ONLY: a subset of the files; BERTH_V2_REPEAT: runs of them in one boot
    printf 'only="%s"\nrepeat=%s\n' "${BERTH_V2_ONLY:-engine.bats engine-create.bats \
engine-verbs.bats engine-logs.bats engine-tty.bats engine-ops.bats engine-memory.bats \
engine-limits.bats engine-events.bats engine-security.bats engine-restart.bats \
engine-placement.bats engine-gpu.bats}" \
        "${BERTH_V2_REPEAT:-1}" >"$r/suite.env"
    cat >"$r/suite.sh" <<'EOI'
insmod /lib/overlay-ko/overlay.ko
ip link set lo up 2>/dev/null
. /suite.env
echo "# the engine's own bats files (berthd) on pure cgroup v2: $only (x$repeat)"
# a berthd that dies by a signal leaves a core that berthd-diag.sh sends out
mkdir -p /tmp/cores /tmp/berthd-logs
echo '/tmp/cores/core.%e.%p.%s' >/proc/sys/kernel/core_pattern
ulimit -c unlimited
# a sanitized build (BERTH_V2_ENGINE_BUILD=build-asan): its reports, of the
# daemonized shim too, go to files that berthd-diag.sh prints; no leak check,
# whose exit status would change the CLI's
mkdir -p /tmp/asan
export ASAN_OPTIONS=detect_leaks=0:log_path=/tmp/asan/asan
export UBSAN_OPTIONS=print_stacktrace=1:log_path=/tmp/asan/ubsan
cd /src/tests/integration
rc=0
i=0
while [ "$i" -lt "$repeat" ]; do
    i=$((i + 1))
    [ "$repeat" -eq 1 ] || echo "# run $i of $repeat"
    # nice -20: the tests run in the root cgroup, where a task weighs 1024 against
    # a container cgroup's cpu.weight (the stats test's --cpu-shares 262144 is
    # weight 10000, 100 times that); under TCG that starves bats and berthd
    # shellcheck disable=SC2086 # $only is a list of files
    nice -n -20 env BERTHD=/usr/bin/berthd BERTH=/usr/bin/berth BERTH_SHIM=/usr/bin/berth-shim \
        BERTH_RUNTIME=/bin/berth-runtime BERTH_PROBE=/bin/berth-probe BERTH_BUSYBOX=/bin/busybox \
        BERTH_WORKLOADS=/usr/bin BERTH_DIAG_LOGS=/tmp/berthd-logs \
        TMPDIR=/tmp bats $only || rc=1
done
# a sanitizer's report fails the lane even where no test noticed it
sh /berthd-diag.sh "$rc" || rc=1
EOI
}

make_initramfs() {
    local base
    rm -rf "$work" && mkdir -p "$work/root/bin" "$work/root/bundles"
    local r=$work/root
    cp /bin/busybox "$r/bin/busybox"
    for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
    cp build-v2/static/src/runtime/berth-runtime "$r/bin/"
    BERTH_RUNTIME=$src/build-v2/static/src/runtime/berth-runtime \
        BERTH_PROBE=$src/build-v2/static/tests/probe/berth-probe \
        scripts/mkbundle.sh "$work/base" >/dev/null
    mv "$work/base/rootfs" "$r/rootfs"
    base=$work/base/config.json
    # shellcheck source=tests/v2/cases.sh
    . tests/v2/cases.sh
    while IFS=$'\t' read -r name filter; do
        mkdir -p "$r/bundles/$name"
        jq ".root.path = \"/rootfs\" | $filter" "$base" >"$r/bundles/$name/config.json"
    done < <(cases)
    cp tests/v2/guest-test.sh "$r/test.sh"
    "add_$suite" "$r"
    cat >"$r/init" <<'EOI'
#!/bin/sh
# pivot_root cannot leave the initramfs: move everything to a tmpfs first
mount -t proc proc /proc 2>/dev/null || { mkdir -p /proc && mount -t proc proc /proc; }
mkdir -p /dev /new && mount -t devtmpfs dev /dev
mount -t tmpfs -o size=2000m tmpfs /new
for d in bin usr lib lib64 etc var src bundles rootfs test.sh suite.sh suite.env berthd-diag.sh \
    stage2; do
    [ -e /$d ] && cp -a /$d /new/
done
exec switch_root /new /stage2
EOI
    cat >"$r/stage2" <<'EOI'
#!/bin/sh
export PATH=/usr/bin:/bin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
ln -sf /proc/self/fd /dev/fd
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
echo "+cpu +cpuset +io +memory +pids +hugetlb" >/sys/fs/cgroup/cgroup.subtree_control
# a /dev/ptmx and /dev/pts (terminals, criu), /dev/shm (podman's locks)
mkdir -p /dev/pts /dev/shm && mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
mount -t tmpfs tmpfs /dev/shm
. /suite.sh
echo "v2-lane-exit $rc" >/dev/ttyS1
poweroff -f
EOI
    chmod +x "$r/init" "$r/stage2" "$r/test.sh"
    (cd "$r" && find . | cpio -o -H newc --quiet) >"$work/initrd"
}

# backtraces: gdb's for each core the guest sent (tests/v2/berthd-diag.sh),
# against the very binaries and libraries the guest ran
backtraces() {
    local c exe
    [ -s "$work/cores.b64" ] || return 0
    rm -rf "$work/cores" && mkdir -p "$work/cores"
    tr -d '\r' <"$work/cores.b64" | base64 -d | tar xzf - -C "$work/cores" ||
        echo "v2-lane ($suite): the cores did not come out whole" >&2
    for c in "$work"/cores/core.*; do
        [ -f "$c" ] || continue
        exe=$(basename "$c" | cut -d. -f2)
        exe=$(find "$work/root/usr/bin" "$work/root/bin" -name "$exe" 2>/dev/null | head -1)
        echo "v2-lane ($suite): core $c of ${exe:-an unknown binary}:" >&2
        [ -n "$exe" ] && gdb -batch -nx -ex "set sysroot $work/root" -ex "set debuginfod enabled off" \
            -ex 'thread apply all bt full' "$exe" "$c" 2>&1 | tail -150 >&2
    done
}

boot() {
    rm -f "$work/status" "$work/console" "$work/cores.b64"
    # BERTH_V2_TIMEOUT: seconds for the whole guest (a busy host, a sanitized engine)
    timeout "${BERTH_V2_TIMEOUT:-1500}" qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64 \
        -machine pc -m "$mem" -smp 2 -nodefaults -no-reboot -display none \
        -kernel "$cache/vmlinux" -initrd "$work/initrd" \
        -append "console=ttyS0 rdinit=/init panic=-1 pci=noacpi cryptomgr.notests tsc=reliable no_timer_check audit=0 mitigations=off nokaslr cgroup_no_v1=all print-fatal-signals=1 quiet" \
        -serial "file:$work/console" -serial "file:$work/status" \
        -serial "file:$work/cores.b64" || true
}

# the kernel and the static build are shared by the suites: one at a time
exec 9>"$src/build-v2/.lock"
flock 9
fetch_kernel
build_static
flock -u 9
make_initramfs
start=$(date +%s)
boot
sed -n '/^ok \|^not ok \|^# \|^1\.\.\|^v2:/p' "$work/console" | sed 's/\r$//' || true
echo "v2-lane ($suite): $(($(date +%s) - start)) s in the guest"
status=$(tr -d '\r' <"$work/status" 2>/dev/null | awk '/v2-lane-exit/ {print $2}')
backtraces
if [ "$status" != 0 ]; then
    echo "v2-lane ($suite): FAILED (guest status '${status:-none}'); console tail:" >&2
    tail -30 "$work/console" >&2
    exit 1
fi
echo "v2-lane ($suite): passed"
