/* libmicrohttpd glue (see server.h). One thread per connection: handlers block on Neutron, and Docker sends
 * requests in parallel. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kuryr/clock.h"
#include "kuryr/log.h"
#include "kuryr/unix_listen.h"
#include "router.h"

#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_MAX_CONNECTIONS 256
#define DEFAULT_TIMEOUT_S 120
/* A certificate chain or a key: anything bigger is not what ssl_cert_file / ssl_key_file should name. */
#define MAX_PEM_BYTES (1024 * 1024)

struct kl_server {
    kl_plugin *plugin;
    struct MHD_Daemon *unix_d, *tcp_d;
    char *unix_path;
    char *cert, *key;
    size_t max_body;
};

typedef struct {
    char *body;
    size_t len;
    bool too_large;
} req_ctx;

int kl_parse_uri(const char *uri, char *host, size_t hostlen, char *port, size_t portlen, bool *https)
{
    const char *p;
    if (strncmp(uri, "http://", 7) == 0) {
        p = uri + 7;
        *https = false;
    } else if (strncmp(uri, "https://", 8) == 0) {
        p = uri + 8;
        *https = true;
    } else {
        return -1;
    }
    const char *end;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end || end[1] != ':')
            return -1;
        p++;
    } else {
        end = strchr(p, ':');
        if (!end)
            return -1;
    }
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= hostlen)
        return -1;
    memcpy(host, p, n);
    host[n] = '\0';
    const char *port_s = end + (*end == ']' ? 2 : 1);
    size_t pn = strcspn(port_s, "/");
    if (pn == 0 || pn >= portlen)
        return -1;
    memcpy(port, port_s, pn);
    port[pn] = '\0';
    for (size_t i = 0; i < pn; i++) {
        if (port[i] < '0' || port[i] > '9')
            return -1;
    }
    return 0;
}

static int tcp_listen(const char *uri, bool *https, kuryr_error *err)
{
    char host[256], port[16];
    if (kl_parse_uri(uri, host, sizeof(host), port, sizeof(port), https) < 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "kuryr_uri %s is not http(s)://host:port", uri);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "cannot resolve %s: %s", host, gai_strerror(gai));
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot listen on %s: %s", uri, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* A PEM file, read straight into one buffer of its size: no stdio buffer and no realloc leaves a copy of a
 * private key behind in freed memory. */
static char *read_pem(const char *path, kuryr_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (st.st_size <= 0 || st.st_size > MAX_PEM_BYTES) {
        close(fd);
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "%s is empty or larger than %d bytes", path,
                        MAX_PEM_BYTES);
        return NULL;
    }
    size_t size = (size_t)st.st_size, len = 0;
    char *buf = malloc(size + 1);
    while (buf && len < size) {
        ssize_t n = read(fd, buf + len, size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* shorter than fstat said: what was read is judged by the TLS library */
        len += (size_t)n;
    }
    close(fd);
    if (!buf) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static void free_secret(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s)); /* unlike memset, not dropped as a dead store before free */
    free(s);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, int status, char *body)
{
    static const char no_body[] = "{\"Err\":\"out of memory\"}";
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(strlen(no_body), (void *)no_body, MHD_RESPMEM_PERSISTENT);
    if (!body)
        status = 500; /* the answer could not be built: say so rather than crash on it */
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, KL_CONTENT_TYPE);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    kl_server *s = cls;
    req_ctx *ctx = *con_cls;
    if (!ctx) {
        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
            return MHD_NO;
        *con_cls = ctx;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!ctx->too_large && ctx->len + *upload_size > s->max_body) {
            ctx->too_large = true;
            free(ctx->body);
            ctx->body = NULL;
            ctx->len = 0;
        }
        if (!ctx->too_large) {
            char *nb = realloc(ctx->body, ctx->len + *upload_size + 1);
            if (!nb)
                return MHD_NO;
            memcpy(nb + ctx->len, upload, *upload_size);
            ctx->body = nb;
            ctx->len += *upload_size;
            ctx->body[ctx->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }

    kuryr_log_ctx_clear();
    kuryr_log_new_request_id();
    kuryr_http_thread_requests_reset();
    double start = kuryr_mono_s();
    kl_reply reply;
    if (ctx->too_large) {
        memset(&reply, 0, sizeof(reply));
        reply.status = 413;
        reply.body = kl_err_body("request body too large");
    } else {
        kl_dispatch(s->plugin, kl_routes, method, url, ctx->body, ctx->len, s->max_body, &reply);
    }
    double took = kuryr_mono_s() - start;
    unsigned long calls = kuryr_http_thread_requests();
    double waited = kuryr_http_thread_wait_s();
    if (reply.status == 200) {
        KLOG_INFO("%s %s 200 in %.3f s, %lu Neutron calls (%.3f s)", method, url, took, calls, waited);
    } else {
        json_t *o = json_loads(reply.body, 0, NULL);
        KLOG_WARN("%s %s %d in %.3f s, %lu Neutron calls (%.3f s): %s", method, url, reply.status, took, calls,
                  waited,
                  json_string_value(json_object_get(o, "Err")) ? json_string_value(json_object_get(o, "Err")) : "");
        json_decref(o);
    }
    kuryr_log_ctx_clear();
    char *body = reply.body;
    reply.body = NULL;
    return send_reply(c, reply.status, body);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    req_ctx *ctx = *con_cls;
    if (ctx) {
        free(ctx->body);
        free(ctx);
        *con_cls = NULL;
    }
}

static struct MHD_Daemon *start_daemon(kl_server *s, int fd, bool tls)
{
    long maxconn = kuryr_config_get_int(s->plugin->cfg, "DEFAULT", "max_connections");
    long timeout = kuryr_config_get_int(s->plugin->cfg, "DEFAULT", "request_timeout");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    if (tls)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_LISTEN_SOCKET, fd, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, maxconn > 0 ? maxconn : DEFAULT_MAX_CONNECTIONS, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, timeout > 0 ? timeout : DEFAULT_TIMEOUT_S, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL},
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->cert},
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, s->key},
        {MHD_OPTION_END, 0, NULL},
    };
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

kl_server *kl_server_start(kl_plugin *p, kuryr_error *err)
{
    kl_server *s = calloc(1, sizeof(*s));
    if (!s) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    s->plugin = p;
    long max_body = kuryr_config_get_int(p->cfg, "DEFAULT", "max_request_body");
    s->max_body = max_body > 0 ? (size_t)max_body : DEFAULT_MAX_BODY;

    const char *upath = kuryr_config_get_str(p->cfg, "DEFAULT", "unix_socket");
    const char *uri = kuryr_config_get_str(p->cfg, "DEFAULT", "kuryr_uri");
    if (!*upath && !*uri) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "neither unix_socket nor kuryr_uri is set");
        goto fail;
    }
    if (*upath) {
        int fd = kuryr_unix_listen(upath, err);
        if (fd < 0)
            goto fail;
        s->unix_path = strdup(upath);
        s->unix_d = start_daemon(s, fd, false);
        if (!s->unix_d) {
            close(fd);
            kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot serve on %s", upath);
            goto fail;
        }
        KLOG_INFO("listening on unix:%s", upath);
    }
    if (*uri) {
        bool https = false;
        bool tls = kuryr_config_get_bool(p->cfg, "DEFAULT", "enable_ssl");
        int fd = tcp_listen(uri, &https, err);
        if (fd < 0)
            goto fail;
        if (tls || https) {
            if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
                close(fd);
                kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "libmicrohttpd was built without TLS");
                goto fail;
            }
            s->cert = read_pem(kuryr_config_get_str(p->cfg, "DEFAULT", "ssl_cert_file"), err);
            s->key = s->cert ? read_pem(kuryr_config_get_str(p->cfg, "DEFAULT", "ssl_key_file"), err) : NULL;
            if (!s->key) {
                close(fd);
                goto fail;
            }
        }
        s->tcp_d = start_daemon(s, fd, tls || https);
        if (!s->tcp_d) {
            close(fd);
            kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot serve on %s", uri);
            goto fail;
        }
        KLOG_INFO("listening on %s%s", uri, tls || https ? " (TLS)" : "");
        /* TLS hides the traffic but authenticates no client: anyone who reaches the port drives the plugin */
        KLOG_WARN("kuryr_uri is set: any local user who can connect to %s can call the plugin with this daemon's "
                  "Neutron credentials; Docker needs only the unix socket", uri);
    }
    return s;
fail:
    kl_server_stop(s);
    return NULL;
}

void kl_server_stop(kl_server *s)
{
    if (!s)
        return;
    /* MHD_stop_daemon closes the listen socket it was given and joins the connection threads */
    if (s->unix_d)
        MHD_stop_daemon(s->unix_d);
    if (s->tcp_d)
        MHD_stop_daemon(s->tcp_d);
    if (s->unix_path)
        unlink(s->unix_path);
    free(s->unix_path);
    free(s->cert);
    free_secret(s->key);
    free(s);
}
