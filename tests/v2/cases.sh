# The v2 lane's containers: NAME<TAB>jq filter applied to the base config
# (berth-runtime spec, terminal off). Sourced by scripts/v2-lane.sh on the
# host, where jq exists; the guest only sees the resulting bundles.
cases() {
    cat <<'EOT'
mem	.linux.resources.memory = {limit: 33554432} | .process.args = ["sh", "-c", "cat /sys/fs/cgroup/memory.max; exec berth-probe memhog 128"]
pids	.linux.resources.pids = {limit: 8} | .process.args = ["sh", "-c", "cat /sys/fs/cgroup/pids.max; berth-probe forkbomb 20"]
cpu	.linux.resources.cpu = {quota: 20000, period: 100000, shares: 1024, cpus: "0", mems: "0"} | .process.args = ["sh", "-c", "cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight /sys/fs/cgroup/cpuset.cpus"]
devices	.linux.devices = [{path: "/dev/kmsg2", type: "c", major: 1, minor: 11, fileMode: 438}] | .process.args = ["sh", "-c", "berth-probe open-write /dev/null; berth-probe open-write /dev/kmsg2"]
cgns	.process.args = ["sh", "-c", "cat /proc/self/cgroup; ls /sys/fs/cgroup/cgroup.procs"]
sleeper	.process.args = ["sleep", "1000"]
into	.linux.cgroupsPath = "/berth-v2-into" | .process.args = ["cat", "/proc/self/cgroup"]
huge	.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}] | .process.args = ["cat", "/sys/fs/cgroup/hugetlb.2MB.max"]
swappy	.linux.resources.memory = {swappiness: 10} | .process.args = ["true"]
unsafe	.linux.resources.network = {classID: 1048577} | .process.args = ["true"]
unified	.linux.resources.unified = {"memory.high": "52428800", "pids.max": "7"} | .linux.resources.pids = {limit: 100} | .process.args = ["cat", "/sys/fs/cgroup/memory.high", "/sys/fs/cgroup/pids.max"]
unifiedbad	.linux.resources.unified = {"nosuch.file": "1"} | .process.args = ["true"]
uns	.linux.namespaces += [{type: "user"}] | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.resources.pids = {limit: 10} | .mounts |= map(if .type == "cgroup" then .options -= ["ro"] else . end) | .process.args = ["sh", "-c", "cat /proc/self/uid_map; cat /sys/fs/cgroup/pids.max; mkdir /sys/fs/cgroup/sub && echo $$ >/sys/fs/cgroup/sub/cgroup.procs && cat /proc/self/cgroup; echo $$ >/sys/fs/cgroup/cgroup.procs; rmdir /sys/fs/cgroup/sub; berth-probe forkbomb 20"]
unssleeper	.linux.namespaces += [{type: "user"}] | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.resources.memory = {limit: 67108864} | .process.args = ["sleep", "1000"]
hog	.root.readonly = false | .process.args = ["sh", "-c", "while [ ! -e /tmp/v2-go ]; do sleep 0.1; done; berth-probe memhog 64 >/dev/null; echo $? >/tmp/v2-hog-rc; sleep 1000"]
EOT
}
