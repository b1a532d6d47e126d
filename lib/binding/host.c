/* The host side of a veth, by the port's binding:vif_type. */
#include "binding_internal.h"

#include <string.h>

static const char *s(const char *v) { return v ? v : ""; }

static bool hybrid(const kuryr_port *port)
{
    json_t *v = port->binding_vif_details ? json_object_get(port->binding_vif_details, "ovs_hybrid_plug") : NULL;
    return v && json_is_true(v);
}

int kb_host_check(const kuryr_port *p, kuryr_error *err)
{
    const char *t = s(p->binding_vif_type);
    if (!*t || !strcmp(t, "unbound") || !strcmp(t, "binding_failed"))
        return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 0, NULL,
                               "port %s has binding:vif_type '%s' on host '%s': Neutron could not bind it; check "
                               "that the L2 agent (or ovn-controller) on this host is alive and that the host "
                               "name matches the agent's",
                               s(p->id), *t ? t : "(none)", s(p->binding_host_id));
    return 0;
}

int kb_host_plug(const kuryr_binding_cfg *cfg, struct nl_sock *sk, const kuryr_bind_request *req,
                 const char *host_if, kuryr_error *err)
{
    const kuryr_port *p = req->port;
    const char *t = s(p->binding_vif_type);
    if (kb_host_check(p, err) < 0)
        return -1;
    if (!strcmp(t, "tap"))
        return 0;
    if (!strcmp(t, "bridge"))
        return kb_host_bridge_plug(sk, p->network_id, host_if, err);
    if (!strcmp(t, "ovs")) {
        kb_ovs_iface ids = { .port_id = p->id, .mac = p->mac_address, .owner_id = req->owner_id };
        if (hybrid(p))
            return kb_hybrid_plug(cfg, sk, host_if, req->mtu > 0 ? req->mtu : KB_DEFAULT_MTU, &ids, err);
        return kb_ovs_plug(cfg, host_if, &ids, err);
    }
    return kb_hook_run(cfg, true, p, host_if, req->owner_id, err);
}

int kb_host_unplug(const kuryr_binding_cfg *cfg, struct nl_sock *sk, const kuryr_bind_request *req,
                   const char *host_if, kuryr_error *err)
{
    const kuryr_port *p = req->port;
    const char *t = s(p->binding_vif_type);
    if (!*t || !strcmp(t, "unbound") || !strcmp(t, "binding_failed") || !strcmp(t, "tap"))
        return 0;
    if (!strcmp(t, "bridge"))
        return kb_host_bridge_unplug(sk, host_if, err);
    if (!strcmp(t, "ovs"))
        return hybrid(p) ? kb_hybrid_unplug(cfg, sk, p->id, err) : kb_ovs_unplug(cfg, host_if, p->id, err);
    return kb_hook_run(cfg, false, p, host_if, req->owner_id, err);
}
