/* The vlan driver (nested): an 802.1Q device on the VM's interface, tagged with the trunk subport's id. */
#include "binding_internal.h"

#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>
#include <stdio.h>

int kb_vlan_create(struct nl_sock *sk, const char *parent, const char *name, int vlan_id, const char *mac,
                   int mtu, kuryr_error *err)
{
    if (vlan_id < KB_SEGID_MIN || vlan_id > KB_SEGID_MAX)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "vlan id %d is outside 1..4094", vlan_id);
    struct rtnl_link *link = rtnl_link_vlan_alloc();
    if (!link)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    rtnl_link_vlan_set_id(link, (uint16_t)vlan_id);
    char label[64];
    snprintf(label, sizeof(label), "vlan %s (id %d)", name, vlan_id);
    int rc = kb_child_link_add(sk, link, parent, name, mac, mtu, label, "8021q", err);
    rtnl_link_put(link);
    return rc;
}
