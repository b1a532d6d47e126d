/* Neutron JSON objects to structs, and their frees, both driven by one table per type: which JSON attribute
 * fills which member, read how. Only id is required: field selection and older Neutron releases leave anything
 * else out. */
#include "neutron_internal.h"

#include <stddef.h>
#include <stdlib.h>

/* How a member is read (kp_*) and freed. */
typedef enum {
    KN_RAW,        /* json_t *: the whole object, a reference taken */
    KN_STR,        /* char * */
    KN_STR_REQ,    /* char *, the parse fails without it */
    KN_PROJECT,    /* char *: "project_id", else the older "tenant_id" */
    KN_INT,        /* int */
    KN_LONG,       /* long */
    KN_BOOL_TRUE,  /* bool, true when absent */
    KN_BOOL_FALSE, /* bool, false when absent */
    KN_STRV,       /* kuryr_strv */
    KN_OBJECT,     /* json_t *: a member object, borrowed from raw */
    KN_ARRAY,      /* an array of element structs (elem) with its count (count_at, size_t) */
} kn_kind;

typedef struct kn_type kn_type;
typedef struct {
    const char *key; /* JSON attribute; NULL for KN_RAW */
    kn_kind kind;
    size_t at;       /* offset of the member */
    size_t count_at; /* KN_ARRAY: offset of the size_t count */
    const kn_type *elem;
} kn_field;

struct kn_type {
    size_t size;
    size_t n;
    const kn_field *fields;
};

/* The C type each kind fills: a row whose member has another type does not compile. */
#define KN_CTYPE_RAW json_t *
#define KN_CTYPE_STR char *
#define KN_CTYPE_STR_REQ char *
#define KN_CTYPE_PROJECT char *
#define KN_CTYPE_INT int
#define KN_CTYPE_LONG long
#define KN_CTYPE_BOOL_TRUE bool
#define KN_CTYPE_BOOL_FALSE bool
#define KN_CTYPE_STRV kuryr_strv
#define KN_CTYPE_OBJECT json_t *
#define KN_TYPECHECK(T, member, ctype) (0 * _Generic(((T *)0)->member, ctype: 1))

/* A table lists its rows as X(T, kind, member, key) for a member read with one kp_* call and
 * A(T, member, count, key, elem_type) for an array of element structs with its count. */
#define KN_ROW(T, kind, member, key)                                                                           \
    {key, KN_##kind, offsetof(T, member) + KN_TYPECHECK(T, member, KN_CTYPE_##kind), 0, NULL},
#define KN_ROW_ARRAY(T, member, count, key, elem)                                                              \
    {key, KN_ARRAY, offsetof(T, member), offsetof(T, count) + KN_TYPECHECK(T, count, size_t), &elem},
#define KN_TABLE(name, T, LIST)                                                                                \
    static const kn_field name##_fields[] = {LIST(T, KN_ROW, KN_ROW_ARRAY)};                                   \
    static const kn_type name##_type = {sizeof(T), sizeof(name##_fields) / sizeof(name##_fields[0]),           \
                                        name##_fields}

/* ---- the tables (in parse order: the first failing attribute names the error) ------------------------- */
#define FIXED_IP_FIELDS(T, X, A) X(T, STR, subnet_id, "subnet_id") X(T, STR, ip_address, "ip_address")
KN_TABLE(fixed_ip, kuryr_fixed_ip, FIXED_IP_FIELDS);

#define ADDRESS_PAIR_FIELDS(T, X, A) X(T, STR_REQ, ip_address, "ip_address") X(T, STR, mac_address, "mac_address")
KN_TABLE(address_pair, kuryr_address_pair, ADDRESS_PAIR_FIELDS);

#define HOST_ROUTE_FIELDS(T, X, A) X(T, STR, destination, "destination") X(T, STR, nexthop, "nexthop")
KN_TABLE(host_route, kuryr_host_route, HOST_ROUTE_FIELDS);

#define SUBPORT_FIELDS(T, X, A)                                                                                \
    X(T, STR_REQ, port_id, "port_id") X(T, STR, segmentation_type, "segmentation_type")                        \
    X(T, INT, segmentation_id, "segmentation_id")
KN_TABLE(subport, kuryr_subport, SUBPORT_FIELDS);

#define SG_RULE_FIELDS(T, X, A)                                                                                \
    X(T, RAW, raw, NULL) X(T, STR_REQ, id, "id") X(T, STR, security_group_id, "security_group_id")            \
    X(T, STR, direction, "direction") X(T, STR, ethertype, "ethertype") X(T, STR, protocol, "protocol")       \
    X(T, STR, remote_ip_prefix, "remote_ip_prefix") X(T, STR, remote_group_id, "remote_group_id")             \
    X(T, INT, port_range_min, "port_range_min") X(T, INT, port_range_max, "port_range_max")
KN_TABLE(sg_rule, kuryr_sg_rule, SG_RULE_FIELDS);

#define NETWORK_FIELDS(T, X, A)                                                                                \
    X(T, RAW, raw, NULL) X(T, STR_REQ, id, "id") X(T, STR, name, "name") X(T, STR, status, "status")          \
    X(T, PROJECT, project_id, "project_id") X(T, INT, mtu, "mtu") X(T, BOOL_FALSE, shared, "shared")          \
    X(T, BOOL_TRUE, admin_state_up, "admin_state_up") X(T, LONG, revision_number, "revision_number")          \
    X(T, STRV, subnets, "subnets") X(T, STRV, tags, "tags")
KN_TABLE(network, kuryr_network, NETWORK_FIELDS);

#define SUBNET_FIELDS(T, X, A)                                                                                 \
    X(T, RAW, raw, NULL) X(T, STR_REQ, id, "id") X(T, STR, name, "name") X(T, STR, network_id, "network_id")  \
    X(T, STR, cidr, "cidr") X(T, STR, gateway_ip, "gateway_ip") X(T, STR, subnetpool_id, "subnetpool_id")     \
    X(T, PROJECT, project_id, "project_id") X(T, INT, ip_version, "ip_version")                               \
    X(T, BOOL_TRUE, enable_dhcp, "enable_dhcp") A(T, host_routes, n_host_routes, "host_routes", host_route_type) \
    X(T, STRV, tags, "tags") X(T, LONG, revision_number, "revision_number")
KN_TABLE(subnet, kuryr_subnet, SUBNET_FIELDS);

#define SUBNETPOOL_FIELDS(T, X, A)                                                                             \
    X(T, RAW, raw, NULL) X(T, STR_REQ, id, "id") X(T, STR, name, "name") X(T, PROJECT, project_id, "project_id") \
    X(T, INT, ip_version, "ip_version") X(T, INT, default_prefixlen, "default_prefixlen")                     \
    X(T, INT, min_prefixlen, "min_prefixlen") X(T, INT, max_prefixlen, "max_prefixlen")                       \
    X(T, BOOL_FALSE, shared, "shared") X(T, BOOL_FALSE, is_default, "is_default")                             \
    X(T, STRV, prefixes, "prefixes") X(T, STRV, tags, "tags") X(T, LONG, revision_number, "revision_number")
KN_TABLE(subnetpool, kuryr_subnetpool, SUBNETPOOL_FIELDS);

#define PORT_FIELDS(T, X, A)                                                                                   \
    X(T, RAW, raw, NULL) X(T, STR_REQ, id, "id") X(T, STR, name, "name") X(T, STR, network_id, "network_id")  \
    X(T, STR, mac_address, "mac_address") X(T, STR, status, "status") X(T, STR, device_owner, "device_owner") \
    X(T, STR, device_id, "device_id") X(T, PROJECT, project_id, "project_id")                                 \
    X(T, STR, binding_host_id, "binding:host_id") X(T, STR, binding_vif_type, "binding:vif_type")             \
    X(T, STR, binding_vnic_type, "binding:vnic_type") X(T, OBJECT, binding_vif_details, "binding:vif_details") \
    X(T, BOOL_TRUE, admin_state_up, "admin_state_up") A(T, fixed_ips, n_fixed_ips, "fixed_ips", fixed_ip_type) \
    A(T, allowed_address_pairs, n_allowed_address_pairs, "allowed_address_pairs", address_pair_type)          \
    X(T, STRV, security_groups, "security_groups") X(T, STRV, tags, "tags")                                   \
    X(T, LONG, revision_number, "revision_number")
KN_TABLE(port, kuryr_port, PORT_FIELDS);

#define SECURITY_GROUP_FIELDS(T, X, A)                                                                         \
    X(T, RAW, raw, NULL) X(T, STR_REQ, id, "id") X(T, STR, name, "name") X(T, STR, description, "description") \
    X(T, PROJECT, project_id, "project_id") A(T, rules, n_rules, "security_group_rules", sg_rule_type)        \
    X(T, STRV, tags, "tags") X(T, LONG, revision_number, "revision_number")
KN_TABLE(security_group, kuryr_security_group, SECURITY_GROUP_FIELDS);

#define TRUNK_FIELDS(T, X, A)                                                                                  \
    X(T, RAW, raw, NULL) X(T, STR_REQ, id, "id") X(T, STR, name, "name") X(T, STR, port_id, "port_id")        \
    X(T, STR, status, "status") X(T, PROJECT, project_id, "project_id")                                       \
    A(T, sub_ports, n_sub_ports, "sub_ports", subport_type) X(T, STRV, tags, "tags")                          \
    X(T, LONG, revision_number, "revision_number")
KN_TABLE(trunk, kuryr_trunk, TRUNK_FIELDS);

/* ---- the two walks over a table ----------------------------------------------------------------------- */
#define MEMBER(obj, type, at) ((type *)((char *)(obj) + (at)))

static void fill(kn_parser *p, const kn_type *t, void *obj);

/* Every element of the array under f->key parsed into a calloc'd array. The count is set before parsing, so
 * that a failed parse leaves zeroed tails that clear can free. */
static void fill_array(kn_parser *p, const kn_field *f, void *obj)
{
    size_t n;
    *MEMBER(obj, size_t, f->count_at) = 0;
    json_t *arr = kp_array(p, f->key, &n);
    if (!arr || !n)
        return;
    char *elems = calloc(n, f->elem->size);
    if (!elems) {
        kp_fail(p, "out of memory");
        return;
    }
    *MEMBER(obj, void *, f->at) = elems;
    *MEMBER(obj, size_t, f->count_at) = n;
    for (size_t i = 0; i < n && !p->bad; i++) {
        kn_parser child;
        if (kp_nested(p, &child, f->key, i, json_array_get(arr, i)))
            fill(&child, f->elem, elems + i * f->elem->size);
    }
}

static void fill(kn_parser *p, const kn_type *t, void *obj)
{
    for (size_t i = 0; i < t->n; i++) {
        const kn_field *f = &t->fields[i];
        switch (f->kind) {
        case KN_RAW: *MEMBER(obj, json_t *, f->at) = json_incref(p->obj); break;
        case KN_STR: *MEMBER(obj, char *, f->at) = kp_str(p, f->key); break;
        case KN_STR_REQ: *MEMBER(obj, char *, f->at) = kp_str_required(p, f->key); break;
        case KN_PROJECT: {
            char *id = kp_str(p, f->key);
            *MEMBER(obj, char *, f->at) = id ? id : kp_str(p, "tenant_id");
            break;
        }
        case KN_INT: *MEMBER(obj, int, f->at) = kp_int(p, f->key); break;
        case KN_LONG: *MEMBER(obj, long, f->at) = kp_long(p, f->key); break;
        case KN_BOOL_TRUE: *MEMBER(obj, bool, f->at) = kp_bool(p, f->key, true); break;
        case KN_BOOL_FALSE: *MEMBER(obj, bool, f->at) = kp_bool(p, f->key, false); break;
        case KN_STRV: *MEMBER(obj, kuryr_strv, f->at) = kp_strv(p, f->key); break;
        case KN_OBJECT: *MEMBER(obj, json_t *, f->at) = kp_object(p, f->key); break;
        case KN_ARRAY: fill_array(p, f, obj); break;
        }
    }
}

/* Frees what the members own; the struct itself stays. */
static void clear(const kn_type *t, void *obj)
{
    for (size_t i = 0; i < t->n; i++) {
        const kn_field *f = &t->fields[i];
        switch (f->kind) {
        case KN_RAW: json_decref(*MEMBER(obj, json_t *, f->at)); break;
        case KN_STR:
        case KN_STR_REQ:
        case KN_PROJECT: free(*MEMBER(obj, char *, f->at)); break;
        case KN_STRV: kuryr_strv_clear(MEMBER(obj, kuryr_strv, f->at)); break;
        case KN_ARRAY: {
            char *elems = *MEMBER(obj, void *, f->at);
            for (size_t k = 0; elems && k < *MEMBER(obj, size_t, f->count_at); k++)
                clear(f->elem, elems + k * f->elem->size);
            free(elems);
            break;
        }
        case KN_INT:
        case KN_LONG:
        case KN_BOOL_TRUE:
        case KN_BOOL_FALSE:
        case KN_OBJECT: break; /* nothing owned (an object member is borrowed from raw) */
        }
    }
}

/* ---- the public from_json / free pairs ---------------------------------------------------------------- */
#define KN_OBJECT_FUNCS(T, name, what)                                                                         \
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
        fill(&p, &name##_type, o);                                                                             \
        if (p.bad) {                                                                                           \
            T##_free(o);                                                                                       \
            return NULL;                                                                                       \
        }                                                                                                      \
        return o;                                                                                              \
    }                                                                                                          \
    void T##_free(T *o)                                                                                        \
    {                                                                                                          \
        if (!o)                                                                                                \
            return;                                                                                            \
        clear(&name##_type, o);                                                                                \
        free(o);                                                                                               \
    }
KN_OBJECT_FUNCS(kuryr_network, network, "network")
KN_OBJECT_FUNCS(kuryr_subnet, subnet, "subnet")
KN_OBJECT_FUNCS(kuryr_subnetpool, subnetpool, "subnetpool")
KN_OBJECT_FUNCS(kuryr_port, port, "port")
KN_OBJECT_FUNCS(kuryr_sg_rule, sg_rule, "security_group_rule")
KN_OBJECT_FUNCS(kuryr_security_group, security_group, "security_group")
KN_OBJECT_FUNCS(kuryr_trunk, trunk, "trunk")

kuryr_port *kuryr_port_copy(const kuryr_port *port)
{
    json_t *raw = port && port->raw ? json_deep_copy(port->raw) : NULL;
    kuryr_error err;
    kuryr_port *copy = raw ? kuryr_port_from_json(raw, &err) : NULL;
    json_decref(raw);
    return copy;
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
