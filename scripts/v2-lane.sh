#!/bin/bash
# scripts/v2-lane.sh: berth-runtime's cgroup v2 driver on a real pure-v2
# kernel. This host is a cgroup v1 hybrid, so the lane boots Debian's own
# kernel under qemu (TCG: KVM is unusable here, see ../shared/VM-NOTES.md)
# with cgroup_no_v1=all, from an initramfs holding a static berth-runtime,
# busybox, the probe and pre-made bundles, and runs tests/v2/guest-test.sh.
# The verdict comes back on a second serial port, not the console.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
cache=${BERTH_V2_CACHE:-$src/build-v2/cache}
work=$src/build-v2/guest
mkdir -p "$cache"

fetch_kernel() {
    [ -f "$cache/vmlinux" ] && return 0
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
    rm -rf "$cache/k" "$deb"
}

build_static() {
    [ -f build-v2/static/build.ninja ] ||
        meson setup build-v2/static -Dc_link_args=-static >/dev/null
    ninja -C build-v2/static src/runtime/berth-runtime tests/probe/berth-probe >/dev/null
}

# bash, jq and bats with the libraries they link, and the cgroup tests of
# the integration suite: the guest runs the cgroup, control (pause, update,
# events) and exec tests of tests/integration too.
add_bats() {
    local r=$1 f lib
    mkdir -p "$r/usr/bin" "$r/usr/lib" "$r/usr/libexec" "$r/src/tests" "$r/src/scripts"
    # GNU find and realpath: scripts/leakcheck.sh needs -printf and -m
    for f in /usr/bin/bash /usr/bin/jq /usr/bin/find /usr/bin/realpath; do
        cp "$f" "$r/usr/bin/"
        for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
            mkdir -p "$r$(dirname "$lib")" && cp -L "$lib" "$r$lib"
        done
    done
    ln -sf ../usr/bin/bash "$r/bin/bash"
    ln -sf ../../bin/busybox "$r/usr/bin/env"
    cp /usr/bin/bats "$r/usr/bin/"
    cp -a /usr/lib/bats-core "$r/usr/lib/" && cp -a /usr/libexec/bats-core "$r/usr/libexec/"
    mkdir -p "$r/src/tests/integration"
    cp tests/integration/helpers.bash tests/integration/cgroups.bats \
        tests/integration/control.bats tests/integration/exec.bats "$r/src/tests/integration/"
    cp scripts/mkbundle.sh scripts/leakcheck.sh "$r/src/scripts/"
    cp build-v2/static/tests/probe/berth-probe "$r/bin/"
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
    add_bats "$r"
    cat >"$r/init" <<'EOI'
#!/bin/sh
# pivot_root cannot leave the initramfs: move everything to a tmpfs first
mount -t proc proc /proc 2>/dev/null || { mkdir -p /proc && mount -t proc proc /proc; }
mkdir -p /dev /new && mount -t devtmpfs dev /dev
mount -t tmpfs -o size=256m tmpfs /new
for d in bin usr lib lib64 src bundles rootfs test.sh stage2; do
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
sh /test.sh
rc=$?
echo "# cgroups.bats, control.bats and exec.bats on pure cgroup v2"
BERTH_RUNTIME=/bin/berth-runtime BERTH_PROBE=/bin/berth-probe BERTH_BUSYBOX=/bin/busybox \
    TMPDIR=/tmp bats /src/tests/integration/cgroups.bats /src/tests/integration/control.bats \
    /src/tests/integration/exec.bats || rc=1
echo "v2-lane-exit $rc" >/dev/ttyS1
poweroff -f
EOI
    chmod +x "$r/init" "$r/stage2" "$r/test.sh"
    (cd "$r" && find . | cpio -o -H newc --quiet) >"$work/initrd"
}

boot() {
    rm -f "$work/status" "$work/console"
    timeout 600 qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64 -machine pc -m 1024 \
        -smp 2 -nodefaults -no-reboot -display none \
        -kernel "$cache/vmlinux" -initrd "$work/initrd" \
        -append "console=ttyS0 rdinit=/init panic=-1 pci=noacpi cryptomgr.notests tsc=reliable no_timer_check audit=0 mitigations=off nokaslr cgroup_no_v1=all quiet" \
        -serial "file:$work/console" -serial "file:$work/status" || true
}

fetch_kernel
build_static
make_initramfs
start=$(date +%s)
boot
sed -n '/^ok \|^not ok \|^# \|^1\.\.\|^v2:/p' "$work/console" | sed 's/\r$//' || true
echo "v2-lane: $(($(date +%s) - start)) s in the guest"
status=$(tr -d '\r' <"$work/status" 2>/dev/null | awk '/v2-lane-exit/ {print $2}')
if [ "$status" != 0 ]; then
    echo "v2-lane: FAILED (guest status '${status:-none}'); console tail:" >&2
    tail -30 "$work/console" >&2
    exit 1
fi
echo "v2-lane: passed"
