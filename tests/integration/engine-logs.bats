#!/usr/bin/env bats
# The log options of the engine's second slice (issue 13): --log-opt
# max-size/max-file rotation in the shim's writer, logs -f across rotation,
# logs --since/--until, and log options berth refuses by name.

load engine-helpers

@test "--log-opt max-size/max-file: rotation keeps max-file files under max-size, logs reads them all" {
    run -0 "$BERTH" run -d --log-opt max-size=4k --log-opt max-file=3 busybox \
        sh -c 'i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo line-$i; done'
    id=$output
    run -0 "$BERTH" wait "$id"
    log=$ENGINE_DIR/data/containers/$id/$id-json.log
    [ -f "$log" ] && [ -f "$log.1" ] && [ -f "$log.2" ] && [ ! -e "$log.3" ]
    for f in "$log" "$log.1" "$log.2"; do
        [ "$(stat -c %s "$f")" -le 4096 ]
    done
    # whole lines only: every file is valid json-file
    cat "$log.2" "$log.1" "$log" | jq -e -s 'all(.stream == "stdout")'
    # what is kept is the newest lines, in order, ending with the last
    run -0 "$BERTH" logs "$id"
    [ "${lines[-1]}" = line-400 ]
    first=${lines[0]#line-}
    [ "$output" = "$(seq "$first" 400 | sed 's/^/line-/')" ]
    run -0 "$BERTH" inspect -f '{{json .HostConfig.LogConfig}}' "$id"
    [ "$output" = '{"Type":"json-file","Config":{"max-size":"4k","max-file":"3"}}' ]
}

@test "logs -f follows across rotation: no line lost or doubled" {
    run -0 "$BERTH" run -d --log-opt max-size=2k --log-opt max-file=5 busybox \
        sh -c 'sleep 0.5; i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo line-$i; sleep 0.003; done'
    id=$output
    run -0 "$BERTH" logs -f "$id"
    [ "$output" = "$(seq 1 300 | sed 's/^/line-/')" ]
    [ -f "$ENGINE_DIR/data/containers/$id/$id-json.log.1" ]
}

@test "--log-opt max-size alone truncates (max-file 1); the file stays small" {
    run -0 "$BERTH" run -d --log-opt max-size=2k busybox \
        sh -c 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo line-$i; done'
    id=$output
    run -0 "$BERTH" wait "$id"
    [ ! -e "$ENGINE_DIR/data/containers/$id/$id-json.log.1" ]
    [ "$(stat -c %s "$ENGINE_DIR/data/containers/$id/$id-json.log")" -le 2048 ]
    run -0 "$BERTH" logs --tail 1 "$id"
    [ "$output" = line-300 ]
}

@test "--log-opt: options berth cannot honour are refused by name, bad values too" {
    # (mode and max-buffer-size are honoured: engine-ops.bats)
    run -125 "$BERTH" run --rm --log-opt compress=true busybox true
    [[ "$output" == *"log-opt 'compress' is not supported by berth yet"* ]]
    run -125 "$BERTH" run --rm --log-opt max-size=lots busybox true
    [[ "$output" == *"invalid log-opt max-size 'lots'"* ]]
    run -125 "$BERTH" run --rm --log-opt max-file=0 --log-opt max-size=1m busybox true
    [[ "$output" == *"max-file cannot be less than 1"* ]]
    run -125 "$BERTH" run --rm --log-opt max-file=2 busybox true
    [[ "$output" == *"max-file cannot be set without max-size"* ]]
    run -125 "$BERTH" run --rm --log-opt novalue busybox true
    [[ "$output" == *"invalid log-opt 'novalue'"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "logs --since/--until: RFC 3339, unix seconds and durations" {
    run -0 "$BERTH" run -d busybox sh -c 'echo early; sleep 1.5; echo late'
    id=$output
    run -0 "$BERTH" wait "$id"
    log=$ENGINE_DIR/data/containers/$id/$id-json.log
    t_late=$(jq -r 'select(.log == "late\n") | .time' "$log")
    unix_late=$(date -d "$t_late" +%s.%N)
    run -0 "$BERTH" logs --since "$t_late" "$id"
    [ "$output" = late ]
    run -0 "$BERTH" logs --until "$t_late" "$id"
    [ "$output" = early ]
    run -0 "$BERTH" logs --since "$unix_late" "$id"
    [ "$output" = late ]
    run -0 "$BERTH" logs --since 1h "$id"
    [ "$output" = "$(printf 'early\nlate')" ]
    run -0 "$BERTH" logs --until 1h "$id"
    [ -z "$output" ]
    run -0 "$BERTH" logs --since 2099-01-01 "$id"
    [ -z "$output" ]
    run -1 "$BERTH" logs --since yesterday "$id"
    [[ "$output" == *"invalid value 'yesterday' for --since"* ]]
    run -0 api GET "/containers/$id/logs?stdout=1&since=abc"
    [[ "$output" == *"invalid value for since: 'abc'"*"HTTP 400" ]]
}

@test "issue-13: a line with bytes that are not UTF-8 is kept, each such byte as U+FFFD" {
    # before the fix the shim wrote the bytes raw: JSON readers dropped the line
    run -0 "$BERTH" run --rm busybox sh -c \
        "printf 'a\\377b\\n\\303\\251t\\303\\n\\355\\240\\200z\\nlast\\n'"
    [ "${lines[0]}" = "a$(printf '\357\277\275')b" ]
    [ "${lines[1]}" = "$(printf '\303\251t\357\277\275')" ]
    [ "${lines[2]}" = "$(printf '\357\277\275\357\277\275\357\277\275')z" ]
    [ "${lines[3]}" = last ]
    run -0 "$BERTH" run -d busybox sh -c "printf 'x\\377y\\n'"
    id=$output
    run -0 "$BERTH" wait "$id"
    jq -e '.log == "x\ufffdy\n"' "$ENGINE_DIR/data/containers/$id/$id-json.log"
    run -0 "$BERTH" logs "$id"
    [ "$output" = "x$(printf '\357\277\275')y" ]
}
