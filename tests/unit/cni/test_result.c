/* The daemon's 1.0.0-shaped ADD answer converted to each supported version, and malformed answers refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>

#include "cni_test.h"

#define NETNS "/var/run/netns/cni-1234"
static const char answer_text[] =
    "{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"fa:16:3e:00:00:01\",\"mtu\":1450,\"sandbox\":\"c0ffee01\"},"
    "{\"name\":\"tapabc\",\"mac\":\"fe:16:3e:00:00:01\"}],"
    "\"ips\":[{\"address\":\"10.1.2.3/24\",\"gateway\":\"10.1.2.1\",\"interface\":0},"
    "{\"address\":\"fd00::3/64\",\"interface\":0}],"
    "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.2.1\",\"mtu\":1400,\"priority\":5}],"
    "\"dns\":{\"nameservers\":[\"10.1.2.2\"]}}";

static json_t *convert(const char *text, const char *version, cni_error *err)
{
    json_t *answer = json_loads(text, 0, NULL);
    assert_non_null(answer);
    json_t *out = cni_result_convert(answer, version, NETNS, "eth0", err);
    json_decref(answer);
    return out;
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void check_common(const json_t *r, const char *version)
{
    assert_string_equal(str(r, "cniVersion"), version);
    json_t *eth0 = json_array_get(json_object_get(r, "interfaces"), 0);
    assert_string_equal(str(eth0, "name"), "eth0");
    assert_string_equal(str(eth0, "mac"), "fa:16:3e:00:00:01");
    assert_string_equal(str(eth0, "sandbox"), NETNS);  /* the netns path, never the daemon's container id */
    json_t *host = json_array_get(json_object_get(r, "interfaces"), 1);
    assert_null(json_object_get(host, "sandbox"));       /* a host-side interface stays outside */
    json_t *ip = json_array_get(json_object_get(r, "ips"), 0);
    assert_string_equal(str(ip, "address"), "10.1.2.3/24");
    assert_string_equal(str(ip, "gateway"), "10.1.2.1");
    assert_int_equal(json_integer_value(json_object_get(ip, "interface")), 0);
    json_t *route = json_array_get(json_object_get(r, "routes"), 0);
    assert_string_equal(str(route, "dst"), "0.0.0.0/0");
    assert_string_equal(str(route, "gw"), "10.1.2.1");
    assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(r, "dns"), "nameservers"), 0)),
                        "10.1.2.2");
}

static void test_old_versions_have_ip_version(void **state)
{
    (void)state;
    static const char *const versions[] = {"0.3.0", "0.3.1", "0.4.0"};
    for (size_t i = 0; i < 3; i++) {
        cni_error err = {0};
        json_t *r = convert(answer_text, versions[i], &err);
        assert_non_null(r);
        check_common(r, versions[i]);
        json_t *ips = json_object_get(r, "ips");
        assert_string_equal(str(json_array_get(ips, 0), "version"), "4");
        assert_string_equal(str(json_array_get(ips, 1), "version"), "6");
        /* 1.1.0's additions are not in older results */
        assert_null(json_object_get(json_array_get(json_object_get(r, "interfaces"), 0), "mtu"));
        assert_null(json_object_get(json_array_get(json_object_get(r, "routes"), 0), "mtu"));
        json_decref(r);
    }
}

static void test_v1_results(void **state)
{
    (void)state;
    cni_error err = {0};
    json_t *r = convert(answer_text, "1.0.0", &err);
    assert_non_null(r);
    check_common(r, "1.0.0");
    assert_null(json_object_get(json_array_get(json_object_get(r, "ips"), 0), "version"));
    assert_null(json_object_get(json_array_get(json_object_get(r, "interfaces"), 0), "mtu"));
    json_decref(r);
    r = convert(answer_text, "1.1.0", &err);
    assert_non_null(r);
    check_common(r, "1.1.0");
    assert_null(json_object_get(json_array_get(json_object_get(r, "ips"), 0), "version"));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "interfaces"), 0), "mtu")),
                     1450);
    json_t *route = json_array_get(json_object_get(r, "routes"), 0);
    assert_int_equal(json_integer_value(json_object_get(route, "mtu")), 1400);
    assert_int_equal(json_integer_value(json_object_get(route, "priority")), 5);
    json_decref(r);
}

/* The interface named CNI_IFNAME is in the sandbox even when the daemon left sandbox out; empty lists stay. */
static void test_minimal_answer(void **state)
{
    (void)state;
    cni_error err = {0};
    json_t *r = convert("{\"interfaces\":[{\"name\":\"eth0\"}]}", "1.0.0", &err);
    assert_non_null(r);
    assert_string_equal(str(json_array_get(json_object_get(r, "interfaces"), 0), "sandbox"), NETNS);
    assert_int_equal(json_array_size(json_object_get(r, "ips")), 0);
    assert_true(json_is_object(json_object_get(r, "dns")));
    json_decref(r);
}

static void test_malformed_answers(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "[]",
        "{\"interfaces\":{}}",
        "{\"interfaces\":[{\"mac\":\"x\"}]}",
        "{\"interfaces\":[{\"name\":\"eth0\",\"mac\":5}]}",
        "{\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":null}]}",
        "{\"ips\":[{\"address\":\"10.0.0.1\"}]}",
        "{\"ips\":[{\"address\":\"10.0.0.1/8\",\"interface\":0}]}",
        "{\"interfaces\":[{\"name\":\"eth0\"}],\"ips\":[{\"address\":\"10.0.0.1/8\",\"interface\":1}]}",
        "{\"interfaces\":[{\"name\":\"eth0\"}],\"ips\":[{\"address\":\"10.0.0.1/8\",\"interface\":-1}]}",
        "{\"interfaces\":[{\"name\":\"eth0\"}],\"ips\":[{\"address\":\"10.0.0.1/8\",\"interface\":\"0\"}]}",
        "{\"ips\":[7]}",
        "{\"routes\":[{\"gw\":\"10.0.0.1\"}]}",
        "{\"routes\":\"none\"}",
        "{\"dns\":[]}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cni_error err = {0};
        json_t *r = convert(cases[i], "1.1.0", &err);
        if (r)
            fprintf(stderr, "accepted: %s\n", cases[i]);
        assert_null(r);
        assert_int_equal(err.code, CNI_ERR_BAD_DAEMON_ANSWER);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_old_versions_have_ip_version),
        cmocka_unit_test(test_v1_results),
        cmocka_unit_test(test_minimal_answer),
        cmocka_unit_test(test_malformed_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
