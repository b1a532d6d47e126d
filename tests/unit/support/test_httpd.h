/* A tiny scripted HTTP(S) server on 127.0.0.1 for unit tests (libmicrohttpd, one thread per connection).
 *
 * Usage:
 *     test_httpd *srv = test_httpd_start(false);            // or true for HTTPS with a fresh self-signed cert
 *     test_httpd_answer(srv, "GET", "/v2.0/ports", 200, "{\"ports\": []}");
 *     ... point the client at test_httpd_url(srv) ...
 *     const test_httpd_request *r = test_httpd_request_at(srv, 0);   // what the server received
 *     test_httpd_stop(srv);
 *
 * Answers are matched in the order they were added: the first whose method equals the request's (NULL
 * matches any) and whose path is a prefix of the request's path (query string included) wins. An answer with
 * `times` > 0 is used that many times and then skipped, so "503 once, then 200" is two answers. A request
 * that matches nothing gets 404 {"error": "no scripted answer"}. All functions are thread-safe. */
#ifndef KURYR_TEST_HTTPD_H
#define KURYR_TEST_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct test_httpd test_httpd;

typedef struct {
    const char *method;    /* NULL = any method */
    const char *path;      /* prefix of the request path; NULL = any */
    int status;
    const char *body;      /* NULL = empty */
    const char *headers;   /* extra response headers, "Name: value" lines separated by '\n'; NULL = none */
    unsigned delay_ms;     /* wait before answering (cut short by test_httpd_stop) */
    bool close;            /* read the request, then drop the connection without answering */
    bool reset;            /* drop the connection as soon as the headers arrive, body unread: a client still
                            * sending sees a reset (recorded with an empty body) */
    int times;             /* use this many times, then skip; 0 = forever */
} test_httpd_script;

typedef struct {
    char *method;
    char *path;            /* with the query string */
    char *body;            /* NUL-terminated, "" when none */
    size_t body_len;
    char **headers;        /* NULL-terminated "Name: value" strings as received */
} test_httpd_request;

/* Starts on an ephemeral port. With tls, generates a self-signed certificate for 127.0.0.1 with the openssl
 * CLI into a temporary directory (removed by stop). NULL on failure (with a reason on stderr); for TLS, check
 * test_httpd_tls_available() first to skip rather than fail. */
test_httpd *test_httpd_start(bool tls);
bool test_httpd_tls_available(void);
/* The same server on a unix socket at path (replaced if a file is there; removed by stop): the url is then
 * "http://localhost", for a client that connects with CURLOPT_UNIX_SOCKET_PATH. NULL on failure. */
test_httpd *test_httpd_start_unix(const char *path);
/* Stops the server, waits for its threads, frees everything (recorded requests included). NULL is fine. */
void test_httpd_stop(test_httpd *srv);

/* "http://127.0.0.1:<port>" or "https://...", no trailing slash. */
const char *test_httpd_url(const test_httpd *srv);
/* The PEM certificate (and key) of a TLS server, usable as a CA file; NULL for plain HTTP. */
const char *test_httpd_cert_file(const test_httpd *srv);
const char *test_httpd_key_file(const test_httpd *srv);

void test_httpd_add(test_httpd *srv, const test_httpd_script *answer);
/* Shorthand for a permanent answer without headers or delay. */
void test_httpd_answer(test_httpd *srv, const char *method, const char *path, int status, const char *body);

/* Requests received so far (complete ones, bodies read), in arrival order. The pointer stays valid until
 * stop. NULL when i is out of range. */
size_t test_httpd_request_count(test_httpd *srv);
const test_httpd_request *test_httpd_request_at(test_httpd *srv, size_t i);
/* How many requests so far had exactly this method and path (query string included). */
size_t test_httpd_count(test_httpd *srv, const char *method, const char *path);
/* The value of a header of a recorded request (case-insensitive name), or NULL. */
const char *test_httpd_header(const test_httpd_request *req, const char *name);
/* How many TCP connections the server accepted: tells a reused keep-alive connection from a new one. */
size_t test_httpd_connection_count(test_httpd *srv);

#endif
