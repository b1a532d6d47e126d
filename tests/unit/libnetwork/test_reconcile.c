/* The reconciliation pass against a scripted Docker and Neutron on 127.0.0.1, inside a private network
 * namespace (so that the tap sweep sees only the veths this test makes): which objects it calls orphans,
 * that a dry run changes nothing, and that objects without kuryr's markers, or too recent, are left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kuryr/config.h"
#include "kuryr/log.h"
#include "metrics.h"
#include "plugin.h"
#include "plugin_fixture.h"
#include "reconcile.h"
#include "test_httpd.h"

#define NET_LIVE "1111111111111111111111111111111122222222222222222222222222222222"
#define NET_GONE "3333333333333333333333333333333344444444444444444444444444444444"
#define EP_LIVE "5555555555555555555555555555555555555555555555555555555555555555"
#define EP_GONE "6666666666666666666666666666666666666666666666666666666666666666"
#define NN_LIVE "a0000000-0000-4000-8000-000000000001"
#define NN_GONE "a0000000-0000-4000-8000-000000000002"
#define NN_OTHER "a0000000-0000-4000-8000-000000000003"
#define P_LIVE "b1111111-0000-4000-8000-000000000001"
#define P_GONE "b2222222-0000-4000-8000-000000000002"
#define P_NOVA "b3333333-0000-4000-8000-000000000003"
#define P_IPAM_GONE "b4444444-0000-4000-8000-000000000004"
#define P_IPAM_LIVE "b5555555-0000-4000-8000-000000000005"
#define P_EXISTING "b6666666-0000-4000-8000-000000000006"
#define P_YOUNG "b7777777-0000-4000-8000-000000000007"
#define P_IN_GONE_NET "b8888888-0000-4000-8000-000000000008"
#define P_LATE "b9999999-0000-4000-8000-000000000009"
#define P_LOOKALIKE "ba999999-0000-4000-8000-00000000000a"
#define SG_GONE "c0000000-0000-4000-8000-000000000001"
#define SG_LIVE "c0000000-0000-4000-8000-000000000002"
#define SUB_GONE "d0000000-0000-4000-8000-000000000001"
#define POOL_GONE "e0000000-0000-4000-8000-000000000001"
#define POOL_LIVE "e0000000-0000-4000-8000-000000000002"
#define OLD "\"updated_at\": \"2020-01-01T00:00:00Z\""
#define FUTURE "\"updated_at\": \"2999-01-01T00:00:00Z\""

static const char *DOCKER_NETS = "[{\"Id\": \"" NET_LIVE "\", \"Containers\": {}}]";
static const char *DOCKER_NET_LIVE =
    "{\"Id\": \"" NET_LIVE "\", \"IPAM\": {\"Config\": [{\"Subnet\": \"10.0.0.0/24\"}]}, \"Containers\": {\"c1\": "
    "{\"EndpointID\": \"" EP_LIVE "\", \"IPv4Address\": \"10.0.0.5/24\"}}}";

#define KPORT(id, net, name, dev, extra)                                                                        \
    "{\"id\": \"" id "\", \"network_id\": \"" net "\", \"name\": \"" name "\", \"device_owner\": \"compute:kuryr\", " \
    "\"device_id\": \"" dev "\", \"binding:host_id\": \"elsewhere\", " extra "}"

static const char *PORTS =
    "{\"ports\": ["
    KPORT(P_LIVE, NN_LIVE, EP_LIVE "-port", EP_LIVE, OLD "") ","
    KPORT(P_GONE, NN_LIVE, EP_GONE "-port", EP_GONE, OLD) ","
    "{\"id\": \"" P_NOVA "\", \"network_id\": \"" NN_LIVE "\", \"name\": \"" EP_GONE "-port\", "
    "\"device_owner\": \"compute:nova\", \"device_id\": \"" EP_GONE "\", " OLD "},"
    "{\"id\": \"" P_IPAM_GONE "\", \"network_id\": \"" NN_LIVE "\", \"name\": \"kuryr-unbound-port\", "
    "\"device_owner\": \"\", \"device_id\": \"\", \"tags\": [\"compute:kuryr\"], "
    "\"fixed_ips\": [{\"subnet_id\": \"s\", \"ip_address\": \"10.0.0.9\"}], " OLD "},"
    "{\"id\": \"" P_IPAM_LIVE "\", \"network_id\": \"" NN_LIVE "\", \"name\": \"kuryr-unbound-port\", "
    "\"device_owner\": \"\", \"device_id\": \"\", \"tags\": [\"compute:kuryr\"], "
    "\"fixed_ips\": [{\"subnet_id\": \"s\", \"ip_address\": \"10.0.0.5\"}], " OLD "},"
    KPORT(P_EXISTING, NN_LIVE, "mine", EP_GONE, "\"tags\": [\"kuryr.port.existing\"], " OLD) ","
    KPORT(P_YOUNG, NN_LIVE, EP_GONE "-port", EP_GONE, FUTURE) ","
    KPORT(P_IN_GONE_NET, NN_GONE, "kuryr-unbound-port", "", OLD) ","
    /* made by Neutron after its create timed out and the daemon restarted: no tag, only the description marker */
    "{\"id\": \"" P_LATE "\", \"network_id\": \"" NN_LIVE "\", \"name\": \"kuryr-unbound-port\", "
    "\"description\": \"kuryr-create-00112233445566778899aabbccddeeff\", \"device_owner\": \"\", \"device_id\": \"\", "
    "\"tags\": [], \"fixed_ips\": [{\"subnet_id\": \"s\", \"ip_address\": \"10.0.0.11\"}], " OLD "},"
    /* the same name without the marker is not kuryr's to touch */
    "{\"id\": \"" P_LOOKALIKE "\", \"network_id\": \"" NN_LIVE "\", \"name\": \"kuryr-unbound-port\", "
    "\"description\": \"\", \"device_owner\": \"\", \"device_id\": \"\", \"tags\": [], "
    "\"fixed_ips\": [{\"subnet_id\": \"s\", \"ip_address\": \"10.0.0.12\"}], " OLD "}"
    "]}";

static const char *NETWORKS =
    "{\"networks\": ["
    "{\"id\": \"" NN_LIVE "\", \"name\": \"kuryr-net-11111111\", \"tags\": [\"kuryr.net.uuid.lh:11111111111111111111111111111111\", "
    "\"kuryr.net.uuid.uh:22222222222222222222222222222222\"], " OLD "},"
    "{\"id\": \"" NN_GONE "\", \"name\": \"kuryr-net-33333333\", \"tags\": [\"kuryr.net.uuid.lh:33333333333333333333333333333333\", "
    "\"kuryr.net.uuid.uh:44444444444444444444444444444444\"], " OLD "},"
    "{\"id\": \"" NN_OTHER "\", \"name\": \"public\", \"tags\": [], " OLD "}"
    "]}";

static const char *SGS =
    "{\"security_groups\": ["
    "{\"id\": \"" SG_GONE "\", \"name\": \"" P_GONE "-exposed_ports\", " OLD "},"
    "{\"id\": \"" SG_LIVE "\", \"name\": \"" P_LIVE "-exposed_ports\", " OLD "},"
    "{\"id\": \"c0000000-0000-4000-8000-000000000003\", \"name\": \"default\", " OLD "}"
    "]}";

static const char *SUBNETS =
    "{\"subnets\": [{\"id\": \"" SUB_GONE "\", \"name\": \"kuryr-subnet-10.1.0.0/24\", \"network_id\": \"" NN_GONE
    "\", \"cidr\": \"10.1.0.0/24\", \"ip_version\": 4, \"subnetpool_id\": \"" POOL_GONE "\"}]}";

static const char *POOLS =
    "{\"subnetpools\": ["
    "{\"id\": \"" POOL_GONE "\", \"name\": \"kuryrPool-10.1.0.0/24\", \"prefixes\": [\"10.1.0.0/24\"], \"ip_version\": 4, " OLD "},"
    "{\"id\": \"" POOL_LIVE "\", \"name\": \"kuryrPool-10.0.0.0/24\", \"prefixes\": [\"10.0.0.0/24\"], \"ip_version\": 4, " OLD "},"
    "{\"id\": \"e0000000-0000-4000-8000-000000000003\", \"name\": \"kuryr\", \"prefixes\": [\"10.2.0.0/16\"], \"ip_version\": 4, " OLD "}"
    "]}";

typedef plugin_fixture fixture;

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

static void answer(fixture *f, const char *method, const char *path, int status, const char *body)
{
    test_httpd_answer(f->srv, method, path, status, body);
}

static int setup(void **state)
{
    /* a private netns: the tap sweep then only sees the veths made below */
    if (unshare(CLONE_NEWNET) < 0) {
        fprintf(stderr, "no private network namespace (not root?): skipping\n");
        return -1;
    }
    if (sh("ip link set lo up") < 0 || sh("ip link add tapb2222222-00 type veth peer name xb2") < 0 ||
        sh("ip link add tapb1111111-00 type veth peer name xb1") < 0 ||
        sh("ip link add tapf0000000-00 type veth peer name xf0") < 0 ||
        sh("ip link add tapnotkuryr type veth peer name xnk") < 0)
        return -1;
    fixture *f = pf_open();
    *state = f;
    if (!f)
        return -1;
    answer(f, "GET", "/networks/" NET_LIVE, 200, DOCKER_NET_LIVE);
    answer(f, "GET", "/networks", 200, DOCKER_NETS);
    answer(f, "GET", "/v2.0/extensions", 200, "{\"extensions\": [{\"alias\": \"standard-attr-tag\"}, {\"alias\": \"tag\"}]}");
    answer(f, "GET", "/v2.0/ports/" P_LIVE, 200, "{\"port\": " KPORT(P_LIVE, NN_LIVE, "x", EP_LIVE, OLD) "}");
    answer(f, "GET", "/v2.0/ports", 200, PORTS);
    answer(f, "GET", "/v2.0/networks", 200, NETWORKS);
    answer(f, "GET", "/v2.0/security-groups", 200, SGS);
    answer(f, "GET", "/v2.0/subnets", 200, SUBNETS);
    answer(f, "GET", "/v2.0/subnetpools/" POOL_GONE, 200,
           "{\"subnetpool\": {\"id\": \"" POOL_GONE "\", \"name\": \"kuryrPool-10.1.0.0/24\", \"prefixes\": []}}");
    answer(f, "GET", "/v2.0/subnetpools", 200, POOLS);
    answer(f, "DELETE", NULL, 204, NULL);
    answer(f, "PUT", NULL, 200, "{\"port\": {\"id\": \"" P_EXISTING "\"}}");
    const pf_setting docker[] = {{"DEFAULT", "docker_host", test_httpd_url(f->srv)}};
    return pf_set(f, docker, 1) < 0 ? -1 : pf_plugin_up(f);
}

/* ids listed under report[kind], space-separated, in report order */
static void ids(json_t *report, const char *kind, char *out, size_t len)
{
    out[0] = '\0';
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(report, kind), i, o) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%s", n ? " " : "", json_string_value(json_object_get(o, "id")));
    }
}

static size_t count_method(fixture *f, const char *method)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++)
        n += strcmp(test_httpd_request_at(f->srv, i)->method, method) == 0;
    return n;
}

static bool requested(fixture *f, const char *method, const char *path)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && !strcmp(r->path, path))
            return true;
    }
    return false;
}

static void check_findings(json_t *report)
{
    char buf[1024];
    ids(report, "ports", buf, sizeof(buf));
    /* the orphaned endpoint's port, the IPAM port of a released address, the user's port (unbound), the port
     * in the gone network, the late-created port; not the live endpoint's, not nova's, not the young one, not
     * the live address's, not an unmarked port that only shares the name */
    assert_string_equal(buf, P_GONE " " P_IPAM_GONE " " P_EXISTING " " P_IN_GONE_NET " " P_LATE);
    ids(report, "security_groups", buf, sizeof(buf));
    assert_string_equal(buf, SG_GONE);
    ids(report, "networks", buf, sizeof(buf));
    assert_string_equal(buf, NN_GONE);
    ids(report, "subnets", buf, sizeof(buf));
    assert_string_equal(buf, SUB_GONE);
    ids(report, "subnetpools", buf, sizeof(buf));
    assert_string_equal(buf, POOL_GONE);
    ids(report, "taps", buf, sizeof(buf));
    /* the orphan port's tap and a tap with no port at all; the live port's tap and a non-kuryr name stay */
    assert_true(strstr(buf, "tapb2222222-00") && strstr(buf, "tapf0000000-00"));
    assert_null(strstr(buf, "tapb1111111-00"));
    assert_null(strstr(buf, "tapnotkuryr"));
    assert_int_equal(json_array_size(json_object_get(report, "errors")), 0);
}

static void test_dry_run_changes_nothing(void **state)
{
    fixture *f = *state;
    json_t *report = NULL;
    kuryr_error err;
    kuryr_error_clear(&err);
    assert_int_equal(kuryr_reconcile(&f->p, true, &report, &err), 0);
    assert_true(json_is_true(json_object_get(report, "dry_run")));
    check_findings(report);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(report, "ports"), 0), "action")),
                        "would delete");
    assert_int_equal(count_method(f, "DELETE") + count_method(f, "PUT") + count_method(f, "POST"), 0);
    assert_true(if_nametoindex("tapb2222222-00") > 0 && if_nametoindex("tapf0000000-00") > 0);
    json_decref(report);
}

static void test_removes_only_orphans(void **state)
{
    fixture *f = *state;
    json_t *report = NULL;
    kuryr_error err;
    kuryr_error_clear(&err);
    kl_metrics_reset();
    assert_int_equal(kuryr_reconcile(&f->p, false, &report, &err), 0);
    check_findings(report);
    size_t found = 0;
    const char *kinds[] = {"ports", "security_groups", "subnets", "subnetpools", "networks", "taps"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        found += json_array_size(json_object_get(report, kinds[i]));
    assert_true(found > 0);
    char *metrics = kl_metrics_render(), line[64];
    snprintf(line, sizeof(line), "kuryr_orphans_found_total %zu\n", found);
    assert_non_null(strstr(metrics, line));
    free(metrics);
    assert_true(requested(f, "DELETE", "/v2.0/ports/" P_GONE));
    assert_true(requested(f, "DELETE", "/v2.0/ports/" P_IPAM_GONE));
    assert_true(requested(f, "DELETE", "/v2.0/ports/" P_IN_GONE_NET));
    assert_true(requested(f, "DELETE", "/v2.0/ports/" P_LATE));
    assert_false(requested(f, "DELETE", "/v2.0/ports/" P_LOOKALIKE));
    assert_true(requested(f, "PUT", "/v2.0/ports/" P_EXISTING));
    assert_true(requested(f, "DELETE", "/v2.0/security-groups/" SG_GONE));
    assert_true(requested(f, "DELETE", "/v2.0/networks/" NN_GONE));
    assert_true(requested(f, "DELETE", "/v2.0/subnetpools/" POOL_GONE));
    assert_int_equal(count_method(f, "DELETE"), 7);
    assert_int_equal(count_method(f, "PUT"), 1);
    assert_int_equal(if_nametoindex("tapb2222222-00"), 0);
    assert_int_equal(if_nametoindex("tapf0000000-00"), 0);
    assert_true(if_nametoindex("tapb1111111-00") > 0 && if_nametoindex("tapnotkuryr") > 0);
    json_decref(report);
}

static void test_docker_down_removes_nothing(void **state)
{
    fixture *f = *state;
    char msg[256];
    assert_int_equal(kuryr_config_set(f->cfg, "DEFAULT", "docker_host", "unix:///nonexistent/docker.sock", msg,
                                      sizeof(msg)), 0);
    json_t *report = NULL;
    kuryr_error err;
    kuryr_error_clear(&err);
    assert_int_equal(kuryr_reconcile(&f->p, false, &report, &err), -1);
    assert_null(report);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_int_equal(test_httpd_request_count(f->srv), 0);
}

int main(void)
{
    kuryr_log_set_level(KURYR_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dry_run_changes_nothing, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_removes_only_orphans, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_docker_down_removes_nothing, setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
