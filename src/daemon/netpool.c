/* Network namespaces made ahead and undone behind (netctr.h), so that
 * neither sits on a container's start or removal.
 *
 * Making a namespace (unshare) and a veth into it, and unmounting one (an
 * RCU grace period), are the slow kernel steps of bridge networking: a few
 * milliseconds each on a busy machine. One thread of berthd, at a lower
 * priority, keeps NETPOOL_READY namespaces ready for the default network
 * (lo up, a veth whose host end is on the bridge and up, eth0 inside, down
 * and without an address) and unmounts the namespaces that teardowns hand
 * it. A start on the default network takes a ready one when there is one
 * and gives it its address, MAC and route (netctr.c); a user network makes
 * its own at once. The files are EXEC/netns/ns-RANDOM; a container's
 * record (EXEC/netns/ID.json) names the one it uses, and at berthd's start
 * every file no record names goes (ready ones from before, and those a
 * crash left between a teardown and its unmount). */
#include "daemon.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "netctr.h"
#include "netlink.h"
#include "networks.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NETPOOL_READY 2

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static json_t *ready;   /* [{"Path","Veth","Bridge","Mtu"}] */
static json_t *gone;    /* [path]: to unmount */
static char bridge[16]; /* the default network's; "" (no pool) without one */
static unsigned mtu;

struct mkns {
    const char *path;
    int err;
};

/* In a thread of its own: unshare(CLONE_NEWNET) moves only this thread,
 * which ends right after binding the new namespace to the file. */
static void *mkns_main(void *p)
{
    struct mkns *m = p;
    if (unshare(CLONE_NEWNET) < 0)
        m->err = errno;
    else if (mount("/proc/thread-self/ns/net", m->path, NULL, MS_BIND, NULL) < 0)
        m->err = errno;
    return NULL;
}

int netns_new(char **ret_path, struct berth_error **err)
{
    char rnd[65];
    random_hex_id(rnd);
    _cleanup_free_ char *dir = xasprintf("%s/netns", engine.exec_root);
    char *path = xasprintf("%s/ns-%.16s", dir, rnd);
    int fd = -1;
    if (mkdir_p(dir, 0700, err) < 0 ||
        (fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)) < 0) {
        int e = errno;
        free(path);
        return fd < 0 && e ? berth_error_set(err, e, "cannot create a network namespace file")
                           : -EIO;
    }
    close(fd);
    struct mkns m = {path, 0};
    pthread_t t;
    int r = pthread_create(&t, NULL, mkns_main, &m);
    if (r == 0)
        pthread_join(t, NULL);
    else
        m.err = r;
    if (m.err != 0) {
        unlink(path);
        free(path);
        return berth_error_set(err, m.err, "cannot make a network namespace");
    }
    *ret_path = path;
    return 0;
}

static void unmount_now(const char *path)
{
    umount2(path, MNT_DETACH);
    unlink(path);
}

void netpool_release(const char *path)
{
    if (path == NULL || *path == '\0')
        return;
    bool queued = false;
    pthread_mutex_lock(&lk);
    if (gone) {
        json_array_append_new(gone, json_string(path));
        pthread_cond_signal(&cv);
        queued = true;
    }
    pthread_mutex_unlock(&lk);
    if (!queued) /* no thread (yet): at once */
        unmount_now(path);
}

/* A ready namespace on bridge br: lo up, veth vp... on br and up, eth0
 * inside it down. */
static json_t *make_one(const char *br, unsigned m)
{
    char *path = NULL, rnd[65], veth[16];
    if (netns_new(&path, NULL) < 0)
        return NULL;
    random_hex_id(rnd);
    snprintf(veth, sizeof(veth), "vp%.12s", rnd);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    struct berth_netlink *nl = berth_netlink_open(-1, NULL);
    struct berth_netlink *in = nsfd < 0 ? NULL : berth_netlink_open(nsfd, NULL);
    int r = nl && in ? berth_netlink_veth_add(nl, veth, "eth0", nsfd, NULL) : -EIO;
    if (r == 0 && m)
        r = berth_netlink_link_set_mtu(nl, veth, m, NULL);
    if (r == 0 && m)
        r = berth_netlink_link_set_mtu(in, "eth0", m, NULL);
    if (r == 0)
        r = berth_netlink_link_set_master(nl, veth, br, NULL);
    if (r == 0)
        r = berth_netlink_link_set_up(nl, veth, true, NULL);
    if (r == 0)
        r = berth_netlink_link_set_up(in, "lo", true, NULL);
    berth_netlink_close(nl);
    berth_netlink_close(in);
    if (nsfd >= 0)
        close(nsfd);
    json_t *j = r == 0 ? json_pack("{s:s,s:s,s:s,s:i}", "Path", path, "Veth", veth, "Bridge", br,
                                   "Mtu", (int)m)
                       : NULL;
    if (r < 0) /* the veth, if made, goes with the namespace */
        unmount_now(path);
    free(path);
    return j;
}

static void *pool_main(void *arg)
{
    (void)arg;
    /* the work here is never on a start's path: let starts have the CPUs */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    pthread_mutex_lock(&lk);
    for (;;) {
        bool refill = *bridge && json_array_size(ready) < NETPOOL_READY;
        if (json_array_size(gone) > 0) {
            char *path = xstrdup(json_string_value(json_array_get(gone, 0)));
            json_array_remove(gone, 0);
            pthread_mutex_unlock(&lk);
            unmount_now(path);
            free(path);
            pthread_mutex_lock(&lk);
        } else if (refill) {
            char br[16];
            unsigned m = mtu;
            memcpy(br, bridge, sizeof(br));
            pthread_mutex_unlock(&lk);
            json_t *j = make_one(br, m);
            pthread_mutex_lock(&lk);
            if (j)
                json_array_append_new(ready, j);
            else
                *bridge = '\0'; /* it fails: no pool, starts make their own */
        } else {
            pthread_cond_wait(&cv, &lk);
        }
    }
    return NULL;
}

bool netpool_take(const char *br, unsigned m, char **ret_path, char ret_veth[16])
{
    bool got = false;
    pthread_mutex_lock(&lk);
    json_t *j = json_array_get(ready, 0);
    if (j && streq(json_string_value(json_object_get(j, "Bridge")), br) &&
        json_integer_value(json_object_get(j, "Mtu")) == (json_int_t)m) {
        *ret_path = xstrdup(json_string_value(json_object_get(j, "Path")));
        snprintf(ret_veth, 16, "%s", json_string_value(json_object_get(j, "Veth")));
        json_array_remove(ready, 0);
        got = true;
    }
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&lk);
    return got;
}

/* The namespace files no container record names. */
static void drop_unnamed(void)
{
    _cleanup_free_ char *dir = xasprintf("%s/netns", engine.exec_root);
    _cleanup_closedir_ DIR *d = opendir(dir);
    json_t *all = netctr_records(), *named = json_object(), *rt;
    const char *id;
    struct dirent *de;
    json_object_foreach(all, id, rt)
    {
        const char *p = json_string_value(json_object_get(rt, "Netns"));
        if (p)
            json_object_set_new(named, p, json_true());
    }
    while (d && (de = readdir(d))) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
        if (strncmp(de->d_name, "ns-", 3) == 0 && !json_object_get(named, p))
            json_array_append_new(gone, json_string(p));
    }
    json_decref(named);
    json_decref(all);
}

void netpool_start(void)
{
    struct net_info n;
    pthread_mutex_lock(&lk);
    ready = json_array();
    gone = json_array();
    if (net_lookup("bridge", &n, NULL) == 0 && streq(n.driver, "bridge")) {
        snprintf(bridge, sizeof(bridge), "%s", n.bridge);
        mtu = n.mtu;
    }
    drop_unnamed();
    pthread_mutex_unlock(&lk);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &at, pool_main, NULL);
    pthread_attr_destroy(&at);
}
