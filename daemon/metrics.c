/* kuryr-daemon's Prometheus metrics: requests, failures and latency per CNI verb, and its caches. */
#include "kd.h"

static const double bounds[KD_LATENCY_BUCKETS] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120};

void kd_metrics_note(kd_daemon *d, kd_verb verb, double seconds, bool failed)
{
    pthread_mutex_lock(&d->metrics_lock);
    kd_verb_stats *s = &d->stats[verb];
    s->count++;
    s->failures += failed;
    s->sum += seconds;
    for (int i = 0; i < KD_LATENCY_BUCKETS; i++)
        if (seconds <= bounds[i])
            s->le[i]++;
    pthread_mutex_unlock(&d->metrics_lock);
}

static void head(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int kd_metrics(void *ud, FILE *out)
{
    kd_daemon *d = ud;
    kd_verb_stats st[KD_VERBS];
    pthread_mutex_lock(&d->metrics_lock);
    for (int v = 0; v < KD_VERBS; v++)
        st[v] = d->stats[v];
    pthread_mutex_unlock(&d->metrics_lock);
    head(out, "kuryr_daemon_requests_total", "counter", "CNI requests answered, by command.");
    for (int v = 0; v < KD_VERBS; v++)
        fprintf(out, "kuryr_daemon_requests_total{command=\"%s\"} %lu\n", kd_verb_name((kd_verb)v), st[v].count);
    head(out, "kuryr_daemon_request_failures_total", "counter", "CNI requests answered with an error, by command.");
    for (int v = 0; v < KD_VERBS; v++)
        fprintf(out, "kuryr_daemon_request_failures_total{command=\"%s\"} %lu\n", kd_verb_name((kd_verb)v),
                st[v].failures);
    head(out, "kuryr_daemon_request_seconds", "histogram", "Time from a CNI request to its answer, by command.");
    for (int v = 0; v < KD_VERBS; v++) {
        const char *n = kd_verb_name((kd_verb)v);
        for (int b = 0; b < KD_LATENCY_BUCKETS; b++)
            fprintf(out, "kuryr_daemon_request_seconds_bucket{command=\"%s\",le=\"%g\"} %lu\n", n, bounds[b],
                    st[v].le[b]);
        fprintf(out, "kuryr_daemon_request_seconds_bucket{command=\"%s\",le=\"+Inf\"} %lu\n", n, st[v].count);
        fprintf(out, "kuryr_daemon_request_seconds_sum{command=\"%s\"} %.6f\n", n, st[v].sum);
        fprintf(out, "kuryr_daemon_request_seconds_count{command=\"%s\"} %lu\n", n, st[v].count);
    }
    kuryr_k8s_informer_stats ps = {0}, pods = {0};
    kuryr_k8s_informer_get_stats(d->ports, &ps);
    kuryr_k8s_informer_get_stats(d->pods, &pods);
    head(out, "kuryr_daemon_watched_objects", "gauge", "Objects in the daemon's caches.");
    fprintf(out, "kuryr_daemon_watched_objects{resource=\"kuryrports\"} %zu\n", ps.objects);
    fprintf(out, "kuryr_daemon_watched_objects{resource=\"pods\"} %zu\n", pods.objects);
    head(out, "kuryr_daemon_watch_restarts_total", "counter", "Watches restarted after errors or stalls.");
    fprintf(out, "kuryr_daemon_watch_restarts_total{resource=\"kuryrports\"} %lu\n", ps.restarts);
    fprintf(out, "kuryr_daemon_watch_restarts_total{resource=\"pods\"} %lu\n", pods.restarts);
    return ferror(out) ? -1 : 0;
}
