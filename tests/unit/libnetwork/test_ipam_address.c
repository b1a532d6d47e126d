/* RequestAddress for an explicit address that an unbound kuryr port already holds: only the endpoint that
 * asked first (same MAC) gets it again; any other request gets a 409 that says "already allocated", so that
 * concurrent `docker run --ip` never hand one address to two containers. Also several threads dispatching at
 * once on one plugin, for ThreadSanitizer (scripts/test tsan). Neutron is scripted on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/config.h"
#include "kuryr/log.h"
#include "plugin.h"
#include "plugin_fixture.h"
#include "router.h"
#include "test_httpd.h"

#define POOL "22222222-2222-4222-8222-222222222222"
#define SUBNET "33333333-3333-4333-8333-333333333333"
#define PORT "44444444-4444-4444-8444-444444444444"
#define SUBNETS                                                                                                \
    "{\"subnets\":[{\"id\":\"" SUBNET "\",\"network_id\":\"11111111-1111-4111-8111-111111111111\","          \
    "\"cidr\":\"10.0.0.0/24\",\"ip_version\":4,\"gateway_ip\":\"10.0.0.1\",\"subnetpool_id\":\"" POOL "\"}]}"
/* the port an earlier RequestAddress made for MAC 02:42:0a:00:00:02; tags as given */
#define HELD_PORT(tags)                                                                                        \
    "{\"ports\":[{\"id\":\"" PORT "\",\"name\":\"kuryr-unbound-port\",\"mac_address\":\"02:42:0a:00:00:02\","   \
    "\"device_id\":\"\",\"device_owner\":\"\",\"tags\":[" tags "],"                                          \
    "\"fixed_ips\":[{\"subnet_id\":\"" SUBNET "\",\"ip_address\":\"10.0.0.2\"}]}]}"

typedef plugin_fixture fixture;

static int setup(void **state)
{
    return pf_setup(state, NULL, 0);
}

static size_t count(fixture *f, const char *method)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++)
        n += strcmp(test_httpd_request_at(f->srv, i)->method, method) == 0;
    return n;
}

static json_t *request(fixture *f, const char *mac, int *status)
{
    char body[256];
    if (mac)
        snprintf(body, sizeof(body), "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.2\",\"Options\":"
                 "{\"com.docker.network.endpoint.macaddress\":\"%s\"}}", mac);
    else
        snprintf(body, sizeof(body), "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.2\",\"Options\":{}}");
    return pf_call(f, "/IpamDriver.RequestAddress", body, status);
}

static void assert_already_allocated(json_t *r, int status)
{
    assert_int_equal(status, 409);
    const char *e = json_string_value(json_object_get(r, "Err"));
    if (!e || !strstr(e, "10.0.0.2 is already allocated") || !strstr(e, PORT))
        fail_msg("unexpected Err: %s", e ? e : "(none)");
}

static void script(fixture *f, const char *ports)
{
    test_httpd_answer(f->srv, "GET", "/v2.0/subnets", 200, SUBNETS);
    test_httpd_answer(f->srv, "GET", "/v2.0/ports", 200, ports);
}

/* Another endpoint (another MAC) asking for the held address: 409, Neutron untouched. */
static void test_other_endpoint_conflicts(void **state)
{
    fixture *f = *state;
    script(f, HELD_PORT("\"compute:kuryr\""));
    int status;
    json_t *r = request(f, "02:42:0a:00:00:99", &status);
    assert_already_allocated(r, status);
    json_decref(r);
    assert_int_equal(count(f, "POST") + count(f, "PUT") + count(f, "DELETE"), 0);
}

/* The same endpoint asking again (a retry; MACs compare without case): the same address, no new port. */
static void test_same_endpoint_retry(void **state)
{
    fixture *f = *state;
    script(f, HELD_PORT("\"compute:kuryr\""));
    int status;
    json_t *r = request(f, "02:42:0A:00:00:02", &status);
    assert_int_equal(status, 200);
    assert_string_equal(json_string_value(json_object_get(r, "Address")), "10.0.0.2/24");
    json_decref(r);
    assert_int_equal(count(f, "POST") + count(f, "PUT") + count(f, "DELETE"), 0);
}

/* Without a MAC a retry cannot be told from a second endpoint: the address is not handed out twice. */
static void test_no_mac_conflicts(void **state)
{
    fixture *f = *state;
    script(f, HELD_PORT("\"compute:kuryr\""));
    int status;
    json_t *r = request(f, NULL, &status);
    assert_already_allocated(r, status);
    json_decref(r);
}

/* A competitor's port seen before its tags arrive (Neutron drops tags from the POST body, kuryr adds them
 * afterwards): its name marks it as kuryr's, so it is neither adopted nor shared. */
static void test_untagged_kuryr_port_is_not_adopted(void **state)
{
    fixture *f = *state;
    script(f, HELD_PORT(""));
    int status;
    json_t *r = request(f, "02:42:0a:00:00:99", &status);
    assert_already_allocated(r, status);
    json_decref(r);
    assert_int_equal(count(f, "PUT"), 0);
}

/* ---- many threads on one plugin ---------------------------------------------------------------------- */

#define THREADS 8
#define ROUNDS 20

static void *hammer(void *arg)
{
    fixture *f = arg;
    static const char *const calls[][2] = {
        {"/Plugin.Activate", ""},
        {"/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.2\",\"Options\":"
                                       "{\"com.docker.network.endpoint.macaddress\":\"02:42:0a:00:00:99\"}}"},
        {"/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.2\",\"Options\":"
                                       "{\"com.docker.network.endpoint.macaddress\":\"02:42:0a:00:00:02\"}}"},
        {"/IpamDriver.ReleasePool", "{\"PoolID\":\"" POOL "\"}"},
        {"/NetworkDriver.GetCapabilities", ""},
        {"/IpamDriver.RequestAddress", "{not json"},
    };
    int *bad = calloc(1, sizeof(int));
    for (int i = 0; i < ROUNDS; i++) {
        for (size_t c = 0; c < sizeof(calls) / sizeof(*calls); c++) {
            kl_reply r;
            kl_dispatch(&f->p, kl_routes, "POST", calls[c][0], calls[c][1], strlen(calls[c][1]), 0, &r);
            if (r.status == 0 || r.status >= 500 || !r.body)
                (*bad)++;
            kl_reply_clear(&r);
        }
    }
    return bad;
}

/* Handlers share the plugin's caches across connection threads: every call is answered, none with a 5xx. */
static void test_threads_share_one_plugin(void **state)
{
    fixture *f = *state;
    script(f, HELD_PORT("\"compute:kuryr\""));
    test_httpd_answer(f->srv, "GET", "/v2.0/subnetpools", 200,
                      "{\"subnetpool\":{\"id\":\"" POOL "\",\"name\":\"other\",\"prefixes\":[\"10.0.0.0/24\"]}}");
    test_httpd_answer(f->srv, "DELETE", "/v2.0/subnetpools", 204, NULL);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, f), 0);
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        bad += *(int *)ret;
        free(ret);
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    kuryr_log_init("test_ipam_address", KURYR_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_other_endpoint_conflicts, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_same_endpoint_retry, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_no_mac_conflicts, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_untagged_kuryr_port_is_not_adopted, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_threads_share_one_plugin, setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
