/* See pod_fixture.h. */
#include "pod_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/log.h"

static void set(kuryr_config *cfg, const char *section, const char *name, const char *value)
{
    char msg[256];
    if (kuryr_config_set(cfg, section, name, value, msg, sizeof(msg)) != 0)
        fail_msg("[%s] %s = %s: %s", section, name, value, msg);
}

void pod_fixture_start(pod_fixture *fx, const char *const *extra)
{
    memset(fx, 0, sizeof(*fx));
    kuryr_log_set_level(KURYR_LOG_ERROR);
    fx->srv = test_httpd_start(false);
    assert_non_null(fx->srv);
    kuryr_k8s_config kc = {.server = (char *)test_httpd_url(fx->srv)};
    kuryr_error err;
    fx->client = kuryr_k8s_client_new(&kc, NULL, &err);
    assert_non_null(fx->client);
    fx->cfg = kuryr_config_new();
    set(fx->cfg, "neutron", "auth_type", "none");
    set(fx->cfg, "neutron", "endpoint_override", test_httpd_url(fx->srv));
    set(fx->cfg, "neutron_defaults", "pod_subnet", FX_SUBNET);
    set(fx->cfg, "neutron_defaults", "pod_security_groups", FX_SG);
    set(fx->cfg, "neutron_defaults", "resource_tags", "k8s-pods");
    set(fx->cfg, "kubernetes", "cluster_name", "testc");
    for (size_t i = 0; extra && extra[i]; i += 3)
        set(fx->cfg, extra[i], extra[i + 1], extra[i + 2]);
    atomic_init(&fx->ctl.leading, true);
    test_httpd_answer(fx->srv, "GET", "/v2.0/subnets/" FX_SUBNET, 200,
                      "{\"subnet\": {\"id\": \"" FX_SUBNET "\", \"network_id\": \"" FX_NET "\", \"cidr\": "
                      "\"10.3.0.0/24\", \"gateway_ip\": \"10.3.0.1\", \"ip_version\": 4, \"dns_nameservers\": "
                      "[\"10.3.0.2\"], \"host_routes\": [{\"destination\": \"10.96.0.0/12\", \"nexthop\": "
                      "\"10.3.0.254\"}]}}");
    test_httpd_answer(fx->srv, "GET", "/v2.0/networks/" FX_NET, 200,
                      "{\"network\": {\"id\": \"" FX_NET "\", \"mtu\": 1450}}");
    test_httpd_answer(fx->srv, "GET", "/v2.0/security-groups/" FX_SG, 200,
                      "{\"security_group\": {\"id\": \"" FX_SG "\", \"security_group_rules\": []}}");
}

int pod_fixture_init(pod_fixture *fx, const kc_handler_def *def, kuryr_error *err)
{
    kc_handler_env env = {.cfg = fx->cfg, .client = fx->client, .identity = "test"};
    return def->init ? def->init(&env, &fx->state, &fx->watch, err) : 0;
}

void pod_fixture_stop(pod_fixture *fx, const kc_handler_def *def)
{
    if (def && def->fini && fx->state)
        def->fini(fx->state);
    kuryr_k8s_client_free(fx->client);
    test_httpd_stop(fx->srv);
    kuryr_config_free(fx->cfg);
}

kuryr_work_result pod_fixture_run(pod_fixture *fx, const kc_handler_def *def, const json_t *obj, bool deleted,
                                  unsigned attempt)
{
    char *key = kuryr_k8s_obj_key(obj);
    kc_event ev = {.ctl = &fx->ctl, .client = fx->client, .key = key, .obj = obj, .deleted = deleted,
                   .attempt = attempt, .state = fx->state};
    kuryr_work_result r = def->handle(&ev);
    free(key);
    return r;
}

const test_httpd_request *fx_find(pod_fixture *fx, const char *method, const char *path, size_t nth, size_t *index)
{
    size_t n = test_httpd_request_count(fx->srv);
    for (size_t i = 0; i < n; i++) {
        const test_httpd_request *r = test_httpd_request_at(fx->srv, i);
        if (!strcmp(r->method, method) && !strncmp(r->path, path, strlen(path)) && nth-- == 0) {
            if (index)
                *index = i;
            return r;
        }
    }
    return NULL;
}

size_t fx_count(pod_fixture *fx, const char *method, const char *path)
{
    size_t n = 0;
    while (fx_find(fx, method, path, n, NULL))
        n++;
    return n;
}

json_t *fx_pod(void)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "Pod",
                     "metadata", "name", FX_POD, "namespace", FX_NS, "uid", FX_UID, "resourceVersion", "10", "spec",
                     "nodeName", FX_NODE, "status", "phase", "Pending");
}

json_t *fx_kuryrport(void)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:[s]}, s:{s:s, s:s, s:b}}", "apiVersion",
                     "openstack.org/v1", "kind", "KuryrPort", "metadata", "name", FX_POD, "namespace", FX_NS, "uid",
                     "99999999-9999-4999-8999-999999999999", "resourceVersion", "20", "finalizers",
                     "kuryr.openstack.org/kuryrport-finalizer", "spec", "podUid", FX_UID, "podNodeName", FX_NODE,
                     "podStatic", 0);
}

char *fx_port_json(const char *id, bool marked, const char *vif_type, const char *status)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:[s], s:s}", "id", id,
                          "name", FX_NS "/" FX_POD, "network_id", FX_NET, "mac_address", "fa:16:3e:00:00:07",
                          "status", status, "device_owner", "compute:kuryr", "device_id", FX_UID, "binding:host_id",
                          FX_NODE, "binding:vif_type", vif_type, "fixed_ips", "subnet_id", FX_SUBNET, "ip_address",
                          "10.3.0.7", "security_groups", FX_SG, "project_id", "0f3a9c1d2e4b4a6f8c0d1e2f3a4b5c6d");
    json_object_set_new(p, "tags", marked ? json_pack("[ss]", "k8s-pods", FX_MARKER) : json_array());
    json_object_set_new(p, "description", json_string(marked ? FX_MARKER : ""));
    char *s = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    return s;
}
