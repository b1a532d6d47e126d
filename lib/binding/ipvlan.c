/* The ipvlan driver (nested): L2 mode on the VM's interface; the device shares the parent's MAC. */
#include "binding_internal.h"

#include <linux/if_link.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipvlan.h>
#include <stdio.h>

int kb_ipvlan_create(struct nl_sock *sk, const char *parent, const char *name, int mtu, kuryr_error *err)
{
    struct rtnl_link *link = rtnl_link_ipvlan_alloc();
    if (!link)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    rtnl_link_ipvlan_set_mode(link, IPVLAN_MODE_L2);
    char label[64];
    snprintf(label, sizeof(label), "ipvlan %s", name);
    int rc = kb_child_link_add(sk, link, parent, name, NULL, mtu, label, "ipvlan", err);
    rtnl_link_put(link);
    return rc;
}
