/* berthd's checks of a create body's network fields (src/daemon/netopts.c):
 * what Docker's clients send passes, what berth cannot honour is refused
 * with the field and the value, and netopts_ports' entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "error.h"
#include "netopts.h"

/* netopts_check of the JSON `text`: NULL when it passes, else the message
 * (static storage, the next call overwrites it) */
static const char *check(const char *text)
{
    static char msg[512];
    struct berth_error *err = NULL;
    json_error_t je;
    json_t *body = json_loads(text, 0, &je);
    assert_non_null(body);
    int r = netopts_check(body, &err);
    json_decref(body);
    if (r == 0) {
        assert_null(err);
        return NULL;
    }
    assert_int_equal(r, -22);
    assert_non_null(err);
    snprintf(msg, sizeof(msg), "%s", err->msg);
    berth_error_clear(&err);
    return msg;
}

static void refused(const char *text, const char *needle)
{
    const char *m = check(text);
    if (m == NULL)
        fail_msg("passed, expected a refusal with '%s': %s", needle, text);
    if (strstr(m, needle) == NULL)
        fail_msg("'%s' lacks '%s'", m, needle);
}

static void test_docker_cli_bodies(void **state)
{
    /* what docker 28 sends for a plain create (its zero endpoint) */
    assert_null(
        check("{\"Hostname\":\"\",\"Domainname\":\"\",\"ExposedPorts\":{},\"HostConfig\":"
              "{\"NetworkMode\":\"default\",\"PortBindings\":{},\"PublishAllPorts\":false,"
              "\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null},"
              "\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{\"IPAMConfig\":"
              "null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":"
              "null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":"
              "\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\","
              "\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}}}"));
    /* -p 8080:80 -p 127.0.0.1:9000-9001:90-91/udp -p [::1]:8081:81 -p 5000-5010:7000 */
    assert_null(check("{\"ExposedPorts\":{\"80/tcp\":{},\"81/tcp\":{},\"90/udp\":{},\"91/udp\":{},"
                      "\"7000/tcp\":{}},\"HostConfig\":{\"PortBindings\":{\"7000/tcp\":[{"
                      "\"HostIp\":\"\",\"HostPort\":\"5000-5010\"}],\"80/tcp\":[{\"HostIp\":\"\","
                      "\"HostPort\":\"8080\"}],\"81/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":"
                      "\"8081\"}],\"90/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9000\"}],"
                      "\"91/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9001\"}]}}}"));
    /* a user network with every endpoint option, -P, dns, hosts */
    assert_null(check(
        "{\"Hostname\":\"hn\",\"Domainname\":\"dom.example\",\"MacAddress\":\"02:42:AC:11:00:99\","
        "\"HostConfig\":{\"NetworkMode\":\"mynet\",\"PublishAllPorts\":true,\"Dns\":[\"1.1.1.1\","
        "\"fd00::53\"],\"DnsSearch\":[\"example.com\",\".\"],\"DnsOptions\":[\"ndots:2\","
        "\"edns0\"],\"ExtraHosts\":[\"h1:1.2.3.4\",\"h2:::1\",\"gw:host-gateway\"]},"
        "\"NetworkingConfig\":{\"EndpointsConfig\":{\"mynet\":{\"IPAMConfig\":{\"IPv4Address\":"
        "\"10.1.2.3\",\"IPv6Address\":\"fd00::5\"},\"Aliases\":[\"a1\"],\"MacAddress\":"
        "\"02:42:ac:11:00:99\"}}}}"));
    /* the mode's own endpoint under "bridge", none's zero endpoint */
    assert_null(check("{\"HostConfig\":{\"NetworkMode\":\"bridge\"},\"NetworkingConfig\":{"
                      "\"EndpointsConfig\":{\"bridge\":{\"MacAddress\":\"02:00:00:00:00:01\"}}}}"));
    assert_null(check("{\"HostConfig\":{\"NetworkMode\":\"none\",\"Dns\":[\"8.8.8.8\"]}}"));
    assert_null(check("{\"HostConfig\":{\"NetworkMode\":\"host\",\"ExtraHosts\":[\"a:1.2.3.4\"]},"
                      "\"ExposedPorts\":{\"80\":{}}}"));
    assert_null(check("{}"));
}

static void test_ports_refused(void **state)
{
    refused("{\"HostConfig\":{\"PortBindings\":{\"70000/tcp\":[]}}}", "invalid port '70000/tcp'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"0/tcp\":[]}}}", "invalid port '0/tcp'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80-81/tcp\":[]}}}", "invalid port '80-81/tcp'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"x\":[]}}}", "invalid port 'x'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/sctpx\":[]}}}",
            "invalid protocol 'sctpx' of port '80/sctpx'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/sctp\":[]}}}", "protocol 'sctp'");
    refused("{\"ExposedPorts\":{\"80/TCP\":{}}}", "invalid protocol 'TCP'");
    refused("{\"ExposedPorts\":{\"80/tcp\":1}}", "invalid ExposedPorts '80/tcp'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"70000\"}]}}}",
            "invalid HostPort '70000' for port '80/tcp'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"9-8\"}]}}}",
            "invalid HostPort '9-8'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"0-8\"}]}}}",
            "invalid HostPort '0-8'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\" 80\"}]}}}",
            "invalid HostPort ' 80'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"1.2.3\"}]}}}",
            "invalid HostIp '1.2.3'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"[::1]\"}]}}}",
            "invalid HostIp '[::1]'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"Mode\":\"x\"}]}}}",
            "Mode is not supported");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":{}}}}",
            "invalid type for field 'HostConfig.PortBindings'");
    refused("{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":80}]}}}",
            "invalid type for field 'HostConfig.PortBindings'");
    refused("{\"HostConfig\":{\"PublishAllPorts\":1}}", "HostConfig.PublishAllPorts");
}

static void test_values_refused(void **state)
{
    refused("{\"HostConfig\":{\"Dns\":[\"1.2.3\"]}}", "invalid HostConfig.Dns '1.2.3'");
    refused("{\"HostConfig\":{\"Dns\":\"1.1.1.1\"}}", "invalid type for field 'HostConfig.Dns'");
    refused("{\"HostConfig\":{\"DnsSearch\":[\"-bad\"]}}", "invalid HostConfig.DnsSearch '-bad'");
    refused("{\"HostConfig\":{\"DnsSearch\":[\"a\\nnameserver 6.6.6.6\"]}}",
            "invalid HostConfig.DnsSearch");
    refused("{\"HostConfig\":{\"DnsSearch\":[\"123\"]}}", "invalid HostConfig.DnsSearch '123'");
    refused("{\"HostConfig\":{\"DnsOptions\":[\"ndots:2 x\"]}}", "invalid HostConfig.DnsOptions");
    refused("{\"HostConfig\":{\"ExtraHosts\":[\"foo\"]}}", "invalid HostConfig.ExtraHosts 'foo'");
    refused("{\"HostConfig\":{\"ExtraHosts\":[\"foo:bar\"]}}", "'foo:bar'");
    refused("{\"HostConfig\":{\"ExtraHosts\":[\":1.2.3.4\"]}}", "':1.2.3.4'");
    refused("{\"HostConfig\":{\"ExtraHosts\":[\"a b:1.2.3.4\"]}}", "'a b:1.2.3.4'");
    refused("{\"MacAddress\":\"02:42\"}", "invalid MacAddress '02:42'");
    refused("{\"MacAddress\":\"01:00:5e:00:00:01\"}", "invalid MacAddress");
    refused("{\"MacAddress\":\"00:00:00:00:00:00\"}", "invalid MacAddress");
    refused("{\"MacAddress\":\"02-42-ac-11-00-02\"}", "invalid MacAddress");
    refused("{\"Hostname\":\"a\\nb\"}", "invalid Hostname");
    refused("{\"Hostname\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
            "at most 64");
    refused("{\"Domainname\":\"x/y\"}", "invalid Domainname 'x/y'");
    refused("{\"HostConfig\":{\"NetworkMode\":\"a b\"}}", "invalid network name 'a b'");
    refused("{\"HostConfig\":{\"NetworkMode\":\"container:\"}}",
            "invalid network mode 'container:'");
    refused("{\"HostConfig\":{\"NetworkMode\":7}}", "HostConfig.NetworkMode");
}

static void test_endpoints_refused(void **state)
{
    refused("{\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{\"IPAMConfig\":{"
            "\"IPv4Address\":\"10.0.0.2\"}}}}}",
            "user specified IP address is supported on user defined networks only");
    refused("{\"HostConfig\":{\"NetworkMode\":\"none\"},\"NetworkingConfig\":{\"EndpointsConfig\""
            ":{\"none\":{\"IPAMConfig\":{\"IPv6Address\":\"fd00::2\"}}}}}",
            "user defined networks only");
    refused("{\"HostConfig\":{\"NetworkMode\":\"n\"},\"NetworkingConfig\":{\"EndpointsConfig\":{"
            "\"n\":{\"IPAMConfig\":{\"IPv4Address\":\"fd00::2\"}}}}}",
            "invalid IPv4 address: fd00::2");
    refused("{\"HostConfig\":{\"NetworkMode\":\"n\"},\"NetworkingConfig\":{\"EndpointsConfig\":{"
            "\"n\":{\"IPAMConfig\":{\"IPv6Address\":\"10.0.0.2\"}}}}}",
            "invalid IPv6 address: 10.0.0.2");
    refused("{\"HostConfig\":{\"NetworkMode\":\"n\"},\"NetworkingConfig\":{\"EndpointsConfig\":{"
            "\"n\":{\"IPAMConfig\":{\"LinkLocalIPs\":[\"169.254.0.2\"]}}}}}",
            "IPAMConfig.LinkLocalIPs is not supported");
    refused("{\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{\"Aliases\":[\"a\"]}}}}",
            "network-scoped alias is supported only for containers in user defined networks");
    refused("{\"HostConfig\":{\"NetworkMode\":\"n\"},\"NetworkingConfig\":{\"EndpointsConfig\":{"
            "\"n\":{\"Aliases\":[\"a;b\"]}}}}",
            "invalid network alias 'a;b'");
    refused("{\"HostConfig\":{\"NetworkMode\":\"n\"},\"NetworkingConfig\":{\"EndpointsConfig\":{"
            "\"n\":{\"Links\":[\"x:y\"]}}}}",
            "EndpointsConfig.n.Links is not supported");
    refused("{\"HostConfig\":{\"NetworkMode\":\"n\"},\"NetworkingConfig\":{\"EndpointsConfig\":{"
            "\"m\":{\"Aliases\":[\"a\"]}}}}",
            "names network 'm', not the container's network 'n'");
    refused("{\"HostConfig\":{\"NetworkMode\":\"n\"},\"NetworkingConfig\":{\"EndpointsConfig\":{"
            "\"n\":{\"Aliases\":[\"a\"]},\"m\":{\"Aliases\":[\"b\"]}}}}",
            "one network");
    refused("{\"MacAddress\":\"02:00:00:00:00:01\",\"NetworkingConfig\":{\"EndpointsConfig\":{"
            "\"default\":{\"MacAddress\":\"02:00:00:00:00:02\"}}}}",
            "must match the endpoint-specific MAC address");
    refused("{\"NetworkingConfig\":{\"Foo\":1}}", "NetworkingConfig.Foo is not supported");
    refused("{\"NetworkingConfig\":[1]}", "NetworkingConfig");
}

static void test_modes(void **state)
{
    refused("{\"HostConfig\":{\"NetworkMode\":\"host\",\"PortBindings\":{\"80/tcp\":[{}]}}}",
            "conflicting options: port publishing (HostConfig.PortBindings) and the network "
            "mode 'host'");
    refused("{\"HostConfig\":{\"NetworkMode\":\"none\",\"PortBindings\":{\"80/tcp\":[{}]}}}",
            "network mode 'none'");
    refused("{\"HostConfig\":{\"NetworkMode\":\"host\",\"PublishAllPorts\":true}}",
            "HostConfig.PublishAllPorts");
    refused("{\"HostConfig\":{\"NetworkMode\":\"host\",\"Dns\":[\"1.1.1.1\"]}}",
            "conflicting options: dns and the network mode 'host'");
    refused("{\"HostConfig\":{\"NetworkMode\":\"container:x\",\"DnsSearch\":[\"a.b\"]}}",
            "conflicting options: dns");
    refused("{\"HostConfig\":{\"NetworkMode\":\"none\"},\"MacAddress\":\"02:00:00:00:00:01\"}",
            "conflicting options: mac-address and the network mode 'none'");
    refused("{\"HostConfig\":{\"NetworkMode\":\"container:x\"},\"ExposedPorts\":{\"80\":{}}}",
            "port exposing");
    refused("{\"HostConfig\":{\"NetworkMode\":\"container:x\",\"ExtraHosts\":[\"a:1.2.3.4\"]}}",
            "custom host-to-IP mapping");
    refused("{\"HostConfig\":{\"NetworkMode\":\"container:x\"},\"Hostname\":\"h\"}",
            "conflicting options: hostname");
    /* a key without bindings publishes nothing: fine with host */
    assert_null(check("{\"HostConfig\":{\"NetworkMode\":\"host\",\"PortBindings\":{\"80/tcp\":[]}}"
                      "}"));
}

static json_t *ports(const char *host, const char *config)
{
    json_t *h = json_loads(host, 0, NULL), *c = json_loads(config, 0, NULL);
    json_t *p = netopts_ports(h, c);
    json_decref(h);
    json_decref(c);
    return p;
}

static void assert_json(json_t *j, const char *want)
{
    char *got = json_dumps(j, JSON_COMPACT);
    assert_string_equal(got, want);
    free(got);
    json_decref(j);
}

static void test_ports(void **state)
{
    assert_json(ports("{}", "{}"), "[]");
    assert_json(
        ports("{\"PortBindings\":{\"90/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9000\"}],"
              "\"80\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"},{\"HostIp\":\"::1\",\"HostPort\":"
              "\"5000-5010\"}],\"81/tcp\":[{\"HostPort\":\"\"}],\"82/tcp\":[{\"HostPort\":\"0\"}]"
              ",\"83/tcp\":[]}}",
              "{\"ExposedPorts\":{\"84/tcp\":{}}}"),
        "[{\"Proto\":\"tcp\",\"HostIp\":\"\",\"HostPortMin\":8080,\"HostPortMax\":8080,"
        "\"CtrPort\":80},{\"Proto\":\"tcp\",\"HostIp\":\"::1\",\"HostPortMin\":5000,"
        "\"HostPortMax\":5010,\"CtrPort\":80},{\"Proto\":\"tcp\",\"HostIp\":\"\",\"HostPortMin\":"
        "0,\"HostPortMax\":0,\"CtrPort\":81},{\"Proto\":\"tcp\",\"HostIp\":\"\",\"HostPortMin\":"
        "0,\"HostPortMax\":0,\"CtrPort\":82},{\"Proto\":\"udp\",\"HostIp\":\"127.0.0.1\","
        "\"HostPortMin\":9000,\"HostPortMax\":9000,\"CtrPort\":90}]");
    /* -P: every exposed port not bound, and a key without bindings */
    assert_json(ports("{\"PublishAllPorts\":true,\"PortBindings\":{\"80/tcp\":[{\"HostPort\":"
                      "\"8080\"}],\"83/tcp\":[]}}",
                      "{\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{},\"53\":{},\"bad\":{}}}"),
                "[{\"Proto\":\"tcp\",\"HostIp\":\"\",\"HostPortMin\":0,\"HostPortMax\":0,"
                "\"CtrPort\":53},{\"Proto\":\"udp\",\"HostIp\":\"\",\"HostPortMin\":0,"
                "\"HostPortMax\":0,\"CtrPort\":53},{\"Proto\":\"tcp\",\"HostIp\":\"\","
                "\"HostPortMin\":8080,\"HostPortMax\":8080,\"CtrPort\":80},{\"Proto\":\"tcp\","
                "\"HostIp\":\"\",\"HostPortMin\":0,\"HostPortMax\":0,\"CtrPort\":83}]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docker_cli_bodies),
        cmocka_unit_test(test_ports_refused),
        cmocka_unit_test(test_values_refused),
        cmocka_unit_test(test_endpoints_refused),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
