/* kuryr-k8s-controller's core: the enabled handlers' informers, the shared work queue, leader election and
 * the health listener, started and stopped as one.
 *
 * Informers run on every controller, leader or standby, so a standby's caches are warm when it takes over.
 * Only the leader queues work: while it leads, every change a handler's informer reports is queued, and when
 * it becomes leader it queues every cached object once, so nothing that happened while it stood by is
 * missed. A controller that loses the lead stops queuing and drops the work still queued when a worker
 * reaches it (the new leader does the same resync). Without [kubernetes] controller_ha it leads from the start. */
#ifndef KC_CONTROLLER_H
#define KC_CONTROLLER_H

#include <stdio.h>

#include "handler.h"
#include "kuryr/config.h"
#include "kuryr/error.h"

/* Builds and starts everything from cfg (which must outlive the controller). NULL with err when the
 * configuration is wrong or the kube-apiserver client cannot be made. Informers retry an unreachable
 * kube-apiserver on their own: a controller starts without it and becomes ready once synced. */
kc_controller *kc_controller_start(const kuryr_config *cfg, kuryr_error *err);
/* Stops the election first (a leader releases its Lease), then the informers, then the queue (handlers in
 * flight finish), then the health listener. NULL is fine. */
void kc_controller_stop(kc_controller *ctl);

/* This controller's identity: $KURYR_CONTROLLER_ID, else "<hostname>_<pid>". */
const char *kc_controller_identity(const kc_controller *ctl);
/* Prometheus text of the controller's metrics (the health listener's /metrics calls it). 0 or -1. */
int kc_controller_metrics(void *ctl, FILE *out);

#endif
