/* The doubt list (kuryr/doubt.h): the shape of a create marker and whom it names; a sweep that deletes the
 * unbound, untagged late port carrying a doubted marker, keeps one in use, and forgets a marker after the
 * grace period that follows Neutron's first answer. kuryr-libnetwork's use (RequestAddress and CreateNetwork
 * that time out) is tested in tests/unit/libnetwork/test_late_creates.c. A scripted Neutron on 127.0.0.1
 * stands in; sweeps are run by the test (kuryr_doubts_sweep), the background one a second after each doubt
 * finds the same answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kuryr/doubt.h"
#include "neutron_fixture.h"

#define LATE "44444444-4444-4444-8444-444444444444"
#define USED "55555555-5555-4555-8555-555555555555"

static void test_marker_shape(void **state)
{
    (void)state;
    char a[KURYR_DOUBT_MARKER_LEN], b[KURYR_DOUBT_MARKER_LEN];
    kuryr_doubt_marker(a, sizeof(a), "hostA");
    kuryr_doubt_marker(b, sizeof(b), "hostA");
    assert_true(kuryr_doubt_is_marker(a));
    assert_string_not_equal(a, b);
    /* the marker names its host: a late create found after a restart is still provably this host's */
    assert_true(kuryr_doubt_marker_of(a, "hostA"));
    assert_false(kuryr_doubt_marker_of(a, "hostB"));
    assert_false(kuryr_doubt_marker_of(a, "host"));
    assert_false(kuryr_doubt_marker_of("kuryr-create-00112233445566778899aabbccddeeff", "hostA"));
    assert_false(kuryr_doubt_is_marker("kuryr-unbound-port"));
    assert_false(kuryr_doubt_is_marker(NULL));
}


/* Neutron lists a late port (unbound, untagged) and one a retry adopted (tagged, bound) under the marker. */
static void test_sweep_deletes_the_late_port_only(void **state)
{
    neutron_fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/ports?description=", 200,
                      "{\"ports\": [{\"id\": \"" LATE "\", \"device_id\": \"\", \"tags\": [], \"fixed_ips\": []}, "
                      "{\"id\": \"" USED "\", \"device_id\": \"ep\", \"tags\": [\"compute:kuryr\"], "
                      "\"fixed_ips\": []}]}");
    test_httpd_answer(f->srv, "DELETE", "/v2.0/ports/", 204, NULL);
    kuryr_doubts *d = kuryr_doubts_new(f->kn, 3600);
    assert_non_null(d);
    char marker[KURYR_DOUBT_MARKER_LEN];
    kuryr_doubt_marker(marker, sizeof(marker), "hostA");
    kuryr_doubts_add_port(d, marker);
    assert_int_equal(kuryr_doubts_pending(d), 1);
    kuryr_doubts_sweep(d);
    assert_true(test_httpd_count(f->srv, "DELETE", "/v2.0/ports/" LATE) >= 1);
    assert_int_equal(test_httpd_count(f->srv, "DELETE", "/v2.0/ports/" USED), 0);
    assert_int_equal(kuryr_doubts_pending(d), 1); /* still looking: the grace period has not passed */
    kuryr_doubts_free(d);
}

/* With no grace left (1 s, and the second answer comes after it), a marker is forgotten after Neutron has
 * answered twice; a forgotten marker's port is never deleted. */
static void test_marker_forgotten_after_grace_or_by_request(void **state)
{
    neutron_fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/ports?description=", 200, "{\"ports\": []}");
    kuryr_doubts *d = kuryr_doubts_new(f->kn, 1);
    assert_non_null(d);
    char a[KURYR_DOUBT_MARKER_LEN], b[KURYR_DOUBT_MARKER_LEN];
    kuryr_doubt_marker(a, sizeof(a), "hostA");
    kuryr_doubt_marker(b, sizeof(b), "hostA");
    kuryr_doubts_add_port(d, a);
    kuryr_doubts_add_port(d, b);
    kuryr_doubts_forget(d, b);
    assert_int_equal(kuryr_doubts_pending(d), 1);
    /* sweeps until the grace has passed since the first answer (a bound keeps a broken list from hanging) */
    for (int i = 0; i < 600 && kuryr_doubts_pending(d) > 0; i++) {
        kuryr_doubts_sweep(d);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(kuryr_doubts_pending(d), 0);
    kuryr_doubts_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marker_shape),
        cmocka_unit_test_setup_teardown(test_sweep_deletes_the_late_port_only, neutron_fixture_setup,
                                        neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_marker_forgotten_after_grace_or_by_request, neutron_fixture_setup,
                                        neutron_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
