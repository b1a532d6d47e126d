/* Neutron error answers to kuryr_error: the kind from the status, the NeutronError type and message, and the
 * other bodies met in the field (gateway JSON, Keystone-style JSON, plain text, HTML, broken JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kuryr/neutron.h"
#include "neutron_test_data.h"

static kuryr_error map_file(long status, const char *file)
{
    char *body = neutron_data_text(file);
    kuryr_error err;
    memset(&err, 0x5a, sizeof(err)); /* every field must be set, whatever was there */
    kuryr_neutron_error_from_response(status, body, &err);
    free(body);
    return err;
}

static kuryr_error map_text(long status, const char *body)
{
    kuryr_error err;
    memset(&err, 0x5a, sizeof(err));
    kuryr_neutron_error_from_response(status, body, &err);
    return err;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void test_neutron_errors_by_status(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *file;
        kuryr_err_kind kind;
        const char *type, *text;
    } cases[] = {
        {400, "error_bad_request.json", KURYR_ERR_BAD_REQUEST, "HTTPBadRequest", "Invalid input for cidr"},
        {401, "error_gateway.json", KURYR_ERR_UNAUTHORIZED, "", "An invalid token was supplied"},
        {403, "error_policy.json", KURYR_ERR_UNAUTHORIZED, "PolicyNotAuthorized", "is disallowed by policy"},
        {404, "error_port_not_found.json", KURYR_ERR_NOT_FOUND, "PortNotFound", "could not be found"},
        {409, "error_ip_in_use.json", KURYR_ERR_CONFLICT, "IpAddressAlreadyAllocated", "10.10.0.23 already"},
        {500, "error_500.json", KURYR_ERR_UNAVAILABLE, "HTTPInternalServerError", "Request Failed"},
        {503, "error_503.html", KURYR_ERR_UNAVAILABLE, "", "503 Service Unavailable"},
        {404, "error_plain_404.txt", KURYR_ERR_NOT_FOUND, "", "404 Not Found"},
        {401, "error_keystone_style.json", KURYR_ERR_UNAUTHORIZED, "", "requires authentication"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kuryr_error err = map_file(cases[i].status, cases[i].file);
        assert_int_equal(err.kind, cases[i].kind);
        assert_int_equal(err.http_status, cases[i].status);
        assert_string_equal(err.type, cases[i].type);
        assert_contains(err.message, cases[i].text);
        assert_true(strlen(err.message) < sizeof(err.message));
    }
}

static void test_plain_text_first_line(void **state)
{
    (void)state;
    kuryr_error err = map_file(404, "error_plain_404.txt");
    assert_string_equal(err.message, "Neutron answered 404: 404 Not Found");
    err = map_text(502, "\n\n  Bad   gateway\t upstream\r\nsecond line");
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_string_equal(err.message, "Neutron answered 502: Bad gateway upstream");
}

static void test_malformed_bodies(void **state)
{
    (void)state;
    kuryr_error err = map_file(500, "error_truncated.json");
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_int_equal(err.http_status, 500);
    assert_string_equal(err.type, "");
    assert_contains(err.message, "Neutron answered 500");

    err = map_text(409, "");
    assert_int_equal(err.kind, KURYR_ERR_CONFLICT);
    assert_string_equal(err.message, "Neutron answered 409");

    err = map_text(404, NULL);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    assert_string_equal(err.message, "Neutron answered 404");

    static const char *odd[] = {"null", "[1, 2]", "\"text\"", "42", "{}", "{\"NeutronError\": 3}",
                                "{\"NeutronError\": {}}", "{\"NeutronError\": {\"type\": 5, \"message\": []}}",
                                "{\"error\": \"x\"}", "{\"message\": null}"};
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        err = map_text(400, odd[i]);
        assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
        assert_int_equal(err.http_status, 400);
        assert_string_equal(err.type, "");
        assert_contains(err.message, "Neutron answered 400");
    }
}

static void test_neutron_error_variants(void **state)
{
    (void)state;
    kuryr_error err = map_text(409, "{\"NeutronError\": {\"type\": \"InUse\", \"message\": \"\", "
                                    "\"detail\": \"network in use\"}}");
    assert_string_equal(err.type, "InUse");
    assert_contains(err.message, "network in use");

    err = map_text(404, "{\"NeutronError\": \"Network x could not be found\"}");
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    assert_contains(err.message, "Network x could not be found");

    /* types longer than the field are cut, not overflowed */
    char body[400];
    snprintf(body, sizeof(body), "{\"NeutronError\": {\"type\": \"%0100d\", \"message\": \"m\"}}", 0);
    err = map_text(400, body);
    assert_int_equal(strlen(err.type), sizeof(err.type) - 1);
}

static void test_long_and_control_text(void **state)
{
    (void)state;
    char *big = malloc(20000);
    strcpy(big, "{\"NeutronError\": {\"type\": \"T\", \"message\": \"");
    size_t o = strlen(big);
    for (int i = 0; i < 10000; i++)
        big[o++] = 'a' + i % 26;
    strcpy(big + o, "\\u0001\\n\\u001b[31m end\"}}");
    kuryr_error err = map_text(400, big);
    free(big);
    assert_true(strlen(err.message) < 400); /* short: the detail belongs in Neutron's log, not ours */
    for (const char *p = err.message; *p; p++)
        assert_true((unsigned char)*p >= 0x20);

    /* cut inside a multi-byte character: the partial character goes, the text stays valid UTF-8 */
    char *wide = malloc(2000);
    strcpy(wide, "{\"message\": \"x");
    o = strlen(wide);
    for (int i = 0; i < 600; i++)
        o += (size_t)sprintf(wide + o, "\xc3\xa9");
    strcpy(wide + o, "\"}");
    err = map_text(400, wide);
    free(wide);
    json_t *valid = json_string(err.message);
    assert_non_null(valid);
    json_decref(valid);

    err = map_text(400, "{\"message\": \"line1\\nline2\\u0007\"}");
    assert_string_equal(err.message, "Neutron answered 400: line1 line2");
}

static void test_other_statuses(void **state)
{
    (void)state;
    kuryr_error err = map_text(200, "garbage");
    assert_int_equal(err.kind, KURYR_ERR_INTERNAL); /* never "ok" from an error path */
    err = map_text(302, "");
    assert_int_equal(err.kind, KURYR_ERR_INTERNAL);
    err = map_text(413, "{\"message\": \"Request Entity Too Large\"}");
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    err = map_text(504, "<html>Gateway Timeout</html>");
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    kuryr_neutron_error_from_response(404, "{}", NULL); /* tolerated */
}

/* A Neutron without an extension refuses the attributes it adds ("tags" in a create body, without
 * tag-creation) by name: callers read the names from refused_attrs, not from the message. */
static void test_refused_attributes(void **state)
{
    (void)state;
    kuryr_error err = map_text(400, "{\"NeutronError\": {\"type\": \"HTTPBadRequest\", "
                                    "\"message\": \"Unrecognized attribute(s) 'tags'\", \"detail\": \"\"}}");
    assert_string_equal(err.refused_attrs, "tags");
    assert_true(kuryr_error_refused(&err, "tags"));
    assert_false(kuryr_error_refused(&err, "tag"));
    err = map_text(400, "{\"NeutronError\": {\"type\": \"HTTPBadRequest\", "
                        "\"message\": \"Unrecognized attribute(s) 'port_security_enabled, tags'\"}}");
    assert_true(kuryr_error_refused(&err, "tags"));
    assert_true(kuryr_error_refused(&err, "port_security_enabled"));
    assert_false(kuryr_error_refused(&err, "name"));
    /* what a Neutron without tag-creation answers a create body with tags (seen on the test stack's) */
    err = map_text(400, "{\"NeutronError\": {\"type\": \"HTTPBadRequest\", "
                        "\"message\": \"Attribute 'tags' not allowed in POST\", \"detail\": \"\"}}");
    assert_string_equal(err.refused_attrs, "tags");
    assert_true(kuryr_error_refused(&err, "tags"));
    err = map_text(400, "{\"NeutronError\": {\"type\": \"HTTPBadRequest\", "
                        "\"message\": \"Attribute 'tags' is invalid\"}}");
    assert_false(kuryr_error_refused(&err, "tags"));
    /* a 400 that merely mentions tags refuses no attribute */
    err = map_text(400, "{\"NeutronError\": {\"type\": \"HTTPBadRequest\", "
                        "\"message\": \"Invalid input for tags. Reason: 'x' is not a valid string.\"}}");
    assert_string_equal(err.refused_attrs, "");
    assert_false(kuryr_error_refused(&err, "tags"));
    /* only a 400 refuses attributes */
    err = map_text(500, "{\"message\": \"Unrecognized attribute(s) 'tags'\"}");
    assert_false(kuryr_error_refused(&err, "tags"));
    assert_false(kuryr_error_refused(NULL, "tags"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_neutron_errors_by_status),
        cmocka_unit_test(test_plain_text_first_line),
        cmocka_unit_test(test_malformed_bodies),
        cmocka_unit_test(test_neutron_error_variants),
        cmocka_unit_test(test_long_and_control_text),
        cmocka_unit_test(test_other_statuses),
        cmocka_unit_test(test_refused_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
