/* The loopback listener for /metrics and /healthz (see metrics.h). Separate from the plugin socket so that a
 * scraper never competes with Docker for plugin connections, and so that it can be left off. */
#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kuryr/keystone.h"
#include "kuryr/log.h"
#include "plugin.h"
#include "release.h"
#include "vif_pool.h"

/* Readiness asks Neutron at most this often, so that a tight probe loop costs Neutron nothing. */
#define READY_CACHE_S 10

struct kl_metrics_server {
    struct MHD_Daemon *d;
    kl_plugin *plugin;
    pthread_mutex_t lock;
    time_t checked_at;
    bool ready;
    char reason[160];
};

int kl_metrics_parse_listen(const char *spec, char *host, size_t hostlen, char *port, size_t portlen,
                            kuryr_error *err)
{
    const char *colon = NULL, *h = spec;
    size_t hl;
    if (!spec || !*spec)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "metrics_listen is empty");
    if (spec[0] == '[') {
        const char *close_b = strchr(spec, ']');
        if (!close_b || close_b[1] != ':')
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "metrics_listen %s: expected [addr]:port",
                                   spec);
        h = spec + 1;
        hl = (size_t)(close_b - h);
        colon = close_b + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon || strchr(spec, ':') != colon)
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "metrics_listen %s: expected host:port",
                                   spec);
        hl = (size_t)(colon - spec);
    }
    char *end = NULL;
    long pn = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || pn <= 0 || pn > 65535 || hl == 0 || hl >= hostlen)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "metrics_listen %s: bad host or port", spec);
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
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "metrics_listen %s: only loopback addresses are allowed", spec);
    return 0;
}

static bool check_ready(kl_metrics_server *s, char *reason, size_t len)
{
    pthread_mutex_lock(&s->lock);
    time_t now = time(NULL);
    if (s->checked_at && now - s->checked_at < READY_CACHE_S) {
        bool r = s->ready;
        snprintf(reason, len, "%s", s->reason);
        pthread_mutex_unlock(&s->lock);
        return r;
    }
    pthread_mutex_unlock(&s->lock);

    kuryr_http_response resp;
    memset(&resp, 0, sizeof(resp));
    kuryr_error err;
    kuryr_error_clear(&err);
    bool ready = false;
    char why[160];
    if (kuryr_auth_request(s->plugin->auth, "GET", "/v2.0/networks?limit=1&fields=id", NULL, &resp, &err) < 0) {
        snprintf(why, sizeof(why), "neutron unreachable: %s", kuryr_err_kind_name(err.kind));
    } else if (resp.status != 200) {
        snprintf(why, sizeof(why), "neutron answered %ld", resp.status);
    } else {
        ready = true;
        snprintf(why, sizeof(why), "neutron reachable");
    }
    kuryr_http_response_clear(&resp);

    pthread_mutex_lock(&s->lock);
    s->checked_at = now;
    s->ready = ready;
    snprintf(s->reason, sizeof(s->reason), "%s", why);
    pthread_mutex_unlock(&s->lock);
    snprintf(reason, len, "%s", why);
    return ready;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload, (void)upload_size;
    kl_metrics_server *s = cls;
    if (!*con_cls) {
        *con_cls = s; /* first call only announces the headers */
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, 405, "text/plain", strdup("only GET\n"));
    if (!strcmp(url, "/metrics")) {
        char *counters = kl_metrics_render(), *body = NULL;
        /* a queue that only grows means Neutron refuses or cannot be reached for deletes */
        if (counters && asprintf(&body,
                                 "%s# HELP kuryr_port_deletes_queued Released ports whose Neutron delete has not "
                                 "finished.\n# TYPE kuryr_port_deletes_queued gauge\nkuryr_port_deletes_queued %zu\n"
                                 "# HELP kuryr_vif_pool_ports_ready Ports made ahead of need and not yet handed "
                                 "out ([vif_pool]).\n# TYPE kuryr_vif_pool_ports_ready gauge\n"
                                 "kuryr_vif_pool_ports_ready %zu\n",
                                 counters, kl_releases_pending(s->plugin->releases),
                                 kl_vif_pool_ready(s->plugin->vif_pool)) < 0)
            body = NULL;
        free(counters);
        if (!body)
            return reply(c, 500, "text/plain", strdup("out of memory\n"));
        return reply(c, 200, "text/plain; version=0.0.4", body);
    }
    if (!strcmp(url, "/healthz")) {
        char reason[160];
        bool ready = check_ready(s, reason, sizeof(reason));
        char *body = NULL;
        if (asprintf(&body, "{\"live\":true,\"ready\":%s,\"reason\":\"%s\"}\n", ready ? "true" : "false", reason) < 0)
            return MHD_NO;
        return reply(c, ready ? 200 : 503, "application/json", body);
    }
    return reply(c, 404, "text/plain", strdup("not found: try /metrics or /healthz\n"));
}

kl_metrics_server *kl_metrics_start(kl_plugin *p, const char *spec, kuryr_error *err)
{
    char host[128], port[8];
    if (kl_metrics_parse_listen(spec, host, sizeof(host), port, sizeof(port), err) < 0)
        return NULL;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "metrics_listen %s: cannot resolve", spec);
        return NULL;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
        freeaddrinfo(ai);
        if (fd >= 0)
            close(fd);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "metrics_listen %s: cannot listen", spec);
        return NULL;
    }
    freeaddrinfo(ai);
    kl_metrics_server *s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    s->plugin = p;
    pthread_mutex_init(&s->lock, NULL);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, on_request, s,
                            MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_END);
    if (!s->d) {
        close(fd);
        pthread_mutex_destroy(&s->lock);
        free(s);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "metrics_listen %s: cannot serve", spec);
        return NULL;
    }
    KLOG_INFO("metrics on http://%s/metrics", spec);
    return s;
}

void kl_metrics_stop(kl_metrics_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
