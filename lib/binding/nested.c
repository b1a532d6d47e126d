/* Nested drivers (containers inside a Nova VM): a device on the VM's interface, and the VM's Neutron port
 * told about the container's addresses (allowed address pairs) or port (trunk subport). */
#include "binding_internal.h"

#include "kuryr/log.h"

#include <stdio.h>

static int need_neutron(const kuryr_bind_request *req, kuryr_driver drv, kuryr_error *err)
{
    if (!req->kn || !req->parent_port_id || !*req->parent_port_id)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "the %s driver needs a Neutron client and the VM's port id", kb_driver_name(drv));
    return 0;
}

int kb_nested_link_iface(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, struct nl_sock *sk,
                         char out[KURYR_IFNAME_LEN], kuryr_error *err)
{
    if (cfg->link_iface && *cfg->link_iface) {
        if ((size_t)snprintf(out, KURYR_IFNAME_LEN, "%s", cfg->link_iface) >= KURYR_IFNAME_LEN)
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "[binding] link_iface '%s' is too long",
                                   cfg->link_iface);
        return 0;
    }
    kuryr_port *parent = NULL;
    if (kuryr_neutron_port_get(req->kn, req->parent_port_id, &parent, err) < 0)
        return -1;
    int rc = -1;
    if (!parent->mac_address)
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "VM port %s has no MAC address", parent->id);
    else if ((rc = kb_link_find_by_mac(sk, parent->mac_address, out, err)) < 0)
        kuryr_error_set(err, err->kind, 0, NULL,
                        "[binding] link_iface is empty and no interface has the VM port's MAC %s; set link_iface",
                        parent->mac_address);
    kuryr_port_free(parent);
    return rc;
}

int kb_nested_bind(const kuryr_binding_cfg *cfg, kuryr_driver drv, const kuryr_bind_request *req,
                   struct nl_sock *sk, const char *ifname, kuryr_error *err)
{
    if (need_neutron(req, drv, err) < 0)
        return -1;
    char link[KURYR_IFNAME_LEN];
    if (kb_nested_link_iface(cfg, req, sk, link, err) < 0)
        return -1;
    int mtu = req->mtu > 0 ? req->mtu : KB_DEFAULT_MTU;
    int pmtu = kb_link_mtu(sk, link);
    if (pmtu > 0 && pmtu < mtu)
        mtu = pmtu; /* a child device cannot exceed its parent */
    const kuryr_port *p = req->port;
    kuryr_error undo;
    if (drv == KURYR_DRIVER_VLAN) {
        int vid = 0;
        if (kb_trunk_attach(req->kn, req->parent_port_id, p->id, &vid, err) < 0)
            return -1;
        if (kb_vlan_create(sk, link, ifname, vid, p->mac_address, mtu, err) < 0) {
            kb_trunk_detach(req->kn, req->parent_port_id, p->id, &undo);
            return -1;
        }
        KLOG_INFO("port %s: vlan %s id %d on %s", p->id, ifname, vid, link);
        return 0;
    }
    /* ipvlan devices share the VM's MAC, so the pair carries the VM port's own MAC. */
    const char *mac = drv == KURYR_DRIVER_MACVLAN ? p->mac_address : NULL;
    if (kb_aap_add(req->kn, req->parent_port_id, p, mac, err) < 0)
        return -1;
    int rc = drv == KURYR_DRIVER_MACVLAN ? kb_macvlan_create(sk, link, ifname, p->mac_address, mtu, err)
                                         : kb_ipvlan_create(sk, link, ifname, mtu, err);
    if (rc < 0) {
        kb_aap_remove(req->kn, req->parent_port_id, p, &undo);
        return -1;
    }
    KLOG_INFO("port %s: %s %s on %s", p->id, kb_driver_name(drv), ifname, link);
    return 0;
}

int kb_nested_unbind(kuryr_driver drv, const kuryr_bind_request *req, kuryr_error *err)
{
    if (need_neutron(req, drv, err) < 0)
        return -1;
    if (drv == KURYR_DRIVER_VLAN)
        return kb_trunk_detach(req->kn, req->parent_port_id, req->port->id, err);
    return kb_aap_remove(req->kn, req->parent_port_id, req->port, err);
}
