/* libmicrohttpd glue for Docker plugin daemons (see plugin_server.h). A thread per connection, because the
 * handlers block on OpenStack services and on the kernel while Docker sends requests in parallel. */
#include "kuryr/plugin_server.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kuryr/unix_listen.h"

struct kuryr_plugin_server {
    struct MHD_Daemon *d;
    bool tcp;
    char *path;
    size_t max_body;
    kuryr_plugin_handler fn;
    void *ctx;
};

/* One request's body as it arrives; oversize marks a body past max_body, which is dropped, not kept. */
typedef struct {
    char *data;
    size_t len;
    int oversize;
} body_buf;

static enum MHD_Result answer(struct MHD_Connection *c, int status, char *json)
{
    struct MHD_Response *r = json ? MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(json);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, KURYR_PLUGIN_CONTENT_TYPE);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result take_upload(kuryr_plugin_server *s, body_buf *b, const char *data, size_t n)
{
    if (b->oversize || b->len + n > s->max_body) {
        b->oversize = 1;
        free(b->data);
        b->data = NULL;
        b->len = 0;
        return MHD_YES;
    }
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return MHD_NO;
    memcpy(grown + b->len, data, n);
    b->data = grown;
    b->len += n;
    b->data[b->len] = '\0';
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    kuryr_plugin_server *s = cls;
    body_buf *b = *con_cls;
    if (!b) { /* the headers have arrived; the body (if any) follows in later calls */
        if (!(b = calloc(1, sizeof(*b))))
            return MHD_NO;
        *con_cls = b;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        return take_upload(s, b, upload, n);
    }
    if (b->oversize)
        return answer(c, MHD_HTTP_CONTENT_TOO_LARGE, strdup("{\"Err\":\"request body too large\"}"));
    int status = 500;
    char *reply = NULL;
    s->fn(s->ctx, method, url, b->data, b->len, &status, &reply);
    return answer(c, status, reply ? reply : strdup("{\"Err\":\"no answer\"}"));
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    body_buf *b = *con_cls;
    if (b) {
        free(b->data);
        free(b);
        *con_cls = NULL;
    }
}

kuryr_plugin_server *kuryr_plugin_server_start(const kuryr_plugin_server_opts *opts, kuryr_plugin_handler fn,
                                               void *ctx, kuryr_error *err)
{
    bool tcp = opts->tcp_address && *opts->tcp_address;
    if (!tcp && (!opts->unix_path || !*opts->unix_path)) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "no unix socket path to serve on");
        return NULL;
    }
    kuryr_plugin_server *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(tcp ? opts->tcp_address : opts->unix_path))) {
        free(s);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    s->tcp = tcp;
    s->max_body = opts->max_body ? opts->max_body : 1024 * 1024;
    s->fn = fn;
    s->ctx = ctx;
    int fd = tcp ? kuryr_loopback_listen(s->path, NULL, err) : kuryr_unix_listen(s->path, err);
    if (fd < 0) {
        free(s->path);
        free(s);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
                            MHD_OPTION_CONNECTION_LIMIT, opts->max_connections ? opts->max_connections : 256u,
                            MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_s ? opts->timeout_s : 120u,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!s->d) {
        close(fd);
        if (!tcp)
            unlink(s->path);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot serve on %s", s->path);
        free(s->path);
        free(s);
        return NULL;
    }
    return s;
}

void kuryr_plugin_server_stop(kuryr_plugin_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d); /* closes the listening socket and joins the connection threads */
    if (!s->tcp)
        unlink(s->path);
    free(s->path);
    free(s);
}
