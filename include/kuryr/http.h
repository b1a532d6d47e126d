/* HTTP client on libcurl.
 *
 * One client is shared by all threads; each thread keeps its own curl easy handle per client, so connections
 * are reused without locking. TLS verification is on unless `insecure` is set. Idempotent methods (GET, HEAD,
 * PUT, DELETE) are retried with backoff on connection failures and 502/503/504, and once at once when a
 * reused keep-alive connection turns out to be dead. A non-idempotent request (POST, PATCH) always goes over a
 * fresh connection and is sent again only when it provably did not reach the server whole (a reset while
 * sending); one that left whole and got no answer fails with KURYR_ERR_UNAVAILABLE, never sent twice. Every
 * request is logged (request id, method, URL, status, duration) with secrets redacted. */
#ifndef KURYR_HTTP_H
#define KURYR_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/error.h"

typedef struct {
    const char *cafile;     /* CA bundle; NULL = system default */
    const char *certfile;   /* client certificate (PEM); NULL = none */
    const char *keyfile;    /* client key (PEM) */
    bool insecure;          /* disable TLS verification: off by default */
    long connect_timeout_ms; /* 0 = 10 s */
    long timeout_ms;         /* whole request; 0 = 60 s */
    int max_retries;         /* for idempotent requests; default 3 when 0, -1 = none */
    long retry_backoff_ms;   /* first backoff, doubled each retry; 0 = 200 ms */
    const char *unix_socket; /* connect to this unix socket instead of the URL's host (Docker's API); NULL = TCP */
    /* The same credentials as PEM text in memory (kubeconfig's *-data), used instead of the files when set:
     * nothing secret needs to touch the disk. */
    const char *ca_pem;
    const char *cert_pem;
    const char *key_pem;
} kuryr_http_opts;

typedef struct {
    long status;            /* HTTP status; 0 if no answer */
    char *body;             /* NUL-terminated, may be empty, never NULL after success */
    size_t body_len;
    char *subject_token;    /* X-Subject-Token header if present (Keystone), else NULL */
    char *content_type;     /* Content-Type header if present, else NULL */
    long retry_after_s;     /* Retry-After in seconds (the delta form) if present, else -1 */
    double elapsed_s;       /* wall time including retries */
    int attempts;
} kuryr_http_response;

typedef struct kuryr_http kuryr_http;

kuryr_http *kuryr_http_new(const kuryr_http_opts *opts);
void kuryr_http_free(kuryr_http *http);

/* Performs one request. headers is a NULL-terminated array of "Name: value" strings, or NULL. body may be
 * NULL. Returns 0 when an HTTP answer arrived (any status: the caller judges it), -1 with err set
 * (KURYR_ERR_UNAVAILABLE for connect failures and timeouts, KURYR_ERR_INTERNAL otherwise, a TLS failure says
 * so in the message) when none did. The response must be cleared by the caller in both cases. */
int kuryr_http_request(kuryr_http *http, const char *method, const char *url, const char *const *headers,
                       const char *body, kuryr_http_response *resp, kuryr_error *err);
void kuryr_http_response_clear(kuryr_http_response *resp);

/* A request whose answer is consumed as it arrives: a watch, which can stream for minutes. */
typedef struct {
    /* Gets the body of a 2xx answer chunk by chunk, as it arrives, instead of resp->body (other statuses are
     * buffered into resp->body as usual, to be judged by the caller). Return false to stop the transfer. */
    bool (*on_data)(const char *data, size_t len, void *ud);
    /* Polled at least once a second while the transfer runs; return false to stop it (a shutdown). NULL =
     * never stop. */
    bool (*keep_going)(void *ud);
    void *ud;
    long timeout_ms;  /* the whole transfer; 0 = no limit */
    long stall_ms;    /* stop when no byte has arrived for this long; 0 = never */
    /* Out: why the transfer ended early, when it did. */
    bool stalled;     /* stall_ms passed without a byte */
    bool stopped;     /* on_data or keep_going said stop */
} kuryr_http_stream;

/* Like kuryr_http_request, but the answer's body goes to stream->on_data and the request is made once (the
 * caller owns reconnecting). Returns 0 when the server finished its answer, -1 with err otherwise (including
 * a stall or a stop, which set the flags in stream; err is then KURYR_ERR_UNAVAILABLE). resp->status is set in
 * both cases when an answer had started. */
int kuryr_http_request_stream(kuryr_http *http, const char *method, const char *url, const char *const *headers,
                              const char *body, kuryr_http_stream *stream, kuryr_http_response *resp,
                              kuryr_error *err);

/* Number of requests sent by this client (all threads) and by the calling thread, for metrics and
 * per-request counting. The thread counter can be reset by the caller at the start of a plugin request. */
unsigned long kuryr_http_total_requests(const kuryr_http *http);
unsigned long kuryr_http_thread_requests(void);
void kuryr_http_thread_requests_reset(void);
/* Seconds the calling thread spent waiting on HTTP since the last reset (for the plugin-overhead figure). */
double kuryr_http_thread_wait_s(void);
/* Counts n requests that a helper thread sent on the calling thread's behalf. Their wait overlapped this
 * thread's own and is not added: the overhead figure stays an upper bound. */
void kuryr_http_thread_requests_add(unsigned long n);

/* URL-escapes s into a malloc'd string. */
char *kuryr_http_escape(const char *s);

#endif
