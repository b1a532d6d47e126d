/* CNI mode: a netlink socket that acts inside the container's network namespace.
 *
 * A socket belongs to the namespace it was created in, so the calling thread enters the target only for
 * the socket() call and returns at once; every later operation uses the socket from the thread's own
 * namespace. That keeps the window where the thread is elsewhere to two system calls, on every path. */
#include "binding_internal.h"

#include "kuryr/log.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nl_sock *kb_netns_socket(const char *path, int *ns_fd, kuryr_error *err)
{
    *ns_fd = -1;
    if (!path || !*path) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "no network namespace path given");
        return NULL;
    }
    int target = open(path, O_RDONLY | O_CLOEXEC);
    if (target < 0) {
        int e = errno;
        kuryr_error_set(err, e == ENOENT ? KURYR_ERR_NOT_FOUND : KURYR_ERR_INTERNAL, 0, NULL,
                        "network namespace %s: %s", path, strerror(e));
        return NULL;
    }
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        int e = errno;
        close(target);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot open this thread's netns: %s", strerror(e));
        return NULL;
    }
    if (setns(target, CLONE_NEWNET) < 0) {
        int e = errno;
        close(target);
        close(self);
        kuryr_error_set(err, e == EINVAL ? KURYR_ERR_BAD_REQUEST : KURYR_ERR_INTERNAL, 0, NULL,
                        "cannot enter network namespace %s: %s", path, strerror(e));
        return NULL;
    }
    kuryr_error sock_err;
    struct nl_sock *sk = kb_nl_open(&sock_err);
    if (setns(self, CLONE_NEWNET) < 0) {
        /* The thread would go on working in a container's namespace: stopping is the only safe move. */
        KLOG_ERROR("cannot return to this thread's network namespace after %s: %s; aborting", path,
                   strerror(errno));
        abort();
    }
    close(self);
    if (!sk) {
        close(target);
        if (err)
            *err = sock_err;
        return NULL;
    }
    *ns_fd = target;
    return sk;
}

int kuryr_netns_link_mac(const char *netns_path, const char *ifname, char mac[18], kuryr_error *err)
{
    kuryr_error_clear(err);
    mac[0] = '\0';
    int ns_fd = -1;
    struct nl_sock *sk = kb_netns_socket(netns_path, &ns_fd, err);
    if (!sk) {
        if (!err || err->kind != KURYR_ERR_NOT_FOUND)
            return -1;
        kuryr_error_clear(err); /* no namespace, so no link in it */
        return 0;
    }
    int idx = kb_link_index(sk, ifname);
    int rc = 0;
    if (idx < 0)
        rc = kb_nl_fail(err, idx, "link %s", ifname);
    else if (idx > 0)
        rc = kb_link_mac(sk, ifname, mac, err) < 0 ? -1 : 1;
    kb_nl_close(sk);
    close(ns_fd);
    return rc;
}

int kuryr_netns_link_delete(const char *netns_path, const char *ifname, kuryr_error *err)
{
    kuryr_error_clear(err);
    int ns_fd = -1;
    struct nl_sock *sk = kb_netns_socket(netns_path, &ns_fd, err);
    if (!sk) {
        if (!err || err->kind != KURYR_ERR_NOT_FOUND)
            return -1;
        kuryr_error_clear(err);
        return 0;
    }
    int rc = kb_link_delete(sk, ifname, err);
    kb_nl_close(sk);
    close(ns_fd);
    return rc;
}
