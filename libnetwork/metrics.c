/* Counters and their Prometheus rendering (see metrics.h). One mutex: a plugin request takes it once, which
 * is negligible next to the Neutron round trips it makes. */
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds in seconds: plugin calls span from a cached answer (ms) to several Neutron calls (s). */
static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))
#define MAX_PATHS 48
#define N_KINDS (KURYR_ERR_INTERNAL + 1)

typedef struct {
    char path[64];
    unsigned long ok, failed, neutron_calls;
    unsigned long bucket[N_BUCKETS]; /* cumulative at render time, per-bucket here */
    unsigned long count;
    double sum;
} path_stats;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static path_stats paths[MAX_PATHS];
static size_t n_paths;
static unsigned long errors[N_KINDS];
static unsigned long binding_failures, orphans;

static path_stats *find_path(const char *path)
{
    if (!path)
        path = "other";
    for (size_t i = 0; i < n_paths; i++) {
        if (!strcmp(paths[i].path, path))
            return &paths[i];
    }
    if (n_paths == MAX_PATHS)
        return &paths[MAX_PATHS - 1]; /* more routes than any plugin table has: pool them in the last slot */
    path_stats *s = &paths[n_paths++];
    snprintf(s->path, sizeof(s->path), "%s", path);
    return s;
}

void kl_metrics_request(const char *path, int status, double seconds, unsigned long neutron_calls)
{
    pthread_mutex_lock(&lock);
    path_stats *s = find_path(path);
    if (status >= 200 && status < 300)
        s->ok++;
    else
        s->failed++;
    s->neutron_calls += neutron_calls;
    s->count++;
    s->sum += seconds;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        if (seconds <= buckets[i]) {
            s->bucket[i]++;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

void kl_metrics_error(kuryr_err_kind kind)
{
    if ((int)kind < 0 || kind >= N_KINDS)
        kind = KURYR_ERR_INTERNAL;
    pthread_mutex_lock(&lock);
    errors[kind]++;
    pthread_mutex_unlock(&lock);
}

void kl_metrics_binding_failure(void)
{
    pthread_mutex_lock(&lock);
    binding_failures++;
    pthread_mutex_unlock(&lock);
}

void kl_metrics_orphans_found(unsigned long n)
{
    pthread_mutex_lock(&lock);
    orphans += n;
    pthread_mutex_unlock(&lock);
}

void kl_metrics_reset(void)
{
    pthread_mutex_lock(&lock);
    memset(paths, 0, sizeof(paths));
    n_paths = 0;
    memset(errors, 0, sizeof(errors));
    binding_failures = orphans = 0;
    pthread_mutex_unlock(&lock);
}

/* "/NetworkDriver.Join" -> "NetworkDriver.Join": label values stay readable without the slash. */
static const char *label(const char *path)
{
    return path[0] == '/' ? path + 1 : path;
}

char *kl_metrics_render(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&lock);
    fputs("# HELP kuryr_requests_total Plugin requests by endpoint and outcome.\n"
          "# TYPE kuryr_requests_total counter\n", f);
    for (size_t i = 0; i < n_paths; i++) {
        fprintf(f, "kuryr_requests_total{endpoint=\"%s\",result=\"ok\"} %lu\n", label(paths[i].path), paths[i].ok);
        fprintf(f, "kuryr_requests_total{endpoint=\"%s\",result=\"error\"} %lu\n", label(paths[i].path),
                paths[i].failed);
    }
    fputs("# HELP kuryr_request_duration_seconds Plugin request latency by endpoint.\n"
          "# TYPE kuryr_request_duration_seconds histogram\n", f);
    for (size_t i = 0; i < n_paths; i++) {
        unsigned long cum = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            cum += paths[i].bucket[b];
            fprintf(f, "kuryr_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %lu\n", label(paths[i].path),
                    buckets[b], cum);
        }
        fprintf(f, "kuryr_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %lu\n", label(paths[i].path),
                paths[i].count);
        fprintf(f, "kuryr_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", label(paths[i].path), paths[i].sum);
        fprintf(f, "kuryr_request_duration_seconds_count{endpoint=\"%s\"} %lu\n", label(paths[i].path),
                paths[i].count);
    }
    fputs("# HELP kuryr_neutron_calls_total Neutron API calls made while serving each plugin endpoint.\n"
          "# TYPE kuryr_neutron_calls_total counter\n", f);
    for (size_t i = 0; i < n_paths; i++)
        fprintf(f, "kuryr_neutron_calls_total{endpoint=\"%s\"} %lu\n", label(paths[i].path), paths[i].neutron_calls);
    fputs("# HELP kuryr_errors_total Failed plugin requests by error kind.\n"
          "# TYPE kuryr_errors_total counter\n", f);
    for (int k = 1; k < (int)N_KINDS; k++)
        fprintf(f, "kuryr_errors_total{kind=\"%s\"} %lu\n", kuryr_err_kind_name((kuryr_err_kind)k), errors[k]);
    fprintf(f,
            "# HELP kuryr_binding_failures_total VIF bindings or unbindings that failed.\n"
            "# TYPE kuryr_binding_failures_total counter\n"
            "kuryr_binding_failures_total %lu\n"
            "# HELP kuryr_orphans_found_total Kuryr-tagged Neutron objects found without a Docker owner.\n"
            "# TYPE kuryr_orphans_found_total counter\n"
            "kuryr_orphans_found_total %lu\n",
            binding_failures, orphans);
    pthread_mutex_unlock(&lock);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
