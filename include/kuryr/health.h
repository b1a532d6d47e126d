/* A loopback HTTP listener for liveness, readiness and Prometheus metrics, shared by the daemons.
 *
 * Nothing it serves waits on a remote service. A probe that would (is Neutron reachable? is the API server?)
 * runs on the listener's own background thread every probe_interval_s; requests read its last result. So a
 * scraper or a kubelet probe gets its answer in milliseconds however slow Neutron is, and a slow Neutron never
 * makes a liveness probe restart a healthy daemon.
 *
 *   GET /healthz, /livez, /alive   liveness from local state: 200 while the live callback says so (or always,
 *                                  without one), else 503. The body also carries the last readiness result:
 *                                  {"live":true,"ready":false,"reason":"neutron unreachable: unavailable"}
 *   GET /readyz, /ready            the last probe's result: 200 when it succeeded, else 503 (also before the
 *                                  first probe has finished); same body
 *   GET /metrics                   Prometheus text 0.0.4: each registered callback's lines in registration
 *                                  order, then the gauge kuryr_ready (1/0, the last probe's result)
 *   anything else                  404; methods other than GET and HEAD get 405
 *
 * /alive and /ready are the paths upstream kuryr-kubernetes' health servers answered.
 *
 * Usage:
 *     kuryr_health_opts o = {.listen = "127.0.0.1:23751", .probe = neutron_reachable, .probe_ud = me};
 *     kuryr_health *h = kuryr_health_new(&o, &err);
 *     kuryr_health_add_metrics(h, render_counters, me);       // before start
 *     kuryr_health_start(h, &err);
 *     ...
 *     kuryr_health_free(h);                                    // stops the listener, joins the probe thread
 *
 * Callbacks run on the listener's threads: the live and metrics callbacks on its one HTTP thread (so they
 * must not block: take a local lock, copy, return), the probe on the probe thread. */
#ifndef KURYR_HEALTH_H
#define KURYR_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kuryr/error.h"

/* A check: true when healthy; writes a short human reason (no secrets, no quotes needed: it is JSON-escaped)
 * into reason[len] either way. */
typedef bool (*kuryr_health_check_fn)(void *ud, char *reason, size_t len);
/* Writes Prometheus text lines (with their # HELP and # TYPE) to out. Returns 0, or -1 to fail the scrape with
 * a 500 (e.g. out of memory). */
typedef int (*kuryr_health_metrics_fn)(void *ud, FILE *out);

typedef struct {
    const char *listen;            /* "127.0.0.1:23751", "[::1]:23751", "localhost:23751": loopback only.
                                    * Port 0 takes a free port (tests; see kuryr_health_port) */
    kuryr_health_check_fn live;    /* local state only, must return at once; NULL = live while it answers */
    void *live_ud;
    kuryr_health_check_fn probe;   /* readiness, run on the probe thread; may block, but bound it: stopping
                                    * waits for a probe in flight. NULL = ready whenever live */
    void *probe_ud;
    unsigned probe_interval_s;     /* between the end of one probe and the start of the next; 0 = 10 */
} kuryr_health_opts;

typedef struct kuryr_health kuryr_health;

/* Checks opts (the listen address above all) and copies them. Serves nothing yet. NULL with err. */
kuryr_health *kuryr_health_new(const kuryr_health_opts *opts, kuryr_error *err);
/* Adds a metrics callback (up to 16). Only before kuryr_health_start. 0, or -1 with err. */
int kuryr_health_add_metrics(kuryr_health *h, kuryr_health_metrics_fn fn, void *ud, kuryr_error *err);
/* Binds the address, starts the HTTP thread and the probe thread (which probes at once). 0, or -1 with err. */
int kuryr_health_start(kuryr_health *h, kuryr_error *err);
/* The port it listens on once started (the chosen one for port 0), else 0. */
unsigned kuryr_health_port(const kuryr_health *h);
/* The last probe's result and reason, as /readyz answers it; false ("not probed yet") before the first. */
bool kuryr_health_ready(kuryr_health *h, char *reason, size_t len);
/* Wakes the probe thread for a probe now rather than at the next interval (e.g. after a reconnect). */
void kuryr_health_probe_now(kuryr_health *h);
/* Stops serving, waits for the probe thread (and a probe in flight), frees h. NULL is fine. */
void kuryr_health_free(kuryr_health *h);

/* Splits "host:port" / "[v6]:port" into host and port and checks that host is a loopback address (the
 * answers name networks and endpoints). 0, or -1 with err naming the problem. */
int kuryr_health_parse_listen(const char *listen, char *host, size_t hostlen, char *port, size_t portlen,
                              kuryr_error *err);

#endif
