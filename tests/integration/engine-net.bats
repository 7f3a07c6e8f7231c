#!/usr/bin/env bats
# Containers on networks (issue 15, items 3-5): berthd runs inside a network
# namespace this file makes (engine_setup_file_net: "the host", with its own
# bridges and nftables table); "the outside" is another namespace O joined to
# it by a veth, with no route back to the containers' subnets. Packets go
# only to addresses inside these namespaces and to 127.0.0.0/8.

load engine-helpers

setup_file() {
    engine_setup_file_net
    # the outside: 198.18.0.2 in O, 198.18.0.1 on the host's end
    unshare --net sleep infinity >/dev/null 2>&1 3>&- &
    OUTSIDE_PID=$!
    export OUTSIDE_PID
    disown
    netns_wait "$OUTSIDE_PID"
    hostnet ip link add vo-h type veth peer name vo-o netns "$OUTSIDE_PID"
    hostnet ip addr add 198.18.0.1/30 dev vo-h
    hostnet ip link set vo-h up
    outnet ip link set lo up
    outnet ip addr add 198.18.0.2/30 dev vo-o
    outnet ip link set vo-o up
    # a server there that says who called: the source address it sees
    mkdir -p "$ENGINE_DIR/out/cgi-bin"
    printf '#!/bin/sh\necho "Content-type: text/plain"\necho\necho "from $REMOTE_ADDR"\n' \
        >"$ENGINE_DIR/out/cgi-bin/who"
    chmod +x "$ENGINE_DIR/out/cgi-bin/who"
    nsenter --net=/proc/"$OUTSIDE_PID"/ns/net busybox httpd -f -p 80 -h "$ENGINE_DIR/out" \
        >/dev/null 2>&1 3>&- &
    echo $! >"$ENGINE_DIR/outside-httpd.pid"
    disown
}

teardown_file() {
    kill -KILL "$(cat "$ENGINE_DIR/outside-httpd.pid" 2>/dev/null)" 2>/dev/null || true
    [ -z "${OUTSIDE_PID:-}" ] || kill -KILL "$OUTSIDE_PID" 2>/dev/null || true
    engine_teardown_file
}

teardown() {
    engine_teardown
    for n in $("$BERTH" network ls -q --filter type=custom 2>/dev/null); do
        "$BERTH" network rm "$n" >/dev/null 2>&1 || true
    done
}

outnet() {
    nsenter --net=/proc/"$OUTSIDE_PID"/ns/net "$@"
}

# a busybox httpd container serving TEXT: web NAME TEXT [run options...]
web() {
    local name=$1 text=$2
    shift 2
    "$BERTH" run -d --name "$name" "$@" busybox sh -c \
        "mkdir -p /w && echo $text >/w/index.html && exec httpd -f -p 80 -h /w"
}

restarted_once() {
    [ "$("$BERTH" inspect "$1" | jq -r '.[0].RestartCount')" -ge 1 ]
}

# GET / from HOST PORT with nc, in the host namespace; prints the body
host_get() {
    local out
    # nc's complaints stay out of the output: wait_for retries this
    out=$(printf 'GET / HTTP/1.0\r\n\r\n' | hostnet timeout 10 busybox nc -w 3 "$1" "$2" 2>/dev/null) ||
        return 1
    [[ "$out" == "HTTP/1."?" 200 "* ]] || return 1
    printf '%s\n' "$out" | sed '1,/^\r*$/d'
}

# the same from a new container: ctr_get HOST PORT [run options...]
ctr_get() {
    local host=$1 port=$2
    shift 2
    "$BERTH" run --rm "$@" busybox sh -c \
        "set -o pipefail; printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $host $port 2>/dev/null | sed '1,/^\r*\$/d'"
}

ip_of() {
    "$BERTH" inspect "$1" | jq -r '.[0].NetworkSettings.Networks[].IPAddress' | head -1
}

# berth's veths in use: the host ends (vb..., or vp... from berthd's pool
# of ready namespaces) whose container end is up; the pool's ready ones
# have no carrier
berth_links() {
    hostnet ip -o link show | grep -E '^[0-9]+: v[bp][0-9a-f]+@' | grep -c 'LOWER_UP' || true
}

links_are() {
    [ "$(berth_links)" -eq "$1" ]
}

@test "the default network: eth0 with an address on berth0, a default route, lo up" {
    run -0 "$BERTH" run --rm busybox sh -c 'ip -o -4 addr show eth0; ip route; ip -o link show lo'
    [[ "$output" == *"inet 172."*"/16"* ]]
    [[ "$output" == *"default via 172."* ]]
    [[ "$output" == *"lo:"*"UP"* ]]
    hostnet ip -o link show berth0 | grep -q '[<,]UP[,>]'
    # --rm took its veth along
    [ "$(berth_links)" -eq 0 ]
}

@test "--network none has only lo; --network host is the host's namespace" {
    run -0 "$BERTH" run --rm --network none busybox sh -c 'ls /sys/class/net'
    [ "$output" = lo ]
    run -0 "$BERTH" run --rm --network host busybox sh -c 'ls /sys/class/net'
    [[ "$output" == *berth0* ]]
    [[ "$output" == *vo-h* ]]
}

@test "client and server in two containers on distinct addresses; two servers on one port" {
    run -0 "$BERTH" network create --subnet 10.89.1.0/24 n1
    web s1 one --network n1
    web s2 two --network n1
    a1=$(ip_of s1)
    a2=$(ip_of s2)
    [ "$a1" != "$a2" ]
    [[ "$a1" == 10.89.1.* ]]
    run -0 wait_for ctr_get "$a1" 80 --network n1
    [ "$output" = one ]
    run -0 ctr_get "$a2" 80 --network n1
    [ "$output" = two ]
}

@test "a non-root user reads the generated hostname, hosts and resolv.conf" {
    run -0 "$BERTH" run --rm --user 1000:1000 busybox sh -c \
        'cat /etc/hostname /etc/hosts /etc/resolv.conf >/dev/null && stat -c %a /etc/hosts'
    [ "$output" = 644 ]
}

@test "names: containers on a user network find each other, also ones started later" {
    "$BERTH" network create --subnet 10.89.2.0/24 n2
    web early first --network n2 --network-alias alias1
    web late second --network n2
    # early learnt of late, which started after it
    run -0 "$BERTH" exec early grep -w late /etc/hosts
    run -0 wait_for ctr_get late 80 --network n2
    [ "$output" = second ]
    run -0 ctr_get alias1 80 --network n2
    [ "$output" = first ]
    # a rename reaches the others: the new name answers, the old one is gone
    "$BERTH" rename late later
    run -0 "$BERTH" exec early grep -w later /etc/hosts
    run -1 "$BERTH" exec early grep -w late /etc/hosts
    run -0 ctr_get later 80 --network n2
    [ "$output" = second ]
    run -0 "$BERTH" network inspect n2
    [ "$(jq -r '.[0].Containers[].Name' <<<"$output" | sort | tr '\n' ' ')" = "early later " ]
    # gone from the others' hosts files once removed
    "$BERTH" rm -f later
    run -1 "$BERTH" exec early grep -w later /etc/hosts
    # the shorter file was rewritten in place and cut to its length: no
    # padding left, the same text berthd writes for a fresh container
    local own
    own=$("$BERTH" exec early hostname)
    run -0 "$BERTH" exec early cat /etc/hosts
    [[ "$output" != *"#"* ]]
    [ "$(tail -n1 <<<"$output" | awk '{ print $2 }')" = "$own" ]
}

@test "-p: the host reaches a published port on 127.0.0.1 and its own address; so does another container" {
    web pub hello -p 8080:80
    run -0 wait_for host_get 127.0.0.1 8080
    [ "$output" = hello ]
    run -0 host_get 198.18.0.1 8080
    [ "$output" = hello ]
    gw=$("$BERTH" network inspect bridge | jq -r '.[0].IPAM.Config[0].Gateway')
    run -0 ctr_get "$gw" 8080
    [ "$output" = hello ]
    run -0 "$BERTH" port pub
    [[ "$output" == *"80/tcp -> 0.0.0.0:8080"* ]]
    run -0 "$BERTH" ps
    [[ "$output" == *"0.0.0.0:8080->80/tcp"* ]]
    # the outside reaches it too, at the host's address
    out=$(printf 'GET / HTTP/1.0\r\n\r\n' | outnet timeout 10 busybox nc -w 3 198.18.0.1 8080)
    [[ "$out" == *hello* ]]
}

@test "-P publishes the exposed ports on free host ports; 127.0.0.1:PORT binds one address" {
    web all x -P --expose 80
    port=$("$BERTH" inspect all | jq -r '.[0].NetworkSettings.Ports["80/tcp"][0].HostPort')
    [ "$port" -ge 1024 ]
    run -0 wait_for host_get 127.0.0.1 "$port"
    [ "$output" = x ]
    web lo1 y -p 127.0.0.1:8090:80
    run -0 wait_for host_get 127.0.0.1 8090
    [ "$output" = y ]
    run -1 host_get 198.18.0.1 8090
}

@test "outbound traffic is masqueraded; an --internal network has no way out" {
    run -0 "$BERTH" run --rm busybox sh -c \
        "printf 'GET /cgi-bin/who HTTP/1.0\r\n\r\n' | nc -w 3 198.18.0.2 80"
    [[ "$output" == *"from "*"198.18.0.1"* ]]
    "$BERTH" network create --internal --subnet 10.89.3.0/24 inner
    run "$BERTH" run --rm --network inner busybox sh -c \
        "printf 'GET /cgi-bin/who HTTP/1.0\r\n\r\n' | timeout 5 nc -w 3 198.18.0.2 80"
    [[ "$output" != *from* ]]
}

@test "containers on different networks cannot reach each other" {
    "$BERTH" network create --subnet 10.89.4.0/24 na
    "$BERTH" network create --subnet 10.89.5.0/24 nb
    web wa a --network na
    b=$(ip_of wa)
    run -0 wait_for ctr_get "$b" 80 --network na
    [ "$output" = a ]
    run "$BERTH" run --rm --network nb busybox sh -c \
        "printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 nc -w 3 $b 80"
    [[ "$output" != *HTTP* ]]
    # nor the default network's
    run "$BERTH" run --rm busybox sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 nc -w 3 $b 80"
    [[ "$output" != *HTTP* ]]
}

@test "--ip, --hostname, --add-host, --dns, --mac-address reach the container's files and links" {
    "$BERTH" network create --subnet 10.89.6.0/24 n6
    run -0 "$BERTH" run --rm --network n6 --ip 10.89.6.50 --hostname box --add-host db:10.1.2.3 \
        --dns 10.9.9.9 --mac-address 02:42:0a:59:06:99 busybox sh -c \
        'cat /etc/hostname /etc/hosts /etc/resolv.conf; ip -o link show eth0; ip -o -4 addr show eth0'
    [[ "$output" == *"10.89.6.50	box"* ]]
    [[ "$output" == *"10.1.2.3	db"* ]]
    [[ "$output" == *"nameserver 10.9.9.9"* ]]
    [[ "$output" == *"02:42:0a:59:06:99"* ]]
    [[ "$output" == *"inet 10.89.6.50/24"* ]]
    [ "$(echo "$output" | head -1)" = box ]
}

@test "bad input: a published port in use, an address outside the subnet, an unknown network" {
    web holder h -p 8100:80
    run -125 "$BERTH" run -d --name second -p 8100:80 busybox sleep 100
    [[ "$output" == *"8100"*"already allocated"* ]]
    "$BERTH" network create --subnet 10.89.7.0/24 n7
    run -125 "$BERTH" run -d --network n7 --ip 10.89.8.5 busybox sleep 100
    [[ "$output" == *"10.89.8.5"* ]]
    run -125 "$BERTH" run --rm --network nope busybox true
    [[ "$output" == *"network nope not found"* ]]
    # nothing of the failed starts is left: one veth (holder's), n7 empty
    [ "$(berth_links)" -eq 1 ]
    run -0 "$BERTH" network inspect n7
    [ "$(echo "$output" | jq '.[0].Containers | length')" -eq 0 ]
}

@test "a stopped container frees its port and address; rm takes its veth and rules" {
    web a1 first -p 8110:80
    run -0 wait_for host_get 127.0.0.1 8110
    "$BERTH" stop -t 1 a1
    web a2 second -p 8110:80
    run -0 wait_for host_get 127.0.0.1 8110
    [ "$output" = second ]
    "$BERTH" rm -f a1 a2
    [ "$(berth_links)" -eq 0 ]
    run -0 hostnet nft list table inet berth
    [[ "$output" != *8110* ]]
}

@test "a berthd restart keeps published ports; an exit while it is down is cleaned at its start" {
    web keep k -p 8120:80
    web gone g -p 8121:80
    run -0 wait_for host_get 127.0.0.1 8120
    pid=$("$BERTH" inspect gone | jq -r '.[0].State.Pid')
    [ "$pid" -gt 0 ]
    engine_stop_daemon KILL
    run -0 host_get 127.0.0.1 8120
    [ "$output" = k ]
    # gone's httpd exits while berthd is down
    kill -KILL "$pid"
    engine_start_daemon
    run -0 host_get 127.0.0.1 8120
    [ "$output" = k ]
    wait_for links_are 1
    run -0 hostnet nft list table inet berth
    [[ "$output" != *8121* ]]
}

@test "--network container:NAME shares the other's namespace, address and names" {
    web host1 shared
    run -0 "$BERTH" run --rm --network container:host1 busybox sh -c \
        "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 127.0.0.1 80; ip -o -4 addr show eth0"
    [[ "$output" == *shared* ]]
    [[ "$output" == *"inet $(ip_of host1)/"* ]]
    "$BERTH" stop -t 1 host1
    run -125 "$BERTH" run --rm --network container:host1 busybox true
    [[ "$output" == *"non running container"* ]]
}

@test "network connect and disconnect: a running container gets and loses a link and its names" {
    "$BERTH" network create --subnet 10.89.9.0/24 n9
    web peer p --network n9
    "$BERTH" run -d --name multi busybox sleep 300
    run -0 "$BERTH" network connect n9 multi
    run -0 "$BERTH" exec multi ip -o -4 addr show eth1
    [[ "$output" == *"inet 10.89.9."* ]]
    run -0 "$BERTH" exec multi grep -w peer /etc/hosts
    run -0 "$BERTH" exec peer grep -w multi /etc/hosts
    run -0 "$BERTH" inspect multi
    [ "$(jq -r '.[0].NetworkSettings.Networks | keys | join(",")' <<<"$output")" = bridge,n9 ]
    run -0 "$BERTH" network disconnect n9 multi
    run -2 "$BERTH" exec multi ip -o link show eth1
    [[ "$output" == *"eth1"* ]]
    run -1 "$BERTH" exec peer grep -w multi /etc/hosts
    run -1 "$BERTH" network disconnect n9 multi
    [[ "$output" == *"not connected"* ]]
    # a stopped container is connected at its next start
    "$BERTH" stop -t 1 multi
    "$BERTH" network connect n9 multi
    "$BERTH" start multi
    run -0 "$BERTH" exec multi ip -o -4 addr show eth1
    [[ "$output" == *"inet 10.89.9."* ]]
}

@test "IPv6: a network with --ipv6 gives containers a v6 address and route; they reach each other" {
    "$BERTH" network create --ipv6 --subnet 10.89.10.0/24 --subnet fd00:b0:10::/64 n6v
    web v6web six --network n6v
    run -0 "$BERTH" inspect v6web
    a6=$(jq -r '.[0].NetworkSettings.Networks.n6v.GlobalIPv6Address' <<<"$output")
    [[ "$a6" == fd00:b0:10::* ]]
    run -0 "$BERTH" run --rm --network n6v busybox sh -c 'ip -6 route; ip -o -6 addr show eth0'
    [[ "$output" == *"default via fd00:b0:10::1"* ]]
    run -0 wait_for ctr_get "$a6" 80 --network n6v
    [ "$output" = six ]
}

@test "a restart by the policy keeps the address and the published port" {
    web again r -p 8130:80 --restart always
    run -0 wait_for host_get 127.0.0.1 8130
    a=$(ip_of again)
    pid=$("$BERTH" inspect again | jq -r '.[0].State.Pid')
    kill -KILL "$pid"
    # the shim's restart writes its records durably: under CI's disk load
    # that takes longer than wait_for's 5 s
    wait_long 20 restarted_once again || {
        "$BERTH" inspect again | jq '.[0] | {State, RestartCount}'
        false
    }
    run -0 wait_long 20 host_get 127.0.0.1 8130
    [ "$output" = r ]
    [ "$(ip_of again)" = "$a" ]
}

@test "-p HOST:CTR/udp publishes a UDP port" {
    [ -n "${BERTH_PROBE:-}" ] && [ -x "$BERTH_PROBE" ] || skip "needs BERTH_PROBE"
    "$BERTH" run -d --name udp -p 5353:53/udp -v "$BERTH_PROBE:/probe:ro" busybox /probe udp-recv 0.0.0.0:53
    wait_for sh -c '"$BERTH" logs udp | grep -q ready'
    for _ in $(seq 20); do
        hostnet python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"ping-udp", ("127.0.0.1", 5353))'
        "$BERTH" logs udp | grep -q ping-udp && break
        sleep 0.1
    done
    run -0 "$BERTH" logs udp
    [[ "$output" == *ping-udp* ]]
}

@test "a start that fails on its second port holds neither port afterwards" {
    web hold2 h -p 8141:80
    run -125 "$BERTH" run -d --name two -p 8140:80 -p 8141:81 busybox sleep 100
    [[ "$output" == *"8141"*"already allocated"* ]]
    "$BERTH" rm -f hold2
    run -0 "$BERTH" start two
    run -0 "$BERTH" port two
    [[ "$output" == *"0.0.0.0:8140"* ]]
    [[ "$output" == *"0.0.0.0:8141"* ]]
}
