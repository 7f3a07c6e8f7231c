# Shared helpers of the integration tests: load them with `load helpers`.
#
#   BERTH_RUNTIME=build/src/runtime/berth-runtime \
#   BERTH_PROBE=build/tests/probe/berth-probe bats tests/integration/
#
# Environment (both required):
#   BERTH_RUNTIME  the runc-compatible runtime under test; runc works too (to
#                  check the tests themselves): tests of berth's own output
#                  and behaviour then skip
#   BERTH_PROBE    the static in-container helper (tests/probe/berth-probe)
#
# Every file calls berth_setup_file/berth_setup/berth_teardown (or uses the
# default setup_file/setup/teardown below). Each test gets:
#   ROOT     a private state root passed as --root
#   CID      a container id unique on this machine (contains "berth", so the
#            leak checks and the teardown can find what it left behind);
#            CID2 for a second container (further ones: "$CID-<suffix>")
#   BUNDLE   a private copy of the file's pristine bundle, cgroupsPath = $CID
#   TMP      a private scratch directory on the host
# and the teardown deletes (--force) every container under ROOT, stops the
# helper processes the test registered, undoes host mounts registered with
# host_mount and removes empty cgroup directories named after the test's ids.

bats_require_minimum_version 1.5.0

BERTH_SRCDIR=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MKBUNDLE=$BERTH_SRCDIR/scripts/mkbundle.sh
LEAKCHECK=$BERTH_SRCDIR/scripts/leakcheck.sh

# --- setup and teardown -------------------------------------------------------

berth_setup_file() {
    if [ -z "${BERTH_RUNTIME:-}" ] || ! command -v "$BERTH_RUNTIME" >/dev/null; then
        echo "BERTH_RUNTIME must name the runtime binary under test" >&2
        return 1
    fi
    if [ -z "${BERTH_PROBE:-}" ] || [ ! -x "$BERTH_PROBE" ]; then
        echo "BERTH_PROBE must name the static berth-probe binary" >&2
        return 1
    fi
    BERTH_RUNTIME=$(command -v "$BERTH_RUNTIME")
    export BERTH_RUNTIME
    # One tag per file keeps ids unique when several suites share the machine.
    BERTH_TAG=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
    export BERTH_TAG
    if "$BERTH_RUNTIME" --version 2>/dev/null | grep -qi berth; then
        export BERTH_IS_BERTH=1
    else
        export BERTH_IS_BERTH=0
    fi
    export PRISTINE=$BATS_FILE_TMPDIR/pristine
    "$MKBUNDLE" "$PRISTINE" /bin/true
}

berth_setup() {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
    ROOT=$BATS_TEST_TMPDIR/state
    TMP=$BATS_TEST_TMPDIR/tmp
    CID=berth-it-$BERTH_TAG-$BATS_TEST_NUMBER
    CID2=$CID-2
    BUNDLE=$BATS_TEST_TMPDIR/bundle
    mkdir -p "$TMP"
    make_bundle "$BUNDLE" "$CID"
    export BERTH_LEAKCHECK_DIRS=$BATS_TEST_TMPDIR
}

berth_teardown() {
    local id pid mnt
    # A failed test shows what its last `run` saw.
    if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${status:-}" ]; then
        echo "last run: status ${status}, output:"
        printf '%s\n' "${output:-}" | sed 's/^/  /'
        [ -z "${stderr:-}" ] || printf 'stderr:\n%s\n' "$stderr" | sed 's/^/  /'
    fi
    [ -n "${CID:-}" ] || return 0
    for id in $(rt list -q 2>/dev/null) $(cat "$BATS_TEST_TMPDIR/ids" 2>/dev/null); do
        rt delete --force "$id" >/dev/null 2>&1 || true
    done
    for pid in $(cat "$BATS_TEST_TMPDIR/pids" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -f "$BATS_TEST_TMPDIR/mounts" ]; then
        tac "$BATS_TEST_TMPDIR/mounts" | while read -r mnt; do
            umount -l "$mnt" 2>/dev/null || true
        done
    fi
    # A runtime that leaks its cgroups fails the leak tests; the teardown only
    # keeps the machine clean. Only empty directories go, deepest first.
    find /sys/fs/cgroup -depth -type d \( -name "$CID" -o -name "$CID-*" \) \
        -exec rmdir {} \; 2>/dev/null || true
}

setup_file() {
    berth_setup_file
}

setup() {
    berth_setup
}

teardown() {
    berth_teardown
}

# --- runtime kind ---------------------------------------------------------------

is_berth() {
    [ "$BERTH_IS_BERTH" = 1 ]
}

# Skips a test that checks berth's own output or behaviour where runc differs.
requires_berth() {
    is_berth || skip "berth-specific${1:+: $1}"
}

cgroup_v2_only() {
    [ -f /sys/fs/cgroup/cgroup.controllers ]
}

# --- bundles ------------------------------------------------------------------

# make_bundle DIR CGROUP: a private copy of the pristine bundle; the rootfs is
# copied too and writable (spec's default may be read-only), so tests may
# write into it.
make_bundle() {
    cp -a "$PRISTINE" "$1"
    update_config_of "$1" '.linux.cgroupsPath = $cg | .root.readonly = false' --arg cg "$2"
}

# update_config_of DIR JQ_EXPR [JQ_ARG...]: edit DIR/config.json in place.
update_config_of() {
    local dir=$1 expr=$2
    shift 2
    jq "$@" "$expr" "$dir/config.json" >"$dir/config.json.new"
    mv "$dir/config.json.new" "$dir/config.json"
}

update_config() {
    update_config_of "$BUNDLE" "$@"
}

# json_array ARG...: the arguments as a JSON array of strings (jq 1.6 would
# parse options such as "-c" even after --args).
json_array() {
    local named=() i=0 arg
    for arg; do
        named+=(--arg "a$i" "$arg")
        i=$((i + 1))
    done
    jq -cn --argjson n $# "${named[@]}" '[range($n) as $i | $ARGS.named["a\($i)"]]'
}

# set_args_of DIR ARG...: process.args.
set_args_of() {
    local dir=$1
    shift
    update_config_of "$dir" '.process.args = $a' --argjson a "$(json_array "$@")"
}

set_args() {
    set_args_of "$BUNDLE" "$@"
}

# set_cmd SCRIPT: process.args = /bin/sh -c SCRIPT.
set_cmd_of() {
    update_config_of "$1" '.process.args = ["/bin/sh", "-c", $script]' --arg script "$2"
}

set_cmd() {
    set_cmd_of "$BUNDLE" "$1"
}

# set_namespace_path DIR TYPE PATH: join an existing namespace instead of
# creating one.
set_namespace_path() {
    update_config_of "$1" \
        '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t, path: $p}])' \
        --arg t "$2" --arg p "$3"
}

remove_namespace() {
    update_config '.linux.namespaces = [.linux.namespaces[] | select(.type != $t)]' --arg t "$1"
}

add_namespace() {
    update_config '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t}])' \
        --arg t "$1"
}

# --- running the runtime ---------------------------------------------------------

# rt ARG...: the runtime with the test's private state root.
rt() {
    "$BERTH_RUNTIME" --root "$ROOT" "$@"
}

remember_id() {
    echo "$1" >>"$BATS_TEST_TMPDIR/ids"
}

# ctr_run [ID [BUNDLE]]: foreground run; use as `run ctr_run`. The container
# gets /dev/null as stdin.
ctr_run() {
    local id=${1:-$CID}
    remember_id "$id"
    rt run --bundle "${2:-$BUNDLE}" "$id" </dev/null
}

# The detached commands leave the container's stdout and stderr in
# $BATS_TEST_TMPDIR/ID.out and ID.err, never on bats' own descriptors (a
# background process holding them would hang bats).
detached() {
    local verb=$1 id=$2 bundle=$3
    shift 3
    remember_id "$id"
    if ! rt "$verb" "$@" --bundle "$bundle" "$id" </dev/null \
        >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" 3>&-; then
        echo "$verb $id failed:" >&2
        cat "$BATS_TEST_TMPDIR/$id.err" >&2
        return 1
    fi
}

# ctr_create [ID [BUNDLE [OPTION...]]]
ctr_create() {
    local id=${1:-$CID} bundle=${2:-$BUNDLE}
    shift $(($# > 2 ? 2 : $#))
    detached create "$id" "$bundle" "$@"
}

# ctr_run_detached [ID [BUNDLE [OPTION...]]]
ctr_run_detached() {
    local id=${1:-$CID} bundle=${2:-$BUNDLE}
    shift $(($# > 2 ? 2 : $#))
    detached run "$id" "$bundle" --detach "$@"
}

ctr_start() {
    rt start "${1:-$CID}" 3>&-
}

ctr_output() {
    cat "$BATS_TEST_TMPDIR/${1:-$CID}.out"
}

ctr_status() {
    rt state "${1:-$CID}" | jq -r .status
}

ctr_pid() {
    rt state "${1:-$CID}" | jq -r .pid
}

# Conditions for retry that read their values again at each try (a
# "$(...)" in retry's own arguments would be expanded once, before it).
# procs_empty FILE: the cgroup.procs FILE lists nothing (or is gone).
procs_empty() {
    [ -z "$(cat "$1" 2>/dev/null)" ]
}

# tree_procs DIR: the PIDs in every cgroup.procs under DIR.
tree_procs() {
    find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null
}

tree_empty() {
    [ -z "$(tree_procs "$1")" ]
}

# tree_more_than DIR N: more than N processes under DIR.
tree_more_than() {
    [ "$(tree_procs "$1" | wc -l)" -gt "$2" ]
}

# netns_differs PID: PID is in another network namespace than this shell.
netns_differs() {
    [ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]
}

# retry TRIES DELAY COMMAND...: run COMMAND until it succeeds.
retry() {
    local tries=$1 delay=$2 i
    shift 2
    for ((i = 0; i < tries; i++)); do
        "$@" && return 0
        sleep "$delay"
    done
    echo "gave up after $tries tries: $*" >&2
    return 1
}

status_is() {
    [ "$(ctr_status "$1" 2>/dev/null)" = "$2" ]
}

# wait_for_status ID STATUS: wait (up to 10 s) for the OCI status.
wait_for_status() {
    retry 200 0.05 status_is "$1" "$2"
}

output_has() {
    grep -q -- "$2" "$BATS_TEST_TMPDIR/$1.out" 2>/dev/null
}

# wait_for_output ID REGEX: wait (up to 10 s) until the detached container
# printed a line matching REGEX.
wait_for_output() {
    retry 200 0.05 output_has "$1" "$2"
}

# --- host-side helpers ----------------------------------------------------------

# bg_helper COMMAND...: start a host process in the background and register
# its PID for the teardown. Sets BG_PID.
bg_helper() {
    "$@" </dev/null >/dev/null 2>&1 3>&- &
    BG_PID=$!
    echo "$BG_PID" >>"$BATS_TEST_TMPDIR/pids"
}

# host_mount MOUNT_ARG... TARGET: mount on the host (below TMP only), undone
# by the teardown.
host_mount() {
    mount "$@"
    echo "${!#}" >>"$BATS_TEST_TMPDIR/mounts"
}

# cgroup_dir PID CONTROLLER: the directory of PID's cgroup in CONTROLLER's
# hierarchy (on a pure cgroup v2 host: its one cgroup); nothing when PID is
# in no cgroup of that controller.
cgroup_dir() {
    local pid=$1 ctrl=$2 path
    if cgroup_v2_only; then
        path=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
        echo "/sys/fs/cgroup$path"
        return
    fi
    path=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
        "/proc/$pid/cgroup")
    [ -n "$path" ] && echo "/sys/fs/cgroup/$ctrl$path"
}

# assert_one_line TEXT: berth's errors are one line on stderr.
assert_one_line() {
    if [ -z "$1" ] || [ "$(printf '%s\n' "$1" | wc -l)" -ne 1 ]; then
        echo "expected exactly one line, got: '$1'" >&2
        return 1
    fi
}

# refute COMMAND...: fail when COMMAND succeeds (bash's errexit ignores a
# plain `! COMMAND`).
refute() {
    ! "$@"
}

# Things the tests compare against, printed on failure.
assert_eq() {
    if [ "$1" != "$2" ]; then
        echo "expected '$2', got '$1'${3:+ ($3)}" >&2
        return 1
    fi
}

# second_bundle_in_created_pidns: creates the test's container (sleep 1000,
# its init still waiting for start), sets JOINED_PID to that init's pid and
# makes $TMP/b2 (id $CID2) a bundle that joins its PID namespace by path.
second_bundle_in_created_pidns() {
    set_args sleep 1000
    ctr_create
    JOINED_PID=$(ctr_pid)
    make_bundle "$TMP/b2" "$CID2"
    set_namespace_path "$TMP/b2" pid "/proc/$JOINED_PID/ns/pid"
}
