/* Input validation: Docker ids, sandbox keys, addresses, CIDRs, MACs and typed option access. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "validate.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_ids(void **state)
{
    (void)state;
    assert_true(kl_valid_id(ID64));
    assert_false(kl_valid_id(NULL));
    assert_false(kl_valid_id(""));
    assert_false(kl_valid_id(ID64 "0"));                 /* 65 */
    assert_false(kl_valid_id(&ID64[1]));                 /* 63 */
    assert_false(kl_valid_id("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
    assert_false(kl_valid_id("0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef"));
    assert_false(kl_valid_id("../../etc/passwd"));
}

static void test_sandbox_key(void **state)
{
    (void)state;
    assert_true(kl_valid_sandbox_key("/var/run/docker/netns/0123456789ab"));
    assert_true(kl_valid_sandbox_key("/run/docker/netns/default"));
    assert_false(kl_valid_sandbox_key(NULL));
    assert_false(kl_valid_sandbox_key("relative/netns"));
    assert_false(kl_valid_sandbox_key("/var/run/../../etc/shadow"));
    assert_false(kl_valid_sandbox_key("/var/run/docker/netns/.."));
    assert_false(kl_valid_sandbox_key("/var/run/docker/netns/a b"));
    assert_false(kl_valid_sandbox_key("/var/run/docker/netns/a\nb"));
}

static void test_ip_and_cidr(void **state)
{
    (void)state;
    int fam = 0;
    assert_true(kl_valid_ip("10.0.0.1", &fam));
    assert_int_equal(fam, 4);
    assert_true(kl_valid_ip("fd00::1", &fam));
    assert_int_equal(fam, 6);
    assert_false(kl_valid_ip("10.0.0.256", NULL));
    assert_false(kl_valid_ip("10.0.0.1/24", NULL));
    assert_false(kl_valid_ip("", NULL));

    assert_true(kl_valid_cidr("10.0.0.0/24", &fam));
    assert_int_equal(fam, 4);
    assert_true(kl_valid_cidr("fd00:1::/64", &fam));
    assert_int_equal(fam, 6);
    assert_true(kl_valid_cidr("10.0.0.1/32", NULL));
    assert_false(kl_valid_cidr("10.0.0.0/33", NULL));
    assert_false(kl_valid_cidr("fd00::/129", NULL));
    assert_false(kl_valid_cidr("10.0.0.0", NULL));
    assert_false(kl_valid_cidr("10.0.0.0/", NULL));
    assert_false(kl_valid_cidr("/24", NULL));
    assert_false(kl_valid_cidr("10.0.0.0/-1", NULL));
    assert_false(kl_valid_cidr("10.0.0.0/2x", NULL));
    assert_false(kl_valid_cidr("10.0.0.0/0024", NULL));
}

static void test_mac(void **state)
{
    (void)state;
    assert_true(kl_valid_mac("fa:16:3e:00:11:22"));
    assert_true(kl_valid_mac("FA:16:3E:00:11:22"));
    assert_false(kl_valid_mac("fa:16:3e:00:11"));
    assert_false(kl_valid_mac("fa-16-3e-00-11-22"));
    assert_false(kl_valid_mac("fa:16:3e:00:11:2g"));
    assert_false(kl_valid_mac(NULL));
}

static void test_typed_access(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:s,s:i,s:n,s:{},s:[],s:s,s:b,s:s}", "NetworkID", ID64, "Num", 3, "Null", "Obj",
                          "Arr", "Short", "abc", "Flag", 1, "SFlag", "False");
    kuryr_error err;
    const char *s;
    json_t *j;
    bool b;
    assert_int_equal(kl_get_id(o, "NetworkID", &s, &err), 0);
    assert_string_equal(s, ID64);
    assert_int_equal(kl_get_id(o, "Short", &s, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_non_null(strstr(err.message, "Short"));
    assert_int_equal(kl_get_str(o, "Num", false, &s, &err), -1);
    assert_non_null(strstr(err.message, "must be a string"));
    assert_int_equal(kl_get_str(o, "Missing", false, &s, &err), 0);
    assert_null(s);
    assert_int_equal(kl_get_str(o, "Null", false, &s, &err), 0);
    assert_null(s);
    assert_int_equal(kl_get_str(o, "Missing", true, &s, &err), -1);
    assert_non_null(strstr(err.message, "required"));
    assert_int_equal(kl_get_obj(o, "Obj", &j, &err), 0);
    assert_true(json_is_object(j));
    assert_int_equal(kl_get_obj(o, "Arr", &j, &err), -1);
    assert_int_equal(kl_get_arr(o, "Arr", &j, &err), 0);
    assert_int_equal(kl_get_arr(o, "Obj", &j, &err), -1);
    assert_int_equal(kl_get_obj(NULL, "Obj", &j, &err), 0); /* options may be absent altogether */
    assert_null(j);
    assert_int_equal(kl_opt_bool(o, "Flag", false, &b, &err), 0);
    assert_true(b);
    assert_int_equal(kl_opt_bool(o, "SFlag", true, &b, &err), 0);
    assert_false(b);
    assert_int_equal(kl_opt_bool(o, "Missing", true, &b, &err), 0);
    assert_true(b);
    assert_int_equal(kl_opt_bool(o, "Short", false, &b, &err), -1);
    assert_int_equal(kl_opt_bool(o, "Num", false, &b, &err), -1);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),           cmocka_unit_test(test_sandbox_key), cmocka_unit_test(test_ip_and_cidr),
        cmocka_unit_test(test_mac),           cmocka_unit_test(test_typed_access),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
