/* HTTP client on libcurl: see include/kuryr/http.h. */
#include "http_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kuryr/clock.h"
#include "kuryr/log.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 60000L
#define DEFAULT_MAX_RETRIES 3
#define DEFAULT_BACKOFF_MS 200L
#define MAX_BACKOFF_MS 5000L
/* Neutron list answers for big deployments are a few MB; anything this large is a broken server. */
#define MAX_BODY_BYTES (256L * 1024 * 1024)

static _Thread_local unsigned long thread_requests;
static _Thread_local double thread_wait_s;

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

kuryr_http *kuryr_http_new(const kuryr_http_opts *opts)
{
    kuryr_http_global_init();
    kuryr_http_opts none = {0};
    if (!opts)
        opts = &none;
    kuryr_http *http = calloc(1, sizeof(*http));
    if (!http)
        return NULL;
    http->cafile = dup_or_null(opts->cafile);
    http->unix_socket = dup_or_null(opts->unix_socket);
    http->certfile = dup_or_null(opts->certfile);
    http->keyfile = dup_or_null(opts->keyfile);
    http->ca_pem = dup_or_null(opts->ca_pem);
    http->cert_pem = dup_or_null(opts->cert_pem);
    http->key_pem = dup_or_null(opts->key_pem);
    http->insecure = opts->insecure;
    http->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    http->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    http->max_retries = opts->max_retries == 0 ? DEFAULT_MAX_RETRIES : opts->max_retries < 0 ? 0 : opts->max_retries;
    http->retry_backoff_ms = opts->retry_backoff_ms > 0 ? opts->retry_backoff_ms : DEFAULT_BACKOFF_MS;
    atomic_init(&http->total_requests, 0);
    return http;
}

void kuryr_http_free(kuryr_http *http)
{
    if (!http)
        return;
    kuryr_http_release_handles(http);
    free(http->cafile);
    free(http->unix_socket);
    free(http->certfile);
    free(http->keyfile);
    free(http->ca_pem);
    free(http->cert_pem);
    if (http->key_pem) /* a private key: wiped before the memory goes back */
        explicit_bzero(http->key_pem, strlen(http->key_pem));
    free(http->key_pem);
    free(http);
}

void kuryr_http_response_clear(kuryr_http_response *resp)
{
    if (!resp)
        return;
    free(resp->body);
    free(resp->subject_token);
    free(resp->content_type);
    memset(resp, 0, sizeof(*resp));
}

unsigned long kuryr_http_total_requests(const kuryr_http *http)
{
    return http ? atomic_load(&((kuryr_http *)http)->total_requests) : 0;
}

unsigned long kuryr_http_thread_requests(void)
{
    return thread_requests;
}

void kuryr_http_thread_requests_reset(void)
{
    thread_requests = 0;
    thread_wait_s = 0;
}

double kuryr_http_thread_wait_s(void)
{
    return thread_wait_s;
}

void kuryr_http_thread_requests_add(unsigned long n)
{
    thread_requests += n;
}

char *kuryr_http_escape(const char *s)
{
    if (!s)
        return NULL;
    kuryr_http_global_init();
    char *escaped = curl_easy_escape(NULL, s, 0);
    if (!escaped)
        return NULL;
    char *copy = strdup(escaped);
    curl_free(escaped);
    return copy;
}

/* ---- one transfer ---- */

typedef struct {
    char *data;
    size_t len, cap;
    bool too_big;
} buffer;

typedef struct {
    buffer body;
    char *subject_token;
    char *content_type;
    long retry_after_s;
    /* Streaming only: where 2xx bodies go, the handle (for the status), the time of the last byte. */
    kuryr_http_stream *stream;
    CURL *easy;
    double last_data_s;
} capture;

static void capture_reset(capture *c)
{
    free(c->body.data);
    free(c->subject_token);
    free(c->content_type);
    memset(c, 0, sizeof(*c));
    c->retry_after_s = -1;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    buffer *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n + 1 > (size_t)MAX_BODY_BYTES) {
        b->too_big = true;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (!data)
            return 0;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* The value of header line `line` if it is named `name`, trimmed, malloc'd; NULL otherwise. */
static char *header_value(const char *line, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return NULL;
    const char *v = line + nlen + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    return strndup(v, (size_t)(end - v));
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    capture *c = userdata;
    size_t n = size * nmemb;
    /* A status line starts a new response (after a 100 Continue): keep only the final one's headers. */
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        free(c->subject_token);
        free(c->content_type);
        c->subject_token = c->content_type = NULL;
        c->retry_after_s = -1;
        return n;
    }
    char *v;
    if ((v = header_value(ptr, n, "X-Subject-Token"))) {
        free(c->subject_token);
        c->subject_token = v;
    } else if ((v = header_value(ptr, n, "Content-Type"))) {
        free(c->content_type);
        c->content_type = v;
    } else if ((v = header_value(ptr, n, "Retry-After"))) {
        /* Only the delta-seconds form: the HTTP-date form needs a wall clock shared with the server. */
        char *end;
        long secs = strtol(v, &end, 10);
        if (end != v && *end == '\0' && secs >= 0)
            c->retry_after_s = secs;
        free(v);
    }
    return n;
}

static bool has_header(const char *const *headers, const char *name)
{
    size_t nlen = strlen(name);
    for (; headers && *headers; headers++) {
        if (strncasecmp(*headers, name, nlen) == 0 && (*headers)[nlen] == ':')
            return true;
    }
    return false;
}

static struct curl_slist *build_headers(const char *const *headers, const char *body)
{
    struct curl_slist *list = NULL, *tmp;
    const char *defaults[] = {
        "Accept: application/json",
        /* No 100-continue round trip: our bodies are small and some proxies mishandle it. */
        "Expect:",
        body && !has_header(headers, "Content-Type") ? "Content-Type: application/json" : NULL,
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (!defaults[i] || has_header(headers, defaults[i]))
            continue;
        if (!(tmp = curl_slist_append(list, defaults[i])))
            goto fail;
        list = tmp;
    }
    for (; headers && *headers; headers++) {
        if (!(tmp = curl_slist_append(list, *headers)))
            goto fail;
        list = tmp;
    }
    return list;
fail:
    curl_slist_free_all(list);
    return NULL;
}

static void set_method(CURL *easy, const char *method, const char *body)
{
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
        if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
            const char *b = body ? body : "";
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(b));
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, b);
        }
    }
}

static void set_blob(CURL *easy, CURLoption opt, const char *pem)
{
    struct curl_blob blob = {.data = (void *)pem, .len = strlen(pem), .flags = CURL_BLOB_COPY};
    curl_easy_setopt(easy, opt, &blob);
}

/* Files or in-memory PEM (the latter wins when both are given). */
static void set_credentials(kuryr_http *http, CURL *easy)
{
    if (http->ca_pem)
        set_blob(easy, CURLOPT_CAINFO_BLOB, http->ca_pem);
    else if (http->cafile)
        curl_easy_setopt(easy, CURLOPT_CAINFO, http->cafile);
    if (http->cert_pem) {
        set_blob(easy, CURLOPT_SSLCERT_BLOB, http->cert_pem);
        curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (http->certfile) {
        curl_easy_setopt(easy, CURLOPT_SSLCERT, http->certfile);
    }
    if (http->key_pem) {
        set_blob(easy, CURLOPT_SSLKEY_BLOB, http->key_pem);
        curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (http->keyfile) {
        curl_easy_setopt(easy, CURLOPT_SSLKEY, http->keyfile);
    }
}

/* A streamed answer: 2xx bodies go to the caller as they come, anything else is buffered to be judged. */
static size_t on_stream_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    capture *c = userdata;
    size_t n = size * nmemb;
    c->last_data_s = kuryr_mono_s();
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return on_body(ptr, size, nmemb, &c->body);
    if (!c->stream->on_data(ptr, n, c->stream->ud)) {
        c->stream->stopped = true;
        return 0;
    }
    return n;
}

static int on_stream_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                              curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    capture *c = userdata;
    kuryr_http_stream *st = c->stream;
    if (st->keep_going && !st->keep_going(st->ud)) {
        st->stopped = true;
        return 1;
    }
    if (st->stall_ms > 0 && (kuryr_mono_s() - c->last_data_s) * 1000.0 > (double)st->stall_ms) {
        st->stalled = true;
        return 1;
    }
    return 0;
}

static bool is_idempotent(const char *method);

static void configure(kuryr_http *http, CURL *easy, const char *method, const char *url, struct curl_slist *hdrs,
                      const char *body, capture *cap, char *errbuf)
{
    /* reset keeps the connection and DNS caches, which is what the per-thread handle is for. */
    curl_easy_reset(easy);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "kuryr-c/" KURYR_VERSION);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, http->connect_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, http->timeout_ms);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, http->insecure ? 0L : 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, http->insecure ? 0L : 2L);
    curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, http->unix_socket);
    set_credentials(http, easy);
    if (cap->stream) {
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, cap->stream->timeout_ms > 0 ? cap->stream->timeout_ms : 0L);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_stream_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, cap);
        curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_stream_progress);
        curl_easy_setopt(easy, CURLOPT_XFERINFODATA, cap);
    } else {
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &cap->body);
    }
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, cap);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
    /* A kept-alive connection may have been closed by the server meanwhile, and a request that dies on one
     * with no answer cannot tell "never read" from "read and acted on". libcurl then resends it by itself,
     * which for a POST could make a second port. A non-idempotent request therefore always gets a connection
     * of its own (a TCP, or TLS, handshake: little next to what a POST makes Neutron do). */
    if (!is_idempotent(method))
        curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
    set_method(easy, method, body);
}

static bool is_idempotent(const char *method)
{
    static const char *const idempotent[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof(idempotent) / sizeof(idempotent[0]); i++) {
        if (strcmp(method, idempotent[i]) == 0)
            return true;
    }
    return false;
}

static bool is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_ENGINE_INITFAILED: case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT: case CURLE_SSL_SHUTDOWN_FAILED:
        return true;
    default:
        return false;
    }
}

/* The connection broke after it was established: reset, empty reply, failed send or receive. */
static bool is_broken_connection(CURLcode rc)
{
    return rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING;
}

/* Failures where no answer came because the server could not be reached or talked to: worth a later retry. */
static bool is_unavailable(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_OPERATION_TIMEDOUT ||
           is_broken_connection(rc);
}


typedef enum { RETRY_NO, RETRY_BACKOFF, RETRY_NOW } retry_kind;

/* What one attempt did, as far as the client can tell. */
typedef struct {
    CURLcode rc;
    long status;
    bool reused;     /* over a kept-alive connection */
    bool connected;  /* the connection was up */
    bool got_bytes;  /* some of an answer arrived */
    bool sent_whole; /* the request, headers and body, all left */
} attempt_info;

/* A non-idempotent request goes again, once, only when the server provably cannot have acted on it: the
 * connection broke before all of the request had left (a reset while sending) and nothing of an answer came.
 * A request that left whole and got no answer is reported (unavailable): the caller's doubt handling finds
 * what it made. A server that cannot be reached at all is reported too, as before: the caller decides. */
static retry_kind should_retry_unsafe(const attempt_info *a, bool *resent_once)
{
    if (a->sent_whole || a->got_bytes)
        return RETRY_NO;
    if (is_broken_connection(a->rc) && !*resent_once) {
        *resent_once = true;
        return RETRY_NOW;
    }
    return RETRY_NO;
}

/* Decides whether attempt number `attempt` (1-based) is followed by another one. */
static retry_kind should_retry(kuryr_http *http, const char *method, const attempt_info *a, int attempt,
                               bool *resent_once)
{
    if (!is_idempotent(method))
        return should_retry_unsafe(a, resent_once);
    CURLcode rc = a->rc;
    long status = a->status;
    bool connected = a->connected;
    /* A keep-alive connection the server had already dropped, and not one byte of answer: sent again at once,
     * once, on a fresh connection (an idempotent request is safe to repeat anyway). */
    if (is_broken_connection(rc) && a->reused && !a->got_bytes && !*resent_once) {
        *resent_once = true;
        return RETRY_NOW;
    }
    if (attempt > http->max_retries)
        return RETRY_NO;
    if (rc == CURLE_OK)
        return status == 502 || status == 503 || status == 504 ? RETRY_BACKOFF : RETRY_NO;
    /* A timeout after the connection was up means a slow server: retrying would only multiply the wait. */
    if (rc == CURLE_OPERATION_TIMEDOUT && connected)
        return RETRY_NO;
    return is_unavailable(rc) ? RETRY_BACKOFF : RETRY_NO;
}

/* The request id (kuryr_log_request_id) is not repeated here: log.c puts it on every line. */
static void log_attempt(const char *method, const char *url, CURLcode rc, long status, double secs, int attempt,
                        const char *errbuf)
{
    char *safe_url = kuryr_redact(url);
    const char *u = safe_url ? safe_url : "?";
    if (rc != CURLE_OK) {
        char *safe_err = kuryr_redact(errbuf[0] ? errbuf : curl_easy_strerror(rc));
        KLOG_WARN("http %s %s failed after %.3fs (attempt %d): %s", method, u, secs, attempt,
                  safe_err ? safe_err : "?");
        free(safe_err);
    } else if (status >= 500) {
        KLOG_WARN("http %s %s -> %ld in %.3fs (attempt %d)", method, u, status, secs, attempt);
    } else {
        KLOG_DEBUG("http %s %s -> %ld in %.3fs (attempt %d)", method, u, status, secs, attempt);
    }
    free(safe_url);
}

static int fail(CURLcode rc, const char *method, const char *url, const char *errbuf, kuryr_error *err)
{
    char *safe_url = kuryr_redact(url);
    char *safe_err = kuryr_redact(errbuf[0] ? errbuf : curl_easy_strerror(rc));
    const char *u = safe_url ? safe_url : "?", *e = safe_err ? safe_err : "?";
    if (is_tls_error(rc))
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "%s %s: TLS failure: %s", method, u, e);
    else
        kuryr_error_set(err, is_unavailable(rc) ? KURYR_ERR_UNAVAILABLE : KURYR_ERR_INTERNAL, 0, NULL, "%s %s: %s",
                        method, u, e);
    free(safe_url);
    free(safe_err);
    return -1;
}

/* One request, retried as should_retry() says; a stream (may be NULL) takes 2xx bodies and is never retried
 * after a byte of answer arrived. */
static int perform(kuryr_http *http, const char *method, const char *url, const char *const *headers,
                   const char *body, kuryr_http_stream *stream, kuryr_http_response *resp, kuryr_error *err)
{
    memset(resp, 0, sizeof(*resp));
    resp->retry_after_s = -1;
    if (!http || !method || !url)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "http request without client, method or URL");
    CURL *easy = kuryr_http_thread_handle(http);
    struct curl_slist *hdrs = build_headers(headers, body);
    if (!easy || !hdrs) {
        curl_slist_free_all(hdrs);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory preparing %s request", method);
    }
    double start = kuryr_mono_s();
    bool resent_once = false;
    long backoff = http->retry_backoff_ms;
    capture cap = {0};
    char errbuf[CURL_ERROR_SIZE];
    CURLcode rc;
    long status;
    for (int attempt = 1;; attempt++) {
        capture_reset(&cap);
        cap.stream = stream;
        cap.easy = easy;
        cap.last_data_s = kuryr_mono_s();
        errbuf[0] = '\0';
        configure(http, easy, method, url, hdrs, body, &cap, errbuf);
        double t0 = kuryr_mono_s();
        rc = curl_easy_perform(easy);
        double secs = kuryr_mono_s() - t0;
        atomic_fetch_add(&http->total_requests, 1);
        thread_requests++;
        status = 0;
        long new_conns = 1;
        curl_off_t connect_us = 0;
        long header_bytes = 0, request_bytes = 0;
        curl_off_t uploaded = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_bytes);
        curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
        curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &new_conns);
        curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
        curl_easy_getinfo(easy, CURLINFO_HEADER_SIZE, &header_bytes);
        if (rc == CURLE_WRITE_ERROR && cap.body.too_big)
            snprintf(errbuf, sizeof(errbuf), "response body larger than %ld bytes", MAX_BODY_BYTES);
        if (stream && stream->stalled)
            snprintf(errbuf, sizeof(errbuf), "stalled: no data for %ld ms", stream->stall_ms);
        /* A reader that stops its stream (an informer shutting down) cut it on purpose: not worth a warning. */
        if (stream && stream->stopped)
            KLOG_DEBUG("http %s stream stopped by its reader after %.3fs", method, secs);
        else
            log_attempt(method, url, rc, status, secs, attempt, errbuf);
        resp->attempts = attempt;
        attempt_info info = {
            .rc = rc,
            .status = status,
            .reused = new_conns == 0,
            .connected = connect_us > 0 || new_conns == 0,
            .got_bytes = header_bytes > 0 || cap.body.len > 0,
            .sent_whole = request_bytes > 0 && uploaded >= (curl_off_t)(body ? strlen(body) : 0),
        };
        retry_kind retry = should_retry(http, method, &info, attempt, &resent_once);
        if (retry == RETRY_NO || (stream && (retry == RETRY_BACKOFF || stream->stalled || stream->stopped)))
            break;
        if (retry == RETRY_BACKOFF) {
            kuryr_sleep_ms(backoff);
            backoff = backoff * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : backoff * 2;
        }
    }
    curl_slist_free_all(hdrs);
    resp->elapsed_s = kuryr_mono_s() - start;
    thread_wait_s += resp->elapsed_s;
    if (rc != CURLE_OK) {
        resp->status = status;
        capture_reset(&cap);
        return fail(rc, method, url, errbuf, err);
    }
    resp->status = status;
    resp->body = cap.body.data ? cap.body.data : strdup("");
    resp->body_len = cap.body.len;
    resp->subject_token = cap.subject_token;
    resp->content_type = cap.content_type;
    resp->retry_after_s = cap.retry_after_s;
    if (!resp->body) {
        kuryr_http_response_clear(resp);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory reading %s answer", method);
    }
    return 0;
}

int kuryr_http_request(kuryr_http *http, const char *method, const char *url, const char *const *headers,
                       const char *body, kuryr_http_response *resp, kuryr_error *err)
{
    return perform(http, method, url, headers, body, NULL, resp, err);
}

int kuryr_http_request_stream(kuryr_http *http, const char *method, const char *url, const char *const *headers,
                              const char *body, kuryr_http_stream *stream, kuryr_http_response *resp,
                              kuryr_error *err)
{
    if (!stream || !stream->on_data) {
        memset(resp, 0, sizeof(*resp));
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "streamed request without a reader");
    }
    stream->stalled = stream->stopped = false;
    return perform(http, method, url, headers, body, stream, resp, err);
}
