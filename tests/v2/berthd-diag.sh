#!/bin/sh
# Runs at the end of the berthd guest (busybox sh): prints, as "v2:" lines
# that scripts/v2-lane.sh shows, the berthd logs that tests/v2/engine-diag.bash
# kept, the reports of a sanitized build and, when anything went wrong,
# dmesg's lines on fatal signals (print-fatal-signals) and global OOM kills;
# sends the cores of /tmp/cores out on the third serial port, a gzipped tar
# in base64, for gdb on the host.
#   berthd-diag.sh RC: fails when a sanitizer reported anything
rc=$1
reports=0
sed 's/^/v2: /' /tmp/berthd-logs/usage 2>/dev/null
rm -f /tmp/berthd-logs/usage
kept=$(ls /tmp/berthd-logs 2>/dev/null)
cores=$(ls /tmp/cores 2>/dev/null)
# what the run used: pids (a wrap reuses numbers), memory, the tmpfs roots
echo "v2: last pid $(cat /proc/sys/kernel/ns_last_pid) of pid_max $(cat /proc/sys/kernel/pid_max);" \
    "$(grep -E 'MemAvailable' /proc/meminfo | tr -s ' ')"
df -k / /tmp | sed 's/^/v2:   /'
for f in $kept; do
    echo "v2: kept berthd log $f:"
    tail -60 "/tmp/berthd-logs/$f" | sed 's/^/v2:   /'
done
for f in /tmp/asan/*; do
    [ -f "$f" ] || continue
    echo "v2: sanitizer report $f:"
    head -80 "$f" | sed 's/^/v2:   /'
    reports=$((reports + 1))
done
if [ -n "$cores" ]; then
    # shellcheck disable=SC2086 # one line of names
    echo "v2: cores:" $cores
    # shellcheck disable=SC2086 # a list of names
    (cd /tmp/cores && tar cf - $cores | gzip -1 | base64) >/dev/ttyS2
fi
# the memory tests fill dmesg with their own (memcg) OOM kills: only what
# could be about berthd, the shims or the guest as a whole is shown
if [ "$rc" != 0 ] || [ -n "$cores" ] || [ -n "$kept" ] || [ "$reports" != 0 ]; then
    echo "v2: dmesg, the fatal signals, segfaults and global OOM kills:"
    dmesg | grep -E -A 14 'unexpected fatal signal|segfault at|traps:|general protection|^[[][ 0-9.]*[]] Out of memory' |
        grep -v -E '^[[][ 0-9.]*[]] +(\?|[a-z_]+\+0x)' | tail -60 | sed 's/^/v2:   /'
    echo "v2: dmesg tail:"
    dmesg | tail -8 | sed 's/^/v2:   /'
fi
[ "$reports" = 0 ]
