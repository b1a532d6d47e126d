/* lib/http.c against the scripted server in tests/unit/support: methods, retries, failures, TLS, counters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kuryr/http.h"
#include "test_httpd.h"

typedef struct {
    test_httpd *srv;
    kuryr_http *http;
    kuryr_http_response resp;
    kuryr_http *extra;  /* a second client a test needs, freed by teardown even when the test fails */
    char url[256];
} fixture;

/* Retries without waiting: the backoff itself is not under test. */
static const kuryr_http_opts fast = {.retry_backoff_ms = 1, .timeout_ms = 10000};

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->srv = test_httpd_start(false);
    f->http = kuryr_http_new(&fast);
    *state = f;
    return f->srv && f->http ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kuryr_http_response_clear(&f->resp);
    kuryr_http_free(f->http);
    kuryr_http_free(f->extra);
    test_httpd_stop(f->srv);
    free(f);
    return 0;
}

static const char *url(fixture *f, const char *path)
{
    snprintf(f->url, sizeof(f->url), "%s%s", test_httpd_url(f->srv), path);
    return f->url;
}

static int request(fixture *f, const char *method, const char *path, const char *const *headers, const char *body,
                   kuryr_error *err)
{
    kuryr_http_response_clear(&f->resp);
    return kuryr_http_request(f->http, method, url(f, path), headers, body, &f->resp, err);
}

static void test_round_trips(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = "/v2.0/ports", .status = 200,
                                                .body = "{\"ports\": []}",
                                                .headers = "X-Subject-Token: tok-1\nX-Other: x"});
    test_httpd_answer(f->srv, "POST", "/v2.0/ports", 201, "{\"port\": {\"id\": \"p1\"}}");
    test_httpd_answer(f->srv, "PUT", "/v2.0/ports/p1", 200, "{\"port\": {\"id\": \"p1\", \"name\": \"n\"}}");
    test_httpd_answer(f->srv, "DELETE", "/v2.0/ports/p1", 204, NULL);

    assert_int_equal(request(f, "GET", "/v2.0/ports?device_id=abc", NULL, NULL, &err), 0);
    assert_int_equal(f->resp.status, 200);
    assert_string_equal(f->resp.body, "{\"ports\": []}");
    assert_int_equal(f->resp.body_len, strlen("{\"ports\": []}"));
    assert_string_equal(f->resp.subject_token, "tok-1");
    assert_string_equal(f->resp.content_type, "application/json");
    assert_int_equal(f->resp.attempts, 1);

    const char *const headers[] = {"X-Auth-Token: abc", NULL};
    assert_int_equal(request(f, "POST", "/v2.0/ports", headers, "{\"port\": {}}", &err), 0);
    assert_int_equal(f->resp.status, 201);
    assert_string_equal(f->resp.body, "{\"port\": {\"id\": \"p1\"}}");
    assert_null(f->resp.subject_token);

    assert_int_equal(request(f, "PUT", "/v2.0/ports/p1", NULL, "{\"port\": {\"name\": \"n\"}}", &err), 0);
    assert_int_equal(f->resp.status, 200);

    assert_int_equal(request(f, "DELETE", "/v2.0/ports/p1", NULL, NULL, &err), 0);
    assert_int_equal(f->resp.status, 204);
    assert_string_equal(f->resp.body, "");
    assert_null(f->resp.content_type);

    assert_int_equal(test_httpd_request_count(f->srv), 4);
    const test_httpd_request *get = test_httpd_request_at(f->srv, 0);
    assert_string_equal(get->method, "GET");
    assert_string_equal(get->path, "/v2.0/ports?device_id=abc");
    assert_string_equal(test_httpd_header(get, "Accept"), "application/json");
    assert_string_equal(test_httpd_header(get, "User-Agent"), "kuryr-c/" KURYR_VERSION);
    const test_httpd_request *post = test_httpd_request_at(f->srv, 1);
    assert_string_equal(post->method, "POST");
    assert_string_equal(post->body, "{\"port\": {}}");
    assert_string_equal(test_httpd_header(post, "Content-Type"), "application/json");
    assert_string_equal(test_httpd_header(post, "X-Auth-Token"), "abc");
    const test_httpd_request *put = test_httpd_request_at(f->srv, 2);
    assert_string_equal(put->method, "PUT");
    assert_string_equal(put->body, "{\"port\": {\"name\": \"n\"}}");
    const test_httpd_request *del = test_httpd_request_at(f->srv, 3);
    assert_string_equal(del->method, "DELETE");
    assert_string_equal(del->path, "/v2.0/ports/p1");
    assert_string_equal(del->body, "");
}

static void test_get_retried_on_503_then_succeeds(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .status = 503, .times = 1});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .status = 502, .times = 1});
    test_httpd_answer(f->srv, "GET", "/", 200, "{}");
    assert_int_equal(request(f, "GET", "/v2.0/networks", NULL, NULL, &err), 0);
    assert_int_equal(f->resp.status, 200);
    assert_int_equal(f->resp.attempts, 3);
    assert_int_equal(test_httpd_request_count(f->srv), 3);
}

static void test_retries_give_up_with_last_answer(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    test_httpd_answer(f->srv, "DELETE", "/", 504, NULL);
    assert_int_equal(request(f, "DELETE", "/v2.0/ports/x", NULL, NULL, &err), 0);
    assert_int_equal(f->resp.status, 504);
    assert_int_equal(f->resp.attempts, 4);  /* default max_retries 3 */
    assert_int_equal(test_httpd_request_count(f->srv), 4);
}

static void test_post_not_retried_on_503(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .status = 503, .times = 1});
    test_httpd_answer(f->srv, "POST", "/", 201, "{}");
    assert_int_equal(request(f, "POST", "/v2.0/ports", NULL, "{}", &err), 0);
    assert_int_equal(f->resp.status, 503);
    assert_int_equal(f->resp.attempts, 1);
    assert_int_equal(test_httpd_request_count(f->srv), 1);
}

/* A 127.0.0.1 port nobody listens on: bound, then released. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

static void test_connection_refused_is_unavailable(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/v2.0/ports", closed_port());
    assert_int_equal(kuryr_http_request(f->http, "GET", f->url, NULL, NULL, &f->resp, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_int_equal(f->resp.attempts, 4);  /* an idempotent request is retried */
    assert_int_equal(f->resp.status, 0);
    kuryr_http_response_clear(&f->resp);

    kuryr_error_clear(&err);
    assert_int_equal(kuryr_http_request(f->http, "POST", f->url, NULL, "{}", &f->resp, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_int_equal(f->resp.attempts, 1);
}

static void test_total_timeout(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    kuryr_http *slow = f->extra = kuryr_http_new(&(kuryr_http_opts){.timeout_ms = 200, .retry_backoff_ms = 1});
    /* The delay is cut short when the server stops, so the test does not wait for it. */
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .status = 200, .delay_ms = 60000});
    assert_int_equal(kuryr_http_request(slow, "GET", url(f, "/slow"), NULL, NULL, &f->resp, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    /* A server that accepted the request and is slow is not asked again. */
    assert_int_equal(f->resp.attempts, 1);
}

/* The server reads the whole POST over a kept-alive connection and drops the connection without answering: it
 * may have acted on it (made the port), so the POST is not sent again, by libcurl or by the retries here. The
 * caller gets "unavailable" and its doubt handling looks for the object (libnetwork/doubt.h). */
static void test_post_seen_by_server_not_resent(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    test_httpd_answer(f->srv, "GET", "/", 200, "{}");
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .close = true, .times = 1});
    test_httpd_answer(f->srv, "POST", "/", 201, "{\"ok\": true}");
    assert_int_equal(request(f, "GET", "/v3", NULL, NULL, &err), 0);
    assert_int_equal(test_httpd_connection_count(f->srv), 1);
    assert_int_equal(request(f, "POST", "/v2.0/ports", NULL, "{\"port\": {}}", &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    size_t posts = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, "POST")) {
            posts++;
            assert_string_equal(r->body, "{\"port\": {}}"); /* the server had all of it */
        }
    }
    assert_int_equal(posts, 1);
    assert_int_equal(f->resp.attempts, 1);
}

/* Here the server resets the connection while the client is still sending a large body: it never had the
 * whole request, so even a POST is sent again, once (the client's own retry; libcurl reports a send failure). */
static void test_reused_connection_reset_while_sending_retried(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    test_httpd_answer(f->srv, "GET", "/", 200, "{}");
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .reset = true, .times = 1});
    test_httpd_answer(f->srv, "POST", "/", 201, "{}");
    assert_int_equal(request(f, "GET", "/v3", NULL, NULL, &err), 0);
    /* Larger than what loopback socket buffers can absorb, so the reset finds the client mid-send. */
    size_t n = 32u << 20;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    big[n] = '\0';
    int rc = request(f, "POST", "/v2.0/ports", NULL, big, &err);
    free(big);
    assert_int_equal(rc, 0);
    assert_int_equal(f->resp.status, 201);
    assert_int_equal(f->resp.attempts, 2);
    /* the GET's, then one of its own for each POST attempt: a POST never rides a kept-alive connection */
    assert_int_equal(test_httpd_connection_count(f->srv), 3);
}

static void test_reset_of_fresh_connection_not_retried_for_post(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .close = true, .times = 1});
    test_httpd_answer(f->srv, "POST", "/", 201, "{}");
    assert_int_equal(request(f, "POST", "/v2.0/ports", NULL, "{}", &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    /* The server got the POST: sending it again could create a second port. */
    assert_int_equal(test_httpd_request_count(f->srv), 1);
}

typedef struct {
    kuryr_http *http;
    const char *url;
    unsigned long thread_requests;
    double wait_s;
    int failures;
} worker_args;

static void *worker(void *p)
{
    worker_args *a = p;
    kuryr_http_thread_requests_reset();
    for (int i = 0; i < 2; i++) {
        kuryr_http_response resp;
        kuryr_error err;
        if (kuryr_http_request(a->http, "GET", a->url, NULL, NULL, &resp, &err) != 0 || resp.status != 200)
            a->failures++;
        kuryr_http_response_clear(&resp);
    }
    a->thread_requests = kuryr_http_thread_requests();
    a->wait_s = kuryr_http_thread_wait_s();
    return NULL;
}

static void test_counters_per_client_and_thread(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    test_httpd_answer(f->srv, "GET", "/", 200, "{}");
    kuryr_http_thread_requests_reset();
    assert_int_equal(kuryr_http_thread_requests(), 0);
    assert_true(kuryr_http_thread_wait_s() == 0.0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(request(f, "GET", "/x", NULL, NULL, &err), 0);
    assert_int_equal(kuryr_http_total_requests(f->http), 3);
    assert_int_equal(kuryr_http_thread_requests(), 3);
    assert_true(kuryr_http_thread_wait_s() > 0.0);

    worker_args args[2] = {{.http = f->http, .url = url(f, "/y")}, {.http = f->http, .url = url(f, "/y")}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, worker, &args[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(args[i].failures, 0);
        assert_int_equal(args[i].thread_requests, 2);
        assert_true(args[i].wait_s > 0.0);
    }
    assert_int_equal(kuryr_http_total_requests(f->http), 7);
    assert_int_equal(kuryr_http_thread_requests(), 3);
    kuryr_http_thread_requests_reset();
    assert_int_equal(kuryr_http_thread_requests(), 0);
}

/* A client used by a thread that has exited, then freed; then a new client on this thread. */
static void test_client_freed_after_thread_exit(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/", 200, "{}");
    kuryr_http *other = f->extra = kuryr_http_new(&fast);
    worker_args a = {.http = other, .url = url(f, "/z")};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker, &a), 0);
    pthread_join(t, NULL);
    assert_int_equal(a.failures, 0);
    kuryr_http_free(other);
    /* A new client in the same thread must not find a stale handle. */
    f->extra = kuryr_http_new(&fast);
    kuryr_error err;
    assert_int_equal(kuryr_http_request(f->extra, "GET", url(f, "/z"), NULL, NULL, &f->resp, &err), 0);
    assert_int_equal(f->resp.status, 200);
}

typedef struct {
    worker_args work;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool used, client_freed;
} lingering_args;

/* Uses the client, then stays alive until the client is freed, then exits (the leak checker watches). */
static void *use_and_linger(void *p)
{
    lingering_args *a = p;
    worker(&a->work);
    pthread_mutex_lock(&a->lock);
    a->used = true;
    pthread_cond_broadcast(&a->cond);
    while (!a->client_freed)
        pthread_cond_wait(&a->cond, &a->lock);
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

static void test_client_freed_while_thread_alive(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/", 200, "{}");
    lingering_args a = {.work = {.http = f->http, .url = url(f, "/w")}, .lock = PTHREAD_MUTEX_INITIALIZER,
                        .cond = PTHREAD_COND_INITIALIZER};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, use_and_linger, &a), 0);
    pthread_mutex_lock(&a.lock);
    while (!a.used)
        pthread_cond_wait(&a.cond, &a.lock);
    kuryr_http_free(f->http);
    f->http = NULL;
    a.client_freed = true;
    pthread_cond_broadcast(&a.cond);
    pthread_mutex_unlock(&a.lock);
    pthread_join(t, NULL);
    assert_int_equal(a.work.failures, 0);
}

static void test_escape(void **state)
{
    (void)state;
    char *s = kuryr_http_escape("a b/c&d=é");
    assert_string_equal(s, "a%20b%2Fc%26d%3D%C3%A9");
    free(s);
    assert_null(kuryr_http_escape(NULL));
}

static int setup_tls(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    *state = f;
    if (!test_httpd_tls_available())
        return 0;  /* the test skips */
    f->srv = test_httpd_start(true);
    return f->srv ? 0 : -1;
}

/* Verification on by default: fails against a self-signed server, succeeds with its cert as CA or insecure. */
static void test_tls(void **state)
{
    fixture *f = *state;
    if (!f->srv)
        skip();
    test_httpd_answer(f->srv, "GET", "/", 200, "{\"tls\": true}");
    kuryr_error err = {0};

    f->http = kuryr_http_new(&fast);
    assert_int_equal(request(f, "GET", "/v3", NULL, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_INTERNAL);
    assert_non_null(strstr(err.message, "TLS"));
    assert_int_equal(f->resp.attempts, 1);  /* a certificate does not get better by asking again */
    assert_int_equal(test_httpd_request_count(f->srv), 0);
    kuryr_http_free(f->http);

    kuryr_http_opts with_ca = fast;
    with_ca.cafile = test_httpd_cert_file(f->srv);
    f->http = kuryr_http_new(&with_ca);
    assert_int_equal(request(f, "GET", "/v3", NULL, NULL, &err), 0);
    assert_int_equal(f->resp.status, 200);
    assert_string_equal(f->resp.body, "{\"tls\": true}");
    kuryr_http_free(f->http);

    kuryr_http_opts insecure = fast;
    insecure.insecure = true;
    f->http = kuryr_http_new(&insecure);
    assert_int_equal(request(f, "GET", "/v3", NULL, NULL, &err), 0);
    assert_int_equal(f->resp.status, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_retried_on_503_then_succeeds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_give_up_with_last_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_not_retried_on_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused_is_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_total_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_seen_by_server_not_resent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reused_connection_reset_while_sending_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_of_fresh_connection_not_retried_for_post, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_per_client_and_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_freed_after_thread_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_freed_while_thread_alive, setup, teardown),
        cmocka_unit_test(test_escape),
        cmocka_unit_test_setup_teardown(test_tls, setup_tls, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
