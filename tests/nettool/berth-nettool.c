/* berth-nettool: libberth's network calls (netlink.h, nft.h) on a command
 * line, one call per run, for tests/integration/net-lib.bats. NETNS
 * arguments are a PID (its /proc/PID/ns/net) or a path to a namespace file;
 * without one a call works in the tool's own namespace. */
#include "cleanup.h"
#include "error.h"
#include "netlink.h"
#include "nft.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmd {
    const char *name;
    int min_args, max_args;
    const char *usage;
    int (*run)(char **argv, int argc, struct berth_error **err);
};

static int open_netns(const char *arg, struct berth_error **err)
{
    unsigned long long pid;
    _cleanup_free_ char *path =
        parse_u64(arg, &pid) == 0 ? xasprintf("/proc/%llu/ns/net", pid) : xstrdup(arg);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open network namespace '%s'", path);
    return fd;
}

/* The netlink handle for the optional NETNS argument at argv[i]. */
static struct berth_netlink *nl_at(char **argv, int argc, int i, struct berth_error **err)
{
    _cleanup_close_ int fd = -1;

    if (i < argc && (fd = open_netns(argv[i], err)) < 0)
        return NULL;
    return berth_netlink_open(fd, err);
}

static int parse_uint(const char *s, unsigned int *ret, struct berth_error **err)
{
    unsigned long long v;
    if (parse_u64(s, &v) < 0 || v > 0xffffffffu)
        return berth_error_set(err, EINVAL, "invalid number '%s'", s);
    *ret = v;
    return 0;
}

#define WITH_NL(i)                                                                                 \
    struct berth_netlink *nl = nl_at(argv, argc, i, err);                                          \
    if (nl == NULL)                                                                                \
        return -1;

static int c_bridge_add(char **argv, int argc, struct berth_error **err)
{
    unsigned int mtu = 0;
    if (argc > 1 && parse_uint(argv[1], &mtu, err) < 0)
        return -1;
    WITH_NL(2);
    int r = berth_netlink_bridge_add(nl, argv[0], mtu, err);
    berth_netlink_close(nl);
    return r;
}

static int c_veth_add(char **argv, int argc, struct berth_error **err)
{
    _cleanup_close_ int peer_ns = -1;
    if (argc > 2 && (peer_ns = open_netns(argv[2], err)) < 0)
        return -1;
    WITH_NL(argc);
    int r = berth_netlink_veth_add(nl, argv[0], argv[1], peer_ns, err);
    berth_netlink_close(nl);
    return r;
}

static int c_link_del(char **argv, int argc, struct berth_error **err)
{
    WITH_NL(1);
    int r = berth_netlink_link_del(nl, argv[0], err);
    berth_netlink_close(nl);
    return r;
}

static int c_link_index(char **argv, int argc, struct berth_error **err)
{
    WITH_NL(1);
    int r = berth_netlink_link_index(nl, argv[0], err);
    berth_netlink_close(nl);
    if (r > 0)
        printf("%d\n", r);
    return r;
}

static int c_link_netns(char **argv, int argc, struct berth_error **err)
{
    unsigned int pid = 0;
    if (parse_uint(argv[1], &pid, err) < 0)
        return -1;
    WITH_NL(2);
    int r = berth_netlink_link_set_netns_pid(nl, argv[0], (pid_t)pid, err);
    berth_netlink_close(nl);
    return r;
}

static int c_link_netns_fd(char **argv, int argc, struct berth_error **err)
{
    _cleanup_close_ int fd = open_netns(argv[1], err);
    if (fd < 0)
        return -1;
    WITH_NL(2);
    int r = berth_netlink_link_set_netns_fd(nl, argv[0], fd, err);
    berth_netlink_close(nl);
    return r;
}

static int c_link_rename(char **argv, int argc, struct berth_error **err)
{
    WITH_NL(2);
    int r = berth_netlink_link_rename(nl, argv[0], argv[1], err);
    berth_netlink_close(nl);
    return r;
}

static int c_link_mtu(char **argv, int argc, struct berth_error **err)
{
    unsigned int mtu = 0;
    if (parse_uint(argv[1], &mtu, err) < 0)
        return -1;
    WITH_NL(2);
    int r = berth_netlink_link_set_mtu(nl, argv[0], mtu, err);
    berth_netlink_close(nl);
    return r;
}

static int link_updown(char **argv, int argc, bool up, struct berth_error **err)
{
    WITH_NL(1);
    int r = berth_netlink_link_set_up(nl, argv[0], up, err);
    berth_netlink_close(nl);
    return r;
}

static int c_link_up(char **argv, int argc, struct berth_error **err)
{
    return link_updown(argv, argc, true, err);
}

static int c_link_down(char **argv, int argc, struct berth_error **err)
{
    return link_updown(argv, argc, false, err);
}

static int c_link_master(char **argv, int argc, struct berth_error **err)
{
    WITH_NL(2);
    const char *master = streq(argv[1], "-") ? NULL : argv[1];
    int r = berth_netlink_link_set_master(nl, argv[0], master, err);
    berth_netlink_close(nl);
    return r;
}

static int c_route_localnet(char **argv, int argc, struct berth_error **err)
{
    unsigned int on = 0;
    if (parse_uint(argv[1], &on, err) < 0)
        return -1;
    WITH_NL(2);
    int r = berth_netlink_link_set_route_localnet(nl, argv[0], on != 0, err);
    berth_netlink_close(nl);
    return r;
}

static int c_addr_add(char **argv, int argc, struct berth_error **err)
{
    WITH_NL(2);
    int r = berth_netlink_addr_add(nl, argv[0], argv[1], err);
    berth_netlink_close(nl);
    return r;
}

static int c_route_add_default(char **argv, int argc, struct berth_error **err)
{
    WITH_NL(1);
    int r = berth_netlink_route_add_default(nl, argv[0], err);
    berth_netlink_close(nl);
    return r;
}

/* Exit 0 and "free", or exit 1 and what the subnet overlaps. */
static int c_subnet_free(char **argv, int argc, struct berth_error **err)
{
    _cleanup_free_ char *conflict = NULL;
    WITH_NL(1);
    int r = berth_net_subnet_free(nl, argv[0], &conflict, err);
    berth_netlink_close(nl);
    if (r < 0)
        return r;
    if (r == 1) {
        printf("free\n");
        return 0;
    }
    printf("overlaps %s\n", conflict);
    exit(1);
}

#define WITH_NFT()                                                                                 \
    struct berth_nft *nft = berth_nft_open(argv[0], err);                                          \
    if (nft == NULL)                                                                               \
        return -1;

static int c_nft_ensure(char **argv, int argc, struct berth_error **err)
{
    WITH_NFT();
    int r = berth_nft_table_ensure(nft, err);
    berth_nft_close(nft);
    return r;
}

/* Prints "deleted" or "absent". */
static int c_nft_del(char **argv, int argc, struct berth_error **err)
{
    WITH_NFT();
    int r = berth_nft_table_delete(nft, err);
    berth_nft_close(nft);
    if (r >= 0)
        printf("%s\n", r ? "deleted" : "absent");
    return r;
}

static int c_nft_masq_add(char **argv, int argc, struct berth_error **err)
{
    WITH_NFT();
    int r = berth_nft_masq_add(nft, argv[1], argv[2], err);
    berth_nft_close(nft);
    return r;
}

static int c_nft_masq_del(char **argv, int argc, struct berth_error **err)
{
    WITH_NFT();
    int r = berth_nft_masq_del(nft, argv[1], err);
    berth_nft_close(nft);
    return r;
}

/* [HOSTIP:]HOSTPORT, HOSTIP in brackets for IPv6: [::1]:8080. */
static int parse_host_port(char *arg, struct berth_nft_port *p, struct berth_error **err)
{
    char *colon = strrchr(arg, ':');
    if (colon) {
        *colon = '\0';
        p->host_ip = arg;
        if (arg[0] == '[' && colon > arg + 1 && colon[-1] == ']') {
            colon[-1] = '\0';
            p->host_ip = arg + 1;
        }
    }
    return parse_uint(colon ? colon + 1 : arg, &p->host_port, err);
}

static int c_nft_dnat_add(char **argv, int argc, struct berth_error **err)
{
    struct berth_nft_port p = {.proto = argv[1], .ctr_ip = argv[3], .bridge = argv[5]};
    if (parse_host_port(argv[2], &p, err) < 0 || parse_uint(argv[4], &p.ctr_port, err) < 0)
        return -1;
    WITH_NFT();
    int r = berth_nft_dnat_add(nft, &p, err);
    berth_nft_close(nft);
    return r;
}

static int c_nft_dnat_del(char **argv, int argc, struct berth_error **err)
{
    struct berth_nft_port p = {.proto = argv[1]};
    if (parse_host_port(argv[2], &p, err) < 0)
        return -1;
    WITH_NFT();
    int r = berth_nft_dnat_del(nft, &p, err);
    berth_nft_close(nft);
    return r;
}

static int c_nft_isolate_add(char **argv, int argc, struct berth_error **err)
{
    WITH_NFT();
    int r = berth_nft_isolate_add(nft, argv[1], err);
    berth_nft_close(nft);
    return r;
}

static int c_nft_isolate_del(char **argv, int argc, struct berth_error **err)
{
    WITH_NFT();
    int r = berth_nft_isolate_del(nft, argv[1], err);
    berth_nft_close(nft);
    return r;
}

static const struct cmd cmds[] = {
    {"bridge-add", 1, 3, "NAME [MTU [NETNS]]", c_bridge_add},
    {"veth-add", 2, 3, "NAME PEER [PEER_NETNS]", c_veth_add},
    {"link-del", 1, 2, "NAME [NETNS]", c_link_del},
    {"link-index", 1, 2, "NAME [NETNS]", c_link_index},
    {"link-netns", 2, 2, "NAME PID", c_link_netns},
    {"link-netns-fd", 2, 2, "NAME NETNS_PATH", c_link_netns_fd},
    {"link-rename", 2, 3, "NAME NEW_NAME [NETNS]", c_link_rename},
    {"link-mtu", 2, 3, "NAME MTU [NETNS]", c_link_mtu},
    {"link-up", 1, 2, "NAME [NETNS]", c_link_up},
    {"link-down", 1, 2, "NAME [NETNS]", c_link_down},
    {"link-master", 2, 3, "NAME BRIDGE|- [NETNS]", c_link_master},
    {"route-localnet", 2, 3, "NAME 0|1 [NETNS]", c_route_localnet},
    {"addr-add", 2, 3, "NAME CIDR [NETNS]", c_addr_add},
    {"route-add-default", 1, 2, "GW [NETNS]", c_route_add_default},
    {"subnet-free", 1, 2, "CIDR [NETNS]", c_subnet_free},
    {"nft-ensure", 1, 1, "TABLE", c_nft_ensure},
    {"nft-del", 1, 1, "TABLE", c_nft_del},
    {"nft-masq-add", 3, 3, "TABLE SUBNET BRIDGE", c_nft_masq_add},
    {"nft-masq-del", 2, 2, "TABLE SUBNET", c_nft_masq_del},
    {"nft-dnat-add", 6, 6, "TABLE PROTO [HOSTIP:]HOSTPORT CTRIP CTRPORT BRIDGE", c_nft_dnat_add},
    {"nft-dnat-del", 3, 3, "TABLE PROTO [HOSTIP:]HOSTPORT", c_nft_dnat_del},
    {"nft-isolate-add", 2, 2, "TABLE BRIDGE", c_nft_isolate_add},
    {"nft-isolate-del", 2, 2, "TABLE BRIDGE", c_nft_isolate_del},
};

static int usage(void)
{
    fprintf(stderr, "usage:\n");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(stderr, "  berth-nettool %s %s\n", cmds[i].name, cmds[i].usage);
    return 2;
}

int main(int argc, char **argv)
{
    _cleanup_error_ struct berth_error *err = NULL;

    if (argc < 2)
        return usage();
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const struct cmd *c = &cmds[i];
        if (!streq(argv[1], c->name))
            continue;
        if (argc - 2 < c->min_args || argc - 2 > c->max_args) {
            fprintf(stderr, "usage: berth-nettool %s %s\n", c->name, c->usage);
            return 2;
        }
        if (c->run(argv + 2, argc - 2, &err) >= 0)
            return 0;
        _cleanup_free_ char *msg = err ? berth_error_format(err) : xstrdup("unknown error");
        fprintf(stderr, "berth-nettool: %s\n", msg);
        return 1;
    }
    fprintf(stderr, "berth-nettool: unknown command '%s'\n", argv[1]);
    return usage();
}
