#!/usr/bin/env bats
# libberth's network mechanics (issue 15, item 1): netlink.h and nft.h driven
# through tests/nettool/berth-nettool, on real namespaces.
#
# Nothing touches the machine's own network: a private network namespace H
# plays the host (its bridges, its nftables table, its ip_forward), A and B
# are containers on bridge 1, C one on bridge 2, and O is "the outside",
# joined to H by a veth, with no route back to the bridges' subnets. Packets
# go only to addresses inside these namespaces and to 127.0.0.0/8. Every
# namespace is a `sleep` started by `unshare --net` and killed by its PID.
#
#   BERTH_NETTOOL=build/tests/nettool/berth-nettool bats tests/integration/net-lib.bats
#
# (without BERTH_NETTOOL, the build next to $BERTH_RUNTIME is used)

bats_require_minimum_version 1.5.0

# in the namespace of PID: in_ns PID CMD...
in_ns() {
    local pid=$1
    shift
    nsenter --net=/proc/"$pid"/ns/net "$@"
}

# the tool in the host namespace H
hnet() {
    in_ns "$H" "$NETTOOL" "$@"
}

# a sleeping process in a new network namespace; its PID in the named var
new_ns() {
    local pid self
    unshare --net sleep 3600 >/dev/null 2>&1 &
    pid=$!
    printf -v "$1" %s "$pid"
    echo "$pid" >>"$BATS_FILE_TMPDIR/pids"
    # until unshare made it: before, nsenter would enter the machine's own
    self=$(readlink /proc/self/ns/net)
    for _ in $(seq 200); do
        [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "$self" ] || return 0
        sleep 0.01
    done
    return 1
}

# busybox httpd serving TEXT on port 80 in the namespace of PID
serve() {
    local pid=$1 text=$2 dir
    dir=$BATS_FILE_TMPDIR/www-$pid
    mkdir -p "$dir"
    echo "$text" >"$dir/index.html"
    # nsenter itself, not a function: $! must be the PID httpd runs as
    nsenter --net=/proc/"$pid"/ns/net busybox httpd -f -p 80 -h "$dir" >/dev/null 2>&1 &
    echo "$!" >>"$BATS_FILE_TMPDIR/pids"
}

# GET / from IP:PORT in the namespace of PID; prints the body, fails unless
# the answer is a 200 (busybox-static's wget crashes in Debian 12: nc does)
fetch() {
    local out
    out=$(printf 'GET / HTTP/1.0\r\n\r\n' | in_ns "$1" timeout 10 busybox nc -w 2 "$2" "$3") ||
        return 1
    [[ "$out" == "HTTP/1."?" 200 "* ]] || return 1
    printf '%s\n' "$out" | sed '1,/^\r*$/d'
}

# the first of the candidate subnets that H's routes and addresses leave free
free_subnet() {
    local c
    for c in "$@"; do
        if hnet subnet-free "$c" >/dev/null; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

# a container namespace on a bridge: attach NS BRIDGE VETH ADDR/LEN GW
attach() {
    local ns=$1 br=$2 v=$3 addr=$4 gw=$5
    hnet veth-add "${v}h" "${v}c"
    hnet link-master "${v}h" "$br"
    hnet link-up "${v}h"
    hnet link-netns "${v}c" "$ns"
    # a container sees eth0: rename it there (it is down until link-up)
    hnet link-rename "${v}c" eth0 "$ns"
    hnet addr-add eth0 "$addr" "$ns"
    hnet link-up eth0 "$ns"
    hnet link-up lo "$ns"
    hnet route-add-default "$gw" "$ns"
}

build_topology() {
    new_ns H
    new_ns A
    new_ns B
    new_ns C
    new_ns O
    hnet link-up lo
    # forwarding inside H only: the bridges route to each other and to O
    in_ns "$H" sysctl -qw net.ipv4.ip_forward=1

    NET1=$(free_subnet 10.213.0.0/24 10.223.0.0/24 172.30.213.0/24)
    hnet bridge-add "$BR1"
    hnet addr-add "$BR1" "${NET1%.0/24}.1/24"
    hnet link-up "$BR1"
    NET2=$(free_subnet 10.214.0.0/24 10.224.0.0/24 172.30.214.0/24)
    hnet bridge-add "$BR2"
    hnet addr-add "$BR2" "${NET2%.0/24}.1/24"
    hnet link-up "$BR2"
    NETO=$(free_subnet 10.215.0.0/24 10.225.0.0/24 172.30.215.0/24)

    attach "$A" "$BR1" "${P}a" "${NET1%.0/24}.2/24" "${NET1%.0/24}.1"
    attach "$B" "$BR1" "${P}b" "${NET1%.0/24}.3/24" "${NET1%.0/24}.1"
    attach "$C" "$BR2" "${P}c" "${NET2%.0/24}.2/24" "${NET2%.0/24}.1"

    # the outside: O's side is moved by an fd on its namespace, not a PID
    hnet veth-add "${P}o" "${P}p"
    hnet link-netns-fd "${P}p" "/proc/$O/ns/net"
    hnet addr-add "${P}o" "${NETO%.0/24}.1/24"
    hnet link-up "${P}o"
    hnet addr-add "${P}p" "${NETO%.0/24}.2/24" "$O"
    hnet link-up "${P}p" "$O"
    hnet link-up lo "$O"

    serve "$B" "hello from B"
    serve "$O" "hello from outside"
    export NET1 NET2 NETO
}

setup_file() {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
    NETTOOL=${BERTH_NETTOOL:-$(dirname "${BERTH_RUNTIME:-build/src/runtime/x}")/../../tests/nettool/berth-nettool}
    [ -x "$NETTOOL" ] || {
        echo "BERTH_NETTOOL must name tests/nettool/berth-nettool" >&2
        return 1
    }
    NETTOOL=$(cd "$(dirname "$NETTOOL")" && pwd)/berth-nettool
    for c in nft busybox unshare nsenter ip; do
        command -v "$c" >/dev/null || skip "no $c"
    done
    nft list tables >/dev/null 2>&1 || skip "nf_tables is not available"
    # unique, short link names (IFNAMSIZ), and a table of our own
    P=bn$(($$ % 1000000))
    BR1=${P}b1 BR2=${P}b2
    TABLE=berth-test-$$
    export NETTOOL P BR1 BR2 TABLE
    : >"$BATS_FILE_TMPDIR/pids"
    build_topology
    export H A B C O
}

# each test starts without our table
teardown() {
    hnet nft-del "$TABLE" >/dev/null
}

teardown_file() {
    local pid
    [ -f "$BATS_FILE_TMPDIR/pids" ] || return 0
    # servers first, then the namespaces: with their last process gone, the
    # namespaces go and take their links and nftables tables along
    while read -r pid; do
        kill "$pid" 2>/dev/null || true
    done < <(tac "$BATS_FILE_TMPDIR/pids")
    # reaped if they are our children; a zombie holds no namespace
    while read -r pid; do
        wait "$pid" 2>/dev/null || true
        while [ -e "/proc/$pid" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
            sleep 0.1
        done
    done <"$BATS_FILE_TMPDIR/pids"
    host_is_clean
}

# nothing of ours in the machine's own namespace
host_is_clean() {
    if ip -o link show | grep -q ": $P"; then
        echo "links left on the host: $(ip -o link show | grep ": $P")" >&2
        return 1
    fi
    if nft list tables | grep -qw "$TABLE"; then
        echo "table $TABLE left on the host" >&2
        return 1
    fi
}

@test "net-lib: links, addresses and routes land in the right namespaces" {
    run in_ns "$A" ip -o -4 addr show dev eth0
    [[ "$output" == *"inet ${NET1%.0/24}.2/24 "* ]]
    run in_ns "$A" ip route show default
    [[ "$output" == "default via ${NET1%.0/24}.1 dev eth0 "* ]]
    # the container's end left H, its host end is a port of the bridge
    run in_ns "$H" ip -o link show dev "${P}ac"
    [ "$status" -ne 0 ]
    run in_ns "$H" ip -o link show dev "${P}ah"
    [[ "$output" == *"master $BR1 "* ]]
    run "$NETTOOL" link-index "$BR1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"no link '$BR1'"* ]]
    run hnet link-index "$BR1"
    [ "$status" -eq 0 ]
    [ "$output" -gt 0 ]
}

@test "net-lib: a veth's peer is created right in a namespace, and goes with it" {
    hnet veth-add "${P}x" "${P}y" "$C"
    run in_ns "$H" ip -o link show dev "${P}y"
    [ "$status" -ne 0 ]
    run in_ns "$C" ip -o link show dev "${P}y"
    [ "$status" -eq 0 ]
    hnet link-up "${P}y" "$C"
    run in_ns "$C" ip -o link show dev "${P}y"
    [[ "$output" == *"<"*",UP"* ]]
    hnet link-down "${P}y" "$C"
    run in_ns "$C" ip -o link show dev "${P}y"
    [[ "$output" != *",UP"* ]]
    hnet link-del "${P}x"
    run in_ns "$C" ip -o link show dev "${P}y"
    [ "$status" -ne 0 ]
}

@test "net-lib: subnet-free sees the routes and addresses of its namespace" {
    run hnet subnet-free "${NET1%.0/24}.0/16"
    [ "$status" -eq 1 ]
    [ "$output" = "overlaps route $NET1 on '$BR1'" ]
    run hnet subnet-free "${NET1%.0/24}.128/25"
    [ "$status" -eq 1 ]
    run hnet subnet-free 127.0.0.0/24
    [ "$status" -eq 1 ]
    [ "$output" = "overlaps route 127.0.0.0/8 on 'lo'" ]
    run hnet subnet-free 192.0.2.0/24
    [ "$status" -eq 0 ]
    [ "$output" = free ]
    # the machine's own namespace: only read, its loopback route is there
    run "$NETTOOL" subnet-free 127.0.0.0/8
    [ "$status" -eq 1 ]
}

@test "net-lib: two namespaces on one bridge reach each other" {
    in_ns "$A" timeout 10 busybox ping -c1 -W2 "${NET1%.0/24}.3"
    run fetch "$A" "${NET1%.0/24}.3" 80
    [ "$status" -eq 0 ]
    [ "$output" = "hello from B" ]
}

@test "net-lib: MTU and route_localnet are set per link" {
    hnet link-mtu "${P}bh" 1400
    run in_ns "$H" ip -o link show dev "${P}bh"
    [[ "$output" == *" mtu 1400 "* ]]
    hnet link-mtu "${P}bh" 1500
    hnet route-localnet "$BR2" 1
    [ "$(in_ns "$H" cat /proc/sys/net/ipv4/conf/"$BR2"/route_localnet)" = 1 ]
    [ "$(in_ns "$H" cat /proc/sys/net/ipv4/conf/all/route_localnet)" = 0 ]
    hnet route-localnet "$BR2" 0
    [ "$(in_ns "$H" cat /proc/sys/net/ipv4/conf/"$BR2"/route_localnet)" = 0 ]
}

@test "net-lib: a published port answers on 127.0.0.1 and the host's address" {
    hnet nft-masq-add "$TABLE" "$NET1" "$BR1"
    hnet nft-dnat-add "$TABLE" tcp 8080 "${NET1%.0/24}.3" 80 "$BR1"
    # the kernel drops a 127/8 source routed out of the bridge until the
    # bridge has route_localnet
    hnet route-localnet "$BR1" 0
    run fetch "$H" 127.0.0.1 8080
    [ "$status" -ne 0 ]
    hnet route-localnet "$BR1" 1
    run fetch "$H" 127.0.0.1 8080
    [ "$status" -eq 0 ]
    [ "$output" = "hello from B" ]
    run fetch "$H" "${NETO%.0/24}.1" 8080
    [ "$output" = "hello from B" ]
    # from another container of the bridge, through the host (hairpin NAT)
    run fetch "$A" "${NET1%.0/24}.1" 8080
    [ "$output" = "hello from B" ]
    # from the outside, to the host's address there
    run fetch "$O" "${NETO%.0/24}.1" 8080
    [ "$output" = "hello from B" ]
    # published twice: refused, and the first still works
    run hnet nft-dnat-add "$TABLE" tcp 8080 "${NET1%.0/24}.2" 80 "$BR1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"publish tcp port 0.0.0.0:8080: it exists already"* ]]
    hnet nft-dnat-del "$TABLE" tcp 8080
    run fetch "$H" 127.0.0.1 8080
    [ "$status" -ne 0 ]
    # exactly its rules went: the masquerade stays
    run in_ns "$H" nft list table inet "$TABLE"
    [[ "$output" != *"berth dnat"* ]]
    [[ "$output" == *"berth masq $NET1"* ]]
    hnet nft-masq-del "$TABLE" "$NET1"
}

@test "net-lib: a published port on one host address only" {
    hnet route-localnet "$BR1" 1
    hnet nft-dnat-add "$TABLE" tcp 127.0.0.1:8081 "${NET1%.0/24}.3" 80 "$BR1"
    run fetch "$H" 127.0.0.1 8081
    [ "$output" = "hello from B" ]
    run fetch "$H" "${NETO%.0/24}.1" 8081
    [ "$status" -ne 0 ]
    hnet nft-dnat-del "$TABLE" tcp 127.0.0.1:8081
}

@test "net-lib: masquerade takes a bridge's traffic to the outside" {
    # O has no route back to the bridge's subnet: only a masqueraded
    # connection gets its answer
    run fetch "$A" "${NETO%.0/24}.2" 80
    [ "$status" -ne 0 ]
    hnet nft-masq-add "$TABLE" "$NET1" "$BR1"
    run fetch "$A" "${NETO%.0/24}.2" 80
    [ "$status" -eq 0 ]
    [ "$output" = "hello from outside" ]
    run hnet nft-masq-add "$TABLE" "$NET1" "$BR1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"exists already"* ]]
    hnet nft-masq-del "$TABLE" "$NET1"
    run fetch "$A" "${NETO%.0/24}.2" 80
    [ "$status" -ne 0 ]
    run hnet nft-masq-del "$TABLE" "$NET1"
    [ "$status" -eq 1 ]
    [[ "$output" == *"there is none"* ]]
}

@test "net-lib: isolation drops traffic between two bridges, not to the outside" {
    hnet nft-masq-add "$TABLE" "$NET1" "$BR1"
    in_ns "$A" timeout 10 busybox ping -c1 -W2 "${NET2%.0/24}.2"
    hnet nft-isolate-add "$TABLE" "$BR1"
    hnet nft-isolate-add "$TABLE" "$BR2"
    run in_ns "$A" timeout 10 busybox ping -c1 -W2 "${NET2%.0/24}.2"
    [ "$status" -ne 0 ]
    run in_ns "$C" timeout 10 busybox ping -c1 -W2 "${NET1%.0/24}.2"
    [ "$status" -ne 0 ]
    run fetch "$A" "${NETO%.0/24}.2" 80
    [ "$output" = "hello from outside" ]
    hnet nft-isolate-del "$TABLE" "$BR1"
    hnet nft-isolate-del "$TABLE" "$BR2"
    in_ns "$A" timeout 10 busybox ping -c1 -W2 "${NET2%.0/24}.2"
    hnet nft-masq-del "$TABLE" "$NET1"
}

@test "net-lib: bad input gets a clear error and creates nothing" {
    local before_links before_nft
    before_links=$(in_ns "$H" ip -o link show | wc -l)
    before_nft=$(in_ns "$H" nft list ruleset)
    run hnet addr-add "$BR1" 10.0.0.300/24
    [ "$status" -eq 1 ]
    [ "$output" = "berth-nettool: cannot add an address to link '$BR1': invalid address '10.0.0.300' in '10.0.0.300/24'" ]
    run hnet addr-add "$BR1" 10.9.0.1/33
    [[ "$output" == *"invalid prefix length in '10.9.0.1/33'"* ]]
    run hnet addr-add "$BR1" 10.9.0.1
    [[ "$output" == *"invalid address '10.9.0.1' (expected ADDRESS/PREFIX)"* ]]
    run hnet addr-add "${P}nope" 10.9.0.1/24
    [ "$status" -eq 1 ]
    [[ "$output" == *"no link '${P}nope': No such device"* ]]
    run hnet link-del "${P}nope"
    [ "$status" -eq 1 ]
    [[ "$output" == *"'${P}nope'"* ]]
    run hnet bridge-add "${P}toolongname123"
    [ "$status" -eq 1 ]
    [[ "$output" == *"link name '${P}toolongname123' is too long (at most 15 characters)"* ]]
    run hnet bridge-add 'bad"name'
    [[ "$output" == *"invalid link name 'bad\"name'"* ]]
    run hnet bridge-add "$BR1"
    [[ "$output" == *"cannot create bridge '$BR1': File exists"* ]]
    run hnet link-mtu "$BR1" 10
    [[ "$output" == *"cannot set the mtu of link '$BR1' to 10"*"Invalid argument"* ]]
    run hnet route-add-default 10.0.0.256 "$A"
    [[ "$output" == *"invalid gateway address '10.0.0.256'"* ]]
    run hnet nft-dnat-add "$TABLE" sctp 8080 "${NET1%.0/24}.3" 80 "$BR1"
    [[ "$output" == *"invalid protocol 'sctp' (tcp or udp)"* ]]
    run hnet nft-dnat-add "$TABLE" tcp 70000 "${NET1%.0/24}.3" 80 "$BR1"
    [[ "$output" == *"invalid host port 70000"* ]]
    run hnet nft-dnat-add "$TABLE" tcp 8080 127.0.0.1 80 "$BR1"
    [[ "$output" == *"invalid container address '127.0.0.1'"* ]]
    run hnet nft-masq-add "$TABLE" 10.1.2.0/24 'br;drop'
    [[ "$output" == *"invalid link name 'br;drop'"* ]]
    run hnet nft-masq-add 'x;flush ruleset' 10.1.2.0/24 "$BR1"
    [[ "$output" == *"invalid nftables table name 'x;flush ruleset'"* ]]
    [ "$(in_ns "$H" ip -o link show | wc -l)" = "$before_links" ]
    [ "$(in_ns "$H" nft list ruleset)" = "$before_nft" ]
}

@test "net-lib: teardown removes the links and the table" {
    hnet nft-ensure "$TABLE"
    hnet nft-masq-add "$TABLE" "$NET1" "$BR1"
    # another table in H, which berth must leave alone
    in_ns "$H" nft add table inet other
    for v in a b c; do
        hnet link-del "${P}${v}h"
    done
    hnet link-del "${P}o"
    hnet link-del "$BR1"
    hnet link-del "$BR2"
    run hnet nft-del "$TABLE"
    [ "$output" = deleted ]
    run hnet nft-del "$TABLE"
    [ "$output" = absent ]
    # the peers went with their veths, only loopbacks remain
    [ "$(in_ns "$H" ip -o link show | awk -F': ' '{print $2}')" = lo ]
    [ "$(in_ns "$A" ip -o link show | awk -F': ' '{print $2}')" = lo ]
    [ "$(in_ns "$O" ip -o link show | awk -F': ' '{print $2}')" = lo ]
    [ "$(in_ns "$H" nft list tables)" = "table inet other" ]
    in_ns "$H" nft delete table inet other
}

@test "net-lib: the machine's own namespace got nothing" {
    host_is_clean
}
