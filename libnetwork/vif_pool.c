/* kuryr-libnetwork's port pool (see vif_pool.h): libkuryr's pool of ready ports (kuryr/port_pool.h) with
 * Docker's policy. A pool per Docker subnet (its key: network and subnet; the project and the security groups
 * are Neutron's defaults, as for every kuryr-libnetwork port), ports described with this host's name, tagged
 * compute:kuryr when ready, users named by their endpoint id, and a leftover port's host side unplugged
 * before the start-up sweep deletes it. */
#include "vif_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/binding.h"
#include "kuryr/port_pool.h"
#include "names.h"
#include "plugin.h"

struct kl_vif_pool {
    kl_plugin *p;
    kuryr_port_pool *ports;
};

static bool in_use(const kuryr_port *port, void *ud)
{
    (void)ud;
    return kl_vif_pool_port_endpoint(port, NULL); /* a container's: the reconciliation judges it against Docker */
}

/* One CreateEndpoint plugged just before the previous run died, with its Join still to come. */
static void unplug_leftover(const kuryr_port *port, void *ud)
{
    kl_plugin *p = ud;
    kuryr_bind_request br = {.port = port, .owner_id = port->id};
    kuryr_error ignored;
    if (kl_bind_request_prepare(p, &br, &ignored) == 0)
        kuryr_unbind(&p->bcfg, &br, &ignored);
}

kl_vif_pool *kl_vif_pool_new(kl_plugin *p, const kl_vif_pool_cfg *cfg)
{
    kl_vif_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    char desc[320];
    snprintf(desc, sizeof(desc), "%s%s", KL_POOL_DESC_PREFIX, p->hostname);
    kuryr_port_pool_cfg pc = {
        .kn = p->kn, .host = p->hostname, .description = desc, .device_owner = KL_DEVICE_OWNER,
        .ready_tag = KL_TAG_PORT_KURYR, .log_name = "vif pool", .min = cfg->min, .max = cfg->max,
        .batch = cfg->batch, .update_frequency_s = cfg->update_frequency_s, .in_use = in_use,
        .before_delete = unplug_leftover, .ud = p,
    };
    pool->p = p;
    if (!(pool->ports = kuryr_port_pool_new(&pc))) {
        free(pool);
        return NULL;
    }
    return pool;
}

void kl_vif_pool_free(kl_vif_pool *pool)
{
    if (!pool)
        return;
    kuryr_port_pool_free(pool->ports);
    free(pool);
}

/* Docker's pool key: the subnet of a network, default project and security groups. */
static kuryr_pool_key key_of(const char *net_id, const char *subnet_id)
{
    return (kuryr_pool_key){.network_id = net_id, .subnet_id = subnet_id};
}

void kl_vif_pool_seed(kl_vif_pool *pool, const char *net_id, const char *subnet_id)
{
    kuryr_pool_key key = key_of(net_id, subnet_id);
    if (pool)
        kuryr_port_pool_seed(pool->ports, &key);
}

kuryr_port *kl_vif_pool_take(kl_vif_pool *pool, const char *net_id, const char *subnet_id)
{
    kuryr_pool_key key = key_of(net_id, subnet_id);
    return pool ? kuryr_port_pool_take(pool->ports, &key) : NULL;
}

bool kl_vif_pool_take_id(kl_vif_pool *pool, const char *port_id)
{
    return pool && kuryr_port_pool_take_id(pool->ports, port_id);
}

bool kl_vif_pool_give(kl_vif_pool *pool, const kuryr_port *port)
{
    if (!pool || port->n_fixed_ips != 1 || !port->network_id)
        return false;
    kuryr_pool_key key = key_of(port->network_id, port->fixed_ips[0].subnet_id);
    return kuryr_port_pool_give(pool->ports, &key, port);
}

bool kl_vif_pool_wait_ip(kl_vif_pool *pool, const char *net_id, const char *ip, int timeout_s)
{
    return !pool || kuryr_port_pool_wait_ip(pool->ports, net_id, ip, timeout_s);
}

void kl_vif_pool_close_net(kl_vif_pool *pool, const char *net_id, int timeout_s)
{
    if (pool)
        kuryr_port_pool_close_net(pool->ports, net_id, timeout_s);
}

void kl_vif_pool_joined(kl_vif_pool *pool, const char *endpoint_id, const kuryr_port *port)
{
    if (pool && strlen(endpoint_id) <= 64)
        kuryr_port_pool_lent(pool->ports, endpoint_id, port);
}

kuryr_port *kl_vif_pool_leaving(kl_vif_pool *pool, const char *endpoint_id)
{
    return pool ? kuryr_port_pool_returning(pool->ports, endpoint_id) : NULL;
}

bool kl_vif_pool_wait_idle(kl_vif_pool *pool, int timeout_s)
{
    return !pool || kuryr_port_pool_wait_idle(pool->ports, timeout_s);
}

size_t kl_vif_pool_ready(kl_vif_pool *pool)
{
    return pool ? kuryr_port_pool_ready(pool->ports) : 0;
}

bool kl_vif_pool_port_is_pooled(const kuryr_port *port)
{
    return kuryr_port_pool_is_pooled(port);
}

bool kl_vif_pool_port_endpoint(const kuryr_port *port, char out[65])
{
    if (port->device_id && *port->device_id) {
        if (out)
            snprintf(out, 65, "%.64s", port->device_id);
        return true;
    }
    if (!kuryr_port_pool_is_pooled(port))
        return false;
    const char *lh = NULL, *uh = NULL;
    size_t ll = strlen(KL_TAG_LH), ul = strlen(KL_TAG_UH);
    for (size_t i = 0; i < port->tags.n; i++) {
        const char *t = port->tags.items[i];
        if (!strncmp(t, KL_TAG_LH, ll) && strlen(t) == ll + 32)
            lh = t + ll;
        else if (!strncmp(t, KL_TAG_UH, ul) && strlen(t) == ul + 32)
            uh = t + ul;
    }
    if (!lh || !uh)
        return false;
    if (out)
        snprintf(out, 65, "%s%s", lh, uh);
    return true;
}
