/* Docker↔Neutron mapping and caches (see mapping.h). */
#include "mapping.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/doubt.h"
#include "kuryr/fault.h"
#include "kuryr/grow.h"
#include "kuryr/log.h"
#include "kuryr/net_cache.h"
#include "kuryr/node_port.h"
#include "kuryr/owner.h"
#include "kuryr/subnet_cache.h"
#include "names.h"
#include "vif_pool.h"

int kl_tags_supported(kl_plugin *p, bool *out, kuryr_error *err)
{
    int known = atomic_load(&p->tag_support);
    if (known < 0) {
        kuryr_strv ext = {0};
        if (kuryr_neutron_extensions(p->kn, &ext, err) < 0)
            return kl_err_wrap(err, "listing Neutron extensions failed");
        known = kuryr_strv_contains(&ext, "standard-attr-tag") || kuryr_strv_contains(&ext, "tag");
        kuryr_strv_clear(&ext);
        atomic_store(&p->tag_support, known);
        if (!known)
            KLOG_WARN("Neutron has no tag extension: using upstream's name-based network mapping");
    }
    *out = known == 1;
    return 0;
}

int kl_err_wrap(kuryr_error *err, const char *what)
{
    if (!err)
        return -1;
    char msg[sizeof(err->message)];
    if (snprintf(msg, sizeof(msg), "%s: %s", what, err->message[0] ? err->message : kuryr_err_kind_name(err->kind)) >=
        (int)sizeof(msg))
        msg[sizeof(msg) - 1] = '\0'; /* a cut message is still useful */
    memcpy(err->message, msg, sizeof(msg));
    if (err->kind == KURYR_OK)
        err->kind = KURYR_ERR_INTERNAL;
    return -1;
}

/* ---- network mapping ---------------------------------------------------------------------------------- */

void kl_net_cache_put(kl_plugin *p, const kl_net_map *m)
{
    kuryr_net_entry e = {.mtu = m->mtu, .adopted = m->existing};
    snprintf(e.net_id, sizeof(e.net_id), "%s", m->neutron_id);
    kuryr_net_cache_put(p->nets, m->docker_id, &e);
}

void kl_net_cache_drop(kl_plugin *p, const char *docker_id)
{
    kuryr_net_cache_drop(p->nets, docker_id);
}

int kl_net_lookup(kl_plugin *p, const char *docker_id, kl_net_map *out, kuryr_error *err)
{
    kuryr_net_entry hit;
    if (kuryr_net_cache_get(p->nets, docker_id, &hit)) {
        memset(out, 0, sizeof(*out));
        snprintf(out->docker_id, sizeof(out->docker_id), "%s", docker_id);
        memcpy(out->neutron_id, hit.net_id, sizeof(out->neutron_id));
        out->mtu = hit.mtu;
        out->existing = hit.adopted;
        return 0;
    }

    bool tags;
    if (kl_tags_supported(p, &tags, err) < 0)
        return -1;
    kuryr_query *q = kuryr_query_new();
    char lh[KL_NAME_LEN], uh[KL_NAME_LEN], both[2 * KL_NAME_LEN + 1], existing[KL_NAME_LEN];
    if (tags) {
        kl_tag_lh(lh, docker_id);
        kl_tag_uh(uh, docker_id);
        snprintf(both, sizeof(both), "%s,%s", lh, uh);
        kuryr_query_add(q, "tags", both);
    } else {
        kuryr_query_add(q, "name", docker_id);
    }
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "mtu");
    kuryr_query_field(q, "tags");
    kuryr_network_list nets = {0};
    int rc = kuryr_neutron_network_list(p->kn, q, &nets, err);
    kuryr_query_free(q);
    if (rc < 0)
        return kl_err_wrap(err, "looking up the Neutron network failed");
    if (nets.n == 0) {
        kuryr_network_list_clear(&nets);
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "no Neutron network for Docker network %s",
                               docker_id);
    }
    if (nets.n > 1)
        KLOG_WARN("%zu Neutron networks map Docker network %.12s; using %s", nets.n, docker_id,
                  nets.items[0]->id);
    memset(out, 0, sizeof(*out));
    snprintf(out->docker_id, sizeof(out->docker_id), "%s", docker_id);
    snprintf(out->neutron_id, sizeof(out->neutron_id), "%s", nets.items[0]->id);
    out->mtu = nets.items[0]->mtu;
    kl_tag_net_existing(existing, docker_id);
    out->existing = kuryr_strv_contains(&nets.items[0]->tags, existing);
    kuryr_network_list_clear(&nets);
    kl_net_cache_put(p, out);
    return 0;
}

/* ---- subnet cache (kuryr/subnet_cache.h, keyed by PoolID) --------------------------------------------- */

json_t *kl_subnet_cache_get(kl_plugin *p, const char *docker_pool_id)
{
    return kuryr_subnet_cache_get(p->subnets, docker_pool_id);
}

void kl_subnet_cache_put(kl_plugin *p, const char *docker_pool_id, const char *net_id, json_t *subnet)
{
    kuryr_subnet_cache_put(p->subnets, docker_pool_id, net_id, subnet);
}

void kl_subnet_cache_drop_pool(kl_plugin *p, const char *docker_pool_id)
{
    kuryr_subnet_cache_drop(p->subnets, docker_pool_id);
}

void kl_subnet_cache_drop_net(kl_plugin *p, const char *net_id)
{
    kuryr_subnet_cache_drop_net(p->subnets, net_id);
}

/* ---- ports ------------------------------------------------------------------------------------------- */

bool kl_port_is_mine(const kl_plugin *p, const kuryr_port *port)
{
    const char *desc = json_string_value(json_object_get(port->raw, "description"));
    /* A Kubernetes pod's port (its cluster's marker) or a node's own port is bound to this host too when the
     * host is also a Kubernetes node, and may sit on a network Docker uses (-o neutron.net.uuid): never ours. */
    if (kuryr_owner_any(&port->tags, KURYR_OWNER_CLUSTER) ||
        (port->name && !strncmp(port->name, KURYR_NODE_PORT_PREFIX, strlen(KURYR_NODE_PORT_PREFIX))))
        return false;
    if (port->binding_host_id && *port->binding_host_id)
        return strcmp(port->binding_host_id, p->hostname) == 0;
    return kuryr_owner_tagged(&port->tags, KURYR_OWNER_HOST, p->hostname) || kuryr_doubt_marker_of(desc, p->hostname);
}

int kl_first_port(kl_plugin *p, kuryr_query *q, kuryr_port **out, kuryr_error *err)
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
    kuryr_port_list_clear(&l);
    return 0;
}

/* A pool port's device_id stays empty: its endpoint's tag pair names it (vif_pool.h). */
static int pool_port_by_endpoint(kl_plugin *p, const char *net_id, const char *endpoint_id, kuryr_port **out,
                                 kuryr_error *err)
{
    char lh[KL_NAME_LEN], uh[KL_NAME_LEN], both[2 * KL_NAME_LEN + 1];
    kl_tag_lh(lh, endpoint_id);
    kl_tag_uh(uh, endpoint_id);
    snprintf(both, sizeof(both), "%s,%s", lh, uh);
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "network_id", net_id);
    kuryr_query_add(q, "name", KL_POOL_PORT_NAME);
    kuryr_query_add(q, "tags", both);
    return kl_first_port(p, q, out, err);
}

int kl_port_by_endpoint(kl_plugin *p, const char *net_id, const char *endpoint_id, kuryr_port **out,
                        kuryr_error *err)
{
    *out = NULL;
    /* with the pool on, most endpoints have a pool port: look for that first */
    if (p->vif_pool && pool_port_by_endpoint(p, net_id, endpoint_id, out, err) < 0)
        return -1;
    if (!*out) {
        kuryr_query *q = kuryr_query_new();
        kuryr_query_add(q, "network_id", net_id);
        kuryr_query_add(q, "device_id", endpoint_id);
        if (kl_first_port(p, q, out, err) < 0)
            return -1;
    }
    if (!*out)
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL, "no Neutron port for endpoint %s",
                               endpoint_id);
    return 0;
}

/* ---- subnetpools ---------------------------------------------------------------------------------------- */

const char *kl_pool_prefix(kl_plugin *p)
{
    const char *s = kuryr_config_get_str(p->cfg, "DEFAULT", "subnetpool_name_prefix");
    return *s ? s : "kuryrPool";
}

int kl_pool_delete_if_ours(kl_plugin *p, const char *pool_id, bool *deleted, kuryr_error *err)
{
    *deleted = false;
    kuryr_subnetpool *sp = NULL;
    if (kuryr_neutron_subnetpool_get(p->kn, pool_id, &sp, err) < 0) {
        if (err->kind == KURYR_ERR_NOT_FOUND) {
            kuryr_error_clear(err);
            return 0;
        }
        return kl_err_wrap(err, "looking up the subnetpool failed");
    }
    char prefix[KL_NAME_LEN];
    snprintf(prefix, sizeof(prefix), "%s-", kl_pool_prefix(p));
    bool ours = sp->name && strncmp(sp->name, prefix, strlen(prefix)) == 0 &&
                !kuryr_strv_contains(&sp->tags, KL_TAG_POOL_EXISTING);
    kuryr_subnetpool_free(sp);
    if (!ours)
        return 0;
    if (kuryr_neutron_subnetpool_delete(p->kn, pool_id, err) < 0) {
        if (err->kind == KURYR_ERR_NOT_FOUND) {
            kuryr_error_clear(err);
            return 0;
        }
        if (err->kind == KURYR_ERR_BAD_REQUEST || err->kind == KURYR_ERR_CONFLICT) {
            KLOG_INFO("subnetpool %s still has its subnet: it goes with the network (%s)", pool_id, err->message);
            kuryr_error_clear(err);
            return 0;
        }
        return kl_err_wrap(err, "deleting the subnetpool failed");
    }
    KLOG_INFO("deleted subnetpool %s", pool_id);
    KURYR_FAULT_POINT("release_pool.pool_deleted");
    *deleted = true;
    return 0;
}

/* ---- subnets of a pool ------------------------------------------------------------------------------- */

static int list_subnets(kl_plugin *p, const char *key, const char *pool_id, const char *cidr,
                        const char *const *fields, kuryr_subnet_list *out, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, key, pool_id);
    if (cidr && *cidr)
        kuryr_query_add(q, "cidr", cidr);
    for (size_t i = 0; fields && fields[i]; i++)
        kuryr_query_field(q, fields[i]);
    int rc = kuryr_neutron_subnet_list(p->kn, q, out, err);
    kuryr_query_free(q);
    return rc;
}

int kl_pool_subnets(kl_plugin *p, const char *pool_id, const char *cidr, const char *const *fields,
                    kuryr_subnet_list *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (list_subnets(p, "subnetpool_id", pool_id, cidr, fields, out, err) < 0)
        return kl_err_wrap(err, "looking up the pool's subnets failed");
    if (out->n)
        return 0;
    kuryr_subnet_list_clear(out);
    bool tags;
    if (kl_tags_supported(p, &tags, err) < 0)
        return -1;
    if (tags && list_subnets(p, "tags", pool_id, cidr, fields, out, err) < 0)
        return kl_err_wrap(err, "looking up the subnets tagged with the pool failed");
    return 0;
}

int kl_pool_untag_subnets(kl_plugin *p, const char *pool_id, const char *cidr, kuryr_error *err)
{
    bool tags;
    if (kl_tags_supported(p, &tags, err) < 0)
        return -1;
    if (!tags)
        return 0;
    const char *fields[] = {"id", "subnetpool_id", NULL};
    kuryr_subnet_list l = {0};
    if (list_subnets(p, "tags", pool_id, cidr, fields, &l, err) < 0)
        return kl_err_wrap(err, "looking up the subnets tagged with the pool failed");
    int rc = 0;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        if (l.items[i]->subnetpool_id && strcmp(l.items[i]->subnetpool_id, pool_id) == 0)
            continue; /* kuryr's own subnet, made from the pool: it goes with its network */
        rc = kuryr_neutron_tag_remove(p->kn, "subnets", l.items[i]->id, pool_id, err);
        if (rc < 0 && err->kind == KURYR_ERR_NOT_FOUND)
            rc = 0;
        if (rc == 0)
            KLOG_INFO("untagged existing subnet %s (kept)", l.items[i]->id);
    }
    kuryr_subnet_list_clear(&l);
    return rc < 0 ? kl_err_wrap(err, "untagging the existing subnet failed") : 0;
}
