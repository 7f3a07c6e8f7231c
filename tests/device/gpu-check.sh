#!/bin/bash
# tests/device/gpu-check.sh [BUILD]: issue 17's check on a machine with a
# real NVIDIA GPU (the lent device machine; CI never runs it).
# tests/device/gpu-check.sh --bundle DIR [BUILD], here first: copies
# berthd, berth, berth-shim, berth-runtime and the shared libraries they
# need that the device lacks (all but glibc's own) into DIR (name it
# build-device: .gitignore's /build*/ keeps it out of git), so that
#   run(command="tests/device/gpu-check.sh build-device", carry=["build-device"])
# runs there; with DIR/lib present LD_LIBRARY_PATH points at it. A private
# berthd (its own socket and roots under a temp dir, no bridge) from
# BUILD (default build) then:
#   1. berth run --rm --gpus 1 ... nvidia-smi -L lists a GPU inside;
#   2. the GPU berth picked (inspect's Devices) is one nvidia-smi lists
#      on the host, and --gpus all sees all of them;
#   3. with every GPU taken by running containers, one more --gpus 1 is
#      refused with berth's message, and starts once one stops.
# The container is the embedded busybox image with the host's libraries
# bound in read-only (nvidia-smi is a glibc program; berth binds the
# driver's libraries, nodes and nvidia-smi itself). Prints each command
# and its output; exit 0 only if every check held. Removes all it made.
set -u
cd "$(dirname "$0")/../.." || exit 1
if [ "${1:-}" = --bundle ]; then
    [ -n "${2:-}" ] || { echo "usage: $0 --bundle DIR [BUILD]" >&2; exit 1; }
    out=$2 from=${3:-build}
    rm -rf "$out" && mkdir -p "$out/lib" || exit 1
    for f in daemon/berthd cli/berth shim/berth-shim runtime/berth-runtime; do
        mkdir -p "$out/src/$(dirname "$f")" && cp "$from/src/$f" "$out/src/$f" || exit 1
        ldd "$from/src/$f" 2>/dev/null | grep -o '/[^ ]*' | while read -r l; do
            case $(basename "$l") in
            libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) ;;
            # big, and on every Ubuntu with the same soname (ICU is libxml2's)
            libxml2.so.* | libicu*) ;;
            *) cp -L "$l" "$out/lib/" ;;
            esac
        done
    done
    echo "bundle: $out ($(du -sh "$out" | cut -f1)); carry it and run $0 $out"
    exit 0
fi
build=${1:-build}
bin=$PWD/$build/src
[ ! -d "$build/lib" ] || export LD_LIBRARY_PATH=$PWD/$build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
berthd=$bin/daemon/berthd berth=$bin/cli/berth
[ "$(id -u)" = 0 ] || { echo "gpu-check: needs root" >&2; exit 1; }
for f in "$berthd" "$berth" "$bin/shim/berth-shim" "$bin/runtime/berth-runtime"; do
    [ -x "$f" ] || { echo "gpu-check: $f is not built" >&2; exit 1; }
done
command -v nvidia-smi >/dev/null || { echo "gpu-check: no nvidia-smi on this host" >&2; exit 1; }
work=$(mktemp -d /tmp/berth-gpu.XXXXXX)
export BERTH_HOST=unix://$work/berthd.sock
pid=""
fail=0
cleanup() {
    "$berth" rm -f gc-a gc-b gc-c >/dev/null 2>&1
    [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
    umount -R "$work/exec" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
check() { # check WHAT CMD...: runs CMD, prints it and its output
    local what=$1 out rc
    shift
    echo "+ $*"
    out=$("$@" 2>&1)
    rc=$?
    [ -z "$out" ] || echo "$out" | sed 's/^/  /'
    if [ "$rc" = 0 ]; then echo "ok: $what"; else echo "FAILED ($rc): $what"; fail=1; fi
    REPLY=$out
    return "$rc"
}

echo "host: $(nvidia-smi -L | head -8)"
"$berthd" --bridge none -H "$BERTH_HOST" --data-root "$work/data" --exec-root "$work/exec" \
    --log-level info >"$work/berthd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do "$berth" version >/dev/null 2>&1 && break; sleep 0.1; done
libs=()
for d in /lib /lib64 /usr/lib /usr/lib64; do
    [ -d "$d" ] && libs+=(-v "$d:$d:ro")
done
[ -f /etc/ld.so.cache ] && libs+=(-v /etc/ld.so.cache:/etc/ld.so.cache:ro)
run=("$berth" run --network none "${libs[@]}")
ngpu=$(nvidia-smi -L | grep -c '^GPU ')

check "nvidia-smi -L inside a --gpus 1 container lists one GPU" \
    "${run[@]}" --rm --gpus 1 busybox nvidia-smi -L &&
    { [ "$(grep -c '^GPU ' <<<"$REPLY")" = 1 ] || { echo "FAILED: not one GPU"; fail=1; }; }
check "--gpus all sees the host's $ngpu" "${run[@]}" --rm --gpus all busybox nvidia-smi -L &&
    { [ "$(grep -c '^GPU ' <<<"$REPLY")" = "$ngpu" ] || { echo "FAILED: not $ngpu GPUs"; fail=1; }; }

# take every GPU, one container each, then one more
names=()
for n in gc-a gc-b gc-c; do
    [ "${#names[@]}" -lt "$ngpu" ] || break
    names+=("$n")
    check "$n takes a GPU" "${run[@]}" -d --name "$n" --gpus 1 busybox sleep 600
    check "$n's GPU in inspect (Devices.Gpus)" "$berth" inspect "$n"
    uuid=$(grep -o 'GPU-[0-9a-fA-F-]*' <<<"$REPLY" | head -1)
    if [ -z "$uuid" ] || ! nvidia-smi -L | grep -qF "$uuid"; then
        echo "FAILED: inspect's UUID '$uuid' is not one nvidia-smi lists on the host"
        fail=1
    fi
done
if [ "${#names[@]}" = "$ngpu" ]; then
    echo "+ ${run[*]} --rm --gpus 1 busybox true   (every GPU taken: refused)"
    if out=$("${run[@]}" --rm --gpus 1 busybox true 2>&1); then
        echo "FAILED: a --gpus 1 container started with every GPU taken"; fail=1
    else
        echo "  $out"; echo "ok: refused while every GPU is taken"
    fi
    "$berth" rm -f "${names[0]}" >/dev/null
    check "--gpus 1 starts once one stops" "${run[@]}" --rm --gpus 1 busybox nvidia-smi -L
fi
"$berth" rm -f "${names[@]}" >/dev/null 2>&1
[ "$fail" = 0 ] && echo "gpu-check: all held" || { echo "gpu-check: FAILED; berthd's log:"; tail -20 "$work/berthd.log"; }
exit "$fail"
