/* Reconciliation: finds Neutron objects and host tap devices that carry kuryr's markers but whose Docker
 * network or endpoint no longer exists, and removes them (or, with dry_run, only reports them).
 *
 * Markers (as upstream names and tags them, see names.h):
 *   - ports with device_owner "compute:kuryr" (or tag "compute:kuryr") whose name is "<EndpointID>-port" and
 *     whose EndpointID is not an endpoint of any Docker network; ports tagged kuryr.port.existing are only
 *     unbound (device_owner/device_id/binding cleared), never deleted; IPAM's "kuryr-unbound-port" ports
 *     tagged "compute:kuryr" and bound to nothing whose addresses no Docker endpoint holds (a crash between
 *     RequestAddress and Docker recording the address leaves one);
 *   - security groups named "<port_id>-exposed_ports" whose port is gone or is itself an orphan;
 *   - networks named "kuryr-net-<id8>" tagged kuryr.net.uuid.lh/uh with a Docker network id that Docker does
 *     not know (their subnets go with them); networks adopted with kuryr.net.existing:<id12> only lose that
 *     tag and their kuryr subnets, never the network itself;
 *   - subnets named "kuryr-subnet-<cidr>" on such networks, and subnetpools named "<prefix>-<cidr>" (the
 *     configured [DEFAULT] default pool prefix) that no subnet uses any more and that no Docker network's
 *     IPAM config names;
 *   - host tap devices "tap<port_id[:11]>" whose port no longer exists or is an orphan.
 * Only this host's objects are judged (kuryr/owner.h, docs/architecture.md "Ownership"): ports bound to this
 * host ([DEFAULT] host) or, unbound, carrying its kuryr.host:<host> marker (or a create marker naming it);
 * networks, subnets and subnetpools with its marker; exposed-ports groups described with it (or whose port
 * this pass found orphaned); taps whose ifalias is the marker (or whose port this pass found orphaned).
 * A network other hosts mark too (global scope) only loses this host's marker. A kuryr network no host marks
 * that this host's Docker knows gets this host's marker ("adopted"): that is how networks made by upstream
 * kuryr or an older release become provably this host's. Everything else is never touched (another
 * host's, or no one's provably), and neither is a Neutron object changed less than [DEFAULT]
 * reconcile_min_age seconds ago (a plugin call may still be working on it).
 *
 * Docker is asked over its API at [DEFAULT] docker_host (default unix:///run/docker.sock).
 *
 * A pass run while Docker is creating a network or endpoint could see it as an orphan (Docker stores it
 * only after the driver answered): the daemon runs it at start-up before serving; on demand, prefer
 * dry_run first on a busy host. */
#ifndef KL_RECONCILE_H
#define KL_RECONCILE_H

#include <jansson.h>
#include <stdbool.h>

#include "kuryr/error.h"
#include "plugin.h"

/* Runs one pass with the daemon's (or a CLI's) clients. Thread-safe against concurrent plugin requests in
 * the sense that it takes no plugin lock for Neutron calls; it drops the plugin's caches for what it removes.
 *
 * On success returns 0 and, when report is non-NULL, sets *report to a new object:
 *   {"dry_run": bool,
 *    "ports": [{"id","name","action"}], "security_groups": [...], "subnets": [...],
 *    "subnetpools": [...], "networks": [...], "taps": [{"name","action"}], "adopted": [...],
 *    "errors": [{"kind","id","message"}]}
 * where action is "deleted", "would delete", "untagged", "would untag", "unbound", "would unbind", "let go",
 * "would let go" (a network other hosts still mark), or under "adopted", "marked" or "would mark".
 * A failure to remove one object is listed in "errors" and does not stop the pass (still returns 0).
 * Returns -1 with err set when Docker or Neutron cannot be listed at all (nothing is removed then: without
 * a complete picture of what Docker knows, nothing can be called an orphan). */
int kuryr_reconcile(kl_plugin *p, bool dry_run, json_t **report, kuryr_error *err);

/* The start-up pass: runs kuryr_reconcile (not a dry run) when [DEFAULT] reconcile_on_startup is on, and
 * only logs when it fails (Docker may not be up yet: the plugin must still start). */
void kl_reconcile_startup(kl_plugin *p);

/* The number of objects a report lists as removed (or, in a dry run, to be): every kind but "adopted" and
 * "errors". */
size_t kl_reconcile_report_count(json_t *report);

/* The periodic passes: a thread runs kuryr_reconcile every [DEFAULT] reconcile_interval seconds (measured on
 * the monotonic clock from the end of the previous pass, so passes never overlap) while the daemon serves.
 * A pass costs one Docker list plus one inspect per Docker network, and Neutron lists filtered by this
 * host's name and marker (reconcile.c): it grows with this host's objects, not the project's. NULL when the
 * interval is 0 (or the thread cannot start, which is logged). */
typedef struct kl_reconciler kl_reconciler;
kl_reconciler *kl_reconciler_start(kl_plugin *p);
/* Blocks until n passes have finished (or the loop stops); returns how many have (for tests). */
unsigned long kl_reconciler_wait_passes(kl_reconciler *r, unsigned long n);
/* Stops the thread, waiting for a pass in progress; NULL is fine. */
void kl_reconciler_stop(kl_reconciler *r);

/* Docker's view, separated for unit tests: the ids of every Docker network (any driver: other kuryr daemons
 * with other plugin names share Neutron) and of every endpoint on them, read from GET /networks and
 * GET /networks/<id>. */
typedef struct {
    char **network_ids;   /* full 64-hex ids */
    size_t n_networks;
    char **endpoint_ids;  /* full 64-hex ids */
    size_t n_endpoints;
    char **pool_cidrs;    /* IPAM.Config[].Subnet of every network: Docker does not show PoolIDs */
    size_t n_pools;
    char **addresses;     /* endpoints' IPv4/IPv6 addresses without the prefix length */
    size_t n_addresses;
} kl_docker_view;

/* docker_host NULL = the configured one ("unix:///path" or "http://host:port"). Returns -1 with err set
 * (KURYR_ERR_UNAVAILABLE when Docker does not answer). */
int kl_docker_view_load(kl_plugin *p, const char *docker_host, kl_docker_view *out, kuryr_error *err);
bool kl_docker_view_has_network(const kl_docker_view *v, const char *id_or_prefix);
bool kl_docker_view_has_endpoint(const kl_docker_view *v, const char *id);
bool kl_docker_view_has_pool_cidr(const kl_docker_view *v, const char *cidr);
bool kl_docker_view_has_address(const kl_docker_view *v, const char *ip);
void kl_docker_view_clear(kl_docker_view *v);

#endif
