/* Structured errors: every field set, NULL tolerated, and the HTTP status to kind mapping of error.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kuryr/error.h"

#include <string.h>

static void test_set_fills_every_field(void **state)
{
    (void)state;
    kuryr_error err;
    memset(&err, 0x5a, sizeof(err));
    assert_int_equal(kuryr_error_set(&err, KURYR_ERR_CONFLICT, 409, "IpAddressAlreadyAllocated",
                                     "IP %s is in use on network %d", "10.0.0.5", 7),
                     -1);
    assert_int_equal(err.kind, KURYR_ERR_CONFLICT);
    assert_int_equal(err.http_status, 409);
    assert_string_equal(err.type, "IpAddressAlreadyAllocated");
    assert_string_equal(err.message, "IP 10.0.0.5 is in use on network 7");

    assert_int_equal(kuryr_error_set(&err, KURYR_ERR_INTERNAL, 0, NULL, "netlink failed"), -1);
    assert_string_equal(err.type, "");
    assert_int_equal(err.http_status, 0);
}

static void test_set_tolerates_null_and_truncates(void **state)
{
    (void)state;
    assert_int_equal(kuryr_error_set(NULL, KURYR_ERR_INTERNAL, 0, NULL, "ignored"), -1);

    kuryr_error err;
    char longtype[200];
    memset(longtype, 'T', sizeof(longtype) - 1);
    longtype[sizeof(longtype) - 1] = '\0';
    char longmsg[2000];
    memset(longmsg, 'm', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    kuryr_error_set(&err, KURYR_ERR_BAD_REQUEST, 400, longtype, "%s", longmsg);
    assert_int_equal(strlen(err.type), sizeof(err.type) - 1);
    assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
}

static void test_clear(void **state)
{
    (void)state;
    kuryr_error err;
    kuryr_error_set(&err, KURYR_ERR_NOT_FOUND, 404, "PortNotFound", "gone");
    kuryr_error_clear(&err);
    assert_int_equal(err.kind, KURYR_OK);
    assert_int_equal(err.http_status, 0);
    assert_string_equal(err.type, "");
    assert_string_equal(err.message, "");
    kuryr_error_clear(NULL);
}

static void test_prefix_keeps_kind_and_fits(void **state)
{
    (void)state;
    kuryr_error err;
    kuryr_error_set(&err, KURYR_ERR_UNAVAILABLE, 503, "T", "connect failed");
    assert_int_equal(kuryr_error_prefix(&err, "Neutron unreachable: "), -1);
    assert_string_equal(err.message, "Neutron unreachable: connect failed");
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_int_equal(err.http_status, 503);
    assert_string_equal(err.type, "T");
    /* a full message loses its end, never the prefix, and stays terminated */
    memset(err.message, 'x', sizeof(err.message) - 1);
    err.message[sizeof(err.message) - 1] = '\0';
    kuryr_error_prefix(&err, "P: ");
    assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
    assert_memory_equal(err.message, "P: xxx", 6);
    assert_int_equal(kuryr_error_prefix(NULL, "P: "), -1);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(kuryr_err_kind_name(KURYR_OK), "ok");
    assert_string_equal(kuryr_err_kind_name(KURYR_ERR_NOT_FOUND), "not_found");
    assert_string_equal(kuryr_err_kind_name(KURYR_ERR_CONFLICT), "conflict");
    assert_string_equal(kuryr_err_kind_name(KURYR_ERR_BAD_REQUEST), "bad_request");
    assert_string_equal(kuryr_err_kind_name(KURYR_ERR_UNAUTHORIZED), "unauthorized");
    assert_string_equal(kuryr_err_kind_name(KURYR_ERR_UNAVAILABLE), "unavailable");
    assert_string_equal(kuryr_err_kind_name(KURYR_ERR_INTERNAL), "internal");
}

static void test_kind_from_status(void **state)
{
    (void)state;
    static const struct {
        long status;
        kuryr_err_kind kind;
    } cases[] = {
        {200, KURYR_OK},
        {201, KURYR_OK},
        {204, KURYR_OK},
        {400, KURYR_ERR_BAD_REQUEST},
        {413, KURYR_ERR_BAD_REQUEST},
        {422, KURYR_ERR_BAD_REQUEST},
        {401, KURYR_ERR_UNAUTHORIZED},
        {403, KURYR_ERR_UNAUTHORIZED},
        {404, KURYR_ERR_NOT_FOUND},
        {409, KURYR_ERR_CONFLICT},
        {0, KURYR_ERR_UNAVAILABLE},
        {500, KURYR_ERR_UNAVAILABLE},
        {502, KURYR_ERR_UNAVAILABLE},
        {503, KURYR_ERR_UNAVAILABLE},
        {504, KURYR_ERR_UNAVAILABLE},
        {302, KURYR_ERR_INTERNAL},
        {405, KURYR_ERR_INTERNAL},
        {412, KURYR_ERR_INTERNAL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (kuryr_err_kind_from_status(cases[i].status) != cases[i].kind)
            fail_msg("status %ld gave %s, expected %s", cases[i].status,
                     kuryr_err_kind_name(kuryr_err_kind_from_status(cases[i].status)),
                     kuryr_err_kind_name(cases[i].kind));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_fills_every_field),
        cmocka_unit_test(test_set_tolerates_null_and_truncates),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_prefix_keeps_kind_and_fits),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_kind_from_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
