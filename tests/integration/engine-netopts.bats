#!/usr/bin/env bats
# run's and create's network options (issue 15): what the CLI refuses
# before it sends anything, in the docker CLI's words, and what berthd
# refuses of any client's body (src/daemon/netopts.c); a refused create
# leaves no container. What is accepted goes into the body as docker's
# CLI puts it. Containers here use --network none: publishing itself is
# engine-net.bats'.

load engine-helpers

# refused CLI_ARGS... : berth create exits 125, prints $want, makes nothing
refused() {
    run -125 "$BERTH" create "$@"
    [[ "$output" == *"$want"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

# api_refused BODY: berthd answers 400 with $want, makes nothing
api_refused() {
    run -0 api POST /containers/create "$1"
    [[ "$output" == *"HTTP 400" ]]
    [[ "$output" == *"$want"* ]]
    run -0 "$BERTH" ps -a -q
    [ -z "$output" ]
}

@test "-p: a bad spec is refused by the CLI with docker's message" {
    want="invalid containerPort: x" refused -p x busybox true
    want="invalid containerPort: 70000" refused -p 8080:70000 busybox true
    want="invalid hostPort: 70000" refused -p 70000:80 busybox true
    want="invalid hostPort: 9-8" refused -p 9-8:80 busybox true
    want="invalid proto: sctpx" refused -p 80/sctpx busybox true
    want="invalid IP address: 1.2.3" refused -p 1.2.3:8080:80 busybox true
    want="missing ']' in address" refused -p '[::1:8080:80' busybox true
    want="no port specified: 80:<empty>" refused -p 80: busybox true
    want="invalid ranges specified for container and host Ports: 90-92 and 80-81" \
        refused -p 80-81:90-92 busybox true
    want="invalid publish opts format" refused -p target=80,udp busybox true
    want="invalid port format for --expose: 1:2" refused --expose 1:2 busybox true
    want="invalid range format for --expose: x" refused --expose x busybox true
}

@test "--add-host, --mac-address, --dns, --dns-search, --network-alias: bad values are refused by the CLI" {
    want='bad format for add-host: "foo"' refused --add-host foo busybox true
    want='invalid IP address in add-host: "bar"' refused --add-host foo:bar busybox true
    want="02:42 is not a valid mac address" refused --mac-address 02:42 busybox true
    want="IP address is not correctly formatted: 1.2.3" refused --dns 1.2.3 busybox true
    want="-bad is not a valid domain" refused --dns-search -bad busybox true
    want="network-scoped aliases are only supported for user-defined networks" \
        refused --network none --network-alias web busybox true
}

@test "berthd refuses what does not go with the network mode, through the CLI" {
    want="user specified IP address is supported on user defined networks only" \
        refused --ip 10.0.0.5 busybox true
    want="user specified IP address is supported on user defined networks only" \
        refused --network none --ip6 fd00::5 busybox true
    want="conflicting options: port publishing (HostConfig.PortBindings) and the network mode 'host'" \
        refused --network host -p 8080:80 busybox true
    want="conflicting options: port publishing (HostConfig.PublishAllPorts) and the network mode 'none'" \
        refused --network none -P busybox true
    want="conflicting options: dns and the network mode 'host'" \
        refused --network host --dns 1.1.1.1 busybox true
    want="conflicting options: mac-address and the network mode 'none'" \
        refused --network none --mac-address 02:42:ac:11:00:02 busybox true
    want="protocol 'sctp' of port '80/sctp' in HostConfig.PortBindings is not supported by berth" \
        refused --network none -p 80/sctp busybox true
}

@test "berthd refuses a bad network field of any client, naming it and its value" {
    want="invalid port '70000/tcp' in HostConfig.PortBindings" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"PortBindings":{"70000/tcp":[{"HostPort":"80"}]}}}'
    want="invalid protocol 'sctpx' of port '80/sctpx'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"PortBindings":{"80/sctpx":[]}}}'
    want="invalid HostPort '80-70000' for port '80/tcp'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"80-70000"}]}}}'
    want="invalid HostIp '1.2.3' for port '80/tcp'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"PortBindings":{"80/tcp":[{"HostIp":"1.2.3"}]}}}'
    want="invalid ExposedPorts '80/tcp'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"ExposedPorts":{"80/tcp":"yes"}}'
    want="invalid HostConfig.Dns '1.2.3' (an IP address expected)" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"none","Dns":["1.2.3"]}}'
    # a newline would add a line of its own to resolv.conf or hosts
    want="invalid HostConfig.DnsSearch" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"none","DnsSearch":["a.example\nnameserver 6.6.6.6"]}}'
    want="invalid HostConfig.DnsOptions 'ndots:1 x'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"none","DnsOptions":["ndots:1 x"]}}'
    want="invalid HostConfig.ExtraHosts 'foo:bar'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"none","ExtraHosts":["foo:bar"]}}'
    want="invalid Hostname 'a b'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"Hostname":"a b","HostConfig":{"NetworkMode":"none"}}'
    want="invalid MacAddress '01:00:5e:00:00:01'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"MacAddress":"01:00:5e:00:00:01"}'
    want="invalid network name 'a b' in HostConfig.NetworkMode" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"a b"}}'
    want="invalid type for field 'HostConfig.PortBindings'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":80}]}}}'
}

@test "berthd refuses endpoint settings it cannot honour" {
    want="invalid IPv4 address: fd00::2" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"mynet"},"NetworkingConfig":{"EndpointsConfig":{"mynet":{"IPAMConfig":{"IPv4Address":"fd00::2"}}}}}'
    want="NetworkingConfig.EndpointsConfig names network 'other', not the container's network 'mynet'" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"mynet"},"NetworkingConfig":{"EndpointsConfig":{"other":{"Aliases":["a"]}}}}'
    want="a container joins one network at create" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"a"},"NetworkingConfig":{"EndpointsConfig":{"a":{"Aliases":["x"]},"b":{"Aliases":["y"]}}}}'
    want="NetworkingConfig.EndpointsConfig.mynet.Links is not supported by berth yet" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"mynet"},"NetworkingConfig":{"EndpointsConfig":{"mynet":{"Links":["db:db"]}}}}'
    want="network-scoped alias is supported only for containers in user defined networks" api_refused \
        '{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"bridge"},"NetworkingConfig":{"EndpointsConfig":{"bridge":{"Aliases":["x"]}}}}'
}

@test "accepted options reach the record as the docker CLI sends them" {
    run -0 "$BERTH" create --network none --expose 7000-7001 --expose 53/udp --dns 192.0.2.53 \
        --dns-search example.com --dns-option ndots:2 --add-host db=192.0.2.10 \
        --add-host 'v6:[2001:db8::1]' --hostname web --domainname example.com busybox true
    id=$output
    run -0 "$BERTH" inspect "$id"
    jq -e '.[0].Config.ExposedPorts == {"7000/tcp":{},"7001/tcp":{},"53/udp":{}}' <<<"$output"
    jq -e '.[0].Config.Hostname == "web" and .[0].Config.Domainname == "example.com"' <<<"$output"
    jq -e '.[0].HostConfig | .Dns == ["192.0.2.53"] and .DnsSearch == ["example.com"] and
        .DnsOptions == ["ndots:2"] and .ExtraHosts == ["db:192.0.2.10", "v6:2001:db8::1"] and
        .NetworkMode == "none"' <<<"$output"
    run -0 "$BERTH" rm "$id"
}
