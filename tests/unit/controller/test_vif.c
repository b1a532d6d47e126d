/* The vif handler against a scripted kube-apiserver: hostNetwork and unscheduled pods cost no request; a new
 * pod gets the finalizer and its KuryrPort; a deleted pod's KuryrPort goes first and the pod finalizer last; a
 * KuryrPort left by an earlier pod of the same name is replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kuryr/k8s_vif.h"
#include "pod_fixture.h"

static const kc_handler_def *H = &kc_vif_handler;

static void answer_json(pod_fixture *fx, const char *method, const char *path, int status, const json_t *obj,
                        int times)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    test_httpd_add(fx->srv, &(test_httpd_script){method, path, status, text, .times = times});
    free(text);
}

static void test_skipped_pods(void **state)
{
    (void)state;
    pod_fixture fx;
    pod_fixture_start(&fx, NULL);
    json_t *host = fx_pod();
    json_object_set_new(json_object_get(host, "spec"), "hostNetwork", json_true());
    assert_int_equal(pod_fixture_run(&fx, H, host, false, 1), KURYR_WORK_DONE);
    json_t *pending = fx_pod();
    json_object_del(json_object_get(pending, "spec"), "nodeName");
    assert_int_equal(pod_fixture_run(&fx, H, pending, false, 1), KURYR_WORK_DONE);
    assert_int_equal(test_httpd_request_count(fx.srv), 0);
    json_decref(host);
    json_decref(pending);
    pod_fixture_stop(&fx, H);
}

static void test_new_pod(void **state)
{
    (void)state;
    pod_fixture fx;
    pod_fixture_start(&fx, NULL);
    json_t *pod = fx_pod();
    answer_json(&fx, "GET", FX_POD_PATH, 200, pod, 0);
    answer_json(&fx, "PATCH", FX_POD_PATH, 200, pod, 0);
    json_t *kp = fx_kuryrport();
    answer_json(&fx, "POST", "/apis/openstack.org/v1/namespaces/" FX_NS "/kuryrports", 201, kp, 0);
    assert_int_equal(pod_fixture_run(&fx, H, pod, false, 1), KURYR_WORK_DONE);
    size_t fin_at, kp_at;
    const test_httpd_request *fin = fx_find(&fx, "PATCH", FX_POD_PATH, 0, &fin_at);
    const test_httpd_request *made = fx_find(&fx, "POST", "/apis/openstack.org/v1/namespaces/" FX_NS "/kuryrports",
                                             0, &kp_at);
    assert_non_null(fin);
    assert_non_null(made);
    assert_true(fin_at < kp_at); /* the finalizer before anything that must be cleaned up */
    assert_non_null(strstr(fin->body, KURYR_K8S_POD_FINALIZER));
    json_t *body = json_loads(made->body, 0, NULL);
    assert_string_equal(kuryr_k8s_obj_name(body), FX_POD);
    assert_string_equal(kuryr_k8s_obj_namespace(body), FX_NS);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(body, "metadata"),
                                                                          "labels"), KURYR_K8S_NODE_LABEL)),
                        FX_NODE);
    assert_true(kuryr_k8s_obj_has_finalizer(body, KURYR_K8S_KP_FINALIZER));
    json_t *spec = json_object_get(body, "spec");
    assert_string_equal(json_string_value(json_object_get(spec, "podUid")), FX_UID);
    assert_string_equal(json_string_value(json_object_get(spec, "podNodeName")), FX_NODE);
    assert_true(json_is_false(json_object_get(spec, "podStatic")));
    json_decref(body);
    /* again (a resync, a status change): the finalizer is there, the KuryrPort exists with this uid */
    pod_fixture_stop(&fx, H);
    pod_fixture_start(&fx, NULL);
    json_object_set_new(json_object_get(pod, "metadata"), "finalizers", json_pack("[s]", KURYR_K8S_POD_FINALIZER));
    test_httpd_answer(fx.srv, "POST", "/apis/openstack.org/v1/namespaces/" FX_NS "/kuryrports", 409,
                      "{\"kind\": \"Status\", \"reason\": \"AlreadyExists\", \"code\": 409}");
    answer_json(&fx, "GET", FX_KP_PATH, 200, kp, 0);
    assert_int_equal(pod_fixture_run(&fx, H, pod, false, 1), KURYR_WORK_DONE);
    assert_int_equal(fx_count(&fx, "PATCH", "/"), 0);
    assert_int_equal(fx_count(&fx, "DELETE", "/"), 0);
    json_decref(kp);
    json_decref(pod);
    pod_fixture_stop(&fx, H);
}

static json_t *deleting_pod(void)
{
    json_t *pod = fx_pod();
    json_t *meta = json_object_get(pod, "metadata");
    json_object_set_new(meta, "finalizers", json_pack("[s]", KURYR_K8S_POD_FINALIZER));
    json_object_set_new(meta, "deletionTimestamp", json_string("2026-12-03T10:00:00Z"));
    return pod;
}

static void test_deleted_pod(void **state)
{
    (void)state;
    pod_fixture fx;
    pod_fixture_start(&fx, NULL);
    json_t *pod = deleting_pod(), *kp = fx_kuryrport();
    /* first run: the KuryrPort exists: deleted (with its uid as precondition), the pod finalizer stays */
    answer_json(&fx, "GET", FX_KP_PATH, 200, kp, 1);
    test_httpd_answer(fx.srv, "DELETE", FX_KP_PATH, 200, "{}");
    assert_int_equal(pod_fixture_run(&fx, H, pod, false, 1), KURYR_WORK_RETRY);
    const test_httpd_request *del = fx_find(&fx, "DELETE", FX_KP_PATH, 0, NULL);
    assert_non_null(del);
    assert_non_null(strstr(del->body, "99999999-9999-4999-8999-999999999999"));
    assert_int_equal(fx_count(&fx, "PATCH", FX_POD_PATH), 0);
    /* second run: still there, being deleted (its port goes first): no second delete, still waiting */
    json_object_set_new(json_object_get(kp, "metadata"), "deletionTimestamp", json_string("2026-12-03T10:00:01Z"));
    answer_json(&fx, "GET", FX_KP_PATH, 200, kp, 1);
    assert_int_equal(pod_fixture_run(&fx, H, pod, false, 2), KURYR_WORK_RETRY);
    assert_int_equal(fx_count(&fx, "DELETE", FX_KP_PATH), 1);
    /* third run: gone: now the pod finalizer */
    test_httpd_answer(fx.srv, "GET", FX_KP_PATH, 404, "{\"kind\": \"Status\", \"reason\": \"NotFound\", \"code\": 404}");
    answer_json(&fx, "GET", FX_POD_PATH, 200, pod, 0);
    answer_json(&fx, "PATCH", FX_POD_PATH, 200, pod, 0);
    assert_int_equal(pod_fixture_run(&fx, H, pod, false, 3), KURYR_WORK_DONE);
    const test_httpd_request *fin = fx_find(&fx, "PATCH", FX_POD_PATH, 0, NULL);
    assert_non_null(fin);
    assert_null(strstr(fin->body, KURYR_K8S_POD_FINALIZER));
    json_decref(kp);
    json_decref(pod);
    pod_fixture_stop(&fx, H);
}

/* A KuryrPort of this name that belongs to an earlier pod (other podUid): deleted, then made again. And a
 * deleted pod never deletes a KuryrPort of a newer pod of its name. */
static void test_stale_kuryrport(void **state)
{
    (void)state;
    pod_fixture fx;
    pod_fixture_start(&fx, NULL);
    json_t *pod = fx_pod(), *old = fx_kuryrport();
    json_object_set_new(json_object_get(old, "spec"), "podUid", json_string("00000000-0000-4000-8000-000000000000"));
    json_object_set_new(json_object_get(pod, "metadata"), "finalizers", json_pack("[s]", KURYR_K8S_POD_FINALIZER));
    test_httpd_answer(fx.srv, "POST", "/apis/openstack.org/v1/namespaces/" FX_NS "/kuryrports", 409,
                      "{\"kind\": \"Status\", \"reason\": \"AlreadyExists\", \"code\": 409}");
    answer_json(&fx, "GET", FX_KP_PATH, 200, old, 0);
    test_httpd_answer(fx.srv, "DELETE", FX_KP_PATH, 200, "{}");
    assert_int_equal(pod_fixture_run(&fx, H, pod, false, 1), KURYR_WORK_RETRY);
    assert_int_equal(fx_count(&fx, "DELETE", FX_KP_PATH), 1);
    pod_fixture_stop(&fx, H);
    pod_fixture_start(&fx, NULL);
    json_t *gone = deleting_pod();
    answer_json(&fx, "GET", FX_KP_PATH, 200, old, 0);
    answer_json(&fx, "GET", FX_POD_PATH, 200, gone, 0);
    answer_json(&fx, "PATCH", FX_POD_PATH, 200, gone, 0);
    assert_int_equal(pod_fixture_run(&fx, H, gone, false, 1), KURYR_WORK_DONE);
    assert_int_equal(fx_count(&fx, "DELETE", "/"), 0);
    json_decref(gone);
    json_decref(old);
    json_decref(pod);
    pod_fixture_stop(&fx, H);
}

/* [kubernetes] watch_namespace narrows both handlers' watches; empty watches all namespaces. */
static void test_watch_namespace(void **state)
{
    (void)state;
    const char *one[] = {"kubernetes", "watch_namespace", FX_NS, NULL};
    const kc_handler_def *defs[] = {&kc_vif_handler, &kc_kuryrport_handler};
    for (size_t i = 0; i < 2; i++) {
        pod_fixture fx;
        kuryr_error err;
        pod_fixture_start(&fx, one);
        assert_int_equal(pod_fixture_init(&fx, defs[i], &err), 0);
        assert_string_equal(fx.watch.namespace, FX_NS);
        pod_fixture_stop(&fx, defs[i]);
        pod_fixture_start(&fx, NULL);
        assert_int_equal(pod_fixture_init(&fx, defs[i], &err), 0);
        assert_null(fx.watch.namespace);
        pod_fixture_stop(&fx, defs[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skipped_pods),
        cmocka_unit_test(test_new_pod),
        cmocka_unit_test(test_deleted_pod),
        cmocka_unit_test(test_stale_kuryrport),
        cmocka_unit_test(test_watch_namespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
