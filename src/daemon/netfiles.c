/* A container's /etc/hostname, /etc/hosts and /etc/resolv.conf (netctr.h),
 * written into its dir; the shim binds them over the image's.
 *
 * Names on a user-defined network: berthd keeps every member's hosts file
 * current (each container's name, aliases and short id, for each network it
 * shares with the reader) instead of answering DNS itself. A hosts file
 * keeps working while berthd is down or restarting, costs no process or
 * port in each namespace, and needs nothing but the C library's resolver in
 * the image; a DNS server would also answer tools that query DNS directly
 * (nslookup, dig), which this does not. The default "bridge" network gives
 * no names, as Docker's. */
#include "daemon.h"
#include "cleanup.h"
#include "error.h"
#include "netctr.h"
#include "networks.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char hosts_head[] = "127.0.0.1\tlocalhost\n"
                                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                 "fe00::0\tip6-localnet\n"
                                 "ff00::0\tip6-mcastprefix\n"
                                 "ff02::1\tip6-allnodes\n"
                                 "ff02::2\tip6-allrouters\n";

static const char *hostname_of(const struct ctr *c)
{
    const char *h =
        json_string_value(json_object_get(json_object_get(c->rec, "Process"), "Hostname"));
    return h ? h : "";
}

/* The first gateway of c's networks, else the default network's: what
 * --add-host NAME:host-gateway names, as Docker's. */
static char *host_gateway(json_t *rt)
{
    const char *k;
    json_t *ep;
    json_object_foreach(json_object_get(rt, "Networks"), k, ep)
    {
        const char *gw = json_string_value(json_object_get(ep, "Gateway"));
        if (gw && *gw)
            return xstrdup(gw);
    }
    struct net_info n;
    return net_lookup("bridge", &n, NULL) == 0 ? xstrdup(n.gateway) : xstrdup("127.0.0.1");
}

/* HostConfig.ExtraHosts ("NAME:IP", "NAME=IP", IP may be host-gateway). */
static void extra_hosts(FILE *f, const struct ctr *c, json_t *rt)
{
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(c->rec, "HostConfig"), "ExtraHosts"), i, v)
    {
        const char *s = json_string_value(v);
        size_t n = strcspn(s, ":=");
        if (s[n] == '\0')
            continue;
        const char *ip = s + n + 1;
        _cleanup_free_ char *gw = streq(ip, "host-gateway") ? host_gateway(rt) : NULL;
        fprintf(f, "%s\t%.*s\n", gw ? gw : ip, (int)n, s);
    }
}

/* The lines of the other members of the user-defined networks in rt. */
static void peers(FILE *f, const char *self, json_t *rt)
{
    const char *k, *cid;
    json_t *ep, *p;
    json_object_foreach(json_object_get(rt, "Networks"), k, ep)
    {
        if (streq(k, "bridge"))
            continue;
        json_t *all = net_endpoints(json_string_value(json_object_get(ep, "NetworkID")));
        json_object_foreach(all, cid, p)
        {
            const char *ip = json_string_value(json_object_get(p, "IPAddress"));
            const char *name = json_string_value(json_object_get(p, "Name"));
            if (streq(cid, self) || ip == NULL || !*ip || name == NULL)
                continue;
            fprintf(f, "%s\t%s", ip, name[0] == '/' ? name + 1 : name);
            json_t *a;
            size_t i;
            json_array_foreach(json_object_get(p, "Aliases"), i, a)
                fprintf(f, " %s", json_string_value(a));
            fprintf(f, " %.12s\n", cid);
        }
        json_decref(all);
    }
}

static char *hosts_text(const struct ctr *c, json_t *rt)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    const char *mode = json_string_value(json_object_get(rt, "Mode"));
    _cleanup_free_ char *host = NULL;
    if (mode && streq(mode, "host") && read_file_at(AT_FDCWD, "/etc/hosts", &host, NULL, NULL) == 0)
        fputs(host, f);
    else
        fputs(hosts_head, f);
    extra_hosts(f, c, rt);
    const char *h = hostname_of(c);
    const char *dn =
        json_string_value(json_object_get(json_object_get(c->rec, "Config"), "Domainname"));
    const char *k;
    json_t *ep;
    json_object_foreach(json_object_get(rt, "Networks"), k, ep)
    {
        const char *ip = json_string_value(json_object_get(ep, "IPAddress"));
        if (ip && *ip && dn && *dn)
            fprintf(f, "%s\t%s.%s %s\n", ip, h, dn, h);
        else if (ip && *ip)
            fprintf(f, "%s\t%s\n", ip, h);
    }
    peers(f, c->id, rt);
    fclose(f);
    return text;
}

static bool loopback_server(const char *ip)
{
    return strncmp(ip, "127.", 4) == 0 || streq(ip, "::1");
}

/* Docker's rules: --dns replaces the host's servers, --dns-search and
 * --dns-option its search and options lines; the host's loopback servers
 * are no use in another namespace, and with none left Google's are used. */
static char *resolv_text(const struct ctr *c, bool host_mode)
{
    json_t *hc = json_object_get(c->rec, "HostConfig"), *v;
    json_t *dns = json_object_get(hc, "Dns"), *search = json_object_get(hc, "DnsSearch");
    json_t *opts = json_object_get(hc, "DnsOptions");
    _cleanup_free_ char *host = NULL;
    char *text = NULL;
    size_t len = 0, i;
    int servers = 0;
    FILE *f = open_memstream(&text, &len);
    read_file_at(AT_FDCWD, "/etc/resolv.conf", &host, NULL, NULL);
    for (char *line = host ? strtok(host, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char word[16], arg[256];
        if (sscanf(line, "%15s %255s", word, arg) < 1)
            continue;
        bool server = streq(word, "nameserver");
        if ((server && (json_array_size(dns) > 0 || (!host_mode && loopback_server(arg)))) ||
            ((streq(word, "search") || streq(word, "domain")) && json_array_size(search) > 0) ||
            (streq(word, "options") && json_array_size(opts) > 0) ||
            (!server && !streq(word, "search") && !streq(word, "domain") &&
             !streq(word, "options")))
            continue;
        fprintf(f, "%s\n", line);
        servers += server;
    }
    json_array_foreach(dns, i, v) fprintf(f, "nameserver %s\n", json_string_value(v)), servers++;
    if (servers == 0)
        fputs("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", f);
    if (json_array_size(search) > 0) {
        fputs("search", f);
        json_array_foreach(search, i, v) fprintf(f, " %s", json_string_value(v));
        fputs("\n", f);
    }
    if (json_array_size(opts) > 0) {
        fputs("options", f);
        json_array_foreach(opts, i, v) fprintf(f, " %s", json_string_value(v));
        fputs("\n", f);
    }
    fclose(f);
    return text;
}

static int write_new(const struct ctr *c, const char *name, const char *text,
                     struct berth_error **err)
{
    _cleanup_close_ int dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berth_error_set(err, errno, "cannot open %s", c->dir);
    int r = write_file_atomic_at(dfd, name, text, strlen(text), err);
    /* read by every user of the container, as Docker's are */
    if (r == 0 && fchmodat(dfd, name, 0644, 0) < 0)
        r = berth_error_set(err, errno, "cannot chmod %s/%s", c->dir, name);
    return r;
}

int netfiles_write(struct ctr *c, json_t *rt, struct berth_error **err)
{
    const char *mode = json_string_value(json_object_get(rt, "Mode"));
    _cleanup_free_ char *hn = xasprintf("%s\n", hostname_of(c));
    _cleanup_free_ char *hosts = hosts_text(c, rt);
    _cleanup_free_ char *resolv = resolv_text(c, mode && streq(mode, "host"));
    int r = write_new(c, "hostname", hn, err);
    if (r == 0)
        r = write_new(c, "hosts", hosts, err);
    if (r == 0)
        r = write_new(c, "resolv.conf", resolv, err);
    return r;
}

int netfiles_copy(struct ctr *c, struct ctr *from, struct berth_error **err)
{
    static const char *const names[] = {"hostname", "hosts", "resolv.conf"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        _cleanup_free_ char *path = xasprintf("%s/%s", from->dir, names[i]);
        _cleanup_free_ char *text = NULL;
        if (read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
            continue;
        if (write_new(c, names[i], text, err) < 0)
            return -EIO;
    }
    return 0;
}

/* In place: the file is bound into the running container, so a new inode
 * (rename) would not reach it. One write of the whole text, then the length.
 * A shorter text is first padded to the old length with a comment line, so
 * a reader between the write and the truncate sees only whole lines. */
void netfiles_rewrite_hosts(const struct ctr *c, json_t *rt)
{
    _cleanup_free_ char *text = hosts_text(c, rt);
    _cleanup_free_ char *path = xasprintf("%s/hosts", c->dir);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    size_t len = strlen(text), padded = len;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return;
    if ((size_t)st.st_size > len) {
        padded = (size_t)st.st_size;
        char *p = xrealloc(text, padded);
        text = p;
        memset(p + len, ' ', padded - len);
        p[len] = padded - len > 1 ? '#' : '\n';
        p[padded - 1] = '\n';
    }
    if (pwrite(fd, text, padded, 0) == (ssize_t)padded)
        (void)!ftruncate(fd, (off_t)len);
}

void netfiles_refresh_peers(const char *id, json_t *rt)
{
    const char *k, *cid;
    json_t *ep, *p;
    json_object_foreach(json_object_get(rt, "Networks"), k, ep)
    {
        if (streq(k, "bridge"))
            continue;
        json_t *all = net_endpoints(json_string_value(json_object_get(ep, "NetworkID")));
        json_object_foreach(all, cid, p)
        {
            struct ctr *c = NULL;
            if (streq(cid, id) || ctr_find(cid, &c, NULL) < 0)
                continue;
            json_t *prt = netctr_record(cid);
            if (prt)
                netfiles_rewrite_hosts(c, prt);
            json_decref(prt);
            ctr_free(c);
        }
        json_decref(all);
    }
}
