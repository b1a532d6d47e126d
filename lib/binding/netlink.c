/* libnl-route-3 helpers shared by the binding drivers. */
#include "binding_internal.h"

#include <errno.h>
#include <netlink/route/link.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <net/if.h>

struct nl_sock *kb_nl_open(kuryr_error *err)
{
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
        return NULL;
    }
    int rc = nl_connect(sk, NETLINK_ROUTE);
    if (rc < 0) {
        nl_socket_free(sk);
        kb_nl_fail(err, rc, "netlink: cannot open a route socket");
        return NULL;
    }
    return sk;
}

void kb_nl_close(struct nl_sock *sk)
{
    if (sk)
        nl_socket_free(sk); /* also closes */
}

int kb_nl_fail(kuryr_error *err, int nlerr, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    kuryr_err_kind kind = KURYR_ERR_INTERNAL;
    switch (-nlerr) {
    case NLE_OBJ_NOTFOUND: case NLE_NODEV: kind = KURYR_ERR_NOT_FOUND; break;
    case NLE_EXIST: case NLE_BUSY: kind = KURYR_ERR_CONFLICT; break;
    case NLE_INVAL: case NLE_RANGE: kind = KURYR_ERR_BAD_REQUEST; break;
    default: break;
    }
    return kuryr_error_set(err, kind, 0, NULL, "%s: %s", what, nl_geterror(nlerr));
}

int kb_link_index(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *link = NULL;
    int rc = rtnl_link_get_kernel(sk, 0, name, &link);
    if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV)
        return 0;
    if (rc < 0)
        return rc;
    int idx = rtnl_link_get_ifindex(link);
    rtnl_link_put(link);
    return idx;
}

int kb_link_delete(struct nl_sock *sk, const char *name, kuryr_error *err)
{
    struct rtnl_link *link = rtnl_link_alloc();
    if (!link)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    rtnl_link_set_name(link, name);
    int rc = rtnl_link_delete(sk, link);
    rtnl_link_put(link);
    if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV)
        return kb_nl_fail(err, rc, "cannot delete link %s", name);
    return 0;
}

int kb_link_delete_index(struct nl_sock *sk, int ifindex, kuryr_error *err)
{
    struct rtnl_link *link = rtnl_link_alloc();
    if (!link)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    rtnl_link_set_ifindex(link, ifindex);
    int rc = rtnl_link_delete(sk, link);
    rtnl_link_put(link);
    if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV)
        return kb_nl_fail(err, rc, "cannot delete link #%d", ifindex);
    return 0;
}

int kb_link_modify(struct nl_sock *sk, const char *name, const kb_link_change *ch, kuryr_error *err)
{
    struct rtnl_link *orig = NULL, *change = NULL;
    struct nl_addr *mac = NULL;
    int rc = rtnl_link_get_kernel(sk, 0, name, &orig);
    if (rc < 0)
        return kb_nl_fail(err, rc, "link %s", name);
    int ret = -1;
    change = rtnl_link_alloc();
    if (!change) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
        goto out;
    }
    if (ch->newname)
        rtnl_link_set_name(change, ch->newname);
    if (ch->mac) {
        rc = nl_addr_parse(ch->mac, AF_LLC, &mac);
        if (rc < 0) {
            kb_nl_fail(err, rc, "bad MAC address '%s'", ch->mac);
            goto out;
        }
        rtnl_link_set_addr(change, mac);
    }
    if (ch->mtu > 0)
        rtnl_link_set_mtu(change, (unsigned)ch->mtu);
    if (ch->up)
        rtnl_link_set_flags(change, IFF_UP);
    if (ch->master >= 0)
        rtnl_link_set_master(change, ch->master);
    if (ch->ns_fd >= 0)
        rtnl_link_set_ns_fd(change, ch->ns_fd);
    if (ch->alias)
        rtnl_link_set_ifalias(change, ch->alias);
    rc = rtnl_link_change(sk, orig, change, 0);
    if (rc < 0) {
        kb_nl_fail(err, rc, "cannot change link %s", name);
        goto out;
    }
    ret = 0;
out:
    if (mac)
        nl_addr_put(mac);
    if (change)
        rtnl_link_put(change);
    rtnl_link_put(orig);
    return ret;
}

int kb_link_mac(struct nl_sock *sk, const char *name, char out[18], kuryr_error *err)
{
    struct rtnl_link *link = NULL;
    int rc = rtnl_link_get_kernel(sk, 0, name, &link);
    if (rc < 0)
        return kb_nl_fail(err, rc, "link %s", name);
    struct nl_addr *a = rtnl_link_get_addr(link);
    out[0] = '\0';
    if (a)
        nl_addr2str(a, out, 18);
    rtnl_link_put(link);
    return 0;
}

int kb_link_mtu(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *link = NULL;
    if (rtnl_link_get_kernel(sk, 0, name, &link) < 0)
        return 0;
    int mtu = (int)rtnl_link_get_mtu(link);
    rtnl_link_put(link);
    return mtu;
}

int kb_link_find_by_mac(struct nl_sock *sk, const char *mac, char out[KURYR_IFNAME_LEN], kuryr_error *err)
{
    struct nl_cache *cache = NULL;
    int rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
    if (rc < 0)
        return kb_nl_fail(err, rc, "cannot list links");
    int ret = kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 0, NULL, "no interface has MAC %s", mac);
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_link *l = (struct rtnl_link *)o;
        struct nl_addr *a = rtnl_link_get_addr(l);
        const char *kind = rtnl_link_get_type(l);
        char buf[64];
        /* Skip our own devices: a macvlan or vlan made earlier carries a port's MAC, never the VM's. */
        if (!a || (kind && (!strcmp(kind, "macvlan") || !strcmp(kind, "ipvlan") || !strcmp(kind, "vlan"))))
            continue;
        if (strcasecmp(nl_addr2str(a, buf, sizeof(buf)), mac) == 0) {
            snprintf(out, KURYR_IFNAME_LEN, "%s", rtnl_link_get_name(l));
            kuryr_error_clear(err);
            ret = 0;
            break;
        }
    }
    nl_cache_free(cache);
    return ret;
}
