/* /metrics, /healthz and /readyz on [DEFAULT] metrics_listen (see metrics.h), served by libkuryr's health
 * listener (kuryr/health.h). Separate from the plugin socket so that a scraper never competes with Docker for
 * plugin connections, and so that it can be left off.
 *
 * Nothing here waits on Neutron while answering: readiness is the last result of a background GET that goes
 * through a client of its own, with short timeouts and no retries, so that the probe neither queues behind
 * plugin requests nor holds a stopping daemon for long. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/health.h"
#include "kuryr/keystone.h"
#include "kuryr/log.h"
#include "plugin.h"
#include "kuryr/port_deletes.h"
#include "vif_pool.h"

/* Neutron is asked this often: a tight probe loop from outside costs Neutron nothing. */
#define PROBE_INTERVAL_S 10
/* One probe, Keystone included, gives up after about this long (a daemon stopping waits for it). */
#define PROBE_TIMEOUT_MS 5000L
#define PROBE_CONNECT_TIMEOUT_MS 2000L

struct kl_metrics_server {
    kl_plugin *plugin;
    kuryr_http *probe_http;
    kuryr_auth *probe_auth;
    kuryr_health *health;
};

static bool neutron_reachable(void *ud, char *reason, size_t len)
{
    kl_metrics_server *s = ud;
    kuryr_http_response resp;
    memset(&resp, 0, sizeof(resp));
    kuryr_error err;
    kuryr_error_clear(&err);
    bool ready = false;
    if (kuryr_auth_request(s->probe_auth, "GET", "/v2.0/networks?limit=1&fields=id", NULL, &resp, &err) < 0) {
        snprintf(reason, len, "neutron unreachable: %s", kuryr_err_kind_name(err.kind));
    } else if (resp.status != 200) {
        snprintf(reason, len, "neutron answered %ld", resp.status);
    } else {
        ready = true;
        snprintf(reason, len, "neutron reachable");
    }
    kuryr_http_response_clear(&resp);
    return ready;
}

static int plugin_metrics(void *ud, FILE *out)
{
    kl_metrics_server *s = ud;
    char *counters = kl_metrics_render();
    if (!counters)
        return -1;
    fputs(counters, out);
    free(counters);
    /* a queue that only grows means Neutron refuses or cannot be reached for deletes */
    fprintf(out,
            "# HELP kuryr_port_deletes_queued Released ports whose Neutron delete has not finished.\n"
            "# TYPE kuryr_port_deletes_queued gauge\nkuryr_port_deletes_queued %zu\n"
            "# HELP kuryr_vif_pool_ports_ready Ports made ahead of need and not yet handed out ([vif_pool]).\n"
            "# TYPE kuryr_vif_pool_ports_ready gauge\nkuryr_vif_pool_ports_ready %zu\n",
            kuryr_port_deletes_pending(s->plugin->releases), kl_vif_pool_ready(s->plugin->vif_pool));
    return 0;
}

/* The probe's own Neutron client: the plugin's settings with short timeouts and no retries. */
static int make_probe_client(kl_metrics_server *s, kuryr_error *err)
{
    kuryr_http_opts hopts;
    kuryr_http_opts_from_config(s->plugin->cfg, &hopts);
    kuryr_auth_opts aopts;
    if (kuryr_auth_opts_from_config(s->plugin->cfg, &aopts, err) < 0)
        return -1;
    if (!hopts.timeout_ms || hopts.timeout_ms > PROBE_TIMEOUT_MS)
        hopts.timeout_ms = PROBE_TIMEOUT_MS;
    if (!hopts.connect_timeout_ms || hopts.connect_timeout_ms > PROBE_CONNECT_TIMEOUT_MS)
        hopts.connect_timeout_ms = PROBE_CONNECT_TIMEOUT_MS;
    hopts.max_retries = -1;
    s->probe_http = kuryr_http_new(&hopts);
    s->probe_auth = s->probe_http ? kuryr_auth_new(s->probe_http, &aopts) : NULL;
    if (!s->probe_auth)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    return 0;
}

kl_metrics_server *kl_metrics_start(kl_plugin *p, const char *spec, kuryr_error *err)
{
    kl_metrics_server *s = calloc(1, sizeof(*s));
    if (!s) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    s->plugin = p;
    kuryr_health_opts o = {
        .listen = spec, .probe = neutron_reachable, .probe_ud = s, .probe_interval_s = PROBE_INTERVAL_S};
    if (make_probe_client(s, err) < 0 || !(s->health = kuryr_health_new(&o, err)) ||
        kuryr_health_add_metrics(s->health, plugin_metrics, s, err) < 0 || kuryr_health_start(s->health, err) < 0) {
        kuryr_error_prefix(err, "metrics_listen ");
        kl_metrics_stop(s);
        return NULL;
    }
    return s;
}

unsigned kl_metrics_port(const kl_metrics_server *s)
{
    return s ? kuryr_health_port(s->health) : 0;
}

void kl_metrics_stop(kl_metrics_server *s)
{
    if (!s)
        return;
    kuryr_health_free(s->health); /* joins the probe, which uses the client below */
    kuryr_auth_free(s->probe_auth);
    kuryr_http_free(s->probe_http);
    free(s);
}
