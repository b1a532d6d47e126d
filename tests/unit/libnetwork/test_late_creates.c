/* A port create that gets no answer in time (Neutron paused or overloaded): Docker gets a 503 naming Neutron,
 * and when Neutron later makes the port after all, the daemon finds it by the marker in its description and
 * deletes it, unless a retry took it over (RequestAddress and CreateNetwork with libkuryr's doubt list,
 * kuryr/doubt.h, itself tested in tests/unit/lib/test_doubt.c). A scripted Neutron on 127.0.0.1 (auth_type
 * none) stands in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kuryr/config.h"
#include "kuryr/doubt.h"
#include "plugin.h"
#include "plugin_fixture.h"
#include "test_httpd.h"

#define POOL "22222222-2222-4222-8222-222222222222"
#define PORT "44444444-4444-4444-8444-444444444444"
#define REQUEST_ADDRESS "{\"PoolID\":\"" POOL "\",\"Address\":\"\",\"Options\":{}}"
#define SUBNETS "{\"subnets\": [{\"id\": \"33333333-3333-4333-8333-333333333333\", \"network_id\": " \
    "\"11111111-1111-4111-8111-111111111111\", \"cidr\": \"10.0.0.0/24\", \"gateway_ip\": \"10.0.0.1\", " \
    "\"ip_version\": 4, \"subnetpool_id\": \"" POOL "\"}]}"

typedef plugin_fixture fixture;

static int setup(void **state)
{
    const pf_setting s[] = {{"neutron", "timeout", "1"}};
    if (pf_setup(state, s, sizeof(s) / sizeof(*s)) < 0)
        return -1;
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/subnets?subnetpool_id", 200, SUBNETS);
    /* the create that Neutron carries out only after the client gave up (timeout 1 s) */
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .path = "/v2.0/ports", .status = 201,
                                                .body = "{}", .delay_ms = 4000, .times = 1});
    return 0;
}

static const test_httpd_request *find_request(fixture *f, const char *method, const char *prefix)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && !strncmp(r->path, prefix, strlen(prefix)))
            return r;
    }
    return NULL;
}

/* Polls for a request; the bound only keeps a broken build from hanging the suite. */
static const test_httpd_request *await_request(fixture *f, const char *method, const char *prefix)
{
    const test_httpd_request *r;
    for (int i = 0; i < 600 && !(r = find_request(f, method, prefix)); i++)
        usleep(50 * 1000);
    return find_request(f, method, prefix);
}

/* The marker the timed-out POST carried. */
static char *posted_marker(fixture *f)
{
    const test_httpd_request *post = await_request(f, "POST", "/v2.0/ports");
    assert_non_null(post);
    json_t *body = json_loads(post->body, 0, NULL);
    const char *desc = json_string_value(json_object_get(json_object_get(body, "port"), "description"));
    assert_non_null(desc);
    assert_true(kuryr_doubt_is_marker(desc));
    char *copy = strdup(desc);
    json_decref(body);
    return copy;
}

static void fail_request_address(fixture *f)
{
    int status;
    json_t *r = pf_call(f, "/IpamDriver.RequestAddress", REQUEST_ADDRESS, &status);
    assert_int_equal(status, 503);
    const char *e = json_string_value(json_object_get(r, "Err"));
    assert_non_null(e);
    assert_non_null(strstr(e, "Neutron unreachable"));
    json_decref(r);
    assert_int_equal(kuryr_doubts_pending(f->p.doubts), 1);
}

static void test_late_port_is_deleted(void **state)
{
    fixture *f = *state;
    char listed[1024];
    snprintf(listed, sizeof(listed), "{\"ports\": [{\"id\": \"%s\", \"name\": \"kuryr-unbound-port\", "
             "\"network_id\": \"11111111-1111-4111-8111-111111111111\", \"device_id\": \"\", \"tags\": [], "
             "\"fixed_ips\": [{\"subnet_id\": \"33333333-3333-4333-8333-333333333333\", "
             "\"ip_address\": \"10.0.0.9\"}]}]}", PORT);
    test_httpd_answer(f->srv, "GET", "/v2.0/ports?description=", 200, listed);
    test_httpd_answer(f->srv, "DELETE", "/v2.0/ports/" PORT, 204, NULL);
    fail_request_address(f);
    char *marker = posted_marker(f);
    const test_httpd_request *del = await_request(f, "DELETE", "/v2.0/ports/" PORT);
    assert_non_null(del);
    const test_httpd_request *get = find_request(f, "GET", "/v2.0/ports?description=");
    assert_non_null(get);
    assert_non_null(strstr(get->path, marker));
    free(marker);
}

static void test_port_in_use_is_kept(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/ports?description=", 200,
                      "{\"ports\": [{\"id\": \"" PORT "\", \"name\": \"kuryr-unbound-port\", \"device_id\": "
                      "\"abc\", \"tags\": [\"compute:kuryr\"], \"fixed_ips\": []}]}");
    test_httpd_answer(f->srv, "DELETE", "/v2.0/ports/" PORT, 204, NULL);
    fail_request_address(f);
    assert_non_null(await_request(f, "GET", "/v2.0/ports?description="));
    kuryr_doubts_sweep(f->p.doubts);
    assert_null(find_request(f, "DELETE", "/v2.0/ports/"));
}

/* A retry that found the late port by its address took it over: the watch must not delete it. Until the
 * marker is forgotten the look-up gets no scripted answer (Neutron "not answering"), so the watch thread
 * deletes nothing; then Neutron lists the late port as deletable (unbound, untagged) and a sweep runs. */
static void test_forgotten_marker_is_not_swept(void **state)
{
    fixture *f = *state;
    fail_request_address(f);
    char *marker = posted_marker(f);
    kuryr_doubts_forget(f->p.doubts, marker);
    test_httpd_answer(f->srv, "GET", "/v2.0/ports?description=", 200,
                      "{\"ports\": [{\"id\": \"" PORT "\", \"name\": \"kuryr-unbound-port\", \"device_id\": \"\", "
                      "\"tags\": [], \"fixed_ips\": []}]}");
    test_httpd_answer(f->srv, "DELETE", "/v2.0/ports/" PORT, 204, NULL);
    kuryr_doubts_sweep(f->p.doubts);
    assert_null(find_request(f, "DELETE", "/v2.0/ports/"));
    assert_int_equal(kuryr_doubts_pending(f->p.doubts), 0);
    kuryr_doubts_forget(f->p.doubts, "not-a-marker");
    free(marker);
}

/* CreateNetwork's POST gets no answer in time; Neutron makes the network later. The network carries the
 * marker, Docker gets a 503, and the watch deletes the untagged network (one with subnets would stay). */
static void test_late_network_is_deleted(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/extensions", 200,
                      "{\"extensions\": [{\"alias\": \"standard-attr-tag\"}]}");
    test_httpd_answer(f->srv, "GET", "/v2.0/networks?description=", 200,
                      "{\"networks\": [{\"id\": \"n-late\", \"name\": \"kuryr-net-0123abcd\", \"tags\": [], "
                      "\"subnets\": []}, {\"id\": \"n-used\", \"tags\": [], \"subnets\": [\"s1\"]}]}");
    test_httpd_answer(f->srv, "GET", "/v2.0/networks", 200, "{\"networks\": []}");
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .path = "/v2.0/networks", .status = 201,
                                                .body = "{}", .delay_ms = 4000, .times = 1});
    test_httpd_answer(f->srv, "DELETE", "/v2.0/networks/n-late", 204, NULL);
    int status;
    json_t *r = pf_call(f, "/NetworkDriver.CreateNetwork",
                        "{\"NetworkID\":\"0123abcd0123abcd0123abcd0123abcd89ef89ef89ef89ef89ef89ef89ef89ef\","
                        "\"IPv4Data\":[]}", &status);
    assert_int_equal(status, 503);
    json_decref(r);
    assert_int_equal(kuryr_doubts_pending(f->p.doubts), 1);
    const test_httpd_request *post = await_request(f, "POST", "/v2.0/networks");
    assert_non_null(post);
    json_t *body = json_loads(post->body, 0, NULL);
    const char *desc = json_string_value(json_object_get(json_object_get(body, "network"), "description"));
    assert_true(kuryr_doubt_is_marker(desc));
    assert_non_null(await_request(f, "DELETE", "/v2.0/networks/n-late"));
    const test_httpd_request *get = find_request(f, "GET", "/v2.0/networks?description=");
    assert_non_null(strstr(get->path, desc));
    json_decref(body);
    assert_null(find_request(f, "DELETE", "/v2.0/networks/n-used"));
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_late_port_is_deleted, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_port_in_use_is_kept, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_forgotten_marker_is_not_swept, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_late_network_is_deleted, setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
