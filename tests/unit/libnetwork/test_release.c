/* ReleaseAddress deletes kuryr's port before it answers (so the port is gone when Docker's call returns); with
 * [DEFAULT] background_port_delete, or when Neutron cannot be reached, the delete goes to the queue of
 * release.h instead. The queue: retried while Neutron is unreachable, done when Neutron says the port is gone,
 * one delete for both addresses of a port, waited for by whoever needs the address or the network, and
 * finished before the daemon stops. A scripted Neutron on 127.0.0.1 stands in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "plugin_fixture.h"
#include "release.h"
#include "test_httpd.h"

#define NET "11111111-1111-4111-8111-111111111111"
#define PORT "44444444-4444-4444-8444-444444444444"
#define OTHER "55555555-5555-4555-8555-555555555555"
#define POOL "22222222-2222-4222-8222-222222222222"
#define SUBNET "33333333-3333-4333-8333-333333333333"
#define RELEASE_BODY "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.2\"}"

typedef plugin_fixture fixture;

static int setup(void **state)
{
    return pf_setup(state, NULL, 0);
}

static size_t deletes(fixture *f, const char *port)
{
    char path[96];
    snprintf(path, sizeof(path), "/v2.0/ports/%s", port);
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        n += !strcmp(r->method, "DELETE") && !strcmp(r->path, path);
    }
    return n;
}

static void answer_delete(fixture *f, const char *port, int status, unsigned delay_ms, int times)
{
    static char path[2][96];
    static int slot;
    char *p = path[slot++ % 2];
    snprintf(p, sizeof(path[0]), "/v2.0/ports/%s", port);
    test_httpd_add(f->srv, &(test_httpd_script){.method = "DELETE", .path = p, .status = status,
                                                .delay_ms = delay_ms, .times = times});
}

/* The subnet of POOL and the kuryr-made port holding 10.0.0.2 in it, as ReleaseAddress looks them up. */
static void answer_release_lookups(fixture *f)
{
    test_httpd_answer(f->srv, "GET", "/v2.0/subnets?subnetpool_id", 200,
                      "{\"subnets\": [{\"id\": \"" SUBNET "\", \"network_id\": \"" NET "\", \"cidr\": \"10.0.0.0/24\", "
                      "\"gateway_ip\": \"10.0.0.1\", \"ip_version\": 4, \"subnetpool_id\": \"" POOL "\"}]}");
    test_httpd_answer(f->srv, "GET", "/v2.0/ports?fixed_ips", 200,
                      "{\"ports\": [{\"id\": \"" PORT "\", \"network_id\": \"" NET "\", \"device_owner\": \"\", "
                      "\"device_id\": \"\", \"fixed_ips\": [{\"subnet_id\": \"" SUBNET "\", \"ip_address\": "
                      "\"10.0.0.2\"}], \"tags\": [\"compute:kuryr\"]}]}");
}

static int release_address(fixture *f)
{
    int status;
    json_decref(pf_call(f, "/IpamDriver.ReleaseAddress", RELEASE_BODY, &status));
    return status;
}

/* The default: the delete is done (not queued) when Docker gets its answer; a refusal reaches Docker. */
static void test_release_address_deletes_before_answering(void **state)
{
    fixture *f = *state;
    answer_release_lookups(f);
    answer_delete(f, PORT, 409, 0, 1);
    answer_delete(f, PORT, 204, 0, 0);
    assert_int_not_equal(release_address(f), 200); /* Neutron refused: Docker is told */
    assert_int_equal(deletes(f, PORT), 1);
    assert_int_equal(release_address(f), 200);
    assert_int_equal(deletes(f, PORT), 2); /* sent before the answer */
    assert_int_equal(kl_releases_pending(f->p.releases), 0);
}

/* Neutron unreachable: Docker is answered and the queue retries the delete until Neutron is back. */
static void test_release_address_unreachable_goes_to_the_queue(void **state)
{
    fixture *f = *state;
    answer_release_lookups(f);
    answer_delete(f, PORT, 503, 0, 4); /* every attempt of the HTTP client's retries */
    answer_delete(f, PORT, 204, 0, 0);
    assert_int_equal(release_address(f), 200);
    /* No count is read between the answer and the wait: the queue may send its attempt at once, so only the
     * total says what happened (four inline attempts, then the queue's). */
    assert_true(kl_releases_wait_ip(f->p.releases, NET, "10.0.0.2", 20));
    assert_int_equal(deletes(f, PORT), 5);
}

static int setup_background(void **state)
{
    pf_setting s[] = {{"DEFAULT", "background_port_delete", "True"}};
    return pf_setup(state, s, 1);
}

/* background_port_delete: answered once queued, so even a delete Neutron refuses is Docker's success. */
static void test_release_address_in_background(void **state)
{
    fixture *f = *state;
    answer_release_lookups(f);
    answer_delete(f, PORT, 409, 200, 0);
    assert_int_equal(release_address(f), 200);
    assert_true(kl_releases_wait_ip(f->p.releases, NET, "10.0.0.2", 20));
    assert_int_equal(deletes(f, PORT), 1);
}

static void test_deleted_once_for_both_families(void **state)
{
    fixture *f = *state;
    answer_delete(f, PORT, 204, 300, 0);
    assert_true(kl_releases_add(f->p.releases, PORT, NET, "10.0.0.5"));
    assert_true(kl_releases_add(f->p.releases, PORT, NET, "fd00::5"));
    assert_true(kl_releases_pending_port(f->p.releases, PORT));
    assert_true(kl_releases_wait_ip(f->p.releases, NET, "fd00::5", 10));
    assert_false(kl_releases_pending_port(f->p.releases, PORT));
    assert_int_equal(deletes(f, PORT), 1);
}

static void test_address_waits_for_its_port_only(void **state)
{
    fixture *f = *state;
    answer_delete(f, PORT, 204, 5000, 0);
    assert_true(kl_releases_add(f->p.releases, PORT, NET, "10.0.0.5"));
    /* another address, or the same address in another network, does not wait for the slow delete */
    assert_true(kl_releases_wait_ip(f->p.releases, NET, "10.0.0.6", 10));
    assert_true(kl_releases_wait_ip(f->p.releases, "66666666-6666-4666-8666-666666666666", "10.0.0.5", 10));
    assert_true(kl_releases_pending_port(f->p.releases, PORT));
    assert_true(kl_releases_wait_ip(f->p.releases, NET, "10.0.0.5", 10));
    assert_int_equal(deletes(f, PORT), 1); /* it returned once Neutron had answered the delete */
}

static void test_network_wait_gives_up_after_timeout(void **state)
{
    fixture *f = *state;
    answer_delete(f, PORT, 204, 3000, 0);
    assert_true(kl_releases_add(f->p.releases, PORT, NET, "10.0.0.5"));
    assert_false(kl_releases_wait_net(f->p.releases, NET, 1));
    assert_true(kl_releases_wait_net(f->p.releases, NET, 10));
    assert_int_equal(kl_releases_pending(f->p.releases), 0);
}

static void test_unreachable_neutron_is_retried(void **state)
{
    fixture *f = *state;
    /* the HTTP client's own retries (4 attempts) all meet the outage; the queue tries again later */
    answer_delete(f, PORT, 503, 0, 4);
    answer_delete(f, PORT, 204, 0, 0);
    assert_true(kl_releases_add(f->p.releases, PORT, NET, "10.0.0.5"));
    assert_true(kl_releases_wait_ip(f->p.releases, NET, "10.0.0.5", 20));
    assert_int_equal(deletes(f, PORT), 5);
}

static void test_gone_or_refused_ends_the_delete(void **state)
{
    fixture *f = *state;
    answer_delete(f, PORT, 404, 0, 0);
    answer_delete(f, OTHER, 409, 0, 0);
    assert_true(kl_releases_add(f->p.releases, PORT, NET, "10.0.0.5"));
    assert_true(kl_releases_add(f->p.releases, OTHER, NET, "10.0.0.6"));
    /* a refusal is not retried: the reconciliation decides about that port later */
    assert_true(kl_releases_wait_net(f->p.releases, NET, 10));
    assert_int_equal(deletes(f, PORT), 1);
    assert_int_equal(deletes(f, OTHER), 1);
}

static void test_stop_finishes_queued_deletes(void **state)
{
    fixture *f = *state;
    answer_delete(f, PORT, 204, 500, 0);
    answer_delete(f, OTHER, 204, 500, 0);
    kl_releases *r = kl_releases_new(f->p.kn);
    assert_non_null(r);
    assert_true(kl_releases_add(r, PORT, NET, "10.0.0.5"));
    assert_true(kl_releases_add(r, OTHER, NET, "10.0.0.6"));
    kl_releases_free(r, 10);
    assert_int_equal(deletes(f, PORT), 1);
    assert_int_equal(deletes(f, OTHER), 1);
}

static void test_stop_does_not_wait_for_an_unreachable_neutron(void **state)
{
    fixture *f = *state;
    answer_delete(f, PORT, 503, 0, 0);
    kl_releases *r = kl_releases_new(f->p.kn);
    assert_non_null(r);
    assert_true(kl_releases_add(r, PORT, NET, "10.0.0.5"));
    kl_releases_free(r, 1); /* returns, logging the port as left for the reconciliation */
    assert_true(deletes(f, PORT) >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_release_address_deletes_before_answering, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_release_address_unreachable_goes_to_the_queue, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_release_address_in_background, setup_background, pf_teardown),
        cmocka_unit_test_setup_teardown(test_deleted_once_for_both_families, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_address_waits_for_its_port_only, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_network_wait_gives_up_after_timeout, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_neutron_is_retried, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_gone_or_refused_ends_the_delete, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_stop_finishes_queued_deletes, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_stop_does_not_wait_for_an_unreachable_neutron, setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
