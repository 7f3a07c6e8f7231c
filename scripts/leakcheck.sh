#!/bin/bash
# leakcheck.sh snapshot FILE | compare FILE
#
# Lists what a container runtime may leave behind on the host, one item per
# line under each key:
#   mounts        "MOUNTPOINT FSTYPE SOURCE" of each mount in our own mount
#                 namespace (/proc/self/mountinfo); a mount stacked twice on
#                 one point with the same type and source is two items
#   cgroups       every cgroup directory under /sys/fs/cgroup, any name, all
#                 hierarchies (v1 and v2)
#   netns_named   entries of /run/netns
#   netns         distinct network namespaces in use (/proc/*/ns/net)
#   pidns         distinct PID namespaces in use (/proc/*/ns/pid)
#   procs_other_pidns  "PID COMM" of each process in another PID namespace
#                 than this script's (container processes)
#   berth_procs   processes whose name (comm) starts with "berth"
#   berth_cgroup_procs  processes in a cgroup whose path contains "berth"
#   dir_procs     processes whose cwd or root lies under one of the
#                 directories in $BERTH_LEAKCHECK_DIRS (colon-separated;
#                 default: $TMPDIR or /tmp)
#   links         "NAME KIND" of each network link of the host's namespace
#                 (veths and bridges a test forgot)
#   nft_tables    "FAMILY NAME" of each nftables table of the host's namespace
#   devnodes      "TYPE PATH" of character (c) and block (b) device nodes
#                 outside /dev: in /tmp, /run, /var/tmp (where tests write) and the
#                 $BERTH_LEAKCHECK_DIRS directories, each on its own file
#                 system only (find -xdev); /proc, /sys and /dev are skipped
# "snapshot" records the items in FILE; "compare" lists them again and fails,
# naming per key each item that was not in the snapshot, when anything is new
# (a set difference: an item that went away cannot hide a new one). Other
# users of the machine can add items too (a cgroup, a container): take the
# snapshot right before the operation and compare right after.
set -euo pipefail
# sort and comm must agree on one collation.
export LC_ALL=C

die() {
    echo "leakcheck.sh: $*" >&2
    exit 2
}

# Fields 7.. of a mountinfo line are optional, up to a lone "-"; the file
# system type and the source follow it. Escapes (\040) keep fields whole.
items_mounts() {
    awk '{
        for (i = 7; i < NF && $i != "-"; i++)
            ;
        print $5 " " $(i + 1) " " $(i + 2)
    }' /proc/self/mountinfo
}

items_cgroups() {
    find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null || true
}

items_netns_named() {
    find /run/netns -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null || true
}

ns_links() {
    find /proc/[0-9]*/ns/"$1" -maxdepth 0 -printf '%l\n' 2>/dev/null | grep -v '^$' || true
}

items_netns() {
    ns_links net | sort -u
}

items_pidns() {
    ns_links pid | sort -u
}

# A zombie's ns link cannot be read: it is left out, like one already reaped.
items_procs_other_pidns() {
    local own
    own=$(readlink /proc/$$/ns/pid)
    find /proc/[0-9]*/ns/pid -maxdepth 0 -printf '%h %l\n' 2>/dev/null |
        awk -v own="$own" '
            $2 == "" || $2 == own { next }
            {
                pid = substr($1, 7, length($1) - 9)
                f = "/proc/" pid "/comm"
                if ((getline comm < f) > 0)
                    print pid " " comm
                close(f)
            }' || true
}

# comm, not argv[0]: it is what ps and top show.
items_berth_procs() {
    grep -s '^berth' /proc/[0-9]*/comm | grep -v "^/proc/$$/" || true
}

# Leaves out processes in our own cgroup: when the suite itself runs in a
# cgroup named berth-something, its short-lived helpers would count.
items_berth_cgroup_procs() {
    awk -v own="$(cat /proc/$$/cgroup)" '
        FNR == 1 && prev != "" { check(prev, text) }
        FNR == 1 { prev = FILENAME; text = "" }
        { text = text (FNR > 1 ? "\n" : "") $0 }
        END { if (prev != "") check(prev, text) }
        function check(f, t) { if (t ~ /berth/ && t != own) print f }
    ' /proc/[0-9]*/cgroup 2>/dev/null || true
}

# The directories of $BERTH_LEAKCHECK_DIRS, one a line.
leak_dirs() {
    local dir
    local -a dirlist
    IFS=: read -r -a dirlist <<<"${BERTH_LEAKCHECK_DIRS:-${TMPDIR:-/tmp}}"
    for dir in "${dirlist[@]}"; do
        [ -z "$dir" ] || printf '%s\n' "${dir%/}"
    done
}

items_dir_procs() {
    local dir
    local -a pats=()
    while IFS= read -r dir; do
        pats+=(-e " $dir/" -e " $dir\$")
    done < <(leak_dirs)
    [ ${#pats[@]} -gt 0 ] || return 0
    find /proc/[0-9]*/cwd /proc/[0-9]*/root -maxdepth 0 -printf '%h %l\n' 2>/dev/null |
        grep -v "^/proc/$$ " | grep "${pats[@]}" || true
}

# -xdev keeps find on each directory's own file system: what is mounted
# below it is in "mounts", and a container's /dev is its own. The test
# directories usually lie in /tmp, hence sort -u.
items_devnodes() {
    local dir
    { printf '%s\n' /tmp /run /var/tmp; leak_dirs; } | while IFS= read -r dir; do
        dir=$(realpath -m "$dir")
        case $dir/ in
        /proc/* | /sys/* | /dev/*) continue ;;
        esac
        [ -d "$dir" ] || continue
        find "$dir" -xdev \( -path /proc -o -path /sys -o -path /dev \) -prune \
            -o \( -type b -o -type c \) -printf '%y %p\n' 2>/dev/null || true
    done | sort -u
}

items_links() {
    ip -o -d link show 2>/dev/null | awk '{
        name = $2; sub(/:$/, "", name); sub(/@.*/, "", name)
        kind = "-"
        for (i = 3; i < NF; i++)
            if ($i == "veth" || $i == "bridge" || $i == "vxlan" || $i == "macvlan")
                kind = $i
        print name " " kind
    }' || true
}

items_nft_tables() {
    ! command -v nft >/dev/null || nft list tables 2>/dev/null | awk '{print $2 " " $3}' || true
}

KEYS=(mounts cgroups netns_named netns pidns procs_other_pidns berth_procs
    berth_cgroup_procs dir_procs links nft_tables devnodes)

snapshot() {
    local file=$1 key
    : >"$file"
    for key in "${KEYS[@]}"; do
        "items_$key" | sed "s|^|$key\t|" >>"$file"
    done
}

# One comparison; returns 1 (and reports when $2 is "report") if a key has
# items that the snapshot $1 lacks. Lines are "KEY<tab>ITEM", so one comm
# of the sorted files is the set difference of every key at once; sort
# without -u keeps a stacked mount a second item.
compare_once() {
    local old=$1 mode=$2 key n
    snapshot "$work/new"
    comm -13 <(sort "$old") <(sort "$work/new") >"$work/diff"
    [ -s "$work/diff" ] || return 0
    [ "$mode" = report ] || return 1
    for key in "${KEYS[@]}"; do
        awk -v k="$key" '
            { tab = index($0, "\t") }
            substr($0, 1, tab - 1) == k { print substr($0, tab + 1) }
        ' "$work/diff" >"$work/key"
        n=$(wc -l <"$work/key")
        [ "$n" -gt 0 ] || continue
        echo "leakcheck: $key: $n new item(s):" >&2
        sed 's/^/  /' "$work/key" >&2
    done
    return 1
}

# A container killed by the suite's last teardown may still be a zombie
# waiting for the host's init to reap it: give what is going away a few
# seconds before calling it a leak.
compare() {
    local old=$1
    [ -r "$old" ] || die "no snapshot '$old'"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    for _ in 1 2 3 4 5; do
        compare_once "$old" quiet && return 0
        sleep 1
    done
    compare_once "$old" report
}

[ $# -eq 2 ] || die "usage: leakcheck.sh snapshot|compare FILE"
# Our own working directory must not count as a process under the test dirs.
file=$(realpath -m "$2")
cd /
case $1 in
snapshot) snapshot "$file" ;;
compare) compare "$file" ;;
*) die "unknown command '$1' (snapshot or compare)" ;;
esac
