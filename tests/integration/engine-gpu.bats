#!/usr/bin/env bats
# GPUs and CDI devices (issue 17) with berthd's simulated provider: a JSON
# file of GPUs (memory total and used) whose devices are character nodes
# this file makes (the numbers of /dev/null: harmless to open). The same
# allocator serves NVML's GPUs on a machine that has them.

load engine-helpers

setup_file() {
    local dir
    dir=$(mktemp -d /tmp/berth-gpu.XXXXXX)
    echo "$dir" >"$BATS_FILE_TMPDIR/gpu-dir"
    mknod "$dir/gpu0" c 1 3
    mknod "$dir/gpu1" c 1 3
    mknod "$dir/cdi-one" c 1 3
    # GPU 1 has more free memory than GPU 0
    cat >"$dir/gpus.json" <<EOF
{"gpus": [
  {"index": 0, "uuid": "GPU-sim-0", "name": "berth sim", "memory_total": 17179869184,
   "memory_used": 8589934592, "device": "$dir/gpu0"},
  {"index": 1, "uuid": "GPU-sim-1", "name": "berth sim", "memory_total": 17179869184,
   "memory_used": 1073741824, "device": "$dir/gpu1"}
]}
EOF
    mkdir "$dir/cdi"
    echo "from the CDI spec" >"$dir/cdi-file"
    cat >"$dir/cdi/test.yaml" <<EOF
cdiVersion: "0.6.0"
kind: berth.test/dev
containerEdits:
  env:
    - CDI_SPEC=yes
devices:
  - name: one
    containerEdits:
      deviceNodes:
        - path: /dev/cdi-one
          hostPath: $dir/cdi-one
      mounts:
        - hostPath: $dir/cdi-file
          containerPath: /etc/cdi-file
          options: [ro, bind]
      env:
        - CDI_DEVICE=one
EOF
    export BERTH_GPU_SIM=$dir/gpus.json BERTH_CDI_SPEC_DIRS=$dir/cdi
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
    rm -rf "$(cat "$BATS_FILE_TMPDIR/gpu-dir")"
}

gpus_of() { "$BERTH" inspect "$1" | jq -r '[.[0].Devices.Gpus[].Index] | join(",")'; }

@test "--gpus 1: the GPU with the most free memory, its node and env inside" {
    run -0 "$BERTH" run --rm --gpus 1 busybox sh -c 'ls /dev/berth-gpu*; echo $BERTH_GPUS $NVIDIA_VISIBLE_DEVICES'
    [ "${lines[0]}" = /dev/berth-gpu1 ]
    [ "${lines[1]}" = "1 GPU-sim-1" ]
}

@test "two --gpus 1 containers get different GPUs; a third is refused while both run" {
    a=$("$BERTH" run -d --name ga --gpus 1 busybox sleep 1000)
    b=$("$BERTH" run -d --name gb --gpus 1 busybox sleep 1000)
    [ "$(gpus_of ga)" = 1 ]
    [ "$(gpus_of gb)" = 0 ]
    run -125 "$BERTH" run -d --name gc --gpus 1 busybox sleep 1000
    [[ "$output" == *"--gpus 1: only 0 of 2 GPUs are free (0 given to /gb, 1 given to /ga)"* ]]
    # the refused one holds nothing; once ga stops, its GPU is free again
    "$BERTH" stop -t 0 ga >/dev/null
    "$BERTH" start gc >/dev/null
    [ "$(gpus_of gc)" = 1 ]
    run -0 "$BERTH" exec gc ls /dev/berth-gpu1
}

@test "--gpus all, device=ID, and shared" {
    run -0 "$BERTH" run --rm --gpus all busybox sh -c 'echo $BERTH_GPUS'
    [ "$output" = 0,1 ]
    run -0 "$BERTH" run --rm --gpus device=0 busybox sh -c 'ls /dev/berth-gpu*'
    [ "$output" = /dev/berth-gpu0 ]
    run -0 "$BERTH" run --rm --gpus '"device=GPU-sim-1,0"' busybox sh -c 'echo $BERTH_GPUS'
    [ "$output" = 0,1 ]
    # two shared users on one GPU; an exclusive one cannot join them
    "$BERTH" run -d --name s1 --gpus device=1,shared busybox sleep 1000
    "$BERTH" run -d --name s2 --gpus device=1,shared busybox sleep 1000
    [ "$(gpus_of s2)" = 1 ]
    run -125 "$BERTH" run --rm --gpus device=1 busybox true
    [[ "$output" == *"GPU 1 is given to /s"* ]]
    run -125 "$BERTH" run --rm --gpus device=7 busybox true
    [[ "$output" == *"--gpus device=7: no such GPU (2 GPUs)"* ]]
}

@test "--device VENDOR/CLASS=NAME: a CDI device's node, mount and env" {
    run -0 "$BERTH" run --rm --device berth.test/dev=one busybox sh -c \
        'ls /dev/cdi-one; cat /etc/cdi-file; echo $CDI_SPEC $CDI_DEVICE'
    [ "${lines[0]}" = /dev/cdi-one ]
    [ "${lines[1]}" = "from the CDI spec" ]
    [ "${lines[2]}" = "yes one" ]
    run -125 "$BERTH" run --rm --device berth.test/dev=two busybox true
    [[ "$output" == *"unresolvable CDI device berth.test/dev=two"* ]]
}

@test "bad device requests are refused by name, nothing is created" {
    run -125 "$BERTH" run --rm --gpus count=x busybox true
    [[ "$output" == *"invalid value 'count=x' for --gpus"* ]]
    run -125 "$BERTH" run --rm --gpus 1,capabilities=tpu busybox true
    [[ "$output" == *"device capability 'tpu' is not supported"* ]]
    run -125 "$BERTH" run --rm --gpus driver=amd busybox true
    [[ "$output" == *"device request driver 'amd' is not supported"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"DeviceRequests":[{"Count":1,"DeviceIDs":["0"],"Capabilities":[["gpu"]]}]}}'
    [[ "$output" == *"cannot set both Count and DeviceIDs"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","HostConfig":{"DeviceRequests":[{"Count":1,"Capabilities":[["gpu"]],"Options":{"mig":"1"}}]}}'
    [[ "$output" == *"device request option 'mig' is not supported"* ]]
    [[ "$output" == *"HTTP 400" ]]
    [ -z "$("$BERTH" ps -aq)" ]
}
