/* Neutron v2.0 client: typed objects, list filters with repeated keys, fields selection, pagination, tags,
 * trunks, extensions, and errors mapped to kuryr_err_kind.
 *
 * Objects are parsed into structs holding the attributes Kuryr uses; `raw` keeps the whole JSON object for
 * anything else. Create and update take the attribute object as jansson json_t (borrowed), because the set of
 * attributes a caller sends varies per call while the response shape does not. Every function returns 0 or
 * -1 with err set; outputs are owned by the caller and freed with the matching *_free. */
#ifndef KURYR_NEUTRON_H
#define KURYR_NEUTRON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kuryr/error.h"
#include "kuryr/keystone.h"

typedef struct kuryr_neutron kuryr_neutron;

/* auth must outlive the client. */
kuryr_neutron *kuryr_neutron_new(kuryr_auth *auth);
void kuryr_neutron_free(kuryr_neutron *kn);

/* ---- list queries ------------------------------------------------------------------------------------ */
typedef struct kuryr_query kuryr_query;
kuryr_query *kuryr_query_new(void);
void kuryr_query_free(kuryr_query *q);
/* Appends key=value; repeated keys are kept (fixed_ips=subnet_id=X&fixed_ips=ip_address=Y). Both escaped. */
void kuryr_query_add(kuryr_query *q, const char *key, const char *value);
/* Restricts the attributes returned (fields=id&fields=name...). */
void kuryr_query_field(kuryr_query *q, const char *field);
/* Page size; lists still return every item, following the next links. 0 = server default. */
void kuryr_query_limit(kuryr_query *q, int limit);
/* The encoded query string without '?', "" when empty. Owned by q, valid until the next change. */
const char *kuryr_query_string(kuryr_query *q);

/* ---- objects ----------------------------------------------------------------------------------------- */
typedef struct {
    char **items;   /* NULL-terminated */
    size_t n;
} kuryr_strv;

typedef struct {
    char *subnet_id;
    char *ip_address;
} kuryr_fixed_ip;

typedef struct {
    char *ip_address;   /* an address or a CIDR */
    char *mac_address;  /* NULL if not set */
} kuryr_address_pair;

typedef struct {
    char *destination;
    char *nexthop;
} kuryr_host_route;

typedef struct {
    char *id, *name, *status, *project_id;
    int mtu;                /* 0 if absent */
    bool shared, admin_state_up;
    long revision_number;
    kuryr_strv subnets;
    kuryr_strv tags;
    json_t *raw;
} kuryr_network;

typedef struct {
    char *id, *name, *network_id, *cidr, *gateway_ip, *subnetpool_id, *project_id;
    int ip_version;
    bool enable_dhcp;
    kuryr_host_route *host_routes;
    size_t n_host_routes;
    kuryr_strv tags;
    long revision_number;
    json_t *raw;
} kuryr_subnet;

typedef struct {
    char *id, *name, *project_id;
    int ip_version;
    int default_prefixlen, min_prefixlen, max_prefixlen; /* Neutron may send these as strings: both accepted */
    bool shared, is_default;
    kuryr_strv prefixes;
    kuryr_strv tags;
    long revision_number;
    json_t *raw;
} kuryr_subnetpool;

typedef struct {
    char *id, *name, *network_id, *mac_address, *status, *device_owner, *device_id, *project_id;
    char *binding_host_id, *binding_vif_type, *binding_vnic_type;
    json_t *binding_vif_details;  /* object, borrowed from raw; NULL if absent */
    bool admin_state_up;
    kuryr_fixed_ip *fixed_ips;
    size_t n_fixed_ips;
    kuryr_address_pair *allowed_address_pairs;
    size_t n_allowed_address_pairs;
    kuryr_strv security_groups;
    kuryr_strv tags;
    long revision_number;
    json_t *raw;
} kuryr_port;

typedef struct {
    char *id, *security_group_id, *direction, *ethertype, *protocol, *remote_ip_prefix, *remote_group_id;
    int port_range_min, port_range_max;  /* 0 if null */
    json_t *raw;
} kuryr_sg_rule;

typedef struct {
    char *id, *name, *description, *project_id;
    kuryr_sg_rule *rules;
    size_t n_rules;
    kuryr_strv tags;
    long revision_number;
    json_t *raw;
} kuryr_security_group;

typedef struct {
    char *port_id, *segmentation_type;
    int segmentation_id;
} kuryr_subport;

typedef struct {
    char *id, *name, *port_id, *status, *project_id;
    kuryr_subport *sub_ports;
    size_t n_sub_ports;
    kuryr_strv tags;
    long revision_number;
    json_t *raw;
} kuryr_trunk;

#define KURYR_LIST_OF(T) struct { T **items; size_t n; }
typedef KURYR_LIST_OF(kuryr_network) kuryr_network_list;
typedef KURYR_LIST_OF(kuryr_subnet) kuryr_subnet_list;
typedef KURYR_LIST_OF(kuryr_subnetpool) kuryr_subnetpool_list;
typedef KURYR_LIST_OF(kuryr_port) kuryr_port_list;
typedef KURYR_LIST_OF(kuryr_security_group) kuryr_security_group_list;
typedef KURYR_LIST_OF(kuryr_sg_rule) kuryr_sg_rule_list;
typedef KURYR_LIST_OF(kuryr_trunk) kuryr_trunk_list;

/* Parsers from one JSON object (not the {"network": {...}} envelope); exposed for unit tests and fuzzing.
 * Return NULL with err set when a required attribute (id) is missing or a type is wrong. obj is borrowed
 * (raw takes its own reference). */
kuryr_network *kuryr_network_from_json(json_t *obj, kuryr_error *err);
kuryr_subnet *kuryr_subnet_from_json(json_t *obj, kuryr_error *err);
kuryr_subnetpool *kuryr_subnetpool_from_json(json_t *obj, kuryr_error *err);
kuryr_port *kuryr_port_from_json(json_t *obj, kuryr_error *err);
kuryr_security_group *kuryr_security_group_from_json(json_t *obj, kuryr_error *err);
kuryr_sg_rule *kuryr_sg_rule_from_json(json_t *obj, kuryr_error *err);
kuryr_trunk *kuryr_trunk_from_json(json_t *obj, kuryr_error *err);

/* An independent copy of a parsed port (from its raw JSON); NULL when out of memory. */
kuryr_port *kuryr_port_copy(const kuryr_port *port);

void kuryr_network_free(kuryr_network *o);
void kuryr_subnet_free(kuryr_subnet *o);
void kuryr_subnetpool_free(kuryr_subnetpool *o);
void kuryr_port_free(kuryr_port *o);
void kuryr_security_group_free(kuryr_security_group *o);
void kuryr_sg_rule_free(kuryr_sg_rule *o);
void kuryr_trunk_free(kuryr_trunk *o);

void kuryr_network_list_clear(kuryr_network_list *l);
void kuryr_subnet_list_clear(kuryr_subnet_list *l);
void kuryr_subnetpool_list_clear(kuryr_subnetpool_list *l);
void kuryr_port_list_clear(kuryr_port_list *l);
void kuryr_security_group_list_clear(kuryr_security_group_list *l);
void kuryr_sg_rule_list_clear(kuryr_sg_rule_list *l);
void kuryr_trunk_list_clear(kuryr_trunk_list *l);

bool kuryr_strv_contains(const kuryr_strv *v, const char *s);

/* Maps a Neutron error answer ({"NeutronError": {"type", "message", "detail"}}) to err. Exposed for tests. */
void kuryr_neutron_error_from_response(long status, const char *body, kuryr_error *err);

/* ---- operations -------------------------------------------------------------------------------------- */
/* For each resource: create (attrs borrowed; out may be NULL), get, list (q may be NULL), update, delete.
 * A delete of something already gone returns -1 with KURYR_ERR_NOT_FOUND: callers that want idempotency
 * test for it. */
#define KURYR_NEUTRON_CRUD_DECL(T, name)                                                                       \
    int kuryr_neutron_##name##_create(kuryr_neutron *kn, json_t *attrs, T **out, kuryr_error *err);          \
    int kuryr_neutron_##name##_get(kuryr_neutron *kn, const char *id, T **out, kuryr_error *err);            \
    int kuryr_neutron_##name##_list(kuryr_neutron *kn, kuryr_query *q, T##_list *out, kuryr_error *err);     \
    int kuryr_neutron_##name##_update(kuryr_neutron *kn, const char *id, json_t *attrs, T **out,             \
                                      kuryr_error *err);                                                      \
    int kuryr_neutron_##name##_delete(kuryr_neutron *kn, const char *id, kuryr_error *err);

KURYR_NEUTRON_CRUD_DECL(kuryr_network, network)
KURYR_NEUTRON_CRUD_DECL(kuryr_subnet, subnet)
KURYR_NEUTRON_CRUD_DECL(kuryr_subnetpool, subnetpool)
KURYR_NEUTRON_CRUD_DECL(kuryr_port, port)
KURYR_NEUTRON_CRUD_DECL(kuryr_security_group, security_group)
KURYR_NEUTRON_CRUD_DECL(kuryr_sg_rule, sg_rule)   /* /v2.0/security-group-rules; update is rejected by Neutron */
KURYR_NEUTRON_CRUD_DECL(kuryr_trunk, trunk)

/* Creates several ports in one request (POST /v2.0/ports with {"ports": [...]}): Neutron makes all of them or
 * none. out receives them in the order of attrs_list (borrowed, a non-empty array of attribute objects). */
int kuryr_neutron_port_create_bulk(kuryr_neutron *kn, json_t *attrs_list, kuryr_port_list *out, kuryr_error *err);

/* A port update sent with If-Match: revision_number=<revision_number>: Neutron applies it only if the port is
 * still at that revision, else answers 412, reported as KURYR_ERR_CONFLICT (re-read and try again). */
int kuryr_neutron_port_update_if_revision(kuryr_neutron *kn, const char *id, json_t *attrs, long revision_number,
                                          kuryr_port **out, kuryr_error *err);

/* Trunk subports (PUT /v2.0/trunks/{id}/add_subports and remove_subports). */
int kuryr_neutron_trunk_add_subports(kuryr_neutron *kn, const char *trunk_id, const kuryr_subport *subs,
                                     size_t n, kuryr_trunk **out, kuryr_error *err);
int kuryr_neutron_trunk_remove_subports(kuryr_neutron *kn, const char *trunk_id, const char *const *port_ids,
                                        size_t n, kuryr_trunk **out, kuryr_error *err);

/* Tags on any resource collection ("networks", "subnets", "subnetpools", "ports", "security-groups",
 * "trunks"). Adding an existing tag and removing a missing one both succeed. */
int kuryr_neutron_tag_add(kuryr_neutron *kn, const char *collection, const char *id, const char *tag,
                          kuryr_error *err);
int kuryr_neutron_tag_remove(kuryr_neutron *kn, const char *collection, const char *id, const char *tag,
                             kuryr_error *err);
int kuryr_neutron_tags_replace(kuryr_neutron *kn, const char *collection, const char *id,
                               const char *const *tags, size_t n, kuryr_error *err);

/* Creates an object that carries tags from birth. While this Neutron takes "tags" in a create body they go
 * there (one round trip); a create refused with a 400 naming "tags" is sent once more without them, and one
 * whose answer lacks them (some releases take a port's "tags" in POST and drop them) is tagged with one more
 * call. Either turns body tags off for later creates of this client, which then tag with a call after the
 * create. n == 0 is a plain create. attrs is borrowed (its "tags" member may be added and removed).
 * On success *out is the object as created and *tagged_after (may be NULL) tells whether the tags went in a
 * separate call, in which case *out does not show them. On failure *out is NULL when nothing was created, or
 * the created object when only the tags call failed: it is untagged, and the caller deletes it. */
#define KURYR_NEUTRON_CREATE_TAGGED_DECL(T, name)                                                              \
    int kuryr_neutron_##name##_create_tagged(kuryr_neutron *kn, json_t *attrs, const char *const *tags,       \
                                             size_t n, T **out, bool *tagged_after, kuryr_error *err);
KURYR_NEUTRON_CREATE_TAGGED_DECL(kuryr_network, network)
KURYR_NEUTRON_CREATE_TAGGED_DECL(kuryr_subnet, subnet)
KURYR_NEUTRON_CREATE_TAGGED_DECL(kuryr_subnetpool, subnetpool)
KURYR_NEUTRON_CREATE_TAGGED_DECL(kuryr_port, port)
/* False once this Neutron has refused or dropped tags in a create body: objects then get their tags only after
 * they exist, so a create that is carried out late (after its request gave up) has none. */
bool kuryr_neutron_tags_in_body(kuryr_neutron *kn);

/* Extension aliases, fetched once and cached. */
int kuryr_neutron_extensions(kuryr_neutron *kn, kuryr_strv *out, kuryr_error *err);
bool kuryr_neutron_has_extension(kuryr_neutron *kn, const char *alias);

void kuryr_strv_clear(kuryr_strv *v);

#endif
