/* Plugging a VIF into a pod's netns with libkuryr's binding (kuryr_bind_netns), and unplugging it again from
 * its record alone, without the KuryrPort (which may be gone by the time kubelet sends DEL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd.h"
#include "kuryr/log.h"

/* How the host side is plugged, from the os-vif plugin: linux_bridge joins brq<net>, ovs joins the VIF's
 * bridge (br-int) with iface-id, or through qbr/qvb/qvo when the VIF's bridge is a hybrid qbr. */
static const char *kind_of(const kuryr_k8s_vif *vif)
{
    if (!strcmp(vif->plugin, "linux_bridge"))
        return "bridge";
    if (!strcmp(vif->plugin, "ovs"))
        return !strncmp(vif->bridge_name, "qbr", 3) ? "ovs_hybrid" : "ovs";
    return NULL;
}

/* A Neutron port as the binding wants it, from a record's fields. details gets {"ovs_hybrid_plug": true} for
 * ovs_hybrid (free it with json_decref). */
static void port_for(const kd_record *rec, const char *network_id, const char *node, kuryr_port *p,
                     json_t **details)
{
    memset(p, 0, sizeof(*p));
    p->id = (char *)rec->port_id;
    p->mac_address = (char *)rec->mac;
    p->network_id = (char *)network_id;
    p->binding_host_id = (char *)node;
    p->binding_vif_type = !strcmp(rec->kind, "bridge") ? "bridge" : "ovs";
    *details = !strcmp(rec->kind, "ovs_hybrid") ? json_pack("{s:b}", "ovs_hybrid_plug", 1) : NULL;
    p->binding_vif_details = *details;
}

/* The prefix length of a subnet CIDR ("10.0.0.0/24" -> "24"); "32"/"128" when it has none. */
static const char *prefix_len(const char *cidr, const char *address)
{
    const char *slash = strchr(cidr, '/');
    return slash ? slash + 1 : strchr(address, ':') ? "128" : "32";
}

int kd_record_of(const kd_request *r, const kuryr_k8s_vif *vif, kd_record *rec, kd_fail *f)
{
    memset(rec, 0, sizeof(*rec));
    const char *kind = kind_of(vif);
    if (!kind)
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "unsupported VIF", "VIF %s has os-vif plugin '%s'; this "
                           "daemon plugs linux_bridge and ovs", vif->port_id, vif->plugin);
    snprintf(rec->container_id, sizeof(rec->container_id), "%s", r->container_id);
    snprintf(rec->ifname, sizeof(rec->ifname), "%s", r->ifname);
    if (strlen(vif->port_id) >= sizeof(rec->port_id) || strlen(vif->mac) >= sizeof(rec->mac))
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "bad VIF", "VIF port id '%s' or MAC '%s' is too long",
                           vif->port_id, vif->mac);
    snprintf(rec->port_id, sizeof(rec->port_id), "%.*s", (int)sizeof(rec->port_id) - 1, vif->port_id);
    snprintf(rec->kind, sizeof(rec->kind), "%s", kind);
    snprintf(rec->mac, sizeof(rec->mac), "%.*s", (int)sizeof(rec->mac) - 1, vif->mac);
    return 0;
}

int kd_plug(kd_daemon *d, const kd_request *r, const kuryr_k8s_vif *vif, const char *pod_uid, kd_fail *f)
{
    kd_record rec;
    if (kd_record_of(r, vif, &rec, f) < 0)
        return -1;
    const char *kind = rec.kind;
    char alias[256];
    if (kd_record_format(alias, d->node, &rec) < 0)
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "bad VIF", "VIF port id '%s' or MAC '%s' cannot be recorded",
                           vif->port_id, vif->mac);
    char addrs[KURYR_VIF_MAX_IPS][80];
    const char *addr_ptrs[KURYR_VIF_MAX_IPS];
    kuryr_netns_config ns = {.netns_path = r->netns, .ifname = r->ifname, .addresses = addr_ptrs};
    for (size_t i = 0; i < vif->n_ips && i < KURYR_VIF_MAX_IPS; i++) {
        snprintf(addrs[i], sizeof(addrs[i]), "%s/%s", vif->ips[i].address,
                 prefix_len(vif->ips[i].cidr, vif->ips[i].address));
        addr_ptrs[ns.n_addresses++] = addrs[i];
        const char *gw = vif->ips[i].gateway;
        if (*gw && strchr(gw, ':') && !ns.gateway_v6)
            ns.gateway_v6 = gw;
        else if (*gw && !strchr(gw, ':') && !ns.gateway_v4)
            ns.gateway_v4 = gw;
    }
    kuryr_host_route routes[KURYR_VIF_MAX_ROUTES];
    for (size_t i = 0; i < vif->n_routes && i < KURYR_VIF_MAX_ROUTES; i++)
        routes[ns.n_routes++] = (kuryr_host_route){.destination = (char *)vif->routes[i].dst,
                                                   .nexthop = (char *)vif->routes[i].gw};
    ns.routes = routes;
    kuryr_port port;
    json_t *details = NULL;
    port_for(&rec, vif->network_id, d->node, &port, &details);
    kuryr_binding_cfg bcfg = d->bcfg;
    bcfg.host_alias = alias;
    if (!strcmp(kind, "ovs") && vif->bridge_name[0])
        bcfg.ovs_bridge = vif->bridge_name;
    kuryr_bind_request req = {.port = &port, .mtu = vif->mtu ? (int)vif->mtu : 1500, .owner_id = pod_uid};
    kuryr_bind_result res;
    kuryr_error err;
    int rc = kuryr_bind_netns(&bcfg, &req, &ns, &res, &err);
    json_decref(details);
    if (rc < 0)
        return kd_fail_set(f, err.kind == KURYR_ERR_BAD_REQUEST ? 400 : 500, KD_CODE_INTERNAL,
                           "cannot plug the VIF", "port %s into %s: %s", vif->port_id, r->netns, err.message);
    return 0;
}

int kd_unplug(kd_daemon *d, const kd_record *rec, const char *netns, kd_fail *f)
{
    kuryr_port port;
    json_t *details = NULL;
    port_for(rec, "", d->node, &port, &details);
    kuryr_bind_request req = {.port = &port};
    kuryr_netns_config ns = {.netns_path = netns, .ifname = rec->ifname};
    kuryr_error err;
    int rc = netns && *netns ? kuryr_unbind_netns(&d->bcfg, &req, &ns, &err) : kuryr_unbind(&d->bcfg, &req, &err);
    json_decref(details);
    if (rc < 0)
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "cannot unplug", "port %s (container %s): %s", rec->port_id,
                           rec->container_id, err.message);
    KLOG_INFO("unplugged port %s of container %s (%s)", rec->port_id, rec->container_id, rec->ifname);
    return 0;
}

int kd_records(kd_daemon *d, kd_record **out, size_t *n, kd_fail *f)
{
    *out = NULL;
    *n = 0;
    char prefix[KD_NODE_MAX + 16];
    kd_record_prefix(prefix, d->node);
    kuryr_host_link *links = NULL;
    size_t nl = 0;
    kuryr_error err;
    if (kuryr_host_links_by_alias(prefix, &links, &nl, &err) < 0)
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "cannot list host links", "%s", err.message);
    *out = calloc(nl + 1, sizeof(**out));
    if (!*out) {
        free(links);
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "out of memory", "%s", "");
    }
    for (size_t i = 0; i < nl; i++) {
        kd_record *rec = &(*out)[*n];
        if (kd_record_parse(links[i].alias, d->node, rec) < 0)
            continue;
        snprintf(rec->link, sizeof(rec->link), "%s", links[i].name);
        (*n)++;
    }
    free(links);
    return 0;
}
