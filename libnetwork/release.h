/* Port deletes carried out after ReleaseAddress has answered. By default ReleaseAddress deletes the port
 * itself before answering, as upstream does, so that the port is gone when Docker's call returns; it queues
 * the delete here instead when [DEFAULT] background_port_delete is on (the answer then does not wait for
 * Neutron's delete, and the port outlives it for a moment), or when its own delete could not reach Neutron
 * (the queue retries it).
 *
 * What must not see a port that is still being deleted waits for it instead: a request for that exact
 * address (kl_releases_wait_ip) and the deletion of its network (kl_releases_wait_net). A delete that fails
 * because Neutron is unreachable is retried until it succeeds or the daemon stops; a daemon that stops or dies
 * with deletes queued leaves ports bound to endpoints Docker no longer has, which the start-up reconciliation
 * removes (see reconcile.h). */
#ifndef KL_RELEASE_H
#define KL_RELEASE_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/neutron.h"

typedef struct kl_releases kl_releases;

/* How long a request waits for queued deletes before going on (and, likely, meeting Neutron's refusal). */
#define KL_RELEASE_WAIT_S 30

kl_releases *kl_releases_new(kuryr_neutron *kn);
/* Waits up to drain_s seconds for the queued deletes, then stops the workers and logs what is left. */
void kl_releases_free(kl_releases *r, int drain_s);

/* Queues the delete of port_id (holding ip in Neutron network net_id). Queuing a port already queued only
 * adds the address (the second family of a dual-stack endpoint). False when the queue is full: the caller
 * deletes the port itself. */
bool kl_releases_add(kl_releases *r, const char *port_id, const char *net_id, const char *ip);
/* Whether a delete of port_id is queued or in progress. */
bool kl_releases_pending_port(kl_releases *r, const char *port_id);
/* Wait until no queued delete holds ip in net_id (or, for _net, any port of net_id), at most timeout_s
 * seconds. False on timeout. */
bool kl_releases_wait_ip(kl_releases *r, const char *net_id, const char *ip, int timeout_s);
bool kl_releases_wait_net(kl_releases *r, const char *net_id, int timeout_s);
/* Deletes queued or in progress (for /metrics and tests). */
size_t kl_releases_pending(kl_releases *r);

#endif
