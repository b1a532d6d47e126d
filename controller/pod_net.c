/* Where pods' ports go: see pod_net.h. */
#include "pod_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/log.h"

/* A marker must fit Neutron's older 60-character tag limit. */
#define TAG_MAX 60

static int strv_push(kuryr_strv *v, const char *s)
{
    char **items = realloc(v->items, (v->n + 2) * sizeof(*items));
    if (!items)
        return -1;
    v->items = items;
    if (!(items[v->n] = strdup(s)))
        return -1;
    items[++v->n] = NULL;
    return 0;
}

static int oom(kuryr_error *err)
{
    return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
}

static int bad_option(kuryr_error *err, const char *section, const char *name, const char *value, const char *why)
{
    return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "[%s] %s = %.100s: %s", section, name, value, why);
}

/* Upstream's drivers this build has: one of each. */
static int check_drivers(const kuryr_config *cfg, kuryr_error *err)
{
    static const char *const have[][2] = {
        {"pod_vif_driver", "neutron-vif"},
        {"pod_subnets_driver", "default"},
        {"pod_security_groups_driver", "default"},
    };
    for (size_t i = 0; i < sizeof(have) / sizeof(have[0]); i++) {
        const char *v = kuryr_config_get_str(cfg, "kubernetes", have[i][0]);
        char why[96];
        snprintf(why, sizeof(why), "this build has only the driver %s", have[i][1]);
        if (!v || strcmp(v, have[i][1]) != 0)
            return bad_option(err, "kubernetes", have[i][0], v ? v : "", why);
    }
    return 0;
}

static int copy_to(char *dst, size_t size, const char *s, const char *what, kuryr_error *err)
{
    if (!s)
        s = "";
    if (strlen(s) >= size)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "%s is too long: %.100s", what, s);
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

/* Addresses and routes every pod gets from the subnet (dns_nameservers, host_routes). */
static int take_subnet(const kuryr_subnet *sn, kc_pod_net *out, kuryr_error *err)
{
    if (copy_to(out->network_id, sizeof(out->network_id), sn->network_id, "network id", err) < 0 ||
        copy_to(out->cidr, sizeof(out->cidr), sn->cidr, "subnet cidr", err) < 0 ||
        copy_to(out->gateway, sizeof(out->gateway), sn->gateway_ip, "gateway", err) < 0)
        return -1;
    const json_t *dns = json_object_get(sn->raw, "dns_nameservers"), *d;
    size_t i;
    json_array_foreach(dns, i, d) {
        if (out->n_dns < KURYR_VIF_MAX_DNS && json_string_value(d) &&
            copy_to(out->dns[out->n_dns], sizeof(out->dns[0]), json_string_value(d), "dns server", err) == 0)
            out->n_dns++;
    }
    for (i = 0; i < sn->n_host_routes && out->n_routes < KURYR_VIF_MAX_ROUTES; i++) {
        if (copy_to(out->routes[out->n_routes].dst, 64, sn->host_routes[i].destination, "route", err) < 0 ||
            copy_to(out->routes[out->n_routes].gw, 64, sn->host_routes[i].nexthop, "route", err) < 0)
            return -1;
        out->n_routes++;
    }
    return 0;
}

static int load_subnet(const kuryr_config *cfg, kuryr_neutron *kn, kc_pod_net *out, kuryr_error *err)
{
    const char *id = kuryr_config_get_str(cfg, "neutron_defaults", "pod_subnet");
    if (!id || !*id)
        return bad_option(err, "neutron_defaults", "pod_subnet", "", "must name the Neutron subnet of the pods");
    kuryr_subnet *sn = NULL;
    if (kuryr_neutron_subnet_get(kn, id, &sn, err) < 0) {
        if (err->kind == KURYR_ERR_NOT_FOUND)
            return bad_option(err, "neutron_defaults", "pod_subnet", id, "no such subnet in Neutron");
        return kuryr_error_prefix(err, "reading [neutron_defaults] pod_subnet from Neutron: ");
    }
    int rc = copy_to(out->subnet_id, sizeof(out->subnet_id), sn->id, "subnet id", err) < 0 ? -1
                                                                                          : take_subnet(sn, out, err);
    kuryr_subnet_free(sn);
    if (rc < 0)
        return -1;
    long mtu = kuryr_config_get_int(cfg, "neutron_defaults", "network_device_mtu");
    if (mtu < 0 || mtu > 65535)
        return bad_option(err, "neutron_defaults", "network_device_mtu", "", "must be 0 (the network's) to 65535");
    if (mtu > 0) {
        out->mtu = (unsigned)mtu;
        return 0;
    }
    kuryr_network *net = NULL;
    if (kuryr_neutron_network_get(kn, out->network_id, &net, err) < 0)
        return kuryr_error_prefix(err, "reading the pod subnet's network from Neutron: ");
    out->mtu = net->mtu > 0 ? (unsigned)net->mtu : 0;
    kuryr_network_free(net);
    return 0;
}

static int load_sgs(const kuryr_config *cfg, kuryr_neutron *kn, kc_pod_net *out, kuryr_error *err)
{
    const char *const *sgs = kuryr_config_get_list(cfg, "neutron_defaults", "pod_security_groups");
    for (size_t i = 0; sgs && sgs[i]; i++) {
        kuryr_security_group *sg = NULL;
        if (kuryr_neutron_security_group_get(kn, sgs[i], &sg, err) < 0) {
            if (err->kind == KURYR_ERR_NOT_FOUND)
                return bad_option(err, "neutron_defaults", "pod_security_groups", sgs[i],
                                  "no such security group in Neutron");
            return kuryr_error_prefix(err, "reading [neutron_defaults] pod_security_groups from Neutron: ");
        }
        kuryr_security_group_free(sg);
        if (strv_push(&out->sgs, sgs[i]) < 0)
            return oom(err);
    }
    return 0;
}

static int load_tags(const kuryr_config *cfg, kc_pod_net *out, kuryr_error *err)
{
    const char *cluster = kuryr_config_get_str(cfg, "kubernetes", "cluster_name");
    if (!cluster || !*cluster || strlen("kuryr.cluster:") + strlen(cluster) > TAG_MAX || strchr(cluster, ','))
        return bad_option(err, "kubernetes", "cluster_name", cluster ? cluster : "",
                          "must be 1 to 46 characters without a comma");
    kuryr_owner_marker(out->marker, KURYR_OWNER_CLUSTER, cluster);
    const char *const *tags = kuryr_config_get_list(cfg, "neutron_defaults", "resource_tags");
    for (size_t i = 0; tags && tags[i]; i++) {
        if (strv_push(&out->tags, tags[i]) < 0)
            return oom(err);
    }
    return strv_push(&out->tags, out->marker) < 0 ? oom(err) : 0;
}

int kc_pod_net_load(const kuryr_config *cfg, kuryr_neutron *kn, kc_pod_net *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    int rc = check_drivers(cfg, err);
    if (rc == 0)
        rc = copy_to(out->project, sizeof(out->project), kuryr_config_get_str(cfg, "neutron_defaults", "project"),
                     "[neutron_defaults] project", err);
    if (rc == 0)
        rc = copy_to(out->ovs_bridge, sizeof(out->ovs_bridge),
                     kuryr_config_get_str(cfg, "neutron_defaults", "ovs_bridge"), "[neutron_defaults] ovs_bridge", err);
    if (rc == 0)
        rc = load_tags(cfg, out, err);
    if (rc == 0)
        rc = load_subnet(cfg, kn, out, err);
    if (rc == 0)
        rc = load_sgs(cfg, kn, out, err);
    if (rc < 0)
        kc_pod_net_clear(out);
    return rc;
}

void kc_pod_net_clear(kc_pod_net *net)
{
    kuryr_strv_clear(&net->sgs);
    kuryr_strv_clear(&net->tags);
}

static json_t *strv_json(const kuryr_strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < v->n; i++)
        json_array_append_new(a, json_string(v->items[i]));
    return a;
}

json_t *kc_pod_port_body(const kc_pod_net *net, const char *namespace, const char *pod, const char *pod_uid,
                         const char *node, bool with_tags)
{
    char name[512];
    snprintf(name, sizeof(name), "%s/%s", namespace, pod); /* upstream's port name */
    json_t *body = json_pack("{s:s, s:s, s:[{s:s}], s:s, s:s, s:s, s:b, s:s}", "name", name, "network_id",
                             net->network_id, "fixed_ips", "subnet_id", net->subnet_id, "device_owner",
                             KC_DEVICE_OWNER, "device_id", pod_uid, "binding:host_id", node, "admin_state_up", 1,
                             "description", net->marker);
    if (!body)
        return NULL;
    if (net->project[0])
        json_object_set_new(body, "project_id", json_string(net->project));
    if (net->sgs.n)
        json_object_set_new(body, "security_groups", strv_json(&net->sgs));
    if (with_tags)
        json_object_set_new(body, "tags", strv_json(&net->tags));
    return body;
}

bool kc_pod_port_is_ours(const kc_pod_net *net, const kuryr_port *port)
{
    const char *desc = json_string_value(json_object_get(port->raw, "description"));
    return kuryr_strv_contains(&port->tags, net->marker) || (desc && !strcmp(desc, net->marker));
}

/* plugin and bridge by how Neutron bound the port, as upstream's translators did. */
static int vif_binding(const kc_pod_net *net, const kuryr_port *port, kuryr_k8s_vif *vif, kuryr_error *err)
{
    const char *type = port->binding_vif_type ? port->binding_vif_type : "";
    if (!strcmp(type, "ovs")) {
        const char *br = json_string_value(json_object_get(port->binding_vif_details, "bridge_name"));
        snprintf(vif->plugin, sizeof(vif->plugin), "ovs");
        snprintf(vif->bridge_name, sizeof(vif->bridge_name), "%s", br && *br ? br : net->ovs_bridge);
        return 0;
    }
    if (!strcmp(type, "bridge")) {
        snprintf(vif->plugin, sizeof(vif->plugin), "linux_bridge");
        snprintf(vif->bridge_name, sizeof(vif->bridge_name), "brq%.11s", port->network_id);
        return 0;
    }
    return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, "BindingFailed",
                           "Neutron bound port %s with vif_type '%s' (is an L2 agent running on node %s?)", port->id,
                           type, port->binding_host_id ? port->binding_host_id : "");
}

int kc_pod_vif_from_port(const kc_pod_net *net, const kuryr_port *port, kuryr_k8s_vif *vif, kuryr_error *err)
{
    memset(vif, 0, sizeof(*vif));
    if (copy_to(vif->port_id, sizeof(vif->port_id), port->id, "port id", err) < 0 ||
        copy_to(vif->mac, sizeof(vif->mac), port->mac_address, "MAC", err) < 0 ||
        copy_to(vif->network_id, sizeof(vif->network_id), port->network_id, "network id", err) < 0 ||
        copy_to(vif->project_id, sizeof(vif->project_id), port->project_id, "project id", err) < 0 ||
        vif_binding(net, port, vif, err) < 0)
        return -1;
    vif->mtu = net->mtu;
    snprintf(vif->vif_name, sizeof(vif->vif_name), "tap%.11s", port->id);
    vif->active = port->status && !strcmp(port->status, "ACTIVE");
    for (size_t i = 0; i < port->n_fixed_ips && vif->n_ips < KURYR_VIF_MAX_IPS; i++) {
        const kuryr_fixed_ip *ip = &port->fixed_ips[i];
        if (!ip->subnet_id || strcmp(ip->subnet_id, net->subnet_id) != 0 || !ip->ip_address)
            continue;
        size_t n = vif->n_ips++;
        snprintf(vif->ips[n].address, 64, "%s", ip->ip_address);
        snprintf(vif->ips[n].cidr, 64, "%s", net->cidr);
        snprintf(vif->ips[n].gateway, 64, "%s", net->gateway);
        snprintf(vif->ips[n].subnet_id, 64, "%s", net->subnet_id);
    }
    if (!vif->n_ips)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "port %s has no address on the pod subnet",
                               port->id);
    vif->n_dns = net->n_dns;
    memcpy(vif->dns, net->dns, sizeof(vif->dns));
    vif->n_routes = net->n_routes;
    memcpy(vif->routes, net->routes, sizeof(vif->routes));
    return 0;
}
