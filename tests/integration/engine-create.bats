#!/usr/bin/env bats
# run's and create's options (issue 13) through berth -> berthd -> shim,
# each checked from inside the container; the create body's allow-list;
# volumes and `berth volume`; --rootfs; --init.

load engine-helpers

# shims_are N: N shims of this file's berthd run now (re-read at each try)
shims_are() { [ "$(engine_shim_pids | wc -l)" = "$1" ]; }

@test "allow-list: a set field berth does not honour is refused by name, unset ones pass" {
    run -0 api POST /containers/create '{"Image":"busybox","Cmd":["true"],"HostConfig":{"OomKillDisable":true}}'
    [[ "$output" == *'"message":"HostConfig.OomKillDisable is not supported by berth yet"'* ]]
    [[ "$output" == *"HTTP 400" ]]
    run -0 api POST /containers/create '{"Image":"busybox","Cmd":["true"],"OnBuild":["RUN true"]}'
    [[ "$output" == *'"message":"OnBuild is not supported by berth yet"'* ]]
    run -0 api POST /containers/create '{"Image":"busybox","Cmd":["true"],"HostConfig":{"RestartPolicy":{"Name":"alway"}}}'
    [[ "$output" == *"invalid restart policy: unknown policy 'alway'"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","Cmd":["true"],"HostConfig":{"MemorySwappiness":10}}'
    [[ "$output" == *"HostConfig.MemorySwappiness is not supported by berth yet"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","Cmd":["true"],"NetworkingConfig":{"EndpointsConfig":{"x":{"IPAddress":"10.0.0.2"}}}}'
    [[ "$output" == *"NetworkingConfig.EndpointsConfig names network 'x', not the container's network 'default'"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    # the defaults the docker CLI sends are unset and pass
    run -0 api POST /containers/create '{"Image":"busybox","Cmd":["true"],"Domainname":"","AttachStdout":true,"AttachStderr":true,"OnBuild":null,"Volumes":{},"ExposedPorts":{},"NetworkingConfig":{"EndpointsConfig":{"default":{"Aliases":null,"IPAddress":"","IPPrefixLen":0}}},"HostConfig":{"ShmSize":0,"CapAdd":null,"ConsoleSize":[0,0],"Isolation":"","CgroupnsMode":"","OomScoreAdj":0,"MemorySwappiness":-1,"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"LogConfig":{"Type":"","Config":{}},"PortBindings":{},"Ulimits":[],"Privileged":false}}'
    [[ "$output" == *"HTTP 201" ]]
}

@test "--shm-size sizes /dev/shm (64 MiB by default); a negative size is refused" {
    run -0 "$BERTH" run --rm --shm-size 8m busybox sh -c 'df -k /dev/shm | tail -n 1'
    [ "$(awk '{ print $2 }' <<<"$output")" = 8192 ]
    run -0 "$BERTH" run --rm busybox sh -c 'df -k /dev/shm | tail -n 1'
    [ "$(awk '{ print $2 }' <<<"$output")" = 65536 ]
    run -0 api POST /containers/create '{"Image":"busybox","Cmd":["true"],"HostConfig":{"ShmSize":-1}}'
    [[ "$output" == *'"message":"SHM size can not be less than 0"'* ]]
    run -125 "$BERTH" run --rm --shm-size lots busybox true
    [[ "$output" == *"--shm-size"* ]]
}

@test "-w (created when missing), -u, --hostname, -e, --env-file, --entrypoint" {
    printf 'FROM_FILE=yes\n# a comment\n\nPASSED\n' >"$ENGINE_DIR/envfile"
    PASSED=through BARE=too run -0 "$BERTH" run --rm -w /new/dir -u 1234:5678 --hostname box \
        -e A=1 -e BARE -e UNSET_HERE --env-file "$ENGINE_DIR/envfile" --entrypoint sh busybox \
        -c 'pwd; id -u; id -g; hostname; echo "$A $FROM_FILE $PASSED $BARE ${UNSET_HERE-unset}"'
    [ "$output" = "$(printf '/new/dir\n1234\n5678\nbox\n1 yes through too unset')" ]
}

@test "-u NAME[:GROUP] from the container's /etc/passwd and /etc/group" {
    run -0 "$BERTH" run --rm -u nobody busybox id
    [ "$output" = "uid=65534(nobody) gid=65534(nogroup)" ]
    run -0 "$BERTH" run --rm -u nobody:root busybox id -g
    [ "$output" = 0 ]
    run -0 "$BERTH" run --rm -u 0:nogroup busybox id -g
    [ "$output" = 65534 ]
    run -0 "$BERTH" run --rm -u 4321 busybox id
    [ "$output" = "uid=4321 gid=0(root)" ]
    run -125 "$BERTH" run --rm -u nosuchuser busybox true
    [ "$output" = "berth: unable to find user nosuchuser: no matching entries in passwd file" ]
    run -125 "$BERTH" run --rm -u nobody:nosuchgroup busybox true
    [[ "$output" == *"unable to find group nosuchgroup: no matching entries in group file"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "-u: supplementary groups from /etc/group, as docker; a symlinked passwd cannot leave the image" {
    dir=$(make_rootfs)
    printf 'wheel:x:10:root,nobody\nstaff:x:50:nobody\n' >>"$dir/etc/group"
    run -0 "$BERTH" run --rm --rootfs "$dir" -u nobody id -G
    [ "$output" = "65534 10 50" ]
    # an explicit group drops them, as docker
    run -0 "$BERTH" run --rm --rootfs "$dir" -u nobody:staff id -G
    [ "$output" = "50" ]
    # /etc/passwd -> the host's file: resolved inside the rootfs, so not found
    mkdir -p "$ENGINE_DIR/hostetc"
    echo 'evil:x:4242:4242::/:/bin/sh' >"$ENGINE_DIR/hostetc/passwd"
    rm "$dir/etc/passwd"
    ln -s "$ENGINE_DIR/hostetc/passwd" "$dir/etc/passwd"
    run -125 "$BERTH" run --rm --rootfs "$dir" -u evil id
    [[ "$output" == *"unable to find user evil"* ]]
}

# cgroup v2: the container's cgroup is its namespace's /sys/fs/cgroup; the
# reservation is memory.low, --memory-swap less --memory is memory.swap.max,
# --cpu-shares 512 is cpu.weight 20 (1 + (512 - 2) * 9999 / 262142)
cgroup_limits_v2() {
    run -0 "$BERTH" run --rm --memory 64m --memory-reservation 32m --memory-swap 128m --cpus 0.5 \
        --cpu-shares 512 --cpuset-cpus 0 --cpuset-mems 0 --pids-limit 10 busybox sh -c '
        cd /sys/fs/cgroup; cat memory.max memory.low memory.swap.max cpu.max cpu.weight \
        cpuset.cpus cpuset.mems pids.max'
    [ "$output" = "$(printf '67108864\n33554432\n67108864\n50000 100000\n20\n0\n0\n10')" ]
    run -0 "$BERTH" run --rm --memory 64m --memory-swap -1 busybox cat /sys/fs/cgroup/memory.swap.max
    [ "$output" = max ]
    run -0 "$BERTH" run --rm --memory 64m busybox cat /sys/fs/cgroup/memory.swap.max
    [ "$output" = 67108864 ]
}

@test "--memory, --memory-reservation, --memory-swap, --cpus, --cpu-shares, --cpuset-*, --pids-limit in the cgroup" {
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        cgroup_limits_v2
        return
    fi
    [ -d /sys/fs/cgroup/memory ] || skip "cgroup v1 files expected"
    run -0 "$BERTH" run --rm --memory 64m --memory-reservation 32m --memory-swap 128m --cpus 0.5 \
        --cpu-shares 512 --cpuset-cpus 0 --cpuset-mems 0 --pids-limit 10 busybox sh -c '
        cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes \
        memory/memory.memsw.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us \
        cpu/cpu.shares cpuset/cpuset.cpus cpuset/cpuset.mems pids/pids.max'
    [ "$output" = "$(printf '67108864\n33554432\n134217728\n50000\n100000\n512\n0\n0\n10')" ]
    # docker: -1 is unlimited swap; unset swap with a limit is as much again
    run -0 "$BERTH" run --rm --memory 64m --memory-swap -1 busybox cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes
    [ "$output" -gt 1000000000000 ]
    run -0 "$BERTH" run --rm --memory 64m busybox cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes
    [ "$output" = 134217728 ]
}

@test "--blkio-weight: in the cgroup, or refused where the kernel has no weight" {
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        # v2: io.weight (iocost, v2's range) or io.bfq.weight, else refused by name
        run "$BERTH" run --rm --blkio-weight 300 busybox sh -c \
            'cat /sys/fs/cgroup/io.bfq.weight 2>/dev/null || cat /sys/fs/cgroup/io.weight'
        if [ "$status" -eq 0 ]; then
            # BFQ keeps v1's 300; iocost's 1 + (300 - 10) * 9999 / 990
            [[ "$output" == "default 300"* || "$output" == "default 2930"* ]]
        else
            [[ "$output" == *"neither 'io.weight' nor 'io.bfq.weight' exists"* ]]
        fi
    elif [ -f /sys/fs/cgroup/blkio/blkio.weight ]; then
        run -0 "$BERTH" run --rm --blkio-weight 300 busybox cat /sys/fs/cgroup/blkio/blkio.weight
        [ "$output" = 300 ]
    else
        run -125 "$BERTH" run --rm --blkio-weight 300 busybox true
        [[ "$output" == *"--blkio-weight is not supported on this host"* ]]
    fi
    run -125 "$BERTH" run --rm --blkio-weight 5 busybox true
    [[ "$output" == *"Range of blkio weight is from 10 to 1000"* ]]
}

@test "bad values exit 125 with one line and create nothing" {
    run -125 "$BERTH" run --rm --memory 12XB busybox true
    [ "$output" = "berth: invalid value '12XB' for --memory: a size (512m, 1g) expected" ]
    run -125 "$BERTH" run --rm --cpus -1 busybox true
    [ "$output" = "berth: invalid value '-1' for --cpus: a positive number of CPUs expected" ]
    run -125 "$BERTH" create --cpu-shares x busybox true
    [ "$output" = "berth: invalid value 'x' for --cpu-shares: a non-negative integer expected" ]
    run -125 "$BERTH" run --rm --stop-signal FOO busybox true
    [ "$output" = "berth: invalid value 'FOO' for --stop-signal: a signal name or number expected" ]
    run -125 "$BERTH" run --rm --name a/b busybox true
    [[ "$output" == *"Invalid container name (a/b)"* ]]
    run -125 "$BERTH" run --rm --memory 64m --memory-swap 32m busybox true
    [[ "$output" == *"Minimum memoryswap limit should be larger than memory limit"* ]]
    run -125 "$BERTH" run --rm --memory 32m --memory-reservation 64m busybox true
    [[ "$output" == *"memory reservation"* ]]
    run -125 "$BERTH" run --rm --cpus 100000 busybox true
    [[ "$output" == *"Range of CPUs is from 0.01 to"* ]]
    run -125 "$BERTH" run --rm -v novol:/x --mount type=bind,src=/nonexistent-$$,dst=/y busybox true
    [[ "$output" == *'bind source path does not exist: /nonexistent-'* ]]
    [ "$(wc -l <<<"$output")" = 1 ]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    run -0 "$BERTH" volume ls -q
    [ -z "$output" ]
}

@test "--read-only: the rootfs refuses writes, volumes and tmpfs do not" {
    run -1 "$BERTH" run --rm --read-only busybox touch /x
    [[ "$output" == *"Read-only file system"* ]]
    run -0 "$BERTH" run --rm --read-only -v /data --tmpfs /tmp busybox sh -c 'touch /data/x /tmp/y && echo ok'
    [ "$output" = ok ]
}

@test "--stop-signal and --stop-timeout drive stop and show in inspect" {
    run -0 "$BERTH" run -d --stop-signal SIGUSR1 --stop-timeout 7 busybox \
        sh -c 'trap "echo got USR1; exit 5" USR1; echo ready; while :; do sleep 0.1; done'
    id=$output
    run -0 "$BERTH" inspect "$id"
    [ "$(jq -r '.[0].Config.StopSignal' <<<"$output")" = SIGUSR1 ]
    [ "$(jq -r '.[0].Config.StopTimeout' <<<"$output")" = 7 ]
    wait_for grep -q ready "$ENGINE_DIR/data/containers/$id/$id-json.log"
    run -0 "$BERTH" stop "$id"
    run -0 "$BERTH" logs "$id"
    [[ "$output" == *"got USR1"* ]]
    [ "$(jq -r '.[0].State.ExitCode' <<<"$("$BERTH" inspect "$id")")" = 5 ]
    # a container that ignores its stop signal is killed after ITS timeout
    run -0 "$BERTH" run -d --stop-timeout 1 busybox sh -c 'trap "" TERM; while :; do sleep 0.1; done'
    id=$output
    start=$(date +%s)
    run -0 "$BERTH" stop "$id"
    # well under the default 10 s timeout (a qemu guest beside a busy host
    # once took 5 s for the signal, the exit and the shim's teardown)
    [ $(($(date +%s) - start)) -lt 9 ]
}

@test "--init: PID 1 is docker-init, it reaps orphans, stop ends it with SIGTERM" {
    run -0 "$BERTH" run --rm --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "'
    [ "$output" = "/sbin/docker-init -- sh -c cat /proc/1/cmdline | tr \"\\0\" \" \" " ]
    # an orphan reparented to PID 1 exits: init reaps it; a sleep as PID 1 does not
    for init in --init ""; do
        run -0 "$BERTH" run -d $init busybox sh -c 'sh -c "sleep 0.1 & exit 0"; exec sleep 600'
        id=$output
        sleep 1
        run -0 "$BERTH" exec "$id" sh -c 'cat /proc/[0-9]*/stat | awk "\$3 == \"Z\"" | wc -l'
        [ "$output" = "$([ -n "$init" ] && echo 0 || echo 1)" ]
        "$BERTH" rm -f "$id"
    done
    run -0 "$BERTH" run -d --init busybox sleep 600
    id=$output
    start=$(date +%s)
    run -0 "$BERTH" stop "$id"
    # well under the default 10 s timeout (a qemu guest beside a busy host
    # once took 5 s for the signal, the exit and the shim's teardown)
    [ $(($(date +%s) - start)) -lt 9 ]
    [ "$(jq -r '.[0].State.ExitCode' <<<"$("$BERTH" inspect "$id")")" = 143 ]
}

@test "-v host binds: rw seen from the host, ro refused, a missing host dir created" {
    mkdir -p "$ENGINE_DIR/bind"
    echo from-host >"$ENGINE_DIR/bind/in"
    run -0 "$BERTH" run --rm -v "$ENGINE_DIR/bind:/b" busybox sh -c 'cat /b/in; echo from-ctr >/b/out'
    [ "$output" = from-host ]
    [ "$(cat "$ENGINE_DIR/bind/out")" = from-ctr ]
    run -1 "$BERTH" run --rm -v "$ENGINE_DIR/bind:/b:ro" busybox touch /b/x
    [[ "$output" == *"Read-only file system"* ]]
    run -0 "$BERTH" run --rm -v "$ENGINE_DIR/made/here:/m" busybox true
    [ -d "$ENGINE_DIR/made/here" ]
    run -0 "$BERTH" run --rm --mount "type=bind,src=$ENGINE_DIR/bind,dst=/b,readonly" busybox cat /b/in
    [ "$output" = from-host ]
}

@test "named volumes: shared between containers, the image's content copied into a new one" {
    run -0 "$BERTH" run --rm -v shared:/data busybox sh -c 'echo hello >/data/f'
    [ "$(cat "$ENGINE_DIR/data/volumes/shared/_data/f")" = hello ]
    run -0 "$BERTH" run --rm --mount type=volume,src=shared,dst=/d2 busybox cat /d2/f
    [ "$output" = hello ]
    run -0 "$BERTH" run --rm -v etc:/etc busybox true
    [ -f "$ENGINE_DIR/data/volumes/etc/_data/passwd" ]
    run -0 "$BERTH" run --rm -v etc2:/etc:nocopy busybox true
    # nothing of the image's /etc (only the mount points of /etc/hosts & co)
    [ ! -e "$ENGINE_DIR/data/volumes/etc2/_data/passwd" ]
    run -0 "$BERTH" volume rm shared etc etc2
}

@test "anonymous volumes: kept by rm, removed by rm -v and by --rm; Mounts in inspect" {
    run -0 "$BERTH" create -v /anon -v named:/n -v "$ENGINE_DIR:/h:ro" busybox true
    id=$output
    run -0 "$BERTH" inspect "$id"
    mounts=$(jq -c '[.[0].Mounts[] | {Type, Destination, RW}]' <<<"$output")
    [ "$mounts" = "[{\"Type\":\"volume\",\"Destination\":\"/n\",\"RW\":true},{\"Type\":\"bind\",\"Destination\":\"/h\",\"RW\":false},{\"Type\":\"volume\",\"Destination\":\"/anon\",\"RW\":true}]" ]
    anon=$(jq -r '.[0].Mounts[2].Name' <<<"$output")
    [[ "$anon" =~ ^[0-9a-f]{64}$ ]]
    [ "$(jq -r '.[0].Mounts[2].Source' <<<"$output")" = "$ENGINE_DIR/data/volumes/$anon/_data" ]
    run -0 "$BERTH" rm -v "$id"
    run -0 "$BERTH" volume ls -q
    [ "$output" = named ]
    run -0 "$BERTH" create -v /anon busybox true
    id=$output
    anon=$(jq -r '.[0].Mounts[0].Name' <<<"$("$BERTH" inspect "$id")")
    run -0 "$BERTH" rm "$id"
    run -0 "$BERTH" volume ls -q
    [[ "$output" == *"$anon"* ]]
    run -0 "$BERTH" volume rm "$anon" named
    run -0 "$BERTH" run --rm -v /anon busybox true
    run -0 "$BERTH" volume ls -q
    [ -z "$output" ]
}

@test "--tmpfs and --mount type=tmpfs with their options" {
    run -0 "$BERTH" run --rm --tmpfs /t1:size=1m,mode=700 --mount type=tmpfs,dst=/t2,tmpfs-size=2m \
        busybox sh -c 'grep " /t1 " /proc/mounts; grep " /t2 " /proc/mounts; stat -c %a /t1'
    [[ "${lines[0]}" == "tmpfs /t1 tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=700"* ]]
    [[ "${lines[1]}" == "tmpfs /t2 tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k"* ]]
    [ "${lines[2]}" = 700 ]
    run -125 "$BERTH" run --rm --tmpfs /t:bogus=1 busybox true
    [[ "$output" == *"invalid tmpfs option 'bogus=1'"* ]]
}

@test "volume create, ls, inspect, rm (in use: refused), prune" {
    run -0 "$BERTH" volume create --label team=a myvol
    [ "$output" = myvol ]
    run -0 "$BERTH" volume inspect myvol
    [ "$(jq -r '.[0].Mountpoint' <<<"$output")" = "$ENGINE_DIR/data/volumes/myvol/_data" ]
    [ "$(jq -r '.[0].Labels.team' <<<"$output")" = a ]
    [ "$(jq -r '.[0].Driver' <<<"$output")" = local ]
    run -0 "$BERTH" volume ls
    [[ "$output" == *"local"*"myvol"* ]]
    run -0 "$BERTH" create -v myvol:/v busybox true
    id=$output
    run -1 "$BERTH" volume rm myvol
    [[ "$output" == *"remove myvol: volume is in use - [$id]"* ]]
    run -0 api DELETE /volumes/myvol
    [[ "$output" == *"HTTP 409" ]]
    run -0 "$BERTH" volume create
    [[ "$output" =~ ^[0-9a-f]{64}$ ]]
    run -0 "$BERTH" volume prune -f
    [[ "$output" != *myvol* ]]
    run -0 "$BERTH" volume ls -q
    [ "$output" = myvol ]
    run -0 "$BERTH" rm "$id"
    run -0 "$BERTH" volume rm myvol
    run -1 "$BERTH" volume rm myvol
    [[ "$output" == *"no such volume"* ]]
    run -0 "$BERTH" volume rm -f myvol
    run -1 "$BERTH" volume create 'bad/name'
}

@test "--rootfs DIR: the directory is the lower layer, never written" {
    dir=$(make_rootfs)
    before=$(find "$dir" -printf '%p %s %T@\n' | sort | md5sum)
    run -0 "$BERTH" run --rm --rootfs "$dir" sh -c 'echo x >/etc/new; rm /bin/ls; cat /etc/new'
    [ "$output" = x ]
    [ ! -e "$dir/etc/new" ]
    [ -e "$dir/bin/ls" ]
    [ "$(find "$dir" -printf '%p %s %T@\n' | sort | md5sum)" = "$before" ]
    run -125 "$BERTH" run --rm --rootfs "$ENGINE_DIR/nonexistent" true
    [[ "$output" == *"--rootfs"* ]]
}

@test "--label, --log-opt, --network host|none, --rm, -d, --name" {
    run -0 "$BERTH" run -d --name "lbl-$BATS_TEST_NUMBER" --label team=x --log-opt max-size=1m \
        --network host busybox sh -c 'cat /proc/net/dev; sleep 60'
    run -0 "$BERTH" inspect "lbl-$BATS_TEST_NUMBER"
    [ "$(jq -r '.[0].Config.Labels.team' <<<"$output")" = x ]
    [ "$(jq -r '.[0].HostConfig.LogConfig.Config["max-size"]' <<<"$output")" = 1m ]
    [ "$(jq -r '.[0].HostConfig.NetworkMode' <<<"$output")" = host ]
    run -0 "$BERTH" rm -f "lbl-$BATS_TEST_NUMBER"
    run -0 "$BERTH" run --rm --network none busybox sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
    [ "$output" = lo ]
}

@test "no leaks: a container with volumes, binds, tmpfs, --init, --read-only leaves no mount, cgroup, shim" {
    mkdir -p "$ENGINE_DIR/leakbind"
    mounts_before=$(grep -c " $ENGINE_DIR/" /proc/self/mountinfo || true)
    shims_before=$(engine_shim_pids | wc -l)
    run -0 "$BERTH" run -d --init --read-only -v leakvol:/v -v /anon -v "$ENGINE_DIR/leakbind:/b" \
        --tmpfs /t --memory 64m busybox sleep 600
    id=$output
    [ -n "$(cgroup_dirs_of "$id")" ]
    run -0 "$BERTH" rm -f -v "$id"
    [ -z "$(cgroup_dirs_of "$id")" ]
    [ "$(grep -c " $ENGINE_DIR/" /proc/self/mountinfo || true)" = "$mounts_before" ]
    wait_for shims_are "$shims_before"
    run -0 "$BERTH" volume ls -q
    [ "$output" = leakvol ]
    run -0 "$BERTH" volume rm leakvol
    [ -z "$(ls "$ENGINE_DIR/data/volumes")" ]
}

@test "-i, -t, --runtime go into the body (OpenStdin, AttachStdin, StdinOnce, Tty, HostConfig.Runtime)" {
    run -0 "$BERTH" create -i -t --runtime berth busybox true
    id=$output
    run -0 "$BERTH" inspect "$id"
    [ "$(jq -c '.[0] | [.Config.Tty, .Config.OpenStdin, .Config.StdinOnce, .Config.AttachStdin, .HostConfig.Runtime]' <<<"$output")" = '[true,true,true,true,"berth"]' ]
    run -0 "$BERTH" create busybox true
    run -0 "$BERTH" inspect "$output"
    [ "$(jq -c '.[0] | [.Config.Tty, .Config.OpenStdin]' <<<"$output")" = '[false,false]' ]
}
