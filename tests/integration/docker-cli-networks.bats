#!/usr/bin/env bats
# The docker CLI's network commands against berthd (issue 15, item 2):
# create, ls, inspect, rm, prune. berthd runs in a private network namespace
# that plays the host (engine_setup_file_net); `hostnet` looks there.

load engine-helpers

setup_file() {
    engine_setup_file_net
    DOCKER=$(command -v docker || true)
    export DOCKER
}

setup() {
    docker_setup
}

teardown() {
    engine_teardown
    d network prune -f >/dev/null 2>&1 || true
}

@test "docker network ls: bridge, host and none" {
    run -0 d network ls
    [[ "${lines[0]}" == "NETWORK ID"*"NAME"*"DRIVER"*"SCOPE" ]]
    [[ "$output" == *" bridge "*" bridge "*" local"* ]]
    [[ "$output" == *" host "*" host "*" local"* ]]
    [[ "$output" == *" none "*" null "*" local"* ]]
    run -0 d network ls --filter type=builtin --format '{{.Name}}'
    [ "$output" = "$(printf 'bridge\nhost\nnone')" ]
}

@test "docker network create, inspect, ls --filter, rm" {
    run -0 d network create --subnet 10.230.0.0/24 --gateway 10.230.0.254 --label app=web \
        -o com.docker.network.driver.mtu=1450 dn1
    id=$output
    [[ "$id" =~ ^[0-9a-f]{64}$ ]]
    run -0 d network inspect dn1 --format '{{.Id}} {{.Driver}} {{.Scope}} {{.Internal}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.app}}'
    [ "$output" = "$id bridge local false 10.230.0.0/24 10.230.0.254 web" ]
    run -0 hostnet ip addr show "br-${id:0:12}"
    [[ "$output" == *"mtu 1450"* && "$output" == *"inet 10.230.0.254/24"* ]]
    run -0 d network ls --filter name=dn1 --format '{{.ID}} {{.Name}} {{.Driver}}'
    [ "$output" = "${id:0:12} dn1 bridge" ]
    run -0 d network ls --filter label=app=web -q
    [ "$output" = "${id:0:12}" ]
    run -0 d network inspect "${id:0:8}"
    [ "$(jq -r '.[0].Name' <<<"$output")" = dn1 ]
    run -0 d network rm dn1
    [ "$output" = dn1 ]
    run -1 hostnet ip link show "br-${id:0:12}"
    run -1 d network inspect dn1
    [[ "$output" == *"network dn1 not found"* ]]
}

@test "docker network create: refusals the CLI shows" {
    run -0 d network create dn2
    run -1 d network create dn2
    [[ "$output" == *"network with name dn2 already exists"* ]]
    run -1 d network create --subnet 10.231.0.5/16 dn3
    [[ "$output" == *"invalid subnet '10.231.0.5/16': it should be '10.231.0.0/16'"* ]]
    run -1 d network create -d macvlan dn3
    [[ "$output" == *"network driver 'macvlan' is not supported by berth"* ]]
    run -1 d network create --subnet 10.233.0.0/16 --ip-range 10.233.1.0/24 dn3
    [[ "$output" == *"IPRange (--ip-range) is not supported by berth"* ]]
    run -1 d network rm bridge
    [[ "$output" == *"bridge is a pre-defined network and cannot be removed"* ]]
    run -1 d network inspect dn3
}

@test "docker network create --internal and --ipv6" {
    run -0 d network create --internal dn4
    run -0 d network inspect -f '{{.Internal}}' dn4
    [ "$output" = true ]
    run -0 d network create --ipv6 --subnet fd42:c::/64 dn5
    run -0 d network inspect -f '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}},{{end}}' dn5
    [[ "$output" == "true 172."*".0.0/16,fd42:c::/64," ]]
}

@test "docker network prune" {
    run -0 d network create dn6
    run -0 d network create dn7
    run -0 d network prune -f
    [[ "$output" == *"Deleted Networks:"*dn6*dn7* ]]
    run -0 d network ls -q
    [ "${#lines[@]}" = 3 ]
    run -0 d network create --label stay=1 dn8
    run -0 d network create dn9
    run -0 d network prune -f --filter label!=stay
    [[ "$output" == *dn9* && "$output" != *dn8* ]]
    run -0 d network rm dn8
}

@test "docker run -d -p 8080:80: a busybox httpd answers wget -qO- http://127.0.0.1:8080/" {
    run -0 d run -d --name dweb -p 8080:80 busybox sh -c \
        'mkdir -p /w && echo served-by-berth >/w/index.html && exec httpd -f -p 80 -h /w'
    run -0 wait_for hostnet wget -qO- http://127.0.0.1:8080/
    [ "$output" = served-by-berth ]
    run -0 d port dweb
    [[ "$output" == *"80/tcp -> 0.0.0.0:8080"* ]]
    run -0 d ps --format '{{.Ports}}'
    [[ "$output" == *"0.0.0.0:8080->80/tcp"* ]]
    run -0 d inspect dweb --format '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Networks.bridge.Gateway}}'
    [[ "$output" == "172."*" 172."* ]]
}

@test "docker run --network NET: containers find each other by name; connect and disconnect" {
    d network create --subnet 10.231.0.0/24 dnet >/dev/null
    d run -d --name srv --network dnet busybox sh -c \
        'mkdir -p /w && echo hi-by-name >/w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
    run -0 wait_for d run --rm --network dnet busybox sh -c \
        "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 srv 80 | tail -1"
    [ "$output" = hi-by-name ]
    run -0 d inspect srv --format '{{(index .NetworkSettings.Networks "dnet").IPAddress}}'
    [[ "$output" == 10.231.0.* ]]
    d run -d --name other busybox sleep 300 >/dev/null
    run -0 d network connect dnet other
    run -0 d exec other grep -w srv /etc/hosts
    run -0 d network disconnect dnet other
    run -1 d exec other grep -w srv /etc/hosts
    run -1 d network rm dnet
    [[ "$output" == *"active endpoints"* ]]
}
