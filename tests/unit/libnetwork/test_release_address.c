/* ReleaseAddress deletes kuryr's port before it answers (so the port is gone when Docker's call returns); with
 * [DEFAULT] background_port_delete, or when Neutron cannot be reached, the delete goes to libkuryr's queue of
 * port deletes instead (kuryr/port_deletes.h, tested on its own in tests/unit/lib/test_port_deletes.c). A
 * scripted Neutron on 127.0.0.1 stands in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "plugin_fixture.h"
#include "kuryr/port_deletes.h"
#include "test_httpd.h"

#define NET "11111111-1111-4111-8111-111111111111"
#define PORT "44444444-4444-4444-8444-444444444444"
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
    return test_httpd_count(f->srv, "DELETE", path);
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
    assert_int_equal(kuryr_port_deletes_pending(f->p.releases), 0);
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
    assert_true(kuryr_port_deletes_wait_ip(f->p.releases, NET, "10.0.0.2", 20));
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
    assert_true(kuryr_port_deletes_wait_ip(f->p.releases, NET, "10.0.0.2", 20));
    assert_int_equal(deletes(f, PORT), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_release_address_deletes_before_answering, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_release_address_unreachable_goes_to_the_queue, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_release_address_in_background, setup_background, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
