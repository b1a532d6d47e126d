/* The vlan driver (nested): an 802.1Q device on the VM's interface, tagged with the trunk subport's id. */
#include "binding_internal.h"

#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>

int kb_vlan_create(struct nl_sock *sk, const char *parent, const char *name, int vlan_id, const char *mac,
                   int mtu, kuryr_error *err)
{
    if (vlan_id < KB_SEGID_MIN || vlan_id > KB_SEGID_MAX)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "vlan id %d is outside 1..4094", vlan_id);
    int pidx = kb_link_index(sk, parent);
    if (pidx <= 0)
        return kb_nl_fail(err, pidx < 0 ? pidx : -NLE_NODEV, "parent interface %s", parent);
    if (kb_link_delete(sk, name, err) < 0)
        return -1;
    struct rtnl_link *link = rtnl_link_vlan_alloc();
    if (!link)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    int ret = -1;
    struct nl_addr *a = NULL;
    rtnl_link_set_name(link, name);
    rtnl_link_set_link(link, pidx);
    rtnl_link_set_mtu(link, (unsigned)mtu);
    rtnl_link_vlan_set_id(link, (uint16_t)vlan_id);
    int rc = nl_addr_parse(mac, AF_LLC, &a);
    if (rc < 0) {
        kb_nl_fail(err, rc, "bad MAC address '%s'", mac);
        goto out;
    }
    rtnl_link_set_addr(link, a);
    rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
    if (rc < 0) {
        kb_nl_fail(err, rc, "cannot create vlan %s (id %d) on %s", name, vlan_id, parent);
        goto out;
    }
    ret = 0;
out:
    if (a)
        nl_addr_put(a);
    rtnl_link_put(link);
    return ret;
}
