/* Remote IPAM, pools: Docker pools map to Neutron subnetpools.
 *
 * A pool given with --subnet gets its own subnetpool (kuryrPool-<cidr>), used by one network only, so
 * overlapping CIDRs in different networks never meet in one pool. Without --subnet a block of the pool's
 * default prefix length is carved from the shared default pool; its PoolID carries the CIDR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "handlers.h"
#include "kuryr/fault.h"
#include "kuryr/log.h"
#include "mapping.h"
#include "names.h"
#include "plugin.h"
#include "validate.h"
#define MAX_CARVE_TRIES 65536UL

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
    kl_pool_name(name, kl_pool_prefix(p), subnet_cidr);
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
        /* made from it, or an existing subnet adopted for it: either way another network's */
        const char *fields[] = {"id", NULL};
        kuryr_subnet_list subs = {0};
        rc = kl_pool_subnets(p, pools.items[i]->id, NULL, fields, &subs, err);
        bool unused = rc == 0 && subs.n == 0;
        kuryr_subnet_list_clear(&subs);
        if (rc < 0) {
            kuryr_subnetpool_list_clear(&pools);
            return -1;
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
    /* the name tells the range; a restart also needs Docker's Pool around it */
    char cidr_tag[KL_NAME_LEN];
    snprintf(cidr_tag, sizeof(cidr_tag), KL_TAG_POOL_CIDR "%s", pool_cidr);
    const char *tagv[] = {p->owner, cidr_tag}; /* this host's marker (kuryr/owner.h), then the range */
    size_t ntags = 0;
    bool tags = false;
    if (kl_tags_supported(p, &tags, err) < 0) {
        json_decref(attrs);
        return -1;
    }
    if (tags)
        ntags = strcmp(pool_cidr, subnet_cidr) != 0 ? 2 : 1;
    kuryr_subnetpool *made = NULL;
    rc = kuryr_neutron_subnetpool_create_tagged(p->kn, attrs, tagv, ntags, &made, NULL, err);
    json_decref(attrs);
    if (rc < 0 && !made)
        return kl_err_wrap(err, "creating the Neutron subnetpool failed");
    if (rc < 0) {
        kuryr_error ignored;
        kuryr_neutron_subnetpool_delete(p->kn, made->id, &ignored);
        kuryr_subnetpool_free(made);
        return -1;
    }
    snprintf(info->pool_id, sizeof(info->pool_id), "%s", made->id);
    kl_pool_id_format(info->docker_pool_id, made->id, NULL);
    KLOG_INFO("created subnetpool %s (%s)", name, made->id);
    KURYR_FAULT_POINT("request_pool.pool_created");
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

/* ---- after a restart ---------------------------------------------------------------------------------- */

/* A pool of ours (named <prefix>-<cidr>, not adopted) as RequestPool described it; false for any other. */
static bool info_from_own_pool(kl_plugin *p, const kuryr_subnetpool *sp, kl_pool_info *info)
{
    char prefix[KL_NAME_LEN];
    snprintf(prefix, sizeof(prefix), "%s-", kl_pool_prefix(p));
    if (!sp->name || strncmp(sp->name, prefix, strlen(prefix)) != 0 ||
        kuryr_strv_contains(&sp->tags, KL_TAG_POOL_EXISTING) || sp->prefixes.n == 0)
        return false;
    memset(info, 0, sizeof(*info));
    snprintf(info->pool_id, sizeof(info->pool_id), "%s", sp->id);
    kl_pool_id_format(info->docker_pool_id, sp->id, NULL);
    snprintf(info->subnet_cidr, sizeof(info->subnet_cidr), "%s", sp->prefixes.items[0]);
    snprintf(info->pool_cidr, sizeof(info->pool_cidr), "%s", sp->prefixes.items[0]);
    for (size_t i = 0; i < sp->tags.n; i++) {
        const char *t = sp->tags.items[i];
        if (strncmp(t, KL_TAG_POOL_CIDR, strlen(KL_TAG_POOL_CIDR)) == 0 && kl_valid_cidr(t + strlen(KL_TAG_POOL_CIDR), NULL))
            snprintf(info->pool_cidr, sizeof(info->pool_cidr), "%s", t + strlen(KL_TAG_POOL_CIDR));
    }
    return true;
}

int kl_pool_recall(kl_plugin *p, const char *pool_id, bool in_use, kl_pool_info *out, kuryr_error *err)
{
    if (kl_pool_by_docker_id(p, pool_id, out))
        return 0;
    kuryr_subnetpool *sp;
    if (kuryr_neutron_subnetpool_get(p->kn, pool_id, &sp, err) < 0)
        return kl_err_wrap(err, "looking up the subnetpool failed");
    bool ours = info_from_own_pool(p, sp, out);
    kuryr_subnetpool_free(sp);
    if (!ours)
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "subnetpool %s is not one of kuryr's own",
                               pool_id);
    if (in_use)
        snprintf(out->claimed_by, sizeof(out->claimed_by), "-"); /* by a network this process did not see made */
    kl_pool_remember(p, out);
    KLOG_INFO("recalled pool %s: Docker pool %s, subnet %s", pool_id, out->pool_cidr, out->subnet_cidr);
    return 0;
}

/* The first of the listed pools of ours that no network uses yet. */
static int pick_unused(kl_plugin *p, kuryr_query *q, const char *pool_cidr, kl_pool_info *out, bool *found,
                       kuryr_error *err)
{
    const char *fields[] = {"id", "name", "prefixes", "tags"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
        kuryr_query_field(q, fields[i]);
    kuryr_subnetpool_list l = {0};
    int rc = kuryr_neutron_subnetpool_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "looking up the subnetpool failed");
    for (size_t i = 0; i < l.n && !*found && rc == 0; i++) {
        kl_pool_info known, info;
        if ((kl_pool_by_docker_id(p, l.items[i]->id, &known) && known.claimed_by[0]) ||
            !info_from_own_pool(p, l.items[i], &info) || strcmp(info.pool_cidr, pool_cidr) != 0)
            continue;
        const char *id_only[] = {"id", NULL};
        kuryr_subnet_list subs = {0};
        rc = kl_pool_subnets(p, info.pool_id, NULL, id_only, &subs, err);
        if (rc == 0 && subs.n == 0) {
            *out = info;
            *found = true;
        }
        kuryr_subnet_list_clear(&subs);
    }
    kuryr_subnetpool_list_clear(&l);
    return rc;
}

/* A block of a shared pool (adopted or the default) when the pool's prefixes hold it: "<pool id>@<cidr>". */
static bool shared_block(const kuryr_subnetpool *sp, const char *pool_cidr, int fam, kl_pool_info *out)
{
    if (sp->ip_version && sp->ip_version != fam)
        return false;
    for (size_t i = 0; i < sp->prefixes.n; i++) {
        const char *pre = sp->prefixes.items[i];
        if (kl_cidr_overlaps(pre, pool_cidr) && kl_cidr_prefixlen(pre) <= kl_cidr_prefixlen(pool_cidr)) {
            memset(out, 0, sizeof(*out));
            snprintf(out->pool_id, sizeof(out->pool_id), "%s", sp->id);
            snprintf(out->pool_cidr, sizeof(out->pool_cidr), "%s", pool_cidr);
            snprintf(out->subnet_cidr, sizeof(out->subnet_cidr), "%s", pool_cidr);
            kl_pool_id_format(out->docker_pool_id, sp->id, pool_cidr);
            return true;
        }
    }
    return false;
}

int kl_pool_find_for_cidr(kl_plugin *p, const char *pool_cidr, int fam, const char *docker_id, kl_pool_info *out,
                          kuryr_error *err)
{
    bool found = false, tags;
    char name[KL_NAME_LEN], tag[KL_NAME_LEN];
    kl_pool_name(name, kl_pool_prefix(p), pool_cidr);
    snprintf(tag, sizeof(tag), KL_TAG_POOL_CIDR "%s", pool_cidr);
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "name", name);
    if (pick_unused(p, q, pool_cidr, out, &found, err) < 0 || kl_tags_supported(p, &tags, err) < 0)
        return -1;
    if (!found && tags) {
        q = kuryr_query_new();
        kuryr_query_add(q, "tags", tag);
        if (pick_unused(p, q, pool_cidr, out, &found, err) < 0)
            return -1;
    }
    if (!found && tags) {
        /* a block of a pool adopted with neutron.pool.uuid/name (tagged so at RequestPool) */
        q = kuryr_query_new();
        kuryr_query_add(q, "tags", KL_TAG_POOL_EXISTING);
        kuryr_subnetpool_list l = {0};
        int rc = kuryr_neutron_subnetpool_list(p->kn, q, &l, err);
        kuryr_query_free(q);
        if (rc < 0)
            return kl_err_wrap(err, "looking up the adopted subnetpools failed");
        for (size_t i = 0; i < l.n && !found; i++)
            found = shared_block(l.items[i], pool_cidr, fam, out);
        kuryr_subnetpool_list_clear(&l);
    }
    if (!found) {
        /* a block carved from the default pool */
        const char *def = kuryr_config_get_str(p->cfg, "neutron", fam == 6 ? "default_subnetpool_v6" : "default_subnetpool_v4");
        kuryr_subnetpool *sp;
        if (find_subnetpool(p, NULL, *def ? def : fam == 6 ? "kuryr6" : "kuryr", &sp, err) < 0)
            return err->kind == KURYR_ERR_NOT_FOUND ? -1 : kl_err_wrap(err, "looking up the default pool failed");
        found = shared_block(sp, pool_cidr, fam, out);
        kuryr_subnetpool_free(sp);
    }
    if (!found)
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "no pool for %s in Neutron", pool_cidr);
    kl_pool_remember(p, out);
    kl_pool_info claimed;
    if (kl_pool_claim(p, pool_cidr, docker_id, &claimed) && strcmp(claimed.docker_pool_id, out->docker_pool_id) == 0)
        *out = claimed;
    KLOG_INFO("found pool %s for %s after a restart (subnet %s)", out->docker_pool_id, pool_cidr, out->subnet_cidr);
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
    /* an existing subnet adopted for this pool loses the tag but stays */
    if (!is_subnet && kl_pool_untag_subnets(p, pool_id, cidr, err) < 0)
        return -1;
    if (cidr[0] || is_subnet)
        return (*resp = json_object()) ? 0 : -1; /* a block of a shared pool or a subnet: nothing to delete */

    bool deleted;
    if (kl_pool_delete_if_ours(p, pool_id, &deleted, err) < 0)
        return -1;
    *resp = json_object();
    return 0;
}
