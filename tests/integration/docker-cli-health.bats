#!/usr/bin/env bats
# The docker CLI's --health-* flags against berthd (issue 14 item 5): the
# body it sends (Config.Healthcheck) and State.Health in its inspect.

load engine-helpers

setup_file() {
    docker_setup_file
}

setup() {
    docker_setup
}

health() {
    d inspect --format '{{.State.Health.Status}}' "$1"
}

health_is() { [ "$(health "$1")" = "$2" ]; }

@test "docker run --health-cmd: starting, then healthy; unhealthy after --health-retries" {
    # failing, but far from its retries: starting until /tmp/ok exists
    # (no --health-start-interval: the CLI wants API 1.44 for it)
    run -0 d run -d --name dh-ok --health-cmd 'test -e /tmp/ok' --health-interval 200ms \
        --health-retries 1000 busybox sleep 100
    [ "$(health dh-ok)" = starting ]
    run -0 d exec dh-ok touch /tmp/ok
    wait_long 20 health_is dh-ok healthy
    run -0 d ps --filter name=dh-ok --format '{{.Status}}'
    [[ "$output" == "Up "*" (healthy)" ]]
    run -0 d inspect --format '{{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}}' \
        dh-ok
    [ "$output" = '["CMD-SHELL","test -e /tmp/ok"] 200ms' ]
    run -0 d run -d --name dh-bad --health-cmd 'exit 1' --health-interval 200ms \
        --health-retries 1 busybox sleep 100
    wait_long 20 health_is dh-bad unhealthy
    run -0 d inspect --format '{{(index .State.Health.Log 0).ExitCode}}' dh-bad
    [ "$output" = 1 ]
    run -0 d rm -f dh-ok dh-bad
}
