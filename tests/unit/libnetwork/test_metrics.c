/* Metrics: dispatch counts requests, latency and errors per endpoint; the exposition is valid Prometheus
 * text; the listener serves /metrics, a /readyz that reports "not ready" when Neutron is unreachable, and a
 * /healthz that answers while Neutron stalls. (The listener itself: tests/unit/lib/test_health.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "plugin.h"
#include "kuryr/port_deletes.h"
#include "router.h"
#include "test_httpd.h"

static int h_ok(kl_plugin *p, json_t *req, json_t **resp, kuryr_error *err)
{
    (void)p, (void)req, (void)err;
    *resp = json_object();
    return 0;
}

static int h_conflict(kl_plugin *p, json_t *req, json_t **resp, kuryr_error *err)
{
    (void)p, (void)req, (void)resp;
    return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL, "in use");
}

static const kl_route_entry table[] = {{"/X.Ok", h_ok}, {"/X.Conflict", h_conflict}, {NULL, NULL}};

static void call(const char *url, const char *body)
{
    kl_reply r;
    kl_dispatch(NULL, table, "POST", url, body, strlen(body), 0, &r);
    kl_reply_clear(&r);
}

static void assert_has(const char *text, const char *line)
{
    if (!text || !strstr(text, line))
        fail_msg("missing \"%s\" in:\n%s", line, text ? text : "(nothing)");
}

static void test_counts(void **state)
{
    (void)state;
    kl_metrics_reset();
    call("/X.Ok", "{}");
    call("/X.Ok", "{}");
    call("/X.Conflict", "{}");
    call("/X.Nope", "{}");
    call("/X.Ok", "{bad");
    kl_metrics_binding_failure();
    kl_metrics_orphans_found(3);
    char *m = kl_metrics_render();
    assert_non_null(m);
    assert_has(m, "kuryr_requests_total{endpoint=\"X.Ok\",result=\"ok\"} 2\n");
    assert_has(m, "kuryr_requests_total{endpoint=\"X.Ok\",result=\"error\"} 1\n");
    assert_has(m, "kuryr_requests_total{endpoint=\"X.Conflict\",result=\"error\"} 1\n");
    assert_has(m, "kuryr_requests_total{endpoint=\"other\",result=\"error\"} 1\n");
    assert_has(m, "kuryr_request_duration_seconds_bucket{endpoint=\"X.Ok\",le=\"+Inf\"} 3\n");
    assert_has(m, "kuryr_request_duration_seconds_count{endpoint=\"X.Ok\"} 3\n");
    assert_has(m, "kuryr_neutron_calls_total{endpoint=\"X.Ok\"} 0\n");
    assert_has(m, "kuryr_errors_total{kind=\"conflict\"} 1\n");
    assert_has(m, "kuryr_errors_total{kind=\"bad_request\"} 1\n");
    assert_has(m, "kuryr_errors_total{kind=\"not_found\"} 1\n");
    assert_has(m, "kuryr_binding_failures_total 1\n");
    assert_has(m, "kuryr_orphans_found_total 3\n");
    assert_has(m, "# TYPE kuryr_request_duration_seconds histogram\n");
    /* every sample line is "name{labels} value" or "name value" */
    for (char *line = strtok(m, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *sp = strrchr(line, ' ');
        assert_non_null(sp);
        char *end = NULL;
        strtod(sp + 1, &end);
        assert_true(end && *end == '\0');
    }
    free(m);
}

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
    char **buf = ud;
    size_t old = *buf ? strlen(*buf) : 0;
    char *nb = realloc(*buf, old + size * n + 1);
    if (!nb)
        return 0;
    memcpy(nb + old, ptr, size * n);
    nb[old + size * n] = '\0';
    *buf = nb;
    return size * n;
}

static long get(const char *url, char **body)
{
    CURL *c = curl_easy_init();
    *body = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    /* a guard, not an assertion: an answer that waits on a stalled Neutron fails the test instead of hanging */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static void test_listener(void **state)
{
    (void)state;
    kl_metrics_reset();
    kuryr_config *cfg = kuryr_config_new();
    char msg[256];
    /* port 9 (discard) on loopback: nothing listens there, so Neutron is unreachable at once */
    assert_int_equal(kuryr_config_set(cfg, "neutron", "auth_type", "none", msg, sizeof(msg)), 0);
    assert_int_equal(kuryr_config_set(cfg, "neutron", "endpoint_override", "http://127.0.0.1:9", msg, sizeof(msg)), 0);
    assert_int_equal(kuryr_config_set(cfg, "neutron", "timeout", "2", msg, sizeof(msg)), 0);
    kl_plugin p;
    kuryr_error err;
    assert_int_equal(kl_plugin_init(&p, cfg, &err), 0);
    kl_metrics_server *s = kl_metrics_start(&p, "127.0.0.1:0", &err);
    assert_non_null(s);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", kl_metrics_port(s));
    call("/X.Ok", "{}");
    char full[96], *body = NULL;
    snprintf(full, sizeof(full), "%s/metrics", url);
    assert_int_equal(get(full, &body), 200);
    assert_non_null(strstr(body, "kuryr_requests_total{endpoint=\"X.Ok\",result=\"ok\"} 1"));
    assert_non_null(strstr(body, "\nkuryr_port_deletes_queued 0\n"));
    free(body);
    /* a released port whose delete cannot reach Neutron stays queued (the stop below waits out the drain) */
    assert_true(kuryr_port_deletes_add(p.releases, "44444444-4444-4444-8444-444444444444",
                                "11111111-1111-4111-8111-111111111111", "10.0.0.5"));
    assert_int_equal(get(full, &body), 200);
    assert_non_null(strstr(body, "\nkuryr_port_deletes_queued 1\n"));
    free(body);
    /* readiness is probed in the background: wait for the first probe's verdict */
    snprintf(full, sizeof(full), "%s/readyz", url);
    char reason[160] = "";
    while (!strstr(reason, "unreachable")) {
        assert_int_equal(get(full, &body), 503);
        char *r = strstr(body, "\"reason\":\"");
        snprintf(reason, sizeof(reason), "%s", r ? r : "");
        free(body);
        if (!strstr(reason, "unreachable"))
            usleep(10000);
    }
    assert_non_null(strstr(reason, "neutron unreachable: unavailable"));
    /* Neutron down is not the daemon dead: liveness stays 200 */
    snprintf(full, sizeof(full), "%s/healthz", url);
    assert_int_equal(get(full, &body), 200);
    assert_non_null(strstr(body, "\"live\":true,\"ready\":false"));
    free(body);
    snprintf(full, sizeof(full), "%s/other", url);
    assert_int_equal(get(full, &body), 404);
    free(body);
    kl_metrics_stop(s);
    kl_plugin_fini(&p);
    kuryr_config_free(cfg);
}

/* Neutron holds the readiness probe's request until the test has its /healthz, /readyz and /metrics answers:
 * had any of them waited on Neutron, it would have got no answer (the server is stopped only afterwards). */
static void test_stalled_neutron(void **state)
{
    (void)state;
    kl_metrics_reset();
    test_httpd *neutron = test_httpd_start(false);
    assert_non_null(neutron);
    test_httpd_add(neutron, &(test_httpd_script){.method = "GET", .path = "/v2.0/networks", .status = 200,
                                                 .body = "{\"networks\": []}", .delay_ms = 600000});
    kuryr_config *cfg = kuryr_config_new();
    char msg[256];
    assert_int_equal(kuryr_config_set(cfg, "neutron", "auth_type", "none", msg, sizeof(msg)), 0);
    assert_int_equal(kuryr_config_set(cfg, "neutron", "endpoint_override", test_httpd_url(neutron), msg,
                                      sizeof(msg)), 0);
    kl_plugin p;
    kuryr_error err;
    assert_int_equal(kl_plugin_init(&p, cfg, &err), 0);
    kl_metrics_server *s = kl_metrics_start(&p, "127.0.0.1:0", &err);
    assert_non_null(s);
    while (test_httpd_request_count(neutron) == 0)
        usleep(10000); /* the background probe's GET has reached Neutron, which holds it */
    char full[96], *body = NULL;
    snprintf(full, sizeof(full), "http://127.0.0.1:%u/healthz", kl_metrics_port(s));
    assert_int_equal(get(full, &body), 200);
    assert_non_null(body);
    assert_non_null(strstr(body, "\"live\":true,\"ready\":false"));
    free(body);
    snprintf(full, sizeof(full), "http://127.0.0.1:%u/readyz", kl_metrics_port(s));
    assert_int_equal(get(full, &body), 503);
    free(body);
    snprintf(full, sizeof(full), "http://127.0.0.1:%u/metrics", kl_metrics_port(s));
    assert_int_equal(get(full, &body), 200);
    assert_non_null(strstr(body, "\nkuryr_ready 0\n"));
    free(body);
    /* only the probe asked Neutron anything */
    assert_int_equal(test_httpd_request_count(neutron), 1);
    test_httpd_stop(neutron); /* lets the held probe go */
    kl_metrics_stop(s);
    kl_plugin_fini(&p);
    kuryr_config_free(cfg);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_listener),
        cmocka_unit_test(test_stalled_neutron),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
