/* The node's own port into the pod network (see kuryr/node_port.h). */
#include "kuryr/node_port.h"

#include "kuryr/log.h"
#include "kuryr/owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEVICE_OWNER "compute:kuryr"
#define SELF_NETNS "/proc/self/ns/net"
#define MAX_ROUTES 16

static const char *netns_of(const kuryr_node_port_cfg *cfg)
{
    return cfg->netns_path && *cfg->netns_path ? cfg->netns_path : SELF_NETNS;
}

int kuryr_node_port_cfg_from_config(const kuryr_config *config, bool *enabled, kuryr_node_port_cfg *cfg,
                                    kuryr_error *err)
{
    kuryr_error_clear(err);
    *enabled = kuryr_config_get_bool(config, "cni_daemon", "node_port");
    if (!*enabled)
        return 0;
    cfg->ifname = kuryr_config_get_str(config, "cni_daemon", "node_port_ifname");
    const char *const *routes = kuryr_config_get_list(config, "cni_daemon", "node_port_routes");
    cfg->routes = routes && routes[0] ? routes : NULL;
    cfg->keep = kuryr_config_get_bool(config, "cni_daemon", "node_port_keep");
    if (!cfg->ifname || !*cfg->ifname || strlen(cfg->ifname) >= KURYR_IFNAME_LEN)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "[cni_daemon] node_port_ifname must be 1 to %d characters", KURYR_IFNAME_LEN - 1);
    return 0;
}

static int check_cfg(const kuryr_node_port_cfg *cfg, kuryr_error *err)
{
    const char *missing = !cfg->node || !*cfg->node             ? "the node name"
                          : !cfg->host || !*cfg->host           ? "the host name"
                          : !cfg->subnet_id || !*cfg->subnet_id ? "the pod subnet ([neutron_defaults] pod_subnet)"
                          : !cfg->binding                       ? "the binding configuration"
                                                                : NULL;
    if (missing)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "node port: %s is not set", missing);
    if (!cfg->ifname || !*cfg->ifname || strlen(cfg->ifname) >= KURYR_IFNAME_LEN)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "node port: the interface name must be 1 to %d characters", KURYR_IFNAME_LEN - 1);
    if (strlen(KURYR_NODE_PORT_PREFIX) + strlen(cfg->node) >= 256)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "node port: node name too long");
    return 0;
}

/* This node's: the marker in the description (set by the create) or in the tags. */
static bool is_ours(const kuryr_port *p, const char *node)
{
    const char *desc = json_string_value(json_object_get(p->raw, "description"));
    return kuryr_owner_is(desc, KURYR_OWNER_HOST, node) || kuryr_owner_tagged(&p->tags, KURYR_OWNER_HOST, node);
}

/* The ports named like this node's on the subnet's network that carry its marker, oldest first as listed. */
static int find_ours(kuryr_neutron *kn, const kuryr_node_port_cfg *cfg, const char *network_id,
                     kuryr_port_list *out, kuryr_error *err)
{
    char name[256];
    snprintf(name, sizeof(name), KURYR_NODE_PORT_PREFIX "%s", cfg->node);
    kuryr_query *q = kuryr_query_new();
    if (!q)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    kuryr_query_add(q, "name", name);
    kuryr_query_add(q, "network_id", network_id);
    kuryr_query_add(q, "device_owner", DEVICE_OWNER);
    kuryr_port_list all = {0};
    int rc = kuryr_neutron_port_list(kn, q, &all, err);
    kuryr_query_free(q);
    if (rc < 0)
        return -1;
    size_t keep = 0;
    for (size_t i = 0; i < all.n; i++) {
        if (is_ours(all.items[i], cfg->node))
            all.items[keep++] = all.items[i];
        else
            kuryr_port_free(all.items[i]);
    }
    all.n = keep;
    *out = all;
    return 0;
}

static json_t *strv_json(const char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static int create_port(kuryr_neutron *kn, const kuryr_node_port_cfg *cfg, const kuryr_subnet *subnet,
                       kuryr_port **out, kuryr_error *err)
{
    char name[256], marker[KURYR_OWNER_LEN];
    snprintf(name, sizeof(name), KURYR_NODE_PORT_PREFIX "%s", cfg->node);
    kuryr_owner_marker(marker, KURYR_OWNER_HOST, cfg->node);
    json_t *attrs = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:[{s:s}]}", "name", name, "network_id",
                              subnet->network_id, "device_owner", DEVICE_OWNER, "device_id", name,
                              "binding:host_id", cfg->host, "description", marker, "admin_state_up", 1,
                              "fixed_ips", "subnet_id", subnet->id);
    if (!attrs)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    if (cfg->project_id && *cfg->project_id)
        json_object_set_new(attrs, "project_id", json_string(cfg->project_id));
    if (cfg->security_groups)
        json_object_set_new(attrs, "security_groups", strv_json(cfg->security_groups));
    int rc = kuryr_neutron_port_create(kn, attrs, out, err);
    json_decref(attrs);
    if (rc < 0)
        return -1;
    KLOG_INFO("node port %s (%s) created on network %s", (*out)->id, name, subnet->network_id);
    /* the tag makes it this node's for every tool that reads markers from tags (kuryrctl); the description
     * already does for this code, so a failure here only warns */
    kuryr_error terr;
    if (kuryr_neutron_tag_add(kn, "ports", (*out)->id, marker, &terr) < 0)
        KLOG_WARN("node port %s: cannot tag it %s: %s", (*out)->id, marker, terr.message);
    return 0;
}

/* The port's address on the subnet as a CIDR with the subnet's prefix length. */
static int port_address(const kuryr_port *p, const kuryr_subnet *subnet, char out[64], kuryr_error *err)
{
    const char *slash = subnet->cidr ? strchr(subnet->cidr, '/') : NULL;
    for (size_t i = 0; slash && i < p->n_fixed_ips; i++) {
        if (p->fixed_ips[i].subnet_id && !strcmp(p->fixed_ips[i].subnet_id, subnet->id) &&
            p->fixed_ips[i].ip_address) {
            snprintf(out, 64, "%s%s", p->fixed_ips[i].ip_address, slash);
            return 0;
        }
    }
    return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "node port %s has no address on subnet %s",
                           p->id, subnet->id);
}

static void netns_config(const kuryr_node_port_cfg *cfg, const char *const *addr, kuryr_host_route *routes,
                         kuryr_netns_config *ns)
{
    size_t n = 0;
    for (; cfg->routes && cfg->routes[n] && n < MAX_ROUTES; n++)
        routes[n] = (kuryr_host_route){.destination = (char *)cfg->routes[n], .nexthop = NULL};
    *ns = (kuryr_netns_config){.netns_path = netns_of(cfg), .ifname = cfg->ifname, .addresses = addr,
                               .n_addresses = 1, .routes = routes, .n_routes = n};
}

static int network_mtu(kuryr_neutron *kn, const char *network_id)
{
    kuryr_network *net = NULL;
    kuryr_error ignored;
    if (kuryr_neutron_network_get(kn, network_id, &net, &ignored) < 0)
        return 0; /* the binding falls back to 1500 */
    int mtu = net->mtu;
    kuryr_network_free(net);
    return mtu;
}

/* Plugs p unless the node's end is already there with p's MAC; a device left by an earlier port goes first. */
static int plug(kuryr_neutron *kn, const kuryr_node_port_cfg *cfg, const kuryr_port *p, const char *address,
                bool *plugged, kuryr_error *err)
{
    char mac[18];
    int found = kuryr_netns_link_mac(netns_of(cfg), cfg->ifname, mac, err);
    if (found < 0)
        return -1;
    if (found && p->mac_address && !strcasecmp(mac, p->mac_address)) {
        *plugged = false;
        return 0;
    }
    const char *addr[] = {address};
    kuryr_host_route routes[MAX_ROUTES];
    kuryr_netns_config ns;
    netns_config(cfg, addr, routes, &ns);
    kuryr_bind_request req = {.port = p, .mtu = network_mtu(kn, p->network_id), .owner_id = p->device_id};
    if (found) {
        KLOG_INFO("node port: %s has MAC %s, not the port's %s: replacing it", cfg->ifname, mac,
                  p->mac_address ? p->mac_address : "");
        kuryr_error ignored;
        kuryr_unbind_netns(cfg->binding, &(kuryr_bind_request){.port = p}, &ns, &ignored);
        /* the old device may belong to another port (whose tap differs): remove it by name */
        if (kuryr_netns_link_mac(netns_of(cfg), cfg->ifname, mac, &ignored) == 1)
            return kuryr_error_set(err, KURYR_ERR_CONFLICT, 0, NULL,
                                   "node port: cannot remove the stale device %s", cfg->ifname);
    }
    kuryr_bind_result res;
    if (kuryr_bind_netns(cfg->binding, &req, &ns, &res, err) < 0)
        return -1;
    KLOG_INFO("node port %s plugged: %s (%s) in %s, host side %s", p->id, cfg->ifname, address, ns.netns_path,
              res.host_ifname);
    *plugged = true;
    return 0;
}

/* Unplugs p's devices (the node's end by name only if it still has p's MAC). */
static int unplug(const kuryr_node_port_cfg *cfg, const kuryr_port *p, kuryr_error *err)
{
    char mac[18];
    kuryr_error ignored;
    int found = kuryr_netns_link_mac(netns_of(cfg), cfg->ifname, mac, &ignored);
    bool mine = found == 1 && p->mac_address && !strcasecmp(mac, p->mac_address);
    kuryr_netns_config ns = {.netns_path = netns_of(cfg), .ifname = mine ? cfg->ifname : NULL};
    kuryr_bind_request req = {.port = p, .owner_id = p->device_id};
    return kuryr_unbind_netns(cfg->binding, &req, &ns, err);
}

/* With no port left to name its tap, a device by the configured name is still this daemon's (the port was
 * deleted behind its back): removing the node's end takes the veth's other end along. */
static int drop_device(const kuryr_node_port_cfg *cfg, kuryr_error *err)
{
    char mac[18];
    int found = kuryr_netns_link_mac(netns_of(cfg), cfg->ifname, mac, err);
    if (found <= 0)
        return found;
    KLOG_INFO("node port: no port left, removing the device %s", cfg->ifname);
    return kuryr_netns_link_delete(netns_of(cfg), cfg->ifname, err);
}

static void drop_duplicates(kuryr_neutron *kn, const kuryr_node_port_cfg *cfg, kuryr_port_list *ours)
{
    for (size_t i = 1; i < ours->n; i++) {
        kuryr_error e;
        KLOG_WARN("node port: deleting duplicate %s of %s", ours->items[i]->id, ours->items[0]->id);
        if (unplug(cfg, ours->items[i], &e) < 0)
            KLOG_WARN("node port: unplugging duplicate %s: %s", ours->items[i]->id, e.message);
        if (kuryr_neutron_port_delete(kn, ours->items[i]->id, &e) < 0 && e.kind != KURYR_ERR_NOT_FOUND)
            KLOG_WARN("node port: deleting duplicate %s: %s", ours->items[i]->id, e.message);
    }
}

static void fill_out(const kuryr_port *p, const char *address, bool created, bool plugged, kuryr_node_port *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    snprintf(out->port_id, sizeof(out->port_id), "%s", p->id);
    snprintf(out->mac, sizeof(out->mac), "%s", p->mac_address ? p->mac_address : "");
    snprintf(out->address, sizeof(out->address), "%s", address);
    out->created = created;
    out->plugged = plugged;
}

/* The configuration checked, the pod subnet, and this node's ports on its network. */
static int look_up(kuryr_neutron *kn, const kuryr_node_port_cfg *cfg, kuryr_subnet **subnet, kuryr_port_list *ours,
                   kuryr_error *err)
{
    kuryr_error_clear(err);
    if (check_cfg(cfg, err) < 0 || kuryr_neutron_subnet_get(kn, cfg->subnet_id, subnet, err) < 0)
        return -1;
    return find_ours(kn, cfg, (*subnet)->network_id, ours, err);
}

int kuryr_node_port_ensure(kuryr_neutron *kn, const kuryr_node_port_cfg *cfg, kuryr_node_port *out,
                           kuryr_error *err)
{
    kuryr_subnet *subnet = NULL;
    kuryr_port_list ours = {0};
    kuryr_port *made = NULL;
    int rc = -1;
    if (look_up(kn, cfg, &subnet, &ours, err) < 0)
        goto out;
    drop_duplicates(kn, cfg, &ours);
    const kuryr_port *p = ours.n ? ours.items[0] : NULL;
    if (!p) {
        if (create_port(kn, cfg, subnet, &made, err) < 0)
            goto out;
        p = made;
    }
    char address[64];
    bool plugged = false;
    if (port_address(p, subnet, address, err) < 0 || plug(kn, cfg, p, address, &plugged, err) < 0) {
        if (made) {
            kuryr_error ignored;
            if (kuryr_neutron_port_delete(kn, made->id, &ignored) < 0)
                KLOG_WARN("node port: cannot delete %s after the failed plug: %s", made->id, ignored.message);
        }
        goto out;
    }
    fill_out(p, address, made != NULL, plugged, out);
    rc = 0;
out:
    kuryr_port_free(made);
    kuryr_port_list_clear(&ours);
    kuryr_subnet_free(subnet);
    return rc;
}

int kuryr_node_port_remove(kuryr_neutron *kn, const kuryr_node_port_cfg *cfg, kuryr_error *err)
{
    kuryr_subnet *subnet = NULL;
    kuryr_port_list ours = {0};
    int rc = look_up(kn, cfg, &subnet, &ours, err);
    for (size_t i = 0; rc == 0 && i < ours.n; i++) {
        const kuryr_port *p = ours.items[i];
        if (unplug(cfg, p, err) < 0 ||
            (kuryr_neutron_port_delete(kn, p->id, err) < 0 && err->kind != KURYR_ERR_NOT_FOUND))
            rc = -1;
        else
            KLOG_INFO("node port %s unplugged and deleted", p->id);
    }
    if (rc == 0 && ours.n == 0)
        rc = drop_device(cfg, err);
    if (rc == 0)
        kuryr_error_clear(err);
    kuryr_port_list_clear(&ours);
    kuryr_subnet_free(subnet);
    return rc;
}
