/* libnftables through its command-string API, not its JSON input: every
 * value that goes into a command is checked and rewritten here first (link
 * names by berth_net_ifname_check, addresses through inet_pton/inet_ntop,
 * ports as numbers, the protocol from a fixed list), so no text of the caller
 * reaches nft's parser unvetted, and the rules read exactly as `nft list
 * ruleset` shows them to the user. JSON is used only to read our table back
 * (handles and comments), parsed with jansson, which libberth links anyway. */
#include "nft.h"
#include "cleanup.h"
#include "error.h"
#include "netlink.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TABLE_MAX 64

struct berth_nft {
    struct nft_ctx *ctx;
    char table[TABLE_MAX + 1];
};

static bool table_name_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > TABLE_MAX || !((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
        return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

struct berth_nft *berth_nft_open(const char *table, struct berth_error **err)
{
    if (table == NULL)
        table = "berth";
    if (!table_name_ok(table))
        return berth_error_set(err, EINVAL,
                               "invalid nftables table name '%s' (a letter, then letters, "
                               "digits, '_' or '-', at most %d)",
                               table, TABLE_MAX),
               NULL;
    /* libnftables exit()s its caller when it cannot open its netlink socket
     * (a kernel without nf_tables, as the v2 lane's guest): ask first */
    int probe = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (probe < 0)
        return berth_error_set_sys(err, errno,
                                   "nftables is not available: cannot open a netfilter netlink "
                                   "socket (a kernel without nfnetlink/nf_tables?)"),
               NULL;
    close(probe);
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (ctx == NULL)
        return berth_error_set(err, ENOMEM, "cannot create an nftables context"), NULL;
    /* output and errors come back as text instead of going to stdout/stderr:
     * libberth never prints */
    if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
        nft_ctx_free(ctx);
        return berth_error_set(err, ENOMEM, "cannot set up nftables' buffers"), NULL;
    }
    struct berth_nft *nft = xzalloc(sizeof(*nft));
    nft->ctx = ctx;
    snprintf(nft->table, sizeof(nft->table), "%s", table);
    return nft;
}

void berth_nft_close(struct berth_nft *nft)
{
    if (nft == NULL)
        return;
    nft_ctx_free(nft->ctx);
    free(nft);
}

/* nftables' first error line without its "Error: " prefix, e.g. "Could not
 * process rule: No such file or directory". */
static char *first_error_line(const char *buf)
{
    if (buf == NULL || buf[0] == '\0')
        return xstrdup("no details");
    if (strncmp(buf, "Error: ", 7) == 0)
        buf += 7;
    return strndup(buf, strcspn(buf, "\n"));
}

/* libnftables reports the kernel's refusal only as text (errno after the
 * call is whatever its last system call left): nft prints strerror() of
 * the netlink error, so the errno is found back from that text. */
static int errno_from_text(const char *text)
{
    static const int known[] = {ENOENT, EEXIST,     EPERM,        EACCES,          EBUSY,   ENOMEM,
                                ENOSPC, EOPNOTSUPP, EAFNOSUPPORT, EPROTONOSUPPORT, ENOBUFS, EINVAL};

    for (size_t i = 0; text && i < sizeof(known) / sizeof(known[0]); i++)
        if (strstr(text, strerror(known[i])))
            return known[i];
    return EIO;
}

/* Runs one batch (one transaction: all of it or nothing). A batch nft's
 * parser refused never reached the kernel: EINVAL. */
static int run(struct berth_nft *nft, const char *cmds, bool json_out, struct berth_error **err,
               const char *what)
{
    (void)nft_ctx_get_output_buffer(nft->ctx); /* drop what a previous call left */
    (void)nft_ctx_get_error_buffer(nft->ctx);
    nft_ctx_output_set_flags(nft->ctx, json_out ? NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE : 0);
    if (nft_run_cmd_from_buffer(nft->ctx, cmds) == 0)
        return 0;
    const char *text = nft_ctx_get_error_buffer(nft->ctx);
    _cleanup_free_ char *line = first_error_line(text);
    if (line == NULL)
        abort();
    if (strstr(line, "syntax error"))
        return berth_error_set(err, EINVAL, "cannot %s in nftables table '%s': %s", what,
                               nft->table, line);
    int e = errno_from_text(text);
    /* berth_error_format adds strerror(e): keep only what nft says besides */
    size_t n = strlen(line), m = strlen(strerror(e));
    if (n >= m && streq(line + n - m, strerror(e))) {
        for (n -= m; n > 0 && (line[n - 1] == ' ' || line[n - 1] == ':' || line[n - 1] == ';');)
            n--;
        line[n] = '\0';
    }
    if (line[0] == '\0')
        return berth_error_set_sys(err, e, "cannot %s in nftables table '%s'", what, nft->table);
    return berth_error_set_sys(err, e, "cannot %s in nftables table '%s' (%s)", what, nft->table,
                               line);
}

static char *ensure_cmds(const char *t)
{
    return xasprintf(
        "add table inet %1$s\n"
        "add chain inet %1$s prerouting { type nat hook prerouting priority dstnat; policy "
        "accept; }\n"
        "add chain inet %1$s output { type nat hook output priority -100; policy accept; }\n"
        "add chain inet %1$s postrouting { type nat hook postrouting priority srcnat; policy "
        "accept; }\n"
        "add chain inet %1$s forward { type filter hook forward priority filter; policy "
        "accept; }\n"
        "add set inet %1$s bridges { type ifname; }\n",
        t);
}

int berth_nft_table_ensure(struct berth_nft *nft, struct berth_error **err)
{
    _cleanup_free_ char *cmds = ensure_cmds(nft->table);
    return run(nft, cmds, false, err, "create the table");
}

/* Whether our table exists: listing only it keeps us off other tables. */
static int table_exists(struct berth_nft *nft, struct berth_error **err)
{
    _cleanup_free_ char *cmd = xasprintf("list table inet %s", nft->table);
    _cleanup_error_ struct berth_error *e = NULL;

    int r = run(nft, cmd, true, &e, "list the table");
    if (r == -ENOENT)
        return 0;
    if (r < 0 && err)
        *err = TAKE_PTR(e);
    return r < 0 ? r : 1;
}

int berth_nft_table_delete(struct berth_nft *nft, struct berth_error **err)
{
    _cleanup_free_ char *cmd = xasprintf("delete table inet %s", nft->table);

    int r = table_exists(nft, err);
    if (r <= 0)
        return r;
    r = run(nft, cmd, false, err, "delete the table");
    return r < 0 ? r : 1;
}

/* The rules of our table whose comment is KEY, as "delete rule" commands in
 * *ret_cmds (NULL when none); returns how many. A missing table has none. */
static int find_rules(struct berth_nft *nft, const char *key, char **ret_cmds,
                      struct berth_error **err)
{
    json_error_t jerr;
    size_t i;
    json_t *item;
    int n = 0;

    *ret_cmds = NULL;
    int r = table_exists(nft, err);
    if (r <= 0)
        return r;
    json_t *root = json_loads(nft_ctx_get_output_buffer(nft->ctx), 0, &jerr);
    json_t *items = json_object_get(root, "nftables");
    if (!json_is_array(items)) {
        json_decref(root);
        return berth_error_set(err, EPROTO, "cannot read nftables table '%s': %s", nft->table,
                               root ? "no \"nftables\" array" : jerr.text);
    }
    json_array_foreach(items, i, item)
    {
        json_t *rule = json_object_get(item, "rule");
        const char *comment = json_string_value(json_object_get(rule, "comment"));
        const char *chain = json_string_value(json_object_get(rule, "chain"));
        json_t *handle = json_object_get(rule, "handle");
        if (!comment || !streq(comment, key) || !chain || !json_is_integer(handle))
            continue;
        char *prev = *ret_cmds;
        *ret_cmds = xasprintf("%sdelete rule inet %s %s handle %lld\n", prev ? prev : "",
                              nft->table, chain, (long long)json_integer_value(handle));
        free(prev);
        n++;
    }
    json_decref(root);
    return n;
}

/* Adds a group of rules that share comment KEY, refusing a second group of
 * the same key (EEXIST), in one transaction with the table's setup. */
static int add_group(struct berth_nft *nft, const char *key, const char *rules,
                     struct berth_error **err, const char *what)
{
    _cleanup_free_ char *existing = NULL, *setup = ensure_cmds(nft->table);

    int r = find_rules(nft, key, &existing, err);
    if (r < 0)
        return r;
    if (r > 0)
        return berth_error_set(err, EEXIST, "cannot %s: it exists already in table '%s'", what,
                               nft->table);
    _cleanup_free_ char *cmds = xasprintf("%s%s", setup, rules);
    return run(nft, cmds, false, err, what);
}

/* Removes the group of rules of comment KEY and runs EXTRA (may be NULL) in
 * the same transaction; ENOENT when there is none. */
static int del_group(struct berth_nft *nft, const char *key, const char *extra,
                     struct berth_error **err, const char *what)
{
    _cleanup_free_ char *cmds = NULL;

    int r = find_rules(nft, key, &cmds, err);
    if (r < 0)
        return r;
    if (r == 0)
        return berth_error_set(err, ENOENT, "cannot %s: there is none in table '%s'", what,
                               nft->table);
    if (extra) {
        char *all = xasprintf("%s%s", cmds, extra);
        free(cmds);
        cmds = all;
    }
    return run(nft, cmds, false, err, what);
}

/* A subnet in canonical form (host bits cleared): "10.213.0.0/24". */
static int subnet_text(const char *subnet, char *buf, size_t len, int *ret_family,
                       struct berth_error **err)
{
    struct berth_cidr c;
    char addr[INET6_ADDRSTRLEN];

    int r = berth_net_cidr_parse(subnet, &c, err);
    if (r < 0)
        return r;
    unsigned int bits = c.family == AF_INET ? 32 : 128;
    for (unsigned int b = c.prefix_len; b < bits; b++)
        c.addr[b / 8] &= ~(0x80 >> (b % 8));
    inet_ntop(c.family, c.addr, addr, sizeof(addr));
    snprintf(buf, len, "%s/%u", addr, c.prefix_len);
    *ret_family = c.family;
    return 0;
}

int berth_nft_masq_add(struct berth_nft *nft, const char *subnet, const char *bridge,
                       struct berth_error **err)
{
    char net[INET6_ADDRSTRLEN + 8];
    int family;

    int r = subnet_text(subnet, net, sizeof(net), &family, err);
    if (r < 0 || (r = berth_net_ifname_check(bridge, err)) < 0)
        return berth_error_wrap(err, "cannot add a masquerade");
    _cleanup_free_ char *key = xasprintf("berth masq %s", net);
    const char *ip = family == AF_INET ? "ip" : "ip6";
    /* hairpin: a DNAT'ed connection from the subnet back onto its bridge
     * (postrouting knows no input link). Bridged traffic between two ports
     * never reaches the IP layer (without br_netfilter), so only it matches. */
    _cleanup_free_ char *rules =
        xasprintf("add rule inet %1$s postrouting %2$s saddr %3$s oifname != \"%4$s\" masquerade "
                  "comment \"%5$s\"\n"
                  "add rule inet %1$s postrouting %2$s saddr %3$s oifname \"%4$s\" ct status dnat "
                  "masquerade comment \"%5$s\"\n",
                  nft->table, ip, net, bridge, key);
    _cleanup_free_ char *what = xasprintf("add a masquerade for '%s'", net);
    return add_group(nft, key, rules, err, what);
}

int berth_nft_masq_del(struct berth_nft *nft, const char *subnet, struct berth_error **err)
{
    char net[INET6_ADDRSTRLEN + 8];
    int family;

    int r = subnet_text(subnet, net, sizeof(net), &family, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot remove a masquerade");
    _cleanup_free_ char *key = xasprintf("berth masq %s", net);
    _cleanup_free_ char *what = xasprintf("remove the masquerade for '%s'", net);
    return del_group(nft, key, NULL, err, what);
}

/* A port's checked, canonical pieces. */
struct port_text {
    const char *proto;
    int family;
    bool any;                    /* every local address of family */
    char host[INET6_ADDRSTRLEN]; /* 0.0.0.0 or :: when any */
    char ctr[INET6_ADDRSTRLEN];
    char key[128];
};

/* Parses an address into its canonical text; *family, when set already,
 * must match. Returns 1 for the unspecified address (0.0.0.0, ::). */
static int canonical_ip(const char *text, char *buf, int *family, struct berth_error **err,
                        const char *role)
{
    static const unsigned char zero[16];
    unsigned char a[16];
    int f = AF_INET;

    if (inet_pton(AF_INET, text, a) != 1) {
        f = AF_INET6;
        if (inet_pton(AF_INET6, text, a) != 1)
            return berth_error_set(err, EINVAL, "invalid %s address '%s'", role, text);
    }
    if (*family && *family != f)
        return berth_error_set(
            err, EINVAL, "%s address '%s' is not of the container address's family", role, text);
    *family = f;
    inet_ntop(f, a, buf, INET6_ADDRSTRLEN);
    return memcmp(a, zero, f == AF_INET ? 4 : 16) == 0;
}

/* A container address must be one a bridge can route to. */
static int ctr_ip_check(const char *text, struct port_text *t, struct berth_error **err)
{
    struct in6_addr a6;

    if (text == NULL || text[0] == '\0')
        return berth_error_set(err, EINVAL, "no container address");
    int r = canonical_ip(text, t->ctr, &t->family, err, "container");
    if (r < 0)
        return r;
    bool v4 = t->family == AF_INET;
    if (!v4)
        inet_pton(AF_INET6, t->ctr, &a6);
    if (r == 1 || (v4 && (strncmp(t->ctr, "127.", 4) == 0 || atoi(t->ctr) >= 224)) ||
        (!v4 && (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_MULTICAST(&a6))))
        return berth_error_set(err, EINVAL, "invalid container address '%s'", text);
    return 0;
}

static int port_check(const struct berth_nft_port *p, bool full, struct port_text *t,
                      struct berth_error **err)
{
    int r;

    memset(t, 0, sizeof(*t));
    if (p->proto && (streq(p->proto, "tcp") || streq(p->proto, "udp")))
        t->proto = streq(p->proto, "tcp") ? "tcp" : "udp";
    else
        return berth_error_set(err, EINVAL, "invalid protocol '%s' (tcp or udp)",
                               p->proto ? p->proto : "");
    if (p->host_port < 1 || p->host_port > 65535)
        return berth_error_set(err, EINVAL, "invalid host port %u (1-65535)", p->host_port);
    if (full) {
        if (p->ctr_port < 1 || p->ctr_port > 65535)
            return berth_error_set(err, EINVAL, "invalid container port %u (1-65535)", p->ctr_port);
        if ((r = ctr_ip_check(p->ctr_ip, t, err)) < 0 ||
            (r = berth_net_ifname_check(p->bridge, err)) < 0)
            return r;
    }
    if (p->host_ip && p->host_ip[0]) {
        if ((r = canonical_ip(p->host_ip, t->host, &t->family, err, "host")) < 0)
            return r;
        t->any = r == 1;
    } else {
        t->any = true;
        snprintf(t->host, sizeof(t->host), "%s", t->family == AF_INET6 ? "::" : "0.0.0.0");
    }
    snprintf(t->key, sizeof(t->key), "berth dnat %s %s %u", t->proto, t->host, p->host_port);
    return 0;
}

/* The DNAT rules: one per nat chain that sees new connections to the host
 * (prerouting: from outside and from containers; output: from the host
 * itself), and for IPv4 the masquerade of loopback sources onto the bridge. */
static char *dnat_rules(const char *table, const struct berth_nft_port *p,
                        const struct port_text *t)
{
    bool v4 = t->family == AF_INET;
    _cleanup_free_ char *match =
        t->any ? xasprintf("meta nfproto %s fib daddr type local", v4 ? "ipv4" : "ipv6")
               : xasprintf("%s daddr %s", v4 ? "ip" : "ip6", t->host);
    _cleanup_free_ char *to = v4 ? xasprintf("ip to %s:%u", t->ctr, p->ctr_port)
                                 : xasprintf("ip6 to [%s]:%u", t->ctr, p->ctr_port);
    _cleanup_free_ char *loop =
        v4 ? xasprintf("add rule inet %s postrouting ip saddr 127.0.0.0/8 oifname \"%s\" "
                       "ip daddr %s meta l4proto %s th dport %u masquerade comment \"%s\"\n",
                       table, p->bridge, t->ctr, t->proto, p->ctr_port, t->key)
           : xstrdup("");
    return xasprintf("add rule inet %1$s prerouting %2$s meta l4proto %3$s th dport %4$u dnat %5$s "
                     "comment \"%6$s\"\n"
                     "add rule inet %1$s output %2$s meta l4proto %3$s th dport %4$u dnat %5$s "
                     "comment \"%6$s\"\n%7$s",
                     table, match, t->proto, p->host_port, to, t->key, loop);
}

static char *port_what(const char *verb, const struct port_text *t, unsigned int port)
{
    if (strchr(t->host, ':'))
        return xasprintf("%s %s port [%s]:%u", verb, t->proto, t->host, port);
    return xasprintf("%s %s port %s:%u", verb, t->proto, t->host, port);
}

int berth_nft_dnat_add(struct berth_nft *nft, const struct berth_nft_port *port,
                       struct berth_error **err)
{
    struct port_text t;

    int r = port_check(port, true, &t, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot publish a port");
    _cleanup_free_ char *rules = dnat_rules(nft->table, port, &t);
    _cleanup_free_ char *what = port_what("publish", &t, port->host_port);
    return add_group(nft, t.key, rules, err, what);
}

int berth_nft_dnat_del(struct berth_nft *nft, const struct berth_nft_port *port,
                       struct berth_error **err)
{
    _cleanup_error_ struct berth_error *e6 = NULL;
    struct port_text t;

    int r = port_check(port, false, &t, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot unpublish a port");
    _cleanup_free_ char *what = port_what("unpublish", &t, port->host_port);
    if (port->host_ip && port->host_ip[0])
        return del_group(nft, t.key, NULL, err, what);
    /* no address: any, of either family (one -p publishes both) */
    _cleanup_free_ char *key6 = xasprintf("berth dnat %s :: %u", t.proto, port->host_port);
    r = del_group(nft, t.key, NULL, err, what);
    if (r < 0 && r != -ENOENT)
        return r;
    int r6 = del_group(nft, key6, NULL, &e6, what);
    if (r6 == -ENOENT && r == 0)
        return 0;
    berth_error_clear(err);
    if (r6 < 0 && err)
        *err = TAKE_PTR(e6);
    return r6;
}

int berth_nft_isolate_add(struct berth_nft *nft, const char *bridge, struct berth_error **err)
{
    int r = berth_net_ifname_check(bridge, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot isolate a bridge");
    _cleanup_free_ char *key = xasprintf("berth isolate %s", bridge);
    /* both directions, so a bridge is cut off from every other one in the
     * set whether or not that one is isolated itself */
    _cleanup_free_ char *rules = xasprintf(
        "add element inet %1$s bridges { \"%2$s\" }\n"
        "add rule inet %1$s forward iifname \"%2$s\" oifname != \"%2$s\" oifname @bridges drop "
        "comment \"%3$s\"\n"
        "add rule inet %1$s forward oifname \"%2$s\" iifname != \"%2$s\" iifname @bridges drop "
        "comment \"%3$s\"\n",
        nft->table, bridge, key);
    _cleanup_free_ char *what = xasprintf("isolate bridge '%s'", bridge);
    return add_group(nft, key, rules, err, what);
}

int berth_nft_isolate_del(struct berth_nft *nft, const char *bridge, struct berth_error **err)
{
    int r = berth_net_ifname_check(bridge, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot end the isolation of a bridge");
    _cleanup_free_ char *key = xasprintf("berth isolate %s", bridge);
    _cleanup_free_ char *elem =
        xasprintf("delete element inet %s bridges { \"%s\" }\n", nft->table, bridge);
    _cleanup_free_ char *what = xasprintf("end the isolation of bridge '%s'", bridge);
    return del_group(nft, key, elem, err, what);
}

int berth_nft_internal_add(struct berth_nft *nft, const char *bridge, struct berth_error **err)
{
    int r = berth_net_ifname_check(bridge, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot make a bridge internal");
    _cleanup_free_ char *key = xasprintf("berth internal %s", bridge);
    _cleanup_free_ char *rules =
        xasprintf("add rule inet %1$s forward iifname \"%2$s\" oifname != \"%2$s\" drop "
                  "comment \"%3$s\"\n"
                  "add rule inet %1$s forward oifname \"%2$s\" iifname != \"%2$s\" drop "
                  "comment \"%3$s\"\n",
                  nft->table, bridge, key);
    _cleanup_free_ char *what = xasprintf("make bridge '%s' internal", bridge);
    return add_group(nft, key, rules, err, what);
}

int berth_nft_internal_del(struct berth_nft *nft, const char *bridge, struct berth_error **err)
{
    int r = berth_net_ifname_check(bridge, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot end the internal rules of a bridge");
    _cleanup_free_ char *key = xasprintf("berth internal %s", bridge);
    _cleanup_free_ char *what = xasprintf("end the internal rules of bridge '%s'", bridge);
    return del_group(nft, key, NULL, err, what);
}
