/* Remote IPAM: Docker pools map to Neutron subnetpools, addresses to Neutron ports.
 *
 * A pool given with --subnet gets its own subnetpool (kuryrPool-<cidr>), used by one network only, so
 * overlapping CIDRs in different networks never meet in one pool. Without --subnet a block of the pool's
 * default prefix length is carved from the shared default pool; its PoolID carries the CIDR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "handlers.h"
#include "kuryr/log.h"
#include "mapping.h"
#include "names.h"
#include "plugin.h"
#include "validate.h"

#define MAX_CARVE_TRIES 65536UL

static const char *pool_prefix(kl_plugin *p)
{
    const char *s = kuryr_config_get_str(p->cfg, "DEFAULT", "subnetpool_name_prefix");
    return *s ? s : "kuryrPool";
}

/* A subnetpool by id or by name; NOT_FOUND when absent. */
static int find_subnetpool(kl_plugin *p, const char *id, const char *name, kuryr_subnetpool **out,
                           kuryr_error *err)
{
    *out = NULL;
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, id ? "id" : "name", id ? id : name);
    kuryr_subnetpool_list l = {0};
    int rc = kuryr_neutron_subnetpool_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "looking up the Neutron subnetpool failed");
    if (l.n == 0) {
        kuryr_subnetpool_list_clear(&l);
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "Neutron subnetpool %s not found",
                               id ? id : name);
    }
    *out = l.items[0];
    for (size_t i = 1; i < l.n; i++)
        kuryr_subnetpool_free(l.items[i]);
    l.n = 0;
    kuryr_subnetpool_list_clear(&l);
    return 0;
}

/* Carves the first free block of the pool's default prefix length, skipping subnets Neutron already has and
 * blocks this daemon handed out but whose network is not created yet. */
static int carve(kl_plugin *p, const kuryr_subnetpool *pool, kl_pool_info *info, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "subnetpool_id", pool->id);
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "cidr");
    kuryr_subnet_list used = {0};
    int rc = kuryr_neutron_subnet_list(p->kn, q, &used, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "listing the default pool's subnets failed");
    rc = -1;
    for (size_t pi = 0; pi < pool->prefixes.n && rc < 0; pi++) {
        const char *prefix = pool->prefixes.items[pi];
        int len = pool->default_prefixlen;
        int plen = kl_cidr_prefixlen(prefix);
        if (len <= 0 || len < plen)
            len = plen < 24 && pool->ip_version == 4 ? 24 : (pool->ip_version == 6 && plen < 64 ? 64 : plen);
        for (unsigned long i = 0; i < MAX_CARVE_TRIES && rc < 0; i++) {
            char cidr[KL_ADDR_STRLEN];
            if (kl_cidr_nth_subnet(prefix, len, i, cidr, sizeof(cidr)) < 0)
                break;
            bool busy = false;
            for (size_t k = 0; k < used.n && !busy; k++)
                busy = used.items[k]->cidr && kl_cidr_overlaps(used.items[k]->cidr, cidr);
            if (busy)
                continue;
            snprintf(info->pool_cidr, sizeof(info->pool_cidr), "%s", cidr);
            snprintf(info->subnet_cidr, sizeof(info->subnet_cidr), "%s", cidr);
            kl_pool_id_format(info->docker_pool_id, pool->id, cidr);
            if (kl_pool_remember(p, info))
                rc = 0;
        }
    }
    kuryr_subnet_list_clear(&used);
    if (rc < 0)
        return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL, "subnetpool %s has no free /%d left",
                               pool->name ? pool->name : pool->id, pool->default_prefixlen);
    return 0;
}

/* A pool of our own for one network: reuse one nobody uses yet (an identical retried request), else make
 * one. */
static int own_pool(kl_plugin *p, const char *pool_cidr, const char *subnet_cidr, kl_pool_info *info,
                    kuryr_error *err)
{
    char name[KL_NAME_LEN];
    kl_pool_name(name, pool_prefix(p), subnet_cidr);
    snprintf(info->pool_cidr, sizeof(info->pool_cidr), "%s", pool_cidr);
    snprintf(info->subnet_cidr, sizeof(info->subnet_cidr), "%s", subnet_cidr);

    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "name", name);
    kuryr_query_field(q, "id");
    kuryr_subnetpool_list pools = {0};
    int rc = kuryr_neutron_subnetpool_list(p->kn, q, &pools, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "looking up the subnetpool failed");
    for (size_t i = 0; i < pools.n; i++) {
        kl_pool_info known;
        if (kl_pool_by_docker_id(p, pools.items[i]->id, &known)) {
            if (!known.claimed_by[0] && strcmp(known.pool_cidr, pool_cidr) == 0) {
                *info = known;
                kuryr_subnetpool_list_clear(&pools);
                return 0;
            }
            continue;
        }
        kuryr_query *sq = kuryr_query_new();
        kuryr_query_add(sq, "subnetpool_id", pools.items[i]->id);
        kuryr_query_field(sq, "id");
        kuryr_subnet_list subs = {0};
        rc = kuryr_neutron_subnet_list(p->kn, sq, &subs, err);
        kuryr_query_free(sq);
        bool unused = rc == 0 && subs.n == 0;
        kuryr_subnet_list_clear(&subs);
        if (rc < 0) {
            kuryr_subnetpool_list_clear(&pools);
            return kl_err_wrap(err, "listing the subnetpool's subnets failed");
        }
        if (unused) {
            snprintf(info->pool_id, sizeof(info->pool_id), "%s", pools.items[i]->id);
            kl_pool_id_format(info->docker_pool_id, info->pool_id, NULL);
            kuryr_subnetpool_list_clear(&pools);
            kl_pool_remember(p, info);
            return 0;
        }
    }
    kuryr_subnetpool_list_clear(&pools);

    int len = kl_cidr_prefixlen(subnet_cidr);
    json_t *attrs = json_pack("{s:s,s:[s],s:i,s:i}", "name", name, "prefixes", subnet_cidr, "default_prefixlen",
                              len, "min_prefixlen", len);
    kuryr_subnetpool *made = NULL;
    rc = kuryr_neutron_subnetpool_create(p->kn, attrs, &made, err);
    json_decref(attrs);
    if (rc < 0)
        return kl_err_wrap(err, "creating the Neutron subnetpool failed");
    snprintf(info->pool_id, sizeof(info->pool_id), "%s", made->id);
    kl_pool_id_format(info->docker_pool_id, made->id, NULL);
    KLOG_INFO("created subnetpool %s (%s)", name, made->id);
    kuryr_subnetpool_free(made);
    kl_pool_remember(p, info);
    return 0;
}

/* --ipam-opt neutron.subnet.uuid/name: addresses come from a subnet made outside kuryr. */
static int existing_subnet(kl_plugin *p, const char *id, const char *name, int fam, const char *pool_cidr,
                           kl_pool_info *info, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, id ? "id" : "name", id ? id : name);
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "cidr");
    kuryr_query_field(q, "ip_version");
    kuryr_subnet_list l = {0};
    int rc = kuryr_neutron_subnet_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "looking up the existing subnet failed");
    if (l.n != 1 || !l.items[0]->cidr) {
        size_t n = l.n;
        kuryr_subnet_list_clear(&l);
        if (n == 1)
            return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 502, NULL, "Neutron sent subnet %s without a cidr",
                                   id ? id : name);
        if (n == 0)
            return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "Neutron subnet %s not found", id ? id : name);
        return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL, "%zu Neutron subnets are named %s", n, name);
    }
    const kuryr_subnet *s = l.items[0];
    if (s->ip_version && s->ip_version != fam) {
        kuryr_subnet_list_clear(&l);
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "subnet %s is not IPv%d", id ? id : name, fam);
    }
    snprintf(info->pool_id, sizeof(info->pool_id), "%s", s->id);
    snprintf(info->subnet_cidr, sizeof(info->subnet_cidr), "%s", s->cidr);
    snprintf(info->pool_cidr, sizeof(info->pool_cidr), "%s", *pool_cidr ? pool_cidr : s->cidr);
    info->existing_subnet = true;
    if (snprintf(info->docker_pool_id, sizeof(info->docker_pool_id), KL_POOL_ID_SUBNET "%s@%s", s->id, s->cidr) >=
        (int)sizeof(info->docker_pool_id))
        rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "subnet id too long");
    kuryr_subnet_list_clear(&l);
    if (rc == 0)
        kl_pool_remember(p, info);
    return rc;
}

KL_HANDLER(kl_h_request_pool)
{
    const char *space, *pool, *subpool;
    json_t *opts;
    bool v6;
    if (kl_get_str(req, "AddressSpace", false, &space, err) < 0 || kl_get_str(req, "Pool", false, &pool, err) < 0 ||
        kl_get_str(req, "SubPool", false, &subpool, err) < 0 || kl_get_obj(req, "Options", &opts, err) < 0 ||
        kl_opt_bool(req, "V6", false, &v6, err) < 0)
        return -1;
    if (pool && !*pool)
        pool = NULL;
    if (subpool && !*subpool)
        subpool = NULL;
    if (subpool && !pool)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "SubPool requires Pool");
    int fam = v6 ? 6 : 4, f;
    char pool_cidr[KL_ADDR_STRLEN] = "", sub_cidr[KL_ADDR_STRLEN] = "";
    kl_cidr c;
    if (pool) {
        if (!kl_valid_cidr(pool, &f) || f != fam)
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Pool %s is not an IPv%d CIDR", pool, fam);
        kl_cidr_parse(pool, &c);
        kl_cidr_format(&c, pool_cidr, sizeof(pool_cidr));
        snprintf(sub_cidr, sizeof(sub_cidr), "%s", pool_cidr);
    }
    if (subpool) {
        if (!kl_valid_cidr(subpool, &f) || f != fam || !kl_cidr_overlaps(pool_cidr, subpool) ||
            kl_cidr_prefixlen(subpool) < kl_cidr_prefixlen(pool_cidr))
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "SubPool %s is not inside Pool %s",
                                   subpool, pool_cidr);
        kl_cidr_parse(subpool, &c);
        kl_cidr_format(&c, sub_cidr, sizeof(sub_cidr));
    }

    const char *want_id, *want_name;
    if (kl_get_str(opts, v6 ? "neutron.pool.v6.uuid" : "neutron.pool.uuid", false, &want_id, err) < 0 ||
        kl_get_str(opts, v6 ? "neutron.pool.v6.name" : "neutron.pool.name", false, &want_name, err) < 0)
        return -1;
    if (want_id && !*want_id)
        want_id = NULL;
    if (want_name && !*want_name)
        want_name = NULL;

    kl_pool_info info;
    memset(&info, 0, sizeof(info));
    const char *sub_id, *sub_name;
    if (kl_get_str(opts, v6 ? "neutron.subnet.v6.uuid" : "neutron.subnet.uuid", false, &sub_id, err) < 0 ||
        kl_get_str(opts, v6 ? "neutron.subnet.v6.name" : "neutron.subnet.name", false, &sub_name, err) < 0)
        return -1;
    if ((sub_id && *sub_id) || (sub_name && *sub_name)) {
        if (existing_subnet(p, sub_id && *sub_id ? sub_id : NULL, sub_name, fam, pool_cidr, &info, err) < 0)
            return -1;
    } else if (pool && !want_id && !want_name) {
        if (own_pool(p, pool_cidr, sub_cidr, &info, err) < 0)
            return -1;
    } else {
        /* a shared pool: an adopted one, or the default */
        const char *def = kuryr_config_get_str(p->cfg, "neutron", v6 ? "default_subnetpool_v6" : "default_subnetpool_v4");
        kuryr_subnetpool *sp;
        if (find_subnetpool(p, want_id, want_id ? NULL : want_name ? want_name : (*def ? def : v6 ? "kuryr6" : "kuryr"),
                            &sp, err) < 0)
            return -1;
        if (sp->ip_version && sp->ip_version != fam) {
            kuryr_subnetpool_free(sp);
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "subnetpool %s is not IPv%d", sp->id, fam);
        }
        snprintf(info.pool_id, sizeof(info.pool_id), "%s", sp->id);
        if ((want_id || want_name) && !kuryr_strv_contains(&sp->tags, KL_TAG_POOL_EXISTING) &&
            kuryr_neutron_tag_add(p->kn, "subnetpools", sp->id, KL_TAG_POOL_EXISTING, err) < 0) {
            kuryr_subnetpool_free(sp);
            return kl_err_wrap(err, "tagging the adopted subnetpool failed");
        }
        int rc;
        if (pool) {
            snprintf(info.pool_cidr, sizeof(info.pool_cidr), "%s", pool_cidr);
            snprintf(info.subnet_cidr, sizeof(info.subnet_cidr), "%s", sub_cidr);
            kl_pool_id_format(info.docker_pool_id, sp->id, sub_cidr);
            kl_pool_remember(p, &info);
            rc = 0;
        } else {
            rc = carve(p, sp, &info, err);
        }
        kuryr_subnetpool_free(sp);
        if (rc < 0)
            return -1;
    }
    KLOG_INFO("RequestPool %s -> %s (subnet %s)", info.pool_cidr, info.docker_pool_id, info.subnet_cidr);
    *resp = json_pack("{s:s,s:s,s:{}}", "PoolID", info.docker_pool_id, "Pool", info.pool_cidr, "Data");
    return 0;
}

KL_HANDLER(kl_h_release_pool)
{
    const char *id;
    char pool_id[KL_NAME_LEN], cidr[KL_NAME_LEN];
    if (kl_get_str(req, "PoolID", true, &id, err) < 0)
        return -1;
    bool is_subnet;
    if (kl_pool_id_parse(id, pool_id, cidr, &is_subnet) < 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "malformed PoolID");
    kl_pool_forget(p, id);
    kl_subnet_cache_drop_pool(p, id);
    if (cidr[0] || is_subnet)
        return (*resp = json_object()) ? 0 : -1; /* a block of a shared pool or a subnet: nothing to delete */

    kuryr_subnetpool *sp = NULL;
    if (kuryr_neutron_subnetpool_get(p->kn, pool_id, &sp, err) < 0) {
        if (err->kind == KURYR_ERR_NOT_FOUND) {
            *resp = json_object();
            return 0;
        }
        return kl_err_wrap(err, "looking up the subnetpool failed");
    }
    char prefix[KL_NAME_LEN];
    snprintf(prefix, sizeof(prefix), "%s-", pool_prefix(p));
    bool ours = sp->name && strncmp(sp->name, prefix, strlen(prefix)) == 0 &&
                !kuryr_strv_contains(&sp->tags, KL_TAG_POOL_EXISTING);
    kuryr_subnetpool_free(sp);
    if (ours && kuryr_neutron_subnetpool_delete(p->kn, pool_id, err) < 0 && err->kind != KURYR_ERR_NOT_FOUND)
        return kl_err_wrap(err, "deleting the subnetpool failed");
    if (ours)
        KLOG_INFO("deleted subnetpool %s", pool_id);
    *resp = json_object();
    return 0;
}

/* The subnet behind a PoolID, NULL (and success) when the network is not created yet. With several
 * candidates (an upstream PoolID naming a shared pool) the one holding addr wins. */
static int pool_subnet(kl_plugin *p, const char *docker_pool_id, const char *pool_id, const char *cidr,
                       bool is_subnet, const char *addr, kuryr_subnet **out, kuryr_error *err)
{
    *out = NULL;
    json_t *cached = kl_subnet_cache_get(p, docker_pool_id);
    if (cached) {
        *out = kuryr_subnet_from_json(cached, err);
        json_decref(cached);
        if (*out)
            return 0;
        kl_subnet_cache_drop_pool(p, docker_pool_id);
    }
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, is_subnet ? "id" : "subnetpool_id", pool_id);
    if (cidr && *cidr)
        kuryr_query_add(q, "cidr", cidr);
    const char *fields[] = {"id", "cidr", "gateway_ip", "network_id", "ip_version", "subnetpool_id"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
        kuryr_query_field(q, fields[i]);
    kuryr_subnet_list l = {0};
    int rc = kuryr_neutron_subnet_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "looking up the pool's subnet failed");
    size_t pick = l.n;
    if (l.n == 1) {
        pick = 0;
    } else if (l.n > 1 && addr) {
        for (size_t i = 0; i < l.n && pick == l.n; i++) {
            if (l.items[i]->cidr && kl_cidr_contains(l.items[i]->cidr, addr))
                pick = i;
        }
    } else if (l.n > 1) {
        kuryr_subnet_list_clear(&l);
        return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL,
                               "subnetpool %s has several subnets: an address is needed to choose", pool_id);
    }
    if (pick < l.n && (!l.items[pick]->cidr || !l.items[pick]->network_id)) {
        kuryr_subnet_list_clear(&l);
        return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 502, NULL, "Neutron sent a subnet without cidr or network");
    }
    if (pick < l.n) {
        *out = l.items[pick];
        l.items[pick] = NULL;
        if (l.n == 1 && (*out)->raw)
            kl_subnet_cache_put(p, docker_pool_id, (*out)->network_id, (*out)->raw);
    }
    for (size_t i = 0; i < l.n; i++)
        kuryr_subnet_free(l.items[i]);
    l.n = 0;
    kuryr_subnet_list_clear(&l);
    return 0;
}

/* "ip/len" with the length of Docker's Pool when this daemon answered its RequestPool: with --ip-range the
 * Neutron subnet is narrower than the network Docker configures, and the gateway may lie outside it. */
static json_t *address_reply(kl_plugin *p, const char *docker_pool_id, const char *ip, const char *cidr)
{
    char buf[KL_ADDR_STRLEN + 8];
    kl_pool_info info;
    if (kl_pool_by_docker_id(p, docker_pool_id, &info) && info.pool_cidr[0] && kl_cidr_contains(info.pool_cidr, ip))
        cidr = info.pool_cidr;
    snprintf(buf, sizeof(buf), "%s/%d", ip, kl_cidr_prefixlen(cidr));
    return json_pack("{s:s,s:{}}", "Address", buf, "Data");
}

/* The subnet CIDR a PoolID stands for before its Neutron subnet exists. */
static int planned_cidr(kl_plugin *p, const char *docker_pool_id, const char *pool_id, const char *cidr,
                        char out[KL_ADDR_STRLEN], kuryr_error *err)
{
    kl_pool_info info;
    if (cidr && *cidr) {
        if (snprintf(out, KL_ADDR_STRLEN, "%s", cidr) >= KL_ADDR_STRLEN)
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "malformed PoolID");
    } else if (kl_pool_by_docker_id(p, docker_pool_id, &info)) {
        snprintf(out, KL_ADDR_STRLEN, "%s", info.subnet_cidr);
    } else {
        kuryr_subnetpool *sp;
        if (kuryr_neutron_subnetpool_get(p->kn, pool_id, &sp, err) < 0)
            return kl_err_wrap(err, "looking up the subnetpool failed");
        int rc = sp->prefixes.n ? 0 : -1;
        if (rc == 0)
            snprintf(out, KL_ADDR_STRLEN, "%s", sp->prefixes.items[0]);
        kuryr_subnetpool_free(sp);
        if (rc < 0)
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "subnetpool %s has no prefixes", pool_id);
    }
    return 0;
}

static bool port_has_tag(const kuryr_port *port, const char *tag)
{
    return kuryr_strv_contains(&port->tags, tag);
}

static const char *port_ip_in(const kuryr_port *port, const char *subnet_id)
{
    for (size_t i = 0; i < port->n_fixed_ips; i++) {
        if (port->fixed_ips[i].subnet_id && strcmp(port->fixed_ips[i].subnet_id, subnet_id) == 0)
            return port->fixed_ips[i].ip_address;
    }
    return NULL;
}

static int first_port(kl_plugin *p, kuryr_query *q, kuryr_port **out, kuryr_error *err)
{
    *out = NULL;
    kuryr_port_list l = {0};
    int rc = kuryr_neutron_port_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "looking up Neutron ports failed");
    if (l.n) {
        *out = l.items[0];
        l.items[0] = NULL;
    }
    for (size_t i = 1; i < l.n; i++)
        kuryr_port_free(l.items[i]);
    l.n = 0;
    kuryr_port_list_clear(&l);
    return 0;
}

/* Adds an address in subnet to an existing port (the second family of a dual-stack endpoint). */
static int add_fixed_ip(kl_plugin *p, kuryr_port **port, const kuryr_subnet *subnet, const char *ip,
                        kuryr_error *err)
{
    json_t *ips = json_array();
    for (size_t i = 0; i < (*port)->n_fixed_ips; i++)
        json_array_append_new(ips, json_pack("{s:s,s:s}", "subnet_id", (*port)->fixed_ips[i].subnet_id,
                                             "ip_address", (*port)->fixed_ips[i].ip_address));
    json_t *mine = json_pack("{s:s}", "subnet_id", subnet->id);
    if (ip)
        json_object_set_new(mine, "ip_address", json_string(ip));
    json_array_append_new(ips, mine);
    json_t *attrs = json_pack("{s:o}", "fixed_ips", ips);
    kuryr_port *updated = NULL;
    int rc = kuryr_neutron_port_update(p->kn, (*port)->id, attrs, &updated, err);
    json_decref(attrs);
    if (rc < 0)
        return kl_err_wrap(err, "adding the address to the Neutron port failed");
    kuryr_port_free(*port);
    *port = updated;
    return 0;
}

KL_HANDLER(kl_h_request_address)
{
    const char *docker_pool_id, *addr, *type = NULL, *mac = NULL;
    json_t *opts;
    char pool_id[KL_NAME_LEN], cidr[KL_NAME_LEN];
    if (kl_get_str(req, "PoolID", true, &docker_pool_id, err) < 0 || kl_get_str(req, "Address", false, &addr, err) < 0 ||
        kl_get_obj(req, "Options", &opts, err) < 0 || kl_get_str(opts, "RequestAddressType", false, &type, err) < 0 ||
        kl_get_str(opts, KL_OPT_MAC, false, &mac, err) < 0)
        return -1;
    bool is_subnet;
    if (kl_pool_id_parse(docker_pool_id, pool_id, cidr, &is_subnet) < 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "malformed PoolID");
    char ip_only[KL_ADDR_STRLEN];
    if (addr && *addr) {
        if (kl_addr_strip_prefix(addr, ip_only, sizeof(ip_only)) < 0 || !kl_valid_ip(ip_only, NULL))
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Address %s is not an IP address", addr);
        addr = ip_only;
    } else {
        addr = NULL;
    }
    if (mac && *mac && !kl_valid_mac(mac))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "%s is not a MAC address", mac);
    if (mac && !*mac)
        mac = NULL;
    bool gateway = type && strcmp(type, KL_GATEWAY_REQUEST) == 0;
    kuryr_log_ctx_set("pool", pool_id);

    kuryr_subnet *subnet;
    if (pool_subnet(p, docker_pool_id, pool_id, cidr, is_subnet, addr, &subnet, err) < 0)
        return -1;
    if (gateway) {
        char planned[KL_ADDR_STRLEN], first[KL_ADDR_STRLEN];
        int rc = 0;
        if (subnet) {
            snprintf(planned, sizeof(planned), "%s", subnet->cidr);
            if (!addr && subnet->gateway_ip && *subnet->gateway_ip)
                addr = subnet->gateway_ip;
        } else {
            rc = planned_cidr(p, docker_pool_id, pool_id, cidr, planned, err);
        }
        if (rc == 0 && !addr) {
            /* what Neutron will pick: upstream answers nothing here and Docker gives up */
            rc = kl_cidr_first_host(planned, first, sizeof(first));
            if (rc < 0)
                kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot compute a gateway for %s", planned);
            addr = first;
        }
        /* a --gateway outside an --ip-range is Docker's to allow and Neutron's to judge at CreateNetwork */
        if (rc == 0)
            *resp = address_reply(p, docker_pool_id, addr, planned);
        kuryr_subnet_free(subnet);
        return rc;
    }
    if (!subnet)
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "pool %s has no Neutron subnet yet",
                               docker_pool_id);
    kuryr_log_ctx_set("subnet", subnet->id);

    int rc = -1;
    kuryr_port *port = NULL;
    if (addr) {
        char f1[128], f2[128];
        snprintf(f1, sizeof(f1), "subnet_id=%s", subnet->id);
        snprintf(f2, sizeof(f2), "ip_address=%s", addr);
        kuryr_query *q = kuryr_query_new();
        kuryr_query_add(q, "fixed_ips", f1);
        kuryr_query_add(q, "fixed_ips", f2);
        if (first_port(p, q, &port, err) < 0)
            goto out;
    }
    if (!port && mac) {
        /* the endpoint's port from its other address family, or a retry */
        kuryr_query *q = kuryr_query_new();
        kuryr_query_add(q, "network_id", subnet->network_id);
        kuryr_query_add(q, "mac_address", mac);
        if (first_port(p, q, &port, err) < 0)
            goto out;
    }
    if (port && port->device_id && *port->device_id) {
        kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL, "%s %s is in use by port %s of device %s",
                        addr ? "address" : "MAC", addr ? addr : mac, port->id, port->device_id);
        goto out;
    }
    if (port) {
        /* a retried request, the second family of one endpoint, or a port made outside kuryr to adopt */
        if (!port_has_tag(port, KL_TAG_PORT_KURYR) && !port_has_tag(port, KL_TAG_PORT_EXISTING)) {
            if (kuryr_neutron_tag_add(p->kn, "ports", port->id, KL_TAG_PORT_EXISTING, err) < 0) {
                kl_err_wrap(err, "tagging the adopted port failed");
                goto out;
            }
            KLOG_INFO("adopted existing port %s", port->id);
        }
        if (!port_ip_in(port, subnet->id) && add_fixed_ip(p, &port, subnet, addr, err) < 0)
            goto out;
    } else {
        json_t *fixed = json_pack("{s:s}", "subnet_id", subnet->id);
        if (addr)
            json_object_set_new(fixed, "ip_address", json_string(addr));
        json_t *attrs = json_pack("{s:s,s:s,s:b,s:[o]}", "network_id", subnet->network_id, "name",
                                  KL_UNBOUND_PORT_NAME, "admin_state_up", 1, "fixed_ips", fixed);
        if (mac)
            json_object_set_new(attrs, "mac_address", json_string(mac));
        const char *tags[] = {KL_TAG_PORT_KURYR};
        bool in_body = kl_tags_into_body(p, attrs, tags, 1);
        rc = kuryr_neutron_port_create(p->kn, attrs, &port, err);
        if (rc < 0 && in_body && kl_tags_rejected(p, attrs, err)) {
            in_body = false;
            rc = kuryr_neutron_port_create(p->kn, attrs, &port, err);
        }
        json_decref(attrs);
        if (rc < 0) {
            kl_err_wrap(err, "creating the Neutron port failed");
            goto out;
        }
        rc = -1;
        if (!in_body && kl_tags_after_create(p, "ports", port->id, tags, 1, err) < 0) {
            kuryr_error dummy;
            kuryr_neutron_port_delete(p->kn, port->id, &dummy);
            goto out;
        }
        KLOG_INFO("created port %s", port->id);
    }
    kuryr_log_ctx_set("port", port->id);
    const char *ip = port_ip_in(port, subnet->id);
    if (!ip || !*ip) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "port %s got no address in subnet %s", port->id,
                        subnet->id);
        goto out;
    }
    *resp = address_reply(p, docker_pool_id, ip, subnet->cidr);
    rc = 0;
out:
    if (rc < 0)
        kl_subnet_cache_drop_pool(p, docker_pool_id); /* it may be what went wrong */
    kuryr_port_free(port);
    kuryr_subnet_free(subnet);
    return rc;
}

KL_HANDLER(kl_h_release_address)
{
    const char *docker_pool_id, *addr;
    char pool_id[KL_NAME_LEN], cidr[KL_NAME_LEN], ip[KL_ADDR_STRLEN];
    if (kl_get_str(req, "PoolID", true, &docker_pool_id, err) < 0 || kl_get_str(req, "Address", true, &addr, err) < 0)
        return -1;
    bool is_subnet;
    if (kl_pool_id_parse(docker_pool_id, pool_id, cidr, &is_subnet) < 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "malformed PoolID");
    if (kl_addr_strip_prefix(addr, ip, sizeof(ip)) < 0 || !kl_valid_ip(ip, NULL))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "Address %s is not an IP address", addr);
    kuryr_subnet *subnet;
    if (pool_subnet(p, docker_pool_id, pool_id, cidr, is_subnet, ip, &subnet, err) < 0)
        return -1;
    if (!subnet) {
        *resp = json_object();
        return 0;
    }
    char f1[128], f2[128];
    snprintf(f1, sizeof(f1), "subnet_id=%s", subnet->id);
    snprintf(f2, sizeof(f2), "ip_address=%s", ip);
    kuryr_subnet_free(subnet);
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "fixed_ips", f1);
    kuryr_query_add(q, "fixed_ips", f2);
    kuryr_port *port;
    if (first_port(p, q, &port, err) < 0) {
        kl_subnet_cache_drop_pool(p, docker_pool_id);
        return -1;
    }
    int rc = 0;
    if (!port) {
        /* the gateway, or already released */
    } else if (port_has_tag(port, KL_TAG_PORT_EXISTING)) {
        kuryr_log_ctx_set("port", port->id);
        rc = kuryr_neutron_tag_remove(p->kn, "ports", port->id, KL_TAG_PORT_EXISTING, err);
        if (rc < 0)
            kl_err_wrap(err, "untagging the adopted port failed");
        else
            KLOG_INFO("released adopted port %s (kept)", port->id);
    } else if (port_has_tag(port, KL_TAG_PORT_KURYR)) {
        kuryr_log_ctx_set("port", port->id);
        rc = kuryr_neutron_port_delete(p->kn, port->id, err);
        if (rc < 0 && err->kind == KURYR_ERR_NOT_FOUND)
            rc = 0;
        if (rc < 0)
            kl_err_wrap(err, "deleting the Neutron port failed");
        else
            KLOG_INFO("deleted port %s", port->id);
    } else {
        KLOG_WARN("address %s belongs to port %s, which kuryr does not manage: left alone", ip, port->id);
    }
    kuryr_port_free(port);
    if (rc == 0)
        *resp = json_object();
    return rc;
}
