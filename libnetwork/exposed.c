/* Exposed ports (docker run --expose): a per-port security group "<port_id>-exposed_ports" holding one
 * ingress rule per contiguous range per protocol. The port is found through the endpoint (device_id), not by
 * upstream's "<EndpointID>-port" name, which IPAM-made ports never carry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "kuryr/fault.h"
#include "kuryr/log.h"
#include "mapping.h"
#include "names.h"
#include "plugin.h"
#include "portrange.h"
#include "validate.h"

static int find_groups(kl_plugin *p, const char *name, kuryr_security_group_list *out, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "name", name);
    kuryr_query_field(q, "id");
    int rc = kuryr_neutron_security_group_list(p->kn, q, out, err);
    kuryr_query_free(q);
    return rc < 0 ? kl_err_wrap(err, "looking up the exposed-ports security group failed") : 0;
}

/* The port's security groups with id added or removed, as a JSON array for an update. */
static json_t *groups_with(const kuryr_port *port, const char *id, bool add)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < port->security_groups.n; i++) {
        if (strcmp(port->security_groups.items[i], id) != 0)
            json_array_append_new(arr, json_string(port->security_groups.items[i]));
    }
    if (add)
        json_array_append_new(arr, json_string(id));
    return arr;
}

static bool port_has_family(const kuryr_port *port, char family_char)
{
    for (size_t i = 0; i < port->n_fixed_ips; i++) {
        bool v6 = port->fixed_ips[i].ip_address && strchr(port->fixed_ips[i].ip_address, ':');
        if ((family_char == '6') == v6)
            return true;
    }
    return false;
}

static int add_rules(kl_plugin *p, const char *sg_id, const kuryr_port *port, const kl_port_range *r, size_t n,
                     kuryr_error *err)
{
    const char *ethertypes[2] = {"IPv4", "IPv6"};
    for (int e = 0; e < 2; e++) {
        if (!port_has_family(port, e ? '6' : '4'))
            continue;
        for (size_t i = 0; i < n; i++) {
            const char *proto = r[i].proto == 1 && e ? "ipv6-icmp" : kl_proto_name(r[i].proto);
            json_t *attrs = json_pack("{s:s,s:s,s:s,s:s}", "security_group_id", sg_id, "direction", "ingress",
                                      "ethertype", ethertypes[e], "protocol", proto);
            if (r[i].proto != 1) {
                json_object_set_new(attrs, "port_range_min", json_integer(r[i].min));
                json_object_set_new(attrs, "port_range_max", json_integer(r[i].max));
            }
            int rc = kuryr_neutron_sg_rule_create(p->kn, attrs, NULL, err);
            json_decref(attrs);
            if (rc < 0 && err->kind != KURYR_ERR_CONFLICT) /* 409: the rule exists (a retry) */
                return kl_err_wrap(err, "creating the exposed-ports rule failed");
        }
    }
    return 0;
}

KL_HANDLER(kl_h_program_external)
{
    const char *docker_net, *ep;
    json_t *opts, *exposed;
    if (kl_get_id(req, "NetworkID", &docker_net, err) < 0 || kl_get_id(req, "EndpointID", &ep, err) < 0 ||
        kl_get_obj(req, "Options", &opts, err) < 0 || kl_get_arr(opts, KL_OPT_EXPOSED, &exposed, err) < 0)
        return -1;
    kuryr_log_ctx_set("net", docker_net);
    kuryr_log_ctx_set("ep", ep);
    kl_port_range *ranges;
    size_t n;
    if (kl_port_ranges(exposed, &ranges, &n, err) < 0)
        return -1;
    if (n == 0 || !kuryr_config_get_bool(p->cfg, "DEFAULT", "process_external_connectivity")) {
        free(ranges);
        kl_unexposed_add(p, ep);
        *resp = json_object();
        return 0;
    }
    kl_unexposed_take(p, ep);
    kl_net_map m;
    kuryr_port *port = NULL;
    if (kl_net_lookup(p, docker_net, &m, err) < 0 || kl_port_by_endpoint(p, m.neutron_id, ep, &port, err) < 0) {
        free(ranges);
        return -1;
    }
    kuryr_log_ctx_set("port", port->id);
    char name[KL_NAME_LEN];
    kl_sg_name(name, port->id);
    kuryr_security_group_list groups = {0};
    char sg_id[64] = "";
    bool made = false;
    int rc = find_groups(p, name, &groups, err);
    if (rc == 0 && groups.n) {
        snprintf(sg_id, sizeof(sg_id), "%s", groups.items[0]->id);
    } else if (rc == 0) {
        /* the description carries this host's marker: a group takes no tags in its create everywhere */
        json_t *attrs = json_pack("{s:s,s:s}", "name", name, "description", p->owner);
        kuryr_security_group *sg = NULL;
        rc = kuryr_neutron_security_group_create(p->kn, attrs, &sg, err);
        json_decref(attrs);
        if (rc < 0) {
            kl_err_wrap(err, "creating the exposed-ports security group failed");
        } else {
            snprintf(sg_id, sizeof(sg_id), "%s", sg->id);
            kuryr_security_group_free(sg);
            made = true;
        }
    }
    kuryr_security_group_list_clear(&groups);
    if (rc == 0)
        rc = add_rules(p, sg_id, port, ranges, n, err);
    if (rc == 0 && !kuryr_strv_contains(&port->security_groups, sg_id)) {
        json_t *attrs = json_pack("{s:o}", "security_groups", groups_with(port, sg_id, true));
        rc = kuryr_neutron_port_update(p->kn, port->id, attrs, NULL, err);
        json_decref(attrs);
        if (rc < 0)
            kl_err_wrap(err, "adding the exposed-ports group to the port failed");
    }
    if (rc < 0 && made) {
        kuryr_error ignored;
        kuryr_neutron_security_group_delete(p->kn, sg_id, &ignored);
    }
    if (rc == 0) {
        KLOG_INFO("exposed %zu port range(s) through security group %s", n, sg_id);
        KURYR_FAULT_POINT("program_external.sg_created");
        *resp = json_object();
    }
    free(ranges);
    kuryr_port_free(port);
    return rc;
}

KL_HANDLER(kl_h_revoke_external)
{
    const char *docker_net, *ep;
    if (kl_get_id(req, "NetworkID", &docker_net, err) < 0 || kl_get_id(req, "EndpointID", &ep, err) < 0)
        return -1;
    kuryr_log_ctx_set("net", docker_net);
    kuryr_log_ctx_set("ep", ep);
    if (kl_unexposed_take(p, ep)) {
        /* Program exposed nothing for it in this daemon's life: nothing to look up */
        *resp = json_object();
        return 0;
    }
    kl_net_map m;
    kuryr_port *port = NULL;
    if (kl_net_lookup(p, docker_net, &m, err) < 0 || kl_port_by_endpoint(p, m.neutron_id, ep, &port, err) < 0) {
        if (err->kind != KURYR_ERR_NOT_FOUND)
            return -1;
        kuryr_error_clear(err);
        *resp = json_object();
        return 0;
    }
    kuryr_log_ctx_set("port", port->id);
    char name[KL_NAME_LEN];
    kl_sg_name(name, port->id);
    kuryr_security_group_list groups = {0};
    int rc = find_groups(p, name, &groups, err);
    for (size_t i = 0; rc == 0 && i < groups.n; i++) {
        const char *id = groups.items[i]->id;
        if (kuryr_strv_contains(&port->security_groups, id)) {
            json_t *attrs = json_pack("{s:o}", "security_groups", groups_with(port, id, false));
            rc = kuryr_neutron_port_update(p->kn, port->id, attrs, NULL, err);
            json_decref(attrs);
            if (rc < 0) {
                kl_err_wrap(err, "removing the exposed-ports group from the port failed");
                break;
            }
        }
        rc = kuryr_neutron_security_group_delete(p->kn, id, err);
        if (rc < 0 && err->kind == KURYR_ERR_NOT_FOUND)
            rc = 0;
        if (rc < 0)
            kl_err_wrap(err, "deleting the exposed-ports security group failed");
        else
            KLOG_INFO("removed security group %s", id);
    }
    kuryr_security_group_list_clear(&groups);
    kuryr_port_free(port);
    if (rc == 0)
        *resp = json_object();
    return rc;
}
