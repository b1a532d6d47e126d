/* HTTP client on libcurl.
 *
 * One client is shared by all threads; each thread keeps its own curl easy handle per client, so connections
 * are reused without locking. TLS verification is on unless `insecure` is set. Idempotent methods (GET, HEAD,
 * PUT, DELETE) are retried with backoff on connection failures and 502/503/504, and any method is retried
 * once when a reused keep-alive connection turns out to be dead (the request never reached the server). Every
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
} kuryr_http_opts;

typedef struct {
    long status;            /* HTTP status; 0 if no answer */
    char *body;             /* NUL-terminated, may be empty, never NULL after success */
    size_t body_len;
    char *subject_token;    /* X-Subject-Token header if present (Keystone), else NULL */
    char *content_type;     /* Content-Type header if present, else NULL */
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
