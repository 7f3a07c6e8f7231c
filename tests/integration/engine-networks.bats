#!/usr/bin/env bats
# berthd's networks (issue 15, item 2): Docker's bridge driver. berthd runs
# in a private network namespace that plays the host (engine_setup_file_net):
# its bridges, addresses, forwarding switches and nftables table are looked
# at there with `hostnet`. Containers on networks are netctr.c's: not here.

load engine-helpers

setup_file() {
    engine_setup_file_net
}

teardown_file() {
    if [ -f "$ENGINE_DIR/other/berthd.pid" ]; then
        kill "$(cat "$ENGINE_DIR/other/berthd.pid")" 2>/dev/null || true
    fi
    other_kill_ns || true
    engine_teardown_file
}

teardown() {
    engine_teardown
    "$BERTH" network prune -f >/dev/null 2>&1 || true
}

# the links and the rules of berth's table in the host namespace, one a line
links() {
    hostnet ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
}
rules() {
    hostnet nft list table inet berth 2>/dev/null | grep comment || true
}

# a second berthd with ARGS in a namespace of its own (its PID file, socket
# and roots under $ENGINE_DIR/other): other_start ARGS...
other_start() {
    local dir=$ENGINE_DIR/other
    mkdir -p "$dir"
    if [ ! -f "$dir/ns.pid" ]; then
        unshare --net sleep infinity >/dev/null 2>&1 3>&- &
        echo $! >"$dir/ns.pid"
        disown
        netns_wait "$(cat "$dir/ns.pid")"
    fi
    nsenter --net=/proc/"$(cat "$dir/ns.pid")"/ns/net "$BERTHD" -H "unix://$dir/s.sock" \
        --data-root "$dir/data" --exec-root "$dir/exec" --log-level error "$@" \
        >>"$dir/log" 2>&1 3>&- &
    echo $! >"$dir/berthd.pid"
    disown
    for _ in $(seq 100); do
        curl -sf --unix-socket "$dir/s.sock" http://berth/_ping >/dev/null && return 0
        sleep 0.05
    done
    cat "$dir/log" >&2
    return 1
}
other_stop() {
    local dir=$ENGINE_DIR/other pid
    pid=$(cat "$dir/berthd.pid")
    kill "$pid"
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
}
other_net() {
    nsenter --net=/proc/"$(cat "$ENGINE_DIR/other/ns.pid")"/ns/net "$@"
}
other_kill_ns() {
    [ -f "$ENGINE_DIR/other/ns.pid" ] && kill -KILL "$(cat "$ENGINE_DIR/other/ns.pid")"
    rm -f "$ENGINE_DIR/other/ns.pid"
}

@test "the predefined networks: bridge on berth0, host, none" {
    run -0 "$BERTH" network ls
    [[ "${lines[0]}" == "NETWORK ID"*"NAME"*"DRIVER"*"SCOPE" ]]
    [[ "$output" == *" bridge "*" bridge "*" local"* ]]
    [[ "$output" == *" host "*" host "*" local"* ]]
    [[ "$output" == *" none "*" null "*" local"* ]]
    run -0 "$BERTH" network inspect bridge
    [ "$(jq -r '.[0].IPAM.Config[0].Subnet' <<<"$output")" = 172.17.0.0/16 ]
    [ "$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<<"$output")" = berth0 ]
    run -0 hostnet ip -br addr show berth0
    [[ "$output" == *" 172.17.0.1/16"* ]]
    run -0 hostnet ip link show berth0
    [[ "$output" == *"<"*"UP"*">"* ]]
    [[ "$(rules)" == *'masquerade comment "berth masq 172.17.0.0/16"'* ]]
    # containers on it reach beyond the host, as Docker's
    [ "$(hostnet cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
}

@test "network create picks the next free default subnet; inspect shows it" {
    run -0 "$BERTH" network create --label team=a n1
    id=$output
    [[ "$id" =~ ^[0-9a-f]{64}$ ]]
    run -0 "$BERTH" network inspect n1
    net=$(jq '.[0]' <<<"$output")
    [ "$(jq -r .Name <<<"$net")" = n1 ]
    [ "$(jq -r .Id <<<"$net")" = "$id" ]
    [ "$(jq -r .Driver <<<"$net")" = bridge ]
    [ "$(jq -r .Scope <<<"$net")" = local ]
    [ "$(jq -r .Internal <<<"$net")" = false ]
    [ "$(jq -r .EnableIPv6 <<<"$net")" = false ]
    [ "$(jq -r .Labels.team <<<"$net")" = a ]
    [ "$(jq -r '.IPAM.Config[0].Subnet' <<<"$net")" = 172.18.0.0/16 ]
    [ "$(jq -r '.IPAM.Config[0].Gateway' <<<"$net")" = 172.18.0.1 ]
    run -0 hostnet ip -br addr show "br-${id:0:12}"
    [[ "$output" == *" 172.18.0.1/16"* ]]
    [[ "$(rules)" == *'masquerade comment "berth masq 172.18.0.0/16"'* ]]
    [[ "$(rules)" == *"drop comment \"berth isolate br-${id:0:12}\""* ]]
    [ "$(hostnet cat /proc/sys/net/ipv4/conf/br-"${id:0:12}"/route_localnet)" = 1 ]
    run -0 "$BERTH" network ls -q --filter name=n1
    [ "$output" = "${id:0:12}" ]
    run -0 "$BERTH" network ls --filter type=custom
    [[ "$output" == *" n1 "* && "$output" != *" bridge "*" bridge "* ]]
}

@test "GET /networks filters: driver, dangling, label; an unknown one is a 400" {
    run -0 "$BERTH" network create --label k=v f1
    run -0 api GET '/networks?filters=%7B%22driver%22%3A%7B%22null%22%3Atrue%7D%7D'
    [ "$(head -1 <<<"$output" | jq -c '[.[].Name]')" = '["none"]' ]
    run -0 api GET '/networks?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D'
    [ "$(head -1 <<<"$output" | jq -c '[.[].Name]')" = '["f1"]' ]
    run -0 api GET '/networks?filters=%7B%22label%22%3A%5B%22k%3Dv%22%5D%7D'
    [ "$(head -1 <<<"$output" | jq -c '[.[].Name]')" = '["f1"]' ]
    run -0 api GET '/networks?filters=%7B%22until%22%3A%5B%221h%22%5D%7D'
    [[ "$output" == *"invalid filter 'until'"*"HTTP 400" ]]
}

@test "network create --subnet --gateway -o mtu -o bridge.name" {
    run -0 "$BERTH" network create --subnet 10.213.0.0/24 --gateway 10.213.0.254 \
        -o com.docker.network.driver.mtu=1400 -o com.docker.network.bridge.name=brtest n2
    run -0 hostnet ip addr show brtest
    [[ "$output" == *"mtu 1400"* && "$output" == *"inet 10.213.0.254/24"* ]]
    run -0 "$BERTH" network inspect n2
    [ "$(jq -c '.[0].IPAM.Config' <<<"$output")" = '[{"Subnet":"10.213.0.0/24","Gateway":"10.213.0.254"}]' ]
    [ "$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<<"$output")" = brtest ]
    [ "$(jq -r '.[0].Options["com.docker.network.driver.mtu"]' <<<"$output")" = 1400 ]
}

@test "an overlapping subnet is refused by name and leaves nothing" {
    run -0 "$BERTH" network create --subnet 10.214.0.0/16 n3
    before_links=$(links)
    before_rules=$(rules)
    run -1 "$BERTH" network create --subnet 10.214.5.0/24 n4
    [[ "$output" == *"subnet 10.214.5.0/24 overlaps network 'n3' (10.214.0.0/16)"* ]]
    # a route of the host (berthd's namespace)
    hostnet ip link add bt-veth0 type veth peer name bt-veth1
    hostnet ip addr add 10.215.0.1/16 dev bt-veth0
    hostnet ip link set bt-veth0 up
    before_links=$(links)
    run -1 "$BERTH" network create --subnet 10.215.7.0/24 n4
    hostnet ip link del bt-veth0
    [[ "$output" == *"subnet 10.215.7.0/24 overlaps route 10.215.0.0/16 on 'bt-veth0'"* ]]
    [ "$(links | grep -vc bt-veth)" = "$(grep -vc bt-veth <<<"$before_links")" ]
    [ "$(rules)" = "$before_rules" ]
    run -1 "$BERTH" network inspect n4
    [[ "$output" == *"network n4 not found"* ]]
}

@test "bad input is refused by name: gateway, subnet, name, driver, options" {
    before_links=$(links)
    before_rules=$(rules)
    before_recs=$(ls "$ENGINE_DIR/data/networks")
    run -1 "$BERTH" network create --subnet 10.216.0.0/16 --gateway 10.217.0.1 n5
    [[ "$output" == *"gateway 10.217.0.1 is outside the subnet 10.216.0.0/16"* ]]
    run -1 "$BERTH" network create --subnet 10.216.0.5/16 n5
    [[ "$output" == *"invalid subnet '10.216.0.5/16': it should be '10.216.0.0/16'"* ]]
    run -1 "$BERTH" network create --subnet nonsense n5
    [[ "$output" == *"invalid subnet 'nonsense'"* ]]
    run -1 "$BERTH" network create _n5
    [[ "$output" == *'invalid network name "_n5"'* ]]
    run -1 "$BERTH" network create --driver overlay n5
    [[ "$output" == *"network driver 'overlay' is not supported by berth"* ]]
    run -1 "$BERTH" network create -o com.docker.network.bridge.enable_icc=false n5
    [[ "$output" == *"network option 'com.docker.network.bridge.enable_icc' is not supported"* ]]
    run -1 "$BERTH" network create --ipv6 n5
    [[ "$output" == *"an IPv6 network needs an IPv6 subnet"* ]]
    run -0 api POST /networks/create \
        '{"Name":"n5","IPAM":{"Config":[{"Subnet":"10.216.0.0/16","IPRange":"10.216.1.0/24"}]}}'
    [[ "$output" == *"IPRange (--ip-range) is not supported by berth"* && "$output" == *"HTTP 400" ]]
    run -1 "$BERTH" network create host
    [[ "$output" == *"operation is not permitted on predefined host network"* ]]
    [ "$(links)" = "$before_links" ]
    [ "$(rules)" = "$before_rules" ]
    [ "$(ls "$ENGINE_DIR/data/networks")" = "$before_recs" ]
}

@test "a duplicate name is a 409" {
    run -0 "$BERTH" network create n6
    run -0 api POST /networks/create '{"Name":"n6"}'
    [[ "$output" == *'"network with name n6 already exists"'* && "$output" == *"HTTP 409" ]]
    run -1 "$BERTH" network create n6
    [[ "$output" == *"network with name n6 already exists"* ]]
}

@test "network rm removes the bridge and its rules; predefined ones stay" {
    run -0 "$BERTH" network create --subnet 10.218.0.0/24 n7
    id=$output
    run -0 "$BERTH" network rm n7
    [ "$output" = n7 ]
    run -1 hostnet ip link show "br-${id:0:12}"
    [[ "$(rules)" != *"10.218.0.0"* && "$(rules)" != *"br-${id:0:12}"* ]]
    [ ! -e "$ENGINE_DIR/data/networks/$id" ]
    run -0 api DELETE /networks/bridge
    [[ "$output" == *"bridge is a pre-defined network and cannot be removed"* && "$output" == *"HTTP 403" ]]
    run -1 "$BERTH" network rm none
    [[ "$output" == *"none is a pre-defined network and cannot be removed"* ]]
    run -1 "$BERTH" network rm n7
    [[ "$output" == *"network n7 not found"* ]]
    hostnet ip link show berth0
}

@test "network rm refuses a network with endpoints" {
    run -0 "$BERTH" network create n8
    id=$output
    # an endpoint as netctr.c writes it, for a container that runs
    mkdir -p "$ENGINE_DIR/exec/networks/$id"
    echo '{"Name":"/c","IPAddress":"172.18.0.2","IPPrefixLen":16}' >"$ENGINE_DIR/exec/networks/$id/$(printf 'c%.0s' {1..64}).json"
    run -1 "$BERTH" network rm n8
    [[ "$output" == *"error while removing network: network n8 id $id has active endpoints"* ]]
    run -0 "$BERTH" network prune -f
    [[ "$output" != *n8* ]]
    run -0 "$BERTH" network inspect -f '{{json .Containers}}' n8
    [[ "$output" == *'"IPv4Address":"172.18.0.2/16"'* && "$output" == *'"Name":"c"'* ]]
    rm "$ENGINE_DIR/exec/networks/$id"/*.json
    run -0 "$BERTH" network rm n8
}

@test "network prune removes the user networks without endpoints" {
    run -0 "$BERTH" network create p1
    run -0 "$BERTH" network create --internal p2
    run -0 "$BERTH" network prune -f
    [ "${lines[0]}" = "Deleted Networks:" ]
    [[ "$output" == *p1* && "$output" == *p2* ]]
    run -0 "$BERTH" network ls -q
    [ "${#lines[@]}" = 3 ]
    [ "$(links | grep -c '^br-')" = 0 ]
}

@test "network prune --filter label=, label!= and until= choose what goes" {
    run -0 "$BERTH" network create --label keep=yes f1
    run -0 "$BERTH" network create --label tier=a f2
    run -0 "$BERTH" network create f3
    run -0 "$BERTH" network prune -f --filter label=tier=a
    [ "$output" = "Deleted Networks:
f2" ]
    run -0 "$BERTH" network prune -f --filter label!=keep
    [ "$output" = "Deleted Networks:
f3" ]
    # made now, so not before an hour ago: kept
    run -0 "$BERTH" network prune -f --filter until=1h
    [ -z "$output" ]
    run -0 "$BERTH" network prune -f --filter "until=$(($(date +%s) + 60))"
    [ "$output" = "Deleted Networks:
f1" ]
    run -1 "$BERTH" network prune -f --filter dangling=true
    [[ "$output" == *"invalid filter 'dangling'"* ]]
    run -1 "$BERTH" network prune -f --filter until=someday
    [[ "$output" == *"invalid filter 'until=someday'"* ]]
    run -1 "$BERTH" network prune -f --filter color=red
    [[ "$output" == *"color"* ]]
}

@test "--internal: no masquerade, no forwarding out of the bridge" {
    run -0 "$BERTH" network create --internal --subnet 10.219.0.0/24 n9
    id=$output
    run -0 "$BERTH" network inspect -f '{{.Internal}}' n9
    [ "$output" = true ]
    [[ "$(rules)" != *"10.219.0.0/24"* ]]
    run -0 hostnet nft list chain inet berth forward
    [[ "$output" == *"iifname \"br-${id:0:12}\" oifname != \"br-${id:0:12}\" drop comment \"berth internal br-${id:0:12}\""* ]]
    [[ "$output" == *"oifname \"br-${id:0:12}\" iifname != \"br-${id:0:12}\" drop comment \"berth internal br-${id:0:12}\""* ]]
    run -0 "$BERTH" network rm n9
    [[ "$(rules)" != *"berth internal"* ]]
}

@test "an IPv6 network: its gateway on the bridge, IPv6 forwarding on" {
    run -0 "$BERTH" network create --ipv6 --subnet fd42:b::/64 n10
    id=$output
    run -0 hostnet ip -6 addr show "br-${id:0:12}"
    [[ "$output" == *"inet6 fd42:b::1/64"* ]]
    run -0 "$BERTH" network inspect -f '{{.EnableIPv6}} {{json .IPAM.Config}}' n10
    [[ "$output" == "true "*'{"Subnet":"fd42:b::/64","Gateway":"fd42:b::1"}'* ]]
    [[ "$(rules)" == *'ip6 saddr fd42:b::/64 oifname != '*'masquerade'* ]]
    [ "$(hostnet cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ]
    run -1 "$BERTH" network create --subnet fd42:b:0:0:1::/80 --ipv6 n11
    [[ "$output" == *"overlaps network 'n10' (fd42:b::/64)"* ]]
}

@test "a restart keeps the networks and makes a deleted bridge and rules again" {
    run -0 "$BERTH" network create --subnet 10.220.0.0/24 n12
    id=$output
    engine_stop_daemon
    hostnet ip link del "br-${id:0:12}"
    hostnet ip link del berth0
    hostnet nft delete table inet berth
    engine_start_daemon
    run -0 "$BERTH" network inspect -f '{{.Id}} {{json .IPAM.Config}}' n12
    [ "$output" = "$id "'[{"Subnet":"10.220.0.0/24","Gateway":"10.220.0.1"}]' ]
    run -0 hostnet ip -br addr show "br-${id:0:12}"
    [[ "$output" == *" 10.220.0.1/24"* ]]
    run -0 hostnet ip -br addr show berth0
    [[ "$output" == *" 172.17.0.1/16"* ]]
    [[ "$(rules)" == *'berth masq 10.220.0.0/24'* && "$(rules)" == *"berth isolate br-${id:0:12}"* ]]
    [[ "$(rules)" == *'berth masq 172.17.0.0/16'* ]]
}

@test "berthd --bridge none: no default network; the last network takes the table" {
    other_start
    other_net ip link show berth0
    other_stop
    other_start --bridge none
    run -0 env BERTH_HOST="unix://$ENGINE_DIR/other/s.sock" "$BERTH" network ls
    [[ "$output" != *" bridge "* && "$output" == *" host "* && "$output" == *" none "* ]]
    run -1 other_net ip link show berth0
    run -0 env BERTH_HOST="unix://$ENGINE_DIR/other/s.sock" "$BERTH" network create n13
    run -0 other_net nft list table inet berth
    run -0 env BERTH_HOST="unix://$ENGINE_DIR/other/s.sock" "$BERTH" network rm n13
    run -1 other_net nft list table inet berth
    # nftables refuses (a set of berth's table that is not berth's): the
    # bridge made before goes again
    other_net nft add table inet berth
    other_net nft add set inet berth bridges '{ type ipv4_addr; }'
    before_links=$(other_net ip -o link show | wc -l)
    run -1 env BERTH_HOST="unix://$ENGINE_DIR/other/s.sock" "$BERTH" network create n14
    [[ "$output" == *"cannot set up network n14: "*"nftables"* ]]
    [ "$(other_net ip -o link show | wc -l)" = "$before_links" ]
    run -0 env BERTH_HOST="unix://$ENGINE_DIR/other/s.sock" "$BERTH" network ls -q
    [ "${#lines[@]}" = 2 ]
    other_stop
    other_kill_ns
    run -1 "$BERTHD" --bridge br9
    [[ "$output" == *"--bridge 'br9' is not supported: only 'none'"* ]]
}
