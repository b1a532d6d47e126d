/* Creates whose answer never came (shared by the daemons: kuryr-libnetwork's RequestAddress and CreateNetwork
 * use it, and so can the Kubernetes controller's creates). A POST that timed out (Neutron paused, overloaded or
 * cut off) may still be carried out once Neutron reads it from its socket, leaving a port that no one knows of:
 * the client was told the call failed, and its retry makes another one. Such a POST carries a marker in the
 * port's description; the doubt list remembers the marker, and a background sweep (one key of a work queue,
 * kuryr/workqueue.h, run every second while doubts are left) looks for ports with it once Neutron answers
 * again and deletes them. It keeps looking for a grace period after Neutron's first answer, since the late
 * create may finish after that answer.
 *
 * Only ports still unbound and untagged are deleted: a port that a retried request adopted meanwhile is
 * tagged first (and its marker forgotten), so it stays. Network creates are watched the same way; a late
 * network is deleted while it has no tags and no subnets. */
#ifndef KURYR_DOUBT_H
#define KURYR_DOUBT_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/neutron.h"

typedef struct kuryr_doubts kuryr_doubts;

/* Room for a marker with a host name of up to 255 characters. */
#define KURYR_DOUBT_MARKER_LEN 320

/* grace_s: how long to keep looking after Neutron first answers a look-up. The first sweep runs a second
 * after the first doubt. */
kuryr_doubts *kuryr_doubts_new(kuryr_neutron *kn, int grace_s);
/* Stops the sweeps (waiting for a look-up in progress) and frees the list; doubts left are logged. */
void kuryr_doubts_free(kuryr_doubts *d);

/* A description marker unique to this create request, into buf: "kuryr-create-<32 hex>@<host>", so that a
 * late create found after a restart is still known to be this host's (reconcile.h). */
void kuryr_doubt_marker(char *buf, size_t size, const char *host);
/* Whether a port description is such a marker (of any host). */
bool kuryr_doubt_is_marker(const char *description);
/* Whether it is the marker of a create by host. */
bool kuryr_doubt_marker_of(const char *description, const char *host);
/* Remembers that a port (network) create with this description marker got no answer. */
void kuryr_doubts_add_port(kuryr_doubts *d, const char *marker);
void kuryr_doubts_add_network(kuryr_doubts *d, const char *marker);
/* Forgets a marker: the port it names is in use after all. */
void kuryr_doubts_forget(kuryr_doubts *d, const char *marker);
size_t kuryr_doubts_pending(kuryr_doubts *d);
/* One pass over the list, as the sweep makes it every second (exposed for unit tests). */
void kuryr_doubts_sweep(kuryr_doubts *d);

#endif
