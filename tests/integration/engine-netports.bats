#!/usr/bin/env bats
# What berth port and the PORTS column of berth ps show of published ports
# (issue 15), in docker's formats. berthd runs in a network namespace of
# this file's (engine_setup_file_net), so the ports are bound there; no
# traffic is sent (engine-net.bats reaches the ports).

load engine-helpers

setup_file() {
    engine_setup_file_net
}

# a running container that only sleeps: idle NAME [run options...]
idle() {
    local name=$1
    shift
    run -0 "$BERTH" run -d --name "$name" "$@" busybox sleep 600
}

@test "berth port: every mapping, one port's, and docker's errors" {
    idle p1 -p 8180:80 -p 127.0.0.1:8181:81/udp -p 8182-8183:82-83
    run -0 "$BERTH" port p1
    [ "$output" = "$(printf '%s\n' '80/tcp -> 0.0.0.0:8180' '81/udp -> 127.0.0.1:8181' \
        '82/tcp -> 0.0.0.0:8182' '83/tcp -> 0.0.0.0:8183')" ]
    run -0 "$BERTH" port p1 80
    [ "$output" = 0.0.0.0:8180 ]
    run -0 "$BERTH" port p1 81/udp
    [ "$output" = 127.0.0.1:8181 ]
    run -1 --separate-stderr "$BERTH" port p1 81
    [ "$stderr" = "Error: No public port '81' published for p1" ]
    run -1 --separate-stderr "$BERTH" port p1 84/tcp
    [ "$stderr" = "Error: No public port '84/tcp' published for p1" ]
    run -1 --separate-stderr "$BERTH" port p1 x
    [ "$stderr" = "Error: invalid port (x)" ]
    run -1 "$BERTH" port nosuch
    [[ "$output" == *"No such container: nosuch"* ]]
    # a stopped container publishes nothing
    run -0 "$BERTH" stop -t 0 p1
    run -0 "$BERTH" port p1
    [ -z "$output" ]
}

@test "berth ps: the PORTS column groups consecutive ports as docker's" {
    idle p2 -p 8280-8281:8280-8281 -p 127.0.0.1:8290-8291:90-91/udp -p 8282:80
    run -0 "$BERTH" ps --format '{{.Names}}: {{.Ports}}'
    [ "$output" = "p2: 0.0.0.0:8280-8281->8280-8281/tcp, 0.0.0.0:8282->80/tcp, 127.0.0.1:8290->90/udp, 127.0.0.1:8291->91/udp" ]
    run -0 "$BERTH" ps
    [[ "$(head -1 <<<"$output")" == *"STATUS"*"PORTS"*"NAMES" ]]
    [[ "$output" == *"0.0.0.0:8280-8281->8280-8281/tcp, 0.0.0.0:8282->80/tcp"* ]]
    run -0 "$BERTH" stop -t 0 p2
    run -0 "$BERTH" ps -a --format '{{.Names}}: {{.Ports}}'
    [ "$output" = "p2: " ]
}

@test "berth port and ps print what the docker CLI prints for the same container" {
    command -v docker >/dev/null || skip "no docker CLI on this machine"
    idle p3 -p 8380:80 -p 127.0.0.1:8381:81/udp -p 8382-8383:8382-8383
    # never the system's daemon: every call names our socket
    d() { env -u DOCKER_HOST -u DOCKER_CONTEXT docker -H "unix://$SOCK" "$@"; }
    [ "$("$BERTH" port p3)" = "$(d port p3)" ]
    [ "$("$BERTH" port p3 81/udp)" = "$(d port p3 81/udp)" ]
    [ "$("$BERTH" ps --format '{{.Ports}}')" = "$(d ps --format '{{.Ports}}')" ]
}

@test "berth create -p, --expose, --dns*, --add-host, --domainname send what the docker CLI sends" {
    command -v docker >/dev/null || skip "no docker CLI on this machine"
    d() { env -u DOCKER_HOST -u DOCKER_CONTEXT docker -H "unix://$SOCK" "$@"; }
    local opts=(-p 8480:80 -p '127.0.0.1:8490-8491:90-91/udp' -p '[::1]:8481:81' -p 8500-8510:7000
        -p 0:82 --expose 3000-3001 --expose 4000/udp --dns 192.0.2.1 --dns-search example.com
        --dns-option ndots:2 --add-host 'a=[::1]' --add-host b:host-gateway --hostname h
        --domainname d.example)
    run -0 "$BERTH" create --name b4 "${opts[@]}" busybox true
    run -0 d create --name d4 "${opts[@]}" busybox true
    fields='.[0] | [(.HostConfig | .PortBindings, .Dns, .DnsSearch, .DnsOptions, .ExtraHosts),
        (.Config | .ExposedPorts, .Hostname, .Domainname)]'
    [ "$("$BERTH" inspect b4 | jq -S -c "$fields")" = "$("$BERTH" inspect d4 | jq -S -c "$fields")" ]
    "$BERTH" inspect b4 | jq -e '.[0].HostConfig.PortBindings["7000/tcp"] == [{"HostIp":"","HostPort":"8500-8510"}]'
}
