/* The ipvlan driver (nested): L2 mode on the VM's interface; the device shares the parent's MAC. */
#include "binding_internal.h"

#include <linux/if_link.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipvlan.h>

int kb_ipvlan_create(struct nl_sock *sk, const char *parent, const char *name, int mtu, kuryr_error *err)
{
    int pidx = kb_link_index(sk, parent);
    if (pidx <= 0)
        return kb_nl_fail(err, pidx < 0 ? pidx : -NLE_NODEV, "parent interface %s", parent);
    if (kb_link_delete(sk, name, err) < 0)
        return -1;
    struct rtnl_link *link = rtnl_link_ipvlan_alloc();
    if (!link)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    rtnl_link_set_name(link, name);
    rtnl_link_set_link(link, pidx);
    rtnl_link_set_mtu(link, (unsigned)mtu);
    rtnl_link_ipvlan_set_mode(link, IPVLAN_MODE_L2);
    int rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(link);
    if (rc < 0)
        return kb_nl_fail(err, rc, "cannot create ipvlan %s on %s", name, parent);
    return 0;
}
