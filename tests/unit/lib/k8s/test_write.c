/* lib/k8s/write.c against the scripted server: create, delete with a uid precondition, merge patches with a
 * resourceVersion, read-modify-write retried on 409, status through its subresource, finalizers that keep
 * everyone else's, and Events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/k8s_write.h"
#include "k8s_fixture.h"

#define CM "/api/v1/namespaces/ns/configmaps"

typedef struct {
    test_httpd *srv;
    kuryr_k8s_client *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    *state = f;
    return k8s_fixture_start(&f->srv, &f->c);
}

static int teardown(void **state)
{
    fixture *f = *state;
    k8s_fixture_stop(f->srv, f->c);
    free(f);
    return 0;
}

static json_t *body_of(fixture *f, size_t i)
{
    const test_httpd_request *r = test_httpd_request_at(f->srv, i);
    assert_non_null(r);
    json_t *j = json_loads(r->body, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_create_and_delete(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "POST", CM, 201, "{\"metadata\":{\"name\":\"a\",\"uid\":\"u1\"}}");
    test_httpd_answer(f->srv, "DELETE", CM "/a", 200, "{}");
    json_t *obj = json_pack("{s:{s:s, s:s}}", "metadata", "name", "a", "namespace", "ns"), *out = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_create(f->c, &kuryr_k8s_configmaps, NULL, obj, &out, &err), 0); /* ns from obj */
    assert_string_equal(kuryr_k8s_obj_uid(out), "u1");
    json_decref(out);
    json_decref(obj);
    assert_int_equal(kuryr_k8s_delete(f->c, &kuryr_k8s_configmaps, "ns", "a", "u1", &err), 0);
    json_t *del = body_of(f, 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(del, "preconditions"), "uid")), "u1");
    json_decref(del);
    assert_string_equal(test_httpd_request_at(f->srv, 1)->method, "DELETE");
    /* Without a namespace anywhere, a namespaced create is refused locally. */
    json_t *bare = json_pack("{s:{s:s}}", "metadata", "name", "b");
    assert_int_equal(kuryr_k8s_create(f->c, &kuryr_k8s_configmaps, NULL, bare, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    json_decref(bare);
}

static void test_merge_patch_carries_version(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "PATCH", CM "/a", 200, "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"8\"}}");
    json_t *patch = json_pack("{s:{s:s}}", "data", "k", "v");
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_merge_patch(f->c, &kuryr_k8s_configmaps, "ns", "a", NULL, patch, "7", NULL, &err), 0);
    const test_httpd_request *r = test_httpd_request_at(f->srv, 0);
    assert_string_equal(test_httpd_header(r, "Content-Type"), "application/merge-patch+json");
    json_t *sent = body_of(f, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(sent, "metadata"), "resourceVersion")), "7");
    assert_string_equal(json_string_value(json_object_get(json_object_get(sent, "data"), "k")), "v");
    json_decref(sent);
    /* The caller's patch is not modified. */
    assert_null(json_object_get(patch, "metadata"));
    json_decref(patch);
}

static int add_label(const json_t *current, json_t **patch, void *ud, kuryr_error *err)
{
    (void)current, (void)err;
    (*(int *)ud)++;
    *patch = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "x", "y");
    return 0;
}

static void test_update_retries_on_conflict(void **state)
{
    fixture *f = *state;
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = CM "/a", .status = 200, .times = 1,
                                                .body = "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}"});
    test_httpd_answer(f->srv, "GET", CM "/a", 200, "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"2\"}}");
    test_httpd_add(f->srv, &(test_httpd_script){.method = "PATCH", .path = CM "/a", .status = 409, .times = 1,
                                                .body = "{\"code\":409,\"reason\":\"Conflict\"}"});
    test_httpd_answer(f->srv, "PATCH", CM "/a", 200, "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"3\"}}");
    int calls = 0;
    json_t *out = NULL;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_update(f->c, &kuryr_k8s_configmaps, "ns", "a", NULL, add_label, &calls, &out, &err), 0);
    assert_int_equal(calls, 2);
    assert_string_equal(kuryr_k8s_obj_resource_version(out), "3");
    json_decref(out);
    json_t *second = body_of(f, 3);
    assert_string_equal(json_string_value(json_object_get(json_object_get(second, "metadata"), "resourceVersion")), "2");
    json_decref(second);
}

static void test_update_gives_up_after_conflicts(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", CM "/a", 200, "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}");
    test_httpd_answer(f->srv, "PATCH", CM "/a", 409, "{\"code\":409,\"reason\":\"Conflict\"}");
    int calls = 0;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_update(f->c, &kuryr_k8s_configmaps, "ns", "a", NULL, add_label, &calls, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_CONFLICT);
    assert_int_equal(calls, 5);
}

static void test_status_subresource(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/api/v1/namespaces/ns/pods/p", 200,
                      "{\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"4\"},\"status\":{\"phase\":\"Pending\"}}");
    test_httpd_answer(f->srv, "PATCH", "/api/v1/namespaces/ns/pods/p/status", 200, "{}");
    json_t *status = json_pack("{s:s}", "phase", "Running");
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_set_status(f->c, &kuryr_k8s_pods, "ns", "p", status, NULL, &err), 0);
    json_t *sent = body_of(f, 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(sent, "status"), "phase")), "Running");
    json_decref(sent);
    json_decref(status);
    /* Already so: no write. */
    status = json_pack("{s:s}", "phase", "Pending");
    assert_int_equal(kuryr_k8s_set_status(f->c, &kuryr_k8s_pods, "ns", "p", status, NULL, &err), 0);
    json_decref(status);
    assert_int_equal(test_httpd_request_count(f->srv), 3);
}

static void test_finalizers(void **state)
{
    fixture *f = *state;
    test_httpd_add(f->srv, &(test_httpd_script){
        .method = "GET", .path = CM "/a", .status = 200, .times = 1,
        .body = "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\",\"finalizers\":[\"someone/else\"]}}"});
    test_httpd_add(f->srv, &(test_httpd_script){
        .method = "GET", .path = CM "/a", .status = 200, .times = 2,
        .body = "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"2\",\"finalizers\":[\"someone/else\",\"kuryr/f\"]}}"});
    test_httpd_answer(f->srv, "PATCH", CM "/a", 200, "{}");
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_finalizer_add(f->c, &kuryr_k8s_configmaps, "ns", "a", "kuryr/f", &err), 0);
    json_t *added = body_of(f, 1);
    json_t *list = json_object_get(json_object_get(added, "metadata"), "finalizers");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_array_get(list, 0)), "someone/else");
    assert_string_equal(json_string_value(json_array_get(list, 1)), "kuryr/f");
    json_decref(added);
    /* Present already: a read, no write. */
    assert_int_equal(kuryr_k8s_finalizer_add(f->c, &kuryr_k8s_configmaps, "ns", "a", "kuryr/f", &err), 0);
    assert_int_equal(test_httpd_request_count(f->srv), 3);
    assert_int_equal(kuryr_k8s_finalizer_remove(f->c, &kuryr_k8s_configmaps, "ns", "a", "kuryr/f", &err), 0);
    json_t *removed = body_of(f, 4);
    list = json_object_get(json_object_get(removed, "metadata"), "finalizers");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_array_get(list, 0)), "someone/else");
    assert_string_equal(json_string_value(json_object_get(json_object_get(removed, "metadata"), "resourceVersion")), "2");
    json_decref(removed);
}

static void test_finalizer_edge_cases(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", CM "/dying", 200,
                      "{\"metadata\":{\"name\":\"dying\",\"resourceVersion\":\"1\","
                      "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"}}");
    test_httpd_answer(f->srv, "GET", CM "/gone", 404, "{\"code\":404,\"reason\":\"NotFound\"}");
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_finalizer_add(f->c, &kuryr_k8s_configmaps, "ns", "dying", "kuryr/f", &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_CONFLICT);
    assert_int_equal(kuryr_k8s_finalizer_remove(f->c, &kuryr_k8s_configmaps, "ns", "gone", "kuryr/f", &err), 0);
    assert_int_equal(kuryr_k8s_finalizer_add(f->c, &kuryr_k8s_configmaps, "ns", "gone", "kuryr/f", &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
}

static void test_event_record(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "POST", "/api/v1/namespaces/ns/events", 201, "{}");
    json_t *pod = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "kind", "Pod", "apiVersion", "v1", "metadata",
                            "name", "p", "namespace", "ns", "uid", "u-1", "resourceVersion", "9");
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_event_record(f->c, pod, "Warning", "PortCreateFailed", "Neutron said no",
                                            "kuryr-k8s-controller", &err), 0);
    json_t *ev = body_of(f, 0);
    json_t *inv = json_object_get(ev, "involvedObject");
    assert_string_equal(json_string_value(json_object_get(inv, "kind")), "Pod");
    assert_string_equal(json_string_value(json_object_get(inv, "uid")), "u-1");
    assert_string_equal(json_string_value(json_object_get(ev, "reason")), "PortCreateFailed");
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "Warning");
    assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "metadata"), "generateName")), "p.");
    assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "source"), "component")),
                        "kuryr-k8s-controller");
    json_decref(ev);
    /* Without a kind it cannot name the object. */
    json_object_del(pod, "kind");
    assert_int_equal(kuryr_k8s_event_record(f->c, pod, "Normal", "X", "m", NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    json_decref(pod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_patch_carries_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_retries_on_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_gives_up_after_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_subresource, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finalizers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finalizer_edge_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_record, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
