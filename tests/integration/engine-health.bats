#!/usr/bin/env bats
# Health checks (issue 14 item 5): the shim runs Config.Healthcheck's test
# in the container every interval (src/shim/health.c), writes
# DIR/health.json (inspect's State.Health), raises health_status events on
# each change of status and carries out --health-on-failure; berthd shows
# the status in ps and filters on it; the CLI's --health-* flags.
#
# Short intervals (200ms) keep the file quick; no assertion depends on how
# fast a check runs: each waits for the state it expects.

load engine-helpers

health() {
    "$BERTH" inspect "$1" | jq -r '.[0].State.Health.Status'
}

health_is() { [ "$(health "$1")" = "$2" ]; }

ps_status() {
    "$BERTH" ps -a --filter "id=$1" --format '{{.Status}}'
}

ps_has() { [[ "$(ps_status "$1")" == *"$2" ]]; }

log_len() {
    "$BERTH" inspect "$1" | jq '.[0].State.Health.Log | length'
}

log_grew() { [ "$(log_len "$1")" -gt "$2" ]; }

# how many checks the log shows as ended after $2 (RFC 3339)
checks_after() {
    "$BERTH" inspect "$1" | jq --arg t "$2" '[.[0].State.Health.Log[] | select(.End > $t)] | length'
}

restarted() {
    [ "$("$BERTH" inspect "$1" | jq '.[0].RestartCount')" -ge "$2" ]
}

state_is() {
    [ "$("$BERTH" inspect "$1" | jq -r '.[0].State.Status')" = "$2" ]
}

n_containers() {
    "$BERTH" ps -a -q | wc -l
}

@test "a passing check: (health: starting), then (healthy) in ps, State.Health with its log" {
    # failures in the start period do not count: starting until /tmp/ok exists
    run -0 "$BERTH" run -d --health-cmd 'test -e /tmp/ok && echo fine' --health-interval 200ms \
        --health-start-period 1h --health-start-interval 200ms busybox sleep 100
    id=$output
    wait_long 20 log_grew "$id" 1
    run -0 ps_status "$id"
    [[ "$output" == "Up "*" (health: starting)" ]]
    [ "$(health "$id")" = starting ]
    "$BERTH" inspect "$id" | jq -e '.[0].State.Health | .FailingStreak == 0 and
        (.Log | all(.ExitCode == 1))'
    run -0 "$BERTH" ps --filter health=starting -q
    [ "$output" = "${id:0:12}" ]
    run -0 "$BERTH" exec "$id" touch /tmp/ok
    wait_long 20 ps_has "$id" "(healthy)"
    [[ "$(ps_status "$id")" == "Up "*" (healthy)" ]]
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].State.Health | .Status == "healthy" and .FailingStreak == 0' <<<"$output"
    jq -e '.[0].State.Health.Log[-1] | .ExitCode == 0 and .Output == "fine\n" and
        (.Start | test("^[0-9-]+T[0-9:.]+Z$")) and .End >= .Start' <<<"$output"
    jq -e '.[0].Config.Healthcheck | .Test == ["CMD-SHELL", "test -e /tmp/ok && echo fine"] and
        .Interval == 200000000 and .StartPeriod == 3600000000000' <<<"$output"
    # the log keeps Docker's last 5: wait until the failures are gone from it
    wait_long 30 eval '"$BERTH" inspect "$id" | jq -e ".[0].State.Health.Log[0].ExitCode == 0"'
    [ "$(log_len "$id")" -eq 5 ]
    run -0 "$BERTH" ps --filter health=healthy -q
    [ "$output" = "${id:0:12}" ]
    run -0 "$BERTH" ps --filter health=unhealthy -q
    [ -z "$output" ]
}

@test "a failing check turns unhealthy after Retries, with health_status events" {
    t0=$(date +%s.%N)
    run -0 "$BERTH" run -d --name hfail --health-cmd 'echo bad >&2; exit 3' \
        --health-interval 200ms --health-retries 2 busybox sleep 100
    id=$output
    wait_long 20 health_is "$id" unhealthy
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].State.Health | .FailingStreak >= 2 and .Log[-1].ExitCode == 3 and
        .Log[-1].Output == "bad\n"' <<<"$output"
    [[ "$(ps_status "$id")" == "Up "*" (unhealthy)" ]]
    run -0 "$BERTH" ps --filter health=unhealthy -q
    [ "$output" = "${id:0:12}" ]
    # one event for the change (as Docker: not one per failed check)
    sleep 1
    run -0 "$BERTH" events --since "$t0" --until "$(date +%s.%N)" --filter container=hfail \
        --filter event=health_status --format '{{.Action}}'
    [ "$output" = "health_status: unhealthy" ]
    # the container itself is not touched without --health-on-failure
    state_is "$id" running
}

@test "a check past its timeout is killed and counts as a failure" {
    run -0 "$BERTH" run -d --health-cmd 'echo partial; sleep 100' --health-timeout 300ms \
        --health-interval 200ms --health-retries 1 busybox sleep 100
    id=$output
    wait_long 20 health_is "$id" unhealthy
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].State.Health.Log[0] | .ExitCode == -1 and
        .Output == "Health check exceeded timeout (300ms): partial\n"' <<<"$output"
    # checks go on after a timed-out one: the shim did not wait for it
    t=$(jq -r '.[0].State.Health.Log[0].End' <<<"$output")
    wait_long 20 eval '[ "$(checks_after "$id" "$t")" -ge 1 ]'
    state_is "$id" running
}

@test "--health-on-failure kill: an unhealthy container is killed" {
    run -0 "$BERTH" run -d --health-cmd false --health-interval 200ms --health-retries 1 \
        --health-on-failure kill busybox sleep 100
    id=$output
    wait_long 20 state_is "$id" exited
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].State.ExitCode == 137 and .[0].Config.Healthcheck.OnFailure == "kill" and
        (.[0].State | has("Health") | not)' <<<"$output"
    [[ "$(ps_status "$id")" == "Exited (137) "* ]]
    jq -c 'select(.Action | startswith("health_status"))' \
        "$ENGINE_DIR/data/containers/$id/events.jsonl" | grep -q '"health_status: unhealthy"'
}

@test "--health-on-failure restart: an unhealthy container is restarted" {
    run -0 "$BERTH" run -d --health-cmd false --health-interval 200ms --health-retries 1 \
        --health-on-failure restart busybox sleep 100
    id=$output
    wait_long 30 restarted "$id" 1
    wait_long 20 state_is "$id" running
    grep -q '"Action":"restart"' "$ENGINE_DIR/data/containers/$id/events.jsonl"
}

@test "a passing check is never taken for a failed one (the shim reaps the check itself)" {
    # each check leaves a line; a check reaped by the shim's reaping of
    # strays would lose its exit code and count as failed (Retries 1:
    # unhealthy at once)
    run -0 "$BERTH" run -d --health-cmd 'echo x >>/tmp/n' --health-interval 10ms \
        --health-retries 1 busybox sleep 100
    id=$output
    wait_long 60 eval '[ "$("$BERTH" exec "$id" wc -l /tmp/n | awk "{print \$1}")" -ge 60 ]'
    run -0 grep -c '"health_status: unhealthy"' "$ENGINE_DIR/data/containers/$id/events.jsonl" ||
        true
    [ "$output" = 0 ]
    [ "$(health "$id")" = healthy ]
}

@test "no check runs while the container is paused" {
    run -0 "$BERTH" run -d --health-cmd true --health-interval 200ms --health-retries 1 \
        busybox sleep 100
    id=$output
    wait_long 20 health_is "$id" healthy
    run -0 "$BERTH" pause "$id"
    sleep 1 # checks would fail now (no exec into a frozen container)
    run -0 "$BERTH" unpause "$id"
    t=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
    wait_long 20 eval '[ "$(checks_after "$id" "$t")" -ge 1 ]'
    "$BERTH" inspect "$id" | jq -e '.[0].State.Health | .Status == "healthy" and
        (.Log | all(.ExitCode == 0))'
    run -1 grep -q '"health_status: unhealthy"' "$ENGINE_DIR/data/containers/$id/events.jsonl"
}

# hc_image: busybox saved, its config given a Healthcheck, loaded as hc-image
hc_image() {
    "$BERTH" run --rm busybox true >/dev/null
    "$BERTH" save -o "$BATS_TEST_TMPDIR/b.tar" busybox
    python3 - "$BATS_TEST_TMPDIR/b.tar" "$BATS_TEST_TMPDIR/hc.tar" <<'PY'
import hashlib, io, json, sys, tarfile
src = tarfile.open(sys.argv[1])
m = json.load(src.extractfile("manifest.json"))
cfg = json.load(src.extractfile(m[0]["Config"]))
cfg["config"]["Healthcheck"] = {"Test": ["CMD-SHELL", "echo from-image"],
                                "Interval": 200000000, "Retries": 1}
data = json.dumps(cfg).encode()
m[0]["Config"] = "blobs/sha256/" + hashlib.sha256(data).hexdigest()
m[0]["RepoTags"] = ["hc-image:latest"]
out = tarfile.open(sys.argv[2], "w")
def add(name, b):
    ti = tarfile.TarInfo(name)
    ti.size = len(b)
    out.addfile(ti, io.BytesIO(b))
add(m[0]["Config"], data)
for layer in m[0]["Layers"]:
    add(layer, src.extractfile(layer).read())
add("manifest.json", json.dumps(m).encode())
out.close()
PY
    "$BERTH" load -i "$BATS_TEST_TMPDIR/hc.tar" >/dev/null
}

@test "the image's Healthcheck: taken, merged with the flags, or disabled" {
    command -v python3 >/dev/null || skip "no python3 to make the image"
    hc_image
    run -0 "$BERTH" run -d hc-image sleep 100
    id=$output
    wait_long 20 health_is "$id" healthy
    "$BERTH" inspect "$id" | jq -e '.[0].State.Health.Log[-1].Output == "from-image\n"'
    # Docker's merge: the image's Test with the flag's interval
    run -0 "$BERTH" create --health-interval 300ms hc-image sleep 100
    "$BERTH" inspect "$output" | jq -e '.[0].Config.Healthcheck |
        .Test == ["CMD-SHELL", "echo from-image"] and .Interval == 300000000 and .Retries == 1'
    run -0 "$BERTH" run -d --no-healthcheck hc-image sleep 100
    id=$output
    "$BERTH" inspect "$id" | jq -e '.[0].Config.Healthcheck.Test == ["NONE"] and
        (.[0].State | has("Health") | not)'
    [[ "$(ps_status "$id")" != *"("* ]]
    run -0 "$BERTH" rm -f $("$BERTH" ps -aq)
    run -0 "$BERTH" rmi hc-image
}

@test "--no-healthcheck: no check, no health in ps and inspect" {
    run -0 "$BERTH" run -d --no-healthcheck busybox sleep 100
    id=$output
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].Config.Healthcheck.Test == ["NONE"] and (.[0].State | has("Health") | not)' \
        <<<"$output"
    [ ! -e "$ENGINE_DIR/data/containers/$id/health.json" ]
    run -0 ps_status "$id"
    [[ "$output" == "Up "* && "$output" != *"("* ]]
    run -0 "$BERTH" ps --filter health=none -q
    [ "$output" = "${id:0:12}" ]
}

@test "bad health values are refused by name and create nothing" {
    before=$(n_containers)
    run -125 "$BERTH" create --health-interval 5x busybox true
    [[ "$output" == *"5x"*"--health-interval"* ]]
    run -125 "$BERTH" create --health-timeout -1s busybox true
    [[ "$output" == *"--health-timeout"* ]]
    run -125 "$BERTH" create --health-retries -1 busybox true
    [[ "$output" == *"--health-retries"* ]]
    run -125 "$BERTH" create --health-start-period 1 busybox true
    [[ "$output" == *"--health-start-period"* ]]
    run -125 "$BERTH" create --health-on-failure sometimes busybox true
    [[ "$output" == *"sometimes"*"--health-on-failure"* ]]
    run -125 "$BERTH" create --no-healthcheck --health-cmd true busybox true
    [[ "$output" == *"--no-healthcheck conflicts with --health-* options"* ]]
    run -125 "$BERTH" create --health-interval 100us --health-cmd true busybox true
    [[ "$output" == *"Interval in Healthcheck cannot be less than 1ms"* ]]
    # the API's own checks (a body the CLI would not send)
    run -0 api POST /containers/create \
        '{"Image":"busybox","Healthcheck":{"Test":["CMD-SHELL","true"],"OnFailure":"reboot"}}'
    [ "${lines[-1]}" = "HTTP 400" ]
    [[ "$output" == *"OnFailure 'reboot'"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","Healthcheck":{"Test":["PING","x"]}}'
    [ "${lines[-1]}" = "HTTP 400" ]
    [[ "$output" == *"unknown healthcheck type 'PING'"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","Healthcheck":{"Retries":-2}}'
    [ "${lines[-1]}" = "HTTP 400" ]
    [[ "$output" == *"Retries in Healthcheck cannot be negative"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","Healthcheck":{"Timeout":-5}}'
    [ "${lines[-1]}" = "HTTP 400" ]
    [[ "$output" == *"Timeout in Healthcheck cannot be less than 1ms"* ]]
    run -0 api POST /containers/create '{"Image":"busybox","Healthcheck":{"Probe":1}}'
    [ "${lines[-1]}" = "HTTP 400" ]
    [[ "$output" == *"Healthcheck.Probe"* ]]
    run -0 api GET '/containers/json?filters=%7B%22health%22%3A%5B%22sick%22%5D%7D'
    [ "${lines[-1]}" = "HTTP 400" ]
    [[ "$output" == *"Unrecognised filter value for health: sick"* ]]
    [ "$(n_containers)" -eq "$before" ]
}

@test "the checks go on while berthd is stopped" {
    run -0 "$BERTH" run -d --health-cmd 'echo tick' --health-interval 200ms busybox sleep 100
    id=$output
    wait_long 20 health_is "$id" healthy
    engine_stop_daemon TERM
    t=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
    # the shim's own record: two checks ended while berthd was down
    wait_long 20 eval 'jq -e --arg t "$t" "[.Log[] | select(.End > \$t)] | length >= 2" \
        "$ENGINE_DIR/data/containers/$id/health.json" >/dev/null'
    engine_start_daemon
    [ "$(checks_after "$id" "$t")" -ge 2 ]
    [ "$(health "$id")" = healthy ]
}
