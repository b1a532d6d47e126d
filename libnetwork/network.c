/* CreateNetwork/DeleteNetwork: a Docker network is a Neutron network with one subnet per address family. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "kuryr/doubt.h"
#include "handlers.h"
#include "kuryr/fault.h"
#include "kuryr/log.h"
#include "kuryr/owner.h"
#include "mapping.h"
#include "names.h"
#include "plugin.h"
#include "kuryr/port_deletes.h"
#include "vif_pool.h"
#include "validate.h"

typedef struct {
    const char *net_uuid, *net_name, *subnet_uuid[2], *subnet_name[2];
    bool shared;
} net_opts;

static int read_opts(json_t *generic, net_opts *o, kuryr_error *err)
{
    memset(o, 0, sizeof(*o));
    const char *keys[] = {"neutron.net.uuid", "neutron.net.name", "neutron.subnet.uuid", "neutron.subnet.name",
                          "neutron.subnet.v6.uuid", "neutron.subnet.v6.name"};
    const char **dst[] = {&o->net_uuid, &o->net_name, &o->subnet_uuid[0], &o->subnet_name[0], &o->subnet_uuid[1],
                          &o->subnet_name[1]};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        if (kl_get_str(generic, keys[i], false, dst[i], err) < 0)
            return -1;
        if (*dst[i] && !**dst[i])
            *dst[i] = NULL;
    }
    return kl_opt_bool(generic, "neutron.net.shared", false, &o->shared, err);
}

/* Adopts a network made outside kuryr: tagged, never deleted. */
static int adopt_network(kl_plugin *p, const char *docker_id, const net_opts *o, kl_net_map *m, kuryr_error *err)
{
    bool tags;
    if (kl_tags_supported(p, &tags, err) < 0)
        return -1;
    if (!tags)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL,
                               "using an existing Neutron network needs Neutron's tag extension");
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, o->net_uuid ? "id" : "name", o->net_uuid ? o->net_uuid : o->net_name);
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "mtu");
    kuryr_network_list l = {0};
    int rc = kuryr_neutron_network_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "looking up the existing Neutron network failed");
    size_t n = l.n;
    if (n != 1) {
        kuryr_network_list_clear(&l);
        const char *what = o->net_uuid ? o->net_uuid : o->net_name;
        if (n == 0)
            return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "Neutron network %s not found", what);
        return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL, "%zu Neutron networks are named %s", n, what);
    }
    snprintf(m->neutron_id, sizeof(m->neutron_id), "%s", l.items[0]->id);
    m->mtu = l.items[0]->mtu;
    m->existing = true;
    kuryr_network_list_clear(&l);
    char t[3][KL_NAME_LEN];
    kl_tag_lh(t[0], docker_id);
    kl_tag_uh(t[1], docker_id);
    kl_tag_net_existing(t[2], docker_id);
    const char *tagv[] = {t[0], t[1], t[2], p->owner};
    for (int i = 0; i < 4; i++) {
        if (kuryr_neutron_tag_add(p->kn, "networks", m->neutron_id, tagv[i], err) < 0)
            return kl_err_wrap(err, "tagging the existing Neutron network failed");
    }
    KLOG_INFO("adopted Neutron network %s", m->neutron_id);
    return 0;
}

static int make_network(kl_plugin *p, const char *docker_id, const net_opts *o, kl_net_map *m, kuryr_error *err)
{
    bool tags;
    if (kl_tags_supported(p, &tags, err) < 0)
        return -1;
    char name[KL_NAME_LEN], t[2][KL_NAME_LEN];
    if (tags)
        kl_net_name(name, docker_id);
    else
        snprintf(name, sizeof(name), "%s", docker_id);
    kl_tag_lh(t[0], docker_id);
    kl_tag_uh(t[1], docker_id);
    /* this host's marker: the network is its own (kuryr/owner.h) */
    const char *tagv[] = {t[0], t[1], p->owner};
    json_t *attrs = json_pack("{s:s,s:b}", "name", name, "admin_state_up", 1);
    if (o->shared)
        json_object_set_new(attrs, "shared", json_true());
    /* finds the network again if Neutron makes it after this request has given up on the answer (kuryr/doubt.h) */
    char marker[KURYR_DOUBT_MARKER_LEN];
    kuryr_doubt_marker(marker, sizeof(marker), p->hostname);
    json_object_set_new(attrs, "description", json_string(marker));
    kuryr_network *net = NULL;
    int rc = kuryr_neutron_network_create_tagged(p->kn, attrs, tagv, tags ? 3 : 0, &net, NULL, err);
    json_decref(attrs);
    if (rc < 0 && !net) {
        /* a 400 was retried already, so this is the one create that may still be carried out */
        if (err->kind == KURYR_ERR_UNAVAILABLE)
            kuryr_doubts_add_network(p->doubts, marker);
        return kl_err_wrap(err, "creating the Neutron network failed");
    }
    if (rc < 0) {
        kuryr_error ignored;
        /* Neutron gone between the two calls: the network is untagged, so the watch removes it */
        if (kuryr_neutron_network_delete(p->kn, net->id, &ignored) < 0 && ignored.kind != KURYR_ERR_NOT_FOUND)
            kuryr_doubts_add_network(p->doubts, marker);
        kuryr_network_free(net);
        return -1;
    }
    snprintf(m->neutron_id, sizeof(m->neutron_id), "%s", net->id);
    m->mtu = net->mtu;
    kuryr_network_free(net);
    KLOG_INFO("created Neutron network %s (%s)", name, m->neutron_id);
    KURYR_FAULT_POINT("create_network.network_created");
    return 0;
}

/* An existing subnet of the pool's CIDR in the chosen network stands for the pool: it gets the pool id as a
 * tag (as upstream), by which RequestAddress finds it. It is never deleted; ReleasePool removes the tag. */
static int adopt_subnet(kl_plugin *p, const kuryr_subnet *s, const char *pool_id, kuryr_error *err)
{
    if (!pool_id[0] || (s->subnetpool_id && strcmp(s->subnetpool_id, pool_id) == 0) ||
        kuryr_strv_contains(&s->tags, pool_id))
        return 0;
    bool tags;
    if (kl_tags_supported(p, &tags, err) < 0)
        return -1;
    if (!tags)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL,
                               "using existing subnet %s needs Neutron's tag extension", s->id);
    if (kuryr_neutron_tag_add(p->kn, "subnets", s->id, pool_id, err) < 0)
        return kl_err_wrap(err, "tagging the existing subnet with its pool failed");
    KLOG_INFO("existing subnet %s stands for pool %s", s->id, pool_id);
    return 0;
}

/* The subnet for one IPv4Data/IPv6Data entry, unless the network already has it. new_net: this call has just
 * created the network, which so has no subnet yet. Sets made[0] to the new subnet id, "" when none was
 * created. */
static int make_subnet(kl_plugin *p, const char *docker_id, const kl_net_map *m, bool new_net, json_t *data,
                       int fam, const net_opts *o, char made[64], kuryr_error *err)
{
    made[0] = '\0';
    const char *pool, *gw;
    if (kl_get_str(data, "Pool", true, &pool, err) < 0 || kl_get_str(data, "Gateway", false, &gw, err) < 0)
        return -1;
    int f;
    if (!kl_valid_cidr(pool, &f) || f != fam)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Pool %s is not an IPv%d CIDR", pool, fam);
    char gw_ip[KL_ADDR_STRLEN] = "", pool_cidr[KL_ADDR_STRLEN];
    if (gw && *gw && (kl_addr_strip_prefix(gw, gw_ip, sizeof(gw_ip)) < 0 || !kl_valid_ip(gw_ip, &f) || f != fam))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Gateway %s is not an IPv%d address", gw, fam);
    kl_cidr c;
    kl_cidr_parse(pool, &c);
    kl_cidr_format(&c, pool_cidr, sizeof(pool_cidr));

    int k = fam == 6;
    if (o->subnet_uuid[k] || o->subnet_name[k]) {
        /* an existing subnet named by option: it must be in this network, and stays as it is */
        kuryr_query *q = kuryr_query_new();
        kuryr_query_add(q, o->subnet_uuid[k] ? "id" : "name", o->subnet_uuid[k] ? o->subnet_uuid[k] : o->subnet_name[k]);
        kuryr_query_add(q, "network_id", m->neutron_id);
        kuryr_query_field(q, "id");
        kuryr_subnet_list l = {0};
        int rc = kuryr_neutron_subnet_list(p->kn, q, &l, err);
        kuryr_query_free(q);
        size_t n = l.n;
        kuryr_subnet_list_clear(&l);
        if (rc < 0)
            return kl_err_wrap(err, "looking up the existing subnet failed");
        if (n == 0)
            return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "subnet %s not found in network %s",
                                   o->subnet_uuid[k] ? o->subnet_uuid[k] : o->subnet_name[k], m->neutron_id);
        return 0;
    }

    kl_pool_info info;
    if (!kl_pool_claim(p, pool_cidr, docker_id, &info) &&
        kl_pool_find_for_cidr(p, pool_cidr, fam, docker_id, &info, err) < 0) {
        /* RequestPool was answered before a restart, and Neutron has no trace of its pool */
        if (err->kind != KURYR_ERR_NOT_FOUND)
            return -1;
        kuryr_error_clear(err);
        memset(&info, 0, sizeof(info));
        snprintf(info.subnet_cidr, sizeof(info.subnet_cidr), "%s", pool_cidr);
        KLOG_WARN("no pool for %s: its subnet is made without one", pool_cidr);
    }
    if (info.existing_subnet)
        return 0; /* --ipam-opt neutron.subnet.*: the subnet exists already */

    int rc;
    if (!new_net) {
        /* a retried CreateNetwork, or an existing network that already has it */
        kuryr_query *q = kuryr_query_new();
        kuryr_query_add(q, "network_id", m->neutron_id);
        kuryr_query_add(q, "cidr", info.subnet_cidr);
        kuryr_query_field(q, "id");
        kuryr_query_field(q, "subnetpool_id");
        kuryr_query_field(q, "tags");
        kuryr_subnet_list l = {0};
        rc = kuryr_neutron_subnet_list(p->kn, q, &l, err);
        kuryr_query_free(q);
        if (rc < 0)
            return kl_err_wrap(err, "looking up the network's subnets failed");
        if (l.n) {
            rc = adopt_subnet(p, l.items[0], info.pool_id, err);
            kuryr_subnet_list_clear(&l);
            return rc;
        }
        kuryr_subnet_list_clear(&l);
    }

    char name[KL_NAME_LEN];
    kl_subnet_name(name, info.subnet_cidr);
    json_t *attrs = json_pack("{s:s,s:s,s:i,s:s,s:b}", "name", name, "network_id", m->neutron_id, "ip_version", fam,
                              "cidr", info.subnet_cidr, "enable_dhcp",
                              kuryr_config_get_bool(p->cfg, "neutron", "enable_dhcp"));
    if (info.pool_id[0])
        json_object_set_new(attrs, "subnetpool_id", json_string(info.pool_id));
    if (gw_ip[0])
        json_object_set_new(attrs, "gateway_ip", json_string(gw_ip));
    const char *tagv[] = {p->owner, info.pool_id};
    size_t ntags = info.pool_id[0] ? 2 : 1;
    bool tags;
    if (kl_tags_supported(p, &tags, err) < 0) {
        json_decref(attrs);
        return -1;
    }
    if (!tags)
        ntags = 0;
    kuryr_subnet *sub = NULL;
    rc = kuryr_neutron_subnet_create_tagged(p->kn, attrs, tagv, ntags, &sub, NULL, err);
    json_decref(attrs);
    if (rc < 0 && !sub)
        return kl_err_wrap(err, "creating the Neutron subnet failed");
    snprintf(made, 64, "%s", sub->id); /* the roll-back deletes it, tagged or not */
    if (rc < 0) {
        kuryr_subnet_free(sub);
        return -1;
    }
    KLOG_INFO("created subnet %s (%s)", name, made);
    KURYR_FAULT_POINT("create_network.subnet_created");
    /* The network's first RequestAddress would otherwise look this subnet up again, on the first container's
     * path. Every PoolID of ours names one subnet: a pool made for this network alone, or a CIDR's block. */
    if (info.docker_pool_id[0] && sub->raw)
        kl_subnet_cache_put(p, info.docker_pool_id, m->neutron_id, sub->raw);
    kuryr_subnet_free(sub);
    return 0;
}

/* Undoes a failed CreateNetwork. */
static void rollback(kl_plugin *p, const char *docker_id, const kl_net_map *m, bool made_net, char made[2][64])
{
    kuryr_error ignored;
    if (made_net) {
        kuryr_neutron_network_delete(p->kn, m->neutron_id, &ignored);
    } else if (m->neutron_id[0]) {
        for (int i = 0; i < 2; i++) {
            if (made[i][0])
                kuryr_neutron_subnet_delete(p->kn, made[i], &ignored);
        }
        char t[KL_NAME_LEN];
        kl_tag_lh(t, docker_id);
        kuryr_neutron_tag_remove(p->kn, "networks", m->neutron_id, t, &ignored);
        kl_tag_uh(t, docker_id);
        kuryr_neutron_tag_remove(p->kn, "networks", m->neutron_id, t, &ignored);
        kl_tag_net_existing(t, docker_id);
        kuryr_neutron_tag_remove(p->kn, "networks", m->neutron_id, t, &ignored);
        if (m->existing)
            kuryr_neutron_tag_remove(p->kn, "networks", m->neutron_id, p->owner, &ignored);
    }
    kl_subnet_cache_drop_net(p, m->neutron_id);
    kl_pool_unclaim(p, docker_id);
}

/* Checks every IPv4Data/IPv6Data entry before anything is created in Neutron. */
static int check_data(json_t *data[2], kuryr_error *err)
{
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *entry;
        json_array_foreach(data[k], i, entry) {
            const char *pool, *gw;
            int f, fam = k ? 6 : 4;
            char ip[KL_ADDR_STRLEN];
            if (!json_is_object(entry))
                return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "IPv%dData entries must be objects",
                                       fam);
            if (kl_get_str(entry, "Pool", true, &pool, err) < 0 || kl_get_str(entry, "Gateway", false, &gw, err) < 0)
                return -1;
            if (!kl_valid_cidr(pool, &f) || f != fam)
                return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Pool %s is not an IPv%d CIDR", pool,
                                       fam);
            if (gw && *gw &&
                (kl_addr_strip_prefix(gw, ip, sizeof(ip)) < 0 || !kl_valid_ip(ip, &f) || f != fam))
                return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Gateway %s is not an IPv%d address",
                                       gw, fam);
        }
    }
    return 0;
}

KL_HANDLER(kl_h_create_network)
{
    const char *docker_id;
    json_t *opts, *generic, *data[2];
    net_opts o;
    if (kl_get_id(req, "NetworkID", &docker_id, err) < 0 || kl_get_obj(req, "Options", &opts, err) < 0 ||
        kl_get_obj(opts, KL_OPT_GENERIC, &generic, err) < 0 || kl_get_arr(req, "IPv4Data", &data[0], err) < 0 ||
        kl_get_arr(req, "IPv6Data", &data[1], err) < 0 || read_opts(generic, &o, err) < 0 ||
        check_data(data, err) < 0)
        return -1;
    kuryr_log_ctx_set("net", docker_id);
    if (p->vif_pool && json_array_size(data[0]) && json_array_size(data[1]))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL,
                               "a network with both IPv4 and IPv6 subnets needs [vif_pool] enabled = False: with "
                               "the port pool Docker sends IPAM no MAC to tie an endpoint's two addresses to one "
                               "Neutron port");

    kl_net_map m;
    memset(&m, 0, sizeof(m));
    bool made_net = false;
    if (kl_net_lookup(p, docker_id, &m, err) == 0) {
        /* a retry, or a global-scope network another host made: this host uses it too, and says so */
        KLOG_INFO("network already mapped to %s: completing it", m.neutron_id);
        if (kuryr_neutron_tag_add(p->kn, "networks", m.neutron_id, p->owner, err) < 0)
            return kl_err_wrap(err, "marking the network as this host's too failed");
    } else if (err->kind != KURYR_ERR_NOT_FOUND) {
        return -1;
    } else {
        snprintf(m.docker_id, sizeof(m.docker_id), "%s", docker_id);
        kuryr_error_clear(err);
        if (o.net_uuid || o.net_name) {
            if (adopt_network(p, docker_id, &o, &m, err) < 0)
                return -1;
        } else {
            if (make_network(p, docker_id, &o, &m, err) < 0)
                return -1;
            made_net = true;
        }
    }
    kuryr_log_ctx_set("neutron_net", m.neutron_id);

    char made[2][64] = {"", ""};
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *entry;
        json_array_foreach(data[k], i, entry) {
            char id[64];
            if (make_subnet(p, docker_id, &m, made_net, entry, k ? 6 : 4, &o, id, err) < 0)
                goto fail;
            if (id[0])
                memcpy(made[k], id, sizeof(id));
        }
    }
    kl_net_cache_put(p, &m);
    for (int k = 0; k < 2; k++) {
        if (made[k][0])
            kl_vif_pool_seed(p->vif_pool, m.neutron_id, made[k]);
    }
    *resp = json_object();
    return 0;
fail:
    rollback(p, docker_id, &m, made_net, made);
    kl_net_cache_drop(p, docker_id);
    return -1;
}

/* An adopted network loses kuryr's subnets and tags but stays. */
static int release_existing(kl_plugin *p, const char *docker_id, const kl_net_map *m, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "network_id", m->neutron_id);
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "name");
    kuryr_subnet_list l = {0};
    if (kuryr_neutron_subnet_list(p->kn, q, &l, err) < 0) {
        kuryr_query_free(q);
        return kl_err_wrap(err, "listing the network's subnets failed");
    }
    kuryr_query_free(q);
    int rc = 0;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        const char *name = l.items[i]->name;
        if (!name || strncmp(name, KL_SUBNET_NAME_PREFIX, strlen(KL_SUBNET_NAME_PREFIX)) != 0)
            continue;
        rc = kuryr_neutron_subnet_delete(p->kn, l.items[i]->id, err);
        if (rc < 0 && err->kind == KURYR_ERR_NOT_FOUND)
            rc = 0;
    }
    kuryr_subnet_list_clear(&l);
    if (rc < 0)
        return kl_err_wrap(err, "deleting kuryr's subnet failed");
    char t[3][KL_NAME_LEN];
    kl_tag_lh(t[0], docker_id);
    kl_tag_uh(t[1], docker_id);
    kl_tag_net_existing(t[2], docker_id);
    for (int i = 0; i < 3; i++) {
        if (kuryr_neutron_tag_remove(p->kn, "networks", m->neutron_id, t[i], err) < 0)
            return kl_err_wrap(err, "untagging the existing network failed");
    }
    KLOG_INFO("released adopted Neutron network %s (kept)", m->neutron_id);
    return 0;
}

/* Docker releases aux and gateway addresses only after DeleteNetwork, but Neutron refuses to delete a
 * network that still has ports: kuryr's IPAM ports that no endpoint uses go first (ReleaseAddress then finds
 * nothing), the ready ports of a pool among them. */
static int delete_unbound_ports(kl_plugin *p, const char *net_id, bool mine_only, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "network_id", net_id);
    kuryr_query_add(q, "tags", KL_TAG_PORT_KURYR);
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "device_id");
    kuryr_query_field(q, "name");
    kuryr_query_field(q, "description");
    kuryr_query_field(q, "tags");
    kuryr_query_field(q, "binding:host_id");
    kuryr_port_list l = {0};
    int rc = kuryr_neutron_port_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "listing the network's ports failed");
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        if (kl_vif_pool_port_endpoint(l.items[i], NULL))
            continue; /* an endpoint's: Neutron's refusal is the right answer */
        if (mine_only && !kl_port_is_mine(p, l.items[i]))
            continue; /* another host still uses the network: its ports are its own */
        rc = kuryr_neutron_port_delete(p->kn, l.items[i]->id, err);
        if (rc < 0 && err->kind == KURYR_ERR_NOT_FOUND)
            rc = 0;
        if (rc < 0)
            kl_err_wrap(err, "deleting an unbound kuryr port failed");
        else
            KLOG_INFO("deleted unbound port %s", l.items[i]->id);
    }
    kuryr_port_list_clear(&l);
    return rc;
}

/* A network several hosts use (global scope) goes with the last of them. This host's marker goes first and
 * the others are counted after it, so that of two hosts letting go at once at least one deletes it (the other
 * then finds it gone). *others: how many other hosts still mark it. */
static int let_go(kl_plugin *p, const char *net_id, size_t *others, kuryr_error *err)
{
    *others = 0;
    bool tags;
    if (kl_tags_supported(p, &tags, err) < 0)
        return -1;
    if (!tags)
        return 0; /* no markers without tags: the network is this host's alone, as upstream has it */
    if (kuryr_neutron_tag_remove(p->kn, "networks", net_id, p->owner, err) < 0 && err->kind != KURYR_ERR_NOT_FOUND)
        return kl_err_wrap(err, "removing this host's marker from the network failed");
    kuryr_error_clear(err);
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "id", net_id);
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "tags");
    kuryr_network_list l = {0};
    int rc = kuryr_neutron_network_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "reading the network's owners failed");
    if (l.n)
        *others = kuryr_owner_others(&l.items[0]->tags, KURYR_OWNER_HOST, p->hostname);
    kuryr_network_list_clear(&l);
    return 0;
}

/* The network stays for other hosts. An adopted one loses this host's kuryr.net.existing tag; the lh/uh pair
 * stays, since with global scope every host's Docker network has the same id and so the same pair. */
static int untag_docker_id(kl_plugin *p, const char *docker_id, const kl_net_map *m, kuryr_error *err)
{
    if (!m->existing)
        return 0;
    char t[KL_NAME_LEN];
    kl_tag_net_existing(t, docker_id);
    if (kuryr_neutron_tag_remove(p->kn, "networks", m->neutron_id, t, err) < 0 && err->kind != KURYR_ERR_NOT_FOUND)
        return kl_err_wrap(err, "untagging the network other hosts use failed");
    kuryr_error_clear(err);
    return 0;
}

/* The subnetpools of the network's subnets, gathered before the subnets go. */
static int network_pools(kl_plugin *p, const char *net_id, kuryr_strv *out, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "network_id", net_id);
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "subnetpool_id");
    kuryr_subnet_list l = {0};
    int rc = kuryr_neutron_subnet_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "listing the network's subnets failed");
    out->items = calloc(l.n + 1, sizeof(*out->items));
    out->n = 0;
    for (size_t i = 0; out->items && i < l.n; i++) {
        const char *id = l.items[i]->subnetpool_id;
        if (id && *id && !kuryr_strv_contains(out, id) && (out->items[out->n] = strdup(id)))
            out->n++;
    }
    kuryr_subnet_list_clear(&l);
    if (!out->items)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    return 0;
}

KL_HANDLER(kl_h_delete_network)
{
    const char *docker_id;
    if (kl_get_id(req, "NetworkID", &docker_id, err) < 0)
        return -1;
    kuryr_log_ctx_set("net", docker_id);
    kl_net_map m;
    if (kl_net_lookup(p, docker_id, &m, err) < 0) {
        if (err->kind != KURYR_ERR_NOT_FOUND)
            return -1;
        /* already gone: deleting twice is not an error for Docker */
        KLOG_WARN("no Neutron network for Docker network %.12s: nothing to delete", docker_id);
        kl_pool_unclaim(p, docker_id);
        *resp = json_object();
        return 0;
    }
    kuryr_log_ctx_set("neutron_net", m.neutron_id);
    /* Neutron refuses to delete a network whose released ports are still queued for deletion */
    if (!kuryr_port_deletes_wait_net(p->releases, m.neutron_id, KURYR_PORT_DELETE_WAIT_S))
        KLOG_WARN("ports released on network %s are still being deleted", m.neutron_id);
    /* its ready pool ports are unbound kuryr ports too, deleted just below */
    kl_vif_pool_close_net(p->vif_pool, m.neutron_id, KURYR_PORT_DELETE_WAIT_S);
    size_t others;
    if (let_go(p, m.neutron_id, &others, err) < 0)
        return -1;
    if (others) {
        if (delete_unbound_ports(p, m.neutron_id, true, err) < 0 || untag_docker_id(p, docker_id, &m, err) < 0)
            return -1;
        KLOG_INFO("Neutron network %s kept: %zu other host(s) still use it", m.neutron_id, others);
        kl_net_cache_drop(p, docker_id);
        kl_subnet_cache_drop_net(p, m.neutron_id);
        kl_pool_unclaim(p, docker_id);
        *resp = json_object();
        return 0;
    }
    kuryr_strv pools = {0};
    if (delete_unbound_ports(p, m.neutron_id, false, err) < 0 || network_pools(p, m.neutron_id, &pools, err) < 0)
        return -1;
    int rc = 0;
    if (m.existing) {
        rc = release_existing(p, docker_id, &m, err);
    } else if (kuryr_neutron_network_delete(p->kn, m.neutron_id, err) < 0) {
        if (err->kind != KURYR_ERR_NOT_FOUND)
            rc = kl_err_wrap(err, "deleting the Neutron network failed");
    } else {
        KLOG_INFO("deleted Neutron network %s", m.neutron_id);
        KURYR_FAULT_POINT("delete_network.network_deleted");
    }
    /* Docker 20.10 releases the pools before this call, when their subnets still held them */
    for (size_t i = 0; rc == 0 && i < pools.n; i++) {
        bool deleted;
        kuryr_error perr;
        kuryr_error_clear(&perr);
        if (kl_pool_delete_if_ours(p, pools.items[i], &deleted, &perr) < 0)
            KLOG_WARN("subnetpool %s was not deleted: %s", pools.items[i], perr.message);
    }
    kuryr_strv_clear(&pools);
    if (rc < 0)
        return -1;
    kl_net_cache_drop(p, docker_id);
    kl_subnet_cache_drop_net(p, m.neutron_id);
    kl_pool_unclaim(p, docker_id);
    *resp = json_object();
    return 0;
}

/* Swarm-scope allocation needs nothing from Neutron beyond what CreateNetwork does on each node. */
KL_HANDLER(kl_h_allocate_network)
{
    const char *docker_id;
    (void)p;
    if (kl_get_id(req, "NetworkID", &docker_id, err) < 0)
        return -1;
    *resp = json_pack("{s:{}}", "Options");
    return 0;
}

KL_HANDLER(kl_h_free_network)
{
    const char *docker_id;
    (void)p;
    if (kl_get_id(req, "NetworkID", &docker_id, err) < 0)
        return -1;
    *resp = json_object();
    return 0;
}
