/* Leader election on a coordination.k8s.io/v1 Lease, as client-go does it.
 *
 * Every candidate reads the Lease every retry period. The holder renews spec.renewTime; a candidate takes
 * the Lease over (holderIdentity = itself, leaseTransitions + 1) only when the holder has not changed the
 * Lease for leaseDurationSeconds, measured on the candidate's own monotonic clock from the moment it first saw
 * that version of the Lease: clocks of different machines are never compared. Every write carries the
 * resourceVersion it was computed from, so two candidates cannot both win.
 *
 * The leader stops counting itself leader when it could not renew for renew_deadline_s (shorter than the
 * lease duration), before any standby can take over: kuryr_k8s_lease_is_leader() is the check to make before
 * acting. On kuryr_k8s_lease_stop() a leader releases the Lease (empty holder), so a standby takes over at its
 * next retry instead of waiting out the duration. */
#ifndef KURYR_K8S_LEASE_H
#define KURYR_K8S_LEASE_H

#include <stdbool.h>

#include "kuryr/error.h"
#include "kuryr/k8s_client.h"

typedef struct {
    const char *namespace;   /* where the Lease lives, e.g. "kube-system" */
    const char *name;        /* e.g. "kuryr-k8s-controller" */
    const char *identity;    /* unique per candidate, e.g. "<hostname>_<pid>" */
    double lease_duration_s; /* 0 = 15 */
    double renew_deadline_s; /* 0 = 10; must be < lease_duration_s */
    double retry_period_s;   /* 0 = 2; must be < renew_deadline_s */
    /* Called on the election thread. started: this candidate now leads. stopped: it no longer does (renewal
     * failed past the deadline, or stop); after it, is_leader() is false. new_leader: the observed holder
     * changed (NULL = nobody). */
    void (*on_started_leading)(void *ud);
    void (*on_stopped_leading)(void *ud);
    void (*on_new_leader)(const char *identity, void *ud);
    void *ud;
} kuryr_k8s_lease_opts;

typedef struct kuryr_k8s_lease kuryr_k8s_lease;

/* Starts the election thread (the Lease is created if missing). The client must outlive it. */
kuryr_k8s_lease *kuryr_k8s_lease_start(kuryr_k8s_client *c, const kuryr_k8s_lease_opts *opts, kuryr_error *err);
/* True while this candidate holds the Lease and last renewed it less than renew_deadline_s ago. Thread-safe. */
bool kuryr_k8s_lease_is_leader(kuryr_k8s_lease *l);
/* The holder last observed, malloc'd ("" when none). */
char *kuryr_k8s_lease_holder(kuryr_k8s_lease *l);
/* Times this candidate acquired the Lease. */
unsigned long kuryr_k8s_lease_acquisitions(kuryr_k8s_lease *l);
/* Stops the thread; a leader releases the Lease first and gets on_stopped_leading. NULL is fine. Frees l. */
void kuryr_k8s_lease_stop(kuryr_k8s_lease *l);

#endif
