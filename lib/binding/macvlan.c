/* The macvlan driver (nested): bridge mode on the VM's interface, with the container port's MAC. */
#include "binding_internal.h"

#include <linux/if_link.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <stdio.h>

int kb_macvlan_create(struct nl_sock *sk, const char *parent, const char *name, const char *mac, int mtu,
                      kuryr_error *err)
{
    struct rtnl_link *link = rtnl_link_macvlan_alloc();
    if (!link)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    rtnl_link_macvlan_set_mode(link, MACVLAN_MODE_BRIDGE);
    char label[64];
    snprintf(label, sizeof(label), "macvlan %s", name);
    int rc = kb_child_link_add(sk, link, parent, name, mac, mtu, label, "macvlan", err);
    rtnl_link_put(link);
    return rc;
}
