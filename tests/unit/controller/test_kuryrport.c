/* The kuryrport handler against one scripted kube-apiserver + Neutron: the port it asks for, the VIF it writes,
 * a crash replay (the port exists, the status was never written: no second port), activation, the order of a
 * deletion (port, then finalizer; unmarked ports left alone), a port Neutron could not bind, and the
 * configurations it refuses at start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/k8s_vif.h"
#include "pod_fixture.h"

#define PORTS_OF_POD "/v2.0/ports?device_id=" FX_UID

static const kc_handler_def *H = &kc_kuryrport_handler;

static void start(pod_fixture *fx)
{
    pod_fixture_start(fx, NULL);
    kuryr_error err;
    if (pod_fixture_init(fx, H, &err) != 0)
        fail_msg("init: %s", err.message);
}

/* The KuryrPort GET (read-modify-write of the status) and its status PATCH. */
static void script_kp_writes(pod_fixture *fx)
{
    json_t *kp = fx_kuryrport();
    char *text = json_dumps(kp, JSON_COMPACT);
    test_httpd_answer(fx->srv, "GET", FX_KP_PATH, 200, text);
    test_httpd_answer(fx->srv, "PATCH", FX_KP_PATH, 200, text);
    test_httpd_answer(fx->srv, "POST", "/api/v1/namespaces/" FX_NS "/events", 201, "{}");
    free(text);
    json_decref(kp);
}

static json_t *body_of(const test_httpd_request *r)
{
    assert_non_null(r);
    json_t *j = json_loads(r->body, 0, NULL);
    assert_non_null(j);
    return j;
}

/* The VIF of a status PATCH. */
static void vif_of_patch(const test_httpd_request *r, kuryr_k8s_vif *vif)
{
    json_t *patch = body_of(r);
    kuryr_error err;
    assert_int_equal(kuryr_k8s_kuryrport_vif(patch, "eth0", vif, &err), 1);
    json_decref(patch);
}

static void test_new_port(void **state)
{
    (void)state;
    pod_fixture fx;
    start(&fx);
    script_kp_writes(&fx);
    test_httpd_answer(fx.srv, "GET", PORTS_OF_POD, 200, "{\"ports\": []}");
    char *port = fx_port_json(FX_PORT, true, "bridge", "DOWN");
    char answer[4096];
    snprintf(answer, sizeof(answer), "{\"port\": %s}", port);
    test_httpd_answer(fx.srv, "POST", "/v2.0/ports", 201, answer);
    json_t *kp = fx_kuryrport();
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 1), KURYR_WORK_POLL); /* written, not active yet */
    assert_int_equal(fx_count(&fx, "POST", "/v2.0/ports"), 1);
    json_t *root = body_of(fx_find(&fx, "POST", "/v2.0/ports", 0, NULL)), *body = json_object_get(root, "port");
    assert_string_equal(json_string_value(json_object_get(body, "device_owner")), "compute:kuryr");
    assert_string_equal(json_string_value(json_object_get(body, "device_id")), FX_UID);
    assert_string_equal(json_string_value(json_object_get(body, "binding:host_id")), FX_NODE);
    assert_string_equal(json_string_value(json_object_get(body, "network_id")), FX_NET);
    assert_string_equal(json_string_value(json_object_get(body, "name")), FX_NS "/" FX_POD);
    assert_string_equal(json_string_value(json_object_get(body, "description")), FX_MARKER);
    assert_string_equal(json_string_value(json_array_get(json_object_get(body, "security_groups"), 0)), FX_SG);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(body, "fixed_ips"), 0), "subnet_id")),
        FX_SUBNET);
    json_t *tags = json_object_get(body, "tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_array_get(tags, 1)), FX_MARKER);
    assert_null(json_object_get(body, "project_id")); /* [neutron_defaults] project empty: the credentials' */
    json_decref(root);
    kuryr_k8s_vif vif;
    vif_of_patch(fx_find(&fx, "PATCH", FX_KP_PATH "/status", 0, NULL), &vif);
    assert_string_equal(vif.port_id, FX_PORT);
    assert_false(vif.active);
    assert_string_equal(vif.plugin, "linux_bridge");
    assert_string_equal(vif.bridge_name, "brq22222222-22");
    assert_string_equal(vif.ips[0].address, "10.3.0.7");
    assert_string_equal(vif.ips[0].cidr, "10.3.0.0/24");
    assert_int_equal(vif.mtu, 1450);
    assert_string_equal(vif.routes[0].dst, "10.96.0.0/12");
    assert_string_equal(vif.dns[0], "10.3.0.2");
    free(port);
    json_decref(kp);
    pod_fixture_stop(&fx, H);
}

/* SIGKILL after the port's create, before the status write: the next run finds the port by the pod's uid. */
static void test_crash_replay_makes_no_second_port(void **state)
{
    (void)state;
    pod_fixture fx;
    start(&fx);
    script_kp_writes(&fx);
    char *port = fx_port_json(FX_PORT, true, "ovs", "DOWN");
    char answer[4096];
    snprintf(answer, sizeof(answer), "{\"ports\": [%s]}", port);
    test_httpd_answer(fx.srv, "GET", PORTS_OF_POD, 200, answer);
    test_httpd_answer(fx.srv, "POST", "/v2.0/ports", 201, "{}");
    json_t *kp = fx_kuryrport();
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 1), KURYR_WORK_POLL);
    assert_int_equal(fx_count(&fx, "POST", "/v2.0/ports"), 0);
    const test_httpd_request *q = fx_find(&fx, "GET", PORTS_OF_POD, 0, NULL);
    assert_true(strstr(q->path, "device_owner=compute%3Akuryr") || strstr(q->path, "device_owner=compute:kuryr"));
    kuryr_k8s_vif vif;
    vif_of_patch(fx_find(&fx, "PATCH", FX_KP_PATH "/status", 0, NULL), &vif);
    assert_string_equal(vif.port_id, FX_PORT);
    assert_string_equal(vif.plugin, "ovs");
    assert_string_equal(vif.bridge_name, "br-int");
    free(port);
    json_decref(kp);
    pod_fixture_stop(&fx, H);
}

static json_t *kp_with_vif(bool active)
{
    json_t *kp = fx_kuryrport();
    kuryr_k8s_vif vif = {0};
    snprintf(vif.port_id, sizeof(vif.port_id), FX_PORT);
    snprintf(vif.mac, sizeof(vif.mac), "fa:16:3e:00:00:07");
    snprintf(vif.network_id, sizeof(vif.network_id), FX_NET);
    snprintf(vif.plugin, sizeof(vif.plugin), "linux_bridge");
    snprintf(vif.vif_name, sizeof(vif.vif_name), "tap44444444-44");
    vif.active = active;
    vif.n_ips = 1;
    snprintf(vif.ips[0].address, 64, "10.3.0.7");
    snprintf(vif.ips[0].cidr, 64, "10.3.0.0/24");
    json_object_set_new(kp, "status", json_pack("{s:{s:{s:b, s:o}}}", "vifs", "eth0", "default", 1, "vif",
                                                kuryr_k8s_vif_to_json(&vif)));
    return kp;
}

static void test_activation(void **state)
{
    (void)state;
    pod_fixture fx;
    start(&fx);
    script_kp_writes(&fx);
    char *down = fx_port_json(FX_PORT, true, "bridge", "DOWN"), *up = fx_port_json(FX_PORT, true, "bridge", "ACTIVE");
    char answer[4096];
    snprintf(answer, sizeof(answer), "{\"port\": %s}", down);
    test_httpd_add(fx.srv, &(test_httpd_script){"GET", "/v2.0/ports/" FX_PORT, 200, answer, .times = 1});
    char answer2[4096];
    snprintf(answer2, sizeof(answer2), "{\"port\": %s}", up);
    test_httpd_answer(fx.srv, "GET", "/v2.0/ports/" FX_PORT, 200, answer2);
    json_t *kp = kp_with_vif(false);
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 1), KURYR_WORK_POLL); /* DOWN: polled again */
    assert_int_equal(fx_count(&fx, "PATCH", FX_KP_PATH), 0);
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 2), KURYR_WORK_DONE); /* ACTIVE: written */
    kuryr_k8s_vif vif;
    vif_of_patch(fx_find(&fx, "PATCH", FX_KP_PATH "/status", 0, NULL), &vif);
    assert_true(vif.active);
    json_t *patch = body_of(fx_find(&fx, "PATCH", FX_KP_PATH "/status", 0, NULL));
    assert_string_equal(json_string_value(json_object_get(json_object_get(patch, "status"), "state")), "Active");
    json_decref(patch);
    /* an active VIF costs no request at all */
    size_t before = test_httpd_request_count(fx.srv);
    json_t *done = kp_with_vif(true);
    assert_int_equal(pod_fixture_run(&fx, H, done, false, 1), KURYR_WORK_DONE);
    assert_int_equal(test_httpd_request_count(fx.srv), before);
    assert_int_equal(fx_count(&fx, "POST", "/v2.0/ports"), 0);
    json_decref(done);
    json_decref(kp);
    free(down);
    free(up);
    pod_fixture_stop(&fx, H);
}

/* Polling ends with a Warning Event after its bound, not in a retry storm. */
static void test_activation_bounded(void **state)
{
    (void)state;
    pod_fixture fx;
    start(&fx);
    script_kp_writes(&fx);
    char *down = fx_port_json(FX_PORT, true, "bridge", "DOWN");
    char answer[4096];
    snprintf(answer, sizeof(answer), "{\"port\": %s}", down);
    test_httpd_answer(fx.srv, "GET", "/v2.0/ports/" FX_PORT, 200, answer);
    json_t *kp = kp_with_vif(false);
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 299), KURYR_WORK_POLL);
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 300), KURYR_WORK_DONE);
    json_t *ev = body_of(fx_find(&fx, "POST", "/api/v1/namespaces/" FX_NS "/events", 0, NULL));
    assert_string_equal(json_string_value(json_object_get(ev, "reason")), "PortNotActive");
    json_decref(ev);
    json_decref(kp);
    free(down);
    pod_fixture_stop(&fx, H);
}

static void test_deletion_order(void **state)
{
    (void)state;
    pod_fixture fx;
    start(&fx);
    char *mine = fx_port_json(FX_PORT, true, "bridge", "ACTIVE"), *other = fx_port_json(FX_PORT2, false, "bridge",
                                                                                           "ACTIVE");
    char answer[8192];
    snprintf(answer, sizeof(answer), "{\"ports\": [%s, %s]}", mine, other);
    test_httpd_answer(fx.srv, "GET", PORTS_OF_POD, 200, answer);
    test_httpd_answer(fx.srv, "DELETE", "/v2.0/ports/", 204, NULL);
    json_t *kp = kp_with_vif(true);
    json_object_set_new(json_object_get(kp, "metadata"), "deletionTimestamp", json_string("2026-12-03T10:00:00Z"));
    char *text = json_dumps(kp, JSON_COMPACT);
    test_httpd_answer(fx.srv, "GET", FX_KP_PATH, 200, text);
    test_httpd_answer(fx.srv, "PATCH", FX_KP_PATH, 200, text);
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 1), KURYR_WORK_DONE);
    size_t del_at, patch_at;
    assert_non_null(fx_find(&fx, "DELETE", "/v2.0/ports/" FX_PORT, 0, &del_at));
    assert_int_equal(fx_count(&fx, "DELETE", "/v2.0/ports/" FX_PORT2), 0); /* no marker: not ours */
    const test_httpd_request *p = fx_find(&fx, "PATCH", FX_KP_PATH, 0, &patch_at);
    assert_true(del_at < patch_at); /* the port first, the finalizer last */
    json_t *patch = body_of(p);
    assert_int_equal(json_array_size(json_object_get(json_object_get(patch, "metadata"), "finalizers")), 0);
    json_decref(patch);
    /* a port already gone (404) is done too */
    pod_fixture_stop(&fx, H);
    start(&fx);
    snprintf(answer, sizeof(answer), "{\"ports\": [%s]}", mine);
    test_httpd_answer(fx.srv, "GET", PORTS_OF_POD, 200, answer);
    test_httpd_answer(fx.srv, "DELETE", "/v2.0/ports/", 404, "{\"NeutronError\": {\"type\": \"PortNotFound\"}}");
    test_httpd_answer(fx.srv, "GET", FX_KP_PATH, 200, text);
    test_httpd_answer(fx.srv, "PATCH", FX_KP_PATH, 200, text);
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 1), KURYR_WORK_DONE);
    assert_int_equal(fx_count(&fx, "PATCH", FX_KP_PATH), 1);
    /* Neutron failing: the finalizer stays, the run is retried */
    pod_fixture_stop(&fx, H);
    start(&fx);
    test_httpd_answer(fx.srv, "GET", PORTS_OF_POD, 200, answer);
    test_httpd_answer(fx.srv, "DELETE", "/v2.0/ports/", 500, "{}");
    test_httpd_answer(fx.srv, "GET", FX_KP_PATH, 200, text);
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 1), KURYR_WORK_RETRY);
    assert_int_equal(fx_count(&fx, "PATCH", FX_KP_PATH), 0);
    free(text);
    free(mine);
    free(other);
    json_decref(kp);
    pod_fixture_stop(&fx, H);
}

static void test_binding_failed(void **state)
{
    (void)state;
    pod_fixture fx;
    start(&fx);
    script_kp_writes(&fx);
    test_httpd_answer(fx.srv, "GET", PORTS_OF_POD, 200, "{\"ports\": []}");
    char *port = fx_port_json(FX_PORT, true, "binding_failed", "DOWN");
    char answer[4096];
    snprintf(answer, sizeof(answer), "{\"port\": %s}", port);
    test_httpd_answer(fx.srv, "POST", "/v2.0/ports", 201, answer);
    test_httpd_answer(fx.srv, "DELETE", "/v2.0/ports/" FX_PORT, 204, NULL);
    json_t *kp = fx_kuryrport();
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 1), KURYR_WORK_RETRY); /* the agent may come back */
    assert_int_equal(fx_count(&fx, "DELETE", "/v2.0/ports/" FX_PORT), 1);
    assert_int_equal(fx_count(&fx, "PATCH", FX_KP_PATH), 0);
    json_t *ev = body_of(fx_find(&fx, "POST", "/api/v1/namespaces/" FX_NS "/events", 0, NULL));
    assert_string_equal(json_string_value(json_object_get(ev, "reason")), "BindingFailed");
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "Warning");
    json_decref(ev);
    /* the retries record no second Event */
    assert_int_equal(pod_fixture_run(&fx, H, kp, false, 2), KURYR_WORK_RETRY);
    assert_int_equal(fx_count(&fx, "POST", "/api/v1/namespaces/" FX_NS "/events"), 1);
    assert_int_equal(fx_count(&fx, "DELETE", "/v2.0/ports/" FX_PORT), 2);
    free(port);
    json_decref(kp);
    pod_fixture_stop(&fx, H);
}

static void assert_refused(const char *const *extra, const char *says, bool subnet_missing)
{
    pod_fixture fx;
    pod_fixture_start(&fx, extra);
    if (subnet_missing) {
        test_httpd_stop(fx.srv); /* a fresh server without the subnet */
        fx.srv = test_httpd_start(false);
        char msg[256];
        assert_int_equal(kuryr_config_set(fx.cfg, "neutron", "endpoint_override", test_httpd_url(fx.srv), msg,
                                          sizeof(msg)),
                         0);
        test_httpd_answer(fx.srv, "GET", "/v2.0/subnets/", 404, "{\"NeutronError\": {\"type\": \"SubnetNotFound\"}}");
    }
    kuryr_error err;
    kuryr_error_clear(&err);
    assert_int_equal(pod_fixture_init(&fx, H, &err), -1);
    assert_null(fx.state);
    if (!strstr(err.message, says))
        fail_msg("\"%s\" does not say \"%s\"", err.message, says);
    pod_fixture_stop(&fx, H);
}

static void test_config_errors(void **state)
{
    (void)state;
    const char *no_subnet[] = {"neutron_defaults", "pod_subnet", "", NULL};
    assert_refused(no_subnet, "[neutron_defaults] pod_subnet", false);
    assert_refused(NULL, "no such subnet", true);
    const char *bad_sg[] = {"neutron_defaults", "pod_security_groups", FX_SG ",66666666-6666-4666-8666-666666666666",
                            NULL};
    assert_refused(bad_sg, "no such security group", false);
    const char *nested[] = {"kubernetes", "pod_vif_driver", "nested-vlan", NULL};
    assert_refused(nested, "only the driver neutron-vif", false);
    const char *ns[] = {"kubernetes", "pod_subnets_driver", "namespace", NULL};
    assert_refused(ns, "pod_subnets_driver", false);
    const char *policy[] = {"kubernetes", "pod_security_groups_driver", "policy", NULL};
    assert_refused(policy, "pod_security_groups_driver", false);
    const char *cluster[] = {"kubernetes", "cluster_name", "a-cluster-name-that-is-much-too-long-for-neutron-tags",
                             NULL};
    assert_refused(cluster, "cluster_name", false);
    const char *mtu[] = {"neutron_defaults", "network_device_mtu", "70000", NULL};
    assert_refused(mtu, "network_device_mtu", false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_port),        cmocka_unit_test(test_crash_replay_makes_no_second_port),
        cmocka_unit_test(test_activation),      cmocka_unit_test(test_activation_bounded),
        cmocka_unit_test(test_deletion_order),  cmocka_unit_test(test_binding_failed),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
