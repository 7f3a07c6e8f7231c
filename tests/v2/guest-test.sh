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
