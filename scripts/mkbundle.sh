#!/bin/sh
# mkbundle.sh DIR [ARG...]: build an OCI bundle in DIR for the integration tests.
#
# DIR/rootfs gets the host's busybox-static with a symlink per applet, a minimal
# /etc (root and nobody), the usual mount points and, when $BERTH_PROBE names
# the static test helper, bin/berth-probe. DIR/config.json comes from
# "$BERTH_RUNTIME spec" with terminal=false and process.args set to the
# remaining arguments (default /bin/true). Running it again refreshes the
# config and only rebuilds the rootfs when busybox or the probe changed.
#
# Environment: BERTH_RUNTIME (runc-compatible runtime; default: the build
# tree's berth-runtime), BERTH_PROBE (optional), BERTH_BUSYBOX (/bin/busybox).
set -eu

die() {
    echo "mkbundle.sh: $*" >&2
    exit 1
}

[ $# -ge 1 ] || die "usage: mkbundle.sh DIR [ARG...]"
dir=$1
shift

srcdir=$(cd "$(dirname "$0")/.." && pwd)
runtime=${BERTH_RUNTIME:-$srcdir/build/src/runtime/berth-runtime}
busybox=${BERTH_BUSYBOX:-/bin/busybox}
probe=${BERTH_PROBE:-}

[ -x "$runtime" ] || command -v "$runtime" >/dev/null 2>&1 ||
    die "runtime '$runtime' not found (set BERTH_RUNTIME)"
[ -x "$busybox" ] || die "'$busybox' not found (install busybox-static)"
# A dynamic busybox would need the host's loader inside the rootfs.
if ldd "$busybox" >/dev/null 2>&1; then
    die "'$busybox' is dynamically linked (install busybox-static)"
fi
[ -z "$probe" ] || [ -f "$probe" ] || die "probe '$probe' not found (BERTH_PROBE)"
command -v jq >/dev/null 2>&1 || die "jq not found"

mkdir -p "$dir"
rootfs=$dir/rootfs
stamp=$rootfs/.berth-bundle-stamp
want=$(stat -L -c '%s %Y %i' "$busybox" ${probe:+"$probe"})

build_rootfs() {
    rm -rf "$rootfs"
    mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/root" "$rootfs/proc" "$rootfs/sys" \
        "$rootfs/dev" "$rootfs/tmp"
    chmod 1777 "$rootfs/tmp"
    chmod 0700 "$rootfs/root"
    cp "$busybox" "$rootfs/bin/busybox"
    for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
    done
    cat >"$rootfs/etc/passwd" <<'EOP'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOP
    cat >"$rootfs/etc/group" <<'EOG'
root:x:0:
nobody:x:65534:
EOG
    if [ -n "$probe" ]; then
        cp "$probe" "$rootfs/bin/berth-probe"
        chmod 0755 "$rootfs/bin/berth-probe"
    fi
    echo "$want" >"$stamp"
}

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    build_rootfs
fi

# "spec" refuses to overwrite an existing config.json.
rm -f "$dir/config.json"
"$runtime" spec --bundle "$dir" || die "'$runtime spec --bundle $dir' failed"
[ $# -gt 0 ] || set -- /bin/true
# jq 1.6 parses options even after --args, so each argument becomes --arg aN.
n=$#
i=0
for arg; do
    set -- "$@" --arg "a$i" "$arg"
    i=$((i + 1))
done
shift "$n"
jq --argjson n "$n" "$@" \
    '.process.terminal = false | .process.args = [range($n) as $i | $ARGS.named["a\($i)"]]' \
    "$dir/config.json" >"$dir/config.json.tmp" || die "cannot edit '$dir/config.json'"
mv "$dir/config.json.tmp" "$dir/config.json"
