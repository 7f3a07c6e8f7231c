/* berthd's network address arithmetic (src/daemon/netaddr.c): subnets as a
 * user gives them, overlaps, the n-th address, gateways, IPAM's pick of an
 * endpoint's address and Docker's MAC of it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "error.h"
#include "netaddr.h"
#include "netlink.h"

/* Asserts r is -errnum with a message holding needle; clears *err. */
static void refused(int r, struct berth_error **err, int errnum, const char *needle)
{
    assert_int_equal(r, -errnum);
    assert_non_null(*err);
    assert_int_equal((*err)->errnum, errnum);
    if (strstr((*err)->msg, needle) == NULL)
        fail_msg("'%s' lacks '%s'", (*err)->msg, needle);
    berth_error_clear(err);
}

static struct berth_cidr subnet(const char *text, int family)
{
    struct berth_cidr c;
    struct berth_error *err = NULL;
    if (netaddr_subnet_parse(text, family, &c, &err) < 0)
        fail_msg("%s: %s", text, err->msg);
    return c;
}

static void assert_text(const struct berth_cidr *c, const char *want)
{
    char buf[80];
    netaddr_text(c, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_subnet_parse(void **state)
{
    struct berth_cidr c;
    struct berth_error *err = NULL;
    c = subnet("10.1.0.0/16", AF_INET);
    assert_int_equal(c.family, AF_INET);
    assert_int_equal(c.prefix_len, 16);
    assert_text(&c, "10.1.0.0/16");
    c = subnet("10.9.8.4/30", AF_INET); /* a gateway and one container */
    assert_text(&c, "10.9.8.4/30");
    c = subnet("fd00:1:0::/64", AF_INET6);
    assert_int_equal(c.family, AF_INET6);
    assert_text(&c, "fd00:1::/64");
    /* host bits set: the subnet meant is named */
    refused(netaddr_subnet_parse("10.1.2.3/16", AF_INET, &c, &err), &err, EINVAL,
            "invalid subnet '10.1.2.3/16': it should be '10.1.0.0/16'");
    refused(netaddr_subnet_parse("fd00:1::1/64", AF_INET6, &c, &err), &err, EINVAL,
            "it should be 'fd00:1::/64'");
    refused(netaddr_subnet_parse("10.1.0.0/15", AF_INET, &c, &err), &err, EINVAL,
            "it should be '10.0.0.0/15'");
    /* bad text */
    static const char *const bad[] = {
        "",           "10.1.0.0", "10.1.0.0/", "10.1.0/16",   "10.1.0.0/33",  "10.1.0.0/8x",
        "fd00::/129", "x/8",      "/8",        "10.0.0.0/+8", "10.0.0.0/010", "10.0.0.0/0x8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = netaddr_subnet_parse(bad[i], AF_INET, &c, &err);
        char want[64];
        snprintf(want, sizeof(want), "invalid subnet '%s' (ADDRESS/LENGTH)", bad[i]);
        refused(r, &err, EINVAL, want);
    }
    /* the other family */
    refused(netaddr_subnet_parse("fd00::/64", AF_INET, &c, &err), &err, EINVAL,
            "subnet 'fd00::/64' is not an IPv4 subnet");
    refused(netaddr_subnet_parse("10.0.0.0/8", AF_INET6, &c, &err), &err, EINVAL,
            "subnet '10.0.0.0/8' is not an IPv6 subnet");
    /* no room for a container */
    refused(netaddr_subnet_parse("10.0.0.0/31", AF_INET, &c, &err), &err, EINVAL,
            "subnet '10.0.0.0/31' is too small");
    refused(netaddr_subnet_parse("10.0.0.1/32", AF_INET, &c, &err), &err, EINVAL, "too small");
    refused(netaddr_subnet_parse("fd00::/127", AF_INET6, &c, &err), &err, EINVAL, "too small");
    c = subnet("fd00::/126", AF_INET6);
    assert_int_equal(c.prefix_len, 126);
}

static void test_overlap(void **state)
{
    struct berth_cidr a = subnet("10.0.0.0/8", AF_INET), b = subnet("10.1.0.0/16", AF_INET);
    struct berth_cidr c = subnet("10.2.0.0/16", AF_INET), all = subnet("0.0.0.0/0", AF_INET);
    struct berth_cidr v6 = subnet("::/0", AF_INET6), d = subnet("fd00:1::/64", AF_INET6);
    struct berth_cidr e = subnet("fd00:1::/96", AF_INET6), f = subnet("fd00:2::/64", AF_INET6);
    assert_true(netaddr_overlap(&a, &b));
    assert_true(netaddr_overlap(&b, &a));
    assert_true(netaddr_overlap(&b, &b));
    assert_false(netaddr_overlap(&b, &c));
    assert_false(netaddr_overlap(&c, &b));
    assert_true(netaddr_overlap(&all, &c));
    assert_true(netaddr_overlap(&d, &e));
    assert_false(netaddr_overlap(&d, &f));
    /* families never overlap, not even ::/0 and 0.0.0.0/0 */
    assert_false(netaddr_overlap(&v6, &all));
    assert_false(netaddr_overlap(&all, &v6));
    assert_false(netaddr_overlap(&v6, &b));
    assert_true(netaddr_overlap(&v6, &f));

    unsigned char in[4] = {10, 1, 255, 255}, out[4] = {10, 2, 0, 0};
    assert_true(netaddr_has(&b, AF_INET, in));
    assert_false(netaddr_has(&b, AF_INET, out));
    assert_false(netaddr_has(&b, AF_INET6, in));
}

static void assert_nth(const char *net, int family, unsigned long long n, const char *want)
{
    struct berth_cidr c = subnet(net, family);
    unsigned char a[16];
    char buf[INET6_ADDRSTRLEN];
    netaddr_nth(&c, n, a);
    assert_non_null(inet_ntop(family, a, buf, sizeof(buf)));
    assert_string_equal(buf, want);
}

static void test_nth(void **state)
{
    assert_nth("10.0.0.0/16", AF_INET, 0, "10.0.0.0");
    assert_nth("10.0.0.0/16", AF_INET, 1, "10.0.0.1");
    assert_nth("10.0.0.0/16", AF_INET, 255, "10.0.0.255");
    assert_nth("10.0.0.0/16", AF_INET, 256, "10.0.1.0"); /* the carry */
    assert_nth("10.0.0.0/16", AF_INET, 65535, "10.0.255.255");
    assert_nth("192.168.16.0/20", AF_INET, 4095, "192.168.31.255");
    assert_nth("fd00:1::/64", AF_INET6, 1, "fd00:1::1");
    assert_nth("fd00:1::/64", AF_INET6, 0x10001, "fd00:1::1:1");
    assert_nth("fd00:1::/64", AF_INET6, 0xffffffffffffffffULL, "fd00:1::ffff:ffff:ffff:ffff");

    struct berth_cidr a = subnet("10.0.0.0/16", AF_INET), b = subnet("10.0.0.0/30", AF_INET);
    struct berth_cidr c = subnet("fd00::/64", AF_INET6), d = subnet("fd00::/120", AF_INET6);
    struct berth_cidr e = subnet("0.0.0.0/0", AF_INET);
    assert_int_equal(netaddr_subnet_size(&a), 65536);
    assert_int_equal(netaddr_subnet_size(&b), 4);
    assert_int_equal(netaddr_subnet_size(&c), 1ULL << 62); /* capped */
    assert_int_equal(netaddr_subnet_size(&d), 256);
    assert_int_equal(netaddr_subnet_size(&e), 1ULL << 32);
}

static void test_gateway(void **state)
{
    char gw[INET6_ADDRSTRLEN];
    struct berth_error *err = NULL;
    struct berth_cidr a = subnet("172.18.0.0/16", AF_INET), b = subnet("fd00:1::/64", AF_INET6);
    assert_int_equal(netaddr_gateway_pick(&a, NULL, gw, sizeof(gw), &err), 0);
    assert_string_equal(gw, "172.18.0.1");
    assert_int_equal(netaddr_gateway_pick(&a, "", gw, sizeof(gw), &err), 0);
    assert_string_equal(gw, "172.18.0.1");
    assert_int_equal(netaddr_gateway_pick(&a, "172.18.200.254", gw, sizeof(gw), &err), 0);
    assert_string_equal(gw, "172.18.200.254");
    assert_int_equal(netaddr_gateway_pick(&b, NULL, gw, sizeof(gw), &err), 0);
    assert_string_equal(gw, "fd00:1::1");
    assert_int_equal(netaddr_gateway_pick(&b, "fd00:1:0:0::ff", gw, sizeof(gw), &err), 0);
    assert_string_equal(gw, "fd00:1::ff");
    assert_null(err);
    refused(netaddr_gateway_pick(&a, "172.19.0.1", gw, sizeof(gw), &err), &err, EINVAL,
            "gateway 172.19.0.1 is outside the subnet 172.18.0.0/16");
    refused(netaddr_gateway_pick(&a, "fd00:1::1", gw, sizeof(gw), &err), &err, EINVAL,
            "outside the subnet");
    refused(netaddr_gateway_pick(&a, "gateway", gw, sizeof(gw), &err), &err, EINVAL,
            "outside the subnet");
    refused(netaddr_gateway_pick(&a, "172.18.0.0", gw, sizeof(gw), &err), &err, EINVAL,
            "gateway 172.18.0.0 is the network or broadcast address of 172.18.0.0/16");
    refused(netaddr_gateway_pick(&a, "172.18.255.255", gw, sizeof(gw), &err), &err, EINVAL,
            "network or broadcast address");
    refused(netaddr_gateway_pick(&b, "fd00:1::", gw, sizeof(gw), &err), &err, EINVAL,
            "network or broadcast address");
}

/* netaddr_pick on `net` with gateway gw, the used addresses (space
 * separated) and want: the address picked, or NULL with *err set */
static const char *pick(const char *net, const char *gw, const char *used, const char *want,
                        int *ret_r, struct berth_error **err)
{
    static char buf[INET6_ADDRSTRLEN];
    int family = strchr(net, ':') ? AF_INET6 : AF_INET;
    struct berth_cidr c = subnet(net, family);
    json_t *u = json_object();
    char list[256], *save = NULL;
    snprintf(list, sizeof(list), "%s", used);
    for (char *a = strtok_r(list, " ", &save); a; a = strtok_r(NULL, " ", &save))
        json_object_set_new(u, a, json_true());
    *ret_r = netaddr_pick(&c, gw, u, want, buf, err);
    json_decref(u);
    return *ret_r == 0 ? buf : NULL;
}

static void test_pick_lowest(void **state)
{
    struct berth_error *err = NULL;
    int r;
    /* the network address and the gateway are skipped */
    assert_string_equal(pick("172.18.0.0/16", "172.18.0.1", "", NULL, &r, &err), "172.18.0.2");
    assert_string_equal(pick("172.18.0.0/16", "172.18.0.1", "", "", &r, &err), "172.18.0.2");
    assert_string_equal(
        pick("172.18.0.0/16", "172.18.0.1", "172.18.0.2 172.18.0.4", NULL, &r, &err), "172.18.0.3");
    /* a gateway that is not the first address: the first is free */
    assert_string_equal(pick("10.0.0.0/24", "10.0.0.200", "", NULL, &r, &err), "10.0.0.1");
    assert_string_equal(pick("10.0.0.0/24", "10.0.0.1", "10.0.0.2 10.0.0.3", NULL, &r, &err),
                        "10.0.0.4");
    /* a freed address is given again, the lowest first */
    assert_string_equal(pick("10.0.0.0/24", "10.0.0.1", "10.0.0.3", NULL, &r, &err), "10.0.0.2");
    /* a /30: the one address that is neither network, gateway nor broadcast */
    assert_string_equal(pick("10.0.0.4/30", "10.0.0.5", "", NULL, &r, &err), "10.0.0.6");
    /* IPv6: no broadcast; the used keys of the other family count too */
    assert_string_equal(pick("fd00:1::/64", "fd00:1::1", "10.0.0.2 fd00:1::2", NULL, &r, &err),
                        "fd00:1::3");
    assert_string_equal(pick("fd00:1::/126", "fd00:1::1", "fd00:1::2", NULL, &r, &err),
                        "fd00:1::3");
    assert_null(err);
}

static void test_pick_refused(void **state)
{
    struct berth_error *err = NULL;
    int r;
    /* a full /30: .4 network, .5 gateway, .6 used, .7 broadcast */
    assert_null(pick("10.0.0.4/30", "10.0.0.5", "10.0.0.6", NULL, &r, &err));
    refused(r, &err, ENOSPC, "no free address in 10.0.0.4/30");
    assert_null(pick("fd00:1::/126", "fd00:1::1", "fd00:1::2 fd00:1::3", NULL, &r, &err));
    refused(r, &err, ENOSPC, "no free address in fd00:1::/126");
    /* a requested address outside the subnet, or not an address of its family */
    assert_null(pick("10.0.0.0/24", "10.0.0.1", "", "10.0.1.5", &r, &err));
    refused(r, &err, EINVAL, "requested address 10.0.1.5 is outside the subnet 10.0.0.0/24");
    assert_null(pick("10.0.0.0/24", "10.0.0.1", "", "fd00::5", &r, &err));
    refused(r, &err, EINVAL, "outside the subnet");
    assert_null(pick("10.0.0.0/24", "10.0.0.1", "", "10.0.0.300", &r, &err));
    refused(r, &err, EINVAL, "outside the subnet");
    assert_null(pick("fd00:1::/64", "fd00:1::1", "", "fd00:2::5", &r, &err));
    refused(r, &err, EINVAL, "outside the subnet fd00:1::/64");
    /* its network or broadcast address */
    assert_null(pick("10.0.0.0/24", "10.0.0.1", "", "10.0.0.0", &r, &err));
    refused(r, &err, EINVAL, "requested address 10.0.0.0 is the network or broadcast address");
    assert_null(pick("10.0.0.0/24", "10.0.0.1", "", "10.0.0.255", &r, &err));
    refused(r, &err, EINVAL, "network or broadcast address of 10.0.0.0/24");
    /* in use: by an endpoint or as the gateway */
    assert_null(pick("10.0.0.0/24", "10.0.0.1", "10.0.0.7", "10.0.0.7", &r, &err));
    refused(r, &err, EADDRINUSE, "address 10.0.0.7 is already in use");
    assert_null(pick("10.0.0.0/24", "10.0.0.1", "", "10.0.0.1", &r, &err));
    refused(r, &err, EADDRINUSE, "address 10.0.0.1 is already in use");
    /* an IPv6 address in use though written otherwise */
    assert_null(pick("fd00:1::/64", "fd00:1::1", "fd00:1::7", "fd00:1:0::0:7", &r, &err));
    refused(r, &err, EADDRINUSE, "already in use");
    /* a free requested address is given as inet_ntop writes it */
    assert_string_equal(pick("fd00:1::/64", "fd00:1::1", "", "fd00:1:0:0::0:9", &r, &err),
                        "fd00:1::9");
    assert_string_equal(pick("10.0.0.0/24", "10.0.0.1", "10.0.0.2", "10.0.0.254", &r, &err),
                        "10.0.0.254");
    assert_null(err);
}

static void test_mac(void **state)
{
    char mac[18];
    netaddr_mac("172.18.0.2", mac);
    assert_string_equal(mac, "02:42:ac:12:00:02");
    netaddr_mac("10.255.0.254", mac);
    assert_string_equal(mac, "02:42:0a:ff:00:fe");
    netaddr_mac("", mac); /* an endpoint without IPv4 */
    assert_string_equal(mac, "02:42:00:00:00:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subnet_parse), cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_nth),          cmocka_unit_test(test_gateway),
        cmocka_unit_test(test_pick_lowest),  cmocka_unit_test(test_pick_refused),
        cmocka_unit_test(test_mac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
