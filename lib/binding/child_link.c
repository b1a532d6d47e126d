/* What the nested drivers' devices (macvlan, ipvlan, vlan) have in common: a link on the VM's interface that
 * replaces a leftover of the same name, with the container's MAC and MTU. */
#include "binding_internal.h"

#include <netlink/route/link.h>

int kb_child_link_add(struct nl_sock *sk, struct rtnl_link *link, const char *parent, const char *name,
                      const char *mac, int mtu, const char *label, const char *module, kuryr_error *err)
{
    int pidx = kb_link_index(sk, parent);
    if (pidx <= 0)
        return kb_nl_fail(err, pidx < 0 ? pidx : -NLE_NODEV, "parent interface %s", parent);
    if (kb_link_delete(sk, name, err) < 0)
        return -1;
    rtnl_link_set_name(link, name);
    rtnl_link_set_link(link, pidx);
    rtnl_link_set_mtu(link, (unsigned)mtu);
    if (mac) {
        struct nl_addr *a = NULL;
        int rc = nl_addr_parse(mac, AF_LLC, &a);
        if (rc < 0)
            return kb_nl_fail(err, rc, "bad MAC address '%s'", mac);
        rtnl_link_set_addr(link, a);
        nl_addr_put(a);
    }
    int rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
    /* The kernel answers an unknown link kind with EOPNOTSUPP ("Unknown device type"), which alone does not
     * tell an operator that a module is missing. */
    if (rc == -NLE_OPNOTSUPP)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL,
                               "cannot create %s on %s: this kernel has no %s support (module %s is not loaded "
                               "or not built)",
                               label, parent, rtnl_link_get_type(link), module);
    if (rc < 0)
        return kb_nl_fail(err, rc, "cannot create %s on %s", label, parent);
    return 0;
}
