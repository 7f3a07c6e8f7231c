#!/bin/sh
# Runs inside the qemu guest (pure cgroup v2, busybox only): berth-runtime's
# v2 driver against the real kernel. Prints TAP; the last line says
# "v2: N passed, N failed".
R="/bin/berth-runtime --root /run/berth"
pass=0
fail=0
n=0

check() {
    n=$((n + 1))
    name=$1
    shift
    if "$@"; then
        echo "ok $n $name"
        pass=$((pass + 1))
    else
        echo "not ok $n $name"
        fail=$((fail + 1))
    fi
}

run_case() { # run_case NAME -> sets out and rc
    out=$($R run -b "/bundles/$1" "v2-$1" 2>&1)
    rc=$?
    echo "# $1: rc=$rc: $(echo "$out" | tr '\n' '|')"
}

run_case mem
check "memory.max is the limit" [ "$(echo "$out" | head -1)" = 33554432 ]
check "a hungry process is OOM-killed" [ "$rc" = 137 ]

run_case pids
check "pids.max is the limit" [ "$(echo "$out" | head -1)" = 8 ]
forked=$(echo "$out" | sed -n 2p | tr -dc 0-9)
check "a fork bomb stops below the pids limit" [ "${forked:-99}" -lt 8 ]

run_case cpu
check "cpu.max carries quota and period" [ "$(echo "$out" | sed -n 1p)" = "20000 100000" ]
check "cpu.weight is converted from shares" [ "$(echo "$out" | sed -n 2p)" = 39 ]
check "cpuset.cpus applies" [ "$(echo "$out" | sed -n 3p)" = 0 ]

run_case devices
check "the eBPF device filter allows /dev/null" [ "$(echo "$out" | sed -n 1p)" = ok ]
check "the eBPF device filter denies an unlisted device" [ "$(echo "$out" | sed -n 2p)" = EPERM ]

run_case cgns
check "the cgroup namespace is rooted at the container" [ "$(echo "$out" | sed -n 1p)" = "0::/" ]
check "cgroup2 is mounted inside" [ "$(echo "$out" | sed -n 2p)" = /sys/fs/cgroup/cgroup.procs ]

$R create -b /bundles/sleeper v2-life
pid=$($R state v2-life | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
check "create places the init with CLONE_INTO_CGROUP" \
    [ "$(cat /proc/$pid/cgroup 2>/dev/null)" = "0::/berth-v2-life" ]
$R start v2-life
$R kill --all v2-life KILL
i=0
while [ -d /proc/$pid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "kill --all empties the cgroup" [ ! -d /proc/$pid ]
$R delete v2-life
check "delete removes the cgroup" [ ! -d /sys/fs/cgroup/berth-v2-life ]
$R create -b /bundles/sleeper v2-force
$R delete --force v2-force
check "delete --force of a created container removes its cgroup" [ ! -d /sys/fs/cgroup/berth-v2-force ]
# The runner sits in a cgroup that may hold one process (itself): a child
# cloned there first and moved afterwards would be refused (EAGAIN); only
# one cloned straight into its own cgroup gets through.
mkdir /sys/fs/cgroup/v2-runner
echo 1 >/sys/fs/cgroup/v2-runner/pids.max
out=$(sh -c 'echo $$ >/sys/fs/cgroup/v2-runner/cgroup.procs &&
    exec /bin/berth-runtime --root /run/berth run -b /bundles/into v2-into' 2>&1)
echo "# into: $out"
check "the init is cloned straight into its cgroup (CLONE_INTO_CGROUP)" [ "$out" = "0::/" ]
rmdir /sys/fs/cgroup/v2-runner

run_case huge
check "hugepageLimits set hugetlb.2MB.max" [ "$out" = 4194304 ]
run_case swappy
check "memory.swappiness, which v2 lacks, is refused, named" \
    expr "$out" : ".*cannot honour 'linux.resources.memory.swappiness'" >/dev/null
run_case unsafe
check "network.classID, which v2 lacks, is refused, named" \
    expr "$out" : ".*cannot honour 'linux.resources.network.classID'" >/dev/null
run_case unified
check "resources.unified writes memory.high" [ "$(echo "$out" | sed -n 1p)" = 52428800 ]
check "resources.unified is written after pids.limit" [ "$(echo "$out" | sed -n 2p)" = 7 ]
run_case unifiedbad
check "a resources.unified key of no controller is refused, named" \
    expr "$out" : ".*'linux.resources.unified' key 'nosuch.file'" >/dev/null

# a user namespace (tests/integration/userns.bats on v1): the container's root
# owns its cgroup (delegated, as crun does) and can make a child cgroup
run_case uns
check "user namespace: /proc/self/uid_map shows the mapping" \
    [ "$(echo $(echo "$out" | sed -n 1p))" = "0 100000 65536" ]
check "user namespace: pids.max applies in its cgroup" [ "$(echo "$out" | sed -n 2p)" = 10 ]
check "user namespace: its root makes and enters a child cgroup" \
    [ "$(echo "$out" | sed -n 3p)" = "0::/sub" ]
forked=$(echo "$out" | sed -n 4p | tr -dc 0-9)
check "user namespace: a fork bomb stops below the pids limit" [ "${forked:-99}" -lt 10 ]
$R create -b /bundles/unssleeper v2-uns
$R start v2-uns
cg=/sys/fs/cgroup/berth-v2-uns
check "user namespace: the cgroup belongs to the mapped root" \
    [ "$(stat -c %u:%g $cg)$(stat -c %u $cg/cgroup.procs)" = "100000:100000100000" ]
check "user namespace: memory.max applies" [ "$(cat $cg/memory.max)" = 67108864 ]
out=$($R exec v2-uns cat /proc/self/uid_map /proc/self/cgroup 2>&1)
echo "# uns exec: $(echo "$out" | tr '\n' '|')"
check "user namespace: exec joins it, in the container's cgroup" \
    [ "$(echo $out)" = "0 100000 65536 0::/" ]
$R delete --force v2-uns
check "user namespace: delete removes its cgroup" [ ! -d $cg ]

# pause, resume, update and events on v2 (tests/integration/control.bats on v1)
status_of() {
    $R state "$1" | sed -n 's/.*"status": "\([a-z]*\)".*/\1/p'
}
$R create -b /bundles/sleeper v2-ctl
$R start v2-ctl
cg=/sys/fs/cgroup/berth-v2-ctl
$R pause v2-ctl
check "pause freezes the cgroup (cgroup.freeze)" [ "$(cat $cg/cgroup.freeze)" = 1 ]
check "a frozen container's state says paused" [ "$(status_of v2-ctl)" = paused ]
$R resume v2-ctl
check "resume thaws it" [ "$(cat $cg/cgroup.freeze)$(status_of v2-ctl)" = 0running ]
$R update --memory 48m --pids-limit 30 v2-ctl
check "update --memory changes memory.max" [ "$(cat $cg/memory.max)" = 50331648 ]
check "update --pids-limit changes pids.max" [ "$(cat $cg/pids.max)" = 30 ]
ev=$($R events --stats v2-ctl)
echo "# events: $(echo "$ev" | cut -c1-300)"
check "events --stats reads memory.current and memory.max" \
    expr "$ev" : '.*"usage":{"limit":50331648,"usage":[1-9]' >/dev/null
check "events --stats reads pids.current and pids.max" \
    expr "$ev" : '.*"pids":{"current":1,"limit":30}' >/dev/null
$R pause v2-ctl
$R kill v2-ctl KILL
i=0
while [ "$(status_of v2-ctl)" != stopped ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "kill KILL ends a paused container" [ "$(status_of v2-ctl)" = stopped ]
$R delete v2-ctl

rm -f /rootfs/tmp/v2-go /rootfs/tmp/v2-hog-rc
$R create -b /bundles/hog v2-hog
$R start v2-hog
$R update --memory 32m --memory-swap 32m v2-hog
$R events --interval 1s v2-hog >/tmp/v2-events 2>&1 &
evpid=$!
touch /rootfs/tmp/v2-go
i=0
while [ ! -s /rootfs/tmp/v2-hog-rc ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
check "update --memory: a process above the new limit is OOM-killed" \
    [ "$(cat /rootfs/tmp/v2-hog-rc 2>/dev/null)" = 137 ]
i=0
while ! grep -q '"type":"oom"' /tmp/v2-events && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "events reports the OOM kill (memory.events)" grep -q '"type":"oom"' /tmp/v2-events
$R delete --force v2-hog
i=0
while kill -0 $evpid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "events ends with the container" [ $i -lt 100 ]

# the device filter goes with the container, at once
before=$(berth-probe bpf-device-progs)
$R create -b /bundles/sleeper v2-prog
during=$(berth-probe bpf-device-progs)
$R delete --force v2-prog
after=$(berth-probe bpf-device-progs)
echo "# device programs: $before $during $after"
check "create attaches one device filter" [ "$during" = $((before + 1)) ]
check "delete detaches it" [ "$after" = "$before" ]

left=$(ls -d /sys/fs/cgroup/berth-* 2>/dev/null | wc -l)
check "no cgroup is left behind" [ "$left" = 0 ]

echo "1..$n"
echo "v2: $pass passed, $fail failed"
[ "$fail" = 0 ]
