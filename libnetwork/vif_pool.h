/* Ports made ahead of need ([vif_pool] enabled): Docker's use of libkuryr's port pool (kuryr/port_pool.h, which
 * does the pooling; this is the Docker policy). Creating a Neutron port and binding it to this host are the
 * slowest steps of a container start, and Neutron's costliest work per container. Each subnet in use keeps
 * ports_pool_min ports that are already bound to this host, made in bulk in the background. RequestAddress
 * answers from the pool without a Neutron call; CreateEndpoint only plugs the port and Join tags it with the
 * endpoint (a tag write costs Neutron no ML2 work); Docker takes the port's MAC from CreateEndpoint's answer,
 * which is why the IPAM driver then does not ask Docker for a MAC (RequiresMACAddress: false) and why a network
 * cannot have both an IPv4 and an IPv6 subnet: without Docker's MAC nothing ties an endpoint's two
 * RequestAddress calls to one port. A released port goes back to its pool (its tags reset) instead of being
 * deleted: no delete now and no create and bind later.
 *
 * In Neutron a pool port is named kuryr-pool-port (kuryr-kubernetes' name for the same thing), has
 * device_owner compute:kuryr, is tagged compute:kuryr like every IPAM port, and is described
 * "kuryr-pool:<host>". Its device_id stays empty while a container uses it; the endpoint's
 * kuryr.net.uuid.lh/uh tags name the user (kl_vif_pool_port_endpoint). Only this process knows which ready
 * ports it has handed out, so a restarted daemon deletes the untagged ones it finds and refills; a port handed
 * out just before the restart is then missing when CreateEndpoint looks for it, and CreateEndpoint makes the
 * endpoint its own port with the same address, as for any port released under it. DeleteNetwork deletes the
 * ready ports with the network's other unused ones (network.c). */
#ifndef KL_VIF_POOL_H
#define KL_VIF_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/neutron.h"

#include "kuryr/port_pool.h"

#define KL_POOL_PORT_NAME KURYR_POOL_PORT_NAME
#define KL_POOL_DESC_PREFIX KURYR_POOL_DESC_PREFIX

struct kl_plugin;
typedef struct kl_vif_pool kl_vif_pool;

typedef struct {
    long min, max, batch, update_frequency_s;
} kl_vif_pool_cfg;

/* NULL when the pool is off ([vif_pool] enabled = false); every call below accepts NULL and then does
 * nothing. Background work starts with the first take or seed. */
kl_vif_pool *kl_vif_pool_new(struct kl_plugin *p, const kl_vif_pool_cfg *cfg);
/* Stops the background work. Ready ports stay in Neutron for the next start to delete. */
void kl_vif_pool_free(kl_vif_pool *pool);

/* CreateNetwork made subnet_id: its pool opens with one ready port (made in the background), so that the
 * network's first container need not wait for Neutron; it fills to ports_pool_min 2 s after the first take
 * (FIRST_FILL_DELAY_S). Nothing when the pool is open already or ports_pool_min is 0. */
void kl_vif_pool_seed(kl_vif_pool *pool, const char *net_id, const char *subnet_id);
/* A ready port of subnet_id (the caller owns it), or NULL when there is none yet. Either way the subnet's
 * pool is (re)opened and refilled in the background when it runs below ports_pool_min. When the one-port fill
 * of a seeded pool is in flight, waits for it (at most a few seconds). */
kuryr_port *kl_vif_pool_take(kl_vif_pool *pool, const char *net_id, const char *subnet_id);
/* Takes port_id out of the pool (Docker asked for its address by name). False when it is not there. */
bool kl_vif_pool_take_id(kl_vif_pool *pool, const char *port_id);
/* Accepts a released pool port (one address, bound to this host, in a subnet whose pool is open and not
 * full): a background request resets its tags, and after a rest it is ready again. False when not accepted:
 * delete it. */
bool kl_vif_pool_give(kl_vif_pool *pool, const kuryr_port *port);
/* Waits (at most timeout_s) until no accepted port holding ip in net_id is still being reset. */
bool kl_vif_pool_wait_ip(kl_vif_pool *pool, const char *net_id, const char *ip, int timeout_s);
/* The network is being deleted: waits (at most timeout_s) for its refills and recycles to finish, then
 * forgets its ready ports (DeleteNetwork deletes them in Neutron with the network's other unbound ports). A
 * later take opens its pools again. */
void kl_vif_pool_close_net(kl_vif_pool *pool, const char *net_id, int timeout_s);
/* A pool port that Join gave to endpoint_id (copied), and the same taken back by DeleteEndpoint (the caller
 * owns it; NULL when unknown, e.g. after a restart: look it up in Neutron). */
void kl_vif_pool_joined(kl_vif_pool *pool, const char *endpoint_id, const kuryr_port *port);
kuryr_port *kl_vif_pool_leaving(kl_vif_pool *pool, const char *endpoint_id);
/* Waits (at most timeout_s) until the background thread has looked at every wake-up so far and has nothing
 * to do now (what is left, such as a delayed fill or a retry, is not due yet). True at once when no thread
 * runs; false on timeout. For tests that check that something was not done, without sleeping. */
bool kl_vif_pool_wait_idle(kl_vif_pool *pool, int timeout_s);
/* Ready ports, over all subnets (for /metrics and tests). */
size_t kl_vif_pool_ready(kl_vif_pool *pool);

/* True for a port that a pool made (by its name and description), ready or in use. */
bool kl_vif_pool_port_is_pooled(const kuryr_port *port);
/* The endpoint using a port: its device_id, or for a pool port (whose device_id stays empty, see above) the
 * endpoint's kuryr.net.uuid.lh/uh tag pair. out (65 bytes, may be NULL) receives it. False when none. */
bool kl_vif_pool_port_endpoint(const kuryr_port *port, char out[65]);

#endif
