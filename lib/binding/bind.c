/* kuryr_bind / kuryr_unbind and their CNI-mode variants: driver choice, device, host side, and undo. */
#include "binding_internal.h"

#include "kuryr/log.h"

#include <string.h>
#include <unistd.h>

static int check_request(const kuryr_bind_request *req, kuryr_error *err)
{
    if (!req || !req->port || !req->port->id || !*req->port->id)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "bind request without a port");
    if (!req->port->mac_address || !*req->port->mac_address)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "port %s has no MAC address", req->port->id);
    return 0;
}

static void names(const kuryr_port *p, kuryr_driver drv, kuryr_bind_result *out)
{
    if (drv == KURYR_DRIVER_VETH)
        kuryr_ifname(out->host_ifname, "tap", p->id);
    else
        out->host_ifname[0] = '\0';
    kuryr_ifname(out->container_ifname, "t_c", p->id);
}

static int bind_with(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, struct nl_sock *sk,
                     kuryr_driver drv, kuryr_bind_result *out, kuryr_error *err)
{
    const kuryr_port *p = req->port;
    names(p, drv, out);
    if (drv != KURYR_DRIVER_VETH)
        return kb_nested_bind(cfg, drv, req, sk, out->container_ifname, err);
    int mtu = req->mtu > 0 ? req->mtu : KB_DEFAULT_MTU;
    if (kb_host_check(p, err) < 0)
        return -1;
    if (kb_veth_create(sk, out->host_ifname, out->container_ifname, p->mac_address, mtu, err) < 0)
        return -1;
    /* the kernel ignores an alias in the create request: a second message names the owner */
    kb_link_change own = KB_LINK_CHANGE_INIT;
    own.alias = cfg->host_alias;
    if (cfg->host_alias && kb_link_modify(sk, out->host_ifname, &own, err) < 0) {
        kuryr_error ignored;
        kb_link_delete(sk, out->host_ifname, &ignored); /* takes its peer along */
        return -1;
    }
    if (kb_host_plug(cfg, sk, req, out->host_ifname, err) < 0) {
        kuryr_error ignored;
        kb_link_delete(sk, out->host_ifname, &ignored); /* takes its peer along */
        return -1;
    }
    KLOG_INFO("port %s bound: %s/%s, vif_type %s", p->id, out->host_ifname, out->container_ifname,
              p->binding_vif_type ? p->binding_vif_type : "");
    return 0;
}

int kuryr_bind(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, kuryr_bind_result *out,
               kuryr_error *err)
{
    kuryr_error_clear(err);
    kuryr_driver drv;
    if (check_request(req, err) < 0 || kuryr_binding_pick_driver(cfg, req->port, &drv, err) < 0)
        return -1;
    struct nl_sock *sk = kb_nl_open(err);
    if (!sk)
        return -1;
    int rc = bind_with(cfg, req, sk, drv, out, err);
    kb_nl_close(sk);
    return rc;
}

static int unbind_with(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, struct nl_sock *sk,
                       kuryr_driver drv, kuryr_error *err)
{
    kuryr_bind_result n;
    names(req->port, drv, &n);
    if (drv != KURYR_DRIVER_VETH) {
        if (kb_link_delete(sk, n.container_ifname, err) < 0)
            return -1;
        return kb_nested_unbind(drv, req, err);
    }
    /* The links go even when the host side could not be undone, and that error is what gets reported. */
    int rc = kb_host_unplug(cfg, sk, req, n.host_ifname, err);
    kuryr_error e2;
    if (kb_link_delete(sk, n.host_ifname, &e2) < 0 || kb_link_delete(sk, n.container_ifname, &e2) < 0) {
        if (rc == 0 && err)
            *err = e2;
        rc = -1;
    }
    return rc;
}

int kuryr_unbind(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, kuryr_error *err)
{
    kuryr_error_clear(err);
    kuryr_driver drv;
    if (check_request(req, err) < 0 || kuryr_binding_pick_driver(cfg, req->port, &drv, err) < 0)
        return -1;
    struct nl_sock *sk = kb_nl_open(err);
    if (!sk)
        return -1;
    int rc = unbind_with(cfg, req, sk, drv, err);
    kb_nl_close(sk);
    return rc;
}

int kuryr_bind_netns(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, const kuryr_netns_config *ns,
                     kuryr_bind_result *out, kuryr_error *err)
{
    kuryr_error_clear(err);
    kuryr_driver drv;
    if (check_request(req, err) < 0 || kuryr_binding_pick_driver(cfg, req->port, &drv, err) < 0)
        return -1;
    if (!ns || !ns->ifname || !*ns->ifname || strlen(ns->ifname) >= KURYR_IFNAME_LEN)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "CNI mode needs an interface name of 1..15 "
                                                                    "characters");
    int ns_fd = -1;
    struct nl_sock *nssk = kb_netns_socket(ns->netns_path, &ns_fd, err);
    if (!nssk)
        return -1;
    struct nl_sock *sk = kb_nl_open(err);
    int rc = -1;
    if (!sk)
        goto out;
    if (bind_with(cfg, req, sk, drv, out, err) < 0)
        goto out;
    kb_link_change move = KB_LINK_CHANGE_INIT;
    move.ns_fd = ns_fd;
    int mtu = kb_link_mtu(sk, out->container_ifname);
    int moved = -1;
    if (kb_link_modify(sk, out->container_ifname, &move, err) < 0 ||
        (moved = kb_link_index(nssk, out->container_ifname)) <= 0 ||
        kb_netns_configure(nssk, out->container_ifname, mtu, ns, err) < 0) {
        if (moved == 0)
            kb_nl_fail(err, -NLE_NODEV, "%s vanished after the move", out->container_ifname);
        kuryr_error ignored;
        /* By index: a failed rename must not make us delete a device of the container's own. */
        if (moved > 0)
            kb_link_delete_index(nssk, moved, &ignored);
        unbind_with(cfg, req, sk, drv, &ignored);
        goto out;
    }
    KLOG_INFO("port %s configured as %s in %s", req->port->id, ns->ifname, ns->netns_path);
    rc = 0;
out:
    kb_nl_close(sk);
    kb_nl_close(nssk);
    close(ns_fd);
    return rc;
}

int kuryr_unbind_netns(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req,
                       const kuryr_netns_config *ns, kuryr_error *err)
{
    kuryr_error_clear(err);
    kuryr_driver drv;
    if (check_request(req, err) < 0 || kuryr_binding_pick_driver(cfg, req->port, &drv, err) < 0)
        return -1;
    int ns_fd = -1;
    struct nl_sock *nssk = kb_netns_socket(ns ? ns->netns_path : NULL, &ns_fd, err);
    if (!nssk && err && err->kind != KURYR_ERR_NOT_FOUND)
        return -1;
    /* A namespace already gone took the container's device with it. */
    if (nssk) {
        int drc = ns && ns->ifname ? kb_link_delete(nssk, ns->ifname, err) : 0;
        kb_nl_close(nssk);
        close(ns_fd);
        if (drc < 0)
            return -1;
    }
    kuryr_error_clear(err);
    return kuryr_unbind(cfg, req, err);
}
