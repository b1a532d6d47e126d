/* vif_type ovs with ovs_hybrid_plug: tap -> qbr (a Linux bridge, where iptables security groups apply) ->
 * qvb/qvo veth -> br-int. */
#include "binding_internal.h"

int kb_hybrid_plug(const kuryr_binding_cfg *cfg, struct nl_sock *sk, const char *host_if, int mtu,
                   const kb_ovs_iface *ids, kuryr_error *err)
{
    char qbr[KURYR_IFNAME_LEN], qvb[KURYR_IFNAME_LEN], qvo[KURYR_IFNAME_LEN];
    kuryr_ifname(qbr, "qbr", ids->port_id);
    kuryr_ifname(qvb, "qvb", ids->port_id);
    kuryr_ifname(qvo, "qvo", ids->port_id);
    if (kb_bridge_ensure(sk, qbr, err) < 0)
        return -1;
    if (kb_veth_create(sk, qvb, qvo, NULL, mtu, err) < 0)
        goto fail;
    int br = kb_link_index(sk, qbr);
    kb_link_change ch = KB_LINK_CHANGE_INIT;
    ch.master = br > 0 ? br : 0;
    ch.up = true;
    /* kb_veth_create brings up only the end it calls the host one; qvo must be up too or br-int's side of
     * the pair carries nothing. */
    kb_link_change up = KB_LINK_CHANGE_INIT;
    up.up = true;
    if (kb_link_modify(sk, qvb, &ch, err) < 0 || kb_link_modify(sk, host_if, &ch, err) < 0 ||
        kb_link_modify(sk, qvo, &up, err) < 0)
        goto fail;
    if (kb_ovs_plug(cfg, qvo, ids, err) < 0)
        goto fail;
    return 0;
fail:;
    kuryr_error ignored;
    kb_link_delete(sk, qvb, &ignored);
    kb_link_delete(sk, qbr, &ignored);
    return -1;
}

int kb_hybrid_unplug(const kuryr_binding_cfg *cfg, struct nl_sock *sk, const char *port_id, kuryr_error *err)
{
    char qbr[KURYR_IFNAME_LEN], qvb[KURYR_IFNAME_LEN], qvo[KURYR_IFNAME_LEN];
    kuryr_ifname(qbr, "qbr", port_id);
    kuryr_ifname(qvb, "qvb", port_id);
    kuryr_ifname(qvo, "qvo", port_id);
    int ret = kb_ovs_unplug(cfg, qvo, port_id, err);
    kuryr_error e2;
    if (kb_link_delete(sk, qvb, &e2) < 0 || kb_link_delete(sk, qbr, &e2) < 0) {
        if (err && ret == 0)
            *err = e2;
        ret = -1;
    }
    return ret;
}
