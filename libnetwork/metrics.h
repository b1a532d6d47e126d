/* Prometheus metrics and health for the daemon, served on a loopback port ([DEFAULT] metrics_listen).
 *
 * The counters are process-wide so that any part of the daemon (router, binding, the reconciliation) can
 * bump them without holding a plugin pointer. Rendering follows the Prometheus text format 0.0.4. */
#ifndef KL_METRICS_H
#define KL_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/error.h"

typedef struct kl_plugin kl_plugin;

/* One plugin request: path is the matched route ("/NetworkDriver.Join") or NULL for an unknown one. */
void kl_metrics_request(const char *path, int status, double seconds, unsigned long neutron_calls);
/* A failed request, by the error kind it failed with. */
void kl_metrics_error(kuryr_err_kind kind);
/* A VIF binding or unbinding that failed (called by the endpoint code). */
void kl_metrics_binding_failure(void);
/* Orphans (Neutron objects tagged by kuryr that Docker no longer knows) found by a reconciliation pass. */
void kl_metrics_orphans_found(unsigned long n);

/* The whole exposition as a malloc'd string. */
char *kl_metrics_render(void);
/* Forgets every counter (tests). */
void kl_metrics_reset(void);

typedef struct kl_metrics_server kl_metrics_server;
/* Serves /metrics, /healthz (liveness), /readyz (the last known Neutron reachability, probed in the background
 * every 10 s) on listen ("127.0.0.1:23751", "[::1]:23751") through kuryr/health.h, which says what each path
 * answers. Only loopback addresses are accepted: the metrics name networks and endpoints. No answer waits on
 * Neutron. NULL with err on failure. */
kl_metrics_server *kl_metrics_start(kl_plugin *p, const char *listen, kuryr_error *err);
/* The port it listens on (the chosen one for port 0: tests). */
unsigned kl_metrics_port(const kl_metrics_server *s);
/* Stops serving and waits for a readiness probe in flight (a few seconds at most). NULL is fine. */
void kl_metrics_stop(kl_metrics_server *s);

#endif
