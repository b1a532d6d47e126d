/* Neutron JSON objects to structs, and their frees. Only id is required: field selection and older Neutron
 * releases leave anything else out. */
#include "neutron_internal.h"

#include <stdlib.h>

/* Every element of the array under key parsed into a calloc'd array of elem_size structs. The count is set
 * before parsing, so that a failed parse leaves zeroed tails that the matching clear can free. */
static void *parse_struct_array(kn_parser *p, const char *key, size_t elem_size, size_t *n_out,
                                void (*fill)(kn_parser *child, void *elem))
{
    size_t n;
    *n_out = 0;
    json_t *arr = kp_array(p, key, &n);
    if (!arr || !n)
        return NULL;
    char *elems = calloc(n, elem_size);
    if (!elems) {
        kp_fail(p, "out of memory");
        return NULL;
    }
    *n_out = n;
    for (size_t i = 0; i < n && !p->bad; i++) {
        kn_parser child;
        if (kp_nested(p, &child, key, i, json_array_get(arr, i)))
            fill(&child, elems + i * elem_size);
    }
    return elems;
}

/* ---- small element structs --------------------------------------------------------------------------- */
static void fill_fixed_ip(kn_parser *p, void *elem)
{
    kuryr_fixed_ip *f = elem;
    f->subnet_id = kp_str(p, "subnet_id");
    f->ip_address = kp_str(p, "ip_address");
}

static void fill_address_pair(kn_parser *p, void *elem)
{
    kuryr_address_pair *a = elem;
    a->ip_address = kp_str_required(p, "ip_address");
    a->mac_address = kp_str(p, "mac_address");
}

static void fill_host_route(kn_parser *p, void *elem)
{
    kuryr_host_route *h = elem;
    h->destination = kp_str(p, "destination");
    h->nexthop = kp_str(p, "nexthop");
}

static void fill_subport(kn_parser *p, void *elem)
{
    kuryr_subport *s = elem;
    s->port_id = kp_str_required(p, "port_id");
    s->segmentation_type = kp_str(p, "segmentation_type");
    s->segmentation_id = kp_int(p, "segmentation_id");
}

/* ---- security group rule (also an element of a security group) ------------------------------------- */
static void fill_sg_rule(kn_parser *p, void *elem)
{
    kuryr_sg_rule *r = elem;
    r->raw = json_incref(p->obj);
    r->id = kp_str_required(p, "id");
    r->security_group_id = kp_str(p, "security_group_id");
    r->direction = kp_str(p, "direction");
    r->ethertype = kp_str(p, "ethertype");
    r->protocol = kp_str(p, "protocol");
    r->remote_ip_prefix = kp_str(p, "remote_ip_prefix");
    r->remote_group_id = kp_str(p, "remote_group_id");
    r->port_range_min = kp_int(p, "port_range_min");
    r->port_range_max = kp_int(p, "port_range_max");
}

static void clear_sg_rule(kuryr_sg_rule *r)
{
    free(r->id);
    free(r->security_group_id);
    free(r->direction);
    free(r->ethertype);
    free(r->protocol);
    free(r->remote_ip_prefix);
    free(r->remote_group_id);
    json_decref(r->raw);
}

/* ---- top-level objects ------------------------------------------------------------------------------- */
/* Allocates the struct, starts the parse and takes the raw reference; fill then reads the attributes. */
#define KN_FROM_JSON(T, what, fill)                                                                            \
    T *T##_from_json(json_t *obj, kuryr_error *err)                                                          \
    {                                                                                                          \
        kn_parser p;                                                                                           \
        if (!kp_begin(&p, what, obj, err))                                                                     \
            return NULL;                                                                                       \
        T *o = calloc(1, sizeof(*o));                                                                          \
        if (!o) {                                                                                              \
            kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "%s: out of memory", what);                      \
            return NULL;                                                                                       \
        }                                                                                                      \
        fill(&p, o);                                                                                           \
        if (p.bad) {                                                                                           \
            T##_free(o);                                                                                       \
            return NULL;                                                                                       \
        }                                                                                                      \
        return o;                                                                                              \
    }

static void fill_network(kn_parser *p, kuryr_network *o)
{
    o->raw = json_incref(p->obj);
    o->id = kp_str_required(p, "id");
    o->name = kp_str(p, "name");
    o->status = kp_str(p, "status");
    o->project_id = kp_str(p, "project_id");
    if (!o->project_id)
        o->project_id = kp_str(p, "tenant_id");
    o->mtu = kp_int(p, "mtu");
    o->shared = kp_bool(p, "shared", false);
    o->admin_state_up = kp_bool(p, "admin_state_up", true);
    o->revision_number = kp_long(p, "revision_number");
    o->subnets = kp_strv(p, "subnets");
    o->tags = kp_strv(p, "tags");
}
KN_FROM_JSON(kuryr_network, "network", fill_network)

void kuryr_network_free(kuryr_network *o)
{
    if (!o)
        return;
    free(o->id);
    free(o->name);
    free(o->status);
    free(o->project_id);
    kuryr_strv_clear(&o->subnets);
    kuryr_strv_clear(&o->tags);
    json_decref(o->raw);
    free(o);
}

static void fill_subnet(kn_parser *p, kuryr_subnet *o)
{
    o->raw = json_incref(p->obj);
    o->id = kp_str_required(p, "id");
    o->name = kp_str(p, "name");
    o->network_id = kp_str(p, "network_id");
    o->cidr = kp_str(p, "cidr");
    o->gateway_ip = kp_str(p, "gateway_ip");
    o->subnetpool_id = kp_str(p, "subnetpool_id");
    o->project_id = kp_str(p, "project_id");
    if (!o->project_id)
        o->project_id = kp_str(p, "tenant_id");
    o->ip_version = kp_int(p, "ip_version");
    o->enable_dhcp = kp_bool(p, "enable_dhcp", true);
    o->host_routes = parse_struct_array(p, "host_routes", sizeof(*o->host_routes), &o->n_host_routes,
                                        fill_host_route);
    o->tags = kp_strv(p, "tags");
    o->revision_number = kp_long(p, "revision_number");
}
KN_FROM_JSON(kuryr_subnet, "subnet", fill_subnet)

void kuryr_subnet_free(kuryr_subnet *o)
{
    if (!o)
        return;
    free(o->id);
    free(o->name);
    free(o->network_id);
    free(o->cidr);
    free(o->gateway_ip);
    free(o->subnetpool_id);
    free(o->project_id);
    for (size_t i = 0; i < o->n_host_routes; i++) {
        free(o->host_routes[i].destination);
        free(o->host_routes[i].nexthop);
    }
    free(o->host_routes);
    kuryr_strv_clear(&o->tags);
    json_decref(o->raw);
    free(o);
}

static void fill_subnetpool(kn_parser *p, kuryr_subnetpool *o)
{
    o->raw = json_incref(p->obj);
    o->id = kp_str_required(p, "id");
    o->name = kp_str(p, "name");
    o->project_id = kp_str(p, "project_id");
    if (!o->project_id)
        o->project_id = kp_str(p, "tenant_id");
    o->ip_version = kp_int(p, "ip_version");
    o->default_prefixlen = kp_int(p, "default_prefixlen");
    o->min_prefixlen = kp_int(p, "min_prefixlen");
    o->max_prefixlen = kp_int(p, "max_prefixlen");
    o->shared = kp_bool(p, "shared", false);
    o->is_default = kp_bool(p, "is_default", false);
    o->prefixes = kp_strv(p, "prefixes");
    o->tags = kp_strv(p, "tags");
    o->revision_number = kp_long(p, "revision_number");
}
KN_FROM_JSON(kuryr_subnetpool, "subnetpool", fill_subnetpool)

void kuryr_subnetpool_free(kuryr_subnetpool *o)
{
    if (!o)
        return;
    free(o->id);
    free(o->name);
    free(o->project_id);
    kuryr_strv_clear(&o->prefixes);
    kuryr_strv_clear(&o->tags);
    json_decref(o->raw);
    free(o);
}

static void fill_port(kn_parser *p, kuryr_port *o)
{
    o->raw = json_incref(p->obj);
    o->id = kp_str_required(p, "id");
    o->name = kp_str(p, "name");
    o->network_id = kp_str(p, "network_id");
    o->mac_address = kp_str(p, "mac_address");
    o->status = kp_str(p, "status");
    o->device_owner = kp_str(p, "device_owner");
    o->device_id = kp_str(p, "device_id");
    o->project_id = kp_str(p, "project_id");
    if (!o->project_id)
        o->project_id = kp_str(p, "tenant_id");
    o->binding_host_id = kp_str(p, "binding:host_id");
    o->binding_vif_type = kp_str(p, "binding:vif_type");
    o->binding_vnic_type = kp_str(p, "binding:vnic_type");
    o->binding_vif_details = kp_object(p, "binding:vif_details");
    o->admin_state_up = kp_bool(p, "admin_state_up", true);
    o->fixed_ips = parse_struct_array(p, "fixed_ips", sizeof(*o->fixed_ips), &o->n_fixed_ips, fill_fixed_ip);
    o->allowed_address_pairs = parse_struct_array(p, "allowed_address_pairs", sizeof(*o->allowed_address_pairs),
                                                  &o->n_allowed_address_pairs, fill_address_pair);
    o->security_groups = kp_strv(p, "security_groups");
    o->tags = kp_strv(p, "tags");
    o->revision_number = kp_long(p, "revision_number");
}
KN_FROM_JSON(kuryr_port, "port", fill_port)

kuryr_port *kuryr_port_copy(const kuryr_port *port)
{
    json_t *raw = port && port->raw ? json_deep_copy(port->raw) : NULL;
    kuryr_error err;
    kuryr_port *copy = raw ? kuryr_port_from_json(raw, &err) : NULL;
    json_decref(raw);
    return copy;
}

void kuryr_port_free(kuryr_port *o)
{
    if (!o)
        return;
    free(o->id);
    free(o->name);
    free(o->network_id);
    free(o->mac_address);
    free(o->status);
    free(o->device_owner);
    free(o->device_id);
    free(o->project_id);
    free(o->binding_host_id);
    free(o->binding_vif_type);
    free(o->binding_vnic_type);
    for (size_t i = 0; i < o->n_fixed_ips; i++) {
        free(o->fixed_ips[i].subnet_id);
        free(o->fixed_ips[i].ip_address);
    }
    free(o->fixed_ips);
    for (size_t i = 0; i < o->n_allowed_address_pairs; i++) {
        free(o->allowed_address_pairs[i].ip_address);
        free(o->allowed_address_pairs[i].mac_address);
    }
    free(o->allowed_address_pairs);
    kuryr_strv_clear(&o->security_groups);
    kuryr_strv_clear(&o->tags);
    json_decref(o->raw);
    free(o);
}

static void fill_sg_rule_top(kn_parser *p, kuryr_sg_rule *o)
{
    fill_sg_rule(p, o);
}
KN_FROM_JSON(kuryr_sg_rule, "security_group_rule", fill_sg_rule_top)

void kuryr_sg_rule_free(kuryr_sg_rule *o)
{
    if (!o)
        return;
    clear_sg_rule(o);
    free(o);
}

static void fill_security_group(kn_parser *p, kuryr_security_group *o)
{
    o->raw = json_incref(p->obj);
    o->id = kp_str_required(p, "id");
    o->name = kp_str(p, "name");
    o->description = kp_str(p, "description");
    o->project_id = kp_str(p, "project_id");
    if (!o->project_id)
        o->project_id = kp_str(p, "tenant_id");
    o->rules = parse_struct_array(p, "security_group_rules", sizeof(*o->rules), &o->n_rules, fill_sg_rule);
    o->tags = kp_strv(p, "tags");
    o->revision_number = kp_long(p, "revision_number");
}
KN_FROM_JSON(kuryr_security_group, "security_group", fill_security_group)

void kuryr_security_group_free(kuryr_security_group *o)
{
    if (!o)
        return;
    free(o->id);
    free(o->name);
    free(o->description);
    free(o->project_id);
    for (size_t i = 0; i < o->n_rules; i++)
        clear_sg_rule(&o->rules[i]);
    free(o->rules);
    kuryr_strv_clear(&o->tags);
    json_decref(o->raw);
    free(o);
}

static void fill_trunk(kn_parser *p, kuryr_trunk *o)
{
    o->raw = json_incref(p->obj);
    o->id = kp_str_required(p, "id");
    o->name = kp_str(p, "name");
    o->port_id = kp_str(p, "port_id");
    o->status = kp_str(p, "status");
    o->project_id = kp_str(p, "project_id");
    if (!o->project_id)
        o->project_id = kp_str(p, "tenant_id");
    o->sub_ports = parse_struct_array(p, "sub_ports", sizeof(*o->sub_ports), &o->n_sub_ports, fill_subport);
    o->tags = kp_strv(p, "tags");
    o->revision_number = kp_long(p, "revision_number");
}
KN_FROM_JSON(kuryr_trunk, "trunk", fill_trunk)

void kuryr_trunk_free(kuryr_trunk *o)
{
    if (!o)
        return;
    free(o->id);
    free(o->name);
    free(o->port_id);
    free(o->status);
    free(o->project_id);
    for (size_t i = 0; i < o->n_sub_ports; i++) {
        free(o->sub_ports[i].port_id);
        free(o->sub_ports[i].segmentation_type);
    }
    free(o->sub_ports);
    kuryr_strv_clear(&o->tags);
    json_decref(o->raw);
    free(o);
}

/* ---- typed lists ------------------------------------------------------------------------------------- */
#define KN_LIST_CLEAR(T)                                                                                       \
    void T##_list_clear(T##_list *l)                                                                           \
    {                                                                                                          \
        if (!l)                                                                                                \
            return;                                                                                            \
        for (size_t i = 0; i < l->n; i++)                                                                      \
            T##_free(l->items[i]);                                                                             \
        free(l->items);                                                                                        \
        l->items = NULL;                                                                                       \
        l->n = 0;                                                                                              \
    }
KN_LIST_CLEAR(kuryr_network)
KN_LIST_CLEAR(kuryr_subnet)
KN_LIST_CLEAR(kuryr_subnetpool)
KN_LIST_CLEAR(kuryr_port)
KN_LIST_CLEAR(kuryr_security_group)
KN_LIST_CLEAR(kuryr_sg_rule)
KN_LIST_CLEAR(kuryr_trunk)
