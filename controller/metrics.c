/* The controller's Prometheus metrics (text format 0.0.4), rendered on each scrape from the live counters of
 * the queue, the informers, the election and the handlers. */
#include <inttypes.h>

#include "controller_internal.h"
#include "kuryr/k8s_client.h"

const double kc_latency_bounds[KC_LATENCY_BUCKETS] = {0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30};

void kc_metrics_handled(kc_running *h, double seconds, bool failed)
{
    pthread_mutex_lock(&h->ctl->metrics_lock);
    h->runs++;
    h->failures += failed;
    h->latency_sum += seconds;
    for (int i = 0; i < KC_LATENCY_BUCKETS; i++) {
        if (seconds <= kc_latency_bounds[i])
            h->latency_le[i]++;
    }
    pthread_mutex_unlock(&h->ctl->metrics_lock);
}

static void head(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void queue_metrics(kc_controller *c, FILE *out)
{
    kuryr_workqueue_stats st = {0};
    if (c->queue)
        kuryr_workqueue_get_stats(c->queue, &st);
    head(out, "kuryr_controller_queue_depth", "gauge",
         "Objects waiting in the work queue (to run now or after a backoff).");
    fprintf(out, "kuryr_controller_queue_depth %zu\n", st.queued + st.backing_off);
    head(out, "kuryr_controller_queue_running", "gauge", "Objects being handled now.");
    fprintf(out, "kuryr_controller_queue_running %zu\n", st.running);
    head(out, "kuryr_controller_queue_adds_total", "counter", "Changes queued.");
    fprintf(out, "kuryr_controller_queue_adds_total %" PRIu64 "\n", st.added);
    head(out, "kuryr_controller_queue_coalesced_total", "counter",
         "Changes that found their object already queued or running (handled once for all).");
    fprintf(out, "kuryr_controller_queue_coalesced_total %" PRIu64 "\n", st.coalesced);
}

static void handler_metrics(kc_controller *c, FILE *out)
{
    head(out, "kuryr_controller_handler_failures_total", "counter", "Handler runs that failed and were retried.");
    pthread_mutex_lock(&c->metrics_lock);
    for (size_t i = 0; i < c->nhandlers; i++)
        fprintf(out, "kuryr_controller_handler_failures_total{handler=\"%s\"} %lu\n", c->handlers[i].def->name,
                c->handlers[i].failures);
    head(out, "kuryr_controller_handler_seconds", "histogram", "Time one handler run took.");
    for (size_t i = 0; i < c->nhandlers; i++) {
        const kc_running *h = &c->handlers[i];
        for (int b = 0; b < KC_LATENCY_BUCKETS; b++)
            fprintf(out, "kuryr_controller_handler_seconds_bucket{handler=\"%s\",le=\"%g\"} %lu\n", h->def->name,
                    kc_latency_bounds[b], h->latency_le[b]);
        fprintf(out, "kuryr_controller_handler_seconds_bucket{handler=\"%s\",le=\"+Inf\"} %lu\n", h->def->name,
                h->runs);
        fprintf(out, "kuryr_controller_handler_seconds_sum{handler=\"%s\"} %.6f\n", h->def->name, h->latency_sum);
        fprintf(out, "kuryr_controller_handler_seconds_count{handler=\"%s\"} %lu\n", h->def->name, h->runs);
    }
    pthread_mutex_unlock(&c->metrics_lock);
}

static void watch_metrics(kc_controller *c, FILE *out)
{
    kuryr_k8s_informer_stats st[c->nhandlers ? c->nhandlers : 1];
    for (size_t i = 0; i < c->nhandlers; i++)
        kuryr_k8s_informer_get_stats(c->handlers[i].inf, &st[i]);
    head(out, "kuryr_controller_watched_objects", "gauge", "Objects in a handler's informer cache.");
    for (size_t i = 0; i < c->nhandlers; i++)
        fprintf(out, "kuryr_controller_watched_objects{handler=\"%s\"} %zu\n", c->handlers[i].def->name,
                st[i].objects);
    head(out, "kuryr_controller_watch_events_total", "counter", "Adds, updates and deletes an informer delivered.");
    for (size_t i = 0; i < c->nhandlers; i++)
        fprintf(out, "kuryr_controller_watch_events_total{handler=\"%s\"} %lu\n", c->handlers[i].def->name,
                st[i].events);
    head(out, "kuryr_controller_watch_restarts_total", "counter",
         "Watches that ended by an error, a disconnection or a stall and were started again.");
    for (size_t i = 0; i < c->nhandlers; i++)
        fprintf(out, "kuryr_controller_watch_restarts_total{handler=\"%s\"} %lu\n", c->handlers[i].def->name,
                st[i].restarts);
    head(out, "kuryr_controller_relists_total", "counter", "LISTs after the first one (410 Gone and the like).");
    for (size_t i = 0; i < c->nhandlers; i++)
        fprintf(out, "kuryr_controller_relists_total{handler=\"%s\"} %lu\n", c->handlers[i].def->name,
                st[i].lists ? st[i].lists - 1 : 0);
}

int kc_controller_metrics(void *ud, FILE *out)
{
    kc_controller *c = ud;
    head(out, "kuryr_controller_leader", "gauge", "1 while this controller leads (runs the handlers).");
    fprintf(out, "kuryr_controller_leader %d\n", kc_controller_is_leader(c) ? 1 : 0);
    head(out, "kuryr_controller_leadership_acquisitions_total", "counter", "Times this controller became leader.");
    fprintf(out, "kuryr_controller_leadership_acquisitions_total %lu\n", atomic_load(&c->acquisitions));
    head(out, "kuryr_controller_api_requests_total", "counter", "Requests sent to the kube-apiserver.");
    fprintf(out, "kuryr_controller_api_requests_total %lu\n", c->client ? kuryr_k8s_client_requests(c->client) : 0);
    queue_metrics(c, out);
    handler_metrics(c, out);
    watch_metrics(c, out);
    return ferror(out) ? -1 : 0;
}
