/* One scripted server playing both the kube-apiserver and Neutron (their paths differ), a Kubernetes client
 * and a kuryr_config aimed at it, and a controller that leads: the fixture of the vif and kuryrport handler
 * tests. Each test starts its own (pod_fixture_start), scripts answers, runs a handler, reads the requests. */
#ifndef KC_TEST_POD_FIXTURE_H
#define KC_TEST_POD_FIXTURE_H

#include <jansson.h>

#include "controller_internal.h"
#include "handler.h"
#include "test_httpd.h"

#define FX_NS "team-a"
#define FX_POD "web-1"
#define FX_UID "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
#define FX_NODE "node-7"
#define FX_SUBNET "11111111-1111-4111-8111-111111111111"
#define FX_NET "22222222-2222-4222-8222-222222222222"
#define FX_SG "33333333-3333-4333-8333-333333333333"
#define FX_PORT "44444444-4444-4444-8444-444444444444"
#define FX_PORT2 "55555555-5555-4555-8555-555555555555"
#define FX_MARKER "kuryr.cluster:testc"
#define FX_KP_PATH "/apis/openstack.org/v1/namespaces/" FX_NS "/kuryrports/" FX_POD
#define FX_POD_PATH "/api/v1/namespaces/" FX_NS "/pods/" FX_POD

typedef struct {
    test_httpd *srv;
    kuryr_k8s_client *client;
    kuryr_config *cfg;
    kc_controller ctl;
    void *state;   /* the handler's, from its init */
    kc_watch_spec watch; /* what its init asked to watch */
} pod_fixture;

/* Starts the server and client; cfg has [neutron] (no auth, the server as endpoint), [neutron_defaults]
 * pod_subnet, pod_security_groups, resource_tags and [kubernetes] cluster_name, then extra "section", "name",
 * "value" triples (NULL-terminated). Scripts Neutron's answers for the subnet, network and group. */
void pod_fixture_start(pod_fixture *fx, const char *const *extra);
void pod_fixture_stop(pod_fixture *fx, const kc_handler_def *def);
/* Runs def's init; 0 or -1 with err. */
int pod_fixture_init(pod_fixture *fx, const kc_handler_def *def, kuryr_error *err);
/* One handler run on obj (borrowed). */
kuryr_work_result pod_fixture_run(pod_fixture *fx, const kc_handler_def *def, const json_t *obj, bool deleted,
                                  unsigned attempt);
/* The i-th recorded request whose method is method and whose path starts with path; NULL if none. *index (may
 * be NULL) gets its position among all requests. */
const test_httpd_request *fx_find(pod_fixture *fx, const char *method, const char *path, size_t nth, size_t *index);
size_t fx_count(pod_fixture *fx, const char *method, const char *path);
/* Objects the tests start from (new references). */
json_t *fx_pod(void);
json_t *fx_kuryrport(void);
/* A Neutron port of the pod as JSON text, malloc'd: id, tags (marked or not), vif_type, status. */
char *fx_port_json(const char *id, bool marked, const char *vif_type, const char *status);

#endif
