/* Scripted HTTP(S) test server: see test_httpd.h. */
#include "test_httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    test_httpd_script s;  /* strings owned */
    int used;
} script_entry;

struct test_httpd {
    struct MHD_Daemon *daemon;
    char url[64];
    char unix_path[108];   /* the socket file of a unix-socket server, "" for TCP */
    char dir[64];          /* temp dir of the TLS material, "" for plain HTTP */
    char cert_file[96], key_file[96];
    char *cert_pem, *key_pem;
    pthread_mutex_t lock;  /* guards everything below */
    pthread_cond_t wake;   /* broadcast by stop to cut delays short */
    bool stopping;
    script_entry *scripts;
    size_t n_scripts;
    test_httpd_request **requests;
    size_t n_requests;
    size_t connections;
};

/* A request being received: headers first, then body chunks. */
typedef struct {
    char **headers;
    size_t n_headers;
    char *query;  /* "?a=b&c=d", decoded; "" when none */
    char *body;
    size_t body_len, body_cap;
} pending;

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q)
        abort();  /* test support: out of memory is fatal */
    return q;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
    *buf = xrealloc(*buf, *len + n + 1);
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    pending *p = cls;
    char *line = NULL;
    if (asprintf(&line, "%s: %s", key, value ? value : "") < 0)
        abort();
    p->headers = xrealloc(p->headers, (p->n_headers + 2) * sizeof(char *));
    p->headers[p->n_headers++] = line;
    p->headers[p->n_headers] = NULL;
    return MHD_YES;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    pending *p = cls;
    size_t len = strlen(p->query);
    append(&p->query, &len, len ? "&" : "?", 1);
    append(&p->query, &len, key, strlen(key));
    if (value) {
        append(&p->query, &len, "=", 1);
        append(&p->query, &len, value, strlen(value));
    }
    return MHD_YES;
}

static void pending_free(pending *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_headers; i++)
        free(p->headers[i]);
    free(p->headers);
    free(p->query);
    free(p->body);
    free(p);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    pending_free(*con_cls);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)conn, (void)socket_context;
    test_httpd *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&srv->lock);
        srv->connections++;
        pthread_mutex_unlock(&srv->lock);
    }
}

static bool script_matches(const test_httpd_script *s, const char *method, const char *path)
{
    if (s->method && strcmp(s->method, method) != 0)
        return false;
    return !s->path || strncmp(path, s->path, strlen(s->path)) == 0;
}

static void record(test_httpd *srv, const char *method, const char *path, pending *p)
{
    test_httpd_request *r = calloc(1, sizeof(*r));
    if (!r)
        abort();
    r->method = xstrdup(method);
    r->path = xstrdup(path);
    r->body = p->body ? p->body : xstrdup("");
    r->body_len = p->body_len;
    r->headers = p->headers ? p->headers : calloc(1, sizeof(char *));
    p->body = NULL;
    p->headers = NULL;
    p->n_headers = 0;
    srv->requests = xrealloc(srv->requests, (srv->n_requests + 1) * sizeof(*srv->requests));
    srv->requests[srv->n_requests++] = r;
}

/* The first usable script for the request, NULL if none. Lock held. */
static script_entry *match(test_httpd *srv, const char *method, const char *path)
{
    for (size_t i = 0; i < srv->n_scripts; i++) {
        script_entry *e = &srv->scripts[i];
        if ((e->s.times == 0 || e->used < e->s.times) && script_matches(&e->s, method, path))
            return e;
    }
    return NULL;
}

/* Records the request and picks its answer (copied, since stop may free the script). Lock held. */
static void record_and_match(test_httpd *srv, const char *method, const char *path, pending *p,
                             test_httpd_script *answer)
{
    record(srv, method, path, p);
    memset(answer, 0, sizeof(*answer));
    answer->status = 404;
    answer->body = xstrdup("{\"error\": \"no scripted answer\"}");
    script_entry *e = match(srv, method, path);
    if (e) {
        e->used++;
        free((char *)answer->body);
        *answer = e->s;
        answer->body = xstrdup(e->s.body);
        answer->headers = xstrdup(e->s.headers);
        answer->method = answer->path = NULL;
    }
}

static char *full_path(const char *url, const pending *p)
{
    char *path = NULL;
    if (asprintf(&path, "%s%s", url, p->query) < 0)
        abort();
    return path;
}

/* A `reset` answer, consumed and recorded at header time; false when the request gets a normal answer. */
static bool take_reset(test_httpd *srv, const char *method, const char *path, pending *p)
{
    pthread_mutex_lock(&srv->lock);
    script_entry *e = match(srv, method, path);
    bool reset = e && e->s.reset;
    if (reset) {
        e->used++;
        record(srv, method, path, p);
    }
    pthread_mutex_unlock(&srv->lock);
    return reset;
}

static void wait_delay(test_httpd *srv, unsigned delay_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += delay_ms / 1000;
    deadline.tv_nsec += (long)(delay_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&srv->lock);
    while (!srv->stopping && pthread_cond_timedwait(&srv->wake, &srv->lock, &deadline) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&srv->lock);
}

static void add_headers(struct MHD_Response *resp, const char *headers, bool *has_content_type)
{
    char *copy = xstrdup(headers), *save = NULL;
    for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        if (strcasecmp(line, "Content-Type") == 0)
            *has_content_type = true;
        MHD_add_response_header(resp, line, value);
    }
    free(copy);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    test_httpd *srv = cls;
    pending *p = *con_cls;
    if (!p) {
        if (!(p = calloc(1, sizeof(*p))) || !(p->query = strdup("")))
            abort();
        MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, p);
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, p);
        *con_cls = p;
        char *path = full_path(url, p);
        bool reset = take_reset(srv, method, path, p);
        free(path);
        return reset ? MHD_NO : MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        if (p->body_len + n + 1 > p->body_cap) {
            /* Geometric growth: tests upload tens of MB in small chunks. */
            p->body_cap = 2 * (p->body_len + n + 1);
            p->body = xrealloc(p->body, p->body_cap);
        }
        memcpy(p->body + p->body_len, upload_data, n);
        p->body_len += n;
        p->body[p->body_len] = '\0';
        *upload_data_size = 0;
        return MHD_YES;
    }
    char *path = full_path(url, p);
    test_httpd_script answer;
    pthread_mutex_lock(&srv->lock);
    record_and_match(srv, method, path, p, &answer);
    pthread_mutex_unlock(&srv->lock);
    free(path);
    if (answer.delay_ms)
        wait_delay(srv, answer.delay_ms);
    enum MHD_Result ret = MHD_NO;  /* MHD_NO drops the connection: what `close` asks for */
    if (!answer.close) {
        const char *body = answer.body ? answer.body : "";
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
        bool has_content_type = false;
        add_headers(resp, answer.headers, &has_content_type);
        if (*body && !has_content_type)
            MHD_add_response_header(resp, "Content-Type", "application/json");
        ret = MHD_queue_response(conn, (unsigned)answer.status, resp);
        MHD_destroy_response(resp);
    }
    free((char *)answer.body);
    free((char *)answer.headers);
    return ret;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        append(&buf, &len, chunk, n);
    fclose(f);
    return buf;
}

bool test_httpd_tls_available(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES && system("openssl version >/dev/null 2>&1") == 0;
}

static int make_cert(test_httpd *srv)
{
    snprintf(srv->dir, sizeof(srv->dir), "/tmp/kuryr-test-httpd-XXXXXX");
    if (!mkdtemp(srv->dir)) {
        srv->dir[0] = '\0';
        return -1;
    }
    snprintf(srv->cert_file, sizeof(srv->cert_file), "%s/cert.pem", srv->dir);
    snprintf(srv->key_file, sizeof(srv->key_file), "%s/key.pem", srv->dir);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s >/dev/null 2>&1",
             srv->key_file, srv->cert_file);
    if (system(cmd) != 0)
        return -1;
    srv->cert_pem = read_file(srv->cert_file);
    srv->key_pem = read_file(srv->key_file);
    return srv->cert_pem && srv->key_pem ? 0 : -1;
}

test_httpd *test_httpd_start(bool tls)
{
    test_httpd *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->wake, NULL);
    if (tls && make_cert(srv) != 0) {
        fprintf(stderr, "test_httpd: could not make a self-signed certificate with openssl\n");
        test_httpd_stop(srv);
        return NULL;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
                     (tls ? MHD_USE_TLS : 0);
    if (tls)
        srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, &addr,
                                       MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                       MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                                       MHD_OPTION_HTTPS_MEM_KEY, srv->key_pem, MHD_OPTION_HTTPS_MEM_CERT,
                                       srv->cert_pem, MHD_OPTION_END);
    else
        srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, &addr,
                                       MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                       MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        srv->daemon ? MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (!info) {
        fprintf(stderr, "test_httpd: could not start the server on 127.0.0.1\n");
        test_httpd_stop(srv);
        return NULL;
    }
    snprintf(srv->url, sizeof(srv->url), "%s://127.0.0.1:%u", tls ? "https" : "http", (unsigned)info->port);
    return srv;
}

test_httpd *test_httpd_start_unix(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path))
        return NULL;
    test_httpd *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->wake, NULL);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 64) != 0) {
        fprintf(stderr, "test_httpd: cannot listen on %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        test_httpd_stop(srv);
        return NULL;
    }
    snprintf(srv->unix_path, sizeof(srv->unix_path), "%s", path);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, fd,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
                                   MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_END);
    if (!srv->daemon) {
        close(fd);
        fprintf(stderr, "test_httpd: could not start the server on %s\n", path);
        test_httpd_stop(srv);
        return NULL;
    }
    snprintf(srv->url, sizeof(srv->url), "http://localhost");
    return srv;
}

static void free_script(test_httpd_script *s)
{
    free((char *)s->method);
    free((char *)s->path);
    free((char *)s->body);
    free((char *)s->headers);
}

void test_httpd_stop(test_httpd *srv)
{
    if (!srv)
        return;
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    pthread_cond_broadcast(&srv->wake);
    pthread_mutex_unlock(&srv->lock);
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    if (srv->unix_path[0])
        unlink(srv->unix_path);
    for (size_t i = 0; i < srv->n_scripts; i++)
        free_script(&srv->scripts[i].s);
    free(srv->scripts);
    for (size_t i = 0; i < srv->n_requests; i++) {
        test_httpd_request *r = srv->requests[i];
        for (char **h = r->headers; *h; h++)
            free(*h);
        free(r->headers);
        free(r->method);
        free(r->path);
        free(r->body);
        free(r);
    }
    free(srv->requests);
    if (srv->dir[0]) {
        unlink(srv->cert_file);
        unlink(srv->key_file);
        rmdir(srv->dir);
    }
    free(srv->cert_pem);
    free(srv->key_pem);
    pthread_cond_destroy(&srv->wake);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

const char *test_httpd_url(const test_httpd *srv)
{
    return srv->url;
}

const char *test_httpd_cert_file(const test_httpd *srv)
{
    return srv->dir[0] ? srv->cert_file : NULL;
}

const char *test_httpd_key_file(const test_httpd *srv)
{
    return srv->dir[0] ? srv->key_file : NULL;
}

void test_httpd_add(test_httpd *srv, const test_httpd_script *answer)
{
    script_entry e = {.s = *answer};
    e.s.method = xstrdup(answer->method);
    e.s.path = xstrdup(answer->path);
    e.s.body = xstrdup(answer->body);
    e.s.headers = xstrdup(answer->headers);
    pthread_mutex_lock(&srv->lock);
    srv->scripts = xrealloc(srv->scripts, (srv->n_scripts + 1) * sizeof(*srv->scripts));
    srv->scripts[srv->n_scripts++] = e;
    pthread_mutex_unlock(&srv->lock);
}

void test_httpd_answer(test_httpd *srv, const char *method, const char *path, int status, const char *body)
{
    test_httpd_add(srv, &(test_httpd_script){.method = method, .path = path, .status = status, .body = body});
}

size_t test_httpd_request_count(test_httpd *srv)
{
    pthread_mutex_lock(&srv->lock);
    size_t n = srv->n_requests;
    pthread_mutex_unlock(&srv->lock);
    return n;
}

size_t test_httpd_count(test_httpd *srv, const char *method, const char *path)
{
    size_t n = 0;
    pthread_mutex_lock(&srv->lock);
    for (size_t i = 0; i < srv->n_requests; i++)
        n += !strcmp(srv->requests[i]->method, method) && !strcmp(srv->requests[i]->path, path);
    pthread_mutex_unlock(&srv->lock);
    return n;
}

const test_httpd_request *test_httpd_request_at(test_httpd *srv, size_t i)
{
    pthread_mutex_lock(&srv->lock);
    const test_httpd_request *r = i < srv->n_requests ? srv->requests[i] : NULL;
    pthread_mutex_unlock(&srv->lock);
    return r;
}

const char *test_httpd_header(const test_httpd_request *req, const char *name)
{
    size_t n = strlen(name);
    for (char **h = req ? req->headers : NULL; h && *h; h++) {
        if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
            return *h + n + 2;
    }
    return NULL;
}

size_t test_httpd_connection_count(test_httpd *srv)
{
    pthread_mutex_lock(&srv->lock);
    size_t n = srv->connections;
    pthread_mutex_unlock(&srv->lock);
    return n;
}
