/* Docker↔Neutron mapping and caches (see mapping.h). */
#include "mapping.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/doubt.h"
#include "kuryr/grow.h"
#include "kuryr/log.h"
#include "kuryr/owner.h"
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

static kl_net_map *cache_find(kl_plugin *p, const char *docker_id)
{
    for (size_t i = 0; i < p->n_nets; i++) {
        if (strcmp(p->nets[i].docker_id, docker_id) == 0)
            return &p->nets[i];
    }
    return NULL;
}

void kl_net_cache_put(kl_plugin *p, const kl_net_map *m)
{
    pthread_mutex_lock(&p->lock);
    kl_net_map *slot = cache_find(p, m->docker_id);
    if (!slot) {
        kl_net_map *n = kuryr_grow(p->nets, p->n_nets, &p->cap_nets, sizeof(*n));
        if (n)
            p->nets = n;
    }
    if (!slot && p->n_nets < p->cap_nets)
        slot = &p->nets[p->n_nets++];
    if (slot)
        *slot = *m;
    pthread_mutex_unlock(&p->lock);
}

void kl_net_cache_drop(kl_plugin *p, const char *docker_id)
{
    pthread_mutex_lock(&p->lock);
    kl_net_map *slot = cache_find(p, docker_id);
    if (slot)
        *slot = p->nets[--p->n_nets];
    pthread_mutex_unlock(&p->lock);
}

int kl_net_lookup(kl_plugin *p, const char *docker_id, kl_net_map *out, kuryr_error *err)
{
    pthread_mutex_lock(&p->lock);
    kl_net_map *hit = cache_find(p, docker_id);
    if (hit)
        *out = *hit;
    pthread_mutex_unlock(&p->lock);
    if (hit)
        return 0;

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

/* ---- pools ------------------------------------------------------------------------------------------- */

bool kl_pool_remember(kl_plugin *p, const kl_pool_info *info)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_pools; i++) {
        const kl_pool_info *it = &p->pools[i];
        if (strcmp(it->docker_pool_id, info->docker_pool_id) == 0 ||
            (strcmp(it->pool_id, info->pool_id) == 0 && strcmp(it->subnet_cidr, info->subnet_cidr) == 0)) {
            pthread_mutex_unlock(&p->lock);
            return false;
        }
    }
    kl_pool_info *n = kuryr_grow(p->pools, p->n_pools, &p->cap_pools, sizeof(*n));
    if (!n) {
        pthread_mutex_unlock(&p->lock);
        return true; /* not remembered, but nothing conflicts either */
    }
    p->pools = n;
    p->pools[p->n_pools++] = *info;
    pthread_mutex_unlock(&p->lock);
    return true;
}

bool kl_pool_by_docker_id(kl_plugin *p, const char *docker_pool_id, kl_pool_info *out)
{
    bool found = false;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_pools && !found; i++) {
        if (strcmp(p->pools[i].docker_pool_id, docker_pool_id) == 0) {
            *out = p->pools[i];
            found = true;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return found;
}

bool kl_pool_claim(kl_plugin *p, const char *pool_cidr, const char *docker_id, kl_pool_info *out)
{
    kl_pool_info *pick = NULL;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_pools; i++) {
        kl_pool_info *it = &p->pools[i];
        if (strcmp(it->pool_cidr, pool_cidr) != 0)
            continue;
        if (strcmp(it->claimed_by, docker_id) == 0) {
            pick = it;
            break;
        }
        /* the newest unclaimed one: RequestPool for this network came last */
        if (!it->claimed_by[0])
            pick = it;
    }
    if (pick) {
        snprintf(pick->claimed_by, sizeof(pick->claimed_by), "%s", docker_id);
        *out = *pick;
    }
    pthread_mutex_unlock(&p->lock);
    return pick != NULL;
}

void kl_pool_unclaim(kl_plugin *p, const char *docker_id)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_pools; i++) {
        if (strcmp(p->pools[i].claimed_by, docker_id) == 0)
            p->pools[i].claimed_by[0] = '\0';
    }
    pthread_mutex_unlock(&p->lock);
}

void kl_pool_forget(kl_plugin *p, const char *docker_pool_id)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_pools; i++) {
        if (strcmp(p->pools[i].docker_pool_id, docker_pool_id) == 0) {
            p->pools[i] = p->pools[--p->n_pools];
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
}

bool kl_pool_cidr_reserved(kl_plugin *p, const char *pool_id, const char *cidr)
{
    bool found = false;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_pools && !found; i++) {
        found = strcmp(p->pools[i].pool_id, pool_id) == 0 && strcmp(p->pools[i].subnet_cidr, cidr) == 0;
    }
    pthread_mutex_unlock(&p->lock);
    return found;
}

/* ---- subnet cache ------------------------------------------------------------------------------------- */

/* The cache keeps and hands out copies: connection threads never share a json_t, since jansson's inline
 * json_incref/json_decref read the count without the atomic they write it with (ThreadSanitizer flags it),
 * and a shared object would be one stray setter away from a real race. Subnets are small. */
json_t *kl_subnet_cache_get(kl_plugin *p, const char *docker_pool_id)
{
    json_t *hit = NULL;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_subs && !hit; i++) {
        if (strcmp(p->subs[i].docker_pool_id, docker_pool_id) == 0)
            hit = json_deep_copy(p->subs[i].subnet);
    }
    pthread_mutex_unlock(&p->lock);
    return hit;
}

void kl_subnet_cache_put(kl_plugin *p, const char *docker_pool_id, const char *net_id, json_t *subnet)
{
    if (strlen(docker_pool_id) >= sizeof(p->subs->docker_pool_id) || strlen(net_id) >= sizeof(p->subs->net_id))
        return;
    json_t *copy = json_deep_copy(subnet);
    if (!copy)
        return;
    kl_subnet_cache_drop_pool(p, docker_pool_id);
    pthread_mutex_lock(&p->lock);
    kl_subnet_map *n = kuryr_grow(p->subs, p->n_subs, &p->cap_subs, sizeof(*n));
    if (!n) {
        pthread_mutex_unlock(&p->lock);
        json_decref(copy);
        return;
    }
    p->subs = n;
    kl_subnet_map *m = &p->subs[p->n_subs++];
    memset(m, 0, sizeof(*m));
    memcpy(m->docker_pool_id, docker_pool_id, strlen(docker_pool_id) + 1);
    memcpy(m->net_id, net_id, strlen(net_id) + 1);
    m->subnet = copy;
    pthread_mutex_unlock(&p->lock);
}

static void drop_where(kl_plugin *p, bool by_pool, const char *key)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_subs;) {
        if (strcmp(by_pool ? p->subs[i].docker_pool_id : p->subs[i].net_id, key) == 0) {
            json_decref(p->subs[i].subnet);
            p->subs[i] = p->subs[--p->n_subs];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&p->lock);
}

void kl_subnet_cache_drop_pool(kl_plugin *p, const char *docker_pool_id)
{
    drop_where(p, true, docker_pool_id);
}

void kl_subnet_cache_drop_net(kl_plugin *p, const char *net_id)
{
    drop_where(p, false, net_id);
}

/* ---- ports ------------------------------------------------------------------------------------------- */

bool kl_port_is_mine(const kl_plugin *p, const kuryr_port *port)
{
    const char *desc = json_string_value(json_object_get(port->raw, "description"));
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

/* ---- ports handed from one handler to the next ------------------------------------------------------- */

void kl_fresh_key_addr(char key[KL_FRESH_KEY_LEN], const char *net_id, const char *ip)
{
    snprintf(key, KL_FRESH_KEY_LEN, "addr %s %s", net_id, ip);
}

void kl_fresh_key_mac(char key[KL_FRESH_KEY_LEN], const char *net_id, const char *mac)
{
    int n = snprintf(key, KL_FRESH_KEY_LEN, "mac %s ", net_id);
    for (size_t i = 0; n > 0 && (size_t)n + i + 1 < KL_FRESH_KEY_LEN && mac[i]; i++) {
        key[n + i] = (char)tolower((unsigned char)mac[i]);
        key[n + i + 1] = '\0';
    }
}

void kl_fresh_key_ep(char key[KL_FRESH_KEY_LEN], const char *endpoint_id)
{
    snprintf(key, KL_FRESH_KEY_LEN, "ep %s", endpoint_id);
}

void kl_fresh_port_put(kl_plugin *p, const char *key, const kuryr_port *port, const char *const *tags,
                       size_t n_tags)
{
    if (!port || !port->raw)
        return;
    json_t *copy = json_deep_copy(port->raw);
    if (!copy)
        return;
    if (tags) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n_tags; i++)
            json_array_append_new(arr, json_string(tags[i]));
        json_object_set_new(copy, "tags", arr);
    }
    pthread_mutex_lock(&p->lock);
    if (!p->fresh_ports)
        p->fresh_ports = json_object();
    if (json_object_size(p->fresh_ports) >= KL_FRESH_PORTS_MAX)
        json_object_clear(p->fresh_ports); /* handlers that never came: a lookup each is the only cost */
    json_object_set_new(p->fresh_ports, key, copy);
    pthread_mutex_unlock(&p->lock);
}

kuryr_port *kl_fresh_port_take(kl_plugin *p, const char *key, const char *net_id)
{
    pthread_mutex_lock(&p->lock);
    json_t *raw = p->fresh_ports ? json_incref(json_object_get(p->fresh_ports, key)) : NULL;
    if (raw)
        json_object_del(p->fresh_ports, key);
    pthread_mutex_unlock(&p->lock);
    if (!raw)
        return NULL;
    kuryr_error ignored;
    kuryr_port *port = kuryr_port_from_json(raw, &ignored);
    json_decref(raw);
    if (port && net_id && (!port->network_id || strcmp(port->network_id, net_id) != 0)) {
        kuryr_port_free(port);
        port = NULL;
    }
    return port;
}

void kl_fresh_port_drop(kl_plugin *p, const char *key)
{
    pthread_mutex_lock(&p->lock);
    if (p->fresh_ports)
        json_object_del(p->fresh_ports, key);
    pthread_mutex_unlock(&p->lock);
}

void kl_fresh_port_drop_id(kl_plugin *p, const char *port_id)
{
    pthread_mutex_lock(&p->lock);
    const char *key;
    json_t *v, *tmp;
    if (p->fresh_ports) {
        json_object_foreach_safe(p->fresh_ports, tmp, key, v) {
            const char *id = json_string_value(json_object_get(v, "id"));
            if (id && strcmp(id, port_id) == 0)
                json_object_del(p->fresh_ports, key);
        }
    }
    pthread_mutex_unlock(&p->lock);
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
