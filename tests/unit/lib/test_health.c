/* lib/health.c: the liveness / readiness / metrics listener. The probe below blocks until the test lets it
 * go, so every answer checked while it blocks proves that serving never waits on the probe. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/health.h"
#include "kuryr/http.h"

/* A probe the test drives: it reports each entry, then blocks until released with the answer to give. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int entered;   /* probes started */
    int released;  /* probes allowed to finish */
    bool answer;
} scripted_probe;

static bool probe_fn(void *ud, char *reason, size_t len)
{
    scripted_probe *p = ud;
    pthread_mutex_lock(&p->lock);
    int me = ++p->entered;
    pthread_cond_broadcast(&p->cond);
    while (p->released < me)
        pthread_cond_wait(&p->cond, &p->lock);
    bool answer = p->answer;
    pthread_mutex_unlock(&p->lock);
    snprintf(reason, len, answer ? "remote \"service\" up" : "remote service down");
    return answer;
}

static void wait_entered(scripted_probe *p, int n)
{
    pthread_mutex_lock(&p->lock);
    while (p->entered < n)
        pthread_cond_wait(&p->cond, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

static void release(scripted_probe *p, bool answer)
{
    pthread_mutex_lock(&p->lock);
    p->answer = answer;
    p->released++;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static bool live_fn(void *ud, char *reason, size_t len)
{
    snprintf(reason, len, "worker stuck");
    return *(bool *)ud;
}

static int metrics_fn(void *ud, FILE *out)
{
    fprintf(out, "# TYPE test_things gauge\ntest_things %d\n", *(int *)ud);
    return 0;
}

static int failing_metrics_fn(void *ud, FILE *out)
{
    (void)ud, (void)out;
    return -1;
}

typedef struct {
    scripted_probe probe;
    kuryr_health *h;
    kuryr_http *http;
    kuryr_http_response resp;
    bool live;
    int things;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    pthread_mutex_init(&f->probe.lock, NULL);
    pthread_cond_init(&f->probe.cond, NULL);
    f->live = true;
    f->things = 7;
    /* a guard, not an assertion: a broken listener fails the test instead of hanging it */
    kuryr_http_opts o = {.timeout_ms = 20000, .max_retries = -1};
    f->http = kuryr_http_new(&o);
    *state = f;
    return f->http ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pthread_mutex_lock(&f->probe.lock);
    f->probe.released = 1 << 30; /* whatever probe still blocks, so that the free below can join it */
    pthread_cond_broadcast(&f->probe.cond);
    pthread_mutex_unlock(&f->probe.lock);
    kuryr_health_free(f->h);
    kuryr_http_response_clear(&f->resp);
    kuryr_http_free(f->http);
    pthread_cond_destroy(&f->probe.cond);
    pthread_mutex_destroy(&f->probe.lock);
    free(f);
    return 0;
}

static void start(fixture *f, bool with_probe, bool with_live)
{
    kuryr_health_opts o = {.listen = "127.0.0.1:0", .probe_interval_s = 3600};
    if (with_probe) {
        o.probe = probe_fn;
        o.probe_ud = &f->probe;
    }
    if (with_live) {
        o.live = live_fn;
        o.live_ud = &f->live;
    }
    kuryr_error err;
    f->h = kuryr_health_new(&o, &err);
    assert_non_null(f->h);
    assert_int_equal(kuryr_health_add_metrics(f->h, metrics_fn, &f->things, &err), 0);
    assert_int_equal(kuryr_health_start(f->h, &err), 0);
    assert_true(kuryr_health_port(f->h) > 0);
}

static long get_method(fixture *f, const char *method, const char *path)
{
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", kuryr_health_port(f->h), path);
    kuryr_http_response_clear(&f->resp);
    kuryr_error err;
    if (kuryr_http_request(f->http, method, url, NULL, NULL, &f->resp, &err) < 0)
        fail_msg("%s %s got no answer: %s", method, path, err.message);
    return f->resp.status;
}

static long get(fixture *f, const char *path)
{
    return get_method(f, "GET", path);
}

static void assert_body_has(fixture *f, const char *text)
{
    if (!f->resp.body || !strstr(f->resp.body, text))
        fail_msg("missing \"%s\" in:\n%s", text, f->resp.body ? f->resp.body : "(nothing)");
}

static void test_answers_while_probe_blocks(void **state)
{
    fixture *f = *state;
    start(f, true, false);
    wait_entered(&f->probe, 1); /* the first probe now blocks until released below */
    assert_int_equal(get(f, "/healthz"), 200);
    assert_body_has(f, "{\"live\":true,\"ready\":false,\"reason\":\"not probed yet\"}");
    assert_int_equal(get(f, "/livez"), 200);
    assert_int_equal(get(f, "/alive"), 200);
    assert_int_equal(get(f, "/readyz"), 503);
    assert_int_equal(get(f, "/ready"), 503);
    assert_int_equal(get(f, "/metrics"), 200);
    assert_body_has(f, "test_things 7\n");
    assert_body_has(f, "\nkuryr_ready 0\n");
    assert_non_null(strstr(f->resp.content_type, "text/plain"));

    release(&f->probe, true);
    kuryr_health_probe_now(f->h);
    wait_entered(&f->probe, 2); /* the second probe started: the first one's result is stored */
    assert_int_equal(get(f, "/readyz"), 200);
    /* the reason is JSON-escaped */
    assert_body_has(f, "{\"live\":true,\"ready\":true,\"reason\":\"remote \\\"service\\\" up\"}");
    assert_int_equal(get(f, "/metrics"), 200);
    assert_body_has(f, "\nkuryr_ready 1\n");
    char reason[64];
    assert_true(kuryr_health_ready(f->h, reason, sizeof(reason)));

    release(&f->probe, false);
    kuryr_health_probe_now(f->h);
    wait_entered(&f->probe, 3);
    assert_int_equal(get(f, "/readyz"), 503);
    assert_body_has(f, "\"ready\":false,\"reason\":\"remote service down\"");
    /* not ready is not dead: a liveness probe must not restart the daemon for a remote outage */
    assert_int_equal(get(f, "/healthz"), 200);
    assert_body_has(f, "\"live\":true,\"ready\":false");
}

static void test_live_callback(void **state)
{
    fixture *f = *state;
    start(f, false, true);
    assert_int_equal(get(f, "/healthz"), 200);
    assert_int_equal(get(f, "/readyz"), 200); /* no probe: ready whenever live */
    f->live = false;
    assert_int_equal(get(f, "/healthz"), 503);
    assert_body_has(f, "{\"live\":false,\"ready\":false,\"reason\":\"worker stuck\"}");
    assert_int_equal(get(f, "/readyz"), 503);
}

static void test_other_requests(void **state)
{
    fixture *f = *state;
    start(f, false, false);
    assert_int_equal(get(f, "/nope"), 404);
    assert_int_equal(get(f, "/healthz/x"), 404);
    assert_int_equal(get_method(f, "POST", "/healthz"), 405);
    assert_int_equal(get_method(f, "HEAD", "/healthz"), 200);
    kuryr_error err;
    assert_int_equal(kuryr_health_add_metrics(f->h, metrics_fn, &f->things, &err), -1); /* after the start */
}

static void test_failing_metrics(void **state)
{
    fixture *f = *state;
    kuryr_health_opts o = {.listen = "[::1]:0"};
    kuryr_error err;
    f->h = kuryr_health_new(&o, &err);
    assert_non_null(f->h);
    assert_int_equal(kuryr_health_add_metrics(f->h, failing_metrics_fn, NULL, &err), 0);
    if (kuryr_health_start(f->h, &err) < 0)
        skip(); /* no IPv6 loopback here */
    char url[96];
    snprintf(url, sizeof(url), "http://[::1]:%u/metrics", kuryr_health_port(f->h));
    assert_int_equal(kuryr_http_request(f->http, "GET", url, NULL, NULL, &f->resp, &err), 0);
    assert_int_equal(f->resp.status, 500);
}

static void test_parse_listen(void **state)
{
    (void)state;
    char host[64], port[8];
    kuryr_error err;
    assert_int_equal(kuryr_health_parse_listen("127.0.0.1:23751", host, sizeof(host), port, sizeof(port), &err), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_string_equal(port, "23751");
    assert_int_equal(kuryr_health_parse_listen("[::1]:9", host, sizeof(host), port, sizeof(port), &err), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(kuryr_health_parse_listen("localhost:80", host, sizeof(host), port, sizeof(port), &err), 0);
    assert_int_equal(kuryr_health_parse_listen("127.0.0.1:0", host, sizeof(host), port, sizeof(port), &err), 0);
    assert_int_equal(kuryr_health_parse_listen("0.0.0.0:23751", host, sizeof(host), port, sizeof(port), &err), -1);
    assert_non_null(strstr(err.message, "loopback"));
    assert_int_equal(kuryr_health_parse_listen("10.0.0.1:1", host, sizeof(host), port, sizeof(port), &err), -1);
    assert_int_equal(kuryr_health_parse_listen("127.0.0.1", host, sizeof(host), port, sizeof(port), &err), -1);
    assert_int_equal(kuryr_health_parse_listen("127.0.0.1:x", host, sizeof(host), port, sizeof(port), &err), -1);
    assert_int_equal(kuryr_health_parse_listen("127.0.0.1:65536", host, sizeof(host), port, sizeof(port), &err),
                     -1);
    assert_int_equal(kuryr_health_parse_listen("[::1]9", host, sizeof(host), port, sizeof(port), &err), -1);
    assert_int_equal(kuryr_health_parse_listen("", host, sizeof(host), port, sizeof(port), &err), -1);
    kuryr_health_opts o = {.listen = "0.0.0.0:1"};
    assert_null(kuryr_health_new(&o, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answers_while_probe_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failing_metrics, setup, teardown),
        cmocka_unit_test(test_parse_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
