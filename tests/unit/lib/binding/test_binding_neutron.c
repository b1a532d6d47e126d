/* The nested drivers' Neutron side against the scripted server on 127.0.0.1: a trunk subport whose id
 * collides (409) is retried with another free id, an existing subport is reused, detach is idempotent; the
 * VM port's allowed_address_pairs keep what was there, each write is conditional on the revision read
 * (If-Match) and a stale one (412) is re-read and written again, and a VM port already gone counts as removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "binding_internal.h"
#include "kuryr/http.h"
#include "kuryr/keystone.h"
#include "neutron_fixture.h"
#include "test_httpd.h"

#define VM "11111111-2222-4333-8444-555555555555"
#define PORT "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define TRUNK "99999999-8888-4777-8666-555555555555"

typedef neutron_fixture fixture;

static size_t count(fixture *f, const char *method, const char *path_part)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && strstr(r->path, path_part))
            n++;
    }
    return n;
}

static const test_httpd_request *nth(fixture *f, const char *method, size_t k)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && k-- == 0)
            return r;
    }
    return NULL;
}

static int segid_in(const char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    int id = (int)json_integer_value(json_object_get(json_array_get(json_object_get(j, "sub_ports"), 0),
                                                    "segmentation_id"));
    json_decref(j);
    return id;
}

#define TRUNKS(SUBS) "{\"trunks\": [{\"id\": \"" TRUNK "\", \"port_id\": \"" VM "\", \"sub_ports\": [" SUBS "]}]}"

static void test_subport_retries_on_collision(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/trunks",
                      200, TRUNKS("{\"port_id\": \"x\", \"segmentation_type\": \"vlan\", \"segmentation_id\": 1}"));
    test_httpd_script conflict = { .method = "PUT", .path = "/v2.0/trunks/" TRUNK "/add_subports", .status = 409,
                                   .body = "{\"NeutronError\": {\"type\": \"DuplicateSubPort\", \"message\": "
                                           "\"segmentation id in use\", \"detail\": \"\"}}",
                                   .times = 1 };
    test_httpd_add(f->srv, &conflict);
    test_httpd_answer(f->srv, "PUT", "/v2.0/trunks/" TRUNK "/add_subports", 200,
                      "{\"id\": \"" TRUNK "\", \"port_id\": \"" VM "\", \"sub_ports\": []}");
    int vid = 0;
    kuryr_error err;
    if (kb_trunk_attach(f->kn, VM, PORT, &vid, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(count(f, "PUT", "add_subports"), 2);
    int first = segid_in(nth(f, "PUT", 0)->body), second = segid_in(nth(f, "PUT", 1)->body);
    assert_true(first >= 2 && first <= 4094);
    assert_true(second >= 2 && second <= 4094);
    assert_int_not_equal(first, second);
    assert_int_equal(vid, second);
    assert_non_null(strstr(nth(f, "PUT", 1)->body, PORT));
}

static void test_existing_subport_is_reused(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/trunks", 200,
                      TRUNKS("{\"port_id\": \"" PORT "\", \"segmentation_type\": \"vlan\", \"segmentation_id\": 7}"));
    int vid = 0;
    kuryr_error err;
    assert_int_equal(kb_trunk_attach(f->kn, VM, PORT, &vid, &err), 0);
    assert_int_equal(vid, 7);
    assert_int_equal(count(f, "PUT", "/"), 0);
}

static void test_detach_is_idempotent(void **state)
{
    fixture *f = *state;
    test_httpd_script with = { .method = "GET", .path = "/v2.0/trunks", .status = 200, .times = 1,
                               .body = TRUNKS("{\"port_id\": \"" PORT "\", \"segmentation_type\": \"vlan\", "
                                              "\"segmentation_id\": 7}") };
    test_httpd_add(f->srv, &with);
    test_httpd_answer(f->srv, "GET", "/v2.0/trunks", 200, TRUNKS(""));
    test_httpd_answer(f->srv, "PUT", "/v2.0/trunks/" TRUNK "/remove_subports", 200,
                      "{\"id\": \"" TRUNK "\", \"sub_ports\": []}");
    kuryr_error err;
    assert_int_equal(kb_trunk_detach(f->kn, VM, PORT, &err), 0);
    assert_int_equal(kb_trunk_detach(f->kn, VM, PORT, &err), 0);
    assert_int_equal(count(f, "PUT", "remove_subports"), 1);
    assert_non_null(strstr(nth(f, "PUT", 0)->body, PORT));
}

static kuryr_fixed_ip ips[] = { { .subnet_id = "s", .ip_address = "10.0.0.5" } };
static kuryr_port container = { .id = PORT, .mac_address = "fa:16:3e:00:00:05", .fixed_ips = ips, .n_fixed_ips = 1 };

#define VM_PORT(REV, PAIRS) "{\"port\": {\"id\": \"" VM "\", \"mac_address\": \"fa:16:3e:00:00:01\", " \
    "\"revision_number\": " #REV ", \"allowed_address_pairs\": [" PAIRS "]}}"
#define OTHER "{\"ip_address\": \"10.0.0.9\", \"mac_address\": \"fa:16:3e:00:00:09\"}"
#define OURS "{\"ip_address\": \"10.0.0.5\", \"mac_address\": \"fa:16:3e:00:00:05\"}"

static void test_pairs_added_keeping_others(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/ports/" VM, 200, VM_PORT(3, OTHER));
    test_httpd_answer(f->srv, "PUT", "/v2.0/ports/" VM, 200, VM_PORT(4, OTHER "," OURS));
    kuryr_error err;
    if (kb_aap_add(f->kn, VM, &container, container.mac_address, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(count(f, "PUT", VM), 1);
    const char *body = nth(f, "PUT", 0)->body;
    assert_non_null(strstr(body, "10.0.0.9"));
    assert_non_null(strstr(body, "10.0.0.5"));
}

static void test_stale_revision_is_retried(void **state)
{
    fixture *f = *state;
    /* Read at revision 3, but someone else writes first: Neutron refuses our If-Match: revision_number=3 with
     * 412. The re-read (revision 4) still lacks our pair, so it is written again, conditional on 4. */
    test_httpd_script first = { .method = "GET", .path = "/v2.0/ports/" VM, .status = 200, .times = 1,
                                .body = VM_PORT(3, OTHER) };
    test_httpd_script stale = { .method = "PUT", .path = "/v2.0/ports/" VM, .status = 412, .times = 1,
                                .body = "{\"NeutronError\": {\"type\": \"RevisionNumberConstraintFailed\", "
                                        "\"message\": \"Constrained to 3, but current revision is 4\", \"detail\": \"\"}}" };
    test_httpd_script reread = { .method = "GET", .path = "/v2.0/ports/" VM, .status = 200, .times = 1,
                                 .body = VM_PORT(4, OTHER) };
    test_httpd_add(f->srv, &first);
    test_httpd_add(f->srv, &stale);
    test_httpd_add(f->srv, &reread);
    test_httpd_answer(f->srv, "PUT", "/v2.0/ports/" VM, 200, VM_PORT(5, OTHER "," OURS));
    kuryr_error err;
    if (kb_aap_add(f->kn, VM, &container, container.mac_address, &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(count(f, "PUT", VM), 2);
    assert_int_equal(count(f, "GET", VM), 2);
    assert_string_equal(test_httpd_header(nth(f, "PUT", 0), "If-Match"), "revision_number=3");
    assert_string_equal(test_httpd_header(nth(f, "PUT", 1), "If-Match"), "revision_number=4");
    assert_non_null(strstr(nth(f, "PUT", 1)->body, "10.0.0.5"));
}

static void test_stale_revision_forever_is_a_conflict(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/ports/" VM, 200, VM_PORT(3, OTHER));
    test_httpd_answer(f->srv, "PUT", "/v2.0/ports/" VM, 412, "{}");
    kuryr_error err;
    assert_int_equal(kb_aap_add(f->kn, VM, &container, container.mac_address, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_CONFLICT);
    assert_true(count(f, "PUT", VM) > 1);
}

static void test_removal_when_vm_port_gone(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/ports/" VM, 404,
                      "{\"NeutronError\": {\"type\": \"PortNotFound\", \"message\": \"gone\", \"detail\": \"\"}}");
    kuryr_error err;
    assert_int_equal(kb_aap_remove(f->kn, VM, &container, &err), 0);
}

static void test_removal_takes_only_ours(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/ports/" VM, 200, VM_PORT(3, OTHER "," OURS));
    test_httpd_answer(f->srv, "PUT", "/v2.0/ports/" VM, 200, VM_PORT(4, OTHER));
    kuryr_error err;
    assert_int_equal(kb_aap_remove(f->kn, VM, &container, &err), 0);
    const char *body = nth(f, "PUT", 0)->body;
    assert_non_null(strstr(body, "10.0.0.9"));
    assert_null(strstr(body, "10.0.0.5"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subport_retries_on_collision, neutron_fixture_setup, neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_existing_subport_is_reused, neutron_fixture_setup, neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_detach_is_idempotent, neutron_fixture_setup, neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_pairs_added_keeping_others, neutron_fixture_setup, neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_stale_revision_is_retried, neutron_fixture_setup, neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_stale_revision_forever_is_a_conflict, neutron_fixture_setup, neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_removal_when_vm_port_gone, neutron_fixture_setup, neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_removal_takes_only_ours, neutron_fixture_setup, neutron_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
