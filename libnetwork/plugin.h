/* The daemon state shared by every handler: config, clients, binding settings, and the modules that hold
 * in-memory state, each with its own lock (the caches, the port pool, the delete queue, the doubt list), so
 * that no request waits behind another's unrelated work. */
#ifndef KL_PLUGIN_H
#define KL_PLUGIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "kuryr/binding.h"
#include "kuryr/config.h"
#include "kuryr/error.h"
#include "kuryr/http.h"
#include "kuryr/keystone.h"
#include "kuryr/neutron.h"

/* The immutable Docker→Neutron network mapping, cached to save a lookup per request. */
typedef struct {
    char docker_id[65];
    char neutron_id[64];
    int mtu;
    bool existing;  /* adopted with -o neutron.net.uuid/name: never deleted */
} kl_net_map;

/* What RequestPool decided, needed again by RequestAddress (gateway) and CreateNetwork, which Docker calls
 * before the Neutron subnet exists. */
typedef struct {
    char docker_pool_id[192];
    char pool_id[64];
    char pool_cidr[64];    /* Docker's Pool */
    char subnet_cidr[64];  /* SubPool (--ip-range) or Pool */
    char claimed_by[65];   /* Docker network that created its subnet from it */
    bool existing_subnet;  /* pool_id is an existing subnet's id (neutron.subnet.* IPAM option) */
} kl_pool_info;

typedef struct kl_plugin {
    kuryr_config *cfg;
    kuryr_http *http;
    kuryr_auth *auth;
    kuryr_neutron *kn;
    kuryr_binding_cfg bcfg;
    char hostname[256];  /* binding:host_id: [DEFAULT] host or the kernel's host name */
    char owner[256];     /* this host's marker, kuryr.host:<hostname> (kuryr/owner.h) */
    atomic_int tag_support;   /* -1 not yet known, 0 no tag extension, 1 tags */

    struct kuryr_net_cache *nets;       /* Docker network -> Neutron network (kuryr/net_cache.h) */
    struct kuryr_subnet_cache *subnets; /* PoolID -> Neutron subnet, fixed for the network's life; dropped with
                                         * the pool or the network, or after any failure using it
                                         * (kuryr/subnet_cache.h) */
    struct kl_pool_memory *pools;       /* what RequestPool decided (pool_memory.c) */
    struct kl_fresh_ports *fresh;       /* ports handed from one handler to the next (fresh_ports.c) */
    struct kl_unexposed *unexposed;     /* endpoints whose ProgramExternalConnectivity exposed nothing */
    struct {
        pthread_mutex_t lock;
        char id[64];                    /* nested drivers: this VM's own Neutron port, found once, then fixed */
    } parent_port;
    struct kuryr_doubts *doubts; /* port creates that got no answer (doubt.h) */
    struct kuryr_port_deletes *releases; /* port deletes after ReleaseAddress answered (kuryr/port_deletes.h) */
    struct kl_vif_pool *vif_pool; /* ports made ahead of need; NULL when [vif_pool] is off (vif_pool.h) */
} kl_plugin;

/* Builds the clients from cfg (borrowed; must outlive p). */
int kl_plugin_init(kl_plugin *p, kuryr_config *cfg, kuryr_error *err);
void kl_plugin_fini(kl_plugin *p);

/* Endpoints known to have no exposed-ports group, so that RevokeExternalConnectivity needs no Neutron call.
 * take removes the endpoint and tells whether it was there. */
void kl_unexposed_add(kl_plugin *p, const char *endpoint_id);
bool kl_unexposed_take(kl_plugin *p, const char *endpoint_id);
/* Fills a bind request's nested-driver fields when port's driver is nested: the Neutron client and this VM's
 * port, found by the MAC of [binding] link_iface (or, when unset, of the first physical interface that has a
 * Neutron port) and then cached. */
int kl_bind_request_prepare(kl_plugin *p, kuryr_bind_request *br, kuryr_error *err);

#endif
