#include "netlink.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Large enough for one dump datagram of the kernel (it sends at most 32 KiB
 * per recvmsg when the buffer allows, see netlink_dump). */
#define NL_RECV_SIZE 32768

struct berth_netlink {
    struct mnl_socket *sock;
    unsigned int portid;
    unsigned int seq;
};

/* One request's answer: what the data callback collects, and the kernel's
 * extended ACK text for the error message. */
struct nl_reply {
    mnl_cb_t data_cb;
    void *data;
    char ext_msg[256];
};

static bool ifname_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

int berth_net_ifname_check(const char *name, struct berth_error **err)
{
    if (name == NULL || name[0] == '\0')
        return berth_error_set(err, EINVAL, "empty link name");
    if (strlen(name) >= IFNAMSIZ)
        return berth_error_set(err, EINVAL, "link name '%s' is too long (at most %d characters)",
                               name, IFNAMSIZ - 1);
    if (streq(name, ".") || streq(name, ".."))
        return berth_error_set(err, EINVAL, "invalid link name '%s'", name);
    for (const char *p = name; *p; p++)
        if (!ifname_char_ok(*p))
            return berth_error_set(
                err, EINVAL, "invalid link name '%s' (letters, digits, '_', '-', '.' only)", name);
    return 0;
}

int berth_net_cidr_parse(const char *text, struct berth_cidr *ret, struct berth_error **err)
{
    char addr[INET6_ADDRSTRLEN];
    const char *slash = text ? strchr(text, '/') : NULL;
    unsigned long long len;

    if (slash == NULL || (size_t)(slash - text) >= sizeof(addr))
        return berth_error_set(err, EINVAL, "invalid address '%s' (expected ADDRESS/PREFIX)",
                               text ? text : "");
    memcpy(addr, text, slash - text);
    addr[slash - text] = '\0';
    memset(ret, 0, sizeof(*ret));
    if (inet_pton(AF_INET, addr, ret->addr) == 1)
        ret->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, ret->addr) == 1)
        ret->family = AF_INET6;
    else
        return berth_error_set(err, EINVAL, "invalid address '%s' in '%s'", addr, text);
    /* decimal digits only: parse_u64 alone would take "+8", "0x8" and "010" */
    const char *p = slash + 1;
    if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || (p[0] == '0' && p[1]) ||
        parse_u64(p, &len) < 0 || len > (ret->family == AF_INET ? 32u : 128u))
        return berth_error_set(err, EINVAL, "invalid prefix length in '%s'", text);
    ret->prefix_len = len;
    return 0;
}

/* NLMSG_ERROR: 0 is the ACK; otherwise errno is the kernel's, and its
 * extended ACK message (NETLINK_EXT_ACK) is kept for the error text. */
static int attr_ext_msg_cb(const struct nlattr *attr, void *data)
{
    struct nl_reply *r = data;
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
        mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
        snprintf(r->ext_msg, sizeof(r->ext_msg), "%s", mnl_attr_get_str(attr));
    return MNL_CB_OK;
}

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
    const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
        errno = EBADMSG;
        return MNL_CB_ERROR;
    }
    if (e->error == 0)
        return MNL_CB_STOP;
    if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
        unsigned int off = sizeof(*e);
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
            off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
        if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
            mnl_attr_parse(nlh, off, attr_ext_msg_cb, data);
    }
    errno = -e->error;
    return MNL_CB_ERROR;
}

/* A dump's end; its payload holds an error when the dump failed midway. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
    if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
        int e = *(const int *)mnl_nlmsg_get_payload(nlh);
        if (e < 0) {
            errno = -e;
            return MNL_CB_ERROR;
        }
    }
    return MNL_CB_STOP;
}

static int overrun_cb(const struct nlmsghdr *nlh, void *data)
{
    errno = ENOSPC;
    return MNL_CB_ERROR;
}

/* The data callback of a request, with the request's own data. */
static int data_cb(const struct nlmsghdr *nlh, void *data)
{
    struct nl_reply *r = data;
    return r->data_cb ? r->data_cb(nlh, r->data) : MNL_CB_OK;
}

/* Sends one request and reads until its ACK or the end of its dump. On a
 * refusal returns -errno with errno the kernel's; r->ext_msg may explain. */
static int nl_talk(struct berth_netlink *nl, struct nlmsghdr *nlh, struct nl_reply *r)
{
    mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
        /* libmnl takes it non-const */
        [NLMSG_ERROR] = ack_cb,
        [NLMSG_DONE] = done_cb,
        [NLMSG_OVERRUN] = overrun_cb,
    };
    _cleanup_free_ char *buf = xmalloc(NL_RECV_SIZE);
    int ret;

    nlh->nlmsg_seq = ++nl->seq;
    if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
        return -errno;
    do {
        ssize_t n = mnl_socket_recvfrom(nl->sock, buf, NL_RECV_SIZE);
        if (n < 0)
            return -errno;
        ret = mnl_cb_run2(buf, n, nlh->nlmsg_seq, nl->portid, data_cb, r, ctl, NLMSG_MIN_TYPE);
    } while (ret > MNL_CB_STOP);
    return ret < 0 ? -errno : 0;
}

/* The error of a failed request: "cannot WHAT: kernel text" when the kernel
 * gave one; the errno's text follows in berth_error_format. */
static int nl_error(struct berth_error **err, int r, const struct nl_reply *reply, const char *what)
{
    if (reply->ext_msg[0])
        return berth_error_set_sys(err, -r, "cannot %s (%s)", what, reply->ext_msg);
    return berth_error_set_sys(err, -r, "cannot %s", what);
}

/* nl_talk for a request that only wants its ACK. */
static int nl_do(struct berth_netlink *nl, struct nlmsghdr *nlh, struct berth_error **err,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int nl_do(struct berth_netlink *nl, struct nlmsghdr *nlh, struct berth_error **err,
                 const char *fmt, ...)
{
    struct nl_reply reply = {0};
    _cleanup_free_ char *what = NULL;
    va_list ap;

    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    int r = nl_talk(nl, nlh, &reply);
    if (r >= 0)
        return 0;
    va_start(ap, fmt);
    if (vasprintf(&what, fmt, ap) < 0)
        abort();
    va_end(ap);
    return nl_error(err, r, &reply, what);
}

struct open_args {
    int netns_fd;
    struct mnl_socket *sock;
    int errnum;
    bool in_setns;
};

/* Runs in the helper thread: setns(CLONE_NEWNET) moves only this thread, and
 * the socket it creates stays in that namespace once the thread is gone. */
static void *open_in_netns(void *p)
{
    struct open_args *a = p;

    if (setns(a->netns_fd, CLONE_NEWNET) < 0) {
        a->errnum = errno;
        a->in_setns = true;
        return NULL;
    }
    a->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (a->sock == NULL)
        a->errnum = errno;
    return NULL;
}

/* STYLE.md forbids threads in a process that clones: this one is joined
 * before the caller gets control back, so none exists at any clone. It runs
 * with every signal blocked so none of the caller's handlers runs on it. */
static struct mnl_socket *socket_in_netns(int netns_fd, struct berth_error **err)
{
    struct open_args a = {.netns_fd = netns_fd};
    sigset_t all, old;
    pthread_t t;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int r = pthread_create(&t, NULL, open_in_netns, &a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0)
        return berth_error_set(err, r, "cannot start a thread to enter a network namespace"), NULL;
    pthread_join(t, NULL);
    if (a.in_setns)
        return berth_error_set_sys(err, a.errnum, "cannot enter network namespace (fd %d)",
                                   netns_fd),
               NULL;
    if (a.sock == NULL)
        return berth_error_set(err, a.errnum, "cannot open a netlink socket"), NULL;
    return a.sock;
}

struct berth_netlink *berth_netlink_open(int netns_fd, struct berth_error **err)
{
    struct mnl_socket *sock;
    int one = 1;

    if (netns_fd >= 0)
        sock = socket_in_netns(netns_fd, err);
    else if ((sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL)
        berth_error_set(err, errno, "cannot open a netlink socket");
    if (sock == NULL)
        return NULL;
    if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        berth_error_set(err, errno, "cannot bind a netlink socket");
        mnl_socket_close(sock);
        return NULL;
    }
    /* best effort: kernels before 4.12 give no extended ACK, errno suffices */
    (void)mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one));
    (void)mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one));
    struct berth_netlink *nl = xzalloc(sizeof(*nl));
    nl->sock = sock;
    nl->portid = mnl_socket_get_portid(sock);
    nl->seq = (unsigned int)time(NULL);
    return nl;
}

void berth_netlink_close(struct berth_netlink *nl)
{
    if (nl == NULL)
        return;
    mnl_socket_close(nl->sock);
    free(nl);
}

/* A link request naming its link: RTM_SETLINK, RTM_DELLINK and RTM_NEWLINK
 * all find the device by IFLA_IFNAME when ifi_index is 0. */
static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, const char *name)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = flags;
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
    ifm->ifi_family = AF_UNSPEC;
    if (name)
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    return nlh;
}

int berth_netlink_bridge_add(struct berth_netlink *nl, const char *name, unsigned int mtu,
                             struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];

    int r = berth_net_ifname_check(name, err);
    if (r < 0)
        return r;
    struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
    if (mtu)
        mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
    mnl_attr_nest_end(nlh, info);
    return nl_do(nl, nlh, err, "create bridge '%s'", name);
}

int berth_netlink_veth_add(struct berth_netlink *nl, const char *name, const char *peer,
                           int peer_netns_fd, struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];

    int r = berth_net_ifname_check(name, err);
    if (r < 0 || (r = berth_net_ifname_check(peer, err)) < 0)
        return r;
    struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
    struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    struct nlattr *p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    /* the peer is a whole ifinfomsg followed by its own attributes */
    struct ifinfomsg *pifm = mnl_nlmsg_get_payload_tail(nlh);
    nlh->nlmsg_len += MNL_ALIGN(sizeof(*pifm));
    memset(pifm, 0, sizeof(*pifm));
    pifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
    if (peer_netns_fd >= 0)
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, peer_netns_fd);
    mnl_attr_nest_end(nlh, p);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return nl_do(nl, nlh, err, "create veth pair '%s' and '%s'", name, peer);
}

/* The prefix every per-link operation needs: a valid name. */
#define CHECK_NAME(name, err)                                                                      \
    do {                                                                                           \
        int _r = berth_net_ifname_check(name, err);                                                \
        if (_r < 0)                                                                                \
            return _r;                                                                             \
    } while (0)

int berth_netlink_link_del(struct berth_netlink *nl, const char *name, struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];

    CHECK_NAME(name, err);
    return nl_do(nl, link_msg(buf, RTM_DELLINK, 0, name), err, "delete link '%s'", name);
}

static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
    if (nlh->nlmsg_type == RTM_NEWLINK) {
        const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
        *(int *)data = ifm->ifi_index;
    }
    return MNL_CB_OK;
}

int berth_netlink_link_index(struct berth_netlink *nl, const char *name, struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    int index = 0;
    struct nl_reply reply = {.data_cb = link_index_cb, .data = &index};

    CHECK_NAME(name, err);
    struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, name);
    /* the answer is the link alone, without its statistics */
    mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    int r = nl_talk(nl, nlh, &reply);
    if (r == -ENODEV)
        return berth_error_set(err, ENODEV, "no link '%s'", name);
    if (r < 0) {
        _cleanup_free_ char *what = xasprintf("look up link '%s'", name);
        return nl_error(err, r, &reply, what);
    }
    if (index <= 0)
        return berth_error_set(err, ENODEV, "no link '%s'", name);
    return index;
}

/* A link request that must name a device the kernel knows, with a clear
 * "no link" message instead of the kernel's bare ENODEV. */
static int link_set(struct berth_netlink *nl, struct nlmsghdr *nlh, const char *name,
                    struct berth_error **err, const char *what)
{
    struct nl_reply reply = {0};

    nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    int r = nl_talk(nl, nlh, &reply);
    if (r == -ENODEV)
        return berth_error_set(err, ENODEV, "cannot %s: no link '%s'", what, name);
    if (r < 0)
        return nl_error(err, r, &reply, what);
    return 0;
}

int berth_netlink_link_set_netns_fd(struct berth_netlink *nl, const char *name, int netns_fd,
                                    struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    _cleanup_free_ char *what =
        xasprintf("move link '%s' to network namespace fd %d", name, netns_fd);

    CHECK_NAME(name, err);
    if (netns_fd < 0)
        return berth_error_set(err, EBADF, "cannot %s", what);
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, name);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, netns_fd);
    return link_set(nl, nlh, name, err, what);
}

int berth_netlink_link_set_netns_pid(struct berth_netlink *nl, const char *name, pid_t pid,
                                     struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    _cleanup_free_ char *what =
        xasprintf("move link '%s' to the network namespace of pid %d", name, (int)pid);

    CHECK_NAME(name, err);
    if (pid <= 0)
        return berth_error_set(err, EINVAL, "cannot %s: invalid pid", what);
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, name);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, pid);
    return link_set(nl, nlh, name, err, what);
}

int berth_netlink_link_rename(struct berth_netlink *nl, const char *name, const char *new_name,
                              struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    _cleanup_free_ char *what = xasprintf("rename link '%s' to '%s'", name, new_name);

    CHECK_NAME(name, err);
    CHECK_NAME(new_name, err);
    int index = berth_netlink_link_index(nl, name, err);
    if (index < 0)
        return berth_error_wrap(err, "cannot rename link '%s'", name);
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, new_name);
    ((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = index;
    return link_set(nl, nlh, name, err, what);
}

int berth_netlink_link_set_mtu(struct berth_netlink *nl, const char *name, unsigned int mtu,
                               struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    _cleanup_free_ char *what = xasprintf("set the mtu of link '%s' to %u", name, mtu);

    CHECK_NAME(name, err);
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, name);
    mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    return link_set(nl, nlh, name, err, what);
}

int berth_netlink_link_set_mac(struct berth_netlink *nl, const char *name, const char *mac,
                               struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    unsigned int b[6];
    unsigned char addr[6];
    char end;

    CHECK_NAME(name, err);
    if (mac == NULL || strlen(mac) != 17 ||
        sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) !=
            6)
        return berth_error_set(err, EINVAL, "invalid MAC address '%s'", mac ? mac : "");
    for (int i = 0; i < 6; i++)
        addr[i] = (unsigned char)b[i];
    if (addr[0] & 1)
        return berth_error_set(err, EINVAL, "invalid MAC address '%s': a multicast address", mac);
    _cleanup_free_ char *what = xasprintf("set the MAC address of link '%s' to %s", name, mac);
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, name);
    mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(addr), addr);
    return link_set(nl, nlh, name, err, what);
}

int berth_netlink_link_set_up(struct berth_netlink *nl, const char *name, bool up,
                              struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    _cleanup_free_ char *what = xasprintf("set link '%s' %s", name, up ? "up" : "down");

    CHECK_NAME(name, err);
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, name);
    struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
    ifm->ifi_change = IFF_UP;
    ifm->ifi_flags = up ? IFF_UP : 0;
    return link_set(nl, nlh, name, err, what);
}

int berth_netlink_link_set_master(struct berth_netlink *nl, const char *name, const char *master,
                                  struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    int master_index = 0;

    CHECK_NAME(name, err);
    if (master) {
        master_index = berth_netlink_link_index(nl, master, err);
        if (master_index < 0)
            return berth_error_wrap(err, "cannot attach link '%s' to bridge '%s'", name, master);
    }
    _cleanup_free_ char *what = master ? xasprintf("attach link '%s' to bridge '%s'", name, master)
                                       : xasprintf("release link '%s' from its bridge", name);
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, name);
    mnl_attr_put_u32(nlh, IFLA_MASTER, master_index);
    return link_set(nl, nlh, name, err, what);
}

int berth_netlink_link_set_route_localnet(struct berth_netlink *nl, const char *name, bool on,
                                          struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    _cleanup_free_ char *what = xasprintf("set route_localnet=%d on link '%s'", on ? 1 : 0, name);

    CHECK_NAME(name, err);
    /* IFLA_AF_SPEC/AF_INET/IFLA_INET_CONF: attribute type = devconf index
     * (inet_set_link_af), the netlink twin of the per-device sysctl, and it
     * needs no /proc/sys of the right namespace */
    struct nlmsghdr *nlh = link_msg(buf, RTM_SETLINK, 0, name);
    struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
    struct nlattr *inet = mnl_attr_nest_start(nlh, AF_INET);
    struct nlattr *conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
    mnl_attr_put_u32(nlh, IPV4_DEVCONF_ROUTE_LOCALNET, on ? 1 : 0);
    mnl_attr_nest_end(nlh, conf);
    mnl_attr_nest_end(nlh, inet);
    mnl_attr_nest_end(nlh, spec);
    return link_set(nl, nlh, name, err, what);
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type, const struct berth_cidr *c)
{
    mnl_attr_put(nlh, type, c->family == AF_INET ? 4 : 16, c->addr);
}

int berth_netlink_addr_add(struct berth_netlink *nl, const char *name, const char *cidr,
                           struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct berth_cidr c;

    CHECK_NAME(name, err);
    int r = berth_net_cidr_parse(cidr, &c, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot add an address to link '%s'", name);
    int index = berth_netlink_link_index(nl, name, err);
    if (index < 0)
        return berth_error_wrap(err, "cannot add address '%s'", cidr);
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWADDR;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = c.family;
    ifa->ifa_prefixlen = c.prefix_len;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = index;
    put_addr(nlh, IFA_ADDRESS, &c);
    if (c.family == AF_INET) {
        put_addr(nlh, IFA_LOCAL, &c);
        if (c.prefix_len <= 30) {
            struct berth_cidr bcast = c;
            uint32_t a = ntohl(*(uint32_t *)c.addr) | (0xffffffffu >> c.prefix_len);
            *(uint32_t *)bcast.addr = htonl(a);
            put_addr(nlh, IFA_BROADCAST, &bcast);
        }
    } else {
        /* a container's address must be usable at once, not after DAD */
        ifa->ifa_flags = IFA_F_NODAD;
        mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
    }
    return nl_do(nl, nlh, err, "add address '%s' to link '%s'", cidr, name);
}

int berth_netlink_route_add_default(struct berth_netlink *nl, const char *gw,
                                    struct berth_error **err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct berth_cidr c = {0};

    if (gw && inet_pton(AF_INET, gw, c.addr) == 1)
        c.family = AF_INET;
    else if (gw && inet_pton(AF_INET6, gw, c.addr) == 1)
        c.family = AF_INET6;
    else
        return berth_error_set(err, EINVAL, "invalid gateway address '%s'", gw ? gw : "");
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWROUTE;
    nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
    rtm->rtm_family = c.family;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    put_addr(nlh, RTA_GATEWAY, &c);
    return nl_do(nl, nlh, err, "add a default route via '%s'", gw);
}

/* Subnet search: the candidate against every route and address. */
struct overlap {
    uint32_t net;
    unsigned int len;
    bool found;
    const char *kind; /* "route" or "address" */
    uint32_t other;
    unsigned int other_len;
    int other_index;
};

static bool prefixes_overlap(uint32_t a, unsigned int alen, uint32_t b, unsigned int blen)
{
    unsigned int l = alen < blen ? alen : blen;
    uint32_t mask = l ? 0xffffffffu << (32 - l) : 0;
    return (a & mask) == (b & mask);
}

static void overlap_check(struct overlap *o, const char *kind, const void *addr, unsigned int len,
                          int index)
{
    uint32_t other;

    if (o->found || len == 0)
        return; /* default routes overlap everything: never a conflict */
    memcpy(&other, addr, 4);
    other = ntohl(other);
    if (!prefixes_overlap(o->net, o->len, other, len))
        return;
    o->found = true;
    o->kind = kind;
    o->other = other;
    o->other_len = len;
    o->other_index = index;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
    const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
    const struct nlattr *attr;
    const void *dst = NULL;
    int oif = 0;

    if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET)
        return MNL_CB_OK;
    mnl_attr_for_each(attr, nlh, sizeof(*rtm))
    {
        if (mnl_attr_get_type(attr) == RTA_DST && mnl_attr_get_payload_len(attr) == 4)
            dst = mnl_attr_get_payload(attr);
        else if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_get_payload_len(attr) == 4)
            oif = (int)mnl_attr_get_u32(attr);
    }
    if (dst)
        overlap_check(data, "route", dst, rtm->rtm_dst_len, oif);
    return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    const struct nlattr *attr;

    if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET)
        return MNL_CB_OK;
    mnl_attr_for_each(attr, nlh, sizeof(*ifa))
    {
        uint16_t t = mnl_attr_get_type(attr);
        if ((t == IFA_LOCAL || t == IFA_ADDRESS) && mnl_attr_get_payload_len(attr) == 4)
            overlap_check(data, "address", mnl_attr_get_payload(attr), ifa->ifa_prefixlen,
                          (int)ifa->ifa_index);
    }
    return MNL_CB_OK;
}

static int dump(struct berth_netlink *nl, uint16_t type, size_t hdr_len, mnl_cb_t cb, void *data)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nl_reply reply = {.data_cb = cb, .data = data};

    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    /* rtmsg and ifaddrmsg both start with their family byte */
    unsigned char *hdr = mnl_nlmsg_put_extra_header(nlh, hdr_len);
    hdr[0] = AF_INET;
    return nl_talk(nl, nlh, &reply);
}

static int link_name_cb(const struct nlmsghdr *nlh, void *data)
{
    const struct nlattr *attr;

    if (nlh->nlmsg_type != RTM_NEWLINK)
        return MNL_CB_OK;
    mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg))
    {
        if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
            snprintf(data, IFNAMSIZ, "%s", mnl_attr_get_str(attr));
    }
    return MNL_CB_OK;
}

/* "route 10.0.0.0/8 on 'eth0'": the link's name comes from nl's namespace,
 * which if_indextoname would not see. */
static char *conflict_text(struct berth_netlink *nl, const struct overlap *o)
{
    char buf[MNL_SOCKET_BUFFER_SIZE], addr[INET_ADDRSTRLEN], ifname[IFNAMSIZ] = "";
    struct nl_reply reply = {.data_cb = link_name_cb, .data = ifname};
    uint32_t a = htonl(o->other);

    inet_ntop(AF_INET, &a, addr, sizeof(addr));
    if (o->other_index > 0) {
        struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, NULL);
        ((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index = o->other_index;
        mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        (void)nl_talk(nl, nlh, &reply);
    }
    if (ifname[0])
        return xasprintf("%s %s/%u on '%s'", o->kind, addr, o->other_len, ifname);
    return xasprintf("%s %s/%u", o->kind, addr, o->other_len);
}

int berth_net_subnet_free(struct berth_netlink *nl, const char *cidr, char **ret_conflict,
                          struct berth_error **err)
{
    struct berth_cidr c;
    struct overlap o = {0};

    int r = berth_net_cidr_parse(cidr, &c, err);
    if (r < 0)
        return r;
    if (c.family != AF_INET)
        return berth_error_set(err, EINVAL, "subnet '%s' is not an IPv4 subnet", cidr);
    memcpy(&o.net, c.addr, 4);
    o.net = ntohl(o.net);
    o.len = c.prefix_len;
    r = dump(nl, RTM_GETROUTE, sizeof(struct rtmsg), route_cb, &o);
    if (r < 0)
        return berth_error_set_sys(err, -r, "cannot list the routes");
    r = dump(nl, RTM_GETADDR, sizeof(struct ifaddrmsg), addr_cb, &o);
    if (r < 0)
        return berth_error_set_sys(err, -r, "cannot list the addresses");
    if (!o.found)
        return 1;
    if (ret_conflict)
        *ret_conflict = conflict_text(nl, &o);
    return 0;
}
