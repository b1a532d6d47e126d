/* daemon/request.c: the CNI daemon API's requests, per verb: what each needs, CNI_ARGS, the checks on ids,
 * names and paths, GC's valid attachments, and the error answers (status, CNI code). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#define ARGS "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1;" \
             "K8S_POD_UID=5eb251bc-3493-4783-a05f-c0ad5874a389"

static char body[4096];

static const char *make(const char *cid, const char *netns, const char *ifname, const char *args)
{
    snprintf(body, sizeof(body), "{\"CNI_COMMAND\":\"ADD\"%s%s%s%s%s%s%s%s%s%s%s%s,\"CNI_PATH\":\"/opt/cni/bin\","
             "\"config_kuryr\":{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\"}}",
             cid ? ",\"CNI_CONTAINERID\":\"" : "", cid ? cid : "", cid ? "\"" : "",
             netns ? ",\"CNI_NETNS\":\"" : "", netns ? netns : "", netns ? "\"" : "",
             ifname ? ",\"CNI_IFNAME\":\"" : "", ifname ? ifname : "", ifname ? "\"" : "",
             args ? ",\"CNI_ARGS\":\"" : "", args ? args : "", args ? "\"" : "");
    return body;
}

static int parse(kd_verb verb, const char *b, kd_request *r, kd_fail *f)
{
    return kd_request_parse(b, strlen(b), verb, r, f);
}

static void test_add_ok(void **state)
{
    (void)state;
    kd_request r;
    kd_fail f;
    assert_int_equal(parse(KD_ADD, make("abc123", "/var/run/netns/x", "eth0", ARGS), &r, &f), 0);
    assert_string_equal(r.container_id, "abc123");
    assert_string_equal(r.netns, "/var/run/netns/x");
    assert_string_equal(r.ifname, "eth0");
    assert_string_equal(r.pod_namespace, "default");
    assert_string_equal(r.pod_name, "web-0");
    assert_string_equal(r.pod_uid, "5eb251bc-3493-4783-a05f-c0ad5874a389");
    kd_request_clear(&r);
}

static void expect_fail(kd_verb verb, const char *b, int status, int code)
{
    kd_request r;
    kd_fail f;
    assert_int_equal(parse(verb, b, &r, &f), -1);
    assert_int_equal(f.http_status, status);
    assert_int_equal(f.code, code);
    char *json = kd_fail_json(&f);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"msg\""));
    free(json);
}

static void test_add_missing(void **state)
{
    (void)state;
    expect_fail(KD_ADD, make(NULL, "/n", "eth0", ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", NULL, "eth0", ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "/n", NULL, ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "/n", "eth0", NULL), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "/n", "eth0", "K8S_POD_NAMESPACE=default"), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_CHECK, make("c", NULL, "eth0", ARGS), 400, KD_CODE_BAD_ENV);
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_fail(KD_ADD, make("c 1", "/n", "eth0", ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("-c", "/n", "eth0", ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "relative/ns", "eth0", ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "/n", "eth0/x", ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "/n", "..", ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "/n", "a-name-too-long0", ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "/n", "eth:0", ARGS), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "/n", "eth0", "K8S_POD_NAMESPACE=Default;K8S_POD_NAME=p"), 400, KD_CODE_BAD_ENV);
    expect_fail(KD_ADD, make("c", "/n", "eth0", "K8S_POD_NAMESPACE=d;K8S_POD_NAME=p/q"), 400, KD_CODE_BAD_ENV);
    char id[200];
    memset(id, 'a', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    expect_fail(KD_ADD, make(id, "/n", "eth0", ARGS), 400, KD_CODE_BAD_ENV);
    /* an embedded NUL must not cut a value short into something that passes */
    expect_fail(KD_ADD, "{\"CNI_CONTAINERID\":\"c\\u0000 x\",\"CNI_NETNS\":\"/n\",\"CNI_IFNAME\":\"eth0\","
                        "\"CNI_ARGS\":\"" ARGS "\"}", 400, KD_CODE_DECODE);
    expect_fail(KD_ADD, "{\"CNI_CONTAINERID\":5,\"CNI_NETNS\":\"/n\",\"CNI_IFNAME\":\"eth0\"}", 400, KD_CODE_BAD_ENV);
}

static void test_decode(void **state)
{
    (void)state;
    expect_fail(KD_ADD, "not json", 400, KD_CODE_DECODE);
    expect_fail(KD_ADD, "[1,2]", 400, KD_CODE_DECODE);
    expect_fail(KD_DEL, "", 400, KD_CODE_DECODE);
    expect_fail(KD_ADD, "{\"CNI_CONTAINERID\":\"a\",\"CNI_CONTAINERID\":\"b\"}", 400, KD_CODE_DECODE);
    expect_fail(KD_ADD, "{\"config_kuryr\":7}", 400, KD_CODE_BAD_CONFIG);
}

static void test_del_without_netns_or_pod(void **state)
{
    (void)state;
    kd_request r;
    kd_fail f;
    assert_int_equal(parse(KD_DEL, "{\"CNI_CONTAINERID\":\"c1\",\"CNI_IFNAME\":\"eth0\"}", &r, &f), 0);
    assert_string_equal(r.netns, "");
    assert_string_equal(r.pod_name, "");
    assert_int_equal(parse(KD_DEL, "{\"CNI_CONTAINERID\":\"c1\",\"CNI_IFNAME\":\"eth0\",\"CNI_NETNS\":\"\"}", &r, &f),
                     0);
    expect_fail(KD_DEL, "{\"CNI_IFNAME\":\"eth0\"}", 400, KD_CODE_BAD_ENV);
}

static void test_status_needs_nothing(void **state)
{
    (void)state;
    kd_request r;
    kd_fail f;
    assert_int_equal(kd_request_parse(NULL, 0, KD_STATUS, &r, &f), 0);
    assert_int_equal(parse(KD_STATUS, "{\"CNI_COMMAND\":\"STATUS\"}", &r, &f), 0);
}

static void test_gc(void **state)
{
    (void)state;
    kd_request r;
    kd_fail f;
    assert_int_equal(parse(KD_GC, "{\"config_kuryr\":{\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\","
                                  "\"ifname\":\"eth0\"},{\"containerID\":\"bad id\",\"ifname\":\"eth0\"},{\"ifname\":"
                                  "\"eth0\"},{\"containerID\":\"c2\",\"ifname\":\"net1\"}]}}", &r, &f), 0);
    assert_int_equal(r.n_valid, 2);
    assert_string_equal(r.valid[0].container_id, "c1");
    assert_string_equal(r.valid[1].ifname, "net1");
    kd_request_clear(&r);
    assert_int_equal(parse(KD_GC, "{\"config_kuryr\":{\"cni.dev/valid-attachments\":[]}}", &r, &f), 0);
    assert_int_equal(r.n_valid, 0);
    kd_request_clear(&r);
    /* no list at all must not read as "nothing is valid" (that would unplug every pod) */
    expect_fail(KD_GC, "{\"config_kuryr\":{\"name\":\"kuryr\"}}", 400, KD_CODE_BAD_CONFIG);
    expect_fail(KD_GC, "{}", 400, KD_CODE_BAD_CONFIG);
}

static void test_paths(void **state)
{
    (void)state;
    assert_int_equal(kd_verb_from_path("/addNetwork"), KD_ADD);
    assert_int_equal(kd_verb_from_path("/delNetwork"), KD_DEL);
    assert_int_equal(kd_verb_from_path("/checkNetwork"), KD_CHECK);
    assert_int_equal(kd_verb_from_path("/status"), KD_STATUS);
    assert_int_equal(kd_verb_from_path("/gc"), KD_GC);
    assert_int_equal(kd_verb_from_path("/addNetwork/"), -1);
    assert_int_equal(kd_verb_from_path(NULL), -1);
    assert_string_equal(kd_verb_name(KD_CHECK), "CHECK");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_ok),        cmocka_unit_test(test_add_missing),
        cmocka_unit_test(test_bad_values),    cmocka_unit_test(test_decode),
        cmocka_unit_test(test_del_without_netns_or_pod), cmocka_unit_test(test_status_needs_nothing),
        cmocka_unit_test(test_gc),            cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
