/* The macvlan driver (nested): bridge mode on the VM's interface, with the container port's MAC. */
#include "binding_internal.h"

#include <linux/if_link.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>

int kb_macvlan_create(struct nl_sock *sk, const char *parent, const char *name, const char *mac, int mtu,
                      kuryr_error *err)
{
    int pidx = kb_link_index(sk, parent);
    if (pidx <= 0)
        return kb_nl_fail(err, pidx < 0 ? pidx : -NLE_NODEV, "parent interface %s", parent);
    if (kb_link_delete(sk, name, err) < 0)
        return -1;
    struct rtnl_link *link = rtnl_link_macvlan_alloc();
    if (!link)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    int ret = -1;
    struct nl_addr *a = NULL;
    rtnl_link_set_name(link, name);
    rtnl_link_set_link(link, pidx);
    rtnl_link_set_mtu(link, (unsigned)mtu);
    rtnl_link_macvlan_set_mode(link, MACVLAN_MODE_BRIDGE);
    int rc = nl_addr_parse(mac, AF_LLC, &a);
    if (rc < 0) {
        kb_nl_fail(err, rc, "bad MAC address '%s'", mac);
        goto out;
    }
    rtnl_link_set_addr(link, a);
    rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
    if (rc < 0) {
        kb_nl_fail(err, rc, "cannot create macvlan %s on %s", name, parent);
        goto out;
    }
    ret = 0;
out:
    if (a)
        nl_addr_put(a);
    rtnl_link_put(link);
    return ret;
}
