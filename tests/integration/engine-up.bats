#!/usr/bin/env bats
# Workload files (issue 17 item 1): berth up / down on the reference form
# (cpu, memory, gpu, command) and a Compose subset (services, depends_on
# with service_healthy, healthcheck, networks, volumes). berthd runs in a
# private network namespace that plays the host (engine_setup_file_net):
# a project gets a network of its own.

load engine-helpers

setup_file() {
    # one simulated GPU for the seed's `gpu: true` (engine-gpu.bats has more)
    local dir=$BATS_FILE_TMPDIR/gpu
    mkdir -p "$dir"
    mknod "$dir/gpu0" c 1 3
    printf '{"gpus": [{"index": 0, "uuid": "GPU-sim-0", "memory_total": 1000, "memory_used": 0, "device": "%s"}]}\n' \
        "$dir/gpu0" >"$dir/gpus.json"
    export BERTH_GPU_SIM=$dir/gpus.json
    engine_setup_file_net
}

setup() {
    W=$(mktemp -d "$ENGINE_DIR/wl.XXXXXX")
}

teardown() {
    local n
    engine_teardown
    for n in $("$BERTH" network ls -q --filter label=com.docker.compose.project 2>/dev/null); do
        "$BERTH" network rm "$n" >/dev/null 2>&1 || true
    done
    for n in $("$BERTH" volume ls -q 2>/dev/null); do
        "$BERTH" volume rm "$n" >/dev/null 2>&1 || true
    done
    rm -rf "$W"
}

is_v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

# cg_read ID V1FILE V2FILE: the container's cgroup file of this host's layout.
cg_read() {
    local f=$2 d
    is_v2 && f=$3
    for d in $(cgroup_dirs_of "$1"); do
        [ -f "$d/$f" ] && cat "$d/$f" && return 0
    done
    echo "no cgroup file $f of $1" >&2
    return 1
}

cid() { "$BERTH" inspect "$1" | jq -r '.[0].Id'; }

# No container, network or volume of the project P is left.
nothing_of() {
    run -0 "$BERTH" ps -a -q --filter "label=com.docker.compose.project=$1"
    [ -z "$output" ]
    run -0 "$BERTH" network ls -q --filter "label=com.docker.compose.project=$1"
    [ -z "$output" ]
    run -0 "$BERTH" volume ls -q
    [[ "$output" != *"$1"_* ]]
}

# The seed's example file exactly as written: cpu, memory, gpu: true and
# `command: stress --cpu 2`, in the reference form's default image
# (berth-workloads, which has stress), with berthd's simulated GPUs.
@test "up: the seed's reference file as written: 2 CPUs, 512 MiB, one GPU, stress running" {
    mkdir "$W/seed"
    printf 'cpu: 2\nmemory: 512M\ngpu: true\ncommand: stress --cpu 2\n' >"$W/seed/basic.yaml"
    run -0 "$BERTH" up -d -f "$W/seed/basic.yaml"
    [[ "$output" == *"Container seed-basic-1  Started"* ]]
    id=$(cid seed-basic-1)
    run -0 "$BERTH" inspect seed-basic-1
    [ "$(jq -r '.[0].Config.Image' <<<"$output")" = berth-workloads ]
    [ "$(jq -r '.[0].Config.Cmd | join(" ")' <<<"$output")" = "stress --cpu 2" ]
    [ "$(jq -r '.[0].Devices.Gpus | length' <<<"$output")" = 1 ]
    if is_v2; then
        [ "$(cg_read "$id" x cpu.max)" = "200000 100000" ]
    else
        [ $(($(cg_read "$id" cpu.cfs_quota_us x) / $(cg_read "$id" cpu.cfs_period_us x))) -eq 2 ]
    fi
    [ "$(cg_read "$id" memory.limit_in_bytes memory.max)" -eq $((512 * 1024 * 1024)) ]
    run -0 "$BERTH" exec seed-basic-1 sh -c 'ls /dev/berth-gpu*; echo $BERTH_GPUS'
    [ "${lines[0]}" = /dev/berth-gpu0 ]
    # stress and its two workers
    run -0 "$BERTH" top seed-basic-1
    [ "$(grep -c 'stress --cpu 2' <<<"$output")" -eq 3 ]
    run -0 "$BERTH" down -f "$W/seed/basic.yaml"
    nothing_of seed
}

# The same workload with a command the image has: the running container's
# cgroup holds 2 CPUs' quota and 512 MiB.
@test "up: a reference workload runs with a quota of 2 CPUs and a 512 MiB limit" {
    mkdir "$W/demo"
    printf 'cpu: 2\nmemory: 512M\ninit: true\ncommand: sleep 1000\n' >"$W/demo/basic.yaml"
    run -0 "$BERTH" up -d -f "$W/demo/basic.yaml"
    [[ "$output" == *"Network demo_default  Created"* ]]
    [[ "$output" == *"Container demo-basic-1  Created"* ]]
    [[ "$output" == *"Container demo-basic-1  Started"* ]]
    id=$(cid demo-basic-1)
    run -0 "$BERTH" inspect demo-basic-1
    [ "$(jq -r '.[0].Config.Labels["com.docker.compose.project"]' <<<"$output")" = demo ]
    [ "$(jq -r '.[0].Config.Labels["com.docker.compose.service"]' <<<"$output")" = basic ]
    [ "$(jq -r '.[0].Config.Labels["com.docker.compose.container-number"]' <<<"$output")" = 1 ]
    [[ "$(jq -r '.[0].Config.Labels["com.docker.compose.config-hash"]' <<<"$output")" =~ ^[0-9a-f]{64}$ ]]
    if is_v2; then
        [ "$(cg_read "$id" x cpu.max)" = "200000 100000" ]
    else
        [ $(($(cg_read "$id" cpu.cfs_quota_us x) / $(cg_read "$id" cpu.cfs_period_us x))) -eq 2 ]
    fi
    [ "$(cg_read "$id" memory.limit_in_bytes memory.max)" -eq $((512 * 1024 * 1024)) ]
    run -0 "$BERTH" ps --filter label=com.docker.compose.project=demo --format '{{.Names}}'
    [ "$output" = demo-basic-1 ]
    run -0 "$BERTH" down -f "$W/demo/basic.yaml"
    [[ "$output" == *"Container demo-basic-1  Removed"* ]]
    [[ "$output" == *"Network demo_default  Removed"* ]]
    nothing_of demo
}

# cpuset: auto goes to berthd as CpusetCpus "auto": placement by load
# picks the CPU at the start.
@test "up: cpuset: auto places the workload on a CPU berthd picks" {
    mkdir "$W/place"
    printf 'cpu: 1\ncpuset: auto\ninit: true\ncommand: sleep 1000\n' >"$W/place/w.yaml"
    run -0 "$BERTH" up -d -f "$W/place/w.yaml"
    run -0 "$BERTH" inspect place-w-1
    [ "$(jq -r '.[0].HostConfig.CpusetCpus' <<<"$output")" = auto ]
    [[ "$(jq -r '.[0].Placement.Cpus' <<<"$output")" =~ ^[0-9]+$ ]]
    run -0 "$BERTH" down -f "$W/place/w.yaml"
    nothing_of place
}

# A project of three: web needs api started, api needs db healthy (its
# healthcheck turns healthy once /tmp/ready exists, 1 s in).
compose_file() {
    cat >"$1" <<EOF
name: shop
services:
  web:
    command: sleep 1000
    init: true
    depends_on: [api]
    networks: [front, back]
  api:
    command: ["sh", "-c", "echo \$\$GREETING; exec sleep 1000"]
    init: true
    environment:
      GREETING: ${2:-hello}
    depends_on:
      db:
        condition: service_healthy
    networks: [back]
  db:
    image: busybox
    command: sh -c 'sleep 1; touch /tmp/ready; exec sleep 1000'
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 200ms
      retries: 50
    volumes:
      - data:/data
    networks: [back]
    deploy:
      resources:
        limits:
          memory: 64M
networks:
  front:
  back:
volumes:
  data:
EOF
}

started_at() {
    "$BERTH" inspect "$1" | jq -r '.[0].State.StartedAt'
}

@test "up: three services come up in dependency order, the healthy one first; down leaves nothing" {
    compose_file "$W/compose.yaml"
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    [[ "$output" == *"Network shop_front  Created"* ]]
    [[ "$output" == *"Network shop_back  Created"* ]]
    [[ "$output" == *"Volume shop_data  Created"* ]]
    [[ "$output" == *"Container shop-db-1  Healthy"* ]]
    # the order of the steps: db started, db healthy, api started, web started
    order=$(grep -E 'Container shop-(db|api|web)-1  (Started|Healthy)' <<<"$output" | awk '{print $2 "/" $3}' | tr '\n' ' ')
    [ "$order" = "shop-db-1/Started shop-db-1/Healthy shop-api-1/Started shop-web-1/Started " ]
    # api started after db was healthy: db's health log has a passing
    # check that ended before api's start
    run -0 "$BERTH" inspect shop-db-1
    first_ok=$(jq -r '[.[0].State.Health.Log[] | select(.ExitCode == 0) | .End] | min' <<<"$output")
    [[ "$(started_at shop-api-1)" > "$first_ok" ]]
    [[ "$(started_at shop-web-1)" > "$(started_at shop-api-1)" ]]
    run -0 "$BERTH" inspect shop-db-1
    [ "$(jq -r '.[0].HostConfig.Memory' <<<"$output")" = $((64 * 1024 * 1024)) ]
    [ "$(jq -r '.[0].Mounts[] | select(.Destination == "/data") | .Name' <<<"$output")" = shop_data ]
    run -0 "$BERTH" inspect shop-web-1
    [ "$(jq -r '.[0].NetworkSettings.Networks | keys | join(",")' <<<"$output")" = shop_back,shop_front ]
    run -0 "$BERTH" logs shop-api-1
    [ "$output" = hello ]
    run -0 "$BERTH" down -v -f "$W/compose.yaml"
    [[ "$output" == *"Container shop-web-1  Removed"* ]]
    [[ "$output" == *"Network shop_back  Removed"* ]]
    [[ "$output" == *"Volume shop_data  Removed"* ]]
    # web goes first: the reverse of the start order
    [ "$(grep -m1 -o 'Container shop-[a-z]*-1  Stopping' <<<"$output")" = "Container shop-web-1  Stopping" ]
    nothing_of shop
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    no_shims() { [ -z "$(engine_shim_pids)" ]; }
    wait_for no_shims
}

@test "up: a second up changes nothing; a changed environment recreates only that service" {
    compose_file "$W/compose.yaml"
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    for s in web api db; do eval "id_$s=$(cid shop-$s-1)"; done
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    [[ "$output" == *"Container shop-db-1  Running"* ]]
    [[ "$output" == *"Container shop-api-1  Running"* ]]
    [[ "$output" == *"Container shop-web-1  Running"* ]]
    [[ "$output" != *Created* ]]
    [[ "$output" != *Started* ]]
    [ "$(cid shop-db-1)" = "$id_db" ]
    [ "$(cid shop-api-1)" = "$id_api" ]
    [ "$(cid shop-web-1)" = "$id_web" ]
    compose_file "$W/compose.yaml" goodbye
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    [[ "$output" == *"Container shop-api-1  Recreated"* ]]
    [[ "$output" == *"Container shop-db-1  Running"* ]]
    [[ "$output" == *"Container shop-web-1  Running"* ]]
    [ "$(cid shop-db-1)" = "$id_db" ]
    [ "$(cid shop-web-1)" = "$id_web" ]
    [ "$(cid shop-api-1)" != "$id_api" ]
    run -0 "$BERTH" logs shop-api-1
    [ "$output" = goodbye ]
    # without -v the named volume stays, with its data
    "$BERTH" exec shop-db-1 sh -c 'echo kept >/data/f'
    run -0 "$BERTH" down -f "$W/compose.yaml"
    [[ "$output" != *Volume* ]]
    run -0 "$BERTH" volume ls -q
    [[ "$output" == *shop_data* ]]
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    run -0 "$BERTH" exec shop-db-1 cat /data/f
    [ "$output" = kept ]
    run -0 "$BERTH" down -v -f "$W/compose.yaml"
    nothing_of shop
}

# The Compose keys that are one run flag each, container_name, the long
# volume syntax, a network's ipam subnet, and a service's alias and fixed
# address on it: each as the container shows it.
@test "up: run-flag keys, container_name, long volumes, ipam, aliases and a fixed address" {
    mkdir -p "$W/conf"
    echo from-conf >"$W/conf/c.txt"
    printf 'FROM_FILE=yes\nOVER=file\n' >"$W/app.env"
    cat >"$W/compose.yaml" <<'EOF'
name: keys
services:
  app:
    container_name: keys-app
    command: sleep 1000
    init: true
    working_dir: /etc
    user: "1000:1000"
    hostname: apphost
    labels:
      tier: backend
    cap_drop: [ALL]
    read_only: true
    env_file: app.env
    environment: {OVER: env}
    extra_hosts: ["gw.test:10.99.0.1"]
    stop_grace_period: 3s
    shm_size: 8m
    logging: {driver: json-file, options: {max-size: 1m}}
    ulimits: {nofile: {soft: 100, hard: 200}}
    volumes:
      - {type: bind, source: ./conf, target: /conf, read_only: true}
      - {type: volume, source: data, target: /data}
      - {type: tmpfs, target: /scratch}
    networks:
      net: {aliases: [backend], ipv4_address: 10.91.7.50}
  client:
    command: sleep 1000
    init: true
    depends_on: [app]
    networks: [net]
networks:
  net:
    ipam:
      config: [{subnet: 10.91.7.0/24}]
volumes:
  data:
EOF
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    [[ "$output" == *"Container keys-app  Started"* ]]
    [[ "$output" == *"Container keys-client-1  Started"* ]]
    run -0 "$BERTH" inspect keys-app
    local j=$output
    [ "$(jq -r '.[0].Config.Labels.tier' <<<"$j")" = backend ]
    [ "$(jq -r '.[0].Config.Labels["com.docker.compose.service"]' <<<"$j")" = app ]
    [ "$(jq -r '.[0].Config.StopTimeout' <<<"$j")" = 3 ]
    [ "$(jq -r '.[0].HostConfig.ShmSize' <<<"$j")" = $((8 << 20)) ]
    [ "$(jq -r '.[0].HostConfig.LogConfig.Config["max-size"]' <<<"$j")" = 1m ]
    [ "$(jq -r '.[0].Mounts[] | select(.Destination == "/data") | .Name' <<<"$j")" = keys_data ]
    run -0 "$BERTH" network inspect keys_net
    [ "$(jq -r '.[0].IPAM.Config[0].Subnet' <<<"$output")" = 10.91.7.0/24 ]
    run -0 "$BERTH" exec keys-app sh -c 'pwd; id -u; hostname; echo $FROM_FILE $OVER; cat /conf/c.txt
        ulimit -n; grep gw.test /etc/hosts; grep CapEff /proc/self/status
        touch /scratch/ok && echo tmpfs-rw; touch /conf/x 2>/dev/null || echo conf-ro
        touch /x 2>/dev/null || echo root-ro; ip -o -4 addr show eth0'
    local lines
    mapfile -t lines <<<"$output"
    [ "${lines[0]}" = /etc ]
    [ "${lines[1]}" = 1000 ]
    [ "${lines[2]}" = apphost ]
    [ "${lines[3]}" = "yes env" ]
    [ "${lines[4]}" = from-conf ]
    [ "${lines[5]}" = 100 ]
    [ "$(echo ${lines[6]})" = "10.99.0.1 gw.test" ]
    [ "$(echo ${lines[7]})" = "CapEff: 0000000000000000" ]
    [ "${lines[8]}" = tmpfs-rw ]
    [ "${lines[9]}" = conf-ro ]
    [ "${lines[10]}" = root-ro ]
    [[ "${lines[11]}" == *"inet 10.91.7.50/24"* ]]
    # the other service finds app by its alias, at its fixed address
    run -0 "$BERTH" exec keys-client-1 grep -w backend /etc/hosts
    [[ "$output" == 10.91.7.50* ]]
    # idempotent with container_name too
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    [[ "$output" == *"Container keys-app  Running"* ]]
    [[ "$output" != *Created* ]]
    run -0 "$BERTH" down -v -f "$W/compose.yaml"
    [[ "$output" == *"Container keys-app  Removed"* ]]
    nothing_of keys
}

logs_are() {
    [ "$("$BERTH" logs "$1" 2>&1)" = "$2" ]
}

# build: the image PROJECT-SERVICE is built when missing, kept when there,
# rebuilt with --build; a rebuild that changed the image recreates the
# service, one that did not (the cache) leaves it alone.
@test "up: pid, ipc, uts and network_mode: the host's, and another service's (service:NAME)" {
    cat >"$W/compose.yaml" <<'EOF'
services:
  peer:
    image: busybox
    command: sleep 1000
    ipc: service:shm
    network_mode: service:shm
    pid: host
    uts: host
  shm:
    image: busybox
    command: sh -c 'echo hi >/dev/shm/x; sleep 1000'
    ipc: shareable
EOF
    run -0 "$BERTH" up -d -p nsp -f "$W/compose.yaml"
    # service:shm made shm a dependency: it was created first
    [[ "$output" == *"nsp-shm-1  Created"*"nsp-peer-1  Created"* ]]
    wait_for "$BERTH" exec nsp-shm-1 test -f /dev/shm/x
    run -0 "$BERTH" exec nsp-peer-1 sh -c 'for t in ipc net pid; do readlink /proc/self/ns/$t; done; cat /dev/shm/x; hostname'
    [ "${lines[0]}" = "$("$BERTH" exec nsp-shm-1 readlink /proc/self/ns/ipc)" ]
    [ "${lines[1]}" = "$("$BERTH" exec nsp-shm-1 readlink /proc/self/ns/net)" ]
    [ "${lines[2]}" = "$(readlink /proc/self/ns/pid)" ]
    [ "${lines[3]}" = hi ]
    [ "${lines[4]}" = "$(hostname)" ]
    run -0 "$BERTH" inspect -f '{{.HostConfig.IpcMode}} {{.HostConfig.NetworkMode}} {{.HostConfig.PidMode}} {{.HostConfig.UTSMode}}' nsp-peer-1
    [ "$output" = "container:nsp-shm-1 container:nsp-shm-1 host host" ]
    run -0 "$BERTH" down -p nsp -f "$W/compose.yaml"
    nothing_of nsp
}

@test "up: a project network whose ipam, internal or label differs from the file is refused, naming it" {
    cat >"$W/compose.yaml" <<'EOF'
services:
  a: {image: busybox, command: sleep 1000, networks: [n]}
networks:
  n: {ipam: {config: [{subnet: 10.91.8.0/24}]}}
EOF
    run -0 "$BERTH" up -d -p ipq -f "$W/compose.yaml"
    id=$(cid ipq-a-1)
    sed -i 's|10.91.8.0/24|10.91.9.0/24|' "$W/compose.yaml"
    run -1 "$BERTH" up -d -p ipq -f "$W/compose.yaml"
    [[ "$output" == *"network ipq_n exists with another ipam config than the file's: run \`berth down\` to remove it first"* ]]
    [ "$(cid ipq-a-1)" = "$id" ]
    sed -i 's|n: {ipam|n: {internal: true, ipam|; s|10.91.9.0/24|10.91.8.0/24|' "$W/compose.yaml"
    run -1 "$BERTH" up -d -p ipq -f "$W/compose.yaml"
    [[ "$output" == *"network ipq_n exists with internal: false, the file says true"* ]]
    run -0 "$BERTH" down -p ipq -f "$W/compose.yaml"
    run -0 "$BERTH" up -d -p ipq -f "$W/compose.yaml"
    run -0 "$BERTH" network inspect ipq_n
    [ "$(jq -r '.[0].Internal' <<<"$output")" = true ]
    run -0 "$BERTH" down -p ipq -f "$W/compose.yaml"
    nothing_of ipq
    # a network of that name the project did not make
    "$BERTH" network create ipq_n
    run -1 "$BERTH" up -d -p ipq -f "$W/compose.yaml"
    [[ "$output" == *'network ipq_n was found but has incorrect label com.docker.compose.network set to ""'* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    "$BERTH" network rm ipq_n
}

@test "up: secrets and configs are their files, read-only, where Compose puts them" {
    echo s3cret >"$W/pw.txt"
    echo 'level=debug' >"$W/app.conf"
    cat >"$W/compose.yaml" <<'EOF'
services:
  app:
    image: busybox
    command: sleep 1000
    secrets: [db_pw, {source: db_pw, target: /etc/pw}]
    configs: [{source: app, target: /etc/app.conf}]
secrets:
  db_pw: {file: ./pw.txt}
configs:
  app: {file: app.conf}
EOF
    run -0 "$BERTH" up -d -p sec -f "$W/compose.yaml"
    run -0 "$BERTH" exec sec-app-1 sh -c 'cat /run/secrets/db_pw /etc/pw /etc/app.conf; (echo x >/run/secrets/db_pw) 2>/dev/null || echo ro'
    [ "$output" = "s3cret
s3cret
level=debug
ro" ]
    run -0 "$BERTH" down -p sec -f "$W/compose.yaml"
    nothing_of sec
    # a missing file is an error before anything is made (-v would make a dir)
    rm "$W/pw.txt"
    run -1 "$BERTH" up -d -p sec -f "$W/compose.yaml"
    [[ "$output" == *"secret db_pw of service 'app': $W/pw.txt is missing"* ]]
    [ ! -e "$W/pw.txt" ]
    nothing_of sec
}

@test "up: build: builds a missing image, --build rebuilds, a changed image recreates" {
    mkdir -p "$W/app"
    cat >"$W/app/Dockerfile" <<'EOF'
FROM busybox
ARG GREETING=none
RUN echo "$GREETING" >/greeting
CMD ["sh", "-c", "cat /greeting; exec sleep 1000"]
EOF
    cat >"$W/compose.yaml" <<'EOF'
name: bld
services:
  web:
    build:
      context: app
      args: {GREETING: built-by-up}
    init: true
EOF
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    [[ "$output" == *"Image bld-web  Built"* ]]
    [[ "$output" == *"Container bld-web-1  Started"* ]]
    wait_for logs_are bld-web-1 built-by-up
    local id
    id=$(cid bld-web-1)
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    [[ "$output" != *Building* ]]
    [[ "$output" == *"Container bld-web-1  Running"* ]]
    run -0 "$BERTH" up -d --build -f "$W/compose.yaml"
    [[ "$output" == *"Image bld-web  Built"* ]]
    [[ "$output" == *"Container bld-web-1  Running"* ]]
    [ "$(cid bld-web-1)" = "$id" ]
    sed -i 's/built-by-up/changed/' "$W/compose.yaml"
    run -0 "$BERTH" up -d --build -f "$W/compose.yaml"
    [[ "$output" == *"Container bld-web-1  Recreated"* ]]
    wait_for logs_are bld-web-1 changed
    # a failing build stops up with the service named, and creates nothing
    run -0 "$BERTH" down -f "$W/compose.yaml"
    echo 'RUN false' >>"$W/app/Dockerfile"
    run -1 "$BERTH" up -d --build -f "$W/compose.yaml"
    [[ "$output" == *"service 'web' failed to build"* ]]
    nothing_of bld
}

# A service no longer in the file is an orphan: up warns, down removes it.
@test "down: removes the project's containers no longer in the file" {
    compose_file "$W/compose.yaml"
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    sed -i '/^  web:/,/^  api:/{/^  api:/!d}' "$W/compose.yaml"
    run -0 "$BERTH" up -d -f "$W/compose.yaml"
    [[ "$output" == *"orphan container shop-web-1"* ]]
    run -0 "$BERTH" down -v -f "$W/compose.yaml"
    [[ "$output" == *"Container shop-web-1  Removed"* ]]
    nothing_of shop
}

# Without -d, up follows every service's logs, each line prefixed with
# its container's name, until a signal: then it stops them and exits 130.
@test "up without -d: the services' logs, prefixed, until SIGINT stops them" {
    mkdir "$W/fg"
    cat >"$W/fg/compose.yaml" <<'EOF'
services:
  hello:
    command: sh -c 'echo hello from hello; exec sleep 1000'
    init: true
  world:
    command: sh -c 'echo hello from world; exec sleep 1000'
    init: true
    depends_on: [hello]
EOF
    "$BERTH" up -f "$W/fg/compose.yaml" >"$W/fg/out" 2>&1 3>&- &
    pid=$!
    wait_long 30 grep -q "^fg-world-1 | hello from world$" "$W/fg/out"
    grep -q "^fg-hello-1 | hello from hello$" "$W/fg/out"
    grep -q "^Attaching to fg-hello-1, fg-world-1$" "$W/fg/out"
    kill -INT "$pid"
    st=0
    wait "$pid" || st=$?
    cat "$W/fg/out"
    [ "$st" -eq 130 ]
    grep -q "^Container fg-world-1  Stopped$" "$W/fg/out"
    grep -q "^Container fg-hello-1  Stopped$" "$W/fg/out"
    run -0 "$BERTH" ps -a --filter label=com.docker.compose.project=fg --format '{{.Status}}'
    [ "${#lines[@]}" -eq 2 ]
    [[ "${lines[0]}" == Exited* ]]
    [[ "${lines[1]}" == Exited* ]]
    run -0 "$BERTH" down -f "$W/fg/compose.yaml"
    nothing_of fg
}

# bad FILE CONTENT MESSAGE: up fails with MESSAGE (its line number in it)
# and creates nothing.
bad() {
    printf '%b' "$2" >"$W/$1"
    run -1 "$BERTH" up -d -f "$W/$1"
    [ "$output" = "berth: $W/$1:$3" ]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
    run -0 "$BERTH" network ls -q --filter label=com.docker.compose.project
    [ -z "$output" ]
}

@test "up: bad files get one error with the line and create nothing" {
    bad syntax.yaml 'cpu: 1\ncommand: [sleep, 1\nmemory: 1G\n' \
        "3: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence"
    bad mem.yaml 'cpu: 1\nmemory: 12XB\n' \
        "2: invalid memory '12XB' in service 'mem': a size such as 512M or 1G expected"
    bad cpu.yaml 'memory: 1G\ncpu: -1\n' \
        "2: invalid cpu '-1' in service 'cpu': a positive number of CPUs expected"
    bad key.yaml 'services:\n  web:\n    image: busybox\n    foo: 1\n' \
        "4: unknown key 'foo' in service 'web'"
    bad cycle.yaml 'services:\n  a:\n    depends_on: [b]\n  b:\n    depends_on: [c]\n  c:\n    depends_on:\n      a:\n        condition: service_healthy\n' \
        "8: dependency cycle: a -> b -> c -> a"
    bad unknown.yaml 'services:\n  web:\n    depends_on: [db]\n' \
        "3: service 'web' depends on unknown service 'db'"
    bad top.yaml 'services:\n  web: {}\nbogus: {}\n' \
        "3: unknown key 'bogus' at the top level"
}
