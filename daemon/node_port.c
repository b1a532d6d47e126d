/* The node's own Neutron port into the pod network (lib/node_port.c, [cni_daemon] node_port): made or reused
 * when the daemon starts, removed when it stops (unless node_port_keep), so that kubelet's probes and
 * hostNetwork pods reach pod IPs. The only thing kuryr-daemon asks Neutron for. */
#include <stdlib.h>
#include <string.h>

#include "kd.h"
#include "kuryr/http.h"
#include "kuryr/keystone.h"
#include "kuryr/log.h"
#include "kuryr/owner.h"

struct kd_node_port {
    kuryr_http *http;
    kuryr_auth *auth;
    kuryr_neutron *kn;
    kuryr_node_port_cfg cfg;
    char host[KURYR_OWNER_LEN];
};

static void np_free(kd_node_port *np)
{
    if (!np)
        return;
    kuryr_neutron_free(np->kn);
    kuryr_auth_free(np->auth);
    kuryr_http_free(np->http);
    free(np);
}

int kd_node_port_start(kd_daemon *d, kuryr_error *err)
{
    bool enabled = false;
    kuryr_node_port_cfg cfg = {0};
    if (kuryr_node_port_cfg_from_config(d->cfg, &enabled, &cfg, err) < 0)
        return -1;
    if (!enabled)
        return 0;
    kd_node_port *np = calloc(1, sizeof(*np));
    if (!np)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    kuryr_http_opts hopts;
    kuryr_auth_opts aopts;
    kuryr_http_opts_from_config(d->cfg, &hopts);
    if (kuryr_auth_opts_from_config(d->cfg, &aopts, err) < 0) {
        np_free(np);
        return kuryr_error_prefix(err, "node port: ");
    }
    np->http = kuryr_http_new(&hopts);
    np->auth = np->http ? kuryr_auth_new(np->http, &aopts) : NULL;
    np->kn = np->auth ? kuryr_neutron_new(np->auth) : NULL;
    if (!np->kn) {
        np_free(np);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "node port: cannot create the Neutron client");
    }
    kuryr_owner_host(d->cfg, np->host);
    np->cfg = cfg;
    np->cfg.node = d->node;
    np->cfg.host = np->host;
    np->cfg.subnet_id = kuryr_config_get_str(d->cfg, "neutron_defaults", "pod_subnet");
    np->cfg.project_id = kuryr_config_get_str(d->cfg, "neutron_defaults", "project");
    const char *const *sgs = kuryr_config_get_list(d->cfg, "neutron_defaults", "pod_security_groups");
    np->cfg.security_groups = sgs && sgs[0] ? sgs : NULL;
    np->cfg.binding = &d->bcfg;
    kuryr_node_port out;
    if (kuryr_node_port_ensure(np->kn, &np->cfg, &out, err) < 0) {
        np_free(np);
        return kuryr_error_prefix(err, "[cni_daemon] node_port: ");
    }
    KLOG_INFO("node port %s: %s on %s (%s)", out.port_id, out.address, np->cfg.ifname,
              out.created ? "created" : "reused");
    d->node_port = np;
    return 0;
}

void kd_node_port_stop(kd_daemon *d)
{
    kd_node_port *np = d->node_port;
    if (!np)
        return;
    kuryr_error err;
    if (!np->cfg.keep && kuryr_node_port_remove(np->kn, &np->cfg, &err) < 0)
        KLOG_WARN("node port: cannot remove it: %s", err.message);
    np_free(np);
    d->node_port = NULL;
}
