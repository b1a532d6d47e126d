/* Ports made ahead of need ([vif_pool] enabled): creating a Neutron port is the slowest step of a container
 * start after binding it, so each subnet in use keeps ports_pool_min unbound ports ready, made in bulk by a
 * background thread. RequestAddress answers from the pool without a Neutron call, and CreateEndpoint's one
 * bind request also sets the MAC Docker chose (Neutron allows that only on an unbound port, which is why the
 * pool holds unbound ports). A released port goes back to its pool instead of being deleted: one unbind
 * request instead of a delete now and a create later.
 *
 * In Neutron a ready port is named kuryr-pool-port (kuryr-kubernetes' name for the same thing), tagged
 * compute:kuryr like every IPAM port, and described "kuryr-pool:<host>". Only this process knows which of
 * them it has handed out, so a restarted daemon deletes the ones it finds unbound and refills; a port handed
 * out just before the restart is then missing when CreateEndpoint looks for it, and CreateEndpoint makes the
 * endpoint its own port with the same address, as for any port released under it. DeleteNetwork deletes the
 * ready ports with the network's other unbound ones (network.c). */
#ifndef KL_VIF_POOL_H
#define KL_VIF_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/neutron.h"

#define KL_POOL_PORT_NAME "kuryr-pool-port"
#define KL_POOL_DESC_PREFIX "kuryr-pool:"

struct kl_plugin;
typedef struct kl_vif_pool kl_vif_pool;

typedef struct {
    long min, max, batch, update_frequency_s;
} kl_vif_pool_cfg;

/* NULL when the pool is off ([vif_pool] enabled = false); every call below accepts NULL and then does
 * nothing. The thread starts with the first take. */
kl_vif_pool *kl_vif_pool_new(struct kl_plugin *p, const kl_vif_pool_cfg *cfg);
/* Stops the thread. Ready ports stay in Neutron for the next start to delete. */
void kl_vif_pool_free(kl_vif_pool *pool);

/* A ready port of subnet_id (the caller owns it), or NULL when there is none yet. Either way the subnet's
 * pool is (re)opened and refilled in the background when it runs below ports_pool_min. */
kuryr_port *kl_vif_pool_take(kl_vif_pool *pool, const char *net_id, const char *subnet_id);
/* Takes port_id out of the pool (Docker asked for its address by name). False when it is not there. */
bool kl_vif_pool_take_id(kl_vif_pool *pool, const char *port_id);
/* Accepts a released kuryr port (one address, in a subnet whose pool is open and not full): a background
 * request unbinds and renames it, and then it is ready again. False when not accepted: delete it. */
bool kl_vif_pool_give(kl_vif_pool *pool, const kuryr_port *port);
/* Waits (at most timeout_s) until no accepted port holding ip in net_id is still being unbound. */
bool kl_vif_pool_wait_ip(kl_vif_pool *pool, const char *net_id, const char *ip, int timeout_s);
/* The network is being deleted: waits (at most timeout_s) for its refills and recycles to finish, then
 * forgets its ready ports (DeleteNetwork deletes them in Neutron with the network's other unbound ports). A
 * later take opens its pools again. */
void kl_vif_pool_close_net(kl_vif_pool *pool, const char *net_id, int timeout_s);
/* Ready ports, over all subnets (for /metrics and tests). */
size_t kl_vif_pool_ready(kl_vif_pool *pool);

/* True for a ready port that this host's pool made or recycled (by its name and description). */
bool kl_vif_pool_port_is_pooled(const kuryr_port *port);

#endif
