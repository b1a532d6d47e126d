/* Liveness, readiness and metrics listener: see include/kuryr/health.h.
 *
 * Two threads: libmicrohttpd's one polling thread answers every request from memory, and the probe thread
 * refreshes the readiness result. They share only the result, under one mutex held for a copy. */
#include "kuryr/clock.h"
#include "kuryr/health.h"
#include "kuryr/unix_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kuryr/log.h"

#define MAX_METRICS 16
#define DEFAULT_INTERVAL_S 10
#define REASON_LEN 200
/* a scraper or a prober that connects and sends nothing is dropped after this long */
#define CONNECTION_TIMEOUT_S 10
#define MAX_CONNECTIONS 32

typedef struct {
    kuryr_health_metrics_fn fn;
    void *ud;
} metrics_source;

struct kuryr_health {
    kuryr_health_opts opts;
    char *listen;
    metrics_source metrics[MAX_METRICS];
    size_t n_metrics;
    struct MHD_Daemon *d;
    unsigned port;
    pthread_t prober;
    bool prober_running;

    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t wake;  /* stop, or probe now */
    bool stopping, probe_asked;
    bool probed, ready;
    char reason[REASON_LEN];
};

int kuryr_health_parse_listen(const char *spec, char *host, size_t hostlen, char *port, size_t portlen,
                              kuryr_error *err)
{
    const char *colon = NULL, *h = spec;
    size_t hl;
    if (!spec || !*spec)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "listen address is empty");
    if (spec[0] == '[') {
        const char *close_b = strchr(spec, ']');
        if (!close_b || close_b[1] != ':')
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "%s: expected [addr]:port", spec);
        h = spec + 1;
        hl = (size_t)(close_b - h);
        colon = close_b + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon || strchr(spec, ':') != colon)
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "%s: expected host:port", spec);
        hl = (size_t)(colon - spec);
    }
    char *end = NULL;
    long pn = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || pn < 0 || pn > 65535 || hl == 0 || hl >= hostlen)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "%s: bad host or port", spec);
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, portlen, "%ld", pn);
    struct in_addr a4;
    struct in6_addr a6;
    bool loop = false;
    if (!strcmp(host, "localhost"))
        loop = true;
    else if (inet_pton(AF_INET, host, &a4) == 1)
        loop = (ntohl(a4.s_addr) >> 24) == 127;
    else if (inet_pton(AF_INET6, host, &a6) == 1)
        loop = IN6_IS_ADDR_LOOPBACK(&a6);
    if (!loop)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "%s: only loopback addresses are allowed",
                               spec);
    return 0;
}

kuryr_health *kuryr_health_new(const kuryr_health_opts *opts, kuryr_error *err)
{
    char host[128], port[8];
    if (kuryr_health_parse_listen(opts->listen, host, sizeof(host), port, sizeof(port), err) < 0)
        return NULL;
    kuryr_health *h = calloc(1, sizeof(*h));
    if (!h || !(h->listen = strdup(opts->listen))) {
        free(h);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    h->opts = *opts;
    h->opts.listen = h->listen;
    if (!h->opts.probe_interval_s)
        h->opts.probe_interval_s = DEFAULT_INTERVAL_S;
    snprintf(h->reason, sizeof(h->reason), "not probed yet");
    pthread_mutex_init(&h->lock, NULL);
    kuryr_cond_init_mono(&h->wake);
    return h;
}

int kuryr_health_add_metrics(kuryr_health *h, kuryr_health_metrics_fn fn, void *ud, kuryr_error *err)
{
    if (h->d)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "metrics callbacks are added before the start");
    if (h->n_metrics == MAX_METRICS)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "more than %d metrics callbacks", MAX_METRICS);
    h->metrics[h->n_metrics++] = (metrics_source){fn, ud};
    return 0;
}

/* Records a probe's outcome, logging only changes so that a steady state costs no log lines. */
static void set_ready(kuryr_health *h, bool ready, const char *reason)
{
    pthread_mutex_lock(&h->lock);
    bool changed = !h->probed || h->ready != ready;
    h->probed = true;
    h->ready = ready;
    snprintf(h->reason, sizeof(h->reason), "%s", reason);
    pthread_mutex_unlock(&h->lock);
    if (changed && ready)
        KLOG_INFO("ready: %s", reason);
    else if (changed)
        KLOG_WARN("not ready: %s", reason);
}

static void *probe_loop(void *arg)
{
    kuryr_health *h = arg;
    for (;;) {
        char reason[REASON_LEN] = "";
        bool ready = h->opts.probe(h->opts.probe_ud, reason, sizeof(reason));
        set_ready(h, ready, reason);
        struct timespec until = kuryr_mono_deadline((double)h->opts.probe_interval_s);
        pthread_mutex_lock(&h->lock);
        while (!h->stopping && !h->probe_asked && pthread_cond_timedwait(&h->wake, &h->lock, &until) != ETIMEDOUT) {
        }
        bool stop = h->stopping;
        h->probe_asked = false;
        pthread_mutex_unlock(&h->lock);
        if (stop)
            return NULL;
    }
}

bool kuryr_health_ready(kuryr_health *h, char *reason, size_t len)
{
    pthread_mutex_lock(&h->lock);
    bool ready = h->ready;
    snprintf(reason, len, "%s", h->reason);
    pthread_mutex_unlock(&h->lock);
    return ready;
}

void kuryr_health_probe_now(kuryr_health *h)
{
    pthread_mutex_lock(&h->lock);
    h->probe_asked = true;
    pthread_cond_broadcast(&h->wake);
    pthread_mutex_unlock(&h->lock);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body)
{
    if (!body)
        return MHD_NO; /* out of memory: dropping the connection is all that is left */
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static char *text(const char *s)
{
    return strdup(s);
}

/* Liveness (liveness_only) or readiness, both with the same body. */
static enum MHD_Result answer_health(kuryr_health *h, struct MHD_Connection *c, bool liveness_only)
{
    char live_reason[REASON_LEN] = "", ready_reason[REASON_LEN];
    bool live = !h->opts.live || h->opts.live(h->opts.live_ud, live_reason, sizeof(live_reason));
    bool ready = live && kuryr_health_ready(h, ready_reason, sizeof(ready_reason));
    if (!live)
        snprintf(ready_reason, sizeof(ready_reason), "%s", live_reason);
    json_t *j = json_pack("{s:b,s:b,s:s}", "live", live, "ready", ready, "reason", ready_reason);
    char *dump = j ? json_dumps(j, JSON_COMPACT) : NULL, *body = NULL;
    json_decref(j);
    if (dump && asprintf(&body, "%s\n", dump) < 0)
        body = NULL;
    free(dump);
    bool ok = liveness_only ? live : ready;
    return reply(c, ok ? 200 : 503, "application/json", body);
}

static enum MHD_Result answer_metrics(kuryr_health *h, struct MHD_Connection *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return reply(c, 500, "text/plain", text("out of memory\n"));
    int rc = 0;
    for (size_t i = 0; i < h->n_metrics && rc == 0; i++)
        rc = h->metrics[i].fn(h->metrics[i].ud, f);
    char reason[REASON_LEN];
    bool ready = kuryr_health_ready(h, reason, sizeof(reason));
    fprintf(f,
            "# HELP kuryr_ready Whether the last background readiness probe succeeded (see /readyz).\n"
            "# TYPE kuryr_ready gauge\nkuryr_ready %d\n",
            ready ? 1 : 0);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return reply(c, 500, "text/plain", text("metrics could not be rendered\n"));
    }
    return reply(c, 200, "text/plain; version=0.0.4", buf);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload;
    kuryr_health *h = cls;
    if (!*con_cls) {
        *con_cls = h; /* the first call only announces the headers */
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* a body is not expected: read and dropped */
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, 405, "text/plain", text("only GET\n"));
    if (!strcmp(url, "/metrics"))
        return answer_metrics(h, c);
    if (!strcmp(url, "/healthz") || !strcmp(url, "/livez") || !strcmp(url, "/alive"))
        return answer_health(h, c, true);
    if (!strcmp(url, "/readyz") || !strcmp(url, "/ready"))
        return answer_health(h, c, false);
    return reply(c, 404, "text/plain", text("not found: try /healthz, /readyz or /metrics\n"));
}

/* A listening socket on the loopback address, port recorded in h->port. -1 with err. */
static int open_listener(kuryr_health *h, kuryr_error *err)
{
    return kuryr_loopback_listen(h->listen, &h->port, err);
}

int kuryr_health_start(kuryr_health *h, kuryr_error *err)
{
    int fd = open_listener(h, err);
    if (fd < 0)
        return -1;
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, on_request, h,
                            MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
                            MHD_OPTION_END);
    if (!h->d) {
        close(fd);
        h->port = 0;
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "%s: cannot serve", h->listen);
    }
    if (h->opts.probe) {
        if (pthread_create(&h->prober, NULL, probe_loop, h) != 0) {
            MHD_stop_daemon(h->d);
            h->d = NULL;
            h->port = 0;
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot start the probe thread");
        }
        h->prober_running = true;
    } else {
        set_ready(h, true, "no readiness probe");
    }
    KLOG_INFO("health and metrics on http://%s (/healthz, /readyz, /metrics)", h->listen);
    return 0;
}

unsigned kuryr_health_port(const kuryr_health *h)
{
    return h && h->d ? h->port : 0;
}

void kuryr_health_free(kuryr_health *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_cond_broadcast(&h->wake);
    pthread_mutex_unlock(&h->lock);
    if (h->prober_running)
        pthread_join(h->prober, NULL);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    free(h->listen);
    free(h);
}
