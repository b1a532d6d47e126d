/* The Cinder answer parsers (lib/cinder_json.c): volumes with their attachments and metadata, attachments with
 * their connection info, error answers, and answers that are broken in every way a server could break them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kuryr/cinder.h"

static const char *const VOLUME =
    "{\"volume\": {\"id\": \"0d15cbb0-376a-4cce-a577-d61a8db4a9e3\", \"name\": \"v1\", \"status\": \"in-use\","
    " \"size\": 2, \"volume_type\": \"__DEFAULT__\", \"availability_zone\": \"nova\", \"multiattach\": false,"
    " \"os-vol-tenant-attr:tenant_id\": \"p1\", \"metadata\": {\"volume_from\": \"fuxi\"},"
    " \"attachments\": [{\"attachment_id\": \"a1\", \"host_name\": \"vm\", \"server_id\": null}]}}";

static void test_volume_parses(void **state)
{
    (void)state;
    kuryr_volume v;
    kuryr_error err;
    assert_int_equal(kuryr_cinder_parse_volume(VOLUME, &v, &err), 0);
    assert_string_equal(v.id, "0d15cbb0-376a-4cce-a577-d61a8db4a9e3");
    assert_string_equal(v.name, "v1");
    assert_string_equal(v.status, "in-use");
    assert_int_equal(v.size, 2);
    assert_string_equal(v.project_id, "p1");
    assert_string_equal(json_string_value(json_object_get(v.metadata, "volume_from")), "fuxi");
    assert_int_equal(v.n_attachments, 1);
    assert_string_equal(v.attachments[0].attachment_id, "a1");
    assert_string_equal(v.attachments[0].host_name, "vm");
    assert_null(v.attachments[0].server_id);
    kuryr_volume_clear(&v);
}

static void test_volume_without_metadata_gets_an_empty_one(void **state)
{
    (void)state;
    kuryr_volume v;
    kuryr_error err;
    assert_int_equal(kuryr_cinder_parse_volume("{\"volume\": {\"id\": \"x\", \"status\": \"available\", \"size\": 1,"
                                               " \"metadata\": null, \"name\": null}}", &v, &err), 0);
    assert_true(json_is_object(v.metadata));
    assert_int_equal(json_object_size(v.metadata), 0);
    assert_null(v.name);
    kuryr_volume_clear(&v);
}

static void test_broken_volumes_fail_with_a_message(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "[]", "{\"volume\": []}", "{\"volumes\": {}}",
        "{\"volume\": {\"status\": \"available\", \"size\": 1}}",
        "{\"volume\": {\"id\": \"x\", \"status\": \"available\", \"size\": \"1\"}}",
        "{\"volume\": {\"id\": \"x\", \"status\": \"available\", \"size\": -1}}",
        "{\"volume\": {\"id\": \"x\", \"status\": 3, \"size\": 1}}",
        "{\"volume\": {\"id\": \"x\", \"status\": \"a\", \"size\": 1, \"attachments\": {}}}",
        "{\"volume\": {\"id\": \"x\", \"status\": \"a\", \"size\": 1, \"attachments\": [{\"host_name\": \"h\"}]}}",
        "{\"volume\": {\"id\": \"x\", \"id\": \"y\", \"status\": \"a\", \"size\": 1}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kuryr_volume v;
        kuryr_error err;
        assert_int_equal(kuryr_cinder_parse_volume(bad[i], &v, &err), -1);
        assert_true(strlen(err.message) > 0);
        assert_null(v.id);
    }
}

static void test_volume_list_and_a_bad_item(void **state)
{
    (void)state;
    kuryr_volume *vs;
    size_t n;
    kuryr_error err;
    assert_int_equal(kuryr_cinder_parse_volumes("{\"volumes\": [{\"id\": \"a\", \"status\": \"available\", \"size\": 1},"
                                                " {\"id\": \"b\", \"status\": \"error\", \"size\": 3}]}", &vs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(vs[1].id, "b");
    assert_int_equal(vs[1].size, 3);
    kuryr_volumes_free(vs, n);
    assert_int_equal(kuryr_cinder_parse_volumes("{\"volumes\": [{\"id\": \"a\", \"status\": \"available\", \"size\": 1},"
                                                " 7]}", &vs, &n, &err), -1);
    assert_null(vs);
    assert_int_equal(n, 0);
}

static void test_attachment_with_connection_info(void **state)
{
    (void)state;
    kuryr_attachment a;
    kuryr_error err;
    assert_int_equal(kuryr_cinder_parse_attachment(
                         "{\"attachment\": {\"id\": \"a1\", \"status\": \"reserved\", \"volume_id\": \"v\","
                         " \"connection_info\": {\"driver_volume_type\": \"nfs\", \"export\": \"h:/e\"}}}", &a, &err), 0);
    assert_string_equal(a.status, "reserved");
    assert_string_equal(json_string_value(json_object_get(a.connection_info, "export")), "h:/e");
    kuryr_attachment_clear(&a);
    kuryr_attachment *as;
    size_t n;
    assert_int_equal(kuryr_cinder_parse_attachments("{\"attachments\": [{\"id\": \"a1\", \"status\": \"attached\","
                                                    " \"volume_id\": \"v\"}]}", &as, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_null(as[0].connection_info);
    kuryr_attachments_free(as, n);
    assert_int_equal(kuryr_cinder_parse_attachment("{\"attachment\": {\"id\": \"a1\"}}", &a, &err), -1);
}

static void test_error_answers_carry_cinders_message(void **state)
{
    (void)state;
    kuryr_error err;
    kuryr_cinder_error(404, "{\"itemNotFound\": {\"message\": \"Volume x could not be found.\", \"code\": 404}}",
                       "GET /volumes/x", &err);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "Volume x could not be found."));
    kuryr_cinder_error(503, "<html>down</html>", "GET /volumes", &err);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    kuryr_cinder_error(400, NULL, "POST /volumes", &err);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_volume_parses),
        cmocka_unit_test(test_volume_without_metadata_gets_an_empty_one),
        cmocka_unit_test(test_broken_volumes_fail_with_a_message),
        cmocka_unit_test(test_volume_list_and_a_bad_item),
        cmocka_unit_test(test_attachment_with_connection_info),
        cmocka_unit_test(test_error_answers_carry_cinders_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
