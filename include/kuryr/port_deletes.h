/* Port deletes that must survive failures: a daemon that has already told its client a port is gone (Docker's
 * ReleaseAddress with [DEFAULT] background_port_delete, or a delete that could not reach Neutron; later a pod's
 * deletion) queues the delete here, and the queue's workers carry it out on libkuryr's work queue
 * (kuryr/workqueue.h), keyed by port id: a delete that fails because Neutron is unreachable is retried with
 * backoff (about 2, 4, 8, 16, then every 30 s) until it succeeds or the daemon stops; Neutron's "not found" ends
 * it, and any other refusal is logged and left to the owner's reconciliation.
 *
 * What must not see a port that is still being deleted waits for it instead: a request for that exact
 * address (kuryr_port_deletes_wait_ip) and the deletion of its network (kuryr_port_deletes_wait_net). A
 * stopping daemon drains the queue for a bounded time; a daemon that stops or dies with deletes queued leaves
 * ports bound to users that no longer exist, which its reconciliation removes (libnetwork/reconcile.h). */
#ifndef KURYR_PORT_DELETES_H
#define KURYR_PORT_DELETES_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/neutron.h"

typedef struct kuryr_port_deletes kuryr_port_deletes;

/* How long a request waits for queued deletes before going on (and, likely, meeting Neutron's refusal). */
#define KURYR_PORT_DELETE_WAIT_S 30

kuryr_port_deletes *kuryr_port_deletes_new(kuryr_neutron *kn);
/* Waits up to drain_s seconds for the queued deletes (kuryr_workqueue_drain), then stops the workers and logs
 * what is left. */
void kuryr_port_deletes_free(kuryr_port_deletes *r, int drain_s);

/* Queues the delete of port_id (holding ip in Neutron network net_id). Queuing a port already queued only
 * adds the address (the second family of a dual-stack endpoint). False when the queue is full: the caller
 * deletes the port itself. */
bool kuryr_port_deletes_add(kuryr_port_deletes *r, const char *port_id, const char *net_id, const char *ip);
/* Whether a delete of port_id is queued or in progress. */
bool kuryr_port_deletes_pending_port(kuryr_port_deletes *r, const char *port_id);
/* Wait until no queued delete holds ip in net_id (or, for _net, any port of net_id), at most timeout_s
 * seconds. False on timeout. */
bool kuryr_port_deletes_wait_ip(kuryr_port_deletes *r, const char *net_id, const char *ip, int timeout_s);
bool kuryr_port_deletes_wait_net(kuryr_port_deletes *r, const char *net_id, int timeout_s);
/* Deletes queued or in progress (for /metrics and tests). */
size_t kuryr_port_deletes_pending(kuryr_port_deletes *r);

#endif
