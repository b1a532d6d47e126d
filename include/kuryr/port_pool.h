/* A pool of Neutron ports made ahead of need: creating a port and binding it to a host are the slowest steps of
 * a container (or pod) start, and Neutron's costliest work per container. The pool keeps, per key, `min`
 * ports that are already bound to its host, made in bulk in the background; a start takes one without a
 * Neutron call, and a released port goes back to its pool (its tags reset, a tag write costs Neutron no ML2
 * work) instead of being deleted.
 *
 * A key names what makes ports interchangeable: the network and subnet, and for the Kubernetes pod pools also
 * the project and the security groups (kuryr_pool_key). What marks a port as this pool's, how it is named and
 * tagged, and what a leftover port needs before it is deleted are the caller's policy (kuryr_port_pool_cfg):
 * kuryr-libnetwork names its ports kuryr-pool-port, described "kuryr-pool:<host>" (libnetwork/vif_pool.h).
 *
 * Only this process knows which ready ports it has handed out, so the first background step deletes the
 * pool's ports an earlier run left that are not in use (cfg.in_use), and refills. All Neutron work (that sweep,
 * bulk refills, the reset of returned ports) runs on one work queue (kuryr/workqueue.h): serial, as Neutron's
 * load is meant to be, woken at once by takes and returns, and re-scheduled when a retry or a rest comes due.
 * Every function is thread-safe and accepts a NULL pool (doing nothing). */
#ifndef KURYR_PORT_POOL_H
#define KURYR_PORT_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/neutron.h"

/* The name upstream kuryr-kubernetes gives pool ports, used by kuryr-libnetwork too. */
#define KURYR_POOL_PORT_NAME "kuryr-pool-port"
/* Pool ports are described "kuryr-pool:<owner>" (the owner: a host, or a node). */
#define KURYR_POOL_DESC_PREFIX "kuryr-pool:"

/* What a pool's ports have in common. Strings are copied; ids are Neutron's (at most 63 characters). */
typedef struct {
    const char *network_id;
    const char *subnet_id;              /* the ports' one fixed IP is in it */
    const char *project_id;             /* NULL or "": the credentials' project */
    const char *const *security_groups; /* NULL-terminated; NULL: Neutron's default group */
} kuryr_pool_key;

typedef struct {
    kuryr_neutron *kn;        /* borrowed: outlives the pool */
    const char *host;         /* binding:host_id of every port made (copied) */
    const char *description;  /* marks this pool's ports: KURYR_POOL_DESC_PREFIX "<owner>" (copied) */
    const char *device_owner; /* of every port made (copied) */
    const char *ready_tag;    /* the one tag of a ready port (copied) */
    const char *log_name;     /* prefix of log lines ("vif pool"); NULL: "port pool" */
    long min, max, batch, update_frequency_s; /* max 0: no limit */
    /* The start-up sweep keeps a leftover pool port that is in use (a container's: judged elsewhere), and calls
     * before_delete (e.g. unplug a host side plugged just before a crash) for the others. Both may be NULL. */
    bool (*in_use)(const kuryr_port *port, void *ud);
    void (*before_delete)(const kuryr_port *port, void *ud);
    void *ud;
} kuryr_port_pool_cfg;

typedef struct kuryr_port_pool kuryr_port_pool;

/* NULL when out of memory or no worker can start. Background work starts with the first take or seed. */
kuryr_port_pool *kuryr_port_pool_new(const kuryr_port_pool_cfg *cfg);
/* Stops the background work (waiting for the step in progress). Ready ports stay in Neutron for the next
 * start to delete. */
void kuryr_port_pool_free(kuryr_port_pool *pool);

/* key's pool opens with one ready port (made in the background), so that a new network's first user need not
 * wait for Neutron; it fills to min 2 s after its first take. Nothing when the pool is open already or min is
 * 0. */
void kuryr_port_pool_seed(kuryr_port_pool *pool, const kuryr_pool_key *key);
/* A ready port of key's pool (the caller owns it), or NULL when there is none yet. Either way the pool is
 * (re)opened and refilled in the background when it runs below min. When the one-port fill of a seeded pool
 * is in flight, waits for it (at most a few seconds). */
kuryr_port *kuryr_port_pool_take(kuryr_port_pool *pool, const kuryr_pool_key *key);
/* Takes port_id out of its pool (a user asked for its address by name). False when it is not there. */
bool kuryr_port_pool_take_id(kuryr_port_pool *pool, const char *port_id);
/* Accepts a released pool port of key (one address, bound to this pool's host, carrying its description, in
 * a pool that is open and not full): a background request resets its tags to ready_tag, and after a rest it
 * is ready again. False when not accepted: delete it. */
bool kuryr_port_pool_give(kuryr_port_pool *pool, const kuryr_pool_key *key, const kuryr_port *port);
/* Waits (at most timeout_s) until no accepted port holding ip in net_id is still being reset. */
bool kuryr_port_pool_wait_ip(kuryr_port_pool *pool, const char *net_id, const char *ip, int timeout_s);
/* The network is being deleted: waits (at most timeout_s) for its refills and returns to finish, then forgets
 * its ready ports (the caller deletes them in Neutron). A later take opens its pools again. */
void kuryr_port_pool_close_net(kuryr_port_pool *pool, const char *net_id, int timeout_s);
/* A pool port handed to user (a Docker endpoint, a pod; copied), and the same taken back (the caller owns it;
 * NULL when unknown, e.g. after a restart: look it up in Neutron). */
void kuryr_port_pool_lent(kuryr_port_pool *pool, const char *user, const kuryr_port *port);
kuryr_port *kuryr_port_pool_returning(kuryr_port_pool *pool, const char *user);
/* Waits (at most timeout_s) until the background work has looked at every wake-up so far and has nothing to
 * do now (what is left, such as a delayed fill or a retry, is not due yet). False on timeout. For tests that
 * check that something was not done, without sleeping. */
bool kuryr_port_pool_wait_idle(kuryr_port_pool *pool, int timeout_s);
/* Ready ports, over all keys (for /metrics and tests). */
size_t kuryr_port_pool_ready(kuryr_port_pool *pool);

/* True for a port that a pool made (by its name and description prefix), ready or in use, by any owner. */
bool kuryr_port_pool_is_pooled(const kuryr_port *port);

#endif
