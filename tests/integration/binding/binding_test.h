/* Shared set-up for the binding integration tests: root check, a private network namespace for the whole
 * test process (so the host's links are never touched and everything vanishes with the process), extra
 * namespaces standing in for containers, and netlink read-back helpers independent of the code under test. */
#ifndef KURYR_BINDING_TEST_H
#define KURYR_BINDING_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kuryr/binding.h"

#define BT_SKIP 77

/* The number in a /proc or /sys file (a sysctl), or -1 when it cannot be read. */
static inline long bt_read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    if (f && fscanf(f, "%ld", &v) != 1)
        v = -1;
    if (f)
        fclose(f);
    return v;
}

static inline void bt_skip(const char *why)
{
    printf("SKIP: %s\n", why);
    fflush(stdout);
    exit(BT_SKIP);
}

/* Root, then a fresh network namespace for this process. */
static inline void bt_enter_private_netns(void)
{
    if (geteuid() != 0)
        bt_skip("binding integration tests need root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create links and "
                "network namespaces");
    if (unshare(CLONE_NEWNET) < 0) {
        char why[200];
        snprintf(why, sizeof(why), "cannot create a network namespace: %s", strerror(errno));
        bt_skip(why);
    }
}

/* A namespace standing in for a container; path names it as /proc/<pid>/fd/<fd>. Close fd to drop it. */
static inline int bt_new_netns(char path[64])
{
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0 || unshare(CLONE_NEWNET) < 0)
        return -1;
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (setns(self, CLONE_NEWNET) < 0)
        abort();
    close(self);
    snprintf(path, 64, "/proc/%d/fd/%d", (int)getpid(), fd);
    return fd;
}

static inline struct nl_sock *bt_sock(void)
{
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0)
        abort();
    return sk;
}

/* A socket acting inside the namespace nsfd. */
static inline struct nl_sock *bt_sock_in(int nsfd)
{
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0)
        abort();
    struct nl_sock *sk = bt_sock();
    if (setns(self, CLONE_NEWNET) < 0)
        abort();
    close(self);
    return sk;
}

/* NULL when absent; rtnl_link_put when done. */
static inline struct rtnl_link *bt_link(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *l = NULL;
    if (rtnl_link_get_kernel(sk, 0, name, &l) < 0)
        return NULL;
    return l;
}

static inline int bt_exists(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *l = bt_link(sk, name);
    if (l)
        rtnl_link_put(l);
    return l != NULL;
}

static inline void bt_mac(struct rtnl_link *l, char out[32])
{
    struct nl_addr *a = rtnl_link_get_addr(l);
    out[0] = '\0';
    if (a)
        nl_addr2str(a, out, 32);
}

static inline void bt_del(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *l = rtnl_link_alloc();
    rtnl_link_set_name(l, name);
    rtnl_link_delete(sk, l);
    rtnl_link_put(l);
}

/* A veth pair for tests that need a parent or a conflicting device, in sk's namespace. */
static inline int bt_veth(struct nl_sock *sk, const char *a, const char *b)
{
    struct rtnl_link *l = rtnl_link_veth_alloc();
    struct rtnl_link *peer = rtnl_link_veth_get_peer(l);
    rtnl_link_set_name(l, a);
    rtnl_link_set_name(peer, b);
    int rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(peer);
    rtnl_link_veth_release(l);
    return rc;
}

#endif
