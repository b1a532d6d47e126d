/* Creates whose answer never came. A POST that timed out (Neutron paused, overloaded or cut off) may still be
 * carried out once Neutron reads it from its socket, leaving a port that no one knows of: Docker was told the
 * call failed, and its retry makes another one. Such a POST carries a marker in the port's description; the
 * doubt list remembers the marker, and a background sweep (one key of a work queue, kuryr/workqueue.h, run
 * every second while doubts are left) looks for ports with it once Neutron answers again and deletes them. It keeps looking for a grace period after Neutron's first answer, since the late create
 * may finish after that answer.
 *
 * Only ports still unbound and untagged are deleted: a port that a retried RequestAddress adopted meanwhile is
 * tagged first (and its marker forgotten), so it stays. Network creates (CreateNetwork) are watched the same
 * way; a late network is deleted while it has no tags and no subnets. */
#ifndef KL_DOUBT_H
#define KL_DOUBT_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/neutron.h"

typedef struct kl_doubts kl_doubts;

/* Room for a marker with a host name of up to 255 characters. */
#define KL_DOUBT_MARKER_LEN 320

/* grace_s: how long to keep looking after Neutron first answers a look-up. The first sweep runs a second
 * after the first doubt. */
kl_doubts *kl_doubts_new(kuryr_neutron *kn, int grace_s);
/* Stops the sweeps (waiting for a look-up in progress) and frees the list; doubts left are logged. */
void kl_doubts_free(kl_doubts *d);

/* A description marker unique to this create request, into buf: "kuryr-create-<32 hex>@<host>", so that a
 * late create found after a restart is still known to be this host's (reconcile.h). */
void kl_doubt_marker(char *buf, size_t size, const char *host);
/* Whether a port description is such a marker (of any host). */
bool kl_doubt_is_marker(const char *description);
/* Whether it is the marker of a create by host. */
bool kl_doubt_marker_of(const char *description, const char *host);
/* Remembers that a port (network) create with this description marker got no answer. */
void kl_doubts_add_port(kl_doubts *d, const char *marker);
void kl_doubts_add_network(kl_doubts *d, const char *marker);
/* Forgets a marker: the port it names is in use after all. */
void kl_doubts_forget(kl_doubts *d, const char *marker);
size_t kl_doubts_pending(kl_doubts *d);
/* One pass over the list, as the sweep makes it every second (exposed for unit tests). */
void kl_doubts_sweep(kl_doubts *d);

#endif
