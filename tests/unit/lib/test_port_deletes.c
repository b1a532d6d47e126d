/* The queue of port deletes that must survive failures (kuryr/port_deletes.h): retried while Neutron is
 * unreachable, done when Neutron says the port is gone or refuses, one delete for both addresses of a port,
 * waited for by whoever needs the address or the network, and finished before the daemon stops (drained, for a
 * bounded time). ReleaseAddress's use of it is tested in tests/unit/libnetwork/test_release_address.c. A
 * scripted Neutron on 127.0.0.1 stands in (the client does no retries of its own: every attempt is the
 * queue's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kuryr/port_deletes.h"
#include "neutron_fixture.h"

#define NET "11111111-1111-4111-8111-111111111111"
#define PORT "44444444-4444-4444-8444-444444444444"
#define OTHER "55555555-5555-4555-8555-555555555555"

typedef struct {
    neutron_fixture *nf;
    test_httpd *srv;
    kuryr_port_deletes *queue;
} fixture;

static int setup(void **state)
{
    void *nf = NULL;
    int rc = neutron_fixture_setup(&nf);
    fixture *f = calloc(1, sizeof(*f));
    *state = f;
    if (!f || rc < 0)
        return -1;
    f->nf = nf;
    f->srv = f->nf->srv;
    f->queue = kuryr_port_deletes_new(f->nf->kn);
    return f->queue ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    kuryr_port_deletes_free(f->queue, 0);
    void *nf = f->nf;
    neutron_fixture_teardown(&nf);
    free(f);
    return 0;
}

static size_t deletes(fixture *f, const char *port)
{
    char path[96];
    snprintf(path, sizeof(path), "/v2.0/ports/%s", port);
    return test_httpd_count(f->srv, "DELETE", path);
}

/* Neutron's answers to DELETE /v2.0/ports/<id> (the path must outlive the server: a literal). */
static void answer_delete(fixture *f, const char *path, int status, unsigned delay_ms, int times)
{
    test_httpd_add(f->srv, &(test_httpd_script){.method = "DELETE", .path = path, .status = status,
                                                .delay_ms = delay_ms, .times = times});
}

static void test_deleted_once_for_both_families(void **state)
{
    fixture *f = *state;
    answer_delete(f, "/v2.0/ports/" PORT, 204, 300, 0);
    assert_true(kuryr_port_deletes_add(f->queue, PORT, NET, "10.0.0.5"));
    assert_true(kuryr_port_deletes_add(f->queue, PORT, NET, "fd00::5"));
    assert_true(kuryr_port_deletes_pending_port(f->queue, PORT));
    assert_true(kuryr_port_deletes_wait_ip(f->queue, NET, "fd00::5", 10));
    assert_false(kuryr_port_deletes_pending_port(f->queue, PORT));
    assert_int_equal(deletes(f, PORT), 1);
}

static void test_address_waits_for_its_port_only(void **state)
{
    fixture *f = *state;
    answer_delete(f, "/v2.0/ports/" PORT, 204, 5000, 0);
    assert_true(kuryr_port_deletes_add(f->queue, PORT, NET, "10.0.0.5"));
    /* another address, or the same address in another network, does not wait for the slow delete */
    assert_true(kuryr_port_deletes_wait_ip(f->queue, NET, "10.0.0.6", 10));
    assert_true(kuryr_port_deletes_wait_ip(f->queue, "66666666-6666-4666-8666-666666666666", "10.0.0.5", 10));
    assert_true(kuryr_port_deletes_pending_port(f->queue, PORT));
    assert_true(kuryr_port_deletes_wait_ip(f->queue, NET, "10.0.0.5", 10));
    assert_int_equal(deletes(f, PORT), 1); /* it returned once Neutron had answered the delete */
}

static void test_network_wait_gives_up_after_timeout(void **state)
{
    fixture *f = *state;
    answer_delete(f, "/v2.0/ports/" PORT, 204, 3000, 0);
    assert_true(kuryr_port_deletes_add(f->queue, PORT, NET, "10.0.0.5"));
    assert_false(kuryr_port_deletes_wait_net(f->queue, NET, 1));
    assert_true(kuryr_port_deletes_wait_net(f->queue, NET, 10));
    assert_int_equal(kuryr_port_deletes_pending(f->queue), 0);
}

static void test_unreachable_neutron_is_retried(void **state)
{
    fixture *f = *state;
    /* two attempts meet the outage; the queue tries again after its backoff (about 2, then 4 s) */
    answer_delete(f, "/v2.0/ports/" PORT, 503, 0, 2);
    answer_delete(f, "/v2.0/ports/" PORT, 204, 0, 0);
    assert_true(kuryr_port_deletes_add(f->queue, PORT, NET, "10.0.0.5"));
    assert_true(kuryr_port_deletes_wait_ip(f->queue, NET, "10.0.0.5", 20));
    assert_int_equal(deletes(f, PORT), 3);
}

static void test_gone_or_refused_ends_the_delete(void **state)
{
    fixture *f = *state;
    answer_delete(f, "/v2.0/ports/" PORT, 404, 0, 0);
    answer_delete(f, "/v2.0/ports/" OTHER, 409, 0, 0);
    assert_true(kuryr_port_deletes_add(f->queue, PORT, NET, "10.0.0.5"));
    assert_true(kuryr_port_deletes_add(f->queue, OTHER, NET, "10.0.0.6"));
    /* a refusal is not retried: the reconciliation decides about that port later */
    assert_true(kuryr_port_deletes_wait_net(f->queue, NET, 10));
    assert_int_equal(deletes(f, PORT), 1);
    assert_int_equal(deletes(f, OTHER), 1);
}

static void test_stop_finishes_queued_deletes(void **state)
{
    fixture *f = *state;
    answer_delete(f, "/v2.0/ports/" PORT, 204, 500, 0);
    answer_delete(f, "/v2.0/ports/" OTHER, 204, 500, 0);
    kuryr_port_deletes *r = kuryr_port_deletes_new(f->nf->kn);
    assert_non_null(r);
    assert_true(kuryr_port_deletes_add(r, PORT, NET, "10.0.0.5"));
    assert_true(kuryr_port_deletes_add(r, OTHER, NET, "10.0.0.6"));
    kuryr_port_deletes_free(r, 10);
    assert_int_equal(deletes(f, PORT), 1);
    assert_int_equal(deletes(f, OTHER), 1);
}

static void test_stop_does_not_wait_for_an_unreachable_neutron(void **state)
{
    fixture *f = *state;
    answer_delete(f, "/v2.0/ports/" PORT, 503, 0, 0);
    kuryr_port_deletes *r = kuryr_port_deletes_new(f->nf->kn);
    assert_non_null(r);
    assert_true(kuryr_port_deletes_add(r, PORT, NET, "10.0.0.5"));
    kuryr_port_deletes_free(r, 1); /* returns, logging the port as left for the reconciliation */
    assert_true(deletes(f, PORT) >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deleted_once_for_both_families, setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_waits_for_its_port_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_network_wait_gives_up_after_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_neutron_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_or_refused_ends_the_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_finishes_queued_deletes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_does_not_wait_for_an_unreachable_neutron, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
