/* The veth driver: a pair whose container end carries the port's MAC. */
#include "binding_internal.h"

#include <net/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

static int set_end(struct rtnl_link *l, const char *name, const char *mac, int mtu, kuryr_error *err)
{
    rtnl_link_set_name(l, name);
    rtnl_link_set_mtu(l, (unsigned)mtu);
    if (mac) {
        struct nl_addr *a = NULL;
        int rc = nl_addr_parse(mac, AF_LLC, &a);
        if (rc < 0)
            return kb_nl_fail(err, rc, "bad MAC address '%s'", mac);
        rtnl_link_set_addr(l, a);
        nl_addr_put(a);
    }
    return 0;
}

int kb_veth_create(struct nl_sock *sk, const char *host, const char *cont, const char *cont_mac, int mtu,
                   kuryr_error *err)
{
    /* A pair left by a crashed bind would make the create fail; its port is ours by name, so replace it. */
    if (kb_link_delete(sk, host, err) < 0 || kb_link_delete(sk, cont, err) < 0)
        return -1;
    struct rtnl_link *link = rtnl_link_veth_alloc();
    if (!link)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    int ret = -1;
    struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
    if (set_end(link, host, NULL, mtu, err) < 0 || set_end(peer, cont, cont_mac, mtu, err) < 0)
        goto out;
    rtnl_link_set_flags(link, IFF_UP);
    int rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
    if (rc < 0) {
        kb_nl_fail(err, rc, "cannot create veth pair %s/%s", host, cont);
        goto out;
    }
    ret = 0;
out:
    rtnl_link_put(peer);
    rtnl_link_veth_release(link);
    return ret;
}
