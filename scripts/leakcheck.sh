#!/bin/bash
# leakcheck.sh snapshot FILE | compare FILE
#
# Counts what a container runtime may leave behind on the host:
#   mounts        lines of /proc/self/mountinfo
#   cgroups       directories under /sys/fs/cgroup whose name contains "berth"
#   netns_named   entries of /run/netns
#   netns         distinct network namespaces in use (/proc/*/ns/net)
#   pidns         distinct PID namespaces in use (/proc/*/ns/pid)
#   berth_procs   processes whose name starts with "berth"
#   berth_cgroup_procs  processes in a cgroup whose path contains "berth"
#   dir_procs     processes whose cwd or root lies under one of the
#                 directories in $BERTH_LEAKCHECK_DIRS (colon-separated;
#                 default: $TMPDIR or /tmp)
# "snapshot" records them (and the items behind them) in FILE; "compare"
# recounts and fails, naming each count that grew and its new items, when
# anything is left over. Other users of the machine can make counts grow too:
# take the snapshot right before the operation and compare right after.
set -euo pipefail

die() {
    echo "leakcheck.sh: $*" >&2
    exit 2
}

# Items are printed one per line; the count is the number of lines.
items_mounts() {
    awk '{ print $5 " " $9 " " $(NF - 1) }' /proc/self/mountinfo
}

items_cgroups() {
    find /sys/fs/cgroup -type d -iname '*berth*' 2>/dev/null || true
}

items_netns_named() {
    find /run/netns -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null || true
}

ns_links() {
    find /proc/[0-9]*/ns/"$1" -maxdepth 0 -printf '%l\n' 2>/dev/null || true
}

items_netns() {
    ns_links net | sort -u
}

items_pidns() {
    ns_links pid | sort -u
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

items_dir_procs() {
    local dirs=${BERTH_LEAKCHECK_DIRS:-${TMPDIR:-/tmp}} dir
    local -a pats=()
    IFS=: read -r -a dirlist <<<"$dirs"
    for dir in "${dirlist[@]}"; do
        [ -n "$dir" ] && pats+=(-e " ${dir%/}/" -e " ${dir%/}\$")
    done
    [ ${#pats[@]} -gt 0 ] || return 0
    find /proc/[0-9]*/cwd /proc/[0-9]*/root -maxdepth 0 -printf '%h %l\n' 2>/dev/null |
        grep -v "^/proc/$$ " | grep "${pats[@]}" || true
}

KEYS=(mounts cgroups netns_named netns pidns berth_procs berth_cgroup_procs dir_procs)

snapshot() {
    local file=$1 key
    : >"$file"
    for key in "${KEYS[@]}"; do
        "items_$key" | sed "s|^|$key\t|" >>"$file"
    done
}

count() {
    local file=$1 key=$2
    awk -F'\t' -v k="$key" '$1 == k { n++ } END { print n + 0 }' "$file"
}

# One comparison; returns 1 (and reports when $2 is "report") if a count grew.
compare_once() {
    local old=$1 mode=$2 key before after grown=0
    snapshot "$new"
    for key in "${KEYS[@]}"; do
        before=$(count "$old" "$key")
        after=$(count "$new" "$key")
        [ "$after" -gt "$before" ] || continue
        grown=1
        [ "$mode" = report ] || continue
        echo "leakcheck: $key grew from $before to $after; new:" >&2
        comm -13 <(awk -F'\t' -v k="$key" '$1 == k { print $2 }' "$old" | sort) \
            <(awk -F'\t' -v k="$key" '$1 == k { print $2 }' "$new" | sort) | sed 's/^/  /' >&2
    done
    return $grown
}

# A container killed by the suite's last teardown may still be a zombie
# waiting for the host's init to reap it: give what is going away a few
# seconds before calling it a leak.
compare() {
    local old=$1 try
    [ -r "$old" ] || die "no snapshot '$old'"
    new=$(mktemp)
    trap 'rm -f "$new"' EXIT
    for try in 1 2 3 4 5; do
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
