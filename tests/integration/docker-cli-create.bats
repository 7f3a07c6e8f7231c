#!/usr/bin/env bats
# The docker CLI's run/create options and `docker volume` against a private
# berthd (issue 13): every option berth honours works with the body the
# CLI really sends (its defaults included); the others fail naming the field.

load engine-helpers

setup_file() {
    docker_setup_file
}

setup() {
    docker_setup
}

@test "docker run with every option berth supports" {
    mkdir -p "$ENGINE_DIR/bind"
    echo from-host >"$ENGINE_DIR/bind/in"
    run -0 d run --rm --name "all-$BATS_TEST_NUMBER" -e A=1 -w /w -u root:nogroup --hostname h \
        --entrypoint sh -v "$ENGINE_DIR/bind:/b:ro" -v dvol:/c -v /anon \
        --mount type=tmpfs,dst=/t,tmpfs-size=1m --mount type=volume,src=dvol2,dst=/v2 \
        --mount "type=bind,src=$ENGINE_DIR/bind,dst=/bb,readonly" --tmpfs /t2:size=1m --read-only \
        --memory 64m --memory-reservation 32m --memory-swap 128m --cpus 0.5 --cpu-shares 512 \
        --cpuset-cpus 0 --cpuset-mems 0 --pids-limit 10 --stop-signal SIGUSR1 --stop-timeout 3 \
        --init --network host --label a=b --log-opt max-size=1m --shm-size 8m busybox \
        -c 'id -u; id -g; pwd; hostname; echo $A; cat /b/in /bb/in; echo x >/c/f; cat /proc/1/cmdline | tr "\0" " "; echo; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; df -k /dev/shm | tail -n 1 | awk "{ print \$2 }"'
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 65534 ]
    [ "${lines[2]}" = /w ]
    [ "${lines[3]}" = h ]
    [ "${lines[4]}" = 1 ]
    [ "${lines[5]}" = from-host ]
    [ "${lines[6]}" = from-host ]
    [[ "${lines[7]}" == "/sbin/docker-init -- sh -c"* ]]
    [ "${lines[8]}" = 67108864 ]
    [ "${lines[9]}" = 8192 ]
    [ "$(cat "$ENGINE_DIR/data/volumes/dvol/_data/f")" = x ]
    # --rm took the anonymous volume, not the named ones
    run -0 d volume ls -q
    [ "$(sort <<<"$output" | tr '\n' ' ')" = "dvol dvol2 " ]
    run -0 d volume rm dvol dvol2
}

@test "docker run: options berth does not support fail naming the field" {
    run -125 d run --rm --cpu-rt-runtime 100 busybox true
    [[ "$output" == *"HostConfig.CpuRealtimeRuntime is not supported by berth yet"* ]]
    run -125 d run --rm --oom-kill-disable busybox true
    [[ "$output" == *"HostConfig.OomKillDisable is not supported by berth yet"* ]]
    run -125 d run --rm --cgroup-parent x busybox true
    [[ "$output" == *"HostConfig.CgroupParent is not supported by berth yet"* ]]
    run -125 d run --rm --dns-option 'bad option' busybox true
    [[ "$output" == *"DnsOptions"* ]]
    run -125 d run --rm --memory-swappiness 10 busybox true
    [[ "$output" == *"HostConfig.MemorySwappiness is not supported by berth yet"* ]]
    run -125 d run --rm -v /x:/y:z busybox true
    [[ "$output" == *"(SELinux relabel) is not supported by berth yet"* ]]
    run -0 d ps -a -q
    [ -z "$output" ]
}

@test "docker run --pid, --ipc, --uts, --cgroupns, --group-add, --oom-score-adj, --device-cgroup-rule" {
    run -0 d run --rm --pid host --ipc host --uts host busybox sh -c \
        'for t in pid ipc uts; do readlink /proc/self/ns/$t; done; hostname'
    [ "${lines[0]}" = "$(readlink /proc/self/ns/pid)" ]
    [ "${lines[1]}" = "$(readlink /proc/self/ns/ipc)" ]
    [ "${lines[2]}" = "$(readlink /proc/self/ns/uts)" ]
    [ "${lines[3]}" = "$(hostname)" ]
    d run -d --name dshm --ipc shareable busybox sh -c 'echo hi >/dev/shm/x; sleep 1000'
    run -0 d run --rm --ipc container:dshm --pid container:dshm busybox sh -c 'cat /dev/shm/x; ps -o comm | grep -c sleep'
    [ "${lines[0]}" = hi ]
    [ "${lines[1]}" = 1 ]
    run -0 d inspect -f '{{.HostConfig.IpcMode}} {{.HostConfig.PidMode}}' dshm
    [ "$output" = "shareable " ]
    run -0 d run --rm --cgroupns host --group-add 1234 --oom-score-adj 300 \
        --device-cgroup-rule 'c 60:* rwm' --cap-add MKNOD busybox sh -c \
        'readlink /proc/self/ns/cgroup; id -G; cat /proc/self/oom_score_adj; mknod /tmp/u c 60 0; cat /tmp/u 2>&1; true'
    [ "${lines[0]}" = "$(readlink /proc/self/ns/cgroup)" ]
    [ "${lines[1]}" = "0 1234" ]
    [ "${lines[2]}" = 300 ]
    [[ "${lines[3]}" == *"No such device or address"* ]]
    run -125 d run --rm --ipc container:nosuch busybox true
    [[ "$output" == *"No such container: nosuch"* ]]
    d rm -f dshm
}

@test "docker stop uses --stop-signal and --stop-timeout; inspect shows them and Mounts" {
    run -0 d run -d --stop-signal SIGUSR1 --stop-timeout 1 -v dstop:/data busybox \
        sh -c 'trap "echo got USR1" USR1; trap "" TERM; echo ready; while :; do sleep 0.1; done'
    id=$output
    wait_for grep -q ready "$ENGINE_DIR/data/containers/$id/$id-json.log"
    run -0 d inspect --format '{{.Config.StopSignal}} {{.Config.StopTimeout}} {{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}' "$id"
    [ "$output" = "SIGUSR1 1 volume dstop /data" ]
    start=$(date +%s)
    run -0 d stop "$id"
    [ $(($(date +%s) - start)) -lt 5 ]
    run -0 d logs "$id"
    [[ "$output" == *"got USR1"* ]]
    run -0 d rm "$id"
    run -0 d volume rm dstop
}

@test "docker volume create, ls, inspect, rm (in use: refused), prune" {
    run -0 d volume create --label k=v dv
    [ "$output" = dv ]
    run -0 d volume inspect --format '{{.Name}} {{.Driver}} {{.Mountpoint}} {{.Labels.k}}' dv
    [ "$output" = "dv local $ENGINE_DIR/data/volumes/dv/_data v" ]
    run -0 d volume ls
    [[ "$output" == *"local"*"dv"* ]]
    run -0 d create -v dv:/d busybox true
    id=$output
    run -1 d volume rm dv
    [[ "$output" == *"volume is in use"* ]]
    run -0 d rm "$id"
    run -0 d volume prune -f
    [[ "$output" == *dv* ]]
    run -0 d volume ls -q
    [ -z "$output" ]
    run -1 d volume inspect dv
    [[ "$output" == *"no such volume"* ]]
    run -1 d volume create --driver other x
    [[ "$output" == *"volume driver 'other' is not supported"* ]]
}

@test "docker run -u with a name; bad values create nothing" {
    run -0 d run --rm -u nobody busybox id -un
    [ "$output" = nobody ]
    run -125 d run --rm -u nosuch busybox true
    [[ "$output" == *"unable to find user nosuch: no matching entries in passwd file"* ]]
    run -125 d run --rm --stop-signal FOO busybox true
    [[ "$output" == *"Invalid signal: FOO"* ]]
    run -0 d ps -a -q
    [ -z "$output" ]
}
